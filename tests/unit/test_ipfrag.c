/*
 * test_ipfrag.c - IPv4/IPv6 fragment reassembly: order, duplicates,
 * conflicting overlaps, malformed fragments, timeouts and the memory caps.
 * Fragments are built as raw IP frames (DLT_RAW) and decoded by decode.c,
 * as the engine does.
 */
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "ipfrag.h"

#define PAYLOAD_LEN 200

static uint8_t payload[PAYLOAD_LEN]; /* a TCP header + data, to be fragmented */

static void
make_payload(void)
{
	memset(payload, 0, sizeof(payload));
	payload[0] = 0x9c; /* sport 40000 */
	payload[1] = 0x40;
	payload[3] = 25; /* dport 25 */
	payload[12] = 5 << 4;
	payload[13] = 0x18;
	for (size_t i = 20; i < sizeof(payload); i++)
		payload[i] = (uint8_t)('a' + i % 26);
}

/* An IPv4 fragment of payload [off, off + len) in f; returns its length. */
static size_t
frag4(uint8_t *f, uint16_t id, size_t off, size_t len, bool more, const uint8_t *src)
{
	size_t total = 20 + len;

	memset(f, 0, 20);
	f[0] = 0x45;
	f[2] = (uint8_t)(total >> 8);
	f[3] = (uint8_t)total;
	f[4] = (uint8_t)(id >> 8);
	f[5] = (uint8_t)id;
	f[6] = (uint8_t)((more ? 0x20 : 0) | ((off / 8) >> 8));
	f[7] = (uint8_t)(off / 8);
	f[8] = 64;
	f[9] = 6;
	f[12] = 10, f[15] = 1;
	f[16] = 10, f[19] = 2;
	memcpy(f + 20, src + off, len);
	return total;
}

static size_t
frag6(uint8_t *f, uint32_t id, size_t off, size_t len, bool more)
{
	memset(f, 0, 48);
	f[0] = 0x60;
	f[4] = (uint8_t)((8 + len) >> 8);
	f[5] = (uint8_t)(8 + len);
	f[6] = 44;
	f[7] = 64;
	f[8] = 0x20, f[23] = 1;
	f[24] = 0x20, f[39] = 2;
	f[40] = 6;
	f[42] = (uint8_t)(off >> 8);
	f[43] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
	f[44] = (uint8_t)(id >> 24);
	f[47] = (uint8_t)id;
	memcpy(f + 48, payload + off, len);
	return 48 + len;
}

struct fx {
	struct ipfrag *t;
	uint8_t f[4][400];
	size_t n[4];
};

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ipfrag_config cfg;

	make_payload();
	ipfrag_config_defaults(&cfg);
	x->t = ipfrag_new(&cfg);
	*state = x;
	return x->t ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *x = *state;

	ipfrag_free(x->t);
	free(x);
	return 0;
}

/* Feeds one raw frame; returns true and the decoded whole packet when it
 * completed a datagram. */
static bool
feed(struct ipfrag *t, const uint8_t *f, size_t n, uint64_t ts, struct packet *whole)
{
	struct packet pk;
	const uint8_t *out;
	size_t out_len;

	assert_int_equal(decode_packet(DLT_RAW, f, n, &pk), DECODE_FRAGMENT);
	if (!ipfrag_add(t, &pk, f, ts, &out, &out_len))
		return false;
	assert_int_equal(decode_packet(DLT_RAW, out, out_len, whole), DECODE_OK);
	return true;
}

static void
assert_whole_payload(const struct packet *pk)
{
	assert_int_equal(pk->l4, 6);
	assert_int_equal(pk->sport, 40000);
	assert_int_equal(pk->dport, 25);
	assert_int_equal(pk->payload_len, PAYLOAD_LEN - 20);
	assert_memory_equal(pk->payload, payload + 20, PAYLOAD_LEN - 20);
}

static void
test_ipv4_fragments_in_any_order_give_the_whole_segment(void **state)
{
	struct fx *x = *state;
	struct packet pk;

	x->n[0] = frag4(x->f[0], 7, 0, 64, true, payload);
	x->n[1] = frag4(x->f[1], 7, 64, 64, true, payload);
	x->n[2] = frag4(x->f[2], 7, 128, 72, false, payload);
	assert_false(feed(x->t, x->f[2], x->n[2], 1, &pk));
	assert_false(feed(x->t, x->f[0], x->n[0], 2, &pk));
	assert_false(feed(x->t, x->f[0], x->n[0], 2, &pk)); /* a duplicate */
	assert_true(feed(x->t, x->f[1], x->n[1], 3, &pk));
	assert_whole_payload(&pk);
	assert_int_equal(ipfrag_stats(x->t)->reassembled, 1);
	assert_int_equal(ipfrag_stats(x->t)->bytes_now, 0);
}

static void
test_ipv6_fragments_give_the_whole_segment(void **state)
{
	struct fx *x = *state;
	struct packet pk;

	x->n[0] = frag6(x->f[0], 99, 0, 104, true);
	x->n[1] = frag6(x->f[1], 99, 104, 96, false);
	assert_false(feed(x->t, x->f[1], x->n[1], 1, &pk));
	assert_true(feed(x->t, x->f[0], x->n[0], 2, &pk));
	assert_int_equal(pk.family, 6);
	assert_whole_payload(&pk);
}

static void
test_an_overlap_that_changes_bytes_drops_the_datagram(void **state)
{
	struct fx *x = *state;
	uint8_t evil[PAYLOAD_LEN];
	struct packet pk;

	memcpy(evil, payload, sizeof(evil));
	memset(evil + 64, 'X', 8);
	x->n[0] = frag4(x->f[0], 8, 0, 64, true, payload);
	x->n[1] = frag4(x->f[1], 8, 64, 64, true, evil);
	x->n[2] = frag4(x->f[2], 8, 64, 64, true, payload);
	x->n[3] = frag4(x->f[3], 8, 128, 72, false, payload);
	assert_false(feed(x->t, x->f[0], x->n[0], 1, &pk));
	assert_false(feed(x->t, x->f[1], x->n[1], 1, &pk));
	assert_false(feed(x->t, x->f[2], x->n[2], 1, &pk));
	assert_int_equal(ipfrag_stats(x->t)->overlaps, 1);
	/* What follows starts over and cannot complete without the start. */
	assert_false(feed(x->t, x->f[3], x->n[3], 1, &pk));
	assert_int_equal(ipfrag_stats(x->t)->reassembled, 0);
}

static void
test_a_non_last_fragment_not_a_multiple_of_8_is_malformed(void **state)
{
	struct fx *x = *state;
	struct packet pk;

	x->n[0] = frag4(x->f[0], 9, 0, 60, true, payload);
	assert_false(feed(x->t, x->f[0], x->n[0], 1, &pk));
	assert_int_equal(ipfrag_stats(x->t)->malformed, 1);
}

static void
test_two_different_last_fragments_are_malformed(void **state)
{
	struct fx *x = *state;
	struct packet pk;

	x->n[0] = frag4(x->f[0], 10, 128, 72, false, payload);
	x->n[1] = frag4(x->f[1], 10, 128, 40, false, payload);
	assert_false(feed(x->t, x->f[0], x->n[0], 1, &pk));
	assert_false(feed(x->t, x->f[1], x->n[1], 1, &pk));
	assert_int_equal(ipfrag_stats(x->t)->malformed, 1);
	assert_int_equal(ipfrag_stats(x->t)->bytes_now, 0);
}

static void
test_an_incomplete_datagram_times_out(void **state)
{
	struct fx *x = *state;
	struct packet pk;

	x->n[0] = frag4(x->f[0], 11, 0, 64, true, payload);
	assert_false(feed(x->t, x->f[0], x->n[0], 1000000, &pk));
	ipfrag_expire(x->t, 1000000 + 29ull * 1000000);
	assert_int_equal(ipfrag_stats(x->t)->timeouts, 0);
	ipfrag_expire(x->t, 1000000 + 30ull * 1000000);
	assert_int_equal(ipfrag_stats(x->t)->timeouts, 1);
	assert_int_equal(ipfrag_stats(x->t)->bytes_now, 0);
}

static void
test_the_datagram_cap_evicts_the_oldest(void **state)
{
	struct ipfrag_config cfg;
	struct ipfrag *t;
	uint8_t f[400];
	struct packet pk;
	size_t n;

	(void)state;
	ipfrag_config_defaults(&cfg);
	cfg.max_datagrams = 4;
	t = ipfrag_new(&cfg);
	for (uint16_t id = 0; id < 10; id++) {
		n = frag4(f, id, 0, 64, true, payload);
		assert_false(feed(t, f, n, 1, &pk));
	}
	assert_int_equal(ipfrag_stats(t)->evicted, 6);
	/* The newest is still there and completes. */
	n = frag4(f, 9, 64, 136, false, payload);
	assert_true(feed(t, f, n, 2, &pk));
	assert_whole_payload(&pk);
	ipfrag_free(t);
}

static void
test_the_memcap_bounds_the_bytes_held(void **state)
{
	struct ipfrag_config cfg;
	struct ipfrag *t;
	uint8_t f[400];
	struct packet pk;
	size_t n;

	(void)state;
	ipfrag_config_defaults(&cfg);
	cfg.memcap = 3 * 2048;
	t = ipfrag_new(&cfg);
	for (uint16_t id = 0; id < 10; id++) {
		n = frag4(f, id, 0, 64, true, payload);
		assert_false(feed(t, f, n, 1, &pk));
		assert_true(ipfrag_stats(t)->bytes_now <= cfg.memcap);
	}
	assert_int_equal(ipfrag_stats(t)->evicted, 7);
	ipfrag_free(t);
}

static void
test_a_fragment_cut_by_the_snap_length_is_not_kept(void **state)
{
	struct fx *x = *state;
	struct packet pk;
	const uint8_t *out;
	size_t out_len;

	x->n[0] = frag4(x->f[0], 12, 0, 64, true, payload);
	assert_int_equal(decode_packet(DLT_RAW, x->f[0], x->n[0] - 10, &pk), DECODE_FRAGMENT);
	assert_false(ipfrag_add(x->t, &pk, x->f[0], 1, &out, &out_len));
	assert_int_equal(ipfrag_stats(x->t)->uncaptured, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ipv4_fragments_in_any_order_give_the_whole_segment),
		T(test_ipv6_fragments_give_the_whole_segment),
		T(test_an_overlap_that_changes_bytes_drops_the_datagram),
		T(test_a_non_last_fragment_not_a_multiple_of_8_is_malformed),
		T(test_two_different_last_fragments_are_malformed),
		T(test_an_incomplete_datagram_times_out),
		T(test_the_datagram_cap_evicts_the_oldest),
		T(test_the_memcap_bounds_the_bytes_held),
		T(test_a_fragment_cut_by_the_snap_length_is_not_kept),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
