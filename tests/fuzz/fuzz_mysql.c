/*
 * fuzz_mysql.c - libFuzzer target for the MySQL/MariaDB connection-phase
 * parser (src/proto/mysql.c): any conversation, fed whole and a byte at a
 * time, must give the same facts, printable, without a crash
 * (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_mysql;
#define FUZZ_PROTO proto_mysql
#include "proto_harness.h"
