/*
 * fuzz_postgres.c - libFuzzer target for the PostgreSQL startup parser
 * (src/proto/postgres.c): any conversation, fed whole and a byte at a time,
 * must give the same facts, printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_postgres;
#define FUZZ_PROTO proto_postgres
#include "proto_harness.h"
