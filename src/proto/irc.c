/*
 * irc.c - Internet Relay Chat (IRC) client connection parser: STARTTLS and
 * the passwords a client sends in the clear.
 *
 * References: RFC 1459 and RFC 2812 (message format, PASS, NICK, 001, 464),
 * the IRCv3 specifications (CAP LS/REQ/ACK, the "tls" capability and
 * STARTTLS with numerics 670 RPL_STARTTLS and 691 ERR_STARTTLS; SASL
 * AUTHENTICATE with 900/903 success, 902/904/905 failure, 906 aborted),
 * RFC 4616 (PLAIN); SASL framing in sasl.c.
 *
 * Grammar subset: [":" prefix SP] command *(SP param) [SP ":" trailing]
 * CRLF. Client: CAP, STARTTLS, PASS, NICK, AUTHENTICATE, PRIVMSG NickServ
 * :IDENTIFY, anything else counted. Server: CAP * LS/ACK (the "tls"
 * capability is the offer), AUTHENTICATE + (a SASL challenge), numerics.
 * IRC answers are not matched to commands in order: the numerics say what
 * they answer.
 *
 * Facts: the STARTTLS offer (CAP LS listing "tls"), STARTTLS and its answer
 * (670: switch to TLS; 691 or 421 unknown command: refused), client bytes
 * after STARTTLS (injection; 0x16 first: the client went ahead), logins in
 * the clear: PASS (server password, mechanism PASS, the NICK as user;
 * 001 welcome: success, 464 or an ERROR closing the link before the
 * welcome: failure), SASL AUTHENTICATE (PLAIN gives user
 * and secret; 903 success, 904 failure), NickServ IDENTIFY [account]
 * password (mechanism NICKSERV; no outcome on the wire that a parser can
 * trust: unknown).
 *
 * Not handled: NickServ replies (NOTICEs in free text), messages longer
 * than LINE_CAP (cut and flagged), other services' names (PRIVMSG
 * NickServ@services.host is read as NickServ only without the host),
 * the STS policy (a "sts" capability: noted as an offer of TLS too).
 */
#include <string.h>

#include "cursor.h"
#include "line.h"

struct irc_state {
	struct line_conn conn; /* first: the line engine's */
	char nick[LOGIN_FIELD_MAX];
	int pass_login; /* PASS waiting for 001 or 464, -1 none */
	uint32_t sasl_seq;
	bool sasl_open;
	bool registered; /* 001 seen */
	struct upgrade_wait tls_wait;
};

/* One message split: prefix skipped, the command and the rest. */
static bool
irc_split(const struct line_view *l, struct cursor *cmd, struct cursor *rest)
{
	cursor_init(rest, l->p, l->tn);
	if (cursor_remaining(rest) > 0 && rest->p[0] == ':') {
		struct cursor prefix;

		if (!cursor_get_token(rest, &prefix))
			return false;
	}
	return cursor_get_token(rest, cmd);
}

/* The next parameter: a middle word, or the trailing ":..." (the rest). */
static bool
irc_param(struct cursor *c, struct cursor *out)
{
	cursor_skip_blanks(c);
	if (cursor_remaining(c) == 0)
		return false;
	if (c->p[0] == ':') {
		cursor_init(out, c->p + 1, c->len - 1);
		cursor_skip(c, c->len);
		return true;
	}
	return cursor_get_token(c, out);
}

/* ---- client ----------------------------------------------------------------- */

/* PRIVMSG NickServ :IDENTIFY [account] password */
static void
irc_nickserv(struct irc_state *s, struct proto_facts *f, struct cursor c)
{
	struct cursor target, text, word, a, b;
	struct login *l;
	int idx;

	if (!irc_param(&c, &target) || !text_equal_ci(target.p, target.len, "NickServ") ||
	    !irc_param(&c, &text) || !cursor_get_token(&text, &word) ||
	    !text_equal_ci(word.p, word.len, "IDENTIFY") || !cursor_get_token(&text, &a))
		return;
	idx = proto_facts_add_login_index(f, "NICKSERV");
	if ((l = proto_facts_login(f, idx)) == NULL)
		return;
	if (cursor_get_token(&text, &b)) { /* account and password */
		sasl_field_set(l->username, sizeof(l->username), a.p, a.len);
		sasl_field_set(l->secret, sizeof(l->secret), b.p, b.len);
	} else {
		memcpy(l->username, s->nick, sizeof(l->username));
		sasl_field_set(l->secret, sizeof(l->secret), a.p, a.len);
	}
	l->has_secret = true;
}

/* AUTHENTICATE mechanism, or a response inside the exchange. */
static void
irc_authenticate(struct irc_state *s, struct proto_facts *f, struct cursor c, bool cut)
{
	struct cursor arg;

	if (!irc_param(&c, &arg))
		return;
	if (!s->sasl_open) {
		s->sasl_seq = login_track_begin(&s->conn.auth, f, arg.p, arg.len);
		s->sasl_open = true;
		return;
	}
	/* "AUTHENTICATE +" from a client is an empty response; "*" aborts. */
	login_track_client_line(&s->conn.auth, f, arg.p, arg.len, cut, false);
	login_track_line_end(&s->conn.auth);
}

static bool
irc_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct irc_state *s = state;
	struct cursor cmd, rest, arg;
	int idx;

	upgrade_wait_client_line(&s->tls_wait, f, l->p, l->tn);
	if (!irc_split(l, &cmd, &rest))
		return false;
	f->commands++;
	if (f->upgrade_refused && !text_equal_ci(cmd.p, cmd.len, "QUIT"))
		f->cleartext_after_refusal = true;
	if (text_equal_ci(cmd.p, cmd.len, "STARTTLS")) {
		upgrade_wait_begin(&s->tls_wait, f);
	} else if (text_equal_ci(cmd.p, cmd.len, "NICK") && irc_param(&rest, &arg)) {
		sasl_field_set(s->nick, sizeof(s->nick), arg.p, arg.len);
		if ((idx = s->pass_login) >= 0 && proto_facts_login(f, idx) &&
		    !proto_facts_login(f, idx)->username[0])
			memcpy(proto_facts_login(f, idx)->username, s->nick, sizeof(s->nick));
	} else if (text_equal_ci(cmd.p, cmd.len, "PASS") && irc_param(&rest, &arg)) {
		struct login *lg;

		s->pass_login = proto_facts_add_login_index(f, "PASS");
		if ((lg = proto_facts_login(f, s->pass_login)) != NULL) {
			memcpy(lg->username, s->nick, sizeof(lg->username));
			sasl_field_set(lg->secret, sizeof(lg->secret), arg.p, arg.len);
			lg->has_secret = true;
		}
	} else if (text_equal_ci(cmd.p, cmd.len, "AUTHENTICATE")) {
		irc_authenticate(s, f, rest, l->cut);
	} else if (text_equal_ci(cmd.p, cmd.len, "PRIVMSG")) {
		irc_nickserv(s, f, rest);
	} else if (proto_token_is_masked(cmd.p, cmd.len)) {
		proto_facts_indicate(f, IND_CMD_MASKED, l->p, l->tn);
	}
	return false;
}

/* The client's first byte after STARTTLS decides (see upgrade_wait). */
static size_t
irc_client_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
	       bool *stop)
{
	struct irc_state *s = state;

	(void)dir;
	(void)n;
	*stop = upgrade_wait_client_byte(&s->tls_wait, f, p[0]);
	return 0;
}

/* ---- server ----------------------------------------------------------------- */

/* CAP <target> LS|ACK [*] :caps -- "tls" (or "sts") is the offer. */
static void
irc_cap(struct proto_facts *f, struct cursor c, const struct line_view *l)
{
	struct cursor target, sub, caps, cap;

	if (!irc_param(&c, &target) || !irc_param(&c, &sub) || !text_equal_ci(sub.p, sub.len, "LS"))
		return;
	f->capa_seen = true;
	while (irc_param(&c, &caps)) {
		while (cursor_get_token(&caps, &cap)) {
			const uint8_t *eq = memchr(cap.p, '=', cap.len);
			size_t n = eq ? (size_t)(eq - cap.p) : cap.len;

			proto_facts_capa_keyword(f, cap.p, n, l->p, l->tn);
			if (text_equal_ci(cap.p, n, "tls") || text_equal_ci(cap.p, n, "sts"))
				f->tls_offered = true;
			if (text_equal_ci(cap.p, n, "sasl"))
				f->auth_cleartext_offered = true;
		}
	}
}

/* A numeric reply. Returns true when the stream switches to TLS. */
static bool
irc_numeric(struct irc_state *s, struct proto_facts *f, int code, const struct line_view *l)
{
	switch (code) {
	case 1: /* RPL_WELCOME: registered, the PASS was good */
		s->registered = true;
		proto_facts_login_outcome(f, s->pass_login, true);
		s->pass_login = -1;
		break;
	case 464: /* ERR_PASSWDMISMATCH */
		proto_facts_login_outcome(f, s->pass_login, false);
		s->pass_login = -1;
		break;
	case 670: /* RPL_STARTTLS */
	case 691: /* ERR_STARTTLS */
		if (s->tls_wait.pending)
			return upgrade_wait_answer(&s->tls_wait, f, code == 670, l->p, l->tn,
						   &s->conn.la[DIR_C2S]);
		break;
	case 421: /* ERR_UNKNOWNCOMMAND: to STARTTLS when it waits */
		if (s->tls_wait.pending && text_find_ci(l->p, l->tn, "STARTTLS") >= 0)
			upgrade_wait_answer(&s->tls_wait, f, false, l->p, l->tn,
					    &s->conn.la[DIR_C2S]);
		break;
	case 900: /* RPL_LOGGEDIN comes with 903; 903 RPL_SASLSUCCESS */
	case 903:
	case 902:
	case 904:
	case 905:
	case 906:
		if (s->sasl_open) {
			login_track_outcome(&s->conn.auth, f, s->sasl_seq, s->conn.auth.login,
					    code == 900 || code == 903);
			s->sasl_open = code == 900; /* 903 follows */
		}
		break;
	default:
		break;
	}
	return false;
}

static bool
irc_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct irc_state *s = state;
	struct cursor cmd, rest;

	if (!irc_split(l, &cmd, &rest))
		return false;
	if (!f->greeting && !s->registered)
		f->greeting = true; /* the server spoke: NOTICE AUTH, a numeric ... */
	if (cmd.len == 3 && cmd.p[0] >= '0' && cmd.p[0] <= '9' && cmd.p[1] >= '0' &&
	    cmd.p[1] <= '9' && cmd.p[2] >= '0' && cmd.p[2] <= '9')
		return irc_numeric(
			s, f, (cmd.p[0] - '0') * 100 + (cmd.p[1] - '0') * 10 + (cmd.p[2] - '0'), l);
	if (text_equal_ci(cmd.p, cmd.len, "CAP") && !s->registered)
		irc_cap(f, rest, l);
	else if (text_equal_ci(cmd.p, cmd.len, "AUTHENTICATE") && s->sasl_open)
		login_track_challenge(&s->conn.auth, s->sasl_seq);
	else if (text_equal_ci(cmd.p, cmd.len, "ERROR") && !s->registered) {
		/* Closed before the welcome: the PASS was refused (InspIRCd says
		 * "Access denied by configuration" rather than 464). */
		proto_facts_login_outcome(f, s->pass_login, false);
		s->pass_login = -1;
	}
	return false;
}

/* ---- descriptor ------------------------------------------------------------- */

static const struct line_ops irc_ops = {
	.dir = {[DIR_C2S] = {irc_client_raw, irc_client_line}, [DIR_S2C] = {NULL, irc_server_line}},
	.consume_after_stop = true,
};

static void
irc_init(void *state)
{
	struct irc_state *s = state;

	line_conn_init(s, sizeof(*s), &irc_ops);
	s->pass_login = -1;
}

/*
 * A client's first line: CAP LS, NICK, PASS or USER with IRC's shape (USER
 * takes four parameters: "USER name 0 * :real name"). A server's: a
 * prefixed NOTICE (":irc.example.org NOTICE * :*** Looking up ...",
 * "NOTICE AUTH :...") or a prefixed numeric.
 */
static enum sniff_result
irc_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const char *const client[] = {"CAP LS", "CAP REQ", "NICK ", "STARTTLS\r\n"};
	const uint8_t *lf = memchr(p, '\n', len);
	size_t n = lf ? (size_t)(lf - p) : len;
	bool more = false;

	if (len == 0)
		return SNIFF_MORE;
	if (dir == DIR_S2C) {
		if (text_could_be_prefix_ci(p, len, "NOTICE AUTH "))
			return SNIFF_MORE;
		if (text_prefix_ci(p, len, "NOTICE AUTH "))
			return SNIFF_STRONG;
		if (p[0] != ':')
			return SNIFF_NO;
		if (!lf)
			return len < LINE_CAP ? SNIFF_MORE : SNIFF_NO;
		if (text_find_ci(p, n, " NOTICE ") >= 0 || text_find_ci(p, n, " 020 ") >= 0 ||
		    text_find_ci(p, n, " 001 ") >= 0)
			return SNIFF_STRONG;
		return SNIFF_NO;
	}
	for (size_t i = 0; i < sizeof(client) / sizeof(client[0]); i++) {
		if (text_prefix_ci(p, len, client[i]))
			return i == 3 ? SNIFF_WEAK : SNIFF_STRONG;
		more |= text_could_be_prefix_ci(p, len, client[i]);
	}
	if (text_prefix_ci(p, len, "USER ")) {
		if (!lf)
			return len < LINE_CAP ? SNIFF_MORE : SNIFF_NO;
		return text_find_ci(p, n, " :") >= 0 ? SNIFF_STRONG : SNIFF_NO;
	}
	more |= text_could_be_prefix_ci(p, len, "USER ");
	return more ? SNIFF_MORE : SNIFF_NO;
}

const struct proto_desc proto_irc = {
	.name = "irc",
	.rfc = "RFC 1459, RFC 2812, IRCv3 tls and sasl",
	.transports = PROTO_TCP,
	.clear_ports = {6667},
	.tls_ports = {6697},
	.tls_transports = PROTO_TCP,
	.upgrade = {"tls", "STARTTLS", "670"},
	.ndpi = {"IRC"},
	.alpn = {"irc"},
	.state_size = sizeof(struct irc_state),
	.sniff = irc_sniff,
	.init = irc_init,
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
};
