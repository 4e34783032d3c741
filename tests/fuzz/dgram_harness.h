/*
 * dgram_harness.h - one libFuzzer body for the service parsers that read
 * UDP datagrams (with no stream feed, or beside proto_harness.h): the
 * input is a conversation of datagrams, each copied to a buffer of exactly
 * its size (so a read past it is seen by ASan) and given to the
 * descriptor's datagram callback in a state of the size a UDP session gets
 * (udp_state_size when set), twice from a fresh state: both runs must give the same facts (nothing
 * depends on memory left from another call); every recorded string is printable; sniff is shown
 * every prefix of the first datagram.
 *
 * Input: records [ctl][len][len bytes]; ctl bit 0 the direction, bit 7 a
 * gap in that direction before the datagram (a cut one, to the core).
 *
 * A target is fuzz_<proto>.c: it defines FUZZ_PROTO to the descriptor and
 * includes this file.
 */
#ifndef TLSWATCH_FUZZ_DGRAM_HARNESS_H
#define TLSWATCH_FUZZ_DGRAM_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_dgram_run(const struct proto_desc *d, const uint8_t *data, size_t size, struct proto_facts *f)
{
	/* The state a UDP session gets (the core's session_start_parser). */
	size_t st_size = d->udp_state_size ? d->udp_state_size : d->state_size;
	void *st = calloc(1, st_size ? st_size : 1);
	size_t off = 0;

	if (!st)
		abort();
	memset(f, 0, sizeof(*f));
	d->init(st);
	while (off + 2 <= size) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1];
		enum dir dir = (enum dir)(ctl & 1);
		uint8_t *copy;

		off += 2;
		if (len > size - off)
			len = size - off;
		if ((ctl & 0x80) && d->gap)
			d->gap(st, f, dir);
		copy = malloc(len ? len : 1);
		if (!copy)
			abort();
		memcpy(copy, data + off, len);
		d->datagram(st, f, dir, copy, len);
		free(copy);
		off += len;
	}
	fuzz_check_proto_facts(f);
	fuzz_check_own(d, f);
	if (d->fini)
		d->fini(st);
	free(st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct proto_desc *d = &FUZZ_PROTO;
	static struct proto_facts a, b;

	if (size >= 2) {
		size_t len = data[1] < size - 2 ? data[1] : size - 2;

		for (size_t i = 0; i <= len; i++) {
			uint8_t *copy = malloc(i ? i : 1);

			if (!copy)
				abort();
			memcpy(copy, data + 2, i);
			(void)d->sniff((enum dir)(data[0] & 1), copy, i);
			free(copy);
		}
	}
	fuzz_dgram_run(d, data, size, &a);
	fuzz_dgram_run(d, data, size, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fuzz_fail("facts differ between two runs of the same datagrams");
	return 0;
}

#include "standalone.h"

#endif
