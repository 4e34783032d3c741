/*
 * sip.c - Session Initiation Protocol over UDP and TCP: requests and
 * responses counted, the user a REGISTER or INVITE names, digest
 * credentials as logins without a secret and the final response as their
 * outcome.
 *
 * References: RFC 3261 (SIP: the start line of requests and responses,
 * header fields and their compact forms, 22.4 the Authorization and
 * Proxy-Authorization digest, 18.1 UDP: one message per datagram, 18.3
 * framing over a stream: the header section up to the empty line, then
 * Content-Length bytes of body; 5060 in the clear, 5061 for SIP over TLS),
 * RFC 5626 3.5.1 (CRLF keep-alives between messages on a stream), RFC 8760
 * (SHA-256 digests), RFC 7617 (Basic, which RFC 3261 forbids and some
 * devices still send).
 *
 * Read: the start line, and the header fields From (f), CSeq,
 * Authorization and Proxy-Authorization, up to the empty line; over TCP
 * also Content-Length (l), whose bytes of body are skipped unread. A
 * field folded over several lines (obsolete) is read by its first line
 * only. Over TCP a line is read whole up to LINE_CAP bytes (a longer one
 * by its start: line_next), and empty lines between messages are skipped.
 *
 * Facts: a request carrying Authorization or Proxy-Authorization is a
 * login, once per user and scheme in a session: `DIGEST` (the username of
 * the digest, no secret: the response is a hash; low), `BASIC` (base64 of
 * user:password, a secret; high), any other scheme by its name without a
 * secret. Its outcome is the final response whose CSeq names the same
 * number: 2xx success, 401, 403 or 407 failure (another challenge: the
 * credentials were refused), anything else unknown. Own fields: the
 * counts of REGISTER, INVITE, other requests and responses, the first
 * request's From user (`user@host` of its URI, cut) and the last final
 * response's code.
 *
 * Not handled: bodies (SDP), several messages in one datagram. Over TCP a
 * start line that is not SIP, a Content-Length that is not a number of at
 * most 9 digits, or a gap stops the parser (message boundaries are lost).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "sasl.h"

#define SIP_OWN_USER 40

/* The facts only SIP has, in proto_facts.own. */
struct sip_own {
	uint16_t registers;
	uint16_t invites;
	uint16_t other_requests;
	uint16_t responses;
	uint16_t final_code; /* the last final (>= 200) response's code */
	char user[SIP_OWN_USER];
};
_Static_assert(sizeof(struct sip_own) <= PROTO_OWN_MAX, "sip_own fits proto_facts.own");

/* One message being read: what its start line and fields said so far. */
struct sip_msg {
	bool response;
	bool have_cseq;
	bool bad_length;	 /* a Content-Length that is no number */
	int8_t login;		 /* the login its credentials made, -1: none */
	uint16_t code;		 /* a response's status code */
	uint32_t cseq;		 /* the CSeq number */
	uint32_t content_length; /* bytes of body after the empty line */
	char from[SIP_OWN_USER];
};

/* One direction of a TCP stream (RFC 3261 18.3). */
struct sip_tcp {
	bool in_headers;    /* start line read, the empty line not yet */
	uint32_t body_left; /* bytes of the current body still to skip */
	struct sip_msg msg;
	struct line_asm la;
};

/* Authorized requests waiting for their final answer, by CSeq number.
 * Over UDP a session gets only the part before tcp (udp_state_size). */
#define SIP_PENDING 4
struct sip_state {
	bool stopped; /* first: proto_gap_stop */
	uint32_t cseq[SIP_PENDING];
	int8_t login[SIP_PENDING]; /* -1: free */
	uint8_t next;
	struct sip_tcp tcp[2];
};

static struct sip_own *
sip_own(struct proto_facts *f)
{
	return (struct sip_own *)(void *)f->own;
}

static void
sip_count(uint16_t *v)
{
	if (*v < UINT16_MAX)
		(*v)++;
}

/* A SIP token (RFC 3261 25.1): the method of a request. */
static bool
sip_token_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr("-.!%*_+`'~", c) != NULL;
}

/* The next line of p[*off..n) without its CR LF; false at the end or at
 * a line without LF (a cut datagram: its last bytes are not read). */
static bool
sip_line(const uint8_t *p, size_t n, size_t *off, const uint8_t **line, size_t *len)
{
	const uint8_t *lf;

	if (*off >= n)
		return false;
	lf = memchr(p + *off, '\n', n - *off);
	if (!lf)
		return false;
	*line = p + *off;
	*len = text_trim_eol(*line, (size_t)(lf - *line) + 1);
	*off = (size_t)(lf - p) + 1;
	return true;
}

/* "NAME:" (or its compact form) at the start of line: the value after the
 * colon and blanks, or false. */
static bool
sip_field(const uint8_t *line, size_t n, const char *name, const char *compact,
	  const uint8_t **value, size_t *vlen)
{
	size_t k = 0;

	while (k < n && line[k] != ':' && line[k] != ' ' && line[k] != '\t')
		k++;
	if (!text_equal_ci(line, k, name) && !(compact && text_equal_ci(line, k, compact)))
		return false;
	while (k < n && (line[k] == ' ' || line[k] == '\t'))
		k++;
	if (k >= n || line[k] != ':')
		return false;
	k++;
	while (k < n && (line[k] == ' ' || line[k] == '\t'))
		k++;
	*value = line + k;
	*vlen = n - k;
	return true;
}

/* The user@host of the sip: or sips: URI in a From value. */
static void
sip_from_user(const uint8_t *v, size_t n, char *out, size_t outsz)
{
	long at = text_find_ci(v, n, "sip:");
	size_t start, end;

	if (at < 0) {
		at = text_find_ci(v, n, "sips:");
		if (at < 0)
			return;
		at++;
	}
	start = (size_t)at + 4;
	end = start;
	while (end < n && v[end] != '>' && v[end] != ';' && v[end] != ' ' && v[end] != '?')
		end++;
	sasl_field_set(out, outsz, v + start, end - start);
}

static bool
sip_cseq_number(const uint8_t *v, size_t n, uint32_t *num)
{
	size_t k = 0;

	*num = 0;
	while (k < n && v[k] >= '0' && v[k] <= '9' && k < 10)
		*num = *num * 10 + (uint32_t)(v[k++] - '0');
	return k > 0;
}

/* Authorization or Proxy-Authorization: the login it makes. */
static int
sip_auth_login(struct proto_facts *f, const uint8_t *v, size_t n, bool proxy)
{
	struct login tmp;
	char mech[16];
	size_t k = 0;
	int idx;

	memset(&tmp, 0, sizeof(tmp));
	while (k < n && v[k] != ' ' && v[k] != '\t')
		k++;
	if (text_equal_ci(v, k, "Digest")) {
		snprintf(mech, sizeof(mech), "%s", proxy ? "PROXY-DIGEST" : "DIGEST");
		sasl_digest_username(v + k, n - k, &tmp);
	} else if (text_equal_ci(v, k, "Basic")) {
		uint8_t dec[2 * LOGIN_FIELD_MAX];
		size_t dlen, b = k;
		const uint8_t *colon;

		snprintf(mech, sizeof(mech), "%s", proxy ? "PROXY-BASIC" : "BASIC");
		while (b < n && (v[b] == ' ' || v[b] == '\t'))
			b++;
		if (sasl_base64_decode(v + b, n - b, dec, sizeof(dec), &dlen) &&
		    (colon = memchr(dec, ':', dlen)) != NULL) {
			sasl_field_set(tmp.username, sizeof(tmp.username), dec,
				       (size_t)(colon - dec));
			sasl_field_set(tmp.secret, sizeof(tmp.secret), colon + 1,
				       dlen - (size_t)(colon - dec) - 1);
			tmp.has_secret = true;
		}
	} else {
		sasl_field_set(mech, sizeof(mech), v, k);
	}
	for (size_t i = 0; i < f->n_logins; i++)
		if (strcmp(f->logins[i].mechanism, mech) == 0 &&
		    strcmp(f->logins[i].username, tmp.username) == 0)
			return (int)i;
	idx = proto_facts_add_login_index(f, mech);
	if (idx >= 0) {
		memcpy(f->logins[idx].username, tmp.username, sizeof(tmp.username));
		memcpy(f->logins[idx].secret, tmp.secret, sizeof(tmp.secret));
		f->logins[idx].has_secret = tmp.has_secret;
	}
	return idx;
}

/* Content-Length's value: at most 9 digits, blanks around them. */
static bool
sip_content_length(const uint8_t *v, size_t n, uint32_t *len)
{
	size_t k = 0, digits = 0;

	*len = 0;
	while (k < n && v[k] >= '0' && v[k] <= '9') {
		if (++digits > 9)
			return false;
		*len = *len * 10 + (uint32_t)(v[k++] - '0');
	}
	while (k < n && (v[k] == ' ' || v[k] == '\t'))
		k++;
	return digits > 0 && k == n;
}

/* The start line of a message (line end trimmed): counted into f and m;
 * false (an anomaly) when it is neither a request nor a response. */
static bool
sip_msg_begin(struct sip_msg *m, struct proto_facts *f, const uint8_t *line, size_t len)
{
	struct sip_own *o = sip_own(f);
	size_t k = 0;

	memset(m, 0, sizeof(*m));
	m->login = -1;
	m->response = text_prefix_ci(line, len, "SIP/2.0 ");
	if (m->response) {
		if (len < 11 || line[8] < '1' || line[8] > '6' || line[9] < '0' || line[9] > '9' ||
		    line[10] < '0' || line[10] > '9') {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
			return false;
		}
		m->code =
			(uint16_t)((line[8] - '0') * 100 + (line[9] - '0') * 10 + (line[10] - '0'));
		sip_count(&o->responses);
		if (m->code >= 200)
			o->final_code = m->code;
		return true;
	}
	while (k < len && sip_token_char(line[k]))
		k++;
	if (k == 0 || k >= len || line[k] != ' ' || len < 8 ||
	    !text_equal_ci(line + len - 8, 8, " SIP/2.0")) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return false;
	}
	f->commands++;
	if (text_equal_ci(line, k, "REGISTER"))
		sip_count(&o->registers);
	else if (text_equal_ci(line, k, "INVITE"))
		sip_count(&o->invites);
	else
		sip_count(&o->other_requests);
	return true;
}

/* One header field line (line end trimmed) of the message m. */
static void
sip_msg_field(struct sip_msg *m, struct proto_facts *f, const uint8_t *line, size_t len)
{
	const uint8_t *v;
	size_t vlen;
	int login;

	if (sip_field(line, len, "CSeq", NULL, &v, &vlen)) {
		m->have_cseq = sip_cseq_number(v, vlen, &m->cseq);
	} else if (sip_field(line, len, "Content-Length", "l", &v, &vlen)) {
		m->bad_length = !sip_content_length(v, vlen, &m->content_length);
	} else if (!m->response && sip_field(line, len, "From", "f", &v, &vlen)) {
		sip_from_user(v, vlen, m->from, sizeof(m->from));
	} else if (!m->response && sip_field(line, len, "Authorization", NULL, &v, &vlen)) {
		login = sip_auth_login(f, v, vlen, false);
		m->login = (int8_t)(login < 0 ? -1 : login);
	} else if (!m->response && sip_field(line, len, "Proxy-Authorization", NULL, &v, &vlen)) {
		login = sip_auth_login(f, v, vlen, true);
		m->login = (int8_t)(login < 0 ? -1 : login);
	}
}

/* The header section of m is over: a request's credentials wait for their
 * final response; a final response settles the logins of its CSeq. */
static void
sip_msg_end(struct sip_state *s, struct proto_facts *f, const struct sip_msg *m)
{
	struct sip_own *o = sip_own(f);

	if (!m->response) {
		if (m->from[0] && !o->user[0])
			memcpy(o->user, m->from, sizeof(o->user));
		if (m->login >= 0 && m->have_cseq) {
			s->cseq[s->next] = m->cseq;
			s->login[s->next] = m->login;
			s->next = (uint8_t)((s->next + 1) % SIP_PENDING);
		}
		return;
	}
	if (m->code < 200 || !m->have_cseq)
		return;
	for (size_t i = 0; i < SIP_PENDING; i++) {
		if (s->login[i] < 0 || s->cseq[i] != m->cseq)
			continue;
		if (m->code < 300)
			proto_facts_login_outcome(f, s->login[i], true);
		else if (m->code == 401 || m->code == 403 || m->code == 407)
			proto_facts_login_outcome(f, s->login[i], false);
		s->login[i] = -1;
	}
}

/* A datagram: one message, its header section up to the empty line or the
 * last whole line. */
static void
sip_message(struct sip_state *s, struct proto_facts *f, const uint8_t *p, size_t n)
{
	struct sip_msg m;
	const uint8_t *line;
	size_t len, off = 0;

	if (!sip_line(p, n, &off, &line, &len)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	if (!sip_msg_begin(&m, f, line, len))
		return;
	while (sip_line(p, n, &off, &line, &len) && len > 0)
		sip_msg_field(&m, f, line, len);
	sip_msg_end(s, f, &m);
}

static void
sip_init(void *state)
{
	struct sip_state *s = state;

	/* Zeroed by the core; over UDP the state ends before tcp. */
	memset(s->login, 0xff, sizeof(s->login)); /* -1: free */
}

static void
sip_datagram(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	(void)dir;
	sip_message(state, f, p, len);
}

/*
 * RFC 3261 18.3: messages follow each other on the stream, each a start
 * line, header fields, an empty line and Content-Length bytes of body
 * (none when the field is missing). Empty lines between messages are
 * keep-alives (RFC 5626). The line assembler keeps a line cut across
 * chunks, so any chunking gives the same facts.
 */
static size_t
sip_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct sip_state *s = state;
	struct sip_tcp *t = &s->tcp[dir];
	const uint8_t *line;
	size_t i = 0, used, n;
	bool cut;

	while (!s->stopped && i < len) {
		if (t->body_left > 0) {
			size_t take = len - i < t->body_left ? len - i : t->body_left;

			i += take;
			t->body_left -= (uint32_t)take;
			continue;
		}
		if (!proto_line_next(f, &t->la, p + i, len - i, &used, &line, &n, &cut))
			break;
		i += used;
		n = text_trim_eol(line, n);
		if (!t->in_headers) {
			if (n == 0)
				continue;
			if (!sip_msg_begin(&t->msg, f, line, n)) {
				s->stopped = true; /* not SIP: the boundaries are lost */
				break;
			}
			t->in_headers = true;
		} else if (n > 0) {
			sip_msg_field(&t->msg, f, line, n);
		} else {
			t->in_headers = false;
			sip_msg_end(s, f, &t->msg);
			if (t->msg.bad_length) {
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				s->stopped = true;
				break;
			}
			t->body_left = t->msg.content_length;
		}
	}
	return len;
}

/*
 * A start line: "SIP/2.0 NNN " (a response), or a method token, a space, a
 * sip:, sips: or tel: URI and " SIP/2.0" at the end of the line.
 */
static enum sniff_result
sip_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	const uint8_t *lf = memchr(p, '\n', len);
	size_t n, m = 0;

	(void)dir;
	if (text_could_be_prefix_ci(p, len, "SIP/2.0 "))
		return SNIFF_MORE;
	if (!lf)
		return len < 64 && len > 0 && sip_token_char(p[0]) ? SNIFF_MORE : SNIFF_NO;
	n = text_trim_eol(p, (size_t)(lf - p) + 1);
	if (text_prefix_ci(p, n, "SIP/2.0 "))
		return n >= 12 && p[8] >= '1' && p[8] <= '6' && p[11] == ' ' ? SNIFF_STRONG
									     : SNIFF_NO;
	while (m < n && sip_token_char(p[m]))
		m++;
	if (m == 0 || m + 1 >= n || p[m] != ' ' || n < m + 9 ||
	    !text_equal_ci(p + n - 8, 8, " SIP/2.0"))
		return SNIFF_NO;
	if (!text_prefix_ci(p + m + 1, n - m - 1, "sip:") &&
	    !text_prefix_ci(p + m + 1, n - m - 1, "sips:") &&
	    !text_prefix_ci(p + m + 1, n - m - 1, "tel:"))
		return SNIFF_NO;
	return SNIFF_STRONG;
}

static void
sip_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct sip_own *o = (const struct sip_own *)(const void *)f->own;

	if (o->registers)
		w->num(w->ctx, "register", o->registers);
	if (o->invites)
		w->num(w->ctx, "invite", o->invites);
	if (o->other_requests)
		w->num(w->ctx, "other_requests", o->other_requests);
	if (o->responses)
		w->num(w->ctx, "responses", o->responses);
	if (o->final_code)
		w->num(w->ctx, "final", o->final_code);
	if (o->user[0])
		w->str(w->ctx, "from", o->user);
}

const struct proto_desc proto_sip = {
	.name = "sip",
	.rfc = "RFC 3261, RFC 8760, RFC 7617",
	.transports = PROTO_TCP | PROTO_UDP,
	.clear_ports = {5060},
	.tls_ports = {5061},
	.tls_transports = PROTO_TCP | PROTO_UDP, /* IANA's sip-tls: 5061 on both */
	.ndpi = {"SIP"},
	.alpn = {"sip/2"},
	.state_size = sizeof(struct sip_state),
	.udp_state_size = offsetof(struct sip_state, tcp),
	.sniff = sip_sniff,
	.init = sip_init,
	.feed = sip_feed,
	.datagram = sip_datagram,
	.gap = proto_gap_stop,
	.write = sip_write,
};
