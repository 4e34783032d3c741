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
#include "redisout_int.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deadline.h"
#include "redisconn.h"
#include "spool.h"

#define REDISOUT_BATCH 256
#define REDISOUT_BACKOFF_MIN_MS 100
#define REDISOUT_BACKOFF_MAX_MS 2000

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

	deadline_after_ms(&until, ms);
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

/* Up to REDISOUT_BATCH records off the head of the queue (r->lock held),
 * still counted as queued: *last is the batch's last record, *n their
 * number. The queue is not empty. */
static struct redisout_rec *
redisout_take_batch(struct redisout *r, struct redisout_rec **last, size_t *n)
{
	struct redisout_rec *batch = r->head, *p;

	*last = r->head;
	*n = 0;
	for (p = r->head; p && *n < REDISOUT_BATCH; p = p->next) {
		*last = p;
		(*n)++;
	}
	r->head = (*last)->next;
	if (!r->head)
		r->tail = NULL;
	(*last)->next = NULL;
	return batch;
}

/*
 * Sends one batch off the head of the queue (r->lock held, released around
 * the network and the disk). false when the connection failed or Redis
 * said "not now": the records not answered go back to the head of the
 * queue, in order, or with a spool (empty here) start it, the queue,
 * newer, following them there.
 */
static bool
redisout_send_queued(struct redisout *r, redisContext *c)
{
	struct redisout_rec *batch, *last, *p;
	size_t n, done, bytes = 0, rest = 0;
	uint64_t sent = 0, refused = 0;

	batch = redisout_take_batch(r, &last, &n);
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
		return true;
	if (!r->spool) {
		last->next = r->head;
		r->head = batch;
		if (!r->tail)
			r->tail = last;
		return false;
	}
	for (p = batch; p; p = p->next)
		rest += p->len;
	r->queued -= n - done;
	r->queued_bytes -= rest;
	pthread_mutex_unlock(&r->lock);
	redisout_spill(r, batch);
	pthread_mutex_lock(&r->lock);
	return false;
}

/* The whole queue to the end of the spool (r->lock held, released around
 * the disk). */
static void
redisout_spill_queue(struct redisout *r)
{
	struct redisout_rec *list = redisout_detach(r);

	pthread_mutex_unlock(&r->lock);
	redisout_spill(r, list);
	pthread_mutex_lock(&r->lock);
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
		bool replayed;

		while (!r->head && !spool_pending(r->spool) && !r->stopping && !r->abandon)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->abandon || (!r->head && !spool_pending(r->spool)))
			break;
		if (r->spool && r->head && ((!c && backoff) || r->queued_bytes > r->queue_cap / 2))
			redisout_spill_queue(r);
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
		} else if (!r->head || redisout_send_queued(r, c)) {
			continue;
		}
		redisFree(c);
		c = NULL;
		if (r->stopping && r->spool)
			break; /* the rest is for the next run, not a retry loop */
		backoff = redisout_next_backoff(backoff);
		redisout_wait_ms(r, backoff);
	}
	/* Given up (the time to drain is over, or Redis is down at the end):
	 * with a spool, what is still queued is kept there. */
	if (r->spool && r->head)
		redisout_spill_queue(r);
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
	deadline_after_ms(&until, wait_ms);
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
	/* The first five always, the rest with a spool. */
	static const char *const names[] = {
		"redis_sent",	      "redis_dropped",	    "redis_queued",
		"redis_reconnects",   "redis_errors",	    "json_spooled",
		"json_replayed",      "json_spool_dropped", "json_spool_errors",
		"json_spool_partial", "json_spool_bytes",   "json_spool_skipped_files"};
	uint64_t v[sizeof(names) / sizeof(names[0])];

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	memcpy(v,
	       (const uint64_t[]){r->sent, r->dropped, r->queued, r->reconnects, r->errors,
				  r->spooled, r->replayed, r->spool_dropped, r->spool_errors,
				  r->spool_partial, r->spool_bytes, r->spool_skipped},
	       sizeof(v));
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && (i < 5 || r->spool); i++)
		fn(ctx, names[i], v[i]);
}
