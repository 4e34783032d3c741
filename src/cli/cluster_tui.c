/*
 * cluster_tui.c - `tlswatch --cluster redis://...` on a terminal: the
 * dashboard of every sensor sharing one Redis (shared.h).
 *
 * Sensors with --state redis:// append a record of each judged session
 * and alert to the streams PREFIX:sessions and PREFIX:alerts (feed.h).
 * This reader takes the most recent --max-rows of each (XREVRANGE), then
 * follows them (XREAD BLOCK, a short timeout so that q is seen at once),
 * turns each record back into a struct session or struct alert and hands
 * it to the dashboard (the TUI sink), naming the sensor it came from.
 * Every 2 s it reads the PREFIX:server:{SERVER} hashes, which count every
 * session of every sensor, for the ports panel and the servers view (the
 * streams keep only recent sessions).
 *
 * Session ids are per sensor: each (sensor, id) gets an id of the
 * dashboard's own, so that an alert finds its session; the sensor's id
 * stays on the row. Records that do not decode are skipped and counted in
 * the header's status line.
 *
 * Redis lost while running: the header says so and the reader reconnects
 * every second, going on after the last entry it had read.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "feed.h"
#include "redisconn.h"
#include "shared.h"
#include "sink.h"
#include "tui_model.h"

#define CLUSTER_BLOCK_MS 200	   /* XREAD BLOCK: q answered within this */
#define CLUSTER_READ_COUNT 512	   /* entries per XREAD */
#define CLUSTER_SUMMARY_US 2000000 /* the servers' counts read again */
#define CLUSTER_RETRY_US 1000000   /* a reconnection tried again */
#define CLUSTER_NAMES_MAX 4096	   /* distinct services and sensors kept */
#define CLUSTER_IDS_GEN 16384	   /* session ids mapped per generation (two kept) */

static volatile sig_atomic_t cluster_stop;

static void
cluster_on_signal(int sig)
{
	(void)sig;
	cluster_stop = 1;
}

/* Names with a stable address (the model keeps pointers to services). */
struct names {
	char **v;
	size_t n, cap;
};

static const char *
names_intern(struct names *t, const char *s)
{
	char *copy;

	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i], s) == 0)
			return t->v[i];
	if (t->n == CLUSTER_NAMES_MAX)
		return "other";
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		char **p = realloc(t->v, cap * sizeof(*p));

		if (!p)
			return "other";
		t->v = p;
		t->cap = cap;
	}
	if (!(copy = strdup(s)))
		return "other";
	t->v[t->n++] = copy;
	return copy;
}

static void
names_free(struct names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
}

/* (sensor, its session id) -> the dashboard's session id; two generations
 * of CLUSTER_IDS_GEN, the older forgotten as a new one starts. */
struct idgen {
	const char *sensor[2 * CLUSTER_IDS_GEN]; /* interned; NULL: free slot */
	uint64_t id[2 * CLUSTER_IDS_GEN], local[2 * CLUSTER_IDS_GEN];
	size_t n;
};

struct idmap {
	struct idgen g[2]; /* g[cur] new, the other old */
	int cur;
	uint64_t next;
};

static size_t
idgen_slot(const struct idgen *g, const char *sensor, uint64_t id)
{
	uint64_t h = (id ^ (uint64_t)(uintptr_t)sensor) * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 40) % (2 * CLUSTER_IDS_GEN);

	while (g->sensor[i] && !(g->sensor[i] == sensor && g->id[i] == id))
		i = (i + 1) % (2 * CLUSTER_IDS_GEN);
	return i;
}

static uint64_t
idmap_get(struct idmap *m, const char *sensor, uint64_t id)
{
	struct idgen *g = &m->g[m->cur], *old = &m->g[!m->cur];
	size_t i = idgen_slot(g, sensor, id), j;
	uint64_t local;

	if (g->sensor[i])
		return g->local[i];
	j = idgen_slot(old, sensor, id);
	local = old->sensor[j] ? old->local[j] : ++m->next;
	if (g->n == CLUSTER_IDS_GEN) {
		/* the old generation is forgotten, the new one becomes old */
		memset(old, 0, sizeof(*old));
		m->cur = !m->cur;
		g = &m->g[m->cur];
		i = idgen_slot(g, sensor, id);
	}
	g->sensor[i] = sensor;
	g->id[i] = id;
	g->local[i] = local;
	g->n++;
	return local;
}

struct reader {
	struct shared_target t;
	struct sink *k;
	redisContext *rc;
	size_t max_rows;
	char key_sessions[96], key_alerts[96];
	char last_sessions[48], last_alerts[48]; /* stream ids read up to */
	struct names services, sensors;
	struct idmap *ids;
	struct cluster *sum; /* the rows the dashboard shows point into it */
	size_t n_sensors;
	uint64_t bad; /* records that did not decode */
	char status[160];
};

static uint64_t
cluster_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One stream entry's record ([id, [field, value, ...]]) to the dashboard. */
static void
cluster_take_entry(struct reader *r, const redisReply *e, bool alert)
{
	const redisReply *f;
	const char *line = NULL;
	size_t n = 0;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	snprintf(alert ? r->last_alerts : r->last_sessions, sizeof(r->last_alerts), "%s",
		 e->element[0]->str);
	f = e->element[1];
	for (size_t i = 0; i + 1 < f->elements; i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, "r") == 0) {
			line = f->element[i + 1]->str;
			n = f->element[i + 1]->len;
		}
	if (!line) {
		r->bad++;
		return;
	}
	if (alert) {
		struct feed_alert *d = malloc(sizeof(*d));
		const char *sensor;

		if (!d || !feed_decode_alert(line, n, d)) {
			r->bad++;
			free(d);
			return;
		}
		sensor = names_intern(&r->sensors, d->sensor);
		d->a.service = names_intern(&r->services, d->service);
		sink_tui_set_origin(r->k, sensor, d->a.session_id);
		d->a.session_id = idmap_get(r->ids, sensor, d->a.session_id);
		r->k->alert(r->k, &d->a);
		free(d);
	} else {
		struct feed_session *d = malloc(sizeof(*d));
		const char *sensor;

		if (!d || !feed_decode_session(line, n, d)) {
			r->bad++;
			free(d);
			return;
		}
		sensor = names_intern(&r->sensors, d->sensor);
		d->s.service = names_intern(&r->services, d->service);
		sink_tui_set_origin(r->k, sensor, d->s.id);
		d->s.id = idmap_get(r->ids, sensor, d->s.id);
		r->k->session(r->k, &d->s);
		free(d);
	}
}

/* The newest max_rows entries of one stream, oldest first. False when
 * Redis failed. */
static bool
cluster_history(struct reader *r, bool alert)
{
	redisReply *x = redisCommand(r->rc, "XREVRANGE %s + - COUNT %zu",
				     alert ? r->key_alerts : r->key_sessions, r->max_rows);

	if (!x)
		return false;
	if (x->type == REDIS_REPLY_ARRAY)
		for (size_t i = x->elements; i-- > 0;)
			cluster_take_entry(r, x->element[i], alert);
	freeReplyObject(x);
	return true;
}

/* New entries of both streams, waiting at most CLUSTER_BLOCK_MS. False
 * when Redis failed. */
static bool
cluster_follow(struct reader *r)
{
	redisReply *x = redisCommand(r->rc, "XREAD COUNT %d BLOCK %d STREAMS %s %s %s %s",
				     CLUSTER_READ_COUNT, CLUSTER_BLOCK_MS, r->key_sessions,
				     r->key_alerts, r->last_sessions, r->last_alerts);

	if (!x)
		return false;
	if (x->type == REDIS_REPLY_ERROR) {
		freeReplyObject(x);
		return false;
	}
	if (x->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < x->elements; i++) {
			const redisReply *s = x->element[i], *entries;
			bool alert;

			if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
			    s->element[0]->type != REDIS_REPLY_STRING ||
			    s->element[1]->type != REDIS_REPLY_ARRAY)
				continue;
			alert = strcmp(s->element[0]->str, r->key_alerts) == 0;
			entries = s->element[1];
			for (size_t j = 0; j < entries->elements; j++)
				cluster_take_entry(r, entries->element[j], alert);
		}
	freeReplyObject(x);
	return true;
}

/* The servers' counts for the ports panel and the servers view. False when
 * Redis failed. */
static bool
cluster_summary(struct reader *r, char *err, size_t errsz)
{
	struct cluster *c = cluster_load(r->rc, r->t.prefix, err, errsz);
	const struct summary_row *ports, *servers;
	size_t np, ns;

	if (!c)
		return false;
	ports = cluster_port_rows(c, &np);
	servers = cluster_servers(c, &ns);
	/* the services of the rows must outlive this load */
	{
		struct summary_row *p = malloc((np ? np : 1) * sizeof(*p)),
				   *s = malloc((ns ? ns : 1) * sizeof(*s));

		if (p && s) {
			memcpy(p, ports, np * sizeof(*p));
			memcpy(s, servers, ns * sizeof(*s));
			for (size_t i = 0; i < np; i++)
				p[i].service = names_intern(&r->services, p[i].service);
			for (size_t i = 0; i < ns; i++)
				s[i].service = names_intern(&r->services, s[i].service);
			sink_tui_set_summary(r->k, p, np, s, ns);
		}
		free(p);
		free(s);
	}
	r->n_sensors = cluster_sensors(c);
	cluster_free(c);
	return true;
}

static void
cluster_header(struct reader *r)
{
	char source[320];
	int n = snprintf(source, sizeof(source), "cluster redis://%s:%d prefix %s: %zu sensor%s",
			 r->t.host, r->t.port, r->t.prefix, r->n_sensors,
			 r->n_sensors == 1 ? "" : "s");

	/* a record that did not decode is no outage: said after the source */
	if (r->bad && n > 0 && (size_t)n < sizeof(source))
		snprintf(source + n, sizeof(source) - (size_t)n,
			 "  (%" PRIu64 " bad records skipped)", r->bad);
	sink_tui_set_cluster(r->k, source, r->status);
}

/* why may be the context's own errstr: it is copied before the context
 * is freed. */
static void
cluster_disconnect(struct reader *r, const char *why)
{
	snprintf(r->status, sizeof(r->status), "REDIS LOST (%.80s) - retrying", why);
	if (r->rc)
		redisFree(r->rc);
	r->rc = NULL;
	cluster_header(r);
}

/* The reader's stream keys, and Redis reached once before the screen is
 * taken, so that Redis down at start is said on stderr. False with err. */
static bool
cluster_open(struct reader *r, size_t max_rows, char *err, size_t errsz)
{
	r->max_rows = max_rows ? max_rows : TUI_MAX_ROWS_DEFAULT;
	snprintf(r->key_sessions, sizeof(r->key_sessions), "%s:sessions", r->t.prefix);
	snprintf(r->key_alerts, sizeof(r->key_alerts), "%s:alerts", r->t.prefix);
	snprintf(r->last_sessions, sizeof(r->last_sessions), "0-0");
	snprintf(r->last_alerts, sizeof(r->last_alerts), "0-0");
	r->rc = redis_connect(r->t.host, r->t.port, r->t.password, r->t.db, err, errsz);
	if (r->rc) {
		struct cluster *c = cluster_load(r->rc, r->t.prefix, err, errsz);

		if (c)
			cluster_free(c);
		else {
			redisFree(r->rc);
			r->rc = NULL;
		}
	}
	return r->rc != NULL;
}

/* The dashboard until q (or SIGINT, SIGTERM): the history, then the
 * streams followed and the servers' counts read every CLUSTER_SUMMARY_US;
 * Redis lost is retried every CLUSTER_RETRY_US. */
static void
cluster_loop(struct reader *r)
{
	uint64_t next_sum = 0, next_try = 0;
	char err[512];

	if (!cluster_summary(r, err, sizeof(err)) || !cluster_history(r, false) ||
	    !cluster_history(r, true))
		cluster_disconnect(r, r->rc && r->rc->errstr[0] ? r->rc->errstr : "read failed");
	next_sum = cluster_now_us() + CLUSTER_SUMMARY_US;
	cluster_header(r);
	while (!cluster_stop && !r->k->quit_requested(r->k)) {
		uint64_t now = cluster_now_us();
		struct stats zero = {0};

		r->k->tick(r->k, &zero, 0);
		if (!r->rc) {
			struct timespec pause = {0, 100 * 1000000L};

			if (now < next_try) {
				nanosleep(&pause, NULL);
				continue;
			}
			next_try = now + CLUSTER_RETRY_US;
			r->rc = redis_connect(r->t.host, r->t.port, r->t.password, r->t.db, err,
					      sizeof(err));
			if (!r->rc) {
				cluster_disconnect(r, err);
				continue;
			}
			r->status[0] = '\0';
			next_sum = 0;
		}
		if (now >= next_sum) {
			if (!cluster_summary(r, err, sizeof(err))) {
				cluster_disconnect(r, err);
				continue;
			}
			next_sum = now + CLUSTER_SUMMARY_US;
			cluster_header(r);
		}
		if (!cluster_follow(r)) {
			cluster_disconnect(r, r->rc->errstr[0] ? r->rc->errstr : "XREAD failed");
			continue;
		}
	}
}

int
cluster_dashboard(const char *url, size_t max_rows)
{
	struct reader *r = calloc(1, sizeof(*r));
	struct sigaction sa, old_int, old_term;
	char err[512];
	int status = 0;

	if (!r || !(r->ids = calloc(1, sizeof(*r->ids)))) {
		fputs("tlswatch: --cluster: out of memory\n", stderr);
		free(r);
		return 2;
	}
	if (shared_parse(url, &r->t, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: --cluster %s\n", err);
		status = 2;
		goto out;
	}
	if (!cluster_open(r, max_rows, err, sizeof(err))) {
		fprintf(stderr, "tlswatch: --cluster redis://%s:%d: %s\n", r->t.host, r->t.port,
			err);
		status = 2;
		goto out;
	}
	/* q sends SIGINT to this thread (sink.h): it stops the loop */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cluster_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	r->k = sink_tui_new(url, true, 0, r->max_rows, err, sizeof(err));
	if (!r->k) {
		fprintf(stderr, "tlswatch: --cluster: %s\n", err);
		status = 2;
		goto restore;
	}
	cluster_loop(r);
	r->k->wait(r->k, &cluster_stop);
	r->k->free(r->k);
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	if (r->rc)
		redisFree(r->rc);
	names_free(&r->services);
	names_free(&r->sensors);
	free(r->ids);
	free(r);
	return status;
}
