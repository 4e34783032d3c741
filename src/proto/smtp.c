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
 *            "*") after a 334; the DATA body up to CRLF "." CRLF; BDAT SP size
 *            [SP LAST] followed by exactly size octets.
 *   server:  reply lines code ("-" / SP) text CRLF; multi-line replies end at
 *            the first line with SP; EHLO/LHLO keywords one per line
 *            (STARTTLS, AUTH mech..., AUTH=mech...).
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
 *    after a 334 go to sasl.c, which fills the login's fields.
 *  - A gap in either direction stops the parser: replies can no longer be
 *    matched to commands. Everything after it is consumed unread.
 *
 * Not handled yet:
 *  - An injected line with no LF before the server's 220 is not flagged (only
 *    complete lines are evidence).
 *  - A client that sends SASL responses before the 334 prompt (they are read
 *    as commands), or further commands after a DATA that is then refused
 *    (they are skipped as body until the refusal is read).
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
	CMD_AUTH, /* AUTH and each SASL response after a 334 */
	CMD_MAIL,
	CMD_RCPT,
	CMD_RSET,
	CMD_DATA,
	CMD_DATA_END, /* the body's final dot, or BDAT LAST */
	CMD_BDAT,
	CMD_QUIT,
};

struct smtp_pending {
	uint8_t cmd;	  /* enum smtp_cmd */
	uint32_t replies; /* replies still due; 0: one per LMTP recipient, not yet known */
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

	/* The AUTH exchange in progress. */
	bool auth_active;
	bool auth_expect_client; /* a 334 was read: the next client line is SASL */
	struct sasl_exchange sasl;
	int auth_login; /* index in f->logins, -1 when dropped */
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
	return cmd != CMD_AUTH && cmd != CMD_DATA && cmd != CMD_DATA_END;
}

/* Queues a command expecting `replies` replies (0: one per LMTP recipient). */
static void
smtp_fifo_push(struct smtp_state *st, struct proto_facts *f, enum smtp_cmd cmd, uint32_t replies)
{
	struct smtp_pending *tail = st->fifo_n ? smtp_fifo_at(st, st->fifo_n - 1) : NULL;

	if (tail && tail->cmd == cmd && smtp_cmd_mergeable(cmd) && replies) {
		smtp_fifo_add_count(tail, replies);
		return;
	}
	if (st->fifo_n == SMTP_FIFO_CAP) {
		/* Keep the reply count right, lose what the command was. */
		f->anomalies |= PROTO_ANOM_PIPELINE_CAP;
		f->cap_hits++;
		tail->cmd = CMD_LOST;
		smtp_fifo_add_count(tail, replies ? replies : 1);
		return;
	}
	tail = smtp_fifo_at(st, st->fifo_n++);
	tail->cmd = (uint8_t)cmd;
	tail->replies = replies;
}

/* ---- SASL ------------------------------------------------------------------- */

/* "AUTH" SP mechanism [SP initial-response] */
static void
smtp_auth_start(struct smtp_state *st, struct proto_facts *f, const uint8_t *args, size_t n,
		bool cut)
{
	size_t mn = smtp_token_len(args, n, NULL);
	size_t off;

	if (mn == 0) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		smtp_fifo_push(st, f, CMD_OTHER, 1);
		return;
	}
	st->auth_login = sasl_exchange_begin(&st->sasl, f, args, mn);
	st->auth_active = true;
	st->auth_expect_client = false;
	off = smtp_skip_space(args, n, mn);
	if (off < n) /* the initial response (a "*" cancel needs nothing: 501 follows) */
		sasl_exchange_line(&st->sasl, f, st->auth_login, args + off,
				   smtp_token_len(args + off, n - off, NULL), cut);
	smtp_fifo_push(st, f, CMD_AUTH, 1);
}

static void
smtp_auth_end(struct smtp_state *st, struct proto_facts *f, enum login_outcome outcome)
{
	struct login *l = proto_facts_login(f, st->auth_login);

	if (l)
		l->outcome = outcome;
	st->auth_active = false;
	st->auth_expect_client = false;
}

/* ---- Client direction ---------------------------------------------------------- */

static const struct {
	const char *verb;
	enum smtp_cmd cmd;
} smtp_verbs[] = {
	{"EHLO", CMD_EHLO}, {"HELO", CMD_HELO}, {"LHLO", CMD_EHLO}, {"STARTTLS", CMD_STARTTLS},
	{"AUTH", CMD_AUTH}, {"MAIL", CMD_MAIL}, {"RCPT", CMD_RCPT}, {"RSET", CMD_RSET},
	{"DATA", CMD_DATA}, {"BDAT", CMD_BDAT}, {"QUIT", CMD_QUIT},
};

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
	enum smtp_cmd cmd = CMD_OTHER;
	bool known = false;

	if (st->starttls_pending && !st->injection_seen) {
		st->injection_seen = true;
		proto_facts_indicate(f, IND_CMD_INJECTION, line, n);
	}
	if (st->auth_expect_client) {
		st->auth_expect_client = false;
		sasl_exchange_line(&st->sasl, f, st->auth_login, line, tn, cut);
		smtp_fifo_push(st, f, CMD_AUTH, 1);
		return;
	}
	f->commands++;
	for (size_t i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++) {
		if (text_equal_ci(line, vn, smtp_verbs[i].verb)) {
			cmd = smtp_verbs[i].cmd;
			known = true;
			break;
		}
	}
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
		if (!st->auth_active)
			break;
		if (code == 334)
			st->auth_expect_client = true;
		else if (cls == 2)
			smtp_auth_end(st, f, LOGIN_SUCCESS);
		else if (cls == 4 || cls == 5)
			smtp_auth_end(st, f, LOGIN_FAILURE);
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
		if (code != 354 && st->cmode == CMODE_BODY) {
			/* Refused: what follows is commands again. */
			st->cmode = CMODE_CMD;
			st->dot_matched = 0;
		}
		break;
	default:
		break;
	}
	if (--head->replies == 0)
		smtp_fifo_pop(st);
	return sw;
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
		st->in_reply = true;
		st->reply_code = code;
		st->reply_lines = 0;
		st->reply_target = smtp_reply_target(st, code);
	} else if (code != st->reply_code) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	}
	head = smtp_fifo_peek(st);
	if (st->reply_target == TARGET_HEAD && head && head->cmd == CMD_EHLO &&
	    st->reply_code == 250 && st->reply_lines > 0) {
		size_t tn = text_trim_eol(line, n);

		smtp_capability_line(f, line, n, line + (tn > 4 ? 4 : tn), tn > 4 ? tn - 4 : 0);
	}
	st->reply_lines++;
	if (!last)
		return false;
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

static const uint16_t smtp_ports[] = {25, 587, 24, 0};

const struct proto_desc proto_smtp = {
	.name = "smtp",
	.ports = smtp_ports,
	.state_size = sizeof(struct smtp_state),
	.sniff = smtp_sniff,
	.init = smtp_init,
	.feed = smtp_feed,
	.gap = smtp_gap,
	.fini = smtp_fini,
};
