/*
 * test_summary.c - unit tests for the per-port and per-server summary
 * (src/summary.c).
 *
 * Sessions are built by hand with the fields the summary reads (server
 * address and port, transport, service, verdict, logins, alerts and the
 * capability facts), added, and the sorted rows are checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "summary.h"

/* A judged TCP session to 127.0.0.<host>:port. */
static void
session_to(struct session *s, uint8_t host, uint16_t port, const char *service, enum verdict v)
{
	session_init(s, 1, 1000);
	s->family = 4;
	s->client_ip[0] = 127;
	s->client_ip[3] = 100;
	s->server_ip[0] = 127;
	s->server_ip[3] = host;
	s->client_port = 40000;
	s->server_port = port;
	s->service = service;
	s->verdict = v;
	s->bytes[DIR_C2S] = s->bytes[DIR_S2C] = 10;
}

static void
add(struct summary *sum, struct session *s)
{
	assert_int_equal(summary_add(sum, s), 0);
}

static const struct summary_row *
port_row(struct summary *sum, uint16_t port)
{
	size_t n;
	const struct summary_row *r = summary_ports(sum, &n);

	for (size_t i = 0; i < n; i++)
		if (r[i].port == port && r[i].l4 == 6)
			return &r[i];
	return NULL;
}

static const struct summary_row *
server_row(struct summary *sum, uint8_t host, uint16_t port)
{
	size_t n;
	const struct summary_row *r = summary_servers(sum, &n);

	for (size_t i = 0; i < n; i++)
		if (r[i].family == 4 && r[i].ip[3] == host && r[i].port == port)
			return &r[i];
	return NULL;
}

/* A small mixed population: two SMTP servers on 25, one on 465, IMAP on 143. */
static void
populate(struct summary *sum)
{
	struct session s;

	session_to(&s, 2, 25, "smtp", VERDICT_CLEARTEXT);
	add(sum, &s);
	session_to(&s, 2, 25, "smtp", VERDICT_STARTTLS);
	add(sum, &s);
	session_to(&s, 2, 25, "smtp", VERDICT_STARTTLS);
	add(sum, &s);
	session_to(&s, 3, 25, "smtp", VERDICT_DOWNGRADED);
	s.alerts = 1u << ALERT_UPGRADE_REFUSED;
	add(sum, &s);
	session_to(&s, 2, 465, "smtp", VERDICT_IMPLICIT_TLS);
	add(sum, &s);
	session_to(&s, 2, 465, "smtp", VERDICT_TLS_FAILED);
	add(sum, &s);
	session_to(&s, 3, 143, "imap", VERDICT_CLEARTEXT);
	s.pf.n_logins = 2;
	s.alerts = 1u << ALERT_CLEARTEXT_LOGIN;
	add(sum, &s);
}

static void
test_summary_counts_sessions_and_verdicts_per_port(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_row *r;
	size_t n;

	(void)state;
	assert_non_null(sum);
	populate(sum);
	summary_ports(sum, &n);
	assert_int_equal(n, 3);

	r = port_row(sum, 25);
	assert_non_null(r);
	assert_int_equal(r->family, 0);
	assert_int_equal(r->l4, 6);
	assert_int_equal(r->sessions, 4);
	assert_int_equal(r->verdicts[VERDICT_CLEARTEXT], 1);
	assert_int_equal(r->verdicts[VERDICT_STARTTLS], 2);
	assert_int_equal(r->verdicts[VERDICT_DOWNGRADED], 1);
	assert_int_equal(r->alerts, 1);
	assert_int_equal(r->logins, 0);
	assert_string_equal(r->service, "smtp");

	r = port_row(sum, 465);
	assert_int_equal(r->sessions, 2);
	assert_int_equal(r->verdicts[VERDICT_IMPLICIT_TLS], 1);
	assert_int_equal(r->verdicts[VERDICT_TLS_FAILED], 1);

	r = port_row(sum, 143);
	assert_int_equal(r->sessions, 1);
	assert_int_equal(r->logins, 2);
	assert_int_equal(r->alerts, 1);
	assert_string_equal(r->service, "imap");
	summary_free(sum);
}

static void
test_summary_counts_sessions_per_server_address_and_port(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_row *r;
	size_t n;

	(void)state;
	populate(sum);
	summary_servers(sum, &n);
	assert_int_equal(n, 4);

	r = server_row(sum, 2, 25);
	assert_non_null(r);
	assert_int_equal(r->family, 4);
	assert_int_equal(r->ip[0], 127);
	assert_int_equal(r->sessions, 3);
	assert_int_equal(r->verdicts[VERDICT_STARTTLS], 2);
	assert_int_equal(r->alerts, 0);

	r = server_row(sum, 3, 25);
	assert_int_equal(r->sessions, 1);
	assert_int_equal(r->verdicts[VERDICT_DOWNGRADED], 1);
	assert_int_equal(r->alerts, 1);

	assert_int_equal(server_row(sum, 2, 465)->sessions, 2);
	assert_int_equal(server_row(sum, 3, 143)->logins, 2);
	assert_null(server_row(sum, 3, 465));
	summary_free(sum);
}

static void
test_summary_ports_are_sorted_by_number_whatever_the_arrival_order(void **state)
{
	static const uint16_t ports[] = {993, 25, 65535, 110, 1, 587, 143, 25};
	struct summary *sum = summary_new();
	const struct summary_row *r;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct session s;

		session_to(&s, 2, ports[i], "unknown", VERDICT_UNKNOWN);
		add(sum, &s);
	}
	r = summary_ports(sum, &n);
	assert_int_equal(n, 7);
	for (size_t i = 1; i < n; i++)
		assert_true(r[i - 1].port < r[i].port);
	assert_int_equal(r[0].port, 1);
	assert_int_equal(r[1].port, 25);
	assert_int_equal(r[1].sessions, 2);
	assert_int_equal(r[6].port, 65535);
	summary_free(sum);
}

static void
test_summary_servers_are_sorted_by_address_then_port_with_ipv4_first(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_row *r;
	struct session s;
	size_t n;

	(void)state;
	session_to(&s, 9, 25, "smtp", VERDICT_CLEARTEXT);
	s.family = 6;
	memset(s.server_ip, 0, 16);
	s.server_ip[15] = 1; /* ::1 */
	add(sum, &s);
	session_to(&s, 10, 993, "imap", VERDICT_IMPLICIT_TLS);
	add(sum, &s);
	session_to(&s, 2, 993, "imap", VERDICT_IMPLICIT_TLS);
	add(sum, &s);
	session_to(&s, 10, 143, "imap", VERDICT_STARTTLS);
	add(sum, &s);
	session_to(&s, 2, 25, "smtp", VERDICT_STARTTLS);
	add(sum, &s);

	r = summary_servers(sum, &n);
	assert_int_equal(n, 5);
	assert_int_equal(r[0].family, 4);
	assert_int_equal(r[0].ip[3], 2);
	assert_int_equal(r[0].port, 25);
	assert_int_equal(r[1].ip[3], 2);
	assert_int_equal(r[1].port, 993);
	assert_int_equal(r[2].ip[3], 10);
	assert_int_equal(r[2].port, 143);
	assert_int_equal(r[3].ip[3], 10);
	assert_int_equal(r[3].port, 993);
	assert_int_equal(r[4].family, 6);
	assert_int_equal(r[4].ip[15], 1);
	summary_free(sum);
}

static void
test_summary_tcp_and_udp_on_one_port_are_separate_rows(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_row *r;
	struct session s;
	size_t n;

	(void)state;
	session_to(&s, 2, 853, "dns", VERDICT_IMPLICIT_TLS);
	add(sum, &s);
	session_to(&s, 2, 853, "dns", VERDICT_IMPLICIT_TLS);
	s.l4 = 17;
	add(sum, &s);
	r = summary_ports(sum, &n);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].l4, 6);
	assert_int_equal(r[1].l4, 17);
	assert_int_equal(r[0].sessions, 1);
	assert_int_equal(r[1].sessions, 1);
	summary_servers(sum, &n);
	assert_int_equal(n, 2);
	summary_free(sum);
}

static void
test_summary_encrypted_share_counts_implicit_tls_and_starttls_only(void **state)
{
	struct summary *sum = summary_new();
	struct summary_row empty;

	(void)state;
	populate(sum);
	/* Port 25: 2 starttls of 4. Port 465: 1 implicit-tls, 1 tls-failed. */
	assert_true(summary_encrypted_share(port_row(sum, 25)) == 0.5);
	assert_true(summary_encrypted_share(port_row(sum, 465)) == 0.5);
	assert_true(summary_encrypted_share(port_row(sum, 143)) == 0.0);
	assert_true(summary_encrypted_share(server_row(sum, 2, 25)) * 3 == 2.0);
	memset(&empty, 0, sizeof(empty));
	assert_true(summary_encrypted_share(&empty) == 0.0);
	summary_free(sum);
}

static void
test_summary_row_is_named_after_the_first_identified_service(void **state)
{
	struct summary *sum = summary_new();
	struct session s;

	(void)state;
	session_to(&s, 2, 2525, "unknown", VERDICT_UNKNOWN);
	add(sum, &s);
	assert_string_equal(port_row(sum, 2525)->service, "unknown");
	session_to(&s, 2, 2525, "smtp", VERDICT_CLEARTEXT);
	add(sum, &s);
	assert_string_equal(port_row(sum, 2525)->service, "smtp");
	assert_string_equal(server_row(sum, 2, 2525)->service, "smtp");
	/* Later sessions, identified or not, do not rename it. */
	session_to(&s, 2, 2525, "http", VERDICT_CLEARTEXT);
	add(sum, &s);
	session_to(&s, 2, 2525, "unknown", VERDICT_UNKNOWN);
	add(sum, &s);
	assert_string_equal(port_row(sum, 2525)->service, "smtp");
	assert_string_equal(server_row(sum, 2, 2525)->service, "smtp");
	assert_int_equal(port_row(sum, 2525)->sessions, 4);
	summary_free(sum);
}

static void
test_summary_tls_offered_and_not_offered_follow_the_capability_lists_seen(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_row *r;
	struct session s;

	(void)state;
	/* No capability list: neither flag. */
	session_to(&s, 2, 25, "smtp", VERDICT_CLEARTEXT);
	s.pf.tls_offered = true; /* without capa_seen this says nothing */
	add(sum, &s);
	r = server_row(sum, 2, 25);
	assert_false(r->tls_offered);
	assert_false(r->tls_not_offered);

	session_to(&s, 2, 25, "smtp", VERDICT_STARTTLS);
	s.pf.capa_seen = true;
	s.pf.tls_offered = true;
	add(sum, &s);
	r = server_row(sum, 2, 25);
	assert_true(r->tls_offered);
	assert_false(r->tls_not_offered);

	session_to(&s, 2, 25, "smtp", VERDICT_CLEARTEXT);
	s.pf.capa_seen = true;
	add(sum, &s);
	r = server_row(sum, 2, 25);
	assert_true(r->tls_offered);
	assert_true(r->tls_not_offered);
	r = port_row(sum, 25);
	assert_true(r->tls_offered);
	assert_true(r->tls_not_offered);

	/* Another server that never offered it. */
	session_to(&s, 3, 25, "smtp", VERDICT_CLEARTEXT);
	s.pf.capa_seen = true;
	add(sum, &s);
	r = server_row(sum, 3, 25);
	assert_false(r->tls_offered);
	assert_true(r->tls_not_offered);
	summary_free(sum);
}

static void
test_summary_many_servers_through_several_rehashes_are_each_counted(void **state)
{
	enum { SERVERS = 5000, PORTS = 3 };
	static const uint16_t ports[PORTS] = {25, 143, 993};
	struct summary *sum = summary_new();
	const struct summary_row *r;
	size_t n;

	(void)state;
	/* Server i gets i % 4 + 1 sessions on its port, added round-robin. */
	for (int round = 0; round < 4; round++) {
		for (uint32_t i = 0; i < SERVERS; i++) {
			struct session s;

			if ((int)(i % 4) < round)
				continue;
			session_to(&s, 0, ports[i % PORTS], "smtp",
				   round % 2 ? VERDICT_STARTTLS : VERDICT_CLEARTEXT);
			s.server_ip[1] = (uint8_t)(i >> 16);
			s.server_ip[2] = (uint8_t)(i >> 8);
			s.server_ip[3] = (uint8_t)i;
			add(sum, &s);
		}
	}
	r = summary_servers(sum, &n);
	assert_int_equal(n, SERVERS);
	for (uint32_t i = 0; i < SERVERS; i++) {
		uint32_t ip = (uint32_t)r[i].ip[1] << 16 | (uint32_t)r[i].ip[2] << 8 | r[i].ip[3];

		/* sorted by address: row i is server i */
		assert_int_equal(ip, i);
		assert_int_equal(r[i].port, ports[i % PORTS]);
		assert_int_equal(r[i].sessions, i % 4 + 1);
		assert_int_equal(r[i].verdicts[VERDICT_CLEARTEXT] + r[i].verdicts[VERDICT_STARTTLS],
				 i % 4 + 1);
	}
	r = summary_ports(sum, &n);
	assert_int_equal(n, PORTS);
	{
		uint64_t total = 0;

		for (size_t i = 0; i < n; i++)
			total += r[i].sessions;
		/* 1 + 2 + 3 + 4 sessions per 4 servers */
		assert_int_equal(total, SERVERS / 4 * 10);
	}
	summary_free(sum);
}

static void
test_summary_add_after_sorting_still_finds_the_existing_rows(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_row *r;
	struct session s;
	size_t n;

	(void)state;
	populate(sum);
	/* Sorting moves rows around; the index must follow. */
	summary_ports(sum, &n);
	summary_servers(sum, &n);
	populate(sum);
	r = summary_ports(sum, &n);
	assert_int_equal(n, 3);
	assert_int_equal(port_row(sum, 25)->sessions, 8);
	assert_int_equal(port_row(sum, 465)->sessions, 4);
	assert_int_equal(port_row(sum, 143)->sessions, 2);
	assert_int_equal(port_row(sum, 143)->logins, 4);
	summary_servers(sum, &n);
	assert_int_equal(n, 4);
	assert_int_equal(server_row(sum, 2, 25)->sessions, 6);
	assert_int_equal(server_row(sum, 3, 25)->sessions, 2);

	/* A new row after a sort lands in order next time. */
	session_to(&s, 1, 20, "ftp", VERDICT_CLEARTEXT);
	add(sum, &s);
	r = summary_ports(sum, &n);
	assert_int_equal(n, 4);
	assert_int_equal(r[0].port, 20);
	r = summary_servers(sum, &n);
	assert_int_equal(n, 5);
	assert_int_equal(r[0].ip[3], 1);
	summary_free(sum);
}

static void
test_summary_sorting_after_every_add_keeps_counts_and_memory_bounded(void **state)
{
	struct summary *sum = summary_new();
	size_t n;

	(void)state;
	/* A live dashboard refreshes the summary between sessions: a few
	 * hundred add-then-sort rounds over a handful of rows. */
	for (int i = 0; i < 300; i++) {
		struct session s;

		session_to(&s, (uint8_t)(2 + i % 3), (uint16_t)(i % 2 ? 25 : 587), "smtp",
			   VERDICT_STARTTLS);
		assert_int_equal(summary_add(sum, &s), 0);
		summary_ports(sum, &n);
		summary_servers(sum, &n);
	}
	summary_ports(sum, &n);
	assert_int_equal(n, 2);
	assert_int_equal(port_row(sum, 25)->sessions, 150);
	assert_int_equal(port_row(sum, 587)->sessions, 150);
	summary_servers(sum, &n);
	assert_int_equal(n, 6);
	assert_int_equal(server_row(sum, 2, 587)->sessions, 50);
	summary_free(sum);
}

static void
test_summary_empty_summary_has_no_rows(void **state)
{
	struct summary *sum = summary_new();
	size_t n = 99;

	(void)state;
	summary_ports(sum, &n);
	assert_int_equal(n, 0);
	n = 99;
	summary_servers(sum, &n);
	assert_int_equal(n, 0);
	summary_free(sum);
	summary_free(NULL);
}

/* ---- clients, users and the timeline ---- */

/* A session from client 10.0.0.<client> to 127.0.0.<host>:port. */
static void
session_from(struct session *s, uint8_t client, uint8_t host, uint16_t port, const char *service,
	     enum verdict v)
{
	session_to(s, host, port, service, v);
	memset(s->client_ip, 0, 16);
	s->client_ip[0] = 10;
	s->client_ip[3] = client;
}

static void
with_login(struct session *s, const char *user, enum login_outcome outcome)
{
	struct login *l = &s->pf.logins[s->pf.n_logins++];

	snprintf(l->mechanism, sizeof(l->mechanism), "PLAIN");
	snprintf(l->username, sizeof(l->username), "%s", user);
	snprintf(l->secret, sizeof(l->secret), "hunter2");
	l->has_secret = true;
	l->outcome = outcome;
}

static const struct summary_client *
client_row(struct summary *sum, uint8_t client)
{
	size_t n;
	const struct summary_client *c = summary_clients(sum, &n);

	for (size_t i = 0; i < n; i++)
		if (c[i].family == 4 && c[i].ip[0] == 10 && c[i].ip[3] == client)
			return &c[i];
	return NULL;
}

static void
test_summary_clients_count_sessions_verdicts_and_cleartext_logins_by_service(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_client *c;
	struct session s;
	size_t n;

	(void)state;
	session_from(&s, 1, 2, 110, "pop3", VERDICT_CLEARTEXT);
	with_login(&s, "alice", LOGIN_SUCCESS);
	add(sum, &s);
	session_from(&s, 1, 2, 110, "pop3", VERDICT_CLEARTEXT);
	with_login(&s, "alice", LOGIN_SUCCESS);
	with_login(&s, "alice", LOGIN_FAILURE);
	add(sum, &s);
	session_from(&s, 1, 3, 587, "smtp", VERDICT_DOWNGRADED);
	with_login(&s, "alice", LOGIN_UNKNOWN);
	add(sum, &s);
	session_from(&s, 1, 2, 993, "imap", VERDICT_IMPLICIT_TLS);
	add(sum, &s);
	session_from(&s, 2, 2, 993, "imap", VERDICT_IMPLICIT_TLS);
	add(sum, &s);

	summary_clients(sum, &n);
	assert_int_equal(n, 2);
	c = client_row(sum, 1);
	assert_non_null(c);
	assert_int_equal(c->sessions, 4);
	assert_int_equal(c->verdicts[VERDICT_CLEARTEXT], 2);
	assert_int_equal(c->verdicts[VERDICT_DOWNGRADED], 1);
	assert_int_equal(c->verdicts[VERDICT_IMPLICIT_TLS], 1);
	assert_int_equal(c->logins, 4);
	assert_string_equal(c->by_service[0].service, "pop3");
	assert_int_equal(c->by_service[0].logins, 3);
	assert_string_equal(c->by_service[1].service, "smtp");
	assert_int_equal(c->by_service[1].logins, 1);
	assert_null(c->by_service[2].service);
	assert_int_equal(c->logins_other, 0);
	c = client_row(sum, 2);
	assert_int_equal(c->sessions, 1);
	assert_int_equal(c->logins, 0);
	assert_null(c->by_service[0].service);
	assert_null(summary_clients_others(sum));
	summary_free(sum);
}

static void
test_summary_client_logins_past_the_named_services_are_counted_as_other(void **state)
{
	static const char *const services[] = {"pop3", "imap", "smtp", "ftp", "irc", "nntp"};
	struct summary *sum = summary_new();
	const struct summary_client *c;
	struct session s;

	(void)state;
	for (int i = 0; i < 6; i++) {
		session_from(&s, 1, 2, (uint16_t)(100 + i), services[i], VERDICT_CLEARTEXT);
		with_login(&s, "bob", LOGIN_SUCCESS);
		add(sum, &s);
	}
	c = client_row(sum, 1);
	assert_int_equal(c->logins, 6);
	for (int i = 0; i < SUMMARY_LOGIN_SERVICES; i++) {
		assert_string_equal(c->by_service[i].service, services[i]);
		assert_int_equal(c->by_service[i].logins, 1);
	}
	assert_int_equal(c->logins_other, 6 - SUMMARY_LOGIN_SERVICES);
	summary_free(sum);
}

static void
test_summary_users_are_per_name_service_and_server_with_outcomes(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_user *u;
	struct session s;
	size_t n;

	(void)state;
	session_from(&s, 1, 2, 110, "pop3", VERDICT_CLEARTEXT);
	with_login(&s, "bob", LOGIN_FAILURE);
	with_login(&s, "bob", LOGIN_SUCCESS);
	add(sum, &s);
	session_from(&s, 7, 2, 110, "pop3", VERDICT_CLEARTEXT);
	with_login(&s, "bob", LOGIN_UNKNOWN);
	add(sum, &s);
	session_from(&s, 1, 3, 110, "pop3", VERDICT_CLEARTEXT); /* another server */
	with_login(&s, "bob", LOGIN_SUCCESS);
	add(sum, &s);
	session_from(&s, 1, 2, 143, "imap", VERDICT_CLEARTEXT);
	with_login(&s, "alice", LOGIN_SUCCESS);
	with_login(&s, "", LOGIN_FAILURE);
	add(sum, &s);

	u = summary_users(sum, &n);
	assert_int_equal(n, 4);
	/* Sorted by name (the empty one first), then service, then server. */
	assert_string_equal(u[0].user, "");
	assert_string_equal(u[1].user, "alice");
	assert_string_equal(u[1].service, "imap");
	assert_int_equal(u[1].port, 143);
	assert_string_equal(u[2].user, "bob");
	assert_int_equal(u[2].ip[3], 2);
	assert_int_equal(u[2].logins, 3);
	assert_int_equal(u[2].successes, 1);
	assert_int_equal(u[2].failures, 1);
	assert_int_equal(u[3].ip[3], 3);
	assert_int_equal(u[3].logins, 1);
	/* The secret is no part of a user row. */
	for (size_t i = 0; i < n; i++)
		assert_null(memmem(&u[i], sizeof(u[i]), "hunter2", 7));
	assert_null(summary_users_others(sum));
	summary_free(sum);
}

static void
test_summary_views_beyond_their_limit_count_the_rest_as_others(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_client *c, *oc;
	const struct summary_user *u, *ou;
	struct session s;
	uint64_t sessions = 0, logins = 0;
	size_t n;

	(void)state;
	summary_set_limits(sum, 3, 2);
	for (int i = 1; i <= 10; i++) {
		session_from(&s, (uint8_t)i, 2, 110, "pop3",
			     i % 2 ? VERDICT_CLEARTEXT : VERDICT_STARTTLS);
		if (i % 2) {
			char name[16];

			snprintf(name, sizeof(name), "user%d", i);
			with_login(&s, name, i == 9 ? LOGIN_FAILURE : LOGIN_SUCCESS);
		}
		add(sum, &s);
	}
	/* A kept client and a kept user still count after the views are full. */
	session_from(&s, 1, 2, 110, "pop3", VERDICT_CLEARTEXT);
	with_login(&s, "user1", LOGIN_SUCCESS);
	add(sum, &s);

	c = summary_clients(sum, &n);
	assert_int_equal(n, 3);
	assert_int_equal(summary_clients_max(sum), 3);
	for (size_t i = 0; i < n; i++)
		sessions += c[i].sessions;
	assert_int_equal(client_row(sum, 1)->sessions, 2);
	oc = summary_clients_others(sum);
	assert_non_null(oc);
	assert_int_equal(oc->family, 0);
	assert_int_equal(oc->sessions, 7);
	assert_int_equal(oc->verdicts[VERDICT_CLEARTEXT] + oc->verdicts[VERDICT_STARTTLS], 7);
	assert_int_equal(sessions + oc->sessions, 11);
	assert_int_equal(oc->logins, 3); /* clients 5, 7, 9 */

	u = summary_users(sum, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		logins += u[i].logins;
	ou = summary_users_others(sum);
	assert_non_null(ou);
	assert_null(ou->service);
	assert_int_equal(ou->logins, 3); /* user5, user7, user9 */
	assert_int_equal(ou->failures, 1);
	assert_int_equal(logins + ou->logins, 6);
	summary_free(sum);
}

static void
test_summary_timeline_starts_with_one_second_buckets(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_bucket *b;
	struct session s;
	uint64_t width;
	size_t n;

	(void)state;
	b = summary_timeline(sum, &n, &width);
	assert_int_equal(n, 0);
	session_from(&s, 1, 2, 25, "smtp", VERDICT_CLEARTEXT);
	s.ts_first_us = 1767225600500000ull; /* 2026-01-01T00:00:00.5Z */
	add(sum, &s);
	session_from(&s, 1, 2, 25, "smtp", VERDICT_STARTTLS);
	s.ts_first_us = 1767225602100000ull;
	add(sum, &s);
	b = summary_timeline(sum, &n, &width);
	assert_int_equal(width, 1000000);
	assert_int_equal(n, 3);
	assert_int_equal(b[0].start_us, 1767225600000000ull);
	assert_int_equal(b[0].sessions, 1);
	assert_int_equal(b[0].verdicts[VERDICT_CLEARTEXT], 1);
	assert_int_equal(b[1].sessions, 0);
	assert_int_equal(b[2].start_us, 1767225602000000ull);
	assert_int_equal(b[2].verdicts[VERDICT_STARTTLS], 1);
	summary_free(sum);
}

static void
test_summary_timeline_widens_and_reaches_back_without_losing_a_session(void **state)
{
	struct summary *sum = summary_new();
	const struct summary_bucket *b;
	struct session s;
	uint64_t width, t0 = 1767225600000000ull, total = 0, enc = 0;
	size_t n;

	(void)state;
	/* A session every 7 s for an hour, then one that began an hour
	 * before the first (a long session ends late). */
	for (int i = 0; i < 515; i++) {
		session_from(&s, 1, 2, 25, "smtp", i % 3 ? VERDICT_STARTTLS : VERDICT_CLEARTEXT);
		s.ts_first_us = t0 + (uint64_t)i * 7000000;
		add(sum, &s);
	}
	session_from(&s, 1, 2, 25, "smtp", VERDICT_IMPLICIT_TLS);
	s.ts_first_us = t0 - 3600000000ull;
	add(sum, &s);
	b = summary_timeline(sum, &n, &width);
	assert_true(n <= SUMMARY_BUCKETS);
	assert_int_equal(width, 300000000); /* 2 h in at most 48 buckets: 5 min */
	assert_int_equal(b[0].start_us % width, 0);
	assert_true(b[0].start_us <= t0 - 3600000000ull);
	assert_int_equal(b[0].verdicts[VERDICT_IMPLICIT_TLS], 1);
	assert_true(b[n - 1].start_us + width > t0 + 514ull * 7000000);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(b[i].start_us, b[0].start_us + i * width);
		total += b[i].sessions;
		enc += b[i].verdicts[VERDICT_STARTTLS] + b[i].verdicts[VERDICT_IMPLICIT_TLS];
	}
	assert_int_equal(total, 516);
	assert_int_equal(enc, 343 + 1);
	summary_free(sum);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_counts_sessions_and_verdicts_per_port),
		cmocka_unit_test(test_summary_counts_sessions_per_server_address_and_port),
		cmocka_unit_test(
			test_summary_ports_are_sorted_by_number_whatever_the_arrival_order),
		cmocka_unit_test(
			test_summary_servers_are_sorted_by_address_then_port_with_ipv4_first),
		cmocka_unit_test(test_summary_tcp_and_udp_on_one_port_are_separate_rows),
		cmocka_unit_test(
			test_summary_encrypted_share_counts_implicit_tls_and_starttls_only),
		cmocka_unit_test(test_summary_row_is_named_after_the_first_identified_service),
		cmocka_unit_test(
			test_summary_tls_offered_and_not_offered_follow_the_capability_lists_seen),
		cmocka_unit_test(
			test_summary_many_servers_through_several_rehashes_are_each_counted),
		cmocka_unit_test(test_summary_add_after_sorting_still_finds_the_existing_rows),
		cmocka_unit_test(
			test_summary_sorting_after_every_add_keeps_counts_and_memory_bounded),
		cmocka_unit_test(test_summary_empty_summary_has_no_rows),
		cmocka_unit_test(
			test_summary_clients_count_sessions_verdicts_and_cleartext_logins_by_service),
		cmocka_unit_test(
			test_summary_client_logins_past_the_named_services_are_counted_as_other),
		cmocka_unit_test(test_summary_users_are_per_name_service_and_server_with_outcomes),
		cmocka_unit_test(test_summary_views_beyond_their_limit_count_the_rest_as_others),
		cmocka_unit_test(test_summary_timeline_starts_with_one_second_buckets),
		cmocka_unit_test(
			test_summary_timeline_widens_and_reaches_back_without_losing_a_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
