/*
 * text_tables.c - the text report's closing tables: per port and per
 * server (with the mail policies and tunnels noted under it), per client
 * and per user. In 80 columns they size their columns to what they hold;
 * with --wide they keep fixed, wide columns.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "report.h"
#include "text_internal.h"

/* The counts of a port or server row, in the order of the columns. */
#define TEXT_COUNTS 8

static const char *const text_count_head[TEXT_COUNTS] = {
	"SESS", "IMPL", "STLS", "CLEAR", "DOWN", "FAIL", "UNKN", "LOGIN",
};

static void
text_row_counts(const struct summary_row *r, uint64_t c[TEXT_COUNTS])
{
	c[0] = r->sessions;
	c[1] = r->verdicts[VERDICT_IMPLICIT_TLS];
	c[2] = r->verdicts[VERDICT_STARTTLS];
	c[3] = r->verdicts[VERDICT_CLEARTEXT];
	c[4] = r->verdicts[VERDICT_DOWNGRADED];
	c[5] = r->verdicts[VERDICT_TLS_FAILED];
	c[6] = r->verdicts[VERDICT_UNKNOWN];
	c[7] = r->logins;
}

static size_t
text_digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static size_t
text_max(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* A first column wider than w goes on a line of its own, the row under it. */
static void
text_first_column(FILE *o, const char *first, size_t w)
{
	if (strlen(first) > w)
		fprintf(o, "  %s\n  %-*s", first, (int)w, "");
	else
		fprintf(o, "  %-*s", (int)w, first);
}

/* The per-port or per-server table in 80 columns, sized to its numbers. */
/* A server a mail policy protects: "  policy example.org VIOLATED 1/2". */
static void
text_row_policy(FILE *o, const struct summary_row *r)
{
	if (!r->policy_sessions)
		return;
	fprintf(o, "  policy %s", r->policy_domain);
	if (r->policy_violations)
		fprintf(o, " VIOLATED in %" PRIu64 " of %" PRIu64 " sessions", r->policy_violations,
			r->policy_sessions);
}

static void
text_rows_narrow(FILE *o, const struct summary_row *rows, size_t n, bool server)
{
	const char *head = server ? "SERVER" : "PORT";
	size_t w0 = strlen(head), ws = strlen("SERVICE"), wc[TEXT_COUNTS], fixed, cap;
	uint64_t c[TEXT_COUNTS];
	char first[64];

	for (int j = 0; j < TEXT_COUNTS; j++)
		wc[j] = strlen(text_count_head[j]);
	for (size_t i = 0; i < n; i++) {
		report_row_name(&rows[i], server, first, sizeof(first));
		w0 = text_max(w0, strlen(first));
		ws = text_max(ws, strlen(rows[i].service ? rows[i].service : "?"));
		text_row_counts(&rows[i], c);
		for (int j = 0; j < TEXT_COUNTS; j++)
			wc[j] = text_max(wc[j], text_digits(c[j]));
	}
	fixed = 2 + 1 + ws + 5 + (server ? 5 : 0);
	for (int j = 0; j < TEXT_COUNTS; j++)
		fixed += 1 + wc[j];
	cap = fixed < TEXT_WIDTH ? TEXT_WIDTH - fixed : 0;
	if (w0 > cap)
		w0 = text_max(cap, strlen(head));
	fprintf(o, "  %-*s %-*s", (int)w0, head, (int)ws, "SERVICE");
	for (int j = 0; j < TEXT_COUNTS; j++)
		fprintf(o, " %*s", (int)wc[j], text_count_head[j]);
	fprintf(o, " %4s%s\n", "ENC", server ? " UPG" : "");
	for (size_t i = 0; i < n; i++) {
		report_row_name(&rows[i], server, first, sizeof(first));
		text_first_column(o, first, w0);
		fprintf(o, " %-*s", (int)ws, rows[i].service ? rows[i].service : "?");
		text_row_counts(&rows[i], c);
		for (int j = 0; j < TEXT_COUNTS; j++)
			fprintf(o, " %*" PRIu64, (int)wc[j], c[j]);
		fprintf(o, " %3.0f%%", 100.0 * summary_encrypted_share(&rows[i]));
		if (server)
			fprintf(o, " %s", summary_offer_name(&rows[i]));
		fputc('\n', o);
	}
}

static void
text_summary_header(FILE *o, const char *first)
{
	fprintf(o, "  %-24s %-8s %8s %9s %9s %9s %10s %10s %8s %7s %10s\n", first, "SERVICE",
		"SESSIONS", "IMPLICIT", "STARTTLS", "CLEARTEXT", "DOWNGRADED", "TLS-FAILED",
		"UNKNOWN", "LOGINS", "ENCRYPTED");
}

static void
text_summary_row(FILE *o, const char *first, const struct summary_row *r)
{
	fprintf(o,
		"  %-24s %-8s %8" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %10" PRIu64
		" %10" PRIu64 " %8" PRIu64 " %7" PRIu64 " %9.0f%%",
		first, r->service ? r->service : "?", r->sessions,
		r->verdicts[VERDICT_IMPLICIT_TLS], r->verdicts[VERDICT_STARTTLS],
		r->verdicts[VERDICT_CLEARTEXT], r->verdicts[VERDICT_DOWNGRADED],
		r->verdicts[VERDICT_TLS_FAILED], r->verdicts[VERDICT_UNKNOWN], r->logins,
		100.0 * summary_encrypted_share(r));
}

/* The per-port or per-server table with --wide: fixed columns, full names. */
static void
text_rows_wide(FILE *o, const struct summary_row *rows, size_t n, bool server)
{
	char first[64];

	text_summary_header(o, server ? "SERVER" : "PORT");
	for (size_t i = 0; i < n; i++) {
		report_row_name(&rows[i], server, first, sizeof(first));
		text_summary_row(o, first, &rows[i]);
		if (server && rows[i].tls_offered && rows[i].tls_not_offered)
			fprintf(o, "  upgrade offered in some sessions only");
		else if (server && rows[i].tls_offered)
			fprintf(o, "  upgrade offered");
		else if (server && rows[i].tls_not_offered)
			fprintf(o, "  upgrade not offered");
		if (server)
			text_row_policy(o, &rows[i]);
		if (server && rows[i].tunnelled) {
			char t[64];

			fprintf(o, "  tunnelled in %" PRIu64 " of %" PRIu64 " sessions (%s)",
				rows[i].tunnelled, rows[i].sessions,
				decode_tunnel_list(rows[i].tunnels, rows[i].tunnel_depth, t,
						   sizeof(t)));
		}
		fputc('\n', o);
	}
}

/* A note under a table, wrapped with continuation lines at indent. */
static void __attribute__((format(printf, 3, 4)))
text_note(struct sink *k, size_t indent, const char *fmt, ...)
{
	struct text_priv *p = k->priv;
	va_list ap;
	char note[512];

	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	text_line_start(&p->line);
	text_printf(&p->line.b, "  %s", note);
	text_line_write(k, indent);
}

/* ---- clients and users ---- */

/* "smtp:2 pop3:1 other:4", or "-" without logins. */
static void
text_client_logins(struct text_buf *b, const struct summary_client *c)
{
	const char *sep = "";

	if (!c->logins) {
		text_puts(b, "-");
		return;
	}
	for (int i = 0; i < SUMMARY_LOGIN_SERVICES && c->by_service[i].service; i++) {
		text_puts(b, sep);
		text_puts(b, c->by_service[i].service);
		text_putc(b, ':');
		text_u64(b, c->by_service[i].logins);
		sep = " ";
	}
	if (c->logins_other) {
		text_puts(b, sep);
		text_puts(b, "other:");
		text_u64(b, c->logins_other);
	}
}

/* Ends a client or user row: its last column, begun by text_last_column,
 * wraps under its own start when there is room. */
static size_t
text_last_column(struct text_line *l)
{
	size_t indent = l->b.len + 2;

	text_field(l);
	return indent;
}

static void
text_row_write(struct sink *k, size_t indent)
{
	text_line_write(k, indent < TEXT_WIDTH - 20 ? indent : 4);
}

/* The note under a table whose last row counts the rest together. */
static void
text_others_note(struct sink *k, uint64_t count, const char *what, size_t max, const char *by)
{
	char note[256];

	report_others_note(note, sizeof(note), count, what, max, by);
	text_note(k, 4, "%s", note);
}

/* The client table's columns: the address, SESS CLEAR DOWN, LOGIN. */
struct text_client_cols {
	size_t name, n[3], logins;
};

static void
text_client_widths(const struct summary_client *c, struct text_client_cols *w)
{
	char name[64];

	report_client_name(c, name, sizeof(name));
	w->name = text_max(w->name, strlen(name));
	w->n[0] = text_max(w->n[0], text_digits(c->sessions));
	w->n[1] = text_max(w->n[1], text_digits(c->verdicts[VERDICT_CLEARTEXT]));
	w->n[2] = text_max(w->n[2], text_digits(c->verdicts[VERDICT_DOWNGRADED]));
	w->logins = text_max(w->logins, text_digits(c->logins));
}

static void
text_client_row(struct sink *k, const struct summary_client *c, const struct text_client_cols *w)
{
	struct text_priv *p = k->priv;
	struct text_line *l = &p->line;
	char name[64];
	size_t indent;

	report_client_name(c, name, sizeof(name));
	text_line_start(l);
	text_put(&l->b, "  ", 2);
	text_pad(&l->b, name, w->name);
	text_putc(&l->b, ' ');
	text_u64_w(&l->b, c->sessions, w->n[0]);
	text_putc(&l->b, ' ');
	text_u64_w(&l->b, c->verdicts[VERDICT_CLEARTEXT], w->n[1]);
	text_putc(&l->b, ' ');
	text_u64_w(&l->b, c->verdicts[VERDICT_DOWNGRADED], w->n[2]);
	text_putc(&l->b, ' ');
	text_percent_w(&l->b, summary_verdicts_share(c->verdicts, c->sessions), k->wide ? 8 : 3);
	text_putc(&l->b, ' ');
	text_u64_w(&l->b, c->logins, w->logins);
	indent = text_last_column(l);
	text_client_logins(&l->b, c);
	text_row_write(k, indent);
}

/* The client table: CLIENT SESS CLEAR DOWN ENC LOGIN, then the cleartext
 * logins by service (wrapped under their column). */
static void
text_clients(struct sink *k, struct summary *sum)
{
	size_t n;
	const struct summary_client *rows = summary_clients(sum, &n);
	const struct summary_client *others = summary_clients_others(sum);
	struct text_client_cols w = {strlen("CLIENT"), {4, 5, 4}, 5};

	fprintf(k->out, "\nPer client:\n");
	if (k->wide)
		w = (struct text_client_cols){39, {8, 9, 10}, 7};
	for (size_t i = 0; i < n && !k->wide; i++)
		text_client_widths(&rows[i], &w);
	if (others && !k->wide)
		text_client_widths(others, &w);
	fprintf(k->out, "  %-*s %*s %*s %*s %*s %*s  %s\n", (int)w.name, "CLIENT", (int)w.n[0],
		k->wide ? "SESSIONS" : "SESS", (int)w.n[1], k->wide ? "CLEARTEXT" : "CLEAR",
		(int)w.n[2], k->wide ? "DOWNGRADED" : "DOWN", k->wide ? 9 : 4,
		k->wide ? "ENCRYPTED" : "ENC", (int)w.logins, k->wide ? "LOGINS" : "LOGIN",
		"CLEARTEXT LOGINS BY SERVICE");
	for (size_t i = 0; i < n; i++)
		text_client_row(k, &rows[i], &w);
	if (others) {
		text_client_row(k, others, &w);
		text_others_note(k, others->sessions, "sessions of clients",
				 summary_clients_max(sum), "");
	}
}

/* A user name for the report: printable ASCII, "?" for none. */
static void
text_user_name(const struct summary_user *u, char *buf, size_t bufsz)
{
	size_t i = 0;

	if (!u->service) {
		snprintf(buf, bufsz, "(others)");
		return;
	}
	for (; u->user[i] && i + 1 < bufsz; i++)
		buf[i] = u->user[i] >= 0x20 && u->user[i] < 0x7f ? u->user[i] : '?';
	buf[i] = '\0';
	if (!i)
		snprintf(buf, bufsz, "?");
}

/* The user table's columns: USER SERVICE, LOGIN OK FAIL. */
struct text_user_cols {
	size_t user, service, n[3];
};

static void
text_user_widths(const struct summary_user *u, struct text_user_cols *w)
{
	char name[LOGIN_FIELD_MAX];

	text_user_name(u, name, sizeof(name));
	w->user = text_max(w->user, strlen(name));
	w->service = text_max(w->service, strlen(u->service ? u->service : "-"));
	w->n[0] = text_max(w->n[0], text_digits(u->logins));
	w->n[1] = text_max(w->n[1], text_digits(u->successes));
	w->n[2] = text_max(w->n[2], text_digits(u->failures));
}

/* A user's row; a name wider than its column goes on a line of its own. */
static void
text_user_row(struct sink *k, const struct summary_user *u, const struct text_user_cols *w)
{
	struct text_priv *p = k->priv;
	struct text_line *l = &p->line;
	char name[LOGIN_FIELD_MAX], srv[64];
	size_t indent;

	text_user_name(u, name, sizeof(name));
	if (u->service)
		sink_format_endpoint(u->family, u->ip, u->port, srv, sizeof(srv));
	else
		snprintf(srv, sizeof(srv), "-");
	text_line_start(l);
	if (strlen(name) > w->user) {
		text_printf(&l->b, "  %s", name);
		text_line_write(k, 4);
		text_line_start(l);
		name[0] = '\0';
	}
	text_put(&l->b, "  ", 2);
	text_pad(&l->b, name, w->user);
	text_putc(&l->b, ' ');
	text_pad(&l->b, u->service ? u->service : "-", w->service);
	text_putc(&l->b, ' ');
	text_u64_w(&l->b, u->logins, w->n[0]);
	text_putc(&l->b, ' ');
	text_u64_w(&l->b, u->successes, w->n[1]);
	text_putc(&l->b, ' ');
	text_u64_w(&l->b, u->failures, w->n[2]);
	indent = text_last_column(l);
	text_puts(&l->b, srv);
	text_row_write(k, indent);
}

/* The user table: USER SERVICE LOGIN OK FAIL, then the server. */
static void
text_users(struct sink *k, struct summary *sum)
{
	size_t n;
	const struct summary_user *rows = summary_users(sum, &n);
	const struct summary_user *others = summary_users_others(sum);
	struct text_user_cols w = {strlen("USER"), strlen("SERVICE"), {5, 2, 4}};

	fprintf(k->out, "\nPer user (cleartext logins):\n");
	if (!n && !others) {
		fprintf(k->out, "  none\n");
		return;
	}
	if (k->wide)
		w = (struct text_user_cols){32, 11, {7, 9, 8}};
	for (size_t i = 0; i < n && !k->wide; i++)
		text_user_widths(&rows[i], &w);
	if (others && !k->wide)
		text_user_widths(others, &w);
	if (!k->wide && w.user > 24)
		w.user = 24;
	fprintf(k->out, "  %-*s %-*s %*s %*s %*s  %s\n", (int)w.user, "USER", (int)w.service,
		"SERVICE", (int)w.n[0], k->wide ? "LOGINS" : "LOGIN", (int)w.n[1],
		k->wide ? "SUCCESSES" : "OK", (int)w.n[2], k->wide ? "FAILURES" : "FAIL", "SERVER");
	for (size_t i = 0; i < n; i++)
		text_user_row(k, &rows[i], &w);
	if (others) {
		text_user_row(k, others, &w);
		text_others_note(k, others->logins, "logins of users", summary_users_max(sum),
				 " (by name, service and server)");
	}
}

/* Under the per-server table in 80 columns: the servers a mail policy
 * protects, "POLICY: 127.0.0.25:25 example.org, VIOLATED in 1 of 2
 * sessions", then those reached inside tunnels (the first tunnelled
 * session's encapsulations, outermost first), "TUNNEL: 127.0.0.1:25 vxlan,
 * 3 of 5 sessions". */
static void
text_server_notes(struct sink *k, const struct summary_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char first[64];

		if (!rows[i].policy_sessions)
			continue;
		report_row_name(&rows[i], true, first, sizeof(first));
		if (rows[i].policy_violations)
			text_note(k, 10,
				  "POLICY: %s %s, VIOLATED in %" PRIu64 " of %" PRIu64 " sessions",
				  first, rows[i].policy_domain, rows[i].policy_violations,
				  rows[i].policy_sessions);
		else
			text_note(k, 10, "POLICY: %s %s, kept in %" PRIu64 " sessions", first,
				  rows[i].policy_domain, rows[i].policy_sessions);
	}
	for (size_t i = 0; i < n; i++) {
		char first[64], t[64];

		if (!rows[i].tunnelled)
			continue;
		report_row_name(&rows[i], true, first, sizeof(first));
		text_note(k, 10, "TUNNEL: %s %s, %" PRIu64 " of %" PRIu64 " sessions", first,
			  decode_tunnel_list(rows[i].tunnels, rows[i].tunnel_depth, t, sizeof(t)),
			  rows[i].tunnelled, rows[i].sessions);
	}
}

void
text_tables(struct sink *k, struct summary *sum)
{
	FILE *o = k->out;
	const struct summary_row *rows;
	size_t n;

	rows = summary_ports(sum, &n);
	fprintf(o, "\nPer port:\n");
	(k->wide ? text_rows_wide : text_rows_narrow)(o, rows, n, false);
	rows = summary_servers(sum, &n);
	fprintf(o, "\nPer server:\n");
	(k->wide ? text_rows_wide : text_rows_narrow)(o, rows, n, true);
	if (!k->wide && n)
		text_note(k, 7,
			  "UPG: the server's capability lists offered the upgrade (yes), did "
			  "not (no), did in some sessions only (some); -: none seen");
	if (!k->wide)
		text_server_notes(k, rows, n);
	text_clients(k, sum);
	text_users(k, sum);
}

void
sink_text_rows(FILE *o, const struct summary_row *rows, size_t n, bool server, bool wide)
{
	(wide ? text_rows_wide : text_rows_narrow)(o, rows, n, server);
}
