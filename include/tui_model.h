/*
 * tui_model.h - the dashboard's data: session rows, alerts, per-port
 * aggregates, run counters, and the view over them (sort, filter, problems
 * only, pause). It knows nothing of the screen: the files under
 * src/sink/tui/ draw from it and tests/unit/test_tui_model.c drives it
 * directly. It is implemented by src/sink/tui/model.c (storage, input),
 * model_view.c (filter, sort, pause) and model_text.c (text).
 *
 * Memory is bounded: the model keeps the most recent max_rows sessions and
 * the most recent max_alerts alerts (older ones are dropped and counted),
 * while the per-port aggregates count every session ever added, computed by
 * src/summary.c so the dashboard and the text report cannot disagree.
 *
 * Login secrets are never copied into the model: a row knows only whether a
 * secret crossed the wire, and the detail text shows it as ********.
 *
 * Not thread-safe: the dashboard holds its own lock around every call.
 */
#ifndef TLSWATCH_TUI_MODEL_H
#define TLSWATCH_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "stats.h"
#include "summary.h"

#define TUI_MAX_ROWS_DEFAULT 10000
#define TUI_FILTER_MAX 128   /* longest filter expression */
#define TUI_ENDPOINT_MAX 56  /* "[ffff:...:ffff]:65535" */
#define TUI_HAY_MAX 384	     /* lower-case text a bare filter word is looked for in */
#define TUI_EVIDENCE_MAX 161 /* escaped evidence kept on a row */
#define TUI_LINE_MAX 256     /* one line of detail text */
#define TUI_TUNNEL_MAX (DECODE_TUNNEL_MAX * 12 + 1) /* "gre/mpls-in-udp/..." */
#define TUI_SENSOR_MAX 64 /* a sensor's name (tlswatch --cluster), NUL included */

/* Orders of the sessions list, cycled by `s`. */
enum tui_sort {
	TUI_SORT_NEWEST = 0, /* most recently finished first (the default) */
	TUI_SORT_START,	     /* latest start time first */
	TUI_SORT_SERVER,     /* server address, then port */
	TUI_SORT_VERDICT,    /* worst first: downgraded, tls-failed, cleartext, unknown, ... */
	TUI_SORT_SERVICE,    /* service name */
	TUI_SORT_COUNT,
};

/* How a piece of text should look; the view maps tones to colours, and
 * every tone that matters also has a marker character so that a
 * monochrome terminal still tells them apart. */
enum tui_tone {
	TUI_TONE_NORMAL = 0,
	TUI_TONE_GOOD,	  /* encrypted */
	TUI_TONE_WARN,	  /* cleartext */
	TUI_TONE_BAD,	  /* downgraded, failed, alerts */
	TUI_TONE_DIM,	  /* unknown, secondary */
	TUI_TONE_HEADING, /* a section title in the detail text */
	TUI_TONE_CRIT,	  /* a mail policy violated (critical alerts): the loudest */
};

/* A login as the dashboard keeps it: never the secret. */
struct tui_login {
	char mechanism[16];
	char username[LOGIN_FIELD_MAX];
	bool has_secret;
	enum login_outcome outcome;
};

/* One session, copied from its struct session: finished, or still open
 * (end is END_OPEN) as it stood when it raised an alert. */
struct tui_row {
	uint64_t seq; /* arrival order, from 1 */
	uint64_t id;
	uint64_t ts_first_us, ts_last_us;
	uint8_t family;
	uint8_t client_ip[16], server_ip[16];
	uint16_t client_port, server_port;
	char client[TUI_ENDPOINT_MAX];	    /* "127.0.0.1:40000", "[::1]:40000" */
	char client_addr[TUI_ENDPOINT_MAX]; /* "127.0.0.1", "::1" */
	char server[TUI_ENDPOINT_MAX];
	const char *service; /* static string */
	enum verdict verdict;
	enum reason reason;
	uint32_t alerts;      /* 1u << enum alert_kind */
	enum session_end end; /* END_OPEN: still open, no verdict yet */
	bool superseded;      /* an open session's row, now ended: not shown */
	bool midstream, gap;
	uint64_t packets, bytes[2];
	/* the upgrade */
	bool capa_seen, tls_offered, upgrade_requested, upgrade_accepted, upgrade_refused;
	bool auth_cleartext_offered;
	char capa[CAPA_TEXT_MAX];
	char upgrade_reply[REPLY_TEXT_MAX];
	char evidence[TUI_EVIDENCE_MAX]; /* escaped, cut */
	/* TLS */
	bool client_hello, server_hello, established, sslv2_hello;
	uint16_t tls_version, tls_cipher, client_max_version;
	char sni[TLS_SNI_MAX];
	char alpn[TLS_ALPN_MAX];
	char alpn_selected[TLS_ALPN_MAX];
	bool tls_alert;
	enum dir tls_alert_dir;
	uint8_t tls_alert_level, tls_alert_desc;
	/* logins seen in cleartext */
	struct tui_login logins[LOGIN_MAX];
	uint8_t n_logins;
	uint32_t logins_dropped;
	char ndpi[NDPI_NAME_MAX];
	/* The encapsulations it came in, outermost first ("vxlan", "gre/mpls");
	 * "" when it was not tunnelled. */
	char tunnel[TUI_TUNNEL_MAX];
	struct session_policy policy; /* source NONE: no mail policy applied */
	/* The sensor that judged it and its id there (tlswatch --cluster;
	 * "" otherwise): tui_model_set_origin. */
	char sensor[TUI_SENSOR_MAX];
	uint64_t sensor_id;
	char hay[TUI_HAY_MAX]; /* lower-case words a bare filter term is looked for in */
};

/* One alert, numbered in arrival order. */
struct tui_alert {
	uint64_t seq;
	struct alert a;
	char server[TUI_ENDPOINT_MAX];
	char sensor[TUI_SENSOR_MAX]; /* as on a row */
	uint64_t sensor_id;	     /* the session's id on that sensor */
};

/* The header's numbers. */
struct tui_counters {
	uint64_t packets, bytes;
	uint64_t open_flows;
	uint64_t sessions;	       /* sessions finished (all of them, kept or not) */
	uint64_t alerts;	       /* alerts raised (all of them) */
	uint64_t critical;	       /* ... of severity critical (policy violations) */
	uint64_t drops;		       /* libpcap drops (kernel + interface) */
	bool drops_known;	       /* a live capture reported its counters */
	uint64_t evicted;	       /* flows evicted from a full table */
	double packet_rate, byte_rate; /* per second; averages once done */
	uint64_t elapsed_us;
	bool done; /* the capture ended (finish was called) */
};

/* Lines of text for the detail view; owned by the caller (tui_text_free). */
struct tui_text_line {
	enum tui_tone tone;
	char text[TUI_LINE_MAX];
};
struct tui_text {
	struct tui_text_line *lines;
	size_t n, cap;
};

struct tui_model;

/* max_rows and max_alerts are at least 1. NULL when out of memory. */
struct tui_model *tui_model_new(size_t max_rows, size_t max_alerts);
void tui_model_free(struct tui_model *m);

/* ---- Input (called from the capture side) --------------------------------- */

/* Copies what the dashboard shows of a finished session and counts it in
 * the per-port aggregates. -1 when the aggregates ran out of memory
 * (counted in tui_model_add_failures); the row is kept anyway. */
int tui_model_add_session(struct tui_model *m, const struct session *s);
void tui_model_add_alert(struct tui_model *m, const struct alert *a);
/* A session still open, as it stands (it raised an alert): listed with
 * verdict "open", its logins and alerts so far, until its record comes
 * (tui_model_add_session replaces the row). Not counted as a session. */
void tui_model_open_session(struct tui_model *m, const struct session *s);
/* Run counters as of now_us (any monotonic clock, microseconds). The first
 * call starts the elapsed time. */
void tui_model_set_stats(struct tui_model *m, const struct stats *st, size_t open_flows,
			 uint64_t now_us);
/* The clock moved on without new counters (a live capture waiting for
 * packets): the elapsed time follows, and rates fall to 0 once no counters
 * came for a second. */
void tui_model_set_time(struct tui_model *m, uint64_t now_us);
/* The capture ended: the elapsed time stops and rates become averages. */
void tui_model_set_done(struct tui_model *m, uint64_t now_us);

/*
 * The sessions and alerts added next come from another sensor (tlswatch
 * --cluster): its name and the session's id there, kept on the row or
 * alert (the id the model is given is the dashboard's own, unique across
 * sensors). "" (or NULL) for none, as in a single sensor's dashboard.
 */
void tui_model_set_origin(struct tui_model *m, const char *sensor, uint64_t sensor_id);
/*
 * Per-port and per-server rows counted elsewhere (the cluster's counts
 * from Redis) replace the model's own in tui_model_ports and
 * tui_model_servers from now on (copied; the servers are sorted by the
 * view's order). The strings the rows point to (service) must outlive the
 * model or the next call. -1 when out of memory (nothing changed).
 */
int tui_model_set_summary(struct tui_model *m, const struct summary_row *ports, size_t n_ports,
			  const struct summary_row *servers, size_t n_servers);

/* ---- Totals ----------------------------------------------------------------- */

const struct tui_counters *tui_model_counters(const struct tui_model *m);
uint64_t tui_model_sessions_seen(const struct tui_model *m);
uint64_t tui_model_rows_kept(const struct tui_model *m);
uint64_t tui_model_rows_dropped(const struct tui_model *m);
uint64_t tui_model_alerts_seen(const struct tui_model *m);
uint64_t tui_model_alerts_dropped(const struct tui_model *m);
uint64_t tui_model_add_failures(const struct tui_model *m);
/* Per-port rows exactly as src/summary.c computes them for every session
 * added (sorted by port); frozen while paused. Valid until the next call
 * into the model. */
const struct summary_row *tui_model_ports(struct tui_model *m, size_t *n);

/* ---- Servers and the timeline (model_servers.c) ------------------------------ */

/* Orders of the servers view, cycled by `s` there. */
enum tui_server_sort {
	TUI_SERVERS_PROBLEMS = 0, /* worst first (tui_server_cmp_problems), the default */
	TUI_SERVERS_SESSIONS,	  /* most sessions first */
	TUI_SERVERS_ENCRYPTED,	  /* lowest encrypted share first */
	TUI_SERVERS_ADDRESS,	  /* address, then port */
	TUI_SERVERS_SORT_COUNT,
};

const char *tui_server_sort_name(enum tui_server_sort sort);
void tui_model_set_server_sort(struct tui_model *m, enum tui_server_sort sort);
enum tui_server_sort tui_model_server_sort(const struct tui_model *m);
/* Per-server rows exactly as src/summary.c counts them for every session
 * added (the text report's "Per server" table), in the servers view's
 * order; frozen while paused (as of the pause; a new sort re-reads).
 * Valid until the next call into the model. */
const struct summary_row *tui_model_servers(struct tui_model *m, size_t *n);
/* Problems first: more sessions that violated a mail policy, then more
 * downgraded sessions, then more cleartext logins,
 * then more tls-failed and cleartext sessions together, then more
 * sessions with alerts, then a lower encrypted share, then more sessions;
 * the address and port break ties. A qsort comparator of summary rows. */
int tui_server_cmp_problems(const void *a, const void *b);
/* Does the server show a problem (what the view's problem count counts)? */
bool tui_server_is_problem(const struct summary_row *r);

/* The sessions over time (summary_timeline), frozen while paused like the
 * servers. Valid until the next call into the model. */
const struct summary_bucket *tui_model_timeline(struct tui_model *m, size_t *n, uint64_t *width_us);

/* One mark of the encrypted-share sparkline. */
struct tui_spark_mark {
	uint64_t sessions, encrypted;
	int level; /* 0 .. levels - 1 by the share encrypted; -1: no session */
};

/* The level of a share of encrypted sessions on a scale of levels marks
 * (at least 2): 0 only when none was encrypted, levels - 1 only when all
 * were, the rest spread evenly between; -1 when there was no session. */
int tui_spark_level(uint64_t encrypted, uint64_t sessions, int levels);
/*
 * The sparkline of the encrypted share over time in at most max_marks
 * marks: n buckets of width_us each (summary_timeline's, oldest first) are
 * grouped, the same number per mark, when there are more buckets than
 * marks. Fills out[] (max_marks entries at least) and returns the marks
 * used; *mark_us is the time one mark covers.
 */
size_t tui_spark_compute(const struct summary_bucket *b, size_t n, uint64_t width_us,
			 size_t max_marks, int levels, struct tui_spark_mark *out,
			 uint64_t *mark_us);

/* ---- The view --------------------------------------------------------------- */

void tui_model_set_sort(struct tui_model *m, enum tui_sort sort);
enum tui_sort tui_model_sort(const struct tui_model *m);
const char *tui_sort_name(enum tui_sort sort);
/*
 * Filter expression: words separated by spaces, all must match. A word is
 * `port:N` (server port), `service:NAME`, `verdict:NAME` (prefix, so
 * `verdict:clear` works), `reason:NAME`, `ip:TEXT` (client or server
 * address contains TEXT), `server:ADDR:PORT` (the server endpoint exactly,
 * as shown: `10.0.0.1:25`, `[::1]:25`), `sensor:NAME` (the sensor, exactly,
 * any case), `user:TEXT`, `alert:TEXT` (an alert kind contains
 * TEXT; `alert:` alone = any alert), or plain text looked for (case
 * insensitive) in the service, verdict, reason, both endpoints, TLS version,
 * SNI, ALPN, user names, alert kinds and nDPI name. A leading `!` negates a
 * word. "" (or NULL) clears the filter. Returns -1 (and changes nothing)
 * when the expression is longer than TUI_FILTER_MAX - 1.
 */
int tui_model_set_filter(struct tui_model *m, const char *expr);
const char *tui_model_filter(const struct tui_model *m);
/* Only sessions that are cleartext, downgraded, tls-failed or have alerts. */
void tui_model_set_problems_only(struct tui_model *m, bool on);
bool tui_model_problems_only(const struct tui_model *m);
/* Paused: the sessions list, alerts list and per-port panel stop changing
 * (the counters do not); new sessions are still counted and kept. Changing
 * the sort or the filter while paused re-reads the current data. */
void tui_model_set_paused(struct tui_model *m, bool on);
bool tui_model_paused(const struct tui_model *m);

/* Sessions in the view, in view order. tui_model_row returns NULL for a row
 * dropped since the view was frozen by a pause. Pointers are valid until
 * the next call into the model that changes it. */
size_t tui_model_rows(struct tui_model *m);
const struct tui_row *tui_model_row(struct tui_model *m, size_t i);
/* Alerts in the view (the filter applies), newest first. */
size_t tui_model_alerts(struct tui_model *m);
const struct tui_alert *tui_model_alert(struct tui_model *m, size_t i);
/* Lookups by session id and by alert sequence number (NULL when not kept). */
const struct tui_row *tui_model_find_row(const struct tui_model *m, uint64_t session_id);
const struct tui_alert *tui_model_find_alert(const struct tui_model *m, uint64_t seq);

/* ---- Helpers shared by the view and the tests -------------------------------- */

bool tui_row_is_problem(const struct tui_row *r);
/* Did the session violate a mail policy (ALERTS_POLICY_VIOLATION in
 * session.h)? */
bool tui_row_policy_violated(const struct tui_row *r);
/* Is the alert one of a violated mail policy? */
bool tui_alert_is_policy(enum alert_kind k);
/* The sessions list's policy cell: "" without a policy, else what protects
 * the domain ("sts" for MTA-STS, "dane", "sts+dane", "none"), after "!! " when
 * the session violated it. */
void tui_row_policy_short(const struct tui_row *r, char *buf, size_t bufsz);
/* How an alert of this severity looks: low WARN, medium and high BAD,
 * critical CRIT. */
enum tui_tone tui_severity_tone(enum severity s);
/* Does the row pass the filter expression (NULL or "" passes everything)? */
bool tui_row_matches(const struct tui_row *r, const char *expr);
bool tui_alert_matches(const struct tui_alert *a, const char *expr);
enum tui_tone tui_verdict_tone(enum verdict v);
/* The verdict a row shows: "open" for a session still open, else its
 * verdict's name. */
const char *tui_row_verdict_name(const struct tui_row *r);
/* '+' encrypted, '~' cleartext, '!' downgraded, 'x' tls-failed, '?' unknown
 * (a violated mail policy adds "!!" in its own column). */
char tui_verdict_marker(enum verdict v);
/* "1.3", "1.2", "SSL3" ... for the narrow TLS column; "" without TLS. */
const char *tui_tls_short(const struct tui_row *r, char buf[8]);
/* "08:12:12" (UTC) */
void tui_format_clock(uint64_t ts_us, char *buf, size_t bufsz);
/* 1234 -> "1234", 123456 -> "123.5k", 12345678 -> "12.3M" ... */
void tui_format_count(double v, char *buf, size_t bufsz);

/*
 * The detail text of a session (and of each of its alerts still kept) or
 * of an alert (and of its session when still kept). Returns -1 when the
 * session or alert is no longer kept, or out of memory. out is reset first.
 */
int tui_model_detail_session(const struct tui_model *m, uint64_t session_id, struct tui_text *out);
int tui_model_detail_alert(const struct tui_model *m, uint64_t alert_seq, struct tui_text *out);
void tui_text_free(struct tui_text *t);

#endif
