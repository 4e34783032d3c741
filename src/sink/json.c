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
 *
 * This file holds that identity, the EVE common section, the session and
 * alert records and the sink itself; a session's facts are in
 * json_session.c, the closing records in json_summary.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "flowid.h"
#include "json_internal.h"
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

void
json_ip(struct jbuf *b, uint8_t family, const uint8_t *ip)
{
	char a[64];

	session_addr_str(family, ip, a, sizeof(a));
	jbuf_put_jstr(b, a);
}

/* What the records of a session and of an alert say about its connection;
 * JSON_CONN_OF takes it from either (the fields have the same names). */
struct json_conn {
	uint8_t family, l4;
	const uint8_t *client_ip, *server_ip;
	uint16_t client_port, server_port;
};

#define JSON_CONN_OF(x)                                                                            \
	{                                                                                          \
		(x)->family, (x)->l4, (x)->client_ip, (x)->server_ip, (x)->client_port,            \
			(x)->server_port                                                           \
	}

/* ,"community_id":"1:..." (null when it cannot be computed). */
static void
json_community_id(struct jbuf *b, const struct json_conn *c)
{
	char cid[COMMUNITY_ID_LEN];

	community_id(cid, c->family, c->l4, c->client_ip, c->client_port, c->server_ip,
		     c->server_port);
	json_kv_str_or_null(b, ",\"community_id\":", cid[0] ? cid : NULL);
}

/* ,"transport":..,"client_ip":..,"client_port":..,"server_ip":..,"server_port":.. */
static void
json_conn_fields(struct jbuf *b, const struct json_conn *c)
{
	JB_LIT(b, ",\"transport\":\"");
	json_raw(b, transport_name(c->l4));
	jbuf_putc(b, '"');
	json_endpoint(b, "client", c->family, c->client_ip, c->client_port);
	json_endpoint(b, "server", c->family, c->server_ip, c->server_port);
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

bool
json_style_eve(void)
{
	return json_id.style == SINK_JSON_STYLE_EVE;
}

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
void
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
void
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
void
json_emit(struct sink *k)
{
	struct json_sink *js = k->priv;
	bool failed = js->rec.failed;

	errno = 0;
	if (jbuf_write(&js->rec, k->out) < 0 && k->write_errno == 0)
		k->write_errno = failed ? ENOMEM : errno ? errno : EIO;
}

/* The EVE endpoints of a connection: src the client, dest the server. */
static struct json_eve_tuple
json_eve_tuple_of(const struct json_conn *c)
{
	return (struct json_eve_tuple){.family = c->family,
				       .l4 = c->l4,
				       .src_ip = c->client_ip,
				       .dest_ip = c->server_ip,
				       .src_port = c->client_port,
				       .dest_port = c->server_port};
}

static void
json_session(struct sink *k, const struct session *s)
{
	struct jbuf *b = &((struct json_sink *)k->priv)->rec;
	const struct json_conn c = JSON_CONN_OF(s);

	json_seen(k, s->ts_last_us);
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		struct json_eve_tuple t = json_eve_tuple_of(&c);

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
		json_community_id(b, &c);
		json_kv_time(b, ",\"ts_first\":", s->ts_first_us);
		json_kv_time(b, ",\"ts_last\":", s->ts_last_us);
		json_conn_fields(b, &c);
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
	const struct json_conn c = JSON_CONN_OF(a);
	struct json_eve_tuple t = json_eve_tuple_of(&c);
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
	const struct json_conn c = JSON_CONN_OF(a);

	json_identity_default();
	if (json_id.style == SINK_JSON_STYLE_EVE) {
		json_eve_alert(b, a);
		return;
	}
	json_kv_str(b, "{\"type\":\"alert\",\"kind\":", alert_kind_name(a->kind));
	json_kv_str(b, ",\"severity\":", severity_name(a->severity));
	json_kv_u64(b, ",\"session\":", a->session_id);
	json_kv_u64(b, ",\"flow_id\":", a->flow_id);
	json_community_id(b, &c);
	json_kv_time(b, ",\"ts\":", a->ts_us);
	json_conn_fields(b, &c);
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
	/* An alert is for now: flushed at once from a live capture or a
	 * stream (a pipe, a FIFO). Reading a file it reaches the output
	 * within 4,096 packets (cli_outputs_poll): on session-dense traffic
	 * alerts are not few, and a write(2) each cost a tenth of the run. */
	if (k->live)
		sink_flush(k);
	else
		k->alert_unflushed = true;
}

/* The end of a closing record: ts and the identity, or the EVE object's end. */
void
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
