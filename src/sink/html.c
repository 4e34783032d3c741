/*
 * html.c - the HTML report (see sink_html.h). The page is written once, at
 * finish, from the summary; sessions and alerts are only counted as they
 * come (the time they span, the alerts by kind).
 *
 * The charts are SVG drawn here: horizontal bars per port and per server
 * (sessions split by verdict) and columns per time bucket (sessions by
 * verdict, with the encrypted share as a line). The tables hold the same
 * numbers as the text report's, rounded the same way.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sink_html.h"

#define HTML_CHART_ROWS 30 /* bars per chart; the tables list every row */
#define HTML_CHART_W 720   /* chart width (px) */

struct html_priv {
	char source[256];
	uint64_t sessions;
	uint64_t ts_first, ts_last; /* 0: no session yet */
	uint64_t alerts[ALERT_KIND_COUNT];
	enum severity severity[ALERT_KIND_COUNT]; /* the highest seen */
	uint64_t critical[ALERT_KIND_COUNT];	  /* ... of severity critical */
};

/* The verdicts as the charts stack them, with their colours. */
static const struct {
	enum verdict v;
	const char *label, *colour;
} html_verdicts[] = {
	{VERDICT_IMPLICIT_TLS, "implicit-tls", "#2e7d32"},
	{VERDICT_STARTTLS, "starttls", "#66bb6a"},
	{VERDICT_CLEARTEXT, "cleartext", "#f9a825"},
	{VERDICT_DOWNGRADED, "downgraded", "#c62828"},
	{VERDICT_TLS_FAILED, "tls-failed", "#6a1b9a"},
	{VERDICT_UNKNOWN, "unknown", "#9e9e9e"},
};

#define HTML_N_VERDICTS (sizeof(html_verdicts) / sizeof(html_verdicts[0]))

/* The characters HTML gives a meaning to, as the entities that stand for
 * them. */
static const char *const html_entities[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
};

void
sink_html_escape(FILE *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80 && html_entities[*p]) {
			fputs(html_entities[*p], o);
		} else if (*p < 0x20 || *p >= 0x7f) {
			fputs("\\x", o);
			fputc(hex[*p >> 4], o);
			fputc(hex[*p & 15], o);
		} else {
			fputc(*p, o);
		}
	}
}

static void
html_session(struct sink *k, const struct session *s)
{
	struct html_priv *p = k->priv;

	p->sessions++;
	if (!p->ts_first || s->ts_first_us < p->ts_first)
		p->ts_first = s->ts_first_us;
	if (s->ts_last_us > p->ts_last)
		p->ts_last = s->ts_last_us;
}

static void
html_alert(struct sink *k, const struct alert *a)
{
	struct html_priv *p = k->priv;

	p->alerts[a->kind]++;
	if (a->severity > p->severity[a->kind])
		p->severity[a->kind] = a->severity;
	if (a->severity == SEVERITY_CRITICAL)
		p->critical[a->kind]++;
}

/* "2026-11-25 08:12:12" (UTC), from the RFC 3339 form. */
static void
html_time(uint64_t us, char *buf, size_t bufsz)
{
	char t[40];

	sink_format_time(us, t, sizeof(t));
	if (strlen(t) >= 19) {
		t[10] = ' ';
		t[19] = '\0';
	}
	snprintf(buf, bufsz, "%s", t);
}

static const char html_style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#212121;background:#fff}"
	"h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em}"
	"p.meta{color:#555;margin-top:0}"
	"table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
	"th,td{border:1px solid #ccc;padding:2px 6px}th{background:#eee;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"tr.others td{font-style:italic}"
	"td.bad{background:#fff3e0}"
	".crit,tr.crit td{background:#b71c1c;color:#fff;font-weight:bold}"
	".legend span{display:inline-block;margin-right:1em}"
	".legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;"
	"vertical-align:middle}"
	"svg{display:block;margin:.5em 0}svg text{font-size:11px;font-family:sans-serif}"
	"p.note{color:#555;font-size:.9em}";

static void
html_legend(FILE *o)
{
	fputs("<p class=\"legend\">", o);
	for (size_t i = 0; i < HTML_N_VERDICTS; i++)
		fprintf(o, "<span><i style=\"background:%s\"></i>%s</span>",
			html_verdicts[i].colour, html_verdicts[i].label);
	fputs("<span><i style=\"background:#1565c0;height:.2em\"></i>encrypted share</span></p>\n",
	      o);
}

static void
html_head(FILE *o, const struct html_priv *p, struct summary *sum)
{
	char a[32], b[32];
	uint64_t alerts = 0, critical = 0, enc = 0, total = 0;
	size_t n;
	const struct summary_row *rows = summary_ports(sum, &n);

	for (size_t i = 0; i < n; i++) {
		total += rows[i].sessions;
		enc += rows[i].verdicts[VERDICT_IMPLICIT_TLS] + rows[i].verdicts[VERDICT_STARTTLS];
	}
	for (int i = 0; i < ALERT_KIND_COUNT; i++) {
		alerts += p->alerts[i];
		critical += p->critical[i];
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>tlswatch report: ",
	      o);
	sink_html_escape(o, p->source);
	fprintf(o, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>tlswatch report</h1>\n",
		html_style);
	fputs("<p class=\"meta\">Source: <b>", o);
	sink_html_escape(o, p->source);
	fputs("</b>", o);
	if (p->ts_first) {
		html_time(p->ts_first, a, sizeof(a));
		html_time(p->ts_last, b, sizeof(b));
		fprintf(o, "; sessions from %s to %s UTC", a, b);
	}
	fprintf(o,
		".</p>\n<table id=\"totals\"><tr><th>Sessions</th><td class=\"n\">%" PRIu64
		"</td></tr><tr><th>Encrypted</th><td class=\"n\">%.0f%%</td></tr>"
		"<tr><th>Alerts</th><td class=\"n\">%" PRIu64 "</td></tr>",
		total, total ? 100.0 * (double)enc / (double)total : 0.0, alerts);
	/* A violated mail policy is the first thing to see. */
	if (critical)
		fprintf(o,
			"<tr class=\"crit\" id=\"critical\"><th>Critical: mail policy "
			"violated</th><td class=\"n\">%" PRIu64 "</td></tr>",
			critical);
	fputs("</table>\n", o);
}

static void
html_alerts(FILE *o, const struct html_priv *p)
{
	bool any = false;

	fputs("<h2>Alerts</h2>\n", o);
	/* The kinds with critical alerts first, then the rest in their order. */
	for (int j = 0; j < 2 * ALERT_KIND_COUNT; j++) {
		int i = j % ALERT_KIND_COUNT;

		if (!p->alerts[i] || (j < ALERT_KIND_COUNT) != (p->critical[i] != 0))
			continue;
		if (!any)
			fputs("<table id=\"alerts\"><thead><tr><th>Kind</th><th>Severity</th>"
			      "<th>Alerts</th></tr></thead><tbody>\n",
			      o);
		any = true;
		fprintf(o, "<tr%s><td>%s</td><td>%s</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
			p->critical[i] ? " class=\"crit\"" : "",
			alert_kind_name((enum alert_kind)i), severity_name(p->severity[i]),
			p->alerts[i]);
	}
	fputs(any ? "</tbody></table>\n" : "<p>None.</p>\n", o);
}

/* ---- bars per port or server ---- */

static int
html_by_sessions(const void *a, const void *b)
{
	const struct summary_row *x = *(const struct summary_row *const *)a;
	const struct summary_row *y = *(const struct summary_row *const *)b;

	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	return x < y ? -1 : x > y; /* the table's order */
}

/* Stacked bars: one per row (the HTML_CHART_ROWS with most sessions), its
 * length the row's sessions, its parts the verdicts. */
static void
html_bars(FILE *o, const struct summary_row *rows, size_t n, bool server)
{
	const struct summary_row **top;
	size_t shown = n < HTML_CHART_ROWS ? n : HTML_CHART_ROWS;
	const double label_w = server ? 200 : 110, bar_w = HTML_CHART_W - label_w - 80;
	uint64_t max = 1;
	char name[64];

	if (!n)
		return;
	top = malloc(n * sizeof(*top));
	if (!top)
		return;
	for (size_t i = 0; i < n; i++)
		top[i] = &rows[i];
	qsort(top, n, sizeof(*top), html_by_sessions);
	max = top[0]->sessions ? top[0]->sessions : 1;
	fprintf(o,
		"<svg id=\"%s-chart\" width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\" "
		"role=\"img\" aria-label=\"sessions per %s by verdict\">\n",
		server ? "servers" : "ports", HTML_CHART_W, shown * 22 + 4, HTML_CHART_W,
		shown * 22 + 4, server ? "server" : "port");
	for (size_t i = 0; i < shown; i++) {
		const struct summary_row *r = top[i];
		double x = label_w, y = (double)i * 22 + 2;

		report_row_name(r, server, name, sizeof(name));
		fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", label_w - 6, y + 14);
		sink_html_escape(o, name);
		fputs(" ", o);
		sink_html_escape(o, r->service ? r->service : "?");
		fputs("</text>\n", o);
		for (size_t j = 0; j < HTML_N_VERDICTS; j++) {
			uint64_t c = r->verdicts[html_verdicts[j].v];
			double w = bar_w * (double)c / (double)max;

			if (!c)
				continue;
			fprintf(o,
				"<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"18\" "
				"fill=\"%s\"><title>",
				x, y, w, html_verdicts[j].colour);
			sink_html_escape(o, name);
			fprintf(o, ": %" PRIu64 " %s</title></rect>\n", c, html_verdicts[j].label);
			x += w;
		}
		fprintf(o, "<text x=\"%.2f\" y=\"%.0f\">%" PRIu64 " (%.0f%%)</text>\n", x + 4,
			y + 14, r->sessions, 100.0 * summary_encrypted_share(r));
	}
	fputs("</svg>\n", o);
	if (n > shown)
		fprintf(o,
			"<p class=\"note\">The chart shows the %zu %s with the most sessions "
			"of %zu; the table lists them all.</p>\n",
			shown, server ? "servers" : "ports", n);
	free(top);
}

static void
html_rows_table(FILE *o, const struct summary_row *rows, size_t n, bool server)
{
	char name[64];

	fprintf(o,
		"<table id=\"%s\"><thead><tr><th>%s</th><th>Service</th><th>Sessions</th>"
		"<th>Implicit TLS</th><th>STARTTLS</th><th>Cleartext</th><th>Downgraded</th>"
		"<th>TLS failed</th><th>Unknown</th><th>Cleartext logins</th><th>Encrypted</th>%s"
		"</tr></thead><tbody>\n",
		server ? "servers" : "ports", server ? "Server" : "Port",
		server ? "<th>Upgrade offered</th>" : "");
	for (size_t i = 0; i < n; i++) {
		const struct summary_row *r = &rows[i];

		report_row_name(r, server, name, sizeof(name));
		fputs("<tr><td>", o);
		sink_html_escape(o, name);
		fputs("</td><td>", o);
		sink_html_escape(o, r->service ? r->service : "?");
		fprintf(o,
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n%s\">%" PRIu64
			"</td><td class=\"n%s\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n%s\">%" PRIu64
			"</td><td class=\"n\">%.0f%%</td>",
			r->sessions, r->verdicts[VERDICT_IMPLICIT_TLS],
			r->verdicts[VERDICT_STARTTLS], r->verdicts[VERDICT_CLEARTEXT] ? " bad" : "",
			r->verdicts[VERDICT_CLEARTEXT],
			r->verdicts[VERDICT_DOWNGRADED] ? " bad" : "",
			r->verdicts[VERDICT_DOWNGRADED], r->verdicts[VERDICT_TLS_FAILED],
			r->verdicts[VERDICT_UNKNOWN], r->logins ? " bad" : "", r->logins,
			100.0 * summary_encrypted_share(r));
		if (server)
			fprintf(o, "<td>%s</td>", summary_offer_name(r));
		fputs("</tr>\n", o);
	}
	fputs("</tbody></table>\n", o);
}

/* ---- mail policies and tunnels, per server ---- */

/* The servers a mail policy (MTA-STS, DANE) protected, violations first
 * marked; nothing when no session had a policy. */
static void
html_policies(FILE *o, const struct summary_row *rows, size_t n)
{
	char name[64];
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		const struct summary_row *r = &rows[i];
		const char *mode = sts_mode_name((enum sts_mode)r->policy_mta_sts);

		if (!r->policy_sessions)
			continue;
		if (!any)
			fputs("<h2>Mail policies</h2>\n<table id=\"policies\"><thead><tr>"
			      "<th>Server</th><th>Domain</th><th>MTA-STS</th><th>DANE</th>"
			      "<th>Sessions under the policy</th><th>Violations</th></tr></thead>"
			      "<tbody>\n",
			      o);
		any = true;
		report_row_name(r, true, name, sizeof(name));
		fputs(r->policy_violations ? "<tr class=\"crit\"><td>" : "<tr><td>", o);
		sink_html_escape(o, name);
		fputs("</td><td>", o);
		sink_html_escape(o, r->policy_domain);
		fprintf(o,
			"</td><td>%s</td><td>%s</td><td class=\"n\">%" PRIu64
			"</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
			mode ? mode : "-", r->policy_dane ? "yes" : "no", r->policy_sessions,
			r->policy_violations);
	}
	if (any)
		fputs("</tbody></table>\n<p class=\"note\">A violation: a session to a "
		      "policy-protected mail exchanger that was not protected by TLS "
		      "(alerts mta-sts-violation, dane-violation), or whose certificate "
		      "matched no TLSA record (dane-mismatch) or was self-signed where "
		      "MTA-STS requires a CA's (self-signed), or that went to an MX "
		      "no pattern of the domain's MTA-STS policy lists "
		      "(mta-sts-mx-mismatch). MTA-STS unknown: the domain "
		      "announced a policy whose mode went over HTTPS.</p>\n",
		      o);
}

/* The servers whose sessions came inside tunnels (VXLAN, GRE, MPLS ...);
 * nothing when none did. */
static void
html_tunnels(FILE *o, const struct summary_row *rows, size_t n)
{
	char name[64], list[DECODE_TUNNEL_MAX * 16];
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		const struct summary_row *r = &rows[i];

		if (!r->tunnelled)
			continue;
		if (!any)
			fputs("<h2>Tunnelled traffic</h2>\n<table id=\"tunnels\"><thead><tr>"
			      "<th>Server</th><th>Service</th><th>Sessions</th>"
			      "<th>Tunnelled</th><th>Tunnels (outermost first)</th></tr></thead>"
			      "<tbody>\n",
			      o);
		any = true;
		report_row_name(r, true, name, sizeof(name));
		fputs("<tr><td>", o);
		sink_html_escape(o, name);
		fputs("</td><td>", o);
		sink_html_escape(o, r->service ? r->service : "?");
		fprintf(o,
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td>",
			r->sessions, r->tunnelled);
		sink_html_escape(
			o, decode_tunnel_list(r->tunnels, r->tunnel_depth, list, sizeof(list)));
		fputs("</td></tr>\n", o);
	}
	if (any)
		fputs("</tbody></table>\n<p class=\"note\">Sessions decapsulated from tunnels "
		      "and judged like the others; the tunnels are those of the server's first "
		      "tunnelled session.</p>\n",
		      o);
}

/* ---- the sessions over time ---- */

static void
html_timeline(FILE *o, struct summary *sum)
{
	uint64_t width, max = 1;
	size_t n;
	const struct summary_bucket *b = summary_timeline(sum, &n, &width);
	const double left = 50, right = 50, top = 10, h = 180;
	double col_w, plot_w = HTML_CHART_W - left - right;
	char t[32];

	fputs("<h2>Encrypted share over time</h2>\n", o);
	if (!n) {
		fputs("<p>No sessions.</p>\n", o);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (b[i].sessions > max)
			max = b[i].sessions;
	col_w = plot_w / (double)n;
	fprintf(o,
		"<p class=\"note\">Sessions by the time of their first packet, in buckets of "
		"%" PRIu64 " s, by verdict; the line is the share encrypted (right axis).</p>\n",
		width / 1000000);
	fprintf(o,
		"<svg id=\"timeline-chart\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
		"role=\"img\" aria-label=\"sessions and encrypted share over time\">\n",
		HTML_CHART_W, top + h + 40, HTML_CHART_W, top + h + 40);
	fprintf(o,
		"<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>\n"
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%" PRIu64 "</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0</text>\n"
		"<text x=\"%.0f\" y=\"%.0f\">100%%</text>\n<text x=\"%.0f\" "
		"y=\"%.0f\">0%%</text>\n",
		left, top + h, left + plot_w, top + h, left - 4, top + 10, max, left - 4, top + h,
		left + plot_w + 4, top + 10, left + plot_w + 4, top + h);
	for (size_t i = 0; i < n; i++) {
		double x = left + (double)i * col_w, y = top + h;

		for (size_t j = 0; j < HTML_N_VERDICTS; j++) {
			uint64_t c = b[i].verdicts[html_verdicts[j].v];
			double ch = h * (double)c / (double)max;

			if (!c)
				continue;
			y -= ch;
			html_time(b[i].start_us, t, sizeof(t));
			fprintf(o,
				"<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
				"fill=\"%s\"><title>%s: %" PRIu64 " %s</title></rect>\n",
				x + 1, y, col_w > 3 ? col_w - 2 : col_w, ch,
				html_verdicts[j].colour, t, c, html_verdicts[j].label);
		}
	}
	fputs("<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"", o);
	for (size_t i = 0; i < n; i++) {
		if (!b[i].sessions)
			continue;
		fprintf(o, "%.2f,%.2f ", left + ((double)i + 0.5) * col_w,
			top + h - h * summary_verdicts_share(b[i].verdicts, b[i].sessions));
	}
	fputs("\"/>\n", o);
	html_time(b[0].start_us, t, sizeof(t));
	fprintf(o, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", left, top + h + 16, t);
	html_time(b[n - 1].start_us + width, t, sizeof(t));
	fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s UTC</text>\n</svg>\n",
		left + plot_w, top + h + 16, t);
	fputs("<details><summary>Buckets</summary>\n<table id=\"timeline\"><thead><tr>"
	      "<th>From (UTC)</th><th>Sessions</th><th>Encrypted</th></tr></thead><tbody>\n",
	      o);
	for (size_t i = 0; i < n; i++) {
		html_time(b[i].start_us, t, sizeof(t));
		fprintf(o,
			"<tr><td>%s</td><td class=\"n\">%" PRIu64
			"</td><td class=\"n\">%.0f%%</td></tr>\n",
			t, b[i].sessions,
			100.0 * summary_verdicts_share(b[i].verdicts, b[i].sessions));
	}
	fputs("</tbody></table></details>\n", o);
}

/* ---- clients and users ---- */

/* Closes a client or user table; when its last row counted the rest
 * together (others), a note under it says so. */
static void
html_table_end(FILE *o, bool others, uint64_t count, const char *what, size_t max, const char *by)
{
	char note[256];

	fputs("</tbody></table>\n", o);
	if (!others)
		return;
	report_others_note(note, sizeof(note), count, what, max, by);
	fprintf(o, "<p class=\"note\">%s.</p>\n", note);
}

static void
html_client_row(FILE *o, const struct summary_client *c)
{
	const char *sep = "";
	char name[64];

	report_client_name(c, name, sizeof(name));
	fputs(c->family ? "<tr><td>" : "<tr class=\"others\"><td>", o);
	sink_html_escape(o, name);
	fprintf(o,
		"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n%s\">%" PRIu64
		"</td><td class=\"n%s\">%" PRIu64 "</td><td class=\"n\">%.0f%%</td>"
		"<td class=\"n%s\">%" PRIu64 "</td><td>",
		c->sessions, c->verdicts[VERDICT_CLEARTEXT] ? " bad" : "",
		c->verdicts[VERDICT_CLEARTEXT], c->verdicts[VERDICT_DOWNGRADED] ? " bad" : "",
		c->verdicts[VERDICT_DOWNGRADED],
		100.0 * summary_verdicts_share(c->verdicts, c->sessions), c->logins ? " bad" : "",
		c->logins);
	for (int j = 0; j < SUMMARY_LOGIN_SERVICES && c->by_service[j].service; j++) {
		fputs(sep, o);
		sink_html_escape(o, c->by_service[j].service);
		fprintf(o, ":%" PRIu64, c->by_service[j].logins);
		sep = " ";
	}
	if (c->logins_other)
		fprintf(o, "%sother:%" PRIu64, sep, c->logins_other);
	fputs(c->logins ? "</td></tr>\n" : "-</td></tr>\n", o);
}

static void
html_clients(FILE *o, struct summary *sum)
{
	size_t n;
	const struct summary_client *rows = summary_clients(sum, &n);
	const struct summary_client *others = summary_clients_others(sum);

	fputs("<h2>Per client</h2>\n<table id=\"clients\"><thead><tr><th>Client</th>"
	      "<th>Sessions</th><th>Cleartext</th><th>Downgraded</th><th>Encrypted</th>"
	      "<th>Cleartext logins</th><th>Cleartext logins by service</th></tr></thead><tbody>\n",
	      o);
	for (size_t i = 0; i < n; i++)
		html_client_row(o, &rows[i]);
	if (others)
		html_client_row(o, others);
	html_table_end(o, others != NULL, others ? others->sessions : 0, "sessions of clients",
		       summary_clients_max(sum), "");
}

static void
html_user_row(FILE *o, const struct summary_user *u)
{
	char srv[64];

	if (u->service) {
		fputs("<tr><td>", o);
		sink_html_escape(o, u->user[0] ? u->user : "?");
		fputs("</td><td>", o);
		sink_html_escape(o, u->service);
		sink_format_endpoint(u->family, u->ip, u->port, srv, sizeof(srv));
	} else {
		fputs("<tr class=\"others\"><td>(others)</td><td>-", o);
		snprintf(srv, sizeof(srv), "-");
	}
	fprintf(o,
		"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
		"</td><td class=\"n\">%" PRIu64 "</td><td>",
		u->logins, u->successes, u->failures);
	sink_html_escape(o, srv);
	fputs("</td></tr>\n", o);
}

static void
html_users(FILE *o, struct summary *sum)
{
	size_t n;
	const struct summary_user *rows = summary_users(sum, &n);
	const struct summary_user *others = summary_users_others(sum);

	fputs("<h2>Per user (cleartext logins)</h2>\n", o);
	if (!n && !others) {
		fputs("<p>None.</p>\n", o);
		return;
	}
	fputs("<table id=\"users\"><thead><tr><th>User</th><th>Service</th>"
	      "<th>Cleartext logins</th><th>Succeeded</th><th>Failed</th><th>Server</th>"
	      "</tr></thead><tbody>\n",
	      o);
	for (size_t i = 0; i < n; i++)
		html_user_row(o, &rows[i]);
	if (others)
		html_user_row(o, others);
	html_table_end(o, others != NULL, others ? others->logins : 0, "logins of users",
		       summary_users_max(sum), " (by name, service and server)");
}

static void
html_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	struct html_priv *p = k->priv;
	FILE *o = k->out;
	const struct summary_row *rows;
	size_t n;

	(void)st;
	html_head(o, p, sum);
	html_legend(o);
	html_timeline(o, sum);
	rows = summary_ports(sum, &n);
	fputs("<h2>Per port</h2>\n", o);
	html_bars(o, rows, n, false);
	rows = summary_ports(sum, &n); /* html_bars does not reorder them */
	html_rows_table(o, rows, n, false);
	rows = summary_servers(sum, &n);
	fputs("<h2>Per server</h2>\n", o);
	html_bars(o, rows, n, true);
	html_rows_table(o, rows, n, true);
	fputs("<p class=\"note\">Upgrade offered: the server's capability lists offered the "
	      "upgrade (yes), did not (no), did in some sessions only (some); -: none seen.</p>\n",
	      o);
	html_policies(o, rows, n);
	html_tunnels(o, rows, n);
	html_clients(o, sum);
	html_users(o, sum);
	html_alerts(o, p);
	fputs("<p class=\"note\">Written by tlswatch. Encrypted: the share of sessions that were "
	      "implicit-tls or starttls. Logins are those seen in cleartext; secrets are never "
	      "in this report.</p>\n</body>\n</html>\n",
	      o);
	sink_flush(k);
}

static void
html_free(struct sink *k)
{
	free(k->priv);
	free(k);
}

struct sink *
sink_html_new(FILE *out, const char *source)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct html_priv *p = calloc(1, sizeof(*p));

	if (!k || !p) {
		free(k);
		free(p);
		return NULL;
	}
	snprintf(p->source, sizeof(p->source), "%s", source ? source : "?");
	k->session = html_session;
	k->alert = html_alert;
	k->finish = html_finish;
	k->free = html_free;
	k->out = out;
	k->priv = p;
	return k;
}
