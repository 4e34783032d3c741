/*
 * jbuf.c - the growable buffer JSON records are built in (see jbuf.h).
 */
#include "jbuf.h"

#include <stdlib.h>

bool
jbuf_grow(struct jbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *p;

	if (b->failed || n > JBUF_MAX - b->len) {
		b->failed = true;
		return false;
	}
	while (cap < b->len + n)
		cap *= 2;
	if (cap > JBUF_MAX)
		cap = JBUF_MAX;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
jbuf_free(struct jbuf *b)
{
	free(b->p);
	*b = (struct jbuf){0};
}

void
jbuf_put_u64(struct jbuf *b, uint64_t v)
{
	char t[20]; /* 18446744073709551615 */
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jbuf_put(b, t + i, sizeof(t) - i);
}

void
jbuf_put_i64(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		jbuf_putc(b, '-');
		/* In unsigned arithmetic, so that INT64_MIN has its magnitude. */
		jbuf_put_u64(b, 0u - (uint64_t)v);
		return;
	}
	jbuf_put_u64(b, (uint64_t)v);
}

/*
 * RFC 8259 7: what each byte becomes in a string. 0: itself; 'u': \u00XX
 * (the control bytes, DEL and every byte past ASCII, so that the output is
 * valid UTF-8 whatever the input); another letter: its two-character escape.
 */
/* clang-format off */
#define U8 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u'
static const char jstr_escape[256] = {
	/* 0x00 - 0x1f: the control bytes */
	U8, 'u', 't', 'n', 'u', 'u', 'r', 'u', 'u', U8, U8,
	['"'] = '"', ['\\'] = '\\',
	/* 0x7f - 0xff: DEL and the 128 bytes past ASCII */
	[0x7f] = 'u', U8, U8, U8, U8, U8, U8, U8, U8, U8, U8, U8, U8, U8, U8, U8, U8,
};
#undef U8
/* clang-format on */

void
jbuf_put_jstrn(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	char *o;

	/* Room for the worst case (every byte \u00XX) once, then no checks. */
	if (n > (JBUF_MAX - 2) / 6) {
		b->failed = true;
		return;
	}
	if (6 * n + 2 > b->cap - b->len && !jbuf_grow(b, 6 * n + 2))
		return;
	o = b->p + b->len;
	*o++ = '"';
	while (p < end) {
		const unsigned char *run = p;
		char e;

		/* The longest run that needs no escape, in one copy. */
		while (p < end && !jstr_escape[*p])
			p++;
		memcpy(o, run, (size_t)(p - run));
		o += p - run;
		if (p == end)
			break;
		e = jstr_escape[*p];
		*o++ = '\\';
		if (e == 'u') {
			memcpy(o, "u00", 3);
			o[3] = hex[*p >> 4];
			o[4] = hex[*p & 15];
			o += 5;
		} else {
			*o++ = e;
		}
		p++;
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

void
jbuf_put_jstr(struct jbuf *b, const char *s)
{
	jbuf_put_jstrn(b, s, strlen(s));
}

int
jbuf_write(struct jbuf *b, FILE *f)
{
	int rc = 0;

	if (b->failed)
		rc = -1;
	else if (b->len && fwrite(b->p, 1, b->len, f) != b->len)
		rc = -1;
	jbuf_reset(b);
	return rc;
}
