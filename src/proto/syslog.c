/*
 * syslog.c - syslog messages: recognised by their PRI and format, counted.
 *
 * References: RFC 5424 (the syslog protocol: "<PRI>1 TIMESTAMP HOSTNAME
 * APP-NAME ..."), RFC 3164 (the BSD format: "<PRI>Mmm dd hh:mm:ss HOSTNAME
 * TAG: ..."), RFC 5426 (over UDP: one message per datagram, 514), RFC 6587
 * (over TCP: octet counting "LEN SP MSG" or a message per line, 514 and
 * 601), RFC 5425 (over TLS, 6514).
 *
 * Syslog has no login and no upgrade: what matters is that messages went
 * in the clear, and how many. Over UDP each datagram is a message; over
 * TCP the framing of each message is read (octet counting when it starts
 * with a digit, else up to LF). A message is RFC 5424 when "1 " follows
 * its PRI, RFC 3164 when a month name does, else it only has a PRI.
 * Syslog in the clear on 6514 is plaintext-on-tls-port (the generic rule).
 *
 * Facts (own): messages counted by format, those that are not syslog
 * (no <PRI>) as malformed, and the HOSTNAME of the first RFC 5424 message
 * (cut). Caps: a message over TCP is looked at by its first
 * SYSLOG_HEAD bytes only; an octet count of more than 9 digits is not
 * syslog and stops the parser for that direction.
 *
 * Not handled: the STRUCTURED-DATA and MSG parts, the HOSTNAME of RFC
 * 3164 messages, gaps in a TCP stream (the parser stops).
 */
#include <string.h>

#include "proto.h"
#include "sasl.h"

#define SYSLOG_HEAD 128 /* bytes of a message kept to classify it */
#define SYSLOG_OWN_HOST 40

/* The facts only syslog has, in proto_facts.own. */
struct syslog_own {
	uint16_t rfc5424;
	uint16_t rfc3164;
	uint16_t other; /* a PRI, neither format */
	uint16_t malformed;
	char host[SYSLOG_OWN_HOST];
};
_Static_assert(sizeof(struct syslog_own) <= PROTO_OWN_MAX, "syslog_own fits proto_facts.own");

/* One direction of a TCP stream (RFC 6587). */
struct syslog_tcp {
	bool stopped;
	bool in_msg;	/* reading a message's bytes */
	bool counted;	/* ... framed by an octet count */
	uint8_t digits; /* of the count read so far */
	uint32_t left;	/* counted bytes still to come */
	uint8_t head[SYSLOG_HEAD];
	uint8_t head_len;
};

struct syslog_state {
	bool stopped; /* first: proto_gap_stop */
	struct syslog_tcp tcp[2];
};

static struct syslog_own *
syslog_own(struct proto_facts *f)
{
	return (struct syslog_own *)(void *)f->own;
}

static void
syslog_count(uint16_t *v)
{
	if (*v < UINT16_MAX)
		(*v)++;
}

/* "<PRI>" at p: its length (3 to 5), or 0. PRI is at most 191 (RFC 5424
 * 6.2.1), without a leading zero unless it is 0. */
static size_t
syslog_pri(const uint8_t *p, size_t n)
{
	size_t k = 1;
	unsigned v = 0;

	if (n < 3 || p[0] != '<')
		return 0;
	while (k < n && k <= 3 && p[k] >= '0' && p[k] <= '9')
		v = v * 10 + (unsigned)(p[k++] - '0');
	if (k == 1 || k >= n || p[k] != '>' || v > 191 || (k > 2 && p[1] == '0'))
		return 0;
	return k + 1;
}

static bool
syslog_month(const uint8_t *p, size_t n)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

	if (n < 4 || p[3] != ' ')
		return false;
	for (size_t i = 0; i < 12; i++)
		if (memcmp(p, months[i], 3) == 0)
			return true;
	return false;
}

/* One message (or its first bytes) into the counts. */
static void
syslog_message(struct proto_facts *f, const uint8_t *p, size_t n)
{
	struct syslog_own *o = syslog_own(f);
	size_t k = syslog_pri(p, n);

	if (!k) {
		syslog_count(&o->malformed);
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	f->commands++;
	if (n - k >= 2 && p[k] == '1' && p[k + 1] == ' ') {
		size_t h, e;

		syslog_count(&o->rfc5424);
		if (o->host[0])
			return;
		/* VERSION SP TIMESTAMP SP HOSTNAME */
		h = k + 2;
		while (h < n && p[h] != ' ')
			h++;
		e = ++h;
		while (e < n && p[e] != ' ')
			e++;
		if (h < n && e > h && !(e - h == 1 && p[h] == '-'))
			sasl_field_set(o->host, sizeof(o->host), p + h, e - h);
	} else if (syslog_month(p + k, n - k)) {
		syslog_count(&o->rfc3164);
	} else {
		syslog_count(&o->other);
	}
}

static void
syslog_init(void *state)
{
	memset(state, 0, sizeof(struct syslog_state));
}

static void
syslog_datagram(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	(void)state;
	(void)dir;
	syslog_message(f, p, len);
}

static void
syslog_head_add(struct syslog_tcp *t, const uint8_t *p, size_t n)
{
	size_t room = SYSLOG_HEAD - t->head_len;

	if (n > room)
		n = room;
	memcpy(t->head + t->head_len, p, n);
	t->head_len = (uint8_t)(t->head_len + n);
}

/* RFC 6587 3.4.1 octet counting, or 3.4.2 non-transparent framing (LF). */
static size_t
syslog_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct syslog_state *s = state;
	struct syslog_tcp *t = &s->tcp[dir];
	size_t i = 0;

	if (s->stopped || t->stopped)
		return len;
	while (i < len) {
		if (!t->in_msg) {
			if (t->digits == 0 && p[i] == '<') { /* a message per line */
				t->in_msg = true;
				t->counted = false;
				t->head_len = 0;
				continue;
			}
			if (p[i] >= '0' && p[i] <= '9' && t->digits < 9 &&
			    !(t->digits == 0 && p[i] == '0')) {
				t->left = t->left * 10 + (uint32_t)(p[i++] - '0');
				t->digits++;
				continue;
			}
			if (p[i] == ' ' && t->digits > 0) {
				i++;
				t->in_msg = true;
				t->counted = true;
				t->digits = 0;
				t->head_len = 0;
				continue;
			}
			if ((p[i] == '\n' || p[i] == '\r') && t->digits == 0) {
				i++; /* empty lines between messages */
				continue;
			}
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
			t->stopped = true;
			return len;
		}
		if (t->counted) {
			size_t take = len - i < t->left ? len - i : t->left;

			syslog_head_add(t, p + i, take);
			i += take;
			t->left -= (uint32_t)take;
			if (t->left == 0) {
				syslog_message(f, t->head, t->head_len);
				t->in_msg = false;
			}
		} else {
			const uint8_t *lf = memchr(p + i, '\n', len - i);
			size_t take = lf ? (size_t)(lf - (p + i)) : len - i;

			syslog_head_add(t, p + i, take);
			i += take;
			if (lf) {
				i++;
				syslog_message(f, t->head, text_trim_eol(t->head, t->head_len));
				t->in_msg = false;
			}
		}
	}
	return len;
}

/*
 * A datagram or a line: "<PRI>" then "1 " or a month; a TCP stream with
 * octet counting: digits, a space, then that. Strong: both the PRI and a
 * format; weak: a PRI alone (some devices send "<13>text").
 */
static enum sniff_result
syslog_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	size_t k = 0, pri;

	(void)dir;
	while (k < len && k < 10 && p[k] >= '0' && p[k] <= '9')
		k++;
	if (k > 0) {
		if (k == len)
			return SNIFF_MORE;
		if (p[k] != ' ' || p[0] == '0')
			return SNIFF_NO;
		k++;
	}
	if (k == len)
		return SNIFF_MORE;
	if (p[k] != '<')
		return SNIFF_NO;
	pri = syslog_pri(p + k, len - k);
	if (!pri)
		return len - k < 6 ? SNIFF_MORE : SNIFF_NO;
	k += pri;
	if (len - k < 4)
		return SNIFF_MORE;
	if ((p[k] == '1' && p[k + 1] == ' ') || syslog_month(p + k, len - k))
		return SNIFF_STRONG;
	return SNIFF_WEAK;
}

static void
syslog_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct syslog_own *o = (const struct syslog_own *)(const void *)f->own;

	if (o->rfc5424)
		w->num(w->ctx, "rfc5424", o->rfc5424);
	if (o->rfc3164)
		w->num(w->ctx, "rfc3164", o->rfc3164);
	if (o->other)
		w->num(w->ctx, "other", o->other);
	if (o->malformed)
		w->num(w->ctx, "malformed", o->malformed);
	if (o->host[0])
		w->str(w->ctx, "hostname", o->host);
}

const struct proto_desc proto_syslog = {
	.name = "syslog",
	.rfc = "RFC 5424, RFC 3164, RFC 5426, RFC 6587, RFC 5425",
	.transports = PROTO_TCP | PROTO_UDP,
	.clear_ports = {514, 601},
	.tls_ports = {6514},
	.tls_transports = PROTO_TCP | PROTO_UDP,
	.ndpi = {"Syslog"},
	.state_size = sizeof(struct syslog_state),
	.sniff = syslog_sniff,
	.init = syslog_init,
	.feed = syslog_feed,
	.datagram = syslog_datagram,
	.gap = proto_gap_stop,
	.write = syslog_write,
};
