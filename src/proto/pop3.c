/*
 * pop3.c - Post Office Protocol version 3 (POP3) parser: STLS and cleartext
 * logins.
 *
 * References: RFC 1939 (POP3, USER/PASS, APOP), RFC 2449 (CAPA, PIPELINING),
 * RFC 2595 (STLS), RFC 5034 (SASL AUTH), RFC 1734 (AUTH); SASL framing in
 * sasl.c; lines, the command queue and the USER/PASS pairing in line.c.
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
 * CMD_FIFO_CAP pipelined commands, SASL security layers, the APOP digest
 * (never a reusable secret). Capabilities seen after a successful login do
 * not change tls_offered / auth_cleartext_offered.
 */
#include <string.h>

#include "cursor.h"
#include "line.h"

/* What a command's answer means to us (cmd_entry.cmd). */
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

struct pop3_state {
	struct line_conn conn; /* first: the line engine's */
	bool authenticated;    /* a login succeeded */
	enum pop3_mode mode;
	uint8_t dot_matched;	      /* body_skip_dot progress */
	struct cmd_fifo queue;	      /* commands sent, answer not seen yet */
	struct login_pair user_pass;  /* USER's name for PASS */
	struct upgrade_wait tls_wait; /* STLS sent, its answer not seen yet */
};

/* ---- small readers -------------------------------------------------------- */

/* "+OK" or "-ERR" followed by the end or a space. */
static bool
pop3_is_status(const uint8_t *p, size_t n, const char *word)
{
	size_t k = strlen(word);

	return text_prefix_ci(p, n, word) && (n == k || p[k] == ' ' || p[k] == '\t');
}

/* ---- client ----------------------------------------------------------------- */

/* Queues a command (see cmd_fifo_push); NULL when the queue is full. */
static struct cmd_entry *
pop3_push(struct pop3_state *s, struct proto_facts *f, enum pop3_cmd cmd, int login)
{
	return cmd_fifo_push(&s->queue, f, &s->conn.auth, cmd, login, 1);
}

static void
pop3_auth(struct pop3_state *s, struct proto_facts *f, struct cursor args, bool cut)
{
	struct cursor mech, ir;
	struct cmd_entry *q;
	uint32_t seq;

	if (!cursor_get_token(&args, &mech)) {
		pop3_push(s, f, POP3_CMD_AUTH_LIST, -1);
		return;
	}
	seq = login_track_begin(&s->conn.auth, f, mech.p, mech.len);
	if ((q = pop3_push(s, f, POP3_CMD_AUTH, s->conn.auth.login)) != NULL)
		q->seq = seq;
	if (cursor_get_token(&args, &ir)) /* RFC 5034 initial response */
		login_track_initial(&s->conn.auth, f, ir.p, ir.len, cut);
}

/* The client's first byte after STLS decides (see upgrade_wait). */
static size_t
pop3_client_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
		bool *stop)
{
	struct pop3_state *s = state;

	(void)dir;
	(void)n;
	*stop = upgrade_wait_client_byte(&s->tls_wait, f, p[0]);
	return 0;
}

/* The client's commands, by what their answers mean to us. */
enum pop3_verb {
	VERB_OTHER = 0,
	VERB_CAPA,
	VERB_STLS,
	VERB_USER,
	VERB_PASS,
	VERB_APOP,
	VERB_AUTH,
	VERB_LIST, /* LIST, UIDL: a body unless one message is named */
	VERB_RETR, /* RETR, TOP: a body */
};

/* The POP3 keywords (RFC 1939, 2449, 2595, 5034, 6856): a bare one is a
 * command, never taken for base64. */
static const struct proto_word pop3_verbs[] = {
	{"CAPA", VERB_CAPA},  {"STLS", VERB_STLS},  {"USER", VERB_USER},  {"PASS", VERB_PASS},
	{"APOP", VERB_APOP},  {"AUTH", VERB_AUTH},  {"LIST", VERB_LIST},  {"UIDL", VERB_LIST},
	{"RETR", VERB_RETR},  {"TOP", VERB_RETR},   {"STAT", VERB_OTHER}, {"DELE", VERB_OTHER},
	{"NOOP", VERB_OTHER}, {"RSET", VERB_OTHER}, {"QUIT", VERB_OTHER}, {"LAST", VERB_OTHER},
	{"UTF8", VERB_OTHER}, {"LANG", VERB_OTHER},
};

/* One client command, `line`: keyword kw (w: its entry in pop3_verbs, or
 * NULL), c the rest of the line. */
static void
pop3_command(struct pop3_state *s, struct proto_facts *f, struct cursor kw,
	     const struct proto_word *w, struct cursor c, const struct line_view *line)
{
	struct cursor arg;
	struct login *l;
	int idx;

	f->commands++;
	if (f->upgrade_refused)
		f->cleartext_after_refusal = true;
	switch ((enum pop3_verb)(w ? w->value : VERB_OTHER)) {
	case VERB_CAPA:
		pop3_push(s, f, POP3_CMD_CAPA, -1);
		break;
	case VERB_STLS:
		upgrade_wait_begin(&s->tls_wait, f);
		pop3_push(s, f, POP3_CMD_STLS, -1);
		break;
	case VERB_USER:
		cursor_skip_blanks(&c);
		login_pair_user(&s->user_pass, c.p, c.len);
		pop3_push(s, f, POP3_CMD_USER, -1);
		break;
	case VERB_PASS:
		/* RFC 1939: the password may contain spaces; it is the rest. */
		if (cursor_remaining(&c) > 0)
			cursor_skip(&c, 1);
		pop3_push(s, f, POP3_CMD_LOGIN, login_pair_pass(&s->user_pass, f, c.p, c.len));
		break;
	case VERB_APOP:
		idx = proto_facts_add_login_index(f, "APOP");
		if ((l = proto_facts_login(f, idx)) != NULL && cursor_get_token(&c, &arg))
			sasl_field_set(l->username, sizeof(l->username), arg.p, arg.len);
		pop3_push(s, f, POP3_CMD_LOGIN, idx);
		break;
	case VERB_AUTH:
		pop3_auth(s, f, c, line->cut);
		break;
	case VERB_LIST:
		pop3_push(s, f, cursor_get_token(&c, &arg) ? POP3_CMD_OTHER : POP3_CMD_MULTI, -1);
		break;
	case VERB_RETR:
		pop3_push(s, f, POP3_CMD_MULTI, -1);
		break;
	case VERB_OTHER:
		if (proto_token_is_masked(kw.p, kw.len))
			proto_facts_indicate(f, IND_CMD_MASKED, line->p, line->tn);
		pop3_push(s, f, POP3_CMD_OTHER, -1);
		break;
	}
}

/* A client line: a SASL response in a slot of the exchange (see the header
 * comment), a command, or blank. */
static bool
pop3_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct pop3_state *s = state;
	const struct proto_word *w = NULL;
	struct cursor c, kw;
	bool blank;

	upgrade_wait_client_line(&s->tls_wait, f, l->p, l->tn);
	cursor_init(&c, l->p, l->tn);
	blank = !cursor_get_token(&c, &kw);
	if (!blank)
		w = proto_word_find(pop3_verbs, sizeof(pop3_verbs) / sizeof(pop3_verbs[0]), kw.p,
				    kw.len);
	if (login_track_client_line(&s->conn.auth, f, l->p, l->tn, l->cut, w != NULL))
		pop3_push(s, f, POP3_CMD_SASL, -1);
	else if (!blank)
		pop3_command(s, f, kw, w, c, l);
	return false;
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
	proto_facts_capa_keyword(f, tag.p, tag.len, line, n);
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

/* The server's outcome for exchange seq (whose login is `login`). */
static void
pop3_auth_outcome(struct pop3_state *s, struct proto_facts *f, uint32_t seq, int login, bool ok)
{
	login_track_outcome(&s->conn.auth, f, seq, login, ok);
	if (ok)
		s->authenticated = true;
}

/* Whether the server read the line of q as a response of the exchange it is
 * in; then whatever waited for the command's answer is undone. */
static bool
pop3_in_exchange(struct pop3_state *s, const struct cmd_entry *q)
{
	if (!login_track_read_as_response(&s->conn.auth, q))
		return false;
	if (q->cmd == POP3_CMD_STLS)
		s->tls_wait.pending = false;
	return true;
}

/* A "+" continuation: the answer to the oldest line when that is part of an
 * exchange; anything else ignores it. */
static void
pop3_continuation(struct pop3_state *s)
{
	struct cmd_entry *head = cmd_fifo_peek(&s->queue);
	struct cmd_entry q;

	if (!head || (head->cmd != POP3_CMD_AUTH && !login_track_in_exchange(&s->conn.auth, head)))
		return;
	cmd_fifo_pop(&s->queue, &q);
	login_track_challenge(&s->conn.auth, pop3_in_exchange(s, &q) ? q.slot : q.seq);
}

/* A status line answering the oldest command. Returns true on switch_to_tls. */
static bool
pop3_reply(struct pop3_state *s, struct proto_facts *f, bool ok, const uint8_t *line, size_t n)
{
	struct cmd_entry q;

	if (!cmd_fifo_pop(&s->queue, &q))
		return false; /* an answer to something we did not see */
	if (pop3_in_exchange(s, &q)) {
		pop3_auth_outcome(s, f, q.slot, q.slot_login, ok);
		return false;
	}
	switch ((enum pop3_cmd)q.cmd) {
	case POP3_CMD_CAPA:
		if (ok) {
			f->capa_seen = true;
			s->mode = POP3_MODE_CAPA;
		}
		break;
	case POP3_CMD_STLS:
		return upgrade_wait_answer(&s->tls_wait, f, ok, line, n, &s->conn.la[DIR_C2S]);
	case POP3_CMD_AUTH:
		pop3_auth_outcome(s, f, q.seq, q.login, ok);
		break;
	case POP3_CMD_LOGIN:
		proto_facts_login_outcome(f, q.login, ok);
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

/* A server line (a cut one is read as cut). Returns true when the parser
 * switched the session to TLS. */
static bool
pop3_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct pop3_state *s = state;

	if (s->mode == POP3_MODE_CAPA || s->mode == POP3_MODE_LIST) {
		if (l->tn == 1 && l->p[0] == '.')
			s->mode = POP3_MODE_REPLY;
		else if (s->mode == POP3_MODE_CAPA)
			pop3_capa_line(s, f, l->p, l->tn);
		return false;
	}
	if (pop3_is_status(l->p, l->tn, "+OK") || pop3_is_status(l->p, l->tn, "-ERR")) {
		if (l->first && s->queue.n == 0) {
			f->greeting = true;
			return false;
		}
		return pop3_reply(s, f, l->p[0] == '+', l->p, l->tn);
	}
	if (l->tn >= 1 && l->p[0] == '+' && (l->tn == 1 || l->p[1] == ' ')) {
		pop3_continuation(s); /* SASL continuation */
		return false;
	}
	f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	return false;
}

/* The body of a multi-line answer, skipped unread up to CRLF "." CRLF (after
 * the rest of an overlong +OK line). */
static size_t
pop3_server_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
		bool *stop)
{
	struct pop3_state *s = state;
	size_t used;
	bool done;

	(void)dir;
	(void)f;
	(void)stop;
	if (s->mode != POP3_MODE_BODY)
		return 0;
	used = body_skip_dot(&s->dot_matched, p, n, &done);
	if (done)
		s->mode = POP3_MODE_REPLY;
	return used;
}

/* ---- descriptor ------------------------------------------------------------- */

/* After a gap the rest of both streams is handed back unread. */
static const struct line_ops pop3_ops = {
	.dir = {[DIR_C2S] = {pop3_client_raw, pop3_client_line},
		[DIR_S2C] = {pop3_server_raw, pop3_server_line}},
};

static void
pop3_init(void *state)
{
	line_conn_init(state, sizeof(struct pop3_state), &pop3_ops);
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
 * A first line "USER ..." or "AUTH ...": words other protocols open with
 * too, so a weak claim at most. Not POP3 at all: USER with more than one
 * argument (RFC 1939: "USER name"), AUTH naming a TLS layer rather than a
 * SASL mechanism (RFC 5034: "AUTH mechanism"; no SASL mechanism is called
 * TLS, SSL, TLS-C or TLS-P). SNIFF_MORE while the deciding token is still
 * incomplete.
 */
static enum sniff_result
pop3_sniff_user_auth(const uint8_t *p, size_t len)
{
	static const char *const tls_layers[] = {"TLS", "SSL", "TLS-C", "TLS-P"};
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
	for (size_t i = 0; i < sizeof(tls_layers) / sizeof(tls_layers[0]); i++) {
		if (text_equal_ci(arg.p, arg.len, tls_layers[i]) && !open)
			return SNIFF_NO;
		if (open && text_could_be_prefix_ci(arg.p, arg.len, tls_layers[i]))
			return SNIFF_MORE;
	}
	return SNIFF_WEAK;
}

/*
 * A server greeting, or a client speaking first. CAPA, STLS and "APOP " are
 * POP3's own: a strong claim. "USER " and "AUTH " are common words: a weak
 * claim at most (see pop3_sniff_user_auth). "PASS " is never claimed: POP3
 * sends it only after USER.
 */
static enum sniff_result
pop3_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const char *const bare[] = {"CAPA", "STLS"};
	bool more = false;

	if (len == 0)
		return SNIFF_MORE;
	if (dir == DIR_S2C)
		return pop3_sniff_server(p, len);
	if (text_prefix_ci(p, len, "APOP "))
		return SNIFF_STRONG;
	if (text_prefix_ci(p, len, "USER ") || text_prefix_ci(p, len, "AUTH "))
		return pop3_sniff_user_auth(p, len);
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
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
};
