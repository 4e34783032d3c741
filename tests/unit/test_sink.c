/*
 * test_sink.c - the helpers every renderer shares: the hand-made RFC 3339
 * time formatter agrees with gmtime_r over a wide range, endpoints are
 * bracketed for IPv6, secrets are redacted unless asked for; the text
 * report's appenders write what the printf formats they replace wrote.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include "sink.h"
#include "../../src/sink/text_internal.h"

static void
test_time_formatting_agrees_with_gmtime_from_1970_to_2100(void **st)
{
	uint64_t x = 88172645463325252ull;

	(void)st;
	for (int i = 0; i < 200000; i++) {
		uint64_t us;
		time_t t;
		struct tm tm;
		char want[64], got[64];

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		us = x % (4102444800ull * 1000000ull); /* up to 2100-01-01 */
		if (i < 4)
			us = (uint64_t[]){0, 951782400ull * 1000000 + 1,
					  1709164799ull * 1000000 + 999999,
					  4102444799ull * 1000000}[i];
		t = (time_t)(us / 1000000);
		gmtime_r(&t, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (unsigned)(us % 1000000));
		sink_format_time(us, got, sizeof(got));
		assert_string_equal(got, want);
	}
}

static void
test_time_formatting_never_overflows_a_small_buffer(void **st)
{
	char buf[8];

	(void)st;
	sink_format_time(1764057600ull * 1000000, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 7);
	assert_memory_equal(buf, "2025-11", 7);
}

static void
test_ipv4_addresses_print_as_inet_ntop_does(void **st)
{
	uint32_t x = 2463534242u;

	(void)st;
	for (int i = 0; i < 100000; i++) {
		uint8_t a[16] = {0};
		char want[64], got[64];

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy(a, &x, 4);
		if (i < 3)
			memset(a, i == 0 ? 0 : i == 1 ? 255 : 10, 4);
		inet_ntop(AF_INET, a, want, sizeof(want));
		session_addr_str(4, a, got, sizeof(got));
		assert_string_equal(got, want);
	}
}

static void
test_endpoints_bracket_ipv6_and_not_ipv4(void **st)
{
	uint8_t v4[16] = {127, 0, 0, 1}, v6[16] = {0};
	char buf[64];

	(void)st;
	v6[15] = 1;
	sink_format_endpoint(4, v4, 25, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:25");
	sink_format_endpoint(6, v6, 25, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:25");
}

static void
test_secrets_are_redacted_unless_asked_for(void **st)
{
	struct login l;

	(void)st;
	memset(&l, 0, sizeof(l));
	strcpy(l.secret, "hunter2");
	assert_null(sink_secret(&l, false, "***")); /* no secret crossed the wire */
	l.has_secret = true;
	assert_string_equal(sink_secret(&l, false, "***"), "***");
	assert_string_equal(sink_secret(&l, true, "***"), "hunter2");
}

/* text_u64_w, text_pad and text_percent_w against "%*" PRIu64, "%-*s" and
 * "%*.0f%%" (ties included: 1/8 is 12.5 %, printed 12, as printf rounds to
 * even), over widths narrower and wider than the value. */
static void
test_text_appenders_write_what_printf_wrote(void **st)
{
	struct text_buf b = {0};
	char want[64];
	static const uint64_t nums[] = {0, 7, 42, 999, 1000, 123456789, UINT64_MAX};

	(void)st;
	for (size_t w = 0; w < 24; w++) {
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			b.len = 0;
			text_u64_w(&b, nums[i], w);
			snprintf(want, sizeof(want), "%*" PRIu64, (int)w, nums[i]);
			assert_int_equal(b.len, strlen(want));
			assert_memory_equal(b.p, want, b.len);
		}
		b.len = 0;
		text_pad(&b, "smtp", w);
		snprintf(want, sizeof(want), "%-*s", (int)w, "smtp");
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.p, want, b.len);
	}
	for (uint64_t d = 1; d <= 400; d++)
		for (uint64_t n = 0; n <= d; n++)
			for (size_t w = 3; w <= 8; w += 5) {
				double share = (double)n / (double)d;

				b.len = 0;
				text_percent_w(&b, share, w);
				snprintf(want, sizeof(want), "%*.0f%%", (int)w, 100.0 * share);
				assert_int_equal(b.len, strlen(want));
				assert_memory_equal(b.p, want, b.len);
			}
	assert_false(b.oom);
	free(b.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_formatting_agrees_with_gmtime_from_1970_to_2100),
		cmocka_unit_test(test_time_formatting_never_overflows_a_small_buffer),
		cmocka_unit_test(test_ipv4_addresses_print_as_inet_ntop_does),
		cmocka_unit_test(test_endpoints_bracket_ipv6_and_not_ipv4),
		cmocka_unit_test(test_secrets_are_redacted_unless_asked_for),
		cmocka_unit_test(test_text_appenders_write_what_printf_wrote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
