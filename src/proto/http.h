/*
 * http.h - what the files of the HTTP/1 parser share: the message being
 * read, the readers of HTTP/1 syntax (http_msg.c: start lines, field
 * values, chunk sizes, the sniffer) and of credentials (http_auth.c: the
 * Authorization and Proxy-Authorization headers). The parser itself, its
 * framing and the upgrade, is http.c.
 */
#ifndef TLSWATCH_PROTO_HTTP_H
#define TLSWATCH_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "line.h"

#define HTTP_NAME_MAX 16 /* a protocol name of Upgrade kept (with its NUL) */

/* The fields this parser reads; the others are skipped unread. */
enum http_field {
	FIELD_OTHER = 0,
	FIELD_CONTENT_LENGTH,
	FIELD_TRANSFER_ENCODING,
	FIELD_UPGRADE,
	FIELD_AUTHORIZATION,
	FIELD_PROXY_AUTHORIZATION,
	FIELD_AUTHENTICATE, /* WWW-Authenticate, Proxy-Authenticate */
};

enum http_method {
	METHOD_OTHER = 0,
	METHOD_HEAD,
	METHOD_CONNECT,
};

/* What an Upgrade header names. */
enum {
	UPG_TLS = 1u << 0,
	UPG_OTHER = 1u << 1,
};

/* The message being read in one direction. */
struct http_msg {
	uint8_t method; /* a request's enum http_method */
	int status;	/* a response's status code */
	bool te;	/* a Transfer-Encoding field ... */
	bool chunked;	/* ... whose last coding is chunked */
	bool has_length, bad_length;
	uint64_t length;
	uint8_t upgrade;	       /* UPG_* */
	char tls_token[HTTP_NAME_MAX]; /* the TLS protocol as Upgrade names it */
	char other[HTTP_NAME_MAX];     /* the first other protocol it names */
	int8_t login, proxy_login;     /* a request's logins in f->logins, -1 none */
};

/* ---- syntax (http_msg.c) ------------------------------------------------------- */

bool http_is_digit(uint8_t c);
bool http_is_blank(uint8_t c);
/* p[0..n) without the blanks at either end. */
struct cursor http_trim(const uint8_t *p, size_t n);
/* The next element of a comma-separated list (RFC 9110 section 5.6.1),
 * blanks trimmed; empty elements are skipped. */
bool http_list_next(struct cursor *c, struct cursor *elem);
enum http_field http_field_kind(const uint8_t *name, size_t n);
/* Content-Length: digits only; a second one must agree. */
void http_content_length(struct http_msg *m, struct cursor v);
/* Upgrade: protocol["/" version] list; TLS is what RFC 2817 asks for. */
void http_upgrade_list(struct http_msg *m, struct cursor v);
/* An empty message: no login, no status, no length. */
void http_msg_reset(struct http_msg *m);
/* A request line into m (reset first); false when l is none. */
bool http_request_line(struct http_msg *m, const struct line_view *l);
/* "HTTP/1." DIGIT SP 3DIGIT [SP reason]: the status code, or -1. */
int http_status_code(const uint8_t *p, size_t n);
/* chunk-size [";" chunk-ext] into *size; false when p[0..n) is none. */
bool http_chunk_size_read(const uint8_t *p, size_t n, uint64_t *size);
/* The descriptor's sniffer (see http_msg.c). */
enum sniff_result http_sniff(enum dir dir, const uint8_t *p, size_t len);

/* ---- credentials (http_auth.c) ------------------------------------------------- */

/*
 * An Authorization or Proxy-Authorization value v[0..n) (cut: it did not
 * all fit): the login it carries, recorded once per session (a client
 * repeats the same header on every request). Returns its index in
 * f->logins, or -1.
 */
int http_login(struct proto_facts *f, const uint8_t *v, size_t n, bool cut, bool proxy);
/* A final status for the login at idx: 2xx and 3xx let it in; 401 and 403
 * (407 for a proxy's) turned it away, unless it got in before. */
void http_login_outcome(struct proto_facts *f, int idx, int status, bool proxy);

#endif
