/*
 * main.c - command line: wires the options to the capture, the engine and
 * the sinks. No protocol logic lives here.
 *
 * Exit status: 0 done; 1 an alert named by --fail-on was raised; 2 usage or
 * I/O error (what was analysed before the error is still reported).
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alertout.h"
#include "capture.h"
#include "engine.h"
#include "outfile.h"
#include "sink.h"
#include "summary.h"

#define TLSWATCH_VERSION "0.1.0"
#define MAX_SOURCES 64
#define MAX_SINKS 5
#define TUI_TICK_S 0.1 /* dashboard counters: at most ten times a second */

struct options {
	const char *files[MAX_SOURCES];
	size_t n_files;
	const char *iface;
	bool promisc;
	int snaplen;
	const char *user;
	const char *json_path;
	bool stats;
	int tui;	     /* -1 auto, 0 never, 1 forced */
	double replay_speed; /* 0: as fast as possible; 1: recorded pace */
	size_t max_rows;     /* dashboard: sessions and alerts kept */
	bool quiet;
	uint32_t fail_on; /* alert kind bits */
	bool show_secrets;
	char *filter;
	struct engine_config ecfg;
	bool syslog;
	struct alertout_syslog_opts syslog_opts;
	struct alertout_exec_opts exec_opts; /* command NULL: no --alert-exec */
};

struct run {
	struct options *opt;
	struct sink *sinks[MAX_SINKS];
	size_t n_sinks;
	struct summary *summary;
	uint32_t alerts_seen; /* alert kind bits raised */
	uint64_t summary_failures;
	struct sink *syslog_sink, *exec_sink;
	bool want_tui;		      /* open the dashboard before the first source */
	struct sink *tui;	      /* the dashboard, once open */
	struct sink *text;	      /* the text report (summary only under the dashboard) */
	double next_tick;	      /* wall clock of the next dashboard tick */
	FILE *json_file;	      /* --json FILE, opened and closed here */
	int json_errno, stdout_errno; /* first write errors the sinks saw */
};

/* The capture being read, for the signal handler only. */
static struct capture *volatile current_capture;
static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	if (current_capture)
		capture_break(current_capture);
}

static void
usage(FILE *o)
{
	fputs("Usage: tlswatch [OPTIONS] (-r FILE ... | -i IFACE) [FILTER]\n"
	      "\n"
	      "Passive analyzer: which sessions are encrypted (implicit TLS or STARTTLS),\n"
	      "which stayed in cleartext, and which were downgraded.\n"
	      "\n"
	      "Sources:\n"
	      "  -r, --read FILE        read a pcap or pcapng capture ('-' = stdin); repeatable\n"
	      "  -i, --interface IFACE  capture live on IFACE ('any' for all interfaces)\n"
	      "  -p, --no-promiscuous   do not put the interface in promiscuous mode\n"
	      "  -s, --snaplen BYTES    bytes captured per packet (default 262144)\n"
	      "  -Z, --user USER        drop privileges to USER once the interface is open\n"
	      "  FILTER                 a BPF filter expression, as with tcpdump\n"
	      "\n"
	      "Output:\n"
	      "      --json FILE|-      write JSON Lines to FILE; '-' writes them to stdout\n"
	      "                         instead of the text report\n"
	      "      --stats            print counters (packets, flows, evictions, caps, drops)\n"
	      "                         on stderr at the end\n"
	      "      --show-secrets     show login secrets (redacted by default)\n"
	      "      --show-empty       also report flows that carried no payload (unanswered\n"
	      "                         SYNs, handshakes only): counted, not listed, by default\n"
	      "      --evidence DIR     write the packets of every alerted session to a pcap\n"
	      "                         file in DIR, named in the alert (not for sessions\n"
	      "                         carrying a login secret, unless --show-secrets);\n"
	      "                         files are created 0600, never through a symlink\n"
	      "      --fail-on KINDS    exit 1 if an alert of one of these kinds (comma\n"
	      "                         separated, or 'any') was raised\n"
	      "      --syslog[=FACILITY]  send each alert to the local syslog; FACILITY is\n"
	      "                         authpriv (default), auth, daemon, mail, user or\n"
	      "                         local0..local7\n"
	      "      --alert-exec CMD   run CMD with /bin/sh -c for each alert, the alert's\n"
	      "                         JSON record on its stdin\n"
	      "      --alert-exec-max N  commands running at once (default 4)\n"
	      "      --alert-exec-queue N  alerts waiting for a free slot (default 256);\n"
	      "                         beyond, alerts are dropped and counted\n"
	      "      --alert-exec-timeout S  a command running longer than S seconds is\n"
	      "                         terminated; also the longest wait for commands\n"
	      "                         at the end (default 5)\n"
	      "      --tui, --no-tui    force or forbid the dashboard (default: on for -i\n"
	      "                         when stdout is a terminal; never without one)\n"
	      "      --replay-speed X   with -r: replay at X times the recorded pace\n"
	      "                         (default: as fast as possible)\n"
	      "      --max-rows N       dashboard: sessions and alerts kept for display\n"
	      "                         (default 10000; counts stay exact)\n"
	      "  -q, --quiet            no progress line while reading files\n"
	      "\n"
	      "Limits:\n"
	      "      --max-flows N      flows tracked at once; the idlest is evicted beyond\n"
	      "                         (default 262144)\n"
	      "      --memcap SIZE      bytes for all flows and their state (K, M, G; 0: no\n"
	      "                         limit); the idlest are finished beyond (default 512M)\n"
	      "      --idle-timeout S   seconds of silence before a flow is finished (default "
	      "300)\n"
	      "      --no-ndpi          do not consult nDPI for unrecognised sessions\n"
	      "      --threads N        spread the flows over N worker threads (default 1);\n"
	      "                         the output is the same; the flow, reassembly and\n"
	      "                         evidence caps are shared out among the workers\n"
	      "\n"
	      "Correlation across sessions:\n"
	      "      --state FILE       remember which servers offered STARTTLS between runs\n"
	      "                         (a corrupt file is reported and ignored)\n"
	      "      --fallback-window S  a cleartext retry within S seconds of a failed TLS\n"
	      "                         handshake is a tls-fallback downgrade (default 300)\n"
	      "\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          version\n"
	      "\n"
	      "Exit status: 0 done, 1 an alert named by --fail-on was raised, 2 usage or I/O "
	      "error.\n",
	      o);
}

static int
parse_fail_on(const char *arg, uint32_t *mask)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		if (strcmp(tok, "any") == 0) {
			*mask = ~0u;
			continue;
		}
		k = alert_kind_parse(tok);
		if (k < 0) {
			fprintf(stderr, "tlswatch: --fail-on: unknown alert kind '%s'\n", tok);
			rc = -1;
			break;
		}
		*mask |= 1u << k;
	}
	free(copy);
	return rc;
}

static int
parse_number(const char *opt, const char *arg, unsigned long long min, unsigned long long max,
	     unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max || arg[0] == '-') {
		fprintf(stderr, "tlswatch: %s: expected a number from %llu to %llu, got '%s'\n",
			opt, min, max, arg);
		return -1;
	}
	*out = v;
	return 0;
}

/* A byte count with an optional K, M or G suffix (powers of 1024); 0 means
 * no limit. */
static int
parse_size(const char *opt, const char *arg, unsigned long long *out)
{
	char *end;
	unsigned long long v, mult = 1;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end == 'K' || *end == 'k')
		mult = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mult = 1ull << 30;
	if (mult > 1)
		end++;
	if (errno || end == arg || *end || arg[0] == '-' || v > (1ull << 50) / mult ||
	    (v > 0 && v * mult < (1ull << 20))) {
		fprintf(stderr,
			"tlswatch: %s: expected a size of at least 1M (K, M, G suffixes) or 0 for "
			"no limit, got '%s'\n",
			opt, arg);
		return -1;
	}
	*out = v * mult;
	return 0;
}

/* Returns 0, or 2 for a usage error (message printed), or -1 for --help/--version. */
static int
parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_JSON = 256,
		OPT_STATS,
		OPT_TUI,
		OPT_NO_TUI,
		OPT_FAIL_ON,
		OPT_SHOW_SECRETS,
		OPT_MAX_FLOWS,
		OPT_IDLE,
		OPT_NO_NDPI,
		OPT_STATE,
		OPT_FALLBACK_WINDOW,
		OPT_EVIDENCE,
		OPT_SYSLOG,
		OPT_ALERT_EXEC,
		OPT_ALERT_EXEC_MAX,
		OPT_ALERT_EXEC_QUEUE,
		OPT_ALERT_EXEC_TIMEOUT,
		OPT_REPLAY_SPEED,
		OPT_MAX_ROWS,
		OPT_THREADS,
		OPT_SHOW_EMPTY,
		OPT_MEMCAP,
	};
	static const struct option longopts[] = {
		{"read", required_argument, NULL, 'r'},
		{"interface", required_argument, NULL, 'i'},
		{"no-promiscuous", no_argument, NULL, 'p'},
		{"snaplen", required_argument, NULL, 's'},
		{"user", required_argument, NULL, 'Z'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"json", required_argument, NULL, OPT_JSON},
		{"stats", no_argument, NULL, OPT_STATS},
		{"tui", no_argument, NULL, OPT_TUI},
		{"no-tui", no_argument, NULL, OPT_NO_TUI},
		{"fail-on", required_argument, NULL, OPT_FAIL_ON},
		{"show-secrets", no_argument, NULL, OPT_SHOW_SECRETS},
		{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
		{"idle-timeout", required_argument, NULL, OPT_IDLE},
		{"no-ndpi", no_argument, NULL, OPT_NO_NDPI},
		{"state", required_argument, NULL, OPT_STATE},
		{"fallback-window", required_argument, NULL, OPT_FALLBACK_WINDOW},
		{"evidence", required_argument, NULL, OPT_EVIDENCE},
		{"syslog", optional_argument, NULL, OPT_SYSLOG},
		{"alert-exec", required_argument, NULL, OPT_ALERT_EXEC},
		{"alert-exec-max", required_argument, NULL, OPT_ALERT_EXEC_MAX},
		{"alert-exec-queue", required_argument, NULL, OPT_ALERT_EXEC_QUEUE},
		{"alert-exec-timeout", required_argument, NULL, OPT_ALERT_EXEC_TIMEOUT},
		{"replay-speed", required_argument, NULL, OPT_REPLAY_SPEED},
		{"max-rows", required_argument, NULL, OPT_MAX_ROWS},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"show-empty", no_argument, NULL, OPT_SHOW_EMPTY},
		{"memcap", required_argument, NULL, OPT_MEMCAP},
		{NULL, 0, NULL, 0},
	};
	unsigned long long v;
	size_t flen = 0;
	int ch;

	o->promisc = true;
	o->tui = -1;
	engine_config_defaults(&o->ecfg);
	alertout_syslog_defaults(&o->syslog_opts);
	alertout_exec_defaults(&o->exec_opts);
	while ((ch = getopt_long(argc, argv, "+r:i:ps:Z:qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (o->n_files == MAX_SOURCES) {
				fprintf(stderr, "tlswatch: at most %d -r files\n", MAX_SOURCES);
				return 2;
			}
			o->files[o->n_files++] = optarg;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'p':
			o->promisc = false;
			break;
		case 's':
			if (parse_number("-s", optarg, 64, 262144, &v) < 0)
				return 2;
			o->snaplen = (int)v;
			break;
		case 'Z':
			o->user = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("tlswatch %s\n", TLSWATCH_VERSION);
			return -1;
		case OPT_JSON:
			o->json_path = optarg;
			break;
		case OPT_STATS:
			o->stats = true;
			break;
		case OPT_TUI:
			o->tui = 1;
			break;
		case OPT_NO_TUI:
			o->tui = 0;
			break;
		case OPT_REPLAY_SPEED: {
			char *end;

			errno = 0;
			o->replay_speed = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->replay_speed >= 0.001) ||
			    o->replay_speed > 1e6) {
				fprintf(stderr,
					"tlswatch: --replay-speed: expected a factor from 0.001 to "
					"1000000, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		}
		case OPT_MAX_ROWS:
			if (parse_number("--max-rows", optarg, 10, 10000000, &v) < 0)
				return 2;
			o->max_rows = (size_t)v;
			break;
		case OPT_FAIL_ON:
			if (parse_fail_on(optarg, &o->fail_on) < 0)
				return 2;
			break;
		case OPT_SHOW_SECRETS:
			o->show_secrets = true;
			o->ecfg.show_secrets = true;
			break;
		case OPT_SHOW_EMPTY:
			o->ecfg.show_empty = true;
			break;
		case OPT_MEMCAP:
			if (parse_size("--memcap", optarg, &v) < 0)
				return 2;
			o->ecfg.memcap = v;
			break;
		case OPT_MAX_FLOWS:
			if (parse_number("--max-flows", optarg, 1, 100000000, &v) < 0)
				return 2;
			o->ecfg.max_flows = (size_t)v;
			break;
		case OPT_IDLE:
			if (parse_number("--idle-timeout", optarg, 1, 86400 * 7, &v) < 0)
				return 2;
			o->ecfg.idle_timeout_us = v * 1000000ull;
			if (o->ecfg.linger_us > o->ecfg.idle_timeout_us)
				o->ecfg.linger_us = o->ecfg.idle_timeout_us;
			break;
		case OPT_THREADS:
			if (parse_number("--threads", optarg, 1, 64, &v) < 0)
				return 2;
			o->ecfg.threads = (unsigned)v;
			break;
		case OPT_NO_NDPI:
			o->ecfg.use_ndpi = false;
			break;
		case OPT_STATE:
			o->ecfg.corr.state_path = optarg;
			break;
		case OPT_SYSLOG:
			o->syslog = true;
			if (optarg) {
				int f = alertout_facility_parse(optarg);

				if (f < 0) {
					fprintf(stderr,
						"tlswatch: --syslog: unknown facility '%s' (auth, "
						"authpriv, daemon, mail, user, local0..local7)\n",
						optarg);
					return 2;
				}
				o->syslog_opts.facility = f;
			}
			break;
		case OPT_ALERT_EXEC:
			o->exec_opts.command = optarg;
			break;
		case OPT_ALERT_EXEC_MAX:
			if (parse_number("--alert-exec-max", optarg, 1, 256, &v) < 0)
				return 2;
			o->exec_opts.max_running = (unsigned)v;
			break;
		case OPT_ALERT_EXEC_QUEUE:
			if (parse_number("--alert-exec-queue", optarg, 0, 65536, &v) < 0)
				return 2;
			o->exec_opts.queue_max = (unsigned)v;
			break;
		case OPT_ALERT_EXEC_TIMEOUT:
			if (parse_number("--alert-exec-timeout", optarg, 1, 3600, &v) < 0)
				return 2;
			o->exec_opts.timeout_ms = (unsigned)v * 1000u;
			break;
		case OPT_EVIDENCE:
			o->ecfg.evidence_dir = optarg;
			break;
		case OPT_FALLBACK_WINDOW:
			if (parse_number("--fallback-window", optarg, 1, 86400, &v) < 0)
				return 2;
			o->ecfg.corr.fallback_window_us = v * 1000000ull;
			break;
		default:
			fputs("Try 'tlswatch --help'.\n", stderr);
			return 2;
		}
	}
	if (o->n_files == 0 && !o->iface) {
		fputs("tlswatch: nothing to read: give -r FILE or -i IFACE (see --help)\n", stderr);
		return 2;
	}
	if (o->n_files && o->iface) {
		fputs("tlswatch: -r and -i cannot be combined\n", stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		flen += strlen(argv[i]) + 1;
	if (flen) {
		o->filter = calloc(1, flen);
		if (!o->filter)
			return 2;
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(o->filter, " ");
			strcat(o->filter, argv[i]);
		}
	}
	return 0;
}

static void
on_session(void *ctx, const struct session *s)
{
	struct run *r = ctx;

	if (summary_add(r->summary, s) < 0)
		r->summary_failures++;
	for (size_t i = 0; i < r->n_sinks; i++)
		r->sinks[i]->session(r->sinks[i], s);
}

static void
on_alert(void *ctx, const struct alert *a)
{
	struct run *r = ctx;

	r->alerts_seen |= 1u << a->kind;
	for (size_t i = 0; i < r->n_sinks; i++)
		r->sinks[i]->alert(r->sinks[i], a);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress {
	bool on;
	double start, last;
	bool shown;
};

static void
progress_show(struct progress *pg, struct capture *c, const struct stats *st, bool final)
{
	uint64_t done, total;
	double now = now_seconds(), rate;

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
tui_poll(struct run *r, struct engine *e, struct capture *c)
{
	struct timespec ts;
	double now;
	struct stats *st;

	if (!r->tui)
		return; /* no clock read per packet without a dashboard */
	/* The coarse clock (a few ms) is plenty for 100 ms and costs next to
	 * nothing per packet; the precise one showed up in profiles. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (now < r->next_tick)
		return;
	r->next_tick = now + TUI_TICK_S;
	st = engine_stats(e);
	if (capture_is_live(c) &&
	    capture_counters(c, &st->pcap_received, &st->pcap_dropped, &st->pcap_ifdropped))
		st->pcap_stats_valid = 1;
	/* Sessions still open: every flow becomes one session (or an empty
	 * one, counted apart) when it ends (the flow table also holds closed
	 * flows for a while). */
	uint64_t ended = st->sessions + st->sessions_empty;

	r->tui->tick(r->tui, st,
		     st->flows_created > ended ? (size_t)(st->flows_created - ended) : 0);
	if (r->tui->quit_requested(r->tui)) {
		stop_requested = 1;
		capture_break(c);
	}
}

struct pace {
	bool started;
	uint64_t ts0;
	double wall0;
};

/* --replay-speed: waits until the packet at ts is due (the gap from the
 * first packet, divided by the speed); time going backwards restarts it. */
static void
replay_pace(struct run *r, struct engine *e, struct capture *c, struct pace *p, uint64_t ts)
{
	double target, now;

	if (!p->started || ts < p->ts0) {
		p->started = true;
		p->ts0 = ts;
		p->wall0 = now_seconds();
		return;
	}
	target = p->wall0 + (double)(ts - p->ts0) / 1e6 / r->opt->replay_speed;
	while (!stop_requested && (now = now_seconds()) < target) {
		double d = target - now > 0.05 ? 0.05 : target - now;
		struct timespec sl = {0, (long)(d * 1e9)};

		nanosleep(&sl, NULL); /* a signal cuts it short */
		tui_poll(r, e, c);
	}
}

/* A write to the JSON file or to standard output failed (a full disk, a
 * closed pipe): the run stops, nothing more can be reported. */
static bool
run_output_failed(const struct run *r)
{
	return (r->json_file && ferror(r->json_file)) || ferror(stdout);
}

/* Reads one source to its end; returns 0, or 2 after an I/O error. */
static int
run_source(struct run *r, struct engine *e, struct capture *c)
{
	struct options *o = r->opt;
	struct progress pg = {0};
	struct pace pace = {0};
	char err[512];
	int rc = 0;

	if (o->filter && capture_set_filter(c, o->filter, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: %s\n", err);
		return 2;
	}
	pg.on = !capture_is_live(c) && !o->quiet && isatty(STDERR_FILENO) && !r->tui;
	pg.start = pg.last = now_seconds();
	current_capture = c;
	while (!stop_requested) {
		const uint8_t *frame;
		size_t caplen;
		uint64_t ts;
		int dlt; /* per packet: a pcapng file may mix link types */
		enum capture_status cs =
			capture_next(c, &frame, &caplen, &ts, &dlt, err, sizeof(err));

		if (cs == CAPTURE_PACKET) {
			if (o->replay_speed > 0 && !capture_is_live(c))
				replay_pace(r, e, c, &pace, ts);
			engine_packet(e, dlt, frame, caplen, ts);
			if ((engine_packet_count(e) & 4095) == 0) {
				progress_show(&pg, c, engine_stats(e), false);
				if (r->exec_sink)
					sink_exec_poll(r->exec_sink);
				if (run_output_failed(r))
					break;
			}
		} else if (cs == CAPTURE_TIMEOUT) {
			engine_tick(e, (uint64_t)time(NULL) * 1000000u);
			if (r->exec_sink)
				sink_exec_poll(r->exec_sink);
			if (run_output_failed(r))
				break;
		} else if (cs == CAPTURE_END) {
			break;
		} else {
			fprintf(stderr, "%stlswatch: %s (results up to this point are reported)\n",
				pg.shown ? "\n" : "", err);
			rc = 2;
			break;
		}
		tui_poll(r, e, c);
	}
	current_capture = NULL;
	progress_show(&pg, c, engine_stats(e), true);
	if (capture_is_live(c)) {
		struct stats *st = engine_stats(e);

		if (capture_counters(c, &st->pcap_received, &st->pcap_dropped, &st->pcap_ifdropped))
			st->pcap_stats_valid = 1;
	}
	return rc;
}

/* Flushes and closes one output; says what failed, once. A closed pipe on
 * standard output (the reader, like head, has seen enough) is not reported. */
static int
output_close(FILE *f, const char *what, int saved_errno)
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

/* Closes the JSON file and standard output: exit status 2 when a write
 * failed, whenever it happened. */
static int
run_close_outputs(struct run *r, int status)
{
	char what[300];

	if (r->json_file) {
		snprintf(what, sizeof(what), "--json %s", r->opt->json_path);
		if (output_close(r->json_file, what, r->json_errno) < 0)
			status = 2;
		r->json_file = NULL;
	}
	if (output_close(stdout, "standard output", r->stdout_errno) < 0)
		status = 2;
	return status;
}

static void
print_stat(void *ctx, const char *name, uint64_t v)
{
	fprintf(ctx, "  %-26s %" PRIu64 "\n", name, v);
}

static int
open_sinks(struct run *r)
{
	struct options *o = r->opt;
	bool live = o->iface != NULL;
	bool json_stdout = o->json_path && strcmp(o->json_path, "-") == 0;
	char err[256];

	/* Alert outputs first: finish runs in this order, so the commands are
	 * done and the counters final before the report and the stats. */
	if (o->syslog) {
		r->syslog_sink = sink_syslog_new(&o->syslog_opts, err, sizeof(err));
		if (!r->syslog_sink) {
			fprintf(stderr, "tlswatch: %s\n", err);
			return 2;
		}
		r->sinks[r->n_sinks++] = r->syslog_sink;
	}
	if (o->exec_opts.command) {
		r->exec_sink = sink_exec_new(&o->exec_opts, err, sizeof(err));
		if (!r->exec_sink) {
			fprintf(stderr, "tlswatch: %s\n", err);
			return 2;
		}
		r->sinks[r->n_sinks++] = r->exec_sink;
	}
	if (o->json_path) {
		FILE *f = json_stdout ? stdout : outfile_open(o->json_path, err, sizeof(err));

		if (!f) {
			fprintf(stderr, "tlswatch: --json %s\n", err);
			return 2;
		}
		if (!json_stdout)
			r->json_file = f;
		r->sinks[r->n_sinks] = sink_json_new(f, false, o->show_secrets, live);
		if (!r->sinks[r->n_sinks])
			return 2;
		r->n_sinks++;
	}
	if (!json_stdout) {
		r->sinks[r->n_sinks] = sink_text_new(stdout, o->show_secrets, live);
		if (!r->sinks[r->n_sinks])
			return 2;
		r->text = r->sinks[r->n_sinks++];
	}
	return 0;
}

/* Dashboard: --tui forces it, --no-tui forbids it, -i wants it; never
 * without a terminal on stdout (or with the JSON Lines there). */
static bool
want_tui(const struct options *o)
{
	bool json_stdout = o->json_path && strcmp(o->json_path, "-") == 0;

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

/* Opens the dashboard just before the first packet, so that a source that
 * cannot be opened is reported on a plain terminal. On failure the text
 * report stays as it was. */
static void
start_tui(struct run *r)
{
	struct options *o = r->opt;
	char src[160], err[256];

	if (!r->want_tui || r->tui)
		return;
	r->want_tui = false;
	if (o->iface)
		snprintf(src, sizeof(src), "%s", o->iface);
	else if (o->n_files > 1)
		snprintf(src, sizeof(src), "%s +%zu", o->files[0], o->n_files - 1);
	else
		snprintf(src, sizeof(src), "%s", o->n_files ? o->files[0] : "?");
	r->tui = sink_tui_new(src, o->iface != NULL, o->iface ? 0 : o->replay_speed, o->max_rows,
			      err, sizeof(err));
	if (!r->tui) {
		fprintf(stderr, "tlswatch: dashboard: %s; using the text report\n", err);
		return;
	}
	r->sinks[r->n_sinks++] = r->tui;
	if (r->text)
		r->text->summary_only = true;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct run r;
	struct engine_output out;
	struct engine *e = NULL;
	char err[512];
	int rc, status = 0;
	struct sigaction sa;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	rc = parse_options(argc, argv, &o);
	if (rc != 0) {
		free(o.filter);
		return rc < 0 ? 0 : rc;
	}
	r.opt = &o;
	r.want_tui = want_tui(&o);
	if (o.show_secrets)
		fputs("tlswatch: --show-secrets: login secrets will appear in the output\n",
		      stderr);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o.ecfg.evidence_dir || o.ecfg.corr.state_path) {
		uid_t zuid = (uid_t)-1;
		struct passwd *pw = o.user ? getpwnam(o.user) : NULL;

		if (pw)
			zuid = pw->pw_uid;
		if (o.ecfg.evidence_dir) {
			o.ecfg.evidence_dirfd =
				outfile_dir_open(o.ecfg.evidence_dir, true, zuid, err, sizeof(err));
			if (o.ecfg.evidence_dirfd < 0) {
				fprintf(stderr, "tlswatch: --evidence %s\n", err);
				free(o.filter);
				return 2;
			}
		}
		if (o.ecfg.corr.state_path &&
		    outfile_check_parent(o.ecfg.corr.state_path, zuid, err, sizeof(err)) < 0) {
			fprintf(stderr, "tlswatch: --state %s\n", err);
			free(o.filter);
			return 2;
		}
	}
	r.summary = summary_new();
	if (!r.summary) {
		fputs("tlswatch: out of memory\n", stderr);
		status = 2;
		goto done;
	}
	status = open_sinks(&r);
	if (status)
		goto done;
	out.ctx = &r;
	out.session = on_session;
	out.alert = on_alert;
	err[0] = '\0';
	e = engine_new(&o.ecfg, &out, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "tlswatch: %s\n", err);
		status = 2;
		goto done;
	}
	if (err[0])
		fprintf(stderr, "tlswatch: warning: %s\n", err);

	if (o.iface) {
		struct capture_live_opts lo = {o.iface, o.snaplen, o.promisc, 0};
		struct capture *c = capture_open_live(&lo, err, sizeof(err));

		if (!c) {
			fprintf(stderr, "tlswatch: %s\n", err);
			status = 2;
			goto done;
		}
		if (o.user && capture_drop_privileges(o.user, err, sizeof(err)) < 0) {
			fprintf(stderr, "tlswatch: %s\n", err);
			capture_close(c);
			status = 2;
			goto done;
		}
		if (!decode_link_supported(capture_datalink(c))) {
			fprintf(stderr, "tlswatch: %s: unsupported link type %d\n", o.iface,
				capture_datalink(c));
			capture_close(c);
			status = 2;
			goto done;
		}
		if (!o.quiet)
			fprintf(stderr, "tlswatch: listening on %s, Ctrl-C to stop\n", o.iface);
		start_tui(&r);
		rc = run_source(&r, e, c);
		if (rc)
			status = rc;
		{
			/* Like tcpdump: a live run always says what the kernel dropped. */
			const struct stats *st = engine_stats(e);

			if (st->pcap_stats_valid)
				fprintf(stderr,
					"tlswatch: %" PRIu64 " packets received by filter, %" PRIu64
					" dropped by kernel, %" PRIu64 " dropped by interface\n",
					st->pcap_received, st->pcap_dropped, st->pcap_ifdropped);
		}
		capture_close(c);
	} else {
		for (size_t i = 0; i < o.n_files && !stop_requested && !run_output_failed(&r);
		     i++) {
			struct capture *c = capture_open_file(o.files[i], err, sizeof(err));

			if (!c) {
				fprintf(stderr, "tlswatch: %s\n", err);
				status = 2;
				continue;
			}
			if (!decode_link_supported(capture_datalink(c))) {
				fprintf(stderr, "tlswatch: %s: unsupported link type %d (%s)\n",
					o.files[i], capture_datalink(c),
					capture_link_name(capture_datalink(c)));
				capture_close(c);
				status = 2;
				continue;
			}
			start_tui(&r);
			rc = run_source(&r, e, c);
			if (rc)
				status = rc;
			capture_close(c);
		}
	}
	engine_finish_all(e);
	if (engine_save_state(e, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: %s\n", err);
		status = 2;
	}
	if (r.tui) {
		/* The final state stays on screen until q (or a signal); the
		 * terminal is back when wait returns, then the report follows. */
		r.tui->finish(r.tui, r.summary, engine_stats(e));
		r.tui->wait(r.tui, &stop_requested);
	}
	for (size_t i = 0; i < r.n_sinks; i++)
		if (r.sinks[i] != r.tui)
			r.sinks[i]->finish(r.sinks[i], r.summary, engine_stats(e));
	if (o.stats) {
		fputs("tlswatch statistics:\n", stderr);
		sink_stats_each(engine_stats(e), print_stat, stderr);
		alertout_stats_each(r.syslog_sink, r.exec_sink, print_stat, stderr);
	}
	if (status == 0 && (r.alerts_seen & o.fail_on))
		status = 1;
done:
	for (size_t i = 0; i < r.n_sinks; i++) {
		int *saved = r.sinks[i]->out == stdout				 ? &r.stdout_errno
			     : r.sinks[i]->out && r.sinks[i]->out == r.json_file ? &r.json_errno
										 : NULL;

		if (saved && !*saved)
			*saved = r.sinks[i]->write_errno;
		r.sinks[i]->free(r.sinks[i]);
	}
	status = run_close_outputs(&r, status);
	engine_free(e);
	if (o.ecfg.evidence_dirfd >= 0)
		close(o.ecfg.evidence_dirfd);
	summary_free(r.summary);
	free(o.filter);
	return status;
}
