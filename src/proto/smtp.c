/*
 * smtp.c - Simple Mail Transfer Protocol (SMTP, submission, LMTP) parser.
 *
 * Reads both directions of one session up to the STARTTLS handshake and records
 * what the server offered, what the client asked and what was answered, and
 * which logins crossed the wire in the clear.
 *
 * References: RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 2920 (PIPELINING),
 * RFC 3030 (CHUNKING, BDAT), RFC 2033 (LMTP), RFC 4954 (AUTH); the SASL
 * messages themselves are read by sasl.c; lines, multi-line replies, the
 * command FIFO and the numbering of SASL exchanges are line.c's.
 *
 * Grammar subset parsed:
 *   client:  verb [SP args] CRLF for EHLO HELO LHLO STARTTLS AUTH MAIL RCPT RSET
 *            DATA BDAT QUIT (anything else is "another command");
 *            AUTH SP mechanism [SP initial-response]; SASL responses (base64 or
 *            "*") after a 334, or before it (pipelined, see below); the DATA
 *            body up to CRLF "." CRLF; BDAT SP size [SP LAST] followed by
 *            exactly size octets.
 *   server:  reply lines code ("-" / SP) text CRLF; multi-line replies end at
 *            the first line with SP (or, flagged, at a line with another
 *            code); EHLO/LHLO keywords one per line (STARTTLS, AUTH mech...,
 *            AUTH=mech...).
 *
 * Matching: commands are queued in a FIFO as they are read (PIPELINING lets a
 * client send many at once) and every complete reply answers the head of the
 * queue. Consecutive commands of the same kind share one entry with a count,
 * so a long pipelined RCPT list costs one entry; at CMD_FIFO_CAP distinct
 * entries the newest entry absorbs the overflow as "lost" commands (their
 * replies are still counted, so later replies stay aligned) and
 * PROTO_ANOM_PIPELINE_CAP is set. LMTP answers the end of DATA and BDAT LAST
 * once per accepted recipient; the count is taken when the first of those
 * replies arrives, when every RCPT reply has been seen.
 *
 * Choices:
 *  - The first server reply is the greeting when nothing is queued (220, or the
 *    421/554 "no service" banners), or when it is a 220 and the client spoke
 *    before the banner. Otherwise it answers the head of the queue: a session
 *    picked up after the greeting starts with the EHLO reply.
 *  - Client bytes right after DATA are the message body, without waiting for
 *    the 354: a client that sends early means them as a body. A non-354 reply
 *    to DATA ends the body mode and command parsing resumes.
 *  - A masked keyword is one proto_token_is_masked() recognises (`XXXXXXXA`,
 *    `XXXXXXXX`, `XXXX`; never XCLIENT, XFORWARD, XEXCH50, X-EXPS).
 *    IND_CAPA_MASKED is raised for such a keyword in an EHLO/LHLO reply,
 *    IND_CMD_MASKED for a client command verb of that shape (the middlebox
 *    overwrote STARTTLS or another verb).
 *  - After the client's STARTTLS and before its reply, a complete client line
 *    raises IND_CMD_INJECTION (evidence: that line, CVE-2011-0411); a client
 *    byte 0x16 (the TLS handshake record type) at a line start instead means
 *    the client already started TLS: the capture shows its ClientHello before
 *    the server's 220. Then upgrade_accepted and switch_to_tls are both set
 *    (once switch_to_tls is set the core stops feeding us, so the 220 would
 *    never be seen) and feed returns the bytes before the 0x16. One byte
 *    decides, so the outcome does not depend on how the stream is cut.
 *  - A 220 reply to STARTTLS sets upgrade_accepted and switch_to_tls; feed
 *    returns the bytes up to and including that reply's last line. A 4xx/5xx
 *    sets upgrade_refused and IND_UPGRADE_REFUSED (evidence: the reply's last
 *    line); any later client command except QUIT sets cleartext_after_refusal.
 *  - Every AUTH command records a login (mechanism upper-cased); its outcome is
 *    LOGIN_SUCCESS on a 2xx final reply and LOGIN_FAILURE on 4xx/5xx (a "*"
 *    cancel ends that way too). The initial response and every client line
 *    in a response slot (below) go to sasl.c, which fills the login's fields.
 *  - Pipelined SASL. The server reads the line after AUTH as the response to
 *    its 334 whenever the client sent it, so the client line that follows an
 *    AUTH takes a response slot (sasl_exchange_wants_line): after a 334 was
 *    read, or before it for what the mechanism sends unasked (PLAIN's
 *    message, LOGIN's user name and password). A line in a slot that was
 *    asked for is a response. One sent unasked is a response when it looks
 *    like one (base64 or "*", not a command verb), or else a command (what
 *    the client meant: an `AUTH PLAIN <message>` there records its secret).
 *    Either way every line gets exactly one reply, so the FIFO stays
 *    aligned; each entry names the exchange whose slot it took, and its
 *    reply is read as that exchange's (334, or the outcome) when the server
 *    is in that exchange (it answered the AUTH with 334 and gave no outcome
 *    yet), else as the reply to the line as a command: a STARTTLS pipelined
 *    after a refused AUTH still switches to TLS, and responses the server
 *    read as unknown commands change nothing.
 *  - A gap in either direction stops the parser: replies can no longer be
 *    matched to commands. Everything after it is consumed unread.
 *
 * Not handled yet:
 *  - An injected line with no LF before the server's 220 is not flagged (only
 *    complete lines are evidence).
 *  - Further commands after a DATA that is then refused (they are skipped as
 *    body until the refusal is read); a pipelined line taken as a command
 *    that the server then reads as a SASL response only undoes DATA's body
 *    mode and STARTTLS's wait, not what it recorded (a `STARTTLS` there
 *    still counts as requested).
 *  - A line cut at LINE_CAP is used as cut (PROTO_ANOM_LINE_TOO_LONG): a long
 *    XOAUTH2 token yields the username and the token's beginning only.
 *  - ETRN, TURN, VRFY/EXPN and BURL are counted as commands, nothing more.
 */
#include "line.h"
#include "smtp.h"

#include <string.h>

#define SMTP_TLS_HANDSHAKE 0x16 /* first byte of a TLS handshake record */

/* What a queued command expects as an answer (cmd_entry.cmd). */
enum smtp_cmd {
	CMD_OTHER = 0,
	CMD_LOST, /* absorbed by a FIFO overflow: reply counted, not read */
	CMD_HELO,
	CMD_EHLO, /* EHLO and LHLO: the reply is a capability list */
	CMD_STARTTLS,
	CMD_AUTH, /* the AUTH command */
	CMD_SASL, /* a client line read as a SASL response */
	CMD_MAIL,
	CMD_RCPT,
	CMD_RSET,
	CMD_DATA,
	CMD_DATA_END, /* the body's final dot, or BDAT LAST */
	CMD_BDAT,
	CMD_QUIT,
};

enum smtp_client_mode {
	CMODE_CMD = 0, /* command lines (or SASL responses) */
	CMODE_BODY,    /* DATA body, until CRLF "." CRLF */
	CMODE_BDAT,    /* BDAT chunk octets */
};

enum smtp_reply_target {
	TARGET_NONE = 0, /* unsolicited: nothing queued */
	TARGET_GREETING,
	TARGET_HEAD, /* the head of the FIFO */
};

struct smtp_state {
	struct line_conn conn; /* first: the line engine's */
	bool lmtp;
	struct cmd_fifo fifo; /* outstanding commands */

	/* Client direction. */
	enum smtp_client_mode cmode;
	uint8_t dot_matched;   /* body_skip_dot state */
	uint64_t bdat_left;    /* chunk octets still to skip */
	bool starttls_pending; /* STARTTLS sent, its reply not read yet */
	bool injection_seen;
	bool refused; /* a STARTTLS was refused */

	/* Server direction: the reply being read and what it answers. */
	struct line_reply reply;
	bool first_reply_seen;
	enum smtp_reply_target reply_target;
	uint32_t rcpt_ok; /* accepted recipients of the current transaction */
};

/* ---- Small text helpers ---------------------------------------------------- */

static struct smtp_own *
smtp_own_w(struct proto_facts *f)
{
	return (struct smtp_own *)(void *)f->own;
}

/* RCPT TO:<local@domain> [params]: keeps the first domain, lower case; a
 * domain too long for SMTP_RCPT_DOMAIN_KEEP or with odd bytes is not kept. */
static void
smtp_rcpt_domain(struct proto_facts *f, const uint8_t *p, size_t n)
{
	struct smtp_own *o = smtp_own_w(f);
	size_t at = n, end, len;

	if (o->rcpts < 255)
		o->rcpts++;
	if (o->rcpt_domain[0])
		return;
	for (size_t i = 0; i < n && p[i] != '>' && p[i] != ' ' && p[i] != '\r'; i++)
		if (p[i] == '@')
			at = i;
	if (at == n)
		return;
	for (end = at + 1;
	     end < n && p[end] != '>' && p[end] != ' ' && p[end] != '\r' && p[end] != '\n'; end++)
		;
	len = end - at - 1;
	if (len == 0 || len >= sizeof(o->rcpt_domain))
		return;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[at + 1 + i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
			o->rcpt_domain[0] = '\0';
			return;
		}
		o->rcpt_domain[i] = (char)c;
	}
	o->rcpt_domain[len] = '\0';
}

/* The first token of p (up to SP, TAB or one of delims), without EOL. */
static size_t
smtp_token_len(const uint8_t *p, size_t n, const char *delims)
{
	size_t i = 0;

	while (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n' &&
	       !(delims && p[i] != 0 && strchr(delims, p[i])))
		i++;
	return i;
}

/* Skips spaces and tabs; returns the new offset. */
static size_t
smtp_skip_space(const uint8_t *p, size_t n, size_t off)
{
	while (off < n && (p[off] == ' ' || p[off] == '\t'))
		off++;
	return off;
}

/* ---- Command FIFO ------------------------------------------------------------ */

/* Entries whose reply is read on its own (state rides on it) never merge. */
static bool
smtp_cmd_mergeable(enum smtp_cmd cmd)
{
	return cmd != CMD_AUTH && cmd != CMD_SASL && cmd != CMD_DATA && cmd != CMD_DATA_END;
}

/* Queues a command expecting `replies` replies (0: one per LMTP recipient),
 * stamped with the response slot of the client line being read. Returns the
 * new entry, or NULL when it was merged into the tail or lost at the cap. */
static struct cmd_entry *
smtp_push(struct smtp_state *st, struct proto_facts *f, enum smtp_cmd cmd, uint32_t replies)
{
	struct cmd_entry *e;

	if (smtp_cmd_mergeable(cmd) && cmd_fifo_merge(&st->fifo, &st->conn.auth, cmd, replies))
		return NULL;
	e = cmd_fifo_push(&st->fifo, f, &st->conn.auth, cmd, -1, replies);
	if (!e) /* keep the reply count right, lose what the command was */
		cmd_fifo_absorb(&st->fifo, CMD_LOST, replies ? replies : 1);
	return e;
}

/* ---- SASL ------------------------------------------------------------------- */

/* "AUTH" SP mechanism [SP initial-response] */
static void
smtp_auth_start(struct smtp_state *st, struct proto_facts *f, const uint8_t *args, size_t n,
		bool cut)
{
	size_t mn = smtp_token_len(args, n, NULL);
	struct cmd_entry *e;
	uint32_t seq;
	size_t off;

	if (mn == 0) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		smtp_push(st, f, CMD_OTHER, 1);
		return;
	}
	seq = login_track_begin(&st->conn.auth, f, args, mn);
	off = smtp_skip_space(args, n, mn);
	if (off < n) /* the initial response (a "*" cancel needs nothing: 501 follows) */
		login_track_initial(&st->conn.auth, f, args + off,
				    smtp_token_len(args + off, n - off, NULL), cut);
	e = smtp_push(st, f, CMD_AUTH, 1);
	if (e) {
		e->seq = seq;
		e->login = (int8_t)st->conn.auth.login;
	}
}

/* A reply the server gave inside exchange `seq` (whose login is `login`):
 * a 334 challenge, or its outcome. */
static void
smtp_auth_reply(struct smtp_state *st, struct proto_facts *f, uint32_t seq, int login, int code)
{
	int cls = code / 100;

	if (code == 334)
		login_track_challenge(&st->conn.auth, seq);
	else if (cls == 2 || cls == 4 || cls == 5)
		login_track_outcome(&st->conn.auth, f, seq, login, cls == 2);
}

/* The server read a line the client meant as a command as a SASL response:
 * undo what waits for the command's reply. */
static void
smtp_command_was_response(struct smtp_state *st, const struct cmd_entry *e)
{
	if (e->cmd == CMD_DATA && st->cmode == CMODE_BODY) {
		st->cmode = CMODE_CMD;
		st->dot_matched = 0;
	} else if (e->cmd == CMD_STARTTLS) {
		st->starttls_pending = false;
	}
}

/* ---- Client direction ---------------------------------------------------------- */

static const struct proto_word smtp_verbs[] = {
	{"EHLO", CMD_EHLO},
	{"HELO", CMD_HELO},
	{"LHLO", CMD_EHLO},
	{"STARTTLS", CMD_STARTTLS},
	{"AUTH", CMD_AUTH},
	{"MAIL", CMD_MAIL},
	{"RCPT", CMD_RCPT},
	{"RSET", CMD_RSET},
	{"DATA", CMD_DATA},
	{"BDAT", CMD_BDAT},
	{"QUIT", CMD_QUIT},
	/* Read as "another command"; listed so that a bare one is never taken for
	 * base64 (see smtp_client_line). */
	{"NOOP", CMD_OTHER},
	{"HELP", CMD_OTHER},
	{"VRFY", CMD_OTHER},
	{"EXPN", CMD_OTHER},
	{"ETRN", CMD_OTHER},
	{"TURN", CMD_OTHER},
};

/* The command p[0..n) names; *known false for anything not listed. */
static enum smtp_cmd
smtp_verb_lookup(const uint8_t *p, size_t n, bool *known)
{
	const struct proto_word *w =
		proto_word_find(smtp_verbs, sizeof(smtp_verbs) / sizeof(smtp_verbs[0]), p, n);

	*known = w != NULL;
	return w ? (enum smtp_cmd)w->value : CMD_OTHER;
}

/* "BDAT" SP chunk-size [SP "LAST"] */
static void
smtp_bdat_start(struct smtp_state *st, struct proto_facts *f, const uint8_t *args, size_t n)
{
	size_t dn = smtp_token_len(args, n, NULL);
	uint64_t size = 0;
	bool last;
	size_t off;

	if (dn == 0 || dn > 19) { /* 19 digits always fit in 64 bits */
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		smtp_push(st, f, CMD_OTHER, 1);
		return;
	}
	for (size_t i = 0; i < dn; i++) {
		if (args[i] < '0' || args[i] > '9') {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
			smtp_push(st, f, CMD_OTHER, 1);
			return;
		}
		size = size * 10 + (uint64_t)(args[i] - '0');
	}
	off = smtp_skip_space(args, n, dn);
	last = text_equal_ci(args + off, smtp_token_len(args + off, n - off, NULL), "LAST");
	if (last)
		smtp_push(st, f, CMD_DATA_END, st->lmtp ? 0 : 1);
	else
		smtp_push(st, f, CMD_BDAT, 1);
	if (size > 0) {
		st->cmode = CMODE_BDAT;
		st->bdat_left = size;
	}
}

/* A client command line (or a SASL response in a slot of the exchange). */
static bool
smtp_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct smtp_state *st = state;
	const uint8_t *line = l->p;
	size_t vn = smtp_token_len(line, l->tn, NULL);
	size_t args_off = smtp_skip_space(line, l->tn, vn);
	bool known;
	enum smtp_cmd cmd = smtp_verb_lookup(line, vn, &known);

	if (st->starttls_pending && !st->injection_seen) {
		st->injection_seen = true;
		proto_facts_indicate(f, IND_CMD_INJECTION, line, l->len);
	}
	if (login_track_client_line(&st->conn.auth, f, line, l->tn, l->cut, known)) {
		/* A response slot (see "Pipelined SASL" above). */
		smtp_push(st, f, CMD_SASL, 1);
		return false;
	}
	f->commands++;
	if (st->refused && cmd != CMD_QUIT)
		f->cleartext_after_refusal = true;
	if (!known && proto_token_is_masked(line, vn))
		proto_facts_indicate(f, IND_CMD_MASKED, line, l->len);

	switch (cmd) {
	case CMD_STARTTLS:
		f->upgrade_requested = true;
		st->starttls_pending = true;
		smtp_push(st, f, CMD_STARTTLS, 1);
		break;
	case CMD_AUTH:
		smtp_auth_start(st, f, line + args_off, l->tn - args_off, l->cut);
		break;
	case CMD_DATA:
		smtp_push(st, f, CMD_DATA, 1);
		st->cmode = CMODE_BODY;
		st->dot_matched = 2; /* the body starts at a line boundary */
		break;
	case CMD_BDAT:
		smtp_own_w(f)->data = 1;
		smtp_bdat_start(st, f, line + args_off, l->tn - args_off);
		break;
	case CMD_RCPT:
		smtp_rcpt_domain(f, line + args_off, l->tn - args_off);
		smtp_push(st, f, cmd, 1);
		break;
	case CMD_QUIT:
		smtp_own_w(f)->quit = 1;
		smtp_push(st, f, cmd, 1);
		break;
	case CMD_EHLO:
		if (text_equal_ci(line, vn, "LHLO"))
			st->lmtp = true;
		smtp_push(st, f, cmd, 1);
		break;
	default:
		smtp_push(st, f, cmd, 1);
		break;
	}
	return false;
}

/* Client bytes read before the next line: a DATA body, a BDAT chunk, or the
 * ClientHello of a client that started TLS before we read the 220. */
static size_t
smtp_client_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
		bool *stop)
{
	struct smtp_state *st = state;
	const struct line_asm *la = &st->conn.la[dir];
	uint64_t take;
	size_t used;
	bool done;

	switch (st->cmode) {
	case CMODE_BODY:
		used = body_skip_dot(&st->dot_matched, p, n, &done);
		if (done) {
			st->cmode = CMODE_CMD;
			smtp_push(st, f, CMD_DATA_END, st->lmtp ? 0 : 1);
		}
		return used;
	case CMODE_BDAT:
		take = n < st->bdat_left ? n : st->bdat_left;
		st->bdat_left -= take;
		if (st->bdat_left == 0)
			st->cmode = CMODE_CMD;
		return (size_t)take;
	case CMODE_CMD:
		break;
	}
	if (st->starttls_pending && la->len == 0 && !la->discarding && p[0] == SMTP_TLS_HANDSHAKE) {
		/* The client started TLS before we read the 220 (see header). */
		st->starttls_pending = false;
		f->upgrade_accepted = true;
		f->switch_to_tls = true;
		*stop = true;
	}
	return 0;
}

/* ---- Server direction ---------------------------------------------------------- */

/* One EHLO/LHLO keyword line (the text after "250-" / "250 "). */
static void
smtp_capability_line(struct proto_facts *f, const uint8_t *line, size_t n, const uint8_t *text,
		     size_t tn)
{
	size_t kn = smtp_token_len(text, tn, "=");

	while (tn > 0 && (text[tn - 1] == ' ' || text[tn - 1] == '\t'))
		tn--;
	if (text_equal_ci(text, tn, "STARTTLS"))
		f->tls_offered = true;
	if (text_equal_ci(text, kn, "AUTH") && kn < tn &&
	    (text_has_token_ci(text + kn + 1, tn - kn - 1, "PLAIN", "=") ||
	     text_has_token_ci(text + kn + 1, tn - kn - 1, "LOGIN", "=")))
		f->auth_cleartext_offered = true;
	if (proto_token_is_masked(text, kn))
		proto_facts_indicate(f, IND_CAPA_MASKED, line, n);
}

/* A reply starts: decides what it answers. */
static void
smtp_reply_begin(void *state, int code)
{
	struct smtp_state *st = state;
	struct cmd_entry *head = cmd_fifo_peek(&st->fifo);
	bool first = !st->first_reply_seen;

	st->first_reply_seen = true;
	if (first && !head && (code == 220 || code == 421 || code == 554))
		st->reply_target = TARGET_GREETING;
	else if (first && head && code == 220 && head->cmd != CMD_STARTTLS)
		st->reply_target = TARGET_GREETING; /* the client spoke before the banner */
	else
		st->reply_target = head ? TARGET_HEAD : TARGET_NONE;
}

/* One line of a reply: the keywords of the EHLO/LHLO reply. */
static void
smtp_reply_line(void *state, struct proto_facts *f, const uint8_t *line, size_t n)
{
	struct smtp_state *st = state;
	struct cmd_entry *head = cmd_fifo_peek(&st->fifo);
	size_t tn;

	if (st->reply_target != TARGET_HEAD || !head || head->cmd != CMD_EHLO ||
	    login_track_in_exchange(&st->conn.auth, head) || st->reply.code != 250 ||
	    st->reply.lines == 0)
		return;
	tn = text_trim_eol(line, n);
	smtp_capability_line(f, line, n, line + (tn > 4 ? 4 : tn), tn > 4 ? tn - 4 : 0);
}

/* The reply to the command at the head, read as that command's. Returns
 * true when the stream switches to TLS after it. */
static bool
smtp_command_reply(struct smtp_state *st, struct proto_facts *f, const struct cmd_entry *head,
		   const uint8_t *line, size_t n)
{
	int code = st->reply.code;
	int cls = code / 100;

	switch ((enum smtp_cmd)head->cmd) {
	case CMD_EHLO:
		if (cls == 2)
			f->capa_seen = true;
		break;
	case CMD_STARTTLS:
		st->starttls_pending = false;
		if (code == 220) {
			f->upgrade_accepted = true;
			f->switch_to_tls = true;
			return true;
		}
		if (cls == 4 || cls == 5) {
			f->upgrade_refused = true;
			st->refused = true;
			proto_facts_indicate(f, IND_UPGRADE_REFUSED, line, n);
		} else {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		}
		break;
	case CMD_AUTH:
		smtp_auth_reply(st, f, head->seq, head->login, code);
		break;
	case CMD_MAIL:
	case CMD_RSET:
	case CMD_HELO:
		st->rcpt_ok = 0;
		break;
	case CMD_RCPT:
		if (cls == 2)
			st->rcpt_ok++;
		break;
	case CMD_DATA:
		if (code == 354)
			smtp_own_w(f)->data = 1;
		if (code != 354 && st->cmode == CMODE_BODY) {
			/* Refused: what follows is commands again. */
			st->cmode = CMODE_CMD;
			st->dot_matched = 0;
		}
		break;
	default:
		break; /* CMD_SASL: the exchange was over, an unknown command */
	}
	return false;
}

/* A complete reply (its last line). Returns true when the stream switches
 * to TLS after it. */
static bool
smtp_reply_done(void *state, struct proto_facts *f, const uint8_t *line, size_t n)
{
	struct smtp_state *st = state;
	struct cmd_entry *head = cmd_fifo_peek(&st->fifo);
	bool sw = false;

	if (st->reply_target == TARGET_GREETING) {
		f->greeting = true;
		return false;
	}
	if (st->reply_target != TARGET_HEAD || !head)
		return false;
	if (head->replies == 0) /* LMTP: one reply per accepted recipient */
		head->replies = st->rcpt_ok ? st->rcpt_ok : 1;
	if (login_track_read_as_response(&st->conn.auth, head)) {
		smtp_command_was_response(st, head);
		smtp_auth_reply(st, f, head->slot, head->slot_login, st->reply.code);
	} else {
		sw = smtp_command_reply(st, f, head, line, n);
	}
	cmd_fifo_answered(&st->fifo);
	return sw;
}

static const struct line_reply_ops smtp_reply_ops = {
	.begin = smtp_reply_begin,
	.line = smtp_reply_line,
	.done = smtp_reply_done,
};

/* A server line (a cut one is read as cut). */
static bool
smtp_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct smtp_state *st = state;

	return line_reply_read(&st->reply, &smtp_reply_ops, st, f, l->p, l->len);
}

/* ---- Descriptor ---------------------------------------------------------------- */

/* 1: p starts with one of the words; 0: p is a strict prefix of one (need
 * more bytes); -1: neither. Case-insensitive. */
static int
smtp_sniff_words(const uint8_t *p, size_t len, const char *const *words, size_t n_words)
{
	int r = -1;

	for (size_t i = 0; i < n_words; i++) {
		if (text_prefix_ci(p, len, words[i]))
			return 1;
		if (text_could_be_prefix_ci(p, len, words[i]))
			r = 0;
	}
	return r;
}

static enum sniff_result
smtp_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const char *const greetings[] = {"220 ", "220-"};
	static const char *const hellos[] = {"EHLO ", "HELO ", "LHLO "};
	size_t off = 0;
	int r;

	if (!p)
		return len ? SNIFF_NO : SNIFF_MORE;
	if (dir == DIR_C2S) {
		r = smtp_sniff_words(p, len, hellos, 3);
		return r > 0 ? SNIFF_STRONG : r == 0 ? SNIFF_MORE : SNIFF_NO;
	}
	r = smtp_sniff_words(p, len, greetings, 2);
	if (r <= 0)
		return r == 0 ? SNIFF_MORE : SNIFF_NO;
	/* Every greeting line ("220-" ... "220 ") may name the protocol. */
	while (off < len && text_prefix_ci(p + off, len - off, "220")) {
		const uint8_t *lf = memchr(p + off, '\n', len - off);
		size_t ln = lf ? (size_t)(lf - (p + off)) : len - off;

		if (text_find_ci(p + off, ln, "SMTP") >= 0 ||
		    text_find_ci(p + off, ln, "LMTP") >= 0)
			return SNIFF_STRONG;
		if (!lf || ln < 4 || p[off + 3] != '-')
			break;
		off += ln + 1;
	}
	return SNIFF_WEAK;
}

/* After a gap, replies can no longer be matched to commands: everything is
 * consumed unread. */
static const struct line_ops smtp_ops = {
	.dir = {[DIR_C2S] = {smtp_client_raw, smtp_client_line},
		[DIR_S2C] = {NULL, smtp_server_line}},
	.consume_after_stop = true,
};

static void
smtp_init(void *state)
{
	line_conn_init(state, sizeof(struct smtp_state), &smtp_ops);
}

const struct proto_desc proto_smtp = {
	.name = "smtp",
	.rfc = "RFC 5321, RFC 3207, RFC 4954, RFC 8314",
	.transports = PROTO_TCP,
	.clear_ports = {25, 587, 24},
	.tls_ports = {465},
	.tls_transports = PROTO_TCP,
	.upgrade = {"STARTTLS", "STARTTLS", "220"},
	.ndpi = {"SMTP", "SMTPS"},
	.alpn = {"smtp"},
	.state_size = sizeof(struct smtp_state),
	.sniff = smtp_sniff,
	.init = smtp_init,
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
};
