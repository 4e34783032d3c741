/*
 * nntp.c - Network News Transfer Protocol (NNTP) parser: STARTTLS and
 * cleartext logins.
 *
 * References: RFC 3977 (NNTP: responses, multi-line data blocks,
 * CAPABILITIES), RFC 4642 (STARTTLS: 382 go ahead, 580 refused), RFC 4643
 * (AUTHINFO USER/PASS: 381, 281, 481, 482; AUTHINFO SASL: 383, 281, 481);
 * SASL framing in sasl.c; lines, the command FIFO and the USER/PASS pairing
 * in line.c.
 *
 * Grammar subset:
 *   client:  keyword [SP arguments] CRLF; CAPABILITIES, STARTTLS,
 *            AUTHINFO USER name, AUTHINFO PASS rest-of-line,
 *            AUTHINFO SASL mechanism [initial-response], then one base64
 *            line per 383 challenge; POST and IHAVE followed, after 340 or
 *            335, by an article ending CRLF "." CRLF (skipped).
 *   server:  "ddd text" CRLF answering commands in order; after 1xx/2xx
 *            codes that carry one (100 101 215 220-225 230 231, and 211 to
 *            LISTGROUP) a data block ending CRLF "." CRLF: CAPABILITIES'
 *            lines are read, other blocks (articles) skipped.
 *
 * Facts: greeting (200/201), CAPABILITIES (STARTTLS, AUTHINFO USER or SASL
 * PLAIN/LOGIN before TLS, a masked keyword), STARTTLS and its answer (382:
 * switch to TLS; 580 and other errors: refused), client bytes after
 * STARTTLS (command injection; 0x16: the client went ahead), AUTHINFO logins
 * with their outcome (281 success, 481/482 failure).
 *
 * Not handled: the streaming feed commands (CHECK/TAKETHIS, RFC 4644) are
 * counted but their articles are read as lines, COMPRESS (RFC 8054: the
 * parser would need to stop), SASL security layers.
 */
#include <string.h>

#include "cursor.h"
#include "line.h"

enum nntp_cmd {
	NNTP_CMD_OTHER = 0,
	NNTP_CMD_CAPA,
	NNTP_CMD_STARTTLS,
	NNTP_CMD_USER,
	NNTP_CMD_PASS,	    /* AUTHINFO PASS: the answer is the outcome */
	NNTP_CMD_SASL,	    /* AUTHINFO SASL: 383 continues, 281/481 end it */
	NNTP_CMD_RESPONSE,  /* a client line read as a SASL response */
	NNTP_CMD_POST,	    /* POST, IHAVE: 340/335 then the article */
	NNTP_CMD_LISTGROUP, /* its 211 carries a data block */
};

enum nntp_mode {
	NNTP_MODE_REPLY = 0, /* status lines */
	NNTP_MODE_CAPA,	     /* CAPABILITIES lines until "." */
	NNTP_MODE_BODY,	     /* a data block skipped until CRLF "." CRLF */
};

struct nntp_state {
	struct line_conn conn; /* first: the line engine's */
	bool authenticated;
	bool greeted;
	enum nntp_mode mode;
	uint8_t dot_matched;	    /* body_skip_dot progress, server */
	bool client_body;	    /* the client sends an article */
	uint8_t client_dot_matched; /* ... its body_skip_dot progress */
	struct cmd_fifo queue;
	struct login_pair user_pass;
	struct upgrade_wait tls_wait;
};

/* ---- client ----------------------------------------------------------------- */

static struct cmd_entry *
nntp_push(struct nntp_state *s, struct proto_facts *f, enum nntp_cmd cmd, int login)
{
	return cmd_fifo_push(&s->queue, f, &s->conn.auth, cmd, login, 1);
}

/* AUTHINFO USER | PASS | SASL ... */
static void
nntp_authinfo(struct nntp_state *s, struct proto_facts *f, struct cursor c, bool cut)
{
	struct cursor sub, mech, ir;
	struct cmd_entry *q;
	uint32_t seq;

	if (!cursor_get_token(&c, &sub)) {
		nntp_push(s, f, NNTP_CMD_OTHER, -1);
		return;
	}
	if (text_equal_ci(sub.p, sub.len, "USER")) {
		cursor_skip_blanks(&c);
		login_pair_user(&s->user_pass, c.p, c.len);
		nntp_push(s, f, NNTP_CMD_USER, -1);
	} else if (text_equal_ci(sub.p, sub.len, "PASS")) {
		/* RFC 4643 2.3: the password is the rest of the line. */
		if (cursor_remaining(&c) > 0)
			cursor_skip(&c, 1);
		nntp_push(s, f, NNTP_CMD_PASS, login_pair_pass(&s->user_pass, f, c.p, c.len));
	} else if (text_equal_ci(sub.p, sub.len, "SASL") && cursor_get_token(&c, &mech)) {
		seq = login_track_begin(&s->conn.auth, f, mech.p, mech.len);
		if ((q = nntp_push(s, f, NNTP_CMD_SASL, s->conn.auth.login)) != NULL)
			q->seq = seq;
		if (cursor_get_token(&c, &ir))
			login_track_initial(&s->conn.auth, f, ir.p, ir.len, cut);
	} else {
		nntp_push(s, f, NNTP_CMD_OTHER, -1);
	}
}

enum nntp_verb {
	VERB_OTHER = 0,
	VERB_CAPA,
	VERB_STARTTLS,
	VERB_AUTHINFO,
	VERB_POST,
	VERB_LISTGROUP,
};

static const struct proto_word nntp_verbs[] = {
	{"CAPABILITIES", VERB_CAPA}, {"STARTTLS", VERB_STARTTLS}, {"AUTHINFO", VERB_AUTHINFO},
	{"POST", VERB_POST},	     {"IHAVE", VERB_POST},	  {"LISTGROUP", VERB_LISTGROUP},
};

static void
nntp_command(struct nntp_state *s, struct proto_facts *f, const struct line_view *l)
{
	const struct proto_word *w;
	struct cursor c, kw;

	if (!line_command(f, l, nntp_verbs, sizeof(nntp_verbs) / sizeof(nntp_verbs[0]), &w, &kw,
			  &c))
		return;
	switch ((enum nntp_verb)(w ? w->value : VERB_OTHER)) {
	case VERB_CAPA:
		nntp_push(s, f, NNTP_CMD_CAPA, -1);
		break;
	case VERB_STARTTLS:
		upgrade_wait_begin(&s->tls_wait, f);
		nntp_push(s, f, NNTP_CMD_STARTTLS, -1);
		break;
	case VERB_AUTHINFO:
		nntp_authinfo(s, f, c, l->cut);
		break;
	case VERB_POST:
		nntp_push(s, f, NNTP_CMD_POST, -1);
		break;
	case VERB_LISTGROUP:
		nntp_push(s, f, NNTP_CMD_LISTGROUP, -1);
		break;
	case VERB_OTHER:
		if (proto_token_is_masked(kw.p, kw.len))
			proto_facts_indicate(f, IND_CMD_MASKED, l->p, l->tn);
		nntp_push(s, f, NNTP_CMD_OTHER, -1);
		break;
	}
}

static bool
nntp_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct nntp_state *s = state;
	const struct proto_word *w = NULL;
	struct cursor c, kw;

	upgrade_wait_client_line(&s->tls_wait, f, l->p, l->tn);
	cursor_init(&c, l->p, l->tn);
	if (cursor_get_token(&c, &kw))
		w = proto_word_find(nntp_verbs, sizeof(nntp_verbs) / sizeof(nntp_verbs[0]), kw.p,
				    kw.len);
	if (login_track_client_line(&s->conn.auth, f, l->p, l->tn, l->cut, w != NULL))
		nntp_push(s, f, NNTP_CMD_RESPONSE, -1);
	else
		nntp_command(s, f, l);
	return false;
}

/* A block of either side (an article posted, an article or list sent)
 * skipped up to CRLF "." CRLF while *in_block; its end clears it. */
static size_t
nntp_skip_block(uint8_t *dot_matched, bool *in_block, const uint8_t *p, size_t n)
{
	size_t used;
	bool done;

	if (!*in_block)
		return 0;
	used = body_skip_dot(dot_matched, p, n, &done);
	if (done)
		*in_block = false;
	return used;
}

/* The client's first byte after STARTTLS decides (see upgrade_wait), then an
 * article is skipped up to its final dot. */
static size_t
nntp_client_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
		bool *stop)
{
	struct nntp_state *s = state;

	(void)dir;
	if (upgrade_wait_client_byte(&s->tls_wait, f, p[0])) {
		*stop = true;
		return 0;
	}
	return nntp_skip_block(&s->client_dot_matched, &s->client_body, p, n);
}

/* ---- server ----------------------------------------------------------------- */

static void
nntp_capa_line(struct nntp_state *s, struct proto_facts *f, const uint8_t *line, size_t n)
{
	struct cursor c, kw, arg;

	cursor_init(&c, line, n);
	if (!cursor_get_token(&c, &kw))
		return;
	proto_facts_capa_keyword(f, kw.p, kw.len, line, n);
	if (s->authenticated)
		return;
	if (text_equal_ci(kw.p, kw.len, "STARTTLS")) {
		f->tls_offered = true;
	} else if (text_equal_ci(kw.p, kw.len, "AUTHINFO")) {
		while (cursor_get_token(&c, &arg))
			if (text_equal_ci(arg.p, arg.len, "USER"))
				f->auth_cleartext_offered = true;
	} else if (text_equal_ci(kw.p, kw.len, "SASL")) {
		while (cursor_get_token(&c, &arg))
			if (text_equal_ci(arg.p, arg.len, "PLAIN") ||
			    text_equal_ci(arg.p, arg.len, "LOGIN"))
				f->auth_cleartext_offered = true;
	}
}

/* RFC 3977 3.2: the codes followed by a data block. */
static bool
nntp_has_block(int code, enum nntp_cmd cmd)
{
	switch (code) {
	case 100:
	case 101:
	case 215:
	case 220:
	case 221:
	case 222:
	case 224:
	case 225:
	case 230:
	case 231:
		return true;
	case 211:
		return cmd == NNTP_CMD_LISTGROUP;
	default:
		return false;
	}
}

static void
nntp_outcome(struct nntp_state *s, struct proto_facts *f, uint32_t seq, int login, int code)
{
	login_track_outcome(&s->conn.auth, f, seq, login, code == 281);
	if (code == 281)
		s->authenticated = true;
}

/* A status line answering the oldest command. */
static bool
nntp_reply(struct nntp_state *s, struct proto_facts *f, int code, const uint8_t *line, size_t n)
{
	struct cmd_entry q;

	if (!cmd_fifo_pop(&s->queue, &q))
		return false;
	if (nntp_has_block(code, (enum nntp_cmd)q.cmd)) {
		s->mode = q.cmd == NNTP_CMD_CAPA ? NNTP_MODE_CAPA : NNTP_MODE_BODY;
		s->dot_matched = 2;
		if (q.cmd == NNTP_CMD_CAPA)
			f->capa_seen = true;
	}
	if (login_track_read_as_response(&s->conn.auth, &q)) {
		if (code == 383)
			login_track_challenge(&s->conn.auth, q.slot);
		else
			nntp_outcome(s, f, q.slot, q.slot_login, code);
		return false;
	}
	switch ((enum nntp_cmd)q.cmd) {
	case NNTP_CMD_STARTTLS:
		return upgrade_wait_answer(&s->tls_wait, f, code == 382, line, n,
					   &s->conn.la[DIR_C2S]);
	case NNTP_CMD_USER:
		if (code == 381 && !s->authenticated)
			f->auth_cleartext_offered = true;
		if (code == 281)
			s->authenticated = true;
		break;
	case NNTP_CMD_PASS:
		if (code == 281 || code >= 400)
			proto_facts_login_outcome(f, q.login, code == 281);
		if (code == 281)
			s->authenticated = true;
		break;
	case NNTP_CMD_SASL:
		if (code == 383)
			login_track_challenge(&s->conn.auth, q.seq);
		else
			nntp_outcome(s, f, q.seq, q.login, code);
		break;
	case NNTP_CMD_POST:
		if (code == 340 || code == 335) {
			s->client_body = true;
			s->client_dot_matched = 2;
		}
		break;
	default:
		break;
	}
	return false;
}

static bool
nntp_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct nntp_state *s = state;
	bool last;
	int code;

	if (s->mode == NNTP_MODE_CAPA) {
		if (l->tn == 1 && l->p[0] == '.')
			s->mode = NNTP_MODE_REPLY;
		else
			nntp_capa_line(s, f, l->p, l->tn);
		return false;
	}
	code = line_reply_code(l->p, l->tn, &last);
	if (code < 100 || !last) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return false;
	}
	if (!s->greeted && s->queue.n == 0) {
		s->greeted = true;
		f->greeting = code == 200 || code == 201;
		return false;
	}
	s->greeted = true;
	return nntp_reply(s, f, code, l->p, l->tn);
}

/* A data block (an article, a list) skipped up to CRLF "." CRLF. */
static size_t
nntp_server_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
		bool *stop)
{
	struct nntp_state *s = state;
	bool in_block = s->mode == NNTP_MODE_BODY;
	size_t used = nntp_skip_block(&s->dot_matched, &in_block, p, n);

	(void)dir;
	(void)f;
	(void)stop;
	if (s->mode == NNTP_MODE_BODY && !in_block)
		s->mode = NNTP_MODE_REPLY;
	return used;
}

/* ---- descriptor ------------------------------------------------------------- */

/* After a gap, replies can no longer be matched: the rest is consumed. */
static const struct line_ops nntp_ops = {
	.dir = {[DIR_C2S] = {nntp_client_raw, nntp_client_line},
		[DIR_S2C] = {nntp_server_raw, nntp_server_line}},
	.consume_after_stop = true,
};

static void
nntp_init(void *state)
{
	line_conn_init(state, sizeof(struct nntp_state), &nntp_ops);
}

/*
 * "200 " or "201 " greetings are shared with nothing else that greets
 * first (SMTP says 220, FTP 220, POP3 +OK): strong when the line names
 * NNTP, news or a news server (INN's "200 host InterNetNews server ..."),
 * weak otherwise. A client speaking first: CAPABILITIES, MODE READER,
 * AUTHINFO are NNTP's own.
 */
static enum sniff_result
nntp_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const char *const server[] = {"200 ", "201 "};
	static const char *const client[] = {"CAPABILITIES\r", "CAPABILITIES\n", "MODE READER",
					     "AUTHINFO "};
	static const char *const names[] = {"NNTP", "news", "InterNetNews", "Leafnode"};
	const char *const *words = dir == DIR_S2C ? server : client;
	size_t nw = dir == DIR_S2C ? 2 : 4;
	bool more = false;

	if (len == 0)
		return SNIFF_MORE;
	for (size_t i = 0; i < nw; i++) {
		if (text_prefix_ci(p, len, words[i])) {
			const uint8_t *lf;

			if (dir == DIR_C2S)
				return SNIFF_STRONG;
			lf = memchr(p, '\n', len);
			for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				if (text_find_ci(p, lf ? (size_t)(lf - p) : len, names[k]) >= 0)
					return SNIFF_STRONG;
			return lf || len >= LINE_CAP ? SNIFF_WEAK : SNIFF_MORE;
		}
		more |= text_could_be_prefix_ci(p, len, words[i]);
	}
	return more ? SNIFF_MORE : SNIFF_NO;
}

const struct proto_desc proto_nntp = {
	.name = "nntp",
	.rfc = "RFC 3977, RFC 4642, RFC 4643",
	.transports = PROTO_TCP,
	.clear_ports = {119},
	.tls_ports = {563},
	.tls_transports = PROTO_TCP,
	.upgrade = {"STARTTLS", "STARTTLS", "382"},
	.ndpi = {"Usenet"},
	.alpn = {"nntp"},
	.state_size = sizeof(struct nntp_state),
	.sniff = nntp_sniff,
	.init = nntp_init,
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
};
