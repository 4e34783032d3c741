/*
 * reasm.c - TCP stream reassembly, one half-stream per direction (see reasm.h).
 *
 * References: RFC 9293 (TCP: sequence space, SYN and FIN each consume one
 * sequence number, modulo 2^32 comparison), RFC 7413 (TCP Fast Open: data
 * carried on the SYN starts at ISN+1), RFC 7323 (window scaling: a window is
 * at most 2^30 bytes, which is where the 1 GiB window below comes from).
 *
 * Data model. Bytes at next_seq are handed to the consumer in place, straight
 * from the caller's packet buffer. Everything else that is new is copied into
 * struct reasm_seg nodes kept sorted by sequence number and never overlapping.
 * The list is circular and h->ooo points at its LAST (highest) node, so
 * h->ooo->next is the first one: appending after the highest segment (the
 * usual pattern after one lost packet) and taking the first one are O(1).
 * The first node always starts strictly after next_seq; whenever next_seq
 * moves, contiguous nodes are delivered in order and freed at once.
 *
 * Memory accounting. h->ooo_bytes and st->ooo_bytes_now count buffered
 * payload bytes exactly (added when a node is linked, removed when it is
 * unlinked, before the consumer is called). The node header (16 bytes plus
 * the allocator's overhead) is not charged: a peer sending 1-byte segments
 * with 1-byte holes holds about 30 times its cap in real memory. Inserting
 * anywhere but after the highest node or before the lowest walks the list,
 * O(nodes); with real segment sizes and caps that is a few hundred nodes.
 *
 * Policy, exactly:
 *  - Start. A SYN sets next_seq = seq + 1 (syn_seen); data on the SYN (TFO) is
 *    at seq + 1. Without a SYN the first segment carrying data starts the
 *    stream at its seq (midstream). A segment with neither data nor SYN does
 *    not start a stream (a FIN on it still sets fin_seen).
 *  - A SYN on a half that has already started (a retransmitted SYN, a SYN with
 *    another ISN, or a SYN after a midstream start) is dropped whole, with its
 *    data and FIN, and counted in segments_retrans: the first ISN is kept. A
 *    retransmitted SYN carries nothing new, its TFO data repeats the first.
 *  - Classification of a segment with data, counted once per segment: nothing
 *    new (wholly before next_seq, or wholly buffered already) ->
 *    segments_retrans, dropped; starts at or before next_seq ->
 *    segments_in_order; starts after it -> segments_ooo (even when a cap
 *    then forces it out directly). segments_overlap is counted as well when
 *    part of the segment was already delivered or buffered and was trimmed.
 *  - Overlaps: the bytes received first win. A new segment only supplies
 *    bytes that are neither delivered nor buffered: it is trimmed in front and
 *    split around buffered nodes, also on the in-order path (the in-place
 *    delivery stops where a buffered node begins, the node goes out, and the
 *    rest of the new segment continues after it).
 *  - Caps. Buffering n new bytes needs h->ooo_bytes + n <= st->stream_cap and
 *    st->ooo_bytes_now + n <= st->ooo_bytes_cap (a cap of 0 means nothing is
 *    ever buffered, so a zeroed struct reasm_stats buffers nothing). If it
 *    does not fit and a buffered node starts before the new segment: gap from
 *    next_seq to that node (REASM_GAP with its length, gaps++, gap_bytes +=
 *    that length, and cap_stream_hits++ if the stream cap is the one
 *    exceeded, else cap_global_hits++), deliver the buffered bytes that are
 *    now contiguous, and try again (one cap hit per forced gap). When no
 *    buffered node starts before the new segment: gap from next_seq to the
 *    segment (counted the same way), deliver the segment in place, then any
 *    buffered nodes it made contiguous. Only this half-stream's buffer is ever
 *    forced: the global cap never touches other streams.
 *  - malloc failure while buffering: the piece is not kept (cap_global_hits++);
 *    it stays a hole, reported as a gap later like any other.
 *  - A segment starting more than 1 GiB (REASM_WINDOW) after next_seq cannot
 *    be in any TCP window: the capture lost a lot, or a midstream start locked
 *    onto a stray packet, or it is forged. The half resynchronizes: what is
 *    buffered goes out as on a flush (holes as gaps with their length), then a
 *    REASM_GAP of length 0 ("unknown": the sequence space may have wrapped)
 *    is reported (gaps++, gap_bytes unchanged), next_seq jumps to the
 *    segment and it is delivered. Segments before next_seq (diff < 0, up to
 *    2 GiB behind) are retransmissions.
 *  - A segment longer than 1 GiB is truncated to 1 GiB (no real segment is);
 *    together with the window this keeps every offset below 2^31.
 *  - FIN sets fin_seen. Its sequence number (seq + len) is consumed only when
 *    it is reached in order (next_seq advances by one past it); an
 *    out-of-order FIN only sets the flag, a later retransmission consumes it.
 *    Data on the FIN segment is processed like any other data.
 *  - reasm_ack: when ack is after next_seq, every hole that ends at a buffered
 *    node starting at or before ack becomes a gap and the buffered data after
 *    it is delivered. With nothing buffered an ack does nothing (the acked
 *    bytes may still be in flight in the capture).
 *  - reasm_flush: every hole before a buffered node becomes a gap, everything
 *    is delivered and freed. Nothing is said about bytes after the last node.
 *
 * The consumer callback must not call back into the same half-stream. Gap
 * events carry data == NULL. Data events never have len == 0.
 *
 * Not handled: urgent data, TCP options (timestamps/PAWS, SACK), a FIN
 * position conflicting with later data (such data is taken as it comes).
 */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>

/* The largest distance ahead of next_seq that a segment may start at, and the
 * largest segment length taken (2^30, the largest scaled TCP window). */
#define REASM_WINDOW ((uint64_t)1 << 30)

struct reasm_seg {
	struct reasm_seg *next; /* circular: the last node points at the first */
	uint32_t seq;		/* sequence number of data[0] */
	uint32_t len;		/* > 0, <= REASM_WINDOW */
	uint8_t data[];
};

enum reasm_cap {
	REASM_FITS,
	REASM_CAP_STREAM,
	REASM_CAP_GLOBAL,
};

void
reasm_half_init(struct reasm_half *h)
{
	memset(h, 0, sizeof(*h));
}

static struct reasm_seg *
reasm_seg_first(const struct reasm_half *h)
{
	return h->ooo ? h->ooo->next : NULL;
}

static struct reasm_seg *
reasm_seg_after(const struct reasm_half *h, const struct reasm_seg *s)
{
	return s == h->ooo ? NULL : s->next;
}

/* Offset of a buffered node from next_seq: always in [1, 2^31). */
static uint64_t
reasm_seg_start(const struct reasm_half *h, const struct reasm_seg *s)
{
	return (uint32_t)(s->seq - h->next_seq);
}

static uint64_t
reasm_seg_end(const struct reasm_half *h, const struct reasm_seg *s)
{
	return reasm_seg_start(h, s) + s->len;
}

/* Links n after prev (prev == NULL: in front) and charges its bytes. */
static void
reasm_seg_link(struct reasm_half *h, struct reasm_stats *st, struct reasm_seg *prev,
	       struct reasm_seg *n)
{
	if (!h->ooo) {
		n->next = n;
		h->ooo = n;
	} else if (!prev) {
		n->next = h->ooo->next;
		h->ooo->next = n;
	} else {
		n->next = prev->next;
		prev->next = n;
		if (prev == h->ooo)
			h->ooo = n;
	}
	h->ooo_bytes += n->len;
	st->ooo_bytes_now += n->len;
}

/* Unlinks the first node and releases its bytes from both counters; the
 * caller owns it and frees it with free(). */
static struct reasm_seg *
reasm_seg_unlink_first(struct reasm_half *h, struct reasm_stats *st)
{
	struct reasm_seg *f = h->ooo->next;

	if (f == h->ooo)
		h->ooo = NULL;
	else
		h->ooo->next = f->next;
	h->ooo_bytes -= f->len;
	st->ooo_bytes_now -= f->len;
	return f;
}

static void
reasm_emit_data(struct reasm_half *h, enum dir dir, const uint8_t *data, uint64_t len,
		reasm_deliver_fn deliver, void *ctx)
{
	h->next_seq += (uint32_t)len;
	h->delivered += len;
	if (deliver)
		deliver(ctx, dir, REASM_DATA, data, (size_t)len);
}

/* A hole of known length n > 0 before the next bytes. */
static void
reasm_emit_gap(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint64_t n,
	       reasm_deliver_fn deliver, void *ctx)
{
	h->next_seq += (uint32_t)n;
	st->gaps++;
	st->gap_bytes += n;
	if (deliver)
		deliver(ctx, dir, REASM_GAP, NULL, (size_t)n);
}

/* Delivers and frees the buffered nodes that start exactly at next_seq. */
static void
reasm_drain(struct reasm_half *h, struct reasm_stats *st, enum dir dir, reasm_deliver_fn deliver,
	    void *ctx)
{
	while (h->ooo && h->ooo->next->seq == h->next_seq) {
		struct reasm_seg *f = reasm_seg_unlink_first(h, st);

		reasm_emit_data(h, dir, f->data, f->len, deliver, ctx);
		free(f);
	}
}

/* Reports the hole before the first buffered node as a gap, then delivers
 * the buffered bytes contiguous with it. Needs h->ooo != NULL. */
static void
reasm_skip_hole(struct reasm_half *h, struct reasm_stats *st, enum dir dir,
		reasm_deliver_fn deliver, void *ctx)
{
	reasm_emit_gap(h, st, dir, reasm_seg_start(h, reasm_seg_first(h)), deliver, ctx);
	reasm_drain(h, st, dir, deliver, ctx);
}

/*
 * Walks the bytes at offsets [s, e) from next_seq (seq is the sequence number
 * of offset s, data its bytes) against the buffered nodes and returns how many
 * of them are not buffered yet. With place, those bytes are copied into new
 * nodes linked in order. Needs e <= 2^31.
 */
static uint64_t
reasm_walk(struct reasm_half *h, struct reasm_stats *st, uint32_t seq, const uint8_t *data,
	   uint64_t s, uint64_t e, bool place)
{
	struct reasm_seg *prev = NULL, *it = reasm_seg_first(h);
	uint64_t cur = s, fresh = 0;

	if (h->ooo && s >= reasm_seg_end(h, h->ooo)) {
		prev = h->ooo;
		it = NULL;
	}
	while (cur < e) {
		while (it && reasm_seg_end(h, it) <= cur) {
			prev = it;
			it = reasm_seg_after(h, it);
		}
		if (it && reasm_seg_start(h, it) <= cur) {
			cur = reasm_seg_end(h, it);
			prev = it;
			it = reasm_seg_after(h, it);
			continue;
		}
		uint64_t stop = e;
		if (it && reasm_seg_start(h, it) < e)
			stop = reasm_seg_start(h, it);
		fresh += stop - cur;
		if (place) {
			struct reasm_seg *n = malloc(sizeof(*n) + (size_t)(stop - cur));

			if (n) {
				n->seq = seq + (uint32_t)(cur - s);
				n->len = (uint32_t)(stop - cur);
				memcpy(n->data, data + (cur - s), n->len);
				reasm_seg_link(h, st, prev, n);
				prev = n;
			} else {
				st->cap_global_hits++;
			}
		}
		cur = stop;
	}
	return fresh;
}

/*
 * Delivers a segment that starts at or before next_seq, in place. Bytes
 * before next_seq are skipped; the delivery stops where a buffered node
 * starts (those bytes came first), the nodes go out, and the rest continues.
 */
static void
reasm_deliver_in_place(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint32_t seq,
		       const uint8_t *data, uint64_t len, reasm_deliver_fn deliver, void *ctx)
{
	while (len > 0) {
		reasm_drain(h, st, dir, deliver, ctx); /* keeps the first node after next_seq */

		int64_t off = reasm_seq_diff(seq, h->next_seq);
		if (off > 0)
			return; /* cannot happen: next_seq only moves forward */
		if ((uint64_t)-off >= len)
			return;
		seq += (uint32_t)-off;
		data += -off;
		len -= (uint64_t)-off;

		uint64_t n = len;
		if (h->ooo && reasm_seg_start(h, reasm_seg_first(h)) < n)
			n = reasm_seg_start(h, reasm_seg_first(h));
		reasm_emit_data(h, dir, data, n, deliver, ctx);
		seq += (uint32_t)n;
		data += n;
		len -= n;
	}
	reasm_drain(h, st, dir, deliver, ctx);
}

static enum reasm_cap
reasm_cap_check(const struct reasm_half *h, const struct reasm_stats *st, uint64_t need)
{
	if (h->ooo_bytes + need > st->stream_cap)
		return REASM_CAP_STREAM;
	if (st->ooo_bytes_now + need > st->ooo_bytes_cap)
		return REASM_CAP_GLOBAL;
	return REASM_FITS;
}

static void
reasm_count_cap_hit(struct reasm_stats *st, enum reasm_cap why)
{
	if (why == REASM_CAP_STREAM)
		st->cap_stream_hits++;
	else
		st->cap_global_hits++;
}

/* A segment starting after next_seq (within the window): buffer what is new,
 * or force progress when a cap is in the way. */
static void
reasm_buffer(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint32_t seq,
	     const uint8_t *data, uint64_t len, reasm_deliver_fn deliver, void *ctx)
{
	for (;;) {
		int64_t off = reasm_seq_diff(seq, h->next_seq);

		if (off <= 0) {
			/* forced progress reached it */
			reasm_deliver_in_place(h, st, dir, seq, data, len, deliver, ctx);
			return;
		}
		uint64_t need =
			reasm_walk(h, st, seq, data, (uint64_t)off, (uint64_t)off + len, false);
		if (need == 0)
			return;
		enum reasm_cap why = reasm_cap_check(h, st, need);
		if (why == REASM_FITS) {
			reasm_walk(h, st, seq, data, (uint64_t)off, (uint64_t)off + len, true);
			return;
		}
		reasm_count_cap_hit(st, why);
		if (h->ooo && reasm_seg_start(h, reasm_seg_first(h)) < (uint64_t)off) {
			reasm_skip_hole(h, st, dir, deliver, ctx);
			continue;
		}
		reasm_emit_gap(h, st, dir, (uint64_t)off, deliver, ctx);
		reasm_deliver_in_place(h, st, dir, seq, data, len, deliver, ctx);
		return;
	}
}

/* Delivers everything buffered, holes before nodes as gaps. */
static void
reasm_deliver_all(struct reasm_half *h, struct reasm_stats *st, enum dir dir,
		  reasm_deliver_fn deliver, void *ctx)
{
	while (h->ooo)
		reasm_skip_hole(h, st, dir, deliver, ctx);
}

/* A segment too far ahead to belong to the window: see the file comment. */
static void
reasm_resync(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint32_t seq,
	     const uint8_t *data, uint64_t len, reasm_deliver_fn deliver, void *ctx)
{
	reasm_deliver_all(h, st, dir, deliver, ctx);
	st->gaps++;
	if (deliver)
		deliver(ctx, dir, REASM_GAP, NULL, 0);
	h->next_seq = seq;
	reasm_deliver_in_place(h, st, dir, seq, data, len, deliver, ctx);
}

static void
reasm_push_data(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint32_t seq,
		const uint8_t *data, uint64_t len, reasm_deliver_fn deliver, void *ctx)
{
	int64_t off = reasm_seq_diff(seq, h->next_seq);

	if (off + (int64_t)len <= 0) {
		st->segments_retrans++;
		return;
	}
	if (off > (int64_t)REASM_WINDOW) {
		st->segments_ooo++;
		reasm_resync(h, st, dir, seq, data, len, deliver, ctx);
		return;
	}
	uint64_t s = off > 0 ? (uint64_t)off : 0;
	uint64_t e = (uint64_t)(off + (int64_t)len);
	uint64_t fresh = reasm_walk(h, st, seq, data, s, e, false);
	if (fresh == 0) {
		st->segments_retrans++;
		return;
	}
	if (fresh < len)
		st->segments_overlap++;
	if (off <= 0) {
		st->segments_in_order++;
		reasm_deliver_in_place(h, st, dir, seq, data, len, deliver, ctx);
	} else {
		st->segments_ooo++;
		reasm_buffer(h, st, dir, seq, data, len, deliver, ctx);
	}
}

void
reasm_push(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint32_t seq, bool syn,
	   bool fin, const uint8_t *data, size_t len, reasm_deliver_fn deliver, void *ctx)
{
	if (!data)
		len = 0;
	if (len > REASM_WINDOW)
		len = REASM_WINDOW;
	if (syn) {
		if (h->started) {
			st->segments_retrans++;
			return;
		}
		h->started = true;
		h->syn_seen = true;
		seq++;
		h->next_seq = seq;
	}
	if (!h->started) {
		if (len == 0) {
			if (fin)
				h->fin_seen = true;
			return;
		}
		h->started = true;
		h->midstream = true;
		h->next_seq = seq;
	}
	if (len > 0)
		reasm_push_data(h, st, dir, seq, data, len, deliver, ctx);
	if (fin) {
		h->fin_seen = true;
		if (h->next_seq == seq + (uint32_t)len) {
			h->next_seq++;
			reasm_drain(h, st, dir, deliver, ctx);
		}
	}
}

void
reasm_ack(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint32_t ack,
	  reasm_deliver_fn deliver, void *ctx)
{
	if (!h->started)
		return;
	while (h->ooo) {
		int32_t d = reasm_seq_diff(ack, h->next_seq);

		if (d <= 0 || reasm_seg_start(h, reasm_seg_first(h)) > (uint64_t)d)
			return;
		reasm_skip_hole(h, st, dir, deliver, ctx);
	}
}

void
reasm_flush(struct reasm_half *h, struct reasm_stats *st, enum dir dir, reasm_deliver_fn deliver,
	    void *ctx)
{
	reasm_deliver_all(h, st, dir, deliver, ctx);
}

void
reasm_half_free(struct reasm_half *h, struct reasm_stats *st)
{
	while (h->ooo)
		free(reasm_seg_unlink_first(h, st));
}
