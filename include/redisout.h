/*
 * redisout.h - JSON Lines into Redis: `--json redis://...` hands every record
 * to a list (RPUSH), a channel (PUBLISH) or a stream (XADD ... MAXLEN ~ N),
 * as Suricata's EVE output to Redis does, so that a Logstash, Vector or
 * Fluent Bit redis input takes them unchanged.
 *
 * The JSON sink writes into a stdio stream as for a file; each line becomes
 * one record in a bounded queue that a thread of its own sends, pipelined.
 * Capture never waits on Redis: when it is slow or down, records wait in
 * the queue (reconnection with back-off), and when the queue is full new
 * records are dropped and counted. At the end the queue is given a few
 * seconds to drain; what is left is counted as undelivered.
 */
#ifndef TLSWATCH_REDISOUT_H
#define TLSWATCH_REDISOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum redisout_mode { REDISOUT_LIST, REDISOUT_CHANNEL, REDISOUT_STREAM };

/* redis://[:PASSWORD@]HOST[:PORT][/DB]/KEY[?mode=list|channel|stream][&maxlen=N] */
struct redisout_target {
	char host[256];
	int port;
	int db; /* -1: no SELECT */
	char password[256];
	char key[256];
	enum redisout_mode mode;
	uint64_t maxlen; /* stream: XADD MAXLEN ~ maxlen (0: no trimming) */
};

struct redisout;

/* Whether s names a Redis target (starts with redis://). */
bool redisout_is_url(const char *s);
/* Parses a target; -1 with a message in err when it is not a valid one. */
int redisout_parse(const char *url, struct redisout_target *t, char *err, size_t errsz);
/* Starts the sender (it connects on its own, retrying); NULL on error. The
 * queue holds at most queue_bytes of records. */
struct redisout *redisout_new(const struct redisout_target *t, size_t queue_bytes, char *err,
			      size_t errsz);
/* The stream the JSON sink writes into: every line is one record. */
FILE *redisout_file(struct redisout *r);
/* Closes the stream, waits at most wait_ms for the queue to drain and stops
 * the sender. Returns the records not delivered (dropped when the queue was
 * full or Redis refused them, or still queued at the end); *why gets Redis's
 * last error, if any (a static copy, valid until the next call). */
uint64_t redisout_finish(struct redisout *r, unsigned wait_ms, const char **why);
/* Finishes r (at once, if redisout_finish did not run) and frees it. */
void redisout_free(struct redisout *r);
/* The counters so far: redis_sent, redis_dropped, redis_queued,
 * redis_reconnects, redis_errors. r may be NULL (nothing). */
void redisout_stats_each(struct redisout *r, void (*fn)(void *ctx, const char *name, uint64_t v),
			 void *ctx);

#endif
