/*
 * quic.c - QUIC's Initial packets, decrypted to read the TLS hellos they
 * carry, into the same facts as TLS (struct tls_facts).
 *
 * References: RFC 9000 17.2 (long header: form and fixed bits, type,
 * version, DCID, SCID, token, length, packet number; coalesced packets),
 * 19.6 (CRYPTO frames), 16 (variable-length integers); RFC 9001 5.2
 * (initial secrets: HKDF-Extract of the client's first Destination
 * Connection ID with a version's salt, then "client in" / "server in"),
 * 5.3 (AEAD_AES_128_GCM, nonce = iv XOR packet number), 5.4 (header
 * protection: AES-ECB of a 16-byte sample); RFC 9369 (QUIC v2: its own
 * salt, labels "quicv2 key/iv/hp", Initial type 0b01); the draft versions'
 * salts (draft-23 to -28, draft-29 to -34).
 *
 * The crypto is libgcrypt's: Debian's, already linked for the Community ID
 * (SHA-1), well kept, and enough here (HMAC-SHA256 for HKDF, AES-128 in GCM
 * and ECB). No key is secret: Initial keys follow from bytes on the wire.
 *
 * Each side's CRYPTO data is reassembled (offsets, out of order, across
 * packets and datagrams) up to QUIC_CRYPTO_MAX bytes; the ClientHello and
 * the ServerHello are read with src/tls/hello.c when whole. After the
 * ServerHello, a Handshake or short-header packet in a direction is that
 * direction encrypted; both ways with a ServerHello is established.
 *
 * Not handled: Retry and Version Negotiation (counted as seen, nothing
 * read), a server Initial for a DCID changed by Retry, 0-RTT, key updates,
 * CONNECTION_CLOSE reasons (an Initial CONNECTION_CLOSE from the server is
 * recorded as a fatal alert with its TLS alert code when it carries one).
 */
#include <gcrypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "tls_hello.h"

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
				     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
static const uint8_t salt_d23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
				     0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};

/* The salt of a version we can read, or NULL. */
static const uint8_t *
quic_salt(uint32_t v)
{
	if (v == QUIC_V1)
		return salt_v1;
	if (v == QUIC_V2)
		return salt_v2;
	if ((v & 0xffffff00u) == 0xff000000u) { /* IETF drafts */
		unsigned d = v & 0xff;

		if (d >= 29 && d <= 34)
			return salt_d29;
		if (d >= 23 && d <= 28)
			return salt_d23;
	}
	return NULL;
}

/* Initial is 0b00 in v1 and the drafts, 0b01 in v2 (RFC 9369 3.2). */
static unsigned
quic_initial_type(uint32_t v)
{
	return v == QUIC_V2 ? 1 : 0;
}

static unsigned
quic_handshake_type(uint32_t v)
{
	return v == QUIC_V2 ? 3 : 2;
}

static void
quic_gcrypt_init(void)
{
	gcry_check_version(NULL);
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
}

static bool
quic_hmac(const uint8_t *key, size_t klen, const uint8_t *msg, size_t n, uint8_t out[32])
{
	gcry_md_hd_t h;

	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC))
		return false;
	if (gcry_md_setkey(h, key, klen)) {
		gcry_md_close(h);
		return false;
	}
	gcry_md_write(h, msg, n);
	memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), 32);
	gcry_md_close(h);
	return true;
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, out of at most
 * 32 bytes (one HMAC block). */
static bool
quic_expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
	uint8_t info[64], t[32];
	size_t ll = strlen(label), n = 0;

	if (len > 32 || 6 + ll > 255 || 4 + 6 + ll + 1 > sizeof(info))
		return false;
	info[n++] = 0;
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0; /* context */
	info[n++] = 1; /* T(1) */
	if (!quic_hmac(secret, 32, info, n, t))
		return false;
	memcpy(out, t, len);
	return true;
}

bool
quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
		  struct quic_keys *k)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *salt = quic_salt(version);
	uint8_t initial[32], secret[32];
	bool v2 = version == QUIC_V2;

	if (!salt)
		return false;
	pthread_once(&once, quic_gcrypt_init);
	if (!quic_hmac(salt, 20, dcid, dcid_len, initial) ||
	    !quic_expand_label(initial, server ? "server in" : "client in", secret, 32) ||
	    !quic_expand_label(secret, v2 ? "quicv2 key" : "quic key", k->key, 16) ||
	    !quic_expand_label(secret, v2 ? "quicv2 iv" : "quic iv", k->iv, 12) ||
	    !quic_expand_label(secret, v2 ? "quicv2 hp" : "quic hp", k->hp, 16))
		return false;
	return true;
}

bool
quic_hp_mask(const uint8_t hp[16], const uint8_t sample[16], uint8_t mask[16])
{
	gcry_cipher_hd_t c;
	bool ok;

	if (gcry_cipher_open(&c, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, 0))
		return false;
	ok = !gcry_cipher_setkey(c, hp, 16) && !gcry_cipher_encrypt(c, mask, 16, sample, 16);
	gcry_cipher_close(c);
	return ok;
}

/* AES-128-GCM open in place: p[0..n) is ciphertext then the 16-byte tag. */
static bool
quic_open(const struct quic_keys *k, uint64_t pn, const uint8_t *aad, size_t aad_len, uint8_t *p,
	  size_t n)
{
	gcry_cipher_hd_t c;
	uint8_t nonce[12];
	bool ok;

	if (n < 16)
		return false;
	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	if (gcry_cipher_open(&c, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0))
		return false;
	ok = !gcry_cipher_setkey(c, k->key, 16) && !gcry_cipher_setiv(c, nonce, 12) &&
	     !gcry_cipher_authenticate(c, aad, aad_len) &&
	     !gcry_cipher_decrypt(c, p, n - 16, NULL, 0) &&
	     !gcry_cipher_checktag(c, p + n - 16, 16);
	gcry_cipher_close(c);
	return ok;
}

/* A variable-length integer (RFC 9000 16). */
static bool
quic_varint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	size_t len;

	if (*off >= n)
		return false;
	len = (size_t)1 << (p[*off] >> 6);
	if (len > n - *off)
		return false;
	*v = p[*off] & 0x3f;
	for (size_t i = 1; i < len; i++)
		*v = *v << 8 | p[*off + i];
	*off += len;
	return true;
}

/* CRYPTO data at offset: kept, then the hello read once whole. */
static void
quic_crypto(struct quic_conn *q, struct tls_facts *f, enum dir dir, uint64_t off, const uint8_t *p,
	    size_t n)
{
	struct quic_crypto_buf *b = &q->crypto[dir];
	size_t have = 0;
	uint32_t len;

	if (b->done)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t at = off + i;

		if (at >= QUIC_CRYPTO_MAX) {
			f->cap_hits++;
			break;
		}
		b->data[at] = p[i];
		b->have[at / 8] |= (uint8_t)(1u << (at % 8));
	}
	while (have < QUIC_CRYPTO_MAX && (b->have[have / 8] & (1u << (have % 8))))
		have++;
	if (have < 4)
		return;
	len = (uint32_t)b->data[1] << 16 | (uint32_t)b->data[2] << 8 | b->data[3];
	if (4 + (size_t)len > QUIC_CRYPTO_MAX) {
		f->anomalies |= TLS_ANOM_HS_CAP;
		b->done = true;
		return;
	}
	if (have < 4 + (size_t)len)
		return;
	b->done = true;
	if (b->data[0] == TLS_HS_CLIENT_HELLO && dir == DIR_C2S)
		tls_hello_parse_client(f, b->data + 4, len, TLS_HELLO_TLS);
	else if (b->data[0] == TLS_HS_SERVER_HELLO && dir == DIR_S2C) {
		tls_hello_parse_server(f, b->data + 4, len, TLS_HELLO_TLS);
		/* QUIC is TLS 1.3 (RFC 9001 4.2): the certificate is encrypted. */
		if (f->server_hello && f->cert.state == TLS_CERT_NONE)
			f->cert.state = TLS_CERT_ENCRYPTED;
	} else
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
}

/* The frames of a decrypted Initial payload (RFC 9000 17.2.2: PADDING,
 * PING, ACK, CRYPTO, CONNECTION_CLOSE). */
static void
quic_frames(struct quic_conn *q, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		uint64_t type, a, b, c;

		if (!quic_varint(p, n, &off, &type))
			break;
		if (type == 0x00 || type == 0x01)
			continue;
		if (type == 0x02 || type == 0x03) { /* ACK */
			uint64_t ranges;

			if (!quic_varint(p, n, &off, &a) || !quic_varint(p, n, &off, &b) ||
			    !quic_varint(p, n, &off, &ranges) || !quic_varint(p, n, &off, &c))
				break;
			for (uint64_t i = 0; i < ranges && i < 256; i++)
				if (!quic_varint(p, n, &off, &a) || !quic_varint(p, n, &off, &b))
					return;
			if (type == 0x03)
				for (int i = 0; i < 3; i++)
					if (!quic_varint(p, n, &off, &a))
						return;
			continue;
		}
		if (type == 0x06) { /* CRYPTO */
			if (!quic_varint(p, n, &off, &a) || !quic_varint(p, n, &off, &b) ||
			    b > n - off)
				break;
			quic_crypto(q, f, dir, a, p + off, (size_t)b);
			off += (size_t)b;
			continue;
		}
		if (type == 0x1c) { /* CONNECTION_CLOSE: error, frame type, reason */
			if (!quic_varint(p, n, &off, &a) || !quic_varint(p, n, &off, &b) ||
			    !quic_varint(p, n, &off, &c))
				break;
			/* 0x0100-0x01ff: a TLS alert (RFC 9001 4.8). */
			if (a >= 0x100 && a <= 0x1ff && !(f->alert && f->alert_level == 2)) {
				f->alert = true;
				f->alert_dir = dir;
				f->alert_level = 2;
				f->alert_desc = (uint8_t)(a & 0xff);
			}
			break;
		}
		f->anomalies |= TLS_ANOM_BAD_RECORD; /* not allowed in an Initial */
		break;
	}
}

/* One Initial packet p[0..n) (n: to the end of its Length); false when it
 * cannot be opened. */
static bool
quic_initial(struct quic_conn *q, struct tls_facts *f, enum dir dir, uint32_t version,
	     const uint8_t *p, size_t n, size_t pn_off)
{
	struct quic_keys k;
	uint8_t mask[16], hdr[64 + 4], *pl;
	size_t pn_len;
	uint64_t pn = 0;

	if (pn_off + 4 + 16 > n || pn_off + 4 > sizeof(hdr))
		return false;
	if (!quic_initial_keys(version, q->dcid, q->dcid_len, dir == DIR_S2C, &k) ||
	    !quic_hp_mask(k.hp, p + pn_off + 4, mask))
		return false;
	memcpy(hdr, p, pn_off + 4);
	hdr[0] ^= mask[0] & 0x0f;
	pn_len = (size_t)(hdr[0] & 0x03) + 1;
	for (size_t i = 0; i < pn_len; i++) {
		hdr[pn_off + i] ^= mask[1 + i];
		pn = pn << 8 | hdr[pn_off + i];
	}
	if (n - pn_off - pn_len < 16)
		return false;
	pl = malloc(n - pn_off - pn_len);
	if (!pl)
		return false;
	memcpy(pl, p + pn_off + pn_len, n - pn_off - pn_len);
	if (!quic_open(&k, pn, hdr, pn_off + pn_len, pl, n - pn_off - pn_len)) {
		free(pl);
		return false;
	}
	quic_frames(q, f, dir, pl, n - pn_off - pn_len - 16);
	free(pl);
	return true;
}

static void
quic_update_established(struct tls_facts *f)
{
	if (!f->established && f->server_hello && f->encrypted[DIR_C2S] && f->encrypted[DIR_S2C] &&
	    !(f->alert && f->alert_level == 2))
		f->established = true;
}

void
quic_datagram(struct quic_conn *q, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	while (n > 0) {
		uint32_t version;
		size_t off = 6, dlen, slen, end;
		uint64_t tok, len;
		unsigned type;

		if (!(p[0] & 0x80)) { /* short header: 1-RTT, encrypted */
			f->records[dir]++;
			f->encrypted[dir] = true;
			break;
		}
		if (n < 7)
			break;
		version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
		if (version == 0) /* Version Negotiation */
			break;
		dlen = p[5];
		if (dlen > 20 || off + dlen + 1 > n)
			break;
		if (!q->dcid_set && dir == DIR_C2S) {
			memcpy(q->dcid, p + off, dlen);
			q->dcid_len = (uint8_t)dlen;
			q->dcid_set = true;
			q->version = version;
		}
		off += dlen;
		slen = p[off++];
		if (slen > 20 || off + slen > n)
			break;
		off += slen;
		type = (p[0] >> 4) & 3;
		f->records[dir]++;
		if (type == quic_initial_type(version)) {
			if (!quic_varint(p, n, &off, &tok) || tok > n - off)
				break;
			off += (size_t)tok;
		} else if (type != quic_handshake_type(version) &&
			   type != (version == QUIC_V2 ? 2u : 1u)) {
			break; /* Retry: nothing more in this datagram */
		}
		if (!quic_varint(p, n, &off, &len) || len > n - off)
			break;
		end = off + (size_t)len;
		if (type == quic_initial_type(version)) {
			if (q->dcid_set && !quic_initial(q, f, dir, version, p, end, off))
				f->anomalies |= TLS_ANOM_BAD_RECORD;
		} else if (f->server_hello) {
			f->encrypted[dir] = true; /* Handshake or 0-RTT keys */
		}
		p += end;
		n -= end;
	}
	quic_update_established(f);
}

bool
quic_sniff_initial(const uint8_t *p, size_t n)
{
	uint32_t version;
	size_t off = 6, dlen, slen;
	uint64_t tok, len;

	/* Long header, fixed bit, Initial of a version we can read; a client
	 * Initial travels in a datagram of at least 1200 bytes (RFC 9000
	 * 14.1), but a capture may cut it: only the header is checked. */
	if (n < 7 || (p[0] & 0xc0) != 0xc0)
		return false;
	version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (!quic_salt(version) || ((p[0] >> 4) & 3) != quic_initial_type(version))
		return false;
	dlen = p[5];
	if (dlen < 8 || dlen > 20 || off + dlen + 1 > n)
		return false;
	off += dlen;
	slen = p[off++];
	if (slen > 20 || off + slen > n)
		return false;
	off += slen;
	return quic_varint(p, n, &off, &tok) && tok <= n - off && (off += (size_t)tok, true) &&
	       quic_varint(p, n, &off, &len) && len >= 20 && len <= n - off;
}
