/*
 * redisout_int.h - what the files of `--json redis://` (redis.c: the
 * sender; redis_stream.c: the stream the JSON sink writes into, its lines
 * queued) share: the output's state. Not for the rest of tlswatch:
 * redisout.h is.
 */
#ifndef TLSWATCH_REDISOUT_INT_H
#define TLSWATCH_REDISOUT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "redisout.h"

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

/* redis_stream.c: the cookie functions of r->file (fopencookie). */

/* The stream's write: every complete line is one record. Never fails: a
 * record that cannot be queued is counted as dropped. */
ssize_t redisout_write(void *cookie, const char *buf, size_t size);
/* The stream's close: redisout_finish does the rest. */
int redisout_stream_close(void *cookie);

#endif
