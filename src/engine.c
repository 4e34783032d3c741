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
 *    lingers closed for linger_us to absorb late packets (counted), and a new
 *    SYN on the same 5-tuple replaces it.
 *  - An open flow idle for idle_timeout_us is finished (END_IDLE); when the
 *    table is full the idlest flow is finished early (END_EVICTED).
 *  - At the end of the capture every open session is finished (END_CAPTURE).
 * Finishing flushes reassembly (holes become gap events), judges the session
 * and hands it and its alerts to the output.
 */
#include "engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "dpi.h"
#include "evidence.h"
#include "flow.h"
#include "reasm.h"
#include "services.h"
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
	bool closed;		/* session reported; lingering */
	struct evidence_buf ev; /* --evidence: packets until settled */
};

struct engine {
	struct engine_config cfg;
	struct engine_output out;
	struct flow_table *flows;
	struct dpi *dpi;
	struct correlate *corr;
	struct evidence_stats evs;
	struct stats st;
	uint64_t next_id;
	uint64_t now_us;
	uint64_t last_expire_us;
};

void
engine_config_defaults(struct engine_config *c)
{
	c->max_flows = 262144;
	c->idle_timeout_us = 300ull * 1000000;
	c->linger_us = 30ull * 1000000;
	c->stream_cap = 256 * 1024;
	c->ooo_cap = 64ull * 1024 * 1024;
	c->use_ndpi = true;
	correlate_config_defaults(&c->corr);
}

struct engine *
engine_new(const struct engine_config *cfg, const struct engine_output *out, char *err,
	   size_t errsz)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->out = *out;
	e->next_id = 1;
	e->st.reasm.stream_cap = cfg->stream_cap;
	e->st.reasm.ooo_bytes_cap = cfg->ooo_cap;
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
	e->corr = correlate_new(&cfg->corr, err, errsz);
	if (!e->corr) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	return e;
fail:
	dpi_free(e->dpi);
	flow_table_free(e->flows);
	free(e);
	return NULL;
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

struct stats *
engine_stats(struct engine *e)
{
	struct correlate_stats cs;

	correlate_stats_get(e->corr, &cs);
	e->st.servers_forgotten = cs.servers_forgotten;
	e->st.pairs_forgotten = cs.pairs_forgotten;
	e->st.state_servers_loaded = cs.state_servers_loaded;
	e->st.evidence_packets_dropped = e->evs.packets_dropped;
	return &e->st;
}

size_t
engine_open_flows(const struct engine *e)
{
	return flow_table_count(e->flows);
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
engine_write_evidence(struct engine *e, struct conn *c, struct alert *alerts, size_t n)
{
	const struct session *s = &c->sess;
	char path[512], err[600], ts[40];
	time_t t = (time_t)(s->ts_first_us / 1000000);
	struct tm tm;

	if (!e->cfg.evidence_dir || n == 0 || !c->ev.head)
		return;
	if (engine_has_secret(s) && !e->cfg.show_secrets) {
		e->st.evidence_withheld++;
		return;
	}
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(path, sizeof(path), "%s/%s-session%" PRIu64 "-%s-%u.pcap", e->cfg.evidence_dir, ts,
		 s->id, s->service, s->server_port);
	if (evidence_write(&c->ev, path, err, sizeof(err)) < 0) {
		if (e->st.evidence_failed++ == 0)
			fprintf(stderr, "tlswatch: --evidence: %s\n", err);
		return;
	}
	e->st.evidence_files++;
	for (size_t i = 0; i < n; i++)
		snprintf(alerts[i].pcap, sizeof(alerts[i].pcap), "%s", path);
}

/* Judges the session and hands it and its alerts to the output. */
static void
engine_report(struct engine *e, struct conn *c, enum session_end end)
{
	struct session *s = &c->sess;
	struct alert alerts[ENGINE_ALERTS_MAX];
	struct verdict_input vin;
	size_t n;

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
	session_name_service(s);
	vin.ndpi_cleartext = c->ndpi_cleartext;
	n = verdict_judge(s, &vin, alerts, ENGINE_ALERTS_MAX);
	n += correlate_session(e->corr, s, alerts + n, ENGINE_ALERTS_MAX - n, engine_late_alert, e);
	engine_write_evidence(e, c, alerts, n);
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
	engine_free_conn_buffers(e, c);
	c->closed = true;
}

static void
engine_remove(struct engine *e, struct conn *c)
{
	flow_table_remove(e->flows, &c->flow);
	engine_free_conn_buffers(e, c);
	free(c);
}

/* Finishes (if still open) and removes a flow. */
static void
engine_retire(struct engine *e, struct conn *c, enum session_end end)
{
	if (!c->closed)
		engine_report(e, c, end);
	engine_remove(e, c);
}

static void
engine_expire(struct engine *e, uint64_t now)
{
	struct flow *f;

	while ((f = flow_table_oldest(e->flows)) != NULL) {
		struct conn *c = (struct conn *)f;
		uint64_t limit = c->closed ? e->cfg.linger_us : e->cfg.idle_timeout_us;

		if (f->ts_last_us + limit > now)
			break;
		if (!c->closed)
			e->st.flows_idle++;
		engine_retire(e, c, END_IDLE);
	}
}

void
engine_tick(struct engine *e, uint64_t now_us)
{
	if (now_us > e->now_us)
		e->now_us = now_us;
	engine_expire(e, e->now_us);
}

/* Is this port one a server is expected on? */
static bool
engine_server_port(uint16_t port)
{
	bool tls_port;

	if (services_by_port(port, 6, &tls_port))
		return true;
	for (size_t i = 0; proto_all[i]; i++)
		if (proto_has_port(proto_all[i], port))
			return true;
	return false;
}

static struct conn *
engine_new_conn(struct engine *e, const struct packet *pk, bool src_is_client, uint32_t hash)
{
	struct conn *c;
	struct session *s;
	int ci = src_is_client ? 0 : 1;
	size_t alen = pk->family == 6 ? 16 : 4;

	if (flow_table_count(e->flows) >= e->cfg.max_flows) {
		struct conn *old = (struct conn *)flow_table_oldest(e->flows);

		if (old) {
			if (!old->closed)
				e->st.flows_evicted++;
			engine_retire(e, old, END_EVICTED);
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		e->st.alloc_failures++;
		return NULL;
	}
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
	session_init(s, e->next_id++, pk->ts_us);
	s->family = pk->family;
	memcpy(s->client_ip, c->flow.key.addr[0], 16);
	memcpy(s->server_ip, c->flow.key.addr[1], 16);
	s->client_port = c->flow.key.port[0];
	s->server_port = c->flow.key.port[1];
	flow_table_insert(e->flows, &c->flow, pk->ts_us);
	e->st.flows_created++;
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
	size_t alen = pk->family == 6 ? 16 : 4;
	bool syn = pk->tcp_flags & TCP_SYN, ack = pk->tcp_flags & TCP_ACK;

	memset(&k, 0, sizeof(k));
	k.family = pk->family;
	k.l4 = pk->l4;
	k.port[0] = pk->sport;
	k.port[1] = pk->dport;
	memcpy(k.addr[0], pk->src, alen);
	memcpy(k.addr[1], pk->dst, alen);
	hash = flow_key_hash(&k);
	f = flow_table_lookup(e->flows, &k, hash, &reversed);
	c = (struct conn *)f;
	if (c && c->closed) {
		if (syn && !ack) {
			engine_remove(e, c); /* a new connection on the same 5-tuple */
			c = NULL;
		} else {
			e->st.late_packets++;
			return;
		}
	}
	if (!c) {
		bool src_client;

		if (!syn && pk->payload_len == 0) {
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
	flow_table_touch(e->flows, &c->flow, pk->ts_us);
	if (pk->payload_cut)
		e->st.payload_cut++;
	if (e->cfg.evidence_dir && !session_settled(s))
		evidence_keep(&c->ev, &e->evs, dlt, pk->ts_us, frame, caplen);

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

	if (pk->tcp_flags & TCP_RST) {
		e->st.flows_closed++;
		engine_report(e, c, END_RST);
		return;
	}
	if (pk->tcp_flags & TCP_FIN) {
		c->fin[dir] = true;
		if (c->fin[0] && c->fin[1]) {
			e->st.flows_closed++;
			engine_report(e, c, END_FIN);
		}
	}
}

void
engine_packet(struct engine *e, int dlt, const uint8_t *frame, size_t caplen, uint64_t ts_us)
{
	struct packet pk;
	enum decode_result r;

	e->st.packets++;
	e->st.bytes += caplen;
	r = decode_packet(dlt, frame, caplen, &pk); /* clears pk */
	e->st.decode[r]++;
	if (ts_us > e->now_us)
		e->now_us = ts_us;
	/* Expire at most once per packet-time second: cheap and timely. */
	if (e->now_us >= e->last_expire_us + 1000000) {
		e->last_expire_us = e->now_us;
		engine_expire(e, e->now_us);
	}
	if (r != DECODE_OK)
		return;
	pk.ts_us = ts_us;
	if (pk.l4 == 17) {
		e->st.udp_packets++;
		return;
	}
	e->st.tcp_packets++;
	engine_tcp(e, &pk, dlt, frame, caplen);
}

void
engine_finish_all(struct engine *e)
{
	struct flow *f;

	while ((f = flow_table_oldest(e->flows)) != NULL) {
		struct conn *c = (struct conn *)f;

		if (!c->closed)
			e->st.flows_at_end++;
		engine_retire(e, c, END_CAPTURE);
	}
}

void
engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_finish_all(e);
	flow_table_free(e->flows);
	dpi_free(e->dpi);
	correlate_free(e->corr);
	free(e);
}
