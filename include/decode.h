/*
 * decode.h - link, network and transport decoding of one captured frame.
 *
 * Supported link types: Ethernet (with 802.1Q / 802.1ad / QinQ tags), Linux
 * cooked capture v1 and v2 (`-i any`), BSD NULL and LOOP, raw IP (DLT_RAW,
 * LINKTYPE_IPV4, LINKTYPE_IPV6). Network: IPv4 (options skipped, fragments
 * counted and not reassembled) and IPv6 (hop-by-hop, routing, destination
 * options, fragment, AH and mobility headers skipped), with one level of
 * IP-in-IP tunnelling (protocol 4 and 41: 6in4, 4in6). Transport: TCP and UDP.
 *
 * Nothing is copied: the packet record points into the frame.
 */
#ifndef TLSWATCH_DECODE_H
#define TLSWATCH_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
};

struct packet {
	uint64_t ts_us;		  /* capture time, microseconds since the epoch */
	uint8_t family;		  /* 4 or 6 */
	uint8_t l4;		  /* 6 (TCP) or 17 (UDP) */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint32_t seq, ack; /* TCP only */
	uint8_t tcp_flags;
	const uint8_t *l3; /* start of the IP header (for nDPI) */
	size_t l3_len;	   /* captured bytes from l3 on, trimmed to the IP length */
	const uint8_t *payload;
	size_t payload_len; /* captured payload bytes */
	bool payload_cut;   /* the capture holds fewer bytes than the IP length says */
	bool tunneled;	    /* decoded from inside an IP-in-IP (6in4, 4in6 ...) tunnel */
	/* Set with DECODE_FRAGMENT: the fragment, for ipfrag.h. */
	struct {
		uint32_t id;	     /* IPv4 identification, or the IPv6 fragment header's */
		uint32_t offset;     /* bytes into the datagram's payload */
		bool more;	     /* more fragments follow */
		uint8_t proto;	     /* protocol (IPv6: the fragment header's next header) */
		uint16_t hdr_len;    /* IPv4 header bytes at l3 (kept from the first fragment) */
		const uint8_t *data; /* the fragment's bytes */
		size_t data_len;     /* ... all of them captured (else not a fragment to keep) */
	} frag;
};

enum decode_result {
	DECODE_OK = 0,
	DECODE_UNSUPPORTED_LINK,
	DECODE_NOT_IP,	  /* ARP, LLDP, ... */
	DECODE_OTHER_L4,  /* ICMP, SCTP, ... */
	DECODE_FRAGMENT,  /* IP fragment: not reassembled */
	DECODE_TRUNCATED, /* headers cut by the snap length or the frame */
	DECODE_MALFORMED, /* impossible header values */
	DECODE_RESULTS,
};

/* Decodes one frame of link type dlt (a DLT_* value from pcap_datalink()). */
enum decode_result decode_packet(int dlt, const uint8_t *frame, size_t caplen, struct packet *out);
/* True when decode_packet knows this link type. */
bool decode_link_supported(int dlt);
const char *decode_result_name(enum decode_result r);

#endif
