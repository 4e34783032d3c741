/*
 * test_session.c - the session driver with the real parsers: content
 * sniffing, the switch to TLS at the agreed upgrade (bytes after the go-ahead
 * in the same chunk go to the TLS parser), bypass once established, a late
 * ClientHello after unrecognised cleartext, gaps; each replayed in chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"
#include "session_pieces.h"
#include "verdict.h"

static void
run(struct session *s, uint16_t port, const struct piece *pc, size_t n, size_t chunk)
{
	session_feed_pieces(s, port, pc, n, chunk);
	s->end = END_CAPTURE;
}

static enum verdict
judge(struct session *s)
{
	struct alert a[32];
	struct verdict_input in = {false};

	session_name_service(s);
	verdict_judge(s, &in, a, 32);
	return s->verdict;
}

static const size_t chunks[] = {1, 2, 3, 7, 64, 0};

static void
test_smtp_starttls_switches_to_tls_and_bypasses_once_established(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250-mail.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
		TXT(DIR_C2S, "STARTTLS\r\n"),
		TXT(DIR_S2C, "220 2.0.0 Ready to start TLS\r\n"),
		BIN(DIR_C2S, client_hello),
		BIN(DIR_S2C, server_hello),
		BIN(DIR_S2C, ccs_and_data),
		BIN(DIR_C2S, ccs_and_data),
		TXT(DIR_C2S, "anything after this is only counted"),
	};

	(void)st;
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct session s;

		run(&s, 25, pc, sizeof(pc) / sizeof(pc[0]), chunks[c]);
		assert_string_equal(s.service, "smtp");
		assert_true(s.pf.switch_to_tls);
		assert_true(s.tf.client_hello);
		assert_true(s.tf.established);
		assert_int_equal(s.mode, MODE_BYPASS);
		/* the rest of the client's record and the trailing text */
		assert_true(s.bypassed_bytes >= 35);
		assert_null(s.pstate);
		assert_null(s.tls);
		assert_int_equal(judge(&s), VERDICT_STARTTLS);
		session_release(&s);
	}
}

static void
test_cleartext_after_the_go_ahead_in_the_same_chunk_is_not_tls(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250-mail.example\r\n250 STARTTLS\r\n"),
		TXT(DIR_C2S, "STARTTLS\r\n"),
		TXT(DIR_S2C, "220 2.0.0 Ready to start TLS\r\n250 injected\r\n"),
	};

	(void)st;
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct session s;

		run(&s, 25, pc, sizeof(pc) / sizeof(pc[0]), chunks[c]);
		assert_int_equal(s.pre_tls_text[DIR_S2C], 14);
		assert_memory_equal(s.tf.first_bytes[DIR_S2C], "250 injected\r\n", 14);
		assert_int_equal(judge(&s), VERDICT_DOWNGRADED);
		assert_int_equal(s.reason, REASON_NO_TLS_AFTER_ACCEPT);
		session_release(&s);
	}
}

static void
test_text_slipped_in_before_a_handshake_that_goes_on_is_read_over(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250-mail.example\r\n250 STARTTLS\r\n"),
		TXT(DIR_C2S, "STARTTLS\r\n"),
		TXT(DIR_S2C, "220 2.0.0 Ready to start TLS\r\n250 injected\r\n"),
		BIN(DIR_C2S, client_hello),
		BIN(DIR_S2C, server_hello),
		BIN(DIR_S2C, ccs_and_data),
		BIN(DIR_C2S, ccs_and_data),
	};

	(void)st;
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct session s;
		struct alert a[32];
		struct verdict_input in = {false};
		size_t n;

		run(&s, 25, pc, sizeof(pc) / sizeof(pc[0]), chunks[c]);
		assert_true(s.tf.established);
		assert_false(s.tf.not_tls[DIR_S2C]);
		session_name_service(&s);
		n = verdict_judge(&s, &in, a, 32);
		assert_int_equal(s.verdict, VERDICT_STARTTLS);
		assert_int_equal(n, 1);
		assert_int_equal(a[0].kind, ALERT_RESP_INJECTION);
		assert_string_equal(a[0].evidence, "250 injected\\r\\n");
		session_release(&s);
	}
}

/* XML has no line ends: text slipped in after <proceed/> ends at its '>',
 * and the ServerHello right after it in the same chunk is still one. */
static void
test_xml_text_slipped_in_before_a_handshake_ends_at_its_gt(void **st)
{
	uint8_t injected[256];
	static const char text[] =
		"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><success xmlns='x'/>";
	const struct piece pc[] = {
		TXT(DIR_C2S, "<stream:stream to='x' xmlns='jabber:client' "
			     "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"),
		TXT(DIR_S2C, "<stream:stream from='x' xmlns='jabber:client' "
			     "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
			     "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
			     "</stream:features>"),
		TXT(DIR_C2S, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
		{DIR_S2C, injected, sizeof(text) - 1 + sizeof(server_hello)},
		BIN(DIR_C2S, client_hello),
		BIN(DIR_S2C, ccs_and_data),
		BIN(DIR_C2S, ccs_and_data),
	};

	(void)st;
	memcpy(injected, text, sizeof(text) - 1);
	memcpy(injected + sizeof(text) - 1, server_hello, sizeof(server_hello));
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct session s;
		struct alert a[32];
		struct verdict_input in = {false};
		size_t n;

		run(&s, 5222, pc, sizeof(pc) / sizeof(pc[0]), chunks[c]);
		assert_string_equal(s.service, "xmpp");
		assert_true(s.tf.server_hello);
		assert_true(s.tf.established);
		session_name_service(&s);
		n = verdict_judge(&s, &in, a, 32);
		assert_int_equal(s.verdict, VERDICT_STARTTLS);
		assert_int_equal(n, 1);
		assert_int_equal(a[0].kind, ALERT_RESP_INJECTION);
		assert_string_equal(a[0].evidence, "<success xmlns='x'/>");
		session_release(&s);
	}
}

static void
test_endless_text_after_the_go_ahead_is_read_over_only_up_to_the_cap(void **st)
{
	static char line[3001];
	struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250-mail.example\r\n250 STARTTLS\r\n"),
		TXT(DIR_C2S, "STARTTLS\r\n"),
		TXT(DIR_S2C, "220 2.0.0 Ready to start TLS\r\n"),
		{DIR_S2C, (const uint8_t *)line, 3000},
	};

	(void)st;
	memset(line, 'A', 3000); /* no LF: one line that never ends */
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct session s;

		run(&s, 25, pc, sizeof(pc) / sizeof(pc[0]), chunks[c]);
		assert_int_equal(s.pre_tls_text[DIR_S2C], SESSION_PRE_TLS_TEXT);
		assert_true(s.tls_started[DIR_S2C]);
		assert_true(s.tf.not_tls[DIR_S2C]); /* the rest went to the TLS parser */
		assert_int_equal(judge(&s), VERDICT_DOWNGRADED);
		assert_int_equal(s.reason, REASON_NO_TLS_AFTER_ACCEPT);
		session_release(&s);
	}
}

static size_t
judge_alerts(struct session *s, struct alert *a, size_t max)
{
	struct verdict_input in = {false};

	session_name_service(s);
	return verdict_judge(s, &in, a, max);
}

static bool
has_alert(const struct alert *a, size_t n, enum alert_kind kind)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].kind == kind)
			return true;
	return false;
}

static void
test_server_text_before_any_client_hello_is_injection_and_no_tls(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
		TXT(DIR_C2S, "A001 STARTTLS\r\n"),
		TXT(DIR_S2C, "A001 OK Begin TLS negotiation now.\r\n* OK injected\r\n"),
	};

	(void)st;
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct session s;
		struct alert a[32];
		size_t n;

		run(&s, 143, pc, sizeof(pc) / sizeof(pc[0]), chunks[c]);
		assert_true(s.resp_unprompted);
		n = judge_alerts(&s, a, 32);
		assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
		assert_int_equal(s.reason, REASON_NO_TLS_AFTER_ACCEPT);
		assert_true(has_alert(a, n, ALERT_NO_TLS_AFTER_ACCEPT));
		assert_true(has_alert(a, n, ALERT_RESP_INJECTION));
		session_release(&s);
	}
}

static void
test_server_text_answering_the_client_hello_is_no_tls_but_not_injection(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250-mail.example\r\n250 STARTTLS\r\n"),
		TXT(DIR_C2S, "STARTTLS\r\n"),
		TXT(DIR_S2C, "220 2.0.0 Ready to start TLS\r\n"),
		BIN(DIR_C2S, client_hello),
		TXT(DIR_S2C, "500 5.5.2 Error: command not recognized\r\n"),
	};

	(void)st;
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct session s;
		struct alert a[32];
		size_t n;

		run(&s, 25, pc, sizeof(pc) / sizeof(pc[0]), chunks[c]);
		assert_false(s.resp_unprompted);
		n = judge_alerts(&s, a, 32);
		assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
		assert_int_equal(s.reason, REASON_NO_TLS_AFTER_ACCEPT);
		assert_true(has_alert(a, n, ALERT_NO_TLS_AFTER_ACCEPT));
		assert_false(has_alert(a, n, ALERT_RESP_INJECTION));
		session_release(&s);
	}
}

static void
test_a_settled_session_packs_small_and_unpacks_to_the_same_record(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250-mail.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
			     "250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 STARTTLS\r\n"),
		TXT(DIR_C2S, "STARTTLS\r\n"),
		TXT(DIR_S2C, "220 2.0.0 Ready to start TLS\r\n"),
		BIN(DIR_C2S, client_hello),
		BIN(DIR_S2C, server_hello),
		BIN(DIR_S2C, ccs_and_data),
		BIN(DIR_C2S, ccs_and_data),
	};
	struct session s, back;
	uint8_t buf[sizeof(struct session) + 64];
	size_t len;

	(void)st;
	run(&s, 25, pc, sizeof(pc) / sizeof(pc[0]), 0);
	assert_int_equal(s.mode, MODE_BYPASS);
	len = session_pack(&s, buf, sizeof(buf));
	/* The engine keeps a bypassed session as a ~130-byte header and this:
	 * together under 1 KiB (the unpacked record is 1.9 KiB). */
	assert_true(len > 0);
	assert_true(len <= 700);
	memset(&back, 0xa5, sizeof(back));
	assert_true(session_unpack(&back, buf, len));
	assert_memory_equal(&back, &s, sizeof(s));
	/* Cut or damaged input is refused, never read past. */
	for (size_t cut = 0; cut < len; cut += 7)
		assert_false(session_unpack(&back, buf, cut));
	buf[0] = 0xff;
	assert_false(session_unpack(&back, buf, len));
	/* Too small an output buffer: 0, nothing half written that counts. */
	assert_int_equal(session_pack(&s, buf, 16), 0);
	session_release(&s);
}

/* Zero runs of every length at every alignment, and none at all: the packed
 * form restores each record byte for byte, and a long run is squeezed out. */
static void
test_packing_restores_any_pattern_of_zero_runs(void **st)
{
	static struct session s, back;
	static uint8_t buf[sizeof(struct session) + 1024];
	uint32_t seed = 12345;

	(void)st;
	for (int round = 0; round < 400; round++) {
		uint8_t *b = (uint8_t *)&s;
		size_t len;

		for (size_t i = 0; i < sizeof(s); i++) {
			seed = seed * 1103515245u + 12345u;
			b[i] = (uint8_t)((seed >> 16) | 1);
		}
		/* round 0 has no zero byte at all; then runs of 1..40 bytes */
		for (size_t at = (size_t)round % 13; round > 0 && at < sizeof(s);) {
			size_t run = 1 + (size_t)(round + at) % 40;

			if (run > sizeof(s) - at)
				run = sizeof(s) - at;
			memset(b + at, 0, run);
			at += run + 1 + (size_t)round % 29;
		}
		s.sniff = NULL;
		s.pstate = NULL;
		s.tls = NULL;
		s.quic = NULL;
		s.dtls = NULL;
		len = session_pack(&s, buf, sizeof(buf));
		assert_true(len > 0);
		memset(&back, 0x5a, sizeof(back));
		assert_true(session_unpack(&back, buf, len));
		assert_memory_equal(&back, &s, sizeof(s));
	}
	/* All zero: one empty literal and one run. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(session_pack(&s, buf, sizeof(buf)), 4);
	memset(&back, 0x5a, sizeof(back));
	assert_true(session_unpack(&back, buf, 4));
	assert_memory_equal(&back, &s, sizeof(s));
}

static void
test_a_session_with_parser_state_is_not_packed(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP\r\n"),
	};
	struct session s;
	uint8_t buf[sizeof(struct session) + 64];

	(void)st;
	run(&s, 25, pc, 1, 0);
	assert_non_null(s.pstate);
	assert_int_equal(session_pack(&s, buf, sizeof(buf)), 0);
	session_release(&s);
}

static void
test_a_client_hello_after_unrecognised_cleartext_is_an_upgrade(void **st)
{
	const struct piece pc[] = {
		/* A private protocol on a port nobody owns, with an upgrade of its
		 * own: no parser knows it. */
		TXT(DIR_S2C, "* HELLO acme-sync 2.1\r\n"),
		TXT(DIR_C2S, "GO-SECURE\r\n"),
		TXT(DIR_S2C, "+ go ahead\r\n"),
		BIN(DIR_C2S, client_hello),
		BIN(DIR_S2C, server_hello),
	};
	struct session s;

	(void)st;
	run(&s, 2750, pc, sizeof(pc) / sizeof(pc[0]), 0);
	assert_false(s.plain_seen); /* no parser claims it */
	assert_true(s.tls_after_cleartext);
	assert_int_equal(judge(&s), VERDICT_STARTTLS);
	assert_string_equal(s.service, "tls");
	session_release(&s);
}

static void
test_implicit_tls_on_any_port_is_named_by_port_or_tls(void **st)
{
	const struct piece pc[] = {BIN(DIR_C2S, client_hello), BIN(DIR_S2C, server_hello)};
	struct session s;

	(void)st;
	run(&s, 465, pc, 2, 0);
	assert_true(s.implicit_tls);
	assert_int_equal(judge(&s), VERDICT_IMPLICIT_TLS);
	assert_string_equal(s.service, "smtp");
	session_release(&s);
	run(&s, 8443, pc, 2, 0);
	judge(&s);
	assert_string_equal(s.service, "http");
	session_release(&s);
	run(&s, 40001, pc, 2, 0);
	assert_int_equal(judge(&s), VERDICT_IMPLICIT_TLS);
	assert_string_equal(s.service, "tls");
	session_release(&s);
}

/* Issue 14, finding 5: a POP3 client that never sends CAPA cannot show
 * whether the server offers STLS; "not-offered" would claim it does not. */
static void
test_pop3_without_capa_is_offer_unseen_not_not_offered(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "+OK Dovecot ready.\r\n"),
		TXT(DIR_C2S, "USER alice\r\n"),
		TXT(DIR_S2C, "+OK\r\n"),
		TXT(DIR_C2S, "PASS secret\r\n"),
		TXT(DIR_S2C, "+OK Logged in.\r\n"),
		TXT(DIR_C2S, "QUIT\r\n"),
		TXT(DIR_S2C, "+OK Logging out.\r\n"),
	};
	const struct piece with_capa[] = {
		TXT(DIR_S2C, "+OK Dovecot ready.\r\n"),	      TXT(DIR_C2S, "CAPA\r\n"),
		TXT(DIR_S2C, "+OK\r\nUSER\r\nUIDL\r\n.\r\n"), TXT(DIR_C2S, "QUIT\r\n"),
		TXT(DIR_S2C, "+OK Logging out.\r\n"),
	};
	struct session s;

	(void)st;
	run(&s, 110, pc, sizeof(pc) / sizeof(pc[0]), 0);
	assert_int_equal(judge(&s), VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_OFFER_UNSEEN);
	assert_int_equal(s.pf.n_logins, 1);
	session_release(&s);
	/* A list without STLS is still "not offered". */
	run(&s, 110, with_capa, sizeof(with_capa) / sizeof(with_capa[0]), 0);
	assert_int_equal(judge(&s), VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_NOT_OFFERED);
	session_release(&s);
}

static void
test_smtp_on_a_nonstandard_port_is_recognised_by_content(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP Postfix\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250-mail.example\r\n250 PIPELINING\r\n"),
		TXT(DIR_C2S, "QUIT\r\n"),
	};
	struct session s;

	(void)st;
	run(&s, 2526, pc, sizeof(pc) / sizeof(pc[0]), 0);
	assert_string_equal(s.service, "smtp");
	assert_int_equal(judge(&s), VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_NOT_OFFERED);
	session_release(&s);
}

/* A bare "220 " (FTP, NNTP and SMTP servers all greet so) on a port no
 * service owns is SMTP only once the client's first command says so. */
static void
test_a_weak_greeting_on_an_unowned_port_waits_for_the_client(void **st)
{
	const struct piece smtp[] = {
		TXT(DIR_S2C, "220 ready\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250 ok\r\n"),
	};
	const struct piece ftp[] = {
		TXT(DIR_S2C, "220 ready\r\n"),
		TXT(DIR_C2S, "USER bob\r\n"),
		TXT(DIR_S2C, "331 Password required\r\n"),
	};
	const struct piece alone[] = {TXT(DIR_S2C, "220 ready\r\n")};
	struct session s;

	(void)st;
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		run(&s, 4000, smtp, 3, chunks[c]);
		assert_string_equal(s.service, "smtp");
		assert_true(s.plain_seen);
		session_release(&s);

		run(&s, 4000, ftp, 3, chunks[c]);
		assert_false(s.plain_seen);
		assert_int_equal(judge(&s), VERDICT_UNKNOWN);
		assert_int_equal(s.reason, REASON_UNRECOGNIZED);
		assert_string_equal(s.service, "unknown");
		session_release(&s);

		run(&s, 4000, alone, 1, chunks[c]);
		assert_false(s.plain_seen); /* still held: nothing proves SMTP */
		session_release(&s);

		/* On SMTP's own port the greeting is enough. */
		run(&s, 25, alone, 1, chunks[c]);
		assert_true(s.plain_seen);
		assert_string_equal(s.service, "smtp");
		session_release(&s);
	}
}

/* A server that says SESSION_SNIFF_BYTES of weak greeting with the client
 * silent is taken at its word (only the server side may be captured). */
static void
test_a_long_weak_greeting_with_the_client_silent_is_taken(void **st)
{
	char greet[400];
	struct piece pc[1];
	struct session s;
	size_t n = 0;

	(void)st;
	while (n < SESSION_SNIFF_BYTES + 20)
		n += (size_t)snprintf(greet + n, sizeof(greet) - n, "220-welcome\r\n");
	n += (size_t)snprintf(greet + n, sizeof(greet) - n, "220 ready\r\n");
	pc[0] = (struct piece){DIR_S2C, (const uint8_t *)greet, n};
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		run(&s, 4000, pc, 1, chunks[c]);
		assert_true(s.plain_seen);
		assert_string_equal(s.service, "smtp");
		session_release(&s);
	}
}

/* A UDP protocol for the test: datagrams starting "PING" (strong), or "P"
 * (weak); each datagram read counts as a command. */
static enum sniff_result
udp_ping_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	(void)dir;
	if (len >= 4 && memcmp(p, "PING", 4) == 0)
		return SNIFF_STRONG;
	return len >= 1 && p[0] == 'P' ? SNIFF_WEAK : SNIFF_NO;
}

static void
udp_ping_init(void *state)
{
	memset(state, 0, sizeof(int));
}

static void
udp_ping_datagram(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	(void)p;
	(void)len;
	++*(int *)state;
	f->commands += dir == DIR_C2S;
}

static void
udp_ping_gap(void *state, struct proto_facts *f, enum dir dir)
{
	(void)state;
	(void)f;
	(void)dir;
}

static const struct proto_desc udp_ping = {
	.name = "ping",
	.transports = PROTO_UDP,
	.state_size = sizeof(int),
	.sniff = udp_ping_sniff,
	.init = udp_ping_init,
	.datagram = udp_ping_datagram,
	.gap = udp_ping_gap,
};

static void
udp_run(struct session *s, uint16_t port, const char *const *dgrams, size_t n)
{
	session_init(s, 1, 1000000);
	s->family = 4;
	s->l4 = 17;
	s->server_port = port;
	s->client_port = 40000;
	for (size_t i = 0; i < n; i++)
		session_on_datagram(s, (enum dir)(i % 2), (const uint8_t *)dgrams[i],
				    strlen(dgrams[i]), false);
	s->end = END_IDLE;
}

/* UDP datagrams reach the datagram callback of the protocol that claims
 * the first one, whole, in both directions (a weak claim counts only on the
 * protocol's own port, as for TCP: session_pick_parser); an unclaimed flow
 * is kept as evidence and counted. */
static void
test_udp_datagrams_reach_the_parser_that_claims_the_first(void **st)
{
	static const struct proto_desc *const list[] = {&udp_ping, NULL};
	const char *const strong[] = {"PING 1", "PONG 1", "PING 2", "PONG 2"};
	const char *const weak[] = {"P?", "PONG"};
	const char *const other[] = {"hello", "PING"};
	struct session s;

	(void)st;
	session_use_registry(list);
	udp_run(&s, 40001, strong, 4);
	assert_true(s.plain_seen);
	assert_string_equal(s.service, "ping");
	assert_int_equal(*(int *)s.pstate, 4);
	assert_int_equal(s.pf.commands, 2);
	assert_int_equal(s.bytes[DIR_C2S], 12);
	session_release(&s);

	udp_run(&s, 40001, weak, 2); /* weak: nothing holds a datagram */
	assert_false(s.plain_seen);
	session_release(&s);

	udp_run(&s, 40001, other, 2); /* the first datagram decides */
	assert_false(s.plain_seen);
	assert_int_equal(s.unrecognized_len, 5);
	assert_int_equal(judge(&s), VERDICT_UNKNOWN);
	assert_int_equal(s.reason, REASON_UNRECOGNIZED);
	session_release(&s);

	/* A TCP session never goes to a UDP-only parser. */
	session_use_registry(list);
	run(&s, 7777, (const struct piece[]){TXT(DIR_C2S, "PING 1")}, 1, 0);
	assert_false(s.plain_seen);
	session_release(&s);
	session_use_registry(NULL);
}

static void
test_plaintext_smtp_on_465_is_a_downgrade(void **st)
{
	const struct piece pc[] = {
		TXT(DIR_S2C, "220 mail.example ESMTP\r\n"),
		TXT(DIR_C2S, "EHLO c\r\n"),
		TXT(DIR_S2C, "250 mail.example\r\n"),
	};
	struct session s;

	(void)st;
	run(&s, 465, pc, 3, 0);
	assert_int_equal(judge(&s), VERDICT_DOWNGRADED);
	assert_int_equal(s.reason, REASON_PLAINTEXT_ON_TLS_PORT);
	session_release(&s);
}

static void
test_a_gap_before_anything_is_recognised_leaves_the_session_unknown(void **st)
{
	struct session s;

	(void)st;
	session_init(&s, 1, 0);
	s.server_port = 40000;
	session_on_gap(&s, DIR_C2S, 100);
	session_on_data(&s, DIR_C2S, (const uint8_t *)"\x01\x02\x03\x04", 4);
	s.end = END_FIN;
	assert_int_equal(judge(&s), VERDICT_UNKNOWN);
	assert_int_equal(s.reason, REASON_GAP);
	assert_true(s.gap);
	session_release(&s);
}

static void
test_junk_never_crashes_and_ends_opaque(void **st)
{
	uint8_t junk[4096];
	struct session s;
	uint32_t x = 12345;

	(void)st;
	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (uint8_t)(x >> 16);
	}
	session_init(&s, 1, 0);
	s.server_port = 25;
	for (int round = 0; round < 40; round++)
		session_on_data(&s, (enum dir)(round & 1), junk, sizeof(junk));
	assert_true(s.mode == MODE_OPAQUE || s.mode == MODE_PLAIN || s.mode == MODE_TLS);
	s.end = END_CAPTURE;
	judge(&s);
	session_release(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp_starttls_switches_to_tls_and_bypasses_once_established),
		cmocka_unit_test(test_cleartext_after_the_go_ahead_in_the_same_chunk_is_not_tls),
		cmocka_unit_test(test_text_slipped_in_before_a_handshake_that_goes_on_is_read_over),
		cmocka_unit_test(test_xml_text_slipped_in_before_a_handshake_ends_at_its_gt),
		cmocka_unit_test(test_server_text_before_any_client_hello_is_injection_and_no_tls),
		cmocka_unit_test(
			test_endless_text_after_the_go_ahead_is_read_over_only_up_to_the_cap),
		cmocka_unit_test(
			test_server_text_answering_the_client_hello_is_no_tls_but_not_injection),
		cmocka_unit_test(test_a_settled_session_packs_small_and_unpacks_to_the_same_record),
		cmocka_unit_test(test_packing_restores_any_pattern_of_zero_runs),
		cmocka_unit_test(test_a_session_with_parser_state_is_not_packed),
		cmocka_unit_test(test_a_client_hello_after_unrecognised_cleartext_is_an_upgrade),
		cmocka_unit_test(test_implicit_tls_on_any_port_is_named_by_port_or_tls),
		cmocka_unit_test(test_pop3_without_capa_is_offer_unseen_not_not_offered),
		cmocka_unit_test(test_smtp_on_a_nonstandard_port_is_recognised_by_content),
		cmocka_unit_test(test_a_weak_greeting_on_an_unowned_port_waits_for_the_client),
		cmocka_unit_test(test_a_long_weak_greeting_with_the_client_silent_is_taken),
		cmocka_unit_test(test_udp_datagrams_reach_the_parser_that_claims_the_first),
		cmocka_unit_test(test_plaintext_smtp_on_465_is_a_downgrade),
		cmocka_unit_test(
			test_a_gap_before_anything_is_recognised_leaves_the_session_unknown),
		cmocka_unit_test(test_junk_never_crashes_and_ends_opaque),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
