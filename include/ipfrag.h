/*
 * ipfrag.h - IPv4 and IPv6 fragment reassembly (RFC 791, RFC 8200 4.5,
 * RFC 5722), so that a TCP segment cut into fragments is analysed like any
 * other instead of being skipped (an evasion: a cleartext login in fragments
 * went unseen).
 *
 * Datagrams are keyed by (family, source, destination, protocol, id). Memory
 * is bounded: at most max_datagrams in progress and memcap bytes of fragment
 * data; beyond either, the least recently touched datagram is dropped
 * (counted). A datagram not complete within timeout_us of its first fragment
 * (packet time) is dropped (counted): its TCP segment is then missing, which
 * reassembly reports as a gap, never as absent bytes.
 *
 * Overlap policy: fragments may repeat bytes already received only with the
 * same values (a retransmission). An overlap that changes bytes is the
 * classic evasion (different views for the sensor and the host): the whole
 * datagram is dropped and counted, as RFC 5722 requires for IPv6 and as
 * Linux does for both families. A non-last fragment whose length is not a
 * multiple of 8, a datagram over 65,535 bytes, and fragments after the last
 * one's end are malformed: the datagram is dropped and counted.
 */
#ifndef TLSWATCH_IPFRAG_H
#define TLSWATCH_IPFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct ipfrag_config {
	size_t max_datagrams; /* in progress at once (default 4096) */
	size_t memcap;	      /* bytes of fragment data held (default 16 MiB) */
	uint64_t timeout_us;  /* from the first fragment (default 30 s) */
};

struct ipfrag_stats {
	uint64_t fragments;   /* fragments taken in */
	uint64_t reassembled; /* datagrams completed */
	uint64_t timeouts;    /* datagrams dropped incomplete after timeout_us */
	uint64_t evicted;     /* dropped for max_datagrams or memcap */
	uint64_t overlaps;    /* dropped: an overlap changed bytes */
	uint64_t malformed;   /* dropped: bad lengths or offsets */
	uint64_t uncaptured;  /* fragments cut by the snap length: not kept */
	uint64_t bytes_now;   /* fragment data held now */
};

struct ipfrag;

void ipfrag_config_defaults(struct ipfrag_config *c);
/* NULL when out of memory. */
struct ipfrag *ipfrag_new(const struct ipfrag_config *cfg);
void ipfrag_free(struct ipfrag *t);

/*
 * Takes the fragment decode_packet described in pk (DECODE_FRAGMENT) from
 * frame. When it completes its datagram, returns true with *out and *out_len
 * set to a frame of the same link type: this fragment's link-layer header,
 * then the whole datagram with a rebuilt IP header (IPv4: the first
 * fragment's header, total length and checksum updated, no fragment bits;
 * IPv6: the fixed header with the fragment header's next header: extension
 * headers before the fragment header are not kept). *out is valid until the
 * next call. Returns false otherwise (kept, or dropped and counted).
 */
bool ipfrag_add(struct ipfrag *t, const struct packet *pk, const uint8_t *frame, uint64_t ts_us,
		const uint8_t **out, size_t *out_len);
/* Drops the datagrams whose first fragment is older than the timeout. */
void ipfrag_expire(struct ipfrag *t, uint64_t now_us);
const struct ipfrag_stats *ipfrag_stats(const struct ipfrag *t);

#endif
