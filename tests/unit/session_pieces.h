/*
 * session_pieces.h - what the tests that drive a whole session share: a
 * minimal TLS 1.2 ClientHello (no extensions), ServerHello and the records
 * that make a handshake established, pieces of a conversation, and a run
 * that feeds them through session_on_data in chunks. Include after
 * <cmocka.h>.
 */
#ifndef TLSWATCH_TEST_SESSION_PIECES_H
#define TLSWATCH_TEST_SESSION_PIECES_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

static const uint8_t client_hello[] = {
	0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x03, 1,  2,
	3,    4,    5,	  6,	7,    8,    9,	  10,	11,   12,   13,	  14, 15,
	16,   17,   18,	  19,	20,   21,   22,	  23,	24,   25,   26,	  27, 28,
	29,   30,   31,	  32,	0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00,
};
static const uint8_t server_hello[] = {
	0x16, 0x03, 0x03, 0x00, 0x2a, 0x02, 0x00, 0x00, 0x26, 0x03, 0x03, 1,
	2,    3,    4,	  5,	6,    7,    8,	  9,	10,   11,   12,	  13,
	14,   15,   16,	  17,	18,   19,   20,	  21,	22,   23,   24,	  25,
	26,   27,   28,	  29,	30,   31,   32,	  0x00, 0xc0, 0x2f, 0x00,
};
static const uint8_t ccs_and_data[] = {
	0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
};

struct piece {
	enum dir dir;
	const uint8_t *p;
	size_t n;
};

#define TXT(d, s)                                                                                  \
	{                                                                                          \
		(d), (const uint8_t *)(s), sizeof(s) - 1                                           \
	}
#define BIN(d, a)                                                                                  \
	{                                                                                          \
		(d), (a), sizeof(a)                                                                \
	}

/* Starts session s (IPv4, server port `port`, client port 40000) and feeds
 * it the pieces in chunks of `chunk` bytes (0: each piece whole). */
static inline void
session_feed_pieces(struct session *s, uint16_t port, const struct piece *pc, size_t n,
		    size_t chunk)
{
	session_init(s, 1, 1000000);
	s->family = 4;
	s->server_port = port;
	s->client_port = 40000;
	for (size_t i = 0; i < n; i++)
		for (size_t off = 0; off < pc[i].n;) {
			size_t k = chunk && chunk < pc[i].n - off ? chunk : pc[i].n - off;

			session_on_data(s, pc[i].dir, pc[i].p + off, k);
			off += k;
		}
}

#endif
