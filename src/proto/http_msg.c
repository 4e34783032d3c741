/*
 * http_msg.c - the readers of HTTP/1 syntax that the parser in http.c is
 * built from: request and status lines, the values of the fields it reads
 * (Content-Length, Transfer-Encoding and Upgrade lists), chunk sizes, and
 * the sniffer that tells HTTP/1 from the first bytes of either side.
 *
 * References: RFC 9110 section 5.6.1 (lists), RFC 9112 sections 3 (request
 * line), 4 (status line), 6.3 (message body length) and 7.1 (chunked
 * coding), RFC 2817 section 3.2 (the Upgrade token "TLS/1.0").
 *
 * Pure functions over bytes: no state of their own, nothing recorded but
 * into the struct http_msg they are given.
 */
#include <string.h>

#include "http.h"

#define HTTP_SNIFF_TARGET_SURE 128 /* a request line this long with a path: HTTP */

bool
http_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

bool
http_is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* p[0..n) without the blanks at either end. */
struct cursor
http_trim(const uint8_t *p, size_t n)
{
	struct cursor c;

	while (n > 0 && http_is_blank(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && http_is_blank(p[n - 1]))
		n--;
	cursor_init(&c, p, n);
	return c;
}

/* The next element of a comma-separated list (RFC 9110 section 5.6.1),
 * blanks trimmed; empty elements are skipped. */
bool
http_list_next(struct cursor *c, struct cursor *elem)
{
	while (cursor_remaining(c) > 0) {
		const uint8_t *comma = memchr(c->p, ',', c->len);
		size_t n = comma ? (size_t)(comma - c->p) : c->len;

		*elem = http_trim(c->p, n);
		cursor_skip(c, comma ? n + 1 : n);
		if (elem->len > 0)
			return true;
	}
	return false;
}

enum http_field
http_field_kind(const uint8_t *name, size_t n)
{
	static const struct proto_word fields[] = {
		{"Content-Length", FIELD_CONTENT_LENGTH},
		{"Transfer-Encoding", FIELD_TRANSFER_ENCODING},
		{"Upgrade", FIELD_UPGRADE},
		{"Authorization", FIELD_AUTHORIZATION},
		{"Proxy-Authorization", FIELD_PROXY_AUTHORIZATION},
		{"WWW-Authenticate", FIELD_AUTHENTICATE},
		{"Proxy-Authenticate", FIELD_AUTHENTICATE},
	};
	const struct proto_word *w =
		proto_word_find(fields, sizeof(fields) / sizeof(fields[0]), name, n);

	return w ? (enum http_field)w->value : FIELD_OTHER;
}

/* Content-Length: digits only; a second one must agree. */
void
http_content_length(struct http_msg *m, struct cursor v)
{
	uint64_t x = 0;

	if (v.len == 0)
		m->bad_length = true;
	for (size_t i = 0; i < v.len; i++) {
		if (!http_is_digit(v.p[i]) || x > (UINT64_MAX >> 4) / 10) {
			m->bad_length = true;
			return;
		}
		x = x * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (m->has_length && m->length != x)
		m->bad_length = true;
	m->has_length = true;
	m->length = x;
}

/* Upgrade: protocol["/" version] list; TLS is what RFC 2817 asks for. */
void
http_upgrade_list(struct http_msg *m, struct cursor v)
{
	struct cursor elem;

	while (http_list_next(&v, &elem)) {
		const uint8_t *slash = memchr(elem.p, '/', elem.len);
		size_t name = slash ? (size_t)(slash - elem.p) : elem.len;

		if (text_equal_ci(elem.p, name, "TLS")) {
			if (!(m->upgrade & UPG_TLS))
				sasl_field_set(m->tls_token, sizeof(m->tls_token), elem.p,
					       elem.len);
			m->upgrade |= UPG_TLS;
		} else if (name > 0) {
			if (!(m->upgrade & UPG_OTHER))
				sasl_field_set(m->other, sizeof(m->other), elem.p, name);
			m->upgrade |= UPG_OTHER;
		}
	}
}

void
http_msg_reset(struct http_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->login = -1;
	m->proxy_login = -1;
}

/* method SP request-target SP HTTP-version; a line cut at LINE_CAP (a long
 * target) needs only the method and the start of its target. */
bool
http_request_line(struct http_msg *m, const struct line_view *l)
{
	struct cursor c, method, target, version;

	cursor_init(&c, l->p, l->tn);
	if (!cursor_get_token(&c, &method) || !cursor_get_token(&c, &target))
		return false;
	if (!l->cut && (!cursor_get_token(&c, &version) || cursor_remaining(&c) > 0 ||
			!text_prefix_ci(version.p, version.len, "HTTP/1.")))
		return false;
	http_msg_reset(m);
	if (text_equal_ci(method.p, method.len, "HEAD"))
		m->method = METHOD_HEAD;
	else if (text_equal_ci(method.p, method.len, "CONNECT"))
		m->method = METHOD_CONNECT;
	return true;
}

/* "HTTP/1." DIGIT SP 3DIGIT [SP reason]: the status code, or -1. */
int
http_status_code(const uint8_t *p, size_t n)
{
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !http_is_digit(p[7]) || p[8] != ' ' ||
	    !http_is_digit(p[9]) || !http_is_digit(p[10]) || !http_is_digit(p[11]) ||
	    (n > 12 && p[12] != ' '))
		return -1;
	return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

/* chunk-size [";" chunk-ext] (RFC 9112 section 7.1): at most 15 hex digits,
 * then a blank, ";" or the end. */
bool
http_chunk_size_read(const uint8_t *p, size_t n, uint64_t *size)
{
	size_t i = 0;

	*size = 0;
	while (i < n && hex_digit(p[i]) >= 0 && i < 15)
		*size = *size * 16 + (uint64_t)hex_digit(p[i++]);
	return i > 0 && (i == n || http_is_blank(p[i]) || p[i] == ';');
}

/*
 * The client's first line: a method, SP, and a request line ending in
 * "HTTP/1.x" (RTSP, SIP and ICAP share methods, not the version). A line
 * not complete yet is HTTP once HTTP_SNIFF_TARGET_SURE bytes of it show a
 * path or an http URL as its target. The server's: "HTTP/1.x NNN".
 */
enum sniff_result
http_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const char *const methods[] = {
		"GET",	   "POST",  "HEAD",  "PUT",	 "DELETE",    "OPTIONS",
		"CONNECT", "PATCH", "TRACE", "PROPFIND", "PROPPATCH", "MKCOL",
		"COPY",	   "MOVE",  "LOCK",  "UNLOCK",	 "REPORT",
	};
	static const char status[] = "HTTP/1.0 000";
	bool more = false;

	if (len == 0)
		return SNIFF_MORE;
	if (dir == DIR_S2C) {
		for (size_t i = 0; i < len && i < sizeof(status) - 1; i++) {
			bool ok =
				status[i] == '0' ? http_is_digit(p[i]) : p[i] == (uint8_t)status[i];

			if (!ok)
				return SNIFF_NO;
		}
		return len < sizeof(status) - 1 ? SNIFF_MORE : SNIFF_STRONG;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t k = strlen(methods[i]);
		const uint8_t *lf, *t, *sp;
		size_t n;

		if (len <= k) {
			more |= memcmp(p, methods[i], len) == 0;
			continue;
		}
		if (memcmp(p, methods[i], k) != 0 || p[k] != ' ')
			continue;
		t = p + k + 1;
		n = len - k - 1;
		if ((lf = memchr(t, '\n', n)) != NULL) {
			n = text_trim_eol(t, (size_t)(lf - t) + 1);
			sp = n ? memrchr(t, ' ', n) : NULL;
			return sp && sp > t &&
					       text_prefix_ci(sp + 1, n - (size_t)(sp + 1 - t),
							      "HTTP/1.")
				       ? SNIFF_STRONG
				       : SNIFF_NO;
		}
		if (len < HTTP_SNIFF_TARGET_SURE)
			return SNIFF_MORE;
		return t[0] == '/' || text_prefix_ci(t, n, "http://") ||
				       text_prefix_ci(t, n, "https://")
			       ? SNIFF_STRONG
			       : SNIFF_NO;
	}
	return more ? SNIFF_MORE : SNIFF_NO;
}
