/*
 * cluster.h - `tlswatch --cluster redis://...`: the summary of all the
 * sensors sharing one Redis (cluster.c).
 */
#ifndef TLSWATCH_CLI_CLUSTER_H
#define TLSWATCH_CLI_CLUSTER_H

#include <stdbool.h>
#include <stdio.h>

/* Prints the cluster-wide per-port and per-server tables to out; the exit
 * status (0, or 2 with a message on stderr). */
int cluster_report(const char *url, bool wide, FILE *out);

#endif
