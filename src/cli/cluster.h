/*
 * cluster.h - `tlswatch --cluster redis://...`: the summary of all the
 * sensors sharing one Redis (cluster.c).
 */
#ifndef TLSWATCH_CLI_CLUSTER_H
#define TLSWATCH_CLI_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "summary.h"

/* Prints the cluster-wide per-port and per-server tables to out; the exit
 * status (0, or 2 with a message on stderr). */
int cluster_report(const char *url, bool wide, FILE *out);

/*
 * The cluster's per-server and per-port rows, read from the
 * PREFIX:server:{SERVER} hashes as cluster_report prints them (servers by
 * sessions, most first). NULL with err when Redis failed. The rows'
 * service strings live as long as the struct; cluster_free frees it.
 */
struct cluster;
struct cluster *cluster_load(redisContext *rc, const char *prefix, char *err, size_t errsz);
const struct summary_row *cluster_servers(const struct cluster *c, size_t *n);
const struct summary_row *cluster_port_rows(const struct cluster *c, size_t *n);
/* How many sensors counted sessions. */
size_t cluster_sensors(const struct cluster *c);
void cluster_free(struct cluster *c);

/*
 * `tlswatch --cluster URL` on a terminal: the dashboard of every sensor
 * sharing URL (cluster_tui.c): the recent sessions and alerts from the
 * streams the sensors append to (feed.h), then the new ones as they come,
 * and the cluster's per-port and per-server counts, until q. max_rows as
 * --max-rows. The exit status (0, or 2 with a message on stderr when Redis
 * cannot be reached at start or the dashboard cannot open).
 */
int cluster_dashboard(const char *url, size_t max_rows);

#endif
