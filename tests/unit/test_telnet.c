/*
 * test_telnet.c - the Telnet parser: option negotiation, START_TLS and the
 * AUTHENTICATION SSL upgrade (accepted, refused, declined, went ahead,
 * injected), the login typed in the clear (line mode and character mode
 * with echoes, CR NUL, editing, outcomes), transcripts replayed in every
 * chunk size; sniffing; hostile input; and through the session driver and
 * the verdict: the switch to TLS and what the core makes of text where TLS
 * had to start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"
#include "session_pieces.h"
#include "transcript.h"
#include "verdict.h"

extern const struct proto_desc proto_telnet;

/* Binary server bytes (NUL and 0xff inside). */
#define SX(s)                                                                                      \
	{                                                                                          \
		DIR_S2C, (s), sizeof(s) - 1                                                        \
	}

/* RFC 854 / 855 bytes, as separate literals so that hex escapes end. */
#define IAC "\xff"
#define DONT "\xfe"
#define DO "\xfd"
#define WONT "\xfc"
#define WILL "\xfb"
#define SB "\xfa"
#define SE "\xf0"
#define ECHO "\x01"
#define AUTH "\x25"
#define ENCRYPT "\x26"
#define NEW_ENVIRON "\x27"
#define START_TLS "\x2e"

/* What telnetd-ssl and telnet-ssl send (recorded in pcaps/telnet-ssl.pcap). */
#define AUTH_SEND_SSL IAC SB AUTH "\x01\x07\x00" IAC SE
#define AUTH_IS_SSL_START IAC SB AUTH "\x00\x07\x00\x01" IAC SE
#define AUTH_IS_NULL IAC SB AUTH "\x00\x00\x00" IAC SE
#define AUTH_REPLY_SSL_ACCEPT IAC SB AUTH "\x02\x07\x00\x02" IAC SE
#define AUTH_REPLY_SSL_REJECT IAC SB AUTH "\x02\x07\x00\x03" IAC SE
#define STLS_FOLLOWS IAC SB START_TLS "\x01" IAC SE
#define CLIENT_HELLO "\x16\x03\x01\x00\x05hello"
#define SERVER_HELLO "\x16\x03\x03\x00\x05hello"

/* ---- logins ------------------------------------------------------------------- */

/* ../shared/corpus/ndpi/telnet.pcap's dialogue: BSD telnet in line mode
 * (the client echoes and sends whole lines with CR LF), the password
 * prompt on the login prompt's line, "Last login" after it. */
static void
test_telnet_line_mode_login_with_last_login_is_a_success(void **unused)
{
	const struct step t[] = {
		SX(IAC DO AUTH),
		CB(IAC WONT AUTH),
		S("\r\n\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\n"),
		S("login: "),
		C("fake\r\n"),
		SX(IAC WILL ECHO),
		S("Password:"),
		C("user\r\n"),
		S("\r\n"),
		SX(IAC WONT ECHO),
		S("Last login: Sat Nov 27 20:11:43 on ttyp2 from bam.zing.org\r\n"),
		S("$ "),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "LOGIN", "fake", "user", true, LOGIN_SUCCESS);
	assert_true(r.facts.auth_cleartext_offered);
	assert_false(r.facts.tls_offered);
	assert_false(r.facts.upgrade_requested);
	/* DO AUTHENTICATION declined: its list (maybe naming SSL) was never
	 * shown, so no capability list counts as seen. */
	assert_false(r.facts.capa_seen);
	assert_int_equal(r.facts.anomalies, 0);
}

/* telnetd-ssl and telnet-ssl -z nossl in character mode: the server echoes
 * each typed byte, lines end in CR NUL, the password is not echoed;
 * "Login incorrect" after it, then a second try that succeeds with the
 * MOTD. The server offered SSL; the client picked NULL. */
static void
test_telnet_character_mode_failure_then_success(void **unused)
{
	const struct step t[] = {
		SX(IAC DO NEW_ENVIRON),
		CB(IAC WILL NEW_ENVIRON),
		SX(IAC DO AUTH),
		CB(IAC WILL AUTH),
		SX(AUTH_SEND_SSL),
		CB(AUTH_IS_NULL),
		SX(IAC WILL ECHO),
		CB(IAC DO ECHO),
		S("tlswatch telnet lab\r\n"),
		S("telnet.tlswatch.test login: "),
		C("b"),
		S("b"),
		C("o"),
		S("o"),
		C("b"),
		S("b"),
		CB("\r\0"),
		S("\r\n"),
		S("Password: "),
		C("W"),
		C("r"),
		C("o"),
		C("n"),
		C("g"),
		CB("\r\0"),
		S("\r\n"),
		S("\r\nLogin incorrect\r\n"),
		S("telnet.tlswatch.test login: "),
		C("b"),
		S("b"),
		C("o"),
		S("o"),
		C("b"),
		S("b"),
		CB("\r\0"),
		S("\r\n"),
		S("Password: "),
		C("Secret 1\r"),
		CB("\0"),
		S("\r\n"),
		S("Welcome to the tlswatch telnet lab.\r\n"),
		S("$ "),
		C("e"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "LOGIN", "bob", "Wrong", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "bob", "Secret 1", true, LOGIN_SUCCESS);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.capa_seen);
	assert_string_equal(r.facts.capa, "AUTH=SSL");
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_refused);
	assert_false(r.facts.switch_to_tls);
}

/* No line after the password: the shell's prompt, left open when the
 * client types its first command, is the success. */
static void
test_telnet_shell_prompt_after_the_password_is_a_success(void **unused)
{
	const struct step t[] = {
		SX(IAC WILL ECHO),	S("host login: "), C("alice\r\n"),	S("Password: "),
		C("AlicePass2024\r\n"), S("\r\n"),	   S("alice@host:~$ "), C("exit\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "LOGIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	/* No DO START_TLS, no DO AUTHENTICATION before the prompt: nothing
	 * was offered, and that is known. */
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
}

/* A router's dialogue: "Username:", a failure phrase of its own, asked
 * again with "Username:" (a new try), a password-only line prompt. */
static void
test_telnet_username_prompts_and_line_passwords(void **unused)
{
	const struct step t[] = {
		SX(IAC WILL ECHO IAC WILL "\x03"),
		S("\r\n\r\nUser Access Verification\r\n\r\nUsername: "),
		C("admin\r\n"),
		S("admin\r\nPassword: "),
		C("cisco\r\n"),
		S("\r\n% Authentication failed\r\n\r\nUsername: "),
		C("admin\r\n"),
		S("admin\r\nPassword: "),
		C("Cisco123\r\n"),
		S("\r\nrouter>"),
		C("enable\r\n"),
	};
	const struct step line_password[] = {
		SX(IAC WILL ECHO),     S("\r\nUser Access Verification\r\n\r\nPassword: "),
		C("letmein\r\n"),      S("\r\nPassword: "),
		C("letmein2\r\n"),     S("\r\nswitch>"),
		C("show version\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "LOGIN", "admin", "cisco", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "admin", "Cisco123", true, LOGIN_SUCCESS);

	/* A password prompt again, without a failure line: the first one
	 * failed; the second is answered by the router's prompt. */
	transcript_run(&proto_telnet, line_password, N_STEPS(line_password), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "LOGIN", "", "letmein", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "LOGIN", "", "letmein2", true, LOGIN_SUCCESS);
}

/* Backspace and DEL edit the typed line, ^U clears it; an empty user is
 * no login; bytes the server echoes are not typing. */
static void
test_telnet_typed_lines_are_edited_as_a_terminal_would(void **unused)
{
	const struct step t[] = {
		S("login: "), CB("\r\0"), S("\r\nlogin: "),
		C("alx"),     CB("\x08"), C("ice"),
		S("alice"),   CB("\r\0"), S("\r\nPassword: "),
		C("oops"),    CB("\x15"), C("pw1x"),
		CB("\x7f"),   C("\r\n"),  S("\r\nLast login: today\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "LOGIN", "alice", "pw1", true, LOGIN_SUCCESS);
}

/* A password that echoes as stars: the prompt's own line, completed, is
 * no answer; the outcome is the line after it. */
static void
test_telnet_starred_password_echo_is_not_the_outcome(void **unused)
{
	const struct step t[] = {
		S("login: "), C("carol\r\n"), S("carol\r\n"), S("Password: "),		C("x"),
		S("*"),	      C("y\r\n"),     S("*\r\n"),     S("Login incorrect\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "LOGIN", "carol", "xy", true, LOGIN_FAILURE);
}

/* Only TN_OUTCOME_MAX (4096) server bytes are read for the outcome: a
 * prompt behind them is not seen, the outcome stays unknown. */
static void
test_telnet_outcome_is_read_within_a_byte_cap(void **unused)
{
	static char flood[5000];
	struct step t[] = {
		S("login: "), C("dave\r\n"), S("Password: "), C("pw\r\n"),
		S(flood),     S("\r\n$ "),   C("ls\r\n"),
	};
	struct replay_result r;

	(void)unused;
	memset(flood, 'x', sizeof(flood) - 1);
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "LOGIN", "dave", "pw", true, LOGIN_UNKNOWN);
}

/* A long user keeps its first characters and says it was cut. */
static void
test_telnet_long_typed_value_is_cut(void **unused)
{
	static char user[200];
	struct step t[] = {
		S("login: "),	 C(user),     C("\r\n"),
		S("Password: "), C("pw\r\n"), S("\r\nLogin incorrect\r\n"),
	};
	struct replay_result r;

	(void)unused;
	memset(user, 'u', sizeof(user) - 1);
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_int_equal(strlen(r.facts.logins[0].username), LOGIN_FIELD_MAX - 1);
	assert_string_equal(r.facts.logins[0].username + LOGIN_FIELD_MAX - 4, "...");
	assert_int_equal(r.facts.logins[0].outcome, LOGIN_FAILURE);
}

/* ---- AUTHENTICATION SSL (telnetd-ssl) ------------------------------------------ */

/* The exchange of pcaps/telnet-ssl.pcap: DO/WILL AUTHENTICATION, SEND SSL,
 * IS SSL START, REPLY SSL ACCEPT, then the ClientHello. */
static void
test_telnet_auth_ssl_accepted_switches_to_tls(void **unused)
{
	const struct step t[] = {
		SX(IAC DO NEW_ENVIRON),
		CB(IAC WILL NEW_ENVIRON),
		SX(IAC SB NEW_ENVIRON "\x01" IAC SE),
		CB(IAC SB NEW_ENVIRON "\x00" IAC SE),
		SX(IAC DO AUTH),
		CB(IAC WILL AUTH),
		SX(AUTH_SEND_SSL),
		CB(AUTH_IS_SSL_START),
		SX(AUTH_REPLY_SSL_ACCEPT),
		CB(CLIENT_HELLO),
		SX(SERVER_HELLO),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_string_equal(r.facts.upgrade_reply, "SSL ACCEPT");
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.after_switch[DIR_S2C], 10);
	assert_memory_equal(r.after_bytes[DIR_C2S], CLIENT_HELLO, 10);
	assert_string_equal(own_fields(&proto_telnet, &r.facts, &o), "upgrade=auth-ssl;");
}

/* The ServerHello in the same segment as the REPLY: the bytes after its
 * SE are TLS. */
static void
test_telnet_bytes_after_the_accepting_reply_are_tls(void **unused)
{
	const struct step t[] = {
		SX(IAC DO AUTH),
		CB(IAC WILL AUTH),
		SX(AUTH_SEND_SSL),
		CB(AUTH_IS_SSL_START),
		SX(AUTH_REPLY_SSL_ACCEPT SERVER_HELLO),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_S2C], 10);
	assert_memory_equal(r.after_bytes[DIR_S2C], SERVER_HELLO, 10);
}

/* REJECT: refused (evidence in words), and the login that follows is in
 * the clear after the refusal. */
static void
test_telnet_auth_ssl_rejected_is_a_refusal(void **unused)
{
	const struct step t[] = {
		SX(IAC DO AUTH),
		CB(IAC WILL AUTH),
		SX(AUTH_SEND_SSL),
		CB(AUTH_IS_SSL_START),
		SX(AUTH_REPLY_SSL_REJECT),
		S("login: "),
		C("alice\r\n"),
		S("Password: "),
		C("AlicePass2024\r\n"),
		S("\r\nLast login: Mon\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_refused);
	assert_false(r.facts.upgrade_accepted);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "AUTHENTICATION REPLY SSL REJECT");
	assert_login(&r.facts, 0, "LOGIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
}

/* Client text after IS SSL START, before the REPLY: command injection; a
 * ClientHello there instead is the client going ahead. */
static void
test_telnet_auth_ssl_injection_and_going_ahead(void **unused)
{
	const struct step injected[] = {
		SX(AUTH_SEND_SSL),
		CB(AUTH_IS_SSL_START "id\r\n"),
		SX(AUTH_REPLY_SSL_ACCEPT),
		CB(CLIENT_HELLO),
	};
	const struct step ahead[] = {
		SX(AUTH_SEND_SSL),
		CB(AUTH_IS_SSL_START CLIENT_HELLO),
		SX(AUTH_REPLY_SSL_ACCEPT SERVER_HELLO),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, injected, N_STEPS(injected), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_evidence(&r.facts, "client data after AUTHENTICATION IS SSL START");
	assert_true(r.facts.switch_to_tls);

	transcript_run(&proto_telnet, ahead, N_STEPS(ahead), &r);
	assert_int_equal(r.facts.indicators, 0);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.after_switch[DIR_S2C], 19);
}

/* ---- START_TLS (draft-altman-telnet-starttls) --------------------------------- */

static void
test_telnet_start_tls_follows_from_both_sides_switches_to_tls(void **unused)
{
	const struct step t[] = {
		SX(IAC DO START_TLS),	       CB(IAC WILL START_TLS), SX(STLS_FOLLOWS),
		CB(STLS_FOLLOWS CLIENT_HELLO), SX(SERVER_HELLO),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.capa_seen);
	assert_string_equal(r.facts.capa, "START_TLS");
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_string_equal(r.facts.upgrade_reply, "FOLLOWS");
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.after_switch[DIR_S2C], 10);
	assert_string_equal(own_fields(&proto_telnet, &r.facts, &o), "upgrade=start-tls;");
}

/* The server's DONT to the client's WILL is a refusal; a client's WONT to
 * the server's DO is an offer not taken. */
static void
test_telnet_start_tls_dont_is_a_refusal_and_wont_a_decline(void **unused)
{
	const struct step refused[] = {
		CB(IAC WILL START_TLS),
		SX(IAC DONT START_TLS),
		S("login: "),
		C("alice\r\n"),
		S("Password: "),
		C("AlicePass2024\r\n"),
		S("\r\nLogin incorrect\r\n"),
	};
	const struct step declined[] = {
		SX(IAC DO START_TLS),
		CB(IAC WONT START_TLS),
		S("login: "),
		C("alice\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, refused, N_STEPS(refused), &r);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "DONT START_TLS");
	assert_login(&r.facts, 0, "LOGIN", "alice", "AlicePass2024", true, LOGIN_FAILURE);

	transcript_run(&proto_telnet, declined, N_STEPS(declined), &r);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_refused);
	assert_int_equal(r.facts.indicators, 0);
}

/* After the server's FOLLOWS: server data is a response injection; client
 * text where its FOLLOWS or ClientHello had to be is where TLS started
 * (the core then finds it is not TLS). */
static void
test_telnet_start_tls_text_after_follows(void **unused)
{
	const struct step server_text[] = {
		SX(IAC DO START_TLS),
		CB(IAC WILL START_TLS),
		SX(STLS_FOLLOWS "220 hi\r\n"),
		CB(STLS_FOLLOWS CLIENT_HELLO),
	};
	const struct step client_text[] = {
		SX(IAC DO START_TLS),
		CB(IAC WILL START_TLS),
		SX(STLS_FOLLOWS),
		C("alice\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, server_text, N_STEPS(server_text), &r);
	assert_true(r.facts.indicators & IND_RESP_INJECTION);
	assert_evidence(&r.facts, "server data after START_TLS FOLLOWS");
	assert_true(r.facts.switch_to_tls);

	transcript_run(&proto_telnet, client_text, N_STEPS(client_text), &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 7);
	assert_int_equal(r.facts.n_logins, 0);
}

/* ---- the byte machine -------------------------------------------------------- */

/* IAC IAC is a data 0xff, inside a subnegotiation too; an IAC and a
 * command inside a subnegotiation end it (flagged) and count as that
 * command. */
static void
test_telnet_escaped_iac_and_unterminated_subnegotiation(void **unused)
{
	const struct step t[] = {
		SX(IAC SB "\x18\x01\xff\xff" IAC SE),
		SX(IAC SB "\x18\x01" IAC DO START_TLS),
		S("login: "),
		CB("a" IAC IAC "b\r\n"),
		S("Password: "),
		C("pw\r\n"),
		S("\r\n$ "),
		C("x"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_true(r.facts.tls_offered);
	assert_login(&r.facts, 0, "LOGIN", "a?b", "pw", true, LOGIN_SUCCESS);
}

/* ENCRYPT START: the data is encrypted from there (not TLS): no login is
 * read out of it. */
static void
test_telnet_encrypt_start_stops_reading(void **unused)
{
	const struct step t[] = {
		SX(IAC WILL ENCRYPT IAC DO ENCRYPT),
		CB(IAC SB ENCRYPT "\x03\x01\x02" IAC SE),
		S("login: "),
		C("alice\r\n"),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_telnet, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 0);
	assert_string_equal(own_fields(&proto_telnet, &r.facts, &o), "encrypt=started;");
}

static void
test_telnet_gap_stops_the_parser(void **unused)
{
	void *st = calloc(1, proto_telnet.state_size);
	struct proto_facts f;
	static const char prompt[] = "login: ";

	(void)unused;
	memset(&f, 0, sizeof(f));
	proto_telnet.init(st);
	proto_telnet.feed(st, &f, DIR_S2C, (const uint8_t *)prompt, 7);
	proto_telnet.gap(st, &f, DIR_C2S);
	assert_int_equal(proto_telnet.feed(st, &f, DIR_C2S, (const uint8_t *)"bob\r\n", 5), 5);
	assert_true(f.anomalies & PROTO_ANOM_GAP);
	assert_int_equal(f.n_logins, 0);
	free(st);
}

/* ---- sniffing ------------------------------------------------------------------ */

static enum sniff_result
sniff(enum dir dir, const char *p, size_t n)
{
	return proto_telnet.sniff(dir, (const uint8_t *)p, n);
}

static void
test_telnet_sniff_wants_a_negotiation_or_a_login_prompt(void **unused)
{
	static const char bsd_client[] = IAC DO "\x03" IAC WILL "\x18" IAC WILL "\x1f" IAC SB
						"\x1f\x00\x50\x00\x20" IAC SE "\r\n";

	(void)unused;
	assert_int_equal(sniff(DIR_S2C, IAC DO NEW_ENVIRON, 3), SNIFF_STRONG);
	assert_int_equal(sniff(DIR_C2S, bsd_client, sizeof(bsd_client) - 1), SNIFF_STRONG);
	assert_int_equal(sniff(DIR_S2C, IAC DO, 2), SNIFF_MORE);
	assert_int_equal(sniff(DIR_S2C, IAC SB "\x18\x01" IAC, 5), SNIFF_MORE);
	assert_int_equal(sniff(DIR_S2C, IAC DO "\x99", 3), SNIFF_NO); /* no such option */
	assert_int_equal(sniff(DIR_S2C, IAC "\xf1", 2), SNIFF_NO);    /* NOP first */
	assert_int_equal(sniff(DIR_S2C, IAC DO "\x01\x90\x91", 5), SNIFF_NO);
	assert_int_equal(sniff(DIR_S2C, "\r\nhost login: ", 14), SNIFF_WEAK);
	assert_int_equal(sniff(DIR_S2C, "Username: ", 10), SNIFF_WEAK);
	assert_int_equal(sniff(DIR_S2C, "220 mail ESMTP\r\n", 16), SNIFF_NO);
	assert_int_equal(sniff(DIR_C2S, "login: ", 7), SNIFF_NO);
	assert_int_equal(sniff(DIR_C2S, "\x16\x03\x01\x02\x00", 5), SNIFF_NO);
}

/* ---- through the session driver and the verdict ------------------------------ */

static const size_t session_chunks[] = {1, 2, 3, 7, 64, 0};

/* Feeds the pieces through a session on port `port` in chunks of `chunk`
 * bytes (0: whole), then judges it; returns the alerts raised. */
static uint32_t
session_run(struct session *s, uint16_t port, const struct piece *pc, size_t n, size_t chunk)
{
	struct alert a[32];
	struct verdict_input in = {false};

	session_feed_pieces(s, port, pc, n, chunk);
	s->end = END_FIN;
	session_name_service(s);
	verdict_judge(s, &in, a, 32);
	return s->alerts;
}

/* telnetd-ssl's upgrade, sniffed from the server's first negotiation, on a
 * port no service owns: starttls once the handshake is done. */
static void
test_telnet_session_auth_ssl_is_starttls(void **unused)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, IAC DO NEW_ENVIRON),    TXT(DIR_C2S, IAC WILL NEW_ENVIRON),
		TXT(DIR_S2C, IAC DO AUTH),	     TXT(DIR_C2S, IAC WILL AUTH),
		TXT(DIR_S2C, AUTH_SEND_SSL),	     TXT(DIR_C2S, AUTH_IS_SSL_START),
		TXT(DIR_S2C, AUTH_REPLY_SSL_ACCEPT), BIN(DIR_C2S, client_hello),
		BIN(DIR_S2C, server_hello),	     BIN(DIR_S2C, ccs_and_data),
		BIN(DIR_C2S, ccs_and_data),
	};

	(void)unused;
	for (size_t c = 0; c < sizeof(session_chunks) / sizeof(session_chunks[0]); c++) {
		struct session s;

		assert_int_equal(session_run(&s, 2323, pc, N_STEPS(pc), session_chunks[c]), 0);
		assert_string_equal(s.service, "telnet");
		assert_true(s.tf.established);
		assert_int_equal(s.verdict, VERDICT_STARTTLS);
		session_release(&s);
	}
}

/* The client types its user where, after the server's FOLLOWS, its own
 * FOLLOWS or TLS had to come: the upgrade did not happen. */
static void
test_telnet_session_text_after_follows_is_no_tls_after_accept(void **unused)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, IAC DO START_TLS), TXT(DIR_C2S, IAC WILL START_TLS),
		TXT(DIR_S2C, STLS_FOLLOWS),	TXT(DIR_C2S, "alice\r\n"),
		TXT(DIR_S2C, "Password: "),
	};

	(void)unused;
	for (size_t c = 0; c < sizeof(session_chunks) / sizeof(session_chunks[0]); c++) {
		struct session s;
		uint32_t alerts = session_run(&s, 23, pc, N_STEPS(pc), session_chunks[c]);

		assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
		assert_int_equal(s.reason, REASON_NO_TLS_AFTER_ACCEPT);
		assert_true(alerts & (1u << ALERT_NO_TLS_AFTER_ACCEPT));
		session_release(&s);
	}
}

/* Refused, then a login in the clear: upgrade-refused and the login. */
static void
test_telnet_session_refusal_is_a_downgrade_with_a_login(void **unused)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, IAC DO NEW_ENVIRON),
		TXT(DIR_C2S, IAC WONT NEW_ENVIRON IAC WILL START_TLS),
		TXT(DIR_S2C, IAC DONT START_TLS),
		TXT(DIR_S2C, "host login: "),
		TXT(DIR_C2S, "alice\r\n"),
		TXT(DIR_S2C, "Password: "),
		TXT(DIR_C2S, "AlicePass2024\r\n"),
		TXT(DIR_S2C, "\r\nLast login: Mon\r\n$ "),
	};

	(void)unused;
	for (size_t c = 0; c < sizeof(session_chunks) / sizeof(session_chunks[0]); c++) {
		struct session s;
		uint32_t alerts = session_run(&s, 23, pc, N_STEPS(pc), session_chunks[c]);

		assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
		assert_int_equal(s.reason, REASON_UPGRADE_REFUSED);
		assert_true(alerts & (1u << ALERT_UPGRADE_REFUSED));
		assert_true(alerts & (1u << ALERT_CLEARTEXT_LOGIN));
		assert_int_equal(s.pf.logins[0].outcome, LOGIN_SUCCESS);
		session_release(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_telnet_line_mode_login_with_last_login_is_a_success),
		cmocka_unit_test(test_telnet_character_mode_failure_then_success),
		cmocka_unit_test(test_telnet_shell_prompt_after_the_password_is_a_success),
		cmocka_unit_test(test_telnet_username_prompts_and_line_passwords),
		cmocka_unit_test(test_telnet_typed_lines_are_edited_as_a_terminal_would),
		cmocka_unit_test(test_telnet_starred_password_echo_is_not_the_outcome),
		cmocka_unit_test(test_telnet_outcome_is_read_within_a_byte_cap),
		cmocka_unit_test(test_telnet_long_typed_value_is_cut),
		cmocka_unit_test(test_telnet_auth_ssl_accepted_switches_to_tls),
		cmocka_unit_test(test_telnet_bytes_after_the_accepting_reply_are_tls),
		cmocka_unit_test(test_telnet_auth_ssl_rejected_is_a_refusal),
		cmocka_unit_test(test_telnet_auth_ssl_injection_and_going_ahead),
		cmocka_unit_test(test_telnet_start_tls_follows_from_both_sides_switches_to_tls),
		cmocka_unit_test(test_telnet_start_tls_dont_is_a_refusal_and_wont_a_decline),
		cmocka_unit_test(test_telnet_start_tls_text_after_follows),
		cmocka_unit_test(test_telnet_escaped_iac_and_unterminated_subnegotiation),
		cmocka_unit_test(test_telnet_encrypt_start_stops_reading),
		cmocka_unit_test(test_telnet_gap_stops_the_parser),
		cmocka_unit_test(test_telnet_sniff_wants_a_negotiation_or_a_login_prompt),
		cmocka_unit_test(test_telnet_session_auth_ssl_is_starttls),
		cmocka_unit_test(test_telnet_session_text_after_follows_is_no_tls_after_accept),
		cmocka_unit_test(test_telnet_session_refusal_is_a_downgrade_with_a_login),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
