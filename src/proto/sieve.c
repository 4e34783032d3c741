/*
 * sieve.c - ManageSieve (RFC 5804) parser: STARTTLS and cleartext logins.
 *
 * References: RFC 5804 (ManageSieve: capabilities, STARTTLS, AUTHENTICATE,
 * responses OK/NO/BYE, strings quoted or literal), RFC 4616 (PLAIN), SASL
 * framing in sasl.c; lines and the login tracker in line.c.
 *
 * Grammar subset:
 *   client:  command-name *(SP argument) CRLF, arguments atoms, quoted
 *            strings or literals "{n+}" CRLF n-octets (RFC 5804 4: a client
 *            sends non-synchronizing literals);
 *            STARTTLS | CAPABILITY | AUTHENTICATE SP string [SP string]
 *            (mechanism, initial response) | anything else (counted);
 *            a SASL response is a string alone on its line.
 *   server:  capability lines: string [SP string] CRLF, in the greeting and
 *            answering CAPABILITY, ended by the OK that closes them;
 *            responses OK / NO / BYE [SP "(" code ")"] [SP string] CRLF
 *            answering commands in order; a string alone on its line is a
 *            SASL challenge while an AUTHENTICATE waits, else data (a
 *            GETSCRIPT literal); literals "{n}" CRLF n-octets are skipped.
 *
 * Facts: greeting (the capability list and its OK), STARTTLS offered, SASL
 * PLAIN/LOGIN offered before TLS, a capability overwritten with X's
 * (IND_CAPA_MASKED), STARTTLS and its answer (OK: switch to TLS; NO:
 * refused), client bytes after STARTTLS (command injection; a first byte
 * 0x16 instead: the client already started TLS), AUTHENTICATE logins with
 * their outcome (a PLAIN message's user and secret, quoted or literal).
 *
 * Not handled: a literal announced by the server in a SASL challenge is
 * skipped (the challenge is read as one whatever it says), strings longer
 * than SIEVE_STRING_MAX in an AUTHENTICATE (cut, flagged as cap hits),
 * SASL security layers. Capabilities after a successful login or after TLS
 * (they come again inside TLS) do not count as offers.
 */
#include <string.h>

#include "cursor.h"
#include "line.h"

#define SIEVE_STRING_MAX 512 /* an AUTHENTICATE string kept from a literal */

enum sieve_cmd {
	SIEVE_CMD_OTHER = 0,
	SIEVE_CMD_CAPABILITY,
	SIEVE_CMD_STARTTLS,
	SIEVE_CMD_AUTH, /* AUTHENTICATE: a string challenges, a response ends it */
	SIEVE_CMD_SASL, /* a client line read as a SASL response */
};

/* The literal of one direction. */
struct sieve_literal {
	struct line_literal l;
	bool keep; /* client: the bytes are an AUTHENTICATE string */
};

/* An AUTHENTICATE line whose strings arrive as literals. */
struct sieve_auth_args {
	bool open;     /* its arguments go on after a literal */
	unsigned arg;  /* next: 0 mechanism, 1 initial response, 2 done */
	bool response; /* ... or a SASL response given as a literal */
	uint8_t buf[SIEVE_STRING_MAX];
	size_t len;
	bool cut;
};

struct sieve_state {
	struct line_conn conn; /* first: the line engine's */
	struct sieve_literal lit[2];
	bool greeted;	    /* the greeting's OK was read */
	bool authenticated; /* a login succeeded */
	struct sieve_auth_args args;
	struct cmd_fifo queue;
	struct upgrade_wait tls_wait;
};

/* ---- strings ------------------------------------------------------------------ */

/*
 * The next string of c: a quoted string (its content, escapes left as they
 * are: base64 and mechanism names have none) or a literal announcement
 * ("{n+}": *literal set, the bytes follow the line). False at the end or on
 * an atom.
 */
static bool
sieve_next_string(struct cursor *c, struct cursor *out, bool *literal)
{
	const uint8_t *q;

	*literal = false;
	cursor_skip_blanks(c);
	if (cursor_remaining(c) == 0)
		return false;
	if (c->p[0] == '{') {
		*literal = true;
		cursor_init(out, c->p, cursor_remaining(c));
		cursor_skip(c, cursor_remaining(c));
		return true;
	}
	if (c->p[0] != '"')
		return false;
	q = c->p + 1;
	while (q < c->p + c->len && *q != '"') {
		if (*q == '\\' && q + 1 < c->p + c->len)
			q++;
		q++;
	}
	cursor_init(out, c->p + 1, (size_t)(q - (c->p + 1)));
	cursor_skip(c, q < c->p + c->len ? (size_t)(q - c->p) + 1 : cursor_remaining(c));
	return true;
}

/* ---- client ----------------------------------------------------------------- */

static void
sieve_push(struct sieve_state *s, struct proto_facts *f, enum sieve_cmd cmd, int login)
{
	cmd_fifo_push(&s->queue, f, &s->conn.auth, cmd, login, 1);
}

/* AUTHENTICATE's mechanism or initial response, read whole. */
static void
sieve_auth_arg(struct sieve_state *s, struct proto_facts *f, const uint8_t *p, size_t n, bool cut)
{
	struct cmd_entry *q;
	uint32_t seq;

	if (s->args.arg == 0) {
		seq = login_track_begin(&s->conn.auth, f, p, n);
		q = cmd_fifo_push(&s->queue, f, &s->conn.auth, SIEVE_CMD_AUTH, s->conn.auth.login,
				  1);
		if (q)
			q->seq = seq;
	} else if (s->args.arg == 1) {
		login_track_initial(&s->conn.auth, f, p, n, cut);
	}
	s->args.arg++;
}

/* The rest of an AUTHENTICATE line from c: strings, or a literal to wait for. */
static void
sieve_auth_args(struct sieve_state *s, struct proto_facts *f, struct cursor c)
{
	struct cursor str;
	bool literal;

	while (s->args.arg < 2 && sieve_next_string(&c, &str, &literal)) {
		if (literal)
			return; /* its bytes follow: sieve_line_end arms the literal */
		sieve_auth_arg(s, f, str.p, str.len, false);
	}
	if (s->args.arg == 0)
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX; /* no mechanism */
	s->args.open = false;
}

static const struct proto_word sieve_verbs[] = {
	{"STARTTLS", SIEVE_CMD_STARTTLS},
	{"CAPABILITY", SIEVE_CMD_CAPABILITY},
	{"AUTHENTICATE", SIEVE_CMD_AUTH},
};

static void
sieve_command(struct sieve_state *s, struct proto_facts *f, const struct line_view *l)
{
	const struct proto_word *w;
	struct cursor c, kw;

	if (!line_command(f, l, sieve_verbs, sizeof(sieve_verbs) / sizeof(sieve_verbs[0]), &w, &kw,
			  &c))
		return;
	switch ((enum sieve_cmd)(w ? w->value : SIEVE_CMD_OTHER)) {
	case SIEVE_CMD_STARTTLS:
		upgrade_wait_begin(&s->tls_wait, f);
		sieve_push(s, f, SIEVE_CMD_STARTTLS, -1);
		break;
	case SIEVE_CMD_CAPABILITY:
		sieve_push(s, f, SIEVE_CMD_CAPABILITY, -1);
		break;
	case SIEVE_CMD_AUTH:
		memset(&s->args, 0, sizeof(s->args));
		s->args.open = true;
		sieve_auth_args(s, f, c);
		break;
	default:
		if (proto_token_is_masked(kw.p, kw.len))
			proto_facts_indicate(f, IND_CMD_MASKED, l->p, l->tn);
		sieve_push(s, f, SIEVE_CMD_OTHER, -1);
		break;
	}
}

/* A SASL response (a string alone on its line), given whole. */
static void
sieve_sasl_response(struct sieve_state *s, struct proto_facts *f, const uint8_t *p, size_t n,
		    bool cut)
{
	if (login_track_client_line(&s->conn.auth, f, p, n, cut, false))
		sieve_push(s, f, SIEVE_CMD_SASL, -1);
	else
		sieve_push(s, f, SIEVE_CMD_OTHER, -1);
	login_track_line_end(&s->conn.auth);
}

static bool
sieve_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct sieve_state *s = state;
	struct cursor c, str;
	bool literal, sasl_wait;

	upgrade_wait_client_line(&s->tls_wait, f, l->p, l->tn);
	cursor_init(&c, l->p, l->tn);
	if (s->lit[DIR_C2S].l.after_literal) {
		/* The line goes on after a literal AUTHENTICATE string. */
		if (s->args.response) {
			sieve_sasl_response(s, f, s->args.buf, s->args.len, s->args.cut);
			s->args.response = false;
		} else if (s->args.open) {
			sieve_auth_arg(s, f, s->args.buf, s->args.len, s->args.cut);
			sieve_auth_args(s, f, c);
		}
		return false;
	}
	/* While the server is in an exchange, or a mechanism may send unasked,
	 * a string alone on the line is a response. */
	sasl_wait = sasl_exchange_wants_line(&s->conn.auth.sasl, NULL);
	if (sasl_wait && cursor_remaining(&c) > 0 && (c.p[0] == '"' || c.p[0] == '{')) {
		if (!sieve_next_string(&c, &str, &literal))
			return false;
		if (literal) {
			s->args.response = true;
			return false; /* read where the literal ends */
		}
		sieve_sasl_response(s, f, str.p, str.len, l->cut);
		return false;
	}
	sieve_command(s, f, l);
	return false;
}

/* ---- server ----------------------------------------------------------------- */

/* One capability line: "NAME" ["value"]. */
static void
sieve_capability(struct sieve_state *s, struct proto_facts *f, const struct line_view *l)
{
	struct cursor c, name, value, mech;
	bool literal;

	cursor_init(&c, l->p, l->tn);
	if (!sieve_next_string(&c, &name, &literal) || literal)
		return;
	proto_facts_capa_keyword(f, name.p, name.len, l->p, l->tn);
	if (s->authenticated)
		return;
	if (text_equal_ci(name.p, name.len, "STARTTLS")) {
		f->tls_offered = true;
	} else if (text_equal_ci(name.p, name.len, "SASL") &&
		   sieve_next_string(&c, &value, &literal) && !literal) {
		while (cursor_get_token(&value, &mech))
			if (text_equal_ci(mech.p, mech.len, "PLAIN") ||
			    text_equal_ci(mech.p, mech.len, "LOGIN"))
				f->auth_cleartext_offered = true;
	}
}

/* OK, NO or BYE answering the oldest command (or ending the greeting).
 * Returns true on switch_to_tls. */
static bool
sieve_response(struct sieve_state *s, struct proto_facts *f, bool ok, bool bye,
	       const struct line_view *l)
{
	struct cmd_entry q;

	if (!s->greeted && s->queue.n == 0) {
		s->greeted = true;
		f->greeting = !bye;
		f->capa_seen = f->capa_seen || f->capa[0] != '\0';
		return false;
	}
	s->greeted = true;
	if (!cmd_fifo_pop(&s->queue, &q))
		return false;
	if (login_track_read_as_response(&s->conn.auth, &q)) {
		login_track_outcome(&s->conn.auth, f, q.slot, q.slot_login, ok);
		s->authenticated = s->authenticated || ok;
		return false;
	}
	switch ((enum sieve_cmd)q.cmd) {
	case SIEVE_CMD_STARTTLS:
		return upgrade_wait_answer(&s->tls_wait, f, ok, l->p, l->tn, &s->conn.la[DIR_C2S]);
	case SIEVE_CMD_AUTH:
		login_track_outcome(&s->conn.auth, f, q.seq, q.login, ok);
		s->authenticated = s->authenticated || ok;
		break;
	case SIEVE_CMD_CAPABILITY:
		f->capa_seen = true;
		break;
	default:
		break;
	}
	return false;
}

/* A string alone on a server line: a challenge when an AUTHENTICATE waits. */
static void
sieve_challenge(struct sieve_state *s)
{
	struct cmd_entry *head = cmd_fifo_peek(&s->queue);
	struct cmd_entry q;

	if (!head || (head->cmd != SIEVE_CMD_AUTH && !login_track_in_exchange(&s->conn.auth, head)))
		return; /* data: a GETSCRIPT literal, a LISTSCRIPTS line */
	cmd_fifo_pop(&s->queue, &q);
	login_track_challenge(&s->conn.auth,
			      login_track_read_as_response(&s->conn.auth, &q) ? q.slot : q.seq);
}

static bool
sieve_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct sieve_state *s = state;
	struct cursor c, kw;
	bool ok, bye;

	if (s->lit[DIR_S2C].l.after_literal)
		return false; /* the rest of a line whose literal was skipped */
	cursor_init(&c, l->p, l->tn);
	if (!cursor_get_token(&c, &kw))
		return false;
	if (kw.p[0] == '"' || kw.p[0] == '{') {
		struct cmd_entry *head = cmd_fifo_peek(&s->queue);

		/* The greeting's list, CAPABILITY's answer, else a challenge or data. */
		if ((!s->greeted && !head) || (head && head->cmd == SIEVE_CMD_CAPABILITY))
			sieve_capability(s, f, l);
		else
			sieve_challenge(s);
		return false;
	}
	ok = text_equal_ci(kw.p, kw.len, "OK") || text_prefix_ci(kw.p, kw.len, "OK(");
	bye = text_equal_ci(kw.p, kw.len, "BYE") || text_prefix_ci(kw.p, kw.len, "BYE(");
	if (ok || bye || text_equal_ci(kw.p, kw.len, "NO") || text_prefix_ci(kw.p, kw.len, "NO("))
		return sieve_response(s, f, ok, bye, l);
	f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	return false;
}

/* ---- line framing ----------------------------------------------------------- */

/* Where a line ends: does a literal follow? */
static void
sieve_line_end(void *state, struct proto_facts *f, enum dir dir, const uint8_t *end, size_t n)
{
	struct sieve_state *s = state;
	struct sieve_literal *lit = &s->lit[dir];

	if (!line_literal_end(&lit->l, f, end, n))
		return;
	lit->keep = dir == DIR_C2S && (s->args.open || s->args.response);
	if (lit->keep) {
		s->args.len = 0;
		s->args.cut = false;
	}
}

/* The client's first byte after STARTTLS, then literal bytes: skipped, or
 * kept when they are an AUTHENTICATE string. */
static size_t
sieve_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n, bool *stop)
{
	struct sieve_state *s = state;
	struct sieve_literal *lit = &s->lit[dir];

	if (dir == DIR_C2S && upgrade_wait_client_byte(&s->tls_wait, f, p[0])) {
		*stop = true;
		return 0;
	}
	if ((n = line_literal_take(&lit->l, n)) == 0)
		return 0;
	if (lit->keep) {
		size_t room = sizeof(s->args.buf) - s->args.len;

		/* One cap hit per string cut, however its bytes were chunked. */
		if (n > room && !s->args.cut) {
			s->args.cut = true;
			f->cap_hits++;
		}
		memcpy(s->args.buf + s->args.len, p, n < room ? n : room);
		s->args.len += n < room ? n : room;
	}
	return n;
}

/* ---- descriptor ------------------------------------------------------------- */

/* After a gap the rest of both streams is handed back unread. */
static const struct line_ops sieve_ops = {
	.dir = {[DIR_C2S] = {sieve_raw, sieve_client_line, sieve_line_end},
		[DIR_S2C] = {sieve_raw, sieve_server_line, sieve_line_end}},
};

static void
sieve_init(void *state)
{
	struct sieve_state *s = state;

	line_conn_init(s, sizeof(*s), &sieve_ops);
}

/*
 * The greeting is a capability list: '"IMPLEMENTATION" "..."' or
 * '"SIEVE" "..."' first (RFC 5804 1.7) is ManageSieve's alone. A client
 * speaking first: 'AUTHENTICATE "' (IMAP's has a tag before it) and a bare
 * CAPABILITY are its own; a bare STARTTLS is shared (weak).
 */
static enum sniff_result
sieve_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const char *const server[] = {"\"IMPLEMENTATION\" ", "\"SIEVE\" ", "\"SASL\" "};
	static const char *const client[] = {"AUTHENTICATE \"", "CAPABILITY\r\n", "CAPABILITY\n"};
	const char *const *words = dir == DIR_S2C ? server : client;
	size_t n = dir == DIR_S2C ? sizeof(server) / sizeof(server[0])
				  : sizeof(client) / sizeof(client[0]);
	bool more = false;

	if (len == 0)
		return SNIFF_MORE;
	for (size_t i = 0; i < n; i++) {
		if (text_prefix_ci(p, len, words[i]))
			return SNIFF_STRONG;
		more |= text_could_be_prefix_ci(p, len, words[i]);
	}
	if (dir == DIR_C2S) {
		if (text_prefix_ci(p, len, "STARTTLS\r\n") || text_prefix_ci(p, len, "STARTTLS\n"))
			return SNIFF_WEAK;
		more |= text_could_be_prefix_ci(p, len, "STARTTLS\r\n");
	}
	return more ? SNIFF_MORE : SNIFF_NO;
}

const struct proto_desc proto_sieve = {
	.name = "sieve",
	.rfc = "RFC 5804",
	.transports = PROTO_TCP,
	.clear_ports = {4190},
	.upgrade = {"STARTTLS", "STARTTLS", "OK"},
	.alpn = {"managesieve"},
	.state_size = sizeof(struct sieve_state),
	.sniff = sieve_sniff,
	.init = sieve_init,
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
};
