/*
 * fuzz_sieve.c - libFuzzer target for the ManageSieve parser
 * (src/proto/sieve.c): any conversation, fed whole and a byte at a time,
 * must give the same facts, printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_sieve;
#define FUZZ_PROTO proto_sieve
#include "proto_harness.h"
