/*
 * fuzz_http.c - libFuzzer target for the HTTP/1 parser (src/proto/http.c):
 * any conversation, fed whole and a byte at a time, must give the same
 * facts, printable, without a crash (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_http;
#define FUZZ_PROTO proto_http
#include "proto_harness.h"
