/*
 * options.h - tlswatch's command line: what the options ask for, parsed from
 * argv by the one table in options.c (which also makes --help).
 */
#ifndef TLSWATCH_CLI_OPTIONS_H
#define TLSWATCH_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alertout.h"
#include "engine.h"

#define CLI_MAX_FILES 1024		/* -r given more often is a usage error */
#define CLI_JSON_SPOOL_MAX (1ull << 30) /* --json-spool-max's default */

struct cli_options {
	const char *files[CLI_MAX_FILES]; /* -r, argv's own strings */
	size_t n_files;
	const char *iface; /* -i; NULL: read files */
	bool promisc;
	bool immediate; /* --immediate-mode */
	int snaplen;	/* 0: libpcap's default */
	const char *user;
	const char *json_path;	 /* "-": JSON Lines on stdout instead of the text */
	int json_style;		 /* enum sink_json_style: --json-style */
	const char *sensor_name; /* --sensor-name; NULL: the host name */
	bool stats;
	const char *html_path; /* --report-html; NULL: none */
	bool wide;	       /* text report not fitted to 80 columns */
	int tui;	       /* -1 auto, 0 never, 1 forced */
	double replay_speed;   /* 0: as fast as possible; 1: recorded pace */
	size_t max_rows;       /* dashboard: sessions and alerts kept; 0: its default */
	bool quiet;
	uint32_t fail_on; /* alert kind bits */
	char *filter;	  /* the operands joined by spaces; NULL: none */
	bool syslog;
	struct alertout_syslog_opts syslog_opts;
	struct alertout_exec_opts exec_opts; /* command NULL: no --alert-exec */
	struct engine_config ecfg;	     /* ecfg.show_secrets is --show-secrets */
	/* --json-spool: where --json redis:// keeps what it could not send;
	 * NULL: nowhere (counted as lost). --json-spool-max bounds it. */
	const char *json_spool_dir;
	uint64_t json_spool_max;
	/* --json-truncate: empty --json FILE first instead of appending. */
	bool json_truncate;
	/* --stats-interval: seconds between running counters; 0: none. */
	unsigned stats_interval;
	/* The tcpdump reflexes. */
	bool numeric;		 /* -n: accepted; names are never resolved */
	uint64_t count;		 /* -c: stop after this many packets; 0: no limit */
	const char *write_path;	 /* -w: the packets read, to a pcap file */
	const char *filter_file; /* -F: the filter read from this file */
	bool line_buffered;	 /* -l */
	bool verbose;		 /* -v */
	unsigned buffer_kib;	 /* -B: libpcap's buffer; 0: its default */
	unsigned fanout_group;	 /* --fanout: the AF_PACKET fanout group; 0: none */
	const char *cluster_url; /* --cluster: print the sensors' summary, read nothing */
	bool local_time;	 /* --local-time: text and dashboard times */
	int report;		 /* --report: enum sink_text_report */
	bool report_given;	 /* --report was given (--cluster: the text summary) */
};

/*
 * Fills o from argv (o need not be initialised). Returns 0 to run, 2 after
 * a usage error (one message on stderr), or -1 when --help or --version
 * printed what was asked and the program should exit 0. Whatever it
 * returns, cli_options_free releases o.
 */
int cli_options_parse(int argc, char **argv, struct cli_options *o);
void cli_options_free(struct cli_options *o);

#endif
