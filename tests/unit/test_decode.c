/*
 * test_decode.c - unit tests for link, network and transport decoding
 * (src/decode.c).
 *
 * Frames are built byte by byte with the small writers below (no checksums:
 * the decoder does not verify them). Every decode runs on a heap copy of
 * exactly caplen bytes, so AddressSanitizer catches any read past the frame.
 * Addresses are loopback and documentation addresses; nothing is sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pcap/dlt.h>

#include "decode.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* ---- frame writer ---- */

struct frame {
	uint8_t b[4096];
	size_t n;
};

static void
put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
put_zeros(struct frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, 0);
}

static const uint8_t ip4_client[4] = {127, 0, 0, 1};
static const uint8_t ip4_server[4] = {127, 0, 0, 2};
/* 2001:db8::1 and 2001:db8::2 (documentation prefix) */
static const uint8_t ip6_client[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t ip6_server[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static const char PAYLOAD[] = "EHLO client.example\r\n";
#define PAYLOAD_LEN (sizeof(PAYLOAD) - 1)

/* Destination and source MAC, then the first ethertype. */
static void
put_eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	put(f, macs, sizeof(macs));
	put16(f, type);
}

/* An IPv4 header of ihl words whose total length covers l4_len more bytes. */
static void
put_ipv4_opts(struct frame *f, uint8_t proto, size_t l4_len, uint8_t ihl, uint16_t frag)
{
	put8(f, (uint8_t)(0x40 | ihl));
	put8(f, 0);
	put16(f, (uint16_t)(ihl * 4 + l4_len));
	put16(f, 0x1234); /* id */
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0); /* checksum */
	put(f, ip4_client, 4);
	put(f, ip4_server, 4);
	for (int i = 5; i < ihl; i++)
		put32(f, 0x01010101); /* NOP options */
}

static void
put_ipv4(struct frame *f, uint8_t proto, size_t l4_len)
{
	put_ipv4_opts(f, proto, l4_len, 5, 0x4000 /* DF */);
}

static void
put_ipv6(struct frame *f, uint8_t next, size_t plen)
{
	put32(f, 0x60000000);
	put16(f, (uint16_t)plen);
	put8(f, next);
	put8(f, 64);
	put(f, ip6_client, 16);
	put(f, ip6_server, 16);
}

/* A TCP header of doff words (NOP options past the first 20 bytes). */
static void
put_tcp_doff(struct frame *f, uint8_t doff)
{
	put16(f, 40000);
	put16(f, 25);
	put32(f, 0x01020304);
	put32(f, 0xa0b0c0d0);
	put8(f, (uint8_t)(doff << 4));
	put8(f, TCP_PSH | TCP_ACK);
	put16(f, 65535); /* window */
	put16(f, 0);	 /* checksum */
	put16(f, 0);	 /* urgent */
	for (int i = 5; i < doff; i++)
		put32(f, 0x01010101);
}

static void
put_tcp(struct frame *f)
{
	put_tcp_doff(f, 5);
}

static void
put_udp(struct frame *f, size_t payload_len)
{
	put16(f, 5353);
	put16(f, 53);
	put16(f, (uint16_t)(8 + payload_len));
	put16(f, 0);
}

static void
put_payload(struct frame *f)
{
	put(f, PAYLOAD, PAYLOAD_LEN);
}

/* Ethernet + IPv4 + TCP + PAYLOAD. */
static void
build_eth_ipv4_tcp(struct frame *f)
{
	f->n = 0;
	put_eth(f, 0x0800);
	put_ipv4(f, 6, 20 + PAYLOAD_LEN);
	put_tcp(f);
	put_payload(f);
}

/* ---- decoding on an exact-size heap copy ---- */

struct decoded {
	enum decode_result r;
	struct packet pk;
	uint8_t *copy; /* the bytes decoded (pointers in pk point here) */
};

static enum decode_result
decode_copy(struct decoded *d, int dlt, const uint8_t *frame, size_t caplen)
{
	free(d->copy);
	d->copy = malloc(caplen ? caplen : 1);
	assert_non_null(d->copy);
	if (caplen)
		memcpy(d->copy, frame, caplen);
	memset(&d->pk, 0, sizeof(d->pk));
	d->r = decode_packet(dlt, d->copy, caplen, &d->pk);
	return d->r;
}

static void
decoded_free(struct decoded *d)
{
	free(d->copy);
	d->copy = NULL;
}

/* Offset of the decoded payload in the decoded frame. */
static size_t
payload_offset(const struct decoded *d)
{
	assert_non_null(d->pk.payload);
	assert_true(d->pk.payload >= d->copy);
	return (size_t)(d->pk.payload - d->copy);
}

static void
assert_tcp4_identity(const struct packet *pk)
{
	assert_int_equal(pk->family, 4);
	assert_int_equal(pk->l4, 6);
	assert_memory_equal(pk->src, ip4_client, 4);
	assert_memory_equal(pk->dst, ip4_server, 4);
	for (int i = 4; i < 16; i++) {
		assert_int_equal(pk->src[i], 0);
		assert_int_equal(pk->dst[i], 0);
	}
	assert_int_equal(pk->sport, 40000);
	assert_int_equal(pk->dport, 25);
	assert_int_equal(pk->seq, 0x01020304);
	assert_int_equal(pk->ack, 0xa0b0c0d0);
	assert_int_equal(pk->tcp_flags, TCP_PSH | TCP_ACK);
}

static void
assert_payload_is(const struct decoded *d, size_t off)
{
	assert_int_equal(payload_offset(d), off);
	assert_int_equal(d->pk.payload_len, PAYLOAD_LEN);
	assert_memory_equal(d->pk.payload, PAYLOAD, PAYLOAD_LEN);
	assert_false(d->pk.payload_cut);
}

/* ---- Ethernet ---- */

static void
test_decode_ethernet_ipv4_tcp_frame_gives_addresses_ports_flags_and_payload(void **state)
{
	struct frame f;
	struct decoded d = {0};

	(void)state;
	build_eth_ipv4_tcp(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_tcp4_identity(&d.pk);
	assert_payload_is(&d, 14 + 20 + 20);
	assert_ptr_equal(d.pk.l3, d.copy + 14);
	assert_int_equal(d.pk.l3_len, 20 + 20 + PAYLOAD_LEN);
	assert_false(d.pk.tunneled);
	decoded_free(&d);
}

static void
test_decode_ethernet_with_one_8021q_tag_reaches_the_ip_header(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x8100);
	put16(&f, 0x0064); /* TCI: VLAN 100 */
	put16(&f, 0x0800);
	put_ipv4(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_tcp4_identity(&d.pk);
	assert_ptr_equal(d.pk.l3, d.copy + 18);
	assert_payload_is(&d, 18 + 40);
	decoded_free(&d);
}

static void
test_decode_ethernet_with_qinq_8021ad_and_8021q_tags_reaches_the_ip_header(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x88a8);
	put16(&f, 0x00c8); /* S-tag */
	put16(&f, 0x8100);
	put16(&f, 0x0064); /* C-tag */
	put16(&f, 0x86dd);
	put_ipv6(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.family, 6);
	assert_int_equal(d.pk.l4, 6);
	assert_memory_equal(d.pk.src, ip6_client, 16);
	assert_memory_equal(d.pk.dst, ip6_server, 16);
	assert_ptr_equal(d.pk.l3, d.copy + 22);
	assert_int_equal(d.pk.l3_len, 40 + 20 + PAYLOAD_LEN);
	assert_payload_is(&d, 22 + 60);
	decoded_free(&d);
}

static void
test_decode_ethernet_padding_is_trimmed_by_the_ipv4_total_length(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	/* A 2-byte segment: 14 + 20 + 20 + 2 = 56, padded to the 60-byte minimum. */
	put_eth(&f, 0x0800);
	put_ipv4(&f, 6, 20 + 2);
	put_tcp(&f);
	put(&f, "ok", 2);
	put(&f, "\xee\xee\xee\xee", 4); /* padding that looks like data */
	assert_int_equal(f.n, 60);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.payload_len, 2);
	assert_memory_equal(d.pk.payload, "ok", 2);
	assert_false(d.pk.payload_cut);
	assert_int_equal(d.pk.l3_len, 42);
	decoded_free(&d);
}

static void
test_decode_ethernet_padding_after_a_bare_ack_gives_no_payload(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0800);
	put_ipv4(&f, 6, 20);
	put_tcp(&f);
	put_zeros(&f, 6);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.payload_len, 0);
	assert_false(d.pk.payload_cut);
	assert_int_equal(d.pk.l3_len, 40);
	decoded_free(&d);
}

static void
test_decode_ethernet_trailer_after_ipv6_is_not_payload(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x86dd);
	put_ipv6(&f, 17, 8 + 3);
	put_udp(&f, 3);
	put(&f, "abc", 3);
	put(&f, "FCS!", 4); /* a captured frame check sequence */
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.l4, 17);
	assert_int_equal(d.pk.payload_len, 3);
	assert_memory_equal(d.pk.payload, "abc", 3);
	assert_int_equal(d.pk.l3_len, 40 + 8 + 3);
	assert_false(d.pk.payload_cut);
	decoded_free(&d);
}

static void
test_decode_arp_frame_is_not_ip(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0806);
	put16(&f, 1);	   /* hardware: Ethernet */
	put16(&f, 0x0800); /* protocol: IPv4 */
	put8(&f, 6);
	put8(&f, 4);
	put16(&f, 1); /* request */
	put_zeros(&f, 6);
	put(&f, ip4_client, 4);
	put_zeros(&f, 6);
	put(&f, ip4_server, 4);
	put_zeros(&f, 18);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_NOT_IP);
	decoded_free(&d);
}

static void
test_decode_ethertype_ip_with_a_bad_version_nibble_is_not_ip(void **state)
{
	struct frame f;
	struct decoded d = {0};

	(void)state;
	build_eth_ipv4_tcp(&f);
	f.b[14] = 0x55;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_NOT_IP);
	decoded_free(&d);
}

/* ---- other link types ---- */

static void
test_decode_linux_sll_frame_reaches_the_ip_header(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put16(&f, 0); /* packet type: to us */
	put16(&f, 1); /* ARPHRD_ETHER */
	put16(&f, 6); /* address length */
	put(&f, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
	put16(&f, 0x0800);
	put_ipv4(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_LINUX_SLL, f.b, f.n), DECODE_OK);
	assert_tcp4_identity(&d.pk);
	assert_ptr_equal(d.pk.l3, d.copy + 16);
	assert_payload_is(&d, 16 + 40);
	decoded_free(&d);
}

static void
test_decode_linux_sll2_frame_reaches_the_ipv6_header(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put16(&f, 0x86dd); /* protocol */
	put16(&f, 0);	   /* reserved */
	put32(&f, 2);	   /* interface index */
	put16(&f, 1);	   /* ARPHRD_ETHER */
	put8(&f, 4);	   /* packet type: outgoing */
	put8(&f, 6);	   /* address length */
	put(&f, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
	put_ipv6(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_LINUX_SLL2, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.family, 6);
	assert_memory_equal(d.pk.src, ip6_client, 16);
	assert_ptr_equal(d.pk.l3, d.copy + 20);
	assert_payload_is(&d, 20 + 60);
	decoded_free(&d);
}

static void
test_decode_linux_sll2_arp_is_not_ip(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put16(&f, 0x0806);
	put_zeros(&f, 18);
	put_zeros(&f, 28);
	assert_int_equal(decode_copy(&d, DLT_LINUX_SLL2, f.b, f.n), DECODE_NOT_IP);
	decoded_free(&d);
}

static void
test_decode_dlt_null_with_a_host_order_address_family_reaches_the_ip_header(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};
	uint32_t af = 2; /* AF_INET, in host byte order */

	(void)state;
	put(&f, &af, 4);
	put_ipv4(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_NULL, f.b, f.n), DECODE_OK);
	assert_tcp4_identity(&d.pk);
	assert_ptr_equal(d.pk.l3, d.copy + 4);
	assert_payload_is(&d, 4 + 40);
	decoded_free(&d);
}

static void
test_decode_dlt_null_with_a_bsd_ipv6_family_value_reaches_the_ipv6_header(void **state)
{
	/* AF_INET6 is 24, 28 or 30 depending on the BSD: the IP version decides. */
	static const uint32_t afs[] = {24, 28, 30};

	(void)state;
	for (size_t i = 0; i < sizeof(afs) / sizeof(afs[0]); i++) {
		struct frame f = {.n = 0};
		struct decoded d = {0};

		put(&f, &afs[i], 4);
		put_ipv6(&f, 6, 20 + PAYLOAD_LEN);
		put_tcp(&f);
		put_payload(&f);
		assert_int_equal(decode_copy(&d, DLT_NULL, f.b, f.n), DECODE_OK);
		assert_int_equal(d.pk.family, 6);
		assert_payload_is(&d, 4 + 60);
		decoded_free(&d);
	}
}

static void
test_decode_dlt_loop_with_a_network_order_address_family_reaches_the_ip_header(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put32(&f, 2); /* AF_INET, network byte order */
	put_ipv4(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_LOOP, f.b, f.n), DECODE_OK);
	assert_tcp4_identity(&d.pk);
	assert_payload_is(&d, 4 + 40);
	decoded_free(&d);
}

static void
test_decode_dlt_null_shorter_than_its_family_field_is_truncated(void **state)
{
	static const uint8_t b[3] = {2, 0, 0};
	struct decoded d = {0};

	(void)state;
	assert_int_equal(decode_copy(&d, DLT_NULL, b, sizeof(b)), DECODE_TRUNCATED);
	assert_int_equal(decode_copy(&d, DLT_LOOP, b, sizeof(b)), DECODE_TRUNCATED);
	decoded_free(&d);
}

static void
test_decode_raw_ipv4_reaches_the_tcp_header(void **state)
{
	static const int dlts[] = {DLT_RAW, 101, DLT_IPV4};

	(void)state;
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		struct frame f = {.n = 0};
		struct decoded d = {0};

		put_ipv4(&f, 6, 20 + PAYLOAD_LEN);
		put_tcp(&f);
		put_payload(&f);
		assert_int_equal(decode_copy(&d, dlts[i], f.b, f.n), DECODE_OK);
		assert_tcp4_identity(&d.pk);
		assert_ptr_equal(d.pk.l3, d.copy);
		assert_payload_is(&d, 40);
		decoded_free(&d);
	}
}

static void
test_decode_raw_ipv6_skips_hop_by_hop_and_destination_options_before_tcp(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};
	size_t plen = 8 + 16 + 20 + PAYLOAD_LEN;

	(void)state;
	put_ipv6(&f, 0, plen);
	/* hop-by-hop: next = destination options, 8 bytes (PadN) */
	put8(&f, 60);
	put8(&f, 0);
	put8(&f, 1);
	put8(&f, 4);
	put_zeros(&f, 4);
	/* destination options: next = TCP, 16 bytes */
	put8(&f, 6);
	put8(&f, 1);
	put8(&f, 1);
	put8(&f, 12);
	put_zeros(&f, 12);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.family, 6);
	assert_int_equal(d.pk.l4, 6);
	assert_memory_equal(d.pk.src, ip6_client, 16);
	assert_memory_equal(d.pk.dst, ip6_server, 16);
	assert_int_equal(d.pk.sport, 40000);
	assert_int_equal(d.pk.dport, 25);
	assert_int_equal(d.pk.l3_len, 40 + plen);
	assert_payload_is(&d, 40 + 8 + 16 + 20);
	decoded_free(&d);
}

static void
test_decode_ipv6_extension_header_longer_than_the_payload_is_malformed(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	/* The payload length says 8, the hop-by-hop header says 16. */
	put_ipv6(&f, 0, 8);
	put8(&f, 6);
	put8(&f, 1);
	put_zeros(&f, 14);
	assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), DECODE_MALFORMED);
	decoded_free(&d);
}

static void
put_ipv6_fragment(struct frame *f, uint16_t offset_m, size_t l4_len)
{
	put_ipv6(f, 44, 8 + l4_len);
	put8(f, 6); /* next: TCP */
	put8(f, 0);
	put16(f, offset_m);
	put32(f, 0xdeadbeef); /* identification */
}

static void
test_decode_ipv6_first_fragment_with_more_fragments_is_a_fragment(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_ipv6_fragment(&f, 0x0001, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), DECODE_FRAGMENT);
	decoded_free(&d);
}

static void
test_decode_ipv6_later_fragment_is_a_fragment(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_ipv6_fragment(&f, (uint16_t)(185 << 3), 16); /* offset 1480, last */
	put_zeros(&f, 16);
	assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), DECODE_FRAGMENT);
	decoded_free(&d);
}

static void
test_decode_ipv6_atomic_fragment_is_decoded_as_a_whole_packet(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	/* Offset 0 and M = 0 (RFC 6946); the reserved bits must not matter. */
	put_ipv6_fragment(&f, 0x0006, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.l4, 6);
	assert_int_equal(d.pk.dport, 25);
	assert_payload_is(&d, 40 + 8 + 20);
	decoded_free(&d);
}

static void
test_decode_ipv4_fragments_are_fragments_but_dont_fragment_is_not(void **state)
{
	static const struct {
		uint16_t frag;
		enum decode_result want;
	} cases[] = {
		{0x2000, DECODE_FRAGMENT}, /* MF, offset 0: first fragment */
		{0x00b9, DECODE_FRAGMENT}, /* offset 185, last fragment */
		{0x20b9, DECODE_FRAGMENT}, /* middle fragment */
		{0x4000, DECODE_OK},	   /* DF only */
		{0x0000, DECODE_OK},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct frame f = {.n = 0};
		struct decoded d = {0};

		put_ipv4_opts(&f, 6, 20 + PAYLOAD_LEN, 5, cases[i].frag);
		put_tcp(&f);
		put_payload(&f);
		assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), cases[i].want);
		decoded_free(&d);
	}
}

/* ---- transport ---- */

static void
test_decode_udp_gives_ports_and_payload(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0800);
	put_ipv4(&f, 17, 8 + PAYLOAD_LEN);
	put_udp(&f, PAYLOAD_LEN);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.family, 4);
	assert_int_equal(d.pk.l4, 17);
	assert_int_equal(d.pk.sport, 5353);
	assert_int_equal(d.pk.dport, 53);
	assert_payload_is(&d, 14 + 20 + 8);
	decoded_free(&d);
}

static void
test_decode_icmp_and_icmpv6_are_other_l4(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0800);
	put_ipv4(&f, 1, 8);
	put32(&f, 0x08000000); /* echo request */
	put32(&f, 0x00010001);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OTHER_L4);

	f.n = 0;
	put_ipv6(&f, 58, 8);
	put32(&f, 0x80000000);
	put32(&f, 0x00010001);
	assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), DECODE_OTHER_L4);
	decoded_free(&d);
}

static void
test_decode_tcp_options_are_skipped_to_the_payload(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0800);
	put_ipv4(&f, 6, 32 + PAYLOAD_LEN);
	put_tcp_doff(&f, 8);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_payload_is(&d, 14 + 20 + 32);
	decoded_free(&d);
}

static void
test_decode_ipv4_options_are_skipped_to_the_tcp_header(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0800);
	put_ipv4_opts(&f, 6, 20 + PAYLOAD_LEN, 7, 0);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_tcp4_identity(&d.pk);
	assert_int_equal(d.pk.l3_len, 28 + 20 + PAYLOAD_LEN);
	assert_payload_is(&d, 14 + 28 + 20);
	decoded_free(&d);
}

static void
test_decode_tcp_data_offset_below_five_is_malformed(void **state)
{
	(void)state;
	for (uint8_t doff = 0; doff < 5; doff++) {
		struct frame f;
		struct decoded d = {0};

		build_eth_ipv4_tcp(&f);
		f.b[14 + 20 + 12] = (uint8_t)(doff << 4);
		assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_MALFORMED);
		decoded_free(&d);
	}
}

static void
test_decode_tcp_data_offset_past_the_ip_length_is_malformed(void **state)
{
	struct frame f;
	struct decoded d = {0};

	(void)state;
	/* doff 15 = 60 bytes, but the IP packet holds only 20 + PAYLOAD_LEN. */
	build_eth_ipv4_tcp(&f);
	f.b[14 + 20 + 12] = 0xf0;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_MALFORMED);
	decoded_free(&d);
}

static void
test_decode_ipv4_header_length_below_five_words_is_malformed(void **state)
{
	(void)state;
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		struct frame f;
		struct decoded d = {0};

		build_eth_ipv4_tcp(&f);
		f.b[14] = (uint8_t)(0x40 | ihl);
		assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_MALFORMED);
		decoded_free(&d);
	}
}

static void
test_decode_ipv4_total_length_below_the_header_length_is_malformed(void **state)
{
	struct frame f;
	struct decoded d = {0};

	(void)state;
	build_eth_ipv4_tcp(&f);
	f.b[14 + 2] = 0;
	f.b[14 + 3] = 19;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_MALFORMED);
	decoded_free(&d);
}

static void
test_decode_snaplen_cut_payload_sets_payload_cut_and_keeps_what_was_captured(void **state)
{
	struct frame f;
	struct decoded d = {0};
	size_t caplen;

	(void)state;
	build_eth_ipv4_tcp(&f);
	caplen = 14 + 40 + 5;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, caplen), DECODE_OK);
	assert_tcp4_identity(&d.pk);
	assert_true(d.pk.payload_cut);
	assert_int_equal(d.pk.payload_len, 5);
	assert_memory_equal(d.pk.payload, PAYLOAD, 5);
	assert_int_equal(d.pk.l3_len, 40 + 5);
	decoded_free(&d);
}

static void
test_decode_unsupported_link_type_is_reported_as_such(void **state)
{
	struct frame f;
	struct decoded d = {0};

	(void)state;
	build_eth_ipv4_tcp(&f);
	assert_int_equal(decode_copy(&d, DLT_PPP, f.b, f.n), DECODE_UNSUPPORTED_LINK);
	assert_int_equal(decode_copy(&d, 147 /* DLT_USER0 */, f.b, f.n), DECODE_UNSUPPORTED_LINK);
	assert_int_equal(decode_copy(&d, -1, f.b, f.n), DECODE_UNSUPPORTED_LINK);
	assert_false(decode_link_supported(DLT_PPP));
	assert_false(decode_link_supported(-1));
	assert_true(decode_link_supported(DLT_EN10MB));
	assert_true(decode_link_supported(DLT_LINUX_SLL));
	assert_true(decode_link_supported(DLT_LINUX_SLL2));
	assert_true(decode_link_supported(DLT_NULL));
	assert_true(decode_link_supported(DLT_LOOP));
	assert_true(decode_link_supported(DLT_RAW));
	decoded_free(&d);
}

static void
test_decode_result_names_are_stable_strings(void **state)
{
	(void)state;
	assert_string_equal(decode_result_name(DECODE_OK), "ok");
	assert_string_equal(decode_result_name(DECODE_TRUNCATED), "truncated");
	assert_string_equal(decode_result_name(DECODE_MALFORMED), "malformed");
	assert_string_equal(decode_result_name(DECODE_FRAGMENT), "fragment");
	for (int r = 0; r < DECODE_RESULTS; r++)
		assert_non_null(decode_result_name((enum decode_result)r));
	assert_string_equal(decode_result_name(DECODE_RESULTS), "?");
}

/* ---- tunnels ---- */

static void
test_decode_ipv4_in_ipv4_decodes_the_inner_packet_and_marks_it_tunneled(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0800);
	put_ipv4(&f, 4, 20 + 20 + PAYLOAD_LEN);
	put_ipv4(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_true(d.pk.tunneled);
	assert_tcp4_identity(&d.pk);
	assert_ptr_equal(d.pk.l3, d.copy + 34);
	assert_payload_is(&d, 14 + 20 + 40);
	decoded_free(&d);
}

static void
test_decode_ipv6_in_ipv4_decodes_the_inner_ipv6_packet(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_ipv4(&f, 41, 40 + 20 + PAYLOAD_LEN);
	put_ipv6(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), DECODE_OK);
	assert_true(d.pk.tunneled);
	assert_int_equal(d.pk.family, 6);
	assert_memory_equal(d.pk.src, ip6_client, 16);
	assert_payload_is(&d, 20 + 60);
	decoded_free(&d);
}

static void
test_decode_reused_packet_record_keeps_nothing_from_the_previous_frame(void **state)
{
	struct frame tun = {.n = 0}, plain, udp = {.n = 0};
	struct packet pk;
	enum decode_result r;

	(void)state;
	put_ipv4(&tun, 4, 20 + 20 + PAYLOAD_LEN);
	put_ipv4(&tun, 6, 20 + PAYLOAD_LEN);
	put_tcp(&tun);
	put_payload(&tun);
	build_eth_ipv4_tcp(&plain);
	put_ipv4(&udp, 17, 8);
	put_udp(&udp, 0);

	memset(&pk, 0, sizeof(pk));
	assert_int_equal(decode_packet(DLT_RAW, tun.b, tun.n, &pk), DECODE_OK);
	assert_true(pk.tunneled);
	/* The same record, as a capture loop might reuse it; the timestamp is
	 * the caller's and stays. */
	pk.ts_us = 42;
	r = decode_packet(DLT_EN10MB, plain.b, plain.n, &pk);
	assert_int_equal(r, DECODE_OK);
	assert_false(pk.tunneled);
	assert_int_equal(pk.ts_us, 42);
	/* A tunnel after a tunnel is still recognised. */
	assert_int_equal(decode_packet(DLT_RAW, tun.b, tun.n, &pk), DECODE_OK);
	assert_true(pk.tunneled);
	assert_int_equal(pk.l4, 6);
	/* UDP after TCP: no TCP leftovers. */
	assert_int_equal(decode_packet(DLT_RAW, udp.b, udp.n, &pk), DECODE_OK);
	assert_int_equal(pk.l4, 17);
	assert_int_equal(pk.tcp_flags, 0);
	assert_int_equal(pk.seq, 0);
	assert_int_equal(pk.ack, 0);
	assert_int_equal(pk.payload_len, 0);
}

/* ---- GRE, ERSPAN, VXLAN, Geneve, MPLS, MPLS-in-UDP, GRE-in-UDP ---- */

/* The inner packet every tunnel test carries: IPv4 + TCP + PAYLOAD, from
 * ip4_client:40000 to ip4_server:25 (assert_tcp4_identity). */
#define INNER_IP_LEN (20 + 20 + PAYLOAD_LEN)
#define INNER_ETH_LEN (14 + INNER_IP_LEN)

static const uint8_t ip4_outer_a[4] = {192, 0, 2, 1};
static const uint8_t ip4_outer_b[4] = {192, 0, 2, 2};

static void
put_inner_ip(struct frame *f)
{
	put_ipv4(f, 6, 20 + PAYLOAD_LEN);
	put_tcp(f);
	put_payload(f);
}

static void
put_inner_eth(struct frame *f)
{
	put_eth(f, 0x0800);
	put_inner_ip(f);
}

/* The underlay's IPv4 header, between addresses the inner packet never uses. */
static void
put_outer_ipv4(struct frame *f, uint8_t proto, size_t l4_len)
{
	put8(f, 0x45);
	put8(f, 0);
	put16(f, (uint16_t)(20 + l4_len));
	put16(f, 0x4242);
	put16(f, 0x4000);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put(f, ip4_outer_a, 4);
	put(f, ip4_outer_b, 4);
}

static void
put_outer_udp(struct frame *f, uint16_t dport, size_t payload_len)
{
	put16(f, 51234);
	put16(f, dport);
	put16(f, (uint16_t)(8 + payload_len));
	put16(f, 0);
}

static void
put_mpls(struct frame *f, uint32_t label, bool bottom)
{
	put32(f, label << 12 | (bottom ? 0x100u : 0) | 64);
}

enum tun_case {
	TC_GRE_CKS_KEY_SEQ,
	TC_GRE_IPV6,
	TC_GRE_TEB,
	TC_ERSPAN_1,
	TC_ERSPAN_2,
	TC_ERSPAN_3_SUBHEADER,
	TC_ERSPAN_3_IP,
	TC_VXLAN,
	TC_GENEVE_OPTIONS,
	TC_MPLS_3_LABELS,
	TC_MPLS_PW_CONTROL_WORD,
	TC_MPLS_IN_UDP,
	TC_GRE_IN_UDP,
	TC_COUNT,
};

/*
 * One tunnelled frame (Ethernet link type) and where its parts end: the
 * outer headers (a cut before is DECODE_TRUNCATED), the tunnel's headers (a
 * cut before is DECODE_TUNNEL_TRUNCATED), the inner headers (DECODE_TRUNCATED
 * again; the payload starts there).
 */
struct tun_frame {
	const char *name;
	enum tunnel_kind kind;
	size_t outer_end, tunnel_end, hdr_end;
	bool ipv6;
};

static void
build_tunnel(enum tun_case tc, struct frame *f, struct tun_frame *t)
{
	size_t inner6 = 40 + 20 + PAYLOAD_LEN;

	f->n = 0;
	memset(t, 0, sizeof(*t));
	switch (tc) {
	case TC_GRE_CKS_KEY_SEQ:
		t->name = "gre with checksum, key and sequence";
		t->kind = TUNNEL_GRE;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 47, 16 + INNER_IP_LEN);
		t->outer_end = f->n;
		put16(f, 0xb000);
		put16(f, 0x0800);
		put32(f, 0xbeef0000); /* checksum, reserved */
		put32(f, 42);	      /* key */
		put32(f, 7);	      /* sequence */
		t->tunnel_end = f->n;
		put_inner_ip(f);
		break;
	case TC_GRE_IPV6:
		t->name = "gre carrying ipv6";
		t->kind = TUNNEL_GRE;
		t->ipv6 = true;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 47, 4 + inner6);
		t->outer_end = f->n;
		put16(f, 0);
		put16(f, 0x86dd);
		t->tunnel_end = f->n;
		put_ipv6(f, 6, 20 + PAYLOAD_LEN);
		put_tcp(f);
		put_payload(f);
		break;
	case TC_GRE_TEB:
		t->name = "gre transparent ethernet bridging with a key";
		t->kind = TUNNEL_GRE;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 47, 8 + INNER_ETH_LEN);
		t->outer_end = f->n;
		put16(f, 0x2000);
		put16(f, 0x6558);
		put32(f, 1);
		t->tunnel_end = f->n;
		put_inner_eth(f);
		break;
	case TC_ERSPAN_1:
		t->name = "erspan type I";
		t->kind = TUNNEL_ERSPAN;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 47, 4 + INNER_ETH_LEN);
		t->outer_end = f->n;
		put16(f, 0);
		put16(f, 0x88be);
		t->tunnel_end = f->n;
		put_inner_eth(f);
		break;
	case TC_ERSPAN_2:
		t->name = "erspan type II";
		t->kind = TUNNEL_ERSPAN;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 47, 8 + 8 + INNER_ETH_LEN);
		t->outer_end = f->n;
		put16(f, 0x1000);
		put16(f, 0x88be);
		put32(f, 99);	  /* sequence */
		put16(f, 0x1000); /* version 1, VLAN 0 */
		put16(f, 0x0007); /* session 7 */
		put32(f, 0);	  /* reserved, index */
		t->tunnel_end = f->n;
		put_inner_eth(f);
		break;
	case TC_ERSPAN_3_SUBHEADER:
		t->name = "erspan type III with the platform subheader";
		t->kind = TUNNEL_ERSPAN;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 47, 8 + 12 + 8 + INNER_ETH_LEN);
		t->outer_end = f->n;
		put16(f, 0x1000);
		put16(f, 0x22eb);
		put32(f, 99);
		put16(f, 0x2000);	       /* version 2 */
		put16(f, 0x0007);	       /* session 7 */
		put32(f, 0x12345678);	       /* timestamp */
		put16(f, 0);		       /* SGT */
		put16(f, 1 << 4 | 3 << 1 | 1); /* FT 0, HW ID 1, Gra 3, O */
		put32(f, 3u << 26);	       /* platform id 3 */
		put32(f, 0x9abcdef0);
		t->tunnel_end = f->n;
		put_inner_eth(f);
		break;
	case TC_ERSPAN_3_IP:
		t->name = "erspan type III carrying ip (frame type 2)";
		t->kind = TUNNEL_ERSPAN;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 47, 8 + 12 + INNER_IP_LEN);
		t->outer_end = f->n;
		put16(f, 0x1000);
		put16(f, 0x22eb);
		put32(f, 99);
		put16(f, 0x2000);
		put16(f, 0x0007);
		put32(f, 0);
		put16(f, 0);
		put16(f, 2 << 10); /* FT 2, no subheader */
		t->tunnel_end = f->n;
		put_inner_ip(f);
		break;
	case TC_VXLAN:
		t->name = "vxlan";
		t->kind = TUNNEL_VXLAN;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 17, 8 + 8 + INNER_ETH_LEN);
		put_outer_udp(f, 4789, 8 + INNER_ETH_LEN);
		t->outer_end = f->n;
		put32(f, 0x08000000);
		put32(f, 42 << 8);
		t->tunnel_end = f->n;
		put_inner_eth(f);
		break;
	case TC_GENEVE_OPTIONS:
		t->name = "geneve with two options";
		t->kind = TUNNEL_GENEVE;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 17, 8 + 8 + 12 + INNER_ETH_LEN);
		put_outer_udp(f, 6081, 8 + 12 + INNER_ETH_LEN);
		t->outer_end = f->n;
		put8(f, 3);    /* version 0, 3 words of options */
		put8(f, 0x40); /* C: a critical option */
		put16(f, 0x6558);
		put32(f, 42 << 8);
		put16(f, 0x0102); /* option class */
		put8(f, 0x80);	  /* type */
		put8(f, 1);	  /* one word of data */
		put32(f, 0xcafe);
		put16(f, 0x0103);
		put8(f, 0x01);
		put8(f, 0); /* no data */
		t->tunnel_end = f->n;
		put_inner_eth(f);
		break;
	case TC_MPLS_3_LABELS:
		t->name = "mpls stack of 3 labels";
		t->kind = TUNNEL_MPLS;
		put_eth(f, 0x8847);
		t->outer_end = f->n;
		put_mpls(f, 1000, false);
		put_mpls(f, 2000, false);
		put_mpls(f, 3000, true);
		t->tunnel_end = f->n + 1; /* the payload's first nibble is read */
		put_inner_ip(f);
		break;
	case TC_MPLS_PW_CONTROL_WORD:
		t->name = "mpls pseudowire with a control word";
		t->kind = TUNNEL_MPLS;
		put_eth(f, 0x8847);
		t->outer_end = f->n;
		put_mpls(f, 1000, false);
		put_mpls(f, 3001, true);
		put32(f, 0); /* control word */
		t->tunnel_end = f->n;
		put_inner_eth(f);
		break;
	case TC_MPLS_IN_UDP:
		t->name = "mpls-in-udp";
		t->kind = TUNNEL_MPLS_IN_UDP;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 17, 8 + 4 + INNER_IP_LEN);
		put_outer_udp(f, 6635, 4 + INNER_IP_LEN);
		t->outer_end = f->n;
		put_mpls(f, 3000, true);
		t->tunnel_end = f->n + 1;
		put_inner_ip(f);
		break;
	case TC_GRE_IN_UDP:
		t->name = "gre-in-udp";
		t->kind = TUNNEL_GRE_IN_UDP;
		put_eth(f, 0x0800);
		put_outer_ipv4(f, 17, 8 + 4 + INNER_IP_LEN);
		put_outer_udp(f, 4754, 4 + INNER_IP_LEN);
		t->outer_end = f->n;
		put16(f, 0);
		put16(f, 0x0800);
		t->tunnel_end = f->n;
		put_inner_ip(f);
		break;
	case TC_COUNT:
		fail();
	}
	t->hdr_end = f->n - PAYLOAD_LEN;
}

static void
test_decode_each_tunnel_gives_the_inner_five_tuple_and_names_the_tunnel(void **state)
{
	struct decoded d = {0};

	(void)state;
	for (int tc = 0; tc < TC_COUNT; tc++) {
		struct frame f;
		struct tun_frame t;

		build_tunnel((enum tun_case)tc, &f, &t);
		if (decode_copy(&d, DLT_EN10MB, f.b, f.n) != DECODE_OK)
			fail_msg("%s: %s", t.name, decode_result_name(d.r));
		if (t.ipv6) {
			assert_int_equal(d.pk.family, 6);
			assert_memory_equal(d.pk.src, ip6_client, 16);
			assert_memory_equal(d.pk.dst, ip6_server, 16);
			assert_int_equal(d.pk.sport, 40000);
			assert_int_equal(d.pk.dport, 25);
		} else {
			assert_tcp4_identity(&d.pk);
		}
		assert_true(d.pk.tunneled);
		if (d.pk.tunnel_depth != 1 || d.pk.tunnels[0] != t.kind)
			fail_msg("%s: depth %u, kind %s", t.name, d.pk.tunnel_depth,
				 decode_tunnel_name(d.pk.tunnels[0]));
		assert_payload_is(&d, t.hdr_end);
		/* nDPI is handed the inner IP packet. */
		assert_ptr_equal(d.pk.l3, d.copy + t.hdr_end - (t.ipv6 ? 60 : 40));
		assert_int_equal(d.pk.l3_len, (t.ipv6 ? 60 : 40) + PAYLOAD_LEN);
	}
	decoded_free(&d);
}

/*
 * Every prefix of every tunnelled frame: cut in the outer or the inner
 * headers is DECODE_TRUNCATED, cut in the tunnel's own header is
 * DECODE_TUNNEL_TRUNCATED naming an encapsulation, and past the headers the
 * inner payload is what was captured, marked cut.
 */
static void
test_decode_every_prefix_of_every_tunnel_frame_is_counted_truncated_or_cut(void **state)
{
	struct decoded d = {0};

	(void)state;
	for (int tc = 0; tc < TC_COUNT; tc++) {
		struct frame f;
		struct tun_frame t;

		build_tunnel((enum tun_case)tc, &f, &t);
		for (size_t n = 0; n <= f.n; n++) {
			enum decode_result r = decode_copy(&d, DLT_EN10MB, f.b, n);
			enum decode_result want = n < t.outer_end    ? DECODE_TRUNCATED
						  : n < t.tunnel_end ? DECODE_TUNNEL_TRUNCATED
						  : n < t.hdr_end    ? DECODE_TRUNCATED
								     : DECODE_OK;

			if (r != want)
				fail_msg("%s: prefix of %zu bytes: %s, expected %s", t.name, n,
					 decode_result_name(r), decode_result_name(want));
			if (r == DECODE_TUNNEL_TRUNCATED) {
				assert_true(d.pk.tunnel_bad > TUNNEL_NONE);
				assert_true(d.pk.tunnel_bad < TUNNEL_KINDS);
			}
			if (r != DECODE_OK)
				continue;
			assert_int_equal(payload_offset(&d), t.hdr_end);
			assert_int_equal(d.pk.payload_len, n - t.hdr_end);
			assert_true(d.pk.l3 + d.pk.l3_len <= d.copy + n);
			assert_int_equal(d.pk.payload_cut, n < f.n);
		}
	}
	decoded_free(&d);
}

static void
test_decode_erspan_header_cut_short_names_erspan_not_gre(void **state)
{
	struct frame f;
	struct tun_frame t;
	struct decoded d = {0};

	(void)state;
	build_tunnel(TC_ERSPAN_2, &f, &t);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, t.outer_end + 2),
			 DECODE_TUNNEL_TRUNCATED);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_GRE);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, t.tunnel_end - 1),
			 DECODE_TUNNEL_TRUNCATED);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_ERSPAN);
	decoded_free(&d);
}

static void
test_decode_impossible_tunnel_headers_are_malformed_or_unsupported(void **state)
{
	struct frame f;
	struct tun_frame t;
	struct decoded d = {0};

	(void)state;
	/* VXLAN without the I flag (RFC 7348: must be set). */
	build_tunnel(TC_VXLAN, &f, &t);
	f.b[t.outer_end] = 0;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_MALFORMED);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_VXLAN);
	/* Geneve version 1. */
	build_tunnel(TC_GENEVE_OPTIONS, &f, &t);
	f.b[t.outer_end] |= 0x40;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_MALFORMED);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_GENEVE);
	/* Geneve options longer than the datagram. */
	build_tunnel(TC_GENEVE_OPTIONS, &f, &t);
	f.b[t.outer_end] = 0x3f;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_TRUNCATED);
	/* ERSPAN type II header with version 2. */
	build_tunnel(TC_ERSPAN_2, &f, &t);
	f.b[t.outer_end + 8] = 0x20;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_MALFORMED);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_ERSPAN);
	/* GRE version 1 (PPTP) and an unknown protocol type. */
	build_tunnel(TC_GRE_TEB, &f, &t);
	f.b[t.outer_end + 1] = 0x01;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_UNSUPPORTED);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_GRE);
	build_tunnel(TC_GRE_TEB, &f, &t);
	f.b[t.outer_end + 2] = 0x88;
	f.b[t.outer_end + 3] = 0x0b; /* PPP */
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_UNSUPPORTED);
	/* An MPLS payload that is neither IP nor a control word. */
	build_tunnel(TC_MPLS_3_LABELS, &f, &t);
	f.b[t.tunnel_end - 1] = 0x95;
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_UNSUPPORTED);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_MPLS);
	decoded_free(&d);
}

static void
test_decode_mpls_stack_without_bottom_of_stack_is_malformed(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x8847);
	for (int i = 0; i < DECODE_MPLS_LABELS_MAX; i++)
		put_mpls(&f, (uint32_t)(100 + i), false);
	put_inner_ip(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_MALFORMED);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_MPLS);
	decoded_free(&d);
}

/* levels GRE headers, each in an IPv4 packet of its own, around the inner one. */
static void
build_nested_gre(struct frame *f, int levels)
{
	f->n = 0;
	put_eth(f, 0x0800);
	for (int i = 0; i < levels; i++) {
		put_outer_ipv4(f, 47, 4 + (size_t)(levels - i - 1) * 24 + INNER_IP_LEN);
		put16(f, 0);
		put16(f, 0x0800);
	}
	put_inner_ip(f);
}

static void
test_decode_nesting_up_to_the_limit_is_decoded_and_one_more_is_too_deep(void **state)
{
	struct frame f;
	struct decoded d = {0};

	(void)state;
	build_nested_gre(&f, DECODE_TUNNEL_MAX);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_int_equal(d.pk.tunnel_depth, DECODE_TUNNEL_MAX);
	assert_tcp4_identity(&d.pk);
	build_nested_gre(&f, DECODE_TUNNEL_MAX + 1);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_TUNNEL_TOO_DEEP);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_GRE);
	/* IP in IP counts as a level too: no way round the limit. */
	f.n = 0;
	for (int i = 0; i <= DECODE_TUNNEL_MAX; i++)
		put_ipv4(&f, 4, (size_t)(DECODE_TUNNEL_MAX - i) * 20 + INNER_IP_LEN);
	put_inner_ip(&f);
	assert_int_equal(decode_copy(&d, DLT_RAW, f.b, f.n), DECODE_TUNNEL_TOO_DEEP);
	assert_int_equal(d.pk.tunnel_bad, TUNNEL_IPIP);
	decoded_free(&d);
}

static void
test_decode_mixed_nesting_lists_every_tunnel_outermost_first(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};
	char list[64];
	size_t vx = 8 + 8 + INNER_ETH_LEN;

	(void)state;
	/* MPLS, then GRE-in-UDP, then VXLAN. */
	put_eth(&f, 0x8847);
	put_mpls(&f, 16, true);
	put_outer_ipv4(&f, 17, 8 + 4 + 20 + vx);
	put_outer_udp(&f, 4754, 4 + 20 + vx);
	put16(&f, 0);
	put16(&f, 0x0800);
	put_outer_ipv4(&f, 17, vx);
	put_outer_udp(&f, 4789, 8 + INNER_ETH_LEN);
	put32(&f, 0x08000000);
	put32(&f, 7 << 8);
	put_inner_eth(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
	assert_tcp4_identity(&d.pk);
	assert_int_equal(d.pk.tunnel_depth, 3);
	assert_string_equal(decode_tunnel_list(d.pk.tunnels, d.pk.tunnel_depth, list, sizeof(list)),
			    "mpls/gre-in-udp/vxlan");
	assert_string_equal(decode_tunnel_list(d.pk.tunnels, d.pk.tunnel_depth, list, 9), "mpls");
	assert_string_equal(decode_tunnel_list(d.pk.tunnels, 0, list, sizeof(list)), "");
	decoded_free(&d);
}

static void
test_decode_dtls_tunnel_ports_stay_udp_and_are_not_opened(void **state)
{
	static const uint16_t ports[] = {6636, 4755, 4790};
	struct decoded d = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct frame f = {.n = 0};

		put_eth(&f, 0x0800);
		put_outer_ipv4(&f, 17, 8 + PAYLOAD_LEN);
		put_outer_udp(&f, ports[i], PAYLOAD_LEN);
		put_payload(&f);
		assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_OK);
		assert_int_equal(d.pk.l4, 17);
		assert_int_equal(d.pk.dport, ports[i]);
		assert_int_equal(d.pk.tunnel_depth, 0);
		assert_false(d.pk.tunneled);
	}
	decoded_free(&d);
}

static void
test_decode_fragment_inside_a_tunnel_is_a_tunneled_fragment(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0800);
	put_outer_ipv4(&f, 17, 8 + 8 + INNER_ETH_LEN);
	put_outer_udp(&f, 4789, 8 + INNER_ETH_LEN);
	put32(&f, 0x08000000);
	put32(&f, 1 << 8);
	put_eth(&f, 0x0800);
	put_ipv4_opts(&f, 6, 20 + PAYLOAD_LEN, 5, 0x2000); /* MF */
	put_tcp(&f);
	put_payload(&f);
	assert_int_equal(decode_copy(&d, DLT_EN10MB, f.b, f.n), DECODE_FRAGMENT);
	assert_true(d.pk.tunneled); /* so the engine does not reassemble it */
	decoded_free(&d);
}

static void
test_decode_tunnel_names_are_stable_strings(void **state)
{
	(void)state;
	assert_string_equal(decode_tunnel_name(TUNNEL_GRE), "gre");
	assert_string_equal(decode_tunnel_name(TUNNEL_ERSPAN), "erspan");
	assert_string_equal(decode_tunnel_name(TUNNEL_VXLAN), "vxlan");
	assert_string_equal(decode_tunnel_name(TUNNEL_GENEVE), "geneve");
	assert_string_equal(decode_tunnel_name(TUNNEL_MPLS), "mpls");
	assert_string_equal(decode_tunnel_name(TUNNEL_MPLS_IN_UDP), "mpls-in-udp");
	assert_string_equal(decode_tunnel_name(TUNNEL_GRE_IN_UDP), "gre-in-udp");
	assert_string_equal(decode_tunnel_name(TUNNEL_IPIP), "ip-in-ip");
	assert_string_equal(decode_tunnel_name(TUNNEL_KINDS), "?");
	assert_string_equal(decode_result_name(DECODE_TUNNEL_TOO_DEEP), "tunnel-too-deep");
}

/* ---- every truncation of valid frames ---- */

/*
 * Decodes every prefix of a valid frame: a prefix that ends before the last
 * header byte is TRUNCATED; any longer one is OK with the captured part of
 * the payload, cut unless it is the whole frame.
 */
static void
check_every_prefix(int dlt, const struct frame *f, size_t hdr_end)
{
	struct decoded d = {0};

	for (size_t n = 0; n <= f->n; n++) {
		enum decode_result r = decode_copy(&d, dlt, f->b, n);

		if (n < hdr_end) {
			if (r != DECODE_TRUNCATED)
				fail_msg("prefix of %zu bytes (headers end at %zu): %s", n, hdr_end,
					 decode_result_name(r));
			continue;
		}
		if (r != DECODE_OK)
			fail_msg("prefix of %zu bytes: %s", n, decode_result_name(r));
		assert_int_equal(payload_offset(&d), hdr_end);
		assert_int_equal(d.pk.payload_len, n - hdr_end);
		assert_true(d.pk.payload + d.pk.payload_len <= d.copy + n);
		assert_true(d.pk.l3 + d.pk.l3_len <= d.copy + n);
		assert_int_equal(d.pk.payload_cut, n < f->n);
	}
	decoded_free(&d);
}

static void
test_decode_every_prefix_of_an_ethernet_ipv4_tcp_frame_is_truncated_or_cut(void **state)
{
	struct frame f;

	(void)state;
	build_eth_ipv4_tcp(&f);
	check_every_prefix(DLT_EN10MB, &f, 14 + 40);
}

static void
test_decode_every_prefix_of_a_qinq_ipv6_frame_with_options_is_truncated_or_cut(void **state)
{
	struct frame f = {.n = 0};

	(void)state;
	put_eth(&f, 0x88a8);
	put16(&f, 1);
	put16(&f, 0x8100);
	put16(&f, 2);
	put16(&f, 0x86dd);
	put_ipv6(&f, 0, 8 + 32 + PAYLOAD_LEN);
	put8(&f, 6);
	put8(&f, 0);
	put_zeros(&f, 6);
	put_tcp_doff(&f, 8);
	put_payload(&f);
	check_every_prefix(DLT_EN10MB, &f, 22 + 40 + 8 + 32);
}

static void
test_decode_every_prefix_of_sll_sll2_null_and_raw_frames_is_truncated_or_cut(void **state)
{
	struct frame f = {.n = 0};

	(void)state;
	put16(&f, 0);
	put16(&f, 1);
	put16(&f, 6);
	put_zeros(&f, 8);
	put16(&f, 0x0800);
	put_ipv4_opts(&f, 6, 20 + PAYLOAD_LEN, 6, 0);
	put_tcp(&f);
	put_payload(&f);
	check_every_prefix(DLT_LINUX_SLL, &f, 16 + 24 + 20);

	f.n = 0;
	put16(&f, 0x0800);
	put_zeros(&f, 18);
	put_ipv4(&f, 17, 8 + PAYLOAD_LEN);
	put_udp(&f, PAYLOAD_LEN);
	put_payload(&f);
	check_every_prefix(DLT_LINUX_SLL2, &f, 20 + 20 + 8);

	f.n = 0;
	put32(&f, 0x02000000);
	put_ipv4(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	check_every_prefix(DLT_NULL, &f, 4 + 40);

	f.n = 0;
	put_ipv4(&f, 4, 20 + 20 + PAYLOAD_LEN);
	put_ipv4(&f, 6, 20 + PAYLOAD_LEN);
	put_tcp(&f);
	put_payload(&f);
	check_every_prefix(DLT_RAW, &f, 20 + 20 + 20);
}

static void
test_decode_every_prefix_of_a_fragment_is_truncated_or_a_fragment(void **state)
{
	struct frame f = {.n = 0};
	struct decoded d = {0};

	(void)state;
	put_eth(&f, 0x0800);
	put_ipv4_opts(&f, 6, 20 + PAYLOAD_LEN, 5, 0x2000);
	put_tcp(&f);
	put_payload(&f);
	for (size_t n = 0; n <= f.n; n++) {
		enum decode_result r = decode_copy(&d, DLT_EN10MB, f.b, n);

		assert_int_equal(r, n < 14 + 20 ? DECODE_TRUNCATED : DECODE_FRAGMENT);
	}
	decoded_free(&d);
}

static void
test_decode_any_single_byte_change_never_reads_outside_the_frame(void **state)
{
	struct frame base = {.n = 0};
	struct decoded d = {0};
	static const uint8_t values[] = {0x00, 0x01, 0x04, 0x06, 0x11, 0x29, 0x2c,
					 0x3c, 0x45, 0x4f, 0x60, 0x80, 0xf0, 0xff};

	(void)state;
	/* QinQ, IPv6 with hop-by-hop, then 4in6 tunnel with a TCP segment. */
	put_eth(&base, 0x88a8);
	put16(&base, 1);
	put16(&base, 0x8100);
	put16(&base, 2);
	put16(&base, 0x86dd);
	put_ipv6(&base, 0, 8 + 20 + 20 + PAYLOAD_LEN);
	put8(&base, 4);
	put8(&base, 0);
	put_zeros(&base, 6);
	put_ipv4(&base, 6, 20 + PAYLOAD_LEN);
	put_tcp(&base);
	put_payload(&base);
	for (size_t i = 0; i < base.n; i++) {
		for (size_t v = 0; v < sizeof(values); v++) {
			struct frame f = base;
			enum decode_result r;

			f.b[i] = values[v];
			r = decode_copy(&d, DLT_EN10MB, f.b, f.n);
			assert_true((unsigned)r < DECODE_RESULTS);
			if (r != DECODE_OK)
				continue;
			assert_true(d.pk.family == 4 || d.pk.family == 6);
			assert_true(d.pk.l4 == 6 || d.pk.l4 == 17);
			assert_true(d.pk.payload >= d.copy);
			assert_true(d.pk.payload + d.pk.payload_len <= d.copy + f.n);
			assert_true(d.pk.l3 >= d.copy);
			assert_true(d.pk.l3 + d.pk.l3_len <= d.copy + f.n);
		}
	}
	decoded_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_decode_ethernet_ipv4_tcp_frame_gives_addresses_ports_flags_and_payload),
		cmocka_unit_test(test_decode_ethernet_with_one_8021q_tag_reaches_the_ip_header),
		cmocka_unit_test(
			test_decode_ethernet_with_qinq_8021ad_and_8021q_tags_reaches_the_ip_header),
		cmocka_unit_test(test_decode_ethernet_padding_is_trimmed_by_the_ipv4_total_length),
		cmocka_unit_test(test_decode_ethernet_padding_after_a_bare_ack_gives_no_payload),
		cmocka_unit_test(test_decode_ethernet_trailer_after_ipv6_is_not_payload),
		cmocka_unit_test(test_decode_arp_frame_is_not_ip),
		cmocka_unit_test(test_decode_ethertype_ip_with_a_bad_version_nibble_is_not_ip),
		cmocka_unit_test(test_decode_linux_sll_frame_reaches_the_ip_header),
		cmocka_unit_test(test_decode_linux_sll2_frame_reaches_the_ipv6_header),
		cmocka_unit_test(test_decode_linux_sll2_arp_is_not_ip),
		cmocka_unit_test(
			test_decode_dlt_null_with_a_host_order_address_family_reaches_the_ip_header),
		cmocka_unit_test(
			test_decode_dlt_null_with_a_bsd_ipv6_family_value_reaches_the_ipv6_header),
		cmocka_unit_test(
			test_decode_dlt_loop_with_a_network_order_address_family_reaches_the_ip_header),
		cmocka_unit_test(test_decode_dlt_null_shorter_than_its_family_field_is_truncated),
		cmocka_unit_test(test_decode_raw_ipv4_reaches_the_tcp_header),
		cmocka_unit_test(
			test_decode_raw_ipv6_skips_hop_by_hop_and_destination_options_before_tcp),
		cmocka_unit_test(
			test_decode_ipv6_extension_header_longer_than_the_payload_is_malformed),
		cmocka_unit_test(test_decode_ipv6_first_fragment_with_more_fragments_is_a_fragment),
		cmocka_unit_test(test_decode_ipv6_later_fragment_is_a_fragment),
		cmocka_unit_test(test_decode_ipv6_atomic_fragment_is_decoded_as_a_whole_packet),
		cmocka_unit_test(test_decode_ipv4_fragments_are_fragments_but_dont_fragment_is_not),
		cmocka_unit_test(test_decode_udp_gives_ports_and_payload),
		cmocka_unit_test(test_decode_icmp_and_icmpv6_are_other_l4),
		cmocka_unit_test(test_decode_tcp_options_are_skipped_to_the_payload),
		cmocka_unit_test(test_decode_ipv4_options_are_skipped_to_the_tcp_header),
		cmocka_unit_test(test_decode_tcp_data_offset_below_five_is_malformed),
		cmocka_unit_test(test_decode_tcp_data_offset_past_the_ip_length_is_malformed),
		cmocka_unit_test(test_decode_ipv4_header_length_below_five_words_is_malformed),
		cmocka_unit_test(
			test_decode_ipv4_total_length_below_the_header_length_is_malformed),
		cmocka_unit_test(
			test_decode_snaplen_cut_payload_sets_payload_cut_and_keeps_what_was_captured),
		cmocka_unit_test(test_decode_unsupported_link_type_is_reported_as_such),
		cmocka_unit_test(test_decode_result_names_are_stable_strings),
		cmocka_unit_test(
			test_decode_ipv4_in_ipv4_decodes_the_inner_packet_and_marks_it_tunneled),
		cmocka_unit_test(test_decode_ipv6_in_ipv4_decodes_the_inner_ipv6_packet),
		cmocka_unit_test(
			test_decode_reused_packet_record_keeps_nothing_from_the_previous_frame),
		cmocka_unit_test(
			test_decode_each_tunnel_gives_the_inner_five_tuple_and_names_the_tunnel),
		cmocka_unit_test(
			test_decode_every_prefix_of_every_tunnel_frame_is_counted_truncated_or_cut),
		cmocka_unit_test(test_decode_erspan_header_cut_short_names_erspan_not_gre),
		cmocka_unit_test(
			test_decode_impossible_tunnel_headers_are_malformed_or_unsupported),
		cmocka_unit_test(test_decode_mpls_stack_without_bottom_of_stack_is_malformed),
		cmocka_unit_test(
			test_decode_nesting_up_to_the_limit_is_decoded_and_one_more_is_too_deep),
		cmocka_unit_test(test_decode_mixed_nesting_lists_every_tunnel_outermost_first),
		cmocka_unit_test(test_decode_dtls_tunnel_ports_stay_udp_and_are_not_opened),
		cmocka_unit_test(test_decode_fragment_inside_a_tunnel_is_a_tunneled_fragment),
		cmocka_unit_test(test_decode_tunnel_names_are_stable_strings),
		cmocka_unit_test(
			test_decode_every_prefix_of_an_ethernet_ipv4_tcp_frame_is_truncated_or_cut),
		cmocka_unit_test(
			test_decode_every_prefix_of_a_qinq_ipv6_frame_with_options_is_truncated_or_cut),
		cmocka_unit_test(
			test_decode_every_prefix_of_sll_sll2_null_and_raw_frames_is_truncated_or_cut),
		cmocka_unit_test(test_decode_every_prefix_of_a_fragment_is_truncated_or_a_fragment),
		cmocka_unit_test(test_decode_any_single_byte_change_never_reads_outside_the_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
