/*
 * fuzz_line.c - libFuzzer target for the line engine (src/proto/line.c): a
 * toy protocol built from every piece of it, fed through proto_harness.h
 * (the conversation whole and a byte at a time must give the same facts
 * and consume the same bytes; strings stay printable). Its callbacks check
 * what the engine promises them: lines of 1 to LINE_CAP bytes, a cut line
 * exactly LINE_CAP, raw reads within what was offered, at most
 * CMD_FIFO_CAP queued commands, reply line counts that only grow.
 *
 * The toy protocol, client:  AUTH mech [initial-response] (then SASL lines,
 *   pipelined or prompted), USER name, PASS secret, DATA (a body up to
 *   CRLF "." CRLF), BIN n (n raw bytes), TLS (the upgrade request), STOP
 *   (gives up), anything else a command; a line ending in "{n}" is
 *   followed by n raw bytes (seen through the end hook, even on a cut line).
 * Server: numbered replies answering the queued commands in order: 334
 *   challenges an exchange, 2xx/4xx/5xx ends it; 220 to TLS switches.
 */
#include <stdint.h>
#include <string.h>

#include "invariants.h"
#include "line.h"

enum toy_cmd { TOY_OTHER = 0, TOY_LOST, TOY_AUTH, TOY_SASL, TOY_LOGIN, TOY_DATA, TOY_TLS };

struct toy_state {
	struct line_conn conn;
	struct cmd_fifo fifo;
	struct line_reply reply;
	struct upgrade_wait tls_wait;
	struct login_pair user_pass;
	uint8_t dot_matched;
	bool body;
	uint64_t raw_left;
	uint32_t reply_lines_seen;
};

static const struct proto_word toy_verbs[] = {
	{"AUTH", TOY_AUTH}, {"USER", TOY_OTHER}, {"PASS", TOY_LOGIN}, {"DATA", TOY_DATA},
	{"TLS", TOY_TLS},   {"BIN", TOY_OTHER},	 {"STOP", TOY_OTHER},
};

static void
toy_check_line(const struct line_view *l, enum dir dir)
{
	if (l->len == 0 || l->len > LINE_CAP || (l->cut && l->len != LINE_CAP) || !l->p)
		fuzz_fail("line length");
	if (!l->cut && l->p[l->len - 1] != '\n')
		fuzz_fail("uncut line without its LF");
	if (l->tn > l->len || l->tn != text_trim_eol(l->p, l->len) || l->dir != dir)
		fuzz_fail("line view");
}

static void
toy_push(struct toy_state *s, struct proto_facts *f, enum toy_cmd cmd, int login, uint32_t seq)
{
	struct cmd_entry *e;

	if (cmd == TOY_OTHER && cmd_fifo_merge(&s->fifo, &s->conn.auth, cmd, 1))
		return;
	e = cmd_fifo_push(&s->fifo, f, &s->conn.auth, cmd, login, 1);
	if (e)
		e->seq = seq;
	else
		cmd_fifo_absorb(&s->fifo, TOY_LOST, 1);
	if (s->fifo.n > CMD_FIFO_CAP)
		fuzz_fail("fifo over its cap");
}

static bool
toy_client_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct toy_state *s = state;
	const uint8_t *line = l->p;
	size_t n = l->tn;
	bool cut = l->cut;
	struct cursor c, verb, arg;
	const struct proto_word *w;
	uint32_t seq;

	toy_check_line(l, DIR_C2S);
	upgrade_wait_client_line(&s->tls_wait, f, line, n);
	cursor_init(&c, line, n);
	w = cursor_get_token(&c, &verb) ? proto_word_find(toy_verbs, 7, verb.p, verb.len) : NULL;
	if (login_track_client_line(&s->conn.auth, f, line, n, cut, w != NULL)) {
		toy_push(s, f, TOY_SASL, -1, 0);
	} else if (w && w->value == TOY_AUTH && cursor_get_token(&c, &arg)) {
		seq = login_track_begin(&s->conn.auth, f, arg.p, arg.len);
		if (cursor_get_token(&c, &arg))
			login_track_initial(&s->conn.auth, f, arg.p, arg.len, cut);
		toy_push(s, f, TOY_AUTH, s->conn.auth.login, seq);
	} else if (w && text_equal_ci(verb.p, verb.len, "USER")) {
		cursor_skip_blanks(&c);
		login_pair_user(&s->user_pass, c.p, c.len);
		toy_push(s, f, TOY_OTHER, -1, 0);
	} else if (w && w->value == TOY_LOGIN) {
		toy_push(s, f, TOY_LOGIN, login_pair_pass(&s->user_pass, f, c.p, c.len), 0);
	} else if (w && w->value == TOY_DATA) {
		toy_push(s, f, TOY_DATA, -1, 0);
		s->body = true;
		s->dot_matched = 2;
	} else if (w && w->value == TOY_TLS) {
		upgrade_wait_begin(&s->tls_wait, f);
		toy_push(s, f, TOY_TLS, -1, 0);
	} else if (w && text_equal_ci(verb.p, verb.len, "BIN") && cursor_get_token(&c, &arg)) {
		s->raw_left = arg.len > 0 && arg.len < 6 ? (uint64_t)(arg.p[0] % 16) * 100 : 0;
	} else if (w && text_equal_ci(verb.p, verb.len, "STOP")) {
		s->conn.stopped = true;
	} else {
		toy_push(s, f, TOY_OTHER, -1, 0);
	}
	return false;
}

static size_t
toy_client_raw(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
	       bool *stop)
{
	struct toy_state *s = state;
	size_t used;
	bool done;

	(void)dir;
	if (n == 0)
		fuzz_fail("raw read offered nothing");
	if (upgrade_wait_client_byte(&s->tls_wait, f, p[0])) {
		*stop = true;
		return 0;
	}
	if (s->body) {
		used = body_skip_dot(&s->dot_matched, p, n, &done);
		s->body = !done;
		return used;
	}
	used = s->raw_left < n ? (size_t)s->raw_left : n;
	s->raw_left -= used;
	return used;
}

/* The end hook: "{n}" at the end of a client line announces raw bytes. */
static void
toy_client_end(void *state, struct proto_facts *f, enum dir dir, const uint8_t *end, size_t n)
{
	struct toy_state *s = state;

	(void)f;
	(void)dir;
	if (n == 0 || n > LINE_CAP)
		fuzz_fail("line end length");
	n = text_trim_eol(end, n);
	if (n >= 3 && end[n - 1] == '}' && end[n - 3] == '{' && end[n - 2] >= '0' &&
	    end[n - 2] <= '9')
		s->raw_left = (uint64_t)(end[n - 2] - '0');
}

static void
toy_reply_begin(void *state, int code)
{
	struct toy_state *s = state;

	if (code < 0 || code > 999)
		fuzz_fail("reply code");
	s->reply_lines_seen = 0;
}

static void
toy_reply_line(void *state, struct proto_facts *f, const uint8_t *line, size_t n)
{
	struct toy_state *s = state;

	(void)f;
	(void)line;
	(void)n;
	if (s->reply.lines != s->reply_lines_seen++)
		fuzz_fail("reply lines miscounted");
}

static bool
toy_reply_done(void *state, struct proto_facts *f, const uint8_t *last, size_t n)
{
	struct toy_state *s = state;
	struct cmd_entry *head = cmd_fifo_peek(&s->fifo);
	int code = s->reply.code, cls = code / 100;
	bool sw = false;

	if (!head)
		return false;
	if (login_track_read_as_response(&s->conn.auth, head)) {
		if (code == 334)
			login_track_challenge(&s->conn.auth, head->slot);
		else
			login_track_outcome(&s->conn.auth, f, head->slot, head->slot_login,
					    cls == 2);
	} else if (head->cmd == TOY_AUTH && code == 334) {
		login_track_challenge(&s->conn.auth, head->seq);
	} else if (head->cmd == TOY_AUTH || head->cmd == TOY_LOGIN) {
		login_track_outcome(&s->conn.auth, f, head->seq, head->login, cls == 2);
	} else if (head->cmd == TOY_TLS) {
		sw = upgrade_wait_answer(&s->tls_wait, f, code == 220, last, n,
					 &s->conn.la[DIR_C2S]);
	} else if (head->cmd == TOY_DATA && code != 354) {
		s->body = false;
	}
	cmd_fifo_answered(&s->fifo);
	return sw;
}

static const struct line_reply_ops toy_reply_ops = {
	.begin = toy_reply_begin,
	.line = toy_reply_line,
	.done = toy_reply_done,
};

static bool
toy_server_line(void *state, struct proto_facts *f, const struct line_view *l)
{
	struct toy_state *s = state;

	toy_check_line(l, DIR_S2C);
	return line_reply_read(&s->reply, &toy_reply_ops, s, f, l->p, l->len);
}

static const struct line_ops toy_ops = {
	.dir = {[DIR_C2S] = {toy_client_raw, toy_client_line, toy_client_end},
		[DIR_S2C] = {NULL, toy_server_line, NULL}},
};

static void
toy_init(void *state)
{
	line_conn_init(state, sizeof(struct toy_state), &toy_ops);
}

static enum sniff_result
toy_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	(void)dir;
	(void)p;
	(void)len;
	return SNIFF_NO;
}

static const struct proto_desc toy_line_desc = {
	.name = "toy",
	.transports = PROTO_TCP,
	.state_size = sizeof(struct toy_state),
	.sniff = toy_sniff,
	.init = toy_init,
	.feed = line_conn_feed,
	.gap = line_conn_gap,
	.fini = line_conn_fini,
};

#define FUZZ_PROTO toy_line_desc
#include "proto_harness.h"
