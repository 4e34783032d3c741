/*
 * http.c - Hypertext Transfer Protocol version 1 (HTTP/1.0 and HTTP/1.1)
 * parser: the upgrade to TLS within HTTP/1.1, the credentials of the
 * Authorization and Proxy-Authorization headers, CONNECT tunnels.
 *
 * References: RFC 9110 (semantics: methods, status codes, Upgrade,
 * authentication, CONNECT), RFC 9112 (HTTP/1.1 message syntax: start lines,
 * field lines and obsolete line folding, message body length, the chunked
 * coding), RFC 2817 (Upgrading to TLS Within HTTP/1.1: "Upgrade: TLS/1.0",
 * 101 Switching Protocols, 426 Upgrade Required), RFC 7617 (Basic), RFC 7616
 * (Digest), RFC 6750 (Bearer), RFC 4559 (Negotiate and NTLM over HTTP),
 * MS-NLMP 2.2.1.3 (the NTLM AUTHENTICATE_MESSAGE).
 *
 * Grammar subset:
 *   request-line = method SP request-target SP "HTTP/1." DIGIT CRLF
 *   status-line  = "HTTP/1." DIGIT SP 3DIGIT [SP reason-phrase] CRLF
 *   field-line   = name ":" OWS value OWS CRLF, continued by lines that
 *                  begin with SP or HTAB (obs-fold)
 *   body         = Content-Length bytes, or chunked (chunk-size [";" ext]
 *                  CRLF data CRLF ... "0" CRLF trailer-lines CRLF), or, for
 *                  a response, every byte until the connection closes
 * Bodies are skipped, never read as lines, and framed as RFC 9112 section
 * 6.3 says: no body in a response to HEAD, in 1xx, 204 and 304;
 * Transfer-Encoding before Content-Length; a request without either has
 * none. Empty lines before a start line are skipped (RFC 9112 section 2.2).
 * Requests wait for their response in order (pipelining), up to
 * HTTP_PIPELINE_MAX; a field line longer than LINE_CAP is cut (flagged) and
 * only its first LINE_CAP bytes are read.
 *
 * Facts:
 *  - The upgrade (RFC 2817). A request whose Upgrade header names TLS
 *    ("TLS/1.0", any version) asks for it; 101 naming TLS in its Upgrade
 *    header (or naming nothing, to a request for TLS alone) accepts it: TLS
 *    follows the 101's header block on both streams. A response whose
 *    Upgrade header names TLS without switching (426 Upgrade Required, or
 *    any response advertising it) offers it. A request for TLS answered by
 *    any final status but 101 and 426 is refused when the server offered
 *    TLS in this session, before or in that answer; a server that never
 *    offered only ignored the header, as RFC 2817 lets it: no refusal. A
 *    client byte after the request and before the answer that is a TLS
 *    handshake means the client went ahead (TLS from there); other bytes,
 *    when the 101 then comes, were injected (their first line is the
 *    evidence); when no 101 comes they are requests like any other.
 *  - Logins. Authorization, and Proxy-Authorization (mechanism "PROXY-"
 *    and the scheme): Basic (user and password: a reusable secret), Bearer
 *    (the token: a reusable secret, no user), Digest (the user; the
 *    response is no reusable secret), NTLM and Negotiate carrying NTLM
 *    (the AUTHENTICATE message only: domain\user, no secret; NEGOTIATE
 *    messages are no login), Negotiate with Kerberos (no login: nothing
 *    reusable or crackable crosses), any other scheme (its name, no
 *    secret). The response decides: 2xx and 3xx success; 401 and 403
 *    failure (407 for a proxy login), other statuses leave it unknown; a
 *    success stays. A browser repeats the same header on every request: a
 *    login equal to one already recorded (mechanism, user, secret) is that
 *    login again, not a new one. A WWW-Authenticate or Proxy-Authenticate
 *    challenge offering Basic is the server offering password logins in the
 *    clear.
 *  - A 101 switching to another protocol (websocket, h2c ...): parsing
 *    ends, the protocol is kept (own field `switched`).
 *  - CONNECT answered 2xx opens a tunnel (own field `tunnel`): when the
 *    client's first tunnel byte is a TLS handshake, the rest of both
 *    streams is TLS (the session is judged as an upgrade); any other first
 *    byte, or the server speaking first, is another protocol: parsing ends.
 *  - Requests and responses are counted (own fields).
 *
 * Not handled: HTTP/2 and HTTP/3 (h2c after its 101 is not read), HTTP/0.9
 * simple requests, a client that sends tunnel bytes before the proxy's
 * answer to CONNECT (parsing ends there), Digest's username* and userhash,
 * SPNEGO-wrapped NTLM (Negotiate tokens that are not raw NTLMSSP are taken
 * as Kerberos), Content-Length lists ("5, 5" is flagged), more than
 * HTTP_PIPELINE_MAX requests in flight (the extra ones are counted, their
 * responses then matched to later requests).
 */
#include <string.h>

#include "http.h"

#define HTTP_PIPELINE_MAX 32	/* requests waiting for their response */
#define HTTP_VALUE_MAX LINE_CAP /* bytes of a field value read (folded lines too) */

enum http_phase {
	PH_START = 0,  /* the next line is a request or status line */
	PH_FIELDS,     /* field lines up to the empty line */
	PH_LENGTH,     /* body bytes counted by Content-Length */
	PH_CHUNK_SIZE, /* the line with the next chunk's size */
	PH_CHUNK_DATA, /* a chunk's bytes */
	PH_CHUNK_END,  /* the CRLF after a chunk's bytes */
	PH_TRAILERS,   /* trailer lines after the last chunk */
	PH_CLOSE,      /* a body that runs until the connection closes */
	PH_TUNNEL,     /* after a CONNECT's 2xx: the tunnelled protocol */
};

struct http_dir {
	enum http_phase phase;
	uint64_t left; /* body or chunk bytes still to skip */
	struct http_msg msg;
	enum http_field field; /* the field being read: a folded line continues it */
	bool field_cut;	       /* ... its value did not all fit */
	uint16_t value_len;
	uint8_t value[HTTP_VALUE_MAX];
};

/* A request waiting for its response. */
struct http_req {
	uint8_t method;
	uint8_t upgrade;
	int8_t login, proxy_login;
};

/* The facts only HTTP has, in proto_facts.own. */
struct http_own {
	uint32_t requests, responses;
	bool tunnel;		      /* a CONNECT was answered 2xx */
	char switched[HTTP_NAME_MAX]; /* the protocol a 101 switched to, not TLS */
};

_Static_assert(sizeof(struct http_own) <= PROTO_OWN_MAX, "http_own fits proto_facts.own");

struct http_state {
	struct line_conn conn; /* first: the line engine's */
	struct http_dir d[2];  /* indexed by enum dir */
	struct http_req queue[HTTP_PIPELINE_MAX];
	uint8_t q_head, q_n;
	/* The latest status line, as the upgrade's answer and evidence. */
	uint8_t status_line[EVIDENCE_MAX];
	uint16_t status_len;
	/* A request for TLS sent, its answer not read: the client's next
	 * bytes are watched (see the file comment). */
	bool up_pending, up_spoke, up_injected, inj_kept;
	uint16_t inj_len;
	uint8_t inj[EVIDENCE_MAX];
	bool connect_pending; /* a CONNECT sent, its answer not read */
};

static struct http_own *
http_own(struct proto_facts *f)
{
	return (struct http_own *)(void *)f->own;
}

static void
http_count(uint32_t *n)
{
	if (*n < UINT32_MAX)
		(*n)++;
}

/* ---- the request queue --------------------------------------------------------- */

static void
http_queue_push(struct http_state *s, struct proto_facts *f, const struct http_msg *m)
{
	struct http_req *r;

	if (s->q_n >= HTTP_PIPELINE_MAX) {
		f->anomalies |= PROTO_ANOM_PIPELINE_CAP;
		f->cap_hits++;
		return;
	}
	r = &s->queue[(s->q_head + s->q_n) % HTTP_PIPELINE_MAX];
	s->q_n++;
	r->method = m->method;
	r->upgrade = m->upgrade;
	r->login = m->login;
	r->proxy_login = m->proxy_login;
}

/* The oldest request, which a final response (or a 101) answers; one that
 * came without a request (picked up midstream) answers a GET. */
static struct http_req
http_queue_pop(struct http_state *s)
{
	struct http_req r = {METHOD_OTHER, 0, -1, -1};

	if (s->q_n > 0) {
		r = s->queue[s->q_head];
		s->q_head = (uint8_t)((s->q_head + 1) % HTTP_PIPELINE_MAX);
		s->q_n--;
	}
	return r;
}

/* ---- fields -------------------------------------------------------------------- */

/* The field being read has ended (the next field line or the empty line
 * came): what it says goes into the message or the facts. */
static void
http_field_end(struct http_state *s, struct proto_facts *f, enum dir dir)
{
	struct http_dir *d = &s->d[dir];
	struct http_msg *m = &d->msg;
	struct cursor v = http_trim(d->value, d->value_len);
	struct cursor elem;

	switch (d->field) {
	case FIELD_CONTENT_LENGTH:
		http_content_length(m, v);
		break;
	case FIELD_TRANSFER_ENCODING:
		m->te = true;
		m->chunked = false;
		while (http_list_next(&v, &elem))
			m->chunked = text_equal_ci(elem.p, elem.len, "chunked");
		break;
	case FIELD_UPGRADE:
		http_upgrade_list(m, v);
		break;
	case FIELD_AUTHORIZATION:
	case FIELD_PROXY_AUTHORIZATION:
		if (dir == DIR_C2S) {
			bool proxy = d->field == FIELD_PROXY_AUTHORIZATION;
			int idx = http_login(f, v.p, v.len, d->field_cut, proxy);

			if (proxy)
				m->proxy_login = (int8_t)idx;
			else
				m->login = (int8_t)idx;
		}
		break;
	case FIELD_AUTHENTICATE:
		if (dir == DIR_S2C && text_has_token_ci(v.p, v.len, "Basic", ","))
			f->auth_cleartext_offered = true;
		break;
	case FIELD_OTHER:
		break;
	}
	d->field = FIELD_OTHER;
	d->field_cut = false;
	d->value_len = 0;
}

/* Appends to the value of the field being read. */
static void
http_value_add(struct http_dir *d, const uint8_t *p, size_t n, bool cut)
{
	size_t room = sizeof(d->value) - d->value_len;

	if (n > room) {
		n = room;
		cut = true;
	}
	memcpy(d->value + d->value_len, p, n);
	d->value_len = (uint16_t)(d->value_len + n);
	d->field_cut |= cut;
}

/* ---- messages ------------------------------------------------------------------ */

/* A message of dir ended: the next line starts another. A request for TLS
 * (or a CONNECT) now waits for its answer. */
static void
http_msg_done(struct http_state *s, struct proto_facts *f, enum dir dir)
{
	const struct http_msg *m = &s->d[dir].msg;

	s->d[dir].phase = PH_START;
	if (dir != DIR_C2S)
		return;
	if (m->upgrade & UPG_TLS) {
		f->upgrade_requested = true;
		s->up_pending = true;
		s->up_spoke = false;
		s->up_injected = false;
		s->inj_kept = false;
		s->inj_len = 0;
	}
	if (m->method == METHOD_CONNECT)
		s->connect_pending = true;
}

/* Where a message's body goes (RFC 9112 section 6.3); `none` when it has
 * none whatever its fields say. A response without a length runs until
 * the close, a request has no body. */
static void
http_body(struct http_state *s, struct proto_facts *f, enum dir dir, bool none)
{
	struct http_dir *d = &s->d[dir];
	const struct http_msg *m = &d->msg;

	if (none) {
		http_msg_done(s, f, dir);
	} else if (m->te) {
		/* A request's last coding must be chunked (RFC 9112 section 6.3). */
		if (!m->chunked && dir == DIR_C2S)
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		d->phase = m->chunked ? PH_CHUNK_SIZE : PH_CLOSE;
	} else if (m->bad_length) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		d->phase = PH_CLOSE; /* the length is unknown: nothing more can be framed */
	} else if (m->has_length && m->length > 0) {
		d->left = m->length;
		d->phase = PH_LENGTH;
	} else if (!m->has_length && dir == DIR_S2C) {
		d->phase = PH_CLOSE;
	} else {
		http_msg_done(s, f, dir);
	}
}

/* The answer to a request for TLS that did not switch (see the file
 * comment: refused only where the server offered TLS). */
static void
http_upgrade_not_switched(struct http_state *s, struct proto_facts *f, int status)
{
	s->up_pending = false;
	s->up_injected = false; /* the bytes after it were requests, read as such */
	proto_facts_set_upgrade_reply(f, s->status_line, s->status_len);
	if (status == 426 || !f->tls_offered)
		return;
	f->upgrade_refused = true;
	proto_facts_indicate(f, IND_UPGRADE_REFUSED, s->status_line, s->status_len);
}

/* 101 Switching Protocols. Returns true when TLS follows its header block. */
static bool
http_switched(struct http_state *s, struct proto_facts *f, const struct http_req *r,
	      const struct http_msg *m)
{
	const char *to = m->other[0] ? m->other : "?";

	if ((m->upgrade & UPG_TLS) || (m->upgrade == 0 && r->upgrade == UPG_TLS)) {
		proto_facts_set_upgrade_reply(f, s->status_line, s->status_len);
		if (s->up_injected) {
			const struct line_asm *partial = &s->conn.la[DIR_C2S];

			proto_facts_indicate(f, IND_CMD_INJECTION,
					     s->inj_kept ? s->inj : partial->buf,
					     s->inj_kept ? s->inj_len : partial->len);
		}
		s->up_pending = false;
		f->upgrade_accepted = true;
		f->switch_to_tls = true;
		return true;
	}
	/* Another protocol (websocket, h2c ...): the request was granted, and
	 * nothing after this header block is HTTP/1. */
	sasl_field_set(http_own(f)->switched, sizeof(http_own(f)->switched), (const uint8_t *)to,
		       strlen(to));
	proto_facts_login_outcome(f, r->login, true);
	proto_facts_login_outcome(f, r->proxy_login, true);
	s->conn.stopped = true;
	return false;
}

/* The empty line ending a header block. Returns true when the stream
 * switches to TLS after it. */
static bool
http_fields_done(struct http_state *s, struct proto_facts *f, enum dir dir)
{
	struct http_msg *m = &s->d[dir].msg;
	struct http_req r;
	int st = m->status;

	http_field_end(s, f, dir);
	if (dir == DIR_C2S) {
		http_queue_push(s, f, m);
		http_body(s, f, dir, m->method == METHOD_CONNECT);
		return false;
	}
	if ((m->upgrade & UPG_TLS) && st != 101) {
		/* RFC 2817's 426, or any response advertising the upgrade. */
		f->tls_offered = true;
		f->capa_seen = true;
		proto_facts_add_capa_once(f, (const uint8_t *)m->tls_token, strlen(m->tls_token));
	}
	if (st >= 100 && st < 200 && st != 101) {
		http_msg_done(s, f, dir); /* interim: the request still waits */
		return false;
	}
	r = http_queue_pop(s);
	if (st == 101)
		return http_switched(s, f, &r, m);
	http_login_outcome(f, r.login, st, false);
	http_login_outcome(f, r.proxy_login, st, true);
	if (r.upgrade & UPG_TLS)
		http_upgrade_not_switched(s, f, st);
	if (r.method == METHOD_CONNECT) {
		s->connect_pending = false;
		if (st >= 200 && st < 300) {
			http_own(f)->tunnel = true;
			s->d[DIR_C2S].phase = PH_TUNNEL;
			s->d[DIR_S2C].phase = PH_TUNNEL;
			return false;
		}
	}
	http_body(s, f, dir, r.method == METHOD_HEAD || st == 204 || st == 304);
	return false;
}

/* ---- lines --------------------------------------------------------------------- */

static void
http_start_line(struct http_state *s, struct proto_facts *f, const struct line_view *l)
{
	struct http_dir *d = &s->d[l->dir];
	int st;

	if (l->tn == 0)
		return; /* empty lines before a message are allowed */
	if (l->dir == DIR_C2S) {
		if (!http_request_line(&d->msg, l)) {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
			return;
		}
		f->commands++;
		http_count(&http_own(f)->requests);
		if (f->upgrade_refused)
			f->cleartext_after_refusal = true;
	} else {
		if ((st = http_status_code(l->p, l->tn)) < 0) {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
			return;
		}
		http_msg_reset(&d->msg);
		d->msg.status = st;
		http_count(&http_own(f)->responses);
		s->status_len =
			(uint16_t)(l->tn < sizeof(s->status_line) ? l->tn : sizeof(s->status_line));
		memcpy(s->status_line, l->p, s->status_len);
	}
	d->phase = PH_FIELDS;
}

/* A line of a header block. Returns true when the stream switches to TLS
 * after it. */
static bool
http_field_line(struct http_state *s, struct proto_facts *f, const struct line_view *l)
{
	struct http_dir *d = &s->d[l->dir];
	const uint8_t *colon;
	struct cursor v;

	if (l->tn == 0)
		return http_fields_done(s, f, l->dir);
	if (http_is_blank(l->p[0])) { /* obs-fold: the field goes on */
		if (d->field != FIELD_OTHER) {
			v = http_trim(l->p, l->tn);
			http_value_add(d, (const uint8_t *)" ", 1, false);
			http_value_add(d, v.p, v.len, l->cut);
		}
		return false;
	}
	http_field_end(s, f, l->dir);
	colon = memchr(l->p, ':', l->tn);
	if (!colon || colon == l->p) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return false;
	}
	d->field = http_field_kind(l->p, (size_t)(colon - l->p));
	if (d->field != FIELD_OTHER)
		http_value_add(d, colon + 1, l->tn - (size_t)(colon + 1 - l->p), l->cut);
	return false;
}

/* chunk-size [";" chunk-ext]: its size, or the framing is lost (flagged;
 * the next start line is looked for). */
static void
http_chunk_size(struct http_state *s, struct proto_facts *f, const struct line_view *l)
{
	struct http_dir *d = &s->d[l->dir];
	uint64_t size;

	if (!http_chunk_size_read(l->p, l->tn, &size)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		d->phase = PH_START;
		return;
	}
	if (size == 0) {
		d->phase = PH_TRAILERS;
	} else {
		d->left = size;
		d->phase = PH_CHUNK_DATA;
	}
}

static bool
http_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct http_state *s = state;
	struct http_dir *d = &s->d[l->dir];

	if (l->dir == DIR_C2S && s->up_injected && !s->inj_kept) {
		/* The first line sent behind the request for TLS. */
		s->inj_kept = true;
		s->inj_len = (uint16_t)(l->tn < sizeof(s->inj) ? l->tn : sizeof(s->inj));
		memcpy(s->inj, l->p, s->inj_len);
	}
	switch (d->phase) {
	case PH_START:
		http_start_line(s, f, l);
		return false;
	case PH_FIELDS:
		return http_field_line(s, f, l);
	case PH_CHUNK_END:
		if (l->tn == 0) {
			d->phase = PH_CHUNK_SIZE;
			return false;
		}
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX; /* no CRLF: read it as the size */
		http_chunk_size(s, f, l);
		return false;
	case PH_CHUNK_SIZE:
		http_chunk_size(s, f, l);
		return false;
	case PH_TRAILERS:
		if (l->tn == 0)
			http_msg_done(s, f, l->dir);
		return false;
	case PH_LENGTH:
	case PH_CHUNK_DATA:
	case PH_CLOSE:
	case PH_TUNNEL:
		break; /* bytes taken raw: never a line */
	}
	return false;
}

/* Bytes before the next line: bodies, the tunnel, the client's first byte
 * after a request for TLS or a CONNECT. */
static size_t
http_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n, bool *stop)
{
	struct http_state *s = state;
	struct http_dir *d = &s->d[dir];
	size_t take;

	if (s->conn.la[dir].discarding)
		return 0; /* the rest of a cut line first */
	if (dir == DIR_C2S && d->phase == PH_START) {
		if (s->up_pending && !s->up_spoke) {
			s->up_spoke = true;
			if (p[0] == 0x16) { /* the client went ahead with TLS */
				s->up_pending = false;
				f->upgrade_accepted = true;
				f->switch_to_tls = true;
				*stop = true;
				return 0;
			}
			s->up_injected = true;
		}
		if (s->connect_pending) {
			/* Tunnel bytes before the proxy answered: not followed. */
			s->conn.stopped = true;
			*stop = true;
			return 0;
		}
	}
	switch (d->phase) {
	case PH_TUNNEL:
		/* TLS in the tunnel starts with the client's handshake; anything
		 * else is another protocol. */
		if (dir == DIR_C2S && p[0] == 0x16)
			f->switch_to_tls = true;
		else
			s->conn.stopped = true;
		*stop = true;
		return 0;
	case PH_CLOSE:
		return n;
	case PH_LENGTH:
	case PH_CHUNK_DATA:
		take = (uint64_t)n < d->left ? n : (size_t)d->left;
		d->left -= take;
		if (d->left == 0) {
			if (d->phase == PH_LENGTH)
				http_msg_done(s, f, dir);
			else
				d->phase = PH_CHUNK_END;
		}
		return take;
	default:
		return 0;
	}
}

/* Nothing to do where a line ends; present so that the driver lets the
 * rest of a cut line go before the next raw bytes (a chunk's data after a
 * long chunk-size line). */
static void
http_end(void *state, struct proto_facts *f, enum dir dir, const uint8_t *end, size_t n)
{
	(void)state;
	(void)f;
	(void)dir;
	(void)end;
	(void)n;
}

/* ---- descriptor ---------------------------------------------------------------- */

static const struct line_ops http_ops = {
	.dir = {[DIR_C2S] = {http_raw, http_line, http_end},
		[DIR_S2C] = {http_raw, http_line, http_end}},
	.consume_after_stop = false,
};

static void
http_init(void *state)
{
	struct http_state *s = state;

	line_conn_init(s, sizeof(*s), &http_ops);
	http_msg_reset(&s->d[DIR_C2S].msg);
	http_msg_reset(&s->d[DIR_S2C].msg);
}

static void
http_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct http_own *o = (const struct http_own *)(const void *)f->own;

	if (o->requests)
		w->num(w->ctx, "requests", o->requests);
	if (o->responses)
		w->num(w->ctx, "responses", o->responses);
	if (o->tunnel)
		w->str(w->ctx, "tunnel", "connect");
	if (o->switched[0])
		w->str(w->ctx, "switched", o->switched);
}

const struct proto_desc proto_http = {
	.name = "http",
	.rfc = "RFC 9110, RFC 9112, RFC 2817, RFC 7617, RFC 7616, RFC 6750, RFC 4559",
	.transports = PROTO_TCP,
	.clear_ports = {80, 8080},
	.tls_ports = {443, 8443},
	.tls_transports = PROTO_TCP | PROTO_UDP, /* QUIC */
	.upgrade = {"Upgrade: TLS/1.0", "Upgrade: TLS/1.0", "101", true},
	.ndpi = {"HTTP"},
	.alpn = {"http/1.1", "http/1.0", "h2", "h3"},
	.state_size = sizeof(struct http_state),
	.sniff = http_sniff,
	.init = http_init,
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
	.write = http_write,
};
