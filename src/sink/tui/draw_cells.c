/*
 * draw_cells.c - the cells every part of a dashboard frame is drawn with
 * (draw.h): a tone as curses attributes, text cut and padded to its
 * column, numbers right-aligned and shortened to fit, a panel's title,
 * the bar of a share encrypted and a row's eight counts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"

attr_t
tui_tone_attr(const struct tui *t, enum tui_tone tone)
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
void
tui_put(int y, int x, int w, attr_t a, const char *s)
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
void
tui_put_text(int y, int x, int w, attr_t pad, attr_t a, const char *s)
{
	int n = (int)strlen(s);

	tui_put(y, x, w, pad, "");
	if (n)
		tui_put(y, x, n < w ? n : w, a, s);
}

/* The same, right-aligned (numbers). */
void
tui_put_right(int y, int x, int w, attr_t a, const char *s)
{
	int n = (int)strlen(s);

	if (n >= w) {
		tui_put(y, x, w, a, s + (n - w));
		return;
	}
	tui_put(y, x, w - n, a, "");
	tui_put(y, x + w - n, n, a, s);
}

void
tui_fmt_u64(uint64_t v, int w, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%" PRIu64, v);
	if ((int)strlen(buf) > w)
		tui_format_count((double)v, buf, bufsz);
}
void
tui_draw_title(struct tui *t, int y, enum panel p, const char *text)
{
	attr_t a = (t->focus == p && t->view == VIEW_MAIN) ? A_REVERSE | A_BOLD : A_BOLD;
	char line[512];

	snprintf(line, sizeof(line), "%s%s", t->focus == p ? "> " : "  ", text);
	tui_put(y, 0, COLS, a, line);
}

/* A bar for the share encrypted: "[####....] 50%". */
/* The attributes a row of panel p starts from: reverse video under the
 * cursor of the panel that has the focus. */
attr_t
tui_row_base(const struct tui *t, enum panel p, size_t i)
{
	return t->focus == p && t->pane[p].top + i == t->pane[p].cursor ? A_REVERSE : A_NORMAL;
}

/* Clears row y for a session or alert; one no longer kept says so, and
 * false tells the caller to draw nothing more on it. */
bool
tui_draw_row_start(struct tui *t, int y, attr_t base, bool kept)
{
	tui_put(y, 0, COLS, base, "");
	if (!kept)
		tui_put(y, 2, COLS - 2, base | tui_tone_attr(t, TUI_TONE_DIM), "(no longer kept)");
	return kept;
}

/* The marks of a bar for the share encrypted, inner of them between
 * brackets: "[####....]". */
void
tui_draw_marks(struct tui *t, int y, int x, int inner, double share, attr_t base)
{
	int full = (int)(share * inner + 0.5);

	tui_put(y, x, 1, base, "[");
	for (int i = 0; i < inner; i++)
		tui_put(y, x + 1 + i, 1,
			base | (i < full ? tui_tone_attr(t, TUI_TONE_GOOD)
					 : tui_tone_attr(t, TUI_TONE_DIM)),
			i < full ? "#" : ".");
	tui_put(y, x + 1 + inner, 1, base, "]");
}

/* A bar for the share encrypted: "[####....] 50%". */
void
tui_draw_bar(struct tui *t, int y, int x, int w, double share, attr_t base)
{
	char pct[8];
	int inner = w - 7;

	snprintf(pct, sizeof(pct), "%3.0f%%", share * 100);
	if (inner < 3) {
		tui_put_right(y, x, w, base, pct);
		return;
	}
	tui_draw_marks(t, y, x, inner, share, base);
	tui_put_right(y, x + 2 + inner, 5, base, pct);
}

/* The eight counts of a port or server row (sessions, each verdict,
 * cleartext logins), nw columns each from x, a count that is not 0 in its
 * verdict's tone; returns the column after them. */
int
tui_draw_counts(struct tui *t, int y, int x, int nw, attr_t base, const struct summary_row *r)
{
	static const enum tui_tone tones[8] = {
		TUI_TONE_NORMAL, TUI_TONE_GOOD, TUI_TONE_GOOD, TUI_TONE_WARN,
		TUI_TONE_BAD,	 TUI_TONE_BAD,	TUI_TONE_DIM,  TUI_TONE_BAD,
	};
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
	char buf[32];

	for (int k = 0; k < 8; k++, x += nw) {
		tui_fmt_u64(v[k], nw - 1, buf, sizeof(buf));
		tui_put_right(y, x, nw, base | (v[k] && k ? tui_tone_attr(t, tones[k]) : A_NORMAL),
			      buf);
	}
	return x;
}
