/*
 * text_line.c - the text report's lines: a growing buffer whose failed
 * allocation is remembered, not fatal, and a record built field by field
 * and wrapped between its fields to 80 columns (continuation lines
 * indented), a field wider than a line cut at its spaces.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "text_internal.h"

bool
text_buf_grow(struct text_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
text_printf(struct text_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap - b->len;
	int n;

	/* Formatted once into the room left; a second time only when it did
	 * not fit (the buffer is reused from record to record, so rarely). */
	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		if (!text_buf_reserve(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
text_u64_w(struct text_buf *b, uint64_t v, size_t width)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (width > sizeof(d) - i)
		text_spaces(b, width - (sizeof(d) - i));
	text_put(b, d + i, sizeof(d) - i);
}

void
text_u64(struct text_buf *b, uint64_t v)
{
	text_u64_w(b, v, 0);
}

void
text_pad(struct text_buf *b, const char *s, size_t width)
{
	size_t n = strlen(s);

	text_put(b, s, n);
	if (width > n)
		text_spaces(b, width - n);
}

void
text_percent_w(struct text_buf *b, double share, size_t width)
{
	double v = nearbyint(100.0 * share);

	text_u64_w(b, v > 0 ? (uint64_t)v : 0, width);
	text_putc(b, '%');
}

void
text_line_start(struct text_line *l)
{
	l->b.len = 0;
	l->b.oom = false; /* try again: the line may be shorter */
	l->n_fields = 0;
}

/* Starts a new field: two spaces, where the line may wrap. */
void
text_field(struct text_line *l)
{
	text_put(&l->b, "  ", 2);
	if (l->n_fields < TEXT_FIELDS_MAX)
		l->field[l->n_fields++] = l->b.len;
}

/* Appends field f (n bytes) to out at column *col, cutting it at its spaces
 * (or anywhere, when it has none) where it would pass the width. */
static void
text_wrap_field(struct text_buf *out, const char *f, size_t n, size_t indent, size_t *col)
{
	while (*col + n > TEXT_WIDTH && *col < TEXT_WIDTH) {
		size_t room = TEXT_WIDTH - *col, cut = room, skip = 0;

		for (size_t i = room; i > 0; i--)
			if (f[i] == ' ') {
				cut = i;
				skip = 1;
				break;
			}
		text_put(out, f, cut);
		text_put(out, "\n", 1);
		text_spaces(out, indent);
		f += cut + skip;
		n -= cut + skip;
		*col = indent;
	}
	text_put(out, f, n);
	*col += n;
}

/* Appends l to out, ended by a newline: as it is when wide or when it fits,
 * else wrapped between its fields with continuation lines indented. */
void
text_line_render(const struct text_line *l, bool wide, size_t indent, struct text_buf *out)
{
	size_t col = 0, start = 0;

	if (wide || l->b.len <= TEXT_WIDTH) {
		text_put(out, l->b.p, l->b.len);
		text_put(out, "\n", 1);
		return;
	}
	for (size_t i = 0; i <= l->n_fields; i++) {
		size_t end = i < l->n_fields ? l->field[i] - 2 : l->b.len;
		size_t n = end - start;

		if (col > 0) {
			if (col + 2 + n <= TEXT_WIDTH) {
				text_put(out, "  ", 2);
				col += 2;
			} else {
				text_put(out, "\n", 1);
				text_spaces(out, indent);
				col = indent;
			}
		}
		text_wrap_field(out, l->b.p + start, n, indent, &col);
		if (i < l->n_fields)
			start = l->field[i];
	}
	text_put(out, "\n", 1);
}

/* Writes l on the sink's output (wrapped unless --wide). */
void
text_line_write(struct sink *k, size_t indent)
{
	struct text_priv *p = k->priv;

	p->out.len = 0;
	p->out.oom = false;
	text_line_render(&p->line, k->wide, indent, &p->out);
	fwrite_unlocked(p->out.p, 1, p->out.len, k->out);
}
