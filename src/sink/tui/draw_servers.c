/*
 * draw_servers.c - the dashboard's servers view: one row per server
 * (ip:port) as the text report's "Per server" table counts it, problems
 * first unless sorted otherwise, with its mail policy and tunnels when a
 * server has them and a bar of the share encrypted when there is room.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "sink.h"

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

/* The view's column widths: the server's (w), each count's (nw), the
 * policy's and the tunnel's (pw, tw: 0 when not shown), and where the bar
 * starts. */
struct servers_cols {
	int w, nw, pw, tw, barx;
};

/* SERVER SERVICE, eight counts, ENC, UPG, POLICY (when a server has a
 * mail policy) and TUNNEL (when one was reached in a tunnel): what the
 * rows hold, then, when it does not fit, narrower counts, cut tunnel and
 * policy columns, then a cut server column. */
static void
servers_widths(const struct snap *sn, struct servers_cols *c)
{
	int w = 6, nw = 6, pw = 0, tw = 0, fixed;
	char buf[64], pol[160], tun[96];

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
	c->w = w;
	c->nw = nw;
	c->pw = pw;
	c->tw = tw;
	c->barx = w + fixed + 2;
}

static void
servers_head(int y, const struct servers_cols *c)
{
	static const char *const heads[] = {"SESS", "IMPL", "STLS", "CLEAR",
					    "DOWN", "FAIL", "UNKN", "LOGIN"};
	static const char *const heads5[] = {"SESS", "IMPL", "STLS", "CLR",
					     "DOWN", "FAIL", "UNKN", "LOGN"};
	int x = c->w + 9;

	tui_put(y, 0, COLS, A_UNDERLINE, "");
	tui_put(y, 0, c->w, A_UNDERLINE, "SERVER");
	tui_put(y, c->w + 1, 7, A_UNDERLINE, "SERVICE");
	for (int i = 0; i < 8; i++, x += c->nw)
		tui_put_right(y, x, c->nw, A_UNDERLINE, c->nw == 6 ? heads[i] : heads5[i]);
	tui_put_right(y, x, 5, A_UNDERLINE, "ENC");
	tui_put_right(y, x + 5, 5, A_UNDERLINE, "UPG");
	if (c->pw)
		tui_put(y, x + 11, c->pw, A_UNDERLINE, "POLICY");
	if (c->tw)
		tui_put(y, x + 11 + (c->pw ? c->pw + 1 : 0), c->tw, A_UNDERLINE, "TUNNEL");
	if (COLS - c->barx >= 8)
		tui_put(y, c->barx, COLS - c->barx, A_UNDERLINE, "ENCRYPTED");
}

static void
servers_row(struct tui *t, int y, const struct summary_row *r, attr_t base,
	    const struct servers_cols *c)
{
	double share = summary_encrypted_share(r);
	const char *offer = summary_offer_name(r);
	enum tui_tone st = share >= 1 ? TUI_TONE_GOOD : share <= 0 ? TUI_TONE_BAD : TUI_TONE_WARN;
	enum tui_tone ot = strcmp(offer, "yes") == 0	? TUI_TONE_GOOD
			   : strcmp(offer, "some") == 0 ? TUI_TONE_BAD
			   : strcmp(offer, "no") == 0	? TUI_TONE_WARN
							: TUI_TONE_DIM;
	char buf[64], pol[160], tun[96];
	int x;

	tui_put(y, 0, COLS, base, "");
	sink_format_endpoint(r->family, r->ip, r->port, buf, sizeof(buf));
	tui_put(y, 0, c->w, base, buf);
	tui_put(y, c->w + 1, 7, base, r->service ? r->service : "?");
	x = tui_draw_counts(t, y, c->w + 9, c->nw, base, r);
	snprintf(buf, sizeof(buf), "%.0f%%", share * 100);
	tui_put_right(y, x, 5, base | tui_tone_attr(t, st), buf);
	tui_put_right(y, x + 5, 5, base | tui_tone_attr(t, ot), offer);
	if (c->pw) {
		server_policy(r, pol, sizeof(pol));
		tui_put_text(y, x + 11, c->pw, base,
			     base | tui_tone_attr(t, r->policy_violations ? TUI_TONE_CRIT
									  : TUI_TONE_GOOD),
			     pol);
	}
	if (c->tw) {
		server_tunnel(r, tun, sizeof(tun));
		tui_put(y, x + 11 + (c->pw ? c->pw + 1 : 0), c->tw, base, tun);
	}
	if (COLS - c->barx >= 8)
		tui_draw_marks(t, y, c->barx, (COLS - c->barx > 22 ? 22 : COLS - c->barx) - 2,
			       share, base);
}

void
tui_draw_servers(struct tui *t, const struct layout *l)
{
	const struct snap *sn = &t->snap;
	const struct pane *p = &t->servers_pane;
	struct servers_cols c;
	int y = l->servers_y;
	char line[512];

	snprintf(line, sizeof(line), "Servers  %zu, %zu with problems  sort: %s%s", sn->n_servers,
		 sn->n_server_problems, tui_server_sort_name(sn->server_sort),
		 t->paused ? "  PAUSED" : "");
	tui_put(y++, 0, COLS, A_REVERSE | A_BOLD, line);
	servers_widths(sn, &c);
	servers_head(y++, &c);
	if (!sn->n_servers)
		tui_put(y, 2, COLS - 2, tui_tone_attr(t, TUI_TONE_DIM),
			"(no session finished yet)");
	for (size_t i = 0; i < sn->servers_n; i++, y++)
		servers_row(t, y, &sn->servers[i], p->top + i == p->cursor ? A_REVERSE : A_NORMAL,
			    &c);
	tui_put(LINES - 2, 0, COLS, tui_tone_attr(t, TUI_TONE_DIM),
		" UPG: upgrade offered? yes, no, some (in some sessions only), - (none seen)");
}
