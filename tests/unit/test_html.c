/*
 * test_html.c - unit tests for the HTML report (src/sink/html.c): wire
 * strings are escaped, the page is self-contained, and it holds the same
 * views as the summary (clients and users with their "others" rows, the
 * sessions over time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sink_html.h"

static char *
escaped(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	sink_html_escape(f, s);
	fclose(f);
	return out;
}

static void
test_html_escape_turns_markup_and_odd_bytes_into_text(void **state)
{
	char *e;

	(void)state;
	e = escaped("<script>alert(\"x\")</script>&'");
	assert_string_equal(e, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
	free(e);
	e = escaped("a\x01\x7f\xc3\xa9\nb");
	assert_string_equal(e, "a\\x01\\x7f\\xc3\\xa9\\x0ab");
	free(e);
	e = escaped("");
	assert_string_equal(e, "");
	free(e);
}

/* A cleartext POP3 session from 10.0.0.<client> with one login by user. */
static void
pop3_session(struct session *s, uint8_t client, const char *user, uint64_t ts)
{
	struct login *l;

	session_init(s, client, ts);
	s->ts_first_us = s->ts_last_us = ts;
	s->family = 4;
	s->l4 = 6;
	s->client_ip[0] = 10, s->client_ip[3] = client;
	s->server_ip[0] = 127, s->server_ip[3] = 1;
	s->client_port = 40000;
	s->server_port = 110;
	s->service = "pop3";
	s->verdict = VERDICT_CLEARTEXT;
	l = &s->pf.logins[s->pf.n_logins++];
	snprintf(l->mechanism, sizeof(l->mechanism), "USER");
	snprintf(l->username, sizeof(l->username), "%s", user);
	snprintf(l->secret, sizeof(l->secret), "s3cret-pass");
	l->has_secret = true;
	l->outcome = LOGIN_SUCCESS;
}

static char *
report(void (*fill)(struct sink *k, struct summary *sum))
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct sink *k;
	struct summary *sum = summary_new();
	struct stats st;

	assert_non_null(f);
	assert_non_null(sum);
	k = sink_html_new(f, "<i>capture</i>.pcap");
	assert_non_null(k);
	fill(k, sum);
	memset(&st, 0, sizeof(st));
	k->finish(k, sum, &st);
	k->free(k);
	summary_free(sum);
	fclose(f);
	return out;
}

static void
fill_hostile(struct sink *k, struct summary *sum)
{
	struct session s;

	pop3_session(&s, 1, "<script>alert(1)</script>", 1767225600000000ull);
	assert_int_equal(summary_add(sum, &s), 0);
	k->session(k, &s);
}

static void
test_html_report_shows_a_hostile_user_name_as_text_and_no_secret(void **state)
{
	char *page = report(fill_hostile);

	(void)state;
	assert_non_null(strstr(page, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "s3cret-pass"));
	assert_non_null(strstr(page, "&lt;i&gt;capture&lt;/i&gt;.pcap"));
	assert_null(strstr(page, "<i>capture"));
	/* Self-contained: nothing named outside the page. */
	assert_null(strstr(page, "http"));
	assert_null(strstr(page, "//"));
	assert_null(strstr(page, "src="));
	assert_null(strstr(page, "href="));
	assert_non_null(strstr(page, "<table id=\"ports\">"));
	assert_non_null(strstr(page, "<table id=\"servers\">"));
	assert_non_null(strstr(page, "<svg id=\"timeline-chart\""));
	assert_non_null(strstr(page, "</html>\n"));
	free(page);
}

static void
fill_many(struct sink *k, struct summary *sum)
{
	struct session s;
	char user[16];

	summary_set_limits(sum, 2, 2);
	for (uint8_t c = 1; c <= 5; c++) {
		snprintf(user, sizeof(user), "user%u", c);
		/* One session a minute, from minute 1 to minute 5. */
		pop3_session(&s, c, user, 1767225600000000ull + (uint64_t)c * 60000000);
		assert_int_equal(summary_add(sum, &s), 0);
		k->session(k, &s);
	}
}

static void
test_html_report_lists_the_others_rows_and_every_time_bucket(void **state)
{
	char *page = report(fill_many);
	const char *p;
	int buckets = 0;

	(void)state;
	assert_non_null(strstr(page, "<tr><td>10.0.0.1</td>"));
	assert_non_null(
		strstr(page, "<tr class=\"others\"><td>(others)</td><td class=\"n\">3</td>"));
	assert_non_null(strstr(page, "(others): 3 sessions of clients beyond the first 2"));
	assert_non_null(strstr(page, "(others): 3 logins of users beyond the first 2"));
	/* Four minutes and a bit in 10 s buckets: 25 rows in the table. */
	assert_non_null(strstr(page, "in buckets of 10 s"));
	p = strstr(page, "<table id=\"timeline\">");
	assert_non_null(p);
	while ((p = strstr(p + 1, "<tr><td>2026-01-01 ")) != NULL)
		buckets++;
	assert_int_equal(buckets, 25);
	free(page);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape_turns_markup_and_odd_bytes_into_text),
		cmocka_unit_test(test_html_report_shows_a_hostile_user_name_as_text_and_no_secret),
		cmocka_unit_test(test_html_report_lists_the_others_rows_and_every_time_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
