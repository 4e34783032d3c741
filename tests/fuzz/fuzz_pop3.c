/*
 * fuzz_pop3.c - libFuzzer target for the POP3 parser (src/proto/pop3.c): any
 * conversation, fed whole and a byte at a time, must give the same facts,
 * printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_pop3;
#define FUZZ_PROTO proto_pop3
#include "proto_harness.h"
