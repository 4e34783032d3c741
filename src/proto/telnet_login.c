/*
 * telnet_login.c - the login typed in the clear on a Telnet session, for
 * the parser in telnet.c: the server's data read as lines and prompts
 * ("login:", "Password:", a shell's "$ "), the client's data read as what
 * it types at them (BS, DEL and ^U editing it), and the outcome the server's
 * next words or prompt give the login. The rules are in telnet.c's file
 * comment (the login).
 *
 * References: RFC 854 (the NVT: CR NUL and CR LF end a line); login(1) and
 * PAM for the prompts and failure phrases.
 */
#include <string.h>

#include "cursor.h"
#include "sasl.h"
#include "telnet.h"

#define TN_OUTCOME_MAX 4096 /* server data bytes read for a login's outcome */

/* ---- the server's text -------------------------------------------------------- */

/* The server's open line, trailing blanks left out, ends with word (ASCII
 * case-insensitive). */
static bool
tn_line_ends_with(const struct tn_state *s, const char *word)
{
	size_t n = s->line_len, w = strlen(word);

	while (n > 0 && (s->line[n - 1] == ' ' || s->line[n - 1] == '\t'))
		n--;
	return n >= w && text_equal_ci(s->line + n - w, w, word);
}

static bool
tn_prompt_user(const struct tn_state *s)
{
	return tn_line_ends_with(s, "login:") || tn_line_ends_with(s, "username:") ||
	       tn_line_ends_with(s, "user name:");
}

static bool
tn_prompt_password(const struct tn_state *s)
{
	return tn_line_ends_with(s, "password:") || tn_line_ends_with(s, "passcode:");
}

/* A shell's prompt: the open line ends in $ # % or > (a space after it). */
static bool
tn_prompt_shell(const struct tn_state *s)
{
	return tn_line_ends_with(s, "$") || tn_line_ends_with(s, "#") ||
	       tn_line_ends_with(s, "%") || tn_line_ends_with(s, ">");
}

/* What login(1), PAM, and routers print when a login fails. */
static bool
tn_failure_text(const uint8_t *p, size_t n)
{
	static const char *const words[] = {
		"incorrect",   "fail",	  "denied", "invalid", "wrong",	       "bad password",
		"not allowed", "expired", "locked", "refused", "unknown user",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (text_find_ci(p, n, words[i]) >= 0)
			return true;
	return false;
}

/* The login waiting for its outcome got it; back to waiting for a prompt,
 * or, after a success, the end of parsing. */
static void
tn_outcome(struct tn_state *s, struct proto_facts *f, bool ok)
{
	proto_facts_login_outcome(f, s->login_idx, ok);
	s->login_idx = -1;
	s->login = TN_LOGIN_IDLE;
	if (ok)
		s->stopped = true;
}

/* A complete server line (LF seen). */
static void
tn_server_line(struct tn_state *s, struct proto_facts *f)
{
	const uint8_t *p = s->line;
	size_t n = s->line_len;

	if (s->line_old) {
		s->line_old = false; /* the prompt's own line, echoes and all */
		return;
	}
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return;
	if (s->login == TN_LOGIN_OUTCOME)
		tn_outcome(s, f, !tn_failure_text(p, n));
	else if (s->login == TN_LOGIN_AWAIT_PW && tn_failure_text(p, n))
		s->login = TN_LOGIN_IDLE; /* the user was turned away before a password */
}

void
tn_login_server_byte(struct tn_state *s, struct proto_facts *f, uint8_t b)
{
	if (s->login == TN_LOGIN_OUTCOME && ++s->outcome_bytes > TN_OUTCOME_MAX) {
		s->login = TN_LOGIN_IDLE; /* no answer in sight: unknown */
		s->login_idx = -1;
	}
	if (b == '\n') {
		tn_server_line(s, f);
		s->line_len = 0;
		return;
	}
	if (b == '\r' || b == '\0')
		return;
	if (s->line_len == TN_LINE_MAX) {
		/* Keep the newer half: prompts are at the end of a line. */
		memmove(s->line, s->line + TN_LINE_MAX / 2, TN_LINE_MAX / 2);
		s->line_len = TN_LINE_MAX / 2;
	}
	s->line[s->line_len++] = b;
}

/* ---- the client's typing ---------------------------------------------------- */

/* The client starts typing the user (secret false) or the secret. */
static void
tn_typing(struct tn_state *s, struct proto_facts *f, bool secret)
{
	s->login = secret ? TN_LOGIN_SECRET : TN_LOGIN_USER;
	if (!secret)
		s->user[0] = '\0';
	s->typed_len = 0;
	s->line_old = s->line_len > 0;
	f->auth_cleartext_offered = true;
	/* No TLS offer came before this prompt, unless a DO AUTHENTICATION
	 * hid its list from a client that declined it. */
	if (!s->auth_asked)
		f->capa_seen = true;
}

/*
 * A client data byte is coming: the server's open line is what it answers.
 * Starts the typing of a user or a secret at a prompt, and reads a prompt
 * left open after a password as its outcome.
 */
static void
tn_client_event(struct tn_state *s, struct proto_facts *f)
{
	if (s->login == TN_LOGIN_OUTCOME) {
		if (s->line_old)
			return; /* still the password's own line */
		if (tn_prompt_shell(s)) {
			tn_outcome(s, f, true);
			return;
		}
		if (!tn_prompt_user(s) && !tn_prompt_password(s))
			return;
		tn_outcome(s, f, false); /* asked again: the typing answers that */
	}
	if (s->login != TN_LOGIN_IDLE && s->login != TN_LOGIN_AWAIT_PW)
		return;
	if (tn_prompt_password(s))
		tn_typing(s, f, true);
	else if (tn_prompt_user(s))
		tn_typing(s, f, false);
}

/* The client ended a typed line. */
static void
tn_typed_line(struct tn_state *s, struct proto_facts *f)
{
	struct login *l;

	f->commands++;
	if (s->login == TN_LOGIN_USER) {
		if (s->typed_len == 0) {
			s->login = TN_LOGIN_IDLE; /* an empty user: asked again */
			return;
		}
		sasl_field_set(s->user, sizeof(s->user), s->typed, s->typed_len);
		s->login = TN_LOGIN_AWAIT_PW;
		return;
	}
	if (s->login != TN_LOGIN_SECRET)
		return;
	s->login_idx = proto_facts_add_login_index(f, "LOGIN");
	if ((l = proto_facts_login(f, s->login_idx)) != NULL) {
		memcpy(l->username, s->user, sizeof(l->username));
		sasl_field_set(l->secret, sizeof(l->secret), s->typed, s->typed_len);
		l->has_secret = true;
	}
	s->user[0] = '\0';
	s->login = TN_LOGIN_OUTCOME;
	s->outcome_bytes = 0;
	s->line_old = s->line_len > 0;
}

void
tn_login_client_byte(struct tn_state *s, struct proto_facts *f, uint8_t b)
{
	struct tn_dir *d = &s->d[DIR_C2S];
	bool eol;

	if (d->cr) {
		d->cr = false;
		if (b == '\0' || b == '\n')
			return; /* CR NUL, CR LF: one line end */
	}
	eol = b == '\r' || b == '\n';
	d->cr = b == '\r';
	tn_client_event(s, f);
	if (s->login != TN_LOGIN_USER && s->login != TN_LOGIN_SECRET) {
		if (eol)
			f->commands++;
		return;
	}
	if (eol)
		tn_typed_line(s, f);
	else if (b == 0x08 || b == 0x7f) /* BS, DEL */
		s->typed_len -= s->typed_len > 0;
	else if (b == 0x15) /* ^U */
		s->typed_len = 0;
	else if (b >= 0x20 && s->typed_len < sizeof(s->typed))
		s->typed[s->typed_len++] = b;
}
