/*
 * test_policy.c - the mail policy store (src/policy.c): learning MX, A,
 * AAAA, CNAME, _mta-sts and _smtp._tls TXT and TLSA answers (with and
 * without the AD bit, through a CNAME chain, from the wire), TTL expiry in
 * packet time, the table caps and their eviction counters, the --policy
 * list and the RFC 8461 policy file (good and bad lines), MX patterns, the
 * decision table (MTA-STS mode x DANE x verdict), and SMTP sessions judged
 * against what was learned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"
#include "../../src/policy_internal.h"
#include "smtp.h"

extern const struct proto_desc proto_smtp;

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

/* ---- Messages ---------------------------------------------------------------- */

static void
msg_init(struct dns_msg *m, const char *qname, uint16_t qtype, bool ad)
{
	memset(m, 0, sizeof(*m));
	m->response = true;
	m->ad = ad;
	m->has_question = true;
	snprintf(m->qname, sizeof(m->qname), "%s", qname);
	m->qtype = qtype;
	m->qclass = 1;
}

static struct dns_rr *
msg_rr(struct dns_msg *m, uint16_t type, const char *name, uint32_t ttl)
{
	struct dns_rr *rr = &m->rr[m->n_rr++];

	assert_true(m->n_rr <= DNS_RR_KEEP);
	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	rr->rclass = 1;
	rr->ttl = ttl;
	snprintf(rr->name, sizeof(rr->name), "%s", name);
	return rr;
}

static void
learn_mx(struct policy *p, const char *domain, const char *host, uint32_t ttl, uint64_t ts)
{
	struct dns_msg m;

	msg_init(&m, domain, DNS_TYPE_MX, true);
	snprintf(msg_rr(&m, DNS_TYPE_MX, domain, ttl)->u.mx.host, DNS_NAME_KEEP, "%s", host);
	policy_learn_msg(p, &m, ts);
}

static void
learn_a(struct policy *p, const char *host, uint8_t last, uint32_t ttl, uint64_t ts)
{
	struct dns_msg m;
	struct dns_rr *rr;

	msg_init(&m, host, DNS_TYPE_A, true);
	rr = msg_rr(&m, DNS_TYPE_A, host, ttl);
	memcpy(rr->u.addr, (uint8_t[]){192, 0, 2, last}, 4);
	policy_learn_msg(p, &m, ts);
}

static void
learn_txt(struct policy *p, const char *name, const char *text, uint32_t ttl, uint64_t ts)
{
	struct dns_msg m;
	struct dns_rr *rr;

	msg_init(&m, name, DNS_TYPE_TXT, false);
	rr = msg_rr(&m, DNS_TYPE_TXT, name, ttl);
	rr->u.txt.len = (uint16_t)strlen(text);
	memcpy(rr->u.txt.text, text, strlen(text));
	policy_learn_msg(p, &m, ts);
}

static void
learn_tlsa(struct policy *p, const char *name, bool ad, uint32_t ttl, uint64_t ts)
{
	struct dns_msg m;
	struct dns_rr *rr;

	msg_init(&m, name, DNS_TYPE_TLSA, ad);
	rr = msg_rr(&m, DNS_TYPE_TLSA, name, ttl);
	rr->u.tlsa.usage = 3;
	rr->u.tlsa.selector = 1;
	rr->u.tlsa.matching = 1;
	rr->u.tlsa.len = 32;
	policy_learn_msg(p, &m, ts);
}

/* An SMTP session to 192.0.2.<last>:25 that started at ts. */
static void
smtp_session(struct session *s, uint8_t last, uint64_t ts, enum verdict v, enum reason r)
{
	memset(s, 0, sizeof(*s));
	s->id = 7;
	s->family = 4;
	s->l4 = 6;
	memcpy(s->server_ip, (uint8_t[]){192, 0, 2, last}, 4);
	memcpy(s->client_ip, (uint8_t[]){192, 0, 2, 200}, 4);
	s->client_port = 40000;
	s->server_port = 25;
	s->proto = &proto_smtp;
	s->service = "smtp";
	s->ts_first_us = ts;
	s->ts_last_us = ts + SEC;
	s->verdict = v;
	s->reason = r;
}

static struct smtp_own *
own_of(struct session *s)
{
	return (struct smtp_own *)(void *)s->pf.own;
}

/* The learned policy of example.org: MX mx.example.org at 192.0.2.25. */
static struct policy *
example_store(bool sts, bool tlsa_ad)
{
	struct policy *p = policy_new(NULL);

	assert_non_null(p);
	learn_mx(p, "Example.ORG.", "mx.example.org.", 3600, T0);
	learn_a(p, "mx.example.org", 25, 3600, T0);
	if (sts)
		learn_txt(p, "_mta-sts.example.org", "v=STSv1; id=20260101T000000;", 3600, T0);
	learn_tlsa(p, "_25._tcp.mx.example.org", tlsa_ad, 3600, T0);
	return p;
}

/* ---- Learning ------------------------------------------------------------------- */

static void
test_policy_mx_a_and_sts_txt_make_a_stripped_session_a_violation_of_unknown_mode(void **st)
{
	struct policy *p = example_store(true, false);
	struct session s;
	struct alert a[4];
	size_t n;

	(void)st;
	smtp_session(&s, 25, T0 + 10 * SEC, VERDICT_DOWNGRADED, REASON_CAPABILITY_STRIPPED);
	own_of(&s)->quit = 1;
	n = policy_judge(p, &s, a, 4);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].kind, ALERT_MTA_STS_VIOLATION);
	assert_int_equal(a[0].severity, SEVERITY_HIGH);
	assert_non_null(strstr(a[0].evidence, "mode unknown"));
	assert_non_null(strstr(a[0].evidence, "id=20260101T000000"));
	assert_non_null(strstr(a[0].evidence, "sender gave up"));
	assert_string_equal(s.policy.domain, "example.org");
	assert_int_equal(s.policy.source, POLICY_SOURCE_DNS);
	assert_int_equal(s.policy.mta_sts, STS_UNKNOWN);
	assert_false(s.policy.dane); /* TLSA without AD */
	assert_true(s.alerts & 1u << ALERT_MTA_STS_VIOLATION);
	policy_free(p);
}

static void
test_policy_validated_tlsa_is_dane_and_a_cleartext_session_violates_it(void **st)
{
	struct policy *p = example_store(false, true);
	struct session s;
	struct alert a[4];

	(void)st;
	smtp_session(&s, 25, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	own_of(&s)->data = 1;
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_int_equal(a[0].kind, ALERT_DANE_VIOLATION);
	assert_int_equal(a[0].severity, SEVERITY_CRITICAL);
	assert_non_null(strstr(a[0].evidence, "_25._tcp.mx.example.org"));
	assert_non_null(strstr(a[0].evidence, "mail transferred"));
	assert_true(s.policy.dane);
	assert_true(s.policy.mail_sent);
	assert_int_equal(s.policy.mta_sts, STS_ABSENT);
	policy_free(p);
}

static void
test_policy_a_later_tlsa_answer_without_ad_takes_dane_away(void **st)
{
	struct policy *p = example_store(false, true);
	struct session s;
	struct alert a[4];

	(void)st;
	learn_tlsa(p, "_25._tcp.mx.example.org", false, 3600, T0 + SEC);
	smtp_session(&s, 25, T0 + 2 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	assert_int_equal(s.policy.source, POLICY_SOURCE_NONE);
	policy_free(p);
}

static void
test_policy_starttls_session_gets_the_record_and_no_alert(void **st)
{
	struct policy *p = example_store(true, true);
	struct session s;
	struct alert a[4];

	(void)st;
	smtp_session(&s, 25, T0 + SEC, VERDICT_STARTTLS, REASON_NONE);
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	assert_int_equal(s.policy.source, POLICY_SOURCE_DNS);
	assert_true(s.policy.dane);
	assert_int_equal(s.alerts, 0);
	policy_free(p);
}

static void
test_policy_other_servers_ports_and_services_are_left_alone(void **st)
{
	struct policy *p = example_store(true, true);
	struct session s;
	struct alert a[4];

	(void)st;
	smtp_session(&s, 26, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 0); /* another address */
	smtp_session(&s, 25, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	s.server_port = 587; /* submission: not MX delivery */
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	smtp_session(&s, 25, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	s.proto = NULL;
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	assert_int_equal(policy_judge(NULL, &s, a, 4), 0);
	policy_free(p);
}

static void
test_policy_tlsrpt_txt_is_recorded_without_an_alert(void **st)
{
	struct policy *p = policy_new(NULL);
	struct session s;
	struct alert a[4];

	(void)st;
	learn_mx(p, "example.net", "mx.example.net", 300, T0);
	learn_a(p, "mx.example.net", 30, 300, T0);
	learn_txt(p, "_smtp._tls.example.net", "v=TLSRPTv1; rua=mailto:r@example.net", 300, T0);
	learn_txt(p, "_mta-sts.example.net", "v=STSv2; id=1", 300, T0); /* not STSv1 */
	smtp_session(&s, 30, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	assert_true(s.policy.tlsrpt);
	assert_int_equal(s.policy.mta_sts, STS_ABSENT);
	policy_free(p);
}

static void
test_policy_records_reached_through_cnames_count_for_the_question(void **st)
{
	struct policy *p = policy_new(NULL);
	struct dns_msg m;
	struct dns_rr *rr;
	struct session s;
	struct alert a[4];

	(void)st;
	/* _mta-sts.example.com CNAME _mta-sts.provider.net, TXT there. */
	msg_init(&m, "_mta-sts.example.com", DNS_TYPE_TXT, false);
	snprintf(msg_rr(&m, DNS_TYPE_CNAME, "_mta-sts.example.com", 300)->u.target, DNS_NAME_KEEP,
		 "%s", "_mta-sts.provider.net");
	rr = msg_rr(&m, DNS_TYPE_TXT, "_mta-sts.provider.net", 300);
	memcpy(rr->u.txt.text, "v=STSv1; id=abc", 15);
	rr->u.txt.len = 15;
	policy_learn_msg(p, &m, T0);
	/* The MX host is an alias of the host with the address. */
	learn_mx(p, "example.com", "mail.example.com", 300, T0);
	msg_init(&m, "mail.example.com", DNS_TYPE_A, false);
	snprintf(msg_rr(&m, DNS_TYPE_CNAME, "mail.example.com", 300)->u.target, DNS_NAME_KEEP, "%s",
		 "mx1.provider.net");
	memcpy(msg_rr(&m, DNS_TYPE_A, "mx1.provider.net", 300)->u.addr, (uint8_t[]){192, 0, 2, 40},
	       4);
	policy_learn_msg(p, &m, T0);
	smtp_session(&s, 40, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_string_equal(s.policy.domain, "example.com");
	assert_int_equal(s.policy.mta_sts, STS_UNKNOWN);
	policy_free(p);
}

static void
test_policy_answers_with_an_error_and_queries_teach_nothing(void **st)
{
	struct policy *p = policy_new(NULL);
	struct dns_msg m;
	struct policy_stats ps;

	(void)st;
	msg_init(&m, "example.org", DNS_TYPE_MX, true);
	snprintf(msg_rr(&m, DNS_TYPE_MX, "example.org", 300)->u.mx.host, DNS_NAME_KEEP, "mx");
	m.rcode = 2;
	policy_learn_msg(p, &m, T0);
	m.rcode = 0;
	m.response = false;
	policy_learn_msg(p, &m, T0);
	policy_stats_get(p, &ps);
	assert_int_equal(ps.records_learned, 0);
	assert_int_equal(ps.answers_learned, 0);
	policy_free(p);
}

/* A response on the wire, AD bit set: the DNS reader keeps it. */
static void
test_policy_learns_from_wire_bytes_with_the_ad_bit(void **st)
{
	static const uint8_t msg[] = {0x12, 0x34, 0x81, 0xa0, 0,   1,	0,   1,	  0,	0,
				      0,    0, /* QR RD RA AD */
				      3,    '_',  '2',	'5',  4,   '_', 't', 'c', 'p',	2,
				      'm',  'x',  7,	'e',  'x', 'a', 'm', 'p', 'l',	'e',
				      3,    'o',  'r',	'g',  0,   0,	52,  0,	  1, /* TLSA IN */
				      0xc0, 12,	  0,	52,   0,   1,	0,   0,	  0x0e, 0x10,
				      0,    7,	  3,	1,    1,   1,	2,   3,	  4};
	struct policy *p = policy_new(NULL);
	struct session s;
	struct alert a[4];
	struct dns_msg m;

	(void)st;
	assert_true(dns_msg_parse(msg, sizeof(msg), &m));
	assert_true(m.ad);
	assert_true(policy_learn_bytes(p, msg, sizeof(msg), T0));
	assert_false(policy_learn_bytes(p, msg, 5, T0));
	learn_a(p, "mx.example.org", 25, 3600, T0);
	smtp_session(&s, 25, T0 + SEC, VERDICT_TLS_FAILED, REASON_ALERT);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_int_equal(a[0].kind, ALERT_DANE_VIOLATION);
	/* No MX seen: the host's own name stands for the domain. */
	assert_string_equal(s.policy.domain, "mx.example.org");
	policy_free(p);
}

/* ---- Expiry and caps ------------------------------------------------------------- */

static void
test_policy_records_expire_with_their_ttl_in_packet_time(void **st)
{
	struct policy *p = example_store(true, true);
	struct session s;
	struct alert a[4];

	(void)st;
	smtp_session(&s, 25, T0 + 3600 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 2); /* the last second of the TTL */
	smtp_session(&s, 25, T0 + 3601 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	/* A fresh answer renews it. */
	learn_mx(p, "example.org", "mx.example.org", 60, T0 + 4000 * SEC);
	learn_a(p, "mx.example.org", 25, 60, T0 + 4000 * SEC);
	learn_txt(p, "_mta-sts.example.org", "v=STSv1; id=2", 60, T0 + 4000 * SEC);
	smtp_session(&s, 25, T0 + 4001 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	policy_free(p);
}

/* Records learned again after they expired: a session of the first
 * answers' time, judged only now (the front of --threads judges late),
 * still sees them, as it did when judged at once. */
static void
test_policy_records_learned_again_after_expiry_still_cover_earlier_sessions(void **st)
{
	struct policy *p = example_store(true, true);
	struct session s;
	struct alert a[4];
	uint64_t later = T0 + 5 * 3600 * SEC;

	(void)st;
	learn_mx(p, "example.org", "mx.example.org", 3600, later);
	learn_a(p, "mx.example.org", 25, 3600, later);
	learn_txt(p, "_mta-sts.example.org", "v=STSv1; id=20260101T000000;", 3600, later);
	learn_tlsa(p, "_25._tcp.mx.example.org", true, 3600, later);
	smtp_session(&s, 25, T0 + 10 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 2);
	assert_true(s.policy.dane);
	smtp_session(&s, 25, later + 10 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 2);
	/* Between the two lives: nothing. */
	smtp_session(&s, 25, T0 + 2 * 3600 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	policy_free(p);
}

/* Capture files read in a row: answers from before the latest packet
 * time neither change a stored record (a TLSA answer without AD would take
 * DANE away) nor show themselves to a session that ended before they were
 * read, so the judgement does not depend on when the session is judged. */
static void
test_policy_answers_from_back_in_time_change_nothing_for_ended_sessions(void **st)
{
	struct policy *p = example_store(true, true);
	struct session s;
	struct alert a[4];

	(void)st;
	policy_clock(p, T0 + 11 * SEC); /* the session's last packet */
	learn_tlsa(p, "_25._tcp.mx.example.org", false, 3600, T0 - 3600 * SEC);
	learn_txt(p, "_smtp._tls.example.org", "v=TLSRPTv1; rua=mailto:r@example.org", 3600,
		  T0 - 3600 * SEC);
	smtp_session(&s, 25, T0 + 10 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 2);
	assert_true(s.policy.dane);
	assert_false(s.policy.tlsrpt);
	policy_free(p);
}

static void
test_policy_full_tables_reuse_expired_entries_then_evict_and_count(void **st)
{
	struct policy_limits lim;
	struct policy_stats ps;
	struct policy *p;
	char d[64], h[64];

	(void)st;
	policy_limits_defaults(&lim);
	lim.mx = 4;
	p = policy_new(&lim);
	assert_non_null(p);
	for (int i = 0; i < 4; i++) {
		snprintf(d, sizeof(d), "d%d.example", i);
		snprintf(h, sizeof(h), "mx.d%d.example", i);
		learn_mx(p, d, h, 10, T0);
	}
	learn_mx(p, "d0.example", "mx.d0.example", 10, T0 + SEC); /* a refresh: no new slot */
	policy_stats_get(p, &ps);
	assert_int_equal(ps.evicted, 0);
	learn_mx(p, "d4.example", "mx.d4.example", 10, T0 + 2 * SEC);
	policy_stats_get(p, &ps);
	assert_int_equal(ps.evicted, 1);
	assert_int_equal(ps.evicted_mx, 1);
	assert_int_equal(ps.expired_reused, 0);
	/* Later, all of them have expired: reused, not evicted. */
	learn_mx(p, "d5.example", "mx.d5.example", 10, T0 + 100 * SEC);
	policy_stats_get(p, &ps);
	assert_int_equal(ps.evicted, 1);
	assert_int_equal(ps.expired_reused, 1);
	policy_free(p);
}

/* The slot a scan of the MX table in slot order picks for a record (what
 * pol_put chose before it had an index and bounds, and must still choose:
 * the order of the slots is the order lookups see): the lowest slot with
 * the same record (from DNS: the lowest not expired), else the lowest
 * free, else the lowest expired, else the next victim. */
static size_t
scan_choice(const struct policy *p, const char *name, const char *host, bool dns, uint64_t now)
{
	const struct pol_table *t = &p->t[PK_MX];
	size_t free_slot = SIZE_MAX, expired = SIZE_MAX;

	for (size_t i = 0; i < t->cap; i++) {
		const struct pol_entry *e = &t->e[i];

		if (e->expires_us == 0) {
			if (free_slot == SIZE_MAX)
				free_slot = i;
			continue;
		}
		if (strcmp(e->name, name) == 0 && strcmp(e->v.host, host) == 0) {
			if (!dns || e->expires_us >= now)
				return i;
		}
		if (expired == SIZE_MAX && e->expires_us < now)
			expired = i;
	}
	if (free_slot != SIZE_MAX)
		return free_slot;
	return expired != SIZE_MAX ? expired : t->next;
}

static uint32_t
xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Random answers and remembered facts on a table of 150 slots (blocks of
 * 64, the last one short), with holes left by facts that expired before
 * the first packet: every store touches only the slot the scan picks. */
static void
test_policy_slot_choice_matches_a_scan_of_the_table(void **st)
{
	struct policy_limits lim;
	struct policy_stats ps;
	struct policy *p;
	struct pol_entry *before;
	uint32_t x = 2463534242u;
	uint64_t ts = T0;
	char d[64], h[96];
	size_t cap;

	(void)st;
	policy_limits_defaults(&lim);
	lim.mx = 150;
	p = policy_new(&lim);
	assert_non_null(p);
	cap = p->t[PK_MX].cap;
	before = malloc(cap * sizeof(*before));
	assert_non_null(before);
	for (int step = 0; step < 6000; step++) {
		bool dns = step >= 120 && xorshift(&x) % 5 != 0;
		struct policy_fact f;
		uint64_t now;
		size_t want, changed = 0;

		if (step == 120)
			policy_clock(p, T0 + 300 * SEC); /* frees the facts expired by then */
		snprintf(d, sizeof(d), "d%u.example", xorshift(&x) % 90);
		snprintf(h, sizeof(h), "mx%u.%s", xorshift(&x) % 2, d);
		memcpy(before, p->t[PK_MX].e, cap * sizeof(*before));
		if (dns) {
			static const uint32_t ttls[] = {0, 1, 5, 30, 600};
			uint32_t r = xorshift(&x);

			/* mostly forward in time, now and then back */
			ts = r % 17 == 0 ? ts - 20 * SEC : ts + (r % 4) * SEC;
			now = ts > p->now_us ? ts : p->now_us;
			want = scan_choice(p, d, h, true, now);
			learn_mx(p, d, h, ttls[xorshift(&x) % 5], ts);
		} else {
			memset(&f, 0, sizeof(f));
			f.kind = POLICY_FACT_MX;
			snprintf(f.name, sizeof(f.name), "%s", d);
			snprintf(f.value, sizeof(f.value), "%s", h);
			f.learned_us = ts - (xorshift(&x) % 100) * SEC;
			f.expires_us = (step < 120 ? T0 : ts) + (xorshift(&x) % 600) * SEC;
			want = scan_choice(p, d, h, false, p->now_us);
			if (!policy_fact_put(p, &f, POLICY_SOURCE_STATE))
				continue;
		}
		for (size_t i = 0; i < cap; i++)
			if (memcmp(&before[i], &p->t[PK_MX].e[i], sizeof(before[i])) != 0) {
				assert_int_equal(i, want);
				changed++;
			}
		assert_true(changed <= 1);
		if (changed)
			assert_string_equal(p->t[PK_MX].e[want].name, d);
	}
	/* every way to a slot was taken */
	policy_stats_get(p, &ps);
	assert_true(ps.evicted > 0);
	assert_true(ps.expired_reused > 0);
	assert_true(ps.facts_expired > 0);
	free(before);
	policy_free(p);
}

/* ---- The operator's file --------------------------------------------------------- */

static int
load(struct policy *p, const char *text, char *err, size_t errsz)
{
	return policy_load_text(p, "list", NULL, text, strlen(text), err, errsz);
}

/* The tables' hash index: an evicted record is found no more, the one in
 * its slot is; many names on few slots (chains through every bucket) and an
 * alias chain resolve as before; lookups follow slot order. */
static void
test_policy_index_follows_eviction_and_reuse(void **st)
{
	struct policy_limits lim;
	struct policy *p;
	struct session s;
	struct alert a[4];
	char d[64], h[64];

	(void)st;
	policy_limits_defaults(&lim);
	lim.mx = 2;
	lim.addr = 2;
	p = policy_new(&lim);
	assert_non_null(p);
	learn_mx(p, "a.example", "mx.a.example", 3600, T0);
	learn_a(p, "mx.a.example", 25, 3600, T0);
	learn_txt(p, "_mta-sts.a.example", "v=STSv1; id=1;", 3600, T0);
	smtp_session(&s, 25, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_string_equal(s.policy.domain, "a.example");
	/* Two more MX and address records: a.example's go (round robin). */
	for (int i = 0; i < 2; i++) {
		snprintf(d, sizeof(d), "b%d.example", i);
		snprintf(h, sizeof(h), "mx.b%d.example", i);
		learn_mx(p, d, h, 3600, T0 + 2 * SEC);
		learn_a(p, h, (uint8_t)(30 + i), 3600, T0 + 2 * SEC);
	}
	smtp_session(&s, 25, T0 + 3 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	assert_int_equal(s.policy.source, POLICY_SOURCE_NONE);
	/* b1.example's MX, in a slot a.example's record held, is found. */
	learn_txt(p, "_mta-sts.b1.example", "v=STSv1; id=2;", 3600, T0 + 2 * SEC);
	smtp_session(&s, 31, T0 + 3 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_string_equal(s.policy.domain, "b1.example");
	policy_free(p);

	/* Many names: every one still found through the index. */
	p = policy_new(NULL);
	assert_non_null(p);
	for (int i = 0; i < 200; i++) {
		snprintf(d, sizeof(d), "d%d.example", i);
		snprintf(h, sizeof(h), "mx%d.d%d.example", i, i);
		learn_mx(p, d, h, 3600, T0);
		learn_a(p, h, (uint8_t)i, 3600, T0);
	}
	learn_txt(p, "_mta-sts.d177.example", "v=STSv1; id=3;", 3600, T0);
	smtp_session(&s, 177, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_string_equal(s.policy.domain, "d177.example");
	policy_free(p);
}

static void
test_policy_file_lines_set_modes_and_mx_patterns(void **st)
{
	struct policy *p = policy_new(NULL);
	struct session s;
	struct alert a[4];
	char err[256] = "";
	struct policy_stats ps;

	(void)st;
	assert_int_equal(load(p,
			      "# domains whose DNS the sensor does not see\n"
			      "example.org enforce *.example.org\n"
			      "\n"
			      "testing.example testing mx.testing.example  # comment\r\n"
			      "none.example none\n",
			      err, sizeof(err)),
			 0);
	policy_stats_get(p, &ps);
	assert_int_equal(ps.file_domains, 3);
	/* The server is known by its A record, matched by the pattern. */
	learn_a(p, "mx1.example.org", 25, 300, T0);
	smtp_session(&s, 25, T0 + SEC, VERDICT_DOWNGRADED, REASON_CAPABILITY_STRIPPED);
	own_of(&s)->data = 1;
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_int_equal(a[0].severity, SEVERITY_CRITICAL);
	assert_non_null(strstr(a[0].evidence, "mode enforce (--policy)"));
	assert_int_equal(s.policy.source, POLICY_SOURCE_FILE);
	/* Known by the cleartext RCPT TO domain only. */
	smtp_session(&s, 99, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	snprintf(own_of(&s)->rcpt_domain, SMTP_RCPT_DOMAIN_KEEP, "testing.example");
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_int_equal(a[0].severity, SEVERITY_MEDIUM);
	assert_non_null(strstr(a[0].evidence, "RCPT TO domain"));
	snprintf(own_of(&s)->rcpt_domain, SMTP_RCPT_DOMAIN_KEEP, "none.example");
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	assert_int_equal(s.policy.mta_sts, STS_NONE);
	policy_free(p);
}

static void
test_policy_file_bad_lines_name_their_line(void **st)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"example.org\n", "list:1: expected"},
		{"ok.example none\nexample.org enforcing\n", "list:2: mode \"enforcing\""},
		{"exa mple.org enforce\n", "list:1: mode \"mple.org\""},
		{"ex!ample.org enforce\n", "list:1: \"ex!ample.org\" is not a domain"},
		{"example.org enforce mx..example.org\n", "is not an MX pattern"},
		{"example.org enforce a b c d e f g h i\n", "more than 8 MX patterns"},
		{"example.org sts-file\n", "sts-file takes one PATH"},
		{"example.org sts-file /nonexistent/tlswatch-policy\n", "list:1: /nonexistent"},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct policy *p = policy_new(NULL);
		char err[512] = "";

		assert_int_equal(load(p, bad[i].text, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].want))
			fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].text, err, bad[i].want);
		policy_free(p);
	}
}

static int
parse_sts(const char *t, struct policy_sts *out, char *err, size_t errsz)
{
	return policy_parse_sts(t, strlen(t), out, err, errsz);
}

static void
test_policy_sts_file_is_parsed_as_rfc_8461_says(void **st)
{
	struct policy_sts sts;
	char err[256];

	(void)st;
	assert_int_equal(parse_sts("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
				   "mx: *.example.net\r\nmax_age: 604800\r\nfoo: bar\r\n",
				   &sts, err, sizeof(err)),
			 0);
	assert_int_equal(sts.mode, STS_ENFORCE);
	assert_int_equal(sts.n_mx, 2);
	assert_string_equal(sts.mx[1], "*.example.net");
	assert_int_equal(sts.max_age, 604800);
	assert_int_equal(
		parse_sts("version: STSv1\nmode: none\nmax_age: 1\n", &sts, err, sizeof(err)), 0);
	assert_int_equal(
		parse_sts("version: STSv2\nmode: none\nmax_age: 1\n", &sts, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: version is not STSv1");
	assert_int_equal(
		parse_sts("version: STSv1\nmode: testing\nmax_age: 1\n", &sts, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "no mx pattern"));
	assert_int_equal(
		parse_sts("version: STSv1\nmode: enforce\nmx: a\n", &sts, err, sizeof(err)), -1);
	assert_string_equal(err, "missing max_age");
	assert_int_equal(parse_sts("version: STSv1\nmode: none\nmax_age: 99999999999\n", &sts, err,
				   sizeof(err)),
			 -1);
	assert_int_equal(parse_sts("version STSv1\n", &sts, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: not \"key: value\"");
}

static void
test_policy_sts_file_line_of_the_list_reads_the_file(void **st)
{
	char dir[] = "/tmp/tlswatch-test-policy.XXXXXX", path[128], err[512] = "";
	struct policy *p = policy_new(NULL);
	struct session s;
	struct alert a[4];
	FILE *f;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/example.org.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 86400\n", f);
	fclose(f);
	assert_int_equal(policy_load_text(p, "list", dir, "example.org sts-file example.org.txt\n",
					  36, err, sizeof(err)),
			 0);
	learn_a(p, "mx.example.org", 25, 300, T0);
	smtp_session(&s, 25, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_int_equal(s.policy.mta_sts, STS_TESTING);
	policy_free(p);
	/* A broken policy file: the list line and the file's line. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("version: STSv1\nmode: strict\n", f);
	fclose(f);
	p = policy_new(NULL);
	assert_int_equal(policy_load_text(p, "list", dir, "example.org sts-file example.org.txt\n",
					  36, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "list:1: "));
	assert_non_null(strstr(err, "example.org.txt: line 2: mode"));
	policy_free(p);
	unlink(path);
	rmdir(dir);
}

static void
test_policy_mx_patterns_match_one_leftmost_label(void **st)
{
	(void)st;
	assert_true(policy_mx_match("mail.example.com", "MAIL.example.com."));
	assert_true(policy_mx_match("*.example.net", "mx1.example.net"));
	assert_false(policy_mx_match("*.example.net", "a.b.example.net"));
	assert_false(policy_mx_match("*.example.net", "example.net"));
	assert_false(policy_mx_match("mail.example.com", "mail.example.org"));
}

/* ---- The decision table ----------------------------------------------------------- */

static void
test_policy_decision_table(void **st)
{
	static const struct {
		enum sts_mode m;
		bool dane;
		enum verdict v;
		bool sts;
		enum severity sev;
		bool dane_alert;
	} rows[] = {
		{STS_ENFORCE, false, VERDICT_CLEARTEXT, true, SEVERITY_CRITICAL, false},
		{STS_ENFORCE, false, VERDICT_DOWNGRADED, true, SEVERITY_CRITICAL, false},
		{STS_ENFORCE, false, VERDICT_TLS_FAILED, true, SEVERITY_CRITICAL, false},
		{STS_ENFORCE, true, VERDICT_STARTTLS, false, 0, false},
		{STS_ENFORCE, true, VERDICT_IMPLICIT_TLS, false, 0, false},
		{STS_ENFORCE, true, VERDICT_UNKNOWN, false, 0, false},
		{STS_UNKNOWN, false, VERDICT_CLEARTEXT, true, SEVERITY_HIGH, false},
		{STS_UNKNOWN, false, VERDICT_DOWNGRADED, true, SEVERITY_HIGH, false},
		{STS_UNKNOWN, false, VERDICT_STARTTLS, false, 0, false},
		{STS_TESTING, false, VERDICT_CLEARTEXT, true, SEVERITY_MEDIUM, false},
		{STS_TESTING, true, VERDICT_DOWNGRADED, true, SEVERITY_MEDIUM, true},
		{STS_TESTING, false, VERDICT_STARTTLS, false, 0, false},
		{STS_NONE, false, VERDICT_CLEARTEXT, false, 0, false},
		{STS_NONE, true, VERDICT_CLEARTEXT, false, 0, true},
		{STS_ABSENT, true, VERDICT_TLS_FAILED, false, 0, true},
		{STS_ABSENT, false, VERDICT_CLEARTEXT, false, 0, false},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct policy_decision d;

		policy_decide(rows[i].m, rows[i].dane, rows[i].v, &d);
		if (d.sts_alert != rows[i].sts || (d.sts_alert && d.sts_severity != rows[i].sev) ||
		    d.dane_alert != rows[i].dane_alert ||
		    (d.dane_alert && d.dane_severity != SEVERITY_CRITICAL))
			fail_msg("row %zu: mta-sts %d/%d dane %d", i, d.sts_alert, d.sts_severity,
				 d.dane_alert);
	}
}

/* ---- Facts kept in --state and shared ------------------------------------------------- */

struct fact_list {
	char lines[32][POLICY_FACT_LINE_MAX];
	size_t n;
};

static void
collect_fact(void *ctx, const struct policy_fact *f)
{
	struct fact_list *l = ctx;

	assert_true(l->n < 32);
	assert_true(policy_fact_format(f, l->lines[l->n], sizeof(l->lines[0])) > 0);
	l->n++;
}

/* Every record of a store, as lines, into a new store as origin. */
static struct policy *
carry_over(struct policy *from, enum policy_source origin, struct fact_list *l)
{
	struct policy *to = policy_new(NULL);

	assert_non_null(to);
	memset(l, 0, sizeof(*l));
	policy_facts_each(from, collect_fact, l);
	for (size_t i = 0; i < l->n; i++) {
		struct policy_fact f;
		char why[128] = "";

		assert_true(policy_fact_parse(l->lines[i], &f, why, sizeof(why)));
		assert_true(policy_fact_put(to, &f, origin));
	}
	return to;
}

static void
test_policy_facts_round_trip_through_their_lines(void **st)
{
	struct policy *p = example_store(true, true), *q;
	struct fact_list l, l2;
	struct dns_msg m;
	struct dns_rr *rr;

	(void)st;
	/* One of each kind: an AAAA and a CNAME and a TLSRPT on top. */
	msg_init(&m, "mx6.example.org", DNS_TYPE_AAAA, true);
	rr = msg_rr(&m, DNS_TYPE_AAAA, "mx6.example.org", 600);
	memcpy(rr->u.addr, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, [15] = 0x25}, 16);
	policy_learn_msg(p, &m, T0);
	msg_init(&m, "alias.example.org", DNS_TYPE_CNAME, true);
	snprintf(msg_rr(&m, DNS_TYPE_CNAME, "alias.example.org", 60)->u.target, DNS_NAME_KEEP,
		 "mx.example.org");
	policy_learn_msg(p, &m, T0);
	learn_txt(p, "_smtp._tls.example.org", "v=TLSRPTv1; rua=mailto:r@example.org", 300, T0);
	q = carry_over(p, POLICY_SOURCE_STATE, &l);
	assert_int_equal(l.n, 7); /* mx, a, aaaa, cname, sts, tlsrpt, tlsa */
	/* Written again, the lines are the same, byte for byte. */
	policy_free(carry_over(q, POLICY_SOURCE_STATE, &l2));
	assert_int_equal(l2.n, l.n);
	for (size_t i = 0; i < l.n; i++) {
		bool same = false;

		for (size_t j = 0; j < l2.n; j++)
			same = same || strcmp(l.lines[i], l2.lines[j]) == 0;
		assert_true(same);
	}
	for (size_t i = 0; i < l.n; i++)
		if (strncmp(l.lines[i], "policy tlsa ", 12) == 0)
			assert_string_equal(
				l.lines[i],
				"policy tlsa mx.example.org 25 ad 3 1 1 "
				"0000000000000000000000000000000000000000000000000000000000000000 "
				"1700003600000000 1700000000000000");
	policy_free(q);
	policy_free(p);
}

static void
test_policy_a_session_judged_with_remembered_facts_has_source_state(void **st)
{
	struct policy *p = example_store(true, true), *q;
	struct fact_list l;
	struct session s, s2;
	struct alert a[4], b[4];

	(void)st;
	q = carry_over(p, POLICY_SOURCE_STATE, &l);
	smtp_session(&s, 25, T0 + 10 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	s2 = s;
	assert_int_equal(policy_judge(p, &s, a, 4), 2);
	assert_int_equal(policy_judge(q, &s2, b, 4), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a[i].kind, b[i].kind);
		assert_int_equal(a[i].severity, b[i].severity);
		assert_string_equal(a[i].evidence, b[i].evidence);
	}
	assert_int_equal(s.policy.source, POLICY_SOURCE_DNS);
	assert_int_equal(s2.policy.source, POLICY_SOURCE_STATE);
	assert_true(s2.policy.dane);
	/* Another sensor's facts say so. */
	policy_free(q);
	q = carry_over(p, POLICY_SOURCE_SHARED, &l);
	smtp_session(&s2, 25, T0 + 10 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(q, &s2, b, 4), 2);
	assert_int_equal(s2.policy.source, POLICY_SOURCE_SHARED);
	/* The same answer seen again in this run makes the record this run's. */
	learn_mx(q, "example.org", "mx.example.org", 3600, T0 + 20 * SEC);
	learn_a(q, "mx.example.org", 25, 3600, T0 + 20 * SEC);
	learn_txt(q, "_mta-sts.example.org", "v=STSv1; id=20260101T000000;", 3600, T0 + 20 * SEC);
	learn_tlsa(q, "_25._tcp.mx.example.org", true, 3600, T0 + 20 * SEC);
	smtp_session(&s2, 25, T0 + 30 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(q, &s2, b, 4), 2);
	assert_int_equal(s2.policy.source, POLICY_SOURCE_DNS);
	policy_free(q);
	policy_free(p);
}

static void
test_policy_facts_expired_when_the_run_begins_are_dropped_and_counted(void **st)
{
	struct policy *p = example_store(true, true), *q;
	struct policy_stats ps;
	struct fact_list l;
	struct session s;
	struct alert a[4];

	(void)st;
	q = carry_over(p, POLICY_SOURCE_STATE, &l);
	policy_clock(q, T0 + 7200 * SEC); /* the first packet: an hour after expiry */
	policy_stats_get(q, &ps);
	assert_int_equal(ps.facts_stored, 4); /* mx, a, sts, tlsa */
	assert_int_equal(ps.facts_expired, 4);
	smtp_session(&s, 25, T0 + 7300 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(q, &s, a, 4), 0);
	memset(&l, 0, sizeof(l));
	policy_facts_each(q, collect_fact, &l);
	assert_int_equal(l.n, 0); /* nothing left to save */
	policy_free(q);
	/* A fact that expired before the packets now seen is not taken. */
	q = policy_new(NULL);
	policy_clock(q, T0 + 7200 * SEC);
	{
		struct policy_fact f;
		char why[64];

		assert_true(policy_fact_parse("policy tlsrpt example.org 1700003600000000 "
					      "1700000000000000",
					      &f, why, sizeof(why)));
		assert_false(policy_fact_put(q, &f, POLICY_SOURCE_SHARED));
	}
	policy_free(q);
	policy_free(p);
}

static void
test_policy_hostile_and_truncated_fact_lines_are_refused(void **st)
{
	static const char *const bad[] = {
		"",
		"policy",
		"policy ",
		"server 4 10.0.0.1 25 smtp offered 1",
		"policy mxx example.org mx.example.org 2 1",
		"policy mx example.org mx.example.org 2",
		"policy mx example.org mx.example.org 2 1 0",
		"policy mx Example.org mx.example.org 2 1",
		"policy mx {example.org} mx.example.org 2 1",
		"policy mx example.org mx\x01.example.org 2 1",
		"policy mx example.org mx.example.org 1 2",
		"policy mx example.org mx.example.org 0 0",
		"policy mx example.org mx.example.org -2 1",
		"policy mx example.org mx.example.org 2x 1",
		"policy mx example.org mx.example.org 18446744073709551616 1",
		"policy addr mx.example.org 5 192.0.2.1 2 1",
		"policy addr mx.example.org 4 2001:db8::1 2 1",
		"policy addr mx.example.org 6 192.0.2.300 2 1",
		"policy addr mx.example.org 4 192.0.2.1 2",
		"policy sts example.org id-with-dash 2 1",
		"policy sts example.org 123456789012345678901234567890123 2 1",
		"policy tlsrpt example.org - 2 1",
		"policy tlsa mx.example.org 0 ad 2 1",
		"policy tlsa mx.example.org 65536 ad 2 1",
		"policy tlsa mx.example.org 25 yes 2 1",
		"policy tlsa mx.example.org 25 ad 2 1 x",
	};
	char name[200], line[POLICY_FACT_LINE_MAX * 2], why[128];
	struct policy_fact f;
	const char *good = "policy tlsa mx.example.org 25 noad 1700003600000000 1700000000000000";

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (policy_fact_parse(bad[i], &f, why, sizeof(why)))
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_true(why[0] != '\0');
	}
	/* A name one byte too long; a line too long for the reader. */
	memset(name, 'a', 128);
	name[128] = '\0';
	snprintf(line, sizeof(line), "policy tlsrpt %s 2 1", name);
	assert_false(policy_fact_parse(line, &f, why, sizeof(why)));
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "policy mx ", 10);
	assert_false(policy_fact_parse(line, &f, why, sizeof(why)));
	/* Every cut of a good line is refused, or is itself a line that
	 * writes back the same (a cut in the last number). */
	assert_true(policy_fact_parse(good, &f, why, sizeof(why)));
	assert_false(f.ad);
	for (size_t n = 0; n < strlen(good); n++) {
		char cut[POLICY_FACT_LINE_MAX], again[POLICY_FACT_LINE_MAX];

		snprintf(cut, sizeof(cut), "%.*s", (int)n, good);
		if (!policy_fact_parse(cut, &f, why, sizeof(why)))
			continue;
		assert_true(policy_fact_format(&f, again, sizeof(again)) > 0);
		assert_string_equal(again, cut);
		assert_true(n > strlen(good) - 17);
	}
	/* A fact that cannot be written back is not written. */
	memset(&f, 0, sizeof(f));
	f.kind = POLICY_FACT_MX;
	snprintf(f.name, sizeof(f.name), "example.org");
	snprintf(f.value, sizeof(f.value), "mx host");
	f.expires_us = 2;
	assert_int_equal(policy_fact_format(&f, line, sizeof(line)), 0);
	snprintf(f.value, sizeof(f.value), "mx.example.org");
	assert_true(policy_fact_format(&f, line, sizeof(line)) > 0);
	assert_int_equal(policy_fact_format(&f, line, 10), 0);
}

struct told {
	int n;
	struct policy_fact last;
	uint32_t ttl;
};

static void
count_told(void *ctx, const struct policy_fact *f, uint32_t ttl_s)
{
	struct told *t = ctx;

	t->n++;
	t->last = *f;
	t->ttl = ttl_s;
}

static void
test_policy_learned_records_are_told_once_until_half_their_ttl_is_gone(void **st)
{
	struct policy *p = policy_new(NULL);
	struct told t = {0};

	(void)st;
	policy_on_learn(p, count_told, &t);
	learn_mx(p, "example.org", "mx.example.org", 3600, T0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.ttl, 3600);
	assert_int_equal(t.last.kind, POLICY_FACT_MX);
	assert_string_equal(t.last.value, "mx.example.org");
	/* The same answer to other clients soon after: nothing new to tell. */
	learn_mx(p, "example.org", "mx.example.org", 3590, T0 + 10 * SEC);
	assert_int_equal(t.n, 1);
	/* Past half its TTL, the refresh is told (the shared key renewed). */
	learn_mx(p, "example.org", "mx.example.org", 3600, T0 + 1900 * SEC);
	assert_int_equal(t.n, 2);
	/* A change is told at once: the TLSA answer loses its AD bit. */
	learn_tlsa(p, "_25._tcp.mx.example.org", true, 3600, T0 + 1900 * SEC);
	assert_int_equal(t.n, 3);
	assert_true(t.last.ad);
	learn_tlsa(p, "_25._tcp.mx.example.org", false, 3600, T0 + 1901 * SEC);
	assert_int_equal(t.n, 4);
	assert_false(t.last.ad);
	/* Facts from the state or another sensor are not told again. */
	{
		struct policy_fact f;
		char why[64];

		assert_true(policy_fact_parse("policy tlsrpt example.org 1800003600000000 "
					      "1700000000000000",
					      &f, why, sizeof(why)));
		assert_true(policy_fact_put(p, &f, POLICY_SOURCE_SHARED));
		assert_int_equal(t.n, 4);
	}
	policy_free(p);
}

/* ---- Certificates (TLS <= 1.2) ---------------------------------------------------- */

/* A TLSA record with its association: data is 32 bytes, all of them v. */
static void
learn_tlsa_assoc(struct policy *p, uint8_t usage, uint8_t selector, uint8_t matching, uint8_t v)
{
	struct dns_msg m;
	struct dns_rr *rr;

	msg_init(&m, "_25._tcp.mx.example.org", DNS_TYPE_TLSA, true);
	rr = msg_rr(&m, DNS_TYPE_TLSA, "_25._tcp.mx.example.org", 3600);
	rr->u.tlsa.usage = usage;
	rr->u.tlsa.selector = selector;
	rr->u.tlsa.matching = matching;
	rr->u.tlsa.len = matching == 2 ? 64 : 32;
	memset(rr->u.tlsa.data, v, rr->u.tlsa.len);
	policy_learn_msg(p, &m, T0);
}

/* An upgraded session whose server sent a certificate for names, chain
 * certificates long, each hash of certificate k filled with k+1. */
static void
cert_session(struct session *s, const char *names, uint8_t chain, bool self_signed)
{
	struct tls_cert *c = &s->tf.cert;

	smtp_session(s, 25, T0 + SEC, VERDICT_STARTTLS, REASON_NONE);
	c->state = TLS_CERT_READ;
	c->chain = chain;
	c->hashed = chain < TLS_CERT_HASHED ? chain : TLS_CERT_HASHED;
	c->self_signed = self_signed;
	c->linked = 0xff; /* every link of the chain holds */
	snprintf(c->subject, sizeof(c->subject), "test");
	snprintf(c->names, sizeof(c->names), "%s", names);
	for (uint8_t k = 0; k < c->hashed; k++)
		memset(&c->h[k], k + 1, sizeof(c->h[k]));
}

/* mx.example.org, MX of example.org at 192.0.2.25, with one validated TLSA
 * record (usage, selector, matching, data all v). */
static struct policy *
dane_store(uint8_t usage, uint8_t selector, uint8_t matching, uint8_t v)
{
	struct policy *p = policy_new(NULL);

	assert_non_null(p);
	learn_mx(p, "example.org", "mx.example.org", 3600, T0);
	learn_a(p, "mx.example.org", 25, 3600, T0);
	learn_tlsa_assoc(p, usage, selector, matching, v);
	return p;
}

static size_t
judge_kinds(struct policy *p, struct session *s, struct alert *a, size_t max, uint32_t *kinds)
{
	size_t n = policy_judge(p, s, a, max);

	*kinds = 0;
	for (size_t i = 0; i < n; i++)
		*kinds |= 1u << a[i].kind;
	return n;
}

static void
test_policy_dane_ee_record_matching_the_leaf_is_quiet_and_any_other_is_a_mismatch(void **st)
{
	struct policy *p = dane_store(3, 1, 1, 1); /* the leaf's SPKI SHA-256 (all 1s) */
	struct session s;
	struct alert a[4];
	uint32_t kinds;

	(void)st;
	cert_session(&s, "mx.example.org", 1, true);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	assert_true(s.policy.dane);
	/* A certificate whose hashes are 2s: an interceptor's. */
	memset(&s.tf.cert.h[0], 2, sizeof(s.tf.cert.h[0]));
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 1);
	assert_int_equal(a[0].kind, ALERT_DANE_MISMATCH);
	assert_int_equal(a[0].severity, SEVERITY_CRITICAL);
	assert_non_null(strstr(a[0].evidence, "possible interception"));
	assert_non_null(strstr(a[0].evidence, "3 1 1 01010101"));
	assert_non_null(strstr(a[0].evidence, "mail transfer not visible"));
	assert_true(s.alerts & (1u << ALERT_DANE_MISMATCH));
	/* SHA-512 (matching 2), full certificate (selector 0) also match. */
	learn_tlsa_assoc(p, 3, 0, 2, 2);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	/* No certificate seen (TLS 1.3): nothing to compare. */
	s.tf.cert.state = TLS_CERT_ENCRYPTED;
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	policy_free(p);
}

static void
test_policy_dane_ta_matches_any_hashed_issuer_and_a_longer_chain_is_not_judged(void **st)
{
	struct policy *p = dane_store(2, 0, 1, 3); /* the third certificate of the chain */
	struct session s;
	struct alert a[4];
	uint32_t kinds;

	(void)st;
	cert_session(&s, "mx.example.org", 3, false);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	/* Two certificates only: the anchor is missing from what was sent. */
	cert_session(&s, "mx.example.org", 2, false);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 1);
	assert_int_equal(a[0].kind, ALERT_DANE_MISMATCH);
	/* Five sent, three hashed, none matching: the anchor may be one of the
	 * two not hashed, so no claim is made. */
	cert_session(&s, "mx.example.org", 5, false);
	memset(&s.tf.cert.h[2], 9, sizeof(s.tf.cert.h[2]));
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	/* The anchor appended by an interceptor: its leaf does not chain up to
	 * it (the link from the second to the third does not hold). */
	cert_session(&s, "mx.example.org", 3, false);
	s.tf.cert.linked = 1;
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 1);
	assert_int_equal(a[0].kind, ALERT_DANE_MISMATCH);
	/* ... and so with filler certificates: a chain cut below them is
	 * judged on what holds. */
	cert_session(&s, "mx.example.org", 6, false);
	s.tf.cert.linked = 0;
	memset(&s.tf.cert.h[2], 9, sizeof(s.tf.cert.h[2]));
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 1);
	/* Usages 0 and 1 (PKIX) are not SMTP DANE (RFC 7672 3.1.3): unusable,
	 * never compared. */
	policy_free(p);
	p = dane_store(1, 1, 1, 7);
	cert_session(&s, "mx.example.org", 1, false);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	assert_true(s.policy.dane);
	policy_free(p);
}

static void
test_policy_mta_sts_wants_a_pkix_certificate_naming_the_mx(void **st)
{
	struct policy *p = example_store(true, false);
	struct session s;
	struct alert a[4];
	uint32_t kinds;

	(void)st;
	cert_session(&s, "*.example.org", 2, false); /* covers mx.example.org */
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	cert_session(&s, "example.org,mail.example.net", 1, true);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 2);
	assert_int_equal(kinds, 1u << ALERT_CERT_NAME_MISMATCH | 1u << ALERT_CERT_SELF_SIGNED);
	assert_int_equal(a[0].severity, SEVERITY_MEDIUM); /* mode unknown */
	assert_non_null(strstr(a[0].evidence, "do not include the MX mx.example.org"));
	assert_non_null(strstr(a[1].evidence, "self-signed"));
	/* A name list cut short may hold the MX among the names not kept. */
	cert_session(&s, "example.org,mail.example.net", 1, false);
	s.tf.cert.names_cut = true;
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	/* Without MTA-STS (DANE only), names and self-signing are not checked
	 * (RFC 7672 3.1.1: DANE-EE binds the key, not the names). */
	policy_free(p);
	p = example_store(false, true);
	learn_tlsa_assoc(p, 3, 1, 1, 1);
	cert_session(&s, "other.example.net", 1, true);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	policy_free(p);
}

static void
test_policy_more_tlsa_records_than_compared_never_claim_a_mismatch(void **st)
{
	struct policy *p = dane_store(3, 1, 1, 1);
	struct session s;
	struct alert a[4];
	uint32_t kinds;

	(void)st;
	for (uint8_t v = 2; v <= 9; v++) /* 9 records: one more than compared */
		learn_tlsa_assoc(p, 3, 1, 1, v);
	cert_session(&s, "mx.example.org", 1, false);
	memset(&s.tf.cert.h[0], 0x77, sizeof(s.tf.cert.h[0]));
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	policy_free(p);
}

static void
test_policy_the_name_is_checked_only_against_a_known_mx(void **st)
{
	struct policy *p = policy_new(NULL);
	struct session s;
	struct alert a[4];
	uint32_t kinds;

	(void)st;
	/* example.org has MTA-STS; the server is known only by an address
	 * name, reached for a RCPT TO domain: not known to be the MX. */
	learn_a(p, "host.example.net", 25, 3600, T0);
	learn_txt(p, "_mta-sts.example.org", "v=STSv1; id=1;", 3600, T0);
	cert_session(&s, "mx.example.org", 1, false);
	snprintf(own_of(&s)->rcpt_domain, sizeof(own_of(&s)->rcpt_domain), "example.org");
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	assert_int_equal(s.policy.mta_sts, STS_UNKNOWN);
	policy_free(p);
}

/* RFC 8461 4.1: an MX that no pattern of an enforce or testing policy
 * covers is mta-sts-mx-mismatch, whatever the session's protection; a
 * covered one, a policy without patterns known (DNS only) or mode none,
 * and a host reached only for a RCPT TO domain are not. */
static void
test_policy_an_mx_no_pattern_of_the_policy_covers_is_a_mismatch(void **st)
{
	struct policy *p = example_store(false, false);
	struct session s;
	struct alert a[4];
	uint32_t kinds;
	char err[128];

	(void)st;
	assert_int_equal(load(p, "example.org enforce mx1.example.org *.backup.example.org\n", err,
			      sizeof(err)),
			 0);
	cert_session(&s, "mx.example.org", 1, false);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 1);
	assert_int_equal(kinds, 1u << ALERT_MTA_STS_MX_MISMATCH);
	assert_int_equal(a[0].severity, SEVERITY_HIGH);
	assert_non_null(strstr(a[0].evidence, "lists MX mx1.example.org, *.backup.example.org"));
	assert_non_null(strstr(a[0].evidence, "went to mx.example.org"));
	assert_non_null(strstr(a[0].evidence, "learned from DNS"));
	assert_true(s.alerts & ALERTS_POLICY_VIOLATION);
	/* Stripped too: the violation and the mismatch, each said once. */
	smtp_session(&s, 25, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 2);
	assert_int_equal(kinds, 1u << ALERT_MTA_STS_VIOLATION | 1u << ALERT_MTA_STS_MX_MISMATCH);
	policy_free(p);

	/* Testing mode: low. */
	p = example_store(false, false);
	assert_int_equal(load(p, "example.org testing mx1.example.org\n", err, sizeof(err)), 0);
	cert_session(&s, "mx.example.org", 1, false);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 1);
	assert_int_equal(a[0].kind, ALERT_MTA_STS_MX_MISMATCH);
	assert_int_equal(a[0].severity, SEVERITY_LOW);
	policy_free(p);

	/* A pattern covering it (one leftmost label), and mode none: quiet. */
	p = example_store(false, false);
	assert_int_equal(load(p, "example.org enforce *.example.org\n", err, sizeof(err)), 0);
	cert_session(&s, "mx.example.org", 1, false);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	policy_free(p);
	p = example_store(false, false);
	assert_int_equal(load(p, "example.org none\n", err, sizeof(err)), 0);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	policy_free(p);

	/* Patterns unknown (the TXT record only): nothing to compare. */
	p = example_store(true, false);
	cert_session(&s, "mx.example.org", 1, false);
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	policy_free(p);

	/* A host reached for a RCPT TO domain need not be its MX. */
	p = policy_new(NULL);
	assert_non_null(p);
	learn_a(p, "host.example.net", 25, 3600, T0);
	assert_int_equal(load(p, "example.org enforce mx1.example.org\n", err, sizeof(err)), 0);
	cert_session(&s, "host.example.net", 1, false);
	snprintf(own_of(&s)->rcpt_domain, sizeof(own_of(&s)->rcpt_domain), "example.org");
	assert_int_equal(judge_kinds(p, &s, a, 4, &kinds), 0);
	assert_int_equal(s.policy.mta_sts, STS_ENFORCE);
	policy_free(p);
}

static void
test_policy_tlsa_association_round_trips_and_old_lines_still_parse(void **st)
{
	struct policy_fact f;
	char why[128] = "", line[POLICY_FACT_LINE_MAX], id[200];
	const char *with = "policy tlsa mx.example.org 25 ad 3 1 1 "
			   "0102030405060708091011121314151617181920212223242526272829303132 "
			   "1700003600000000 1700000000000000";

	(void)st;
	assert_true(policy_fact_parse(with, &f, why, sizeof(why)));
	assert_true(f.tlsa.usable);
	assert_int_equal(f.tlsa.usage, 3);
	assert_int_equal(f.tlsa.data[31], 0x32);
	assert_true(policy_fact_format(&f, line, sizeof(line)) > 0);
	assert_string_equal(line, with);
	assert_true(policy_fact_id(&f, id, sizeof(id)) > 0);
	assert_string_equal(id, "tlsa:25:3:1:1:"
				"0102030405060708091011121314151617181920212223242526272829303132");
	/* A line of an earlier state file: no association, still a TLSA fact. */
	assert_true(policy_fact_parse("policy tlsa mx.example.org 25 ad 1700003600000000 "
				      "1700000000000000",
				      &f, why, sizeof(why)));
	assert_false(f.tlsa.usable);
	assert_true(policy_fact_id(&f, id, sizeof(id)) > 0);
	assert_string_equal(id, "tlsa:25");
	/* Associations SMTP DANE cannot use, or malformed, are refused. */
	const char *bad[] = {
		"policy tlsa mx.example.org 25 ad 1 1 1 "
		"0102030405060708091011121314151617181920212223242526272829303132 2 1",
		"policy tlsa mx.example.org 25 ad 3 2 1 "
		"0102030405060708091011121314151617181920212223242526272829303132 2 1",
		"policy tlsa mx.example.org 25 ad 3 1 3 "
		"0102030405060708091011121314151617181920212223242526272829303132 2 1",
		"policy tlsa mx.example.org 25 ad 3 1 1 0102 2 1",
		"policy tlsa mx.example.org 25 ad 3 1 1 "
		"zz02030405060708091011121314151617181920212223242526272829303132 2 1",
		"policy tlsa mx.example.org 25 ad 3 1 1 2 1",
		"policy tlsa mx.example.org 25 ad 2 1 3 1 1 "
		"0102030405060708091011121314151617181920212223242526272829303132",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (policy_fact_parse(bad[i], &f, why, sizeof(why)))
			fail_msg("accepted: \"%s\"", bad[i]);
}

/* A TLS session at ts whose ClientHello names sni, judged (session id). */
static void
judge_fetch(struct policy *p, const char *sni, uint64_t id, uint64_t ts)
{
	struct session f;
	struct alert a[4];

	smtp_session(&f, 80, ts, VERDICT_IMPLICIT_TLS, REASON_NONE);
	f.id = id;
	f.server_port = 443;
	f.proto = NULL;
	f.service = "http";
	f.tf.client_hello = true;
	snprintf(f.tf.sni, sizeof(f.tf.sni), "%s", sni);
	assert_int_equal(policy_judge(p, &f, a, 4), 0);
}

static void
test_policy_a_senders_fetch_of_the_mta_sts_policy_reveals_it_without_the_txt(void **st)
{
	struct policy *p = policy_new(NULL);
	struct policy_stats ps;
	struct session s;
	struct alert a[4];

	(void)st;
	learn_mx(p, "example.org", "mx.example.org", 3600, T0);
	learn_a(p, "mx.example.org", 25, 3600, T0);
	judge_fetch(p, "www.example.org", 3, T0);     /* not a policy fetch */
	judge_fetch(p, "mta-sts.example.net", 4, T0); /* another domain's */
	smtp_session(&s, 25, T0 + SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	/* A fetch that starts after the session does not cover it. */
	judge_fetch(p, "MTA-STS.example.org", 5, T0 + 2 * SEC);
	assert_int_equal(policy_judge(p, &s, a, 4), 0);
	smtp_session(&s, 25, T0 + 3 * SEC, VERDICT_CLEARTEXT, REASON_NOT_OFFERED);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_int_equal(a[0].kind, ALERT_MTA_STS_VIOLATION);
	assert_int_equal(a[0].severity, SEVERITY_HIGH); /* mode unknown */
	assert_int_equal(s.policy.source, POLICY_SOURCE_SNI);
	assert_int_equal(s.policy.mta_sts, STS_UNKNOWN);
	assert_string_equal(policy_source_name(POLICY_SOURCE_SNI), "sni");
	assert_non_null(strstr(a[0].evidence, "in session #5 (SNI mta-sts.example.org; the "
					      "policy itself is encrypted)"));
	policy_stats_get(p, &ps);
	assert_int_equal(ps.sts_fetches, 2);
	/* With the TXT seen too, DNS is the source and the fetch is named. */
	learn_txt(p, "_mta-sts.example.org", "v=STSv1; id=1;", 3600, T0);
	assert_int_equal(policy_judge(p, &s, a, 4), 1);
	assert_int_equal(s.policy.source, POLICY_SOURCE_DNS);
	assert_non_null(strstr(a[0].evidence, "a sender did, in session #5"));
	policy_free(p);
}

static void
test_policy_fetches_beyond_the_table_are_forgotten_and_counted(void **st)
{
	struct policy *p = policy_new(NULL);
	struct policy_stats ps;
	char sni[64];

	(void)st;
	for (unsigned i = 0; i < POLICY_FETCHES + 3; i++) {
		snprintf(sni, sizeof(sni), "mta-sts.d%u.example", i);
		judge_fetch(p, sni, i + 1, T0);
	}
	policy_stats_get(p, &ps);
	assert_int_equal(ps.sts_fetches, POLICY_FETCHES + 3);
	assert_int_equal(ps.sts_fetches_forgotten, 3);
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_policy_mx_a_and_sts_txt_make_a_stripped_session_a_violation_of_unknown_mode),
		cmocka_unit_test(
			test_policy_validated_tlsa_is_dane_and_a_cleartext_session_violates_it),
		cmocka_unit_test(test_policy_a_later_tlsa_answer_without_ad_takes_dane_away),
		cmocka_unit_test(test_policy_starttls_session_gets_the_record_and_no_alert),
		cmocka_unit_test(test_policy_other_servers_ports_and_services_are_left_alone),
		cmocka_unit_test(test_policy_tlsrpt_txt_is_recorded_without_an_alert),
		cmocka_unit_test(test_policy_records_reached_through_cnames_count_for_the_question),
		cmocka_unit_test(test_policy_answers_with_an_error_and_queries_teach_nothing),
		cmocka_unit_test(test_policy_learns_from_wire_bytes_with_the_ad_bit),
		cmocka_unit_test(test_policy_records_expire_with_their_ttl_in_packet_time),
		cmocka_unit_test(
			test_policy_records_learned_again_after_expiry_still_cover_earlier_sessions),
		cmocka_unit_test(
			test_policy_answers_from_back_in_time_change_nothing_for_ended_sessions),
		cmocka_unit_test(
			test_policy_full_tables_reuse_expired_entries_then_evict_and_count),
		cmocka_unit_test(test_policy_index_follows_eviction_and_reuse),
		cmocka_unit_test(test_policy_slot_choice_matches_a_scan_of_the_table),
		cmocka_unit_test(test_policy_file_lines_set_modes_and_mx_patterns),
		cmocka_unit_test(test_policy_an_mx_no_pattern_of_the_policy_covers_is_a_mismatch),
		cmocka_unit_test(test_policy_file_bad_lines_name_their_line),
		cmocka_unit_test(test_policy_sts_file_is_parsed_as_rfc_8461_says),
		cmocka_unit_test(test_policy_sts_file_line_of_the_list_reads_the_file),
		cmocka_unit_test(test_policy_mx_patterns_match_one_leftmost_label),
		cmocka_unit_test(test_policy_decision_table),
		cmocka_unit_test(test_policy_facts_round_trip_through_their_lines),
		cmocka_unit_test(
			test_policy_a_session_judged_with_remembered_facts_has_source_state),
		cmocka_unit_test(
			test_policy_facts_expired_when_the_run_begins_are_dropped_and_counted),
		cmocka_unit_test(test_policy_hostile_and_truncated_fact_lines_are_refused),
		cmocka_unit_test(
			test_policy_learned_records_are_told_once_until_half_their_ttl_is_gone),
		cmocka_unit_test(
			test_policy_dane_ee_record_matching_the_leaf_is_quiet_and_any_other_is_a_mismatch),
		cmocka_unit_test(
			test_policy_dane_ta_matches_any_hashed_issuer_and_a_longer_chain_is_not_judged),
		cmocka_unit_test(test_policy_mta_sts_wants_a_pkix_certificate_naming_the_mx),
		cmocka_unit_test(
			test_policy_tlsa_association_round_trips_and_old_lines_still_parse),
		cmocka_unit_test(
			test_policy_more_tlsa_records_than_compared_never_claim_a_mismatch),
		cmocka_unit_test(test_policy_the_name_is_checked_only_against_a_known_mx),
		cmocka_unit_test(
			test_policy_a_senders_fetch_of_the_mta_sts_policy_reveals_it_without_the_txt),
		cmocka_unit_test(test_policy_fetches_beyond_the_table_are_forgotten_and_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
