/*
 * deadline.h - a time some milliseconds from now, on the clock that
 * pthread_cond_timedwait and pthread_timedjoin_np wait with
 * (CLOCK_REALTIME), and whether it has come: what the Redis threads
 * (shared.h, redisout.h) wait and drain by.
 */
#ifndef TLSWATCH_DEADLINE_H
#define TLSWATCH_DEADLINE_H

#include <stdbool.h>
#include <time.h>

/* Now (CLOCK_REALTIME) plus ms milliseconds, into *t. */
void deadline_after_ms(struct timespec *t, unsigned ms);
/* Whether the CLOCK_REALTIME time *t has come. */
bool deadline_past(const struct timespec *t);

#endif
