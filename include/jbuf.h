/*
 * jbuf.h - a growable byte buffer a JSON record is built in, then written
 * with one fwrite (src/sink/json.c).
 *
 * Every field used to be a stdio call on the output FILE; in a
 * session-dense profile libc's stdio was a tenth of all instructions
 * (docs/performance.md, round 4). Appending to memory costs a bounds check
 * and a memcpy: the raw appends are inline, string keys go in with their
 * compile-time length (JB_LIT).
 *
 * The buffer has a cap (JBUF_MAX): an append that would pass it, or whose
 * allocation fails, marks the buffer failed and does nothing; the record is
 * then not written (jbuf_write returns -1). The buffer owns its bytes: free
 * them with jbuf_free.
 */
#ifndef TLSWATCH_JBUF_H
#define TLSWATCH_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* No record comes near this; one that does is a bug, not data. */
#define JBUF_MAX ((size_t)1 << 20)

struct jbuf {
	char *p; /* NULL until the first append */
	size_t len, cap;
	bool failed; /* an append did not fit: the contents are not a record */
};

/* Makes room for n more bytes; false (and b->failed) when it cannot. */
bool jbuf_grow(struct jbuf *b, size_t n);
void jbuf_free(struct jbuf *b);

static inline void
jbuf_reset(struct jbuf *b)
{
	b->len = 0;
	b->failed = false;
}

/* The n bytes at s, as they are. */
static inline void
jbuf_put(struct jbuf *b, const void *s, size_t n)
{
	if (n > b->cap - b->len && !jbuf_grow(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
jbuf_putc(struct jbuf *b, char c)
{
	if (b->len == b->cap && !jbuf_grow(b, 1))
		return;
	b->p[b->len++] = c;
}

/* A string literal, without its NUL, its length known when compiling. */
#define JB_LIT(b, lit) jbuf_put((b), "" lit, sizeof(lit) - 1)

void jbuf_put_u64(struct jbuf *b, uint64_t v);
void jbuf_put_i64(struct jbuf *b, int64_t v);
/* A JSON string (RFC 8259 7) with its quotes: the n bytes at s, or the
 * string s. ", \ and \n \r \t get their two-character escapes; the other
 * control bytes, DEL and bytes past ASCII are written as \u00XX, so the
 * output is valid UTF-8 whatever bytes s holds. */
void jbuf_put_jstrn(struct jbuf *b, const char *s, size_t n);
void jbuf_put_jstr(struct jbuf *b, const char *s);

/* Writes the buffer to f with one fwrite and empties it. Returns 0, or -1
 * when the buffer failed (nothing is written) or the write was short. */
int jbuf_write(struct jbuf *b, FILE *f);

#endif
