/*
 * tls.c - TLS record and handshake parser: the facts a verdict needs, read
 * from the unencrypted part of a TLS conversation (see tls.h).
 *
 * References: RFC 5246 (TLS 1.2: records, handshake, alerts, appendix E.2 for
 * the SSLv2-compatible ClientHello), RFC 8446 (TLS 1.3: supported_versions,
 * HelloRetryRequest, middlebox-compatibility ChangeCipherSpec), RFC 6066
 * (server_name), RFC 7301 (ALPN), RFC 8701 (GREASE), IANA TLS registries
 * (cipher suite names, alert descriptions).
 *
 * Each direction is a small state machine fed byte runs of any size:
 *   record header (5 bytes, assembled across feeds; the first record of the
 *   client may be an SSLv2 record, 2-byte header)
 *   -> record body: handshake messages (a 4-byte header, then the body, both
 *      possibly spanning records), alerts (2-byte pairs), CCS, app data.
 * Only ClientHello (client) and ServerHello (server) bodies are copied into a
 * buffer (malloc'd, at most TLS_HS_CAP); every other message is skipped by
 * length. Nothing is allocated before a valid record and handshake header.
 *
 * Reading in the clear stops for a direction when it is encrypted: after its
 * ChangeCipherSpec (TLS <= 1.2), after any application_data record, and for
 * both directions right after a TLS 1.3 ServerHello. The TLS 1.3 compatibility
 * CCS does not end the cleartext part (a second ClientHello may follow a
 * HelloRetryRequest).
 *
 * Not handled: DTLS, QUIC, SSLv2 server messages, renegotiation (encrypted),
 * the ALPN protocol a TLS 1.3 server selects (it is in EncryptedExtensions),
 * TLS 1.3 early data contents, resynchronisation after a gap, and a second
 * ClientHello after a HelloRetryRequest (it is skipped: RFC 8446 requires it
 * to repeat the first one).
 */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

enum {
	CT_CHANGE_CIPHER_SPEC = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPLICATION_DATA = 23,
};

enum {
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
};

enum {
	EXT_SERVER_NAME = 0,
	EXT_ALPN = 16,
	EXT_SUPPORTED_VERSIONS = 43,
};

#define TLS_VERSION_13 0x0304
#define TLS_RECORD_MAX (16384 + 2048) /* TLSCiphertext.length limit */
#define SSL2_HELLO_MIN 9	      /* type, version, three lengths */

/* Result of checking a partly assembled record header. */
enum hdr_check {
	HDR_MORE,  /* consistent so far, needs more bytes */
	HDR_TLS,   /* a complete, valid TLS record header */
	HDR_SSLV2, /* a complete, valid SSLv2 ClientHello header */
	HDR_BAD,   /* not a record header */
};

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

static void
tls_update_established(struct tls_facts *f)
{
	if (f->established)
		return;
	if (f->server_hello && f->encrypted[DIR_C2S] && f->encrypted[DIR_S2C] &&
	    !(f->alert && f->alert_level == 2))
		f->established = true;
}

/*
 * Drops the handshake message being reassembled, if any, including an SSLv2
 * ClientHello record: its bytes went to the same buffer, so its state goes
 * with it (the rest of that record is then skipped by record length only).
 * hs_buf is the one flag for "collecting": nothing else says whether bytes
 * may be copied, so no state can outlive the buffer it refers to.
 */
static void
tls_hs_reset(struct tls_dir_state *ds)
{
	free(ds->hs_buf);
	ds->hs_buf = NULL;
	ds->hs_hdr_len = 0;
	ds->hs_type = 0;
	ds->hs_len = 0;
	ds->hs_have = 0;
	ds->sslv2 = false;
}

/* Body bytes of the message being reassembled: copied when it is collected
 * (hs_buf set), counted either way. Never writes past hs_len. */
static void
tls_hs_collect(struct tls_dir_state *ds, const uint8_t *p, size_t n)
{
	if (ds->hs_buf && ds->hs_have <= ds->hs_len && n <= ds->hs_len - ds->hs_have)
		memcpy(ds->hs_buf + ds->hs_have, p, n);
	else if (ds->hs_buf) {
		free(ds->hs_buf); /* more bytes than announced: not collectable */
		ds->hs_buf = NULL;
	}
	ds->hs_have += (uint32_t)n;
}

/* This direction is encrypted from now on: handshake and alert records are
 * no longer readable. A message cut by the switch is an anomaly. */
static void
tls_end_cleartext(struct tls_dir_state *ds, struct tls_facts *f)
{
	if (ds->clear_done)
		return;
	ds->clear_done = true;
	if (ds->hs_hdr_len > 0 || ds->sslv2)
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
	tls_hs_reset(ds);
	ds->alert_have = 0;
}

/* Keeps up to 64 bytes of a stream that is not TLS, as evidence. */
static void
tls_evidence_append(struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	uint64_t have = f->first_bytes_len[dir];
	size_t room = have < sizeof(f->first_bytes[dir]) ? sizeof(f->first_bytes[dir]) - have : 0;

	if (n > room)
		n = room;
	if (n == 0)
		return;
	memcpy(f->first_bytes[dir] + have, p, n);
	f->first_bytes_len[dir] = have + n;
}

/* ---- ClientHello / ServerHello bodies ---- */

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

/* RFC 8446 4.2.1, ClientHello form: highest non-GREASE version offered. */
static void
tls_parse_client_versions(struct tls_facts *f, struct cursor *data)
{
	struct cursor list;
	uint16_t v, best = 0;

	if (!cursor_get_u8_prefixed(data, &list) || cursor_remaining(data) != 0 ||
	    cursor_remaining(&list) % 2 != 0) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return;
	}
	while (cursor_get_u16(&list, &v))
		if (!tls_is_grease(v) && v > best)
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
		if (tls_cipher_is_weak(c))
			f->weak_cipher_offered = true;
	}
}

/* Walks an extensions block, calling fn for each non-GREASE extension.
 * Duplicates (RFC 8446 4.2: at most one of each) are skipped. */
static void
tls_parse_extensions(struct tls_facts *f, struct cursor *c,
		     void (*fn)(void *, struct tls_facts *, uint16_t, struct cursor *), void *ctx)
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
		fn(ctx, f, type, &data);
	}
}

static void
tls_client_extension(void *ctx, struct tls_facts *f, uint16_t type, struct cursor *data)
{
	(void)ctx;
	if (type == EXT_SERVER_NAME) {
		tls_parse_sni(f, data);
	} else if (type == EXT_ALPN) {
		if (tls_parse_alpn(data, f->alpn, sizeof(f->alpn)) < 0)
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
	} else if (type == EXT_SUPPORTED_VERSIONS) {
		tls_parse_client_versions(f, data);
	}
}

/* RFC 5246 7.4.1.2 / RFC 8446 4.1.2. */
static void
tls_parse_client_hello(struct tls_facts *f, const uint8_t *b, size_t n)
{
	struct cursor c, sid, suites, comp;
	uint16_t version;

	cursor_init(&c, b, n);
	if (!cursor_get_u16(&c, &version) || !cursor_skip(&c, 32) ||
	    !cursor_get_u8_prefixed(&c, &sid) || !cursor_get_u16_prefixed(&c, &suites)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return;
	}
	f->client_hello = true;
	f->client_version = version;
	f->client_max_version = version;
	tls_parse_client_suites(f, &suites);
	if (!cursor_get_u8_prefixed(&c, &comp)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return;
	}
	tls_parse_extensions(f, &c, tls_client_extension, NULL);
}

/* What ServerHello extensions tell, kept aside until the message is known
 * not to be a HelloRetryRequest. */
struct tls_server_ext {
	uint16_t version;
	char alpn[TLS_ALPN_MAX];
};

static void
tls_server_extension(void *ctx, struct tls_facts *f, uint16_t type, struct cursor *data)
{
	struct tls_server_ext *se = ctx;
	uint16_t v;

	if (type == EXT_SUPPORTED_VERSIONS) {
		/* RFC 8446 4.2.1, ServerHello form: one selected_version. */
		if (!cursor_get_u16(data, &v) || cursor_remaining(data) != 0 || tls_is_grease(v)) {
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
			return;
		}
		se->version = v;
	} else if (type == EXT_ALPN) {
		/* RFC 7301 3.1: exactly one name selected. */
		if (tls_parse_alpn(data, se->alpn, sizeof(se->alpn)) != 1)
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
	}
}

/* RFC 5246 7.4.1.3 / RFC 8446 4.1.3 (HelloRetryRequest: 4.1.4). */
static void
tls_parse_server_hello(struct tls_parser *t, struct tls_facts *f, const uint8_t *b, size_t n)
{
	struct cursor c, random, sid;
	struct tls_server_ext se;
	uint16_t version, cipher;
	uint8_t comp;
	bool hrr;

	cursor_init(&c, b, n);
	if (!cursor_get_u16(&c, &version) || !cursor_get_bytes(&c, &random, 32) ||
	    !cursor_get_u8_prefixed(&c, &sid) || !cursor_get_u16(&c, &cipher) ||
	    !cursor_get_u8(&c, &comp)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return;
	}
	hrr = memcmp(random.p, hrr_random, sizeof(hrr_random)) == 0;
	memset(&se, 0, sizeof(se));
	se.version = version;
	tls_parse_extensions(f, &c, tls_server_extension, &se);

	f->version = se.version;
	f->cipher = cipher;
	if (se.version == TLS_VERSION_13 || hrr)
		t->tls13 = true;
	if (hrr) {
		/* Not the final ServerHello: the real one follows and wins. */
		if (t->hrr)
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE; /* RFC 8446: at most one */
		t->hrr = true;
		return;
	}
	f->server_hello = true;
	memcpy(f->alpn_selected, se.alpn, sizeof(f->alpn_selected));
	t->d[DIR_S2C].hello_done = true;
	if (t->tls13) {
		/* RFC 8446 2: everything after the ServerHello is encrypted. */
		tls_end_cleartext(&t->d[DIR_S2C], f);
		tls_end_cleartext(&t->d[DIR_C2S], f);
	}
	tls_update_established(f);
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
 * RFC 5246 E.2: the SSLv2-format CLIENT-HELLO. b holds the record body from
 * msg_type: type, version, cipher_spec_length, session_id_length,
 * challenge_length, then the cipher specs (3 bytes each), session id, challenge.
 */
static void
tls_parse_sslv2_hello(struct tls_facts *f, const uint8_t *b, size_t n)
{
	struct cursor c, specs;
	uint8_t type, kind;
	uint16_t version, spec_len, sid_len, chal_len, code;

	cursor_init(&c, b, n);
	if (!cursor_get_u8(&c, &type) || !cursor_get_u16(&c, &version) ||
	    !cursor_get_u16(&c, &spec_len) || !cursor_get_u16(&c, &sid_len) ||
	    !cursor_get_u16(&c, &chal_len)) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
		return;
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
}

/* ---- handshake message stream ---- */

/* A handshake header is complete: decide whether the body is kept. */
static void
tls_hs_begin(struct tls_parser *t, struct tls_facts *f, enum dir dir)
{
	struct tls_dir_state *ds = &t->d[dir];
	struct cursor c;
	uint32_t len = 0;
	bool wanted;

	cursor_init(&c, ds->hs_hdr, sizeof(ds->hs_hdr));
	(void)cursor_get_u8(&c, &ds->hs_type);
	(void)cursor_get_u24(&c, &len);
	ds->hs_len = len;
	ds->hs_have = 0;
	wanted = !ds->hello_done && ((dir == DIR_C2S && ds->hs_type == HS_CLIENT_HELLO) ||
				     (dir == DIR_S2C && ds->hs_type == HS_SERVER_HELLO));
	if (!wanted)
		return;
	if (len > TLS_HS_CAP) {
		f->anomalies |= TLS_ANOM_HS_CAP;
		f->cap_hits++;
		return;
	}
	ds->hs_buf = malloc(len ? len : 1);
}

/* A handshake message is complete. */
static void
tls_hs_end(struct tls_parser *t, struct tls_facts *f, enum dir dir)
{
	struct tls_dir_state *ds = &t->d[dir];
	uint8_t *buf = ds->hs_buf;
	uint32_t len = ds->hs_len;
	uint8_t type = ds->hs_type;

	ds->hs_buf = NULL;
	tls_hs_reset(ds);
	if (!buf)
		return;
	if (type == HS_CLIENT_HELLO) {
		ds->hello_done = true;
		tls_parse_client_hello(f, buf, len);
	} else {
		tls_parse_server_hello(t, f, buf, len);
	}
	free(buf);
}

/* Body bytes of a plaintext handshake record. */
static void
tls_hs_feed(struct tls_parser *t, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	struct tls_dir_state *ds = &t->d[dir];

	while (n > 0 && !ds->clear_done && !ds->stopped) {
		if (ds->hs_hdr_len < sizeof(ds->hs_hdr)) {
			ds->hs_hdr[ds->hs_hdr_len++] = *p++;
			n--;
			if (ds->hs_hdr_len == sizeof(ds->hs_hdr)) {
				tls_hs_begin(t, f, dir);
				if (ds->hs_len == 0)
					tls_hs_end(t, f, dir);
			}
			continue;
		}
		size_t take = ds->hs_len - ds->hs_have;

		if (take > n)
			take = n;
		tls_hs_collect(ds, p, take);
		p += take;
		n -= take;
		if (ds->hs_have == ds->hs_len)
			tls_hs_end(t, f, dir);
	}
}

/* Body bytes of a plaintext alert record: (level, description) pairs. */
static void
tls_alert_feed(struct tls_parser *t, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	struct tls_dir_state *ds = &t->d[dir];
	struct cursor c;
	uint8_t level, desc;

	cursor_init(&c, p, n);
	while (cursor_get_u8(&c, &ds->alert_buf[ds->alert_have])) {
		if (++ds->alert_have < sizeof(ds->alert_buf))
			continue;
		ds->alert_have = 0;
		level = ds->alert_buf[0];
		desc = ds->alert_buf[1];
		if (level != 1 && level != 2) {
			f->anomalies |= TLS_ANOM_BAD_RECORD;
			continue;
		}
		/* Keep the first alert, unless a fatal one follows a warning. */
		if (!f->alert || (level == 2 && f->alert_level != 2)) {
			f->alert = true;
			f->alert_dir = dir;
			f->alert_level = level;
			f->alert_desc = desc;
		}
	}
}

/* ---- records ---- */

/* Checks the hdr_len bytes of a record header assembled so far. */
static enum hdr_check
tls_hdr_check(const struct tls_dir_state *ds, enum dir dir)
{
	struct cursor c;
	uint8_t type, b1, b2;
	uint16_t len, version;

	cursor_init(&c, ds->hdr, ds->hdr_len);
	if (!cursor_get_u8(&c, &type))
		return HDR_MORE;
	if ((type & 0x80) && dir == DIR_C2S && !ds->started) {
		/* SSLv2 record: 2-byte header (length), then msg_type 1, version. */
		if (!cursor_get_u8(&c, &b1))
			return HDR_MORE;
		if ((((unsigned)type & 0x7f) << 8 | b1) < SSL2_HELLO_MIN)
			return HDR_BAD;
		if (!cursor_get_u8(&c, &b2))
			return HDR_MORE;
		if (b2 != HS_CLIENT_HELLO)
			return HDR_BAD;
		if (!cursor_get_u8(&c, &b1))
			return HDR_MORE;
		if (b1 != 0x00 && b1 != 0x03)
			return HDR_BAD;
		if (!cursor_get_u8(&c, &b2))
			return HDR_MORE;
		version = (uint16_t)(b1 << 8 | b2);
		if (version != 0x0002 && (version < 0x0300 || version > 0x0303))
			return HDR_BAD;
		return HDR_SSLV2;
	}
	if (type < CT_CHANGE_CIPHER_SPEC || type > CT_APPLICATION_DATA)
		return HDR_BAD;
	if (!cursor_get_u8(&c, &b1))
		return HDR_MORE;
	if (b1 != 3)
		return HDR_BAD;
	if (!cursor_skip(&c, 1) || !cursor_get_u16(&c, &len))
		return HDR_MORE;
	if (len > TLS_RECORD_MAX)
		return HDR_BAD;
	return HDR_TLS;
}

/* A valid SSLv2 header: the whole record is the ClientHello, reassembled
 * from its msg_type byte (already in hdr[2..4]). */
static void
tls_record_begin_sslv2(struct tls_dir_state *ds)
{
	uint32_t len = ((uint32_t)(ds->hdr[0] & 0x7f) << 8) | ds->hdr[1];

	tls_hs_reset(ds);
	ds->sslv2 = true;
	ds->rec_type = 0;
	ds->rec_left = len - 3;
	ds->hs_type = HS_CLIENT_HELLO;
	ds->hs_len = len;
	if (len <= TLS_HS_CAP)
		ds->hs_buf = malloc(len);
	tls_hs_collect(ds, ds->hdr + 2, 3);
}

static void
tls_record_begin(struct tls_parser *t, struct tls_facts *f, enum dir dir)
{
	struct tls_dir_state *ds = &t->d[dir];
	struct cursor c;
	uint8_t type = 0;
	uint16_t len = 0;

	cursor_init(&c, ds->hdr, sizeof(ds->hdr));
	(void)cursor_get_u8(&c, &type);
	(void)cursor_skip(&c, 2);
	(void)cursor_get_u16(&c, &len);
	ds->sslv2 = false;
	ds->rec_type = type;
	ds->rec_left = len;
	if (len == 0 && type != CT_APPLICATION_DATA)
		f->anomalies |= TLS_ANOM_BAD_RECORD; /* RFC 5246 6.2.1 */
	if (type == CT_APPLICATION_DATA) {
		f->encrypted[dir] = true;
		tls_end_cleartext(ds, f);
	} else if (type == CT_CHANGE_CIPHER_SPEC) {
		f->encrypted[dir] = true;
		if (!t->tls13)
			tls_end_cleartext(ds, f);
	}
	tls_update_established(f);
}

static void
tls_record_body(struct tls_parser *t, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	struct tls_dir_state *ds = &t->d[dir];

	if (ds->sslv2) {
		tls_hs_collect(ds, p, n);
		return;
	}
	if (ds->clear_done)
		return;
	if (ds->rec_type == CT_HANDSHAKE)
		tls_hs_feed(t, f, dir, p, n);
	else if (ds->rec_type == CT_ALERT)
		tls_alert_feed(t, f, dir, p, n);
	tls_update_established(f);
}

static void
tls_record_end(struct tls_parser *t, struct tls_facts *f, enum dir dir)
{
	struct tls_dir_state *ds = &t->d[dir];

	ds->in_record = false;
	if (!ds->sslv2)
		return;
	if (ds->hs_buf) {
		uint8_t *buf = ds->hs_buf;
		uint32_t len = ds->hs_len;

		ds->hs_buf = NULL;
		tls_parse_sslv2_hello(f, buf, len);
		free(buf);
		ds->hello_done = true;
	}
	tls_hs_reset(ds);
}

/* The direction is not TLS (first record) or broke mid-stream: stop. */
static void
tls_dir_reject(struct tls_parser *t, struct tls_facts *f, enum dir dir)
{
	struct tls_dir_state *ds = &t->d[dir];

	if (!ds->started) {
		f->not_tls[dir] = true;
		tls_evidence_append(f, dir, ds->hdr, ds->hdr_len);
	} else {
		f->anomalies |= TLS_ANOM_BAD_RECORD;
	}
	ds->stopped = true;
	tls_hs_reset(ds);
}

/* Parses until the bytes run out or the direction stops; returns the number
 * of bytes looked at. */
static size_t
tls_dir_parse(struct tls_parser *t, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct tls_dir_state *ds = &t->d[dir];
	size_t off = 0;

	while (off < len && !ds->stopped) {
		if (!ds->in_record) {
			ds->hdr[ds->hdr_len++] = p[off++];
			enum hdr_check r = tls_hdr_check(ds, dir);

			if (r == HDR_MORE)
				continue;
			if (r == HDR_BAD) {
				tls_dir_reject(t, f, dir);
				break;
			}
			ds->hdr_len = 0;
			ds->started = true;
			ds->in_record = true;
			if (f->records[dir] < UINT32_MAX)
				f->records[dir]++;
			if (r == HDR_SSLV2)
				tls_record_begin_sslv2(ds);
			else
				tls_record_begin(t, f, dir);
		} else {
			size_t n = len - off;

			if (n > ds->rec_left)
				n = ds->rec_left;
			tls_record_body(t, f, dir, p + off, n);
			ds->rec_left -= (uint32_t)n;
			off += n;
		}
		if (ds->in_record && ds->rec_left == 0)
			tls_record_end(t, f, dir);
	}
	return off;
}

void
tls_parser_init(struct tls_parser *t)
{
	memset(t, 0, sizeof(*t));
}

void
tls_parser_free(struct tls_parser *t)
{
	tls_hs_reset(&t->d[DIR_C2S]);
	tls_hs_reset(&t->d[DIR_S2C]);
}

size_t
tls_parser_heap_bytes(const struct tls_parser *t)
{
	size_t n = 0;

	for (int d = 0; d < 2; d++)
		if (t->d[d].hs_buf)
			n += t->d[d].hs_len ? t->d[d].hs_len : 1;
	return n;
}

size_t
tls_feed(struct tls_parser *t, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct tls_dir_state *ds;
	size_t off = 0;

	if ((dir != DIR_C2S && dir != DIR_S2C) || !p)
		return len;
	ds = &t->d[dir];
	if (!ds->stopped)
		off = tls_dir_parse(t, f, dir, p, len);
	if (ds->stopped && f->not_tls[dir] && off < len)
		tls_evidence_append(f, dir, p + off, len - off);
	return len;
}

void
tls_gap(struct tls_parser *t, struct tls_facts *f, enum dir dir)
{
	if (dir != DIR_C2S && dir != DIR_S2C)
		return;
	t->d[dir].stopped = true;
	f->anomalies |= TLS_ANOM_GAP;
	tls_hs_reset(&t->d[dir]);
}

/* ---- sniffers ---- */

int
tls_sniff_client(const uint8_t *p, size_t len)
{
	uint16_t version;

	if (len < 1)
		return -1;
	if (p[0] == CT_HANDSHAKE)
		return tls_sniff_record(p, len);
	if (!(p[0] & 0x80))
		return 0;
	/* SSLv2-format ClientHello (RFC 5246 E.2). */
	if (len < 3)
		return -1;
	if (p[2] != HS_CLIENT_HELLO)
		return 0;
	if (len < 4)
		return -1;
	if (p[3] != 0x00 && p[3] != 0x03)
		return 0;
	if (len < 5)
		return -1;
	version = (uint16_t)(p[3] << 8 | p[4]);
	return version == 0x0002 || (version >= 0x0300 && version <= 0x0303);
}

int
tls_sniff_record(const uint8_t *p, size_t len)
{
	if (len < 1)
		return -1;
	if (p[0] < CT_CHANGE_CIPHER_SPEC || p[0] > CT_APPLICATION_DATA)
		return 0;
	if (len < 2)
		return -1;
	if (p[1] != 3)
		return 0;
	if (len < 3)
		return -1;
	return p[2] <= 4;
}

/* ---- names ---- */

const char *
tls_version_name(uint16_t v, char buf[8])
{
	switch (v) {
	case 0x0002:
		return "SSLv2";
	case 0x0300:
		return "SSLv3";
	case 0x0301:
		return "TLSv1.0";
	case 0x0302:
		return "TLSv1.1";
	case 0x0303:
		return "TLSv1.2";
	case 0x0304:
		return "TLSv1.3";
	}
	snprintf(buf, 8, "0x%04x", v);
	return buf;
}

bool
tls_version_is_obsolete(uint16_t v)
{
	return v == 0x0002 || (v >= 0x0300 && v <= 0x0302);
}

/* IANA TLS Cipher Suites registry: the suites seen in practice, sorted by
 * code. weak: NULL encryption, EXPORT, RC4, anonymous key exchange, DES, 3DES. */
struct tls_suite {
	uint16_t code;
	bool weak;
	const char *name;
};

static const struct tls_suite tls_suites[] = {
	{0x0000, true, "TLS_NULL_WITH_NULL_NULL"},
	{0x0001, true, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, true, "TLS_RSA_WITH_NULL_SHA"},
	{0x0003, true, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	{0x0004, true, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, true, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0006, true, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x0007, false, "TLS_RSA_WITH_IDEA_CBC_SHA"},
	{0x0008, true, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0009, true, "TLS_RSA_WITH_DES_CBC_SHA"},
	{0x000a, true, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0011, true, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0012, true, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
	{0x0013, true, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0014, true, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0015, true, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x0016, true, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0017, true, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
	{0x0018, true, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x0019, true, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
	{0x001a, true, "TLS_DH_anon_WITH_DES_CBC_SHA"},
	{0x001b, true, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x002f, false, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0032, false, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0033, false, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, true, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x0035, false, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x0038, false, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x0039, false, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x003a, true, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x003b, true, "TLS_RSA_WITH_NULL_SHA256"},
	{0x003c, false, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003d, false, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x0040, false, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0041, false, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0045, false, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0067, false, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x006a, false, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x006b, false, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006c, true, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006d, true, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x0084, false, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0088, false, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x008a, true, "TLS_PSK_WITH_RC4_128_SHA"},
	{0x008b, true, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x008c, false, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008d, false, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0x0096, false, "TLS_RSA_WITH_SEED_CBC_SHA"},
	{0x009c, false, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009d, false, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0x009e, false, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009f, false, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00a2, false, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00a3, false, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00a6, true, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00a7, true, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x00a8, false, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00a9, false, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00ff, false, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
	{0x1301, false, "TLS_AES_128_GCM_SHA256"},
	{0x1302, false, "TLS_AES_256_GCM_SHA384"},
	{0x1303, false, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, false, "TLS_AES_128_CCM_SHA256"},
	{0x1305, false, "TLS_AES_128_CCM_8_SHA256"},
	{0x5600, false, "TLS_FALLBACK_SCSV"},
	{0xc002, true, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xc003, true, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc004, false, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc005, false, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc006, true, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xc007, true, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xc008, true, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc009, false, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc00a, false, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc00c, true, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0xc00d, true, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc00e, false, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xc00f, false, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0xc010, true, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xc011, true, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xc012, true, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc013, false, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xc014, false, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xc015, true, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0xc016, true, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0xc017, true, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xc018, true, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xc019, true, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xc023, false, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc024, false, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc025, false, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc026, false, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc027, false, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc028, false, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc029, false, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc02a, false, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc02b, false, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02c, false, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02d, false, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02e, false, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02f, false, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc030, false, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc031, false, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc032, false, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc035, false, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
	{0xc036, false, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"},
	{0xc09c, false, "TLS_RSA_WITH_AES_128_CCM"},
	{0xc09d, false, "TLS_RSA_WITH_AES_256_CCM"},
	{0xc09e, false, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xc09f, false, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xc0ac, false, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xc0ad, false, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xc0ae, false, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xc0af, false, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xc0b4, true, "TLS_SHA256_SHA256"},
	{0xc0b5, true, "TLS_SHA384_SHA384"},
	{0xcca8, false, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xcca9, false, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccaa, false, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccab, false, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccac, false, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccad, false, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xd001, false, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
};

/*
 * Weak suites without a name in the table above (rarer key exchanges with the
 * same weak ciphers), as inclusive ranges of the IANA registry, sorted.
 */
static const struct {
	uint16_t lo, hi;
} tls_weak_ranges[] = {
	{0x000b, 0x0010}, /* DH_DSS / DH_RSA with EXPORT, DES, 3DES */
	{0x001e, 0x0020}, /* KRB5 DES, 3DES, RC4 */
	{0x0022, 0x0024}, /* KRB5 DES, 3DES, RC4 (MD5) */
	{0x0026, 0x002e}, /* KRB5 EXPORT; PSK, DHE_PSK, RSA_PSK with NULL */
	{0x0046, 0x0046}, /* DH_anon CAMELLIA_128_CBC */
	{0x0060, 0x0066}, /* EXPORT1024 and RC4_56 (never registered, still seen) */
	{0x0089, 0x0089}, /* DH_anon CAMELLIA_256_CBC */
	{0x008e, 0x008f}, /* DHE_PSK RC4, 3DES */
	{0x0092, 0x0093}, /* RSA_PSK RC4, 3DES */
	{0x009b, 0x009b}, /* DH_anon SEED */
	{0x00b0, 0x00b1}, /* PSK NULL */
	{0x00b4, 0x00b5}, /* DHE_PSK NULL */
	{0x00b8, 0x00b9}, /* RSA_PSK NULL */
	{0x00bf, 0x00bf}, /* DH_anon CAMELLIA_128_CBC_SHA256 */
	{0x00c5, 0x00c5}, /* DH_anon CAMELLIA_256_CBC_SHA256 */
	{0xc001, 0xc001}, /* ECDH_ECDSA NULL */
	{0xc00b, 0xc00b}, /* ECDH_RSA NULL */
	{0xc01a, 0xc01c}, /* SRP 3DES */
	{0xc033, 0xc034}, /* ECDHE_PSK RC4, 3DES */
	{0xc039, 0xc03b}, /* ECDHE_PSK NULL */
	{0xc046, 0xc047}, /* DH_anon ARIA CBC */
	{0xc05a, 0xc05b}, /* DH_anon ARIA GCM */
	{0xc084, 0xc085}, /* DH_anon CAMELLIA GCM */
};

static const struct tls_suite *
tls_suite_find(uint16_t code)
{
	size_t lo = 0, hi = sizeof(tls_suites) / sizeof(tls_suites[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tls_suites[mid].code == code)
			return &tls_suites[mid];
		if (tls_suites[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
tls_cipher_name(uint16_t c, char buf[8])
{
	const struct tls_suite *s = tls_suite_find(c);

	if (s)
		return s->name;
	snprintf(buf, 8, "0x%04x", c);
	return buf;
}

bool
tls_cipher_is_weak(uint16_t c)
{
	const struct tls_suite *s = tls_suite_find(c);

	if (s)
		return s->weak;
	for (size_t i = 0; i < sizeof(tls_weak_ranges) / sizeof(tls_weak_ranges[0]); i++)
		if (c >= tls_weak_ranges[i].lo && c <= tls_weak_ranges[i].hi)
			return true;
	return false;
}

/* RFC 8446 6 and RFC 5246 7.2 (IANA TLS Alerts registry). */
const char *
tls_alert_name(uint8_t desc)
{
	switch (desc) {
	case 0:
		return "close_notify";
	case 10:
		return "unexpected_message";
	case 20:
		return "bad_record_mac";
	case 21:
		return "decryption_failed";
	case 22:
		return "record_overflow";
	case 30:
		return "decompression_failure";
	case 40:
		return "handshake_failure";
	case 41:
		return "no_certificate";
	case 42:
		return "bad_certificate";
	case 43:
		return "unsupported_certificate";
	case 44:
		return "certificate_revoked";
	case 45:
		return "certificate_expired";
	case 46:
		return "certificate_unknown";
	case 47:
		return "illegal_parameter";
	case 48:
		return "unknown_ca";
	case 49:
		return "access_denied";
	case 50:
		return "decode_error";
	case 51:
		return "decrypt_error";
	case 60:
		return "export_restriction";
	case 70:
		return "protocol_version";
	case 71:
		return "insufficient_security";
	case 80:
		return "internal_error";
	case 86:
		return "inappropriate_fallback";
	case 90:
		return "user_canceled";
	case 100:
		return "no_renegotiation";
	case 109:
		return "missing_extension";
	case 110:
		return "unsupported_extension";
	case 111:
		return "certificate_unobtainable";
	case 112:
		return "unrecognized_name";
	case 113:
		return "bad_certificate_status_response";
	case 114:
		return "bad_certificate_hash_value";
	case 115:
		return "unknown_psk_identity";
	case 116:
		return "certificate_required";
	case 120:
		return "no_application_protocol";
	}
	return NULL;
}
