/*
 * sink.h - renderers of the analysis: text report, JSON Lines (and later the
 * dashboard). All render the same records: sessions and alerts as they are
 * produced, the per-port / per-server summary and the counters at the end.
 * Sinks never decide anything; secrets are shown only when asked for.
 */
#ifndef TLSWATCH_SINK_H
#define TLSWATCH_SINK_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "session.h"
#include "stats.h"
#include "summary.h"

struct sink {
	void (*session)(struct sink *k, const struct session *s);
	void (*alert)(struct sink *k, const struct alert *a);
	/* End of the run: summary rows and counters. */
	void (*finish)(struct sink *k, struct summary *sum, const struct stats *st);
	void (*free)(struct sink *k);
	/* The dashboard only (NULL in the other sinks): */
	/* A session still open that raised an alert, as it stands (before
	 * the alert; its record comes through session when it ends). */
	void (*session_open)(struct sink *k, const struct session *s);
	/* Run counters, about ten times a second from the capture loop. */
	void (*tick)(struct sink *k, const struct stats *st, size_t open_flows);
	/* After finish: blocks until the user quits or *stop is set (a signal),
	 * then gives the terminal back. */
	void (*wait)(struct sink *k, volatile sig_atomic_t *stop);
	/* The user asked to quit: the capture should stop. */
	bool (*quit_requested)(struct sink *k);
	FILE *out;
	int write_errno; /* errno of the first failed flush of out (0: none) */
	bool show_secrets;
	bool live;	      /* a live capture: flush after every record */
	bool alert_unflushed; /* reading a file: an alert waits in out's buffer
			       * for cli_outputs_poll (every 4,096 packets) */
	bool summary_only;    /* text: no session lines (the dashboard shows them);
			       * alerts and the summary at finish */
	bool wide;	      /* text: one line per record and wide tables
			       * (--wide), not wrapped at 80 columns */
	int report;	      /* text: enum sink_text_report (--report) */
	void *priv;
};

/* What the text report lists (--report). */
enum sink_text_report {
	SINK_REPORT_FULL,     /* sessions, alerts, the summary tables */
	SINK_REPORT_PROBLEMS, /* sessions cleartext, downgraded, tls-failed or
			       * with alerts (the dashboard's f), then alerts */
	SINK_REPORT_ALERTS,   /* the alert lines only: nothing when none */
	SINK_REPORT_SUMMARY,  /* the alert count and the summary tables */
};

/* "full", "problems", "alerts", "summary" as a report; -1 for another. */
int sink_text_report_parse(const char *name);
/* The text report's per-port (server false) or per-server table of rows,
 * in 80 columns or wide (--wide); `tlswatch --cluster` prints its own rows
 * with it. */
struct summary_row;
void sink_text_rows(FILE *o, const struct summary_row *rows, size_t n, bool server, bool wide);

/* Text report on out (not closed by the sink). NULL when out of memory. */
struct sink *sink_text_new(FILE *out, bool show_secrets, bool live);
/* JSON Lines on out; the sink closes out when close_out is set. */
struct sink *sink_json_new(FILE *out, bool close_out, bool show_secrets, bool live);
/* The ncurses dashboard on stdout (keys from /dev/tty): source names the
 * interface or the capture, replay_speed is 0 for as fast as possible,
 * max_rows bounds the sessions and alerts kept (0: TUI_MAX_ROWS_DEFAULT).
 * Call it from the capture thread, with a SIGINT handler installed that
 * stops the capture: `q` sends that thread SIGINT. NULL with a message in
 * err when there is no usable terminal. */
struct sink *sink_tui_new(const char *source, bool live, double replay_speed, size_t max_rows,
			  char *err, size_t errsz);

/*
 * The dashboard of `tlswatch --cluster` (src/cli/cluster_tui.c), on a sink
 * sink_tui_new made. set_cluster: the header names source ("cluster
 * redis://HOST:PORT prefix P: N sensors") instead of a capture, and status
 * (NULL or "": none) first, loud (Redis lost). set_origin: the sessions and
 * alerts passed next come from that sensor, where the session's id was
 * sensor_id. set_summary: the ports panel and the servers view show these
 * rows (the cluster's counts) instead of the sessions passed; the rows'
 * service strings must outlive the sink. Call them from one thread.
 */
void sink_tui_set_cluster(struct sink *k, const char *source, const char *status);
void sink_tui_set_origin(struct sink *k, const char *sensor, uint64_t sensor_id);
int sink_tui_set_summary(struct sink *k, const struct summary_row *ports, size_t n_ports,
			 const struct summary_row *servers, size_t n_servers);

/* The shape of the JSON records (--json-style). */
enum sink_json_style {
	SINK_JSON_STYLE_TLSWATCH = 0, /* {"type":"session",...}: docs/json-schema.md */
	SINK_JSON_STYLE_EVE,	      /* Suricata's EVE: {"timestamp":...,"event_type":...} */
};

/* Where the records come from, as every record says. */
struct sink_json_identity {
	enum sink_json_style style;
	const char *sensor;    /* the sensor's name; NULL or "": the host name */
	const char *interface; /* the live capture's interface, or NULL */
	const char *file;      /* the capture file read, or NULL */
};

/* Sets the style and the identity of every JSON record written after it, by
 * the --json sink and by --alert-exec alike (so their lines stay the same).
 * Process-wide: call it once, before any record is written; the strings are
 * copied. Without it: the tlswatch style, the host name and no source. */
void sink_json_configure(const struct sink_json_identity *id);
/* "tlswatch" or "eve" as a style; -1 for another name. */
int sink_json_style_parse(const char *name);
/* The EVE signature_id of an alert kind (0 for none). */
uint32_t sink_json_eve_signature_id(enum alert_kind kind);
/* Writes one alert as its JSON Lines record ({"type":"alert",...} and a
 * newline, or the EVE alert) on o with one fwrite; the --json sink and
 * --alert-exec (its stdin) both use it. Returns 0, or -1 when the record
 * could not be built or written. */
int sink_json_alert(FILE *o, const struct alert *a);
/* A stats record written while the run goes on (--stats-interval): open
 * writes its start, in the configured style, with "interval"; the caller
 * appends ,"name":value pairs; close writes "ts" and the identity, or
 * closes the EVE object. */
void sink_json_stats_open(FILE *o, uint64_t ts_us, unsigned interval);
void sink_json_stats_close(FILE *o, uint64_t ts_us);
/* Flushes k->out, keeping the errno of the first failure in k->write_errno
 * (stdio forgets it; the caller reports it when it closes the output). */
void sink_flush(struct sink *k);
/* "2026-11-25T06:30:01.123456Z" (RFC 3339, UTC); returns its length
 * (cut to fit bufsz as snprintf cuts). */
size_t sink_format_time(uint64_t ts_us, char *buf, size_t bufsz);
/* Times shown to a person (the text report, the dashboard): UTC as
 * sink_format_time, or after sink_display_local_time(true) the local time
 * with its offset, "2026-11-25T07:30:01.123456+01:00", as Debian's rsyslog
 * writes /var/log/mail.log. Process-wide: set it once before any record.
 * JSON stays UTC. */
void sink_display_local_time(bool local);
void sink_format_display_time(uint64_t ts_us, char *buf, size_t bufsz);
/* Seconds to add to a packet time to show it as sink_format_display_time
 * does: 0 in UTC, the local offset at that time with local time. */
int64_t sink_display_offset(uint64_t ts_us);
/* "127.0.0.1:25", "[::1]:25". */
void sink_format_endpoint(uint8_t family, const uint8_t *ip, uint16_t port, char *buf,
			  size_t bufsz);
/* What to print for a login secret. */
const char *sink_secret(const struct login *l, bool show_secrets, const char *redacted);
const char *login_outcome_name(enum login_outcome o);
/* Writes the counters as "name value" pairs through fn. */
void sink_stats_each(const struct stats *st, void (*fn)(void *ctx, const char *name, uint64_t v),
		     void *ctx);

#endif
