/*
 * test_flow.c - unit tests for the bidirectional flow table (src/flow.c).
 *
 * The table links flows the caller owns, so the tests keep their flows in
 * plain arrays and check lookups in both directions, the symmetric hash, the
 * LRU order through touch and remove, and a large table built from a small
 * initial size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow.h"

/* A TCP key from 127.0.0.1:cport to 127.0.0.2:sport (IPv4) or ::1 to ::2. */
static struct flow_key
key_make(uint8_t family, uint16_t cport, uint16_t sport)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	k.l4 = 6;
	k.port[0] = cport;
	k.port[1] = sport;
	if (family == 4) {
		k.addr[0][0] = 127;
		k.addr[0][3] = 1;
		k.addr[1][0] = 127;
		k.addr[1][3] = 2;
	} else {
		k.addr[0][15] = 1;
		k.addr[1][15] = 2;
	}
	return k;
}

static struct flow_key
key_swap(const struct flow_key *k)
{
	struct flow_key r = *k;

	r.port[0] = k->port[1];
	r.port[1] = k->port[0];
	memcpy(r.addr[0], k->addr[1], 16);
	memcpy(r.addr[1], k->addr[0], 16);
	return r;
}

static void
flow_set(struct flow *f, const struct flow_key *k)
{
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->hash = flow_key_hash(k);
}

static struct flow *
lookup(struct flow_table *t, const struct flow_key *k, bool *reversed)
{
	return flow_table_lookup(t, k, flow_key_hash(k), reversed);
}

/* A deterministic pseudo-random sequence (xorshift32). */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static struct flow_key
key_random(uint32_t *s, uint8_t family)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	k.l4 = rnd(s) & 1 ? 6 : 17;
	k.port[0] = (uint16_t)rnd(s);
	k.port[1] = (uint16_t)rnd(s);
	for (int i = 0; i < (family == 6 ? 16 : 4); i++) {
		k.addr[0][i] = (uint8_t)rnd(s);
		k.addr[1][i] = (uint8_t)rnd(s);
	}
	return k;
}

/* ---- lookup ---- */

static void
test_flow_lookup_finds_an_inserted_flow_from_both_sides(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f;
	struct flow_key k = key_make(4, 40000, 25), back = key_swap(&k);
	bool reversed = true;

	(void)state;
	assert_non_null(t);
	flow_set(&f, &k);
	flow_table_insert(t, &f, 100);
	assert_int_equal(flow_table_count(t), 1);
	assert_ptr_equal(lookup(t, &k, &reversed), &f);
	assert_false(reversed);
	assert_ptr_equal(lookup(t, &back, &reversed), &f);
	assert_true(reversed);
	assert_int_equal(f.ts_last_us, 100);
	flow_table_free(t);
}

static void
test_flow_lookup_of_a_key_that_differs_in_any_field_finds_nothing(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f;
	struct flow_key k = key_make(6, 40000, 25), other;
	bool reversed;

	(void)state;
	flow_set(&f, &k);
	flow_table_insert(t, &f, 1);

	other = k;
	other.l4 = 17;
	assert_null(lookup(t, &other, &reversed));
	other = k;
	other.port[0]++;
	assert_null(lookup(t, &other, &reversed));
	other = k;
	other.port[1]++;
	assert_null(lookup(t, &other, &reversed));
	other = k;
	other.addr[0][0] ^= 1;
	assert_null(lookup(t, &other, &reversed));
	other = k;
	other.addr[1][15] ^= 0x80;
	assert_null(lookup(t, &other, &reversed));
	/* Same endpoints, ports crossed: a different flow. */
	other = k;
	other.port[0] = k.port[1];
	other.port[1] = k.port[0];
	assert_null(lookup(t, &other, &reversed));
	flow_table_free(t);
}

static void
test_flow_ipv4_and_ipv6_keys_with_the_same_bytes_never_match_each_other(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f4, f6;
	struct flow_key k4 = key_make(4, 1000, 2000), k6 = k4;
	bool reversed;

	(void)state;
	/* The IPv6 key holds exactly the IPv4 bytes (the rest zero). */
	k6.family = 6;
	flow_set(&f4, &k4);
	flow_table_insert(t, &f4, 1);
	assert_null(lookup(t, &k6, &reversed));
	/* Even forced into one hash chain, they stay apart. */
	flow_set(&f6, &k6);
	f6.hash = f4.hash;
	flow_table_insert(t, &f6, 2);
	assert_ptr_equal(flow_table_lookup(t, &k4, f4.hash, &reversed), &f4);
	assert_ptr_equal(flow_table_lookup(t, &k6, f4.hash, &reversed), &f6);
	flow_table_remove(t, &f4);
	assert_null(flow_table_lookup(t, &k4, f4.hash, &reversed));
	assert_ptr_equal(flow_table_lookup(t, &k6, f4.hash, &reversed), &f6);
	flow_table_free(t);
}

static void
test_flow_ipv4_key_ignores_address_bytes_past_the_fourth(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f;
	struct flow_key k = key_make(4, 1, 2), dirty = k;
	bool reversed;

	(void)state;
	memset(dirty.addr[0] + 4, 0xaa, 12);
	memset(dirty.addr[1] + 4, 0x55, 12);
	assert_int_equal(flow_key_hash(&k), flow_key_hash(&dirty));
	flow_set(&f, &k);
	flow_table_insert(t, &f, 1);
	assert_ptr_equal(lookup(t, &dirty, &reversed), &f);
	flow_table_free(t);
}

static void
test_flow_a_flow_between_one_endpoint_and_itself_is_found_unreversed(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f;
	struct flow_key k = key_make(4, 5555, 5555);
	bool reversed = true;

	(void)state;
	memcpy(k.addr[1], k.addr[0], 16);
	flow_set(&f, &k);
	flow_table_insert(t, &f, 1);
	assert_ptr_equal(lookup(t, &k, &reversed), &f);
	assert_false(reversed);
	flow_table_free(t);
}

static void
test_flow_colliding_hashes_share_a_chain_and_each_is_still_found(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f[5];
	bool reversed;

	(void)state;
	for (int i = 0; i < 5; i++) {
		struct flow_key k = key_make(i % 2 ? 6 : 4, (uint16_t)(1000 + i), 25);

		flow_set(&f[i], &k);
		f[i].hash = 7; /* one bucket for all */
		flow_table_insert(t, &f[i], (uint64_t)i);
	}
	/* Remove from the middle, the chain head (last inserted) and the end. */
	flow_table_remove(t, &f[2]);
	flow_table_remove(t, &f[4]);
	flow_table_remove(t, &f[0]);
	assert_int_equal(flow_table_count(t), 2);
	for (int i = 0; i < 5; i++) {
		struct flow_key back = key_swap(&f[i].key);
		struct flow *want = (i == 1 || i == 3) ? &f[i] : NULL;

		assert_ptr_equal(flow_table_lookup(t, &f[i].key, 7, &reversed), want);
		assert_ptr_equal(flow_table_lookup(t, &back, 7, &reversed), want);
	}
	flow_table_free(t);
}

/* ---- hash ---- */

static void
test_flow_key_hash_is_the_same_from_both_sides(void **state)
{
	uint32_t s = 12345;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		struct flow_key k = key_random(&s, i % 2 ? 6 : 4), back = key_swap(&k);

		assert_int_equal(flow_key_hash(&k), flow_key_hash(&back));
	}
}

static void
test_flow_key_hash_spreads_distinct_keys(void **state)
{
	enum { N = 20000 };
	uint32_t *h = calloc(N, sizeof(*h));
	uint32_t s = 777;
	size_t distinct = 1, low_bits[1024] = {0}, worst = 0;

	(void)state;
	assert_non_null(h);
	/* Keys that differ only in the client port, like a busy server sees. */
	for (int i = 0; i < N; i++) {
		struct flow_key k = key_make(i % 2 ? 6 : 4, (uint16_t)(i / 2), 443);

		h[i] = flow_key_hash(&k);
		low_bits[h[i] & 1023]++;
	}
	for (int i = 0; i < 1024; i++)
		if (low_bits[i] > worst)
			worst = low_bits[i];
	/* About 20 per bucket on average: no bucket should hold many times that. */
	assert_true(worst < 100);
	/* Random keys: hardly any two may hash alike. */
	for (int i = 0; i < N; i++) {
		struct flow_key k = key_random(&s, 4);

		h[i] = flow_key_hash(&k);
	}
	/* Sort-free distinct count: insertion into a small open hash set. */
	{
		size_t cap = 1 << 16;
		uint32_t *set = calloc(cap, sizeof(*set));
		bool *used = calloc(cap, sizeof(*used));

		assert_non_null(set);
		assert_non_null(used);
		distinct = 0;
		for (int i = 0; i < N; i++) {
			size_t j = (h[i] * 2654435761u) & (cap - 1);

			while (used[j] && set[j] != h[i])
				j = (j + 1) & (cap - 1);
			if (!used[j]) {
				used[j] = true;
				set[j] = h[i];
				distinct++;
			}
		}
		free(set);
		free(used);
	}
	assert_true(distinct > N - 20);
	free(h);
}

/* ---- LRU ---- */

/* Checks the LRU order (oldest first) by following newer() from oldest(),
 * and the back links with it. */
static void
assert_lru_order(const struct flow_table *t, struct flow *const *want, size_t n)
{
	const struct flow *f = flow_table_oldest(t);

	assert_int_equal(flow_table_count(t), n);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(f, want[i]);
		assert_ptr_equal(flow_table_older(t, f), i ? want[i - 1] : NULL);
		f = flow_table_newer(t, f);
	}
	assert_null(f);
}

static void
test_flow_oldest_follows_insertion_order_and_touch_moves_a_flow_to_the_end(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f[3];

	(void)state;
	assert_null(flow_table_oldest(t));
	for (int i = 0; i < 3; i++) {
		struct flow_key k = key_make(4, (uint16_t)(100 + i), 25);

		flow_set(&f[i], &k);
		flow_table_insert(t, &f[i], (uint64_t)(10 * i));
	}
	assert_lru_order(t, (struct flow *[]){&f[0], &f[1], &f[2]}, 3);

	flow_table_touch(t, &f[0], 50);
	assert_int_equal(f[0].ts_last_us, 50);
	assert_lru_order(t, (struct flow *[]){&f[1], &f[2], &f[0]}, 3);

	/* Touching the newest keeps the order and updates the time. */
	flow_table_touch(t, &f[0], 60);
	assert_int_equal(f[0].ts_last_us, 60);
	assert_lru_order(t, (struct flow *[]){&f[1], &f[2], &f[0]}, 3);

	flow_table_touch(t, &f[2], 70);
	assert_lru_order(t, (struct flow *[]){&f[1], &f[0], &f[2]}, 3);
	flow_table_free(t);
}

static void
test_flow_closed_flows_have_their_own_list_and_are_evicted_first(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct flow_key k = key_make(4, (uint16_t)(200 + i), 143);

		flow_set(&f[i], &k);
		flow_table_insert(t, &f[i], (uint64_t)(10 * i));
	}
	flow_table_close(t, &f[2]);
	flow_table_close(t, &f[1]);
	flow_table_close(t, &f[1]); /* closing twice changes nothing */
	/* Open: 0, 3 (oldest first); closed: 2, 1 (in the order they closed). */
	assert_ptr_equal(flow_table_oldest_open(t), &f[0]);
	assert_ptr_equal(flow_table_newer(t, &f[0]), &f[3]);
	assert_null(flow_table_newer(t, &f[3]));
	assert_ptr_equal(flow_table_oldest_closed(t), &f[2]);
	assert_ptr_equal(flow_table_newer(t, &f[2]), &f[1]);
	assert_true(f[1].closed && f[2].closed && !f[0].closed);
	/* Eviction takes a closed flow first, even a younger one. */
	assert_ptr_equal(flow_table_oldest(t), &f[2]);
	flow_table_remove(t, &f[2]);
	flow_table_remove(t, &f[1]);
	assert_null(flow_table_oldest_closed(t));
	assert_ptr_equal(flow_table_oldest(t), &f[0]);
	/* A closed flow touched stays on the closed list. */
	flow_table_close(t, &f[0]);
	flow_table_touch(t, &f[0], 99);
	assert_ptr_equal(flow_table_oldest_open(t), &f[3]);
	assert_ptr_equal(flow_table_oldest_closed(t), &f[0]);
	assert_int_equal(flow_table_count(t), 2);
	flow_table_free(t);
}

static void
test_flow_udp_flows_have_their_own_list_and_eviction_takes_the_idlest_of_both(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct flow_key k = key_make(4, (uint16_t)(300 + i), 53);

		k.l4 = i % 2 ? 17 : 6; /* 0, 2 TCP; 1, 3 UDP */
		flow_set(&f[i], &k);
		flow_table_insert(t, &f[i], (uint64_t)(10 * i));
	}
	assert_ptr_equal(flow_table_oldest_open(t), &f[0]);
	assert_ptr_equal(flow_table_newer(t, &f[0]), &f[2]);
	assert_ptr_equal(flow_table_oldest_udp(t), &f[1]);
	assert_ptr_equal(flow_table_newer(t, &f[1]), &f[3]);
	assert_ptr_equal(flow_table_oldest(t), &f[0]);
	/* The TCP flow touched: the idlest is now the UDP one. */
	flow_table_touch(t, &f[0], 40);
	assert_ptr_equal(flow_table_oldest(t), &f[1]);
	assert_ptr_equal(flow_table_oldest_open(t), &f[2]);
	/* A UDP flow touched moves within the UDP list only. */
	flow_table_touch(t, &f[1], 50);
	assert_ptr_equal(flow_table_oldest_udp(t), &f[3]);
	assert_ptr_equal(flow_table_oldest(t), &f[2]);
	/* Closed, it joins the closed list, and eviction takes it first. */
	flow_table_close(t, &f[3]);
	assert_ptr_equal(flow_table_oldest_udp(t), &f[1]);
	assert_null(flow_table_newer(t, &f[1]));
	assert_ptr_equal(flow_table_oldest_closed(t), &f[3]);
	assert_ptr_equal(flow_table_oldest(t), &f[3]);
	flow_table_remove(t, &f[3]);
	flow_table_remove(t, &f[1]);
	assert_null(flow_table_oldest_udp(t));
	assert_int_equal(flow_table_count(t), 2);
	flow_table_free(t);
}

static void
test_flow_touch_with_an_older_time_still_follows_arrival_order(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct flow_key k = key_make(6, (uint16_t)(100 + i), 25);

		flow_set(&f[i], &k);
		flow_table_insert(t, &f[i], 1000);
	}
	flow_table_touch(t, &f[0], 5); /* the clock stepped back */
	assert_int_equal(f[0].ts_last_us, 5);
	assert_lru_order(t, (struct flow *[]){&f[1], &f[0]}, 2);
	flow_table_free(t);
}

static void
test_flow_touch_of_the_only_flow_keeps_it_oldest_and_newest(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f;
	struct flow_key k = key_make(4, 1, 2);

	(void)state;
	flow_set(&f, &k);
	flow_table_insert(t, &f, 1);
	flow_table_touch(t, &f, 2);
	assert_lru_order(t, (struct flow *[]){&f}, 1);
	flow_table_free(t);
}

static void
test_flow_remove_of_head_middle_and_tail_keeps_the_lru_list_linked(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f[5];
	bool reversed;

	(void)state;
	for (int i = 0; i < 5; i++) {
		struct flow_key k = key_make(4, (uint16_t)(100 + i), 25);

		flow_set(&f[i], &k);
		flow_table_insert(t, &f[i], (uint64_t)i);
	}
	flow_table_remove(t, &f[2]); /* middle */
	assert_lru_order(t, (struct flow *[]){&f[0], &f[1], &f[3], &f[4]}, 4);
	flow_table_remove(t, &f[0]); /* head */
	assert_lru_order(t, (struct flow *[]){&f[1], &f[3], &f[4]}, 3);
	flow_table_remove(t, &f[4]); /* tail */
	assert_lru_order(t, (struct flow *[]){&f[1], &f[3]}, 2);
	/* The tail is right: a new flow and a touch append after f[3]. */
	flow_table_insert(t, &f[4], 9);
	flow_table_touch(t, &f[1], 10);
	assert_lru_order(t, (struct flow *[]){&f[3], &f[4], &f[1]}, 3);
	assert_null(lookup(t, &f[0].key, &reversed));
	assert_null(lookup(t, &f[2].key, &reversed));
	flow_table_remove(t, &f[3]);
	flow_table_remove(t, &f[4]);
	flow_table_remove(t, &f[1]);
	assert_lru_order(t, NULL, 0);
	assert_null(flow_table_oldest(t));
	flow_table_free(t);
}

static void
test_flow_remove_of_a_flow_not_in_the_table_changes_nothing(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow in, out;
	struct flow_key k1 = key_make(4, 1, 2), k2 = key_make(4, 3, 4);
	bool reversed;

	(void)state;
	flow_set(&in, &k1);
	flow_set(&out, &k2);
	flow_table_insert(t, &in, 1);
	flow_table_remove(t, &out);
	assert_int_equal(flow_table_count(t), 1);
	assert_lru_order(t, (struct flow *[]){&in}, 1);
	flow_table_remove(t, &in);
	flow_table_remove(t, &in); /* twice */
	assert_int_equal(flow_table_count(t), 0);
	assert_null(lookup(t, &k1, &reversed));
	flow_table_free(t);
}

static void
test_flow_a_removed_flow_can_be_inserted_again(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f;
	struct flow_key k = key_make(6, 1, 2);
	bool reversed;

	(void)state;
	flow_set(&f, &k);
	flow_table_insert(t, &f, 1);
	flow_table_remove(t, &f);
	flow_table_insert(t, &f, 2);
	assert_ptr_equal(lookup(t, &k, &reversed), &f);
	assert_lru_order(t, (struct flow *[]){&f}, 1);
	flow_table_free(t);
}

/* ---- many flows ---- */

enum { MANY = 100000 };

static void
many_insert(struct flow_table *t, struct flow *f)
{
	for (uint32_t i = 0; i < MANY; i++) {
		struct flow_key k;

		memset(&k, 0, sizeof(k));
		k.family = i % 3 ? 4 : 6;
		k.l4 = 6;
		k.port[0] = (uint16_t)(1024 + i % 50000);
		k.port[1] = (uint16_t)(i / 50000 + 1);
		k.addr[0][0] = 127;
		k.addr[0][3] = 1;
		k.addr[1][0] = 127;
		k.addr[1][2] = (uint8_t)(i >> 16);
		k.addr[1][3] = (uint8_t)(i >> 8);
		k.addr[1][1] = (uint8_t)i;
		flow_set(&f[i], &k);
		flow_table_insert(t, &f[i], i);
	}
}

static void
test_flow_many_flows_in_a_small_table_are_all_found_and_drain_oldest_first(void **state)
{
	struct flow_table *t = flow_table_new(1);
	struct flow *f = calloc(MANY, sizeof(*f));
	bool reversed;

	(void)state;
	assert_non_null(t);
	assert_non_null(f);
	many_insert(t, f);
	assert_int_equal(flow_table_count(t), MANY);
	for (uint32_t i = 0; i < MANY; i++) {
		struct flow_key back = key_swap(&f[i].key);

		assert_ptr_equal(lookup(t, &f[i].key, &reversed), &f[i]);
		assert_false(reversed);
		assert_ptr_equal(lookup(t, &back, &reversed), &f[i]);
		assert_true(reversed);
	}
	for (uint32_t i = 0; i < MANY; i++) {
		assert_ptr_equal(flow_table_oldest(t), &f[i]);
		flow_table_remove(t, &f[i]);
		assert_int_equal(flow_table_count(t), MANY - i - 1);
	}
	assert_null(flow_table_oldest(t));
	for (uint32_t i = 0; i < MANY; i += 997)
		assert_null(lookup(t, &f[i].key, &reversed));
	flow_table_free(t);
	free(f);
}

static void
test_flow_many_flows_removed_in_random_order_keep_oldest_right_after_each(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow *f = calloc(MANY, sizeof(*f));
	uint32_t *order = calloc(MANY, sizeof(*order));
	bool *gone = calloc(MANY, sizeof(*gone));
	uint32_t s = 4242, next_oldest = 0;
	bool reversed;

	(void)state;
	assert_non_null(f);
	assert_non_null(order);
	assert_non_null(gone);
	many_insert(t, f);
	for (uint32_t i = 0; i < MANY; i++)
		order[i] = i;
	for (uint32_t i = MANY - 1; i > 0; i--) {
		uint32_t j = rnd(&s) % (i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (uint32_t i = 0; i < MANY; i++) {
		uint32_t victim = order[i];

		flow_table_remove(t, &f[victim]);
		gone[victim] = true;
		while (next_oldest < MANY && gone[next_oldest])
			next_oldest++;
		if (next_oldest == MANY)
			assert_null(flow_table_oldest(t));
		else
			assert_ptr_equal(flow_table_oldest(t), &f[next_oldest]);
		assert_int_equal(flow_table_count(t), MANY - i - 1);
		if (i % 1009 == 0) {
			assert_null(lookup(t, &f[victim].key, &reversed));
			if (next_oldest < MANY)
				assert_ptr_equal(lookup(t, &f[next_oldest].key, &reversed),
						 &f[next_oldest]);
		}
	}
	flow_table_free(t);
	free(f);
	free(order);
	free(gone);
}

static void
test_flow_replace_puts_the_new_record_at_the_old_ones_place(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow f[3], copy;
	bool reversed;

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct flow_key k = key_make(4, (uint16_t)(600 + i), 993);

		flow_set(&f[i], &k);
		flow_table_insert(t, &f[i], (uint64_t)i);
	}
	/* The middle one moves to another record (as a session is packed). */
	copy = f[1];
	flow_table_replace(t, &f[1], &copy);
	assert_lru_order(t, (struct flow *[]){&f[0], &copy, &f[2]}, 3);
	assert_ptr_equal(lookup(t, &f[1].key, &reversed), &copy);
	/* The old record is not linked any more: removing it changes nothing. */
	flow_table_remove(t, &f[1]);
	assert_lru_order(t, (struct flow *[]){&f[0], &copy, &f[2]}, 3);
	/* A closed flow replaced stays closed, found, at its place. */
	flow_table_close(t, &f[0]);
	flow_table_close(t, &copy);
	f[1] = copy;
	flow_table_replace(t, &copy, &f[1]);
	assert_ptr_equal(flow_table_oldest_closed(t), &f[0]);
	assert_ptr_equal(flow_table_newer(t, &f[0]), &f[1]);
	assert_ptr_equal(lookup(t, &f[1].key, &reversed), &f[1]);
	flow_table_remove(t, &f[1]);
	assert_null(lookup(t, &f[1].key, &reversed));
	assert_null(flow_table_newer(t, &f[0]));
	assert_int_equal(flow_table_count(t), 2);
	flow_table_free(t);
}

static void
test_flow_many_flows_closed_and_open_are_all_found_while_they_come_and_go(void **state)
{
	struct flow_table *t = flow_table_new(1);
	struct flow *f = calloc(MANY, sizeof(*f));
	bool reversed;

	(void)state;
	assert_non_null(f);
	many_insert(t, f);
	/* Two in three close (a session-dense link lingers many closed
	 * flows), in an order the hash does not predict. */
	for (uint32_t i = 0; i < MANY; i++) {
		uint32_t j = (uint32_t)(((uint64_t)i * 7919) % MANY);

		assert_true(flow_table_reserve(t));
		if (j % 3)
			flow_table_close(t, &f[j]);
	}
	assert_int_equal(flow_table_count(t), MANY);
	for (uint32_t i = 0; i < MANY; i++) {
		struct flow_key back = key_swap(&f[i].key);

		assert_ptr_equal(lookup(t, &f[i].key, &reversed), &f[i]);
		assert_ptr_equal(lookup(t, &back, &reversed), &f[i]);
		assert_true(reversed);
		assert_int_equal(f[i].closed, i % 3 != 0);
	}
	/* Every third closed one goes; the rest stay found. */
	for (uint32_t i = 1; i < MANY; i += 3)
		flow_table_remove(t, &f[i]);
	for (uint32_t i = 0; i < MANY; i++)
		assert_ptr_equal(lookup(t, &f[i].key, &reversed), i % 3 == 1 ? NULL : &f[i]);
	assert_int_equal(flow_table_count(t), MANY - (MANY + 1) / 3);
	flow_table_free(t);
	free(f);
}

static void
test_flow_table_free_of_null_is_harmless(void **state)
{
	(void)state;
	flow_table_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_lookup_finds_an_inserted_flow_from_both_sides),
		cmocka_unit_test(test_flow_lookup_of_a_key_that_differs_in_any_field_finds_nothing),
		cmocka_unit_test(
			test_flow_ipv4_and_ipv6_keys_with_the_same_bytes_never_match_each_other),
		cmocka_unit_test(test_flow_ipv4_key_ignores_address_bytes_past_the_fourth),
		cmocka_unit_test(
			test_flow_a_flow_between_one_endpoint_and_itself_is_found_unreversed),
		cmocka_unit_test(test_flow_colliding_hashes_share_a_chain_and_each_is_still_found),
		cmocka_unit_test(test_flow_key_hash_is_the_same_from_both_sides),
		cmocka_unit_test(test_flow_key_hash_spreads_distinct_keys),
		cmocka_unit_test(
			test_flow_oldest_follows_insertion_order_and_touch_moves_a_flow_to_the_end),
		cmocka_unit_test(test_flow_touch_with_an_older_time_still_follows_arrival_order),
		cmocka_unit_test(test_flow_touch_of_the_only_flow_keeps_it_oldest_and_newest),
		cmocka_unit_test(
			test_flow_remove_of_head_middle_and_tail_keeps_the_lru_list_linked),
		cmocka_unit_test(test_flow_remove_of_a_flow_not_in_the_table_changes_nothing),
		cmocka_unit_test(test_flow_a_removed_flow_can_be_inserted_again),
		cmocka_unit_test(
			test_flow_many_flows_in_a_small_table_are_all_found_and_drain_oldest_first),
		cmocka_unit_test(
			test_flow_many_flows_removed_in_random_order_keep_oldest_right_after_each),
		cmocka_unit_test(test_flow_table_free_of_null_is_harmless),
		cmocka_unit_test(test_flow_replace_puts_the_new_record_at_the_old_ones_place),
		cmocka_unit_test(
			test_flow_many_flows_closed_and_open_are_all_found_while_they_come_and_go),
		cmocka_unit_test(test_flow_closed_flows_have_their_own_list_and_are_evicted_first),
		cmocka_unit_test(
			test_flow_udp_flows_have_their_own_list_and_eviction_takes_the_idlest_of_both),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
