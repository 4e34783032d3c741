/*
 * fuzz_sip.c - libFuzzer target for SIP (src/proto/sip.c): the input as a
 * TCP conversation (start lines, header fields, Content-Length bodies
 * skipped, keep-alive lines), whole and a byte at a time, must give the
 * same facts (proto_harness.h); each record of it as a datagram, in a
 * state of the UDP size only (dgram_harness.h), must never be read past:
 * cut lines, header fields without values, digest and Basic credentials
 * of any shape. Users and secrets must come out printable and
 * NUL-terminated.
 */
#include "proto.h"

extern const struct proto_desc proto_sip;
#define FUZZ_PROTO proto_sip

/* Both harnesses' bodies become functions of this file, called below; the
 * standalone main() is the one at the end of this file. */
#ifdef FUZZ_STANDALONE
#define FUZZ_SIP_STANDALONE
#undef FUZZ_STANDALONE
#endif
#define LLVMFuzzerTestOneInput fuzz_sip_stream
#include "proto_harness.h"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sip_datagrams
#include "dgram_harness.h"
#undef LLVMFuzzerTestOneInput

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sip_datagrams(data, size);
	return fuzz_sip_stream(data, size);
}

#ifdef FUZZ_SIP_STANDALONE
#define FUZZ_STANDALONE
#undef TLSWATCH_FUZZ_STANDALONE_H
#include "standalone.h"
#endif
