/*
 * text.c - the text report: one line per session as sessions end, then the
 * alerts, then the per-port and per-server summary.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

#define TEXT_ALERTS_KEPT 100000 /* alerts listed at the end; more are counted */

/* The alerts are listed after the sessions, so their lines are kept until
 * then: formatted at once, in one growing buffer (a line is about 150
 * bytes where a struct alert is 1.4 KiB). */
struct text_priv {
	char *lines;
	size_t len, cap; /* bytes of lines */
	size_t n;	 /* alerts kept */
	uint64_t not_kept;
};

static void
text_tls(FILE *o, const struct session *s)
{
	const struct tls_facts *t = &s->tf;
	char b1[8], b2[8];

	if (t->server_hello) {
		fprintf(o, "  %s %s", tls_version_name(t->version, b1),
			tls_cipher_name(t->cipher, b2));
	} else if (t->client_hello) {
		fprintf(o, "  (client offered up to %s)",
			tls_version_name(t->client_max_version, b1));
	}
	if (t->sni[0])
		fprintf(o, " sni=%s", t->sni);
	if (t->alpn_selected[0])
		fprintf(o, " alpn=%s", t->alpn_selected);
	else if (t->alpn[0])
		fprintf(o, " alpn=%s", t->alpn);
	if (t->alert)
		fprintf(o, " tls-alert=%s(%s)",
			tls_alert_name(t->alert_desc) ? tls_alert_name(t->alert_desc) : "?",
			t->alert_dir == DIR_C2S ? "client" : "server");
}

static void text_session_extra(FILE *o, const struct session *s);

static void
text_session(struct sink *k, const struct session *s)
{
	FILE *o = k->out;
	char ts[40], cli[64], srv[64];
	const char *reason = reason_name(s->reason);

	if (k->summary_only)
		return; /* the dashboard shows the sessions */
	sink_format_time(s->ts_first_us, ts, sizeof(ts));
	sink_format_endpoint(s->family, s->client_ip, s->client_port, cli, sizeof(cli));
	sink_format_endpoint(s->family, s->server_ip, s->server_port, srv, sizeof(srv));
	{
		/* The common part of the line without printf (it runs per session). */
		char id[24];
		size_t i = sizeof(id) - 1;
		uint64_t v = s->id;

		id[i] = '\0';
		do {
			id[--i] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		fputc_unlocked('#', o);
		fputs_unlocked(id + i, o);
		fputs_unlocked("  ", o);
		fputs_unlocked(ts, o);
		fputs_unlocked("  ", o);
		fputs_unlocked(cli, o);
		fputs_unlocked(" > ", o);
		fputs_unlocked(srv, o);
		fputs_unlocked("  ", o);
		fputs_unlocked(s->service, o);
		fputs_unlocked("  ", o);
		fputs_unlocked(verdict_name(s->verdict), o);
		if (reason) {
			fputc_unlocked('/', o);
			fputs_unlocked(reason, o);
		}
	}
	if (s->tf.client_hello || s->tf.server_hello)
		text_tls(o, s);
	for (size_t i = 0; i < s->pf.n_logins; i++) {
		const struct login *l = &s->pf.logins[i];
		const char *sec = sink_secret(l, k->show_secrets, "********");

		fprintf(o, "  login=%s user=%s%s%s %s", l->mechanism,
			l->username[0] ? l->username : "?", sec ? " secret=" : "", sec ? sec : "",
			login_outcome_name(l->outcome));
	}
	if (s->alerts) {
		const char *sep = "  alerts=";

		for (int a = 0; a < ALERT_KIND_COUNT; a++)
			if (s->alerts & (1u << a)) {
				fprintf(o, "%s%s", sep, alert_kind_name((enum alert_kind)a));
				sep = ",";
			}
	}
	if (s->ndpi[0])
		fprintf(o, "  ndpi=%s", s->ndpi);
	text_session_extra(o, s);
	fputc('\n', o);
	if (k->live)
		sink_flush(k);
}

/* A protocol's own fields: "  ftp[prot=P passive=2]", nothing when none. */
struct text_own {
	FILE *o;
	const char *name;
	bool opened;
};

static void
text_own_key(struct text_own *w, const char *key)
{
	if (!w->opened)
		fprintf(w->o, "  %s[%s=", w->name, key);
	else
		fprintf(w->o, " %s=", key);
	w->opened = true;
}

static void
text_own_str(void *ctx, const char *key, const char *value)
{
	text_own_key(ctx, key);
	fputs(value, ((struct text_own *)ctx)->o);
}

static void
text_own_num(void *ctx, const char *key, uint64_t value)
{
	text_own_key(ctx, key);
	fprintf(((struct text_own *)ctx)->o, "%" PRIu64, value);
}

static void
text_session_extra(FILE *o, const struct session *s)
{
	if (s->link)
		fprintf(o, "  control=#%" PRIu64 " (%s)", s->control_id,
			s->link == 1 ? "announced" : "inferred");
	if (s->data_sessions)
		fprintf(o, "  data=%u cleartext=%u", s->data_sessions, s->data_cleartext);
	if (s->proto && s->proto->write) {
		struct text_own w = {o, s->proto->name, false};
		struct proto_writer pw = {&w, text_own_str, text_own_num};

		s->proto->write(&s->pf, &pw);
		if (w.opened)
			fputc(']', o);
	}
}

static void
text_alert(struct sink *k, const struct alert *a)
{
	struct text_priv *p = k->priv;
	char line[1600], srv[64];
	int n;

	if (p->n >= TEXT_ALERTS_KEPT) {
		p->not_kept++;
		return;
	}
	sink_format_endpoint(a->family, a->server_ip, a->server_port, srv, sizeof(srv));
	n = snprintf(line, sizeof(line), "  %-6s %-28s session #%" PRIu64 "  %s %s  %s%s%s\n",
		     severity_name(a->severity), alert_kind_name(a->kind), a->session_id, srv,
		     a->service ? a->service : "?", a->evidence, a->pcap[0] ? "  pcap=" : "",
		     a->pcap);
	if (n < 0) {
		p->not_kept++;
		return;
	}
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (p->len + (size_t)n > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16384;
		char *nl;

		while (cap < p->len + (size_t)n)
			cap *= 2;
		nl = realloc(p->lines, cap);
		if (!nl) {
			p->not_kept++;
			return;
		}
		p->lines = nl;
		p->cap = cap;
	}
	memcpy(p->lines + p->len, line, (size_t)n);
	p->len += (size_t)n;
	p->n++;
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

static void
text_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	struct text_priv *p = k->priv;
	FILE *o = k->out;
	const struct summary_row *rows;
	size_t n;
	char first[64];

	(void)st;
	fprintf(o, "\nAlerts: %zu\n", p->n + (size_t)p->not_kept);
	if (p->len)
		fwrite(p->lines, 1, p->len, o);
	if (p->not_kept)
		fprintf(o, "  ... %" PRIu64 " more alerts not listed (see --json)\n", p->not_kept);

	rows = summary_ports(sum, &n);
	fprintf(o, "\nPer port:\n");
	text_summary_header(o, "PORT");
	for (size_t i = 0; i < n; i++) {
		snprintf(first, sizeof(first), "%u/%s", rows[i].port, transport_name(rows[i].l4));
		text_summary_row(o, first, &rows[i]);
		fputc('\n', o);
	}
	rows = summary_servers(sum, &n);
	fprintf(o, "\nPer server:\n");
	text_summary_header(o, "SERVER");
	for (size_t i = 0; i < n; i++) {
		sink_format_endpoint(rows[i].family, rows[i].ip, rows[i].port, first,
				     sizeof(first));
		text_summary_row(o, first, &rows[i]);
		if (rows[i].tls_offered && rows[i].tls_not_offered)
			fprintf(o, "  upgrade offered in some sessions only");
		else if (rows[i].tls_offered)
			fprintf(o, "  upgrade offered");
		else if (rows[i].tls_not_offered)
			fprintf(o, "  upgrade not offered");
		fputc('\n', o);
	}
	sink_flush(k);
}

static void
text_free(struct sink *k)
{
	struct text_priv *p = k->priv;

	free(p->lines);
	free(p);
	free(k);
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
