/*
 * flows.c - the engine's flow records: creation, memory accounting (the
 * memcap), packing of settled sessions, lingering after the end, expiry,
 * and the finishing of a session (reassembly flushed, nDPI's last word,
 * then the role's finished hook).
 *
 * Lifecycle (TCP; UDP in udp.c):
 *  - A SYN starts a flow with its sender as the client; a SYN-ACK seen first
 *    starts it with the receiver as the client. A segment with payload and no
 *    known flow starts a "midstream" flow: the client is the side not on a
 *    well-known port, else the first sender. A lone ACK/FIN/RST with no flow
 *    is counted as stray and starts nothing.
 *  - RST, or FIN from both sides, finishes the session at once; the flow then
 *    lingers closed for linger_us to absorb late packets (counted), as a bare
 *    struct flow (the session and its buffers are freed), and a new SYN on
 *    the same 5-tuple replaces it.
 *  - An open flow idle for idle_timeout_us (a UDP flow: udp_timeout_us) is
 *    finished (END_IDLE), except an established TCP session, which waits
 *    dormant until established_timeout_us (a packet wakes it, counted); when the table is full the
 * idlest flow is finished early (END_EVICTED). Flows are stamped with the engine's clock (the
 *    latest packet time), not their packet's time, so each LRU list is in
 *    time order even when capture times step back, and expiry can stop at
 *    the first flow not yet due.
 *  - At the end of the capture every open session is finished (END_CAPTURE).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void engine_retire(struct engine *e, struct flow *f, enum session_end end);
static void engine_evict(struct engine *e, struct flow *f);

/* Reassembly's consumer: bytes and gaps go to the session. */
void
engine_deliver(void *ctx, enum dir dir, enum reasm_event ev, const uint8_t *data, size_t len)
{
	struct session *s = ctx;

	if (ev == REASM_DATA)
		session_on_data(s, dir, data, len);
	else
		session_on_gap(s, dir, len);
}

void
engine_free_conn_buffers(struct engine *e, struct conn *c)
{
	reasm_half_free(&c->half[0], &e->st.reasm);
	reasm_half_free(&c->half[1], &e->st.reasm);
	dpi_flow_free(&c->dpi);
	session_release(&c->sess);
	evidence_free(&c->ev, &e->evs);
}

/* Finishes the session: flushes reassembly, lets nDPI give its answer, and
 * has it judged (the role's finished hook). */
void
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
	e->own->finished(e, c);
	engine_free_conn_buffers(e, c);
}

/*
 * The memcap: every record in the flow table (struct conn with what its
 * session holds, a packed session, a lingering closed flow) carries in
 * flow.mem the bytes it was last accounted for; mem_now is their sum.
 */
void
engine_mem_set(struct engine *e, struct flow *f, size_t bytes)
{
	e->mem_now = e->mem_now - f->mem + bytes;
	f->mem = (uint32_t)(bytes < UINT32_MAX ? bytes : UINT32_MAX);
	if (e->mem_now > e->st.memory_max)
		e->st.memory_max = e->mem_now;
}

/* What an open flow holds: the record, the session's parser state, nDPI's
 * flow, buffered out-of-order segments and kept evidence packets. */
size_t
engine_conn_bytes(const struct conn *c)
{
	return sizeof(*c) + session_heap_bytes(&c->sess) + (c->dpi ? dpi_flow_size() : 0) +
	       c->half[0].ooo_bytes + c->half[1].ooo_bytes + c->ev.bytes;
}

/* Makes room for need more bytes under the memcap: the idlest flows (closed
 * ones first) are finished early, never keep (the flow at hand). */
void
engine_mem_room(struct engine *e, size_t need, const struct flow *keep)
{
	struct flow *old;

	if (e->cfg.memcap == 0)
		return;
	while (e->mem_now + need > e->cfg.memcap && (old = flow_table_oldest(e->flows)) != NULL &&
	       old != keep) {
		if (!old->closed)
			e->st.flows_evicted_memcap++;
		engine_evict(e, old);
	}
}

/* Accounts what an open flow holds now. Room is made first (the idlest
 * other flows finished), so that the total, and memory_max, never exceed
 * the memcap because this flow grew. */
/* A packet of an open flow: counted, its time kept, the flow made the
 * newest in its LRU list (stamped with the engine's clock). */
void
engine_conn_seen(struct engine *e, struct conn *c, const struct packet *pk)
{
	c->sess.packets++;
	c->sess.ts_last_us = pk->ts_us;
	if (pk->tunnel_depth && !c->sess.tunnel_depth) {
		c->sess.tunnel_depth = pk->tunnel_depth;
		memcpy(c->sess.tunnels, pk->tunnels, sizeof(c->sess.tunnels));
	}
	if (c->flow.dormant)
		e->st.flows_resumed++;
	flow_table_touch(e->flows, &c->flow, e->now_us);
	c->last_idx = e->pkt_idx;
	if (pk->payload_cut)
		e->st.payload_cut++;
}

/* --evidence: the frame is kept while the session's outcome is open. */
void
engine_keep_evidence(struct engine *e, struct conn *c, const struct packet *pk, int dlt,
		     const uint8_t *frame, size_t caplen)
{
	if (e->cfg.evidence_dirfd < 0)
		return;
	if (e->own->evidence_room)
		e->own->evidence_room(e);
	evidence_keep(&c->ev, &e->evs, dlt, pk->ts_us, frame, caplen);
}

void
engine_mem_update(struct engine *e, struct conn *c)
{
	size_t now = engine_conn_bytes(c);

	if (now > c->flow.mem)
		engine_mem_room(e, now - c->flow.mem, &c->flow);
	engine_mem_set(e, &c->flow, now);
}

/*
 * Freed struct conns wait here for the next flows, per thread (a worker
 * owns its flows): a session-dense link starts thousands of flows a second
 * and the 2 KiB record went through malloc's bins each time. Each waiting
 * record links to the next through its first bytes.
 */
#define ENGINE_CONN_CACHE_KEEP 64

static _Thread_local void *engine_conn_cache;
static _Thread_local unsigned engine_conn_cache_n;

static struct conn *
engine_conn_alloc(void)
{
	void **p = engine_conn_cache;

	if (!p)
		return calloc(1, sizeof(struct conn));
	engine_conn_cache = *p;
	engine_conn_cache_n--;
	memset(p, 0, sizeof(struct conn));
	return (struct conn *)p;
}

static void
engine_conn_free(struct conn *c)
{
	if (engine_conn_cache_n < ENGINE_CONN_CACHE_KEEP) {
		*(void **)c = engine_conn_cache;
		engine_conn_cache = c;
		engine_conn_cache_n++;
		return;
	}
	free(c);
}

void
engine_conn_cache_drain(void)
{
	while (engine_conn_cache) {
		void **p = engine_conn_cache;

		engine_conn_cache = *p;
		free(p);
	}
	engine_conn_cache_n = 0;
}

/* Frees f's record: a struct conn while it is open and unpacked. */
static void
engine_free_record(struct flow *f, bool conn)
{
	if (conn)
		engine_conn_free((struct conn *)f);
	else
		free(f);
}

/* Forgets a flow: an open one with its session (struct conn), a packed one,
 * or a closed one (only its struct flow is left, see engine_bury). */
void
engine_remove(struct engine *e, struct flow *f)
{
	bool conn = !f->closed && !f->packed;

	flow_table_remove(e->flows, f);
	if (conn)
		engine_free_conn_buffers(e, (struct conn *)f);
	e->mem_now -= f->mem;
	engine_free_record(f, conn);
}

/* A reported flow lingers closed to absorb late packets: only its key and
 * times are kept (a struct flow, not the 2 KiB struct conn). f is the
 * flow in the table, first member of its record, which is freed. */
void
engine_bury(struct engine *e, struct flow *f)
{
	struct flow *t = malloc(sizeof(*t));
	bool conn = !f->closed && !f->packed;

	if (t) {
		*t = *f;
		t->packed = false;
		flow_table_replace(e->flows, f, t);
		flow_table_close(e->flows, t);
		engine_mem_set(e, t, sizeof(*t));
	} else {
		flow_table_remove(e->flows, f);
		e->st.alloc_failures++; /* then it does not linger */
		e->mem_now -= f->mem;
	}
	engine_free_record(f, conn);
}

/* Packs a settled session that keeps nothing else (see struct
 * conn_packed); c is freed and replaced in the table, at its place. */
void
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
	flow_table_replace(e->flows, &c->flow, &p->flow);
	engine_free_conn_buffers(e, c);
	engine_conn_free(c);
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
		s->l4 = p->flow.key.l4;
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
void
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

/* Finishes f early to make room (END_EVICTED); an open UDP flow is also
 * counted as such (the caller counts the cap that was hit). */
static void
engine_evict(struct engine *e, struct flow *f)
{
	if (!f->closed && f->key.l4 == 17)
		e->st.udp_flows_evicted++;
	engine_retire(e, f, END_EVICTED);
}

/* An established session (both sides spoke, neither closed) may be silent
 * for long: IMAP IDLE up to 29 minutes (RFC 2177), a paused relay. */
static bool
engine_established(const struct flow *f)
{
	const struct conn_packed *p = (const struct conn_packed *)f;
	const struct conn *c = (const struct conn *)f;

	if (f->packed)
		return p->bytes[0] && p->bytes[1] && !p->fin[0] && !p->fin[1];
	return c->sess.bytes[0] && c->sess.bytes[1] && !c->fin[0] && !c->fin[1];
}

/* Finishes open flows idle for their timeout (TCP's, then UDP's, each
 * oldest first, so in LRU order) and forgets closed flows that lingered
 * linger_us. An established TCP session silent past idle_timeout_us is not
 * finished but goes dormant until established_timeout_us: a packet brings
 * it back whole (no second, midstream session). The open and the dormant
 * lists are walked together, oldest first, so that sessions are finished
 * in the order of their last packet, as the workers' merge expects. */
void
engine_expire(struct engine *e, uint64_t now)
{
	struct flow *f;

	for (;;) {
		struct flow *o = flow_table_oldest_open(e->flows);
		struct flow *d = flow_table_oldest_dormant(e->flows);
		bool o_due = o && o->ts_last_us + e->cfg.idle_timeout_us <= now;
		bool d_due = d && d->ts_last_us + e->cfg.established_timeout_us <= now;

		if (!o_due && !d_due)
			break;
		f = o_due && (!d_due || o->ts_last_us < d->ts_last_us) ? o : d;
		if (f == o && engine_established(f) &&
		    f->ts_last_us + e->cfg.established_timeout_us > now) {
			flow_table_make_dormant(e->flows, f);
			e->st.flows_dormant++;
			continue;
		}
		e->st.flows_idle++;
		engine_retire(e, f, END_IDLE);
	}
	while ((f = flow_table_oldest_udp(e->flows)) != NULL) {
		if (f->ts_last_us + e->cfg.udp_timeout_us > now)
			break;
		e->st.flows_idle++;
		e->st.udp_flows_idle++;
		engine_retire(e, f, END_IDLE);
	}
	while ((f = flow_table_oldest_closed(e->flows)) != NULL) {
		if (f->ts_last_us + e->cfg.linger_us > now)
			break;
		engine_remove(e, f);
	}
}

/* Is this port one a server is expected on? */
static bool
engine_server_port(uint16_t port, uint8_t l4)
{
	bool tls_port;

	return proto_by_port(port, l4, &tls_port) != NULL;
}

/* Who is the client of a flow first seen through this packet? */
bool
engine_src_is_client(const struct packet *pk)
{
	bool syn = pk->tcp_flags & TCP_SYN, ack = pk->tcp_flags & TCP_ACK;
	bool dport_known, sport_known;

	if (syn)
		return !ack; /* SYN from the client, SYN-ACK from the server */
	dport_known = engine_server_port(pk->dport, pk->l4);
	sport_known = engine_server_port(pk->sport, pk->l4);
	if (dport_known != sport_known)
		return dport_known;
	if (pk->sport != pk->dport && (pk->sport < 1024) != (pk->dport < 1024))
		return pk->dport < 1024;
	return true; /* the first sender */
}

struct conn *
engine_new_conn(struct engine *e, const struct packet *pk, bool src_is_client, uint32_t hash)
{
	struct conn *c;
	struct session *s;
	int ci = src_is_client ? 0 : 1;
	size_t alen = pk->family == 6 ? 16 : 4;

	if (pk->l4 == 17 && flow_table_count_udp(e->flows) >= e->cfg.max_udp_flows) {
		/* The UDP cap: a flood of one-datagram flows makes room among
		 * its own kind, not among the TCP sessions. */
		struct flow *old = flow_table_oldest_udp(e->flows);

		if (old) {
			e->st.flows_evicted++;
			engine_evict(e, old);
		}
	}
	if (flow_table_count(e->flows) >= e->cfg.max_flows) {
		struct flow *old = flow_table_oldest(e->flows);

		if (old) {
			if (!old->closed)
				e->st.flows_evicted++;
			engine_evict(e, old);
		}
	}
	engine_mem_room(e, sizeof(*c), NULL);
	c = flow_table_reserve(e->flows) ? engine_conn_alloc() : NULL;
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
	session_init(s, e->own->session_id(e), pk->ts_us);
	s->family = pk->family;
	s->l4 = pk->l4;
	memcpy(s->client_ip, c->flow.key.addr[0], 16);
	memcpy(s->server_ip, c->flow.key.addr[1], 16);
	s->client_port = c->flow.key.port[0];
	s->server_port = c->flow.key.port[1];
	flow_table_insert(e->flows, &c->flow, e->now_us); /* room reserved */
	e->st.flows_created++;
	if (e->own->created)
		e->own->created(e);
	if (flow_table_count(e->flows) > e->st.flows_max_seen)
		e->st.flows_max_seen = flow_table_count(e->flows);
	if (pk->l4 == 17) {
		e->st.udp_flows_created++;
		if (flow_table_count_udp(e->flows) > e->st.udp_flows_max_seen)
			e->st.udp_flows_max_seen = flow_table_count_udp(e->flows);
	}
	return c;
}

/* nDPI gets the packets of a session the own sniffers have not recognised. */
void
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

/* The service whose data connections this session may announce, or NULL:
 * its parser's, or for implicit TLS its port's. */
static const struct proto_desc *
engine_data_service(const struct session *s)
{
	bool tls_port;
	const struct proto_desc *d = s->proto;

	if (!d && s->implicit_tls)
		d = proto_by_port(s->server_port, s->l4, &tls_port);
	return d ? d->data : NULL;
}

void
engine_harvest_links(struct engine *e, struct conn *c)
{
	struct session *s = &c->sess;
	const struct proto_desc *data;
	size_t alen = s->family == 6 ? 16 : 4;
	struct link_note n;

	/* Per segment: nothing new to hand on is the common case, settled
	 * before any lookup. */
	if (s->pf.n_expect == c->expect_seen &&
	    (c->pair_sent || !(s->implicit_tls || s->pf.switch_to_tls)))
		return;
	data = engine_data_service(s);
	if (!data || !e->own->link) {
		/* Encrypted and announcing nothing (HTTPS, SMTP after STARTTLS):
		 * never looked up again. */
		c->pair_sent = c->pair_sent || s->implicit_tls || s->pf.switch_to_tls;
		return;
	}
	if (s->pf.n_expect - c->expect_seen > PROTO_EXPECT_RING) {
		/* More in one segment than the ring holds: the oldest are gone. */
		e->st.links_dropped += s->pf.n_expect - c->expect_seen - PROTO_EXPECT_RING;
		c->expect_seen = s->pf.n_expect - PROTO_EXPECT_RING;
	}
	for (; c->expect_seen < s->pf.n_expect; c->expect_seen++) {
		const struct proto_expect *x = &s->pf.expect[c->expect_seen % PROTO_EXPECT_RING];
		const uint8_t *seen = x->by_server ? s->server_ip : s->client_ip;

		memset(&n, 0, sizeof(n));
		n.control = s->id;
		n.ts_us = s->ts_last_us;
		n.data = data;
		n.family = x->family ? x->family : s->family;
		if (n.family != s->family)
			continue; /* an EPRT of the other family: nothing we can match */
		memcpy(n.addr, x->family ? x->addr : seen, alen);
		memcpy(n.seen, seen, alen);
		n.port = x->port;
		n.tls_possible = x->tls_possible;
		e->own->link(e, &n);
	}
	if (!c->pair_sent && (s->implicit_tls || s->pf.switch_to_tls)) {
		c->pair_sent = true;
		memset(&n, 0, sizeof(n));
		n.control = s->id;
		n.ts_us = s->ts_last_us;
		n.data = data;
		n.pair = true;
		n.family = s->family;
		memcpy(n.client, s->client_ip, alen);
		memcpy(n.server, s->server_ip, alen);
		e->own->link(e, &n);
	}
}

/* The packet's flow key (sender first) and its symmetric hash. */
uint32_t
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

/* Finishes every open flow in LRU order (TCP, then UDP) and forgets the
 * closed ones. */
void
engine_finish_local(struct engine *e)
{
	struct flow *f;

	if (!e->flows)
		return; /* the front of the workers holds no flow */
	while ((f = flow_table_oldest_dormant(e->flows)) != NULL) {
		e->st.flows_at_end++; /* older than any open one */
		engine_retire(e, f, END_CAPTURE);
	}
	while ((f = flow_table_oldest_open(e->flows)) != NULL) {
		e->st.flows_at_end++;
		engine_retire(e, f, END_CAPTURE);
	}
	while ((f = flow_table_oldest_udp(e->flows)) != NULL) {
		e->st.flows_at_end++;
		engine_retire(e, f, END_CAPTURE);
	}
	while ((f = flow_table_oldest_closed(e->flows)) != NULL)
		engine_remove(e, f);
}
