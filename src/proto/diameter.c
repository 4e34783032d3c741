/*
 * diameter.c - Diameter base protocol parser: the capabilities exchange and
 * the RFC 3588 in-band TLS upgrade.
 *
 * References: RFC 3588 (Diameter base protocol: header, AVP format,
 * Capabilities-Exchange 257, Inband-Security-Id 299 with NO_INBAND_SECURITY
 * 0 and TLS 1, 2.1 and 13.1: TLS starts after a CER/CEA exchange that
 * agreed on it); RFC 6733 (the same base protocol; in-band security is
 * deprecated, TLS is started from the first byte on port 5868).
 *
 * Framing: a 20-byte header (version 1, 3-byte message length, flags R P E
 * T, 3-byte command code, Application-Id, Hop-by-Hop and End-to-End ids),
 * then AVPs: code (4), flags (V vendor, M mandatory), 3-byte length,
 * Vendor-Id when V is set, data padded to 4 bytes. Messages are read across
 * segments up to DIAM_MSG_MAX bytes; the rest of a longer one is skipped by
 * its length (its AVPs past the cap are not read, and counted in cap_hits).
 *
 * Facts: the CER (request flag, code 257) is the client's request of the
 * upgrade when it lists Inband-Security-Id TLS (tls_offered stays the
 * server's: the CEA's list); its answer, the CEA,
 * accepts it when it lists TLS too and its Result-Code is 2001
 * DIAMETER_SUCCESS: the rest of both streams is TLS, the initiator's
 * ClientHello first. A CEA without TLS (or with another Result-Code) after
 * a CER that offered TLS is a refusal: the session stays cleartext. A CEA
 * that lists TLS after a CER that did not is an offer not taken. Client
 * bytes after a TLS-offering CER before its CEA are injection (the
 * initiator must wait for the CEA), a TLS record there means the client
 * went ahead. The CEA is the server's capability list (capa_seen). Own
 * facts: the initiator's Origin-Host and Origin-Realm (from the CER, else
 * from the first message that has them), the commands seen (CER/CEA,
 * DWR/DWA, DPR/DPA, and the first other command code), the CEA's
 * Result-Code, and Inband-Security-Id as the CER offered and the CEA
 * answered it.
 *
 * Hostile input: a version other than 1, a message length under 20 or an
 * AVP length under 8 (12 with a Vendor-Id) or past the message's end stop
 * the session's parsing (PROTO_ANOM_BAD_SYNTAX); nothing is read past the
 * bytes received.
 *
 * Over SCTP (src/engine/sctp.c) the user messages come in TSN order as one
 * stream, read as over TCP; DTLS over SCTP (RFC 6083) is the session's
 * DTLS, not this parser's. An Experimental-Result (RFC 6733 7.6, grouped)
 * is opened for its Experimental-Result-Code, which is never the success
 * that accepts the upgrade. Not handled: IPsec; other grouped AVPs and
 * vendor AVPs are not read; logins: the base protocol carries no passwords
 * (applications such as NASREQ's User-Password ride on a session that is
 * judged here by its transport security only).
 */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "line.h"

#define DIAM_HDR 20
#define DIAM_MSG_MAX 4096 /* bytes of a message kept and read */

#define DIAM_FLAG_R 0x80
#define DIAM_FLAG_E 0x20
#define DIAM_AVP_FLAG_V 0x80

#define DIAM_CMD_CE 257 /* Capabilities-Exchange */
#define DIAM_CMD_DW 280 /* Device-Watchdog */
#define DIAM_CMD_DP 282 /* Disconnect-Peer */

#define DIAM_AVP_ORIGIN_HOST 264
#define DIAM_AVP_RESULT_CODE 268
#define DIAM_AVP_EXPERIMENTAL_RESULT 297 /* grouped: Vendor-Id and the code */
#define DIAM_AVP_EXPERIMENTAL_RESULT_CODE 298
#define DIAM_AVP_ORIGIN_REALM 296
#define DIAM_AVP_INBAND_SECURITY 299

#define DIAM_SUCCESS 2001

/* Inband-Security-Id values seen in one message (diam_own.inband_*). */
enum {
	DIAM_ISI_SEEN = 1u << 0, /* the message was read */
	DIAM_ISI_NONE = 1u << 1, /* NO_INBAND_SECURITY */
	DIAM_ISI_TLS = 1u << 2,
	DIAM_ISI_OTHER = 1u << 3, /* a value RFC 3588 does not define */
};

/* Commands seen (diam_own.cmds). */
enum {
	DIAM_SEEN_CER = 1u << 0,
	DIAM_SEEN_CEA = 1u << 1,
	DIAM_SEEN_DWR = 1u << 2,
	DIAM_SEEN_DWA = 1u << 3,
	DIAM_SEEN_DPR = 1u << 4,
	DIAM_SEEN_DPA = 1u << 5,
	DIAM_SEEN_OTHER = 1u << 6, /* more than the one kept in other_code */
};

#define DIAM_NAME_MAX 28

/* What the own fields hold (proto_facts.own). */
struct diam_own {
	uint16_t result_code; /* the CEA's, 0: none */
	uint16_t other_code;  /* the first command not listed above (low 16 bits) */
	uint8_t inband_cer;   /* DIAM_ISI_* */
	uint8_t inband_cea;
	uint8_t cmds;	   /* DIAM_SEEN_* */
	bool experimental; /* result_code is the CEA's Experimental-Result-Code */
	char origin_host[DIAM_NAME_MAX];
	char origin_realm[DIAM_NAME_MAX];
};

_Static_assert(sizeof(struct diam_own) <= PROTO_OWN_MAX, "diam_own fits proto_facts.own");

/* One direction's framing. */
struct diam_dir {
	uint32_t len;  /* the message's length (header included) */
	uint32_t have; /* its bytes so far */
	uint32_t kept; /* ... of which in buf */
	uint8_t buf[DIAM_MSG_MAX];
};

struct diam_state {
	bool stopped; /* first: proto_gap_stop sets it */
	struct diam_dir d[2];
	bool cer_tls;	  /* the CER offered TLS */
	bool cea_pending; /* ... and its CEA is not read yet */
	struct upgrade_wait tls_wait;
	struct line_asm injected; /* client bytes after the CER (evidence) */
};

/* What one message says, as far as the parser reads it. */
struct diam_msg {
	uint8_t flags;
	uint32_t code;
	uint8_t isi; /* DIAM_ISI_* */
	uint32_t result_code;
	bool has_result;
	bool experimental; /* ... from an Experimental-Result (RFC 6733 7.6) */
	struct cursor host, realm;
};

static struct diam_own *
diam_own(struct proto_facts *f)
{
	return (struct diam_own *)(void *)f->own;
}

static uint32_t
diam_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t
diam_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | diam_be24(p + 1);
}

/* A header that could start a Diameter message: version 1, a length of at
 * least 20, the reserved flag bits clear. Needs DIAM_HDR bytes... or 8. */
static bool
diam_header_plausible(const uint8_t *p)
{
	return p[0] == 1 && diam_be24(p + 1) >= DIAM_HDR && (p[4] & 0x0f) == 0;
}

/*
 * Reads the AVPs of a message whose first `kept` bytes of `len` are in p.
 * Returns false on a hostile AVP length (under 8, or past the message's
 * end); an AVP cut only by the cap ends the reading quietly.
 */
/* The Experimental-Result-Code inside a grouped Experimental-Result (its
 * data, dlen bytes, all in memory); nothing when it has none. */
static void
diam_experimental(const uint8_t *p, uint32_t dlen, struct diam_msg *m)
{
	uint32_t off = 0;

	while (dlen - off >= 8) {
		uint32_t code = diam_be32(p + off), alen = diam_be24(p + off + 5);
		uint32_t hdr = p[off + 4] & DIAM_AVP_FLAG_V ? 12u : 8u;

		if (alen < hdr || alen > dlen - off)
			return;
		if (code == DIAM_AVP_EXPERIMENTAL_RESULT_CODE && hdr == 8 && alen == 12 &&
		    !m->has_result) {
			m->result_code = diam_be32(p + off + 8);
			m->has_result = true;
			m->experimental = true;
		}
		off += (alen + 3u) & ~3u;
		if (off >= dlen)
			return;
	}
}

static bool
diam_avps(const uint8_t *p, uint32_t kept, uint32_t len, struct diam_msg *m)
{
	uint32_t off = DIAM_HDR;

	while (off < len) {
		uint32_t code, alen, hdr, padded, dlen;
		uint8_t aflags;
		const uint8_t *data;

		if (len - off < 8)
			return false; /* bytes left that are no AVP */
		if (off + 8 > kept)
			return true; /* the rest is past the cap */
		code = diam_be32(p + off);
		aflags = p[off + 4];
		alen = diam_be24(p + off + 5);
		hdr = aflags & DIAM_AVP_FLAG_V ? 12u : 8u;
		if (alen < hdr || alen > len - off)
			return false;
		if (off + alen > kept)
			return true;
		data = p + off + hdr;
		dlen = alen - hdr;
		if (hdr == 8) { /* base protocol AVPs have no Vendor-Id */
			switch (code) {
			case DIAM_AVP_ORIGIN_HOST:
				cursor_init(&m->host, data, dlen);
				break;
			case DIAM_AVP_ORIGIN_REALM:
				cursor_init(&m->realm, data, dlen);
				break;
			case DIAM_AVP_RESULT_CODE:
				if (dlen == 4) {
					m->result_code = diam_be32(data);
					m->has_result = true;
					m->experimental = false;
				}
				break;
			case DIAM_AVP_EXPERIMENTAL_RESULT:
				diam_experimental(data, dlen, m);
				break;
			case DIAM_AVP_INBAND_SECURITY:
				if (dlen == 4) {
					uint32_t v = diam_be32(data);

					m->isi |= v == 0   ? DIAM_ISI_NONE
						  : v == 1 ? DIAM_ISI_TLS
							   : DIAM_ISI_OTHER;
				}
				break;
			default:
				break;
			}
		}
		/* The last AVP's padding may be missing from a sloppy peer's
		 * message: its end is the message's. */
		padded = (alen + 3u) & ~3u;
		if (padded >= len - off)
			break;
		off += padded;
	}
	return true;
}

/* Records the command in the own facts. */
static void
diam_note_command(struct proto_facts *f, const struct diam_msg *m)
{
	struct diam_own *o = diam_own(f);
	bool req = m->flags & DIAM_FLAG_R;

	switch (m->code) {
	case DIAM_CMD_CE:
		o->cmds |= req ? DIAM_SEEN_CER : DIAM_SEEN_CEA;
		break;
	case DIAM_CMD_DW:
		o->cmds |= req ? DIAM_SEEN_DWR : DIAM_SEEN_DWA;
		break;
	case DIAM_CMD_DP:
		o->cmds |= req ? DIAM_SEEN_DPR : DIAM_SEEN_DPA;
		break;
	default:
		if (o->other_code == 0 && m->code > 0 && m->code <= 0xffff)
			o->other_code = (uint16_t)m->code;
		else if (o->other_code != m->code)
			o->cmds |= DIAM_SEEN_OTHER;
		break;
	}
}

static void
diam_note_origin(struct proto_facts *f, const struct diam_msg *m)
{
	struct diam_own *o = diam_own(f);

	if (m->host.len && !o->origin_host[0])
		sasl_field_set(o->origin_host, sizeof(o->origin_host), m->host.p, m->host.len);
	if (m->realm.len && !o->origin_realm[0])
		sasl_field_set(o->origin_realm, sizeof(o->origin_realm), m->realm.p, m->realm.len);
}

/* A CER from the initiator. */
static void
diam_cer(struct diam_state *s, struct proto_facts *f, const struct diam_msg *m)
{
	struct diam_own *o = diam_own(f);

	/* The initiator's names win over any seen before. */
	o->origin_host[0] = o->origin_realm[0] = '\0';
	diam_note_origin(f, m);
	o->inband_cer = (uint8_t)(m->isi | DIAM_ISI_SEEN);
	if (f->upgrade_refused)
		f->cleartext_after_refusal = true;
	if (m->isi & DIAM_ISI_TLS) {
		s->cer_tls = true;
		s->cea_pending = true;
		upgrade_wait_begin(&s->tls_wait, f);
		line_asm_reset(&s->injected);
	}
}

/* The CEA: the server's capabilities, and the answer to the upgrade.
 * Returns true when the rest is TLS. */
static bool
diam_cea(struct diam_state *s, struct proto_facts *f, const struct diam_msg *m)
{
	struct diam_own *o = diam_own(f);
	bool tls = m->isi & DIAM_ISI_TLS;
	bool ok;
	char reply[80];

	f->capa_seen = true;
	if (tls)
		proto_facts_add_capa_once(f, (const uint8_t *)"TLS", 3);
	if (m->isi & DIAM_ISI_NONE)
		proto_facts_add_capa_once(f, (const uint8_t *)"NO_INBAND_SECURITY", 18);
	o->inband_cea = (uint8_t)(m->isi | DIAM_ISI_SEEN);
	if (m->has_result) {
		o->result_code = m->result_code <= 0xffff ? (uint16_t)m->result_code : 0xffff;
		o->experimental = m->experimental;
	}
	if (tls)
		f->tls_offered = true;
	if (!s->cea_pending)
		return false;
	s->cea_pending = false;
	/* DIAMETER_SUCCESS is a Result-Code's: an Experimental-Result is a
	 * vendor's answer, never the base protocol's success. */
	ok = tls && m->has_result && !m->experimental && m->result_code == DIAM_SUCCESS;
	snprintf(reply, sizeof(reply), "CEA %s %u%s",
		 m->experimental ? "Experimental-Result-Code" : "Result-Code",
		 m->has_result ? (unsigned)m->result_code : 0u,
		 tls ? " Inband-Security-Id TLS" : " without TLS");
	return upgrade_wait_answer(&s->tls_wait, f, ok, (const uint8_t *)reply, strlen(reply),
				   &s->injected);
}

/* A whole message (or its first DIAM_MSG_MAX bytes) of direction dir.
 * Returns true when the rest is TLS. */
static bool
diam_message(struct diam_state *s, struct proto_facts *f, enum dir dir)
{
	const struct diam_dir *d = &s->d[dir];
	struct diam_msg m;

	memset(&m, 0, sizeof(m));
	m.flags = d->buf[4];
	m.code = diam_be24(d->buf + 5);
	if (d->len > DIAM_MSG_MAX)
		f->cap_hits++;
	if (!diam_avps(d->buf, d->kept, d->len, &m)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		s->stopped = true;
		return false;
	}
	diam_note_command(f, &m);
	if (m.flags & DIAM_FLAG_R)
		f->commands += dir == DIR_C2S;
	if (m.code == DIAM_CMD_CE && (m.flags & DIAM_FLAG_R) && dir == DIR_C2S) {
		diam_cer(s, f, &m);
		return false;
	}
	if (m.code == DIAM_CMD_CE && !(m.flags & DIAM_FLAG_R) && dir == DIR_S2C)
		return diam_cea(s, f, &m);
	diam_note_origin(f, &m);
	return false;
}

static size_t
diam_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct diam_state *s = state;
	struct diam_dir *d = &s->d[dir];
	size_t used = 0;

	if (s->stopped || f->switch_to_tls)
		return len;
	while (used < len && !s->stopped) {
		size_t n, room;

		if (dir == DIR_C2S && d->have == 0 &&
		    upgrade_wait_client_byte(&s->tls_wait, f, p[used]))
			return used; /* the client went ahead with TLS */
		if (d->have < DIAM_HDR) {
			n = DIAM_HDR - d->have;
			if (n > len - used)
				n = len - used;
			memcpy(d->buf + d->have, p + used, n);
			if (dir == DIR_C2S)
				upgrade_wait_keep(&s->tls_wait, &s->injected, p + used, n);
			d->have += (uint32_t)n;
			d->kept = d->have;
			used += n;
			if (d->have < DIAM_HDR)
				break;
			if (!diam_header_plausible(d->buf)) {
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				s->stopped = true;
				break;
			}
			d->len = diam_be24(d->buf + 1);
		} else {
			n = d->len - d->have;
			if (n > len - used)
				n = len - used;
			room = DIAM_MSG_MAX - d->kept;
			memcpy(d->buf + d->kept, p + used, n < room ? n : room);
			d->kept += (uint32_t)(n < room ? n : room);
			if (dir == DIR_C2S)
				upgrade_wait_keep(&s->tls_wait, &s->injected, p + used, n);
			d->have += (uint32_t)n;
			used += n;
		}
		if (d->have < d->len)
			continue;
		d->have = 0;
		if (diam_message(s, f, dir))
			return used; /* the rest of this direction is TLS */
	}
	return len;
}

static void
diam_init(void *state)
{
	struct diam_state *s = state;

	memset(s, 0, sizeof(*s));
	line_asm_init(&s->injected);
}

/*
 * The initiator's first message is a CER, the responder's a CEA: version 1,
 * the reserved flags clear, a sane length, command 257 with the request flag
 * as the direction wants. Any other plausible message is a weak claim
 * (picked up midstream: a watchdog).
 */
static enum sniff_result
diam_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	uint32_t n;

	if (len == 0)
		return SNIFF_MORE;
	if (p[0] != 1)
		return SNIFF_NO;
	if (len < 8)
		return SNIFF_MORE;
	n = diam_be24(p + 1);
	if (n < DIAM_HDR || n > (1u << 20) || (n & 3) || (p[4] & 0x0f))
		return SNIFF_NO;
	if (diam_be24(p + 5) == DIAM_CMD_CE && ((dir == DIR_C2S) == ((p[4] & DIAM_FLAG_R) != 0)))
		return SNIFF_STRONG;
	return SNIFF_WEAK;
}

/* "TLS", "NO_INBAND_SECURITY", both, or "none" when the message listed no
 * Inband-Security-Id. */
static const char *
diam_isi_text(uint8_t isi, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s", isi & DIAM_ISI_NONE ? "NO_INBAND_SECURITY" : "",
		 (isi & DIAM_ISI_NONE) && (isi & DIAM_ISI_TLS) ? "," : "",
		 isi & DIAM_ISI_TLS ? "TLS" : "",
		 (isi & DIAM_ISI_OTHER) && (isi & (DIAM_ISI_NONE | DIAM_ISI_TLS)) ? "," : "",
		 isi & DIAM_ISI_OTHER ? "other" : "");
	if (!buf[0])
		snprintf(buf, n, "none");
	return buf;
}

static void
diam_write(const struct proto_facts *f, const struct proto_writer *w)
{
	static const char *const names[] = {"CER", "CEA", "DWR", "DWA", "DPR", "DPA"};
	const struct diam_own *o = (const struct diam_own *)(const void *)f->own;
	char cmds[64] = "", isi[48];
	size_t n = 0;

	if (o->origin_host[0])
		w->str(w->ctx, "origin_host", o->origin_host);
	if (o->origin_realm[0])
		w->str(w->ctx, "origin_realm", o->origin_realm);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (o->cmds & (1u << i))
			n += (size_t)snprintf(cmds + n, sizeof(cmds) - n, "%s%s", n ? "," : "",
					      names[i]);
	if (o->other_code && n < sizeof(cmds))
		n += (size_t)snprintf(cmds + n, sizeof(cmds) - n, "%s%u%s", n ? "," : "",
				      (unsigned)o->other_code,
				      o->cmds & DIAM_SEEN_OTHER ? ",..." : "");
	if (cmds[0])
		w->str(w->ctx, "commands", cmds);
	if (o->inband_cer)
		w->str(w->ctx, "inband_offered", diam_isi_text(o->inband_cer, isi, sizeof(isi)));
	if (o->inband_cea)
		w->str(w->ctx, "inband_answered", diam_isi_text(o->inband_cea, isi, sizeof(isi)));
	if (o->result_code)
		w->num(w->ctx, o->experimental ? "experimental_result_code" : "result_code",
		       o->result_code);
}

const struct proto_desc proto_diameter = {
	.name = "diameter",
	.rfc = "RFC 3588, RFC 6733",
	.transports = PROTO_TCP | PROTO_SCTP,
	.clear_ports = {3868},
	.tls_ports = {5868},
	.tls_transports = PROTO_TCP | PROTO_SCTP, /* DTLS over SCTP (RFC 6083) */
	.upgrade = {"Inband-Security-Id TLS", "CER Inband-Security-Id TLS",
		    "CEA Inband-Security-Id TLS"},
	.ndpi = {"Diameter"},
	.state_size = sizeof(struct diam_state),
	.sniff = diam_sniff,
	.init = diam_init,
	.feed = diam_feed,
	.gap = proto_gap_stop,
	.write = diam_write,
};
