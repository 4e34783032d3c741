/*
 * fuzz_radius.c - libFuzzer target for RADIUS (src/proto/radius.c): the
 * input as datagrams (dgram_harness.h: packet and attribute lengths that
 * run past the datagram or below their minimum, identifiers answered out of
 * order, must never be read past, and user names must come out printable
 * and NUL-terminated), and as a TCP conversation (proto_harness.h, RFC
 * 6613: packets framed by their length field, whole and a byte at a time,
 * must give the same facts).
 */
#include "proto.h"

extern const struct proto_desc proto_radius;
#define FUZZ_PROTO proto_radius

/* Each harness's body gets a name of its own, called below; the standalone
 * main() is the one at the end of this file. */
#ifdef FUZZ_STANDALONE
#define FUZZ_RADIUS_STANDALONE
#undef FUZZ_STANDALONE
#endif
#define LLVMFuzzerTestOneInput fuzz_radius_datagrams
#include "dgram_harness.h"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_radius_stream
#include "proto_harness.h"
#undef LLVMFuzzerTestOneInput

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_radius_datagrams(data, size);
	return fuzz_radius_stream(data, size);
}

#ifdef FUZZ_RADIUS_STANDALONE
#define FUZZ_STANDALONE
#undef TLSWATCH_FUZZ_STANDALONE_H
#include "standalone.h"
#endif
