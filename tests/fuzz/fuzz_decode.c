/*
 * fuzz_decode.c - libFuzzer target for the packet decoder (src/decode.c),
 * every supported link type: Ethernet (with VLAN tags), Linux cooked v1/v2,
 * BSD loopback/null, raw IP, IPv4 and IPv6 headers, extension headers,
 * IP-in-IP tunnels, TCP and UDP. A decoded packet must point inside the frame
 * it came from.
 *
 * Input: byte 0 picks the link type; the rest is the frame.
 */
#include <pcap/dlt.h>
#include <stdint.h>

#include "decode.h"
#include "invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = {DLT_EN10MB, DLT_LINUX_SLL, 276 /* SLL2 */, DLT_NULL,
			    DLT_LOOP,	DLT_RAW,       228 /* IPV4 */, 229 /* IPV6 */};

static int
inside(const uint8_t *frame, size_t caplen, const uint8_t *p, size_t len)
{
	return p >= frame && p <= frame + caplen && len <= (size_t)(frame + caplen - p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct packet pkt;

	if (size < 1)
		return 0;
	if (decode_packet(links[data[0] % (sizeof(links) / sizeof(links[0]))], data + 1, size - 1,
			  &pkt) != DECODE_OK)
		return 0;
	if (pkt.family != 4 && pkt.family != 6)
		fuzz_fail("decoded family is neither 4 nor 6");
	if (!inside(data + 1, size - 1, pkt.l3, pkt.l3_len))
		fuzz_fail("l3 outside the frame");
	if (pkt.payload_len && !inside(data + 1, size - 1, pkt.payload, pkt.payload_len))
		fuzz_fail("payload outside the frame");
	return 0;
}

#include "standalone.h"
