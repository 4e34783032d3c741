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
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "flowid.h"
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
} json_id;

/* The per-sink state (k->priv). */
struct json_sink {
	bool close_out;
	uint64_t last_ts_us; /* the latest packet time of a record written */
};

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

/* RFC 3339 UTC ("...56.120175Z"); in the EVE style as Suricata writes it,
 * with a numeric offset ("...56.120175+0000"), which the EVE readers parse. */
static void
json_time(FILE *o, uint64_t us)
{
	char ts[40];
	size_t n;

	sink_format_time(us, ts, sizeof(ts));
	n = strlen(ts);
	if (json_id.style == SINK_JSON_STYLE_EVE && n && ts[n - 1] == 'Z')
		memcpy(ts + n - 1, "+0000", sizeof("+0000"));
	json_str(o, ts);
}

static void
json_ip(FILE *o, uint8_t family, const uint8_t *ip)
{
	char a[64];

	session_addr_str(family, ip, a, sizeof(a));
	json_str(o, a);
}

/* A key (with its leading comma and colon: ",\"packets\":") and its value. */
static void
json_kv_u64(FILE *o, const char *key, uint64_t v)
{
	json_raw(o, key);
	json_u64(o, v);
}

static void
json_kv_time(FILE *o, const char *key, uint64_t us)
{
	json_raw(o, key);
	json_time(o, us);
}

static void
json_kv_bool(FILE *o, const char *key, bool v)
{
	json_raw(o, key);
	json_bool(o, v);
}

static void
json_kv_str(FILE *o, const char *key, const char *v)
{
	json_raw(o, key);
	json_str(o, v);
}

static void
json_kv_str_or_null(FILE *o, const char *key, const char *v)
{
	json_raw(o, key);
	json_str_or_null(o, v);
}

/* ,"<side>_ip":"...","<side>_port":N */
static void
json_endpoint(FILE *o, const char *side, uint8_t family, const uint8_t *ip, uint16_t port)
{
	json_raw(o, ",\"");
	json_raw(o, side);
	json_raw(o, "_ip\":");
	json_ip(o, family, ip);
	json_raw(o, ",\"");
	json_raw(o, side);
	json_kv_u64(o, "_port\":", port);
}

/* ,"community_id":"1:..." (null when it cannot be computed). */
static void
json_community_id(FILE *o, uint8_t family, uint8_t l4, const uint8_t *cip, uint16_t cport,
		  const uint8_t *sip, uint16_t sport)
{
	char cid[COMMUNITY_ID_LEN];

	community_id(cid, family, l4, cip, cport, sip, sport);
	json_kv_str_or_null(o, ",\"community_id\":", cid[0] ? cid : NULL);
}

/* ---- where a record comes from ---- */

void
sink_json_configure(const struct sink_json_identity *id)
{
	const char *src = id->interface ? id->interface : id->file;

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
json_identity_tail(FILE *o)
{
	json_kv_str_or_null(o, ",\"sensor\":", json_id.sensor);
	if (json_id.source_key) {
		json_raw(o, ",\"");
		json_raw(o, json_id.source_key);
		json_kv_str(o, "\":", json_id.source);
	}
	json_kv_str(o, ",\"version\":", TLSWATCH_VERSION);
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
json_eve_header(FILE *o, uint64_t ts_us, uint64_t flow, const char *event_type,
		const struct json_eve_tuple *t, const char *service)
{
	json_kv_time(o, "{\"timestamp\":", ts_us);
	if (flow)
		json_kv_u64(o, ",\"flow_id\":", flow);
	if (json_id.eve_source_key) {
		json_raw(o, ",\"");
		json_raw(o, json_id.eve_source_key);
		json_kv_str(o, "\":", json_id.source);
	}
	json_raw(o, ",\"event_type\":\"");
	json_raw(o, event_type);
	json_raw(o, "\"");
	if (t) {
		char cid[COMMUNITY_ID_LEN] = "";

		if (t->family && t->src_ip) {
			json_raw(o, ",\"src_ip\":");
			json_ip(o, t->family, t->src_ip);
		}
		if (t->src_port >= 0)
			json_kv_u64(o, ",\"src_port\":", (uint64_t)t->src_port);
		if (t->family && t->dest_ip) {
			json_raw(o, ",\"dest_ip\":");
			json_ip(o, t->family, t->dest_ip);
		}
		if (t->dest_port >= 0)
			json_kv_u64(o, ",\"dest_port\":", (uint64_t)t->dest_port);
		if (json_eve_proto(t->l4))
			json_kv_str(o, ",\"proto\":", json_eve_proto(t->l4));
		if (t->family && t->src_ip && t->dest_ip && t->src_port >= 0 && t->dest_port >= 0) {
			community_id(cid, t->family, t->l4, t->src_ip, (uint16_t)t->src_port,
				     t->dest_ip, (uint16_t)t->dest_port);
			json_kv_str_or_null(o, ",\"community_id\":", cid[0] ? cid : NULL);
		}
	}
	json_kv_str_or_null(o, ",\"host\":", json_id.sensor);
	if (service && *service && strcmp(service, "unknown") != 0)
		json_kv_str(o, ",\"app_proto\":", service);
}

/* ,"tlswatch":{"version":"0.1.0" - tlswatch's own fields follow, each with
 * its leading comma; the caller closes the object. */
static void
json_eve_own_open(FILE *o)
{
	json_kv_str(o, ",\"tlswatch\":{\"version\":", TLSWATCH_VERSION);
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
json_cert_time(FILE *o, const char *key, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char b[32];

	json_raw(o, key);
	if (!gmtime_r(&tt, &tm) || strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		json_raw(o, "null");
		return;
	}
	json_str(o, b);
}

static void
json_hex(FILE *o, const char *key, const uint8_t *p, size_t n)
{
	char b[2 * 32 + 1];

	hex_encode(p, n < 32 ? n : 32, b);
	json_kv_str(o, key, b);
}

/* The server's certificate (tls.h struct tls_cert): null when none was seen,
 * "encrypted" (TLS 1.3), "unreadable", or what its leaf says. */
static void
json_cert(FILE *o, const struct tls_cert *c)
{
	const char *p = c->names;

	json_raw(o, ",\"certificate\":");
	switch (c->state) {
	case TLS_CERT_NONE:
		json_raw(o, "null");
		return;
	case TLS_CERT_ENCRYPTED:
		json_str(o, "encrypted");
		return;
	case TLS_CERT_BAD:
		json_str(o, "unreadable");
		return;
	}
	json_kv_str_or_null(o, "{\"subject\":", c->subject[0] ? c->subject : NULL);
	json_kv_str_or_null(o, ",\"issuer\":", c->issuer[0] ? c->issuer : NULL);
	json_raw(o, ",\"names\":[");
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char name[TLS_CERT_NAMES];

		memcpy(name, p, n);
		name[n] = '\0';
		if (p != c->names)
			fputc_unlocked(',', o);
		json_str(o, name);
		p += n + (end ? 1 : 0);
	}
	fputc_unlocked(']', o);
	json_kv_bool(o, ",\"names_cut\":", c->names_cut);
	if (c->times_known) {
		json_cert_time(o, ",\"not_before\":", c->not_before);
		json_cert_time(o, ",\"not_after\":", c->not_after);
	} else {
		json_raw(o, ",\"not_before\":null,\"not_after\":null");
	}
	json_kv_bool(o, ",\"self_signed\":", c->self_signed);
	json_kv_str(o, ",\"key\":", c->key);
	json_kv_u64(o, ",\"chain\":", c->chain);
	json_hex(o, ",\"sha256\":", c->h[0].cert256, 32);
	json_hex(o, ",\"spki_sha256\":", c->h[0].spki256, 32);
	fputc_unlocked('}', o);
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
	json_kv_str_or_null(
		o, "{\"version\":", t->server_hello ? tls_version_name(t->version, b) : NULL);
	json_kv_str_or_null(o,
			    ",\"cipher\":", t->server_hello ? tls_cipher_name(t->cipher, b) : NULL);
	json_kv_str_or_null(o, ",\"sni\":", t->sni);
	json_kv_str_or_null(o, ",\"alpn\":", t->alpn_selected[0] ? t->alpn_selected : t->alpn);
	json_kv_str_or_null(o, ",\"client_max_version\":",
			    t->client_hello ? tls_version_name(t->client_max_version, b) : NULL);
	json_kv_bool(o, ",\"established\":", t->established);
	json_cert(o, &t->cert);
	if (t->alert) {
		json_kv_str(o,
			    ",\"alert\":{\"from\":", t->alert_dir == DIR_C2S ? "client" : "server");
		json_kv_u64(o, ",\"level\":", t->alert_level);
		json_kv_str_or_null(o, ",\"description\":", tls_alert_name(t->alert_desc));
		fputc_unlocked('}', o);
	}
	fputc_unlocked('}', o);
}

/* A protocol's own fields: "name":{"key":value,...}, nothing when none. */
struct json_own {
	FILE *o;
	const char *name;
	bool opened;
};

static void
json_own_key(struct json_own *w, const char *key)
{
	json_raw(w->o, w->opened ? "," : ",\"");
	if (!w->opened) {
		json_raw(w->o, w->name);
		json_raw(w->o, "\":{");
		w->opened = true;
	}
	json_str(w->o, key);
	fputc_unlocked(':', w->o);
}

static void
json_own_str(void *ctx, const char *key, const char *value)
{
	json_own_key(ctx, key);
	json_str(((struct json_own *)ctx)->o, value);
}

static void
json_own_num(void *ctx, const char *key, uint64_t value)
{
	json_own_key(ctx, key);
	json_kv_u64(((struct json_own *)ctx)->o, "", value);
}

/* The links of a data connection or of a control session, then the
 * protocol's own fields. */
static void
json_session_extra(FILE *o, const struct session *s)
{
	if (s->link) {
		json_kv_u64(o, ",\"control\":", s->control_id);
		json_kv_str(o, ",\"link\":", s->link == 1 ? "announced" : "inferred");
	}
	if (s->policy.source) {
		const char *m = sts_mode_name((enum sts_mode)s->policy.mta_sts);

		json_kv_str(o, ",\"policy\":{\"domain\":", s->policy.domain);
		json_kv_str(o, ",\"source\":",
			    policy_source_name((enum policy_source)s->policy.source));
		if (m)
			json_kv_str(o, ",\"mta_sts\":", m);
		else
			json_raw(o, ",\"mta_sts\":null");
		json_kv_bool(o, ",\"dane\":", s->policy.dane);
		json_kv_bool(o, ",\"tlsrpt\":", s->policy.tlsrpt);
		json_kv_bool(o, ",\"mail_sent\":", s->policy.mail_sent);
		fputc_unlocked('}', o);
	}
	if (s->data_sessions) {
		json_kv_u64(o, ",\"data\":{\"sessions\":", s->data_sessions);
		json_kv_u64(o, ",\"cleartext\":", s->data_cleartext);
		fputc_unlocked('}', o);
	}
	if (s->proto && s->proto->write) {
		struct json_own w = {o, s->proto->name, false};
		struct proto_writer pw = {&w, json_own_str, json_own_num};

		s->proto->write(&s->pf, &pw);
		if (w.opened)
			fputc_unlocked('}', o);
	}
}

/* A session's facts, from ,"service": on: the same in both styles. */
static void
json_session_facts(FILE *o, const struct sink *k, const struct session *s)
{
	const char *sep;

	json_kv_str(o, ",\"service\":", s->service);
	json_kv_str(o, ",\"verdict\":", verdict_name(s->verdict));
	json_kv_str_or_null(o, ",\"reason\":", reason_name(s->reason));
	json_raw(o, ",\"tls\":");
	json_tls(o, s);
	json_kv_bool(o, ",\"upgrade\":{\"offered\":", s->pf.tls_offered);
	json_kv_bool(o, ",\"requested\":", s->pf.upgrade_requested);
	json_kv_bool(o, ",\"accepted\":", s->pf.upgrade_accepted || s->pf.switch_to_tls);
	json_raw(o, "},\"logins\":[");
	for (size_t i = 0; i < s->pf.n_logins; i++) {
		const struct login *l = &s->pf.logins[i];

		json_raw(o, i ? ",{\"mechanism\":" : "{\"mechanism\":");
		json_str(o, l->mechanism);
		json_kv_str_or_null(o, ",\"username\":", l->username);
		json_kv_str(o, ",\"secret\":",
			    l->has_secret ? (k->show_secrets ? l->secret : "redacted") : "none");
		json_kv_str(o, ",\"outcome\":", login_outcome_name(l->outcome));
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
	json_kv_u64(o, "],\"packets\":", s->packets);
	json_kv_u64(o, ",\"bytes_c2s\":", s->bytes[DIR_C2S]);
	json_kv_u64(o, ",\"bytes_s2c\":", s->bytes[DIR_S2C]);
	json_kv_bool(o, ",\"midstream\":", s->midstream);
	json_kv_bool(o, ",\"gap\":", s->gap);
	json_kv_str(o, ",\"end\":", session_end_name(s->end));
	json_kv_str_or_null(o, ",\"ndpi\":", s->ndpi);
	if (s->tunnel_depth) {
		/* Only on tunnelled sessions: "vxlan", "gre/mpls" (outermost first). */
		char t[DECODE_TUNNEL_MAX * 16];

		json_kv_str(o, ",\"tunnel\":",
			    decode_tunnel_list(s->tunnels, s->tunnel_depth, t, sizeof(t)));
	}
	json_session_extra(o, s);
}

static void
json_seen(struct sink *k, uint64_t ts_us)
{
	struct json_sink *js = k->priv;

	if (ts_us > js->last_ts_us)
		js->last_ts_us = ts_us;
}

static void
json_session(struct sink *k, const struct session *s)
{
	FILE *o = k->out;

	json_seen(k, s->ts_last_us);
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		struct json_eve_tuple t = {.family = s->family,
					   .l4 = s->l4,
					   .src_ip = s->client_ip,
					   .dest_ip = s->server_ip,
					   .src_port = s->client_port,
					   .dest_port = s->server_port};

		/* Stamped when it ended, as Suricata stamps its flow records. */
		json_eve_header(o, s->ts_last_us, session_flow_id(s), "tlswatch_session", &t,
				s->service);
		json_eve_own_open(o);
		json_kv_u64(o, ",\"id\":", s->id);
		json_kv_time(o, ",\"ts_first\":", s->ts_first_us);
		json_kv_time(o, ",\"ts_last\":", s->ts_last_us);
		json_session_facts(o, k, s);
		json_raw(o, "}}\n");
	} else {
		json_kv_u64(o, "{\"type\":\"session\",\"id\":", s->id);
		json_kv_u64(o, ",\"flow_id\":", session_flow_id(s));
		json_community_id(o, s->family, s->l4, s->client_ip, s->client_port, s->server_ip,
				  s->server_port);
		json_kv_time(o, ",\"ts_first\":", s->ts_first_us);
		json_kv_time(o, ",\"ts_last\":", s->ts_last_us);
		json_raw(o, ",\"transport\":\"");
		json_raw(o, transport_name(s->l4));
		json_raw(o, "\"");
		json_endpoint(o, "client", s->family, s->client_ip, s->client_port);
		json_endpoint(o, "server", s->family, s->server_ip, s->server_port);
		json_session_facts(o, k, s);
		json_identity_tail(o);
		json_raw(o, "}\n");
	}
	if (k->live)
		sink_flush(k);
}

/* The alert as Suricata's: action, gid, signature_id, rev, signature,
 * category and severity (1 high, 2 medium, 3 low). */
static void
json_eve_alert(FILE *o, const struct alert *a)
{
	struct json_eve_tuple t = {.family = a->family,
				   .l4 = a->l4,
				   .src_ip = a->client_ip,
				   .dest_ip = a->server_ip,
				   .src_port = a->client_port,
				   .dest_port = a->server_port};
	unsigned k = (unsigned)a->kind < ALERT_KIND_COUNT ? (unsigned)a->kind : 0;

	json_eve_header(o, a->ts_us, a->flow_id, "alert", &t, a->service);
	json_kv_u64(o, ",\"alert\":{\"action\":\"allowed\",\"gid\":", JSON_EVE_GID);
	/* A kind missing from the table (test_json fails then) still makes a
	 * valid alert, under a signature_id of its own. */
	json_kv_u64(o, ",\"signature_id\":",
		    json_eve_signatures[k].sid ? json_eve_signatures[k].sid : 4431000 + k);
	json_raw(o, ",\"rev\":1,\"signature\":\"TLSWATCH ");
	json_raw(o, alert_kind_name(a->kind));
	json_kv_str(o, "\",\"category\":",
		    json_eve_signatures[k].category ? json_eve_signatures[k].category
						    : "Misc activity");
	json_kv_u64(o, ",\"severity\":",
		    a->severity >= SEVERITY_HIGH     ? 1
		    : a->severity == SEVERITY_MEDIUM ? 2
						     : 3);
	fputc_unlocked('}', o);
	json_eve_own_open(o);
	json_kv_str(o, ",\"kind\":", alert_kind_name(a->kind));
	json_kv_str(o, ",\"severity\":", severity_name(a->severity));
	json_kv_u64(o, ",\"session\":", a->session_id);
	json_kv_str_or_null(o, ",\"service\":", a->service);
	json_kv_str(o, ",\"evidence\":", a->evidence);
	if (a->pcap[0])
		json_kv_str(o, ",\"pcap\":", a->pcap);
	json_raw(o, "}}\n");
}

/* Shared with --alert-exec (its stdin is this line), so the two never differ. */
void
sink_json_alert(FILE *o, const struct alert *a)
{
	json_identity_default();
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		json_eve_alert(o, a);
		return;
	}
	json_kv_str(o, "{\"type\":\"alert\",\"kind\":", alert_kind_name(a->kind));
	json_kv_str(o, ",\"severity\":", severity_name(a->severity));
	json_kv_u64(o, ",\"session\":", a->session_id);
	json_kv_u64(o, ",\"flow_id\":", a->flow_id);
	json_community_id(o, a->family, a->l4, a->client_ip, a->client_port, a->server_ip,
			  a->server_port);
	json_kv_time(o, ",\"ts\":", a->ts_us);
	json_raw(o, ",\"transport\":\"");
	json_raw(o, transport_name(a->l4));
	json_raw(o, "\"");
	json_endpoint(o, "client", a->family, a->client_ip, a->client_port);
	json_endpoint(o, "server", a->family, a->server_ip, a->server_port);
	json_kv_str_or_null(o, ",\"service\":", a->service);
	json_kv_str(o, ",\"evidence\":", a->evidence);
	if (a->pcap[0]) {
		json_kv_str(o, ",\"pcap\":", a->pcap);
	}
	json_identity_tail(o);
	json_raw(o, "}\n");
}

static void
json_alert(struct sink *k, const struct alert *a)
{
	json_seen(k, a->ts_us);
	sink_json_alert(k->out, a);
	/* An alert is for now, even in a file being read (a capture still
	 * being written, a pipe): never left in a buffer. Alerts are few. */
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
static void json_views(FILE *o, struct summary *sum, uint64_t ts);

static void
json_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	FILE *o = k->out;
	const struct summary_row *rows;
	size_t n;
	uint64_t ts = json_finish_time(k);
	bool eve = json_id.style == SINK_JSON_STYLE_EVE;
	struct json_stats_ctx sc = {o, ","};

	rows = summary_ports(sum, &n);
	for (size_t i = 0; i < n; i++) {
		if (eve) {
			struct json_eve_tuple t = {
				.l4 = rows[i].l4, .src_port = -1, .dest_port = rows[i].port};

			json_eve_header(o, ts, 0, "tlswatch_port", &t, rows[i].service);
			json_eve_own_open(o);
		} else {
			fprintf(o, "{\"type\":\"port\",\"transport\":\"%s\",\"port\":%u",
				transport_name(rows[i].l4), rows[i].port);
		}
		json_row(o, &rows[i]);
		if (eve) {
			fputs("}}\n", o);
		} else {
			json_kv_time(o, ",\"ts\":", ts);
			json_identity_tail(o);
			fputs("}\n", o);
		}
	}
	rows = summary_servers(sum, &n);
	for (size_t i = 0; i < n; i++) {
		if (eve) {
			struct json_eve_tuple t = {.family = rows[i].family,
						   .l4 = rows[i].l4,
						   .dest_ip = rows[i].ip,
						   .src_port = -1,
						   .dest_port = rows[i].port};

			json_eve_header(o, ts, 0, "tlswatch_server", &t, rows[i].service);
			json_eve_own_open(o);
		} else {
			fputs("{\"type\":\"server\",\"server_ip\":", o);
			json_ip(o, rows[i].family, rows[i].ip);
			fprintf(o, ",\"server_port\":%u,\"transport\":\"%s\"", rows[i].port,
				transport_name(rows[i].l4));
		}
		json_row(o, &rows[i]);
		fprintf(o, ",\"upgrade_offered\":%s,\"upgrade_not_offered\":%s",
			rows[i].tls_offered ? "true" : "false",
			rows[i].tls_not_offered ? "true" : "false");
		if (eve) {
			fputs("}}\n", o);
		} else {
			json_kv_time(o, ",\"ts\":", ts);
			json_identity_tail(o);
			fputs("}\n", o);
		}
	}
	json_views(o, sum, ts);
	if (eve) {
		json_eve_header(o, ts, 0, "tlswatch_stats", NULL, NULL);
		json_eve_own_open(o);
	} else {
		fputs("{\"type\":\"stats\"", o);
	}
	sink_stats_each(st, json_stat, &sc);
	if (eve) {
		fputs("}}\n", o);
	} else {
		json_kv_time(o, ",\"ts\":", ts);
		json_identity_tail(o);
		fputs("}\n", o);
	}
	sink_flush(k);
}

void
sink_json_stats_open(FILE *o, uint64_t ts_us, unsigned interval)
{
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		json_eve_header(o, ts_us, 0, "tlswatch_stats", NULL, NULL);
		json_eve_own_open(o);
	} else {
		json_raw(o, "{\"type\":\"stats\"");
	}
	fprintf(o, ",\"interval\":%u", interval);
}

void
sink_json_stats_close(FILE *o, uint64_t ts_us)
{
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		json_raw(o, "}}\n");
		return;
	}
	json_kv_time(o, ",\"ts\":", ts_us);
	json_identity_tail(o);
	json_raw(o, "}\n");
}

static void
json_free(struct sink *k)
{
	struct json_sink *js = k->priv;

	if (js && js->close_out)
		fclose(k->out);
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
json_verdicts(FILE *o, uint64_t sessions, const uint64_t *verdicts)
{
	json_kv_u64(o, ",\"sessions\":", sessions);
	json_raw(o, ",\"verdicts\":{");
	for (int v = VERDICT_IMPLICIT_TLS; v <= VERDICT_COUNT; v++) {
		enum verdict vv = v < VERDICT_COUNT ? (enum verdict)v : VERDICT_UNKNOWN;

		json_raw(o, v > VERDICT_IMPLICIT_TLS ? ",\"" : "\"");
		json_raw(o, verdict_name(vv));
		json_kv_u64(o, "\":", verdicts[vv]);
	}
	json_raw(o, "}");
}

/* The end of a view record: ts and the identity, or the EVE object's end. */
static void
json_view_close(FILE *o, uint64_t ts)
{
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		json_raw(o, "}}\n");
		return;
	}
	json_kv_time(o, ",\"ts\":", ts);
	json_identity_tail(o);
	json_raw(o, "}\n");
}

static void
json_client(FILE *o, const struct summary_client *c, uint64_t ts)
{
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		struct json_eve_tuple t = {
			.family = c->family, .src_ip = c->ip, .src_port = -1, .dest_port = -1};

		json_eve_header(o, ts, 0, "tlswatch_client", c->family ? &t : NULL, NULL);
		json_eve_own_open(o);
		json_raw(o, ",\"client_ip\":");
	} else {
		json_raw(o, "{\"type\":\"client\",\"client_ip\":");
	}
	if (c->family)
		json_ip(o, c->family, c->ip);
	else
		json_raw(o, "null");
	json_kv_bool(o, ",\"others\":", !c->family);
	json_verdicts(o, c->sessions, c->verdicts);
	json_kv_u64(o, ",\"cleartext_logins\":", c->logins);
	json_raw(o, ",\"cleartext_logins_by_service\":{");
	for (int i = 0; i < SUMMARY_LOGIN_SERVICES && c->by_service[i].service; i++) {
		if (i)
			json_raw(o, ",");
		json_str(o, c->by_service[i].service);
		json_kv_u64(o, ":", c->by_service[i].logins);
	}
	json_kv_u64(o, "},\"cleartext_logins_other_services\":", c->logins_other);
	fprintf(o, ",\"encrypted_share\":%.3f", summary_verdicts_share(c->verdicts, c->sessions));
	json_view_close(o, ts);
}

static void
json_user(FILE *o, const struct summary_user *u, uint64_t ts)
{
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		struct json_eve_tuple t = {.family = u->family,
					   .l4 = u->l4,
					   .dest_ip = u->ip,
					   .src_port = -1,
					   .dest_port = u->port};

		json_eve_header(o, ts, 0, "tlswatch_user", u->service ? &t : NULL, u->service);
		json_eve_own_open(o);
		json_raw(o, ",\"username\":");
	} else {
		json_raw(o, "{\"type\":\"user\",\"username\":");
	}
	if (u->service) {
		json_str(o, u->user);
		json_kv_str(o, ",\"service\":", u->service);
		json_raw(o, ",\"server_ip\":");
		json_ip(o, u->family, u->ip);
		json_kv_u64(o, ",\"server_port\":", u->port);
		json_kv_str(o, ",\"transport\":", transport_name(u->l4));
	} else {
		json_raw(o, "null,\"service\":null,\"server_ip\":null,\"server_port\":null,"
			    "\"transport\":null");
	}
	json_kv_bool(o, ",\"others\":", !u->service);
	json_kv_u64(o, ",\"cleartext_logins\":", u->logins);
	json_kv_u64(o, ",\"successes\":", u->successes);
	json_kv_u64(o, ",\"failures\":", u->failures);
	json_view_close(o, ts);
}

/* One client record per client address and one user record per user name,
 * service and server, each view closed by its "others" row when it was
 * full. */
static void
json_views(FILE *o, struct summary *sum, uint64_t ts)
{
	size_t n;
	const struct summary_client *c = summary_clients(sum, &n);
	const struct summary_user *u;

	for (size_t i = 0; i < n; i++)
		json_client(o, &c[i], ts);
	if (summary_clients_others(sum))
		json_client(o, summary_clients_others(sum), ts);
	u = summary_users(sum, &n);
	for (size_t i = 0; i < n; i++)
		json_user(o, &u[i], ts);
	if (summary_users_others(sum))
		json_user(o, summary_users_others(sum), ts);
}
