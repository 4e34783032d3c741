/*
 * test_dtls.c - DTLS records one datagram at a time (src/tls/dtls.c): the
 * sniffer, a DTLS 1.2 handshake with a HelloVerifyRequest read to
 * established, the ClientHello's SNI and ALPN, a fatal alert in the clear,
 * DTLS 1.3's unified header, every cut of a datagram; the server's
 * Certificate reassembled from its fragments (a real server's flight,
 * dtls_vectors.h, as sent, reordered and repeated; the same message cut
 * into fragments of 1, 2, 3, 7, 64 bytes and whole; overlaps, gaps, lies
 * about lengths, the cap, DTLS 1.3); and through the session and the
 * verdict: implicit TLS on any UDP port, tls-failed/alert,
 * tls-failed/no-answer for a ClientHello nothing answered, the certificate
 * in the session's facts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtls_vectors.h"
#include "session.h"
#include "tls.h"
#include "verdict.h"

struct buf {
	uint8_t b[1024];
	size_t n;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
put8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void
put16(struct buf *b, uint16_t v)
{
	put8(b, (uint8_t)(v >> 8));
	put8(b, (uint8_t)v);
}

static void
put24(struct buf *b, uint32_t v)
{
	put8(b, (uint8_t)(v >> 16));
	put16(b, (uint16_t)v);
}

/* A DTLS ClientHello body: version 0xfefd, a cookie, one suite, SNI and
 * ALPN "dot". */
static void
client_hello_body(struct buf *b, const char *sni, size_t cookie)
{
	struct buf ext = {0};
	uint8_t random[32] = {1, 2, 3};

	put16(b, 0xfefd);
	put(b, random, sizeof(random));
	put8(b, 0); /* session id */
	put8(b, (uint8_t)cookie);
	for (size_t i = 0; i < cookie; i++)
		put8(b, (uint8_t)i);
	put16(b, 2);
	put16(b, 0xc02f);
	put8(b, 1);
	put8(b, 0);
	put16(&ext, 0x0000); /* server_name */
	put16(&ext, (uint16_t)(strlen(sni) + 5));
	put16(&ext, (uint16_t)(strlen(sni) + 3));
	put8(&ext, 0);
	put16(&ext, (uint16_t)strlen(sni));
	put(&ext, sni, strlen(sni));
	put16(&ext, 0x0010); /* ALPN */
	put16(&ext, 6);
	put16(&ext, 4);
	put8(&ext, 3);
	put(&ext, "dot", 3);
	put16(b, (uint16_t)ext.n);
	put(b, ext.b, ext.n);
}

/* A ServerHello body, DTLS 1.3 through supported_versions when v13. */
static void
server_hello_body(struct buf *b, bool v13)
{
	uint8_t random[32] = {9, 8, 7};

	put16(b, 0xfefd);
	put(b, random, sizeof(random));
	put8(b, 0);
	put16(b, v13 ? 0x1301 : 0xc02f);
	put8(b, 0);
	if (v13) {
		put16(b, 6);
		put16(b, 0x002b);
		put16(b, 2);
		put16(b, 0xfefc);
	} else {
		put16(b, 0);
	}
}

/* One record: header (epoch 0 unless given) and body. */
static void
record(struct buf *d, uint8_t type, uint16_t epoch, const uint8_t *p, size_t n)
{
	uint8_t seq[6] = {0, 0, 0, 0, 0, 1};

	put8(d, type);
	put16(d, 0xfefd);
	put16(d, epoch);
	put(d, seq, sizeof(seq));
	put16(d, (uint16_t)n);
	put(d, p, n);
}

/* A handshake record holding one whole message. */
static void
hs_record(struct buf *d, uint8_t type, uint16_t seq, const struct buf *body)
{
	struct buf m = {0};

	put8(&m, type);
	put24(&m, (uint32_t)body->n);
	put16(&m, seq);
	put24(&m, 0);
	put24(&m, (uint32_t)body->n);
	put(&m, body->b, body->n);
	record(d, 22, 0, m.b, m.n);
}

static void
client_hello_datagram(struct buf *d, size_t cookie)
{
	struct buf body = {0};

	client_hello_body(&body, "dtls.tlswatch.test", cookie);
	hs_record(d, 1, cookie ? 1 : 0, &body);
}

static void
server_hello_datagram(struct buf *d, bool v13)
{
	struct buf body = {0};

	server_hello_body(&body, v13);
	hs_record(d, 2, 1, &body);
}

static void
test_dtls_sniff_takes_a_client_hello_and_nothing_else(void **unused)
{
	struct buf d = {0};
	static const uint8_t tls_ch[] = {0x16, 0x03, 0x01, 0x00, 0x30, 0x01, 0, 0, 0x2c, 0x03, 0x03,
					 0,    0,    0,	   0,	 0,    0,    0, 0, 0,	 0,    0};
	static const uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0,
				      0,    0,	  0,	0,    1,    'a',  0, 0};

	(void)unused;
	client_hello_datagram(&d, 0);
	assert_true(dtls_sniff_client(d.b, d.n));
	for (size_t n = 0; n < 25; n++)
		assert_false(dtls_sniff_client(d.b, n));
	assert_false(dtls_sniff_client(tls_ch, sizeof(tls_ch)));
	assert_false(dtls_sniff_client(dns, sizeof(dns)));
	d.b[3] = 1; /* epoch 1: not a start */
	assert_false(dtls_sniff_client(d.b, d.n));
}

static void
test_dtls_12_handshake_with_a_cookie_is_established(void **unused)
{
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d;
	struct buf hvr = {0}, body = {0};
	static const uint8_t ccs = 1, enc[24] = {0xaa};
	char v[8];

	(void)unused;
	memset(&f, 0, sizeof(f));
	d.n = 0;
	client_hello_datagram(&d, 0);
	dtls_datagram(&dc, &f, DIR_C2S, d.b, d.n);
	assert_true(f.client_hello);
	assert_string_equal(f.sni, "dtls.tlswatch.test");
	assert_string_equal(f.alpn, "dot");
	/* HelloVerifyRequest: version, cookie. */
	put16(&body, 0xfeff);
	put8(&body, 4);
	put(&body, "\x01\x02\x03\x04", 4);
	hs_record(&hvr, 3, 0, &body);
	dtls_datagram(&dc, &f, DIR_S2C, hvr.b, hvr.n);
	assert_false(f.server_hello);
	d.n = 0;
	client_hello_datagram(&d, 4);
	dtls_datagram(&dc, &f, DIR_C2S, d.b, d.n);
	d.n = 0;
	server_hello_datagram(&d, false);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_true(f.server_hello);
	assert_string_equal(tls_version_name(f.version, v), "DTLSv1.2");
	assert_int_equal(f.cipher, 0xc02f);
	assert_false(f.established);
	/* Client: CCS and its Finished (epoch 1) in one datagram. */
	d.n = 0;
	record(&d, 20, 0, &ccs, 1);
	record(&d, 22, 1, enc, sizeof(enc));
	dtls_datagram(&dc, &f, DIR_C2S, d.b, d.n);
	assert_true(f.encrypted[DIR_C2S]);
	assert_false(f.established);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_true(f.established);
	assert_int_equal(f.anomalies, 0);
	assert_int_equal(f.records[DIR_C2S], 4);
}

static void
test_dtls_13_unified_header_records_are_encrypted(void **unused)
{
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};
	/* 001 C=0 S=1 L=1 EE=11, sequence 2 bytes, length 2, then 5 bytes. */
	static const uint8_t unified[] = {0x2f, 0x00, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5};
	char v[8];

	(void)unused;
	memset(&f, 0, sizeof(f));
	client_hello_datagram(&d, 0);
	dtls_datagram(&dc, &f, DIR_C2S, d.b, d.n);
	d.n = 0;
	server_hello_datagram(&d, true);
	put(&d, unified, sizeof(unified)); /* EncryptedExtensions ... */
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_string_equal(tls_version_name(f.version, v), "DTLSv1.3");
	assert_true(f.encrypted[DIR_S2C]);
	dtls_datagram(&dc, &f, DIR_C2S, unified, sizeof(unified));
	assert_true(f.established);
}

static void
test_dtls_fatal_alert_in_the_clear_is_kept(void **unused)
{
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};
	static const uint8_t alert[] = {2, 48}; /* fatal unknown_ca */

	(void)unused;
	memset(&f, 0, sizeof(f));
	record(&d, 21, 0, alert, sizeof(alert));
	dtls_datagram(&dc, &f, DIR_C2S, d.b, d.n);
	assert_true(f.alert);
	assert_int_equal(f.alert_level, 2);
	assert_int_equal(f.alert_desc, 48);
	assert_int_equal(f.alert_dir, DIR_C2S);
}

static void
test_dtls_every_cut_of_a_datagram_is_safe(void **unused)
{
	struct buf d = {0};

	(void)unused;
	client_hello_datagram(&d, 7);
	server_hello_datagram(&d, true);
	for (size_t n = 0; n <= d.n; n++) {
		struct tls_facts f;
		struct dtls_conn dc = {0};

		memset(&f, 0, sizeof(f));
		dtls_datagram(&dc, &f, DIR_C2S, d.b, n);
		assert_false(f.established);
		(void)dtls_sniff_client(d.b, n);
		(void)dtls_sniff_record(d.b, n);
	}
}

static void
test_dtls_text_is_not_dtls_and_kept_as_evidence(void **unused)
{
	struct tls_facts f;
	struct dtls_conn dc = {0};

	(void)unused;
	memset(&f, 0, sizeof(f));
	dtls_datagram(&dc, &f, DIR_C2S, (const uint8_t *)"HELLO this is text", 18);
	assert_true(f.not_tls[DIR_C2S]);
	assert_memory_equal(f.first_bytes[DIR_C2S], "HELLO", 5);
	assert_int_equal(f.records[DIR_C2S], 0);
}

/* ---- The server's Certificate -------------------------------------------- */

/* The certificate of pcaps/dtls-4433.pcap: its SHA-256 as
 * `openssl x509 -fingerprint -sha256` prints it for the DER that tshark
 * extracts from the capture. */
static const uint8_t flight_cert_sha256[32] = {0xcb, 0xe5, 0x4e, 0x7c, 0x65, 0x24, 0xac, 0x92,
					       0x10, 0xe2, 0x1a, 0x97, 0x94, 0x0f, 0xa9, 0x4c,
					       0x3f, 0xd1, 0x0b, 0xfa, 0x98, 0xea, 0xdd, 0xf1,
					       0x2b, 0x12, 0x05, 0x5c, 0xe6, 0x33, 0xbb, 0x18};

#define FLIGHT_CERT_LEN 924 /* the Certificate body's length in the capture */
#define FLIGHT_CERT_SEQ 2   /* its message_seq */

/* The Certificate body of the real flight, put together from its
 * fragments by hand (trusting them: they are the test's own). */
static void
flight_cert_body(uint8_t out[FLIGHT_CERT_LEN])
{
	size_t got = 0;

	for (size_t i = 0; i < sizeof(dtls_flight) / sizeof(dtls_flight[0]); i++) {
		const uint8_t *p = dtls_flight[i].p;
		size_t n = dtls_flight[i].n;

		while (n >= 13) {
			size_t rl = (size_t)(p[11] << 8 | p[12]);
			const uint8_t *h = p + 13;

			if (p[0] == 22 && h[0] == 11) {
				uint32_t off = (uint32_t)(h[6] << 16 | h[7] << 8 | h[8]);
				uint32_t fl = (uint32_t)(h[9] << 16 | h[10] << 8 | h[11]);

				assert_true(off + fl <= FLIGHT_CERT_LEN);
				memcpy(out + off, h + 12, fl);
				got += fl;
			}
			p += 13 + rl;
			n -= 13 + rl;
		}
	}
	assert_int_equal(got, FLIGHT_CERT_LEN);
}

/* One handshake fragment (type, length, message_seq, offset, bytes) in a
 * record of epoch 0 appended to d. */
static void
hs_fragment(struct buf *d, uint8_t type, uint32_t len, uint16_t seq, uint32_t off, const uint8_t *p,
	    uint32_t flen)
{
	struct buf m = {0};

	put8(&m, type);
	put24(&m, len);
	put16(&m, seq);
	put24(&m, off);
	put24(&m, flen);
	put(&m, p, flen);
	record(d, 22, 0, m.b, m.n);
}

/* A fragment of the flight's Certificate body at [off, off + flen). */
static void
cert_fragment(struct buf *d, const uint8_t *body, uint32_t off, uint32_t flen)
{
	hs_fragment(d, 11, FLIGHT_CERT_LEN, FLIGHT_CERT_SEQ, off, body + off, flen);
}

/* Feeds the flight's datagrams in the order given by idx (indexes into
 * dtls_flight), each from a buffer of its own size (ASan sees overreads). */
static void
feed_flight(struct dtls_conn *dc, struct tls_facts *f, const size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = dtls_flight[idx[i]].n;
		uint8_t *copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, dtls_flight[idx[i]].p, len);
		dtls_datagram(dc, f, DIR_S2C, copy, len);
		free(copy);
	}
}

static void
assert_flight_cert(const struct tls_facts *f)
{
	const struct tls_cert *c = &f->cert;

	assert_int_equal(c->state, TLS_CERT_READ);
	assert_string_equal(c->subject, "dtls.tlswatch.test");
	assert_string_equal(c->issuer, "dtls.tlswatch.test");
	assert_string_equal(c->names, "dtls.tlswatch.test");
	assert_true(c->self_signed);
	assert_string_equal(c->key, "rsa2048");
	assert_int_equal(c->chain, 1);
	assert_memory_equal(c->h[0].cert256, flight_cert_sha256, 32);
}

static void
test_dtls_12_certificate_of_a_real_server_is_read_from_its_five_fragments(void **unused)
{
	static const size_t in_order[] = {0, 1, 2, 3, 4, 5, 6};
	struct tls_facts f;
	struct dtls_conn dc = {0};
	char v[8];

	(void)unused;
	memset(&f, 0, sizeof(f));
	feed_flight(&dc, &f, in_order, 4); /* ServerHello + four of five fragments */
	assert_int_equal(f.cert.state, TLS_CERT_NONE);
	assert_int_equal(dtls_conn_heap_bytes(&dc), FLIGHT_CERT_LEN + (FLIGHT_CERT_LEN + 7) / 8);
	feed_flight(&dc, &f, in_order + 4, 3);
	assert_string_equal(tls_version_name(f.version, v), "DTLSv1.2");
	assert_flight_cert(&f);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0); /* freed once read */
	assert_int_equal(f.anomalies, 0);
	assert_int_equal(f.cap_hits, 0);
	dtls_conn_free(&dc);
}

static void
test_dtls_certificate_fragments_in_any_order_and_repeated_give_the_same_certificate(void **unused)
{
	static const size_t orders[][10] = {
		{6, 5, 4, 3, 2, 1, 0, 6, 5, 4}, /* reversed, then some again */
		{2, 4, 1, 0, 3, 6, 5, 0, 1, 2},
		{1, 1, 2, 2, 3, 3, 4, 4, 0, 0}, /* every datagram twice */
		{4, 0, 4, 3, 4, 2, 4, 1, 4, 4}, /* the last fragment over and over */
	};
	static const size_t in_order[] = {0, 1, 2, 3, 4, 5, 6};
	struct tls_facts want;
	struct dtls_conn dc = {0};

	(void)unused;
	memset(&want, 0, sizeof(want));
	feed_flight(&dc, &want, in_order, 7);
	dtls_conn_free(&dc);
	assert_flight_cert(&want);
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		struct tls_facts f;

		memset(&f, 0, sizeof(f));
		memset(&dc, 0, sizeof(dc));
		feed_flight(&dc, &f, orders[o], 10);
		assert_memory_equal(&f.cert, &want.cert, sizeof(f.cert));
		assert_int_equal(f.anomalies, 0);
		assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
		dtls_conn_free(&dc);
	}
}

/* Fragments of `size` bytes (0: whole), sent last first when reversed,
 * as many records to a datagram as fit in a struct buf (the whole message
 * fits in one). */
static void
feed_cert_in_fragments(struct dtls_conn *dc, struct tls_facts *f, const uint8_t *body,
		       uint32_t size, bool reversed)
{
	uint32_t step = size ? size : FLIGHT_CERT_LEN;
	uint32_t count = (FLIGHT_CERT_LEN + step - 1) / step;
	struct buf d = {0};

	for (uint32_t k = 0; k < count; k++) {
		uint32_t i = reversed ? count - 1 - k : k;
		uint32_t off = i * step;
		uint32_t flen = FLIGHT_CERT_LEN - off < step ? FLIGHT_CERT_LEN - off : step;

		if (d.n + 25 + flen > sizeof(d.b)) {
			dtls_datagram(dc, f, DIR_S2C, d.b, d.n);
			d.n = 0;
		}
		cert_fragment(&d, body, off, flen);
	}
	if (d.n)
		dtls_datagram(dc, f, DIR_S2C, d.b, d.n);
}

static void
test_dtls_certificate_in_fragments_of_1_2_3_7_64_bytes_and_whole_is_the_same(void **unused)
{
	static const uint32_t sizes[] = {1, 2, 3, 7, 64, 0};
	uint8_t body[FLIGHT_CERT_LEN];

	(void)unused;
	flight_cert_body(body);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int rev = 0; rev < 2; rev++) {
			struct tls_facts f;
			struct dtls_conn dc = {0};

			memset(&f, 0, sizeof(f));
			feed_cert_in_fragments(&dc, &f, body, sizes[i], rev);
			assert_flight_cert(&f);
			assert_int_equal(f.anomalies, 0);
			assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
			dtls_conn_free(&dc);
		}
	}
}

static void
test_dtls_certificate_overlapping_fragments_that_agree_are_one_message(void **unused)
{
	uint8_t body[FLIGHT_CERT_LEN];
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};

	(void)unused;
	flight_cert_body(body);
	memset(&f, 0, sizeof(f));
	/* [0,400) [300,700) [100,200) [650,924): overlaps, one inside another. */
	cert_fragment(&d, body, 0, 400);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	d.n = 0;
	cert_fragment(&d, body, 300, 400);
	cert_fragment(&d, body, 100, 100);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(f.cert.state, TLS_CERT_NONE);
	d.n = 0;
	cert_fragment(&d, body, 650, FLIGHT_CERT_LEN - 650);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_flight_cert(&f);
	assert_int_equal(f.anomalies, 0);
	dtls_conn_free(&dc);
}

static void
test_dtls_certificate_overlapping_fragments_that_differ_make_it_unreadable(void **unused)
{
	uint8_t body[FLIGHT_CERT_LEN], other[FLIGHT_CERT_LEN];
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};

	(void)unused;
	flight_cert_body(body);
	memcpy(other, body, sizeof(other));
	other[350] ^= 0x01; /* one byte of the overlap differs */
	memset(&f, 0, sizeof(f));
	cert_fragment(&d, body, 0, 400);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	d.n = 0;
	cert_fragment(&d, other, 300, 400);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(f.cert.state, TLS_CERT_BAD); /* "unreadable" */
	assert_true(f.anomalies & TLS_ANOM_BAD_HANDSHAKE);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	/* The rest, even a whole good copy, changes nothing any more. */
	d.n = 0;
	feed_cert_in_fragments(&dc, &f, body, 64, false);
	assert_int_equal(f.cert.state, TLS_CERT_BAD);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	dtls_conn_free(&dc);
}

static void
test_dtls_certificate_with_a_fragment_missing_stays_unread_and_is_freed(void **unused)
{
	uint8_t body[FLIGHT_CERT_LEN];
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};

	(void)unused;
	flight_cert_body(body);
	memset(&f, 0, sizeof(f));
	cert_fragment(&d, body, 0, 500);
	cert_fragment(&d, body, 501, FLIGHT_CERT_LEN - 501); /* byte 500 never comes */
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(f.cert.state, TLS_CERT_NONE);
	assert_true(dtls_conn_heap_bytes(&dc) > 0);
	dtls_conn_free(&dc); /* what was held goes (ASan checks) */
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
}

static void
test_dtls_certificate_larger_than_the_cap_is_counted_once_and_not_kept(void **unused)
{
	static const uint8_t some[100] = {0x30};
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};

	(void)unused;
	memset(&f, 0, sizeof(f));
	for (uint32_t off = 0; off < 800; off += 100)
		hs_fragment(&d, 11, TLS_HS_CAP + 1, 2, off, some, sizeof(some));
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n); /* sent again */
	assert_int_equal(f.cert.state, TLS_CERT_NONE);
	assert_true(f.anomalies & TLS_ANOM_HS_CAP);
	assert_int_equal(f.cap_hits, 1);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	dtls_conn_free(&dc);
}

static void
test_dtls_certificate_fragments_that_lie_are_left_out_safely(void **unused)
{
	uint8_t body[FLIGHT_CERT_LEN];
	static const uint8_t junk[16] = {0xee};
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};

	(void)unused;
	flight_cert_body(body);
	memset(&f, 0, sizeof(f));
	/* Zero-length fragments, even of a huge message: nothing allocated. */
	hs_fragment(&d, 11, 0xffffff, 2, 0, junk, 0);
	hs_fragment(&d, 11, FLIGHT_CERT_LEN, 2, FLIGHT_CERT_LEN, junk, 0);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	assert_int_equal(f.anomalies, 0);
	/* fragment_offset + fragment_length past the message's length. */
	d.n = 0;
	hs_fragment(&d, 11, FLIGHT_CERT_LEN, 2, FLIGHT_CERT_LEN - 8, junk, 16);
	hs_fragment(&d, 11, FLIGHT_CERT_LEN, 2, 0xfffff0, junk, 16);
	hs_fragment(&d, 11, 8, 2, 0, junk, 16);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_true(f.anomalies & TLS_ANOM_BAD_HANDSHAKE);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	/* A fragment_length longer than its record: the record is left. */
	d.n = 0;
	{
		uint8_t m[12 + 4] = {11, 0, 0, 4, 0, 2, 0, 0, 0, 0, 0, 200, 1, 2, 3, 4};

		record(&d, 22, 0, m, sizeof(m));
	}
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	/* The client's Certificate and one in an epoch-1 record are not it. */
	d.n = 0;
	cert_fragment(&d, body, 0, 500);
	dtls_datagram(&dc, &f, DIR_C2S, d.b, d.n);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	d.b[3] = 0;
	d.b[4] = 1; /* the same record, epoch 1 */
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	f.anomalies = 0;
	/* The real message; then fragments of another message_seq or another
	 * length mid-way are left out (counted as an anomaly). */
	d.n = 0;
	cert_fragment(&d, body, 0, 500);
	hs_fragment(&d, 11, FLIGHT_CERT_LEN, 7, 500, junk, 16);
	hs_fragment(&d, 11, FLIGHT_CERT_LEN + 1, 2, 500, junk, 16);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_true(f.anomalies & TLS_ANOM_BAD_HANDSHAKE);
	assert_int_equal(f.cert.state, TLS_CERT_NONE);
	d.n = 0;
	cert_fragment(&d, body, 500, FLIGHT_CERT_LEN - 500);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_flight_cert(&f);
	dtls_conn_free(&dc);
}

static void
test_dtls_certificate_of_length_zero_is_unreadable(void **unused)
{
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};

	(void)unused;
	memset(&f, 0, sizeof(f));
	hs_fragment(&d, 11, 0, 2, 0, (const uint8_t *)"", 0);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(f.cert.state, TLS_CERT_BAD);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	dtls_conn_free(&dc);
}

static void
test_dtls_13_certificate_is_encrypted(void **unused)
{
	uint8_t body[FLIGHT_CERT_LEN];
	static const uint8_t unified[] = {0x2f, 0x00, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5};
	struct tls_facts f;
	struct dtls_conn dc = {0};
	struct buf d = {0};

	(void)unused;
	flight_cert_body(body);
	/* A DTLS 1.3 ServerHello, even after a first fragment of a would-be
	 * Certificate: what was held goes, nothing after is taken. */
	memset(&f, 0, sizeof(f));
	cert_fragment(&d, body, 0, 500);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	d.n = 0;
	server_hello_datagram(&d, true);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(f.cert.state, TLS_CERT_ENCRYPTED);
	assert_int_equal(dtls_conn_heap_bytes(&dc), 0);
	d.n = 0;
	cert_fragment(&d, body, 0, 500);
	cert_fragment(&d, body, 500, FLIGHT_CERT_LEN - 500);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(f.cert.state, TLS_CERT_ENCRYPTED);
	dtls_conn_free(&dc);
	/* A unified header alone (its ServerHello not seen) says DTLS 1.3. */
	memset(&f, 0, sizeof(f));
	memset(&dc, 0, sizeof(dc));
	dtls_datagram(&dc, &f, DIR_S2C, unified, sizeof(unified));
	assert_int_equal(f.cert.state, TLS_CERT_ENCRYPTED);
	/* A DTLS 1.2 session's epoch-1 records say nothing of a certificate
	 * (a resumed session sends none): none seen. */
	memset(&f, 0, sizeof(f));
	memset(&dc, 0, sizeof(dc));
	d.n = 0;
	server_hello_datagram(&d, false);
	record(&d, 22, 1, body, 40);
	dtls_datagram(&dc, &f, DIR_S2C, d.b, d.n);
	assert_int_equal(f.cert.state, TLS_CERT_NONE);
	dtls_conn_free(&dc);
}

static void
test_dtls_every_cut_of_the_certificate_flight_is_safe(void **unused)
{
	(void)unused;
	for (size_t i = 0; i < sizeof(dtls_flight) / sizeof(dtls_flight[0]); i++) {
		for (size_t n = 0; n <= dtls_flight[i].n; n++) {
			struct tls_facts f;
			struct dtls_conn dc = {0};
			uint8_t *copy = malloc(n ? n : 1);

			assert_non_null(copy);
			memcpy(copy, dtls_flight[i].p, n);
			memset(&f, 0, sizeof(f));
			dtls_datagram(&dc, &f, DIR_S2C, copy, n);
			free(copy);
			assert_int_not_equal(f.cert.state, TLS_CERT_READ);
			dtls_conn_free(&dc);
		}
	}
}

/* ---- Through the session and the verdict ------------------------------------ */

static void
udp_session(struct session *s, uint16_t port)
{
	session_init(s, 1, 1000000);
	s->family = 4;
	s->l4 = 17;
	s->server_port = port;
	s->client_port = 40000;
}

static void
test_dtls_on_any_udp_port_is_implicit_tls_once_established(void **unused)
{
	struct session s;
	struct buf d = {0};
	struct alert alerts[4];
	static const uint8_t enc[24] = {0xaa};

	(void)unused;
	udp_session(&s, 853);
	client_hello_datagram(&d, 0);
	session_on_datagram(&s, DIR_C2S, d.b, d.n, false);
	assert_int_equal(s.mode, MODE_TLS);
	d.n = 0;
	server_hello_datagram(&d, false);
	session_on_datagram(&s, DIR_S2C, d.b, d.n, false);
	d.n = 0;
	record(&d, 23, 1, enc, sizeof(enc));
	session_on_datagram(&s, DIR_C2S, d.b, d.n, false);
	session_on_datagram(&s, DIR_S2C, d.b, d.n, false);
	assert_true(session_settled(&s));
	s.end = END_IDLE;
	session_name_service(&s);
	verdict_judge(&s, NULL, alerts, 4);
	assert_string_equal(s.service, "dns");
	assert_int_equal(s.verdict, VERDICT_IMPLICIT_TLS);
	session_release(&s);
}

static void
test_dtls_client_hello_without_an_answer_is_tls_failed_no_answer(void **unused)
{
	struct session s;
	struct buf d = {0};
	struct alert alerts[4];

	(void)unused;
	udp_session(&s, 4433);
	client_hello_datagram(&d, 0);
	session_on_datagram(&s, DIR_C2S, d.b, d.n, false);
	session_on_datagram(&s, DIR_C2S, d.b, d.n, false); /* retransmitted */
	s.end = END_IDLE;
	session_name_service(&s);
	verdict_judge(&s, NULL, alerts, 4);
	assert_string_equal(s.service, "dns"); /* by its ALPN, dot */
	assert_int_equal(s.verdict, VERDICT_TLS_FAILED);
	assert_int_equal(s.reason, REASON_NO_ANSWER);
	assert_string_equal(reason_name(s.reason), "no-answer");
	session_release(&s);
}

static void
test_dtls_fatal_alert_after_the_server_hello_is_tls_failed_alert(void **unused)
{
	struct session s;
	struct buf d = {0};
	struct alert alerts[4];
	static const uint8_t alert[] = {2, 48};

	(void)unused;
	udp_session(&s, 4433);
	client_hello_datagram(&d, 0);
	session_on_datagram(&s, DIR_C2S, d.b, d.n, false);
	d.n = 0;
	server_hello_datagram(&d, false);
	session_on_datagram(&s, DIR_S2C, d.b, d.n, false);
	d.n = 0;
	record(&d, 21, 0, alert, sizeof(alert));
	session_on_datagram(&s, DIR_C2S, d.b, d.n, false);
	s.end = END_IDLE;
	session_name_service(&s);
	verdict_judge(&s, NULL, alerts, 4);
	assert_int_equal(s.verdict, VERDICT_TLS_FAILED);
	assert_int_equal(s.reason, REASON_ALERT);
	session_release(&s);
}

static void
test_dtls_session_reads_the_certificate_and_frees_its_buffer(void **unused)
{
	static const size_t in_order[] = {0, 1, 2, 3, 4, 5, 6};
	struct session s;
	struct buf d = {0};
	size_t heap0;

	(void)unused;
	udp_session(&s, 4433);
	client_hello_datagram(&d, 0);
	session_on_datagram(&s, DIR_C2S, d.b, d.n, false);
	assert_non_null(s.dtls);
	heap0 = session_heap_bytes(&s);
	for (size_t i = 0; i < 7; i++) {
		session_on_datagram(&s, DIR_S2C, dtls_flight[in_order[i]].p,
				    dtls_flight[in_order[i]].n, false);
		if (i == 2) /* the Certificate half there: its buffer is counted */
			assert_true(session_heap_bytes(&s) > heap0 + FLIGHT_CERT_LEN);
	}
	assert_flight_cert(&s.tf);
	assert_int_equal(session_heap_bytes(&s), heap0);
	session_release(&s);
	assert_null(s.dtls);
	assert_int_equal(s.tf.cert.state, TLS_CERT_READ); /* the facts stay */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtls_sniff_takes_a_client_hello_and_nothing_else),
		cmocka_unit_test(test_dtls_12_handshake_with_a_cookie_is_established),
		cmocka_unit_test(test_dtls_13_unified_header_records_are_encrypted),
		cmocka_unit_test(test_dtls_fatal_alert_in_the_clear_is_kept),
		cmocka_unit_test(test_dtls_every_cut_of_a_datagram_is_safe),
		cmocka_unit_test(test_dtls_text_is_not_dtls_and_kept_as_evidence),
		cmocka_unit_test(
			test_dtls_12_certificate_of_a_real_server_is_read_from_its_five_fragments),
		cmocka_unit_test(
			test_dtls_certificate_fragments_in_any_order_and_repeated_give_the_same_certificate),
		cmocka_unit_test(
			test_dtls_certificate_in_fragments_of_1_2_3_7_64_bytes_and_whole_is_the_same),
		cmocka_unit_test(
			test_dtls_certificate_overlapping_fragments_that_agree_are_one_message),
		cmocka_unit_test(
			test_dtls_certificate_overlapping_fragments_that_differ_make_it_unreadable),
		cmocka_unit_test(
			test_dtls_certificate_with_a_fragment_missing_stays_unread_and_is_freed),
		cmocka_unit_test(
			test_dtls_certificate_larger_than_the_cap_is_counted_once_and_not_kept),
		cmocka_unit_test(test_dtls_certificate_fragments_that_lie_are_left_out_safely),
		cmocka_unit_test(test_dtls_certificate_of_length_zero_is_unreadable),
		cmocka_unit_test(test_dtls_13_certificate_is_encrypted),
		cmocka_unit_test(test_dtls_every_cut_of_the_certificate_flight_is_safe),
		cmocka_unit_test(test_dtls_on_any_udp_port_is_implicit_tls_once_established),
		cmocka_unit_test(test_dtls_client_hello_without_an_answer_is_tls_failed_no_answer),
		cmocka_unit_test(test_dtls_fatal_alert_after_the_server_hello_is_tls_failed_alert),
		cmocka_unit_test(test_dtls_session_reads_the_certificate_and_frees_its_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
