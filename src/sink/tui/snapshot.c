/*
 * snapshot.c - what the UI thread copies from the model for one frame, under
 * the lock: the counters, the view's settings, the rows each panel shows
 * from its top, the detail text, the servers view's rows and the sessions
 * over time for the sparkline. draw.c then draws from that copy
 * without the lock, so the capture thread never waits for the terminal.
 *
 * When new sessions arrive the list moves under the cursor: a cursor on a
 * session or alert follows it, a cursor at the top stays there, so the
 * newest is always in view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"

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

/* Copies the rows each panel shows, from its top, into the snapshot. */
static void
snap_copy_visible(struct tui *t, const struct layout *l, const struct summary_row *ports)
{
	struct snap *sn = &t->snap;
	struct tui_model *m = t->m;
	size_t top = t->pane[PANEL_PORTS].top;
	size_t want = (size_t)l->ports_h;

	if (grow((void **)&sn->ports, &sn->ports_cap, want, sizeof(*sn->ports)))
		for (size_t i = top; i < sn->n_ports && sn->ports_n < want; i++)
			sn->ports[sn->ports_n++] = ports[i];
	top = t->pane[PANEL_SESSIONS].top;
	want = (size_t)l->sessions_h;
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
	want = (size_t)l->alerts_h;
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

/* The servers view: the rows on the screen, from the pane's top. */
static void
snap_copy_servers(struct tui *t, const struct layout *l)
{
	struct snap *sn = &t->snap;
	struct pane *p = &t->servers_pane;
	const struct summary_row *rows = tui_model_servers(t->m, &sn->n_servers);
	size_t want = l->servers_h > 0 ? (size_t)l->servers_h : 0;

	sn->server_sort = tui_model_server_sort(t->m);
	sn->n_server_problems = 0;
	for (size_t i = 0; i < sn->n_servers; i++)
		if (tui_server_is_problem(&rows[i]))
			sn->n_server_problems++;
	tui_pane_fit(p, sn->n_servers, l->servers_h);
	sn->servers_n = 0;
	if (l->too_small ||
	    !grow((void **)&sn->servers, &sn->servers_cap, want ? want : 1, sizeof(*sn->servers)))
		return;
	for (size_t i = p->top; i < sn->n_servers && sn->servers_n < want; i++)
		sn->servers[sn->servers_n++] = rows[i];
}

/* Remembers what each cursor is on. */
static void
snap_remember_selection(struct tui *t)
{
	const struct snap *sn = &t->snap;

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
}

void
tui_snap_take(struct tui *t, struct layout *lay_out)
{
	struct snap *sn = &t->snap;
	struct tui_model *m = t->m;
	const struct summary_row *ports;
	struct layout l;
	bool changed;

	pthread_mutex_lock(&t->lock);
	changed = atomic_load(&t->gen) != t->drawn_gen;
	t->drawn_gen = atomic_load(&t->gen);
	tui_model_set_time(m, tui_now_us());
	sn->c = *tui_model_counters(m);
	sn->rows_dropped = tui_model_rows_dropped(m);
	sn->alerts_dropped = tui_model_alerts_dropped(m);
	sn->add_failures = tui_model_add_failures(m);
	sn->sort = tui_model_sort(m);
	snprintf(sn->filter, sizeof(sn->filter), "%s", tui_model_filter(m));
	sn->problems_only = tui_model_problems_only(m);
	{
		uint64_t w;
		size_t n;
		const struct summary_bucket *b = tui_model_timeline(m, &n, &w);

		memcpy(sn->timeline, b, n * sizeof(*b));
		sn->n_timeline = n;
		sn->timeline_width_us = w;
	}
	snprintf(sn->cluster, sizeof(sn->cluster), "%s", t->cluster_source);
	snprintf(sn->cluster_status, sizeof(sn->cluster_status), "%s", t->cluster_status);
	ports = tui_model_ports(m, &sn->n_ports);
	sn->n_rows = tui_model_rows(m);
	sn->n_alerts = tui_model_alerts(m);
	l = tui_layout_compute(sn->n_ports, sn->n_rows, sn->n_alerts);

	if (changed) {
		pane_follow_rows(t, &t->pane[PANEL_SESSIONS], sn->n_rows, false);
		pane_follow_rows(t, &t->pane[PANEL_ALERTS], sn->n_alerts, true);
		if (t->pane[PANEL_PORTS].sel_set && t->pane[PANEL_PORTS].cursor > 0)
			for (size_t i = 0; i < sn->n_ports; i++)
				if (ports[i].port == t->pane[PANEL_PORTS].sel)
					t->pane[PANEL_PORTS].cursor = i;
	}
	tui_pane_fit(&t->pane[PANEL_PORTS], sn->n_ports, l.ports_h);
	tui_pane_fit(&t->pane[PANEL_SESSIONS], sn->n_rows, l.sessions_h);
	tui_pane_fit(&t->pane[PANEL_ALERTS], sn->n_alerts, l.alerts_h);

	sn->ports_n = sn->rows_n = sn->alerts_n = 0;
	if (!l.too_small)
		snap_copy_visible(t, &l, ports);
	snap_remember_selection(t);
	if (t->view == VIEW_SERVERS)
		snap_copy_servers(t, &l);
	if (t->view == VIEW_DETAIL) {
		int rc = t->detail_alert ? tui_model_detail_alert(m, t->detail_key, &sn->detail)
					 : tui_model_detail_session(m, t->detail_key, &sn->detail);

		sn->detail_gone = rc < 0;
	}
	pthread_mutex_unlock(&t->lock);
	*lay_out = l;
}
