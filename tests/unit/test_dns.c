/*
 * test_dns.c - the DNS message reader (include/dns.h: the header, the
 * question, the A, AAAA, MX, TXT, TLSA and CNAME answers, compression
 * pointers and their loops, names too long, every cut of a message) and the
 * DNS service parser (src/proto/dns.c): messages over TCP after their
 * length replayed in every chunk size down to one byte, datagrams, the
 * counts and the first question in its own fields, sniffing; and through
 * the session and the verdict: DNS in the clear on 53 and on the DoT port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns.h"
#include "session.h"
#include "transcript.h"
#include "verdict.h"

extern const struct proto_desc proto_dns;

/* ---- A message builder ------------------------------------------------------ */

struct mb {
	uint8_t b[2048];
	size_t n;
};

static void
mb_u8(struct mb *m, uint8_t v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = v;
}

static void
mb_u16(struct mb *m, uint16_t v)
{
	mb_u8(m, (uint8_t)(v >> 8));
	mb_u8(m, (uint8_t)v);
}

static void
mb_u32(struct mb *m, uint32_t v)
{
	mb_u16(m, (uint16_t)(v >> 16));
	mb_u16(m, (uint16_t)v);
}

static void
mb_bytes(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* "a.b.c" as labels; ptr >= 0 ends it with a pointer there instead of the
 * root's zero ("" and a pointer: the pointer alone). */
static void
mb_name(struct mb *m, const char *name, int ptr)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		mb_u8(m, (uint8_t)l);
		mb_bytes(m, name, l);
		name += l + (dot ? 1 : 0);
	}
	if (ptr >= 0)
		mb_u16(m, (uint16_t)(0xc000 | ptr));
	else
		mb_u8(m, 0);
}

static void
mb_header(struct mb *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	mb_u16(m, id);
	mb_u16(m, flags);
	mb_u16(m, qd);
	mb_u16(m, an);
	mb_u16(m, 0);
	mb_u16(m, 0);
}

static void
mb_question(struct mb *m, const char *name, uint16_t type)
{
	mb_name(m, name, -1);
	mb_u16(m, type);
	mb_u16(m, 1);
}

/* A record's fixed part after its owner name; returns where rdlength is. */
static size_t
mb_rr(struct mb *m, uint16_t type, uint16_t rdlen)
{
	size_t at;

	mb_u16(m, type);
	mb_u16(m, 1);
	mb_u32(m, 300);
	at = m->n;
	mb_u16(m, rdlen);
	return at;
}

static void
mb_set_rdlen(struct mb *m, size_t at)
{
	size_t len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = (uint8_t)len;
}

static void
mb_query(struct mb *m, uint16_t id, const char *name, uint16_t type)
{
	mb_header(m, id, 0x0100, 1, 0);
	mb_question(m, name, type);
}

/* A response to name/type with one A record 192.0.2.25 per answer. */
static void
mb_response_a(struct mb *m, uint16_t id, const char *name, uint16_t rcode, unsigned answers)
{
	mb_header(m, id, (uint16_t)(0x8180 | rcode), 1, (uint16_t)answers);
	mb_question(m, name, DNS_TYPE_A);
	for (unsigned i = 0; i < answers; i++) {
		static const uint8_t a[] = {192, 0, 2, 25};

		mb_name(m, "", 12);
		mb_rr(m, DNS_TYPE_A, 4);
		mb_bytes(m, a, 4);
	}
}

/* The response every mail check wants: MX, A, AAAA, TXT, TLSA, CNAME,
 * names compressed against the question (offset 12). */
static void
mb_mail_response(struct mb *m)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x25};
	uint8_t hash[32];
	size_t at;
	size_t mail;

	for (size_t i = 0; i < sizeof(hash); i++)
		hash[i] = (uint8_t)i;
	mb_header(m, 0xbeef, 0x8580, 1, 6);
	mb_question(m, "tlswatch.test", DNS_TYPE_MX); /* the name at 12 */
	mb_name(m, "", 12);
	at = mb_rr(m, DNS_TYPE_MX, 0);
	mb_u16(m, 10);
	mail = m->n;
	mb_name(m, "mail", 12); /* mail.tlswatch.test */
	mb_set_rdlen(m, at);
	mb_name(m, "", (int)mail);
	mb_rr(m, DNS_TYPE_A, 4);
	mb_bytes(m, (const uint8_t[]){192, 0, 2, 25}, 4);
	mb_name(m, "", (int)mail);
	mb_rr(m, DNS_TYPE_AAAA, 16);
	mb_bytes(m, v6, 16);
	mb_name(m, "_mta-sts", 12);
	at = mb_rr(m, DNS_TYPE_TXT, 0);
	mb_u8(m, 7);
	mb_bytes(m, "v=STSv1", 7);
	mb_u8(m, 6);
	mb_bytes(m, "; id=1", 6);
	mb_set_rdlen(m, at);
	mb_name(m, "_25._tcp", (int)mail);
	mb_rr(m, DNS_TYPE_TLSA, 35);
	mb_bytes(m, (const uint8_t[]){3, 1, 1}, 3);
	mb_bytes(m, hash, sizeof(hash));
	mb_name(m, "smtp", 12);
	at = mb_rr(m, DNS_TYPE_CNAME, 0);
	mb_name(m, "", (int)mail);
	mb_set_rdlen(m, at);
}

/* ---- The message reader ----------------------------------------------------- */

static void
test_dns_answers_of_each_kept_type_are_read_through_compression(void **unused)
{
	struct mb m;
	struct dns_msg d;

	(void)unused;
	mb_mail_response(&m);
	assert_true(dns_msg_parse(m.b, m.n, &d));
	assert_int_equal(d.anomalies, 0);
	assert_true(d.response);
	assert_int_equal(d.id, 0xbeef);
	assert_int_equal(d.rcode, 0);
	assert_string_equal(d.qname, "tlswatch.test");
	assert_int_equal(d.qtype, DNS_TYPE_MX);
	assert_int_equal(d.answers_read, 6);
	assert_int_equal(d.n_rr, 6);
	assert_int_equal(d.rr[0].type, DNS_TYPE_MX);
	assert_string_equal(d.rr[0].name, "tlswatch.test");
	assert_int_equal(d.rr[0].u.mx.preference, 10);
	assert_string_equal(d.rr[0].u.mx.host, "mail.tlswatch.test");
	assert_int_equal(d.rr[0].ttl, 300);
	assert_string_equal(d.rr[1].name, "mail.tlswatch.test");
	assert_memory_equal(d.rr[1].u.addr, ((const uint8_t[]){192, 0, 2, 25}), 4);
	assert_int_equal(d.rr[2].type, DNS_TYPE_AAAA);
	assert_int_equal(d.rr[2].u.addr[0], 0x20);
	assert_int_equal(d.rr[2].u.addr[15], 0x25);
	assert_string_equal(d.rr[3].name, "_mta-sts.tlswatch.test");
	assert_string_equal(d.rr[3].u.txt.text, "v=STSv1; id=1");
	assert_string_equal(d.rr[4].name, "_25._tcp.mail.tlswatch.test");
	assert_int_equal(d.rr[4].u.tlsa.usage, 3);
	assert_int_equal(d.rr[4].u.tlsa.selector, 1);
	assert_int_equal(d.rr[4].u.tlsa.matching, 1);
	assert_int_equal(d.rr[4].u.tlsa.len, 32);
	assert_int_equal(d.rr[4].u.tlsa.data[31], 31);
	assert_string_equal(d.rr[5].name, "smtp.tlswatch.test");
	assert_string_equal(d.rr[5].u.target, "mail.tlswatch.test");
}

static void
test_dns_pointer_to_itself_or_forward_is_refused(void **unused)
{
	struct mb m;
	struct dns_msg d;
	size_t self;

	(void)unused;
	/* An answer whose owner name points at itself. */
	mb_header(&m, 1, 0x8180, 1, 1);
	mb_question(&m, "a.test", DNS_TYPE_A);
	self = m.n;
	mb_name(&m, "", (int)self);
	mb_rr(&m, DNS_TYPE_A, 4);
	mb_u32(&m, 0x01020304);
	assert_true(dns_msg_parse(m.b, m.n, &d));
	assert_true(d.anomalies & DNS_ANOM_BAD_PTR);
	assert_string_equal(d.qname, "a.test");
	assert_int_equal(d.answers_read, 0);

	/* A pointer forward, to a pointer back at it: a loop of two. */
	mb_header(&m, 1, 0x8180, 1, 1);
	mb_question(&m, "a.test", DNS_TYPE_A);
	self = m.n;
	mb_name(&m, "x", (int)self + 4); /* x -> the pointer after it */
	mb_u16(&m, (uint16_t)(0xc000 | self));
	assert_true(dns_msg_parse(m.b, m.n, &d));
	assert_true(d.anomalies & DNS_ANOM_BAD_PTR);
	assert_int_equal(d.n_rr, 0);
}

static void
test_dns_a_long_chain_of_backward_pointers_ends_at_the_hop_limit(void **unused)
{
	struct mb m;
	struct dns_msg d;
	size_t prev = 12, at;

	(void)unused;
	/* Inside the rdata of a type not kept (skipped by its length), 40
	 * links, each a label and a pointer to the link before it: legal one
	 * by one. The second answer's owner is the last link: 41 hops. */
	mb_header(&m, 1, 0x8180, 1, 2);
	mb_question(&m, "a.test", DNS_TYPE_A);
	mb_name(&m, "", 12);
	at = mb_rr(&m, 99, 0);
	for (int i = 0; i < 40; i++) {
		size_t here = m.n;

		mb_name(&m, "l", (int)prev);
		prev = here;
	}
	mb_set_rdlen(&m, at);
	mb_name(&m, "", (int)prev);
	mb_rr(&m, DNS_TYPE_A, 4);
	mb_u32(&m, 0x01020304);
	assert_true(dns_msg_parse(m.b, m.n, &d));
	assert_true(d.anomalies & DNS_ANOM_BAD_PTR);
	assert_int_equal(d.answers_read, 1);
	assert_int_equal(d.n_rr, 0);
}

static void
test_dns_a_name_over_255_bytes_is_malformed(void **unused)
{
	struct mb m;
	struct dns_msg d;
	char label[64];

	(void)unused;
	memset(label, 'a', 63);
	label[63] = '\0';
	mb_header(&m, 1, 0x0100, 1, 0);
	for (int i = 0; i < 5; i++) { /* 5 * 64 = 320 bytes */
		mb_u8(&m, 63);
		mb_bytes(&m, label, 63);
	}
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	assert_true(dns_msg_parse(m.b, m.n, &d));
	assert_true(d.anomalies & DNS_ANOM_BAD_NAME);
	assert_false(d.has_question);
	assert_false(dns_looks_like_message(m.b, m.n));
}

static void
test_dns_label_bytes_that_are_not_hostname_characters_are_escaped(void **unused)
{
	struct mb m;
	struct dns_msg d;

	(void)unused;
	mb_header(&m, 1, 0x0100, 1, 0);
	mb_u8(&m, 4);
	mb_bytes(&m, "a.b\n", 4);
	mb_u8(&m, 4);
	mb_bytes(&m, "test", 4);
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	assert_true(dns_msg_parse(m.b, m.n, &d));
	assert_string_equal(d.qname, "a\\046b\\010.test");

	mb_header(&m, 1, 0x0100, 1, 0);
	mb_question(&m, "", DNS_TYPE_NS); /* the root */
	assert_true(dns_msg_parse(m.b, m.n, &d));
	assert_string_equal(d.qname, ".");
}

static void
test_dns_every_cut_of_a_response_is_read_without_harm(void **unused)
{
	struct mb m;
	struct dns_msg d;

	(void)unused;
	mb_mail_response(&m);
	for (size_t n = 0; n < m.n; n++) {
		bool ok = dns_msg_parse(m.b, n, &d);

		assert_int_equal(ok, n >= DNS_HEADER_LEN);
		if (ok)
			assert_true(d.anomalies & DNS_ANOM_TRUNCATED);
		assert_true(d.n_rr <= DNS_RR_KEEP);
		assert_true(d.n_rr < 6);
	}
}

static void
test_dns_more_answers_than_kept_are_counted(void **unused)
{
	struct mb m;
	struct dns_msg d;

	(void)unused;
	mb_response_a(&m, 7, "many.test", 0, DNS_RR_KEEP + 3);
	assert_true(dns_msg_parse(m.b, m.n, &d));
	assert_int_equal(d.answers_read, DNS_RR_KEEP + 3);
	assert_int_equal(d.n_rr, DNS_RR_KEEP);
	assert_int_equal(d.anomalies, DNS_ANOM_RR_CAP);
}

/* ---- The service parser ----------------------------------------------------- */

/* m framed for TCP: its two-byte length, then it. */
static size_t
tcp_frame(uint8_t *out, const struct mb *m)
{
	out[0] = (uint8_t)(m->n >> 8);
	out[1] = (uint8_t)m->n;
	memcpy(out + 2, m->b, m->n);
	return m->n + 2;
}

static void
test_dns_tcp_messages_after_their_length_in_every_chunk_size(void **unused)
{
	static uint8_t c1[600], c2[600], s1[600], s2[600];
	struct mb m;
	struct replay_result r;
	struct own_text t;
	struct step steps[4];

	(void)unused;
	mb_query(&m, 1, "_25._tcp.mail.tlswatch.test", DNS_TYPE_TLSA);
	steps[0] = (struct step){DIR_C2S, (const char *)c1, tcp_frame(c1, &m)};
	mb_query(&m, 2, "tlswatch.test", DNS_TYPE_MX);
	steps[1] = (struct step){DIR_C2S, (const char *)c2, tcp_frame(c2, &m)};
	mb_mail_response(&m);
	steps[2] = (struct step){DIR_S2C, (const char *)s1, tcp_frame(s1, &m)};
	mb_response_a(&m, 2, "nosuch.tlswatch.test", 3, 0);
	steps[3] = (struct step){DIR_S2C, (const char *)s2, tcp_frame(s2, &m)};
	transcript_run(&proto_dns, steps, N_STEPS(steps), &r);
	assert_string_equal(own_fields(&proto_dns, &r.facts, &t),
			    "queries=2;responses=2;answers=6;nxdomain=1;qtype=TLSA;"
			    "qname=_25._tcp.mail.tlswatch.test;");
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.facts.commands, 2);
	assert_false(r.facts.switch_to_tls);
}

static void
test_dns_tcp_message_longer_than_kept_is_skipped_by_its_length(void **unused)
{
	static uint8_t big[2100], small[600];
	struct mb m;
	struct replay_result r;
	struct own_text t;
	struct step steps[2];
	size_t at;

	(void)unused;
	/* A response with one TXT record of 1500 bytes, then a query. */
	mb_header(&m, 9, 0x8180, 1, 1);
	mb_question(&m, "big.test", DNS_TYPE_TXT);
	mb_name(&m, "", 12);
	at = mb_rr(&m, DNS_TYPE_TXT, 0);
	for (int i = 0; i < 6; i++) {
		mb_u8(&m, 250);
		for (int k = 0; k < 250; k++)
			mb_u8(&m, 'x');
	}
	mb_set_rdlen(&m, at);
	steps[0] = (struct step){DIR_S2C, (const char *)big, tcp_frame(big, &m)};
	mb_query(&m, 10, "after.test", DNS_TYPE_A);
	steps[1] = (struct step){DIR_S2C, (const char *)small, tcp_frame(small, &m)};
	transcript_run(&proto_dns, steps, N_STEPS(steps), &r);
	assert_string_equal(own_fields(&proto_dns, &r.facts, &t),
			    "queries=1;responses=1;qtype=TXT;qname=big.test;");
	assert_int_equal(r.facts.cap_hits, 1);
}

static void
test_dns_text_framed_as_tcp_dns_is_an_anomaly_not_a_count(void **unused)
{
	const struct step steps[] = {
		CB("\x00\x10HELLO WORLD 1234"),
		CB("\x00\x00"),
	};
	struct replay_result r;
	struct own_text t;

	(void)unused;
	transcript_run(&proto_dns, steps, N_STEPS(steps), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_string_equal(own_fields(&proto_dns, &r.facts, &t), "");
}

static void
test_dns_datagrams_count_queries_answers_and_errors(void **unused)
{
	struct proto_facts f;
	struct mb m;
	struct own_text t;
	_Alignas(max_align_t) uint8_t state[4096];

	(void)unused;
	assert_true(proto_dns.state_size <= sizeof(state));
	memset(&f, 0, sizeof(f));
	proto_dns.init(state);
	mb_query(&m, 1, "mail.tlswatch.test", DNS_TYPE_A);
	proto_dns.datagram(state, &f, DIR_C2S, m.b, m.n);
	mb_response_a(&m, 1, "mail.tlswatch.test", 0, 2);
	proto_dns.datagram(state, &f, DIR_S2C, m.b, m.n);
	mb_response_a(&m, 1, "mail.tlswatch.test", 2, 0); /* SERVFAIL */
	proto_dns.datagram(state, &f, DIR_S2C, m.b, m.n);
	proto_dns.datagram(state, &f, DIR_S2C, (const uint8_t *)"junk", 4);
	assert_string_equal(own_fields(&proto_dns, &f, &t),
			    "queries=1;responses=2;answers=2;errors=1;qtype=A;"
			    "qname=mail.tlswatch.test;");
	assert_true(f.anomalies & PROTO_ANOM_BAD_SYNTAX);
}

static void
test_dns_sniff_claims_queries_answers_and_framed_ones_not_text(void **unused)
{
	struct mb m;
	uint8_t framed[600];
	size_t n;

	(void)unused;
	mb_query(&m, 1, "mail.tlswatch.test", DNS_TYPE_A);
	assert_int_equal(proto_dns.sniff(DIR_C2S, m.b, m.n), SNIFF_STRONG);
	n = tcp_frame(framed, &m);
	assert_int_equal(proto_dns.sniff(DIR_C2S, framed, n), SNIFF_STRONG);
	assert_int_equal(proto_dns.sniff(DIR_C2S, framed, 5), SNIFF_MORE);
	mb_mail_response(&m);
	assert_int_equal(proto_dns.sniff(DIR_S2C, m.b, m.n), SNIFF_STRONG);
	assert_int_equal(
		proto_dns.sniff(DIR_C2S, (const uint8_t *)"EHLO client.example.org\r\n", 25),
		SNIFF_NO);
	assert_int_equal(proto_dns.sniff(DIR_C2S, (const uint8_t *)"GET / HTTP/1.1\r\n", 16),
			 SNIFF_NO);
}

/* ---- Through the session and the verdict ------------------------------------ */

static void
judge_udp_exchange(struct session *s, uint16_t port)
{
	struct mb m;
	struct alert alerts[4];

	session_init(s, 1, 1000000);
	s->family = 4;
	s->l4 = 17;
	s->server_port = port;
	s->client_port = 40000;
	mb_query(&m, 1, "mail.tlswatch.test", DNS_TYPE_A);
	session_on_datagram(s, DIR_C2S, m.b, m.n, false);
	mb_response_a(&m, 1, "mail.tlswatch.test", 0, 1);
	session_on_datagram(s, DIR_S2C, m.b, m.n, false);
	session_name_service(s);
	verdict_judge(s, NULL, alerts, 4);
}

static void
test_dns_in_the_clear_on_53_is_cleartext_without_a_tls_protocol(void **unused)
{
	struct session s;

	(void)unused;
	judge_udp_exchange(&s, 53);
	assert_string_equal(s.service, "dns");
	assert_int_equal(s.verdict, VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_NO_TLS_PROTOCOL);
	session_release(&s);
}

static void
test_dns_over_udp_holds_only_the_state_udp_needs(void **unused)
{
	struct session s;

	(void)unused;
	assert_true(proto_dns.udp_state_size > 0);
	assert_true(proto_dns.udp_state_size + 1000 < proto_dns.state_size);
	judge_udp_exchange(&s, 53);
	assert_int_equal(s.pf.commands, 1);
	assert_int_equal(session_heap_bytes(&s), proto_dns.udp_state_size);
	session_release(&s);
}

static void
test_dns_in_the_clear_on_853_is_plaintext_on_tls_port(void **unused)
{
	struct session s;

	(void)unused;
	judge_udp_exchange(&s, 853);
	assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(s.reason, REASON_PLAINTEXT_ON_TLS_PORT);
	session_release(&s);
}

/* The query type's name in the records: the usual mnemonics, TYPEn for
 * the others (RFC 3597), cut to the buffer like snprintf. */
static void
test_dns_type_names_are_mnemonics_or_typen_cut_to_the_buffer(void **st)
{
	char b[16];

	(void)st;
	assert_string_equal(dns_type_name(DNS_TYPE_A, b, sizeof(b)), "A");
	assert_string_equal(dns_type_name(DNS_TYPE_AAAA, b, sizeof(b)), "AAAA");
	assert_string_equal(dns_type_name(DNS_TYPE_TLSA, b, sizeof(b)), "TLSA");
	assert_string_equal(dns_type_name(255, b, sizeof(b)), "ANY");
	assert_string_equal(dns_type_name(99, b, sizeof(b)), "TYPE99");
	assert_string_equal(dns_type_name(DNS_TYPE_AAAA, b, 3), "AA");
	assert_string_equal(dns_type_name(DNS_TYPE_CNAME, b, 1), "");
	b[0] = 'x';
	dns_type_name(DNS_TYPE_MX, b, 0);
	assert_int_equal(b[0], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_answers_of_each_kept_type_are_read_through_compression),
		cmocka_unit_test(test_dns_pointer_to_itself_or_forward_is_refused),
		cmocka_unit_test(test_dns_a_long_chain_of_backward_pointers_ends_at_the_hop_limit),
		cmocka_unit_test(test_dns_a_name_over_255_bytes_is_malformed),
		cmocka_unit_test(test_dns_label_bytes_that_are_not_hostname_characters_are_escaped),
		cmocka_unit_test(test_dns_every_cut_of_a_response_is_read_without_harm),
		cmocka_unit_test(test_dns_more_answers_than_kept_are_counted),
		cmocka_unit_test(test_dns_tcp_messages_after_their_length_in_every_chunk_size),
		cmocka_unit_test(test_dns_tcp_message_longer_than_kept_is_skipped_by_its_length),
		cmocka_unit_test(test_dns_text_framed_as_tcp_dns_is_an_anomaly_not_a_count),
		cmocka_unit_test(test_dns_datagrams_count_queries_answers_and_errors),
		cmocka_unit_test(test_dns_sniff_claims_queries_answers_and_framed_ones_not_text),
		cmocka_unit_test(test_dns_in_the_clear_on_53_is_cleartext_without_a_tls_protocol),
		cmocka_unit_test(test_dns_in_the_clear_on_853_is_plaintext_on_tls_port),
		cmocka_unit_test(test_dns_over_udp_holds_only_the_state_udp_needs),
		cmocka_unit_test(test_dns_type_names_are_mnemonics_or_typen_cut_to_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
