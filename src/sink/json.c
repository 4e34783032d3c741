/*
 * json.c - JSON Lines output (docs/json-schema.md): one object per line,
 * `type` = session | alert | port | server | stats. Strings are escaped so the
 * output is valid UTF-8 JSON whatever bytes were on the wire (bytes >= 0x80
 * are written as \u00XX).
 *
 * Two styles of the same records: tlswatch's own (flat, `type`), and
 * Suricata's EVE (--json-style eve): the EVE common section (`timestamp`,
 * `event_type`, the 5-tuple as src/dest, `proto`, `flow_id`,
 * `community_id`, `host`) with tlswatch's fields under `tlswatch`, so that
 * pipelines built for Suricata's eve.json take it as it is. Alerts are
 * Suricata alerts (an `alert` object with gid, signature_id, signature,
 * category, severity); the other records have event types of their own
 * (`tlswatch_session` ...), since their fields are not those of Suricata's
 * `flow` or `stats`. Every record names the sensor, the source (interface or
 * file) and tlswatch's version.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "flowid.h"
#include "jbuf.h"
#include "sink.h"
#include "version.h"

/* The gid of tlswatch's EVE alerts: Suricata's rules use 1, so a
 * signature_id of tlswatch never collides with a rule's. */
#define JSON_EVE_GID 443

/* What every record says about where it comes from: set once by
 * sink_json_configure before any record is written, only read after. It is
 * process-wide because --alert-exec writes the same alert line as --json. */
static struct {
	bool set;
	enum sink_json_style style;
	char sensor[256];			 /* "": unknown (null) */
	const char *source_key, *eve_source_key; /* NULL: no source */
	char source[1024];
	struct jbuf tail; /* json_identity_tail's bytes, escaped once */
} json_id;

/* The per-sink state (k->priv). */
struct json_sink {
	bool close_out;
	uint64_t last_ts_us; /* the latest packet time of a record written */
	struct jbuf rec;     /* the record being built, kept between records */
};

/*
 * A record is built in a struct jbuf and written with one fwrite (jbuf.h):
 * a stdio call per field was a tenth of the run time in a session-dense
 * profile, and printf's format parsing a fifth in the first one.
 */

/* A string whose length is not known when compiling, as it is. */
static inline void
json_raw(struct jbuf *b, const char *s)
{
	jbuf_put(b, s, strlen(s));
}

/* A string, or null when s is NULL or empty. */
static void
json_str_or_null(struct jbuf *b, const char *s)
{
	if (s && *s)
		jbuf_put_jstr(b, s);
	else
		JB_LIT(b, "null");
}

static inline void
json_bool(struct jbuf *b, bool v)
{
	if (v)
		JB_LIT(b, "true");
	else
		JB_LIT(b, "false");
}

/* RFC 3339 UTC ("...56.120175Z"); in the EVE style as Suricata writes it,
 * with a numeric offset ("...56.120175+0000"), which the EVE readers parse.
 * Only digits and punctuation: nothing to escape. */
static void
json_time(struct jbuf *b, uint64_t us)
{
	char ts[40];
	size_t n = sink_format_time(us, ts, sizeof(ts));

	jbuf_putc(b, '"');
	if (json_id.style == SINK_JSON_STYLE_EVE && n && ts[n - 1] == 'Z') {
		jbuf_put(b, ts, n - 1);
		JB_LIT(b, "+0000");
	} else {
		jbuf_put(b, ts, n);
	}
	jbuf_putc(b, '"');
}

static void
json_ip(struct jbuf *b, uint8_t family, const uint8_t *ip)
{
	char a[64];

	session_addr_str(family, ip, a, sizeof(a));
	jbuf_put_jstr(b, a);
}

/*
 * A key with its leading comma and colon (",\"packets\":", a string
 * literal, appended with its compile-time length) and its value.
 */
#define json_kv_u64(b, key, v)                                                                     \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		jbuf_put_u64(b, v);                                                                \
	} while (0)
#define json_kv_time(b, key, us)                                                                   \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		json_time(b, us);                                                                  \
	} while (0)
#define json_kv_bool(b, key, v)                                                                    \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		json_bool(b, v);                                                                   \
	} while (0)
#define json_kv_str(b, key, v)                                                                     \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		jbuf_put_jstr(b, v);                                                               \
	} while (0)
#define json_kv_str_or_null(b, key, v)                                                             \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		json_str_or_null(b, v);                                                            \
	} while (0)

/* ,"<side>_ip":"...","<side>_port":N; side is "client" or "server". */
#define json_endpoint(b, side, family, ip, port)                                                   \
	do {                                                                                       \
		JB_LIT(b, ",\"" side "_ip\":");                                                    \
		json_ip(b, family, ip);                                                            \
		json_kv_u64(b, ",\"" side "_port\":", port);                                       \
	} while (0)

/* ,"community_id":"1:..." (null when it cannot be computed). */
static void
json_community_id(struct jbuf *b, uint8_t family, uint8_t l4, const uint8_t *cip, uint16_t cport,
		  const uint8_t *sip, uint16_t sport)
{
	char cid[COMMUNITY_ID_LEN];

	community_id(cid, family, l4, cip, cport, sip, sport);
	json_kv_str_or_null(b, ",\"community_id\":", cid[0] ? cid : NULL);
}

/* ---- where a record comes from ---- */

static void json_identity_tail_build(struct jbuf *b);

void
sink_json_configure(const struct sink_json_identity *id)
{
	const char *src = id->interface ? id->interface : id->file;

	jbuf_free(&json_id.tail);
	memset(&json_id, 0, sizeof(json_id));
	json_id.set = true;
	json_id.style = id->style;
	if (id->sensor && *id->sensor)
		snprintf(json_id.sensor, sizeof(json_id.sensor), "%s", id->sensor);
	else if (gethostname(json_id.sensor, sizeof(json_id.sensor) - 1) != 0)
		json_id.sensor[0] = '\0';
	if (src) {
		json_id.source_key = id->interface ? "interface" : "file";
		json_id.eve_source_key = id->interface ? "in_iface" : "pcap_filename";
		snprintf(json_id.source, sizeof(json_id.source), "%s", src);
	}
	json_identity_tail_build(&json_id.tail);
}

int
sink_json_style_parse(const char *name)
{
	if (strcmp(name, "tlswatch") == 0)
		return SINK_JSON_STYLE_TLSWATCH;
	if (strcmp(name, "eve") == 0)
		return SINK_JSON_STYLE_EVE;
	return -1;
}

static void
json_identity_default(void)
{
	if (!json_id.set)
		sink_json_configure(
			&(struct sink_json_identity){.style = SINK_JSON_STYLE_TLSWATCH});
}

/* The tlswatch style's last fields: ,"sensor":..,"file"|"interface":..,"version":.. */
static void
json_identity_tail_build(struct jbuf *b)
{
	json_kv_str_or_null(b, ",\"sensor\":", json_id.sensor);
	if (json_id.source_key) {
		JB_LIT(b, ",\"");
		json_raw(b, json_id.source_key);
		json_kv_str(b, "\":", json_id.source);
	}
	json_kv_str(b, ",\"version\":", TLSWATCH_VERSION);
}

/* The same on every record: built by sink_json_configure, copied here
 * (built again only if that failed to allocate). */
static void
json_identity_tail(struct jbuf *b)
{
	if (json_id.tail.len && !json_id.tail.failed)
		jbuf_put(b, json_id.tail.p, json_id.tail.len);
	else
		json_identity_tail_build(b);
}

/* The EVE record's endpoints: src is the client, dest the server. A record
 * without a connection has no src; a port record has no addresses. */
struct json_eve_tuple {
	uint8_t family; /* 4 or 6; 0: no addresses */
	uint8_t l4;	/* 6 or 17 */
	const uint8_t *src_ip, *dest_ip;
	int src_port, dest_port; /* -1: none */
};

static const char *
json_eve_proto(uint8_t l4)
{
	return l4 == 6 ? "TCP" : l4 == 17 ? "UDP" : l4 == 132 ? "SCTP" : NULL;
}

/*
 * The EVE common section, in Suricata's order: {"timestamp":..,"flow_id":..,
 * "in_iface"|"pcap_filename":..,"event_type":..,"src_ip":..,"src_port":..,
 * "dest_ip":..,"dest_port":..,"proto":..,"community_id":..,"host":..,
 * "app_proto":..; flow_id 0 and a NULL t leave those out, and so does an
 * unknown service its app_proto. The object stays open.
 */
static void
json_eve_header(struct jbuf *b, uint64_t ts_us, uint64_t flow, const char *event_type,
		const struct json_eve_tuple *t, const char *service)
{
	json_kv_time(b, "{\"timestamp\":", ts_us);
	if (flow)
		json_kv_u64(b, ",\"flow_id\":", flow);
	if (json_id.eve_source_key) {
		JB_LIT(b, ",\"");
		json_raw(b, json_id.eve_source_key);
		json_kv_str(b, "\":", json_id.source);
	}
	JB_LIT(b, ",\"event_type\":\"");
	json_raw(b, event_type);
	jbuf_putc(b, '"');
	if (t) {
		char cid[COMMUNITY_ID_LEN] = "";

		if (t->family && t->src_ip) {
			JB_LIT(b, ",\"src_ip\":");
			json_ip(b, t->family, t->src_ip);
		}
		if (t->src_port >= 0)
			json_kv_u64(b, ",\"src_port\":", (uint64_t)t->src_port);
		if (t->family && t->dest_ip) {
			JB_LIT(b, ",\"dest_ip\":");
			json_ip(b, t->family, t->dest_ip);
		}
		if (t->dest_port >= 0)
			json_kv_u64(b, ",\"dest_port\":", (uint64_t)t->dest_port);
		if (json_eve_proto(t->l4))
			json_kv_str(b, ",\"proto\":", json_eve_proto(t->l4));
		if (t->family && t->src_ip && t->dest_ip && t->src_port >= 0 && t->dest_port >= 0) {
			community_id(cid, t->family, t->l4, t->src_ip, (uint16_t)t->src_port,
				     t->dest_ip, (uint16_t)t->dest_port);
			json_kv_str_or_null(b, ",\"community_id\":", cid[0] ? cid : NULL);
		}
	}
	json_kv_str_or_null(b, ",\"host\":", json_id.sensor);
	if (service && *service && strcmp(service, "unknown") != 0)
		json_kv_str(b, ",\"app_proto\":", service);
}

/* ,"tlswatch":{"version":"0.1.0" - tlswatch's own fields follow, each with
 * its leading comma; the caller closes the object. */
static void
json_eve_own_open(struct jbuf *b)
{
	json_kv_str(b, ",\"tlswatch\":{\"version\":", TLSWATCH_VERSION);
}

/*
 * Each alert kind as a Suricata signature: its signature_id (under
 * JSON_EVE_GID; never reused for another kind) and a category from
 * Suricata's classification.config. test_json checks every kind has one.
 */
static const struct {
	uint32_t sid;
	const char *category;
} json_eve_signatures[ALERT_KIND_COUNT] = {
	[ALERT_CAPABILITY_STRIPPED] = {4430001, "Attempted Information Leak"},
	[ALERT_CAPABILITY_MASKED] = {4430002, "Attempted Information Leak"},
	[ALERT_UPGRADE_REFUSED] = {4430003, "Attempted Information Leak"},
	[ALERT_NO_TLS_AFTER_ACCEPT] = {4430004, "Attempted Information Leak"},
	[ALERT_TLS_FALLBACK] = {4430005, "Attempted Information Leak"},
	[ALERT_PLAINTEXT_ON_TLS_PORT] = {4430006, "Attempted Information Leak"},
	[ALERT_CLEARTEXT_LOGIN] = {4430007, "Potential Corporate Privacy Violation"},
	[ALERT_CMD_INJECTION] = {4430008, "Attempted User Privilege Gain"},
	[ALERT_RESP_INJECTION] = {4430009, "Attempted User Privilege Gain"},
	[ALERT_PREAUTH_BYPASS] = {4430010, "Attempted Information Leak"},
	[ALERT_TLS_OBSOLETE_VERSION] = {4430011, "Potential Corporate Privacy Violation"},
	[ALERT_TLS_WEAK_CIPHER] = {4430012, "Potential Corporate Privacy Violation"},
	[ALERT_AUTH_OFFERED_CLEARTEXT] = {4430013, "Potential Corporate Privacy Violation"},
	[ALERT_LOGIN_BRUTEFORCE] = {4430014, "Attempted User Privilege Gain"},
	[ALERT_DATA_CLEARTEXT] = {4430015, "Potential Corporate Privacy Violation"},
	[ALERT_MTA_STS_VIOLATION] = {4430016, "Attempted Information Leak"},
	[ALERT_DANE_VIOLATION] = {4430017, "Attempted Information Leak"},
	[ALERT_DANE_MISMATCH] = {4430018, "Attempted Information Leak"},
	[ALERT_CERT_NAME_MISMATCH] = {4430019, "Potential Corporate Privacy Violation"},
	[ALERT_CERT_EXPIRED] = {4430020, "Potential Corporate Privacy Violation"},
	[ALERT_CERT_SELF_SIGNED] = {4430021, "Potential Corporate Privacy Violation"},
	[ALERT_CERT_CHANGED] = {4430022, "Potential Corporate Privacy Violation"},
	[ALERT_MTA_STS_MX_MISMATCH] = {4430023, "Attempted Information Leak"},
};

uint32_t
sink_json_eve_signature_id(enum alert_kind kind)
{
	return (unsigned)kind < ALERT_KIND_COUNT ? json_eve_signatures[kind].sid : 0;
}

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
static void
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

static void
json_seen(struct sink *k, uint64_t ts_us)
{
	struct json_sink *js = k->priv;

	if (ts_us > js->last_ts_us)
		js->last_ts_us = ts_us;
}

/* Writes the record built in the sink's buffer with one fwrite. A record
 * that could not be built (jbuf.h) is not written, and the output reports
 * ENOMEM as it reports a failed write; a short write keeps its errno
 * (ENOSPC, EPIPE ...) for the error the run ends with, as sink_flush does:
 * a record larger than the FILE's buffer is written by fwrite itself, so a
 * later fflush has nothing left to fail on. */
static void
json_emit(struct sink *k)
{
	struct json_sink *js = k->priv;
	bool failed = js->rec.failed;

	errno = 0;
	if (jbuf_write(&js->rec, k->out) < 0 && k->write_errno == 0)
		k->write_errno = failed ? ENOMEM : errno ? errno : EIO;
}

static void
json_session(struct sink *k, const struct session *s)
{
	struct jbuf *b = &((struct json_sink *)k->priv)->rec;

	json_seen(k, s->ts_last_us);
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		struct json_eve_tuple t = {.family = s->family,
					   .l4 = s->l4,
					   .src_ip = s->client_ip,
					   .dest_ip = s->server_ip,
					   .src_port = s->client_port,
					   .dest_port = s->server_port};

		/* Stamped when it ended, as Suricata stamps its flow records. */
		json_eve_header(b, s->ts_last_us, session_flow_id(s), "tlswatch_session", &t,
				s->service);
		json_eve_own_open(b);
		json_kv_u64(b, ",\"id\":", s->id);
		json_kv_time(b, ",\"ts_first\":", s->ts_first_us);
		json_kv_time(b, ",\"ts_last\":", s->ts_last_us);
		json_session_facts(b, k, s);
		JB_LIT(b, "}}\n");
	} else {
		json_kv_u64(b, "{\"type\":\"session\",\"id\":", s->id);
		json_kv_u64(b, ",\"flow_id\":", session_flow_id(s));
		json_community_id(b, s->family, s->l4, s->client_ip, s->client_port, s->server_ip,
				  s->server_port);
		json_kv_time(b, ",\"ts_first\":", s->ts_first_us);
		json_kv_time(b, ",\"ts_last\":", s->ts_last_us);
		JB_LIT(b, ",\"transport\":\"");
		json_raw(b, transport_name(s->l4));
		jbuf_putc(b, '"');
		json_endpoint(b, "client", s->family, s->client_ip, s->client_port);
		json_endpoint(b, "server", s->family, s->server_ip, s->server_port);
		json_session_facts(b, k, s);
		json_identity_tail(b);
		JB_LIT(b, "}\n");
	}
	json_emit(k);
	if (k->live)
		sink_flush(k);
}

/* The alert as Suricata's: action, gid, signature_id, rev, signature,
 * category and severity (1 high, 2 medium, 3 low). */
static void
json_eve_alert(struct jbuf *b, const struct alert *a)
{
	struct json_eve_tuple t = {.family = a->family,
				   .l4 = a->l4,
				   .src_ip = a->client_ip,
				   .dest_ip = a->server_ip,
				   .src_port = a->client_port,
				   .dest_port = a->server_port};
	unsigned k = (unsigned)a->kind < ALERT_KIND_COUNT ? (unsigned)a->kind : 0;

	json_eve_header(b, a->ts_us, a->flow_id, "alert", &t, a->service);
	json_kv_u64(b, ",\"alert\":{\"action\":\"allowed\",\"gid\":", JSON_EVE_GID);
	/* A kind missing from the table (test_json fails then) still makes a
	 * valid alert, under a signature_id of its own. */
	json_kv_u64(b, ",\"signature_id\":",
		    json_eve_signatures[k].sid ? json_eve_signatures[k].sid : 4431000 + k);
	JB_LIT(b, ",\"rev\":1,\"signature\":\"TLSWATCH ");
	json_raw(b, alert_kind_name(a->kind));
	json_kv_str(b, "\",\"category\":",
		    json_eve_signatures[k].category ? json_eve_signatures[k].category
						    : "Misc activity");
	json_kv_u64(b, ",\"severity\":",
		    a->severity >= SEVERITY_HIGH     ? 1
		    : a->severity == SEVERITY_MEDIUM ? 2
						     : 3);
	jbuf_putc(b, '}');
	json_eve_own_open(b);
	json_kv_str(b, ",\"kind\":", alert_kind_name(a->kind));
	json_kv_str(b, ",\"severity\":", severity_name(a->severity));
	json_kv_u64(b, ",\"session\":", a->session_id);
	json_kv_str_or_null(b, ",\"service\":", a->service);
	json_kv_str(b, ",\"evidence\":", a->evidence);
	if (a->pcap[0])
		json_kv_str(b, ",\"pcap\":", a->pcap);
	JB_LIT(b, "}}\n");
}

static void
json_alert_record(struct jbuf *b, const struct alert *a)
{
	json_identity_default();
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		json_eve_alert(b, a);
		return;
	}
	json_kv_str(b, "{\"type\":\"alert\",\"kind\":", alert_kind_name(a->kind));
	json_kv_str(b, ",\"severity\":", severity_name(a->severity));
	json_kv_u64(b, ",\"session\":", a->session_id);
	json_kv_u64(b, ",\"flow_id\":", a->flow_id);
	json_community_id(b, a->family, a->l4, a->client_ip, a->client_port, a->server_ip,
			  a->server_port);
	json_kv_time(b, ",\"ts\":", a->ts_us);
	JB_LIT(b, ",\"transport\":\"");
	json_raw(b, transport_name(a->l4));
	jbuf_putc(b, '"');
	json_endpoint(b, "client", a->family, a->client_ip, a->client_port);
	json_endpoint(b, "server", a->family, a->server_ip, a->server_port);
	json_kv_str_or_null(b, ",\"service\":", a->service);
	json_kv_str(b, ",\"evidence\":", a->evidence);
	if (a->pcap[0]) {
		json_kv_str(b, ",\"pcap\":", a->pcap);
	}
	json_identity_tail(b);
	JB_LIT(b, "}\n");
}

/* Shared with --alert-exec (its stdin is this line), so the two never
 * differ. Alerts are few: the buffer is the call's own. */
int
sink_json_alert(FILE *o, const struct alert *a)
{
	struct jbuf b = {0};
	int rc;

	json_alert_record(&b, a);
	rc = jbuf_write(&b, o);
	jbuf_free(&b);
	return rc;
}

static void
json_alert(struct sink *k, const struct alert *a)
{
	json_seen(k, a->ts_us);
	json_alert_record(&((struct json_sink *)k->priv)->rec, a);
	json_emit(k);
	/* An alert is for now, even in a file being read (a capture still
	 * being written, a pipe): never left in a buffer. Alerts are few. */
	sink_flush(k);
}

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
static void json_views(struct sink *k, struct summary *sum, uint64_t ts);

/* The end of a closing record: ts and the identity, or the EVE object's end. */
static void
json_record_close(struct jbuf *b, uint64_t ts)
{
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		JB_LIT(b, "}}\n");
		return;
	}
	json_kv_time(b, ",\"ts\":", ts);
	json_identity_tail(b);
	JB_LIT(b, "}\n");
}

static void
json_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	struct jbuf *b = &((struct json_sink *)k->priv)->rec;
	const struct summary_row *rows;
	size_t n;
	uint64_t ts = json_finish_time(k);
	bool eve = json_id.style == SINK_JSON_STYLE_EVE;

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

	if (json_id.style == SINK_JSON_STYLE_EVE) {
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

static void
json_free(struct sink *k)
{
	struct json_sink *js = k->priv;

	if (js && js->close_out)
		fclose(k->out);
	if (js)
		jbuf_free(&js->rec);
	free(js);
	free(k);
}

struct sink *
sink_json_new(FILE *out, bool close_out, bool show_secrets, bool live)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct json_sink *js = calloc(1, sizeof(*js));

	if (!k || !js) {
		free(k);
		free(js);
		return NULL;
	}
	json_identity_default();
	js->close_out = close_out;
	k->session = json_session;
	k->alert = json_alert;
	k->finish = json_finish;
	k->free = json_free;
	k->out = out;
	k->show_secrets = show_secrets;
	k->live = live;
	k->priv = js;
	return k;
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
	if (json_id.style == SINK_JSON_STYLE_EVE) {
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
	if (json_id.style == SINK_JSON_STYLE_EVE) {
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
