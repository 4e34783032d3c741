/*
 * test_capture.c - unit tests for the pcapng reader of src/capture/
 * (hardening finding 8: interfaces of different link types in one file).
 *
 * Files are built byte by byte with the writer below, in either byte order
 * (draft-ietf-opsawg-pcapng), put in a memfd and opened through its
 * /proc/self/fd path, so the real capture_open_file runs. Frames are a few
 * bytes of anything unless a filter has to look at them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <pcap/dlt.h>

#include "capture.h"

#define T0 1767225600u /* 2026-01-01T00:00:00Z */

/* ---- pcapng writer ---- */

struct file {
	uint8_t b[16384];
	size_t n;
	bool big_endian;
	size_t block; /* where the open block starts */
};

static void
put(struct file *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put16(struct file *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	if (f->big_endian) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	}
	put(f, b, 2);
}

static void
put32(struct file *f, uint32_t v)
{
	if (f->big_endian) {
		put16(f, (uint16_t)(v >> 16));
		put16(f, (uint16_t)v);
	} else {
		put16(f, (uint16_t)v);
		put16(f, (uint16_t)(v >> 16));
	}
}

static void
put64(struct file *f, uint64_t v)
{
	if (f->big_endian) {
		put32(f, (uint32_t)(v >> 32));
		put32(f, (uint32_t)v);
	} else {
		put32(f, (uint32_t)v);
		put32(f, (uint32_t)(v >> 32));
	}
}

static void
pad(struct file *f)
{
	while (f->n % 4)
		put(f, "", 1);
}

static void
block_begin(struct file *f, uint32_t type)
{
	f->block = f->n;
	put32(f, type);
	put32(f, 0); /* the length, set by block_end */
}

/* Closes the block; trailer_delta makes its trailing length wrong. */
static void
block_end_bad(struct file *f, int trailer_delta)
{
	size_t len, end;

	pad(f);
	len = f->n + 4 - f->block;
	put32(f, (uint32_t)len + (uint32_t)trailer_delta);
	end = f->n;
	f->n = f->block + 4;
	put32(f, (uint32_t)len);
	f->n = end;
}

static void
block_end(struct file *f)
{
	block_end_bad(f, 0);
}

static void
shb(struct file *f, bool big_endian)
{
	f->big_endian = big_endian;
	block_begin(f, 0x0A0D0D0A);
	put32(f, 0x1A2B3C4D);
	put16(f, 1);
	put16(f, 0);
	put64(f, UINT64_MAX);
	block_end(f);
}

static void
option(struct file *f, uint16_t code, const void *v, uint16_t len)
{
	put16(f, code);
	put16(f, len);
	put(f, v, len);
	pad(f);
}

/* An IDB; tsresol < 0: none; tsoffset written when non-zero. */
static void
idb(struct file *f, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
	block_begin(f, 1);
	put16(f, linktype);
	put16(f, 0);
	put32(f, snaplen);
	option(f, 2, "eth0", 4);
	if (tsresol >= 0) {
		uint8_t r = (uint8_t)tsresol;

		option(f, 9, &r, 1);
	}
	if (tsoffset) {
		put16(f, 14);
		put16(f, 8);
		put64(f, (uint64_t)tsoffset);
	}
	option(f, 0, "", 0);
	block_end(f);
}

static void
epb(struct file *f, uint32_t iface, uint64_t ts, const void *frame, uint32_t caplen)
{
	block_begin(f, 6);
	put32(f, iface);
	put32(f, (uint32_t)(ts >> 32));
	put32(f, (uint32_t)ts);
	put32(f, caplen);
	put32(f, caplen);
	put(f, frame, caplen);
	block_end(f);
}

static void
spb(struct file *f, const void *frame, uint32_t len)
{
	block_begin(f, 3);
	put32(f, len);
	put(f, frame, len);
	block_end(f);
}

/* ---- reading ---- */

struct pkt {
	enum capture_status st;
	const uint8_t *frame;
	size_t caplen;
	uint64_t ts;
	int dlt;
	char err[512];
};

static struct capture *
open_file(const struct file *f, char *err, size_t errsz)
{
	char path[64];
	int fd = memfd_create("test.pcapng", 0);
	struct capture *c;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, f->b, f->n), (ssize_t)f->n);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	c = capture_open_file(path, err, errsz);
	close(fd); /* the capture holds its own descriptor */
	return c;
}

static struct capture *
open_ok(const struct file *f)
{
	char err[512] = "";
	struct capture *c = open_file(f, err, sizeof(err));

	if (!c)
		fail_msg("capture_open_file: %s", err);
	return c;
}

static struct pkt
next(struct capture *c)
{
	struct pkt p = {0};

	p.st = capture_next(c, &p.frame, &p.caplen, &p.ts, &p.dlt, p.err, sizeof(p.err));
	return p;
}

static void
assert_packet(struct capture *c, const char *bytes, int dlt, uint64_t ts)
{
	struct pkt p = next(c);

	if (p.st != CAPTURE_PACKET)
		fail_msg("status %d, want a packet: %s", p.st, p.err);
	assert_int_equal(p.caplen, strlen(bytes));
	assert_memory_equal(p.frame, bytes, p.caplen);
	assert_int_equal(p.dlt, dlt);
	assert_int_equal(p.ts, ts);
}

/* The next read is an error whose message contains what. */
static void
assert_error(struct capture *c, const char *what)
{
	struct pkt p = next(c);

	assert_int_equal(p.st, CAPTURE_ERROR);
	if (!strstr(p.err, what))
		fail_msg("error '%s' does not say '%s'", p.err, what);
	assert_null(strchr(p.err, '\n'));
}

/* Two interfaces of different link types; µs on the first, ns on the second. */
static void
write_two_link_types(struct file *f, bool big_endian)
{
	shb(f, big_endian);
	idb(f, 1 /* ETHERNET */, 262144, -1, 0);
	idb(f, 101 /* RAW */, 0, 9, 0);
	epb(f, 0, (uint64_t)T0 * 1000000u + 1, "eth-a", 5);
	epb(f, 1, (uint64_t)T0 * 1000000000u + 2999, "raw-b", 5);
	epb(f, 0, (uint64_t)T0 * 1000000u + 3, "eth-c", 5);
}

static void
check_two_link_types(struct file *f)
{
	struct capture *c = open_ok(f);

	assert_int_equal(capture_datalink(c), DLT_EN10MB);
	assert_packet(c, "eth-a", DLT_EN10MB, (uint64_t)T0 * 1000000u + 1);
	/* 2999 ns is 2 µs: cut, not rounded, as libpcap does. */
	assert_packet(c, "raw-b", DLT_RAW, (uint64_t)T0 * 1000000u + 2);
	assert_packet(c, "eth-c", DLT_EN10MB, (uint64_t)T0 * 1000000u + 3);
	assert_int_equal(next(c).st, CAPTURE_END);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

static void
test_capture_little_endian_file_gives_each_packet_its_interface_link_type(void **state)
{
	struct file f = {0};

	(void)state;
	write_two_link_types(&f, false);
	check_two_link_types(&f);
}

static void
test_capture_big_endian_file_reads_the_same_packets(void **state)
{
	struct file f = {0};

	(void)state;
	write_two_link_types(&f, true);
	assert_memory_equal(f.b + 8, "\x1a\x2b\x3c\x4d", 4);
	check_two_link_types(&f);
}

static void
test_capture_sections_of_both_byte_orders_each_have_their_own_interfaces(void **state)
{
	struct file f = {0};
	struct capture *c;

	(void)state;
	shb(&f, false);
	idb(&f, 113 /* LINUX_SLL */, 0, -1, 0);
	epb(&f, 0, 1000001, "one", 3);
	shb(&f, true);
	idb(&f, 1, 0, -1, 0);
	idb(&f, 101, 0, -1, 0);
	epb(&f, 1, 2000002, "two", 3);
	epb(&f, 0, 3000003, "three", 5);
	shb(&f, false);
	epb(&f, 0, 4000004, "orphan", 6); /* no IDB in this section */
	c = open_ok(&f);
	assert_int_equal(capture_datalink(c), DLT_LINUX_SLL);
	assert_packet(c, "one", DLT_LINUX_SLL, 1000001);
	assert_packet(c, "two", DLT_RAW, 2000002);
	assert_packet(c, "three", DLT_EN10MB, 3000003);
	assert_error(c, "interface 0");
	capture_close(c);
}

static void
test_capture_if_tsresol_power_of_two_and_if_tsoffset_give_microseconds(void **state)
{
	struct file f = {0};
	struct capture *c;

	(void)state;
	shb(&f, false);
	idb(&f, 1, 0, 0x80 | 10, 0);		 /* 1/1024 s */
	idb(&f, 1, 0, 0x80 | 60, 0);		 /* 2^-60 s: beyond 64-bit products */
	idb(&f, 1, 0, 0, (int64_t)T0);		 /* whole seconds after T0 */
	idb(&f, 1, 0, 3, -1);			 /* ms, one second back */
	epb(&f, 0, 5 * 1024 + 512, "half", 4);	 /* 5.5 s */
	epb(&f, 0, 7 * 1024 + 1, "tick", 4);	 /* 7 s + 976.5625 µs */
	epb(&f, 1, (uint64_t)3 << 59, "big", 3); /* 1.5 s */
	epb(&f, 2, 42, "offset", 6);		 /* T0 + 42 s */
	epb(&f, 3, 10 * 1000 + 250, "neg", 3);	 /* 10.25 s - 1 s */
	c = open_ok(&f);
	assert_packet(c, "half", DLT_EN10MB, 5500000);
	assert_packet(c, "tick", DLT_EN10MB, 7000976);
	assert_packet(c, "big", DLT_EN10MB, 1500000);
	assert_packet(c, "offset", DLT_EN10MB, ((uint64_t)T0 + 42) * 1000000u);
	assert_packet(c, "neg", DLT_EN10MB, 9250000);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

static void
test_capture_block_whose_trailing_length_differs_is_an_error_after_the_packets_before_it(
	void **state)
{
	struct file f = {0};
	struct capture *c;

	(void)state;
	shb(&f, false);
	idb(&f, 1, 0, -1, 0);
	epb(&f, 0, 1, "good", 4);
	block_begin(&f, 6);
	put32(&f, 0);
	put32(&f, 0);
	put32(&f, 2);
	put32(&f, 3);
	put32(&f, 3);
	put(&f, "bad", 3);
	block_end_bad(&f, 4);
	c = open_ok(&f);
	assert_packet(c, "good", DLT_EN10MB, 1);
	assert_error(c, "differs from its trailing length");
	assert_error(c, "differs from its trailing length"); /* and it stays */
	capture_close(c);
}

static void
test_capture_packet_on_an_interface_out_of_range_is_an_error(void **state)
{
	struct file f = {0};
	struct capture *c;

	(void)state;
	shb(&f, true);
	idb(&f, 1, 0, -1, 0);
	idb(&f, 113, 0, -1, 0);
	epb(&f, 2, 1, "nowhere", 7);
	c = open_ok(&f);
	assert_error(c, "packet on interface 2, but the section has 2 interface(s)");
	capture_close(c);
}

static void
test_capture_zero_length_epb_is_a_packet_of_no_bytes(void **state)
{
	struct file f = {0};
	struct capture *c;

	(void)state;
	shb(&f, false);
	idb(&f, 1, 0, -1, 0);
	epb(&f, 0, 5, "", 0);
	epb(&f, 0, 6, "after", 5);
	c = open_ok(&f);
	assert_packet(c, "", DLT_EN10MB, 5);
	assert_packet(c, "after", DLT_EN10MB, 6);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

static void
test_capture_simple_packet_block_is_interface_0_at_the_previous_timestamp(void **state)
{
	struct file f = {0};
	struct capture *c;

	(void)state;
	shb(&f, false);
	idb(&f, 113, 4, -1, 0); /* snap length 4 */
	idb(&f, 1, 0, -1, 0);
	spb(&f, "ab", 2); /* before any timestamp: 0 */
	epb(&f, 1, 77, "eth", 3);
	spb(&f, "cdefgh", 6); /* cut to the snap length */
	c = open_ok(&f);
	assert_packet(c, "ab", DLT_LINUX_SLL, 0);
	assert_packet(c, "eth", DLT_EN10MB, 77);
	assert_packet(c, "cdef", DLT_LINUX_SLL, 77);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

static void
test_capture_obsolete_packet_block_and_unknown_blocks_are_handled(void **state)
{
	struct file f = {0};
	struct capture *c;

	(void)state;
	shb(&f, true);
	block_begin(&f, 0x40000BAD); /* unknown, before the first IDB */
	put(&f, "skip me", 7);
	block_end(&f);
	idb(&f, 1, 0, -1, 0);
	idb(&f, 113, 0, 9, 0);
	block_begin(&f, 2); /* Packet Block: 16-bit interface, drops */
	put16(&f, 1);
	put16(&f, 0);
	put32(&f, 0);
	put32(&f, 1500);
	put32(&f, 2);
	put32(&f, 2);
	put(&f, "pb", 2);
	block_end(&f);
	block_begin(&f, 5); /* Interface Statistics: skipped */
	put(&f, "0123456789", 10);
	block_end(&f);
	epb(&f, 0, 9, "epb", 3);
	c = open_ok(&f);
	assert_int_equal(capture_datalink(c), DLT_EN10MB);
	assert_packet(c, "pb", DLT_LINUX_SLL, 1);
	assert_packet(c, "epb", DLT_EN10MB, 9);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

static void
test_capture_lengths_that_break_the_format_are_errors(void **state)
{
	static const struct {
		uint32_t len, caplen;
		const char *what;
	} cases[] = {
		{30, 3, "with a length of 30"},	  /* not a multiple of 4 */
		{8, 3, "with a length of 8"},	  /* below 12 */
		{36, 200, "captured length 200"}, /* beyond its block */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct file f = {0};
		struct capture *c;

		shb(&f, false);
		idb(&f, 1, 0, -1, 0);
		put32(&f, 6);
		put32(&f, cases[i].len);
		put32(&f, 0);
		put32(&f, 0);
		put32(&f, 0);
		put32(&f, cases[i].caplen);
		put32(&f, cases[i].caplen);
		put(&f, "abc\0", 4);
		put32(&f, cases[i].len);
		c = open_ok(&f);
		assert_error(c, cases[i].what);
		capture_close(c);
	}
}

static void
test_capture_every_cut_of_a_file_is_an_end_or_an_error_never_a_crash(void **state)
{
	struct file whole = {0};

	(void)state;
	write_two_link_types(&whole, false);
	spb(&whole, "spb", 3);
	for (size_t cut = 0; cut < whole.n; cut++) {
		struct file f = whole;
		char err[512];
		struct capture *c;
		struct pkt p;
		int packets = 0;

		f.n = cut;
		c = open_file(&f, err, sizeof(err));
		if (!c)
			continue;
		while ((p = next(c)).st == CAPTURE_PACKET)
			packets++;
		assert_true(packets <= 4);
		if (p.st == CAPTURE_ERROR)
			assert_non_null(strstr(p.err, "truncated pcapng file"));
		capture_close(c);
	}
}

static void
test_capture_file_without_an_interface_does_not_open(void **state)
{
	struct file f = {0};
	char err[512] = "";

	(void)state;
	shb(&f, false);
	assert_null(open_file(&f, err, sizeof(err)));
	assert_non_null(strstr(err, "no Interface Description Block"));
}

/* An Ethernet or raw IPv4/TCP frame to port dport (no checksums). */
static size_t
tcp_frame(uint8_t *b, bool ethernet, uint16_t dport)
{
	size_t n = 0;

	if (ethernet) {
		memset(b, 0x02, 12);
		b[12] = 0x08;
		b[13] = 0x00;
		n = 14;
	}
	memset(b + n, 0, 40);
	b[n] = 0x45;
	b[n + 3] = 40;
	b[n + 8] = 64;
	b[n + 9] = 6;
	b[n + 12] = 10; /* 10.0.0.1 > 10.0.0.2 */
	b[n + 15] = 1;
	b[n + 16] = 10;
	b[n + 19] = 2;
	b[n + 20] = 0x9c; /* source port 40000 */
	b[n + 21] = 0x40;
	b[n + 22] = (uint8_t)(dport >> 8);
	b[n + 23] = (uint8_t)dport;
	b[n + 32] = 0x50; /* data offset: 5 words */
	return n + 40;
}

static void
test_capture_filter_is_compiled_for_each_link_type_of_the_file(void **state)
{
	struct file f = {0};
	uint8_t frame[64];
	char err[512] = "";
	struct capture *c;
	struct pkt p;
	size_t n;

	(void)state;
	shb(&f, false);
	idb(&f, 1, 0, -1, 0);
	n = tcp_frame(frame, true, 25);
	epb(&f, 0, 1, frame, (uint32_t)n);
	idb(&f, 101, 0, -1, 0); /* met after the filter is set */
	n = tcp_frame(frame, false, 587);
	epb(&f, 1, 2, frame, (uint32_t)n);
	n = tcp_frame(frame, true, 587);
	epb(&f, 0, 3, frame, (uint32_t)n);
	n = tcp_frame(frame, false, 25);
	epb(&f, 1, 4, frame, (uint32_t)n);

	c = open_ok(&f);
	assert_int_equal(capture_set_filter(c, "tcp port 587", err, sizeof(err)), 0);
	p = next(c);
	assert_int_equal(p.st, CAPTURE_PACKET);
	assert_int_equal(p.dlt, DLT_RAW);
	assert_int_equal(p.ts, 2);
	p = next(c);
	assert_int_equal(p.st, CAPTURE_PACKET);
	assert_int_equal(p.dlt, DLT_EN10MB);
	assert_int_equal(p.ts, 3);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);

	/* An Ethernet-only filter: fine for the first interface, an error
	 * naming the raw one when it appears. */
	c = open_ok(&f);
	assert_int_equal(capture_set_filter(c, "ether src 02:02:02:02:02:02", err, sizeof(err)), 0);
	assert_int_equal(next(c).st, CAPTURE_PACKET);
	assert_error(c, "bad filter 'ether src 02:02:02:02:02:02' for link type 12 (RAW)");
	capture_close(c);

	c = open_ok(&f);
	assert_int_equal(capture_set_filter(c, "port port port", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad filter 'port port port'"));
	capture_close(c);
}

static void
test_capture_progress_counts_the_bytes_read_of_the_file(void **state)
{
	struct file f = {0};
	uint64_t done, total;
	struct capture *c;

	(void)state;
	write_two_link_types(&f, false);
	c = open_ok(&f);
	capture_progress(c, &done, &total);
	assert_int_equal(total, f.n);
	assert_true(done > 0 && done < total);
	while (next(c).st == CAPTURE_PACKET)
		;
	capture_progress(c, &done, &total);
	assert_int_equal(done, f.n);
	capture_close(c);
}

static void
test_capture_break_ends_a_pcapng_file_early(void **state)
{
	struct file f = {0};
	struct capture *c;

	(void)state;
	write_two_link_types(&f, false);
	c = open_ok(&f);
	assert_int_equal(next(c).st, CAPTURE_PACKET);
	capture_break(c);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

/* A classic pcap file from a pipe: the bytes read to tell it from pcapng
 * are given back to libpcap. */
static void
test_capture_pcap_file_from_a_pipe_is_still_read_by_libpcap(void **state)
{
	static const uint8_t pcap[] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
		/* one record: 7 s + 8 µs, 3 bytes */
		7, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 'x', 'y', 'z'};
	char path[64], err[512] = "";
	struct capture *c;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], pcap, sizeof(pcap)), (ssize_t)sizeof(pcap));
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	c = capture_open_file(path, err, sizeof(err));
	close(fds[0]);
	if (!c)
		fail_msg("capture_open_file: %s", err);
	assert_int_equal(capture_datalink(c), DLT_EN10MB);
	assert_packet(c, "xyz", DLT_EN10MB, 7000008);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

/* Regression (AFL++ on the whole binary): a pcap record's seconds of
 * 0xffffffff came from libpcap as -1, became a time near 2^64 microseconds,
 * and the summary's timeline wrapped its bucket arithmetic and wrote out of
 * bounds. Both fields are the format's unsigned 32-bit values. */
static void
test_capture_pcap_record_times_are_unsigned_32_bit(void **state)
{
	static const uint8_t pcap[] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
		/* 0xffffffff s + 5 µs, 1 byte */
		0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 'a',
		/* 7 s + 0xffffffff µs, 1 byte */
		7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 1, 0, 0, 0, 'b'};
	struct file f = {0};
	struct capture *c;

	(void)state;
	put(&f, pcap, sizeof(pcap));
	c = open_ok(&f);
	assert_packet(c, "a", DLT_EN10MB, (uint64_t)UINT32_MAX * 1000000u + 5);
	assert_packet(c, "b", DLT_EN10MB, 7000000u + (uint64_t)UINT32_MAX);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

/* The same bound for pcapng: whole-second units make a 64-bit timestamp
 * 10^6 times too big for microseconds, and if_tsoffset can point before
 * 1970 or past 2106; each is clamped to 0 .. 2^32 - 1 seconds. */
static void
test_capture_pcapng_times_are_clamped_to_the_pcap_range(void **state)
{
	struct file f = {0};
	struct capture *c;
	const uint64_t top = (uint64_t)UINT32_MAX * 1000000u;

	(void)state;
	shb(&f, false);
	idb(&f, 1, 0, 0, 0);		  /* whole seconds */
	idb(&f, 1, 0, 0, -1000);	  /* seconds, 1000 s back */
	idb(&f, 1, 0, 6, INT64_MAX);	  /* µs, an offset past any time */
	epb(&f, 0, UINT64_MAX, "max", 3); /* 2^64 - 1 s */
	epb(&f, 0, (uint64_t)1 << 44, "big", 3);
	epb(&f, 1, 10, "before", 6);  /* 10 s - 1000 s */
	epb(&f, 1, 1010, "after", 5); /* 10 s */
	epb(&f, 2, 1, "far", 3);
	c = open_ok(&f);
	assert_packet(c, "max", DLT_EN10MB, top);
	assert_packet(c, "big", DLT_EN10MB, top);
	assert_packet(c, "before", DLT_EN10MB, 0);
	assert_packet(c, "after", DLT_EN10MB, 10000000u);
	assert_packet(c, "far", DLT_EN10MB, top + 1);
	assert_int_equal(next(c).st, CAPTURE_END);
	capture_close(c);
}

static void
test_capture_drop_privileges_also_forbids_gaining_them_back(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip(); /* make check and CI run as root */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];

		/* In the child: 3 = the drop failed, else NoNewPrivs and the uid. */
		if (capture_drop_privileges("nobody", err, sizeof(err)) < 0)
			_exit(3);
		_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 && geteuid() != 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_capture_little_endian_file_gives_each_packet_its_interface_link_type),
		cmocka_unit_test(test_capture_big_endian_file_reads_the_same_packets),
		cmocka_unit_test(
			test_capture_sections_of_both_byte_orders_each_have_their_own_interfaces),
		cmocka_unit_test(
			test_capture_if_tsresol_power_of_two_and_if_tsoffset_give_microseconds),
		cmocka_unit_test(
			test_capture_block_whose_trailing_length_differs_is_an_error_after_the_packets_before_it),
		cmocka_unit_test(test_capture_packet_on_an_interface_out_of_range_is_an_error),
		cmocka_unit_test(test_capture_zero_length_epb_is_a_packet_of_no_bytes),
		cmocka_unit_test(
			test_capture_simple_packet_block_is_interface_0_at_the_previous_timestamp),
		cmocka_unit_test(test_capture_obsolete_packet_block_and_unknown_blocks_are_handled),
		cmocka_unit_test(test_capture_lengths_that_break_the_format_are_errors),
		cmocka_unit_test(
			test_capture_every_cut_of_a_file_is_an_end_or_an_error_never_a_crash),
		cmocka_unit_test(test_capture_file_without_an_interface_does_not_open),
		cmocka_unit_test(test_capture_filter_is_compiled_for_each_link_type_of_the_file),
		cmocka_unit_test(test_capture_progress_counts_the_bytes_read_of_the_file),
		cmocka_unit_test(test_capture_break_ends_a_pcapng_file_early),
		cmocka_unit_test(test_capture_pcap_file_from_a_pipe_is_still_read_by_libpcap),
		cmocka_unit_test(test_capture_pcap_record_times_are_unsigned_32_bit),
		cmocka_unit_test(test_capture_pcapng_times_are_clamped_to_the_pcap_range),
		cmocka_unit_test(test_capture_drop_privileges_also_forbids_gaining_them_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
