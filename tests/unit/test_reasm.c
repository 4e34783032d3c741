/*
 * test_reasm.c - unit tests for TCP stream reassembly (src/reasm.c).
 *
 * A recording consumer writes what it receives into a text log (data bytes as
 * they are, a gap as "<n>") and, for the property tests, checks every byte
 * against the original stream at its offset. The table rows each run as one
 * cmocka test named by the row's sentence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reasm.h"

#define BIG_CAP ((size_t)1 << 30)

/* ---- recording consumer ---- */

struct rec {
	enum dir dir; /* direction every event must carry */
	char log[512];
	size_t log_len;
	bool log_overflow;
	const uint8_t *ref; /* original stream, or NULL */
	size_t ref_len;
	uint64_t pos; /* data bytes + gap lengths received */
	uint64_t data_bytes;
	uint64_t gaps;
	uint64_t gap_bytes;
	uint64_t unknown_gaps;	   /* gaps of length 0 */
	uint64_t mismatches;	   /* data bytes that differ from ref */
	uint64_t bad_events;	   /* wrong dir, empty data, data pointer misuse */
	const uint8_t *first_data; /* pointer of the first data event */
};

static void
rec_init(struct rec *r, enum dir dir)
{
	memset(r, 0, sizeof(*r));
	r->dir = dir;
}

static void
rec_append(struct rec *r, const char *p, size_t n)
{
	if (r->log_len + n >= sizeof(r->log)) {
		r->log_overflow = true;
		return;
	}
	memcpy(r->log + r->log_len, p, n);
	r->log_len += n;
	r->log[r->log_len] = '\0';
}

static void
rec_deliver(void *ctx, enum dir dir, enum reasm_event ev, const uint8_t *data, size_t len)
{
	struct rec *r = ctx;

	if (dir != r->dir)
		r->bad_events++;
	if (ev == REASM_GAP) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "<%zu>", len);

		if (data)
			r->bad_events++;
		rec_append(r, buf, (size_t)n);
		r->gaps++;
		r->gap_bytes += len;
		if (len == 0)
			r->unknown_gaps++;
		r->pos += len;
		return;
	}
	if (!data || len == 0) {
		r->bad_events++;
		return;
	}
	if (!r->first_data)
		r->first_data = data;
	rec_append(r, (const char *)data, len);
	if (r->ref) {
		for (size_t i = 0; i < len; i++)
			if (r->pos + i >= r->ref_len || r->ref[r->pos + i] != data[i])
				r->mismatches++;
	}
	r->data_bytes += len;
	r->pos += len;
}

static void
stats_init(struct reasm_stats *st, size_t stream_cap, uint64_t global_cap)
{
	memset(st, 0, sizeof(*st));
	st->stream_cap = stream_cap;
	st->ooo_bytes_cap = global_cap;
}

/* ---- table-driven scenarios ---- */

enum op_kind {
	OP_END,
	OP_PUSH,
	OP_ACK,
	OP_FLUSH,
	OP_CHECK, /* the log so far must equal data */
};

struct op {
	enum op_kind kind;
	uint32_t rel; /* seq or ack, added to the row's base modulo 2^32 */
	const char *data;
	bool syn;
	bool fin;
};

/* clang-format off */
#define SYN(r)     { OP_PUSH, (r), "", true, false }
#define SYND(r, d) { OP_PUSH, (r), (d), true, false }
#define SEG(r, d)  { OP_PUSH, (r), (d), false, false }
#define FIN(r, d)  { OP_PUSH, (r), (d), false, true }
#define ACK(r)     { OP_ACK, (r), NULL, false, false }
#define FLUSH      { OP_FLUSH, 0, NULL, false, false }
#define CHECK(d)   { OP_CHECK, 0, (d), false, false }
/* clang-format on */

struct counts {
	uint64_t in_order, ooo, retrans, overlap, gaps, gap_bytes;
};

struct row {
	const char *name;
	uint32_t base;
	struct op ops[12];
	const char *want;
	struct counts c;
	bool syn_seen, midstream, fin_seen;
};

#define GIB ((uint32_t)1 << 30)

static const struct row rows[] = {
	{
		.name = "segments in order are delivered as they come",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), CHECK("abc"), SEG(4, "def"), SEG(7, "ghi")},
		.want = "abcdefghi",
		.c = {.in_order = 3},
		.syn_seen = true,
	},
	{
		.name = "segments in reverse order are buffered then delivered on the first",
		.base = 1000,
		.ops = {SYN(0), SEG(7, "ghi"), SEG(4, "def"), CHECK(""), SEG(1, "abc")},
		.want = "abcdefghi",
		.c = {.in_order = 1, .ooo = 2},
		.syn_seen = true,
	},
	{
		.name = "an in-order segment overlapping buffered bytes keeps the buffered bytes",
		.base = 1000,
		.ops = {SYN(0), SEG(4, "DEF"), SEG(1, "abcdefg")},
		.want = "abcDEFg",
		.c = {.in_order = 1, .ooo = 1, .overlap = 1},
		.syn_seen = true,
	},
	{
		.name = "a buffered segment overlapping buffered bytes only fills the holes",
		.base = 1000,
		.ops = {SYN(0), SEG(3, "CD"), SEG(7, "GH"), SEG(2, "bcdefghi"), CHECK(""),
			SEG(1, "a")},
		.want = "abCDefGHi",
		.c = {.in_order = 1, .ooo = 3, .overlap = 1},
		.syn_seen = true,
	},
	{
		.name = "a segment overlapping delivered bytes is trimmed",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abcd"), SEG(3, "CDef")},
		.want = "abcdef",
		.c = {.in_order = 2, .overlap = 1},
		.syn_seen = true,
	},
	{
		.name = "duplicate segments are dropped and counted",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), SEG(1, "abc"), SEG(7, "ghi"), SEG(7, "ghi"),
			SEG(4, "def"), SEG(4, "def")},
		.want = "abcdefghi",
		.c = {.in_order = 2, .ooo = 1, .retrans = 3},
		.syn_seen = true,
	},
	{
		.name = "a segment inside a buffered one is a retransmission",
		.base = 1000,
		.ops = {SYN(0), SEG(5, "efgh"), SEG(6, "FG"), SEG(1, "abcd")},
		.want = "abcdefgh",
		.c = {.in_order = 1, .ooo = 1, .retrans = 1},
		.syn_seen = true,
	},
	{
		.name = "a gap filled later is delivered without a gap",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), SEG(7, "ghi"), CHECK("abc"), SEG(4, "def")},
		.want = "abcdefghi",
		.c = {.in_order = 2, .ooo = 1},
		.syn_seen = true,
	},
	{
		.name = "holes are reported on flush with their missing length",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), SEG(7, "ghi"), SEG(13, "mn"), FLUSH},
		.want = "abc<3>ghi<3>mn",
		.c = {.in_order = 1, .ooo = 2, .gaps = 2, .gap_bytes = 6},
		.syn_seen = true,
	},
	{
		.name = "a hole is reported when the peer acknowledges the buffered data after it",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), SEG(7, "ghi"), SEG(13, "mn"), ACK(4), ACK(6),
			CHECK("abc"), ACK(7), CHECK("abc<3>ghi"), ACK(100), SEG(4, "def")},
		.want = "abc<3>ghi<3>mn",
		.c = {.in_order = 1, .ooo = 2, .retrans = 1, .gaps = 2, .gap_bytes = 6},
		.syn_seen = true,
	},
	{
		.name = "an ack past next_seq with nothing buffered does nothing",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), ACK(50), SEG(4, "def")},
		.want = "abcdef",
		.c = {.in_order = 2},
		.syn_seen = true,
	},
	{
		.name = "segments across 2^32 are reassembled in any order",
		.base = 0xFFFFFFF0u,
		.ops = {SYN(0), SEG(21, "KLMNO"), SEG(11, "abcdefghij"), SEG(1, "0123456789")},
		.want = "0123456789abcdefghijKLMNO",
		.c = {.in_order = 1, .ooo = 2},
		.syn_seen = true,
	},
	{
		.name = "a hole across 2^32 is reported with its length",
		.base = 0xFFFFFFF0u,
		.ops = {SYN(0), SEG(1, "0123456789"), SEG(21, "KLMNO"), ACK(21), SEG(11, "late")},
		.want = "0123456789<10>KLMNO",
		.c = {.in_order = 1, .ooo = 1, .retrans = 1, .gaps = 1, .gap_bytes = 10},
		.syn_seen = true,
	},
	{
		.name = "a syn at the last sequence number starts data at zero",
		.base = 0xFFFFFFFFu,
		.ops = {SYN(0), SEG(3, "cd"), SEG(1, "ab")},
		.want = "abcd",
		.c = {.in_order = 1, .ooo = 1},
		.syn_seen = true,
	},
	{
		.name = "a reset midway is a flush that reports the hole",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), SEG(7, "ghi"), FLUSH, SEG(4, "def")},
		.want = "abc<3>ghi",
		.c = {.in_order = 1, .ooo = 1, .retrans = 1, .gaps = 1, .gap_bytes = 3},
		.syn_seen = true,
	},
	{
		.name = "without a syn the first data segment starts the stream midstream",
		.base = 5000,
		.ops = {SEG(0, ""), SEG(100, "hello"), SEG(90, "old"), SEG(105, " world")},
		.want = "hello world",
		.c = {.in_order = 2, .retrans = 1},
		.midstream = true,
	},
	{
		.name = "data on a syn starts right after the isn",
		.base = 1000,
		.ops = {SYND(0, "hi"), SEG(3, " there")},
		.want = "hi there",
		.c = {.in_order = 2},
		.syn_seen = true,
	},
	{
		.name = "a retransmitted syn with data is dropped",
		.base = 1000,
		.ops = {SYND(0, "hi"), SYND(0, "hi"), SEG(3, "!")},
		.want = "hi!",
		.c = {.in_order = 2, .retrans = 1},
		.syn_seen = true,
	},
	{
		.name = "a second syn with another isn keeps the first",
		.base = 1000,
		.ops = {SYN(0), SYND(5000, "zz"), SYN(3), SEG(1, "abc")},
		.want = "abc",
		.c = {.in_order = 1, .retrans = 2},
		.syn_seen = true,
	},
	{
		.name = "a syn after a midstream start is dropped",
		.base = 1000,
		.ops = {SEG(1, "abc"), SYN(0), SEG(4, "d")},
		.want = "abcd",
		.c = {.in_order = 2, .retrans = 1},
		.midstream = true,
	},
	{
		.name = "data on a fin is delivered and a retransmitted fin is dropped",
		.base = 1000,
		.ops = {SYN(0), FIN(1, "abc"), FIN(1, "abc"), FIN(4, "")},
		.want = "abc",
		.c = {.in_order = 1, .retrans = 1},
		.syn_seen = true,
		.fin_seen = true,
	},
	{
		.name = "an out-of-order fin is delivered once the hole is filled",
		.base = 1000,
		.ops = {SYN(0), FIN(4, "def"), CHECK(""), SEG(1, "abc")},
		.want = "abcdef",
		.c = {.in_order = 1, .ooo = 1},
		.syn_seen = true,
		.fin_seen = true,
	},
	{
		.name = "a segment far behind next_seq is a retransmission",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), SEG((uint32_t)-100000, "old"),
			SEG(GIB + GIB + 10, "wrapped behind"), SEG(4, "d")},
		.want = "abcd",
		.c = {.in_order = 2, .retrans = 2},
		.syn_seen = true,
	},
	{
		.name = "a segment exactly one window ahead is buffered",
		.base = 1000,
		.ops = {SYN(0), SEG(1 + GIB, "edge"), CHECK(""), FLUSH},
		.want = "<1073741824>edge",
		.c = {.ooo = 1, .gaps = 1, .gap_bytes = GIB},
		.syn_seen = true,
	},
	{
		.name = "a segment beyond the window resynchronizes after an unknown gap",
		.base = 1000,
		.ops = {SYN(0), SEG(1, "abc"), SEG(20, "xy"), SEG(5 + GIB, "far"), SEG(4, "def"),
			SEG(8 + GIB, "!")},
		.want = "abc<16>xy<0>far!",
		.c = {.in_order = 2, .ooo = 2, .retrans = 1, .gaps = 2, .gap_bytes = 16},
		.syn_seen = true,
	},
};

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static void
test_reasm_table_row(void **state)
{
	const struct row *row = *state;
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	reasm_half_init(&h);
	stats_init(&st, BIG_CAP, BIG_CAP);
	rec_init(&r, DIR_S2C);
	for (const struct op *op = row->ops; op->kind != OP_END; op++) {
		uint32_t v = row->base + op->rel;

		switch (op->kind) {
		case OP_PUSH:
			reasm_push(&h, &st, DIR_S2C, v, op->syn, op->fin, (const uint8_t *)op->data,
				   strlen(op->data), rec_deliver, &r);
			break;
		case OP_ACK:
			reasm_ack(&h, &st, DIR_S2C, v, rec_deliver, &r);
			break;
		case OP_FLUSH:
			reasm_flush(&h, &st, DIR_S2C, rec_deliver, &r);
			break;
		case OP_CHECK:
			assert_string_equal(r.log, op->data);
			break;
		case OP_END:
			break;
		}
		assert_int_equal(st.ooo_bytes_now, h.ooo_bytes);
	}
	assert_false(r.log_overflow);
	assert_string_equal(r.log, row->want);
	assert_int_equal(r.bad_events, 0);
	assert_int_equal(st.segments_in_order, row->c.in_order);
	assert_int_equal(st.segments_ooo, row->c.ooo);
	assert_int_equal(st.segments_retrans, row->c.retrans);
	assert_int_equal(st.segments_overlap, row->c.overlap);
	assert_int_equal(st.gaps, row->c.gaps);
	assert_int_equal(st.gap_bytes, row->c.gap_bytes);
	assert_int_equal(st.cap_stream_hits, 0);
	assert_int_equal(st.cap_global_hits, 0);
	assert_int_equal(h.delivered, r.data_bytes);
	assert_true(h.started);
	assert_int_equal(h.syn_seen, row->syn_seen);
	assert_int_equal(h.midstream, row->midstream);
	assert_int_equal(h.fin_seen, row->fin_seen);
	reasm_half_free(&h, &st);
	assert_null(h.ooo);
	assert_int_equal(h.ooo_bytes, 0);
	assert_int_equal(st.ooo_bytes_now, 0);
}

/* ---- single scenarios ---- */

static void
push_str(struct reasm_half *h, struct reasm_stats *st, uint32_t seq, const char *s, struct rec *r)
{
	reasm_push(h, st, r->dir, seq, false, false, (const uint8_t *)s, strlen(s), rec_deliver, r);
}

static void
push_syn(struct reasm_half *h, struct reasm_stats *st, uint32_t seq, struct rec *r)
{
	reasm_push(h, st, r->dir, seq, true, false, NULL, 0, rec_deliver, r);
}

static void
test_reasm_in_order_data_is_delivered_in_place(void **state)
{
	static const uint8_t payload[] = "in place";
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, BIG_CAP, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 77, &r);
	reasm_push(&h, &st, DIR_C2S, 78, false, false, payload, 8, rec_deliver, &r);
	assert_ptr_equal(r.first_data, payload);
	assert_string_equal(r.log, "in place");
	assert_null(h.ooo);
	reasm_half_free(&h, &st);
}

static void
test_reasm_pure_ack_without_syn_does_not_start_a_stream(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, BIG_CAP, BIG_CAP);
	rec_init(&r, DIR_C2S);
	reasm_push(&h, &st, DIR_C2S, 4000, false, false, NULL, 0, rec_deliver, &r);
	reasm_push(&h, &st, DIR_C2S, 4000, false, true, NULL, 0, rec_deliver, &r);
	assert_true(h.fin_seen); /* a bare FIN is noted, it starts nothing */
	reasm_ack(&h, &st, DIR_C2S, 9000, rec_deliver, &r);
	reasm_flush(&h, &st, DIR_C2S, rec_deliver, &r);
	assert_false(h.started);
	assert_false(h.midstream);
	push_str(&h, &st, 5000, "hi", &r);
	assert_true(h.started);
	assert_true(h.midstream);
	assert_false(h.syn_seen);
	assert_int_equal(h.next_seq, 5002);
	assert_string_equal(r.log, "hi");
	reasm_half_free(&h, &st);
}

static void
test_reasm_fin_in_order_consumes_one_sequence_number(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, BIG_CAP, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 0xFFFFFFFEu, &r);
	assert_int_equal(h.next_seq, 0xFFFFFFFFu);
	reasm_push(&h, &st, DIR_C2S, 0xFFFFFFFFu, false, true, (const uint8_t *)"abc", 3,
		   rec_deliver, &r);
	assert_true(h.fin_seen);
	assert_int_equal(h.next_seq, 3); /* 0xFFFFFFFF + 3 data + 1 FIN */
	assert_int_equal(h.delivered, 3);
	/* a pure retransmitted FIN changes nothing */
	reasm_push(&h, &st, DIR_C2S, 2, false, true, NULL, 0, rec_deliver, &r);
	assert_int_equal(h.next_seq, 3);
	assert_string_equal(r.log, "abc");
	reasm_half_free(&h, &st);
}

static void
test_reasm_zero_length_and_null_data_deliver_nothing(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, BIG_CAP, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 10, &r);
	reasm_push(&h, &st, DIR_C2S, 11, false, false, NULL, 1000, rec_deliver, &r);
	reasm_push(&h, &st, DIR_C2S, 11, false, false, (const uint8_t *)"x", 0, rec_deliver, &r);
	reasm_push(&h, &st, DIR_C2S, 500, false, false, (const uint8_t *)"x", 0, rec_deliver, &r);
	assert_int_equal(r.log_len, 0);
	assert_int_equal(h.next_seq, 11);
	assert_int_equal(st.segments_in_order + st.segments_ooo + st.segments_retrans, 0);
	reasm_flush(&h, &st, DIR_C2S, rec_deliver, &r);
	assert_int_equal(r.gaps, 0);
	reasm_half_free(&h, &st);
}

static void
test_reasm_stream_cap_forces_a_gap_then_delivers_the_buffered_data(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, 8, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 0, &r);
	push_str(&h, &st, 1, "ab", &r);
	push_str(&h, &st, 5, "efgh", &r);
	push_str(&h, &st, 9, "ijkl", &r); /* exactly the cap */
	assert_string_equal(r.log, "ab");
	assert_int_equal(h.ooo_bytes, 8);
	assert_int_equal(st.cap_stream_hits, 0);
	push_str(&h, &st, 13, "mn", &r);
	assert_string_equal(r.log, "ab<2>efghijklmn");
	assert_int_equal(st.cap_stream_hits, 1);
	assert_int_equal(st.cap_global_hits, 0);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(st.gap_bytes, 2);
	assert_int_equal(r.data_bytes, 12);
	assert_null(h.ooo);
	assert_int_equal(h.ooo_bytes, 0);
	assert_int_equal(st.ooo_bytes_now, 0);
	/* the bytes that were skipped are now old */
	push_str(&h, &st, 3, "cd", &r);
	assert_int_equal(st.segments_retrans, 1);
	reasm_half_free(&h, &st);
}

static void
test_reasm_stream_cap_with_nothing_buffered_before_delivers_the_segment_directly(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, 4, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 0, &r);
	push_str(&h, &st, 1, "ab", &r);
	push_str(&h, &st, 9, "ijkl", &r);
	push_str(&h, &st, 5, "ef", &r);
	assert_string_equal(r.log, "ab<2>ef");
	assert_int_equal(st.cap_stream_hits, 1);
	assert_int_equal(h.ooo_bytes, 4); /* ijkl stays buffered */
	reasm_flush(&h, &st, DIR_C2S, rec_deliver, &r);
	assert_string_equal(r.log, "ab<2>ef<2>ijkl");
	assert_int_equal(st.gaps, 2);
	assert_int_equal(st.gap_bytes, 4);
	assert_null(h.ooo);
	assert_int_equal(st.ooo_bytes_now, 0);
	reasm_half_free(&h, &st);
}

static void
test_reasm_forced_gaps_repeat_while_buffered_data_precedes_the_segment(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, 6, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 0, &r);
	push_str(&h, &st, 3, "cd", &r);
	push_str(&h, &st, 7, "gh", &r);
	push_str(&h, &st, 11, "kl", &r);
	push_str(&h, &st, 15, "opqrstuv", &r); /* bigger than the cap */
	assert_string_equal(r.log, "<2>cd<2>gh<2>kl<2>opqrstuv");
	assert_int_equal(st.cap_stream_hits, 4);
	assert_int_equal(st.gaps, 4);
	assert_int_equal(st.gap_bytes, 8);
	assert_int_equal(st.segments_ooo, 4);
	assert_null(h.ooo);
	assert_int_equal(st.ooo_bytes_now, 0);
	reasm_half_free(&h, &st);
}

static void
test_reasm_forced_progress_that_reaches_the_segment_delivers_it_in_order(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, 4, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 0, &r);
	push_str(&h, &st, 3, "cdef", &r);
	push_str(&h, &st, 5, "EFGHIJ", &r); /* overlaps the buffered node, too big */
	assert_string_equal(r.log, "<2>cdefGHIJ");
	assert_int_equal(st.cap_stream_hits, 1);
	assert_int_equal(st.segments_overlap, 1);
	assert_null(h.ooo);
	assert_int_equal(st.ooo_bytes_now, 0);
	reasm_half_free(&h, &st);
}

static void
test_reasm_zero_stream_cap_never_buffers(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, 0, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 100, &r);
	push_str(&h, &st, 104, "def", &r);
	push_str(&h, &st, 101, "abc", &r);
	push_str(&h, &st, 110, "j", &r);
	assert_string_equal(r.log, "<3>def<3>j");
	assert_int_equal(st.cap_stream_hits, 2);
	assert_int_equal(st.segments_retrans, 1);
	assert_int_equal(st.ooo_bytes_now, 0);
	reasm_half_free(&h, &st);
}

static void
test_reasm_global_cap_is_shared_and_only_forces_the_pushing_stream(void **state)
{
	struct reasm_half a, b;
	struct reasm_stats st;
	struct rec ra, rb;

	(void)state;
	reasm_half_init(&a);
	reasm_half_init(&b);
	stats_init(&st, BIG_CAP, 6);
	rec_init(&ra, DIR_C2S);
	rec_init(&rb, DIR_S2C);
	push_syn(&a, &st, 0, &ra);
	push_syn(&b, &st, 500, &rb);
	push_str(&a, &st, 1, "ab", &ra);
	push_str(&a, &st, 5, "efgh", &ra);
	push_str(&b, &st, 501, "xy", &rb);
	push_str(&b, &st, 505, "12", &rb);
	assert_int_equal(st.ooo_bytes_now, 6);
	push_str(&b, &st, 509, "34", &rb); /* 8 > 6: b must make room */
	assert_string_equal(rb.log, "xy<2>12");
	assert_string_equal(ra.log, "ab");
	assert_int_equal(st.cap_global_hits, 1);
	assert_int_equal(st.cap_stream_hits, 0);
	assert_int_equal(b.ooo_bytes, 2);
	assert_int_equal(st.ooo_bytes_now, 6);
	push_str(&a, &st, 11, "ij", &ra);
	assert_string_equal(ra.log, "ab<2>efgh");
	assert_int_equal(st.cap_global_hits, 2);
	assert_int_equal(a.ooo_bytes, 2);
	assert_int_equal(st.ooo_bytes_now, 4);
	/* freeing without delivering keeps the global count exact */
	reasm_half_free(&a, &st);
	assert_null(a.ooo);
	assert_int_equal(a.ooo_bytes, 0);
	assert_int_equal(st.ooo_bytes_now, 2);
	assert_string_equal(ra.log, "ab<2>efgh");
	reasm_flush(&b, &st, DIR_S2C, rec_deliver, &rb);
	assert_string_equal(rb.log, "xy<2>12<2>34");
	assert_int_equal(st.ooo_bytes_now, 0);
	reasm_half_free(&b, &st);
	assert_int_equal(st.ooo_bytes_now, 0);
}

static void
test_reasm_half_free_releases_buffered_data_without_delivering(void **state)
{
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	reasm_half_init(&h);
	stats_init(&st, BIG_CAP, BIG_CAP);
	rec_init(&r, DIR_C2S);
	push_syn(&h, &st, 0, &r);
	for (uint32_t i = 0; i < 50; i++)
		push_str(&h, &st, 10 + 10 * (49 - i), "0123", &r);
	assert_int_equal(h.ooo_bytes, 200);
	assert_int_equal(st.ooo_bytes_now, 200);
	reasm_half_free(&h, &st);
	assert_null(h.ooo);
	assert_int_equal(h.ooo_bytes, 0);
	assert_int_equal(st.ooo_bytes_now, 0);
	assert_int_equal(r.log_len, 0);
	reasm_half_free(&h, &st); /* twice is harmless */
}

static void
test_reasm_large_segments_are_delivered_intact(void **state)
{
	enum { N = 1 << 20 };
	uint8_t *buf = malloc(N);
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < N; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 9));
	reasm_half_init(&h);
	stats_init(&st, 4096, BIG_CAP);
	rec_init(&r, DIR_C2S);
	r.ref = buf;
	r.ref_len = N;
	push_syn(&h, &st, 0xFFF00000u, &r);
	/* second half first: over the cap, forced out after a gap */
	reasm_push(&h, &st, DIR_C2S, 0xFFF00001u + N / 2, false, false, buf + N / 2, N / 2,
		   rec_deliver, &r);
	reasm_push(&h, &st, DIR_C2S, 0xFFF00001u, false, false, buf, N, rec_deliver, &r);
	assert_int_equal(r.mismatches, 0);
	assert_int_equal(r.pos, N);
	assert_int_equal(r.gap_bytes, N / 2);
	assert_int_equal(r.data_bytes, N / 2);
	assert_int_equal(st.segments_retrans, 1);
	assert_int_equal(st.ooo_bytes_now, 0);
	reasm_half_free(&h, &st);
	free(buf);
}

/* ---- property tests ---- */

struct rng {
	uint64_t s;
};

static uint32_t
rng_next(struct rng *g)
{
	/* xorshift64* */
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return (uint32_t)((g->s * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t
rng_below(struct rng *g, uint32_t n)
{
	return n ? rng_next(g) % n : 0;
}

struct piece {
	uint32_t off; /* from the first data byte */
	uint32_t len;
	bool syn;  /* a retransmitted SYN (no data) */
	bool keep; /* never lost */
};

enum { MAX_LEN = 3000, MAX_PIECES = 4 * MAX_LEN };

struct prop {
	bool small_caps;
	bool acks;
	bool losses;
};

struct prop_buf {
	uint8_t ref[MAX_LEN];
	struct piece p[MAX_PIECES];
};

static size_t
prop_make_pieces(struct rng *g, struct piece *p, uint32_t len)
{
	size_t n = 0;

	for (uint32_t off = 0; off < len;) {
		uint32_t k = 1 + rng_below(g, 200);

		if (k > len - off)
			k = len - off;
		p[n++] = (struct piece){.off = off, .len = k, .keep = off + k == len};
		off += k;
	}
	size_t cut = n;
	for (uint32_t d = rng_below(g, (uint32_t)cut / 2 + 1); d > 0; d--)
		p[n++] = p[rng_below(g, (uint32_t)cut)];
	for (uint32_t d = rng_below(g, 6); d > 0; d--) {
		uint32_t a = rng_below(g, len);
		uint32_t k = 1 + rng_below(g, len - a);

		p[n++] = (struct piece){.off = a, .len = k};
	}
	if (rng_below(g, 4) == 0)
		p[n++] = (struct piece){.syn = true};
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rng_below(g, (uint32_t)i + 1);
		struct piece t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	return n;
}

/* The end-of-stream checks of one property iteration. */
static bool
prop_check(const struct prop *pr, const struct reasm_half *h, const struct reasm_stats *st,
	   const struct rec *r, uint32_t isn, uint32_t len, char *why, size_t why_len)
{
	bool clean = !pr->small_caps && !pr->acks && !pr->losses;

	if (r->mismatches || r->bad_events || r->unknown_gaps || r->pos != len)
		snprintf(why, why_len, "len %u isn %#x: mismatches %llu bad %llu pos %llu", len,
			 isn, (unsigned long long)r->mismatches, (unsigned long long)r->bad_events,
			 (unsigned long long)r->pos);
	else if (r->gaps != st->gaps || r->gap_bytes != st->gap_bytes)
		snprintf(why, why_len, "gap counters differ from the gaps received");
	else if (r->data_bytes != h->delivered || h->next_seq != isn + 1 + len)
		snprintf(why, why_len, "delivered or next_seq wrong");
	else if (clean && (r->gaps != 0 || r->data_bytes != len))
		snprintf(why, why_len, "gaps with nothing lost and large caps");
	else if (!pr->small_caps && st->cap_stream_hits + st->cap_global_hits != 0)
		snprintf(why, why_len, "cap hit with large caps");
	else if (h->ooo || st->ooo_bytes_now != 0)
		snprintf(why, why_len, "memory held after flush");
	else
		return true;
	return false;
}

/*
 * One random stream: cut, duplicated, overlapped, shuffled, pushed (with
 * losses and acks if asked), flushed. Returns false with a reason in why; it
 * never longjmps, so nothing leaks when it fails.
 */
static bool
prop_iteration(const struct prop *pr, struct rng *g, struct prop_buf *b, char *why, size_t why_len)
{
	uint32_t len = 1 + rng_below(g, MAX_LEN);
	uint32_t isn = rng_next(g);
	struct reasm_half h;
	struct reasm_stats st;
	struct rec r;
	bool ok = true;

	if (rng_below(g, 4) == 0)
		isn = 0xFFFFFFFFu - rng_below(g, len + 2); /* data crosses 2^32 */
	for (uint32_t i = 0; i < len; i++)
		b->ref[i] = (uint8_t)rng_next(g);
	size_t n = prop_make_pieces(g, b->p, len);

	reasm_half_init(&h);
	if (pr->small_caps)
		stats_init(&st, rng_below(g, 300), rng_below(g, 500));
	else
		stats_init(&st, BIG_CAP, BIG_CAP);
	rec_init(&r, DIR_S2C);
	r.ref = b->ref;
	r.ref_len = len;
	reasm_push(&h, &st, DIR_S2C, isn, true, false, NULL, 0, rec_deliver, &r);
	for (size_t i = 0; i < n && ok; i++) {
		const struct piece *p = &b->p[i];

		if (pr->losses && !p->keep && rng_below(g, 5) == 0)
			continue;
		if (p->syn)
			reasm_push(&h, &st, DIR_S2C, isn, true, false, NULL, 0, rec_deliver, &r);
		else
			reasm_push(&h, &st, DIR_S2C, isn + 1 + p->off, false, false,
				   b->ref + p->off, p->len, rec_deliver, &r);
		if (pr->acks && rng_below(g, 4) == 0)
			reasm_ack(&h, &st, DIR_S2C, isn + 1 + rng_below(g, len + 1), rec_deliver,
				  &r);
		if (st.ooo_bytes_now != h.ooo_bytes || h.ooo_bytes > st.stream_cap ||
		    st.ooo_bytes_now > st.ooo_bytes_cap) {
			snprintf(why, why_len, "buffer accounting off after piece %zu", i);
			ok = false;
		}
	}
	reasm_flush(&h, &st, DIR_S2C, rec_deliver, &r);

	if (ok)
		ok = prop_check(pr, &h, &st, &r, isn, len, why, why_len);
	reasm_half_free(&h, &st);
	return ok;
}

static void
prop_run(const struct prop *pr, uint64_t seed, int iterations)
{
	struct prop_buf *b = malloc(sizeof(*b));
	struct rng g = {seed};
	char why[160] = "";
	int it;

	assert_non_null(b);
	for (it = 0; it < iterations; it++)
		if (!prop_iteration(pr, &g, b, why, sizeof(why)))
			break;
	free(b);
	if (it < iterations)
		fail_msg("seed %#llx iteration %d: %s", (unsigned long long)seed, it, why);
}

static void
test_reasm_shuffled_segments_with_duplicates_are_delivered_exactly(void **state)
{
	const struct prop pr = {0};

	(void)state;
	prop_run(&pr, 0x7e57a55e3b1eULL, 3000);
}

static void
test_reasm_shuffled_segments_under_small_caps_account_for_every_byte(void **state)
{
	const struct prop pr = {.small_caps = true};

	(void)state;
	prop_run(&pr, 0xC0FFEEULL, 3000);
}

static void
test_reasm_shuffled_segments_with_acks_and_losses_account_for_every_byte(void **state)
{
	const struct prop pr = {.acks = true, .losses = true};

	(void)state;
	prop_run(&pr, 0xACC5ULL, 2000);
}

static void
test_reasm_shuffled_segments_with_everything_hostile_account_for_every_byte(void **state)
{
	const struct prop pr = {.small_caps = true, .acks = true, .losses = true};

	(void)state;
	prop_run(&pr, 0xBADULL, 2000);
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_reasm_in_order_data_is_delivered_in_place),
	cmocka_unit_test(test_reasm_pure_ack_without_syn_does_not_start_a_stream),
	cmocka_unit_test(test_reasm_fin_in_order_consumes_one_sequence_number),
	cmocka_unit_test(test_reasm_zero_length_and_null_data_deliver_nothing),
	cmocka_unit_test(test_reasm_stream_cap_forces_a_gap_then_delivers_the_buffered_data),
	cmocka_unit_test(
		test_reasm_stream_cap_with_nothing_buffered_before_delivers_the_segment_directly),
	cmocka_unit_test(test_reasm_forced_gaps_repeat_while_buffered_data_precedes_the_segment),
	cmocka_unit_test(test_reasm_forced_progress_that_reaches_the_segment_delivers_it_in_order),
	cmocka_unit_test(test_reasm_zero_stream_cap_never_buffers),
	cmocka_unit_test(test_reasm_global_cap_is_shared_and_only_forces_the_pushing_stream),
	cmocka_unit_test(test_reasm_half_free_releases_buffered_data_without_delivering),
	cmocka_unit_test(test_reasm_large_segments_are_delivered_intact),
	cmocka_unit_test(test_reasm_shuffled_segments_with_duplicates_are_delivered_exactly),
	cmocka_unit_test(test_reasm_shuffled_segments_under_small_caps_account_for_every_byte),
	cmocka_unit_test(test_reasm_shuffled_segments_with_acks_and_losses_account_for_every_byte),
	cmocka_unit_test(
		test_reasm_shuffled_segments_with_everything_hostile_account_for_every_byte),
};

#define N_FIXED (sizeof(fixed_tests) / sizeof(fixed_tests[0]))

int
main(void)
{
	struct CMUnitTest tests[N_ROWS + N_FIXED];

	for (size_t i = 0; i < N_ROWS; i++)
		tests[i] = (struct CMUnitTest){
			.name = rows[i].name,
			.test_func = test_reasm_table_row,
			.initial_state = (void *)&rows[i],
		};
	for (size_t i = 0; i < N_FIXED; i++)
		tests[N_ROWS + i] = fixed_tests[i];
	return cmocka_run_group_tests_name("reasm", tests, NULL, NULL);
}
