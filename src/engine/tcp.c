/*
 * tcp.c - a TCP segment through the engine: its flow found or started (who
 * is the client, midstream pick-up, stray and late packets), its payload
 * reassembled into the session or only counted once the outcome is
 * settled, and the end of the connection (RST, both FINs). The lifecycle
 * is told in flows.c.
 */
#include "internal.h"

#include "verdict.h"

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

/*
 * The segment's payload: kept as evidence while the outcome is open, then
 * reassembled into the session, or only counted once the outcome is
 * settled. When this segment settles it, what reassembly and the evidence
 * buffer still hold goes. Returns whether the session is settled.
 */
static bool
engine_tcp_bytes(struct engine *e, struct conn *c, const struct packet *pk, int dlt,
		 const uint8_t *frame, size_t caplen, enum dir dir)
{
	struct session *s = &c->sess;
	bool syn = pk->tcp_flags & TCP_SYN, ack = pk->tcp_flags & TCP_ACK;

	if (session_settled(s)) {
		s->bytes[dir] += pk->payload_len;
		s->bypassed_bytes += pk->payload_len;
		return true;
	}
	engine_keep_evidence(e, c, pk, dlt, frame, caplen);
	reasm_push(&c->half[dir], &e->st.reasm, dir, pk->seq, syn, pk->tcp_flags & TCP_FIN,
		   pk->payload, pk->payload_len, engine_deliver, s);
	if (ack && !session_settled(s))
		reasm_ack(&c->half[1 - dir], &e->st.reasm, (enum dir)(1 - dir), pk->ack,
			  engine_deliver, s);
	if (!session_settled(s))
		return false;
	/* Outcome settled: drop what reassembly still holds. */
	reasm_half_free(&c->half[0], &e->st.reasm);
	reasm_half_free(&c->half[1], &e->st.reasm);
	if (!verdict_may_alert(s))
		evidence_free(&c->ev, &e->evs);
	return true;
}

/* A TCP segment: finds or starts its flow, then its bytes, its end. */
void
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
	bool syn = pk->tcp_flags & TCP_SYN, ack = pk->tcp_flags & TCP_ACK, settled;

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
	if (syn && !ack && dir == DIR_C2S)
		s->syn_seen = true;
	engine_conn_seen(e, c, pk);
	settled = engine_tcp_bytes(e, c, pk, dlt, frame, caplen, dir);
	engine_harvest_links(e, c);
	engine_early(e, c);
	engine_consult_ndpi(e, c, pk);

	end = engine_packet_end(e, pk, c->fin, dir);
	if (end != END_OPEN) {
		engine_report(e, c, end);
		engine_bury(e, &c->flow);
		return;
	}
	if (settled && (c->dpi_done || !e->dpi) && !c->ev.head) {
		engine_pack(e, c);
		return;
	}
	engine_mem_update(e, c);
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
	if (p->flow.dormant)
		e->st.flows_resumed++;
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
