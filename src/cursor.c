/*
 * cursor.c - bounds-checked readers over untrusted bytes (see cursor.h).
 */
#include "cursor.h"

#include <stdio.h>
#include <string.h>

bool
cursor_get_bytes(struct cursor *c, struct cursor *out, size_t n)
{
	if (c->len < n)
		return false;
	cursor_init(out, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

/* Length-prefixed field; on failure the cursor is left where it was. */
static bool
cursor_get_prefixed(struct cursor *c, size_t prefix, struct cursor *out)
{
	struct cursor save = *c;
	uint32_t n;

	if (!cursor_get_be(c, prefix, &n) || !cursor_get_bytes(c, out, n)) {
		*c = save;
		return false;
	}
	return true;
}

bool
cursor_get_u8_prefixed(struct cursor *c, struct cursor *out)
{
	return cursor_get_prefixed(c, 1, out);
}

bool
cursor_get_u16_prefixed(struct cursor *c, struct cursor *out)
{
	return cursor_get_prefixed(c, 2, out);
}

bool
cursor_get_u24_prefixed(struct cursor *c, struct cursor *out)
{
	return cursor_get_prefixed(c, 3, out);
}

static bool
cursor_is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

void
cursor_skip_blanks(struct cursor *c)
{
	while (c->len > 0 && cursor_is_blank(c->p[0])) {
		c->p++;
		c->len--;
	}
}

bool
cursor_get_token(struct cursor *c, struct cursor *tok)
{
	struct cursor save = *c;
	size_t i = 0;

	cursor_skip_blanks(c);
	while (i < c->len && !cursor_is_blank(c->p[i]))
		i++;
	if (i == 0) {
		*c = save;
		return false;
	}
	return cursor_get_bytes(c, tok, i);
}

static uint8_t
ascii_lower(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + ('a' - 'A')) : ch;
}

/* These two run on every line against command and reply tables: they walk
 * the word once instead of measuring it first, and stop at the first
 * difference. */
bool
text_prefix_ci(const uint8_t *p, size_t n, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i]; i++)
		if (i == n || ascii_lower(p[i]) != ascii_lower((uint8_t)prefix[i]))
			return false;
	return true;
}

bool
text_could_be_prefix_ci(const uint8_t *p, size_t n, const char *word)
{
	if (n > strlen(word))
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(p[i]) != ascii_lower((uint8_t)word[i]))
			return false;
	return true;
}

bool
text_equal_ci(const uint8_t *p, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!word[i] || ascii_lower(p[i]) != ascii_lower((uint8_t)word[i]))
			return false;
	return word[n] == '\0';
}

long
text_find_ci(const uint8_t *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	if (k == 0)
		return 0;
	for (size_t i = 0; i + k <= n; i++)
		if (text_prefix_ci(p + i, n - i, needle))
			return (long)i;
	return -1;
}

static bool
is_token_delim(uint8_t ch, const char *delims)
{
	if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
		return true;
	return delims && ch != 0 && strchr(delims, ch) != NULL;
}

bool
text_has_token_ci(const uint8_t *p, size_t n, const char *word, const char *delims)
{
	size_t k = strlen(word);
	uint8_t first;

	if (k == 0)
		return false;
	first = ascii_lower((uint8_t)word[0]);
	for (size_t i = 0; i + k <= n; i++) {
		/* Cheap rejections first: this runs over every capability line. */
		if (ascii_lower(p[i]) != first)
			continue;
		if (i > 0 && !is_token_delim(p[i - 1], delims))
			continue;
		if (!text_prefix_ci(p + i, n - i, word))
			continue;
		if (i + k == n || is_token_delim(p[i + k], delims))
			return true;
	}
	return false;
}

size_t
text_trim_eol(const uint8_t *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	return n;
}

size_t
text_escape(char *out, size_t outsz, const uint8_t *p, size_t n)
{
	size_t o = 0, i;

	if (outsz == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char tmp[5];
		size_t k;
		uint8_t ch = p[i];

		if (ch == '\\') {
			memcpy(tmp, "\\\\", 2);
			k = 2;
		} else if (ch == '\r') {
			memcpy(tmp, "\\r", 2);
			k = 2;
		} else if (ch == '\n') {
			memcpy(tmp, "\\n", 2);
			k = 2;
		} else if (ch >= 0x20 && ch < 0x7f) {
			tmp[0] = (char)ch;
			k = 1;
		} else {
			snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
			k = 4;
		}
		if (o + k >= outsz)
			break;
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = '\0';
	return i;
}

void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
hex_decode(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (!s[2 * i] || (hi = hex_digit((uint8_t)s[2 * i])) < 0 ||
		    (lo = hex_digit((uint8_t)s[2 * i + 1])) < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return s[2 * n] == '\0';
}
