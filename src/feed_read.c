/*
 * feed_read.c - the cluster feed's records (feed.h) read back: a line of
 * escaped KEY=VALUE words into a session or an alert for the dashboard.
 *
 * The decoder reads what anyone with access to the Redis stream may have
 * written: every value is unescaped into a buffer of known size, every
 * number is read digit by digit under a bound, every name is looked up in
 * the vocabulary, and the first value that fails refuses the record.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "feed.h"
#include "sink.h"

static int
feed_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Unescapes v[0..n) into out (outsz bytes, NUL added); its length in *len.
 * False on a bad escape, a byte that should have been escaped, or when it
 * does not fit. */
static bool
feed_unesc(const char *v, size_t n, char *out, size_t outsz, size_t *len)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (uint8_t)v[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return false;
			hi = feed_hexval(v[i + 1]);
			lo = feed_hexval(v[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = hi << 4 | lo;
			i += 2;
		} else if (!feed_plain((uint8_t)c)) {
			return false;
		}
		if (k + 1 >= outsz)
			return false;
		out[k++] = (char)c;
	}
	if (outsz == 0)
		return false;
	out[k] = '\0';
	if (len)
		*len = k;
	return true;
}

/* A text value: printable ASCII only (what the parsers keep, and what the
 * dashboard may put on a terminal). */
static bool
feed_text(const char *v, size_t n, char *out, size_t outsz)
{
	size_t len;

	if (!feed_unesc(v, n, out, outsz, &len))
		return false;
	for (size_t i = 0; i < len; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			return false;
	return true;
}

static bool
feed_u64(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > max)
		return false;
	*out = x;
	return true;
}

static bool
feed_hex(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int h = feed_hexval(v[i]);

		if (h < 0)
			return false;
		x = x << 4 | (uint64_t)h;
	}
	if (x > max)
		return false;
	*out = x;
	return true;
}

/* The index of name among n names given by fn(i); -1 when none. */
static int
feed_lookup(const char *name, int n, const char *(*fn)(int))
{
	for (int i = 0; i < n; i++) {
		const char *x = fn(i);

		if (x && strcmp(x, name) == 0)
			return i;
	}
	return -1;
}

static const char *
feed_verdict(int i)
{
	return verdict_name((enum verdict)i);
}
static const char *
feed_reason(int i)
{
	return reason_name((enum reason)i);
}
static const char *
feed_end(int i)
{
	return session_end_name((enum session_end)i);
}
static const char *
feed_severity(int i)
{
	return severity_name((enum severity)i);
}
static const char *
feed_outcome(int i)
{
	return login_outcome_name((enum login_outcome)i);
}
static const char *
feed_source(int i)
{
	return policy_source_name((enum policy_source)i);
}
static const char *
feed_mode(int i)
{
	return sts_mode_name((enum sts_mode)i);
}
static const char *
feed_tunnel(int i)
{
	return decode_tunnel_name((unsigned)i);
}

/* A named value (escaped) by fn's vocabulary. */
static int
feed_name(const char *v, size_t n, int count, const char *(*fn)(int))
{
	char name[48];

	if (!feed_text(v, n, name, sizeof(name)))
		return -1;
	return feed_lookup(name, count, fn);
}

/* Splits v[0..n) at commas into at most max parts; the number of parts,
 * or -1 when there are more. */
static int
feed_split(const char *v, size_t n, const char **part, size_t *len, int max)
{
	int k = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && v[i] != ',')
			continue;
		if (k == max)
			return -1;
		part[k] = v + start;
		len[k++] = i - start;
		start = i + 1;
	}
	return k;
}

/* The endpoints and service both records carry. */
struct feed_head {
	char sensor[FEED_SENSOR_MAX];
	char service[FEED_SERVICE_MAX];
	char client[INET6_ADDRSTRLEN], server[INET6_ADDRSTRLEN];
	uint64_t family, cport, sport;
	uint8_t l4;
	/* the required keys seen: the head's, a session's id, an alert's kind */
	bool has_sensor, has_client, has_server, has_id, has_kind;
};

/* One head word; 1 taken, 0 not a head key, -1 a bad value. */
static int
feed_head_word(struct feed_head *h, const char *k, size_t kn, const char *v, size_t vn)
{
#define KEY(name) (kn == sizeof(name) - 1 && memcmp(k, name, kn) == 0)
	if (KEY("sensor")) {
		h->has_sensor = true;
		return feed_text(v, vn, h->sensor, sizeof(h->sensor)) && h->sensor[0] ? 1 : -1;
	}
	if (KEY("service"))
		return feed_text(v, vn, h->service, sizeof(h->service)) ? 1 : -1;
	if (KEY("family"))
		return feed_u64(v, vn, 6, &h->family) && (h->family == 4 || h->family == 6) ? 1
											    : -1;
	if (KEY("client")) {
		h->has_client = true;
		return feed_text(v, vn, h->client, sizeof(h->client)) ? 1 : -1;
	}
	if (KEY("server")) {
		h->has_server = true;
		return feed_text(v, vn, h->server, sizeof(h->server)) ? 1 : -1;
	}
	if (KEY("cport"))
		return feed_u64(v, vn, 65535, &h->cport) ? 1 : -1;
	if (KEY("sport"))
		return feed_u64(v, vn, 65535, &h->sport) ? 1 : -1;
	if (KEY("l4")) {
		h->l4 = transport_by_name(v, vn);
		return h->l4 ? 1 : -1;
	}
	return 0;
#undef KEY
}

/* The head's addresses into ip fields; false when they are not addresses
 * of the family. */
static bool
feed_head_addrs(const struct feed_head *h, uint8_t *family, uint8_t *cip, uint8_t *sip)
{
	int af = h->family == 6 ? AF_INET6 : AF_INET;

	if (!h->has_sensor || !h->has_client || !h->has_server ||
	    (h->family != 4 && h->family != 6))
		return false;
	memset(cip, 0, 16);
	memset(sip, 0, 16);
	if (inet_pton(af, h->client, cip) != 1 || inet_pton(af, h->server, sip) != 1)
		return false;
	*family = (uint8_t)h->family;
	return true;
}

/* Calls fn for each KEY=VALUE word after the type word; false when a word
 * is malformed or fn refused it. */
static bool
feed_words(const char *line, size_t n, const char *type,
	   int (*fn)(void *ctx, const char *k, size_t kn, const char *v, size_t vn), void *ctx)
{
	size_t tn = strlen(type), i;

	if (n < tn || memcmp(line, type, tn) != 0 || (n > tn && line[tn] != ' '))
		return false;
	for (i = tn; i < n;) {
		const char *w, *eq;
		size_t wn;

		if (line[i] != ' ')
			return false;
		i++;
		w = line + i;
		while (i < n && line[i] != ' ')
			i++;
		wn = (size_t)(line + i - w);
		eq = memchr(w, '=', wn);
		if (!eq || eq == w)
			return false;
		if (fn(ctx, w, (size_t)(eq - w), eq + 1, wn - (size_t)(eq - w) - 1) < 0)
			return false;
	}
	return true;
}

struct feed_sess_ctx {
	struct feed_head h;
	struct feed_session *out;
};

static bool
feed_flags(struct session *s, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (v[i]) {
		case 'm':
			s->midstream = true;
			break;
		case 'g':
			s->gap = true;
			break;
		case 'c':
			s->pf.capa_seen = true;
			break;
		case 'o':
			s->pf.tls_offered = true;
			break;
		case 'r':
			s->pf.upgrade_requested = true;
			break;
		case 'a':
			s->pf.upgrade_accepted = true;
			break;
		case 'x':
			s->pf.upgrade_refused = true;
			break;
		case 'p':
			s->pf.auth_cleartext_offered = true;
			break;
		case 'h':
			s->tf.client_hello = true;
			break;
		case 's':
			s->tf.server_hello = true;
			break;
		case 'e':
			s->tf.established = true;
			break;
		case '2':
			s->tf.sslv2_hello = true;
			break;
		default:
			return false;
		}
	}
	return true;
}

static bool
feed_login(struct session *s, const char *v, size_t n)
{
	const char *part[4];
	size_t len[4];
	struct login *l;
	int outcome;

	if (feed_split(v, n, part, len, 4) != 4 || s->pf.n_logins >= LOGIN_MAX)
		return false;
	l = &s->pf.logins[s->pf.n_logins];
	memset(l, 0, sizeof(*l));
	if (!feed_text(part[0], len[0], l->mechanism, sizeof(l->mechanism)) ||
	    !feed_text(part[1], len[1], l->username, sizeof(l->username)) ||
	    (outcome = feed_name(part[2], len[2], 3, feed_outcome)) < 0 || len[3] != 1 ||
	    (part[3][0] != '0' && part[3][0] != '1'))
		return false;
	l->outcome = (enum login_outcome)outcome;
	l->has_secret = part[3][0] == '1';
	s->pf.n_logins++;
	return true;
}

static bool
feed_policy(struct session *s, const char *v, size_t n)
{
	const char *part[6];
	size_t len[6];
	int src, mode = STS_ABSENT;

	if (feed_split(v, n, part, len, 6) != 6 ||
	    (src = feed_name(part[0], len[0], POLICY_SOURCE_SNI + 1, feed_source)) <= 0)
		return false;
	if (!(len[1] == 1 && part[1][0] == '-') &&
	    (mode = feed_name(part[1], len[1], STS_ENFORCE + 1, feed_mode)) <= 0)
		return false;
	for (int i = 2; i < 5; i++)
		if (len[i] != 1 || (part[i][0] != '0' && part[i][0] != '1'))
			return false;
	if (!feed_text(part[5], len[5], s->policy.domain, sizeof(s->policy.domain)))
		return false;
	s->policy.source = (uint8_t)src;
	s->policy.mta_sts = (uint8_t)mode;
	s->policy.dane = part[2][0] == '1';
	s->policy.tlsrpt = part[3][0] == '1';
	s->policy.mail_sent = part[4][0] == '1';
	return true;
}

static bool
feed_tunnels(struct session *s, const char *v, size_t n)
{
	char text[DECODE_TUNNEL_MAX * 16];
	char *save = NULL, *t;

	if (!feed_text(v, n, text, sizeof(text)))
		return false;
	s->tunnel_depth = 0;
	for (t = strtok_r(text, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		int k = feed_lookup(t, TUNNEL_KINDS, feed_tunnel);

		if (k <= 0 || s->tunnel_depth == DECODE_TUNNEL_MAX)
			return false;
		s->tunnels[s->tunnel_depth++] = (uint8_t)k;
	}
	return s->tunnel_depth > 0;
}

/* One word of the TLS facts; 1 taken, 0 not one of theirs, -1 a bad value. */
static int
feed_tls_word(struct tls_facts *tf, const char *k, size_t kn, const char *v, size_t vn)
{
	uint64_t x = 0;
	int r;

#define KEY(name) (kn == sizeof(name) - 1 && memcmp(k, name, kn) == 0)
#define OK(cond) ((cond) ? 1 : -1)
	if (KEY("tlsv")) {
		r = feed_hex(v, vn, 0xffff, &x);
		tf->version = (uint16_t)x;
		return OK(r);
	}
	if (KEY("cipher")) {
		r = feed_hex(v, vn, 0xffff, &x);
		tf->cipher = (uint16_t)x;
		return OK(r);
	}
	if (KEY("cmax")) {
		r = feed_hex(v, vn, 0xffff, &x);
		tf->client_max_version = (uint16_t)x;
		return OK(r);
	}
	if (KEY("sni"))
		return OK(feed_text(v, vn, tf->sni, sizeof(tf->sni)));
	if (KEY("alpn"))
		return OK(feed_text(v, vn, tf->alpn, sizeof(tf->alpn)));
	if (KEY("alpnsel"))
		return OK(feed_text(v, vn, tf->alpn_selected, sizeof(tf->alpn_selected)));
	if (KEY("talert")) {
		const char *part[3];
		size_t plen[3];
		uint64_t dir, level, desc;

		if (feed_split(v, vn, part, plen, 3) != 3 || !feed_u64(part[0], plen[0], 1, &dir) ||
		    !feed_u64(part[1], plen[1], 255, &level) ||
		    !feed_u64(part[2], plen[2], 255, &desc))
			return -1;
		tf->alert = true;
		tf->alert_dir = dir ? DIR_S2C : DIR_C2S;
		tf->alert_level = (uint8_t)level;
		tf->alert_desc = (uint8_t)desc;
		return 1;
	}
	return 0;
#undef OK
#undef KEY
}

static int
feed_session_word(void *ctx, const char *k, size_t kn, const char *v, size_t vn)
{
	struct feed_sess_ctx *c = ctx;
	struct session *s = &c->out->s;
	uint64_t x = 0;
	size_t len;
	int r = feed_head_word(&c->h, k, kn, v, vn), i;

	if (r == 0)
		r = feed_tls_word(&s->tf, k, kn, v, vn);
	if (r != 0)
		return r;
#define KEY(name) (kn == sizeof(name) - 1 && memcmp(k, name, kn) == 0)
#define OK(cond) ((cond) ? 1 : -1)
	if (KEY("id")) {
		c->h.has_id = true;
		return OK(feed_u64(v, vn, INT64_MAX, &s->id));
	}
	if (KEY("first"))
		return OK(feed_u64(v, vn, INT64_MAX, &s->ts_first_us));
	if (KEY("last"))
		return OK(feed_u64(v, vn, INT64_MAX, &s->ts_last_us));
	if (KEY("verdict")) {
		i = feed_name(v, vn, VERDICT_COUNT, feed_verdict);
		s->verdict = (enum verdict)(i < 0 ? 0 : i);
		return OK(i >= 0);
	}
	if (KEY("reason")) {
		i = feed_name(v, vn, REASON_COUNT, feed_reason);
		s->reason = (enum reason)(i < 0 ? 0 : i);
		return OK(i > 0);
	}
	if (KEY("alerts")) {
		r = feed_hex(v, vn, UINT32_MAX, &x);
		s->alerts = (uint32_t)x;
		return OK(r);
	}
	if (KEY("end")) {
		i = feed_name(v, vn, END_CAPTURE + 1, feed_end);
		s->end = (enum session_end)(i < 0 ? 0 : i);
		return OK(i >= 0);
	}
	if (KEY("pkts"))
		return OK(feed_u64(v, vn, UINT64_MAX, &s->packets));
	if (KEY("up"))
		return OK(feed_u64(v, vn, UINT64_MAX, &s->bytes[DIR_C2S]));
	if (KEY("down"))
		return OK(feed_u64(v, vn, UINT64_MAX, &s->bytes[DIR_S2C]));
	if (KEY("flags"))
		return OK(feed_flags(s, v, vn));
	if (KEY("capa"))
		return OK(feed_text(v, vn, s->pf.capa, sizeof(s->pf.capa)));
	if (KEY("reply"))
		return OK(feed_text(v, vn, s->pf.upgrade_reply, sizeof(s->pf.upgrade_reply)));
	if (KEY("ev")) {
		char raw[EVIDENCE_MAX + 1];

		r = feed_unesc(v, vn, raw, sizeof(raw), &len);
		if (r) {
			memcpy(s->pf.evidence, raw, len);
			s->pf.evidence_len = (uint16_t)len;
		}
		return OK(r);
	}
	if (KEY("login"))
		return OK(feed_login(s, v, vn));
	if (KEY("ldrop")) {
		r = feed_u64(v, vn, UINT32_MAX, &x);
		s->pf.logins_dropped = (uint32_t)x;
		return OK(r);
	}
	if (KEY("ndpi"))
		return OK(feed_text(v, vn, s->ndpi, sizeof(s->ndpi)));
	if (KEY("tunnel"))
		return OK(feed_tunnels(s, v, vn));
	if (KEY("policy"))
		return OK(feed_policy(s, v, vn));
	return 1; /* a key of a later release */
#undef OK
#undef KEY
}

bool
feed_decode_session(const char *line, size_t n, struct feed_session *out)
{
	struct feed_sess_ctx c = {.out = out};

	memset(out, 0, sizeof(*out));
	c.h.family = 4;
	if (n >= FEED_LINE_MAX || !feed_words(line, n, "session", feed_session_word, &c) ||
	    !c.h.has_id ||
	    !feed_head_addrs(&c.h, &out->s.family, out->s.client_ip, out->s.server_ip))
		return false;
	out->s.client_port = (uint16_t)c.h.cport;
	out->s.server_port = (uint16_t)c.h.sport;
	out->s.l4 = c.h.l4 ? c.h.l4 : 6;
	memcpy(out->sensor, c.h.sensor, sizeof(out->sensor));
	snprintf(out->service, sizeof(out->service), "%s",
		 c.h.service[0] ? c.h.service : "unknown");
	out->s.service = NULL;
	return true;
}

struct feed_alert_ctx {
	struct feed_head h;
	struct feed_alert *out;
};

static int
feed_alert_word(void *ctx, const char *k, size_t kn, const char *v, size_t vn)
{
	struct feed_alert_ctx *c = ctx;
	struct alert *a = &c->out->a;
	char name[48];
	int r = feed_head_word(&c->h, k, kn, v, vn), i;

	if (r != 0)
		return r;
#define KEY(name) (kn == sizeof(name) - 1 && memcmp(k, name, kn) == 0)
#define OK(cond) ((cond) ? 1 : -1)
	if (KEY("kind")) {
		c->h.has_kind = true;
		if (!feed_text(v, vn, name, sizeof(name)) || (i = alert_kind_parse(name)) < 0)
			return -1;
		a->kind = (enum alert_kind)i;
		return 1;
	}
	if (KEY("severity")) {
		i = feed_name(v, vn, SEVERITY_CRITICAL + 1, feed_severity);
		a->severity = (enum severity)(i < 0 ? 0 : i);
		return OK(i >= 0);
	}
	if (KEY("session"))
		return OK(feed_u64(v, vn, INT64_MAX, &a->session_id));
	if (KEY("ts"))
		return OK(feed_u64(v, vn, INT64_MAX, &a->ts_us));
	if (KEY("ev"))
		return OK(feed_text(v, vn, a->evidence, sizeof(a->evidence)));
	return 1;
#undef OK
#undef KEY
}

bool
feed_decode_alert(const char *line, size_t n, struct feed_alert *out)
{
	struct feed_alert_ctx c = {.out = out};

	memset(out, 0, sizeof(*out));
	c.h.family = 4;
	if (n >= FEED_LINE_MAX || !feed_words(line, n, "alert", feed_alert_word, &c) ||
	    !c.h.has_kind ||
	    !feed_head_addrs(&c.h, &out->a.family, out->a.client_ip, out->a.server_ip))
		return false;
	out->a.client_port = (uint16_t)c.h.cport;
	out->a.server_port = (uint16_t)c.h.sport;
	out->a.l4 = c.h.l4 ? c.h.l4 : 6;
	memcpy(out->sensor, c.h.sensor, sizeof(out->sensor));
	snprintf(out->service, sizeof(out->service), "%s",
		 c.h.service[0] ? c.h.service : "unknown");
	out->a.service = NULL;
	return true;
}
