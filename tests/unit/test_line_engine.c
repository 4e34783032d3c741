/*
 * test_line_engine.c - the engine of the line-based parsers (src/proto/line.c):
 * the driver (lines in any chunking, raw reads between them, the end of a
 * cut line, the stop after switch_to_tls and after a gap), numbered replies
 * and their continuation lines, the command FIFO (order, merging, the cap)
 * and the login tracker (USER/PASS, SASL exchanges and response slots).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "line.h"

#define BYTES(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* ---- A recording protocol for the driver ------------------------------------- */

/*
 * Client lines are recorded as "<line>|" (line end dropped, "~" after a cut
 * one), ends as "[<end>]"; "BODY n" makes the next n bytes raw ("#" each
 * read), "TLS" stops the stream after it, "QUIT" sets stopped. Server lines
 * are numbered replies, recorded as "(code:lines)" when they end.
 */
struct rec_state {
	struct line_conn conn;
	struct line_reply reply;
	uint64_t raw_left;
	char log[4096];
};

static void
rec_log(struct rec_state *s, const char *pre, const uint8_t *p, size_t n, const char *post)
{
	size_t have = strlen(s->log);

	snprintf(s->log + have, sizeof(s->log) - have, "%s%.*s%s", pre, (int)n, (const char *)p,
		 post);
}

static size_t
rec_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n, bool *stop)
{
	struct rec_state *s = state;
	size_t take = s->raw_left < n ? (size_t)s->raw_left : n;

	(void)f;
	(void)dir;
	if (take == 0 && p[0] == 0x16)
		*stop = true;
	s->raw_left -= take;
	if (take && s->raw_left == 0)
		rec_log(s, "#", p, 0, ""); /* once, whatever the chunking */
	return take;
}

static bool
rec_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct rec_state *s = state;
	const uint8_t *line = l->p;
	size_t tn = l->tn;

	assert_int_equal(l->dir, DIR_C2S);
	rec_log(s, "", line, tn > 16 ? 16 : tn, l->cut ? "~|" : "|");
	if (text_prefix_ci(line, tn, "BODY "))
		s->raw_left = (uint64_t)(line[5] - '0');
	if (text_equal_ci(line, tn, "QUIT"))
		s->conn.stopped = true;
	if (text_equal_ci(line, tn, "TLS")) {
		f->switch_to_tls = true;
		return true;
	}
	return false;
}

static void
rec_end(void *state, struct proto_facts *f, enum dir dir, const uint8_t *end, size_t n)
{
	struct rec_state *s = state;
	size_t tn = text_trim_eol(end, n);

	(void)f;
	(void)dir;
	rec_log(s, "[", end + (tn > 4 ? tn - 4 : 0), tn > 4 ? 4 : tn, "]");
}

static void
rec_reply_begin(void *state, int code)
{
	(void)state;
	(void)code;
}

static void
rec_reply_line(void *state, struct proto_facts *f, const uint8_t *line, size_t n)
{
	(void)state;
	(void)f;
	(void)line;
	(void)n;
}

static bool
rec_reply_done(void *state, struct proto_facts *f, const uint8_t *last, size_t n)
{
	struct rec_state *s = state;
	size_t tn = text_trim_eol(last, n);
	char buf[32];

	(void)f;
	snprintf(buf, sizeof(buf), "(%d:%u:%.*s)", s->reply.code, (unsigned)s->reply.lines,
		 tn > 4 ? (int)(tn - 4 < 3 ? tn - 4 : 3) : 0,
		 (const char *)last + (tn > 4 ? 4 : 0));
	rec_log(s, buf, last, 0, "");
	return s->reply.code == 220;
}

static const struct line_reply_ops rec_reply_ops = {
	.begin = rec_reply_begin,
	.line = rec_reply_line,
	.done = rec_reply_done,
};

static bool
rec_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct rec_state *s = state;

	assert_int_equal(l->dir, DIR_S2C);
	return line_reply_read(&s->reply, &rec_reply_ops, s, f, l->p, l->len);
}

static const struct line_ops rec_ops = {
	.dir = {[DIR_C2S] = {rec_raw, rec_client_line, rec_end},
		[DIR_S2C] = {NULL, rec_server_line, NULL}},
};

static const struct line_ops rec_ops_consuming = {
	.dir = {[DIR_C2S] = {rec_raw, rec_client_line, NULL},
		[DIR_S2C] = {NULL, rec_server_line, NULL}},
	.consume_after_stop = true,
};

/* Feeds p[0..n) of one direction in chunks of `chunk` bytes; returns the
 * bytes consumed before the parser handed the rest back. */
static size_t
rec_feed(struct rec_state *s, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
	 size_t chunk)
{
	size_t off = 0;

	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk;
		size_t used = line_conn_feed(s, f, dir, p + off, k);

		assert_true(used <= k);
		off += used;
		if (used < k)
			break;
	}
	return off;
}

static void
test_line_engine_reads_the_same_lines_raw_bytes_and_ends_whatever_the_chunking(void **unused)
{
	static uint8_t stream[2 * LINE_CAP];
	static struct rec_state s;
	char want[4096];
	size_t n = 0;

	(void)unused;
	n += (size_t)sprintf((char *)stream, "EHLO x\r\nBODY 3\r\nabcNOOP\r\n");
	memset(stream + n, 'x', LINE_CAP + 10);
	n += LINE_CAP + 10;
	memcpy(stream + n, "{42}\r\nlast\r\npart", 16);
	n += 16;
	for (size_t chunk = 1; chunk <= 64 || chunk == n; chunk = chunk == 64 ? n : chunk + 1) {
		struct proto_facts f = {0};

		line_conn_init(&s, sizeof(s), &rec_ops);
		assert_int_equal(rec_feed(&s, &f, DIR_C2S, stream, n, chunk), n);
		if (chunk == 1)
			strcpy(want, s.log);
		else if (strcmp(want, s.log) != 0)
			fail_msg("chunks of %zu: %s, want %s", chunk, s.log, want);
		assert_int_equal(f.anomalies, PROTO_ANOM_LINE_TOO_LONG);
		assert_int_equal(f.cap_hits, 1);
	}
	assert_string_equal(want, "EHLO x|[LO x]BODY 3|[DY 3]#NOOP|[NOOP]xxxxxxxxxxxxxxxx~|[{42}]"
				  "last|[last]");
}

static void
test_line_engine_returns_the_bytes_up_to_the_line_that_switched_to_tls(void **unused)
{
	static struct rec_state s;
	struct proto_facts f = {0};

	(void)unused;
	line_conn_init(&s, sizeof(s), &rec_ops);
	assert_int_equal(line_conn_feed(&s, &f, DIR_C2S, BYTES("NOOP\r\nTLS\r\n\x16\x03\x01")), 11);
	assert_true(f.switch_to_tls);
	assert_int_equal(line_conn_feed(&s, &f, DIR_S2C, BYTES("250 ok\r\n")), 0);
	/* A raw read may stop the stream too: before the byte it looked at. */
	memset(&f, 0, sizeof(f));
	line_conn_init(&s, sizeof(s), &rec_ops);
	assert_int_equal(line_conn_feed(&s, &f, DIR_C2S, BYTES("NOOP\r\n\x16\x03\x01")), 6);
	/* And a reply: the bytes up to its last line. */
	memset(&f, 0, sizeof(f));
	line_conn_init(&s, sizeof(s), &rec_ops);
	assert_int_equal(line_conn_feed(&s, &f, DIR_S2C, BYTES("220-go\r\n220 ahead\r\n\x16")), 19);
	assert_string_equal(s.log, "(220:2:ahe)");
}

static void
test_line_engine_after_a_gap_takes_the_rest_unread_or_hands_it_back(void **unused)
{
	static struct rec_state s;
	struct proto_facts f = {0};

	(void)unused;
	line_conn_init(&s, sizeof(s), &rec_ops);
	assert_int_equal(line_conn_feed(&s, &f, DIR_C2S, BYTES("NOOP\r\nHALF")), 10);
	line_conn_gap(&s, &f, DIR_S2C);
	assert_int_equal(f.anomalies, PROTO_ANOM_GAP);
	assert_int_equal(s.conn.la[DIR_C2S].len, 0); /* the partial line is dropped */
	assert_int_equal(line_conn_feed(&s, &f, DIR_C2S, BYTES("LINE\r\n")), 0);
	assert_string_equal(s.log, "NOOP|[NOOP]");

	memset(&f, 0, sizeof(f));
	line_conn_init(&s, sizeof(s), &rec_ops_consuming);
	line_conn_gap(&s, &f, DIR_C2S);
	assert_int_equal(line_conn_feed(&s, &f, DIR_C2S, BYTES("LINE\r\n")), 6);
	assert_string_equal(s.log, "");
	line_conn_fini(&s);
}

static void
test_line_engine_a_parser_that_gives_up_keeps_the_bytes_after_its_line(void **unused)
{
	static struct rec_state s;
	struct proto_facts f = {0};

	(void)unused;
	line_conn_init(&s, sizeof(s), &rec_ops);
	assert_int_equal(line_conn_feed(&s, &f, DIR_C2S, BYTES("NOOP\r\nQUIT\r\nNOOP\r\n")), 12);
	assert_string_equal(s.log, "NOOP|[NOOP]QUIT|[QUIT]");
	assert_int_equal(line_conn_feed(&s, &f, DIR_C2S, BYTES("NOOP\r\n")), 0);
	assert_false(f.switch_to_tls);
}

static void
test_line_engine_without_an_end_hook_a_cut_line_is_dropped_unseen(void **unused)
{
	static uint8_t stream[LINE_CAP + 20];
	static struct rec_state s;
	struct proto_facts f = {0};

	(void)unused;
	memset(stream, 'y', LINE_CAP + 8);
	memcpy(stream + LINE_CAP + 8, "{9}\r\nNOOP\r\n", 11);
	line_conn_init(&s, sizeof(s), &rec_ops_consuming);
	assert_int_equal(line_conn_feed(&s, &f, DIR_C2S, stream, LINE_CAP + 19), LINE_CAP + 19);
	assert_string_equal(s.log, "yyyyyyyyyyyyyyyy~|NOOP|");
}

/* ---- Numbered replies ------------------------------------------------------------- */

static void
test_line_engine_continuation_lines_end_at_the_line_with_a_space(void **unused)
{
	static struct rec_state s;
	struct proto_facts f = {0};

	(void)unused;
	line_conn_init(&s, sizeof(s), &rec_ops);
	line_conn_feed(&s, &f, DIR_S2C, BYTES("250-a\r\n250-b\r\n250 end\r\n354 go\r\n421\r\n"));
	assert_string_equal(s.log, "(250:3:end)(354:1:go)(421:1:)");
	assert_int_equal(f.anomalies, 0);
}

static void
test_line_engine_a_line_with_another_code_ends_the_open_reply_and_is_flagged(void **unused)
{
	static struct rec_state s;
	struct proto_facts f = {0};

	(void)unused;
	line_conn_init(&s, sizeof(s), &rec_ops);
	line_conn_feed(&s, &f, DIR_S2C, BYTES("250-one\r\n250-two\r\n251 three\r\n"));
	/* The reply before ends with its latest line, kept for this. */
	assert_string_equal(s.log, "(250:2:two)(251:1:thr)");
	assert_int_equal(f.anomalies, PROTO_ANOM_BAD_SYNTAX);
}

static void
test_line_engine_a_line_without_a_code_is_flagged_and_skipped(void **unused)
{
	static struct rec_state s;
	struct proto_facts f = {0};

	(void)unused;
	line_conn_init(&s, sizeof(s), &rec_ops);
	line_conn_feed(&s, &f, DIR_S2C, BYTES("250-a\r\nhello\r\n25\r\n250+x\r\n250 b\r\n"));
	assert_string_equal(s.log, "(250:2:b)");
	assert_int_equal(f.anomalies, PROTO_ANOM_BAD_SYNTAX);
}

/* ---- The command FIFO ----------------------------------------------------------- */

static void
test_line_engine_answers_come_in_order_and_the_cap_is_a_cap_hit(void **unused)
{
	static struct cmd_fifo q;
	struct proto_facts f = {0};
	struct login_track t;
	struct cmd_entry e;

	(void)unused;
	memset(&q, 0, sizeof(q));
	login_track_init(&t);
	for (unsigned i = 0; i < CMD_FIFO_CAP; i++)
		assert_non_null(cmd_fifo_push(&q, &f, &t, (uint8_t)i, -1, 1));
	assert_null(cmd_fifo_push(&q, &f, &t, 200, -1, 1));
	assert_int_equal(f.anomalies, PROTO_ANOM_PIPELINE_CAP);
	assert_int_equal(f.cap_hits, 1);
	assert_int_equal(cmd_fifo_peek(&q)->cmd, 0);
	cmd_fifo_answered(&q);
	assert_true(cmd_fifo_pop(&q, &e));
	assert_int_equal(e.cmd, 1);
	assert_int_equal(e.login, -1);
	/* The ring wraps: room again at the end. */
	assert_non_null(cmd_fifo_push(&q, &f, &t, 201, 3, 1));
	for (unsigned i = 2; i < CMD_FIFO_CAP; i++) {
		assert_true(cmd_fifo_pop(&q, &e));
		assert_int_equal(e.cmd, i);
	}
	assert_true(cmd_fifo_pop(&q, &e));
	assert_int_equal(e.cmd, 201);
	assert_int_equal(e.login, 3);
	assert_false(cmd_fifo_pop(&q, &e));
	assert_null(cmd_fifo_peek(&q));
	cmd_fifo_answered(&q); /* nothing queued: nothing happens */
}

static void
test_line_engine_merged_commands_wait_for_as_many_answers(void **unused)
{
	static struct cmd_fifo q;
	struct proto_facts f = {0};
	struct login_track t;

	(void)unused;
	memset(&q, 0, sizeof(q));
	login_track_init(&t);
	assert_false(cmd_fifo_merge(&q, &t, 7, 1)); /* nothing to merge into */
	cmd_fifo_push(&q, &f, &t, 7, -1, 1);
	assert_true(cmd_fifo_merge(&q, &t, 7, 1));
	assert_true(cmd_fifo_merge(&q, &t, 7, 2));
	assert_false(cmd_fifo_merge(&q, &t, 8, 1)); /* another command */
	assert_false(cmd_fifo_merge(&q, &t, 7, 0)); /* answers not known yet */
	assert_int_equal(cmd_fifo_peek(&q)->replies, 4);
	for (int i = 0; i < 3; i++)
		cmd_fifo_answered(&q);
	assert_non_null(cmd_fifo_peek(&q));
	cmd_fifo_answered(&q);
	assert_null(cmd_fifo_peek(&q));
}

static void
test_line_engine_a_command_in_a_response_slot_never_merges(void **unused)
{
	static struct cmd_fifo q;
	struct proto_facts f = {0};
	struct login_track t;
	struct cmd_entry *e;

	(void)unused;
	memset(&q, 0, sizeof(q));
	login_track_init(&t);
	login_track_begin(&t, &f, BYTES("LOGIN"));
	/* LOGIN lets the client send the user name unasked: a slot. */
	assert_false(login_track_client_line(&t, &f, BYTES("NOOP"), false, true));
	assert_int_equal(t.line_slot, 1);
	e = cmd_fifo_push(&q, &f, &t, 7, -1, 1);
	assert_int_equal(e->slot, 1);
	assert_int_equal(e->slot_login, 0);
	assert_false(cmd_fifo_merge(&q, &t, 7, 1)); /* the line takes a slot */
	login_track_line_end(&t);
	assert_false(cmd_fifo_merge(&q, &t, 7, 1)); /* the entry took one */
}

static void
test_line_engine_an_absorbed_overflow_loses_the_command_and_its_slot(void **unused)
{
	static struct cmd_fifo q;
	struct proto_facts f = {0};
	struct login_track t;
	struct cmd_entry *tail;

	(void)unused;
	memset(&q, 0, sizeof(q));
	login_track_init(&t);
	cmd_fifo_absorb(&q, 99, 1); /* empty: nothing to absorb into */
	assert_null(cmd_fifo_peek(&q));
	for (unsigned i = 0; i < CMD_FIFO_CAP - 1; i++)
		cmd_fifo_push(&q, &f, &t, 1, -1, 1);
	t.line_slot = 5;
	tail = cmd_fifo_push(&q, &f, &t, 2, -1, 1);
	assert_int_equal(tail->slot, 5);
	assert_null(cmd_fifo_push(&q, &f, &t, 3, -1, 1));
	cmd_fifo_absorb(&q, 99, 1);
	assert_int_equal(tail->cmd, 99);
	assert_int_equal(tail->slot, 0);
	assert_int_equal(tail->replies, 2);
	assert_int_equal(f.cap_hits, 1);
}

/* ---- Logins --------------------------------------------------------------------- */

static void
test_line_engine_user_and_pass_make_one_login_with_its_secret(void **unused)
{
	struct proto_facts f = {0};
	struct login_pair u = {{0}};
	int idx;

	(void)unused;
	login_pair_user(&u, BYTES("alexander"));
	login_pair_user(&u, BYTES("bob"));
	idx = login_pair_pass(&u, &f, BYTES("s3cret pass"));
	assert_int_equal(idx, 0);
	assert_string_equal(f.logins[0].mechanism, "USER");
	assert_string_equal(f.logins[0].username, "bob");
	assert_string_equal(f.logins[0].secret, "s3cret pass");
	assert_true(f.logins[0].has_secret);
	assert_int_equal(f.logins[0].outcome, LOGIN_UNKNOWN);
	proto_facts_login_outcome(&f, idx, false);
	assert_int_equal(f.logins[0].outcome, LOGIN_FAILURE);
	/* The whole field is copied, as USER left it. */
	assert_memory_equal(f.logins[0].username, "bob\0ander", 10);
	/* A PASS with no USER before it still records the secret. */
	memset(&u, 0, sizeof(u));
	idx = login_pair_pass(&u, &f, BYTES("x"));
	assert_string_equal(f.logins[idx].username, "");
	assert_true(f.logins[idx].has_secret);
}

static void
test_line_engine_the_outcome_lands_on_the_exchange_login_and_closes_it(void **unused)
{
	struct proto_facts f = {0};
	struct login_track t;
	uint32_t seq;

	(void)unused;
	login_track_init(&t);
	seq = login_track_begin(&t, &f, BYTES("login"));
	assert_int_equal(seq, 1);
	assert_string_equal(f.logins[0].mechanism, "LOGIN");
	login_track_challenge(&t, seq);
	assert_int_equal(t.srv, seq);
	assert_true(login_track_client_line(&t, &f, BYTES("Ym9i"), false, false));
	login_track_challenge(&t, seq);
	/* Asked for: a response even when it looks like a command. */
	assert_true(login_track_client_line(&t, &f, BYTES("QUIT"), false, true));
	assert_string_equal(f.logins[0].username, "bob");
	assert_true(f.logins[0].has_secret);
	login_track_outcome(&t, &f, seq, t.login, true);
	assert_int_equal(f.logins[0].outcome, LOGIN_SUCCESS);
	assert_int_equal(t.srv, 0);
	assert_false(login_track_client_line(&t, &f, BYTES("Ym9i"), false, false));
	assert_int_equal(t.line_slot, 0);
}

static void
test_line_engine_an_unasked_command_in_a_slot_is_read_as_a_command(void **unused)
{
	struct proto_facts f = {0};
	struct login_track t;

	(void)unused;
	login_track_init(&t);
	login_track_begin(&t, &f, BYTES("PLAIN"));
	/* PLAIN's message may come unasked, but a known verb is a command,
	 * and so is a line that is not base64. */
	assert_false(login_track_client_line(&t, &f, BYTES("USER bob"), false, true));
	assert_int_equal(t.line_slot, 1);
	login_track_line_end(&t);
	assert_int_equal(t.line_slot, 0);
	assert_false(login_track_client_line(&t, &f, BYTES("AHVzZXIAcGFzcw=="), false, false));
	assert_false(f.logins[0].has_secret); /* the slot was used by USER */

	login_track_begin(&t, &f, BYTES("PLAIN"));
	assert_true(login_track_client_line(&t, &f, BYTES("AHVzZXIAcGFzcw=="), false, false));
	assert_string_equal(f.logins[1].username, "user");
	assert_string_equal(f.logins[1].secret, "pass");
}

static void
test_line_engine_a_line_the_server_read_as_a_response_ends_an_auth_it_never_began(void **unused)
{
	struct proto_facts f = {0};
	struct login_track t;
	struct cmd_entry e = {0};

	(void)unused;
	login_track_init(&t);
	e.seq = login_track_begin(&t, &f, BYTES("LOGIN"));
	e.slot = 0;
	assert_false(login_track_in_exchange(&t, &e));
	assert_false(login_track_read_as_response(&t, &e));
	/* The server is in exchange 1; an AUTH whose line took its slot is
	 * read as a response there, so the exchange it opens never started. */
	login_track_challenge(&t, 1);
	t.seq = 1;
	e.slot = 1;
	assert_true(login_track_in_exchange(&t, &e));
	assert_true(login_track_read_as_response(&t, &e));
	assert_false(t.sasl.open);
}

static void
test_line_engine_exchange_numbers_never_name_none(void **unused)
{
	struct proto_facts f = {0};
	struct login_track t;

	(void)unused;
	login_track_init(&t);
	assert_int_equal(t.login, -1);
	assert_int_equal(t.line_slot_login, -1);
	t.seq = UINT32_MAX;
	assert_int_equal(login_track_begin(&t, &f, BYTES("PLAIN")), 1);
	for (int i = 0; i < LOGIN_MAX; i++)
		login_track_begin(&t, &f, BYTES("PLAIN"));
	assert_int_equal(t.login, -1); /* dropped, counted */
	assert_int_equal(f.logins_dropped, 1);
	login_track_challenge(&t, 0); /* no exchange: nothing to prompt */
	login_track_outcome(&t, &f, 0, -1, true);
	assert_int_equal(f.n_logins, LOGIN_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_line_engine_reads_the_same_lines_raw_bytes_and_ends_whatever_the_chunking),
		cmocka_unit_test(
			test_line_engine_returns_the_bytes_up_to_the_line_that_switched_to_tls),
		cmocka_unit_test(
			test_line_engine_after_a_gap_takes_the_rest_unread_or_hands_it_back),
		cmocka_unit_test(
			test_line_engine_a_parser_that_gives_up_keeps_the_bytes_after_its_line),
		cmocka_unit_test(test_line_engine_without_an_end_hook_a_cut_line_is_dropped_unseen),
		cmocka_unit_test(test_line_engine_continuation_lines_end_at_the_line_with_a_space),
		cmocka_unit_test(
			test_line_engine_a_line_with_another_code_ends_the_open_reply_and_is_flagged),
		cmocka_unit_test(test_line_engine_a_line_without_a_code_is_flagged_and_skipped),
		cmocka_unit_test(test_line_engine_answers_come_in_order_and_the_cap_is_a_cap_hit),
		cmocka_unit_test(test_line_engine_merged_commands_wait_for_as_many_answers),
		cmocka_unit_test(test_line_engine_a_command_in_a_response_slot_never_merges),
		cmocka_unit_test(
			test_line_engine_an_absorbed_overflow_loses_the_command_and_its_slot),
		cmocka_unit_test(test_line_engine_user_and_pass_make_one_login_with_its_secret),
		cmocka_unit_test(
			test_line_engine_the_outcome_lands_on_the_exchange_login_and_closes_it),
		cmocka_unit_test(
			test_line_engine_an_unasked_command_in_a_slot_is_read_as_a_command),
		cmocka_unit_test(
			test_line_engine_a_line_the_server_read_as_a_response_ends_an_auth_it_never_began),
		cmocka_unit_test(test_line_engine_exchange_numbers_never_name_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
