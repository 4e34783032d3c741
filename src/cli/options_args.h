/*
 * options_args.h - what options.c's table and dispatcher call to read an
 * option's argument (options_args.c). Not for other modules.
 */
#ifndef TLSWATCH_CLI_OPTIONS_ARGS_H
#define TLSWATCH_CLI_OPTIONS_ARGS_H

#include <stdbool.h>

#include "options.h"

/* What parsing an option asks of the caller: go on, stop with a usage
 * error (message printed), or stop and exit 0 (--help, --version). */
#define CLI_OK 0
#define CLI_USAGE 2
#define CLI_DONE (-1)

/* A decimal number from min to max into out; false (and the message
 * printed) when arg is not one. */
bool cli_parse_number(const char *flag, const char *arg, unsigned long long min,
		      unsigned long long max, unsigned long long *out);
/* A byte count with an optional K, M or G suffix (powers of 1024); 0 means
 * no limit, anything else is at least min (0: 1M). */
bool cli_parse_size(const char *flag, const char *arg, unsigned long long min,
		    unsigned long long *out);

/* The parsers of the options that have one: flag is the option's name for
 * messages ("-r", "--syslog"), arg NULL when an optional argument was not
 * given; each returns CLI_OK, CLI_USAGE or CLI_DONE. */
int cli_parse_file(struct cli_options *o, const char *flag, const char *arg);
int cli_parse_fail_on(struct cli_options *o, const char *flag, const char *arg);
int cli_parse_syslog(struct cli_options *o, const char *flag, const char *arg);
int cli_parse_syslog_format(struct cli_options *o, const char *flag, const char *arg);
int cli_parse_syslog_to(struct cli_options *o, const char *flag, const char *arg);
int cli_parse_json_style(struct cli_options *o, const char *flag, const char *arg);
int cli_parse_sensor_name(struct cli_options *o, const char *flag, const char *arg);
int cli_parse_replay_speed(struct cli_options *o, const char *flag, const char *arg);
int cli_parse_report(struct cli_options *o, const char *flag, const char *arg);
int cli_list_interfaces(struct cli_options *o, const char *flag, const char *arg);

/* The operands from argv[first] on: with -r, leading capture files are more
 * files to read; the rest, joined by spaces, is the BPF filter (or -F's file). */
int cli_operands(struct cli_options *o, int argc, char **argv, int first);

#endif
