/*
 * fuzz_diameter.c - libFuzzer target for the Diameter parser
 * (src/proto/diameter.c): any conversation, fed whole and a byte at a time,
 * must give the same facts, printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_diameter;
#define FUZZ_PROTO proto_diameter
#include "proto_harness.h"
