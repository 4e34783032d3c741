/*
 * workers.c - the engine over several threads (--threads N, N > 1).
 *
 * Workers (--threads N, N > 1): the engine the caller holds becomes the
 * front. It decodes each frame, counts it, and hands TCP packets to one of N
 * worker engines chosen by the symmetric flow hash, so both directions of a
 * flow meet in one worker; each worker has its own flow table, reassembly and
 * nDPI. A worker does everything up to the verdict and hands finished
 * sessions back; the judge (a thread of its own, or the front between
 * packets: --judge-thread) judges them, runs the correlation and feeds the
 * output, in the order one thread would have: every finished session carries
 * an order key (the index of the packet that finished it, the stage within
 * that packet, and for expiry the index of the flow's last packet, which is
 * its place in the LRU order) and the judge merges the workers' queues by
 * that key, taking a session only when no worker (nor the front, which
 * publishes the key below which it will send nothing more) can still
 * produce an earlier one. The DNS answers the policies learn from reach a
 * judge thread through a queue of their own, with their key. Whoever touches
 * what judging writes holds the output lock (workers.h); the front does
 * when it waits for the judge to catch up (par_sync) and judges alongside
 * it meanwhile. Session ids are given by the judge in the order the workers
 * created the flows (each creation is reported with its key too). Expiry is
 * decided by the front from packet times and broadcast to every worker at
 * the same packet index. The caps are divided among the workers (max_flows,
 * ooo_cap, the evidence cap); while no cap is reached the output is the same
 * as with one thread. Starting, counting and stopping the workers is
 * workers_life.c's.
 */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deadline.h"
#include "policy.h"

#include "idmap.h"
#include "ring.h"
#include "workers.h"

struct msg_packet {
	uint32_t type;
	int dlt;
	uint64_t idx;
	uint64_t now_us;    /* the reader's clock: the latest packet time */
	uint64_t pclock_us; /* the policies' clock (engine.pclock_us) */
	struct packet pk;   /* pointers rebuilt from the offsets below */
	size_t l3_off, payload_off;
	size_t caplen;
	uint8_t frame[];
};

/* MSG_EXPIRE, and MSG_FINISH (idx and stage unused). */
struct msg_expire {
	uint32_t type;
	uint64_t idx, stage, now_us, pclock_us;
};

struct msg_created {
	uint32_t type;
	struct order_key key;
	uint64_t provisional; /* the worker's id: the creating packet's index */
};

struct msg_link {
	uint32_t type;
	struct order_key key;
	struct link_note n; /* n.control: the worker's provisional id */
};

struct msg_early {
	uint32_t type;
	struct order_key key;
	uint64_t pclock_us;
	bool has_ev;	  /* packets are kept for the session */
	size_t n;	  /* alerts that follow */
	struct session s; /* as it stands: no parser state */
	struct alert a[];
};

struct msg_report {
	uint32_t type;
	bool ndpi_cleartext;
	struct order_key key;
	uint64_t pclock_us;
	struct evidence_buf ev; /* owned by the message until judged */
	struct session s;	/* parser state released, facts kept */
};

/* A DNS answer the front read, for the policies, in its place in the
 * order: after the packet's expiry, before its flow's work. Without bytes,
 * only the policies' clock starts (the first packet). */
struct msg_learn {
	uint32_t type;
	uint8_t l4;
	struct order_key key;
	uint64_t pclock_us, ts_us;
	size_t len;
	uint8_t data[];
};

static bool
key_less(const struct order_key *a, const struct order_key *b)
{
	if (a->idx != b->idx)
		return a->idx < b->idx;
	if (a->stage != b->stage)
		return a->stage < b->stage;
	return a->sub < b->sub;
}

/* The order key of a message a worker handed back. */
static struct order_key
msg_key(const uint32_t *m)
{
	switch (*m) {
	case MSG_CREATED:
		return ((const struct msg_created *)m)->key;
	case MSG_LINK:
		return ((const struct msg_link *)m)->key;
	case MSG_EARLY:
		return ((const struct msg_early *)m)->key;
	case MSG_LEARN:
		return ((const struct msg_learn *)m)->key;
	default:
		return ((const struct msg_report *)m)->key;
	}
}

static const struct order_key key_max = {UINT64_MAX, UINT64_MAX, UINT64_MAX};

static void
worker_set_floor(struct worker *w, uint64_t idx, uint64_t stage)
{
	uint64_t seq = atomic_load_explicit(&w->floor_seq, memory_order_relaxed);

	atomic_store_explicit(&w->floor_seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&w->floor_idx, idx, memory_order_relaxed);
	atomic_store_explicit(&w->floor_stage, stage, memory_order_relaxed);
	atomic_store_explicit(&w->floor_seq, seq + 2, memory_order_release);
}

static void
worker_floor(struct worker *w, struct order_key *k)
{
	uint64_t s1, s2;

	do {
		s1 = atomic_load_explicit(&w->floor_seq, memory_order_acquire);
		k->idx = atomic_load_explicit(&w->floor_idx, memory_order_relaxed);
		k->stage = atomic_load_explicit(&w->floor_stage, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&w->floor_seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
	k->sub = 0;
}

/* A worker's counters, copied where the front can read them. */
static void
worker_snapshot(struct worker *w)
{
	engine_stats_local(w->e);
	pthread_mutex_lock(&w->snap_mu);
	w->snap = w->e->st;
	w->snap_flows = flow_table_count(w->e->flows);
	pthread_mutex_unlock(&w->snap_mu);
}

/* The session as a message carries it to the front: its facts, without the
 * parser state, which stays with (and is freed by) the worker. */
static inline void
worker_session_copy(struct session *to, const struct session *from)
{
	*to = *from;
	to->sniff = NULL;
	to->pstate = NULL;
	to->tls = NULL;
	to->quic = NULL;
	to->dtls = NULL;
}

/* In a worker: a flow was created by the packet at hand, whose index is
 * the session's id for now. */
static void
worker_created(struct engine *e)
{
	struct worker *w = e->self;
	struct msg_created *m = ring_reserve(&w->out, sizeof(*m), NULL, NULL);

	m->type = MSG_CREATED;
	m->key = (struct order_key){e->key_idx, STAGE_CREATE, 0};
	m->provisional = e->pkt_idx;
	ring_commit(&w->out);
}

/* In a worker: hands a finished session (and its kept packets) back to the
 * front, which judges it, with its place in the order one thread would
 * have reported it. */
static void
worker_finished(struct engine *e, struct conn *c)
{
	struct worker *w = e->self;
	struct msg_report *m = ring_reserve(&w->out, sizeof(*m), NULL, NULL);
	struct order_key key = {e->key_idx, STAGE_CLOSE, 0};
	enum session_end end = c->sess.end;

	if (end == END_EVICTED) {
		key.stage = STAGE_EVICT;
	} else if (end == END_IDLE || end == END_CAPTURE) {
		key.stage = e->expire_stage;
		key.sub = c->last_idx | (c->flow.key.l4 == 17 ? ORDER_SUB_UDP : 0);
	}
	m->type = MSG_REPORT;
	m->key = key;
	m->pclock_us = e->pclock_us;
	m->ndpi_cleartext = c->ndpi_cleartext;
	m->ev = c->ev;
	/* Still memory until the reader frees it: counted against this
	 * worker's share of the cap meanwhile (worker_evidence_room). */
	e->evs.bytes_now -= c->ev.bytes;
	if (c->ev.bytes)
		atomic_fetch_add(&w->ev_transit, c->ev.bytes);
	evidence_init(&c->ev);
	worker_session_copy(&m->s, &c->sess);
	ring_commit(&w->out);
}

/* In a worker: a note for the front's links, in its place in the order
 * (after the packet's flow was created, before anything it finishes). */
static void
worker_link(struct engine *e, const struct link_note *n)
{
	struct worker *w = e->self;
	struct msg_link *m = ring_reserve(&w->out, sizeof(*m), NULL, NULL);

	m->type = MSG_LINK;
	m->key = (struct order_key){e->key_idx, STAGE_CREATE, 1};
	m->n = *n;
	ring_commit(&w->out);
}

/* In a worker: alerts the bytes of the packet at hand raised on an open
 * session, with the session as it stands, in their place in the order
 * (after the packet's flow was created and its links, before the packet
 * may end the session). */
static void
worker_early(struct engine *e, struct conn *c, struct alert *a, size_t n)
{
	struct worker *w = e->self;
	struct msg_early *m = ring_reserve(&w->out, sizeof(*m) + n * sizeof(*a), NULL, NULL);

	m->type = MSG_EARLY;
	m->key = (struct order_key){e->key_idx, STAGE_CREATE, 2};
	m->pclock_us = e->pclock_us;
	m->has_ev = c->ev.head != NULL;
	m->n = n;
	worker_session_copy(&m->s, &c->sess);
	memcpy(m->a, a, n * sizeof(*a));
	ring_commit(&w->out);
}

/* In a worker: what is left of its evidence cap, less what is on its way
 * to the reader. */
static void
worker_evidence_room(struct engine *e)
{
	struct worker *w = e->self;
	uint64_t transit = atomic_load_explicit(&w->ev_transit, memory_order_relaxed);

	e->evs.cap = transit < w->ev_cap ? w->ev_cap - transit : 1;
}

/* In a worker: the session being created is named by its packet. */
static uint64_t
worker_session_id(struct engine *e)
{
	return e->pkt_idx;
}

static void
worker_packet(struct engine *e, struct msg_packet *m)
{
	struct packet pk = m->pk;

	pk.l3 = m->pk.l3 ? m->frame + m->l3_off : NULL;
	pk.payload = m->pk.payload ? m->frame + m->payload_off : NULL;
	e->pkt_idx = m->idx;
	e->key_idx = m->idx;
	e->now_us = m->now_us;
	e->pclock_us = m->pclock_us;
	engine_flow_packet(e, &pk, m->dlt, m->frame, m->caplen);
}

void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct engine *e = w->e;
	uint64_t done = 0;
	bool finish = false;

	while (!finish) {
		size_t len;
		uint32_t *type;

		if (ring_empty(&w->in))
			worker_snapshot(w); /* idle: let the counters be seen */
		type = ring_peek_wait(&w->in, &len);
		if (*type == MSG_PACKET) {
			struct msg_packet *m = (struct msg_packet *)type;

			worker_set_floor(w, m->idx, STAGE_EVICT);
			worker_packet(e, m);
		} else if (*type == MSG_EXPIRE) {
			struct msg_expire *m = (struct msg_expire *)type;

			worker_set_floor(w, m->idx, m->stage);
			e->key_idx = m->idx;
			e->expire_stage = m->stage;
			e->pclock_us = m->pclock_us;
			engine_expire(e, m->now_us);
		} else {
			struct msg_expire *m = (struct msg_expire *)type;

			worker_set_floor(w, UINT64_MAX, 0);
			e->pclock_us = m->pclock_us;
			e->key_idx = UINT64_MAX;
			e->expire_stage = 0;
			engine_finish_local(e);
			finish = true;
		}
		ring_release(&w->in);
		done++;
		if (finish || (done & 1023) == 0)
			worker_snapshot(w);
		atomic_store_explicit(&w->done, done, memory_order_release);
	}
	session_cache_drain();
	tls_cert_cache_drain();
	engine_conn_cache_drain();
	return NULL;
}

/* The judge, with nothing to take: sleeps until the front publishes a new
 * bound, or 1 ms (the workers' progress wakes nobody). */
static void
judge_wait(struct workers *P)
{
	struct timespec ts;

	deadline_after_ms(&ts, 1);
	pthread_mutex_lock(&P->judge_mu);
	atomic_store(&P->judge_waiting, true);
	if (!atomic_load(&P->judge_stop))
		pthread_cond_timedwait(&P->judge_cv, &P->judge_mu, &ts);
	atomic_store(&P->judge_waiting, false);
	pthread_mutex_unlock(&P->judge_mu);
}

static void
judge_wake(struct workers *P)
{
	if (!atomic_load_explicit(&P->judge_waiting, memory_order_relaxed))
		return;
	pthread_mutex_lock(&P->judge_mu);
	pthread_cond_signal(&P->judge_cv);
	pthread_mutex_unlock(&P->judge_mu);
}

/* The front: the lower bound of what it may still send (the judge reads
 * it before it looks at anything else)... */
static void
par_set_next(struct workers *P, struct order_key k)
{
	P->next = k;
}

/* ... and now and then, for the judge: when the front flushes its batches
 * or waits, not for every packet (the judge would take the line away each
 * time). */
static void
par_publish(struct workers *P)
{
	uint64_t seq = atomic_load_explicit(&P->next_seq, memory_order_relaxed);
	struct order_key k = P->next;

	/* The DNS answers below the bound first. */
	ring_flush(&P->learn);
	atomic_store_explicit(&P->next_seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&P->next_idx, k.idx, memory_order_relaxed);
	atomic_store_explicit(&P->next_stage, k.stage, memory_order_relaxed);
	atomic_store_explicit(&P->next_sub, k.sub, memory_order_relaxed);
	atomic_store_explicit(&P->next_seq, seq + 2, memory_order_release);
	judge_wake(P);
}

static struct order_key
par_next(struct workers *P)
{
	struct order_key k;
	uint64_t s1, s2;

	do {
		s1 = atomic_load_explicit(&P->next_seq, memory_order_acquire);
		k.idx = atomic_load_explicit(&P->next_idx, memory_order_relaxed);
		k.stage = atomic_load_explicit(&P->next_stage, memory_order_relaxed);
		k.sub = atomic_load_explicit(&P->next_sub, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&P->next_seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
	return k;
}

static void
par_sent(struct worker *w)
{
	atomic_store_explicit(&w->sent, atomic_load_explicit(&w->sent, memory_order_relaxed) + 1,
			      memory_order_release);
}

/* The judge: a message from a worker (or the front), in the order one
 * thread made them. Runs under out_mu. */
static void
par_take(struct engine *e, struct worker *from, uint32_t *type)
{
	struct workers *P = e->par;

	if (*type == MSG_CREATED) {
		struct msg_created *m = (struct msg_created *)type;

		if (idmap_put(&P->ids, m->provisional, e->next_id) < 0)
			P->judge_alloc_failures++;
		e->next_id++;
	} else if (*type == MSG_EARLY) {
		struct msg_early *m = (struct msg_early *)type;

		/* Still open: its id stays mapped until its report. */
		m->s.id = idmap_get(&P->ids, m->s.id);
		for (size_t i = 0; i < m->n; i++)
			m->a[i].session_id = m->s.id;
		policy_clock(e->policy, m->pclock_us);
		engine_raise_early(e, &m->s, m->a, m->n, m->has_ev);
	} else if (*type == MSG_LINK) {
		struct msg_link *m = (struct msg_link *)type;

		m->n.control = idmap_get(&P->ids, m->n.control);
		if (m->n.control)
			links_note(e->links, &m->n);
	} else if (*type == MSG_LEARN) {
		struct msg_learn *m = (struct msg_learn *)type;

		policy_clock(e->policy, m->pclock_us);
		if (m->len)
			engine_policy_learn(e, m->l4, m->data, m->len, m->ts_us);
	} else {
		struct msg_report *m = (struct msg_report *)type;
		uint64_t kept = m->ev.bytes;
		struct evidence_stats evs = {0, kept, 0, 0, 0, 0};

		m->s.id = idmap_take(&P->ids, m->s.id);
		policy_clock(e->policy, m->pclock_us);
		engine_judge(e, &m->s, &m->ev, m->ndpi_cleartext);
		evidence_free(&m->ev, &evs);
		/* Freed: the worker may keep that much again. */
		if (kept)
			atomic_fetch_sub(&from->ev_transit, kept);
	}
}

/* The judge (under out_mu): takes, smallest order key first, up to max of
 * the messages of the workers and the front that none of them can still
 * precede; returns how many it took. */
static size_t
par_drain(struct engine *e, size_t max)
{
	struct workers *P = e->par;
	struct ring *ring[PAR_SOURCES];
	struct worker *owner[PAR_SOURCES];
	uint32_t *head[PAR_SOURCES];
	struct order_key key[PAR_SOURCES];
	size_t took = 0, round;

	if (P->draining)
		return 0;
	P->draining = true;
	do {
		/* What the front may still send, read before anything else: a
		 * message it sends afterwards is not below it, and what it
		 * sent before is counted in the workers' sent. */
		struct order_key bound = par_next(P), k;
		size_t ns = 0, len;

		for (size_t i = 0; i <= P->n; i++) {
			struct worker *w = i < P->n ? &P->w[i] : NULL;
			struct ring *r = w ? &w->out : &P->learn;
			bool busy = false;
			uint32_t *m;

			/* What a worker may still hand back: read before its
			 * queue, so nothing it adds afterwards is below it (an
			 * idle worker's is the front's bound). What it hands
			 * back comes in order: with a message queued, that
			 * message is its bound. The front's queue is covered
			 * by its bound. */
			if (w && atomic_load_explicit(&w->done, memory_order_acquire) !=
					 atomic_load_explicit(&w->sent, memory_order_acquire)) {
				busy = true;
				worker_floor(w, &k);
			}
			m = ring_peek(r, &len);
			if (!m) {
				if (busy && key_less(&k, &bound))
					bound = k;
				continue;
			}
			ring[ns] = r;
			owner[ns] = w;
			head[ns] = m;
			key[ns] = msg_key(m);
			ns++;
		}
		/* Take below the bound while every source still has a message
		 * queued: one that runs dry may be followed by anything above
		 * its floor, so the bound is worked out again. */
		round = 0;
		while (took < max) {
			size_t best = SIZE_MAX;

			for (size_t i = 0; i < ns; i++)
				if (best == SIZE_MAX || key_less(&key[i], &key[best]))
					best = i;
			if (best == SIZE_MAX || !key_less(&key[best], &bound))
				break;
			par_take(e, owner[best], head[best]);
			ring_release(ring[best]);
			took++;
			round++;
			head[best] = ring_peek(ring[best], &len);
			if (!head[best])
				break;
			key[best] = msg_key(head[best]);
		}
	} while (round && took < max);
	P->draining = false;
	return took;
}

/* The judge's loop: takes what is ready, in order, until the front has
 * finished; between batches, the reader may take out_mu. */
void *
judge_main(void *arg)
{
	struct engine *e = arg;
	struct workers *P = e->par;
	unsigned idle = 0;

	while (!atomic_load_explicit(&P->judge_stop, memory_order_acquire)) {
		size_t took;
		struct timespec now;

		pthread_mutex_lock(&P->out_mu);
		took = par_drain(e, 256);
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		/* What other sensors announced (--state redis://), once a
		 * second, so that an idle sensor raises it too. */
		if ((uint64_t)now.tv_sec * 1000000u >= P->shared_late_us + 1000000u) {
			P->shared_late_us = (uint64_t)now.tv_sec * 1000000u;
			engine_shared_late(e);
		}
		pthread_mutex_unlock(&P->out_mu);
		if (took) {
			idle = 0;
		} else if (++idle < 4) {
			sched_yield();
		} else {
			judge_wait(P);
		}
	}
	return NULL;
}

/* While the reader waits for room in a ring: every worker must see all it
 * was sent (a worker idle in front of an unpublished batch would keep its
 * floor, and so every other worker's output, where it is), the judge the
 * bound, and without a judge thread the reader takes the output itself. */
static void
par_drain_cb(void *ctx)
{
	struct engine *e = ctx;

	for (size_t i = 0; i < e->par->n; i++)
		ring_flush(&e->par->w[i].in);
	par_publish(e->par);
	if (!e->par->judge_running)
		par_drain(e, SIZE_MAX); /* the reader is the judge */
}

/* The front: waits until every worker has done all it was sent and all of
 * it is judged, judging alongside the judge meanwhile. */
static void
par_sync(struct engine *e)
{
	struct workers *P = e->par;

	for (size_t i = 0; i < P->n; i++)
		ring_flush(&P->w[i].in);
	par_publish(P);
	for (;;) {
		bool idle = true;

		pthread_mutex_lock(&P->out_mu);
		par_drain(e, SIZE_MAX);
		pthread_mutex_unlock(&P->out_mu);
		for (size_t i = 0; i < P->n; i++)
			if (atomic_load_explicit(&P->w[i].done, memory_order_acquire) !=
			    atomic_load_explicit(&P->w[i].sent, memory_order_relaxed))
				idle = false;
		if (idle)
			break;
		sched_yield();
	}
	pthread_mutex_lock(&P->out_mu);
	par_drain(e, SIZE_MAX);
	pthread_mutex_unlock(&P->out_mu);
}

static void
par_send_expire(struct engine *e, uint32_t type, uint64_t idx, uint64_t stage)
{
	struct workers *P = e->par;

	for (size_t i = 0; i < P->n; i++) {
		struct worker *w = &P->w[i];
		struct msg_expire *m = ring_reserve(&w->in, sizeof(*m), par_drain_cb, e);

		m->type = type;
		m->idx = idx;
		m->stage = stage;
		m->now_us = e->now_us;
		m->pclock_us = e->pclock_us;
		ring_commit(&w->in);
		par_sent(w);
	}
}

/* Expiry before packet pkt_idx, in every worker. */
static void
par_expire(struct engine *e)
{
	struct workers *P = e->par;

	par_set_next(P, (struct order_key){e->pkt_idx, STAGE_EXPIRE, 0});
	par_send_expire(e, MSG_EXPIRE, e->pkt_idx, STAGE_EXPIRE);
	par_set_next(P, (struct order_key){e->pkt_idx, STAGE_EVICT, 0});
}

/* The front: a DNS answer (or, without one, the first packet's time) for
 * the policies, which the judge keeps: learnt in packet order, between the
 * packet's expiry and its flow's work, as one thread does. */
void
par_learn(struct engine *e, const struct packet *pk)
{
	struct workers *P = e->par;
	size_t n = pk ? pk->payload_len : 0;
	struct order_key k = {e->pkt_idx, STAGE_EXPIRE, UINT64_MAX};
	struct msg_learn *m;

	if (n > ring_max_message(&P->learn) - sizeof(*m)) {
		e->st.alloc_failures++; /* larger than any IP datagram */
		return;
	}
	par_set_next(P, k);
	m = ring_reserve(&P->learn, sizeof(*m) + n, par_drain_cb, e);
	m->type = MSG_LEARN;
	m->key = k;
	m->pclock_us = e->pclock_us;
	m->l4 = pk ? pk->l4 : 0;
	m->ts_us = pk ? pk->ts_us : 0;
	m->len = n;
	if (n)
		memcpy(m->data, pk->payload, n);
	/* Published with the bound that moves past it (par_publish). */
	ring_commit_batch(&P->learn);
}

static void
par_dispatch(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame,
	     size_t caplen)
{
	struct workers *P = e->par;
	struct flow_key k;
	uint32_t hash = engine_packet_key(pk, &k);
	/* The high bits choose the worker; the flow table uses the low ones. */
	struct worker *w = &P->w[((uint64_t)hash * P->n) >> 32];
	struct msg_packet *m;

	P->ticks = 0;
	if (P->next.idx != e->pkt_idx || P->next.stage != STAGE_EVICT)
		par_set_next(P, (struct order_key){e->pkt_idx, STAGE_EVICT, 0});
	if (sizeof(*m) + caplen > WORKER_RING_IN / 4 - 64) {
		e->st.alloc_failures++; /* larger than any libpcap snapshot */
		return;
	}
	m = ring_reserve(&w->in, sizeof(*m) + caplen, par_drain_cb, e);
	m->type = MSG_PACKET;
	m->dlt = dlt;
	m->idx = e->pkt_idx;
	m->now_us = e->now_us;
	m->pclock_us = e->pclock_us;
	m->pk = *pk;
	m->l3_off = pk->l3 ? (size_t)(pk->l3 - frame) : 0;
	m->payload_off = pk->payload ? (size_t)(pk->payload - frame) : 0;
	m->caplen = caplen;
	memcpy(m->frame, frame, caplen);
	ring_commit_batch(&w->in);
	par_sent(w);
	par_set_next(P, (struct order_key){e->pkt_idx, STAGE_TICK, 0});
	/* The packets are published in batches; every few packets all of
	 * them, so that no worker's floor holds the judge back for long. */
	if ((e->pkt_idx & 1023) == 0) {
		for (size_t i = 0; i < P->n; i++)
			ring_flush(&P->w[i].in);
		par_publish(P);
		if (!P->judge_running)
			par_drain(e, SIZE_MAX); /* the reader is the judge */
	}
}

static void
par_tick(struct engine *e)
{
	struct workers *P = e->par;
	uint64_t stage = STAGE_TICK + P->ticks++;

	if (P->finished)
		return;
	par_set_next(P, (struct order_key){e->pkt_idx, stage, 0});
	par_send_expire(e, MSG_EXPIRE, e->pkt_idx, stage);
	par_set_next(P, (struct order_key){e->pkt_idx, stage + 1, 0});
	par_sync(e);
}

/* The reader is about to wait for input: what the workers were sent is
 * done and its output judged now, not when more packets come. */
static void
par_flush(struct engine *e)
{
	if (!e->par->finished)
		par_sync(e);
}

/* Stops the judge thread: everything sent is judged by then (par_finish),
 * or nothing was sent (par_free after a failed start). */
void
par_stop_judge(struct workers *P)
{
	if (!P->judge_running)
		return;
	pthread_mutex_lock(&P->judge_mu);
	atomic_store_explicit(&P->judge_stop, true, memory_order_release);
	pthread_cond_signal(&P->judge_cv);
	pthread_mutex_unlock(&P->judge_mu);
	pthread_join(P->judge, NULL);
	P->judge_running = false;
}

static void
par_finish(struct engine *e)
{
	struct workers *P = e->par;

	if (P->finished)
		return;
	par_set_next(P, (struct order_key){UINT64_MAX, 0, 0});
	par_send_expire(e, MSG_FINISH, UINT64_MAX, 0);
	par_set_next(P, key_max);
	P->finished = true;
	par_sync(e);
	for (size_t i = 0; i < P->n; i++) {
		pthread_join(P->w[i].thread, NULL);
		P->w[i].running = false;
	}
	par_stop_judge(P);
}

/* A worker owns flows like the single thread (engine_ops_local) and hands
 * what it finishes to the front. */
const struct engine_owner engine_owner_worker = {
	.session_id = worker_session_id,
	.created = worker_created,
	.finished = worker_finished,
	.early = worker_early,
	.evidence_room = worker_evidence_room,
	.link = worker_link,
};

/* The front owns no flow: it dispatches, and judges what comes back. */
const struct engine_ops engine_ops_front = {
	.packet = par_dispatch,
	.expire = par_expire,
	.tick = par_tick,
	.finish = par_finish,
	.flush = par_flush,
	.stats = par_stats,
	.open_flows = par_open_flows,
};
