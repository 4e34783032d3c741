/*
 * verdict.h - decides a session's verdict, reason and alerts from its facts.
 *
 * A pure function of the session record (and the protocol registry): no I/O, no
 * cross-session state (that is correlate.h's job), so it is tested by
 * building session records by hand.
 */
#ifndef TLSWATCH_VERDICT_H
#define TLSWATCH_VERDICT_H

#include <stddef.h>

#include "correlate.h"
#include "session.h"

struct verdict_input {
	bool ndpi_cleartext; /* nDPI identified a protocol it knows as unencrypted */
};

/*
 * Sets s->verdict, s->reason and s->alerts, and writes the alert records the
 * session raises into out (at most max; returns how many). The session must be
 * finished (s->end set).
 */
size_t verdict_judge(struct session *s, const struct verdict_input *in, struct alert *out,
		     size_t max);

/*
 * The alerts an open session's facts already decide, raised at once rather
 * than when the session ends: each cleartext login once its exchange is
 * over, the parser's indicators (PREAUTH, command or response injection),
 * an upgrade refused, a capability masked, and plaintext on a TLS-only
 * port, each as verdict_judge would raise it were the session to end now.
 * Records them on the session (alerts_early, logins_early) so that no call,
 * and not verdict_judge, raises them again; verdict_judge still lists them
 * in s->alerts. Alerts that need the rest of the session (no TLS after an
 * accepted upgrade, a failed handshake, weak TLS) or other sessions
 * (correlate.h) stay with the end. Writes at most max into out.
 */
size_t verdict_early(struct session *s, struct alert *out, size_t max);

/*
 * The second half of the judgement: what correlation found across sessions
 * (correlate_observe) becomes the session's verdict, reason and alerts.
 */
void verdict_apply_correlation(struct session *s, const struct correlate_facts *cf);

/* Could a session whose outcome is settled still raise an alert of its
 * own? Not without indicators, logins, non-TLS bytes or weak TLS: then the
 * engine lets its evidence packets go. */
bool verdict_may_alert(const struct session *s);

/* Fills the identity fields of an alert from its session. */
void verdict_alert_init(struct alert *a, const struct session *s, enum alert_kind kind,
			enum severity sev);

#endif
