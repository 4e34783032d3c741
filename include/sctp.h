/*
 * sctp.h - the chunks of an SCTP packet (RFC 9260), as the decoder leaves
 * them: packet.payload starts after the 12-byte common header.
 *
 * A packet is a sequence of chunks: type (1 byte), flags (1), length (2,
 * the header included, padding not), the value, padded to 4 bytes. The
 * walk never reads past the bytes it is given: a chunk whose length runs
 * past them is returned cut (its captured bytes only) and ends the walk.
 */
#ifndef TLSWATCH_SCTP_H
#define TLSWATCH_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sctp_chunk_type {
	SCTP_DATA = 0,
	SCTP_INIT = 1,
	SCTP_INIT_ACK = 2,
	SCTP_SACK = 3,
	SCTP_ABORT = 6,
	SCTP_SHUTDOWN = 7,
	SCTP_SHUTDOWN_ACK = 8,
	SCTP_COOKIE_ECHO = 10,
	SCTP_COOKIE_ACK = 11,
	SCTP_SHUTDOWN_COMPLETE = 14,
	SCTP_IDATA = 64, /* RFC 8260: interleaved user messages */
};

/* DATA chunk flags (RFC 9260 3.3.1). */
enum {
	SCTP_DATA_END = 0x01,	    /* E: the last fragment of a user message */
	SCTP_DATA_BEGIN = 0x02,	    /* B: the first fragment */
	SCTP_DATA_UNORDERED = 0x04, /* U */
};

/* Payload protocol identifiers (IANA) tlswatch knows. */
enum {
	SCTP_PPID_DIAMETER = 46,      /* RFC 6733 */
	SCTP_PPID_DIAMETER_DTLS = 47, /* RFC 6733: Diameter in DTLS (RFC 6083) */
};

struct sctp_chunk {
	uint8_t type, flags;
	uint16_t length;      /* the chunk's length field */
	const uint8_t *value; /* after the 4-byte chunk header */
	size_t value_len;     /* bytes of the value given (length - 4 unless cut) */
	bool cut;	      /* fewer bytes given than the length says */
};

/* The fields of a DATA chunk (RFC 9260 3.3.1). */
struct sctp_data {
	uint32_t tsn;
	uint16_t stream, ssn;
	uint32_t ppid;
	const uint8_t *data; /* the user data (of this fragment) */
	size_t len;	     /* bytes of it given */
	bool cut;	     /* bytes of it were not captured */
};

enum sctp_walk {
	SCTP_WALK_CHUNK, /* *out is the next chunk */
	SCTP_WALK_END,	 /* no more chunks */
	SCTP_WALK_BAD,	 /* a chunk length under 4: the rest cannot be walked */
};

/* The chunk at *off of the n bytes at p (cut: the packet holds more than
 * was captured); *off moves past it and its padding. */
enum sctp_walk sctp_next_chunk(const uint8_t *p, size_t n, bool cut, size_t *off,
			       struct sctp_chunk *out);
/* A DATA chunk's fields; false when its length is under the 16-byte
 * minimum (or its header was not captured). */
bool sctp_data_fields(const struct sctp_chunk *c, struct sctp_data *out);
/* True when a before b in TSN serial arithmetic (RFC 1982). */
bool sctp_tsn_before(uint32_t a, uint32_t b);

#endif
