/*
 * correlate.c - cross-session facts (see correlate.h for what and why).
 *
 * Two bounded maps with an LRU list each: servers (address, port,
 * transport) and pairs (client address, server address, server port,
 * transport). When a map is full the
 * least recently seen entry is forgotten and counted. The state file is
 * correlate_state.c's, the shared state (--state redis://) correlate_shared.c's.
 */
#include "correlate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate_internal.h"
#include "cursor.h"
#include "proto.h"
#include "shared.h"
#include "verdict.h"

/* Eight bytes at a time (a byte at a time was a tenth of a DNS flood's
 * correlation): multiply and fold, the high bits brought down. */
static uint32_t
cmap_hash(const uint8_t *key)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	_Static_assert(KEY_LEN % 8 == 0, "cmap_hash reads the key in words");
	for (int i = 0; i < KEY_LEN; i += 8) {
		uint64_t w;

		memcpy(&w, key + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)(h ^ (h >> 29));
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

/* Takes e out of its chain and the LRU list, without freeing it. */
static void
cmap_detach(struct cmap *m, struct centry *e)
{
	struct centry **pp = &m->buckets[e->hash & m->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	cmap_unlink_lru(m, e);
	m->count--;
}

static void
cmap_remove(struct cmap *m, struct centry *e)
{
	cmap_detach(m, e);
	free(e);
}

/* Finds the entry for key (making it the most recent), or creates it. */
static struct centry *
cmap_get(struct cmap *m, const uint8_t *key, bool create)
{
	uint32_t h;
	struct centry *e;

	if (!create && m->count == 0)
		return NULL; /* a flood's cleartext sessions, before any pair */
	h = cmap_hash(key);
	for (e = m->buckets[h & m->mask]; e; e = e->hnext)
		if (e->hash == h && memcmp(e->key, key, KEY_LEN) == 0) {
			cmap_unlink_lru(m, e);
			cmap_append_lru(m, e);
			return e;
		}
	if (!create)
		return NULL;
	if (m->count >= m->max && m->head) {
		/* Full: the oldest entry is forgotten and its block reused (a
		 * free and a calloc per new key cost more on a busy link). */
		e = m->head;
		cmap_detach(m, e);
		m->forgotten++;
		memset(e, 0, m->entry_size);
	} else {
		e = calloc(1, m->entry_size);
		if (!e)
			return NULL;
	}
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

struct server_rec *
correlate_server_get(struct correlate *c, uint8_t family, const uint8_t *ip, uint16_t port,
		     uint8_t l4, bool create)
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

/* The client/server pair's record; made only when create is set (a
 * session with something to remember: a failed handshake, a broken
 * upgrade, a failed login). */
static struct pair_rec *
pair_get(struct correlate *c, const struct session *s, bool create)
{
	uint8_t key[KEY_LEN];

	server_key(key, s->family, s->server_ip, s->server_port, s->l4);
	memcpy(key + 20, s->client_ip, 16);
	return (struct pair_rec *)cmap_get(&c->pairs, key, create);
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

/* Did a login of the session fail (what login-bruteforce counts)? */
static bool
failed_login(const struct session *s)
{
	for (size_t i = 0; i < s->pf.n_logins; i++)
		if (s->pf.logins[i].outcome == LOGIN_FAILURE)
			return true;
	return false;
}

/* p: the pair's record, NULL when a cleartext session's pair has none. */
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
	if (p && p->failed && s->ts_first_us >= p->failed_ts_us &&
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

	/* Before anything is set up: most sessions have no certificate, and
	 * zeroing `mine` for each was 3 % of a DNS flood. */
	if (t->state != TLS_CERT_READ)
		return;

	struct shared_cert sc, mine = {.self_signed = t->self_signed, .last_us = s->ts_last_us};
	char was[17], now[17], where[160], when[32];
	const uint8_t *old = r->cert;
	const char *old_issuer = r->cert_issuer;
	bool issuer_changed, self_now, old_self = r->cert_self_signed, remote;
	struct alert *a;

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
	r = correlate_server_get(c, s->family, s->server_ip, s->server_port, s->l4, true);
	if (r) {
		r->last_seen_us = s->ts_last_us;
		if (strncmp(r->service, s->service, sizeof(r->service)) != 0)
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
	/* A pair is remembered for what a later session of the client needs:
	 * a failed handshake or a broken upgrade (tls-fallback), failed
	 * logins (login-bruteforce). A cleartext session only looks: on a
	 * link where every DNS query is a session, making a pair for each
	 * pushed out the pairs that hold a failure. */
	if (cf->verdict == VERDICT_TLS_FAILED || broken_upgrade(cf) || failed_login(s)) {
		p = pair_get(c, s, true);
		if (p) {
			correlate_fallback(c, p, s, cf, &o);
			correlate_bruteforce(c, p, s, cf, &o);
		}
	} else if (cf->verdict == VERDICT_CLEARTEXT) {
		correlate_fallback(c, pair_get(c, s, false), s, cf, &o);
	}
	return o.n;
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