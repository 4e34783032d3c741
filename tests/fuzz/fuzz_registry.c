/*
 * fuzz_registry.c - libFuzzer target for the protocol registry
 * (src/proto/registry.c over the descriptors of proto_list.h, others.c's
 * among them): the names it is asked about come from the wire (the ALPN
 * ids of a ClientHello, nDPI's protocol names) and the ports from any
 * packet. Any input must give an answer without a crash, and every answer
 * must be the name of a registered protocol (or "tls" for nDPI's TLS).
 *
 * Input: [port-hi][port-lo][l4 selector] then a string (NUL bytes end it
 * early, as a C string would).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *name)
{
	if (!name)
		return;
	if (strcmp(name, "tls") != 0 && !proto_by_name(name))
		fuzz_fail("a lookup answered a name that is no registered protocol");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256];
	size_t n;
	uint16_t port;
	uint8_t l4;
	bool tls = false;
	const struct proto_desc *d;

	if (size < 3)
		return 0;
	port = (uint16_t)(data[0] << 8 | data[1]);
	l4 = data[2] & 1 ? 17 : 6;
	d = proto_by_port(port, l4, &tls);
	if (d && !tls && !proto_has_port(d, port))
		fuzz_fail("a cleartext port its protocol does not list");
	if (!d && tls)
		fuzz_fail("a TLS port without a protocol");
	n = size - 3 < sizeof(text) - 1 ? size - 3 : sizeof(text) - 1;
	memcpy(text, data + 3, n);
	text[n] = '\0';
	check_name(proto_name_by_alpn(text));
	check_name(proto_name_by_ndpi(text));
	if (!proto_offer_word(text))
		fuzz_fail("no upgrade word");
	d = proto_by_name(text);
	if (d && strcmp(d->name, text) != 0)
		fuzz_fail("proto_by_name found another name");
	return 0;
}

#include "standalone.h"
