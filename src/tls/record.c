/*
 * record.c - the TLS record layer: frames records, reassembles the hello
 * messages and hands them to the hello parser (tls_hello.h), reads plaintext
 * alerts, and follows each direction into encryption. Implements tls.h.
 *
 * References: RFC 5246 (TLS 1.2: records 6.2, alerts 7.2, handshake framing
 * 7.4, appendix E.2 for the SSLv2-compatible ClientHello record), RFC 8446
 * (TLS 1.3: 5.1 records, 2 what is encrypted after the ServerHello,
 * appendix D.4 middlebox-compatibility ChangeCipherSpec).
 *
 * Each direction is a small state machine fed byte runs of any size:
 *   record header (5 bytes, assembled across feeds; the first record of the
 *   client may be an SSLv2 record, 2-byte header)
 *   -> record body: handshake messages (a 4-byte header, then the body, both
 *      possibly spanning records), alerts (2-byte pairs), CCS, app data.
 * Only ClientHello (client) and ServerHello (server) bodies are copied into a
 * buffer (malloc'd, at most TLS_HS_CAP); every other message is skipped by
 * length. Nothing is allocated before a valid record and handshake header.
 * A complete hello goes to tls_hello_parse_*, whose result says what follows.
 *
 * Reading in the clear stops for a direction when it is encrypted: after its
 * ChangeCipherSpec (TLS <= 1.2), after any application_data record, and for
 * both directions right after a TLS 1.3 ServerHello (TLS_HELLO_ENCRYPTED, or
 * any ServerHello after a HelloRetryRequest). The TLS 1.3 compatibility CCS
 * does not end the cleartext part (a second ClientHello may follow a
 * HelloRetryRequest).
 *
 * Not handled: DTLS and QUIC framing (they reuse tls_hello.h), SSLv2 server
 * messages, renegotiation (encrypted), the ALPN protocol a TLS 1.3 server
 * selects (it is in EncryptedExtensions), TLS 1.3 early data contents,
 * resynchronisation after a gap, and a second ClientHello after a
 * HelloRetryRequest (it is skipped: RFC 8446 requires it to repeat the first
 * one).
 */
#include "tls.h"

#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "tls_hello.h"

enum {
	CT_CHANGE_CIPHER_SPEC = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPLICATION_DATA = 23,
};

#define TLS_RECORD_MAX (16384 + 2048) /* TLSCiphertext.length limit */
#define SSL2_HELLO_MIN 9	      /* type, version, three lengths */

/* Result of checking a partly assembled record header. */
enum hdr_check {
	HDR_MORE,  /* consistent so far, needs more bytes */
	HDR_TLS,   /* a complete, valid TLS record header */
	HDR_SSLV2, /* a complete, valid SSLv2 ClientHello header */
	HDR_BAD,   /* not a record header */
};

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
	wanted = !ds->hello_done && ((dir == DIR_C2S && ds->hs_type == TLS_HS_CLIENT_HELLO) ||
				     (dir == DIR_S2C && ds->hs_type == TLS_HS_SERVER_HELLO));
	/* TLS <= 1.2: the server's certificate chain, once. */
	if (dir == DIR_S2C && ds->hs_type == TLS_HS_CERTIFICATE && ds->hello_done && !t->tls13 &&
	    f->cert.state == TLS_CERT_NONE)
		wanted = true;
	if (!wanted)
		return;
	if (len > TLS_HS_CAP) {
		f->anomalies |= TLS_ANOM_HS_CAP;
		f->cap_hits++;
		return;
	}
	ds->hs_buf = malloc(len ? len : 1);
}

/*
 * Acts on what a ServerHello meant (tls_hello.h): after a TLS 1.3 one, or
 * any one after a HelloRetryRequest, neither direction is readable any more.
 */
static void
tls_server_hello_result(struct tls_parser *t, struct tls_facts *f, enum tls_hello_result r)
{
	switch (r) {
	case TLS_HELLO_MALFORMED:
		return; /* a later ServerHello may still be read */
	case TLS_HELLO_RETRY:
		if (t->hrr)
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE; /* RFC 8446: at most one */
		t->hrr = true;
		t->tls13 = true;
		return;
	case TLS_HELLO_ENCRYPTED:
		t->tls13 = true;
		break;
	case TLS_HELLO_OK:
		break;
	}
	t->d[DIR_S2C].hello_done = true;
	if (t->tls13 && f->cert.state == TLS_CERT_NONE)
		f->cert.state = TLS_CERT_ENCRYPTED; /* RFC 8446 4.4.2: in the encrypted part */
	if (t->tls13) {
		/* RFC 8446 2: everything after the ServerHello is encrypted. */
		tls_end_cleartext(&t->d[DIR_S2C], f);
		tls_end_cleartext(&t->d[DIR_C2S], f);
	}
	tls_update_established(f);
}

/* A handshake message is complete: a collected hello goes to its parser. */
static void
tls_hs_end(struct tls_parser *t, struct tls_facts *f, enum dir dir)
{
	struct tls_dir_state *ds = &t->d[dir];
	uint8_t *buf = ds->hs_buf;
	uint32_t len = ds->hs_len;
	uint8_t type = ds->hs_type;
	enum tls_hello_result r;

	ds->hs_buf = NULL;
	tls_hs_reset(ds);
	if (!buf)
		return;
	if (type == TLS_HS_CLIENT_HELLO) {
		ds->hello_done = true; /* one try: a second one repeats it (RFC 8446 4.1.2) */
		(void)tls_hello_parse_client(f, buf, len, TLS_HELLO_TLS);
	} else if (type == TLS_HS_CERTIFICATE) {
		tls_cert_parse(&f->cert, buf, len);
	} else {
		r = tls_hello_parse_server(f, buf, len, TLS_HELLO_TLS);
		tls_server_hello_result(t, f, r);
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
		if (b2 != TLS_HS_CLIENT_HELLO)
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
	ds->hs_type = TLS_HS_CLIENT_HELLO;
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

/* A record ends; for an SSLv2 record that is the end of its ClientHello. */
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
		(void)tls_hello_parse_sslv2(f, buf, len);
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
	if (p[2] != TLS_HS_CLIENT_HELLO)
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
