/*
 * options.c - tlswatch's command line options as one table (cli_table):
 * each entry gives an option's long name, short letter, argument, what it
 * does with the argument (the field of struct cli_options it sets, with its
 * limits, or its own parser) and its --help text. getopt_long's option
 * array, its short-option string, the dispatcher and the usage text are all
 * made from it, so an option is added in one place.
 *
 * Conventions kept from the getopt switch this replaces (the e2e tests
 * check them): an option with a short letter is named "-s" in its error
 * messages, one without "--memcap"; every usage error is one line on
 * stderr and exit status 2.
 *
 * As with tcpdump, options and the filter's words may come in any order
 * (GNU getopt's permutation: "tlswatch 'tcp port 25' -r x.pcap" and
 * "tlswatch -r x.pcap tcp port 25 -q"); the operands, joined by spaces, are
 * the BPF filter, and "--" ends the options (a filter word that starts
 * with '-'). With -r, operands before the filter that are capture files
 * (pcap or pcapng by their first bytes) are read too: "-r a.pcap b.pcap"
 * and "-r *.pcap" read every file, where tcpdump would take the second name
 * for a filter and fail.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options_args.h"
#include "version.h"

/* What an option does with its argument. */
enum cli_action {
	CLI_SET,     /* no argument: sets an integer or bool field to value */
	CLI_STRING,  /* stores the argument (argv's own string, not copied) */
	CLI_NUMBER,  /* a decimal number from min to max, times scale */
	CLI_SIZE,    /* a byte count with a K, M or G suffix (cli_parse_size) */
	CLI_CALL,    /* its own parser */
	CLI_OPERAND, /* not an option: the operands, listed in --help only */
};

/* The groups of --help, in the order they are listed. */
enum cli_group {
	CLI_SOURCES,
	CLI_OUTPUT,
	CLI_LIMITS,
	CLI_CORRELATION,
	CLI_ABOUT,
};

static const char *const cli_group_heading[] = {
	[CLI_SOURCES] = "Sources:\n",
	[CLI_OUTPUT] = "Output:\n",
	[CLI_LIMITS] = "Limits:\n",
	[CLI_CORRELATION] = "Correlation across sessions:\n",
	[CLI_ABOUT] = "", /* -h and -V, after a blank line */
};

struct cli_option {
	enum cli_group group;
	const char *name; /* long name without "--"; NULL for CLI_OPERAND */
	char letter;	  /* short option; 0: none */
	int has_arg;	  /* no_argument, required_argument, optional_argument */
	const char *arg;  /* the argument's name in --help */
	enum cli_action action;
	/* CLI_SET, CLI_STRING, CLI_NUMBER, CLI_SIZE: the field (see CLI_FIELD).
	 * Integer fields are stored by their size: 1 is a bool, 4 an int or
	 * unsigned, 8 a size_t or uint64_t. */
	size_t offset, size;
	unsigned long long value;    /* CLI_SET */
	unsigned long long min, max; /* CLI_NUMBER: the argument's limits (CLI_SIZE: min) ... */
	unsigned long long scale;    /* ... and what it is multiplied by (0: 1) */
	/* CLI_CALL: flag is the option's name for messages ("-r", "--syslog"),
	 * arg NULL when an optional argument was not given; returns CLI_OK,
	 * CLI_USAGE or CLI_DONE. */
	int (*parse)(struct cli_options *o, const char *flag, const char *arg);
	/* Lines of --help, '\n' between them; NULL: listed on the line of the
	 * option before ("--tui, --no-tui"). */
	const char *help;
};

#define CLI_FIELD(member)                                                                          \
	.offset = offsetof(struct cli_options, member),                                            \
	.size = sizeof(((struct cli_options *)0)->member)

static int cli_print_help(struct cli_options *o, const char *flag, const char *arg);
static int cli_print_version(struct cli_options *o, const char *flag, const char *arg);

/* Every option, in the order of --help. */
static const struct cli_option cli_table[] = {
	{CLI_SOURCES, "read", 'r', required_argument, "FILE", CLI_CALL, .parse = cli_parse_file,
	 .help = "read a pcap or pcapng capture ('-' = stdin, a pipe or\n"
		 "FIFO: analysed as it arrives); repeatable, up to 1024;\n"
		 "capture files named after it are read too (-r *.pcap)"},
	{CLI_SOURCES, "interface", 'i', required_argument, "IFACE", CLI_STRING, CLI_FIELD(iface),
	 .help = "capture live on IFACE ('any' for all interfaces)"},
	{CLI_SOURCES, "list-interfaces", 'D', no_argument, NULL, CLI_CALL,
	 .parse = cli_list_interfaces,
	 .help = "list the interfaces -i can capture on, numbered, and\n"
		 "exit (as tcpdump -D)"},
	{CLI_SOURCES, "count", 'c', required_argument, "COUNT", CLI_NUMBER, CLI_FIELD(count),
	 .min = 1, .max = UINT64_MAX >> 1,
	 .help = "stop after COUNT packets read (after the filter),\n"
		 "then report"},
	{CLI_SOURCES, "no-promiscuous", 'p', no_argument, NULL, CLI_SET, CLI_FIELD(promisc),
	 .value = false, .help = "do not put the interface in promiscuous mode"},
	{CLI_SOURCES, "snaplen", 's', required_argument, "BYTES", CLI_NUMBER, CLI_FIELD(snaplen),
	 .min = 0, .max = 262144,
	 .help = "bytes captured per packet (default and 0: 262144); a\n"
		 "short one makes the sessions that miss bytes unknown"},
	{CLI_SOURCES, "buffer-size", 'B', required_argument, "KIB", CLI_NUMBER,
	 CLI_FIELD(buffer_kib), .min = 1, .max = 4194304,
	 .help = "the capture buffer of -i in KiB (libpcap's default:\n"
		 "2048); a bigger one drops less in bursts"},
	{CLI_SOURCES, "immediate-mode", 0, no_argument, NULL, CLI_SET, CLI_FIELD(immediate),
	 .value = true,
	 .help = "hand -i's packets over one by one as they come (as\n"
		 "tcpdump's): less delay, many more drops on a busy link;\n"
		 "by default they come in blocks, within 200 ms"},
	{CLI_SOURCES, "cluster", 0, required_argument, "URL", CLI_STRING, CLI_FIELD(cluster_url),
	 .help = "read nothing: every sensor sharing --state URL\n"
		 "(redis://...) as one: on a terminal (or with --tui)\n"
		 "the dashboard of their recent sessions and alerts,\n"
		 "with a SENSOR column; with --report WHAT, --no-tui\n"
		 "or no terminal the per-port and per-server summary"},
	{CLI_SOURCES, "fanout", 0, required_argument, "GROUP", CLI_NUMBER, CLI_FIELD(fanout_group),
	 .min = 1, .max = 65535,
	 .help = "share -i with the other processes of the AF_PACKET\n"
		 "fanout GROUP: each gets whole flows (hashed on both\n"
		 "directions alike), so N processes split one link"},
	{CLI_SOURCES, "user", 'Z', required_argument, "USER", CLI_STRING, CLI_FIELD(user),
	 .help = "drop privileges to USER once the interface is open\n"
		 "(and -w, --json, --report-html files are open)"},
	{CLI_SOURCES, "no-resolve", 'n', no_argument, NULL, CLI_SET, CLI_FIELD(numeric),
	 .value = true,
	 .help = "accepted for tcpdump's sake: tlswatch never resolves\n"
		 "addresses or ports to names"},
	{CLI_SOURCES, "filter-file", 'F', required_argument, "FILE", CLI_STRING,
	 CLI_FIELD(filter_file),
	 .help = "read the BPF filter from FILE ('#' starts a comment);\n"
		 "no FILTER may be given with it"},
	{CLI_SOURCES, NULL, 0, no_argument, "FILTER", CLI_OPERAND,
	 .help = "a BPF filter expression, as with tcpdump; its words\n"
		 "may come before, between or after the options"},

	{CLI_OUTPUT, "json", 0, required_argument, "FILE|-|URL", CLI_STRING, CLI_FIELD(json_path),
	 .help = "write JSON Lines to FILE (appended to; reopened on\n"
		 "SIGHUP); '-' writes them to stdout instead of the\n"
		 "text report; redis://HOST[:PORT][/DB]/KEY[?mode=list|\n"
		 "channel|stream] sends each record to Redis (RPUSH,\n"
		 "PUBLISH or XADD)"},
	{CLI_OUTPUT, "json-spool", 0, required_argument, "DIR", CLI_STRING,
	 CLI_FIELD(json_spool_dir),
	 .help = "with --json redis://: keep the records Redis cannot\n"
		 "take yet in DIR (JSON Lines files, 0600) and send them\n"
		 "first, in order, once it answers, in this run or the\n"
		 "next"},
	{CLI_OUTPUT, "json-spool-max", 0, required_argument, "SIZE", CLI_SIZE,
	 CLI_FIELD(json_spool_max), .min = 64u << 10,
	 .help = "the most --json-spool DIR holds (default 1G, 0: no\n"
		 "limit; at least 64K); records past it are dropped\n"
		 "and counted"},
	{CLI_OUTPUT, "json-truncate", 0, no_argument, NULL, CLI_SET, CLI_FIELD(json_truncate),
	 .value = true,
	 .help = "empty an existing --json FILE first (by default the\n"
		 "records are appended to it)"},
	{CLI_OUTPUT, "json-style", 0, required_argument, "STYLE", CLI_CALL,
	 .parse = cli_parse_json_style,
	 .help = "the JSON records' shape: 'tlswatch' (default) or 'eve'\n"
		 "(Suricata's EVE: event_type, src_ip, dest_ip ..., and\n"
		 "tlswatch's fields under \"tlswatch\"; also the shape of\n"
		 "--alert-exec's records)"},
	{CLI_OUTPUT, "sensor-name", 0, required_argument, "NAME", CLI_CALL,
	 .parse = cli_parse_sensor_name,
	 .help = "the sensor named in every JSON record (default: the\n"
		 "host name)"},
	{CLI_OUTPUT, "report", 0, required_argument, "WHAT", CLI_CALL, .parse = cli_parse_report,
	 .help = "what the text report lists: 'full' (default: sessions,\n"
		 "alerts, tables), 'problems' (sessions cleartext,\n"
		 "downgraded, tls-failed or alerted, then the alerts),\n"
		 "'alerts' (the alert lines only; nothing when none),\n"
		 "'summary' (the alert count and the tables)"},
	{CLI_OUTPUT, "local-time", 0, no_argument, NULL, CLI_SET, CLI_FIELD(local_time),
	 .value = true,
	 .help = "text report and dashboard: local time with its UTC\n"
		 "offset (as /var/log/mail.log), not UTC; JSON stays UTC"},
	{CLI_OUTPUT, "write", 'w', required_argument, "FILE", CLI_STRING, CLI_FIELD(write_path),
	 .help = "also write the packets read (after the filter) to FILE,\n"
		 "a pcap file as tcpdump -w (created 0600, never through\n"
		 "a symlink; an existing file of yours is replaced)"},
	{CLI_OUTPUT, "line-buffered", 'l', no_argument, NULL, CLI_SET, CLI_FIELD(line_buffered),
	 .value = true,
	 .help = "write standard output a line at a time (as tcpdump -l;\n"
		 "the report of a live run is always written at once)"},
	{CLI_OUTPUT, "verbose", 'v', no_argument, NULL, CLI_SET, CLI_FIELD(verbose), .value = true,
	 .help = "on stderr: each source with its link type and snapshot\n"
		 "length when opened, and the packets and sessions it\n"
		 "gave when done"},
	{CLI_OUTPUT, "wide", 0, no_argument, NULL, CLI_SET, CLI_FIELD(wide), .value = true,
	 .help = "text report: one line per session and alert and wide\n"
		 "tables, not fitted to 80 columns"},
	{CLI_OUTPUT, "report-html", 0, required_argument, "FILE", CLI_STRING, CLI_FIELD(html_path),
	 .help = "also write the summary as one self-contained HTML\n"
		 "page to FILE (tables and charts; created 0600, never\n"
		 "through a symlink)"},
	{CLI_OUTPUT, "stats", 0, no_argument, NULL, CLI_SET, CLI_FIELD(stats), .value = true,
	 .help = "print counters (packets, flows, evictions, caps, drops)\n"
		 "on stderr at the end"},
	{CLI_OUTPUT, "stats-interval", 0, required_argument, "S", CLI_NUMBER,
	 CLI_FIELD(stats_interval), .min = 1, .max = 86400,
	 .help = "also print the counters every S seconds while\n"
		 "running: one line on stderr, and a stats record\n"
		 "with --json"},
	{CLI_OUTPUT, "show-secrets", 0, no_argument, NULL, CLI_SET, CLI_FIELD(ecfg.show_secrets),
	 .value = true, .help = "show login secrets (redacted by default)"},
	{CLI_OUTPUT, "show-empty", 0, no_argument, NULL, CLI_SET, CLI_FIELD(ecfg.show_empty),
	 .value = true,
	 .help = "also report flows that carried no payload (unanswered\n"
		 "SYNs, handshakes only): counted, not listed, by default"},
	{CLI_OUTPUT, "evidence", 0, required_argument, "DIR", CLI_STRING,
	 CLI_FIELD(ecfg.evidence_dir),
	 .help = "write the packets of every alerted session to a pcap\n"
		 "file in DIR, named in the alert (not for sessions\n"
		 "carrying a login secret, unless --show-secrets);\n"
		 "files are created 0600, never through a symlink"},
	{CLI_OUTPUT, "fail-on", 0, required_argument, "KINDS", CLI_CALL, .parse = cli_parse_fail_on,
	 .help = "exit 1 if an alert of one of these kinds (comma\n"
		 "separated, or 'any') was raised"},
	{CLI_OUTPUT, "syslog", 0, optional_argument, "FACILITY", CLI_CALL,
	 .parse = cli_parse_syslog,
	 .help = "send each alert to the local syslog; FACILITY is\n"
		 "authpriv (default), auth, daemon, mail, user or\n"
		 "local0..local7"},
	{CLI_OUTPUT, "syslog-format", 0, required_argument, "FORMAT", CLI_CALL,
	 .parse = cli_parse_syslog_format,
	 .help = "rfc5424 (default) or rfc3164 (the syslog(3)\n"
		 "socket format); implies --syslog"},
	{CLI_OUTPUT, "syslog-to", 0, required_argument, "TARGET", CLI_CALL,
	 .parse = cli_parse_syslog_to,
	 .help = "send the syslog messages to TARGET, a unix socket\n"
		 "path or udp:HOST:PORT, instead of /dev/log;\n"
		 "implies --syslog"},
	{CLI_OUTPUT, "alert-exec", 0, required_argument, "CMD", CLI_STRING,
	 CLI_FIELD(exec_opts.command),
	 .help = "run CMD with /bin/sh -c for each alert, the alert's\n"
		 "JSON record on its stdin"},
	{CLI_OUTPUT, "alert-exec-max", 0, required_argument, "N", CLI_NUMBER,
	 CLI_FIELD(exec_opts.max_running), .min = 1, .max = 256,
	 .help = "commands running at once (default 4)"},
	{CLI_OUTPUT, "alert-exec-queue", 0, required_argument, "N", CLI_NUMBER,
	 CLI_FIELD(exec_opts.queue_max), .min = 0, .max = 65536,
	 .help = "alerts waiting for a free slot (default 256);\n"
		 "beyond, alerts are dropped and counted"},
	{CLI_OUTPUT, "alert-exec-timeout", 0, required_argument, "S", CLI_NUMBER,
	 CLI_FIELD(exec_opts.timeout_ms), .min = 1, .max = 3600, .scale = 1000,
	 .help = "a command running longer than S seconds is\n"
		 "terminated; also the longest wait for commands\n"
		 "at the end (default 5)"},
	{CLI_OUTPUT, "tui", 0, no_argument, NULL, CLI_SET, CLI_FIELD(tui), .value = 1,
	 .help = "force or forbid the dashboard (default: on for -i\n"
		 "when stdout is a terminal; never without one)"},
	{CLI_OUTPUT, "no-tui", 0, no_argument, NULL, CLI_SET, CLI_FIELD(tui), .value = 0},
	{CLI_OUTPUT, "replay-speed", 0, required_argument, "X", CLI_CALL,
	 .parse = cli_parse_replay_speed,
	 .help = "with -r: replay at X times the recorded pace\n"
		 "(default: as fast as possible)"},
	{CLI_OUTPUT, "max-rows", 0, required_argument, "N", CLI_NUMBER, CLI_FIELD(max_rows),
	 .min = 10, .max = 10000000,
	 .help = "dashboard: sessions and alerts kept for display\n"
		 "(default 10000; counts stay exact)"},
	{CLI_OUTPUT, "quiet", 'q', no_argument, NULL, CLI_SET, CLI_FIELD(quiet), .value = true,
	 .help = "no progress line while reading files, no 'listening\n"
		 "on' line (see --report for a shorter report)"},

	{CLI_LIMITS, "max-flows", 0, required_argument, "N", CLI_NUMBER, CLI_FIELD(ecfg.max_flows),
	 .min = 1, .max = 100000000,
	 .help = "flows tracked at once; the idlest is evicted beyond\n"
		 "(default 262144)"},
	{CLI_LIMITS, "max-udp-flows", 0, required_argument, "N", CLI_NUMBER,
	 CLI_FIELD(ecfg.max_udp_flows), .min = 1, .max = 100000000,
	 .help = "UDP flows tracked at once, within --max-flows; the\n"
		 "idlest UDP flow is evicted beyond (default 65536)"},
	{CLI_LIMITS, "memcap", 0, required_argument, "SIZE", CLI_SIZE, CLI_FIELD(ecfg.memcap),
	 .help = "bytes for all flows and their state (K, M, G; 0: no\n"
		 "limit); the idlest are finished beyond (default 512M)"},
	{CLI_LIMITS, "idle-timeout", 0, required_argument, "S", CLI_NUMBER,
	 CLI_FIELD(ecfg.idle_timeout_us), .min = 1, .max = 86400 * 7, .scale = 1000000,
	 .help = "seconds of silence before a TCP flow is finished\n"
		 "(default 300); an established session waits longer:"},
	{CLI_LIMITS, "established-timeout", 0, required_argument, "S", CLI_NUMBER,
	 CLI_FIELD(ecfg.established_timeout_us), .min = 1, .max = 86400 * 7, .scale = 1000000,
	 .help = "seconds of silence before a TCP session both sides\n"
		 "spoke in and neither closed is finished (default\n"
		 "3600: IMAP IDLE waits up to 29 minutes)"},
	{CLI_LIMITS, "udp-timeout", 0, required_argument, "S", CLI_NUMBER,
	 CLI_FIELD(ecfg.udp_timeout_us), .min = 1, .max = 86400 * 7, .scale = 1000000,
	 .help = "seconds of silence before a UDP flow is finished\n"
		 "(default 60: UDP has no end of its own)"},
	{CLI_LIMITS, "no-ndpi", 0, no_argument, NULL, CLI_SET, CLI_FIELD(ecfg.use_ndpi),
	 .value = false, .help = "do not consult nDPI for unrecognised sessions"},
	{CLI_LIMITS, "threads", 0, required_argument, "N", CLI_NUMBER, CLI_FIELD(ecfg.threads),
	 .min = 1, .max = 64,
	 .help = "spread the flows over N worker threads (default 1);\n"
		 "the output is the same; the flow, reassembly and\n"
		 "evidence caps are shared out among the workers"},
	{CLI_LIMITS, "judge-thread", 0, no_argument, NULL, CLI_SET, CLI_FIELD(ecfg.judge_thread),
	 .value = 1,
	 .help = "with --threads, judge and report on a thread of\n"
		 "its own, or (--no-judge-thread) on the reading\n"
		 "thread (default: its own when the CPUs outnumber\n"
		 "the reading thread and the workers)"},
	{CLI_LIMITS, "no-judge-thread", 0, no_argument, NULL, CLI_SET, CLI_FIELD(ecfg.judge_thread),
	 .value = 0},

	{CLI_CORRELATION, "state", 0, required_argument, "FILE|URL", CLI_STRING,
	 CLI_FIELD(ecfg.corr.state_path),
	 .help = "remember which servers offered STARTTLS between runs\n"
		 "(a corrupt file is reported and ignored); with a URL\n"
		 "redis://[:PW@]HOST[:PORT][/DB][?prefix=P&ttl=S&feed=N]\n"
		 "share it with the other sensors as it is learnt and\n"
		 "keep the last N (10000) sessions and alerts for\n"
		 "--cluster"},
	{CLI_CORRELATION, "policy", 0, required_argument, "FILE", CLI_STRING,
	 CLI_FIELD(ecfg.policy_path),
	 .help = "mail policies of domains whose DNS is not seen: lines\n"
		 "\"DOMAIN enforce|testing|none [MX-PATTERN...]\" or\n"
		 "\"DOMAIN sts-file PATH\" (an RFC 8461 policy file);\n"
		 "a bad line is an error (docs/alerts.md)"},
	{CLI_CORRELATION, "fallback-window", 0, required_argument, "S", CLI_NUMBER,
	 CLI_FIELD(ecfg.corr.fallback_window_us), .min = 1, .max = 86400, .scale = 1000000,
	 .help = "a cleartext retry within S seconds of a failed TLS\n"
		 "handshake (or of an accepted upgrade no TLS followed)\n"
		 "is a tls-fallback downgrade (default 300)"},

	{CLI_ABOUT, "help", 'h', no_argument, NULL, CLI_CALL, .parse = cli_print_help,
	 .help = "this help"},
	{CLI_ABOUT, "version", 'V', no_argument, NULL, CLI_CALL, .parse = cli_print_version,
	 .help = "version"},
};

#define CLI_N_OPTIONS (sizeof(cli_table) / sizeof(cli_table[0]))

/* getopt_long's value for an option: its letter, or beyond every char. */
static int
cli_option_val(size_t index)
{
	return cli_table[index].letter ? cli_table[index].letter : 256 + (int)index;
}

/* ---- --help ---- */

#define CLI_HELP_COLUMN 25 /* where the help text starts */

/* The option as --help shows it, without indentation ("--syslog[=FACILITY]"). */
static void
cli_label_append(char *label, size_t size, const struct cli_option *opt)
{
	size_t n = strlen(label);

	if (opt->action == CLI_OPERAND)
		snprintf(label + n, size - n, "%s", opt->arg);
	else if (opt->has_arg == optional_argument)
		snprintf(label + n, size - n, "--%s[=%s]", opt->name, opt->arg);
	else if (opt->has_arg == required_argument)
		snprintf(label + n, size - n, "--%s %s", opt->name, opt->arg);
	else
		snprintf(label + n, size - n, "--%s", opt->name);
}

/* One entry of --help (with the entries after it that share its line): the
 * label, then the help lines aligned at CLI_HELP_COLUMN; a label too long for
 * that column has its help start on the next line, so no line passes 80. */
static void
cli_usage_entry(FILE *f, size_t index)
{
	const struct cli_option *opt = &cli_table[index];
	char label[128] = "";
	const char *line = opt->help, *nl;
	size_t len;

	if (opt->letter)
		snprintf(label, sizeof(label), "  -%c, ", opt->letter);
	else
		snprintf(label, sizeof(label), "%s", opt->action == CLI_OPERAND ? "  " : "      ");
	cli_label_append(label, sizeof(label), opt);
	for (size_t j = index + 1; j < CLI_N_OPTIONS && !cli_table[j].help; j++) {
		len = strlen(label);
		snprintf(label + len, sizeof(label) - len, ", ");
		cli_label_append(label, sizeof(label), &cli_table[j]);
	}
	len = strlen(label);
	if (len + 2 <= CLI_HELP_COLUMN)
		fprintf(f, "%s%*s", label, CLI_HELP_COLUMN - (int)len, "");
	else
		fprintf(f, "%s\n%*s", label, CLI_HELP_COLUMN, "");
	while ((nl = strchr(line, '\n')) != NULL) {
		fprintf(f, "%.*s\n%*s", (int)(nl - line), line, CLI_HELP_COLUMN, "");
		line = nl + 1;
	}
	fprintf(f, "%s\n", line);
}

static void
cli_usage(FILE *f)
{
	fputs("Usage: tlswatch [OPTIONS] (-r FILE ... | -i IFACE) [FILTER]\n"
	      "\n"
	      "Passive analyzer: which sessions are encrypted (implicit TLS or STARTTLS),\n"
	      "which stayed in cleartext, and which were downgraded.\n",
	      f);
	for (size_t i = 0; i < CLI_N_OPTIONS; i++) {
		if (!cli_table[i].help)
			continue; /* on the line of the option before */
		if (i == 0 || cli_table[i].group != cli_table[i - 1].group)
			fprintf(f, "\n%s", cli_group_heading[cli_table[i].group]);
		cli_usage_entry(f, i);
	}
	fputs("\nExit status: 0 done, 1 an alert named by --fail-on was raised, 2 usage or\n"
	      "I/O error.\n",
	      f);
}

static int
cli_print_help(struct cli_options *o, const char *flag, const char *arg)
{
	(void)o;
	(void)flag;
	(void)arg;
	cli_usage(stdout);
	return CLI_DONE;
}

static int
cli_print_version(struct cli_options *o, const char *flag, const char *arg)
{
	(void)o;
	(void)flag;
	(void)arg;
	printf("tlswatch %s\n", TLSWATCH_VERSION);
	return CLI_DONE;
}

/* Stores v in the option's field, by the field's size (see struct cli_option). */
static void
cli_store_integer(struct cli_options *o, const struct cli_option *opt, unsigned long long v)
{
	char *field = (char *)o + opt->offset;

	if (opt->size == sizeof(bool)) {
		bool b = v != 0;

		memcpy(field, &b, sizeof(b));
	} else if (opt->size == sizeof(uint32_t)) {
		uint32_t u = (uint32_t)v;

		memcpy(field, &u, sizeof(u));
	} else {
		uint64_t u = v;

		memcpy(field, &u, sizeof(u));
	}
}

/* Does what the table says option opt does with arg. */
static int
cli_apply(struct cli_options *o, const struct cli_option *opt, const char *arg)
{
	char flag[64];
	unsigned long long v;

	if (opt->letter)
		snprintf(flag, sizeof(flag), "-%c", opt->letter);
	else
		snprintf(flag, sizeof(flag), "--%s", opt->name);
	switch (opt->action) {
	case CLI_SET:
		cli_store_integer(o, opt, opt->value);
		return CLI_OK;
	case CLI_STRING:
		memcpy((char *)o + opt->offset, &arg, sizeof(arg));
		return CLI_OK;
	case CLI_NUMBER:
		if (!cli_parse_number(flag, arg, opt->min, opt->max, &v))
			return CLI_USAGE;
		cli_store_integer(o, opt, v * (opt->scale ? opt->scale : 1));
		return CLI_OK;
	case CLI_SIZE:
		if (!cli_parse_size(flag, arg, opt->min, &v))
			return CLI_USAGE;
		cli_store_integer(o, opt, v);
		return CLI_OK;
	case CLI_CALL:
		return opt->parse(o, flag, arg);
	case CLI_OPERAND:
		break;
	}
	return CLI_USAGE;
}

static void
cli_options_defaults(struct cli_options *o)
{
	memset(o, 0, sizeof(*o));
	o->promisc = true;
	o->tui = -1;
	o->json_spool_max = CLI_JSON_SPOOL_MAX;
	engine_config_defaults(&o->ecfg);
	alertout_syslog_defaults(&o->syslog_opts);
	alertout_exec_defaults(&o->exec_opts);
}

int
cli_options_parse(int argc, char **argv, struct cli_options *o)
{
	struct option longopts[CLI_N_OPTIONS + 1];
	char shortopts[2 + 3 * CLI_N_OPTIONS] = ""; /* GNU: options after operands too */
	size_t n_long = 0, n_short = 0;
	int ch, rc;

	cli_options_defaults(o);
	for (size_t i = 0; i < CLI_N_OPTIONS; i++) {
		const struct cli_option *opt = &cli_table[i];

		if (opt->name)
			longopts[n_long++] =
				(struct option){opt->name, opt->has_arg, NULL, cli_option_val(i)};
		if (opt->letter) {
			shortopts[n_short++] = opt->letter;
			if (opt->has_arg != no_argument)
				shortopts[n_short++] = ':';
			if (opt->has_arg == optional_argument)
				shortopts[n_short++] = ':';
		}
	}
	longopts[n_long] = (struct option){NULL, 0, NULL, 0};
	shortopts[n_short] = '\0';

	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		size_t i = 0;

		while (i < CLI_N_OPTIONS && cli_option_val(i) != ch)
			i++;
		if (i == CLI_N_OPTIONS) {
			/* getopt has said what was wrong ('?') */
			fputs("Try 'tlswatch --help'.\n", stderr);
			return CLI_USAGE;
		}
		rc = cli_apply(o, &cli_table[i], optarg);
		if (rc != CLI_OK)
			return rc;
	}
	/* A closed flow lingers no longer than an open one may stay idle. */
	if (o->ecfg.established_timeout_us < o->ecfg.idle_timeout_us)
		o->ecfg.established_timeout_us = o->ecfg.idle_timeout_us;
	if (o->ecfg.linger_us > o->ecfg.idle_timeout_us)
		o->ecfg.linger_us = o->ecfg.idle_timeout_us;
	if (o->cluster_url) {
		if (o->n_files || o->iface) {
			fputs("tlswatch: --cluster reads Redis, not -r or -i\n", stderr);
			return CLI_USAGE;
		}
		return 0;
	}
	if (o->n_files == 0 && !o->iface) {
		fputs("tlswatch: nothing to read: give -r FILE or -i IFACE (see --help)\n", stderr);
		return CLI_USAGE;
	}
	if (o->n_files && o->iface) {
		fputs("tlswatch: -r and -i cannot be combined\n", stderr);
		return CLI_USAGE;
	}
	if (o->fanout_group && !o->iface) {
		fputs("tlswatch: --fanout shares a live interface: give -i IFACE\n", stderr);
		return CLI_USAGE;
	}
	if (o->json_spool_dir && !(o->json_path && strncmp(o->json_path, "redis://", 8) == 0)) {
		fputs("tlswatch: --json-spool keeps what --json redis://... could not send: give "
		      "that too\n",
		      stderr);
		return CLI_USAGE;
	}
	if (o->write_path && strcmp(o->write_path, "-") == 0) {
		fputs("tlswatch: -w -: the report goes to standard output; give -w a file\n",
		      stderr);
		return CLI_USAGE;
	}
	return cli_operands(o, argc, argv, optind);
}

void
cli_options_free(struct cli_options *o)
{
	free(o->filter);
	o->filter = NULL;
}
