/*
 * fuzz_irc.c - libFuzzer target for the IRC parser (src/proto/irc.c): any
 * conversation, fed whole and a byte at a time, must give the same facts,
 * printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_irc;
#define FUZZ_PROTO proto_irc
#include "proto_harness.h"
