/*
 * test_cursor.c - unit tests for the bounds-checked cursor and the text
 * helpers (src/cursor.c).
 *
 * Every reader is tried with exactly enough bytes and with one byte less; a
 * failed read must leave the cursor exactly where it was (pointer and length).
 * Length-prefixed readers are fed prefixes that claim more bytes than exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cursor.h"

#define U8S(s) ((const uint8_t *)(s))

/* Asserts that c still points at p with len bytes. */
static void
assert_cursor_at(const struct cursor *c, const uint8_t *p, size_t len)
{
	assert_ptr_equal(c->p, p);
	assert_int_equal(c->len, len);
	assert_int_equal(cursor_remaining(c), len);
}

/* ---- integer readers ---- */

static void
test_cursor_init_with_null_pointer_has_nothing_to_read(void **state)
{
	struct cursor c;
	uint8_t v;

	(void)state;
	cursor_init(&c, NULL, 10);
	assert_int_equal(cursor_remaining(&c), 0);
	assert_false(cursor_get_u8(&c, &v));
	assert_true(cursor_skip(&c, 0));
}

static void
test_cursor_integer_readers_succeed_with_exact_bytes_and_read_network_order(void **state)
{
	static const uint8_t b[] = {0x12, 0x34, 0x56, 0x78};
	struct cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	(void)state;
	cursor_init(&c, b, 1);
	assert_true(cursor_get_u8(&c, &u8));
	assert_int_equal(u8, 0x12);
	assert_cursor_at(&c, b + 1, 0);

	cursor_init(&c, b, 2);
	assert_true(cursor_get_u16(&c, &u16));
	assert_int_equal(u16, 0x1234);
	assert_cursor_at(&c, b + 2, 0);

	cursor_init(&c, b, 3);
	assert_true(cursor_get_u24(&c, &u32));
	assert_int_equal(u32, 0x123456);
	assert_cursor_at(&c, b + 3, 0);

	cursor_init(&c, b, 4);
	assert_true(cursor_get_u32(&c, &u32));
	assert_int_equal(u32, 0x12345678);
	assert_cursor_at(&c, b + 4, 0);
}

static void
test_cursor_integer_readers_fail_one_byte_short_and_leave_cursor_and_output_unchanged(void **state)
{
	static const uint8_t b[] = {0xff, 0xff, 0xff, 0xff};
	struct cursor c;
	uint8_t u8 = 0xab;
	uint16_t u16 = 0xabcd;
	uint32_t u32 = 0xabcdef01;

	(void)state;
	cursor_init(&c, b, 0);
	assert_false(cursor_get_u8(&c, &u8));
	assert_cursor_at(&c, b, 0);
	assert_int_equal(u8, 0xab);

	cursor_init(&c, b, 1);
	assert_false(cursor_get_u16(&c, &u16));
	assert_cursor_at(&c, b, 1);
	assert_int_equal(u16, 0xabcd);

	cursor_init(&c, b, 2);
	assert_false(cursor_get_u24(&c, &u32));
	assert_cursor_at(&c, b, 2);
	assert_int_equal(u32, 0xabcdef01);

	cursor_init(&c, b, 3);
	assert_false(cursor_get_u32(&c, &u32));
	assert_cursor_at(&c, b, 3);
	assert_int_equal(u32, 0xabcdef01);
}

static void
test_cursor_reads_in_sequence_consume_exactly_what_they_read(void **state)
{
	static const uint8_t b[] = {1, 0, 2, 0, 0, 3, 0, 0, 0, 4, 9};
	struct cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	(void)state;
	cursor_init(&c, b, sizeof(b));
	assert_true(cursor_get_u8(&c, &u8));
	assert_int_equal(u8, 1);
	assert_true(cursor_get_u16(&c, &u16));
	assert_int_equal(u16, 2);
	assert_true(cursor_get_u24(&c, &u32));
	assert_int_equal(u32, 3);
	assert_true(cursor_get_u32(&c, &u32));
	assert_int_equal(u32, 4);
	assert_cursor_at(&c, b + 10, 1);
	assert_false(cursor_get_u16(&c, &u16));
	assert_cursor_at(&c, b + 10, 1);
	assert_true(cursor_get_u8(&c, &u8));
	assert_int_equal(u8, 9);
	assert_cursor_at(&c, b + 11, 0);
}

/* ---- skip and split ---- */

static void
test_cursor_skip_succeeds_up_to_the_end_and_fails_past_it_without_moving(void **state)
{
	static const uint8_t b[5] = {0};
	struct cursor c;

	(void)state;
	cursor_init(&c, b, sizeof(b));
	assert_false(cursor_skip(&c, 6));
	assert_cursor_at(&c, b, 5);
	assert_false(cursor_skip(&c, SIZE_MAX));
	assert_cursor_at(&c, b, 5);
	assert_true(cursor_skip(&c, 0));
	assert_cursor_at(&c, b, 5);
	assert_true(cursor_skip(&c, 5));
	assert_cursor_at(&c, b + 5, 0);
	assert_false(cursor_skip(&c, 1));
	assert_cursor_at(&c, b + 5, 0);
}

static void
test_cursor_get_bytes_splits_exactly_n_bytes_and_fails_past_the_end(void **state)
{
	static const uint8_t b[] = "abcdef";
	struct cursor c, out = {NULL, 0};

	(void)state;
	cursor_init(&c, b, 6);
	assert_false(cursor_get_bytes(&c, &out, 7));
	assert_cursor_at(&c, b, 6);
	assert_null(out.p);
	assert_true(cursor_get_bytes(&c, &out, 2));
	assert_cursor_at(&out, b, 2);
	assert_cursor_at(&c, b + 2, 4);
	assert_true(cursor_get_bytes(&c, &out, 4));
	assert_cursor_at(&out, b + 2, 4);
	assert_cursor_at(&c, b + 6, 0);
	assert_true(cursor_get_bytes(&c, &out, 0));
	assert_int_equal(out.len, 0);
	assert_false(cursor_get_bytes(&c, &out, 1));
	assert_cursor_at(&c, b + 6, 0);
}

/* ---- length-prefixed fields ---- */

static void
test_cursor_u8_prefixed_reads_the_field_that_fits_exactly(void **state)
{
	static const uint8_t b[] = {3, 'a', 'b', 'c', 'z'};
	struct cursor c, out;

	(void)state;
	cursor_init(&c, b, sizeof(b));
	assert_true(cursor_get_u8_prefixed(&c, &out));
	assert_cursor_at(&out, b + 1, 3);
	assert_cursor_at(&c, b + 4, 1);
}

static void
test_cursor_prefixed_readers_accept_a_zero_length_field(void **state)
{
	static const uint8_t b[] = {0, 0, 0};
	struct cursor c, out;

	(void)state;
	cursor_init(&c, b, 1);
	assert_true(cursor_get_u8_prefixed(&c, &out));
	assert_int_equal(out.len, 0);
	assert_cursor_at(&c, b + 1, 0);
	cursor_init(&c, b, 2);
	assert_true(cursor_get_u16_prefixed(&c, &out));
	assert_int_equal(out.len, 0);
	assert_cursor_at(&c, b + 2, 0);
	cursor_init(&c, b, 3);
	assert_true(cursor_get_u24_prefixed(&c, &out));
	assert_int_equal(out.len, 0);
	assert_cursor_at(&c, b + 3, 0);
}

static void
test_cursor_prefixed_readers_with_a_lying_length_fail_and_leave_cursor_unchanged(void **state)
{
	/* Each prefix claims one byte more than follows. */
	static const uint8_t l8[] = {4, 'a', 'b', 'c'};
	static const uint8_t l16[] = {0x00, 0x04, 'a', 'b', 'c'};
	static const uint8_t l24[] = {0x00, 0x00, 0x04, 'a', 'b', 'c'};
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 'a'};
	struct cursor c, out = {NULL, 0};

	(void)state;
	cursor_init(&c, l8, sizeof(l8));
	assert_false(cursor_get_u8_prefixed(&c, &out));
	assert_cursor_at(&c, l8, sizeof(l8));

	cursor_init(&c, l16, sizeof(l16));
	assert_false(cursor_get_u16_prefixed(&c, &out));
	assert_cursor_at(&c, l16, sizeof(l16));

	cursor_init(&c, l24, sizeof(l24));
	assert_false(cursor_get_u24_prefixed(&c, &out));
	assert_cursor_at(&c, l24, sizeof(l24));

	cursor_init(&c, huge, sizeof(huge));
	assert_false(cursor_get_u24_prefixed(&c, &out));
	assert_cursor_at(&c, huge, sizeof(huge));
	assert_false(cursor_get_u16_prefixed(&c, &out));
	assert_cursor_at(&c, huge, sizeof(huge));
	assert_false(cursor_get_u8_prefixed(&c, &out));
	assert_cursor_at(&c, huge, sizeof(huge));
	assert_null(out.p);
}

static void
test_cursor_prefixed_readers_with_a_cut_prefix_fail_and_leave_cursor_unchanged(void **state)
{
	static const uint8_t b[] = {0x00, 0x00};
	struct cursor c, out;

	(void)state;
	cursor_init(&c, b, 0);
	assert_false(cursor_get_u8_prefixed(&c, &out));
	assert_cursor_at(&c, b, 0);
	cursor_init(&c, b, 1);
	assert_false(cursor_get_u16_prefixed(&c, &out));
	assert_cursor_at(&c, b, 1);
	cursor_init(&c, b, 2);
	assert_false(cursor_get_u24_prefixed(&c, &out));
	assert_cursor_at(&c, b, 2);
}

static void
test_cursor_nested_prefixed_fields_stay_inside_their_parent(void **state)
{
	/* outer u16 length 3 holds a u8 field claiming 5: the 5 bytes exist in
	 * the buffer but not inside the outer field. */
	static const uint8_t b[] = {0x00, 0x03, 0x05, 'a', 'b', 'c', 'd', 'e'};
	struct cursor c, outer, inner;

	(void)state;
	cursor_init(&c, b, sizeof(b));
	assert_true(cursor_get_u16_prefixed(&c, &outer));
	assert_cursor_at(&outer, b + 2, 3);
	assert_false(cursor_get_u8_prefixed(&outer, &inner));
	assert_cursor_at(&outer, b + 2, 3);
}

/* ---- cursor_skip_blanks / cursor_get_token ---- */

static void
test_cursor_get_token_splits_on_spaces_and_tabs_and_skips_runs_of_them(void **state)
{
	const uint8_t *b = U8S("  a1\tLOGIN  \t alice\r\n");
	struct cursor c, tok;

	(void)state;
	cursor_init(&c, b, strlen((const char *)b));
	assert_true(cursor_get_token(&c, &tok));
	assert_ptr_equal(tok.p, b + 2);
	assert_int_equal(tok.len, 2);
	assert_true(cursor_get_token(&c, &tok));
	assert_int_equal(tok.len, 5);
	assert_memory_equal(tok.p, "LOGIN", 5);
	assert_true(cursor_get_token(&c, &tok));
	assert_memory_equal(tok.p, "alice\r\n", 7); /* CR LF is no delimiter */
	assert_int_equal(tok.len, 7);
	assert_cursor_at(&c, b + strlen((const char *)b), 0);
}

static void
test_cursor_get_token_on_blanks_only_fails_and_leaves_the_cursor(void **state)
{
	const uint8_t *b = U8S(" \t ");
	struct cursor c, tok = {NULL, 0};

	(void)state;
	cursor_init(&c, b, 3);
	assert_false(cursor_get_token(&c, &tok));
	assert_cursor_at(&c, b, 3);
	assert_null(tok.p);
	cursor_skip_blanks(&c);
	assert_cursor_at(&c, b + 3, 0);
	assert_false(cursor_get_token(&c, &tok));
	cursor_init(&c, NULL, 0);
	cursor_skip_blanks(&c);
	assert_false(cursor_get_token(&c, &tok));
}

/* ---- text_equal_ci / text_prefix_ci ---- */

static void
test_text_equal_ci_ignores_ascii_case_and_requires_the_same_length(void **state)
{
	(void)state;
	assert_true(text_equal_ci(U8S("StartTLS"), 8, "STARTTLS"));
	assert_true(text_equal_ci(U8S("starttls"), 8, "STARTTLS"));
	assert_false(text_equal_ci(U8S("STARTTLSX"), 9, "STARTTLS"));
	assert_false(text_equal_ci(U8S("STARTTL"), 7, "STARTTLS"));
	assert_true(text_equal_ci(U8S(""), 0, ""));
	assert_false(text_equal_ci(U8S("a"), 1, ""));
	/* Only ASCII letters fold: '@' (0x40) and '`' (0x60) differ by 0x20 too. */
	assert_false(text_equal_ci(U8S("@"), 1, "`"));
	assert_false(text_equal_ci(U8S("["), 1, "{"));
	/* A NUL inside the bytes is data, not an end. */
	assert_false(text_equal_ci(U8S("AB\0"), 3, "AB"));
}

static void
test_text_prefix_ci_matches_only_when_the_whole_prefix_is_present(void **state)
{
	(void)state;
	assert_true(text_prefix_ci(U8S("ehlo example"), 12, "EHLO"));
	assert_true(text_prefix_ci(U8S("EHLO"), 4, "ehlo"));
	assert_false(text_prefix_ci(U8S("EHL"), 3, "EHLO"));
	/* Length decides, not the NUL terminator of a C string. */
	assert_false(text_prefix_ci(U8S("EHLO"), 3, "EHLO"));
	assert_true(text_prefix_ci(U8S("x"), 1, ""));
	assert_true(text_prefix_ci(U8S(""), 0, ""));
	assert_false(text_prefix_ci(U8S("HELO"), 4, "EHLO"));
}

/* ---- text_could_be_prefix_ci ---- */

static void
test_text_could_be_prefix_ci_accepts_every_beginning_of_the_word_and_the_word(void **state)
{
	(void)state;
	assert_true(text_could_be_prefix_ci(U8S(""), 0, "STLS"));
	assert_true(text_could_be_prefix_ci(U8S("s"), 1, "STLS"));
	assert_true(text_could_be_prefix_ci(U8S("sTl"), 3, "STLS"));
	assert_true(text_could_be_prefix_ci(U8S("stls"), 4, "STLS"));
	assert_true(text_could_be_prefix_ci(U8S("* o"), 3, "* OK"));
	assert_true(text_could_be_prefix_ci(U8S(""), 0, ""));
}

static void
test_text_could_be_prefix_ci_rejects_a_mismatch_and_anything_longer(void **state)
{
	(void)state;
	assert_false(text_could_be_prefix_ci(U8S("STLSX"), 5, "STLS"));
	assert_false(text_could_be_prefix_ci(U8S("STLS "), 5, "STLS"));
	assert_false(text_could_be_prefix_ci(U8S("STX"), 3, "STLS"));
	assert_false(text_could_be_prefix_ci(U8S("x"), 1, "STLS"));
	assert_false(text_could_be_prefix_ci(U8S("x"), 1, ""));
	/* Case folding is ASCII only, and the length decides, not a NUL. */
	assert_false(text_could_be_prefix_ci(U8S("S\0"), 2, "STLS"));
	assert_false(text_could_be_prefix_ci(U8S("\xd3"), 1, "STLS"));
	assert_true(text_could_be_prefix_ci(U8S("STXX"), 2, "STLS"));
}

/* ---- text_find_ci ---- */

static void
test_text_find_ci_returns_the_first_offset_at_start_middle_and_end(void **state)
{
	static const char s[] = "abcSTLSdefstls";

	(void)state;
	assert_int_equal(text_find_ci(U8S(s), strlen(s), "abc"), 0);
	assert_int_equal(text_find_ci(U8S(s), strlen(s), "stls"), 3);
	assert_int_equal(text_find_ci(U8S(s), strlen(s), "DEFSTLS"), 7);
	assert_int_equal(text_find_ci(U8S(s), strlen(s), "tls"), 4);
	assert_int_equal(text_find_ci(U8S(s), strlen(s), "xyz"), -1);
	/* The needle would fit only past the end of the bytes. */
	assert_int_equal(text_find_ci(U8S(s), strlen(s) - 1, "defstls"), -1);
	assert_int_equal(text_find_ci(U8S("ab"), 2, "abc"), -1);
	assert_int_equal(text_find_ci(U8S(""), 0, "a"), -1);
	assert_int_equal(text_find_ci(U8S("abc"), 3, ""), 0);
}

static void
test_text_find_ci_restarts_after_a_partial_match(void **state)
{
	(void)state;
	assert_int_equal(text_find_ci(U8S("aaab"), 4, "AAB"), 1);
	assert_int_equal(text_find_ci(U8S("STARSTARTTLS"), 12, "starttls"), 4);
}

/* ---- text_has_token_ci ---- */

static void
test_text_has_token_ci_finds_a_whole_token_at_start_middle_and_end(void **state)
{
	(void)state;
	assert_true(text_has_token_ci(U8S("STARTTLS"), 8, "starttls", NULL));
	assert_true(text_has_token_ci(U8S("STARTTLS PIPELINING"), 19, "starttls", NULL));
	assert_true(text_has_token_ci(U8S("SIZE STARTTLS"), 13, "STARTTLS", NULL));
	assert_true(text_has_token_ci(U8S("SIZE\tSTARTTLS\r\n"), 15, "STARTTLS", NULL));
	assert_true(
		text_has_token_ci(U8S("IMAP4rev1 starttls LOGINDISABLED"), 32, "STARTTLS", NULL));
	assert_true(text_has_token_ci(U8S("a\nSTARTTLS\rb"), 12, "STARTTLS", NULL));
}

static void
test_text_has_token_ci_does_not_match_part_of_a_word(void **state)
{
	(void)state;
	assert_false(text_has_token_ci(U8S("STARTTLSX"), 9, "STARTTLS", NULL));
	assert_false(text_has_token_ci(U8S("XSTARTTLS"), 9, "STARTTLS", NULL));
	assert_false(text_has_token_ci(U8S("NOSTARTTLS SIZE"), 15, "STARTTLS", NULL));
	assert_false(text_has_token_ci(U8S("SIZE STARTTLS2"), 14, "STARTTLS", NULL));
	assert_false(text_has_token_ci(U8S("STARTTL"), 7, "STARTTLS", NULL));
	/* The token is there only past the length given. */
	assert_false(text_has_token_ci(U8S("SIZE STARTTLS"), 12, "STARTTLS", NULL));
	assert_false(text_has_token_ci(U8S("anything"), 8, "", NULL));
}

static void
test_text_has_token_ci_skips_a_partial_word_and_finds_the_token_later(void **state)
{
	(void)state;
	assert_true(text_has_token_ci(U8S("STARTTLSX STARTTLS"), 18, "STARTTLS", NULL));
	assert_true(text_has_token_ci(U8S("XSTARTTLS STARTTLS"), 18, "STARTTLS", NULL));
}

static void
test_text_has_token_ci_uses_extra_delimiters_only_when_given(void **state)
{
	(void)state;
	assert_false(text_has_token_ci(U8S("[STARTTLS]"), 10, "STARTTLS", NULL));
	assert_true(text_has_token_ci(U8S("[STARTTLS]"), 10, "STARTTLS", "[]"));
	assert_true(text_has_token_ci(U8S("AUTH=PLAIN,LOGIN"), 16, "login", "=,"));
	assert_true(text_has_token_ci(U8S("AUTH=PLAIN,LOGIN"), 16, "plain", "=,"));
	assert_false(text_has_token_ci(U8S("AUTH=PLAIN,LOGIN"), 16, "plain", ","));
	assert_false(text_has_token_ci(U8S("[STARTTLS]"), 10, "STARTTLS", "["));
}

static void
test_text_has_token_ci_never_treats_a_nul_byte_as_a_delimiter(void **state)
{
	static const uint8_t b[] = {'S', 'T', 'L', 'S', 0, 'x'};
	static const uint8_t c[] = {'x', 0, 'S', 'T', 'L', 'S'};

	(void)state;
	assert_false(text_has_token_ci(b, sizeof(b), "STLS", ","));
	assert_false(text_has_token_ci(c, sizeof(c), "STLS", ","));
}

/* ---- text_trim_eol ---- */

static void
test_text_trim_eol_drops_only_trailing_cr_and_lf(void **state)
{
	(void)state;
	assert_int_equal(text_trim_eol(U8S("OK\r\n"), 4), 2);
	assert_int_equal(text_trim_eol(U8S("OK\n"), 3), 2);
	assert_int_equal(text_trim_eol(U8S("OK\r"), 3), 2);
	assert_int_equal(text_trim_eol(U8S("OK\r\n\r\n"), 6), 2);
	assert_int_equal(text_trim_eol(U8S("OK"), 2), 2);
	assert_int_equal(text_trim_eol(U8S("O\r\nK"), 4), 4);
	assert_int_equal(text_trim_eol(U8S("OK \r\n"), 5), 3);
	assert_int_equal(text_trim_eol(U8S("\r\n"), 2), 0);
	assert_int_equal(text_trim_eol(U8S(""), 0), 0);
}

/* ---- text_escape ---- */

static void
test_text_escape_keeps_printable_ascii_and_escapes_cr_lf_and_backslash(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(text_escape(out, sizeof(out), U8S("AUTH PLAIN\r\n"), 12), 12);
	assert_string_equal(out, "AUTH PLAIN\\r\\n");
	assert_int_equal(text_escape(out, sizeof(out), U8S("a\\b"), 3), 3);
	assert_string_equal(out, "a\\\\b");
	assert_int_equal(text_escape(out, sizeof(out), U8S(" ~"), 2), 2);
	assert_string_equal(out, " ~");
}

static void
test_text_escape_writes_other_bytes_as_lowercase_hex(void **state)
{
	static const uint8_t b[] = {0x00, 0x09, 0x1f, 0x7f, 0x80, 0xff, 'A'};
	char out[64];

	(void)state;
	assert_int_equal(text_escape(out, sizeof(out), b, sizeof(b)), sizeof(b));
	assert_string_equal(out, "\\x00\\x09\\x1f\\x7f\\x80\\xffA");
}

static void
test_text_escape_of_nothing_is_an_empty_string(void **state)
{
	char out[4] = "zzz";

	(void)state;
	assert_int_equal(text_escape(out, sizeof(out), U8S(""), 0), 0);
	assert_string_equal(out, "");
}

static void
test_text_escape_with_no_room_writes_nothing_and_represents_nothing(void **state)
{
	char out[2] = {'q', 'q'};

	(void)state;
	assert_int_equal(text_escape(out, 0, U8S("abc"), 3), 0);
	assert_int_equal(out[0], 'q');
	assert_int_equal(text_escape(out, 1, U8S("abc"), 3), 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'q');
}

static void
test_text_escape_cuts_plain_text_and_stays_nul_terminated(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'q', sizeof(out));
	assert_int_equal(text_escape(out, sizeof(out), U8S("abcdefghij"), 10), 7);
	assert_string_equal(out, "abcdefg");
}

static void
test_text_escape_never_cuts_in_the_middle_of_an_escape(void **state)
{
	static const uint8_t b[] = {'a', 'b', 0x01, 'c'};
	char out[16];

	(void)state;
	/* "ab\x01c" needs 2 + 4 + 1 + NUL. Every size must give a whole prefix. */
	for (size_t sz = 1; sz <= sizeof(out); sz++) {
		size_t used;
		const char *want;

		memset(out, 'q', sizeof(out));
		used = text_escape(out, sz, b, sizeof(b));
		if (sz < 2) {
			want = "";
			assert_int_equal(used, 0);
		} else if (sz < 3) {
			want = "a";
			assert_int_equal(used, 1);
		} else if (sz < 7) {
			want = "ab";
			assert_int_equal(used, 2);
		} else if (sz < 8) {
			want = "ab\\x01";
			assert_int_equal(used, 3);
		} else {
			want = "ab\\x01c";
			assert_int_equal(used, 4);
		}
		assert_string_equal(out, want);
		assert_true(strlen(out) < sz);
	}
}

static void
test_text_escape_cut_before_a_two_character_escape_keeps_it_whole(void **state)
{
	char out[4];

	(void)state;
	/* "ab" fits, "\r" needs 2 more and there is room for 1 only. */
	assert_int_equal(text_escape(out, sizeof(out), U8S("ab\r\n"), 4), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(text_escape(out, sizeof(out), U8S("a\\"), 2), 2);
	assert_string_equal(out, "a\\\\");
	assert_int_equal(text_escape(out, 3, U8S("a\\"), 2), 1);
	assert_string_equal(out, "a");
}

static void
test_text_escape_returns_the_input_bytes_represented_so_a_caller_can_continue(void **state)
{
	static const uint8_t b[] = "line one\r\nline two\x01\x02\\end";
	size_t n = sizeof(b) - 1, done = 0;
	char out[7], joined[256] = "", whole[256];

	(void)state;
	while (done < n) {
		size_t used = text_escape(out, sizeof(out), b + done, n - done);

		assert_true(used > 0);
		assert_true(strlen(out) < sizeof(out));
		strcat(joined, out);
		done += used;
	}
	assert_int_equal(text_escape(whole, sizeof(whole), b, n), n);
	assert_string_equal(joined, whole);
}

static void
test_hex_round_trips_and_refuses_anything_but_exactly_2n_digits(void **state)
{
	const uint8_t in[4] = {0x00, 0x7f, 0xab, 0xff};
	uint8_t out[4];
	char hex[9];

	(void)state;
	hex_encode(in, sizeof(in), hex);
	assert_string_equal(hex, "007fabff");
	assert_true(hex_decode(hex, out, sizeof(out)));
	assert_memory_equal(out, in, sizeof(in));
	assert_true(hex_decode("007FABFF", out, sizeof(out)));
	assert_memory_equal(out, in, sizeof(in));
	assert_false(hex_decode("007fab", out, sizeof(out)));	 /* short */
	assert_false(hex_decode("007fab0", out, sizeof(out)));	 /* odd */
	assert_false(hex_decode("007fabff0", out, sizeof(out))); /* long */
	assert_false(hex_decode("007fabfg", out, sizeof(out)));
	assert_false(hex_decode("007fab f", out, sizeof(out)));
	assert_false(hex_decode("-07fabff", out, sizeof(out)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_init_with_null_pointer_has_nothing_to_read),
		cmocka_unit_test(
			test_cursor_integer_readers_succeed_with_exact_bytes_and_read_network_order),
		cmocka_unit_test(
			test_cursor_integer_readers_fail_one_byte_short_and_leave_cursor_and_output_unchanged),
		cmocka_unit_test(test_cursor_reads_in_sequence_consume_exactly_what_they_read),
		cmocka_unit_test(
			test_cursor_skip_succeeds_up_to_the_end_and_fails_past_it_without_moving),
		cmocka_unit_test(
			test_cursor_get_bytes_splits_exactly_n_bytes_and_fails_past_the_end),
		cmocka_unit_test(test_cursor_u8_prefixed_reads_the_field_that_fits_exactly),
		cmocka_unit_test(test_cursor_prefixed_readers_accept_a_zero_length_field),
		cmocka_unit_test(
			test_cursor_prefixed_readers_with_a_lying_length_fail_and_leave_cursor_unchanged),
		cmocka_unit_test(
			test_cursor_prefixed_readers_with_a_cut_prefix_fail_and_leave_cursor_unchanged),
		cmocka_unit_test(test_cursor_nested_prefixed_fields_stay_inside_their_parent),
		cmocka_unit_test(
			test_text_equal_ci_ignores_ascii_case_and_requires_the_same_length),
		cmocka_unit_test(
			test_cursor_get_token_splits_on_spaces_and_tabs_and_skips_runs_of_them),
		cmocka_unit_test(test_cursor_get_token_on_blanks_only_fails_and_leaves_the_cursor),
		cmocka_unit_test(test_text_prefix_ci_matches_only_when_the_whole_prefix_is_present),
		cmocka_unit_test(
			test_text_could_be_prefix_ci_accepts_every_beginning_of_the_word_and_the_word),
		cmocka_unit_test(
			test_text_could_be_prefix_ci_rejects_a_mismatch_and_anything_longer),
		cmocka_unit_test(
			test_text_find_ci_returns_the_first_offset_at_start_middle_and_end),
		cmocka_unit_test(test_text_find_ci_restarts_after_a_partial_match),
		cmocka_unit_test(
			test_text_has_token_ci_finds_a_whole_token_at_start_middle_and_end),
		cmocka_unit_test(test_text_has_token_ci_does_not_match_part_of_a_word),
		cmocka_unit_test(
			test_text_has_token_ci_skips_a_partial_word_and_finds_the_token_later),
		cmocka_unit_test(test_text_has_token_ci_uses_extra_delimiters_only_when_given),
		cmocka_unit_test(test_text_has_token_ci_never_treats_a_nul_byte_as_a_delimiter),
		cmocka_unit_test(test_text_trim_eol_drops_only_trailing_cr_and_lf),
		cmocka_unit_test(
			test_text_escape_keeps_printable_ascii_and_escapes_cr_lf_and_backslash),
		cmocka_unit_test(test_text_escape_writes_other_bytes_as_lowercase_hex),
		cmocka_unit_test(test_text_escape_of_nothing_is_an_empty_string),
		cmocka_unit_test(
			test_text_escape_with_no_room_writes_nothing_and_represents_nothing),
		cmocka_unit_test(test_text_escape_cuts_plain_text_and_stays_nul_terminated),
		cmocka_unit_test(test_text_escape_never_cuts_in_the_middle_of_an_escape),
		cmocka_unit_test(test_text_escape_cut_before_a_two_character_escape_keeps_it_whole),
		cmocka_unit_test(test_hex_round_trips_and_refuses_anything_but_exactly_2n_digits),
		cmocka_unit_test(
			test_text_escape_returns_the_input_bytes_represented_so_a_caller_can_continue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
