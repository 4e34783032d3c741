/*
 * model_view.c - the dashboard's view over its data (see tui_model.h): the
 * filter expression (parsed into terms when set, matched against a row's
 * fields and its lower-case "hay" of words), problems only, the sorts of
 * the sessions list, and pause, which freezes the view and the per-port
 * rows while the model keeps counting.
 *
 * The view is rebuilt lazily, on the first read after something changed:
 * new rows or alerts (unless paused) or a new sort, filter or problems-only
 * setting (even when paused).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_internal.h"

/* ---- Words, case-insensitive ------------------------------------------------------ */

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
tui_row_fill_hay(struct tui_row *r)
{
	char vbuf[8];

	snprintf(r->hay, sizeof(r->hay), "#%" PRIu64, r->id);
	hay_add(r->hay, r->service);
	hay_add(r->hay, tui_row_verdict_name(r));
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
	hay_add(r->hay, r->tunnel);
	hay_add(r->hay, r->policy.domain);
	hay_add(r->hay, r->sensor);
}

/* ---- Filter ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	enum term_key key;
} term_keys[] = {
	{"port:", TERM_PORT},	  {"service:", TERM_SERVICE}, {"verdict:", TERM_VERDICT},
	{"reason:", TERM_REASON}, {"ip:", TERM_IP},	      {"user:", TERM_USER},
	{"alert:", TERM_ALERT},	  {"server:", TERM_SERVER},   {"policy:", TERM_POLICY},
	{"tunnel:", TERM_TUNNEL}, {"sensor:", TERM_SENSOR},
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
		return prefix_ci(tui_row_verdict_name(r), t->val);
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
	case TERM_SERVER:
		return strcasecmp(r->server, t->val) == 0;
	case TERM_POLICY:
		if (!r->policy.source)
			return false;
		if (!t->val[0])
			return true;
		if (strcmp(t->val, "violated") == 0)
			return tui_row_policy_violated(r);
		if (strcmp(t->val, "dane") == 0)
			return r->policy.dane;
		if (strcmp(t->val, "mta-sts") == 0)
			return r->policy.mta_sts != STS_ABSENT && r->policy.mta_sts != STS_NONE;
		return contains_ci(r->policy.domain, t->val);
	case TERM_TUNNEL:
		return r->tunnel[0] && contains_ci(r->tunnel, t->val);
	case TERM_SENSOR:
		return strcasecmp(r->sensor, t->val) == 0;
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

/* Words about verdicts, reasons, users and tunnels say nothing about an
 * alert and leave the alerts list alone. */
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
	case TERM_SERVER:
		return strcasecmp(ta->server, t->val) == 0;
	case TERM_SENSOR:
		return strcasecmp(ta->sensor, t->val) == 0;
	case TERM_POLICY:
		/* The policy alerts (their evidence names the domain). */
		if (!tui_alert_is_policy(a->kind))
			return false;
		if (!t->val[0] || strcmp(t->val, "violated") == 0)
			return true;
		if (strcmp(t->val, "dane") == 0)
			return a->kind == ALERT_DANE_VIOLATION || a->kind == ALERT_DANE_MISMATCH;
		if (strcmp(t->val, "mta-sts") == 0)
			return a->kind == ALERT_MTA_STS_VIOLATION ||
			       a->kind == ALERT_CERT_SELF_SIGNED ||
			       a->kind == ALERT_MTA_STS_MX_MISMATCH;
		return contains_ci(a->evidence, t->val);
	case TERM_TUNNEL:
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

const char *
tui_row_verdict_name(const struct tui_row *r)
{
	return r->end == END_OPEN ? "open" : verdict_name(r->verdict);
}

bool
tui_alert_is_policy(enum alert_kind k)
{
	return (ALERTS_POLICY_VIOLATION & (1u << k)) != 0;
}

bool
tui_row_policy_violated(const struct tui_row *r)
{
	return (r->alerts & ALERTS_POLICY_VIOLATION) != 0;
}

bool
tui_row_is_problem(const struct tui_row *r)
{
	return r->verdict == VERDICT_CLEARTEXT || r->verdict == VERDICT_DOWNGRADED ||
	       r->verdict == VERDICT_TLS_FAILED || r->alerts != 0;
}

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
		tui_model_servers_freeze(m);
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

		if (!r || r->superseded || (m->problems_only && !tui_row_is_problem(r)) ||
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
