/*
 * test_redisout.c - the redis:// targets of --json: what each part of the URL
 * sets, the defaults, and the URLs refused with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Whether this build runs under AddressSanitizer (its allocator does not
 * live with an address-space limit). */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

/*
 * A line whose buffer could not grow is lost, and counted once its end
 * comes; the bytes of it that come later must not be stored anywhere. The
 * allocation is made to fail with an address-space limit, in a child
 * process; a write out of bounds shows as malloc's abort there.
 */
static void
test_redisout_a_line_too_long_for_memory_is_counted_and_its_rest_dropped(void **unused)
{
	int status = 0;
	pid_t pid;

	(void)unused;
#ifdef TEST_ASAN
	skip();
#endif
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct redisout_target t;
		struct redisout *r;
		const char *why;
		char err[256];
		size_t big = 64u << 20;
		char *line = malloc(big);
		unsigned long pages = 0;
		struct rlimit rl;
		FILE *statm = fopen("/proc/self/statm", "r");
		FILE *f;
		uint64_t lost;

		if (!line || !statm || fscanf(statm, "%lu", &pages) != 1)
			_exit(10);
		fclose(statm);
		memset(line, 'a', big);
		/* Port 1 of the loopback: nothing answers, the record stays queued. */
		if (redisout_parse("redis://127.0.0.1:1/k", &t, err, sizeof(err)) < 0 ||
		    !(r = redisout_new(&t, 256u << 20, NULL, err, sizeof(err))))
			_exit(11);
		f = redisout_file(r);
		setvbuf(f, NULL, _IONBF, 0);
		/* Room for what is mapped now and a little more, not for 128 MiB. */
		rl.rlim_cur = rl.rlim_max =
			(rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (32u << 20);
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(12);
		fwrite(line, 1, big, f); /* the buffer cannot grow: the line is lost */
		fwrite("bc\n", 1, 3, f); /* its end */
		fwrite("ok\n", 1, 3, f); /* the next line is queued */
		lost = redisout_finish(r, 0, &why);
		redisout_free(r);
		free(line);
		_exit(lost == 2 ? 0 : 13); /* the long line, and "ok" still queued */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		fail_msg("the child died of signal %d (a write out of bounds)", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redisout_full_url_sets_every_part),
		cmocka_unit_test(test_redisout_defaults_are_a_list_on_6379_without_select),
		cmocka_unit_test(test_redisout_bad_urls_are_refused_with_a_reason),
		cmocka_unit_test(
			test_redisout_a_line_too_long_for_memory_is_counted_and_its_rest_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
