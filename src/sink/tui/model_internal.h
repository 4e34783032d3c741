/*
 * model_internal.h - what the files of the dashboard's data model
 * share (the model itself is described in include/tui_model.h): the
 * struct behind struct tui_model, its rings of rows and alerts, the parsed
 * filter, and the one function a file calls in another.
 *
 *   model.c       storage, input from the capture side, totals, lookups
 *   model_view.c  the view: filter, sort, problems only, pause
 *   model_text.c  text: counts, clocks, markers and the detail view
 *   model_servers.c  the servers view, the encrypted share over time
 *
 * Only these files include it; the screen files see the model through
 * tui_model.h alone.
 */
#ifndef TLSWATCH_TUI_MODEL_INTERNAL_H
#define TLSWATCH_TUI_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tui_model.h"

#define FILTER_TERMS_MAX 16

/* ---- The filter, parsed (model_view.c) -------------------------------------- */

enum term_key {
	TERM_TEXT = 0,
	TERM_PORT,
	TERM_SERVICE,
	TERM_VERDICT,
	TERM_REASON,
	TERM_IP,
	TERM_USER,
	TERM_ALERT,
	TERM_SERVER,
	TERM_POLICY,
	TERM_TUNNEL,
	TERM_SENSOR,
};

struct term {
	enum term_key key;
	bool neg;
	long port;		  /* TERM_PORT: -1 when the value is not a port number */
	char val[TUI_FILTER_MAX]; /* lower case */
};

struct filter {
	struct term t[FILTER_TERMS_MAX];
	size_t n;
};

/* ---- The model ---------------------------------------------------------------- */

struct ring {
	void *slots;
	size_t size; /* bytes per slot */
	size_t cap;  /* slots allocated (grows up to max) */
	size_t max;
	uint64_t total; /* items ever added; the newest has seq == total */
};

struct tui_model {
	struct ring rows;   /* struct tui_row */
	struct ring alerts; /* struct tui_alert */
	struct summary *sum;
	uint64_t add_failures;

	/* counters */
	struct tui_counters c;
	bool started;
	uint64_t start_us, rate_t_us, rate_packets, rate_bytes, stats_us;

	/* view parameters */
	enum tui_sort sort;
	char filter_text[TUI_FILTER_MAX];
	struct filter filter;
	bool problems_only;
	bool paused;

	/* the view */
	uint64_t *view_rows; /* seqs, view order */
	size_t n_view_rows;
	uint64_t *view_alerts;
	size_t n_view_alerts;
	const struct tui_row **sort_buf;
	size_t view_rows_cap, sort_cap, view_alerts_cap; /* grow with the rings */
	bool view_stale;   /* parameters changed: rebuild even when paused */
	bool data_changed; /* rows or alerts added: rebuild unless paused */
	struct summary_row *frozen_ports;
	size_t n_frozen_ports;
	bool ports_frozen;

	/* the servers view and the timeline (model_servers.c): recomputed on
	 * each read unless paused */
	enum tui_server_sort server_sort;
	struct summary_row *servers;
	size_t n_servers, servers_cap;
	bool servers_valid;
	struct summary_bucket timeline[SUMMARY_BUCKETS];
	size_t n_timeline;
	uint64_t timeline_width_us;
	bool timeline_valid;

	/* tlswatch --cluster: where the next rows come from, and the counts
	 * set from outside (tui_model_set_summary) */
	char origin[TUI_SENSOR_MAX];
	uint64_t origin_id;
	bool ext_summary;
	struct summary_row *ext_ports, *ext_servers;
	size_t n_ext_ports, n_ext_servers;
};

/* ---- Rings (model.c grows them; every file reads them) ---------------------- */

static inline uint64_t
ring_kept(const struct ring *r)
{
	return r->total < r->max ? r->total : r->max;
}

static inline void *
ring_get(const struct ring *r, uint64_t seq)
{
	if (seq == 0 || seq > r->total || seq + ring_kept(r) <= r->total)
		return NULL;
	return (char *)r->slots + (size_t)((seq - 1) % r->max) * r->size;
}

/* Fills r->hay, the lower-case words a bare filter word is looked for in,
 * from the rest of the row (model_view.c: the filter decides what goes in). */
void tui_row_fill_hay(struct tui_row *r);

/* Freezes the servers view and the timeline as of now, for a pause
 * (model_servers.c; model_view.c calls it). */
void tui_model_servers_freeze(struct tui_model *m);

#endif
