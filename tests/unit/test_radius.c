/*
 * test_radius.c - the RADIUS parser (src/proto/radius.c): Access-Request
 * user names as logins without a secret (PAP's User-Password is hidden,
 * not cleartext), the outcome from the Accept or Reject of the same
 * identifier, one login per user and method (EAP rounds), the counts,
 * every cut of a packet, hostile lengths, sniffing; RADIUS over TCP (RFC
 * 6613: packets framed by their length, several a segment or cut anywhere,
 * the same facts in every chunking); and through the session and the
 * verdict: a low alert, RADIUS in the clear on 2083, the small UDP state.
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
#include "transcript.h"
#include "verdict.h"

extern const struct proto_desc proto_radius;

/* ---- A packet builder ------------------------------------------------------- */

struct pkt {
	uint8_t b[512];
	size_t n;
};

static void
pkt_start(struct pkt *p, uint8_t code, uint8_t id)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = code;
	p->b[1] = id;
	for (int i = 0; i < 16; i++)
		p->b[4 + i] = (uint8_t)(0xa0 + i); /* authenticator */
	p->n = 20;
}

static void
pkt_attr(struct pkt *p, uint8_t type, const void *v, size_t n)
{
	assert_true(n <= 253 && p->n + 2 + n <= sizeof(p->b));
	p->b[p->n] = type;
	p->b[p->n + 1] = (uint8_t)(n + 2);
	memcpy(p->b + p->n + 2, v, n);
	p->n += 2 + n;
}

static void
pkt_end(struct pkt *p)
{
	p->b[2] = (uint8_t)(p->n >> 8);
	p->b[3] = (uint8_t)p->n;
}

/* An Access-Request for user with PAP (16 hidden bytes), CHAP or EAP. */
static void
pkt_request(struct pkt *p, uint8_t id, const char *user, uint8_t cred)
{
	/* 16 hidden bytes (PAP), or a CHAP ident and 16 bytes of hash (CHAP). */
	static const uint8_t hidden[17] = {0x9f, 0x12, 0x44, 0xe1, 0x05, 0x77, 0x3a, 0xc8, 0x61,
					   0x0b, 0xd2, 0x8e, 0x19, 0x5c, 0xf0, 0x2d, 0x01};

	pkt_start(p, 1, id);
	pkt_attr(p, 1, user, strlen(user));
	if (cred)
		pkt_attr(p, cred, hidden, cred == 3 ? 17 : 16);
	pkt_attr(p, 4, "\xc0\x00\x02\x02", 4); /* NAS-IP-Address */
	pkt_end(p);
}

static void
pkt_answer(struct pkt *p, uint8_t code, uint8_t id)
{
	pkt_start(p, code, id);
	pkt_end(p);
}

#define DGRAM_PROTO proto_radius
#include "dgram_run.h"

/* ---- Logins ----------------------------------------------------------------- */

static void
test_radius_pap_request_is_a_login_without_a_secret_accepted_by_its_identifier(void **unused)
{
	struct run r;
	struct pkt p;
	struct own_text t;

	(void)unused;
	run_init(&r);
	pkt_request(&p, 7, "alice", 2);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	pkt_answer(&p, 2, 8); /* another identifier: not this login's answer */
	run_dgram(&r, DIR_S2C, p.b, p.n);
	assert_login(&r.f, 0, "PAP", "alice", "", false, LOGIN_UNKNOWN);
	pkt_answer(&p, 2, 7);
	run_dgram(&r, DIR_S2C, p.b, p.n);
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "PAP", "alice", "", false, LOGIN_SUCCESS);
	assert_int_equal(r.f.anomalies, 0);
	assert_string_equal(own_fields(&proto_radius, &r.f, &t),
			    "access_requests=1;accepts=2;user_password=obfuscated;");
}

static void
test_radius_reject_is_a_failure_and_chap_is_its_own_mechanism(void **unused)
{
	struct run r;
	struct pkt p;

	(void)unused;
	run_init(&r);
	pkt_request(&p, 1, "bob", 3);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	pkt_answer(&p, 3, 1);
	run_dgram(&r, DIR_S2C, p.b, p.n);
	assert_login(&r.f, 0, "CHAP", "bob", "", false, LOGIN_FAILURE);
}

static void
test_radius_eap_rounds_are_one_login_answered_at_the_end(void **unused)
{
	struct run r;
	struct pkt p;
	struct own_text t;

	(void)unused;
	run_init(&r);
	for (uint8_t id = 10; id < 13; id++) {
		pkt_request(&p, id, "carol@example.org", 79);
		run_dgram(&r, DIR_C2S, p.b, p.n);
		pkt_answer(&p, id == 12 ? 2 : 11, id);
		run_dgram(&r, DIR_S2C, p.b, p.n);
	}
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "EAP", "carol@example.org", "", false, LOGIN_SUCCESS);
	assert_string_equal(own_fields(&proto_radius, &r.f, &t),
			    "access_requests=3;accepts=1;challenges=2;");
}

static void
test_radius_an_attempt_after_the_answer_is_a_login_of_its_own(void **unused)
{
	struct run r;
	struct pkt p;

	(void)unused;
	run_init(&r);
	pkt_request(&p, 1, "alice", 2);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	run_dgram(&r, DIR_C2S, p.b, p.n); /* a retransmission: the same login */
	pkt_answer(&p, 2, 1);
	run_dgram(&r, DIR_S2C, p.b, p.n);
	pkt_request(&p, 2, "alice", 2); /* a proxy's next attempt for alice */
	run_dgram(&r, DIR_C2S, p.b, p.n);
	pkt_answer(&p, 3, 2);
	run_dgram(&r, DIR_S2C, p.b, p.n);
	assert_int_equal(r.f.n_logins, 2);
	assert_login(&r.f, 0, "PAP", "alice", "", false, LOGIN_SUCCESS);
	assert_login(&r.f, 1, "PAP", "alice", "", false, LOGIN_FAILURE);
}

static void
test_radius_accounting_and_coa_are_counted_not_logins(void **unused)
{
	struct run r;
	struct pkt p;
	struct own_text t;

	(void)unused;
	run_init(&r);
	pkt_start(&p, 4, 1);
	pkt_attr(&p, 1, "alice", 5);
	pkt_end(&p);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	pkt_answer(&p, 5, 1);
	run_dgram(&r, DIR_S2C, p.b, p.n);
	pkt_answer(&p, 43, 2);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	assert_int_equal(r.f.n_logins, 0);
	assert_string_equal(own_fields(&proto_radius, &r.f, &t),
			    "accounting_requests=1;accounting_responses=1;coa=1;");
}

static void
test_radius_user_name_bytes_outside_ascii_are_kept_printable(void **unused)
{
	struct run r;
	struct pkt p;

	(void)unused;
	run_init(&r);
	pkt_request(&p, 1, "d\x01v\xe9", 2);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	assert_login(&r.f, 0, "PAP", "d?v?", "", false, LOGIN_UNKNOWN);
}

/* ---- Cuts and hostile lengths ----------------------------------------------- */

static void
test_radius_every_cut_of_a_request_is_read_without_harm(void **unused)
{
	struct pkt p;

	(void)unused;
	pkt_request(&p, 3, "cut-user", 2);
	for (size_t n = 0; n <= p.n; n++) {
		struct run r;

		run_init(&r);
		run_dgram(&r, DIR_C2S, p.b, n);
		/* The user name is whole from byte 20 + 2 + 8 on. */
		assert_int_equal(r.f.n_logins, n >= 30 ? 1 : 0);
		if (n >= 30)
			assert_string_equal(r.f.logins[0].username, "cut-user");
		assert_int_equal(!!(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX), n < p.n);
	}
}

static void
test_radius_hostile_lengths_are_anomalies(void **unused)
{
	struct pkt p;
	struct run r;

	(void)unused;
	/* An attribute length of 0, of 1, and one past the packet. */
	for (uint8_t bad = 0; bad < 3; bad++) {
		pkt_start(&p, 1, 1);
		pkt_attr(&p, 1, "x", 1);
		p.b[21] = bad == 2 ? 200 : bad;
		pkt_end(&p);
		run_init(&r);
		run_dgram(&r, DIR_C2S, p.b, p.n);
		assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
		assert_int_equal(proto_radius.sniff(DIR_C2S, p.b, p.n), SNIFF_NO);
	}
	/* A packet length below the header, above 4096, an unknown code. */
	pkt_request(&p, 1, "alice", 2);
	p.b[2] = 0;
	p.b[3] = 19;
	run_init(&r);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	assert_int_equal(r.f.n_logins, 0);
	p.b[2] = 0x10;
	p.b[3] = 0x01;
	run_init(&r);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	assert_int_equal(r.f.n_logins, 0);
	pkt_request(&p, 1, "alice", 2);
	p.b[0] = 99;
	run_init(&r);
	run_dgram(&r, DIR_C2S, p.b, p.n);
	assert_int_equal(r.f.n_logins, 0);
	assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
}

static void
test_radius_padding_after_the_length_is_ignored(void **unused)
{
	struct pkt p;
	struct run r;

	(void)unused;
	pkt_request(&p, 1, "alice", 2);
	memset(p.b + p.n, 0xee, 7);
	run_init(&r);
	run_dgram(&r, DIR_C2S, p.b, p.n + 7);
	assert_int_equal(r.f.anomalies, 0);
	assert_int_equal(r.f.n_logins, 1);
	assert_int_equal(proto_radius.sniff(DIR_C2S, p.b, p.n + 7), SNIFF_STRONG);
}

static void
test_radius_sniff_claims_packets_and_not_text_or_dns(void **unused)
{
	struct pkt p;
	/* A DNS query for a.example (id 0x0102, RD). */
	static const uint8_t dns[] = {0x01, 0x02, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
				      0x00, 0x00, 0x00, 0x01, 'a',  0x07, 'e',	'x',  'a',
				      'm',  'p',  'l',	'e',  0x00, 0x00, 0x01, 0x00, 0x01};

	(void)unused;
	pkt_request(&p, 1, "alice", 2);
	assert_int_equal(proto_radius.sniff(DIR_C2S, p.b, p.n), SNIFF_STRONG);
	assert_int_equal(proto_radius.sniff(DIR_C2S, p.b, 2), SNIFF_MORE);
	pkt_answer(&p, 2, 1);
	assert_int_equal(proto_radius.sniff(DIR_S2C, p.b, p.n), SNIFF_STRONG);
	pkt_answer(&p, 1, 1); /* an Access-Request without attributes */
	assert_int_equal(proto_radius.sniff(DIR_C2S, p.b, p.n), SNIFF_NO);
	/* Its bytes read as code 1, length 256, attributes cut: more is asked
	 * for, which a datagram never gets (the core claims it for nobody). */
	assert_int_equal(proto_radius.sniff(DIR_C2S, dns, sizeof(dns)), SNIFF_MORE);
	assert_int_equal(proto_radius.sniff(
				 DIR_C2S, (const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27),
			 SNIFF_NO);
}

/* ---- RADIUS over TCP (RFC 6613) ---------------------------------------------- */

/* Packets back to back, as one TCP direction carries them. */
struct stream {
	uint8_t b[1024];
	size_t n;
};

static void
stream_add(struct stream *st, const struct pkt *p)
{
	assert_true(st->n + p->n <= sizeof(st->b));
	memcpy(st->b + st->n, p->b, p->n);
	st->n += p->n;
}

/* A proxy's connection: alice (PAP, id 1) accepted, bob (CHAP, id 2)
 * rejected, an Accounting-Request and its response; each direction one
 * step, so chunk 0 hands all its packets in one segment. */
static void
tcp_conversation(struct stream *c2s, struct stream *s2c)
{
	struct pkt p;

	memset(c2s, 0, sizeof(*c2s));
	memset(s2c, 0, sizeof(*s2c));
	pkt_request(&p, 1, "alice", 2);
	stream_add(c2s, &p);
	pkt_request(&p, 2, "bob", 3);
	stream_add(c2s, &p);
	pkt_start(&p, 4, 3);
	pkt_attr(&p, 1, "alice", 5);
	pkt_end(&p);
	stream_add(c2s, &p);
	pkt_answer(&p, 2, 1);
	stream_add(s2c, &p);
	pkt_answer(&p, 3, 2);
	stream_add(s2c, &p);
	pkt_answer(&p, 5, 3);
	stream_add(s2c, &p);
}

static void
test_radius_over_tcp_gives_the_same_facts_in_every_chunking(void **unused)
{
	struct stream c2s, s2c;
	struct replay_result first, r;
	struct own_text t;

	(void)unused;
	tcp_conversation(&c2s, &s2c);
	{
		const struct step steps[] = {
			{DIR_C2S, (const char *)c2s.b, c2s.n},
			{DIR_S2C, (const char *)s2c.b, s2c.n},
		};

		replay(&proto_radius, steps, 2, replay_chunks[0], &first);
		for (size_t i = 1; i < REPLAY_N_CHUNKS; i++) {
			replay(&proto_radius, steps, 2, replay_chunks[i], &r);
			assert_true(replay_facts_equal(&first.facts, &r.facts));
		}
	}
	assert_int_equal(first.facts.anomalies, 0);
	assert_int_equal(first.facts.n_logins, 2);
	assert_login(&first.facts, 0, "PAP", "alice", "", false, LOGIN_SUCCESS);
	assert_login(&first.facts, 1, "CHAP", "bob", "", false, LOGIN_FAILURE);
	assert_int_equal(first.facts.commands, 6);
	assert_string_equal(own_fields(&proto_radius, &first.facts, &t),
			    "access_requests=2;accepts=1;rejects=1;accounting_requests=1;"
			    "accounting_responses=1;user_password=obfuscated;");
}

static void
test_radius_over_tcp_a_bad_length_loses_that_direction_only(void **unused)
{
	struct stream c2s, s2c;
	struct pkt p;

	(void)unused;
	tcp_conversation(&c2s, &s2c);
	/* Below the header, above 4096, an unknown code: the packets after it
	 * cannot be found; the server's direction is still read. */
	for (int bad = 0; bad < 3; bad++) {
		struct stream lost;
		struct replay_result r;

		memset(&lost, 0, sizeof(lost));
		pkt_request(&p, 9, "mallory", 2);
		if (bad == 0)
			p.b[3] = 19;
		else if (bad == 1)
			p.b[2] = 0x10, p.b[3] = 0x01;
		else
			p.b[0] = 99;
		stream_add(&lost, &p);
		memcpy(lost.b + lost.n, c2s.b, c2s.n);
		lost.n += c2s.n;
		for (size_t i = 0; i < REPLAY_N_CHUNKS; i++) {
			const struct step steps[] = {
				{DIR_C2S, (const char *)lost.b, lost.n},
				{DIR_S2C, (const char *)s2c.b, s2c.n},
			};

			replay(&proto_radius, steps, 2, replay_chunks[i], &r);
			assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
			assert_int_equal(r.facts.n_logins, 0);
			assert_int_equal(r.facts.commands, 3); /* the three answers */
		}
	}
}

static void
test_radius_over_tcp_stops_at_a_gap(void **unused)
{
	struct stream c2s, s2c;
	struct proto_facts f;
	void *st = calloc(1, proto_radius.state_size);

	(void)unused;
	assert_non_null(st);
	tcp_conversation(&c2s, &s2c);
	memset(&f, 0, sizeof(f));
	proto_radius.init(st);
	assert_int_equal(proto_radius.feed(st, &f, DIR_C2S, c2s.b, 30), 30);
	proto_radius.gap(st, &f, DIR_C2S);
	assert_int_equal(proto_radius.feed(st, &f, DIR_C2S, c2s.b, c2s.n), c2s.n);
	assert_int_equal(proto_radius.feed(st, &f, DIR_S2C, s2c.b, s2c.n), s2c.n);
	assert_int_equal(f.n_logins, 0);
	assert_int_equal(f.commands, 0);
	assert_true(f.anomalies & PROTO_ANOM_GAP);
	free(st);
}

static void
test_radius_sniff_waits_for_the_rest_of_a_packet_cut_by_tcp(void **unused)
{
	struct pkt p;

	(void)unused;
	pkt_request(&p, 1, "alice", 2);
	for (size_t n = 4; n < p.n; n++)
		assert_int_equal(proto_radius.sniff(DIR_C2S, p.b, n), SNIFF_MORE);
	p.b[21] = 1; /* User-Name of length 1: never a packet */
	assert_int_equal(proto_radius.sniff(DIR_C2S, p.b, 30), SNIFF_NO);
	p.b[21] = 7;
	p.b[3] = 19;
	assert_int_equal(proto_radius.sniff(DIR_C2S, p.b, 10), SNIFF_NO);
}

/* ---- Through the session and the verdict ------------------------------------ */

static size_t
judge_exchange(struct session *s, uint16_t port, struct alert *alerts, size_t max)
{
	struct pkt p;

	session_init(s, 1, 1000000);
	s->family = 4;
	s->l4 = 17;
	s->server_port = port;
	s->client_port = 40000;
	pkt_request(&p, 5, "alice", 2);
	session_on_datagram(s, DIR_C2S, p.b, p.n, false);
	pkt_answer(&p, 2, 5);
	session_on_datagram(s, DIR_S2C, p.b, p.n, false);
	session_name_service(s);
	return verdict_judge(s, NULL, alerts, max);
}

static void
test_radius_pap_login_is_a_low_alert(void **unused)
{
	struct session s;
	struct alert alerts[4];
	size_t n;

	(void)unused;
	n = judge_exchange(&s, 1812, alerts, 4);
	assert_string_equal(s.service, "radius");
	assert_int_equal(s.verdict, VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_NO_TLS_PROTOCOL);
	assert_int_equal(n, 1);
	assert_int_equal(alerts[0].kind, ALERT_CLEARTEXT_LOGIN);
	assert_int_equal(alerts[0].severity, SEVERITY_LOW);
	assert_string_equal(alerts[0].evidence, "radius PAP user=alice");
	session_release(&s);
}

static void
test_radius_in_the_clear_on_2083_is_plaintext_on_tls_port(void **unused)
{
	struct session s;
	struct alert alerts[4];

	(void)unused;
	judge_exchange(&s, 2083, alerts, 4);
	assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(s.reason, REASON_PLAINTEXT_ON_TLS_PORT);
	session_release(&s);
}

static void
test_radius_over_udp_holds_only_the_state_udp_needs(void **unused)
{
	struct session s;
	struct alert alerts[4];

	(void)unused;
	assert_true(proto_radius.udp_state_size > 0);
	assert_true(proto_radius.udp_state_size + 4096 < proto_radius.state_size);
	judge_exchange(&s, 1812, alerts, 4);
	assert_int_equal(session_heap_bytes(&s), proto_radius.udp_state_size);
	session_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_radius_pap_request_is_a_login_without_a_secret_accepted_by_its_identifier),
		cmocka_unit_test(test_radius_reject_is_a_failure_and_chap_is_its_own_mechanism),
		cmocka_unit_test(test_radius_eap_rounds_are_one_login_answered_at_the_end),
		cmocka_unit_test(test_radius_an_attempt_after_the_answer_is_a_login_of_its_own),
		cmocka_unit_test(test_radius_accounting_and_coa_are_counted_not_logins),
		cmocka_unit_test(test_radius_user_name_bytes_outside_ascii_are_kept_printable),
		cmocka_unit_test(test_radius_every_cut_of_a_request_is_read_without_harm),
		cmocka_unit_test(test_radius_hostile_lengths_are_anomalies),
		cmocka_unit_test(test_radius_padding_after_the_length_is_ignored),
		cmocka_unit_test(test_radius_sniff_claims_packets_and_not_text_or_dns),
		cmocka_unit_test(test_radius_pap_login_is_a_low_alert),
		cmocka_unit_test(test_radius_in_the_clear_on_2083_is_plaintext_on_tls_port),
		cmocka_unit_test(test_radius_over_tcp_gives_the_same_facts_in_every_chunking),
		cmocka_unit_test(test_radius_over_tcp_a_bad_length_loses_that_direction_only),
		cmocka_unit_test(test_radius_over_tcp_stops_at_a_gap),
		cmocka_unit_test(test_radius_sniff_waits_for_the_rest_of_a_packet_cut_by_tcp),
		cmocka_unit_test(test_radius_over_udp_holds_only_the_state_udp_needs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
