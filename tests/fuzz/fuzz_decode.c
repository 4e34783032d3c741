/*
 * fuzz_decode.c - libFuzzer target for the packet decoder (src/decode.c),
 * every supported link type: Ethernet (with VLAN tags), Linux cooked v1/v2,
 * BSD loopback/null, raw IP, IPv4 and IPv6 headers, extension headers,
 * tunnels (IP-in-IP, GRE, ERSPAN, VXLAN, Geneve, MPLS, MPLS-in-UDP,
 * GRE-in-UDP, nested), TCP and UDP. A decoded packet must point inside the
 * frame it came from, list no more tunnels than DECODE_TUNNEL_MAX and name
 * only known ones; a tunnel failure must name the encapsulation.
 * Seeds: tests/fuzz/regressions/decode/ (one frame of each tunnel capture,
 * byte 0 = 0: Ethernet), dictionary tests/fuzz/dict/decode.dict.
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
	enum decode_result r;

	if (size < 1)
		return 0;
	r = decode_packet(links[data[0] % (sizeof(links) / sizeof(links[0]))], data + 1, size - 1,
			  &pkt);
	if ((unsigned)r >= DECODE_RESULTS)
		fuzz_fail("result out of range");
	if (pkt.tunnel_depth > DECODE_TUNNEL_MAX)
		fuzz_fail("more tunnels than DECODE_TUNNEL_MAX");
	if (pkt.tunneled != (pkt.tunnel_depth > 0))
		fuzz_fail("tunneled disagrees with tunnel_depth");
	for (unsigned i = 0; i < pkt.tunnel_depth; i++)
		if (pkt.tunnels[i] == TUNNEL_NONE || pkt.tunnels[i] >= TUNNEL_KINDS)
			fuzz_fail("unknown tunnel kind in the list");
	if (r >= DECODE_TUNNEL_TRUNCATED &&
	    (pkt.tunnel_bad == TUNNEL_NONE || pkt.tunnel_bad >= TUNNEL_KINDS))
		fuzz_fail("a tunnel failure that names no encapsulation");
	if (r != DECODE_OK)
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
