/*
 * run.h - one run of tlswatch: the capture sources the options name, read
 * through the engine into the outputs, until the end or a signal.
 */
#ifndef TLSWATCH_CLI_RUN_H
#define TLSWATCH_CLI_RUN_H

#include "options.h"

/* Installs the SIGINT / SIGTERM handlers (a signal ends the capture and the
 * results so far are reported) and runs. Returns the exit status: 0 done, 1
 * an alert named by --fail-on was raised, 2 an I/O or start-up error (one
 * message on stderr; what was analysed before it is still reported). */
int cli_run(const struct cli_options *o);

#endif
