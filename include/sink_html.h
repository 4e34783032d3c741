/*
 * sink_html.h - the HTML report (--report-html FILE): one self-contained
 * page written at the end of the run with the per-port and per-server
 * tables and charts, the per-client and per-user views and the encrypted
 * share over time. Inline CSS and SVG drawn here; no script, no reference
 * to anything outside the file. Every string is escaped.
 */
#ifndef TLSWATCH_SINK_HTML_H
#define TLSWATCH_SINK_HTML_H

#include <stdio.h>

#include "sink.h"

/* The report on out (not closed by the sink); source names the capture or
 * interface in the title. NULL when out of memory. */
struct sink *sink_html_new(FILE *out, const char *source);

/* Writes s escaped for HTML text and attribute values: & < > " ' as
 * entities, bytes outside printable ASCII as \xHH. */
void sink_html_escape(FILE *o, const char *s);

#endif
