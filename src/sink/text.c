/*
 * text.c - the text report: one line per session as sessions end, then the
 * alerts, then the per-port, per-server, per-client and per-user tables.
 *
 * It fits 80 columns: a session or alert line longer than that is wrapped
 * between its fields (continuation lines indented), a field wider than a
 * line is cut at its spaces, and the tables size their columns to what
 * they hold. With --wide (k->wide) every record stays on one line and the
 * tables keep fixed, wide columns, for scripts and wide terminals.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink.h"

#define TEXT_ALERTS_KEPT 100000 /* alerts listed at the end; more are counted */
#define TEXT_WIDTH 80		/* columns of the report without --wide */
#define TEXT_FIELDS_MAX 64	/* wrap points per line; later fields stay joined */
#define TEXT_SESSION_INDENT 4	/* continuation lines of a session */
#define TEXT_ALERT_INDENT 11	/* ... of an alert (under its kind) */
#define TEXT_SEVERITY_W 8	/* "critical", the widest severity */
#define TEXT_KIND_W 27		/* "starttls-response-injection", the widest kind */

/* A growing byte buffer; a failed allocation is remembered (oom) and the
 * text that did not fit is dropped, never written past the end. */
struct text_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* One record being formatted: its text and where each field after the
 * first starts (a field is preceded by two spaces, where it may wrap). */
struct text_line {
	struct text_buf b;
	size_t field[TEXT_FIELDS_MAX];
	size_t n_fields;
};

/* The alerts are listed after the sessions, so their lines are kept until
 * then: formatted at once, in one growing buffer (a line is about 150
 * bytes where a struct alert is 1.4 KiB). */
struct text_priv {
	struct text_buf alerts;
	size_t n; /* alerts kept */
	uint64_t not_kept;
	struct text_line line; /* the record being formatted */
	struct text_buf out;   /* ... and wrapped */
};

static bool
text_buf_reserve(struct text_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->len + more <= b->cap)
		return true;
	if (b->oom)
		return false;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void
text_put(struct text_buf *b, const char *s, size_t n)
{
	if (text_buf_reserve(b, n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static void
text_puts(struct text_buf *b, const char *s)
{
	text_put(b, s, strlen(s));
}

static void
text_spaces(struct text_buf *b, size_t n)
{
	if (text_buf_reserve(b, n)) {
		memset(b->p + b->len, ' ', n);
		b->len += n;
	}
}

static void __attribute__((format(printf, 2, 3)))
text_printf(struct text_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap - b->len;
	int n;

	/* Formatted once into the room left; a second time only when it did
	 * not fit (the buffer is reused from record to record, so rarely). */
	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		if (!text_buf_reserve(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

static void
text_u64(struct text_buf *b, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	text_put(b, d + i, sizeof(d) - i);
}

static void
text_line_start(struct text_line *l)
{
	l->b.len = 0;
	l->b.oom = false; /* try again: the line may be shorter */
	l->n_fields = 0;
}

/* Starts a new field: two spaces, where the line may wrap. */
static void
text_field(struct text_line *l)
{
	text_put(&l->b, "  ", 2);
	if (l->n_fields < TEXT_FIELDS_MAX)
		l->field[l->n_fields++] = l->b.len;
}

/* Appends field f (n bytes) to out at column *col, cutting it at its spaces
 * (or anywhere, when it has none) where it would pass the width. */
static void
text_wrap_field(struct text_buf *out, const char *f, size_t n, size_t indent, size_t *col)
{
	while (*col + n > TEXT_WIDTH && *col < TEXT_WIDTH) {
		size_t room = TEXT_WIDTH - *col, cut = room, skip = 0;

		for (size_t i = room; i > 0; i--)
			if (f[i] == ' ') {
				cut = i;
				skip = 1;
				break;
			}
		text_put(out, f, cut);
		text_put(out, "\n", 1);
		text_spaces(out, indent);
		f += cut + skip;
		n -= cut + skip;
		*col = indent;
	}
	text_put(out, f, n);
	*col += n;
}

/* Appends l to out, ended by a newline: as it is when wide or when it fits,
 * else wrapped between its fields with continuation lines indented. */
static void
text_line_render(const struct text_line *l, bool wide, size_t indent, struct text_buf *out)
{
	size_t col = 0, start = 0;

	if (wide || l->b.len <= TEXT_WIDTH) {
		text_put(out, l->b.p, l->b.len);
		text_put(out, "\n", 1);
		return;
	}
	for (size_t i = 0; i <= l->n_fields; i++) {
		size_t end = i < l->n_fields ? l->field[i] - 2 : l->b.len;
		size_t n = end - start;

		if (col > 0) {
			if (col + 2 + n <= TEXT_WIDTH) {
				text_put(out, "  ", 2);
				col += 2;
			} else {
				text_put(out, "\n", 1);
				text_spaces(out, indent);
				col = indent;
			}
		}
		text_wrap_field(out, l->b.p + start, n, indent, &col);
		if (i < l->n_fields)
			start = l->field[i];
	}
	text_put(out, "\n", 1);
}

/* Writes l on the sink's output (wrapped unless --wide). */
static void
text_line_write(struct sink *k, size_t indent)
{
	struct text_priv *p = k->priv;

	p->out.len = 0;
	p->out.oom = false;
	text_line_render(&p->line, k->wide, indent, &p->out);
	fwrite_unlocked(p->out.p, 1, p->out.len, k->out);
}

static void
text_tls(struct text_line *l, const struct session *s)
{
	const struct tls_facts *t = &s->tf;
	char b1[8], b2[8];

	text_field(l);
	if (t->server_hello) {
		text_printf(&l->b, "%s %s", tls_version_name(t->version, b1),
			    tls_cipher_name(t->cipher, b2));
	} else if (t->client_hello) {
		text_printf(&l->b, "(client offered up to %s)",
			    tls_version_name(t->client_max_version, b1));
	}
	if (t->sni[0])
		text_printf(&l->b, " sni=%s", t->sni);
	if (t->alpn_selected[0])
		text_printf(&l->b, " alpn=%s", t->alpn_selected);
	else if (t->alpn[0])
		text_printf(&l->b, " alpn=%s", t->alpn);
	if (t->alert)
		text_printf(&l->b, " tls-alert=%s(%s)",
			    tls_alert_name(t->alert_desc) ? tls_alert_name(t->alert_desc) : "?",
			    t->alert_dir == DIR_C2S ? "client" : "server");
}

/* A certificate name as one word: quoted when it holds a space (cert.c
 * keeps printable ASCII only). */
static void
text_cert_name(struct text_line *l, const char *before, const char *key, const char *v)
{
	text_printf(&l->b, strchr(v, ' ') ? "%s%s=\"%s\"" : "%s%s=%s", before, key, v);
}

static void
text_cert_day(char *b, size_t n, bool known, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!known || !gmtime_r(&tt, &tm) || strftime(b, n, "%Y-%m-%d", &tm) == 0)
		snprintf(b, n, "?");
}

/* The server's certificate where it was in the clear (TLS <= 1.2, DTLS
 * 1.2): what its leaf says, as the JSON record's tls.certificate does in
 * full. TLS 1.3 sessions say nothing here (the version says why). */
static void
text_cert(struct text_line *l, const struct tls_cert *c)
{
	char fp[2 * 8 + 1], from[16], to[16];

	if (c->state == TLS_CERT_BAD) {
		text_field(l);
		text_puts(&l->b, "cert=unreadable");
		return;
	}
	if (c->state != TLS_CERT_READ)
		return;
	text_field(l);
	text_cert_name(l, "cert[", "cn", c->subject[0] ? c->subject : "-");
	text_cert_name(l, " ", "issuer", c->issuer[0] ? c->issuer : "-");
	text_printf(&l->b, " names=%s%s", c->names[0] ? c->names : "-", c->names_cut ? ",..." : "");
	if (c->key[0])
		text_printf(&l->b, " %s", c->key);
	if (c->hashed > 0) {
		hex_encode(c->h[0].cert256, 8, fp);
		text_printf(&l->b, " sha256=%s...", fp);
	}
	text_cert_day(from, sizeof(from), c->times_known, c->not_before);
	text_cert_day(to, sizeof(to), c->times_known, c->not_after);
	text_printf(&l->b, " valid=%s..%s chain=%u%s]", from, to, c->chain,
		    c->self_signed ? " self-signed" : "");
}

static void text_session_extra(struct text_line *l, const struct session *s);

/* As the dashboard's problems filter (its f key). */
static bool
text_session_is_problem(const struct session *s)
{
	return s->verdict == VERDICT_CLEARTEXT || s->verdict == VERDICT_DOWNGRADED ||
	       s->verdict == VERDICT_TLS_FAILED || s->alerts != 0;
}

static void
text_session(struct sink *k, const struct session *s)
{
	struct text_priv *p = k->priv;
	struct text_line *l = &p->line;
	char ts[40], cli[64], srv[64];
	const char *reason = reason_name(s->reason);

	if (k->summary_only)
		return; /* the dashboard shows the sessions */
	if (k->report == SINK_REPORT_ALERTS || k->report == SINK_REPORT_SUMMARY ||
	    (k->report == SINK_REPORT_PROBLEMS && !text_session_is_problem(s)))
		return;
	sink_format_display_time(s->ts_first_us, ts, sizeof(ts));
	sink_format_endpoint(s->family, s->client_ip, s->client_port, cli, sizeof(cli));
	sink_format_endpoint(s->family, s->server_ip, s->server_port, srv, sizeof(srv));
	/* The common part of the line without printf (it runs per session). */
	text_line_start(l);
	text_put(&l->b, "#", 1);
	text_u64(&l->b, s->id);
	text_field(l);
	text_puts(&l->b, ts);
	text_field(l);
	text_puts(&l->b, cli);
	text_put(&l->b, " > ", 3);
	text_puts(&l->b, srv);
	text_field(l);
	text_puts(&l->b, s->service);
	text_field(l);
	text_puts(&l->b, verdict_name(s->verdict));
	if (reason) {
		text_put(&l->b, "/", 1);
		text_puts(&l->b, reason);
	}
	if (s->tf.client_hello || s->tf.server_hello)
		text_tls(l, s);
	text_cert(l, &s->tf.cert);
	for (size_t i = 0; i < s->pf.n_logins; i++) {
		const struct login *lg = &s->pf.logins[i];
		const char *sec = sink_secret(lg, k->show_secrets, "********");

		text_field(l);
		text_printf(&l->b, "login=%s user=%s%s%s %s", lg->mechanism,
			    lg->username[0] ? lg->username : "?", sec ? " secret=" : "",
			    sec ? sec : "", login_outcome_name(lg->outcome));
	}
	if (s->alerts) {
		const char *sep = "alerts=";

		text_field(l);
		for (int a = 0; a < ALERT_KIND_COUNT; a++)
			if (s->alerts & (1u << a)) {
				text_puts(&l->b, sep);
				text_puts(&l->b, alert_kind_name((enum alert_kind)a));
				sep = ",";
			}
	}
	if (s->ndpi[0]) {
		text_field(l);
		text_printf(&l->b, "ndpi=%s", s->ndpi);
	}
	if (s->tunnel_depth) {
		char t[DECODE_TUNNEL_MAX * 16];

		text_field(l);
		text_printf(&l->b, "tunnel=%s",
			    decode_tunnel_list(s->tunnels, s->tunnel_depth, t, sizeof(t)));
	}
	text_session_extra(l, s);
	text_line_write(k, TEXT_SESSION_INDENT);
	if (k->live)
		sink_flush(k);
}

/* A protocol's own fields: "  ftp[prot=P passive=2]", nothing when none. */
struct text_own {
	struct text_line *l;
	const char *name;
	bool opened;
};

static void
text_own_key(struct text_own *w, const char *key)
{
	if (!w->opened) {
		text_field(w->l);
		text_printf(&w->l->b, "%s[%s=", w->name, key);
	} else {
		text_printf(&w->l->b, " %s=", key);
	}
	w->opened = true;
}

static void
text_own_str(void *ctx, const char *key, const char *value)
{
	struct text_own *w = ctx;

	text_own_key(w, key);
	text_puts(&w->l->b, value);
}

static void
text_own_num(void *ctx, const char *key, uint64_t value)
{
	struct text_own *w = ctx;

	text_own_key(w, key);
	text_u64(&w->l->b, value);
}

static void
text_session_extra(struct text_line *l, const struct session *s)
{
	if (s->link) {
		text_field(l);
		text_printf(&l->b, "control=#%" PRIu64 " (%s)", s->control_id,
			    s->link == 1 ? "announced" : "inferred");
	}
	if (s->data_sessions) {
		text_field(l);
		text_printf(&l->b, "data=%u cleartext=%u", s->data_sessions, s->data_cleartext);
	}
	if (s->policy.source) {
		const char *m = sts_mode_name((enum sts_mode)s->policy.mta_sts);

		text_field(l);
		text_printf(&l->b, "policy=%s[%s mta-sts=%s%s%s%s]", s->policy.domain,
			    policy_source_name((enum policy_source)s->policy.source), m ? m : "-",
			    s->policy.dane ? " dane" : "", s->policy.tlsrpt ? " tlsrpt" : "",
			    s->policy.mail_sent ? " mail-sent" : "");
	}
	if (s->proto && s->proto->write) {
		struct text_own w = {l, s->proto->name, false};
		struct proto_writer pw = {&w, text_own_str, text_own_num};

		s->proto->write(&s->pf, &pw);
		if (w.opened)
			text_put(&l->b, "]", 1);
	}
}

static void
text_alert(struct sink *k, const struct alert *a)
{
	struct text_priv *p = k->priv;
	struct text_line *l = &p->line;
	char srv[64];
	size_t before = p->alerts.len;

	if (p->n >= TEXT_ALERTS_KEPT) {
		p->not_kept++;
		return;
	}
	sink_format_endpoint(a->family, a->server_ip, a->server_port, srv, sizeof(srv));
	text_line_start(l);
	text_printf(&l->b, "  %-*s %-*s session #%" PRIu64, TEXT_SEVERITY_W,
		    severity_name(a->severity), TEXT_KIND_W, alert_kind_name(a->kind),
		    a->session_id);
	text_field(l);
	text_printf(&l->b, "%s %s", srv, a->service ? a->service : "?");
	text_field(l);
	text_puts(&l->b, a->evidence);
	if (a->pcap[0]) {
		text_field(l);
		text_printf(&l->b, "pcap=%s", a->pcap);
	}
	text_line_render(l, k->wide, TEXT_ALERT_INDENT, &p->alerts);
	if (l->b.oom || p->alerts.oom) {
		/* Out of memory: keep the alerts listed so far whole. */
		p->alerts.len = before;
		l->b.oom = p->alerts.oom = false;
		p->not_kept++;
		return;
	}
	p->n++;
}

/* ---- the tables ---- */

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

/* The first column of a port or server row. */
static void
text_row_name(const struct summary_row *r, bool server, char *buf, size_t bufsz)
{
	if (server) {
		size_t n;

		sink_format_endpoint(r->family, r->ip, r->port, buf, bufsz);
		/* TCP is the rule; a UDP server (DNS on 853/udp beside DoT on
		 * 853/tcp) says so. */
		n = strlen(buf);
		if (r->l4 != 6 && n < bufsz)
			snprintf(buf + n, bufsz - n, "/%s", transport_name(r->l4));
	} else
		snprintf(buf, bufsz, "%u/%s", r->port, transport_name(r->l4));
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
		text_row_name(&rows[i], server, first, sizeof(first));
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
		text_row_name(&rows[i], server, first, sizeof(first));
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
		text_row_name(&rows[i], server, first, sizeof(first));
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
		text_printf(b, "%s%s:%" PRIu64, sep, c->by_service[i].service,
			    c->by_service[i].logins);
		sep = " ";
	}
	if (c->logins_other)
		text_printf(b, "%sother:%" PRIu64, sep, c->logins_other);
}

static void
text_client_name(const struct summary_client *c, char *buf, size_t bufsz)
{
	if (c->family)
		session_addr_str(c->family, c->ip, buf, bufsz);
	else
		snprintf(buf, bufsz, "(others)");
}

/* The client table: CLIENT SESS CLEAR DOWN ENC LOGIN, then the cleartext
 * logins by service (wrapped under their column). */
static void
text_clients(struct sink *k, struct summary *sum)
{
	struct text_priv *p = k->priv;
	FILE *o = k->out;
	size_t n, w0 = strlen("CLIENT"), w[3] = {4, 5, 4}, wl = 5;
	const struct summary_client *rows = summary_clients(sum, &n);
	const struct summary_client *others = summary_clients_others(sum);
	char name[64];

	fprintf(o, "\nPer client:\n");
	if (k->wide) {
		w0 = 39;
		w[0] = 8, w[1] = 9, w[2] = 10, wl = 7;
	}
	for (size_t i = 0; i <= n; i++) {
		const struct summary_client *c = i < n ? &rows[i] : others;

		if (!c || k->wide)
			continue;
		text_client_name(c, name, sizeof(name));
		w0 = text_max(w0, strlen(name));
		w[0] = text_max(w[0], text_digits(c->sessions));
		w[1] = text_max(w[1], text_digits(c->verdicts[VERDICT_CLEARTEXT]));
		w[2] = text_max(w[2], text_digits(c->verdicts[VERDICT_DOWNGRADED]));
		wl = text_max(wl, text_digits(c->logins));
	}
	fprintf(o, "  %-*s %*s %*s %*s %*s %*s  %s\n", (int)w0, "CLIENT", (int)w[0],
		k->wide ? "SESSIONS" : "SESS", (int)w[1], k->wide ? "CLEARTEXT" : "CLEAR",
		(int)w[2], k->wide ? "DOWNGRADED" : "DOWN", k->wide ? 9 : 4,
		k->wide ? "ENCRYPTED" : "ENC", (int)wl, k->wide ? "LOGINS" : "LOGIN",
		"CLEARTEXT LOGINS BY SERVICE");
	for (size_t i = 0; i <= n; i++) {
		const struct summary_client *c = i < n ? &rows[i] : others;
		struct text_line *l = &p->line;
		size_t indent;

		if (!c)
			continue;
		text_client_name(c, name, sizeof(name));
		text_line_start(l);
		text_printf(
			&l->b, "  %-*s %*" PRIu64 " %*" PRIu64 " %*" PRIu64 " %*.0f%% %*" PRIu64,
			(int)w0, name, (int)w[0], c->sessions, (int)w[1],
			c->verdicts[VERDICT_CLEARTEXT], (int)w[2], c->verdicts[VERDICT_DOWNGRADED],
			k->wide ? 8 : 3, 100.0 * summary_verdicts_share(c->verdicts, c->sessions),
			(int)wl, c->logins);
		indent = l->b.len + 2;
		text_field(l);
		text_client_logins(&l->b, c);
		/* The list wraps under its own column when there is room. */
		text_line_write(k, indent < TEXT_WIDTH - 20 ? indent : 4);
	}
	if (others)
		text_note(k, 4,
			  "(others): %" PRIu64 " sessions of clients beyond the first %zu, "
			  "counted together",
			  others->sessions, summary_clients_max(sum));
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

/* The user table: USER SERVICE LOGIN OK FAIL, then the server. */
static void
text_users(struct sink *k, struct summary *sum)
{
	struct text_priv *p = k->priv;
	FILE *o = k->out;
	size_t n, wu = strlen("USER"), ws = strlen("SERVICE"), w[3] = {5, 2, 4};
	const struct summary_user *rows = summary_users(sum, &n);
	const struct summary_user *others = summary_users_others(sum);
	char name[LOGIN_FIELD_MAX], srv[64];

	fprintf(o, "\nPer user (cleartext logins):\n");
	if (!n && !others) {
		fprintf(o, "  none\n");
		return;
	}
	if (k->wide) {
		wu = 32, ws = 11;
		w[0] = 7, w[1] = 9, w[2] = 8;
	}
	for (size_t i = 0; i <= n; i++) {
		const struct summary_user *u = i < n ? &rows[i] : others;

		if (!u || k->wide)
			continue;
		text_user_name(u, name, sizeof(name));
		wu = text_max(wu, strlen(name));
		ws = text_max(ws, strlen(u->service ? u->service : "-"));
		w[0] = text_max(w[0], text_digits(u->logins));
		w[1] = text_max(w[1], text_digits(u->successes));
		w[2] = text_max(w[2], text_digits(u->failures));
	}
	if (!k->wide && wu > 24)
		wu = 24;
	fprintf(o, "  %-*s %-*s %*s %*s %*s  %s\n", (int)wu, "USER", (int)ws, "SERVICE", (int)w[0],
		k->wide ? "LOGINS" : "LOGIN", (int)w[1], k->wide ? "SUCCESSES" : "OK", (int)w[2],
		k->wide ? "FAILURES" : "FAIL", "SERVER");
	for (size_t i = 0; i <= n; i++) {
		const struct summary_user *u = i < n ? &rows[i] : others;
		struct text_line *l = &p->line;
		size_t indent;

		if (!u)
			continue;
		text_user_name(u, name, sizeof(name));
		if (u->service)
			sink_format_endpoint(u->family, u->ip, u->port, srv, sizeof(srv));
		else
			snprintf(srv, sizeof(srv), "-");
		text_line_start(l);
		if (strlen(name) > wu) {
			text_printf(&l->b, "  %s", name);
			text_line_write(k, 4);
			text_line_start(l);
			name[0] = '\0';
		}
		text_printf(&l->b, "  %-*s %-*s %*" PRIu64 " %*" PRIu64 " %*" PRIu64, (int)wu, name,
			    (int)ws, u->service ? u->service : "-", (int)w[0], u->logins, (int)w[1],
			    u->successes, (int)w[2], u->failures);
		indent = l->b.len + 2;
		text_field(l);
		text_puts(&l->b, srv);
		text_line_write(k, indent < TEXT_WIDTH - 20 ? indent : 4);
	}
	if (others)
		text_note(k, 4,
			  "(others): %" PRIu64 " logins of users beyond the first %zu (by name, "
			  "service and server), counted together",
			  others->logins, summary_users_max(sum));
}

static void
text_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	struct text_priv *p = k->priv;
	FILE *o = k->out;
	const struct summary_row *rows;
	size_t n;

	(void)st;
	if (k->report != SINK_REPORT_ALERTS)
		fprintf(o, "%sAlerts: %zu\n", k->report == SINK_REPORT_SUMMARY ? "" : "\n",
			p->n + (size_t)p->not_kept);
	if (p->alerts.len && k->report != SINK_REPORT_SUMMARY)
		fwrite(p->alerts.p, 1, p->alerts.len, o);
	if (p->not_kept && k->report != SINK_REPORT_SUMMARY)
		fprintf(o, "  ... %" PRIu64 " more alerts not listed (see --json)\n", p->not_kept);
	if (k->report == SINK_REPORT_ALERTS || k->report == SINK_REPORT_PROBLEMS) {
		sink_flush(k);
		return;
	}

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
	/* Servers a mail policy protects, under the table (it stays within
	 * 80 columns): "POLICY: 127.0.0.25:25 example.org, VIOLATED in 1 of 2
	 * sessions". */
	for (size_t i = 0; !k->wide && i < n; i++) {
		char first[64];

		if (!rows[i].policy_sessions)
			continue;
		text_row_name(&rows[i], true, first, sizeof(first));
		if (rows[i].policy_violations)
			text_note(k, 10,
				  "POLICY: %s %s, VIOLATED in %" PRIu64 " of %" PRIu64 " sessions",
				  first, rows[i].policy_domain, rows[i].policy_violations,
				  rows[i].policy_sessions);
		else
			text_note(k, 10, "POLICY: %s %s, kept in %" PRIu64 " sessions", first,
				  rows[i].policy_domain, rows[i].policy_sessions);
	}
	/* Servers reached inside tunnels (the first tunnelled session's
	 * encapsulations, outermost first): "TUNNEL: 127.0.0.1:25 vxlan, 3 of
	 * 5 sessions". */
	for (size_t i = 0; !k->wide && i < n; i++) {
		char first[64], t[64];

		if (!rows[i].tunnelled)
			continue;
		text_row_name(&rows[i], true, first, sizeof(first));
		text_note(k, 10, "TUNNEL: %s %s, %" PRIu64 " of %" PRIu64 " sessions", first,
			  decode_tunnel_list(rows[i].tunnels, rows[i].tunnel_depth, t, sizeof(t)),
			  rows[i].tunnelled, rows[i].sessions);
	}
	text_clients(k, sum);
	text_users(k, sum);
	sink_flush(k);
}

void
sink_text_rows(FILE *o, const struct summary_row *rows, size_t n, bool server, bool wide)
{
	(wide ? text_rows_wide : text_rows_narrow)(o, rows, n, server);
}

static void
text_free(struct sink *k)
{
	struct text_priv *p = k->priv;

	free(p->alerts.p);
	free(p->line.b.p);
	free(p->out.p);
	free(p);
	free(k);
}

int
sink_text_report_parse(const char *name)
{
	static const char *const names[] = {
		[SINK_REPORT_FULL] = "full",
		[SINK_REPORT_PROBLEMS] = "problems",
		[SINK_REPORT_ALERTS] = "alerts",
		[SINK_REPORT_SUMMARY] = "summary",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

struct sink *
sink_text_new(FILE *out, bool show_secrets, bool live)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct text_priv *p = calloc(1, sizeof(*p));

	if (!k || !p) {
		free(k);
		free(p);
		return NULL;
	}
	k->session = text_session;
	k->alert = text_alert;
	k->finish = text_finish;
	k->free = text_free;
	k->out = out;
	k->show_secrets = show_secrets;
	k->live = live;
	k->priv = p;
	return k;
}
