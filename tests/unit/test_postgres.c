/*
 * test_postgres.c - the PostgreSQL startup parser: SSLRequest and its
 * answer, the password exchanges, transcripts replayed in every chunk
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

extern const struct proto_desc proto_postgres;

#define SB(s)                                                                                      \
	{                                                                                          \
		DIR_S2C, (s), sizeof(s) - 1                                                        \
	} /* binary server bytes */

/* Messages as libpq and the server write them (protocol 3.0). */
#define SSL_REQUEST "\x00\x00\x00\x08\x04\xd2\x16\x2f"
#define GSSENC_REQUEST "\x00\x00\x00\x08\x04\xd2\x16\x30"
#define STARTUP_ALICE                                                                              \
	"\x00\x00\x00\x21\x00\x03\x00\x00user\0alice\0database\0app\0" /* + the final NUL */
#define AUTH_CLEARTEXT "R\x00\x00\x00\x08\x00\x00\x00\x03"
#define AUTH_MD5 "R\x00\x00\x00\x0c\x00\x00\x00\x05\x01\x02\x03\x04"
#define AUTH_SASL "R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256\0" /* + NUL */
#define AUTH_OK "R\x00\x00\x00\x08\x00\x00\x00\x00"
#define PASS_ALICE                                                                                 \
	"p\x00\x00\x00\x12"                                                                        \
	"AlicePass2024"							/* + NUL */
#define PASS_MD5 "p\x00\x00\x00\x28md5a3556571e93b0d20722ba62be61e8c2d" /* + NUL */
#define SASL_INITIAL                                                                               \
	"p\x00\x00\x00\x36SCRAM-SHA-256\0\x00\x00\x00\x20n,,n=,r=rOprNGfwEbeRWgbNEkqO%hvY"
#define ERROR_28P01                                                                                \
	"E\x00\x00\x00\x33SFATAL\0C28P01\0Mpassword authentication failed\0" /* + NUL              \
									      */
#define READY "Z\x00\x00\x00\x05I"

/* A string literal's bytes and its final NUL, for the messages above that
 * end in one. */
#define CZ(s)                                                                                      \
	{                                                                                          \
		DIR_C2S, (s), sizeof(s)                                                            \
	}
#define SZ(s)                                                                                      \
	{                                                                                          \
		DIR_S2C, (s), sizeof(s)                                                            \
	}

static void
test_postgres_ssl_request_accepted_switches_to_tls(void **unused)
{
	const struct step t[] = {
		CB(SSL_REQUEST),
		SB("S"),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_postgres, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_true(r.facts.tls_offered);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_string_equal(r.facts.upgrade_reply, "S");
}

static void
test_postgres_refused_ssl_then_cleartext_password_is_a_downgrade_and_a_login(void **unused)
{
	const struct step t[] = {
		CB(SSL_REQUEST), SB("N"),     CZ(STARTUP_ALICE), SB(AUTH_CLEARTEXT),
		CZ(PASS_ALICE),	 SB(AUTH_OK), SB(READY),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_postgres, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_login(&r.facts, 0, "PASSWORD", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
}

static void
test_postgres_cleartext_password_without_ssl_request_fails(void **unused)
{
	const struct step t[] = {
		CZ(STARTUP_ALICE),
		SB(AUTH_CLEARTEXT),
		CZ(PASS_ALICE),
		SZ(ERROR_28P01),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_postgres, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_login(&r.facts, 0, "PASSWORD", "alice", "AlicePass2024", true, LOGIN_FAILURE);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_postgres_md5_and_scram_are_logins_without_a_secret(void **unused)
{
	const struct step md5[] = {
		CZ(STARTUP_ALICE),
		SB(AUTH_MD5),
		CZ(PASS_MD5),
		SB(AUTH_OK),
	};
	const struct step scram[] = {
		CZ(STARTUP_ALICE), SZ(AUTH_SASL), CB(SASL_INITIAL), SB(AUTH_OK), SB(READY),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_postgres, md5, N_STEPS(md5), &r);
	assert_login(&r.facts, 0, "MD5", "alice", "", false, LOGIN_SUCCESS);
	assert_false(r.facts.auth_cleartext_offered);
	transcript_run(&proto_postgres, scram, N_STEPS(scram), &r);
	assert_login(&r.facts, 0, "SCRAM-SHA-256", "alice", "", false, LOGIN_SUCCESS);
}

static void
test_postgres_startup_injected_after_ssl_request_is_flagged(void **unused)
{
	const struct step t[] = {
		CB(SSL_REQUEST "\x00\x00\x00\x21\x00\x03\x00\x00"),
		SB("S"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_postgres, t, N_STEPS(t), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.evidence_len, 8);
}

static void
test_postgres_gssenc_refused_then_ssl_is_no_refusal(void **unused)
{
	const struct step t[] = {
		CB(GSSENC_REQUEST),
		SB("N"),
		CB(SSL_REQUEST),
		SB("S"),
	};
	struct replay_result r;
	char own[64] = "";

	(void)unused;
	transcript_run(&proto_postgres, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_refused);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.own[0], 3); /* the GSSENCRequest was refused */
	(void)own;
}

static void
test_postgres_sniff_tells_requests_and_startup(void **unused)
{
	(void)unused;
	assert_int_equal(proto_postgres.sniff(DIR_C2S, (const uint8_t *)SSL_REQUEST, 8),
			 SNIFF_STRONG);
	assert_int_equal(proto_postgres.sniff(DIR_C2S, (const uint8_t *)STARTUP_ALICE, 33),
			 SNIFF_STRONG);
	assert_int_equal(proto_postgres.sniff(DIR_C2S, (const uint8_t *)"\x00\x00", 2), SNIFF_MORE);
	assert_int_equal(proto_postgres.sniff(DIR_C2S, (const uint8_t *)"EHLO x\r\n", 8), SNIFF_NO);
	assert_int_equal(proto_postgres.sniff(DIR_S2C, (const uint8_t *)"N", 1), SNIFF_NO);
}

static void
test_postgres_hostile_lengths_stop_the_parser(void **unused)
{
	const struct step t[] = {
		CZ(STARTUP_ALICE),
		SB("R\xff\xff\xff\xff"),
		SB(AUTH_OK),
	};
	const struct step huge[] = {
		CB("\x00\x00\x00\x03\x00\x03\x00\x00"),
		CZ(STARTUP_ALICE),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_postgres, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_int_equal(r.facts.n_logins, 0);
	transcript_run(&proto_postgres, huge, N_STEPS(huge), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgres_ssl_request_accepted_switches_to_tls),
		cmocka_unit_test(
			test_postgres_refused_ssl_then_cleartext_password_is_a_downgrade_and_a_login),
		cmocka_unit_test(test_postgres_cleartext_password_without_ssl_request_fails),
		cmocka_unit_test(test_postgres_md5_and_scram_are_logins_without_a_secret),
		cmocka_unit_test(test_postgres_startup_injected_after_ssl_request_is_flagged),
		cmocka_unit_test(test_postgres_gssenc_refused_then_ssl_is_no_refusal),
		cmocka_unit_test(test_postgres_sniff_tells_requests_and_startup),
		cmocka_unit_test(test_postgres_hostile_lengths_stop_the_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
