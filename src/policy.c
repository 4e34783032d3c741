/*
 * policy.c - the tables of the mail policy module: the records learned
 * (MX, addresses, CNAMEs, MTA-STS and TLSRPT announcements, TLSA), their
 * hash index, storing with expiry and eviction, and the lookups the
 * judgement makes. The what and why are in include/policy.h; what the
 * files of the module share, and the storage, in src/policy_internal.h;
 * the alert rules in docs/indicators.md.
 */
#include "policy_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- Names ------------------------------------------------------------------ */

uint32_t
pol_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* ---- The index ------------------------------------------------------------------- */

static bool
pol_by_value(enum pol_kind k)
{
	return k == PK_MX || k == PK_CNAME || k == PK_ADDR;
}

uint32_t
pol_addr_hash(uint8_t family, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ family;

	for (int i = 0; i < (family == 6 ? 16 : 4); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static uint32_t
pol_val_hash(enum pol_kind k, const struct pol_entry *e)
{
	return k == PK_ADDR ? pol_addr_hash(e->family, e->v.addr) : pol_hash(e->v.host);
}

/* Chains are doubly linked (slot + 1 both ways, 0 ends): many records
 * may share a value (a flood's answers all naming one address), and a
 * slot leaves its chains without a walk along them. */
static void
pol_chain_add(uint32_t *head, uint32_t *next, uint32_t *prev, uint32_t b, size_t slot)
{
	next[slot] = head[b];
	prev[slot] = 0;
	if (head[b])
		prev[head[b] - 1] = (uint32_t)slot + 1;
	head[b] = (uint32_t)slot + 1;
}

static void
pol_chain_del(uint32_t *head, uint32_t *next, uint32_t *prev, uint32_t b, size_t slot)
{
	if (prev[slot])
		next[prev[slot] - 1] = next[slot];
	else
		head[b] = next[slot];
	if (next[slot])
		prev[next[slot] - 1] = prev[slot];
}

/* Takes slot i off its chains (before it is overwritten). */
static void
pol_unindex(struct pol_table *t, enum pol_kind k, size_t i)
{
	if (!t->indexed[i])
		return;
	pol_chain_del(t->name_head, t->name_next, t->name_prev, t->e[i].hash & t->mask, i);
	if (pol_by_value(k))
		pol_chain_del(t->val_head, t->val_next, t->val_prev,
			      pol_val_hash(k, &t->e[i]) & t->mask, i);
	t->indexed[i] = 0;
}

/* Puts slot i on its chains (after it was written). */
static void
pol_index(struct pol_table *t, enum pol_kind k, size_t i)
{
	pol_chain_add(t->name_head, t->name_next, t->name_prev, t->e[i].hash & t->mask, i);
	if (pol_by_value(k))
		pol_chain_add(t->val_head, t->val_next, t->val_prev,
			      pol_val_hash(k, &t->e[i]) & t->mask, i);
	t->indexed[i] = 1;
}

/* Slot i's expiry becomes v: its block's lower bound follows it down. */
static void
pol_set_expiry(struct pol_table *t, size_t i, uint64_t v)
{
	t->e[i].expires_us = v;
	if (v != 0 && v < t->exp_min[i / POL_BLOCK])
		t->exp_min[i / POL_BLOCK] = v;
}

/* Overwrites slot i with in, keeping the index right. */
static void
pol_slot_write(struct pol_table *t, enum pol_kind k, size_t i, const struct pol_entry *in)
{
	pol_unindex(t, k, i);
	t->e[i] = *in;
	pol_set_expiry(t, i, in->expires_us);
	pol_index(t, k, i);
}

void
pol_slot_clear(struct pol_table *t, size_t i)
{
	t->e[i].expires_us = 0;
	if (i < t->free_from)
		t->free_from = i;
}

/* The lowest free slot, or NULL when every slot is in use. */
static struct pol_entry *
pol_first_free(struct pol_table *t)
{
	while (t->free_from < t->cap && t->e[t->free_from].expires_us != 0)
		t->free_from++;
	return t->free_from < t->cap ? &t->e[t->free_from] : NULL;
}

/* The lowest slot expired before now, or NULL. A block whose bound is
 * below now is looked at slot by slot, and its bound made exact. */
static struct pol_entry *
pol_first_expired(struct pol_table *t, uint64_t now)
{
	size_t blocks = (t->cap + POL_BLOCK - 1) / POL_BLOCK;

	for (size_t b = 0; b < blocks; b++) {
		size_t end = (b + 1) * POL_BLOCK < t->cap ? (b + 1) * POL_BLOCK : t->cap;
		uint64_t low = UINT64_MAX;
		struct pol_entry *found = NULL;

		if (t->exp_min[b] >= now)
			continue;
		for (size_t i = b * POL_BLOCK; i < end; i++) {
			uint64_t x = t->e[i].expires_us;

			if (x == 0)
				continue;
			if (x < low)
				low = x;
			if (!found && x < now)
				found = &t->e[i];
		}
		t->exp_min[b] = low;
		if (found)
			return found;
	}
	return NULL;
}

static bool
pol_table_init(struct pol_table *t, size_t cap)
{
	size_t buckets = 16;

	while (buckets < 2 * cap)
		buckets *= 2;
	t->cap = cap;
	t->mask = (uint32_t)(buckets - 1);
	t->e = calloc(cap, sizeof(struct pol_entry));
	t->name_head = calloc(buckets, sizeof(uint32_t));
	t->val_head = calloc(buckets, sizeof(uint32_t));
	t->name_next = calloc(cap, sizeof(uint32_t));
	t->val_next = calloc(cap, sizeof(uint32_t));
	t->name_prev = calloc(cap, sizeof(uint32_t));
	t->val_prev = calloc(cap, sizeof(uint32_t));
	t->indexed = calloc(cap, 1);
	t->exp_min = malloc((cap + POL_BLOCK - 1) / POL_BLOCK * sizeof(uint64_t));
	if (t->exp_min)
		for (size_t b = 0; b < (cap + POL_BLOCK - 1) / POL_BLOCK; b++)
			t->exp_min[b] = UINT64_MAX;
	return t->e && t->name_head && t->val_head && t->name_next && t->val_next && t->name_prev &&
	       t->val_prev && t->indexed && t->exp_min;
}

static void
pol_table_free(struct pol_table *t)
{
	free(t->e);
	free(t->name_head);
	free(t->val_head);
	free(t->name_next);
	free(t->val_next);
	free(t->name_prev);
	free(t->val_prev);
	free(t->indexed);
	free(t->exp_min);
}

/* Copies a name lower case, without a final dot; false when it does not fit
 * or is empty. */
bool
pol_name(char *out, const char *in)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return true;
}

/* The name after a prefix ("_mta-sts.", "_smtp._tls."), or NULL. */
const char *
pol_after(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) == 0 && name[n] ? name + n : NULL;
}

/* ---- Tables ------------------------------------------------------------------- */

void
policy_limits_defaults(struct policy_limits *l)
{
	l->mx = 2048;
	l->addr = 4096;
	l->cname = 1024;
	l->sts = 1024;
	l->tlsrpt = 1024;
	l->tlsa = 1024;
}

struct policy *
policy_new(const struct policy_limits *lim)
{
	struct policy_limits d;
	struct policy *p = calloc(1, sizeof(*p));
	size_t caps[PK_COUNT];

	if (!p)
		return NULL;
	if (!lim) {
		policy_limits_defaults(&d);
		lim = &d;
	}
	caps[PK_MX] = lim->mx;
	caps[PK_ADDR] = lim->addr;
	caps[PK_CNAME] = lim->cname;
	caps[PK_STS] = lim->sts;
	caps[PK_TLSRPT] = lim->tlsrpt;
	caps[PK_TLSA] = lim->tlsa;
	for (int k = 0; k < PK_COUNT; k++)
		if (!pol_table_init(&p->t[k], caps[k] ? caps[k] : 1))
			goto fail;
	return p;
fail:
	policy_free(p);
	return NULL;
}

void
policy_free(struct policy *p)
{
	if (!p)
		return;
	for (int k = 0; k < PK_COUNT; k++)
		pol_table_free(&p->t[k]);
	free(p->file);
	free(p);
}

/* Is the entry the same record (key and value)? */
static bool
pol_same(enum pol_kind k, const struct pol_entry *a, const struct pol_entry *b)
{
	if (a->hash != b->hash || strcmp(a->name, b->name) != 0)
		return false;
	switch (k) {
	case PK_MX:
	case PK_CNAME:
		return strcmp(a->v.host, b->v.host) == 0;
	case PK_ADDR:
		return a->family == b->family &&
		       memcmp(a->v.addr, b->v.addr, a->family == 6 ? 16 : 4) == 0;
	case PK_TLSA:
		return a->port == b->port && memcmp(&a->v.tlsa, &b->v.tlsa, sizeof(a->v.tlsa)) == 0;
	case PK_STS:
	case PK_TLSRPT:
	case PK_COUNT:
		break;
	}
	return true;
}

/* A record this run learned from DNS, to whoever wants to know
 * (policy_on_learn). */
static void
pol_tell(struct policy *p, enum pol_kind k, struct pol_entry *e)
{
	struct policy_fact f;
	uint64_t ttl;

	if (!p->on_learn)
		return;
	e->told_us = e->expires_us;
	pol_to_fact(k, e, &f);
	ttl = e->expires_us > p->now_us ? (e->expires_us - p->now_us) / 1000000u : 0;
	if (ttl == 0)
		ttl = 1; /* the answer's own TTL was 0: a second, not forever */
	if (ttl > UINT32_MAX)
		ttl = UINT32_MAX;
	p->on_learn(p->on_learn_ctx, &f, (uint32_t)ttl);
}

/* A fact from --state or another sensor for a record already stored: it
 * may live longer; the earliest learning counts; a record of this run's
 * DNS stays this run's. */
static void
pol_merge(struct policy *p, enum pol_kind k, struct pol_entry *e, const struct pol_entry *in)
{
	uint64_t now = p->now_us > p->clock_us ? p->now_us : p->clock_us;

	if (e->expires_us < now) {
		/* the stored one had expired: the fact replaces it (the same
		 * name and value, pol_same: its chains stay right) */
		*e = *in;
		pol_set_expiry(&p->t[k], (size_t)(e - p->t[k].e), in->expires_us);
		p->st.facts_stored++;
		return;
	}
	if (in->learned_us < e->learned_us)
		e->learned_us = in->learned_us;
	if (in->expires_us > e->expires_us) {
		e->expires_us = in->expires_us;
		e->ad = in->ad;
		if (k == PK_STS)
			memcpy(e->v.host, in->v.host, sizeof(e->v.host));
	}
	p->st.facts_stored++;
}

/* Stores (or refreshes) one record; a full table gives up its oldest-placed
 * entry, counted. The slot is the one a scan of the table in slot order
 * would pick: the lowest holding the same record, else the lowest free,
 * else the lowest expired; the index and the bounds find it without the
 * scan (a DNS flood stores a record per answer). */
void
pol_put(struct policy *p, enum pol_kind k, const struct pol_entry *in)
{
	struct pol_table *t = &p->t[k];
	struct pol_entry *free_slot = NULL, *e = NULL;
	size_t best = t->cap;

	/* The lowest slot with the same record; for an answer from DNS, the
	 * lowest not yet expired. An expired one stays (reused only as any
	 * expired slot is) for the sessions it covered that are judged later
	 * (the front of --threads): moving its learned_us would hide it from
	 * them, so the answer is stored anew in a slot of its own. */
	for (uint32_t c = t->name_head[in->hash & t->mask]; c; c = t->name_next[c - 1]) {
		size_t i = c - 1;
		const struct pol_entry *x = &t->e[i];

		if (i >= best || x->expires_us == 0 || !pol_same(k, x, in))
			continue;
		if (in->origin == POLICY_SOURCE_DNS && x->expires_us < p->now_us)
			continue;
		best = i;
	}
	if (best < t->cap) {
		e = &t->e[best];
		if (in->origin != POLICY_SOURCE_DNS) {
			pol_merge(p, k, e, in);
			return;
		}
		/* An answer from before the newest DNS time seen (the times
		 * went back between capture files: in->learned_us is the
		 * answer's own time) changes nothing: it would shorten the
		 * life that sessions judged later count on. */
		if (in->learned_us < p->now_us)
			return;
		/* The newest answer decides (a later one without AD, a
		 * shorter TTL), as a cache would. Once expired, the record
		 * starts anew (above): a session that ended before this
		 * answer must not see it (whenever it is judged). Told again
		 * only when it changed, or when what was told has less than
		 * half of the new life left: the same answer repeated to many
		 * clients is told once. */
		bool retell = e->ad != in->ad || e->origin != POLICY_SOURCE_DNS ||
			      in->expires_us < e->told_us ||
			      (k == PK_STS && strcmp(e->v.host, in->v.host) != 0) ||
			      e->told_us < p->now_us + (in->expires_us - p->now_us) / 2;

		pol_set_expiry(t, best, in->expires_us);
		e->ad = in->ad;
		e->origin = POLICY_SOURCE_DNS;
		if (k == PK_STS)
			memcpy(e->v.host, in->v.host, sizeof(e->v.host));
		p->st.records_learned++;
		if (retell)
			pol_tell(p, k, e);
		return;
	}
	free_slot = pol_first_free(t);
	if (!free_slot) {
		free_slot = pol_first_expired(t, p->now_us);
		if (free_slot)
			p->st.expired_reused++;
	}
	if (!free_slot) {
		/* Full: the oldest-placed entry goes (round robin). */
		free_slot = &t->e[t->next];
		t->next = (t->next + 1) % t->cap;
		t->evicted++;
		p->st.evicted++;
	}
	pol_slot_write(t, k, (size_t)(free_slot - t->e), in);
	if (in->origin != POLICY_SOURCE_DNS) {
		p->st.facts_stored++;
		return; /* learned_us: when it was learned elsewhere */
	}
	/* After the times went back (capture files read in a row: the
	 * answer's time in->learned_us is before the latest packet time),
	 * just after the latest packet time: a session that ended before
	 * this answer was read must not see it (whenever it is judged). */
	uint64_t latest = p->now_us > p->clock_us ? p->now_us : p->clock_us;

	free_slot->learned_us = in->learned_us < latest ? latest + 1 : latest;
	p->st.records_learned++;
	pol_tell(p, k, free_slot);
}

/* Is the entry valid for a session from t to until: stored before the
 * session ended, not expired when it began? Entries stored later are not
 * looked at, so the judgement is the same whenever the session is judged
 * (at once, or later by the front of --threads). */
bool
pol_live(const struct pol_entry *e, uint64_t t, uint64_t until)
{
	return e->expires_us != 0 && e->expires_us >= t && e->learned_us <= until;
}

/* The first live entry of kind k named name at time t after *from (an
 * index, updated); NULL when none is left. */
const struct pol_entry *
pol_next(const struct policy *p, enum pol_kind k, const char *name, uint64_t t, size_t *from)
{
	uint64_t until = p->until_us;
	const struct pol_table *tb = &p->t[k];
	uint32_t h = pol_hash(name);
	size_t best = tb->cap;

	/* The lowest matching slot from *from on: a scan's order. */
	for (uint32_t c = tb->name_head[h & tb->mask]; c; c = tb->name_next[c - 1]) {
		size_t i = c - 1;
		const struct pol_entry *e = &tb->e[i];

		if (i < *from || i >= best || !pol_live(e, t, until) || e->hash != h ||
		    strcmp(e->name, name) != 0)
			continue;
		best = i;
	}
	if (best == tb->cap) {
		*from = tb->cap;
		return NULL;
	}
	*from = best + 1;
	return &tb->e[best];
}

/* The lowest slot after `after` (SIZE_MAX: from the start) of an MX or
 * CNAME table whose target host is one of hosts[0..n), live for t; cap
 * when none. */
size_t
pol_next_by_host(const struct policy *p, enum pol_kind k, char hosts[][POLICY_NAME_MAX], size_t n,
		 uint64_t t, size_t after)
{
	const struct pol_table *tb = &p->t[k];
	size_t best = tb->cap;

	for (size_t j = 0; j < n; j++) {
		uint32_t h = pol_hash(hosts[j]);

		for (uint32_t c = tb->val_head[h & tb->mask]; c; c = tb->val_next[c - 1]) {
			size_t i = c - 1;
			const struct pol_entry *e = &tb->e[i];

			if ((after != SIZE_MAX && i <= after) || i >= best ||
			    !pol_live(e, t, p->until_us) || strcmp(e->v.host, hosts[j]) != 0)
				continue;
			best = i;
		}
	}
	return best;
}

const struct pol_entry *
pol_find(const struct policy *p, enum pol_kind k, const char *name, uint64_t t)
{
	size_t from = 0;

	return pol_next(p, k, name, t, &from);
}

void
policy_stats_get(const struct policy *p, struct policy_stats *out)
{
	*out = p->st;
	out->evicted_mx = p->t[PK_MX].evicted;
	out->evicted_addr = p->t[PK_ADDR].evicted;
	out->evicted_cname = p->t[PK_CNAME].evicted;
	out->evicted_sts = p->t[PK_STS].evicted;
	out->evicted_tlsrpt = p->t[PK_TLSRPT].evicted;
	out->evicted_tlsa = p->t[PK_TLSA].evicted;
}
