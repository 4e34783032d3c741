/*
 * flow.c - bidirectional flow table with an LRU list (see flow.h).
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

enum {
	FLOW_LIST_OPEN = 0,
	FLOW_LIST_CLOSED = 1,
	FLOW_LIST_UDP = 2,
	FLOW_LIST_DORMANT = 3,
};

/* The LRU list a flow is on. */
static int
flow_list(const struct flow *f)
{
	if (f->closed)
		return FLOW_LIST_CLOSED;
	if (f->dormant)
		return FLOW_LIST_DORMANT;
	return f->key.l4 == 17 ? FLOW_LIST_UDP : FLOW_LIST_OPEN;
}

struct flow_table {
	struct flow **buckets;
	size_t mask;
	size_t count;
	/* Four LRU lists, each oldest first: open TCP flows, closed flows that
	 * linger, open UDP flows, and established TCP sessions silent past the
	 * idle timeout (FLOW_LIST_*). Each list has one time limit, so expiry
	 * can stop at the first flow of a list that is not due, whatever the
	 * others hold. */
	struct flow *lru_head[4];
	struct flow *lru_tail[4];
	size_t lru_count[4]; /* flows on each list */
};

struct flow_table *
flow_table_new(size_t max_flows)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	size_t n = 1024;

	if (!t)
		return NULL;
	while (n < max_flows && n < ((size_t)1 << 26))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	return t;
}

void
flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t);
}

/* Mixes one 32-bit word into h (a multiply-xorshift step). */
static uint32_t
flow_mix(uint32_t h, uint32_t v)
{
	h ^= v * 0x9e3779b1u;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

static uint32_t
flow_endpoint_hash(const uint8_t *addr, size_t alen, uint16_t port)
{
	uint32_t h = port;

	for (size_t i = 0; i < alen; i += 4) {
		uint32_t w;

		memcpy(&w, addr + i, 4);
		h = flow_mix(h, w);
	}
	return h;
}

uint32_t
flow_key_hash(const struct flow_key *k)
{
	size_t alen = k->family == 6 ? 16 : 4;
	uint32_t a = flow_endpoint_hash(k->addr[0], alen, k->port[0]);
	uint32_t b = flow_endpoint_hash(k->addr[1], alen, k->port[1]);
	uint32_t h;

	/* Symmetric: combine the two endpoints in an order-free way. */
	h = (a ^ b) + (a < b ? a : b) * 31u + k->l4;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

static bool
flow_key_match(const struct flow_key *a, const struct flow_key *b, bool *reversed)
{
	size_t alen;

	if (a->family != b->family || a->l4 != b->l4)
		return false;
	alen = a->family == 6 ? 16 : 4;
	if (a->port[0] == b->port[0] && a->port[1] == b->port[1] &&
	    memcmp(a->addr[0], b->addr[0], alen) == 0 &&
	    memcmp(a->addr[1], b->addr[1], alen) == 0) {
		*reversed = false;
		return true;
	}
	if (a->port[0] == b->port[1] && a->port[1] == b->port[0] &&
	    memcmp(a->addr[0], b->addr[1], alen) == 0 &&
	    memcmp(a->addr[1], b->addr[0], alen) == 0) {
		*reversed = true;
		return true;
	}
	return false;
}

struct flow *
flow_table_lookup(struct flow_table *t, const struct flow_key *k, uint32_t hash, bool *reversed)
{
	for (struct flow *f = t->buckets[hash & t->mask]; f; f = f->hnext)
		if (f->hash == hash && flow_key_match(&f->key, k, reversed))
			return f;
	return NULL;
}

static void
flow_lru_unlink(struct flow_table *t, struct flow *f)
{
	int l = flow_list(f);

	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		t->lru_head[l] = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		t->lru_tail[l] = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
	t->lru_count[l]--;
}

static void
flow_lru_append(struct flow_table *t, struct flow *f)
{
	int l = flow_list(f);

	f->lru_prev = t->lru_tail[l];
	f->lru_next = NULL;
	if (t->lru_tail[l])
		t->lru_tail[l]->lru_next = f;
	else
		t->lru_head[l] = f;
	t->lru_tail[l] = f;
	t->lru_count[l]++;
}

void
flow_table_insert(struct flow_table *t, struct flow *f, uint64_t ts_us)
{
	struct flow **b = &t->buckets[f->hash & t->mask];

	f->hnext = *b;
	*b = f;
	f->ts_last_us = ts_us;
	f->closed = false;
	flow_lru_append(t, f);
	t->count++;
}

void
flow_table_remove(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & t->mask];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (!*pp)
		return;
	*pp = f->hnext;
	f->hnext = NULL;
	flow_lru_unlink(t, f);
	t->count--;
}

void
flow_table_touch(struct flow_table *t, struct flow *f, uint64_t ts_us)
{
	/* Captures can step back in time slightly (merged files, clock jumps):
	 * the LRU order then follows arrival, which is what eviction needs. */
	f->ts_last_us = ts_us;
	if (f->dormant) {
		flow_lru_unlink(t, f);
		f->dormant = false; /* it speaks again: back among the open */
		flow_lru_append(t, f);
	} else if (t->lru_tail[flow_list(f)] != f) {
		flow_lru_unlink(t, f);
		flow_lru_append(t, f);
	}
}

void
flow_table_make_dormant(struct flow_table *t, struct flow *f)
{
	if (f->closed || f->dormant)
		return;
	flow_lru_unlink(t, f);
	f->dormant = true;
	flow_lru_append(t, f);
}

void
flow_table_close(struct flow_table *t, struct flow *f)
{
	if (f->closed)
		return;
	flow_lru_unlink(t, f);
	f->closed = true;
	f->dormant = false;
	flow_lru_append(t, f);
}

struct flow *
flow_table_oldest(const struct flow_table *t)
{
	struct flow *tcp = t->lru_head[FLOW_LIST_OPEN], *udp = t->lru_head[FLOW_LIST_UDP];

	if (t->lru_head[FLOW_LIST_CLOSED])
		return t->lru_head[FLOW_LIST_CLOSED];
	if (t->lru_head[FLOW_LIST_DORMANT])
		return t->lru_head[FLOW_LIST_DORMANT]; /* older than any open one */
	if (tcp && udp)
		return udp->ts_last_us < tcp->ts_last_us ? udp : tcp;
	return tcp ? tcp : udp;
}

struct flow *
flow_table_oldest_open(const struct flow_table *t)
{
	return t->lru_head[FLOW_LIST_OPEN];
}

struct flow *
flow_table_oldest_closed(const struct flow_table *t)
{
	return t->lru_head[FLOW_LIST_CLOSED];
}

struct flow *
flow_table_oldest_udp(const struct flow_table *t)
{
	return t->lru_head[FLOW_LIST_UDP];
}

struct flow *
flow_table_oldest_dormant(const struct flow_table *t)
{
	return t->lru_head[FLOW_LIST_DORMANT];
}

size_t
flow_table_count(const struct flow_table *t)
{
	return t->count;
}

size_t
flow_table_count_udp(const struct flow_table *t)
{
	return t->lru_count[FLOW_LIST_UDP];
}
