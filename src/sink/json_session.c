/*
 * json_session.c - a session record's facts (docs/json-schema.md), the same
 * in both styles: the verdict, TLS and the server's certificate, the
 * upgrade, the logins (secrets redacted unless --show-secrets), alerts,
 * counters, the links of a data connection and a protocol's own fields.
 * It runs once per session: every field is appended into the record's
 * struct jbuf (json_internal.h), never printed.
 */
#include <time.h>

#include "json_internal.h"

/* A certificate's validity bound, RFC 3339 UTC to the second. */
static void
json_cert_time(struct jbuf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char ts[32];

	if (!gmtime_r(&tt, &tm) || strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		JB_LIT(b, "null");
		return;
	}
	jbuf_put_jstr(b, ts);
}

static void
json_hex(struct jbuf *b, const uint8_t *p, size_t n)
{
	char h[2 * 32 + 1];

	hex_encode(p, n < 32 ? n : 32, h);
	jbuf_put_jstr(b, h);
}

/* The server's certificate (tls.h struct tls_cert): null when none was seen,
 * "encrypted" (TLS 1.3), "unreadable", or what its leaf says. */
static void
json_cert(struct jbuf *b, const struct tls_cert *c)
{
	const char *p = c->names;

	JB_LIT(b, ",\"certificate\":");
	switch (c->state) {
	case TLS_CERT_NONE:
		JB_LIT(b, "null");
		return;
	case TLS_CERT_ENCRYPTED:
		JB_LIT(b, "\"encrypted\"");
		return;
	case TLS_CERT_BAD:
		JB_LIT(b, "\"unreadable\"");
		return;
	}
	json_kv_str_or_null(b, "{\"subject\":", c->subject[0] ? c->subject : NULL);
	json_kv_str_or_null(b, ",\"issuer\":", c->issuer[0] ? c->issuer : NULL);
	JB_LIT(b, ",\"names\":[");
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (p != c->names)
			jbuf_putc(b, ',');
		jbuf_put_jstrn(b, p, n);
		p += n + (end ? 1 : 0);
	}
	jbuf_putc(b, ']');
	json_kv_bool(b, ",\"names_cut\":", c->names_cut);
	if (c->times_known) {
		JB_LIT(b, ",\"not_before\":");
		json_cert_time(b, c->not_before);
		JB_LIT(b, ",\"not_after\":");
		json_cert_time(b, c->not_after);
	} else {
		JB_LIT(b, ",\"not_before\":null,\"not_after\":null");
	}
	json_kv_bool(b, ",\"self_signed\":", c->self_signed);
	json_kv_str(b, ",\"key\":", c->key);
	json_kv_u64(b, ",\"chain\":", c->chain);
	JB_LIT(b, ",\"sha256\":");
	json_hex(b, c->h[0].cert256, 32);
	JB_LIT(b, ",\"spki_sha256\":");
	json_hex(b, c->h[0].spki256, 32);
	jbuf_putc(b, '}');
}

static void
json_tls(struct jbuf *b, const struct session *s)
{
	const struct tls_facts *t = &s->tf;
	char nb[8];

	if (!t->client_hello && !t->server_hello) {
		JB_LIT(b, "null");
		return;
	}
	json_kv_str_or_null(
		b, "{\"version\":", t->server_hello ? tls_version_name(t->version, nb) : NULL);
	json_kv_str_or_null(
		b, ",\"cipher\":", t->server_hello ? tls_cipher_name(t->cipher, nb) : NULL);
	json_kv_str_or_null(b, ",\"sni\":", t->sni);
	json_kv_str_or_null(b, ",\"alpn\":", t->alpn_selected[0] ? t->alpn_selected : t->alpn);
	json_kv_str_or_null(b, ",\"client_max_version\":",
			    t->client_hello ? tls_version_name(t->client_max_version, nb) : NULL);
	json_kv_bool(b, ",\"established\":", t->established);
	json_cert(b, &t->cert);
	if (t->alert) {
		json_kv_str(b,
			    ",\"alert\":{\"from\":", t->alert_dir == DIR_C2S ? "client" : "server");
		json_kv_u64(b, ",\"level\":", t->alert_level);
		json_kv_str_or_null(b, ",\"description\":", tls_alert_name(t->alert_desc));
		jbuf_putc(b, '}');
	}
	jbuf_putc(b, '}');
}

/* A protocol's own fields: "name":{"key":value,...}, nothing when none. */
struct json_own {
	struct jbuf *b;
	const char *name;
	bool opened;
};

static void
json_own_key(struct json_own *w, const char *key)
{
	if (w->opened) {
		jbuf_putc(w->b, ',');
	} else {
		JB_LIT(w->b, ",\"");
		json_raw(w->b, w->name);
		JB_LIT(w->b, "\":{");
		w->opened = true;
	}
	jbuf_put_jstr(w->b, key);
	jbuf_putc(w->b, ':');
}

static void
json_own_str(void *ctx, const char *key, const char *value)
{
	json_own_key(ctx, key);
	jbuf_put_jstr(((struct json_own *)ctx)->b, value);
}

static void
json_own_num(void *ctx, const char *key, uint64_t value)
{
	json_own_key(ctx, key);
	jbuf_put_u64(((struct json_own *)ctx)->b, value);
}

/* The links of a data connection or of a control session, then the
 * protocol's own fields. */
static void
json_session_extra(struct jbuf *b, const struct session *s)
{
	if (s->link) {
		json_kv_u64(b, ",\"control\":", s->control_id);
		json_kv_str(b, ",\"link\":", s->link == 1 ? "announced" : "inferred");
	}
	if (s->policy.source) {
		const char *m = sts_mode_name((enum sts_mode)s->policy.mta_sts);

		json_kv_str(b, ",\"policy\":{\"domain\":", s->policy.domain);
		json_kv_str(b, ",\"source\":",
			    policy_source_name((enum policy_source)s->policy.source));
		if (m)
			json_kv_str(b, ",\"mta_sts\":", m);
		else
			JB_LIT(b, ",\"mta_sts\":null");
		json_kv_bool(b, ",\"dane\":", s->policy.dane);
		json_kv_bool(b, ",\"tlsrpt\":", s->policy.tlsrpt);
		json_kv_bool(b, ",\"mail_sent\":", s->policy.mail_sent);
		jbuf_putc(b, '}');
	}
	if (s->data_sessions) {
		json_kv_u64(b, ",\"data\":{\"sessions\":", s->data_sessions);
		json_kv_u64(b, ",\"cleartext\":", s->data_cleartext);
		jbuf_putc(b, '}');
	}
	if (s->proto && s->proto->write) {
		struct json_own w = {b, s->proto->name, false};
		struct proto_writer pw = {&w, json_own_str, json_own_num};

		s->proto->write(&s->pf, &pw);
		if (w.opened)
			jbuf_putc(b, '}');
	}
}

/* A session's facts, from ,"service": on: the same in both styles. */
void
json_session_facts(struct jbuf *b, const struct sink *k, const struct session *s)
{
	const char *sep;

	json_kv_str(b, ",\"service\":", s->service);
	json_kv_str(b, ",\"verdict\":", verdict_name(s->verdict));
	json_kv_str_or_null(b, ",\"reason\":", reason_name(s->reason));
	JB_LIT(b, ",\"tls\":");
	json_tls(b, s);
	json_kv_bool(b, ",\"upgrade\":{\"offered\":", s->pf.tls_offered);
	json_kv_bool(b, ",\"requested\":", s->pf.upgrade_requested);
	json_kv_bool(b, ",\"accepted\":", s->pf.upgrade_accepted || s->pf.switch_to_tls);
	JB_LIT(b, "},\"logins\":[");
	for (size_t i = 0; i < s->pf.n_logins; i++) {
		const struct login *l = &s->pf.logins[i];

		json_raw(b, i ? ",{\"mechanism\":" : "{\"mechanism\":");
		jbuf_put_jstr(b, l->mechanism);
		json_kv_str_or_null(b, ",\"username\":", l->username);
		json_kv_str(b, ",\"secret\":",
			    l->has_secret ? (k->show_secrets ? l->secret : "redacted") : "none");
		json_kv_str(b, ",\"outcome\":", login_outcome_name(l->outcome));
		jbuf_putc(b, '}');
	}
	JB_LIT(b, "],\"alerts\":[");
	sep = "";
	for (int a = 0; a < ALERT_KIND_COUNT; a++)
		if (s->alerts & (1u << a)) {
			json_raw(b, sep);
			jbuf_put_jstr(b, alert_kind_name((enum alert_kind)a));
			sep = ",";
		}
	json_kv_u64(b, "],\"packets\":", s->packets);
	json_kv_u64(b, ",\"bytes_c2s\":", s->bytes[DIR_C2S]);
	json_kv_u64(b, ",\"bytes_s2c\":", s->bytes[DIR_S2C]);
	json_kv_bool(b, ",\"midstream\":", s->midstream);
	json_kv_bool(b, ",\"gap\":", s->gap);
	json_kv_str(b, ",\"end\":", session_end_name(s->end));
	json_kv_str_or_null(b, ",\"ndpi\":", s->ndpi);
	if (s->tunnel_depth) {
		/* Only on tunnelled sessions: "vxlan", "gre/mpls" (outermost first). */
		char t[DECODE_TUNNEL_MAX * 16];

		json_kv_str(b, ",\"tunnel\":",
			    decode_tunnel_list(s->tunnels, s->tunnel_depth, t, sizeof(t)));
	}
	json_session_extra(b, s);
}
