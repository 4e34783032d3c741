/*
 * redis.c - JSON Lines into Redis (see redisout.h).
 *
 * One sender thread per target: it takes up to REDISOUT_BATCH records off
 * the queue, sends them pipelined (hiredis's blocking context, with time
 * limits) and reads their replies. A connection error puts the records not
 * yet acknowledged back at the head of the queue and waits (100 ms,
 * doubling to 2 s) before it connects again, so a record may be sent twice
 * across a reconnection but never lost while it is queued (at-least-once).
 * A record Redis refuses (an error reply: a key of another type, say) is
 * dropped and counted, never retried; an error reply that means "not now"
 * (OOM, LOADING, READONLY ...) is treated as a lost connection.
 *
 * With a spool (--json-spool, spool.h) the sender also does all the disk
 * work, so that capture never waits on it: when Redis cannot be reached,
 * the queue is written to the spool instead of waiting in memory; when the
 * connection works, the spool is replayed before the queue; at the end,
 * what could not be sent is written there for the next run. Records leave
 * the queue for the spool only in order, at the spool's end: the spool
 * holds the oldest records, the queue the newer ones.
 */
#include "redisout.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redisconn.h"
#include "spool.h"

#define REDISOUT_BATCH 256
#define REDISOUT_BACKOFF_MIN_MS 100
#define REDISOUT_BACKOFF_MAX_MS 2000

struct redisout_rec {
	struct redisout_rec *next;
	size_t len;
	char data[];
};

struct redisout {
	struct redisout_target t;
	FILE *file;
	/* The line being written (the JSON sink writes a record in pieces). */
	char *line;
	size_t line_len, line_cap;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct redisout_rec *head, *tail;
	size_t queued, queued_bytes, queue_cap;
	bool stopping; /* the stream is closed: send what is left, then end */
	bool abandon;  /* the time to drain is over: end now */
	bool finished; /* redisout_finish ran: the sender is gone */
	uint64_t sent, dropped, reconnects, errors;
	char last_error[256];

	/* --json-spool: owned; touched by the sender thread only. */
	struct spool *spool;
	/* Its counters (under lock): records written to it, sent from it,
	 * not taken by it (full or a write failed), failed writes and reads,
	 * what it holds now, and the files set aside (left on disk, their
	 * records not delivered) with the last one's name. */
	uint64_t spooled, replayed, spool_dropped, spool_errors;
	uint64_t spool_bytes, spool_files, spool_partial, spool_skipped;
	char spool_error[256];
	char spool_skipped_name[40];
};

bool
redisout_is_url(const char *s)
{
	return s && strncmp(s, "redis://", 8) == 0;
}

int
redisout_parse(const char *url, struct redisout_target *t, char *err, size_t errsz)
{
	const char *p, *end, *slash, *q;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	t->port = 6379;
	t->db = -1;
	if (!redisout_is_url(url)) {
		snprintf(err, errsz, "'%s' is not a redis:// URL", url);
		return -1;
	}
	p = url + 8;
	q = strchr(p, '?');
	end = q ? q : p + strlen(p);
	slash = memchr(p, '/', (size_t)(end - p));
	if (!slash) {
		snprintf(err, errsz, "%s: no key (redis://HOST[:PORT][/DB]/KEY)", url);
		return -1;
	}
	if (redis_url_authority(url, p, slash, t->host, sizeof(t->host), &t->port, t->password,
				sizeof(t->password), err, errsz) < 0)
		return -1;
	/* [/DB]/KEY: a number followed by another part is the database. */
	p = slash + 1;
	slash = memchr(p, '/', (size_t)(end - p));
	if (slash) {
		if (!redis_url_number(p, (size_t)(slash - p), 1000000, &v)) {
			snprintf(err, errsz, "%s: bad database number", url);
			return -1;
		}
		t->db = (int)v;
		p = slash + 1;
	}
	if (!redis_url_copy(t->key, sizeof(t->key), p, (size_t)(end - p)) || !t->key[0] ||
	    strchr(t->key, '/')) {
		snprintf(err, errsz, "%s: bad key", url);
		return -1;
	}
	/* ?mode=list|channel|stream&maxlen=N */
	t->mode = REDISOUT_LIST;
	for (p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&'), *e = amp ? amp : p + strlen(p);
		size_t n = (size_t)(e - p);

		if (n == 9 && strncmp(p, "mode=list", 9) == 0)
			t->mode = REDISOUT_LIST;
		else if (n == 12 && strncmp(p, "mode=channel", 12) == 0)
			t->mode = REDISOUT_CHANNEL;
		else if (n == 11 && strncmp(p, "mode=stream", 11) == 0)
			t->mode = REDISOUT_STREAM;
		else if (n > 7 && strncmp(p, "maxlen=", 7) == 0 &&
			 redis_url_number(p + 7, n - 7, UINT64_MAX / 2, &v))
			t->maxlen = v;
		else {
			snprintf(err, errsz,
				 "%s: unknown parameter '%.*s' (mode=list|channel|stream, "
				 "maxlen=N)",
				 url, (int)n, p);
			return -1;
		}
		p = amp ? amp + 1 : NULL;
	}
	if (t->maxlen && t->mode != REDISOUT_STREAM) {
		snprintf(err, errsz, "%s: maxlen is for mode=stream", url);
		return -1;
	}
	return 0;
}

/* ---- the queue ------------------------------------------------------------ */

/* Queues one record (called with r->lock held). */
static void
redisout_enqueue(struct redisout *r, const char *p, size_t n)
{
	struct redisout_rec *rec;

	if (r->queued_bytes + n > r->queue_cap || !(rec = malloc(sizeof(*rec) + n))) {
		r->dropped++;
		return;
	}
	rec->next = NULL;
	rec->len = n;
	memcpy(rec->data, p, n);
	if (r->tail)
		r->tail->next = rec;
	else
		r->head = rec;
	r->tail = rec;
	r->queued++;
	r->queued_bytes += n;
	pthread_cond_signal(&r->cond);
}

static bool
redisout_line_grow(struct redisout *r, size_t want)
{
	size_t cap = r->line_cap ? r->line_cap : 4096;
	char *p;

	while (cap < want)
		cap *= 2;
	if (cap == r->line_cap)
		return true;
	p = realloc(r->line, cap);
	if (!p)
		return false;
	r->line = p;
	r->line_cap = cap;
	return true;
}

/* The stream's write: every complete line is one record. Never fails: a
 * record that cannot be queued is counted as dropped. */
static ssize_t
redisout_write(void *cookie, const char *buf, size_t size)
{
	struct redisout *r = cookie;
	size_t off = 0;

	while (off < size) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : size - off;

		if (r->line_len == SIZE_MAX) {
			/* The rest of a line already lost: not kept (SIZE_MAX + n
			 * would wrap and write before the buffer). */
		} else if (redisout_line_grow(r, r->line_len + n + 1)) {
			memcpy(r->line + r->line_len, buf + off, n);
			r->line_len += n;
		} else {
			r->line_len = SIZE_MAX; /* lost: counted when its end comes */
		}
		off += n;
		if (!nl)
			break;
		off++;
		pthread_mutex_lock(&r->lock);
		if (r->line_len == SIZE_MAX)
			r->dropped++;
		else if (r->line_len > 0)
			redisout_enqueue(r, r->line, r->line_len);
		pthread_mutex_unlock(&r->lock);
		r->line_len = 0;
	}
	return (ssize_t)size;
}

static int
redisout_stream_close(void *cookie)
{
	(void)cookie; /* redisout_close does the rest */
	return 0;
}

/* ---- the sender ----------------------------------------------------------- */

static void
redisout_error(struct redisout *r, const char *what, const char *detail)
{
	pthread_mutex_lock(&r->lock);
	snprintf(r->last_error, sizeof(r->last_error), "%s%s%s", what, detail ? ": " : "",
		 detail ? detail : "");
	r->errors++;
	pthread_mutex_unlock(&r->lock);
}

static redisContext *
redisout_connect(struct redisout *r)
{
	char why[200];
	redisContext *c =
		redis_connect(r->t.host, r->t.port, r->t.password, r->t.db, why, sizeof(why));

	if (!c)
		redisout_error(r, why, NULL);
	return c;
}

/* Error replies that say "not now" (out of memory, loading, a replica,
 * a cluster moving): the record is kept and sent again later, as after a
 * lost connection. Any other error is about the record itself. */
static bool
redisout_error_is_transient(const char *msg)
{
	static const char *const words[] = {"OOM",	   "LOADING",	 "BUSY",
					    "READONLY",	   "MASTERDOWN", "TRYAGAIN",
					    "CLUSTERDOWN", "NOREPLICAS", "MISCONF"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if (msg && strncmp(msg, words[i], n) == 0 && (msg[n] == ' ' || !msg[n]))
			return true;
	}
	return false;
}

static void
redisout_append_cmd(struct redisout *r, redisContext *c, const char *data, size_t len)
{
	if (r->t.mode == REDISOUT_LIST)
		redisAppendCommand(c, "RPUSH %s %b", r->t.key, data, len);
	else if (r->t.mode == REDISOUT_CHANNEL)
		redisAppendCommand(c, "PUBLISH %s %b", r->t.key, data, len);
	else if (r->t.maxlen)
		redisAppendCommand(c, "XADD %s MAXLEN ~ %llu * json %b", r->t.key,
				   (unsigned long long)r->t.maxlen, data, len);
	else
		redisAppendCommand(c, "XADD %s * json %b", r->t.key, data, len);
}

/* Reads the replies of n pipelined records; returns how many were answered
 * (sent, or refused and counted) before the connection failed or Redis
 * said "not now" (n: neither happened). */
static size_t
redisout_replies(struct redisout *r, redisContext *c, size_t n, uint64_t *sent, uint64_t *refused)
{
	for (size_t i = 0; i < n; i++) {
		void *v = NULL;
		redisReply *rep;

		if (redisGetReply(c, &v) != REDIS_OK) {
			redisout_error(r, "send", c->errstr);
			return i;
		}
		rep = v;
		if (rep->type == REDIS_REPLY_ERROR && redisout_error_is_transient(rep->str)) {
			redisout_error(r, "busy", rep->str);
			freeReplyObject(rep);
			return i;
		}
		if (rep->type == REDIS_REPLY_ERROR) {
			redisout_error(r, "refused", rep->str);
			(*refused)++;
		} else {
			(*sent)++;
		}
		freeReplyObject(rep);
	}
	return n;
}

/* Sends n records pipelined; as redisout_replies. */
static size_t
redisout_send(struct redisout *r, redisContext *c, struct redisout_rec *batch, size_t n,
	      uint64_t *sent, uint64_t *refused)
{
	for (struct redisout_rec *p = batch; p; p = p->next)
		redisout_append_cmd(r, c, p->data, p->len);
	return redisout_replies(r, c, n, sent, refused);
}

/* The whole queue, taken out of it (called with r->lock held). */
static struct redisout_rec *
redisout_detach(struct redisout *r)
{
	struct redisout_rec *list = r->head;

	r->head = r->tail = NULL;
	r->queued = 0;
	r->queued_bytes = 0;
	return list;
}

static void
redisout_spool_error(struct redisout *r, const char *why)
{
	snprintf(r->spool_error, sizeof(r->spool_error), "%s", why);
	r->spool_errors++;
}

/* The spool's own counters, copied for the other threads (r->lock held). */
static void
redisout_spool_sync(struct redisout *r)
{
	struct spool_counters sc;

	spool_counters(r->spool, &sc);
	r->spool_bytes = sc.bytes;
	r->spool_files = sc.files;
	r->spool_partial = sc.partial;
	r->spool_skipped = sc.skipped;
	snprintf(r->spool_skipped_name, sizeof(r->spool_skipped_name), "%s", sc.skipped_name);
}

/* Writes records (oldest first) to the end of the spool and frees them;
 * those it cannot take (full, or a failed write) are counted. The sender
 * thread, without r->lock: the disk may be slow, capture must not wait. */
static void
redisout_spill(struct redisout *r, struct redisout_rec *list)
{
	uint64_t ok = 0, full = 0, failed = 0;
	char why[256] = "";

	while (list) {
		struct redisout_rec *p = list;
		int rc = spool_append(r->spool, p->data, p->len, why, sizeof(why));

		ok += rc == 0;
		full += rc == 1;
		failed += rc < 0;
		list = p->next;
		free(p);
	}
	pthread_mutex_lock(&r->lock);
	r->spooled += ok;
	r->spool_dropped += full + failed;
	if (failed) {
		redisout_spool_error(r, why);
		r->spool_errors += failed - 1;
	}
	redisout_spool_sync(r);
	pthread_mutex_unlock(&r->lock);
}

/* Sends one batch read back from the spool, oldest first, and commits what
 * Redis answered. false when the connection failed (or Redis said "not
 * now"): the rest stays in the spool. Without r->lock. */
static bool
redisout_replay(struct redisout *r, redisContext *c)
{
	struct spool_rec recs[REDISOUT_BATCH];
	uint64_t sent = 0, refused = 0;
	char why[256];
	size_t done = 0;
	int n = spool_read(r->spool, recs, REDISOUT_BATCH, why, sizeof(why));

	if (n > 0) {
		for (int i = 0; i < n; i++)
			redisout_append_cmd(r, c, recs[i].data, recs[i].len);
		done = redisout_replies(r, c, (size_t)n, &sent, &refused);
		spool_commit(r->spool, done);
	}
	pthread_mutex_lock(&r->lock);
	if (n < 0)
		redisout_spool_error(r, why);
	r->sent += sent;
	r->replayed += sent;
	r->dropped += refused;
	redisout_spool_sync(r);
	pthread_mutex_unlock(&r->lock);
	return n <= 0 || done == (size_t)n;
}

static void
redisout_wait_ms(struct redisout *r, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* With a spool, the end of the run need not wait: one more try, and
	 * what is left goes to disk. */
	while (!r->abandon && !(r->stopping && r->spool) &&
	       pthread_cond_timedwait(&r->cond, &r->lock, &until) != ETIMEDOUT)
		;
}

static unsigned
redisout_next_backoff(unsigned backoff)
{
	backoff = backoff ? backoff * 2 : REDISOUT_BACKOFF_MIN_MS;
	return backoff > REDISOUT_BACKOFF_MAX_MS ? REDISOUT_BACKOFF_MAX_MS : backoff;
}

/*
 * The sender. Order is kept with a spool: the spool holds the oldest
 * records and the queue the newer ones, so the spool is replayed first,
 * and records leave the queue for the spool only at its end (when Redis
 * cannot be reached, or the queue is half full while the spool is being
 * replayed or Redis is slow). r->lock is held except around the network
 * and the disk.
 */
static void *
redisout_main(void *arg)
{
	struct redisout *r = arg;
	redisContext *c = NULL;
	unsigned backoff = 0;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct redisout_rec *batch, *last, *p;
		size_t n = 0, done, bytes = 0;
		uint64_t sent = 0, refused = 0;
		bool replayed;

		while (!r->head && !spool_pending(r->spool) && !r->stopping && !r->abandon)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->abandon || (!r->head && !spool_pending(r->spool)))
			break;
		if (r->spool && r->head &&
		    ((!c && backoff) || r->queued_bytes > r->queue_cap / 2)) {
			batch = redisout_detach(r);
			pthread_mutex_unlock(&r->lock);
			redisout_spill(r, batch);
			pthread_mutex_lock(&r->lock);
		}
		if (!c) {
			pthread_mutex_unlock(&r->lock);
			c = redisout_connect(r);
			pthread_mutex_lock(&r->lock);
			if (!c) {
				if (r->stopping && r->spool)
					break; /* all on disk for the next run */
				backoff = redisout_next_backoff(backoff);
				redisout_wait_ms(r, backoff);
				continue;
			}
			r->reconnects += backoff != 0;
			backoff = 0;
		}
		if (spool_pending(r->spool)) {
			pthread_mutex_unlock(&r->lock);
			replayed = redisout_replay(r, c);
			pthread_mutex_lock(&r->lock);
			if (replayed)
				continue;
			goto failed;
		}
		if (!r->head)
			continue;
		batch = last = r->head;
		for (p = r->head; p && n < REDISOUT_BATCH; p = p->next) {
			last = p;
			n++;
		}
		r->head = last->next;
		if (!r->head)
			r->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&r->lock);

		done = redisout_send(r, c, batch, n, &sent, &refused);
		for (size_t i = 0; i < done; i++) {
			p = batch;
			batch = p->next;
			bytes += p->len;
			free(p);
		}

		pthread_mutex_lock(&r->lock);
		r->sent += sent;
		r->dropped += refused;
		r->queued -= done;
		r->queued_bytes -= bytes;
		if (done == n)
			continue;
		if (r->spool) {
			/* The spool is empty here: the rest starts it, and the
			 * queue, newer, follows it there. */
			size_t rest = 0;

			for (p = batch; p; p = p->next)
				rest += p->len;
			r->queued -= n - done;
			r->queued_bytes -= rest;
			pthread_mutex_unlock(&r->lock);
			redisout_spill(r, batch);
			pthread_mutex_lock(&r->lock);
		} else {
			/* The rest goes back to the head, in order. */
			last->next = r->head;
			r->head = batch;
			if (!r->tail)
				r->tail = last;
		}
	failed:
		redisFree(c);
		c = NULL;
		if (r->stopping && r->spool)
			break; /* the rest is for the next run, not a retry loop */
		backoff = redisout_next_backoff(backoff);
		redisout_wait_ms(r, backoff);
	}
	/* Given up (the time to drain is over, or Redis is down at the end):
	 * with a spool, what is still queued is kept there. */
	if (r->spool && r->head) {
		struct redisout_rec *rest = redisout_detach(r);

		pthread_mutex_unlock(&r->lock);
		redisout_spill(r, rest);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	if (c)
		redisFree(c);
	return NULL;
}

struct redisout *
redisout_new(const struct redisout_target *t, size_t queue_bytes, struct spool *spool, char *err,
	     size_t errsz)
{
	struct redisout *r = calloc(1, sizeof(*r));
	cookie_io_functions_t io = {.write = redisout_write, .close = redisout_stream_close};

	if (!r) {
		snprintf(err, errsz, "out of memory");
		spool_close(spool);
		return NULL;
	}
	r->t = *t;
	r->queue_cap = queue_bytes;
	r->spool = spool;
	if (spool)
		redisout_spool_sync(r);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->file = fopencookie(r, "w", io);
	if (!r->file || pthread_create(&r->thread, NULL, redisout_main, r) != 0) {
		snprintf(err, errsz, "cannot start the Redis sender: %s", strerror(errno));
		if (r->file)
			fclose(r->file);
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		spool_close(spool);
		free(r);
		return NULL;
	}
	return r;
}

FILE *
redisout_file(struct redisout *r)
{
	return r->file;
}

uint64_t
redisout_finish(struct redisout *r, unsigned wait_ms, const char **why)
{
	static char last[256];
	struct timespec until;

	if (r->finished) {
		*why = NULL;
		return r->dropped + r->queued + r->spool_dropped;
	}
	r->finished = true;
	fflush(r->file);
	fclose(r->file);
	r->file = NULL;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (pthread_timedjoin_np(r->thread, NULL, &until) != 0) {
		pthread_mutex_lock(&r->lock);
		r->abandon = true;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
	}
	snprintf(last, sizeof(last), "%s", r->last_error);
	*why = last[0] ? last : NULL;
	return r->dropped + r->queued + r->spool_dropped;
}

bool
redisout_spool_left(struct redisout *r, uint64_t *bytes, uint64_t *files, const char **why)
{
	static char last[256];

	pthread_mutex_lock(&r->lock);
	*bytes = r->spool_bytes;
	*files = r->spool_files;
	snprintf(last, sizeof(last), "%s", r->spool_error);
	pthread_mutex_unlock(&r->lock);
	*why = last[0] ? last : NULL;
	return r->spool != NULL;
}

uint64_t
redisout_spool_skipped(struct redisout *r, const char **name)
{
	static char last[40];
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->spool_skipped;
	snprintf(last, sizeof(last), "%s", r->spool_skipped_name);
	pthread_mutex_unlock(&r->lock);
	*name = last;
	return n;
}

void
redisout_free(struct redisout *r)
{
	const char *why;

	if (!r)
		return;
	redisout_finish(r, 0, &why);
	while (r->head) {
		struct redisout_rec *p = r->head;

		r->head = p->next;
		free(p);
	}
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	spool_close(r->spool);
	free(r->line);
	free(r);
}

void
redisout_stats_each(struct redisout *r, void (*fn)(void *ctx, const char *name, uint64_t v),
		    void *ctx)
{
	uint64_t sent, dropped, queued, reconnects, errors;
	uint64_t spooled, replayed, spool_dropped, spool_errors, spool_partial, spool_bytes;
	uint64_t spool_skipped;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	sent = r->sent;
	dropped = r->dropped;
	queued = r->queued;
	reconnects = r->reconnects;
	errors = r->errors;
	spooled = r->spooled;
	replayed = r->replayed;
	spool_dropped = r->spool_dropped;
	spool_errors = r->spool_errors;
	spool_partial = r->spool_partial;
	spool_bytes = r->spool_bytes;
	spool_skipped = r->spool_skipped;
	pthread_mutex_unlock(&r->lock);
	fn(ctx, "redis_sent", sent);
	fn(ctx, "redis_dropped", dropped);
	fn(ctx, "redis_queued", queued);
	fn(ctx, "redis_reconnects", reconnects);
	fn(ctx, "redis_errors", errors);
	if (!r->spool)
		return;
	fn(ctx, "json_spooled", spooled);
	fn(ctx, "json_replayed", replayed);
	fn(ctx, "json_spool_dropped", spool_dropped);
	fn(ctx, "json_spool_errors", spool_errors);
	fn(ctx, "json_spool_partial", spool_partial);
	fn(ctx, "json_spool_bytes", spool_bytes);
	fn(ctx, "json_spool_skipped_files", spool_skipped);
}
