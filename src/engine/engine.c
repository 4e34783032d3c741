/*
 * engine.c - the pipeline driver (see engine.h).
 *
 * The engine takes decoded frames (IP fragments reassembled first) and
 * hands each TCP or UDP packet to its role's path (internal.h): the flows
 * (flows.c, tcp.c, udp.c) in a single thread, or the workers (workers.c);
 * finished sessions are judged and output in judge.c.
 */
#include "internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "hugeheap.h"
#include "policy.h"

void
engine_config_defaults(struct engine_config *c)
{
	c->max_flows = 262144;
	c->max_udp_flows = ENGINE_MAX_UDP_FLOWS_DEFAULT;
	c->memcap = 512ull << 20;
	c->idle_timeout_us = 300ull * 1000000;
	c->established_timeout_us = 3600ull * 1000000;
	c->linger_us = 30ull * 1000000;
	c->udp_timeout_us = ENGINE_UDP_TIMEOUT_DEFAULT * 1000000ull;
	c->stream_cap = 256 * 1024;
	c->ooo_cap = 64ull * 1024 * 1024;
	c->use_ndpi = true;
	c->threads = 1;
	c->judge_thread = -1;
	c->evidence_dirfd = -1;
	c->policy_path = NULL;
	ipfrag_config_defaults(&c->frag);
	correlate_config_defaults(&c->corr);
}

/* ---- The learned mail policies in the --state file (correlate_state_part) ---- */

static bool
engine_state_policy_load(void *ctx, const char *line, char *why, size_t whysz)
{
	struct policy_fact f;

	if (!policy_fact_parse(line, &f, why, whysz))
		return false;
	/* Expired ones are dropped at the first packet (policy_clock). */
	policy_fact_put(ctx, &f, POLICY_SOURCE_STATE);
	return true;
}

struct engine_state_put {
	void (*put)(void *pctx, const char *line);
	void *pctx;
};

static void
engine_state_policy_fact(void *ctx, const struct policy_fact *f)
{
	const struct engine_state_put *sp = ctx;
	char line[POLICY_FACT_LINE_MAX];

	if (policy_fact_format(f, line, sizeof(line)))
		sp->put(sp->pctx, line);
}

static void
engine_state_policy_save(void *ctx, void (*put)(void *pctx, const char *line), void *pctx)
{
	struct engine_state_put sp = {put, pctx};

	policy_facts_each(ctx, engine_state_policy_fact, &sp);
}

/* ---- The learned mail policies in the shared state (--state redis://) ---- */

/* A record this run learned from DNS, published for the other sensors. */
static void
engine_policy_learned(void *ctx, const struct policy_fact *f, uint32_t ttl_s)
{
	struct engine *e = ctx;
	char line[POLICY_FACT_LINE_MAX], id[POLICY_NAME_MAX + 32];

	if (e->corr && policy_fact_format(f, line, sizeof(line)) &&
	    policy_fact_id(f, id, sizeof(id)))
		correlate_policy_share(e->corr, f->name, id, line, ttl_s);
}

/* A fact another sensor published. */
static void
engine_policy_shared(void *ctx, const char *line)
{
	struct policy_fact f;
	char why[128];

	if (policy_fact_parse(line, &f, why, sizeof(why)))
		policy_fact_put(ctx, &f, POLICY_SOURCE_SHARED);
}

void
engine_policy_take_shared(struct engine *e)
{
	if (e->corr && e->policy)
		correlate_policy_take(e->corr, engine_policy_shared, e->policy);
}

struct engine *
engine_alloc(const struct engine_config *cfg, const struct engine_output *out,
	     enum engine_role role, char *err, size_t errsz)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->ops = role == ROLE_FRONT ? &engine_ops_front : &engine_ops_local;
	e->own = role == ROLE_SINGLE   ? &engine_owner_single
		 : role == ROLE_WORKER ? &engine_owner_worker
				       : NULL;
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
		struct correlate_config cc = cfg->corr;

		/* The policies first: the state file holds their lines too. */
		e->policy = policy_new(NULL);
		if (!e->policy) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
		cc.part.word = "policy";
		cc.part.ctx = e->policy;
		cc.part.load = engine_state_policy_load;
		cc.part.save = engine_state_policy_save;
		e->corr = correlate_new(&cc, err, errsz);
		e->frag = ipfrag_new(&cfg->frag);
		e->links = links_new();
		if (!e->corr || !e->frag || !e->links) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
		policy_on_learn(e->policy, engine_policy_learned, e);
		if (cfg->policy_path) {
			char perr[600];

			if (policy_load_file(e->policy, cfg->policy_path, perr, sizeof(perr)) < 0) {
				snprintf(err, errsz, "--policy %s", perr);
				goto fail;
			}
		}
	}
	return e;
fail:
	policy_free(e->policy);
	links_free(e->links);
	correlate_free(e->corr);
	ipfrag_free(e->frag);
	dpi_free(e->dpi);
	flow_table_free(e->flows);
	free(e);
	return NULL;
}

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

/* The modules whose counters engine_stats reports as its own. */
enum engine_counter_source {
	ENGINE_FROM_CORRELATE, /* struct correlate_stats */
	ENGINE_FROM_POLICY,    /* struct policy_stats */
	ENGINE_FROM_LINKS,     /* struct link_stats */
	ENGINE_FROM_N,
};

/* A counter another module keeps: its place in that module's stats and in
 * struct stats (a uint64_t in both). */
struct engine_counter {
	enum engine_counter_source source;
	size_t from, to;
};

#define ENGINE_COUNTER(source, type, from, to)                                                     \
	{                                                                                          \
		source, COUNTER_AT(struct type, from), COUNTER_AT(struct stats, to)                \
	}
#define ENGINE_CORR(from, to) ENGINE_COUNTER(ENGINE_FROM_CORRELATE, correlate_stats, from, to)
#define ENGINE_POLICY(from, to) ENGINE_COUNTER(ENGINE_FROM_POLICY, policy_stats, from, to)
#define ENGINE_LINKS(from, to) ENGINE_COUNTER(ENGINE_FROM_LINKS, link_stats, from, to)

static const struct engine_counter engine_counters[] = {
	ENGINE_CORR(servers_forgotten, servers_forgotten),
	ENGINE_CORR(pairs_forgotten, pairs_forgotten),
	ENGINE_CORR(state_servers_loaded, state_servers_loaded),
	ENGINE_CORR(state_certs_loaded, state_certs_loaded),
	ENGINE_CORR(state_part_loaded, policy_state_loaded),
	ENGINE_CORR(shared_loaded, shared_loaded),
	ENGINE_CORR(shared_received, shared_received),
	ENGINE_CORR(shared_sent, shared_sent),
	ENGINE_CORR(shared_dropped, shared_dropped),
	ENGINE_CORR(shared_forgotten, shared_forgotten),
	ENGINE_CORR(shared_reconnects, shared_reconnects),
	ENGINE_CORR(shared_errors, shared_errors),
	ENGINE_CORR(shared_hits, shared_hits),
	ENGINE_CORR(shared_counted, shared_counted),
	ENGINE_CORR(shared_feed_sent, shared_feed_sent),
	ENGINE_CORR(shared_feed_dropped, shared_feed_dropped),
	ENGINE_CORR(shared_policy_loaded, shared_policy_loaded),
	ENGINE_CORR(shared_policy_received, shared_policy_received),
	ENGINE_CORR(shared_policy_sent, shared_policy_sent),
	ENGINE_CORR(shared_policy_dropped, shared_policy_dropped),
	ENGINE_CORR(shared_cert_loaded, shared_cert_loaded),
	ENGINE_CORR(shared_cert_received, shared_cert_received),
	ENGINE_CORR(shared_cert_sent, shared_cert_sent),
	ENGINE_CORR(shared_cert_dropped, shared_cert_dropped),
	ENGINE_CORR(shared_cert_unchecked, shared_cert_unchecked),
	ENGINE_CORR(shared_arrivals_lost, shared_arrivals_lost),
	ENGINE_POLICY(answers_learned, policy_answers),
	ENGINE_POLICY(records_learned, policy_records),
	ENGINE_POLICY(evicted, policy_evicted),
	ENGINE_POLICY(expired_reused, policy_expired_reused),
	ENGINE_POLICY(file_domains, policy_file_domains),
	ENGINE_POLICY(sessions_matched, policy_sessions),
	ENGINE_POLICY(facts_stored, policy_facts_stored),
	ENGINE_POLICY(facts_expired, policy_facts_expired),
	ENGINE_POLICY(sts_fetches, policy_sts_fetches),
	ENGINE_POLICY(sts_fetches_forgotten, policy_sts_fetches_forgotten),
	ENGINE_LINKS(announced, links_announced),
	ENGINE_LINKS(linked, links_linked),
	ENGINE_LINKS(inferred, links_inferred),
	ENGINE_LINKS(dropped, links_dropped),
};

/* This engine's own counters, complete. */
void
engine_stats_local(struct engine *e)
{
	struct correlate_stats cs;
	struct policy_stats ps;
	struct link_stats ls;
	const void *from[ENGINE_FROM_N] = {NULL};

	if (e->corr) {
		correlate_stats_get(e->corr, &cs);
		e->st.shared_on = cs.shared_on;
		from[ENGINE_FROM_CORRELATE] = &cs;
	}
	if (e->policy) {
		policy_stats_get(e->policy, &ps);
		from[ENGINE_FROM_POLICY] = &ps;
	}
	if (e->links) {
		links_stats(e->links, &ls);
		from[ENGINE_FROM_LINKS] = &ls;
	}
	for (size_t i = 0; i < sizeof(engine_counters) / sizeof(engine_counters[0]); i++) {
		const struct engine_counter *c = &engine_counters[i];

		if (from[c->source])
			memcpy((char *)&e->st + c->to, (const char *)from[c->source] + c->from,
			       sizeof(uint64_t));
	}
	e->st.evidence_packets_dropped = e->evs.packets_dropped;
	if (e->frag)
		e->st.frag = *ipfrag_stats(e->frag);
	e->st.memory_now = e->mem_now;
}

struct stats *
engine_stats(struct engine *e)
{
	struct stats *st;

	engine_output_lock(e);
	engine_stats_local(e);
	st = e->ops->stats(e);
	engine_output_unlock(e);
	return st;
}

size_t
engine_open_flows(const struct engine *e)
{
	return e->ops->open_flows(e);
}

/* A decoded TCP, UDP or SCTP packet, in a role that owns flows. */
void
engine_flow_packet(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame,
		   size_t caplen)
{
	if (pk->l4 == 17)
		engine_udp(e, pk, dlt, frame, caplen);
	else if (pk->l4 == 132)
		engine_sctp(e, pk, dlt, frame, caplen);
	else
		engine_tcp(e, pk, dlt, frame, caplen);
}

/*
 * A DNS answer teaches the mail policies before any session is judged: it
 * is read here, where every packet passes in order (the single thread, or
 * the front of the workers), not when its UDP flow ends (60 s later). Over
 * TCP, the messages that start and end within this segment are read (DNS
 * answers fit one segment; a longer one is not learned from).
 */
void
engine_policy_learn(struct engine *e, int l4, const uint8_t *p, size_t n, uint64_t ts_us)
{
	if (l4 == 17) {
		policy_learn_bytes(e->policy, p, n, ts_us);
		return;
	}
	while (n >= 2 + DNS_HEADER_LEN) {
		size_t len = (size_t)p[0] << 8 | p[1];

		if (len < DNS_HEADER_LEN || len > n - 2 ||
		    !policy_learn_bytes(e->policy, p + 2, len, ts_us))
			return;
		p += 2 + len;
		n -= 2 + len;
	}
}

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
	if (ts_us > e->pclock_us)
		e->pclock_us = ts_us;
	if (par_judge_thread(e)) {
		/* The judge thread keeps the policies: their clock starts at
		 * the first packet, as with one thread. */
		if (e->st.packets == 1)
			par_learn(e, NULL);
	} else if (e->policy) {
		policy_clock(e->policy, ts_us);
	}
	if (r == DECODE_FRAGMENT && !pk.tunneled && e->frag) {
		/* The fragment that completes a datagram becomes the packet: the
		 * whole datagram behind this fragment's link header. */
		if (ipfrag_add(e->frag, &pk, frame, ts_us, &frame, &caplen)) {
			r = decode_packet(dlt, frame, caplen, &pk);
			/* A tunnel whose outer datagram was fragmented: its
			 * failures count like an unfragmented one's. */
			if (r >= DECODE_TUNNEL_TRUNCATED)
				e->st.decode[r]++;
		}
	}
	if (r == DECODE_OK) {
		for (unsigned i = 0; i < pk.tunnel_depth; i++)
			e->st.tunnel_packets[pk.tunnels[i]]++;
	} else if (r >= DECODE_TUNNEL_TRUNCATED && r < DECODE_RESULTS) {
		e->st.tunnel_errors[pk.tunnel_bad < TUNNEL_KINDS ? pk.tunnel_bad : 0]++;
	}
	/* Expire at most once per packet-time second: cheap and timely. */
	if (e->now_us >= e->last_expire_us + 1000000) {
		e->last_expire_us = e->now_us;
		if (e->frag)
			ipfrag_expire(e->frag, e->now_us);
		e->ops->expire(e);
		if (!par_judge_thread(e)) /* else the judge, on its own clock */
			engine_shared_late(e);
		hugeheap_update();
	}
	if (r == DECODE_OK) {
		pk.ts_us = ts_us;
		if (pk.l4 == 17)
			e->st.udp_packets++;
		else if (pk.l4 == 132)
			e->st.sctp_packets++;
		else
			e->st.tcp_packets++;
		if (e->policy && pk.sport == 53 && pk.payload_len && !pk.payload_cut) {
			if (par_judge_thread(e))
				par_learn(e, &pk);
			else
				engine_policy_learn(e, pk.l4, pk.payload, pk.payload_len, ts_us);
		}
		e->ops->packet(e, &pk, dlt, frame, caplen);
	}
}

uint64_t
engine_packet_count(const struct engine *e)
{
	return e->st.packets;
}

void
engine_tick(struct engine *e, uint64_t now_us)
{
	if (now_us > e->now_us)
		e->now_us = now_us;
	e->ops->tick(e);
	if (!par_judge_thread(e))
		engine_shared_late(e);
}

void
engine_flush(struct engine *e)
{
	if (e->ops->flush)
		e->ops->flush(e);
}

void
engine_finish_all(struct engine *e)
{
	e->ops->finish(e);
}

void
engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_finish_all(e);
	par_free(e);
	flow_table_free(e->flows);
	links_free(e->links);
	dpi_free(e->dpi);
	correlate_free(e->corr);
	policy_free(e->policy);
	ipfrag_free(e->frag);
	free(e);
	session_cache_drain();
	tls_cert_cache_drain();
	engine_conn_cache_drain();
}

void
engine_local_expire(struct engine *e)
{
	engine_expire(e, e->now_us);
}

struct stats *
engine_local_stats(struct engine *e)
{
	return &e->st;
}

size_t
engine_local_open_flows(const struct engine *e)
{
	return flow_table_count(e->flows);
}

static uint64_t
single_session_id(struct engine *e)
{
	return e->next_id++;
}

/* The roles that own flows (single thread, worker) are driven alike. */
const struct engine_ops engine_ops_local = {
	.packet = engine_flow_packet,
	.expire = engine_local_expire,
	.tick = engine_local_expire,
	.finish = engine_finish_local,
	.stats = engine_local_stats,
	.open_flows = engine_local_open_flows,
};

/* One thread: names and judges its sessions itself. */
/* The single thread judges: the note goes straight to its links. */
static void
single_link(struct engine *e, const struct link_note *n)
{
	links_note(e->links, n);
}

/* The single thread outputs an open session's alerts at once. */
static void
single_early(struct engine *e, struct conn *c, struct alert *a, size_t n)
{
	engine_raise_early(e, &c->sess, a, n, c->ev.head != NULL);
}

const struct engine_owner engine_owner_single = {
	.session_id = single_session_id,
	.finished = engine_judge_conn,
	.early = single_early,
	.link = single_link,
};
