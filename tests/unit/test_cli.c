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

#include "../../src/cli/options.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_every_kind_of_option_sets_its_field),
		cmocka_unit_test(test_cli_defaults_come_from_the_engine),
		cmocka_unit_test(test_cli_linger_never_outlasts_the_idle_timeout),
		cmocka_unit_test(test_cli_many_files_up_to_the_limit),
		cmocka_unit_test(test_cli_usage_errors_are_status_2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
