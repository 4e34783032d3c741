/*
 * test_flowid.c - Community ID v1 and the flow id: the values the
 * community-id-spec publishes in its baseline for TCP and UDP flows over
 * IPv4 and IPv6 (seed 0) and one with equal addresses, the same value for
 * both directions, and a flow
 * id that is stable, differs per session and stays under 2^53.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include "flowid.h"

struct vector {
	int family;
	uint8_t l4;
	const char *a, *b;
	uint16_t ap, bp;
	const char *want;
};

/* community-id-spec, baseline/baseline_deflt.json (seed 0, base64). */
static const struct vector vectors[] = {
	{AF_INET, 6, "128.232.110.120", "66.35.250.204", 34855, 80,
	 "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
	{AF_INET, 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
	{AF_INET6, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
	 "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
	/* Equal addresses: the ports decide (the lab's loopback captures;
	 * the value tshark's CommunityID gives for pcaps/pop3-user-pass.pcap,
	 * which nDPI 4.2's ndpi_flowv4_flow_hash gets wrong). */
	{AF_INET, 6, "127.0.0.1", "127.0.0.1", 47940, 110, "1:u4VFAUEG7v7JpRWjuecS+p7JoCI="},
};

static void
addr(const struct vector *v, const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(v->family, text, out), 1);
}

static void
test_community_id_matches_the_spec_baseline_both_ways(void **unused)
{
	(void)unused;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		uint8_t a[16], b[16];
		uint8_t fam = v->family == AF_INET ? 4 : 6;
		char cid[COMMUNITY_ID_LEN];

		addr(v, v->a, a);
		addr(v, v->b, b);
		assert_true(community_id(cid, fam, v->l4, a, v->ap, b, v->bp));
		assert_string_equal(cid, v->want);
		assert_true(community_id(cid, fam, v->l4, b, v->bp, a, v->ap));
		assert_string_equal(cid, v->want);
	}
}

/* The transport and every port count: a different one, a different id. */
static void
test_community_id_depends_on_transport_and_ports(void **unused)
{
	const struct vector *v = &vectors[0];
	uint8_t a[16], b[16];
	char base[COMMUNITY_ID_LEN], other[COMMUNITY_ID_LEN];

	(void)unused;
	addr(v, v->a, a);
	addr(v, v->b, b);
	assert_true(community_id(base, 4, 6, a, v->ap, b, v->bp));
	assert_true(community_id(other, 4, 17, a, v->ap, b, v->bp));
	assert_string_not_equal(base, other);
	assert_true(community_id(other, 4, 6, a, v->ap + 1, b, v->bp));
	assert_string_not_equal(base, other);
	assert_false(community_id(other, 0, 6, a, v->ap, b, v->bp));
	assert_string_equal(other, "");
}

static void
test_flow_id_is_stable_and_per_session(void **unused)
{
	uint8_t c[16] = {10, 0, 0, 2}, s[16] = {10, 0, 0, 1};
	uint64_t id = flow_id(4, 6, c, 40000, s, 25, 1700000000000000ull);

	(void)unused;
	assert_true(id > 0);
	assert_true(id < (1ull << 53));
	assert_int_equal(id, flow_id(4, 6, c, 40000, s, 25, 1700000000000000ull));
	/* Another start time, client port, transport or direction: another id. */
	assert_int_not_equal(id, flow_id(4, 6, c, 40000, s, 25, 1700000000000001ull));
	assert_int_not_equal(id, flow_id(4, 6, c, 40001, s, 25, 1700000000000000ull));
	assert_int_not_equal(id, flow_id(4, 17, c, 40000, s, 25, 1700000000000000ull));
	assert_int_not_equal(id, flow_id(4, 6, s, 25, c, 40000, 1700000000000000ull));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_community_id_matches_the_spec_baseline_both_ways),
		cmocka_unit_test(test_community_id_depends_on_transport_and_ports),
		cmocka_unit_test(test_flow_id_is_stable_and_per_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
