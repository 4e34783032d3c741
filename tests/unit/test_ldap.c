/*
 * test_ldap.c - the LDAP parser: StartTLS, simple and SASL binds, BER
 * framing across segments, transcripts replayed in every chunk size;
 * sniffing; hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "transcript.h"

extern const struct proto_desc proto_ldap;

#define SB(s)                                                                                      \
	{                                                                                          \
		DIR_S2C, (s), sizeof(s) - 1                                                        \
	} /* binary server bytes */

/* BER messages as ldapsearch and slapd write them (RFC 4511). */
#define STARTTLS_REQ                                                                               \
	"\x30\x1d\x02\x01\x01\x77\x18\x80\x16"                                                     \
	"1.3.6.1.4.1.1466.20037"
#define STARTTLS_OK "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
#define STARTTLS_NO "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00"
#define BIND_ALICE                                                                                 \
	"\x30\x40\x02\x01\x02\x60\x3b\x02\x01\x03\x04\x27"                                         \
	"uid=alice,ou=people,dc=tlswatch,dc=test"                                                  \
	"\x80\x0d"                                                                                 \
	"AlicePass2024"
#define BIND_ANON "\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00"
#define BIND_OK1 "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
#define BIND_OK2 "\x30\x0c\x02\x01\x02\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
#define BIND_FAIL2 "\x30\x0c\x02\x01\x02\x61\x07\x0a\x01\x31\x04\x00\x04\x00"
#define BIND_PLAIN                                                                                 \
	"\x30\x29\x02\x01\x02\x60\x24\x02\x01\x03\x04\x00\xa3\x1d\x04\x05PLAIN\x04\x14"            \
	"\x00"                                                                                     \
	"alice\x00"                                                                                \
	"AlicePass2024"
#define UNBIND3 "\x30\x05\x02\x01\x03\x42\x00"
#define ROOTDSE_ENTRY                                                                              \
	"\x30\x39\x02\x01\x02\x64\x34\x04\x00\x30\x30\x30\x2e\x04\x12supportedExtension\x31\x18"   \
	"\x04\x16"                                                                                 \
	"1.3.6.1.4.1.1466.20037"
/* slapd without TLS: supportedExtension lists only Who am I? and Modify
 * Password. */
#define ROOTDSE_NO_TLS                                                                             \
	"\x30\x53\x02\x01\x02\x64\x4e\x04\x00\x30\x4a\x30\x48\x04\x12supportedExtension\x31\x32"   \
	"\x04\x17"                                                                                 \
	"1.3.6.1.4.1.4203.1.11.1"                                                                  \
	"\x04\x17"                                                                                 \
	"1.3.6.1.4.1.4203.1.11.3"
/* An ordinary entry whose description happens to hold the OID. */
#define ENTRY_WITH_OID_TEXT                                                                        \
	"\x30\x3b\x02\x01\x02\x64\x36\x04\x04o=x1\x30\x2e\x30\x2c\x04\x0b"                         \
	"description\x31\x1d\x04\x1b"                                                              \
	"see 1.3.6.1.4.1.1466.20037!"

static void
test_ldap_starttls_accepted_switches_to_tls(void **unused)
{
	const struct step t[] = {
		CB(STARTTLS_REQ),
		SB(STARTTLS_OK),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_string_equal(r.facts.upgrade_reply, "StartTLS resultCode 0");
}

static void
test_ldap_refused_starttls_then_a_simple_bind_is_a_downgrade_and_a_login(void **unused)
{
	const struct step t[] = {
		CB(STARTTLS_REQ), SB(STARTTLS_NO), CB(BIND_ALICE), SB(BIND_OK2), CB(UNBIND3),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_login(&r.facts, 0, "SIMPLE", "uid=alice,ou=people,dc=tlswatch,dc=test",
		     "AlicePass2024", true, LOGIN_SUCCESS);
}

static void
test_ldap_failed_bind_and_anonymous_bind(void **unused)
{
	const struct step t[] = {
		CB(BIND_ANON),
		SB(BIND_OK1),
		CB(BIND_ALICE),
		SB(BIND_FAIL2),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1); /* anonymous is no login */
	assert_login(&r.facts, 0, "SIMPLE", "uid=alice,ou=people,dc=tlswatch,dc=test",
		     "AlicePass2024", true, LOGIN_FAILURE);
}

static void
test_ldap_sasl_plain_bind_gives_user_and_secret(void **unused)
{
	const struct step t[] = {CB(BIND_PLAIN), SB(BIND_OK2)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
}

static void
test_ldap_root_dse_listing_starttls_is_an_offer(void **unused)
{
	const struct step t[] = {CB(BIND_ANON), SB(BIND_OK1), SB(ROOTDSE_ENTRY)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_string_equal(r.facts.capa, "StartTLS");
	assert_int_equal(r.facts.anomalies, 0);
}

/* A root DSE without the OID is a capability list without the offer: the
 * evidence a cross-session strip needs. */
static void
test_ldap_root_dse_without_starttls_is_a_list_without_offer(void **unused)
{
	const struct step t[] = {CB(BIND_ANON), SB(BIND_OK1), SB(ROOTDSE_NO_TLS)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
	assert_int_equal(r.facts.anomalies, 0);
}

/* The OID in another attribute of another entry is data, not an offer. */
static void
test_ldap_oid_text_in_an_entry_is_no_offer(void **unused)
{
	const struct step t[] = {CB(BIND_ANON), SB(BIND_OK1), SB(ENTRY_WITH_OID_TEXT)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_false(r.facts.capa_seen);
	assert_false(r.facts.tls_offered);
}

static void
test_ldap_bind_injected_after_starttls_is_flagged(void **unused)
{
	const struct step t[] = {CB(STARTTLS_REQ BIND_ANON), SB(STARTTLS_OK)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_int_equal(r.facts.evidence_len, 14);
}

static void
test_ldap_long_lengths_and_skipped_messages(void **unused)
{
	static char big[8200];
	struct step t[3];
	struct replay_result r;

	(void)unused;
	/* A 8,192-byte search result (long-form length) is skipped; the bind
	 * response after it is still matched. */
	memcpy(big, "\x30\x82\x20\x00\x02\x01\x09\x64", 8);
	memset(big + 8, 'x', 8196 - 8);
	t[0] = (struct step)CB(BIND_ALICE);
	t[1] = (struct step){DIR_S2C, big, 8196};
	t[2] = (struct step)SB(BIND_OK2);
	transcript_run(&proto_ldap, t, 3, &r);
	assert_login(&r.facts, 0, "SIMPLE", "uid=alice,ou=people,dc=tlswatch,dc=test",
		     "AlicePass2024", true, LOGIN_SUCCESS);
	assert_true(r.facts.cap_hits >= 1);
}

static void
test_ldap_sniff_tells_requests(void **unused)
{
	(void)unused;
	assert_int_equal(proto_ldap.sniff(DIR_C2S, (const uint8_t *)BIND_ALICE, 20), SNIFF_STRONG);
	assert_int_equal(proto_ldap.sniff(DIR_C2S, (const uint8_t *)STARTTLS_REQ, 6), SNIFF_STRONG);
	assert_int_equal(proto_ldap.sniff(DIR_C2S, (const uint8_t *)"\x30\x1d", 2), SNIFF_MORE);
	assert_int_equal(proto_ldap.sniff(DIR_C2S, (const uint8_t *)"\x30\x80\x02\x01", 4),
			 SNIFF_NO);
	assert_int_equal(proto_ldap.sniff(DIR_C2S, (const uint8_t *)"EHLO x\r\n", 8), SNIFF_NO);
	assert_int_equal(proto_ldap.sniff(DIR_S2C, (const uint8_t *)BIND_OK1, 14), SNIFF_NO);
}

static void
test_ldap_indefinite_length_stops_the_parser(void **unused)
{
	const struct step t[] = {CB("\x30\x80\x02\x01\x01"), CB(BIND_ALICE)};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_ldap, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_int_equal(r.facts.n_logins, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ldap_starttls_accepted_switches_to_tls),
		cmocka_unit_test(
			test_ldap_refused_starttls_then_a_simple_bind_is_a_downgrade_and_a_login),
		cmocka_unit_test(test_ldap_failed_bind_and_anonymous_bind),
		cmocka_unit_test(test_ldap_sasl_plain_bind_gives_user_and_secret),
		cmocka_unit_test(test_ldap_root_dse_listing_starttls_is_an_offer),
		cmocka_unit_test(test_ldap_root_dse_without_starttls_is_a_list_without_offer),
		cmocka_unit_test(test_ldap_oid_text_in_an_entry_is_no_offer),
		cmocka_unit_test(test_ldap_bind_injected_after_starttls_is_flagged),
		cmocka_unit_test(test_ldap_long_lengths_and_skipped_messages),
		cmocka_unit_test(test_ldap_sniff_tells_requests),
		cmocka_unit_test(test_ldap_indefinite_length_stops_the_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
