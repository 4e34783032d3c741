/*
 * pcapng_reader.h - the pcapng reader's state and the field readers that
 * pcapng.c (blocks and packets) and pcapng_iface.c (sections, interfaces,
 * filters) share; inline, as every packet's fields are read with them.
 * Internal to src/capture/.
 */
#ifndef TLSWATCH_CAPTURE_PCAPNG_READER_H
#define TLSWATCH_CAPTURE_PCAPNG_READER_H

#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "pcapng.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_PB 0x00000002u /* obsolete Packet Block */
#define PCAPNG_SPB 0x00000003u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define PCAPNG_OPT_END 0
#define PCAPNG_IF_TSRESOL 9
#define PCAPNG_IF_TSOFFSET 14

/* Blocks read whole are at most this big (libpcap's limit too); the block
 * types that are skipped are read through in pieces, whatever their size. */
#define PCAPNG_BLOCK_MAX (16u * 1024 * 1024)
/* Interfaces per section; a section with more is taken as corrupt. */
#define PCAPNG_IFACES_MAX 65536u
/* libpcap's snap length for an IDB that says 0 (no limit). */
#define PCAPNG_SNAPLEN_DEFAULT 262144u

/* LINKTYPE_ values of the file whose DLT_ value differs on this host. */
#define LINKTYPE_ATM_RFC1483 100
#define LINKTYPE_RAW 101

/* One interface (IDB) of the current section. */
struct pcapng_iface {
	int dlt;
	uint32_t snaplen;  /* 0: no limit */
	uint64_t units;	   /* timestamp units per second (if_tsresol) */
	unsigned shift;	   /* units == 1 << shift when binary */
	bool binary;	   /* if_tsresol is a power of 2 */
	uint64_t offset_s; /* if_tsoffset in seconds (two's complement) */
	size_t filter;	   /* index in pcapng.filters once a filter is set */
};

/* A filter compiled for one link type. */
struct pcapng_filter {
	int dlt;
	struct bpf_program prog;
};

enum pcapng_step {
	STEP_BLOCK,  /* a block was read (not a packet, or a filtered-out one) */
	STEP_PACKET, /* r->pkt_* hold a packet */
	STEP_EOF,
	STEP_ERROR, /* err is set */
};

struct pcapng {
	char name[256]; /* the capture's, for messages */
	struct pcapng_io io;
	uint64_t offset; /* bytes read so far: where the next block starts */
	volatile sig_atomic_t stop;
	bool big_endian; /* the current section's byte order */
	struct pcapng_iface *ifaces;
	size_t n_ifaces, ifaces_size;
	int first_dlt;
	uint8_t *buf; /* the block being read; packets point into it */
	size_t buf_size;
	uint64_t last_ts_us; /* for Simple Packet Blocks */
	bool failed;
	char failure[512]; /* repeated by pcapng_next after an error */
	char *filter_expr;
	struct pcapng_filter *filters;
	size_t n_filters;
	const uint8_t *pkt_data;
	size_t pkt_caplen;
	size_t pkt_len; /* on the wire */
	uint64_t pkt_ts_us;
	int pkt_dlt;
};

static inline uint32_t
pcapng_u32(const struct pcapng *r, const uint8_t *b)
{
	if (r->big_endian)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* Fields in the section's byte order. */
static inline bool
pcapng_get_u16(const struct pcapng *r, struct cursor *cur, uint16_t *out)
{
	struct cursor b;

	if (!cursor_get_bytes(cur, &b, 2))
		return false;
	*out = r->big_endian ? (uint16_t)(b.p[0] << 8 | b.p[1]) : (uint16_t)(b.p[1] << 8 | b.p[0]);
	return true;
}

static inline bool
pcapng_get_u32(const struct pcapng *r, struct cursor *cur, uint32_t *out)
{
	struct cursor b;

	if (!cursor_get_bytes(cur, &b, 4))
		return false;
	*out = pcapng_u32(r, b.p);
	return true;
}

static inline bool
pcapng_get_u64(const struct pcapng *r, struct cursor *cur, uint64_t *out)
{
	uint32_t hi, lo;
	struct cursor save = *cur;

	/* In the section's byte order as a whole (if_tsoffset), not as two
	 * halves in a fixed order like an EPB timestamp. */
	if (!pcapng_get_u32(r, cur, r->big_endian ? &hi : &lo) ||
	    !pcapng_get_u32(r, cur, r->big_endian ? &lo : &hi)) {
		*cur = save;
		return false;
	}
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

/* Records a reading error: err gets it now, every later pcapng_next again;
 * returns -1. */
int pcapng_error(struct pcapng *r, char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* pcapng_error for a corrupt file: what broke, at the block at offset at. */
int pcapng_fail(struct pcapng *r, uint64_t at, char *err, size_t errsz, const char *what);

/* A Section Header Block's body (pcapng_iface.c): a new section, its
 * interfaces forgotten; 0, or -1 with err. */
int pcapng_section(struct pcapng *r, struct cursor *body, uint64_t at, char *err, size_t errsz);
/* An Interface Description Block's body: one more interface of the
 * section, its filter compiled when one is set; 0, or -1 with err. */
int pcapng_add_iface(struct pcapng *r, struct cursor *body, uint64_t at, char *err, size_t errsz);

#endif
