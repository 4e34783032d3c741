/*
 * fuzz_sip.c - libFuzzer target for SIP (src/proto/sip.c): datagrams
 * through the parser (dgram_harness.h): cut lines, header fields without
 * values, digest and Basic credentials of any shape must never be read
 * past, and users and secrets must come out printable and NUL-terminated.
 */
#include "proto.h"

extern const struct proto_desc proto_sip;
#define FUZZ_PROTO proto_sip

#include "dgram_harness.h"
