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

/*
 * Per-record writers use the unlocked stdio calls and format numbers by hand:
 * a sink is only ever driven from one thread, and printf's format parsing
 * was a fifth of the run time in the first profile.
 */
static inline void
json_raw(FILE *o, const char *s)
{
	fputs_unlocked(s, o);
}

static void
json_u64(FILE *o, uint64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(buf + i, 1, sizeof(buf) - i, o);
}

static void
json_str(FILE *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	/* RFC 8259 7: the two-character escapes; other control bytes and
	 * bytes past ASCII are written as \u00XX. */
	static const char *const short_escape[0x7f] = {
		['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
	};
	const unsigned char *p = (const unsigned char *)s;

	fputc_unlocked('"', o);
	while (*p) {
		const unsigned char *run = p;

		/* Copy the longest run that needs no escape in one call. */
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			fwrite_unlocked(run, 1, (size_t)(p - run), o);
		if (!*p)
			break;
		if (*p < 0x7f && short_escape[*p]) {
			json_raw(o, short_escape[*p]);
		} else {
			char u[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};

			fwrite_unlocked(u, 1, sizeof(u), o);
		}
		p++;
	}
	fputc_unlocked('"', o);
}

/* A string, or null when s is NULL or empty. */
static void
json_str_or_null(FILE *o, const char *s)
{
	if (s && *s)
		json_str(o, s);
	else
		json_raw(o, "null");
}

static void
json_bool(FILE *o, bool b)
{
	json_raw(o, b ? "true" : "false");
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
		json_raw(o, "null");
		return;
	}
	json_raw(o, "{\"version\":");
	json_str_or_null(o, t->server_hello ? tls_version_name(t->version, b) : NULL);
	json_raw(o, ",\"cipher\":");
	json_str_or_null(o, t->server_hello ? tls_cipher_name(t->cipher, b) : NULL);
	json_raw(o, ",\"sni\":");
	json_str_or_null(o, t->sni);
	json_raw(o, ",\"alpn\":");
	json_str_or_null(o, t->alpn_selected[0] ? t->alpn_selected : t->alpn);
	json_raw(o, ",\"client_max_version\":");
	json_str_or_null(o, t->client_hello ? tls_version_name(t->client_max_version, b) : NULL);
	json_raw(o, ",\"established\":");
	json_bool(o, t->established);
	if (t->alert) {
		json_raw(o, ",\"alert\":{\"from\":");
		json_str(o, t->alert_dir == DIR_C2S ? "client" : "server");
		json_raw(o, ",\"level\":");
		json_u64(o, t->alert_level);
		json_raw(o, ",\"description\":");
		json_str_or_null(o, tls_alert_name(t->alert_desc));
		fputc_unlocked('}', o);
	}
	fputc_unlocked('}', o);
}

static void
json_session(struct sink *k, const struct session *s)
{
	FILE *o = k->out;
	const char *sep;

	json_raw(o, "{\"type\":\"session\",\"id\":");
	json_u64(o, s->id);
	json_raw(o, ",\"ts_first\":");
	json_time(o, s->ts_first_us);
	json_raw(o, ",\"ts_last\":");
	json_time(o, s->ts_last_us);
	json_raw(o, ",\"transport\":\"");
	json_raw(o, transport_name(s->l4));
	json_raw(o, "\",\"client_ip\":");
	json_ip(o, s->family, s->client_ip);
	json_raw(o, ",\"client_port\":");
	json_u64(o, s->client_port);
	json_raw(o, ",\"server_ip\":");
	json_ip(o, s->family, s->server_ip);
	json_raw(o, ",\"server_port\":");
	json_u64(o, s->server_port);
	json_raw(o, ",\"service\":");
	json_str(o, s->service);
	json_raw(o, ",\"verdict\":");
	json_str(o, verdict_name(s->verdict));
	json_raw(o, ",\"reason\":");
	json_str_or_null(o, reason_name(s->reason));
	json_raw(o, ",\"tls\":");
	json_tls(o, s);
	json_raw(o, ",\"upgrade\":{\"offered\":");
	json_bool(o, s->pf.tls_offered);
	json_raw(o, ",\"requested\":");
	json_bool(o, s->pf.upgrade_requested);
	json_raw(o, ",\"accepted\":");
	json_bool(o, s->pf.upgrade_accepted || s->pf.switch_to_tls);
	json_raw(o, "},\"logins\":[");
	for (size_t i = 0; i < s->pf.n_logins; i++) {
		const struct login *l = &s->pf.logins[i];

		json_raw(o, i ? ",{\"mechanism\":" : "{\"mechanism\":");
		json_str(o, l->mechanism);
		json_raw(o, ",\"username\":");
		json_str_or_null(o, l->username);
		json_raw(o, ",\"secret\":");
		json_str(o, l->has_secret ? (k->show_secrets ? l->secret : "redacted") : "none");
		json_raw(o, ",\"outcome\":");
		json_str(o, login_outcome_name(l->outcome));
		fputc_unlocked('}', o);
	}
	json_raw(o, "],\"alerts\":[");
	sep = "";
	for (int a = 0; a < ALERT_KIND_COUNT; a++)
		if (s->alerts & (1u << a)) {
			json_raw(o, sep);
			json_str(o, alert_kind_name((enum alert_kind)a));
			sep = ",";
		}
	json_raw(o, "],\"packets\":");
	json_u64(o, s->packets);
	json_raw(o, ",\"bytes_c2s\":");
	json_u64(o, s->bytes[DIR_C2S]);
	json_raw(o, ",\"bytes_s2c\":");
	json_u64(o, s->bytes[DIR_S2C]);
	json_raw(o, ",\"midstream\":");
	json_bool(o, s->midstream);
	json_raw(o, ",\"gap\":");
	json_bool(o, s->gap);
	json_raw(o, ",\"end\":");
	json_str(o, session_end_name(s->end));
	json_raw(o, ",\"ndpi\":");
	json_str_or_null(o, s->ndpi);
	json_raw(o, "}\n");
	if (k->live)
		sink_flush(k);
}

/* Shared with --alert-exec (its stdin is this line), so the two never differ. */
void
sink_json_alert(FILE *o, const struct alert *a)
{
	json_raw(o, "{\"type\":\"alert\",\"kind\":");
	json_str(o, alert_kind_name(a->kind));
	json_raw(o, ",\"severity\":");
	json_str(o, severity_name(a->severity));
	json_raw(o, ",\"session\":");
	json_u64(o, a->session_id);
	json_raw(o, ",\"ts\":");
	json_time(o, a->ts_us);
	json_raw(o, ",\"server_ip\":");
	json_ip(o, a->family, a->server_ip);
	json_raw(o, ",\"server_port\":");
	json_u64(o, a->server_port);
	json_raw(o, ",\"service\":");
	json_str_or_null(o, a->service);
	json_raw(o, ",\"evidence\":");
	json_str(o, a->evidence);
	if (a->pcap[0]) {
		json_raw(o, ",\"pcap\":");
		json_str(o, a->pcap);
	}
	json_raw(o, "}\n");
}

static void
json_alert(struct sink *k, const struct alert *a)
{
	sink_json_alert(k->out, a);
	if (k->live)
		sink_flush(k);
}

static void
json_row(FILE *o, const struct summary_row *r)
{
	static const char *const keys[VERDICT_COUNT] = {
		[VERDICT_UNKNOWN] = "unknown",	     [VERDICT_IMPLICIT_TLS] = "implicit-tls",
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
	struct json_stats_ctx sc = {o, ""};

	rows = summary_ports(sum, &n);
	for (size_t i = 0; i < n; i++) {
		fprintf(o, "{\"type\":\"port\",\"transport\":\"%s\",\"port\":%u",
			transport_name(rows[i].l4), rows[i].port);
		json_row(o, &rows[i]);
		fputs("}\n", o);
	}
	rows = summary_servers(sum, &n);
	for (size_t i = 0; i < n; i++) {
		fputs("{\"type\":\"server\",\"server_ip\":", o);
		json_ip(o, rows[i].family, rows[i].ip);
		fprintf(o, ",\"server_port\":%u,\"transport\":\"%s\"", rows[i].port,
			transport_name(rows[i].l4));
		json_row(o, &rows[i]);
		fprintf(o, ",\"upgrade_offered\":%s,\"upgrade_not_offered\":%s}\n",
			rows[i].tls_offered ? "true" : "false",
			rows[i].tls_not_offered ? "true" : "false");
	}
	fputs("{\"type\":\"stats\",", o);
	sink_stats_each(st, json_stat, &sc);
	fputs("}\n", o);
	sink_flush(k);
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
