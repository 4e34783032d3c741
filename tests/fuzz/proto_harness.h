/*
 * proto_harness.h - one libFuzzer body for every service parser: the input is
 * a conversation, fed through the parser's descriptor twice, once in the
 * records' own chunks and once a byte at a time. Both runs must consume the
 * same bytes and give the same facts (the proto.h contract: facts do not
 * depend on chunking); feed never consumes more than it was given; every
 * recorded string is printable.
 *
 * Input: records [ctl][len][len bytes]; ctl bit 0 the direction, bit 7 a gap
 * in that direction before the data.
 *
 * A target is fuzz_<proto>.c: it defines FUZZ_PROTO to the descriptor and
 * includes this file.
 */
#ifndef TLSWATCH_FUZZ_PROTO_HARNESS_H
#define TLSWATCH_FUZZ_PROTO_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_run {
	struct proto_facts f;
	size_t consumed[2];
	bool done[2]; /* the parser handed the rest of this direction back */
};

static void
fuzz_proto_feed(const struct proto_desc *d, void *st, struct fuzz_run *r, enum dir dir,
		const uint8_t *p, size_t len, size_t step)
{
	while (len > 0 && !r->done[dir] && !r->f.switch_to_tls) {
		size_t n = len < step ? len : step;
		size_t used = d->feed(st, &r->f, dir, p, n);

		if (used > n)
			fuzz_fail("feed consumed more than it was given");
		r->consumed[dir] += used;
		if (used < n)
			r->done[dir] = true;
		p += n;
		len -= n;
	}
}

static void
fuzz_proto_run(const struct proto_desc *d, const uint8_t *data, size_t size, size_t step,
	       struct fuzz_run *r)
{
	void *st = calloc(1, d->state_size ? d->state_size : 1);
	size_t off = 0;

	if (!st)
		abort();
	memset(r, 0, sizeof(*r));
	d->init(st);
	while (off + 2 <= size) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1];
		enum dir dir = (enum dir)(ctl & 1);

		off += 2;
		if (len > size - off)
			len = size - off;
		if ((ctl & 0x80) && d->gap && !r->f.switch_to_tls)
			d->gap(st, &r->f, dir);
		fuzz_proto_feed(d, st, r, dir, data + off, len, step ? step : len);
		off += len;
	}
	fuzz_check_proto_facts(&r->f);
	fuzz_check_own(d, &r->f);
	if (d->fini)
		d->fini(st);
	free(st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct proto_desc *d = &FUZZ_PROTO;
	static struct fuzz_run whole, bytewise;

	for (size_t i = 0; i + 2 <= size && i < 64; i++)
		(void)d->sniff((enum dir)(data[0] & 1), data + 1, i);
	fuzz_proto_run(d, data, size, 0, &whole);
	fuzz_proto_run(d, data, size, 1, &bytewise);
	if (whole.consumed[0] != bytewise.consumed[0] || whole.consumed[1] != bytewise.consumed[1])
		fuzz_fail("consumed bytes depend on chunking");
	if (memcmp(&whole.f, &bytewise.f, sizeof(whole.f)) != 0)
		fuzz_fail("facts depend on chunking");
	return 0;
}

#include "standalone.h"

#endif
