/*
 * session_pack.c - a settled session's record in few bytes (session_pack,
 * session_unpack in session.h): what the engine keeps of a flow whose
 * outcome can no longer change until it ends.
 */
#include "session.h"

#include <string.h>

/*
 * Packing: the record's bytes as runs of [u16 literal length][literal bytes]
 * [u16 zero count], until the record's size is reached. A zero run is cut
 * out only when it covers a whole 8-byte word of the record (so at least 8
 * bytes, and every run of 15 or more): the scan reads the record a word at a
 * time, which on a 3 KiB record is about 370 loads instead of a test of
 * every byte. Shorter runs stay inside literals, so a packed record is never
 * much larger than its non-zero part.
 */
#define PACK_WORD 8
/* Lengths are u16: the whole record must fit one literal. */
_Static_assert(sizeof(struct session) < 0xffff, "session too large to pack");

static bool
pack_put16(uint8_t *out, size_t cap, size_t *o, size_t v)
{
	if (*o + 2 > cap)
		return false;
	out[(*o)++] = (uint8_t)(v >> 8);
	out[(*o)++] = (uint8_t)v;
	return true;
}

static bool
pack_word_is_zero(const uint8_t *b)
{
	uint64_t w;

	memcpy(&w, b, sizeof(w));
	return w == 0;
}

/* The first whole zero word at or after byte i (a multiple of PACK_WORD), or
 * n when there is none. */
static size_t
pack_next_zero_word(const uint8_t *b, size_t i, size_t n)
{
	size_t w = (i + PACK_WORD - 1) / PACK_WORD * PACK_WORD;

	while (w + PACK_WORD <= n && !pack_word_is_zero(b + w))
		w += PACK_WORD;
	return w + PACK_WORD <= n ? w : n;
}

size_t
session_pack(const struct session *s, uint8_t *out, size_t cap)
{
	const uint8_t *b = (const uint8_t *)s;
	size_t n = sizeof(*s), i = 0, o = 0;

	if (s->sniff || s->pstate || s->tls || s->quic || s->dtls)
		return 0;
	while (i < n) {
		size_t z = pack_next_zero_word(b, i, n), end = z;

		/* The zero run around that word: back into the literal, then on
		 * word by word and byte by byte. */
		if (z < n) {
			while (z > i && b[z - 1] == 0)
				z--;
			end += PACK_WORD;
			while (end + PACK_WORD <= n && pack_word_is_zero(b + end))
				end += PACK_WORD;
			while (end < n && b[end] == 0)
				end++;
		}
		if (!pack_put16(out, cap, &o, z - i) || o + (z - i) > cap)
			return 0;
		memcpy(out + o, b + i, z - i);
		o += z - i;
		if (!pack_put16(out, cap, &o, end - z))
			return 0;
		i = end;
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
