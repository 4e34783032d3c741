/*
 * test_irc.c - the IRC parser: STARTTLS, PASS, SASL and NickServ
 * passwords, transcripts replayed in every chunk size; sniffing; hostile
 * input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "transcript.h"

extern const struct proto_desc proto_irc;

#define NOTICE ":irc.tlswatch.test NOTICE * :*** Looking up your hostname...\r\n"
#define CAP_LS ":irc.tlswatch.test CAP * LS :cap-notify multi-prefix sasl tls\r\n"

static void
test_irc_starttls_accepted_hands_the_client_hello_to_tls(void **unused)
{
	const struct step t[] = {
		S(NOTICE),
		C("CAP LS 302\r\n"),
		S(CAP_LS),
		C("STARTTLS\r\n"),
		S(":irc.tlswatch.test 670 * :STARTTLS successful, go ahead with TLS handshake\r\n"),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_irc, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_string_equal(r.facts.capa, "cap-notify multi-prefix sasl tls");
}

static void
test_irc_pass_succeeds_with_the_welcome_and_fails_with_464(void **unused)
{
	const struct step ok[] = {
		S(NOTICE),
		C("PASS ServerPass2024\r\nNICK alice\r\nUSER alice 0 * :Alice\r\n"),
		S(":irc.tlswatch.test 001 alice :Welcome to the tlswatch IRC Network\r\n"),
	};
	const struct step bad[] = {
		S(NOTICE),
		C("PASS WrongPass999\r\nNICK alice\r\nUSER alice 0 * :Alice\r\n"),
		S(":irc.tlswatch.test 464 alice :Password incorrect\r\nERROR :Closing link\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_irc, ok, N_STEPS(ok), &r);
	assert_login(&r.facts, 0, "PASS", "alice", "ServerPass2024", true, LOGIN_SUCCESS);
	const struct step closed[] = {
		S(NOTICE),
		C("PASS WrongPass999\r\nNICK alice\r\nUSER alice 0 * :Alice\r\n"),
		S("ERROR :Closing link: (alice@127.0.0.1) [Access denied by configuration]\r\n"),
	};

	transcript_run(&proto_irc, bad, N_STEPS(bad), &r);
	assert_login(&r.facts, 0, "PASS", "alice", "WrongPass999", true, LOGIN_FAILURE);
	/* InspIRCd closes the link instead of answering 464. */
	transcript_run(&proto_irc, closed, N_STEPS(closed), &r);
	assert_login(&r.facts, 0, "PASS", "alice", "WrongPass999", true, LOGIN_FAILURE);
}

static void
test_irc_sasl_plain_and_nickserv_identify_are_logins(void **unused)
{
	const struct step t[] = {
		S(NOTICE),
		C("CAP REQ :sasl\r\nNICK alice\r\n"),
		S(":irc.tlswatch.test CAP alice ACK :sasl\r\n"),
		C("AUTHENTICATE PLAIN\r\n"),
		S("AUTHENTICATE +\r\n"),
		C("AUTHENTICATE AGFsaWNlAEFsaWNlUGFzczIwMjQ=\r\n"),
		S(":irc.tlswatch.test 900 alice alice!a@h alice :You are now logged in\r\n"
		  ":irc.tlswatch.test 903 alice :SASL authentication successful\r\n"),
		C("CAP END\r\nPRIVMSG NickServ :IDENTIFY bob Bob Pass\r\n"),
		C("PRIVMSG #chat :IDENTIFY not a login\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_irc, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_login(&r.facts, 1, "NICKSERV", "bob", "Bob", true, LOGIN_UNKNOWN);
}

static void
test_irc_starttls_refused_then_cleartext_and_injection(void **unused)
{
	const struct step refused[] = {
		S(NOTICE),
		C("STARTTLS\r\n"),
		S(":irc.tlswatch.test 421 * STARTTLS :Unknown command\r\n"),
		C("NICK alice\r\nUSER alice 0 * :Alice\r\n"),
	};
	const struct step injected[] = {
		S(NOTICE),
		C("STARTTLS\r\nNICK mallory\r\n"),
		S(":irc.tlswatch.test 670 * :STARTTLS successful\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_irc, refused, N_STEPS(refused), &r);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	transcript_run(&proto_irc, injected, N_STEPS(injected), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_evidence(&r.facts, "NICK mallory");
}

static void
test_irc_sniff_tells_servers_and_clients(void **unused)
{
	(void)unused;
	assert_int_equal(proto_irc.sniff(DIR_S2C, (const uint8_t *)NOTICE, strlen(NOTICE)),
			 SNIFF_STRONG);
	assert_int_equal(proto_irc.sniff(DIR_S2C, (const uint8_t *)"NOTICE AUTH :x\r\n", 16),
			 SNIFF_STRONG);
	assert_int_equal(proto_irc.sniff(DIR_C2S, (const uint8_t *)"CAP LS 302\r\n", 12),
			 SNIFF_STRONG);
	assert_int_equal(proto_irc.sniff(DIR_C2S, (const uint8_t *)"USER alice\r\n", 12),
			 SNIFF_NO); /* POP3's */
	assert_int_equal(proto_irc.sniff(DIR_C2S, (const uint8_t *)"USER a 0 * :A\r\n", 15),
			 SNIFF_STRONG);
	assert_int_equal(proto_irc.sniff(DIR_S2C, (const uint8_t *)"220 smtp\r\n", 10), SNIFF_NO);
}

static void
test_irc_junk_and_truncated_input_never_crash(void **unused)
{
	static const char *const junk[] = {
		":",	      ": \r\n",	     "PASS\r\n", "AUTHENTICATE\r\n", "PRIVMSG NickServ\r\n",
		":x 464\r\n", "CAP * LS\r\n"};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		const struct step t[] = {S(NOTICE),  C(junk[i]),
					 S(junk[i]), C("AUTHENTICATE PLAIN\r\n"),
					 S(junk[i]), C(junk[i])};

		transcript_run(&proto_irc, t, N_STEPS(t), &r);
		assert_true(r.facts.n_logins <= LOGIN_MAX);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irc_starttls_accepted_hands_the_client_hello_to_tls),
		cmocka_unit_test(test_irc_pass_succeeds_with_the_welcome_and_fails_with_464),
		cmocka_unit_test(test_irc_sasl_plain_and_nickserv_identify_are_logins),
		cmocka_unit_test(test_irc_starttls_refused_then_cleartext_and_injection),
		cmocka_unit_test(test_irc_sniff_tells_servers_and_clients),
		cmocka_unit_test(test_irc_junk_and_truncated_input_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
