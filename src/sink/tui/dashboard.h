/*
 * dashboard.h - what the dashboard's files share: the state of one
 * dashboard (struct tui), the layout of the screen, the per-frame snapshot
 * of the model, and the functions one file calls in another. Private to
 * src/sink/tui/: the rest of tlswatch sees only sink_tui_new (sink.h).
 *
 *   sink.c        sink_tui_new and the sink callbacks (the capture thread)
 *   screen.c      opening and closing the terminal, crash restore, signals,
 *                 and the UI thread's loop
 *   layout.c      where the panels go, keeping a cursor in view
 *   snapshot.c    what the UI thread copies from the model for one frame
 *   draw*.c       drawing one frame: header, panels, detail, help, footer
 *                 (draw.h: draw_sessions.c, draw_servers.c, draw_cells.c)
 *   keys.c        the key table (dispatch and help text), the filter editor
 *   model*.c      the data (include/tui_model.h), no curses
 *
 * Threads. The capture thread calls the sink (session, alert, tick,
 * finish); each call only updates the model under the lock, which is
 * cheap. A UI thread owns the terminal: it reads keys (getch with a 100 ms
 * timeout), copies what fits on the screen from the model under the lock
 * and draws from that copy, at most about ten times a second and only when
 * something changed. Drawing therefore never slows the capture down.
 * `q` sets quit and sends SIGINT to the thread that created the sink (the
 * capture thread), whose handler must stop the capture: a live capture
 * waiting for packets stops at once, the same way as on Ctrl-C.
 *
 * Only the files under src/sink/tui/ include curses, through this header;
 * the model files do not include it.
 *
 * Not handled: the mouse; non-ASCII text (everything shown is ASCII:
 * addresses, protocol keywords, escaped evidence; only the sparkline uses
 * block characters, and only when the locale is UTF-8).
 */
#ifndef TLSWATCH_SINK_TUI_DASHBOARD_H
#define TLSWATCH_SINK_TUI_DASHBOARD_H

#include <curses.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tui_model.h"

#define UI_TICK_MS 100 /* getch timeout and the shortest redraw interval */
#define MIN_COLS 60
#define MIN_LINES 14
#define TUI_HELP_LINES_MAX 48 /* lines of the help screen */

enum panel {
	PANEL_PORTS = 0,
	PANEL_SESSIONS,
	PANEL_ALERTS,
	PANEL_COUNT,
};

enum view {
	VIEW_MAIN = 0,
	VIEW_DETAIL,
	VIEW_HELP,
	VIEW_SERVERS, /* the per-server table, full screen */
};

/* Colour pairs (screen.c sets them up, draw.c uses them). */
enum {
	PAIR_GOOD = 1,
	PAIR_WARN,
	PAIR_BAD,
	PAIR_DIM,
	PAIR_HEADING,
	PAIR_BAR,
};

/* Selection and scroll of one panel. */
struct pane {
	size_t cursor, top;
	uint64_t sel; /* what the cursor is on: row seq, alert seq, or port */
	bool sel_set;
};

/* Where the panels are on the screen. */
struct layout {
	bool too_small;
	int spark_y;	      /* the encrypted share over time; -1: no room for it */
	int ports_y, ports_h; /* title line; rows below the column header */
	int sessions_y, sessions_h;
	int alerts_y, alerts_h;
	int body_y, body_h;	  /* detail and help */
	int servers_y, servers_h; /* the servers view: title line; rows */
};

/* What the UI thread copied from the model for one frame. */
struct snap {
	struct tui_counters c;
	uint64_t rows_dropped, alerts_dropped, add_failures;
	size_t n_ports, n_rows, n_alerts;
	struct summary_row *ports;
	struct tui_row *rows;
	struct tui_alert *alerts;
	size_t ports_cap, rows_cap, alerts_cap;
	size_t ports_n, rows_n, alerts_n; /* copied, starting at each pane's top */
	enum tui_sort sort;
	char filter[TUI_FILTER_MAX];
	bool problems_only;
	struct tui_text detail;
	bool detail_gone;
	/* the servers view (only while it is shown) */
	size_t n_servers, n_server_problems;
	struct summary_row *servers;
	size_t servers_cap, servers_n; /* copied, starting at the pane's top */
	enum tui_server_sort server_sort;
	/* the sessions over time, for the sparkline */
	struct summary_bucket timeline[SUMMARY_BUCKETS];
	size_t n_timeline;
	uint64_t timeline_width_us;
	/* tlswatch --cluster: the header's source and trouble (Redis lost) */
	char cluster[320];
	char cluster_status[160];
};

/* One dashboard: made by sink_tui_new, shared by the two threads. */
struct tui {
	pthread_mutex_t lock;
	/* Under the lock. */
	struct tui_model *m;
	_Atomic uint64_t gen; /* bumped by every change (read without the lock) */

	/* Between the threads. */
	atomic_bool quit;    /* the user pressed q */
	atomic_bool stop_ui; /* the UI thread must end */
	atomic_bool ui_ended;

	/* Set up before the UI thread starts, torn down after it ended. */
	pthread_t thread;
	bool running, closed;
	pthread_t capture_thread; /* created the sink; gets SIGINT on q */
	SCREEN *scr;
	FILE *tty_in;
	bool color;
	bool utf8;	      /* the locale's character set is UTF-8: block characters */
	bool locale_set;      /* LC_CTYPE was set from the environment (restored on close) */
	char saved_ctype[64]; /* LC_CTYPE before */
	sigset_t saved_mask;
	int saved_stderr;
	FILE *err_file;
	char source[160];
	bool live;
	double speed;
	/* tlswatch --cluster (sink_tui_set_cluster): under the lock */
	bool cluster;
	char cluster_source[320];
	char cluster_status[160];

	/* The UI thread's own. */
	enum view view;
	enum panel focus;
	struct pane pane[PANEL_COUNT];
	struct pane servers_pane; /* sel: the row's index in the view */
	bool editing;
	char edit[TUI_FILTER_MAX];
	size_t edit_len;
	char edit_before[TUI_FILTER_MAX];
	bool paused;
	bool detail_alert;
	uint64_t detail_key;
	size_t detail_top;
	size_t help_top;
	char status[160];
	uint64_t status_until;
	uint64_t drawn_gen;
	struct snap snap;
};

/* ---- screen.c ------------------------------------------------------------------------ */

/* Opens the screen on stdout, keys from /dev/tty, and starts the UI thread;
 * -1 with err filled when it cannot. */
int tui_screen_open(struct tui *t, char *err, size_t errsz);
/* Ends the UI thread, gives the terminal back and replays what was written
 * to stderr meanwhile. Safe to call more than once. */
void tui_screen_close(struct tui *t);
/* Monotonic clock, microseconds. */
uint64_t tui_now_us(void);

/* ---- layout.c ------------------------------------------------------------------------ */

/* Where the panels go on LINES x COLS for this many ports, sessions and
 * alerts in the view. */
struct layout tui_layout_compute(size_t n_ports, size_t n_rows, size_t n_alerts);
/* Keeps the cursor inside [0, n) and visible in h rows. */
void tui_pane_fit(struct pane *p, size_t n, int h);
/* Rows of panel p on the screen as the last snapshot laid it out. */
int tui_panel_height(const struct tui *t, enum panel p);
/* The pane the moving keys act on in the current view, and its height. */
struct pane *tui_active_pane(struct tui *t);
int tui_active_height(const struct tui *t);

/* ---- snapshot.c ---------------------------------------------------------------------- */

/* Copies what the next frame shows from the model into t->snap, under the
 * lock, and lays out the screen for it. */
void tui_snap_take(struct tui *t, struct layout *lay_out);

/* ---- draw.c -------------------------------------------------------------------------- */

/* Takes a snapshot and draws one frame of the current view. */
void tui_draw(struct tui *t);

/* ---- keys.c -------------------------------------------------------------------------- */

/* Acts on one key; false when it asked to quit (t->quit is then set). */
bool tui_key(struct tui *t, int ch);
/* The help screen's lines, the keys among them made from the key table;
 * returns how many were written (at most max). */
size_t tui_help_lines(struct tui_text_line *lines, size_t max);

#endif
