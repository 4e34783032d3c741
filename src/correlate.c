/*
 * correlate.c - cross-session facts (see correlate.h for what and why).
 *
 * Two bounded maps with an LRU list each: servers (address, port,
 * transport) and pairs (client address, server address, server port,
 * transport). When a map is full the
 * least recently seen entry is forgotten and counted.
 *
 * State file format (text, one record per line, '#' comments):
 *   tlswatch-state 2
 *   server <4|6> <address> <port>[/udp|/sctp] <service> offered <last-seen-us>
 *   <part word> ...   (version 2: the part's lines, e.g. policy.h's facts)
 * (a bare port, or "<port>/tcp", is TCP). Version 1 (servers only) is read
 * as well; version 2 is written.
 */
#include "correlate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "proto.h"
#include "feed.h"
#include "shared.h"
#include "verdict.h"

#define CORRELATE_SHARED_WAIT_MS 3000 /* for the queued offers at the end */

#define KEY_LEN 40

struct centry {
	struct centry *hnext, *prev, *next;
	uint32_t hash;
	uint8_t key[KEY_LEN];
};

struct cmap {
	struct centry **buckets;
	size_t mask, count, max, entry_size;
	struct centry *head, *tail; /* head: least recently used */
	uint64_t forgotten;
};

/* A session that lacked the offer before any was seen: what a late
 * capability-stripped alert about it must name. */
struct lacked {
	uint64_t id, flow_id;
	uint8_t client_ip[16];
	uint16_t client_port;
};

struct server_rec {
	struct centry e;
	uint8_t family;
	uint8_t ip[16];
	uint16_t port;
	uint8_t l4; /* 6 TCP, 17 UDP */
	char service[16];
	bool offered;	    /* offered in this run */
	bool offered_state; /* offered in an earlier run (state file) */
	bool auth_alerted;
	bool upgraded; /* some session of this run upgraded to TLS */
	uint64_t last_seen_us;
	/* The certificate it presented last (TLS <= 1.2): its SHA-256 and
	 * issuer, the session (0: an earlier run's, from the state file), when
	 * (packet time: which of it and the shared state's is the later). */
	bool cert_known;
	uint8_t cert[32];
	char cert_issuer[TLS_CERT_TEXT];
	bool cert_self_signed;
	uint64_t cert_id;
	uint64_t cert_ts_us;
	uint64_t offered_ids[CORRELATE_IDS];
	unsigned n_offered_ids;
	struct lacked lacked[CORRELATE_IDS]; /* lacked it before any offer was seen */
	unsigned n_lacked_ids;
};

#define BF_RING 32

struct pair_rec {
	struct centry e;
	bool failed;	    /* a TLS handshake failed, or an accepted upgrade broke */
	bool failed_broken; /* ... the latter: go-ahead, then no TLS */
	uint64_t failed_ts_us;
	uint64_t failed_id;
	uint64_t fail_ts[BF_RING]; /* login failure times, a ring */
	unsigned fail_n, fail_head;
};

struct correlate {
	struct correlate_config cfg;
	struct cmap servers, pairs;
	struct correlate_stats st;
	/* What the state file was at start: the save keeps what it could not
	 * read (unreadable: never touched; bad_file: moved to .bad) and the last
	 * good one (existed, clean: linked to .bak). */
	bool existed, unreadable, bad_file;
	struct shared *shared;		  /* --state redis://: NULL otherwise */
	struct shared_stats shared_final; /* after the save */
	bool shared_on;			  /* --state redis:// was given */
};

static uint32_t
cmap_hash(const uint8_t *key)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < KEY_LEN; i++)
		h = (h ^ key[i]) * 16777619u;
	return h ^ (h >> 15);
}

static int
cmap_init(struct cmap *m, size_t max, size_t entry_size)
{
	size_t n = 1024;

	while (n < max)
		n <<= 1;
	m->buckets = calloc(n, sizeof(*m->buckets));
	if (!m->buckets)
		return -1;
	m->mask = n - 1;
	m->max = max;
	m->entry_size = entry_size;
	return 0;
}

static void
cmap_unlink_lru(struct cmap *m, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		m->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		m->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
cmap_append_lru(struct cmap *m, struct centry *e)
{
	e->prev = m->tail;
	e->next = NULL;
	if (m->tail)
		m->tail->next = e;
	else
		m->head = e;
	m->tail = e;
}

static void
cmap_remove(struct cmap *m, struct centry *e)
{
	struct centry **pp = &m->buckets[e->hash & m->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	cmap_unlink_lru(m, e);
	m->count--;
	free(e);
}

/* Finds the entry for key (making it the most recent), or creates it. */
static struct centry *
cmap_get(struct cmap *m, const uint8_t *key, bool create)
{
	uint32_t h = cmap_hash(key);
	struct centry *e;

	for (e = m->buckets[h & m->mask]; e; e = e->hnext)
		if (e->hash == h && memcmp(e->key, key, KEY_LEN) == 0) {
			cmap_unlink_lru(m, e);
			cmap_append_lru(m, e);
			return e;
		}
	if (!create)
		return NULL;
	if (m->count >= m->max && m->head) {
		cmap_remove(m, m->head);
		m->forgotten++;
	}
	e = calloc(1, m->entry_size);
	if (!e)
		return NULL;
	e->hash = h;
	memcpy(e->key, key, KEY_LEN);
	e->hnext = m->buckets[h & m->mask];
	m->buckets[h & m->mask] = e;
	cmap_append_lru(m, e);
	m->count++;
	return e;
}

static void
cmap_free(struct cmap *m)
{
	while (m->head)
		cmap_remove(m, m->head);
	free(m->buckets);
}

static void
server_key(uint8_t *key, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4)
{
	memset(key, 0, KEY_LEN);
	key[0] = family;
	memcpy(key + 1, ip, 16);
	key[17] = (uint8_t)(port >> 8);
	key[18] = (uint8_t)port;
	key[19] = l4;
}

static struct server_rec *
server_get(struct correlate *c, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
	   bool create)
{
	uint8_t key[KEY_LEN];
	struct server_rec *r;

	server_key(key, family, ip, port, l4);
	r = (struct server_rec *)cmap_get(&c->servers, key, create);
	if (r && r->family == 0) {
		r->family = family;
		memcpy(r->ip, ip, 16);
		r->port = port;
		r->l4 = l4;
	}
	return r;
}

static struct pair_rec *
pair_get(struct correlate *c, const struct session *s)
{
	uint8_t key[KEY_LEN];

	server_key(key, s->family, s->server_ip, s->server_port, s->l4);
	memcpy(key + 20, s->client_ip, 16);
	return (struct pair_rec *)cmap_get(&c->pairs, key, true);
}

void
correlate_config_defaults(struct correlate_config *c)
{
	c->fallback_window_us = 300ull * 1000000;
	c->bruteforce_window_us = 600ull * 1000000;
	c->bruteforce_failures = 5;
	c->state_path = NULL;
	memset(&c->part, 0, sizeof(c->part));
}

/*
 * One "server ..." line of the state file, its LF already checked. Returns
 * false when it is not valid (the caller skips it and says so).
 */
static bool
correlate_load_server(struct correlate *c, const char *line)
{
	char addr[64], service[16], what[16], portstr[16], extra;
	unsigned family, port;
	uint64_t last;
	uint8_t ip[16] = {0}, l4;
	struct server_rec *r;
	int used = 0;

	if (sscanf(line, "server %u %63s %15s %15s %15s %" SCNu64 " %c", &family, addr, portstr,
		   service, what, &last, &extra) != 6 ||
	    sscanf(portstr, "%u%n", &port, &used) != 1 || portstr[0] < '0' || portstr[0] > '9')
		return false;
	if (portstr[used] == '\0')
		l4 = 6;
	else if (portstr[used] != '/' ||
		 !(l4 = transport_by_name(portstr + used + 1, strlen(portstr + used + 1))))
		return false;
	if ((family != 4 && family != 6) || port == 0 || port > 65535 ||
	    strcmp(what, "offered") != 0 ||
	    inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, ip) != 1)
		return false;
	for (const char *p = service; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	r = server_get(c, (uint8_t)family, ip, (uint16_t)port, l4, true);
	if (!r)
		return true; /* table full: counted by server_get as forgotten */
	r->offered_state = true;
	r->last_seen_us = last;
	snprintf(r->service, sizeof(r->service), "%s", service);
	c->st.state_servers_loaded++;
	return true;
}

/*
 * One "cert FAMILY ADDRESS PORT[/udp|/sctp] SHA256 self|other LAST [ISSUER]" line:
 * the certificate the server presented last (ISSUER: the rest of the line,
 * printable ASCII). False when it is not one.
 */
static bool
correlate_load_cert(struct correlate *c, const char *line)
{
	char buf[512], *w[7], *p;
	unsigned family = 0, port = 0;
	uint64_t last = 0;
	uint8_t ip[16] = {0}, cert[32], l4 = 6;
	struct server_rec *r;
	const char *issuer = "";
	size_t n = strlen(line);

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, line, n + 1);
	/* Seven words, one space apart, then the issuer (the rest). */
	p = buf;
	for (int i = 0; i < 7; i++) {
		char *sp = strchr(p, ' ');

		if (*p == '\0' || *p == ' ')
			return false;
		w[i] = p;
		if (!sp) {
			if (i != 6)
				return false;
			p += strlen(p);
			break;
		}
		*sp = '\0';
		p = sp + 1;
		if (i == 6)
			issuer = p;
	}
	if (strcmp(w[0], "cert") != 0 || strlen(w[1]) != 1 || (w[1][0] != '4' && w[1][0] != '6'))
		return false;
	family = (unsigned)(w[1][0] - '0');
	for (p = w[3]; *p >= '0' && *p <= '9'; p++)
		if ((port = port * 10 + (unsigned)(*p - '0')) > 65535)
			return false;
	if (p == w[3] || port == 0 ||
	    (*p && (*p != '/' || !(l4 = transport_by_name(p + 1, strlen(p + 1))))))
		return false;
	if ((strcmp(w[5], "self") != 0 && strcmp(w[5], "other") != 0) ||
	    inet_pton(family == 6 ? AF_INET6 : AF_INET, w[2], ip) != 1)
		return false;
	for (p = w[6]; *p; p++) {
		if (*p < '0' || *p > '9' || last > (UINT64_MAX - 9) / 10)
			return false;
		last = last * 10 + (uint64_t)(*p - '0');
	}
	if (w[6][0] == '\0')
		return false;
	if (!hex_decode(w[4], cert, sizeof(cert)))
		return false;
	for (p = (char *)issuer; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	r = server_get(c, (uint8_t)family, ip, (uint16_t)port, l4, true);
	if (!r)
		return true; /* table full: counted by server_get as forgotten */
	r->cert_known = true;
	memcpy(r->cert, cert, sizeof(cert));
	snprintf(r->cert_issuer, sizeof(r->cert_issuer), "%s", issuer);
	r->cert_self_signed = strcmp(w[5], "self") == 0;
	r->cert_id = 0;
	r->cert_ts_us = last;
	if (last > r->last_seen_us)
		r->last_seen_us = last;
	c->st.state_certs_loaded++;
	return true;
}

/*
 * One line of the state file (LF checked and removed) of the given version;
 * false with why when it is not valid.
 */
static bool
correlate_load_line(struct correlate *c, int version, char *line, char *why, size_t whysz)
{
	const struct correlate_state_part *pt = &c->cfg.part;
	size_t wl = pt->word ? strlen(pt->word) : 0;

	if (version >= 2 && wl && strncmp(line, pt->word, wl) == 0 && line[wl] == ' ') {
		if (!pt->load(pt->ctx, line, why, whysz))
			return false;
		c->st.state_part_loaded++;
		return true;
	}
	if (version >= 2 && strncmp(line, "cert ", 5) == 0) {
		if (!correlate_load_cert(c, line)) {
			snprintf(
				why, whysz,
				"not \"cert FAMILY ADDRESS PORT SHA256 self|other LAST [ISSUER]\"");
			return false;
		}
		return true;
	}
	line[strlen(line)] = '\n'; /* the server line reader wants its LF */
	if (!correlate_load_server(c, line)) {
		snprintf(why, whysz, "not \"server FAMILY ADDRESS PORT SERVICE offered LAST\"");
		return false;
	}
	return true;
}

/*
 * Reads the state file. Only a regular file is read (a FIFO or device would
 * block start-up or never end); it is opened without blocking. A file that
 * cannot be read at all, or whose first line is not the header, is ignored
 * whole and marked so that the save never overwrites it. Otherwise each line
 * is checked on its own: a bad line (a truncated last line included) is
 * skipped and counted, the good ones are kept.
 */
static void
correlate_load(struct correlate *c, char *warn, size_t warnsz)
{
	const char *path = c->cfg.state_path;
	char line[512], why[160] = "", first_why[160] = "";
	unsigned lineno = 0, bad = 0, first_bad = 0;
	int version = 0;
	struct stat sb;
	FILE *f = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			snprintf(warn, warnsz, "state file %s: %s (ignored, and not overwritten)",
				 path, strerror(errno));
			c->st.state_corrupt = true;
			c->unreadable = true;
		}
		return;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(warn, warnsz,
			 "state file %s: not a regular file (ignored, and not overwritten)", path);
		c->st.state_corrupt = true;
		c->unreadable = true;
		close(fd);
		return;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		c->unreadable = true;
		return;
	}
	c->existed = true;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		bool whole = n > 0 && line[n - 1] == '\n';

		lineno++;
		if (!whole) /* longer than any valid line, or cut short: drop its rest */
			while (n == sizeof(line) - 1 && line[n - 1] != '\n' &&
			       fgets(line, sizeof(line), f))
				n = strlen(line);
		if (lineno == 1) {
			if (whole && strcmp(line, "tlswatch-state 1\n") == 0)
				version = 1;
			else if (whole && strcmp(line, "tlswatch-state 2\n") == 0)
				version = 2;
			if (!version) {
				snprintf(warn, warnsz,
					 "state file %s: line 1 is not \"tlswatch-state 1\" or "
					 "\"tlswatch-state 2\": state ignored (kept as %s.bad "
					 "when the new state is saved)",
					 path, path);
				c->st.state_corrupt = true;
				c->bad_file = true;
				fclose(f);
				return;
			}
			continue;
		}
		if (whole && (line[0] == '#' || line[0] == '\n'))
			continue;
		if (whole)
			line[n - 1] = '\0';
		else
			snprintf(why, sizeof(why), "cut short or too long");
		if (!whole || !correlate_load_line(c, version, line, why, sizeof(why))) {
			if (bad++ == 0) {
				first_bad = lineno;
				snprintf(first_why, sizeof(first_why), "%s", why);
			}
		}
	}
	fclose(f);
	if (lineno == 0) {
		snprintf(warn, warnsz, "state file %s: empty: state ignored", path);
		c->st.state_corrupt = true;
		c->bad_file = true;
	} else if (bad > 0) {
		snprintf(warn, warnsz,
			 "state file %s: line %u is not valid: %s (%u bad line%s skipped, %" PRIu64
			 " servers, %" PRIu64 " certificates and %" PRIu64
			 " other lines loaded; the file is kept as %s.bad when the new state is "
			 "saved)",
			 path, first_bad, first_why, bad, bad == 1 ? "" : "s",
			 c->st.state_servers_loaded, c->st.state_certs_loaded,
			 c->st.state_part_loaded, path);
		c->st.state_corrupt = true;
		c->bad_file = true;
	}
}

struct correlate *
correlate_new(const struct correlate_config *cfg, char *warn, size_t warnsz)
{
	struct correlate *c = calloc(1, sizeof(*c));

	if (warnsz)
		warn[0] = '\0';
	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (cmap_init(&c->servers, CORRELATE_MAX_SERVERS, sizeof(struct server_rec)) < 0 ||
	    cmap_init(&c->pairs, CORRELATE_MAX_PAIRS, sizeof(struct pair_rec)) < 0) {
		correlate_free(c);
		return NULL;
	}
	if (cfg->state_path && shared_is_url(cfg->state_path)) {
		struct shared_target t;

		c->cfg.state_path = NULL; /* no file */
		c->shared_on = true;
		if (shared_parse(cfg->state_path, &t, warn, warnsz) == 0 &&
		    !(c->shared = shared_new(&t, cfg->sensor, warn, warnsz))) {
			correlate_free(c);
			return NULL;
		}
	} else if (cfg->state_path) {
		correlate_load(c, warn, warnsz);
	}
	return c;
}

void
correlate_stats_get(const struct correlate *c, struct correlate_stats *out)
{
	struct shared_stats ss;

	*out = c->st;
	out->servers_forgotten = c->servers.forgotten;
	out->pairs_forgotten = c->pairs.forgotten;
	if (c->shared)
		shared_stats_get(c->shared, &ss);
	else
		ss = c->shared_final;
	out->shared_on = c->shared_on;
	out->shared_loaded = ss.loaded;
	out->shared_received = ss.received;
	out->shared_sent = ss.sent;
	out->shared_dropped = ss.dropped;
	out->shared_forgotten = ss.forgotten;
	out->shared_reconnects = ss.reconnects;
	out->shared_errors = ss.errors;
	out->shared_hits = ss.hits;
	out->shared_counted = ss.counted;
	out->shared_feed_sent = ss.feed_sent;
	out->shared_feed_dropped = ss.feed_dropped;
	out->shared_policy_loaded = ss.policy_loaded;
	out->shared_policy_received = ss.policy_received;
	out->shared_policy_sent = ss.policy_sent;
	out->shared_policy_dropped = ss.policy_dropped;
	out->shared_cert_loaded = ss.cert_loaded;
	out->shared_cert_received = ss.cert_received;
	out->shared_cert_sent = ss.cert_sent;
	out->shared_cert_dropped = ss.cert_dropped;
	out->shared_cert_unchecked = ss.cert_unchecked;
	out->shared_arrivals_lost = ss.arrivals_lost;
}

void
correlate_policy_share(struct correlate *c, const char *name, const char *id, const char *line,
		       unsigned ttl_s)
{
	shared_policy_put(c->shared, name, id, line, ttl_s);
}

void
correlate_policy_take(struct correlate *c, void (*fn)(void *ctx, const char *line), void *ctx)
{
	shared_policy_take(c->shared, fn, ctx);
}

void
correlate_shared_late(struct correlate *c, correlate_alert_fn fn, void *ctx)
{
	struct shared_arrival arr[32];
	size_t n;

	if (!c || !c->shared)
		return;
	while ((n = shared_arrivals_take(c->shared, arr, 32)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct server_rec *r = server_get(c, arr[i].family, arr[i].ip, arr[i].port,
							  arr[i].l4, false);
			const struct proto_desc *pd;

			if (!r || r->offered || r->offered_state || r->n_lacked_ids == 0)
				continue;
			pd = proto_by_name(r->service);
			for (unsigned k = 0; k < r->n_lacked_ids; k++) {
				struct alert a;

				memset(&a, 0, sizeof(a));
				a.kind = ALERT_CAPABILITY_STRIPPED;
				a.severity = SEVERITY_HIGH;
				a.session_id = r->lacked[k].id;
				a.flow_id = r->lacked[k].flow_id;
				a.ts_us = r->last_seen_us;
				a.family = r->family;
				a.l4 = r->l4;
				memcpy(a.client_ip, r->lacked[k].client_ip, sizeof(a.client_ip));
				memcpy(a.server_ip, r->ip, sizeof(a.server_ip));
				a.client_port = r->lacked[k].client_port;
				a.server_port = r->port;
				a.service = pd ? pd->name : "unknown";
				snprintf(a.evidence, sizeof(a.evidence),
					 "%s not offered in session #%" PRIu64
					 " but offered by the same server as seen by sensor %s "
					 "(shared state, announced later)",
					 proto_offer_word(r->service), r->lacked[k].id,
					 arr[i].sensor);
				shared_count_hit(c->shared);
				if (fn)
					fn(ctx, &a);
			}
			r->n_lacked_ids = 0;
		}
	}
}

void
correlate_policy_hit(struct correlate *c)
{
	shared_count_hit(c->shared);
}

/* "#3, #5" from a list of ids. */
static void
format_ids(char *buf, size_t bufsz, const uint64_t *ids, unsigned n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && i < CORRELATE_IDS && o < bufsz; i++)
		o += (size_t)snprintf(buf + o, bufsz - o, "%s#%" PRIu64, i ? ", " : "", ids[i]);
}

static void
push_id(uint64_t *ids, unsigned *n, uint64_t id)
{
	if (*n < CORRELATE_IDS)
		ids[(*n)++] = id;
}

struct out_list {
	struct alert *out;
	size_t max, n;
};

static struct alert *
out_add(struct out_list *o, const struct session *s, enum alert_kind kind, enum severity sev)
{
	struct alert *a;

	if (o->n >= o->max)
		return NULL;
	a = &o->out[o->n++];
	verdict_alert_init(a, s, kind, sev);
	return a;
}

static void
correlate_capabilities(struct correlate *c, struct server_rec *r, const struct session *s,
		       struct correlate_facts *cf, struct out_list *o, correlate_alert_fn fn,
		       void *ctx)
{
	const struct proto_facts *pf = &s->pf;
	char ids[128], by[64] = "";
	bool shared_only;

	if (!s->plain_seen || !pf->capa_seen)
		return;
	if (pf->tls_offered) {
		if (!r->offered && r->n_lacked_ids > 0) {
			/* Evidence after the fact: earlier sessions lacked the offer. */
			for (unsigned i = 0; i < r->n_lacked_ids; i++) {
				struct alert a;

				verdict_alert_init(&a, s, ALERT_CAPABILITY_STRIPPED, SEVERITY_HIGH);
				a.session_id = r->lacked[i].id;
				a.flow_id = r->lacked[i].flow_id;
				memcpy(a.client_ip, r->lacked[i].client_ip, sizeof(a.client_ip));
				a.client_port = r->lacked[i].client_port;
				snprintf(a.evidence, sizeof(a.evidence),
					 "%s not offered in session #%" PRIu64
					 " but offered by the same server in session #%" PRIu64,
					 proto_offer_word(s->service), r->lacked[i].id, s->id);
				if (fn)
					fn(ctx, &a);
			}
			r->n_lacked_ids = 0;
		}
		r->offered = true;
		push_id(r->offered_ids, &r->n_offered_ids, s->id);
		shared_offer(c->shared, s->family, s->server_ip, s->server_port, s->l4, s->service,
			     s->ts_last_us);
		return;
	}
	if (pf->indicators & (IND_CAPA_MASKED | IND_CMD_MASKED))
		return; /* masked, already judged */
	shared_only = !r->offered && !r->offered_state &&
		      shared_offered(c->shared, s->family, s->server_ip, s->server_port, s->l4, by,
				     sizeof(by));
	if (r->offered || r->offered_state || shared_only) {
		struct alert *a;

		if (cf->verdict != VERDICT_CLEARTEXT)
			return; /* a stronger finding already stands */
		cf->verdict = VERDICT_DOWNGRADED;
		cf->reason = REASON_CAPABILITY_STRIPPED;
		cf->alerts |= 1u << ALERT_CAPABILITY_STRIPPED;
		a = out_add(o, s, ALERT_CAPABILITY_STRIPPED, SEVERITY_HIGH);
		if (!a)
			return;
		if (r->offered) {
			format_ids(ids, sizeof(ids), r->offered_ids, r->n_offered_ids);
			snprintf(a->evidence, sizeof(a->evidence),
				 "%s not offered, but offered by the same server in session%s %s",
				 proto_offer_word(s->service), r->n_offered_ids > 1 ? "s" : "",
				 ids);
		} else if (shared_only) {
			shared_count_hit(c->shared);
			snprintf(a->evidence, sizeof(a->evidence),
				 "%s not offered, but offered by the same server as seen by sensor "
				 "%s (shared state)",
				 proto_offer_word(s->service), by);
		} else {
			snprintf(a->evidence, sizeof(a->evidence),
				 "%s not offered, but offered by the same server in an earlier run "
				 "(state file)",
				 proto_offer_word(s->service));
		}
		return;
	}
	if (r->n_lacked_ids < CORRELATE_IDS) {
		struct lacked *l = &r->lacked[r->n_lacked_ids++];

		l->id = s->id;
		l->flow_id = session_flow_id(s);
		memcpy(l->client_ip, s->client_ip, sizeof(l->client_ip));
		l->client_port = s->client_port;
	}
}

/* An upgrade the server (or whoever answered for it) accepted, after which
 * no TLS came: for the client that is a failed handshake like any other. */
static bool
broken_upgrade(const struct correlate_facts *cf)
{
	return cf->verdict == VERDICT_DOWNGRADED && cf->reason == REASON_NO_TLS_AFTER_ACCEPT;
}

static void
correlate_fallback(struct correlate *c, struct pair_rec *p, const struct session *s,
		   struct correlate_facts *cf, struct out_list *o)
{
	uint64_t ts = 0;
	bool broken = false, remote = false;
	char by[64] = "";
	struct alert *a;

	if (cf->verdict == VERDICT_TLS_FAILED || broken_upgrade(cf)) {
		p->failed = true;
		p->failed_broken = broken_upgrade(cf);
		p->failed_ts_us = s->ts_last_us;
		p->failed_id = s->id;
		shared_fail(c->shared, s->family, s->server_ip, s->server_port, s->l4, s->client_ip,
			    p->failed_broken, s->ts_last_us,
			    (unsigned)(c->cfg.fallback_window_us / 1000000) + 60);
		return;
	}
	if (cf->verdict != VERDICT_CLEARTEXT)
		return;
	if (p->failed && s->ts_first_us >= p->failed_ts_us &&
	    s->ts_first_us - p->failed_ts_us <= c->cfg.fallback_window_us) {
		ts = p->failed_ts_us;
		broken = p->failed_broken;
	} else if (shared_failed(c->shared, s->family, s->server_ip, s->server_port, s->l4,
				 s->client_ip, &ts, &broken, by, sizeof(by)) &&
		   s->ts_first_us >= ts && s->ts_first_us - ts <= c->cfg.fallback_window_us) {
		remote = true;
		shared_count_hit(c->shared);
	} else {
		return;
	}
	cf->verdict = VERDICT_DOWNGRADED;
	cf->reason = REASON_TLS_FALLBACK;
	cf->alerts |= 1u << ALERT_TLS_FALLBACK;
	a = out_add(o, s, ALERT_TLS_FALLBACK, SEVERITY_HIGH);
	if (!a)
		return;
	if (remote)
		snprintf(a->evidence, sizeof(a->evidence),
			 "%s %.1f s earlier, as seen by sensor %s (shared state); the client came "
			 "back without TLS",
			 broken ? "upgrade accepted but no TLS followed" : "TLS handshake failed",
			 (double)(s->ts_first_us - ts) / 1e6, by);
	else
		snprintf(a->evidence, sizeof(a->evidence),
			 "%s in session #%" PRIu64
			 " %.1f s earlier; the client came back without TLS",
			 broken ? "upgrade accepted but no TLS followed" : "TLS handshake failed",
			 p->failed_id, (double)(s->ts_first_us - ts) / 1e6);
}

static void
correlate_bruteforce(struct correlate *c, struct pair_rec *p, const struct session *s,
		     struct correlate_facts *cf, struct out_list *o)
{
	unsigned need = c->cfg.bruteforce_failures;

	if (need == 0 || need > BF_RING)
		return;
	for (size_t i = 0; i < s->pf.n_logins; i++) {
		unsigned in_window = 0;

		if (s->pf.logins[i].outcome != LOGIN_FAILURE)
			continue;
		p->fail_ts[p->fail_head] = s->ts_last_us;
		p->fail_head = (p->fail_head + 1) % BF_RING;
		if (p->fail_n < BF_RING)
			p->fail_n++;
		for (unsigned k = 0; k < p->fail_n; k++)
			if (s->ts_last_us - p->fail_ts[k] <= c->cfg.bruteforce_window_us &&
			    p->fail_ts[k] <= s->ts_last_us)
				in_window++;
		if (in_window >= need) {
			struct alert *a = out_add(o, s, ALERT_LOGIN_BRUTEFORCE, SEVERITY_MEDIUM);

			cf->alerts |= 1u << ALERT_LOGIN_BRUTEFORCE;
			if (a)
				snprintf(a->evidence, sizeof(a->evidence),
					 "%u failed logins from this client within %.0f s, last "
					 "user=%s",
					 in_window, (double)c->cfg.bruteforce_window_us / 1e6,
					 s->pf.logins[i].username[0] ? s->pf.logins[i].username
								     : "?");
			p->fail_n = 0; /* one alert per burst */
			p->fail_head = 0;
		}
	}
}

/*
 * The server's certificate against the one it presented before, in this run
 * or the last (--state FILE), or, with --state redis://, the one any sensor
 * saw last when that is later than this sensor's own (or this sensor has
 * none): a different one is cert-changed, low when the issuer is the same
 * (a renewal looks so), medium when the issuer changed or the new one signs
 * itself where the old one did not. The certificate then goes to the shared
 * state (shared_cert_put decides whether it is news).
 */
static void
correlate_cert(struct correlate *c, struct server_rec *r, const struct session *s,
	       struct correlate_facts *cf, struct out_list *o)
{
	const struct tls_cert *t = &s->tf.cert;
	struct shared_cert sc, mine = {.self_signed = t->self_signed, .last_us = s->ts_last_us};
	char was[17], now[17], where[160], when[32];
	const uint8_t *old = r->cert;
	const char *old_issuer = r->cert_issuer;
	bool issuer_changed, self_now, old_self = r->cert_self_signed, remote;
	struct alert *a;

	if (t->state != TLS_CERT_READ)
		return;
	/* The shared state's when it is the later: another sensor saw the
	 * server since (or this one never did), though not after this session
	 * (an older capture read after a newer one is not judged with what
	 * comes after it, as the policy facts are not). */
	remote = shared_cert_get(c->shared, s->family, s->server_ip, s->server_port, s->l4, &sc) &&
		 (!r->cert_known || sc.last_us > r->cert_ts_us) && sc.last_us <= s->ts_last_us;
	if (remote) {
		old = sc.sha256;
		old_issuer = sc.issuer;
		old_self = sc.self_signed;
	}
	if ((remote || r->cert_known) && memcmp(old, t->h[0].cert256, sizeof(r->cert)) != 0) {
		issuer_changed = strcmp(old_issuer, t->issuer) != 0;
		self_now = t->self_signed && !old_self;
		a = out_add(o, s, ALERT_CERT_CHANGED,
			    issuer_changed || self_now ? SEVERITY_MEDIUM : SEVERITY_LOW);
		cf->alerts |= 1u << ALERT_CERT_CHANGED;
		hex_encode(old, 8, was);
		hex_encode(t->h[0].cert256, 8, now);
		if (remote) {
			time_t secs = (time_t)(sc.last_us / 1000000);
			struct tm tm;

			if (gmtime_r(&secs, &tm))
				strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			else
				snprintf(when, sizeof(when), "?");
			shared_count_hit(c->shared);
			snprintf(where, sizeof(where), "seen by sensor %s at %s (shared state)",
				 sc.sensor, when);
		} else if (r->cert_id) {
			snprintf(where, sizeof(where), "seen in session #%" PRIu64, r->cert_id);
		} else {
			snprintf(where, sizeof(where), "seen in an earlier run (--state)");
		}
		if (a)
			snprintf(a->evidence, sizeof(a->evidence),
				 "certificate sha256 %s... (issuer %.60s%s) replaces %s... (issuer "
				 "%.60s) %s",
				 now, t->issuer[0] ? t->issuer : "?",
				 self_now ? ", self-signed" : "", was,
				 old_issuer[0] ? old_issuer : "?", where);
	}
	r->cert_known = true;
	memcpy(r->cert, t->h[0].cert256, sizeof(r->cert));
	snprintf(r->cert_issuer, sizeof(r->cert_issuer), "%s", t->issuer);
	r->cert_self_signed = t->self_signed;
	r->cert_id = s->id;
	r->cert_ts_us = s->ts_last_us;
	memcpy(mine.sha256, t->h[0].cert256, sizeof(mine.sha256));
	snprintf(mine.issuer, sizeof(mine.issuer), "%s", t->issuer);
	shared_cert_put(c->shared, s->family, s->server_ip, s->server_port, s->l4, &mine);
}

size_t
correlate_observe(struct correlate *c, const struct session *s, struct correlate_facts *cf,
		  struct alert *out, size_t max, correlate_alert_fn fn, void *ctx)
{
	struct out_list o = {out, max, 0};
	struct server_rec *r;
	struct pair_rec *p;

	cf->verdict = s->verdict;
	cf->reason = s->reason;
	cf->alerts = 0;
	r = server_get(c, s->family, s->server_ip, s->server_port, s->l4, true);
	if (r) {
		r->last_seen_us = s->ts_last_us;
		snprintf(r->service, sizeof(r->service), "%s", s->service);
		correlate_capabilities(c, r, s, cf, &o, fn, ctx);
		correlate_cert(c, r, s, cf, &o);
		if (s->verdict == VERDICT_STARTTLS)
			r->upgraded = true;
		if (cf->verdict == VERDICT_CLEARTEXT && cf->reason == REASON_OFFER_UNSEEN &&
		    (r->offered || r->offered_state || r->upgraded))
			cf->reason = REASON_NOT_REQUESTED; /* the server is known to offer */
		if (s->plain_seen && s->pf.auth_cleartext_offered && !r->auth_alerted) {
			struct alert *a =
				out_add(&o, s, ALERT_AUTH_OFFERED_CLEARTEXT, SEVERITY_LOW);

			r->auth_alerted = true;
			cf->alerts |= 1u << ALERT_AUTH_OFFERED_CLEARTEXT;
			if (a)
				snprintf(a->evidence, sizeof(a->evidence),
					 "%s server offers password logins before TLS", s->service);
		}
	}
	if (cf->verdict == VERDICT_TLS_FAILED || cf->verdict == VERDICT_CLEARTEXT ||
	    broken_upgrade(cf) || s->pf.n_logins > 0) {
		p = pair_get(c, s);
		if (p) {
			correlate_fallback(c, p, s, cf, &o);
			correlate_bruteforce(c, p, s, cf, &o);
		}
	}
	return o.n;
}

void
correlate_count(struct correlate *c, const struct session *s, bool alerted)
{
	shared_count_session(c->shared, s->family, s->server_ip, s->server_port, s->l4, s->service,
			     verdict_name(s->verdict), s->pf.n_logins, alerted,
			     !s->pf.capa_seen	 ? -1
			     : s->pf.tls_offered ? 1
						 : 0,
			     s->ts_last_us);
}

void
correlate_publish_session(struct correlate *c, const struct session *s)
{
	char line[FEED_LINE_MAX];
	size_t n;

	if (!c->shared)
		return;
	n = feed_encode_session(line, sizeof(line), shared_sensor(c->shared), s);
	shared_feed(c->shared, false, line, n);
}

void
correlate_publish_alert(struct correlate *c, const struct alert *a)
{
	char line[FEED_LINE_MAX];
	size_t n;

	if (!c->shared)
		return;
	n = feed_encode_alert(line, sizeof(line), shared_sensor(c->shared), a);
	shared_feed(c->shared, true, line, n);
}

/* A line of the part, written when it is one the reader takes back. */
static void
correlate_put_line(void *pctx, const char *line)
{
	size_t n = strlen(line);

	if (n > 0 && n < 510 && !strchr(line, '\n'))
		fprintf(pctx, "%s\n", line);
}

int
correlate_save(struct correlate *c, char *err, size_t errsz)
{
	char tmp[4096], keep[4096];
	FILE *f;
	int fd;

	if (c->shared) {
		shared_free(c->shared, CORRELATE_SHARED_WAIT_MS, &c->shared_final);
		c->shared = NULL;
		return 0;
	}
	if (!c->cfg.state_path)
		return 0;
	if (c->unreadable) {
		snprintf(err, errsz, "state file %s: not saved: it could not be read at start",
			 c->cfg.state_path);
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", c->cfg.state_path) >= sizeof(tmp) ||
	    (size_t)snprintf(keep, sizeof(keep), "%s.%s", c->cfg.state_path,
			     c->bad_file ? "bad" : "bak") >= sizeof(keep)) {
		snprintf(err, errsz, "state file path too long");
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errsz, "state file %s: %s", c->cfg.state_path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	fputs("tlswatch-state 2\n", f);
	for (struct centry *e = c->servers.head; e; e = e->next) {
		struct server_rec *r = (struct server_rec *)e;
		char addr[64];

		session_addr_str(r->family, r->ip, addr, sizeof(addr));
		if (r->offered || r->offered_state)
			fprintf(f, "server %u %s %u%s%s %s offered %" PRIu64 "\n", r->family, addr,
				r->port, r->l4 != 6 ? "/" : "",
				r->l4 != 6 ? transport_name(r->l4) : "",
				r->service[0] ? r->service : "unknown", r->last_seen_us);
		if (r->cert_known) {
			char hex[2 * sizeof(r->cert) + 1];

			hex_encode(r->cert, sizeof(r->cert), hex);
			fprintf(f, "cert %u %s %u%s%s %s %s %" PRIu64 "%s%s\n", r->family, addr,
				r->port, r->l4 != 6 ? "/" : "",
				r->l4 != 6 ? transport_name(r->l4) : "", hex,
				r->cert_self_signed ? "self" : "other", r->last_seen_us,
				r->cert_issuer[0] ? " " : "", r->cert_issuer);
		}
	}
	if (c->cfg.part.word && c->cfg.part.save)
		c->cfg.part.save(c->cfg.part.ctx, correlate_put_line, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errsz, "state file %s: %s", c->cfg.state_path, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0) {
		snprintf(err, errsz, "state file %s: %s", c->cfg.state_path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The old file: a bad one is moved aside, a good one kept as .bak (a
	 * hard link, so the state path is never missing). */
	if (c->existed) {
		unlink(keep);
		if ((c->bad_file ? rename(c->cfg.state_path, keep)
				 : link(c->cfg.state_path, keep)) < 0 &&
		    errno != ENOENT) {
			snprintf(err, errsz, "state file %s: cannot keep the old file as %s: %s",
				 c->cfg.state_path, keep, strerror(errno));
			unlink(tmp);
			return -1;
		}
	}
	if (rename(tmp, c->cfg.state_path) != 0) {
		snprintf(err, errsz, "state file %s: %s", c->cfg.state_path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
correlate_free(struct correlate *c)
{
	if (!c)
		return;
	shared_free(c->shared, 0, NULL);
	if (c->servers.buckets)
		cmap_free(&c->servers);
	if (c->pairs.buckets)
		cmap_free(&c->pairs);
	free(c);
}
