/*
 * draw.c - draws one frame of the dashboard from the snapshot (snapshot.c)
 * with curses: the header (state, source, counters), the sparkline of the
 * encrypted share over time, the ports, sessions and alerts panels, the
 * servers, detail and help views, and the footer (key hints, the filter
 * being typed, a passing status message).
 *
 * A frame starts from an erased screen and is written through put(), which
 * cuts text to its column and pads it with spaces; curses sends only what
 * changed. Tones (tui_model.h) become colours, or attributes only under
 * NO_COLOR or on a terminal without colours; the verdict markers carry the
 * meaning either way. Everything shown is ASCII but the sparkline's marks,
 * which are block characters when the locale is UTF-8 (t->utf8).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dashboard.h"
#include "sink.h"

/* ---- Cells -------------------------------------------------------------------------- */

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
	case TUI_TONE_CRIT: /* reverse red: stands out even among the BAD ones */
		return t->color ? COLOR_PAIR(PAIR_BAD) | A_BOLD | A_REVERSE
				: A_BOLD | A_REVERSE | A_UNDERLINE;
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

/* The same, the padding in pad and only the text in a: a reverse-video
 * tone (critical) marks the words, not the whole column. */
static void
put_text(int y, int x, int w, attr_t pad, attr_t a, const char *s)
{
	int n = (int)strlen(s);

	put(y, x, w, pad, "");
	if (n)
		put(y, x, n < w ? n : w, a, s);
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

/* ---- Drawing ---------------------------------------------------------------------- */

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
		bool lost = sn->cluster_status[0] != '\0';

		snprintf(line, sizeof(line), " tlswatch  %s  elapsed %s  %s",
			 lost	     ? sn->cluster_status
			 : t->paused ? state
				     : "running",
			 e, sn->cluster);
		put(0, 0, COLS, lost ? tone_attr(t, TUI_TONE_CRIT) : bar, line);
		if (COLS >= 100 && (int)strlen(line) < COLS - 9)
			put(0, COLS - 8, 8, lost ? tone_attr(t, TUI_TONE_CRIT) : bar, "? help");
		tui_format_count((double)c->sessions, cl, sizeof(cl));
		snprintf(line, sizeof(line),
			 " sessions %s  alerts %" PRIu64
			 "  (recent ones from the sensors' streams; ports and servers: all)",
			 cl, c->alerts);
		if (c->critical) {
			char banner[96];
			int n = snprintf(banner, sizeof(banner),
					 " !! POLICY VIOLATED: %" PRIu64
					 " critical (c lists them) ",
					 c->critical);

			n = n < COLS ? n : COLS;
			put(1, 0, n, tone_attr(t, TUI_TONE_CRIT), banner);
			put(1, n, COLS - n, A_NORMAL, line);
		} else {
			put(1, 0, COLS, A_NORMAL, line);
		}
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
	/* A violated mail policy is the loudest thing on the screen: it leads
	 * the counters' line, in every view. */
	if (c->critical) {
		char banner[96];
		int n = snprintf(banner, sizeof(banner),
				 " !! POLICY VIOLATED: %" PRIu64 " critical (c lists them) ",
				 c->critical);

		n = n < COLS ? n : COLS;
		put(1, 0, n, tone_attr(t, TUI_TONE_CRIT), banner);
		put(1, n, COLS - n,
		    (c->drops || c->evicted) ? tone_attr(t, TUI_TONE_WARN) : A_NORMAL, line);
		return;
	}
	put(1, 0, COLS, (c->drops || c->evicted) ? tone_attr(t, TUI_TONE_WARN) : A_NORMAL, line);
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

	put(y, 0, COLS, A_NORMAL, "");
	put(y, 0, x, A_BOLD, label);
	if (!sn->n_timeline) {
		put(y, x, COLS - x, tone_attr(t, TUI_TONE_DIM), "(no session finished yet)");
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
		attrset(tone_attr(t, tone));
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
	put(y, x, COLS - x, A_NORMAL, suffix);
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
		snprintf(buf, sizeof(buf), "%u/%s", r->port, transport_name(r->l4));
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

/* A server's policy cell: "" without a mail policy, else what protects it
 * ("sts" MTA-STS, "dane", "sts+dane", "none") and the domain, after
 * "!!1/2 " when 1 of its 2 sessions under the policy violated it. */
static void
server_policy(const struct summary_row *r, char *buf, size_t bufsz)
{
	bool sts = r->policy_mta_sts != STS_ABSENT && r->policy_mta_sts != STS_NONE;
	char v[48] = "";

	if (!r->policy_sessions) {
		buf[0] = '\0';
		return;
	}
	if (r->policy_violations)
		snprintf(v, sizeof(v), "!!%" PRIu64 "/%" PRIu64 " ", r->policy_violations,
			 r->policy_sessions);
	snprintf(buf, bufsz, "%s%s%s%s %s", v, sts ? "sts" : "", sts && r->policy_dane ? "+" : "",
		 r->policy_dane ? "dane"
		 : sts		? ""
				: "none",
		 r->policy_domain);
}

/* A server's tunnel cell: "" when none of its sessions came in a tunnel,
 * else the first tunnelled session's encapsulations and how many of its
 * sessions were tunnelled ("vxlan 2/5"). */
static void
server_tunnel(const struct summary_row *r, char *buf, size_t bufsz)
{
	char t[64];

	if (!r->tunnelled) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, bufsz, "%s %" PRIu64 "/%" PRIu64,
		 decode_tunnel_list(r->tunnels, r->tunnel_depth, t, sizeof(t)), r->tunnelled,
		 r->sessions);
}

/* The servers view: one row per server (ip:port) as the text report's "Per
 * server" table counts it, problems first unless sorted otherwise, with a
 * bar of the share encrypted when there is room. */
static void
draw_servers(struct tui *t, const struct layout *l)
{
	static const char *const heads[] = {"SESS", "IMPL", "STLS", "CLEAR",
					    "DOWN", "FAIL", "UNKN", "LOGIN"};
	static const char *const heads5[] = {"SESS", "IMPL", "STLS", "CLR",
					     "DOWN", "FAIL", "UNKN", "LOGN"};
	static const enum tui_tone tones[8] = {
		TUI_TONE_NORMAL, TUI_TONE_GOOD, TUI_TONE_GOOD, TUI_TONE_WARN,
		TUI_TONE_BAD,	 TUI_TONE_BAD,	TUI_TONE_DIM,  TUI_TONE_BAD,
	};
	const struct snap *sn = &t->snap;
	const struct pane *p = &t->servers_pane;
	int y = l->servers_y, w = 6, nw = 6, pw = 0, tw = 0, x, fixed, barx;
	char line[512], buf[64], pol[160], tun[96];

	snprintf(line, sizeof(line), "Servers  %zu, %zu with problems  sort: %s%s", sn->n_servers,
		 sn->n_server_problems, tui_server_sort_name(sn->server_sort),
		 t->paused ? "  PAUSED" : "");
	put(y++, 0, COLS, A_REVERSE | A_BOLD, line);
	for (size_t i = 0; i < sn->servers_n; i++) {
		sink_format_endpoint(sn->servers[i].family, sn->servers[i].ip, sn->servers[i].port,
				     buf, sizeof(buf));
		if ((int)strlen(buf) > w)
			w = (int)strlen(buf);
		server_policy(&sn->servers[i], pol, sizeof(pol));
		if ((int)strlen(pol) > pw)
			pw = (int)strlen(pol) < 40 ? (int)strlen(pol) : 40;
		server_tunnel(&sn->servers[i], tun, sizeof(tun));
		if ((int)strlen(tun) > tw)
			tw = (int)strlen(tun) < 24 ? (int)strlen(tun) : 24;
	}
	if (tw && tw < 6)
		tw = 6; /* the heading */
	/* SERVER SERVICE, eight counts, ENC, UPG, POLICY (when a server has a
	 * mail policy) and TUNNEL (when one was reached in a tunnel): narrower
	 * counts, then cut tunnel and policy columns, then a cut server
	 * column, when it does not fit. */
	fixed = 1 + 8 + 8 * nw + 5 + 5 + (pw ? pw + 1 : 0) + (tw ? tw + 1 : 0);
	if (w + fixed > COLS) {
		nw = 5;
		fixed -= 8;
	}
	if (tw > 6 && w + fixed > COLS) {
		int cut = w + fixed - COLS < tw - 6 ? w + fixed - COLS : tw - 6;

		tw -= cut;
		fixed -= cut;
	}
	if (pw > 9 && w + fixed > COLS) {
		int cut = w + fixed - COLS < pw - 9 ? w + fixed - COLS : pw - 9;

		pw -= cut;
		fixed -= cut;
	}
	if (w + fixed > COLS)
		w = COLS - fixed > 6 ? COLS - fixed : 6;
	barx = w + fixed + 2;
	put(y, 0, COLS, A_UNDERLINE, "");
	put(y, 0, w, A_UNDERLINE, "SERVER");
	put(y, w + 1, 7, A_UNDERLINE, "SERVICE");
	x = w + 9;
	for (int i = 0; i < 8; i++, x += nw)
		put_right(y, x, nw, A_UNDERLINE, nw == 6 ? heads[i] : heads5[i]);
	put_right(y, x, 5, A_UNDERLINE, "ENC");
	put_right(y, x + 5, 5, A_UNDERLINE, "UPG");
	if (pw)
		put(y, x + 11, pw, A_UNDERLINE, "POLICY");
	if (tw)
		put(y, x + 11 + (pw ? pw + 1 : 0), tw, A_UNDERLINE, "TUNNEL");
	if (COLS - barx >= 8)
		put(y, barx, COLS - barx, A_UNDERLINE, "ENCRYPTED");
	y++;
	if (!sn->n_servers)
		put(y, 2, COLS - 2, tone_attr(t, TUI_TONE_DIM), "(no session finished yet)");
	for (size_t i = 0; i < sn->servers_n; i++, y++) {
		const struct summary_row *r = &sn->servers[i];
		attr_t base = p->top + i == p->cursor ? A_REVERSE : A_NORMAL;
		double share = summary_encrypted_share(r);
		const char *offer = summary_offer_name(r);
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
		enum tui_tone st = share >= 1	? TUI_TONE_GOOD
				   : share <= 0 ? TUI_TONE_BAD
						: TUI_TONE_WARN;
		enum tui_tone ot = strcmp(offer, "yes") == 0	? TUI_TONE_GOOD
				   : strcmp(offer, "some") == 0 ? TUI_TONE_BAD
				   : strcmp(offer, "no") == 0	? TUI_TONE_WARN
								: TUI_TONE_DIM;

		put(y, 0, COLS, base, "");
		sink_format_endpoint(r->family, r->ip, r->port, buf, sizeof(buf));
		put(y, 0, w, base, buf);
		put(y, w + 1, 7, base, r->service ? r->service : "?");
		x = w + 9;
		for (int k = 0; k < 8; k++, x += nw) {
			fmt_u64(v[k], nw - 1, buf, sizeof(buf));
			put_right(y, x, nw, base | (v[k] && k ? tone_attr(t, tones[k]) : A_NORMAL),
				  buf);
		}
		snprintf(buf, sizeof(buf), "%.0f%%", share * 100);
		put_right(y, x, 5, base | tone_attr(t, st), buf);
		put_right(y, x + 5, 5, base | tone_attr(t, ot), offer);
		if (pw) {
			server_policy(r, pol, sizeof(pol));
			put_text(y, x + 11, pw, base,
				 base | tone_attr(t, r->policy_violations ? TUI_TONE_CRIT
									  : TUI_TONE_GOOD),
				 pol);
		}
		if (tw) {
			server_tunnel(r, tun, sizeof(tun));
			put(y, x + 11 + (pw ? pw + 1 : 0), tw, base, tun);
		}
		if (COLS - barx >= 8) {
			int inner = (COLS - barx > 22 ? 22 : COLS - barx) - 2;
			int full = (int)(share * inner + 0.5);

			put(y, barx, 1, base, "[");
			for (int b = 0; b < inner; b++)
				put(y, barx + 1 + b, 1,
				    base | tone_attr(t, b < full ? TUI_TONE_GOOD : TUI_TONE_DIM),
				    b < full ? "#" : ".");
			put(y, barx + 1 + inner, 1, base, "]");
		}
	}
	put(LINES - 2, 0, COLS, tone_attr(t, TUI_TONE_DIM),
	    " UPG: upgrade offered? yes, no, some (in some sessions only), - (none seen)");
}

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

static void
draw_sessions(struct tui *t, const struct layout *l)
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
	draw_title(t, y++, PANEL_SESSIONS, title);
	session_widths(sn, w);
	put(y, 0, COLS, A_UNDERLINE, "");
	x = 0;
	for (int c = 0; c < SC_N; c++) {
		if (!w[c])
			continue;
		put(y, x, w[c], A_UNDERLINE,
		    c == SC_SERVICE && w[c] < 7	 ? "SVC"
		    : c == SC_POLICY && w[c] < 6 ? "POL"
		    : c == SC_TUNNEL && w[c] < 6 ? "TUN"
						 : heads[c]);
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
		bool violated = r->seq && tui_row_policy_violated(r);
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
		if (w[SC_SENSOR]) {
			put(y, x, w[SC_SENSOR], base, r->sensor);
			x += w[SC_SENSOR] + 1;
		}
		put(y, x, w[SC_CLIENT], base,
		    (int)strlen(r->client) <= w[SC_CLIENT] ? r->client : r->client_addr);
		x += w[SC_CLIENT] + 1;
		put(y, x, w[SC_SERVER], base, r->server);
		x += w[SC_SERVER] + 1;
		put(y, x, w[SC_SERVICE], base, r->service);
		x += w[SC_SERVICE] + 1;
		row_verdict(r, buf, sizeof(buf));
		if (violated)
			put_text(y, x, w[SC_VERDICT], base, base | tone_attr(t, TUI_TONE_CRIT),
				 buf);
		else
			put(y, x, w[SC_VERDICT], base | tone_attr(t, tui_verdict_tone(r->verdict)),
			    buf);
		x += w[SC_VERDICT] + 1;
		if (w[SC_POLICY]) {
			tui_row_policy_short(r, buf, sizeof(buf));
			put_text(y, x, w[SC_POLICY], base,
				 base | tone_attr(t, violated ? TUI_TONE_CRIT : TUI_TONE_GOOD),
				 buf);
			x += w[SC_POLICY] + 1;
		}
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
		x += w[SC_ALERT] + 1;
		if (w[SC_TUNNEL])
			put_text(y, x, w[SC_TUNNEL], base, base | tone_attr(t, TUI_TONE_DIM),
				 r->tunnel);
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
	draw_title(t, y++, PANEL_ALERTS, title);
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
	put(y, 0, COLS, A_UNDERLINE, "");
	x = 0;
	if (wide) {
		put(y, x, 8, A_UNDERLINE, "TIME");
		x += 9;
	}
	put(y, x, 11, A_UNDERLINE, "SEVERITY");
	put(y, x + 12, 27, A_UNDERLINE, "KIND");
	put(y, x + 40, 7, A_UNDERLINE, "SESSION");
	put(y, x + 48, srvw, A_UNDERLINE, "SERVER");
	evx = x + 49 + srvw;
	if (senw) {
		put(y, evx, senw, A_UNDERLINE, "SENSOR");
		evx += senw + 1;
	}
	put(y, evx, COLS - evx, A_UNDERLINE, "EVIDENCE");
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
		attr_t sev = tone_attr(t, tui_severity_tone(a->severity));
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
		snprintf(buf, sizeof(buf), "%s %s", a->severity == SEVERITY_CRITICAL ? "!!" : "!",
			 severity_name(a->severity));
		put_text(y, x, 11, base, base | sev, buf);
		put_text(y, x + 12, 27, base, base | sev, alert_kind_name(a->kind));
		snprintf(buf, sizeof(buf), "#%" PRIu64, a->session_id);
		put(y, x + 40, 7, base, buf);
		put(y, x + 48, srvw, base, ta->server);
		evx = x + 49 + srvw;
		if (senw) {
			put(y, evx, senw, base, ta->sensor);
			evx += senw + 1;
		}
		put(y, evx, COLS - evx, base, a->evidence);
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
		put(y, 0, COLS - 1, A_BOLD, line);
		if (COLS > 60) {
			const char *hint = "Enter keep  Esc cancel  ? help";
			int hx = COLS - 1 - (int)strlen(hint);

			if (hx > (int)strlen(line) + 2)
				put(y, hx, (int)strlen(hint), tone_attr(t, TUI_TONE_DIM), hint);
		}
		return;
	}
	if (t->status[0] && tui_now_us() < t->status_until) {
		put(y, 0, COLS - 1, tone_attr(t, TUI_TONE_WARN), t->status);
		return;
	}
	if (t->view == VIEW_DETAIL)
		put(y, 0, COLS - 1, A_NORMAL,
		    " Esc back  Up/Down PgUp/PgDn scroll  q quit  ? help");
	else if (t->view == VIEW_HELP)
		put(y, 0, COLS - 1, A_NORMAL, " Esc back  q quit");
	else if (t->view == VIEW_SERVERS)
		put(y, 0, COLS - 1, A_NORMAL,
		    " Esc/v back  Up/Down move  Enter its sessions  s sort  p pause  ? help  q "
		    "quit");
	else if (COLS > 90)
		put(y, 0, COLS - 1, A_NORMAL,
		    " q quit  ? help  Tab panel  Enter detail  / filter  f problems  s sort  p "
		    "pause  v servers");
	else /* s and p are in the help */
		put(y, 0, COLS - 1, A_NORMAL,
		    " q quit  ? help  v servers  Tab panel  Enter detail  / filter  f problems");
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
		put(LINES / 2, 0, COLS, A_BOLD, msg);
	} else if (t->view == VIEW_HELP) {
		draw_help(t, &l);
	} else if (t->view == VIEW_SERVERS) {
		draw_servers(t, &l);
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
