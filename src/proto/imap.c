/*
 * imap.c - Internet Message Access Protocol (IMAP) parser: STARTTLS and
 * cleartext logins.
 *
 * References: RFC 9051 (IMAP4rev2) and RFC 3501 (IMAP4rev1), RFC 2595
 * (STARTTLS, LOGINDISABLED), RFC 4959 (SASL-IR), RFC 7888 (LITERAL+/-),
 * RFC 3516 (literal8), RFC 4978 (COMPRESS); SASL framing in sasl.c, lines
 * and the numbering of SASL exchanges in line.c.
 *
 * Grammar subset (both directions are split into lines; a line ending in a
 * literal announcement "{n}", "{n+}" or "~{n}" is followed by n raw bytes and
 * the rest of the same command or response on the next line):
 *   client:  tag SP STARTTLS
 *            tag SP LOGIN SP astring SP astring   (atom, quoted, literal)
 *            tag SP AUTHENTICATE SP mech [SP initial-response]
 *              then one base64 line per "+" continuation (or sent before it:
 *              pipelined), "*" to cancel
 *            tag SP COMPRESS SP mech              (parsing stops on OK)
 *            tag SP anything-else                 (counted, literals skipped)
 *   server:  "* OK" / "* PREAUTH" / "* BYE" greeting, with an optional
 *              "[CAPABILITY ...]" response code
 *            "* CAPABILITY" SP tokens
 *            tag SP (OK|NO|BAD) [SP "[CAPABILITY ...]"] text
 *            "+" continuations and other untagged data (literals skipped)
 *
 * Pipelined SASL: the server reads the line after AUTHENTICATE as the
 * response to its "+" whenever the client sent it, so that line takes a
 * response slot of the exchange (sasl_exchange_wants_line): after a "+" was
 * read, or before it for what the mechanism sends unasked (PLAIN's message,
 * LOGIN's user name and password). A line in a slot that was asked for is a
 * response; one sent unasked is a response when it looks like one (base64 or
 * "*"; an IMAP command has a tag and a space), else a command (a LOGIN
 * pipelined after an initial response: the password is recorded). Replies
 * are matched by tag, so nothing else depends on how the server read it. A
 * "+" counts as a challenge to the client's latest exchange only when that is
 * the oldest AUTHENTICATE still waiting for its tagged reply.
 *
 * Facts: greeting, capabilities (STARTTLS, LOGINDISABLED, AUTH=PLAIN/LOGIN,
 * masked tokens such as "XXXXXXXX"), the STARTTLS request and its tagged
 * answer, injected client bytes after STARTTLS, a PREAUTH greeting, logins and
 * their outcome. auth_cleartext_offered: a capability list without
 * LOGINDISABLED, or one offering AUTH=PLAIN / AUTH=LOGIN anyway. On the tagged
 * OK to STARTTLS, or when the client's first byte after it is 0x16 (a TLS
 * handshake record), the parser sets switch_to_tls and returns the bytes
 * consumed up to there. One byte decides, not 0x16 0x03: a chunk may end after
 * it, and the verdict must not depend on chunking; no IMAP command starts with
 * 0x16, and the TLS parser judges what follows.
 *
 * Not handled: a synchronizing literal the server refuses (the parser assumes
 * the client sent it), capability lists split across literals, SASL security
 * layers (the stream after such an AUTHENTICATE is read as text), a command
 * pipelined into a response slot that the server then reads as a response
 * (it stays among the pending commands, never answered), IDLE/DONE
 * beyond not counting DONE, ID and other commands' arguments, NOTIFY and
 * server-side data beyond skipping literals. Capabilities seen once logged in
 * (or after PREAUTH) do not change tls_offered / auth_cleartext_offered.
 */
#include <string.h>

#include "cursor.h"
#include "line.h"

#define IMAP_TAG_MAX 64	   /* bytes of a tag kept to match its reply */
#define IMAP_PENDING_MAX 8 /* tagged commands awaiting their reply */

enum imap_cmd {
	IMAP_CMD_NONE = 0,
	IMAP_CMD_STARTTLS,
	IMAP_CMD_LOGIN,
	IMAP_CMD_AUTHENTICATE,
	IMAP_CMD_COMPRESS,
};

/*
 * A command whose tagged reply matters. Replies are matched by tag, in any
 * order, and a tag we never saw is ignored: a list searched by tag, not the
 * engine's FIFO (whose answers come in order).
 */
struct imap_pending {
	uint8_t tag[IMAP_TAG_MAX];
	uint16_t tag_len; /* full length (a line's at most); the first IMAP_TAG_MAX kept */
	enum imap_cmd cmd;
	int login;    /* index in facts->logins, or -1 */
	uint32_t seq; /* IMAP_CMD_AUTHENTICATE: the exchange it starts */
};

_Static_assert(LINE_CAP <= UINT16_MAX, "a tag's length fits imap_pending.tag_len");

struct imap_state {
	struct line_conn conn;	    /* first: the line engine's; stopped also by COMPRESS */
	struct line_literal lit[2]; /* indexed by enum dir */
	bool authenticated;	    /* PREAUTH or a successful login */
	/* A LOGIN whose arguments continue after a literal. */
	bool login_open;
	unsigned login_arg;	      /* next argument: 0 user, 1 password, 2 done */
	int login;		      /* its index in facts->logins, or -1 */
	int literal_field;	      /* login argument the current client literal fills, or -1 */
	struct upgrade_wait tls_wait; /* STARTTLS sent, its tagged reply not seen yet */
	struct imap_pending pending[IMAP_PENDING_MAX];
	size_t n_pending;
};

/* ---- small readers -------------------------------------------------------- */

/* ---- pending tagged commands ---------------------------------------------- */

/* Returns the new entry, or NULL when too many are pending. */
static struct imap_pending *
imap_pending_add(struct imap_state *s, struct proto_facts *f, struct cursor tag, enum imap_cmd cmd,
		 int login)
{
	struct imap_pending *pe;

	if (s->n_pending >= IMAP_PENDING_MAX) {
		f->anomalies |= PROTO_ANOM_PIPELINE_CAP;
		f->cap_hits++;
		return NULL;
	}
	pe = &s->pending[s->n_pending++];
	pe->tag_len = (uint16_t)tag.len;
	memcpy(pe->tag, tag.p, tag.len < IMAP_TAG_MAX ? tag.len : IMAP_TAG_MAX);
	pe->cmd = cmd;
	pe->login = login;
	pe->seq = 0;
	return pe;
}

/* Removes and returns (in *out) the command with this tag. */
static bool
imap_pending_take(struct imap_state *s, struct cursor tag, struct imap_pending *out)
{
	size_t keep = tag.len < IMAP_TAG_MAX ? tag.len : IMAP_TAG_MAX;

	for (size_t i = 0; i < s->n_pending; i++) {
		struct imap_pending *pe = &s->pending[i];

		if (pe->tag_len != tag.len || memcmp(pe->tag, tag.p, keep) != 0)
			continue;
		*out = *pe;
		memmove(pe, pe + 1, (s->n_pending - i - 1) * sizeof(*pe));
		s->n_pending--;
		return true;
	}
	return false;
}

/* ---- capabilities ----------------------------------------------------------- */

/* Reads capability tokens from c (up to ']' when in a response code). */
static void
imap_capabilities(struct imap_state *s, struct proto_facts *f, struct cursor c, bool in_code,
		  const uint8_t *line, size_t line_len)
{
	struct cursor tok;
	bool starttls = false, logindisabled = false, auth_plain = false;

	if (in_code) {
		const uint8_t *close = memchr(c.p, ']', c.len);

		if (close)
			c.len = (size_t)(close - c.p);
	}
	while (cursor_get_token(&c, &tok)) {
		proto_facts_capa_keyword(f, tok.p, tok.len, line, line_len);
		if (text_equal_ci(tok.p, tok.len, "STARTTLS"))
			starttls = true;
		else if (text_equal_ci(tok.p, tok.len, "LOGINDISABLED"))
			logindisabled = true;
		else if (text_equal_ci(tok.p, tok.len, "AUTH=PLAIN") ||
			 text_equal_ci(tok.p, tok.len, "AUTH=LOGIN"))
			auth_plain = true;
	}
	f->capa_seen = true;
	if (s->authenticated)
		return;
	if (starttls)
		f->tls_offered = true;
	/* RFC 2595: LOGINDISABLED forbids LOGIN; SASL PLAIN/LOGIN offered next to
	 * it would still put a password on the wire. */
	if (!logindisabled || auth_plain)
		f->auth_cleartext_offered = true;
}

/* A "[CAPABILITY ...]" response code at the start of resp-text. */
static void
imap_resp_code(struct imap_state *s, struct proto_facts *f, struct cursor text, const uint8_t *line,
	       size_t line_len)
{
	cursor_skip_blanks(&text);
	if (text_prefix_ci(text.p, text.len, "[CAPABILITY ")) {
		cursor_skip(&text, strlen("[CAPABILITY "));
		imap_capabilities(s, f, text, true, line, line_len);
	}
}

/* ---- client ----------------------------------------------------------------- */

/*
 * Reads LOGIN arguments from c, continuing with s->login_arg. A literal ends
 * the line: its bytes go to the argument it announces.
 */
static void
imap_login_args(struct imap_state *s, struct proto_facts *f, struct cursor c)
{
	struct login *l = proto_facts_login(f, s->login);

	while (s->login_arg < 2) {
		char *dst = NULL;
		size_t dstsz = 0;
		uint8_t ch;

		cursor_skip_blanks(&c);
		if (cursor_remaining(&c) == 0)
			return;
		if (l) {
			dst = s->login_arg == 0 ? l->username : l->secret;
			dstsz = s->login_arg == 0 ? sizeof(l->username) : sizeof(l->secret);
			if (s->login_arg == 1)
				l->has_secret = true;
		}
		ch = c.p[0];
		if (ch == '{') {
			/* A literal: the last thing on the line; its bytes follow. */
			struct cursor tok;
			uint64_t size;

			if (!cursor_get_token(&c, &tok) || cursor_remaining(&c) > 0 ||
			    !proto_literal_at_end(tok.p, tok.len, &size, f)) {
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				return;
			}
			s->literal_field = (int)s->login_arg++;
			return;
		}
		if (ch == '"') {
			/* quoted = DQUOTE *(QUOTED-CHAR / "\" quoted-specials) DQUOTE */
			bool closed = false;

			cursor_skip(&c, 1);
			while (cursor_get_u8(&c, &ch)) {
				if (ch == '"') {
					closed = true;
					break;
				}
				if (ch == '\\' && !cursor_get_u8(&c, &ch))
					break;
				sasl_field_append(dst, dstsz, &ch, 1);
			}
			if (!closed)
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		} else {
			struct cursor atom;

			if (cursor_get_token(&c, &atom))
				sasl_field_append(dst, dstsz, atom.p, atom.len);
		}
		s->login_arg++;
	}
}

static void
imap_client_command(struct imap_state *s, struct proto_facts *f, const uint8_t *line, size_t n,
		    bool cut)
{
	struct cursor c, tag, cmd;

	cursor_init(&c, line, n);
	if (!cursor_get_token(&c, &tag) || !cursor_get_token(&c, &cmd))
		return; /* blank line, or "DONE" ending IDLE */
	f->commands++;
	if (f->upgrade_refused)
		f->cleartext_after_refusal = true;

	if (text_equal_ci(cmd.p, cmd.len, "STARTTLS")) {
		upgrade_wait_begin(&s->tls_wait, f);
		imap_pending_add(s, f, tag, IMAP_CMD_STARTTLS, -1);
	} else if (text_equal_ci(cmd.p, cmd.len, "LOGIN")) {
		s->login = proto_facts_add_login_index(f, "LOGIN");
		s->login_arg = 0;
		s->login_open = true;
		imap_pending_add(s, f, tag, IMAP_CMD_LOGIN, s->login);
		imap_login_args(s, f, c);
	} else if (text_equal_ci(cmd.p, cmd.len, "AUTHENTICATE")) {
		struct cursor mech, ir;
		struct imap_pending *pe;
		uint32_t seq;

		if (!cursor_get_token(&c, &mech)) {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
			return;
		}
		seq = login_track_begin(&s->conn.auth, f, mech.p, mech.len);
		pe = imap_pending_add(s, f, tag, IMAP_CMD_AUTHENTICATE, s->conn.auth.login);
		if (pe)
			pe->seq = seq;
		if (cursor_get_token(&c, &ir)) /* RFC 4959 initial response */
			login_track_initial(&s->conn.auth, f, ir.p, ir.len, cut);
	} else if (text_equal_ci(cmd.p, cmd.len, "COMPRESS")) {
		imap_pending_add(s, f, tag, IMAP_CMD_COMPRESS, -1);
	} else if (proto_token_is_masked(cmd.p, cmd.len)) {
		proto_facts_indicate(f, IND_CMD_MASKED, line, n);
	}
}

/* ---- server ----------------------------------------------------------------- */

/* The tagged reply to a command we track. Returns true on switch_to_tls. */
static bool
imap_tagged_reply(struct imap_state *s, struct proto_facts *f, const struct imap_pending *pe,
		  bool ok, struct cursor text, const uint8_t *line, size_t n)
{
	switch (pe->cmd) {
	case IMAP_CMD_STARTTLS:
		if (upgrade_wait_answer(&s->tls_wait, f, ok, line, n, &s->conn.la[DIR_C2S]))
			return true;
		break;
	case IMAP_CMD_LOGIN:
	case IMAP_CMD_AUTHENTICATE:
		login_track_outcome(&s->conn.auth, f, pe->seq, pe->login, ok); /* LOGIN: seq 0 */
		if (ok)
			s->authenticated = true;
		break;
	case IMAP_CMD_COMPRESS:
		/* Both streams are deflated from here on. */
		if (ok)
			s->conn.stopped = true;
		break;
	case IMAP_CMD_NONE:
		break;
	}
	if (ok)
		imap_resp_code(s, f, text, line, n);
	return false;
}

/* A "+" continuation request: a challenge to the client's latest exchange
 * when the server is in it, i.e. it is the oldest AUTHENTICATE waiting for
 * its tagged reply (otherwise the "+" is for an older one, or a literal). */
static void
imap_continuation(struct imap_state *s)
{
	for (size_t i = 0; i < s->n_pending; i++) {
		if (s->pending[i].cmd == IMAP_CMD_AUTHENTICATE) {
			login_track_challenge(&s->conn.auth, s->pending[i].seq);
			return;
		}
	}
}

/* A server line (a cut one is read as cut; its end, literal or not, is
 * seen). Returns true when the parser switched the session to TLS. */
static bool
imap_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct imap_state *s = state;
	const uint8_t *line = l->p;
	size_t n = l->tn;
	struct cursor c, tag, word;
	struct imap_pending pe;

	if (s->lit[DIR_S2C].after_literal)
		return false; /* the rest of a FETCH or other data */
	cursor_init(&c, line, n);
	if (!cursor_get_token(&c, &tag) || !cursor_get_token(&c, &word))
		return false;
	if (text_equal_ci(tag.p, tag.len, "*")) {
		bool greet = text_equal_ci(word.p, word.len, "OK") ||
			     text_equal_ci(word.p, word.len, "PREAUTH") ||
			     text_equal_ci(word.p, word.len, "BYE");

		if (l->first && greet) {
			f->greeting = true;
			if (text_equal_ci(word.p, word.len, "PREAUTH")) {
				s->authenticated = true;
				proto_facts_indicate(f, IND_PREAUTH, line, n);
			}
		}
		if (greet || text_equal_ci(word.p, word.len, "NO") ||
		    text_equal_ci(word.p, word.len, "BAD"))
			imap_resp_code(s, f, c, line, n);
		else if (text_equal_ci(word.p, word.len, "CAPABILITY"))
			imap_capabilities(s, f, c, false, line, n);
		return false;
	}
	if (tag.p[0] == '+') {
		imap_continuation(s);
		return false;
	}
	if (!imap_pending_take(s, tag, &pe))
		return false;
	if (text_equal_ci(word.p, word.len, "OK"))
		return imap_tagged_reply(s, f, &pe, true, c, line, n);
	if (text_equal_ci(word.p, word.len, "NO") || text_equal_ci(word.p, word.len, "BAD"))
		return imap_tagged_reply(s, f, &pe, false, c, line, n);
	f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	return false;
}

/* ---- line framing ------------------------------------------------------------- */

/* Where a line ends (a cut line: its last bytes): does a literal follow? */
static void
imap_line_end(void *state, struct proto_facts *f, enum dir dir, const uint8_t *end, size_t n)
{
	struct imap_state *s = state;
	struct line_literal *lit = &s->lit[dir];

	if (line_literal_end(lit, f, end, n))
		return;
	if (dir == DIR_C2S) {
		s->literal_field = -1;
		if (s->login_open && s->login_arg < 2)
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX; /* LOGIN lacks an argument */
		s->login_open = false;
	}
}

/* A client line: the rest of a command after a literal, a SASL response in
 * a slot of the exchange (see the header comment; replies are matched by
 * tag, so the slot itself is not needed afterwards), or a command. */
static bool
imap_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct imap_state *s = state;
	struct cursor c;

	s->literal_field = -1;
	upgrade_wait_client_line(&s->tls_wait, f, l->p, l->tn);
	if (s->lit[DIR_C2S].after_literal) {
		cursor_init(&c, l->p, l->tn);
		if (s->login_open)
			imap_login_args(s, f, c);
	} else if (!login_track_client_line(&s->conn.auth, f, l->p, l->tn, l->cut, false)) {
		s->login_open = false;
		imap_client_command(s, f, l->p, l->tn, l->cut);
	}
	return false;
}

/*
 * Bytes read raw before the next line: the client's first byte after
 * STARTTLS (see upgrade_wait), then literal bytes, skipped or kept when they
 * are a LOGIN argument.
 */
static size_t
imap_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n, bool *stop)
{
	struct imap_state *s = state;
	struct line_literal *lit = &s->lit[dir];
	struct login *l;

	if (dir == DIR_C2S && upgrade_wait_client_byte(&s->tls_wait, f, p[0])) {
		*stop = true; /* the client went ahead with TLS */
		return 0;
	}
	if ((n = line_literal_take(lit, n)) == 0)
		return 0;
	if (dir == DIR_C2S && s->literal_field >= 0 &&
	    (l = proto_facts_login(f, s->login)) != NULL) {
		if (s->literal_field == 0)
			sasl_field_append(l->username, sizeof(l->username), p, n);
		else
			sasl_field_append(l->secret, sizeof(l->secret), p, n);
	}
	return n;
}

/* ---- descriptor ------------------------------------------------------------- */

/* After a gap or COMPRESS the rest of both streams is handed back unread. */
static const struct line_ops imap_ops = {
	.dir = {[DIR_C2S] = {imap_raw, imap_client_line, imap_line_end},
		[DIR_S2C] = {imap_raw, imap_server_line, imap_line_end}},
};

static void
imap_init(void *state)
{
	struct imap_state *s = state;

	line_conn_init(s, sizeof(*s), &imap_ops);
	s->login = -1;
	s->literal_field = -1;
}

static bool
imap_sniff_delim(uint8_t ch)
{
	return ch == ' ' || ch == '\r' || ch == '\n';
}

/* tag = 1*<any ASTRING-CHAR except "+"> */
static bool
imap_sniff_tag_char(uint8_t ch)
{
	return ch > 0x20 && ch < 0x7f && !strchr("(){%*\"\\+", ch);
}

/* A server greeting: "* OK", "* PREAUTH" or "* BYE". */
static enum sniff_result
imap_sniff_server(const uint8_t *p, size_t len)
{
	static const char *const greetings[] = {"* OK", "* PREAUTH", "* BYE"};
	bool more = false;

	for (size_t i = 0; i < sizeof(greetings) / sizeof(greetings[0]); i++) {
		size_t k = strlen(greetings[i]);
		const uint8_t *lf;
		struct cursor rest;
		size_t line_len;

		if (text_could_be_prefix_ci(p, len, greetings[i])) {
			more = true;
			continue;
		}
		if (!text_prefix_ci(p, len, greetings[i]) || !imap_sniff_delim(p[k]))
			continue;
		lf = memchr(p, '\n', len);
		line_len = lf ? (size_t)(lf - p) : len;
		cursor_init(&rest, p + k, line_len - k);
		cursor_skip_blanks(&rest);
		if (text_prefix_ci(rest.p, rest.len, "[CAPABILITY") ||
		    text_find_ci(p, line_len, "IMAP") >= 0)
			return SNIFF_STRONG;
		return !lf && len < LINE_CAP ? SNIFF_MORE : SNIFF_WEAK;
	}
	return more ? SNIFF_MORE : SNIFF_NO;
}

/*
 * A client speaking first: "a001 CAPABILITY", "A1 LOGIN u p", "x STARTTLS".
 * CAPABILITY, STARTTLS, AUTHENTICATE and a two-argument LOGIN after a tag are
 * IMAP's own: a strong claim. The other commands are common words that other
 * protocols' first lines can hold after any word (IRCv3 "CAP LIST", a Redis
 * inline "GET STATUS"): only a weak claim.
 */
static enum sniff_result
imap_sniff_client(const uint8_t *p, size_t len)
{
	static const struct proto_word commands[] = {
		{"CAPABILITY", SNIFF_STRONG}, {"STARTTLS", SNIFF_STRONG},
		{"LOGIN", SNIFF_STRONG},      {"AUTHENTICATE", SNIFF_STRONG},
		{"LOGOUT", SNIFF_WEAK},	      {"NOOP", SNIFF_WEAK},
		{"ID", SNIFF_WEAK},	      {"ENABLE", SNIFF_WEAK},
		{"SELECT", SNIFF_WEAK},	      {"EXAMINE", SNIFF_WEAK},
		{"LIST", SNIFF_WEAK},	      {"STATUS", SNIFF_WEAK},
	};
	size_t i = 0, m;
	const uint8_t *rest;
	bool more = false;

	while (i < len && i < IMAP_TAG_MAX && imap_sniff_tag_char(p[i]))
		i++;
	if (i == len)
		return len < IMAP_TAG_MAX ? SNIFF_MORE : SNIFF_NO;
	if (i == 0 || p[i] != ' ')
		return SNIFF_NO;
	rest = p + i + 1;
	m = len - i - 1;
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		const char *name = commands[k].word;
		size_t w = strlen(name);
		const uint8_t *lf;
		struct cursor args, a1, a2;

		if (text_could_be_prefix_ci(rest, m, name)) {
			more = true;
			continue;
		}
		if (!text_prefix_ci(rest, m, name) || !imap_sniff_delim(rest[w]))
			continue;
		if (strcmp(name, "LOGIN") != 0)
			return (enum sniff_result)commands[k].value;
		/* "AUTH LOGIN dXNl" (SMTP, POP3) has one argument, LOGIN two. */
		lf = memchr(rest, '\n', m);
		cursor_init(&args, rest + w, (lf ? (size_t)(lf - rest) : m) - w);
		args.len = text_trim_eol(args.p, args.len);
		if (cursor_get_token(&args, &a1) &&
		    (a1.p[0] == '{' || a1.p[0] == '"' || cursor_get_token(&args, &a2)))
			return SNIFF_STRONG;
		return lf ? SNIFF_NO : SNIFF_MORE;
	}
	return more ? SNIFF_MORE : SNIFF_NO;
}

static enum sniff_result
imap_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	if (len == 0)
		return SNIFF_MORE;
	return dir == DIR_S2C ? imap_sniff_server(p, len) : imap_sniff_client(p, len);
}

const struct proto_desc proto_imap = {
	.name = "imap",
	.rfc = "RFC 9051, RFC 3501, RFC 2595, RFC 8314",
	.transports = PROTO_TCP,
	.clear_ports = {143},
	.tls_ports = {993},
	.tls_transports = PROTO_TCP,
	.upgrade = {"STARTTLS", "STARTTLS", "OK"},
	.ndpi = {"IMAP", "IMAPS"},
	.alpn = {"imap"},
	.state_size = sizeof(struct imap_state),
	.sniff = imap_sniff,
	.init = imap_init,
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
};
