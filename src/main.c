/*
 * main.c - tlswatch's entry point: the command line parsed (src/cli/options.c)
 * and one run of the capture, the engine and the sinks (src/cli/run.c). No
 * protocol logic lives here.
 *
 * Exit status: 0 done; 1 an alert named by --fail-on was raised; 2 usage or
 * I/O error (what was analysed before the error is still reported).
 */
#include "cli/options.h"
#include "cli/run.h"

int
main(int argc, char **argv)
{
	struct cli_options o;
	int rc = cli_options_parse(argc, argv, &o);

	if (rc == 0)
		rc = cli_run(&o);
	else if (rc < 0)
		rc = 0; /* --help or --version */
	cli_options_free(&o);
	return rc;
}
