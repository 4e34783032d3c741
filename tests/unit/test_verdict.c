/*
 * test_verdict.c - unit tests for the verdict rules (src/verdict.c).
 *
 * verdict_judge is a pure function of the session record, so every test
 * builds a record by hand (session_init, then the facts a parser would have
 * set) and checks the verdict and reason by their stable names (DESIGN.md
 * "Vocabulary"), the alert records written and the session's alert bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "session.h"
#include "verdict.h"

#define MAX_ALERTS 16

struct judged {
	struct alert a[MAX_ALERTS];
	size_t n;
};

/* A finished TCP session 127.0.0.1:40000 -> 127.0.0.2:port that carried
 * some bytes both ways. */
static void
session_make(struct session *s, const char *service, uint16_t port)
{
	session_init(s, 7, 1000000);
	s->ts_last_us = 2000000;
	s->family = 4;
	s->client_ip[0] = 127;
	s->client_ip[3] = 1;
	s->server_ip[0] = 127;
	s->server_ip[3] = 2;
	s->client_port = 40000;
	s->server_port = port;
	s->service = service;
	s->syn_seen = true;
	s->end = END_FIN;
	s->bytes[DIR_C2S] = 300;
	s->bytes[DIR_S2C] = 900;
	s->packets = 12;
}

/* A service parser read an SMTP dialogue up to EHLO. */
static void
smtp_plain(struct session *s, uint16_t port, bool offered)
{
	session_make(s, "smtp", port);
	s->mode = MODE_PLAIN;
	s->plain_seen = true;
	s->pf.greeting = true;
	s->pf.capa_seen = true;
	s->pf.tls_offered = offered;
	s->pf.commands = 2;
}

static void
evidence_set(struct proto_facts *pf, const char *ev)
{
	pf->evidence_len = (uint16_t)strlen(ev);
	memcpy(pf->evidence, ev, pf->evidence_len);
}

/* STARTTLS asked and accepted: the rest of the streams went to TLS. */
static void
smtp_upgraded(struct session *s)
{
	smtp_plain(s, 25, true);
	s->pf.upgrade_requested = true;
	s->pf.upgrade_accepted = true;
	s->pf.switch_to_tls = true;
	s->mode = MODE_TLS;
}

/* A complete TLS 1.3 handshake. */
static void
tls_established(struct tls_facts *t)
{
	t->client_hello = true;
	t->client_version = 0x0303;
	t->client_max_version = 0x0304;
	t->n_ciphers_offered = 3;
	t->server_hello = true;
	t->version = 0x0304;
	t->cipher = 0x1301;
	t->encrypted[DIR_C2S] = t->encrypted[DIR_S2C] = true;
	t->records[DIR_C2S] = 4;
	t->records[DIR_S2C] = 5;
	t->established = true;
}

/* Only the ClientHello was seen. */
static void
tls_hello_only(struct tls_facts *t)
{
	t->client_hello = true;
	t->client_version = 0x0303;
	t->client_max_version = 0x0304;
	t->records[DIR_C2S] = 1;
}

static void
implicit_tls(struct session *s, uint16_t port)
{
	session_make(s, "smtp", port);
	s->mode = MODE_TLS;
	s->implicit_tls = true;
}

static void
judge_in(struct session *s, const struct verdict_input *in, struct judged *j)
{
	memset(j, 0, sizeof(*j));
	j->n = verdict_judge(s, in, j->a, MAX_ALERTS);
	assert_true(j->n <= MAX_ALERTS);
}

static void
judge(struct session *s, struct judged *j)
{
	struct verdict_input in = {.ndpi_cleartext = false};

	judge_in(s, &in, j);
}

static void
assert_verdict(const struct session *s, const char *verdict, const char *reason)
{
	assert_string_equal(verdict_name(s->verdict), verdict);
	if (reason)
		assert_string_equal(reason_name(s->reason), reason);
	else
		assert_int_equal(s->reason, REASON_NONE);
}

/* The alert of this kind among those written, or NULL. */
static const struct alert *
alert_find(const struct judged *j, enum alert_kind k)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->a[i].kind == k)
			return &j->a[i];
	return NULL;
}

/* Exactly the alerts listed (in any order) were written and flagged. */
static void
assert_alerts(const struct session *s, const struct judged *j, const enum alert_kind *kinds,
	      size_t n)
{
	uint32_t want = 0;

	for (size_t i = 0; i < n; i++) {
		want |= 1u << kinds[i];
		if (!alert_find(j, kinds[i]))
			fail_msg("alert %s not raised", alert_kind_name(kinds[i]));
	}
	if (j->n != n) {
		for (size_t i = 0; i < j->n; i++)
			print_message("raised: %s\n", alert_kind_name(j->a[i].kind));
		fail_msg("%zu alerts raised, %zu expected", j->n, n);
	}
	assert_int_equal(s->alerts, want);
}

static void
assert_no_alerts(const struct session *s, const struct judged *j)
{
	assert_alerts(s, j, NULL, 0);
}

#define ALERTS(...)                                                                                \
	(const enum alert_kind[]){__VA_ARGS__},                                                    \
		sizeof((const enum alert_kind[]){__VA_ARGS__}) / sizeof(enum alert_kind)

/* The identity of an alert is its session's. */
static void
assert_alert_identity(const struct alert *a, const struct session *s)
{
	assert_int_equal(a->session_id, s->id);
	assert_int_equal(a->ts_us, s->ts_last_us);
	assert_int_equal(a->family, 4);
	assert_memory_equal(a->server_ip, s->server_ip, 16);
	assert_int_equal(a->server_port, s->server_port);
	assert_string_equal(a->service, s->service);
	assert_true(strlen(a->evidence) < sizeof(a->evidence));
}

/* ---- rule 1: no payload ---- */

static void
test_verdict_session_without_payload_is_unknown_no_payload(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "unknown", 25);
	s.bytes[DIR_C2S] = s.bytes[DIR_S2C] = 0;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "no-payload");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_midstream_session_without_payload_is_unknown_midstream(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "unknown", 25);
	s.bytes[DIR_C2S] = s.bytes[DIR_S2C] = 0;
	s.midstream = true;
	s.syn_seen = false;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "midstream");
	assert_no_alerts(&s, &j);
}

/* ---- rule 2: implicit TLS ---- */

static void
test_verdict_implicit_tls_handshake_established_is_implicit_tls(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	implicit_tls(&s, 465);
	tls_established(&s.tf);
	judge(&s, &j);
	assert_verdict(&s, "implicit-tls", NULL);
	assert_no_alerts(&s, &j);
}

static void
test_verdict_implicit_tls_with_a_fatal_alert_is_tls_failed_alert(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	implicit_tls(&s, 465);
	tls_hello_only(&s.tf);
	s.tf.alert = true;
	s.tf.alert_dir = DIR_S2C;
	s.tf.alert_level = 2;
	s.tf.alert_desc = 40; /* handshake_failure */
	judge(&s, &j);
	assert_verdict(&s, "tls-failed", "alert");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_implicit_tls_with_a_warning_alert_is_not_a_failure(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	implicit_tls(&s, 993);
	tls_established(&s.tf);
	s.tf.alert = true;
	s.tf.alert_level = 1;
	s.tf.alert_desc = 0; /* close_notify */
	judge(&s, &j);
	assert_verdict(&s, "implicit-tls", NULL);
}

static void
test_verdict_implicit_tls_reset_before_the_handshake_completed_is_tls_failed_closed(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	implicit_tls(&s, 993);
	tls_hello_only(&s.tf);
	s.end = END_RST;
	judge(&s, &j);
	assert_verdict(&s, "tls-failed", "closed");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_implicit_tls_closed_by_fin_before_the_handshake_completed_is_tls_failed_closed(
	void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	implicit_tls(&s, 993);
	tls_hello_only(&s.tf);
	s.end = END_FIN;
	judge(&s, &j);
	assert_verdict(&s, "tls-failed", "closed");
}

/* Bytes were missing (a short snaplen, a capture loss): the rest of the
 * handshake may have been in them, so an unfinished one is unknown/gap;
 * a fatal alert seen in the clear is still a failure, and a STARTTLS
 * session the same. */
static void
test_verdict_unfinished_handshake_with_missing_bytes_is_unknown_gap(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	implicit_tls(&s, 993);
	tls_hello_only(&s.tf);
	s.gap = true;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "gap");
	assert_no_alerts(&s, &j);

	implicit_tls(&s, 465);
	tls_hello_only(&s.tf);
	s.gap = true;
	s.tf.alert = true;
	s.tf.alert_dir = DIR_S2C;
	s.tf.alert_level = 2;
	s.tf.alert_desc = 40;
	judge(&s, &j);
	assert_verdict(&s, "tls-failed", "alert");

	session_make(&s, "unknown", 40443);
	s.mode = MODE_TLS;
	s.tls_after_cleartext = true;
	tls_hello_only(&s.tf);
	s.gap = true;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "gap");
}

static void
test_verdict_implicit_tls_cut_by_the_end_of_the_capture_is_still_implicit_tls(void **state)
{
	static const enum session_end ends[] = {END_CAPTURE, END_IDLE, END_EVICTED, END_OPEN};

	(void)state;
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		struct session s;
		struct judged j;

		implicit_tls(&s, 443);
		tls_hello_only(&s.tf);
		s.end = ends[i];
		judge(&s, &j);
		assert_verdict(&s, "implicit-tls", NULL);
		assert_no_alerts(&s, &j);
	}
}

static void
test_verdict_implicit_tls_whose_client_sent_encrypted_records_is_not_closed_early(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	/* Only the client side is in the capture: it finished its handshake. */
	implicit_tls(&s, 443);
	tls_hello_only(&s.tf);
	s.tf.encrypted[DIR_C2S] = true;
	s.bytes[DIR_S2C] = 0;
	s.end = END_FIN;
	judge(&s, &j);
	assert_verdict(&s, "implicit-tls", NULL);
}

/* ---- rule 3: STARTTLS and cleartext ---- */

static void
test_verdict_starttls_accepted_then_a_client_hello_is_starttls(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_upgraded(&s);
	tls_hello_only(&s.tf);
	s.end = END_CAPTURE;
	judge(&s, &j);
	assert_verdict(&s, "starttls", NULL);
	assert_no_alerts(&s, &j);

	smtp_upgraded(&s);
	tls_established(&s.tf);
	judge(&s, &j);
	assert_verdict(&s, "starttls", NULL);
	assert_no_alerts(&s, &j);
}

static void
test_verdict_starttls_accepted_then_cleartext_from_the_client_is_downgraded_no_tls_after_accept(
	void **state)
{
	static const char ev[] = "MAIL FROM:<a@example.org>\r\n";
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	smtp_upgraded(&s);
	s.tf.not_tls[DIR_C2S] = true;
	s.tf.first_bytes_len[DIR_C2S] = strlen(ev);
	memcpy(s.tf.first_bytes[DIR_C2S], ev, strlen(ev));
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "no-tls-after-accept");
	assert_alerts(&s, &j, ALERTS(ALERT_NO_TLS_AFTER_ACCEPT));
	a = alert_find(&j, ALERT_NO_TLS_AFTER_ACCEPT);
	assert_int_equal(a->severity, SEVERITY_HIGH);
	assert_string_equal(a->evidence, "MAIL FROM:<a@example.org>\\r\\n");
	assert_alert_identity(a, &s);
}

static void
test_verdict_starttls_accepted_then_cleartext_from_the_server_only_is_downgraded(void **state)
{
	static const char ev[] = "250 OK\r\n";
	struct session s;
	struct judged j;

	(void)state;
	smtp_upgraded(&s);
	s.tf.not_tls[DIR_S2C] = true;
	s.tf.first_bytes_len[DIR_S2C] = strlen(ev);
	memcpy(s.tf.first_bytes[DIR_S2C], ev, strlen(ev));
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "no-tls-after-accept");
	assert_non_null(alert_find(&j, ALERT_NO_TLS_AFTER_ACCEPT));
	assert_string_equal(alert_find(&j, ALERT_NO_TLS_AFTER_ACCEPT)->evidence, "250 OK\\r\\n");
}

static void
test_verdict_server_cleartext_after_the_client_hello_raises_the_alert_its_reason_names(void **state)
{
	static const char ev[] = "454 TLS not available\r\n";
	struct session s;
	struct judged j;

	(void)state;
	/* DESIGN.md: each downgrade reason also raises the alert of that name. */
	smtp_upgraded(&s);
	tls_hello_only(&s.tf);
	s.tf.not_tls[DIR_S2C] = true;
	s.tf.first_bytes_len[DIR_S2C] = strlen(ev);
	memcpy(s.tf.first_bytes[DIR_S2C], ev, strlen(ev));
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "no-tls-after-accept");
	/* The server never started TLS: the upgrade did not happen. That is
	 * the finding; no injection is claimed when no handshake followed. */
	assert_alerts(&s, &j, ALERTS(ALERT_NO_TLS_AFTER_ACCEPT));
	assert_string_equal(alert_find(&j, ALERT_NO_TLS_AFTER_ACCEPT)->evidence,
			    "454 TLS not available\\r\\n");
}

static void
test_verdict_text_before_a_handshake_that_went_on_is_response_injection(void **state)
{
	static const char ev[] = "250 injected\r\n";
	struct session s;
	struct judged j;

	(void)state;
	smtp_upgraded(&s);
	tls_established(&s.tf);
	s.pre_tls_text[DIR_S2C] = sizeof(ev) - 1;
	s.tf.first_bytes_len[DIR_S2C] = sizeof(ev) - 1;
	memcpy(s.tf.first_bytes[DIR_S2C], ev, sizeof(ev) - 1);
	judge(&s, &j);
	assert_verdict(&s, "starttls", NULL);
	assert_alerts(&s, &j, ALERTS(ALERT_RESP_INJECTION));
	assert_string_equal(alert_find(&j, ALERT_RESP_INJECTION)->evidence, "250 injected\\r\\n");
}

static void
test_verdict_server_text_and_no_server_hello_after_the_go_ahead_is_no_tls_after_accept(void **state)
{
	static const char ev[] = "500 5.5.2 Error: command not recognized\r\n";
	struct session s;
	struct judged j;

	(void)state;
	smtp_upgraded(&s);
	tls_hello_only(&s.tf);
	s.pre_tls_text[DIR_S2C] = sizeof(ev) - 1;
	s.tf.first_bytes_len[DIR_S2C] = sizeof(ev) - 1;
	memcpy(s.tf.first_bytes[DIR_S2C], ev, sizeof(ev) - 1);
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "no-tls-after-accept");
	assert_alerts(&s, &j, ALERTS(ALERT_NO_TLS_AFTER_ACCEPT));
}

static void
test_verdict_non_tls_evidence_never_reads_past_the_bytes_kept(void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;
	char want[64 * 4 + 1] = "";

	(void)state;
	/* tls.h: first_bytes_len is "how many bytes were not TLS", which may be
	 * more than the 64 kept in first_bytes. */
	smtp_upgraded(&s);
	s.tf.not_tls[DIR_S2C] = true;
	memset(s.tf.first_bytes[DIR_S2C], 'A', sizeof(s.tf.first_bytes[DIR_S2C]));
	s.tf.first_bytes_len[DIR_S2C] = 5000;
	s.tf.established = true; /* the bytes after the array are not evidence */
	s.tf.anomalies = 0x01010101;
	judge(&s, &j);
	a = alert_find(&j, ALERT_NO_TLS_AFTER_ACCEPT);
	assert_non_null(a);
	memset(want, 'A', 64);
	assert_string_equal(a->evidence, want);
}

static void
test_verdict_starttls_accepted_and_connection_closed_before_any_handshake_is_tls_failed_closed(
	void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_upgraded(&s);
	s.end = END_RST;
	judge(&s, &j);
	assert_verdict(&s, "tls-failed", "closed");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_starttls_handshake_with_a_fatal_alert_is_tls_failed_alert(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_upgraded(&s);
	tls_hello_only(&s.tf);
	s.tf.alert = true;
	s.tf.alert_dir = DIR_S2C;
	s.tf.alert_level = 2;
	s.tf.alert_desc = 70; /* protocol_version */
	judge(&s, &j);
	assert_verdict(&s, "tls-failed", "alert");
}

static void
test_verdict_starttls_refused_is_downgraded_upgrade_refused_with_the_reply_as_evidence(void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	smtp_plain(&s, 587, true);
	s.pf.upgrade_requested = true;
	s.pf.upgrade_refused = true;
	s.pf.cleartext_after_refusal = true;
	s.pf.indicators = IND_UPGRADE_REFUSED;
	evidence_set(&s.pf, "454 4.7.0 TLS not available due to local problem\r\n");
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "upgrade-refused");
	assert_alerts(&s, &j, ALERTS(ALERT_UPGRADE_REFUSED));
	a = alert_find(&j, ALERT_UPGRADE_REFUSED);
	assert_int_equal(a->severity, SEVERITY_HIGH);
	assert_string_equal(a->evidence, "454 4.7.0 TLS not available due to local problem\\r\\n");
	assert_alert_identity(a, &s);
}

static void
test_verdict_masked_capability_is_downgraded_capability_masked(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 25, false);
	s.pf.indicators = IND_CAPA_MASKED;
	evidence_set(&s.pf, "250-XXXXXXXA\r\n");
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "capability-masked");
	assert_alerts(&s, &j, ALERTS(ALERT_CAPABILITY_MASKED));
	assert_string_equal(alert_find(&j, ALERT_CAPABILITY_MASKED)->evidence,
			    "250-XXXXXXXA\\r\\n");
}

static void
test_verdict_masked_client_command_is_downgraded_capability_masked(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 25, true);
	s.pf.indicators = IND_CMD_MASKED;
	evidence_set(&s.pf, "XXXXXXXX\r\n");
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "capability-masked");
	assert_alerts(&s, &j, ALERTS(ALERT_CAPABILITY_MASKED));
}

static void
test_verdict_plaintext_smtp_on_port_465_is_downgraded_plaintext_on_tls_port(void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	smtp_plain(&s, 465, false);
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "plaintext-on-tls-port");
	assert_alerts(&s, &j, ALERTS(ALERT_PLAINTEXT_ON_TLS_PORT));
	a = alert_find(&j, ALERT_PLAINTEXT_ON_TLS_PORT);
	assert_int_equal(a->severity, SEVERITY_HIGH);
	assert_non_null(strstr(a->evidence, "smtp"));
	assert_non_null(strstr(a->evidence, "465"));
	assert_alert_identity(a, &s);
}

static void
test_verdict_unrecognised_text_on_port_993_is_plaintext_on_tls_port(void **state)
{
	static const char text[] = "HELLO there\r\n";
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	session_make(&s, "imap", 993);
	s.mode = MODE_WATCH;
	memcpy(s.unrecognized, text, sizeof(text) - 1);
	s.unrecognized_len = sizeof(text) - 1;
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "plaintext-on-tls-port");
	assert_alerts(&s, &j, ALERTS(ALERT_PLAINTEXT_ON_TLS_PORT));
	a = alert_find(&j, ALERT_PLAINTEXT_ON_TLS_PORT);
	assert_non_null(strstr(a->evidence, "HELLO there"));
}

static void
test_verdict_unrecognised_binary_on_port_993_stays_unknown(void **state)
{
	static const uint8_t noise[8] = {0x25, 0x00, 0x45, 0x14, 0x04, 0x11, 0x8a, 0xb5};
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "imap", 993);
	s.mode = MODE_WATCH;
	memcpy(s.unrecognized, noise, sizeof(noise));
	s.unrecognized_len = sizeof(noise);
	judge(&s, &j);
	assert_verdict(&s, "unknown", "unrecognized");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_cleartext_with_a_gap_is_unknown_gap(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 587, false);
	s.gap = true;
	s.gap_undecided = true;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "gap");
}

/* Every implicit-TLS port of every TCP protocol with a parser, taken from
 * the registry (issue 10: 990, 636, 3269, 563, 5223, 6697, 992, 443 ...):
 * a cleartext exchange there is a downgrade, whatever the protocol. */
static void
test_verdict_plaintext_on_every_tls_port_is_downgraded(void **state)
{
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];

		if (!d->feed || d->data_channel || !(d->tls_transports & PROTO_TCP))
			continue;
		for (size_t k = 0; k < PROTO_PORTS_MAX && d->tls_ports[k]; k++) {
			struct session s;
			struct judged j;

			smtp_plain(&s, d->tls_ports[k], false);
			s.service = d->name;
			judge(&s, &j);
			if (strcmp(verdict_name(s.verdict), "downgraded") != 0 ||
			    strcmp(reason_name(s.reason), "plaintext-on-tls-port") != 0)
				fail_msg("%s on %u: %s/%s", d->name, d->tls_ports[k],
					 verdict_name(s.verdict), reason_name(s.reason));
			checked++;
		}
	}
	/* 20 today: smtp 465, imap 993, pop3 995, ftp 990, ldap 636 3269,
	 * nntp 563, xmpp 5223, irc 6697, telnet 992, http 443 8443, dns 853,
	 * radius 2083, diameter 5868, snmp 10161 10162, syslog 6514, stun 5349,
	 * sip 5061. */
	assert_true(checked >= 20);
}

static void
test_verdict_starttls_offered_but_not_used_is_cleartext_not_requested(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 25, true);
	judge(&s, &j);
	assert_verdict(&s, "cleartext", "not-requested");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_starttls_not_offered_is_cleartext_not_offered(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 25, false);
	judge(&s, &j);
	assert_verdict(&s, "cleartext", "not-offered");
	assert_no_alerts(&s, &j);

	/* No capability list seen at all: whether TLS was offered is not on
	 * the wire (issue 14, finding 5), so not "not-offered". */
	smtp_plain(&s, 2525, false);
	s.pf.capa_seen = false;
	judge(&s, &j);
	assert_verdict(&s, "cleartext", "offer-unseen");
	/* ... but a client that asked and got no go-ahead saw the answer. */
	smtp_plain(&s, 2525, false);
	s.pf.capa_seen = false;
	s.pf.upgrade_requested = true;
	judge(&s, &j);
	assert_verdict(&s, "cleartext", "not-offered");
}

/* ---- logins ---- */

static void
test_verdict_cleartext_logins_raise_high_with_a_secret_and_low_without_and_never_show_it(
	void **state)
{
	struct session s;
	struct judged j;
	struct login *l;
	size_t seen = 0;

	(void)state;
	smtp_plain(&s, 25, false);
	l = proto_facts_add_login(&s.pf, "PLAIN");
	assert_non_null(l);
	strcpy(l->username, "alice");
	strcpy(l->secret, "hunter2-s3cret");
	l->has_secret = true;
	l->outcome = LOGIN_SUCCESS;
	l = proto_facts_add_login(&s.pf, "CRAM-MD5");
	assert_non_null(l);
	strcpy(l->username, "bob");
	strcpy(l->secret, "0123456789abcdef-digest");
	l->has_secret = false;
	judge(&s, &j);
	assert_verdict(&s, "cleartext", "not-offered");
	assert_int_equal(j.n, 2);
	assert_int_equal(s.alerts, 1u << ALERT_CLEARTEXT_LOGIN);
	for (size_t i = 0; i < j.n; i++) {
		const struct alert *a = &j.a[i];

		assert_int_equal(a->kind, ALERT_CLEARTEXT_LOGIN);
		assert_alert_identity(a, &s);
		assert_null(strstr(a->evidence, "hunter2"));
		assert_null(strstr(a->evidence, "s3cret"));
		assert_null(strstr(a->evidence, "0123456789abcdef"));
		if (strstr(a->evidence, "alice")) {
			assert_int_equal(a->severity, SEVERITY_HIGH);
			assert_non_null(strstr(a->evidence, "PLAIN"));
			seen |= 1;
		} else if (strstr(a->evidence, "bob")) {
			assert_int_equal(a->severity, SEVERITY_LOW);
			assert_non_null(strstr(a->evidence, "CRAM-MD5"));
			seen |= 2;
		} else {
			fail_msg("login alert names no user: %s", a->evidence);
		}
	}
	assert_int_equal(seen, 3);
}

static void
test_verdict_login_without_a_username_still_raises_an_alert(void **state)
{
	struct session s;
	struct judged j;
	struct login *l;

	(void)state;
	smtp_plain(&s, 25, true);
	l = proto_facts_add_login(&s.pf, "LOGIN");
	strcpy(l->secret, "pw");
	l->has_secret = true;
	judge(&s, &j);
	assert_alerts(&s, &j, ALERTS(ALERT_CLEARTEXT_LOGIN));
	assert_int_equal(j.a[0].severity, SEVERITY_HIGH);
	assert_null(strstr(j.a[0].evidence, "pw"));
}

static void
test_verdict_logins_are_alerted_alongside_a_downgrade(void **state)
{
	struct session s;
	struct judged j;
	struct login *l;

	(void)state;
	smtp_plain(&s, 25, true);
	s.pf.upgrade_requested = true;
	s.pf.upgrade_refused = true;
	evidence_set(&s.pf, "454 no\r\n");
	l = proto_facts_add_login(&s.pf, "PLAIN");
	strcpy(l->username, "carol");
	l->has_secret = true;
	judge(&s, &j);
	assert_verdict(&s, "downgraded", "upgrade-refused");
	assert_alerts(&s, &j, ALERTS(ALERT_UPGRADE_REFUSED, ALERT_CLEARTEXT_LOGIN));
}

/* ---- injection and PREAUTH indicators ---- */

static void
test_verdict_command_injection_after_starttls_is_alerted_and_the_session_stays_starttls(
	void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	smtp_upgraded(&s);
	tls_established(&s.tf);
	s.pf.indicators = IND_CMD_INJECTION;
	evidence_set(&s.pf, "RSET\r\n");
	judge(&s, &j);
	assert_verdict(&s, "starttls", NULL);
	assert_alerts(&s, &j, ALERTS(ALERT_CMD_INJECTION));
	a = alert_find(&j, ALERT_CMD_INJECTION);
	assert_int_equal(a->severity, SEVERITY_HIGH);
	assert_string_equal(a->evidence, "RSET\\r\\n");
}

static void
test_verdict_preauth_greeting_raises_preauth_bypass(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 143, false);
	s.service = "imap";
	s.pf.indicators = IND_PREAUTH;
	evidence_set(&s.pf, "* PREAUTH ready\r\n");
	judge(&s, &j);
	assert_verdict(&s, "cleartext", "not-offered");
	assert_alerts(&s, &j, ALERTS(ALERT_PREAUTH_BYPASS));
}

/* ---- negotiated TLS parameters ---- */

static void
test_verdict_tls_1_0_negotiated_raises_tls_obsolete_version(void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	implicit_tls(&s, 993);
	tls_established(&s.tf);
	s.tf.version = 0x0301;
	s.tf.cipher = 0x002f; /* TLS_RSA_WITH_AES_128_CBC_SHA */
	judge(&s, &j);
	assert_verdict(&s, "implicit-tls", NULL);
	assert_alerts(&s, &j, ALERTS(ALERT_TLS_OBSOLETE_VERSION));
	a = alert_find(&j, ALERT_TLS_OBSOLETE_VERSION);
	assert_int_equal(a->severity, SEVERITY_MEDIUM);
	assert_non_null(strstr(a->evidence, "TLSv1.0"));
	assert_alert_identity(a, &s);
}

/* A TLS 1.2 session on port 993 whose server sent a certificate for
 * names, valid from..to (seconds); the session starts at 1 s. */
static void
tls12_with_cert(struct session *s, const char *names, int64_t from, int64_t to)
{
	implicit_tls(s, 993);
	tls_established(&s->tf);
	s->tf.version = 0x0303;
	s->tf.cipher = 0xc02f;
	s->tf.cert.state = TLS_CERT_READ;
	s->tf.cert.chain = 1;
	s->tf.cert.hashed = 1;
	snprintf(s->tf.cert.subject, sizeof(s->tf.cert.subject), "imap.example.test");
	snprintf(s->tf.cert.names, sizeof(s->tf.cert.names), "%s", names);
	s->tf.cert.not_before = from;
	s->tf.cert.not_after = to;
	s->tf.cert.times_known = true;
}

static void
test_verdict_certificate_outside_its_validity_raises_cert_expired(void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	tls12_with_cert(&s, "imap.example.test", 0, 100);
	judge(&s, &j);
	assert_alerts(&s, &j, NULL, 0);
	/* Expired before the session (which starts at 1 s)... */
	tls12_with_cert(&s, "imap.example.test", -86400, 0);
	judge(&s, &j);
	assert_verdict(&s, "implicit-tls", NULL);
	assert_alerts(&s, &j, ALERTS(ALERT_CERT_EXPIRED));
	a = alert_find(&j, ALERT_CERT_EXPIRED);
	assert_int_equal(a->severity, SEVERITY_MEDIUM);
	assert_non_null(strstr(a->evidence, "valid 1969-12-31 to 1970-01-01"));
	/* ... or not valid yet. */
	tls12_with_cert(&s, "imap.example.test", 2, 86400);
	judge(&s, &j);
	assert_alerts(&s, &j, ALERTS(ALERT_CERT_EXPIRED));
	/* Validity strings that did not parse (d2i_X509 does not check them)
	 * are no evidence: no alert. */
	tls12_with_cert(&s, "imap.example.test", 0, 0);
	s.tf.cert.times_known = false;
	judge(&s, &j);
	assert_alerts(&s, &j, NULL, 0);
	/* TLS 1.3: the certificate is encrypted, nothing is judged. */
	tls12_with_cert(&s, "imap.example.test", -86400, 0);
	s.tf.cert.state = TLS_CERT_ENCRYPTED;
	judge(&s, &j);
	assert_alerts(&s, &j, NULL, 0);
}

static void
test_verdict_certificate_not_naming_the_sni_raises_cert_name_mismatch(void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	tls12_with_cert(&s, "*.example.test", 0, 100);
	snprintf(s.tf.sni, sizeof(s.tf.sni), "IMAP.example.test");
	judge(&s, &j);
	assert_alerts(&s, &j, NULL, 0);
	tls12_with_cert(&s, "imap.example.test", 0, 100);
	snprintf(s.tf.sni, sizeof(s.tf.sni), "mail.example.org");
	judge(&s, &j);
	assert_alerts(&s, &j, ALERTS(ALERT_CERT_NAME_MISMATCH));
	a = alert_find(&j, ALERT_CERT_NAME_MISMATCH);
	assert_int_equal(a->severity, SEVERITY_LOW);
	assert_non_null(strstr(a->evidence, "SNI mail.example.org"));
	/* A list cut short may hold the SNI among the names not kept. */
	s.tf.cert.names_cut = true;
	judge(&s, &j);
	assert_alerts(&s, &j, NULL, 0);
	s.tf.cert.names_cut = false;
	/* No SNI: nothing to compare. SMTP to port 25: the mail policy's. */
	s.tf.sni[0] = '\0';
	judge(&s, &j);
	assert_alerts(&s, &j, NULL, 0);
	tls12_with_cert(&s, "imap.example.test", 0, 100);
	snprintf(s.tf.sni, sizeof(s.tf.sni), "mail.example.org");
	s.server_port = 25;
	judge(&s, &j);
	assert_alerts(&s, &j, NULL, 0);
}

static void
test_verdict_rc4_cipher_negotiated_raises_tls_weak_cipher(void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	smtp_upgraded(&s);
	tls_established(&s.tf);
	s.tf.version = 0x0303;
	s.tf.cipher = 0x0005; /* TLS_RSA_WITH_RC4_128_SHA */
	judge(&s, &j);
	assert_verdict(&s, "starttls", NULL);
	assert_alerts(&s, &j, ALERTS(ALERT_TLS_WEAK_CIPHER));
	a = alert_find(&j, ALERT_TLS_WEAK_CIPHER);
	assert_non_null(strstr(a->evidence, "RC4"));
}

static void
test_verdict_sslv3_with_rc4_raises_both_tls_alerts(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	implicit_tls(&s, 443);
	tls_established(&s.tf);
	s.tf.version = 0x0300;
	s.tf.cipher = 0x0004;
	judge(&s, &j);
	assert_alerts(&s, &j, ALERTS(ALERT_TLS_OBSOLETE_VERSION, ALERT_TLS_WEAK_CIPHER));
}

static void
test_verdict_weak_ciphers_only_offered_raise_nothing(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	implicit_tls(&s, 443);
	tls_established(&s.tf);
	s.tf.weak_cipher_offered = true;
	s.tf.client_version = 0x0301;
	judge(&s, &j);
	assert_verdict(&s, "implicit-tls", NULL);
	assert_no_alerts(&s, &j);
}

static void
test_verdict_tls_parameters_are_not_judged_without_a_server_hello(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	/* version and cipher stay 0 (0x0000 is TLS_NULL_WITH_NULL_NULL). */
	implicit_tls(&s, 443);
	tls_hello_only(&s.tf);
	s.end = END_CAPTURE;
	judge(&s, &j);
	assert_no_alerts(&s, &j);
}

/* ---- rules 4 and 5: late TLS and the unknowns ---- */

static void
test_verdict_client_hello_after_unrecognised_cleartext_is_starttls(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "unknown", 7777);
	s.tls_after_cleartext = true;
	tls_established(&s.tf);
	judge(&s, &j);
	assert_verdict(&s, "starttls", NULL);
}

static void
test_verdict_midstream_server_hello_still_shows_implicit_tls(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "tls", 443);
	s.midstream = true;
	s.tf.server_hello = true;
	s.tf.version = 0x0303;
	s.tf.cipher = 0xc02f;
	s.end = END_CAPTURE;
	judge(&s, &j);
	assert_verdict(&s, "implicit-tls", NULL);
	assert_no_alerts(&s, &j);
}

static void
test_verdict_midstream_tls_records_without_a_hello_are_unknown_midstream(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "unknown", 443);
	s.midstream = true;
	s.tf.records[DIR_S2C] = 3;
	s.tf.encrypted[DIR_S2C] = true;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "midstream");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_midstream_with_no_recognised_payload_is_unknown_midstream(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "unknown", 25);
	s.midstream = true;
	s.syn_seen = false;
	s.mode = MODE_OPAQUE;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "midstream");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_gap_before_the_outcome_was_known_is_unknown_gap(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "unknown", 25);
	s.gap = true;
	s.gap_undecided = true;
	s.mode = MODE_OPAQUE;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "gap");
	assert_no_alerts(&s, &j);
}

static void
test_verdict_unrecognised_payload_is_unknown_unrecognized(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "unknown", 9999);
	s.mode = MODE_OPAQUE;
	judge(&s, &j);
	assert_verdict(&s, "unknown", "unrecognized");
	assert_no_alerts(&s, &j);
	/* No input at all is the same as no nDPI opinion. */
	judge_in(&s, NULL, &j);
	assert_verdict(&s, "unknown", "unrecognized");
}

static void
test_verdict_ndpi_cleartext_protocol_without_upgrade_is_cleartext_no_tls_protocol(void **state)
{
	struct verdict_input in = {.ndpi_cleartext = true};
	static const char *const services[] = {"unknown", "sip", "http", "dns"};

	(void)state;
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		struct session s;
		struct judged j;

		session_make(&s, services[i], 9999);
		s.mode = MODE_OPAQUE;
		judge_in(&s, &in, &j);
		assert_verdict(&s, "cleartext", "no-tls-protocol");
		assert_no_alerts(&s, &j);
	}
}

/* HTTP's RFC 2817 upgrade is seldom deployed: a session in which nobody
 * mentions it has no upgrade to speak of; one whose client asked and the
 * server never offered is not-offered; one whose server offered is
 * not-requested. */
static void
test_verdict_http_upgrade_unmentioned_is_no_tls_protocol_asked_not_offered(void **state)
{
	extern const struct proto_desc proto_http;
	static const struct {
		bool requested, offered;
		const char *reason;
	} cases[] = {
		{false, false, "no-tls-protocol"},
		{true, false, "not-offered"},
		{false, true, "not-requested"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct session s;
		struct judged j;

		session_make(&s, "http", 80);
		s.mode = MODE_PLAIN;
		s.plain_seen = true;
		s.proto = &proto_http;
		s.pf.upgrade_requested = cases[i].requested;
		s.pf.tls_offered = cases[i].offered;
		judge(&s, &j);
		assert_verdict(&s, "cleartext", cases[i].reason);
		assert_no_alerts(&s, &j);
	}
}

static void
test_verdict_ndpi_cleartext_protocol_with_an_upgrade_is_cleartext_not_offered(void **state)
{
	struct verdict_input in = {.ndpi_cleartext = true};
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "ftp", 2121);
	s.mode = MODE_OPAQUE;
	judge_in(&s, &in, &j);
	assert_verdict(&s, "cleartext", "not-offered");
}

static void
test_verdict_midstream_and_gap_win_over_an_ndpi_opinion(void **state)
{
	struct verdict_input in = {.ndpi_cleartext = true};
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "unknown", 80);
	s.midstream = true;
	judge_in(&s, &in, &j);
	assert_verdict(&s, "unknown", "midstream");
	session_make(&s, "unknown", 80);
	s.gap_undecided = true;
	judge_in(&s, &in, &j);
	assert_verdict(&s, "unknown", "gap");
}

/* ---- the alert records ---- */

static void
test_verdict_alert_limit_is_respected_and_every_kind_is_still_flagged(void **state)
{
	struct session s;
	struct alert out[2];
	struct login *l;
	size_t n;

	(void)state;
	smtp_plain(&s, 465, false);
	s.pf.indicators = IND_PREAUTH;
	evidence_set(&s.pf, "* PREAUTH\r\n");
	for (int i = 0; i < 3; i++) {
		l = proto_facts_add_login(&s.pf, "PLAIN");
		strcpy(l->username, "u");
		l->has_secret = true;
	}
	/* preauth + 3 logins + plaintext-on-tls-port = 5 alerts, room for 1. */
	memset(out, 0xa5, sizeof(out));
	n = verdict_judge(&s, NULL, out, 1);
	assert_int_equal(n, 1);
	for (size_t i = 0; i < sizeof(out[1]); i++)
		assert_int_equal(((const uint8_t *)&out[1])[i], 0xa5); /* untouched */
	assert_int_equal(s.alerts, (1u << ALERT_PREAUTH_BYPASS) | (1u << ALERT_CLEARTEXT_LOGIN) |
					   (1u << ALERT_PLAINTEXT_ON_TLS_PORT));
	assert_verdict(&s, "downgraded", "plaintext-on-tls-port");

	n = verdict_judge(&s, NULL, NULL, 0);
	assert_int_equal(n, 0);
	assert_true(s.alerts & (1u << ALERT_PLAINTEXT_ON_TLS_PORT));

	n = verdict_judge(&s, NULL, out, 2);
	assert_int_equal(n, 2);
}

static void
test_verdict_long_evidence_is_cut_and_stays_nul_terminated(void **state)
{
	struct session s;
	struct judged j;
	const struct alert *a;

	(void)state;
	smtp_plain(&s, 25, true);
	s.pf.upgrade_refused = true;
	/* EVIDENCE_MAX bytes that each need a 4-character escape. */
	memset(s.pf.evidence, 0x01, EVIDENCE_MAX);
	s.pf.evidence_len = EVIDENCE_MAX;
	judge(&s, &j);
	a = alert_find(&j, ALERT_UPGRADE_REFUSED);
	assert_non_null(a);
	assert_int_equal(strlen(a->evidence), EVIDENCE_MAX * 4);
	assert_int_equal(strncmp(a->evidence, "\\x01\\x01", 8), 0);
}

static void
test_verdict_judging_twice_gives_the_same_result(void **state)
{
	struct session s;
	struct judged j1, j2;

	(void)state;
	smtp_plain(&s, 25, true);
	s.pf.upgrade_refused = true;
	evidence_set(&s.pf, "454 no\r\n");
	judge(&s, &j1);
	judge(&s, &j2);
	assert_verdict(&s, "downgraded", "upgrade-refused");
	assert_int_equal(j1.n, j2.n);
	assert_int_equal(s.alerts, 1u << ALERT_UPGRADE_REFUSED);
	/* The facts changed (say, a correlator re-judges): stale bits go. */
	s.pf.upgrade_refused = false;
	judge(&s, &j2);
	assert_verdict(&s, "cleartext", "not-requested");
	assert_no_alerts(&s, &j2);
}

static void
test_verdict_alert_init_copies_the_session_identity(void **state)
{
	struct session s;
	struct alert a;

	(void)state;
	session_make(&s, "pop3", 110);
	s.family = 6;
	memset(s.server_ip, 0, 16);
	s.server_ip[15] = 1;
	memset(&a, 0xff, sizeof(a));
	verdict_alert_init(&a, &s, ALERT_TLS_FALLBACK, SEVERITY_MEDIUM);
	assert_int_equal(a.kind, ALERT_TLS_FALLBACK);
	assert_int_equal(a.severity, SEVERITY_MEDIUM);
	assert_int_equal(a.session_id, 7);
	assert_int_equal(a.ts_us, 2000000);
	assert_int_equal(a.family, 6);
	assert_memory_equal(a.server_ip, s.server_ip, 16);
	assert_int_equal(a.server_port, 110);
	assert_string_equal(a.service, "pop3");
	assert_string_equal(a.evidence, "");
}

/* ---- Alerts of an open session (verdict_early) ------------------------------ */

/* verdict_early on an open session: the alerts it raises now. */
static void
early(struct session *s, struct judged *j)
{
	s->end = END_OPEN;
	memset(j, 0, sizeof(*j));
	j->n = verdict_early(s, j->a, MAX_ALERTS);
	assert_true(j->n <= MAX_ALERTS);
}

static struct login *
login_add(struct session *s, const char *mech, const char *user, enum login_outcome o)
{
	struct login *l = &s->pf.logins[s->pf.n_logins++];

	memset(l, 0, sizeof(*l));
	strcpy(l->mechanism, mech);
	strcpy(l->username, user);
	l->has_secret = true;
	l->outcome = o;
	return l;
}

static void
test_verdict_early_answered_login_is_raised_while_open_and_not_at_the_end(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 587, true);
	login_add(&s, "PLAIN", "alice", LOGIN_SUCCESS);
	early(&s, &j);
	assert_int_equal(j.n, 1);
	assert_int_equal(j.a[0].kind, ALERT_CLEARTEXT_LOGIN);
	assert_int_equal(j.a[0].severity, SEVERITY_HIGH);
	assert_string_equal(j.a[0].evidence, "smtp PLAIN user=alice");
	assert_int_equal(j.a[0].session_id, s.id);
	/* Asked again: nothing new. */
	early(&s, &j);
	assert_int_equal(j.n, 0);
	/* The end lists it, does not raise it again. */
	s.end = END_FIN;
	judge(&s, &j);
	assert_int_equal(j.n, 0);
	assert_int_equal(s.alerts, 1u << ALERT_CLEARTEXT_LOGIN);
	assert_verdict(&s, "cleartext", "not-requested");
}

static void
test_verdict_early_login_waits_for_its_answer_or_the_next_login(void **state)
{
	struct session s;
	struct judged j;
	struct login *l;

	(void)state;
	smtp_plain(&s, 587, true);
	l = login_add(&s, "LOGIN", "", LOGIN_UNKNOWN);
	early(&s, &j);
	assert_int_equal(j.n, 0); /* the user name may come yet */
	strcpy(l->username, "bob");
	l->outcome = LOGIN_FAILURE;
	login_add(&s, "PLAIN", "carol", LOGIN_UNKNOWN);
	early(&s, &j);
	assert_int_equal(j.n, 1);
	assert_string_equal(j.a[0].evidence, "smtp LOGIN user=bob");
	/* The second login, never answered, is the end's. */
	s.end = END_FIN;
	judge(&s, &j);
	assert_int_equal(j.n, 1);
	assert_string_equal(j.a[0].evidence, "smtp PLAIN user=carol");
	assert_int_equal(s.alerts, 1u << ALERT_CLEARTEXT_LOGIN);
}

static void
test_verdict_early_anonymous_login_raises_nothing(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	session_make(&s, "ftp", 21);
	s.plain_seen = true;
	login_add(&s, "USER", "anonymous", LOGIN_SUCCESS)->anonymous = true;
	early(&s, &j);
	assert_int_equal(j.n, 0);
	assert_int_equal(s.alerts_early, 0);
}

static void
test_verdict_early_refusal_and_indicators_are_raised_once(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 25, true);
	s.pf.upgrade_requested = true;
	s.pf.upgrade_refused = true;
	s.pf.indicators |= IND_UPGRADE_REFUSED | IND_CMD_INJECTION;
	evidence_set(&s.pf, "454 TLS not available");
	early(&s, &j);
	assert_int_equal(j.n, 2);
	assert_non_null(alert_find(&j, ALERT_UPGRADE_REFUSED));
	assert_non_null(alert_find(&j, ALERT_CMD_INJECTION));
	s.end = END_FIN;
	judge(&s, &j);
	assert_int_equal(j.n, 0);
	assert_verdict(&s, "downgraded", "upgrade-refused");
	assert_int_equal(s.alerts, 1u << ALERT_UPGRADE_REFUSED | 1u << ALERT_CMD_INJECTION);
}

static void
test_verdict_early_masked_capability_and_tls_port_are_raised_while_open(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 25, false);
	s.pf.indicators |= IND_CAPA_MASKED;
	evidence_set(&s.pf, "250-XXXXXXXA");
	early(&s, &j);
	assert_int_equal(j.n, 1);
	assert_int_equal(j.a[0].kind, ALERT_CAPABILITY_MASKED);

	smtp_plain(&s, 465, false);
	early(&s, &j);
	assert_int_equal(j.n, 1);
	assert_int_equal(j.a[0].kind, ALERT_PLAINTEXT_ON_TLS_PORT);
	assert_string_equal(j.a[0].evidence, "smtp in cleartext on TLS port 465/tcp");
	s.end = END_FIN;
	judge(&s, &j);
	assert_int_equal(j.n, 0);
	assert_verdict(&s, "downgraded", "plaintext-on-tls-port");
}

static void
test_verdict_early_leaves_what_needs_the_whole_session_to_the_end(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	/* Accepted upgrade, text where TLS belongs: only the end can tell. */
	smtp_upgraded(&s);
	s.tf.not_tls[DIR_C2S] = true;
	s.tf.first_bytes_len[DIR_C2S] = 4;
	memcpy(s.tf.first_bytes[DIR_C2S], "QUIT", 4);
	early(&s, &j);
	assert_int_equal(j.n, 0);
	/* Weak TLS, implicit TLS, unrecognised text on a TLS port: the end's. */
	implicit_tls(&s, 465);
	tls_established(&s.tf);
	s.tf.version = 0x0301;
	early(&s, &j);
	assert_int_equal(j.n, 0);
	s.end = END_FIN;
	judge(&s, &j);
	assert_non_null(alert_find(&j, ALERT_TLS_OBSOLETE_VERSION));
}

static void
test_verdict_early_alert_stays_listed_when_the_session_changes_course(void **state)
{
	struct session s;
	struct judged j;

	(void)state;
	smtp_plain(&s, 25, true);
	s.pf.upgrade_requested = true;
	s.pf.upgrade_refused = true;
	early(&s, &j);
	assert_int_equal(j.n, 1);
	/* Asked again, accepted, TLS followed. */
	s.pf.upgrade_accepted = true;
	s.pf.switch_to_tls = true;
	tls_established(&s.tf);
	s.end = END_FIN;
	judge(&s, &j);
	assert_int_equal(j.n, 0);
	assert_verdict(&s, "starttls", NULL);
	assert_int_equal(s.alerts, 1u << ALERT_UPGRADE_REFUSED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_session_without_payload_is_unknown_no_payload),
		cmocka_unit_test(
			test_verdict_midstream_session_without_payload_is_unknown_midstream),
		cmocka_unit_test(test_verdict_implicit_tls_handshake_established_is_implicit_tls),
		cmocka_unit_test(test_verdict_implicit_tls_with_a_fatal_alert_is_tls_failed_alert),
		cmocka_unit_test(test_verdict_implicit_tls_with_a_warning_alert_is_not_a_failure),
		cmocka_unit_test(
			test_verdict_implicit_tls_reset_before_the_handshake_completed_is_tls_failed_closed),
		cmocka_unit_test(
			test_verdict_implicit_tls_closed_by_fin_before_the_handshake_completed_is_tls_failed_closed),
		cmocka_unit_test(
			test_verdict_unfinished_handshake_with_missing_bytes_is_unknown_gap),
		cmocka_unit_test(
			test_verdict_implicit_tls_cut_by_the_end_of_the_capture_is_still_implicit_tls),
		cmocka_unit_test(
			test_verdict_implicit_tls_whose_client_sent_encrypted_records_is_not_closed_early),
		cmocka_unit_test(test_verdict_starttls_accepted_then_a_client_hello_is_starttls),
		cmocka_unit_test(
			test_verdict_starttls_accepted_then_cleartext_from_the_client_is_downgraded_no_tls_after_accept),
		cmocka_unit_test(
			test_verdict_starttls_accepted_then_cleartext_from_the_server_only_is_downgraded),
		cmocka_unit_test(
			test_verdict_server_cleartext_after_the_client_hello_raises_the_alert_its_reason_names),
		cmocka_unit_test(test_verdict_non_tls_evidence_never_reads_past_the_bytes_kept),
		cmocka_unit_test(
			test_verdict_text_before_a_handshake_that_went_on_is_response_injection),
		cmocka_unit_test(
			test_verdict_server_text_and_no_server_hello_after_the_go_ahead_is_no_tls_after_accept),
		cmocka_unit_test(
			test_verdict_starttls_accepted_and_connection_closed_before_any_handshake_is_tls_failed_closed),
		cmocka_unit_test(
			test_verdict_starttls_handshake_with_a_fatal_alert_is_tls_failed_alert),
		cmocka_unit_test(
			test_verdict_starttls_refused_is_downgraded_upgrade_refused_with_the_reply_as_evidence),
		cmocka_unit_test(test_verdict_masked_capability_is_downgraded_capability_masked),
		cmocka_unit_test(
			test_verdict_masked_client_command_is_downgraded_capability_masked),
		cmocka_unit_test(
			test_verdict_plaintext_smtp_on_port_465_is_downgraded_plaintext_on_tls_port),
		cmocka_unit_test(test_verdict_plaintext_on_every_tls_port_is_downgraded),
		cmocka_unit_test(
			test_verdict_unrecognised_text_on_port_993_is_plaintext_on_tls_port),
		cmocka_unit_test(test_verdict_unrecognised_binary_on_port_993_stays_unknown),
		cmocka_unit_test(test_verdict_cleartext_with_a_gap_is_unknown_gap),
		cmocka_unit_test(
			test_verdict_starttls_offered_but_not_used_is_cleartext_not_requested),
		cmocka_unit_test(test_verdict_starttls_not_offered_is_cleartext_not_offered),
		cmocka_unit_test(
			test_verdict_cleartext_logins_raise_high_with_a_secret_and_low_without_and_never_show_it),
		cmocka_unit_test(test_verdict_login_without_a_username_still_raises_an_alert),
		cmocka_unit_test(test_verdict_logins_are_alerted_alongside_a_downgrade),
		cmocka_unit_test(
			test_verdict_command_injection_after_starttls_is_alerted_and_the_session_stays_starttls),
		cmocka_unit_test(test_verdict_preauth_greeting_raises_preauth_bypass),
		cmocka_unit_test(test_verdict_tls_1_0_negotiated_raises_tls_obsolete_version),
		cmocka_unit_test(test_verdict_certificate_outside_its_validity_raises_cert_expired),
		cmocka_unit_test(
			test_verdict_certificate_not_naming_the_sni_raises_cert_name_mismatch),
		cmocka_unit_test(test_verdict_rc4_cipher_negotiated_raises_tls_weak_cipher),
		cmocka_unit_test(test_verdict_sslv3_with_rc4_raises_both_tls_alerts),
		cmocka_unit_test(test_verdict_weak_ciphers_only_offered_raise_nothing),
		cmocka_unit_test(test_verdict_tls_parameters_are_not_judged_without_a_server_hello),
		cmocka_unit_test(
			test_verdict_client_hello_after_unrecognised_cleartext_is_starttls),
		cmocka_unit_test(test_verdict_midstream_server_hello_still_shows_implicit_tls),
		cmocka_unit_test(
			test_verdict_midstream_tls_records_without_a_hello_are_unknown_midstream),
		cmocka_unit_test(
			test_verdict_midstream_with_no_recognised_payload_is_unknown_midstream),
		cmocka_unit_test(test_verdict_gap_before_the_outcome_was_known_is_unknown_gap),
		cmocka_unit_test(test_verdict_unrecognised_payload_is_unknown_unrecognized),
		cmocka_unit_test(
			test_verdict_ndpi_cleartext_protocol_without_upgrade_is_cleartext_no_tls_protocol),
		cmocka_unit_test(
			test_verdict_ndpi_cleartext_protocol_with_an_upgrade_is_cleartext_not_offered),
		cmocka_unit_test(test_verdict_midstream_and_gap_win_over_an_ndpi_opinion),
		cmocka_unit_test(
			test_verdict_http_upgrade_unmentioned_is_no_tls_protocol_asked_not_offered),
		cmocka_unit_test(
			test_verdict_alert_limit_is_respected_and_every_kind_is_still_flagged),
		cmocka_unit_test(test_verdict_long_evidence_is_cut_and_stays_nul_terminated),
		cmocka_unit_test(test_verdict_judging_twice_gives_the_same_result),
		cmocka_unit_test(test_verdict_alert_init_copies_the_session_identity),
		cmocka_unit_test(
			test_verdict_early_answered_login_is_raised_while_open_and_not_at_the_end),
		cmocka_unit_test(test_verdict_early_login_waits_for_its_answer_or_the_next_login),
		cmocka_unit_test(test_verdict_early_anonymous_login_raises_nothing),
		cmocka_unit_test(test_verdict_early_refusal_and_indicators_are_raised_once),
		cmocka_unit_test(
			test_verdict_early_masked_capability_and_tls_port_are_raised_while_open),
		cmocka_unit_test(test_verdict_early_leaves_what_needs_the_whole_session_to_the_end),
		cmocka_unit_test(
			test_verdict_early_alert_stays_listed_when_the_session_changes_course),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
