/*
 * fuzz_xmpp.c - libFuzzer target for the XMPP parser (src/proto/xmpp.c, on
 * the XML tokenizer of src/proto/xml.c): any conversation, fed whole and a
 * byte at a time, must give the same facts, printable, without a crash
 * (proto_harness.h).
 */
#include "proto.h"

extern const struct proto_desc proto_xmpp;
#define FUZZ_PROTO proto_xmpp
#include "proto_harness.h"
