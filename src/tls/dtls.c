/*
 * dtls.c - DTLS records, one datagram at a time, into the same facts as
 * TLS (struct tls_facts): the hellos read by src/tls/hello.c, the server's
 * certificate (DTLS <= 1.2) read by src/tls/cert.c, alerts in the clear,
 * which directions went encrypted, and so whether the handshake completed.
 *
 * References: RFC 6347 (DTLS 1.2; 1.0 in RFC 4347): 4.1 the record layer
 * (type, version 0xfeff or 0xfefd, epoch, sequence number, length; several
 * records per datagram), 4.2.2 the handshake header (length, message_seq,
 * fragment_offset, fragment_length), 4.2.1 HelloVerifyRequest, 4.2.3
 * message fragmentation and reassembly, 4.2.4 retransmission (a message
 * sent again keeps its message_seq); RFC 9147 (DTLS 1.3): 4 the unified
 * header of encrypted records (first byte 001CSLEE), 5.3 the ClientHello,
 * version 0xfefc in supported_versions.
 *
 * What a record means follows from the facts so far. A record with
 * epoch > 0, a ChangeCipherSpec, or a DTLS 1.3 unified header is that
 * direction going encrypted; the handshake is established with a
 * ServerHello and encrypted records both ways and no fatal alert in the
 * clear (as for TLS).
 *
 * The one message reassembled across records and datagrams is the server's
 * Certificate (struct dtls_conn, tls.h), as TLS reads it (record.c): its
 * fragments may come in any order, several times (retransmissions) and
 * overlapping. The first fragment fixes the message (message_seq and
 * length); a fragment that claims another length or message_seq, or whose
 * bytes differ from those already held where they overlap, is an anomaly:
 * the former is left out, the latter makes the certificate unreadable (two
 * versions of it were sent; which one the client took cannot be told). A
 * message longer than TLS_HS_CAP is counted (cap_hits) and not read, as
 * over TCP. Once DTLS 1.3 is known (its ServerHello, a HelloRetryRequest,
 * a unified header) the certificate is "encrypted" (RFC 9147: it goes in
 * epoch 2). A Certificate whose fragments did not all come stays unread.
 *
 * Not handled: a hello fragmented over several records or datagrams (the
 * first fragment marks the hello seen; its SNI and ALPN are read only when
 * the fragment holds the whole message), DTLS over SCTP, DTLS 1.3's ACK
 * and connection ids beyond the header's own flags.
 */
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "tls_hello.h"

#define DTLS_HDR 13
#define DTLS_HS_HDR 12

enum {
	DTLS_CT_CCS = 20,
	DTLS_CT_ALERT = 21,
	DTLS_CT_HANDSHAKE = 22,
	DTLS_CT_APPDATA = 23,
	DTLS_CT_ACK = 26, /* RFC 9147 7 */
};

static bool
dtls_version_ok(uint16_t v)
{
	return v == 0xfeff || v == 0xfefd || v == 0xfefc;
}

static void
dtls_update_established(struct tls_facts *f)
{
	if (!f->established && f->server_hello && f->encrypted[DIR_C2S] && f->encrypted[DIR_S2C] &&
	    !(f->alert && f->alert_level == 2))
		f->established = true;
}

/* The certificate cannot be read in the clear any more (or was): what is
 * held of it goes. */
static void
dtls_cert_stop(struct dtls_conn *d)
{
	free(d->cert_buf);
	d->cert_buf = NULL;
	d->cert_have = 0;
	d->cert_done = true;
}

/* DTLS 1.3: the server's certificate is in the encrypted part. */
static void
dtls_cert_encrypted(struct dtls_conn *d, struct tls_facts *f)
{
	d->tls13 = true;
	if (f->cert.state == TLS_CERT_NONE)
		f->cert.state = TLS_CERT_ENCRYPTED;
	dtls_cert_stop(d);
}

/* Starts reassembling a Certificate of len bytes, message_seq seq; false
 * when it is not to be read (too large, out of memory). */
static bool
dtls_cert_begin(struct dtls_conn *d, struct tls_facts *f, uint32_t len, uint16_t seq)
{
	if (len > TLS_HS_CAP) {
		f->anomalies |= TLS_ANOM_HS_CAP;
		f->cap_hits++;
		dtls_cert_stop(d);
		return false;
	}
	/* The body, then one bit per byte of it: which ones came. (An empty
	 * body is read at once, from a buffer of one byte.) */
	d->cert_buf = calloc(1, len ? (size_t)len + (len + 7) / 8 : 1);
	if (!d->cert_buf) {
		dtls_cert_stop(d);
		return false;
	}
	d->cert_len = len;
	d->cert_seq = seq;
	d->cert_have = 0;
	return true;
}

/*
 * One fragment of the server's Certificate (RFC 6347 4.2.3): frag holds
 * bytes [off, off + flen) of a body of len bytes. The caller checked that
 * frag holds flen bytes; nothing here trusts off, flen or len otherwise.
 */
static void
dtls_cert_fragment(struct dtls_conn *d, struct tls_facts *f, uint32_t len, uint16_t seq,
		   uint32_t off, const uint8_t *frag, uint32_t flen)
{
	uint8_t *seen;

	if (d->cert_done || d->tls13 || f->cert.state != TLS_CERT_NONE)
		return;
	if (off > len || flen > len - off) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE; /* past the message's end */
		return;
	}
	if (!d->cert_buf) {
		if (flen == 0 && len > 0)
			return; /* nothing to keep: no buffer for it */
		if (!dtls_cert_begin(d, f, len, seq))
			return;
	} else if (len != d->cert_len || seq != d->cert_seq) {
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE; /* another message than the first */
		return;
	}
	seen = d->cert_buf + d->cert_len;
	for (uint32_t i = 0; i < flen; i++) {
		uint32_t at = off + i;
		uint8_t bit = (uint8_t)(1u << (at & 7));

		if (seen[at >> 3] & bit) {
			if (d->cert_buf[at] == frag[i])
				continue; /* sent again, the same */
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
			f->cert.state = TLS_CERT_BAD;
			dtls_cert_stop(d);
			return;
		}
		seen[at >> 3] |= bit;
		d->cert_buf[at] = frag[i];
		d->cert_have++;
	}
	if (d->cert_have == d->cert_len) {
		tls_cert_parse(&f->cert, d->cert_buf, d->cert_len);
		dtls_cert_stop(d);
	}
}

/* A whole ServerHello: after a DTLS 1.3 one (or a HelloRetryRequest, which
 * only DTLS 1.3 sends) the certificate goes encrypted. */
static void
dtls_server_hello(struct dtls_conn *d, struct tls_facts *f, const uint8_t *p, size_t n)
{
	switch (tls_hello_parse_server(f, p, n, TLS_HELLO_DTLS)) {
	case TLS_HELLO_RETRY:
		d->tls13 = true;
		dtls_cert_stop(d);
		break;
	case TLS_HELLO_ENCRYPTED:
		dtls_cert_encrypted(d, f);
		break;
	case TLS_HELLO_OK:
		if (d->tls13)
			dtls_cert_encrypted(d, f);
		break;
	case TLS_HELLO_MALFORMED:
		break;
	}
}

/* The handshake message fragments of an epoch-0 record. */
static void
dtls_handshake(struct dtls_conn *d, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	while (n >= DTLS_HS_HDR) {
		uint8_t type = p[0];
		uint32_t len = (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		uint16_t seq = (uint16_t)(p[4] << 8 | p[5]);
		uint32_t off = (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8];
		uint32_t flen = (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];

		if (flen > n - DTLS_HS_HDR) {
			f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
			return;
		}
		if (type == TLS_HS_CLIENT_HELLO || type == TLS_HS_SERVER_HELLO) {
			if (off == 0 && flen == len) {
				if (type == TLS_HS_CLIENT_HELLO)
					tls_hello_parse_client(f, p + DTLS_HS_HDR, flen,
							       TLS_HELLO_DTLS);
				else
					dtls_server_hello(d, f, p + DTLS_HS_HDR, flen);
			} else if (off == 0 && type == TLS_HS_CLIENT_HELLO) {
				f->client_hello = true; /* fragmented: seen, not read */
			} else if (off == 0) {
				f->server_hello = true;
			}
		} else if (type == TLS_HS_CERTIFICATE && dir == DIR_S2C) {
			dtls_cert_fragment(d, f, len, seq, off, p + DTLS_HS_HDR, flen);
		}
		p += DTLS_HS_HDR + flen;
		n -= DTLS_HS_HDR + flen;
	}
	if (n)
		f->anomalies |= TLS_ANOM_BAD_HANDSHAKE;
}

static void
dtls_alert(struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	uint8_t level, desc;

	if (n != 2 || (p[0] != 1 && p[0] != 2)) {
		f->anomalies |= TLS_ANOM_BAD_RECORD;
		return;
	}
	level = p[0];
	desc = p[1];
	if (!f->alert || (level == 2 && f->alert_level != 2)) {
		f->alert = true;
		f->alert_dir = dir;
		f->alert_level = level;
		f->alert_desc = desc;
	}
}

/* Keeps the first bytes of a datagram that is not DTLS, as TLS does for a
 * stream. */
static void
dtls_not_dtls(struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	if (!f->not_tls[dir]) {
		size_t k = n < sizeof(f->first_bytes[dir]) ? n : sizeof(f->first_bytes[dir]);

		memcpy(f->first_bytes[dir], p, k);
	}
	f->not_tls[dir] = true;
	f->first_bytes_len[dir] += n;
}

void
dtls_datagram(struct dtls_conn *d, struct tls_facts *f, enum dir dir, const uint8_t *p, size_t n)
{
	bool first = true;

	while (n > 0) {
		uint16_t version, epoch, len;
		uint8_t type = p[0];

		if ((type & 0xe0) == 0x20) {
			/* DTLS 1.3 unified header: encrypted, its length (when
			 * the L bit is set) or the rest of the datagram. */
			size_t hdr = 1 + ((type & 0x08) ? 2 : 1) + ((type & 0x04) ? 2 : 0);

			f->records[dir]++;
			f->encrypted[dir] = true;
			dtls_cert_encrypted(d, f); /* only DTLS 1.3 has it */
			if ((type & 0x04) && n >= hdr) {
				size_t l = (size_t)(p[hdr - 2] << 8 | p[hdr - 1]);

				if (l <= n - hdr) {
					p += hdr + l;
					n -= hdr + l;
					first = false;
					continue;
				}
			}
			break;
		}
		if (n < DTLS_HDR) {
			if (first)
				dtls_not_dtls(f, dir, p, n);
			else
				f->anomalies |= TLS_ANOM_BAD_RECORD;
			break;
		}
		version = (uint16_t)(p[1] << 8 | p[2]);
		epoch = (uint16_t)(p[3] << 8 | p[4]);
		len = (uint16_t)(p[11] << 8 | p[12]);
		if (type < DTLS_CT_CCS || type > DTLS_CT_ACK || !dtls_version_ok(version) ||
		    len > n - DTLS_HDR) {
			if (first)
				dtls_not_dtls(f, dir, p, n);
			else
				f->anomalies |= TLS_ANOM_BAD_RECORD;
			break;
		}
		f->records[dir]++;
		if (epoch > 0 || type == DTLS_CT_CCS || type == DTLS_CT_APPDATA) {
			f->encrypted[dir] = true;
		} else if (type == DTLS_CT_HANDSHAKE) {
			dtls_handshake(d, f, dir, p + DTLS_HDR, len);
		} else if (type == DTLS_CT_ALERT) {
			dtls_alert(f, dir, p + DTLS_HDR, len);
		}
		p += DTLS_HDR + len;
		n -= DTLS_HDR + len;
		first = false;
	}
	dtls_update_established(f);
}

void
dtls_conn_free(struct dtls_conn *d)
{
	free(d->cert_buf);
	d->cert_buf = NULL;
}

size_t
dtls_conn_heap_bytes(const struct dtls_conn *d)
{
	return d->cert_buf ? (size_t)d->cert_len + (d->cert_len + 7) / 8 : 0;
}

bool
dtls_sniff_client(const uint8_t *p, size_t n)
{
	uint16_t version, len;

	/* A handshake record of epoch 0 whose first message is a ClientHello
	 * (possibly its first fragment), in a record that fits the datagram. */
	if (n < DTLS_HDR + DTLS_HS_HDR || p[0] != DTLS_CT_HANDSHAKE)
		return false;
	version = (uint16_t)(p[1] << 8 | p[2]);
	len = (uint16_t)(p[11] << 8 | p[12]);
	if (!dtls_version_ok(version) || p[3] != 0 || p[4] != 0 || len > n - DTLS_HDR ||
	    len < DTLS_HS_HDR)
		return false;
	p += DTLS_HDR;
	return p[0] == TLS_HS_CLIENT_HELLO && p[6] == 0 && p[7] == 0 && p[8] == 0 && p[4] == 0 &&
	       p[5] == 0 && /* message_seq 0 */
	       (uint32_t)(p[9] << 16 | p[10] << 8 | p[11]) <= (uint32_t)len - DTLS_HS_HDR;
}

bool
dtls_sniff_record(const uint8_t *p, size_t n)
{
	uint16_t version, len;

	if (n < DTLS_HDR || p[0] < DTLS_CT_CCS || p[0] > DTLS_CT_APPDATA)
		return false;
	version = (uint16_t)(p[1] << 8 | p[2]);
	len = (uint16_t)(p[11] << 8 | p[12]);
	return dtls_version_ok(version) && len <= n - DTLS_HDR;
}
