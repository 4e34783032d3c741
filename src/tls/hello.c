/*
 * hello.c - ClientHello, ServerHello (HelloRetryRequest included) and the
 * SSLv2-compatible ClientHello, one complete message body at a time (see
 * tls_hello.h). No record layer, no state: the framing that found the message
 * acts on the returned enum tls_hello_result.
 *
 * References: RFC 5246 7.4.1.2-7.4.1.4 and appendix E.2, RFC 8446 4.1.2-4.1.4
 * and 4.2 (supported_versions, at most one extension of each type),
 * RFC 6347 4.2.1 / RFC 9147 5.3 (DTLS cookie, DTLS version numbers),
 * RFC 6066 3 (server_name), RFC 7301 3.1 (ALPN), RFC 8701 (GREASE).
 *
 * Grammar read: legacy_version, random, legacy_session_id, [DTLS: cookie],
 * cipher_suites, compression_methods, then the extensions server_name, ALPN
 * and supported_versions; every other extension is skipped by length.
 * SSLv2: the five header fields, then the cipher specs (3 bytes each).
 *
 * Not read: key_share, pre_shared_key, early_data and the other extensions;
 * the ServerHello's legacy_compression_method value; the SSLv2 session id and
 * challenge. Extension bodies longer than their grammar are anomalies only
 * where a verdict depends on them (SNI, ALPN, supported_versions).
 */
#include "tls_hello.h"

#include <string.h>

#include "cursor.h"

enum {
	EXT_SERVER_NAME = 0,
	EXT_ALPN = 16,
	EXT_SUPPORTED_VERSIONS = 43,
};

#define TLS_VERSION_13 0x0304
#define DTLS_VERSION_13 0xfefc

/* RFC 8446 4.1.3: the ServerHello random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa in cipher suites, versions, extensions. */
static bool
tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static bool
tls_char_printable(uint8_t ch)
{
	return ch >= 0x20 && ch < 0x7f;
}

/*
 * Appends the bytes of c to the string out (size outsz, NUL-terminated, *pos
 * its length), replacing non-printable bytes with '?' and cutting when full.
 */
static void
tls_append_printable(char *out, size_t outsz, size_t *pos, struct cursor *c)
{
	uint8_t ch;

	while (*pos + 1 < outsz && cursor_get_u8(c, &ch))
		out[(*pos)++] = tls_char_printable(ch) ? (char)ch : '?';
	out[*pos] = '\0';
}

/* Is version a newer than b (0: none yet)? DTLS numbers count down. */
static bool
tls_version_newer(enum tls_hello_variant variant, uint16_t a, uint16_t b)
{
	if (variant == TLS_HELLO_DTLS)
		return a != 0 && (b == 0 || a < b);
	return a > b;
}

/* RFC 6066 3: ServerNameList; keeps the first host_name. */
static void
tls_parse_sni(struct tls_facts *f, struct cursor *data)
{
	struct cursor list, name;
	uint8_t type;
	size_t pos = 0;

	if (!cursor_get_u16_prefixed(data, &list) || cursor_remaining(data) != 0) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return;
	}
	while (cursor_remaining(&list) > 0) {
		if (!cursor_get_u8(&list, &type) || !cursor_get_u16_prefixed(&list, &name)) {
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
			return;
		}
		if (type == 0) {
			tls_append_printable(f->sni, sizeof(f->sni), &pos, &name);
			return;
		}
	}
}

/*
 * RFC 7301 3.1: ProtocolNameList, joined by ',' into out (cut to fit).
 * Returns the number of names, or -1 when the list is malformed.
 */
static int
tls_parse_alpn(struct cursor *data, char *out, size_t outsz)
{
	struct cursor list, name;
	size_t pos = 0;
	int n = 0;
	bool full = false;

	out[0] = '\0';
	if (!cursor_get_u16_prefixed(data, &list) || cursor_remaining(data) != 0)
		return -1;
	while (cursor_remaining(&list) > 0) {
		if (!cursor_get_u8_prefixed(&list, &name) || cursor_remaining(&name) == 0)
			return -1;
		if (cursor_remaining(&name) == 2) {
			struct cursor peek = name;
			uint16_t v;

			if (cursor_get_u16(&peek, &v) && tls_is_grease(v))
				continue; /* RFC 8701 reserves GREASE ALPN ids too */
		}
		if (n > 0 && !full) {
			if (pos + 2 < outsz) {
				out[pos++] = ',';
				out[pos] = '\0';
			} else {
				full = true; /* not even one byte of this name fits */
			}
		}
		if (!full)
			tls_append_printable(out, outsz, &pos, &name);
		n++;
	}
	return n;
}

/* RFC 8446 4.2.1, ClientHello form: the newest non-GREASE version offered. */
static void
tls_parse_client_versions(struct tls_facts *f, struct cursor *data, enum tls_hello_variant variant)
{
	struct cursor list;
	uint16_t v, best = 0;

	if (!cursor_get_u8_prefixed(data, &list) || cursor_remaining(data) != 0 ||
	    cursor_remaining(&list) % 2 != 0) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return;
	}
	while (cursor_get_u16(&list, &v))
		if (!tls_is_grease(v) && tls_version_newer(variant, v, best))
			best = v;
	if (best != 0)
		f->client_max_version = best;
}

/* Cipher suites of a ClientHello: count and weakness, GREASE ignored. */
static void
tls_parse_client_suites(struct tls_facts *f, struct cursor *suites)
{
	uint16_t c;

	if (cursor_remaining(suites) % 2 != 0)
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
	while (cursor_get_u16(suites, &c)) {
		if (tls_is_grease(c))
			continue;
		if (f->n_ciphers_offered < UINT16_MAX)
			f->n_ciphers_offered++;
		/* One weak suite is enough; the rest need no lookup. */
		if (!f->weak_cipher_offered && tls_cipher_is_weak(c))
			f->weak_cipher_offered = true;
	}
}

/* Context of one extensions walk: the variant (it orders versions), and
 * what a ServerHello's extensions tell, kept aside until the message is known
 * not to be a HelloRetryRequest. */
struct tls_hello_ext {
	enum tls_hello_variant variant;
	uint16_t version; /* ServerHello: selected_version, else legacy_version */
	char alpn[TLS_ALPN_MAX];
};

/* Walks an extensions block, calling fn for each non-GREASE extension.
 * Duplicates (RFC 8446 4.2: at most one of each) are skipped. */
static void
tls_parse_extensions(struct tls_facts *f, struct cursor *c,
		     void (*fn)(struct tls_hello_ext *, struct tls_facts *, uint16_t,
				struct cursor *),
		     struct tls_hello_ext *he)
{
	struct cursor exts, data;
	uint16_t type;
	bool seen_sni = false, seen_alpn = false, seen_versions = false;

	if (cursor_remaining(c) == 0)
		return; /* no extensions at all (allowed before TLS 1.3) */
	if (!cursor_get_u16_prefixed(c, &exts)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return;
	}
	if (cursor_remaining(c) != 0)
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE; /* bytes after the block */
	while (cursor_remaining(&exts) > 0) {
		bool *seen = NULL;

		if (!cursor_get_u16(&exts, &type) || !cursor_get_u16_prefixed(&exts, &data)) {
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
			return;
		}
		if (tls_is_grease(type))
			continue;
		if (type == EXT_SERVER_NAME)
			seen = &seen_sni;
		else if (type == EXT_ALPN)
			seen = &seen_alpn;
		else if (type == EXT_SUPPORTED_VERSIONS)
			seen = &seen_versions;
		else
			continue;
		if (*seen) {
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
			continue;
		}
		*seen = true;
		fn(he, f, type, &data);
	}
}

static void
tls_client_extension(struct tls_hello_ext *he, struct tls_facts *f, uint16_t type,
		     struct cursor *data)
{
	if (type == EXT_SERVER_NAME) {
		tls_parse_sni(f, data);
	} else if (type == EXT_ALPN) {
		if (tls_parse_alpn(data, f->alpn, sizeof(f->alpn)) < 0)
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
	} else if (type == EXT_SUPPORTED_VERSIONS) {
		tls_parse_client_versions(f, data, he->variant);
	}
}

/* RFC 5246 7.4.1.2 / RFC 8446 4.1.2; DTLS: RFC 6347 4.2.1, RFC 9147 5.3. */
enum tls_hello_result
tls_hello_parse_client(struct tls_facts *f, const uint8_t *body, size_t len,
		       enum tls_hello_variant variant)
{
	struct cursor c, sid, cookie, suites, comp;
	struct tls_hello_ext he = {.variant = variant};
	uint16_t version;

	cursor_init(&c, body, len);
	if (!cursor_get_u16(&c, &version) || !cursor_skip(&c, 32) ||
	    !cursor_get_u8_prefixed(&c, &sid) ||
	    (variant == TLS_HELLO_DTLS && !cursor_get_u8_prefixed(&c, &cookie)) ||
	    !cursor_get_u16_prefixed(&c, &suites)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return TLS_HELLO_MALFORMED;
	}
	f->client_hello = true;
	f->client_version = version;
	f->client_max_version = version;
	tls_parse_client_suites(f, &suites);
	if (!cursor_get_u8_prefixed(&c, &comp)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return TLS_HELLO_MALFORMED;
	}
	tls_parse_extensions(f, &c, tls_client_extension, &he);
	return TLS_HELLO_OK;
}

static void
tls_server_extension(struct tls_hello_ext *he, struct tls_facts *f, uint16_t type,
		     struct cursor *data)
{
	uint16_t v;

	if (type == EXT_SUPPORTED_VERSIONS) {
		/* RFC 8446 4.2.1, ServerHello form: one selected_version. */
		if (!cursor_get_u16(data, &v) || cursor_remaining(data) != 0 || tls_is_grease(v)) {
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
			return;
		}
		he->version = v;
	} else if (type == EXT_ALPN) {
		/* RFC 7301 3.1: exactly one name selected. */
		if (tls_parse_alpn(data, he->alpn, sizeof(he->alpn)) != 1)
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
	}
}

/* RFC 5246 7.4.1.3 / RFC 8446 4.1.3 (HelloRetryRequest: 4.1.4). */
enum tls_hello_result
tls_hello_parse_server(struct tls_facts *f, const uint8_t *body, size_t len,
		       enum tls_hello_variant variant)
{
	struct cursor c, random, sid;
	struct tls_hello_ext he = {.variant = variant};
	uint16_t version, cipher;
	uint8_t comp;
	bool hrr;

	cursor_init(&c, body, len);
	if (!cursor_get_u16(&c, &version) || !cursor_get_bytes(&c, &random, 32) ||
	    !cursor_get_u8_prefixed(&c, &sid) || !cursor_get_u16(&c, &cipher) ||
	    !cursor_get_u8(&c, &comp)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return TLS_HELLO_MALFORMED;
	}
	hrr = memcmp(random.p, hrr_random, sizeof(hrr_random)) == 0;
	he.version = version;
	tls_parse_extensions(f, &c, tls_server_extension, &he);

	f->version = he.version;
	f->cipher = cipher;
	if (hrr)
		return TLS_HELLO_RETRY; /* not the final ServerHello: the real one follows */
	f->server_hello = true;
	memcpy(f->alpn_selected, he.alpn, sizeof(f->alpn_selected));
	if (he.version == (variant == TLS_HELLO_DTLS ? DTLS_VERSION_13 : TLS_VERSION_13))
		return TLS_HELLO_ENCRYPTED; /* RFC 8446 2: the rest is encrypted */
	return TLS_HELLO_OK;
}

/* SSLv2 cipher kinds that are RC4, RC2/DES export, DES or 3DES. */
static bool
tls_sslv2_spec_is_weak(uint8_t kind)
{
	/* 1 RC4_128_WITH_MD5, 2 RC4_128_EXPORT40, 3 RC2_128_CBC, 4 RC2_EXPORT40,
	 * 5 IDEA_128_CBC, 6 DES_64_CBC, 7 DES_192_EDE3_CBC, 8 RC4_64. */
	return kind == 1 || kind == 2 || kind == 4 || kind == 6 || kind == 7 || kind == 8;
}

/*
 * RFC 5246 E.2: the SSLv2-format CLIENT-HELLO. rec holds the record body from
 * msg_type: type, version, cipher_spec_length, session_id_length,
 * challenge_length, then the cipher specs (3 bytes each), session id, challenge.
 */
enum tls_hello_result
tls_hello_parse_sslv2(struct tls_facts *f, const uint8_t *rec, size_t len)
{
	struct cursor c, specs;
	uint8_t type, kind;
	uint16_t version, spec_len, sid_len, chal_len, code;

	cursor_init(&c, rec, len);
	if (!cursor_get_u8(&c, &type) || !cursor_get_u16(&c, &version) ||
	    !cursor_get_u16(&c, &spec_len) || !cursor_get_u16(&c, &sid_len) ||
	    !cursor_get_u16(&c, &chal_len)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return TLS_HELLO_MALFORMED;
	}
	f->client_hello = true;
	f->sslv2_hello = true;
	f->client_version = version;
	f->client_max_version = version;
	if (spec_len % 3 != 0 || (size_t)spec_len + sid_len + chal_len != cursor_remaining(&c))
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
	if (!cursor_get_bytes(&c, &specs, spec_len))
		specs = c; /* lying length: use what is there */
	while (cursor_get_u8(&specs, &kind) && cursor_get_u16(&specs, &code)) {
		if (kind == 0 && tls_is_grease(code))
			continue;
		if (f->n_ciphers_offered < UINT16_MAX)
			f->n_ciphers_offered++;
		if (kind == 0 ? tls_cipher_is_weak(code) : tls_sslv2_spec_is_weak(kind))
			f->weak_cipher_offered = true;
	}
	return TLS_HELLO_OK;
}
