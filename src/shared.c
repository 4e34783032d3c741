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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "redisconn.h"
#include "session.h"
#include "shared.h"

#define SHARED_BUCKETS 16384
#define SHARED_KEY_LEN 64 /* "6/" + an IPv6 address + "/65535/tcp" */
#define SHARED_NAME_LEN 64
#define SHARED_BATCH 256
#define SHARED_POLICY_BATCH 64
#define SHARED_CERT_BATCH 64
#define SHARED_BACKOFF_MIN_MS 100
#define SHARED_BACKOFF_MAX_MS 5000
#define SHARED_POLL_MS 100

/* One fact: an offer (key "SERVER") or a failed handshake (key
 * "SERVER>CLIENT", with its time). */
struct mirror_node {
	struct mirror_node *next;
	char key[SHARED_KEY_LEN + INET6_ADDRSTRLEN];
	char sensor[SHARED_NAME_LEN];
	uint64_t ts_us;
	bool broken;
};

enum pending_kind { PENDING_OFFER, PENDING_FAIL, PENDING_SESSION };

struct pending {
	enum pending_kind kind;
	char key[SHARED_KEY_LEN];
	char client[INET6_ADDRSTRLEN];
	char service[16];
	uint64_t ts_us;
	bool broken;
	unsigned ttl_s;
	/* PENDING_SESSION: what the cluster summary counts */
	char verdict[16];
	unsigned logins;
	bool alerted;
	int offer; /* 1 offered, 0 not offered, -1 no capability list */
};

/* A server's certificate (key "SERVER"), the latest any sensor saw. */
struct cert_node {
	struct cert_node *next;
	char key[SHARED_KEY_LEN];
	struct shared_cert c;
};

/* A certificate of this sensor's, to be written: its key's value. */
struct cert_out {
	char key[SHARED_KEY_LEN];
	char value[SHARED_CERT_TEXT];
};

/* A policy fact of another sensor's, for the judging thread. */
struct policy_in {
	struct policy_in *next;
	char line[];
};

/* A policy fact of this sensor's, to be written. */
struct policy_out {
	char name[128];
	char id[160];
	char line[SHARED_POLICY_LINE];
	unsigned ttl_s;
};

struct shared {
	struct shared_target t;
	uint64_t nonce; /* this process's announcements, not taken back */
	char sensor[SHARED_NAME_LEN];
	char channel[SHARED_KEY_LEN + 16];	  /* PREFIX:offers: offers, failures */
	char policy_channel[SHARED_KEY_LEN + 16]; /* PREFIX:policies: policy facts */
	char cert_channel[SHARED_KEY_LEN + 16];	  /* PREFIX:certs: servers' certificates */
	uint64_t cert_refresh_us;		  /* the same certificate written again after */
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	struct mirror_node *buckets[SHARED_BUCKETS];
	size_t n_mirrored;
	struct pending queue[SHARED_QUEUE]; /* a ring */
	size_t q_head, q_len;
	struct policy_out pout[SHARED_POLICY_QUEUE]; /* a ring */
	size_t pout_head, pout_len;
	struct policy_in *pin_head, *pin_tail; /* other sensors' facts, oldest first */
	size_t pin_len;
	struct cert_node *cert_buckets[SHARED_BUCKETS];
	size_t n_certs;
	struct cert_out cout[SHARED_CERT_QUEUE]; /* a ring */
	size_t cout_head, cout_len;
	/* Offers of servers new to the mirror announced while running, for
	 * the judging thread's late alerts (shared_arrivals_take); a ring,
	 * the oldest overwritten when full (counted in arrivals_lost). */
	struct shared_arrival arrivals[SHARED_ARRIVALS];
	size_t arr_head, arr_len;
	struct feed_rec *feed[SHARED_FEED_QUEUE]; /* a ring (shared_feed) */
	size_t feed_head, feed_len;
	bool stopping;		  /* drain, then stop */
	struct timespec deadline; /* ... at most until then */
	struct shared_stats st;

	/* The thread's own. */
	redisContext *cmd, *sub;
	bool ever_up;
};

/* A feed record waiting for its stream (shared_feed). */
struct feed_rec {
	bool alert;
	size_t n;
	char line[];
};

static bool shared_send_feed(struct shared *sh);
static void shared_feed_clear(struct shared *sh);

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

/* ---- the mirror ------------------------------------------------------------ */

/* "4/192.0.2.10/25/tcp" back into its parts; false when it is not one. */
static bool
shared_server_parse(const char *text, struct shared_arrival *a)
{
	char buf[SHARED_KEY_LEN], addr[INET6_ADDRSTRLEN], l4[5];
	unsigned family, port;
	size_t n = strlen(text);
	int used = 0;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, text, n + 1);
	for (char *c = buf; *c; c++)
		if (*c == '/')
			*c = ' ';
	if (sscanf(buf, "%u %45s %u %4s%n", &family, addr, &port, l4, &used) != 4 ||
	    (size_t)used != n || (family != 4 && family != 6) || port == 0 || port > 65535 ||
	    !transport_by_name(l4, strlen(l4)))
		return false;
	memset(a->ip, 0, sizeof(a->ip));
	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, a->ip) != 1)
		return false;
	a->family = (uint8_t)family;
	a->port = (uint16_t)port;
	a->l4 = transport_by_name(l4, strlen(l4));
	return true;
}

/* Notes the offer of a server new to the mirror (lock held). */
static void
shared_arrival_note(struct shared *sh, const char *key, const char *sensor)
{
	struct shared_arrival a;

	if (!shared_server_parse(key, &a))
		return;
	snprintf(a.sensor, sizeof(a.sensor), "%s", sensor);
	if (sh->arr_len == SHARED_ARRIVALS) {
		sh->arr_head = (sh->arr_head + 1) % SHARED_ARRIVALS;
		sh->arr_len--;
		sh->st.arrivals_lost++;
	}
	sh->arrivals[(sh->arr_head + sh->arr_len++) % SHARED_ARRIVALS] = a;
}

size_t
shared_arrivals_take(struct shared *sh, struct shared_arrival *out, size_t max)
{
	size_t n = 0;

	if (!sh)
		return 0;
	pthread_mutex_lock(&sh->lock);
	while (n < max && sh->arr_len > 0) {
		out[n++] = sh->arrivals[sh->arr_head];
		sh->arr_head = (sh->arr_head + 1) % SHARED_ARRIVALS;
		sh->arr_len--;
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

/* "4/192.0.2.10/25/tcp": the server as the keys and the channel name it. */
static bool
shared_server_text(char *out, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4)
{
	char addr[INET6_ADDRSTRLEN];

	if ((family != 4 && family != 6) || (l4 != 6 && l4 != 17 && l4 != 132) ||
	    !inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, addr, sizeof(addr)))
		return false;
	snprintf(out, SHARED_KEY_LEN, "%u/%s/%u/%s", family, addr, port, transport_name(l4));
	return true;
}

/* Whether text[0..n) is a server as shared_server_text writes it. */
static bool
shared_server_valid(const char *text, size_t n)
{
	char buf[SHARED_KEY_LEN];
	struct shared_arrival a;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return shared_server_parse(buf, &a);
}

static uint32_t
shared_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % SHARED_BUCKETS;
}

/* Whether text is "SERVER" or "SERVER>CLIENT" (CLIENT an address of the
 * server's family). */
static bool
shared_key_valid(const char *text, size_t n)
{
	const char *gt = memchr(text, '>', n);
	char addr[INET6_ADDRSTRLEN];
	uint8_t ip[16];
	size_t alen;

	if (!gt)
		return shared_server_valid(text, n);
	alen = n - (size_t)(gt - text) - 1;
	if (!shared_server_valid(text, (size_t)(gt - text)) || alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, gt + 1, alen);
	addr[alen] = '\0';
	return inet_pton(text[0] == '6' ? AF_INET6 : AF_INET, addr, ip) == 1;
}

/* Adds or refreshes one fact (lock held); false when it was new. A failure
 * keeps its latest time. */
static bool
mirror_put(struct shared *sh, const char *key, size_t keylen, const char *sensor, size_t sensorlen,
	   uint64_t ts_us, bool broken)
{
	char k[SHARED_KEY_LEN + INET6_ADDRSTRLEN];
	struct mirror_node *m;
	uint32_t h;

	if (keylen >= sizeof(k) || !shared_key_valid(key, keylen))
		return true; /* not ours to keep */
	memcpy(k, key, keylen);
	k[keylen] = '\0';
	h = shared_hash(k);
	for (m = sh->buckets[h]; m; m = m->next)
		if (strcmp(m->key, k) == 0)
			break;
	if (!m) {
		if (sh->n_mirrored >= SHARED_MAX_SERVERS || !(m = calloc(1, sizeof(*m)))) {
			sh->st.forgotten++;
			return false;
		}
		memcpy(m->key, k, keylen + 1);
		m->next = sh->buckets[h];
		sh->buckets[h] = m;
		sh->n_mirrored++;
		redis_url_copy(m->sensor, sizeof(m->sensor), sensor,
			       sensorlen < sizeof(m->sensor) ? sensorlen : sizeof(m->sensor) - 1);
		m->ts_us = ts_us;
		m->broken = broken;
		return false;
	}
	if (ts_us < m->ts_us)
		return true; /* an older failure */
	redis_url_copy(m->sensor, sizeof(m->sensor), sensor,
		       sensorlen < sizeof(m->sensor) ? sensorlen : sizeof(m->sensor) - 1);
	m->ts_us = ts_us;
	m->broken = broken;
	return true;
}

/* The mirrored fact of key (lock held), or NULL. */
static struct mirror_node *
mirror_get(struct shared *sh, const char *k)
{
	struct mirror_node *m;

	for (m = sh->buckets[shared_hash(k)]; m; m = m->next)
		if (strcmp(m->key, k) == 0)
			return m;
	return NULL;
}

/* The mirrored certificate of server (lock held), or NULL. */
static struct cert_node *
cert_mirror_get(struct shared *sh, const char *server)
{
	struct cert_node *m;

	for (m = sh->cert_buckets[shared_hash(server)]; m; m = m->next)
		if (strcmp(m->key, server) == 0)
			return m;
	return NULL;
}

/* Keeps c as the server's certificate unless the mirror holds one seen as
 * late or later (lock held); whether it was kept. */
static bool
cert_mirror_put(struct shared *sh, const char *server, const struct shared_cert *c)
{
	struct cert_node *m = cert_mirror_get(sh, server);
	uint32_t h;

	if (m) {
		if (c->last_us <= m->c.last_us)
			return false;
		m->c = *c;
		return true;
	}
	if (sh->n_certs >= SHARED_MAX_CERTS || !(m = calloc(1, sizeof(*m)))) {
		sh->st.forgotten++;
		return false;
	}
	snprintf(m->key, sizeof(m->key), "%s", server);
	m->c = *c;
	h = shared_hash(server);
	m->next = sh->cert_buckets[h];
	sh->cert_buckets[h] = m;
	sh->n_certs++;
	return true;
}

/* ---- a certificate's value ------------------------------------------------- */

size_t
shared_cert_encode(const struct shared_cert *c, char *out, size_t outsz)
{
	char hex[2 * sizeof(c->sha256) + 1], sensor[sizeof(c->sensor)], issuer[SHARED_CERT_ISSUER];
	size_t i;
	int n;

	hex_encode(c->sha256, sizeof(c->sha256), hex);
	for (i = 0; i < sizeof(sensor) - 1 && c->sensor[i]; i++)
		sensor[i] = c->sensor[i] > ' ' && c->sensor[i] < 0x7f ? c->sensor[i] : '_';
	sensor[i] = '\0';
	if (i == 0)
		snprintf(sensor, sizeof(sensor), "-");
	for (i = 0; i < sizeof(issuer) - 1 && c->issuer[i]; i++)
		issuer[i] = c->issuer[i] >= ' ' && c->issuer[i] < 0x7f ? c->issuer[i] : '?';
	issuer[i] = '\0';
	n = snprintf(out, outsz, "%s %s %" PRIu64 " %s%s%s", hex, c->self_signed ? "self" : "other",
		     c->last_us, sensor, issuer[0] ? " " : "", issuer);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz)
			out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

bool
shared_cert_decode(const char *text, size_t n, struct shared_cert *c)
{
	const char *p = text, *end = text + n, *w[4] = {0}, *issuer = end;
	size_t wl[4] = {0}, il = 0;
	char hex[2 * sizeof(c->sha256) + 1];

	memset(c, 0, sizeof(*c));
	if (!text || memchr(text, '\0', n))
		return false;
	/* Four words, one space apart, then the issuer (the rest). */
	for (int i = 0; i < 4; i++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p)), *e = sp ? sp : end;

		if (e == p)
			return false; /* a word missing, or two spaces */
		w[i] = p;
		wl[i] = (size_t)(e - p);
		if (!sp && i < 3)
			return false;
		p = sp ? sp + 1 : end;
		if (sp && i == 3) {
			issuer = p;
			il = (size_t)(end - p);
		}
	}
	if (wl[0] != sizeof(hex) - 1)
		return false;
	memcpy(hex, w[0], wl[0]);
	hex[wl[0]] = '\0';
	if (!hex_decode(hex, c->sha256, sizeof(c->sha256)))
		return false;
	if (wl[1] == 4 && memcmp(w[1], "self", 4) == 0)
		c->self_signed = true;
	else if (!(wl[1] == 5 && memcmp(w[1], "other", 5) == 0))
		return false;
	for (size_t i = 0; i < wl[2]; i++) {
		if (w[2][i] < '0' || w[2][i] > '9' || c->last_us > (UINT64_MAX - 9) / 10)
			return false;
		c->last_us = c->last_us * 10 + (uint64_t)(w[2][i] - '0');
	}
	if (wl[3] >= sizeof(c->sensor))
		return false;
	for (size_t i = 0; i < wl[3]; i++)
		if (w[3][i] <= ' ' || w[3][i] >= 0x7f)
			return false;
	memcpy(c->sensor, w[3], wl[3]);
	for (size_t i = 0; i < il; i++)
		if (issuer[i] < ' ' || issuer[i] >= 0x7f)
			return false;
	if (il >= sizeof(c->issuer))
		il = sizeof(c->issuer) - 1; /* cut, as a state file's is */
	memcpy(c->issuer, issuer, il);
	c->issuer[il] = '\0';
	return true;
}

/* ---- the public side ------------------------------------------------------- */

bool
shared_offered(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
	       char *by, size_t bysz)
{
	char k[SHARED_KEY_LEN];
	struct mirror_node *m;
	bool found = false;

	if (!sh || !shared_server_text(k, family, ip, port, l4))
		return false;
	pthread_mutex_lock(&sh->lock);
	if ((m = mirror_get(sh, k)) != NULL) {
		found = true;
		if (by && bysz)
			snprintf(by, bysz, "%s", m->sensor);
	}
	pthread_mutex_unlock(&sh->lock);
	return found;
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
	struct mirror_node *m;
	bool found = false;

	if (!sh ||
	    !shared_pair_text(k, family, server_ip, port, l4, client_ip, client, sizeof(client)))
		return false;
	pthread_mutex_lock(&sh->lock);
	if ((m = mirror_get(sh, k)) != NULL) {
		found = true;
		*ts_us = m->ts_us;
		*broken = m->broken;
		if (by && bysz)
			snprintf(by, bysz, "%s", m->sensor);
	}
	pthread_mutex_unlock(&sh->lock);
	return found;
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
	mirror_put(sh, k, strlen(k), sh->sensor, strlen(sh->sensor), ts_us, broken);
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
	mirror_put(sh, p.key, strlen(p.key), sh->sensor, strlen(sh->sensor), 0, false);
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
	if ((m = cert_mirror_get(sh, k)) != NULL) {
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
	m = cert_mirror_get(sh, k);
	/* Nothing to say: the shared state holds a later one (another sensor's
	 * news, or packet times that stepped back), or this one, written
	 * recently enough. */
	if (m &&
	    (c->last_us < m->c.last_us || (memcmp(m->c.sha256, c->sha256, sizeof(c->sha256)) == 0 &&
					   c->last_us - m->c.last_us < sh->cert_refresh_us))) {
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	cert_mirror_put(sh, k, &mine);
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
static void
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

/* ---- the thread ------------------------------------------------------------ */

static void
shared_error(struct shared *sh)
{
	pthread_mutex_lock(&sh->lock);
	sh->st.errors++;
	pthread_mutex_unlock(&sh->lock);
}

static void
shared_disconnect(struct shared *sh)
{
	if (sh->cmd)
		redisFree(sh->cmd);
	if (sh->sub)
		redisFree(sh->sub);
	sh->cmd = sh->sub = NULL;
	pthread_mutex_lock(&sh->lock);
	sh->st.up = false;
	pthread_mutex_unlock(&sh->lock);
}

static redisContext *
shared_connect_one(struct shared *sh)
{
	char why[300];

	return redis_connect(sh->t.host, sh->t.port, sh->t.password, sh->t.db, why, sizeof(why));
}

/* One announcement: on PREFIX:offers "SERVER SENSOR" (an offer) or
 * "fail SERVER>CLIENT TS BROKEN SENSOR" (a failed handshake); on
 * PREFIX:policies "policy NONCE SENSOR LINE" (a mail policy fact); on
 * PREFIX:certs "cert SERVER VALUE" (a server's certificate). A message
 * on the offers channel whose first word is not a server (a policy fact of a
 * sensor that still announces them there, say) is not an offer. */
static void
shared_take_message(struct shared *sh, const redisReply *r)
{
	const redisReply *c, *m;
	char buf[640], key[SHARED_KEY_LEN + INET6_ADDRSTRLEN], sensor[SHARED_NAME_LEN];
	unsigned long long ts;
	unsigned broken;
	bool fresh;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0)
		return;
	c = r->element[1];
	m = r->element[2];
	if (c->type != REDIS_REPLY_STRING || m->type != REDIS_REPLY_STRING || m->len == 0 ||
	    m->len >= sizeof(buf))
		return;
	memcpy(buf, m->str, m->len);
	buf[m->len] = '\0';
	if (strcmp(c->str, sh->policy_channel) == 0) {
		if (strncmp(buf, "policy ", 7) != 0)
			return;
		unsigned long long nonce;
		int used = 0;

		if (sscanf(buf + 7, "%llu %63s %n", &nonce, sensor, &used) != 2 || used == 0 ||
		    nonce == sh->nonce)
			return; /* not one, or this sensor's own */
		pthread_mutex_lock(&sh->lock);
		sh->st.policy_received++;
		shared_policy_in(sh, buf + 7 + used, strlen(buf + 7 + used));
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	if (strcmp(c->str, sh->cert_channel) == 0) {
		struct shared_cert sc;
		char *sp = strncmp(buf, "cert ", 5) == 0 ? strchr(buf + 5, ' ') : NULL;

		if (!sp || !shared_server_valid(buf + 5, (size_t)(sp - buf - 5)) ||
		    !shared_cert_decode(sp + 1, strlen(sp + 1), &sc))
			return;
		*sp = '\0';
		pthread_mutex_lock(&sh->lock);
		sh->st.cert_received += cert_mirror_put(sh, buf + 5, &sc);
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	if (strcmp(c->str, sh->channel) != 0)
		return;
	if (strncmp(buf, "fail ", 5) == 0) {
		if (sscanf(buf + 5, "%109s %llu %u %63s", key, &ts, &broken, sensor) != 4 ||
		    !strchr(key, '>') || !shared_key_valid(key, strlen(key)))
			return;
	} else if (sscanf(buf, "%63s %63s", key, sensor) == 2 &&
		   shared_server_valid(key, strlen(key))) {
		ts = 0;
		broken = 0;
	} else {
		return;
	}
	pthread_mutex_lock(&sh->lock);
	fresh = !mirror_put(sh, key, strlen(key), sensor, strlen(sensor), ts, broken != 0);
	sh->st.received += fresh;
	if (fresh && ts == 0)
		shared_arrival_note(sh, key, sensor); /* an offer */
	pthread_mutex_unlock(&sh->lock);
}

/* Reads the facts of one kind kept in Redis into the mirror: SCAN
 * PREFIX:KIND:*, then HMGET sensor ts broken of each. Keys are
 * PREFIX:offer:{SERVER} and PREFIX:fail:{SERVER}:CLIENT. False when the
 * connection failed. */
static bool
shared_load_kind(struct shared *sh, const char *kind)
{
	char cursor[32] = "0", match[SHARED_KEY_LEN + 16];
	size_t plen = strlen(sh->t.prefix) + strlen(kind) + 2; /* "PREFIX:KIND:" */

	snprintf(match, sizeof(match), "%s:%s:*", sh->t.prefix, kind);
	do {
		redisReply *r = redisCommand(sh->cmd, "SCAN %s MATCH %s COUNT 1000", cursor, match);
		redisReply *keys;

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			if (r)
				freeReplyObject(r);
			return false;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++)
			redisAppendCommand(sh->cmd, "HMGET %s sensor ts broken",
					   keys->element[i]->str);
		for (size_t i = 0; i < keys->elements; i++) {
			void *v = NULL;
			redisReply *f;
			const char *k = keys->element[i]->str, *close;
			char fact[SHARED_KEY_LEN + INET6_ADDRSTRLEN];
			size_t klen = strlen(k);

			if (redisGetReply(sh->cmd, &v) != REDIS_OK) {
				freeReplyObject(r);
				return false;
			}
			f = v;
			/* {SERVER} or {SERVER}:CLIENT, into SERVER or SERVER>CLIENT */
			close = klen > plen ? strchr(k + plen, '}') : NULL;
			if (f->type == REDIS_REPLY_ARRAY && f->elements == 3 &&
			    f->element[0]->type == REDIS_REPLY_STRING && close && k[plen] == '{' &&
			    (size_t)(close - k) - plen - 1 < SHARED_KEY_LEN) {
				uint64_t ts = 0;
				bool ok = true;

				snprintf(fact, sizeof(fact), "%.*s",
					 (int)(close - k - (long)plen - 1), k + plen + 1);
				if (strcmp(kind, "fail") == 0) {
					ok = close[1] == ':' && close[2] &&
					     f->element[1]->type == REDIS_REPLY_STRING &&
					     f->element[2]->type == REDIS_REPLY_STRING;
					if (ok) {
						size_t n = strlen(fact);

						snprintf(fact + n, sizeof(fact) - n, ">%s",
							 close + 2);
						ts = strtoull(f->element[1]->str, NULL, 10);
					}
				} else {
					ok = close[1] == '\0';
				}
				if (ok) {
					pthread_mutex_lock(&sh->lock);
					mirror_put(
						sh, fact, strlen(fact), f->element[0]->str,
						f->element[0]->len, ts,
						ok && f->element[2]->type == REDIS_REPLY_STRING &&
							f->element[2]->str[0] == '1');
					sh->st.loaded++;
					pthread_mutex_unlock(&sh->lock);
				}
			}
			freeReplyObject(f);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return true;
}

/* Reads the policy facts kept in Redis: SCAN PREFIX:policy:*, then GET of
 * each, for the caller's thread. False when the connection failed. */
static bool
shared_load_policy(struct shared *sh)
{
	char cursor[32] = "0", match[SHARED_KEY_LEN + 16];

	snprintf(match, sizeof(match), "%s:policy:*", sh->t.prefix);
	do {
		redisReply *r = redisCommand(sh->cmd, "SCAN %s MATCH %s COUNT 1000", cursor, match);
		redisReply *keys;

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			if (r)
				freeReplyObject(r);
			return false;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++)
			redisAppendCommand(sh->cmd, "GET %b", keys->element[i]->str,
					   keys->element[i]->len);
		for (size_t i = 0; i < keys->elements; i++) {
			void *v = NULL;
			redisReply *f;

			if (redisGetReply(sh->cmd, &v) != REDIS_OK) {
				freeReplyObject(r);
				return false;
			}
			f = v;
			if (f->type == REDIS_REPLY_STRING) {
				pthread_mutex_lock(&sh->lock);
				sh->st.policy_loaded++;
				shared_policy_in(sh, f->str, f->len);
				pthread_mutex_unlock(&sh->lock);
			}
			freeReplyObject(f);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return true;
}

/* Reads the servers' certificates kept in Redis: SCAN PREFIX:cert:*, then
 * GET of each, into the mirror. Keys are PREFIX:cert:{SERVER}; a key or
 * value that is not one is skipped. False when the connection failed. */
static bool
shared_load_certs(struct shared *sh)
{
	char cursor[32] = "0", match[SHARED_KEY_LEN + 16];
	size_t plen = strlen(sh->t.prefix) + 6; /* "PREFIX:cert:" */

	snprintf(match, sizeof(match), "%s:cert:*", sh->t.prefix);
	do {
		redisReply *r = redisCommand(sh->cmd, "SCAN %s MATCH %s COUNT 1000", cursor, match);
		redisReply *keys;

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			if (r)
				freeReplyObject(r);
			return false;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++)
			redisAppendCommand(sh->cmd, "GET %b", keys->element[i]->str,
					   keys->element[i]->len);
		for (size_t i = 0; i < keys->elements; i++) {
			const redisReply *k = keys->element[i];
			void *v = NULL;
			redisReply *f;
			struct shared_cert sc;
			char server[SHARED_KEY_LEN];
			size_t slen = k->len > plen + 2 ? k->len - plen - 2 : 0;

			if (redisGetReply(sh->cmd, &v) != REDIS_OK) {
				freeReplyObject(r);
				return false;
			}
			f = v;
			/* {SERVER}, the braces around all of the rest */
			if (f->type == REDIS_REPLY_STRING && slen > 0 && slen < sizeof(server) &&
			    k->str[plen] == '{' && k->str[k->len - 1] == '}' &&
			    shared_server_valid(k->str + plen + 1, slen) &&
			    shared_cert_decode(f->str, f->len, &sc)) {
				memcpy(server, k->str + plen + 1, slen);
				server[slen] = '\0';
				pthread_mutex_lock(&sh->lock);
				cert_mirror_put(sh, server, &sc);
				sh->st.cert_loaded++;
				pthread_mutex_unlock(&sh->lock);
			}
			freeReplyObject(f);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return true;
}

static bool
shared_load(struct shared *sh)
{
	return shared_load_kind(sh, "offer") && shared_load_kind(sh, "fail") &&
	       shared_load_policy(sh) && shared_load_certs(sh);
}

/* Both connections, the subscription, the load. */
static bool
shared_connect(struct shared *sh)
{
	redisReply *r;

	if (!(sh->sub = shared_connect_one(sh)) || !(sh->cmd = shared_connect_one(sh)))
		goto fail;
	/* Three confirmations, one a channel. */
	r = redisCommand(sh->sub, "SUBSCRIBE %s %s %s", sh->channel, sh->policy_channel,
			 sh->cert_channel);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		goto fail;
	}
	freeReplyObject(r);
	for (int i = 0; i < 2; i++) {
		r = NULL;
		if (redisGetReply(sh->sub, (void **)&r) != REDIS_OK || !r ||
		    r->type != REDIS_REPLY_ARRAY) {
			if (r)
				freeReplyObject(r);
			goto fail;
		}
		freeReplyObject(r);
	}
	if (!shared_load(sh))
		goto fail;
	pthread_mutex_lock(&sh->lock);
	sh->st.reconnects += sh->ever_up;
	sh->st.up = true;
	pthread_mutex_unlock(&sh->lock);
	sh->ever_up = true;
	return true;
fail:
	shared_error(sh);
	shared_disconnect(sh);
	return false;
}

/* Reads the k replies of one pipelined fact: false when the connection
 * failed; *ok false when Redis answered any of them with an error. */
static bool
shared_replies(struct shared *sh, int k, bool *ok)
{
	*ok = true;
	for (int j = 0; j < k; j++) {
		void *v = NULL;

		if (redisGetReply(sh->cmd, &v) != REDIS_OK)
			return false;
		*ok = *ok && ((redisReply *)v)->type != REDIS_REPLY_ERROR;
		freeReplyObject(v);
	}
	return true;
}

/*
 * Reads the answers to n pipelined facts of k replies each, counting each
 * fact in *sent or (with errors) in *dropped, and takes the facts answered
 * off their queue (head, len, of qsize slots). Returns how many were
 * answered: fewer than n when the connection failed (the rest stay
 * queued).
 */
static size_t
shared_settle(struct shared *sh, size_t n, int k, uint64_t *sent, uint64_t *dropped, size_t *head,
	      size_t *len, size_t qsize)
{
	size_t done = 0;

	for (; done < n; done++) {
		bool ok;

		if (!shared_replies(sh, k, &ok))
			break;
		pthread_mutex_lock(&sh->lock);
		if (ok) {
			(*sent)++;
		} else {
			sh->st.errors++;
			(*dropped)++;
		}
		pthread_mutex_unlock(&sh->lock);
	}
	pthread_mutex_lock(&sh->lock);
	*head = (*head + done) % qsize;
	*len -= done;
	pthread_mutex_unlock(&sh->lock);
	return done;
}

/* Sends up to SHARED_BATCH queued facts; false when the connection failed
 * (what was not answered stays queued). */
static bool
shared_send(struct shared *sh)
{
	struct pending batch[SHARED_BATCH];
	size_t n = 0, done = 0;
	char key[SHARED_KEY_LEN + INET6_ADDRSTRLEN + 80], ts[24], ttl[16], msg[256];

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_BATCH && n < sh->q_len) {
		batch[n] = sh->queue[(sh->q_head + n) % SHARED_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct pending *p = &batch[i];

		snprintf(ts, sizeof(ts), "%" PRIu64, p->ts_us);
		if (p->kind == PENDING_SESSION) {
			snprintf(key, sizeof(key), "%.63s:server:{%.63s}", sh->t.prefix, p->key);
			snprintf(ttl, sizeof(ttl), "%u", sh->t.ttl_s);
			redisAppendCommand(sh->cmd, "HINCRBY %s sessions 1", key);
			redisAppendCommand(sh->cmd, "HINCRBY %s v:%s 1", key, p->verdict);
			redisAppendCommand(sh->cmd, "HINCRBY %s logins %u", key, p->logins);
			redisAppendCommand(sh->cmd, "HINCRBY %s alerted %d", key, p->alerted);
			redisAppendCommand(sh->cmd, "HINCRBY %s %s %d", key,
					   p->offer == 0 ? "notoffered" : "offered",
					   p->offer != -1);
			redisAppendCommand(sh->cmd, "HINCRBY %s s:%s 1", key, sh->sensor);
			redisAppendCommand(sh->cmd, "HMSET %s service %s last %s", key, p->service,
					   ts);
			redisAppendCommand(sh->cmd, "EXPIRE %s %s", key, ttl);
			continue;
		}
		if (p->kind == PENDING_FAIL) {
			snprintf(key, sizeof(key), "%.63s:fail:{%.63s}:%.45s", sh->t.prefix, p->key,
				 p->client);
			snprintf(ttl, sizeof(ttl), "%u", p->ttl_s ? p->ttl_s : 1);
			snprintf(msg, sizeof(msg), "fail %.63s>%.45s %s %d %.63s", p->key,
				 p->client, ts, p->broken, sh->sensor);
			redisAppendCommand(sh->cmd, "HMSET %s ts %s broken %s sensor %s", key, ts,
					   p->broken ? "1" : "0", sh->sensor);
		} else {
			snprintf(key, sizeof(key), "%.63s:offer:{%.63s}", sh->t.prefix, p->key);
			snprintf(ttl, sizeof(ttl), "%u", sh->t.ttl_s);
			snprintf(msg, sizeof(msg), "%.63s %.63s", p->key, sh->sensor);
			redisAppendCommand(sh->cmd, "HSETNX %s first %s", key, ts);
			redisAppendCommand(sh->cmd, "HMSET %s service %s sensor %s last %s", key,
					   p->service, sh->sensor, ts);
		}
		redisAppendCommand(sh->cmd, "EXPIRE %s %s", key, ttl);
		redisAppendCommand(sh->cmd, "PUBLISH %s %s", sh->channel, msg);
	}
	for (; done < n; done++) {
		static const int replies[] = {
			[PENDING_OFFER] = 4, [PENDING_FAIL] = 3, [PENDING_SESSION] = 8};
		bool ok;

		if (!shared_replies(sh, replies[batch[done].kind], &ok))
			goto out;
		pthread_mutex_lock(&sh->lock);
		if (ok && batch[done].kind == PENDING_SESSION) {
			sh->st.counted++;
		} else if (ok) {
			sh->st.sent++;
		} else {
			sh->st.errors++;
			sh->st.dropped++;
		}
		pthread_mutex_unlock(&sh->lock);
	}
out:
	pthread_mutex_lock(&sh->lock);
	sh->q_head = (sh->q_head + done) % SHARED_QUEUE;
	sh->q_len -= done;
	pthread_mutex_unlock(&sh->lock);
	return done == n;
}

/* Sends up to SHARED_BATCH queued policy facts: SET with the TTL, and the
 * announcement; false when the connection failed (what was not answered
 * stays queued). */
static bool
shared_send_policy(struct shared *sh)
{
	struct policy_out batch[SHARED_POLICY_BATCH];
	size_t n = 0;
	char key[SHARED_KEY_LEN + 320], msg[SHARED_POLICY_LINE + 100];

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_POLICY_BATCH && n < sh->pout_len) {
		batch[n] = sh->pout[(sh->pout_head + n) % SHARED_POLICY_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct policy_out *o = &batch[i];

		snprintf(key, sizeof(key), "%.63s:policy:{%.127s}:%.159s", sh->t.prefix, o->name,
			 o->id);
		snprintf(msg, sizeof(msg), "policy %" PRIu64 " %s %s", sh->nonce, sh->sensor,
			 o->line);
		redisAppendCommand(sh->cmd, "SET %s %s EX %u", key, o->line, o->ttl_s);
		redisAppendCommand(sh->cmd, "PUBLISH %s %s", sh->policy_channel, msg);
	}
	return shared_settle(sh, n, 2, &sh->st.policy_sent, &sh->st.policy_dropped, &sh->pout_head,
			     &sh->pout_len, SHARED_POLICY_QUEUE) == n;
}

/* Sends up to SHARED_CERT_BATCH queued certificates: SET with the TTL of
 * the offers, and the announcement; false when the connection failed (what
 * was not answered stays queued). */
static bool
shared_send_certs(struct shared *sh)
{
	struct cert_out batch[SHARED_CERT_BATCH];
	size_t n = 0;
	char key[SHARED_KEY_LEN + 80], msg[SHARED_KEY_LEN + SHARED_CERT_TEXT + 8];

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_CERT_BATCH && n < sh->cout_len) {
		batch[n] = sh->cout[(sh->cout_head + n) % SHARED_CERT_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct cert_out *o = &batch[i];

		snprintf(key, sizeof(key), "%.63s:cert:{%.63s}", sh->t.prefix, o->key);
		snprintf(msg, sizeof(msg), "cert %.63s %.255s", o->key, o->value);
		redisAppendCommand(sh->cmd, "SET %s %s EX %u", key, o->value, sh->t.ttl_s);
		redisAppendCommand(sh->cmd, "PUBLISH %s %s", sh->cert_channel, msg);
	}
	return shared_settle(sh, n, 2, &sh->st.cert_sent, &sh->st.cert_dropped, &sh->cout_head,
			     &sh->cout_len, SHARED_CERT_QUEUE) == n;
}

/* Takes what the subscription brought, waiting at most SHARED_POLL_MS. */
static bool
shared_listen(struct shared *sh, int wait_ms)
{
	struct pollfd pfd = {.fd = sh->sub->fd, .events = POLLIN};
	void *v = NULL;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return true;
	if (redisBufferRead(sh->sub) != REDIS_OK)
		return false;
	while (redisGetReplyFromReader(sh->sub, &v) == REDIS_OK && v) {
		shared_take_message(sh, v);
		freeReplyObject(v);
		v = NULL;
	}
	return sh->sub->err == 0;
}

static bool
shared_past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *
shared_main(void *arg)
{
	struct shared *sh = arg;
	unsigned backoff = 0;

	for (;;) {
		bool stopping, empty;

		pthread_mutex_lock(&sh->lock);
		stopping = sh->stopping;
		empty = sh->q_len == 0 && sh->pout_len == 0 && sh->cout_len == 0 &&
			sh->feed_len == 0;
		if (stopping && (empty || shared_past(&sh->deadline))) {
			pthread_mutex_unlock(&sh->lock);
			break;
		}
		if (!sh->cmd && backoff) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += backoff / 1000;
			until.tv_nsec += (long)(backoff % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			/* The back-off holds while draining at the end too (never past
			 * the deadline): a stop request only shortens it. */
			while (pthread_cond_timedwait(&sh->cond, &sh->lock, &until) != ETIMEDOUT)
				if (sh->stopping && shared_past(&sh->deadline))
					break;
			if (sh->stopping && shared_past(&sh->deadline)) {
				pthread_mutex_unlock(&sh->lock);
				break;
			}
		}
		pthread_mutex_unlock(&sh->lock);
		if (!sh->cmd) {
			if (!shared_connect(sh)) {
				backoff = backoff ? backoff * 2 : SHARED_BACKOFF_MIN_MS;
				if (backoff > SHARED_BACKOFF_MAX_MS)
					backoff = SHARED_BACKOFF_MAX_MS;
				continue;
			}
			backoff = 0;
		}
		if (!shared_send(sh) || !shared_send_policy(sh) || !shared_send_certs(sh) ||
		    !shared_send_feed(sh) || !shared_listen(sh, empty ? SHARED_POLL_MS : 0)) {
			shared_error(sh);
			shared_disconnect(sh);
			backoff = SHARED_BACKOFF_MIN_MS;
		}
	}
	shared_disconnect(sh);
	return NULL;
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
	clock_gettime(CLOCK_REALTIME, &sh->deadline);
	sh->deadline.tv_sec += wait_ms / 1000;
	sh->deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (sh->deadline.tv_nsec >= 1000000000L) {
		sh->deadline.tv_sec++;
		sh->deadline.tv_nsec -= 1000000000L;
	}
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

/* Sends up to SHARED_BATCH queued feed records, pipelined; false when the
 * connection failed (what was not answered stays queued). A record Redis
 * refuses (the key holds another type) is dropped and counted. */
static bool
shared_send_feed(struct shared *sh)
{
	struct feed_rec *batch[SHARED_BATCH];
	char key[2][SHARED_KEY_LEN + 16];
	size_t n = 0, done = 0;

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_BATCH && n < sh->feed_len) {
		batch[n] = sh->feed[(sh->feed_head + n) % SHARED_FEED_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	snprintf(key[0], sizeof(key[0]), "%s:sessions", sh->t.prefix);
	snprintf(key[1], sizeof(key[1]), "%s:alerts", sh->t.prefix);
	for (size_t i = 0; i < n; i++)
		redisAppendCommand(sh->cmd, "XADD %s MAXLEN ~ %u * r %b", key[batch[i]->alert],
				   sh->t.feed_max, batch[i]->line, batch[i]->n);
	done = shared_settle(sh, n, 1, &sh->st.feed_sent, &sh->st.feed_dropped, &sh->feed_head,
			     &sh->feed_len, SHARED_FEED_QUEUE);
	for (size_t i = 0; i < done; i++)
		free(batch[i]); /* off the queue: the rest stay there, still owned */
	return done == n;
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
