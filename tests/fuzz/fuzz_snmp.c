/*
 * fuzz_snmp.c - libFuzzer target for SNMP (src/proto/snmp.c): datagrams
 * through the parser (dgram_harness.h): BER lengths that run past the
 * datagram, long forms, cut messages must never be read past, and the
 * community and v3 user must come out printable and NUL-terminated.
 */
#include "proto.h"

extern const struct proto_desc proto_snmp;
#define FUZZ_PROTO proto_snmp

#include "dgram_harness.h"
