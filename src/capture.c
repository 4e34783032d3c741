/*
 * capture.c - packet sources (see capture.h): live interfaces and pcap files
 * through libpcap, pcapng files through a small reader of our own.
 *
 * Why our own pcapng reader: dumpcap writes one Interface Description Block
 * (IDB) per interface, and their link types may differ (Ethernet on one,
 * Linux cooked or raw IP on another). libpcap 1.10 (Debian 12) opens such a
 * file, hands out the packets of the first interface, and fails only when it
 * meets the second IDB, in the middle of the file. Standard input cannot be
 * rewound then, and telling beforehand would mean reading the file twice. So
 * every pcapng file (first four bytes 0x0A0D0D0A) is read here and every
 * packet carries its own interface's link type; the golden tests over
 * pcaps/mixed-mail.pcapng hold it to what libpcap read. pcap files and live
 * interfaces stay with libpcap. A BPF filter is compiled once per link type
 * met (pcap_open_dead + pcap_compile) and run per packet (pcap_offline_filter).
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
#include "capture.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cursor.h"

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
struct capture_iface {
	int dlt;
	uint32_t snaplen;  /* 0: no limit */
	uint64_t units;	   /* timestamp units per second (if_tsresol) */
	unsigned shift;	   /* units == 1 << shift when binary */
	bool binary;	   /* if_tsresol is a power of 2 */
	uint64_t offset_s; /* if_tsoffset in seconds (two's complement) */
	size_t filter;	   /* index in capture.filters once a filter is set */
};

/* A filter compiled for one link type. */
struct capture_filter {
	int dlt;
	struct bpf_program prog;
};

enum capture_step {
	STEP_BLOCK,  /* a block was read (not a packet, or a filtered-out one) */
	STEP_PACKET, /* c->pkt_* hold a packet */
	STEP_EOF,
	STEP_ERROR, /* err is set */
};

struct capture {
	pcap_t *p; /* live interfaces and pcap files; NULL for pcapng */
	char name[256];
	bool live;
	uint64_t file_size;
	FILE *file;	      /* the file opened (or stdin); NULL when live */
	bool close_file;      /* capture_close closes file (libpcap does not) */
	bool pcap_reads_file; /* libpcap reads file itself (not through wrap) */
	FILE *wrap;	      /* libpcap reads a pipe through this (see capture_wrap_read) */
	uint8_t head[4];      /* the first bytes, read to tell pcap from pcapng */
	size_t head_len, head_pos;
	uint64_t bytes_read; /* through head and capture_read_raw */
	volatile sig_atomic_t stop;

	/* pcapng */
	bool big_endian; /* the current section's byte order */
	struct capture_iface *ifaces;
	size_t n_ifaces, ifaces_size;
	int first_dlt;
	uint8_t *buf; /* the block being read; packets point into it */
	size_t buf_size;
	uint64_t last_ts_us; /* for Simple Packet Blocks */
	bool failed;
	char failure[512]; /* repeated by capture_next after an error */
	char *filter_expr;
	struct capture_filter *filters;
	size_t n_filters;
	const uint8_t *pkt_data;
	size_t pkt_caplen;
	uint64_t pkt_ts_us;
	int pkt_dlt;
};

static struct capture *
capture_alloc(const char *name, char *err, size_t errsz)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

/* Reads up to n bytes: first what is left of head, then from the file. */
static size_t
capture_read_raw(struct capture *c, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t got = 0;

	while (got < n && c->head_pos < c->head_len)
		d[got++] = c->head[c->head_pos++];
	if (got < n)
		got += fread(d + got, 1, n - got, c->file);
	c->bytes_read += got;
	return got;
}

/*
 * A pipe cannot be rewound after the four bytes that tell pcap from pcapng
 * were read: libpcap then reads through this stream, which gives them back
 * first. The cookie is the capture; closing the stream leaves the file open
 * (capture_close closes it).
 */
static ssize_t
capture_wrap_read(void *cookie, char *dst, size_t n)
{
	struct capture *c = cookie;
	size_t got = capture_read_raw(c, dst, n);

	return got == 0 && ferror(c->file) ? -1 : (ssize_t)got;
}

static int
capture_wrap_close(void *cookie)
{
	(void)cookie;
	return 0;
}

/* Hands the file to libpcap, rewound to where it started (pos) when it can
 * be, else through capture_wrap_read. */
static int
capture_open_pcap(struct capture *c, long pos, char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	FILE *f = c->file;

	if (pos >= 0 && fseek(c->file, pos, SEEK_SET) == 0) {
		c->head_len = c->head_pos = 0;
		c->pcap_reads_file = true;
	} else {
		cookie_io_functions_t io = {.read = capture_wrap_read, .close = capture_wrap_close};

		clearerr(c->file);
		c->wrap = fopencookie(c, "rb", io);
		if (!c->wrap) {
			snprintf(err, errsz, "%s: %s", c->name, strerror(errno));
			return -1;
		}
		f = c->wrap;
	}
	c->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!c->p) {
		snprintf(err, errsz, "%s: %s", c->name, perr);
		return -1;
	}
	/* libpcap closes what it reads (never stdin), the wrapper included. */
	if (c->pcap_reads_file)
		c->close_file = false;
	c->wrap = NULL;
	return 0;
}

/* ---- pcapng ---- */

static uint32_t
capture_ng_u32(const struct capture *c, const uint8_t *b)
{
	if (c->big_endian)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* Fields in the section's byte order. */
static bool
capture_ng_get_u16(const struct capture *c, struct cursor *cur, uint16_t *out)
{
	struct cursor b;

	if (!cursor_get_bytes(cur, &b, 2))
		return false;
	*out = c->big_endian ? (uint16_t)(b.p[0] << 8 | b.p[1]) : (uint16_t)(b.p[1] << 8 | b.p[0]);
	return true;
}

static bool
capture_ng_get_u32(const struct capture *c, struct cursor *cur, uint32_t *out)
{
	struct cursor b;

	if (!cursor_get_bytes(cur, &b, 4))
		return false;
	*out = capture_ng_u32(c, b.p);
	return true;
}

static bool
capture_ng_get_u64(const struct capture *c, struct cursor *cur, uint64_t *out)
{
	uint32_t hi, lo;
	struct cursor save = *cur;

	/* In the section's byte order as a whole (if_tsoffset), not as two
	 * halves in a fixed order like an EPB timestamp. */
	if (!capture_ng_get_u32(c, cur, c->big_endian ? &hi : &lo) ||
	    !capture_ng_get_u32(c, cur, c->big_endian ? &lo : &hi)) {
		*cur = save;
		return false;
	}
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

/* Records a reading error: err gets it now, every later capture_next again. */
static int __attribute__((format(printf, 4, 5)))
capture_ng_error(struct capture *c, char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->failure, sizeof(c->failure), fmt, ap);
	va_end(ap);
	snprintf(err, errsz, "%s", c->failure);
	c->failed = true;
	return -1;
}

static int
capture_ng_fail(struct capture *c, uint64_t at, char *err, size_t errsz, const char *what)
{
	return capture_ng_error(c, err, errsz, "%s: corrupt pcapng file at offset %" PRIu64 ": %s",
				c->name, at, what);
}

/* Reads exactly n bytes of the block that starts at offset at. */
static int
capture_ng_read(struct capture *c, void *dst, size_t n, uint64_t at, char *err, size_t errsz)
{
	size_t got = capture_read_raw(c, dst, n);

	if (got == n)
		return 0;
	if (ferror(c->file))
		return capture_ng_error(c, err, errsz, "%s: read error: %s", c->name,
					strerror(errno));
	return capture_ng_error(c, err, errsz,
				"%s: truncated pcapng file: the block at offset %" PRIu64
				" is cut short (the file ends at %" PRIu64 ")",
				c->name, at, c->bytes_read);
}

static bool
capture_ng_is_read_whole(uint32_t type)
{
	return type == PCAPNG_SHB || type == PCAPNG_IDB || type == PCAPNG_EPB ||
	       type == PCAPNG_SPB || type == PCAPNG_PB;
}

/* Makes room for a block of n bytes; c->buf is never left dangling. */
static int
capture_ng_reserve(struct capture *c, size_t n, char *err, size_t errsz)
{
	uint8_t *bigger;

	if (n <= c->buf_size)
		return 0;
	bigger = realloc(c->buf, n);
	if (!bigger)
		return capture_ng_error(c, err, errsz, "%s: out of memory", c->name);
	c->buf = bigger;
	c->buf_size = n;
	return 0;
}

/*
 * Reads the next block: its type, and for the types read whole its body
 * (between the length and the trailer) in *body; the others are read
 * through. *at is the block's offset. STEP_BLOCK, STEP_EOF at the end of the
 * file between two blocks, or STEP_ERROR.
 */
static enum capture_step
capture_ng_read_block(struct capture *c, uint32_t *type, struct cursor *body, uint64_t *at,
		      char *err, size_t errsz)
{
	uint8_t hdr[12], trailer[4];
	uint32_t len, bom;
	size_t got, fixed = 8;
	char what[128];

	*at = c->bytes_read;
	got = capture_read_raw(c, hdr, 8);
	if (got == 0 && !ferror(c->file))
		return STEP_EOF;
	if (got < 8 && capture_ng_read(c, hdr + got, 8 - got, *at, err, errsz) < 0)
		return STEP_ERROR;
	if (memcmp(hdr, "\x0a\x0d\x0d\x0a", 4) == 0) {
		/* A new section, in its own byte order. */
		if (capture_ng_read(c, hdr + 8, 4, *at, err, errsz) < 0)
			return STEP_ERROR;
		fixed = 12;
		c->big_endian = true;
		bom = capture_ng_u32(c, hdr + 8);
		if (bom != PCAPNG_BYTE_ORDER_MAGIC) {
			c->big_endian = false;
			bom = capture_ng_u32(c, hdr + 8);
		}
		if (bom != PCAPNG_BYTE_ORDER_MAGIC) {
			capture_ng_fail(c, *at, err, errsz,
					"Section Header Block with a bad byte-order magic");
			return STEP_ERROR;
		}
	}
	*type = capture_ng_u32(c, hdr);
	len = capture_ng_u32(c, hdr + 4);
	if (len < 12 || len % 4 != 0 || (*type == PCAPNG_SHB && len < 28)) {
		snprintf(what, sizeof(what),
			 "block of type 0x%08" PRIx32 " with a length of %" PRIu32, *type, len);
		capture_ng_fail(c, *at, err, errsz, what);
		return STEP_ERROR;
	}
	if (capture_ng_is_read_whole(*type)) {
		if (len > PCAPNG_BLOCK_MAX) {
			snprintf(what, sizeof(what),
				 "block of type 0x%08" PRIx32 " of %" PRIu32
				 " bytes, more than the %u this reader takes",
				 *type, len, PCAPNG_BLOCK_MAX);
			capture_ng_fail(c, *at, err, errsz, what);
			return STEP_ERROR;
		}
		if (capture_ng_reserve(c, len, err, errsz) < 0)
			return STEP_ERROR;
		memcpy(c->buf, hdr, fixed);
		if (capture_ng_read(c, c->buf + fixed, len - fixed, *at, err, errsz) < 0)
			return STEP_ERROR;
		memcpy(trailer, c->buf + len - 4, 4);
		cursor_init(body, c->buf + 8, len - 12);
	} else {
		for (size_t left = len - 12; left > 0;) {
			size_t n = left < c->buf_size ? left : c->buf_size;

			if (capture_ng_read(c, c->buf, n, *at, err, errsz) < 0)
				return STEP_ERROR;
			left -= n;
		}
		if (capture_ng_read(c, trailer, 4, *at, err, errsz) < 0)
			return STEP_ERROR;
		cursor_init(body, NULL, 0);
	}
	if (capture_ng_u32(c, trailer) != len) {
		snprintf(what, sizeof(what),
			 "block length %" PRIu32 " differs from its trailing length %" PRIu32, len,
			 capture_ng_u32(c, trailer));
		capture_ng_fail(c, *at, err, errsz, what);
		return STEP_ERROR;
	}
	return STEP_BLOCK;
}

/* The file's LINKTYPE_ as this host's DLT_ (what decode and libpcap use). */
static int
capture_ng_dlt(uint16_t linktype)
{
	switch (linktype) {
	case LINKTYPE_RAW:
		return DLT_RAW;
	case LINKTYPE_ATM_RFC1483:
		return DLT_ATM_RFC1483;
	default:
		return linktype;
	}
}

/* Compiles the filter for link type dlt unless it already is; -1 with err
 * naming the link type when it does not compile for it. */
static int
capture_ng_compile(struct capture *c, int dlt, uint32_t snaplen, size_t *index, char *err,
		   size_t errsz)
{
	struct capture_filter *more;
	pcap_t *dead;

	for (size_t i = 0; i < c->n_filters; i++) {
		if (c->filters[i].dlt == dlt) {
			*index = i;
			return 0;
		}
	}
	more = realloc(c->filters, (c->n_filters + 1) * sizeof(*more));
	if (!more) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	c->filters = more;
	if (snaplen == 0 || snaplen > PCAPNG_SNAPLEN_DEFAULT)
		snaplen = PCAPNG_SNAPLEN_DEFAULT;
	dead = pcap_open_dead(dlt, (int)snaplen);
	if (!dead) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (pcap_compile(dead, &c->filters[c->n_filters].prog, c->filter_expr, 1,
			 PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errsz, "bad filter '%s' for link type %d (%s) in %s: %s",
			 c->filter_expr, dlt, capture_link_name(dlt), c->name, pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	pcap_close(dead);
	c->filters[c->n_filters].dlt = dlt;
	*index = c->n_filters++;
	return 0;
}

static int
capture_ng_section(struct capture *c, struct cursor *body, uint64_t at, char *err, size_t errsz)
{
	uint16_t major, minor;
	char what[96];

	if (!cursor_skip(body, 4) || !capture_ng_get_u16(c, body, &major) ||
	    !capture_ng_get_u16(c, body, &minor))
		return capture_ng_fail(c, at, err, errsz, "short Section Header Block");
	if (major != 1) {
		snprintf(what, sizeof(what), "unsupported pcapng version %u.%u", major, minor);
		return capture_ng_fail(c, at, err, errsz, what);
	}
	/* Interface ids are per section. */
	c->n_ifaces = 0;
	return 0;
}

/* The if_tsresol byte: 10^-v seconds, or 2^-(v & 0x7f) with the top bit. */
static bool
capture_ng_set_tsresol(struct capture_iface *i, uint8_t v)
{
	if (v & 0x80) {
		if ((v & 0x7f) > 63)
			return false;
		i->binary = true;
		i->shift = v & 0x7f;
		i->units = (uint64_t)1 << i->shift;
		return true;
	}
	if (v > 19)
		return false;
	i->binary = false;
	i->units = 1;
	for (unsigned k = 0; k < v; k++)
		i->units *= 10;
	return true;
}

static int
capture_ng_add_iface(struct capture *c, struct cursor *body, uint64_t at, char *err, size_t errsz)
{
	struct capture_iface i = {0};
	uint16_t linktype, code, len;
	uint32_t snaplen;
	struct cursor val;

	if (!capture_ng_get_u16(c, body, &linktype) || !cursor_skip(body, 2) ||
	    !capture_ng_get_u32(c, body, &snaplen))
		return capture_ng_fail(c, at, err, errsz, "short Interface Description Block");
	i.dlt = capture_ng_dlt(linktype);
	i.snaplen = snaplen;
	capture_ng_set_tsresol(&i, 6);
	while (cursor_remaining(body) > 0) {
		if (!capture_ng_get_u16(c, body, &code) || !capture_ng_get_u16(c, body, &len) ||
		    !cursor_get_bytes(body, &val, len) || !cursor_skip(body, (4 - len % 4) % 4))
			return capture_ng_fail(c, at, err, errsz,
					       "an interface option runs past its block");
		if (code == PCAPNG_OPT_END)
			break;
		if (code == PCAPNG_IF_TSRESOL &&
		    (len != 1 || !capture_ng_set_tsresol(&i, val.p[0])))
			return capture_ng_fail(c, at, err, errsz, "bad if_tsresol option");
		if (code == PCAPNG_IF_TSOFFSET &&
		    (len != 8 || !capture_ng_get_u64(c, &val, &i.offset_s)))
			return capture_ng_fail(c, at, err, errsz, "bad if_tsoffset option");
	}
	if (c->n_ifaces >= PCAPNG_IFACES_MAX)
		return capture_ng_fail(c, at, err, errsz, "too many interfaces in one section");
	if (c->n_ifaces == c->ifaces_size) {
		size_t n = c->ifaces_size ? c->ifaces_size * 2 : 4;
		struct capture_iface *more = realloc(c->ifaces, n * sizeof(*more));

		if (!more)
			return capture_ng_error(c, err, errsz, "%s: out of memory", c->name);
		c->ifaces = more;
		c->ifaces_size = n;
	}
	if (c->filter_expr && capture_ng_compile(c, i.dlt, i.snaplen, &i.filter, err, errsz) < 0)
		return capture_ng_error(c, err, errsz, "%s", err);
	if (c->first_dlt < 0)
		c->first_dlt = i.dlt;
	c->ifaces[c->n_ifaces++] = i;
	return 0;
}

/*
 * Microseconds since the epoch of timestamp t in the interface's units,
 * truncated as libpcap does. Unsigned arithmetic: a hostile timestamp wraps
 * to a wrong time, never to undefined behaviour.
 */
static uint64_t
capture_ng_ts_us(const struct capture_iface *i, uint64_t t)
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
	return (sec + i->offset_s) * 1000000u + frac;
}

/* Takes the packet out of an EPB, SPB or PB body. */
static int
capture_ng_packet(struct capture *c, uint32_t type, struct cursor *body, uint64_t at, char *err,
		  size_t errsz)
{
	uint32_t iface = 0, hi = 0, lo = 0, caplen = 0, len = 0;
	uint16_t iface16;
	const struct capture_iface *i;
	struct cursor data;
	char what[128];
	bool ok;

	if (type == PCAPNG_EPB) {
		ok = capture_ng_get_u32(c, body, &iface) && capture_ng_get_u32(c, body, &hi) &&
		     capture_ng_get_u32(c, body, &lo) && capture_ng_get_u32(c, body, &caplen) &&
		     capture_ng_get_u32(c, body, &len);
	} else if (type == PCAPNG_PB) {
		ok = capture_ng_get_u16(c, body, &iface16) && cursor_skip(body, 2) /* drops */ &&
		     capture_ng_get_u32(c, body, &hi) && capture_ng_get_u32(c, body, &lo) &&
		     capture_ng_get_u32(c, body, &caplen) && capture_ng_get_u32(c, body, &len);
		iface = ok ? iface16 : 0;
	} else {
		ok = capture_ng_get_u32(c, body, &len);
	}
	if (!ok)
		return capture_ng_fail(c, at, err, errsz, "short packet block");
	if (iface >= c->n_ifaces) {
		snprintf(what, sizeof(what),
			 "packet on interface %" PRIu32 ", but the section has %zu interface(s)",
			 iface, c->n_ifaces);
		return capture_ng_fail(c, at, err, errsz, what);
	}
	i = &c->ifaces[iface];
	if (type == PCAPNG_SPB) {
		/* Its captured length is implied by the snap length. */
		caplen = i->snaplen && i->snaplen < len ? i->snaplen : len;
		c->pkt_ts_us = c->last_ts_us;
	} else {
		c->pkt_ts_us = capture_ng_ts_us(i, (uint64_t)hi << 32 | lo);
	}
	if (!cursor_get_bytes(body, &data, caplen)) {
		snprintf(what, sizeof(what),
			 "captured length %" PRIu32 " is more than the %zu bytes its block holds",
			 caplen, cursor_remaining(body));
		return capture_ng_fail(c, at, err, errsz, what);
	}
	c->last_ts_us = c->pkt_ts_us;
	c->pkt_data = data.p ? data.p : c->buf;
	c->pkt_caplen = caplen;
	c->pkt_dlt = i->dlt;
	if (c->filter_expr) {
		struct pcap_pkthdr h = {.caplen = caplen, .len = len};

		h.ts.tv_sec = (time_t)(c->pkt_ts_us / 1000000u);
		h.ts.tv_usec = (suseconds_t)(c->pkt_ts_us % 1000000u);

		if (pcap_offline_filter(&c->filters[i->filter].prog, &h, c->pkt_data) == 0)
			return 1; /* not for us */
	}
	return 0;
}

/* Reads blocks until a packet (STEP_PACKET), the end or an error. With
 * until_iface, stops after the first Interface Description Block instead. */
static enum capture_step
capture_ng_step(struct capture *c, bool until_iface, char *err, size_t errsz)
{
	while (!c->stop) {
		struct cursor body;
		uint32_t type;
		uint64_t at;
		enum capture_step s = capture_ng_read_block(c, &type, &body, &at, err, errsz);
		int rc = 0;

		if (s != STEP_BLOCK)
			return s;
		if (type == PCAPNG_SHB) {
			rc = capture_ng_section(c, &body, at, err, errsz);
		} else if (type == PCAPNG_IDB) {
			rc = capture_ng_add_iface(c, &body, at, err, errsz);
			if (rc == 0 && until_iface)
				return STEP_BLOCK;
		} else if (type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_PB) {
			rc = capture_ng_packet(c, type, &body, at, err, errsz);
			if (rc == 0)
				return STEP_PACKET;
			rc = rc > 0 ? 0 : rc;
		}
		if (rc < 0)
			return STEP_ERROR;
	}
	return STEP_EOF;
}

/* The file starts with a Section Header Block: reads up to the first
 * Interface Description Block, whose link type is capture_datalink's. */
static int
capture_open_pcapng(struct capture *c, char *err, size_t errsz)
{
	enum capture_step s;

	c->first_dlt = -1;
	if (capture_ng_reserve(c, 65536, err, errsz) < 0)
		return -1;
	s = capture_ng_step(c, true, err, errsz);
	if (s == STEP_ERROR)
		return -1;
	if (c->first_dlt < 0) {
		snprintf(err, errsz, "%s: the pcapng file has no Interface Description Block",
			 c->name);
		return -1;
	}
	return 0;
}

/* ---- public ---- */

struct capture *
capture_open_file(const char *path, char *err, size_t errsz)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct capture *c = capture_alloc(is_stdin ? "<stdin>" : path, err, errsz);
	struct stat sb;
	long pos;

	if (!c)
		return NULL;
	c->file = is_stdin ? stdin : fopen(path, "rb");
	if (!c->file) {
		snprintf(err, errsz, "%s: %s", c->name, strerror(errno));
		goto fail;
	}
	c->close_file = !is_stdin;
	if (fstat(fileno(c->file), &sb) == 0 && S_ISREG(sb.st_mode))
		c->file_size = (uint64_t)sb.st_size;
	pos = ftell(c->file);
	c->head_len = fread(c->head, 1, sizeof(c->head), c->file);
	if (ferror(c->file)) {
		snprintf(err, errsz, "%s: %s", c->name, strerror(errno));
		goto fail;
	}
	if (c->head_len == 4 && memcmp(c->head, "\x0a\x0d\x0d\x0a", 4) == 0) {
		if (capture_open_pcapng(c, err, errsz) < 0)
			goto fail;
	} else if (capture_open_pcap(c, pos, err, errsz) < 0) {
		goto fail;
	}
	return c;
fail:
	capture_close(c);
	return NULL;
}

struct capture *
capture_open_live(const struct capture_live_opts *o, char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = capture_alloc(o->iface, err, errsz);
	int rc;

	if (!c)
		return NULL;
	c->live = true;
	c->p = pcap_create(o->iface, perr);
	if (!c->p) {
		snprintf(err, errsz, "%s: %s", o->iface, perr);
		goto fail;
	}
	pcap_set_snaplen(c->p, o->snaplen > 0 ? o->snaplen : 262144);
	pcap_set_promisc(c->p, o->promisc ? 1 : 0);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_timeout(c->p, 200);
	if (o->buffer_kib > 0)
		pcap_set_buffer_size(c->p, o->buffer_kib * 1024);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *why = pcap_geterr(c->p);

		if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			snprintf(err, errsz, "%s: no such interface (%s)", o->iface, why);
		else if (rc == PCAP_ERROR_PERM_DENIED)
			snprintf(err, errsz,
				 "%s: permission denied (capturing needs root or "
				 "CAP_NET_RAW): %s",
				 o->iface, why);
		else if (rc == PCAP_ERROR_IFACE_NOT_UP)
			snprintf(err, errsz, "%s: interface is down", o->iface);
		else
			snprintf(err, errsz, "%s: %s", o->iface,
				 why[0] ? why : pcap_statustostr(rc));
		goto fail;
	}
	return c;
fail:
	if (c->p)
		pcap_close(c->p);
	free(c);
	return NULL;
}

int
capture_set_filter(struct capture *c, const char *expr, char *err, size_t errsz)
{
	struct bpf_program prog;

	if (!c->p) {
		/* pcapng: compiled for each link type met, the ones known now
		 * (the first interface's at least) at once. */
		for (size_t i = 0; i < c->n_filters; i++)
			pcap_freecode(&c->filters[i].prog);
		c->n_filters = 0;
		free(c->filter_expr);
		c->filter_expr = strdup(expr);
		if (!c->filter_expr) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < c->n_ifaces; i++) {
			if (capture_ng_compile(c, c->ifaces[i].dlt, c->ifaces[i].snaplen,
					       &c->ifaces[i].filter, err, errsz) < 0) {
				free(c->filter_expr);
				c->filter_expr = NULL;
				return -1;
			}
		}
		return 0;
	}
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errsz, "bad filter '%s': %s", expr, pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) < 0) {
		snprintf(err, errsz, "cannot set filter: %s", pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

int
capture_datalink(const struct capture *c)
{
	return c->p ? pcap_datalink(c->p) : c->first_dlt;
}

const char *
capture_link_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "unknown";
}

const char *
capture_name(const struct capture *c)
{
	return c->name;
}

bool
capture_is_live(const struct capture *c)
{
	return c->live;
}

enum capture_status
capture_next(struct capture *c, const uint8_t **frame, size_t *caplen, uint64_t *ts_us, int *dlt,
	     char *err, size_t errsz)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (!c->p) {
		if (c->failed) {
			snprintf(err, errsz, "%s", c->failure);
			return CAPTURE_ERROR;
		}
		switch (capture_ng_step(c, false, err, errsz)) {
		case STEP_PACKET:
			*frame = c->pkt_data;
			*caplen = c->pkt_caplen;
			*ts_us = c->pkt_ts_us;
			*dlt = c->pkt_dlt;
			return CAPTURE_PACKET;
		case STEP_ERROR:
			return CAPTURE_ERROR;
		default:
			return CAPTURE_END;
		}
	}
	rc = pcap_next_ex(c->p, &h, &data);
	switch (rc) {
	case 1:
		*frame = data;
		*caplen = h->caplen;
		*ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		*dlt = pcap_datalink(c->p);
		return CAPTURE_PACKET;
	case 0:
		return CAPTURE_TIMEOUT;
	case PCAP_ERROR_BREAK:
		return CAPTURE_END;
	default:
		snprintf(err, errsz, "%s: %s", c->name, pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
}

void
capture_break(struct capture *c)
{
	if (c->p)
		pcap_breakloop(c->p);
	else
		c->stop = 1;
}

bool
capture_counters(struct capture *c, uint64_t *received, uint64_t *dropped, uint64_t *ifdropped)
{
	struct pcap_stat ps;

	if (!c->live || pcap_stats(c->p, &ps) < 0)
		return false;
	*received = ps.ps_recv;
	*dropped = ps.ps_drop;
	*ifdropped = ps.ps_ifdrop;
	return true;
}

void
capture_progress(struct capture *c, uint64_t *done, uint64_t *total)
{
	long pos = c->pcap_reads_file ? ftell(c->file) : -1;

	/* Otherwise our pcapng reader, or libpcap through the wrapper: both
	 * read through capture_read_raw, which counts. */
	*done = c->pcap_reads_file ? (pos > 0 ? (uint64_t)pos : 0) : c->bytes_read;
	*total = c->file_size;
}

void
capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	if (c->wrap)
		fclose(c->wrap);
	if (c->close_file && c->file)
		fclose(c->file);
	for (size_t i = 0; i < c->n_filters; i++)
		pcap_freecode(&c->filters[i].prog);
	free(c->filters);
	free(c->filter_expr);
	free(c->ifaces);
	free(c->buf);
	free(c);
}

int
capture_drop_privileges(const char *user, char *err, size_t errsz)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errsz, "-Z %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		snprintf(err, errsz, "-Z %s: cannot switch user: %s", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, errsz, "-Z %s: privileges could not be dropped", user);
		return -1;
	}
	/* Nothing run from here on (--alert-exec commands) can gain privileges
	 * back through a set-user-ID program or file capabilities. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errsz, "-Z %s: PR_SET_NO_NEW_PRIVS: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}
