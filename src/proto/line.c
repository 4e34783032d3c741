/*
 * line.c - the engine of the line-based parsers (see line.h): the
 * per-direction driver, numbered replies (RFC 5321 section 4.2), the command
 * FIFO of pipelined commands (RFC 2920, RFC 2449) and the login tracker that
 * pairs SASL responses (RFC 4422) and USER/PASS (RFC 1939) with their
 * outcome.
 *
 * Assumptions: a parser's state begins with its struct line_conn; the
 * callbacks never see more than the bytes given to feed; one gap stops the
 * parser for good (text cannot be resynchronised reliably).
 */
#include "line.h"

#include <stddef.h>
#include <string.h>

/* ---- The driver -------------------------------------------------------------- */

void
line_conn_init(void *state, size_t size, const struct line_ops *ops)
{
	struct line_conn *c = state;
	uint8_t *b = state;
	size_t buf0 = offsetof(struct line_conn, la[0].buf);
	size_t buf1 = offsetof(struct line_conn, la[1].buf);

	/* Everything but the two line buffers, which are only read up to their
	 * len: zeroing them again after session_zalloc cost about 2 % of the
	 * instructions on session-dense traffic. */
	memset(b, 0, buf0);
	memset(b + buf0 + LINE_CAP, 0, buf1 - buf0 - LINE_CAP);
	memset(b + buf1 + LINE_CAP, 0, size - buf1 - LINE_CAP);
	c->ops = ops;
	line_asm_init(&c->la[DIR_C2S]);
	line_asm_init(&c->la[DIR_S2C]);
	login_track_init(&c->auth);
}

size_t
line_conn_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct line_conn *c = state;
	const struct line_dir_ops *ops = &c->ops->dir[dir];
	size_t off = 0;

	if (f->switch_to_tls)
		return 0; /* not ours any more: the rest is TLS */
	if (c->stopped)
		return c->ops->consume_after_stop ? len : 0;
	if (!p)
		return len;
	while (off < len) {
		struct line_asm *la = &c->la[dir];
		struct line_view l = {.dir = dir};
		size_t used = 0;
		bool stop = false, sw;

		if (la->discarding) {
			/* The rest of a cut line is still that line: never raw bytes
			 * (a body, a literal), whatever the chunking; the parser sees
			 * its end. */
			if (line_discard_rest(la, p + off, len - off, &used) && ops->end)
				ops->end(state, f, dir, la->tail, la->tail_len);
			off += used;
			continue;
		}
		if (ops->raw)
			used = ops->raw(state, f, dir, p + off, len - off, &stop);
		if (stop)
			return off + used;
		if (used > 0) {
			off += used;
			continue;
		}
		if (!proto_line_next(f, la, p + off, len - off, &used, &l.p, &l.len, &l.cut))
			break; /* a partial line, kept */
		off += used;
		l.tn = text_trim_eol(l.p, l.len);
		l.first = !c->spoke[dir];
		c->spoke[dir] = true;
		sw = ops->line(state, f, &l);
		login_track_line_end(&c->auth);
		if (sw)
			return off;
		if (ops->end && !l.cut)
			ops->end(state, f, dir, l.p, l.len);
		else if (ops->end && !la->discarding)
			ops->end(state, f, dir, la->tail, la->tail_len); /* its LF came with it */
		if (c->stopped)
			return off;
	}
	return len;
}

void
line_conn_gap(void *state, struct proto_facts *f, enum dir dir)
{
	struct line_conn *c = state;

	(void)dir; /* replies can no longer be matched to commands either way */
	f->anomalies |= PROTO_ANOM_GAP;
	c->stopped = true;
	line_asm_reset(&c->la[DIR_C2S]);
	line_asm_reset(&c->la[DIR_S2C]);
}

void
line_conn_fini(void *state)
{
	(void)state; /* nothing allocated */
}

/* ---- Numbered replies ---------------------------------------------------------- */

bool
line_reply_read(struct line_reply *r, const struct line_reply_ops *ops, void *state,
		struct proto_facts *f, const uint8_t *line, size_t n)
{
	bool last = false;
	int code = line_reply_code(line, n, &last);

	if (code < 0) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return false;
	}
	if (r->open && code != r->code) {
		/* The reply before never had its last line (a server answering
		 * pipelined commands, a cut reply): it ends there, and this line
		 * starts the next one, so that later replies stay matched. */
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		r->open = false;
		if (ops->done(state, f, r->last, r->last_len))
			return true;
	}
	if (!r->open) {
		r->open = true;
		r->code = code;
		r->lines = 0;
		ops->begin(state, code);
	}
	ops->line(state, f, line, n);
	r->lines++;
	if (!last) {
		r->last_len = (uint16_t)(n < sizeof(r->last) ? n : sizeof(r->last));
		memcpy(r->last, line, r->last_len);
		return false;
	}
	r->open = false;
	return ops->done(state, f, line, n);
}

/* ---- Logins --------------------------------------------------------------------- */

void
login_track_init(struct login_track *t)
{
	memset(t, 0, sizeof(*t));
	t->login = -1;
	t->line_slot_login = -1;
}

uint32_t
login_track_begin(struct login_track *t, struct proto_facts *f, const uint8_t *mech, size_t n)
{
	t->login = sasl_exchange_begin(&t->sasl, f, mech, n);
	if (++t->seq == 0)
		t->seq = 1; /* 0 names no exchange */
	return t->seq;
}

void
login_track_initial(struct login_track *t, struct proto_facts *f, const uint8_t *p, size_t n,
		    bool cut)
{
	sasl_exchange_initial(&t->sasl, f, t->login, p, n, cut);
}

bool
login_track_client_line(struct login_track *t, struct proto_facts *f, const uint8_t *line, size_t n,
			bool cut, bool command)
{
	bool prompted;

	t->line_slot = 0;
	if (!sasl_exchange_wants_line(&t->sasl, &prompted))
		return false;
	t->line_slot = t->seq;
	t->line_slot_login = t->login;
	if (prompted || (!command && sasl_line_is_response(line, n, cut))) {
		sasl_exchange_line(&t->sasl, f, t->login, line, n, cut);
		return true;
	}
	sasl_exchange_skip(&t->sasl);
	return false;
}

void
login_track_line_end(struct login_track *t)
{
	t->line_slot = 0;
}

void
login_track_challenge(struct login_track *t, uint32_t seq)
{
	t->srv = seq;
	if (seq != 0 && seq == t->seq)
		sasl_exchange_prompt(&t->sasl);
}

void
login_track_outcome(struct login_track *t, struct proto_facts *f, uint32_t seq, int login, bool ok)
{
	proto_facts_login_outcome(f, login, ok);
	t->srv = 0;
	if (seq != 0 && seq == t->seq)
		sasl_exchange_end(&t->sasl);
}

bool
line_command(struct proto_facts *f, const struct line_view *l, const struct proto_word *table,
	     size_t n, const struct proto_word **w, struct cursor *kw, struct cursor *rest)
{
	cursor_init(rest, l->p, l->tn);
	*w = NULL;
	if (!cursor_get_token(rest, kw))
		return false;
	f->commands++;
	if (f->upgrade_refused)
		f->cleartext_after_refusal = true;
	*w = proto_word_find(table, n, kw->p, kw->len);
	return true;
}

bool
line_literal_end(struct line_literal *lit, struct proto_facts *f, const uint8_t *end, size_t n)
{
	uint64_t size;

	lit->after_literal = proto_literal_at_end(end, text_trim_eol(end, n), &size, f);
	if (lit->after_literal)
		lit->left = size;
	return lit->after_literal;
}

size_t
line_literal_take(struct line_literal *lit, size_t n)
{
	if ((uint64_t)n > lit->left)
		n = (size_t)lit->left;
	lit->left -= n;
	return n;
}

void
login_pair_user(struct login_pair *u, const uint8_t *name, size_t n)
{
	sasl_field_set(u->user, sizeof(u->user), name, n);
}

int
login_pair_pass(const struct login_pair *u, struct proto_facts *f, const uint8_t *secret, size_t n)
{
	int idx = proto_facts_add_login_index(f, "USER");
	struct login *l = proto_facts_login(f, idx);

	if (l) {
		/* The whole field, as USER left it. */
		memcpy(l->username, u->user, sizeof(l->username));
		sasl_field_set(l->secret, sizeof(l->secret), secret, n);
		l->has_secret = true;
	}
	return idx;
}

bool
login_track_in_exchange(const struct login_track *t, const struct cmd_entry *e)
{
	return e->slot != 0 && e->slot == t->srv;
}

bool
login_track_read_as_response(struct login_track *t, const struct cmd_entry *e)
{
	if (!login_track_in_exchange(t, e))
		return false;
	if (e->seq != 0 && e->seq == t->seq)
		sasl_exchange_end(&t->sasl); /* never started on the server */
	return true;
}

/* ---- The command FIFO ------------------------------------------------------------ */

static struct cmd_entry *
cmd_fifo_at(struct cmd_fifo *q, unsigned k)
{
	return &q->e[(q->head + k) % CMD_FIFO_CAP];
}

static void
cmd_entry_add_replies(struct cmd_entry *e, uint32_t replies)
{
	uint32_t have = e->replies ? e->replies : 1;

	e->replies = have > UINT32_MAX - replies ? UINT32_MAX : have + replies;
}

struct cmd_entry *
cmd_fifo_push(struct cmd_fifo *q, struct proto_facts *f, const struct login_track *t, uint8_t cmd,
	      int login, uint32_t replies)
{
	struct cmd_entry *e;

	if (q->n >= CMD_FIFO_CAP) {
		f->anomalies |= PROTO_ANOM_PIPELINE_CAP;
		f->cap_hits++;
		return NULL;
	}
	e = cmd_fifo_at(q, q->n);
	q->n++;
	memset(e, 0, sizeof(*e));
	e->cmd = cmd;
	e->login = (int8_t)login;
	e->replies = replies;
	e->slot = t->line_slot;
	e->slot_login = (int8_t)t->line_slot_login;
	return e;
}

bool
cmd_fifo_merge(struct cmd_fifo *q, const struct login_track *t, uint8_t cmd, uint32_t replies)
{
	struct cmd_entry *tail = q->n ? cmd_fifo_at(q, q->n - 1) : NULL;

	if (!tail || tail->cmd != cmd || replies == 0 || tail->slot != 0 || t->line_slot != 0)
		return false;
	cmd_entry_add_replies(tail, replies);
	return true;
}

void
cmd_fifo_absorb(struct cmd_fifo *q, uint8_t lost, uint32_t replies)
{
	struct cmd_entry *tail;

	if (q->n == 0)
		return;
	tail = cmd_fifo_at(q, q->n - 1);
	tail->cmd = lost;
	tail->slot = 0;
	cmd_entry_add_replies(tail, replies);
}

struct cmd_entry *
cmd_fifo_peek(struct cmd_fifo *q)
{
	return q->n ? cmd_fifo_at(q, 0) : NULL;
}

bool
cmd_fifo_pop(struct cmd_fifo *q, struct cmd_entry *out)
{
	if (q->n == 0)
		return false;
	*out = q->e[q->head];
	q->head = (uint8_t)((q->head + 1) % CMD_FIFO_CAP);
	q->n--;
	return true;
}

void
cmd_fifo_answered(struct cmd_fifo *q)
{
	struct cmd_entry *head = cmd_fifo_peek(q);
	struct cmd_entry done;

	if (!head)
		return;
	if (head->replies > 1)
		head->replies--;
	else
		cmd_fifo_pop(q, &done);
}
