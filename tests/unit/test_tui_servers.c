/*
 * test_tui_servers.c - the dashboard's servers view and encrypted-share
 * sparkline (src/sink/tui/model_servers.c) without a terminal: the
 * per-server rows equal src/summary.c's, problems come first, the other
 * sorts, pause, the server: filter word, and the sparkline's scaling and
 * grouping of the sessions-over-time buckets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sink.h"
#include "tui_model.h"

#define T0 1700000000000000ull

/* A judged TCP session from 10.0.0.9 to 10.0.1.<host>:port, starting at
 * T0 + start seconds. */
static void
mk(struct session *s, uint64_t id, uint8_t host, uint16_t port, enum verdict v, uint64_t start)
{
	session_init(s, id, T0 + start * 1000000ull);
	s->ts_last_us = s->ts_first_us + 500000;
	s->family = 4;
	s->client_ip[0] = 10;
	s->client_ip[3] = 9;
	s->server_ip[0] = 10;
	s->server_ip[2] = 1;
	s->server_ip[3] = host;
	s->client_port = (uint16_t)(40000 + id);
	s->server_port = port;
	s->service = port == 25 ? "smtp" : port == 143 ? "imap" : "pop3";
	s->verdict = v;
	s->reason = v == VERDICT_CLEARTEXT ? REASON_NOT_OFFERED : REASON_NONE;
	s->end = END_FIN;
}

static void
add(struct tui_model *m, struct session *s)
{
	assert_int_equal(tui_model_add_session(m, s), 0);
}

/* The servers in the view as "host:port" of 10.0.1.host, comma separated. */
static const char *
order(struct tui_model *m)
{
	static char buf[256];
	size_t n, len = 0;
	const struct summary_row *r = tui_model_servers(m, &n);

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u:%u", i ? "," : "",
					r[i].ip[3], r[i].port);
	return buf;
}

/* host 1:25 all starttls; 2:143 one cleartext of three; 3:110 downgraded;
 * 4:25 a cleartext login; 5:143 a tls-failed; 6:25 implicit, with an alert. */
static struct tui_model *
six_servers(void)
{
	struct tui_model *m = tui_model_new(100, 100);
	struct session s;
	uint64_t id = 1;

	assert_non_null(m);
	for (int i = 0; i < 4; i++) {
		mk(&s, id++, 1, 25, VERDICT_STARTTLS, 0);
		add(m, &s);
	}
	mk(&s, id++, 2, 143, VERDICT_CLEARTEXT, 1);
	add(m, &s);
	mk(&s, id++, 2, 143, VERDICT_IMPLICIT_TLS, 1);
	add(m, &s);
	mk(&s, id++, 2, 143, VERDICT_STARTTLS, 1);
	add(m, &s);
	mk(&s, id++, 3, 110, VERDICT_DOWNGRADED, 2);
	s.reason = REASON_CAPABILITY_STRIPPED;
	add(m, &s);
	mk(&s, id++, 4, 25, VERDICT_CLEARTEXT, 2);
	assert_non_null(proto_facts_add_login(&s.pf, "PLAIN"));
	add(m, &s);
	mk(&s, id++, 5, 143, VERDICT_TLS_FAILED, 3);
	add(m, &s);
	mk(&s, id++, 6, 25, VERDICT_IMPLICIT_TLS, 3);
	s.alerts = 1u << ALERT_TLS_OBSOLETE_VERSION;
	add(m, &s);
	return m;
}

static void
test_tui_servers_rows_are_the_summary_modules_per_server_rows(void **state)
{
	struct tui_model *m = six_servers();
	struct summary *sum = summary_new();
	const struct summary_row *a, *b;
	size_t na, nb;
	struct session s;

	(void)state;
	/* The same sessions straight into a summary. */
	assert_non_null(sum);
	{
		uint64_t id = 1;
		static const struct {
			uint8_t host;
			uint16_t port;
			enum verdict v;
		} all[] = {
			{1, 25, VERDICT_STARTTLS},     {1, 25, VERDICT_STARTTLS},
			{1, 25, VERDICT_STARTTLS},     {1, 25, VERDICT_STARTTLS},
			{2, 143, VERDICT_CLEARTEXT},   {2, 143, VERDICT_IMPLICIT_TLS},
			{2, 143, VERDICT_STARTTLS},    {3, 110, VERDICT_DOWNGRADED},
			{4, 25, VERDICT_CLEARTEXT},    {5, 143, VERDICT_TLS_FAILED},
			{6, 25, VERDICT_IMPLICIT_TLS},
		};

		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			mk(&s, id++, all[i].host, all[i].port, all[i].v, 0);
			if (all[i].host == 4)
				assert_non_null(proto_facts_add_login(&s.pf, "PLAIN"));
			if (all[i].host == 6)
				s.alerts = 1u << ALERT_TLS_OBSOLETE_VERSION;
			summary_add(sum, &s);
		}
	}
	tui_model_set_server_sort(m, TUI_SERVERS_ADDRESS);
	a = tui_model_servers(m, &na);
	b = summary_servers(sum, &nb);
	assert_int_equal(na, 6);
	assert_int_equal(nb, 6);
	for (size_t i = 0; i < na; i++) {
		assert_memory_equal(a[i].ip, b[i].ip, 16);
		assert_int_equal(a[i].port, b[i].port);
		assert_int_equal(a[i].sessions, b[i].sessions);
		assert_memory_equal(a[i].verdicts, b[i].verdicts, sizeof(a[i].verdicts));
		assert_int_equal(a[i].logins, b[i].logins);
		assert_int_equal(a[i].alerts, b[i].alerts);
	}
	summary_free(sum);
	tui_model_free(m);
}

static void
test_tui_servers_put_downgrades_then_logins_then_cleartext_and_failures_first(void **state)
{
	struct tui_model *m = six_servers();

	(void)state;
	assert_int_equal(tui_model_server_sort(m), TUI_SERVERS_PROBLEMS);
	assert_string_equal(tui_server_sort_name(TUI_SERVERS_PROBLEMS), "problems first");
	/* downgraded; login; one cleartext or failed each: 2:143 is 67%
	 * encrypted, 5:143 0% (lower first); alert; clean. */
	assert_string_equal(order(m), "3:110,4:25,5:143,2:143,6:25,1:25");
	tui_model_free(m);
}

static void
test_tui_servers_put_a_violated_mail_policy_before_every_other_problem(void **state)
{
	struct tui_model *m = six_servers();
	const struct summary_row *r;
	struct session s;
	size_t n;

	(void)state;
	/* 7:25: one stripped delivery to a DANE- and MTA-STS-protected MX,
	 * one over STARTTLS; 8:25 under a policy, kept; 9:25 tunnelled. */
	mk(&s, 100, 7, 25, VERDICT_CLEARTEXT, 3);
	s.policy.source = POLICY_SOURCE_DNS;
	s.policy.mta_sts = STS_TESTING;
	snprintf(s.policy.domain, sizeof(s.policy.domain), "example.test");
	s.alerts = 1u << ALERT_MTA_STS_VIOLATION;
	add(m, &s);
	mk(&s, 101, 7, 25, VERDICT_STARTTLS, 3);
	s.policy.source = POLICY_SOURCE_FILE;
	s.policy.mta_sts = STS_ENFORCE;
	s.policy.dane = true;
	snprintf(s.policy.domain, sizeof(s.policy.domain), "example.test");
	add(m, &s);
	mk(&s, 102, 8, 25, VERDICT_STARTTLS, 3);
	s.policy.source = POLICY_SOURCE_DNS;
	s.policy.dane = true;
	snprintf(s.policy.domain, sizeof(s.policy.domain), "other.test");
	add(m, &s);
	mk(&s, 103, 9, 25, VERDICT_STARTTLS, 3);
	s.tunnel_depth = 1;
	s.tunnels[0] = TUNNEL_GENEVE;
	add(m, &s);
	assert_string_equal(order(m), "7:25,3:110,4:25,5:143,2:143,6:25,1:25,8:25,9:25");
	r = tui_model_servers(m, &n);
	assert_int_equal(r[0].policy_sessions, 2);
	assert_int_equal(r[0].policy_violations, 1);
	assert_int_equal(r[0].policy_mta_sts, STS_ENFORCE);
	assert_true(r[0].policy_dane);
	assert_string_equal(r[0].policy_domain, "example.test");
	assert_true(tui_server_is_problem(&r[0]));
	assert_false(tui_server_is_problem(&r[7]));
	assert_int_equal(r[7].policy_violations, 0);
	assert_int_equal(r[8].tunnelled, 1);
	assert_int_equal(r[8].tunnel_depth, 1);
	assert_int_equal(r[8].tunnels[0], TUNNEL_GENEVE);
	assert_int_equal(r[0].tunnelled, 0);
	tui_model_free(m);
}

static void
test_tui_servers_sort_by_sessions_share_and_address(void **state)
{
	struct tui_model *m = six_servers();

	(void)state;
	tui_model_set_server_sort(m, TUI_SERVERS_SESSIONS);
	assert_string_equal(order(m), "1:25,2:143,3:110,4:25,5:143,6:25");
	tui_model_set_server_sort(m, TUI_SERVERS_ENCRYPTED);
	/* 0% first (problems order among them), then 67%, then 100%. */
	assert_string_equal(order(m), "3:110,4:25,5:143,2:143,6:25,1:25");
	tui_model_set_server_sort(m, TUI_SERVERS_ADDRESS);
	assert_string_equal(order(m), "1:25,2:143,3:110,4:25,5:143,6:25");
	tui_model_set_server_sort(m, TUI_SERVERS_SORT_COUNT);
	assert_int_equal(tui_model_server_sort(m), TUI_SERVERS_PROBLEMS);
	tui_model_free(m);
}

static void
test_tui_servers_a_problem_is_cleartext_downgraded_failed_a_login_or_an_alert(void **state)
{
	struct tui_model *m = six_servers();
	const struct summary_row *r;
	size_t n, problems = 0;

	(void)state;
	r = tui_model_servers(m, &n);
	for (size_t i = 0; i < n; i++)
		problems += tui_server_is_problem(&r[i]);
	assert_int_equal(problems, 5); /* all but 1:25 */
	tui_model_free(m);
}

static void
test_tui_servers_and_timeline_stay_still_while_paused(void **state)
{
	struct tui_model *m = six_servers();
	struct session s;
	size_t n, nt;
	uint64_t w;

	(void)state;
	assert_string_equal(order(m), "3:110,4:25,5:143,2:143,6:25,1:25");
	tui_model_timeline(m, &nt, &w);
	assert_int_equal(nt, 4);
	tui_model_set_paused(m, true);
	mk(&s, 99, 7, 25, VERDICT_DOWNGRADED, 9);
	add(m, &s);
	assert_string_equal(order(m), "3:110,4:25,5:143,2:143,6:25,1:25");
	tui_model_timeline(m, &nt, &w);
	assert_int_equal(nt, 4);
	/* A new sort re-reads the current data, as the sessions list does. */
	tui_model_set_server_sort(m, TUI_SERVERS_PROBLEMS);
	tui_model_servers(m, &n);
	assert_int_equal(n, 7);
	tui_model_set_paused(m, false);
	tui_model_timeline(m, &nt, &w);
	assert_int_equal(nt, 10);
	assert_int_equal(w, 1000000);
	assert_string_equal(order(m), "3:110,7:25,4:25,5:143,2:143,6:25,1:25");
	tui_model_free(m);

	/* Frozen as of the pause, not of the first look after it. */
	m = six_servers();
	tui_model_set_paused(m, true);
	mk(&s, 99, 7, 25, VERDICT_DOWNGRADED, 9);
	add(m, &s);
	tui_model_servers(m, &n);
	assert_int_equal(n, 6);
	tui_model_timeline(m, &nt, &w);
	assert_int_equal(nt, 4);
	tui_model_free(m);
}

static void
test_tui_servers_filter_word_server_matches_the_endpoint_exactly(void **state)
{
	struct tui_model *m = tui_model_new(10, 10);
	struct session s;

	(void)state;
	mk(&s, 1, 1, 25, VERDICT_STARTTLS, 0);
	add(m, &s);
	mk(&s, 2, 1, 250, VERDICT_CLEARTEXT, 0);
	add(m, &s);
	mk(&s, 3, 10, 25, VERDICT_CLEARTEXT, 0);
	add(m, &s);
	assert_int_equal(tui_model_set_filter(m, "server:10.0.1.1:25"), 0);
	assert_int_equal(tui_model_rows(m), 1);
	assert_int_equal(tui_model_row(m, 0)->id, 1);
	assert_int_equal(tui_model_set_filter(m, "!server:10.0.1.1:25"), 0);
	assert_int_equal(tui_model_rows(m), 2);
	tui_model_free(m);
}

static void
test_tui_spark_level_keeps_the_ends_for_none_and_all(void **state)
{
	(void)state;
	assert_int_equal(tui_spark_level(0, 0, 8), -1);
	assert_int_equal(tui_spark_level(0, 5, 8), 0);
	assert_int_equal(tui_spark_level(5, 5, 8), 7);
	/* Almost none and almost all stay off the ends. */
	assert_int_equal(tui_spark_level(1, 1000, 8), 1);
	assert_int_equal(tui_spark_level(999, 1000, 8), 6);
	/* Half: 1 + floor(0.5 * 6). */
	assert_int_equal(tui_spark_level(1, 2, 8), 4);
	assert_int_equal(tui_spark_level(2, 3, 8), 5);
	/* Two levels: none or not none. */
	assert_int_equal(tui_spark_level(0, 3, 2), 0);
	assert_int_equal(tui_spark_level(1, 3, 2), 1);
	assert_int_equal(tui_spark_level(1, 3, 1), 1);
	/* Levels rise with the share. */
	for (uint64_t e = 1; e < 100; e++)
		assert_true(tui_spark_level(e, 100, 8) <= tui_spark_level(e + 1, 100, 8));
}

static void
test_tui_spark_groups_buckets_when_there_are_more_than_marks(void **state)
{
	struct summary_bucket b[SUMMARY_BUCKETS];
	struct tui_spark_mark k[SUMMARY_BUCKETS];
	uint64_t mark_us;
	size_t n;

	(void)state;
	memset(b, 0, sizeof(b));
	for (size_t i = 0; i < 5; i++) {
		b[i].start_us = T0 + i * 10000000ull;
		b[i].sessions = 2;
		b[i].verdicts[VERDICT_STARTTLS] = i % 2 ? 2 : 0;
		b[i].verdicts[VERDICT_CLEARTEXT] = i % 2 ? 0 : 2;
	}
	b[2].sessions = 0; /* an empty bucket */
	b[2].verdicts[VERDICT_CLEARTEXT] = 0;
	/* Room for all: one mark a bucket. */
	n = tui_spark_compute(b, 5, 10000000, 48, 8, k, &mark_us);
	assert_int_equal(n, 5);
	assert_int_equal(mark_us, 10000000);
	assert_int_equal(k[0].level, 0);
	assert_int_equal(k[1].level, 7);
	assert_int_equal(k[2].level, -1);
	assert_int_equal(k[3].level, 7);
	assert_int_equal(k[4].level, 0);
	/* Two marks: three buckets, then two. */
	n = tui_spark_compute(b, 5, 10000000, 2, 8, k, &mark_us);
	assert_int_equal(n, 2);
	assert_int_equal(mark_us, 30000000);
	assert_int_equal(k[0].sessions, 4);
	assert_int_equal(k[0].encrypted, 2);
	assert_int_equal(k[0].level, 4);
	assert_int_equal(k[1].sessions, 4);
	assert_int_equal(k[1].encrypted, 2);
	/* Nothing to draw. */
	assert_int_equal(tui_spark_compute(b, 0, 1000000, 48, 8, k, &mark_us), 0);
	assert_int_equal(tui_spark_compute(b, 5, 1000000, 0, 8, k, &mark_us), 0);
	/* 48 buckets in 20 marks: 3 a mark, 16 marks. */
	for (size_t i = 0; i < SUMMARY_BUCKETS; i++) {
		b[i].sessions = 1;
		b[i].verdicts[VERDICT_IMPLICIT_TLS] = 1;
	}
	n = tui_spark_compute(b, SUMMARY_BUCKETS, 1000000, 20, 8, k, &mark_us);
	assert_int_equal(n, 16);
	assert_int_equal(mark_us, 3000000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(k[i].sessions, 3);
}

static void
test_tui_spark_follows_the_models_sessions_over_time(void **state)
{
	struct tui_model *m = six_servers();
	struct tui_spark_mark k[SUMMARY_BUCKETS];
	const struct summary_bucket *b;
	uint64_t w, mark_us;
	size_t n;

	(void)state;
	b = tui_model_timeline(m, &n, &w);
	assert_int_equal(n, 4);
	n = tui_spark_compute(b, n, w, 48, 8, k, &mark_us);
	assert_int_equal(n, 4);
	assert_int_equal(k[0].level, 7); /* 4 starttls */
	assert_int_equal(k[1].level, 5); /* 2 of 3 */
	assert_int_equal(k[2].level, 0); /* downgraded, cleartext */
	assert_int_equal(k[3].level, 4); /* failed, implicit */
	tui_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tui_servers_rows_are_the_summary_modules_per_server_rows),
		cmocka_unit_test(
			test_tui_servers_put_downgrades_then_logins_then_cleartext_and_failures_first),
		cmocka_unit_test(
			test_tui_servers_put_a_violated_mail_policy_before_every_other_problem),
		cmocka_unit_test(test_tui_servers_sort_by_sessions_share_and_address),
		cmocka_unit_test(
			test_tui_servers_a_problem_is_cleartext_downgraded_failed_a_login_or_an_alert),
		cmocka_unit_test(test_tui_servers_and_timeline_stay_still_while_paused),
		cmocka_unit_test(test_tui_servers_filter_word_server_matches_the_endpoint_exactly),
		cmocka_unit_test(test_tui_spark_level_keeps_the_ends_for_none_and_all),
		cmocka_unit_test(test_tui_spark_groups_buckets_when_there_are_more_than_marks),
		cmocka_unit_test(test_tui_spark_follows_the_models_sessions_over_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
