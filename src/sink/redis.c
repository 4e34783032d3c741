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
 * dropped and counted, never retried.
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

		if (redisout_line_grow(r, r->line_len + n + 1)) {
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

/* Sends n records pipelined; returns how many were answered (sent, or
 * refused and counted) before the connection failed (n: it did not). */
static size_t
redisout_send(struct redisout *r, redisContext *c, struct redisout_rec *batch, size_t n,
	      uint64_t *sent, uint64_t *refused)
{
	size_t i = 0;
	struct redisout_rec *p;

	for (p = batch; p; p = p->next) {
		if (r->t.mode == REDISOUT_LIST)
			redisAppendCommand(c, "RPUSH %s %b", r->t.key, p->data, p->len);
		else if (r->t.mode == REDISOUT_CHANNEL)
			redisAppendCommand(c, "PUBLISH %s %b", r->t.key, p->data, p->len);
		else if (r->t.maxlen)
			redisAppendCommand(c, "XADD %s MAXLEN ~ %llu * json %b", r->t.key,
					   (unsigned long long)r->t.maxlen, p->data, p->len);
		else
			redisAppendCommand(c, "XADD %s * json %b", r->t.key, p->data, p->len);
	}
	for (; i < n; i++) {
		void *v = NULL;
		redisReply *rep;

		if (redisGetReply(c, &v) != REDIS_OK) {
			redisout_error(r, "send", c->errstr);
			return i;
		}
		rep = v;
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
	while (!r->abandon && pthread_cond_timedwait(&r->cond, &r->lock, &until) != ETIMEDOUT)
		;
}

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
		bool reconnected;

		while (!r->head && !r->stopping && !r->abandon)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->abandon || !r->head)
			break;
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

		reconnected = !c && (c = redisout_connect(r)) != NULL && backoff;
		done = c ? redisout_send(r, c, batch, n, &sent, &refused) : 0;
		for (size_t i = 0; i < done; i++) {
			p = batch;
			batch = p->next;
			bytes += p->len;
			free(p);
		}

		pthread_mutex_lock(&r->lock);
		r->reconnects += reconnected;
		r->sent += sent;
		r->dropped += refused;
		r->queued -= done;
		r->queued_bytes -= bytes;
		if (done == n) {
			backoff = 0;
			continue;
		}
		/* The rest goes back to the head, in order; connect again later. */
		last->next = r->head;
		r->head = batch;
		if (!r->tail)
			r->tail = last;
		if (c) {
			redisFree(c);
			c = NULL;
		}
		backoff = backoff ? backoff * 2 : REDISOUT_BACKOFF_MIN_MS;
		if (backoff > REDISOUT_BACKOFF_MAX_MS)
			backoff = REDISOUT_BACKOFF_MAX_MS;
		redisout_wait_ms(r, backoff);
	}
	pthread_mutex_unlock(&r->lock);
	if (c)
		redisFree(c);
	return NULL;
}

struct redisout *
redisout_new(const struct redisout_target *t, size_t queue_bytes, char *err, size_t errsz)
{
	struct redisout *r = calloc(1, sizeof(*r));
	cookie_io_functions_t io = {.write = redisout_write, .close = redisout_stream_close};

	if (!r) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	r->t = *t;
	r->queue_cap = queue_bytes;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->file = fopencookie(r, "w", io);
	if (!r->file || pthread_create(&r->thread, NULL, redisout_main, r) != 0) {
		snprintf(err, errsz, "cannot start the Redis sender: %s", strerror(errno));
		if (r->file)
			fclose(r->file);
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
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
		return r->dropped + r->queued;
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
	return r->dropped + r->queued;
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
	free(r->line);
	free(r);
}

void
redisout_stats_each(struct redisout *r, void (*fn)(void *ctx, const char *name, uint64_t v),
		    void *ctx)
{
	uint64_t sent, dropped, queued, reconnects, errors;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	sent = r->sent;
	dropped = r->dropped;
	queued = r->queued;
	reconnects = r->reconnects;
	errors = r->errors;
	pthread_mutex_unlock(&r->lock);
	fn(ctx, "redis_sent", sent);
	fn(ctx, "redis_dropped", dropped);
	fn(ctx, "redis_queued", queued);
	fn(ctx, "redis_reconnects", reconnects);
	fn(ctx, "redis_errors", errors);
}
