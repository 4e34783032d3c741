/*
 * pcapng.h - the pcapng reader behind capture_open_file (internal to
 * src/capture/; see pcapng.c for why it exists and what it reads). It reads
 * through a byte source given by capture.c and hands out one packet at a
 * time with its own interface's link type.
 */
#ifndef TLSWATCH_CAPTURE_PCAPNG_H
#define TLSWATCH_CAPTURE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

/* Where the reader's bytes come from, from the first byte of the file. */
struct pcapng_io {
	/* Reads up to n bytes; fewer only at the end of the file or on an error. */
	size_t (*read)(void *ctx, void *dst, size_t n);
	/* Whether a short read was an error (errno says which), not the end. */
	bool (*error)(void *ctx);
	void *ctx;
};

struct pcapng;

/* Reads up to the first Interface Description Block. NULL with one line in
 * err (naming the capture) on failure. The reader copies name and io;
 * io's ctx must outlive it. */
struct pcapng *pcapng_open(const char *name, const struct pcapng_io *io, char *err, size_t errsz);
/* The first interface's link type (DLT_*). */
int pcapng_datalink(const struct pcapng *r);
/* Compiles expr for the link types known now, and later for each one met
 * (see capture_set_filter); -1 with err on failure. */
int pcapng_set_filter(struct pcapng *r, const char *expr, char *err, size_t errsz);
/* As capture_next; never CAPTURE_TIMEOUT. After CAPTURE_ERROR every call
 * gives the same error again. */
enum capture_status pcapng_next(struct pcapng *r, const uint8_t **frame, size_t *caplen,
				uint64_t *ts_us, int *dlt, char *err, size_t errsz);
/* The length on the wire of the packet pcapng_next gave last. */
size_t pcapng_wire_len(const struct pcapng *r);
/* Makes pcapng_next return CAPTURE_END (async-signal-safe). */
void pcapng_break(struct pcapng *r);
void pcapng_close(struct pcapng *r);

#endif
