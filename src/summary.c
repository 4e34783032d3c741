/*
 * summary.c - per-port and per-server aggregates (see summary.h). Rows live
 * in growable arrays indexed by a small open-addressing hash.
 */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

struct row_set {
	struct summary_row *rows;
	size_t n, cap;
	uint32_t *index; /* 1-based row numbers, 0 = empty */
	size_t index_size;
	bool sorted;
};

struct summary {
	struct row_set ports, servers;
};

struct summary *
summary_new(void)
{
	return calloc(1, sizeof(struct summary));
}

static void
row_set_free(struct row_set *rs)
{
	free(rs->rows);
	free(rs->index);
}

void
summary_free(struct summary *s)
{
	if (!s)
		return;
	row_set_free(&s->ports);
	row_set_free(&s->servers);
	free(s);
}

static uint32_t
row_hash(const struct summary_row *k)
{
	uint32_t h = 2166136261u;
	const uint8_t *p = k->ip;

	for (int i = 0; i < 16; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ k->port) * 16777619u;
	h = (h ^ k->family) * 16777619u;
	return (h ^ k->l4) * 16777619u;
}

static bool
row_same(const struct summary_row *a, const struct summary_row *b)
{
	return a->family == b->family && a->port == b->port && a->l4 == b->l4 &&
	       memcmp(a->ip, b->ip, 16) == 0;
}

static int
row_set_rehash(struct row_set *rs, size_t size)
{
	uint32_t *idx = calloc(size, sizeof(*idx));

	if (!idx)
		return -1;
	free(rs->index);
	rs->index = idx;
	rs->index_size = size;
	for (size_t i = 0; i < rs->n; i++) {
		size_t j = row_hash(&rs->rows[i]) & (size - 1);

		while (idx[j])
			j = (j + 1) & (size - 1);
		idx[j] = (uint32_t)(i + 1);
	}
	return 0;
}

/* Finds or adds the row with key k. */
static struct summary_row *
row_set_get(struct row_set *rs, const struct summary_row *k)
{
	size_t j;

	if (rs->sorted || (rs->n + 1) * 2 > rs->index_size) {
		/* Grow only for the load: a rebuild after a sort keeps the
		 * size, or sorting between adds would double it every time. */
		size_t size = rs->index_size ? rs->index_size : 64;

		while ((rs->n + 1) * 2 > size)
			size *= 2;
		if (row_set_rehash(rs, size) < 0)
			return NULL;
		rs->sorted = false;
	}
	j = row_hash(k) & (rs->index_size - 1);
	while (rs->index[j]) {
		struct summary_row *r = &rs->rows[rs->index[j] - 1];

		if (row_same(r, k))
			return r;
		j = (j + 1) & (rs->index_size - 1);
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 32;
		struct summary_row *rows = realloc(rs->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		rs->rows = rows;
		rs->cap = cap;
	}
	rs->rows[rs->n] = *k;
	rs->index[j] = (uint32_t)(rs->n + 1);
	return &rs->rows[rs->n++];
}

static void
row_count(struct summary_row *r, const struct session *s)
{
	r->sessions++;
	r->verdicts[s->verdict]++;
	r->logins += s->pf.n_logins;
	if (s->alerts)
		r->alerts++;
	if (s->pf.capa_seen && s->pf.tls_offered)
		r->tls_offered = true;
	if (s->pf.capa_seen && !s->pf.tls_offered)
		r->tls_not_offered = true;
	/* Name the row after the first identified service. */
	if (!r->service || strcmp(r->service, "unknown") == 0)
		r->service = s->service;
}

int
summary_add(struct summary *sum, const struct session *s)
{
	struct summary_row k, *r;

	memset(&k, 0, sizeof(k));
	k.port = s->server_port;
	/* Data connections (ftp-data) use ephemeral ports: they are counted
	 * under their service's port, one row rather than one per transfer. */
	if (s->link && s->proto && s->proto->clear_ports[0])
		k.port = s->proto->clear_ports[0];
	k.l4 = s->l4;
	r = row_set_get(&sum->ports, &k);
	if (!r)
		return -1;
	row_count(r, s);
	k.family = s->family;
	memcpy(k.ip, s->server_ip, 16);
	r = row_set_get(&sum->servers, &k);
	if (!r)
		return -1;
	row_count(r, s);
	return 0;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct summary_row *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family - y->family;
	c = memcmp(x->ip, y->ip, 16);
	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->l4 - y->l4;
}

static const struct summary_row *
row_set_sorted(struct row_set *rs, size_t *n)
{
	if (!rs->sorted) {
		/* rows is NULL while empty, and qsort must not be given NULL. */
		if (rs->n > 1)
			qsort(rs->rows, rs->n, sizeof(*rs->rows), row_cmp);
		rs->sorted = true; /* the index is rebuilt on the next add */
	}
	*n = rs->n;
	return rs->rows;
}

const struct summary_row *
summary_ports(struct summary *sum, size_t *n)
{
	return row_set_sorted(&sum->ports, n);
}

const struct summary_row *
summary_servers(struct summary *sum, size_t *n)
{
	return row_set_sorted(&sum->servers, n);
}

double
summary_encrypted_share(const struct summary_row *r)
{
	if (r->sessions == 0)
		return 0;
	return (double)(r->verdicts[VERDICT_IMPLICIT_TLS] + r->verdicts[VERDICT_STARTTLS]) /
	       (double)r->sessions;
}
