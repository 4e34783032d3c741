/*
 * reasm.h - TCP stream reassembly, one half-stream per direction.
 *
 * Turns TCP segments into an in-order byte stream per direction and hands it to
 * a consumer through a callback. Bytes that arrive in order are handed over in
 * place (no copy); only out-of-order segments are copied aside, under a
 * per-stream cap and a global cap shared by all streams.
 *
 * Policy (documented in docs/architecture.md):
 *  - The first byte of a stream is SYN+1 when the SYN was seen; otherwise the
 *    first segment carrying data defines it and the stream is "midstream".
 *  - Retransmissions (segments wholly before the next expected byte) are
 *    dropped and counted. Overlaps keep the bytes received first: the new
 *    segment is trimmed to the part not yet delivered or buffered.
 *  - A hole is never glued over: when data after the hole must be delivered
 *    (a cap is hit, the peer acknowledged past the hole, or the stream ends),
 *    the consumer receives a gap event with the number of missing bytes, then
 *    the bytes after it.
 *  - Sequence numbers compare modulo 2^32 (wraparound is normal).
 *
 * Reassembly never looks inside the payload and never sees protocol headers.
 */
#ifndef TLSWATCH_REASM_H
#define TLSWATCH_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dir {
	DIR_C2S = 0, /* client to server */
	DIR_S2C = 1, /* server to client */
};

/* What the consumer receives. For REASM_DATA, data/len are valid only during
 * the call. For REASM_GAP, len is the number of missing bytes (0 when unknown). */
enum reasm_event {
	REASM_DATA,
	REASM_GAP,
};

typedef void (*reasm_deliver_fn)(void *ctx, enum dir dir, enum reasm_event ev, const uint8_t *data,
				 size_t len);

/* Counters shared by every stream of one run (the global cap lives here). */
struct reasm_stats {
	uint64_t ooo_bytes_now; /* currently buffered, all streams */
	uint64_t ooo_bytes_cap; /* global cap on the above */
	size_t stream_cap;	/* per half-stream cap on buffered bytes */
	uint64_t segments_in_order;
	uint64_t segments_ooo;	   /* buffered out of order */
	uint64_t segments_retrans; /* wholly already seen */
	uint64_t segments_overlap; /* partly already seen, trimmed */
	uint64_t gaps;
	uint64_t gap_bytes;
	uint64_t cap_stream_hits; /* per-stream cap forced a gap */
	uint64_t cap_global_hits; /* global cap forced a gap */
};

struct reasm_seg; /* private: one buffered out-of-order segment */

struct reasm_half {
	uint32_t next_seq; /* next byte expected */
	bool started;	   /* next_seq is valid */
	bool syn_seen;
	bool fin_seen;
	bool midstream;	       /* started without a SYN */
	struct reasm_seg *ooo; /* sorted by sequence, non-overlapping */
	size_t ooo_bytes;
	uint64_t delivered; /* bytes handed to the consumer */
};

void reasm_half_init(struct reasm_half *h);

/*
 * Feeds one segment of this half-stream. syn/fin are the TCP flags. Calls
 * deliver() zero or more times. Never fails: a cap that is hit turns into a
 * gap event and a counter in st.
 */
void reasm_push(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint32_t seq, bool syn,
		bool fin, const uint8_t *data, size_t len, reasm_deliver_fn deliver, void *ctx);

/*
 * The peer acknowledged everything before ack: if this half has a hole before
 * ack and buffered data after it, the hole can never be filled from the capture
 * (the sender's bytes were lost by the capture, not the network), so the hole
 * is reported as a gap and the buffered data delivered.
 */
void reasm_ack(struct reasm_half *h, struct reasm_stats *st, enum dir dir, uint32_t ack,
	       reasm_deliver_fn deliver, void *ctx);

/* End of stream (close, reset, timeout, end of capture): reports any hole as a
 * gap and delivers what is buffered, then frees it. */
void reasm_flush(struct reasm_half *h, struct reasm_stats *st, enum dir dir,
		 reasm_deliver_fn deliver, void *ctx);

/* Frees buffered segments without delivering them. */
void reasm_half_free(struct reasm_half *h, struct reasm_stats *st);

/* Sequence comparison modulo 2^32: negative when a is before b. */
static inline int32_t
reasm_seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

#endif
