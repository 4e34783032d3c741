/*
 * summary.c - aggregates of finished sessions (see summary.h). Each view's
 * rows live in a growable array indexed by a small open-addressing hash;
 * the client and user views stop adding rows at their limit and count the
 * rest in one "others" row.
 */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

/* One view: rows of elem bytes, found by key (hash and same), listed in
 * cmp's order. */
struct row_set {
	size_t elem;
	uint32_t (*hash)(const void *row);
	bool (*same)(const void *a, const void *b);
	int (*cmp)(const void *a, const void *b);
	char *rows;
	size_t n, cap;
	size_t max;	 /* rows kept at most; 0: no limit */
	uint32_t *index; /* 1-based row numbers, 0 = empty */
	uint32_t *tags;	 /* the hash of each index slot's row: most misses
			  * (a full client table on a flood) touch no row */
	size_t index_size;
	bool sorted;
};

struct timeline {
	uint64_t origin_us, width_us;
	size_t n;
	struct summary_bucket b[SUMMARY_BUCKETS];
};

struct summary {
	struct row_set ports, servers, clients, users;
	struct summary_client clients_others;
	struct summary_user users_others;
	struct timeline time;
};

/* ---- keys ---- */

static uint32_t
fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

#define FNV_START 2166136261u

static uint32_t
row_hash(const void *row)
{
	const struct summary_row *k = row;
	uint32_t h = fnv(FNV_START, k->ip, 16);

	h = fnv(h, &k->port, sizeof(k->port));
	h = fnv(h, &k->family, 1);
	return fnv(h, &k->l4, 1);
}

static bool
row_same(const void *pa, const void *pb)
{
	const struct summary_row *a = pa, *b = pb;

	return a->family == b->family && a->port == b->port && a->l4 == b->l4 &&
	       memcmp(a->ip, b->ip, 16) == 0;
}

static int
addr_cmp(uint8_t fa, const uint8_t *a, uint8_t fb, const uint8_t *b)
{
	if (fa != fb)
		return fa - fb;
	return memcmp(a, b, 16);
}

static int
row_cmp(const void *pa, const void *pb)
{
	const struct summary_row *x = pa, *y = pb;
	int c = addr_cmp(x->family, x->ip, y->family, y->ip);

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->l4 - y->l4;
}

static uint32_t
client_hash(const void *row)
{
	const struct summary_client *k = row;

	return fnv(fnv(FNV_START, k->ip, 16), &k->family, 1);
}

static bool
client_same(const void *pa, const void *pb)
{
	const struct summary_client *a = pa, *b = pb;

	return a->family == b->family && memcmp(a->ip, b->ip, 16) == 0;
}

static int
client_cmp(const void *pa, const void *pb)
{
	const struct summary_client *x = pa, *y = pb;

	return addr_cmp(x->family, x->ip, y->family, y->ip);
}

static uint32_t
user_hash(const void *row)
{
	const struct summary_user *k = row;
	uint32_t h = fnv(FNV_START, k->user, strlen(k->user));

	h = fnv(h, k->service, strlen(k->service));
	h = fnv(h, k->ip, 16);
	h = fnv(h, &k->port, sizeof(k->port));
	h = fnv(h, &k->family, 1);
	return fnv(h, &k->l4, 1);
}

static bool
user_same(const void *pa, const void *pb)
{
	const struct summary_user *a = pa, *b = pb;

	return a->family == b->family && a->port == b->port && a->l4 == b->l4 &&
	       memcmp(a->ip, b->ip, 16) == 0 && strcmp(a->user, b->user) == 0 &&
	       strcmp(a->service, b->service) == 0;
}

static int
user_cmp(const void *pa, const void *pb)
{
	const struct summary_user *x = pa, *y = pb;
	int c = strcmp(x->user, y->user);

	if (c)
		return c;
	c = strcmp(x->service, y->service);
	if (c)
		return c;
	c = addr_cmp(x->family, x->ip, y->family, y->ip);
	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->l4 - y->l4;
}

/* ---- row sets ---- */

static void
row_set_init(struct row_set *rs, size_t elem, uint32_t (*hash)(const void *),
	     bool (*same)(const void *, const void *), int (*cmp)(const void *, const void *))
{
	rs->elem = elem;
	rs->hash = hash;
	rs->same = same;
	rs->cmp = cmp;
}

static void *
row_at(const struct row_set *rs, size_t i)
{
	return rs->rows + i * rs->elem;
}

static int
row_set_rehash(struct row_set *rs, size_t size)
{
	uint32_t *idx = calloc(size, sizeof(*idx)), *tags = malloc(size * sizeof(*tags));

	if (!idx || !tags) {
		free(idx);
		free(tags);
		return -1;
	}
	free(rs->index);
	free(rs->tags);
	rs->index = idx;
	rs->tags = tags;
	rs->index_size = size;
	for (size_t i = 0; i < rs->n; i++) {
		uint32_t h = rs->hash(row_at(rs, i));
		size_t j = h & (size - 1);

		while (idx[j])
			j = (j + 1) & (size - 1);
		idx[j] = (uint32_t)(i + 1);
		tags[j] = h;
	}
	return 0;
}

/* Finds the row with key k, or adds it (a copy of k) when the set is below
 * its limit. NULL when it is full or out of memory; *full says which. */
static void *
row_set_get(struct row_set *rs, const void *k, bool *full)
{
	size_t j;
	uint32_t h;

	*full = false;
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
	h = rs->hash(k);
	j = h & (rs->index_size - 1);
	while (rs->index[j]) {
		void *r = row_at(rs, rs->index[j] - 1);

		if (rs->tags[j] == h && rs->same(r, k))
			return r;
		j = (j + 1) & (rs->index_size - 1);
	}
	if (rs->max && rs->n >= rs->max) {
		*full = true;
		return NULL;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 32;
		char *rows;

		if (rs->max && cap > rs->max)
			cap = rs->max;
		rows = realloc(rs->rows, cap * rs->elem);
		if (!rows)
			return NULL;
		rs->rows = rows;
		rs->cap = cap;
	}
	memcpy(row_at(rs, rs->n), k, rs->elem);
	rs->index[j] = (uint32_t)(rs->n + 1);
	rs->tags[j] = h;
	return row_at(rs, rs->n++);
}

static const void *
row_set_sorted(struct row_set *rs, size_t *n)
{
	if (!rs->sorted) {
		/* rows is NULL while empty, and qsort must not be given NULL. */
		if (rs->n > 1)
			qsort(rs->rows, rs->n, rs->elem, rs->cmp);
		rs->sorted = true; /* the index is rebuilt on the next add */
	}
	*n = rs->n;
	return rs->rows;
}

static void
row_set_free(struct row_set *rs)
{
	free(rs->rows);
	free(rs->index);
	free(rs->tags);
}

/* ---- the summary ---- */

struct summary *
summary_new(void)
{
	struct summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	row_set_init(&s->ports, sizeof(struct summary_row), row_hash, row_same, row_cmp);
	row_set_init(&s->servers, sizeof(struct summary_row), row_hash, row_same, row_cmp);
	row_set_init(&s->clients, sizeof(struct summary_client), client_hash, client_same,
		     client_cmp);
	row_set_init(&s->users, sizeof(struct summary_user), user_hash, user_same, user_cmp);
	s->clients.max = SUMMARY_CLIENTS_MAX;
	s->users.max = SUMMARY_USERS_MAX;
	return s;
}

void
summary_free(struct summary *s)
{
	if (!s)
		return;
	row_set_free(&s->ports);
	row_set_free(&s->servers);
	row_set_free(&s->clients);
	row_set_free(&s->users);
	free(s);
}

void
summary_set_limits(struct summary *sum, size_t max_clients, size_t max_users)
{
	sum->clients.max = max_clients ? max_clients : 1;
	sum->users.max = max_users ? max_users : 1;
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
	if (s->policy.source) {
		if (r->policy_sessions++ == 0)
			memcpy(r->policy_domain, s->policy.domain, sizeof(r->policy_domain));
		if (s->alerts & ALERTS_POLICY_VIOLATION)
			r->policy_violations++;
		if (s->policy.mta_sts > r->policy_mta_sts)
			r->policy_mta_sts = s->policy.mta_sts;
		if (s->policy.dane)
			r->policy_dane = true;
	}
	if (s->tunnel_depth && r->tunnelled++ == 0) {
		r->tunnel_depth = s->tunnel_depth;
		memcpy(r->tunnels, s->tunnels, sizeof(r->tunnels));
	}
	/* Name the row after the first identified service. */
	if (!r->service || strcmp(r->service, "unknown") == 0)
		r->service = s->service;
}

static void
client_count(struct summary_client *c, const struct session *s)
{
	c->sessions++;
	c->verdicts[s->verdict]++;
	c->logins += s->pf.n_logins;
	if (!s->pf.n_logins)
		return;
	for (int i = 0; i < SUMMARY_LOGIN_SERVICES; i++) {
		if (!c->by_service[i].service)
			c->by_service[i].service = s->service;
		if (strcmp(c->by_service[i].service, s->service) == 0) {
			c->by_service[i].logins += s->pf.n_logins;
			return;
		}
	}
	c->logins_other += s->pf.n_logins;
}

static void
user_count(struct summary_user *u, const struct login *l)
{
	u->logins++;
	if (l->outcome == LOGIN_SUCCESS)
		u->successes++;
	else if (l->outcome == LOGIN_FAILURE)
		u->failures++;
}

static int
summary_add_client(struct summary *sum, const struct session *s)
{
	struct summary_client k, *c;
	bool full;

	memset(&k, 0, sizeof(k));
	k.family = s->family;
	memcpy(k.ip, s->client_ip, 16);
	c = row_set_get(&sum->clients, &k, &full);
	client_count(c ? c : &sum->clients_others, s);
	return c || full ? 0 : -1;
}

static int
summary_add_users(struct summary *sum, const struct session *s)
{
	int rc = 0;

	for (size_t i = 0; i < s->pf.n_logins; i++) {
		const struct login *l = &s->pf.logins[i];
		struct summary_user k, *u;
		bool full;

		memset(&k, 0, sizeof(k));
		memcpy(k.user, l->username, sizeof(k.user));
		k.user[sizeof(k.user) - 1] = '\0';
		k.service = s->service;
		k.family = s->family;
		memcpy(k.ip, s->server_ip, 16);
		k.port = s->server_port;
		k.l4 = s->l4;
		u = row_set_get(&sum->users, &k, &full);
		user_count(u ? u : &sum->users_others, l);
		if (!u && !full)
			rc = -1;
	}
	return rc;
}

/* The next bucket width: each divides the next, so that buckets merge
 * whole, and below a day each divides a day, so that they start on round
 * times. */
static uint64_t
timeline_wider(uint64_t width_us)
{
	static const uint64_t steps_s[] = {1,	 2,    10,   30,    60,	   300,	 600,
					   1800, 3600, 7200, 21600, 43200, 86400};

	for (size_t i = 0; i + 1 < sizeof(steps_s) / sizeof(steps_s[0]); i++)
		if (width_us == steps_s[i] * 1000000)
			return steps_s[i + 1] * 1000000;
	return width_us * 2;
}

static void
timeline_add(struct timeline *t, uint64_t ts, enum verdict v)
{
	uint64_t lo = ts, hi = ts, width = t->width_us ? t->width_us : 1000000;
	size_t idx;

	if (t->n) {
		uint64_t end = t->origin_us + t->n * t->width_us - 1;

		lo = t->origin_us < ts ? t->origin_us : ts;
		hi = end > ts ? end : ts;
	}
	while (hi / width - lo / width + 1 > SUMMARY_BUCKETS)
		width = timeline_wider(width);
	if (!t->n || width != t->width_us || lo < t->origin_us) {
		struct timeline old = *t;

		memset(t, 0, sizeof(*t));
		t->width_us = width;
		t->origin_us = lo / width * width;
		/* Old buckets start at multiples of the old width, which
		 * divides the new one: each falls whole into a new bucket. */
		for (size_t i = 0; i < old.n; i++) {
			struct summary_bucket *b =
				&t->b[(old.b[i].start_us - t->origin_us) / width];

			b->sessions += old.b[i].sessions;
			for (int j = 0; j < VERDICT_COUNT; j++)
				b->verdicts[j] += old.b[i].verdicts[j];
		}
	}
	t->n = (size_t)(hi / width - t->origin_us / width + 1);
	for (size_t i = 0; i < t->n; i++)
		t->b[i].start_us = t->origin_us + i * width;
	idx = (size_t)((ts - t->origin_us) / width);
	t->b[idx].sessions++;
	t->b[idx].verdicts[v]++;
}

int
summary_add(struct summary *sum, const struct session *s)
{
	struct summary_row k, *r;
	bool full;
	int rc = 0;

	memset(&k, 0, sizeof(k));
	k.port = s->server_port;
	/* Data connections (ftp-data) use ephemeral ports: they are counted
	 * under their service's port, one row rather than one per transfer. */
	if (s->link && s->proto && s->proto->clear_ports[0])
		k.port = s->proto->clear_ports[0];
	k.l4 = s->l4;
	r = row_set_get(&sum->ports, &k, &full);
	if (!r)
		return -1;
	row_count(r, s);
	k.family = s->family;
	memcpy(k.ip, s->server_ip, 16);
	r = row_set_get(&sum->servers, &k, &full);
	if (!r)
		return -1;
	row_count(r, s);
	if (summary_add_client(sum, s) < 0)
		rc = -1;
	if (summary_add_users(sum, s) < 0)
		rc = -1;
	timeline_add(&sum->time, s->ts_first_us, s->verdict);
	return rc;
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

const struct summary_client *
summary_clients(struct summary *sum, size_t *n)
{
	return row_set_sorted(&sum->clients, n);
}

const struct summary_user *
summary_users(struct summary *sum, size_t *n)
{
	return row_set_sorted(&sum->users, n);
}

const struct summary_client *
summary_clients_others(const struct summary *sum)
{
	return sum->clients_others.sessions ? &sum->clients_others : NULL;
}

const struct summary_user *
summary_users_others(const struct summary *sum)
{
	return sum->users_others.logins ? &sum->users_others : NULL;
}

size_t
summary_clients_max(const struct summary *sum)
{
	return sum->clients.max;
}

size_t
summary_users_max(const struct summary *sum)
{
	return sum->users.max;
}

const struct summary_bucket *
summary_timeline(const struct summary *sum, size_t *n, uint64_t *width_us)
{
	*n = sum->time.n;
	*width_us = sum->time.width_us;
	return sum->time.b;
}

double
summary_verdicts_share(const uint64_t *verdicts, uint64_t sessions)
{
	if (sessions == 0)
		return 0;
	return (double)(verdicts[VERDICT_IMPLICIT_TLS] + verdicts[VERDICT_STARTTLS]) /
	       (double)sessions;
}

double
summary_encrypted_share(const struct summary_row *r)
{
	return summary_verdicts_share(r->verdicts, r->sessions);
}

const char *
summary_offer_name(const struct summary_row *r)
{
	if (r->tls_offered && r->tls_not_offered)
		return "some";
	if (r->tls_offered)
		return "yes";
	if (r->tls_not_offered)
		return "no";
	return "-";
}
