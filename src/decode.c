/*
 * decode.c - link, network and transport decoding (see decode.h).
 *
 * References: IEEE 802.1Q/802.1ad, the Linux SLL/SLL2 and BSD loopback
 * link-layer headers as documented by tcpdump.org's link-type list,
 * RFC 791 (IPv4), RFC 8200 (IPv6 and its extension headers), RFC 9293 (TCP),
 * RFC 768 (UDP).
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
	};
	return (unsigned)r < DECODE_RESULTS ? names[r] : "?";
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
	if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
		return DECODE_NOT_IP;
	return decode_ip(c, out);
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

	if ((proto == 4 || proto == 41) && !out->tunneled) {
		/* IP in IP (RFC 2003, RFC 4213): analyse the inner packet. */
		out->tunneled = true;
		return decode_ip(c, out);
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
