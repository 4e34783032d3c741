/*
 * engine.c - the pipeline driver (see engine.h).
 *
 * Flow lifecycle:
 *  - A SYN starts a flow with its sender as the client; a SYN-ACK seen first
 *    starts it with the receiver as the client. A segment with payload and no
 *    known flow starts a "midstream" flow: the client is the side not on a
 *    well-known port, else the first sender. A lone ACK/FIN/RST with no flow
 *    is counted as stray and starts nothing.
 *  - RST, or FIN from both sides, finishes the session at once; the flow then
 *    lingers closed for linger_us to absorb late packets (counted), as a bare
 *    struct flow (the session and its buffers are freed), and a new SYN on
 *    the same 5-tuple replaces it.
 *  - An open flow idle for idle_timeout_us is finished (END_IDLE); when the
 *    table is full the idlest flow is finished early (END_EVICTED). Flows are
 *    stamped with the engine's clock (the latest packet time), not their
 *    packet's time, so each LRU list is in time order even when capture
 *    times step back, and expiry can stop at the first flow not yet due.
 *  - At the end of the capture every open session is finished (END_CAPTURE).
 * Finishing flushes reassembly (holes become gap events), judges the session
 * and hands it and its alerts to the output.
 *
 * Workers (--threads N, N > 1): the engine the caller holds becomes the
 * front. It decodes each frame, counts it, and hands TCP packets to one of N
 * worker engines chosen by the symmetric flow hash, so both directions of a
 * flow meet in one worker; each worker has its own flow table, reassembly and
 * nDPI. A worker does everything up to the verdict and hands finished
 * sessions back; the front judges them, runs the correlation and feeds the
 * output, in the order one thread would have: every finished session carries
 * an order key (the index of the packet that finished it, the stage within
 * that packet, and for expiry the index of the flow's last packet, which is
 * its place in the LRU order) and the front merges the workers' queues by
 * that key, taking a session only when no worker can still produce an
 * earlier one. Session ids are given by the front in the order the workers
 * created the flows (each creation is reported with its key too). Expiry is
 * decided by the front from packet times and broadcast to every worker at
 * the same packet index. The caps are divided among the workers (max_flows,
 * ooo_cap, the evidence cap); while no cap is reached the output is the same
 * as with one thread.
 */
#include "engine.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "dpi.h"
#include "evidence.h"
#include "flow.h"
#include "reasm.h"
#include "ring.h"
#include "verdict.h"

#define ENGINE_ALERTS_MAX (2 * ALERT_KIND_COUNT + LOGIN_MAX)

struct conn {
	struct flow flow; /* first: the table links this */
	struct reasm_half half[2];
	struct session sess;
	struct dpi_flow *dpi;
	uint32_t dpi_packets;
	bool dpi_done;
	bool ndpi_cleartext;
	bool fin[2];
	struct evidence_buf ev; /* --evidence: packets until settled */
	uint64_t last_idx;	/* index of the flow's last packet: its LRU rank */
};

/* An open flow whose session is settled (TLS established: nothing more to
 * parse) and has nothing left to keep (no nDPI, no evidence packets) costs
 * only this: the counters packets still move, and the session record
 * packed (session_pack: 150-330 of its 1,904 bytes on real mail). It becomes a
 * struct conn again, off the table, only to be reported. */
struct conn_packed {
	struct flow flow; /* first; flow.packed is set */
	bool fin[2];
	bool ndpi_cleartext;
	bool syn_seen;
	uint64_t id; /* the session's (a worker's provisional one) */
	uint64_t ts_first_us;
	uint64_t last_idx;
	uint64_t packets, ts_last_us, bytes[2], bypassed_bytes;
	size_t len;
	uint8_t data[]; /* the session, packed */
};

/* Where a finished session stands in the order one thread reports them:
 * the index of the packet (or tick) that finished it, the stage within
 * that packet, and, for flows expired together, their LRU rank. */
struct order_key {
	uint64_t idx;
	uint64_t stage;
	uint64_t sub;
};

enum {
	STAGE_EXPIRE = 0, /* idle flows expired before the packet */
	STAGE_EVICT = 1,  /* the idlest flow finished to make room */
	STAGE_CREATE = 2, /* the packet's flow created */
	STAGE_CLOSE = 3,  /* the packet's RST or last FIN */
	STAGE_TICK = 4,	  /* ticks after the packet: STAGE_TICK + n */
};

struct workers;
struct worker;

struct engine {
	struct engine_config cfg;
	struct engine_output out;
	struct flow_table *flows;
	struct dpi *dpi;
	struct correlate *corr;
	struct ipfrag *frag; /* the reader's (single thread or front) */
	struct evidence_stats evs;
	struct stats st;
	uint64_t next_id;
	uint64_t now_us;
	uint64_t last_expire_us;
	uint64_t pkt_idx;      /* packets so far; the current packet's index */
	uint64_t mem_now;      /* bytes accounted to the flow records (flow.mem) */
	uint64_t key_idx;      /* order key of the work being done (workers) */
	uint64_t expire_stage; /* stage of the expiry being done */
	struct worker *self;   /* in a worker: where finished sessions go */
	struct workers *par;   /* in the front of --threads N: the workers */
};

void
engine_config_defaults(struct engine_config *c)
{
	c->max_flows = 262144;
	c->memcap = 512ull << 20;
	c->idle_timeout_us = 300ull * 1000000;
	c->linger_us = 30ull * 1000000;
	c->stream_cap = 256 * 1024;
	c->ooo_cap = 64ull * 1024 * 1024;
	c->use_ndpi = true;
	c->threads = 1;
	c->evidence_dirfd = -1;
	ipfrag_config_defaults(&c->frag);
	correlate_config_defaults(&c->corr);
}

/* What an engine does: everything (one thread), only the flows (a worker),
 * or only the judging and the correlation (the front of the workers). */
enum engine_role {
	ROLE_SINGLE,
	ROLE_WORKER,
	ROLE_FRONT,
};

static struct engine *
engine_alloc(const struct engine_config *cfg, const struct engine_output *out,
	     enum engine_role role, char *err, size_t errsz)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	if (out)
		e->out = *out;
	e->next_id = 1;
	e->st.reasm.stream_cap = cfg->stream_cap;
	e->st.reasm.ooo_bytes_cap = cfg->ooo_cap;
	if (role != ROLE_FRONT) {
		e->flows = flow_table_new(cfg->max_flows);
		if (!e->flows) {
			snprintf(err, errsz, "out of memory for %zu flows", cfg->max_flows);
			goto fail;
		}
		if (cfg->use_ndpi) {
			e->dpi = dpi_new(err, errsz);
			if (!e->dpi)
				goto fail;
		}
	}
	if (role != ROLE_WORKER) {
		e->corr = correlate_new(&cfg->corr, err, errsz);
		e->frag = ipfrag_new(&cfg->frag);
		if (!e->corr || !e->frag) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
	}
	return e;
fail:
	correlate_free(e->corr);
	ipfrag_free(e->frag);
	dpi_free(e->dpi);
	flow_table_free(e->flows);
	free(e);
	return NULL;
}

static int par_start(struct engine *e, char *err, size_t errsz);
static void par_free(struct engine *e);

struct engine *
engine_new(const struct engine_config *cfg, const struct engine_output *out, char *err,
	   size_t errsz)
{
	struct engine *e;

	if (cfg->threads <= 1)
		return engine_alloc(cfg, out, ROLE_SINGLE, err, errsz);
	e = engine_alloc(cfg, out, ROLE_FRONT, err, errsz);
	if (e && par_start(e, err, errsz) < 0) {
		par_free(e); /* stops the workers that started; nothing was sent */
		engine_free(e);
		return NULL;
	}
	return e;
}

int
engine_save_state(struct engine *e, char *err, size_t errsz)
{
	return correlate_save(e->corr, err, errsz);
}

/* Alerts about earlier sessions, raised by the correlation. */
static void
engine_late_alert(void *ctx, const struct alert *a)
{
	struct engine *e = ctx;

	e->st.alerts++;
	if (e->out.alert)
		e->out.alert(e->out.ctx, a);
}

static struct stats *par_stats(struct engine *e);

/* This engine's own counters, complete. */
static void
engine_stats_local(struct engine *e)
{
	struct correlate_stats cs;

	if (e->corr) {
		correlate_stats_get(e->corr, &cs);
		e->st.servers_forgotten = cs.servers_forgotten;
		e->st.pairs_forgotten = cs.pairs_forgotten;
		e->st.state_servers_loaded = cs.state_servers_loaded;
	}
	e->st.evidence_packets_dropped = e->evs.packets_dropped;
	if (e->frag)
		e->st.frag = *ipfrag_stats(e->frag);
	e->st.memory_now = e->mem_now;
}

static size_t par_open_flows(const struct engine *e);

struct stats *
engine_stats(struct engine *e)
{
	engine_stats_local(e);
	return e->par ? par_stats(e) : &e->st;
}

size_t
engine_open_flows(const struct engine *e)
{
	return e->par ? par_open_flows(e) : flow_table_count(e->flows);
}

/* Reassembly's consumer: bytes and gaps go to the session. */
static void
engine_deliver(void *ctx, enum dir dir, enum reasm_event ev, const uint8_t *data, size_t len)
{
	struct session *s = ctx;

	if (ev == REASM_DATA)
		session_on_data(s, dir, data, len);
	else
		session_on_gap(s, dir, len);
}

static void
engine_free_conn_buffers(struct engine *e, struct conn *c)
{
	reasm_half_free(&c->half[0], &e->st.reasm);
	reasm_half_free(&c->half[1], &e->st.reasm);
	dpi_flow_free(&c->dpi);
	session_release(&c->sess);
	evidence_free(&c->ev, &e->evs);
}

/* Could this session still raise an alert of its own? Once the outcome is
 * settled, a session without indicators, logins or weak TLS cannot, and its
 * evidence packets can go. */
static bool
engine_may_alert(const struct session *s)
{
	return s->pf.indicators || s->pf.n_logins || s->tf.not_tls[0] || s->tf.not_tls[1] ||
	       (s->tf.server_hello &&
		(tls_version_is_obsolete(s->tf.version) || tls_cipher_is_weak(s->tf.cipher)));
}

static bool
engine_has_secret(const struct session *s)
{
	for (size_t i = 0; i < s->pf.n_logins; i++)
		if (s->pf.logins[i].has_secret)
			return true;
	return false;
}

/* Writes the session's kept packets for its alerts; names the file in them. */
static void
engine_write_evidence(struct engine *e, const struct session *s, const struct evidence_buf *ev,
		      struct alert *alerts, size_t n)
{
	char name[256], path[512], err[600], ts[40];
	time_t t = (time_t)(s->ts_first_us / 1000000);
	struct tm tm;

	if (e->cfg.evidence_dirfd < 0 || n == 0 || !ev->head)
		return;
	if (engine_has_secret(s) && !e->cfg.show_secrets) {
		e->st.evidence_withheld++;
		return;
	}
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, sizeof(name), "%s-session%" PRIu64 "-%s-%u.pcap", ts, s->id, s->service,
		 s->server_port);
	snprintf(path, sizeof(path), "%s/%s", e->cfg.evidence_dir ? e->cfg.evidence_dir : ".",
		 name);
	if (evidence_write(ev, e->cfg.evidence_dirfd, name, err, sizeof(err)) < 0) {
		if (e->st.evidence_failed++ == 0)
			fprintf(stderr, "tlswatch: --evidence: %s\n", err);
		return;
	}
	e->st.evidence_files++;
	for (size_t i = 0; i < n; i++)
		snprintf(alerts[i].pcap, sizeof(alerts[i].pcap), "%s", path);
}

/* Judges a finished session (reassembly flushed, end set) and hands it and
 * its alerts to the output; ev holds its kept packets. */
static void
engine_judge(struct engine *e, struct session *s, const struct evidence_buf *ev,
	     bool ndpi_cleartext)
{
	struct alert alerts[ENGINE_ALERTS_MAX];
	struct verdict_input vin;
	size_t n;

	if (s->bytes[DIR_C2S] + s->bytes[DIR_S2C] == 0 && !s->gap && !e->cfg.show_empty) {
		/* An unanswered SYN, a handshake and a close: nothing was said,
		 * nothing to judge. Counted, kept out of the sessions and shares. */
		e->st.sessions_empty++;
		return;
	}
	session_name_service(s);
	vin.ndpi_cleartext = ndpi_cleartext;
	n = verdict_judge(s, &vin, alerts, ENGINE_ALERTS_MAX);
	n += correlate_session(e->corr, s, alerts + n, ENGINE_ALERTS_MAX - n, engine_late_alert, e);
	engine_write_evidence(e, s, ev, alerts, n);
	e->st.sessions++;
	e->st.alerts += n;
	e->st.parser_cap_hits += s->pf.cap_hits + s->tf.cap_hits;
	e->st.logins_dropped += s->pf.logins_dropped;
	e->st.bypassed_bytes += s->bypassed_bytes;
	if (e->out.session)
		e->out.session(e->out.ctx, s);
	for (size_t i = 0; i < n; i++)
		if (e->out.alert)
			e->out.alert(e->out.ctx, &alerts[i]);
}

static void worker_hand_back(struct engine *e, struct conn *c, const struct order_key *key);

/* Finishes the session: flushes reassembly, lets nDPI give its answer, and
 * judges it here or (in a worker) hands it back to the front. */
static void
engine_report(struct engine *e, struct conn *c, enum session_end end)
{
	struct session *s = &c->sess;

	if (!session_settled(s)) {
		reasm_flush(&c->half[DIR_C2S], &e->st.reasm, DIR_C2S, engine_deliver, s);
		reasm_flush(&c->half[DIR_S2C], &e->st.reasm, DIR_S2C, engine_deliver, s);
	}
	if (!c->dpi_done && c->dpi) {
		dpi_giveup(e->dpi, &c->dpi, s->ndpi, sizeof(s->ndpi), &c->ndpi_cleartext);
		c->dpi_done = true;
		if (s->ndpi[0])
			e->st.ndpi_identified++;
	}
	s->end = end;
	if (e->self) {
		struct order_key key = {e->key_idx, STAGE_CLOSE, 0};

		if (end == END_EVICTED) {
			key.stage = STAGE_EVICT;
		} else if (end == END_IDLE || end == END_CAPTURE) {
			key.stage = e->expire_stage;
			key.sub = c->last_idx;
		}
		worker_hand_back(e, c, &key);
	} else {
		engine_judge(e, s, &c->ev, c->ndpi_cleartext);
	}
	engine_free_conn_buffers(e, c);
}

/*
 * The memcap: every record in the flow table (struct conn with what its
 * session holds, a packed session, a lingering closed flow) carries in
 * flow.mem the bytes it was last accounted for; mem_now is their sum.
 */
static void
engine_mem_set(struct engine *e, struct flow *f, size_t bytes)
{
	e->mem_now = e->mem_now - f->mem + bytes;
	f->mem = (uint32_t)(bytes < UINT32_MAX ? bytes : UINT32_MAX);
	if (e->mem_now > e->st.memory_max)
		e->st.memory_max = e->mem_now;
}

/* What an open flow holds: the record, the session's parser state, nDPI's
 * flow, buffered out-of-order segments and kept evidence packets. */
static size_t
engine_conn_bytes(const struct conn *c)
{
	return sizeof(*c) + session_heap_bytes(&c->sess) + (c->dpi ? dpi_flow_size() : 0) +
	       c->half[0].ooo_bytes + c->half[1].ooo_bytes + c->ev.bytes;
}

static void engine_retire(struct engine *e, struct flow *f, enum session_end end);

/* Makes room for need more bytes under the memcap: the idlest flows (closed
 * ones first) are finished early, never keep (the flow at hand). */
static void
engine_mem_room(struct engine *e, size_t need, const struct flow *keep)
{
	struct flow *old;

	if (e->cfg.memcap == 0)
		return;
	while (e->mem_now + need > e->cfg.memcap && (old = flow_table_oldest(e->flows)) != NULL &&
	       old != keep) {
		if (!old->closed)
			e->st.flows_evicted_memcap++;
		engine_retire(e, old, END_EVICTED);
	}
}

/* Forgets a flow: an open one with its session (struct conn), a packed one,
 * or a closed one (only its struct flow is left, see engine_bury). */
static void
engine_remove(struct engine *e, struct flow *f)
{
	flow_table_remove(e->flows, f);
	if (!f->closed && !f->packed)
		engine_free_conn_buffers(e, (struct conn *)f);
	e->mem_now -= f->mem;
	free(f);
}

/* A reported flow lingers closed to absorb late packets: only its key and
 * times are kept (a struct flow, not the 2 KiB struct conn). f is the
 * flow in the table, first member of its record, which is freed. */
static void
engine_bury(struct engine *e, struct flow *f)
{
	struct flow *t = malloc(sizeof(*t));

	flow_table_remove(e->flows, f);
	if (t) {
		*t = *f;
		t->packed = false;
		flow_table_insert(e->flows, t, f->ts_last_us);
		flow_table_close(e->flows, t);
		engine_mem_set(e, t, sizeof(*t));
	} else {
		e->st.alloc_failures++; /* then it does not linger */
		e->mem_now -= f->mem;
	}
	free(f);
}

/* Packs a settled session that keeps nothing else (see struct
 * conn_packed); c is freed and replaced in the table, at its place. */
static void
engine_pack(struct engine *e, struct conn *c)
{
	uint8_t buf[sizeof(struct session) + 64];
	size_t len = session_pack(&c->sess, buf, sizeof(buf));
	struct conn_packed *p;

	if (len == 0 || !(p = malloc(sizeof(*p) + len)))
		return; /* stays unpacked: nothing lost */
	p->flow = c->flow;
	p->flow.packed = true;
	p->fin[0] = c->fin[0];
	p->fin[1] = c->fin[1];
	p->ndpi_cleartext = c->ndpi_cleartext;
	p->syn_seen = c->sess.syn_seen;
	p->id = c->sess.id;
	p->ts_first_us = c->sess.ts_first_us;
	p->last_idx = c->last_idx;
	p->packets = c->sess.packets;
	p->ts_last_us = c->sess.ts_last_us;
	p->bytes[0] = c->sess.bytes[0];
	p->bytes[1] = c->sess.bytes[1];
	p->bypassed_bytes = c->sess.bypassed_bytes;
	p->len = len;
	memcpy(p->data, buf, len);
	/* The packet just touched c: it is the newest open flow, and so is p. */
	flow_table_remove(e->flows, &c->flow);
	flow_table_insert(e->flows, &p->flow, c->flow.ts_last_us);
	engine_free_conn_buffers(e, c);
	free(c);
	engine_mem_set(e, &p->flow, sizeof(*p) + len);
	e->st.flows_packed++;
}

/* Rebuilds the struct conn of a packed flow in c, off the table, to be
 * reported. A record that does not unpack (it cannot happen: it was packed
 * here) still yields the session's identity, so it is reported, and
 * counted in alloc_failures. */
static void
engine_unpack(struct engine *e, const struct conn_packed *p, struct conn *c)
{
	memset(c, 0, sizeof(*c));
	if (!session_unpack(&c->sess, p->data, p->len)) {
		struct session *s = &c->sess;
		size_t alen = p->flow.key.family == 6 ? 16 : 4;

		e->st.alloc_failures++;
		session_init(s, p->id, p->ts_first_us);
		s->family = p->flow.key.family;
		memcpy(s->client_ip, p->flow.key.addr[0], alen);
		memcpy(s->server_ip, p->flow.key.addr[1], alen);
		s->client_port = p->flow.key.port[0];
		s->server_port = p->flow.key.port[1];
	}
	c->flow = p->flow;
	c->flow.packed = false;
	c->fin[0] = p->fin[0];
	c->fin[1] = p->fin[1];
	c->ndpi_cleartext = p->ndpi_cleartext;
	c->dpi_done = true;
	c->last_idx = p->last_idx;
	c->sess.syn_seen = p->syn_seen;
	c->sess.packets = p->packets;
	c->sess.ts_last_us = p->ts_last_us;
	c->sess.bytes[0] = p->bytes[0];
	c->sess.bytes[1] = p->bytes[1];
	c->sess.bypassed_bytes = p->bypassed_bytes;
	reasm_half_init(&c->half[0]);
	reasm_half_init(&c->half[1]);
	evidence_init(&c->ev);
}

/* Reports a packed flow's session (the flow stays in the table). */
static void
engine_report_packed(struct engine *e, struct conn_packed *p, enum session_end end)
{
	struct conn c;

	engine_unpack(e, p, &c);
	engine_report(e, &c, end);
}

/* Finishes (if still open) and removes a flow. */
static void
engine_retire(struct engine *e, struct flow *f, enum session_end end)
{
	if (f->packed)
		engine_report_packed(e, (struct conn_packed *)f, end);
	else if (!f->closed)
		engine_report(e, (struct conn *)f, end);
	engine_remove(e, f);
}

/* Finishes open flows idle for idle_timeout_us (oldest first, so in LRU
 * order) and forgets closed flows that lingered linger_us. */
static void
engine_expire(struct engine *e, uint64_t now)
{
	struct flow *f;

	while ((f = flow_table_oldest_open(e->flows)) != NULL) {
		if (f->ts_last_us + e->cfg.idle_timeout_us > now)
			break;
		e->st.flows_idle++;
		engine_retire(e, f, END_IDLE);
	}
	while ((f = flow_table_oldest_closed(e->flows)) != NULL) {
		if (f->ts_last_us + e->cfg.linger_us > now)
			break;
		engine_remove(e, f);
	}
}

static void par_tick(struct engine *e);

void
engine_tick(struct engine *e, uint64_t now_us)
{
	if (now_us > e->now_us)
		e->now_us = now_us;
	if (e->par)
		par_tick(e);
	else
		engine_expire(e, e->now_us);
}

/* Is this port one a server is expected on? */
static bool
engine_server_port(uint16_t port)
{
	bool tls_port;

	return proto_by_port(port, 6, &tls_port) != NULL;
}

static void worker_created(struct engine *e, uint64_t idx);

static struct conn *
engine_new_conn(struct engine *e, const struct packet *pk, bool src_is_client, uint32_t hash)
{
	struct conn *c;
	struct session *s;
	int ci = src_is_client ? 0 : 1;
	size_t alen = pk->family == 6 ? 16 : 4;

	if (flow_table_count(e->flows) >= e->cfg.max_flows) {
		struct flow *old = flow_table_oldest(e->flows);

		if (old) {
			if (!old->closed)
				e->st.flows_evicted++;
			engine_retire(e, old, END_EVICTED);
		}
	}
	engine_mem_room(e, sizeof(*c), NULL);
	c = calloc(1, sizeof(*c));
	if (!c) {
		e->st.alloc_failures++;
		return NULL;
	}
	engine_mem_set(e, &c->flow, sizeof(*c));
	c->last_idx = e->pkt_idx;
	c->flow.key.family = pk->family;
	c->flow.key.l4 = pk->l4;
	c->flow.key.port[ci] = pk->sport;
	c->flow.key.port[1 - ci] = pk->dport;
	memcpy(c->flow.key.addr[ci], pk->src, alen);
	memcpy(c->flow.key.addr[1 - ci], pk->dst, alen);
	c->flow.hash = hash;
	reasm_half_init(&c->half[0]);
	reasm_half_init(&c->half[1]);
	evidence_init(&c->ev);
	s = &c->sess;
	/* A worker names a session by the packet that created it; the front
	 * gives the id in creation order. */
	session_init(s, e->self ? e->pkt_idx : e->next_id++, pk->ts_us);
	s->family = pk->family;
	memcpy(s->client_ip, c->flow.key.addr[0], 16);
	memcpy(s->server_ip, c->flow.key.addr[1], 16);
	s->client_port = c->flow.key.port[0];
	s->server_port = c->flow.key.port[1];
	flow_table_insert(e->flows, &c->flow, e->now_us);
	e->st.flows_created++;
	if (e->self)
		worker_created(e, e->pkt_idx);
	if (flow_table_count(e->flows) > e->st.flows_max_seen)
		e->st.flows_max_seen = flow_table_count(e->flows);
	return c;
}

/* Who is the client of a flow first seen through this packet? */
static bool
engine_src_is_client(const struct packet *pk)
{
	bool syn = pk->tcp_flags & TCP_SYN, ack = pk->tcp_flags & TCP_ACK;
	bool dport_known, sport_known;

	if (syn)
		return !ack; /* SYN from the client, SYN-ACK from the server */
	dport_known = engine_server_port(pk->dport);
	sport_known = engine_server_port(pk->sport);
	if (dport_known != sport_known)
		return dport_known;
	if (pk->sport != pk->dport && (pk->sport < 1024) != (pk->dport < 1024))
		return pk->dport < 1024;
	return true; /* the first sender */
}

/* nDPI gets the packets of a session the own sniffers have not recognised. */
static void
engine_consult_ndpi(struct engine *e, struct conn *c, const struct packet *pk)
{
	struct session *s = &c->sess;

	if (!e->dpi || c->dpi_done)
		return;
	if (s->plain_seen || s->tf.records[0] || s->tf.records[1] || s->mode == MODE_TLS) {
		/* Recognised by content: nDPI is not needed any more. */
		dpi_flow_free(&c->dpi);
		c->dpi_done = true;
		return;
	}
	if (!c->dpi && pk->payload_len == 0)
		return; /* start nDPI with the first unrecognised payload */
	if (!c->dpi)
		e->st.ndpi_flows++;
	if (dpi_process(e->dpi, &c->dpi, pk->l3, pk->l3_len, pk->ts_us, &c->dpi_packets, s->ndpi,
			sizeof(s->ndpi), &c->ndpi_cleartext)) {
		c->dpi_done = true;
		if (s->ndpi[0])
			e->st.ndpi_identified++;
	}
}

/* The packet's flow key (sender first) and its symmetric hash. */
static uint32_t
engine_packet_key(const struct packet *pk, struct flow_key *k)
{
	size_t alen = pk->family == 6 ? 16 : 4;

	memset(k, 0, sizeof(*k));
	k->family = pk->family;
	k->l4 = pk->l4;
	k->port[0] = pk->sport;
	k->port[1] = pk->dport;
	memcpy(k->addr[0], pk->src, alen);
	memcpy(k->addr[1], pk->dst, alen);
	return flow_key_hash(k);
}

static void engine_tcp_packed(struct engine *e, struct conn_packed *p, const struct packet *pk,
			      bool reversed);

/* Does this packet end its flow? A RST, or the FIN that completes both
 * sides' (fin records what each side sent); counted in flows_closed. */
static enum session_end
engine_packet_end(struct engine *e, const struct packet *pk, bool fin[2], enum dir dir)
{
	enum session_end end = END_OPEN;

	if (pk->tcp_flags & TCP_RST) {
		end = END_RST;
	} else if (pk->tcp_flags & TCP_FIN) {
		fin[dir] = true;
		if (fin[0] && fin[1])
			end = END_FIN;
	}
	if (end != END_OPEN)
		e->st.flows_closed++;
	return end;
}
static void worker_evidence_room(struct engine *e);

static void
engine_tcp(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame, size_t caplen)
{
	struct flow_key k;
	struct flow *f;
	struct conn *c;
	struct session *s;
	uint32_t hash;
	bool reversed = false;
	enum dir dir;
	enum session_end end;
	bool syn = pk->tcp_flags & TCP_SYN, ack = pk->tcp_flags & TCP_ACK;

	hash = engine_packet_key(pk, &k);
	f = flow_table_lookup(e->flows, &k, hash, &reversed);
	if (f && f->closed) {
		if (!(syn && !ack)) {
			e->st.late_packets++;
			return;
		}
		engine_remove(e, f); /* a new connection on the same 5-tuple */
		f = NULL;
	}
	if (f && f->packed) {
		engine_tcp_packed(e, (struct conn_packed *)f, pk, reversed);
		return;
	}
	c = (struct conn *)f;
	if (!c) {
		bool src_client;

		/* Nothing to start a flow: a lone ACK, or a FIN or RST (with or
		 * without data) whose connection ended before, e.g. a FIN
		 * retransmitted after its closed flow was forgotten. */
		if (!syn && (pk->payload_len == 0 || (pk->tcp_flags & (TCP_FIN | TCP_RST)))) {
			e->st.stray_packets++;
			return;
		}
		src_client = engine_src_is_client(pk);
		c = engine_new_conn(e, pk, src_client, hash);
		if (!c)
			return;
		reversed = !src_client;
		if (!syn)
			c->sess.midstream = true;
		if (syn && ack) {
			/* The client's SYN was missed; its stream starts at our ack. */
			c->half[DIR_C2S].started = true;
			c->half[DIR_C2S].next_seq = pk->ack;
		}
	}
	dir = reversed ? DIR_S2C : DIR_C2S;
	s = &c->sess;
	s->packets++;
	s->ts_last_us = pk->ts_us;
	if (syn && !ack && dir == DIR_C2S)
		s->syn_seen = true;
	flow_table_touch(e->flows, &c->flow, e->now_us);
	c->last_idx = e->pkt_idx;
	if (pk->payload_cut)
		e->st.payload_cut++;
	if (e->cfg.evidence_dirfd >= 0 && !session_settled(s)) {
		if (e->self)
			worker_evidence_room(e);
		evidence_keep(&c->ev, &e->evs, dlt, pk->ts_us, frame, caplen);
	}

	if (session_settled(s)) {
		s->bytes[dir] += pk->payload_len;
		s->bypassed_bytes += pk->payload_len;
	} else {
		reasm_push(&c->half[dir], &e->st.reasm, dir, pk->seq, syn, pk->tcp_flags & TCP_FIN,
			   pk->payload, pk->payload_len, engine_deliver, s);
		if (ack && !session_settled(s))
			reasm_ack(&c->half[1 - dir], &e->st.reasm, (enum dir)(1 - dir), pk->ack,
				  engine_deliver, s);
		if (session_settled(s)) {
			/* Outcome settled: drop what reassembly still holds. */
			reasm_half_free(&c->half[0], &e->st.reasm);
			reasm_half_free(&c->half[1], &e->st.reasm);
			if (!engine_may_alert(s))
				evidence_free(&c->ev, &e->evs);
		}
	}
	engine_consult_ndpi(e, c, pk);

	end = engine_packet_end(e, pk, c->fin, dir);
	if (end != END_OPEN) {
		engine_report(e, c, end);
		engine_bury(e, &c->flow);
		return;
	}
	if (session_settled(s) && (c->dpi_done || !e->dpi) && !c->ev.head) {
		engine_pack(e, c);
		return;
	}
	engine_mem_set(e, &c->flow, engine_conn_bytes(c));
	engine_mem_room(e, 0, &c->flow);
}

/* A packet of a packed flow: counted, and the end of the session seen. */
static void
engine_tcp_packed(struct engine *e, struct conn_packed *p, const struct packet *pk, bool reversed)
{
	enum dir dir = reversed ? DIR_S2C : DIR_C2S;
	enum session_end end;
	bool syn = pk->tcp_flags & TCP_SYN, ack = pk->tcp_flags & TCP_ACK;

	p->packets++;
	p->ts_last_us = pk->ts_us;
	if (syn && !ack && dir == DIR_C2S)
		p->syn_seen = true;
	flow_table_touch(e->flows, &p->flow, e->now_us);
	p->last_idx = e->pkt_idx;
	if (pk->payload_cut)
		e->st.payload_cut++;
	p->bytes[dir] += pk->payload_len;
	p->bypassed_bytes += pk->payload_len;
	end = engine_packet_end(e, pk, p->fin, dir);
	if (end != END_OPEN) {
		engine_report_packed(e, p, end);
		engine_bury(e, &p->flow);
	}
}

static void par_expire(struct engine *e);
static void par_dispatch(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame,
			 size_t caplen);
static void par_finish(struct engine *e);

void
engine_packet(struct engine *e, int dlt, const uint8_t *frame, size_t caplen, uint64_t ts_us)
{
	struct packet pk;
	enum decode_result r;

	e->st.packets++;
	e->st.bytes += caplen;
	e->pkt_idx = e->st.packets;
	r = decode_packet(dlt, frame, caplen, &pk); /* clears pk */
	e->st.decode[r]++;
	if (ts_us > e->now_us)
		e->now_us = ts_us;
	if (r == DECODE_FRAGMENT && !pk.tunneled && e->frag) {
		/* The fragment that completes a datagram becomes the packet: the
		 * whole datagram behind this fragment's link header. */
		if (ipfrag_add(e->frag, &pk, frame, ts_us, &frame, &caplen))
			r = decode_packet(dlt, frame, caplen, &pk);
	}
	/* Expire at most once per packet-time second: cheap and timely. */
	if (e->now_us >= e->last_expire_us + 1000000) {
		e->last_expire_us = e->now_us;
		if (e->frag)
			ipfrag_expire(e->frag, e->now_us);
		if (e->par)
			par_expire(e);
		else
			engine_expire(e, e->now_us);
	}
	if (r == DECODE_OK) {
		pk.ts_us = ts_us;
		if (pk.l4 == 17) {
			e->st.udp_packets++;
		} else {
			e->st.tcp_packets++;
			if (e->par)
				par_dispatch(e, &pk, dlt, frame, caplen);
			else
				engine_tcp(e, &pk, dlt, frame, caplen);
		}
	}
}

uint64_t
engine_packet_count(const struct engine *e)
{
	return e->st.packets;
}

/* Finishes every open flow in LRU order and forgets the closed ones. */
static void
engine_finish_local(struct engine *e)
{
	struct flow *f;

	if (!e->flows)
		return; /* the front of the workers holds no flow */
	while ((f = flow_table_oldest_open(e->flows)) != NULL) {
		e->st.flows_at_end++;
		engine_retire(e, f, END_CAPTURE);
	}
	while ((f = flow_table_oldest_closed(e->flows)) != NULL)
		engine_remove(e, f);
}

void
engine_finish_all(struct engine *e)
{
	if (e->par)
		par_finish(e);
	else
		engine_finish_local(e);
}

void
engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_finish_all(e);
	par_free(e);
	flow_table_free(e->flows);
	dpi_free(e->dpi);
	correlate_free(e->corr);
	ipfrag_free(e->frag);
	free(e);
}

/* ------------------------------------------------------------- workers */

/* Messages from the front to a worker, and back. */
enum msg_type {
	MSG_PACKET = 1, /* a TCP packet of the worker's flows */
	MSG_EXPIRE,	/* expire idle flows (at a packet, or a tick) */
	MSG_FINISH,	/* the capture ended: finish every flow, then stop */
	MSG_CREATED,	/* back: a flow was created */
	MSG_REPORT,	/* back: a finished session, to be judged */
};

struct msg_packet {
	uint32_t type;
	int dlt;
	uint64_t idx;
	uint64_t now_us;  /* the reader's clock: the latest packet time */
	struct packet pk; /* pointers rebuilt from the offsets below */
	size_t l3_off, payload_off;
	size_t caplen;
	uint8_t frame[];
};

struct msg_expire {
	uint32_t type;
	uint64_t idx, stage, now_us;
};

struct msg_created {
	uint32_t type;
	struct order_key key;
	uint64_t provisional; /* the worker's id: the creating packet's index */
};

struct msg_report {
	uint32_t type;
	bool ndpi_cleartext;
	struct order_key key;
	struct evidence_buf ev; /* owned by the message until judged */
	struct session s;	/* parser state released, facts kept */
};

/* Provisional id (creating packet) -> session id, for the sessions the
 * workers have open: open addressing, linear probing, deletion by shifting
 * back. Keys are never 0 (packet indexes start at 1). */
struct idmap {
	uint64_t *key, *val;
	size_t mask, count;
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

static bool
key_less(const struct order_key *a, const struct order_key *b)
{
	if (a->idx != b->idx)
		return a->idx < b->idx;
	if (a->stage != b->stage)
		return a->stage < b->stage;
	return a->sub < b->sub;
}

static const struct order_key key_max = {UINT64_MAX, UINT64_MAX, UINT64_MAX};

static size_t
idmap_slot(const struct idmap *m, uint64_t k)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & m->mask;
}

static int
idmap_grow(struct idmap *m)
{
	size_t n = m->mask ? (m->mask + 1) * 2 : 1024;
	uint64_t *key = calloc(n, sizeof(*key)), *val = calloc(n, sizeof(*val));
	struct idmap old = *m;

	if (!key || !val) {
		free(key);
		free(val);
		return -1;
	}
	m->key = key;
	m->val = val;
	m->mask = n - 1;
	m->count = 0;
	for (size_t i = 0; old.mask && i <= old.mask; i++) {
		if (old.key[i]) {
			size_t j = idmap_slot(m, old.key[i]);

			while (m->key[j])
				j = (j + 1) & m->mask;
			m->key[j] = old.key[i];
			m->val[j] = old.val[i];
			m->count++;
		}
	}
	free(old.key);
	free(old.val);
	return 0;
}

static int
idmap_put(struct idmap *m, uint64_t k, uint64_t v)
{
	size_t j;

	if ((m->count + 1) * 2 > m->mask + 1 && idmap_grow(m) < 0)
		return -1;
	j = idmap_slot(m, k);
	while (m->key[j])
		j = (j + 1) & m->mask;
	m->key[j] = k;
	m->val[j] = v;
	m->count++;
	return 0;
}

/* Removes k and returns its value; 0 when absent. */
static uint64_t
idmap_take(struct idmap *m, uint64_t k)
{
	size_t j, i;
	uint64_t v;

	if (!m->mask)
		return 0;
	for (j = idmap_slot(m, k); m->key[j] != k; j = (j + 1) & m->mask)
		if (!m->key[j])
			return 0;
	v = m->val[j];
	/* Shift back the entries that probed past the freed slot. */
	for (i = (j + 1) & m->mask; m->key[i]; i = (i + 1) & m->mask) {
		size_t home = idmap_slot(m, m->key[i]);

		if (((i - home) & m->mask) >= ((i - j) & m->mask)) {
			m->key[j] = m->key[i];
			m->val[j] = m->val[i];
			j = i;
		}
	}
	m->key[j] = 0;
	m->count--;
	return v;
}

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

/* In a worker: a flow was created by packet idx (the session's id for now). */
static void
worker_created(struct engine *e, uint64_t idx)
{
	struct worker *w = e->self;
	struct msg_created *m = ring_reserve(&w->out, sizeof(*m), NULL, NULL);

	m->type = MSG_CREATED;
	m->key = (struct order_key){e->key_idx, STAGE_CREATE, 0};
	m->provisional = idx;
	ring_commit(&w->out);
}

/* In a worker: hands a finished session (and its kept packets) back to the
 * front, which judges it. */
static void
worker_hand_back(struct engine *e, struct conn *c, const struct order_key *key)
{
	struct worker *w = e->self;
	struct msg_report *m = ring_reserve(&w->out, sizeof(*m), NULL, NULL);

	m->type = MSG_REPORT;
	m->key = *key;
	m->ndpi_cleartext = c->ndpi_cleartext;
	m->ev = c->ev;
	/* Still memory until the reader frees it: counted against this
	 * worker's share of the cap meanwhile (worker_evidence_room). */
	e->evs.bytes_now -= c->ev.bytes;
	if (c->ev.bytes)
		atomic_fetch_add(&w->ev_transit, c->ev.bytes);
	evidence_init(&c->ev);
	m->s = c->sess;
	m->s.sniff = NULL;
	m->s.pstate = NULL;
	m->s.tls = NULL;
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

static void
worker_packet(struct engine *e, struct msg_packet *m)
{
	struct packet pk = m->pk;

	pk.l3 = m->pk.l3 ? m->frame + m->l3_off : NULL;
	pk.payload = m->pk.payload ? m->frame + m->payload_off : NULL;
	e->pkt_idx = m->idx;
	e->key_idx = m->idx;
	e->now_us = m->now_us;
	engine_tcp(e, &pk, m->dlt, m->frame, m->caplen);
}

static void *
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
			engine_expire(e, m->now_us);
		} else {
			worker_set_floor(w, UINT64_MAX, 0);
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
	return NULL;
}

/* The front: a message from a worker, in the order one thread made them. */
static void
par_take(struct engine *e, struct worker *from, uint32_t *type)
{
	struct workers *P = e->par;

	if (*type == MSG_CREATED) {
		struct msg_created *m = (struct msg_created *)type;

		if (idmap_put(&P->ids, m->provisional, e->next_id) < 0)
			e->st.alloc_failures++;
		e->next_id++;
	} else {
		struct msg_report *m = (struct msg_report *)type;
		uint64_t kept = m->ev.bytes;
		struct evidence_stats evs = {0, kept, 0, 0, 0, 0};

		m->s.id = idmap_take(&P->ids, m->s.id);
		engine_judge(e, &m->s, &m->ev, m->ndpi_cleartext);
		evidence_free(&m->ev, &evs);
		/* Freed: the worker may keep that much again. */
		if (kept)
			atomic_fetch_sub(&from->ev_transit, kept);
	}
}

/* The front: takes every message of the workers that no worker can still
 * precede, smallest order key first. */
static void
par_drain(struct engine *e)
{
	struct workers *P = e->par;

	if (P->draining)
		return;
	P->draining = true;
	for (;;) {
		struct order_key bound = key_max, best = key_max, k;
		struct worker *from = NULL;
		uint32_t *msg = NULL;

		for (size_t i = 0; i < P->n; i++) {
			struct worker *w = &P->w[i];
			uint64_t done = atomic_load_explicit(&w->done, memory_order_acquire);
			size_t len;
			uint32_t *m;

			/* What the worker may still hand back: read before its
			 * queue, so nothing it adds afterwards is below it. */
			if (done == w->sent)
				k = P->next;
			else
				worker_floor(w, &k);
			m = ring_peek(&w->out, &len);
			if (!m) {
				if (key_less(&k, &bound))
					bound = k;
				continue;
			}
			k = *m == MSG_CREATED ? ((struct msg_created *)m)->key
					      : ((struct msg_report *)m)->key;
			if (!from || key_less(&k, &best)) {
				best = k;
				from = w;
				msg = m;
			}
		}
		if (!from || !key_less(&best, &bound))
			break;
		par_take(e, from, msg);
		ring_release(&from->out);
	}
	P->draining = false;
}

/* While the reader waits for room in a worker's ring: every worker must
 * see all it was sent (a worker idle in front of an unpublished batch
 * would keep its floor, and so every other worker's output, where it is),
 * then the output is taken. */
static void
par_drain_cb(void *ctx)
{
	struct engine *e = ctx;

	for (size_t i = 0; i < e->par->n; i++)
		ring_flush(&e->par->w[i].in);
	par_drain(e);
}

/* The front: waits until every worker has done all it was sent, taking
 * their output meanwhile. */
static void
par_sync(struct engine *e)
{
	struct workers *P = e->par;

	for (size_t i = 0; i < P->n; i++)
		ring_flush(&P->w[i].in);
	for (;;) {
		bool idle = true;

		par_drain(e);
		for (size_t i = 0; i < P->n; i++)
			if (atomic_load_explicit(&P->w[i].done, memory_order_acquire) !=
			    P->w[i].sent)
				idle = false;
		if (idle)
			break;
		sched_yield();
	}
	par_drain(e);
}

static void
par_send_expire(struct engine *e, uint64_t idx, uint64_t stage)
{
	struct workers *P = e->par;

	for (size_t i = 0; i < P->n; i++) {
		struct worker *w = &P->w[i];
		struct msg_expire *m = ring_reserve(&w->in, sizeof(*m), par_drain_cb, e);

		m->type = MSG_EXPIRE;
		m->idx = idx;
		m->stage = stage;
		m->now_us = e->now_us;
		ring_commit(&w->in);
		w->sent++;
	}
}

/* Expiry before packet pkt_idx, in every worker. */
static void
par_expire(struct engine *e)
{
	struct workers *P = e->par;

	P->next = (struct order_key){e->pkt_idx, STAGE_EXPIRE, 0};
	par_send_expire(e, e->pkt_idx, STAGE_EXPIRE);
	P->next = (struct order_key){e->pkt_idx, STAGE_EVICT, 0};
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
	if (P->next.idx != e->pkt_idx)
		P->next = (struct order_key){e->pkt_idx, STAGE_EVICT, 0};
	if (sizeof(*m) + caplen > WORKER_RING_IN / 4 - 64) {
		e->st.alloc_failures++; /* larger than any libpcap snapshot */
		return;
	}
	m = ring_reserve(&w->in, sizeof(*m) + caplen, par_drain_cb, e);
	m->type = MSG_PACKET;
	m->dlt = dlt;
	m->idx = e->pkt_idx;
	m->now_us = e->now_us;
	m->pk = *pk;
	m->l3_off = pk->l3 ? (size_t)(pk->l3 - frame) : 0;
	m->payload_off = pk->payload ? (size_t)(pk->payload - frame) : 0;
	m->caplen = caplen;
	memcpy(m->frame, frame, caplen);
	ring_commit_batch(&w->in);
	w->sent++;
	P->next = (struct order_key){e->pkt_idx, STAGE_TICK, 0};
	/* Taking the output every few packets keeps the queues short; the
	 * packets are published in batches too. */
	if ((e->pkt_idx & 1023) == 0) {
		for (size_t i = 0; i < P->n; i++)
			ring_flush(&P->w[i].in);
		par_drain(e);
	}
}

static void
par_tick(struct engine *e)
{
	struct workers *P = e->par;
	uint64_t stage = STAGE_TICK + P->ticks++;

	if (P->finished)
		return;
	P->next = (struct order_key){e->pkt_idx, stage, 0};
	par_send_expire(e, e->pkt_idx, stage);
	P->next = (struct order_key){e->pkt_idx, stage + 1, 0};
	par_sync(e);
}

static void
par_finish(struct engine *e)
{
	struct workers *P = e->par;

	if (P->finished)
		return;
	P->next = (struct order_key){UINT64_MAX, 0, 0};
	for (size_t i = 0; i < P->n; i++) {
		struct worker *w = &P->w[i];
		uint32_t *m = ring_reserve(&w->in, sizeof(*m), par_drain_cb, e);

		*m = MSG_FINISH;
		ring_commit(&w->in);
		w->sent++;
	}
	P->next = key_max;
	P->finished = true;
	par_sync(e);
	for (size_t i = 0; i < P->n; i++) {
		pthread_join(P->w[i].thread, NULL);
		P->w[i].running = false;
	}
}

static void
stats_add(struct stats *to, const struct stats *from)
{
	to->payload_cut += from->payload_cut;
	to->stray_packets += from->stray_packets;
	to->late_packets += from->late_packets;
	to->flows_created += from->flows_created;
	to->flows_closed += from->flows_closed;
	to->flows_idle += from->flows_idle;
	to->flows_evicted += from->flows_evicted;
	to->flows_at_end += from->flows_at_end;
	to->flows_max_seen += from->flows_max_seen; /* sum of the workers' highs */
	to->flows_packed += from->flows_packed;
	to->flows_evicted_memcap += from->flows_evicted_memcap;
	to->memory_now += from->memory_now;
	to->memory_max += from->memory_max; /* sum of the workers' highs */
	to->alerts_dropped += from->alerts_dropped;
	to->alloc_failures += from->alloc_failures;
	to->ndpi_flows += from->ndpi_flows;
	to->ndpi_identified += from->ndpi_identified;
	to->evidence_packets_dropped += from->evidence_packets_dropped;
	to->reasm.ooo_bytes_now += from->reasm.ooo_bytes_now;
	to->reasm.segments_in_order += from->reasm.segments_in_order;
	to->reasm.segments_ooo += from->reasm.segments_ooo;
	to->reasm.segments_retrans += from->reasm.segments_retrans;
	to->reasm.segments_overlap += from->reasm.segments_overlap;
	to->reasm.gaps += from->reasm.gaps;
	to->reasm.gap_bytes += from->reasm.gap_bytes;
	to->reasm.cap_stream_hits += from->reasm.cap_stream_hits;
	to->reasm.cap_global_hits += from->reasm.cap_global_hits;
}

/* The front's counters plus what the workers last published. The workers
 * count the flows; the front counts packets, sessions and alerts. */
static struct stats *
par_stats(struct engine *e)
{
	struct workers *P = e->par;
	struct stats *a = &P->agg;
	uint64_t rx = a->pcap_received, drop = a->pcap_dropped, ifdrop = a->pcap_ifdropped;
	int valid = a->pcap_stats_valid;

	*a = e->st;
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

static size_t
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

/* Creates the workers of the front engine e (cfg.threads of them), each
 * with its share of the caps. */
static int
par_start(struct engine *e, char *err, size_t errsz)
{
	struct workers *P = calloc(1, sizeof(*P));
	struct engine_config wc = e->cfg;
	size_t n = e->cfg.threads;

	if (!P || !(P->w = calloc(n, sizeof(*P->w)))) {
		free(P);
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	e->par = P;
	wc.max_flows = (e->cfg.max_flows + n - 1) / n;
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
	return 0;
}

static void
par_free(struct engine *e)
{
	struct workers *P = e->par;

	if (!P)
		return;
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
	free(P->ids.key);
	free(P->ids.val);
	free(P->w);
	free(P);
	e->par = NULL;
}
