/*
 * snmp.c - Simple Network Management Protocol: the message header of every
 * datagram, the community of SNMPv1/v2c as a cleartext credential, the
 * security level and user of SNMPv3.
 *
 * References: RFC 1157 (SNMPv1 message: version 0, community, PDU), RFC
 * 1901 and RFC 3416 (SNMPv2c: version 1, the PDU types A0-A8), RFC 3412 6
 * (SNMPv3 message: version 3, msgGlobalData { msgID, msgMaxSize, msgFlags,
 * msgSecurityModel }, msgSecurityParameters, msgData; msgFlags 0x01 auth,
 * 0x02 priv), RFC 3414 2.4 (USM security parameters: engine ID, boots,
 * time, msgUserName, authentication and privacy parameters) and 3.2 (the
 * usmStats report OIDs), RFC 6353 (SNMP over (D)TLS on 10161/10162),
 * ITU-T X.690 (BER: definite lengths, short and long form), RFC 3430 (SNMP
 * over TCP: messages back to back, each framed by its own BER length).
 *
 * One message per datagram. Over TCP each message is framed by its outer
 * SEQUENCE's tag and definite length: any number per segment, cut
 * anywhere; the first SNMP_TCP_KEEP bytes of each are kept and read (the
 * community, the v3 header and the PDU type come first; a longer message,
 * a walk's bulk response, counts in cap_hits). Another tag, an indefinite
 * length or one of more than four bytes loses the framing: that direction
 * is read no further. A gap stops the parser. Read: the version; v1/v2c the community and
 * the PDU type; v3 msgFlags, msgSecurityModel, the USM msgUserName and, when
 * the PDU is not encrypted, its type (a Report's first varbind OID tells a
 * usmStats error). A datagram shorter than its outer length (cut by the
 * capture) is read as far as it goes.
 *
 * Facts: a login COMMUNITY per distinct community (the community is the
 * secret, no user; an agent answers only a community it knows, so a
 * Response carrying it is success; a wrong one is dropped in silence:
 * unknown); a login USM per distinct v3 user of a noAuthNoPriv or
 * authNoPriv message (no secret: with auth, an HMAC crosses, never the
 * key; outcome Response success, a Report of usmStatsUnknownUserNames or
 * usmStatsWrongDigests failure). Discovery messages (empty user name, RFC
 * 3414 4) are no logins. Own fields: the versions seen, the v3 security
 * level (the lowest of the messages that name a user: authPriv means the
 * PDUs were encrypted by USM), the first v3 user, and counts of requests,
 * responses, notifications (traps and informs), reports and encrypted PDUs.
 *
 * SNMPv3 authPriv is encryption of SNMP's own, not TLS: the verdict stays
 * cleartext/no-tls-protocol (nothing TLS-like happened on the wire); the
 * security field says the PDUs were encrypted and no login is recorded
 * (the user name is shown, but nothing about the session is readable).
 *
 * Not handled: security models other than USM (their parameters are
 * not read), the varbinds of requests and responses.
 */
#include <stddef.h>
#include <string.h>

#include "proto.h"
#include "sasl.h"

#define SNMP_OWN_USER 40 /* bytes of the first v3 user kept in own */

enum {
	SNMP_V1 = 1u << 0,
	SNMP_V2C = 1u << 1,
	SNMP_V3 = 1u << 2,
};

/* v3 security levels (RFC 3411 3.4.3), in own.level; 0: none seen. */
enum {
	SNMP_LEVEL_NONE = 0,
	SNMP_LEVEL_NOAUTH = 1, /* noAuthNoPriv */
	SNMP_LEVEL_AUTH = 2,   /* authNoPriv */
	SNMP_LEVEL_PRIV = 3,   /* authPriv */
};

/* BER tags read here. */
enum {
	BER_INTEGER = 0x02,
	BER_OCTETS = 0x04,
	BER_OID = 0x06,
	BER_SEQUENCE = 0x30,
};

/* PDU tags (context-specific, constructed). */
enum {
	PDU_GET = 0xa0,
	PDU_GETNEXT = 0xa1,
	PDU_RESPONSE = 0xa2,
	PDU_SET = 0xa3,
	PDU_TRAP_V1 = 0xa4,
	PDU_GETBULK = 0xa5,
	PDU_INFORM = 0xa6,
	PDU_TRAP_V2 = 0xa7,
	PDU_REPORT = 0xa8,
};

/* The facts only SNMP has, in proto_facts.own. */
struct snmp_own {
	uint8_t versions; /* SNMP_V* seen */
	uint8_t level;	  /* lowest v3 level of a message naming a user */
	uint16_t requests;
	uint16_t responses;
	uint16_t notifications; /* traps and informs */
	uint16_t reports;
	uint16_t encrypted; /* v3 PDUs encrypted (authPriv) */
	char user[SNMP_OWN_USER];
};
_Static_assert(sizeof(struct snmp_own) <= PROTO_OWN_MAX, "snmp_own fits proto_facts.own");

#define SNMP_TCP_KEEP 512 /* bytes of a message over TCP kept and read */

/* One direction of a TCP connection: the message being assembled. */
struct snmp_tcp {
	uint8_t hdr_need; /* bytes of tag and length, once the first length byte came */
	bool lost;	  /* framing lost: the rest of this direction is skipped */
	uint64_t total;	  /* the message's bytes with its header, once known (else 0) */
	uint64_t got;	  /* bytes of it seen */
	uint8_t buf[SNMP_TCP_KEEP];
};

/* Over UDP a session gets only the part before tcp (udp_state_size). */
struct snmp_state {
	bool stopped;	   /* first: proto_gap_stop (TCP only) */
	uint32_t messages; /* messages read as SNMP */
	struct snmp_tcp tcp[2];
};

/* One BER element: its tag and contents. */
struct ber {
	uint8_t tag;
	const uint8_t *p;
	size_t len;
};

/*
 * Reads one element at c. Definite lengths only, short or long form of at
 * most four length bytes (SNMP never needs more), single-byte tags. When
 * the contents run past the end, *cut is set and the element holds what
 * there is (a datagram cut by the capture is read as far as it goes); a
 * caller that cannot use a part passes cut NULL and gets false. On false
 * the cursor is unchanged.
 */
static bool
ber_next(struct cursor *c, struct ber *e, bool *cut)
{
	struct cursor save = *c;
	uint8_t tag, l;
	uint32_t len;

	if (!cursor_get_u8(c, &tag) || (tag & 0x1f) == 0x1f || !cursor_get_u8(c, &l))
		goto fail;
	if (l < 0x80) {
		len = l;
	} else {
		size_t n = l & 0x7f;

		if (n == 0 || n > 4 || !cursor_get_be(c, n, &len)) /* 0x80: indefinite */
			goto fail;
	}
	e->tag = tag;
	e->p = c->p;
	if (len > cursor_remaining(c)) {
		if (!cut)
			goto fail;
		*cut = true;
		e->len = cursor_remaining(c);
	} else {
		e->len = len;
	}
	cursor_skip(c, e->len);
	return true;
fail:
	*c = save;
	return false;
}

/* The next element, which must have this tag. */
static bool
ber_expect(struct cursor *c, uint8_t tag, struct ber *e, bool *cut)
{
	struct cursor save = *c;

	if (!ber_next(c, e, cut))
		return false;
	if (e->tag != tag) {
		*c = save;
		return false;
	}
	return true;
}

/* A small non-negative INTEGER (version, flags, model); false otherwise. */
static bool
ber_small_uint(const struct ber *e, uint32_t *v)
{
	if (e->tag != BER_INTEGER || e->len == 0 || e->len > 4 || (e->p[0] & 0x80))
		return false;
	*v = 0;
	for (size_t i = 0; i < e->len; i++)
		*v = *v << 8 | e->p[i];
	return true;
}

static struct snmp_own *
snmp_own(struct proto_facts *f)
{
	return (struct snmp_own *)(void *)f->own;
}

static void
snmp_count(uint16_t *v)
{
	if (*v < UINT16_MAX)
		(*v)++;
}

/* The login of this mechanism with this value (community: the secret; a
 * v3 user: the name), recorded once per session: the same community on
 * every request of a walk is one login. Returns its index, or -1 when it
 * is not there and add is false (or the list is full). */
static int
snmp_login(struct proto_facts *f, const char *mech, const struct ber *value, bool add)
{
	char v[LOGIN_FIELD_MAX];
	struct login *l;
	int idx;

	memset(v, 0, sizeof(v)); /* copied whole below: no stack bytes after the NUL */
	sasl_field_set(v, sizeof(v), value->p, value->len);
	for (size_t i = 0; i < f->n_logins; i++) {
		l = &f->logins[i];
		if (strcmp(l->mechanism, mech) == 0 &&
		    strcmp(l->has_secret ? l->secret : l->username, v) == 0)
			return (int)i;
	}
	if (!add)
		return -1;
	idx = proto_facts_add_login_index(f, mech);
	l = proto_facts_login(f, idx);
	if (!l)
		return -1;
	if (strcmp(mech, "COMMUNITY") == 0) {
		memcpy(l->secret, v, sizeof(l->secret));
		l->has_secret = true;
	} else {
		memcpy(l->username, v, sizeof(l->username));
	}
	return idx;
}

/* A PDU, counted by its type. */
static void
snmp_pdu_count(struct snmp_own *o, uint8_t tag)
{
	switch (tag) {
	case PDU_GET:
	case PDU_GETNEXT:
	case PDU_SET:
	case PDU_GETBULK:
		snmp_count(&o->requests);
		break;
	case PDU_RESPONSE:
		snmp_count(&o->responses);
		break;
	case PDU_TRAP_V1:
	case PDU_INFORM:
	case PDU_TRAP_V2:
		snmp_count(&o->notifications);
		break;
	case PDU_REPORT:
		snmp_count(&o->reports);
		break;
	}
}

static bool
snmp_is_pdu(uint8_t tag)
{
	return tag >= PDU_GET && tag <= PDU_REPORT;
}

/*
 * A Report's first varbind names the usmStats counter that made it (RFC
 * 3414 3.2): usmStatsUnknownUserNames (.3) and usmStatsWrongDigests (.5)
 * refuse the user or its key; the others are the discovery and time
 * synchronisation every v3 exchange starts with.
 */
static bool
snmp_report_refuses(const struct ber *pdu)
{
	static const uint8_t usm_stats[] = {0x2b, 6, 1, 6, 3, 15, 1, 1}; /* 1.3.6.1.6.3.15.1.1 */
	struct cursor c, vbl, vb;
	struct ber e;

	cursor_init(&c, pdu->p, pdu->len);
	for (int i = 0; i < 3; i++) /* request-id, error-status, error-index */
		if (!ber_expect(&c, BER_INTEGER, &e, NULL))
			return false;
	if (!ber_expect(&c, BER_SEQUENCE, &e, NULL))
		return false;
	cursor_init(&vbl, e.p, e.len);
	if (!ber_expect(&vbl, BER_SEQUENCE, &e, NULL))
		return false;
	cursor_init(&vb, e.p, e.len);
	if (!ber_expect(&vb, BER_OID, &e, NULL) || e.len != sizeof(usm_stats) + 2 ||
	    memcmp(e.p, usm_stats, sizeof(usm_stats)) != 0)
		return false;
	return e.p[sizeof(usm_stats)] == 3 || e.p[sizeof(usm_stats)] == 5;
}

/* SNMPv1/v2c after the version: community, PDU. */
static void
snmp_community_message(struct proto_facts *f, struct cursor *c, bool *cut)
{
	struct snmp_own *o = snmp_own(f);
	struct ber community, pdu;
	bool have_pdu;
	int idx;

	if (!ber_expect(c, BER_OCTETS, &community, NULL)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	have_pdu = ber_next(c, &pdu, cut) && snmp_is_pdu(pdu.tag);
	if (have_pdu)
		snmp_pdu_count(o, pdu.tag);
	else
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	/* A response names the community it answers: that login succeeded.
	 * Anything else uses it (a request, a trap, a cut message). */
	idx = snmp_login(f, "COMMUNITY", &community, !have_pdu || pdu.tag != PDU_RESPONSE);
	if (have_pdu && pdu.tag == PDU_RESPONSE)
		proto_facts_login_outcome(f, idx, true);
}

/* The USM security parameters (RFC 3414 2.4): the user name, if any. */
static bool
snmp_usm_user(const struct ber *params, struct ber *user)
{
	struct cursor c, s;
	struct ber seq, e;

	cursor_init(&c, params->p, params->len);
	if (!ber_expect(&c, BER_SEQUENCE, &seq, NULL))
		return false;
	cursor_init(&s, seq.p, seq.len);
	return ber_expect(&s, BER_OCTETS, &e, NULL) && ber_expect(&s, BER_INTEGER, &e, NULL) &&
	       ber_expect(&s, BER_INTEGER, &e, NULL) && ber_expect(&s, BER_OCTETS, user, NULL);
}

/* SNMPv3 after the version: msgGlobalData, msgSecurityParameters, msgData. */
static void
snmp_v3_message(struct proto_facts *f, struct cursor *c, bool *cut)
{
	struct snmp_own *o = snmp_own(f);
	struct ber global, e, params, user, data;
	struct cursor g;
	uint32_t model = 0;
	uint8_t flags, level;
	bool have_user;
	int idx;

	if (!ber_expect(c, BER_SEQUENCE, &global, NULL)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	cursor_init(&g, global.p, global.len);
	if (!ber_expect(&g, BER_INTEGER, &e, NULL) || !ber_expect(&g, BER_INTEGER, &e, NULL) ||
	    !ber_expect(&g, BER_OCTETS, &e, NULL) || e.len != 1) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	flags = e.p[0];
	if (!ber_expect(&g, BER_INTEGER, &e, NULL) || !ber_small_uint(&e, &model) ||
	    (flags & 0x03) == 0x02) { /* priv without auth: invalid (RFC 3412 7.2 h) */
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	level = (flags & 0x02)	 ? SNMP_LEVEL_PRIV
		: (flags & 0x01) ? SNMP_LEVEL_AUTH
				 : SNMP_LEVEL_NOAUTH;
	if (!ber_expect(c, BER_OCTETS, &params, NULL)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	have_user = model == 3 && snmp_usm_user(&params, &user) && user.len > 0;
	if (have_user) {
		if (!o->level || level < o->level)
			o->level = level;
		if (!o->user[0])
			sasl_field_set(o->user, sizeof(o->user), user.p, user.len);
	}
	/* msgData: a ScopedPDU in the clear, or its encryption as OCTETS. */
	if (!ber_next(c, &data, cut)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	if (data.tag == BER_OCTETS && (flags & 0x02)) {
		snmp_count(&o->encrypted);
		return;
	}
	if (data.tag == BER_SEQUENCE) {
		struct cursor sp;
		struct ber pdu;

		cursor_init(&sp, data.p, data.len);
		if (ber_expect(&sp, BER_OCTETS, &e, NULL) &&
		    ber_expect(&sp, BER_OCTETS, &e, NULL) && ber_next(&sp, &pdu, cut) &&
		    snmp_is_pdu(pdu.tag)) {
			snmp_pdu_count(o, pdu.tag);
			if (!have_user || level == SNMP_LEVEL_PRIV)
				return;
			idx = snmp_login(f, "USM", &user,
					 pdu.tag != PDU_RESPONSE && pdu.tag != PDU_REPORT);
			if (pdu.tag == PDU_RESPONSE)
				proto_facts_login_outcome(f, idx, true);
			else if (pdu.tag == PDU_REPORT && snmp_report_refuses(&pdu))
				proto_facts_login_outcome(f, idx, false);
			return;
		}
	}
	f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
}

/* One message: Message ::= SEQUENCE { version INTEGER, ... }; capped when
 * p holds only its first SNMP_TCP_KEEP bytes (TCP), so that it is cut on
 * purpose, not by the capture. */
static void
snmp_message(struct snmp_state *s, struct proto_facts *f, const uint8_t *p, size_t n, bool capped)
{
	struct snmp_own *o = snmp_own(f);
	struct cursor c, m;
	struct ber msg, e;
	uint32_t version;
	bool cut = false;

	cursor_init(&c, p, n);
	if (!ber_expect(&c, BER_SEQUENCE, &msg, &cut)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	cursor_init(&m, msg.p, msg.len);
	if (!ber_expect(&m, BER_INTEGER, &e, NULL) || !ber_small_uint(&e, &version) ||
	    (version != 0 && version != 1 && version != 3)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	s->messages++;
	f->commands++;
	o->versions |= version == 0 ? SNMP_V1 : version == 1 ? SNMP_V2C : SNMP_V3;
	if (version == 3)
		snmp_v3_message(f, &m, &cut);
	else
		snmp_community_message(f, &m, &cut);
	if (cut && !capped)
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
}

/* The state is zeroed already; over UDP it ends before tcp[]. */
static void
snmp_init(void *state)
{
	(void)state;
}

static void
snmp_datagram(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	(void)dir;
	snmp_message(state, f, p, len, false);
}

/* The framing of a message's header (t->buf[0..t->got), tag and length):
 * sets t->hdr_need at the first length byte and t->total once the length
 * is whole; false when it cannot frame a message. */
static bool
snmp_tcp_header(struct snmp_tcp *t)
{
	uint8_t l;

	if (t->buf[0] != BER_SEQUENCE)
		return false;
	if (t->got < 2)
		return true;
	l = t->buf[1];
	if (t->got == 2) {
		if (l < 0x80) {
			t->hdr_need = 2;
			t->total = 2 + (uint64_t)l;
			return true;
		}
		if (l == 0x80 || (l & 0x7f) > 4) /* indefinite, or too long */
			return false;
		t->hdr_need = (uint8_t)(2 + (l & 0x7f));
	}
	if (t->got == t->hdr_need) {
		uint64_t len = 0;

		for (size_t i = 2; i < t->hdr_need; i++)
			len = len << 8 | t->buf[i];
		t->total = t->hdr_need + len;
	}
	return true;
}

/* RFC 3430: messages back to back, each as long as its BER length says;
 * the same facts whatever the segmentation. */
static size_t
snmp_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct snmp_state *s = state;
	struct snmp_tcp *t = &s->tcp[dir];
	size_t i = 0;

	if (s->stopped || t->lost)
		return len;
	while (i < len) {
		if (t->total == 0) { /* the header, a byte at a time */
			t->buf[t->got++] = p[i++];
			if (!snmp_tcp_header(t)) {
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				t->lost = true;
				return len;
			}
		} else {
			uint64_t left = t->total - t->got;
			size_t take = left < len - i ? (size_t)left : len - i;

			if (t->got < SNMP_TCP_KEEP) {
				size_t keep = SNMP_TCP_KEEP - (size_t)t->got;

				memcpy(t->buf + t->got, p + i, take < keep ? take : keep);
			}
			t->got += take;
			i += take;
		}
		if (t->total != 0 && t->got == t->total) {
			bool capped = t->total > SNMP_TCP_KEEP;

			if (capped)
				f->cap_hits++;
			snmp_message(s, f, t->buf, capped ? SNMP_TCP_KEEP : (size_t)t->total,
				     capped);
			t->got = 0;
			t->total = 0;
			t->hdr_need = 0;
		}
	}
	return len;
}

/*
 * A message's start: SEQUENCE, version 0, 1 or 3, then a community
 * (OCTET STRING) followed by a PDU tag, or v3's msgGlobalData SEQUENCE
 * starting with msgID. Strong: no other protocol starts that way.
 */
static enum sniff_result
snmp_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	struct cursor c, m;
	struct ber msg, e;
	uint32_t version;
	bool cut = false;

	(void)dir;
	if (len >= 1 && p[0] != BER_SEQUENCE)
		return SNIFF_NO;
	cursor_init(&c, p, len);
	if (!ber_expect(&c, BER_SEQUENCE, &msg, &cut))
		return len < 8 ? SNIFF_MORE : SNIFF_NO;
	if (cursor_remaining(&c) > 0) /* one message per datagram */
		return SNIFF_NO;
	cursor_init(&m, msg.p, msg.len);
	if (!ber_expect(&m, BER_INTEGER, &e, NULL))
		return cut && msg.len < 3 ? SNIFF_MORE : SNIFF_NO;
	if (!ber_small_uint(&e, &version) || (version != 0 && version != 1 && version != 3))
		return SNIFF_NO;
	if (version == 3) {
		struct cursor g;

		if (!ber_expect(&m, BER_SEQUENCE, &e, NULL))
			return cut ? SNIFF_MORE : SNIFF_NO;
		cursor_init(&g, e.p, e.len);
		return ber_expect(&g, BER_INTEGER, &e, NULL) ? SNIFF_STRONG : SNIFF_NO;
	}
	if (!ber_expect(&m, BER_OCTETS, &e, NULL))
		return cut ? SNIFF_MORE : SNIFF_NO;
	if (cursor_remaining(&m) == 0)
		return cut ? SNIFF_MORE : SNIFF_NO;
	return snmp_is_pdu(m.p[0]) ? SNIFF_STRONG : SNIFF_NO;
}

static void
snmp_write(const struct proto_facts *f, const struct proto_writer *w)
{
	static const char *const levels[] = {"", "noAuthNoPriv", "authNoPriv", "authPriv"};
	const struct snmp_own *o = (const struct snmp_own *)(const void *)f->own;
	char v[16];

	if (!o->versions)
		return;
	v[0] = '\0';
	if (o->versions & SNMP_V1)
		strcat(v, "1");
	if (o->versions & SNMP_V2C)
		strcat(v, v[0] ? ",2c" : "2c");
	if (o->versions & SNMP_V3)
		strcat(v, v[0] ? ",3" : "3");
	w->str(w->ctx, "version", v);
	if (o->level && o->level < sizeof(levels) / sizeof(levels[0]))
		w->str(w->ctx, "security", levels[o->level]);
	if (o->user[0])
		w->str(w->ctx, "user", o->user);
	if (o->requests)
		w->num(w->ctx, "requests", o->requests);
	if (o->responses)
		w->num(w->ctx, "responses", o->responses);
	if (o->notifications)
		w->num(w->ctx, "notifications", o->notifications);
	if (o->reports)
		w->num(w->ctx, "reports", o->reports);
	if (o->encrypted)
		w->num(w->ctx, "encrypted", o->encrypted);
}

const struct proto_desc proto_snmp = {
	.name = "snmp",
	.rfc = "RFC 1157, RFC 1901, RFC 3412, RFC 3414, RFC 3416, RFC 3430, RFC 6353",
	.transports = PROTO_TCP | PROTO_UDP,
	.clear_ports = {161, 162},
	.tls_ports = {10161, 10162},
	.tls_transports = PROTO_TCP | PROTO_UDP,
	.ndpi = {"SNMP"},
	.state_size = sizeof(struct snmp_state),
	.udp_state_size = offsetof(struct snmp_state, tcp),
	.sniff = snmp_sniff,
	.init = snmp_init,
	.feed = snmp_feed,
	.datagram = snmp_datagram,
	.gap = proto_gap_stop,
	.write = snmp_write,
};
