/*
 * test_correlate.c - cross-session facts: capability-stripped in both
 * orders, tls-fallback windows, the state file across two runs (and a
 * corrupt one), auth offered once per server, login bruteforce, bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "correlate.h"
#include "proto.h"
#include "verdict.h"
#include "../../src/correlate_internal.h"

struct late {
	struct alert a[16];
	size_t n;
};

static void
collect(void *ctx, const struct alert *a)
{
	struct late *l = ctx;

	if (l->n < 16)
		l->a[l->n++] = *a;
}

/* A finished SMTP session to 10.0.0.1:port from 10.0.0.<client>. */
static void
mk(struct session *s, uint64_t id, uint64_t t_sec, uint16_t port, uint8_t client)
{
	session_init(s, id, t_sec * 1000000);
	s->ts_last_us = s->ts_first_us + 1000;
	s->family = 4;
	s->server_ip[0] = 10;
	s->server_ip[3] = 1;
	s->client_ip[0] = 10;
	s->client_ip[3] = client;
	s->server_port = port;
	s->client_port = 40000;
	s->service = "smtp";
	s->plain_seen = true;
	s->end = END_FIN;
}

static void
mk_capa(struct session *s, uint64_t id, uint64_t t, bool offered)
{
	mk(s, id, t, 25, 2);
	s->pf.capa_seen = true;
	s->pf.tls_offered = offered;
	s->verdict = VERDICT_CLEARTEXT;
	s->reason = offered ? REASON_NOT_REQUESTED : REASON_NOT_OFFERED;
}

/* What the engine's judge does after verdict_judge (the test sets the
 * session's own verdict): correlation's facts, then made the session's. */
static size_t
judge_with(struct correlate *c, struct session *s, struct alert *out, size_t max,
	   correlate_alert_fn fn, void *ctx)
{
	struct correlate_facts cf;
	size_t n = correlate_observe(c, s, &cf, out, max, fn, ctx);

	verdict_apply_correlation(s, &cf);
	return n;
}

static struct correlate *
new_corr(const char *state)
{
	struct correlate_config cfg;
	char warn[256];
	struct correlate *c;

	correlate_config_defaults(&cfg);
	cfg.state_path = state;
	c = correlate_new(&cfg, warn, sizeof(warn));
	assert_non_null(c);
	assert_string_equal(warn, "");
	return c;
}

/* A session that showed no capability list (offer-unseen) is not-requested
 * once the same server is known to offer TLS, by a list or by an upgrade,
 * and never capability-stripped: nothing was seen to be missing. */
static void
test_offer_unseen_becomes_not_requested_when_the_server_is_known_to_offer(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct session s, up;
	struct alert out[8];

	(void)st;
	mk(&s, 1, 100, 110, 2);
	s.verdict = VERDICT_CLEARTEXT;
	s.reason = REASON_OFFER_UNSEEN;
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	assert_int_equal(s.reason, REASON_OFFER_UNSEEN); /* nothing known yet */
	mk_capa(&s, 2, 110, true);
	s.server_port = 110;
	judge_with(c, &s, out, 8, NULL, NULL);
	mk(&s, 3, 120, 110, 3);
	s.verdict = VERDICT_CLEARTEXT;
	s.reason = REASON_OFFER_UNSEEN;
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	assert_int_equal(s.verdict, VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_NOT_REQUESTED);
	/* Another server, known only by a session that upgraded. */
	mk(&up, 4, 130, 389, 2);
	up.verdict = VERDICT_STARTTLS;
	judge_with(c, &up, out, 8, NULL, NULL);
	mk(&s, 5, 140, 389, 3);
	s.verdict = VERDICT_CLEARTEXT;
	s.reason = REASON_OFFER_UNSEEN;
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	assert_int_equal(s.reason, REASON_NOT_REQUESTED);
	correlate_free(c);
}

/* correlate_observe only reports: the session keeps its own verdict until
 * the judge applies the facts. */
static void
test_correlation_reports_facts_and_leaves_the_session_alone(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct correlate_facts cf;
	struct session s1, s2;
	struct alert out[8];

	(void)st;
	mk_capa(&s1, 1, 100, true);
	assert_int_equal(correlate_observe(c, &s1, &cf, out, 8, NULL, NULL), 0);
	assert_int_equal(cf.verdict, VERDICT_CLEARTEXT);
	assert_int_equal(cf.reason, REASON_NOT_REQUESTED);
	assert_int_equal(cf.alerts, 0);
	mk_capa(&s2, 2, 110, false);
	assert_int_equal(correlate_observe(c, &s2, &cf, out, 8, NULL, NULL), 1);
	assert_int_equal(s2.verdict, VERDICT_CLEARTEXT);
	assert_int_equal(s2.reason, REASON_NOT_OFFERED);
	assert_int_equal(s2.alerts, 0);
	assert_int_equal(cf.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(cf.reason, REASON_CAPABILITY_STRIPPED);
	assert_int_equal(cf.alerts, 1u << ALERT_CAPABILITY_STRIPPED);
	verdict_apply_correlation(&s2, &cf);
	assert_int_equal(s2.verdict, VERDICT_DOWNGRADED);
	assert_true(s2.alerts & (1u << ALERT_CAPABILITY_STRIPPED));
	correlate_free(c);
}

static void
test_a_session_lacking_the_offer_after_one_that_had_it_is_stripped(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct session s1, s2;
	struct alert out[8];
	struct late l = {0};

	(void)st;
	mk_capa(&s1, 1, 100, true);
	assert_int_equal(judge_with(c, &s1, out, 8, collect, &l), 0);
	mk_capa(&s2, 2, 110, false);
	assert_int_equal(judge_with(c, &s2, out, 8, collect, &l), 1);
	assert_int_equal(s2.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(s2.reason, REASON_CAPABILITY_STRIPPED);
	assert_int_equal(out[0].kind, ALERT_CAPABILITY_STRIPPED);
	assert_int_equal(out[0].session_id, 2);
	assert_non_null(strstr(out[0].evidence, "#1"));
	assert_int_equal(l.n, 0);
	correlate_free(c);
}

/* The evidence names what the stripped session lacked in its protocol's own
 * word: IRC's CAP LS token "tls", MySQL's CLIENT_SSL flag, not the request
 * (STARTTLS, SSLRequest) nobody could send. */
static void
test_stripped_evidence_names_the_offer_in_the_protocols_own_word(void **st)
{
	static const struct {
		const char *service, *word;
	} cases[] = {
		{"smtp", "STARTTLS not offered, "},
		{"irc", "tls not offered, "},
		{"mysql", "CLIENT_SSL not offered, "},
		{"ftp", "AUTH TLS not offered, "},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct correlate *c = new_corr(NULL);
		struct session s1, s2;
		struct alert out[8];

		mk_capa(&s1, 1, 100, true);
		s1.service = cases[i].service;
		judge_with(c, &s1, out, 8, NULL, NULL);
		mk_capa(&s2, 2, 110, false);
		s2.service = cases[i].service;
		assert_int_equal(judge_with(c, &s2, out, 8, NULL, NULL), 1);
		assert_int_equal(out[0].kind, ALERT_CAPABILITY_STRIPPED);
		assert_ptr_equal(strstr(out[0].evidence, cases[i].word), out[0].evidence);
		correlate_free(c);
	}
}

/* Issue 10: capability stripping across sessions and across runs (the
 * state file), and tls-fallback, for every protocol of the registry whose
 * server offers the upgrade, each on its own cleartext port and with its
 * own offer word in the evidence. */
static void
test_every_protocol_with_an_offer_gets_stripping_state_and_fallback(void **st)
{
	size_t checked = 0;

	(void)st;
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];
		uint16_t port = d->clear_ports[0] ? d->clear_ports[0] : 25;
		char path[] = "/tmp/tlswatch-state-XXXXXX";
		char word[64], err[256];
		struct correlate *c;
		struct session s1, s2, f, r;
		struct alert out[8];
		int fd;

		if (!d->feed || !d->upgrade.offer || !(d->transports & PROTO_TCP))
			continue;
		snprintf(word, sizeof(word), "%s not offered, ", d->upgrade.offer);

		/* One run: the offer, then a session without it. */
		fd = mkstemp(path);
		assert_true(fd >= 0);
		close(fd);
		unlink(path);
		c = new_corr(path);
		mk_capa(&s1, 1, 100, true);
		s1.service = d->name;
		s1.server_port = port;
		judge_with(c, &s1, out, 8, NULL, NULL);
		mk_capa(&s2, 2, 110, false);
		s2.service = d->name;
		s2.server_port = port;
		if (judge_with(c, &s2, out, 8, NULL, NULL) != 1 ||
		    s2.reason != REASON_CAPABILITY_STRIPPED ||
		    strstr(out[0].evidence, word) != out[0].evidence)
			fail_msg("%s: stripping on %u not seen with \"%s\"", d->name, port, word);
		assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
		correlate_free(c);

		/* The next run knows the offer from the state file. */
		c = new_corr(path);
		mk_capa(&s2, 3, 200, false);
		s2.service = d->name;
		s2.server_port = port;
		if (judge_with(c, &s2, out, 8, NULL, NULL) != 1 ||
		    s2.reason != REASON_CAPABILITY_STRIPPED ||
		    !strstr(out[0].evidence, "earlier run"))
			fail_msg("%s: the state file did not carry the offer on %u", d->name, port);

		/* A failed handshake, then the same client in cleartext. */
		mk(&f, 4, 300, port, 7);
		f.service = d->name;
		f.verdict = VERDICT_TLS_FAILED;
		f.reason = REASON_ALERT;
		judge_with(c, &f, out, 8, NULL, NULL);
		mk(&r, 5, 302, port, 7);
		r.service = d->name;
		r.verdict = VERDICT_CLEARTEXT;
		r.reason = REASON_NOT_REQUESTED;
		if (judge_with(c, &r, out, 8, NULL, NULL) != 1 || r.reason != REASON_TLS_FALLBACK ||
		    out[0].kind != ALERT_TLS_FALLBACK)
			fail_msg("%s: no tls-fallback on %u", d->name, port);
		correlate_free(c);
		unlink(path);
		snprintf(err, sizeof(err), "%s.bak", path);
		unlink(err);
		checked++;
	}
	/* 14 today: smtp, imap, pop3, ftp, ldap, nntp, xmpp, sieve, irc,
	 * postgres, mysql, telnet, http, diameter. */
	assert_true(checked >= 14);
}

static void
test_sessions_lacking_the_offer_before_it_is_seen_get_a_late_alert(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct session s1, s2, s3;
	struct alert out[8];
	struct late l = {0};

	(void)st;
	mk_capa(&s1, 1, 100, false);
	assert_int_equal(judge_with(c, &s1, out, 8, collect, &l), 0);
	assert_int_equal(s1.verdict, VERDICT_CLEARTEXT);
	mk_capa(&s2, 2, 101, false);
	judge_with(c, &s2, out, 8, collect, &l);
	mk_capa(&s3, 3, 102, true);
	assert_int_equal(judge_with(c, &s3, out, 8, collect, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.a[0].session_id, 1);
	assert_int_equal(l.a[1].session_id, 2);
	assert_int_equal(l.a[0].kind, ALERT_CAPABILITY_STRIPPED);
	assert_non_null(strstr(l.a[0].evidence, "#3"));
	/* Each late alert names its own session's flow, not the one that
	 * brought the evidence. */
	assert_int_equal(l.a[0].flow_id, session_flow_id(&s1));
	assert_int_equal(l.a[1].flow_id, session_flow_id(&s2));
	assert_int_not_equal(l.a[1].flow_id, session_flow_id(&s3));
	assert_int_equal(l.a[0].client_port, s1.client_port);
	assert_int_equal(s3.verdict, VERDICT_CLEARTEXT);
	correlate_free(c);
}

static void
test_other_ports_and_masked_or_starttls_sessions_are_not_stripped(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct session s1, s2, s3, s4;
	struct alert out[8];
	struct late l = {0};

	(void)st;
	mk_capa(&s1, 1, 100, true);
	judge_with(c, &s1, out, 8, collect, &l);
	mk_capa(&s2, 2, 101, false);
	s2.server_port = 587;
	assert_int_equal(judge_with(c, &s2, out, 8, collect, &l), 0);
	assert_int_equal(s2.verdict, VERDICT_CLEARTEXT);
	mk_capa(&s3, 3, 102, false);
	s3.pf.indicators = IND_CAPA_MASKED;
	s3.verdict = VERDICT_DOWNGRADED;
	s3.reason = REASON_CAPABILITY_MASKED;
	assert_int_equal(judge_with(c, &s3, out, 8, collect, &l), 0);
	assert_int_equal(s3.reason, REASON_CAPABILITY_MASKED);
	mk_capa(&s4, 4, 103, false);
	s4.pf.capa_seen = false; /* HELO: no capability list, no evidence */
	assert_int_equal(judge_with(c, &s4, out, 8, collect, &l), 0);
	assert_int_equal(s4.verdict, VERDICT_CLEARTEXT);
	correlate_free(c);
}

static void
test_cleartext_retry_after_a_failed_handshake_is_a_fallback(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct session f, r1, r2, other;
	struct alert out[8];

	(void)st;
	mk(&f, 1, 1000, 25, 2);
	f.verdict = VERDICT_TLS_FAILED;
	f.reason = REASON_ALERT;
	judge_with(c, &f, out, 8, NULL, NULL);
	mk(&other, 2, 1010, 25, 3); /* another client */
	other.verdict = VERDICT_CLEARTEXT;
	assert_int_equal(judge_with(c, &other, out, 8, NULL, NULL), 0);
	assert_int_equal(other.verdict, VERDICT_CLEARTEXT);
	mk(&r1, 3, 1020, 25, 2);
	r1.verdict = VERDICT_CLEARTEXT;
	r1.reason = REASON_NOT_REQUESTED;
	assert_int_equal(judge_with(c, &r1, out, 8, NULL, NULL), 1);
	assert_int_equal(r1.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(r1.reason, REASON_TLS_FALLBACK);
	assert_int_equal(out[0].kind, ALERT_TLS_FALLBACK);
	assert_non_null(strstr(out[0].evidence, "#1"));
	mk(&r2, 4, 1000 + 301, 25, 2); /* outside the 300 s window */
	r2.verdict = VERDICT_CLEARTEXT;
	assert_int_equal(judge_with(c, &r2, out, 8, NULL, NULL), 0);
	assert_int_equal(r2.verdict, VERDICT_CLEARTEXT);
	correlate_free(c);
}

/* CORRELATE_MAX_PAIRS + 1000 cleartext sessions to 10.0.0.1:port at t
 * seconds, each from a client of its own: DNS queries over UDP, or POP3
 * sessions with a failed login. */
static void
flood_clients(struct correlate *c, uint64_t first_id, uint64_t t, uint16_t port, bool failed_login)
{
	struct alert out[8];

	for (uint32_t i = 0; i < CORRELATE_MAX_PAIRS + 1000; i++) {
		struct session s;

		mk(&s, first_id + i, t, port, 0);
		s.client_ip[1] = (uint8_t)(i >> 16);
		s.client_ip[2] = (uint8_t)(i >> 8);
		s.client_ip[3] = (uint8_t)i;
		s.verdict = VERDICT_CLEARTEXT;
		if (failed_login) {
			s.service = "pop3";
			s.reason = REASON_NOT_OFFERED;
			s.pf.n_logins = 1;
			s.pf.logins[0].outcome = LOGIN_FAILURE;
		} else {
			s.service = "dns";
			s.l4 = 17;
			s.reason = REASON_NO_TLS_PROTOCOL;
		}
		judge_with(c, &s, out, 8, NULL, NULL);
	}
}

/* More cleartext sessions from distinct clients than there are pair
 * records (a DNS flood: every query a session) push out nothing: a
 * cleartext session only looks its pair up. The client whose handshake
 * failed before the flood still gets its tls-fallback after it; failed
 * logins still make pairs, and those are forgotten oldest first. */
static void
test_a_flood_of_cleartext_clients_keeps_the_pair_of_a_failed_handshake(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct correlate_stats cs;
	struct session f, r;
	struct alert out[8];

	(void)st;
	mk(&f, 1, 1000, 25, 2);
	f.verdict = VERDICT_TLS_FAILED;
	f.reason = REASON_ALERT;
	judge_with(c, &f, out, 8, NULL, NULL);
	flood_clients(c, 10, 1001, 53, false);
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.pairs_forgotten, 0);
	mk(&r, 2, 1020, 25, 2);
	r.verdict = VERDICT_CLEARTEXT;
	r.reason = REASON_NOT_REQUESTED;
	assert_int_equal(judge_with(c, &r, out, 8, NULL, NULL), 1);
	assert_int_equal(out[0].kind, ALERT_TLS_FALLBACK);
	assert_int_equal(r.verdict, VERDICT_DOWNGRADED);

	/* Failed logins from as many clients: pairs made, the oldest (the
	 * failed handshake's among them) forgotten and counted. */
	flood_clients(c, 100000, 1030, 110, true);
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.pairs_forgotten, 1001);
	mk(&r, 3, 1040, 25, 2);
	r.verdict = VERDICT_CLEARTEXT;
	r.reason = REASON_NOT_REQUESTED;
	assert_int_equal(judge_with(c, &r, out, 8, NULL, NULL), 0);
	assert_int_equal(r.verdict, VERDICT_CLEARTEXT);
	correlate_free(c);
}

/* Issue 10: Postfix behind a proxy that said 220 to STARTTLS and answered
 * the ClientHello in cleartext retried in cleartext; the broken session
 * (no-tls-after-accept) counts as the failed attempt. */
static void
test_cleartext_retry_after_a_broken_upgrade_is_a_fallback(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct session b, r, late;
	struct alert out[8];

	(void)st;
	mk(&b, 1, 1000, 25, 2);
	b.verdict = VERDICT_DOWNGRADED;
	b.reason = REASON_NO_TLS_AFTER_ACCEPT;
	assert_int_equal(judge_with(c, &b, out, 8, NULL, NULL), 0);
	assert_int_equal(b.reason, REASON_NO_TLS_AFTER_ACCEPT);
	mk(&r, 2, 1002, 25, 2);
	r.verdict = VERDICT_CLEARTEXT;
	r.reason = REASON_NOT_REQUESTED;
	assert_int_equal(judge_with(c, &r, out, 8, NULL, NULL), 1);
	assert_int_equal(r.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(r.reason, REASON_TLS_FALLBACK);
	assert_int_equal(out[0].kind, ALERT_TLS_FALLBACK);
	assert_non_null(
		strstr(out[0].evidence, "upgrade accepted but no TLS followed in session #1"));
	/* Another downgrade (a refusal) is no failed attempt. */
	mk(&b, 3, 2000, 25, 5);
	b.verdict = VERDICT_DOWNGRADED;
	b.reason = REASON_UPGRADE_REFUSED;
	judge_with(c, &b, out, 8, NULL, NULL);
	mk(&late, 4, 2001, 25, 5);
	late.verdict = VERDICT_CLEARTEXT;
	late.reason = REASON_NOT_REQUESTED;
	assert_int_equal(judge_with(c, &late, out, 8, NULL, NULL), 0);
	assert_int_equal(late.verdict, VERDICT_CLEARTEXT);
	correlate_free(c);
}

static void
test_the_state_file_carries_offers_to_the_next_run(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX";
	int fd = mkstemp(path);
	struct correlate *c;
	struct session s1, s2;
	struct alert out[8];
	char err[256];

	(void)st;
	assert_true(fd >= 0);
	close(fd);
	unlink(path); /* a missing state file is not an error */
	c = new_corr(path);
	mk_capa(&s1, 1, 100, true);
	judge_with(c, &s1, out, 8, NULL, NULL);
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	correlate_free(c);

	c = new_corr(path);
	mk_capa(&s2, 1, 200, false);
	assert_int_equal(judge_with(c, &s2, out, 8, NULL, NULL), 1);
	assert_int_equal(s2.reason, REASON_CAPABILITY_STRIPPED);
	assert_non_null(strstr(out[0].evidence, "earlier run"));
	correlate_free(c);
	unlink(path);
}

/* Writes text to a new temporary file; its path is in path. */
static void
state_write(char *path, const char *text)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static struct correlate *
state_open(const char *path, char *warn, size_t warnsz)
{
	struct correlate_config cfg;
	struct correlate *c;

	correlate_config_defaults(&cfg);
	cfg.state_path = path;
	c = correlate_new(&cfg, warn, warnsz);
	assert_non_null(c);
	return c;
}

static void
state_cleanup(const char *path)
{
	char p[256];

	unlink(path);
	snprintf(p, sizeof(p), "%s.bak", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s.bad", path);
	unlink(p);
}

/* A part of the state file of another module's (the mail policies'): it
 * takes "part ok ..." lines and refuses the others, keeping what it took. */
struct part_lines {
	char got[4][64];
	int n;
};

static bool
part_load(void *ctx, const char *line, char *why, size_t whysz)
{
	struct part_lines *pl = ctx;

	if (strncmp(line, "part ok ", 8) != 0 || pl->n == 4) {
		snprintf(why, whysz, "a part line that is not ok");
		return false;
	}
	snprintf(pl->got[pl->n++], sizeof(pl->got[0]), "%s", line);
	return true;
}

static void
part_save(void *ctx, void (*put)(void *pctx, const char *line), void *pctx)
{
	struct part_lines *pl = ctx;

	for (int i = 0; i < pl->n; i++)
		put(pctx, pl->got[i]);
	put(pctx, "part with\na newline is not written");
}

static struct correlate *
state_open_part(const char *path, struct part_lines *pl, char *warn, size_t warnsz)
{
	struct correlate_config cfg;
	struct correlate *c;

	correlate_config_defaults(&cfg);
	cfg.state_path = path;
	cfg.part.word = "part";
	cfg.part.ctx = pl;
	cfg.part.load = part_load;
	cfg.part.save = part_save;
	c = correlate_new(&cfg, warn, warnsz);
	assert_non_null(c);
	return c;
}

static void
test_state_version_2_carries_the_lines_of_a_part_and_names_a_bad_one(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX", warn[512], err[256], line[128];
	struct part_lines pl = {0}, pl2 = {0};
	struct correlate_stats cs;
	struct correlate *c;
	FILE *f;
	int n = 0;

	(void)st;
	state_write(path, "tlswatch-state 2\nserver 4 10.0.0.1 25 smtp offered 1\n"
			  "part ok one\npart bad\npart ok two\n");
	c = state_open_part(path, &pl, warn, sizeof(warn));
	assert_non_null(strstr(warn,
			       "line 4 is not valid: a part line that is not ok (1 bad "
			       "line skipped, 1 servers, 0 certificates and 2 other lines loaded"));
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.state_part_loaded, 2);
	assert_int_equal(pl.n, 2);
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	correlate_free(c);
	/* Written as version 2, the part's lines after the servers. */
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		static const char *const want[] = {"tlswatch-state 2\n",
						   "server 4 10.0.0.1 25 smtp offered 1\n",
						   "part ok one\n", "part ok two\n"};

		assert_true(n < 4);
		assert_string_equal(line, want[n]);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 4);
	c = state_open_part(path, &pl2, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(pl2.n, 2);
	correlate_free(c);
	state_cleanup(path);
}

static void
test_state_version_1_still_loads_and_has_no_part_lines(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX", warn[512];
	struct part_lines pl = {0};
	struct correlate_stats cs;
	struct correlate *c;

	(void)st;
	state_write(path, "tlswatch-state 1\nserver 4 10.0.0.1 25 smtp offered 1\n");
	c = state_open_part(path, &pl, warn, sizeof(warn));
	assert_string_equal(warn, "");
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.state_servers_loaded, 1);
	correlate_free(c);
	unlink(path);
	/* Version 1 knew no part: such a line there is not valid. */
	strcpy(path, "/tmp/tlswatch-state-XXXXXX");
	state_write(path, "tlswatch-state 1\npart ok one\n");
	c = state_open_part(path, &pl, warn, sizeof(warn));
	assert_non_null(strstr(warn, "line 2 is not valid"));
	assert_int_equal(pl.n, 0);
	correlate_free(c);
	state_cleanup(path);
}

static void
test_a_bad_state_line_is_skipped_and_the_good_ones_are_kept(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX", bad[64], warn[256], err[256];
	struct correlate *c;
	struct session s;
	struct alert out[8];
	struct correlate_stats cs;

	(void)st;
	state_write(path, "tlswatch-state 1\nserver 4 10.0.0.1 25 smtp offered 1\ngarbage\n");
	c = state_open(path, warn, sizeof(warn));
	assert_non_null(strstr(warn, "line 3 is not valid: not \"server FAMILY"));
	assert_non_null(strstr(
		warn, "(1 bad line skipped, 1 servers, 0 certificates and 0 other lines loaded"));
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.state_servers_loaded, 1);
	mk_capa(&s, 1, 100, false);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 1);
	assert_int_equal(s.reason, REASON_CAPABILITY_STRIPPED);
	/* The file that held the bad line is kept aside, not lost. */
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	assert_int_equal(access(bad, F_OK), 0);
	correlate_free(c);
	state_cleanup(path);
}

static void
test_a_truncated_last_state_line_is_not_accepted(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX", warn[256];
	struct correlate *c;
	struct correlate_stats cs;

	(void)st;
	/* The last line lost its end (a crash mid-write): its port reads as 2. */
	state_write(path, "tlswatch-state 1\nserver 4 10.0.0.1 25 smtp offered 1\n"
			  "server 4 10.0.0.2 2");
	c = state_open(path, warn, sizeof(warn));
	assert_non_null(strstr(warn, "line 3 is not valid"));
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.state_servers_loaded, 1);
	correlate_free(c);
	state_cleanup(path);
}

static void
test_state_lines_carry_the_transport_and_keep_it_on_save(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX", warn[256], err[256], line[128];
	struct correlate *c;
	struct correlate_stats cs;
	FILE *f;
	int n = 0, udp = 0, tcp = 0, sctp = 0;

	(void)st;
	/* A bare port and "/tcp" are TCP, "/udp" UDP, "/sctp" SCTP; another
	 * suffix is not valid. The same address and port on two transports are
	 * two servers. */
	state_write(path, "tlswatch-state 1\nserver 4 10.0.0.1 53 dns offered 1\n"
			  "server 4 10.0.0.1 53/udp dns offered 2\n"
			  "server 4 10.0.0.2 25/tcp smtp offered 3\n"
			  "server 4 10.0.0.3 3868/sctp diameter offered 4\n"
			  "server 4 10.0.0.3 25/icmp smtp offered 5\n");
	c = state_open(path, warn, sizeof(warn));
	assert_non_null(strstr(warn, "line 6 is not valid"));
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.state_servers_loaded, 4);
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		n++;
		udp += strcmp(line, "server 4 10.0.0.1 53/udp dns offered 2\n") == 0;
		sctp += strcmp(line, "server 4 10.0.0.3 3868/sctp diameter offered 4\n") == 0;
		tcp += strcmp(line, "server 4 10.0.0.1 53 dns offered 1\n") == 0 ||
		       strcmp(line, "server 4 10.0.0.2 25 smtp offered 3\n") == 0;
	}
	fclose(f);
	assert_int_equal(n, 5); /* the header and four servers */
	assert_int_equal(udp, 1);
	assert_int_equal(sctp, 1);
	assert_int_equal(tcp, 2);
	correlate_free(c);
	state_cleanup(path);
}

static void
test_a_state_file_without_its_header_is_ignored_and_kept_aside(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX", bad[64], warn[256], err[256];
	struct correlate *c;
	struct session s;
	struct alert out[8];
	FILE *f;
	char line[64];

	(void)st;
	state_write(path, "server 4 10.0.0.1 25 smtp offered 1\n");
	c = state_open(path, warn, sizeof(warn));
	assert_non_null(strstr(warn, "state ignored"));
	mk_capa(&s, 1, 100, false);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	f = fopen(bad, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "server 4 10.0.0.1 25 smtp offered 1\n");
	fclose(f);
	correlate_free(c);
	state_cleanup(path);
}

static void
test_a_good_state_file_is_kept_as_bak_when_replaced(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX", bak[64], warn[256], err[256];
	struct correlate *c;

	(void)st;
	state_write(path, "tlswatch-state 1\nserver 4 10.0.0.9 25 smtp offered 1\n");
	c = state_open(path, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	snprintf(bak, sizeof(bak), "%s.bak", path);
	assert_int_equal(access(bak, F_OK), 0);
	correlate_free(c);
	state_cleanup(path);
}

static void
test_a_fifo_as_state_file_neither_blocks_nor_is_replaced(void **st)
{
	char dir[] = "/tmp/tlswatch-state-XXXXXX", path[64], warn[256], err[256];
	struct correlate *c;
	struct stat sb;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	c = state_open(path, warn, sizeof(warn)); /* would block forever before */
	assert_non_null(strstr(warn, "not a regular file"));
	assert_int_equal(correlate_save(c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not saved"));
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
	correlate_free(c);
	unlink(path);
	rmdir(dir);
}

static void
test_auth_offered_in_cleartext_is_raised_once_per_server(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct session s1, s2;
	struct alert out[8];

	(void)st;
	mk_capa(&s1, 1, 100, true);
	s1.pf.auth_cleartext_offered = true;
	assert_int_equal(judge_with(c, &s1, out, 8, NULL, NULL), 1);
	assert_int_equal(out[0].kind, ALERT_AUTH_OFFERED_CLEARTEXT);
	assert_int_equal(out[0].severity, SEVERITY_LOW);
	mk_capa(&s2, 2, 101, true);
	s2.pf.auth_cleartext_offered = true;
	assert_int_equal(judge_with(c, &s2, out, 8, NULL, NULL), 0);
	correlate_free(c);
}

static void
test_five_failed_logins_in_the_window_raise_one_bruteforce_alert(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct alert out[8];
	size_t total = 0;

	(void)st;
	for (int i = 0; i < 6; i++) {
		struct session s;
		struct login *l;

		mk(&s, (uint64_t)i + 1, 100 + (uint64_t)i, 143, 7);
		s.verdict = VERDICT_CLEARTEXT;
		l = proto_facts_add_login(&s.pf, "LOGIN");
		strcpy(l->username, "alice");
		l->outcome = LOGIN_FAILURE;
		total += judge_with(c, &s, out, 8, NULL, NULL);
	}
	assert_int_equal(total, 1);
	assert_int_equal(out[0].kind, ALERT_LOGIN_BRUTEFORCE);
	assert_non_null(strstr(out[0].evidence, "alice"));
	correlate_free(c);
}

static void
test_memory_is_bounded_and_forgetting_is_counted(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct correlate_stats cs;
	struct alert out[8];

	(void)st;
	for (uint32_t i = 0; i < CORRELATE_MAX_SERVERS + 100; i++) {
		struct session s;

		mk_capa(&s, i + 1, 100, true);
		s.server_ip[1] = (uint8_t)(i >> 16);
		s.server_ip[2] = (uint8_t)(i >> 8);
		s.server_ip[3] = (uint8_t)i;
		judge_with(c, &s, out, 8, NULL, NULL);
	}
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.servers_forgotten, 100);
	/* The oldest went; the newest got a record of its own, nothing left of
	 * the forgotten server whose block it reuses. */
	{
		uint8_t first[16] = {10, 0, 0, 0}, last[16] = {10};
		uint32_t i = CORRELATE_MAX_SERVERS + 99;
		struct server_rec *r;

		assert_null(correlate_server_get(c, 4, first, 25, 6, false));
		last[1] = (uint8_t)(i >> 16);
		last[2] = (uint8_t)(i >> 8);
		last[3] = (uint8_t)i;
		r = correlate_server_get(c, 4, last, 25, 6, false);
		assert_non_null(r);
		assert_memory_equal(r->ip, last, 16);
		assert_int_equal(r->n_offered_ids, 1);
		assert_int_equal(r->offered_ids[0], i + 1);
		assert_int_equal(r->n_lacked_ids, 0);
	}
	correlate_free(c);
}

/* A session of server 10.0.0.1:25 whose TLS 1.2 certificate hashes to all
 * v, issued by issuer. */
static void
mk_cert(struct session *s, uint64_t id, uint64_t t, uint8_t v, const char *issuer, bool self)
{
	mk(s, id, t, 25, 2);
	s->verdict = VERDICT_STARTTLS;
	s->tf.cert.state = TLS_CERT_READ;
	s->tf.cert.chain = 1;
	s->tf.cert.hashed = 1;
	s->tf.cert.self_signed = self;
	memset(s->tf.cert.h[0].cert256, v, 32);
	snprintf(s->tf.cert.issuer, sizeof(s->tf.cert.issuer), "%s", issuer);
}

static void
test_a_server_presenting_another_certificate_is_cert_changed(void **st)
{
	struct correlate *c = new_corr(NULL);
	struct session s;
	struct alert out[8];

	(void)st;
	mk_cert(&s, 1, 100, 1, "R3", false);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	mk_cert(&s, 2, 110, 1, "R3", false); /* the same one again */
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	/* Renewed by the same issuer: low. */
	mk_cert(&s, 3, 120, 2, "R3", false);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 1);
	assert_int_equal(out[0].kind, ALERT_CERT_CHANGED);
	assert_int_equal(out[0].severity, SEVERITY_LOW);
	assert_true(s.alerts & (1u << ALERT_CERT_CHANGED));
	assert_non_null(strstr(out[0].evidence,
			       "sha256 0202020202020202... (issuer R3) replaces "
			       "0101010101010101... (issuer R3) seen in session #2"));
	/* A self-signed one from nowhere: medium. */
	mk_cert(&s, 4, 130, 3, "mx.example.test", true);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 1);
	assert_int_equal(out[0].severity, SEVERITY_MEDIUM);
	assert_non_null(strstr(out[0].evidence, "self-signed"));
	/* TLS 1.3 (encrypted) tells nothing; another port is another server. */
	mk_cert(&s, 5, 140, 4, "R3", false);
	s.tf.cert.state = TLS_CERT_ENCRYPTED;
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	mk_cert(&s, 6, 150, 4, "R3", false);
	s.server_port = 587;
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	correlate_free(c);
}

/* --state redis:// with Redis down: this sensor's own certificates still
 * judge (as without a state), the lookups that could not reach the shared
 * state and the certificates that could not be written are counted. */
static void
test_certificates_are_judged_locally_when_the_shared_state_is_down(void **st)
{
	struct correlate_config cfg;
	struct correlate_stats cs;
	struct correlate *c;
	struct session s;
	struct alert out[8];
	char warn[256] = "", err[256] = "";

	(void)st;
	correlate_config_defaults(&cfg);
	cfg.state_path = "redis://127.0.0.1:1";
	cfg.sensor = "tap-a";
	c = correlate_new(&cfg, warn, sizeof(warn));
	assert_non_null(c);
	assert_non_null(strstr(warn, "cannot connect"));
	mk_cert(&s, 1, 100, 1, "R3", false);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	mk_cert(&s, 2, 110, 1, "R3", false);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	mk_cert(&s, 3, 120, 2, "Other CA", false);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 1);
	assert_int_equal(out[0].kind, ALERT_CERT_CHANGED);
	assert_int_equal(out[0].severity, SEVERITY_MEDIUM);
	assert_non_null(strstr(out[0].evidence, "(issuer R3) seen in session #2"));
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	correlate_stats_get(c, &cs);
	assert_true(cs.shared_on);
	assert_int_equal(cs.shared_cert_unchecked, 3);
	assert_int_equal(cs.shared_cert_sent, 0);
	assert_int_equal(cs.shared_cert_dropped, 2); /* the first, and the change */
	assert_int_equal(cs.shared_hits, 0);
	correlate_free(c);
}

/* A DTLS server's certificate (read since DTLS 1.2 Certificates are):
 * 4433/udp is its own server, compared with what 4433/udp presented
 * before and never with 4433/tcp, and kept as "4433/udp" in the state. */
static void
test_a_dtls_server_is_compared_with_what_it_presented_over_udp(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX";
	int fd = mkstemp(path);
	struct correlate *c;
	struct session s;
	struct alert out[8];
	char err[256], line[512];
	FILE *f;
	bool seen = false;

	(void)st;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	c = new_corr(path);
	mk_cert(&s, 1, 100, 1, "R3", false);
	s.server_port = 4433; /* TCP */
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	mk_cert(&s, 2, 110, 2, "R3", false);
	s.server_port = 4433;
	s.l4 = 17; /* DTLS: another server than 4433/tcp */
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 0);
	mk_cert(&s, 3, 120, 3, "R3", false);
	s.server_port = 4433;
	s.l4 = 17;
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 1);
	assert_int_equal(out[0].kind, ALERT_CERT_CHANGED);
	assert_int_equal(out[0].l4, 17);
	assert_non_null(strstr(out[0].evidence, "replaces 0202020202020202... (issuer R3)"));
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	correlate_free(c);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		seen = seen || strncmp(line, "cert 4 10.0.0.1 4433/udp 03030303", 33) == 0;
	fclose(f);
	assert_true(seen);
	c = new_corr(path);
	mk_cert(&s, 1, 200, 4, "R3", false);
	s.server_port = 4433;
	s.l4 = 17;
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 1);
	assert_non_null(strstr(out[0].evidence, "replaces 0303030303030303... (issuer R3) seen "
						"in an earlier run"));
	correlate_free(c);
	unlink(path);
}

static void
test_the_state_file_carries_certificates_to_the_next_run(void **st)
{
	char path[] = "/tmp/tlswatch-state-XXXXXX";
	int fd = mkstemp(path);
	struct correlate *c;
	struct correlate_stats cs;
	struct session s;
	struct alert out[8];
	char err[256], line[512];
	FILE *f;
	bool seen = false;

	(void)st;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	c = new_corr(path);
	mk_cert(&s, 1, 100, 0xab, "Example CA 2", false);
	judge_with(c, &s, out, 8, NULL, NULL);
	assert_int_equal(correlate_save(c, err, sizeof(err)), 0);
	correlate_free(c);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		seen = seen || strncmp(line, "cert 4 10.0.0.1 25 abababab", 27) == 0;
	fclose(f);
	assert_true(seen);

	c = new_corr(path);
	correlate_stats_get(c, &cs);
	assert_int_equal(cs.state_certs_loaded, 1);
	mk_cert(&s, 1, 200, 0xcd, "Other CA", false);
	assert_int_equal(judge_with(c, &s, out, 8, NULL, NULL), 1);
	assert_int_equal(out[0].kind, ALERT_CERT_CHANGED);
	assert_int_equal(out[0].severity, SEVERITY_MEDIUM); /* another issuer */
	assert_non_null(strstr(out[0].evidence, "(issuer Example CA 2) seen in an earlier run"));
	correlate_free(c);
	unlink(path);
	/* Bad cert lines are refused, named, and the rest is kept. */
	char bad[] = "/tmp/tlswatch-state-XXXXXX";

	state_write(bad, "tlswatch-state 2\n"
			 "cert 4 10.0.0.1 25 abab other 1\n"
			 "cert 4 10.0.0.1 25 "
			 "abababababababababababababababababababababababababababababababab "
			 "maybe 1\n"
			 "cert 4 10.0.0.1 25 "
			 "abababababababababababababababababababababababababababababababab "
			 "other -1\n"
			 "cert 4 10.0.0.1 25 "
			 "abababababababababababababababababababababababababababababababab"
			 "other 5\n"
			 "cert 4  10.0.0.1 25 "
			 "abababababababababababababababababababababababababababababababab "
			 "other 5\n"
			 "cert 4 10.0.0.1 25 "
			 "abababababababababababababababababababababababababababababababab "
			 "self 5 Example CA\n");
	c = state_open(bad, err, sizeof(err));
	assert_non_null(strstr(err, "not \"cert FAMILY ADDRESS PORT SHA256 self|other LAST"));
	assert_non_null(strstr(err, "5 bad lines skipped"));
	assert_non_null(strstr(err, "1 certificates"));
	correlate_free(c);
	state_cleanup(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_correlation_reports_facts_and_leaves_the_session_alone),
		cmocka_unit_test(
			test_offer_unseen_becomes_not_requested_when_the_server_is_known_to_offer),
		cmocka_unit_test(
			test_a_session_lacking_the_offer_after_one_that_had_it_is_stripped),
		cmocka_unit_test(
			test_sessions_lacking_the_offer_before_it_is_seen_get_a_late_alert),
		cmocka_unit_test(test_stripped_evidence_names_the_offer_in_the_protocols_own_word),
		cmocka_unit_test(
			test_every_protocol_with_an_offer_gets_stripping_state_and_fallback),
		cmocka_unit_test(test_other_ports_and_masked_or_starttls_sessions_are_not_stripped),
		cmocka_unit_test(test_cleartext_retry_after_a_failed_handshake_is_a_fallback),
		cmocka_unit_test(
			test_a_flood_of_cleartext_clients_keeps_the_pair_of_a_failed_handshake),
		cmocka_unit_test(test_cleartext_retry_after_a_broken_upgrade_is_a_fallback),
		cmocka_unit_test(test_the_state_file_carries_offers_to_the_next_run),
		cmocka_unit_test(test_a_server_presenting_another_certificate_is_cert_changed),
		cmocka_unit_test(test_a_dtls_server_is_compared_with_what_it_presented_over_udp),
		cmocka_unit_test(test_the_state_file_carries_certificates_to_the_next_run),
		cmocka_unit_test(
			test_certificates_are_judged_locally_when_the_shared_state_is_down),
		cmocka_unit_test(test_a_bad_state_line_is_skipped_and_the_good_ones_are_kept),
		cmocka_unit_test(
			test_state_version_2_carries_the_lines_of_a_part_and_names_a_bad_one),
		cmocka_unit_test(test_state_version_1_still_loads_and_has_no_part_lines),
		cmocka_unit_test(test_a_truncated_last_state_line_is_not_accepted),
		cmocka_unit_test(test_state_lines_carry_the_transport_and_keep_it_on_save),
		cmocka_unit_test(test_a_state_file_without_its_header_is_ignored_and_kept_aside),
		cmocka_unit_test(test_a_good_state_file_is_kept_as_bak_when_replaced),
		cmocka_unit_test(test_a_fifo_as_state_file_neither_blocks_nor_is_replaced),
		cmocka_unit_test(test_auth_offered_in_cleartext_is_raised_once_per_server),
		cmocka_unit_test(test_five_failed_logins_in_the_window_raise_one_bruteforce_alert),
		cmocka_unit_test(test_memory_is_bounded_and_forgetting_is_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
