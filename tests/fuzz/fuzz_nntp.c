/*
 * fuzz_nntp.c - libFuzzer target for the NNTP parser (src/proto/nntp.c):
 * any conversation, fed whole and a byte at a time, must give the same
 * facts, printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_nntp;
#define FUZZ_PROTO proto_nntp
#include "proto_harness.h"
