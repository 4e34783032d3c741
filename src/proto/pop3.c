/*
 * pop3.c - Post Office Protocol version 3 (POP3) parser: STLS and cleartext
 * logins.
 *
 * References: RFC 1939 (POP3, USER/PASS, APOP), RFC 2449 (CAPA, PIPELINING),
 * RFC 2595 (STLS), RFC 5034 (SASL AUTH), RFC 1734 (AUTH); SASL framing in
 * sasl.c.
 *
 * Grammar subset:
 *   client:  keyword [SP arguments] CRLF
 *            CAPA | STLS | USER name | PASS rest-of-line | APOP name digest
 *            AUTH [mech [initial-response]], then one base64 line per "+"
 *              continuation (or sent before it: pipelined), "*" to cancel
 *            LIST/UIDL without argument, RETR, TOP (multi-line answers)
 *   server:  "+OK" / "-ERR" [SP text] CRLF, answering commands in order
 *            (pipelining allowed), "+" [SP base64] continuations, and after
 *            +OK to a multi-line command a body ending in CRLF "." CRLF:
 *            CAPA lines and the AUTH mechanism list are read line by line,
 *            other bodies (messages!) are skipped unparsed.
 *
 * Pipelined SASL: the server reads the line after AUTH as the response to its
 * "+" whenever the client sent it, so that line takes a response slot of the
 * exchange (sasl_exchange_wants_line): after a "+" was read, or before it for
 * what the mechanism sends unasked (PLAIN's message, LOGIN's user name and
 * password). A line in a slot that was asked for is a response; one sent
 * unasked is a response when it looks like one (base64 or "*", not a POP3
 * keyword), else a command (USER/PASS pipelined after an AUTH initial
 * response: the password is recorded). Every line of an exchange gets exactly
 * one server line, a "+" continuation or the status, so continuations are
 * queued answers too; each queued line names the exchange whose slot it took,
 * and its answer is read as that exchange's when the server is in it (it sent
 * a "+" and no status yet), else as the answer to the line as a command.
 *
 * Facts: greeting, CAPA (STLS, USER, SASL PLAIN/LOGIN, masked tokens such as
 * "XXXX"), the STLS request and its answer, injected client bytes after STLS,
 * logins and their outcome. On +OK to STLS, or when the client's first byte
 * after it is 0x16 (a TLS handshake record; one byte decides so that chunking
 * cannot change the verdict), the parser sets switch_to_tls and returns the
 * bytes consumed up to there.
 *
 * Not handled: a server that answers a multi-line command this file does not
 * know with a multi-line body (it would be read as responses), more than
 * POP3_QUEUE_MAX pipelined commands, SASL security layers, the APOP digest
 * (never a reusable secret). Capabilities seen after a successful login do
 * not change tls_offered / auth_cleartext_offered.
 */
#include <string.h>

#include "cursor.h"
#include "proto.h"
#include "sasl.h"

#define POP3_QUEUE_MAX 64 /* commands sent, answer not seen yet */

/* What a command's answer means to us. */
enum pop3_cmd {
	POP3_CMD_OTHER = 0, /* single-line answer */
	POP3_CMD_CAPA,
	POP3_CMD_STLS,
	POP3_CMD_USER,
	POP3_CMD_LOGIN,	    /* PASS, APOP: the answer is the outcome */
	POP3_CMD_AUTH,	    /* AUTH mech: "+" continues the exchange, a status ends it */
	POP3_CMD_SASL,	    /* a client line read as a SASL response */
	POP3_CMD_AUTH_LIST, /* bare AUTH: +OK then a mechanism list */
	POP3_CMD_MULTI,	    /* LIST, UIDL, RETR, TOP: +OK then a body to skip */
};

/* How the next server bytes are read. */
enum pop3_mode {
	POP3_MODE_REPLY = 0, /* status lines */
	POP3_MODE_CAPA,	     /* CAPA lines until "." */
	POP3_MODE_LIST,	     /* other lines until "." (AUTH mechanisms) */
	POP3_MODE_BODY,	     /* raw body until CRLF "." CRLF */
};

struct pop3_queued {
	enum pop3_cmd cmd; /* what the line is as a command */
	int login;	   /* index in facts->logins, or -1 */
	uint32_t seq;	   /* POP3_CMD_AUTH: the exchange it starts */
	uint32_t slot;	   /* the exchange in which the line took a response slot, 0: none */
	int slot_login;	   /* the login of that exchange */
};

struct pop3_state {
	struct line_asm la[2];
	bool stopped;	    /* after a gap */
	bool server_spoke;  /* the first server line has been seen */
	bool authenticated; /* a login succeeded */
	enum pop3_mode mode;
	uint8_t dot_matched; /* body_skip_dot progress */
	struct pop3_queued queue[POP3_QUEUE_MAX];
	size_t q_head, q_len;
	char user[LOGIN_FIELD_MAX]; /* from the last USER */
	/* SASL exchanges, numbered from 1 as AUTH commands are read. */
	struct sasl_exchange sasl; /* the client's latest */
	uint32_t auth_seq;	   /* ... its number */
	int sasl_login;		   /* ... its login, or -1 */
	uint32_t srv_auth;	   /* the exchange the server is in (it sent "+"), 0: none */
	/* The client line being read: the response slot it takes, 0: none. */
	uint32_t line_slot;
	int line_slot_login;
	/* STLS sent, its answer not seen yet. */
	struct upgrade_wait tls_wait;
};

/* ---- small readers -------------------------------------------------------- */

/* "+OK" or "-ERR" followed by the end or a space. */
static bool
pop3_is_status(const uint8_t *p, size_t n, const char *word)
{
	size_t k = strlen(word);

	return text_prefix_ci(p, n, word) && (n == k || p[k] == ' ' || p[k] == '\t');
}

/* ---- command queue ---------------------------------------------------------- */

/* Queues a command, stamped with the response slot of the client line being
 * read. Returns the entry, or NULL when the queue is full. */
static struct pop3_queued *
pop3_queue_push(struct pop3_state *s, struct proto_facts *f, enum pop3_cmd cmd, int login)
{
	struct pop3_queued *q;

	if (s->q_len >= POP3_QUEUE_MAX) {
		f->anomalies |= PROTO_ANOM_PIPELINE_CAP;
		f->cap_hits++;
		return NULL;
	}
	q = &s->queue[(s->q_head + s->q_len) % POP3_QUEUE_MAX];
	*q = (struct pop3_queued){
		.cmd = cmd, .login = login, .slot = s->line_slot, .slot_login = s->line_slot_login};
	s->q_len++;
	return q;
}

static bool
pop3_queue_pop(struct pop3_state *s, struct pop3_queued *out)
{
	if (s->q_len == 0)
		return false;
	*out = s->queue[s->q_head];
	s->q_head = (s->q_head + 1) % POP3_QUEUE_MAX;
	s->q_len--;
	return true;
}

/* ---- client ----------------------------------------------------------------- */

static void
pop3_auth(struct pop3_state *s, struct proto_facts *f, struct cursor args, bool cut)
{
	struct cursor mech, ir;
	struct pop3_queued *q;

	if (!cursor_get_token(&args, &mech)) {
		pop3_queue_push(s, f, POP3_CMD_AUTH_LIST, -1);
		return;
	}
	s->sasl_login = sasl_exchange_begin(&s->sasl, f, mech.p, mech.len);
	if (++s->auth_seq == 0)
		s->auth_seq = 1; /* 0 names no exchange */
	if ((q = pop3_queue_push(s, f, POP3_CMD_AUTH, s->sasl_login)) != NULL)
		q->seq = s->auth_seq;
	if (cursor_get_token(&args, &ir)) /* RFC 5034 initial response */
		sasl_exchange_initial(&s->sasl, f, s->sasl_login, ir.p, ir.len, cut);
}

/* The POP3 keywords (RFC 1939, 2449, 2595, 5034, 6856): a bare one is a
 * command, never taken for base64. */
static bool
pop3_is_keyword(struct cursor kw)
{
	static const char *const words[] = {
		"USER", "PASS", "APOP", "AUTH", "CAPA", "STLS", "STAT", "LIST", "RETR",
		"DELE", "NOOP", "RSET", "QUIT", "TOP",	"UIDL", "LAST", "UTF8", "LANG",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (text_equal_ci(kw.p, kw.len, words[i]))
			return true;
	return false;
}

/* Whether the client line takes a response slot of the exchange, and is read
 * as a response (true: done) or as a command (see the header comment). */
static bool
pop3_sasl_slot(struct pop3_state *s, struct proto_facts *f, const uint8_t *line, size_t n, bool cut)
{
	struct cursor c, kw;
	bool prompted;

	if (!sasl_exchange_wants_line(&s->sasl, &prompted))
		return false;
	s->line_slot = s->auth_seq;
	s->line_slot_login = s->sasl_login;
	cursor_init(&c, line, n);
	if (prompted || ((!cursor_get_token(&c, &kw) || !pop3_is_keyword(kw)) &&
			 sasl_line_is_response(line, n, cut))) {
		sasl_exchange_line(&s->sasl, f, s->sasl_login, line, n, cut);
		pop3_queue_push(s, f, POP3_CMD_SASL, -1);
		return true;
	}
	sasl_exchange_skip(&s->sasl);
	return false;
}

static void
pop3_client_line(struct pop3_state *s, struct proto_facts *f, const uint8_t *line, size_t len,
		 bool cut)
{
	size_t n = text_trim_eol(line, len);
	struct cursor c, kw, arg;
	struct login *l;
	int idx;

	upgrade_wait_client_line(&s->tls_wait, f, line, n);
	s->line_slot = 0;
	if (pop3_sasl_slot(s, f, line, n, cut)) {
		s->line_slot = 0;
		return;
	}
	cursor_init(&c, line, n);
	if (!cursor_get_token(&c, &kw)) {
		s->line_slot = 0;
		return; /* blank line */
	}
	f->commands++;
	if (f->upgrade_refused)
		f->cleartext_after_refusal = true;

	if (text_equal_ci(kw.p, kw.len, "CAPA")) {
		pop3_queue_push(s, f, POP3_CMD_CAPA, -1);
	} else if (text_equal_ci(kw.p, kw.len, "STLS")) {
		upgrade_wait_begin(&s->tls_wait, f);
		pop3_queue_push(s, f, POP3_CMD_STLS, -1);
	} else if (text_equal_ci(kw.p, kw.len, "USER")) {
		cursor_skip_blanks(&c);
		sasl_field_set(s->user, sizeof(s->user), c.p, c.len);
		pop3_queue_push(s, f, POP3_CMD_USER, -1);
	} else if (text_equal_ci(kw.p, kw.len, "PASS")) {
		/* RFC 1939: the password may contain spaces; it is the rest. */
		if (cursor_remaining(&c) > 0)
			cursor_skip(&c, 1);
		idx = proto_facts_add_login_index(f, "USER");
		if ((l = proto_facts_login(f, idx)) != NULL) {
			memcpy(l->username, s->user, sizeof(l->username));
			sasl_field_set(l->secret, sizeof(l->secret), c.p, c.len);
			l->has_secret = true;
		}
		pop3_queue_push(s, f, POP3_CMD_LOGIN, idx);
	} else if (text_equal_ci(kw.p, kw.len, "APOP")) {
		idx = proto_facts_add_login_index(f, "APOP");
		if ((l = proto_facts_login(f, idx)) != NULL && cursor_get_token(&c, &arg))
			sasl_field_set(l->username, sizeof(l->username), arg.p, arg.len);
		pop3_queue_push(s, f, POP3_CMD_LOGIN, idx);
	} else if (text_equal_ci(kw.p, kw.len, "AUTH")) {
		pop3_auth(s, f, c, cut);
	} else if (text_equal_ci(kw.p, kw.len, "LIST") || text_equal_ci(kw.p, kw.len, "UIDL")) {
		pop3_queue_push(s, f, cursor_get_token(&c, &arg) ? POP3_CMD_OTHER : POP3_CMD_MULTI,
				-1);
	} else if (text_equal_ci(kw.p, kw.len, "RETR") || text_equal_ci(kw.p, kw.len, "TOP")) {
		pop3_queue_push(s, f, POP3_CMD_MULTI, -1);
	} else {
		if (proto_token_is_masked(kw.p, kw.len))
			proto_facts_indicate(f, IND_CMD_MASKED, line, n);
		pop3_queue_push(s, f, POP3_CMD_OTHER, -1);
	}
	s->line_slot = 0;
}

/* ---- server ----------------------------------------------------------------- */

/* One line of a CAPA answer (RFC 2449: "capa-tag *(SP param)"); its tag is
 * the keyword kept for display. */
static void
pop3_capa_line(struct pop3_state *s, struct proto_facts *f, const uint8_t *line, size_t n)
{
	struct cursor c, tag, param;

	cursor_init(&c, line, n);
	if (!cursor_get_token(&c, &tag))
		return;
	proto_facts_add_capa_once(f, tag.p, tag.len);
	if (proto_token_is_masked(tag.p, tag.len))
		proto_facts_indicate(f, IND_CAPA_MASKED, line, n);
	if (s->authenticated)
		return;
	if (text_equal_ci(tag.p, tag.len, "STLS")) {
		f->tls_offered = true;
	} else if (text_equal_ci(tag.p, tag.len, "USER")) {
		f->auth_cleartext_offered = true;
	} else if (text_equal_ci(tag.p, tag.len, "SASL")) {
		while (cursor_get_token(&c, &param))
			if (text_equal_ci(param.p, param.len, "PLAIN") ||
			    text_equal_ci(param.p, param.len, "LOGIN"))
				f->auth_cleartext_offered = true;
	}
}

/* What the server answered inside exchange `seq` (whose login is `login`):
 * a "+" continuation, or the status that is its outcome. */
enum pop3_answer { POP3_ANSWER_ERR = 0, POP3_ANSWER_OK, POP3_ANSWER_CONTINUE };

static void
pop3_auth_answer(struct pop3_state *s, struct proto_facts *f, uint32_t seq, int login,
		 enum pop3_answer a)
{
	struct login *l;

	if (a == POP3_ANSWER_CONTINUE) {
		s->srv_auth = seq;
		if (seq == s->auth_seq)
			sasl_exchange_prompt(&s->sasl);
		return;
	}
	if ((l = proto_facts_login(f, login)) != NULL)
		l->outcome = a == POP3_ANSWER_OK ? LOGIN_SUCCESS : LOGIN_FAILURE;
	if (a == POP3_ANSWER_OK)
		s->authenticated = true;
	s->srv_auth = 0;
	if (seq == s->auth_seq)
		sasl_exchange_end(&s->sasl);
}

/* Whether the server read the line of q as a response of the exchange it is
 * in; then whatever waited for the command's answer is undone. */
static bool
pop3_in_exchange(struct pop3_state *s, const struct pop3_queued *q)
{
	if (q->slot == 0 || q->slot != s->srv_auth)
		return false;
	if (q->cmd == POP3_CMD_STLS)
		s->tls_wait.pending = false;
	else if (q->cmd == POP3_CMD_AUTH && q->seq == s->auth_seq)
		sasl_exchange_end(&s->sasl); /* never started on the server */
	return true;
}

/* A "+" continuation: the answer to the oldest line when that is part of an
 * exchange; anything else ignores it. */
static void
pop3_continuation(struct pop3_state *s, struct proto_facts *f)
{
	struct pop3_queued *head = s->q_len ? &s->queue[s->q_head] : NULL;
	struct pop3_queued q;

	if (!head || (head->cmd != POP3_CMD_AUTH && (head->slot == 0 || head->slot != s->srv_auth)))
		return;
	pop3_queue_pop(s, &q);
	if (pop3_in_exchange(s, &q))
		pop3_auth_answer(s, f, q.slot, q.slot_login, POP3_ANSWER_CONTINUE);
	else
		pop3_auth_answer(s, f, q.seq, q.login, POP3_ANSWER_CONTINUE);
}

/* A status line answering the oldest command. Returns true on switch_to_tls. */
static bool
pop3_reply(struct pop3_state *s, struct proto_facts *f, bool ok, const uint8_t *line, size_t n)
{
	enum pop3_answer a = ok ? POP3_ANSWER_OK : POP3_ANSWER_ERR;
	struct pop3_queued q;
	struct login *l;

	if (!pop3_queue_pop(s, &q))
		return false; /* an answer to something we did not see */
	if (pop3_in_exchange(s, &q)) {
		pop3_auth_answer(s, f, q.slot, q.slot_login, a);
		return false;
	}
	switch (q.cmd) {
	case POP3_CMD_CAPA:
		if (ok) {
			f->capa_seen = true;
			s->mode = POP3_MODE_CAPA;
		}
		break;
	case POP3_CMD_STLS:
		return upgrade_wait_answer(&s->tls_wait, f, ok, line, n, &s->la[DIR_C2S]);
	case POP3_CMD_AUTH:
		pop3_auth_answer(s, f, q.seq, q.login, a);
		break;
	case POP3_CMD_LOGIN:
		if ((l = proto_facts_login(f, q.login)) != NULL)
			l->outcome = ok ? LOGIN_SUCCESS : LOGIN_FAILURE;
		if (ok)
			s->authenticated = true;
		break;
	case POP3_CMD_AUTH_LIST:
		if (ok)
			s->mode = POP3_MODE_LIST;
		break;
	case POP3_CMD_MULTI:
		if (ok) {
			s->mode = POP3_MODE_BODY;
			s->dot_matched = 2; /* the body starts at a line boundary */
		}
		break;
	case POP3_CMD_SASL: /* the exchange was over: read as an unknown command */
	case POP3_CMD_USER:
	case POP3_CMD_OTHER:
		break;
	}
	return false;
}

/* Returns true when the parser switched the session to TLS. */
static bool
pop3_server_line(struct pop3_state *s, struct proto_facts *f, const uint8_t *line, size_t len)
{
	size_t n = text_trim_eol(line, len);
	bool first = !s->server_spoke;

	s->server_spoke = true;
	if (s->mode == POP3_MODE_CAPA || s->mode == POP3_MODE_LIST) {
		if (n == 1 && line[0] == '.')
			s->mode = POP3_MODE_REPLY;
		else if (s->mode == POP3_MODE_CAPA)
			pop3_capa_line(s, f, line, n);
		return false;
	}
	if (pop3_is_status(line, n, "+OK") || pop3_is_status(line, n, "-ERR")) {
		bool ok = line[0] == '+';

		if (first && s->q_len == 0) {
			f->greeting = true;
			return false;
		}
		return pop3_reply(s, f, ok, line, n);
	}
	if (n >= 1 && line[0] == '+' && (n == 1 || line[1] == ' ')) {
		pop3_continuation(s, f); /* SASL continuation */
		return false;
	}
	f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	return false;
}

/* ---- feed ------------------------------------------------------------------- */

static size_t
pop3_feed_server(struct pop3_state *s, struct proto_facts *f, const uint8_t *p, size_t len)
{
	struct line_asm *la = &s->la[DIR_S2C];
	size_t off = 0;

	while (off < len) {
		const uint8_t *line;
		size_t used, line_len;
		bool cut, done;

		if (s->mode == POP3_MODE_BODY) {
			if (la->discarding) {
				/* The rest of an overlong +OK line comes first. */
				if (!line_discard_rest(la, p + off, len - off, &used))
					return len;
				off += used;
				continue;
			}
			off += body_skip_dot(&s->dot_matched, p + off, len - off, &done);
			if (done)
				s->mode = POP3_MODE_REPLY;
			continue;
		}
		if (!proto_line_next(f, la, p + off, len - off, &used, &line, &line_len, &cut))
			break;
		off += used;
		if (pop3_server_line(s, f, line, line_len))
			return off;
	}
	return len;
}

static size_t
pop3_feed_client(struct pop3_state *s, struct proto_facts *f, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const uint8_t *line;
		size_t used, line_len;
		bool cut;

		if (upgrade_wait_client_byte(&s->tls_wait, f, p[off]))
			return off; /* the client went ahead with TLS */
		if (!proto_line_next(f, &s->la[DIR_C2S], p + off, len - off, &used, &line,
				     &line_len, &cut))
			break;
		off += used;
		pop3_client_line(s, f, line, line_len, cut);
	}
	return len;
}

static size_t
pop3_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct pop3_state *s = state;

	if (s->stopped || f->switch_to_tls)
		return 0;
	return dir == DIR_C2S ? pop3_feed_client(s, f, p, len) : pop3_feed_server(s, f, p, len);
}

/* ---- descriptor ------------------------------------------------------------- */

static void
pop3_init(void *state)
{
	struct pop3_state *s = state;

	memset(s, 0, sizeof(*s));
	line_asm_init(&s->la[DIR_C2S]);
	line_asm_init(&s->la[DIR_S2C]);
	s->sasl_login = -1;
	s->line_slot_login = -1;
}

static void
pop3_gap(void *state, struct proto_facts *f, enum dir dir)
{
	struct pop3_state *s = state;

	(void)dir;
	f->anomalies |= PROTO_ANOM_GAP;
	s->stopped = true;
}

static void
pop3_fini(void *state)
{
	(void)state; /* nothing allocated */
}

/* "+OK" greeting: STRONG with "POP3", "ready" or an APOP <...@...> stamp. */
static enum sniff_result
pop3_sniff_server(const uint8_t *p, size_t len)
{
	const uint8_t *lf, *lt, *at, *gt;
	size_t n;

	if (text_could_be_prefix_ci(p, len, "+OK"))
		return SNIFF_MORE;
	if (!text_prefix_ci(p, len, "+OK") || (p[3] != ' ' && p[3] != '\r' && p[3] != '\n'))
		return SNIFF_NO;
	lf = memchr(p, '\n', len);
	n = lf ? (size_t)(lf - p) : len;
	if (text_find_ci(p, n, "POP3") >= 0 || text_find_ci(p, n, "ready") >= 0)
		return SNIFF_STRONG;
	lt = memchr(p, '<', n);
	at = lt ? memchr(lt, '@', n - (size_t)(lt - p)) : NULL;
	gt = at ? memchr(at, '>', n - (size_t)(at - p)) : NULL;
	if (gt)
		return SNIFF_STRONG;
	return !lf && len < LINE_CAP ? SNIFF_MORE : SNIFF_WEAK;
}

/*
 * The client's first line is "USER ..." or "AUTH ...", commands POP3 shares
 * with FTP (RFC 959 USER, RFC 2228 / RFC 4217 "AUTH TLS") and IRC (RFC 2812
 * "USER user mode unused :realname"). Returns SNIFF_NO when the line has
 * their shape: USER with more than one argument, AUTH naming an FTP security
 * mechanism (TLS, SSL, TLS-C, TLS-P: no SASL mechanism is called that).
 * Otherwise a weak claim, or SNIFF_MORE while the deciding token is still
 * incomplete.
 */
static enum sniff_result
pop3_sniff_shared(const uint8_t *p, size_t len)
{
	static const char *const ftp_mechs[] = {"TLS", "SSL", "TLS-C", "TLS-P"};
	const uint8_t *lf = memchr(p, '\n', len);
	struct cursor line, kw, arg;
	size_t args = 0;
	bool open;

	cursor_init(&line, p, text_trim_eol(p, lf ? (size_t)(lf - p) + 1 : len));
	if (!cursor_get_token(&line, &kw))
		return SNIFF_NO;
	if (text_equal_ci(kw.p, kw.len, "USER")) {
		while (cursor_get_token(&line, &arg))
			args++;
		if (args > 1)
			return SNIFF_NO;
		return lf ? SNIFF_WEAK : SNIFF_MORE;
	}
	if (!cursor_get_token(&line, &arg))
		return lf ? SNIFF_WEAK : SNIFF_MORE;
	open = !lf && cursor_remaining(&line) == 0; /* the mechanism may go on */
	for (size_t i = 0; i < sizeof(ftp_mechs) / sizeof(ftp_mechs[0]); i++) {
		if (text_equal_ci(arg.p, arg.len, ftp_mechs[i]) && !open)
			return SNIFF_NO;
		if (open && text_could_be_prefix_ci(arg.p, arg.len, ftp_mechs[i]))
			return SNIFF_MORE;
	}
	return SNIFF_WEAK;
}

/*
 * A client speaking first. CAPA, STLS and "APOP " are POP3's own: a strong
 * claim. "USER " and "AUTH " are shared with FTP (RFC 959, RFC 2228 "AUTH
 * TLS") and IRC (RFC 2812 "USER"): a weak claim at most, none when the line
 * has FTP's or IRC's shape. "PASS " is never claimed: POP3 sends it only after
 * USER, and IRC opens with it.
 */
static enum sniff_result
pop3_sniff_client(const uint8_t *p, size_t len)
{
	static const char *const bare[] = {"CAPA", "STLS"};
	bool more = false;

	if (text_prefix_ci(p, len, "APOP "))
		return SNIFF_STRONG;
	if (text_prefix_ci(p, len, "USER ") || text_prefix_ci(p, len, "AUTH "))
		return pop3_sniff_shared(p, len);
	more = text_could_be_prefix_ci(p, len, "APOP ") ||
	       text_could_be_prefix_ci(p, len, "USER ") || text_could_be_prefix_ci(p, len, "AUTH ");
	for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		size_t k = strlen(bare[i]);

		if (text_prefix_ci(p, len, bare[i]) && len > k && (p[k] == '\r' || p[k] == '\n'))
			return SNIFF_STRONG;
		more |= text_could_be_prefix_ci(p, len, bare[i]);
	}
	return more ? SNIFF_MORE : SNIFF_NO;
}

static enum sniff_result
pop3_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	if (len == 0)
		return SNIFF_MORE;
	return dir == DIR_S2C ? pop3_sniff_server(p, len) : pop3_sniff_client(p, len);
}

const struct proto_desc proto_pop3 = {
	.name = "pop3",
	.rfc = "RFC 1939, RFC 2449, RFC 2595, RFC 5034, RFC 8314",
	.transports = PROTO_TCP,
	.clear_ports = {110},
	.tls_ports = {995},
	.tls_transports = PROTO_TCP,
	.upgrade = {"STLS", "STLS", "+OK"},
	.ndpi = {"POP3", "POPS"},
	.alpn = {"pop3"},
	.state_size = sizeof(struct pop3_state),
	.sniff = pop3_sniff,
	.init = pop3_init,
	.feed = pop3_feed,
	.gap = pop3_gap,
	.fini = pop3_fini,
};
