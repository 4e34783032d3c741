/*
 * test_tui_model.c - the dashboard's data model (src/sink/tui/model*.c) without a
 * terminal: sort orders, the filter language, problems only, pause, bounded
 * rows and alerts with exact per-port counts (checked against
 * src/summary.c on the same sessions), rates, and the detail text (which
 * must never contain a secret).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui_model.h"

/* A judged TCP session from 10.0.0.<client>:40000+id to 10.0.1.<host>:port. */
static void
mk(struct session *s, uint64_t id, uint8_t client, uint8_t host, uint16_t port, const char *service,
   enum verdict v, enum reason r)
{
	session_init(s, id, 1700000000000000ull + id * 1000000ull);
	s->ts_last_us = s->ts_first_us + 500000;
	s->family = 4;
	s->client_ip[0] = 10;
	s->client_ip[3] = client;
	s->server_ip[0] = 10;
	s->server_ip[2] = 1;
	s->server_ip[3] = host;
	s->client_port = (uint16_t)(40000 + id);
	s->server_port = port;
	s->service = service;
	s->verdict = v;
	s->reason = r;
	s->end = END_FIN;
	s->packets = 10;
}

static void
add_login(struct session *s, const char *mech, const char *user, const char *secret)
{
	struct login *l = proto_facts_add_login(&s->pf, mech);

	assert_non_null(l);
	snprintf(l->username, sizeof(l->username), "%s", user);
	snprintf(l->secret, sizeof(l->secret), "%s", secret);
	l->has_secret = true;
	l->outcome = LOGIN_SUCCESS;
}

static struct tui_model *
model(size_t rows, size_t alerts)
{
	struct tui_model *m = tui_model_new(rows, alerts);

	assert_non_null(m);
	return m;
}

static void
add(struct tui_model *m, const struct session *s)
{
	assert_int_equal(tui_model_add_session(m, s), 0);
}

/* The view's session ids, in order, as "3,2,1". */
static const char *
ids(struct tui_model *m)
{
	static char buf[1024];
	size_t n = tui_model_rows(m), len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(buf) - 24; i++) {
		const struct tui_row *r = tui_model_row(m, i);

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%llu", i ? "," : "",
					r ? (unsigned long long)r->id : 0ull);
	}
	return buf;
}

/* Five sessions covering every kind of verdict. */
static void
add_five(struct tui_model *m)
{
	struct session s;

	mk(&s, 1, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	s.tf.server_hello = true;
	s.tf.version = 0x0304;
	snprintf(s.tf.sni, sizeof(s.tf.sni), "Mail.Example.TEST");
	add(m, &s);
	mk(&s, 2, 2, 2, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	add(m, &s);
	mk(&s, 3, 3, 1, 993, "imap", VERDICT_IMPLICIT_TLS, REASON_NONE);
	s.tf.server_hello = true;
	s.tf.version = 0x0303;
	add(m, &s);
	mk(&s, 4, 4, 1, 110, "pop3", VERDICT_DOWNGRADED, REASON_UPGRADE_REFUSED);
	s.alerts = 1u << ALERT_UPGRADE_REFUSED;
	add(m, &s);
	mk(&s, 5, 5, 3, 143, "imap", VERDICT_TLS_FAILED, REASON_ALERT);
	add(m, &s);
}

static void
test_tui_model_lists_sessions_newest_first_by_default(void **state)
{
	struct tui_model *m = model(100, 100);

	(void)state;
	assert_int_equal(tui_model_sort(m), TUI_SORT_NEWEST);
	assert_int_equal(tui_model_rows(m), 0);
	assert_null(tui_model_row(m, 0));
	add_five(m);
	assert_string_equal(ids(m), "5,4,3,2,1");
	assert_null(tui_model_row(m, 5));
	tui_model_free(m);
}

static void
test_tui_model_newest_means_last_finished_not_highest_id(void **state)
{
	struct tui_model *m = model(100, 100);
	struct session s;

	(void)state;
	/* Sessions finish out of id order: the list follows the finishing order. */
	mk(&s, 7, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	add(m, &s);
	mk(&s, 3, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	add(m, &s);
	assert_string_equal(ids(m), "3,7");
	tui_model_set_sort(m, TUI_SORT_START);
	assert_string_equal(ids(m), "7,3");
	tui_model_free(m);
}

static void
test_tui_model_sort_orders_by_start_server_verdict_and_service(void **state)
{
	struct tui_model *m = model(100, 100);

	(void)state;
	add_five(m);
	tui_model_set_sort(m, TUI_SORT_START);
	assert_string_equal(ids(m), "5,4,3,2,1");
	/* 10.0.1.1:25, :110, :993, then 10.0.1.2:25, 10.0.1.3:143 */
	tui_model_set_sort(m, TUI_SORT_SERVER);
	assert_string_equal(ids(m), "1,4,3,2,5");
	/* downgraded, tls-failed, cleartext, starttls, implicit-tls */
	tui_model_set_sort(m, TUI_SORT_VERDICT);
	assert_string_equal(ids(m), "4,5,2,1,3");
	/* imap (newest first within), pop3, smtp */
	tui_model_set_sort(m, TUI_SORT_SERVICE);
	assert_string_equal(ids(m), "5,3,4,2,1");
	tui_model_set_sort(m, TUI_SORT_COUNT);
	assert_int_equal(tui_model_sort(m), TUI_SORT_NEWEST);
	for (int k = 0; k < TUI_SORT_COUNT; k++)
		assert_string_not_equal(tui_sort_name((enum tui_sort)k), "?");
	tui_model_free(m);
}

static void
test_tui_model_filter_by_port_matches_the_server_port_exactly(void **state)
{
	struct tui_model *m = model(100, 100);

	(void)state;
	add_five(m);
	assert_int_equal(tui_model_set_filter(m, "port:25"), 0);
	assert_string_equal(tui_model_filter(m), "port:25");
	assert_string_equal(ids(m), "2,1");
	tui_model_set_filter(m, "port:2");
	assert_string_equal(ids(m), "");
	tui_model_set_filter(m, "port:notanumber");
	assert_string_equal(ids(m), "");
	/* Client ports (40001...) are not server ports. */
	tui_model_set_filter(m, "port:40001");
	assert_string_equal(ids(m), "");
	tui_model_set_filter(m, "");
	assert_string_equal(ids(m), "5,4,3,2,1");
	tui_model_set_filter(m, NULL);
	assert_string_equal(ids(m), "5,4,3,2,1");
	tui_model_free(m);
}

static void
test_tui_model_filter_keys_select_service_verdict_reason_ip_user_and_alert(void **state)
{
	struct tui_model *m = model(100, 100);
	struct session s;

	(void)state;
	add_five(m);
	mk(&s, 6, 9, 4, 587, "smtp", VERDICT_CLEARTEXT, REASON_NOT_REQUESTED);
	add_login(&s, "PLAIN", "Alice", "hunter2");
	s.alerts = 1u << ALERT_CLEARTEXT_LOGIN;
	add(m, &s);

	tui_model_set_filter(m, "service:IMAP");
	assert_string_equal(ids(m), "5,3");
	tui_model_set_filter(m, "verdict:clear");
	assert_string_equal(ids(m), "6,2");
	tui_model_set_filter(m, "reason:not-off");
	assert_string_equal(ids(m), "2");
	tui_model_set_filter(m, "ip:10.0.1.3");
	assert_string_equal(ids(m), "5");
	tui_model_set_filter(m, "ip:10.0.0.9");
	assert_string_equal(ids(m), "6");
	tui_model_set_filter(m, "user:ali");
	assert_string_equal(ids(m), "6");
	tui_model_set_filter(m, "alert:login");
	assert_string_equal(ids(m), "6");
	tui_model_set_filter(m, "alert:");
	assert_string_equal(ids(m), "6,4");
	tui_model_free(m);
}

static void
test_tui_model_plain_words_match_endpoints_tls_sni_users_and_alerts_in_any_case(void **state)
{
	struct tui_model *m = model(100, 100);
	struct session s;

	(void)state;
	add_five(m);
	mk(&s, 6, 9, 4, 587, "smtp", VERDICT_CLEARTEXT, REASON_NOT_REQUESTED);
	add_login(&s, "LOGIN", "bob", "s3cret");
	s.alerts = 1u << ALERT_CLEARTEXT_LOGIN;
	add(m, &s);

	tui_model_set_filter(m, "SMTP");
	assert_string_equal(ids(m), "6,2,1");
	tui_model_set_filter(m, "10.0.1.1:993");
	assert_string_equal(ids(m), "3");
	tui_model_set_filter(m, "tlsv1.3");
	assert_string_equal(ids(m), "1");
	tui_model_set_filter(m, "mail.example");
	assert_string_equal(ids(m), "1");
	tui_model_set_filter(m, "BOB");
	assert_string_equal(ids(m), "6");
	tui_model_set_filter(m, "cleartext-login");
	assert_string_equal(ids(m), "6");
	tui_model_set_filter(m, "upgrade-refused");
	assert_string_equal(ids(m), "4");
	tui_model_set_filter(m, "#5");
	assert_string_equal(ids(m), "5");
	/* The secret is not searchable: it was never copied. */
	tui_model_set_filter(m, "s3cret");
	assert_string_equal(ids(m), "");
	tui_model_free(m);
}

static void
test_tui_model_filter_words_must_all_match_and_a_bang_negates(void **state)
{
	struct tui_model *m = model(100, 100);

	(void)state;
	add_five(m);
	tui_model_set_filter(m, "  imap   port:993 ");
	assert_string_equal(ids(m), "3");
	tui_model_set_filter(m, "imap !port:993");
	assert_string_equal(ids(m), "5");
	tui_model_set_filter(m, "!smtp !pop3");
	assert_string_equal(ids(m), "5,3");
	tui_model_set_filter(m, "!");
	assert_string_equal(ids(m), "5,4,3,2,1");
	tui_model_free(m);
}

static void
test_tui_model_a_filter_longer_than_the_limit_is_refused_and_changes_nothing(void **state)
{
	struct tui_model *m = model(100, 100);
	char longf[TUI_FILTER_MAX + 10];

	(void)state;
	add_five(m);
	tui_model_set_filter(m, "imap");
	memset(longf, 'a', sizeof(longf) - 1);
	longf[sizeof(longf) - 1] = '\0';
	assert_int_equal(tui_model_set_filter(m, longf), -1);
	assert_string_equal(tui_model_filter(m), "imap");
	assert_string_equal(ids(m), "5,3");
	tui_model_free(m);
}

static void
test_tui_model_problems_only_keeps_cleartext_downgraded_failed_and_alerted(void **state)
{
	struct tui_model *m = model(100, 100);
	struct session s;

	(void)state;
	add_five(m);
	/* starttls, but with an alert: a problem */
	mk(&s, 6, 6, 1, 110, "pop3", VERDICT_STARTTLS, REASON_NONE);
	s.alerts = 1u << ALERT_AUTH_OFFERED_CLEARTEXT;
	add(m, &s);
	mk(&s, 7, 7, 1, 25, "smtp", VERDICT_UNKNOWN, REASON_MIDSTREAM);
	add(m, &s);

	tui_model_set_problems_only(m, true);
	assert_true(tui_model_problems_only(m));
	assert_string_equal(ids(m), "6,5,4,2");
	/* With a filter too: both apply. */
	tui_model_set_filter(m, "pop3");
	assert_string_equal(ids(m), "6,4");
	tui_model_set_problems_only(m, false);
	assert_string_equal(ids(m), "6,4");
	tui_model_set_filter(m, "");
	assert_string_equal(ids(m), "7,6,5,4,3,2,1");
	tui_model_free(m);
}

static uint64_t
port_sessions(struct tui_model *m, uint16_t port)
{
	size_t n;
	const struct summary_row *r = tui_model_ports(m, &n);

	for (size_t i = 0; i < n; i++)
		if (r[i].port == port)
			return r[i].sessions;
	return 0;
}

static void
test_tui_model_keeps_the_most_recent_rows_while_per_port_counts_stay_exact(void **state)
{
	struct tui_model *m = model(3, 100);
	struct session s;

	(void)state;
	for (uint64_t id = 1; id <= 10; id++) {
		mk(&s, id, 1, 1, id % 2 ? 25 : 110, id % 2 ? "smtp" : "pop3",
		   id % 3 ? VERDICT_STARTTLS : VERDICT_CLEARTEXT, REASON_NONE);
		add(m, &s);
	}
	assert_string_equal(ids(m), "10,9,8");
	assert_int_equal(tui_model_sessions_seen(m), 10);
	assert_int_equal(tui_model_rows_kept(m), 3);
	assert_int_equal(tui_model_rows_dropped(m), 7);
	assert_int_equal(tui_model_counters(m)->sessions, 10);
	assert_int_equal(port_sessions(m, 25), 5);
	assert_int_equal(port_sessions(m, 110), 5);
	assert_null(tui_model_find_row(m, 7));
	assert_non_null(tui_model_find_row(m, 8));
	/* Problems only over the kept rows: 9 is cleartext. */
	tui_model_set_problems_only(m, true);
	assert_string_equal(ids(m), "9");
	tui_model_free(m);
}

static void
test_tui_model_a_one_row_model_keeps_only_the_last_session(void **state)
{
	struct tui_model *m = model(1, 1);
	struct session s;
	struct alert a;

	(void)state;
	for (uint64_t id = 1; id <= 3; id++) {
		mk(&s, id, 1, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
		add(m, &s);
		memset(&a, 0, sizeof(a));
		a.session_id = id;
		a.kind = ALERT_CLEARTEXT_LOGIN;
		tui_model_add_alert(m, &a);
	}
	assert_string_equal(ids(m), "3");
	assert_int_equal(tui_model_alerts(m), 1);
	assert_int_equal(tui_model_alert(m, 0)->a.session_id, 3);
	assert_int_equal(tui_model_alerts_seen(m), 3);
	assert_int_equal(tui_model_alerts_dropped(m), 2);
	assert_int_equal(port_sessions(m, 25), 3);
	tui_model_free(m);
}

static void
test_tui_model_per_port_counts_equal_the_summary_module_for_the_same_sessions(void **state)
{
	static const uint16_t ports[] = {25, 110, 143, 465, 587, 993, 995, 2525};
	static const char *const svcs[] = {"smtp", "pop3", "imap", "unknown", "tls"};
	struct tui_model *m = model(50, 50);
	struct summary *sum = summary_new();
	const struct summary_row *a, *b;
	size_t na, nb;
	struct session s;
	uint32_t seed = 12345;

	(void)state;
	assert_non_null(sum);
	for (uint64_t id = 1; id <= 2000; id++) {
		seed = seed * 1103515245u + 12345u;
		mk(&s, id, (uint8_t)(seed >> 8), (uint8_t)(seed >> 16) % 4, ports[(seed >> 4) % 8],
		   svcs[(seed >> 12) % 5], (enum verdict)((seed >> 20) % VERDICT_COUNT),
		   REASON_NONE);
		if ((seed >> 24) % 5 == 0)
			add_login(&s, "USER", "u", "p");
		if ((seed >> 27) % 4 == 0)
			s.alerts = 1u << ALERT_CLEARTEXT_LOGIN;
		add(m, &s);
		assert_int_equal(summary_add(sum, &s), 0);
	}
	a = tui_model_ports(m, &na);
	b = summary_ports(sum, &nb);
	assert_int_equal(na, nb);
	assert_int_equal(na, 8);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].port, b[i].port);
		assert_string_equal(a[i].service, b[i].service);
		assert_int_equal(a[i].sessions, b[i].sessions);
		assert_int_equal(a[i].logins, b[i].logins);
		assert_int_equal(a[i].alerts, b[i].alerts);
		for (int v = 0; v < VERDICT_COUNT; v++)
			assert_int_equal(a[i].verdicts[v], b[i].verdicts[v]);
	}
	assert_int_equal(tui_model_rows_kept(m), 50);
	summary_free(sum);
	tui_model_free(m);
}

static void
add_alert(struct tui_model *m, uint64_t sid, enum alert_kind k, uint16_t port, const char *ev)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.kind = k;
	a.severity = k == ALERT_AUTH_OFFERED_CLEARTEXT ? SEVERITY_LOW : SEVERITY_HIGH;
	a.session_id = sid;
	a.family = 4;
	a.server_ip[0] = 10;
	a.server_ip[2] = 1;
	a.server_ip[3] = 1;
	a.server_port = port;
	a.service = port == 110 ? "pop3" : "smtp";
	snprintf(a.evidence, sizeof(a.evidence), "%s", ev);
	tui_model_add_alert(m, &a);
}

static void
test_tui_model_alerts_are_newest_first_bounded_and_follow_the_filter(void **state)
{
	struct tui_model *m = model(100, 3);
	const struct tui_alert *a;

	(void)state;
	add_alert(m, 1, ALERT_CLEARTEXT_LOGIN, 25, "smtp PLAIN user=alice");
	add_alert(m, 2, ALERT_UPGRADE_REFUSED, 110, "-ERR no TLS for you");
	add_alert(m, 3, ALERT_AUTH_OFFERED_CLEARTEXT, 110, "pop3 server offers logins");
	add_alert(m, 4, ALERT_CLEARTEXT_LOGIN, 25, "smtp LOGIN user=bob");
	assert_int_equal(tui_model_alerts(m), 3);
	assert_int_equal(tui_model_alert(m, 0)->a.session_id, 4);
	assert_int_equal(tui_model_alert(m, 2)->a.session_id, 2);
	assert_null(tui_model_alert(m, 3));
	assert_int_equal(tui_model_alerts_seen(m), 4);
	assert_int_equal(tui_model_alerts_dropped(m), 1);
	assert_int_equal(tui_model_counters(m)->alerts, 4);
	assert_null(tui_model_find_alert(m, 1));
	a = tui_model_find_alert(m, 4);
	assert_non_null(a);
	assert_string_equal(a->server, "10.0.1.1:25");

	tui_model_set_filter(m, "port:110");
	assert_int_equal(tui_model_alerts(m), 2);
	tui_model_set_filter(m, "no tls");
	assert_int_equal(tui_model_alerts(m), 1);
	assert_int_equal(tui_model_alert(m, 0)->a.kind, ALERT_UPGRADE_REFUSED);
	tui_model_set_filter(m, "alert:login");
	assert_int_equal(tui_model_alerts(m), 1);
	/* Words about verdicts or users leave the alerts list alone. */
	tui_model_set_filter(m, "verdict:cleartext user:x");
	assert_int_equal(tui_model_alerts(m), 3);
	tui_model_set_filter(m, "service:pop3 low");
	assert_int_equal(tui_model_alerts(m), 1);
	assert_true(tui_alert_matches(tui_model_find_alert(m, 3), "#3"));
	assert_false(tui_alert_matches(tui_model_find_alert(m, 3), "!#3"));
	tui_model_free(m);
}

static void
test_tui_model_pause_freezes_the_lists_and_ports_while_counting_goes_on(void **state)
{
	struct tui_model *m = model(100, 100);
	struct session s;
	size_t n;

	(void)state;
	add_five(m);
	add_alert(m, 4, ALERT_UPGRADE_REFUSED, 110, "-ERR");
	assert_string_equal(ids(m), "5,4,3,2,1");
	tui_model_set_paused(m, true);
	assert_true(tui_model_paused(m));
	mk(&s, 6, 6, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	add(m, &s);
	add_alert(m, 6, ALERT_CLEARTEXT_LOGIN, 25, "x");
	assert_string_equal(ids(m), "5,4,3,2,1");
	assert_int_equal(tui_model_alerts(m), 1);
	assert_int_equal(port_sessions(m, 25), 2);
	tui_model_ports(m, &n);
	assert_int_equal(n, 4);
	/* The counters keep counting. */
	assert_int_equal(tui_model_sessions_seen(m), 6);
	assert_int_equal(tui_model_counters(m)->alerts, 2);
	tui_model_set_paused(m, false);
	assert_string_equal(ids(m), "6,5,4,3,2,1");
	assert_int_equal(tui_model_alerts(m), 2);
	assert_int_equal(port_sessions(m, 25), 3);
	tui_model_free(m);
}

static void
test_tui_model_changing_the_filter_while_paused_reads_the_current_data(void **state)
{
	struct tui_model *m = model(100, 100);
	struct session s;

	(void)state;
	add_five(m);
	tui_model_set_paused(m, true);
	mk(&s, 6, 6, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	add(m, &s);
	assert_string_equal(ids(m), "5,4,3,2,1");
	tui_model_set_filter(m, "smtp");
	assert_string_equal(ids(m), "6,2,1");
	/* ... and stays frozen after that. */
	mk(&s, 7, 6, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	add(m, &s);
	assert_string_equal(ids(m), "6,2,1");
	tui_model_free(m);
}

static void
test_tui_model_a_paused_view_gives_null_for_rows_dropped_meanwhile(void **state)
{
	struct tui_model *m = model(3, 100);
	struct session s;

	(void)state;
	for (uint64_t id = 1; id <= 3; id++) {
		mk(&s, id, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
		add(m, &s);
	}
	assert_int_equal(tui_model_rows(m), 3);
	tui_model_set_paused(m, true);
	for (uint64_t id = 4; id <= 5; id++) {
		mk(&s, id, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
		add(m, &s);
	}
	assert_int_equal(tui_model_rows(m), 3);
	assert_int_equal(tui_model_row(m, 0)->id, 3);
	assert_null(tui_model_row(m, 1));
	assert_null(tui_model_row(m, 2));
	tui_model_free(m);
}

static bool
text_has(const struct tui_text *t, const char *needle)
{
	for (size_t i = 0; i < t->n; i++)
		if (strstr(t->lines[i].text, needle))
			return true;
	return false;
}

static void
test_tui_model_detail_shows_capabilities_upgrade_tls_alerts_and_redacted_logins(void **state)
{
	struct tui_model *m = model(100, 100);
	struct tui_text t = {0};
	struct session s;

	(void)state;
	mk(&s, 9, 1, 1, 587, "smtp", VERDICT_DOWNGRADED, REASON_UPGRADE_REFUSED);
	s.pf.capa_seen = true;
	s.pf.tls_offered = true;
	s.pf.upgrade_requested = true;
	s.pf.upgrade_refused = true;
	proto_facts_add_capa(&s.pf, (const uint8_t *)"PIPELINING", 10);
	proto_facts_add_capa(&s.pf, (const uint8_t *)"STARTTLS", 8);
	proto_facts_set_upgrade_reply(&s.pf, (const uint8_t *)"454 4.7.0 TLS not available\r\n",
				      29);
	proto_facts_indicate(&s.pf, IND_UPGRADE_REFUSED, (const uint8_t *)"454 4.7.0\r\n", 11);
	add_login(&s, "PLAIN", "alice", "TopSecret99");
	s.tf.client_hello = true;
	s.tf.client_max_version = 0x0304;
	s.alerts = (1u << ALERT_UPGRADE_REFUSED) | (1u << ALERT_CLEARTEXT_LOGIN);
	add(m, &s);
	add_alert(m, 9, ALERT_UPGRADE_REFUSED, 587, "454 4.7.0 TLS not available");

	assert_int_equal(tui_model_detail_session(m, 9, &t), 0);
	assert_true(text_has(&t, "Session #9"));
	assert_true(text_has(&t, "! downgraded/upgrade-refused"));
	assert_true(text_has(&t, "PIPELINING STARTTLS"));
	assert_true(text_has(&t, "refused: \"454 4.7.0 TLS not available\""));
	assert_true(text_has(&t, "client max    TLSv1.3"));
	assert_true(text_has(&t, "user=alice secret=******** success"));
	assert_true(text_has(&t, "454 4.7.0 TLS not available"));
	/* Kept alert with its evidence, and the kind whose alert was not seen. */
	assert_true(text_has(&t, "(evidence no longer kept)"));
	assert_true(text_has(&t, "454 4.7.0\\r\\n"));
	assert_false(text_has(&t, "TopSecret99"));
	assert_int_equal(t.lines[0].tone, TUI_TONE_BAD);
	/* The secret is not anywhere in the model's copy of the session. */
	assert_null(memmem(tui_model_find_row(m, 9), sizeof(struct tui_row), "TopSecret99", 11));

	assert_int_equal(tui_model_detail_session(m, 10, &t), -1);
	assert_int_equal(t.n, 0);
	tui_text_free(&t);
	tui_model_free(m);
}

static void
test_tui_model_detail_of_tls_session_names_version_cipher_and_sni(void **state)
{
	struct tui_model *m = model(100, 100);
	struct tui_text t = {0};
	struct session s;

	(void)state;
	mk(&s, 1, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	s.pf.capa_seen = s.pf.tls_offered = s.pf.upgrade_requested = s.pf.upgrade_accepted = true;
	proto_facts_set_upgrade_reply(&s.pf, (const uint8_t *)"220 2.0.0 Ready to start TLS\r\n",
				      30);
	s.tf.client_hello = s.tf.server_hello = s.tf.established = true;
	s.tf.version = 0x0304;
	s.tf.client_max_version = 0x0304;
	s.tf.cipher = 0x1302;
	snprintf(s.tf.sni, sizeof(s.tf.sni), "mail.tlswatch.test");
	add(m, &s);
	assert_int_equal(tui_model_detail_session(m, 1, &t), 0);
	assert_true(text_has(&t, "version       TLSv1.3"));
	assert_true(text_has(&t, "TLS_AES_256_GCM_SHA384"));
	assert_true(text_has(&t, "sni           mail.tlswatch.test"));
	assert_true(text_has(&t, "accepted: \"220 2.0.0 Ready to start TLS\""));
	assert_true(text_has(&t, "handshake     completed"));
	assert_true(text_has(&t, "(no capability list seen)") == false);
	tui_text_free(&t);
	tui_model_free(m);
}

static void
test_tui_model_detail_of_an_alert_includes_its_session_while_kept(void **state)
{
	struct tui_model *m = model(1, 100);
	struct tui_text t = {0};
	struct session s;

	(void)state;
	mk(&s, 1, 1, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_REQUESTED);
	s.alerts = 1u << ALERT_CLEARTEXT_LOGIN;
	add(m, &s);
	add_alert(m, 1, ALERT_CLEARTEXT_LOGIN, 25, "smtp PLAIN user=alice");
	assert_int_equal(tui_model_detail_alert(m, 1, &t), 0);
	assert_true(text_has(&t, "Alert  ! high  cleartext-login"));
	assert_true(text_has(&t, "evidence      smtp PLAIN user=alice"));
	assert_true(text_has(&t, "Session #1"));
	/* A newer session pushes it out of a one-row model. */
	mk(&s, 2, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	add(m, &s);
	assert_int_equal(tui_model_detail_alert(m, 1, &t), 0);
	assert_true(text_has(&t, "(session #1 is no longer kept)"));
	assert_int_equal(tui_model_detail_alert(m, 2, &t), -1);
	tui_text_free(&t);
	tui_model_free(m);
}

static void
test_tui_model_rates_are_measured_over_half_a_second_and_averaged_when_done(void **state)
{
	struct tui_model *m = model(10, 10);
	struct stats st;
	const struct tui_counters *c = tui_model_counters(m);

	(void)state;
	memset(&st, 0, sizeof(st));
	tui_model_set_stats(m, &st, 0, 1000000);
	st.packets = 100;
	st.bytes = 10000;
	tui_model_set_stats(m, &st, 3, 1200000);
	assert_int_equal(c->packets, 100);
	assert_int_equal(c->open_flows, 3);
	assert_true(c->packet_rate == 0); /* window not over yet */
	st.packets = 500;
	st.bytes = 50000;
	st.flows_evicted = 2;
	tui_model_set_stats(m, &st, 1, 2000000);
	assert_true(c->packet_rate > 499 && c->packet_rate < 501);
	assert_true(c->byte_rate > 49999 && c->byte_rate < 50001);
	assert_int_equal(c->elapsed_us, 1000000);
	assert_int_equal(c->evicted, 2);
	assert_false(c->drops_known);
	st.pcap_stats_valid = 1;
	st.pcap_dropped = 4;
	st.pcap_ifdropped = 1;
	st.packets = 1000;
	tui_model_set_stats(m, &st, 0, 3000000);
	assert_true(c->drops_known);
	assert_int_equal(c->drops, 5);
	/* No counters for over a second: the clock goes on, rates fall to 0. */
	tui_model_set_time(m, 3500000);
	assert_int_equal(c->elapsed_us, 2500000);
	assert_true(c->packet_rate > 0);
	tui_model_set_time(m, 4100000);
	assert_int_equal(c->elapsed_us, 3100000);
	assert_true(c->packet_rate == 0 && c->byte_rate == 0);
	tui_model_set_done(m, 5000000);
	assert_true(c->done);
	assert_int_equal(c->elapsed_us, 4000000);
	assert_true(c->packet_rate > 249 && c->packet_rate < 251);
	/* Frozen once done. */
	st.packets = 99999;
	tui_model_set_stats(m, &st, 0, 9000000);
	tui_model_set_time(m, 9000000);
	assert_int_equal(c->packets, 1000);
	assert_int_equal(c->elapsed_us, 4000000);
	tui_model_free(m);
}

static void
test_tui_model_markers_tell_verdicts_apart_without_colour(void **state)
{
	char seen[VERDICT_COUNT + 1] = {0};

	(void)state;
	assert_int_equal(tui_verdict_marker(VERDICT_IMPLICIT_TLS), '+');
	assert_int_equal(tui_verdict_marker(VERDICT_STARTTLS), '+');
	assert_int_equal(tui_verdict_marker(VERDICT_CLEARTEXT), '~');
	assert_int_equal(tui_verdict_marker(VERDICT_DOWNGRADED), '!');
	for (int v = VERDICT_STARTTLS; v < VERDICT_COUNT; v++) {
		seen[v] = tui_verdict_marker((enum verdict)v);
		for (int w = VERDICT_STARTTLS; w < v; w++)
			assert_int_not_equal(seen[v], seen[w]);
	}
	assert_int_equal(tui_verdict_tone(VERDICT_STARTTLS), TUI_TONE_GOOD);
	assert_int_equal(tui_verdict_tone(VERDICT_CLEARTEXT), TUI_TONE_WARN);
	assert_int_equal(tui_verdict_tone(VERDICT_DOWNGRADED), TUI_TONE_BAD);
	assert_int_equal(tui_verdict_tone(VERDICT_TLS_FAILED), TUI_TONE_BAD);
}

static void
test_tui_model_formats_counts_clocks_and_short_tls_versions(void **state)
{
	char b[32];
	struct tui_row r;

	(void)state;
	tui_format_count(0, b, sizeof(b));
	assert_string_equal(b, "0");
	tui_format_count(99999, b, sizeof(b));
	assert_string_equal(b, "99999");
	tui_format_count(123456, b, sizeof(b));
	assert_string_equal(b, "123.5k");
	tui_format_count(12345678, b, sizeof(b));
	assert_string_equal(b, "12.3M");
	tui_format_count(-5, b, sizeof(b));
	assert_string_equal(b, "0");
	tui_format_clock(1700000000ull * 1000000 + 999999, b, sizeof(b));
	assert_string_equal(b, "22:13:20");
	memset(&r, 0, sizeof(r));
	assert_string_equal(tui_tls_short(&r, b), "");
	r.client_hello = true;
	assert_string_equal(tui_tls_short(&r, b), "?");
	r.server_hello = true;
	r.tls_version = 0x0303;
	assert_string_equal(tui_tls_short(&r, b), "1.2");
	r.tls_version = 0x7f1c;
	assert_string_equal(tui_tls_short(&r, b), "7f1c");
}

static void
test_tui_model_lists_an_open_session_with_its_alerts_until_its_record_replaces_it(void **state)
{
	struct tui_model *m = model(100, 100);
	const struct tui_row *r;
	struct session s;

	(void)state;
	add_five(m);
	/* Session 6 is open: it raised a cleartext login. */
	mk(&s, 6, 6, 4, 143, "imap", VERDICT_UNKNOWN, REASON_NONE);
	s.end = END_OPEN;
	add_login(&s, "LOGIN", "alice", "AlicePass2024");
	s.alerts_early = 1u << ALERT_CLEARTEXT_LOGIN;
	tui_model_open_session(m, &s);
	assert_string_equal(ids(m), "6,5,4,3,2,1");
	r = tui_model_find_row(m, 6);
	assert_non_null(r);
	assert_int_equal(r->end, END_OPEN);
	assert_string_equal(tui_row_verdict_name(r), "open");
	assert_int_equal(r->alerts, 1u << ALERT_CLEARTEXT_LOGIN);
	assert_int_equal(r->n_logins, 1);
	assert_string_equal(r->logins[0].username, "alice");
	assert_true(tui_row_is_problem(r));
	/* Not a finished session: the counts do not move. */
	assert_int_equal(tui_model_counters(m)->sessions, 5);
	assert_int_equal(tui_model_set_filter(m, "verdict:open"), 0);
	assert_string_equal(ids(m), "6");
	tui_model_set_filter(m, "");
	/* A second alert on it: the same row, as it stands now. */
	s.alerts_early |= 1u << ALERT_UPGRADE_REFUSED;
	s.packets = 20;
	tui_model_open_session(m, &s);
	assert_string_equal(ids(m), "6,5,4,3,2,1");
	assert_int_equal(tui_model_find_row(m, 6)->packets, 20);
	/* Another session ends, then 6 ends: its record takes the row's place. */
	mk(&s, 7, 7, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	add(m, &s);
	mk(&s, 6, 6, 4, 143, "imap", VERDICT_CLEARTEXT, REASON_NOT_REQUESTED);
	s.alerts = 1u << ALERT_CLEARTEXT_LOGIN | 1u << ALERT_UPGRADE_REFUSED;
	add(m, &s);
	assert_string_equal(ids(m), "6,7,5,4,3,2,1");
	r = tui_model_find_row(m, 6);
	assert_int_equal(r->end, END_FIN);
	assert_string_equal(tui_row_verdict_name(r), "cleartext");
	assert_int_equal(tui_model_counters(m)->sessions, 7);
	tui_model_free(m);
}

/* Three SMTP sessions: #1 to a DANE- and MTA-STS-protected MX, stripped
 * (both violations), #2 to the same domain over STARTTLS (policy kept), #3
 * inside VXLAN then GRE, without a policy. */
static void
add_policy_and_tunnel(struct tui_model *m)
{
	struct session s;
	struct alert a;

	mk(&s, 1, 1, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	s.policy.source = POLICY_SOURCE_FILE;
	s.policy.mta_sts = STS_ENFORCE;
	s.policy.dane = true;
	snprintf(s.policy.domain, sizeof(s.policy.domain), "Example.TEST");
	s.alerts = 1u << ALERT_MTA_STS_VIOLATION | 1u << ALERT_DANE_VIOLATION;
	add(m, &s);
	mk(&s, 2, 2, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	s.policy.source = POLICY_SOURCE_DNS;
	s.policy.mta_sts = STS_UNKNOWN;
	snprintf(s.policy.domain, sizeof(s.policy.domain), "example.test");
	add(m, &s);
	mk(&s, 3, 3, 2, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	s.tunnel_depth = 2;
	s.tunnels[0] = TUNNEL_VXLAN;
	s.tunnels[1] = TUNNEL_GRE;
	add(m, &s);
	memset(&a, 0, sizeof(a));
	a.kind = ALERT_DANE_VIOLATION;
	a.severity = SEVERITY_CRITICAL;
	a.session_id = 1;
	a.family = 4;
	a.server_port = 25;
	a.service = "smtp";
	snprintf(a.evidence, sizeof(a.evidence), "TLSA validated; domain example.test");
	tui_model_add_alert(m, &a);
	a.kind = ALERT_UPGRADE_REFUSED;
	a.severity = SEVERITY_HIGH;
	a.session_id = 3;
	tui_model_add_alert(m, &a);
}

static void
test_tui_model_policy_filter_words_select_violations_protection_and_domain(void **state)
{
	struct tui_model *m = model(100, 100);

	(void)state;
	add_policy_and_tunnel(m);
	tui_model_set_filter(m, "policy:");
	assert_string_equal(ids(m), "2,1");
	tui_model_set_filter(m, "policy:violated");
	assert_string_equal(ids(m), "1");
	/* The alerts list keeps the policy alerts only. */
	assert_int_equal(tui_model_alerts(m), 1);
	assert_int_equal(tui_model_alert(m, 0)->a.kind, ALERT_DANE_VIOLATION);
	tui_model_set_filter(m, "!policy:violated");
	assert_string_equal(ids(m), "3,2");
	tui_model_set_filter(m, "policy:dane");
	assert_string_equal(ids(m), "1");
	tui_model_set_filter(m, "policy:mta-sts");
	assert_string_equal(ids(m), "2,1");
	tui_model_set_filter(m, "policy:EXAMPLE");
	assert_string_equal(ids(m), "2,1");
	tui_model_set_filter(m, "example.test");
	assert_string_equal(ids(m), "2,1");
	assert_int_equal(tui_model_counters(m)->critical, 1);
	tui_model_free(m);
}

static void
test_tui_model_certificate_alerts_of_a_policy_count_as_violations(void **state)
{
	struct tui_model *m = model(100, 100);
	struct session s;

	(void)state;
	/* An upgraded session whose certificate matched no TLSA record: TLS
	 * was used, the policy was still violated. */
	mk(&s, 1, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	s.policy.source = POLICY_SOURCE_DNS;
	s.policy.dane = true;
	s.alerts = 1u << ALERT_DANE_MISMATCH;
	add(m, &s);
	/* A certificate not naming the SNI is no policy's. */
	mk(&s, 2, 2, 2, 443, "https", VERDICT_IMPLICIT_TLS, REASON_NONE);
	s.alerts = 1u << ALERT_CERT_NAME_MISMATCH;
	add(m, &s);
	tui_model_set_filter(m, "policy:violated");
	assert_string_equal(ids(m), "1");
	tui_model_set_filter(m, "policy:dane");
	assert_string_equal(ids(m), "1");
	assert_true(tui_alert_is_policy(ALERT_DANE_MISMATCH));
	assert_true(tui_alert_is_policy(ALERT_CERT_SELF_SIGNED));
	assert_false(tui_alert_is_policy(ALERT_CERT_NAME_MISMATCH));
	assert_false(tui_alert_is_policy(ALERT_CERT_EXPIRED));
	tui_model_free(m);
}

static void
test_tui_model_tunnel_filter_words_select_tunnelled_sessions(void **state)
{
	struct tui_model *m = model(100, 100);

	(void)state;
	add_policy_and_tunnel(m);
	assert_string_equal(tui_model_find_row(m, 3)->tunnel, "vxlan/gre");
	assert_string_equal(tui_model_find_row(m, 1)->tunnel, "");
	tui_model_set_filter(m, "tunnel:");
	assert_string_equal(ids(m), "3");
	tui_model_set_filter(m, "tunnel:GRE");
	assert_string_equal(ids(m), "3");
	tui_model_set_filter(m, "tunnel:geneve");
	assert_string_equal(ids(m), "");
	tui_model_set_filter(m, "vxlan");
	assert_string_equal(ids(m), "3");
	/* A word about tunnels leaves the alerts list alone. */
	tui_model_set_filter(m, "tunnel:");
	assert_int_equal(tui_model_alerts(m), 2);
	tui_model_free(m);
}

static void
test_tui_model_policy_cell_and_detail_say_what_protects_and_what_was_violated(void **state)
{
	struct tui_model *m = model(100, 100);
	struct tui_text t = {0};
	char buf[64];

	(void)state;
	add_policy_and_tunnel(m);
	tui_row_policy_short(tui_model_find_row(m, 1), buf, sizeof(buf));
	assert_string_equal(buf, "!! sts+dane");
	tui_row_policy_short(tui_model_find_row(m, 2), buf, sizeof(buf));
	assert_string_equal(buf, "sts");
	tui_row_policy_short(tui_model_find_row(m, 3), buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_true(tui_row_policy_violated(tui_model_find_row(m, 1)));
	assert_false(tui_row_policy_violated(tui_model_find_row(m, 2)));
	assert_int_equal(tui_severity_tone(SEVERITY_CRITICAL), TUI_TONE_CRIT);
	assert_int_equal(tui_severity_tone(SEVERITY_LOW), TUI_TONE_WARN);

	assert_int_equal(tui_model_detail_session(m, 1, &t), 0);
	assert_true(text_has(&t, "Mail policy  !! VIOLATED"));
	assert_true(text_has(&t, "domain        Example.TEST  (learned from file)"));
	assert_true(text_has(&t, "mta-sts       enforce"));
	assert_true(text_has(&t, "dane          TLSA validated (AD)"));
	assert_true(text_has(&t, "!! dane-violation"));
	assert_true(text_has(&t, "! critical dane-violation"));
	assert_false(text_has(&t, "tunnel  "));
	assert_int_equal(tui_model_detail_session(m, 2, &t), 0);
	assert_true(text_has(&t, "violations    none"));
	assert_int_equal(tui_model_detail_session(m, 3, &t), 0);
	assert_true(text_has(&t, "tunnel        vxlan/gre  (outermost first)"));
	assert_false(text_has(&t, "Mail policy"));
	assert_int_equal(tui_model_detail_alert(m, 1, &t), 0);
	assert_true(text_has(&t, "Alert  !! critical  dane-violation"));
	assert_int_equal(t.lines[0].tone, TUI_TONE_CRIT);
	tui_text_free(&t);
	tui_model_free(m);
}

/* tlswatch --cluster: rows and alerts carry the sensor they came from. */
static void
test_tui_model_rows_from_sensors_carry_the_sensor_and_filter_by_it(void **state)
{
	struct tui_model *m = model(10, 10);
	const struct tui_alert *a;
	struct tui_text t = {0};
	struct session s;
	bool said = false;

	(void)state;
	mk(&s, 1, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	add(m, &s); /* a single sensor's row: no sensor */
	tui_model_set_origin(m, "tap-a", 7);
	mk(&s, 2, 2, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	add(m, &s);
	add_alert(m, 2, ALERT_CLEARTEXT_LOGIN, 25, "AUTH PLAIN");
	tui_model_set_origin(m, "tap-b", 7);
	mk(&s, 3, 3, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	add(m, &s);
	tui_model_set_origin(m, NULL, 0);
	mk(&s, 4, 4, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	add(m, &s);

	assert_string_equal(tui_model_find_row(m, 1)->sensor, "");
	assert_string_equal(tui_model_find_row(m, 2)->sensor, "tap-a");
	assert_int_equal(tui_model_find_row(m, 2)->sensor_id, 7);
	assert_string_equal(tui_model_find_row(m, 3)->sensor, "tap-b");
	assert_string_equal(tui_model_find_row(m, 4)->sensor, "");
	assert_int_equal(tui_model_set_filter(m, "sensor:TAP-A"), 0);
	assert_string_equal(ids(m), "2");
	assert_int_equal(tui_model_alerts(m), 1);
	assert_int_equal(tui_model_set_filter(m, "sensor:tap"), 0); /* the name, exactly */
	assert_string_equal(ids(m), "");
	assert_int_equal(tui_model_alerts(m), 0);
	assert_int_equal(tui_model_set_filter(m, "!sensor:tap-a"), 0);
	assert_string_equal(ids(m), "4,3,1");
	assert_int_equal(tui_model_set_filter(m, "tap-b"), 0); /* a bare word finds it too */
	assert_string_equal(ids(m), "3");
	tui_model_set_filter(m, "");
	a = tui_model_alert(m, 0);
	assert_non_null(a);
	assert_string_equal(a->sensor, "tap-a");
	assert_int_equal(tui_model_detail_session(m, 2, &t), 0);
	for (size_t i = 0; i < t.n; i++)
		said |= strstr(t.lines[i].text, "sensor        tap-a  (its session #7)") != NULL;
	assert_true(said);
	said = false;
	assert_int_equal(tui_model_detail_session(m, 1, &t), 0);
	for (size_t i = 0; i < t.n; i++)
		said |= strstr(t.lines[i].text, "sensor") != NULL;
	assert_false(said);
	tui_text_free(&t);
	tui_model_free(m);
}

/* tlswatch --cluster: the ports panel and the servers view show the
 * cluster's counts, not those of the sessions added. */
static void
test_tui_model_summary_set_from_outside_replaces_ports_and_servers(void **state)
{
	struct tui_model *m = model(10, 10);
	struct summary_row ports[1], servers[2];
	const struct summary_row *p;
	struct session s;
	size_t n;

	(void)state;
	mk(&s, 1, 1, 1, 25, "smtp", VERDICT_STARTTLS, REASON_NONE);
	add(m, &s);
	memset(ports, 0, sizeof(ports));
	memset(servers, 0, sizeof(servers));
	ports[0].port = 587;
	ports[0].l4 = 6;
	ports[0].service = "submission";
	ports[0].sessions = 40;
	ports[0].verdicts[VERDICT_CLEARTEXT] = 40;
	for (int i = 0; i < 2; i++) {
		servers[i].family = 4;
		servers[i].ip[0] = 192;
		servers[i].ip[3] = (uint8_t)(1 + i);
		servers[i].port = 587;
		servers[i].l4 = 6;
		servers[i].service = "submission";
		servers[i].sessions = 20;
		servers[i].verdicts[i ? VERDICT_DOWNGRADED : VERDICT_STARTTLS] = 20;
	}
	assert_int_equal(tui_model_set_summary(m, ports, 1, servers, 2), 0);
	p = tui_model_ports(m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].port, 587);
	assert_int_equal(p[0].sessions, 40);
	mk(&s, 2, 2, 1, 25, "smtp", VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	add(m, &s); /* a session from the stream changes nothing there */
	p = tui_model_ports(m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].sessions, 40);
	p = tui_model_servers(m, &n);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].ip[3], 2); /* problems first: the downgraded one */
	assert_int_equal(p[1].verdicts[VERDICT_STARTTLS], 20);
	assert_int_equal(tui_model_rows(m), 2); /* the sessions list is the stream's */
	tui_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tui_model_lists_sessions_newest_first_by_default),
		cmocka_unit_test(test_tui_model_newest_means_last_finished_not_highest_id),
		cmocka_unit_test(test_tui_model_sort_orders_by_start_server_verdict_and_service),
		cmocka_unit_test(test_tui_model_filter_by_port_matches_the_server_port_exactly),
		cmocka_unit_test(
			test_tui_model_filter_keys_select_service_verdict_reason_ip_user_and_alert),
		cmocka_unit_test(
			test_tui_model_plain_words_match_endpoints_tls_sni_users_and_alerts_in_any_case),
		cmocka_unit_test(test_tui_model_filter_words_must_all_match_and_a_bang_negates),
		cmocka_unit_test(
			test_tui_model_a_filter_longer_than_the_limit_is_refused_and_changes_nothing),
		cmocka_unit_test(
			test_tui_model_problems_only_keeps_cleartext_downgraded_failed_and_alerted),
		cmocka_unit_test(
			test_tui_model_keeps_the_most_recent_rows_while_per_port_counts_stay_exact),
		cmocka_unit_test(test_tui_model_a_one_row_model_keeps_only_the_last_session),
		cmocka_unit_test(
			test_tui_model_per_port_counts_equal_the_summary_module_for_the_same_sessions),
		cmocka_unit_test(
			test_tui_model_alerts_are_newest_first_bounded_and_follow_the_filter),
		cmocka_unit_test(
			test_tui_model_pause_freezes_the_lists_and_ports_while_counting_goes_on),
		cmocka_unit_test(
			test_tui_model_changing_the_filter_while_paused_reads_the_current_data),
		cmocka_unit_test(
			test_tui_model_a_paused_view_gives_null_for_rows_dropped_meanwhile),
		cmocka_unit_test(
			test_tui_model_detail_shows_capabilities_upgrade_tls_alerts_and_redacted_logins),
		cmocka_unit_test(test_tui_model_detail_of_tls_session_names_version_cipher_and_sni),
		cmocka_unit_test(test_tui_model_detail_of_an_alert_includes_its_session_while_kept),
		cmocka_unit_test(
			test_tui_model_rates_are_measured_over_half_a_second_and_averaged_when_done),
		cmocka_unit_test(test_tui_model_markers_tell_verdicts_apart_without_colour),
		cmocka_unit_test(test_tui_model_formats_counts_clocks_and_short_tls_versions),
		cmocka_unit_test(
			test_tui_model_lists_an_open_session_with_its_alerts_until_its_record_replaces_it),
		cmocka_unit_test(
			test_tui_model_policy_filter_words_select_violations_protection_and_domain),
		cmocka_unit_test(test_tui_model_certificate_alerts_of_a_policy_count_as_violations),
		cmocka_unit_test(test_tui_model_tunnel_filter_words_select_tunnelled_sessions),
		cmocka_unit_test(
			test_tui_model_policy_cell_and_detail_say_what_protects_and_what_was_violated),
		cmocka_unit_test(
			test_tui_model_rows_from_sensors_carry_the_sensor_and_filter_by_it),
		cmocka_unit_test(
			test_tui_model_summary_set_from_outside_replaces_ports_and_servers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
