/*
 * workers_life.c - the workers of --threads N started with their share of
 * the caps, their counters summed for engine_stats, and the workers stopped
 * and freed (workers.c is what they do).
 */
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idmap.h"
#include "ring.h"
#include "workers.h"

/* The counters a worker keeps (a flow owner's), summed over the workers;
 * flows_max_seen, udp_flows_max_seen and memory_max are sums of the
 * workers' highs. Every one is a uint64_t. */
#define WORKER_COUNTER(field) COUNTER_AT(struct stats, field)
static const size_t worker_counters[] = {
	WORKER_COUNTER(payload_cut),
	WORKER_COUNTER(stray_packets),
	WORKER_COUNTER(sctp_chunks_bad),
	WORKER_COUNTER(sctp_data_dup),
	WORKER_COUNTER(sctp_data_gaps),
	WORKER_COUNTER(sctp_idata),
	WORKER_COUNTER(late_packets),
	WORKER_COUNTER(flows_created),
	WORKER_COUNTER(flows_closed),
	WORKER_COUNTER(flows_idle),
	WORKER_COUNTER(flows_dormant),
	WORKER_COUNTER(flows_resumed),
	WORKER_COUNTER(flows_evicted),
	WORKER_COUNTER(flows_at_end),
	WORKER_COUNTER(flows_max_seen),
	WORKER_COUNTER(flows_packed),
	WORKER_COUNTER(flows_evicted_memcap),
	WORKER_COUNTER(udp_flows_created),
	WORKER_COUNTER(udp_flows_idle),
	WORKER_COUNTER(udp_flows_evicted),
	WORKER_COUNTER(udp_flows_max_seen),
	WORKER_COUNTER(memory_now),
	WORKER_COUNTER(memory_max),
	WORKER_COUNTER(alerts_dropped),
	WORKER_COUNTER(alloc_failures),
	WORKER_COUNTER(ndpi_flows),
	WORKER_COUNTER(ndpi_identified),
	WORKER_COUNTER(evidence_packets_dropped),
	WORKER_COUNTER(reasm.ooo_bytes_now),
	WORKER_COUNTER(reasm.segments_in_order),
	WORKER_COUNTER(reasm.segments_ooo),
	WORKER_COUNTER(reasm.segments_retrans),
	WORKER_COUNTER(reasm.segments_overlap),
	WORKER_COUNTER(reasm.gaps),
	WORKER_COUNTER(reasm.gap_bytes),
	WORKER_COUNTER(reasm.cap_stream_hits),
	WORKER_COUNTER(reasm.cap_global_hits),
};

static void
stats_add(struct stats *to, const struct stats *from)
{
	for (size_t i = 0; i < sizeof(worker_counters) / sizeof(worker_counters[0]); i++) {
		uint64_t sum, add;

		memcpy(&sum, (char *)to + worker_counters[i], sizeof(sum));
		memcpy(&add, (const char *)from + worker_counters[i], sizeof(add));
		sum += add;
		memcpy((char *)to + worker_counters[i], &sum, sizeof(sum));
	}
}

/* The front's counters plus what the workers last published. The workers
 * count the flows; the front counts packets, sessions and alerts. */
struct stats *
par_stats(struct engine *e)
{
	struct workers *P = e->par;
	struct stats *a = &P->agg;
	uint64_t rx = a->pcap_received, drop = a->pcap_dropped, ifdrop = a->pcap_ifdropped;
	int valid = a->pcap_stats_valid;

	*a = e->st;
	a->alloc_failures += P->judge_alloc_failures;
	a->reasm.stream_cap = e->cfg.stream_cap;
	a->reasm.ooo_bytes_cap = e->cfg.ooo_cap;
	for (size_t i = 0; i < P->n; i++) {
		pthread_mutex_lock(&P->w[i].snap_mu);
		stats_add(a, &P->w[i].snap);
		pthread_mutex_unlock(&P->w[i].snap_mu);
	}
	a->pcap_received = rx;
	a->pcap_dropped = drop;
	a->pcap_ifdropped = ifdrop;
	a->pcap_stats_valid = valid;
	return a;
}

size_t
par_open_flows(const struct engine *e)
{
	struct workers *P = e->par;
	size_t n = 0;

	for (size_t i = 0; i < P->n; i++) {
		pthread_mutex_lock(&P->w[i].snap_mu);
		n += P->w[i].snap_flows;
		pthread_mutex_unlock(&P->w[i].snap_mu);
	}
	return n;
}

/* n rounded up to a multiple of 64, as aligned_alloc wants. */
static size_t
par_round(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* The front engine e's merge: the lock and the queue of DNS answers, and
 * the judge thread, with no signal to take (they are the reader's), when
 * --judge-thread asks for it or, by default, when there is a CPU for it:
 * on fewer, the reading thread judges between packets, as the extra
 * thread would only share its CPU and add the cost of waking each other. */
static int
par_start_judge(struct engine *e, char *err, size_t errsz)
{
	struct workers *P = e->par;
	pthread_mutexattr_t ma;
	sigset_t all, old;
	int rc;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&P->out_mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_mutex_init(&P->judge_mu, NULL);
	pthread_cond_init(&P->judge_cv, NULL);
	P->out_mu_init = true;
	if (e->cfg.judge_thread == 0 ||
	    (e->cfg.judge_thread < 0 && sysconf(_SC_NPROCESSORS_ONLN) < (long)P->n + 2))
		return 0;
	/* As large as the workers' input rings together: a DNS answer's
	 * message is smaller than its packet's, so this queue never fills
	 * while the workers still have packets to catch up on (the answers
	 * wait for the sessions before them; a full queue would stall the
	 * reader on workers that are not stalled). */
	if (ring_init(&P->learn, P->n * WORKER_RING_IN) < 0) {
		snprintf(err, errsz, "out of memory for the workers' queues");
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&P->judge, NULL, judge_main, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errsz, "cannot start the judge thread");
		return -1;
	}
	P->judge_running = true;
	pthread_setname_np(P->judge, "tlswatch-judge");
	return 0;
}

/* Creates the workers of the front engine e (cfg.threads of them), each
 * with its share of the caps. */
int
par_start(struct engine *e, char *err, size_t errsz)
{
	/* Aligned: the rings and counters keep each thread's fields on
	 * cache lines of their own. */
	struct workers *P = aligned_alloc(64, par_round(sizeof(*P)));
	struct engine_config wc = e->cfg;
	size_t n = e->cfg.threads;

	if (P) {
		memset(P, 0, sizeof(*P));
		P->w = aligned_alloc(64, par_round(n * sizeof(*P->w)));
	}
	if (!P || !P->w) {
		free(P);
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	memset(P->w, 0, n * sizeof(*P->w));
	e->par = P;
	wc.max_flows = (e->cfg.max_flows + n - 1) / n;
	wc.max_udp_flows = (e->cfg.max_udp_flows + n - 1) / n;
	wc.ooo_cap = e->cfg.ooo_cap / n;
	wc.memcap = e->cfg.memcap / n;
	wc.threads = 1;
	for (size_t i = 0; i < n; i++) {
		struct worker *w = &P->w[i];

		w->par = P;
		pthread_mutex_init(&w->snap_mu, NULL);
		P->n = i + 1;
		w->e = engine_alloc(&wc, NULL, ROLE_WORKER, err, errsz);
		if (!w->e)
			return -1;
		w->e->self = w;
		w->ev_cap = EVIDENCE_GLOBAL_CAP / n;
		w->e->evs.cap = w->ev_cap;
		if (ring_init(&w->in, WORKER_RING_IN) < 0 ||
		    ring_init(&w->out, WORKER_RING_OUT) < 0) {
			snprintf(err, errsz, "out of memory for the workers' queues");
			return -1;
		}
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			snprintf(err, errsz, "cannot start worker thread %zu", i + 1);
			return -1;
		}
		w->running = true;
		{
			char name[16];

			snprintf(name, sizeof(name), "tlswatch-w%u", (unsigned)(i % 64));
			pthread_setname_np(w->thread, name); /* for top -H and perf */
		}
	}
	return par_start_judge(e, err, errsz);
}

void
par_free(struct engine *e)
{
	struct workers *P = e->par;

	if (!P)
		return;
	par_stop_judge(P);
	for (size_t i = 0; i < P->n; i++) {
		struct worker *w = &P->w[i];

		if (w->running) {
			/* Only when start-up failed half way: nothing was sent. */
			uint32_t *m = ring_reserve(&w->in, sizeof(*m), NULL, NULL);

			*m = MSG_FINISH;
			ring_commit(&w->in);
			pthread_join(w->thread, NULL);
		}
		if (w->e) {
			w->e->self = NULL;
			engine_free(w->e);
		}
		ring_destroy(&w->in);
		ring_destroy(&w->out);
		pthread_mutex_destroy(&w->snap_mu);
	}
	idmap_free(&P->ids);
	if (P->learn.buf)
		ring_destroy(&P->learn);
	if (P->out_mu_init) {
		pthread_mutex_destroy(&P->out_mu);
		pthread_mutex_destroy(&P->judge_mu);
		pthread_cond_destroy(&P->judge_cv);
	}
	free(P->w);
	free(P);
	e->par = NULL;
}

void
engine_output_lock(struct engine *e)
{
	if (e->par && e->par->judge_running)
		pthread_mutex_lock(&e->par->out_mu);
}

void
engine_output_unlock(struct engine *e)
{
	if (e->par && e->par->judge_running)
		pthread_mutex_unlock(&e->par->out_mu);
}

bool
par_judge_thread(const struct engine *e)
{
	return e->par && e->par->judge_running;
}
