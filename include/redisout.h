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
 *
 * With a spool (--json-spool DIR, spool.h), records that cannot be sent go
 * to disk instead (written by the sender thread, never by capture), and
 * are sent first, in order, once Redis answers again, in this run or the
 * next.
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
struct spool;

/* Whether s names a Redis target (starts with redis://). */
bool redisout_is_url(const char *s);
/* Parses a target; -1 with a message in err when it is not a valid one. */
int redisout_parse(const char *url, struct redisout_target *t, char *err, size_t errsz);
/* Starts the sender (it connects on its own, retrying); NULL on error. The
 * queue holds at most queue_bytes of records. spool (NULL: none) is taken
 * over, on failure too. */
struct redisout *redisout_new(const struct redisout_target *t, size_t queue_bytes,
			      struct spool *spool, char *err, size_t errsz);
/* The stream the JSON sink writes into: every line is one record. */
FILE *redisout_file(struct redisout *r);
/* Closes the stream, waits at most wait_ms for the queue to drain and stops
 * the sender. Returns the records lost (dropped when the queue was full or
 * Redis refused them, still queued at the end, or not taken by the spool);
 * *why gets Redis's last error, if any (a static copy, valid until the next
 * call). Records kept in the spool are not lost: see redisout_spool_left. */
uint64_t redisout_finish(struct redisout *r, unsigned wait_ms, const char **why);
/* With a spool: true, the bytes and files it holds (for the next run when
 * the sender has finished) and its last write or read error in *why (NULL:
 * none; a static copy). false without one. */
bool redisout_spool_left(struct redisout *r, uint64_t *bytes, uint64_t *files, const char **why);
/* With a spool: the files set aside so far (unsafe or unreadable: left on
 * disk, their records neither delivered nor kept for a run that could read
 * them) and in *name the last one's name (a static copy). 0 without one. */
uint64_t redisout_spool_skipped(struct redisout *r, const char **name);
/* Finishes r (at once, if redisout_finish did not run) and frees it. */
void redisout_free(struct redisout *r);
/* The counters so far: redis_sent, redis_dropped, redis_queued,
 * redis_reconnects, redis_errors; with a spool json_spooled, json_replayed,
 * json_spool_dropped, json_spool_errors, json_spool_partial,
 * json_spool_bytes, json_spool_skipped_files. r may be NULL (nothing). */
void redisout_stats_each(struct redisout *r, void (*fn)(void *ctx, const char *name, uint64_t v),
			 void *ctx);

#endif
