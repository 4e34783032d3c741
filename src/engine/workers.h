/*
 * workers.h - what workers.c (a worker's loop, the front's dispatch and
 * merge) and workers_life.c (start, counters, stop) share: the messages'
 * types, a worker and the set of them. Not for other modules.
 */
#ifndef TLSWATCH_ENGINE_WORKERS_H
#define TLSWATCH_ENGINE_WORKERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "idmap.h"
#include "internal.h"
#include "ring.h"

/* Messages from the front to a worker, and back. */
enum msg_type {
	MSG_PACKET = 1, /* a TCP packet of the worker's flows */
	MSG_EXPIRE,	/* expire idle flows (at a packet, or a tick) */
	MSG_FINISH,	/* the capture ended: finish every flow, then stop */
	MSG_CREATED,	/* back: a flow was created */
	MSG_REPORT,	/* back: a finished session, to be judged */
	MSG_LINK,	/* back: a session announced a data connection */
	MSG_EARLY,	/* back: alerts an open session raised */
};

struct worker {
	struct engine *e;
	struct workers *par;
	pthread_t thread;
	bool running;
	struct ring in, out;
	_Atomic uint64_t done; /* messages processed */
	uint64_t sent;	       /* messages sent (the front's count) */
	/* Lower bound of the order keys of what the worker still has to
	 * hand back: the key its current message starts at. Published
	 * under a sequence lock (floor_seq odd while writing). */
	_Atomic uint64_t floor_seq, floor_idx, floor_stage;
	_Atomic uint64_t ev_transit; /* evidence bytes handed back, not yet freed */
	uint64_t ev_cap;	     /* this worker's share of the evidence cap */
	pthread_mutex_t snap_mu;     /* the worker's counters, for engine_stats */
	struct stats snap;
	size_t snap_flows;
};

struct workers {
	size_t n;
	struct worker *w;
	struct order_key next; /* lower bound of what the front may still send */
	uint64_t ticks;	       /* ticks since the last packet */
	bool finished;
	bool draining;
	struct idmap ids;
	struct stats agg; /* what engine_stats returns */
};

#define WORKER_RING_IN (4u << 20)
#define WORKER_RING_OUT (2u << 20)

/* A worker thread's loop: its messages until MSG_FINISH (arg: its struct
 * worker). */
void *worker_main(void *arg);

/* The front's counters plus what the workers last published. */
struct stats *par_stats(struct engine *e);
/* The flows the workers hold, as they last published. */
size_t par_open_flows(const struct engine *e);

#endif
