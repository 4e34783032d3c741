/*
 * test_ring.c - the message ring between the engine's threads: messages
 * come out whole and in order, across the wrap of the buffer, with a
 * producer faster than the consumer (and the reverse), and a full ring makes
 * the producer wait, calling its wait hook, instead of overwriting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ring.h"

/* Message i: its number, then (i * 7) % 300 bytes of a pattern of i. */
static size_t
msg_len(uint32_t i)
{
	return sizeof(uint32_t) + (i * 7u) % 300u;
}

static void
msg_fill(uint8_t *p, uint32_t i)
{
	memcpy(p, &i, sizeof(i));
	for (size_t k = sizeof(i); k < msg_len(i); k++)
		p[k] = (uint8_t)(i + k);
}

static void
msg_check(const uint8_t *p, size_t len, uint32_t want)
{
	uint32_t i;

	assert_int_equal(len, msg_len(want));
	memcpy(&i, p, sizeof(i));
	assert_int_equal(i, want);
	for (size_t k = sizeof(i); k < len; k++)
		assert_int_equal(p[k], (uint8_t)(want + k));
}

static void
test_ring_messages_come_out_whole_and_in_order_across_the_wrap(void **st)
{
	struct ring r;
	uint32_t next_in = 0, next_out = 0;

	(void)st;
	assert_int_equal(ring_init(&r, 4096), 0);
	assert_true(ring_empty(&r));
	assert_null(ring_peek(&r, &(size_t){0}));
	/* Three in, two out, many times: the buffer wraps dozens of times. */
	while (next_out < 2000) {
		for (int k = 0; k < 3 && next_in < 2000; k++) {
			uint8_t *p;

			if (r.size - (atomic_load(&r.head) - atomic_load(&r.tail)) < 2 * 320)
				break; /* would wait: the consumer is this thread */
			p = ring_reserve(&r, msg_len(next_in), NULL, NULL);
			msg_fill(p, next_in++);
			ring_commit(&r);
		}
		for (int k = 0; k < 2; k++) {
			size_t len;
			uint8_t *p = ring_peek(&r, &len);

			if (!p)
				break;
			msg_check(p, len, next_out++);
			ring_release(&r);
		}
	}
	assert_true(ring_empty(&r));
	ring_destroy(&r);
}

struct pair {
	struct ring r;
	uint32_t n;
	int slow_consumer;
	int waits; /* producer's wait hook calls */
};

static void
nap(void)
{
	struct timespec ts = {0, 20000};

	nanosleep(&ts, NULL);
}

static void
on_wait(void *ctx)
{
	struct pair *pr = ctx;

	pr->waits++;
}

static void *
producer(void *arg)
{
	struct pair *pr = arg;

	for (uint32_t i = 0; i < pr->n; i++) {
		uint8_t *p = ring_reserve(&pr->r, msg_len(i), on_wait, pr);

		msg_fill(p, i);
		ring_commit(&pr->r);
		if (!pr->slow_consumer && i % 64 == 0)
			nap();
	}
	return NULL;
}

static void
run_pair(int slow_consumer)
{
	struct pair pr = {.n = 20000, .slow_consumer = slow_consumer};
	pthread_t t;

	assert_int_equal(ring_init(&pr.r, 8192), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &pr), 0);
	for (uint32_t i = 0; i < pr.n; i++) {
		size_t len;
		uint8_t *p = ring_peek_wait(&pr.r, &len);

		msg_check(p, len, i);
		ring_release(&pr.r);
		if (slow_consumer && i % 64 == 0)
			nap();
	}
	pthread_join(t, NULL);
	assert_true(ring_empty(&pr.r));
	if (slow_consumer)
		assert_true(pr.waits > 0); /* the producer did wait on a full ring */
	ring_destroy(&pr.r);
}

static void
test_ring_a_slow_consumer_makes_the_producer_wait_and_loses_nothing(void **st)
{
	(void)st;
	run_pair(1);
}

static void
test_ring_a_slow_producer_makes_the_consumer_wait_and_loses_nothing(void **st)
{
	(void)st;
	run_pair(0);
}

static void
test_ring_the_largest_message_fits_after_any_fill(void **st)
{
	struct ring r;
	size_t max;

	(void)st;
	assert_int_equal(ring_init(&r, 4096), 0);
	max = ring_max_message(&r);
	assert_true(max >= 1000);
	for (size_t skew = 0; skew < r.size; skew += 200) {
		uint8_t *p;
		size_t len;

		p = ring_reserve(&r, skew % 300, NULL, NULL);
		memset(p, 1, skew % 300);
		ring_commit(&r);
		p = ring_peek(&r, &len);
		assert_int_equal(len, skew % 300);
		ring_release(&r);
		p = ring_reserve(&r, max, NULL, NULL);
		memset(p, 0xab, max);
		ring_commit(&r);
		p = ring_peek(&r, &len);
		assert_int_equal(len, max);
		assert_int_equal(p[0], 0xab);
		assert_int_equal(p[max - 1], 0xab);
		ring_release(&r);
	}
	ring_destroy(&r);
}

static void
never_wait(void *ctx)
{
	(void)ctx;
	fail_msg("the producer waited on a ring with room");
}

/* Each side keeps a copy of the other's counter: a consumer that found the
 * ring empty still sees what is published later, and a producer that found
 * it full still sees the room the consumer made since. */
static void
test_ring_each_side_sees_the_other_move_after_finding_the_ring_empty_or_full(void **st)
{
	struct ring r;
	size_t len, max, n = 0;
	uint8_t *p;

	(void)st;
	assert_int_equal(ring_init(&r, 4096), 0);
	max = ring_max_message(&r);
	/* A batched message is not seen until it is published. */
	p = ring_reserve(&r, 8, never_wait, NULL);
	memset(p, 7, 8);
	ring_commit_batch(&r);
	assert_true(ring_empty(&r));
	assert_null(ring_peek(&r, &len));
	ring_flush(&r);
	assert_false(ring_empty(&r));
	p = ring_peek(&r, &len);
	assert_non_null(p);
	assert_int_equal(len, 8);
	assert_int_equal(p[7], 7);
	ring_release(&r);
	assert_true(ring_empty(&r));
	/* A sixteenth of the ring in a batch publishes it. */
	while (ring_empty(&r)) {
		p = ring_reserve(&r, 24, never_wait, NULL);
		memcpy(p, &n, sizeof(n));
		ring_commit_batch(&r);
		n++;
		assert_true(n * 32 <= r.size / 16);
	}
	assert_int_equal(n * 32, r.size / 16);
	for (size_t i = 0; i < n; i++) {
		size_t got;

		p = ring_peek(&r, &len);
		assert_non_null(p);
		memcpy(&got, p, sizeof(got));
		assert_int_equal(got, i);
		ring_release(&r);
	}
	assert_null(ring_peek(&r, &len));
	/* Fill it with the largest messages until the next would not fit,
	 * empty it, and the producer (its copy of the consumer's counter
	 * says full) finds the room without waiting. */
	for (int round = 0; round < 5; round++) {
		size_t k = 0;

		while (r.size - (r.head_local - atomic_load(&r.tail)) >= 2 * (max + 8)) {
			ring_reserve(&r, max, never_wait, NULL);
			ring_commit(&r);
			k++;
		}
		assert_true(k >= 1);
		while (ring_peek(&r, &len)) {
			assert_int_equal(len, max);
			ring_release(&r);
			k--;
		}
		assert_int_equal(k, 0);
		for (int i = 0; i < 3; i++) {
			ring_reserve(&r, max, never_wait, NULL);
			ring_commit(&r);
		}
		for (int i = 0; i < 3; i++) {
			assert_non_null(ring_peek(&r, &len));
			ring_release(&r);
		}
	}
	assert_true(ring_empty(&r));
	ring_destroy(&r);
}

/* Batched messages of every size up to the largest, the consumer slower
 * than the producer: padding records at the wrap, waits on a full ring,
 * and the producer's last batch published by its flush. */
static void *
batch_producer(void *arg)
{
	struct pair *pr = arg;
	size_t max = ring_max_message(&pr->r);

	for (uint32_t i = 0; i < pr->n; i++) {
		size_t len = sizeof(i) + 1 + (i * 131u) % (max - sizeof(i));
		uint8_t *p = ring_reserve(&pr->r, len, on_wait, pr);

		memcpy(p, &i, sizeof(i));
		p[len - 1] = (uint8_t)i;
		ring_commit_batch(&pr->r);
	}
	ring_flush(&pr->r);
	return NULL;
}

static void
test_ring_batched_messages_of_any_size_pass_between_threads(void **st)
{
	struct pair pr = {.n = 5000, .slow_consumer = 1};
	size_t max;
	pthread_t t;

	(void)st;
	assert_int_equal(ring_init(&pr.r, 8192), 0);
	max = ring_max_message(&pr.r);
	assert_int_equal(pthread_create(&t, NULL, batch_producer, &pr), 0);
	for (uint32_t i = 0; i < pr.n; i++) {
		size_t len;
		uint8_t *p = ring_peek_wait(&pr.r, &len);
		uint32_t got;

		assert_int_equal(len, sizeof(i) + 1 + (i * 131u) % (max - sizeof(i)));
		memcpy(&got, p, sizeof(got));
		assert_int_equal(got, i);
		assert_int_equal(p[len - 1], (uint8_t)i);
		ring_release(&pr.r);
		if (i % 16 == 0)
			nap();
	}
	pthread_join(t, NULL);
	assert_true(ring_empty(&pr.r));
	assert_true(pr.waits > 0);
	ring_destroy(&pr.r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_messages_come_out_whole_and_in_order_across_the_wrap),
		cmocka_unit_test(
			test_ring_a_slow_consumer_makes_the_producer_wait_and_loses_nothing),
		cmocka_unit_test(
			test_ring_a_slow_producer_makes_the_consumer_wait_and_loses_nothing),
		cmocka_unit_test(test_ring_the_largest_message_fits_after_any_fill),
		cmocka_unit_test(
			test_ring_each_side_sees_the_other_move_after_finding_the_ring_empty_or_full),
		cmocka_unit_test(test_ring_batched_messages_of_any_size_pass_between_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
