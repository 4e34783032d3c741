/*
 * fuzz_imap.c - libFuzzer target for the IMAP parser (src/proto/imap.c): any
 * conversation, fed whole and a byte at a time, must give the same facts,
 * printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_imap;
#define FUZZ_PROTO proto_imap
#include "proto_harness.h"
