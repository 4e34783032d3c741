/*
 * shared.c - the servers' upgrade offers shared by several sensors through
 * Redis (shared.h says what is kept where, and why).
 *
 * Two connections: one for commands (the load at start, this sensor's offers)
 * and one subscribed to PREFIX:offers and PREFIX:policies. The subscription
 * comes first and the load after it, so that an offer written between the two
 * is not missed (it may come twice: the mirror does not mind).
 *
 * The policy facts have a channel of their own: a sensor of an earlier
 * release reads every message on PREFIX:offers as "SERVER SENSOR", and would
 * take "policy ..." for an offer of a server named "policy". The servers'
 * certificates have theirs (PREFIX:certs) for the same reason, and a mirror
 * of their own: a certificate is more than an offer's sensor and time.
 *
 * This file holds the target (the URL) and the side the judging thread
 * calls; the mirror is in shared_mirror.c, the thread in shared_thread.c
 * (what it reads from Redis in shared_read.c).
 */
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "redisconn.h"
#include "shared_int.h"

/* ---- the target ------------------------------------------------------------ */

bool
shared_is_url(const char *s)
{
	return s && (strncmp(s, "redis://", 8) == 0 || strncmp(s, "rediss://", 9) == 0);
}

int
shared_parse(const char *url, struct shared_target *t, char *err, size_t errsz)
{
	const char *p, *end, *q, *slash, *hostend;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	t->port = 6379;
	t->db = -1;
	snprintf(t->prefix, sizeof(t->prefix), "tlswatch");
	t->ttl_s = 30u * 86400;
	t->feed_max = SHARED_FEED_MAXLEN;
	if (strncmp(url, "rediss://", 9) == 0) {
		snprintf(err, errsz,
			 "%s: rediss:// (TLS) needs hiredis 1.0 or later with its SSL library; "
			 "this build has hiredis %d.%d: use redis:// (through stunnel or a "
			 "private network)",
			 url, HIREDIS_MAJOR, HIREDIS_MINOR);
		return -1;
	}
	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errsz, "'%s' is not a redis:// URL", url);
		return -1;
	}
	p = url + 8;
	q = strchr(p, '?');
	end = q ? q : p + strlen(p);
	slash = memchr(p, '/', (size_t)(end - p));
	hostend = slash ? slash : end;
	if (redis_url_authority(url, p, hostend, t->host, sizeof(t->host), &t->port, t->password,
				sizeof(t->password), err, errsz) < 0)
		return -1;
	if (slash && slash + 1 < end) {
		if (!redis_url_number(slash + 1, (size_t)(end - slash - 1), 1000000, &v)) {
			snprintf(err, errsz, "%s: bad database number (redis://HOST[:PORT][/DB])",
				 url);
			return -1;
		}
		t->db = (int)v;
	}
	for (p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&'), *e = amp ? amp : p + strlen(p);
		size_t n = (size_t)(e - p);
		bool ok = true;

		if (n > 7 && strncmp(p, "prefix=", 7) == 0) {
			ok = redis_url_copy(t->prefix, sizeof(t->prefix), p + 7, n - 7);
			for (const char *c = t->prefix; ok && *c; c++)
				ok = *c > ' ' && *c < 0x7f && *c != '{' && *c != '}';
		} else if (n > 5 && strncmp(p, "feed=", 5) == 0) {
			ok = redis_url_number(p + 5, n - 5, 100000000, &v);
			t->feed_max = (unsigned)v;
		} else if (n > 4 && strncmp(p, "ttl=", 4) == 0) {
			ok = redis_url_number(p + 4, n - 4, 10ull * 365 * 86400, &v) && v > 0;
			t->ttl_s = (unsigned)v;
		} else {
			snprintf(err, errsz,
				 "%s: unknown parameter '%.*s' (prefix=P, ttl=SECONDS, feed=N)",
				 url, (int)n, p);
			return -1;
		}
		if (!ok) {
			snprintf(err, errsz, "%s: bad value in '%.*s'", url, (int)n, p);
			return -1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

/* ---- the public side ------------------------------------------------------- */

/* Looks fact k up in the mirror: when it is there, its time, whether the
 * handshake broke and its sensor into those of ts_us, broken and by that
 * are not NULL. */
static bool
shared_lookup(struct shared *sh, const char *k, uint64_t *ts_us, bool *broken, char *by,
	      size_t bysz)
{
	struct mirror_node *m;
	bool found = false;

	pthread_mutex_lock(&sh->lock);
	if ((m = shared_mirror_get(sh, k)) != NULL) {
		found = true;
		if (ts_us)
			*ts_us = m->ts_us;
		if (broken)
			*broken = m->broken;
		if (by && bysz)
			snprintf(by, bysz, "%s", m->sensor);
	}
	pthread_mutex_unlock(&sh->lock);
	return found;
}

bool
shared_offered(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
	       char *by, size_t bysz)
{
	char k[SHARED_KEY_LEN];

	return sh && shared_server_text(k, family, ip, port, l4) &&
	       shared_lookup(sh, k, NULL, NULL, by, bysz);
}

/* "SERVER>CLIENT" into out (SHARED_KEY_LEN + INET6_ADDRSTRLEN bytes). */
static bool
shared_pair_text(char *out, uint8_t family, const uint8_t *server_ip, uint16_t port, uint8_t l4,
		 const uint8_t *client_ip, char *client, size_t clientsz)
{
	char srv[SHARED_KEY_LEN];

	if (!shared_server_text(srv, family, server_ip, port, l4) ||
	    !inet_ntop(family == 6 ? AF_INET6 : AF_INET, client_ip, client, (socklen_t)clientsz))
		return false;
	snprintf(out, SHARED_KEY_LEN + INET6_ADDRSTRLEN, "%s>%s", srv, client);
	return true;
}

bool
shared_failed(struct shared *sh, uint8_t family, const uint8_t *server_ip, uint16_t port,
	      uint8_t l4, const uint8_t *client_ip, uint64_t *ts_us, bool *broken, char *by,
	      size_t bysz)
{
	char k[SHARED_KEY_LEN + INET6_ADDRSTRLEN], client[INET6_ADDRSTRLEN];

	return sh &&
	       shared_pair_text(k, family, server_ip, port, l4, client_ip, client,
				sizeof(client)) &&
	       shared_lookup(sh, k, ts_us, broken, by, bysz);
}

/* Queues one fact (lock held). */
static void
shared_queue(struct shared *sh, const struct pending *p)
{
	if (sh->q_len == SHARED_QUEUE) {
		sh->st.dropped++;
		return;
	}
	sh->queue[(sh->q_head + sh->q_len++) % SHARED_QUEUE] = *p;
	pthread_cond_signal(&sh->cond);
}

void
shared_fail(struct shared *sh, uint8_t family, const uint8_t *server_ip, uint16_t port, uint8_t l4,
	    const uint8_t *client_ip, bool broken, uint64_t ts_us, unsigned ttl_s)
{
	char k[SHARED_KEY_LEN + INET6_ADDRSTRLEN];
	struct pending p = {.kind = PENDING_FAIL, .ts_us = ts_us, .broken = broken, .ttl_s = ttl_s};

	if (!sh ||
	    !shared_pair_text(k, family, server_ip, port, l4, client_ip, p.client,
			      sizeof(p.client)) ||
	    !shared_server_text(p.key, family, server_ip, port, l4))
		return;
	pthread_mutex_lock(&sh->lock);
	shared_mirror_put(sh, k, strlen(k), sh->sensor, strlen(sh->sensor), ts_us, broken);
	shared_queue(sh, &p);
	pthread_mutex_unlock(&sh->lock);
}

void
shared_offer(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
	     const char *service, uint64_t ts_us)
{
	struct pending p = {.kind = PENDING_OFFER, .ts_us = ts_us};

	if (!sh || !shared_server_text(p.key, family, ip, port, l4))
		return;
	snprintf(p.service, sizeof(p.service), "%s", service ? service : "");
	pthread_mutex_lock(&sh->lock);
	shared_mirror_put(sh, p.key, strlen(p.key), sh->sensor, strlen(sh->sensor), 0, false);
	shared_queue(sh, &p);
	pthread_mutex_unlock(&sh->lock);
}

bool
shared_cert_get(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
		struct shared_cert *out)
{
	char k[SHARED_KEY_LEN];
	struct cert_node *m;
	bool found = false;

	if (!sh || !shared_server_text(k, family, ip, port, l4))
		return false;
	pthread_mutex_lock(&sh->lock);
	sh->st.cert_unchecked += !sh->st.up;
	if ((m = shared_cert_mirror_get(sh, k)) != NULL) {
		*out = m->c;
		found = true;
	}
	pthread_mutex_unlock(&sh->lock);
	return found;
}

void
shared_cert_put(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
		const struct shared_cert *c)
{
	struct shared_cert mine;
	struct cert_node *m;
	struct cert_out *o;
	char k[SHARED_KEY_LEN], value[SHARED_CERT_TEXT];

	if (!sh || !shared_server_text(k, family, ip, port, l4))
		return;
	mine = *c;
	snprintf(mine.sensor, sizeof(mine.sensor), "%s", sh->sensor);
	if (!shared_cert_encode(&mine, value, sizeof(value)))
		return;
	pthread_mutex_lock(&sh->lock);
	m = shared_cert_mirror_get(sh, k);
	/* Nothing to say: the shared state holds a later one (another sensor's
	 * news, or packet times that stepped back), or this one, written
	 * recently enough. */
	if (m &&
	    (c->last_us < m->c.last_us || (memcmp(m->c.sha256, c->sha256, sizeof(c->sha256)) == 0 &&
					   c->last_us - m->c.last_us < sh->cert_refresh_us))) {
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	shared_cert_mirror_put(sh, k, &mine);
	if (sh->cout_len == SHARED_CERT_QUEUE) {
		sh->st.cert_dropped++;
	} else {
		o = &sh->cout[(sh->cout_head + sh->cout_len++) % SHARED_CERT_QUEUE];
		snprintf(o->key, sizeof(o->key), "%s", k);
		snprintf(o->value, sizeof(o->value), "%s", value);
		pthread_cond_signal(&sh->cond);
	}
	pthread_mutex_unlock(&sh->lock);
}

void
shared_count_session(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port,
		     uint8_t l4, const char *service, const char *verdict, unsigned logins,
		     bool alerted, int offer, uint64_t ts_us)
{
	struct pending p = {.kind = PENDING_SESSION,
			    .ts_us = ts_us,
			    .logins = logins,
			    .alerted = alerted,
			    .offer = offer};

	if (!sh || !shared_server_text(p.key, family, ip, port, l4))
		return;
	snprintf(p.service, sizeof(p.service), "%s", service ? service : "");
	snprintf(p.verdict, sizeof(p.verdict), "%s", verdict ? verdict : "unknown");
	pthread_mutex_lock(&sh->lock);
	shared_queue(sh, &p);
	pthread_mutex_unlock(&sh->lock);
}

/* A policy fact line read from Redis or its channel, for the caller's
 * thread (lock held). */
void
shared_policy_in(struct shared *sh, const char *line, size_t n)
{
	struct policy_in *in;

	if (n <= 7 || n >= SHARED_POLICY_LINE || strncmp(line, "policy ", 7) != 0 ||
	    memchr(line, '\0', n) || memchr(line, '\n', n))
		return; /* not a fact line: not ours to take */
	if (sh->pin_len == SHARED_POLICY_WAITING || !(in = malloc(sizeof(*in) + n + 1))) {
		sh->st.policy_dropped++;
		return;
	}
	in->next = NULL;
	memcpy(in->line, line, n);
	in->line[n] = '\0';
	if (sh->pin_tail)
		sh->pin_tail->next = in;
	else
		sh->pin_head = in;
	sh->pin_tail = in;
	sh->pin_len++;
}

void
shared_policy_put(struct shared *sh, const char *name, const char *id, const char *line,
		  unsigned ttl_s)
{
	struct policy_out *o;

	if (!sh || strlen(name) >= sizeof(o->name) || strlen(id) >= sizeof(o->id) ||
	    strlen(line) >= sizeof(o->line))
		return;
	pthread_mutex_lock(&sh->lock);
	if (sh->pout_len == SHARED_POLICY_QUEUE) {
		sh->st.policy_dropped++;
	} else {
		o = &sh->pout[(sh->pout_head + sh->pout_len++) % SHARED_POLICY_QUEUE];
		snprintf(o->name, sizeof(o->name), "%s", name);
		snprintf(o->id, sizeof(o->id), "%s", id);
		snprintf(o->line, sizeof(o->line), "%s", line);
		o->ttl_s = ttl_s ? ttl_s : 1;
		pthread_cond_signal(&sh->cond);
	}
	pthread_mutex_unlock(&sh->lock);
}

void
shared_policy_take(struct shared *sh, void (*fn)(void *ctx, const char *line), void *ctx)
{
	struct policy_in *in;

	if (!sh)
		return;
	for (;;) {
		pthread_mutex_lock(&sh->lock);
		in = sh->pin_head;
		if (in) {
			sh->pin_head = in->next;
			if (!sh->pin_head)
				sh->pin_tail = NULL;
			sh->pin_len--;
		}
		pthread_mutex_unlock(&sh->lock);
		if (!in)
			return;
		fn(ctx, in->line);
		free(in);
	}
}

void
shared_count_hit(struct shared *sh)
{
	if (!sh)
		return;
	pthread_mutex_lock(&sh->lock);
	sh->st.hits++;
	pthread_mutex_unlock(&sh->lock);
}

void
shared_stats_get(struct shared *sh, struct shared_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!sh)
		return;
	pthread_mutex_lock(&sh->lock);
	*out = sh->st;
	pthread_mutex_unlock(&sh->lock);
}

/* ---- the feed: recent sessions and alerts for `tlswatch --cluster` --------- */

void
shared_feed(struct shared *sh, bool alert, const char *line, size_t n)
{
	struct feed_rec *r;

	if (!sh || sh->t.feed_max == 0)
		return;
	/* an empty record is one that did not fit: dropped, counted */
	r = n && !memchr(line, '\n', n) ? malloc(sizeof(*r) + n) : NULL;
	pthread_mutex_lock(&sh->lock);
	if (!r || sh->feed_len == SHARED_FEED_QUEUE) {
		sh->st.feed_dropped++;
		free(r);
	} else {
		r->alert = alert;
		r->n = n;
		memcpy(r->line, line, n);
		sh->feed[(sh->feed_head + sh->feed_len++) % SHARED_FEED_QUEUE] = r;
		pthread_cond_signal(&sh->cond);
	}
	pthread_mutex_unlock(&sh->lock);
}

const char *
shared_sensor(const struct shared *sh)
{
	return sh ? sh->sensor : "-";
}

/* What is still queued at the end: counted as dropped, freed. */
static void
shared_feed_clear(struct shared *sh)
{
	sh->st.feed_dropped += sh->feed_len;
	for (; sh->feed_len; sh->feed_len--) {
		free(sh->feed[sh->feed_head]);
		sh->feed_head = (sh->feed_head + 1) % SHARED_FEED_QUEUE;
	}
}

struct shared *
shared_new(const struct shared_target *t, const char *sensor, char *warn, size_t warnsz)
{
	struct shared *sh = calloc(1, sizeof(*sh));

	if (warnsz)
		warn[0] = '\0';
	if (!sh)
		return NULL;
	sh->t = *t;
	snprintf(sh->sensor, sizeof(sh->sensor), "%s", sensor && *sensor ? sensor : "-");
	for (char *c = sh->sensor; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			*c = '_'; /* one word in the announcements */
	snprintf(sh->channel, sizeof(sh->channel), "%s:offers", t->prefix);
	snprintf(sh->policy_channel, sizeof(sh->policy_channel), "%s:policies", t->prefix);
	snprintf(sh->cert_channel, sizeof(sh->cert_channel), "%s:certs", t->prefix);
	/* An hour, or half the keys' life when that is shorter: a key is
	 * renewed before it expires. */
	sh->cert_refresh_us =
		(uint64_t)(t->ttl_s / 2 < SHARED_CERT_REFRESH_S ? (t->ttl_s / 2 ? t->ttl_s / 2 : 1)
								: SHARED_CERT_REFRESH_S) *
		1000000u;
	{
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		sh->nonce = ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec) ^
			    ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)sh;
	}
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->cond, NULL);
	/* The load at start, before the first packet is judged. */
	if (!shared_connect(sh))
		snprintf(warn, warnsz,
			 "--state redis://%s:%d: cannot connect or read the shared state; "
			 "judging with this sensor's own until it can (retrying)",
			 t->host, t->port);
	if (pthread_create(&sh->thread, NULL, shared_main, sh) == 0)
		sh->thread_started = true;
	else
		snprintf(warn, warnsz, "--state redis://%s:%d: cannot start its thread", t->host,
			 t->port);
	return sh;
}

void
shared_free(struct shared *sh, unsigned wait_ms, struct shared_stats *out)
{
	if (!sh) {
		if (out)
			memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&sh->lock);
	sh->stopping = true;
	deadline_after_ms(&sh->deadline, wait_ms);
	pthread_cond_signal(&sh->cond);
	pthread_mutex_unlock(&sh->lock);
	if (sh->thread_started)
		pthread_join(sh->thread, NULL);
	else
		shared_disconnect(sh);
	sh->st.dropped += sh->q_len; /* never sent */
	sh->q_len = 0;
	sh->st.policy_dropped += sh->pout_len;
	sh->pout_len = 0;
	sh->st.cert_dropped += sh->cout_len;
	sh->cout_len = 0;
	shared_feed_clear(sh);
	while (sh->pin_head) {
		struct policy_in *in = sh->pin_head;

		sh->pin_head = in->next;
		free(in);
	}
	if (out)
		*out = sh->st;
	for (size_t i = 0; i < SHARED_BUCKETS; i++) {
		while (sh->buckets[i]) {
			struct mirror_node *m = sh->buckets[i];

			sh->buckets[i] = m->next;
			free(m);
		}
		while (sh->cert_buckets[i]) {
			struct cert_node *m = sh->cert_buckets[i];

			sh->cert_buckets[i] = m->next;
			free(m);
		}
	}
	pthread_mutex_destroy(&sh->lock);
	pthread_cond_destroy(&sh->cond);
	free(sh);
}
