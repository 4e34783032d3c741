/*
 * fuzz_proto.c - libFuzzer target for the text helpers every line-based
 * parser shares (src/proto/proto.c): the line assembler, reply codes,
 * masked keywords and dot-terminated bodies. The input is one stream, read
 * whole and a byte at a time: the lines (their bytes and cut marks) and
 * where a body ends must not depend on the chunking; a line never exceeds
 * LINE_CAP; a reply code is -1 or three digits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of what the assembler returned: lines, lengths, cut marks. */
struct digest {
	uint64_t h;
	size_t lines;
};

static void
digest_add(struct digest *d, const uint8_t *p, size_t n, bool cut)
{
	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ p[i]) * 1099511628211ull;
	d->h = (d->h ^ n ^ (cut ? 0x100 : 0)) * 1099511628211ull;
	d->lines++;
}

static void
read_lines(const uint8_t *data, size_t size, size_t step, struct digest *d)
{
	static struct line_asm la;
	size_t off = 0;

	line_asm_init(&la);
	memset(d, 0, sizeof(*d));
	d->h = 1469598103934665603ull;
	while (off < size) {
		size_t n = size - off < step ? size - off : step, pos = 0;

		while (pos < n) {
			const uint8_t *line;
			size_t len, used;
			bool cut = false, last;
			int code;

			if (!line_next(&la, data + off + pos, n - pos, &used, &line, &len, &cut)) {
				if (used != n - pos)
					fuzz_fail("line_next kept less than it was given");
				break;
			}
			if (used == 0 || used > n - pos)
				fuzz_fail("line_next consumed nothing or too much");
			if (len > LINE_CAP)
				fuzz_fail("a line longer than LINE_CAP");
			code = line_reply_code(line, len, &last);
			if (code < -1 || code > 999)
				fuzz_fail("a reply code that is not three digits");
			(void)proto_token_is_masked(line, len);
			digest_add(d, line, len, cut);
			pos += used;
		}
		off += n;
	}
}

/* Where the first "\r\n.\r\n" ends, read in steps; size when none. */
static size_t
body_end(const uint8_t *data, size_t size, size_t step)
{
	uint8_t matched = 2; /* the body starts at a line boundary */
	size_t off = 0;

	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		bool done = false;
		size_t used = body_skip_dot(&matched, data + off, n, &done);

		if (used > n)
			fuzz_fail("body_skip_dot consumed more than it was given");
		if (done)
			return off + used;
		if (used != n)
			fuzz_fail("body_skip_dot stopped before the end without the terminator");
		off += n;
	}
	return size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole, bytes;

	read_lines(data, size, size ? size : 1, &whole);
	read_lines(data, size, 1, &bytes);
	if (whole.h != bytes.h || whole.lines != bytes.lines)
		fuzz_fail("lines depend on chunking");
	if (body_end(data, size, size ? size : 1) != body_end(data, size, 1))
		fuzz_fail("the end of a dot-terminated body depends on chunking");
	return 0;
}

#include "standalone.h"
