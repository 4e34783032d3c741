/*
 * fuzz_telnet.c - libFuzzer target for the Telnet parser (src/proto/telnet.c):
 * any conversation, fed whole and a byte at a time, must give the same
 * facts, printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_telnet;
#define FUZZ_PROTO proto_telnet
#include "proto_harness.h"
