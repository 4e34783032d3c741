/*
 * outputs.h - where one run's results go: the sinks the options ask for
 * (syslog, --alert-exec, JSON Lines, the text report, the dashboard), fed by
 * the engine's callbacks, and the JSON file and standard output closed at
 * the end with one message for a failed write.
 */
#ifndef TLSWATCH_CLI_OUTPUTS_H
#define TLSWATCH_CLI_OUTPUTS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "options.h"
#include "redisout.h"
#include "sink.h"
#include "summary.h"

#define CLI_MAX_SINKS 6

struct cli_outputs {
	const struct cli_options *opt; /* not owned */
	struct sink *sinks[CLI_MAX_SINKS];
	size_t n_sinks;
	struct summary *summary;
	uint32_t alerts_seen; /* alert kind bits raised */
	uint64_t summary_failures;
	struct sink *syslog_sink, *exec_sink;
	bool want_tui;		      /* open the dashboard before the first source */
	struct sink *tui;	      /* the dashboard, once open */
	struct sink *text;	      /* the text report (summary only under the dashboard) */
	FILE *json_file;	      /* --json FILE, opened and closed here */
	struct redisout *redis;	      /* --json redis://...: the sender */
	bool redis_lost;	      /* ... and some records were not delivered */
	int json_errno, stdout_errno; /* first write errors the sinks saw */
	FILE *html_file;	      /* --report-html FILE, likewise */
	int html_errno;
};

/* Decides whether the dashboard is wanted (a warning when --tui cannot have
 * it); opens nothing yet. */
void cli_outputs_init(struct cli_outputs *out, const struct cli_options *o);
/* Opens the summary and every sink but the dashboard; 0, or 2 with one
 * message on stderr. cli_outputs_close releases what was opened either way. */
int cli_outputs_open(struct cli_outputs *out);
/* The callbacks that hand the engine's sessions and alerts to the sinks. */
struct engine_output cli_outputs_engine_output(struct cli_outputs *out);
/* Opens the dashboard, if wanted and not open yet: call it just before the
 * first packet, so that a source that cannot be opened is reported on a
 * plain terminal. On failure the text report stays as it was. */
void cli_outputs_start_tui(struct cli_outputs *out);
/* Writes out what the JSON file's and standard output's buffers hold (not
 * under the dashboard): a full disk or a closed pipe then shows in
 * cli_outputs_failed. */
void cli_outputs_flush(struct cli_outputs *out);
/* A write to the JSON file or to standard output failed: nothing more can be
 * reported. */
bool cli_outputs_failed(const struct cli_outputs *out);
/* Lets the --alert-exec queue move and flushes the alerts a sink holds
 * (call it now and then while reading: run_source does every 4,096 packets
 * and whenever the capture waits). */
void cli_outputs_poll(struct cli_outputs *out);
/* SIGHUP: the --json file is opened again by its name (appending, created
 * when logrotate renamed it away), what was buffered going to the old one
 * first. 0, or -1 with a warning on stderr (the old file stays in use). */
int cli_outputs_reopen(struct cli_outputs *out);
/* --stats-interval: the counters so far, one line on stderr and, with
 * --json, a stats record with "ts" and "interval". */
void cli_outputs_stats(struct cli_outputs *out, const struct stats *st);
/* End of the run: the dashboard's final state until q or *stop, then the
 * report, then with --stats the counters on stderr. */
void cli_outputs_finish(struct cli_outputs *out, const struct stats *st,
			volatile sig_atomic_t *stop);
/* Frees the sinks and the summary and closes the outputs; returns status,
 * or 2 when a write failed, whenever it happened. */
int cli_outputs_close(struct cli_outputs *out, int status);

#endif
