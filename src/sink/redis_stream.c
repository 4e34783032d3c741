/*
 * redis_stream.c - the stdio stream the JSON sink writes into for
 * `--json redis://` (fopencookie): its bytes cut into lines, each line one
 * record on the sender's bounded queue (redis.c). Capture's side: it never
 * waits on Redis, and a record that does not fit is dropped and counted.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redisout_int.h"

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
ssize_t
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

int
redisout_stream_close(void *cookie)
{
	(void)cookie; /* redisout_close does the rest */
	return 0;
}
