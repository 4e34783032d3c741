/*
 * fuzz_dns.c - libFuzzer target for DNS (src/proto/dns.c): the input as a
 * conversation through the TCP parser, whole and a byte at a time, must give
 * the same facts (proto_harness.h); each record of it as a datagram, and
 * the whole input as one message read by dns_msg_parse, must keep every
 * name and text NUL-terminated and printable, the kept records within
 * DNS_RR_KEEP, and never crash or hang (compression loops).
 */
#include <stddef.h>
#include <string.h>

#include "dns.h"
#include "proto.h"

extern const struct proto_desc proto_dns;
#define FUZZ_PROTO proto_dns

/* proto_harness.h's body becomes fuzz_dns_stream, called below; the
 * standalone main() is the one at the end of this file. */
#ifdef FUZZ_STANDALONE
#define FUZZ_DNS_STANDALONE
#undef FUZZ_STANDALONE
#endif
#define LLVMFuzzerTestOneInput fuzz_dns_stream
#include "proto_harness.h"
#undef LLVMFuzzerTestOneInput

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_dns_check_msg(const struct dns_msg *m)
{
	fuzz_check_text(m->qname, sizeof(m->qname), "dns qname");
	if (m->n_rr > DNS_RR_KEEP)
		fuzz_fail("more records kept than DNS_RR_KEEP");
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct dns_rr *r = &m->rr[i];

		fuzz_check_text(r->name, sizeof(r->name), "dns owner name");
		if (r->type == DNS_TYPE_MX)
			fuzz_check_text(r->u.mx.host, sizeof(r->u.mx.host), "dns mx host");
		if (r->type == DNS_TYPE_CNAME)
			fuzz_check_text(r->u.target, sizeof(r->u.target), "dns cname");
		if (r->type == DNS_TYPE_TXT)
			fuzz_check_text(r->u.txt.text, sizeof(r->u.txt.text), "dns txt");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	static struct proto_facts f;
	static _Alignas(max_align_t) uint8_t state[8192];
	size_t off = 0;

	if (dns_msg_parse(data, size, &m))
		fuzz_dns_check_msg(&m);
	(void)dns_looks_like_message(data, size);
	memset(&f, 0, sizeof(f));
	if (proto_dns.state_size > sizeof(state))
		fuzz_fail("state larger than the harness's buffer");
	proto_dns.init(state);
	while (off + 2 <= size) {
		size_t len = data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		proto_dns.datagram(state, &f, (enum dir)(data[off - 2] & 1), data + off, len);
		off += len;
	}
	fuzz_check_proto_facts(&f);
	fuzz_check_own(&proto_dns, &f);
	return fuzz_dns_stream(data, size);
}

#ifdef FUZZ_DNS_STANDALONE
#define FUZZ_STANDALONE
#undef TLSWATCH_FUZZ_STANDALONE_H
#include "standalone.h"
#endif
