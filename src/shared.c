/*
 * shared.c - the servers' upgrade offers shared by several sensors through
 * Redis (shared.h says what is kept where, and why).
 *
 * Two connections: one for commands (the load at start, this sensor's offers)
 * and one subscribed to PREFIX:offers. The subscription comes first and the
 * load after it, so that an offer written between the two is not missed (it
 * may come twice: the mirror does not mind).
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

#include "redisconn.h"
#include "shared.h"

#define SHARED_BUCKETS 16384
#define SHARED_KEY_LEN 64 /* "6/" + an IPv6 address + "/65535/tcp" */
#define SHARED_NAME_LEN 64
#define SHARED_BATCH 256
#define SHARED_BACKOFF_MIN_MS 100
#define SHARED_BACKOFF_MAX_MS 5000
#define SHARED_POLL_MS 100

struct mirror_node {
	struct mirror_node *next;
	char key[SHARED_KEY_LEN];
	char sensor[SHARED_NAME_LEN];
};

struct pending {
	char key[SHARED_KEY_LEN];
	char service[16];
	uint64_t ts_us;
};

struct shared {
	struct shared_target t;
	char sensor[SHARED_NAME_LEN];
	char channel[SHARED_KEY_LEN + 16];
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	struct mirror_node *buckets[SHARED_BUCKETS];
	size_t n_mirrored;
	struct pending queue[SHARED_QUEUE]; /* a ring */
	size_t q_head, q_len;
	bool stopping;		 /* drain, then stop */
	struct timespec deadline; /* ... at most until then */
	struct shared_stats st;

	/* The thread's own. */
	redisContext *cmd, *sub;
	bool ever_up;
};

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
		} else if (n > 4 && strncmp(p, "ttl=", 4) == 0) {
			ok = redis_url_number(p + 4, n - 4, 10ull * 365 * 86400, &v) && v > 0;
			t->ttl_s = (unsigned)v;
		} else {
			snprintf(err, errsz, "%s: unknown parameter '%.*s' (prefix=P, ttl=SECONDS)",
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

/* "4/192.0.2.10/25/tcp": the server as the keys and the channel name it. */
static bool
shared_server_text(char *out, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4)
{
	char addr[INET6_ADDRSTRLEN];

	if ((family != 4 && family != 6) || (l4 != 6 && l4 != 17) ||
	    !inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, addr, sizeof(addr)))
		return false;
	snprintf(out, SHARED_KEY_LEN, "%u/%s/%u/%s", family, addr, port, l4 == 6 ? "tcp" : "udp");
	return true;
}

/* Whether text is a server as shared_server_text writes it. */
static bool
shared_server_valid(const char *text, size_t n)
{
	char buf[SHARED_KEY_LEN], addr[INET6_ADDRSTRLEN], l4[4];
	unsigned family, port;
	uint8_t ip[16];
	int used = 0;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	for (char *c = buf; *c; c++)
		if (*c == '/')
			*c = ' ';
	if (sscanf(buf, "%u %45s %u %3s%n", &family, addr, &port, l4, &used) != 4 ||
	    (size_t)used != n || (family != 4 && family != 6) || port == 0 || port > 65535 ||
	    (strcmp(l4, "tcp") != 0 && strcmp(l4, "udp") != 0))
		return false;
	return inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, ip) == 1;
}

static uint32_t
shared_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % SHARED_BUCKETS;
}

/* Adds or refreshes one offer (lock held); false when it was new. */
static bool
mirror_put(struct shared *sh, const char *key, size_t keylen, const char *sensor, size_t sensorlen)
{
	char k[SHARED_KEY_LEN];
	struct mirror_node *m;
	uint32_t h;

	if (!shared_server_valid(key, keylen))
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
		return false;
	}
	redis_url_copy(m->sensor, sizeof(m->sensor), sensor,
		    sensorlen < sizeof(m->sensor) ? sensorlen : sizeof(m->sensor) - 1);
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
	for (m = sh->buckets[shared_hash(k)]; m; m = m->next)
		if (strcmp(m->key, k) == 0) {
			found = true;
			if (by && bysz)
				snprintf(by, bysz, "%s", m->sensor);
			break;
		}
	pthread_mutex_unlock(&sh->lock);
	return found;
}

void
shared_offer(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
	     const char *service, uint64_t ts_us)
{
	struct pending *p;
	char k[SHARED_KEY_LEN];

	if (!sh || !shared_server_text(k, family, ip, port, l4))
		return;
	pthread_mutex_lock(&sh->lock);
	mirror_put(sh, k, strlen(k), sh->sensor, strlen(sh->sensor));
	if (sh->q_len == SHARED_QUEUE) {
		sh->st.dropped++;
	} else {
		p = &sh->queue[(sh->q_head + sh->q_len++) % SHARED_QUEUE];
		memcpy(p->key, k, sizeof(k));
		snprintf(p->service, sizeof(p->service), "%s", service ? service : "");
		p->ts_us = ts_us;
		pthread_cond_signal(&sh->cond);
	}
	pthread_mutex_unlock(&sh->lock);
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

/* One announcement on the channel: "SERVER SENSOR". */
static void
shared_take_message(struct shared *sh, const redisReply *r)
{
	const redisReply *m;
	const char *sp;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0)
		return;
	m = r->element[2];
	if (m->type != REDIS_REPLY_STRING || !(sp = memchr(m->str, ' ', m->len)))
		return;
	pthread_mutex_lock(&sh->lock);
	if (!mirror_put(sh, m->str, (size_t)(sp - m->str), sp + 1, m->len - (size_t)(sp - m->str) - 1))
		sh->st.received++;
	pthread_mutex_unlock(&sh->lock);
}

/* Reads every offer kept in Redis into the mirror (SCAN, then the sensor of
 * each). False when the connection failed. */
static bool
shared_load(struct shared *sh)
{
	char cursor[32] = "0", match[SHARED_KEY_LEN + 16];
	size_t plen = strlen(sh->t.prefix) + 7; /* "PREFIX:offer:" */

	snprintf(match, sizeof(match), "%s:offer:*", sh->t.prefix);
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
			redisAppendCommand(sh->cmd, "HGET %s sensor", keys->element[i]->str);
		for (size_t i = 0; i < keys->elements; i++) {
			void *v = NULL;
			redisReply *s;
			const char *k = keys->element[i]->str;
			size_t klen = strlen(k);

			if (redisGetReply(sh->cmd, &v) != REDIS_OK) {
				freeReplyObject(r);
				return false;
			}
			s = v;
			/* PREFIX:offer:{SERVER} */
			if (s->type == REDIS_REPLY_STRING && klen > plen + 2 && k[plen] == '{' &&
			    k[klen - 1] == '}') {
				pthread_mutex_lock(&sh->lock);
				mirror_put(sh, k + plen + 1, klen - plen - 2, s->str, s->len);
				sh->st.loaded++;
				pthread_mutex_unlock(&sh->lock);
			}
			freeReplyObject(s);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return true;
}

/* Both connections, the subscription, the load. */
static bool
shared_connect(struct shared *sh)
{
	redisReply *r;

	if (!(sh->sub = shared_connect_one(sh)) || !(sh->cmd = shared_connect_one(sh)))
		goto fail;
	r = redisCommand(sh->sub, "SUBSCRIBE %s", sh->channel);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		goto fail;
	}
	freeReplyObject(r);
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

/* Sends up to SHARED_BATCH queued offers; false when the connection failed
 * (what was not answered stays queued). */
static bool
shared_send(struct shared *sh)
{
	struct pending batch[SHARED_BATCH];
	size_t n = 0, done = 0;
	char key[SHARED_KEY_LEN + 80], ts[24], ttl[16], msg[SHARED_KEY_LEN + SHARED_NAME_LEN + 2];

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_BATCH && n < sh->q_len) {
		batch[n] = sh->queue[(sh->q_head + n) % SHARED_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	snprintf(ttl, sizeof(ttl), "%u", sh->t.ttl_s);
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%.63s:offer:{%.63s}", sh->t.prefix, batch[i].key);
		snprintf(ts, sizeof(ts), "%" PRIu64, batch[i].ts_us);
		snprintf(msg, sizeof(msg), "%.63s %.63s", batch[i].key, sh->sensor);
		redisAppendCommand(sh->cmd, "HSETNX %s first %s", key, ts);
		redisAppendCommand(sh->cmd, "HMSET %s service %s sensor %s last %s", key,
				   batch[i].service, sh->sensor, ts);
		redisAppendCommand(sh->cmd, "EXPIRE %s %s", key, ttl);
		redisAppendCommand(sh->cmd, "PUBLISH %s %s", sh->channel, msg);
	}
	for (; done < n; done++) {
		bool ok = true;

		for (int j = 0; j < 4; j++) {
			void *v = NULL;

			if (redisGetReply(sh->cmd, &v) != REDIS_OK)
				goto out;
			ok = ok && ((redisReply *)v)->type != REDIS_REPLY_ERROR;
			freeReplyObject(v);
		}
		pthread_mutex_lock(&sh->lock);
		if (ok) {
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
		empty = sh->q_len == 0;
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
			if (stopping && shared_past(&sh->deadline)) {
				pthread_mutex_unlock(&sh->lock);
				break;
			}
			while (!sh->stopping &&
			       pthread_cond_timedwait(&sh->cond, &sh->lock, &until) != ETIMEDOUT)
				;
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
		if (!shared_send(sh) || !shared_listen(sh, empty ? SHARED_POLL_MS : 0)) {
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
	if (out)
		*out = sh->st;
	for (size_t i = 0; i < SHARED_BUCKETS; i++)
		while (sh->buckets[i]) {
			struct mirror_node *m = sh->buckets[i];

			sh->buckets[i] = m->next;
			free(m);
		}
	pthread_mutex_destroy(&sh->lock);
	pthread_cond_destroy(&sh->cond);
	free(sh);
}
