/*
 * alertout.h - alert outputs: sinks that hand each alert to something outside
 * tlswatch as it is raised (docs/alerts.md).
 *
 *   syslog  one message per alert on the local syslog socket (/dev/log) or
 *           to a UDP address: RFC 5424 with one STRUCTURED-DATA element (RFC
 *           5424 section 6.3) by default, or the syslog(3) socket format
 *           (RFC 3164 style) with the same element at the start of the
 *           message.
 *   exec    runs a shell command per alert with the alert's JSON Lines record
 *           on its stdin; bounded concurrency and a bounded queue, so a slow
 *           command never blocks the capture.
 *
 * Both are struct sink: only the alert callback does work (sessions are
 * ignored); finish reports failures on stderr. Neither ever sees a login
 * secret: an alert carries none.
 */
#ifndef TLSWATCH_ALERTOUT_H
#define TLSWATCH_ALERTOUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "session.h"
#include "sink.h"

/* What happened to the alerts an output was given. At the end of the run
 * alerts == sent + failed + dropped. */
struct alertout_counters {
	uint64_t alerts;  /* alerts handed to the output */
	uint64_t sent;	  /* syslog: taken by the socket; exec: the command exited 0 */
	uint64_t failed;  /* syslog: no socket or a send error; exec: non-zero exit,
			     killed (signal, timeout), not started, stdin not written */
	uint64_t dropped; /* syslog: socket buffer full (the daemon is behind);
			     exec: queue full, or still queued when the final wait ran out */
	uint64_t ran;	  /* exec only: commands started */
};

#define ALERTOUT_SYSLOG_SOCKET "/dev/log"
/* Names another socket instead of /dev/log (tests, chroots). */
#define ALERTOUT_SYSLOG_ENV "TLSWATCH_SYSLOG_SOCKET"
/* The SD-ID: 32473 is the enterprise number kept for documentation (RFC 5612). */
#define ALERTOUT_SD_ID "tlswatch@32473"
/* Room for one message, header included. */
#define ALERTOUT_SYSLOG_MAX 2048

enum alertout_syslog_format {
	ALERTOUT_SYSLOG_RFC5424, /* "<PRI>1 TIMESTAMP HOST tlswatch PID KIND [SD] MSG" */
	ALERTOUT_SYSLOG_RFC3164, /* "<PRI>Mmm dd hh:mm:ss tlswatch[PID]: [SD] MSG" */
};

struct alertout_syslog_opts {
	int facility; /* LOG_AUTHPRIV, LOG_LOCAL0 ... as in <syslog.h> */
	enum alertout_syslog_format format;
	/* A unix socket path or "udp:HOST:PORT" (--syslog-to); NULL:
	 * $TLSWATCH_SYSLOG_SOCKET, else /dev/log. */
	const char *socket_path;
};

#define ALERTOUT_EXEC_RUNNING 4 /* commands at once */
#define ALERTOUT_EXEC_QUEUE 256 /* alerts waiting for a free slot */
#define ALERTOUT_EXEC_TIMEOUT_MS 5000

struct alertout_exec_opts {
	const char *command;  /* run as /bin/sh -c COMMAND; copied */
	unsigned max_running; /* 0: ALERTOUT_EXEC_RUNNING */
	unsigned queue_max;   /* 0: no queue (an alert with no free slot is dropped) */
	unsigned timeout_ms;  /* a command running longer is terminated; also the
				 longest wait at the end of the run; 0: default */
};

/* Sets the defaults (facility authpriv, RFC 5424; 4 running, queue 256, 5 s). */
void alertout_syslog_defaults(struct alertout_syslog_opts *o);
void alertout_exec_defaults(struct alertout_exec_opts *o);

/* Facility by name: auth, authpriv, daemon, mail, user, local0..local7.
 * Returns the <syslog.h> value (LOG_AUTHPRIV ...), or -1 when unknown. */
int alertout_facility_parse(const char *name);

/* Connects to the syslog socket (or the UDP address). NULL with a reason in
 * err when it cannot (no socket, a bad address, RFC 3164 asked for a UDP
 * target, out of memory): a start-up error. Later send failures are
 * counted, reported once on stderr, and the socket is reconnected. */
struct sink *sink_syslog_new(const struct alertout_syslog_opts *o, char *err, size_t errsz);
/* NULL with a reason in err when out of memory or the command is empty. */
struct sink *sink_exec_new(const struct alertout_exec_opts *o, char *err, size_t errsz);

/* Reaps finished commands and starts queued ones, without blocking. The alert
 * callback does it too; a live capture should also call it when idle so the
 * queue moves while no alert arrives. */
void sink_exec_poll(struct sink *k);

/* The counters of a sink made by sink_syslog_new / sink_exec_new (only). */
void sink_syslog_counters(const struct sink *k, struct alertout_counters *c);
void sink_exec_counters(const struct sink *k, struct alertout_counters *c);

/* Writes the counters of the outputs in use (either may be NULL) as "name
 * value" pairs through fn, like sink_stats_each: syslog_sent, syslog_failed,
 * syslog_dropped; alert_exec_ran, alert_exec_succeeded, alert_exec_failed,
 * alert_exec_dropped. Final once the sinks' finish has run. */
void alertout_stats_each(const struct sink *syslog_k, const struct sink *exec_k,
			 void (*fn)(void *ctx, const char *name, uint64_t v), void *ctx);

/*
 * The syslog message of one alert, NUL-terminated in buf (cut to bufsz - 1
 * bytes; ALERTOUT_SYSLOG_MAX is enough). Both formats carry the same
 * SD-ELEMENT, [tlswatch@32473 kind= severity= session= flow_id= community_id=
 * ts= transport= client= server= service= pcap=] (service and pcap when
 * known, community_id for TCP and UDP), then the message "KIND from CLIENT
 * to SERVER (SERVICE): EVIDENCE". PARAM-VALUEs escape '"', '\' and ']'; bytes
 * outside printable ASCII become \xHH. Return the length written. Exposed
 * for the unit tests.
 *
 * alertout_syslog_format: the syslog(3) socket format, "<PRI>Mmm dd
 * hh:mm:ss tlswatch[PID]: [SD] MSG", the time being now in local time.
 * alertout_syslog_format_5424: RFC 5424, "<PRI>1 TIMESTAMP HOSTNAME tlswatch
 * PID KIND [SD] MSG", TIMESTAMP now_us in UTC with microseconds, HOSTNAME
 * "-" when NULL or empty.
 */
size_t alertout_syslog_format(char *buf, size_t bufsz, int facility, const struct alert *a,
			      time_t now, pid_t pid);
size_t alertout_syslog_format_5424(char *buf, size_t bufsz, int facility, const struct alert *a,
				   uint64_t now_us, const char *hostname, pid_t pid);
/* Syslog severity (LOG_WARNING, LOG_NOTICE, LOG_INFO) of an alert severity. */
int alertout_syslog_level(enum severity s);

#endif
