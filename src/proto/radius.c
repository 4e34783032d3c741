/*
 * radius.c - Remote Authentication Dial-In User Service: the packet header
 * of every datagram, Access-Request user names as logins and the
 * Access-Accept or Access-Reject that answers them.
 *
 * References: RFC 2865 (RADIUS: code, identifier, length, authenticator,
 * attributes; User-Name 1, User-Password 2 hidden with MD5 of the shared
 * secret and the Request Authenticator (5.2), CHAP-Password 3; ports
 * 1812), RFC 2866 (accounting, 1813), RFC 5176 (Disconnect and CoA, 3799),
 * RFC 3579 (EAP-Message 79, Message-Authenticator 80), RFC 6614 and RFC
 * 7360 (RADIUS over TLS and DTLS, 2083), RFC 6613 (RADIUS over TCP: the
 * same packets back to back, framed by their length field).
 *
 * One packet per datagram; octets after the packet's length are padding
 * (RFC 2865 3) and ignored. A datagram shorter than its length is read as
 * far as its attributes go. Over TCP each packet is framed by its own
 * length (RFC 6613 2.6.4): any number per segment, cut anywhere; a length
 * below 20 or above 4096, or an unknown code, loses the framing (RFC 6613
 * closes the connection then), so that direction is read no further. A
 * gap stops the parser.
 *
 * Facts: an Access-Request with a User-Name is a login, once per distinct
 * user and method in a session until it is answered (an EAP conversation
 * sends the name in every round; a proxy's TCP connection carries many
 * attempts of the same user, each its own login): `PAP` when it carries
 * User-Password, `CHAP` with CHAP-Password, `EAP` with EAP-Message,
 * `RADIUS` with none of them. None has a reusable secret on the wire:
 * User-Password is not cleartext but the password XORed with MD5(shared
 * secret + authenticator), so its
 * severity is low (an attacker who knows or guesses the shared secret, or
 * one password, can recover the others offline); the session says it saw
 * one (user_password=obfuscated). The Access-Accept (success) or
 * Access-Reject (failure) with the request's identifier is its outcome;
 * Access-Challenge leaves it open. Own fields: counts of access requests,
 * accepts, rejects, challenges, accounting requests and responses, CoA and
 * Disconnect packets.
 *
 * Not handled: checking authenticators (no shared secret is known), vendor
 * attributes, what EAP carries, RFC 7930's packets larger than 4096 octets
 * over TCP.
 */
#include <stddef.h>
#include <string.h>

#include "proto.h"
#include "sasl.h"

#define RADIUS_HEADER 20
#define RADIUS_MAX 4096 /* RFC 2865 3: the largest packet */

enum {
	RADIUS_ACCESS_REQUEST = 1,
	RADIUS_ACCESS_ACCEPT = 2,
	RADIUS_ACCESS_REJECT = 3,
	RADIUS_ACCOUNTING_REQUEST = 4,
	RADIUS_ACCOUNTING_RESPONSE = 5,
	RADIUS_ACCESS_CHALLENGE = 11,
	RADIUS_STATUS_SERVER = 12,
	RADIUS_STATUS_CLIENT = 13,
	RADIUS_DISCONNECT_REQUEST = 40,
	RADIUS_COA_NAK = 45,
};

enum {
	ATTR_USER_NAME = 1,
	ATTR_USER_PASSWORD = 2,
	ATTR_CHAP_PASSWORD = 3,
	ATTR_EAP_MESSAGE = 79,
};

/* The facts only RADIUS has, in proto_facts.own. */
struct radius_own {
	uint16_t access_requests;
	uint16_t accepts;
	uint16_t rejects;
	uint16_t challenges;
	uint16_t accounting_requests;
	uint16_t accounting_responses;
	uint16_t coa; /* Disconnect and CoA requests and answers (40-45) */
	uint16_t status;
	bool user_password; /* a User-Password attribute was seen */
};
_Static_assert(sizeof(struct radius_own) <= PROTO_OWN_MAX, "radius_own fits proto_facts.own");

/* One direction of a TCP connection: the packet being assembled. */
struct radius_tcp {
	uint16_t got;  /* bytes of the packet held in buf */
	uint16_t need; /* its length, once the header's first four bytes came */
	bool lost;     /* framing lost: the rest of this direction is skipped */
	uint8_t buf[RADIUS_MAX];
};

/* Over UDP a session gets only the part before tcp (udp_state_size). */
struct radius_state {
	bool stopped;	      /* first: proto_gap_stop (TCP only) */
	int8_t login_of[256]; /* identifier -> the login its request named, or -1 */
	struct radius_tcp tcp[2];
};

static struct radius_own *
radius_own(struct proto_facts *f)
{
	return (struct radius_own *)(void *)f->own;
}

static void
radius_count(uint16_t *v)
{
	if (*v < UINT16_MAX)
		(*v)++;
}

static bool
radius_code_known(uint8_t code)
{
	return (code >= RADIUS_ACCESS_REQUEST && code <= RADIUS_ACCOUNTING_RESPONSE) ||
	       (code >= RADIUS_ACCESS_CHALLENGE && code <= RADIUS_STATUS_CLIENT) ||
	       (code >= RADIUS_DISCONNECT_REQUEST && code <= RADIUS_COA_NAK);
}

/* The attributes of one packet (p[0..n) after the header): the user name
 * and which credential attributes came. False when an attribute's length
 * is below two or runs past n. */
struct radius_attrs {
	const uint8_t *user;
	size_t user_len;
	bool have_user, password, chap, eap;
};

static bool
radius_attrs_read(const uint8_t *p, size_t n, struct radius_attrs *a)
{
	size_t off = 0;

	memset(a, 0, sizeof(*a));
	while (off < n) {
		uint8_t type, len;

		if (n - off < 2)
			return false;
		type = p[off];
		len = p[off + 1];
		if (len < 2 || len > n - off)
			return false;
		switch (type) {
		case ATTR_USER_NAME:
			if (!a->have_user) {
				a->have_user = true;
				a->user = p + off + 2;
				a->user_len = (size_t)len - 2;
			}
			break;
		case ATTR_USER_PASSWORD:
			a->password = true;
			break;
		case ATTR_CHAP_PASSWORD:
			a->chap = true;
			break;
		case ATTR_EAP_MESSAGE:
			a->eap = true;
			break;
		}
		off += len;
	}
	return true;
}

/* The login of this user and method: the one still waiting for its Accept
 * or Reject (retransmissions, EAP rounds), else a new one. */
static int
radius_login(struct proto_facts *f, const char *mech, const struct radius_attrs *a)
{
	char user[LOGIN_FIELD_MAX];
	int idx;

	memset(user, 0, sizeof(user));
	sasl_field_set(user, sizeof(user), a->user, a->user_len);
	for (size_t i = 0; i < f->n_logins; i++)
		if (f->logins[i].outcome == LOGIN_UNKNOWN &&
		    strcmp(f->logins[i].mechanism, mech) == 0 &&
		    strcmp(f->logins[i].username, user) == 0)
			return (int)i;
	idx = proto_facts_add_login_index(f, mech);
	if (idx >= 0)
		memcpy(f->logins[idx].username, user, sizeof(user));
	return idx;
}

static void
radius_packet(struct radius_state *s, struct proto_facts *f, const uint8_t *p, size_t n)
{
	struct radius_own *o = radius_own(f);
	struct radius_attrs a;
	uint8_t code, id;
	size_t len;
	bool ok;

	if (n < RADIUS_HEADER) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	code = p[0];
	id = p[1];
	len = (size_t)(p[2] << 8 | p[3]);
	if (!radius_code_known(code) || len < RADIUS_HEADER || len > RADIUS_MAX) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	if (len > n) { /* cut by the capture: read what there is */
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		len = n;
	}
	ok = radius_attrs_read(p + RADIUS_HEADER, len - RADIUS_HEADER, &a);
	if (!ok)
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	f->commands++;
	switch (code) {
	case RADIUS_ACCESS_REQUEST: {
		const char *mech = a.password ? "PAP" : a.chap ? "CHAP" : a.eap ? "EAP" : "RADIUS";

		radius_count(&o->access_requests);
		if (a.password)
			o->user_password = true;
		if (a.have_user)
			s->login_of[id] = (int8_t)radius_login(f, mech, &a);
		else
			s->login_of[id] = -1;
		break;
	}
	case RADIUS_ACCESS_ACCEPT:
	case RADIUS_ACCESS_REJECT:
		radius_count(code == RADIUS_ACCESS_ACCEPT ? &o->accepts : &o->rejects);
		proto_facts_login_outcome(f, s->login_of[id], code == RADIUS_ACCESS_ACCEPT);
		s->login_of[id] = -1;
		break;
	case RADIUS_ACCESS_CHALLENGE:
		radius_count(&o->challenges);
		break;
	case RADIUS_ACCOUNTING_REQUEST:
		radius_count(&o->accounting_requests);
		break;
	case RADIUS_ACCOUNTING_RESPONSE:
		radius_count(&o->accounting_responses);
		break;
	case RADIUS_STATUS_SERVER:
	case RADIUS_STATUS_CLIENT:
		radius_count(&o->status);
		break;
	default:
		radius_count(&o->coa);
		break;
	}
}

/* The state is zeroed already; over UDP it ends before tcp[]. */
static void
radius_init(void *state)
{
	struct radius_state *s = state;

	memset(s->login_of, 0xff, sizeof(s->login_of)); /* -1: none */
}

/* RFC 6613: packets back to back, each as long as its length field says;
 * the same facts whatever the segmentation. */
static size_t
radius_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct radius_state *s = state;
	struct radius_tcp *t = &s->tcp[dir];
	size_t i = 0;

	if (s->stopped || t->lost)
		return len;
	while (i < len) {
		size_t want = t->got < 4 ? 4 : t->need;
		size_t take = want - t->got;

		if (take > len - i)
			take = len - i;
		memcpy(t->buf + t->got, p + i, take);
		t->got = (uint16_t)(t->got + take);
		i += take;
		if (t->got < want)
			break;
		if (want == 4) {
			t->need = (uint16_t)(t->buf[2] << 8 | t->buf[3]);
			if (!radius_code_known(t->buf[0]) || t->need < RADIUS_HEADER ||
			    t->need > RADIUS_MAX) {
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				t->lost = true;
				return len;
			}
			continue;
		}
		radius_packet(s, f, t->buf, t->need);
		t->got = 0;
		t->need = 0;
	}
	return len;
}

static void
radius_datagram(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	(void)dir;
	radius_packet(state, f, p, len);
}

/* The attributes of a packet's start (p[0..n) after the header): true when
 * each reads, the last one allowed to run past n. */
static bool
radius_attrs_start_read(const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (n - off >= 2) {
		if (p[off + 1] < 2)
			return false;
		if (p[off + 1] > n - off)
			return true;
		off += p[off + 1];
	}
	return true;
}

/*
 * A known code, a length of at least 20 and at most 4096 that the datagram
 * covers (padding after it allowed), and attributes that end exactly at
 * that length. Bytes short of that length (the start of a TCP stream, or
 * a datagram cut by the capture) ask for more while what there is of the
 * header and the attributes reads: the core waits for more of a stream
 * and takes a datagram as it is, unclaimed.
 */
static enum sniff_result
radius_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	struct radius_attrs a;
	size_t plen;

	(void)dir;
	if (len >= 1 && !radius_code_known(p[0]))
		return SNIFF_NO;
	if (len < 4)
		return SNIFF_MORE;
	plen = (size_t)(p[2] << 8 | p[3]);
	if (plen < RADIUS_HEADER || plen > RADIUS_MAX)
		return SNIFF_NO;
	if (plen > len) {
		if (len <= RADIUS_HEADER)
			return SNIFF_MORE;
		return radius_attrs_start_read(p + RADIUS_HEADER, len - RADIUS_HEADER) ? SNIFF_MORE
										       : SNIFF_NO;
	}
	if (!radius_attrs_read(p + RADIUS_HEADER, plen - RADIUS_HEADER, &a))
		return SNIFF_NO;
	/* A request names someone or something: an Access-Request without
	 * any attribute is no request. */
	if (p[0] == RADIUS_ACCESS_REQUEST && plen == RADIUS_HEADER)
		return SNIFF_NO;
	return SNIFF_STRONG;
}

static void
radius_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct radius_own *o = (const struct radius_own *)(const void *)f->own;

	if (o->access_requests)
		w->num(w->ctx, "access_requests", o->access_requests);
	if (o->accepts)
		w->num(w->ctx, "accepts", o->accepts);
	if (o->rejects)
		w->num(w->ctx, "rejects", o->rejects);
	if (o->challenges)
		w->num(w->ctx, "challenges", o->challenges);
	if (o->accounting_requests)
		w->num(w->ctx, "accounting_requests", o->accounting_requests);
	if (o->accounting_responses)
		w->num(w->ctx, "accounting_responses", o->accounting_responses);
	if (o->coa)
		w->num(w->ctx, "coa", o->coa);
	if (o->status)
		w->num(w->ctx, "status", o->status);
	if (o->user_password)
		w->str(w->ctx, "user_password", "obfuscated");
}

const struct proto_desc proto_radius = {
	.name = "radius",
	.rfc = "RFC 2865, RFC 2866, RFC 5176, RFC 3579, RFC 6613, RFC 6614, RFC 7360",
	.transports = PROTO_TCP | PROTO_UDP,
	.clear_ports = {1812, 1813, 3799},
	.tls_ports = {2083},
	.tls_transports = PROTO_TCP | PROTO_UDP,
	.ndpi = {"RADIUS"},
	.alpn = {"radius/1.0"},
	.state_size = sizeof(struct radius_state),
	.udp_state_size = offsetof(struct radius_state, tcp),
	.sniff = radius_sniff,
	.init = radius_init,
	.feed = radius_feed,
	.datagram = radius_datagram,
	.gap = proto_gap_stop,
	.write = radius_write,
};
