/*
 * fuzz_radius.c - libFuzzer target for RADIUS (src/proto/radius.c):
 * datagrams through the parser (dgram_harness.h): packet and attribute
 * lengths that run past the datagram or below their minimum, identifiers
 * answered out of order, must never be read past, and user names must come
 * out printable and NUL-terminated.
 */
#include "proto.h"

extern const struct proto_desc proto_radius;
#define FUZZ_PROTO proto_radius

#include "dgram_harness.h"
