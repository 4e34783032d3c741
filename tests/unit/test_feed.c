/*
 * test_feed.c - unit tests for the cluster feed's records (src/feed.c):
 * a session and an alert go through a line and come back with everything
 * the dashboard shows, never a secret; hostile lines (values too long, bad
 * numbers and escapes, missing keys, unknown names) are refused whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "feed.h"

static void
rich_session(struct session *s)
{
	session_init(s, 42, 1764657000000000ull);
	s->ts_last_us = 1764657001500000ull;
	s->family = 4;
	s->l4 = 6;
	memcpy(s->client_ip, (uint8_t[]){192, 0, 2, 7}, 4);
	memcpy(s->server_ip, (uint8_t[]){192, 0, 2, 10}, 4);
	s->client_port = 40000;
	s->server_port = 25;
	s->service = "smtp";
	s->verdict = VERDICT_DOWNGRADED;
	s->reason = REASON_CAPABILITY_STRIPPED;
	s->alerts = 1u << ALERT_AUTH_OFFERED_CLEARTEXT | 1u << ALERT_CLEARTEXT_LOGIN;
	s->end = END_FIN;
	s->packets = 17;
	s->bytes[DIR_C2S] = 300;
	s->bytes[DIR_S2C] = 900;
	s->gap = true;
	s->pf.capa_seen = true;
	s->pf.upgrade_requested = true;
	snprintf(s->pf.capa, sizeof(s->pf.capa), "PIPELINING SIZE=100 8BITMIME");
	snprintf(s->pf.upgrade_reply, sizeof(s->pf.upgrade_reply), "454 4.7.0 TLS not, available");
	memcpy(s->pf.evidence, "250-XXXXXXXA\r\n\0%", 17);
	s->pf.evidence_len = 17;
	s->tf.client_hello = true;
	s->tf.version = 0x0303;
	s->tf.cipher = 0xc02f;
	s->tf.client_max_version = 0x0304;
	snprintf(s->tf.sni, sizeof(s->tf.sni), "mail.example.org");
	snprintf(s->tf.alpn, sizeof(s->tf.alpn), "smtp,h2");
	s->tf.alert = true;
	s->tf.alert_dir = DIR_S2C;
	s->tf.alert_level = 2;
	s->tf.alert_desc = 40;
	s->pf.n_logins = 2;
	snprintf(s->pf.logins[0].mechanism, 16, "PLAIN");
	snprintf(s->pf.logins[0].username, LOGIN_FIELD_MAX, "al ice=1,%%x");
	snprintf(s->pf.logins[0].secret, LOGIN_FIELD_MAX, "hunter2");
	s->pf.logins[0].has_secret = true;
	s->pf.logins[0].outcome = LOGIN_FAILURE;
	snprintf(s->pf.logins[1].mechanism, 16, "LOGIN");
	snprintf(s->pf.logins[1].username, LOGIN_FIELD_MAX, "bob");
	s->pf.logins[1].outcome = LOGIN_SUCCESS;
	s->pf.logins_dropped = 3;
	snprintf(s->ndpi, sizeof(s->ndpi), "SMTP");
	s->tunnel_depth = 2;
	s->tunnels[0] = TUNNEL_VXLAN;
	s->tunnels[1] = TUNNEL_GRE;
	s->policy.source = POLICY_SOURCE_DNS;
	s->policy.mta_sts = STS_ENFORCE;
	s->policy.dane = true;
	s->policy.mail_sent = true;
	snprintf(s->policy.domain, sizeof(s->policy.domain), "example.org");
}

static void
test_feed_session_round_trip_keeps_what_the_dashboard_shows(void **state)
{
	struct session s;
	struct feed_session *d = malloc(sizeof(*d));
	char line[FEED_LINE_MAX];
	size_t n;

	(void)state;
	rich_session(&s);
	n = feed_encode_session(line, sizeof(line), "tap-a", &s);
	assert_true(n > 0);
	assert_int_equal(strlen(line), n);
	assert_null(strchr(line, '\n'));
	assert_null(strstr(line, "hunter2")); /* never the secret */
	assert_true(feed_decode_session(line, n, d));
	assert_string_equal(d->sensor, "tap-a");
	assert_string_equal(d->service, "smtp");
	assert_int_equal(d->s.id, 42);
	assert_int_equal(d->s.ts_first_us, s.ts_first_us);
	assert_int_equal(d->s.ts_last_us, s.ts_last_us);
	assert_int_equal(d->s.family, 4);
	assert_memory_equal(d->s.client_ip, s.client_ip, 16);
	assert_memory_equal(d->s.server_ip, s.server_ip, 16);
	assert_int_equal(d->s.client_port, 40000);
	assert_int_equal(d->s.server_port, 25);
	assert_int_equal(d->s.l4, 6);
	assert_int_equal(d->s.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(d->s.reason, REASON_CAPABILITY_STRIPPED);
	assert_int_equal(d->s.alerts, s.alerts);
	assert_int_equal(d->s.end, END_FIN);
	assert_int_equal(d->s.packets, 17);
	assert_int_equal(d->s.bytes[DIR_S2C], 900);
	assert_true(d->s.gap && d->s.pf.capa_seen && d->s.pf.upgrade_requested);
	assert_false(d->s.pf.tls_offered || d->s.midstream || d->s.tf.established);
	assert_string_equal(d->s.pf.capa, s.pf.capa);
	assert_string_equal(d->s.pf.upgrade_reply, s.pf.upgrade_reply);
	assert_int_equal(d->s.pf.evidence_len, 17);
	assert_memory_equal(d->s.pf.evidence, s.pf.evidence, 17);
	assert_int_equal(d->s.tf.version, 0x0303);
	assert_int_equal(d->s.tf.cipher, 0xc02f);
	assert_int_equal(d->s.tf.client_max_version, 0x0304);
	assert_string_equal(d->s.tf.sni, "mail.example.org");
	assert_string_equal(d->s.tf.alpn, "smtp,h2");
	assert_true(d->s.tf.alert && d->s.tf.alert_dir == DIR_S2C);
	assert_int_equal(d->s.tf.alert_desc, 40);
	assert_int_equal(d->s.pf.n_logins, 2);
	assert_string_equal(d->s.pf.logins[0].username, "al ice=1,%x");
	assert_string_equal(d->s.pf.logins[0].mechanism, "PLAIN");
	assert_string_equal(d->s.pf.logins[0].secret, "");
	assert_true(d->s.pf.logins[0].has_secret);
	assert_int_equal(d->s.pf.logins[0].outcome, LOGIN_FAILURE);
	assert_int_equal(d->s.pf.logins[1].outcome, LOGIN_SUCCESS);
	assert_int_equal(d->s.pf.logins_dropped, 3);
	assert_string_equal(d->s.ndpi, "SMTP");
	assert_int_equal(d->s.tunnel_depth, 2);
	assert_int_equal(d->s.tunnels[1], TUNNEL_GRE);
	assert_int_equal(d->s.policy.source, POLICY_SOURCE_DNS);
	assert_int_equal(d->s.policy.mta_sts, STS_ENFORCE);
	assert_true(d->s.policy.dane && d->s.policy.mail_sent && !d->s.policy.tlsrpt);
	assert_string_equal(d->s.policy.domain, "example.org");
	free(d);
}

static void
test_feed_ipv6_session_and_an_unnamed_sensor(void **state)
{
	struct session s;
	struct feed_session *d = malloc(sizeof(*d));
	char line[FEED_LINE_MAX];
	size_t n;

	(void)state;
	session_init(&s, 7, 5);
	s.family = 6;
	s.l4 = 17;
	s.client_ip[15] = 1;
	s.server_ip[0] = 0x20;
	s.server_ip[1] = 0x01;
	s.server_port = 853;
	s.service = "dns";
	s.verdict = VERDICT_IMPLICIT_TLS;
	n = feed_encode_session(line, sizeof(line), NULL, &s);
	assert_true(feed_decode_session(line, n, d));
	assert_string_equal(d->sensor, "-");
	assert_int_equal(d->s.family, 6);
	assert_int_equal(d->s.l4, 17);
	assert_memory_equal(d->s.server_ip, s.server_ip, 16);
	assert_int_equal(d->s.verdict, VERDICT_IMPLICIT_TLS);
	assert_int_equal(d->s.reason, REASON_NONE);
	assert_int_equal(d->s.policy.source, POLICY_SOURCE_NONE);
	free(d);
}

static void
test_feed_alert_round_trip_escapes_the_evidence(void **state)
{
	struct alert a = {0}, *back;
	struct feed_alert d;
	char line[FEED_LINE_MAX];
	size_t n;

	(void)state;
	a.kind = ALERT_CAPABILITY_STRIPPED;
	a.severity = SEVERITY_HIGH;
	a.session_id = 9;
	a.ts_us = 1764657000000001ull;
	a.family = 4;
	a.l4 = 6;
	a.client_ip[0] = 10;
	a.server_ip[0] = 10;
	a.server_ip[3] = 1;
	a.server_port = 25;
	a.service = "smtp";
	snprintf(a.evidence, sizeof(a.evidence), "STARTTLS not offered = 100%%, see \\x00 kind=x");
	n = feed_encode_alert(line, sizeof(line), "tap b", &a);
	assert_true(n > 0);
	assert_true(feed_decode_alert(line, n, &d));
	back = &d.a;
	assert_string_equal(d.sensor, "tap b");
	assert_string_equal(d.service, "smtp");
	assert_int_equal(back->kind, ALERT_CAPABILITY_STRIPPED);
	assert_int_equal(back->severity, SEVERITY_HIGH);
	assert_int_equal(back->session_id, 9);
	assert_int_equal(back->ts_us, a.ts_us);
	assert_int_equal(back->server_port, 25);
	assert_memory_equal(back->server_ip, a.server_ip, 16);
	assert_string_equal(back->evidence, a.evidence);
	/* a session line is not an alert, nor the other way round */
	assert_false(feed_decode_session(line, n, &(struct feed_session){0}));
}

/* Decodes text as a session record. */
static bool
sess(const char *text)
{
	static struct feed_session d;

	return feed_decode_session(text, strlen(text), &d);
}

#define BASE "session sensor=a id=1 family=4 client=10.0.0.1 server=10.0.0.2 sport=25"

static void
test_feed_refuses_hostile_session_records(void **state)
{
	char big[FEED_LINE_MAX + 64];

	(void)state;
	assert_true(sess(BASE));
	assert_true(sess(BASE " later-key=whatever"));
	/* missing keys */
	assert_false(sess("session id=1 family=4 client=10.0.0.1 server=10.0.0.2"));
	assert_false(sess("session sensor=a family=4 client=10.0.0.1 server=10.0.0.2"));
	assert_false(sess("session sensor=a id=1 family=4 client=10.0.0.1"));
	assert_false(sess(""));
	assert_false(sess("session"));
	assert_false(sess("sessions sensor=a"));
	/* bad numbers */
	assert_false(sess(BASE " cport=65536"));
	assert_false(sess(BASE " first=-1"));
	assert_false(sess(BASE " pkts=99999999999999999999999"));
	assert_false(sess(BASE " tlsv=10000"));
	assert_false(sess(BASE " alerts=zz"));
	assert_false(sess(BASE " talert=1,2"));
	assert_false(sess(BASE " family=5"));
	assert_false(sess("session sensor=a id=1 family=6 client=10.0.0.1 server=10.0.0.2"));
	assert_false(sess(BASE " id=18446744073709551616"));
	/* bad escapes, unescaped bytes, malformed words */
	assert_false(sess(BASE " sni=%4"));
	assert_false(sess(BASE " sni=%zz"));
	assert_false(sess(BASE " sni=a%00b"));
	assert_false(sess(BASE " capa=a%1Bb")); /* text is printable: no escape to the terminal */
	assert_false(sess(BASE " sni=a%7Fb"));
	assert_false(sess(BASE " sensor=a%C3%A9"));
	assert_false(sess(BASE " sni=a,b"));
	assert_false(sess(BASE "  sni=a"));
	assert_false(sess(BASE " =x"));
	assert_false(sess(BASE " novalue"));
	assert_false(sess(BASE " sensor="));
	/* unknown names */
	assert_false(sess(BASE " verdict=great"));
	assert_false(sess(BASE " reason=none"));
	assert_false(sess(BASE " end=later"));
	assert_false(sess(BASE " l4=icmp"));
	assert_true(sess(BASE " l4=sctp")); /* Diameter over SCTP */
	assert_false(sess(BASE " flags=cq"));
	assert_false(sess(BASE " tunnel=vxlan/ufo"));
	assert_false(sess(BASE " tunnel=gre/gre/gre/gre/gre"));
	assert_false(sess(BASE " login=PLAIN,u,maybe,1"));
	assert_false(sess(BASE " login=PLAIN,u,success"));
	assert_false(sess(BASE " policy=dns,enforce,1,0,1"));
	assert_false(sess(BASE " policy=none,enforce,1,0,1,x"));
	/* too many logins */
	assert_false(sess(BASE " login=A,a,success,0 login=A,a,success,0 login=A,a,success,0 "
			       "login=A,a,success,0 login=A,a,success,0"));
	/* values longer than their fields */
	memset(big, 0, sizeof(big));
	snprintf(big, sizeof(big), BASE " sni=");
	memset(big + strlen(big), 'a', TLS_SNI_MAX);
	assert_false(sess(big));
	snprintf(big, sizeof(big), BASE " sensor=");
	memset(big + strlen(big), 'a', FEED_SENSOR_MAX);
	assert_false(sess(big));
	snprintf(big, sizeof(big), BASE " ev=");
	memset(big + strlen(big), 'a', EVIDENCE_MAX + 1);
	assert_false(sess(big));
	/* a line longer than any record */
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, BASE " x=", strlen(BASE " x="));
	big[sizeof(big) - 1] = '\0';
	assert_false(sess(big));
}

static void
test_feed_refuses_hostile_alert_records(void **state)
{
	struct feed_alert d;
	const char *ok =
		"alert sensor=a kind=cleartext-login family=4 client=1.2.3.4 server=1.2.3.5";
	const char *bad[] = {
		"alert sensor=a family=4 client=1.2.3.4 server=1.2.3.5",
		"alert sensor=a kind=nope family=4 client=1.2.3.4 server=1.2.3.5",
		"alert kind=cleartext-login family=4 client=1.2.3.4 server=1.2.3.5",
		"alert sensor=a kind=cleartext-login family=4 client=1.2.3.4 server=x",
		"alert sensor=a kind=cleartext-login severity=extreme family=4 client=1.2.3.4 "
		"server=1.2.3.5",
		"alert sensor=a kind=cleartext-login session=1x family=4 client=1.2.3.4 "
		"server=1.2.3.5",
	};

	(void)state;
	assert_true(feed_decode_alert(ok, strlen(ok), &d));
	assert_int_equal(d.a.kind, ALERT_CLEARTEXT_LOGIN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(feed_decode_alert(bad[i], strlen(bad[i]), &d));
}

static void
test_feed_encoding_into_a_small_buffer_says_it_did_not_fit(void **state)
{
	struct session s;
	char line[64];

	(void)state;
	rich_session(&s);
	assert_int_equal(feed_encode_session(line, sizeof(line), "tap-a", &s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_session_round_trip_keeps_what_the_dashboard_shows),
		cmocka_unit_test(test_feed_ipv6_session_and_an_unnamed_sensor),
		cmocka_unit_test(test_feed_alert_round_trip_escapes_the_evidence),
		cmocka_unit_test(test_feed_refuses_hostile_session_records),
		cmocka_unit_test(test_feed_refuses_hostile_alert_records),
		cmocka_unit_test(test_feed_encoding_into_a_small_buffer_says_it_did_not_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
