/*
 * test_nntp.c - the NNTP parser: STARTTLS, AUTHINFO USER/PASS and SASL,
 * data blocks and articles skipped, transcripts replayed in every chunk
 * size; sniffing; hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "transcript.h"

extern const struct proto_desc proto_nntp;

#define GREETING "200 news.tlswatch.test InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"
#define CAPA_TLS                                                                                   \
	"101 Capability list:\r\nVERSION 2\r\nIMPLEMENTATION INN 2.7.1\r\nAUTHINFO USER\r\n"       \
	"SASL PLAIN\r\nSTARTTLS\r\nREADER\r\nPOST\r\n.\r\n"

static void
test_nntp_starttls_accepted_hands_the_client_hello_to_tls(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("CAPABILITIES\r\n"),
		S(CAPA_TLS),
		C("STARTTLS\r\n"),
		S("382 Begin TLS negotiation now\r\n"),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_nntp, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_string_equal(r.facts.capa,
			    "VERSION IMPLEMENTATION AUTHINFO SASL STARTTLS READER POST");
}

static void
test_nntp_refused_starttls_then_authinfo_is_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("STARTTLS\r\n"),
		S("580 Can not initiate TLS negotiation\r\n"),
		C("AUTHINFO USER alice\r\n"),
		S("381 Enter password\r\n"),
		C("AUTHINFO PASS Alice Pass 1\r\n"),
		S("281 Authentication accepted\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_nntp, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_login(&r.facts, 0, "USER", "alice", "Alice Pass 1", true, LOGIN_SUCCESS);
}

static void
test_nntp_authinfo_sasl_plain_with_and_without_initial_response(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTHINFO SASL PLAIN AGFsaWNlAEFsaWNlUGFzczIwMjQ=\r\n"),
		S("481 Authentication failed\r\n"),
		C("AUTHINFO SASL PLAIN\r\n"),
		S("383 \r\n"),
		C("AGFsaWNlAEFsaWNlUGFzczIwMjQ=\r\n"),
		S("281 Authentication accepted\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_nntp, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "PLAIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
}

static void
test_nntp_articles_and_lists_are_skipped(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("LIST\r\n"),
		S("215 list of newsgroups follows\r\n"
		  "local.test 0000000000 0000000001 y\r\n"
		  "382 not a reply\r\n.\r\n"),
		C("POST\r\n"),
		S("340 Ok, recommended message-ID <x@y>\r\n"),
		C("From: a@b\r\nSubject: STARTTLS\r\n\r\nSTARTTLS\r\nAUTHINFO USER x\r\n.\r\n"),
		S("240 Article received <x@y>\r\n"),
		C("ARTICLE 1\r\n"),
		S("220 1 <x@y> article\r\nSubject: t\r\n\r\n..STARTTLS\r\n.\r\n"),
		C("QUIT\r\n"),
		S("205 Bye!\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_nntp, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(r.facts.n_logins, 0);
	assert_int_equal(r.facts.commands, 4);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_nntp_masked_starttls_capability_and_injection(void **unused)
{
	const struct step masked[] = {
		S(GREETING),
		C("CAPABILITIES\r\n"),
		S("101 Capability list:\r\nVERSION 2\r\nXXXXXXXX\r\n.\r\n"),
	};
	const struct step injected[] = {
		S(GREETING),
		C("STARTTLS\r\nAUTHINFO USER mallory\r\n"),
		S("382 Begin TLS negotiation now\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_nntp, masked, N_STEPS(masked), &r);
	assert_true(r.facts.indicators & IND_CAPA_MASKED);
	assert_false(r.facts.tls_offered);
	transcript_run(&proto_nntp, injected, N_STEPS(injected), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_evidence(&r.facts, "AUTHINFO USER mallory");
}

static void
test_nntp_sniff_tells_greetings_and_commands(void **unused)
{
	(void)unused;
	assert_int_equal(proto_nntp.sniff(DIR_S2C, (const uint8_t *)GREETING, strlen(GREETING)),
			 SNIFF_STRONG);
	assert_int_equal(proto_nntp.sniff(DIR_S2C, (const uint8_t *)"200 ready\r\n", 11),
			 SNIFF_WEAK);
	assert_int_equal(proto_nntp.sniff(DIR_S2C, (const uint8_t *)"220 smtp\r\n", 10), SNIFF_NO);
	assert_int_equal(proto_nntp.sniff(DIR_C2S, (const uint8_t *)"CAPABILITIES\r\n", 14),
			 SNIFF_STRONG);
	assert_int_equal(proto_nntp.sniff(DIR_C2S, (const uint8_t *)"CAPA\r\n", 6), SNIFF_NO);
}

static void
test_nntp_junk_and_truncated_input_never_crash(void **unused)
{
	static const char *const junk[] = {
		"101\r\n", "3",		"AUTHINFO\r\n", "AUTHINFO SASL\r\n",
		"383\r\n", "\r\n.\r\n", "340\r\n"};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		const struct step t[] = {S(GREETING),	C(junk[i]), S(junk[i]),
					 C("POST\r\n"), S(junk[i]), C(junk[i])};

		transcript_run(&proto_nntp, t, N_STEPS(t), &r);
		assert_true(r.facts.n_logins <= LOGIN_MAX);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nntp_starttls_accepted_hands_the_client_hello_to_tls),
		cmocka_unit_test(test_nntp_refused_starttls_then_authinfo_is_flagged),
		cmocka_unit_test(test_nntp_authinfo_sasl_plain_with_and_without_initial_response),
		cmocka_unit_test(test_nntp_articles_and_lists_are_skipped),
		cmocka_unit_test(test_nntp_masked_starttls_capability_and_injection),
		cmocka_unit_test(test_nntp_sniff_tells_greetings_and_commands),
		cmocka_unit_test(test_nntp_junk_and_truncated_input_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
