/*
 * sasl.c - client SASL responses seen in cleartext (see sasl.h).
 *
 * References: RFC 4422 (SASL), RFC 4648 (base64), RFC 4616 (PLAIN),
 * draft-murchison-sasl-login-00 (LOGIN), RFC 2195 (CRAM-MD5), RFC 7628
 * (OAUTHBEARER), Google's XOAUTH2 description.
 *
 * Grammar subset:
 *   PLAIN        message   = [authzid] NUL authcid NUL passwd
 *   LOGIN        response1 = username, response2 = password (the initial
 *                response, when a client sends one, is the username)
 *   CRAM-MD5     response  = username SP digest          (no reusable secret)
 *   XOAUTH2      message   = "user=" U ^A "auth=Bearer " T ^A ^A
 *   OAUTHBEARER  message   = gs2-header ("n,a=U,") ^A *(key "=" value ^A) ^A
 *
 * Not handled: DIGEST-MD5, SCRAM-*, GSSAPI, NTLM, EXTERNAL (recorded by
 * mechanism name only), "=2C"/"=3D" escapes in the OAUTHBEARER authzid (kept
 * as sent), SASL security layers negotiated by a mechanism.
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

enum sasl_mech
sasl_mech_parse(const uint8_t *p, size_t n, char *name, size_t namesz)
{
	static const struct {
		const char *name;
		enum sasl_mech mech;
	} known[] = {
		{"PLAIN", SASL_MECH_PLAIN},
		{"LOGIN", SASL_MECH_LOGIN},
		{"CRAM-MD5", SASL_MECH_CRAM_MD5},
		{"XOAUTH2", SASL_MECH_XOAUTH2},
		{"OAUTHBEARER", SASL_MECH_OAUTHBEARER},
	};

	sasl_field_set(name, namesz, p, n);
	for (size_t i = 0; name && name[i]; i++)
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] = (char)(name[i] - 'a' + 'A');
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (text_equal_ci(p, n, known[i].name))
			return known[i].mech;
	return SASL_MECH_OTHER;
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
				l->has_secret = true;
			}
			any = true;
		} else if (text_prefix_ci(field.p, field.len, "n,") ||
			   text_prefix_ci(field.p, field.len, "y,") ||
			   text_prefix_ci(field.p, field.len, "p=")) {
			struct cursor gs2 = field, part;

			while (sasl_next_field(&gs2, ',', &part))
				if (text_prefix_ci(part.p, part.len, "a=") && l)
					sasl_field_set(l->username, sizeof(l->username), part.p + 2,
						       part.len - 2);
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
