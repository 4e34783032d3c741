/*
 * workers.h - what workers.c (a worker's loop, the front's dispatch, the
 * judge's merge) and workers_life.c (start, counters, stop) share: the
 * messages' types, a worker, the set of them and the judge. Not for other
 * modules.
 */
#ifndef TLSWATCH_ENGINE_WORKERS_H
#define TLSWATCH_ENGINE_WORKERS_H

#include <pthread.h>
#include <stdalign.h>
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
	MSG_LEARN,	/* front to judge: a DNS answer to learn from */
};

struct worker {
	struct engine *e;
	struct workers *par;
	pthread_t thread;
	bool running;
	struct ring in, out;
	/* Written by the front for each packet: a line of its own. */
	alignas(64) _Atomic uint64_t sent; /* messages sent */
	/* Written by the worker for each message. */
	alignas(64) _Atomic uint64_t done; /* messages processed */
	/* Lower bound of the order keys of what the worker still has to
	 * hand back: the key its current message starts at. Published
	 * under a sequence lock (floor_seq odd while writing). */
	_Atomic uint64_t floor_seq, floor_idx, floor_stage;
	alignas(64) _Atomic uint64_t ev_transit; /* evidence bytes handed back, not yet freed */
	uint64_t ev_cap;			 /* this worker's share of the evidence cap */
	pthread_mutex_t snap_mu;		 /* the worker's counters, for engine_stats */
	struct stats snap;
	size_t snap_flows;
};

struct workers {
	size_t n;
	struct worker *w;
	/* Lower bound of what the front may still send: the front's own,
	 * and a copy published for the judge under a sequence lock now and
	 * then (an older one is a lower bound too). */
	struct order_key next;
	alignas(64) _Atomic uint64_t next_seq, next_idx, next_stage, next_sub;
	uint64_t ticks; /* ticks since the last packet */
	bool finished;
	bool draining;
	struct idmap ids;
	struct stats agg; /* what engine_stats returns */
	/* The judge: a thread that takes the workers' output in order and
	 * judges it, so the front only reads and dispatches. out_mu (a
	 * recursive mutex) is held by whoever judges or touches what judging
	 * writes: the correlation, the policies, the links, the sinks. */
	alignas(64) pthread_t judge;
	bool judge_running;
	_Atomic bool judge_stop;
	/* The judge waits here when nothing can be taken; the front wakes it
	 * when it publishes a new bound (a 1 ms timeout covers the rest). */
	_Atomic bool judge_waiting;
	pthread_mutex_t judge_mu;
	pthread_cond_t judge_cv;
	pthread_mutex_t out_mu;
	bool out_mu_init;
	struct ring learn;	       /* front to judge: MSG_LEARN */
	uint64_t judge_alloc_failures; /* the judge's share of alloc_failures */
	uint64_t shared_late_us;       /* the judge: last engine_shared_late (monotonic) */
};

#define WORKER_RING_IN (4u << 20)
#define WORKER_RING_OUT (2u << 20)
/* What the judge merges: each worker's queue and the front's. */
#define PAR_SOURCES (64 + 1)

/* A worker thread's loop: its messages until MSG_FINISH (arg: its struct
 * worker). */
void *worker_main(void *arg);

/* The judge thread's loop (arg: the front engine). */
void *judge_main(void *arg);

/* Stops the judge thread (nothing when it is not running). */
void par_stop_judge(struct workers *P);

/* The front's counters plus what the workers last published. */
struct stats *par_stats(struct engine *e);
/* The flows the workers hold, as they last published. */
size_t par_open_flows(const struct engine *e);

#endif
