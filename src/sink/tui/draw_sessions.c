/*
 * draw_sessions.c - the dashboard's sessions panel: one row per session
 * kept (newest first unless sorted otherwise), its columns sized to what
 * the visible rows hold and shrunk in a fixed order until the line fits.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"

enum scol {
	SC_TIME,
	SC_SENSOR, /* only when a visible row came from a sensor (--cluster) */
	SC_CLIENT,
	SC_SERVER,
	SC_SERVICE,
	SC_VERDICT,
	SC_POLICY, /* only when a visible row had a mail policy */
	SC_TLS,
	SC_USER,
	SC_ALERT,
	SC_TUNNEL, /* only when a visible row came in a tunnel */
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

	snprintf(buf, bufsz, "%c %s%s%s", tui_verdict_marker(r->verdict), tui_row_verdict_name(r),
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
 * first: the detail view has it). The policy and tunnel columns are 0 wide
 * (not shown) unless a visible row has something to put there. */
static void
session_widths(const struct snap *sn, int w[SC_N])
{
	struct {
		enum scol col;
		int min;
	} shrink[] = {
		{SC_TUNNEL, 6},	  {SC_USER, 8},	   {SC_CLIENT, 0 /* address only */},
		{SC_VERDICT, 18}, {SC_SERVER, 15}, {SC_POLICY, 8},
		{SC_TUNNEL, 3},	  {SC_USER, 5},	   {SC_VERDICT, 12},
		{SC_SERVER, 9},	  {SC_CLIENT, 4},  {SC_VERDICT, 8},
		{SC_POLICY, 3},	  {SC_SENSOR, 6},
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
	w[SC_POLICY] = 0;
	w[SC_TUNNEL] = 0;
	w[SC_SENSOR] = 0;
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
		tui_row_policy_short(r, buf, sizeof(buf));
		if ((n = (int)strlen(buf)) > w[SC_POLICY])
			w[SC_POLICY] = n < 6 ? 6 : n; /* the heading's */
		if ((n = (int)strlen(r->tunnel)) > w[SC_TUNNEL])
			w[SC_TUNNEL] = n < 6 ? 6 : n;
		if ((n = (int)strlen(r->sensor)) > w[SC_SENSOR])
			w[SC_SENSOR] = n < 6 ? 6 : n > 16 ? 16 : n;
	}
	if (w[SC_USER] > 16)
		w[SC_USER] = 16;
	shrink[2].min = client_addr;
	total = -1;
	for (int i = 0; i < SC_N; i++)
		if (w[i])
			total += w[i] + 1;
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

void
tui_draw_sessions(struct tui *t, const struct layout *l)
{
	static const char *const heads[SC_N] = {"TIME",	   "SENSOR",  "CLIENT", "SERVER",
						"SERVICE", "VERDICT", "POLICY", "TLS",
						"USER",	   "A",	      "TUNNEL"};
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
	tui_draw_title(t, y++, PANEL_SESSIONS, title);
	session_widths(sn, w);
	tui_put(y, 0, COLS, A_UNDERLINE, "");
	x = 0;
	for (int c = 0; c < SC_N; c++) {
		if (!w[c])
			continue;
		tui_put(y, x, w[c], A_UNDERLINE,
			c == SC_SERVICE && w[c] < 7  ? "SVC"
			: c == SC_POLICY && w[c] < 6 ? "POL"
			: c == SC_TUNNEL && w[c] < 6 ? "TUN"
						     : heads[c]);
		x += w[c] + 1;
	}
	y++;
	if (!sn->n_rows)
		tui_put(y, 2, COLS - 2, tui_tone_attr(t, TUI_TONE_DIM),
			sn->c.sessions ? "(no session matches the filter)"
				       : "(no session finished yet)");
	for (size_t i = 0; i < sn->rows_n; i++, y++) {
		const struct tui_row *r = &sn->rows[i];
		attr_t base = tui_row_base(t, PANEL_SESSIONS, i);
		bool violated = r->seq && tui_row_policy_violated(r);
		char buf[128], vb[8];

		if (!tui_draw_row_start(t, y, base, r->seq != 0))
			continue;
		x = 0;
		tui_format_clock(r->ts_first_us, buf, sizeof(buf));
		tui_put(y, x, w[SC_TIME], base, buf);
		x += w[SC_TIME] + 1;
		if (w[SC_SENSOR]) {
			tui_put(y, x, w[SC_SENSOR], base, r->sensor);
			x += w[SC_SENSOR] + 1;
		}
		tui_put(y, x, w[SC_CLIENT], base,
			(int)strlen(r->client) <= w[SC_CLIENT] ? r->client : r->client_addr);
		x += w[SC_CLIENT] + 1;
		tui_put(y, x, w[SC_SERVER], base, r->server);
		x += w[SC_SERVER] + 1;
		tui_put(y, x, w[SC_SERVICE], base, r->service);
		x += w[SC_SERVICE] + 1;
		row_verdict(r, buf, sizeof(buf));
		if (violated)
			tui_put_text(y, x, w[SC_VERDICT], base,
				     base | tui_tone_attr(t, TUI_TONE_CRIT), buf);
		else
			tui_put(y, x, w[SC_VERDICT],
				base | tui_tone_attr(t, tui_verdict_tone(r->verdict)), buf);
		x += w[SC_VERDICT] + 1;
		if (w[SC_POLICY]) {
			tui_row_policy_short(r, buf, sizeof(buf));
			tui_put_text(
				y, x, w[SC_POLICY], base,
				base | tui_tone_attr(t, violated ? TUI_TONE_CRIT : TUI_TONE_GOOD),
				buf);
			x += w[SC_POLICY] + 1;
		}
		tui_put(y, x, w[SC_TLS],
			base | (r->server_hello ? tui_tone_attr(t, TUI_TONE_GOOD) : 0),
			tui_tls_short(r, vb));
		x += w[SC_TLS] + 1;
		row_user(r, buf, sizeof(buf));
		tui_put(y, x, w[SC_USER], base | (r->n_logins ? tui_tone_attr(t, TUI_TONE_BAD) : 0),
			buf);
		x += w[SC_USER] + 1;
		if (r->alerts) {
			snprintf(buf, sizeof(buf), "!%d", alert_count(r->alerts));
			tui_put(y, x, w[SC_ALERT], base | tui_tone_attr(t, TUI_TONE_BAD), buf);
		}
		x += w[SC_ALERT] + 1;
		if (w[SC_TUNNEL])
			tui_put_text(y, x, w[SC_TUNNEL], base,
				     base | tui_tone_attr(t, TUI_TONE_DIM), r->tunnel);
	}
}
