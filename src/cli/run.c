/*
 * run.c - one run of tlswatch (see run.h): the output directories checked,
 * the engine made, the interface or each file read through it (with a
 * progress line, --replay-speed pacing and the dashboard's ticks), then the
 * end of the run handed to the outputs.
 *
 * A signal (SIGINT, SIGTERM, or q on the dashboard) only sets a flag and
 * breaks the capture being read; the run then ends as if the sources had,
 * and everything analysed so far is reported. SIGHUP only sets another
 * flag (with SA_RESTART, so a read from a FIFO goes on): the output files
 * are reopened between two packets, before the next one is analysed, so
 * every record goes whole to the old file or to the new one. On a terminal
 * (standard output or error is one, the dashboard included) SIGHUP means
 * the terminal went away and ends the run like SIGTERM, as tcpdump users
 * expect; a service has no terminal and gets the reopen. Those flags and
 * the capture are the only state shared with the signal handlers.
 */
#include "run.h"

#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cluster.h"
#include "decode.h"
#include "engine.h"
#include "hugeheap.h"
#include "outfile.h"
#include "outputs.h"
#include "shared.h"
#include "sink.h"

#define TUI_TICK_S 0.1 /* dashboard counters: at most ten times a second */

struct run {
	const struct cli_options *opt;
	struct capture_dump *dump; /* -w; NULL: none */
	uint64_t packets;	   /* read, for -c */
	bool count_reached;	   /* -c COUNT packets were read: the run ends */
	struct cli_outputs out;
	struct engine *engine;
	double next_tick;  /* wall clock of the next dashboard tick */
	double next_stats; /* monotonic time of the next --stats-interval line */
};

/* The capture being read, for the signal handler only. */
static struct capture *volatile current_capture;
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;
static volatile sig_atomic_t hangup_stops; /* running on a terminal */

static void
run_on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	if (current_capture)
		capture_break(current_capture);
}

static void
run_on_hangup(int sig)
{
	if (hangup_stops)
		run_on_signal(sig);
	else
		reopen_requested = 1;
}

static void
run_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = run_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	hangup_stops = isatty(STDOUT_FILENO) || isatty(STDERR_FILENO);
	sa.sa_handler = run_on_hangup;
	/* A reopen must not cut a read short; an end must. */
	sa.sa_flags = hangup_stops ? 0 : SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static double
run_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Between two packets (and while idle or pacing): the output files
 * reopened after a SIGHUP, and the --stats-interval counters when due. */
static void
run_service(struct run *r, struct capture *c)
{
	struct timespec ts;
	double now;
	struct stats *st;

	if (reopen_requested) {
		reopen_requested = 0;
		engine_output_lock(r->engine);
		cli_outputs_reopen(&r->out);
		engine_output_unlock(r->engine);
	}
	if (!r->opt->stats_interval)
		return;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (r->next_stats == 0)
		r->next_stats = now + r->opt->stats_interval;
	if (now < r->next_stats)
		return;
	r->next_stats += r->opt->stats_interval;
	if (r->next_stats <= now) /* a long stall: no burst of lines after it */
		r->next_stats = now + r->opt->stats_interval;
	st = engine_stats(r->engine);
	if (capture_is_live(c) &&
	    capture_counters(c, &st->pcap_received, &st->pcap_dropped, &st->pcap_ifdropped))
		st->pcap_stats_valid = 1;
	engine_output_lock(r->engine);
	cli_outputs_stats(&r->out, st);
	engine_output_unlock(r->engine);
}

/* The progress line on stderr while a file is read. */
struct progress {
	bool on;
	double start, last;
	bool shown;
};

static void
run_progress_show(struct progress *pg, struct capture *c, const struct stats *st, bool final)
{
	uint64_t done, total;
	double now = run_now(), rate;

	if (!pg->on || (!final && now - pg->last < 0.25))
		return;
	pg->last = now;
	capture_progress(c, &done, &total);
	rate = now > pg->start ? (double)done / (now - pg->start) : 0;
	if (final) {
		if (pg->shown)
			fputs("\r\033[K", stderr);
		pg->shown = false;
		return;
	}
	fprintf(stderr, "\r\033[K%s: %.1f", capture_name(c), (double)done / 1048576.0);
	if (total) {
		fprintf(stderr, " / %.1f MiB (%.0f%%)", (double)total / 1048576.0,
			100.0 * (double)done / (double)total);
	} else {
		fputs(" MiB", stderr);
	}
	fprintf(stderr, "  %.1f MiB/s  %" PRIu64 " sessions", rate / 1048576.0, st->sessions);
	if (total && rate > 0 && done <= total)
		fprintf(stderr, "  %.0f s left", (double)(total - done) / rate);
	pg->shown = true;
}

/* Dashboard: counters about ten times a second (wall clock, never per
 * packet), and `q` stops the capture. */
static void
run_tui_poll(struct run *r, struct capture *c)
{
	struct sink *tui = r->out.tui;
	struct timespec ts;
	double now;
	struct stats *st;

	if (!tui)
		return; /* no clock read per packet without a dashboard */
	/* The coarse clock (a few ms) is plenty for 100 ms and costs next to
	 * nothing per packet; the precise one showed up in profiles. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (now < r->next_tick)
		return;
	r->next_tick = now + TUI_TICK_S;
	st = engine_stats(r->engine);
	if (capture_is_live(c) &&
	    capture_counters(c, &st->pcap_received, &st->pcap_dropped, &st->pcap_ifdropped))
		st->pcap_stats_valid = 1;
	/* Sessions still open: every flow becomes one session (or an empty
	 * one, counted apart) when it ends (the flow table also holds closed
	 * flows for a while). */
	uint64_t ended = st->sessions + st->sessions_empty;

	engine_output_lock(r->engine);
	tui->tick(tui, st, st->flows_created > ended ? (size_t)(st->flows_created - ended) : 0);
	if (tui->quit_requested(tui)) {
		stop_requested = 1;
		capture_break(c);
	}
	engine_output_unlock(r->engine);
}

struct pace {
	bool started;
	uint64_t ts0;
	double wall0;
};

/* --replay-speed: waits until the packet at ts is due (the gap from the
 * first packet, divided by the speed); time going backwards restarts it. */
static void
run_replay_pace(struct run *r, struct capture *c, struct pace *p, uint64_t ts)
{
	double target, now;

	if (!p->started || ts < p->ts0) {
		p->started = true;
		p->ts0 = ts;
		p->wall0 = run_now();
		return;
	}
	target = p->wall0 + (double)(ts - p->ts0) / 1e6 / r->opt->replay_speed;
	while (!stop_requested && (now = run_now()) < target) {
		double d = target - now > 0.05 ? 0.05 : target - now;
		struct timespec sl = {0, (long)(d * 1e9)};

		nanosleep(&sl, NULL); /* a signal cuts it short */
		run_tui_poll(r, c);
		run_service(r, c);
	}
}

/* The outputs' commands collected and their failures looked at; false
 * when an output failed. */
static bool
run_outputs_poll(struct run *r)
{
	bool ok;

	engine_output_lock(r->engine);
	cli_outputs_poll(&r->out);
	ok = !cli_outputs_failed(&r->out);
	engine_output_unlock(r->engine);
	return ok;
}

/* A capture read from a pipe waits for its writer: the packets so far are
 * analysed to the end (alerts out) and finished commands collected first. */
static void
run_on_wait(void *ctx)
{
	struct run *r = ctx;

	engine_flush(r->engine);
	run_outputs_poll(r);
}

static int
run_source(struct run *r, struct capture *c)
{
	const struct cli_options *o = r->opt;
	struct engine *e = r->engine;
	struct progress pg = {0};
	struct pace pace = {0};
	char err[512];
	int rc = 0;

	if (o->filter && capture_set_filter(c, o->filter, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: %s\n", err);
		return 2;
	}
	pg.on = !capture_is_live(c) && !o->quiet && isatty(STDERR_FILENO) && !r->out.tui;
	if (!capture_is_live(c))
		capture_on_wait(c, run_on_wait, r);
	pg.start = pg.last = run_now();
	current_capture = c;
	while (!stop_requested && !r->count_reached) {
		const uint8_t *frame;
		size_t caplen;
		uint64_t ts;
		int dlt; /* per packet: a pcapng file may mix link types */
		enum capture_status cs =
			capture_next(c, &frame, &caplen, &ts, &dlt, err, sizeof(err));

		/* Before the packet: a SIGHUP that came while waiting for it
		 * moves every record it leads to into the new file. */
		run_service(r, c);
		if (cs == CAPTURE_PACKET) {
			if (o->replay_speed > 0 && !capture_is_live(c))
				run_replay_pace(r, c, &pace, ts);
			engine_packet(e, dlt, frame, caplen, ts);
			if (r->dump &&
			    capture_dump_packet(r->dump, dlt, frame, caplen, capture_wire_len(c),
						ts, err, sizeof(err)) < 0) {
				fprintf(stderr, "tlswatch: %s\n", err);
				rc = 2;
				break;
			}
			if (o->count && ++r->packets >= o->count)
				r->count_reached = true;
			if ((engine_packet_count(e) & 4095) == 0) {
				run_progress_show(&pg, c, engine_stats(e), false);
				if (!run_outputs_poll(r))
					break;
			}
		} else if (cs == CAPTURE_TIMEOUT) {
			engine_tick(e, (uint64_t)time(NULL) * 1000000u);
			capture_dump_flush(r->dump); /* a quiet moment: -w's file is whole */
			if (!run_outputs_poll(r))
				break;
		} else if (cs == CAPTURE_END) {
			break;
		} else {
			fprintf(stderr, "%stlswatch: %s (results up to this point are reported)\n",
				pg.shown ? "\n" : "", err);
			rc = 2;
			break;
		}
		run_tui_poll(r, c);
	}
	current_capture = NULL;
	run_progress_show(&pg, c, engine_stats(e), true);
	if (o->verbose)
		fprintf(stderr,
			"tlswatch: %s: %" PRIu64 " packets read; %" PRIu64 " sessions so far\n",
			capture_name(c), engine_packet_count(e), engine_stats(e)->sessions);
	if (capture_is_live(c)) {
		struct stats *st = engine_stats(e);

		if (capture_counters(c, &st->pcap_received, &st->pcap_dropped, &st->pcap_ifdropped))
			st->pcap_stats_valid = 1;
	}
	return rc;
}

/* -i: opens the interface, drops privileges, reads until a signal. Returns
 * -1 when it could not start (message printed; nothing to report), else
 * run_source's status. */
static int
run_live(struct run *r)
{
	const struct cli_options *o = r->opt;
	struct capture_live_opts lo = {o->iface,	   o->snaplen,		 o->promisc,
				       (int)o->buffer_kib, (int)o->fanout_group, o->immediate};
	const struct stats *st;
	char err[512];
	struct capture *c = capture_open_live(&lo, err, sizeof(err));
	int rc;

	if (!c) {
		fprintf(stderr, "tlswatch: %s\n", err);
		return -1;
	}
	if (o->user && capture_drop_privileges(o->user, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: %s\n", err);
		goto fail;
	}
	if (!decode_link_supported(capture_datalink(c))) {
		fprintf(stderr, "tlswatch: %s: unsupported link type %d\n", o->iface,
			capture_datalink(c));
		goto fail;
	}
	if (o->verbose)
		fprintf(stderr,
			"tlswatch: listening on %s, link-type %s, snapshot length %d, Ctrl-C to "
			"stop\n",
			o->iface, capture_link_name(capture_datalink(c)), capture_snaplen(c));
	else if (!o->quiet)
		fprintf(stderr, "tlswatch: listening on %s, Ctrl-C to stop\n", o->iface);
	engine_output_lock(r->engine);
	cli_outputs_start_tui(&r->out);
	engine_output_unlock(r->engine);
	rc = run_source(r, c);
	/* Like tcpdump: a live run always says what the kernel dropped. */
	st = engine_stats(r->engine);
	if (st->pcap_stats_valid)
		fprintf(stderr,
			"tlswatch: %" PRIu64 " packets received by filter, %" PRIu64
			" dropped by kernel, %" PRIu64 " dropped by interface\n",
			st->pcap_received, st->pcap_dropped, st->pcap_ifdropped);
	capture_close(c);
	return rc;
fail:
	capture_close(c);
	return -1;
}

/* -r: reads the files in turn; one that cannot be read is reported (status
 * 2) and the others are still read. Stops at a signal or a failed output. */
static int
run_files(struct run *r)
{
	const struct cli_options *o = r->opt;
	char err[512];
	int rc, status = 0;

	for (size_t i = 0;
	     i < o->n_files && !stop_requested && !r->count_reached && !cli_outputs_failed(&r->out);
	     i++) {
		struct capture *c = capture_open_file(o->files[i], err, sizeof(err));

		if (!c) {
			fprintf(stderr, "tlswatch: %s\n", err);
			status = 2;
			continue;
		}
		if (!decode_link_supported(capture_datalink(c))) {
			fprintf(stderr, "tlswatch: %s: unsupported link type %d (%s)\n",
				o->files[i], capture_datalink(c),
				capture_link_name(capture_datalink(c)));
			capture_close(c);
			status = 2;
			continue;
		}
		if (o->verbose) {
			fprintf(stderr, "tlswatch: reading from file %s, link-type %s",
				capture_name(c), capture_link_name(capture_datalink(c)));
			if (capture_snaplen(c))
				fprintf(stderr, ", snapshot length %d", capture_snaplen(c));
			fputc('\n', stderr);
		}
		engine_output_lock(r->engine);
		cli_outputs_start_tui(&r->out);
		engine_output_unlock(r->engine);
		rc = run_source(r, c);
		if (rc)
			status = rc;
		capture_close(c);
		/* What the file led to leaves the output buffers: a failed
		 * output stops the run before the next file is read. */
		engine_output_lock(r->engine);
		cli_outputs_flush(&r->out);
		engine_output_unlock(r->engine);
	}
	return status;
}

/* --evidence and --state, before anything is read: the evidence directory
 * opened (cfg->evidence_dirfd) and the state file's directory checked, both
 * for the -Z user who will write there. -1 with one message. */
static int
run_open_output_dirs(const struct cli_options *o, struct engine_config *cfg)
{
	uid_t zuid = (uid_t)-1;
	struct passwd *pw;
	char err[512];

	if (!cfg->evidence_dir && !cfg->corr.state_path)
		return 0;
	pw = o->user ? getpwnam(o->user) : NULL;
	if (pw)
		zuid = pw->pw_uid;
	if (cfg->evidence_dir) {
		cfg->evidence_dirfd =
			outfile_dir_open(cfg->evidence_dir, true, zuid, err, sizeof(err));
		if (cfg->evidence_dirfd < 0) {
			fprintf(stderr, "tlswatch: --evidence %s\n", err);
			return -1;
		}
	}
	if (cfg->corr.state_path && shared_is_url(cfg->corr.state_path)) {
		struct shared_target t;

		if (shared_parse(cfg->corr.state_path, &t, err, sizeof(err)) < 0) {
			fprintf(stderr, "tlswatch: --state %s\n", err);
			return -1;
		}
		if (o->sensor_name && *o->sensor_name) {
			cfg->corr.sensor = o->sensor_name;
		} else {
			static char host[256];

			if (gethostname(host, sizeof(host) - 1) == 0)
				cfg->corr.sensor = host;
		}
	} else if (cfg->corr.state_path &&
		   outfile_check_parent(cfg->corr.state_path, zuid, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: --state %s\n", err);
		return -1;
	}
	return 0;
}

/* The sources are read: every session finished, the state saved, the
 * report written; 1 when --fail-on names an alert raised and all went well. */
static int
run_finish(struct run *r, int status)
{
	char err[512];

	engine_finish_all(r->engine);
	if (engine_save_state(r->engine, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: %s\n", err);
		status = 2;
	}
	cli_outputs_finish(&r->out, engine_stats(r->engine), &stop_requested);
	if (status == 0 && (r->out.alerts_seen & r->opt->fail_on))
		status = 1;
	return status;
}

int
cli_run(const struct cli_options *o)
{
	struct run r = {.opt = o};
	struct engine_config cfg = o->ecfg;
	struct engine_output eo;
	char err[512];
	int status;

	if (o->cluster_url) {
		/* The dashboard on a terminal (or with --tui), unless --report
		 * or --no-tui asks for the text summary. */
		bool tui = o->tui == 1 || (o->tui < 0 && !o->report_given);

		if (tui && !isatty(STDOUT_FILENO)) {
			if (o->tui == 1)
				fputs("tlswatch: --tui: stdout is not a terminal; using the text "
				      "report\n",
				      stderr);
			tui = false;
		}
		return tui ? cluster_dashboard(o->cluster_url, o->max_rows)
			   : cluster_report(o->cluster_url, o->wide, stdout);
	}
	hugeheap_init();
	if (o->line_buffered)
		setvbuf(stdout, NULL, _IOLBF, 0);
	sink_display_local_time(o->local_time);
	cli_outputs_init(&r.out, o);
	if (o->ecfg.show_secrets)
		fputs("tlswatch: --show-secrets: login secrets will appear in the output\n",
		      stderr);
	run_install_signals();
	if (run_open_output_dirs(o, &cfg) < 0) {
		if (cfg.evidence_dirfd >= 0)
			close(cfg.evidence_dirfd);
		return 2;
	}
	status = cli_outputs_open(&r.out);
	if (status)
		goto done;
	/* -w, like the other outputs, before -Z drops privileges. */
	if (o->write_path) {
		FILE *wf = outfile_open(o->write_path, err, sizeof(err));

		r.dump = wf ? capture_dump_new(wf, o->write_path) : NULL;
		if (!r.dump) {
			fprintf(stderr, "tlswatch: -w %s\n", wf ? "out of memory" : err);
			if (wf)
				fclose(wf);
			status = 2;
			goto done;
		}
	}
	eo = cli_outputs_engine_output(&r.out);
	err[0] = '\0';
	r.engine = engine_new(&cfg, &eo, err, sizeof(err));
	if (!r.engine) {
		fprintf(stderr, "tlswatch: %s\n", err);
		status = 2;
		goto done;
	}
	if (err[0])
		fprintf(stderr, "tlswatch: warning: %s\n", err);
	status = o->iface ? run_live(&r) : run_files(&r);
	if (status < 0)
		status = 2; /* the interface could not be read: nothing to report */
	else
		status = run_finish(&r, status);
done:
	if (r.dump) {
		if (capture_dump_skipped(r.dump))
			fprintf(stderr,
				"tlswatch: -w %s: %" PRIu64
				" packets of another link type than the file's first were not "
				"written\n",
				o->write_path, capture_dump_skipped(r.dump));
		if (capture_dump_close(r.dump, err, sizeof(err)) < 0) {
			fprintf(stderr, "tlswatch: %s\n", err);
			status = 2;
		}
	}
	/* The engine before the sinks: engine_free finishes whatever is still
	 * open, and that goes through them. */
	engine_free(r.engine);
	status = cli_outputs_close(&r.out, status);
	if (cfg.evidence_dirfd >= 0)
		close(cfg.evidence_dirfd);
	return status;
}
