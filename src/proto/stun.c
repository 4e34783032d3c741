/*
 * stun.c - Session Traversal Utilities for NAT (STUN) and its relay
 * extension TURN: messages recognised by their header, counted by class
 * and method, TURN Allocate requests with long-term credentials as logins.
 *
 * References: RFC 8489 (STUN, obsoletes RFC 5389: the 20-byte header,
 * first two bits 0, the magic cookie 0x2112A442, a length that is a
 * multiple of 4; classes and methods in the message type (5); attributes
 * as type, length, value padded to 4 (14); USERNAME 0x0006,
 * MESSAGE-INTEGRITY 0x0008, ERROR-CODE 0x0009, REALM 0x0014, NONCE 0x0015,
 * MESSAGE-INTEGRITY-SHA256 0x001C, USERHASH 0x001E, SOFTWARE 0x8022; the
 * long-term credential mechanism (9.2): the key is derived from user,
 * realm and password and never sent; 401 challenges, 438 stale nonce;
 * framing over TCP and TLS (6.2.2); ports 3478 and 5349), RFC 8656 (TURN:
 * Allocate 3, Refresh 4, Send 6, Data 7, CreatePermission 8, ChannelBind 9;
 * ChannelData messages, first two bits 01, padded to 4 over TCP (12.5)),
 * RFC 6062 (TURN for TCP relays: Connect 10, ConnectionBind 11,
 * ConnectionAttempt 12), RFC 7350 (STUN over DTLS, 5349/udp).
 *
 * Over UDP each datagram is one message; over TCP, messages and ChannelData
 * come back to back and are framed by their lengths, across segments.
 *
 * Facts: every message counted (requests, success and error responses,
 * indications, ChannelData after a ChannelBind request); the methods seen; the first USERNAME,
 * REALM and SOFTWARE (cut); the last ERROR-CODE. An Allocate request carrying USERNAME, REALM and
 * MESSAGE-INTEGRITY (or -SHA256) is a login `TURN` (once per user in a session; RFC 8489 9.2): its
 * secret never crosses the wire (the HMAC key is MD5(user:realm:password) and only the HMAC is
 * sent), so it has none and its alert is low; an offline guess of the password from the HMAC is
 * possible, as for RADIUS's User-Password. The answer with the same transaction ID is its outcome:
 * a success response is a success; 438 (stale nonce: the client retries) leaves it as it was; 401
 * or any other 4xx (its credentials or its request refused) is a failure unless an earlier answer
 * accepted them. The first 401 that answers an Allocate without credentials is the normal challenge
 * and no login.
 *
 * Caps: a message over TCP is looked at by its first STUN_HEAD bytes (the
 * attributes after them are skipped, not flagged); STUN_PENDING requests
 * are remembered for their answers (the oldest is forgotten). Hostile
 * lengths (an attribute past the message, a message length that is not a
 * multiple of 4 or does not match the datagram) are anomalies; over TCP a
 * header that is neither STUN nor ChannelData stops the direction.
 *
 * Not handled: classic STUN without the magic cookie (RFC 3489), checking
 * MESSAGE-INTEGRITY or FINGERPRINT (no key is known), USERHASH (the user
 * name is then hidden), the data relayed after an RFC 6062
 * ConnectionBind (the parser stops at the first bytes that are not STUN).
 */
#include <string.h>

#include "proto.h"
#include "sasl.h"

#define STUN_HEADER 20
#define STUN_COOKIE 0x2112A442u
#define STUN_HEAD 512  /* bytes of a TCP message kept to read its attributes */
#define STUN_PENDING 8 /* requests remembered for their answers */
#define STUN_OWN_USER 10
#define STUN_OWN_REALM 16
#define STUN_OWN_SOFTWARE 22

enum {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR = 3,
};

enum {
	STUN_BINDING = 0x001,
	STUN_ALLOCATE = 0x003,
	STUN_REFRESH = 0x004,
	STUN_SEND = 0x006,
	STUN_DATA = 0x007,
	STUN_CREATE_PERMISSION = 0x008,
	STUN_CHANNEL_BIND = 0x009,
	STUN_CONNECT = 0x00a,
	STUN_CONNECTION_BIND = 0x00b,
	STUN_CONNECTION_ATTEMPT = 0x00c,
};

enum {
	ATTR_USERNAME = 0x0006,
	ATTR_MESSAGE_INTEGRITY = 0x0008,
	ATTR_ERROR_CODE = 0x0009,
	ATTR_REALM = 0x0014,
	ATTR_NONCE = 0x0015,
	ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001c,
	ATTR_SOFTWARE = 0x8022,
};

/* The methods named in the own fields, one bit each (stun_own.methods). */
static const struct {
	uint16_t method;
	const char *name;
} stun_methods[] = {
	{STUN_BINDING, "binding"},
	{STUN_ALLOCATE, "allocate"},
	{STUN_REFRESH, "refresh"},
	{STUN_SEND, "send"},
	{STUN_DATA, "data"},
	{STUN_CREATE_PERMISSION, "create-permission"},
	{STUN_CHANNEL_BIND, "channel-bind"},
	{STUN_CONNECT, "connect"},
	{STUN_CONNECTION_BIND, "connection-bind"},
	{STUN_CONNECTION_ATTEMPT, "connection-attempt"},
};
#define STUN_METHOD_OTHER (1u << 15) /* a method not in the table */

/* The facts only STUN has, in proto_facts.own. */
struct stun_own {
	uint16_t methods; /* bit i: stun_methods[i] seen; STUN_METHOD_OTHER */
	uint16_t requests;
	uint16_t successes;
	uint16_t errors;
	uint16_t indications;
	uint16_t error_code; /* the last ERROR-CODE, 300-699 */
	uint32_t channel_data;
	char user[STUN_OWN_USER];
	char realm[STUN_OWN_REALM];
	char software[STUN_OWN_SOFTWARE];
};
_Static_assert(sizeof(struct stun_own) <= PROTO_OWN_MAX, "stun_own fits proto_facts.own");

/* A request waiting for its answer. */
struct stun_pending {
	uint8_t txid[12];
	int8_t login; /* the login it carried, or -1 */
	bool used;
};

/* One direction of a TCP stream: the message being framed. */
struct stun_tcp {
	bool stopped;
	uint8_t hdr[4];	 /* the first four bytes of the next frame */
	uint8_t hdr_len; /* ... read so far */
	bool in_frame;
	bool channel;	/* the frame is ChannelData */
	uint32_t left;	/* bytes of the frame still to come after hdr */
	uint32_t total; /* the frame's length, header included */
	uint8_t head[STUN_HEAD];
	uint16_t head_len;
};

struct stun_state {
	bool stopped; /* first: proto_gap_stop */
	struct stun_pending pending[STUN_PENDING];
	uint8_t next;	    /* the slot the next request takes */
	bool channel_bound; /* a ChannelBind request was seen: ChannelData may follow */
	/* Only TCP sessions use what follows (udp_state_size). */
	struct stun_tcp tcp[2];
};

static struct stun_own *
stun_own(struct proto_facts *f)
{
	return (struct stun_own *)(void *)f->own;
}

static void
stun_count(uint16_t *v)
{
	if (*v < UINT16_MAX)
		(*v)++;
}

static uint16_t
stun_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
stun_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Class and method of a message type (RFC 8489 5: M11..M7 C1 M6..M4 C0 M3..M0). */
static unsigned
stun_class(uint16_t type)
{
	return ((type >> 4) & 1u) | ((type >> 7) & 2u);
}

static uint16_t
stun_method(uint16_t type)
{
	return (uint16_t)((type & 0x000fu) | ((type >> 1) & 0x0070u) | ((type >> 2) & 0x0f80u));
}

/* The first eight bytes are a STUN header: two zero bits, the cookie, a
 * length that is a multiple of 4. */
static bool
stun_header_ok(const uint8_t *p)
{
	return (p[0] & 0xc0) == 0 && (stun_get16(p + 2) & 3) == 0 &&
	       stun_get32(p + 4) == STUN_COOKIE;
}

/* The attributes of one message that matter here. */
struct stun_attrs {
	const uint8_t *user, *realm, *software;
	size_t user_len, realm_len, software_len;
	bool integrity;
	uint16_t error_code; /* 0: none */
};

/*
 * Reads the attributes in p[0..n). `cut` tells that n is short of the
 * message's length (a capture or the TCP head cap): an attribute that runs
 * past n is then not an error. False when one runs past a whole message.
 */
static bool
stun_attrs_read(const uint8_t *p, size_t n, bool cut, struct stun_attrs *a)
{
	size_t off = 0;

	memset(a, 0, sizeof(*a));
	while (off < n) {
		uint16_t type, len;
		const uint8_t *v;

		if (n - off < 4)
			return cut;
		type = stun_get16(p + off);
		len = stun_get16(p + off + 2);
		v = p + off + 4;
		if (len > n - off - 4)
			return cut;
		switch (type) {
		case ATTR_USERNAME:
			if (!a->user) {
				a->user = v;
				a->user_len = len;
			}
			break;
		case ATTR_REALM:
			if (!a->realm) {
				a->realm = v;
				a->realm_len = len;
			}
			break;
		case ATTR_SOFTWARE:
			if (!a->software) {
				a->software = v;
				a->software_len = len;
			}
			break;
		case ATTR_MESSAGE_INTEGRITY:
		case ATTR_MESSAGE_INTEGRITY_SHA256:
			a->integrity = true;
			break;
		case ATTR_ERROR_CODE:
			/* reserved (21 bits), class (3), number (8) */
			if (len >= 4 && (v[2] & 7) >= 3 && (v[2] & 7) <= 6 && v[3] < 100)
				a->error_code = (uint16_t)((v[2] & 7) * 100 + v[3]);
			break;
		}
		off += 4 + (size_t)((len + 3u) & ~3u);
	}
	return true;
}

static void
stun_method_seen(struct stun_own *o, uint16_t method)
{
	for (size_t i = 0; i < sizeof(stun_methods) / sizeof(stun_methods[0]); i++)
		if (stun_methods[i].method == method) {
			o->methods |= (uint16_t)(1u << i);
			return;
		}
	o->methods |= STUN_METHOD_OTHER;
}

/* The login of an authenticated Allocate: one per user in a session (a
 * client retransmits, retries after 438 and after a refusal), its outcome
 * the latest answer. */
static int
stun_login(struct proto_facts *f, const struct stun_attrs *a)
{
	char user[LOGIN_FIELD_MAX];
	int idx;

	memset(user, 0, sizeof(user));
	sasl_field_set(user, sizeof(user), a->user, a->user_len);
	for (size_t i = 0; i < f->n_logins; i++)
		if (strcmp(f->logins[i].mechanism, "TURN") == 0 &&
		    strcmp(f->logins[i].username, user) == 0)
			return (int)i;
	idx = proto_facts_add_login_index(f, "TURN");
	if (idx >= 0)
		memcpy(f->logins[idx].username, user, sizeof(user));
	return idx;
}

static void
stun_request(struct stun_state *s, const uint8_t *txid, int login)
{
	struct stun_pending *q = NULL;

	for (size_t i = 0; i < STUN_PENDING; i++)
		if (s->pending[i].used && memcmp(s->pending[i].txid, txid, 12) == 0)
			q = &s->pending[i]; /* a retransmission */
	if (!q) {
		q = &s->pending[s->next];
		s->next = (uint8_t)((s->next + 1) % STUN_PENDING);
	}
	memcpy(q->txid, txid, 12);
	q->login = (int8_t)login;
	q->used = true;
}

/* The answer to a remembered request: its login's outcome. */
static void
stun_answer(struct stun_state *s, struct proto_facts *f, const uint8_t *txid, unsigned cls,
	    uint16_t code)
{
	for (size_t i = 0; i < STUN_PENDING; i++) {
		struct stun_pending *q = &s->pending[i];
		struct login *l;

		if (!q->used || memcmp(q->txid, txid, 12) != 0)
			continue;
		l = proto_facts_login(f, q->login);

		/* Credentials once accepted stay accepted: a later 437
		 * (allocation mismatch) refuses the request, not the user. */
		if (cls == STUN_SUCCESS)
			proto_facts_login_outcome(f, q->login, true);
		else if (code != 438 && code >= 400 && code < 500 && l &&
			 l->outcome != LOGIN_SUCCESS)
			proto_facts_login_outcome(f, q->login, false);
		q->used = false;
		return;
	}
}

/*
 * One STUN message: p[0..n) holds its first n bytes (at least the header),
 * total is its length from the header. Counts it and reads its attributes.
 */
static void
stun_message(struct stun_state *s, struct proto_facts *f, const uint8_t *p, size_t n, size_t total)
{
	struct stun_own *o = stun_own(f);
	uint16_t type = stun_get16(p);
	unsigned cls = stun_class(type);
	uint16_t method = stun_method(type);
	struct stun_attrs a;
	size_t body = (n < total ? n : total) - STUN_HEADER;

	if (!stun_attrs_read(p + STUN_HEADER, body, n < total, &a))
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	stun_method_seen(o, method);
	if (a.user && !o->user[0])
		sasl_field_set(o->user, sizeof(o->user), a.user, a.user_len);
	if (a.realm && !o->realm[0])
		sasl_field_set(o->realm, sizeof(o->realm), a.realm, a.realm_len);
	if (a.software && !o->software[0])
		sasl_field_set(o->software, sizeof(o->software), a.software, a.software_len);
	switch (cls) {
	case STUN_REQUEST: {
		int login = -1;

		f->commands++;
		stun_count(&o->requests);
		if (method == STUN_ALLOCATE && a.user && a.realm && a.integrity)
			login = stun_login(f, &a);
		if (method == STUN_CHANNEL_BIND)
			s->channel_bound = true;
		stun_request(s, p + 8, login);
		break;
	}
	case STUN_INDICATION:
		stun_count(&o->indications);
		break;
	case STUN_SUCCESS:
		stun_count(&o->successes);
		stun_answer(s, f, p + 8, cls, 0);
		break;
	default:
		stun_count(&o->errors);
		if (a.error_code)
			o->error_code = a.error_code;
		stun_answer(s, f, p + 8, cls, a.error_code);
		break;
	}
}

static void
stun_channel_data(struct proto_facts *f)
{
	struct stun_own *o = stun_own(f);

	if (o->channel_data < UINT32_MAX)
		o->channel_data++;
}

static void
stun_init(void *state)
{
	struct stun_state *s = state;

	/* A UDP session's state ends before tcp[] (udp_state_size). */
	memset(s, 0, offsetof(struct stun_state, tcp));
	for (size_t i = 0; i < STUN_PENDING; i++)
		s->pending[i].login = -1;
}

/* One datagram: a STUN message whose length matches it, or ChannelData
 * after a ChannelBind (RFC 8656 12.4: its length may leave out the
 * padding). */
static void
stun_datagram(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct stun_state *s = state;
	size_t total;

	(void)dir;
	if (len >= 4 && (p[0] & 0xc0) == 0x40 && s->channel_bound) {
		if ((size_t)stun_get16(p + 2) + 4 > len)
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		stun_channel_data(f);
		return;
	}
	if (len < STUN_HEADER || !stun_header_ok(p)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	total = STUN_HEADER + (size_t)stun_get16(p + 2);
	if (total != len)
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	stun_message(s, f, p, len, total);
}

/*
 * Over TCP (RFC 8489 6.2.2, RFC 8656 12.5): frames back to back, each a
 * STUN message (20 + length) or, once a ChannelBind was asked for,
 * ChannelData (4 + length, padded to 4).
 * The first STUN_HEAD bytes of a message are kept to read it when it is
 * complete; ChannelData is counted and skipped.
 */
static size_t
stun_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct stun_state *s = state;
	struct stun_tcp *t = &s->tcp[dir];
	size_t i = 0;

	if (s->stopped || t->stopped)
		return len;
	while (i < len) {
		if (!t->in_frame) {
			uint16_t flen;

			while (t->hdr_len < 4 && i < len)
				t->hdr[t->hdr_len++] = p[i++];
			if (t->hdr_len < 4)
				break;
			flen = stun_get16(t->hdr + 2);
			t->hdr_len = 0;
			if ((t->hdr[0] & 0xc0) == 0x40 && s->channel_bound) {
				t->channel = true;
				t->total = 4u + ((flen + 3u) & ~3u);
			} else if ((t->hdr[0] & 0xc0) == 0 && (flen & 3) == 0) {
				t->channel = false;
				t->total = STUN_HEADER + (uint32_t)flen;
				memcpy(t->head, t->hdr, 4);
				t->head_len = 4;
			} else {
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				t->stopped = true;
				return len;
			}
			t->left = t->total - 4;
			t->in_frame = true;
		}
		{
			size_t take = len - i < t->left ? len - i : t->left;

			if (!t->channel && t->head_len < STUN_HEAD) {
				size_t keep = STUN_HEAD - t->head_len;

				if (keep > take)
					keep = take;
				memcpy(t->head + t->head_len, p + i, keep);
				t->head_len = (uint16_t)(t->head_len + keep);
				/* No cookie: not STUN; stop before skipping its length. */
				if (t->head_len >= 8 && !stun_header_ok(t->head)) {
					f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
					t->stopped = true;
					return len;
				}
			}
			i += take;
			t->left -= (uint32_t)take;
		}
		if (t->left > 0)
			break;
		t->in_frame = false;
		if (t->channel)
			stun_channel_data(f);
		else
			stun_message(s, f, t->head, t->head_len, t->total);
	}
	return len;
}

/*
 * A STUN header with the magic cookie: strong when the message is whole in
 * p (a datagram must be exactly it; a TCP stream may carry more after it).
 * ChannelData is never claimed: it only follows a ChannelBind.
 */
static enum sniff_result
stun_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	(void)dir;
	if (len >= 1 && (p[0] & 0xc0) != 0)
		return SNIFF_NO;
	if (len < 8)
		return SNIFF_MORE;
	if (!stun_header_ok(p))
		return SNIFF_NO;
	if (len < STUN_HEADER + (size_t)stun_get16(p + 2))
		return SNIFF_MORE;
	return SNIFF_STRONG;
}

static void
stun_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct stun_own *o = (const struct stun_own *)(const void *)f->own;
	char methods[192];
	size_t n = 0;

	methods[0] = '\0';
	for (size_t i = 0; i < sizeof(stun_methods) / sizeof(stun_methods[0]); i++)
		if (o->methods & (1u << i)) {
			size_t k = strlen(stun_methods[i].name);

			if (n)
				methods[n++] = ',';
			memcpy(methods + n, stun_methods[i].name, k + 1);
			n += k;
		}
	if (o->methods & STUN_METHOD_OTHER) {
		if (n)
			methods[n++] = ',';
		memcpy(methods + n, "other", 6);
	}
	if (methods[0])
		w->str(w->ctx, "methods", methods);
	if (o->requests)
		w->num(w->ctx, "requests", o->requests);
	if (o->successes)
		w->num(w->ctx, "successes", o->successes);
	if (o->errors)
		w->num(w->ctx, "errors", o->errors);
	if (o->indications)
		w->num(w->ctx, "indications", o->indications);
	if (o->channel_data)
		w->num(w->ctx, "channel_data", o->channel_data);
	if (o->error_code)
		w->num(w->ctx, "error_code", o->error_code);
	if (o->user[0])
		w->str(w->ctx, "user", o->user);
	if (o->realm[0])
		w->str(w->ctx, "realm", o->realm);
	if (o->software[0])
		w->str(w->ctx, "software", o->software);
}

const struct proto_desc proto_stun = {
	.name = "stun",
	.rfc = "RFC 8489, RFC 5389, RFC 8656, RFC 6062, RFC 7350",
	.transports = PROTO_TCP | PROTO_UDP,
	.clear_ports = {3478},
	.tls_ports = {5349},
	.tls_transports = PROTO_TCP | PROTO_UDP,
	.ndpi = {"STUN"},
	.alpn = {"stun.turn", "stun.nat-discovery"}, /* RFC 7443 */
	.state_size = sizeof(struct stun_state),
	.udp_state_size = offsetof(struct stun_state, tcp),
	.sniff = stun_sniff,
	.init = stun_init,
	.feed = stun_feed,
	.datagram = stun_datagram,
	.gap = proto_gap_stop,
	.write = stun_write,
};
