/*
 * cursor.h - bounds-checked readers over untrusted bytes.
 *
 * Every parser in tlswatch reads hostile input through these. The shape follows
 * the CBS idea: a reader returns true on success and false on error, and on
 * failure it leaves the cursor exactly where it was, so a caller can stop, keep
 * what it has and mark an anomaly without ever reading out of bounds.
 *
 * A cursor never owns the bytes it points to.
 *
 * The text_* helpers are the one place where case-insensitive ASCII matching is
 * done; protocol files must not hand-roll their own.
 */
#ifndef TLSWATCH_CURSOR_H
#define TLSWATCH_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *p;
	size_t len;
};

/*
 * The fixed-size readers are inline: every header field of every packet goes
 * through them, and a call per field showed in the profile.
 */
static inline void
cursor_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p ? len : 0;
}

static inline size_t
cursor_remaining(const struct cursor *c)
{
	return c->len;
}

/* Reads an n-byte big-endian integer (n <= 4). */
static inline bool
cursor_get_be(struct cursor *c, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (c->len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | c->p[i];
	c->p += n;
	c->len -= n;
	*out = v;
	return true;
}

static inline bool
cursor_get_u8(struct cursor *c, uint8_t *out)
{
	if (c->len < 1)
		return false;
	*out = c->p[0];
	c->p++;
	c->len--;
	return true;
}

/* Network order. */
static inline bool
cursor_get_u16(struct cursor *c, uint16_t *out)
{
	if (c->len < 2)
		return false;
	*out = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool
cursor_get_u24(struct cursor *c, uint32_t *out)
{
	return cursor_get_be(c, 3, out);
}

static inline bool
cursor_get_u32(struct cursor *c, uint32_t *out)
{
	return cursor_get_be(c, 4, out);
}

static inline bool
cursor_skip(struct cursor *c, size_t n)
{
	if (c->len < n)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}
/* Splits the next n bytes off into *out. */
bool cursor_get_bytes(struct cursor *c, struct cursor *out, size_t n);
/* Reads a length prefix of 1, 2 or 3 bytes, then that many bytes into *out. */
bool cursor_get_u8_prefixed(struct cursor *c, struct cursor *out);
bool cursor_get_u16_prefixed(struct cursor *c, struct cursor *out);
bool cursor_get_u24_prefixed(struct cursor *c, struct cursor *out);
/* Skips spaces and tabs. */
void cursor_skip_blanks(struct cursor *c);
/* Skips spaces and tabs, then splits off the bytes up to the next space, tab
 * or the end into *tok; false (cursor unchanged) when no byte is left. */
bool cursor_get_token(struct cursor *c, struct cursor *tok);

/* ASCII case-insensitive helpers over (pointer, length) byte strings. */
bool text_equal_ci(const uint8_t *p, size_t n, const char *word);
bool text_prefix_ci(const uint8_t *p, size_t n, const char *prefix);
/* p could still grow into word: p is a prefix of word, word itself included
 * (what a sniffer asks of the first bytes before it can tell). */
bool text_could_be_prefix_ci(const uint8_t *p, size_t n, const char *word);
/* Offset of the first case-insensitive occurrence of needle, or -1. */
long text_find_ci(const uint8_t *p, size_t n, const char *needle);
/* True when word occurs in p as a whole token (delimited by start/end, space,
 * tab, CR, LF, or one of the characters in delims). */
bool text_has_token_ci(const uint8_t *p, size_t n, const char *word, const char *delims);
/* Length without trailing CR/LF. */
size_t text_trim_eol(const uint8_t *p, size_t n);
/* The value of one hex digit (either case), or -1. */
int hex_digit(uint8_t c);
/* p[0..n) as 2n lower-case hex digits and a NUL into out (2n + 1 bytes). */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* s holds exactly 2n hex digits (either case): their bytes into out[0..n);
 * false (out undefined) otherwise. */
bool hex_decode(const char *s, uint8_t *out, size_t n);
/*
 * Copies p into out (size outsz, always NUL-terminated) escaping it for
 * display: printable ASCII as is, backslash as "\\", everything else as \xHH,
 * CR and LF as \r \n. Output is cut (never mid-escape) when it does not fit.
 * Returns the number of input bytes represented.
 */
size_t text_escape(char *out, size_t outsz, const uint8_t *p, size_t n);

#endif
