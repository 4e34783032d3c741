/*
 * sctp.c - walking the chunks of an SCTP packet (RFC 9260 section 3.2) and
 * reading the fields of a DATA chunk (3.3.1). See sctp.h.
 */
#include "sctp.h"

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum sctp_walk
sctp_next_chunk(const uint8_t *p, size_t n, bool cut, size_t *off, struct sctp_chunk *out)
{
	size_t at = *off, left, padded;

	if (at >= n)
		return SCTP_WALK_END;
	left = n - at;
	if (left < 4) {
		/* Bytes that are no chunk header: padding a sender must not put
		 * there, or a header cut by the capture. */
		*off = n;
		return cut ? SCTP_WALK_END : SCTP_WALK_BAD;
	}
	out->type = p[at];
	out->flags = p[at + 1];
	out->length = be16(p + at + 2);
	if (out->length < 4) {
		*off = n;
		return SCTP_WALK_BAD;
	}
	out->value = p + at + 4;
	if (out->length <= left) {
		out->value_len = out->length - 4u;
		out->cut = false;
	} else {
		out->value_len = left - 4;
		out->cut = true;
		if (!cut) {
			/* Longer than the packet, which was captured whole. */
			*off = n;
			return SCTP_WALK_BAD;
		}
	}
	padded = ((size_t)out->length + 3) & ~(size_t)3;
	*off = padded < left ? at + padded : n;
	return SCTP_WALK_CHUNK;
}

bool
sctp_data_fields(const struct sctp_chunk *c, struct sctp_data *out)
{
	if (c->length < 16 || c->value_len < 12)
		return false;
	out->tsn = be32(c->value);
	out->stream = be16(c->value + 4);
	out->ssn = be16(c->value + 6);
	out->ppid = be32(c->value + 8);
	out->data = c->value + 12;
	out->len = c->value_len - 12;
	out->cut = c->cut;
	return true;
}

bool
sctp_tsn_before(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}
