/*
 * dns.c - DNS: the message reader of include/dns.h and the service parser
 * that counts a session's queries and answers, over UDP (one message per
 * datagram) and over TCP (each message after its two-byte length).
 *
 * References: RFC 1035 (messages, compression; 4.2.2 the TCP framing),
 * RFC 7766 (DNS over TCP: several messages per connection, pipelined),
 * RFC 3596 (AAAA), RFC 6698 (TLSA), RFC 6891 (EDNS OPT, skipped),
 * RFC 7858 (DNS over TLS on 853/tcp), RFC 8094 (DNS over DTLS, 853/udp).
 *
 * DNS has no in-band upgrade: its TLS is a port of its own (853). A DoT
 * session starts with a ClientHello and never reaches this parser (the core
 * calls it implicit TLS); DNS read in the clear on 853 is
 * plaintext-on-tls-port, on 53 cleartext/no-tls-protocol.
 *
 * Facts (struct dns_own, rendered by dns_write): queries (messages with QR
 * clear, from either side: a NOTIFY may come from the server), responses
 * (QR set), the answer records those carried, responses with NXDOMAIN and
 * with another error code, and the first question's type and name (cut to
 * fit proto_facts.own). A message that is not DNS is an anomaly
 * (PROTO_ANOM_BAD_SYNTAX) and is skipped.
 *
 * Caps: over TCP the first DNS_TCP_KEEP bytes of a message are kept and
 * read when it is complete (header, question and the first answers are
 * there; the rest of a larger message, a zone transfer say, is skipped by
 * its length and flagged DNS_ANOM_TRUNCATED by the reader). The answers
 * themselves (struct dns_msg) are read per message and not kept in the
 * session; whoever needs them (MTA-STS and DANE policies) calls
 * dns_msg_parse.
 *
 * Not handled: questions after the first (no server sends more than one),
 * the authority and additional sections beyond being counted, DNSSEC
 * validation, DNS over QUIC (RFC 9250) and DNS over HTTPS (TLS to the core).
 */
#include "dns.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "proto.h"

/* ---- The message reader (include/dns.h) ---------------------------------- */

/* Appends one label byte in presentation form to out[*len..]; false when
 * it does not fit (the name is then cut). */
static bool
dns_name_put(char *out, size_t outsz, size_t *len, uint8_t b)
{
	char esc[5];
	size_t n = 1;

	if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
	    b == '-' || b == '_' || b == '*') {
		esc[0] = (char)b;
	} else {
		snprintf(esc, sizeof(esc), "\\%03u", b);
		n = 4;
	}
	if (*len + n >= outsz)
		return false;
	memcpy(out + *len, esc, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

/*
 * Reads the name at msg[*off] into out (presentation form, cut to outsz)
 * and moves *off past it (past the first pointer when there is one). A
 * pointer must point before the label that holds it, and at most
 * DNS_PTR_HOPS are followed, so a loop cannot hold it. Returns false on a
 * malformed name (flagged in *anom), leaving *off unchanged.
 */
static bool
dns_name_read(const uint8_t *msg, size_t n, size_t *off, char *out, size_t outsz, uint32_t *anom)
{
	size_t pos = *off, end = 0, wire = 0, len = 0;
	unsigned hops = 0;
	bool jumped = false;

	if (outsz)
		out[0] = '\0';
	for (;;) {
		uint8_t l;

		if (pos >= n) {
			*anom |= DNS_ANOM_TRUNCATED;
			return false;
		}
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= n) {
				*anom |= DNS_ANOM_TRUNCATED;
				return false;
			}
			to = ((size_t)(l & 0x3f) << 8) | msg[pos + 1];
			if (to >= pos || ++hops > DNS_PTR_HOPS) {
				*anom |= DNS_ANOM_BAD_PTR;
				return false;
			}
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = to;
			continue;
		}
		if (l & 0xc0) { /* 0x40 extended labels, 0x80 reserved */
			*anom |= DNS_ANOM_BAD_NAME;
			return false;
		}
		if (l == 0) {
			if (!jumped)
				end = pos + 1;
			break;
		}
		if (pos + 1 + l > n) {
			*anom |= DNS_ANOM_TRUNCATED;
			return false;
		}
		wire += 1u + l;
		if (wire > 254) { /* 255 with the root's zero */
			*anom |= DNS_ANOM_BAD_NAME;
			return false;
		}
		if (len > 0 && len + 1 < outsz) { /* the dot between labels, plain */
			out[len++] = '.';
			out[len] = '\0';
		}
		for (size_t i = 0; i < l && outsz; i++)
			if (!dns_name_put(out, outsz, &len, msg[pos + 1 + i]))
				break;
		pos += 1u + l;
	}
	if (outsz && len == 0 && outsz > 1) {
		out[0] = '.';
		out[1] = '\0';
	}
	*off = end;
	return true;
}

static void
dns_copy_name_to(char *dst, size_t dstsz, const char *src)
{
	size_t n = strnlen(src, dstsz - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Reads the rdata of a kept record type into rr; false when it is not of
 * its type's shape. */
static bool
dns_rdata_read(const uint8_t *msg, size_t n, size_t off, size_t rdlen, struct dns_rr *rr,
	       uint32_t *anom)
{
	size_t end = off + rdlen, o = off;
	char name[DNS_NAME_KEEP];

	switch (rr->type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA: {
		size_t want = rr->type == DNS_TYPE_A ? 4 : 16;

		if (rdlen != want)
			return false;
		memcpy(rr->u.addr, msg + off, want);
		return true;
	}
	case DNS_TYPE_MX:
		if (rdlen < 3)
			return false;
		rr->u.mx.preference = (uint16_t)(msg[off] << 8 | msg[off + 1]);
		o = off + 2;
		if (!dns_name_read(msg, end, &o, name, sizeof(name), anom) || o != end)
			return false;
		dns_copy_name_to(rr->u.mx.host, sizeof(rr->u.mx.host), name);
		return true;
	case DNS_TYPE_CNAME:
		if (!dns_name_read(msg, end, &o, name, sizeof(name), anom) || o != end)
			return false;
		dns_copy_name_to(rr->u.target, sizeof(rr->u.target), name);
		return true;
	case DNS_TYPE_TXT:
		while (o < end) {
			uint8_t sl = msg[o++];

			if (sl > end - o)
				return false;
			for (size_t i = 0; i < sl; i++) {
				if (rr->u.txt.len + 1u >= sizeof(rr->u.txt.text)) {
					rr->u.txt.cut = true;
					break;
				}
				/* Printable only: the text reaches the outputs. */
				rr->u.txt.text[rr->u.txt.len++] =
					msg[o + i] >= 0x20 && msg[o + i] < 0x7f ? (char)msg[o + i]
										: '?';
			}
			o += sl;
		}
		rr->u.txt.text[rr->u.txt.len] = '\0';
		return true;
	case DNS_TYPE_TLSA:
		if (rdlen < 3)
			return false;
		rr->u.tlsa.usage = msg[off];
		rr->u.tlsa.selector = msg[off + 1];
		rr->u.tlsa.matching = msg[off + 2];
		rr->u.tlsa.len = (uint16_t)(rdlen - 3);
		memcpy(rr->u.tlsa.data, msg + off + 3,
		       rdlen - 3 < DNS_TLSA_KEEP ? rdlen - 3 : DNS_TLSA_KEEP);
		return true;
	}
	(void)n;
	return false;
}

static bool
dns_type_kept(uint16_t t)
{
	return t == DNS_TYPE_A || t == DNS_TYPE_AAAA || t == DNS_TYPE_MX || t == DNS_TYPE_TXT ||
	       t == DNS_TYPE_TLSA || t == DNS_TYPE_CNAME;
}

static bool
dns_class_known(uint16_t c)
{
	return c == 1 || c == 3 || c == 4 || c == 254 || c == 255;
}

/* The header into m; false when the counts or flags are not DNS's. */
static bool
dns_header_read(const uint8_t *p, size_t n, struct dns_msg *m)
{
	uint16_t flags;

	if (n < DNS_HEADER_LEN)
		return false;
	m->id = (uint16_t)(p[0] << 8 | p[1]);
	flags = (uint16_t)(p[2] << 8 | p[3]);
	m->response = flags & 0x8000;
	m->opcode = (flags >> 11) & 0xf;
	m->tc = flags & 0x0200;
	m->ad = flags & 0x0020;
	m->rcode = flags & 0xf;
	m->qdcount = (uint16_t)(p[4] << 8 | p[5]);
	m->ancount = (uint16_t)(p[6] << 8 | p[7]);
	m->nscount = (uint16_t)(p[8] << 8 | p[9]);
	m->arcount = (uint16_t)(p[10] << 8 | p[11]);
	return true;
}

bool
dns_looks_like_message(const uint8_t *p, size_t n)
{
	struct dns_msg h;
	char name[DNS_NAME_KEEP];
	size_t off = DNS_HEADER_LEN;
	uint32_t anom = 0;
	uint16_t qclass;

	memset(&h, 0, sizeof(h));
	if (!dns_header_read(p, n, &h))
		return false;
	if (h.qdcount != 1 || h.ancount > DNS_COUNT_SANE || h.nscount > DNS_COUNT_SANE ||
	    h.arcount > DNS_COUNT_SANE)
		return false;
	if (h.opcode != 0 && h.opcode != 4 && h.opcode != 5)
		return false;
	if (p[3] & 0x40) /* Z */
		return false;
	if (!h.response && (h.rcode != 0 || h.ancount > 0))
		return false;
	if (!dns_name_read(p, n, &off, name, sizeof(name), &anom) || n - off < 4)
		return false;
	qclass = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
	return dns_class_known(qclass);
}

bool
dns_msg_parse(const uint8_t *p, size_t n, struct dns_msg *m)
{
	size_t off = DNS_HEADER_LEN;

	memset(m, 0, sizeof(*m));
	if (!dns_header_read(p, n, m))
		return false;
	for (unsigned q = 0; q < m->qdcount; q++) {
		char name[DNS_NAME_KEEP];

		if (!dns_name_read(p, n, &off, name, sizeof(name), &m->anomalies))
			return true;
		if (n - off < 4) {
			m->anomalies |= DNS_ANOM_TRUNCATED;
			return true;
		}
		if (q == 0) {
			dns_copy_name_to(m->qname, sizeof(m->qname), name);
			m->qtype = (uint16_t)(p[off] << 8 | p[off + 1]);
			m->qclass = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
			m->has_question = true;
		}
		off += 4;
	}
	for (unsigned a = 0; a < m->ancount; a++) {
		struct dns_rr rr;
		size_t rdlen;

		memset(&rr, 0, sizeof(rr));
		if (!dns_name_read(p, n, &off, rr.name, sizeof(rr.name), &m->anomalies))
			return true;
		if (n - off < 10) {
			m->anomalies |= DNS_ANOM_TRUNCATED;
			return true;
		}
		rr.type = (uint16_t)(p[off] << 8 | p[off + 1]);
		rr.rclass = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		rr.ttl = (uint32_t)p[off + 4] << 24 | (uint32_t)p[off + 5] << 16 |
			 (uint32_t)p[off + 6] << 8 | p[off + 7];
		rdlen = (size_t)(p[off + 8] << 8 | p[off + 9]);
		off += 10;
		if (rdlen > n - off) {
			m->anomalies |= DNS_ANOM_TRUNCATED;
			return true;
		}
		m->answers_read++;
		if (dns_type_kept(rr.type)) {
			if (!dns_rdata_read(p, n, off, rdlen, &rr, &m->anomalies))
				m->anomalies |= DNS_ANOM_BAD_RDATA;
			else if (m->n_rr < DNS_RR_KEEP)
				m->rr[m->n_rr++] = rr;
			else
				m->anomalies |= DNS_ANOM_RR_CAP;
		}
		off += rdlen;
	}
	return true;
}

const char *
dns_type_name(uint16_t type, char *buf, size_t bufsz)
{
	static const struct {
		uint16_t type;
		const char *name;
	} names[] = {
		{DNS_TYPE_A, "A"},     {DNS_TYPE_NS, "NS"},	{DNS_TYPE_CNAME, "CNAME"},
		{DNS_TYPE_SOA, "SOA"}, {DNS_TYPE_PTR, "PTR"},	{DNS_TYPE_MX, "MX"},
		{DNS_TYPE_TXT, "TXT"}, {DNS_TYPE_AAAA, "AAAA"}, {DNS_TYPE_SRV, "SRV"},
		{DNS_TYPE_OPT, "OPT"}, {DNS_TYPE_TLSA, "TLSA"}, {255, "ANY"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type) {
			size_t n = strlen(names[i].name);

			/* no printf for the usual names: written twice for each
			 * query of a flood */
			if (bufsz == 0)
				return buf;
			if (n >= bufsz)
				n = bufsz - 1;
			memcpy(buf, names[i].name, n);
			buf[n] = '\0';
			return buf;
		}
	snprintf(buf, bufsz, "TYPE%u", type);
	return buf;
}

/* ---- The service parser --------------------------------------------------- */

#define DNS_TCP_KEEP 512 /* bytes of a TCP message kept (RFC 1035's UDP size) */
#define DNS_QNAME_OWN 54 /* the first query name kept in proto_facts.own */

/* The facts only DNS has, in proto_facts.own. */
struct dns_own {
	uint16_t queries;
	uint16_t responses;
	uint16_t answers; /* answer records in the responses */
	uint8_t nxdomain; /* responses with RCODE 3 (saturates) */
	uint8_t errors;	  /* responses with another nonzero RCODE (saturates) */
	uint16_t qtype;	  /* the first question's type */
	char qname[DNS_QNAME_OWN];
};
_Static_assert(sizeof(struct dns_own) <= PROTO_OWN_MAX, "dns_own fits proto_facts.own");

/* One direction of a TCP session: the length, then the message. */
struct dns_tcp {
	uint8_t len_bytes; /* of the two-byte length read */
	uint16_t need;	   /* the message's length */
	uint16_t got;	   /* bytes of it seen */
	uint8_t buf[DNS_TCP_KEEP];
};

/* Over UDP a session gets only the part before tcp (udp_state_size): a
 * DNS flood's one-query flows do not carry 1 KiB of unused buffers. */
struct dns_state {
	bool stopped; /* first: proto_gap_stop */
	struct dns_tcp tcp[2];
};

static struct dns_own *
dns_own(struct proto_facts *f)
{
	return (struct dns_own *)(void *)f->own;
}

static void
dns_count8(uint8_t *v)
{
	if (*v < UINT8_MAX)
		(*v)++;
}

static void
dns_count16(uint16_t *v, unsigned add)
{
	*v = *v + add > UINT16_MAX ? UINT16_MAX : (uint16_t)(*v + add);
}

/* One whole message (or the kept start of one) into the facts. */
static void
dns_message(struct proto_facts *f, const uint8_t *p, size_t n)
{
	struct dns_msg m;
	struct dns_own *o = dns_own(f);

	if (!dns_msg_parse(p, n, &m)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	if (m.anomalies & ~(uint32_t)DNS_ANOM_RR_CAP)
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	/* Twelve bytes of anything make a header: a message counts when its
	 * question was read (or it has none and nothing was wrong). */
	if (!m.has_question && (m.qdcount || m.anomalies)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	if (m.response) {
		dns_count16(&o->responses, 1);
		dns_count16(&o->answers, m.answers_read);
		if (m.rcode == 3)
			dns_count8(&o->nxdomain);
		else if (m.rcode != 0)
			dns_count8(&o->errors);
	} else {
		dns_count16(&o->queries, 1);
		f->commands++;
	}
	if (m.has_question && !o->qname[0]) {
		o->qtype = m.qtype;
		dns_copy_name_to(o->qname, sizeof(o->qname), m.qname);
		if (strlen(m.qname) >= sizeof(o->qname)) /* cut: say so */
			o->qname[sizeof(o->qname) - 2] = '~';
	}
}

/* The state is zeroed already; over UDP it ends before tcp[]. */
static void
dns_init(void *state)
{
	((struct dns_state *)state)->stopped = false;
}

static void
dns_datagram(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	(void)state;
	(void)dir;
	dns_message(f, p, len);
}

/* RFC 1035 4.2.2: each message after its length, any number per
 * connection, cut anywhere by TCP. */
static size_t
dns_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct dns_state *s = state;
	struct dns_tcp *t = &s->tcp[dir];
	size_t i = 0;

	if (s->stopped)
		return len;
	while (i < len) {
		if (t->len_bytes < 2) {
			t->need = (uint16_t)(t->need << 8 | p[i++]);
			if (++t->len_bytes < 2)
				continue;
			t->got = 0;
			if (t->need == 0) { /* nothing to read: next length */
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				t->len_bytes = 0;
			}
			continue;
		}
		{
			size_t take = (size_t)(t->need - t->got);

			if (take > len - i)
				take = len - i;
			for (size_t k = 0; k < take; k++)
				if ((size_t)t->got + k < DNS_TCP_KEEP)
					t->buf[t->got + k] = p[i + k];
			t->got = (uint16_t)(t->got + take);
			i += take;
		}
		if (t->got == t->need) {
			size_t kept = t->need < DNS_TCP_KEEP ? t->need : DNS_TCP_KEEP;

			if (t->need > DNS_TCP_KEEP)
				f->cap_hits++;
			dns_message(f, t->buf, kept);
			t->len_bytes = 0;
			t->need = 0;
			t->got = 0;
		}
	}
	return len;
}

static enum sniff_result
dns_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	(void)dir;
	/* A datagram: the header from the first byte. */
	if (dns_looks_like_message(p, len))
		return SNIFF_STRONG;
	/* A TCP stream: a length, then the header. The length must cover the
	 * question at least, and a session's first message is small (under
	 * 4 KiB: a first byte below 0x10, which no text starts with). */
	if (len >= 1 && p[0] >= 0x10)
		return SNIFF_NO;
	if (len >= 2) {
		size_t need = (size_t)(p[0] << 8 | p[1]);

		if (need >= DNS_HEADER_LEN + 5 &&
		    dns_looks_like_message(p + 2, len - 2 < need ? len - 2 : need))
			return SNIFF_STRONG;
		if (len - 2 < DNS_HEADER_LEN + 5 && need >= DNS_HEADER_LEN + 5)
			return SNIFF_MORE;
		return SNIFF_NO;
	}
	return SNIFF_MORE;
}

static void
dns_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct dns_own *o = (const struct dns_own *)(const void *)f->own;
	char t[16];

	if (o->queries)
		w->num(w->ctx, "queries", o->queries);
	if (o->responses)
		w->num(w->ctx, "responses", o->responses);
	if (o->answers)
		w->num(w->ctx, "answers", o->answers);
	if (o->nxdomain)
		w->num(w->ctx, "nxdomain", o->nxdomain);
	if (o->errors)
		w->num(w->ctx, "errors", o->errors);
	if (o->qname[0]) {
		w->str(w->ctx, "qtype", dns_type_name(o->qtype, t, sizeof(t)));
		w->str(w->ctx, "qname", o->qname);
	}
}

const struct proto_desc proto_dns = {
	.name = "dns",
	.rfc = "RFC 1035, RFC 7766, RFC 7858, RFC 8094",
	.transports = PROTO_TCP | PROTO_UDP,
	.clear_ports = {53},
	.tls_ports = {853},
	.tls_transports = PROTO_TCP | PROTO_UDP,
	.ndpi = {"DNS", "DoH_DoT"},
	.alpn = {"dot", "doq"},
	.state_size = sizeof(struct dns_state),
	.udp_state_size = offsetof(struct dns_state, tcp),
	.sniff = dns_sniff,
	.init = dns_init,
	.feed = dns_feed,
	.datagram = dns_datagram,
	.gap = proto_gap_stop,
	.write = dns_write,
};
