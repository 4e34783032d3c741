/*
 * udp.c - a UDP datagram through the engine. A UDP flow starts with its
 * first datagram (no handshake: never midstream); its client is the side
 * not on a known server port, else the one on the higher port, else the
 * first sender. Datagrams go to the session whole (session_on_datagram),
 * never reassembled. A UDP flow ends only by silence: udp_timeout_us, kept
 * on its own LRU list (flows.c), or eviction, or the end of the capture.
 */
#include "internal.h"

void
engine_udp(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame, size_t caplen)
{
	struct flow_key k;
	uint32_t hash = engine_packet_key(pk, &k);
	bool reversed = false;
	struct conn *c = (struct conn *)flow_table_lookup(e->flows, &k, hash, &reversed);
	struct session *s;
	enum dir dir;

	if (!c) {
		bool src_client = engine_src_is_client(pk);

		c = engine_new_conn(e, pk, src_client, hash);
		if (!c)
			return;
		reversed = !src_client;
	}
	dir = reversed ? DIR_S2C : DIR_C2S;
	s = &c->sess;
	engine_conn_seen(e, c, pk);
	if (session_settled(s)) {
		s->bytes[dir] += pk->payload_len;
		s->bypassed_bytes += pk->payload_len;
	} else {
		engine_keep_evidence(e, c, pk, dlt, frame, caplen);
		session_on_datagram(s, dir, pk->payload, pk->payload_len, pk->payload_cut);
		engine_early(e, c);
	}
	engine_consult_ndpi(e, c, pk);
	engine_mem_update(e, c);
}
