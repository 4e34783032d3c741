/*
 * test_text.c - unit tests for the text report (src/sink/text.c): it fits
 * 80 columns unless --wide, wrapping records between their fields without
 * losing a byte of them, and it lists the per-client and per-user views.
 *
 * The sink writes into a memory stream; sessions are built by hand.
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

struct report {
	char *text;
	size_t len;
	FILE *f;
	struct sink *k;
	struct summary *sum;
};

static void
report_open(struct report *r, bool wide)
{
	memset(r, 0, sizeof(*r));
	r->f = open_memstream(&r->text, &r->len);
	assert_non_null(r->f);
	r->k = sink_text_new(r->f, false, false);
	assert_non_null(r->k);
	r->k->wide = wide;
	r->sum = summary_new();
	assert_non_null(r->sum);
}

static void
report_session(struct report *r, const struct session *s)
{
	assert_int_equal(summary_add(r->sum, s), 0);
	r->k->session(r->k, s);
}

/* Ends the report; r->text holds it. */
static void
report_close(struct report *r)
{
	struct stats st;

	memset(&st, 0, sizeof(st));
	r->k->finish(r->k, r->sum, &st);
	r->k->free(r->k);
	summary_free(r->sum);
	fclose(r->f);
}

static size_t
longest_line(const char *text)
{
	size_t longest = 0;

	while (*text) {
		size_t n = strcspn(text, "\n");

		if (n > longest)
			longest = n;
		text += n + (text[n] == '\n');
	}
	return longest;
}

/* A cleartext SMTP session from 2001:db8::<client> with a long SNI, two
 * logins and alerts: far wider than 80 columns on one line. */
static void
long_session(struct session *s, uint8_t client)
{
	session_init(s, 12345, 1767225600000000ull);
	s->family = 6;
	s->l4 = 6;
	s->client_ip[0] = 0x20, s->client_ip[1] = 0x01, s->client_ip[2] = 0x0d;
	s->client_ip[3] = 0xb8, s->client_ip[15] = client;
	s->server_ip[0] = 0x20, s->server_ip[1] = 0x01, s->server_ip[2] = 0x0d;
	s->server_ip[3] = 0xb8, s->server_ip[14] = 0xff, s->server_ip[15] = 2;
	s->client_port = 54321;
	s->server_port = 587;
	s->service = "smtp";
	s->verdict = VERDICT_DOWNGRADED;
	s->reason = REASON_CAPABILITY_STRIPPED;
	s->tf.client_hello = true;
	s->tf.client_max_version = 0x0304;
	memset(s->tf.sni, 'a', 200);
	s->tf.sni[200] = '\0';
	for (int i = 0; i < 2; i++) {
		struct login *l = &s->pf.logins[s->pf.n_logins++];

		snprintf(l->mechanism, sizeof(l->mechanism), "LOGIN");
		snprintf(l->username, sizeof(l->username), "user-with-a-rather-long-name-%d", i);
		l->outcome = LOGIN_SUCCESS;
	}
	s->alerts = 1u << ALERT_CLEARTEXT_LOGIN | 1u << ALERT_CAPABILITY_STRIPPED;
}

/* The text without its spaces and line breaks: what a record says,
 * whatever the wrap (a field without spaces may be cut anywhere). */
static char *
squeeze(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	assert_non_null(out);
	for (const char *p = text; *p; p++)
		if (*p != '\n' && *p != ' ')
			*o++ = *p;
	*o = '\0';
	return out;
}

static void
test_text_long_session_line_is_wrapped_at_80_columns_without_losing_a_field(void **state)
{
	struct report narrow, wide;
	struct session s;
	char *a, *b, *first_nl;

	(void)state;
	long_session(&s, 1);
	report_open(&narrow, false);
	report_session(&narrow, &s);
	report_close(&narrow);
	report_open(&wide, true);
	report_session(&wide, &s);
	report_close(&wide);

	assert_true(longest_line(narrow.text) <= 80);
	/* --wide: the session on one line, as long as it is. */
	first_nl = strchr(wide.text, '\n');
	assert_non_null(first_nl);
	assert_true(first_nl - wide.text > 300);
	assert_non_null(strstr(wide.text, "user=user-with-a-rather-long-name-1 success"));
	/* The same words either way: only the line breaks differ. */
	*first_nl = '\0';
	a = squeeze(wide.text);
	b = squeeze(narrow.text);
	assert_memory_equal(a, b, strlen(a));
	/* Continuation lines are indented, so a session starts with '#'. */
	assert_true(narrow.text[0] == '#');
	assert_non_null(strstr(narrow.text, "\n    "));
	free(a);
	free(b);
	free(narrow.text);
	free(wide.text);
}

/* The server's certificate (TLS <= 1.2): one cert[...] field on --wide, a
 * name with a space quoted, unknown times as '?'; a leaf that did not
 * parse says so; TLS 1.3 (encrypted) and none add nothing. */
static void
test_text_certificate_field_says_what_the_leaf_says(void **state)
{
	struct report r;
	struct session s;

	(void)state;
	long_session(&s, 1);
	s.tf.server_hello = true;
	s.tf.version = 0x0303;
	s.tf.cert.state = TLS_CERT_READ;
	s.tf.cert.chain = 2;
	s.tf.cert.hashed = 2;
	s.tf.cert.times_known = true;
	s.tf.cert.not_before = 1767225600; /* 2026-01-01 */
	s.tf.cert.not_after = 1798761600;  /* 2027-01-01 */
	snprintf(s.tf.cert.subject, sizeof(s.tf.cert.subject), "mx.example.org");
	snprintf(s.tf.cert.issuer, sizeof(s.tf.cert.issuer), "Example CA R1");
	snprintf(s.tf.cert.names, sizeof(s.tf.cert.names), "mx.example.org,example.org");
	snprintf(s.tf.cert.key, sizeof(s.tf.cert.key), "ec256");
	for (int i = 0; i < 32; i++)
		s.tf.cert.h[0].cert256[i] = (uint8_t)(0xa0 + i);
	report_open(&r, true);
	report_session(&r, &s);
	s.tf.cert.times_known = false;
	s.tf.cert.self_signed = true;
	s.tf.cert.names_cut = true;
	s.id++;
	report_session(&r, &s);
	s.tf.cert.state = TLS_CERT_BAD;
	s.id++;
	report_session(&r, &s);
	s.tf.cert.state = TLS_CERT_ENCRYPTED;
	s.id++;
	report_session(&r, &s);
	report_close(&r);
	assert_non_null(strstr(r.text, "  cert[cn=mx.example.org issuer=\"Example CA R1\" "
				       "names=mx.example.org,example.org ec256 "
				       "sha256=a0a1a2a3a4a5a6a7... valid=2026-01-01..2027-01-01 "
				       "chain=2]"));
	assert_non_null(strstr(r.text,
			       "names=mx.example.org,example.org,... ec256 "
			       "sha256=a0a1a2a3a4a5a6a7... valid=?..? chain=2 self-signed]"));
	assert_non_null(strstr(r.text, "  cert=unreadable"));
	/* Three certificate fields for four sessions: encrypted adds none. */
	{
		size_t n = 0;

		for (const char *p = r.text; (p = strstr(p, "  cert")) != NULL; p++)
			n++;
		assert_int_equal(n, 3);
	}
	free(r.text);
}

static void
test_text_tables_fit_80_columns_with_ipv6_servers_and_long_user_names(void **state)
{
	struct report r;
	struct session s;

	(void)state;
	report_open(&r, false);
	for (uint8_t c = 1; c <= 5; c++) {
		long_session(&s, c);
		s.server_port = (uint16_t)(60000 + c);
		snprintf(s.pf.logins[0].username, sizeof(s.pf.logins[0].username), "%063d", c);
		report_session(&r, &s);
	}
	report_close(&r);
	assert_true(longest_line(r.text) <= 80);
	assert_non_null(strstr(r.text, "\nPer client:\n"));
	assert_non_null(strstr(r.text, "\n  2001:db8::5 "));
	/* A user name too long for its column goes on a line of its own. */
	assert_non_null(strstr(
		r.text, "\n  000000000000000000000000000000000000000000000000000000000000003\n"));
	free(r.text);
}

static void
test_text_views_list_clients_users_and_what_was_not_kept(void **state)
{
	struct report r;
	struct session s;

	(void)state;
	report_open(&r, false);
	summary_set_limits(r.sum, 2, 1);
	for (uint8_t c = 1; c <= 4; c++) {
		long_session(&s, c);
		report_session(&r, &s);
	}
	report_close(&r);
	assert_non_null(strstr(r.text,
			       "  CLIENT      SESS CLEAR DOWN  ENC LOGIN  CLEARTEXT LOGINS "
			       "BY SERVICE\n  2001:db8::1    1     0    1   0%     2  smtp:2\n"));
	assert_non_null(strstr(r.text, "\n  (others)       2     0    2   0%     4  smtp:4\n"));
	assert_non_null(strstr(r.text, "(others): 2 sessions of clients beyond the first 2,"));
	/* Eight logins: the first user's four, the other user's four. */
	assert_non_null(strstr(r.text, "  user-with-a-rather-long-name-0\n"
				       "                           smtp        4  4    0  "));
	assert_non_null(strstr(r.text, "\n  (others)                 -           4  4    0  -\n"));
	assert_non_null(strstr(r.text, "(others): 4 logins of users beyond the first 1 "));
	assert_true(longest_line(r.text) <= 80);
	free(r.text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_text_long_session_line_is_wrapped_at_80_columns_without_losing_a_field),
		cmocka_unit_test(
			test_text_tables_fit_80_columns_with_ipv6_servers_and_long_user_names),
		cmocka_unit_test(test_text_views_list_clients_users_and_what_was_not_kept),
		cmocka_unit_test(test_text_certificate_field_says_what_the_leaf_says),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
