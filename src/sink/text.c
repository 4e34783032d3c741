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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text_internal.h"

#define TEXT_ALERTS_KEPT 100000 /* alerts listed at the end; more are counted */
#define TEXT_SESSION_INDENT 4	/* continuation lines of a session */
#define TEXT_ALERT_INDENT 11	/* ... of an alert (under its kind) */
#define TEXT_SEVERITY_W 8	/* "critical", the widest severity */
#define TEXT_KIND_W 27		/* "starttls-response-injection", the widest kind */

static void
text_tls(struct text_line *l, const struct session *s)
{
	const struct tls_facts *t = &s->tf;
	char b1[8], b2[8];

	text_field(l);
	if (t->server_hello) {
		text_puts(&l->b, tls_version_name(t->version, b1));
		text_putc(&l->b, ' ');
		text_puts(&l->b, tls_cipher_name(t->cipher, b2));
	} else if (t->client_hello) {
		text_puts(&l->b, "(client offered up to ");
		text_puts(&l->b, tls_version_name(t->client_max_version, b1));
		text_putc(&l->b, ')');
	}
	if (t->sni[0]) {
		text_puts(&l->b, " sni=");
		text_puts(&l->b, t->sni);
	}
	if (t->alpn_selected[0] || t->alpn[0]) {
		text_puts(&l->b, " alpn=");
		text_puts(&l->b, t->alpn_selected[0] ? t->alpn_selected : t->alpn);
	}
	if (t->alert) {
		text_puts(&l->b, " tls-alert=");
		text_puts(&l->b,
			  tls_alert_name(t->alert_desc) ? tls_alert_name(t->alert_desc) : "?");
		text_puts(&l->b, t->alert_dir == DIR_C2S ? "(client)" : "(server)");
	}
}

/* A certificate name as one word: quoted when it holds a space (cert.c
 * keeps printable ASCII only). */
static void
text_cert_name(struct text_line *l, const char *before, const char *key, const char *v)
{
	bool quote = strchr(v, ' ') != NULL;

	text_puts(&l->b, before);
	text_puts(&l->b, key);
	text_putc(&l->b, '=');
	if (quote)
		text_putc(&l->b, '"');
	text_puts(&l->b, v);
	if (quote)
		text_putc(&l->b, '"');
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
	text_puts(&l->b, " names=");
	text_puts(&l->b, c->names[0] ? c->names : "-");
	if (c->names_cut)
		text_puts(&l->b, ",...");
	if (c->key[0]) {
		text_putc(&l->b, ' ');
		text_puts(&l->b, c->key);
	}
	if (c->hashed > 0) {
		hex_encode(c->h[0].cert256, 8, fp);
		text_puts(&l->b, " sha256=");
		text_puts(&l->b, fp);
		text_puts(&l->b, "...");
	}
	text_cert_day(from, sizeof(from), c->times_known, c->not_before);
	text_cert_day(to, sizeof(to), c->times_known, c->not_after);
	text_puts(&l->b, " valid=");
	text_puts(&l->b, from);
	text_puts(&l->b, "..");
	text_puts(&l->b, to);
	text_puts(&l->b, " chain=");
	text_u64(&l->b, c->chain);
	if (c->self_signed)
		text_puts(&l->b, " self-signed");
	text_putc(&l->b, ']');
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
		text_puts(&l->b, "login=");
		text_puts(&l->b, lg->mechanism);
		text_puts(&l->b, " user=");
		text_puts(&l->b, lg->username[0] ? lg->username : "?");
		if (sec) {
			text_puts(&l->b, " secret=");
			text_puts(&l->b, sec);
		}
		text_putc(&l->b, ' ');
		text_puts(&l->b, login_outcome_name(lg->outcome));
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
		text_puts(&l->b, "ndpi=");
		text_puts(&l->b, s->ndpi);
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
		text_puts(&w->l->b, w->name);
		text_putc(&w->l->b, '[');
	} else {
		text_putc(&w->l->b, ' ');
	}
	text_puts(&w->l->b, key);
	text_putc(&w->l->b, '=');
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
		text_puts(&l->b, "control=#");
		text_u64(&l->b, s->control_id);
		text_puts(&l->b, s->link == 1 ? " (announced)" : " (inferred)");
	}
	if (s->data_sessions) {
		text_field(l);
		text_puts(&l->b, "data=");
		text_u64(&l->b, s->data_sessions);
		text_puts(&l->b, " cleartext=");
		text_u64(&l->b, s->data_cleartext);
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
	text_put(&l->b, "  ", 2);
	text_pad(&l->b, severity_name(a->severity), TEXT_SEVERITY_W);
	text_putc(&l->b, ' ');
	text_pad(&l->b, alert_kind_name(a->kind), TEXT_KIND_W);
	text_puts(&l->b, " session #");
	text_u64(&l->b, a->session_id);
	text_field(l);
	text_puts(&l->b, srv);
	text_putc(&l->b, ' ');
	text_puts(&l->b, a->service ? a->service : "?");
	text_field(l);
	text_puts(&l->b, a->evidence);
	if (a->pcap[0]) {
		text_field(l);
		text_puts(&l->b, "pcap=");
		text_puts(&l->b, a->pcap);
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

static void
text_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	struct text_priv *p = k->priv;
	FILE *o = k->out;

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
	text_tables(k, sum);
	sink_flush(k);
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
