/*
 * json.c - JSON Lines output (docs/json-schema.md): one object per line,
 * `type` = session | alert | port | server | stats. Strings are escaped so the
 * output is valid UTF-8 JSON whatever bytes were on the wire (bytes >= 0x80
 * are written as \u00XX).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

static void
json_str(FILE *o, const char *s)
{
	fputc('"', o);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", o);
			break;
		case '\\':
			fputs("\\\\", o);
			break;
		case '\n':
			fputs("\\n", o);
			break;
		case '\r':
			fputs("\\r", o);
			break;
		case '\t':
			fputs("\\t", o);
			break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(o, "\\u%04x", *p);
			else
				fputc(*p, o);
		}
	}
	fputc('"', o);
}

/* A string, or null when s is NULL or empty. */
static void
json_str_or_null(FILE *o, const char *s)
{
	if (s && *s)
		json_str(o, s);
	else
		fputs("null", o);
}

static void
json_time(FILE *o, uint64_t us)
{
	char ts[40];

	sink_format_time(us, ts, sizeof(ts));
	json_str(o, ts);
}

static void
json_ip(FILE *o, uint8_t family, const uint8_t *ip)
{
	char a[64];

	session_addr_str(family, ip, a, sizeof(a));
	json_str(o, a);
}

static void
json_tls(FILE *o, const struct session *s)
{
	const struct tls_facts *t = &s->tf;
	char b[8];

	if (!t->client_hello && !t->server_hello) {
		fputs("null", o);
		return;
	}
	fputs("{\"version\":", o);
	json_str_or_null(o, t->server_hello ? tls_version_name(t->version, b) : NULL);
	fputs(",\"cipher\":", o);
	json_str_or_null(o, t->server_hello ? tls_cipher_name(t->cipher, b) : NULL);
	fputs(",\"sni\":", o);
	json_str_or_null(o, t->sni);
	fputs(",\"alpn\":", o);
	json_str_or_null(o, t->alpn_selected[0] ? t->alpn_selected : t->alpn);
	fputs(",\"client_max_version\":", o);
	json_str_or_null(o, t->client_hello ? tls_version_name(t->client_max_version, b) : NULL);
	fputs(",\"established\":", o);
	fputs(t->established ? "true" : "false", o);
	if (t->alert) {
		fputs(",\"alert\":{\"from\":", o);
		json_str(o, t->alert_dir == DIR_C2S ? "client" : "server");
		fprintf(o, ",\"level\":%u,\"description\":", t->alert_level);
		json_str_or_null(o, tls_alert_name(t->alert_desc));
		fputc('}', o);
	}
	fputc('}', o);
}

static void
json_session(struct sink *k, const struct session *s)
{
	FILE *o = k->out;
	const char *sep;

	fprintf(o, "{\"type\":\"session\",\"id\":%" PRIu64 ",\"ts_first\":", s->id);
	json_time(o, s->ts_first_us);
	fputs(",\"ts_last\":", o);
	json_time(o, s->ts_last_us);
	fputs(",\"transport\":\"tcp\",\"client_ip\":", o);
	json_ip(o, s->family, s->client_ip);
	fprintf(o, ",\"client_port\":%u,\"server_ip\":", s->client_port);
	json_ip(o, s->family, s->server_ip);
	fprintf(o, ",\"server_port\":%u,\"service\":", s->server_port);
	json_str(o, s->service);
	fputs(",\"verdict\":", o);
	json_str(o, verdict_name(s->verdict));
	fputs(",\"reason\":", o);
	json_str_or_null(o, reason_name(s->reason));
	fputs(",\"tls\":", o);
	json_tls(o, s);
	fputs(",\"upgrade\":{\"offered\":", o);
	fputs(s->pf.tls_offered ? "true" : "false", o);
	fputs(",\"requested\":", o);
	fputs(s->pf.upgrade_requested ? "true" : "false", o);
	fputs(",\"accepted\":", o);
	fputs(s->pf.upgrade_accepted || s->pf.switch_to_tls ? "true" : "false", o);
	fputs("},\"logins\":[", o);
	for (size_t i = 0; i < s->pf.n_logins; i++) {
		const struct login *l = &s->pf.logins[i];

		fputs(i ? ",{\"mechanism\":" : "{\"mechanism\":", o);
		json_str(o, l->mechanism);
		fputs(",\"username\":", o);
		json_str_or_null(o, l->username);
		fputs(",\"secret\":", o);
		json_str(o, l->has_secret ? (k->show_secrets ? l->secret : "redacted") : "none");
		fputs(",\"outcome\":", o);
		json_str(o, login_outcome_name(l->outcome));
		fputc('}', o);
	}
	fputs("],\"alerts\":[", o);
	sep = "";
	for (int a = 0; a < ALERT_KIND_COUNT; a++)
		if (s->alerts & (1u << a)) {
			fputs(sep, o);
			json_str(o, alert_kind_name((enum alert_kind)a));
			sep = ",";
		}
	fprintf(o,
		"],\"packets\":%" PRIu64 ",\"bytes_c2s\":%" PRIu64 ",\"bytes_s2c\":%" PRIu64
		",\"midstream\":%s,\"gap\":%s,\"end\":",
		s->packets, s->bytes[DIR_C2S], s->bytes[DIR_S2C], s->midstream ? "true" : "false",
		s->gap ? "true" : "false");
	json_str(o, session_end_name(s->end));
	fputs(",\"ndpi\":", o);
	json_str_or_null(o, s->ndpi);
	fputs("}\n", o);
	if (k->live)
		fflush(o);
}

/* Shared with --alert-exec (its stdin is this line), so the two never differ. */
void
sink_json_alert(FILE *o, const struct alert *a)
{
	fputs("{\"type\":\"alert\",\"kind\":", o);
	json_str(o, alert_kind_name(a->kind));
	fputs(",\"severity\":", o);
	json_str(o, severity_name(a->severity));
	fprintf(o, ",\"session\":%" PRIu64 ",\"ts\":", a->session_id);
	json_time(o, a->ts_us);
	fputs(",\"server_ip\":", o);
	json_ip(o, a->family, a->server_ip);
	fprintf(o, ",\"server_port\":%u,\"service\":", a->server_port);
	json_str_or_null(o, a->service);
	fputs(",\"evidence\":", o);
	json_str(o, a->evidence);
	if (a->pcap[0]) {
		fputs(",\"pcap\":", o);
		json_str(o, a->pcap);
	}
	fputs("}\n", o);
}

static void
json_alert(struct sink *k, const struct alert *a)
{
	sink_json_alert(k->out, a);
	if (k->live)
		fflush(k->out);
}

static void
json_row(FILE *o, const struct summary_row *r)
{
	static const char *const keys[VERDICT_COUNT] = {
		[VERDICT_UNKNOWN] = "unknown",       [VERDICT_IMPLICIT_TLS] = "implicit-tls",
		[VERDICT_STARTTLS] = "starttls",     [VERDICT_CLEARTEXT] = "cleartext",
		[VERDICT_DOWNGRADED] = "downgraded", [VERDICT_TLS_FAILED] = "tls-failed",
	};

	fputs(",\"service\":", o);
	json_str_or_null(o, r->service);
	fprintf(o, ",\"sessions\":%" PRIu64 ",\"verdicts\":{", r->sessions);
	for (int v = VERDICT_IMPLICIT_TLS; v < VERDICT_COUNT; v++)
		fprintf(o, "\"%s\":%" PRIu64 ",", keys[v], r->verdicts[v]);
	fprintf(o,
		"\"unknown\":%" PRIu64 "},\"cleartext_logins\":%" PRIu64
		",\"sessions_with_alerts\":%" PRIu64 ",\"encrypted_share\":%.3f",
		r->verdicts[VERDICT_UNKNOWN], r->logins, r->alerts, summary_encrypted_share(r));
}

struct json_stats_ctx {
	FILE *o;
	const char *sep;
};

static void
json_stat(void *ctx, const char *name, uint64_t v)
{
	struct json_stats_ctx *c = ctx;

	fprintf(c->o, "%s\"%s\":%" PRIu64, c->sep, name, v);
	c->sep = ",";
}

static void
json_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	FILE *o = k->out;
	const struct summary_row *rows;
	size_t n;
	struct json_stats_ctx sc = { o, "" };

	rows = summary_ports(sum, &n);
	for (size_t i = 0; i < n; i++) {
		fprintf(o, "{\"type\":\"port\",\"transport\":\"%s\",\"port\":%u",
			rows[i].l4 == 17 ? "udp" : "tcp", rows[i].port);
		json_row(o, &rows[i]);
		fputs("}\n", o);
	}
	rows = summary_servers(sum, &n);
	for (size_t i = 0; i < n; i++) {
		fputs("{\"type\":\"server\",\"server_ip\":", o);
		json_ip(o, rows[i].family, rows[i].ip);
		fprintf(o, ",\"server_port\":%u,\"transport\":\"%s\"", rows[i].port,
			rows[i].l4 == 17 ? "udp" : "tcp");
		json_row(o, &rows[i]);
		fprintf(o, ",\"upgrade_offered\":%s,\"upgrade_not_offered\":%s}\n",
			rows[i].tls_offered ? "true" : "false",
			rows[i].tls_not_offered ? "true" : "false");
	}
	fputs("{\"type\":\"stats\",", o);
	sink_stats_each(st, json_stat, &sc);
	fputs("}\n", o);
	fflush(o);
}

static void
json_free(struct sink *k)
{
	if (k->priv)
		fclose(k->out);
	free(k);
}

struct sink *
sink_json_new(FILE *out, bool close_out, bool show_secrets, bool live)
{
	struct sink *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->session = json_session;
	k->alert = json_alert;
	k->finish = json_finish;
	k->free = json_free;
	k->out = out;
	k->show_secrets = show_secrets;
	k->live = live;
	k->priv = close_out ? out : NULL;
	return k;
}
