/*
 * test_snmp.c - the SNMP parser (src/proto/snmp.c): v1/v2c messages whose
 * community is a login with a secret (once per session, success from the
 * response), v3 messages by security level (noAuthNoPriv and authNoPriv
 * users as logins without a secret, authPriv none, discovery none, a
 * usmStatsUnknownUserNames report a failure), every cut of a datagram,
 * hostile BER lengths, sniffing; SNMP over TCP (RFC 3430: messages
 * framed by their BER length, several a segment or cut anywhere, the same
 * facts in every chunking, long messages read by their start); and through
 * the session and the verdict: the alert's severity and evidence, the
 * secret redacted, SNMP in the clear on 10161, the small UDP state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay.h"
#include "session.h"
#include "sink.h"
#include "transcript.h"
#include "verdict.h"

extern const struct proto_desc proto_snmp;

/* ---- A BER builder ---------------------------------------------------------- */

struct mb {
	uint8_t b[1024];
	size_t n;
	size_t open[8]; /* where each open element's length byte is */
	size_t depth;
};

static void
mb_u8(struct mb *m, uint8_t v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = v;
}

static void
mb_bytes(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* A constructed element; its length is written by mb_close (two-byte long
 * form, as net-snmp writes them, so any size fits). */
static void
mb_open(struct mb *m, uint8_t tag)
{
	mb_u8(m, tag);
	mb_u8(m, 0x82);
	m->open[m->depth++] = m->n;
	mb_u8(m, 0);
	mb_u8(m, 0);
}

static void
mb_close(struct mb *m)
{
	size_t at = m->open[--m->depth], len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = (uint8_t)len;
}

static void
mb_prim(struct mb *m, uint8_t tag, const void *p, size_t n)
{
	assert_true(n < 0x80);
	mb_u8(m, tag);
	mb_u8(m, (uint8_t)n);
	mb_bytes(m, p, n);
}

static void
mb_int(struct mb *m, uint8_t v)
{
	mb_prim(m, 0x02, &v, 1);
}

static void
mb_str(struct mb *m, const char *s)
{
	mb_prim(m, 0x04, s, strlen(s));
}

/* The PDU (request-id 7, no error) with one varbind: oid = NULL. */
static void
mb_pdu(struct mb *m, uint8_t tag, const uint8_t *oid, size_t oid_len)
{
	static const uint8_t sysdescr[] = {0x2b, 6, 1, 2, 1, 1, 1, 0};

	if (!oid) {
		oid = sysdescr;
		oid_len = sizeof(sysdescr);
	}
	mb_open(m, tag);
	mb_int(m, 7);
	mb_int(m, 0);
	mb_int(m, 0);
	mb_open(m, 0x30);
	mb_open(m, 0x30);
	mb_prim(m, 0x06, oid, oid_len);
	mb_prim(m, 0x05, "", 0);
	mb_close(m);
	mb_close(m);
	mb_close(m);
}

/* v1 (version 0) or v2c (1): community, PDU. */
static void
mb_community(struct mb *m, uint8_t version, const char *community, uint8_t pdu)
{
	memset(m, 0, sizeof(*m));
	mb_open(m, 0x30);
	mb_int(m, version);
	mb_str(m, community);
	mb_pdu(m, pdu, NULL, 0);
	mb_close(m);
}

/* v3 with USM: flags, user; a ScopedPDU in the clear, or (priv) 16 bytes
 * of ciphertext. */
static void
mb_v3(struct mb *m, uint8_t flags, const char *user, uint8_t pdu, const uint8_t *oid,
      size_t oid_len)
{
	memset(m, 0, sizeof(*m));
	mb_open(m, 0x30);
	mb_int(m, 3);
	mb_open(m, 0x30); /* msgGlobalData */
	mb_int(m, 42);
	mb_prim(m, 0x02, "\x00\xff\xe3", 3);
	mb_prim(m, 0x04, &flags, 1);
	mb_int(m, 3);
	mb_close(m);
	mb_open(m, 0x04); /* msgSecurityParameters */
	mb_open(m, 0x30);
	mb_str(m, "\x80\x00\x1f\x88\x80");
	mb_int(m, 1);
	mb_int(m, 100);
	mb_str(m, user);
	mb_str(m, (flags & 1) ? "0123456789ab" : "");
	mb_str(m, (flags & 2) ? "salt1234" : "");
	mb_close(m);
	mb_close(m);
	if (flags & 2) {
		mb_str(m, "ciphertext-bytes");
	} else {
		mb_open(m, 0x30); /* ScopedPDU */
		mb_str(m, "\x80\x00\x1f\x88\x80");
		mb_str(m, "");
		mb_pdu(m, pdu, oid, oid_len);
		mb_close(m);
	}
	mb_close(m);
}

/* ---- Feeding ---------------------------------------------------------------- */

#define DGRAM_PROTO proto_snmp
#include "dgram_run.h"

/* ---- v1 and v2c ------------------------------------------------------------- */

static void
test_snmp_v2c_community_is_one_login_with_a_secret_answered_by_the_response(void **unused)
{
	struct run r;
	struct mb m;
	struct own_text t;

	(void)unused;
	run_init(&r);
	for (int i = 0; i < 3; i++) { /* a walk: the same community each time */
		mb_community(&m, 1, "public-lab", 0xa1);
		run_dgram(&r, DIR_C2S, m.b, m.n);
		mb_community(&m, 1, "public-lab", 0xa2);
		run_dgram(&r, DIR_S2C, m.b, m.n);
	}
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "COMMUNITY", "", "public-lab", true, LOGIN_SUCCESS);
	assert_int_equal(r.f.anomalies, 0);
	assert_string_equal(own_fields(&proto_snmp, &r.f, &t),
			    "version=2c;requests=3;responses=3;");
}

static void
test_snmp_unanswered_community_stays_unknown_and_another_is_a_second_login(void **unused)
{
	struct run r;
	struct mb m;
	struct own_text t;

	(void)unused;
	run_init(&r);
	mb_community(&m, 0, "wrong", 0xa0);
	run_dgram(&r, DIR_C2S, m.b, m.n);
	mb_community(&m, 0, "right", 0xa0);
	run_dgram(&r, DIR_C2S, m.b, m.n);
	mb_community(&m, 0, "right", 0xa2);
	run_dgram(&r, DIR_S2C, m.b, m.n);
	assert_int_equal(r.f.n_logins, 2);
	assert_login(&r.f, 0, "COMMUNITY", "", "wrong", true, LOGIN_UNKNOWN);
	assert_login(&r.f, 1, "COMMUNITY", "", "right", true, LOGIN_SUCCESS);
	assert_string_equal(own_fields(&proto_snmp, &r.f, &t), "version=1;requests=2;responses=1;");
}

static void
test_snmp_traps_carry_their_community_as_a_login(void **unused)
{
	struct run r;
	struct mb m;
	struct own_text t;

	(void)unused;
	run_init(&r);
	mb_community(&m, 1, "trap-secret", 0xa7);
	run_dgram(&r, DIR_C2S, m.b, m.n);
	assert_login(&r.f, 0, "COMMUNITY", "", "trap-secret", true, LOGIN_UNKNOWN);
	assert_string_equal(own_fields(&proto_snmp, &r.f, &t), "version=2c;notifications=1;");
}

static void
test_snmp_community_bytes_outside_ascii_are_kept_printable(void **unused)
{
	struct run r;
	struct mb m;

	(void)unused;
	run_init(&r);
	mb_community(&m, 1, "a\tb\x7f", 0xa0);
	run_dgram(&r, DIR_C2S, m.b, m.n);
	assert_login(&r.f, 0, "COMMUNITY", "", "a?b?", true, LOGIN_UNKNOWN);
}

/* ---- v3 --------------------------------------------------------------------- */

static const uint8_t unknown_user_oid[] = {0x2b, 6, 1, 6, 3, 15, 1, 1, 3, 0};
static const uint8_t unknown_engine_oid[] = {0x2b, 6, 1, 6, 3, 15, 1, 1, 4, 0};

static void
test_snmp_v3_discovery_then_noauth_get_is_a_login_without_a_secret(void **unused)
{
	struct run r;
	struct mb m;
	struct own_text t;

	(void)unused;
	run_init(&r);
	mb_v3(&m, 0x04, "", 0xa0, NULL, 0); /* discovery: no user */
	run_dgram(&r, DIR_C2S, m.b, m.n);
	mb_v3(&m, 0x00, "", 0xa8, unknown_engine_oid, sizeof(unknown_engine_oid));
	run_dgram(&r, DIR_S2C, m.b, m.n);
	assert_int_equal(r.f.n_logins, 0);
	mb_v3(&m, 0x04, "noauth", 0xa0, NULL, 0);
	run_dgram(&r, DIR_C2S, m.b, m.n);
	mb_v3(&m, 0x00, "noauth", 0xa2, NULL, 0);
	run_dgram(&r, DIR_S2C, m.b, m.n);
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "USM", "noauth", "", false, LOGIN_SUCCESS);
	assert_string_equal(own_fields(&proto_snmp, &r.f, &t),
			    "version=3;security=noAuthNoPriv;user=noauth;requests=2;responses=1;"
			    "reports=1;");
}

static void
test_snmp_v3_authnopriv_is_a_login_and_the_lowest_level_is_shown(void **unused)
{
	struct run r;
	struct mb m;
	struct own_text t;

	(void)unused;
	run_init(&r);
	mb_v3(&m, 0x07, "alice", 0, NULL, 0); /* authPriv */
	run_dgram(&r, DIR_C2S, m.b, m.n);
	mb_v3(&m, 0x05, "alice", 0xa0, NULL, 0); /* authNoPriv */
	run_dgram(&r, DIR_C2S, m.b, m.n);
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "USM", "alice", "", false, LOGIN_UNKNOWN);
	assert_string_equal(own_fields(&proto_snmp, &r.f, &t),
			    "version=3;security=authNoPriv;user=alice;requests=1;encrypted=1;");
}

static void
test_snmp_v3_authpriv_is_encrypted_and_no_login(void **unused)
{
	struct run r;
	struct mb m;
	struct own_text t;

	(void)unused;
	run_init(&r);
	mb_v3(&m, 0x07, "bob", 0, NULL, 0);
	run_dgram(&r, DIR_C2S, m.b, m.n);
	mb_v3(&m, 0x03, "bob", 0, NULL, 0);
	run_dgram(&r, DIR_S2C, m.b, m.n);
	assert_int_equal(r.f.n_logins, 0);
	assert_int_equal(r.f.anomalies, 0);
	assert_string_equal(own_fields(&proto_snmp, &r.f, &t),
			    "version=3;security=authPriv;user=bob;encrypted=2;");
}

static void
test_snmp_v3_unknown_user_report_is_a_failure(void **unused)
{
	struct run r;
	struct mb m;

	(void)unused;
	run_init(&r);
	mb_v3(&m, 0x04, "mallory", 0xa0, NULL, 0);
	run_dgram(&r, DIR_C2S, m.b, m.n);
	mb_v3(&m, 0x00, "mallory", 0xa8, unknown_user_oid, sizeof(unknown_user_oid));
	run_dgram(&r, DIR_S2C, m.b, m.n);
	assert_login(&r.f, 0, "USM", "mallory", "", false, LOGIN_FAILURE);
}

static void
test_snmp_v3_priv_without_auth_is_an_anomaly(void **unused)
{
	struct run r;
	struct mb m;

	(void)unused;
	run_init(&r);
	mb_v3(&m, 0x02, "eve", 0, NULL, 0);
	run_dgram(&r, DIR_C2S, m.b, m.n);
	assert_int_equal(r.f.n_logins, 0);
	assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
}

/* ---- Cuts and hostile lengths ----------------------------------------------- */

/* The community is a login once its bytes are all there, however much of
 * the rest is missing; shorter cuts are anomalies, never a made-up login. */
static void
test_snmp_every_cut_of_a_v2c_request_is_read_without_harm(void **unused)
{
	struct mb m;

	(void)unused;
	mb_community(&m, 1, "cut-community", 0xa0);
	for (size_t n = 0; n <= m.n; n++) {
		struct run r;
		size_t community_end = 4 + 3 + 2 + strlen("cut-community");

		run_init(&r);
		run_dgram(&r, DIR_C2S, m.b, n);
		if (n >= community_end) {
			assert_int_equal(r.f.n_logins, 1);
			assert_string_equal(r.f.logins[0].secret, "cut-community");
		} else {
			assert_int_equal(r.f.n_logins, 0);
		}
		assert_int_equal(!!(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX), n < m.n);
	}
}

static void
test_snmp_every_cut_of_v3_messages_is_read_without_harm(void **unused)
{
	static const uint8_t flags[] = {0x04, 0x05, 0x07, 0x00};

	(void)unused;
	for (size_t k = 0; k < sizeof(flags); k++) {
		struct mb m;

		mb_v3(&m, flags[k], "carol", k == 3 ? 0xa8 : 0xa0, k == 3 ? unknown_user_oid : NULL,
		      k == 3 ? sizeof(unknown_user_oid) : 0);
		for (size_t n = 0; n < m.n; n++) {
			struct run r;

			run_init(&r);
			run_dgram(&r, DIR_C2S, m.b, n);
			assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
			assert_true(r.f.n_logins <= 1);
		}
	}
}

static void
test_snmp_ber_lengths_past_the_datagram_or_too_long_are_refused(void **unused)
{
	/* Outer SEQUENCE claiming 4 GiB, then a community claiming 200 bytes. */
	static const uint8_t huge_outer[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01,
					     0x01, 0x04, 0x81, 0xc8, 'a',  'b',	 'c'};
	/* A five-byte length form, and an indefinite length. */
	static const uint8_t five[] = {0x30, 0x85, 0, 0, 0, 0, 9, 0x02, 0x01, 0x01};
	static const uint8_t indefinite[] = {0x30, 0x80, 0x02, 0x01, 0x01, 0x04, 0x01, 'x', 0, 0};
	/* A high tag number form, a version of five bytes, a negative version. */
	static const uint8_t high_tag[] = {0x3f, 0x01, 0x00};
	static const uint8_t long_version[] = {0x30, 0x07, 0x02, 0x05, 0, 0, 0, 0, 1};
	static const uint8_t neg_version[] = {0x30, 0x03, 0x02, 0x01, 0xff};
	/* v3 whose msgFlags is two bytes long. */
	static const uint8_t bad_flags[] = {0x30, 0x10, 0x02, 0x01, 0x03, 0x30, 0x0b,
					    0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x04,
					    0x02, 0x07, 0x07, 0x02, 0x01, 0x03};
	const struct {
		const uint8_t *p;
		size_t n;
	} cases[] = {
		{huge_outer, sizeof(huge_outer)},     {five, sizeof(five)},
		{indefinite, sizeof(indefinite)},     {high_tag, sizeof(high_tag)},
		{long_version, sizeof(long_version)}, {neg_version, sizeof(neg_version)},
		{bad_flags, sizeof(bad_flags)},
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_init(&r);
		run_dgram(&r, DIR_C2S, cases[i].p, cases[i].n);
		if (r.f.n_logins != 0 || !(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX))
			fail_msg("case %zu: read as a login or not flagged", i);
		assert_int_equal(proto_snmp.sniff(DIR_C2S, cases[i].p, cases[i].n) == SNIFF_STRONG,
				 false);
	}
}

static void
test_snmp_sniff_claims_messages_and_not_text_or_dns(void **unused)
{
	struct mb m;

	(void)unused;
	mb_community(&m, 1, "public", 0xa0);
	assert_int_equal(proto_snmp.sniff(DIR_C2S, m.b, m.n), SNIFF_STRONG);
	assert_int_equal(proto_snmp.sniff(DIR_C2S, m.b, 2), SNIFF_MORE);
	mb_community(&m, 0, "public", 0xa4);
	assert_int_equal(proto_snmp.sniff(DIR_C2S, m.b, m.n), SNIFF_STRONG);
	mb_v3(&m, 0x04, "", 0xa0, NULL, 0);
	assert_int_equal(proto_snmp.sniff(DIR_C2S, m.b, m.n), SNIFF_STRONG);
	mb_community(&m, 2, "public", 0xa0); /* no version 2 */
	assert_int_equal(proto_snmp.sniff(DIR_C2S, m.b, m.n), SNIFF_NO);
	assert_true(proto_snmp.sniff(DIR_C2S, (const uint8_t *)"0\r\n", 3) < SNIFF_WEAK);
	assert_int_equal(proto_snmp.sniff(DIR_C2S, (const uint8_t *)"GET / HTTP/1.1\r\n", 16),
			 SNIFF_NO);
	/* A DNS query (id 0x3012 starts with 0x30, as a SEQUENCE would). */
	assert_int_equal(
		proto_snmp.sniff(DIR_C2S,
				 (const uint8_t *)"\x30\x12\x01\x00\x00\x01\x00\x00"
						  "\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01",
				 19),
		SNIFF_NO);
}

/* ---- SNMP over TCP (RFC 3430) ------------------------------------------------ */

/* Messages back to back, as one TCP direction carries them. */
struct stream {
	uint8_t b[4096];
	size_t n;
};

static void
stream_add(struct stream *st, const void *p, size_t n)
{
	assert_true(st->n + n <= sizeof(st->b));
	memcpy(st->b + st->n, p, n);
	st->n += n;
}

/* A v2c get in short-form lengths (as some agents write them). */
static const uint8_t short_form_get[] = {
	0x30, 0x1c, 0x02, 0x01, 0x01, 0x04, 0x0a, 'p',	'u',  'b',  'l',  'i',	'c',  '-',  'l',
	'a',  'b',  0xa0, 0x0b, 0x02, 0x01, 0x09, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x00,
};

/* A response longer than the parser keeps: its varbind's value is 700
 * octets. */
static void
mb_long_response(struct mb *m)
{
	static uint8_t value[700];

	memset(value, 'v', sizeof(value));
	memset(m, 0, sizeof(*m));
	mb_open(m, 0x30);
	mb_int(m, 1);
	mb_str(m, "public-lab");
	mb_open(m, 0xa2);
	mb_int(m, 9);
	mb_int(m, 0);
	mb_int(m, 0);
	mb_open(m, 0x30);
	mb_open(m, 0x30);
	mb_prim(m, 0x06, "\x2b\x06\x01\x02\x01\x01\x01\x00", 8);
	mb_open(m, 0x04);
	mb_bytes(m, value, sizeof(value));
	mb_close(m);
	mb_close(m);
	mb_close(m);
	mb_close(m);
	mb_close(m);
}

/* A manager's connection: a get and a getnext, then the short-form get;
 * the agent's responses, the last one long. Each direction one step, so
 * chunk 0 hands all its messages in one segment. */
static void
tcp_conversation(struct stream *c2s, struct stream *s2c)
{
	struct mb m;

	memset(c2s, 0, sizeof(*c2s));
	memset(s2c, 0, sizeof(*s2c));
	mb_community(&m, 1, "public-lab", 0xa0);
	stream_add(c2s, m.b, m.n);
	mb_community(&m, 1, "public-lab", 0xa1);
	stream_add(c2s, m.b, m.n);
	stream_add(c2s, short_form_get, sizeof(short_form_get));
	mb_community(&m, 1, "public-lab", 0xa2);
	stream_add(s2c, m.b, m.n);
	stream_add(s2c, m.b, m.n);
	mb_long_response(&m);
	stream_add(s2c, m.b, m.n);
}

static void
test_snmp_over_tcp_gives_the_same_facts_in_every_chunking(void **unused)
{
	struct stream c2s, s2c;
	struct replay_result first, r;
	struct own_text t;
	const struct step steps[] = {
		{DIR_C2S, (const char *)c2s.b, 0},
		{DIR_S2C, (const char *)s2c.b, 0},
	};
	struct step st[2];

	(void)unused;
	tcp_conversation(&c2s, &s2c);
	memcpy(st, steps, sizeof(st));
	st[0].len = c2s.n;
	st[1].len = s2c.n;
	replay(&proto_snmp, st, 2, replay_chunks[0], &first);
	for (size_t i = 1; i < REPLAY_N_CHUNKS; i++) {
		replay(&proto_snmp, st, 2, replay_chunks[i], &r);
		assert_true(replay_facts_equal(&first.facts, &r.facts));
		assert_int_equal(r.facts.cap_hits, 1);
	}
	assert_int_equal(first.facts.anomalies, 0);
	assert_int_equal(first.facts.n_logins, 1);
	assert_login(&first.facts, 0, "COMMUNITY", "", "public-lab", true, LOGIN_SUCCESS);
	assert_string_equal(own_fields(&proto_snmp, &first.facts, &t),
			    "version=2c;requests=3;responses=3;");
}

static void
test_snmp_over_tcp_a_message_without_framing_loses_that_direction_only(void **unused)
{
	/* Another tag, an indefinite length, a length of five bytes. */
	static const uint8_t bad[][3] = {
		{0x31, 0x03, 0x02}, {0x30, 0x80, 0x02}, {0x30, 0x85, 0x01}};
	struct stream c2s, s2c;
	struct own_text t;

	(void)unused;
	tcp_conversation(&c2s, &s2c);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct stream lost;
		struct replay_result r;

		memset(&lost, 0, sizeof(lost));
		stream_add(&lost, bad[k], sizeof(bad[k]));
		stream_add(&lost, c2s.b, c2s.n);
		for (size_t i = 0; i < REPLAY_N_CHUNKS; i++) {
			const struct step steps[] = {
				{DIR_C2S, (const char *)lost.b, lost.n},
				{DIR_S2C, (const char *)s2c.b, s2c.n},
			};

			replay(&proto_snmp, steps, 2, replay_chunks[i], &r);
			assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
			assert_string_equal(own_fields(&proto_snmp, &r.facts, &t),
					    "version=2c;responses=3;");
		}
	}
}

static void
test_snmp_over_tcp_stops_at_a_gap(void **unused)
{
	struct stream c2s, s2c;
	struct proto_facts f;
	void *st = calloc(1, proto_snmp.state_size);

	(void)unused;
	assert_non_null(st);
	tcp_conversation(&c2s, &s2c);
	memset(&f, 0, sizeof(f));
	proto_snmp.init(st);
	assert_int_equal(proto_snmp.feed(st, &f, DIR_C2S, c2s.b, 9), 9);
	proto_snmp.gap(st, &f, DIR_C2S);
	assert_int_equal(proto_snmp.feed(st, &f, DIR_C2S, c2s.b, c2s.n), c2s.n);
	assert_int_equal(proto_snmp.feed(st, &f, DIR_S2C, s2c.b, s2c.n), s2c.n);
	assert_int_equal(f.n_logins, 0);
	assert_int_equal(f.commands, 0);
	assert_true(f.anomalies & PROTO_ANOM_GAP);
	free(st);
}

/* ---- Through the session and the verdict ------------------------------------ */

static size_t
judge_exchange(struct session *s, uint16_t port, struct alert *alerts, size_t max)
{
	struct mb m;

	session_init(s, 1, 1000000);
	s->family = 4;
	s->l4 = 17;
	s->server_port = port;
	s->client_port = 40000;
	mb_community(&m, 1, "s3cret-community", 0xa0);
	session_on_datagram(s, DIR_C2S, m.b, m.n, false);
	mb_community(&m, 1, "s3cret-community", 0xa2);
	session_on_datagram(s, DIR_S2C, m.b, m.n, false);
	session_name_service(s);
	return verdict_judge(s, NULL, alerts, max);
}

static void
test_snmp_community_is_a_high_alert_without_the_secret_and_redacted(void **unused)
{
	struct session s;
	struct alert alerts[4];
	size_t n;

	(void)unused;
	n = judge_exchange(&s, 161, alerts, 4);
	assert_string_equal(s.service, "snmp");
	assert_int_equal(s.verdict, VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_NO_TLS_PROTOCOL);
	assert_int_equal(n, 1);
	assert_int_equal(alerts[0].kind, ALERT_CLEARTEXT_LOGIN);
	assert_int_equal(alerts[0].severity, SEVERITY_HIGH);
	assert_string_equal(alerts[0].evidence, "snmp COMMUNITY user=?");
	assert_string_equal(sink_secret(&s.pf.logins[0], false, "********"), "********");
	assert_string_equal(sink_secret(&s.pf.logins[0], true, "********"), "s3cret-community");
	session_release(&s);
}

static void
test_snmp_in_the_clear_on_10161_is_plaintext_on_tls_port(void **unused)
{
	struct session s;
	struct alert alerts[4];

	(void)unused;
	judge_exchange(&s, 10161, alerts, 4);
	assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(s.reason, REASON_PLAINTEXT_ON_TLS_PORT);
	session_release(&s);
}

static void
test_snmp_over_udp_holds_only_the_state_udp_needs(void **unused)
{
	struct session s;
	struct alert alerts[4];

	(void)unused;
	assert_true(proto_snmp.udp_state_size > 0);
	assert_true(proto_snmp.udp_state_size + 1000 < proto_snmp.state_size);
	judge_exchange(&s, 161, alerts, 4);
	assert_int_equal(session_heap_bytes(&s), proto_snmp.udp_state_size);
	session_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_snmp_v2c_community_is_one_login_with_a_secret_answered_by_the_response),
		cmocka_unit_test(
			test_snmp_unanswered_community_stays_unknown_and_another_is_a_second_login),
		cmocka_unit_test(test_snmp_traps_carry_their_community_as_a_login),
		cmocka_unit_test(test_snmp_community_bytes_outside_ascii_are_kept_printable),
		cmocka_unit_test(
			test_snmp_v3_discovery_then_noauth_get_is_a_login_without_a_secret),
		cmocka_unit_test(test_snmp_v3_authnopriv_is_a_login_and_the_lowest_level_is_shown),
		cmocka_unit_test(test_snmp_v3_authpriv_is_encrypted_and_no_login),
		cmocka_unit_test(test_snmp_v3_unknown_user_report_is_a_failure),
		cmocka_unit_test(test_snmp_v3_priv_without_auth_is_an_anomaly),
		cmocka_unit_test(test_snmp_every_cut_of_a_v2c_request_is_read_without_harm),
		cmocka_unit_test(test_snmp_every_cut_of_v3_messages_is_read_without_harm),
		cmocka_unit_test(test_snmp_ber_lengths_past_the_datagram_or_too_long_are_refused),
		cmocka_unit_test(test_snmp_sniff_claims_messages_and_not_text_or_dns),
		cmocka_unit_test(
			test_snmp_community_is_a_high_alert_without_the_secret_and_redacted),
		cmocka_unit_test(test_snmp_in_the_clear_on_10161_is_plaintext_on_tls_port),
		cmocka_unit_test(test_snmp_over_tcp_gives_the_same_facts_in_every_chunking),
		cmocka_unit_test(
			test_snmp_over_tcp_a_message_without_framing_loses_that_direction_only),
		cmocka_unit_test(test_snmp_over_tcp_stops_at_a_gap),
		cmocka_unit_test(test_snmp_over_udp_holds_only_the_state_udp_needs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
