/*
 * judge.c - a finished session becomes output: its verdict (verdict.c), the
 * cross-session findings (correlate.c), its evidence file (--evidence), the
 * counters, then the session record and its alerts to the sinks. Runs in
 * the single thread or in the front of the workers, never in a worker.
 */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "verdict.h"

/* Alerts about earlier sessions, raised by the correlation. */
static void
engine_late_alert(void *ctx, const struct alert *a)
{
	struct engine *e = ctx;

	e->st.alerts++;
	if (e->out.alert)
		e->out.alert(e->out.ctx, a);
}

static bool
engine_has_secret(const struct session *s)
{
	for (size_t i = 0; i < s->pf.n_logins; i++)
		if (s->pf.logins[i].has_secret)
			return true;
	return false;
}

/* Writes the session's kept packets for its alerts; names the file in them. */
static void
engine_write_evidence(struct engine *e, const struct session *s, const struct evidence_buf *ev,
		      struct alert *alerts, size_t n)
{
	char name[256], path[512], err[600], ts[40];
	time_t t = (time_t)(s->ts_first_us / 1000000);
	struct tm tm;

	if (e->cfg.evidence_dirfd < 0 || n == 0 || !ev->head)
		return;
	if (engine_has_secret(s) && !e->cfg.show_secrets) {
		e->st.evidence_withheld++;
		return;
	}
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, sizeof(name), "%s-session%" PRIu64 "-%s-%u.pcap", ts, s->id, s->service,
		 s->server_port);
	snprintf(path, sizeof(path), "%s/%s", e->cfg.evidence_dir ? e->cfg.evidence_dir : ".",
		 name);
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
	engine_write_evidence(e, s, ev, alerts, n);
	e->st.sessions++;
	e->st.alerts += n;
	e->st.parser_cap_hits += s->pf.cap_hits + s->tf.cap_hits;
	e->st.logins_dropped += s->pf.logins_dropped;
	e->st.bypassed_bytes += s->bypassed_bytes;
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
