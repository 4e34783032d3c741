/*
 * test_shared.c - --state redis://: what each part of the URL sets, the URLs
 * refused with a reason, and what a sensor does when Redis cannot be reached
 * (its own offers still count for it, and what it could not send is
 * counted), and the servers' certificates: their value in Redis read back
 * exactly, hostile values refused or cut, the latest kept, and a certificate
 * written again only when it is news. The exchanges with a real
 * redis-server are in tests/e2e/shared.sh and tests/e2e/shared-cert.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shared.h"

static void
test_shared_full_url_sets_every_part(void **unused)
{
	struct shared_target t;
	char err[256] = "";

	(void)unused;
	assert_int_equal(shared_parse("redis://:pw@10.0.0.5:6380/3?prefix=site1&ttl=86400", &t, err,
				      sizeof(err)),
			 0);
	assert_string_equal(t.host, "10.0.0.5");
	assert_int_equal(t.port, 6380);
	assert_int_equal(t.db, 3);
	assert_string_equal(t.password, "pw");
	assert_string_equal(t.prefix, "site1");
	assert_int_equal(t.ttl_s, 86400);
}

static void
test_shared_defaults_are_6379_no_select_prefix_tlswatch_30_days(void **unused)
{
	struct shared_target t;
	char err[256] = "";

	(void)unused;
	assert_int_equal(shared_parse("redis://redis.example", &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "redis.example");
	assert_int_equal(t.port, 6379);
	assert_int_equal(t.db, -1);
	assert_string_equal(t.password, "");
	assert_string_equal(t.prefix, "tlswatch");
	assert_int_equal(t.ttl_s, 30 * 86400);
	assert_int_equal(shared_parse("redis://h/", &t, err, sizeof(err)), 0);
	assert_int_equal(t.db, -1);
}

static void
test_shared_bad_urls_are_refused_with_a_reason(void **unused)
{
	static const struct {
		const char *url, *why;
	} bad[] = {
		{"redis://", "no host"},
		{"redis://:6379", "no host"},
		{"redis://h:0", "bad port"},
		{"redis://h:70000", "bad port"},
		{"redis://h:x", "bad port"},
		{"redis://h/db", "bad database"},
		{"redis://h/1/key", "bad database"},
		{"redis://h?mode=list", "unknown parameter"},
		{"redis://h?prefix=a{b}", "bad value"},
		{"redis://h?prefix=", "unknown parameter"},
		{"redis://h?ttl=0", "bad value"},
		{"redis://h?ttl=-5", "bad value"},
		{"rediss://h", "hiredis"},
		{"http://h", "not a redis:// URL"},
	};
	struct shared_target t;

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";

		assert_int_equal(shared_parse(bad[i].url, &t, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].url, err, bad[i].why);
	}
	assert_true(shared_is_url("redis://h"));
	assert_true(shared_is_url("rediss://h"));
	assert_false(shared_is_url("/var/lib/tlswatch/state"));
	assert_false(shared_is_url(NULL));
}

/* Port 1 on loopback refuses at once: Redis is down for the whole run. */
static void
test_shared_unreachable_redis_warns_keeps_local_offers_and_counts_them(void **unused)
{
	struct shared_target t;
	struct shared_stats st;
	struct shared *sh;
	char err[256] = "", warn[256] = "", by[64] = "";
	uint8_t ip[16] = {192, 0, 2, 10}, other[16] = {192, 0, 2, 11};

	(void)unused;
	assert_int_equal(shared_parse("redis://127.0.0.1:1", &t, err, sizeof(err)), 0);
	sh = shared_new(&t, "tap a", warn, sizeof(warn));
	assert_non_null(sh);
	assert_non_null(strstr(warn, "cannot connect"));
	assert_false(shared_offered(sh, 4, ip, 25, 6, by, sizeof(by)));
	shared_offer(sh, 4, ip, 25, 6, "smtp", 1000);
	assert_true(shared_offered(sh, 4, ip, 25, 6, by, sizeof(by)));
	assert_string_equal(by, "tap_a"); /* one word in the announcements */
	/* Another port, another transport, another address: not the same server. */
	assert_false(shared_offered(sh, 4, ip, 587, 6, NULL, 0));
	assert_false(shared_offered(sh, 4, ip, 25, 17, NULL, 0));
	assert_false(shared_offered(sh, 4, other, 25, 6, NULL, 0));
	assert_false(shared_offered(sh, 5, ip, 25, 6, NULL, 0));
	shared_free(sh, 0, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.dropped, 1);
	assert_true(st.errors >= 1);
	assert_false(st.up);
}

/* A failed handshake is kept per client and server, with its latest time. */
static void
test_shared_failures_are_per_client_and_server_and_keep_the_latest(void **unused)
{
	struct shared_target t;
	struct shared_stats st;
	struct shared *sh;
	char err[256] = "", warn[256] = "", by[64] = "";
	uint8_t srv[16] = {192, 0, 2, 10}, cli[16] = {198, 51, 100, 7},
		cli2[16] = {198, 51, 100, 8};
	uint8_t srv6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
		cli6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	uint64_t ts = 0;
	bool broken = true;

	(void)unused;
	assert_int_equal(shared_parse("redis://127.0.0.1:1", &t, err, sizeof(err)), 0);
	sh = shared_new(&t, "tap-a", warn, sizeof(warn));
	assert_non_null(sh);
	assert_false(shared_failed(sh, 4, srv, 25, 6, cli, &ts, &broken, by, sizeof(by)));
	shared_fail(sh, 4, srv, 25, 6, cli, false, 5000000, 360);
	shared_fail(sh, 4, srv, 25, 6, cli, true, 2000000, 360); /* older: kept out */
	assert_true(shared_failed(sh, 4, srv, 25, 6, cli, &ts, &broken, by, sizeof(by)));
	assert_int_equal(ts, 5000000);
	assert_false(broken);
	assert_string_equal(by, "tap-a");
	shared_fail(sh, 4, srv, 25, 6, cli, true, 9000000, 360);
	assert_true(shared_failed(sh, 4, srv, 25, 6, cli, &ts, &broken, NULL, 0));
	assert_int_equal(ts, 9000000);
	assert_true(broken);
	assert_false(shared_failed(sh, 4, srv, 25, 6, cli2, &ts, &broken, NULL, 0));
	assert_false(shared_failed(sh, 4, srv, 587, 6, cli, &ts, &broken, NULL, 0));
	/* A failure is not an offer, and an offer is not a failure. */
	assert_false(shared_offered(sh, 4, srv, 25, 6, NULL, 0));
	shared_fail(sh, 6, srv6, 993, 6, cli6, false, 1, 360);
	assert_true(shared_failed(sh, 6, srv6, 993, 6, cli6, &ts, &broken, NULL, 0));
	shared_free(sh, 0, &st);
	assert_int_equal(st.dropped, 4); /* Redis down: none of the four sent */
}

/* Redis down: this sensor's policy facts are queued, not taken back as
 * another sensor's, and counted as dropped at the end; a name or line too
 * long for a key is not queued. */
static void
take_line(void *ctx, const char *line)
{
	(void)line;
	(*(int *)ctx)++;
}

static void
test_shared_policy_facts_of_this_sensor_are_queued_and_counted(void **unused)
{
	struct shared_target t;
	struct shared_stats st;
	struct shared *sh;
	char err[256] = "", warn[256] = "", longname[300];
	int taken = 0;

	(void)unused;
	assert_int_equal(shared_parse("redis://127.0.0.1:1", &t, err, sizeof(err)), 0);
	sh = shared_new(&t, "tap-a", warn, sizeof(warn));
	assert_non_null(sh);
	shared_policy_put(sh, "example.org", "mx:mx.example.org",
			  "policy mx example.org mx.example.org 2000000 1000000", 3600);
	shared_policy_put(sh, "mx.example.org", "tlsa:25",
			  "policy tlsa mx.example.org 25 ad 2000000 1000000", 0);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	shared_policy_put(sh, longname, "sts", "policy sts x - 2 1", 60);
	shared_policy_take(sh, take_line, &taken);
	assert_int_equal(taken, 0);
	shared_free(sh, 0, &st);
	assert_int_equal(st.policy_sent, 0);
	assert_int_equal(st.policy_dropped, 2);
	assert_int_equal(st.dropped, 0); /* the offers' counter is the offers' */
}

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A value read back is the value written; the issuer keeps its spaces. */
static void
test_shared_cert_value_reads_back_what_was_written(void **unused)
{
	struct shared_cert c = {.self_signed = true, .last_us = 1796314409076031}, d;
	char out[SHARED_CERT_TEXT];
	size_t n;

	(void)unused;
	for (int i = 0; i < 32; i++)
		c.sha256[i] = (uint8_t)(i * 7 + 1);
	snprintf(c.sensor, sizeof(c.sensor), "tap-a");
	snprintf(c.issuer, sizeof(c.issuer), "Example CA 2 (R3)");
	n = shared_cert_encode(&c, out, sizeof(out));
	assert_int_equal(n, strlen(out));
	assert_string_equal(out + 64, " self 1796314409076031 tap-a Example CA 2 (R3)");
	assert_true(shared_cert_decode(out, n, &d));
	assert_memory_equal(d.sha256, c.sha256, 32);
	assert_true(d.self_signed);
	assert_int_equal(d.last_us, c.last_us);
	assert_string_equal(d.sensor, "tap-a");
	assert_string_equal(d.issuer, "Example CA 2 (R3)");
	/* No issuer: no trailing space; "other"; upper-case hex is read too. */
	c.issuer[0] = '\0';
	c.self_signed = false;
	n = shared_cert_encode(&c, out, sizeof(out));
	assert_int_equal(out[n - 1], 'a');
	assert_true(shared_cert_decode(out, n, &d));
	assert_false(d.self_signed);
	assert_string_equal(d.issuer, "");
	{
		const char *upper =
			"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789 "
			"other 1 b";

		assert_true(shared_cert_decode(upper, strlen(upper), &d));
	}
	assert_int_equal(d.sha256[0], 0xab);
	/* Too small a buffer: nothing, never a value cut short. */
	assert_int_equal(shared_cert_encode(&c, out, 40), 0);
	assert_string_equal(out, "");
}

/* What a sensor writes is one line of words whatever the certificate held:
 * a control byte in the issuer becomes '?', a space in the sensor '_'. */
static void
test_shared_cert_value_of_hostile_names_is_still_one_value(void **unused)
{
	struct shared_cert c = {.last_us = 5}, d;
	char out[SHARED_CERT_TEXT];

	(void)unused;
	snprintf(c.sensor, sizeof(c.sensor), "tap a\tb");
	snprintf(c.issuer, sizeof(c.issuer), "Evil\r\nCA\x7f");
	assert_true(shared_cert_encode(&c, out, sizeof(out)) > 0);
	assert_null(strchr(out, '\n'));
	assert_true(shared_cert_decode(out, strlen(out), &d));
	assert_string_equal(d.sensor, "tap_a_b");
	assert_string_equal(d.issuer, "Evil??CA?");
	c.sensor[0] = '\0';
	assert_true(shared_cert_encode(&c, out, sizeof(out)) > 0);
	assert_true(shared_cert_decode(out, strlen(out), &d));
	assert_string_equal(d.sensor, "-");
}

static void
test_shared_cert_hostile_values_are_refused(void **unused)
{
	static const char *bad[] = {
		"",
		HEX64,			     /* the other words missing */
		HEX64 " self",		     /* ... */
		HEX64 " self 100",	     /* no sensor */
		HEX64 " self 100 ",	     /* an empty sensor */
		HEX64 "  self 100 tap-a",    /* two spaces */
		" " HEX64 " self 100 tap-a", /* a leading space */
		HEX64 "0 self 100 tap-a",    /* 65 digits */
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde self 100 tap-a",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg self 100 tap-a",
		"0x23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef self 100 tap-a",
		HEX64 " Self 100 tap-a", /* neither self nor other */
		HEX64 " selfie 100 tap-a",
		HEX64 " self -1 tap-a", /* not a number */
		HEX64 " self 1e6 tap-a",
		HEX64 " self 18446744073709551616 tap-a", /* past 64 bits */
		HEX64 " self 100 tap\ta",		  /* a control byte */
		HEX64 " self 100 tap-a Evil\nCA",	  /* ... in the issuer */
		HEX64 " self 100 tap-a Evil\x80"
		      "CA", /* not ASCII */
		HEX64
		" self 100 "
		"a123456789012345678901234567890123456789012345678901234567890123", /* sensor of 64
										     */
	};
	struct shared_cert d;
	char nul[] = HEX64 " self 100 tap-a CA";

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (shared_cert_decode(bad[i], strlen(bad[i]), &d))
			fail_msg("taken: \"%s\"", bad[i]);
	}
	/* A NUL inside the value's bytes. */
	nul[sizeof(HEX64) + 6] = '\0';
	assert_false(shared_cert_decode(nul, sizeof(nul) - 1, &d));
	/* The bytes given, not the C string: a value cut short is refused. */
	assert_false(shared_cert_decode(HEX64 " self 100 tap-a", 70, &d));
	{
		const char *big = HEX64 " self 9999999999999999999 tap-a";

		assert_true(shared_cert_decode(big, strlen(big), &d));
		assert_true(d.last_us == 9999999999999999999ull);
	}
}

/* An issuer longer than a certificate's is cut, as a state file's is; a
 * sensor of 63 bytes is the longest taken. */
static void
test_shared_cert_long_issuer_is_cut(void **unused)
{
	char v[1200];
	struct shared_cert d;
	int n;

	(void)unused;
	n = snprintf(v, sizeof(v), "%s other 7 %.63s ", HEX64,
		     "s12345678901234567890123456789012345678901234567890123456789012");
	memset(v + n, 'I', sizeof(v) - (size_t)n - 1);
	v[sizeof(v) - 1] = '\0';
	assert_true(shared_cert_decode(v, strlen(v), &d));
	assert_int_equal(strlen(d.sensor), 63);
	assert_int_equal(strlen(d.issuer), SHARED_CERT_ISSUER - 1);
	assert_int_equal(d.issuer[0], 'I');
}

/* Redis down: a certificate is news when the shared state has none, another
 * one, or this one since more than the refresh interval; a later one held
 * stays; lookups are counted as unchecked, what was queued as dropped. */
static void
test_shared_cert_is_written_only_when_news(void **unused)
{
	struct shared_target t;
	struct shared_stats st;
	struct shared *sh;
	struct shared_cert c = {.last_us = 1000000}, got;
	char err[256] = "", warn[256] = "";
	uint8_t ip[16] = {192, 0, 2, 10};
	const uint64_t hour = 3600ull * 1000000;

	(void)unused;
	assert_int_equal(shared_parse("redis://127.0.0.1:1", &t, err, sizeof(err)), 0);
	sh = shared_new(&t, "tap-a", warn, sizeof(warn));
	assert_non_null(sh);
	assert_false(shared_cert_get(sh, 4, ip, 25, 6, &got));
	memset(c.sha256, 0x11, 32);
	snprintf(c.sensor, sizeof(c.sensor), "ignored");
	snprintf(c.issuer, sizeof(c.issuer), "R3");
	shared_cert_put(sh, 4, ip, 25, 6, &c); /* 1: none held */
	assert_true(shared_cert_get(sh, 4, ip, 25, 6, &got));
	assert_string_equal(got.sensor, "tap-a");
	assert_string_equal(got.issuer, "R3");
	assert_int_equal(got.last_us, 1000000);
	assert_false(shared_cert_get(sh, 4, ip, 587, 6, &got)); /* another server */
	assert_false(shared_cert_get(sh, 4, ip, 25, 17, &got));
	c.last_us += hour - 1;
	shared_cert_put(sh, 4, ip, 25, 6, &c); /* the same, within the hour: no */
	assert_true(shared_cert_get(sh, 4, ip, 25, 6, &got));
	assert_int_equal(got.last_us, 1000000);
	c.last_us += 1;
	shared_cert_put(sh, 4, ip, 25, 6, &c); /* 2: an hour on: renewed */
	assert_true(shared_cert_get(sh, 4, ip, 25, 6, &got));
	assert_int_equal(got.last_us, 1000000 + hour);
	memset(c.sha256, 0x22, 32);
	c.last_us += 1;
	shared_cert_put(sh, 4, ip, 25, 6, &c); /* 3: another certificate */
	assert_true(shared_cert_get(sh, 4, ip, 25, 6, &got));
	assert_int_equal(got.sha256[0], 0x22);
	memset(c.sha256, 0x33, 32);
	c.last_us = 5;
	shared_cert_put(sh, 4, ip, 25, 6, &c); /* older than the one held: no */
	assert_true(shared_cert_get(sh, 4, ip, 25, 6, &got));
	assert_int_equal(got.sha256[0], 0x22);
	shared_free(sh, 0, &st);
	assert_int_equal(st.cert_sent, 0);
	assert_int_equal(st.cert_dropped, 3);
	assert_int_equal(st.cert_unchecked, 8);
	assert_int_equal(st.dropped, 0); /* the offers' counter is the offers' */
}

/* A short ttl= renews a key before it expires: at half its life. */
static void
test_shared_cert_refresh_follows_a_short_ttl(void **unused)
{
	struct shared_target t;
	struct shared_stats st;
	struct shared *sh;
	struct shared_cert c = {.last_us = 1000000};
	char err[256] = "", warn[256] = "";
	uint8_t ip[16] = {192, 0, 2, 10};

	(void)unused;
	assert_int_equal(shared_parse("redis://127.0.0.1:1?ttl=60", &t, err, sizeof(err)), 0);
	sh = shared_new(&t, "tap-a", warn, sizeof(warn));
	assert_non_null(sh);
	shared_cert_put(sh, 4, ip, 25, 6, &c);
	c.last_us += 29 * 1000000;
	shared_cert_put(sh, 4, ip, 25, 6, &c);
	c.last_us += 1000000;
	shared_cert_put(sh, 4, ip, 25, 6, &c);
	shared_free(sh, 0, &st);
	assert_int_equal(st.cert_dropped, 2);
}

static void
test_shared_null_store_is_inert(void **unused)
{
	struct shared_stats st;
	uint8_t ip[16] = {0};

	(void)unused;
	assert_false(shared_offered(NULL, 4, ip, 25, 6, NULL, 0));
	shared_offer(NULL, 4, ip, 25, 6, "smtp", 0);
	shared_count_hit(NULL);
	shared_policy_put(NULL, "example.org", "sts", "policy sts example.org - 2 1", 1);
	shared_policy_take(NULL, take_line, NULL);
	{
		struct shared_cert c = {0};

		assert_false(shared_cert_get(NULL, 4, ip, 25, 6, &c));
		shared_cert_put(NULL, 4, ip, 25, 6, &c);
	}
	shared_stats_get(NULL, &st);
	assert_int_equal(st.sent, 0);
	shared_free(NULL, 0, &st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_full_url_sets_every_part),
		cmocka_unit_test(test_shared_defaults_are_6379_no_select_prefix_tlswatch_30_days),
		cmocka_unit_test(test_shared_bad_urls_are_refused_with_a_reason),
		cmocka_unit_test(
			test_shared_unreachable_redis_warns_keeps_local_offers_and_counts_them),
		cmocka_unit_test(
			test_shared_failures_are_per_client_and_server_and_keep_the_latest),
		cmocka_unit_test(test_shared_policy_facts_of_this_sensor_are_queued_and_counted),
		cmocka_unit_test(test_shared_cert_value_reads_back_what_was_written),
		cmocka_unit_test(test_shared_cert_value_of_hostile_names_is_still_one_value),
		cmocka_unit_test(test_shared_cert_hostile_values_are_refused),
		cmocka_unit_test(test_shared_cert_long_issuer_is_cut),
		cmocka_unit_test(test_shared_cert_is_written_only_when_news),
		cmocka_unit_test(test_shared_cert_refresh_follows_a_short_ttl),
		cmocka_unit_test(test_shared_null_store_is_inert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
