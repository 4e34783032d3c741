/*
 * tui.c - the dashboard: an ncurses view of the analysis while it runs, on a
 * live interface or a replayed capture. This is the only file that
 * includes curses; the data and the view logic (rows, sort, filter, detail
 * text) live in src/tui_model.c.
 *
 * Threads. The capture thread calls the sink (session, alert, tick,
 * finish); each call only updates the model under the lock, which is
 * cheap. A UI thread owns the terminal: it reads keys (getch with a 100 ms
 * timeout), copies what fits on the screen from the model under the lock
 * and draws from that copy, at most about ten times a second and only when
 * something changed. Drawing therefore never slows the capture down.
 * `q` sets quit_requested and sends SIGINT to the thread that created the
 * sink (the capture thread), whose handler must stop the capture: a live
 * capture waiting for packets stops at once, the same way as on Ctrl-C.
 *
 * Terminal. The screen is opened on stdout (keys come from /dev/tty, so
 * `-r -` still works) and given back by wait() or free(); main calls one of
 * them on every path, SIGINT and SIGTERM included. While the dashboard is
 * up, a stderr that is a terminal is diverted to a temporary file and
 * replayed once the screen is closed, so messages never scribble over it.
 * A crash (SIGSEGV, SIGABRT ...) restores the tty modes, leaves the
 * alternate screen and puts stderr back before the default action runs.
 *
 * Colours: encrypted green, cleartext yellow, downgraded / failed / alerts
 * red. NO_COLOR (https://no-color.org) or a terminal without colours gets
 * attributes only; every state also has a marker (+ ~ ! x ?) so the screen
 * reads the same in monochrome.
 *
 * Not handled: the mouse; non-ASCII text (everything shown is ASCII:
 * addresses, protocol keywords, escaped evidence).
 */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sink.h"
#include "tui_model.h"

#define UI_TICK_MS 100 /* getch timeout and the shortest redraw interval */
#define MIN_COLS 60
#define MIN_LINES 14
#define STATUS_SHOW_US 3000000
#define KEY_ESC 27
#define KEY_CTRL(c) ((c)&0x1f)

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
};

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
	int ports_y, ports_h; /* title line; rows below the column header */
	int sessions_y, sessions_h;
	int alerts_y, alerts_h;
	int body_y, body_h; /* detail and help */
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
};

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
	sigset_t saved_mask;
	int saved_stderr;
	FILE *err_file;
	char source[160];
	bool live;
	double speed;

	/* The UI thread's own. */
	enum view view;
	enum panel focus;
	struct pane pane[PANEL_COUNT];
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

/* ---- Crash restore ------------------------------------------------------------
 * A signal handler can only reach static data: these hold what it needs to
 * give the terminal back (set up while the screen is open, cleared after). */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_CRASH_SIGNALS (sizeof(crash_signals) / sizeof(crash_signals[0]))
static struct sigaction crash_old[N_CRASH_SIGNALS];
static struct termios crash_termios;
static bool crash_termios_ok;
static char crash_seq[256];
static size_t crash_seq_len;
static volatile sig_atomic_t crash_armed;
static bool crash_installed;
static volatile sig_atomic_t crash_stderr = -1;

static void
crash_handler(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (crash_armed) {
		crash_armed = 0;
		if (crash_termios_ok)
			tcsetattr(STDOUT_FILENO, TCSANOW, &crash_termios);
		if (crash_seq_len && write(STDOUT_FILENO, crash_seq, crash_seq_len) < 0) {
			/* nothing more can be done */
		}
		if (crash_stderr >= 0)
			dup2(crash_stderr, STDERR_FILENO);
	}
	for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &crash_old[i], NULL);
	/* A fault repeats under the previous action when this returns; a signal
	 * sent by someone must be raised again. */
	if (info && info->si_code <= 0)
		raise(sig);
}

static void
crash_seq_add(const char *capname)
{
	char *s = tigetstr((char *)capname);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (crash_seq_len + n < sizeof(crash_seq)) {
		memcpy(crash_seq + crash_seq_len, s, n);
		crash_seq_len += n;
	}
}

static void
crash_arm(int saved_stderr)
{
	struct sigaction sa;

	crash_seq_len = 0;
	crash_seq_add("sgr0");
	crash_seq_add("cnorm");
	crash_seq_add("rmkx");
	crash_seq_add("rmcup");
	crash_stderr = saved_stderr;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
		sigaction(crash_signals[i], &sa, &crash_old[i]);
	crash_installed = true;
	crash_armed = 1;
}

static void
crash_disarm(void)
{
	crash_armed = 0;
	if (!crash_installed)
		return;
	crash_installed = false;
	for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
		sigaction(crash_signals[i], &crash_old[i], NULL);
	crash_stderr = -1;
}

/* ---- Small helpers --------------------------------------------------------------- */

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
ui_status(struct tui *t, const char *msg)
{
	snprintf(t->status, sizeof(t->status), "%s", msg);
	t->status_until = now_us() + STATUS_SHOW_US;
}

static attr_t
tone_attr(const struct tui *t, enum tui_tone tone)
{
	switch (tone) {
	case TUI_TONE_GOOD:
		return t->color ? COLOR_PAIR(PAIR_GOOD) : A_NORMAL;
	case TUI_TONE_WARN:
		return t->color ? COLOR_PAIR(PAIR_WARN) | A_BOLD : A_BOLD;
	case TUI_TONE_BAD:
		return t->color ? COLOR_PAIR(PAIR_BAD) | A_BOLD : A_BOLD | A_UNDERLINE;
	case TUI_TONE_DIM:
		return t->color ? COLOR_PAIR(PAIR_DIM) : A_DIM;
	case TUI_TONE_HEADING:
		return t->color ? COLOR_PAIR(PAIR_HEADING) | A_BOLD : A_BOLD;
	case TUI_TONE_NORMAL:
		break;
	}
	return A_NORMAL;
}

/* Writes s at (y, x), cut to w columns and padded with spaces to w. */
static void
put(int y, int x, int w, attr_t a, const char *s)
{
	int n = 0;

	if (w <= 0 || x >= COLS || y >= LINES)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(a);
	while (s[n] && n < w)
		n++;
	mvaddnstr(y, x, s, n);
	for (int i = n; i < w; i++)
		addch(' ');
	attrset(A_NORMAL);
}

/* The same, right-aligned (numbers). */
static void
put_right(int y, int x, int w, attr_t a, const char *s)
{
	int n = (int)strlen(s);

	if (n >= w) {
		put(y, x, w, a, s + (n - w));
		return;
	}
	put(y, x, w - n, a, "");
	put(y, x + w - n, n, a, s);
}

static void
fmt_u64(uint64_t v, int w, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%" PRIu64, v);
	if ((int)strlen(buf) > w)
		tui_format_count((double)v, buf, bufsz);
}

static void
fmt_elapsed(uint64_t us, char *buf, size_t bufsz)
{
	uint64_t s = us / 1000000;

	snprintf(buf, bufsz, "%" PRIu64 ":%02u:%02u", s / 3600, (unsigned)(s / 60 % 60),
		 (unsigned)(s % 60));
}

/* ---- Layout ------------------------------------------------------------------------ */

static int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static struct layout
layout_compute(size_t n_ports, size_t n_rows, size_t n_alerts)
{
	struct layout l;
	int avail, pmax, amax;

	memset(&l, 0, sizeof(l));
	l.body_y = 2;
	l.body_h = LINES - 3;
	if (LINES < MIN_LINES || COLS < MIN_COLS) {
		l.too_small = true;
		return l;
	}
	/* Three panels of a title, a column header and their rows. */
	avail = LINES - 3 - 6;
	pmax = avail / 3 > 2 ? avail / 3 : 2;
	amax = avail / 4 > 2 ? avail / 4 : 2;
	l.ports_h = clampi((int)(n_ports ? n_ports : 1), 1, pmax);
	l.alerts_h = clampi((int)(n_alerts ? n_alerts : 1), 1, amax);
	l.sessions_h = avail - l.ports_h - l.alerts_h;
	/* Room the sessions do not need goes to alerts, then ports, that do. */
	while (l.sessions_h > 3 && (size_t)l.sessions_h > n_rows) {
		if ((size_t)l.alerts_h < n_alerts)
			l.alerts_h++;
		else if ((size_t)l.ports_h < n_ports)
			l.ports_h++;
		else
			break;
		l.sessions_h--;
	}
	l.ports_y = 2;
	l.sessions_y = l.ports_y + 2 + l.ports_h;
	l.alerts_y = l.sessions_y + 2 + l.sessions_h;
	return l;
}

/* Keeps the cursor inside [0, n) and visible in h rows. */
static void
pane_fit(struct pane *p, size_t n, int h)
{
	size_t hh = h > 0 ? (size_t)h : 1;

	if (n == 0) {
		p->cursor = p->top = 0;
		return;
	}
	if (p->cursor >= n)
		p->cursor = n - 1;
	if (p->cursor < p->top)
		p->top = p->cursor;
	if (p->cursor >= p->top + hh)
		p->top = p->cursor - hh + 1;
	if (p->top + hh > n)
		p->top = n > hh ? n - hh : 0;
}

/* ---- Snapshot (under the lock) --------------------------------------------------- */

static bool
grow(void **buf, size_t *cap, size_t want, size_t size)
{
	void *nb;

	if (want <= *cap)
		return true;
	nb = realloc(*buf, want * size);
	if (!nb)
		return false;
	*buf = nb;
	*cap = want;
	return true;
}

/* Moves a pane's cursor to follow its selected item when the list moved
 * under it (new sessions arrive at the top); at the top it stays there, so
 * the newest is always in view. */
static void
pane_follow_rows(struct tui *t, struct pane *p, size_t n, bool alerts)
{
	struct tui_model *m = t->m;

	if (!p->sel_set || p->cursor == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t seq;

		if (alerts) {
			const struct tui_alert *a = tui_model_alert(m, i);

			seq = a ? a->seq : 0;
		} else {
			const struct tui_row *r = tui_model_row(m, i);

			seq = r ? r->seq : 0;
		}
		if (seq == p->sel) {
			if (i > p->cursor)
				p->top += i - p->cursor;
			else
				p->top -= p->top >= p->cursor - i ? p->cursor - i : p->top;
			p->cursor = i;
			return;
		}
	}
}

static void
snap_take(struct tui *t, struct layout *lay_out)
{
	struct snap *sn = &t->snap;
	struct tui_model *m = t->m;
	const struct summary_row *ports;
	struct layout l;
	bool changed;

	pthread_mutex_lock(&t->lock);
	changed = atomic_load(&t->gen) != t->drawn_gen;
	t->drawn_gen = atomic_load(&t->gen);
	tui_model_set_time(m, now_us());
	sn->c = *tui_model_counters(m);
	sn->rows_dropped = tui_model_rows_dropped(m);
	sn->alerts_dropped = tui_model_alerts_dropped(m);
	sn->add_failures = tui_model_add_failures(m);
	sn->sort = tui_model_sort(m);
	snprintf(sn->filter, sizeof(sn->filter), "%s", tui_model_filter(m));
	sn->problems_only = tui_model_problems_only(m);
	ports = tui_model_ports(m, &sn->n_ports);
	sn->n_rows = tui_model_rows(m);
	sn->n_alerts = tui_model_alerts(m);
	l = layout_compute(sn->n_ports, sn->n_rows, sn->n_alerts);

	if (changed) {
		pane_follow_rows(t, &t->pane[PANEL_SESSIONS], sn->n_rows, false);
		pane_follow_rows(t, &t->pane[PANEL_ALERTS], sn->n_alerts, true);
		if (t->pane[PANEL_PORTS].sel_set && t->pane[PANEL_PORTS].cursor > 0)
			for (size_t i = 0; i < sn->n_ports; i++)
				if (ports[i].port == t->pane[PANEL_PORTS].sel)
					t->pane[PANEL_PORTS].cursor = i;
	}
	pane_fit(&t->pane[PANEL_PORTS], sn->n_ports, l.ports_h);
	pane_fit(&t->pane[PANEL_SESSIONS], sn->n_rows, l.sessions_h);
	pane_fit(&t->pane[PANEL_ALERTS], sn->n_alerts, l.alerts_h);

	sn->ports_n = sn->rows_n = sn->alerts_n = 0;
	if (!l.too_small) {
		size_t top = t->pane[PANEL_PORTS].top;
		size_t want = (size_t)l.ports_h;

		if (grow((void **)&sn->ports, &sn->ports_cap, want, sizeof(*sn->ports)))
			for (size_t i = top; i < sn->n_ports && sn->ports_n < want; i++)
				sn->ports[sn->ports_n++] = ports[i];
		top = t->pane[PANEL_SESSIONS].top;
		want = (size_t)l.sessions_h;
		if (grow((void **)&sn->rows, &sn->rows_cap, want, sizeof(*sn->rows)))
			for (size_t i = top; i < sn->n_rows && sn->rows_n < want; i++) {
				const struct tui_row *r = tui_model_row(m, i);

				if (r)
					sn->rows[sn->rows_n] = *r;
				else
					memset(&sn->rows[sn->rows_n], 0, sizeof(*sn->rows));
				sn->rows_n++;
			}
		top = t->pane[PANEL_ALERTS].top;
		want = (size_t)l.alerts_h;
		if (grow((void **)&sn->alerts, &sn->alerts_cap, want, sizeof(*sn->alerts)))
			for (size_t i = top; i < sn->n_alerts && sn->alerts_n < want; i++) {
				const struct tui_alert *a = tui_model_alert(m, i);

				if (a)
					sn->alerts[sn->alerts_n] = *a;
				else
					memset(&sn->alerts[sn->alerts_n], 0, sizeof(*sn->alerts));
				sn->alerts_n++;
			}
	}
	/* Remember what each cursor is on. */
	for (int p = 0; p < PANEL_COUNT; p++) {
		struct pane *pn = &t->pane[p];
		size_t k = pn->cursor - pn->top;

		pn->sel_set = false;
		if (p == PANEL_PORTS && k < sn->ports_n) {
			pn->sel = sn->ports[k].port;
			pn->sel_set = true;
		} else if (p == PANEL_SESSIONS && k < sn->rows_n && sn->rows[k].seq) {
			pn->sel = sn->rows[k].seq;
			pn->sel_set = true;
		} else if (p == PANEL_ALERTS && k < sn->alerts_n && sn->alerts[k].seq) {
			pn->sel = sn->alerts[k].seq;
			pn->sel_set = true;
		}
	}
	if (t->view == VIEW_DETAIL) {
		int rc = t->detail_alert ? tui_model_detail_alert(m, t->detail_key, &sn->detail)
					 : tui_model_detail_session(m, t->detail_key, &sn->detail);

		sn->detail_gone = rc < 0;
	}
	pthread_mutex_unlock(&t->lock);
	*lay_out = l;
}

/* ---- Drawing ---------------------------------------------------------------------- */

static void
draw_header(struct tui *t)
{
	const struct snap *sn = &t->snap;
	const struct tui_counters *c = &sn->c;
	char line[512], a[32], b[32], e[32], r1[32], r2[32], drops[32], o[32], cl[32], ev[32];
	const char *state;
	attr_t bar = t->color ? COLOR_PAIR(PAIR_BAR) | A_BOLD : A_REVERSE;

	fmt_elapsed(c->elapsed_us, e, sizeof(e));
	if (t->paused)
		state = "PAUSED (capture goes on)";
	else if (c->done && t->live)
		state = "STOPPED - q quits";
	else if (c->done)
		state = "REPLAY DONE - q quits";
	else
		state = t->live ? "running" : "replaying";
	/* The state first: it must survive a narrow terminal. */
	if (t->live)
		snprintf(line, sizeof(line), " tlswatch  %s  elapsed %s  live %s", state, e,
			 t->source);
	else if (t->speed > 0)
		snprintf(line, sizeof(line), " tlswatch  %s  elapsed %s  replay x%g %s", state, e,
			 t->speed, t->source);
	else
		snprintf(line, sizeof(line), " tlswatch  %s  elapsed %s  replay %s%s", state, e,
			 t->source, COLS >= 100 ? " (max speed)" : "");
	put(0, 0, COLS, bar, line);
	if (COLS >= 100 && (int)strlen(line) < COLS - 9)
		put(0, COLS - 8, 8, bar, "? help");

	tui_format_count((double)c->packets, a, sizeof(a));
	tui_format_count((double)c->bytes, b, sizeof(b));
	tui_format_count(c->packet_rate, r1, sizeof(r1));
	tui_format_count(c->byte_rate, r2, sizeof(r2));
	if (c->drops_known)
		tui_format_count((double)c->drops, drops, sizeof(drops));
	else
		snprintf(drops, sizeof(drops), "%s", t->live ? "?" : "-");
	tui_format_count((double)c->open_flows, o, sizeof(o));
	tui_format_count((double)c->sessions, cl, sizeof(cl));
	tui_format_count((double)c->evicted, ev, sizeof(ev));
	if (COLS >= 110)
		snprintf(line, sizeof(line),
			 " packets %s (%s/s%s)  bytes %s (%s/s)  sessions %s open %s closed"
			 "  alerts %" PRIu64 "  drops %s  evicted %s",
			 a, r1, c->done ? " avg" : "", b, r2, o, cl, c->alerts, drops, ev);
	else
		snprintf(line, sizeof(line),
			 " pkts %s @%s/s  bytes %s @%s/s  open %s  closed %s  drops %s  evicted %s",
			 a, r1, b, r2, o, cl, drops, ev);
	put(1, 0, COLS, (c->drops || c->evicted) ? tone_attr(t, TUI_TONE_WARN) : A_NORMAL, line);
}

static void
draw_title(struct tui *t, int y, enum panel p, const char *text)
{
	attr_t a = (t->focus == p && t->view == VIEW_MAIN) ? A_REVERSE | A_BOLD : A_BOLD;
	char line[512];

	snprintf(line, sizeof(line), "%s%s", t->focus == p ? "> " : "  ", text);
	put(y, 0, COLS, a, line);
}

/* A bar for the share encrypted: "[####....] 50%". */
static void
draw_bar(struct tui *t, int y, int x, int w, double share, attr_t base)
{
	char pct[8];
	int inner = w - 7, full;

	snprintf(pct, sizeof(pct), "%3.0f%%", share * 100);
	if (inner < 3) {
		put_right(y, x, w, base, pct);
		return;
	}
	full = (int)(share * inner + 0.5);
	put(y, x, 1, base, "[");
	for (int i = 0; i < inner; i++)
		put(y, x + 1 + i, 1,
		    base | (i < full ? tone_attr(t, TUI_TONE_GOOD) : tone_attr(t, TUI_TONE_DIM)),
		    i < full ? "#" : ".");
	put(y, x + 1 + inner, 1, base, "]");
	put_right(y, x + 2 + inner, 5, base, pct);
}

static void
draw_ports(struct tui *t, const struct layout *l)
{
	static const char *const heads[] = {"SESS", "IMPL", "STLS", "CLEAR",
					    "DOWN", "FAIL", "UNKN", "LOGIN"};
	const struct snap *sn = &t->snap;
	int nw = COLS >= 100 ? 7 : 6, x, y = l->ports_y;
	int barx = 9 + 1 + 8 + 1 + 8 * nw + 1;
	char title[256];

	snprintf(title, sizeof(title), "Ports  %zu", sn->n_ports);
	draw_title(t, y++, PANEL_PORTS, title);
	put(y, 0, COLS, A_UNDERLINE, "");
	put(y, 0, 9, A_UNDERLINE, "PORT");
	put(y, 10, 8, A_UNDERLINE, "SERVICE");
	for (int i = 0; i < 8; i++)
		put_right(y, 19 + i * nw, nw, A_UNDERLINE, heads[i]);
	put(y, barx, COLS - barx, A_UNDERLINE, "ENCRYPTED");
	y++;
	if (!sn->n_ports)
		put(y, 2, COLS - 2, tone_attr(t, TUI_TONE_DIM), "(no session finished yet)");
	for (size_t i = 0; i < sn->ports_n; i++, y++) {
		const struct summary_row *r = &sn->ports[i];
		bool sel = t->focus == PANEL_PORTS &&
			   t->pane[PANEL_PORTS].top + i == t->pane[PANEL_PORTS].cursor;
		attr_t base = sel ? A_REVERSE : A_NORMAL;
		uint64_t v[8] = {
			r->sessions,
			r->verdicts[VERDICT_IMPLICIT_TLS],
			r->verdicts[VERDICT_STARTTLS],
			r->verdicts[VERDICT_CLEARTEXT],
			r->verdicts[VERDICT_DOWNGRADED],
			r->verdicts[VERDICT_TLS_FAILED],
			r->verdicts[VERDICT_UNKNOWN],
			r->logins,
		};
		static const enum tui_tone tones[8] = {
			TUI_TONE_NORMAL, TUI_TONE_GOOD, TUI_TONE_GOOD, TUI_TONE_WARN,
			TUI_TONE_BAD,	 TUI_TONE_BAD,	TUI_TONE_DIM,  TUI_TONE_BAD,
		};
		char buf[32];

		put(y, 0, COLS, base, "");
		snprintf(buf, sizeof(buf), "%u/%s", r->port, r->l4 == 17 ? "udp" : "tcp");
		put(y, 0, 9, base, buf);
		put(y, 10, 8, base, r->service ? r->service : "?");
		x = 19;
		for (int k = 0; k < 8; k++, x += nw) {
			fmt_u64(v[k], nw - 1, buf, sizeof(buf));
			put_right(y, x, nw, base | (v[k] && k ? tone_attr(t, tones[k]) : A_NORMAL),
				  buf);
		}
		if (COLS - barx >= 5)
			draw_bar(t, y, barx, COLS - barx > 28 ? 28 : COLS - barx,
				 summary_encrypted_share(r), base);
	}
}

enum scol {
	SC_TIME,
	SC_CLIENT,
	SC_SERVER,
	SC_SERVICE,
	SC_VERDICT,
	SC_TLS,
	SC_USER,
	SC_ALERT,
	SC_N
};

static void
row_user(const struct tui_row *r, char *buf, size_t bufsz)
{
	if (!r->n_logins) {
		buf[0] = '\0';
		return;
	}
	if (r->n_logins > 1 || r->logins_dropped)
		snprintf(buf, bufsz, "%s+%u",
			 r->logins[0].username[0] ? r->logins[0].username : "?",
			 (unsigned)(r->n_logins - 1 + r->logins_dropped));
	else
		snprintf(buf, bufsz, "%s", r->logins[0].username[0] ? r->logins[0].username : "?");
}

static void
row_verdict(const struct tui_row *r, char *buf, size_t bufsz)
{
	const char *reason = reason_name(r->reason);

	snprintf(buf, bufsz, "%c %s%s%s", tui_verdict_marker(r->verdict), verdict_name(r->verdict),
		 reason ? "/" : "", reason ? reason : "");
}

static int
alert_count(uint32_t bits)
{
	int n = 0;

	for (; bits; bits &= bits - 1)
		n++;
	return n;
}

/* Column widths for the sessions panel: what the visible rows need, then
 * shrunk in a fixed order until the line fits (the client's port goes
 * first: the detail view has it). */
static void
session_widths(const struct snap *sn, int w[SC_N])
{
	struct {
		enum scol col;
		int min;
	} shrink[] = {
		{SC_USER, 8},	  {SC_CLIENT, 0 /* address only */},
		{SC_VERDICT, 18}, {SC_SERVER, 15},
		{SC_USER, 5},	  {SC_VERDICT, 12},
		{SC_SERVER, 9},	  {SC_CLIENT, 4},
		{SC_VERDICT, 8},
	};
	int total, client_addr = 6;
	char buf[128];

	w[SC_TIME] = 8;
	w[SC_CLIENT] = 6;
	w[SC_SERVER] = 6;
	w[SC_SERVICE] = COLS >= 100 ? 7 : 5;
	w[SC_VERDICT] = 7;
	w[SC_TLS] = 4;
	w[SC_USER] = 4;
	w[SC_ALERT] = 2;
	for (size_t i = 0; i < sn->rows_n; i++) {
		const struct tui_row *r = &sn->rows[i];
		int n;

		if (!r->seq)
			continue;
		if ((n = (int)strlen(r->client)) > w[SC_CLIENT])
			w[SC_CLIENT] = n;
		if ((n = (int)strlen(r->client_addr)) > client_addr)
			client_addr = n;
		if ((n = (int)strlen(r->server)) > w[SC_SERVER])
			w[SC_SERVER] = n;
		row_verdict(r, buf, sizeof(buf));
		if ((n = (int)strlen(buf)) > w[SC_VERDICT])
			w[SC_VERDICT] = n;
		row_user(r, buf, sizeof(buf));
		if ((n = (int)strlen(buf)) > w[SC_USER])
			w[SC_USER] = n;
	}
	if (w[SC_USER] > 16)
		w[SC_USER] = 16;
	shrink[1].min = client_addr;
	total = SC_N - 1;
	for (int i = 0; i < SC_N; i++)
		total += w[i];
	for (size_t s = 0; s < sizeof(shrink) / sizeof(shrink[0]) && total > COLS; s++) {
		int *cw = &w[shrink[s].col];
		int cut = total - COLS;

		if (*cw <= shrink[s].min)
			continue;
		if (*cw - cut < shrink[s].min)
			cut = *cw - shrink[s].min;
		*cw -= cut;
		total -= cut;
	}
}

static void
draw_sessions(struct tui *t, const struct layout *l)
{
	static const char *const heads[SC_N] = {"TIME",	   "CLIENT", "SERVER", "SERVICE",
						"VERDICT", "TLS",    "USER",   "A"};
	const struct snap *sn = &t->snap;
	int w[SC_N], x, y = l->sessions_y;
	char title[512], extra[256];

	extra[0] = '\0';
	if (sn->rows_dropped)
		snprintf(extra, sizeof(extra), " (%" PRIu64 " older not kept)", sn->rows_dropped);
	snprintf(title, sizeof(title), "Sessions  %zu shown / %" PRIu64 " seen%s  sort: %s%s%s%s%s",
		 sn->n_rows, sn->c.sessions, extra, tui_sort_name(sn->sort),
		 sn->filter[0] ? "  filter: " : "", sn->filter,
		 sn->problems_only ? "  problems only" : "", t->paused ? "  PAUSED" : "");
	draw_title(t, y++, PANEL_SESSIONS, title);
	session_widths(sn, w);
	put(y, 0, COLS, A_UNDERLINE, "");
	x = 0;
	for (int c = 0; c < SC_N; c++) {
		put(y, x, w[c], A_UNDERLINE, c == SC_SERVICE && w[c] < 7 ? "SVC" : heads[c]);
		x += w[c] + 1;
	}
	y++;
	if (!sn->n_rows)
		put(y, 2, COLS - 2, tone_attr(t, TUI_TONE_DIM),
		    sn->c.sessions ? "(no session matches the filter)"
				   : "(no session finished yet)");
	for (size_t i = 0; i < sn->rows_n; i++, y++) {
		const struct tui_row *r = &sn->rows[i];
		bool sel = t->focus == PANEL_SESSIONS &&
			   t->pane[PANEL_SESSIONS].top + i == t->pane[PANEL_SESSIONS].cursor;
		attr_t base = sel ? A_REVERSE : A_NORMAL;
		char buf[128], vb[8];

		put(y, 0, COLS, base, "");
		if (!r->seq) {
			put(y, 2, COLS - 2, base | tone_attr(t, TUI_TONE_DIM), "(no longer kept)");
			continue;
		}
		x = 0;
		tui_format_clock(r->ts_first_us, buf, sizeof(buf));
		put(y, x, w[SC_TIME], base, buf);
		x += w[SC_TIME] + 1;
		put(y, x, w[SC_CLIENT], base,
		    (int)strlen(r->client) <= w[SC_CLIENT] ? r->client : r->client_addr);
		x += w[SC_CLIENT] + 1;
		put(y, x, w[SC_SERVER], base, r->server);
		x += w[SC_SERVER] + 1;
		put(y, x, w[SC_SERVICE], base, r->service);
		x += w[SC_SERVICE] + 1;
		row_verdict(r, buf, sizeof(buf));
		put(y, x, w[SC_VERDICT], base | tone_attr(t, tui_verdict_tone(r->verdict)), buf);
		x += w[SC_VERDICT] + 1;
		put(y, x, w[SC_TLS], base | (r->server_hello ? tone_attr(t, TUI_TONE_GOOD) : 0),
		    tui_tls_short(r, vb));
		x += w[SC_TLS] + 1;
		row_user(r, buf, sizeof(buf));
		put(y, x, w[SC_USER], base | (r->n_logins ? tone_attr(t, TUI_TONE_BAD) : 0), buf);
		x += w[SC_USER] + 1;
		if (r->alerts) {
			snprintf(buf, sizeof(buf), "!%d", alert_count(r->alerts));
			put(y, x, w[SC_ALERT], base | tone_attr(t, TUI_TONE_BAD), buf);
		}
	}
}

static void
draw_alerts(struct tui *t, const struct layout *l)
{
	const struct snap *sn = &t->snap;
	bool wide = COLS >= 100;
	int y = l->alerts_y, x, srvw = 6;
	char title[256], extra[128];

	extra[0] = '\0';
	if (sn->alerts_dropped)
		snprintf(extra, sizeof(extra), " (%" PRIu64 " older not kept)", sn->alerts_dropped);
	snprintf(title, sizeof(title), "Alerts  %zu shown / %" PRIu64 " raised%s", sn->n_alerts,
		 sn->c.alerts, extra);
	draw_title(t, y++, PANEL_ALERTS, title);
	for (size_t i = 0; i < sn->alerts_n; i++)
		if ((int)strlen(sn->alerts[i].server) > srvw)
			srvw = (int)strlen(sn->alerts[i].server);
	if (srvw > 24)
		srvw = 24;
	put(y, 0, COLS, A_UNDERLINE, "");
	x = 0;
	if (wide) {
		put(y, x, 8, A_UNDERLINE, "TIME");
		x += 9;
	}
	put(y, x, 8, A_UNDERLINE, "SEVERITY");
	put(y, x + 9, 27, A_UNDERLINE, "KIND");
	put(y, x + 37, 7, A_UNDERLINE, "SESSION");
	put(y, x + 45, srvw, A_UNDERLINE, "SERVER");
	put(y, x + 46 + srvw, COLS - (x + 46 + srvw), A_UNDERLINE, "EVIDENCE");
	y++;
	if (!sn->n_alerts)
		put(y, 2, COLS - 2, tone_attr(t, TUI_TONE_DIM),
		    sn->c.alerts ? "(no alert matches the filter)" : "(no alert raised)");
	for (size_t i = 0; i < sn->alerts_n; i++, y++) {
		const struct tui_alert *ta = &sn->alerts[i];
		const struct alert *a = &ta->a;
		bool sel = t->focus == PANEL_ALERTS &&
			   t->pane[PANEL_ALERTS].top + i == t->pane[PANEL_ALERTS].cursor;
		attr_t base = sel ? A_REVERSE : A_NORMAL;
		attr_t sev =
			tone_attr(t, a->severity == SEVERITY_LOW ? TUI_TONE_WARN : TUI_TONE_BAD);
		char buf[64];

		put(y, 0, COLS, base, "");
		if (!ta->seq) {
			put(y, 2, COLS - 2, base | tone_attr(t, TUI_TONE_DIM), "(no longer kept)");
			continue;
		}
		x = 0;
		if (wide) {
			tui_format_clock(a->ts_us, buf, sizeof(buf));
			put(y, x, 8, base, buf);
			x += 9;
		}
		snprintf(buf, sizeof(buf), "! %s", severity_name(a->severity));
		put(y, x, 8, base | sev, buf);
		put(y, x + 9, 27, base | sev, alert_kind_name(a->kind));
		snprintf(buf, sizeof(buf), "#%" PRIu64, a->session_id);
		put(y, x + 37, 7, base, buf);
		put(y, x + 45, srvw, base, ta->server);
		put(y, x + 46 + srvw, COLS - (x + 46 + srvw), base, a->evidence);
	}
}

/* Draws one line of detail or help text, wrapped under its value column
 * (the first 16 characters of "  label         value" lines); returns the
 * screen lines used (only counted when y is past the end). */
static int
draw_wrapped(int y, int y_end, attr_t a, const char *text, bool draw)
{
	int len = (int)strlen(text), used = 0, pos = 0, width = COLS - 1;
	int indent = (len > 16 && text[0] == ' ' && text[1] == ' ' && text[2] != ' ' &&
		      text[15] == ' ' && width > 40)
			     ? 16
			     : 2;

	if (len == 0) {
		if (draw && y < y_end)
			put(y, 0, COLS, a, "");
		return 1;
	}
	while (pos < len) {
		int lead = pos ? indent : 0, room = width - lead, n = len - pos;
		char chunk[TUI_LINE_MAX + 1];

		if (room < 10)
			room = 10;
		if (n > room) {
			/* Break at the last space that fits, else hard. */
			int cut = room;

			while (cut > room / 2 && text[pos + cut] != ' ')
				cut--;
			n = text[pos + cut] == ' ' ? cut : room;
		}
		if (draw && y + used < y_end) {
			memcpy(chunk, text + pos, (size_t)n);
			chunk[n] = '\0';
			put(y + used, 0, lead, A_NORMAL, "");
			put(y + used, lead, COLS - lead, a, chunk);
		}
		used++;
		pos += n;
		while (pos < len && text[pos] == ' ' && pos > 0 && n < len)
			pos++;
	}
	return used;
}

static void
draw_lines(struct tui *t, const struct layout *l, const struct tui_text *tx, size_t *top,
	   const char *title)
{
	int y = l->body_y + 1, y_end = l->body_y + l->body_h;
	size_t total = 0;

	put(l->body_y, 0, COLS, A_REVERSE | A_BOLD, title);
	/* Count screen lines to bound the scroll. */
	for (size_t i = 0; i < tx->n; i++)
		total += (size_t)draw_wrapped(0, 0, 0, tx->lines[i].text, false);
	if (total > (size_t)(y_end - y)) {
		if (*top > total - (size_t)(y_end - y))
			*top = total - (size_t)(y_end - y);
	} else {
		*top = 0;
	}
	{
		size_t skip = *top;

		for (size_t i = 0; i < tx->n && y < y_end; i++) {
			int used = draw_wrapped(0, 0, 0, tx->lines[i].text, false);

			if (skip >= (size_t)used) {
				skip -= (size_t)used;
				continue;
			}
			/* A wrapped line cut by the top: start with it anyway. */
			skip = 0;
			y += draw_wrapped(y, y_end, tone_attr(t, tx->lines[i].tone),
					  tx->lines[i].text, true);
		}
	}
	while (y < y_end)
		put(y++, 0, COLS, A_NORMAL, "");
}

static const char *const help_text[] = {
	"Keys",
	"  q             quit (at the end of a replay the dashboard waits for it)",
	"  Tab, S-Tab    next / previous panel: ports, sessions, alerts",
	"  Up Down j k   move in the panel;  PgUp PgDn  a page;  Home End g G  first / last",
	"  Enter         details of the session or alert (on a port: filter to that port)",
	"  Esc           back from details or help; in the list: clear the filter",
	"  /             filter (Enter keeps it, Esc restores the previous one, ^U clears)",
	"  f             problems only: cleartext, downgraded, tls-failed, or with alerts",
	"  s             next sort: newest, start time, server, verdict, service",
	"  p             pause the display (capture and counting go on)",
	"  ?             this help",
	"",
	"Filter words (all must match; a leading ! negates a word)",
	"  port:25 service:smtp verdict:clear reason:not-offered ip:10.0.0.1 user:alice",
	"  alert:login (alert: alone = any alert); plain words are looked for in the",
	"  service, verdict, endpoints, TLS version, SNI, users, alert kinds, #id.",
	"",
	"Markers (also without colours)",
	"  + encrypted (implicit-tls, starttls)   ~ cleartext   ! downgraded",
	"  x tls-failed   ? unknown   !N in column A: N kinds of alert on the session",
	"  Ports: IMPL implicit-tls, STLS starttls, CLEAR cleartext, DOWN downgraded,",
	"  FAIL tls-failed, UNKN unknown, LOGIN cleartext logins; ENCRYPTED = IMPL+STLS.",
	"",
	"Secrets are never shown here: a login's password reads ********.",
};

static void
draw_help(struct tui *t, const struct layout *l)
{
	struct tui_text tx = {0};
	struct tui_text_line lines[sizeof(help_text) / sizeof(help_text[0])];

	for (size_t i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++) {
		lines[i].tone = help_text[i][0] && help_text[i][0] != ' ' ? TUI_TONE_HEADING
									  : TUI_TONE_NORMAL;
		snprintf(lines[i].text, sizeof(lines[i].text), "%s", help_text[i]);
	}
	tx.lines = lines;
	tx.n = sizeof(help_text) / sizeof(help_text[0]);
	draw_lines(t, l, &tx, &t->help_top, " Help   (Esc or ? to go back, q to quit)");
}

static void
draw_footer(struct tui *t)
{
	char line[512];
	int y = LINES - 1;

	if (t->editing) {
		snprintf(line, sizeof(line), " Filter: %s", t->edit);
		put(y, 0, COLS - 1, A_BOLD, line);
		if (COLS > 60) {
			const char *hint = "Enter keep  Esc cancel  ? help";
			int hx = COLS - 1 - (int)strlen(hint);

			if (hx > (int)strlen(line) + 2)
				put(y, hx, (int)strlen(hint), tone_attr(t, TUI_TONE_DIM), hint);
		}
		return;
	}
	if (t->status[0] && now_us() < t->status_until) {
		put(y, 0, COLS - 1, tone_attr(t, TUI_TONE_WARN), t->status);
		return;
	}
	if (t->view == VIEW_DETAIL)
		put(y, 0, COLS - 1, A_NORMAL,
		    " Esc back  Up/Down PgUp/PgDn scroll  q quit  ? help");
	else if (t->view == VIEW_HELP)
		put(y, 0, COLS - 1, A_NORMAL, " Esc back  q quit");
	else
		put(y, 0, COLS - 1, A_NORMAL,
		    " q quit  ? help  Tab panel  Enter detail  / filter  f problems  s sort  p "
		    "pause");
}

static void
ui_draw(struct tui *t)
{
	struct layout l;

	snap_take(t, &l);
	erase();
	draw_header(t);
	if (l.too_small) {
		char msg[128];

		snprintf(msg, sizeof(msg), "terminal too small (%dx%d): the dashboard needs %dx%d",
			 COLS, LINES, MIN_COLS, MIN_LINES);
		put(LINES / 2, 0, COLS, A_BOLD, msg);
	} else if (t->view == VIEW_HELP) {
		draw_help(t, &l);
	} else if (t->view == VIEW_DETAIL) {
		char title[128];

		if (t->snap.detail_gone) {
			t->snap.detail.n = 0;
			snprintf(title, sizeof(title), " %s no longer kept   (Esc to go back)",
				 t->detail_alert ? "Alert" : "Session");
		} else {
			snprintf(title, sizeof(title),
				 " Details: %s %s%" PRIu64 "   (Esc to go back)",
				 t->detail_alert ? "alert" : "session", t->detail_alert ? "" : "#",
				 t->detail_key);
		}
		draw_lines(t, &l, &t->snap.detail, &t->detail_top, title);
	} else {
		draw_ports(t, &l);
		draw_sessions(t, &l);
		draw_alerts(t, &l);
	}
	draw_footer(t);
	if (t->editing) {
		curs_set(1);
		move(LINES - 1, 9 + (int)t->edit_len < COLS - 1 ? 9 + (int)t->edit_len : COLS - 1);
	} else {
		curs_set(0);
	}
	refresh();
}

/* ---- Keys ------------------------------------------------------------------------- */

static void
ui_apply_filter(struct tui *t, const char *expr)
{
	int rc;

	pthread_mutex_lock(&t->lock);
	rc = tui_model_set_filter(t->m, expr);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
	if (rc < 0)
		ui_status(t, "filter too long");
	t->pane[PANEL_SESSIONS].cursor = t->pane[PANEL_SESSIONS].top = 0;
	t->pane[PANEL_ALERTS].cursor = t->pane[PANEL_ALERTS].top = 0;
}

static void
ui_key_edit(struct tui *t, int ch)
{
	switch (ch) {
	case '\n':
	case '\r':
	case KEY_ENTER:
		t->editing = false;
		return;
	case KEY_ESC:
		t->editing = false;
		ui_apply_filter(t, t->edit_before);
		return;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (t->edit_len)
			t->edit[--t->edit_len] = '\0';
		break;
	case KEY_CTRL('u'):
		t->edit_len = 0;
		t->edit[0] = '\0';
		break;
	default:
		if (ch < 32 || ch > 126 || t->edit_len + 1 >= sizeof(t->edit))
			return;
		t->edit[t->edit_len++] = (char)ch;
		t->edit[t->edit_len] = '\0';
		break;
	}
	ui_apply_filter(t, t->edit);
}

static void
pane_move(struct pane *p, long delta)
{
	if (delta < 0 && (size_t)-delta > p->cursor)
		p->cursor = 0;
	else
		p->cursor = (size_t)((long)p->cursor + delta);
	/* pane_fit clamps at the end on the next frame */
}

static int
panel_height(const struct tui *t, enum panel p)
{
	struct layout l = layout_compute(t->snap.n_ports, t->snap.n_rows, t->snap.n_alerts);

	return p == PANEL_PORTS ? l.ports_h : p == PANEL_SESSIONS ? l.sessions_h : l.alerts_h;
}

static void
ui_open_detail(struct tui *t)
{
	struct pane *p = &t->pane[t->focus];
	struct layout l;

	snap_take(t, &l); /* keys typed ahead may have moved the cursor */
	if (!p->sel_set)
		return;
	if (t->focus == PANEL_PORTS) {
		char f[32];

		snprintf(f, sizeof(f), "port:%" PRIu64, p->sel);
		ui_apply_filter(t, f);
		t->focus = PANEL_SESSIONS;
		return;
	}
	if (t->focus == PANEL_SESSIONS) {
		size_t k = p->cursor - p->top;

		if (k >= t->snap.rows_n || !t->snap.rows[k].seq)
			return;
		t->detail_alert = false;
		t->detail_key = t->snap.rows[k].id;
	} else {
		t->detail_alert = true;
		t->detail_key = p->sel;
	}
	t->detail_top = 0;
	t->view = VIEW_DETAIL;
}

static void
ui_key_scroll(size_t *top, int ch, int page)
{
	switch (ch) {
	case KEY_UP:
	case 'k':
		*top = *top ? *top - 1 : 0;
		break;
	case KEY_DOWN:
	case 'j':
		(*top)++;
		break;
	case KEY_PPAGE:
		*top = *top > (size_t)page ? *top - (size_t)page : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		*top += (size_t)page;
		break;
	case KEY_HOME:
	case 'g':
		*top = 0;
		break;
	case KEY_END:
	case 'G':
		*top = SIZE_MAX / 2;
		break;
	}
}

/* Returns false when the key was q. */
static bool
ui_key(struct tui *t, int ch)
{
	struct pane *p = &t->pane[t->focus];
	int page = panel_height(t, t->focus);

	if (t->editing) {
		ui_key_edit(t, ch);
		return true;
	}
	if (ch == 'q' || ch == 'Q')
		return false;
	if (ch == KEY_RESIZE) {
		clearok(stdscr, TRUE);
		return true;
	}
	if (t->view == VIEW_HELP) {
		if (ch == KEY_ESC || ch == '?' || ch == '\n' || ch == '\r' || ch == KEY_ENTER ||
		    ch == KEY_BACKSPACE || ch == KEY_LEFT || ch == 'h')
			t->view = VIEW_MAIN;
		else
			ui_key_scroll(&t->help_top, ch, LINES - 4);
		return true;
	}
	if (t->view == VIEW_DETAIL) {
		if (ch == KEY_ESC || ch == '\n' || ch == '\r' || ch == KEY_ENTER ||
		    ch == KEY_BACKSPACE || ch == 127 || ch == KEY_LEFT || ch == 'h')
			t->view = VIEW_MAIN;
		else if (ch == '?')
			t->view = VIEW_HELP;
		else
			ui_key_scroll(&t->detail_top, ch, LINES - 4);
		return true;
	}
	switch (ch) {
	case '\t':
		t->focus = (enum panel)((t->focus + 1) % PANEL_COUNT);
		break;
	case KEY_BTAB:
		t->focus = (enum panel)((t->focus + PANEL_COUNT - 1) % PANEL_COUNT);
		break;
	case KEY_UP:
	case 'k':
		pane_move(p, -1);
		break;
	case KEY_DOWN:
	case 'j':
		pane_move(p, 1);
		break;
	case KEY_PPAGE:
		pane_move(p, -page);
		break;
	case KEY_NPAGE:
		pane_move(p, page);
		break;
	case KEY_HOME:
	case 'g':
		p->cursor = 0;
		break;
	case KEY_END:
	case 'G':
		p->cursor = SIZE_MAX / 2;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		ui_open_detail(t);
		break;
	case '/':
		t->editing = true;
		snprintf(t->edit_before, sizeof(t->edit_before), "%s", t->snap.filter);
		snprintf(t->edit, sizeof(t->edit), "%s", t->snap.filter);
		t->edit_len = strlen(t->edit);
		break;
	case KEY_ESC:
		if (t->snap.filter[0])
			ui_apply_filter(t, "");
		break;
	case 'f':
	case 'F':
		pthread_mutex_lock(&t->lock);
		tui_model_set_problems_only(t->m, !tui_model_problems_only(t->m));
		t->gen++;
		pthread_mutex_unlock(&t->lock);
		t->pane[PANEL_SESSIONS].cursor = t->pane[PANEL_SESSIONS].top = 0;
		break;
	case 's':
	case 'S':
		pthread_mutex_lock(&t->lock);
		tui_model_set_sort(t->m,
				   (enum tui_sort)((tui_model_sort(t->m) + 1) % TUI_SORT_COUNT));
		t->gen++;
		pthread_mutex_unlock(&t->lock);
		t->pane[PANEL_SESSIONS].cursor = t->pane[PANEL_SESSIONS].top = 0;
		break;
	case 'p':
	case 'P':
		t->paused = !t->paused;
		pthread_mutex_lock(&t->lock);
		tui_model_set_paused(t->m, t->paused);
		t->gen++;
		pthread_mutex_unlock(&t->lock);
		break;
	case '?':
	case KEY_F(1):
		t->help_top = 0;
		t->view = VIEW_HELP;
		break;
	default:
		break;
	}
	return true;
}

/* ---- The UI thread ------------------------------------------------------------------ */

static void *
ui_main(void *arg)
{
	struct tui *t = arg;
	uint64_t last_draw = 0;

	ui_draw(t);
	last_draw = now_us();
	while (!atomic_load(&t->stop_ui)) {
		int ch = getch();
		bool keyed = false;
		uint64_t now;

		while (ch != ERR) {
			if (!ui_key(t, ch)) {
				atomic_store(&t->quit, true);
				/* A live capture may be blocked waiting for packets:
				 * the capture thread's SIGINT handler stops it at once
				 * and restores the screen on the way out. */
				pthread_kill(t->capture_thread, SIGINT);
				break;
			}
			keyed = true;
			/* Take what is already typed without waiting. */
			timeout(0);
			ch = getch();
			timeout(UI_TICK_MS);
		}
		if (atomic_load(&t->quit))
			break;
		now = now_us();
		if (keyed || now - last_draw >= 1000000 ||
		    (now - last_draw >= UI_TICK_MS * 1000u &&
		     atomic_load(&t->gen) != t->drawn_gen) ||
		    (t->status[0] && now >= t->status_until)) {
			if (t->status[0] && now >= t->status_until)
				t->status[0] = '\0';
			ui_draw(t);
			last_draw = now;
		}
	}
	atomic_store(&t->ui_ended, true);
	return NULL;
}

/* ---- Opening and closing the screen --------------------------------------------------- */

static void
screen_close(struct tui *t)
{
	if (t->closed)
		return;
	t->closed = true;
	if (t->running) {
		atomic_store(&t->stop_ui, true);
		pthread_join(t->thread, NULL);
		t->running = false;
	}
	if (t->scr) {
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
		fflush(stdout);
	}
	crash_disarm();
	if (t->tty_in) {
		fclose(t->tty_in);
		t->tty_in = NULL;
	}
	pthread_sigmask(SIG_SETMASK, &t->saved_mask, NULL);
	/* Messages written while the screen was up, now that it is gone. */
	if (t->err_file) {
		char buf[4096];
		size_t n;

		fflush(stderr);
		dup2(t->saved_stderr, STDERR_FILENO);
		close(t->saved_stderr);
		rewind(t->err_file);
		while ((n = fread(buf, 1, sizeof(buf), t->err_file)) > 0)
			fwrite(buf, 1, n, stderr);
		fclose(t->err_file);
		t->err_file = NULL;
		fflush(stderr);
	}
}

static int
screen_open(struct tui *t, char *err, size_t errsz)
{
	sigset_t block;
	const char *no_color = getenv("NO_COLOR");
	int rc;

	t->tty_in = fopen("/dev/tty", "r");
	if (!t->tty_in) {
		snprintf(err, errsz, "no terminal to read keys from (/dev/tty: %s)",
			 strerror(errno));
		return -1;
	}
	crash_termios_ok = tcgetattr(STDOUT_FILENO, &crash_termios) == 0;
	fflush(stdout);
	t->scr = newterm(NULL, stdout, t->tty_in);
	if (!t->scr) {
		const char *term = getenv("TERM");

		snprintf(err, errsz, "cannot drive the terminal (TERM=%s)", term ? term : "unset");
		fclose(t->tty_in);
		t->tty_in = NULL;
		return -1;
	}
	set_term(t->scr);
	cbreak(); /* Ctrl-C still raises SIGINT: main stops and restores the screen */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	timeout(UI_TICK_MS);
	curs_set(0);
	t->color = has_colors() && !(no_color && no_color[0]);
	if (t->color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_GOOD, COLOR_GREEN, -1);
		init_pair(PAIR_WARN, COLOR_YELLOW, -1);
		init_pair(PAIR_BAD, COLOR_RED, -1);
		init_pair(PAIR_DIM, COLORS >= 16 ? 8 : COLOR_WHITE, -1);
		init_pair(PAIR_HEADING, COLOR_CYAN, -1);
		init_pair(PAIR_BAR, COLOR_WHITE, COLOR_BLUE);
	}

	t->saved_stderr = -1;
	if (isatty(STDERR_FILENO)) {
		FILE *f = tmpfile();
		int saved = f ? dup(STDERR_FILENO) : -1;

		if (f && saved >= 0 && dup2(fileno(f), STDERR_FILENO) >= 0) {
			t->err_file = f;
			t->saved_stderr = saved;
		} else {
			if (saved >= 0)
				close(saved);
			if (f)
				fclose(f);
		}
	}
	crash_arm(t->saved_stderr);

	/* SIGINT and SIGTERM go to the capture thread (main's handler stops the
	 * capture); window changes and job control go to the UI thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &t->saved_mask);
	rc = pthread_create(&t->thread, NULL, ui_main, t);
	pthread_sigmask(SIG_SETMASK, &t->saved_mask, NULL);
	if (rc != 0) {
		snprintf(err, errsz, "cannot start the dashboard thread: %s", strerror(rc));
		screen_close(t);
		return -1;
	}
	t->running = true;
	sigemptyset(&block);
	sigaddset(&block, SIGWINCH);
	sigaddset(&block, SIGTSTP);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	return 0;
}

/* ---- The sink ------------------------------------------------------------------------- */

static void
tui_session(struct sink *k, const struct session *s)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	tui_model_add_session(t->m, s);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_alert(struct sink *k, const struct alert *a)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	tui_model_add_alert(t->m, a);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_tick(struct sink *k, const struct stats *st, size_t open_flows)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	tui_model_set_stats(t->m, st, open_flows, now_us());
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	struct tui *t = k->priv;
	uint64_t now = now_us();

	(void)sum; /* the model keeps its own, counted from the same sessions */
	pthread_mutex_lock(&t->lock);
	tui_model_set_stats(t->m, st, 0, now);
	tui_model_set_done(t->m, now);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_wait(struct sink *k, volatile sig_atomic_t *stop)
{
	struct tui *t = k->priv;

	while (t->running && !atomic_load(&t->quit) && !atomic_load(&t->ui_ended) &&
	       !(stop && *stop)) {
		struct timespec ts = {0, 50 * 1000000L};

		nanosleep(&ts, NULL); /* a signal cuts it short */
	}
	screen_close(t);
}

static bool
tui_quit_requested(struct sink *k)
{
	struct tui *t = k->priv;

	return atomic_load(&t->quit);
}

static void
tui_free(struct sink *k)
{
	struct tui *t = k->priv;

	screen_close(t);
	pthread_mutex_destroy(&t->lock);
	tui_model_free(t->m);
	tui_text_free(&t->snap.detail);
	free(t->snap.ports);
	free(t->snap.rows);
	free(t->snap.alerts);
	free(t);
	free(k);
}

struct sink *
sink_tui_new(const char *source, bool live, double replay_speed, size_t max_rows, char *err,
	     size_t errsz)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct tui *t = calloc(1, sizeof(*t));

	if (!k || !t) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	if (!max_rows)
		max_rows = TUI_MAX_ROWS_DEFAULT;
	t->m = tui_model_new(max_rows, max_rows);
	if (!t->m) {
		snprintf(err, errsz, "out of memory for %zu dashboard rows", max_rows);
		goto fail;
	}
	pthread_mutex_init(&t->lock, NULL);
	/* A capture by its file name: the directory would crowd the header. */
	if (source && !live && strrchr(source, '/') && strrchr(source, '/')[1])
		source = strrchr(source, '/') + 1;
	snprintf(t->source, sizeof(t->source), "%s", source ? source : "?");
	t->live = live;
	t->speed = replay_speed;
	t->capture_thread = pthread_self();
	t->focus = PANEL_SESSIONS;
	t->closed = false;
	tui_model_set_stats(t->m, &(struct stats){0}, 0, now_us());
	k->session = tui_session;
	k->alert = tui_alert;
	k->finish = tui_finish;
	k->free = tui_free;
	k->tick = tui_tick;
	k->wait = tui_wait;
	k->quit_requested = tui_quit_requested;
	k->live = live;
	k->priv = t;
	if (screen_open(t, err, errsz) < 0) {
		pthread_mutex_destroy(&t->lock);
		tui_model_free(t->m);
		goto fail;
	}
	return k;
fail:
	free(t);
	free(k);
	return NULL;
}
