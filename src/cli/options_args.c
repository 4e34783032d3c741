/*
 * options_args.c - the arguments of tlswatch's options: numbers and sizes
 * with their limits, the options that have a parser of their own (named in
 * options.c's table), and the operands (more capture files after -r, the
 * BPF filter's words or -F's file). Every usage error is one line on stderr.
 */
#include "options_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h" /* -D */

#include "session.h" /* alert_kind_parse */
#include "sink.h"    /* sink_json_style_parse */

bool
cli_parse_number(const char *flag, const char *arg, unsigned long long min, unsigned long long max,
		 unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max || arg[0] == '-') {
		fprintf(stderr, "tlswatch: %s: expected a number from %llu to %llu, got '%s'\n",
			flag, min, max, arg);
		return false;
	}
	*out = v;
	return true;
}

/* A byte count with an optional K, M or G suffix (powers of 1024); 0 means
 * no limit, anything else is at least min (0: 1M). */
bool
cli_parse_size(const char *flag, const char *arg, unsigned long long min, unsigned long long *out)
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
	if (!min)
		min = 1ull << 20;
	if (errno || end == arg || *end || arg[0] == '-' || v > (1ull << 50) / mult ||
	    (v > 0 && v * mult < min)) {
		fprintf(stderr,
			"tlswatch: %s: expected a size of at least %llu%s (K, M, G suffixes) or 0 "
			"for no limit, got '%s'\n",
			flag, min >= (1ull << 20) ? min >> 20 : min >> 10,
			min >= (1ull << 20) ? "M" : "K", arg);
		return false;
	}
	*out = v * mult;
	return true;
}

int
cli_parse_file(struct cli_options *o, const char *flag, const char *arg)
{
	(void)flag;
	if (o->n_files == CLI_MAX_FILES) {
		fprintf(stderr, "tlswatch: at most %d -r files\n", CLI_MAX_FILES);
		return CLI_USAGE;
	}
	o->files[o->n_files++] = arg;
	return CLI_OK;
}

/* Alert kinds separated by commas, or "any"; added to o->fail_on. */
int
cli_parse_fail_on(struct cli_options *o, const char *flag, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int rc = CLI_OK;

	(void)flag;
	if (!copy)
		return CLI_USAGE;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		if (strcmp(tok, "any") == 0) {
			o->fail_on = ~0u;
			continue;
		}
		k = alert_kind_parse(tok);
		if (k < 0) {
			fprintf(stderr, "tlswatch: --fail-on: unknown alert kind '%s'\n", tok);
			rc = CLI_USAGE;
			break;
		}
		o->fail_on |= 1u << k;
	}
	free(copy);
	return rc;
}

int
cli_parse_syslog(struct cli_options *o, const char *flag, const char *arg)
{
	int f;

	o->syslog = true;
	if (!arg)
		return CLI_OK;
	f = alertout_facility_parse(arg);
	if (f < 0) {
		fprintf(stderr,
			"tlswatch: %s: unknown facility '%s' (auth, authpriv, daemon, mail, user, "
			"local0..local7)\n",
			flag, arg);
		return CLI_USAGE;
	}
	o->syslog_opts.facility = f;
	return CLI_OK;
}

int
cli_parse_syslog_format(struct cli_options *o, const char *flag, const char *arg)
{
	o->syslog = true;
	if (strcmp(arg, "rfc5424") == 0) {
		o->syslog_opts.format = ALERTOUT_SYSLOG_RFC5424;
	} else if (strcmp(arg, "rfc3164") == 0) {
		o->syslog_opts.format = ALERTOUT_SYSLOG_RFC3164;
	} else {
		fprintf(stderr, "tlswatch: %s: expected rfc5424 or rfc3164, got '%s'\n", flag, arg);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int
cli_parse_syslog_to(struct cli_options *o, const char *flag, const char *arg)
{
	if (!*arg) {
		fprintf(stderr, "tlswatch: %s: empty target\n", flag);
		return CLI_USAGE;
	}
	o->syslog = true;
	o->syslog_opts.socket_path = arg;
	return CLI_OK;
}

int
cli_parse_json_style(struct cli_options *o, const char *flag, const char *arg)
{
	int style = sink_json_style_parse(arg);

	if (style < 0) {
		fprintf(stderr, "tlswatch: %s: unknown style '%s' (tlswatch, eve)\n", flag, arg);
		return CLI_USAGE;
	}
	o->json_style = style;
	return CLI_OK;
}

/* A name a SIEM can show: not empty, at most 255 bytes, no control bytes. */
int
cli_parse_sensor_name(struct cli_options *o, const char *flag, const char *arg)
{
	size_t n = strlen(arg);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
			n = 0;
	if (n == 0 || n > 255) {
		fprintf(stderr,
			"tlswatch: %s: expected a name of 1 to 255 bytes without control "
			"characters\n",
			flag);
		return CLI_USAGE;
	}
	o->sensor_name = arg;
	return CLI_OK;
}

int
cli_parse_replay_speed(struct cli_options *o, const char *flag, const char *arg)
{
	char *end;

	errno = 0;
	o->replay_speed = strtod(arg, &end);
	if (errno || end == arg || *end || !(o->replay_speed >= 0.001) || o->replay_speed > 1e6) {
		fprintf(stderr, "tlswatch: %s: expected a factor from 0.001 to 1000000, got '%s'\n",
			flag, arg);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int
cli_parse_report(struct cli_options *o, const char *flag, const char *arg)
{
	int r = sink_text_report_parse(arg);

	if (r < 0) {
		fprintf(stderr,
			"tlswatch: %s: unknown report '%s' (full, problems, alerts, summary)\n",
			flag, arg);
		return CLI_USAGE;
	}
	o->report = r;
	o->report_given = true;
	return CLI_OK;
}

int
cli_list_interfaces(struct cli_options *o, const char *flag, const char *arg)
{
	char err[512];

	(void)o;
	(void)arg;
	if (capture_list_interfaces(stdout, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: %s: %s\n", flag, err);
		return CLI_USAGE;
	}
	return CLI_DONE;
}

/* Whether path is a capture file: it starts with the magic number of pcap
 * (either byte order, micro- or nanoseconds) or of pcapng. */
static bool
cli_is_capture_file(const char *path)
{
	static const uint8_t magics[][4] = {
		{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1},
		{0xa1, 0xb2, 0x3c, 0x4d}, {0x0a, 0x0d, 0x0d, 0x0a},
	};
	uint8_t head[4];
	FILE *f = fopen(path, "rb");
	bool is = false;

	if (!f)
		return false;
	if (fread(head, 1, sizeof(head), f) == sizeof(head))
		for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
			is |= memcmp(head, magics[i], 4) == 0;
	fclose(f);
	return is;
}

/* Joins the strings with single spaces into a new string (NULL when out of
 * memory). */
static char *
cli_join_words(char **words, int n)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, words[i]);
	}
	return s;
}

/* -F FILE: its text, comments ('#' to the end of the line) dropped and
 * every run of white space made one space. */
static int
cli_read_filter_file(struct cli_options *o)
{
	FILE *f = fopen(o->filter_file, "r");
	size_t len = 0, cap = 256;
	char *buf = malloc(cap);
	bool comment = false;
	int ch;

	if (!f || !buf) {
		fprintf(stderr, "tlswatch: -F %s: %s\n", o->filter_file,
			f ? "out of memory" : strerror(errno));
		if (f)
			fclose(f);
		free(buf);
		return CLI_USAGE;
	}
	while ((ch = getc(f)) != EOF) {
		if (ch == '#')
			comment = true;
		if (ch == '\n')
			comment = false;
		if (comment)
			continue;
		if (ch == '\n' || ch == '\t' || ch == '\r')
			ch = ' ';
		if (ch == ' ' && (len == 0 || buf[len - 1] == ' '))
			continue;
		if (len + 2 > cap) {
			char *bigger = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;

			if (!bigger) {
				fprintf(stderr, "tlswatch: -F %s: filter too long\n",
					o->filter_file);
				fclose(f);
				free(buf);
				return CLI_USAGE;
			}
			buf = bigger;
			cap *= 2;
		}
		buf[len++] = (char)ch;
	}
	fclose(f);
	while (len && buf[len - 1] == ' ')
		len--;
	buf[len] = '\0';
	if (len == 0) {
		free(buf);
		return CLI_OK; /* an empty filter file: every packet, as tcpdump */
	}
	o->filter = buf;
	return CLI_OK;
}

/* The operands: with -r, leading capture files are more files to read; the
 * rest, joined by spaces, is the BPF filter (or -F's file). */
int
cli_operands(struct cli_options *o, int argc, char **argv, int first)
{
	while (o->n_files && first < argc && cli_is_capture_file(argv[first])) {
		if (cli_parse_file(o, "-r", argv[first]) != CLI_OK)
			return CLI_USAGE;
		first++;
	}
	if (o->filter_file) {
		if (first < argc) {
			fprintf(stderr,
				"tlswatch: -F %s: a filter was also given on the command line "
				"('%s')\n",
				o->filter_file, argv[first]);
			return CLI_USAGE;
		}
		return cli_read_filter_file(o);
	}
	if (first == argc)
		return CLI_OK;
	o->filter = cli_join_words(argv + first, argc - first);
	return o->filter ? CLI_OK : CLI_USAGE;
}
