/*
 * text_internal.h - what the text report's files share (text.c the
 * session and alert lines, text_line.c the buffer and the wrapping,
 * text_tables.c the closing tables): the sink's state and a record being
 * built field by field. Only src/sink/text*.c include it.
 */
#ifndef TLSWATCH_SINK_TEXT_INTERNAL_H
#define TLSWATCH_SINK_TEXT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sink.h"

#define TEXT_WIDTH 80	   /* columns of the report without --wide */
#define TEXT_FIELDS_MAX 64 /* wrap points per line; later fields stay joined */

/* A growing byte buffer; a failed allocation is remembered (oom) and the
 * text that did not fit is dropped, never written past the end. */
struct text_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* One record being formatted: its text and where each field after the
 * first starts (a field is preceded by two spaces, where it may wrap). */
struct text_line {
	struct text_buf b;
	size_t field[TEXT_FIELDS_MAX];
	size_t n_fields;
};

/* The alerts are listed after the sessions, so their lines are kept until
 * then: formatted at once, in one growing buffer (a line is about 150
 * bytes where a struct alert is 1.4 KiB). */
struct text_priv {
	struct text_buf alerts;
	size_t n; /* alerts kept */
	uint64_t not_kept;
	struct text_line line; /* the record being formatted */
	struct text_buf out;   /* ... and wrapped */
};

/* Makes room for more bytes; false (and b->oom) when that failed. */
bool text_buf_grow(struct text_buf *b, size_t more);

/* The appenders run per field of every session line: inline, as they were
 * when the report was one file. */
static inline bool
text_buf_reserve(struct text_buf *b, size_t more)
{
	return b->len + more <= b->cap || text_buf_grow(b, more);
}

static inline void
text_put(struct text_buf *b, const char *s, size_t n)
{
	if (text_buf_reserve(b, n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static inline void
text_puts(struct text_buf *b, const char *s)
{
	text_put(b, s, strlen(s));
}

static inline void
text_spaces(struct text_buf *b, size_t n)
{
	if (text_buf_reserve(b, n)) {
		memset(b->p + b->len, ' ', n);
		b->len += n;
	}
}

static inline void
text_putc(struct text_buf *b, char c)
{
	text_put(b, &c, 1);
}

/* The report's lines are appends, not printf (issue 13: the formatting ran
 * per field of every session); text_printf stays for the rare lines. */
void text_printf(struct text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_u64(struct text_buf *b, uint64_t v);
/* v right-aligned in width columns (printf's "%*" PRIu64). */
void text_u64_w(struct text_buf *b, uint64_t v, size_t width);
/* s, then spaces up to width columns (printf's "%-*s"). */
void text_pad(struct text_buf *b, const char *s, size_t width);
/* A share of 0..1 as a whole percentage right-aligned in width columns,
 * rounded as printf's "%.0f" rounds (to nearest, ties to even). */
void text_percent_w(struct text_buf *b, double share, size_t width);

/* Empties l for the next record. */
void text_line_start(struct text_line *l);
/* Starts a new field: two spaces, where the line may wrap. */
void text_field(struct text_line *l);
/* Appends l to out, ended by a newline: as it is when wide or when it fits,
 * else wrapped between its fields with continuation lines indented. */
void text_line_render(const struct text_line *l, bool wide, size_t indent, struct text_buf *out);
/* Writes the sink's line on its output (wrapped unless --wide). */
void text_line_write(struct sink *k, size_t indent);

/* The tables after the alerts: per port, per server (and the notes under
 * it), per client and per user (text_tables.c). */
void text_tables(struct sink *k, struct summary *sum);

#endif
