/*
 * fuzz_sctp.c - libFuzzer target for the SCTP chunk walk (src/sctp.c): any
 * bytes as the chunks of a packet, captured whole or cut (byte 0's low
 * bit). The walk must end, move forward at every chunk, return values
 * inside the input, and a DATA chunk's user data must lie inside its
 * chunk's value; TSN order must be a strict order on the pairs it sees.
 * Seeds: tests/fuzz/regressions/sctp/ (the chunks of packets of
 * pcaps/diameter-sctp-*-generated.pcap).
 *
 * Input: byte 0 (bit 0: the packet was cut by the capture), then the
 * chunks.
 */
#include <stdint.h>

#include "invariants.h"
#include "sctp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const uint8_t *base, size_t n, const uint8_t *p, size_t len)
{
	return p >= base && p <= base + n && len <= (size_t)(base + n - p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sctp_chunk ch;
	struct sctp_data d;
	size_t off = 0, last = 0, steps = 0;
	enum sctp_walk w;
	const uint8_t *p;
	size_t n;
	uint32_t prev_tsn = 0;
	bool have_prev = false;

	if (size < 1)
		return 0;
	p = data + 1;
	n = size - 1;
	while ((w = sctp_next_chunk(p, n, data[0] & 1, &off, &ch)) == SCTP_WALK_CHUNK) {
		if (off <= last)
			fuzz_fail("the walk did not move forward");
		if (off > n)
			fuzz_fail("the walk went past the input");
		last = off;
		if (++steps > n / 4 + 1)
			fuzz_fail("more chunks than 4-byte headers fit");
		if (ch.length < 4)
			fuzz_fail("a chunk shorter than its header returned");
		if (!inside(p, n, ch.value, ch.value_len))
			fuzz_fail("a chunk value outside the input");
		if (!ch.cut && ch.value_len != (size_t)ch.length - 4)
			fuzz_fail("a whole chunk whose value is not its length");
		if (ch.cut && !(data[0] & 1))
			fuzz_fail("a chunk cut in a packet captured whole");
		if (ch.type == SCTP_DATA && sctp_data_fields(&ch, &d)) {
			if (!inside(ch.value, ch.value_len, d.data, d.len))
				fuzz_fail("user data outside its chunk");
			if (have_prev) {
				if (sctp_tsn_before(d.tsn, prev_tsn) &&
				    sctp_tsn_before(prev_tsn, d.tsn))
					fuzz_fail("two TSNs each before the other");
				if (d.tsn == prev_tsn && sctp_tsn_before(d.tsn, prev_tsn))
					fuzz_fail("a TSN before itself");
			}
			prev_tsn = d.tsn;
			have_prev = true;
		}
	}
	if (w != SCTP_WALK_END && w != SCTP_WALK_BAD)
		fuzz_fail("the walk ended with an unknown result");
	if (off < n)
		fuzz_fail("the walk ended before the end of the input");
	return 0;
}

#include "standalone.h"
