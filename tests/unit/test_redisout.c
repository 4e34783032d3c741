/*
 * test_redisout.c - the redis:// targets of --json: what each part of the URL
 * sets, the defaults, and the URLs refused with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "redisout.h"

static void
test_redisout_full_url_sets_every_part(void **unused)
{
	struct redisout_target t;
	char err[256] = "";

	(void)unused;
	assert_int_equal(
		redisout_parse(
			"redis://:s3cret@10.0.0.5:6380/2/tlswatch-eve?mode=stream&maxlen=5000", &t,
			err, sizeof(err)),
		0);
	assert_string_equal(t.host, "10.0.0.5");
	assert_int_equal(t.port, 6380);
	assert_int_equal(t.db, 2);
	assert_string_equal(t.password, "s3cret");
	assert_string_equal(t.key, "tlswatch-eve");
	assert_int_equal(t.mode, REDISOUT_STREAM);
	assert_int_equal(t.maxlen, 5000);
}

static void
test_redisout_defaults_are_a_list_on_6379_without_select(void **unused)
{
	struct redisout_target t;
	char err[256] = "";

	(void)unused;
	assert_int_equal(redisout_parse("redis://redis.example/events", &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "redis.example");
	assert_int_equal(t.port, 6379);
	assert_int_equal(t.db, -1);
	assert_string_equal(t.password, "");
	assert_string_equal(t.key, "events");
	assert_int_equal(t.mode, REDISOUT_LIST);
	assert_int_equal(t.maxlen, 0);
	assert_int_equal(redisout_parse("redis://h/k?mode=channel", &t, err, sizeof(err)), 0);
	assert_int_equal(t.mode, REDISOUT_CHANNEL);
}

static void
test_redisout_bad_urls_are_refused_with_a_reason(void **unused)
{
	static const struct {
		const char *url, *why;
	} bad[] = {
		{"file:///tmp/x", "not a redis:// URL"},
		{"redis://127.0.0.1", "no key"},
		{"redis:///k", "no host"},
		{"redis://h:0/k", "bad port"},
		{"redis://h:65536/k", "bad port"},
		{"redis://h:x/k", "bad port"},
		{"redis://h/db/k", "bad database number"},
		{"redis://h/1/", "bad key"},
		{"redis://h/k?mode=queue", "unknown parameter"},
		{"redis://h/k?maxlen=10", "maxlen is for mode=stream"},
		{"redis://h/k?mode=stream&maxlen=", "unknown parameter"},
	};
	struct redisout_target t;

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";

		assert_int_equal(redisout_parse(bad[i].url, &t, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].url, err, bad[i].why);
	}
	assert_false(redisout_is_url("redisx://h/k"));
	assert_true(redisout_is_url("redis://h/k"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redisout_full_url_sets_every_part),
		cmocka_unit_test(test_redisout_defaults_are_a_list_on_6379_without_select),
		cmocka_unit_test(test_redisout_bad_urls_are_refused_with_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
