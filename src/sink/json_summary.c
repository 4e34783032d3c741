/*
 * json_summary.c - the JSON sink's closing records (docs/json-schema.md):
 * one per port, server, client and user, then the counters (stats), all
 * stamped with one time; and the running stats record of --stats-interval.
 */
#include <time.h>

#include "json_internal.h"

/* ,"encrypted_share":0.123 - one per summary record, so printf's
 * rounding is kept. */
static void
json_share(struct jbuf *b, double share)
{
	char t[48];
	int n = snprintf(t, sizeof(t), ",\"encrypted_share\":%.3f", share);

	if (n > 0)
		jbuf_put(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

static void
json_row(struct jbuf *b, const struct summary_row *r)
{
	static const char *const keys[VERDICT_COUNT] = {
		[VERDICT_UNKNOWN] = "unknown",	     [VERDICT_IMPLICIT_TLS] = "implicit-tls",
		[VERDICT_STARTTLS] = "starttls",     [VERDICT_CLEARTEXT] = "cleartext",
		[VERDICT_DOWNGRADED] = "downgraded", [VERDICT_TLS_FAILED] = "tls-failed",
	};

	json_kv_str_or_null(b, ",\"service\":", r->service);
	json_kv_u64(b, ",\"sessions\":", r->sessions);
	JB_LIT(b, ",\"verdicts\":{");
	for (int v = VERDICT_IMPLICIT_TLS; v < VERDICT_COUNT; v++) {
		jbuf_putc(b, '"');
		json_raw(b, keys[v]);
		json_kv_u64(b, "\":", r->verdicts[v]);
		jbuf_putc(b, ',');
	}
	json_kv_u64(b, "\"unknown\":", r->verdicts[VERDICT_UNKNOWN]);
	json_kv_u64(b, "},\"cleartext_logins\":", r->logins);
	json_kv_u64(b, ",\"sessions_with_alerts\":", r->alerts);
	json_share(b, summary_encrypted_share(r));
}

/* ,"<name>":N for each counter; the names need no escape. */
static void
json_stat(void *ctx, const char *name, uint64_t v)
{
	struct jbuf *b = ctx;

	JB_LIT(b, ",\"");
	json_raw(b, name);
	json_kv_u64(b, "\":", v);
}

/* The time of the closing records: the latest packet time of the records
 * written when reading files (so the same in every run), the clock in a
 * live capture (the counters are as of now), the clock when there was no
 * record at all. */
static uint64_t
json_finish_time(const struct sink *k)
{
	const struct json_sink *js = k->priv;
	struct timespec now;

	if (!k->live && js->last_ts_us)
		return js->last_ts_us;
	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

/* ---- the client and user views (docs/json-schema.md) ---- */

/* ,"sessions":N,"verdicts":{...} */
static void
json_verdicts(struct jbuf *b, uint64_t sessions, const uint64_t *verdicts)
{
	json_kv_u64(b, ",\"sessions\":", sessions);
	JB_LIT(b, ",\"verdicts\":{");
	for (int v = VERDICT_IMPLICIT_TLS; v <= VERDICT_COUNT; v++) {
		enum verdict vv = v < VERDICT_COUNT ? (enum verdict)v : VERDICT_UNKNOWN;

		if (v > VERDICT_IMPLICIT_TLS)
			jbuf_putc(b, ',');
		jbuf_putc(b, '"');
		json_raw(b, verdict_name(vv));
		json_kv_u64(b, "\":", verdicts[vv]);
	}
	jbuf_putc(b, '}');
}

static void
json_client(struct jbuf *b, const struct summary_client *c, uint64_t ts)
{
	if (json_style_eve()) {
		struct json_eve_tuple t = {
			.family = c->family, .src_ip = c->ip, .src_port = -1, .dest_port = -1};

		json_eve_header(b, ts, 0, "tlswatch_client", c->family ? &t : NULL, NULL);
		json_eve_own_open(b);
		JB_LIT(b, ",\"client_ip\":");
	} else {
		JB_LIT(b, "{\"type\":\"client\",\"client_ip\":");
	}
	if (c->family)
		json_ip(b, c->family, c->ip);
	else
		JB_LIT(b, "null");
	json_kv_bool(b, ",\"others\":", !c->family);
	json_verdicts(b, c->sessions, c->verdicts);
	json_kv_u64(b, ",\"cleartext_logins\":", c->logins);
	JB_LIT(b, ",\"cleartext_logins_by_service\":{");
	for (int i = 0; i < SUMMARY_LOGIN_SERVICES && c->by_service[i].service; i++) {
		if (i)
			jbuf_putc(b, ',');
		jbuf_put_jstr(b, c->by_service[i].service);
		json_kv_u64(b, ":", c->by_service[i].logins);
	}
	json_kv_u64(b, "},\"cleartext_logins_other_services\":", c->logins_other);
	json_share(b, summary_verdicts_share(c->verdicts, c->sessions));
	json_record_close(b, ts);
}

static void
json_user(struct jbuf *b, const struct summary_user *u, uint64_t ts)
{
	if (json_style_eve()) {
		struct json_eve_tuple t = {.family = u->family,
					   .l4 = u->l4,
					   .dest_ip = u->ip,
					   .src_port = -1,
					   .dest_port = u->port};

		json_eve_header(b, ts, 0, "tlswatch_user", u->service ? &t : NULL, u->service);
		json_eve_own_open(b);
		JB_LIT(b, ",\"username\":");
	} else {
		JB_LIT(b, "{\"type\":\"user\",\"username\":");
	}
	if (u->service) {
		jbuf_put_jstr(b, u->user);
		json_kv_str(b, ",\"service\":", u->service);
		JB_LIT(b, ",\"server_ip\":");
		json_ip(b, u->family, u->ip);
		json_kv_u64(b, ",\"server_port\":", u->port);
		json_kv_str(b, ",\"transport\":", transport_name(u->l4));
	} else {
		JB_LIT(b, "null,\"service\":null,\"server_ip\":null,\"server_port\":null,"
			  "\"transport\":null");
	}
	json_kv_bool(b, ",\"others\":", !u->service);
	json_kv_u64(b, ",\"cleartext_logins\":", u->logins);
	json_kv_u64(b, ",\"successes\":", u->successes);
	json_kv_u64(b, ",\"failures\":", u->failures);
	json_record_close(b, ts);
}

/* One client record per client address and one user record per user name,
 * service and server, each view closed by its "others" row when it was
 * full. */
static void
json_views(struct sink *k, struct summary *sum, uint64_t ts)
{
	struct jbuf *b = &((struct json_sink *)k->priv)->rec;
	size_t n;
	const struct summary_client *c = summary_clients(sum, &n);
	const struct summary_user *u;

	for (size_t i = 0; i < n; i++) {
		json_client(b, &c[i], ts);
		json_emit(k);
	}
	if (summary_clients_others(sum)) {
		json_client(b, summary_clients_others(sum), ts);
		json_emit(k);
	}
	u = summary_users(sum, &n);
	for (size_t i = 0; i < n; i++) {
		json_user(b, &u[i], ts);
		json_emit(k);
	}
	if (summary_users_others(sum)) {
		json_user(b, summary_users_others(sum), ts);
		json_emit(k);
	}
}

void
json_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	struct jbuf *b = &((struct json_sink *)k->priv)->rec;
	const struct summary_row *rows;
	size_t n;
	uint64_t ts = json_finish_time(k);
	bool eve = json_style_eve();

	rows = summary_ports(sum, &n);
	for (size_t i = 0; i < n; i++) {
		if (eve) {
			struct json_eve_tuple t = {
				.l4 = rows[i].l4, .src_port = -1, .dest_port = rows[i].port};

			json_eve_header(b, ts, 0, "tlswatch_port", &t, rows[i].service);
			json_eve_own_open(b);
		} else {
			JB_LIT(b, "{\"type\":\"port\",\"transport\":\"");
			json_raw(b, transport_name(rows[i].l4));
			json_kv_u64(b, "\",\"port\":", rows[i].port);
		}
		json_row(b, &rows[i]);
		json_record_close(b, ts);
		json_emit(k);
	}
	rows = summary_servers(sum, &n);
	for (size_t i = 0; i < n; i++) {
		if (eve) {
			struct json_eve_tuple t = {.family = rows[i].family,
						   .l4 = rows[i].l4,
						   .dest_ip = rows[i].ip,
						   .src_port = -1,
						   .dest_port = rows[i].port};

			json_eve_header(b, ts, 0, "tlswatch_server", &t, rows[i].service);
			json_eve_own_open(b);
		} else {
			JB_LIT(b, "{\"type\":\"server\",\"server_ip\":");
			json_ip(b, rows[i].family, rows[i].ip);
			json_kv_u64(b, ",\"server_port\":", rows[i].port);
			JB_LIT(b, ",\"transport\":\"");
			json_raw(b, transport_name(rows[i].l4));
			jbuf_putc(b, '"');
		}
		json_row(b, &rows[i]);
		json_kv_bool(b, ",\"upgrade_offered\":", rows[i].tls_offered);
		json_kv_bool(b, ",\"upgrade_not_offered\":", rows[i].tls_not_offered);
		json_record_close(b, ts);
		json_emit(k);
	}
	json_views(k, sum, ts);
	if (eve) {
		json_eve_header(b, ts, 0, "tlswatch_stats", NULL, NULL);
		json_eve_own_open(b);
	} else {
		JB_LIT(b, "{\"type\":\"stats\"");
	}
	sink_stats_each(st, json_stat, b);
	json_record_close(b, ts);
	json_emit(k);
	sink_flush(k);
}

/*
 * The running stats record (--stats-interval) is written in three parts:
 * these two and, between them, the counters cli_outputs_stats writes on o.
 * Each part is built in a buffer of its own and written with one fwrite.
 */
void
sink_json_stats_open(FILE *o, uint64_t ts_us, unsigned interval)
{
	struct jbuf b = {0};

	if (json_style_eve()) {
		json_eve_header(&b, ts_us, 0, "tlswatch_stats", NULL, NULL);
		json_eve_own_open(&b);
	} else {
		JB_LIT(&b, "{\"type\":\"stats\"");
	}
	json_kv_u64(&b, ",\"interval\":", interval);
	jbuf_write(&b, o);
	jbuf_free(&b);
}

void
sink_json_stats_close(FILE *o, uint64_t ts_us)
{
	struct jbuf b = {0};

	json_record_close(&b, ts_us);
	jbuf_write(&b, o);
	jbuf_free(&b);
}
