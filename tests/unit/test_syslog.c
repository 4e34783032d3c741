/*
 * test_syslog.c - the syslog parser (src/proto/syslog.c): RFC 5424 and
 * RFC 3164 messages told apart and counted, over UDP (a datagram each) and
 * over TCP (octet counting and a message per line, RFC 6587) replayed in
 * every chunk size; the first RFC 5424 HOSTNAME; text that is not syslog,
 * octet counts too long, every cut; sniffing; and through the session and
 * the verdict: syslog in the clear on 6514.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"
#include "transcript.h"
#include "verdict.h"

extern const struct proto_desc proto_syslog;

#define M5424 "<38>1 2026-12-03T10:00:00.000000+00:00 lab-client tlswatch-lab - - - hello"
#define M3164 "<14>Dec  3 10:00:00 lab-client tlswatch-lab: hello"

struct run {
	struct proto_facts f;
	_Alignas(max_align_t) uint8_t state[1024];
};

static void
run_init(struct run *r)
{
	assert_true(proto_syslog.state_size <= sizeof(r->state));
	memset(r, 0, sizeof(*r));
	proto_syslog.init(r->state);
}

/* One datagram in a buffer of exactly its size (ASan sees a read past it). */
static void
run_dgram(struct run *r, const char *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	memcpy(copy, p, n);
	proto_syslog.datagram(r->state, &r->f, DIR_C2S, copy, n);
	free(copy);
}

static void
test_syslog_datagrams_are_counted_by_format_with_the_first_hostname(void **unused)
{
	struct run r;
	struct own_text t;

	(void)unused;
	run_init(&r);
	run_dgram(&r, M5424, strlen(M5424));
	run_dgram(&r, M3164, strlen(M3164));
	run_dgram(&r, "<13>no timestamp at all", 23);
	run_dgram(&r, "<0>1 - other-host - - - -", 25);
	assert_string_equal(own_fields(&proto_syslog, &r.f, &t),
			    "rfc5424=2;rfc3164=1;other=1;hostname=lab-client;");
	assert_int_equal(r.f.anomalies, 0);
	assert_int_equal(r.f.n_logins, 0);
}

static void
test_syslog_text_without_a_pri_is_malformed(void **unused)
{
	static const char *const bad[] = {"hello", "<192>1 x", "<01>1 x", "<1234>x", "<>", ""};
	struct run r;
	struct own_text t;

	(void)unused;
	run_init(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		run_dgram(&r, bad[i], strlen(bad[i]));
	assert_string_equal(own_fields(&proto_syslog, &r.f, &t), "malformed=6;");
	assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
}

static void
test_syslog_tcp_octet_counting_and_lines_in_every_chunk_size(void **unused)
{
	char counted[256];
	struct replay_result r;
	struct own_text t;

	(void)unused;
	snprintf(counted, sizeof(counted), "%zu %s%zu %s", strlen(M5424), M5424, strlen(M5424),
		 M5424);
	{
		const struct step steps[] = {
			C(counted),
			C(M3164 "\n\n" M3164 "\r\n"),
		};

		transcript_run(&proto_syslog, steps, N_STEPS(steps), &r);
	}
	assert_string_equal(own_fields(&proto_syslog, &r.facts, &t),
			    "rfc5424=2;rfc3164=2;hostname=lab-client;");
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_syslog_tcp_count_of_ten_digits_or_text_stops_the_direction(void **unused)
{
	struct replay_result r;
	struct own_text t;
	const struct step steps[] = {
		C("1234567890 <13>x"),
		S("GET / HTTP/1.1\r\n"),
	};

	(void)unused;
	transcript_run(&proto_syslog, steps, N_STEPS(steps), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_string_equal(own_fields(&proto_syslog, &r.facts, &t), "");
}

static void
test_syslog_every_cut_of_a_message_is_read_without_harm(void **unused)
{
	(void)unused;
	for (size_t n = 0; n <= strlen(M5424); n++) {
		struct run r;
		struct own_text t;

		run_init(&r);
		run_dgram(&r, M5424, n);
		own_fields(&proto_syslog, &r.f, &t);
		if (n >= 6) /* "<38>1 " */
			assert_non_null(strstr(t.buf, "rfc5424=1;"));
		else
			assert_true(r.f.anomalies || strstr(t.buf, "other=1;"));
	}
}

static void
test_syslog_sniff_claims_messages_and_counted_frames_not_text(void **unused)
{
	(void)unused;
	assert_int_equal(proto_syslog.sniff(DIR_C2S, (const uint8_t *)M5424, strlen(M5424)),
			 SNIFF_STRONG);
	assert_int_equal(proto_syslog.sniff(DIR_C2S, (const uint8_t *)M3164, strlen(M3164)),
			 SNIFF_STRONG);
	assert_int_equal(proto_syslog.sniff(DIR_C2S, (const uint8_t *)"75 " M5424, 20),
			 SNIFF_STRONG);
	assert_int_equal(proto_syslog.sniff(DIR_C2S, (const uint8_t *)"<13>hello there", 15),
			 SNIFF_WEAK);
	assert_int_equal(proto_syslog.sniff(DIR_C2S, (const uint8_t *)"<3", 2), SNIFF_MORE);
	assert_int_equal(proto_syslog.sniff(DIR_C2S, (const uint8_t *)"1023\0root\0", 10),
			 SNIFF_NO); /* rsh on 514/tcp */
	assert_int_equal(proto_syslog.sniff(DIR_C2S, (const uint8_t *)"<html><body>", 12),
			 SNIFF_NO);
	assert_int_equal(proto_syslog.sniff(DIR_C2S, (const uint8_t *)"220 mail ESMTP\r\n", 16),
			 SNIFF_NO);
}

static void
test_syslog_in_the_clear_on_6514_is_plaintext_on_tls_port(void **unused)
{
	struct session s;
	struct alert alerts[4];

	(void)unused;
	session_init(&s, 1, 1000000);
	s.family = 4;
	s.l4 = 17;
	s.server_port = 6514;
	s.client_port = 40000;
	session_on_datagram(&s, DIR_C2S, (const uint8_t *)M5424, strlen(M5424), false);
	session_name_service(&s);
	verdict_judge(&s, NULL, alerts, 4);
	assert_string_equal(s.service, "syslog");
	assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(s.reason, REASON_PLAINTEXT_ON_TLS_PORT);
	session_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_syslog_datagrams_are_counted_by_format_with_the_first_hostname),
		cmocka_unit_test(test_syslog_text_without_a_pri_is_malformed),
		cmocka_unit_test(test_syslog_tcp_octet_counting_and_lines_in_every_chunk_size),
		cmocka_unit_test(test_syslog_tcp_count_of_ten_digits_or_text_stops_the_direction),
		cmocka_unit_test(test_syslog_every_cut_of_a_message_is_read_without_harm),
		cmocka_unit_test(test_syslog_sniff_claims_messages_and_counted_frames_not_text),
		cmocka_unit_test(test_syslog_in_the_clear_on_6514_is_plaintext_on_tls_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
