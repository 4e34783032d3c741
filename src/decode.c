/*
 * decode.c - link, network and transport decoding (see decode.h).
 *
 * References: IEEE 802.1Q/802.1ad, the Linux SLL/SLL2 and BSD loopback
 * link-layer headers as documented by tcpdump.org's link-type list,
 * RFC 791 (IPv4), RFC 8200 (IPv6 and its extension headers), RFC 9293 (TCP),
 * RFC 768 (UDP). Tunnels: RFC 2003 and RFC 4213 (IP in IP), RFC 2784 and
 * RFC 2890 (GRE with checksum, key and sequence number), RFC 1701 (the
 * routing bit, refused), the ERSPAN draft (draft-foschiano-erspan: type I
 * without a header, type II with 8 bytes, type III with 12 and an optional
 * 8-byte platform subheader), RFC 7348 (VXLAN), RFC 8926 (Geneve), RFC 3032
 * (MPLS label stack), RFC 4385 (pseudowire control word), RFC 4023 (MPLS in
 * GRE), RFC 7510 (MPLS-in-UDP), RFC 8086 (GRE-in-UDP).
 *
 * Tunnel parsing does not handle yet: GRE version 1 (PPTP's PPP payload),
 * VXLAN-GPE (4790), NSH, an MPLS payload that is neither IP nor a control
 * word followed by Ethernet (a pseudowire without control word is guessed by
 * its first nibble, as every decoder must), ERSPAN type III frame types other
 * than Ethernet and IP.
 */
#include "decode.h"

#include <pcap/dlt.h>
#include <string.h>

#include "cursor.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_TEB 0x6558	  /* transparent Ethernet bridging */
#define ETHERTYPE_ERSPAN_2 0x88be /* ERSPAN type I (no S bit) and II */
#define ETHERTYPE_ERSPAN_3 0x22eb

#define IP_PROTO_GRE 47
#define PORT_VXLAN 4789
#define PORT_GENEVE 6081
#define PORT_MPLS_IN_UDP 6635
#define PORT_GRE_IN_UDP 4754

#define GRE_C 0x8000 /* checksum present */
#define GRE_R 0x4000 /* RFC 1701 routing present */
#define GRE_K 0x2000 /* key present */
#define GRE_S 0x1000 /* sequence number present */
#define GRE_VERSION 0x0007

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

/* LINKTYPE_RAW (101) as libpcap may report it on some platforms. */
#define LINKTYPE_RAW 101

static enum decode_result decode_ip(struct cursor *c, struct packet *out);
static enum decode_result decode_ether(struct cursor *c, struct packet *out);
static enum decode_result decode_mpls(struct cursor *c, struct packet *out);

bool
decode_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

const char *
decode_result_name(enum decode_result r)
{
	static const char *const names[DECODE_RESULTS] = {
		[DECODE_OK] = "ok",
		[DECODE_UNSUPPORTED_LINK] = "unsupported-link",
		[DECODE_NOT_IP] = "not-ip",
		[DECODE_OTHER_L4] = "other-l4",
		[DECODE_FRAGMENT] = "fragment",
		[DECODE_TRUNCATED] = "truncated",
		[DECODE_MALFORMED] = "malformed",
		[DECODE_TUNNEL_TRUNCATED] = "tunnel-truncated",
		[DECODE_TUNNEL_MALFORMED] = "tunnel-malformed",
		[DECODE_TUNNEL_UNSUPPORTED] = "tunnel-unsupported",
		[DECODE_TUNNEL_TOO_DEEP] = "tunnel-too-deep",
	};
	return (unsigned)r < DECODE_RESULTS ? names[r] : "?";
}

const char *
decode_tunnel_name(unsigned kind)
{
	static const char *const names[TUNNEL_KINDS] = {
		[TUNNEL_NONE] = "none",
		[TUNNEL_IPIP] = "ip-in-ip",
		[TUNNEL_GRE] = "gre",
		[TUNNEL_ERSPAN] = "erspan",
		[TUNNEL_VXLAN] = "vxlan",
		[TUNNEL_GENEVE] = "geneve",
		[TUNNEL_MPLS] = "mpls",
		[TUNNEL_MPLS_IN_UDP] = "mpls-in-udp",
		[TUNNEL_GRE_IN_UDP] = "gre-in-udp",
	};
	return kind < TUNNEL_KINDS ? names[kind] : "?";
}

char *
decode_tunnel_list(const uint8_t *kinds, unsigned depth, char *out, size_t outsz)
{
	size_t n = 0;

	if (outsz == 0)
		return out;
	out[0] = '\0';
	for (unsigned i = 0; i < depth && i < DECODE_TUNNEL_MAX; i++) {
		const char *name = decode_tunnel_name(kinds[i]);
		size_t len = strlen(name) + (i ? 1 : 0);

		if (n + len >= outsz)
			break;
		if (i)
			out[n++] = '/';
		memcpy(out + n, name, strlen(name) + 1);
		n += strlen(name);
	}
	return out;
}

/* Opens one more encapsulation of this kind; false (and the kind noted as
 * the one that failed) when DECODE_TUNNEL_MAX are open already. */
static bool
tunnel_enter(struct packet *out, enum tunnel_kind kind)
{
	if (out->tunnel_depth >= DECODE_TUNNEL_MAX) {
		out->tunnel_bad = (uint8_t)kind;
		return false;
	}
	out->tunnels[out->tunnel_depth++] = (uint8_t)kind;
	out->tunneled = true;
	return true;
}

/* A tunnel header's failure, with the encapsulation it belongs to. */
static enum decode_result
tunnel_fail(struct packet *out, enum tunnel_kind kind, enum decode_result r)
{
	out->tunnel_bad = (uint8_t)kind;
	return r;
}

/* The inner bytes of an encapsulation: what is captured, never more than
 * the outer header says it carries (an Ethernet trailer is not inner). */
static struct cursor
tunnel_inner(const struct cursor *c, size_t len)
{
	struct cursor in = *c;

	if (in.len > len)
		in.len = len;
	return in;
}

/* Skips VLAN tags, then returns the ethertype in *type. */
static bool
decode_ethertype(struct cursor *c, uint16_t *type)
{
	if (!cursor_get_u16(c, type))
		return false;
	for (int tags = 0; tags < 4; tags++) {
		if (*type != ETHERTYPE_VLAN && *type != ETHERTYPE_QINQ &&
		    *type != ETHERTYPE_QINQ_OLD)
			return true;
		if (!cursor_skip(c, 2) || !cursor_get_u16(c, type))
			return false;
	}
	return true;
}

static enum decode_result
decode_by_ethertype(struct cursor *c, uint16_t type, struct packet *out)
{
	if (type == ETHERTYPE_MPLS || type == ETHERTYPE_MPLS_MC) {
		if (!tunnel_enter(out, TUNNEL_MPLS))
			return DECODE_TUNNEL_TOO_DEEP;
		return decode_mpls(c, out);
	}
	if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
		return DECODE_NOT_IP;
	return decode_ip(c, out);
}

/* An Ethernet frame inside a tunnel (VXLAN, Geneve, GRE 0x6558, ERSPAN,
 * a pseudowire): addresses skipped, then VLAN tags and the ethertype. */
static enum decode_result
decode_ether(struct cursor *c, struct packet *out)
{
	uint16_t type;

	if (!cursor_skip(c, 12) || !decode_ethertype(c, &type))
		return DECODE_TRUNCATED;
	return decode_by_ethertype(c, type, out);
}

/*
 * An MPLS label stack (RFC 3032), its encapsulation already entered: labels
 * up to the bottom-of-stack bit, then the payload guessed from its first
 * nibble as MPLS itself offers no type: 4 IPv4, 6 IPv6, 0 a pseudowire
 * control word (RFC 4385) and then an Ethernet frame. The kind that failed
 * is the one entered last (mpls or mpls-in-udp).
 */
static enum decode_result
decode_mpls(struct cursor *c, struct packet *out)
{
	enum tunnel_kind kind = (enum tunnel_kind)out->tunnels[out->tunnel_depth - 1];
	uint32_t entry;
	int n;

	for (n = 0; n < DECODE_MPLS_LABELS_MAX; n++) {
		if (!cursor_get_u32(c, &entry))
			return tunnel_fail(out, kind, DECODE_TUNNEL_TRUNCATED);
		if (entry & 0x100) /* bottom of stack */
			break;
	}
	if (n == DECODE_MPLS_LABELS_MAX)
		return tunnel_fail(out, kind, DECODE_TUNNEL_MALFORMED);
	if (c->len < 1)
		return tunnel_fail(out, kind, DECODE_TUNNEL_TRUNCATED);
	switch (c->p[0] >> 4) {
	case 4:
	case 6:
		return decode_ip(c, out);
	case 0:
		if (!cursor_skip(c, 4))
			return tunnel_fail(out, kind, DECODE_TUNNEL_TRUNCATED);
		return decode_ether(c, out);
	default:
		return tunnel_fail(out, kind, DECODE_TUNNEL_UNSUPPORTED);
	}
}

/*
 * ERSPAN (GRE protocol 0x88be or 0x22eb) after its GRE header: type I has
 * no header of its own (0x88be without the GRE sequence bit), type II 8
 * bytes (version 1), type III 12 (version 2) and 8 more when the O bit says
 * a platform-specific subheader follows. The mirrored frame is Ethernet
 * (type III's frame type 2: IP).
 */
static enum decode_result
decode_erspan(struct cursor *c, uint16_t proto, bool seq, struct packet *out)
{
	struct cursor h = *c;
	uint16_t ver_vlan, word;
	uint32_t skip32;

	if (proto == ETHERTYPE_ERSPAN_2 && !seq)
		return decode_ether(c, out); /* type I */
	if (!cursor_get_u16(&h, &ver_vlan))
		return tunnel_fail(out, TUNNEL_ERSPAN, DECODE_TUNNEL_TRUNCATED);
	if (proto == ETHERTYPE_ERSPAN_2) {
		if (ver_vlan >> 12 != 1)
			return tunnel_fail(out, TUNNEL_ERSPAN, DECODE_TUNNEL_MALFORMED);
		if (!cursor_skip(c, 8))
			return tunnel_fail(out, TUNNEL_ERSPAN, DECODE_TUNNEL_TRUNCATED);
		return decode_ether(c, out);
	}
	if (ver_vlan >> 12 != 2)
		return tunnel_fail(out, TUNNEL_ERSPAN, DECODE_TUNNEL_MALFORMED);
	/* session word, timestamp, SGT, then P(1) FT(5) HW ID(6) D(1) Gra(2) O(1) */
	if (!cursor_skip(&h, 2) || !cursor_get_u32(&h, &skip32) || !cursor_skip(&h, 2) ||
	    !cursor_get_u16(&h, &word))
		return tunnel_fail(out, TUNNEL_ERSPAN, DECODE_TUNNEL_TRUNCATED);
	if ((word & 1) && !cursor_skip(&h, 8))
		return tunnel_fail(out, TUNNEL_ERSPAN, DECODE_TUNNEL_TRUNCATED);
	*c = h;
	switch ((word >> 10) & 0x1f) {
	case 0:
		return decode_ether(c, out);
	case 2:
		return decode_ip(c, out);
	default:
		return tunnel_fail(out, TUNNEL_ERSPAN, DECODE_TUNNEL_UNSUPPORTED);
	}
}

/*
 * A GRE header (RFC 2784, RFC 2890) and what it carries: IP, Ethernet,
 * MPLS or ERSPAN. kind is TUNNEL_GRE, or TUNNEL_GRE_IN_UDP when the header
 * came in UDP (not entered yet: ERSPAN in plain GRE is entered as erspan).
 * The checksum is not verified: a tap copies what was sent.
 */
static enum decode_result
decode_gre(struct cursor *c, enum tunnel_kind kind, struct packet *out)
{
	uint16_t flags, proto;
	size_t opt;
	enum tunnel_kind entered = kind;

	if (!cursor_get_u16(c, &flags) || !cursor_get_u16(c, &proto))
		return tunnel_fail(out, kind, DECODE_TUNNEL_TRUNCATED);
	if ((flags & GRE_VERSION) != 0 || (flags & GRE_R))
		return tunnel_fail(out, kind, DECODE_TUNNEL_UNSUPPORTED);
	opt = ((flags & GRE_C) ? 4 : 0) + ((flags & GRE_K) ? 4 : 0) + ((flags & GRE_S) ? 4 : 0);
	if (!cursor_skip(c, opt))
		return tunnel_fail(out, kind, DECODE_TUNNEL_TRUNCATED);
	if (kind == TUNNEL_GRE && (proto == ETHERTYPE_ERSPAN_2 || proto == ETHERTYPE_ERSPAN_3))
		entered = TUNNEL_ERSPAN;
	if (!tunnel_enter(out, entered))
		return DECODE_TUNNEL_TOO_DEEP;
	switch (proto) {
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
		return decode_ip(c, out);
	case ETHERTYPE_TEB:
		return decode_ether(c, out);
	case ETHERTYPE_ERSPAN_2:
	case ETHERTYPE_ERSPAN_3:
		return decode_erspan(c, proto, (flags & GRE_S) != 0, out);
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		if (!tunnel_enter(out, TUNNEL_MPLS))
			return DECODE_TUNNEL_TOO_DEEP;
		return decode_mpls(c, out);
	default:
		return tunnel_fail(out, entered, DECODE_TUNNEL_UNSUPPORTED);
	}
}

/* VXLAN (RFC 7348): flags with the I bit, reserved, VNI, reserved; then an
 * Ethernet frame. */
static enum decode_result
decode_vxlan(struct cursor *c, struct packet *out)
{
	uint8_t flags;

	if (!tunnel_enter(out, TUNNEL_VXLAN))
		return DECODE_TUNNEL_TOO_DEEP;
	if (!cursor_get_u8(c, &flags) || !cursor_skip(c, 7))
		return tunnel_fail(out, TUNNEL_VXLAN, DECODE_TUNNEL_TRUNCATED);
	if (!(flags & 0x08))
		return tunnel_fail(out, TUNNEL_VXLAN, DECODE_TUNNEL_MALFORMED);
	return decode_ether(c, out);
}

/* Geneve (RFC 8926): version 0, options length in 4-byte words, protocol
 * type (Ethernet or IP), VNI; the options are skipped. */
static enum decode_result
decode_geneve(struct cursor *c, struct packet *out)
{
	uint8_t ver_len, flags;
	uint16_t proto;

	if (!tunnel_enter(out, TUNNEL_GENEVE))
		return DECODE_TUNNEL_TOO_DEEP;
	if (!cursor_get_u8(c, &ver_len) || !cursor_get_u8(c, &flags) ||
	    !cursor_get_u16(c, &proto) || !cursor_skip(c, 4))
		return tunnel_fail(out, TUNNEL_GENEVE, DECODE_TUNNEL_TRUNCATED);
	if (ver_len >> 6 != 0)
		return tunnel_fail(out, TUNNEL_GENEVE, DECODE_TUNNEL_MALFORMED);
	if (!cursor_skip(c, (size_t)(ver_len & 0x3f) * 4))
		return tunnel_fail(out, TUNNEL_GENEVE, DECODE_TUNNEL_TRUNCATED);
	switch (proto) {
	case ETHERTYPE_TEB:
		return decode_ether(c, out);
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
		return decode_ip(c, out);
	default:
		return tunnel_fail(out, TUNNEL_GENEVE, DECODE_TUNNEL_UNSUPPORTED);
	}
}

/* A UDP destination port that is a tunnel's (not its DTLS variant's). */
static bool
udp_tunnel_port(uint16_t dport)
{
	return dport == PORT_VXLAN || dport == PORT_GENEVE || dport == PORT_MPLS_IN_UDP ||
	       dport == PORT_GRE_IN_UDP;
}

/* The payload of a UDP datagram sent to a tunnel port, opened. */
static enum decode_result
decode_udp_tunnel(struct cursor *c, uint16_t dport, struct packet *out)
{
	switch (dport) {
	case PORT_VXLAN:
		return decode_vxlan(c, out);
	case PORT_GENEVE:
		return decode_geneve(c, out);
	case PORT_MPLS_IN_UDP:
		if (!tunnel_enter(out, TUNNEL_MPLS_IN_UDP))
			return DECODE_TUNNEL_TOO_DEEP;
		return decode_mpls(c, out);
	default: /* PORT_GRE_IN_UDP */
		return decode_gre(c, TUNNEL_GRE_IN_UDP, out);
	}
}

enum decode_result
decode_packet(int dlt, const uint8_t *frame, size_t caplen, struct packet *out)
{
	struct cursor c;
	uint16_t type;
	uint32_t af;
	uint64_t ts_us = out->ts_us;

	/* Every field comes from this frame: a record reused across frames must
	 * not keep, say, `tunneled` (which would also stop the next tunnel from
	 * being decoded) or a TCP packet's flags on a UDP one. The timestamp is
	 * the caller's. */
	memset(out, 0, sizeof(*out));
	out->ts_us = ts_us;
	cursor_init(&c, frame, caplen);
	switch (dlt) {
	case DLT_EN10MB:
		if (!cursor_skip(&c, 12) || !decode_ethertype(&c, &type))
			return DECODE_TRUNCATED;
		return decode_by_ethertype(&c, type, out);
	case DLT_LINUX_SLL:
		/* packet type, ARPHRD, address length, 8 address bytes, protocol */
		if (!cursor_skip(&c, 14) || !decode_ethertype(&c, &type))
			return DECODE_TRUNCATED;
		return decode_by_ethertype(&c, type, out);
	case DLT_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, packet type, addr len, 8 addr */
		if (!cursor_get_u16(&c, &type) || !cursor_skip(&c, 18))
			return DECODE_TRUNCATED;
		if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
			if (!cursor_skip(&c, 2) || !decode_ethertype(&c, &type))
				return DECODE_TRUNCATED;
		}
		return decode_by_ethertype(&c, type, out);
	case DLT_NULL:
	case DLT_LOOP:
		/* 4-byte address family: host order for NULL, network order for LOOP.
		 * The IP version nibble is a safer guide than the family values,
		 * which differ between systems. */
		if (!cursor_get_u32(&c, &af))
			return DECODE_TRUNCATED;
		return decode_ip(&c, out);
	case DLT_RAW:
	case LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return decode_ip(&c, out);
	default:
		return DECODE_UNSUPPORTED_LINK;
	}
}

static enum decode_result
decode_l4(struct cursor *c, uint8_t proto, size_t ip_payload_len, bool cut, struct packet *out)
{
	struct cursor l4 = *c;
	uint16_t u16;
	uint8_t off_flags, flags;
	size_t hlen;

	if (proto == 4 || proto == 41) {
		/* IP in IP (RFC 2003, RFC 4213): analyse the inner packet. */
		struct cursor in = tunnel_inner(c, ip_payload_len);

		if (!tunnel_enter(out, TUNNEL_IPIP))
			return DECODE_TUNNEL_TOO_DEEP;
		return decode_ip(&in, out);
	}
	if (proto == IP_PROTO_GRE) {
		struct cursor in = tunnel_inner(c, ip_payload_len);

		return decode_gre(&in, TUNNEL_GRE, out);
	}
	out->l4 = proto;
	if (proto == 6) {
		if (!cursor_get_u16(&l4, &out->sport) || !cursor_get_u16(&l4, &out->dport) ||
		    !cursor_get_u32(&l4, &out->seq) || !cursor_get_u32(&l4, &out->ack) ||
		    !cursor_get_u8(&l4, &off_flags) || !cursor_get_u8(&l4, &flags))
			return DECODE_TRUNCATED;
		hlen = (size_t)(off_flags >> 4) * 4;
		if (hlen < 20 || hlen > ip_payload_len)
			return DECODE_MALFORMED;
		if (!cursor_skip(c, hlen))
			return DECODE_TRUNCATED;
		out->tcp_flags = flags;
		(void)u16;
	} else if (proto == 17) {
		if (!cursor_get_u16(&l4, &out->sport) || !cursor_get_u16(&l4, &out->dport))
			return DECODE_TRUNCATED;
		hlen = 8;
		if (hlen > ip_payload_len)
			return DECODE_MALFORMED;
		if (!cursor_skip(c, hlen))
			return DECODE_TRUNCATED;
		if (udp_tunnel_port(out->dport)) {
			struct cursor in = tunnel_inner(c, ip_payload_len - hlen);
			uint16_t dport = out->dport;

			/* The outer ports are not the flow's: the inner packet's are. */
			out->sport = out->dport = 0;
			return decode_udp_tunnel(&in, dport, out);
		}
	} else if (proto == 132) {
		/* SCTP (RFC 9260): the common header (ports, verification tag,
		 * CRC32c, not checked), then the chunks are the payload. */
		if (!cursor_get_u16(&l4, &out->sport) || !cursor_get_u16(&l4, &out->dport))
			return DECODE_TRUNCATED;
		hlen = 12;
		if (hlen > ip_payload_len)
			return DECODE_MALFORMED;
		if (!cursor_skip(c, hlen))
			return DECODE_TRUNCATED;
	} else {
		return DECODE_OTHER_L4;
	}
	ip_payload_len -= hlen;
	out->payload = c->p;
	out->payload_len = c->len < ip_payload_len ? c->len : ip_payload_len;
	out->payload_cut = cut || c->len < ip_payload_len;
	return DECODE_OK;
}

static enum decode_result
decode_ipv4(struct cursor *c, struct packet *out)
{
	struct cursor ip = *c;
	uint8_t vihl, proto;
	uint16_t total, id, frag;
	size_t hlen;
	bool cut = false;

	if (!cursor_get_u8(&ip, &vihl) || !cursor_skip(&ip, 1) || !cursor_get_u16(&ip, &total) ||
	    !cursor_get_u16(&ip, &id) || !cursor_get_u16(&ip, &frag) || !cursor_skip(&ip, 1) ||
	    !cursor_get_u8(&ip, &proto) || !cursor_skip(&ip, 2))
		return DECODE_TRUNCATED;
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < 20 || total < hlen)
		return DECODE_MALFORMED;
	if (cursor_remaining(&ip) < 8)
		return DECODE_TRUNCATED;
	out->family = 4;
	memset(out->src, 0, sizeof(out->src));
	memset(out->dst, 0, sizeof(out->dst));
	memcpy(out->src, ip.p, 4);
	memcpy(out->dst, ip.p + 4, 4);
	out->l3 = c->p;
	if (c->len < total) {
		cut = true;
		out->l3_len = c->len;
	} else {
		out->l3_len = total;
	}
	if (frag & 0x3fff) { /* MF set or offset non-zero */
		out->frag.id = id;
		out->frag.offset = (uint32_t)(frag & 0x1fff) * 8;
		out->frag.more = (frag & 0x2000) != 0;
		out->frag.proto = proto;
		out->frag.hdr_len = (uint16_t)hlen;
		if (!cut && c->len >= total) {
			out->frag.data = c->p + hlen;
			out->frag.data_len = total - hlen;
		}
		return DECODE_FRAGMENT;
	}
	if (!cursor_skip(c, hlen))
		return DECODE_TRUNCATED;
	return decode_l4(c, proto, total - hlen, cut, out);
}

static enum decode_result
decode_ipv6(struct cursor *c, struct packet *out)
{
	struct cursor ip = *c;
	uint16_t plen;
	uint8_t next, hlen8;
	bool cut = false;

	if (!cursor_skip(&ip, 4) || !cursor_get_u16(&ip, &plen) || !cursor_get_u8(&ip, &next) ||
	    !cursor_skip(&ip, 1) || cursor_remaining(&ip) < 32)
		return DECODE_TRUNCATED;
	out->family = 6;
	memcpy(out->src, ip.p, 16);
	memcpy(out->dst, ip.p + 16, 16);
	out->l3 = c->p;
	if (c->len < (size_t)plen + 40) {
		cut = true;
		out->l3_len = c->len;
	} else {
		out->l3_len = (size_t)plen + 40;
	}
	cursor_skip(c, 40);
	/* Walk the extension header chain (a bounded number of them). */
	for (int i = 0; i < 8; i++) {
		struct cursor ext = *c;
		size_t elen;

		switch (next) {
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
			if (!cursor_get_u8(&ext, &next) || !cursor_get_u8(&ext, &hlen8))
				return DECODE_TRUNCATED;
			elen = ((size_t)hlen8 + 1) * 8;
			break;
		case 51: /* AH: length in 4-byte units minus 2 */
			if (!cursor_get_u8(&ext, &next) || !cursor_get_u8(&ext, &hlen8))
				return DECODE_TRUNCATED;
			elen = ((size_t)hlen8 + 2) * 4;
			break;
		case 44: { /* fragment (RFC 8200 4.5) */
			uint16_t offm;
			uint32_t id;

			if (!cursor_get_u8(&ext, &next) || !cursor_skip(&ext, 1) ||
			    !cursor_get_u16(&ext, &offm) || !cursor_get_u32(&ext, &id))
				return DECODE_TRUNCATED;
			if (plen < 8)
				return DECODE_MALFORMED;
			if (offm & 0xfff9) { /* offset != 0 or more fragments */
				out->frag.id = id;
				out->frag.offset = (uint32_t)(offm & 0xfff8);
				out->frag.more = (offm & 1) != 0;
				out->frag.proto = next;
				if (!cut && c->len >= plen) {
					out->frag.data = c->p + 8;
					out->frag.data_len = (size_t)plen - 8;
				}
				return DECODE_FRAGMENT;
			}
			elen = 8;
			break;
		}
		default:
			goto done;
		}
		if (elen > plen)
			return DECODE_MALFORMED;
		if (!cursor_skip(c, elen))
			return DECODE_TRUNCATED;
		plen -= (uint16_t)elen;
	}
	return DECODE_MALFORMED; /* too many extension headers */
done:
	return decode_l4(c, next, plen, cut, out);
}

static enum decode_result
decode_ip(struct cursor *c, struct packet *out)
{
	uint8_t v;

	if (c->len < 1)
		return DECODE_TRUNCATED;
	v = c->p[0] >> 4;
	if (v == 4)
		return decode_ipv4(c, out);
	if (v == 6)
		return decode_ipv6(c, out);
	return DECODE_NOT_IP;
}
