/*
 * test_line.c - the helpers src/proto/proto.c gives every text protocol: the
 * masked-keyword rule, login and capability records, keyword tables, the wait
 * for the answer to an upgrade request, and the line assembler (cut lines
 * and their tail, in every chunk size from 1 to 64 bytes). The engine built
 * on them (src/proto/line.c) has test_line_engine.c.
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
	assert_true(proto_token_is_masked(BYTES("XXXXXXXA")));	/* 1 of 8 */
	assert_true(proto_token_is_masked(BYTES("XXXXXXAA")));	/* 2 of 8 */
	assert_false(proto_token_is_masked(BYTES("XXXXXAAA"))); /* 3 of 8 */
	assert_true(proto_token_is_masked(BYTES("XXXA")));	/* 1 of 4 */
	assert_false(proto_token_is_masked(BYTES("XXAA")));	/* 2 of 4 */
	assert_true(proto_token_is_masked(BYTES("XXXXA")));	/* 1 of 5 */
	assert_false(proto_token_is_masked(BYTES("XXXAA")));	/* 2 of 5 */
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

/* ---- logins and capabilities by index ------------------------------------------ */

static void
test_line_logins_are_found_by_index_and_dropped_ones_are_minus_one(void **unused)
{
	struct proto_facts f = {0};
	int idx[LOGIN_MAX + 1];

	(void)unused;
	for (int i = 0; i <= LOGIN_MAX; i++)
		idx[i] = proto_facts_add_login_index(&f, "USER");
	for (int i = 0; i < LOGIN_MAX; i++) {
		assert_int_equal(idx[i], i);
		assert_ptr_equal(proto_facts_login(&f, i), &f.logins[i]);
	}
	assert_int_equal(idx[LOGIN_MAX], -1);
	assert_int_equal(f.logins_dropped, 1);
	assert_null(proto_facts_login(&f, -1));
	assert_null(proto_facts_login(&f, LOGIN_MAX));
	f.n_logins = 1;
	assert_null(proto_facts_login(&f, 1)); /* not in use */
}

static void
test_line_capability_keywords_are_kept_once(void **unused)
{
	struct proto_facts f = {0};

	(void)unused;
	proto_facts_add_capa_once(&f, BYTES("STLS"));
	proto_facts_add_capa_once(&f, BYTES("SASL"));
	proto_facts_add_capa_once(&f, BYTES("stls"));
	proto_facts_add_capa_once(&f, BYTES("STL"));
	proto_facts_add_capa_once(&f, BYTES("SASL"));
	assert_string_equal(f.capa, "STLS SASL STL");
	/* Non-printable bytes are compared as kept ('?'). */
	proto_facts_add_capa_once(&f, (const uint8_t *)"A\001", 2);
	proto_facts_add_capa_once(&f, BYTES("A?"));
	assert_string_equal(f.capa, "STLS SASL STL A?");
}

static void
test_line_a_masked_capability_keyword_is_kept_and_flagged_with_its_line(void **unused)
{
	struct proto_facts f = {0};

	(void)unused;
	proto_facts_capa_keyword(&f, BYTES("STLS"), BYTES("STLS\r\n"));
	assert_int_equal(f.indicators, 0);
	proto_facts_capa_keyword(&f, BYTES("XXXX"), BYTES("XXXX\r\n"));
	proto_facts_capa_keyword(&f, BYTES("XXXXXXXA"), BYTES("* CAPABILITY XXXXXXXA"));
	assert_string_equal(f.capa, "STLS XXXX XXXXXXXA");
	assert_int_equal(f.indicators, IND_CAPA_MASKED);
	assert_int_equal(f.evidence_len, 6); /* the first one's line */
	assert_memory_equal(f.evidence, "XXXX\r\n", 6);
}

static void
test_line_a_login_outcome_lands_on_its_index_only(void **unused)
{
	struct proto_facts f = {0};
	int idx = proto_facts_add_login_index(&f, "USER");

	(void)unused;
	proto_facts_login_outcome(&f, -1, true); /* dropped: nothing happens */
	proto_facts_login_outcome(&f, 1, true);	 /* not in use */
	assert_int_equal(f.logins[idx].outcome, LOGIN_UNKNOWN);
	proto_facts_login_outcome(&f, idx, true);
	assert_int_equal(f.logins[idx].outcome, LOGIN_SUCCESS);
	proto_facts_login_outcome(&f, idx, false);
	assert_int_equal(f.logins[idx].outcome, LOGIN_FAILURE);
}

static void
test_line_words_are_found_whatever_their_case_and_only_whole(void **unused)
{
	static const struct proto_word table[] = {{"EHLO", 1}, {"STARTTLS", 2}, {"", 3}};
	const struct proto_word *w;

	(void)unused;
	w = proto_word_find(table, 3, BYTES("starttls"));
	assert_non_null(w);
	assert_int_equal(w->value, 2);
	assert_null(proto_word_find(table, 3, BYTES("STARTTL")));
	assert_null(proto_word_find(table, 3, BYTES("EHLOX")));
	assert_null(proto_word_find(table, 2, BYTES("")));
	assert_int_equal(proto_word_find(table, 3, BYTES(""))->value, 3);
	assert_null(proto_word_find(table, 0, BYTES("EHLO")));
}

/* ---- upgrade_wait ---------------------------------------------------------------- */

static void
test_line_a_handshake_byte_after_the_upgrade_request_switches_to_tls(void **unused)
{
	struct proto_facts f = {0};
	struct upgrade_wait w = {0};

	(void)unused;
	assert_false(upgrade_wait_client_byte(&w, &f, 0x16)); /* nothing asked yet */
	upgrade_wait_begin(&w, &f);
	assert_true(f.upgrade_requested);
	assert_true(upgrade_wait_client_byte(&w, &f, 0x16));
	assert_true(f.upgrade_accepted);
	assert_true(f.switch_to_tls);
	assert_int_equal(f.indicators, 0);
}

static void
test_line_other_bytes_after_the_upgrade_request_are_injection(void **unused)
{
	struct proto_facts f = {0};
	struct upgrade_wait w = {0};
	struct line_asm la;

	(void)unused;
	line_asm_init(&la);
	upgrade_wait_begin(&w, &f);
	assert_false(upgrade_wait_client_byte(&w, &f, 'a'));
	assert_false(upgrade_wait_client_byte(&w, &f, 0x16)); /* only the first byte counts */
	upgrade_wait_client_line(&w, &f, BYTES("a2 LOGIN eve pw"));
	upgrade_wait_client_line(&w, &f, BYTES("a3 NOOP"));
	assert_int_equal(f.indicators, IND_CMD_INJECTION);
	assert_int_equal(f.evidence_len, 15);
	assert_memory_equal(f.evidence, "a2 LOGIN eve pw", 15);
	assert_true(upgrade_wait_answer(&w, &f, true, BYTES("a1 OK Begin TLS\r\n"), &la));
	assert_true(f.switch_to_tls);
	assert_string_equal(f.upgrade_reply, "a1 OK Begin TLS");
}

static void
test_line_injected_bytes_without_line_end_are_flagged_on_a_refusal(void **unused)
{
	struct proto_facts f = {0};
	struct upgrade_wait w = {0};
	struct line_asm la;
	const uint8_t *line;
	size_t used, n;
	bool cut;

	(void)unused;
	line_asm_init(&la);
	upgrade_wait_begin(&w, &f);
	assert_false(upgrade_wait_client_byte(&w, &f, 'Q'));
	assert_false(line_next(&la, BYTES("QUIT"), &used, &line, &n, &cut));
	assert_false(upgrade_wait_answer(&w, &f, false, BYTES("-ERR not now\r\n"), &la));
	assert_true(f.upgrade_refused);
	assert_false(f.switch_to_tls);
	assert_int_equal(f.indicators, IND_CMD_INJECTION | IND_UPGRADE_REFUSED);
	assert_int_equal(f.evidence_len, 4); /* the first indicator's evidence */
	assert_memory_equal(f.evidence, "QUIT", 4);
}

/* ---- line_next: cut lines and their tail ---------------------------------------- */

/* What one pass over a stream through line_next saw. */
struct line_run {
	size_t lines;		     /* lines returned, cut ones included */
	size_t cut_lines;	     /* ... of which cut */
	uint8_t first_cut[LINE_CAP]; /* the first cut line as returned */
	size_t first_cut_len;
	uint8_t tail[LINE_TAIL_MAX]; /* la.tail when the first cut line ended */
	size_t tail_len;
	uint8_t last[64]; /* the last line returned */
	size_t last_len;
};

/*
 * Feeds p[0..n) in chunks of `chunk` bytes. With `stop`, a cut line's end is
 * awaited with line_discard_rest (as IMAP does), and the tail recorded when it
 * returns true; without, line_next discards on its own and the tail is read
 * once the next line came back.
 */
static void
line_run(const uint8_t *p, size_t n, size_t chunk, bool stop, struct line_run *r)
{
	struct line_asm la;
	bool tail_due = false;

	memset(r, 0, sizeof(*r));
	line_asm_init(&la);
	for (size_t off = 0; off < n;) {
		size_t end = off + chunk < n ? off + chunk : n;

		while (off < end) {
			const uint8_t *line;
			size_t used, len;
			bool cut;

			if (stop && la.discarding) {
				line_discard_rest(&la, p + off, end - off, &used);
				assert_true(used <= end - off);
				off += used;
			} else if (line_next(&la, p + off, end - off, &used, &line, &len, &cut)) {
				assert_true(used > 0 && used <= end - off);
				off += used;
				r->lines++;
				if (cut && r->cut_lines++ == 0) {
					memcpy(r->first_cut, line, len);
					r->first_cut_len = len;
					tail_due = true;
				}
				r->last_len = len < sizeof(r->last) ? len : sizeof(r->last);
				memcpy(r->last, line, r->last_len);
			} else {
				assert_int_equal(used, end - off);
				off = end;
			}
			if (tail_due && !la.discarding) {
				/* The cut line has ended: its tail is complete. */
				memcpy(r->tail, la.tail, la.tail_len);
				r->tail_len = la.tail_len;
				tail_due = false;
			}
		}
	}
	assert_int_equal(la.cut, r->cut_lines);
}

static void
test_line_cut_lines_keep_the_same_tail_whatever_the_chunking(void **unused)
{
	/* Bytes past LINE_CAP, around the size of the tail and far beyond. */
	static const size_t over[] = {1, 2, 3, 31, 32, 33, LINE_CAP + 5, 2 * LINE_CAP};
	static uint8_t stream[4 * LINE_CAP];

	(void)unused;
	for (size_t li = 0; li < sizeof(over) / sizeof(over[0]); li++) {
		size_t len = LINE_CAP + over[li], n;
		const uint8_t *want_tail;

		/* "abc...{42}\r\n" then a short line. */
		for (size_t i = 0; i + 6 < len; i++)
			stream[i] = (uint8_t)('a' + i % 26);
		n = len - 6;
		memcpy(stream + n, "{42}\r\nnext\r\n", 12);
		n += 12;
		want_tail = stream + len - LINE_TAIL_MAX;
		for (size_t chunk = 1; chunk <= 64; chunk++) {
			for (int stop = 0; stop <= 1; stop++) {
				struct line_run r;

				line_run(stream, n, chunk, stop, &r);
				if (r.lines != 2 || r.cut_lines != 1)
					fail_msg("length %zu, chunks of %zu: %zu lines, %zu cut",
						 len, chunk, r.lines, r.cut_lines);
				assert_int_equal(r.first_cut_len, LINE_CAP);
				assert_memory_equal(r.first_cut, stream, LINE_CAP);
				if (r.tail_len != LINE_TAIL_MAX ||
				    memcmp(r.tail, want_tail, LINE_TAIL_MAX) != 0)
					fail_msg("length %zu, chunks of %zu: wrong tail", len,
						 chunk);
				assert_int_equal(r.last_len, 6);
				assert_memory_equal(r.last, "next\r\n", 6);
			}
		}
	}
}

static void
test_line_a_line_of_exactly_line_cap_bytes_is_not_cut(void **unused)
{
	static uint8_t stream[LINE_CAP + 6];

	(void)unused;
	memset(stream, 'x', LINE_CAP - 2);
	memcpy(stream + LINE_CAP - 2, "\r\nnext\r\n", 8);
	for (size_t chunk = 1; chunk <= 64; chunk++) {
		struct line_run r;

		line_run(stream, sizeof(stream), chunk, false, &r);
		assert_int_equal(r.lines, 2);
		assert_int_equal(r.cut_lines, 0);
	}
}

static void
test_line_discard_rest_drops_everything_until_the_lf(void **unused)
{
	struct line_asm la;
	size_t used;

	(void)unused;
	line_asm_init(&la);
	la.discarding = true;
	assert_false(line_discard_rest(&la, BYTES("no line end here"), &used));
	assert_int_equal(used, 16);
	assert_true(la.discarding);
	assert_false(line_discard_rest(&la, NULL, 0, &used));
	assert_int_equal(used, 0);
	assert_true(line_discard_rest(&la, BYTES(" {7}\r\nrest"), &used));
	assert_int_equal(used, 6);
	assert_false(la.discarding);
	assert_int_equal(la.tail_len, 22);
	assert_memory_equal(la.tail, "no line end here {7}\r\n", 22);
	line_asm_reset(&la);
	assert_int_equal(la.tail_len, 0);
}

static void
test_line_a_parser_cut_line_is_recorded_in_the_facts(void **unused)
{
	static uint8_t stream[LINE_CAP + 10];
	struct proto_facts f = {0};
	struct line_asm la;
	const uint8_t *line;
	size_t used, n;
	bool cut;

	(void)unused;
	line_asm_init(&la);
	assert_true(proto_line_next(&f, &la, BYTES("short\r\n"), &used, &line, &n, &cut));
	assert_false(cut);
	assert_int_equal(f.anomalies, 0);
	memset(stream, 'x', sizeof(stream) - 2);
	memcpy(stream + sizeof(stream) - 2, "\r\n", 2);
	assert_true(proto_line_next(&f, &la, stream, sizeof(stream), &used, &line, &n, &cut));
	assert_true(cut);
	assert_int_equal(used, sizeof(stream));
	assert_int_equal(f.anomalies, PROTO_ANOM_LINE_TOO_LONG);
	assert_int_equal(f.cap_hits, 1);
}

/* The naive rule add_capa_once keeps: append unless capa holds the word
 * as a whole token, ignoring case. */
static void
naive_add_once(char *capa, size_t cap, const char *w)
{
	size_t have = strlen(capa), n = strlen(w);

	if (n == 0 || have + n + 1 >= cap)
		return;
	for (const char *p = capa; (p = strcasestr(p, w)) != NULL; p++)
		if ((p == capa || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return;
	if (have)
		capa[have++] = ' ';
	memcpy(capa + have, w, n + 1);
}

/* With words repeated in other cases, words that are prefixes of others, a
 * word with a space, and capa written directly before (as a cluster feed
 * does), the text is what the naive rule gives. */
static void
test_line_capability_words_once_follow_the_naive_rule(void **st)
{
	static const char *const words[] = {
		"IMAP4rev1",
		"SASL-IR",
		"LOGIN-REFERRALS",
		"ID",
		"ENABLE",
		"IDLE",
		"LITERAL+",
		"STARTTLS",
		"AUTH=PLAIN",
		"auth=plain",
		"AUTH",
		"starttls",
		"IDLE",
		"id",
		"SORT",
		"SORT=DISPLAY",
		"THREAD=REFERENCES",
		"MOVE",
		"AUTH PLAIN",
		"PLAIN",
		"X",
		"x",
		"UIDPLUS",
		"LIST-EXTENDED",
		"I18NLEVEL=1",
	};
	uint32_t seed = 7;

	(void)st;
	for (int round = 0; round < 300; round++) {
		struct proto_facts f;
		char want[CAPA_TEXT_MAX] = "";

		memset(&f, 0, sizeof(f));
		if (round % 5 == 4) {
			/* written directly, then added to */
			strcpy(f.capa, "IDLE STARTTLS");
			strcpy(want, f.capa);
		}
		for (int i = 0; i < 40; i++) {
			const char *w;

			seed = seed * 1103515245u + 12345u;
			w = words[(seed >> 16) % (sizeof(words) / sizeof(words[0]))];
			proto_facts_add_capa_once(&f, (const uint8_t *)w, strlen(w));
			naive_add_once(want, sizeof(want), w);
			assert_string_equal(f.capa, want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_keywords_of_x_are_masked_whatever_their_case),
		cmocka_unit_test(test_line_a_quarter_of_other_bytes_is_still_masked),
		cmocka_unit_test(test_line_short_tokens_and_real_extensions_are_not_masked),
		cmocka_unit_test(test_line_masked_reads_only_the_given_bytes),
		cmocka_unit_test(
			test_line_logins_are_found_by_index_and_dropped_ones_are_minus_one),
		cmocka_unit_test(test_line_capability_keywords_are_kept_once),
		cmocka_unit_test(test_line_capability_words_once_follow_the_naive_rule),
		cmocka_unit_test(
			test_line_a_masked_capability_keyword_is_kept_and_flagged_with_its_line),
		cmocka_unit_test(test_line_a_login_outcome_lands_on_its_index_only),
		cmocka_unit_test(test_line_words_are_found_whatever_their_case_and_only_whole),
		cmocka_unit_test(
			test_line_a_handshake_byte_after_the_upgrade_request_switches_to_tls),
		cmocka_unit_test(test_line_other_bytes_after_the_upgrade_request_are_injection),
		cmocka_unit_test(
			test_line_injected_bytes_without_line_end_are_flagged_on_a_refusal),
		cmocka_unit_test(test_line_cut_lines_keep_the_same_tail_whatever_the_chunking),
		cmocka_unit_test(test_line_a_line_of_exactly_line_cap_bytes_is_not_cut),
		cmocka_unit_test(test_line_discard_rest_drops_everything_until_the_lf),
		cmocka_unit_test(test_line_a_parser_cut_line_is_recorded_in_the_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
