/*
 * tui_model.c - the dashboard's data model (see tui_model.h): bounded rings
 * of session rows and alerts, exact per-port aggregates through
 * src/summary.c, run counters with rates, and the view (filter, sort,
 * problems only, pause) rebuilt lazily when something changed.
 *
 * No curses here: everything is plain data and text so that the unit tests
 * can check what the screen would show.
 *
 * Storage: rows live in a ring indexed by arrival number (seq); the ring
 * grows by doubling up to max_rows and only then wraps, so a short capture
 * costs little. The view is an array of seqs, so a view frozen by a pause
 * stays meaningful while the ring moves on (a dropped row reads as NULL).
 */
#include "tui_model.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sink.h"

#define FILTER_TERMS_MAX 16
#define RATE_WINDOW_US 500000 /* rates are measured over at least this long */

enum term_key {
	TERM_TEXT = 0,
	TERM_PORT,
	TERM_SERVICE,
	TERM_VERDICT,
	TERM_REASON,
	TERM_IP,
	TERM_USER,
	TERM_ALERT,
};

struct term {
	enum term_key key;
	bool neg;
	long port;		  /* TERM_PORT: -1 when the value is not a port number */
	char val[TUI_FILTER_MAX]; /* lower case */
};

struct filter {
	struct term t[FILTER_TERMS_MAX];
	size_t n;
};

struct ring {
	void *slots;
	size_t size; /* bytes per slot */
	size_t cap;  /* slots allocated (grows up to max) */
	size_t max;
	uint64_t total; /* items ever added; the newest has seq == total */
};

struct tui_model {
	struct ring rows;   /* struct tui_row */
	struct ring alerts; /* struct tui_alert */
	struct summary *sum;
	uint64_t add_failures;

	/* counters */
	struct tui_counters c;
	bool started;
	uint64_t start_us, rate_t_us, rate_packets, rate_bytes, stats_us;

	/* view parameters */
	enum tui_sort sort;
	char filter_text[TUI_FILTER_MAX];
	struct filter filter;
	bool problems_only;
	bool paused;

	/* the view */
	uint64_t *view_rows; /* seqs, view order */
	size_t n_view_rows;
	uint64_t *view_alerts;
	size_t n_view_alerts;
	const struct tui_row **sort_buf;
	size_t view_rows_cap, sort_cap, view_alerts_cap; /* grow with the rings */
	bool view_stale;   /* parameters changed: rebuild even when paused */
	bool data_changed; /* rows or alerts added: rebuild unless paused */
	struct summary_row *frozen_ports;
	size_t n_frozen_ports;
	bool ports_frozen;
};

/* ---- Rings -------------------------------------------------------------------- */

static void
ring_init(struct ring *r, size_t size, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->max = max;
}

/* The slot for the next item, growing the storage while under max; NULL
 * when out of memory. */
static void *
ring_push(struct ring *r)
{
	size_t slot = (size_t)(r->total % r->max);

	if (slot >= r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		void *ns;

		if (cap > r->max)
			cap = r->max;
		ns = realloc(r->slots, cap * r->size);
		if (!ns)
			return NULL;
		r->slots = ns;
		r->cap = cap;
	}
	r->total++;
	return (char *)r->slots + slot * r->size;
}

static uint64_t
ring_kept(const struct ring *r)
{
	return r->total < r->max ? r->total : r->max;
}

static void *
ring_get(const struct ring *r, uint64_t seq)
{
	if (seq == 0 || seq > r->total || seq + ring_kept(r) <= r->total)
		return NULL;
	return (char *)r->slots + (size_t)((seq - 1) % r->max) * r->size;
}

/* ---- Life cycle ----------------------------------------------------------------- */

struct tui_model *
tui_model_new(size_t max_rows, size_t max_alerts)
{
	struct tui_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (max_rows < 1)
		max_rows = 1;
	if (max_alerts < 1)
		max_alerts = 1;
	ring_init(&m->rows, sizeof(struct tui_row), max_rows);
	ring_init(&m->alerts, sizeof(struct tui_alert), max_alerts);
	m->sum = summary_new();
	if (!m->sum) {
		tui_model_free(m);
		return NULL;
	}
	m->view_stale = true;
	return m;
}

void
tui_model_free(struct tui_model *m)
{
	if (!m)
		return;
	free(m->rows.slots);
	free(m->alerts.slots);
	summary_free(m->sum);
	free(m->view_rows);
	free(m->sort_buf);
	free(m->view_alerts);
	free(m->frozen_ports);
	free(m);
}

/* ---- Small text helpers --------------------------------------------------------- */

static void
lower_copy(char *dst, size_t dstsz, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < dstsz; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Appends " word" (lower case) to the haystack, silently cut when full. */
static void
hay_add(char *hay, const char *word)
{
	size_t len = strlen(hay);

	if (!word || !word[0] || len + 2 >= TUI_HAY_MAX)
		return;
	hay[len++] = ' ';
	lower_copy(hay + len, TUI_HAY_MAX - len, word);
}

static bool
contains_ci(const char *hay, const char *lower_needle)
{
	size_t n = strlen(lower_needle);

	for (; *hay; hay++) {
		size_t i = 0;

		while (i < n && hay[i] && tolower((unsigned char)hay[i]) == lower_needle[i])
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}

static bool
prefix_ci(const char *s, const char *lower_prefix)
{
	for (; *lower_prefix; s++, lower_prefix++)
		if (tolower((unsigned char)*s) != *lower_prefix)
			return false;
	return true;
}

void
tui_format_clock(uint64_t ts_us, char *buf, size_t bufsz)
{
	uint64_t s = ts_us / 1000000;

	snprintf(buf, bufsz, "%02u:%02u:%02u", (unsigned)(s / 3600 % 24), (unsigned)(s / 60 % 60),
		 (unsigned)(s % 60));
}

void
tui_format_count(double v, char *buf, size_t bufsz)
{
	if (v < 0)
		v = 0;
	if (v < 100000)
		snprintf(buf, bufsz, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, bufsz, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(buf, bufsz, "%.1fM", v / 1e6);
	else if (v < 1e12)
		snprintf(buf, bufsz, "%.1fG", v / 1e9);
	else
		snprintf(buf, bufsz, "%.1fT", v / 1e12);
}

enum tui_tone
tui_verdict_tone(enum verdict v)
{
	switch (v) {
	case VERDICT_IMPLICIT_TLS:
	case VERDICT_STARTTLS:
		return TUI_TONE_GOOD;
	case VERDICT_CLEARTEXT:
		return TUI_TONE_WARN;
	case VERDICT_DOWNGRADED:
	case VERDICT_TLS_FAILED:
		return TUI_TONE_BAD;
	case VERDICT_UNKNOWN:
	case VERDICT_COUNT:
		break;
	}
	return TUI_TONE_DIM;
}

char
tui_verdict_marker(enum verdict v)
{
	switch (v) {
	case VERDICT_IMPLICIT_TLS:
	case VERDICT_STARTTLS:
		return '+';
	case VERDICT_CLEARTEXT:
		return '~';
	case VERDICT_DOWNGRADED:
		return '!';
	case VERDICT_TLS_FAILED:
		return 'x';
	case VERDICT_UNKNOWN:
	case VERDICT_COUNT:
		break;
	}
	return '?';
}

const char *
tui_tls_short(const struct tui_row *r, char buf[8])
{
	uint16_t v = r->server_hello ? r->tls_version : 0;

	switch (v) {
	case 0:
		return r->client_hello ? "?" : "";
	case 0x0002:
		return "SSL2";
	case 0x0300:
		return "SSL3";
	case 0x0301:
		return "1.0";
	case 0x0302:
		return "1.1";
	case 0x0303:
		return "1.2";
	case 0x0304:
		return "1.3";
	}
	snprintf(buf, 8, "%04x", v);
	return buf;
}

const char *
tui_sort_name(enum tui_sort sort)
{
	switch (sort) {
	case TUI_SORT_NEWEST:
		return "newest";
	case TUI_SORT_START:
		return "start time";
	case TUI_SORT_SERVER:
		return "server";
	case TUI_SORT_VERDICT:
		return "verdict";
	case TUI_SORT_SERVICE:
		return "service";
	case TUI_SORT_COUNT:
		break;
	}
	return "?";
}

bool
tui_row_is_problem(const struct tui_row *r)
{
	return r->verdict == VERDICT_CLEARTEXT || r->verdict == VERDICT_DOWNGRADED ||
	       r->verdict == VERDICT_TLS_FAILED || r->alerts != 0;
}

/* ---- Input ---------------------------------------------------------------------- */

static void
row_fill(struct tui_row *r, const struct session *s)
{
	const struct proto_facts *pf = &s->pf;
	const struct tls_facts *tf = &s->tf;
	char vbuf[8];

	memset(r, 0, sizeof(*r));
	r->id = s->id;
	r->ts_first_us = s->ts_first_us;
	r->ts_last_us = s->ts_last_us;
	r->family = s->family;
	memcpy(r->client_ip, s->client_ip, 16);
	memcpy(r->server_ip, s->server_ip, 16);
	r->client_port = s->client_port;
	r->server_port = s->server_port;
	sink_format_endpoint(s->family, s->client_ip, s->client_port, r->client, sizeof(r->client));
	sink_format_endpoint(s->family, s->server_ip, s->server_port, r->server, sizeof(r->server));
	session_addr_str(s->family, s->client_ip, r->client_addr, sizeof(r->client_addr));
	r->service = s->service ? s->service : "unknown";
	r->verdict = s->verdict < VERDICT_COUNT ? s->verdict : VERDICT_UNKNOWN;
	r->reason = s->reason < REASON_COUNT ? s->reason : REASON_NONE;
	r->alerts = s->alerts;
	r->end = s->end;
	r->midstream = s->midstream;
	r->gap = s->gap;
	r->packets = s->packets;
	r->bytes[0] = s->bytes[0];
	r->bytes[1] = s->bytes[1];

	r->capa_seen = pf->capa_seen;
	r->tls_offered = pf->tls_offered;
	r->upgrade_requested = pf->upgrade_requested;
	r->upgrade_accepted = pf->upgrade_accepted;
	r->upgrade_refused = pf->upgrade_refused;
	r->auth_cleartext_offered = pf->auth_cleartext_offered;
	memcpy(r->capa, pf->capa, sizeof(r->capa));
	r->capa[sizeof(r->capa) - 1] = '\0';
	memcpy(r->upgrade_reply, pf->upgrade_reply, sizeof(r->upgrade_reply));
	r->upgrade_reply[sizeof(r->upgrade_reply) - 1] = '\0';
	if (pf->evidence_len)
		text_escape(r->evidence, sizeof(r->evidence), pf->evidence,
			    pf->evidence_len > EVIDENCE_MAX ? EVIDENCE_MAX : pf->evidence_len);

	r->client_hello = tf->client_hello;
	r->server_hello = tf->server_hello;
	r->established = tf->established;
	r->sslv2_hello = tf->sslv2_hello;
	r->tls_version = tf->version;
	r->tls_cipher = tf->cipher;
	r->client_max_version = tf->client_max_version;
	memcpy(r->sni, tf->sni, sizeof(r->sni));
	r->sni[sizeof(r->sni) - 1] = '\0';
	memcpy(r->alpn, tf->alpn, sizeof(r->alpn));
	r->alpn[sizeof(r->alpn) - 1] = '\0';
	memcpy(r->alpn_selected, tf->alpn_selected, sizeof(r->alpn_selected));
	r->alpn_selected[sizeof(r->alpn_selected) - 1] = '\0';
	r->tls_alert = tf->alert;
	r->tls_alert_dir = tf->alert_dir;
	r->tls_alert_level = tf->alert_level;
	r->tls_alert_desc = tf->alert_desc;

	/* Field by field: the secret stays behind. */
	r->n_logins = pf->n_logins > LOGIN_MAX ? LOGIN_MAX : pf->n_logins;
	for (size_t i = 0; i < r->n_logins; i++) {
		const struct login *l = &pf->logins[i];
		struct tui_login *t = &r->logins[i];

		memcpy(t->mechanism, l->mechanism, sizeof(t->mechanism));
		t->mechanism[sizeof(t->mechanism) - 1] = '\0';
		memcpy(t->username, l->username, sizeof(t->username));
		t->username[sizeof(t->username) - 1] = '\0';
		t->has_secret = l->has_secret;
		t->outcome = l->outcome;
	}
	r->logins_dropped = pf->logins_dropped;
	memcpy(r->ndpi, s->ndpi, sizeof(r->ndpi));
	r->ndpi[sizeof(r->ndpi) - 1] = '\0';

	snprintf(r->hay, sizeof(r->hay), "#%" PRIu64, r->id);
	hay_add(r->hay, r->service);
	hay_add(r->hay, verdict_name(r->verdict));
	hay_add(r->hay, reason_name(r->reason));
	hay_add(r->hay, r->client);
	hay_add(r->hay, r->server);
	if (r->server_hello)
		hay_add(r->hay, tls_version_name(r->tls_version, vbuf));
	hay_add(r->hay, r->sni);
	hay_add(r->hay, r->alpn_selected[0] ? r->alpn_selected : r->alpn);
	for (size_t i = 0; i < r->n_logins; i++)
		hay_add(r->hay, r->logins[i].username);
	for (int k = 0; k < ALERT_KIND_COUNT; k++)
		if (r->alerts & (1u << k))
			hay_add(r->hay, alert_kind_name((enum alert_kind)k));
	hay_add(r->hay, r->ndpi);
}

int
tui_model_add_session(struct tui_model *m, const struct session *s)
{
	struct tui_row *r;
	int rc = 0;

	if (summary_add(m->sum, s) < 0) {
		m->add_failures++;
		rc = -1;
	}
	m->c.sessions++;
	r = ring_push(&m->rows);
	if (!r) {
		m->add_failures++;
		return -1;
	}
	row_fill(r, s);
	r->seq = m->rows.total;
	m->data_changed = true;
	return rc;
}

void
tui_model_add_alert(struct tui_model *m, const struct alert *a)
{
	struct tui_alert *t;

	m->c.alerts++;
	t = ring_push(&m->alerts);
	if (!t) {
		m->add_failures++;
		return;
	}
	t->seq = m->alerts.total;
	t->a = *a;
	t->a.evidence[sizeof(t->a.evidence) - 1] = '\0';
	if (!t->a.service)
		t->a.service = "unknown";
	sink_format_endpoint(a->family, a->server_ip, a->server_port, t->server, sizeof(t->server));
	m->data_changed = true;
}

void
tui_model_set_stats(struct tui_model *m, const struct stats *st, size_t open_flows, uint64_t now_us)
{
	struct tui_counters *c = &m->c;

	if (c->done)
		return;
	c->packets = st->packets;
	c->bytes = st->bytes;
	c->open_flows = open_flows;
	c->evicted = st->flows_evicted;
	if (st->pcap_stats_valid) {
		c->drops = st->pcap_dropped + st->pcap_ifdropped;
		c->drops_known = true;
	}
	m->stats_us = now_us;
	if (!m->started) {
		m->started = true;
		m->start_us = m->rate_t_us = now_us;
		m->rate_packets = st->packets;
		m->rate_bytes = st->bytes;
		return;
	}
	c->elapsed_us = now_us > m->start_us ? now_us - m->start_us : 0;
	if (now_us >= m->rate_t_us + RATE_WINDOW_US) {
		double dt = (double)(now_us - m->rate_t_us) / 1e6;

		c->packet_rate = (double)(st->packets - m->rate_packets) / dt;
		c->byte_rate = (double)(st->bytes - m->rate_bytes) / dt;
		m->rate_t_us = now_us;
		m->rate_packets = st->packets;
		m->rate_bytes = st->bytes;
	}
}

void
tui_model_set_time(struct tui_model *m, uint64_t now_us)
{
	struct tui_counters *c = &m->c;

	if (c->done || !m->started || now_us < m->stats_us)
		return;
	c->elapsed_us = now_us - m->start_us;
	if (now_us - m->stats_us > 1000000) {
		c->packet_rate = c->byte_rate = 0;
		/* The next rate is measured from the counters of the next tick. */
		m->rate_t_us = now_us;
	}
}

void
tui_model_set_done(struct tui_model *m, uint64_t now_us)
{
	struct tui_counters *c = &m->c;

	if (c->done)
		return;
	if (m->started) {
		double secs;

		c->elapsed_us = now_us > m->start_us ? now_us - m->start_us : 0;
		secs = (double)c->elapsed_us / 1e6;
		c->packet_rate = secs > 0 ? (double)c->packets / secs : 0;
		c->byte_rate = secs > 0 ? (double)c->bytes / secs : 0;
	}
	c->done = true;
}

/* ---- Totals ---------------------------------------------------------------------- */

const struct tui_counters *
tui_model_counters(const struct tui_model *m)
{
	return &m->c;
}

uint64_t
tui_model_sessions_seen(const struct tui_model *m)
{
	return m->c.sessions;
}

uint64_t
tui_model_rows_kept(const struct tui_model *m)
{
	return ring_kept(&m->rows);
}

uint64_t
tui_model_rows_dropped(const struct tui_model *m)
{
	return m->rows.total - ring_kept(&m->rows);
}

uint64_t
tui_model_alerts_seen(const struct tui_model *m)
{
	return m->c.alerts;
}

uint64_t
tui_model_alerts_dropped(const struct tui_model *m)
{
	return m->c.alerts - ring_kept(&m->alerts);
}

uint64_t
tui_model_add_failures(const struct tui_model *m)
{
	return m->add_failures;
}

const struct summary_row *
tui_model_ports(struct tui_model *m, size_t *n)
{
	if (m->paused && m->ports_frozen) {
		*n = m->n_frozen_ports;
		return m->frozen_ports;
	}
	return summary_ports(m->sum, n);
}

/* ---- Filter ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum term_key key;
} term_keys[] = {
	{"port:", TERM_PORT},	  {"service:", TERM_SERVICE}, {"verdict:", TERM_VERDICT},
	{"reason:", TERM_REASON}, {"ip:", TERM_IP},	      {"user:", TERM_USER},
	{"alert:", TERM_ALERT},
};

static void
filter_parse(struct filter *f, const char *expr)
{
	const char *p = expr ? expr : "";

	f->n = 0;
	while (*p && f->n < FILTER_TERMS_MAX) {
		struct term *t = &f->t[f->n];
		char word[TUI_FILTER_MAX];
		size_t len = 0;
		const char *w = word;

		while (*p == ' ' || *p == '\t')
			p++;
		while (*p && *p != ' ' && *p != '\t') {
			if (len + 1 < sizeof(word))
				word[len++] = *p;
			p++;
		}
		word[len] = '\0';
		if (!len)
			continue;
		memset(t, 0, sizeof(*t));
		if (*w == '!') {
			t->neg = true;
			w++;
		}
		if (!*w)
			continue;
		t->key = TERM_TEXT;
		for (size_t k = 0; k < sizeof(term_keys) / sizeof(term_keys[0]); k++) {
			size_t kl = strlen(term_keys[k].name);

			if (strncasecmp(w, term_keys[k].name, kl) == 0) {
				t->key = term_keys[k].key;
				w += kl;
				break;
			}
		}
		lower_copy(t->val, sizeof(t->val), w);
		if (t->key == TERM_PORT) {
			char *end;
			long v = strtol(t->val, &end, 10);

			t->port = (t->val[0] && !*end && v >= 0 && v <= 65535) ? v : -1;
		}
		f->n++;
	}
}

static bool
term_row(const struct term *t, const struct tui_row *r)
{
	switch (t->key) {
	case TERM_TEXT:
		return strstr(r->hay, t->val) != NULL;
	case TERM_PORT:
		return t->port >= 0 && r->server_port == t->port;
	case TERM_SERVICE:
		return strcasecmp(r->service, t->val) == 0;
	case TERM_VERDICT:
		return prefix_ci(verdict_name(r->verdict), t->val);
	case TERM_REASON:
		return reason_name(r->reason) && prefix_ci(reason_name(r->reason), t->val);
	case TERM_IP: {
		char srv[TUI_ENDPOINT_MAX];

		session_addr_str(r->family, r->server_ip, srv, sizeof(srv));
		return contains_ci(r->client_addr, t->val) || contains_ci(srv, t->val);
	}
	case TERM_USER:
		for (size_t i = 0; i < r->n_logins; i++)
			if (contains_ci(r->logins[i].username, t->val))
				return true;
		return false;
	case TERM_ALERT:
		if (!t->val[0])
			return r->alerts != 0;
		for (int k = 0; k < ALERT_KIND_COUNT; k++)
			if ((r->alerts & (1u << k)) &&
			    strstr(alert_kind_name((enum alert_kind)k), t->val))
				return true;
		return false;
	}
	return false;
}

static bool
filter_row(const struct filter *f, const struct tui_row *r)
{
	for (size_t i = 0; i < f->n; i++)
		if (term_row(&f->t[i], r) == f->t[i].neg)
			return false;
	return true;
}

/* Words about verdicts, reasons and users say nothing about an alert and
 * leave the alerts list alone. */
static bool
term_alert(const struct term *t, const struct tui_alert *ta)
{
	const struct alert *a = &ta->a;
	char buf[TUI_HAY_MAX];

	switch (t->key) {
	case TERM_TEXT:
		snprintf(buf, sizeof(buf), "#%" PRIu64 " %s %s %s %s", a->session_id,
			 alert_kind_name(a->kind), severity_name(a->severity), a->service,
			 ta->server);
		return contains_ci(buf, t->val) || contains_ci(a->evidence, t->val);
	case TERM_PORT:
		return t->port >= 0 && a->server_port == t->port;
	case TERM_SERVICE:
		return strcasecmp(a->service, t->val) == 0;
	case TERM_IP:
		session_addr_str(a->family, a->server_ip, buf, sizeof(buf));
		return contains_ci(buf, t->val);
	case TERM_ALERT:
		return strstr(alert_kind_name(a->kind), t->val) != NULL;
	case TERM_VERDICT:
	case TERM_REASON:
	case TERM_USER:
		return !t->neg;
	}
	return false;
}

static bool
filter_alert(const struct filter *f, const struct tui_alert *a)
{
	for (size_t i = 0; i < f->n; i++)
		if (term_alert(&f->t[i], a) == f->t[i].neg)
			return false;
	return true;
}

bool
tui_row_matches(const struct tui_row *r, const char *expr)
{
	struct filter f;

	filter_parse(&f, expr);
	return filter_row(&f, r);
}

bool
tui_alert_matches(const struct tui_alert *a, const char *expr)
{
	struct filter f;

	filter_parse(&f, expr);
	return filter_alert(&f, a);
}

/* ---- View ------------------------------------------------------------------------- */

static void view_rebuild(struct tui_model *m);

void
tui_model_set_sort(struct tui_model *m, enum tui_sort sort)
{
	if ((unsigned)sort >= TUI_SORT_COUNT)
		sort = TUI_SORT_NEWEST;
	m->sort = sort;
	m->view_stale = true;
}

enum tui_sort
tui_model_sort(const struct tui_model *m)
{
	return m->sort;
}

int
tui_model_set_filter(struct tui_model *m, const char *expr)
{
	if (!expr)
		expr = "";
	if (strlen(expr) >= sizeof(m->filter_text))
		return -1;
	strcpy(m->filter_text, expr);
	filter_parse(&m->filter, expr);
	m->view_stale = true;
	return 0;
}

const char *
tui_model_filter(const struct tui_model *m)
{
	return m->filter_text;
}

void
tui_model_set_problems_only(struct tui_model *m, bool on)
{
	m->problems_only = on;
	m->view_stale = true;
}

bool
tui_model_problems_only(const struct tui_model *m)
{
	return m->problems_only;
}

void
tui_model_set_paused(struct tui_model *m, bool on)
{
	if (on == m->paused)
		return;
	/* Frozen as of now: bring the view up to date before it stops. */
	if (on && (m->view_stale || m->data_changed))
		view_rebuild(m);
	m->paused = on;
	free(m->frozen_ports);
	m->frozen_ports = NULL;
	m->n_frozen_ports = 0;
	m->ports_frozen = false;
	if (on) {
		size_t n;
		const struct summary_row *p = summary_ports(m->sum, &n);

		m->frozen_ports = malloc((n ? n : 1) * sizeof(*p));
		if (m->frozen_ports) {
			if (n)
				memcpy(m->frozen_ports, p, n * sizeof(*p));
			m->n_frozen_ports = n;
			m->ports_frozen = true;
		}
		/* The view keeps what it holds now: later adds leave it alone. */
	} else {
		m->view_stale = true;
	}
}

bool
tui_model_paused(const struct tui_model *m)
{
	return m->paused;
}

/* Worst first, for TUI_SORT_VERDICT. */
static int
verdict_rank(enum verdict v)
{
	switch (v) {
	case VERDICT_DOWNGRADED:
		return 0;
	case VERDICT_TLS_FAILED:
		return 1;
	case VERDICT_CLEARTEXT:
		return 2;
	case VERDICT_UNKNOWN:
		return 3;
	case VERDICT_STARTTLS:
		return 4;
	case VERDICT_IMPLICIT_TLS:
		return 5;
	case VERDICT_COUNT:
		break;
	}
	return 6;
}

static int
cmp_newest(const void *a, const void *b)
{
	const struct tui_row *x = *(const struct tui_row *const *)a;
	const struct tui_row *y = *(const struct tui_row *const *)b;

	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

static int
cmp_start(const void *a, const void *b)
{
	const struct tui_row *x = *(const struct tui_row *const *)a;
	const struct tui_row *y = *(const struct tui_row *const *)b;

	if (x->ts_first_us != y->ts_first_us)
		return x->ts_first_us < y->ts_first_us ? 1 : -1;
	return cmp_newest(a, b);
}

static int
cmp_server(const void *a, const void *b)
{
	const struct tui_row *x = *(const struct tui_row *const *)a;
	const struct tui_row *y = *(const struct tui_row *const *)b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->server_ip, y->server_ip, 16);
	if (c)
		return c;
	if (x->server_port != y->server_port)
		return x->server_port < y->server_port ? -1 : 1;
	return cmp_newest(a, b);
}

static int
cmp_verdict(const void *a, const void *b)
{
	const struct tui_row *x = *(const struct tui_row *const *)a;
	const struct tui_row *y = *(const struct tui_row *const *)b;
	int rx = verdict_rank(x->verdict), ry = verdict_rank(y->verdict);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if ((x->alerts != 0) != (y->alerts != 0))
		return x->alerts ? -1 : 1;
	return cmp_newest(a, b);
}

static int
cmp_service(const void *a, const void *b)
{
	const struct tui_row *x = *(const struct tui_row *const *)a;
	const struct tui_row *y = *(const struct tui_row *const *)b;
	int c = strcmp(x->service, y->service);

	return c ? c : cmp_newest(a, b);
}

/* Grows an array to hold want items; false (array unchanged) when out of
 * memory. */
static bool
array_fit(void **p, size_t *cap, size_t want, size_t size)
{
	void *np;

	if (want <= *cap)
		return true;
	np = realloc(*p, want * size);
	if (!np)
		return false;
	*p = np;
	*cap = want;
	return true;
}

static void
view_rebuild(struct tui_model *m)
{
	static int (*const cmps[TUI_SORT_COUNT])(const void *, const void *) = {
		[TUI_SORT_NEWEST] = cmp_newest,	  [TUI_SORT_START] = cmp_start,
		[TUI_SORT_SERVER] = cmp_server,	  [TUI_SORT_VERDICT] = cmp_verdict,
		[TUI_SORT_SERVICE] = cmp_service,
	};
	uint64_t total = m->rows.total, kept = ring_kept(&m->rows);
	size_t n = 0, room;

	/* The arrays follow the rings' size; short of memory, the view holds
	 * the newest that fit. */
	array_fit((void **)&m->sort_buf, &m->sort_cap, (size_t)kept, sizeof(*m->sort_buf));
	array_fit((void **)&m->view_rows, &m->view_rows_cap, (size_t)kept, sizeof(*m->view_rows));
	room = m->sort_cap < m->view_rows_cap ? m->sort_cap : m->view_rows_cap;
	/* Newest first: that is the default order already. */
	for (uint64_t seq = total; seq > total - kept && n < room; seq--) {
		const struct tui_row *r = ring_get(&m->rows, seq);

		if (!r || (m->problems_only && !tui_row_is_problem(r)) ||
		    !filter_row(&m->filter, r))
			continue;
		m->sort_buf[n++] = r;
	}
	if (m->sort != TUI_SORT_NEWEST && n > 1)
		qsort(m->sort_buf, n, sizeof(*m->sort_buf), cmps[m->sort]);
	for (size_t i = 0; i < n; i++)
		m->view_rows[i] = m->sort_buf[i]->seq;
	m->n_view_rows = n;

	total = m->alerts.total;
	kept = ring_kept(&m->alerts);
	n = 0;
	array_fit((void **)&m->view_alerts, &m->view_alerts_cap, (size_t)kept,
		  sizeof(*m->view_alerts));
	for (uint64_t seq = total; seq > total - kept && n < m->view_alerts_cap; seq--) {
		const struct tui_alert *a = ring_get(&m->alerts, seq);

		if (a && filter_alert(&m->filter, a))
			m->view_alerts[n++] = seq;
	}
	m->n_view_alerts = n;
	m->view_stale = false;
	m->data_changed = false;
}

static void
view_refresh(struct tui_model *m)
{
	if (m->view_stale || (m->data_changed && !m->paused))
		view_rebuild(m);
}

size_t
tui_model_rows(struct tui_model *m)
{
	view_refresh(m);
	return m->n_view_rows;
}

const struct tui_row *
tui_model_row(struct tui_model *m, size_t i)
{
	view_refresh(m);
	if (i >= m->n_view_rows)
		return NULL;
	return ring_get(&m->rows, m->view_rows[i]);
}

size_t
tui_model_alerts(struct tui_model *m)
{
	view_refresh(m);
	return m->n_view_alerts;
}

const struct tui_alert *
tui_model_alert(struct tui_model *m, size_t i)
{
	view_refresh(m);
	if (i >= m->n_view_alerts)
		return NULL;
	return ring_get(&m->alerts, m->view_alerts[i]);
}

const struct tui_row *
tui_model_find_row(const struct tui_model *m, uint64_t session_id)
{
	uint64_t total = m->rows.total, kept = ring_kept(&m->rows);

	/* Newest first: a session id is unique, and recent ones are asked for. */
	for (uint64_t seq = total; seq > total - kept; seq--) {
		const struct tui_row *r = ring_get(&m->rows, seq);

		if (r && r->id == session_id)
			return r;
	}
	return NULL;
}

const struct tui_alert *
tui_model_find_alert(const struct tui_model *m, uint64_t seq)
{
	return ring_get(&m->alerts, seq);
}

/* ---- Detail text ------------------------------------------------------------------ */

void
tui_text_free(struct tui_text *t)
{
	free(t->lines);
	memset(t, 0, sizeof(*t));
}

static void text_add(struct tui_text *t, enum tui_tone tone, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends a line; out of memory drops the line (the view shows less). */
static void
text_add(struct tui_text *t, enum tui_tone tone, const char *fmt, ...)
{
	va_list ap;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct tui_text_line *nl = realloc(t->lines, cap * sizeof(*nl));

		if (!nl)
			return;
		t->lines = nl;
		t->cap = cap;
	}
	t->lines[t->n].tone = tone;
	va_start(ap, fmt);
	vsnprintf(t->lines[t->n].text, sizeof(t->lines[t->n].text), fmt, ap);
	va_end(ap);
	t->n++;
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void
detail_upgrade(const struct tui_row *r, struct tui_text *t)
{
	text_add(t, TUI_TONE_HEADING, "Upgrade to TLS");
	if (r->capa_seen)
		text_add(t, TUI_TONE_NORMAL, "  capabilities  %s",
			 r->capa[0] ? r->capa : "(list seen; keywords not recorded)");
	else
		text_add(t, TUI_TONE_DIM, "  capabilities  (no capability list seen)");
	if (r->capa_seen)
		text_add(t, r->tls_offered ? TUI_TONE_GOOD : TUI_TONE_WARN, "  offered       %s",
			 yes_no(r->tls_offered));
	text_add(t, r->upgrade_requested ? TUI_TONE_GOOD : TUI_TONE_NORMAL, "  requested     %s",
		 yes_no(r->upgrade_requested));
	if (r->upgrade_accepted)
		text_add(t, TUI_TONE_GOOD, "  answer        accepted%s%s%s",
			 r->upgrade_reply[0] ? ": \"" : "", r->upgrade_reply,
			 r->upgrade_reply[0] ? "\"" : "");
	else if (r->upgrade_refused)
		text_add(t, TUI_TONE_BAD, "  answer        refused%s%s%s",
			 r->upgrade_reply[0] ? ": \"" : "", r->upgrade_reply,
			 r->upgrade_reply[0] ? "\"" : "");
	else if (r->upgrade_requested)
		text_add(t, TUI_TONE_WARN, "  answer        none seen");
	if (r->auth_cleartext_offered)
		text_add(t, TUI_TONE_WARN, "  note          password logins offered before TLS");
}

static void
detail_tls(const struct tui_row *r, struct tui_text *t)
{
	char b1[8], b2[8];

	text_add(t, TUI_TONE_HEADING, "TLS");
	if (!r->client_hello && !r->server_hello) {
		text_add(t, TUI_TONE_DIM, "  (no TLS handshake seen)");
		return;
	}
	if (r->server_hello)
		text_add(t, TUI_TONE_NORMAL, "  version       %s",
			 tls_version_name(r->tls_version, b1));
	if (r->client_hello)
		text_add(t, TUI_TONE_NORMAL, "  client max    %s%s",
			 tls_version_name(r->client_max_version, b2),
			 r->sslv2_hello ? " (SSLv2-format hello)" : "");
	if (r->server_hello)
		text_add(t, TUI_TONE_NORMAL, "  cipher        %s",
			 tls_cipher_name(r->tls_cipher, b1));
	if (r->sni[0])
		text_add(t, TUI_TONE_NORMAL, "  sni           %s", r->sni);
	if (r->alpn_selected[0])
		text_add(t, TUI_TONE_NORMAL, "  alpn          %s (offered %s)", r->alpn_selected,
			 r->alpn[0] ? r->alpn : "-");
	else if (r->alpn[0])
		text_add(t, TUI_TONE_NORMAL, "  alpn offered  %s", r->alpn);
	text_add(t, r->established ? TUI_TONE_GOOD : TUI_TONE_WARN, "  handshake     %s",
		 r->established ? "completed" : "not completed");
	if (r->tls_alert) {
		const char *name = tls_alert_name(r->tls_alert_desc);

		text_add(t, r->tls_alert_level == 2 ? TUI_TONE_BAD : TUI_TONE_WARN,
			 "  alert         %s (%s, from the %s)", name ? name : "?",
			 r->tls_alert_level == 2 ? "fatal" : "warning",
			 r->tls_alert_dir == DIR_C2S ? "client" : "server");
	}
}

static void
detail_alerts(const struct tui_model *m, const struct tui_row *r, struct tui_text *t)
{
	uint64_t total = m->alerts.total, kept = ring_kept(&m->alerts);
	uint32_t shown = 0;

	text_add(t, TUI_TONE_HEADING, "Alerts");
	for (uint64_t seq = total; seq > total - kept; seq--) {
		const struct tui_alert *a = ring_get(&m->alerts, seq);

		if (!a || a->a.session_id != r->id)
			continue;
		shown |= 1u << a->a.kind;
		text_add(t, a->a.severity == SEVERITY_LOW ? TUI_TONE_WARN : TUI_TONE_BAD,
			 "  ! %-6s %-27s %s", severity_name(a->a.severity),
			 alert_kind_name(a->a.kind), a->a.evidence);
	}
	for (int k = 0; k < ALERT_KIND_COUNT; k++)
		if ((r->alerts & (1u << k)) && !(shown & (1u << k)))
			text_add(t, TUI_TONE_BAD, "  ! %-6s %-27s (evidence no longer kept)", "",
				 alert_kind_name((enum alert_kind)k));
	if (!r->alerts && !shown)
		text_add(t, TUI_TONE_DIM, "  (none)");
}

static void
detail_row(const struct tui_model *m, const struct tui_row *r, struct tui_text *t)
{
	char ts[40], te[40];
	const char *reason = reason_name(r->reason);

	sink_format_time(r->ts_first_us, ts, sizeof(ts));
	sink_format_time(r->ts_last_us, te, sizeof(te));
	text_add(t, tui_verdict_tone(r->verdict), "Session #%" PRIu64 "  %s  %c %s%s%s", r->id,
		 r->service, tui_verdict_marker(r->verdict), verdict_name(r->verdict),
		 reason ? "/" : "", reason ? reason : "");
	text_add(t, TUI_TONE_NORMAL, "  client        %s", r->client);
	text_add(t, TUI_TONE_NORMAL, "  server        %s", r->server);
	text_add(t, TUI_TONE_NORMAL, "  started       %s", ts);
	text_add(t, TUI_TONE_NORMAL, "  ended         %s  (%s, %.3f s)", te,
		 session_end_name(r->end),
		 r->ts_last_us > r->ts_first_us ? (double)(r->ts_last_us - r->ts_first_us) / 1e6
						: 0.0);
	text_add(t, TUI_TONE_NORMAL,
		 "  traffic       %" PRIu64 " packets, %" PRIu64 " bytes client>server, %" PRIu64
		 " bytes server>client",
		 r->packets, r->bytes[DIR_C2S], r->bytes[DIR_S2C]);
	if (r->midstream || r->gap)
		text_add(t, TUI_TONE_DIM, "  capture       %s%s%s",
			 r->midstream ? "picked up midstream" : "",
			 r->midstream && r->gap ? "; " : "", r->gap ? "bytes missing (gap)" : "");
	if (r->ndpi[0])
		text_add(t, TUI_TONE_NORMAL, "  nDPI          %s", r->ndpi);
	text_add(t, TUI_TONE_NORMAL, "%s", "");
	detail_upgrade(r, t);
	text_add(t, TUI_TONE_NORMAL, "%s", "");
	detail_tls(r, t);
	text_add(t, TUI_TONE_NORMAL, "%s", "");
	text_add(t, TUI_TONE_HEADING, "Logins in cleartext");
	for (size_t i = 0; i < r->n_logins; i++) {
		const struct tui_login *l = &r->logins[i];

		text_add(t, TUI_TONE_BAD, "  %-10s user=%s%s %s", l->mechanism,
			 l->username[0] ? l->username : "?",
			 l->has_secret ? " secret=********" : "", login_outcome_name(l->outcome));
	}
	if (r->logins_dropped)
		text_add(t, TUI_TONE_BAD, "  ... and %" PRIu32 " more", r->logins_dropped);
	if (!r->n_logins && !r->logins_dropped)
		text_add(t, TUI_TONE_DIM, "  (none)");
	text_add(t, TUI_TONE_NORMAL, "%s", "");
	detail_alerts(m, r, t);
	if (r->evidence[0]) {
		text_add(t, TUI_TONE_NORMAL, "%s", "");
		text_add(t, TUI_TONE_HEADING, "Evidence");
		text_add(t, TUI_TONE_BAD, "  %s", r->evidence);
	}
}

int
tui_model_detail_session(const struct tui_model *m, uint64_t session_id, struct tui_text *out)
{
	const struct tui_row *r = tui_model_find_row(m, session_id);

	out->n = 0;
	if (!r)
		return -1;
	detail_row(m, r, out);
	return out->n ? 0 : -1;
}

int
tui_model_detail_alert(const struct tui_model *m, uint64_t alert_seq, struct tui_text *out)
{
	const struct tui_alert *ta = tui_model_find_alert(m, alert_seq);
	const struct alert *a;
	const struct tui_row *r;
	char ts[40];

	out->n = 0;
	if (!ta)
		return -1;
	a = &ta->a;
	sink_format_time(a->ts_us, ts, sizeof(ts));
	text_add(out, a->severity == SEVERITY_LOW ? TUI_TONE_WARN : TUI_TONE_BAD, "Alert  ! %s  %s",
		 severity_name(a->severity), alert_kind_name(a->kind));
	text_add(out, TUI_TONE_NORMAL, "  session       #%" PRIu64, a->session_id);
	text_add(out, TUI_TONE_NORMAL, "  time          %s", ts);
	text_add(out, TUI_TONE_NORMAL, "  server        %s  %s", ta->server, a->service);
	text_add(out, TUI_TONE_NORMAL, "  evidence      %s", a->evidence[0] ? a->evidence : "-");
	text_add(out, TUI_TONE_NORMAL, "%s", "");
	r = tui_model_find_row(m, a->session_id);
	if (r)
		detail_row(m, r, out);
	else
		text_add(out, TUI_TONE_DIM, "(session #%" PRIu64 " is no longer kept)",
			 a->session_id);
	return out->n ? 0 : -1;
}
