/*
 * replay.h - replays a protocol transcript through a service parser in chunks
 * of a given size, the way reassembly would hand it over, so a test can check
 * that the facts do not depend on how the stream was cut.
 *
 * Header-only: include it from one test file.
 */
#ifndef TLSWATCH_TEST_REPLAY_H
#define TLSWATCH_TEST_REPLAY_H

#include <stdlib.h>
#include <string.h>

#include "proto.h"

struct step {
	enum dir dir;
	const char *text; /* bytes to send; NUL-terminated unless len is set */
	size_t len;	  /* 0: strlen(text) */
};

#define C(s)                                                                                       \
	{                                                                                          \
		DIR_C2S, (s), 0                                                                    \
	}
#define S(s)                                                                                       \
	{                                                                                          \
		DIR_S2C, (s), 0                                                                    \
	}

/* Bytes left over after switch_to_tls, per direction (what the core would
 * give the TLS parser). */
struct replay_result {
	struct proto_facts facts;
	size_t after_switch[2];
	uint8_t after_bytes[2][64];
};

/*
 * Feeds every step through d in chunks of `chunk` bytes (0 = whole step).
 * Once the parser sets switch_to_tls, the remaining bytes of both directions
 * are counted in after_switch instead of being fed.
 */
static inline void
replay(const struct proto_desc *d, const struct step *steps, size_t n_steps, size_t chunk,
       struct replay_result *r)
{
	void *state = calloc(1, d->state_size ? d->state_size : 1);

	memset(r, 0, sizeof(*r));
	d->init(state);
	for (size_t i = 0; i < n_steps; i++) {
		const uint8_t *p = (const uint8_t *)steps[i].text;
		size_t len = steps[i].len ? steps[i].len : strlen(steps[i].text);
		size_t off = 0;

		while (off < len) {
			size_t n = chunk ? chunk : len;

			if (n > len - off)
				n = len - off;
			if (r->facts.switch_to_tls) {
				enum dir dd = steps[i].dir;
				for (size_t k = 0; k < n; k++)
					if (r->after_switch[dd] + k < sizeof(r->after_bytes[dd]))
						r->after_bytes[dd][r->after_switch[dd] + k] =
							p[off + k];
				r->after_switch[dd] += n;
				off += n;
				continue;
			}
			size_t used = d->feed(state, &r->facts, steps[i].dir, p + off, n);
			if (used > n)
				abort(); /* a parser may never claim more than it was given */
			if (used < n && !r->facts.switch_to_tls)
				used = n; /* gave up on the stream: the core drops the rest */
			off += used;
		}
	}
	if (d->fini)
		d->fini(state);
	free(state);
}

/* The chunk sizes every transcript is replayed with (0 = whole steps). */
static const size_t replay_chunks[] = {1, 2, 3, 7, 64, 0};
#define REPLAY_N_CHUNKS (sizeof(replay_chunks) / sizeof(replay_chunks[0]))

/* Facts that must not depend on chunking (line-cut counters may). */
static inline int
replay_facts_equal(const struct proto_facts *a, const struct proto_facts *b)
{
	struct proto_facts x = *a, y = *b;

	x.cap_hits = y.cap_hits = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

#endif
