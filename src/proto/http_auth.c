/*
 * http_auth.c - the credentials of HTTP's Authorization and
 * Proxy-Authorization headers, for the parser in http.c: the login each
 * scheme carries, recorded once per session, and the outcome a response's
 * status gives it (the rules are in http.c's file comment).
 *
 * References: RFC 9110 section 11 (HTTP authentication), RFC 7617 (Basic),
 * RFC 7616 (Digest), RFC 6750 (Bearer), RFC 4559 (Negotiate and NTLM over
 * HTTP), MS-NLMP 2.2.1.3 (the NTLM AUTHENTICATE_MESSAGE).
 *
 * Not handled: Digest's username* and userhash, SPNEGO-wrapped NTLM
 * (Negotiate tokens that are not raw NTLMSSP are taken as Kerberos).
 */
#include <string.h>

#include "http.h"

#define HTTP_DECODED_MAX 768 /* base64 credentials decoded */

static uint32_t
http_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One string of an NTLM message: its security buffer (length, allocated
 * length, offset; little-endian) at `at`; UTF-16LE when unicode, else OEM
 * bytes; appended to dst, non-ASCII as '?'. */
static void
http_ntlm_string(const uint8_t *msg, size_t len, size_t at, bool unicode, char *dst, size_t dstsz)
{
	size_t n = (size_t)msg[at] | (size_t)msg[at + 1] << 8;
	size_t off = http_le32(msg + at + 4);

	if (off > len || n > len - off)
		return;
	for (size_t i = 0; i < n; i += unicode ? 2 : 1) {
		uint8_t ch = msg[off + i];

		if (unicode && (i + 1 >= n || msg[off + i + 1] != 0))
			ch = '?';
		sasl_field_append(dst, dstsz, &ch, 1);
	}
}

/* The user of an NTLM AUTHENTICATE_MESSAGE (its base64 text): "domain\user",
 * or "user" without a domain. A message that does not decode leaves it
 * empty. */
static void
http_ntlm_user(const uint8_t *b64, size_t n, struct login *l)
{
	uint8_t msg[HTTP_DECODED_MAX];
	size_t len = 0;
	bool unicode;

	/* A message cut short still holds the fields it reached. */
	sasl_base64_decode(b64, n - n % 4, msg, sizeof(msg), &len);
	if (len < 64 || memcmp(msg, "NTLMSSP\0\3\0\0\0", 12) != 0)
		return;
	unicode = (http_le32(msg + 60) & 1u) != 0; /* NTLMSSP_NEGOTIATE_UNICODE */
	http_ntlm_string(msg, len, 28, unicode, l->username, sizeof(l->username));
	if (l->username[0])
		sasl_field_append(l->username, sizeof(l->username), (const uint8_t *)"\\", 1);
	http_ntlm_string(msg, len, 36, unicode, l->username, sizeof(l->username));
}

/*
 * Fills l from an Authorization value v[0..n) (cut: it did not all fit).
 * Returns false when it is no login: an NTLM NEGOTIATE message, Kerberos
 * through Negotiate, Basic credentials that do not decode.
 */
static bool
http_credentials(struct proto_facts *f, const uint8_t *v, size_t n, bool cut, bool proxy,
		 struct login *l)
{
	struct cursor c, scheme, token;
	char name[sizeof(l->mechanism)];
	enum {
		AUTH_OTHER,
		AUTH_BASIC,
		AUTH_BEARER,
		AUTH_DIGEST,
		AUTH_NTLM,
	} kind = AUTH_OTHER;

	cursor_init(&c, v, n);
	if (!cursor_get_token(&c, &scheme))
		return false;
	cursor_skip_blanks(&c);
	token = http_trim(c.p, c.len);
	sasl_mech_parse(scheme.p, scheme.len, name, sizeof(name)); /* uppercased */
	if (text_equal_ci(scheme.p, scheme.len, "Basic"))
		kind = AUTH_BASIC;
	else if (text_equal_ci(scheme.p, scheme.len, "Bearer"))
		kind = AUTH_BEARER;
	else if (text_equal_ci(scheme.p, scheme.len, "Digest"))
		kind = AUTH_DIGEST;
	else if (text_equal_ci(scheme.p, scheme.len, "NTLM") ||
		 text_equal_ci(scheme.p, scheme.len, "Negotiate")) {
		/* "NTLMSSP\0" and message type 3 (AUTHENTICATE), in base64. */
		if (!text_prefix_ci(token.p, token.len, "TlRMTVNTUAADAAAA"))
			return false;
		kind = AUTH_NTLM;
		memcpy(name, "NTLM", 5);
	}

	memset(l, 0, sizeof(*l));
	sasl_field_set(l->mechanism, sizeof(l->mechanism), (const uint8_t *)"PROXY-",
		       proxy ? 6 : 0);
	sasl_field_append(l->mechanism, sizeof(l->mechanism), (const uint8_t *)name, strlen(name));
	switch (kind) {
	case AUTH_BASIC: {
		uint8_t msg[HTTP_DECODED_MAX];
		size_t len = 0, b64 = cut ? token.len - token.len % 4 : token.len;
		const uint8_t *colon;

		if (b64 > HTTP_DECODED_MAX / 3 * 4 ||
		    !sasl_base64_decode(token.p, b64, msg, sizeof(msg), &len) ||
		    (colon = memchr(msg, ':', len)) == NULL) {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
			return false;
		}
		sasl_field_set(l->username, sizeof(l->username), msg, (size_t)(colon - msg));
		sasl_field_set(l->secret, sizeof(l->secret), colon + 1,
			       len - (size_t)(colon - msg) - 1);
		l->has_secret = true;
		break;
	}
	case AUTH_BEARER:
		sasl_field_set(l->secret, sizeof(l->secret), token.p, token.len);
		l->has_secret = token.len > 0;
		break;
	case AUTH_DIGEST:
		sasl_digest_username(token.p, token.len, l);
		break;
	case AUTH_NTLM:
		http_ntlm_user(token.p, token.len, l);
		break;
	case AUTH_OTHER:
		break;
	}
	return true;
}

/*
 * An Authorization or Proxy-Authorization value: the login it carries,
 * recorded once per session (a client repeats the same header on every
 * request). Returns its index in f->logins, or -1.
 */
int
http_login(struct proto_facts *f, const uint8_t *v, size_t n, bool cut, bool proxy)
{
	struct login l, *dst;
	int idx;

	if (!http_credentials(f, v, n, cut, proxy, &l))
		return -1;
	for (idx = 0; idx < f->n_logins; idx++) {
		const struct login *o = &f->logins[idx];

		if (strcmp(o->mechanism, l.mechanism) == 0 &&
		    strcmp(o->username, l.username) == 0 && strcmp(o->secret, l.secret) == 0 &&
		    o->has_secret == l.has_secret)
			return idx;
	}
	idx = proto_facts_add_login_index(f, l.mechanism);
	if ((dst = proto_facts_login(f, idx)) != NULL)
		*dst = l;
	return idx;
}

/* A final status for the login at idx: 2xx and 3xx let it in; 401 and 403
 * (407 for a proxy's) turned it away, unless it got in before. */
void
http_login_outcome(struct proto_facts *f, int idx, int status, bool proxy)
{
	struct login *l = proto_facts_login(f, idx);
	bool denied = proxy ? status == 407 : (status == 401 || status == 403);

	if (!l)
		return;
	if (status >= 200 && status < 400)
		l->outcome = LOGIN_SUCCESS;
	else if (denied && l->outcome != LOGIN_SUCCESS)
		l->outcome = LOGIN_FAILURE;
}
