/*
 * sasl.c - client SASL responses seen in cleartext (see sasl.h).
 *
 * References: RFC 4422 (SASL), RFC 4648 (base64), RFC 4616 (PLAIN),
 * draft-murchison-sasl-login-00 (LOGIN), RFC 2195 (CRAM-MD5), RFC 2831
 * (DIGEST-MD5), RFC 5802 (SCRAM), RFC 5801 (GS2 header), RFC 7628
 * (OAUTHBEARER), Google's XOAUTH2 description.
 *
 * Grammar subset (what the client's first response carries, except LOGIN):
 *   PLAIN        message   = [authzid] NUL authcid NUL passwd
 *   LOGIN        response1 = username, response2 = password (the initial
 *                response, when a client sends one, is the username)
 *   CRAM-MD5     response  = username SP digest          (no reusable secret)
 *   DIGEST-MD5   response  = directives, one of them username="U" (quoted,
 *                with backslash escapes) or username=U   (no reusable secret)
 *   SCRAM-*      message   = gs2-header ("n,," / "y,a=Z," / "p=cb,") "n=" U
 *                "," "r=" nonce ...                      (no reusable secret)
 *   XOAUTH2      message   = "user=" U ^A "auth=Bearer " T ^A ^A
 *   OAUTHBEARER  message   = gs2-header ("n,a=U,") ^A *(key "=" value ^A) ^A
 * The SCRAM and GS2 user names are saslnames: "=2C" and "=3D" stand for ","
 * and "=" and are decoded.
 *
 * Not handled: GSSAPI, NTLM, EXTERNAL (recorded by mechanism name only), the
 * DIGEST-MD5 authzid and realm, UTF-8 user names (their bytes become '?'),
 * SASL security layers negotiated by a mechanism.
 */
#include "sasl.h"

#include <string.h>

#include "cursor.h"

#define SASL_DECODED_MAX 768 /* a LINE_CAP line of base64 decodes to this */

void
sasl_field_append(char *dst, size_t dstsz, const uint8_t *p, size_t n)
{
	size_t len;

	if (!dst || dstsz == 0)
		return;
	len = strnlen(dst, dstsz - 1);
	if (n > dstsz - 1 - len && dstsz > 4) {
		/* Too long: the first dstsz - 4 characters and "...", so a cut
		 * value is never taken for a whole one. The same whether the value
		 * comes whole or in pieces (IMAP literals). */
		size_t keep = dstsz - 4;

		for (size_t i = 0; i < n && len < keep; i++)
			dst[len++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
		memcpy(dst + keep, "...", 4);
		return;
	}
	for (size_t i = 0; i < n && len < dstsz - 1; i++)
		dst[len++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	dst[len] = '\0';
}

void
sasl_field_set(char *dst, size_t dstsz, const uint8_t *p, size_t n)
{
	if (!dst || dstsz == 0)
		return;
	dst[0] = '\0';
	sasl_field_append(dst, dstsz, p, n);
}

static int
sasl_base64_value(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

bool
sasl_base64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t outsz, size_t *out_len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0, chars = 0, pad = 0;

	*out_len = 0;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (in[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return false; /* data after padding */
		v = sasl_base64_value(in[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		chars++;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return false;
			out[o++] = (uint8_t)(acc >> bits);
			*out_len = o;
			acc &= (1u << bits) - 1;
		}
	}
	if (pad > 2 || chars % 4 == 1)
		return false;
	if (pad > 0 && (chars + pad) % 4 != 0)
		return false;
	return true;
}

/* Splits c at the next `sep` byte: *field gets what precedes it, the
 * separator is skipped. The last field takes what is left. */
static bool
sasl_next_field(struct cursor *c, uint8_t sep, struct cursor *field)
{
	const uint8_t *hit;

	if (cursor_remaining(c) == 0)
		return false;
	hit = memchr(c->p, sep, c->len);
	if (!hit)
		return cursor_get_bytes(c, field, c->len);
	if (!cursor_get_bytes(c, field, (size_t)(hit - c->p)))
		return false;
	return cursor_skip(c, 1);
}

enum sasl_mech
sasl_mech_parse(const uint8_t *p, size_t n, char *name, size_t namesz)
{
	static const struct proto_word known[] = {
		{"PLAIN", SASL_MECH_PLAIN},	  {"LOGIN", SASL_MECH_LOGIN},
		{"CRAM-MD5", SASL_MECH_CRAM_MD5}, {"DIGEST-MD5", SASL_MECH_DIGEST_MD5},
		{"XOAUTH2", SASL_MECH_XOAUTH2},	  {"OAUTHBEARER", SASL_MECH_OAUTHBEARER},
	};
	const struct proto_word *w;

	sasl_field_set(name, namesz, p, n);
	for (size_t i = 0; name && name[i]; i++)
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] = (char)(name[i] - 'a' + 'A');
	if ((w = proto_word_find(known, sizeof(known) / sizeof(known[0]), p, n)) != NULL)
		return (enum sasl_mech)w->value;
	/* SCRAM-SHA-1, SCRAM-SHA-256, their -PLUS variants ... share a grammar. */
	if (text_prefix_ci(p, n, "SCRAM-"))
		return SASL_MECH_SCRAM;
	return SASL_MECH_OTHER;
}

/* sasl_field_set for a saslname (RFC 5802): "=2C" and "=3D" are decoded to
 * "," and "=" first. */
static void
sasl_field_set_saslname(char *dst, size_t dstsz, const uint8_t *p, size_t n)
{
	sasl_field_set(dst, dstsz, p, 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];

		if (text_prefix_ci(p + i, n - i, "=2C")) {
			ch = ',';
			i += 2;
		} else if (text_prefix_ci(p + i, n - i, "=3D")) {
			ch = '=';
			i += 2;
		}
		sasl_field_append(dst, dstsz, &ch, 1);
	}
}

/* Finds attribute "key=" among the comma-separated fields of p, starting at
 * field number `from` (SCRAM messages and GS2 headers). */
static bool
sasl_attr_find(const uint8_t *p, size_t n, char key, unsigned from, struct cursor *value)
{
	struct cursor c, field;
	unsigned i = 0;

	cursor_init(&c, p, n);
	while (sasl_next_field(&c, ',', &field)) {
		if (i++ >= from && field.len >= 2 && field.p[0] == (uint8_t)key &&
		    field.p[1] == '=') {
			cursor_init(value, field.p + 2, field.len - 2);
			return true;
		}
	}
	return false;
}

void
sasl_digest_username(const uint8_t *msg, size_t n, struct login *l)
{
	size_t off = 0;

	while (off < n) {
		long at = text_find_ci(msg + off, n - off, "username=");
		uint8_t val[LOGIN_FIELD_MAX];
		size_t i, o = 0;

		if (at < 0)
			return;
		i = off + (size_t)at;
		off = i + strlen("username=");
		if (i > 0 && msg[i - 1] != ',' && msg[i - 1] != ' ' && msg[i - 1] != '\t')
			continue; /* the end of another directive's name */
		if (off < n && msg[off] == '"') {
			for (i = off + 1; i < n && msg[i] != '"'; i++) {
				if (msg[i] == '\\' && i + 1 < n)
					i++;
				if (o < sizeof(val))
					val[o++] = msg[i];
			}
		} else {
			for (i = off; i < n && msg[i] != ','; i++)
				if (o < sizeof(val))
					val[o++] = msg[i];
		}
		sasl_field_set(l->username, sizeof(l->username), val, o);
		return;
	}
}

bool
sasl_plain_parse(const uint8_t *msg, size_t n, struct login *l)
{
	struct cursor c, authzid, authcid, passwd;

	cursor_init(&c, msg, n);
	if (!sasl_next_field(&c, 0, &authzid) || cursor_remaining(&c) == 0 ||
	    !memchr(c.p, 0, c.len))
		return false;
	if (!sasl_next_field(&c, 0, &authcid))
		return false;
	if (!sasl_next_field(&c, 0, &passwd))
		cursor_init(&passwd, NULL, 0); /* empty password */
	if (l) {
		sasl_field_set(l->username, sizeof(l->username), authcid.p, authcid.len);
		sasl_field_set(l->secret, sizeof(l->secret), passwd.p, passwd.len);
		l->has_secret = true;
	}
	return true;
}

/* XOAUTH2 and OAUTHBEARER: ^A-separated key=value pairs, the latter opening
 * with a gs2 header whose "a=" names the user. */
static bool
sasl_oauth_parse(const uint8_t *msg, size_t n, struct login *l)
{
	struct cursor c, field;
	bool any = false;

	cursor_init(&c, msg, n);
	while (sasl_next_field(&c, 0x01, &field)) {
		if (text_prefix_ci(field.p, field.len, "user=")) {
			if (l)
				sasl_field_set(l->username, sizeof(l->username), field.p + 5,
					       field.len - 5);
			any = true;
		} else if (text_prefix_ci(field.p, field.len, "auth=")) {
			struct cursor v;

			cursor_init(&v, field.p + 5, field.len - 5);
			if (text_prefix_ci(v.p, v.len, "Bearer "))
				cursor_skip(&v, 7);
			if (l) {
				sasl_field_set(l->secret, sizeof(l->secret), v.p, v.len);
				l->has_secret = v.len > 0;
			}
			any = true;
		} else if (text_prefix_ci(field.p, field.len, "n,") ||
			   text_prefix_ci(field.p, field.len, "y,") ||
			   text_prefix_ci(field.p, field.len, "p=")) {
			struct cursor authzid;

			if (l && sasl_attr_find(field.p, field.len, 'a', 1, &authzid))
				sasl_field_set_saslname(l->username, sizeof(l->username), authzid.p,
							authzid.len);
			any = true;
		}
	}
	return any;
}

void
sasl_exchange_start(struct sasl_exchange *x, enum sasl_mech mech)
{
	x->mech = mech;
	x->responses = 0;
	x->prompts = 0;
	x->initial = false;
	x->open = true;
}

bool
sasl_exchange_response(struct sasl_exchange *x, struct login *l, const uint8_t *b64, size_t n)
{
	uint8_t msg[SASL_DECODED_MAX];
	size_t len = 0, step = x->responses;
	bool ok = true;

	if (x->responses < UINT8_MAX)
		x->responses++;
	if (n > SASL_DECODED_MAX / 3 * 4)
		n = SASL_DECODED_MAX / 3 * 4;
	if (!(n == 1 && b64[0] == '=') && !sasl_base64_decode(b64, n, msg, sizeof(msg), &len))
		return false;

	switch (x->mech) {
	case SASL_MECH_PLAIN:
		if (step == 0)
			ok = sasl_plain_parse(msg, len, l);
		break;
	case SASL_MECH_LOGIN:
		if (step == 0 && l) {
			sasl_field_set(l->username, sizeof(l->username), msg, len);
		} else if (step == 1 && l) {
			sasl_field_set(l->secret, sizeof(l->secret), msg, len);
			l->has_secret = true;
		}
		break;
	case SASL_MECH_CRAM_MD5:
		if (step == 0) {
			const uint8_t *sp = len ? memrchr(msg, ' ', len) : NULL;

			ok = sp != NULL;
			if (sp && l)
				sasl_field_set(l->username, sizeof(l->username), msg,
					       (size_t)(sp - msg));
		}
		break;
	case SASL_MECH_DIGEST_MD5:
		/* The second response (to rspauth) is empty. */
		if (step == 0 && l)
			sasl_digest_username(msg, len, l);
		break;
	case SASL_MECH_SCRAM:
		/* client-first-message; the later client-final has no user. */
		if (step == 0 && l) {
			struct cursor user;

			if (sasl_attr_find(msg, len, 'n', 2, &user))
				sasl_field_set_saslname(l->username, sizeof(l->username), user.p,
							user.len);
		}
		break;
	case SASL_MECH_XOAUTH2:
	case SASL_MECH_OAUTHBEARER:
		/* A failed XOAUTH2 attempt ends with an empty response: fine. */
		if (step == 0)
			ok = sasl_oauth_parse(msg, len, l);
		break;
	case SASL_MECH_OTHER:
		break;
	}
	return ok;
}

int
sasl_exchange_begin(struct sasl_exchange *x, struct proto_facts *f, const uint8_t *mech, size_t n)
{
	char name[sizeof(((struct login *)0)->mechanism)];

	sasl_exchange_start(x, sasl_mech_parse(mech, n, name, sizeof(name)));
	return proto_facts_add_login_index(f, name);
}

bool
sasl_exchange_line(struct sasl_exchange *x, struct proto_facts *f, int login, const uint8_t *p,
		   size_t n, bool cut)
{
	if (n == 1 && p[0] == '*') {
		x->open = false;
		return false;
	}
	if (cut)
		n -= n % 4;
	if (!sasl_exchange_response(x, proto_facts_login(f, login), p, n))
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	return true;
}

bool
sasl_exchange_initial(struct sasl_exchange *x, struct proto_facts *f, int login, const uint8_t *p,
		      size_t n, bool cut)
{
	x->initial = true;
	return sasl_exchange_line(x, f, login, p, n, cut);
}

/* Responses a client may send before the server's first challenge (see
 * sasl.h), the initial response included. */
static unsigned
sasl_mech_unprompted(enum sasl_mech mech)
{
	switch (mech) {
	case SASL_MECH_LOGIN:
		return 2; /* user name, password */
	case SASL_MECH_CRAM_MD5:
	case SASL_MECH_DIGEST_MD5:
		return 0; /* the client answers the server's challenge */
	default:
		return 1; /* the client's first message */
	}
}

bool
sasl_exchange_wants_line(const struct sasl_exchange *x, bool *prompted)
{
	/* Lines after the command; each answers the challenge of its rank,
	 * with or without an initial response (no empty challenge for it). */
	unsigned lines = x->responses - (x->initial && x->responses > 0 ? 1u : 0u);
	bool asked = x->open && lines < x->prompts;

	if (prompted)
		*prompted = asked;
	return asked || (x->open && x->responses < sasl_mech_unprompted(x->mech));
}

void
sasl_exchange_skip(struct sasl_exchange *x)
{
	if (x->responses < UINT8_MAX)
		x->responses++;
}

bool
sasl_line_is_response(const uint8_t *p, size_t n, bool cut)
{
	uint8_t msg[SASL_DECODED_MAX];
	size_t len;

	if (n == 1 && (p[0] == '*' || p[0] == '='))
		return true;
	if (cut)
		n -= n % 4;
	if (n > SASL_DECODED_MAX / 3 * 4)
		n = SASL_DECODED_MAX / 3 * 4;
	return sasl_base64_decode(p, n, msg, sizeof(msg), &len);
}

void
sasl_exchange_prompt(struct sasl_exchange *x)
{
	if (x->open && x->prompts < UINT8_MAX)
		x->prompts++;
}

void
sasl_exchange_end(struct sasl_exchange *x)
{
	x->open = false;
}
