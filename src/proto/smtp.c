/*
 * smtp.c - Simple Mail Transfer Protocol (SMTP, submission, LMTP) parser.
 *
 * Reads both directions of one session up to the STARTTLS handshake and records
 * what the server offered, what the client asked and what was answered, and
 * which logins crossed the wire in the clear.
 *
 * References: RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 2920 (PIPELINING),
 * RFC 3030 (CHUNKING, BDAT), RFC 2033 (LMTP), RFC 4954 (AUTH); the SASL
 * messages themselves are read by sasl.c.
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
 * so a long pipelined RCPT list costs one entry; at SMTP_FIFO_CAP distinct
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
#include "proto.h"

#include <string.h>

#include "sasl.h"

#define SMTP_FIFO_CAP 64
#define SMTP_TLS_HANDSHAKE 0x16 /* first byte of a TLS handshake record */

/* What a queued command expects as an answer. */
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

struct smtp_pending {
	uint8_t cmd;	   /* enum smtp_cmd: what the line is as a command */
	int8_t login;	   /* CMD_AUTH: the login it records (-1: dropped) */
	int8_t slot_login; /* the login of the exchange `slot` names */
	uint32_t seq;	   /* CMD_AUTH: the exchange it starts */
	uint32_t slot;	   /* the exchange in which the line took a response slot, 0: none */
	uint32_t replies;  /* replies still due; 0: one per LMTP recipient, not yet known */
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
	struct line_asm line[2]; /* indexed by enum dir */
	bool stopped;		 /* after a gap */
	bool lmtp;

	/* Outstanding commands, oldest first (a ring). */
	struct smtp_pending fifo[SMTP_FIFO_CAP];
	unsigned fifo_head;
	unsigned fifo_n;

	/* Client direction. */
	enum smtp_client_mode cmode;
	uint8_t dot_matched;   /* body_skip_dot state */
	uint64_t bdat_left;    /* chunk octets still to skip */
	bool starttls_pending; /* STARTTLS sent, its reply not read yet */
	bool injection_seen;
	bool refused; /* a STARTTLS was refused */

	/* Server direction: the reply being read. */
	bool in_reply;
	bool first_reply_seen;
	int reply_code;
	uint32_t reply_lines;
	enum smtp_reply_target reply_target;
	uint32_t rcpt_ok; /* accepted recipients of the current transaction */
	/* Its latest line (cut), in case the next line, with another code, ends it. */
	uint8_t reply_last[EVIDENCE_MAX];
	size_t reply_last_len;

	/* SASL exchanges, numbered from 1 as AUTH commands are read. */
	struct sasl_exchange sasl; /* the client's latest */
	uint32_t auth_seq;	   /* ... its number */
	int auth_login;		   /* ... its login in f->logins, -1 when dropped */
	uint32_t srv_auth;	   /* the exchange the server is in (it sent a 334), 0: none */
	/* The client line being read: the response slot it takes, 0: none. */
	uint32_t line_slot;
	int line_slot_login;
};

/* ---- Small text helpers ---------------------------------------------------- */

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

static struct smtp_pending *
smtp_fifo_at(struct smtp_state *st, unsigned k)
{
	return &st->fifo[(st->fifo_head + k) % SMTP_FIFO_CAP];
}

static struct smtp_pending *
smtp_fifo_peek(struct smtp_state *st)
{
	return st->fifo_n ? smtp_fifo_at(st, 0) : NULL;
}

static void
smtp_fifo_pop(struct smtp_state *st)
{
	if (st->fifo_n == 0)
		return;
	st->fifo_head = (st->fifo_head + 1) % SMTP_FIFO_CAP;
	st->fifo_n--;
}

static void
smtp_fifo_add_count(struct smtp_pending *e, uint32_t replies)
{
	uint32_t have = e->replies ? e->replies : 1;

	e->replies = have > UINT32_MAX - replies ? UINT32_MAX : have + replies;
}

/* Entries whose reply is read on its own (state rides on it) never merge. */
static bool
smtp_cmd_mergeable(enum smtp_cmd cmd)
{
	return cmd != CMD_AUTH && cmd != CMD_SASL && cmd != CMD_DATA && cmd != CMD_DATA_END;
}

/* Queues a command expecting `replies` replies (0: one per LMTP recipient),
 * stamped with the response slot of the client line being read. Returns the
 * new entry, or NULL when it was merged into the tail or lost at the cap. */
static struct smtp_pending *
smtp_fifo_push(struct smtp_state *st, struct proto_facts *f, enum smtp_cmd cmd, uint32_t replies)
{
	struct smtp_pending *tail = st->fifo_n ? smtp_fifo_at(st, st->fifo_n - 1) : NULL;

	if (tail && tail->cmd == cmd && smtp_cmd_mergeable(cmd) && replies && tail->slot == 0 &&
	    st->line_slot == 0) {
		smtp_fifo_add_count(tail, replies);
		return NULL;
	}
	if (st->fifo_n == SMTP_FIFO_CAP) {
		/* Keep the reply count right, lose what the command was. */
		f->anomalies |= PROTO_ANOM_PIPELINE_CAP;
		f->cap_hits++;
		tail->cmd = CMD_LOST;
		tail->slot = 0;
		smtp_fifo_add_count(tail, replies ? replies : 1);
		return NULL;
	}
	tail = smtp_fifo_at(st, st->fifo_n++);
	memset(tail, 0, sizeof(*tail));
	tail->cmd = (uint8_t)cmd;
	tail->replies = replies;
	tail->login = -1;
	tail->slot = st->line_slot;
	tail->slot_login = (int8_t)st->line_slot_login;
	return tail;
}

/* ---- SASL ------------------------------------------------------------------- */

/* "AUTH" SP mechanism [SP initial-response] */
static void
smtp_auth_start(struct smtp_state *st, struct proto_facts *f, const uint8_t *args, size_t n,
		bool cut)
{
	size_t mn = smtp_token_len(args, n, NULL);
	struct smtp_pending *e;
	size_t off;

	if (mn == 0) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		smtp_fifo_push(st, f, CMD_OTHER, 1);
		return;
	}
	st->auth_login = sasl_exchange_begin(&st->sasl, f, args, mn);
	if (++st->auth_seq == 0)
		st->auth_seq = 1; /* 0 names no exchange */
	off = smtp_skip_space(args, n, mn);
	if (off < n) /* the initial response (a "*" cancel needs nothing: 501 follows) */
		sasl_exchange_initial(&st->sasl, f, st->auth_login, args + off,
				      smtp_token_len(args + off, n - off, NULL), cut);
	e = smtp_fifo_push(st, f, CMD_AUTH, 1);
	if (e) {
		e->seq = st->auth_seq;
		e->login = (int8_t)st->auth_login;
	}
}

/* A reply the server gave inside exchange `seq` (whose login is `login`):
 * a 334 challenge, or its outcome. */
static void
smtp_auth_reply(struct smtp_state *st, struct proto_facts *f, uint32_t seq, int login, int code)
{
	int cls = code / 100;
	struct login *l;

	if (code == 334) {
		st->srv_auth = seq;
		if (seq == st->auth_seq)
			sasl_exchange_prompt(&st->sasl);
		return;
	}
	if (cls != 2 && cls != 4 && cls != 5)
		return;
	if ((l = proto_facts_login(f, login)) != NULL)
		l->outcome = cls == 2 ? LOGIN_SUCCESS : LOGIN_FAILURE;
	st->srv_auth = 0;
	if (seq == st->auth_seq)
		sasl_exchange_end(&st->sasl);
}

/* Whether the server read the line of e as a response of the exchange it is
 * in (see "Pipelined SASL" above). */
static bool
smtp_entry_in_exchange(const struct smtp_state *st, const struct smtp_pending *e)
{
	return e->slot != 0 && e->slot == st->srv_auth;
}

/* The server read a line the client meant as a command as a SASL response:
 * undo what waits for the command's reply. */
static void
smtp_command_was_response(struct smtp_state *st, const struct smtp_pending *e)
{
	switch ((enum smtp_cmd)e->cmd) {
	case CMD_DATA:
		if (st->cmode == CMODE_BODY) {
			st->cmode = CMODE_CMD;
			st->dot_matched = 0;
		}
		break;
	case CMD_STARTTLS:
		st->starttls_pending = false;
		break;
	case CMD_AUTH:
		if (e->seq == st->auth_seq)
			sasl_exchange_end(&st->sasl); /* never started on the server */
		break;
	default:
		break;
	}
}

/* ---- Client direction ---------------------------------------------------------- */

static const struct {
	const char *verb;
	enum smtp_cmd cmd;
} smtp_verbs[] = {
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
	for (size_t i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++) {
		if (text_equal_ci(p, n, smtp_verbs[i].verb)) {
			*known = true;
			return smtp_verbs[i].cmd;
		}
	}
	*known = false;
	return CMD_OTHER;
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
		smtp_fifo_push(st, f, CMD_OTHER, 1);
		return;
	}
	for (size_t i = 0; i < dn; i++) {
		if (args[i] < '0' || args[i] > '9') {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
			smtp_fifo_push(st, f, CMD_OTHER, 1);
			return;
		}
		size = size * 10 + (uint64_t)(args[i] - '0');
	}
	off = smtp_skip_space(args, n, dn);
	last = text_equal_ci(args + off, smtp_token_len(args + off, n - off, NULL), "LAST");
	if (last)
		smtp_fifo_push(st, f, CMD_DATA_END, st->lmtp ? 0 : 1);
	else
		smtp_fifo_push(st, f, CMD_BDAT, 1);
	if (size > 0) {
		st->cmode = CMODE_BDAT;
		st->bdat_left = size;
	}
}

static void
smtp_client_line(struct smtp_state *st, struct proto_facts *f, const uint8_t *line, size_t n,
		 bool cut)
{
	size_t tn = text_trim_eol(line, n);
	size_t vn = smtp_token_len(line, tn, NULL);
	size_t args_off = smtp_skip_space(line, tn, vn);
	bool known, prompted;
	enum smtp_cmd cmd = smtp_verb_lookup(line, vn, &known);

	if (st->starttls_pending && !st->injection_seen) {
		st->injection_seen = true;
		proto_facts_indicate(f, IND_CMD_INJECTION, line, n);
	}
	st->line_slot = 0;
	if (sasl_exchange_wants_line(&st->sasl, &prompted)) {
		/* A response slot (see "Pipelined SASL" above). */
		st->line_slot = st->auth_seq;
		st->line_slot_login = st->auth_login;
		if (prompted || (!known && sasl_line_is_response(line, tn, cut))) {
			sasl_exchange_line(&st->sasl, f, st->auth_login, line, tn, cut);
			smtp_fifo_push(st, f, CMD_SASL, 1);
			st->line_slot = 0;
			return;
		}
		sasl_exchange_skip(&st->sasl);
	}
	f->commands++;
	if (st->refused && cmd != CMD_QUIT)
		f->cleartext_after_refusal = true;
	if (!known && proto_token_is_masked(line, vn))
		proto_facts_indicate(f, IND_CMD_MASKED, line, n);

	switch (cmd) {
	case CMD_STARTTLS:
		f->upgrade_requested = true;
		st->starttls_pending = true;
		smtp_fifo_push(st, f, CMD_STARTTLS, 1);
		break;
	case CMD_AUTH:
		smtp_auth_start(st, f, line + args_off, tn - args_off, cut);
		break;
	case CMD_DATA:
		smtp_fifo_push(st, f, CMD_DATA, 1);
		st->cmode = CMODE_BODY;
		st->dot_matched = 2; /* the body starts at a line boundary */
		break;
	case CMD_BDAT:
		smtp_bdat_start(st, f, line + args_off, tn - args_off);
		break;
	case CMD_EHLO:
		if (text_equal_ci(line, vn, "LHLO"))
			st->lmtp = true;
		smtp_fifo_push(st, f, cmd, 1);
		break;
	default:
		smtp_fifo_push(st, f, cmd, 1);
		break;
	}
	st->line_slot = 0;
}

static size_t
smtp_feed_client(struct smtp_state *st, struct proto_facts *f, const uint8_t *p, size_t len)
{
	struct line_asm *la = &st->line[DIR_C2S];
	size_t off = 0;

	while (off < len) {
		const uint8_t *line;
		size_t n, used;
		bool cut, done;

		if (st->cmode == CMODE_BODY) {
			off += body_skip_dot(&st->dot_matched, p + off, len - off, &done);
			if (done) {
				st->cmode = CMODE_CMD;
				smtp_fifo_push(st, f, CMD_DATA_END, st->lmtp ? 0 : 1);
			}
			continue;
		}
		if (st->cmode == CMODE_BDAT) {
			uint64_t take = len - off;

			if (take > st->bdat_left)
				take = st->bdat_left;
			off += (size_t)take;
			st->bdat_left -= take;
			if (st->bdat_left == 0)
				st->cmode = CMODE_CMD;
			continue;
		}
		if (st->starttls_pending && la->len == 0 && !la->discarding &&
		    p[off] == SMTP_TLS_HANDSHAKE) {
			/* The client started TLS before we read the 220 (see header). */
			st->starttls_pending = false;
			f->upgrade_accepted = true;
			f->switch_to_tls = true;
			return off;
		}
		if (!proto_line_next(f, la, p + off, len - off, &used, &line, &n, &cut)) {
			off += used;
			break;
		}
		off += used;
		smtp_client_line(st, f, line, n, cut);
	}
	return len;
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

/* Decides what the reply starting now answers. */
static enum smtp_reply_target
smtp_reply_target(struct smtp_state *st, int code)
{
	struct smtp_pending *head = smtp_fifo_peek(st);
	bool first = !st->first_reply_seen;

	st->first_reply_seen = true;
	if (first && !head && (code == 220 || code == 421 || code == 554))
		return TARGET_GREETING;
	if (first && head && code == 220 && head->cmd != CMD_STARTTLS)
		return TARGET_GREETING; /* the client spoke before the banner */
	return head ? TARGET_HEAD : TARGET_NONE;
}

/* A complete reply to the head command. Returns true when the stream switches
 * to TLS after this reply. */
static bool
smtp_reply_done(struct smtp_state *st, struct proto_facts *f, const uint8_t *line, size_t n)
{
	struct smtp_pending *head = smtp_fifo_peek(st);
	int code = st->reply_code;
	int cls = code / 100;
	bool sw = false;

	if (st->reply_target == TARGET_GREETING) {
		f->greeting = true;
		return false;
	}
	if (st->reply_target != TARGET_HEAD || !head)
		return false;
	if (head->replies == 0) /* LMTP: one reply per accepted recipient */
		head->replies = st->rcpt_ok ? st->rcpt_ok : 1;

	if (smtp_entry_in_exchange(st, head)) {
		smtp_command_was_response(st, head);
		smtp_auth_reply(st, f, head->slot, head->slot_login, code);
		goto answered;
	}
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
			sw = true;
		} else if (cls == 4 || cls == 5) {
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
	case CMD_SASL:
		break; /* the exchange was over: the server read an unknown command */
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
		if (code != 354 && st->cmode == CMODE_BODY) {
			/* Refused: what follows is commands again. */
			st->cmode = CMODE_CMD;
			st->dot_matched = 0;
		}
		break;
	default:
		break;
	}
answered:
	if (--head->replies == 0)
		smtp_fifo_pop(st);
	return sw;
}

static void
smtp_reply_begin(struct smtp_state *st, int code)
{
	st->in_reply = true;
	st->reply_code = code;
	st->reply_lines = 0;
	st->reply_target = smtp_reply_target(st, code);
}

/* One server line. Returns true when the stream switches to TLS after it. */
static bool
smtp_server_line(struct smtp_state *st, struct proto_facts *f, const uint8_t *line, size_t n)
{
	bool last = false;
	int code = line_reply_code(line, n, &last);
	struct smtp_pending *head;

	if (code < 0) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return false;
	}
	if (!st->in_reply) {
		smtp_reply_begin(st, code);
	} else if (code != st->reply_code) {
		/* The reply before never had its last line (a server answering
		 * pipelined commands, a cut reply): it ends there, and this line
		 * starts the next one, so that later replies stay matched. */
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		st->in_reply = false;
		if (smtp_reply_done(st, f, st->reply_last, st->reply_last_len))
			return true;
		smtp_reply_begin(st, code);
	}
	head = smtp_fifo_peek(st);
	if (st->reply_target == TARGET_HEAD && head && head->cmd == CMD_EHLO &&
	    !smtp_entry_in_exchange(st, head) && st->reply_code == 250 && st->reply_lines > 0) {
		size_t tn = text_trim_eol(line, n);

		smtp_capability_line(f, line, n, line + (tn > 4 ? 4 : tn), tn > 4 ? tn - 4 : 0);
	}
	st->reply_lines++;
	if (!last) {
		st->reply_last_len = n < sizeof(st->reply_last) ? n : sizeof(st->reply_last);
		memcpy(st->reply_last, line, st->reply_last_len);
		return false;
	}
	st->in_reply = false;
	return smtp_reply_done(st, f, line, n);
}

static size_t
smtp_feed_server(struct smtp_state *st, struct proto_facts *f, const uint8_t *p, size_t len)
{
	struct line_asm *la = &st->line[DIR_S2C];
	size_t off = 0;

	while (off < len) {
		const uint8_t *line;
		size_t n, used;
		bool cut;

		if (!proto_line_next(f, la, p + off, len - off, &used, &line, &n, &cut))
			break;
		off += used;
		if (smtp_server_line(st, f, line, n))
			return off;
	}
	return len;
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

static void
smtp_init(void *state)
{
	struct smtp_state *st = state;

	memset(st, 0, sizeof(*st));
	line_asm_init(&st->line[DIR_C2S]);
	line_asm_init(&st->line[DIR_S2C]);
	st->auth_login = -1;
	st->line_slot_login = -1;
}

static size_t
smtp_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct smtp_state *st = state;

	if (f->switch_to_tls)
		return 0; /* not ours any more: the rest is TLS */
	if (st->stopped || !p || len == 0)
		return len;
	if (dir == DIR_C2S)
		return smtp_feed_client(st, f, p, len);
	return smtp_feed_server(st, f, p, len);
}

static void
smtp_gap(void *state, struct proto_facts *f, enum dir dir)
{
	struct smtp_state *st = state;

	(void)dir;
	f->anomalies |= PROTO_ANOM_GAP;
	st->stopped = true;
	line_asm_reset(&st->line[DIR_C2S]);
	line_asm_reset(&st->line[DIR_S2C]);
}

static void
smtp_fini(void *state)
{
	(void)state; /* nothing allocated */
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
	.feed = smtp_feed,
	.gap = smtp_gap,
	.fini = smtp_fini,
};
