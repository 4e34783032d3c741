/*
 * test_imap.c - the IMAP parser: transcripts replayed in every chunk size,
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

extern const struct proto_desc proto_imap;

/* Replays in every chunk size; the facts and the bytes left for TLS must be
 * the same each time. *whole gets the run with whole steps. */
/* ---- STARTTLS ----------------------------------------------------------------- */

static void
test_imap_starttls_accepted_hands_the_client_hello_to_tls(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED] Dovecot ready.\r\n"),
		C("a001 CAPABILITY\r\n"),
		S("* CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED\r\n"
		  "a001 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"),
		C("a002 STARTTLS\r\n"),
		S("a002 OK Begin TLS negotiation now.\r\n"),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.auth_cleartext_offered);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_false(r.facts.upgrade_refused);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_memory_equal(r.after_bytes[DIR_C2S], "\x16\x03\x01\x00\x05", 5);
	assert_int_equal(r.after_switch[DIR_S2C], 0);
	assert_string_equal(r.facts.capa, "IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED");
	assert_string_equal(r.facts.upgrade_reply, "a002 OK Begin TLS negotiation now.");
}

static void
test_imap_bytes_after_the_tagged_ok_are_left_for_tls(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
		C("x STARTTLS\r\n"),
		S("* OK still here\r\nx ok go ahead\r\n\x16\x03\x03junk"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.switch_to_tls);
	assert_true(r.facts.upgrade_accepted);
	assert_int_equal(r.after_switch[DIR_S2C], 7);
	assert_memory_equal(r.after_bytes[DIR_S2C], "\x16\x03\x03junk", 7);
}

static void
test_imap_starttls_offered_but_not_used_leaves_a_cleartext_login(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 LITERAL+ STARTTLS AUTH=PLAIN] ready\r\n"),
		C("a1 LOGIN alice s3cr3t\r\n"),
		S("a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n"),
		C("a2 SELECT INBOX\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
}

static void
test_imap_starttls_not_offered_is_seen_in_the_capability_response(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 Service Ready\r\n"),
		C("a1 CAPABILITY\r\n"),
		S("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(r.facts.indicators, 0);
}

static void
test_imap_refused_starttls_then_cleartext_is_flagged(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
		C("a1 STARTTLS\r\n"),
		S("a1 NO [UNAVAILABLE] TLS not available\r\n"),
		C("a2 LOGIN bob hunter2\r\n"),
		S("a2 NO [AUTHENTICATIONFAILED] Authentication failed\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_accepted);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "a1 NO [UNAVAILABLE] TLS not available");
	assert_login(&r.facts, 0, "LOGIN", "bob", "hunter2", true, LOGIN_FAILURE);
}

static void
test_imap_capability_keywords_and_the_upgrade_reply_are_kept_for_display(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"),
		C("a1 CAPABILITY\r\n"),
		S("* CAPABILITY IMAP4rev1 starttls LOGINDISABLED ID\r\na1 OK\r\n"),
		C("a2 STARTTLS\r\n"),
		S("a2 NO \x01TLS unavailable\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_string_equal(r.facts.capa, "IMAP4rev1 STARTTLS LOGINDISABLED ID");
	assert_string_equal(r.facts.upgrade_reply, "a2 NO ?TLS unavailable");
}

static void
test_imap_bad_reply_to_starttls_counts_as_refused(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 STARTTLS\r\n"),
		S("a1 BAD unknown command\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_refused);
	assert_false(r.facts.cleartext_after_refusal);
	assert_int_equal(r.facts.indicators, IND_UPGRADE_REFUSED);
}

static void
test_imap_masked_capability_is_flagged(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 CAPABILITY\r\n"),
		S("* CAPABILITY IMAP4rev1 XXXXXXXX AUTH=PLAIN\r\na1 OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_false(r.facts.tls_offered);
	assert_int_equal(r.facts.indicators, IND_CAPA_MASKED);
	assert_evidence(&r.facts, "* CAPABILITY IMAP4rev1 XXXXXXXX AUTH=PLAIN");
}

static void
test_imap_masked_capability_in_the_greeting_code_is_flagged(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 XXXXXXXA LOGINDISABLED] ready\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, IND_CAPA_MASKED);
	assert_false(r.facts.auth_cleartext_offered);
}

static void
test_imap_ordinary_x_capabilities_are_not_masked(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 XLIST X-GM-EXT-1 XAPPLEPUSHSERVICE XX] ready\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, 0);
}

static void
test_imap_masked_starttls_command_is_flagged(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 XXXXXXXX] ready\r\n"),
		C("a1 XXXXXXXX\r\n"),
		S("a1 BAD Error in IMAP command\r\n"),
		C("a2 LOGIN u p\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(r.facts.indicators, IND_CAPA_MASKED | IND_CMD_MASKED);
	assert_evidence(&r.facts, "* OK [CAPABILITY IMAP4rev1 XXXXXXXX] ready");
	assert_int_equal(r.facts.commands, 2);
}

static void
test_imap_masked_command_alone_keeps_its_evidence(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 XXXXXXXX\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, IND_CMD_MASKED);
	assert_evidence(&r.facts, "a1 XXXXXXXX");
}

static void
test_imap_commands_injected_after_starttls_are_flagged(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
		C("a1 STARTTLS\r\na2 LOGIN mallory pw\r\n"),
		S("a1 OK Begin TLS negotiation now\r\n"),
		CB("\x16\x03\x01\x00\x01x"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, IND_CMD_INJECTION);
	assert_evidence(&r.facts, "a2 LOGIN mallory pw");
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 6);
	assert_int_equal(r.facts.n_logins, 1);
}

static void
test_imap_injected_bytes_without_line_end_are_flagged_on_the_reply(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
		C("a1 STARTTLS\r\n"),
		C("a2 NOOP"),
		S("a1 OK Begin TLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, IND_CMD_INJECTION);
	assert_evidence(&r.facts, "a2 NOOP");
	assert_true(r.facts.switch_to_tls);
}

static void
test_imap_client_hello_before_the_reply_switches_to_tls(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
		C("a1 STARTTLS\r\n"),
		CB("\x16\x03\x01\x00\x02hi"),
		S("a1 OK Begin TLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, 0);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 7);
	assert_int_equal(r.after_switch[DIR_S2C], strlen("a1 OK Begin TLS\r\n"));
}

static void
test_imap_client_hello_in_the_starttls_segment_is_not_injection(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
		CB("a1 STARTTLS\r\n\x16\x03\x01\x00\x02hi"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.indicators, 0);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 7);
}

static void
test_imap_preauth_greeting_is_flagged(void **unused)
{
	const struct step t[] = {
		S("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] IMAP4rev1 server logged in as "
		  "alice\r\n"),
		C("a1 SELECT INBOX\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_int_equal(r.facts.indicators, IND_PREAUTH);
	assert_evidence(&r.facts,
			"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] IMAP4rev1 server logged in as "
			"alice");
	assert_false(r.facts.auth_cleartext_offered);
	assert_int_equal(r.facts.n_logins, 0);
}

static void
test_imap_bye_greeting_is_a_greeting(void **unused)
{
	const struct step t[] = {
		S("* BYE server overloaded\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_false(r.facts.capa_seen);
}

/* ---- LOGIN ---------------------------------------------------------------------- */

static void
test_imap_login_with_quoted_and_escaped_arguments(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 login \"al ice\" \"p\\\"w\\\\d x\"\r\n"),
		S("a1 OK done\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.anomalies, 0);
	assert_login(&r.facts, 0, "LOGIN", "al ice", "p\"w\\d x", true, LOGIN_SUCCESS);
}

static void
test_imap_login_with_synchronizing_literals(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 LOGIN {5}\r\n"),
		S("+ Ready for literal data\r\n"),
		C("alice {6}\r\n"),
		S("+ Ready for literal data\r\n"),
		C("s3cr3t\r\n"),
		S("a1 OK LOGIN completed\r\n"),
		C("a2 LOGOUT\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.commands, 2);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
}

static void
test_imap_login_literal_with_line_ends_and_commands_inside_is_data(void **unused)
{
	/* LITERAL+ username, then a password literal holding a CR LF and what
	 * looks like a command. */
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 LITERAL+ STARTTLS] ready\r\n"),
		C("a1 LOGIN {5+}\r\nalice {16+}\r\np\r\na9 STARTTLS\r\n\r\n"),
		S("a1 NO bad password\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(r.facts.commands, 1);
	assert_login(&r.facts, 0, "LOGIN", "alice", "p??a9 STARTTLS??", true, LOGIN_FAILURE);
}

static void
test_imap_login_mixing_quoted_and_literal(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"), C("a1 LOGIN \"bob\" {3}\r\n"), S("+ go\r\n"), C("pw!\r\n"),
		S("a1 OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "LOGIN", "bob", "pw!", true, LOGIN_SUCCESS);
}

static void
test_imap_login_without_password_is_odd_syntax(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 LOGIN bob\r\n"),
		S("a1 BAD missing argument\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_login(&r.facts, 0, "LOGIN", "bob", "", false, LOGIN_FAILURE);
}

static void
test_imap_long_username_is_cut_and_nonprintables_replaced(void **unused)
{
	char line[256];
	char user[100];
	char want[LOGIN_FIELD_MAX];
	struct step t[3] = {S("* OK ready\r\n"), C(""), S("a1 OK\r\n")};
	struct replay_result r;

	(void)unused;
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	snprintf(line, sizeof(line), "a1 LOGIN %s \"tab\there\"\r\n", user);
	t[1].text = line;
	memset(want, 'u', sizeof(want) - 4);
	memcpy(want + sizeof(want) - 4, "...", 4); /* cut, and marked so */
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "LOGIN", want, "tab?here", true, LOGIN_SUCCESS);
}

static void
test_imap_more_logins_than_kept_are_counted(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 LOGIN u1 p\r\na2 LOGIN u2 p\r\na3 LOGIN u3 p\r\n"
		  "a4 LOGIN u4 p\r\na5 LOGIN u5 p\r\na6 LOGIN u6 p\r\n"),
		S("a1 NO\r\na2 NO\r\na3 NO\r\na4 NO\r\na5 NO\r\na6 OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, LOGIN_MAX);
	assert_int_equal(r.facts.logins_dropped, 2);
	assert_login(&r.facts, 3, "LOGIN", "u4", "p", true, LOGIN_FAILURE);
}

/* ---- AUTHENTICATE ----------------------------------------------------------------- */

static void
test_imap_authenticate_plain_with_initial_response(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n"),
		C("a1 AUTHENTICATE PLAIN AGFsaWNlAHMzY3IzdA==\r\n"),
		S("a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.anomalies, 0);
	assert_true(r.facts.auth_cleartext_offered);
	assert_login(&r.facts, 0, "PLAIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
}

static void
test_imap_authenticate_plain_after_continuation_can_fail(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 authenticate plain\r\n"),
		S("+ \r\n"),
		C("AGJvYgBodW50ZXIy\r\n"),
		S("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
		C("a2 LOGOUT\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.commands, 2);
	assert_login(&r.facts, 0, "PLAIN", "bob", "hunter2", true, LOGIN_FAILURE);
}

static void
test_imap_authenticate_login_takes_two_continuations(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),	C("a1 AUTHENTICATE LOGIN\r\n"), S("+ VXNlcm5hbWU6\r\n"),
		C("YWxpY2U=\r\n"),	S("+ UGFzc3dvcmQ6\r\n"),	C("czNjcjN0\r\n"),
		S("a1 OK Success\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.commands, 1);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
}

static void
test_imap_authenticate_cram_md5_has_no_secret(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 AUTHENTICATE CRAM-MD5\r\n"),
		S("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n"),
		C("YWxpY2UgM2RiYzg4ZjA2MjQ3NzZhNzM3YjM5MDkzZjZlYjY0Mjc=\r\n"),
		S("a1 OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "CRAM-MD5", "alice", "", false, LOGIN_SUCCESS);
}

static void
test_imap_authenticate_xoauth2_keeps_user_and_token(void **unused)
{
	const struct step t[] = {
		S("* OK Gimap ready\r\n"),
		C("a1 AUTHENTICATE XOAUTH2 "
		  "dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnRvawEB\r\n"),
		S("a1 OK alice@example.com authenticated (Success)\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "XOAUTH2", "alice@example.com", "ya29.tok", true, LOGIN_SUCCESS);
}

/* DIGEST-MD5 and SCRAM come from the SASL module SMTP shares. */
static void
test_imap_authenticate_scram_and_digest_md5_give_the_username(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		/* n,,n=us=2Cer=3Dx,r=rOprNGfwEbeRWgbNEkqO */
		C("a1 AUTHENTICATE SCRAM-SHA-256 "
		  "biwsbj11cz0yQ2VyPTNEeCxyPXJPcHJOR2Z3RWJlUldnYk5Fa3FP\r\n"),
		S("+ cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxz"
		  "PVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n"),
		C("Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYk"
		  "azAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==\r\n"),
		S("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
		C("a2 AUTHENTICATE DIGEST-MD5\r\n"),
		S("+ cmVhbG09ImVsd29vZC5pbm5vc29mdC5jb20iLG5vbmNlPSJPQTZNRzl0RVFHbTJoaCIscW9wPSJh"
		  "dXRoIixhbGdvcml0aG09bWQ1LXNlc3MsY2hhcnNldD11dGYtOA==\r\n"),
		/* charset=utf-8,username="chris",realm=...,response=...,qop=auth */
		C("Y2hhcnNldD11dGYtOCx1c2VybmFtZT0iY2hyaXMiLHJlYWxtPSJlbHdvb2QuaW5ub3NvZnQuY29tIixu"
		  "b25jZT0iT0E2TUc5dEVRR20yaGgiLG5jPTAwMDAwMDAxLGNub25jZT0iT0E2TUhYaDZWcVRyUmsiLGRp"
		  "Z2VzdC11cmk9ImltYXAvZWx3b29kLmlubm9zb2Z0LmNvbSIscmVzcG9uc2U9ZDM4OGRhZDkwZDRiYmQ3"
		  "NjBhMTUyMzIxZjIxNDNhZjcscW9wPWF1dGg=\r\n"),
		S("+ cnNwYXV0aD1lYTQwZjYwMzM1YzQyN2I1NTI3Yjg0ZGJhYmNkZmZmZA==\r\n"),
		C("\r\n"),
		S("a2 OK Logged in\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "SCRAM-SHA-256", "us,er=x", "", false, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "DIGEST-MD5", "chris", "", false, LOGIN_SUCCESS);
}

static void
test_imap_authenticate_cancelled_by_star(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"), C("a1 AUTHENTICATE PLAIN\r\n"),	       S("+ \r\n"),
		C("*\r\n"),	     S("a1 BAD Authentication cancelled\r\n"), C("a2 LOGOUT\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
	assert_login(&r.facts, 0, "PLAIN", "", "", false, LOGIN_FAILURE);
}

/* ---- Pipelined SASL ---------------------------------------------------------------- */

static void
test_imap_authenticate_plain_pipelined_before_the_continuation_records_the_secret(void **unused)
{
	const struct step t[] = {
		S("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n"),
		C("a1 AUTHENTICATE PLAIN\r\nAGFsaWNlAHMzY3IzdA==\r\na2 SELECT INBOX\r\n"),
		S("+ \r\na1 OK Logged in\r\n* 2 EXISTS\r\na2 OK [READ-WRITE] Select "
		  "completed.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_imap_authenticate_login_pipelined_before_the_continuations_records_the_secret(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 AUTHENTICATE LOGIN\r\nYWxpY2U=\r\nczNjcjN0\r\n"),
		S("+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\na1 NO [AUTHENTICATIONFAILED] failed\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cr3t", true, LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 1);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_imap_login_pipelined_after_an_authenticate_initial_response_records_the_secret(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 AUTHENTICATE PLAIN AGFsaWNlAHdyb25n\r\na2 LOGIN bob hunter2\r\n"),
		S("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\na2 OK Logged in\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "alice", "wrong", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "bob", "hunter2", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_imap_login_pipelined_after_capability_records_the_secret(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 CAPABILITY\r\na2 LOGIN bob hunter2\r\n"),
		S("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n"
		  "a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.tls_offered);
	assert_login(&r.facts, 0, "LOGIN", "bob", "hunter2", true, LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 2);
}

static void
test_imap_pipelined_authenticates_get_their_outcomes_in_order(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 AUTHENTICATE PLAIN\r\nAGJvYgBodW50ZXIy\r\na2 AUTHENTICATE "
		  "LOGIN\r\nYWxpY2U=\r\n"
		  "czNjcjN0\r\n"),
		S("+ \r\na1 NO [AUTHENTICATIONFAILED] failed\r\n+ VXNlcm5hbWU6\r\n+ "
		  "UGFzc3dvcmQ6\r\n"
		  "a2 OK Logged in\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "bob", "hunter2", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "alice", "s3cr3t", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_imap_pipelined_star_cancels_and_the_next_line_is_a_command(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 AUTHENTICATE PLAIN\r\n*\r\na2 LOGIN bob hunter2\r\n"),
		S("+ \r\na1 BAD Authentication aborted\r\na2 OK Logged in\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "", "", false, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "bob", "hunter2", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_imap_a_command_after_authenticate_was_refused_is_not_a_sasl_response(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 AUTHENTICATE PLAIN\r\n"),
		S("a1 NO [CANNOT] Unsupported mechanism\r\n"),
		C("a2 LOGIN bob hunter2\r\n"),
		S("a2 OK Logged in\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "", "", false, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "bob", "hunter2", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_imap_pipelined_non_base64_line_invents_no_secret(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 AUTHENTICATE PLAIN\r\nbob hunter2\r\n"),
		S("+ \r\na1 BAD Invalid base64 data\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "", "", false, LOGIN_FAILURE);
}

static void
test_imap_authenticate_with_bad_base64_is_odd_syntax(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 AUTHENTICATE PLAIN !!!!\r\n"),
		S("a1 BAD invalid base64\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_login(&r.facts, 0, "PLAIN", "", "", false, LOGIN_FAILURE);
}

/* ---- literals and message data ---------------------------------------------------- */

#define APPEND_BODY "Subject: test\r\n\r\na3 STARTTLS\r\na4 LOGIN eve pw\r\n"
#define FETCH_BODY                                                                                 \
	"Subject: re\r\n\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK Begin TLS\r\n"                \
	"* PREAUTH x\r\n"

static void
test_imap_starttls_inside_append_and_fetch_literals_is_ignored(void **unused)
{
	char append[64], fetch[64];
	struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 LOGIN alice pw\r\n"),
		S("a1 OK\r\n"),
		C(""),
		S("+ Ready for literal data\r\n"),
		C(APPEND_BODY "\r\n"),
		S("a2 OK APPEND completed\r\n"),
		C("a3 FETCH 1 (FLAGS BODY[])\r\n"),
		S(""),
		S(FETCH_BODY ")\r\n* 2 FETCH (BINARY[] ~{3}\r\n{1}"),
		S(")\r\na3 OK FETCH completed\r\n"),
		C("a4 LOGOUT\r\n"),
	};
	struct replay_result r;

	(void)unused;
	snprintf(append, sizeof(append), "a2 APPEND INBOX (\\Seen) {%zu}\r\n", strlen(APPEND_BODY));
	snprintf(fetch, sizeof(fetch), "* 1 FETCH (FLAGS (\\Seen) BODY[] {%zu}\r\n",
		 strlen(FETCH_BODY));
	t[3].text = append;
	t[8].text = fetch;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.tls_offered);
	assert_false(r.facts.capa_seen);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.commands, 4);
	assert_int_equal(r.facts.n_logins, 1);
}

static void
test_imap_line_after_a_server_literal_is_not_a_response(void **unused)
{
	const struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 FETCH 1 BODY[]\r\n"),
		S("* 1 FETCH (BODY[] {0}\r\n* CAPABILITY IMAP4rev1 STARTTLS)\r\na1 OK\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_false(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
}

static void
test_imap_compress_stops_parsing(void **unused)
{
	const struct step t[] = {
		S("* OK ready\r\n"),
		C("a1 COMPRESS DEFLATE\r\n"),
		S("a1 OK DEFLATE active\r\n* CAPABILITY STARTTLS\r\n"),
		C("a2 STARTTLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.tls_offered);
	assert_int_equal(r.facts.commands, 1);
}

/* ---- caps, gaps, hostile input ---------------------------------------------------- */

static void
test_imap_overlong_line_is_cut_and_flagged(void **unused)
{
	static char line[3000];
	struct step t[] = {
		S("* OK ready\r\n"),
		C(""),
		C("a2 STARTTLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	memcpy(line, "a1 NOOP ", 8);
	memset(line + 8, 'x', sizeof(line) - 11);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	t[1].text = line;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_LINE_TOO_LONG);
	assert_true(r.facts.cap_hits >= 1);
	assert_int_equal(r.facts.commands, 2);
	assert_true(r.facts.upgrade_requested);
}

static void
test_imap_overlong_fetch_line_still_skips_its_literal(void **unused)
{
	static char line[2100];
	struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C("a1 FETCH 1 (ENVELOPE BODY[])\r\n"),
		S(""),
		S("* CAPABILITY IMAP4rev1 STARTTLS\r\n"),
		S(")\r\na1 OK done\r\n"),
	};
	struct replay_result r;
	size_t n;

	(void)unused;
	n = (size_t)snprintf(line, sizeof(line), "* 1 FETCH (ENVELOPE (\"");
	memset(line + n, 'e', 2000 - n);
	snprintf(line + 2000, sizeof(line) - 2000, "\") BODY[] {%zu}\r\n",
		 strlen("* CAPABILITY IMAP4rev1 STARTTLS\r\n"));
	t[2].text = line;
	transcript_run(&proto_imap, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_LINE_TOO_LONG);
	assert_false(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
}

/* The literal announcement straddles the cut at LINE_CAP, or lies far past
 * it: either way its bytes (a STARTTLS and a LOGIN here) are data. */
static void
test_imap_overlong_append_line_still_skips_its_literal(void **unused)
{
	static const char literal[] = "a2 STARTTLS\r\na3 LOGIN eve pw\r\n";
	/* Bytes past LINE_CAP: the marker " {30}\r\n" is 7 bytes long. */
	static const size_t over[] = {1, 2, 3, 5, 8, 40, LINE_CAP + 7};
	static char line[3 * LINE_CAP];
	struct step t[] = {
		S("* OK IMAP4rev1 ready\r\n"),
		C(""), /* the overlong APPEND line, set below */
		C(literal),
		C(")\r\n"),
		S("a1 OK APPEND completed\r\n"),
	};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		size_t len = LINE_CAP + over[i];
		char end[32];
		size_t k = (size_t)snprintf(end, sizeof(end), " {%zu}\r\n", strlen(literal));
		size_t n = (size_t)snprintf(line, sizeof(line), "a1 APPEND INBOX (");

		memset(line + n, 'f', len - k - n);
		memcpy(line + len - k, end, k + 1);
		assert_int_equal(strlen(line), len);
		t[1].text = line;
		transcript_run(&proto_imap, t, N_STEPS(t), &r);
		assert_true(r.facts.anomalies & PROTO_ANOM_LINE_TOO_LONG);
		assert_false(r.facts.upgrade_requested);
		assert_int_equal(r.facts.n_logins, 0);
		assert_int_equal(r.facts.commands, 1);
	}
}

static void
test_imap_gap_stops_the_parser(void **unused)
{
	static const char greeting[] = "* OK [CAPABILITY IMAP4rev1] ready\r\n";
	static const char starttls[] = "a1 STARTTLS\r\n";
	void *state;
	struct proto_facts f;

	(void)unused;
	state = test_calloc(1, proto_imap.state_size);
	memset(&f, 0, sizeof(f));
	proto_imap.init(state);
	proto_imap.feed(state, &f, DIR_S2C, (const uint8_t *)greeting, strlen(greeting));
	proto_imap.gap(state, &f, DIR_C2S);
	assert_int_equal(
		proto_imap.feed(state, &f, DIR_C2S, (const uint8_t *)starttls, strlen(starttls)),
		0);
	proto_imap.fini(state);
	test_free(state);
	assert_true(f.anomalies & PROTO_ANOM_GAP);
	assert_true(f.greeting);
	assert_false(f.upgrade_requested);
}

static void
test_imap_sniff_tells_greetings_and_commands(void **unused)
{
	static const struct {
		enum dir dir;
		const char *text;
		enum sniff_result want;
	} v[] = {
		{DIR_S2C, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n", SNIFF_STRONG},
		{DIR_S2C, "* OK Dovecot IMAP ready.\r\n", SNIFF_STRONG},
		{DIR_S2C, "* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n", SNIFF_STRONG},
		{DIR_S2C, "* BYE imap server shutting down\r\n", SNIFF_STRONG},
		{DIR_S2C, "* OK server ready\r\n", SNIFF_WEAK},
		{DIR_S2C, "* OK server rea", SNIFF_MORE},
		{DIR_S2C, "* O", SNIFF_MORE},
		{DIR_S2C, "*", SNIFF_MORE},
		{DIR_S2C, "", SNIFF_MORE},
		{DIR_S2C, "+OK POP3 ready\r\n", SNIFF_NO},
		{DIR_S2C, "220 mail ESMTP\r\n", SNIFF_NO},
		{DIR_S2C, "* OKAY\r\n", SNIFF_NO},
		{DIR_C2S, "a001 CAPABILITY\r\n", SNIFF_STRONG},
		{DIR_C2S, "A1 LOGIN alice secret\r\n", SNIFF_STRONG},
		{DIR_C2S, "A1 LOGIN {5}\r\n", SNIFF_STRONG},
		{DIR_C2S, "x STARTTLS\r\n", SNIFF_STRONG},
		{DIR_C2S, "a1 authenticate PLAIN\r\n", SNIFF_STRONG},
		{DIR_C2S, "a1 NOOP\r\n", SNIFF_WEAK},
		{DIR_C2S, "A142 SELECT INBOX\r\n", SNIFF_WEAK},
		{DIR_C2S, "a001 CAPA", SNIFF_MORE},
		{DIR_C2S, "a001", SNIFF_MORE},
		{DIR_C2S, "A1 LOGIN alice", SNIFF_MORE},
		{DIR_C2S, "AUTH LOGIN\r\n", SNIFF_NO},
		{DIR_C2S, "AUTH LOGIN dXNlcg==\r\n", SNIFF_NO},
		{DIR_C2S, "STARTTLS\r\n", SNIFF_NO},
		{DIR_C2S, "USER bob\r\n", SNIFF_NO},
		{DIR_C2S, "EHLO client.example\r\n", SNIFF_NO},
		{DIR_C2S, "GET / HTTP/1.1\r\n", SNIFF_NO},
		{DIR_C2S, "\x16\x03\x01\x02\x00", SNIFF_NO},
		{DIR_C2S, "* OK\r\n", SNIFF_NO},
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum sniff_result got =
			proto_imap.sniff(v[i].dir, (const uint8_t *)v[i].text, strlen(v[i].text));

		if (got != v[i].want)
			fail_msg("sniff(%s, \"%s\") = %d, want %d",
				 v[i].dir == DIR_C2S ? "c2s" : "s2c", v[i].text, got, v[i].want);
	}
}

/* The first lines of other protocols: only IMAP's own commands after a tag
 * are a strong claim, the common words at most a weak one. */
static void
test_imap_sniff_other_protocols_first_lines_are_weak_at_most(void **unused)
{
	static const struct {
		const char *text;
		enum sniff_result want;
	} v[] = {
		{"CAP LIST\r\n", SNIFF_WEAK},			     /* IRCv3 */
		{"GET STATUS\r\n", SNIFF_WEAK},			     /* Redis inline command */
		{"HELP LIST\r\n", SNIFF_WEAK},			     /* FTP */
		{"USER anonymous\r\n", SNIFF_NO},		     /* FTP */
		{"AUTH TLS\r\n", SNIFF_NO},			     /* FTP */
		{"USER xxxxx +iw xxxxx :Xxxxxx Xxxx\r\n", SNIFF_NO}, /* IRC */
		{"NICK molochtest\r\n", SNIFF_NO},
		{"AUTHINFO USER bob\r\n", SNIFF_NO}, /* NNTP */
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum sniff_result got =
			proto_imap.sniff(DIR_C2S, (const uint8_t *)v[i].text, strlen(v[i].text));

		if (got != v[i].want)
			fail_msg("sniff(\"%s\") = %d, want %d", v[i].text, got, v[i].want);
	}
}

/* A small deterministic generator of IMAP-flavoured junk. */
static uint32_t
junk_next(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return *seed;
}

static size_t
junk_fill(uint32_t *seed, uint8_t *buf, size_t cap)
{
	static const char *const pieces[] = {
		"a1 ",
		"STARTTLS",
		"LOGIN ",
		"AUTHENTICATE PLAIN ",
		"AUTHENTICATE LOGIN\r\n",
		"{3}\r\n",
		"{2+}\r\n",
		"~{1}\r\n",
		"{99999999999999999999}\r\n",
		"* OK ",
		"* PREAUTH ",
		"[CAPABILITY ",
		"STARTTLS]",
		"XXXXXXXX ",
		"+ ",
		"\r\n",
		"\n",
		"\"",
		"\\",
		"a1 OK ",
		"a1 NO ",
		"a1 BAD ",
		"* CAPABILITY ",
		"LOGINDISABLED ",
		"*\r\n",
		"AGFsaWNlAHMzY3IzdA==",
		"COMPRESS ",
		"\x16\x03",
		" ",
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
test_imap_junk_empty_and_truncated_input_never_crash(void **unused)
{
	static uint8_t bufs[8][1500];
	uint32_t seed = 0x1badcafe;
	struct replay_result r;
	const struct step full[] = {
		S("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n"),
		C("a1 LOGIN {5}\r\n"),
		S("+ go\r\n"),
		C("alice \"pw\"\r\na2 AUTHENTICATE PLAIN\r\n"),
		S("a1 OK\r\n+ \r\n"),
		C("AGFsaWNlAHMzY3IzdA==\r\na3 STARTTLS\r\n"),
		S("a2 OK\r\na3 OK go\r\n"),
	};
	void *state;
	struct proto_facts f;

	(void)unused;
	/* Empty feeds. */
	state = test_calloc(1, proto_imap.state_size);
	memset(&f, 0, sizeof(f));
	proto_imap.init(state);
	assert_int_equal(proto_imap.feed(state, &f, DIR_C2S, (const uint8_t *)"", 0), 0);
	assert_int_equal(proto_imap.feed(state, &f, DIR_S2C, NULL, 0), 0);
	proto_imap.fini(state);
	test_free(state);

	/* Junk in both directions, every chunk size. */
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
		transcript_run(&proto_imap, t, 8, &r);
	}

	/* Every truncation of a real session. */
	for (size_t i = 0; i < N_STEPS(full); i++) {
		for (size_t k = 1; k <= strlen(full[i].text); k++) {
			struct step t[N_STEPS(full)];

			memcpy(t, full, sizeof(t));
			t[i].len = k;
			transcript_run(&proto_imap, t, i + 1, &r);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_starttls_accepted_hands_the_client_hello_to_tls),
		cmocka_unit_test(test_imap_bytes_after_the_tagged_ok_are_left_for_tls),
		cmocka_unit_test(test_imap_starttls_offered_but_not_used_leaves_a_cleartext_login),
		cmocka_unit_test(test_imap_starttls_not_offered_is_seen_in_the_capability_response),
		cmocka_unit_test(test_imap_refused_starttls_then_cleartext_is_flagged),
		cmocka_unit_test(
			test_imap_capability_keywords_and_the_upgrade_reply_are_kept_for_display),
		cmocka_unit_test(test_imap_bad_reply_to_starttls_counts_as_refused),
		cmocka_unit_test(test_imap_masked_capability_is_flagged),
		cmocka_unit_test(test_imap_masked_capability_in_the_greeting_code_is_flagged),
		cmocka_unit_test(test_imap_ordinary_x_capabilities_are_not_masked),
		cmocka_unit_test(test_imap_masked_starttls_command_is_flagged),
		cmocka_unit_test(test_imap_masked_command_alone_keeps_its_evidence),
		cmocka_unit_test(test_imap_commands_injected_after_starttls_are_flagged),
		cmocka_unit_test(
			test_imap_injected_bytes_without_line_end_are_flagged_on_the_reply),
		cmocka_unit_test(test_imap_client_hello_before_the_reply_switches_to_tls),
		cmocka_unit_test(test_imap_client_hello_in_the_starttls_segment_is_not_injection),
		cmocka_unit_test(test_imap_preauth_greeting_is_flagged),
		cmocka_unit_test(test_imap_bye_greeting_is_a_greeting),
		cmocka_unit_test(test_imap_login_with_quoted_and_escaped_arguments),
		cmocka_unit_test(test_imap_login_with_synchronizing_literals),
		cmocka_unit_test(
			test_imap_login_literal_with_line_ends_and_commands_inside_is_data),
		cmocka_unit_test(test_imap_login_mixing_quoted_and_literal),
		cmocka_unit_test(test_imap_login_without_password_is_odd_syntax),
		cmocka_unit_test(test_imap_long_username_is_cut_and_nonprintables_replaced),
		cmocka_unit_test(test_imap_more_logins_than_kept_are_counted),
		cmocka_unit_test(test_imap_authenticate_plain_with_initial_response),
		cmocka_unit_test(test_imap_authenticate_plain_after_continuation_can_fail),
		cmocka_unit_test(test_imap_authenticate_login_takes_two_continuations),
		cmocka_unit_test(test_imap_authenticate_cram_md5_has_no_secret),
		cmocka_unit_test(test_imap_authenticate_xoauth2_keeps_user_and_token),
		cmocka_unit_test(test_imap_authenticate_scram_and_digest_md5_give_the_username),
		cmocka_unit_test(test_imap_authenticate_cancelled_by_star),
		cmocka_unit_test(
			test_imap_authenticate_plain_pipelined_before_the_continuation_records_the_secret),
		cmocka_unit_test(
			test_imap_authenticate_login_pipelined_before_the_continuations_records_the_secret),
		cmocka_unit_test(
			test_imap_login_pipelined_after_an_authenticate_initial_response_records_the_secret),
		cmocka_unit_test(test_imap_login_pipelined_after_capability_records_the_secret),
		cmocka_unit_test(test_imap_pipelined_authenticates_get_their_outcomes_in_order),
		cmocka_unit_test(test_imap_pipelined_star_cancels_and_the_next_line_is_a_command),
		cmocka_unit_test(
			test_imap_a_command_after_authenticate_was_refused_is_not_a_sasl_response),
		cmocka_unit_test(test_imap_pipelined_non_base64_line_invents_no_secret),
		cmocka_unit_test(test_imap_authenticate_with_bad_base64_is_odd_syntax),
		cmocka_unit_test(test_imap_starttls_inside_append_and_fetch_literals_is_ignored),
		cmocka_unit_test(test_imap_line_after_a_server_literal_is_not_a_response),
		cmocka_unit_test(test_imap_compress_stops_parsing),
		cmocka_unit_test(test_imap_overlong_line_is_cut_and_flagged),
		cmocka_unit_test(test_imap_overlong_fetch_line_still_skips_its_literal),
		cmocka_unit_test(test_imap_overlong_append_line_still_skips_its_literal),
		cmocka_unit_test(test_imap_gap_stops_the_parser),
		cmocka_unit_test(test_imap_sniff_tells_greetings_and_commands),
		cmocka_unit_test(test_imap_sniff_other_protocols_first_lines_are_weak_at_most),
		cmocka_unit_test(test_imap_junk_empty_and_truncated_input_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
