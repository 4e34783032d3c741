/*
 * sctp.c - an SCTP packet through the engine (RFC 9260). An association is
 * a flow of its own (transport 132) with the lifecycle of a TCP one: it
 * starts with an INIT (its sender is the client), or an INIT ACK seen
 * first (its receiver is), or DATA of an association whose start was not
 * captured (midstream: the client is the side not on a known server
 * port); it ends with an ABORT (as a RST) or a SHUTDOWN COMPLETE (as both
 * FINs), else by silence or at the end of the capture.
 *
 * The user data of DATA chunks goes to the session in TSN order per
 * direction (session_on_sctp), from the Initial TSN of the sender's INIT
 * or INIT ACK (else from the first DATA seen): a TSN already read (a retransmission) is
 * skipped and counted; a TSN past the next expected one means DATA was
 * not captured, a gap, and reading goes on from it. Messages of several
 * streams are read in the order of their TSNs, which is the order they
 * were sent in; chunks are never held back to be reordered (a capture
 * point sees them in order but for retransmissions). I-DATA (RFC 8260),
 * whose fragments of several messages interleave, is not read: counted,
 * and a gap for the session.
 */
#include "internal.h"

#include "sctp.h"

/* One DATA chunk's user data, in TSN order, to the session (or only
 * counted once the outcome is settled). */
static void
engine_sctp_data(struct engine *e, struct conn *c, enum dir dir, const struct sctp_chunk *ch)
{
	struct session *s = &c->sess;
	struct sctp_data d;

	if (!sctp_data_fields(ch, &d)) {
		e->st.sctp_chunks_bad++;
		return;
	}
	if (c->sctp_tsn_known[dir] && sctp_tsn_before(d.tsn, c->sctp_tsn[dir])) {
		e->st.sctp_data_dup++;
		return;
	}
	if (c->sctp_tsn_known[dir] && d.tsn != c->sctp_tsn[dir]) {
		e->st.sctp_data_gaps++;
		if (!session_settled(s))
			session_on_gap(s, dir, 0);
	}
	c->sctp_tsn[dir] = d.tsn + 1;
	c->sctp_tsn_known[dir] = true;
	if (session_settled(s)) {
		s->bytes[dir] += d.len;
		s->bypassed_bytes += d.len;
		return;
	}
	session_on_sctp(s, dir, d.data, d.len, d.cut);
}

/* Walks the packet's chunks: DATA read, the start and the end of the
 * association noted. Returns how the association ended (END_OPEN: not). */
static enum session_end
engine_sctp_chunks(struct engine *e, struct conn *c, const struct packet *pk, enum dir dir)
{
	struct sctp_chunk ch;
	size_t off = 0;
	enum sctp_walk w;
	enum session_end end = END_OPEN;

	while ((w = sctp_next_chunk(pk->payload, pk->payload_len, pk->payload_cut, &off, &ch)) ==
	       SCTP_WALK_CHUNK) {
		switch (ch.type) {
		case SCTP_DATA:
			engine_sctp_data(e, c, dir, &ch);
			break;
		case SCTP_IDATA:
			e->st.sctp_idata++;
			if (!session_settled(&c->sess))
				session_on_gap(&c->sess, dir, 0);
			break;
		case SCTP_INIT:
		case SCTP_INIT_ACK:
			if (ch.type == SCTP_INIT && dir == DIR_C2S)
				c->sess.syn_seen = true;
			/* Its Initial TSN is the sender's first DATA's: a first
			 * DATA not captured is then a gap, not a start. */
			if (ch.value_len >= 16) {
				const uint8_t *v = ch.value + 12;

				c->sctp_tsn[dir] = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
						   (uint32_t)v[2] << 8 | v[3];
				c->sctp_tsn_known[dir] = true;
			}
			break;
		case SCTP_ABORT:
			end = END_RST;
			break;
		case SCTP_SHUTDOWN_COMPLETE:
			if (end == END_OPEN)
				end = END_FIN;
			break;
		default:
			break;
		}
	}
	if (w == SCTP_WALK_BAD)
		e->st.sctp_chunks_bad++;
	return end;
}

/* Does the packet hold a chunk of this type? */
static bool
engine_sctp_has(const struct packet *pk, uint8_t type)
{
	struct sctp_chunk ch;
	size_t off = 0;

	while (sctp_next_chunk(pk->payload, pk->payload_len, pk->payload_cut, &off, &ch) ==
	       SCTP_WALK_CHUNK)
		if (ch.type == type)
			return true;
	return false;
}

void
engine_sctp(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame, size_t caplen)
{
	struct flow_key k;
	uint32_t hash = engine_packet_key(pk, &k);
	bool reversed = false, init = engine_sctp_has(pk, SCTP_INIT);
	struct flow *f = flow_table_lookup(e->flows, &k, hash, &reversed);
	struct conn *c;
	enum session_end end;
	enum dir dir;

	if (f && f->closed) {
		if (!init) {
			e->st.late_packets++;
			return;
		}
		engine_remove(e, f); /* a new association on the same ports */
		f = NULL;
	}
	c = (struct conn *)f; /* SCTP flows are never packed */
	if (!c) {
		bool init_ack = !init && engine_sctp_has(pk, SCTP_INIT_ACK);
		bool src_client;

		/* Only an association's start or its data starts a flow: a lone
		 * SACK, HEARTBEAT or SHUTDOWN of one not seen is stray. */
		if (!init && !init_ack && !engine_sctp_has(pk, SCTP_DATA)) {
			e->st.stray_packets++;
			return;
		}
		src_client = init ? true : init_ack ? false : engine_src_is_client(pk);
		c = engine_new_conn(e, pk, src_client, hash);
		if (!c)
			return;
		reversed = !src_client;
		if (!init && !init_ack)
			c->sess.midstream = true;
	}
	dir = reversed ? DIR_S2C : DIR_C2S;
	engine_conn_seen(e, c, pk);
	if (!session_settled(&c->sess))
		engine_keep_evidence(e, c, pk, dlt, frame, caplen);
	end = engine_sctp_chunks(e, c, pk, dir);
	engine_early(e, c);
	engine_consult_ndpi(e, c, pk);
	if (end != END_OPEN) {
		e->st.flows_closed++;
		engine_report(e, c, end);
		engine_bury(e, &c->flow);
		return;
	}
	engine_mem_update(e, c);
}
