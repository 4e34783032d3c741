/*
 * proto.c - the helpers every text protocol shares: fact recording, the line
 * assembler, the wait for the answer to an upgrade request, keyword tables,
 * masked keywords, reply codes and dot-terminated bodies. The engine built on
 * them (lines per direction, commands, logins) is line.c.
 */
#include "proto.h"

#include <string.h>

void
proto_facts_indicate(struct proto_facts *f, uint32_t ind, const uint8_t *ev, size_t ev_len)
{
	if (f->indicators == 0 && ev) {
		if (ev_len > EVIDENCE_MAX)
			ev_len = EVIDENCE_MAX;
		memcpy(f->evidence, ev, ev_len);
		f->evidence_len = (uint16_t)ev_len;
	}
	f->indicators |= ind;
}

/* Copies n bytes as printable ASCII ('?' for anything else). */
static void
copy_printable(char *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[n] = '\0';
}

void
proto_facts_add_capa(struct proto_facts *f, const uint8_t *word, size_t n)
{
	size_t have = strlen(f->capa);
	size_t need = n + (have ? 1 : 0);

	if (n == 0 || have + need >= sizeof(f->capa))
		return;
	if (have)
		f->capa[have++] = ' ';
	copy_printable(f->capa + have, word, n);
}

/* Does capa[0..have) (words separated by single spaces, as
 * proto_facts_add_capa writes them) hold key (n bytes, no space) as a whole
 * word, ignoring case? Word by word, comparing lengths first: the same
 * answer as text_has_token_ci, without testing every byte. */
static bool
capa_has_word(const char *capa, size_t have, const char *key, size_t n)
{
	const char *p = capa, *end = capa + have;

	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t len = (size_t)((sp ? sp : end) - p);

		if (len == n && text_equal_ci((const uint8_t *)p, len, key))
			return true;
		if (!sp)
			break;
		p = sp + 1;
	}
	return false;
}

void
proto_facts_add_capa_once(struct proto_facts *f, const uint8_t *word, size_t n)
{
	char key[64]; /* longer keywords are added without looking */
	size_t have = strlen(f->capa);

	/* Once the display text is full nothing more can be kept: don't look
	 * (long capability lists would otherwise be scanned once per token). */
	if (have + n + 1 >= sizeof(f->capa))
		return;
	if (n < sizeof(key)) {
		bool held;

		copy_printable(key, word, n);
		/* A key with a space spans words: the general matcher. */
		held = memchr(key, ' ', n)
			       ? text_has_token_ci((const uint8_t *)f->capa, have, key, NULL)
			       : capa_has_word(f->capa, have, key, n);
		if (held)
			return;
	}
	proto_facts_add_capa(f, word, n);
}

void
proto_facts_capa_keyword(struct proto_facts *f, const uint8_t *word, size_t n, const uint8_t *line,
			 size_t line_len)
{
	proto_facts_add_capa_once(f, word, n);
	if (proto_token_is_masked(word, n))
		proto_facts_indicate(f, IND_CAPA_MASKED, line, line_len);
}

void
proto_facts_set_upgrade_reply(struct proto_facts *f, const uint8_t *line, size_t n)
{
	n = text_trim_eol(line, n);
	if (n >= sizeof(f->upgrade_reply))
		n = sizeof(f->upgrade_reply) - 1;
	copy_printable(f->upgrade_reply, line, n);
}

struct login *
proto_facts_add_login(struct proto_facts *f, const char *mechanism)
{
	struct login *l;

	if (f->n_logins >= LOGIN_MAX) {
		f->logins_dropped++;
		return NULL;
	}
	l = &f->logins[f->n_logins++];
	memset(l, 0, sizeof(*l));
	strncpy(l->mechanism, mechanism, sizeof(l->mechanism) - 1);
	return l;
}

int
proto_facts_add_login_index(struct proto_facts *f, const char *mechanism)
{
	struct login *l = proto_facts_add_login(f, mechanism);

	return l ? (int)(l - f->logins) : -1;
}

struct login *
proto_facts_login(struct proto_facts *f, int idx)
{
	return idx >= 0 && idx < f->n_logins ? &f->logins[idx] : NULL;
}

void
proto_facts_login_outcome(struct proto_facts *f, int idx, bool ok)
{
	struct login *l = proto_facts_login(f, idx);

	if (l)
		l->outcome = ok ? LOGIN_SUCCESS : LOGIN_FAILURE;
}

void
proto_facts_expect(struct proto_facts *f, const struct proto_expect *x)
{
	f->expect[f->n_expect % PROTO_EXPECT_RING] = *x;
	f->n_expect++;
}

void
line_asm_init(struct line_asm *la)
{
	la->len = 0;
	la->discarding = false;
	la->cut = 0;
	la->tail_len = 0;
}

void
line_asm_reset(struct line_asm *la)
{
	la->len = 0;
	la->discarding = false;
	la->tail_len = 0;
}

/* Appends p[0..n) to la->tail, keeping only the last LINE_TAIL_MAX bytes. */
static void
line_tail_push(struct line_asm *la, const uint8_t *p, size_t n)
{
	if (n >= LINE_TAIL_MAX) {
		memcpy(la->tail, p + n - LINE_TAIL_MAX, LINE_TAIL_MAX);
		la->tail_len = LINE_TAIL_MAX;
		return;
	}
	if (la->tail_len + n > LINE_TAIL_MAX) {
		size_t drop = la->tail_len + n - LINE_TAIL_MAX;

		memmove(la->tail, la->tail + drop, la->tail_len - drop);
		la->tail_len -= drop;
	}
	memcpy(la->tail + la->tail_len, p, n);
	la->tail_len += n;
}

bool
line_discard_rest(struct line_asm *la, const uint8_t *p, size_t n, size_t *used)
{
	const uint8_t *lf = n ? memchr(p, '\n', n) : NULL;
	size_t take = lf ? (size_t)(lf - p) + 1 : n;

	if (take)
		line_tail_push(la, p, take);
	*used = take;
	if (!lf)
		return false;
	la->discarding = false;
	return true;
}

bool
line_next(struct line_asm *la, const uint8_t *p, size_t n, size_t *used, const uint8_t **line,
	  size_t *line_len, bool *cut)
{
	const uint8_t *lf;
	size_t off = 0;

	*cut = false;
	/* Finish discarding the rest of an overlong line. */
	if (la->discarding && !line_discard_rest(la, p, n, &off)) {
		*used = n;
		return false;
	}
	lf = memchr(p + off, '\n', n - off);
	if (la->len == 0 && lf && (size_t)(lf - (p + off)) + 1 <= LINE_CAP) {
		/* The common case: a whole line inside this chunk, used in place. */
		*line = p + off;
		*line_len = (size_t)(lf - (p + off)) + 1;
		*used = off + *line_len;
		return true;
	}
	/* Assemble into the buffer. */
	{
		size_t want = lf ? (size_t)(lf - (p + off)) + 1 : n - off;
		size_t room = LINE_CAP - la->len;
		size_t take = want < room ? want : room;

		memcpy(la->buf + la->len, p + off, take);
		la->len += take;
		if (take < want) {
			/* Overlong: hand out what fits, drop the rest up to LF. */
			size_t rest;

			*line = la->buf;
			*line_len = la->len;
			*cut = true;
			la->cut++;
			la->len = 0;
			la->tail_len = 0;
			line_tail_push(la, la->buf, LINE_CAP);
			la->discarding = true;
			off += take;
			*used = line_discard_rest(la, p + off, n - off, &rest) ? off + rest : n;
			return true;
		}
		if (!lf) {
			*used = n;
			return false;
		}
		*line = la->buf;
		*line_len = la->len;
		*used = off + take;
		la->len = 0;
		return true;
	}
}

bool
proto_line_next(struct proto_facts *f, struct line_asm *la, const uint8_t *p, size_t n,
		size_t *used, const uint8_t **line, size_t *line_len, bool *cut)
{
	if (!line_next(la, p, n, used, line, line_len, cut))
		return false;
	if (*cut) {
		f->anomalies |= PROTO_ANOM_LINE_TOO_LONG;
		f->cap_hits++;
	}
	return true;
}

void
upgrade_wait_begin(struct upgrade_wait *w, struct proto_facts *f)
{
	f->upgrade_requested = true;
	w->pending = true;
	w->client_spoke = false;
}

bool
upgrade_wait_client_byte(struct upgrade_wait *w, struct proto_facts *f, uint8_t first)
{
	if (!w->pending || w->client_spoke)
		return false;
	w->client_spoke = true;
	if (first == 0x16) {
		f->upgrade_accepted = true;
		f->switch_to_tls = true;
		return true;
	}
	w->injection = true;
	return false;
}

void
upgrade_wait_client_line(struct upgrade_wait *w, struct proto_facts *f, const uint8_t *line,
			 size_t n)
{
	if (w->injection) {
		w->injection = false;
		proto_facts_indicate(f, IND_CMD_INJECTION, line, n);
	}
}

bool
upgrade_wait_answer(struct upgrade_wait *w, struct proto_facts *f, bool ok, const uint8_t *line,
		    size_t n, const struct line_asm *partial)
{
	w->pending = false;
	proto_facts_set_upgrade_reply(f, line, n);
	upgrade_wait_client_line(w, f, partial->buf, partial->len);
	if (ok) {
		f->upgrade_accepted = true;
		f->switch_to_tls = true;
		return true;
	}
	f->upgrade_refused = true;
	proto_facts_indicate(f, IND_UPGRADE_REFUSED, line, n);
	return false;
}

void
proto_gap_stop(void *state, struct proto_facts *f, enum dir dir)
{
	bool *stopped = state;

	(void)dir;
	f->anomalies |= PROTO_ANOM_GAP;
	*stopped = true;
}

void
upgrade_wait_keep(const struct upgrade_wait *w, struct line_asm *kept, const uint8_t *p, size_t n)
{
	size_t room = EVIDENCE_MAX - kept->len;

	if (!w->pending || !w->injection)
		return;
	if (n > room)
		n = room;
	memcpy(kept->buf + kept->len, p, n);
	kept->len += n;
}

const struct proto_word *
proto_word_find(const struct proto_word *table, size_t n, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (text_equal_ci(p, len, table[i].word))
			return &table[i];
	return NULL;
}

bool
proto_token_is_masked(const uint8_t *p, size_t n)
{
	size_t other = 0;

	if (n < 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] != 'X' && p[i] != 'x')
			other++;
	return other * 4 <= n;
}

int
line_reply_code(const uint8_t *line, size_t n, bool *last)
{
	if (n < 3)
		return -1;
	for (int i = 0; i < 3; i++)
		if (line[i] < '0' || line[i] > '9')
			return -1;
	if (n == 3 || line[3] == ' ' || line[3] == '\r' || line[3] == '\n')
		*last = true;
	else if (line[3] == '-')
		*last = false;
	else
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

size_t
body_skip_dot(uint8_t *matched, const uint8_t *p, size_t n, bool *done)
{
	static const uint8_t term[5] = {'\r', '\n', '.', '\r', '\n'};
	size_t i = 0;

	*done = false;
	while (i < n) {
		if (*matched == 0) {
			/* Jump to the next CR with memchr: bodies are long. */
			const uint8_t *cr = memchr(p + i, '\r', n - i);

			if (!cr)
				return n;
			i = (size_t)(cr - p);
		}
		if (p[i] == term[*matched]) {
			(*matched)++;
			i++;
			if (*matched == sizeof(term)) {
				*matched = 0;
				*done = true;
				return i;
			}
		} else if (p[i] == '\r') {
			*matched = 1;
			i++;
		} else {
			*matched = 0;
			i++;
		}
	}
	return i;
}

/*
 * proto_literal_at_end (proto.h).
 */
bool
proto_literal_at_end(const uint8_t *p, size_t n, uint64_t *size, struct proto_facts *f)
{
	size_t end, i, digits;
	uint64_t v = 0;

	if (n < 3 || p[n - 1] != '}')
		return false;
	end = n - 1;
	if (p[end - 1] == '+')
		end--;
	i = end;
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	digits = end - i;
	if (digits == 0 || i == 0 || p[i - 1] != '{')
		return false;
	if (digits > PROTO_LITERAL_DIGITS) {
		f->anomalies |= PROTO_ANOM_BAD_LITERAL;
		return false;
	}
	for (size_t k = i; k < end; k++)
		v = v * 10 + (uint64_t)(p[k] - '0');
	*size = v;
	return true;
}
