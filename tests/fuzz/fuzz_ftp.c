/*
 * fuzz_ftp.c - libFuzzer target for the FTP control parser (src/proto/ftp.c):
 * any conversation, fed whole and a byte at a time, must give the same
 * facts, printable, the same announced data endpoints (each with a port) and
 * printable own fields, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_ftp;
#define FUZZ_PROTO proto_ftp
#include "proto_harness.h"
