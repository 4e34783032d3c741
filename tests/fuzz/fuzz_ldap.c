/*
 * fuzz_ldap.c - libFuzzer target for the LDAP parser (src/proto/ldap.c):
 * any conversation, fed whole and a byte at a time, must give the same
 * facts, printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_ldap;
#define FUZZ_PROTO proto_ldap
#include "proto_harness.h"
