/*
 * fuzz_smtp.c - libFuzzer target for the SMTP parser (src/proto/smtp.c): any
 * conversation, fed whole and a byte at a time, must give the same facts,
 * printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_smtp;
#define FUZZ_PROTO proto_smtp
#include "proto_harness.h"
