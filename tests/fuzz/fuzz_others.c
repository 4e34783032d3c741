/*
 * fuzz_others.c - libFuzzer target for the services known by port and name
 * only (src/proto/others.c) as the registry answers for them: for any port
 * and transport, proto_by_port must give what a direct scan of the
 * descriptors' own port lists gives (the oracle below, written apart from
 * registry.c), and a service without a parser must never be picked to read
 * bytes (no sniff, feed or datagram).
 *
 * Input: pairs [port-hi][port-lo] with the low bit of the high byte of the
 * next pair choosing TCP or UDP.
 */
#include <stdint.h>
#include <stdlib.h>

#include "invariants.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
listed(const uint16_t *list, uint16_t port)
{
	for (size_t i = 0; i < PROTO_PORTS_MAX && list[i]; i++)
		if (list[i] == port)
			return true;
	return false;
}

/* The first descriptor whose TLS or cleartext list has the port on this
 * transport, TLS lists first within a descriptor. */
static const struct proto_desc *
oracle(uint16_t port, uint8_t l4, bool *tls)
{
	uint8_t bit = l4 == 17 ? PROTO_UDP : PROTO_TCP;

	*tls = false;
	for (size_t i = 0; port && proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];

		if ((d->tls_transports & bit) && listed(d->tls_ports, port)) {
			*tls = true;
			return d;
		}
		if ((d->transports & bit) && listed(d->clear_ports, port))
			return d;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 2 <= size; i += 2) {
		uint16_t port = (uint16_t)(data[i] << 8 | data[i + 1]);
		uint8_t l4 = i + 2 < size && (data[i + 2] & 1) ? 17 : 6;
		bool tls = false, want_tls = false;
		const struct proto_desc *got = proto_by_port(port, l4, &tls);
		const struct proto_desc *want = oracle(port, l4, &want_tls);

		if (got != want || (got && tls != want_tls))
			fuzz_fail("proto_by_port disagrees with the descriptors' own lists");
		if (got && !got->feed && !got->datagram && got->sniff)
			fuzz_fail("a service without a parser can sniff");
	}
	for (size_t i = 0; proto_all[i]; i++)
		if (!proto_all[i]->feed && !proto_all[i]->datagram &&
		    (proto_all[i]->sniff || proto_all[i]->init || proto_all[i]->state_size))
			fuzz_fail("a service known by port only has parser parts");
	return 0;
}

#include "standalone.h"
