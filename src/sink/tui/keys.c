/*
 * keys.c - what each key does in the dashboard, as one table: an entry
 * names the views it works in, its keys, the action, and the line the help
 * screen shows for it, so the help screen and the dispatcher cannot drift
 * apart. An entry without help text is covered by the help line of an entry
 * above it (Shift-Tab by Tab's, the scrolling of the detail and help views
 * by the list's moves, going back by Esc's). The help screen lists the
 * table's lines in table order, then the filter words and the markers.
 *
 * While the filter is being typed (`/`) every key goes to the line editor
 * instead: Enter keeps the filter, Esc restores the one before, ^U clears
 * it, and each change applies at once.
 *
 * Runs on the UI thread; the model is only touched under t->lock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dashboard.h"
#include "sink.h"

#define STATUS_SHOW_US 3000000
#define KEY_ESC 27
#define KEY_CTRL(c) ((c)&0x1f)
#define KEYS_MAX 8 /* keys of one table entry, the 0 that ends them included */

/* The views a table entry works in. */
#define IN_MAIN (1u << VIEW_MAIN)
#define IN_DETAIL (1u << VIEW_DETAIL)
#define IN_HELP (1u << VIEW_HELP)
#define IN_SERVERS (1u << VIEW_SERVERS)
#define IN_TEXT (IN_DETAIL | IN_HELP)
#define IN_LISTS (IN_MAIN | IN_SERVERS)
#define IN_ANY (IN_LISTS | IN_TEXT)

struct key_action {
	unsigned views;		    /* IN_* */
	int keys[KEYS_MAX];	    /* up to the first 0 */
	void (*act)(struct tui *t); /* q sets t->quit; nothing else ends the dashboard */
	const char *help_keys;	    /* the help line's key column; NULL: no line of its own */
	const char *help;
};

/* ---- Helpers ------------------------------------------------------------------------ */

static void
ui_status(struct tui *t, const char *msg)
{
	snprintf(t->status, sizeof(t->status), "%s", msg);
	t->status_until = tui_now_us() + STATUS_SHOW_US;
}

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

/* The filter's line editor: every key while t->editing. */
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
	/* tui_pane_fit clamps at the end on the next frame */
}

/* The scroll position of the text on the screen (detail or help). */
static size_t *
text_top(struct tui *t)
{
	return t->view == VIEW_HELP ? &t->help_top : &t->detail_top;
}

/* ---- Actions: anywhere ---------------------------------------------------------------- */

static void
act_quit(struct tui *t)
{
	atomic_store(&t->quit, true);
}

static void
act_redraw(struct tui *t)
{
	(void)t;
	clearok(stdscr, TRUE);
}

/* ---- Actions: the panels ---------------------------------------------------------------- */

static void
act_panel_next(struct tui *t)
{
	t->focus = (enum panel)((t->focus + 1) % PANEL_COUNT);
}

static void
act_panel_prev(struct tui *t)
{
	t->focus = (enum panel)((t->focus + PANEL_COUNT - 1) % PANEL_COUNT);
}

static void
act_up(struct tui *t)
{
	pane_move(tui_active_pane(t), -1);
}

static void
act_down(struct tui *t)
{
	pane_move(tui_active_pane(t), 1);
}

static void
act_page_up(struct tui *t)
{
	pane_move(tui_active_pane(t), -tui_active_height(t));
}

static void
act_page_down(struct tui *t)
{
	pane_move(tui_active_pane(t), tui_active_height(t));
}

static void
act_first(struct tui *t)
{
	tui_active_pane(t)->cursor = 0;
}

static void
act_last(struct tui *t)
{
	tui_active_pane(t)->cursor = SIZE_MAX / 2;
}

/* Enter: the details of the session or alert under the cursor; on a port,
 * the sessions filtered to that port. */
static void
act_open_detail(struct tui *t)
{
	struct pane *p = &t->pane[t->focus];
	struct layout l;

	tui_snap_take(t, &l); /* keys typed ahead may have moved the cursor */
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
act_clear_filter(struct tui *t)
{
	if (t->snap.filter[0])
		ui_apply_filter(t, "");
}

static void
act_edit_filter(struct tui *t)
{
	t->editing = true;
	snprintf(t->edit_before, sizeof(t->edit_before), "%s", t->snap.filter);
	snprintf(t->edit, sizeof(t->edit), "%s", t->snap.filter);
	t->edit_len = strlen(t->edit);
}

static void
act_problems_only(struct tui *t)
{
	pthread_mutex_lock(&t->lock);
	tui_model_set_problems_only(t->m, !tui_model_problems_only(t->m));
	t->gen++;
	pthread_mutex_unlock(&t->lock);
	t->pane[PANEL_SESSIONS].cursor = t->pane[PANEL_SESSIONS].top = 0;
}

/* c: the filter word policy:violated on or off, the rest of the filter
 * kept: the sessions that violated a mail policy and their alerts. */
static void
act_policy_violations(struct tui *t)
{
	static const char word[] = "policy:violated";
	char f[TUI_FILTER_MAX];
	const char *p = t->snap.filter;
	size_t n = 0;
	bool had = false;

	/* Copy the words but that one. */
	while (*p) {
		const char *w;
		size_t len;

		while (*p == ' ')
			p++;
		for (w = p; *p && *p != ' '; p++)
			;
		len = (size_t)(p - w);
		if (!len)
			continue;
		if (len == sizeof(word) - 1 && strncasecmp(w, word, len) == 0) {
			had = true;
			continue;
		}
		if (n + len + 2 > sizeof(f))
			break;
		if (n)
			f[n++] = ' ';
		memcpy(f + n, w, len);
		n += len;
	}
	f[n] = '\0';
	if (!had && n + sizeof(word) + 1 <= sizeof(f))
		snprintf(f + n, sizeof(f) - n, "%s%s", n ? " " : "", word);
	ui_apply_filter(t, f);
	t->focus = PANEL_SESSIONS;
}

static void
act_sort_next(struct tui *t)
{
	pthread_mutex_lock(&t->lock);
	tui_model_set_sort(t->m, (enum tui_sort)((tui_model_sort(t->m) + 1) % TUI_SORT_COUNT));
	t->gen++;
	pthread_mutex_unlock(&t->lock);
	t->pane[PANEL_SESSIONS].cursor = t->pane[PANEL_SESSIONS].top = 0;
}

static void
act_pause(struct tui *t)
{
	t->paused = !t->paused;
	pthread_mutex_lock(&t->lock);
	tui_model_set_paused(t->m, t->paused);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
act_help(struct tui *t)
{
	t->help_top = 0;
	t->view = VIEW_HELP;
}

/* ---- Actions: the servers view ---------------------------------------------------------- */

static void
act_servers(struct tui *t)
{
	t->view = VIEW_SERVERS;
}

static void
act_server_sort_next(struct tui *t)
{
	pthread_mutex_lock(&t->lock);
	tui_model_set_server_sort(t->m, (enum tui_server_sort)((tui_model_server_sort(t->m) + 1) %
							       TUI_SERVERS_SORT_COUNT));
	t->gen++;
	pthread_mutex_unlock(&t->lock);
	t->servers_pane.cursor = t->servers_pane.top = 0;
}

/* Enter on a server: back to the lists, the sessions filtered to it. */
static void
act_server_sessions(struct tui *t)
{
	struct pane *p = &t->servers_pane;
	struct layout l;
	size_t k;
	char ep[TUI_ENDPOINT_MAX], f[TUI_ENDPOINT_MAX + 8];

	tui_snap_take(t, &l); /* keys typed ahead may have moved the cursor */
	k = p->cursor - p->top;
	if (k >= t->snap.servers_n)
		return;
	sink_format_endpoint(t->snap.servers[k].family, t->snap.servers[k].ip,
			     t->snap.servers[k].port, ep, sizeof(ep));
	snprintf(f, sizeof(f), "server:%s", ep);
	ui_apply_filter(t, f);
	t->view = VIEW_MAIN;
	t->focus = PANEL_SESSIONS;
}

/* ---- Actions: the detail and help views ------------------------------------------------- */

static void
act_back(struct tui *t)
{
	t->view = VIEW_MAIN;
}

/* From a detail view the help opens where it was last scrolled to. */
static void
act_help_resume(struct tui *t)
{
	t->view = VIEW_HELP;
}

static void
act_scroll_up(struct tui *t)
{
	size_t *top = text_top(t);

	*top = *top ? *top - 1 : 0;
}

static void
act_scroll_down(struct tui *t)
{
	(*text_top(t))++;
}

static void
act_scroll_page_up(struct tui *t)
{
	size_t *top = text_top(t);
	int page = LINES - 4;

	*top = *top > (size_t)page ? *top - (size_t)page : 0;
}

static void
act_scroll_page_down(struct tui *t)
{
	*text_top(t) += (size_t)(LINES - 4);
}

static void
act_scroll_first(struct tui *t)
{
	*text_top(t) = 0;
}

static void
act_scroll_last(struct tui *t)
{
	*text_top(t) = SIZE_MAX / 2;
}

/* ---- The table ------------------------------------------------------------------------- */

/* The help screen shows the help lines in this order. A key appears at most
 * once among the entries of a view (else the first would win). */
/* clang-format off */
static const struct key_action key_actions[] = {
	{IN_ANY, {'q', 'Q'}, act_quit,
	 "q", "quit (at the end of a replay the dashboard waits for it)"},
	{IN_ANY, {KEY_RESIZE}, act_redraw},
	{IN_MAIN, {'\t'}, act_panel_next,
	 "Tab, S-Tab", "next / previous panel: ports, sessions, alerts"},
	{IN_MAIN, {KEY_BTAB}, act_panel_prev},
	{IN_LISTS, {KEY_UP, 'k'}, act_up,
	 "Up Down j k", "move in the panel;  PgUp PgDn  a page;  Home End g G  first / last"},
	{IN_LISTS, {KEY_DOWN, 'j'}, act_down},
	{IN_LISTS, {KEY_PPAGE}, act_page_up},
	{IN_LISTS, {KEY_NPAGE}, act_page_down},
	{IN_LISTS, {KEY_HOME, 'g'}, act_first},
	{IN_LISTS, {KEY_END, 'G'}, act_last},
	{IN_TEXT, {KEY_UP, 'k'}, act_scroll_up},
	{IN_TEXT, {KEY_DOWN, 'j'}, act_scroll_down},
	{IN_TEXT, {KEY_PPAGE}, act_scroll_page_up},
	{IN_TEXT, {KEY_NPAGE, ' '}, act_scroll_page_down},
	{IN_TEXT, {KEY_HOME, 'g'}, act_scroll_first},
	{IN_TEXT, {KEY_END, 'G'}, act_scroll_last},
	{IN_MAIN, {'\n', '\r', KEY_ENTER}, act_open_detail,
	 "Enter", "details of the session or alert (on a port: filter to that port)"},
	{IN_MAIN, {KEY_ESC}, act_clear_filter,
	 "Esc", "back from details or help; in the list: clear the filter"},
	{IN_TEXT, {KEY_ESC, '\n', '\r', KEY_ENTER, KEY_BACKSPACE, KEY_LEFT, 'h'}, act_back},
	{IN_DETAIL, {127}, act_back},
	{IN_HELP, {'?'}, act_back},
	{IN_MAIN, {'/'}, act_edit_filter,
	 "/", "filter (Enter keeps it, Esc restores the previous one, ^U clears)"},
	{IN_MAIN, {'f', 'F'}, act_problems_only,
	 "f", "problems only: cleartext, downgraded, tls-failed, or with alerts"},
	{IN_MAIN, {'c', 'C'}, act_policy_violations,
	 "c", "only mail policy violations (filter word policy:violated)"},
	{IN_MAIN, {'s', 'S'}, act_sort_next,
	 "s", "next sort: newest, start time, server, verdict, service"},
	{IN_LISTS, {'p', 'P'}, act_pause,
	 "p", "pause the display (capture and counting go on)"},
	{IN_MAIN, {'v', 'V'}, act_servers,
	 "v", "servers: sessions, verdicts, encrypted share, cleartext logins and"},
	{IN_SERVERS, {'s', 'S'}, act_server_sort_next,
	 "", "whether the upgrade was offered, per server, problems first; there"},
	{IN_SERVERS, {'\n', '\r', KEY_ENTER}, act_server_sessions,
	 "", "s sorts (problems, sessions, least encrypted, address), Enter lists"},
	{IN_SERVERS, {KEY_ESC, 'v', 'V', KEY_BACKSPACE, KEY_LEFT, 'h', 127}, act_back,
	 "", "the server's sessions (filter server:IP:PORT), Esc or v goes back"},
	{IN_LISTS, {'?', KEY_F(1)}, act_help,
	 "?", "this help"},
	{IN_DETAIL, {'?'}, act_help_resume},
};
/* clang-format on */
#define N_KEY_ACTIONS (sizeof(key_actions) / sizeof(key_actions[0]))

/* What the help screen shows after the keys. */
static const char *const help_after_keys[] = {
	"",
	"Filter words (all must match; a leading ! negates a word)",
	"  port:25 service:smtp verdict:clear reason:not-offered ip:10.0.0.1 user:alice",
	"  server:10.0.0.1:25 (exactly that server)",
	"  alert:login (alert: alone = any alert); plain words are looked for in the",
	"  service, verdict, endpoints, TLS version, SNI, users, alert kinds, #id,",
	"  tunnels and policy domain.",
	"  policy: (any mail policy)  policy:violated  policy:dane  policy:mta-sts",
	"  policy:DOMAIN   tunnel: (any tunnelled session)  tunnel:vxlan",
	"  sensor:tap-a (tlswatch --cluster: the sensor that judged it, exactly)",
	"",
	"Markers (also without colours)",
	"  + encrypted (implicit-tls, starttls)   ~ cleartext   ! downgraded",
	"  x tls-failed   ? unknown   !N in column A: N kinds of alert on the session",
	"  !! a mail policy (MTA-STS, DANE) violated: critical, shown in reverse red;",
	"  POLICY: what protects the domain (sts = MTA-STS, dane); TUNNEL: the tunnels",
	"  the session came in, outermost first (both columns only when there is one).",
	"  Servers: POLICY !!N/M = N of its M sessions under a policy violated it.",
	"  Ports: IMPL implicit-tls, STLS starttls, CLEAR cleartext, DOWN downgraded,",
	"  FAIL tls-failed, UNKN unknown, LOGIN cleartext logins; ENCRYPTED = IMPL+STLS.",
	"  Servers: the same counts, ENC the share encrypted, UPG whether the server's",
	"  capability lists offered the upgrade (yes, no, some sessions only, - none).",
	"  Encrypted share: a mark per stretch of time (by the sessions' first packet),",
	"  taller = more encrypted; lowest = none, highest = all, blank = no session.",
	"",
	"Secrets are never shown here: a login's password reads ********.",
};

static const struct key_action *
key_find(enum view view, int ch)
{
	for (size_t i = 0; i < N_KEY_ACTIONS; i++) {
		const struct key_action *a = &key_actions[i];

		if (!(a->views & (1u << view)))
			continue;
		for (size_t k = 0; k < KEYS_MAX && a->keys[k]; k++)
			if (a->keys[k] == ch)
				return a;
	}
	return NULL;
}

bool
tui_key(struct tui *t, int ch)
{
	const struct key_action *a;

	if (t->editing)
		ui_key_edit(t, ch);
	else if ((a = key_find(t->view, ch)) != NULL)
		a->act(t);
	return !atomic_load(&t->quit);
}

/* One line of the help screen: a heading when it starts at the margin. */
static void
help_line(struct tui_text_line *line, const char *keys, const char *text)
{
	if (keys)
		snprintf(line->text, sizeof(line->text), "  %-14s%s", keys, text);
	else
		snprintf(line->text, sizeof(line->text), "%s", text);
	line->tone = line->text[0] && line->text[0] != ' ' ? TUI_TONE_HEADING : TUI_TONE_NORMAL;
}

size_t
tui_help_lines(struct tui_text_line *lines, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	help_line(&lines[n++], NULL, "Keys");
	for (size_t i = 0; i < N_KEY_ACTIONS && n < max; i++)
		if (key_actions[i].help_keys)
			help_line(&lines[n++], key_actions[i].help_keys, key_actions[i].help);
	for (size_t i = 0; i < sizeof(help_after_keys) / sizeof(help_after_keys[0]) && n < max; i++)
		help_line(&lines[n++], NULL, help_after_keys[i]);
	return n;
}
