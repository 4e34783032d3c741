/*
 * test_cli.c - the command line table (src/cli/options.c): what each kind
 * of option sets, the defaults, the limits, the usage errors. (Messages,
 * --help and exit codes of the real binary are checked end to end in
 * tests/e2e/features.sh and badinput.sh.)
 */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "../../src/cli/options.h"
#include "sink.h"

/* Parses a NULL-ended argument list; getopt starts afresh each time. */
static int
parse(struct cli_options *o, const char **args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"tlswatch";
	for (; *args && argc < 63; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	optind = 0;
	opterr = 0; /* keep the test's output clean: the return value tells */
	return cli_options_parse(argc, argv, o);
}

static void
test_cli_every_kind_of_option_sets_its_field(void **state)
{
	const char *args[] = {"-r",
			      "a.pcap",
			      "-r",
			      "b.pcap",
			      "--udp-timeout",
			      "30",
			      "--idle-timeout",
			      "100",
			      "--memcap",
			      "64M",
			      "--threads",
			      "2",
			      "--json",
			      "-",
			      "--show-empty",
			      "--no-ndpi",
			      "--fail-on",
			      "any",
			      "tcp",
			      "port",
			      "25",
			      NULL};
	struct cli_options o;

	(void)state;
	assert_int_equal(parse(&o, args), 0);
	assert_int_equal(o.n_files, 2);
	assert_string_equal(o.files[1], "b.pcap");
	assert_true(o.ecfg.udp_timeout_us == 30ull * 1000000);
	assert_true(o.ecfg.idle_timeout_us == 100ull * 1000000);
	assert_true(o.ecfg.memcap == 64ull << 20);
	assert_int_equal(o.ecfg.threads, 2);
	assert_string_equal(o.json_path, "-");
	assert_true(o.ecfg.show_empty);
	assert_false(o.ecfg.use_ndpi);
	assert_true(o.fail_on != 0);
	assert_string_equal(o.filter, "tcp port 25");
	cli_options_free(&o);
}

static void
test_cli_defaults_come_from_the_engine(void **state)
{
	const char *args[] = {"-r", "a.pcap", NULL};
	struct cli_options o;

	(void)state;
	assert_int_equal(parse(&o, args), 0);
	assert_true(o.ecfg.udp_timeout_us == ENGINE_UDP_TIMEOUT_DEFAULT * 1000000ull);
	assert_true(o.ecfg.idle_timeout_us == 300ull * 1000000);
	assert_true(o.ecfg.use_ndpi);
	assert_null(o.filter);
	assert_null(o.iface);
	cli_options_free(&o);
}

/* A closed flow lingers no longer than an open one may stay idle. */
static void
test_cli_linger_never_outlasts_the_idle_timeout(void **state)
{
	const char *args[] = {"-r", "a.pcap", "--idle-timeout", "5", NULL};
	struct cli_options o;

	(void)state;
	assert_int_equal(parse(&o, args), 0);
	assert_true(o.ecfg.linger_us <= o.ecfg.idle_timeout_us);
	cli_options_free(&o);
}

/* A whole directory of captures fits (the e2e suite reads all of pcaps/
 * at once); one more than CLI_MAX_FILES is a usage error. */
static void
test_cli_many_files_up_to_the_limit(void **state)
{
	static char *argv[2 * CLI_MAX_FILES + 4];
	struct cli_options o;
	int argc = 0;

	(void)state;
	argv[argc++] = (char *)"tlswatch";
	for (int i = 0; i < CLI_MAX_FILES; i++) {
		argv[argc++] = (char *)"-r";
		argv[argc++] = (char *)"a.pcap";
	}
	argv[argc] = NULL;
	optind = 0;
	opterr = 0;
	assert_int_equal(cli_options_parse(argc, argv, &o), 0);
	assert_int_equal(o.n_files, CLI_MAX_FILES);
	assert_true(CLI_MAX_FILES >= 1024);
	cli_options_free(&o);
	argv[argc++] = (char *)"-r";
	argv[argc++] = (char *)"b.pcap";
	argv[argc] = NULL;
	optind = 0;
	assert_int_equal(cli_options_parse(argc, argv, &o), 2);
	cli_options_free(&o);
}

static void
test_cli_usage_errors_are_status_2(void **state)
{
	static const char *const bad[][6] = {
		{"-r", "a.pcap", "--udp-timeout", "0", NULL},
		{"-r", "a.pcap", "--udp-timeout", "12x", NULL},
		{"-r", "a.pcap", "--threads", "65", NULL},
		{"-r", "a.pcap", "--memcap", "12Q", NULL},
		{"-r", "a.pcap", "--no-such-option", NULL},
		{"-r", "a.pcap", "-i", "lo", NULL},
		{"--stats", NULL},
	};
	struct cli_options o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("  case %zu\n", i);
		assert_int_equal(parse(&o, (const char **)bad[i]), 2);
		cli_options_free(&o);
	}
}

/* --json-spool keeps what --json redis:// could not send: alone, or with a
 * file, it is a usage error; its bound takes K suffixes down to 64K. */
static void
test_cli_json_spool_needs_a_redis_json_and_takes_a_small_bound(void **state)
{
	const char *good[] = {"-r",
			      "a.pcap",
			      "--json",
			      "redis://h/k",
			      "--json-spool",
			      "/var/spool/tw",
			      "--json-spool-max",
			      "64K",
			      NULL};
	const char *plain[] = {"-r", "a.pcap", "--json", "redis://h/k", NULL};
	static const char *const bad[][9] = {
		{"-r", "a.pcap", "--json-spool", "/tmp/x", NULL},
		{"-r", "a.pcap", "--json", "out.jsonl", "--json-spool", "/tmp/x", NULL},
		{"-r", "a.pcap", "--json", "redis://h/k", "--json-spool", "/tmp/x",
		 "--json-spool-max", "63K"},
	};
	struct cli_options o;

	(void)state;
	assert_int_equal(parse(&o, good), 0);
	assert_string_equal(o.json_spool_dir, "/var/spool/tw");
	assert_true(o.json_spool_max == 64u << 10);
	cli_options_free(&o);
	assert_int_equal(parse(&o, plain), 0);
	assert_null(o.json_spool_dir);
	assert_true(o.json_spool_max == CLI_JSON_SPOOL_MAX);
	cli_options_free(&o);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("  case %zu\n", i);
		assert_int_equal(parse(&o, (const char **)bad[i]), 2);
		cli_options_free(&o);
	}
}

static void
test_cli_filter_words_around_the_options_are_joined(void **state)
{
	const char *before[] = {"tcp", "port", "25", "-r", "a.pcap", "-q", NULL};
	const char *after[] = {"-r", "a.pcap", "tcp", "port", "25", "-q", "-c", "7", NULL};
	const char *dashes[] = {"-r", "a.pcap", "--", "tcp", "-q", NULL};
	struct cli_options o;

	(void)state;
	assert_int_equal(parse(&o, before), 0);
	assert_string_equal(o.filter, "tcp port 25");
	assert_true(o.quiet);
	assert_int_equal(o.n_files, 1);
	cli_options_free(&o);
	assert_int_equal(parse(&o, after), 0);
	assert_string_equal(o.filter, "tcp port 25");
	assert_true(o.quiet);
	assert_int_equal(o.count, 7);
	cli_options_free(&o);
	assert_int_equal(parse(&o, dashes), 0);
	assert_string_equal(o.filter, "tcp -q"); /* after "--", words of the filter */
	assert_false(o.quiet);
	cli_options_free(&o);
}

static void
test_cli_capture_files_after_r_are_read_not_filtered(void **state)
{
	char a[] = "/tmp/test_cli_a_XXXXXX", b[] = "/tmp/test_cli_b_XXXXXX";
	static const unsigned char pcap_magic[4] = {0xd4, 0xc3, 0xb2, 0xa1};
	int fa = mkstemp(a), fb = mkstemp(b);
	const char *args[] = {"-r", a, b, "tcp", NULL};
	const char *no_r[] = {"-i", "lo", a, NULL};
	struct cli_options o;

	(void)state;
	assert_true(fa >= 0 && fb >= 0);
	assert_int_equal(write(fa, pcap_magic, 4), 4);
	assert_int_equal(write(fb, "\x0a\x0d\x0d\x0a", 4), 4); /* pcapng */
	close(fa);
	close(fb);
	assert_int_equal(parse(&o, args), 0);
	assert_int_equal(o.n_files, 2);
	assert_string_equal(o.files[1], b);
	assert_string_equal(o.filter, "tcp");
	cli_options_free(&o);
	/* Without -r a file name is a filter word (a bad one, for libpcap). */
	assert_int_equal(parse(&o, no_r), 0);
	assert_int_equal(o.n_files, 0);
	assert_string_equal(o.filter, a);
	cli_options_free(&o);
	unlink(a);
	unlink(b);
}

static void
test_cli_filter_file_is_read_and_excludes_a_filter(void **state)
{
	char f[] = "/tmp/test_cli_f_XXXXXX";
	int fd = mkstemp(f);
	static const char text[] = "# mail only\ntcp port 25 # smtp\n\tor tcp port 587\n";
	const char *ok[] = {"-r", "a.pcap", "-F", f, NULL};
	const char *both[] = {"-r", "a.pcap", "-F", f, "tcp", NULL};
	struct cli_options o;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(parse(&o, ok), 0);
	assert_string_equal(o.filter, "tcp port 25 or tcp port 587");
	cli_options_free(&o);
	assert_int_equal(parse(&o, both), 2);
	cli_options_free(&o);
	unlink(f);
}

static void
test_cli_tcpdump_letters_set_their_fields(void **state)
{
	const char *args[] = {"-r",	"a.pcap",	"-n", "-l", "-v",	"-B",
			      "4096",	"-s",		"0",  "-w", "out.pcap", "--report",
			      "alerts", "--local-time", NULL};
	const char *bad_report[] = {"-r", "a.pcap", "--report", "some", NULL};
	const char *w_stdout[] = {"-r", "a.pcap", "-w", "-", NULL};
	struct cli_options o;

	(void)state;
	assert_int_equal(parse(&o, args), 0);
	assert_true(o.numeric);
	assert_true(o.line_buffered);
	assert_true(o.verbose);
	assert_int_equal(o.buffer_kib, 4096);
	assert_int_equal(o.snaplen, 0);
	assert_string_equal(o.write_path, "out.pcap");
	assert_int_equal(o.report, SINK_REPORT_ALERTS);
	assert_true(o.local_time);
	assert_null(o.filter);
	cli_options_free(&o);
	assert_int_equal(parse(&o, bad_report), 2);
	cli_options_free(&o);
	assert_int_equal(parse(&o, w_stdout), 2);
	cli_options_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_every_kind_of_option_sets_its_field),
		cmocka_unit_test(test_cli_defaults_come_from_the_engine),
		cmocka_unit_test(test_cli_linger_never_outlasts_the_idle_timeout),
		cmocka_unit_test(test_cli_many_files_up_to_the_limit),
		cmocka_unit_test(test_cli_usage_errors_are_status_2),
		cmocka_unit_test(test_cli_json_spool_needs_a_redis_json_and_takes_a_small_bound),
		cmocka_unit_test(test_cli_filter_words_around_the_options_are_joined),
		cmocka_unit_test(test_cli_capture_files_after_r_are_read_not_filtered),
		cmocka_unit_test(test_cli_filter_file_is_read_and_excludes_a_filter),
		cmocka_unit_test(test_cli_tcpdump_letters_set_their_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
