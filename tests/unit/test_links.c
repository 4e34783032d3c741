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

static void
test_links_a_pair_claims_until_its_control_is_judged(void **st)
{
	struct links *l = links_new();
	struct session s, ctl;

	(void)st;
	assert_non_null(l);
	note_pair(l, 5, 2);
	data_session(&s, 10, 2);
	assert_true(links_claim(l, &s));
	assert_int_equal(s.link, LINK_INFERRED);
	assert_int_equal(s.control_id, 5);
	session_release(&s);

	/* Sessions 69 and 133 share control 5's filter bit (id % 64): judging
	 * them must not end the pair. */
	for (uint64_t id = 69; id <= 133; id += 64) {
		data_session(&ctl, id, 9);
		links_control_judged(l, &ctl);
		session_release(&ctl);
		data_session(&s, id + 1, 2);
		assert_true(links_claim(l, &s));
		session_release(&s);
	}
	/* Judging control 5 ends it. */
	data_session(&ctl, 5, 2);
	links_control_judged(l, &ctl);
	session_release(&ctl);
	data_session(&s, 200, 2);
	assert_false(links_claim(l, &s));
	session_release(&s);
	links_free(l);
}

static void
test_links_pairs_of_several_controls_end_one_by_one(void **st)
{
	struct links *l = links_new();
	struct session s, ctl;

	(void)st;
	note_pair(l, 7, 2);
	note_pair(l, 8, 3);
	data_session(&ctl, 7, 2);
	links_control_judged(l, &ctl);
	session_release(&ctl);
	data_session(&s, 20, 2);
	assert_false(links_claim(l, &s));
	session_release(&s);
	data_session(&s, 21, 3);
	assert_true(links_claim(l, &s));
	assert_int_equal(s.control_id, 8);
	session_release(&s);
	/* After the last pair ended, a new one is found again. */
	data_session(&ctl, 8, 3);
	links_control_judged(l, &ctl);
	session_release(&ctl);
	note_pair(l, 72, 4);
	data_session(&s, 22, 4);
	assert_true(links_claim(l, &s));
	assert_int_equal(s.control_id, 72);
	session_release(&s);
	data_session(&ctl, 72, 4);
	links_control_judged(l, &ctl);
	session_release(&ctl);
	data_session(&s, 23, 4);
	assert_false(links_claim(l, &s));
	session_release(&s);
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
