/*
 * session.c - drives the analysis of one session's byte streams (see
 * session.h): content sniffing, the service parser, the switch to TLS on an
 * agreed upgrade, and bypass once the outcome is settled.
 */
#include "session.h"

#include "flowid.h"
#include "session_cache.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t
session_flow_id(const struct session *s)
{
	return flow_id(s->family, s->l4, s->client_ip, s->client_port, s->server_ip, s->server_port,
		       s->ts_first_us);
}

void
session_init(struct session *s, uint64_t id, uint64_t ts_us)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->ts_first_us = s->ts_last_us = ts_us;
	s->l4 = 6;
	s->service = "unknown";
}

void
session_release(struct session *s)
{
	session_zfree(s->sniff);
	s->sniff = NULL;
	if (s->pstate) {
		if (s->proto && s->proto->fini)
			s->proto->fini(s->pstate);
		session_zfree(s->pstate);
		s->pstate = NULL;
	}
	if (s->tls) {
		tls_parser_free(s->tls);
		session_zfree(s->tls);
		s->tls = NULL;
	}
	free(s->quic);
	s->quic = NULL;
	if (s->dtls) {
		dtls_conn_free(s->dtls);
		free(s->dtls);
		s->dtls = NULL;
	}
}

bool
session_settled(const struct session *s)
{
	return s->mode == MODE_BYPASS || s->mode == MODE_OPAQUE;
}

/* Leaves the service parser and reads the rest of both streams as TLS. */
static void
session_start_tls(struct session *s)
{
	if (s->pstate) {
		if (s->proto->fini)
			s->proto->fini(s->pstate);
		session_zfree(s->pstate);
		s->pstate = NULL;
	}
	s->tls = session_zalloc(sizeof(*s->tls));
	if (!s->tls) {
		s->mode = MODE_OPAQUE;
		return;
	}
	tls_parser_init(s->tls);
	s->mode = MODE_TLS;
}

/* Stops parsing: the outcome is settled or cannot be learnt any more. */
static void
session_stop(struct session *s, enum session_mode mode)
{
	session_release(s);
	s->mode = mode;
}

/* The protocols sessions are identified against: the registry, or a test's
 * own list (session_use_registry). */
static const struct proto_desc *const *session_registry = proto_all;

void
session_use_registry(const struct proto_desc *const *list)
{
	session_registry = list ? list : proto_all;
}

/* Can d's parser read this session: its transport, and the callback that
 * transport needs (feed for TCP streams, datagram for UDP)? */
static bool
session_parser_fits(const struct session *s, const struct proto_desc *d)
{
	if (!d->sniff)
		return false;
	if (s->l4 == 17)
		return (d->transports & PROTO_UDP) && d->datagram;
	if (s->l4 == 132)
		return (d->transports & PROTO_SCTP) && d->feed;
	return (d->transports & PROTO_TCP) && d->feed;
}

/*
 * Picks the service parser that claims these first bytes. A strong claim
 * wins at once. A weak claim (a bare "220 " banner, which FTP and NNTP
 * servers send too) is taken on the parser's own port; on another service's
 * port never; on a port no service owns it is returned with *weak set, and
 * the caller holds it until the client's first bytes confirm it (or a byte
 * cap). *wait is set when a parser needs more bytes of this direction.
 */
static const struct proto_desc *
session_pick_parser(struct session *s, enum dir dir, const uint8_t *p, size_t len, bool *wait,
		    bool *weak_claim)
{
	const struct proto_desc *weak = NULL, *own_weak = NULL;
	bool tls_port;
	const struct proto_desc *owner = proto_by_port(s->server_port, s->l4, &tls_port);

	*wait = false;
	*weak_claim = false;
	for (size_t i = 0; session_registry[i]; i++) {
		const struct proto_desc *d = session_registry[i];
		enum sniff_result r;

		if (!session_parser_fits(s, d))
			continue;
		r = d->sniff(dir, p, len);
		if (r == SNIFF_STRONG)
			return d;
		if (r == SNIFF_MORE)
			*wait = true;
		if (r == SNIFF_WEAK) {
			if (owner == d)
				own_weak = d;
			else if (!owner && !weak)
				weak = d;
		}
	}
	if (own_weak)
		return own_weak;
	*weak_claim = weak != NULL;
	return weak;
}

/* The first bytes of each direction, held while no parser has decided. */
struct session_sniff {
	uint8_t buf[2][SESSION_SNIFF_BYTES];
	uint16_t len[2];
	bool exhausted[2]; /* nobody claims this direction's first bytes */
	bool dropped[2];   /* bytes of an exhausted direction were not kept */
	/* The server's first bytes are a weak claim on a port no service
	 * owns: held until the client's first bytes confirm or refute it
	 * (session_weak_claim). */
	const struct proto_desc *held_claim;
};

size_t
session_heap_bytes(const struct session *s)
{
	size_t n = 0;

	if (s->sniff)
		n += sizeof(*s->sniff);
	if (s->pstate)
		n += session_zsize(s->pstate);
	if (s->tls)
		n += sizeof(*s->tls) + tls_parser_heap_bytes(s->tls);
	if (s->quic)
		n += sizeof(*s->quic);
	if (s->dtls)
		n += sizeof(*s->dtls) + dtls_conn_heap_bytes(s->dtls);
	return n;
}

static void session_feed(struct session *s, enum dir dir, const uint8_t *p, size_t len);

/* Starts the chosen service parser; a UDP session (datagrams) gets the
 * parser's smaller UDP state when it has one. */
static bool
session_start_parser(struct session *s, const struct proto_desc *d, bool datagrams)
{
	size_t size = datagrams && d->udp_state_size ? d->udp_state_size : d->state_size;

	s->pstate = session_zalloc(size ? size : 1);
	if (!s->pstate) {
		s->mode = MODE_OPAQUE;
		return false;
	}
	d->init(s->pstate);
	s->proto = d;
	s->service = d->name;
	s->plain_seen = true;
	s->mode = MODE_PLAIN;
	return true;
}

/*
 * A mode was chosen: hands the held bytes to it, the other direction's first
 * (unless some of them were dropped), then the rest of the current chunk.
 */
static void
session_sniff_replay(struct session *s, enum dir dir, const uint8_t *p, size_t len, size_t held)
{
	struct session_sniff *sn = s->sniff;
	enum dir other = (enum dir)(1 - dir);

	s->sniff = NULL;
	if (sn->len[other] > 0 && !sn->dropped[other])
		session_feed(s, other, sn->buf[other], sn->len[other]);
	if (sn->len[dir] > 0)
		session_feed(s, dir, sn->buf[dir], sn->len[dir]);
	if (len > held)
		session_feed(s, dir, p + held, len - held);
	session_zfree(sn);
}

enum held_claim {
	CLAIM_TAKE,
	CLAIM_HOLD,
	CLAIM_REFUTED,
};

/*
 * A server's weak claim on a port no service owns (a bare "220 ") is final
 * only when the client's first bytes are claimed by the same parser (its
 * EHLO), or when the server has said SESSION_SNIFF_BYTES with the client
 * silent; it is refuted when the client spoke and nobody claims its bytes.
 * Until then it is held, so that the client's first command, not the order
 * of proto_list.h, decides between protocols whose servers greet alike. A
 * client's weak claim ("USER bob", which POP3 and FTP share) is taken at
 * once unless the server's first bytes are certainly not its protocol.
 */
static enum held_claim
session_weak_claim(const struct session_sniff *sn, const struct proto_desc *d, enum dir dir,
		   size_t n)
{
	if (dir == DIR_C2S) {
		/* Unless the server's first bytes already said it is not. */
		if (sn->len[DIR_S2C] > 0 &&
		    d->sniff(DIR_S2C, sn->buf[DIR_S2C], sn->len[DIR_S2C]) == SNIFF_NO)
			return CLAIM_REFUTED;
		return CLAIM_TAKE;
	}
	if (sn->exhausted[DIR_C2S])
		return CLAIM_REFUTED;
	if (sn->len[DIR_C2S] == 0 && n >= SESSION_SNIFF_BYTES)
		return CLAIM_TAKE;
	return CLAIM_HOLD;
}

/* Returned by session_sniff_parser for a claim held back (never used as a
 * descriptor). */
static const struct proto_desc held_back;

/*
 * The service parser that claims the held first bytes of dir, or NULL;
 * &held_back when a weak claim waits for the other side. *wait is set when
 * a parser needs more bytes.
 */
static const struct proto_desc *
session_sniff_parser(struct session *s, struct session_sniff *sn, enum dir dir, bool *wait)
{
	bool pwait, weak;
	const struct proto_desc *d =
		session_pick_parser(s, dir, sn->buf[dir], sn->len[dir], &pwait, &weak);

	*wait = *wait || pwait;
	if (d && weak) {
		enum held_claim h = session_weak_claim(sn, d, dir, sn->len[dir]);

		if (h == CLAIM_HOLD) {
			sn->held_claim = d; /* the client's first bytes will tell */
			return &held_back;
		}
		if (h == CLAIM_REFUTED)
			return NULL;
	}
	return d;
}

/* Nobody claims dir's first bytes; when the other side is exhausted too,
 * the session is unrecognised (watched for a late ClientHello). */
static void
session_sniff_exhausted(struct session *s, struct session_sniff *sn, enum dir dir)
{
	enum dir first;

	sn->exhausted[dir] = true;
	if (dir == DIR_C2S && sn->held_claim) {
		/* The client's first bytes are not the held claim's protocol
		 * (nor any other): the server's greeting proved nothing. */
		sn->held_claim = NULL;
		sn->exhausted[DIR_S2C] = true;
	}
	if (!sn->exhausted[DIR_C2S] || !sn->exhausted[DIR_S2C])
		return;
	first = sn->len[DIR_C2S] > 0 ? DIR_C2S : DIR_S2C;
	s->unrecognized_len =
		(uint8_t)(sn->len[first] < sizeof(s->unrecognized) ? sn->len[first]
								   : sizeof(s->unrecognized));
	memcpy(s->unrecognized, sn->buf[first], s->unrecognized_len);
	session_zfree(sn);
	s->sniff = NULL;
	s->mode = MODE_WATCH;
}

/*
 * Identifies the session from its first bytes: a TLS ClientHello (implicit
 * TLS), TLS records (picked up midstream), or a service parser's claim. Up to
 * SESSION_SNIFF_BYTES per direction are held until someone decides, so the
 * outcome does not depend on how the stream was cut. A direction nobody
 * claims is exhausted; when both are, the session is unrecognised (watched).
 */
static void
session_sniff_feed(struct session *s, enum dir dir, const uint8_t *p, size_t len)
{
	struct session_sniff *sn = s->sniff;
	const struct proto_desc *d;
	const uint8_t *b;
	size_t n, held;
	bool wait = false;
	int t;

	if (!sn) {
		sn = s->sniff = session_zalloc(sizeof(*sn));
		if (!sn) {
			s->mode = MODE_OPAQUE;
			return;
		}
	}
	if (sn->exhausted[dir] || sn->len[dir] > 0) {
		/* A ClientHello starting a later chunk, after cleartext nobody
		 * claimed, is an upgrade by a protocol no parser reads. */
		if (dir == DIR_C2S && tls_sniff_client(p, len) == 1) {
			s->tls_after_cleartext = true;
			session_zfree(sn);
			s->sniff = NULL;
			session_start_tls(s);
			session_feed(s, dir, p, len);
			return;
		}
		if (sn->exhausted[dir]) {
			sn->dropped[dir] = true;
			return;
		}
	}
	held = len < (size_t)(SESSION_SNIFF_BYTES - sn->len[dir])
		       ? len
		       : (size_t)(SESSION_SNIFF_BYTES - sn->len[dir]);
	memcpy(sn->buf[dir] + sn->len[dir], p, held);
	sn->len[dir] = (uint16_t)(sn->len[dir] + held);
	if (held < len)
		sn->dropped[dir] = true;
	b = sn->buf[dir];
	n = sn->len[dir];

	if (dir == DIR_C2S) {
		t = tls_sniff_client(b, n);
		if (t == 1) {
			/* Even without the SYN, a ClientHello before any other byte
			 * is the start of the conversation; after cleartext nobody
			 * claimed it is an upgrade by a protocol no parser reads. */
			if (sn->len[DIR_S2C] == 0 && s->bytes[DIR_S2C] == 0 &&
			    s->bytes[DIR_C2S] - (len - held) == n)
				s->implicit_tls = true;
			else
				s->tls_after_cleartext = true;
			session_start_tls(s);
			session_sniff_replay(s, dir, p, len, held);
			return;
		}
		if (t < 0)
			wait = true;
	}
	if ((s->midstream || s->bytes[DIR_C2S] == 0) && tls_sniff_record(b, n) == 1) {
		/* Picked up inside a TLS conversation, or only the server side
		 * of it was captured. */
		session_start_tls(s);
		session_sniff_replay(s, dir, p, len, held);
		return;
	}
	d = session_sniff_parser(s, sn, dir, &wait);
	if (d == &held_back)
		return; /* a weak claim waits for the other side */
	if (d) {
		if (session_start_parser(s, d, false))
			session_sniff_replay(s, dir, p, len, held);
		return;
	}
	if (wait && n < SESSION_SNIFF_BYTES)
		return; /* hold: more bytes may decide */
	session_sniff_exhausted(s, sn, dir);
}

/*
 * Where TLS must start (after an agreed upgrade), lines of text are read
 * over and kept as evidence instead of ending TLS parsing: an on-path
 * attacker may slip a response ("250 injected") or a command in before the
 * handshake, which then goes on. The decision is made on the first byte (a
 * TLS record starts with content type 20..23, an SSLv2 hello with the high
 * bit set; text with printable ASCII), so it does not depend on chunking.
 * A line ends at LF, or at '>': XML streams (XMPP) have no line ends, and
 * the handshake may follow an element's '>' directly.
 * At most SESSION_PRE_TLS_TEXT bytes are read over, however long a line
 * (the cut falls on the same byte for any chunking); what follows goes to
 * the TLS parser, which calls it not TLS. Returns the bytes consumed.
 */
static size_t
session_skip_pre_tls_text(struct session *s, enum dir dir, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint8_t b = p[off];

		if (s->pre_tls_text[dir] >= SESSION_PRE_TLS_TEXT) {
			s->tls_started[dir] = true; /* the TLS parser judges the rest */
			return off;
		}
		if (!s->in_pre_tls_line[dir]) {
			bool text = (b >= 0x20 && b < 0x7f) || b == '\r' || b == '\n';

			if (!text) {
				s->tls_started[dir] = true;
				return off;
			}
			s->in_pre_tls_line[dir] = true;
			/* Server text that no ClientHello prompted was pipelined
			 * behind the go-ahead: an injection, whether or not the
			 * client then starts TLS. */
			if (dir == DIR_S2C && !s->tls_started[DIR_C2S])
				s->resp_unprompted = true;
		}
		{
			const uint8_t *lf = memchr(p + off, '\n', len - off);
			const uint8_t *gt =
				memchr(p + off, '>', lf ? (size_t)(lf - (p + off)) : len - off);
			size_t room = SESSION_PRE_TLS_TEXT - s->pre_tls_text[dir];
			struct tls_facts *t = &s->tf;
			size_t n;

			if (gt)
				lf = gt;
			n = lf ? (size_t)(lf - (p + off)) + 1 : len - off;

			if (n > room) { /* a line without end: the cap cuts it */
				n = room;
				lf = NULL;
			}

			if (t->first_bytes_len[dir] < sizeof(t->first_bytes[dir])) {
				size_t k = sizeof(t->first_bytes[dir]) - t->first_bytes_len[dir];

				k = k < n ? k : n;
				memcpy(t->first_bytes[dir] + t->first_bytes_len[dir], p + off, k);
				t->first_bytes_len[dir] += k;
			}
			s->pre_tls_text[dir] += (uint32_t)n;
			off += n;
			if (lf)
				s->in_pre_tls_line[dir] = false;
		}
	}
	return off;
}

/* Feeds bytes to whatever reads the session now (bytes already counted). */
static void
session_feed(struct session *s, enum dir dir, const uint8_t *p, size_t len)
{
	while (len > 0) {
		size_t used;

		switch (s->mode) {
		case MODE_SNIFF:
			session_sniff_feed(s, dir, p, len);
			return;
		case MODE_PLAIN:
			used = s->proto->feed(s->pstate, &s->pf, dir, p, len);
			if (used > len)
				used = len;
			if (!s->pf.switch_to_tls) {
				if (used < len)
					session_stop(s, MODE_OPAQUE); /* the parser gave up */
				return;
			}
			session_start_tls(s);
			p += used;
			len -= used;
			break;
		case MODE_TLS:
			if (!s->tls_started[dir]) {
				used = session_skip_pre_tls_text(s, dir, p, len);
				p += used;
				len -= used;
				if (len == 0)
					return;
			}
			tls_feed(s->tls, &s->tf, dir, p, len);
			if (s->tf.established)
				session_stop(s, MODE_BYPASS);
			else if (s->tls->d[DIR_C2S].stopped && s->tls->d[DIR_S2C].stopped)
				session_stop(s, MODE_OPAQUE);
			return;
		case MODE_WATCH:
			/* A protocol no parser reads may still upgrade (FTP AUTH TLS,
			 * IRC STARTTLS ...): a ClientHello starting a client chunk
			 * is that upgrade. */
			if (dir == DIR_C2S && tls_sniff_client(p, len) == 1) {
				s->tls_after_cleartext = true;
				session_start_tls(s);
				break;
			}
			if (s->bytes[0] + s->bytes[1] > SESSION_WATCH_BYTES)
				session_stop(s, MODE_OPAQUE);
			return;
		case MODE_BYPASS:
		case MODE_OPAQUE:
			s->bypassed_bytes += len;
			return;
		}
	}
}

void
session_on_data(struct session *s, enum dir dir, const uint8_t *p, size_t len)
{
	s->bytes[dir] += len;
	session_feed(s, dir, p, len);
}

void
session_on_datagram(struct session *s, enum dir dir, const uint8_t *p, size_t len, bool cut)
{
	const struct proto_desc *d = NULL;

	s->bytes[dir] += len;
	if (cut) {
		/* Bytes of it are missing: what it said cannot all be told. */
		s->gap = true;
		if (s->mode == MODE_SNIFF)
			s->gap_undecided = true;
	}
	if (s->mode == MODE_PLAIN) {
		s->proto->datagram(s->pstate, &s->pf, dir, p, len);
		return;
	}
	if (s->mode == MODE_TLS && s->quic) {
		quic_datagram(s->quic, &s->tf, dir, p, len);
		if (s->tf.established)
			session_stop(s, MODE_BYPASS);
		return;
	}
	if (s->mode == MODE_TLS && s->dtls) {
		dtls_datagram(s->dtls, &s->tf, dir, p, len);
		if (s->tf.established)
			session_stop(s, MODE_BYPASS);
		return;
	}
	if (s->mode != MODE_SNIFF) {
		s->bypassed_bytes += len;
		return;
	}
	if (len == 0)
		return;
	/* DTLS and QUIC on any port, by content: a ClientHello (a QUIC
	 * Initial) first is implicit TLS (DESIGN.md), a DTLS record from the server side before
	 * any client byte is a conversation whose start was not captured. */
	if (dir == DIR_C2S && quic_sniff_initial(p, len)) {
		s->quic = calloc(1, sizeof(*s->quic));
		if (!s->quic) {
			s->mode = MODE_OPAQUE;
			return;
		}
		s->implicit_tls = true;
		s->mode = MODE_TLS;
		quic_datagram(s->quic, &s->tf, dir, p, len);
		return;
	}
	if ((dir == DIR_C2S && dtls_sniff_client(p, len)) ||
	    (s->bytes[DIR_C2S] == 0 && dtls_sniff_record(p, len))) {
		s->dtls = calloc(1, sizeof(*s->dtls));
		if (!s->dtls) {
			s->mode = MODE_OPAQUE;
			return;
		}
		s->implicit_tls = dir == DIR_C2S;
		s->mode = MODE_TLS;
		dtls_datagram(s->dtls, &s->tf, dir, p, len);
		return;
	}
	{
		bool wait, weak;

		/* One datagram is a whole message: a strong claim, or a weak one
		 * on the protocol's own port, is taken; nothing is held. */
		d = session_pick_parser(s, dir, p, len, &wait, &weak);
		if (weak)
			d = NULL;
	}
	if (d && session_start_parser(s, d, true)) {
		d->datagram(s->pstate, &s->pf, dir, p, len);
		return;
	}
	if (s->mode != MODE_SNIFF)
		return; /* out of memory: opaque */
	s->unrecognized_len =
		(uint8_t)(len < sizeof(s->unrecognized) ? len : sizeof(s->unrecognized));
	memcpy(s->unrecognized, p, s->unrecognized_len);
	s->mode = MODE_OPAQUE;
}

void
session_on_sctp(struct session *s, enum dir dir, const uint8_t *p, size_t len, bool cut)
{
	/* The first bytes decide, with the same tests session_on_datagram
	 * makes before it starts DTLS; a stream protocol's bytes never start
	 * with a DTLS record header. */
	if (s->dtls || (s->mode == MODE_SNIFF && s->bytes[0] == 0 && s->bytes[1] == 0 &&
			((dir == DIR_C2S && dtls_sniff_client(p, len)) ||
			 (dir == DIR_S2C && dtls_sniff_record(p, len))))) {
		session_on_datagram(s, dir, p, len, cut);
		return;
	}
	session_on_data(s, dir, p, len);
	if (cut)
		session_on_gap(s, dir, 0);
}

void
session_on_gap(struct session *s, enum dir dir, size_t len)
{
	(void)len;
	s->gap = true;
	switch (s->mode) {
	case MODE_SNIFF:
		s->gap_undecided = true;
		break;
	case MODE_PLAIN:
		s->gap_undecided = true;
		if (s->proto->gap)
			s->proto->gap(s->pstate, &s->pf, dir);
		break;
	case MODE_TLS:
		s->gap_undecided = !s->tf.client_hello;
		if (s->tls) /* NULL for DTLS, which has no stream */
			tls_gap(s->tls, &s->tf, dir);
		break;
	case MODE_WATCH:
		s->gap_undecided = true;
		break;
	case MODE_BYPASS:
	case MODE_OPAQUE:
		break;
	}
}
