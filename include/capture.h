/*
 * capture.h - packet sources: saved captures (pcap through libpcap, pcapng
 * through a reader of our own that allows interfaces of different link
 * types in one file; "-" for standard input) and live interfaces through
 * libpcap, with a BPF filter.
 */
#ifndef TLSWATCH_CAPTURE_H
#define TLSWATCH_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct capture_live_opts {
	const char *iface;
	int snaplen; /* 0: libpcap's default (262144) */
	bool promisc;
	int buffer_kib; /* 0: libpcap's default */
	/* The AF_PACKET fanout group to join (0: none): PACKET_FANOUT_HASH, which
	 * hashes both directions of a flow alike, with PACKET_FANOUT_FLAG_DEFRAG
	 * so that the fragments of a datagram go to one member. Linux only. */
	int fanout_group;
	/* Packets handed over one by one as they come (libpcap's immediate
	 * mode) instead of in blocks of the ring. Off by default: on Linux it
	 * takes the TPACKET_V2 ring, whose fixed slots of an interface with
	 * offloads (veth, most NICs: 64 KiB frames) hold 32 packets in the
	 * default 2 MiB, and wakes the reader for every packet; a
	 * session-dense link then overruns it (docs/performance.md). */
	bool immediate;
};

struct capture;

/* Each returns NULL with one line in err on failure. */
struct capture *capture_open_file(const char *path, char *err, size_t errsz);
struct capture *capture_open_live(const struct capture_live_opts *o, char *err, size_t errsz);
/* Compiles and installs a BPF filter expression; -1 with err on failure. In a
 * pcapng file it is compiled for each link type met: one that appears later
 * and does not compile for it ends the file with CAPTURE_ERROR. */
int capture_set_filter(struct capture *c, const char *expr, char *err, size_t errsz);
/* The source's link type (DLT_*); for pcapng, its first interface's. Each
 * packet's own is the one capture_next gives. */
int capture_datalink(const struct capture *c);
/* libpcap's name of a link type ("EN10MB"), or "unknown". */
const char *capture_link_name(int dlt);
const char *capture_name(const struct capture *c);
bool capture_is_live(const struct capture *c);

enum capture_status {
	CAPTURE_PACKET,	 /* *frame, *caplen, *ts_us, *dlt are set */
	CAPTURE_TIMEOUT, /* live: no packet within the read timeout */
	CAPTURE_END,	 /* end of file, or the loop was broken */
	CAPTURE_ERROR,	 /* err is set (truncated or corrupt file, interface gone) */
};

/* *frame stays valid until the next call; *dlt is the packet's link type
 * (DLT_*), which in a pcapng file may differ from one interface to the next. */
enum capture_status capture_next(struct capture *c, const uint8_t **frame, size_t *caplen,
				 uint64_t *ts_us, int *dlt, char *err, size_t errsz);
/* The length on the wire of the packet capture_next gave last (more than
 * its caplen when the snapshot length cut it). */
size_t capture_wire_len(const struct capture *c);
/* The snapshot length: the pcap file's header, the live setting; 0 for a
 * pcapng file (each interface has its own). */
int capture_snaplen(const struct capture *c);
/* fn(ctx) is called when reading a file (a pipe) is about to wait for
 * bytes that have not come yet, from inside capture_next: the caller may
 * finish its work on the packets so far (NULL: nothing). */
void capture_on_wait(struct capture *c, void (*fn)(void *ctx), void *ctx);
/* Makes a blocked capture_next return CAPTURE_END (async-signal-safe). */
void capture_break(struct capture *c);
/* Live counters; false when unavailable. */
bool capture_counters(struct capture *c, uint64_t *received, uint64_t *dropped,
		      uint64_t *ifdropped);
/* For files: bytes read so far and the file size (0 when unknown, e.g. a pipe). */
void capture_progress(struct capture *c, uint64_t *done, uint64_t *total);
void capture_close(struct capture *c);

/* Lists the interfaces libpcap can capture on, as tcpdump -D does: one a
 * line, "N.NAME (DESCRIPTION) [Up, Running, Loopback]". -1 with err. */
int capture_list_interfaces(FILE *f, char *err, size_t errsz);

/*
 * -w: packets written to a pcap file as read. The file f (opened by the
 * caller, by outfile's rules, before privileges are dropped) is taken over
 * and closed by capture_dump_close. The file's link type is the first
 * packet's; a later packet of another link type (pcapng mixes them) cannot
 * go in a pcap file: it is skipped and counted.
 */
struct capture_dump;

struct capture_dump *capture_dump_new(FILE *f, const char *name);
/* 0, or -1 with err when the file could not be started. */
int capture_dump_packet(struct capture_dump *d, int dlt, const uint8_t *frame, size_t caplen,
			size_t wire_len, uint64_t ts_us, char *err, size_t errsz);
void capture_dump_flush(struct capture_dump *d);
/* Packets of another link type than the file's, skipped. */
uint64_t capture_dump_skipped(const struct capture_dump *d);
/* Flushes and closes; -1 with err when a write failed. */
int capture_dump_close(struct capture_dump *d, char *err, size_t errsz);

/* Switches to this user (and its groups) after the capture is open. */
int capture_drop_privileges(const char *user, char *err, size_t errsz);

#endif
