/*
 * postgres.c - PostgreSQL frontend/backend protocol (version 3) parser:
 * SSLRequest and its answer, and the password exchange of the startup.
 *
 * References: PostgreSQL documentation, "Frontend/Backend Protocol" (message
 * flow, message formats: SSLRequest 80877103, GSSENCRequest 80877104,
 * CancelRequest 80877102, StartupMessage 3.0, Authentication* 'R' codes 0,
 * 3, 5, 10-12, PasswordMessage 'p', ErrorResponse 'E'); RFC 5802/7677
 * (SCRAM) for what a SASLInitialResponse names.
 *
 * The stream: the client's first messages have no type byte (int32 length,
 * int32 code); SSLRequest and GSSENCRequest are answered by one byte, 'S'
 * or 'G' (the rest is TLS, or GSSAPI encryption) or 'N' (the client may go
 * on with another request or a StartupMessage in the clear); then every
 * message is a type byte, an int32 length (itself included) and a body.
 *
 * Facts: SSLRequest (upgrade requested), 'S' (accepted: switch to TLS; the
 * client's first byte after SSLRequest being 0x16 means it went ahead), 'N'
 * (refused; a StartupMessage after it is cleartext after the refusal), client
 * bytes after SSLRequest before the answer (command injection: libpq and the
 * server both once buffered them, CVE-2021-23214 and -23222), the
 * StartupMessage's user, and the authentication: a cleartext password
 * (AuthenticationCleartextPassword then PasswordMessage: a login with its
 * secret), MD5 and SASL (SCRAM) logins without a reusable secret, the
 * outcome from AuthenticationOk or an ErrorResponse.
 *
 * Own facts: the database named in the StartupMessage and what became of a
 * GSSENCRequest.
 *
 * Not handled: GSSAPI encryption after 'G' (the parser stops: it is
 * encrypted, but not TLS), the replication and query protocol after the
 * startup (skipped by message length, never read), protocol versions other
 * than 3 (flagged), direct TLS is TLS from the first byte (the core's).
 */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "line.h"

#define PG_SSL_REQUEST 80877103u
#define PG_GSSENC_REQUEST 80877104u
#define PG_CANCEL_REQUEST 80877102u
#define PG_PROTOCOL_3 196608u /* 3.0 */
#define PG_BODY_MAX 1024      /* bytes of a message body read; longer ones are skipped */
#define PG_LEN_MAX (1u << 30) /* a length above this is no PostgreSQL message */

enum pg_auth {
	PG_AUTH_NONE = 0,
	PG_AUTH_CLEARTEXT, /* R 3: the next 'p' is the password */
	PG_AUTH_MD5,	   /* R 5: the next 'p' is a hash */
	PG_AUTH_SASL,	   /* R 10: the next 'p' is a SASLInitialResponse */
	PG_AUTH_SASL_MORE, /* R 11: the next 'p' is a SASLResponse */
};

enum pg_gss {
	PG_GSS_NONE = 0,
	PG_GSS_ASKED,
	PG_GSS_ACCEPTED,
	PG_GSS_REFUSED,
};

/* One direction's framing. */
struct pg_dir {
	uint8_t hdr[8];	 /* the header being read */
	uint8_t hdr_len; /* ... its bytes so far */
	uint8_t type;	 /* the message's type byte, 0 for an untyped one */
	uint32_t left;	 /* body bytes still to come */
	uint32_t body_len;
	bool cut; /* the body was longer than PG_BODY_MAX */
	uint8_t body[PG_BODY_MAX];
};

/* What the own fields hold (proto_facts.own). */
struct pg_own {
	uint8_t gss; /* enum pg_gss */
	char database[PROTO_OWN_MAX - 1];
};

_Static_assert(sizeof(struct pg_own) <= PROTO_OWN_MAX, "pg_own fits proto_facts.own");

struct pg_state {
	bool stopped; /* first: proto_gap_stop sets it */
	struct pg_dir d[2];
	bool typed[2];	   /* messages have a type byte (the client's once started) */
	bool await_answer; /* the server's next byte answers SSL or GSSENC */
	bool answer_gss;   /* ... the GSSENC one */
	bool authenticated;
	enum pg_auth auth;
	int login; /* the login the exchange fills, -1 none */
	char user[LOGIN_FIELD_MAX];
	struct upgrade_wait tls_wait;
	struct line_asm injected; /* client bytes after SSLRequest (evidence) */
};

static struct pg_own *
pg_own(struct proto_facts *f)
{
	return (struct pg_own *)(void *)f->own;
}

static uint32_t
pg_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A NUL-terminated string at c (cut at its end): advances past the NUL. */
static bool
pg_cstring(struct cursor *c, struct cursor *out)
{
	const uint8_t *nul = memchr(c->p, '\0', c->len);

	if (!nul)
		return false;
	cursor_init(out, c->p, (size_t)(nul - c->p));
	cursor_skip(c, out->len + 1);
	return true;
}

/* ---- client ----------------------------------------------------------------- */

/* StartupMessage: protocol 3.0, then "key\0value\0" pairs, then "\0". */
static void
pg_startup(struct pg_state *s, struct proto_facts *f, struct cursor c)
{
	struct cursor key, value;

	if (f->upgrade_refused)
		f->cleartext_after_refusal = true;
	while (pg_cstring(&c, &key) && key.len > 0 && pg_cstring(&c, &value)) {
		if (text_equal_ci(key.p, key.len, "user"))
			sasl_field_set(s->user, sizeof(s->user), value.p, value.len);
		else if (text_equal_ci(key.p, key.len, "database"))
			sasl_field_set(pg_own(f)->database, sizeof(pg_own(f)->database), value.p,
				       value.len);
	}
}

/* An untyped client message: a request, or the StartupMessage. */
static void
pg_client_untyped(struct pg_state *s, struct proto_facts *f, uint32_t len, uint32_t code,
		  const struct pg_dir *d)
{
	struct cursor c;

	f->commands++;
	if (len == 8 && code == PG_SSL_REQUEST) {
		upgrade_wait_begin(&s->tls_wait, f);
		s->await_answer = true;
		s->answer_gss = false;
		line_asm_reset(&s->injected);
	} else if (len == 8 && code == PG_GSSENC_REQUEST) {
		pg_own(f)->gss = PG_GSS_ASKED;
		s->await_answer = true;
		s->answer_gss = true;
	} else if (len == 16 && code == PG_CANCEL_REQUEST) {
		s->stopped = true; /* a cancel key, then the connection closes */
	} else if (code == PG_PROTOCOL_3) {
		cursor_init(&c, d->body, d->body_len);
		pg_startup(s, f, c);
		s->typed[DIR_C2S] = true;
	} else {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX; /* another protocol version */
		s->stopped = true;
	}
}

/* 'p': a password, a hash or a SASL message, by what the server asked. */
static void
pg_password(struct pg_state *s, struct proto_facts *f, const struct pg_dir *d)
{
	struct cursor c, str;
	struct login *l;
	int idx;

	cursor_init(&c, d->body, d->body_len);
	switch (s->auth) {
	case PG_AUTH_CLEARTEXT:
		idx = proto_facts_add_login_index(f, "PASSWORD");
		if ((l = proto_facts_login(f, idx)) != NULL) {
			memcpy(l->username, s->user, sizeof(l->username));
			/* The password is a C string; a cut body keeps its start. */
			if (!pg_cstring(&c, &str))
				str = c;
			sasl_field_set(l->secret, sizeof(l->secret), str.p, str.len);
			l->has_secret = true;
		}
		s->login = idx;
		break;
	case PG_AUTH_MD5:
		s->login = proto_facts_add_login_index(f, "MD5");
		if ((l = proto_facts_login(f, s->login)) != NULL)
			memcpy(l->username, s->user, sizeof(l->username));
		break;
	case PG_AUTH_SASL:
		if (!pg_cstring(&c, &str))
			str.len = 0;
		s->login = proto_facts_add_login_index(f, "SASL");
		if ((l = proto_facts_login(f, s->login)) != NULL) {
			if (str.len)
				sasl_field_set(l->mechanism, sizeof(l->mechanism), str.p, str.len);
			memcpy(l->username, s->user, sizeof(l->username));
		}
		break;
	case PG_AUTH_SASL_MORE:
	case PG_AUTH_NONE:
		break;
	}
	s->auth = PG_AUTH_NONE;
}

static void
pg_client_message(struct pg_state *s, struct proto_facts *f, const struct pg_dir *d)
{
	if (d->type == 0) {
		pg_client_untyped(s, f, pg_be32(d->hdr), pg_be32(d->hdr + 4), d);
		return;
	}
	f->commands++;
	if (d->type == 'p')
		pg_password(s, f, d);
	else if (d->type == 'X')
		s->stopped = true; /* Terminate */
}

/* ---- server ----------------------------------------------------------------- */

/* The one-byte answer to SSLRequest or GSSENCRequest. Returns true when
 * the rest is TLS. */
static bool
pg_answer(struct pg_state *s, struct proto_facts *f, uint8_t b)
{
	s->await_answer = false;
	if (s->answer_gss) {
		pg_own(f)->gss = b == 'G' ? PG_GSS_ACCEPTED : PG_GSS_REFUSED;
		if (b == 'G')
			s->stopped = true; /* GSSAPI encryption: not ours to read */
		return false;
	}
	if (b != 'S' && b != 'N') {
		/* An ErrorResponse from a server that knows no SSLRequest (before
		 * 7.0): refused. */
		upgrade_wait_answer(&s->tls_wait, f, false, &b, 1, &s->injected);
		return false;
	}
	f->tls_offered = f->tls_offered || b == 'S';
	return upgrade_wait_answer(&s->tls_wait, f, b == 'S', &b, 1, &s->injected);
}

/* 'R': what the server asks, or that the login succeeded. */
static void
pg_authentication(struct pg_state *s, struct proto_facts *f, const struct pg_dir *d)
{
	uint32_t code;

	if (d->body_len < 4)
		return;
	code = pg_be32(d->body);
	switch (code) {
	case 0: /* AuthenticationOk */
		proto_facts_login_outcome(f, s->login, true);
		s->login = -1;
		s->authenticated = true;
		break;
	case 3:
		s->auth = PG_AUTH_CLEARTEXT;
		if (!s->authenticated)
			f->auth_cleartext_offered = true;
		break;
	case 5:
		s->auth = PG_AUTH_MD5;
		break;
	case 10:
		s->auth = PG_AUTH_SASL;
		break;
	case 11:
		s->auth = PG_AUTH_SASL_MORE;
		break;
	default: /* 12 SASLFinal, GSS, SSPI ... */
		break;
	}
}

static void
pg_server_message(struct pg_state *s, struct proto_facts *f, const struct pg_dir *d)
{
	if (d->type == 'R') {
		pg_authentication(s, f, d);
	} else if (d->type == 'E' && !s->authenticated && s->login >= 0) {
		proto_facts_login_outcome(f, s->login, false); /* e.g. 28P01 */
		s->login = -1;
	} else if (d->type == 'Z') {
		s->stopped = true; /* ReadyForQuery: the startup is over */
	}
}

/* ---- framing ---------------------------------------------------------------- */

/* Bytes of the header a message of this direction needs: 8 untyped (length,
 * code), 5 typed (type, length). */
static uint8_t
pg_header_size(const struct pg_state *s, enum dir dir)
{
	return s->typed[dir] ? 5 : 8;
}

/* The header is complete: the body's length, or false when it is none. */
static bool
pg_header_done(struct pg_state *s, struct proto_facts *f, enum dir dir)
{
	struct pg_dir *d = &s->d[dir];
	uint32_t len;

	d->type = s->typed[dir] ? d->hdr[0] : 0;
	len = pg_be32(s->typed[dir] ? d->hdr + 1 : d->hdr);
	if (len < 4 + (s->typed[dir] ? 0u : 4u) || len > PG_LEN_MAX) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return false;
	}
	d->left = len - (s->typed[dir] ? 4u : 8u);
	d->body_len = 0;
	d->cut = false;
	return true;
}

static void
pg_message_done(struct pg_state *s, struct proto_facts *f, enum dir dir)
{
	struct pg_dir *d = &s->d[dir];

	if (d->cut)
		f->cap_hits++;
	if (dir == DIR_C2S)
		pg_client_message(s, f, d);
	else
		pg_server_message(s, f, d);
	d->hdr_len = 0;
}

static size_t
pg_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct pg_state *s = state;
	struct pg_dir *d = &s->d[dir];
	size_t used = 0;

	if (s->stopped || f->switch_to_tls)
		return len;
	while (used < len && !s->stopped) {
		size_t from = used;

		if (dir == DIR_C2S && upgrade_wait_client_byte(&s->tls_wait, f, p[used]))
			return used; /* the client went ahead with TLS: the rest is TLS */
		if (dir == DIR_S2C && s->await_answer && d->hdr_len == 0) {
			if (pg_answer(s, f, p[used++]))
				return used; /* the rest is TLS */
			continue;
		}
		if (d->hdr_len < pg_header_size(s, dir)) {
			d->hdr[d->hdr_len++] = p[used++];
			if (dir == DIR_C2S)
				upgrade_wait_keep(&s->tls_wait, &s->injected, p + from, 1);
			if (d->hdr_len == pg_header_size(s, dir) && !pg_header_done(s, f, dir)) {
				s->stopped = true;
				break;
			}
			if (d->hdr_len < pg_header_size(s, dir) || d->left > 0)
				continue;
		} else {
			size_t n = len - used < d->left ? len - used : d->left;
			size_t room = PG_BODY_MAX - d->body_len;

			memcpy(d->body + d->body_len, p + used, n < room ? n : room);
			d->body_len += (uint32_t)(n < room ? n : room);
			d->cut = d->cut || n > room;
			d->left -= (uint32_t)n;
			used += n;
			if (dir == DIR_C2S)
				upgrade_wait_keep(&s->tls_wait, &s->injected, p + from, n);
			if (d->left > 0)
				continue;
		}
		pg_message_done(s, f, dir);
	}
	return len;
}

static void
pg_init(void *state)
{
	struct pg_state *s = state;

	memset(s, 0, sizeof(*s));
	s->login = -1;
	s->typed[DIR_S2C] = true; /* the server's messages all have a type (the
				   * one-byte answers are read apart) */
	line_asm_init(&s->injected);
}

/*
 * The client's first message is unmistakable: length 8 and the SSLRequest
 * or GSSENCRequest code, or a StartupMessage (protocol 3.0) whose length
 * is plausible and whose first parameter is "user" or "database". The
 * server never speaks first.
 */
static enum sniff_result
pg_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	uint32_t n, code;

	if (dir == DIR_S2C)
		return len == 0 ? SNIFF_MORE : SNIFF_NO;
	if (len < 8)
		return len == 0 || (p[0] == 0 && (len < 2 || p[1] == 0)) ? SNIFF_MORE : SNIFF_NO;
	n = pg_be32(p);
	code = pg_be32(p + 4);
	if (n == 8 && (code == PG_SSL_REQUEST || code == PG_GSSENC_REQUEST))
		return SNIFF_STRONG;
	if (code != PG_PROTOCOL_3 || n < 16 || n > 10000)
		return SNIFF_NO;
	if (len < 13)
		return SNIFF_MORE;
	if (!memcmp(p + 8, "user", 5) || (len >= 17 && !memcmp(p + 8, "database", 9)))
		return SNIFF_STRONG;
	return len < 17 ? SNIFF_MORE : SNIFF_WEAK;
}

static void
pg_write(const struct proto_facts *f, const struct proto_writer *w)
{
	static const char *const gss[] = {NULL, "requested", "accepted", "refused"};
	const struct pg_own *o = (const struct pg_own *)(const void *)f->own;

	if (o->database[0])
		w->str(w->ctx, "database", o->database);
	if (o->gss && o->gss < sizeof(gss) / sizeof(gss[0]))
		w->str(w->ctx, "gssenc", gss[o->gss]);
}

const struct proto_desc proto_postgres = {
	.name = "postgres",
	.rfc = "PostgreSQL protocol 3.0, RFC 5802",
	.transports = PROTO_TCP,
	.clear_ports = {5432},
	.upgrade = {"S", "SSLRequest", "S"},
	.ndpi = {"PostgreSQL"},
	.alpn = {"postgresql"},
	.state_size = sizeof(struct pg_state),
	.sniff = pg_sniff,
	.init = pg_init,
	.feed = pg_feed,
	.gap = proto_gap_stop,
	.write = pg_write,
};
