/*
 * test_sip.c - the SIP parser (src/proto/sip.c): REGISTER and INVITE
 * counted, the From user, digest Authorization as a login without a
 * secret (Basic with one), the outcome from the final response of the
 * same CSeq, every cut of a datagram, sniffing; and through the session
 * and the verdict: the alert's severity, SIP in the clear on 5061.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"
#include "sink.h"
#include "transcript.h"
#include "verdict.h"

extern const struct proto_desc proto_sip;

#define REGISTER_1                                                                                 \
	"REGISTER sip:tlswatch.test SIP/2.0\r\n"                                                   \
	"Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK-1\r\n"                                     \
	"From: <sip:alice@tlswatch.test>;tag=1\r\n"                                                \
	"To: <sip:alice@tlswatch.test>\r\n"                                                        \
	"Call-ID: 1-lab@192.0.2.2\r\n"                                                             \
	"CSeq: 1 REGISTER\r\n"                                                                     \
	"Content-Length: 0\r\n\r\n"
#define CHALLENGE                                                                                  \
	"SIP/2.0 401 Unauthorized\r\n"                                                             \
	"CSeq: 1 REGISTER\r\n"                                                                     \
	"WWW-Authenticate: Digest realm=\"tlswatch.test\", nonce=\"abc\"\r\n"                      \
	"Content-Length: 0\r\n\r\n"
#define REGISTER_2                                                                                 \
	"REGISTER sip:tlswatch.test SIP/2.0\r\n"                                                   \
	"f: <sip:alice@tlswatch.test>;tag=1\r\n"                                                   \
	"CSeq: 2 REGISTER\r\n"                                                                     \
	"Authorization: Digest username=\"alice\",realm=\"tlswatch.test\",nonce=\"abc\","          \
	"uri=\"sip:tlswatch.test\",response=\"0123456789abcdef0123456789abcdef\"\r\n"              \
	"Content-Length: 0\r\n\r\n"
#define OK_2 "SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n"
#define FORBIDDEN_2 "SIP/2.0 403 Forbidden\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n"

#define DGRAM_PROTO proto_sip
#include "dgram_run.h"

#define DGRAM(r, d, s) run_dgram((r), (d), (s), sizeof(s) - 1)

static void
test_sip_digest_register_is_a_login_without_a_secret_accepted_by_its_cseq(void **unused)
{
	struct run r;
	struct own_text t;

	(void)unused;
	run_init(&r);
	DGRAM(&r, DIR_C2S, REGISTER_1);
	DGRAM(&r, DIR_S2C, CHALLENGE);
	assert_int_equal(r.f.n_logins, 0); /* no credentials yet */
	DGRAM(&r, DIR_C2S, REGISTER_2);
	DGRAM(&r, DIR_S2C, OK_2);
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "DIGEST", "alice", "", false, LOGIN_SUCCESS);
	assert_int_equal(r.f.anomalies, 0);
	assert_string_equal(own_fields(&proto_sip, &r.f, &t),
			    "register=2;responses=2;final=200;from=alice@tlswatch.test;");
}

static void
test_sip_forbidden_after_credentials_is_a_failure(void **unused)
{
	struct run r;

	(void)unused;
	run_init(&r);
	DGRAM(&r, DIR_C2S, REGISTER_2);
	DGRAM(&r, DIR_S2C, "SIP/2.0 100 Trying\r\nCSeq: 2 REGISTER\r\n\r\n");
	assert_login(&r.f, 0, "DIGEST", "alice", "", false, LOGIN_UNKNOWN);
	DGRAM(&r, DIR_S2C, FORBIDDEN_2);
	assert_login(&r.f, 0, "DIGEST", "alice", "", false, LOGIN_FAILURE);
}

static void
test_sip_basic_credentials_are_a_secret(void **unused)
{
	struct run r;

	(void)unused;
	run_init(&r);
	/* alice:AlicePass2024 */
	DGRAM(&r, DIR_C2S,
	      "INVITE sip:bob@tlswatch.test SIP/2.0\r\nCSeq: 7 INVITE\r\n"
	      "Proxy-Authorization: Basic YWxpY2U6QWxpY2VQYXNzMjAyNA==\r\n\r\n");
	assert_login(&r.f, 0, "PROXY-BASIC", "alice", "AlicePass2024", true, LOGIN_UNKNOWN);
	assert_string_equal(sink_secret(&r.f.logins[0], false, "********"), "********");
}

static void
test_sip_invite_without_credentials_is_counted_not_a_login(void **unused)
{
	struct run r;
	struct own_text t;

	(void)unused;
	run_init(&r);
	DGRAM(&r, DIR_C2S,
	      "INVITE sip:service@192.0.2.1:5060 SIP/2.0\r\n"
	      "From: sipp <sip:bob@192.0.2.2:5060>;tag=1\r\nCSeq: 1 INVITE\r\n\r\n");
	DGRAM(&r, DIR_S2C, "SIP/2.0 180 Ringing\r\nCSeq: 1 INVITE\r\n\r\n");
	DGRAM(&r, DIR_S2C, "SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n");
	DGRAM(&r, DIR_C2S, "ACK sip:service@192.0.2.1:5060 SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n");
	assert_int_equal(r.f.n_logins, 0);
	assert_string_equal(own_fields(&proto_sip, &r.f, &t),
			    "invite=1;other_requests=1;responses=2;final=200;"
			    "from=bob@192.0.2.2:5060;");
}

static void
test_sip_every_cut_of_a_register_is_read_without_harm(void **unused)
{
	static const char msg[] = REGISTER_2;
	const char *auth_end = strstr(msg, "abcdef\"\r\n");

	(void)unused;
	assert_non_null(auth_end);
	for (size_t n = 0; n < sizeof(msg) - 1; n++) {
		struct run r;

		run_init(&r);
		run_dgram(&r, DIR_C2S, msg, n);
		/* The Authorization line counts once its LF is there. */
		assert_int_equal(r.f.n_logins,
				 n >= (size_t)(auth_end - msg) + strlen("abcdef\"\r\n") ? 1 : 0);
	}
}

static void
test_sip_malformed_start_lines_are_anomalies(void **unused)
{
	static const char *const bad[] = {
		"SIP/2.0 9x9 Bad\r\n\r\n",
		"REGISTER sip:x SIP/3.0\r\n\r\n",
		"\r\n\r\n",
		"REGISTER\r\n\r\n",
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r;

		run_init(&r);
		run_dgram(&r, DIR_C2S, bad[i], strlen(bad[i]));
		assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
		assert_true(proto_sip.sniff(DIR_C2S, (const uint8_t *)bad[i], strlen(bad[i])) <
			    SNIFF_WEAK);
	}
}

static void
test_sip_sniff_claims_requests_and_responses_not_http(void **unused)
{
	(void)unused;
	assert_int_equal(proto_sip.sniff(DIR_C2S, (const uint8_t *)REGISTER_1, 40), SNIFF_STRONG);
	assert_int_equal(proto_sip.sniff(DIR_S2C, (const uint8_t *)CHALLENGE, 30), SNIFF_STRONG);
	assert_int_equal(proto_sip.sniff(DIR_C2S, (const uint8_t *)"SIP/2", 5), SNIFF_MORE);
	assert_int_equal(proto_sip.sniff(DIR_C2S, (const uint8_t *)"GET / HTTP/1.1\r\n", 16),
			 SNIFF_NO);
	assert_int_equal(proto_sip.sniff(DIR_C2S,
					 (const uint8_t *)"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n",
					 31),
			 SNIFF_NO);
}

static size_t
judge_exchange(struct session *s, uint16_t port, struct alert *alerts, size_t max)
{
	session_init(s, 1, 1000000);
	s->family = 4;
	s->l4 = 17;
	s->server_port = port;
	s->client_port = 40000;
	session_on_datagram(s, DIR_C2S, (const uint8_t *)REGISTER_2, sizeof(REGISTER_2) - 1, false);
	session_on_datagram(s, DIR_S2C, (const uint8_t *)OK_2, sizeof(OK_2) - 1, false);
	session_name_service(s);
	return verdict_judge(s, NULL, alerts, max);
}

static void
test_sip_digest_login_is_a_low_alert(void **unused)
{
	struct session s;
	struct alert alerts[4];
	size_t n;

	(void)unused;
	n = judge_exchange(&s, 5060, alerts, 4);
	assert_string_equal(s.service, "sip");
	assert_int_equal(s.verdict, VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_NO_TLS_PROTOCOL);
	assert_int_equal(n, 1);
	assert_int_equal(alerts[0].severity, SEVERITY_LOW);
	assert_string_equal(alerts[0].evidence, "sip DIGEST user=alice");
	session_release(&s);
}

static void
test_sip_in_the_clear_on_5061_is_plaintext_on_tls_port(void **unused)
{
	struct session s;
	struct alert alerts[4];

	(void)unused;
	judge_exchange(&s, 5061, alerts, 4);
	assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(s.reason, REASON_PLAINTEXT_ON_TLS_PORT);
	session_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_sip_digest_register_is_a_login_without_a_secret_accepted_by_its_cseq),
		cmocka_unit_test(test_sip_forbidden_after_credentials_is_a_failure),
		cmocka_unit_test(test_sip_basic_credentials_are_a_secret),
		cmocka_unit_test(test_sip_invite_without_credentials_is_counted_not_a_login),
		cmocka_unit_test(test_sip_every_cut_of_a_register_is_read_without_harm),
		cmocka_unit_test(test_sip_malformed_start_lines_are_anomalies),
		cmocka_unit_test(test_sip_sniff_claims_requests_and_responses_not_http),
		cmocka_unit_test(test_sip_digest_login_is_a_low_alert),
		cmocka_unit_test(test_sip_in_the_clear_on_5061_is_plaintext_on_tls_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
