/*
 * test_mysql.c - the MySQL/MariaDB connection-phase parser: CLIENT_SSL and
 * SSLRequest, HandshakeResponse41 logins, mysql_clear_password,
 * transcripts replayed in every chunk size; sniffing; hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "transcript.h"

extern const struct proto_desc proto_mysql;

#define SB(s)                                                                                      \
	{                                                                                          \
		DIR_S2C, (s), sizeof(s) - 1                                                        \
	} /* binary server bytes */

/* Packets as MariaDB 10.11 and its clients write them (generated from the
 * protocol's layout: length, sequence id, payload). */
#define HANDSHAKE_SSL                                                                              \
	"\x63\x00\x00\x00\x0a\x35\x2e\x35\x2e\x35\x2d\x31\x30\x2e\x31\x31\x2e\x36\x2d\x4d\x61\x72" \
	"\x69\x61\x44\x42\x2d\x30\x2b\x64\x65\x62\x31\x32\x75\x31\x00\x07\x00\x00\x00\x61\x62\x63" \
	"\x64\x65\x66\x67\x68\x00\x0d\x8a\x08\x02\x00\x28\x00\x15\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x69\x6a\x6b\x6c\x6d\x6e\x6f\x70\x71\x72\x73\x74\x00\x6d\x79\x73\x71\x6c\x5f\x6e" \
	"\x61\x74\x69\x76\x65\x5f\x70\x61\x73\x73\x77\x6f\x72\x64\x00"
#define HANDSHAKE_NOSSL                                                                            \
	"\x63\x00\x00\x00\x0a\x35\x2e\x35\x2e\x35\x2d\x31\x30\x2e\x31\x31\x2e\x36\x2d\x4d\x61\x72" \
	"\x69\x61\x44\x42\x2d\x30\x2b\x64\x65\x62\x31\x32\x75\x31\x00\x07\x00\x00\x00\x61\x62\x63" \
	"\x64\x65\x66\x67\x68\x00\x0d\x82\x08\x02\x00\x28\x00\x15\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x69\x6a\x6b\x6c\x6d\x6e\x6f\x70\x71\x72\x73\x74\x00\x6d\x79\x73\x71\x6c\x5f\x6e" \
	"\x61\x74\x69\x76\x65\x5f\x70\x61\x73\x73\x77\x6f\x72\x64\x00"
#define SSL_REQUEST                                                                                \
	"\x20\x00\x00\x01\x0d\x8a\x28\x00\x00\x00\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
#define RESP_NATIVE                                                                                \
	"\x56\x00\x00\x01\x0d\x82\x28\x00\x00\x00\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x61\x6c\x69\x63\x65\x00\x14\x01" \
	"\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x74\x65\x73" \
	"\x74\x00\x6d\x79\x73\x71\x6c\x5f\x6e\x61\x74\x69\x76\x65\x5f\x70\x61\x73\x73\x77\x6f\x72" \
	"\x64\x00"
#define RESP_CLEAR                                                                                 \
	"\x4f\x00\x00\x01\x0d\x82\x28\x00\x00\x00\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x61\x6c\x69\x63\x65\x00\x0e\x41" \
	"\x6c\x69\x63\x65\x50\x61\x73\x73\x32\x30\x32\x34\x00\x74\x65\x73\x74\x00\x6d\x79\x73\x71" \
	"\x6c\x5f\x63\x6c\x65\x61\x72\x5f\x70\x61\x73\x73\x77\x6f\x72\x64\x00"
#define OK_PKT "\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00"
#define ERR_PKT                                                                                    \
	"\x16\x00\x00\x02\xff\x15\x04\x23\x32\x38\x30\x30\x30\x41\x63\x63\x65\x73\x73\x20\x64\x65" \
	"\x6e\x69\x65\x64"
#define SWITCH_CLEAR                                                                               \
	"\x16\x00\x00\x02\xfe\x6d\x79\x73\x71\x6c\x5f\x63\x6c\x65\x61\x72\x5f\x70\x61\x73\x73\x77" \
	"\x6f\x72\x64\x00"
#define CLEAR_PW "\x0e\x00\x00\x03\x41\x6c\x69\x63\x65\x50\x61\x73\x73\x32\x30\x32\x34\x00"
#define OK_PKT4 "\x07\x00\x00\x04\x00\x00\x00\x02\x00\x00\x00"

static void
test_mysql_ssl_request_switches_to_tls(void **unused)
{
	const struct step t[] = {
		SB(HANDSHAKE_SSL),
		CB(SSL_REQUEST "\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_mysql, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.facts.n_logins, 0);
	assert_string_equal(r.facts.capa, "CLIENT_PROTOCOL_41 CLIENT_SSL");
}

static void
test_mysql_native_login_in_the_clear_has_no_secret(void **unused)
{
	const struct step ok[] = {SB(HANDSHAKE_SSL), CB(RESP_NATIVE), SB(OK_PKT)};
	const struct step bad[] = {SB(HANDSHAKE_NOSSL), CB(RESP_NATIVE), SB(ERR_PKT)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_mysql, ok, N_STEPS(ok), &r);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.upgrade_requested);
	assert_login(&r.facts, 0, "NATIVE", "alice", "", false, LOGIN_SUCCESS);
	transcript_run(&proto_mysql, bad, N_STEPS(bad), &r);
	assert_false(r.facts.tls_offered);
	assert_login(&r.facts, 0, "NATIVE", "alice", "", false, LOGIN_FAILURE);
}

static void
test_mysql_clear_password_plugin_gives_the_secret(void **unused)
{
	const struct step direct[] = {SB(HANDSHAKE_NOSSL), CB(RESP_CLEAR), SB(OK_PKT)};
	const struct step switched[] = {SB(HANDSHAKE_NOSSL), CB(RESP_NATIVE), SB(SWITCH_CLEAR),
					CB(CLEAR_PW), SB(OK_PKT4)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_mysql, direct, N_STEPS(direct), &r);
	assert_login(&r.facts, 0, "CLEAR_PASSWORD", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	transcript_run(&proto_mysql, switched, N_STEPS(switched), &r);
	assert_login(&r.facts, 0, "CLEAR_PASSWORD", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_true(r.facts.auth_cleartext_offered);
}

static void
test_mysql_server_version_is_its_own_field(void **unused)
{
	const struct step t[] = {SB(HANDSHAKE_SSL)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_mysql, t, N_STEPS(t), &r);
	assert_string_equal((const char *)r.facts.own, "5.5.5-10.11.6-MariaDB-0+deb12u1");
}

static void
test_mysql_sniff_tells_the_server_handshake(void **unused)
{
	(void)unused;
	assert_int_equal(proto_mysql.sniff(DIR_S2C, (const uint8_t *)HANDSHAKE_SSL, 40),
			 SNIFF_STRONG);
	assert_int_equal(proto_mysql.sniff(DIR_S2C, (const uint8_t *)HANDSHAKE_SSL, 8), SNIFF_MORE);
	assert_int_equal(proto_mysql.sniff(DIR_S2C, (const uint8_t *)"220 smtp\r\n", 10), SNIFF_NO);
	assert_int_equal(proto_mysql.sniff(DIR_C2S, (const uint8_t *)RESP_NATIVE, 20), SNIFF_NO);
}

static void
test_mysql_hostile_packets_never_crash(void **unused)
{
	const struct step t[] = {
		SB("\x05\x00\x00\x00\x0a\x35\x2e"), /* a Handshake cut short */
		CB("\x02\x00\x00\x01\x0d\x82"),
		SB("\xff\xff\xff\x02\xfe"),
	};
	const struct step old[] = {SB(HANDSHAKE_NOSSL), CB("\x05\x00\x00\x01\x05\x00\x00\x00\x00")};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_mysql, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 0);
	transcript_run(&proto_mysql, old, N_STEPS(old), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mysql_ssl_request_switches_to_tls),
		cmocka_unit_test(test_mysql_native_login_in_the_clear_has_no_secret),
		cmocka_unit_test(test_mysql_clear_password_plugin_gives_the_secret),
		cmocka_unit_test(test_mysql_server_version_is_its_own_field),
		cmocka_unit_test(test_mysql_sniff_tells_the_server_handshake),
		cmocka_unit_test(test_mysql_hostile_packets_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
