/*
 * test_sip.c - the SIP parser (src/proto/sip.c): REGISTER and INVITE
 * counted, the From user, digest Authorization as a login without a
 * secret (Basic with one), the outcome from the final response of the
 * same CSeq, every cut of a datagram, sniffing; over TCP (RFC 3261 18.3)
 * the same in every chunking, bodies skipped by Content-Length, keep-alive
 * lines, and what stops the stream; and through the session and the
 * verdict: the alert's severity, SIP in the clear on 5061.
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

static void
test_sip_tcp_register_exchange_gives_the_same_logins_in_any_chunks(void **unused)
{
	struct replay_result r;
	struct own_text t;
	const struct step steps[] = {
		C(REGISTER_1),
		S(CHALLENGE),
		C(REGISTER_2),
		S(OK_2),
	};

	(void)unused;
	transcript_run(&proto_sip, steps, N_STEPS(steps), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "DIGEST", "alice", "", false, LOGIN_SUCCESS);
	assert_int_equal(r.facts.anomalies, 0);
	assert_string_equal(own_fields(&proto_sip, &r.facts, &t),
			    "register=2;responses=2;final=200;from=alice@tlswatch.test;");
}

/* Two messages in one segment, the first with a body that looks like SIP:
 * Content-Length (compact "l") says where it ends, so its lines are no
 * message and its credentials no login; CR LF keep-alives in between. */
static void
test_sip_tcp_body_is_skipped_by_content_length(void **unused)
{
	struct replay_result r;
	struct own_text t;
	static const char body[] = "REGISTER sip:x SIP/2.0\r\n"
				   "Authorization: Basic YWxpY2U6QWxpY2VQYXNzMjAyNA==\r\n\r\n";
	char invite[512];
	const struct step steps[] = {
		C("\r\n\r\n"),
		C(invite),
		S("SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),
	};

	(void)unused;
	snprintf(invite, sizeof(invite),
		 "INVITE sip:bob@tlswatch.test SIP/2.0\r\nCSeq: 1 INVITE\r\n"
		 "From: <sip:carol@tlswatch.test>\r\nl: %zu\r\n\r\n%s\r\n\r\n"
		 "ACK sip:bob@tlswatch.test SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n",
		 strlen(body), body);
	transcript_run(&proto_sip, steps, N_STEPS(steps), &r);
	assert_int_equal(r.facts.n_logins, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_string_equal(own_fields(&proto_sip, &r.facts, &t),
			    "invite=1;other_requests=1;responses=1;final=200;"
			    "from=carol@tlswatch.test;");
}

/* A message without Content-Length has no body (RFC 3261 makes the field
 * mandatory on a stream; what follows is the next message). */
static void
test_sip_tcp_message_without_content_length_has_no_body(void **unused)
{
	struct replay_result r;
	struct own_text t;
	const struct step steps[] = {
		C("OPTIONS sip:tlswatch.test SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n" REGISTER_2),
		S("SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\n" OK_2),
	};

	(void)unused;
	transcript_run(&proto_sip, steps, N_STEPS(steps), &r);
	assert_login(&r.facts, 0, "DIGEST", "alice", "", false, LOGIN_SUCCESS);
	assert_string_equal(own_fields(&proto_sip, &r.facts, &t),
			    "register=1;other_requests=1;responses=2;final=200;"
			    "from=alice@tlswatch.test;");
}

/* Message boundaries are lost after a start line that is not SIP or a
 * Content-Length that is no number: the parser stops, flagged. */
static void
test_sip_tcp_bad_start_line_or_length_stops_the_parser(void **unused)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nContent-Length: 12x\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nContent-Length: 1234567890\r\n\r\n",
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct replay_result r;
		const struct step steps[] = {
			C(bad[i]),
			C(REGISTER_2),
			S(OK_2),
		};

		transcript_run(&proto_sip, steps, N_STEPS(steps), &r);
		assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
		assert_int_equal(r.facts.n_logins, 0);
	}
}

/* A gap stops the parser too: the credentials after it are not read. */
static void
test_sip_tcp_gap_stops_the_parser(void **unused)
{
	struct sip_run {
		struct proto_facts f;
		_Alignas(max_align_t) uint8_t state[4096];
	} *r = calloc(1, sizeof(*r));

	(void)unused;
	assert_non_null(r);
	assert_true(proto_sip.state_size <= sizeof(r->state));
	proto_sip.init(r->state);
	proto_sip.feed(r->state, &r->f, DIR_C2S, (const uint8_t *)REGISTER_1,
		       sizeof(REGISTER_1) - 1);
	proto_sip.gap(r->state, &r->f, DIR_C2S);
	proto_sip.feed(r->state, &r->f, DIR_C2S, (const uint8_t *)REGISTER_2,
		       sizeof(REGISTER_2) - 1);
	assert_true(r->f.anomalies & PROTO_ANOM_GAP);
	assert_int_equal(r->f.n_logins, 0);
	free(r);
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
		cmocka_unit_test(
			test_sip_tcp_register_exchange_gives_the_same_logins_in_any_chunks),
		cmocka_unit_test(test_sip_tcp_body_is_skipped_by_content_length),
		cmocka_unit_test(test_sip_tcp_message_without_content_length_has_no_body),
		cmocka_unit_test(test_sip_tcp_bad_start_line_or_length_stops_the_parser),
		cmocka_unit_test(test_sip_tcp_gap_stops_the_parser),
		cmocka_unit_test(test_sip_digest_login_is_a_low_alert),
		cmocka_unit_test(test_sip_in_the_clear_on_5061_is_plaintext_on_tls_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
