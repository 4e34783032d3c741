/*
 * test_shared.c - --state redis://: what each part of the URL sets, the URLs
 * refused with a reason, and what a sensor does when Redis cannot be reached
 * (its own offers still count for it, and what it could not send is
 * counted). The exchanges with a real redis-server are in tests/e2e/shared.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
		cmocka_unit_test(test_shared_null_store_is_inert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
