/*
 * test_diameter.c - the Diameter parser: the capabilities exchange and the
 * RFC 3588 in-band upgrade, messages from the project's captures
 * (pcaps/diameter-*.pcap, freeDiameter 1.2.1) replayed whole and in every
 * chunk size; the upgrade's decision table; sniffing; truncated and hostile
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

extern const struct proto_desc proto_diameter;

#define SB(s)                                                                                      \
	{                                                                                          \
		DIR_S2C, (s), sizeof(s) - 1                                                        \
	} /* binary server bytes */
#define CLIENT_HELLO_START "\x16\x03\x01\x01\x8c\x01\x00\x01\x88\x03\x03"

/* diameter-inband-tls: the CER, Inband-Security-Id TLS */
#define CER_TLS                                                                                    \
	"\x01\x00\x00\xa8\x80\x00\x01\x01\x00\x00\x00\x00\x45\x44\x68\xad"                         \
	"\x9f\x14\x72\x3c\x00\x00\x01\x08\x40\x00\x00\x1b\x70\x65\x65\x72"                         \
	"\x31\x2e\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00"                         \
	"\x00\x00\x01\x28\x40\x00\x00\x15\x74\x6c\x73\x77\x61\x74\x63\x68"                         \
	"\x2e\x74\x65\x73\x74\x00\x00\x00\x00\x00\x01\x16\x40\x00\x00\x0c"                         \
	"\x6b\x11\xc9\xf1\x00\x00\x01\x01\x40\x00\x00\x0e\x00\x01\xc0\x00"                         \
	"\x02\x02\x00\x00\x00\x00\x01\x0a\x40\x00\x00\x0c\x00\x00\x00\x00"                         \
	"\x00\x00\x01\x0d\x00\x00\x00\x14\x66\x72\x65\x65\x44\x69\x61\x6d"                         \
	"\x65\x74\x65\x72\x00\x00\x01\x0b\x00\x00\x00\x0c\x00\x00\x27\xd9"                         \
	"\x00\x00\x01\x2b\x40\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x01\x02"                         \
	"\x40\x00\x00\x0c\xff\xff\xff\xff"

/* diameter-inband-tls: the CEA, 2001, Inband-Security-Id TLS */
#define CEA_TLS                                                                                    \
	"\x01\x00\x00\xb4\x00\x00\x01\x01\x00\x00\x00\x00\x45\x44\x68\xad"                         \
	"\x9f\x14\x72\x3c\x00\x00\x01\x0c\x40\x00\x00\x0c\x00\x00\x07\xd1"                         \
	"\x00\x00\x01\x08\x40\x00\x00\x1b\x70\x65\x65\x72\x32\x2e\x74\x6c"                         \
	"\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00\x00\x00\x01\x28"                         \
	"\x40\x00\x00\x15\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73"                         \
	"\x74\x00\x00\x00\x00\x00\x01\x16\x40\x00\x00\x0c\x6b\x11\xc9\xf0"                         \
	"\x00\x00\x01\x01\x40\x00\x00\x0e\x00\x01\xc0\x00\x02\x01\x00\x00"                         \
	"\x00\x00\x01\x0a\x40\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x01\x0d"                         \
	"\x00\x00\x00\x14\x66\x72\x65\x65\x44\x69\x61\x6d\x65\x74\x65\x72"                         \
	"\x00\x00\x01\x0b\x00\x00\x00\x0c\x00\x00\x27\xd9\x00\x00\x01\x2b"                         \
	"\x40\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x01\x02\x40\x00\x00\x0c"                         \
	"\xff\xff\xff\xff"

/* diameter-cleartext: the CER, NO_INBAND_SECURITY */
#define CER_NONE                                                                                   \
	"\x01\x00\x00\xa8\x80\x00\x01\x01\x00\x00\x00\x00\x02\xd6\x18\xb2"                         \
	"\xa4\x4b\xcc\xe8\x00\x00\x01\x08\x40\x00\x00\x1b\x70\x65\x65\x72"                         \
	"\x31\x2e\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00"                         \
	"\x00\x00\x01\x28\x40\x00\x00\x15\x74\x6c\x73\x77\x61\x74\x63\x68"                         \
	"\x2e\x74\x65\x73\x74\x00\x00\x00\x00\x00\x01\x16\x40\x00\x00\x0c"                         \
	"\x6b\x11\xca\x44\x00\x00\x01\x01\x40\x00\x00\x0e\x00\x01\xc0\x00"                         \
	"\x02\x02\x00\x00\x00\x00\x01\x0a\x40\x00\x00\x0c\x00\x00\x00\x00"                         \
	"\x00\x00\x01\x0d\x00\x00\x00\x14\x66\x72\x65\x65\x44\x69\x61\x6d"                         \
	"\x65\x74\x65\x72\x00\x00\x01\x0b\x00\x00\x00\x0c\x00\x00\x27\xd9"                         \
	"\x00\x00\x01\x2b\x40\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x01\x02"                         \
	"\x40\x00\x00\x0c\xff\xff\xff\xff"

/* diameter-cleartext: the CEA, 2001, no Inband-Security-Id */
#define CEA_NONE                                                                                   \
	"\x01\x00\x00\xa8\x00\x00\x01\x01\x00\x00\x00\x00\x02\xd6\x18\xb2"                         \
	"\xa4\x4b\xcc\xe8\x00\x00\x01\x0c\x40\x00\x00\x0c\x00\x00\x07\xd1"                         \
	"\x00\x00\x01\x08\x40\x00\x00\x1b\x70\x65\x65\x72\x32\x2e\x74\x6c"                         \
	"\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00\x00\x00\x01\x28"                         \
	"\x40\x00\x00\x15\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73"                         \
	"\x74\x00\x00\x00\x00\x00\x01\x16\x40\x00\x00\x0c\x6b\x11\xca\x43"                         \
	"\x00\x00\x01\x01\x40\x00\x00\x0e\x00\x01\xc0\x00\x02\x01\x00\x00"                         \
	"\x00\x00\x01\x0a\x40\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x01\x0d"                         \
	"\x00\x00\x00\x14\x66\x72\x65\x65\x44\x69\x61\x6d\x65\x74\x65\x72"                         \
	"\x00\x00\x01\x0b\x00\x00\x00\x0c\x00\x00\x27\xd9\x00\x00\x01\x02"                         \
	"\x40\x00\x00\x0c\xff\xff\xff\xff"

/* diameter-cleartext: DWR (from the responder) */
#define DWR                                                                                        \
	"\x01\x00\x00\x54\x80\x00\x01\x18\x00\x00\x00\x00\x28\xa6\x13\x7e"                         \
	"\xa4\x35\x59\xb1\x00\x00\x01\x08\x40\x00\x00\x1b\x70\x65\x65\x72"                         \
	"\x32\x2e\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00"                         \
	"\x00\x00\x01\x28\x40\x00\x00\x15\x74\x6c\x73\x77\x61\x74\x63\x68"                         \
	"\x2e\x74\x65\x73\x74\x00\x00\x00\x00\x00\x01\x16\x40\x00\x00\x0c"                         \
	"\x6b\x11\xca\x43"

/* diameter-cleartext: DWA */
#define DWA                                                                                        \
	"\x01\x00\x00\x60\x00\x00\x01\x18\x00\x00\x00\x00\x28\xa6\x13\x7e"                         \
	"\xa4\x35\x59\xb1\x00\x00\x01\x0c\x40\x00\x00\x0c\x00\x00\x07\xd1"                         \
	"\x00\x00\x01\x08\x40\x00\x00\x1b\x70\x65\x65\x72\x31\x2e\x74\x6c"                         \
	"\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00\x00\x00\x01\x28"                         \
	"\x40\x00\x00\x15\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73"                         \
	"\x74\x00\x00\x00\x00\x00\x01\x16\x40\x00\x00\x0c\x6b\x11\xca\x44"

/* diameter-cleartext: DPR */
#define DPR                                                                                        \
	"\x01\x00\x00\x54\x80\x00\x01\x1a\x00\x00\x00\x00\x02\xd6\x18\xb3"                         \
	"\xa4\x4b\xcc\xe9\x00\x00\x01\x08\x40\x00\x00\x1b\x70\x65\x65\x72"                         \
	"\x31\x2e\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00"                         \
	"\x00\x00\x01\x28\x40\x00\x00\x15\x74\x6c\x73\x77\x61\x74\x63\x68"                         \
	"\x2e\x74\x65\x73\x74\x00\x00\x00\x00\x00\x01\x11\x40\x00\x00\x0c"                         \
	"\x00\x00\x00\x00"

/* diameter-cleartext: DPA */
#define DPA                                                                                        \
	"\x01\x00\x00\x54\x00\x00\x01\x1a\x00\x00\x00\x00\x02\xd6\x18\xb3"                         \
	"\xa4\x4b\xcc\xe9\x00\x00\x01\x08\x40\x00\x00\x1b\x70\x65\x65\x72"                         \
	"\x32\x2e\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00"                         \
	"\x00\x00\x01\x28\x40\x00\x00\x15\x74\x6c\x73\x77\x61\x74\x63\x68"                         \
	"\x2e\x74\x65\x73\x74\x00\x00\x00\x00\x00\x01\x0c\x40\x00\x00\x0c"                         \
	"\x00\x00\x07\xd1"

/* Offset of the CEA's first AVP's data: its Result-Code (both CEAs above
 * start with it). */
#define CEA_RESULT_AT 28

/* A CEA of the captures with its Result-Code replaced. */
static void
cea_with_result(char *dst, const char *cea, size_t len, uint32_t result)
{
	memcpy(dst, cea, len);
	assert_memory_equal(dst + 20, "\x00\x00\x01\x0c", 4); /* Result-Code first */
	dst[CEA_RESULT_AT] = (char)(result >> 24);
	dst[CEA_RESULT_AT + 1] = (char)(result >> 16);
	dst[CEA_RESULT_AT + 2] = (char)(result >> 8);
	dst[CEA_RESULT_AT + 3] = (char)result;
}

static void
test_diameter_inband_tls_agreed_switches_to_tls_after_the_cea(void **unused)
{
	const struct step t[] = {
		CB(CER_TLS),
		SB(CEA_TLS),
		CB(CLIENT_HELLO_START),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_diameter, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_false(r.facts.upgrade_refused);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.capa_seen);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.after_switch[DIR_C2S], sizeof(CLIENT_HELLO_START) - 1);
	assert_string_equal(r.facts.upgrade_reply, "CEA Result-Code 2001 Inband-Security-Id TLS");
	assert_string_equal(own_fields(&proto_diameter, &r.facts, &o),
			    "origin_host=peer1.tlswatch.test;origin_realm=tlswatch.test;"
			    "commands=CER,CEA;inband_offered=TLS;inband_answered=TLS;"
			    "result_code=2001;");
}

static void
test_diameter_cleartext_exchange_reads_every_message(void **unused)
{
	/* The DWA and the DPR in one client segment: two messages at once. */
	const struct step t[] = {
		CB(CER_NONE), SB(CEA_NONE), SB(DWR), CB(DWA DPR), SB(DPA),
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_diameter, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.capa_seen);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.n_logins, 0);
	assert_string_equal(own_fields(&proto_diameter, &r.facts, &o),
			    "origin_host=peer1.tlswatch.test;origin_realm=tlswatch.test;"
			    "commands=CER,CEA,DWR,DWA,DPR,DPA;inband_offered=NO_INBAND_SECURITY;"
			    "inband_answered=none;result_code=2001;");
}

/* CER with or without TLS x CEA with or without TLS x Result-Code. */
/* CEA_TLS with its Result-Code AVP replaced by a grouped Experimental-Result
 * (Vendor-Id 10415, Experimental-Result-Code code): 20 bytes longer. */
static size_t
cea_experimental(char *dst, uint32_t code)
{
	static const char grouped[32] = {
		0, 0, 0x01, 0x29, 0x40, 0, 0, 32,		    /* 297, M, 32 bytes */
		0, 0, 0x01, 0x0a, 0x40, 0, 0, 12, 0, 0, 0x28, 0xaf, /* Vendor-Id */
		0, 0, 0x01, 0x2a, 0x40, 0, 0, 12,		    /* 298, M, 12 bytes */
	};
	size_t len = sizeof(CEA_TLS) - 1 + 20;

	memcpy(dst, CEA_TLS, 20);
	dst[3] = (char)len;
	memcpy(dst + 20, grouped, sizeof(grouped));
	dst[48] = (char)(code >> 24);
	dst[49] = (char)(code >> 16);
	dst[50] = (char)(code >> 8);
	dst[51] = (char)code;
	memcpy(dst + 52, CEA_TLS + 32, sizeof(CEA_TLS) - 1 - 32);
	return len;
}

/* An Experimental-Result is read, and is never the success that accepts
 * the upgrade, even with the number 2001. */
static void
test_diameter_experimental_result_never_accepts_the_upgrade(void **unused)
{
	static const uint32_t codes[] = {5017, 2001};
	char cea[sizeof(CEA_TLS) - 1 + 20];
	struct own_text o;

	(void)unused;
	for (size_t i = 0; i < 2; i++) {
		struct step t[2] = {CB(CER_TLS), {DIR_S2C, cea, 0}};
		struct replay_result r;
		char want[48];

		t[1].len = cea_experimental(cea, codes[i]);
		transcript_run(&proto_diameter, t, N_STEPS(t), &r);
		assert_false(r.facts.upgrade_accepted);
		assert_false(r.facts.switch_to_tls);
		assert_true(r.facts.upgrade_refused);
		assert_true(r.facts.tls_offered);
		snprintf(want, sizeof(want), "experimental_result_code=%u;", (unsigned)codes[i]);
		assert_non_null(strstr(own_fields(&proto_diameter, &r.facts, &o), want));
		assert_null(strstr(own_fields(&proto_diameter, &r.facts, &o), ";result_code="));
	}
}

static void
test_diameter_upgrade_decision_table(void **unused)
{
	static const struct {
		bool cer_tls, cea_tls;
		uint32_t result;
		bool accepted, refused, offered;
	} rows[] = {
		{true, true, 2001, true, false, true},
		{true, true, 5017, false, true, true},
		{true, false, 2001, false, true, false},
		{true, false, 5017, false, true, false},
		{false, true, 2001, false, false, true},
		{false, true, 5017, false, false, true},
		{false, false, 2001, false, false, false},
		{false, false, 5017, false, false, false},
	};
	char cea_tls[sizeof(CEA_TLS) - 1], cea_none[sizeof(CEA_NONE) - 1], want[32];
	struct own_text o;

	(void)unused;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct step t[2] = {
			CB(CER_NONE),
			{DIR_S2C, cea_none, sizeof(cea_none)},
		};
		struct replay_result r;

		cea_with_result(cea_tls, CEA_TLS, sizeof(cea_tls), rows[i].result);
		cea_with_result(cea_none, CEA_NONE, sizeof(cea_none), rows[i].result);
		if (rows[i].cer_tls) {
			t[0].text = CER_TLS;
			t[0].len = sizeof(CER_TLS) - 1;
		}
		if (rows[i].cea_tls) {
			t[1].text = cea_tls;
			t[1].len = sizeof(cea_tls);
		}
		transcript_run(&proto_diameter, t, N_STEPS(t), &r);
		if (r.facts.upgrade_accepted != rows[i].accepted ||
		    r.facts.switch_to_tls != rows[i].accepted ||
		    r.facts.upgrade_refused != rows[i].refused ||
		    r.facts.upgrade_requested != rows[i].cer_tls ||
		    r.facts.tls_offered != rows[i].offered ||
		    !!(r.facts.indicators & IND_UPGRADE_REFUSED) != rows[i].refused)
			fail_msg("row %zu: accepted %d refused %d requested %d offered %d", i,
				 r.facts.upgrade_accepted, r.facts.upgrade_refused,
				 r.facts.upgrade_requested, r.facts.tls_offered);
		snprintf(want, sizeof(want), "result_code=%u;", (unsigned)rows[i].result);
		assert_non_null(strstr(own_fields(&proto_diameter, &r.facts, &o), want));
	}
}

static void
test_diameter_client_bytes_before_the_cea_are_injection_or_tls(void **unused)
{
	const struct step injected[] = {
		CB(CER_TLS DWA),
		SB(CEA_TLS),
	};
	const struct step went_ahead[] = {
		CB(CER_TLS CLIENT_HELLO_START),
		SB(CEA_TLS),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_diameter, injected, N_STEPS(injected), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_int_equal(r.facts.evidence_len, sizeof(DWA) - 1);
	assert_true(r.facts.switch_to_tls);
	transcript_run(&proto_diameter, went_ahead, N_STEPS(went_ahead), &r);
	assert_int_equal(r.facts.indicators, 0);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], sizeof(CLIENT_HELLO_START) - 1);
}

static void
test_diameter_cleartext_after_an_accepted_upgrade_is_left_to_the_core(void **unused)
{
	/* A DWR where the TLS handshake must be: the parser has switched, the
	 * bytes are the core's evidence (no-tls-after-accept). */
	const struct step t[] = {
		CB(CER_TLS),
		SB(CEA_TLS DWR),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_diameter, t, N_STEPS(t), &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_S2C], sizeof(DWR) - 1);
}

static void
test_diameter_sniff_knows_cer_and_cea(void **unused)
{
	(void)unused;
	assert_int_equal(proto_diameter.sniff(DIR_C2S, (const uint8_t *)CER_TLS, 20), SNIFF_STRONG);
	assert_int_equal(proto_diameter.sniff(DIR_S2C, (const uint8_t *)CEA_TLS, 20), SNIFF_STRONG);
	assert_int_equal(proto_diameter.sniff(DIR_C2S, (const uint8_t *)CEA_TLS, 20), SNIFF_WEAK);
	assert_int_equal(proto_diameter.sniff(DIR_S2C, (const uint8_t *)DWR, 20), SNIFF_WEAK);
	assert_int_equal(proto_diameter.sniff(DIR_C2S, (const uint8_t *)"\x01\x00", 2), SNIFF_MORE);
	assert_int_equal(proto_diameter.sniff(DIR_C2S, (const uint8_t *)"EHLO x\r\n", 8), SNIFF_NO);
	assert_int_equal(proto_diameter.sniff(
				 DIR_C2S, (const uint8_t *)"\x01\x00\x00\x10\x80\x00\x01\x01", 8),
			 SNIFF_NO); /* length under 20 */
	assert_int_equal(proto_diameter.sniff(DIR_C2S, (const uint8_t *)CLIENT_HELLO_START, 11),
			 SNIFF_NO);
}

static void
test_diameter_truncated_messages_record_nothing(void **unused)
{
	const struct step t[] = {
		{DIR_C2S, CER_TLS, 100},
		{DIR_S2C, CEA_TLS, 19},
	};
	struct replay_result r;
	struct own_text o;

	(void)unused;
	transcript_run(&proto_diameter, t, N_STEPS(t), &r);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.capa_seen);
	assert_int_equal(r.facts.anomalies, 0);
	assert_string_equal(own_fields(&proto_diameter, &r.facts, &o), ""); /* nothing read */
}

static void
test_diameter_hostile_lengths_stop_the_session(void **unused)
{
	/* A header whose length is under 20. */
	const struct step short_len[] = {
		CB("\x01\x00\x00\x10\x80\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
		   "\x01"),
		CB(CER_TLS),
	};
	/* An AVP of length 4 (under its own header). */
	const struct step avp_short[] = {
		CB("\x01\x00\x00\x1c\x80\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
		   "\x01"
		   "\x00\x00\x01\x2b\x40\x00\x00\x04"),
		CB(CER_TLS),
	};
	/* Inband-Security-Id TLS whose length runs past the message's end. */
	const struct step avp_past[] = {
		CB("\x01\x00\x00\x20\x80\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
		   "\x01"
		   "\x00\x00\x01\x2b\x40\x00\x00\x40\x00\x00\x00\x01"),
		SB(CEA_TLS),
	};
	/* Version 2. */
	const struct step version[] = {
		CB("\x02\x00\x00\x14\x80\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
		   "\x01"),
		CB(CER_TLS),
	};
	const struct step *all[] = {short_len, avp_short, avp_past, version};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		transcript_run(&proto_diameter, all[i], 2, &r);
		assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
		assert_false(r.facts.upgrade_requested);
		assert_false(r.facts.switch_to_tls);
	}
}

static void
test_diameter_huge_message_is_skipped_by_its_length(void **unused)
{
	/* A 64 KiB request of another application: past the cap, skipped,
	 * counted; the CER after it is read. */
	static char big[65536];
	struct step t[3] = {
		{DIR_C2S, big, sizeof(big)},
		CB(CER_TLS),
		SB(CEA_TLS),
	};
	struct replay_result r;

	(void)unused;
	memset(big, 0, sizeof(big));
	memcpy(big, "\x01\x01\x00\x00\x80\x00\x01\x10\x00\x00\x00\x04", 12); /* 272 CCR */
	for (size_t off = 20; off + 8 <= sizeof(big); off += 8)
		memcpy(big + off, "\x00\x00\x01\xc7\x00\x00\x00\x08", 8); /* empty AVPs */
	transcript_run(&proto_diameter, t, N_STEPS(t), &r);
	assert_true(r.facts.cap_hits > 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_true(r.facts.switch_to_tls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diameter_inband_tls_agreed_switches_to_tls_after_the_cea),
		cmocka_unit_test(test_diameter_cleartext_exchange_reads_every_message),
		cmocka_unit_test(test_diameter_upgrade_decision_table),
		cmocka_unit_test(test_diameter_experimental_result_never_accepts_the_upgrade),
		cmocka_unit_test(test_diameter_client_bytes_before_the_cea_are_injection_or_tls),
		cmocka_unit_test(
			test_diameter_cleartext_after_an_accepted_upgrade_is_left_to_the_core),
		cmocka_unit_test(test_diameter_sniff_knows_cer_and_cea),
		cmocka_unit_test(test_diameter_truncated_messages_record_nothing),
		cmocka_unit_test(test_diameter_hostile_lengths_stop_the_session),
		cmocka_unit_test(test_diameter_huge_message_is_skipped_by_its_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
