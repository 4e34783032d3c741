/*
 * test_links.c - data connections tied to an encrypted control session by
 * their hosts (src/engine/links.c): a session between the same hosts is
 * claimed while the control session lasts and not after it was judged;
 * judging another session, even one whose id shares the control's filter
 * bit, leaves the pair alive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/engine/links.h"

extern const struct proto_desc proto_ftp_data;

static void
note_pair(struct links *l, uint64_t control, uint8_t client)
{
	struct link_note n = {.control = control,
			      .ts_us = 1000000,
			      .data = &proto_ftp_data,
			      .pair = true,
			      .family = 4};

	n.client[0] = 10;
	n.client[3] = client;
	n.server[0] = 10;
	n.server[3] = 1;
	links_note(l, &n);
}

/* An unrecognised TCP session from 10.0.0.client to 10.0.0.1:40000. */
static void
data_session(struct session *s, uint64_t id, uint8_t client)
{
	session_init(s, id, 2000000);
	s->family = 4;
	s->l4 = 6;
	s->client_ip[0] = 10;
	s->client_ip[3] = client;
	s->server_ip[0] = 10;
	s->server_ip[3] = 1;
	s->client_port = 50000;
	s->server_port = 40000;
}

/* Session id from 10.0.0.client, judged as a control session. */
static void
judge_control(struct links *l, uint64_t id, uint8_t client)
{
	struct session s;

	data_session(&s, id, client);
	links_control_judged(l, &s);
	session_release(&s);
}

/* The control a data session id from 10.0.0.client is linked to (inferred
 * from a pair), or 0 when it is not claimed. */
static uint64_t
claimed_by(struct links *l, uint64_t id, uint8_t client)
{
	struct session s;
	uint64_t control = 0;

	data_session(&s, id, client);
	if (links_claim(l, &s)) {
		assert_int_equal(s.link, LINK_INFERRED);
		control = s.control_id;
	}
	session_release(&s);
	return control;
}

static void
test_links_a_pair_claims_until_its_control_is_judged(void **st)
{
	struct links *l = links_new();

	(void)st;
	assert_non_null(l);
	note_pair(l, 5, 2);
	assert_int_equal(claimed_by(l, 10, 2), 5);
	/* Sessions 69 and 133 share control 5's filter bit (id % 64): judging
	 * them must not end the pair. */
	for (uint64_t id = 69; id <= 133; id += 64) {
		judge_control(l, id, 9);
		assert_int_equal(claimed_by(l, id + 1, 2), 5);
	}
	/* Judging control 5 ends it. */
	judge_control(l, 5, 2);
	assert_int_equal(claimed_by(l, 200, 2), 0);
	links_free(l);
}

static void
test_links_pairs_of_several_controls_end_one_by_one(void **st)
{
	struct links *l = links_new();

	(void)st;
	assert_non_null(l);
	note_pair(l, 7, 2);
	note_pair(l, 8, 3);
	judge_control(l, 7, 2);
	assert_int_equal(claimed_by(l, 20, 2), 0);
	assert_int_equal(claimed_by(l, 21, 3), 8);
	/* After the last pair ended, a new one is found again. */
	judge_control(l, 8, 3);
	note_pair(l, 72, 4);
	assert_int_equal(claimed_by(l, 22, 4), 72);
	judge_control(l, 72, 4);
	assert_int_equal(claimed_by(l, 23, 4), 0);
	links_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links_a_pair_claims_until_its_control_is_judged),
		cmocka_unit_test(test_links_pairs_of_several_controls_end_one_by_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
