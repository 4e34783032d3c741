/*
 * session_pack.c - a settled session's record in few bytes (session_pack,
 * session_unpack in session.h): what the engine keeps of a flow whose
 * outcome can no longer change until it ends.
 */
#include "session.h"

#include <string.h>

/*
 * Packing: the record's bytes as runs of [u16 literal length][literal bytes]
 * [u16 zero count], until the record's size is reached. Zero runs shorter
 * than 8 bytes stay inside literals, so a packed record is never much larger
 * than its non-zero part.
 */
#define PACK_MIN_ZEROS 8
/* A literal is at most 0xffff bytes, and can overshoot its bound by up to
 * PACK_MIN_ZEROS: the whole record must stay below that. */
_Static_assert(sizeof(struct session) < 0xffff - PACK_MIN_ZEROS, "session too large to pack");

static bool
pack_put16(uint8_t *out, size_t cap, size_t *o, size_t v)
{
	if (*o + 2 > cap)
		return false;
	out[(*o)++] = (uint8_t)(v >> 8);
	out[(*o)++] = (uint8_t)v;
	return true;
}

size_t
session_pack(const struct session *s, uint8_t *out, size_t cap)
{
	const uint8_t *b = (const uint8_t *)s;
	size_t n = sizeof(*s), i = 0, o = 0;

	if (s->sniff || s->pstate || s->tls || s->quic || s->dtls)
		return 0;
	while (i < n) {
		size_t lit = i, zeros = 0;

		/* The literal ends where a long enough run of zeros starts. */
		while (lit < n && lit - i < 0xffff) {
			size_t z = lit;

			while (z < n && b[z] == 0 && z - lit < PACK_MIN_ZEROS)
				z++;
			if (z - lit == PACK_MIN_ZEROS || z == n)
				break;
			lit = z + 1;
		}
		if (lit > n)
			lit = n;
		while (lit + zeros < n && b[lit + zeros] == 0 && zeros < 0xffff)
			zeros++;
		if (!pack_put16(out, cap, &o, lit - i) || o + (lit - i) > cap)
			return 0;
		memcpy(out + o, b + i, lit - i);
		o += lit - i;
		if (!pack_put16(out, cap, &o, zeros))
			return 0;
		i = lit + zeros;
	}
	return o;
}

bool
session_unpack(struct session *s, const uint8_t *in, size_t len)
{
	uint8_t *b = (uint8_t *)s;
	size_t n = sizeof(*s), i = 0, o = 0;

	while (i < n) {
		size_t lit, zeros;

		if (o + 2 > len)
			return false;
		lit = (size_t)in[o] << 8 | in[o + 1];
		o += 2;
		if (lit > n - i || lit > len - o)
			return false;
		memcpy(b + i, in + o, lit);
		i += lit;
		o += lit;
		if (o + 2 > len)
			return false;
		zeros = (size_t)in[o] << 8 | in[o + 1];
		o += 2;
		if (zeros > n - i)
			return false;
		memset(b + i, 0, zeros);
		i += zeros;
	}
	return o == len;
}
