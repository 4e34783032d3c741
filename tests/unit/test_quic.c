/*
 * test_quic.c - QUIC Initial packets (src/tls/quic.c): the initial keys
 * and header protection masks of RFC 9001 Appendix A (v1) and RFC 9369
 * Appendix A (v2); Initials sealed here with those keys, the ClientHello
 * split over two packets in two datagrams (CRYPTO frames out of order),
 * read for its SNI and ALPN; the sniffer; a tampered packet refused; and
 * through the session: implicit TLS on any UDP port, named by ALPN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <gcrypt.h>

#include "session.h"
#include "tls.h"
#include "verdict.h"

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void
test_quic_v1_initial_keys_are_those_of_rfc_9001_appendix_a(void **unused)
{
	struct quic_keys k;
	uint8_t want[16], sample[16], mask[16];

	(void)unused;
	assert_true(quic_initial_keys(0x00000001, rfc_dcid, sizeof(rfc_dcid), false, &k));
	unhex("1f369613dd76d5467730efcbe3b1a22d", want, 16);
	assert_memory_equal(k.key, want, 16);
	unhex("fa044b2f42a3fd3b46fb255c", want, 12);
	assert_memory_equal(k.iv, want, 12);
	unhex("9f50449e04a0e810283a1e9933adedd2", want, 16);
	assert_memory_equal(k.hp, want, 16);
	/* A.2: the client Initial's sample and mask. */
	unhex("d1b1c98dd7689fb8ec11d242b123dc9b", sample, 16);
	assert_true(quic_hp_mask(k.hp, sample, mask));
	unhex("437b9aec36", want, 5);
	assert_memory_equal(mask, want, 5);

	assert_true(quic_initial_keys(0x00000001, rfc_dcid, sizeof(rfc_dcid), true, &k));
	unhex("cf3a5331653c364c88f0f379b6067e37", want, 16);
	assert_memory_equal(k.key, want, 16);
	unhex("0ac1493ca1905853b0bba03e", want, 12);
	assert_memory_equal(k.iv, want, 12);
	unhex("c206b8d9b9f0f37644430b490eeaa314", want, 16);
	assert_memory_equal(k.hp, want, 16);
	/* A.3: the server Initial's sample and mask. */
	unhex("2cd0991cd25b0aac406a5816b6394100", sample, 16);
	assert_true(quic_hp_mask(k.hp, sample, mask));
	unhex("2ec0d8356a", want, 5);
	assert_memory_equal(mask, want, 5);
}

static void
test_quic_v2_initial_keys_are_those_of_rfc_9369_appendix_a(void **unused)
{
	struct quic_keys k;
	uint8_t want[16];

	(void)unused;
	assert_true(quic_initial_keys(0x6b3343cf, rfc_dcid, sizeof(rfc_dcid), false, &k));
	unhex("8b1a0bc121284290a29e0971b5cd045d", want, 16);
	assert_memory_equal(k.key, want, 16);
	unhex("91f73e2351d8fa91660e909f", want, 12);
	assert_memory_equal(k.iv, want, 12);
	unhex("45b95e15235d6f45a6b19cbcb0294ba9", want, 16);
	assert_memory_equal(k.hp, want, 16);
	assert_false(quic_initial_keys(0x1a2a3a4a, rfc_dcid, sizeof(rfc_dcid), false, &k));
}

/* ---- Initials sealed here -------------------------------------------------- */

struct buf {
	uint8_t b[1500];
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

/* A TLS 1.3 ClientHello handshake message with SNI and ALPN "h3". */
static void
client_hello(struct buf *m, const char *sni)
{
	struct buf body = {0}, ext = {0};
	uint8_t random[32] = {7};

	put16(&body, 0x0303);
	put(&body, random, 32);
	put8(&body, 0);
	put16(&body, 2);
	put16(&body, 0x1301);
	put8(&body, 1);
	put8(&body, 0);
	put16(&ext, 0x0000);
	put16(&ext, (uint16_t)(strlen(sni) + 5));
	put16(&ext, (uint16_t)(strlen(sni) + 3));
	put8(&ext, 0);
	put16(&ext, (uint16_t)strlen(sni));
	put(&ext, sni, strlen(sni));
	put16(&ext, 0x0010);
	put16(&ext, 5);
	put16(&ext, 3);
	put8(&ext, 2);
	put(&ext, "h3", 2);
	put16(&ext, 0x002b); /* supported_versions: TLS 1.3 */
	put16(&ext, 3);
	put8(&ext, 2);
	put16(&ext, 0x0304);
	put16(&body, (uint16_t)ext.n);
	put(&body, ext.b, ext.n);
	m->n = 0;
	put8(m, 1);
	put8(m, 0);
	put16(m, (uint16_t)body.n);
	put(m, body.b, body.n);
}

/* A client Initial (v1, packet number pn, 2-byte length) holding one
 * CRYPTO frame of data at offset off, padded, sealed and protected. */
static void
seal_initial(struct buf *out, uint32_t pn, uint64_t off, const uint8_t *data, size_t n)
{
	struct quic_keys k;
	struct buf hdr = {0}, pl = {0};
	uint8_t nonce[12], sample[16], mask[16], tag[16];
	gcry_cipher_hd_t c;
	size_t pn_off, len;

	assert_true(quic_initial_keys(1, rfc_dcid, sizeof(rfc_dcid), false, &k));
	put8(&pl, 0x06);
	put8(&pl, (uint8_t)(0x40 | off >> 8)); /* 2-byte varints */
	put8(&pl, (uint8_t)off);
	put8(&pl, (uint8_t)(0x40 | n >> 8));
	put8(&pl, (uint8_t)n);
	put(&pl, data, n);
	while (pl.n < 400)
		put8(&pl, 0); /* PADDING */
	put8(&hdr, 0xc1);     /* long, fixed, Initial, pn length 2 */
	put(&hdr, "\x00\x00\x00\x01", 4);
	put8(&hdr, sizeof(rfc_dcid));
	put(&hdr, rfc_dcid, sizeof(rfc_dcid));
	put8(&hdr, 0); /* SCID */
	put8(&hdr, 0); /* token */
	len = 2 + pl.n + 16;
	put16(&hdr, (uint16_t)(0x4000 | len));
	pn_off = hdr.n;
	put16(&hdr, (uint16_t)pn);
	memcpy(nonce, k.iv, 12);
	nonce[10] ^= (uint8_t)(pn >> 8);
	nonce[11] ^= (uint8_t)pn;
	assert_int_equal(gcry_cipher_open(&c, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0), 0);
	assert_int_equal(gcry_cipher_setkey(c, k.key, 16), 0);
	assert_int_equal(gcry_cipher_setiv(c, nonce, 12), 0);
	assert_int_equal(gcry_cipher_authenticate(c, hdr.b, hdr.n), 0);
	assert_int_equal(gcry_cipher_encrypt(c, pl.b, pl.n, NULL, 0), 0);
	assert_int_equal(gcry_cipher_gettag(c, tag, 16), 0);
	gcry_cipher_close(c);
	out->n = 0;
	put(out, hdr.b, hdr.n);
	put(out, pl.b, pl.n);
	put(out, tag, 16);
	memcpy(sample, out->b + pn_off + 4, 16);
	assert_true(quic_hp_mask(k.hp, sample, mask));
	out->b[0] ^= mask[0] & 0x0f;
	out->b[pn_off] ^= mask[1];
	out->b[pn_off + 1] ^= mask[2];
}

static void
test_quic_client_hello_over_two_initials_is_reassembled(void **unused)
{
	static struct quic_conn q;
	struct tls_facts f;
	struct buf ch, d1, d2;
	size_t half;

	(void)unused;
	memset(&q, 0, sizeof(q));
	memset(&f, 0, sizeof(f));
	client_hello(&ch, "quic.tlswatch.test");
	half = ch.n / 2;
	/* The second half first: CRYPTO data arrives out of order. */
	seal_initial(&d2, 1, half, ch.b + half, ch.n - half);
	seal_initial(&d1, 0, 0, ch.b, half);
	assert_true(quic_sniff_initial(d2.b, d2.n));
	quic_datagram(&q, &f, DIR_C2S, d2.b, d2.n);
	assert_false(f.client_hello);
	quic_datagram(&q, &f, DIR_C2S, d1.b, d1.n);
	assert_true(f.client_hello);
	assert_string_equal(f.sni, "quic.tlswatch.test");
	assert_string_equal(f.alpn, "h3");
	assert_int_equal(f.client_max_version, 0x0304);
	assert_int_equal(f.anomalies, 0);
}

static void
test_quic_a_tampered_initial_is_refused(void **unused)
{
	static struct quic_conn q;
	struct tls_facts f;
	struct buf ch, d;

	(void)unused;
	memset(&q, 0, sizeof(q));
	memset(&f, 0, sizeof(f));
	client_hello(&ch, "quic.tlswatch.test");
	seal_initial(&d, 0, 0, ch.b, ch.n);
	d.b[d.n - 30] ^= 1;
	quic_datagram(&q, &f, DIR_C2S, d.b, d.n);
	assert_false(f.client_hello);
	assert_true(f.anomalies & TLS_ANOM_BAD_RECORD);
}

static void
test_quic_sniff_wants_a_long_header_initial_of_a_known_version(void **unused)
{
	struct buf ch, d;

	(void)unused;
	client_hello(&ch, "a.test");
	seal_initial(&d, 0, 0, ch.b, ch.n);
	assert_true(quic_sniff_initial(d.b, d.n));
	for (size_t n = 0; n < 25; n++)
		assert_false(quic_sniff_initial(d.b, n));
	d.b[4] = 0x02; /* an unknown version */
	assert_false(quic_sniff_initial(d.b, d.n));
	assert_false(quic_sniff_initial((const uint8_t *)"\x16\xfe\xfd\x00\x00\x00\x00\x00", 8));
}

static void
test_quic_every_cut_of_an_initial_is_safe(void **unused)
{
	struct buf ch, d;

	(void)unused;
	client_hello(&ch, "a.test");
	seal_initial(&d, 0, 0, ch.b, ch.n);
	for (size_t n = 0; n <= d.n; n += 7) {
		static struct quic_conn q;
		struct tls_facts f;

		memset(&q, 0, sizeof(q));
		memset(&f, 0, sizeof(f));
		quic_datagram(&q, &f, DIR_C2S, d.b, n);
		assert_int_equal(f.client_hello, n == d.n);
	}
}

static void
test_quic_initial_on_any_udp_port_is_implicit_tls_named_by_alpn(void **unused)
{
	struct session s;
	struct buf ch, d;
	struct alert alerts[4];

	(void)unused;
	session_init(&s, 1, 1000000);
	s.family = 4;
	s.l4 = 17;
	s.server_port = 4443;
	s.client_port = 40000;
	client_hello(&ch, "quic.tlswatch.test");
	seal_initial(&d, 0, 0, ch.b, ch.n);
	session_on_datagram(&s, DIR_C2S, d.b, d.n, false);
	assert_true(s.implicit_tls);
	assert_string_equal(s.tf.sni, "quic.tlswatch.test");
	s.end = END_IDLE;
	session_name_service(&s);
	verdict_judge(&s, NULL, alerts, 4);
	assert_string_equal(s.service, "http");
	assert_int_equal(s.verdict, VERDICT_TLS_FAILED); /* nothing came back */
	assert_int_equal(s.reason, REASON_NO_ANSWER);
	session_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quic_v1_initial_keys_are_those_of_rfc_9001_appendix_a),
		cmocka_unit_test(test_quic_v2_initial_keys_are_those_of_rfc_9369_appendix_a),
		cmocka_unit_test(test_quic_client_hello_over_two_initials_is_reassembled),
		cmocka_unit_test(test_quic_a_tampered_initial_is_refused),
		cmocka_unit_test(test_quic_sniff_wants_a_long_header_initial_of_a_known_version),
		cmocka_unit_test(test_quic_every_cut_of_an_initial_is_safe),
		cmocka_unit_test(test_quic_initial_on_any_udp_port_is_implicit_tls_named_by_alpn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
