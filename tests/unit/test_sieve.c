/*
 * test_sieve.c - the ManageSieve parser: STARTTLS, logins with quoted and
 * literal strings, capabilities, transcripts replayed in every chunk size;
 * sniffing; hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "transcript.h"

extern const struct proto_desc proto_sieve;

#define GREETING_TLS                                                                               \
	"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n"                                            \
	"\"SIEVE\" \"fileinto reject envelope vacation\"\r\n"                                      \
	"\"NOTIFY\" \"mailto\"\r\n"                                                                \
	"\"SASL\" \"PLAIN LOGIN\"\r\n"                                                             \
	"\"STARTTLS\"\r\n"                                                                         \
	"\"VERSION\" \"1.0\"\r\n"                                                                  \
	"OK \"Dovecot ready.\"\r\n"
#define GREETING_PLAIN                                                                             \
	"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n"                                            \
	"\"SIEVE\" \"fileinto\"\r\n"                                                               \
	"\"SASL\" \"PLAIN\"\r\n"                                                                   \
	"\"VERSION\" \"1.0\"\r\n"                                                                  \
	"OK \"Dovecot ready.\"\r\n"
#define ALICE_PLAIN "AGFsaWNlAEFsaWNlUGFzczIwMjQ=" /* \0alice\0AlicePass2024 */

static void
test_sieve_starttls_accepted_hands_the_client_hello_to_tls(void **unused)
{
	const struct step t[] = {
		S(GREETING_TLS),
		C("STARTTLS\r\n"),
		S("OK \"Begin TLS negotiation now.\"\r\n"),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_sieve, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_string_equal(r.facts.capa, "IMPLEMENTATION SIEVE NOTIFY SASL STARTTLS VERSION");
	assert_string_equal(r.facts.upgrade_reply, "OK \"Begin TLS negotiation now.\"");
}

static void
test_sieve_quoted_initial_response_is_a_login(void **unused)
{
	const struct step t[] = {
		S(GREETING_TLS),
		C("AUTHENTICATE \"PLAIN\" \"" ALICE_PLAIN "\"\r\n"),
		S("OK \"Logged in.\"\r\n"),
		C("LISTSCRIPTS\r\n"),
		S("\"main\" ACTIVE\r\nOK \"Listscripts completed.\"\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_sieve, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_sieve_literal_initial_response_is_a_login(void **unused)
{
	const struct step t[] = {
		S(GREETING_PLAIN),
		C("AUTHENTICATE \"PLAIN\" {28+}\r\n" ALICE_PLAIN "\r\n"),
		S("NO \"Authentication failed.\"\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_sieve, t, N_STEPS(t), &r);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_FAILURE);
}

static void
test_sieve_response_after_an_empty_challenge_is_a_login(void **unused)
{
	const struct step t[] = {
		S(GREETING_PLAIN),
		C("AUTHENTICATE \"PLAIN\"\r\n"),
		S("\"\"\r\n"),
		C("{28+}\r\n" ALICE_PLAIN "\r\n"),
		S("OK \"Logged in.\"\r\n"),
		C("CAPABILITY\r\n"),
		S(GREETING_TLS),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_sieve, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	/* Capabilities after the login are no offer. */
	assert_false(r.facts.tls_offered);
}

static void
test_sieve_refused_starttls_then_cleartext_is_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING_TLS),
		C("STARTTLS\r\n"),
		S("NO \"TLS support isn't enabled.\"\r\n"),
		C("AUTHENTICATE \"PLAIN\" \"" ALICE_PLAIN "\"\r\n"),
		S("OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_sieve, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
}

static void
test_sieve_masked_starttls_capability_is_flagged(void **unused)
{
	const struct step t[] = {
		S("\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"XXXXXXXX\"\r\nOK \"ready\"\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_sieve, t, N_STEPS(t), &r);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.indicators & IND_CAPA_MASKED);
	assert_memory_equal(r.facts.evidence, "\"XXXXXXXX\"", r.facts.evidence_len);
}

static void
test_sieve_commands_injected_after_starttls_are_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING_TLS),
		C("STARTTLS\r\nLOGOUT\r\n"),
		S("OK \"Begin TLS negotiation now.\"\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_sieve, t, N_STEPS(t), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_memory_equal(r.facts.evidence, "LOGOUT", r.facts.evidence_len);
}

static void
test_sieve_script_literals_are_skipped(void **unused)
{
	const struct step t[] = {
		S(GREETING_PLAIN),
		C("PUTSCRIPT \"x\" {28+}\r\nSTARTTLS\r\nOK \"not a reply\"\r\n\r\n"),
		S("OK \"Putscript completed.\"\r\n"),
		C("GETSCRIPT \"x\"\r\n"),
		S("{15}\r\nNO \"fake\"\r\nOK\r\n\r\nOK \"Getscript completed.\"\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_sieve, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_refused);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_sieve_sniff_tells_greetings_and_commands(void **unused)
{
	(void)unused;
	assert_int_equal(
		proto_sieve.sniff(DIR_S2C, (const uint8_t *)GREETING_TLS, strlen(GREETING_TLS)),
		SNIFF_STRONG);
	assert_int_equal(proto_sieve.sniff(DIR_S2C, (const uint8_t *)"\"IMPL", 5), SNIFF_MORE);
	assert_int_equal(proto_sieve.sniff(DIR_S2C, (const uint8_t *)"* OK IMAP\r\n", 11),
			 SNIFF_NO);
	assert_int_equal(proto_sieve.sniff(DIR_C2S, (const uint8_t *)"AUTHENTICATE \"PLAIN\"", 20),
			 SNIFF_STRONG);
	assert_int_equal(
		proto_sieve.sniff(DIR_C2S, (const uint8_t *)"a AUTHENTICATE PLAIN\r\n", 22),
		SNIFF_NO);
	assert_int_equal(proto_sieve.sniff(DIR_C2S, (const uint8_t *)"STARTTLS\r\n", 10),
			 SNIFF_WEAK);
}

static void
test_sieve_junk_and_truncated_input_never_crash(void **unused)
{
	static const char *const junk[] = {
		"{99999999999999999999+}\r\n",
		"{5+}\r\n",
		"\"",
		"AUTHENTICATE {3+}\r\nabc",
		"{",
		"OK {3}\r\nab",
		"\"\"\r\n",
	};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		const struct step t[] = {S(GREETING_PLAIN), C(junk[i]),
					 S(junk[i]),	    C("AUTHENTICATE \"PLAIN\"\r\n"),
					 S(junk[i]),	    C(junk[i])};

		transcript_run(&proto_sieve, t, N_STEPS(t), &r);
		assert_true(r.facts.n_logins <= LOGIN_MAX);
	}
}

/* Fuzzing found it: a literal AUTHENTICATE string longer than the parser
 * keeps was counted as a cap hit once per chunk that overflowed, so the
 * count depended on how the bytes arrived. One string cut, one hit. */
static void
test_sieve_long_literal_string_is_one_cap_hit_in_any_chunking(void **unused)
{
	static char big[2048 + 64];
	struct step t[] = {
		S(GREETING_PLAIN),
		C("AUTHENTICATE \"PLAIN\" {2048+}\r\n"),
		{DIR_C2S, big, 2048},
		C("\r\n"),
	};
	struct replay_result whole, r;

	(void)unused;
	memset(big, 'A', 2048);
	replay(&proto_sieve, t, N_STEPS(t), 0, &whole);
	assert_int_equal(whole.facts.cap_hits, 1);
	for (size_t i = 0; i < REPLAY_N_CHUNKS; i++) {
		replay(&proto_sieve, t, N_STEPS(t), replay_chunks[i], &r);
		assert_int_equal(r.facts.cap_hits, 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sieve_starttls_accepted_hands_the_client_hello_to_tls),
		cmocka_unit_test(test_sieve_quoted_initial_response_is_a_login),
		cmocka_unit_test(test_sieve_literal_initial_response_is_a_login),
		cmocka_unit_test(test_sieve_response_after_an_empty_challenge_is_a_login),
		cmocka_unit_test(test_sieve_refused_starttls_then_cleartext_is_flagged),
		cmocka_unit_test(test_sieve_masked_starttls_capability_is_flagged),
		cmocka_unit_test(test_sieve_commands_injected_after_starttls_are_flagged),
		cmocka_unit_test(test_sieve_script_literals_are_skipped),
		cmocka_unit_test(test_sieve_sniff_tells_greetings_and_commands),
		cmocka_unit_test(test_sieve_junk_and_truncated_input_never_crash),
		cmocka_unit_test(test_sieve_long_literal_string_is_one_cap_hit_in_any_chunking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
