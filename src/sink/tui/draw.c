/*
 * draw.c - draws one frame of the dashboard from the snapshot (snapshot.c)
 * with curses: the header (state, source, counters), the sparkline of the
 * encrypted share over time, the ports, sessions and alerts panels, the
 * servers, detail and help views, and the footer (key hints, the filter
 * being typed, a passing status message).
 *
 * The sessions panel is drawn by draw_sessions.c, the servers view by
 * draw_servers.c, and every cell through draw_cells.c (draw.h). Tones
 * (tui_model.h) become colours, or attributes only under NO_COLOR or on a
 * terminal without colours; the verdict markers carry the meaning either
 * way. Everything shown is ASCII but the sparkline's marks, which are
 * block characters when the locale is UTF-8 (t->utf8).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "sink.h"

static void
fmt_elapsed(uint64_t us, char *buf, size_t bufsz)
{
	uint64_t s = us / 1000000;

	snprintf(buf, bufsz, "%" PRIu64 ":%02u:%02u", s / 3600, (unsigned)(s / 60 % 60),
		 (unsigned)(s % 60));
}

/* ---- Drawing ---------------------------------------------------------------------- */

/* The header's first line, in the bar's attributes, with "? help" at its
 * end when there is room. */
static void
draw_header_bar(const char *line, attr_t bar)
{
	tui_put(0, 0, COLS, bar, line);
	if (COLS >= 100 && (int)strlen(line) < COLS - 9)
		tui_put(0, COLS - 8, 8, bar, "? help");
}

/* The header's second line, the counters. A violated mail policy is the
 * loudest thing on the screen: it leads the line, in every view. */
static void
draw_header_counters(struct tui *t, const char *line, attr_t a)
{
	const struct tui_counters *c = &t->snap.c;

	if (c->critical) {
		char banner[96];
		int n = snprintf(banner, sizeof(banner),
				 " !! POLICY VIOLATED: %" PRIu64 " critical (c lists them) ",
				 c->critical);

		n = n < COLS ? n : COLS;
		tui_put(1, 0, n, tui_tone_attr(t, TUI_TONE_CRIT), banner);
		tui_put(1, n, COLS - n, a, line);
		return;
	}
	tui_put(1, 0, COLS, a, line);
}

/* The header of tlswatch --cluster: what is read from Redis. */
static void
draw_header_cluster(struct tui *t, const char *state, const char *e, attr_t bar)
{
	const struct snap *sn = &t->snap;
	bool lost = sn->cluster_status[0] != '\0';
	char line[1024], cl[32];

	snprintf(line, sizeof(line), " tlswatch  %s  elapsed %s  %s",
		 lost	     ? sn->cluster_status
		 : t->paused ? state
			     : "running",
		 e, sn->cluster);
	draw_header_bar(line, lost ? tui_tone_attr(t, TUI_TONE_CRIT) : bar);
	tui_format_count((double)sn->c.sessions, cl, sizeof(cl));
	snprintf(line, sizeof(line),
		 " sessions %s  alerts %" PRIu64
		 "  (recent ones from the sensors' streams; ports and servers: all)",
		 cl, sn->c.alerts);
	draw_header_counters(t, line, A_NORMAL);
}

static void
draw_header(struct tui *t)
{
	const struct snap *sn = &t->snap;
	const struct tui_counters *c = &sn->c;
	char line[1024], a[32], b[32], e[32], r1[32], r2[32], drops[32], o[32], cl[32], ev[32];
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
	if (t->cluster) {
		draw_header_cluster(t, state, e, bar);
		return;
	}
	if (t->live)
		snprintf(line, sizeof(line), " tlswatch  %s  elapsed %s  live %s", state, e,
			 t->source);
	else if (t->speed > 0)
		snprintf(line, sizeof(line), " tlswatch  %s  elapsed %s  replay x%g %s", state, e,
			 t->speed, t->source);
	else
		snprintf(line, sizeof(line), " tlswatch  %s  elapsed %s  replay %s%s", state, e,
			 t->source, COLS >= 100 ? " (max speed)" : "");
	draw_header_bar(line, bar);

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
	draw_header_counters(t, line,
			     (c->drops || c->evicted) ? tui_tone_attr(t, TUI_TONE_WARN) : A_NORMAL);
}

/* A time span for the sparkline: "1 s", "10 min", "6 h", "2 d". */
static void
fmt_span(uint64_t us, char *buf, size_t bufsz)
{
	uint64_t s = us / 1000000;

	if (s && s % 86400 == 0)
		snprintf(buf, bufsz, "%" PRIu64 " d", s / 86400);
	else if (s && s % 3600 == 0)
		snprintf(buf, bufsz, "%" PRIu64 " h", s / 3600);
	else if (s && s % 60 == 0)
		snprintf(buf, bufsz, "%" PRIu64 " min", s / 60);
	else
		snprintf(buf, bufsz, "%" PRIu64 " s", s);
}

#define SPARK_LEVELS 8

/* The encrypted share over time, one mark per bucket of sessions (by the
 * time of their first packet, summary_timeline, as the HTML report's
 * chart): the taller the mark the larger the share; the lowest only when
 * none was encrypted, the highest only when all were; a blank: no session
 * started then. Block characters in a UTF-8 locale, else ASCII. */
static void
draw_spark(struct tui *t, const struct layout *l)
{
	static const char *const blocks[SPARK_LEVELS] = {
		"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588",
	};
	static const char ascii[SPARK_LEVELS + 1] = "_.-~=+*#";
	const struct snap *sn = &t->snap;
	struct tui_spark_mark marks[SUMMARY_BUCKETS];
	const char *label = " Encrypted share ";
	int x = (int)strlen(label), y = l->spark_y, room;
	uint64_t mark_us, all = 0, enc = 0;
	size_t n;
	char suffix[96], span[32];

	tui_put(y, 0, COLS, A_NORMAL, "");
	tui_put(y, 0, x, A_BOLD, label);
	if (!sn->n_timeline) {
		tui_put(y, x, COLS - x, tui_tone_attr(t, TUI_TONE_DIM),
			"(no session finished yet)");
		return;
	}
	/* The marks get what the label and the numbers leave. */
	room = COLS - x - 36;
	if (room < 8)
		room = 8;
	n = tui_spark_compute(sn->timeline, sn->n_timeline, sn->timeline_width_us,
			      (size_t)room < SUMMARY_BUCKETS ? (size_t)room : SUMMARY_BUCKETS,
			      SPARK_LEVELS, marks, &mark_us);
	for (size_t i = 0; i < n; i++, x++) {
		const struct tui_spark_mark *k = &marks[i];
		enum tui_tone tone = k->level == SPARK_LEVELS - 1 ? TUI_TONE_GOOD
				     : k->level == 0		  ? TUI_TONE_BAD
								  : TUI_TONE_WARN;
		char c[2] = {k->level < 0 ? ' ' : ascii[k->level], '\0'};

		all += k->sessions;
		enc += k->encrypted;
		attrset(tui_tone_attr(t, tone));
		if (t->utf8 && k->level >= 0)
			mvaddstr(y, x, blocks[k->level]);
		else
			mvaddstr(y, x, c);
		attrset(A_NORMAL);
	}
	fmt_span(mark_us, span, sizeof(span));
	snprintf(suffix, sizeof(suffix), "  last %.0f%%  all %.0f%%  %s a mark",
		 100.0 * (double)marks[n - 1].encrypted /
			 (double)(marks[n - 1].sessions ? marks[n - 1].sessions : 1),
		 100.0 * (double)enc / (double)(all ? all : 1), span);
	tui_put(y, x, COLS - x, A_NORMAL, suffix);
}

static void
draw_ports(struct tui *t, const struct layout *l)
{
	static const char *const heads[] = {"SESS", "IMPL", "STLS", "CLEAR",
					    "DOWN", "FAIL", "UNKN", "LOGIN"};
	const struct snap *sn = &t->snap;
	int nw = COLS >= 100 ? 7 : 6, y = l->ports_y;
	int barx = 9 + 1 + 8 + 1 + 8 * nw + 1;
	char title[256];

	snprintf(title, sizeof(title), "Ports  %zu", sn->n_ports);
	tui_draw_title(t, y++, PANEL_PORTS, title);
	tui_put(y, 0, COLS, A_UNDERLINE, "");
	tui_put(y, 0, 9, A_UNDERLINE, "PORT");
	tui_put(y, 10, 8, A_UNDERLINE, "SERVICE");
	for (int i = 0; i < 8; i++)
		tui_put_right(y, 19 + i * nw, nw, A_UNDERLINE, heads[i]);
	tui_put(y, barx, COLS - barx, A_UNDERLINE, "ENCRYPTED");
	y++;
	if (!sn->n_ports)
		tui_put(y, 2, COLS - 2, tui_tone_attr(t, TUI_TONE_DIM),
			"(no session finished yet)");
	for (size_t i = 0; i < sn->ports_n; i++, y++) {
		const struct summary_row *r = &sn->ports[i];
		attr_t base = tui_row_base(t, PANEL_PORTS, i);
		char buf[32];

		tui_put(y, 0, COLS, base, "");
		snprintf(buf, sizeof(buf), "%u/%s", r->port, transport_name(r->l4));
		tui_put(y, 0, 9, base, buf);
		tui_put(y, 10, 8, base, r->service ? r->service : "?");
		tui_draw_counts(t, y, 19, nw, base, r);
		if (COLS - barx >= 5)
			tui_draw_bar(t, y, barx, COLS - barx > 28 ? 28 : COLS - barx,
				     summary_encrypted_share(r), base);
	}
}

static void
draw_alerts(struct tui *t, const struct layout *l)
{
	const struct snap *sn = &t->snap;
	bool wide = COLS >= 100;
	int y = l->alerts_y, x, srvw = 6, senw = 0, evx;
	char title[256], extra[128];

	extra[0] = '\0';
	if (sn->alerts_dropped)
		snprintf(extra, sizeof(extra), " (%" PRIu64 " older not kept)", sn->alerts_dropped);
	snprintf(title, sizeof(title), "Alerts  %zu shown / %" PRIu64 " raised%s", sn->n_alerts,
		 sn->c.alerts, extra);
	tui_draw_title(t, y++, PANEL_ALERTS, title);
	for (size_t i = 0; i < sn->alerts_n; i++)
		if ((int)strlen(sn->alerts[i].server) > srvw)
			srvw = (int)strlen(sn->alerts[i].server);
	if (srvw > 24)
		srvw = 24;
	/* SENSOR only when an alert came from a sensor (tlswatch --cluster). */
	for (size_t i = 0; i < sn->alerts_n; i++)
		if ((int)strlen(sn->alerts[i].sensor) > senw)
			senw = (int)strlen(sn->alerts[i].sensor);
	if (senw && senw < 6)
		senw = 6;
	if (senw > 16)
		senw = 16;
	tui_put(y, 0, COLS, A_UNDERLINE, "");
	x = 0;
	if (wide) {
		tui_put(y, x, 8, A_UNDERLINE, "TIME");
		x += 9;
	}
	tui_put(y, x, 11, A_UNDERLINE, "SEVERITY");
	tui_put(y, x + 12, 27, A_UNDERLINE, "KIND");
	tui_put(y, x + 40, 7, A_UNDERLINE, "SESSION");
	tui_put(y, x + 48, srvw, A_UNDERLINE, "SERVER");
	evx = x + 49 + srvw;
	if (senw) {
		tui_put(y, evx, senw, A_UNDERLINE, "SENSOR");
		evx += senw + 1;
	}
	tui_put(y, evx, COLS - evx, A_UNDERLINE, "EVIDENCE");
	y++;
	if (!sn->n_alerts)
		tui_put(y, 2, COLS - 2, tui_tone_attr(t, TUI_TONE_DIM),
			sn->c.alerts ? "(no alert matches the filter)" : "(no alert raised)");
	for (size_t i = 0; i < sn->alerts_n; i++, y++) {
		const struct tui_alert *ta = &sn->alerts[i];
		const struct alert *a = &ta->a;
		attr_t base = tui_row_base(t, PANEL_ALERTS, i);
		attr_t sev = tui_tone_attr(t, tui_severity_tone(a->severity));
		char buf[64];

		if (!tui_draw_row_start(t, y, base, ta->seq != 0))
			continue;
		x = 0;
		if (wide) {
			tui_format_clock(a->ts_us, buf, sizeof(buf));
			tui_put(y, x, 8, base, buf);
			x += 9;
		}
		snprintf(buf, sizeof(buf), "%s %s", a->severity == SEVERITY_CRITICAL ? "!!" : "!",
			 severity_name(a->severity));
		tui_put_text(y, x, 11, base, base | sev, buf);
		tui_put_text(y, x + 12, 27, base, base | sev, alert_kind_name(a->kind));
		snprintf(buf, sizeof(buf), "#%" PRIu64, a->session_id);
		tui_put(y, x + 40, 7, base, buf);
		tui_put(y, x + 48, srvw, base, ta->server);
		evx = x + 49 + srvw;
		if (senw) {
			tui_put(y, evx, senw, base, ta->sensor);
			evx += senw + 1;
		}
		tui_put(y, evx, COLS - evx, base, a->evidence);
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
			tui_put(y, 0, COLS, a, "");
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
			tui_put(y + used, 0, lead, A_NORMAL, "");
			tui_put(y + used, lead, COLS - lead, a, chunk);
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

	tui_put(l->body_y, 0, COLS, A_REVERSE | A_BOLD, title);
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
			y += draw_wrapped(y, y_end, tui_tone_attr(t, tx->lines[i].tone),
					  tx->lines[i].text, true);
		}
	}
	while (y < y_end)
		tui_put(y++, 0, COLS, A_NORMAL, "");
}

/* The help screen; its key lines come from the key table (keys.c). */
static void
draw_help(struct tui *t, const struct layout *l)
{
	struct tui_text tx = {0};
	struct tui_text_line lines[TUI_HELP_LINES_MAX];

	tx.lines = lines;
	tx.n = tui_help_lines(lines, TUI_HELP_LINES_MAX);
	draw_lines(t, l, &tx, &t->help_top, " Help   (Esc or ? to go back, q to quit)");
}

static void
draw_footer(struct tui *t)
{
	char line[512];
	int y = LINES - 1;

	if (t->editing) {
		snprintf(line, sizeof(line), " Filter: %s", t->edit);
		tui_put(y, 0, COLS - 1, A_BOLD, line);
		if (COLS > 60) {
			const char *hint = "Enter keep  Esc cancel  ? help";
			int hx = COLS - 1 - (int)strlen(hint);

			if (hx > (int)strlen(line) + 2)
				tui_put(y, hx, (int)strlen(hint), tui_tone_attr(t, TUI_TONE_DIM),
					hint);
		}
		return;
	}
	if (t->status[0] && tui_now_us() < t->status_until) {
		tui_put(y, 0, COLS - 1, tui_tone_attr(t, TUI_TONE_WARN), t->status);
		return;
	}
	if (t->view == VIEW_DETAIL)
		tui_put(y, 0, COLS - 1, A_NORMAL,
			" Esc back  Up/Down PgUp/PgDn scroll  q quit  ? help");
	else if (t->view == VIEW_HELP)
		tui_put(y, 0, COLS - 1, A_NORMAL, " Esc back  q quit");
	else if (t->view == VIEW_SERVERS)
		tui_put(y, 0, COLS - 1, A_NORMAL,
			" Esc/v back  Up/Down move  Enter its sessions  s sort  p pause  ? help  q "
			"quit");
	else if (COLS > 90)
		tui_put(y, 0, COLS - 1, A_NORMAL,
			" q quit  ? help  Tab panel  Enter detail  / filter  f problems  s sort  p "
			"pause  v servers");
	else /* s and p are in the help */
		tui_put(y, 0, COLS - 1, A_NORMAL,
			" q quit  ? help  v servers  Tab panel  Enter detail  / filter  f "
			"problems");
}

void
tui_draw(struct tui *t)
{
	struct layout l;

	tui_snap_take(t, &l);
	erase();
	draw_header(t);
	if (!l.too_small && l.spark_y >= 0 && (t->view == VIEW_MAIN || t->view == VIEW_SERVERS))
		draw_spark(t, &l);
	if (l.too_small) {
		char msg[128];

		snprintf(msg, sizeof(msg), "terminal too small (%dx%d): the dashboard needs %dx%d",
			 COLS, LINES, MIN_COLS, MIN_LINES);
		tui_put(LINES / 2, 0, COLS, A_BOLD, msg);
	} else if (t->view == VIEW_HELP) {
		draw_help(t, &l);
	} else if (t->view == VIEW_SERVERS) {
		tui_draw_servers(t, &l);
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
		tui_draw_sessions(t, &l);
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
