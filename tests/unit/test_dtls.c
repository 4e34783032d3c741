/*
 * test_dtls.c - DTLS records one datagram at a time (src/tls/dtls.c): the
 * sniffer, a DTLS 1.2 handshake with a HelloVerifyRequest read to
 * established, the ClientHello's SNI and ALPN, a fatal alert in the clear,
 * DTLS 1.3's unified header, every cut of a datagram; and through the
 * session and the verdict: implicit TLS on any UDP port, tls-failed/alert,
 * tls-failed/no-answer for a ClientHello nothing answered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

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
		cmocka_unit_test(test_dtls_on_any_udp_port_is_implicit_tls_once_established),
		cmocka_unit_test(test_dtls_client_hello_without_an_answer_is_tls_failed_no_answer),
		cmocka_unit_test(test_dtls_fatal_alert_after_the_server_hello_is_tls_failed_alert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
