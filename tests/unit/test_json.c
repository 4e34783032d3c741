/*
 * test_json.c - the JSON Lines sink (src/sink/json.c) in both styles: every
 * record names the sensor, the source and tlswatch's version, the closing
 * records carry a timestamp, the EVE style has Suricata's common section
 * and alert object, --alert-exec's line equals the sink's in either style,
 * and the options that choose all this reject what they cannot use.
 * Records are written to memory and checked as text (no JSON parser here;
 * tests/e2e/eve.sh parses them and compares them with Suricata's). The
 * buffer records are built in (jbuf.h) is tested here too: its escapes,
 * its numbers and its growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/cli/options.h"
#include "jbuf.h"
#include "sink.h"
#include "summary.h"
#include "version.h"

/* 2026-11-25T08:12:13.469686Z, the time of the captures. */
#define T_LAST (1795594333ull * 1000000u + 469686u)

/* A finished cleartext SMTP session 127.0.0.1:43416 -> 127.0.0.3:587. */
static struct session *
session_new_smtp(void)
{
	struct session *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	session_init(s, 1, T_LAST - 12722);
	s->ts_last_us = T_LAST;
	s->family = 4;
	s->l4 = 6;
	s->client_ip[0] = 127;
	s->client_ip[3] = 1;
	s->server_ip[0] = 127;
	s->server_ip[3] = 3;
	s->client_port = 43416;
	s->server_port = 587;
	s->service = "smtp";
	s->verdict = VERDICT_CLEARTEXT;
	s->reason = REASON_NOT_REQUESTED;
	s->end = END_FIN;
	s->packets = 22;
	return s;
}

static void
alert_of(struct alert *a, const struct session *s, enum alert_kind kind, enum severity sev)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->severity = sev;
	a->session_id = s->id;
	a->flow_id = session_flow_id(s);
	a->ts_us = s->ts_last_us;
	a->family = s->family;
	a->l4 = s->l4;
	memcpy(a->client_ip, s->client_ip, sizeof(a->client_ip));
	memcpy(a->server_ip, s->server_ip, sizeof(a->server_ip));
	a->client_port = s->client_port;
	a->server_port = s->server_port;
	a->service = s->service;
	snprintf(a->evidence, sizeof(a->evidence), "smtp PLAIN user=alice");
}

/* Every line one sink writes for one session, one alert and the end of
 * the run (port, server, stats), in a malloc'd string. */
static char *
run_sink(const struct sink_json_identity *id, bool live)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&text, &len);
	struct session *s = session_new_smtp();
	struct summary *sum = summary_new();
	struct stats st;
	struct alert a;
	struct sink *k;

	assert_non_null(mf);
	assert_non_null(sum);
	memset(&st, 0, sizeof(st));
	st.packets = 23;
	sink_json_configure(id);
	k = sink_json_new(mf, false, false, live);
	assert_non_null(k);
	k->session(k, s);
	alert_of(&a, s, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH);
	k->alert(k, &a);
	assert_int_equal(summary_add(sum, s), 0);
	k->finish(k, sum, &st);
	k->free(k);
	fclose(mf);
	summary_free(sum);
	session_release(s);
	free(s);
	return text;
}

/* The n-th line (from 0) of text, in a static buffer. */
static const char *
line_of(const char *text, int n)
{
	static char buf[8192];
	const char *p = text, *nl;

	for (int i = 0; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	assert_non_null(p);
	nl = strchr(p, '\n');
	assert_non_null(nl);
	assert_true((size_t)(nl - p) < sizeof(buf));
	memcpy(buf, p, (size_t)(nl - p));
	buf[nl - p] = '\0';
	return buf;
}

static int
count_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not in %s", needle, hay);
}

static void
assert_starts_with(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("%s does not start with '%s'", s, prefix);
}

static void
test_json_every_record_names_the_sensor_the_file_and_the_version(void **state)
{
	struct sink_json_identity id = {.sensor = "mx-sensor-1", .file = "pcaps/mail.pcap"};
	char *text = run_sink(&id, false);
	const char *tail = ",\"sensor\":\"mx-sensor-1\",\"file\":\"pcaps/"
			   "mail.pcap\",\"version\":\"" TLSWATCH_VERSION "\"}";

	(void)state;
	assert_int_equal(count_lines(text), 6);
	for (int i = 0; i < 6; i++) {
		const char *l = line_of(text, i);

		assert_string_equal(l + strlen(l) - strlen(tail), tail);
	}
	assert_starts_with(line_of(text, 0), "{\"type\":\"session\",\"id\":1,");
	assert_starts_with(line_of(text, 1), "{\"type\":\"alert\",\"kind\":\"cleartext-login\",");
	assert_starts_with(line_of(text, 2),
			   "{\"type\":\"port\",\"transport\":\"tcp\",\"port\":587,");
	assert_starts_with(line_of(text, 3), "{\"type\":\"server\",\"server_ip\":\"127.0.0.3\",");
	assert_starts_with(line_of(text, 4), "{\"type\":\"client\",\"client_ip\":\"127.0.0.1\",");
	assert_starts_with(line_of(text, 5), "{\"type\":\"stats\",\"packets\":23,");
	free(text);
}

static void
test_json_closing_records_are_stamped_with_the_latest_packet_time_of_a_file(void **state)
{
	struct sink_json_identity id = {.sensor = "s", .file = "f.pcap"};
	char *text = run_sink(&id, false);

	(void)state;
	for (int i = 2; i < 5; i++)
		assert_contains(line_of(text, i), ",\"ts\":\"2026-11-25T08:12:13.469686Z\",");
	free(text);
}

static void
test_json_closing_records_of_a_live_capture_are_stamped_with_the_clock(void **state)
{
	struct sink_json_identity id = {.sensor = "s", .interface = "eth0"};
	char *text = run_sink(&id, true);
	char year[8];

	(void)state;
	/* Now, not the packets' 2026-11-25: at least the current year. */
	for (int i = 2; i < 5; i++) {
		const char *ts = strstr(line_of(text, i), ",\"ts\":\"");

		assert_non_null(ts);
		assert_memory_not_equal(ts + 7, "2026-11-25T08:12:13.469686Z", 27);
		memcpy(year, ts + 7, 4);
		year[4] = '\0';
		assert_true(atoi(year) >= 2026);
	}
	assert_contains(line_of(text, 0), ",\"interface\":\"eth0\",");
	free(text);
}

static void
test_json_without_a_sensor_name_the_host_name_is_the_sensor(void **state)
{
	struct sink_json_identity id = {.file = "f.pcap"};
	char host[256] = "", want[300];
	char *text;

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	snprintf(want, sizeof(want), ",\"sensor\":\"%s\",", host);
	text = run_sink(&id, false);
	assert_contains(line_of(text, 0), want);
	free(text);
}

static void
test_json_eve_session_has_the_common_section_and_tlswatch_fields_under_one_key(void **state)
{
	struct sink_json_identity id = {
		.style = SINK_JSON_STYLE_EVE, .sensor = "mx1", .file = "pcaps/mail.pcap"};
	char *text = run_sink(&id, false);
	const char *l = line_of(text, 0);
	char want[256];
	struct session *s = session_new_smtp();

	(void)state;
	snprintf(want, sizeof(want),
		 "{\"timestamp\":\"2026-11-25T08:12:13.469686+0000\",\"flow_id\":%llu,"
		 "\"pcap_filename\":\"pcaps/mail.pcap\",\"event_type\":\"tlswatch_session\","
		 "\"src_ip\":\"127.0.0.1\",\"src_port\":43416,\"dest_ip\":\"127.0.0.3\","
		 "\"dest_port\":587,\"proto\":\"TCP\",\"community_id\":\"1:",
		 (unsigned long long)session_flow_id(s));
	assert_starts_with(l, want);
	assert_contains(l, ",\"host\":\"mx1\",\"app_proto\":\"smtp\",\"tlswatch\":{\"version\":"
			   "\"" TLSWATCH_VERSION "\",\"id\":1,"
			   "\"ts_first\":\"2026-11-25T08:12:13.456964+0000\",");
	assert_contains(l, "\"verdict\":\"cleartext\",\"reason\":\"not-requested\",");
	assert_string_equal(l + strlen(l) - 2, "}}");
	/* tlswatch's own names are not repeated at the top. */
	assert_null(strstr(l, "\"type\""));
	assert_null(strstr(l, "client_ip"));
	assert_null(strstr(l, "\"sensor\""));
	session_release(s);
	free(s);
	free(text);
}

static void
test_json_eve_alert_is_a_suricata_alert(void **state)
{
	struct sink_json_identity id = {
		.style = SINK_JSON_STYLE_EVE, .sensor = "mx1", .interface = "eth1"};
	char *text = run_sink(&id, false);
	const char *l = line_of(text, 1);

	(void)state;
	assert_starts_with(l, "{\"timestamp\":\"2026-11-25T08:12:13.469686+0000\",\"flow_id\":");
	assert_contains(
		l, ",\"in_iface\":\"eth1\",\"event_type\":\"alert\",\"src_ip\":\"127.0.0.1\",");
	assert_contains(l,
			",\"alert\":{\"action\":\"allowed\",\"gid\":443,\"signature_id\":4430007,"
			"\"rev\":1,\"signature\":\"TLSWATCH cleartext-login\","
			"\"category\":\"Potential Corporate Privacy Violation\",\"severity\":1},");
	assert_contains(l, ",\"tlswatch\":{\"version\":\"" TLSWATCH_VERSION
			   "\",\"kind\":\"cleartext-login\","
			   "\"severity\":\"high\",\"session\":1,\"service\":\"smtp\","
			   "\"evidence\":\"smtp PLAIN user=alice\"}}");
	free(text);
}

static void
test_json_eve_closing_records_have_their_own_event_types(void **state)
{
	struct sink_json_identity id = {
		.style = SINK_JSON_STYLE_EVE, .sensor = "mx1", .file = "f.pcap"};
	char *text = run_sink(&id, false);

	(void)state;
	assert_starts_with(line_of(text, 2),
			   "{\"timestamp\":\"2026-11-25T08:12:13.469686+0000\",\"pcap_filename\":"
			   "\"f.pcap\",\"event_type\":\"tlswatch_port\",\"dest_port\":587,"
			   "\"proto\":\"TCP\",\"host\":\"mx1\",\"app_proto\":\"smtp\","
			   "\"tlswatch\":{\"version\":");
	assert_contains(line_of(text, 3),
			"\"event_type\":\"tlswatch_server\",\"dest_ip\":\"127.0.0.3\","
			"\"dest_port\":587,\"proto\":\"TCP\",\"host\":\"mx1\",");
	assert_contains(line_of(text, 3),
			"\"upgrade_offered\":false,\"upgrade_not_offered\":false}}");
	assert_contains(line_of(text, 4),
			"\"event_type\":\"tlswatch_client\",\"src_ip\":\"127.0.0.1\",\"host\":"
			"\"mx1\",\"tlswatch\":{\"version\":\"" TLSWATCH_VERSION
			"\",\"client_ip\":");
	assert_contains(line_of(text, 5),
			"\"event_type\":\"tlswatch_stats\",\"host\":\"mx1\",\"tlswatch\":{"
			"\"version\":\"" TLSWATCH_VERSION "\",\"packets\":23,");
	assert_null(strstr(line_of(text, 5), "src_ip"));
	free(text);
}

static void
test_json_alert_exec_line_is_the_sink_line_in_both_styles(void **state)
{
	(void)state;
	for (int style = SINK_JSON_STYLE_TLSWATCH; style <= SINK_JSON_STYLE_EVE; style++) {
		struct sink_json_identity id = {
			.style = (enum sink_json_style)style, .sensor = "s", .file = "f.pcap"};
		char *text = run_sink(&id, false), *line = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&line, &len);
		struct session *s = session_new_smtp();
		struct alert a;

		assert_non_null(mf);
		alert_of(&a, s, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH);
		sink_json_alert(mf, &a);
		fclose(mf);
		assert_int_equal(len, strlen(line_of(text, 1)) + 1);
		assert_memory_equal(line, line_of(text, 1), len - 1);
		free(line);
		session_release(s);
		free(s);
		free(text);
	}
}

static void
test_json_every_alert_kind_has_its_own_signature_id(void **state)
{
	(void)state;
	for (int k = 0; k < ALERT_KIND_COUNT; k++) {
		uint32_t sid = sink_json_eve_signature_id((enum alert_kind)k);

		assert_true(sid > 4430000 && sid < 4440000);
		for (int j = 0; j < k; j++)
			assert_int_not_equal(sid, sink_json_eve_signature_id((enum alert_kind)j));
	}
	assert_int_equal(sink_json_eve_signature_id(ALERT_KIND_COUNT), 0);
}

static void
test_json_eve_severity_is_suricatas_1_high_to_3_low(void **state)
{
	static const struct {
		enum severity sev;
		const char *want;
	} cases[] = {
		{SEVERITY_HIGH, "\"severity\":1}"},
		{SEVERITY_MEDIUM, "\"severity\":2}"},
		{SEVERITY_LOW, "\"severity\":3}"},
	};
	struct sink_json_identity id = {.style = SINK_JSON_STYLE_EVE, .sensor = "s"};

	(void)state;
	sink_json_configure(&id);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&line, &len);
		struct session *s = session_new_smtp();
		struct alert a;

		assert_non_null(mf);
		alert_of(&a, s, ALERT_TLS_WEAK_CIPHER, cases[i].sev);
		sink_json_alert(mf, &a);
		fclose(mf);
		assert_contains(line, cases[i].want);
		/* No source configured: neither key. */
		assert_null(strstr(line, "pcap_filename"));
		assert_null(strstr(line, "in_iface"));
		free(line);
		session_release(s);
		free(s);
	}
}

/* Runs the option parser on a NULL-terminated argv; returns its status. */
static int
parse(struct cli_options *o, const char *const *args)
{
	char *argv[16];
	int argc = 0, rc;

	argv[argc++] = (char *)"tlswatch";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	optind = 0;
	rc = cli_options_parse(argc, argv, o);
	return rc;
}

static void
test_json_options_choose_the_style_and_the_sensor_name(void **state)
{
	struct cli_options o;

	(void)state;
	assert_int_equal(parse(&o, (const char *[]){"-r", "x.pcap", NULL}), 0);
	assert_int_equal(o.json_style, SINK_JSON_STYLE_TLSWATCH);
	assert_null(o.sensor_name);
	cli_options_free(&o);
	assert_int_equal(parse(&o, (const char *[]){"-r", "x.pcap", "--json-style", "eve",
						    "--sensor-name", "edge-1", NULL}),
			 0);
	assert_int_equal(o.json_style, SINK_JSON_STYLE_EVE);
	assert_string_equal(o.sensor_name, "edge-1");
	cli_options_free(&o);
	assert_int_equal(
		parse(&o, (const char *[]){"-r", "x.pcap", "--json-style", "tlswatch", NULL}), 0);
	assert_int_equal(o.json_style, SINK_JSON_STYLE_TLSWATCH);
	cli_options_free(&o);
}

static void
test_json_options_reject_an_unknown_style_and_an_unusable_sensor_name(void **state)
{
	static const char *const bad[][5] = {
		{"-r", "x.pcap", "--json-style", "suricata", NULL},
		{"-r", "x.pcap", "--json-style", "EVE", NULL},
		{"-r", "x.pcap", "--sensor-name", "", NULL},
		{"-r", "x.pcap", "--sensor-name", "a\nb", NULL},
	};
	char long_name[300];
	struct cli_options o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&o, bad[i]), 2);
		cli_options_free(&o);
	}
	memset(long_name, 'n', 256);
	long_name[256] = '\0';
	assert_int_equal(
		parse(&o, (const char *[]){"-r", "x.pcap", "--sensor-name", long_name, NULL}), 2);
	cli_options_free(&o);
	long_name[255] = '\0';
	assert_int_equal(
		parse(&o, (const char *[]){"-r", "x.pcap", "--sensor-name", long_name, NULL}), 0);
	cli_options_free(&o);
}

/* The bytes b holds, as a string (the buffer has no NUL of its own). */
static const char *
jbuf_text(const struct jbuf *b)
{
	static char t[4096];

	assert_true(b->len < sizeof(t));
	memcpy(t, b->p, b->len);
	t[b->len] = '\0';
	return t;
}

static void
test_json_buffer_escapes_quotes_backslashes_control_bytes_and_bytes_past_ascii(void **state)
{
	struct jbuf b = {0};
	char all[256];

	(void)state;
	jbuf_put_jstr(&b, "say \"hi\" \\ bye");
	assert_string_equal(jbuf_text(&b), "\"say \\\"hi\\\" \\\\ bye\"");
	jbuf_reset(&b);
	jbuf_put_jstr(&b, "a\nb\rc\td\x01\x1f \x7e\x7f\x80\xc3\xa9\xff");
	assert_string_equal(jbuf_text(&b), "\"a\\nb\\rc\\td\\u0001\\u001f ~\\u007f\\u0080"
					   "\\u00c3\\u00a9\\u00ff\"");
	jbuf_reset(&b);
	/* With a length: a NUL is a byte like the others; "" is "". */
	jbuf_put_jstrn(&b, "x\0y", 3);
	jbuf_put_jstrn(&b, "", 0);
	assert_string_equal(jbuf_text(&b), "\"x\\u0000y\"\"\"");
	jbuf_reset(&b);
	/* Every byte: printable ASCII as it is, the rest escaped, all of it
	 * 7-bit (so valid UTF-8) in the output. */
	for (int i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = '\0';
	jbuf_put_jstr(&b, all);
	assert_false(b.failed);
	for (size_t i = 0; i < b.len; i++)
		assert_true(b.p[i] >= 0x20 && b.p[i] < 0x7f);
	assert_int_equal(b.len, 2 + 31 * 6 - 3 * 4 + 2 * 2 + (0x7e - 0x20 + 1 - 2) + 129 * 6);
	jbuf_free(&b);
}

static void
test_json_buffer_writes_every_uint64_and_int64_in_decimal(void **state)
{
	struct jbuf b = {0};

	(void)state;
	jbuf_put_u64(&b, 0);
	jbuf_putc(&b, ' ');
	jbuf_put_u64(&b, 9);
	jbuf_putc(&b, ' ');
	jbuf_put_u64(&b, 10);
	jbuf_putc(&b, ' ');
	jbuf_put_u64(&b, UINT64_MAX);
	assert_string_equal(jbuf_text(&b), "0 9 10 18446744073709551615");
	jbuf_reset(&b);
	jbuf_put_i64(&b, INT64_MIN);
	jbuf_putc(&b, ' ');
	jbuf_put_i64(&b, -1);
	jbuf_putc(&b, ' ');
	jbuf_put_i64(&b, 0);
	jbuf_putc(&b, ' ');
	jbuf_put_i64(&b, INT64_MAX);
	assert_string_equal(jbuf_text(&b), "-9223372036854775808 -1 0 9223372036854775807");
	jbuf_free(&b);
}

static void
test_json_buffer_grows_past_its_first_allocation_and_stops_at_its_cap(void **state)
{
	struct jbuf b = {0};
	char *got = NULL;
	size_t len = 0;
	FILE *mf;

	(void)state;
	/* 110,000 bytes in appends of every kind: nothing lost at a growth. */
	for (int i = 0; i < 10000; i++) {
		JB_LIT(&b, "ab");
		jbuf_putc(&b, 'c');
		jbuf_put_jstr(&b, "d"); /* "d" */
		jbuf_put_u64(&b, 12345);
	}
	assert_false(b.failed);
	assert_int_equal(b.len, 110000);
	assert_true(b.cap >= b.len);
	for (size_t i = 0; i < b.len; i += 11)
		assert_memory_equal(b.p + i, "abc\"d\"12345", 11);
	/* One write of it all, and the buffer is empty again. */
	mf = open_memstream(&got, &len);
	assert_non_null(mf);
	assert_int_equal(jbuf_write(&b, mf), 0);
	fclose(mf);
	assert_int_equal(len, 110000);
	assert_memory_equal(got, "abc\"d\"12345abc", 14);
	assert_int_equal(b.len, 0);
	free(got);
	/* Past the cap the record fails: nothing of it is written, and the
	 * next record is written whole. */
	mf = open_memstream(&got, &len);
	assert_non_null(mf);
	JB_LIT(&b, "{\"big\":");
	for (size_t i = 0; i <= JBUF_MAX / 4; i++)
		JB_LIT(&b, "0123");
	assert_true(b.failed);
	assert_true(b.len <= JBUF_MAX);
	assert_int_equal(jbuf_write(&b, mf), -1);
	JB_LIT(&b, "{}\n");
	assert_int_equal(jbuf_write(&b, mf), 0);
	fclose(mf);
	assert_string_equal(got, "{}\n");
	free(got);
	jbuf_free(&b);
	assert_null(b.p);
}

static void
test_json_sensor_name_is_escaped_in_every_record(void **state)
{
	struct sink_json_identity id = {.sensor = "m\"x\\1\x01\xc3\xa9", .file = "a b.pcap"};
	char *text;

	(void)state;
	text = run_sink(&id, false);
	for (int i = 0; i < count_lines(text); i++)
		assert_contains(line_of(text, i),
				",\"sensor\":\"m\\\"x\\\\1\\u0001\\u00c3\\u00a9\","
				"\"file\":\"a b.pcap\",\"version\":");
	free(text);
}

/* An alert is flushed at once in a live capture; reading a file it waits
 * in the stream's buffer, marked for cli_outputs_poll, which flushes it. */
static void
test_json_alerts_flush_at_once_live_and_on_poll_from_a_file(void **st)
{
	for (int live = 0; live < 2; live++) {
		char *text = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&text, &len);
		struct session *s = session_new_smtp();
		struct alert a;
		struct sink *k;

		struct sink_json_identity id = {.sensor = "s", .file = "f.pcap"};

		(void)st;
		assert_non_null(mf);
		sink_json_configure(&id);
		k = sink_json_new(mf, false, false, live);
		assert_non_null(k);
		alert_of(&a, s, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH);
		k->alert(k, &a);
		if (live) {
			assert_false(k->alert_unflushed);
			assert_true(len > 0);
		} else {
			assert_true(k->alert_unflushed);
			assert_int_equal(len, 0);
			sink_flush(k);
			assert_true(len > 0);
		}
		assert_non_null(strstr(text, "\"type\":\"alert\""));
		k->free(k);
		fclose(mf);
		free(text);
		session_release(s);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_alerts_flush_at_once_live_and_on_poll_from_a_file),
		cmocka_unit_test(test_json_every_record_names_the_sensor_the_file_and_the_version),
		cmocka_unit_test(
			test_json_closing_records_are_stamped_with_the_latest_packet_time_of_a_file),
		cmocka_unit_test(
			test_json_closing_records_of_a_live_capture_are_stamped_with_the_clock),
		cmocka_unit_test(test_json_without_a_sensor_name_the_host_name_is_the_sensor),
		cmocka_unit_test(
			test_json_eve_session_has_the_common_section_and_tlswatch_fields_under_one_key),
		cmocka_unit_test(test_json_eve_alert_is_a_suricata_alert),
		cmocka_unit_test(test_json_eve_closing_records_have_their_own_event_types),
		cmocka_unit_test(test_json_alert_exec_line_is_the_sink_line_in_both_styles),
		cmocka_unit_test(test_json_every_alert_kind_has_its_own_signature_id),
		cmocka_unit_test(test_json_eve_severity_is_suricatas_1_high_to_3_low),
		cmocka_unit_test(test_json_options_choose_the_style_and_the_sensor_name),
		cmocka_unit_test(
			test_json_options_reject_an_unknown_style_and_an_unusable_sensor_name),
		cmocka_unit_test(
			test_json_buffer_escapes_quotes_backslashes_control_bytes_and_bytes_past_ascii),
		cmocka_unit_test(test_json_buffer_writes_every_uint64_and_int64_in_decimal),
		cmocka_unit_test(
			test_json_buffer_grows_past_its_first_allocation_and_stops_at_its_cap),
		cmocka_unit_test(test_json_sensor_name_is_escaped_in_every_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
