/*
 * draw.h - what the files that draw a frame share (draw.c the frame, its
 * header, sparkline, ports and alerts panels, text views and footer;
 * draw_sessions.c the sessions panel; draw_servers.c the servers view;
 * draw_cells.c the cells they are all drawn with). Curses, so only
 * src/sink/tui/ includes it.
 *
 * A frame starts from an erased screen and is written through tui_put(),
 * which cuts text to its column and pads it with spaces; curses sends only
 * what changed.
 */
#ifndef TLSWATCH_SINK_TUI_DRAW_H
#define TLSWATCH_SINK_TUI_DRAW_H

#include "dashboard.h"

/* A tone (tui_model.h) as colours, or as attributes only under NO_COLOR or
 * on a terminal without colours. */
attr_t tui_tone_attr(const struct tui *t, enum tui_tone tone);
/* Writes s at (y, x), cut to w columns and padded with spaces to w. */
void tui_put(int y, int x, int w, attr_t a, const char *s);
/* The same, the padding in pad and only the text in a. */
void tui_put_text(int y, int x, int w, attr_t pad, attr_t a, const char *s);
/* The same, right-aligned (numbers). */
void tui_put_right(int y, int x, int w, attr_t a, const char *s);
/* v in decimal, or shortened ("12.3k") when that is wider than w. */
void tui_fmt_u64(uint64_t v, int w, char *buf, size_t bufsz);

/* A panel's row i: reverse video under the focused panel's cursor. */
attr_t tui_row_base(const struct tui *t, enum panel p, size_t i);
/* Clears row y; false (and "(no longer kept)") when the row is gone. */
bool tui_draw_row_start(struct tui *t, int y, attr_t base, bool kept);
/* A panel's title line, marked when the panel has the focus. */
void tui_draw_title(struct tui *t, int y, enum panel p, const char *text);
/* "[####....]": inner marks between brackets, share of them filled. */
void tui_draw_marks(struct tui *t, int y, int x, int inner, double share, attr_t base);
/* "[####....] 50%" in w columns. */
void tui_draw_bar(struct tui *t, int y, int x, int w, double share, attr_t base);
/* A port's or server's eight counts from x, nw columns each; returns the
 * column after them. */
int tui_draw_counts(struct tui *t, int y, int x, int nw, attr_t base, const struct summary_row *r);

/* The sessions panel of the main view (draw_sessions.c). */
void tui_draw_sessions(struct tui *t, const struct layout *l);
/* The servers view (draw_servers.c). */
void tui_draw_servers(struct tui *t, const struct layout *l);

#endif
