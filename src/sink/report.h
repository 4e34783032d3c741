/*
 * report.h - what the text and HTML reports share (report.c): the names
 * they give the rows of their tables and the notes under them, so that the
 * two always say the same (tests/e2e/html.sh compares them).
 */
#ifndef TLSWATCH_SINK_REPORT_H
#define TLSWATCH_SINK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sink.h"

/* The first column of a port row ("25/tcp") or a server row
 * ("192.0.2.1:25"; a server not over TCP says so: "192.0.2.1:853/udp"). */
void report_row_name(const struct summary_row *r, bool server, char *buf, size_t bufsz);

/* A client's address, or "(others)" for the row of the clients beyond the
 * view's size. */
void report_client_name(const struct summary_client *c, char *buf, size_t bufsz);

/* The note under a table whose last row, "(others)", counts the rows beyond
 * max together: "(others): 3 sessions of clients beyond the first 1000,
 * counted together" (what, then by: "" or " (by ...)"). */
void report_others_note(char *buf, size_t bufsz, uint64_t count, const char *what, size_t max,
			const char *by);

#endif
