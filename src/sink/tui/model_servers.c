/*
 * model_servers.c - the dashboard's servers view and its encrypted share
 * over time (see tui_model.h): the per-server rows of src/summary.c (the
 * text report's "Per server" table, so the two cannot disagree) in the
 * view's order, problems first by default, and the sessions-over-time
 * buckets the HTML report draws, turned into the marks of a sparkline.
 *
 * Both are read from the summary on each call, cheap next to drawing
 * (servers are few); a pause freezes them as of that moment, like the
 * per-port rows (tui_model_servers_freeze), until the sort is changed.
 */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* ---- Servers ------------------------------------------------------------------- */

static const char *const server_sort_names[TUI_SERVERS_SORT_COUNT] = {
	[TUI_SERVERS_PROBLEMS] = "problems first",
	[TUI_SERVERS_SESSIONS] = "sessions",
	[TUI_SERVERS_ENCRYPTED] = "least encrypted",
	[TUI_SERVERS_ADDRESS] = "address",
};

const char *
tui_server_sort_name(enum tui_server_sort sort)
{
	return sort < TUI_SERVERS_SORT_COUNT ? server_sort_names[sort] : "?";
}

void
tui_model_set_server_sort(struct tui_model *m, enum tui_server_sort sort)
{
	if (sort >= TUI_SERVERS_SORT_COUNT)
		sort = TUI_SERVERS_PROBLEMS;
	m->server_sort = sort;
	m->servers_valid = false;
}

enum tui_server_sort
tui_model_server_sort(const struct tui_model *m)
{
	return m->server_sort;
}

bool
tui_server_is_problem(const struct summary_row *r)
{
	return r->verdicts[VERDICT_DOWNGRADED] || r->verdicts[VERDICT_TLS_FAILED] ||
	       r->verdicts[VERDICT_CLEARTEXT] || r->logins || r->alerts || r->policy_violations;
}

/* More first. */
static int
more_first(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int
by_address(const struct summary_row *x, const struct summary_row *y)
{
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->ip, y->ip, sizeof(x->ip));
	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (int)x->l4 - (int)y->l4;
}

static int
by_share(const struct summary_row *x, const struct summary_row *y)
{
	double a = summary_encrypted_share(x), b = summary_encrypted_share(y);

	return a < b ? -1 : a > b ? 1 : 0;
}

int
tui_server_cmp_problems(const void *pa, const void *pb)
{
	const struct summary_row *x = pa, *y = pb;
	int c;

	if ((c = more_first(x->policy_violations, y->policy_violations)))
		return c;
	if ((c = more_first(x->verdicts[VERDICT_DOWNGRADED], y->verdicts[VERDICT_DOWNGRADED])))
		return c;
	if ((c = more_first(x->logins, y->logins)))
		return c;
	if ((c = more_first(x->verdicts[VERDICT_TLS_FAILED] + x->verdicts[VERDICT_CLEARTEXT],
			    y->verdicts[VERDICT_TLS_FAILED] + y->verdicts[VERDICT_CLEARTEXT])))
		return c;
	if ((c = more_first(x->alerts, y->alerts)))
		return c;
	if ((c = by_share(x, y)))
		return c;
	if ((c = more_first(x->sessions, y->sessions)))
		return c;
	return by_address(x, y);
}

static int
cmp_sessions(const void *pa, const void *pb)
{
	const struct summary_row *x = pa, *y = pb;
	int c = more_first(x->sessions, y->sessions);

	return c ? c : by_address(x, y);
}

static int
cmp_encrypted(const void *pa, const void *pb)
{
	const struct summary_row *x = pa, *y = pb;
	int c = by_share(x, y);

	return c ? c : tui_server_cmp_problems(pa, pb);
}

static int
cmp_address(const void *pa, const void *pb)
{
	return by_address(pa, pb);
}

/* Copies the summary's server rows into m->servers in the view's order;
 * servers_valid stays false when out of memory. */
static void
servers_read(struct tui_model *m)
{
	static int (*const cmp[TUI_SERVERS_SORT_COUNT])(const void *, const void *) = {
		[TUI_SERVERS_PROBLEMS] = tui_server_cmp_problems,
		[TUI_SERVERS_SESSIONS] = cmp_sessions,
		[TUI_SERVERS_ENCRYPTED] = cmp_encrypted,
		[TUI_SERVERS_ADDRESS] = cmp_address,
	};
	const struct summary_row *rows;
	size_t count;

	m->servers_valid = false;
	if (m->ext_summary) {
		rows = m->ext_servers;
		count = m->n_ext_servers;
	} else {
		rows = summary_servers(m->sum, &count);
	}
	if (count > m->servers_cap) {
		size_t cap = m->servers_cap ? m->servers_cap : 16;
		struct summary_row *nr;

		while (cap < count)
			cap *= 2;
		nr = realloc(m->servers, cap * sizeof(*nr));
		if (!nr)
			return;
		m->servers = nr;
		m->servers_cap = cap;
	}
	if (count)
		memcpy(m->servers, rows, count * sizeof(*rows));
	if (count > 1)
		qsort(m->servers, count, sizeof(*m->servers), cmp[m->server_sort]);
	m->n_servers = count;
	m->servers_valid = true;
}

static void
timeline_read(struct tui_model *m)
{
	size_t count;
	uint64_t w;
	const struct summary_bucket *b = summary_timeline(m->sum, &count, &w);

	if (count > SUMMARY_BUCKETS)
		count = SUMMARY_BUCKETS;
	memcpy(m->timeline, b, count * sizeof(*b));
	m->n_timeline = count;
	m->timeline_width_us = w;
	m->timeline_valid = true;
}

void
tui_model_servers_freeze(struct tui_model *m)
{
	servers_read(m);
	timeline_read(m);
}

const struct summary_row *
tui_model_servers(struct tui_model *m, size_t *n)
{
	if (!m->paused || !m->servers_valid)
		servers_read(m);
	if (!m->servers_valid && m->ext_summary) {
		*n = m->n_ext_servers;
		return m->ext_servers;
	}
	if (!m->servers_valid) /* out of memory: the summary's own order */
		return summary_servers(m->sum, n);
	*n = m->n_servers;
	return m->servers;
}

/* ---- The encrypted share over time ----------------------------------------------- */

const struct summary_bucket *
tui_model_timeline(struct tui_model *m, size_t *n, uint64_t *width_us)
{
	if (!m->paused || !m->timeline_valid)
		timeline_read(m);
	*n = m->n_timeline;
	*width_us = m->timeline_width_us;
	return m->timeline;
}

int
tui_spark_level(uint64_t encrypted, uint64_t sessions, int levels)
{
	uint64_t span;

	if (sessions == 0)
		return -1;
	if (levels < 2)
		levels = 2;
	if (encrypted >= sessions)
		return levels - 1;
	if (encrypted == 0)
		return 0;
	/* Shares strictly between 0 and 1 get the levels strictly between:
	 * 1 + floor(share * (levels - 2)), in integers so that a share
	 * never lands on a level by rounding. */
	span = (uint64_t)(levels - 2);
	return 1 + (int)(encrypted * span / sessions);
}

size_t
tui_spark_compute(const struct summary_bucket *b, size_t n, uint64_t width_us, size_t max_marks,
		  int levels, struct tui_spark_mark *out, uint64_t *mark_us)
{
	size_t per, marks;

	*mark_us = width_us;
	if (n == 0 || max_marks == 0)
		return 0;
	per = (n + max_marks - 1) / max_marks;
	marks = (n + per - 1) / per;
	*mark_us = width_us * per;
	for (size_t i = 0; i < marks; i++) {
		struct tui_spark_mark *k = &out[i];

		memset(k, 0, sizeof(*k));
		for (size_t j = i * per; j < n && j < (i + 1) * per; j++) {
			k->sessions += b[j].sessions;
			k->encrypted += b[j].verdicts[VERDICT_IMPLICIT_TLS] +
					b[j].verdicts[VERDICT_STARTTLS];
		}
		k->level = tui_spark_level(k->encrypted, k->sessions, levels);
	}
	return marks;
}

/* A copy of n rows (never NULL unless out of memory). */
static struct summary_row *
rows_dup(const struct summary_row *rows, size_t n)
{
	struct summary_row *p = malloc((n ? n : 1) * sizeof(*p));

	if (p && n)
		memcpy(p, rows, n * sizeof(*p));
	return p;
}

int
tui_model_set_summary(struct tui_model *m, const struct summary_row *ports, size_t n_ports,
		      const struct summary_row *servers, size_t n_servers)
{
	struct summary_row *p = rows_dup(ports, n_ports), *s = rows_dup(servers, n_servers);

	if (!p || !s) {
		free(p);
		free(s);
		return -1;
	}
	free(m->ext_ports);
	free(m->ext_servers);
	m->ext_ports = p;
	m->n_ext_ports = n_ports;
	m->ext_servers = s;
	m->n_ext_servers = n_servers;
	m->ext_summary = true;
	m->data_changed = true;
	return 0;
}
