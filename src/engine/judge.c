/*
 * judge.c - a finished session becomes output: its verdict (verdict.c), the
 * cross-session findings (correlate.c), its evidence file (--evidence), the
 * counters, then the session record and its alerts to the sinks. Runs in
 * the single thread or, with workers, under the output lock (the judge
 * thread, or the front waiting for it), never in a worker.
 */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "verdict.h"

/* Alerts about earlier sessions, raised by the correlation. */
static void
engine_late_alert(void *ctx, const struct alert *a)
{
	struct engine *e = ctx;

	e->st.alerts++;
	correlate_publish_alert(e->corr, a);
	if (e->out.alert)
		e->out.alert(e->out.ctx, a);
}

/* Late capability-stripped alerts from offers other sensors announced
 * (--state redis://): at each judged session and each tick, so that an
 * idle sensor raises them too. */
void
engine_shared_late(struct engine *e)
{
	if (e->corr)
		correlate_shared_late(e->corr, engine_late_alert, e);
}

static bool
engine_has_secret(const struct session *s)
{
	for (size_t i = 0; i < s->pf.n_logins; i++)
		if (s->pf.logins[i].has_secret)
			return true;
	return false;
}

/* The name of the session's evidence file, and its path as alerts show it. */
static void
engine_evidence_name(const struct engine *e, const struct session *s, char *name, size_t namesz,
		     char *path, size_t pathsz)
{
	char ts[40];
	time_t t = (time_t)(s->ts_first_us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, namesz, "%s-session%" PRIu64 "-%s-%u.pcap", ts, s->id, s->service,
		 s->server_port);
	snprintf(path, pathsz, "%s/%s", e->cfg.evidence_dir ? e->cfg.evidence_dir : ".", name);
}

/* Writes the session's kept packets for its alerts (those raised now, n,
 * or while it was open); names the file in them. */
static void
engine_write_evidence(struct engine *e, const struct session *s, const struct evidence_buf *ev,
		      struct alert *alerts, size_t n)
{
	char name[256], path[512], err[600];

	if (e->cfg.evidence_dirfd < 0 || (n == 0 && !s->alerts_early) || !ev->head)
		return;
	if (engine_has_secret(s) && !e->cfg.show_secrets) {
		e->st.evidence_withheld++;
		return;
	}
	engine_evidence_name(e, s, name, sizeof(name), path, sizeof(path));
	if (evidence_write(ev, e->cfg.evidence_dirfd, name, err, sizeof(err)) < 0) {
		if (e->st.evidence_failed++ == 0)
			fprintf(stderr, "tlswatch: --evidence: %s\n", err);
		return;
	}
	e->st.evidence_files++;
	for (size_t i = 0; i < n; i++)
		snprintf(alerts[i].pcap, sizeof(alerts[i].pcap), "%s", path);
}

/*
 * A control session whose data connections were judged before it: their
 * tally, and data-cleartext when the control connection was encrypted but
 * files went in the clear (PROT C, or data that ignored PROT P).
 */
static size_t
engine_judge_data(struct engine *e, struct session *s, struct alert *out, size_t max)
{
	char ev[160];

	links_control_judged(e->links, s);
	if (s->data_cleartext == 0 ||
	    (s->verdict != VERDICT_STARTTLS && s->verdict != VERDICT_IMPLICIT_TLS))
		return 0;
	s->alerts |= 1u << ALERT_DATA_CLEARTEXT;
	if (max == 0)
		return 0;
	verdict_alert_init(out, s, ALERT_DATA_CLEARTEXT, SEVERITY_MEDIUM);
	snprintf(ev, sizeof(ev), "%u of %u data connections in cleartext, control connection %s",
		 s->data_cleartext, s->data_sessions, verdict_name(s->verdict));
	text_escape(out->evidence, sizeof(out->evidence), (const uint8_t *)ev, strlen(ev));
	return 1;
}

/* Judges a finished session (reassembly flushed, end set) and hands it and
 * its alerts to the output; ev holds its kept packets. */
void
engine_judge(struct engine *e, struct session *s, const struct evidence_buf *ev,
	     bool ndpi_cleartext)
{
	struct alert alerts[ENGINE_ALERTS_MAX];
	struct verdict_input vin;
	struct correlate_facts cf;
	size_t n;

	if (s->bytes[DIR_C2S] + s->bytes[DIR_S2C] == 0 && !s->gap && !e->cfg.show_empty) {
		/* An unanswered SYN, a handshake and a close: nothing was said,
		 * nothing to judge. Counted, kept out of the sessions and shares. */
		e->st.sessions_empty++;
		return;
	}
	links_claim(e->links, s);
	session_name_service(s);
	vin.ndpi_cleartext = ndpi_cleartext;
	n = verdict_judge(s, &vin, alerts, ENGINE_ALERTS_MAX);
	if (s->link)
		links_data_judged(e->links, s);
	else
		n += engine_judge_data(e, s, alerts + n, ENGINE_ALERTS_MAX - n);
	n += correlate_observe(e->corr, s, &cf, alerts + n, ENGINE_ALERTS_MAX - n,
			       engine_late_alert, e);
	verdict_apply_correlation(s, &cf);
	engine_shared_late(e);
	engine_policy_take_shared(e); /* what other sensors learned, first */
	n += policy_judge(e->policy, s, alerts + n, ENGINE_ALERTS_MAX - n);
	if (s->policy.source == POLICY_SOURCE_SHARED)
		correlate_policy_hit(e->corr);
	correlate_count(e->corr, s, n > 0);
	engine_write_evidence(e, s, ev, alerts, n);
	e->st.sessions++;
	e->st.alerts += n;
	e->st.parser_cap_hits += s->pf.cap_hits + s->tf.cap_hits;
	e->st.logins_dropped += s->pf.logins_dropped;
	e->st.bypassed_bytes += s->bypassed_bytes;
	correlate_publish_session(e->corr, s);
	for (size_t i = 0; i < n; i++)
		correlate_publish_alert(e->corr, &alerts[i]);
	if (e->out.session)
		e->out.session(e->out.ctx, s);
	for (size_t i = 0; i < n; i++)
		if (e->out.alert)
			e->out.alert(e->out.ctx, &alerts[i]);
}

void
engine_judge_conn(struct engine *e, struct conn *c)
{
	engine_judge(e, &c->sess, &c->ev, c->ndpi_cleartext);
}

/* What verdict_early reads, in one word: when it has not changed since the
 * last look, nothing new can be raised (and the registry is not asked
 * about the port on every packet). Never 0 for a recognised session. */
static uint32_t
engine_early_sig(const struct session *s)
{
	uint32_t sig = 1u << 31 | (s->pf.indicators & 0xffffu) << 8 | s->pf.n_logins;

	for (size_t i = 0; i < s->pf.n_logins; i++)
		if (s->pf.logins[i].outcome != LOGIN_UNKNOWN)
			sig += 1u << 4;
	if (s->pf.upgrade_refused)
		sig |= 1u << 24;
	if (s->pf.switch_to_tls)
		sig |= 1u << 25;
	return sig;
}

void
engine_early(struct engine *e, struct conn *c)
{
	struct alert alerts[ENGINE_ALERTS_MAX];
	struct session *s = &c->sess;
	uint32_t sig;
	size_t n;

	if (!s->plain_seen)
		return;
	sig = engine_early_sig(s);
	if (sig == c->early_sig)
		return;
	c->early_sig = sig;
	n = verdict_early(s, alerts, ENGINE_ALERTS_MAX);
	if (n)
		e->own->early(e, c, alerts, n);
}

/*
 * Alerts an open session raised, to the outputs now; the session's record
 * follows when it ends. With --evidence the session's packets are written
 * when it ends (all that were kept by then; a file is never written over),
 * and not at all if by then it carried a login secret, unless
 * --show-secrets: so only then is the file certain, and named now.
 */
void
engine_raise_early(struct engine *e, const struct session *s, struct alert *a, size_t n,
		   bool has_ev)
{
	char name[256], path[512];

	if (e->cfg.evidence_dirfd >= 0 && has_ev && e->cfg.show_secrets) {
		engine_evidence_name(e, s, name, sizeof(name), path, sizeof(path));
		for (size_t i = 0; i < n; i++)
			snprintf(a[i].pcap, sizeof(a[i].pcap), "%s", path);
	}
	e->st.alerts += n;
	if (e->out.session_open)
		e->out.session_open(e->out.ctx, s);
	for (size_t i = 0; i < n; i++)
		correlate_publish_alert(e->corr, &a[i]);
	for (size_t i = 0; i < n; i++)
		if (e->out.alert)
			e->out.alert(e->out.ctx, &a[i]);
}
