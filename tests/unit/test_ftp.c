/*
 * test_ftp.c - the FTP control parser: AUTH TLS, logins, the data
 * endpoints it announces and its own fields, transcripts replayed in every
 * chunk size; sniffing; hostile input.
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

extern const struct proto_desc proto_ftp;
extern const struct proto_desc proto_ftp_data;

#define GREETING "220 (vsFTPd 3.0.3)\r\n"
#define FEAT_TLS                                                                                   \
	"211-Features:\r\n AUTH SSL\r\n AUTH TLS\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n PBSZ\r\n" \
	" PROT\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n"
#define FEAT_PLAIN "211-Features:\r\n EPRT\r\n EPSV\r\n PASV\r\n SIZE\r\n211 End\r\n"

static void
assert_expect(const struct proto_facts *f, uint32_t i, uint8_t family, const char *addr4,
	      uint16_t port, bool by_server)
{
	const struct proto_expect *x = &f->expect[i % PROTO_EXPECT_RING];

	assert_true(i < f->n_expect);
	assert_int_equal(x->family, family);
	if (addr4)
		assert_memory_equal(x->addr, addr4, 4);
	assert_int_equal(x->port, port);
	assert_int_equal(x->by_server, by_server);
}

/* ---- AUTH TLS ----------------------------------------------------------------------- */

static void
test_ftp_auth_tls_accepted_hands_the_client_hello_to_tls(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("FEAT\r\n"),
		S(FEAT_TLS),
		C("AUTH TLS\r\n"),
		S("234 Proceed with negotiation.\r\n"),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_string_equal(r.facts.upgrade_reply, "234 Proceed with negotiation.");
	assert_string_equal(r.facts.capa, "AUTH EPRT EPSV MDTM PASV PBSZ PROT REST SIZE TVFS UTF8");
	assert_string_equal(own_fields(&proto_ftp, &r.facts, &o), "");
}

static void
test_ftp_auth_ssl_answered_334_is_an_upgrade(void **unused)
{
	const struct step t[] = {
		S("220 FTP server ready\r\n"),
		C("AUTH SSL\r\n"),
		S("334 AUTH SSL OK.\r\n\x16\x03\x01"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_S2C], 3);
}

static void
test_ftp_auth_gssapi_is_not_a_tls_request(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH GSSAPI\r\n"),
		S("504 Unknown AUTH type.\r\n"),
		C("USER bob\r\n"),
		S("331 Please specify the password.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_refused);
	assert_true(r.facts.auth_cleartext_offered);
}

static void
test_ftp_refused_auth_tls_then_cleartext_is_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH TLS\r\n"),
		S("534 Local policy on server does not allow TLS secure connections.\r\n"),
		C("USER alice\r\n"),
		S("331 Please specify the password.\r\n"),
		C("PASS Alice Pass 1\r\n"),
		S("230 Login successful.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_false(r.facts.switch_to_tls);
	assert_login(&r.facts, 0, "USER", "alice", "Alice Pass 1", true, LOGIN_SUCCESS);
}

static void
test_ftp_masked_auth_feature_is_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("FEAT\r\n"),
		S("211-Features:\r\n XXXX XXX\r\n EPSV\r\n PASV\r\n211 End\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.indicators & IND_CAPA_MASKED);
	assert_int_equal(r.facts.evidence_len, strlen(" XXXX XXX"));
	assert_memory_equal(r.facts.evidence, " XXXX XXX", r.facts.evidence_len);
}

static void
test_ftp_commands_injected_after_auth_tls_are_flagged(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("AUTH TLS\r\nUSER mallory\r\n"),
		S("234 Proceed with negotiation.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_memory_equal(r.facts.evidence, "USER mallory", r.facts.evidence_len);
}

static void
test_ftp_features_after_login_do_not_count_as_an_offer(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("USER alice\r\n"),
		S("331 Please specify the password.\r\n"),
		C("PASS pw\r\n"),
		S("230 Login successful.\r\n"),
		C("FEAT\r\n"),
		S(FEAT_TLS),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.capa_seen);
}

/* ---- logins --------------------------------------------------------------------------- */

static void
test_ftp_failed_login_keeps_the_password(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("USER alice\r\n"),
		S("331 Please specify the password.\r\n"),
		C("PASS WrongPass999\r\n"),
		S("530 Login incorrect.\r\n"),
		C("QUIT\r\n"),
		S("221 Goodbye.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "USER", "alice", "WrongPass999", true, LOGIN_FAILURE);
	assert_true(r.facts.auth_cleartext_offered);
}

static void
test_ftp_anonymous_login_has_no_secret(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("USER anonymous\r\n"),
		S("331 Please specify the password.\r\n"),
		C("PASS guest@example.org\r\n"),
		S("230 Login successful.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "ANONYMOUS", "anonymous", "", false, LOGIN_SUCCESS);
	assert_true(r.facts.logins[0].anonymous);
	assert_false(r.facts.logins[1 % LOGIN_MAX].anonymous);
	/* The 331 asked for an e-mail address, not a password. */
	assert_false(r.facts.auth_cleartext_offered);
}

static void
test_ftp_user_refused_before_tls_is_no_cleartext_offer(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("USER alice\r\n"),
		S("530 Non-anonymous sessions must use encryption.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_false(r.facts.auth_cleartext_offered);
	assert_int_equal(r.facts.n_logins, 0);
}

/* ---- data connections -------------------------------------------------------------------- */

static void
test_ftp_pasv_and_epsv_replies_announce_the_server_endpoint(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("FEAT\r\n"),
		S(FEAT_TLS),
		C("PASV\r\n"),
		S("227 Entering Passive Mode (127,0,0,21,156,64).\r\n"),
		C("RETR a.txt\r\n"),
		S("150 Opening BINARY mode data connection for a.txt (5 bytes).\r\n"),
		S("226 Transfer complete.\r\n"),
		C("EPSV\r\n"),
		S("229 Entering Extended Passive Mode (|||40001|)\r\n"),
		C("PASV\r\n"),
		S("227 Entering Passive Mode 10,1,2,3,4,1\r\n"),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_expect, 3);
	assert_expect(&r.facts, 0, 4, "\x7f\x00\x00\x15", 156 * 256 + 64, true);
	assert_expect(&r.facts, 1, 0, NULL, 40001, true);
	assert_expect(&r.facts, 2, 4, "\x0a\x01\x02\x03", 1025, true);
	assert_true(r.facts.expect[0].tls_possible);
	assert_string_equal(own_fields(&proto_ftp, &r.facts, &o), "passive=3;");
}

static void
test_ftp_port_and_eprt_announce_the_client_endpoint_once_accepted(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("PORT 127,0,0,1,195,80\r\n"),
		S("200 PORT command successful. Consider using PASV.\r\n"),
		C("EPRT |2|::1|40002|\r\n"),
		S("200 EPRT command successful.\r\n"),
		C("EPRT |1|10.0.0.9|40003|\r\n"),
		S("500 Illegal EPRT command.\r\n"),
		C("PORT 1,2,3\r\n"),
		S("501 Illegal PORT command.\r\n"),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_expect, 2);
	assert_expect(&r.facts, 0, 4, "\x7f\x00\x00\x01", 195 * 256 + 80, false);
	assert_expect(&r.facts, 1, 6, NULL, 40002, false);
	assert_memory_equal(r.facts.expect[1].addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	assert_false(r.facts.expect[0].tls_possible);
	assert_string_equal(own_fields(&proto_ftp, &r.facts, &o), "active=2;bad_ports=1;");
}

static void
test_ftp_hostile_pasv_replies_announce_nothing(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("PASV\r\n"),
		S("227 Entering Passive Mode (127,0,0,1,256,1).\r\n"),
		C("PASV\r\n"),
		S("227 Entering Passive Mode (127,0,0,1,0,0).\r\n"),
		C("EPSV\r\n"),
		S("229 Entering Extended Passive Mode (|||70000|)\r\n"),
		C("EPSV\r\n"),
		S("229 Entering Extended Passive Mode (|||\r\n"),
		C("EPSV\r\n"),
		S("229 (\r\n"),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_expect, 0);
	assert_string_equal(own_fields(&proto_ftp, &r.facts, &o), "bad_ports=5;");
}

static void
test_ftp_prot_level_is_kept_when_accepted(void **unused)
{
	const struct step t[] = {
		S(GREETING),
		C("PBSZ 0\r\n"),
		S("200 PBSZ set to 0.\r\n"),
		C("PROT P\r\n"),
		S("536 PROT P requires TLS.\r\n"),
		C("prot c\r\n"),
		S("200 PROT now Clear.\r\n"),
		C("CCC\r\n"),
		S("200 OK\r\n"),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_string_equal(own_fields(&proto_ftp, &r.facts, &o), "prot=C;ccc=accepted;");
}

static void
test_ftp_multiline_replies_and_preliminary_replies_keep_commands_matched(void **unused)
{
	const struct step t[] = {
		S("220-Welcome\r\n220-to the FTP server\r\n220 ready\r\n"),
		C("HELP\r\n"),
		S("214-The following commands are recognized.\r\n ABOR ACCT\r\n"
		  "214 Help OK.\r\n"),
		C("LIST\r\n"),
		S("150 Here comes the directory listing.\r\n226 Directory send OK.\r\n"),
		C("USER bob\r\n"),
		S("331 Please specify the password.\r\n"),
		C("PASS Bob 2024\r\n"),
		S("230 Login successful.\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ftp, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_false(r.facts.capa_seen);
	assert_login(&r.facts, 0, "USER", "bob", "Bob 2024", true, LOGIN_SUCCESS);
	assert_int_equal(r.facts.anomalies, 0);
}

/* ---- sniffing and hostile input ------------------------------------------------------------- */

static void
test_ftp_sniff_tells_greetings_and_commands(void **unused)
{
	(void)unused;
	assert_int_equal(proto_ftp.sniff(DIR_S2C, (const uint8_t *)GREETING, strlen(GREETING)),
			 SNIFF_STRONG);
	assert_int_equal(proto_ftp.sniff(DIR_S2C, (const uint8_t *)"220 ", 4), SNIFF_MORE);
	assert_int_equal(proto_ftp.sniff(DIR_S2C, (const uint8_t *)"220 mail.example.org\r\n", 22),
			 SNIFF_WEAK);
	assert_int_equal(proto_ftp.sniff(DIR_S2C, (const uint8_t *)"+OK POP3\r\n", 10), SNIFF_NO);
	assert_int_equal(proto_ftp.sniff(DIR_C2S, (const uint8_t *)"AUTH TLS\r\n", 10),
			 SNIFF_STRONG);
	assert_int_equal(proto_ftp.sniff(DIR_C2S, (const uint8_t *)"AUTH PLAIN\r\n", 12), SNIFF_NO);
	assert_int_equal(proto_ftp.sniff(DIR_C2S, (const uint8_t *)"USER bob\r\n", 10), SNIFF_WEAK);
	assert_int_equal(proto_ftp.sniff(DIR_C2S, (const uint8_t *)"EHLO x\r\n", 8), SNIFF_NO);
	assert_int_equal(proto_ftp.sniff(DIR_C2S, (const uint8_t *)"FE", 2), SNIFF_MORE);
}

static void
test_ftp_data_descriptor_is_a_data_channel_of_ftp(void **unused)
{
	(void)unused;
	assert_ptr_equal(proto_ftp.data, &proto_ftp_data);
	assert_true(proto_ftp_data.data_channel);
	assert_false(proto_ftp.data_channel);
	assert_null(proto_ftp_data.sniff); /* named by its link, never by its bytes */
}

static void
test_ftp_junk_and_truncated_input_never_crash(void **unused)
{
	static const char *const junk[] = {
		"227 (",    "229 (|||", "EPRT |2|", "EPRT |1|999.1.1.1|5|", "PORT ,,,,,\r\n",
		"211-\r\n", "2",	"\r\n\r\n", "EPRT |2|::1|0|\r\n",
	};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		const struct step t[] = {S(GREETING), C(junk[i]), S(junk[i]), C("PASV\r\n"),
					 S(junk[i])};

		transcript_run(&proto_ftp, t, N_STEPS(t), &r);
		assert_int_equal(r.facts.n_expect, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ftp_auth_tls_accepted_hands_the_client_hello_to_tls),
		cmocka_unit_test(test_ftp_auth_ssl_answered_334_is_an_upgrade),
		cmocka_unit_test(test_ftp_auth_gssapi_is_not_a_tls_request),
		cmocka_unit_test(test_ftp_refused_auth_tls_then_cleartext_is_flagged),
		cmocka_unit_test(test_ftp_masked_auth_feature_is_flagged),
		cmocka_unit_test(test_ftp_commands_injected_after_auth_tls_are_flagged),
		cmocka_unit_test(test_ftp_features_after_login_do_not_count_as_an_offer),
		cmocka_unit_test(test_ftp_failed_login_keeps_the_password),
		cmocka_unit_test(test_ftp_anonymous_login_has_no_secret),
		cmocka_unit_test(test_ftp_user_refused_before_tls_is_no_cleartext_offer),
		cmocka_unit_test(test_ftp_pasv_and_epsv_replies_announce_the_server_endpoint),
		cmocka_unit_test(test_ftp_port_and_eprt_announce_the_client_endpoint_once_accepted),
		cmocka_unit_test(test_ftp_hostile_pasv_replies_announce_nothing),
		cmocka_unit_test(test_ftp_prot_level_is_kept_when_accepted),
		cmocka_unit_test(
			test_ftp_multiline_replies_and_preliminary_replies_keep_commands_matched),
		cmocka_unit_test(test_ftp_sniff_tells_greetings_and_commands),
		cmocka_unit_test(test_ftp_data_descriptor_is_a_data_channel_of_ftp),
		cmocka_unit_test(test_ftp_junk_and_truncated_input_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
