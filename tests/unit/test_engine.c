/*
 * test_engine.c - the engine's memory cap: flows and what their sessions
 * hold are accounted; beyond --memcap the idlest flows are finished early
 * (reported, counted), and the accounting returns to zero when every flow
 * is gone. The UDP flow cap (--max-udp-flows): a flood of one-datagram
 * flows evicts the idlest UDP flow, counted, and no TCP session.
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

#include "engine.h"

struct seen {
	size_t sessions;
	size_t evicted;
};

static void
on_session(void *ctx, const struct session *s)
{
	struct seen *n = ctx;

	n->sessions++;
	if (s->end == END_EVICTED)
		n->evicted++;
}

static void
on_alert(void *ctx, const struct alert *a)
{
	(void)ctx;
	(void)a;
}

/* A raw IPv4 TCP packet from client i to 10.0.0.1:25. */
static size_t
packet(uint8_t *f, unsigned i, uint8_t flags, uint32_t seq, const char *data)
{
	size_t dlen = data ? strlen(data) : 0, total = 40 + dlen;

	memset(f, 0, 40);
	f[0] = 0x45;
	f[2] = (uint8_t)(total >> 8);
	f[3] = (uint8_t)total;
	f[8] = 64;
	f[9] = 6;
	f[12] = 10, f[13] = 1, f[14] = (uint8_t)(i >> 8), f[15] = (uint8_t)i;
	f[16] = 10, f[19] = 1;
	f[20] = (uint8_t)((20000 + i) >> 8), f[21] = (uint8_t)(20000 + i);
	f[23] = 25;
	f[24] = (uint8_t)(seq >> 24), f[25] = (uint8_t)(seq >> 16);
	f[26] = (uint8_t)(seq >> 8), f[27] = (uint8_t)seq;
	f[32] = 5 << 4;
	f[33] = flags;
	if (dlen)
		memcpy(f + 40, data, dlen);
	return total;
}

/* n clients each open a connection and send one unfinished SMTP line, so
 * every flow keeps a session with parser state. */
static void
run(struct engine *e, unsigned n)
{
	uint8_t f[128];
	size_t len;

	for (unsigned i = 0; i < n; i++) {
		len = packet(f, i, 0x02, 1000, NULL);
		engine_packet(e, DLT_RAW, f, len, 1000000 + i);
		len = packet(f, i, 0x18, 1001, "EHLO client.example");
		engine_packet(e, DLT_RAW, f, len, 1000000 + i);
	}
}

/* An engine without nDPI under the given memcap, its output counted in seen. */
static struct engine *
memcap_engine(struct engine_config *cfg, uint64_t memcap, struct seen *seen)
{
	struct engine_output out = {seen, on_session, on_alert};
	struct engine *e;
	char err[256];

	engine_config_defaults(cfg);
	cfg->use_ndpi = false;
	cfg->memcap = memcap;
	e = engine_new(cfg, &out, err, sizeof(err));
	assert_non_null(e);
	return e;
}

static void
test_engine_memcap_finishes_the_idlest_flows_and_bounds_the_memory(void **state)
{
	struct engine_config cfg;
	struct seen seen = {0};
	struct engine *e = memcap_engine(&cfg, 200 * 1024, &seen);
	struct stats *st;

	(void)state;
	run(e, 2000);
	st = engine_stats(e);
	assert_true(st->flows_evicted_memcap > 1000);
	assert_true(st->memory_max <= cfg.memcap);
	assert_true(st->memory_now <= cfg.memcap);
	assert_int_equal(seen.evicted, st->flows_evicted_memcap);
	engine_finish_all(e);
	st = engine_stats(e);
	assert_int_equal(st->memory_now, 0);
	assert_int_equal(seen.sessions, 2000); /* evicted sessions are reported */
	engine_free(e);
}

/* A flow that grows (its parser state arrives with its first bytes) gets
 * room made before it is accounted: whatever the cap, the high-water mark
 * never passes it (it did by up to one parser state). */
static void
test_engine_memory_never_exceeds_the_memcap_whatever_its_size(void **state)
{
	(void)state;
	for (uint64_t cap = 24 * 1024; cap <= 96 * 1024; cap += 1000) {
		struct engine_config cfg;
		struct seen seen = {0};
		struct engine *e = memcap_engine(&cfg, cap, &seen);
		struct stats *st;

		run(e, 100);
		st = engine_stats(e);
		assert_true(st->flows_evicted_memcap > 0);
		if (st->memory_max > cap)
			fail_msg("memcap %llu: memory_max %llu", (unsigned long long)cap,
				 (unsigned long long)st->memory_max);
		engine_free(e);
	}
}

static void
test_engine_without_a_memcap_keeps_every_flow(void **state)
{
	struct engine_config cfg;
	struct seen seen = {0};
	struct engine_output out = {&seen, on_session, on_alert};
	struct engine *e;
	char err[256];
	struct stats *st;

	(void)state;
	engine_config_defaults(&cfg);
	cfg.use_ndpi = false;
	cfg.memcap = 0;
	e = engine_new(&cfg, &out, err, sizeof(err));
	assert_non_null(e);
	run(e, 2000);
	st = engine_stats(e);
	assert_int_equal(st->flows_evicted_memcap, 0);
	assert_true(st->memory_now > 200 * 1024);
	assert_int_equal(seen.sessions, 0);
	engine_free(e);
	assert_int_equal(seen.sessions, 2000);
}

static void
test_engine_memcap_is_shared_out_among_workers(void **state)
{
	struct engine_config cfg;
	struct seen seen = {0};
	struct engine_output out = {&seen, on_session, on_alert};
	struct engine *e;
	char err[256];
	struct stats *st;

	(void)state;
	engine_config_defaults(&cfg);
	cfg.use_ndpi = false;
	cfg.memcap = 200 * 1024;
	cfg.threads = 2;
	e = engine_new(&cfg, &out, err, sizeof(err));
	assert_non_null(e);
	run(e, 2000);
	engine_finish_all(e);
	st = engine_stats(e);
	assert_true(st->flows_evicted_memcap > 1000);
	assert_true(st->memory_max <= cfg.memcap);
	assert_int_equal(seen.sessions, 2000);
	engine_free(e);
}

/* A raw IPv4 UDP datagram (a DNS query's header) from 10.2.x.y:40000 to
 * 10.0.0.53:53. */
static size_t
udp_packet(uint8_t *f, unsigned i)
{
	static const uint8_t dns[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t total = 28 + sizeof(dns);

	memset(f, 0, 28);
	f[0] = 0x45;
	f[2] = (uint8_t)(total >> 8);
	f[3] = (uint8_t)total;
	f[8] = 64;
	f[9] = 17;
	f[12] = 10, f[13] = 2, f[14] = (uint8_t)(i >> 8), f[15] = (uint8_t)i;
	f[16] = 10, f[19] = 53;
	f[20] = 40000 >> 8, f[21] = 40000 & 0xff;
	f[23] = 53;
	f[24] = (uint8_t)((total - 20) >> 8), f[25] = (uint8_t)(total - 20);
	memcpy(f + 28, dns, sizeof(dns));
	return total;
}

static void
test_engine_udp_flood_evicts_udp_flows_only_and_counts_them(void **state)
{
	struct engine_config cfg;
	struct seen seen = {0};
	struct engine_output out = {&seen, on_session, on_alert};
	const struct stats *st;
	struct engine *e;
	uint8_t f[128];
	char err[256];

	(void)state;
	engine_config_defaults(&cfg);
	cfg.use_ndpi = false;
	cfg.max_flows = 150;
	cfg.max_udp_flows = 100;
	e = engine_new(&cfg, &out, err, sizeof(err));
	assert_non_null(e);
	run(e, 40); /* 40 TCP sessions, opened first: the idlest flows */
	for (unsigned i = 0; i < 5000; i++)
		engine_packet(e, DLT_RAW, f, udp_packet(f, i), 2000000 + i);
	st = engine_stats(e);
	assert_int_equal(st->udp_flows_created, 5000);
	assert_int_equal(st->udp_flows_evicted, 4900);
	assert_int_equal(st->flows_evicted, 4900);
	assert_int_equal(st->udp_flows_max_seen, 100);
	assert_int_equal(seen.evicted, 4900); /* every one reported, none of them TCP */
	assert_int_equal(engine_open_flows(e), 140);
	engine_finish_all(e);
	assert_int_equal(seen.sessions, 5040);
	assert_int_equal(st->udp_flows_idle, 0);
	engine_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_engine_memcap_finishes_the_idlest_flows_and_bounds_the_memory),
		cmocka_unit_test(test_engine_memory_never_exceeds_the_memcap_whatever_its_size),
		cmocka_unit_test(test_engine_without_a_memcap_keeps_every_flow),
		cmocka_unit_test(test_engine_memcap_is_shared_out_among_workers),
		cmocka_unit_test(test_engine_udp_flood_evicts_udp_flows_only_and_counts_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
