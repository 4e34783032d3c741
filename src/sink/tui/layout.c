/*
 * layout.c - where the dashboard's panels go on a screen of LINES x COLS:
 * a header of two lines, the sparkline of the encrypted share over time
 * (when there are SPARK_MIN_LINES lines), the ports, sessions and alerts
 * panels (each a title, a column header and its rows), and the footer;
 * detail and help take the whole body instead, the servers view the body
 * under the sparkline. Also keeps a panel's cursor in view.
 *
 * Below MIN_COLS x MIN_LINES the layout is marked too small and draw.c
 * says so instead of drawing the panels.
 */
#include <string.h>

#include "dashboard.h"

#define SPARK_MIN_LINES 20 /* below, the panels need the sparkline's line */

static int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

struct layout
tui_layout_compute(size_t n_ports, size_t n_rows, size_t n_alerts)
{
	struct layout l;
	int avail, pmax, amax;

	memset(&l, 0, sizeof(l));
	l.body_y = 2;
	l.body_h = LINES - 3;
	l.spark_y = -1;
	if (LINES < MIN_LINES || COLS < MIN_COLS) {
		l.too_small = true;
		return l;
	}
	if (LINES >= SPARK_MIN_LINES)
		l.spark_y = 2;
	/* The servers view: a title, a column header, its rows and a legend. */
	l.servers_y = l.spark_y >= 0 ? 3 : 2;
	l.servers_h = LINES - 1 - (l.servers_y + 2) - 1;
	/* Three panels of a title, a column header and their rows. */
	avail = LINES - 3 - 6 - (l.spark_y >= 0 ? 1 : 0);
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
	l.ports_y = l.spark_y >= 0 ? 3 : 2;
	l.sessions_y = l.ports_y + 2 + l.ports_h;
	l.alerts_y = l.sessions_y + 2 + l.sessions_h;
	return l;
}

void
tui_pane_fit(struct pane *p, size_t n, int h)
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

int
tui_panel_height(const struct tui *t, enum panel p)
{
	struct layout l = tui_layout_compute(t->snap.n_ports, t->snap.n_rows, t->snap.n_alerts);

	return p == PANEL_PORTS ? l.ports_h : p == PANEL_SESSIONS ? l.sessions_h : l.alerts_h;
}

struct pane *
tui_active_pane(struct tui *t)
{
	return t->view == VIEW_SERVERS ? &t->servers_pane : &t->pane[t->focus];
}

int
tui_active_height(const struct tui *t)
{
	if (t->view == VIEW_SERVERS) {
		struct layout l = tui_layout_compute(0, 0, 0);

		return l.servers_h;
	}
	return tui_panel_height(t, t->focus);
}
