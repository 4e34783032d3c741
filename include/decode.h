/*
 * decode.h - link, network and transport decoding of one captured frame.
 *
 * Supported link types: Ethernet (with 802.1Q / 802.1ad / QinQ tags), Linux
 * cooked capture v1 and v2 (`-i any`), BSD NULL and LOOP, raw IP (DLT_RAW,
 * LINKTYPE_IPV4, LINKTYPE_IPV6). Network: IPv4 (options skipped, fragments
 * counted and not reassembled) and IPv6 (hop-by-hop, routing, destination
 * options, fragment, AH and mobility headers skipped). Transport: TCP, UDP
 * and SCTP (the payload is the chunks after the common header: sctp.h).
 *
 * Tunnels are opened and the inner packet is the one reported (its addresses,
 * ports and payload; the outer headers are only walked): IP-in-IP (protocol 4
 * and 41: 6in4, 4in6), GRE (RFC 2784/2890, protocol 47) carrying IP,
 * Ethernet (0x6558), MPLS or ERSPAN type I, II and III, VXLAN (RFC 7348, UDP
 * 4789), Geneve (RFC 8926, UDP 6081), MPLS label stacks (ethertype
 * 0x8847/0x8848, RFC 3032, with the RFC 4385 pseudowire control word before
 * an Ethernet payload), MPLS-in-UDP (RFC 7510, UDP 6635) and GRE-in-UDP
 * (RFC 8086, UDP 4754). At most DECODE_TUNNEL_MAX of them nest; a packet
 * with more is DECODE_TUNNEL_TOO_DEEP. Their DTLS variants (6636, 4755) are
 * not opened: they stay UDP sessions. Fragments inside a tunnel are
 * reported (DECODE_FRAGMENT, `tunneled` set) but not reassembled.
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

/* Encapsulations, as the packet record and the session list them; stable
 * names from decode_tunnel_name(). */
enum tunnel_kind {
	TUNNEL_NONE = 0,
	TUNNEL_IPIP,	    /* "ip-in-ip": IPv4/IPv6 in IPv4/IPv6 */
	TUNNEL_GRE,	    /* "gre" */
	TUNNEL_ERSPAN,	    /* "erspan": GRE carrying ERSPAN I, II or III */
	TUNNEL_VXLAN,	    /* "vxlan" */
	TUNNEL_GENEVE,	    /* "geneve" */
	TUNNEL_MPLS,	    /* "mpls": a label stack after an ethertype or in GRE */
	TUNNEL_MPLS_IN_UDP, /* "mpls-in-udp" (the label stack included) */
	TUNNEL_GRE_IN_UDP,  /* "gre-in-udp" */
	TUNNEL_KINDS,
};

/* Encapsulations opened per packet; one more is DECODE_TUNNEL_TOO_DEEP. */
#define DECODE_TUNNEL_MAX 4
/* Labels walked in one MPLS stack before it is called malformed. */
#define DECODE_MPLS_LABELS_MAX 16

struct packet {
	uint64_t ts_us;		  /* capture time, microseconds since the epoch */
	uint8_t family;		  /* 4 or 6 */
	uint8_t l4;		  /* 6 (TCP), 17 (UDP) or 132 (SCTP) */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint32_t seq, ack; /* TCP only */
	uint8_t tcp_flags;
	const uint8_t *l3; /* start of the IP header (for nDPI) */
	size_t l3_len;	   /* captured bytes from l3 on, trimmed to the IP length */
	const uint8_t *payload;
	size_t payload_len;   /* captured payload bytes */
	bool payload_cut;     /* the capture holds fewer bytes than the IP length says */
	bool tunneled;	      /* decoded from inside a tunnel (tunnel_depth > 0) */
	uint8_t tunnel_depth; /* encapsulations opened */
	uint8_t tunnels[DECODE_TUNNEL_MAX]; /* enum tunnel_kind, outermost first */
	uint8_t tunnel_bad; /* DECODE_TUNNEL_*: the encapsulation whose header failed */
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
	DECODE_OTHER_L4,  /* ICMP, ESP, ... */
	DECODE_FRAGMENT,  /* IP fragment: not reassembled */
	DECODE_TRUNCATED, /* headers cut by the snap length or the frame */
	DECODE_MALFORMED, /* impossible header values */
	/* A tunnel header (tunnel_bad names which) was cut short, held
	 * impossible values, or carried what is not decoded (GRE version 1,
	 * an unknown protocol type); or there were too many nested. */
	DECODE_TUNNEL_TRUNCATED,
	DECODE_TUNNEL_MALFORMED,
	DECODE_TUNNEL_UNSUPPORTED,
	DECODE_TUNNEL_TOO_DEEP,
	DECODE_RESULTS,
};

/* Decodes one frame of link type dlt (a DLT_* value from pcap_datalink()). */
enum decode_result decode_packet(int dlt, const uint8_t *frame, size_t caplen, struct packet *out);
/* True when decode_packet knows this link type. */
bool decode_link_supported(int dlt);
const char *decode_result_name(enum decode_result r);
/* "gre", "vxlan" ... for an enum tunnel_kind; "?" when out of range. */
const char *decode_tunnel_name(unsigned kind);
/* Writes the packet's or a session's tunnel list, outermost first, joined
 * by '/' ("vxlan", "gre/mpls"); "" when depth is 0. Returns out. */
char *decode_tunnel_list(const uint8_t *kinds, unsigned depth, char *out, size_t outsz);

#endif
