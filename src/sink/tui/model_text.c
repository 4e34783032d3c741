/*
 * model_text.c - the dashboard's text (see tui_model.h): counts, clocks,
 * verdict markers and tones, short TLS versions, and the detail view of a
 * session or an alert as lines of text with a tone each.
 *
 * No curses here: the screen files only lay these lines out, so the unit
 * tests can read exactly what the detail view would say. A login's secret
 * never reaches the model; the detail text shows that one crossed the
 * wire as ********.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "sink.h"

/* ---- Numbers, clocks, markers --------------------------------------------------- */

void
tui_format_clock(uint64_t ts_us, char *buf, size_t bufsz)
{
	/* Local time with --local-time (the offset is 0 in UTC). */
	uint64_t s = (uint64_t)((int64_t)(ts_us / 1000000) + sink_display_offset(ts_us));

	snprintf(buf, bufsz, "%02u:%02u:%02u", (unsigned)(s / 3600 % 24), (unsigned)(s / 60 % 60),
		 (unsigned)(s % 60));
}

void
tui_format_count(double v, char *buf, size_t bufsz)
{
	if (v < 0)
		v = 0;
	if (v < 100000)
		snprintf(buf, bufsz, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, bufsz, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(buf, bufsz, "%.1fM", v / 1e6);
	else if (v < 1e12)
		snprintf(buf, bufsz, "%.1fG", v / 1e9);
	else
		snprintf(buf, bufsz, "%.1fT", v / 1e12);
}

enum tui_tone
tui_verdict_tone(enum verdict v)
{
	switch (v) {
	case VERDICT_IMPLICIT_TLS:
	case VERDICT_STARTTLS:
		return TUI_TONE_GOOD;
	case VERDICT_CLEARTEXT:
		return TUI_TONE_WARN;
	case VERDICT_DOWNGRADED:
	case VERDICT_TLS_FAILED:
		return TUI_TONE_BAD;
	case VERDICT_UNKNOWN:
	case VERDICT_COUNT:
		break;
	}
	return TUI_TONE_DIM;
}

char
tui_verdict_marker(enum verdict v)
{
	switch (v) {
	case VERDICT_IMPLICIT_TLS:
	case VERDICT_STARTTLS:
		return '+';
	case VERDICT_CLEARTEXT:
		return '~';
	case VERDICT_DOWNGRADED:
		return '!';
	case VERDICT_TLS_FAILED:
		return 'x';
	case VERDICT_UNKNOWN:
	case VERDICT_COUNT:
		break;
	}
	return '?';
}

enum tui_tone
tui_severity_tone(enum severity s)
{
	switch (s) {
	case SEVERITY_LOW:
		return TUI_TONE_WARN;
	case SEVERITY_MEDIUM:
	case SEVERITY_HIGH:
		return TUI_TONE_BAD;
	case SEVERITY_CRITICAL:
		return TUI_TONE_CRIT;
	}
	return TUI_TONE_BAD;
}

void
tui_row_policy_short(const struct tui_row *r, char *buf, size_t bufsz)
{
	const struct session_policy *p = &r->policy;
	bool sts = p->mta_sts != STS_ABSENT && p->mta_sts != STS_NONE;

	if (!p->source) {
		snprintf(buf, bufsz, "%s", "");
		return;
	}
	snprintf(buf, bufsz, "%s%s%s%s", tui_row_policy_violated(r) ? "!! " : "", sts ? "sts" : "",
		 sts && p->dane ? "+" : "",
		 p->dane ? "dane"
		 : sts	 ? ""
			 : "none");
}

const char *
tui_tls_short(const struct tui_row *r, char buf[8])
{
	uint16_t v = r->server_hello ? r->tls_version : 0;

	switch (v) {
	case 0:
		return r->client_hello ? "?" : "";
	case 0x0002:
		return "SSL2";
	case 0x0300:
		return "SSL3";
	case 0x0301:
		return "1.0";
	case 0x0302:
		return "1.1";
	case 0x0303:
		return "1.2";
	case 0x0304:
		return "1.3";
	}
	snprintf(buf, 8, "%04x", v);
	return buf;
}
/* ---- Detail text ------------------------------------------------------------------ */

void
tui_text_free(struct tui_text *t)
{
	free(t->lines);
	memset(t, 0, sizeof(*t));
}

static void text_add(struct tui_text *t, enum tui_tone tone, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends a line; out of memory drops the line (the view shows less). */
static void
text_add(struct tui_text *t, enum tui_tone tone, const char *fmt, ...)
{
	va_list ap;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct tui_text_line *nl = realloc(t->lines, cap * sizeof(*nl));

		if (!nl)
			return;
		t->lines = nl;
		t->cap = cap;
	}
	t->lines[t->n].tone = tone;
	va_start(ap, fmt);
	vsnprintf(t->lines[t->n].text, sizeof(t->lines[t->n].text), fmt, ap);
	va_end(ap);
	t->n++;
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void
detail_upgrade(const struct tui_row *r, struct tui_text *t)
{
	text_add(t, TUI_TONE_HEADING, "Upgrade to TLS");
	if (r->capa_seen)
		text_add(t, TUI_TONE_NORMAL, "  capabilities  %s",
			 r->capa[0] ? r->capa : "(list seen; keywords not recorded)");
	else
		text_add(t, TUI_TONE_DIM, "  capabilities  (no capability list seen)");
	if (r->capa_seen)
		text_add(t, r->tls_offered ? TUI_TONE_GOOD : TUI_TONE_WARN, "  offered       %s",
			 yes_no(r->tls_offered));
	text_add(t, r->upgrade_requested ? TUI_TONE_GOOD : TUI_TONE_NORMAL, "  requested     %s",
		 yes_no(r->upgrade_requested));
	if (r->upgrade_accepted)
		text_add(t, TUI_TONE_GOOD, "  answer        accepted%s%s%s",
			 r->upgrade_reply[0] ? ": \"" : "", r->upgrade_reply,
			 r->upgrade_reply[0] ? "\"" : "");
	else if (r->upgrade_refused)
		text_add(t, TUI_TONE_BAD, "  answer        refused%s%s%s",
			 r->upgrade_reply[0] ? ": \"" : "", r->upgrade_reply,
			 r->upgrade_reply[0] ? "\"" : "");
	else if (r->upgrade_requested)
		text_add(t, TUI_TONE_WARN, "  answer        none seen");
	if (r->auth_cleartext_offered)
		text_add(t, TUI_TONE_WARN, "  note          password logins offered before TLS");
}

static void
detail_tls(const struct tui_row *r, struct tui_text *t)
{
	char b1[8], b2[8];

	text_add(t, TUI_TONE_HEADING, "TLS");
	if (!r->client_hello && !r->server_hello) {
		text_add(t, TUI_TONE_DIM, "  (no TLS handshake seen)");
		return;
	}
	if (r->server_hello)
		text_add(t, TUI_TONE_NORMAL, "  version       %s",
			 tls_version_name(r->tls_version, b1));
	if (r->client_hello)
		text_add(t, TUI_TONE_NORMAL, "  client max    %s%s",
			 tls_version_name(r->client_max_version, b2),
			 r->sslv2_hello ? " (SSLv2-format hello)" : "");
	if (r->server_hello)
		text_add(t, TUI_TONE_NORMAL, "  cipher        %s",
			 tls_cipher_name(r->tls_cipher, b1));
	if (r->sni[0])
		text_add(t, TUI_TONE_NORMAL, "  sni           %s", r->sni);
	if (r->alpn_selected[0])
		text_add(t, TUI_TONE_NORMAL, "  alpn          %s (offered %s)", r->alpn_selected,
			 r->alpn[0] ? r->alpn : "-");
	else if (r->alpn[0])
		text_add(t, TUI_TONE_NORMAL, "  alpn offered  %s", r->alpn);
	text_add(t, r->established ? TUI_TONE_GOOD : TUI_TONE_WARN, "  handshake     %s",
		 r->established ? "completed" : "not completed");
	if (r->tls_alert) {
		const char *name = tls_alert_name(r->tls_alert_desc);

		text_add(t, r->tls_alert_level == 2 ? TUI_TONE_BAD : TUI_TONE_WARN,
			 "  alert         %s (%s, from the %s)", name ? name : "?",
			 r->tls_alert_level == 2 ? "fatal" : "warning",
			 r->tls_alert_dir == DIR_C2S ? "client" : "server");
	}
}

/* The mail policy that applied: what protects the domain and whether the
 * session kept to it. */
static void
detail_policy(const struct tui_row *r, struct tui_text *t)
{
	const struct session_policy *p = &r->policy;
	const char *mode = sts_mode_name((enum sts_mode)p->mta_sts);
	const char *src = policy_source_name((enum policy_source)p->source);
	bool violated = tui_row_policy_violated(r);

	text_add(t, violated ? TUI_TONE_CRIT : TUI_TONE_HEADING, "Mail policy%s",
		 violated ? "  !! VIOLATED" : "");
	text_add(t, TUI_TONE_NORMAL, "  domain        %s  (learned from %s)", p->domain,
		 src ? src : "?");
	text_add(t, TUI_TONE_NORMAL, "  mta-sts       %s", mode ? mode : "-");
	text_add(t, TUI_TONE_NORMAL, "  dane          %s", p->dane ? "TLSA validated (AD)" : "no");
	text_add(t, TUI_TONE_NORMAL, "  tlsrpt        %s", yes_no(p->tlsrpt));
	text_add(t, p->mail_sent && violated ? TUI_TONE_CRIT : TUI_TONE_NORMAL,
		 "  mail          %s",
		 p->mail_sent ? "transferred (DATA/BDAT accepted)" : "not transferred");
	if (r->alerts & (1u << ALERT_MTA_STS_VIOLATION))
		text_add(t, TUI_TONE_CRIT, "  !! %s", "mta-sts-violation");
	if (r->alerts & (1u << ALERT_DANE_VIOLATION))
		text_add(t, TUI_TONE_CRIT, "  !! %s", "dane-violation");
	if (r->alerts & (1u << ALERT_DANE_MISMATCH))
		text_add(t, TUI_TONE_CRIT, "  !! %s", "dane-mismatch");
	if (r->alerts & (1u << ALERT_CERT_SELF_SIGNED))
		text_add(t, TUI_TONE_CRIT, "  !! %s", "self-signed");
	if (r->alerts & (1u << ALERT_MTA_STS_MX_MISMATCH))
		text_add(t, TUI_TONE_CRIT, "  !! %s", "mta-sts-mx-mismatch");
	if (!violated)
		text_add(t, TUI_TONE_NORMAL, "  violations    none");
}

static void
detail_alerts(const struct tui_model *m, const struct tui_row *r, struct tui_text *t)
{
	uint64_t total = m->alerts.total, kept = ring_kept(&m->alerts);
	uint32_t shown = 0;

	text_add(t, TUI_TONE_HEADING, "Alerts");
	for (uint64_t seq = total; seq > total - kept; seq--) {
		const struct tui_alert *a = ring_get(&m->alerts, seq);

		if (!a || a->a.session_id != r->id)
			continue;
		shown |= 1u << a->a.kind;
		text_add(t, tui_severity_tone(a->a.severity), "  ! %-8s %-27s %s",
			 severity_name(a->a.severity), alert_kind_name(a->a.kind), a->a.evidence);
	}
	for (int k = 0; k < ALERT_KIND_COUNT; k++)
		if ((r->alerts & (1u << k)) && !(shown & (1u << k)))
			text_add(t, TUI_TONE_BAD, "  ! %-8s %-27s (evidence no longer kept)", "",
				 alert_kind_name((enum alert_kind)k));
	if (!r->alerts && !shown)
		text_add(t, TUI_TONE_DIM, "  (none)");
}

static void
detail_row(const struct tui_model *m, const struct tui_row *r, struct tui_text *t)
{
	char ts[40], te[40];
	const char *reason = reason_name(r->reason);

	sink_format_display_time(r->ts_first_us, ts, sizeof(ts));
	sink_format_display_time(r->ts_last_us, te, sizeof(te));
	text_add(t, tui_verdict_tone(r->verdict), "Session #%" PRIu64 "  %s  %c %s%s%s", r->id,
		 r->service, tui_verdict_marker(r->verdict), tui_row_verdict_name(r),
		 reason ? "/" : "", reason ? reason : "");
	if (r->sensor[0])
		text_add(t, TUI_TONE_NORMAL, "  sensor        %s  (its session #%" PRIu64 ")",
			 r->sensor, r->sensor_id);
	text_add(t, TUI_TONE_NORMAL, "  client        %s", r->client);
	text_add(t, TUI_TONE_NORMAL, "  server        %s", r->server);
	text_add(t, TUI_TONE_NORMAL, "  started       %s", ts);
	text_add(t, TUI_TONE_NORMAL, "  ended         %s  (%s, %.3f s)", te,
		 session_end_name(r->end),
		 r->ts_last_us > r->ts_first_us ? (double)(r->ts_last_us - r->ts_first_us) / 1e6
						: 0.0);
	text_add(t, TUI_TONE_NORMAL,
		 "  traffic       %" PRIu64 " packets, %" PRIu64 " bytes client>server, %" PRIu64
		 " bytes server>client",
		 r->packets, r->bytes[DIR_C2S], r->bytes[DIR_S2C]);
	if (r->midstream || r->gap)
		text_add(t, TUI_TONE_DIM, "  capture       %s%s%s",
			 r->midstream ? "picked up midstream" : "",
			 r->midstream && r->gap ? "; " : "", r->gap ? "bytes missing (gap)" : "");
	if (r->ndpi[0])
		text_add(t, TUI_TONE_NORMAL, "  nDPI          %s", r->ndpi);
	if (r->tunnel[0])
		text_add(t, TUI_TONE_NORMAL, "  tunnel        %s  (outermost first)", r->tunnel);
	if (r->policy.source) {
		text_add(t, TUI_TONE_NORMAL, "%s", "");
		detail_policy(r, t);
	}
	text_add(t, TUI_TONE_NORMAL, "%s", "");
	detail_upgrade(r, t);
	text_add(t, TUI_TONE_NORMAL, "%s", "");
	detail_tls(r, t);
	text_add(t, TUI_TONE_NORMAL, "%s", "");
	text_add(t, TUI_TONE_HEADING, "Logins in cleartext");
	for (size_t i = 0; i < r->n_logins; i++) {
		const struct tui_login *l = &r->logins[i];

		text_add(t, TUI_TONE_BAD, "  %-10s user=%s%s %s", l->mechanism,
			 l->username[0] ? l->username : "?",
			 l->has_secret ? " secret=********" : "", login_outcome_name(l->outcome));
	}
	if (r->logins_dropped)
		text_add(t, TUI_TONE_BAD, "  ... and %" PRIu32 " more", r->logins_dropped);
	if (!r->n_logins && !r->logins_dropped)
		text_add(t, TUI_TONE_DIM, "  (none)");
	text_add(t, TUI_TONE_NORMAL, "%s", "");
	detail_alerts(m, r, t);
	if (r->evidence[0]) {
		text_add(t, TUI_TONE_NORMAL, "%s", "");
		text_add(t, TUI_TONE_HEADING, "Evidence");
		text_add(t, TUI_TONE_BAD, "  %s", r->evidence);
	}
}

int
tui_model_detail_session(const struct tui_model *m, uint64_t session_id, struct tui_text *out)
{
	const struct tui_row *r = tui_model_find_row(m, session_id);

	out->n = 0;
	if (!r)
		return -1;
	detail_row(m, r, out);
	return out->n ? 0 : -1;
}

int
tui_model_detail_alert(const struct tui_model *m, uint64_t alert_seq, struct tui_text *out)
{
	const struct tui_alert *ta = tui_model_find_alert(m, alert_seq);
	const struct alert *a;
	const struct tui_row *r;
	char ts[40];

	out->n = 0;
	if (!ta)
		return -1;
	a = &ta->a;
	sink_format_display_time(a->ts_us, ts, sizeof(ts));
	text_add(out, tui_severity_tone(a->severity), "Alert  %s %s  %s",
		 a->severity == SEVERITY_CRITICAL ? "!!" : "!", severity_name(a->severity),
		 alert_kind_name(a->kind));
	if (ta->sensor[0])
		text_add(out, TUI_TONE_NORMAL, "  sensor        %s  (its session #%" PRIu64 ")",
			 ta->sensor, ta->sensor_id);
	text_add(out, TUI_TONE_NORMAL, "  session       #%" PRIu64, a->session_id);
	text_add(out, TUI_TONE_NORMAL, "  time          %s", ts);
	text_add(out, TUI_TONE_NORMAL, "  server        %s  %s", ta->server, a->service);
	text_add(out, TUI_TONE_NORMAL, "  evidence      %s", a->evidence[0] ? a->evidence : "-");
	text_add(out, TUI_TONE_NORMAL, "%s", "");
	r = tui_model_find_row(m, a->session_id);
	if (r)
		detail_row(m, r, out);
	else
		text_add(out, TUI_TONE_DIM, "(session #%" PRIu64 " is no longer kept)",
			 a->session_id);
	return out->n ? 0 : -1;
}
