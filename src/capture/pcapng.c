/*
 * pcapng.c - a reader of pcapng capture files (see pcapng.h), behind
 * capture_open_file for every file that starts with a Section Header Block
 * (first four bytes 0x0A0D0D0A): its blocks and packets (the sections and
 * interfaces are pcapng_iface.c's).
 *
 * Why our own pcapng reader: dumpcap writes one Interface Description Block
 * (IDB) per interface, and their link types may differ (Ethernet on one,
 * Linux cooked or raw IP on another). libpcap 1.10 (Debian 12) opens such a
 * file, hands out the packets of the first interface, and fails only when it
 * meets the second IDB, in the middle of the file. Standard input cannot be
 * rewound then, and telling beforehand would mean reading the file twice. So
 * every pcapng file is read here and every packet carries its own
 * interface's link type; the golden tests over pcaps/mixed-mail.pcapng hold
 * it to what libpcap read. A BPF filter is compiled once per link type met
 * (pcap_open_dead + pcap_compile) and run per packet (pcap_offline_filter).
 *
 * Reference: draft-ietf-opsawg-pcapng, PCAP Next Generation (pcapng) Capture
 * File Format: 3.1 general block structure (type, total length, body padded
 * to 32 bits, the total length again), 4.1 Section Header Block (byte-order
 * magic 0x1A2B3C4D, either byte order, several sections per file), 4.2
 * Interface Description Block (link type, snap length, options if_tsresol
 * (9) and if_tsoffset (14)), 4.3 Enhanced Packet Block, 4.4 Simple Packet
 * Block (interface 0, no timestamp: the previous packet's is used), and the
 * obsolete Packet Block (type 2) of its appendix. Every other block is
 * skipped by its length.
 *
 * Every length is checked (a block's total length: at least 12, a multiple
 * of 4, the same in its trailer; a packet's captured length within its
 * block; an interface id below the section's count of IDBs); a file that
 * breaks one is CAPTURE_ERROR with one line naming the offset, and the
 * packets before it have been handed out. Not handled: sections of a major
 * version other than 1 (an error, as in libpcap), EPB options (flags, drop
 * counts), the snap length as a limit on EPB captured lengths, and link
 * types that differ between this host's DLT_ values and the file's
 * LINKTYPE_ values other than raw IP (101) and ATM RFC 1483 (100).
 */
#include "pcapng_reader.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

/* Reads up to n bytes from the source, counting them. */
static size_t
pcapng_read_raw(struct pcapng *r, void *dst, size_t n)
{
	size_t got = r->io.read(r->io.ctx, dst, n);

	r->offset += got;
	return got;
}

int
pcapng_error(struct pcapng *r, char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->failure, sizeof(r->failure), fmt, ap);
	va_end(ap);
	snprintf(err, errsz, "%s", r->failure);
	r->failed = true;
	return -1;
}

int
pcapng_fail(struct pcapng *r, uint64_t at, char *err, size_t errsz, const char *what)
{
	return pcapng_error(r, err, errsz, "%s: corrupt pcapng file at offset %" PRIu64 ": %s",
			    r->name, at, what);
}

/* Reads exactly n bytes of the block that starts at offset at. */
static int
pcapng_read(struct pcapng *r, void *dst, size_t n, uint64_t at, char *err, size_t errsz)
{
	size_t got = pcapng_read_raw(r, dst, n);

	if (got == n)
		return 0;
	if (r->stop)
		return -1; /* pcapng_break cut a wait short: not the file's fault */
	if (r->io.error(r->io.ctx))
		return pcapng_error(r, err, errsz, "%s: read error: %s", r->name, strerror(errno));
	return pcapng_error(r, err, errsz,
			    "%s: truncated pcapng file: the block at offset %" PRIu64
			    " is cut short (the file ends at %" PRIu64 ")",
			    r->name, at, r->offset);
}

static bool
pcapng_is_read_whole(uint32_t type)
{
	return type == PCAPNG_SHB || type == PCAPNG_IDB || type == PCAPNG_EPB ||
	       type == PCAPNG_SPB || type == PCAPNG_PB;
}

/* Makes room for a block of n bytes; r->buf is never left dangling. */
static int
pcapng_reserve(struct pcapng *r, size_t n, char *err, size_t errsz)
{
	uint8_t *bigger;

	if (n <= r->buf_size)
		return 0;
	bigger = realloc(r->buf, n);
	if (!bigger)
		return pcapng_error(r, err, errsz, "%s: out of memory", r->name);
	r->buf = bigger;
	r->buf_size = n;
	return 0;
}

/*
 * Reads the next block: its type, and for the types read whole its body
 * (between the length and the trailer) in *body; the others are read
 * through. *at is the block's offset. STEP_BLOCK, STEP_EOF at the end of the
 * file between two blocks, or STEP_ERROR.
 */
static enum pcapng_step
pcapng_read_block(struct pcapng *r, uint32_t *type, struct cursor *body, uint64_t *at, char *err,
		  size_t errsz)
{
	uint8_t hdr[12], trailer[4];
	uint32_t len, bom;
	size_t got, fixed = 8;
	char what[128];

	*at = r->offset;
	got = pcapng_read_raw(r, hdr, 8);
	if (got == 0 && !r->io.error(r->io.ctx))
		return STEP_EOF;
	if (got < 8 && pcapng_read(r, hdr + got, 8 - got, *at, err, errsz) < 0)
		return STEP_ERROR;
	if (memcmp(hdr, "\x0a\x0d\x0d\x0a", 4) == 0) {
		/* A new section, in its own byte order. */
		if (pcapng_read(r, hdr + 8, 4, *at, err, errsz) < 0)
			return STEP_ERROR;
		fixed = 12;
		r->big_endian = true;
		bom = pcapng_u32(r, hdr + 8);
		if (bom != PCAPNG_BYTE_ORDER_MAGIC) {
			r->big_endian = false;
			bom = pcapng_u32(r, hdr + 8);
		}
		if (bom != PCAPNG_BYTE_ORDER_MAGIC) {
			pcapng_fail(r, *at, err, errsz,
				    "Section Header Block with a bad byte-order magic");
			return STEP_ERROR;
		}
	}
	*type = pcapng_u32(r, hdr);
	len = pcapng_u32(r, hdr + 4);
	if (len < 12 || len % 4 != 0 || (*type == PCAPNG_SHB && len < 28)) {
		snprintf(what, sizeof(what),
			 "block of type 0x%08" PRIx32 " with a length of %" PRIu32, *type, len);
		pcapng_fail(r, *at, err, errsz, what);
		return STEP_ERROR;
	}
	if (pcapng_is_read_whole(*type)) {
		if (len > PCAPNG_BLOCK_MAX) {
			snprintf(what, sizeof(what),
				 "block of type 0x%08" PRIx32 " of %" PRIu32
				 " bytes, more than the %u this reader takes",
				 *type, len, PCAPNG_BLOCK_MAX);
			pcapng_fail(r, *at, err, errsz, what);
			return STEP_ERROR;
		}
		if (pcapng_reserve(r, len, err, errsz) < 0)
			return STEP_ERROR;
		memcpy(r->buf, hdr, fixed);
		if (pcapng_read(r, r->buf + fixed, len - fixed, *at, err, errsz) < 0)
			return STEP_ERROR;
		memcpy(trailer, r->buf + len - 4, 4);
		cursor_init(body, r->buf + 8, len - 12);
	} else {
		for (size_t left = len - 12; left > 0;) {
			size_t n = left < r->buf_size ? left : r->buf_size;

			if (pcapng_read(r, r->buf, n, *at, err, errsz) < 0)
				return STEP_ERROR;
			left -= n;
		}
		if (pcapng_read(r, trailer, 4, *at, err, errsz) < 0)
			return STEP_ERROR;
		cursor_init(body, NULL, 0);
	}
	if (pcapng_u32(r, trailer) != len) {
		snprintf(what, sizeof(what),
			 "block length %" PRIu32 " differs from its trailing length %" PRIu32, len,
			 pcapng_u32(r, trailer));
		pcapng_fail(r, *at, err, errsz, what);
		return STEP_ERROR;
	}
	return STEP_BLOCK;
}

/*
 * Microseconds since the epoch of timestamp t in the interface's units,
 * truncated as libpcap does. The seconds (if_tsoffset added) are kept
 * within 0 .. 2^32 - 1, the range of a pcap file, so that no later sum of
 * times can wrap: a hostile 64-bit timestamp in seconds or an offset before
 * 1970 is clamped to a wrong but bounded time.
 */
static uint64_t
pcapng_ts_us(const struct pcapng_iface *i, uint64_t t)
{
	uint64_t sec = t / i->units, frac = t % i->units;

	if (i->binary) {
		unsigned shift = i->shift;

		/* frac < 2^shift; frac * 10^6 must fit in 64 bits. */
		if (shift > 44) {
			frac >>= shift - 44;
			shift = 44;
		}
		frac = (frac * 1000000u) >> shift;
	} else if (i->units >= 1000000u) {
		frac /= i->units / 1000000u;
	} else {
		frac *= 1000000u / i->units;
	}
	if (i->offset_s >> 63) {
		uint64_t back = -i->offset_s;

		sec = sec > back ? sec - back : 0;
	} else if (i->offset_s >= UINT32_MAX || sec >= UINT32_MAX - i->offset_s) {
		sec = UINT32_MAX;
	} else {
		sec += i->offset_s;
	}
	if (sec > UINT32_MAX)
		sec = UINT32_MAX;
	return sec * 1000000u + frac;
}

/* Takes the packet out of an EPB, SPB or PB body. */
static int
pcapng_packet(struct pcapng *r, uint32_t type, struct cursor *body, uint64_t at, char *err,
	      size_t errsz)
{
	uint32_t iface = 0, hi = 0, lo = 0, caplen = 0, len = 0;
	uint16_t iface16;
	const struct pcapng_iface *i;
	struct cursor data;
	char what[128];
	bool ok;

	if (type == PCAPNG_EPB) {
		ok = pcapng_get_u32(r, body, &iface) && pcapng_get_u32(r, body, &hi) &&
		     pcapng_get_u32(r, body, &lo) && pcapng_get_u32(r, body, &caplen) &&
		     pcapng_get_u32(r, body, &len);
	} else if (type == PCAPNG_PB) {
		ok = pcapng_get_u16(r, body, &iface16) && cursor_skip(body, 2) /* drops */ &&
		     pcapng_get_u32(r, body, &hi) && pcapng_get_u32(r, body, &lo) &&
		     pcapng_get_u32(r, body, &caplen) && pcapng_get_u32(r, body, &len);
		iface = ok ? iface16 : 0;
	} else {
		ok = pcapng_get_u32(r, body, &len);
	}
	if (!ok)
		return pcapng_fail(r, at, err, errsz, "short packet block");
	if (iface >= r->n_ifaces) {
		snprintf(what, sizeof(what),
			 "packet on interface %" PRIu32 ", but the section has %zu interface(s)",
			 iface, r->n_ifaces);
		return pcapng_fail(r, at, err, errsz, what);
	}
	i = &r->ifaces[iface];
	if (type == PCAPNG_SPB) {
		/* Its captured length is implied by the snap length. */
		caplen = i->snaplen && i->snaplen < len ? i->snaplen : len;
		r->pkt_ts_us = r->last_ts_us;
	} else {
		r->pkt_ts_us = pcapng_ts_us(i, (uint64_t)hi << 32 | lo);
	}
	if (!cursor_get_bytes(body, &data, caplen)) {
		snprintf(what, sizeof(what),
			 "captured length %" PRIu32 " is more than the %zu bytes its block holds",
			 caplen, cursor_remaining(body));
		return pcapng_fail(r, at, err, errsz, what);
	}
	r->last_ts_us = r->pkt_ts_us;
	r->pkt_data = data.p ? data.p : r->buf;
	r->pkt_caplen = caplen;
	r->pkt_len = len > caplen ? len : caplen;
	r->pkt_dlt = i->dlt;
	if (r->filter_expr) {
		struct pcap_pkthdr h = {.caplen = caplen, .len = len};

		h.ts.tv_sec = (time_t)(r->pkt_ts_us / 1000000u);
		h.ts.tv_usec = (suseconds_t)(r->pkt_ts_us % 1000000u);

		if (pcap_offline_filter(&r->filters[i->filter].prog, &h, r->pkt_data) == 0)
			return 1; /* not for us */
	}
	return 0;
}

/* Reads blocks until a packet (STEP_PACKET), the end or an error. With
 * until_iface, stops after the first Interface Description Block instead. */
static enum pcapng_step
pcapng_step(struct pcapng *r, bool until_iface, char *err, size_t errsz)
{
	while (!r->stop) {
		struct cursor body;
		uint32_t type;
		uint64_t at;
		enum pcapng_step s = pcapng_read_block(r, &type, &body, &at, err, errsz);
		int rc = 0;

		if (s != STEP_BLOCK)
			return s;
		if (type == PCAPNG_SHB) {
			rc = pcapng_section(r, &body, at, err, errsz);
		} else if (type == PCAPNG_IDB) {
			rc = pcapng_add_iface(r, &body, at, err, errsz);
			if (rc == 0 && until_iface)
				return STEP_BLOCK;
		} else if (type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_PB) {
			rc = pcapng_packet(r, type, &body, at, err, errsz);
			if (rc == 0)
				return STEP_PACKET;
			rc = rc > 0 ? 0 : rc;
		}
		if (rc < 0)
			return STEP_ERROR;
	}
	return STEP_EOF;
}

struct pcapng *
pcapng_open(const char *name, const struct pcapng_io *io, char *err, size_t errsz)
{
	struct pcapng *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->io = *io;
	r->first_dlt = -1;
	if (pcapng_reserve(r, 65536, err, errsz) < 0)
		goto fail;
	/* The file starts with a Section Header Block: reads up to the first
	 * Interface Description Block, whose link type is pcapng_datalink's. */
	if (pcapng_step(r, true, err, errsz) == STEP_ERROR)
		goto fail;
	if (r->first_dlt < 0) {
		snprintf(err, errsz, "%s: the pcapng file has no Interface Description Block",
			 r->name);
		goto fail;
	}
	return r;
fail:
	pcapng_close(r);
	return NULL;
}

enum capture_status
pcapng_next(struct pcapng *r, const uint8_t **frame, size_t *caplen, uint64_t *ts_us, int *dlt,
	    char *err, size_t errsz)
{
	if (r->failed) {
		snprintf(err, errsz, "%s", r->failure);
		return CAPTURE_ERROR;
	}
	switch (pcapng_step(r, false, err, errsz)) {
	case STEP_PACKET:
		*frame = r->pkt_data;
		*caplen = r->pkt_caplen;
		*ts_us = r->pkt_ts_us;
		*dlt = r->pkt_dlt;
		return CAPTURE_PACKET;
	case STEP_ERROR:
		return r->stop && !r->failed ? CAPTURE_END : CAPTURE_ERROR;
	default:
		return CAPTURE_END;
	}
}

size_t
pcapng_wire_len(const struct pcapng *r)
{
	return r->pkt_len;
}

void
pcapng_break(struct pcapng *r)
{
	r->stop = 1;
}

void
pcapng_close(struct pcapng *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_filters; i++)
		pcap_freecode(&r->filters[i].prog);
	free(r->filters);
	free(r->filter_expr);
	free(r->ifaces);
	free(r->buf);
	free(r);
}
