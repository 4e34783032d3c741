/*
 * test_line.c - the helpers src/proto/proto.c gives every text protocol: the
 * masked-keyword rule and the line assembler.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#define BYTES(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* ---- proto_token_is_masked ------------------------------------------------------ */

static void
test_line_keywords_of_x_are_masked_whatever_their_case(void **unused)
{
	(void)unused;
	assert_true(proto_token_is_masked(BYTES("XXXXXXXX")));
	assert_true(proto_token_is_masked(BYTES("xxxxxxxx")));
	assert_true(proto_token_is_masked(BYTES("XxXx")));
	assert_true(proto_token_is_masked(BYTES("XXXX")));
	assert_true(proto_token_is_masked(BYTES("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")));
}

static void
test_line_a_quarter_of_other_bytes_is_still_masked(void **unused)
{
	(void)unused;
	assert_true(proto_token_is_masked(BYTES("XXXXXXXA")));  /* 1 of 8 */
	assert_true(proto_token_is_masked(BYTES("XXXXXXAA")));  /* 2 of 8 */
	assert_false(proto_token_is_masked(BYTES("XXXXXAAA"))); /* 3 of 8 */
	assert_true(proto_token_is_masked(BYTES("XXXA")));      /* 1 of 4 */
	assert_false(proto_token_is_masked(BYTES("XXAA")));     /* 2 of 4 */
	assert_true(proto_token_is_masked(BYTES("XXXXA")));     /* 1 of 5 */
	assert_false(proto_token_is_masked(BYTES("XXXAA")));    /* 2 of 5 */
}

static void
test_line_short_tokens_and_real_extensions_are_not_masked(void **unused)
{
	static const char *const real[] = {
		"XCLIENT", "XFORWARD", "XEXCH50", "X-EXPS", "XLIST", "XOAUTH2", "STARTTLS", "STLS",
	};

	(void)unused;
	assert_false(proto_token_is_masked(BYTES("")));
	assert_false(proto_token_is_masked(BYTES("X")));
	assert_false(proto_token_is_masked(BYTES("XXX")));
	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
		if (proto_token_is_masked((const uint8_t *)real[i], strlen(real[i])))
			fail_msg("%s is masked", real[i]);
}

static void
test_line_masked_reads_only_the_given_bytes(void **unused)
{
	static const uint8_t buf[] = {'X', 'X', 'X', 'X', 'A', 'A', 'A', 'A'};

	(void)unused;
	assert_true(proto_token_is_masked(buf, 4));
	assert_false(proto_token_is_masked(buf, 8));
	assert_false(proto_token_is_masked(NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_keywords_of_x_are_masked_whatever_their_case),
		cmocka_unit_test(test_line_a_quarter_of_other_bytes_is_still_masked),
		cmocka_unit_test(test_line_short_tokens_and_real_extensions_are_not_masked),
		cmocka_unit_test(test_line_masked_reads_only_the_given_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
