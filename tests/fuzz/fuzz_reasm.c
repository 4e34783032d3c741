/*
 * fuzz_reasm.c - libFuzzer target for TCP reassembly (src/reasm.c): segments
 * cut from one underlying stream arrive in any order, repeated, overlapping,
 * with tiny caps. Whatever reassembly delivers must be exactly the stream's
 * bytes at the offsets it claims (a gap event skips len bytes), memory
 * accounting must return to zero, and nothing may leak.
 *
 * Input: bytes 0-3 the initial sequence number; then records
 * [off-hi][off-lo][len][flags]: a segment of the stream at offset off (mod
 * 4096); flags bit 0 an ACK for everything up to off instead, bit 1 a flush.
 * (No FIN: it takes a sequence number, which this stream model has no room
 * for; the engine target covers FINs.)
 * The stream's byte at offset k is (k * 7 + 3) & 0xff.
 */
#include <stdint.h>
#include <string.h>

#include "invariants.h"
#include "reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STREAM_LEN 4096

struct sink {
	uint64_t pos; /* stream offset of the next delivered byte */
};

static uint8_t
stream_byte(uint64_t k)
{
	return (uint8_t)((k * 7 + 3) & 0xff);
}

static void
deliver(void *ctx, enum dir dir, enum reasm_event ev, const uint8_t *p, size_t len)
{
	struct sink *s = ctx;

	(void)dir;
	if (ev == REASM_GAP) {
		s->pos += len;
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (p[i] != stream_byte(s->pos + i))
			fuzz_fail("reassembly delivered bytes that are not the stream's");
	s->pos += len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t stream[STREAM_LEN + 256];
	struct reasm_stats st;
	struct reasm_half h;
	struct sink s = {0};
	uint32_t isn;
	size_t off = 4;

	if (size < 4)
		return 0;
	for (size_t k = 0; k < sizeof(stream); k++)
		stream[k] = stream_byte(k);
	isn = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	memset(&st, 0, sizeof(st));
	st.stream_cap = 300;
	st.ooo_bytes_cap = 600;
	reasm_half_init(&h);
	/* The SYN takes one sequence number; byte 0 of the stream is isn + 1. */
	reasm_push(&h, &st, DIR_C2S, isn, true, false, NULL, 0, deliver, &s);
	while (off + 4 <= size) {
		size_t at = ((size_t)data[off] << 8 | data[off + 1]) % STREAM_LEN;
		size_t len = data[off + 2];
		uint8_t flags = data[off + 3];
		uint32_t seq = isn + 1 + (uint32_t)at;

		off += 4;
		if (flags & 1)
			reasm_ack(&h, &st, DIR_C2S, seq, deliver, &s);
		else
			reasm_push(&h, &st, DIR_C2S, seq, false, false, stream + at, len, deliver,
				   &s);
		if (flags & 2)
			reasm_flush(&h, &st, DIR_C2S, deliver, &s);
	}
	reasm_flush(&h, &st, DIR_C2S, deliver, &s);
	if (st.ooo_bytes_now != 0)
		fuzz_fail("buffered byte count not back to zero after a flush");
	if (h.delivered > s.pos)
		fuzz_fail("reassembly counts more bytes delivered than it delivered");
	reasm_half_free(&h, &st);
	return 0;
}

#include "standalone.h"
