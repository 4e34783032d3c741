/*
 * fuzz_ipfrag.c - libFuzzer target for IP fragment reassembly
 * (src/ipfrag.c): any sequence of raw IPv4/IPv6 frames, decoded, their
 * fragments reassembled under small caps, timeouts advancing. The bytes held
 * must stay under the memcap, a reassembled frame must decode, and nothing
 * may leak.
 *
 * Input: records [len-hi][len-lo][frame]; each record advances time 3 s.
 */
#include <pcap/dlt.h>
#include <stdint.h>

#include "decode.h"
#include "invariants.h"
#include "ipfrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipfrag_config cfg;
	struct ipfrag *t;
	struct packet pk;
	const uint8_t *out;
	size_t off = 0, out_len;
	uint64_t ts = 1;

	ipfrag_config_defaults(&cfg);
	cfg.max_datagrams = 8;
	cfg.memcap = 16384;
	t = ipfrag_new(&cfg);
	if (!t)
		abort();
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		if (decode_packet(DLT_RAW, data + off, len, &pk) == DECODE_FRAGMENT &&
		    ipfrag_add(t, &pk, data + off, ts, &out, &out_len)) {
			enum decode_result r = decode_packet(DLT_RAW, out, out_len, &pk);

			if (r == DECODE_FRAGMENT || r == DECODE_UNSUPPORTED_LINK)
				fuzz_fail("a reassembled datagram decodes as a fragment");
		}
		if (ipfrag_stats(t)->bytes_now > cfg.memcap)
			fuzz_fail("fragment bytes over the memcap");
		ts += 3000000;
		ipfrag_expire(t, ts);
		off += len;
	}
	ipfrag_free(t);
	return 0;
}

#include "standalone.h"
