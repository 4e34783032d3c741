/*
 * test_smtp.c - unit tests of the SMTP / LMTP parser (src/proto/smtp.c).
 *
 * Every transcript is replayed in chunks of every size in replay_chunks[]; the
 * facts must be the same each time, and then match what the test expects.
 * Base64 payloads are spelled out with their decoded text beside them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "replay.h"

extern const struct proto_desc proto_smtp;

#define N_STEPS(a) (sizeof(a) / sizeof((a)[0]))

/* A binary step (may hold NUL bytes). */
#define CB(s)                                                                                      \
	{                                                                                          \
		DIR_C2S, (s), sizeof(s) - 1                                                        \
	}
#define SB(s)                                                                                      \
	{                                                                                          \
		DIR_S2C, (s), sizeof(s) - 1                                                        \
	}

/* Replays steps with every chunk size, checks the facts do not depend on it,
 * and leaves the whole-step result in *out. */
static void
smtp_replay_all(const struct step *steps, size_t n, struct replay_result *out)
{
	struct replay_result *r = malloc(sizeof(*r));

	assert_non_null(r);
	replay(&proto_smtp, steps, n, 0, out);
	for (size_t i = 0; i < REPLAY_N_CHUNKS; i++) {
		replay(&proto_smtp, steps, n, replay_chunks[i], r);
		if (!replay_facts_equal(&out->facts, &r->facts))
			fail_msg("facts differ with chunks of %zu bytes", replay_chunks[i]);
		assert_int_equal(r->after_switch[DIR_C2S], out->after_switch[DIR_C2S]);
		assert_int_equal(r->after_switch[DIR_S2C], out->after_switch[DIR_S2C]);
		assert_memory_equal(r->after_bytes, out->after_bytes, sizeof(r->after_bytes));
	}
	free(r);
}

#define REPLAY_ALL(steps, r) smtp_replay_all((steps), N_STEPS(steps), (r))

static void
assert_evidence(const struct proto_facts *f, const char *text)
{
	assert_int_equal(f->evidence_len, strlen(text));
	assert_memory_equal(f->evidence, text, strlen(text));
}

/* secret NULL: no secret crossed the wire. */
static void
assert_login(const struct proto_facts *f, unsigned i, const char *mech, const char *user,
	     const char *secret, enum login_outcome outcome)
{
	assert_true(i < f->n_logins);
	assert_string_equal(f->logins[i].mechanism, mech);
	assert_string_equal(f->logins[i].username, user);
	if (secret) {
		assert_true(f->logins[i].has_secret);
		assert_string_equal(f->logins[i].secret, secret);
	} else {
		assert_false(f->logins[i].has_secret);
	}
	assert_int_equal(f->logins[i].outcome, outcome);
}

#define POSTFIX_GREETING S("220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n")
#define POSTFIX_EHLO_TLS                                                                           \
	S("250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"              \
	  "250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"                \
	  "250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n")
#define CLIENT_HELLO "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"

/* ---- STARTTLS ----------------------------------------------------------------- */

static void
test_smtp_postfix_starttls_switches_to_tls_after_220(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO client.example.net\r\n"),
		POSTFIX_EHLO_TLS,
		C("STARTTLS\r\n"),
		S("220 2.0.0 Ready to start TLS\r\n"),
		CB(CLIENT_HELLO),
		SB("\x16\x03\x03\x00\x02\x02\x00"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_false(r.facts.upgrade_refused);
	assert_true(r.facts.switch_to_tls);
	assert_false(r.facts.auth_cleartext_offered);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.n_logins, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.after_switch[DIR_S2C], 7);
	assert_memory_equal(r.after_bytes[DIR_C2S], CLIENT_HELLO, 10);
}

static void
test_smtp_bytes_after_the_220_in_the_same_segment_are_left_to_the_core(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("STARTTLS\r\n"),
		S("220 2.0.0 Ready to start TLS\r\n250 injected\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_S2C], strlen("250 injected\r\n"));
	assert_memory_equal(r.after_bytes[DIR_S2C], "250 injected\r\n", 14);
}

static void
test_smtp_starttls_not_offered_is_cleartext_with_password_auth(void **unused)
{
	static const struct step t[] = {
		S("220 old.example.org ESMTP Sendmail 8.14\r\n"),
		C("EHLO client\r\n"),
		S("250-old.example.org Hello\r\n250-8BITMIME\r\n250-AUTH LOGIN PLAIN\r\n"
		  "250 HELP\r\n"),
		C("QUIT\r\n"),
		S("221 bye\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.auth_cleartext_offered);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.commands, 2);
	assert_int_equal(r.facts.indicators, 0);
}

static void
test_smtp_old_auth_equals_syntax_offers_cleartext_auth(void **unused)
{
	static const struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx\r\n250-AUTH CRAM-MD5\r\n250 AUTH=PLAIN\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.auth_cleartext_offered);
}

static void
test_smtp_auth_without_password_mechanisms_is_not_cleartext_auth(void **unused)
{
	static const struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx\r\n250-AUTH CRAM-MD5 SCRAM-SHA-256\r\n250-X-PLAINISH\r\n250 SIZE\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.auth_cleartext_offered);
}

static void
test_smtp_starttls_only_counts_as_a_whole_capability_line(void **unused)
{
	static const struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx\r\n250-X-STARTTLS-LIKE\r\n250-NOSTARTTLS\r\n250 starttls \r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.tls_offered); /* the last line, case and trailing space aside */

	static const struct step u[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx\r\n250-X-STARTTLS-LIKE\r\n250 NOSTARTTLS\r\n"),
	};
	REPLAY_ALL(u, &r);
	assert_false(r.facts.tls_offered);
}

static void
test_smtp_starttls_inside_message_body_is_ignored(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO client.example.net\r\n"),
		POSTFIX_EHLO_TLS,
		C("MAIL FROM:<a@example.net>\r\n"),
		S("250 2.1.0 Ok\r\n"),
		C("RCPT TO:<b@example.org>\r\n"),
		S("250 2.1.5 Ok\r\n"),
		C("DATA\r\n"),
		S("354 End data with <CR><LF>.<CR><LF>\r\n"),
		C("Subject: test\r\n\r\nSTARTTLS\r\n"),
		C("..\r\n..STARTTLS\r\n.\tnot the end\r\nAUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
		C(".\r\n"),
		S("250 2.0.0 Ok: queued as 4Xb1\r\n"),
		C("QUIT\r\n"),
		S("221 2.0.0 Bye\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.n_logins, 0);
	assert_int_equal(r.facts.commands, 5); /* EHLO MAIL RCPT DATA QUIT */
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_refused_starttls_then_mail_from_is_cleartext_after_refusal(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("STARTTLS\r\n"),
		S("454 4.7.0 TLS not available due to local problem\r\n"),
		C("MAIL FROM:<a@example.net>\r\n"),
		S("250 2.1.0 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_accepted);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "454 4.7.0 TLS not available due to local problem\r\n");
	assert_int_equal(r.facts.commands, 3);
}

static void
test_smtp_quit_after_refusal_is_not_cleartext_after_refusal(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("STARTTLS\r\n"),
		S("454 4.7.0 TLS not available\r\n"),
		C("QUIT\r\n"),
		S("221 2.0.0 Bye\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.upgrade_refused);
	assert_false(r.facts.cleartext_after_refusal);
	assert_int_equal(r.facts.indicators, IND_UPGRADE_REFUSED);
}

static void
test_smtp_masked_starttls_capability_is_flagged(void **unused)
{
	static const struct step t[] = {
		S("220 mx.example.org ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx.example.org\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n"),
		C("MAIL FROM:<a@b>\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
	assert_int_equal(r.facts.indicators, IND_CAPA_MASKED);
	assert_evidence(&r.facts, "250-XXXXXXXA\r\n");
}

static void
test_smtp_fully_masked_last_capability_is_flagged(void **unused)
{
	static const struct step t[] = {
		S("220 mx.example.org ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx.example.org\r\n250-XFORWARD NAME ADDR\r\n250-XCLIENT NAME\r\n"
		  "250-XEXCH50\r\n250 XXXXXXXX\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.indicators, IND_CAPA_MASKED);
	assert_evidence(&r.facts, "250 XXXXXXXX\r\n");
}

static void
test_smtp_x_extensions_are_not_masked_capabilities(void **unused)
{
	static const struct step t[] = {
		S("220 mx.example.org ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx.example.org\r\n250-XFORWARD NAME ADDR\r\n250-XCLIENT NAME\r\n"
		  "250-XEXCH50\r\n250-X-EXPS GSSAPI\r\n250-XXX\r\n250 STARTTLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.tls_offered);
	assert_int_equal(r.facts.indicators, 0);
}

static void
test_smtp_masked_client_starttls_command_is_flagged(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("XXXXXXXX\r\n"),
		S("502 5.5.2 Error: command not recognized\r\n"),
		C("MAIL FROM:<a@b>\r\n"),
		S("250 2.1.0 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_refused);
	assert_int_equal(r.facts.indicators, IND_CMD_MASKED);
	assert_evidence(&r.facts, "XXXXXXXX\r\n");
	assert_int_equal(r.facts.commands, 3);
}

static void
test_smtp_starttls_followed_by_rset_in_one_segment_is_command_injection(void **unused)
{
	/* CVE-2011-0411: commands pipelined after STARTTLS. */
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("STARTTLS\r\nRSET\r\n"),
		S("220 2.0.0 Ready to start TLS\r\n"),
		CB(CLIENT_HELLO),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, IND_CMD_INJECTION);
	assert_evidence(&r.facts, "RSET\r\n");
	assert_int_equal(r.after_switch[DIR_C2S], 10);
}

static void
test_smtp_injection_is_flagged_even_when_starttls_is_then_refused(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("STARTTLS\r\nMAIL FROM:<x@y>\r\n"),
		S("454 4.7.0 TLS not available\r\n250 2.1.0 Ok\r\n"),
		C("RCPT TO:<z@y>\r\n"),
		S("250 2.1.5 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.indicators, IND_CMD_INJECTION | IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "MAIL FROM:<x@y>\r\n");
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal); /* the RCPT, after the refusal */
}

static void
test_smtp_client_hello_before_the_220_switches_to_tls(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		CB("STARTTLS\r\n" CLIENT_HELLO),
		S("220 2.0.0 Ready to start TLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_memory_equal(r.after_bytes[DIR_C2S], CLIENT_HELLO, 10);
	assert_int_equal(r.after_switch[DIR_S2C], strlen("220 2.0.0 Ready to start TLS\r\n"));
}

static void
test_smtp_multiline_220_to_starttls_switches_after_its_last_line(void **unused)
{
	static const struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx\r\n250 STARTTLS\r\n"),
		C("STARTTLS\r\n"),
		S("220-Ready\r\n220 go ahead\r\nXY"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_S2C], 2);
}

/* ---- Command / reply matching --------------------------------------------------- */

static void
test_smtp_pipelined_mail_rcpt_data_replies_match_in_order(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("MAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.org>\r\n"
		  "RCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\nDATA\r\n"),
		S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 unknown\r\n250 2.1.5 Ok\r\n"
		  "354 End data with <CR><LF>.<CR><LF>\r\n"),
		C("Subject: x\r\n\r\nSTARTTLS\r\n.\r\n"),
		S("250 2.0.0 Ok: queued\r\n"),
		C("STARTTLS\r\n"),
		S("220 2.0.0 Ready to start TLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.commands, 7);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_refused_data_goes_back_to_commands(void **unused)
{
	static const struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx\r\n250 STARTTLS\r\n"),
		C("MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n"),
		S("250 Ok\r\n550 no such user\r\n554 5.5.1 Error: no valid recipients\r\n"),
		C("STARTTLS\r\n"),
		S("220 Ready\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.commands, 5);
}

static void
test_smtp_bdat_chunks_with_fake_commands_are_skipped(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("MAIL FROM:<a@b>\r\n"),
		S("250 2.1.0 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"),
		S("250 2.1.5 Ok\r\n"),
		/* 26 octets, no terminating CRLF needed */
		C("BDAT 26\r\nSTARTTLS\r\nRSET\r\nAUTH PLAIN"),
		S("250 2.0.0 26 octets received\r\n"),
		C("BDAT 11 LAST\r\n\r\n.\r\nQUIT\r\n"),
		S("250 2.0.0 Ok: queued\r\n"),
		C("STARTTLS\r\n"),
		S("220 2.0.0 Ready to start TLS\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.commands, 6); /* EHLO MAIL RCPT BDAT BDAT STARTTLS */
	assert_int_equal(r.facts.n_logins, 0);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_true(r.facts.switch_to_tls);
}

static void
test_smtp_pipelined_bdat_before_its_replies_is_skipped(void **unused)
{
	static const struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx\r\n250-CHUNKING\r\n250 STARTTLS\r\n"),
		C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 10\r\nSTARTTLS\r\nBDAT 0 LAST\r\n"),
		S("250 Ok\r\n250 Ok\r\n250 10 octets\r\n250 queued\r\n"),
		C("QUIT\r\n"),
		S("221 Bye\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(r.facts.commands, 6);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_lhlo_session_answers_data_once_per_accepted_recipient(void **unused)
{
	static const struct step t[] = {
		S("220 lmtp.example.org LMTP Cyrus ready\r\n"),
		C("LHLO mx.example.org\r\n"),
		S("250-lmtp.example.org\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
		C("MAIL FROM:<a@b>\r\nRCPT TO:<u1@x>\r\nRCPT TO:<u2@x>\r\nRCPT "
		  "TO:<u3@x>\r\nDATA\r\n"),
		S("250 Ok\r\n250 Ok\r\n550 no such user\r\n250 Ok\r\n354 go ahead\r\n"),
		/* STARTTLS pipelined after the final dot: its reply comes third */
		C("hello\r\n.\r\nSTARTTLS\r\n"),
		S("250 2.1.5 u1 delivered\r\n"),
		S("452 4.2.2 u3 over quota\r\n220 2.0.0 Ready\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.upgrade_refused); /* the 452 answered the DATA, not STARTTLS */
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.commands, 7);
}

static void
test_smtp_client_speaking_before_the_banner_still_sees_the_greeting(void **unused)
{
	static const struct step t[] = {
		C("EHLO c\r\n"),   S("220 mx ESMTP\r\n"), S("250-mx\r\n250 STARTTLS\r\n"),
		C("STARTTLS\r\n"), S("220 go\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.switch_to_tls);
}

static void
test_smtp_session_picked_up_after_the_greeting_matches_the_ehlo_reply(void **unused)
{
	static const struct step t[] = {
		C("EHLO c\r\n"),
		S("250-mx\r\n250-AUTH PLAIN\r\n250 SIZE 1000\r\n"),
		C("QUIT\r\n"),
		S("221 bye\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_false(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.auth_cleartext_offered);
	assert_false(r.facts.tls_offered);
}

static void
test_smtp_multiline_greeting_and_helo_give_no_capabilities(void **unused)
{
	static const struct step t[] = {
		S("220-mx.example.org ESMTP\r\n220-no UCE\r\n220 hello\r\n"),
		C("HELO c\r\n"),
		S("250 mx.example.org\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.greeting);
	assert_false(r.facts.capa_seen);
	assert_int_equal(r.facts.commands, 1);
}

static void
test_smtp_too_many_outstanding_commands_sets_pipeline_cap_and_keeps_replies_aligned(void **unused)
{
	enum { PAIRS = 50 };
	static char cmds[PAIRS * 12 + 1], replies[PAIRS * 16 + 1];
	struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S("250-mx\r\n250 STARTTLS\r\n"),
		C(cmds),
		S(replies),
		C("STARTTLS\r\n"),
		S("220 go\r\n"),
	};
	struct replay_result r;

	(void)unused;
	cmds[0] = replies[0] = '\0';
	for (int i = 0; i < PAIRS; i++) {
		strcat(cmds, "NOOP\r\nRSET\r\n");
		strcat(replies, "250 Ok\r\n250 Ok\r\n");
	}
	REPLAY_ALL(t, &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_PIPELINE_CAP);
	assert_true(r.facts.cap_hits > 0);
	assert_int_equal(r.facts.commands, 2 * PAIRS + 2);
	assert_true(r.facts.switch_to_tls);
}

static void
test_smtp_a_long_pipelined_recipient_list_stays_under_the_cap(void **unused)
{
	static char cmds[1000 * 14 + 64], replies[1000 * 8 + 64];
	struct step t[] = {
		S("220 mx ESMTP\r\n"), C(cmds), S(replies), C("STARTTLS\r\n"), S("220 go\r\n"),
	};
	struct replay_result r;

	(void)unused;
	strcpy(cmds, "MAIL FROM:<>\r\n");
	strcpy(replies, "250 Ok\r\n");
	for (int i = 0; i < 1000; i++) {
		strcat(cmds, "RCPT TO:<x>\r\n");
		strcat(replies, "250 Ok\r\n");
	}
	replay(&proto_smtp, t, N_STEPS(t), 0, &r);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.commands, 1002);
	assert_true(r.facts.switch_to_tls);
}

/* ---- Logins --------------------------------------------------------------------- */

#define AUTH_SESSION_START                                                                         \
	S("220 mx ESMTP\r\n"), C("EHLO c\r\n"),                                                    \
		S("250-mx\r\n250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-256 NTLM "         \
		  "XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n")

static void
test_smtp_auth_plain_initial_response_success(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"), /* \0alice\0s3cret */
		S("235 2.7.0 Authentication successful\r\n"),
		C("MAIL FROM:<alice@example.net>\r\n"),
		S("250 2.1.0 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.auth_cleartext_offered);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "alice", "s3cret", LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 3);
}

static void
test_smtp_auth_plain_after_334_failure(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("auth plain\r\n"),
		S("334 \r\n"),
		C("YWRtaW4AYm9iAGh1bnRlcjI=\r\n"), /* admin\0bob\0hunter2 */
		S("535 5.7.8 Error: authentication failed\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "bob", "hunter2", LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 2); /* the SASL response is not a command */
}

static void
test_smtp_auth_login_dialogue_success(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH LOGIN\r\n"),
		S("334 VXNlcm5hbWU6\r\n"), /* Username: */
		C("YWxpY2U=\r\n"),	   /* alice */
		S("334 UGFzc3dvcmQ6\r\n"), /* Password: */
		C("czNjcmV0\r\n"),	   /* s3cret */
		S("235 2.7.0 Authentication successful\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cret", LOGIN_SUCCESS);
}

static void
test_smtp_auth_login_with_initial_username_failure(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH LOGIN Ym9i\r\n"),  /* bob */
		S("334 UGFzc3dvcmQ6\r\n"), /* Password: */
		C("d3Jvbmc=\r\n"),	   /* wrong */
		S("535 5.7.8 Error: authentication failed\r\n"),
		C("QUIT\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_login(&r.facts, 0, "LOGIN", "bob", "wrong", LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 3);
}

static void
test_smtp_auth_cram_md5_gives_the_username_and_no_secret(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH CRAM-MD5\r\n"),
		S("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
		C("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"), /* tim <digest> */
		S("235 Authentication successful\r\n"),
		C("AUTH CRAM-MD5\r\n"),
		S("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
		C("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"),
		S("535 5.7.8 Authentication failed\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "CRAM-MD5", "tim", NULL, LOGIN_SUCCESS);
	assert_login(&r.facts, 1, "CRAM-MD5", "tim", NULL, LOGIN_FAILURE);
}

#define DIGEST_CHALLENGE                                                                           \
	"cmVhbG09ImVsd29vZC5pbm5vc29mdC5jb20iLG5vbmNlPSJPQTZNRzl0RVFHbTJoaCIscW9wPSJhdXRoIixhbG"   \
	"dvcml0aG09bWQ1LXNlc3MsY2hhcnNldD11dGYtOA=="
/* charset=utf-8,username="chris",realm=...,response=...,qop=auth */
#define DIGEST_RESPONSE                                                                            \
	"Y2hhcnNldD11dGYtOCx1c2VybmFtZT0iY2hyaXMiLHJlYWxtPSJlbHdvb2QuaW5ub3NvZnQuY29tIixub25jZT0i" \
	"T0E2TUc5dEVRR20yaGgiLG5jPTAwMDAwMDAxLGNub25jZT0iT0E2TUhYaDZWcVRyUmsiLGRpZ2VzdC11cmk9InNt" \
	"dHAvZWx3b29kLmlubm9zb2Z0LmNvbSIscmVzcG9uc2U9ZDM4OGRhZDkwZDRiYmQ3NjBhMTUyMzIxZjIxNDNhZjcs" \
	"cW9wPWF1dGg="

static void
test_smtp_auth_digest_md5_gives_the_username(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH DIGEST-MD5\r\n"),
		S("334 " DIGEST_CHALLENGE "\r\n"),
		C(DIGEST_RESPONSE "\r\n"),
		S("334 cnNwYXV0aD1lYTQwZjYwMzM1YzQyN2I1NTI3Yjg0ZGJhYmNkZmZmZA==\r\n"),
		C("\r\n"),
		S("235 2.7.0 Authentication successful\r\n"),
		C("AUTH DIGEST-MD5\r\n"),
		S("334 " DIGEST_CHALLENGE "\r\n"),
		C(DIGEST_RESPONSE "\r\n"),
		S("535 5.7.8 Authentication failed\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "DIGEST-MD5", "chris", NULL, LOGIN_SUCCESS);
	assert_login(&r.facts, 1, "DIGEST-MD5", "chris", NULL, LOGIN_FAILURE);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_auth_scram_gives_the_unescaped_username(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		/* n,,n=us=2Cer,r=rOprNGfwEbeRWgbNEkqO */
		C("AUTH SCRAM-SHA-256 biwsbj11cz0yQ2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n"),
		S("334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxz"
		  "PVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n"),
		C("Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYk"
		  "azAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==\r\n"),
		S("334 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==\r\n"),
		C("\r\n"),
		S("235 2.7.0 Authentication successful\r\n"),
		C("AUTH SCRAM-SHA-256\r\n"),
		S("334 \r\n"),
		C("biwsbj11cz0yQ2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n"),
		S("535 5.7.8 Authentication failed\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "SCRAM-SHA-256", "us,er", NULL, LOGIN_SUCCESS);
	assert_login(&r.facts, 1, "SCRAM-SHA-256", "us,er", NULL, LOGIN_FAILURE);
}

static void
test_smtp_auth_ntlm_records_the_mechanism_only(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==\r\n"),
		S("334 TlRMTVNTUAACAAAAAAAAADgAAAAFgomiESIzRFVmd4gAAAAAAAAAAAAAAAA4AAAA\r\n"),
		C("TlRMTVNTUAADAAAAGAAYAEAAAAAYABgAWAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"),
		S("235 2.7.0 Authentication successful\r\n"),
		C("AUTH NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==\r\n"),
		S("535 5.7.3 Authentication unsuccessful\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "NTLM", "", NULL, LOGIN_SUCCESS);
	assert_login(&r.facts, 1, "NTLM", "", NULL, LOGIN_FAILURE);
}

/* user=carol@example.com ^A auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg ^A^A */
#define XOAUTH2_IR                                                                                 \
	"dXNlcj1jYXJvbEBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJo" \
	"ZG1semRHRXVZMjl0Q2cBAQ=="

static void
test_smtp_auth_xoauth2_gives_username_and_token(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH XOAUTH2 " XOAUTH2_IR "\r\n"),
		S("235 2.7.0 Accepted\r\n"),
		C("AUTH XOAUTH2 " XOAUTH2_IR "\r\n"),
		S("334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwu"
		  "Z29vZ2xlLmNvbS8ifQ==\r\n"),
		C("\r\n"),
		S("535-5.7.8 Username and Password not accepted.\r\n535 5.7.8 Learn more\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "XOAUTH2", "carol@example.com",
		     "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", LOGIN_SUCCESS);
	assert_login(&r.facts, 1, "XOAUTH2", "carol@example.com",
		     "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", LOGIN_FAILURE);
}

static void
test_smtp_auth_oauthbearer_gives_username_and_token(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		/* n,a=dave@example.com,^Ahost=...^Aport=587^Aauth=Bearer vF9dft4qmTc2Nvb3RlckBh^A^A
		 */
		C("AUTH OAUTHBEARER "
		  "bixhPWRhdmVAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBv"
		  "cnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmgBAQ==\r\n"),
		S("235 2.7.0 Accepted\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_login(&r.facts, 0, "OAUTHBEARER", "dave@example.com", "vF9dft4qmTc2Nvb3RlckBh",
		     LOGIN_SUCCESS);
}

static void
test_smtp_auth_cancelled_with_star_is_a_failure(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH LOGIN\r\n"),
		S("334 VXNlcm5hbWU6\r\n"),
		C("YWxpY2U=\r\n"),
		S("334 UGFzc3dvcmQ6\r\n"),
		C("*\r\n"),
		S("501 5.7.0 Authentication aborted\r\n"),
		C("MAIL FROM:<a@b>\r\n"),
		S("250 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "LOGIN", "alice", NULL, LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 3);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_login_fields_are_cut_and_made_printable(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH PLAIN AGV2ZQF/AHB3\r\n"), /* \0eve^A^?\0pw */
		S("535 no\r\n"),
		C("AUTH PLAIN "
		  "AHV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1"
		  "dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXUAcHBwcHBwcHBw"
		  "cHBw"
		  "cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw"
		  "cHBw"
		  "cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcA==\r\n"), /* \0 u*100 \0 p*100 */
		S("535 no\r\n"),
		C("AUTH x-weird-mechanism-name-too-long\r\n"),
		S("504 5.5.4 Unrecognized authentication type\r\n"),
	};
	struct replay_result r;
	char u[LOGIN_FIELD_MAX], p[LOGIN_FIELD_MAX];

	(void)unused;
	/* Cut values end in "..." so they are not taken for whole ones. */
	memset(u, 'u', sizeof(u) - 4);
	memcpy(u + sizeof(u) - 4, "...", 4);
	memset(p, 'p', sizeof(p) - 4);
	memcpy(p + sizeof(p) - 4, "...", 4);
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 3);
	assert_login(&r.facts, 0, "PLAIN", "eve??", "pw", LOGIN_FAILURE);
	assert_login(&r.facts, 1, "PLAIN", u, p, LOGIN_FAILURE);
	assert_login(&r.facts, 2, "X-WEIRD-MECH...", "", NULL, LOGIN_FAILURE);
}

static void
test_smtp_more_logins_than_login_max_are_counted_as_dropped(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,	   C("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
		S("535 no\r\n"),	   C("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
		S("535 no\r\n"),	   C("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
		S("535 no\r\n"),	   C("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
		S("535 no\r\n"),	   C("AUTH LOGIN\r\n"),
		S("334 VXNlcm5hbWU6\r\n"), C("YWxpY2U=\r\n"),
		S("334 UGFzc3dvcmQ6\r\n"), C("czNjcmV0\r\n"),
		S("235 ok\r\n"),	   C("MAIL FROM:<a@b>\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, LOGIN_MAX);
	assert_int_equal(r.facts.logins_dropped, 1);
	assert_int_equal(r.facts.commands, 7);
}

static void
test_smtp_bad_base64_in_auth_is_an_anomaly(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH PLAIN not*base64!\r\n"),
		S("501 5.5.2 Cannot decode response\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_login(&r.facts, 0, "PLAIN", "", NULL, LOGIN_FAILURE);
}

/* ---- Pipelined SASL ------------------------------------------------------------- */

static void
test_smtp_auth_login_pipelined_before_the_prompt_records_the_secret(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH LOGIN\r\nYWxpY2U=\r\nczNjcmV0\r\n"), /* alice, s3cret */
		S("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication "
		  "successful\r\n"),
		C("MAIL FROM:<alice@example.net>\r\n"),
		S("250 2.1.0 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cret", LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 3); /* EHLO, AUTH, MAIL */
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_auth_login_user_pipelined_then_password_after_the_prompt(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH LOGIN\r\nYWxpY2U=\r\n"),
		S("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"),
		C("czNjcmV0\r\n"),
		S("535 5.7.8 Error: authentication failed\r\n"),
		C("QUIT\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cret", LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 3);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_auth_plain_pipelined_before_the_prompt_records_the_secret(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH PLAIN\r\nYWRtaW4AYm9iAGh1bnRlcjI=\r\n"), /* admin\0bob\0hunter2 */
		S("334 \r\n535 5.7.8 Error: authentication failed\r\n"),
		C("AUTH PLAIN\r\nAGFsaWNlAHMzY3JldA==\r\n"), /* \0alice\0s3cret */
		S("334 \r\n235 2.7.0 Authentication successful\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "bob", "hunter2", LOGIN_FAILURE);
	assert_login(&r.facts, 1, "PLAIN", "alice", "s3cret", LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 3);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_ehlo_and_auth_plain_pipelined_before_the_ehlo_reply_records_the_secret(void **unused)
{
	static const struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\nAUTH PLAIN\r\nAGFsaWNlAHMzY3JldA==\r\n"),
		S("250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n334 \r\n"
		  "235 2.7.0 Authentication successful\r\n"),
		C("MAIL FROM:<alice@example.net>\r\n"),
		S("250 2.1.0 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.auth_cleartext_offered);
	assert_login(&r.facts, 0, "PLAIN", "alice", "s3cret", LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 3);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_ehlo_reply_without_its_final_line_still_matches_the_auth_replies(void **unused)
{
	static const struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\nAUTH PLAIN\r\nAGFsaWNlAHMzY3JldA==\r\n"),
		S("250-mx\r\n250-AUTH PLAIN LOGIN\r\n334 \r\n535 5.7.8 Error: authentication "
		  "failed\r\n"),
		C("EHLO c\r\nAUTH PLAIN AGJvYgBodW50ZXIy\r\n"), /* \0bob\0hunter2 */
		S("250-mx\r\n250-AUTH PLAIN LOGIN\r\n235 2.7.0 Authentication successful\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.auth_cleartext_offered);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "alice", "s3cret", LOGIN_FAILURE);
	assert_login(&r.facts, 1, "PLAIN", "bob", "hunter2", LOGIN_SUCCESS);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX); /* the unended replies */
}

static void
test_smtp_pipelined_exchanges_get_their_outcomes_in_order(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH PLAIN AGJvYgBodW50ZXIy\r\nAUTH LOGIN\r\nYWxpY2U=\r\nczNjcmV0\r\n"
		  "MAIL FROM:<alice@example.net>\r\n"),
		S("535 5.7.8 Error: authentication failed\r\n334 VXNlcm5hbWU6\r\n"
		  "334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "bob", "hunter2", LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "alice", "s3cret", LOGIN_SUCCESS);
	assert_int_equal(r.facts.commands, 4);
}

static void
test_smtp_responses_pipelined_into_a_refused_auth_are_read_as_commands_by_the_server(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH LOGIN\r\nYWxpY2U=\r\nczNjcmV0\r\nAUTH PLAIN AGJvYgBodW50ZXIy\r\n"),
		S("504 5.5.4 Unrecognized authentication type\r\n"
		  "502 5.5.2 Error: command not recognized\r\n"
		  "502 5.5.2 Error: command not recognized\r\n"
		  "235 2.7.0 Authentication successful\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	/* The password crossed the wire even though the server never read it. */
	assert_login(&r.facts, 0, "LOGIN", "alice", "s3cret", LOGIN_FAILURE);
	assert_login(&r.facts, 1, "PLAIN", "bob", "hunter2", LOGIN_SUCCESS);
}

static void
test_smtp_starttls_pipelined_after_a_refused_auth_still_switches_to_tls(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH LOGIN\r\nSTARTTLS\r\n"),
		S("530 5.7.0 Must issue a STARTTLS command first\r\n220 2.0.0 Ready to start "
		  "TLS\r\n"),
		CB(CLIENT_HELLO),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_login(&r.facts, 0, "LOGIN", "", NULL, LOGIN_FAILURE);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
}

static void
test_smtp_a_command_after_auth_was_refused_is_not_a_sasl_response(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH PLAIN\r\n"),
		S("504 5.5.4 Unrecognized authentication type\r\n"),
		C("MAIL FROM:<a@b>\r\n"),
		S("250 2.1.0 Ok\r\n"),
		C("RCPT TO:<c@d>\r\n"),
		S("250 2.1.5 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "", NULL, LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 4);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_pipelined_star_cancels_and_the_next_line_is_a_command(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH LOGIN\r\n*\r\nMAIL FROM:<a@b>\r\n"),
		S("334 VXNlcm5hbWU6\r\n501 5.7.0 Authentication aborted\r\n250 2.1.0 Ok\r\n"),
		C("AUTH PLAIN\r\n*\r\nQUIT\r\n"),
		S("334 \r\n501 5.7.0 Authentication aborted\r\n221 Bye\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "LOGIN", "", NULL, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "PLAIN", "", NULL, LOGIN_FAILURE);
	assert_int_equal(r.facts.commands, 5);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_smtp_pipelined_non_base64_line_invents_no_secret(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH PLAIN\r\nalice s3cret\r\n"),
		S("334 \r\n501 5.5.2 Cannot decode response\r\n"),
		C("AUTH LOGIN\r\nYWxpY2U=\r\nnot base64!\r\n"),
		S("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n501 5.5.2 Cannot decode response\r\n"),
		C("MAIL FROM:<a@b>\r\n"),
		S("250 2.1.0 Ok\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "", NULL, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "alice", NULL, LOGIN_FAILURE);
}

static void
test_smtp_commands_pipelined_after_an_initial_response_are_commands(void **unused)
{
	static const struct step t[] = {
		AUTH_SESSION_START,
		C("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\nMAIL FROM:<a@b>\r\nRCPT "
		  "TO:<c@d>\r\nDATA\r\n"),
		S("235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
		  "354 End data with <CR><LF>.<CR><LF>\r\n"),
		C("STARTTLS inside the body\r\n.\r\nQUIT\r\n"),
	};
	struct replay_result r;

	(void)unused;
	REPLAY_ALL(t, &r);
	assert_login(&r.facts, 0, "PLAIN", "alice", "s3cret", LOGIN_SUCCESS);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(r.facts.commands, 6);
	assert_int_equal(r.facts.anomalies, 0);
}

/* ---- Sniffing ------------------------------------------------------------------- */

static enum sniff_result
sniff_str(enum dir dir, const char *s)
{
	return proto_smtp.sniff(dir, (const uint8_t *)s, strlen(s));
}

static void
test_smtp_sniff_esmtp_and_lmtp_banners_are_strong(void **unused)
{
	(void)unused;
	assert_int_equal(sniff_str(DIR_S2C, "220 mx.example.org ESMTP Postfix\r\n"), SNIFF_STRONG);
	assert_int_equal(sniff_str(DIR_S2C, "220 lmtp.example.org LMTP ready\r\n"), SNIFF_STRONG);
	assert_int_equal(sniff_str(DIR_S2C, "220-mx.example.org\r\n220 ESMTP here\r\n"),
			 SNIFF_STRONG);
	assert_int_equal(sniff_str(DIR_S2C, "220 smtp.gmail.com ready\r\n"), SNIFF_STRONG);
}

static void
test_smtp_sniff_bare_220_and_ftp_banners_are_weak_at_most(void **unused)
{
	(void)unused;
	assert_int_equal(sniff_str(DIR_S2C, "220 mail.example.org\r\n"), SNIFF_WEAK);
	assert_int_equal(sniff_str(DIR_S2C, "220 (vsFTPd 3.0.3)\r\n"), SNIFF_WEAK);
	assert_int_equal(sniff_str(DIR_S2C, "220 ProFTPD Server (Debian)\r\n"), SNIFF_WEAK);
	assert_int_equal(sniff_str(DIR_S2C, "220-FileZilla Server\r\n220 Please visit\r\n"),
			 SNIFF_WEAK);
	/* SMTP on a later, unrelated line does not count. */
	assert_int_equal(sniff_str(DIR_S2C, "220 ftp\r\n331 SMTP\r\n"), SNIFF_WEAK);
}

static void
test_smtp_sniff_client_hello_commands_are_strong(void **unused)
{
	(void)unused;
	assert_int_equal(sniff_str(DIR_C2S, "EHLO client.example.net\r\n"), SNIFF_STRONG);
	assert_int_equal(sniff_str(DIR_C2S, "helo x\r\n"), SNIFF_STRONG);
	assert_int_equal(sniff_str(DIR_C2S, "LHLO mx\r\n"), SNIFF_STRONG);
	assert_int_equal(sniff_str(DIR_C2S, "EHLOX\r\n"), SNIFF_NO);
	/* A greeting is the server's, a hello the client's. */
	assert_int_equal(sniff_str(DIR_S2C, "EHLO x\r\n"), SNIFF_NO);
	assert_int_equal(sniff_str(DIR_C2S, "220 mx ESMTP\r\n"), SNIFF_NO);
}

/* SMTP claims a client's first line only for its hellos: AUTH, shared with
 * FTP ("AUTH TLS") and POP3, is no claim at all. */
static void
test_smtp_sniff_client_auth_and_other_shared_commands_are_no(void **unused)
{
	(void)unused;
	assert_int_equal(sniff_str(DIR_C2S, "AUTH TLS\r\n"), SNIFF_NO);
	assert_int_equal(sniff_str(DIR_C2S, "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"), SNIFF_NO);
	assert_int_equal(sniff_str(DIR_C2S, "USER anonymous\r\n"), SNIFF_NO);
	assert_int_equal(sniff_str(DIR_C2S, "STARTTLS\r\n"), SNIFF_NO);
	assert_int_equal(sniff_str(DIR_C2S, "MAIL FROM:<a@b>\r\n"), SNIFF_NO);
}

static void
test_smtp_sniff_short_input_asks_for_more_and_junk_is_no(void **unused)
{
	(void)unused;
	assert_int_equal(sniff_str(DIR_S2C, ""), SNIFF_MORE);
	assert_int_equal(sniff_str(DIR_S2C, "2"), SNIFF_MORE);
	assert_int_equal(sniff_str(DIR_S2C, "220"), SNIFF_MORE);
	assert_int_equal(sniff_str(DIR_C2S, "EHL"), SNIFF_MORE);
	assert_int_equal(sniff_str(DIR_C2S, "EHLO"), SNIFF_MORE);
	assert_int_equal(sniff_str(DIR_S2C, "SSH-2.0-OpenSSH\r\n"), SNIFF_NO);
	assert_int_equal(sniff_str(DIR_S2C, "* OK IMAP4rev1\r\n"), SNIFF_NO);
	assert_int_equal(sniff_str(DIR_S2C, "+OK POP3\r\n"), SNIFF_NO);
	assert_int_equal(sniff_str(DIR_C2S, "GET / HTTP/1.1\r\n"), SNIFF_NO);
	assert_int_equal(proto_smtp.sniff(DIR_C2S, (const uint8_t *)"\x16\x03\x01\x02", 4),
			 SNIFF_NO);
	assert_int_equal(proto_smtp.sniff(DIR_S2C, (const uint8_t *)"\x00\xff\x10", 3), SNIFF_NO);
	assert_int_equal(proto_smtp.sniff(DIR_S2C, (const uint8_t *)"", 0), SNIFF_MORE);
}

static void
test_smtp_descriptor_names_ports_and_hooks(void **unused)
{
	(void)unused;
	assert_string_equal(proto_smtp.name, "smtp");
	assert_true(proto_has_port(&proto_smtp, 25));
	assert_true(proto_has_port(&proto_smtp, 587));
	assert_true(proto_has_port(&proto_smtp, 24));
	assert_false(proto_has_port(&proto_smtp, 2525));
	assert_false(proto_has_port(&proto_smtp, 465));
	assert_non_null(proto_smtp.init);
	assert_non_null(proto_smtp.feed);
	assert_non_null(proto_smtp.gap);
	assert_true(proto_smtp.state_size > 0);
}

/* ---- Hostile and broken input ---------------------------------------------------- */

static void
test_smtp_line_longer_than_line_cap_is_cut_and_flagged(void **unused)
{
	static char longcmd[LINE_CAP * 2 + 16], longreply[LINE_CAP * 3 + 16];
	struct step t[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO c\r\n"),
		S(longreply),
		C(longcmd),
		S("500 5.5.2 line too long\r\n"),
		C("STARTTLS\r\n"),
		S("220 go\r\n"),
	};
	struct replay_result r;

	(void)unused;
	strcpy(longreply, "250-mx\r\n250-");
	memset(longreply + strlen(longreply), 'A', LINE_CAP * 2);
	strcat(longreply, "\r\n250 STARTTLS\r\n");
	strcpy(longcmd, "NOOP ");
	memset(longcmd + 5, 'x', LINE_CAP * 2);
	strcat(longcmd, "\r\n");
	REPLAY_ALL(t, &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_LINE_TOO_LONG);
	assert_true(r.facts.cap_hits >= 2);
	assert_true(r.facts.tls_offered);
	assert_int_equal(r.facts.commands, 3);
	assert_true(r.facts.switch_to_tls);
}

/* The cut line keeps 1009 characters of the token, 252 quanta and one more
 * character: only the whole quanta are decoded, the login keeps its user and
 * the token's beginning, and the cut is no base64 error. */
static void
test_smtp_auth_initial_response_cut_at_line_cap_keeps_the_username(void **unused)
{
	static const char prefix[] = "AUTH   XOAUTH2 "; /* 15 bytes */
	static const char msg_head[] = "user=carol@example.com\001auth=Bearer ";
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char line[2048];
	uint8_t msg[1200];
	size_t n = 0, o;
	struct step t[] = {
		AUTH_SESSION_START,
		C(line),
		S("535 5.7.8 Username and Password not accepted\r\n"),
	};
	struct replay_result r;
	char token[LOGIN_FIELD_MAX];

	(void)unused;
	memcpy(msg, msg_head, strlen(msg_head));
	n = strlen(msg_head);
	memset(msg + n, 't', 1000);
	n += 1000;
	msg[n++] = 1;
	msg[n++] = 1;
	strcpy(line, prefix);
	o = strlen(line);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)msg[i] << 16 | (i + 1 < n ? (uint32_t)msg[i + 1] << 8 : 0) |
			     (i + 2 < n ? msg[i + 2] : 0);

		line[o++] = b64[v >> 18];
		line[o++] = b64[(v >> 12) & 63];
		line[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		line[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	strcpy(line + o, "\r\n");
	assert_true(o > LINE_CAP);
	memset(token, 't', sizeof(token) - 4);
	memcpy(token + sizeof(token) - 4, "...", 4);
	REPLAY_ALL(t, &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_LINE_TOO_LONG);
	assert_false(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_login(&r.facts, 0, "XOAUTH2", "carol@example.com", token, LOGIN_FAILURE);
}

static void
test_smtp_gap_stops_the_parser_and_consumes_the_rest(void **unused)
{
	struct proto_facts f;
	void *st = calloc(1, proto_smtp.state_size);
	const char *greet = "220 mx ESMTP\r\n", *rest = "250 STARTTLS\r\n";

	(void)unused;
	assert_non_null(st);
	memset(&f, 0, sizeof(f));
	proto_smtp.init(st);
	assert_int_equal(proto_smtp.feed(st, &f, DIR_S2C, (const uint8_t *)greet, strlen(greet)),
			 strlen(greet));
	proto_smtp.gap(st, &f, DIR_C2S);
	assert_true(f.anomalies & PROTO_ANOM_GAP);
	assert_int_equal(proto_smtp.feed(st, &f, DIR_C2S, (const uint8_t *)"STARTTLS\r\n", 10), 10);
	assert_int_equal(proto_smtp.feed(st, &f, DIR_S2C, (const uint8_t *)rest, strlen(rest)),
			 strlen(rest));
	assert_true(f.greeting);
	assert_false(f.upgrade_requested);
	assert_int_equal(f.commands, 0);
	proto_smtp.fini(st);
	free(st);
}

static void
test_smtp_empty_feeds_change_nothing(void **unused)
{
	struct proto_facts f, zero;
	void *st = calloc(1, proto_smtp.state_size);

	(void)unused;
	assert_non_null(st);
	memset(&f, 0, sizeof(f));
	memset(&zero, 0, sizeof(zero));
	proto_smtp.init(st);
	assert_int_equal(proto_smtp.feed(st, &f, DIR_C2S, (const uint8_t *)"", 0), 0);
	assert_int_equal(proto_smtp.feed(st, &f, DIR_S2C, NULL, 0), 0);
	assert_memory_equal(&f, &zero, sizeof(f));
	proto_smtp.fini(st);
	free(st);
}

/* Feeds the first `cut` bytes of a flattened transcript; nothing may crash and
 * feed may never claim more than it was given. */
static void
test_smtp_every_truncation_of_a_session_is_safe(void **unused)
{
	static const struct step t[] = {
		POSTFIX_GREETING,
		C("EHLO c\r\n"),
		POSTFIX_EHLO_TLS,
		C("AUTH LOGIN\r\n"),
		S("334 VXNlcm5hbWU6\r\n"),
		C("YWxpY2U=\r\n"),
		S("334 UGFzc3dvcmQ6\r\n"),
		C("czNjcmV0\r\n"),
		S("235 ok\r\n"),
		C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
		S("250 ok\r\n250 ok\r\n354 go\r\n"),
		C("body\r\n.\r\nBDAT 5 LAST\r\nhello"),
		S("250 ok\r\n250 ok\r\n"),
		C("STARTTLS\r\nRSET\r\n"),
		S("220 go\r\n"),
	};
	size_t total = 0;

	(void)unused;
	for (size_t i = 0; i < N_STEPS(t); i++)
		total += strlen(t[i].text);
	for (size_t cut = 0; cut <= total; cut++) {
		struct step tt[N_STEPS(t)];
		size_t left = cut, n = 0;
		struct replay_result r;

		for (size_t i = 0; i < N_STEPS(t) && left > 0; i++) {
			size_t len = strlen(t[i].text);

			tt[n] = t[i];
			tt[n].len = len < left ? len : left;
			left -= tt[n].len;
			n++;
		}
		replay(&proto_smtp, tt, n, 3, &r);
		if (cut == total) {
			assert_true(r.facts.switch_to_tls);
			assert_int_equal(r.facts.indicators, IND_CMD_INJECTION);
			assert_login(&r.facts, 0, "LOGIN", "alice", "s3cret", LOGIN_SUCCESS);
		}
	}
}

/* A small deterministic generator, so a failure can be replayed. */
static uint32_t
junk_next(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void
test_smtp_random_junk_in_both_directions_never_crashes(void **unused)
{
	static const char *const atoms[] = {
		"220 ",
		"250-",
		"250 ",
		"334 ",
		"354 ",
		"235 ",
		"454 ",
		"\r\n",
		"\n",
		"\r",
		"EHLO ",
		"STARTTLS",
		"AUTH PLAIN ",
		"AUTH LOGIN",
		"AUTH SCRAM-SHA-1 ",
		"DATA",
		"BDAT 3",
		"BDAT 99999999999999999999",
		" LAST",
		".",
		"..",
		"=",
		"*",
		"XXXXXXXX",
		"AGFsaWNlAHMzY3JldA==",
		"\x16\x03",
		"\x00",
		"\xff",
		"AUTH XOAUTH2 ",
		"AUTH DIGEST-MD5",
	};
	uint32_t seed = 20260125;

	(void)unused;
	for (int round = 0; round < 300; round++) {
		struct proto_facts f;
		void *st = calloc(1, proto_smtp.state_size);
		uint8_t buf[512];

		assert_non_null(st);
		memset(&f, 0, sizeof(f));
		proto_smtp.init(st);
		for (int seg = 0; seg < 40 && !f.switch_to_tls; seg++) {
			size_t n = 0;
			enum dir dir = (junk_next(&seed) & 1) ? DIR_S2C : DIR_C2S;
			int atoms_n = (int)(junk_next(&seed) % 8);

			for (int a = 0; a < atoms_n; a++) {
				const char *s = atoms[junk_next(&seed) % N_STEPS(atoms)];
				size_t k = s[0] ? strlen(s) : 1;

				if (n + k > sizeof(buf))
					break;
				memcpy(buf + n, s, k);
				n += k;
			}
			while (n < sizeof(buf) && (junk_next(&seed) % 4) == 0)
				buf[n++] = (uint8_t)junk_next(&seed);
			assert_true(proto_smtp.feed(st, &f, dir, buf, n) <= n);
		}
		proto_smtp.fini(st);
		free(st);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp_postfix_starttls_switches_to_tls_after_220),
		cmocka_unit_test(
			test_smtp_bytes_after_the_220_in_the_same_segment_are_left_to_the_core),
		cmocka_unit_test(test_smtp_starttls_not_offered_is_cleartext_with_password_auth),
		cmocka_unit_test(test_smtp_old_auth_equals_syntax_offers_cleartext_auth),
		cmocka_unit_test(test_smtp_auth_without_password_mechanisms_is_not_cleartext_auth),
		cmocka_unit_test(test_smtp_starttls_only_counts_as_a_whole_capability_line),
		cmocka_unit_test(test_smtp_starttls_inside_message_body_is_ignored),
		cmocka_unit_test(
			test_smtp_refused_starttls_then_mail_from_is_cleartext_after_refusal),
		cmocka_unit_test(test_smtp_quit_after_refusal_is_not_cleartext_after_refusal),
		cmocka_unit_test(test_smtp_masked_starttls_capability_is_flagged),
		cmocka_unit_test(test_smtp_fully_masked_last_capability_is_flagged),
		cmocka_unit_test(test_smtp_x_extensions_are_not_masked_capabilities),
		cmocka_unit_test(test_smtp_masked_client_starttls_command_is_flagged),
		cmocka_unit_test(
			test_smtp_starttls_followed_by_rset_in_one_segment_is_command_injection),
		cmocka_unit_test(test_smtp_injection_is_flagged_even_when_starttls_is_then_refused),
		cmocka_unit_test(test_smtp_client_hello_before_the_220_switches_to_tls),
		cmocka_unit_test(test_smtp_multiline_220_to_starttls_switches_after_its_last_line),
		cmocka_unit_test(test_smtp_pipelined_mail_rcpt_data_replies_match_in_order),
		cmocka_unit_test(test_smtp_refused_data_goes_back_to_commands),
		cmocka_unit_test(test_smtp_bdat_chunks_with_fake_commands_are_skipped),
		cmocka_unit_test(test_smtp_pipelined_bdat_before_its_replies_is_skipped),
		cmocka_unit_test(test_smtp_lhlo_session_answers_data_once_per_accepted_recipient),
		cmocka_unit_test(
			test_smtp_client_speaking_before_the_banner_still_sees_the_greeting),
		cmocka_unit_test(
			test_smtp_session_picked_up_after_the_greeting_matches_the_ehlo_reply),
		cmocka_unit_test(test_smtp_multiline_greeting_and_helo_give_no_capabilities),
		cmocka_unit_test(
			test_smtp_too_many_outstanding_commands_sets_pipeline_cap_and_keeps_replies_aligned),
		cmocka_unit_test(test_smtp_a_long_pipelined_recipient_list_stays_under_the_cap),
		cmocka_unit_test(test_smtp_auth_plain_initial_response_success),
		cmocka_unit_test(test_smtp_auth_plain_after_334_failure),
		cmocka_unit_test(test_smtp_auth_login_dialogue_success),
		cmocka_unit_test(test_smtp_auth_login_with_initial_username_failure),
		cmocka_unit_test(test_smtp_auth_cram_md5_gives_the_username_and_no_secret),
		cmocka_unit_test(test_smtp_auth_digest_md5_gives_the_username),
		cmocka_unit_test(test_smtp_auth_scram_gives_the_unescaped_username),
		cmocka_unit_test(test_smtp_auth_ntlm_records_the_mechanism_only),
		cmocka_unit_test(test_smtp_auth_xoauth2_gives_username_and_token),
		cmocka_unit_test(test_smtp_auth_oauthbearer_gives_username_and_token),
		cmocka_unit_test(test_smtp_auth_cancelled_with_star_is_a_failure),
		cmocka_unit_test(test_smtp_login_fields_are_cut_and_made_printable),
		cmocka_unit_test(test_smtp_more_logins_than_login_max_are_counted_as_dropped),
		cmocka_unit_test(test_smtp_bad_base64_in_auth_is_an_anomaly),
		cmocka_unit_test(
			test_smtp_auth_login_pipelined_before_the_prompt_records_the_secret),
		cmocka_unit_test(
			test_smtp_auth_login_user_pipelined_then_password_after_the_prompt),
		cmocka_unit_test(
			test_smtp_auth_plain_pipelined_before_the_prompt_records_the_secret),
		cmocka_unit_test(
			test_smtp_ehlo_and_auth_plain_pipelined_before_the_ehlo_reply_records_the_secret),
		cmocka_unit_test(
			test_smtp_ehlo_reply_without_its_final_line_still_matches_the_auth_replies),
		cmocka_unit_test(test_smtp_pipelined_exchanges_get_their_outcomes_in_order),
		cmocka_unit_test(
			test_smtp_responses_pipelined_into_a_refused_auth_are_read_as_commands_by_the_server),
		cmocka_unit_test(
			test_smtp_starttls_pipelined_after_a_refused_auth_still_switches_to_tls),
		cmocka_unit_test(test_smtp_a_command_after_auth_was_refused_is_not_a_sasl_response),
		cmocka_unit_test(test_smtp_pipelined_star_cancels_and_the_next_line_is_a_command),
		cmocka_unit_test(test_smtp_pipelined_non_base64_line_invents_no_secret),
		cmocka_unit_test(
			test_smtp_commands_pipelined_after_an_initial_response_are_commands),
		cmocka_unit_test(test_smtp_sniff_esmtp_and_lmtp_banners_are_strong),
		cmocka_unit_test(test_smtp_sniff_bare_220_and_ftp_banners_are_weak_at_most),
		cmocka_unit_test(test_smtp_sniff_client_hello_commands_are_strong),
		cmocka_unit_test(test_smtp_sniff_client_auth_and_other_shared_commands_are_no),
		cmocka_unit_test(test_smtp_sniff_short_input_asks_for_more_and_junk_is_no),
		cmocka_unit_test(test_smtp_descriptor_names_ports_and_hooks),
		cmocka_unit_test(test_smtp_line_longer_than_line_cap_is_cut_and_flagged),
		cmocka_unit_test(
			test_smtp_auth_initial_response_cut_at_line_cap_keeps_the_username),
		cmocka_unit_test(test_smtp_gap_stops_the_parser_and_consumes_the_rest),
		cmocka_unit_test(test_smtp_empty_feeds_change_nothing),
		cmocka_unit_test(test_smtp_every_truncation_of_a_session_is_safe),
		cmocka_unit_test(test_smtp_random_junk_in_both_directions_never_crashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
