/*
 * outputs.c - the sinks of one run (see outputs.h): which are opened for
 * which options, the fan-out of the engine's sessions and alerts to them,
 * and the end of the run (the dashboard's last screen, the report, the
 * --stats counters, the outputs flushed and closed).
 *
 * Write errors: the sinks keep the errno of their first failed write; the
 * JSON file and standard output are closed here and a failure is reported
 * once, as exit status 2. A closed pipe on standard output (the reader, like
 * head, has seen enough) is exit status 2 without a message.
 */
#include "outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alertout.h"
#include "outfile.h"
#include "sink_html.h"
#include "spool.h"

/* At most this much of records waits for Redis (then they are dropped and
 * counted), and this long at the end for the queue to drain. */
#define CLI_REDIS_QUEUE_BYTES (64u << 20)
#define CLI_REDIS_DRAIN_MS 5000

/* The JSON Lines and the text report are written through stdio buffers of
 * this size: with the default (the file's block size, 4 KiB) a DNS flood's
 * 700 MB of JSON was 180,000 write(2) calls, each dearer than its copy on a
 * VM. A live capture flushes after every record, so nothing waits longer;
 * a terminal keeps its line buffering. A failed write (a full disk) shows
 * after 1 MiB, or at the end of the capture file being read (run_files
 * flushes), and stops the run. Static: stdout is flushed at exit, after
 * any free. */
#define CLI_OUTPUT_BUFFER (1u << 20)

static char cli_stdout_buf[CLI_OUTPUT_BUFFER], cli_json_buf[CLI_OUTPUT_BUFFER];

/* Before the first write to f. */
static void
cli_output_buffer(FILE *f, char *buf)
{
	if (!isatty(fileno(f)))
		(void)setvbuf(f, buf, _IOFBF, CLI_OUTPUT_BUFFER);
}

static bool
cli_json_on_stdout(const struct cli_options *o)
{
	return o->json_path && strcmp(o->json_path, "-") == 0;
}

/* Dashboard: --tui forces it, --no-tui forbids it, -i wants it; never
 * without a terminal on stdout (or with the JSON Lines there). */
static bool
cli_want_tui(const struct cli_options *o)
{
	bool json_stdout = cli_json_on_stdout(o);

	if (o->tui == 0 || (o->tui < 0 && !o->iface))
		return false;
	if (json_stdout || !isatty(STDOUT_FILENO)) {
		if (o->tui == 1)
			fprintf(stderr, "tlswatch: --tui: %s; using the text report\n",
				json_stdout ? "stdout carries the JSON Lines"
					    : "stdout is not a terminal");
		return false;
	}
	return true;
}

void
cli_outputs_init(struct cli_outputs *out, const struct cli_options *o)
{
	memset(out, 0, sizeof(*out));
	out->opt = o;
	out->want_tui = cli_want_tui(o);
}

static void
cli_on_session(void *ctx, const struct session *s)
{
	struct cli_outputs *out = ctx;

	if (summary_add(out->summary, s) < 0)
		out->summary_failures++;
	for (size_t i = 0; i < out->n_sinks; i++)
		out->sinks[i]->session(out->sinks[i], s);
}

static void
cli_on_alert(void *ctx, const struct alert *a)
{
	struct cli_outputs *out = ctx;

	out->alerts_seen |= 1u << a->kind;
	for (size_t i = 0; i < out->n_sinks; i++)
		out->sinks[i]->alert(out->sinks[i], a);
}

/* An open session that raised an alert: to the sinks that list open
 * sessions (the dashboard); the others write its record when it ends. */
static void
cli_on_session_open(void *ctx, const struct session *s)
{
	struct cli_outputs *out = ctx;

	for (size_t i = 0; i < out->n_sinks; i++)
		if (out->sinks[i]->session_open)
			out->sinks[i]->session_open(out->sinks[i], s);
}

struct engine_output
cli_outputs_engine_output(struct cli_outputs *out)
{
	return (struct engine_output){.ctx = out,
				      .session = cli_on_session,
				      .alert = cli_on_alert,
				      .session_open = cli_on_session_open};
}

/* A live interface, or a capture read as it is written (a FIFO, a pipe on
 * stdin): the outputs are flushed after every record, so that what was
 * seen is readable at once, and not only at the end of the run. */
static bool
cli_sources_are_streams(const struct cli_options *o)
{
	struct stat sb;

	if (o->iface)
		return true;
	for (size_t i = 0; i < o->n_files; i++) {
		if (strcmp(o->files[i], "-") == 0)
			return true;
		if (stat(o->files[i], &sb) == 0 && S_ISFIFO(sb.st_mode))
			return true;
	}
	return false;
}

/* What every JSON record (--json, --alert-exec) says of its source: the
 * interface, or the file (with several, the first and how many more, as
 * the dashboard names them: they are read as one capture). */
static void
cli_json_configure(const struct cli_options *o)
{
	char files[1100];
	struct sink_json_identity id = {.style = (enum sink_json_style)o->json_style,
					.sensor = o->sensor_name,
					.interface = o->iface};

	if (!o->iface && o->n_files) {
		if (o->n_files > 1)
			snprintf(files, sizeof(files), "%s +%zu", o->files[0], o->n_files - 1);
		else
			snprintf(files, sizeof(files), "%s", o->files[0]);
		id.file = files;
	}
	sink_json_configure(&id);
}

/* The sources as the HTML report and the dashboard name them: the
 * interface, or the first file and how many more. */
static void
cli_source_label(const struct cli_options *o, char *src, size_t size)
{
	if (o->iface)
		snprintf(src, size, "%s", o->iface);
	else if (o->n_files > 1)
		snprintf(src, size, "%s +%zu", o->files[0], o->n_files - 1);
	else
		snprintf(src, size, "%s", o->n_files ? o->files[0] : "?");
}

/* --json redis://...: the same records, each handed to Redis by a thread of
 * its own (flushed after each one when live, as for a file). 0, or 2 with
 * the message printed. */
static int
cli_outputs_open_redis(struct cli_outputs *out, bool live)
{
	const struct cli_options *o = out->opt;
	struct redisout_target t;
	struct spool *spool = NULL;
	char err[256];

	if (redisout_parse(o->json_path, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: --json %s\n", err);
		return 2;
	}
	if (o->json_spool_dir) {
		/* Opened now, before -Z, for the user who will write
		 * there after it (as --evidence). */
		struct passwd *pw = o->user ? getpwnam(o->user) : NULL;

		spool = spool_open(o->json_spool_dir, o->json_spool_max,
				   pw ? pw->pw_uid : (uid_t)-1, err, sizeof(err));
		if (!spool) {
			fprintf(stderr, "tlswatch: --json-spool %s\n", err);
			return 2;
		}
	}
	out->redis = redisout_new(&t, CLI_REDIS_QUEUE_BYTES, spool, err, sizeof(err));
	if (!out->redis) {
		fprintf(stderr, "tlswatch: --json %s\n", err);
		return 2;
	}
	out->sinks[out->n_sinks] =
		sink_json_new(redisout_file(out->redis), false, o->ecfg.show_secrets, live);
	if (!out->sinks[out->n_sinks])
		return 2;
	out->n_sinks++;
	return 0;
}

/* --json FILE (appended to unless --json-truncate: a restart, or a run
 * after logrotate's copytruncate, never loses what was there) or --json -.
 * 0, or 2 with the message printed. */
static int
cli_outputs_open_json_file(struct cli_outputs *out, bool live, bool json_stdout)
{
	const struct cli_options *o = out->opt;
	char err[256];
	FILE *f = json_stdout
			  ? stdout
			  : outfile_open_mode(o->json_path, !o->json_truncate, err, sizeof(err));

	if (!f) {
		fprintf(stderr, "tlswatch: --json %s\n", err);
		return 2;
	}
	if (!json_stdout) {
		out->json_file = f;
		cli_output_buffer(f, cli_json_buf);
	}
	out->sinks[out->n_sinks] = sink_json_new(f, false, o->ecfg.show_secrets, live);
	if (!out->sinks[out->n_sinks])
		return 2;
	out->n_sinks++;
	return 0;
}

/* --report-html FILE: 0, or 2 with the message printed. */
static int
cli_outputs_open_html(struct cli_outputs *out)
{
	const struct cli_options *o = out->opt;
	char src[160], err[256];

	cli_source_label(o, src, sizeof(src));
	out->html_file = outfile_open(o->html_path, err, sizeof(err));
	if (!out->html_file) {
		fprintf(stderr, "tlswatch: --report-html %s\n", err);
		return 2;
	}
	out->sinks[out->n_sinks] = sink_html_new(out->html_file, src);
	if (!out->sinks[out->n_sinks])
		return 2;
	out->n_sinks++;
	return 0;
}

int
cli_outputs_open(struct cli_outputs *out)
{
	const struct cli_options *o = out->opt;
	bool live = cli_sources_are_streams(o), json_stdout = cli_json_on_stdout(o);
	char err[256];
	int rc = 0;

	cli_json_configure(o);
	if (!o->line_buffered)				   /* -l asked for a flush per line */
		cli_output_buffer(stdout, cli_stdout_buf); /* the report, or --json - */
	out->summary = summary_new();
	if (!out->summary) {
		fputs("tlswatch: out of memory\n", stderr);
		return 2;
	}
	/* Alert outputs first: finish runs in this order, so the commands are
	 * done and the counters final before the report and the stats. */
	if (o->syslog) {
		out->syslog_sink = sink_syslog_new(&o->syslog_opts, err, sizeof(err));
		if (!out->syslog_sink) {
			fprintf(stderr, "tlswatch: %s\n", err);
			return 2;
		}
		out->sinks[out->n_sinks++] = out->syslog_sink;
	}
	if (o->exec_opts.command) {
		out->exec_sink = sink_exec_new(&o->exec_opts, err, sizeof(err));
		if (!out->exec_sink) {
			fprintf(stderr, "tlswatch: %s\n", err);
			return 2;
		}
		out->sinks[out->n_sinks++] = out->exec_sink;
	}
	if (redisout_is_url(o->json_path))
		rc = cli_outputs_open_redis(out, live);
	else if (o->json_path)
		rc = cli_outputs_open_json_file(out, live, json_stdout);
	if (rc == 0 && o->html_path)
		rc = cli_outputs_open_html(out);
	if (rc != 0)
		return rc;
	if (!json_stdout) {
		out->sinks[out->n_sinks] = sink_text_new(stdout, o->ecfg.show_secrets, live);
		if (!out->sinks[out->n_sinks])
			return 2;
		out->sinks[out->n_sinks]->wide = o->wide;
		out->sinks[out->n_sinks]->report = o->report;
		out->text = out->sinks[out->n_sinks++];
	}
	return 0;
}

void
cli_outputs_start_tui(struct cli_outputs *out)
{
	const struct cli_options *o = out->opt;
	char src[160], err[256];

	if (!out->want_tui || out->tui)
		return;
	out->want_tui = false;
	cli_source_label(o, src, sizeof(src));
	out->tui = sink_tui_new(src, o->iface != NULL, o->iface ? 0 : o->replay_speed, o->max_rows,
				err, sizeof(err));
	if (!out->tui) {
		fprintf(stderr, "tlswatch: dashboard: %s; using the text report\n", err);
		return;
	}
	out->sinks[out->n_sinks++] = out->tui;
	if (out->text)
		out->text->summary_only = true;
}

void
cli_outputs_flush(struct cli_outputs *out)
{
	if (out->json_file)
		fflush(out->json_file);
	if (!out->tui)
		fflush(stdout);
}

bool
cli_outputs_failed(const struct cli_outputs *out)
{
	return (out->json_file && ferror(out->json_file)) ||
	       (out->html_file && ferror(out->html_file)) || ferror(stdout);
}

void
cli_outputs_poll(struct cli_outputs *out)
{
	if (out->exec_sink)
		sink_exec_poll(out->exec_sink);
	for (size_t i = 0; i < out->n_sinks; i++)
		if (out->sinks[i]->alert_unflushed) {
			out->sinks[i]->alert_unflushed = false;
			sink_flush(out->sinks[i]);
		}
}

int
cli_outputs_reopen(struct cli_outputs *out)
{
	char err[512];

	if (!out->json_file)
		return 0;
	if (outfile_reopen(out->json_file, out->opt->json_path, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"tlswatch: SIGHUP: cannot reopen --json %s; still writing to the "
			"file open before\n",
			err);
		return -1;
	}
	return 0;
}

/* The running counters: "name=value ..." on stderr, and a JSON object. */
struct cli_stats_line {
	FILE *f;
	const char *sep;
	bool json;
};

static void
cli_stats_line_add(void *ctx, const char *name, uint64_t v)
{
	struct cli_stats_line *l = ctx;

	if (l->json)
		fprintf(l->f, ",\"%s\":%" PRIu64, name, v);
	else
		fprintf(l->f, "%s%s=%" PRIu64, l->sep, name, v);
	l->sep = " ";
}

void
cli_outputs_stats(struct cli_outputs *out, const struct stats *st)
{
	struct cli_stats_line l = {stderr, "", false};
	FILE *j = out->json_file ? out->json_file : cli_json_on_stdout(out->opt) ? stdout : NULL;
	struct timespec now;
	uint64_t now_us;
	char ts[40];

	clock_gettime(CLOCK_REALTIME, &now);
	now_us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	sink_format_time(now_us, ts, sizeof(ts));
	fprintf(stderr, "tlswatch: stats %s: ", ts);
	sink_stats_each(st, cli_stats_line_add, &l);
	alertout_stats_each(out->syslog_sink, out->exec_sink, cli_stats_line_add, &l);
	redisout_stats_each(out->redis, cli_stats_line_add, &l);
	fputc('\n', stderr);
	if (!j)
		return;
	/* The same keys as the closing stats record, plus "interval" to tell a
	 * running record from the final one. */
	sink_json_stats_open(j, now_us, out->opt->stats_interval);
	l = (struct cli_stats_line){j, ",", true};
	sink_stats_each(st, cli_stats_line_add, &l);
	alertout_stats_each(out->syslog_sink, out->exec_sink, cli_stats_line_add, &l);
	redisout_stats_each(out->redis, cli_stats_line_add, &l);
	sink_json_stats_close(j, now_us);
	fflush(j);
}

static void
cli_print_stat(void *ctx, const char *name, uint64_t v)
{
	fprintf(ctx, "  %-26s %" PRIu64 "\n", name, v);
}

void
cli_outputs_finish(struct cli_outputs *out, const struct stats *st, volatile sig_atomic_t *stop)
{
	if (out->tui) {
		/* The final state stays on screen until q (or a signal); the
		 * terminal is back when wait returns, then the report follows. */
		out->tui->finish(out->tui, out->summary, st);
		out->tui->wait(out->tui, stop);
	}
	for (size_t i = 0; i < out->n_sinks; i++)
		if (out->sinks[i] != out->tui)
			out->sinks[i]->finish(out->sinks[i], out->summary, st);
	if (st->payload_cut)
		/* Truncated payload is never read as absent payload (those
		 * sessions are unknown/gap), but the user must know why. */
		fprintf(stderr,
			"tlswatch: warning: %" PRIu64 " packets were cut by the capture's snapshot "
			"length; sessions that missed bytes are unknown/gap (capture with -s 0)\n",
			st->payload_cut);
	if (out->redis) {
		/* Every record is in the sender's queue now: it gets a few
		 * seconds to drain before the counters are final. */
		const char *why;
		uint64_t lost = redisout_finish(out->redis, CLI_REDIS_DRAIN_MS, &why);
		uint64_t bytes, files;

		if (lost) {
			fprintf(stderr,
				"tlswatch: --json %s: %" PRIu64 " records not delivered%s%s%s\n",
				out->opt->json_path, lost, why ? " (" : "", why ? why : "",
				why ? ")" : "");
			out->redis_lost = true;
		}
		if (redisout_spool_left(out->redis, &bytes, &files, &why)) {
			if (why)
				fprintf(stderr, "tlswatch: --json-spool %s: %s\n",
					out->opt->json_spool_dir, why);
			/* Not lost, but not delivered either: the status says
			 * so, as without a spool. */
			if (bytes) {
				fprintf(stderr,
					"tlswatch: --json %s: records not delivered yet are kept "
					"in --json-spool %s (%" PRIu64 " bytes in %" PRIu64
					" files) for the next run\n",
					out->opt->json_path, out->opt->json_spool_dir, bytes,
					files);
				out->redis_lost = true;
			}
		}
		/* A file set aside stays on disk, but its records were not
		 * delivered: as undelivered records, the status says so. */
		files = redisout_spool_skipped(out->redis, &why);
		if (files) {
			fprintf(stderr,
				"tlswatch: --json-spool %s: %" PRIu64 " spool file%s set aside, "
				"left in place and not delivered (last: %s)\n",
				out->opt->json_spool_dir, files, files == 1 ? "" : "s", why);
			out->redis_lost = true;
		}
	}
	if (out->opt->stats) {
		fputs("tlswatch statistics:\n", stderr);
		sink_stats_each(st, cli_print_stat, stderr);
		alertout_stats_each(out->syslog_sink, out->exec_sink, cli_print_stat, stderr);
		redisout_stats_each(out->redis, cli_print_stat, stderr);
	}
}

/* Flushes and closes one output; says what failed, once. */
static int
cli_output_close(FILE *f, const char *what, int saved_errno)
{
	int failed = ferror(f) || saved_errno;
	int e = saved_errno;

	if (fflush(f) != 0 && !e) {
		failed = 1;
		e = errno;
	}
	if (fclose(f) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	if (!failed)
		return 0;
	if (f != stdout || e != EPIPE)
		fprintf(stderr, "tlswatch: %s: write error: %s\n", what,
			e ? strerror(e) : "output failed");
	return -1;
}

int
cli_outputs_close(struct cli_outputs *out, int status)
{
	char what[300];

	/* Each output's first write error, as its sink saw it, before the sink
	 * goes. */
	for (size_t i = 0; i < out->n_sinks; i++) {
		struct sink *k = out->sinks[i];
		int *saved = k->out == stdout			  ? &out->stdout_errno
			     : k->out && k->out == out->json_file ? &out->json_errno
			     : k->out && k->out == out->html_file ? &out->html_errno
								  : NULL;

		if (saved && !*saved)
			*saved = k->write_errno;
		k->free(k);
	}
	out->n_sinks = 0;
	if (out->redis) {
		if (out->redis_lost)
			status = 2;
		redisout_free(out->redis);
		out->redis = NULL;
	}
	if (out->json_file) {
		snprintf(what, sizeof(what), "--json %s", out->opt->json_path);
		if (cli_output_close(out->json_file, what, out->json_errno) < 0)
			status = 2;
		out->json_file = NULL;
	}
	if (out->html_file) {
		snprintf(what, sizeof(what), "--report-html %s", out->opt->html_path);
		if (cli_output_close(out->html_file, what, out->html_errno) < 0)
			status = 2;
		out->html_file = NULL;
	}
	if (cli_output_close(stdout, "standard output", out->stdout_errno) < 0)
		status = 2;
	summary_free(out->summary);
	out->summary = NULL;
	return status;
}
