/*
 * test_pop3.c - the POP3 parser: transcripts replayed in every chunk size,
 * sniffing, and hostile input.
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

extern const struct proto_desc proto_pop3;

#define GREETING "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
#define CAPA_STLS                                                                                  \
	"+OK Capability list follows\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n"       \
	"STLS\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n"

/* Replays in every chunk size; the facts and the bytes left for TLS must be
 * the same each time. *whole gets the run with whole steps. */
/* ---- STLS ------------------------------------------------------------------------- */

static void
test_pop3_stls_accepted_hands_the_client_hello_to_tls(void **unused)
{
	const struct step t[] = {
		S("+OK Dovecot ready.\r\n"),
		C("CAPA\r\n"),
		S(CAPA_STLS),
		C("STLS\r\n"),
		S("+OK Begin TLS negotiation now.\r\n"),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_false(r.facts.upgrade_refused);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_memory_equal(r.after_bytes[DIR_C2S], "\x16\x03\x01\x00\x05", 5);
	assert_string_equal(r.facts.capa, "CAPA TOP UIDL RESP-CODES PIPELINING STLS USER SASL");
	assert_string_equal(r.facts.upgrade_reply, "+OK Begin TLS negotiation now.");
}

static void
test_pop3_bytes_after_the_stls_ok_are_left_for_tls(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("stls\r\n"),
		S("+OK go\r\n\x16\x03\x03xy"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_S2C], 5);
	assert_memory_equal(r.after_bytes[DIR_S2C], "\x16\x03\x03xy", 5);
}

static void
test_pop3_stls_offered_but_not_used_leaves_a_cleartext_login(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("CAPA\r\n"),
		S(CAPA_STLS),
		C("USER alice\r\n"),
		S("+OK\r\n"),
		C("PASS s3cr3t\r\n"),
		S("+OK Logged in.\r\n"),
		C("STAT\r\n"),
		S("+OK 2 320\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.commands, 4);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "USER", "alice", "s3cr3t", true, LOGIN_SUCCESS);
}

static void
test_pop3_stls_not_offered_and_no_cleartext_auth(void **unused)
{
	const struct step t[] = {
		S("+OK ready\r\n"),
		C("CAPA\r\n"),
		S("+OK\r\nTOP\r\nUIDL\r\nSASL CRAM-MD5 GSSAPI\r\nIMPLEMENTATION "
		  "XXXXserver\r\n.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
	assert_false(r.facts.auth_cleartext_offered);
	assert_int_equal(r.facts.indicators, 0);
}

static void
test_pop3_capa_refused_is_not_a_capability_list(void **unused)
{
	const struct step t[] = {
		S("+OK ready\r\n"), C("CAPA\r\n"), S("-ERR unknown command\r\n"),
		C("USER bob\r\n"),  S("+OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_false(r.facts.capa_seen);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.n_logins, 0);
}

static void
test_pop3_refused_stls_then_cleartext_is_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("STLS\r\n"),
		S("-ERR [SYS/TEMP] TLS not available\r\n"),
		C("USER bob\r\n"),
		S("+OK\r\n"),
		C("PASS hunter2\r\n"),
		S("-ERR [AUTH] Authentication failed.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_refused);
	assert_false(r.facts.upgrade_accepted);
	assert_true(r.facts.cleartext_after_refusal);
	assert_int_equal(r.facts.indicators, IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "-ERR [SYS/TEMP] TLS not available");
	assert_string_equal(r.facts.upgrade_reply, "-ERR [SYS/TEMP] TLS not available");
	assert_string_equal(r.facts.capa, "");
	assert_login(&r.facts, 0, "USER", "bob", "hunter2", true, LOGIN_FAILURE);
}

static void
test_pop3_masked_capability_is_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("CAPA\r\n"),
		S("+OK\r\nTOP\r\nXXXX\r\nUSER\r\n.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_int_equal(r.facts.indicators, IND_CAPA_MASKED);
	assert_evidence(&r.facts, "XXXX");
}

static void
test_pop3_masked_stls_command_is_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("XXXX\r\n"),
		S("-ERR Unknown command\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_refused);
	assert_int_equal(r.facts.indicators, IND_CMD_MASKED);
	assert_evidence(&r.facts, "XXXX");
}

static void
test_pop3_commands_injected_after_stls_are_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("STLS\r\nUSER mallory\r\n"),
		S("+OK Begin TLS\r\n"),
		CB("\x16\x03\x01"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, IND_CMD_INJECTION);
	assert_evidence(&r.facts, "USER mallory");
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 3);
}

static void
test_pop3_injected_bytes_without_line_end_are_flagged_on_the_reply(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("STLS\r\n"),
		C("NOOP"),
		S("+OK Begin TLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, IND_CMD_INJECTION);
	assert_evidence(&r.facts, "NOOP");
}

static void
test_pop3_client_hello_before_the_reply_switches_to_tls(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		CB("STLS\r\n\x16\x03\x01\x00\x02hi"),
		S("+OK Begin TLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, 0);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 7);
	assert_int_equal(r.after_switch[DIR_S2C], strlen("+OK Begin TLS\r\n"));
}

/* ---- logins ----------------------------------------------------------------------- */

static void
test_pop3_user_pass_failure_keeps_a_password_with_spaces(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("user alice\r\n"),
		S("+OK\r\n"),
		C("pass my secret pw\r\n"),
		S("-ERR [AUTH] invalid password\r\n"),
		C("USER alice\r\nPASS right\r\n"),
		S("+OK\r\n+OK mailbox locked and ready\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "USER", "alice", "my secret pw", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "USER", "alice", "right", true, LOGIN_SUCCESS);
}

static void
test_pop3_auth_plain_with_initial_response(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH PLAIN AGFsaWNlAHMzY3IzdA==\r\n"),
		S("+OK Logged in.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.anomalies, 0);
	assert_login(&r.facts, 0, "PLAIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
}

static void
test_pop3_auth_plain_after_continuation_can_fail(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH PLAIN\r\n"),
		S("+ \r\n"),
		C("AGJvYgBodW50ZXIy\r\n"),
		S("-ERR [AUTH] Authentication failed.\r\n"),
		C("QUIT\r\n"),
		S("+OK bye\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
	assert_login(&r.facts, 0, "PLAIN", "bob", "hunter2", true, LOGIN_FAILURE);
}

static void
test_pop3_auth_login_takes_two_continuations(void **unused)
{
	const struct step t[] = {
		S(GREETING),	   C("AUTH LOGIN\r\n"),	    S("+ VXNlcm5hbWU6\r\n"),
		C("YWxpY2U=\r\n"), S("+ UGFzc3dvcmQ6\r\n"), C("czNjcjN0\r\n"),
		S("+OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.commands, 1);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
}

/* SCRAM comes from the SASL module SMTP shares. */
static void
test_pop3_auth_scram_gives_the_unescaped_username(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH SCRAM-SHA-1\r\n"),
		S("+ \r\n"),
		/* n,,n=us=2Cer=3Dx,r=rOprNGfwEbeRWgbNEkqO */
		C("biwsbj11cz0yQ2VyPTNEeCxyPXJPcHJOR2Z3RWJlUldnYk5Fa3FP\r\n"),
		S("-ERR [AUTH] Authentication failed.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.anomalies, 0);
	assert_login(&r.facts, 0, "SCRAM-SHA-1", "us,er=x", "", false, LOGIN_FAILURE);
}

static void
test_pop3_auth_cancelled_by_star(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH LOGIN\r\n"),
		S("+ VXNlcm5hbWU6\r\n"),
		C("*\r\n"),
		S("-ERR authentication aborted\r\n"),
		C("STAT\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.commands, 2);
	assert_login(&r.facts, 0, "LOGIN", "", "", false, LOGIN_FAILURE);
}

/* ---- Pipelined SASL (RFC 2449 PIPELINING) ------------------------------------------ */

static void
test_pop3_auth_plain_pipelined_before_the_continuation_records_the_secret(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH PLAIN\r\nAGJvYgBodW50ZXIy\r\n"), /* \0bob\0hunter2 */
		S("+ \r\n-ERR [AUTH] Authentication failed.\r\n"),
		C("AUTH PLAIN\r\nAGFsaWNlAHMzY3IzdA==\r\nSTAT\r\n"), /* \0alice\0s3cr3t */
		S("+ \r\n+OK Logged in.\r\n+OK 2 320\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "bob", "hunter2", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "PLAIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 3); /* AUTH, AUTH, STAT */
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_pop3_auth_login_pipelined_before_the_continuations_records_the_secret(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH LOGIN\r\nYWxpY2U=\r\nczNjcjN0\r\n"),
		S("+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n+OK Logged in.\r\n"),
		C("STAT\r\n"),
		S("+OK 2 320\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_pop3_user_and_pass_pipelined_after_an_initial_response_record_the_secret(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH PLAIN AGFsaWNlAHdyb25n\r\nUSER bob\r\nPASS hunter2\r\n"), /* \0alice\0wrong
										   */
		S("-ERR [AUTH] Authentication failed.\r\n+OK\r\n+OK Logged in.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "alice", "wrong", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "USER", "bob", "hunter2", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 3);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_pop3_user_and_pass_pipelined_after_capa_record_the_secret(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("CAPA\r\nUSER bob\r\nPASS hunter2\r\n"),
		S(CAPA_STLS "+OK\r\n-ERR [AUTH] Invalid password\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_login(&r.facts, 0, "USER", "bob", "hunter2", true, LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 3);
}

static void
test_pop3_responses_pipelined_into_a_refused_auth_keep_later_outcomes_in_order(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH PLAIN\r\nAGFsaWNlAHMzY3IzdA==\r\nUSER bob\r\nPASS hunter2\r\n"),
		S("-ERR Unsupported mechanism\r\n-ERR Unknown command\r\n+OK\r\n"
		  "-ERR [AUTH] Invalid password\r\n"),
		C("STAT\r\n"),
		S("-ERR Not logged in\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	/* The password crossed the wire even though the server never read it. */
	assert_login(&r.facts, 0, "PLAIN", "alice", "s3cr3t", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "USER", "bob", "hunter2", true, LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 4);
}

static void
test_pop3_pipelined_star_cancels_and_the_next_lines_are_commands(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH LOGIN\r\n*\r\nUSER bob\r\nPASS hunter2\r\n"),
		S("+ VXNlcm5hbWU6\r\n-ERR authentication aborted\r\n+OK\r\n+OK Logged in.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "LOGIN", "", "", false, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "USER", "bob", "hunter2", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 3);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_pop3_a_command_after_auth_was_refused_is_not_a_sasl_response(void **unused)
{
	const struct step t[] = {
		S(GREETING),   C("AUTH PLAIN\r\n"),	    S("-ERR Unsupported mechanism\r\n"),
		C("STAT\r\n"), S("-ERR Not logged in\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "", "", false, LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_pop3_pipelined_non_base64_line_invents_no_secret(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH PLAIN\r\nbob hunter2\r\n"),
		S("+ \r\n-ERR [AUTH] Invalid base64 data\r\n"),
		C("QUIT\r\n"),
		S("+OK bye\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "", "", false, LOGIN_FAILURE);
}

static void
test_pop3_apop_has_a_username_and_no_secret(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
		S("+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "APOP", "mrose", "", false, LOGIN_SUCCESS);
}

static void
test_pop3_capabilities_after_login_do_not_count_as_offers(void **unused)
{
	const struct step t[] = {
		S("+OK ready\r\n"),
		C("CAPA\r\nUSER a\r\nPASS b\r\nCAPA\r\n"),
		S("+OK\r\nUSER\r\nSASL "
		  "CRAM-MD5\r\n.\r\n+OK\r\n+OK\r\n+OK\r\nSTLS\r\nuser\r\n.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered); /* from the first CAPA */
	assert_string_equal(r.facts.capa, "USER SASL STLS");
	assert_login(&r.facts, 0, "USER", "a", "b", true, LOGIN_SUCCESS);
}

static void
test_pop3_midstream_first_server_line_answers_a_command(void **unused)
{
	const struct step t[] = {
		C("USER bob\r\nPASS x\r\n"),
		S("+OK\r\n+OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_false(r.facts.greeting);
	assert_login(&r.facts, 0, "USER", "bob", "x", true, LOGIN_SUCCESS);
}

/* ---- multi-line answers ------------------------------------------------------------ */

static void
test_pop3_stls_and_ok_inside_a_message_body_are_ignored(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("USER alice\r\nPASS pw\r\n"),
		S("+OK\r\n+OK logged in\r\n"),
		C("LIST\r\n"),
		S("+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n"),
		C("RETR 1\r\nCAPA\r\nLIST 2\r\n"),
		S("+OK 120 octets\r\nSubject: hi\r\n\r\nSTLS\r\n+OK Begin TLS\r\n"
		  "..\r\n.. STLS\r\n+OK\r\nSTLS\r\n.\r\n"),
		S("+OK\r\nUSER\r\n.\r\n+OK 2 200\r\n"),
		C("TOP 2 0\r\nUIDL\r\nUIDL 1\r\n"),
		S("+OK\r\nFrom: x\r\n\r\n.\r\n+OK\r\n1 abc\r\n2 def\r\n.\r\n+OK 1 abc\r\n"),
		C("RETR 9\r\nSTAT\r\n"),
		S("-ERR no such message\r\n+OK 2 320\r\n"),
		C("STLS\r\n"),
		S("-ERR Command not permitted when TLS active\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
	assert_false(r.facts.upgrade_accepted);
	assert_false(r.facts.switch_to_tls);
	assert_true(r.facts.upgrade_refused);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.commands, 12);
	assert_int_equal(r.facts.indicators, IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "-ERR Command not permitted when TLS active");
}

static void
test_pop3_bare_auth_lists_mechanisms(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH\r\n"),
		S("+OK\r\nPLAIN\r\n+OK\r\nXXXX\r\n.\r\n"),
		C("USER bob\r\nPASS x\r\n"),
		S("+OK\r\n+OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "USER", "bob", "x", true, LOGIN_SUCCESS);
}

/* ---- caps, gaps, hostile input ---------------------------------------------------- */

static void
test_pop3_overlong_lines_are_cut_and_flagged(void **unused)
{
	static char cline[3000], sline[2500];
	struct step t[] = {
		S(GREETING),	 C(""),		  S("-ERR line too long\r\n"),
		C("RETR 1\r\n"), S(""),		  S("body STLS\r\n+OK\r\n.\r\n"),
		C("STLS\r\n"),	 S("+OK go\r\n"),
	};
	struct replay_result r;

	(void)unused;
	memcpy(cline, "NOOP ", 5);
	memset(cline + 5, 'x', sizeof(cline) - 8);
	memcpy(cline + sizeof(cline) - 3, "\r\n", 3);
	memcpy(sline, "+OK ", 4);
	memset(sline + 4, 'y', sizeof(sline) - 7);
	memcpy(sline + sizeof(sline) - 3, "\r\n", 3);
	t[1].text = cline;
	t[4].text = sline;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_LINE_TOO_LONG);
	assert_true(r.facts.cap_hits >= 2);
	assert_int_equal(r.facts.commands, 3);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_int_equal(r.facts.indicators, 0);
}

static void
test_pop3_more_pipelined_commands_than_kept_are_flagged(void **unused)
{
	static char many[80 * 6 + 1];
	struct step t[] = {
		S(GREETING),
		C(""),
	};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < 80; i++)
		memcpy(many + i * 6, "NOOP\r\n", 6);
	t[1].text = many;
	transcript_run(&proto_pop3, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_PIPELINE_CAP);
	assert_int_equal(r.facts.commands, 80);
}

static void
test_pop3_gap_stops_the_parser(void **unused)
{
	static const char stls[] = "STLS\r\n";
	void *state;
	struct proto_facts f;

	(void)unused;
	state = test_calloc(1, proto_pop3.state_size);
	memset(&f, 0, sizeof(f));
	proto_pop3.init(state);
	proto_pop3.feed(state, &f, DIR_S2C, (const uint8_t *)GREETING, strlen(GREETING));
	proto_pop3.gap(state, &f, DIR_S2C);
	assert_int_equal(proto_pop3.feed(state, &f, DIR_C2S, (const uint8_t *)stls, strlen(stls)),
			 0);
	proto_pop3.fini(state);
	test_free(state);
	assert_true(f.anomalies & PROTO_ANOM_GAP);
	assert_true(f.greeting);
	assert_false(f.upgrade_requested);
}

static void
test_pop3_sniff_tells_greetings_and_commands(void **unused)
{
	static const struct {
		enum dir dir;
		const char *text;
		enum sniff_result want;
	} v[] = {
		{DIR_S2C, "+OK POP3 server ready\r\n", SNIFF_STRONG},
		{DIR_S2C, "+OK Dovecot ready.\r\n", SNIFF_STRONG},
		{DIR_S2C, "+OK <1896.697170952@dbc.mtview.ca.us>\r\n", SNIFF_STRONG},
		{DIR_S2C, "+OK hello\r\n", SNIFF_WEAK},
		{DIR_S2C, "+OK\r\n", SNIFF_WEAK},
		{DIR_S2C, "+OK hel", SNIFF_MORE},
		{DIR_S2C, "+O", SNIFF_MORE},
		{DIR_S2C, "", SNIFF_MORE},
		{DIR_S2C, "+OKAY\r\n", SNIFF_NO},
		{DIR_S2C, "-ERR busy\r\n", SNIFF_NO},
		{DIR_S2C, "* OK IMAP4rev1 ready\r\n", SNIFF_NO},
		{DIR_S2C, "220 mail ESMTP\r\n", SNIFF_NO},
		{DIR_C2S, "CAPA\r\n", SNIFF_STRONG},
		{DIR_C2S, "capa\n", SNIFF_STRONG},
		{DIR_C2S, "USER alice\r\n", SNIFF_WEAK},
		{DIR_C2S, "STLS\r\n", SNIFF_STRONG},
		{DIR_C2S, "AUTH PLAIN\r\n", SNIFF_WEAK},
		{DIR_C2S, "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n", SNIFF_WEAK},
		{DIR_C2S, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", SNIFF_STRONG},
		{DIR_C2S, "CAP", SNIFF_MORE},
		{DIR_C2S, "CAPA", SNIFF_MORE},
		{DIR_C2S, "USER", SNIFF_MORE},
		{DIR_C2S, "USER alice", SNIFF_MORE},
		{DIR_C2S, "AUTH TL", SNIFF_MORE},
		{DIR_C2S, "AUTH TLS", SNIFF_MORE},
		{DIR_C2S, "AUTH PLA", SNIFF_WEAK},
		{DIR_C2S, "CAPABILITY\r\n", SNIFF_NO},
		{DIR_C2S, "a1 CAPABILITY\r\n", SNIFF_NO},
		{DIR_C2S, "EHLO x\r\n", SNIFF_NO},
		{DIR_C2S, "\x16\x03\x01", SNIFF_NO},
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum sniff_result got =
			proto_pop3.sniff(v[i].dir, (const uint8_t *)v[i].text, strlen(v[i].text));

		if (got != v[i].want)
			fail_msg("sniff(%s, \"%s\") = %d, want %d",
				 v[i].dir == DIR_C2S ? "c2s" : "s2c", v[i].text, got, v[i].want);
	}
}

/* FTP (USER, AUTH TLS) and IRC (USER, PASS) open with commands POP3 also has:
 * those first lines must never be a strong POP3 claim, which would win on any
 * port (an FTP "AUTH TLS" was read as a POP3 login with mechanism TLS). */
static void
test_pop3_sniff_ftp_and_irc_first_lines_are_weak_at_most(void **unused)
{
	static const char *const weak_at_most[] = {
		"USER anonymous\r\n",
		"AUTH TLS\r\n",
		"AUTH SSL\r\n",
		"auth tls\r\n",
		"PASS NcFTP@\r\n",
		"USER hello\r\n",
		"USER xxxxx +iw xxxxx :Xxxxxx Xxxx\r\n",
		"PASS secret\r\nNICK molochtest\r\n",
	};
	static const char *const not_at_all[] = {
		"AUTH TLS\r\n",
		"AUTH TLS-C\r\n",
		"AUTH SSL \r\n",
		"USER guest 0 * :Ronnie Reagan\r\n",
		"USER xxxxx +iw xxxxx :Xxxxxx Xxxx",
		"PASS secret\r\n",
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(weak_at_most) / sizeof(weak_at_most[0]); i++) {
		const char *t = weak_at_most[i];
		enum sniff_result got = proto_pop3.sniff(DIR_C2S, (const uint8_t *)t, strlen(t));

		if (got == SNIFF_STRONG)
			fail_msg("sniff(\"%s\") is strong", t);
	}
	for (size_t i = 0; i < sizeof(not_at_all) / sizeof(not_at_all[0]); i++) {
		const char *t = not_at_all[i];
		enum sniff_result got = proto_pop3.sniff(DIR_C2S, (const uint8_t *)t, strlen(t));

		if (got != SNIFF_NO)
			fail_msg("sniff(\"%s\") = %d, want SNIFF_NO", t, got);
	}
}

static uint32_t
junk_next(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return *seed;
}

/* POP3-flavoured junk. */
static size_t
junk_fill(uint32_t *seed, uint8_t *buf, size_t cap)
{
	static const char *const pieces[] = {
		"+OK",	      "-ERR",  "+ ",	      "\r\n",
		"\n",	      ".\r\n", "\r\n.\r\n",   "..",
		"STLS",	      "CAPA",  "USER ",	      "PASS ",
		"APOP ",      "AUTH ", "AUTH PLAIN ", "AUTH LOGIN",
		"RETR 1",     "LIST",  "UIDL",	      "TOP 1 0",
		"SASL PLAIN", "XXXX",  "*",	      "AGFsaWNlAHMzY3IzdA==",
		"\x16\x03",   " ",
	};
	size_t n = 0, want = junk_next(seed) % cap;

	while (n < want) {
		uint32_t r = junk_next(seed);

		if (r % 3 == 0) {
			buf[n++] = (uint8_t)(r >> 8);
		} else {
			const char *pc = pieces[(r >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t k = strlen(pc);

			if (n + k > cap)
				break;
			memcpy(buf + n, pc, k);
			n += k;
		}
	}
	return n;
}

static void
test_pop3_junk_empty_and_truncated_input_never_crash(void **unused)
{
	static uint8_t bufs[8][1500];
	uint32_t seed = 0xdecafbad;
	struct replay_result r;
	const struct step full[] = {
		S(GREETING),
		C("CAPA\r\n"),
		S(CAPA_STLS),
		C("AUTH LOGIN\r\n"),
		S("+ VXNlcm5hbWU6\r\n"),
		C("YWxpY2U=\r\n"),
		S("+ UGFzc3dvcmQ6\r\n"),
		C("czNjcjN0\r\nRETR 1\r\nSTLS\r\n"),
		S("+OK\r\n+OK\r\nbody\r\n.\r\n+OK go\r\n"),
	};
	void *state;
	struct proto_facts f;

	(void)unused;
	state = test_calloc(1, proto_pop3.state_size);
	memset(&f, 0, sizeof(f));
	proto_pop3.init(state);
	assert_int_equal(proto_pop3.feed(state, &f, DIR_C2S, (const uint8_t *)"", 0), 0);
	assert_int_equal(proto_pop3.feed(state, &f, DIR_S2C, NULL, 0), 0);
	proto_pop3.fini(state);
	test_free(state);

	for (int round = 0; round < 200; round++) {
		struct step t[8];

		for (size_t i = 0; i < 8; i++) {
			size_t n = junk_fill(&seed, bufs[i], sizeof(bufs[i]));

			if (n == 0)
				bufs[i][n++] = '\n';
			t[i].dir = (junk_next(&seed) & 1) ? DIR_C2S : DIR_S2C;
			t[i].text = (const char *)bufs[i];
			t[i].len = n;
		}
		transcript_run(&proto_pop3, t, 8, &r);
	}

	for (size_t i = 0; i < N_STEPS(full); i++) {
		for (size_t k = 1; k <= strlen(full[i].text); k++) {
			struct step t[N_STEPS(full)];

			memcpy(t, full, sizeof(t));
			t[i].len = k;
			transcript_run(&proto_pop3, t, i + 1, &r);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pop3_stls_accepted_hands_the_client_hello_to_tls),
		cmocka_unit_test(test_pop3_bytes_after_the_stls_ok_are_left_for_tls),
		cmocka_unit_test(test_pop3_stls_offered_but_not_used_leaves_a_cleartext_login),
		cmocka_unit_test(test_pop3_stls_not_offered_and_no_cleartext_auth),
		cmocka_unit_test(test_pop3_capa_refused_is_not_a_capability_list),
		cmocka_unit_test(test_pop3_refused_stls_then_cleartext_is_flagged),
		cmocka_unit_test(test_pop3_masked_capability_is_flagged),
		cmocka_unit_test(test_pop3_masked_stls_command_is_flagged),
		cmocka_unit_test(test_pop3_commands_injected_after_stls_are_flagged),
		cmocka_unit_test(
			test_pop3_injected_bytes_without_line_end_are_flagged_on_the_reply),
		cmocka_unit_test(test_pop3_client_hello_before_the_reply_switches_to_tls),
		cmocka_unit_test(test_pop3_user_pass_failure_keeps_a_password_with_spaces),
		cmocka_unit_test(test_pop3_auth_plain_with_initial_response),
		cmocka_unit_test(test_pop3_auth_plain_after_continuation_can_fail),
		cmocka_unit_test(test_pop3_auth_login_takes_two_continuations),
		cmocka_unit_test(test_pop3_auth_scram_gives_the_unescaped_username),
		cmocka_unit_test(test_pop3_auth_cancelled_by_star),
		cmocka_unit_test(
			test_pop3_auth_plain_pipelined_before_the_continuation_records_the_secret),
		cmocka_unit_test(
			test_pop3_auth_login_pipelined_before_the_continuations_records_the_secret),
		cmocka_unit_test(
			test_pop3_user_and_pass_pipelined_after_an_initial_response_record_the_secret),
		cmocka_unit_test(test_pop3_user_and_pass_pipelined_after_capa_record_the_secret),
		cmocka_unit_test(
			test_pop3_responses_pipelined_into_a_refused_auth_keep_later_outcomes_in_order),
		cmocka_unit_test(test_pop3_pipelined_star_cancels_and_the_next_lines_are_commands),
		cmocka_unit_test(test_pop3_a_command_after_auth_was_refused_is_not_a_sasl_response),
		cmocka_unit_test(test_pop3_pipelined_non_base64_line_invents_no_secret),
		cmocka_unit_test(test_pop3_apop_has_a_username_and_no_secret),
		cmocka_unit_test(test_pop3_capabilities_after_login_do_not_count_as_offers),
		cmocka_unit_test(test_pop3_midstream_first_server_line_answers_a_command),
		cmocka_unit_test(test_pop3_stls_and_ok_inside_a_message_body_are_ignored),
		cmocka_unit_test(test_pop3_bare_auth_lists_mechanisms),
		cmocka_unit_test(test_pop3_overlong_lines_are_cut_and_flagged),
		cmocka_unit_test(test_pop3_more_pipelined_commands_than_kept_are_flagged),
		cmocka_unit_test(test_pop3_gap_stops_the_parser),
		cmocka_unit_test(test_pop3_sniff_tells_greetings_and_commands),
		cmocka_unit_test(test_pop3_sniff_ftp_and_irc_first_lines_are_weak_at_most),
		cmocka_unit_test(test_pop3_junk_empty_and_truncated_input_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
