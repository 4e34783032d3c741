/*
 * ftp.c - File Transfer Protocol (FTP) control connection parser: AUTH TLS,
 * cleartext logins, and the data connections it announces; and the
 * descriptor of those data connections (ftp-data).
 *
 * References: RFC 959 (FTP), RFC 2228 (AUTH, PBSZ, PROT, CCC), RFC 4217
 * (FTP over TLS: AUTH TLS -> 234, PBSZ 0, PROT C/P), RFC 2389 (FEAT),
 * RFC 2428 (EPRT, EPSV, IPv6), RFC 1123 4.1.2.6 (read a PASV reply's
 * numbers wherever they are in the text), RFC 1635 (anonymous FTP).
 *
 * Grammar subset:
 *   client:  verb [SP argument] CRLF; FEAT, AUTH TLS|SSL|TLS-C|TLS-P (the
 *            upgrade; any other AUTH names a security mechanism, not TLS),
 *            USER, PASS (the rest of the line), PBSZ, PROT C|S|E|P, CCC,
 *            PASV, EPSV, PORT h1,h2,h3,h4,p1,p2, EPRT |af|addr|port|.
 *   server:  "ddd text" CRLF, or a multi-line reply "ddd-text" CRLF ...
 *            "ddd text" CRLF whose inner lines may be anything (FEAT lists
 *            one feature per line, indented by a space); 1yz replies are
 *            preliminary (a transfer starting): the command waits for its
 *            final reply.
 *
 * Facts: greeting; FEAT's features (AUTH TLS or AUTH SSL: the upgrade is
 * offered; a feature overwritten with X's: IND_CAPA_MASKED); AUTH TLS and
 * its answer (234 go-ahead, 334 from servers that answer AUTH SSL that way,
 * 4xx/5xx refused), client bytes after it (command injection), the client's
 * first byte 0x16 (it started TLS before the answer was captured); USER/PASS
 * logins with the 230/530 outcome (anonymous and ftp log in with an e-mail
 * address, not a secret: mechanism ANONYMOUS, no secret); a 331 asking for
 * a password before TLS means the server takes cleartext passwords.
 *
 * Data connections: a 227 (PASV) or 229 (EPSV) reply, or a 2xx answer to
 * PORT or EPRT, announces the endpoint the next data connection goes to
 * (proto_facts_expect); the core links the connection to this session and
 * names it ftp-data. Once the control connection is encrypted these
 * announcements are hidden; the core then links by address pair instead.
 *
 * Own facts (struct ftp_own, rendered by ftp_write): the protection level
 * PROT set in the clear, the passive and active announcements counted, and
 * a CCC (clear command channel) accepted in the clear.
 *
 * Not handled: the control connection after CCC returns to cleartext
 * inside TLS (the parser is gone by then), LPSV/LPRT (RFC 1639), the ADAT
 * security exchanges of GSSAPI, Telnet IAC sequences inside commands (read
 * as bytes of the line).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cursor.h"
#include "line.h"

/* What a command's final reply means to us (cmd_entry.cmd). */
enum ftp_cmd {
	FTP_CMD_OTHER = 0,
	FTP_CMD_FEAT,
	FTP_CMD_AUTH_TLS,
	FTP_CMD_USER,
	FTP_CMD_PASS,
	FTP_CMD_PROT,
	FTP_CMD_CCC,
	FTP_CMD_PASV,
	FTP_CMD_EPSV,
	FTP_CMD_PORT, /* PORT or EPRT: the endpoint is in pending_active */
};

/* The facts only FTP has, in proto_facts.own. */
struct ftp_own {
	char prot;	    /* PROT level accepted in the clear: 'C', 'S', 'E', 'P'; 0 none */
	bool ccc;	    /* CCC accepted in the clear */
	uint16_t passive;   /* data endpoints announced by the server (227, 229) */
	uint16_t active;    /* ... by the client (PORT, EPRT accepted) */
	uint16_t bad_ports; /* PASV/PORT arguments that could not be read */
};

_Static_assert(sizeof(struct ftp_own) <= PROTO_OWN_MAX, "ftp_own fits proto_facts.own");

struct ftp_state {
	struct line_conn conn;		    /* first: the line engine's */
	bool greeted;			    /* the greeting (220, or 421/5xx) was read */
	bool authenticated;		    /* a login succeeded */
	bool reply_open;		    /* inside a multi-line reply ... */
	int reply_code;			    /* ... with this code */
	bool feat_lines;		    /* ... answering FEAT: its lines are features */
	char prot_asked;		    /* the level of the PROT waiting for its reply */
	struct proto_expect pending_active; /* PORT/EPRT waiting for its reply */
	struct cmd_fifo queue;
	struct login_pair user_pass;
	struct upgrade_wait tls_wait;
};

static struct ftp_own *
ftp_own(struct proto_facts *f)
{
	return (struct ftp_own *)(void *)f->own;
}

/* ---- addresses ----------------------------------------------------------------- */

/* Reads "h1,h2,h3,h4,p1,p2" starting at p (RFC 959 host-port): six decimal
 * numbers of at most three digits, each < 256. */
static bool
ftp_host_port(const uint8_t *p, size_t n, struct proto_expect *x)
{
	unsigned v[6];
	size_t k = 0, i = 0;

	for (; k < 6; k++) {
		size_t digits = 0;

		v[k] = 0;
		while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 3) {
			v[k] = v[k] * 10 + (unsigned)(p[i++] - '0');
			digits++;
		}
		if (digits == 0 || v[k] > 255 || (i < n && p[i] >= '0' && p[i] <= '9'))
			return false;
		if (k < 5) {
			if (i >= n || p[i] != ',')
				return false;
			i++;
		}
	}
	memset(x, 0, sizeof(*x));
	x->family = 4;
	for (k = 0; k < 4; k++)
		x->addr[k] = (uint8_t)v[k];
	x->port = (uint16_t)(v[4] << 8 | v[5]);
	return x->port != 0;
}

/* A 227 reply: the first place in its text where six numbers start
 * (RFC 1123: "Entering Passive Mode (h1,h2,...)" or without parentheses). */
static bool
ftp_pasv_reply(const uint8_t *p, size_t n, struct proto_expect *x)
{
	for (size_t i = 4; i < n; i++)
		if (p[i] >= '0' && p[i] <= '9' && (p[i - 1] < '0' || p[i - 1] > '9') &&
		    ftp_host_port(p + i, n - i, x))
			return true;
	return false;
}

/* A decimal port number of 1 to 5 digits, 1..65535, ending at p[*i]. */
static bool
ftp_port_number(const uint8_t *p, size_t n, size_t *i, uint16_t *port)
{
	unsigned v = 0;
	size_t digits = 0;

	while (*i < n && p[*i] >= '0' && p[*i] <= '9' && digits < 6) {
		v = v * 10 + (unsigned)(p[(*i)++] - '0');
		digits++;
	}
	if (digits == 0 || digits > 5 || v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* A 229 reply: "(<d><d><d>port<d>)" with any delimiter d (RFC 2428). */
static bool
ftp_epsv_reply(const uint8_t *p, size_t n, struct proto_expect *x)
{
	const uint8_t *open = memchr(p, '(', n);
	size_t i;
	uint8_t d;

	if (!open)
		return false;
	i = (size_t)(open - p) + 1;
	if (i + 4 > n)
		return false;
	d = p[i];
	if (d < 33 || d > 126 || p[i + 1] != d || p[i + 2] != d)
		return false;
	i += 3;
	memset(x, 0, sizeof(*x));
	if (!ftp_port_number(p, n, &i, &x->port) || i >= n || p[i] != d)
		return false;
	x->family = 0; /* the address the control connection uses */
	return true;
}

/* EPRT's argument: "<d>af<d>address<d>port<d>", af 1 (IPv4) or 2 (IPv6). */
static bool
ftp_eprt_arg(const uint8_t *p, size_t n, struct proto_expect *x)
{
	char text[INET6_ADDRSTRLEN];
	const uint8_t *end;
	size_t i = 3, alen;
	uint8_t d;

	if (n < 8)
		return false;
	d = p[0];
	if (d < 33 || d > 126 || (p[1] != '1' && p[1] != '2') || p[2] != d)
		return false;
	memset(x, 0, sizeof(*x));
	x->family = p[1] == '1' ? 4 : 6;
	end = memchr(p + i, d, n - i);
	if (!end)
		return false;
	alen = (size_t)(end - (p + i));
	if (alen == 0 || alen >= sizeof(text))
		return false;
	memcpy(text, p + i, alen);
	text[alen] = '\0';
	if (inet_pton(x->family == 4 ? AF_INET : AF_INET6, text, x->addr) != 1)
		return false;
	i += alen + 1;
	return ftp_port_number(p, n, &i, &x->port) && i < n && p[i] == d;
}

/* ---- client ----------------------------------------------------------------- */

/* The client's first byte after AUTH TLS decides (see upgrade_wait). */
static size_t
ftp_client_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
	       bool *stop)
{
	struct ftp_state *s = state;

	(void)dir;
	(void)n;
	*stop = upgrade_wait_client_byte(&s->tls_wait, f, p[0]);
	return 0;
}

enum ftp_verb {
	VERB_OTHER = 0,
	VERB_FEAT,
	VERB_AUTH,
	VERB_USER,
	VERB_PASS,
	VERB_PROT,
	VERB_CCC,
	VERB_PASV,
	VERB_EPSV,
	VERB_PORT,
	VERB_EPRT,
};

static const struct proto_word ftp_verbs[] = {
	{"FEAT", VERB_FEAT}, {"AUTH", VERB_AUTH}, {"USER", VERB_USER}, {"PASS", VERB_PASS},
	{"PROT", VERB_PROT}, {"CCC", VERB_CCC},	  {"PASV", VERB_PASV}, {"EPSV", VERB_EPSV},
	{"PORT", VERB_PORT}, {"EPRT", VERB_EPRT},
};

/* RFC 4217 and its drafts: the AUTH arguments that ask for TLS. */
static bool
ftp_auth_is_tls(const uint8_t *p, size_t n)
{
	return text_equal_ci(p, n, "TLS") || text_equal_ci(p, n, "SSL") ||
	       text_equal_ci(p, n, "TLS-C") || text_equal_ci(p, n, "TLS-P");
}

/* RFC 1635: these names log in with an e-mail address as "password". */
static bool
ftp_user_is_anonymous(const char *user)
{
	return strcasecmp(user, "anonymous") == 0 || strcasecmp(user, "ftp") == 0;
}

static void
ftp_push(struct ftp_state *s, struct proto_facts *f, enum ftp_cmd cmd, int login)
{
	cmd_fifo_push(&s->queue, f, &s->conn.auth, cmd, login, 1);
}

static int
ftp_pass(struct ftp_state *s, struct proto_facts *f, struct cursor c)
{
	int idx;
	struct login *l;

	/* The password is the rest of the line, spaces included. */
	if (cursor_remaining(&c) > 0)
		cursor_skip(&c, 1);
	idx = login_pair_pass(&s->user_pass, f, c.p, c.len);
	l = proto_facts_login(f, idx);
	if (l && ftp_user_is_anonymous(l->username)) {
		snprintf(l->mechanism, sizeof(l->mechanism), "ANONYMOUS");
		memset(l->secret, 0, sizeof(l->secret));
		l->has_secret = false;
		l->anonymous = true;
	}
	return idx;
}

static void
ftp_command(struct ftp_state *s, struct proto_facts *f, struct cursor kw, enum ftp_verb v,
	    struct cursor c, const struct line_view *line)
{
	struct proto_expect x;
	struct cursor arg;

	f->commands++;
	if (f->upgrade_refused)
		f->cleartext_after_refusal = true;
	if (v != VERB_PASS)
		cursor_skip_blanks(&c);
	switch (v) {
	case VERB_FEAT:
		ftp_push(s, f, FTP_CMD_FEAT, -1);
		break;
	case VERB_AUTH:
		if (cursor_get_token(&c, &arg) && ftp_auth_is_tls(arg.p, arg.len)) {
			upgrade_wait_begin(&s->tls_wait, f);
			ftp_push(s, f, FTP_CMD_AUTH_TLS, -1);
		} else {
			ftp_push(s, f, FTP_CMD_OTHER, -1);
		}
		break;
	case VERB_USER:
		login_pair_user(&s->user_pass, c.p, text_trim_eol(c.p, c.len));
		ftp_push(s, f, FTP_CMD_USER, -1);
		break;
	case VERB_PASS:
		ftp_push(s, f, FTP_CMD_PASS, ftp_pass(s, f, c));
		break;
	case VERB_PROT:
		s->prot_asked = cursor_get_token(&c, &arg) && arg.len == 1 ? (char)arg.p[0] : 0;
		if (s->prot_asked >= 'a' && s->prot_asked <= 'z')
			s->prot_asked = (char)(s->prot_asked - 'a' + 'A');
		/* RFC 2228: C, S, E or P; anything else is no level (and would
		 * not be printable). */
		if (!s->prot_asked || !strchr("CSEP", s->prot_asked))
			s->prot_asked = 0;
		ftp_push(s, f, FTP_CMD_PROT, -1);
		break;
	case VERB_CCC:
		ftp_push(s, f, FTP_CMD_CCC, -1);
		break;
	case VERB_PASV:
		ftp_push(s, f, FTP_CMD_PASV, -1);
		break;
	case VERB_EPSV:
		/* "EPSV ALL" announces nothing; "EPSV" and "EPSV 1|2" do (229). */
		ftp_push(s, f, FTP_CMD_EPSV, -1);
		break;
	case VERB_PORT:
	case VERB_EPRT:
		/* Parsed aside: a bad argument must not spoil the endpoint of an
		 * earlier PORT still waiting for its reply. */
		if (v == VERB_PORT ? ftp_host_port(c.p, c.len, &x) : ftp_eprt_arg(c.p, c.len, &x)) {
			s->pending_active = x;
			ftp_push(s, f, FTP_CMD_PORT, -1);
		} else {
			ftp_own(f)->bad_ports++;
			ftp_push(s, f, FTP_CMD_OTHER, -1);
		}
		break;
	case VERB_OTHER:
		if (proto_token_is_masked(kw.p, kw.len))
			proto_facts_indicate(f, IND_CMD_MASKED, line->p, line->tn);
		ftp_push(s, f, FTP_CMD_OTHER, -1);
		break;
	}
}

static bool
ftp_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct ftp_state *s = state;
	const struct proto_word *w;
	struct cursor c, kw;

	upgrade_wait_client_line(&s->tls_wait, f, l->p, l->tn);
	cursor_init(&c, l->p, l->tn);
	if (!cursor_get_token(&c, &kw))
		return false;
	w = proto_word_find(ftp_verbs, sizeof(ftp_verbs) / sizeof(ftp_verbs[0]), kw.p, kw.len);
	ftp_command(s, f, kw, w ? (enum ftp_verb)w->value : VERB_OTHER, c, l);
	return false;
}

/* ---- server ----------------------------------------------------------------- */

/* One line inside FEAT's reply: " feature [params]" (RFC 2389). */
static void
ftp_feature(struct ftp_state *s, struct proto_facts *f, const uint8_t *line, size_t n)
{
	struct cursor c, name, param;

	cursor_init(&c, line, n);
	if (!cursor_get_token(&c, &name))
		return;
	proto_facts_capa_keyword(f, name.p, name.len, line, n);
	if (s->authenticated || !text_equal_ci(name.p, name.len, "AUTH"))
		return;
	/* "AUTH TLS", "AUTH SSL", or one line listing several: "AUTH TLS;SSL". */
	while (cursor_get_token(&c, &param))
		if (text_has_token_ci(param.p, param.len, "TLS", ";,") ||
		    text_has_token_ci(param.p, param.len, "SSL", ";,") ||
		    text_has_token_ci(param.p, param.len, "TLS-C", ";,"))
			f->tls_offered = true;
}

/* A data endpoint announced: handed to the core. */
static void
ftp_announce(struct proto_facts *f, struct proto_expect *x, bool by_server)
{
	struct ftp_own *o = ftp_own(f);

	x->by_server = by_server;
	x->tls_possible = f->tls_offered || f->upgrade_requested;
	proto_facts_expect(f, x);
	if (by_server)
		o->passive++;
	else
		o->active++;
}

/* The final reply `code` to the oldest command; line is its last line.
 * Returns true when the stream switches to TLS after it. */
static bool
ftp_reply(struct ftp_state *s, struct proto_facts *f, int code, const uint8_t *line, size_t n)
{
	bool ok = code >= 200 && code < 400;
	struct proto_expect x;
	struct cmd_entry q;

	if (!cmd_fifo_pop(&s->queue, &q))
		return false; /* an answer to something we did not see */
	switch ((enum ftp_cmd)q.cmd) {
	case FTP_CMD_FEAT:
		f->capa_seen = f->capa_seen || code == 211;
		break;
	case FTP_CMD_AUTH_TLS:
		return upgrade_wait_answer(&s->tls_wait, f, code == 234 || code == 334, line, n,
					   &s->conn.la[DIR_C2S]);
	case FTP_CMD_USER:
		/* Asked for a password in the clear (an anonymous login's
		 * "password" is an e-mail address: no offer of anything). */
		if (code == 331 && !s->authenticated && !ftp_user_is_anonymous(s->user_pass.user))
			f->auth_cleartext_offered = true;
		if (code == 230)
			s->authenticated = true;
		break;
	case FTP_CMD_PASS:
		if (code == 230 || code == 202 || code >= 400)
			proto_facts_login_outcome(f, q.login, code < 400);
		if (code == 230 || code == 202)
			s->authenticated = true;
		break;
	case FTP_CMD_PROT:
		if (ok && s->prot_asked)
			ftp_own(f)->prot = s->prot_asked;
		break;
	case FTP_CMD_CCC:
		if (ok)
			ftp_own(f)->ccc = true;
		break;
	case FTP_CMD_PASV:
		if (code == 227 && ftp_pasv_reply(line, n, &x))
			ftp_announce(f, &x, true);
		else if (code == 227)
			ftp_own(f)->bad_ports++;
		break;
	case FTP_CMD_EPSV:
		if (code == 229 && ftp_epsv_reply(line, n, &x))
			ftp_announce(f, &x, true);
		else if (code == 229)
			ftp_own(f)->bad_ports++;
		break;
	case FTP_CMD_PORT:
		if (code >= 200 && code < 300)
			ftp_announce(f, &s->pending_active, false);
		break;
	case FTP_CMD_OTHER:
		break;
	}
	return false;
}

/* "ddd" at the start of a line, and what follows it. */
static int
ftp_code(const uint8_t *p, size_t n, uint8_t *sep)
{
	if (n < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
	    p[2] > '9')
		return -1;
	*sep = n > 3 ? p[3] : ' ';
	if (*sep != ' ' && *sep != '-')
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* A complete reply (its last line): the greeting, a preliminary reply, or
 * the final answer to the oldest command. */
static bool
ftp_reply_done(struct ftp_state *s, struct proto_facts *f, int code, const uint8_t *line, size_t n)
{
	if (code < 200)
		return false; /* 1yz: a transfer starts, or the service soon will (120) */
	if (!s->greeted && s->queue.n == 0) {
		s->greeted = true;
		f->greeting = code == 220;
		return false;
	}
	s->greeted = true;
	return ftp_reply(s, f, code, line, n);
}

static bool
ftp_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct ftp_state *s = state;
	uint8_t sep = 0;
	int code = ftp_code(l->p, l->tn, &sep);

	if (s->reply_open) {
		if (code != s->reply_code || sep != ' ') {
			if (s->feat_lines && l->tn > 0 && l->p[0] == ' ')
				ftp_feature(s, f, l->p, l->tn);
			return false; /* a line inside the reply */
		}
		s->reply_open = false;
		s->feat_lines = false;
		return ftp_reply_done(s, f, code, l->p, l->tn);
	}
	if (code < 0) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return false;
	}
	if (sep == '-') {
		struct cmd_entry *head = cmd_fifo_peek(&s->queue);

		s->reply_open = true;
		s->reply_code = code;
		s->feat_lines = code == 211 && head && head->cmd == FTP_CMD_FEAT;
		return false;
	}
	return ftp_reply_done(s, f, code, l->p, l->tn);
}

/* ---- descriptor ------------------------------------------------------------- */

/* After a gap, replies can no longer be matched to commands: the rest is
 * consumed unread. */
static const struct line_ops ftp_ops = {
	.dir = {[DIR_C2S] = {ftp_client_raw, ftp_client_line}, [DIR_S2C] = {NULL, ftp_server_line}},
	.consume_after_stop = true,
};

static void
ftp_init(void *state)
{
	line_conn_init(state, sizeof(struct ftp_state), &ftp_ops);
}

/* "220" greeting lines: strong when one names FTP ("220 (vsFTPd 3.0.3)",
 * "220 ProFTPD Server", "220 FileZilla Server"), weak otherwise. */
static enum sniff_result
ftp_sniff_server(const uint8_t *p, size_t len)
{
	size_t off = 0;

	if (text_could_be_prefix_ci(p, len, "220 ") || text_could_be_prefix_ci(p, len, "220-"))
		return SNIFF_MORE;
	if (!text_prefix_ci(p, len, "220 ") && !text_prefix_ci(p, len, "220-"))
		return SNIFF_NO;
	while (off < len) {
		const uint8_t *lf = memchr(p + off, '\n', len - off);
		size_t ln = lf ? (size_t)(lf - (p + off)) : len - off;

		if (text_find_ci(p + off, ln, "FTP") >= 0)
			return SNIFF_STRONG;
		if (!lf)
			return len < LINE_CAP ? SNIFF_MORE : SNIFF_WEAK;
		if (ln >= 4 && text_prefix_ci(p + off, ln, "220 "))
			break; /* the greeting's last line */
		off += ln + 1;
	}
	return SNIFF_WEAK;
}

/*
 * A client speaking first (a session picked up before the greeting, or a
 * greeting lost): commands only FTP has are a strong claim; USER is shared
 * with POP3 (weak). AUTH TLS is FTP's, never POP3's (whose AUTH names SASL
 * mechanisms).
 */
static enum sniff_result
ftp_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const char *const own[] = {"AUTH TLS\r", "AUTH TLS\n", "AUTH SSL\r", "AUTH SSL\n",
					  "FEAT\r",	"FEAT\n",     "PBSZ ",	    "PROT ",
					  "EPSV\r",	"EPSV\n",     "PASV\r",	    "SYST\r"};
	bool more = false;

	if (len == 0)
		return SNIFF_MORE;
	if (dir == DIR_S2C)
		return ftp_sniff_server(p, len);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		if (text_prefix_ci(p, len, own[i]))
			return SNIFF_STRONG;
		more |= text_could_be_prefix_ci(p, len, own[i]);
	}
	if (text_prefix_ci(p, len, "USER ")) {
		const uint8_t *lf = memchr(p, '\n', len);

		return lf ? SNIFF_WEAK : SNIFF_MORE;
	}
	more |= text_could_be_prefix_ci(p, len, "USER ");
	return more ? SNIFF_MORE : SNIFF_NO;
}

static void
ftp_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct ftp_own *o = (const struct ftp_own *)(const void *)f->own;
	char prot[2] = {o->prot, '\0'};

	if (o->prot)
		w->str(w->ctx, "prot", prot);
	if (o->ccc)
		w->str(w->ctx, "ccc", "accepted");
	if (o->passive)
		w->num(w->ctx, "passive", o->passive);
	if (o->active)
		w->num(w->ctx, "active", o->active);
	if (o->bad_ports)
		w->num(w->ctx, "bad_ports", o->bad_ports);
}

const struct proto_desc proto_ftp_data;

const struct proto_desc proto_ftp = {
	.name = "ftp",
	.rfc = "RFC 959, RFC 2228, RFC 2389, RFC 2428, RFC 4217",
	.transports = PROTO_TCP,
	.clear_ports = {21},
	.tls_ports = {990},
	.tls_transports = PROTO_TCP,
	.upgrade = {"AUTH TLS", "AUTH TLS", "234"},
	.ndpi = {"FTP_CONTROL", "FTPS"},
	.alpn = {"ftp"},
	.state_size = sizeof(struct ftp_state),
	.sniff = ftp_sniff,
	.init = ftp_init,
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
	.write = ftp_write,
	.data = &proto_ftp_data,
};

/*
 * The data connections of FTP sessions. They are recognised by the link to
 * their control session (announced endpoint, or the address pair of an
 * encrypted control session), never by their bytes: a file may begin with
 * anything. Active-mode connections come from port 20 (989 with implicit
 * TLS).
 */
const struct proto_desc proto_ftp_data = {
	.name = "ftp-data",
	.rfc = "RFC 959, RFC 4217",
	.transports = PROTO_TCP,
	.clear_ports = {20},
	.tls_ports = {989},
	.tls_transports = PROTO_TCP,
	.ndpi = {"FTP_DATA"},
	.data_channel = true,
};
