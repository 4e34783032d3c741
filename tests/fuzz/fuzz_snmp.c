/*
 * fuzz_snmp.c - libFuzzer target for SNMP (src/proto/snmp.c): the input as
 * datagrams (dgram_harness.h: BER lengths that run past the datagram, long
 * forms, cut messages must never be read past, and the community and v3
 * user must come out printable and NUL-terminated), and as a TCP
 * conversation (proto_harness.h, RFC 3430: messages framed by their BER
 * length, whole and a byte at a time, must give the same facts).
 */
#include "proto.h"

extern const struct proto_desc proto_snmp;
#define FUZZ_PROTO proto_snmp

/* Each harness's body gets a name of its own, called below; the standalone
 * main() is the one at the end of this file. */
#ifdef FUZZ_STANDALONE
#define FUZZ_SNMP_STANDALONE
#undef FUZZ_STANDALONE
#endif
#define LLVMFuzzerTestOneInput fuzz_snmp_datagrams
#include "dgram_harness.h"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_snmp_stream
#include "proto_harness.h"
#undef LLVMFuzzerTestOneInput

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_snmp_datagrams(data, size);
	return fuzz_snmp_stream(data, size);
}

#ifdef FUZZ_SNMP_STANDALONE
#define FUZZ_STANDALONE
#undef TLSWATCH_FUZZ_STANDALONE_H
#include "standalone.h"
#endif
