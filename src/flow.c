/*
 * flow.c - bidirectional flow table with LRU lists (see flow.h).
 *
 * Laid out for the cache, since every packet looks its flow up:
 *  - Two open-addressed tables (linear probing, at most half full), one for
 *    the flows that are open and one for the closed flows that linger. A
 *    session-dense link keeps about ten closed flows lingering for each open
 *    one; kept apart, the table most packets probe stays small enough to
 *    stay in the cache. A slot holds the flow's hash beside its pointer, so
 *    a probe reads a flow record only when the hash matches.
 *  - The LRU lists stay linked through the records: the flow's own links
 *    are on the line its lookup has just read, so moving it costs the two
 *    neighbours' lines (a separate array of list nodes was measured: one
 *    more miss per move, 1-4 % slower on session-dense traffic).
 * The tables grow by doubling when a flow is linked (flow_table_reserve,
 * which a caller may run before it makes the flow), and always keep room
 * for every flow to close, so that closing and replacing never allocate.
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

enum {
	FLOW_LIST_OPEN = 0,
	FLOW_LIST_CLOSED = 1,
	FLOW_LIST_UDP = 2,
	FLOW_LIST_DORMANT = 3,
	FLOW_LISTS = 4,
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

struct flow_slot {
	uint32_t hash;
	struct flow *f; /* NULL: empty */
};

struct flow_hash {
	struct flow_slot *slot;
	size_t mask; /* slots - 1; slots a power of two */
	size_t count;
};

struct flow_table {
	struct flow_hash open, closed; /* closed: the lingering flows */
	size_t count;
	/* Four LRU lists, each oldest first: open TCP flows, closed flows that
	 * linger, open UDP flows, and established TCP sessions silent past the
	 * idle timeout (FLOW_LIST_*). Each list has one time limit, so expiry
	 * can stop at the first flow of a list that is not due, whatever the
	 * others hold. */
	struct flow *lru_head[FLOW_LISTS];
	struct flow *lru_tail[FLOW_LISTS];
	size_t lru_count[FLOW_LISTS]; /* flows on each list */
};

#define FLOW_TABLE_MIN_SLOTS 1024
#define FLOW_TABLE_MAX_FLOWS ((size_t)1 << 30)

static int
flow_hash_init(struct flow_hash *h, size_t slots)
{
	h->slot = calloc(slots, sizeof(*h->slot));
	if (!h->slot)
		return -1;
	h->mask = slots - 1;
	h->count = 0;
	return 0;
}

/* Links f in h (not there yet; h has an empty slot). */
static void
flow_hash_put(struct flow_hash *h, struct flow *f)
{
	size_t i = f->hash & h->mask;

	while (h->slot[i].f)
		i = (i + 1) & h->mask;
	h->slot[i].hash = f->hash;
	h->slot[i].f = f;
	h->count++;
}

/* Doubles h until n flows fill at most half of it; -1 (h unchanged) when
 * out of memory. */
static int
flow_hash_room(struct flow_hash *h, size_t n)
{
	struct flow_hash bigger;
	size_t slots = h->mask + 1;

	if (n <= slots / 2)
		return 0;
	while (n > slots / 2)
		slots <<= 1;
	if (flow_hash_init(&bigger, slots) < 0)
		return -1;
	for (size_t i = 0; i <= h->mask; i++)
		if (h->slot[i].f)
			flow_hash_put(&bigger, h->slot[i].f);
	free(h->slot);
	*h = bigger;
	return 0;
}

/* The slot holding f, or NULL. */
static struct flow_slot *
flow_hash_find(const struct flow_hash *h, const struct flow *f)
{
	for (size_t i = f->hash & h->mask; h->slot[i].f; i = (i + 1) & h->mask)
		if (h->slot[i].f == f)
			return &h->slot[i];
	return NULL;
}

/* Empties slot s, moving later flows of its probe run back into the gap
 * (no tombstones: a lookup may stop at the first empty slot). */
static void
flow_hash_del(struct flow_hash *h, struct flow_slot *s)
{
	size_t gap = (size_t)(s - h->slot), i = gap;

	for (;;) {
		size_t home;

		i = (i + 1) & h->mask;
		if (!h->slot[i].f)
			break;
		home = h->slot[i].hash & h->mask;
		/* It may fill the gap unless its home lies in (gap, i]. */
		if ((i > gap) ? (home <= gap || home > i) : (home <= gap && home > i)) {
			h->slot[gap] = h->slot[i];
			gap = i;
		}
	}
	h->slot[gap].f = NULL;
	h->slot[gap].hash = 0;
	h->count--;
}

struct flow_table *
flow_table_new(size_t max_flows)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	size_t n = FLOW_TABLE_MIN_SLOTS;

	if (!t)
		return NULL;
	/* Sized for the busy moments of an ordinary link, not for the cap:
	 * the tables grow when they must. */
	while (n < 2 * max_flows && n < 8 * FLOW_TABLE_MIN_SLOTS)
		n <<= 1;
	if (flow_hash_init(&t->open, n) < 0 ||
	    flow_hash_init(&t->closed, FLOW_TABLE_MIN_SLOTS) < 0) {
		flow_table_free(t);
		return NULL;
	}
	return t;
}

void
flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	free(t->open.slot);
	free(t->closed.slot);
	free(t);
}

bool
flow_table_reserve(struct flow_table *t)
{
	size_t n = t->count + 1;

	if (n >= FLOW_TABLE_MAX_FLOWS)
		return false;
	/* Should every flow close, the closed table holds them too. */
	return flow_hash_room(&t->open, t->open.count + 1) == 0 &&
	       flow_hash_room(&t->closed, n) == 0;
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

static inline __attribute__((always_inline)) struct flow *
flow_hash_lookup(const struct flow_hash *h, const struct flow_key *k, uint32_t hash, bool *reversed)
{
	for (size_t i = hash & h->mask; h->slot[i].f; i = (i + 1) & h->mask)
		if (h->slot[i].hash == hash && flow_key_match(&h->slot[i].f->key, k, reversed))
			return h->slot[i].f;
	return NULL;
}

struct flow *
flow_table_lookup(struct flow_table *t, const struct flow_key *k, uint32_t hash, bool *reversed)
{
	struct flow *f = flow_hash_lookup(&t->open, k, hash, reversed);

	if (!f && t->closed.count)
		f = flow_hash_lookup(&t->closed, k, hash, reversed);
	return f;
}

/* The slot of f, a flow linked in t (NULL for a flow that is not, or for a
 * copy of one). */
static struct flow_slot *
flow_slot_of(const struct flow_table *t, const struct flow *f)
{
	return flow_hash_find(f->closed ? &t->closed : &t->open, f);
}

static void
flow_lru_unlink_from(struct flow_table *t, struct flow *f, int l)
{
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
flow_lru_append_to(struct flow_table *t, struct flow *f, int l)
{
	f->lru_prev = t->lru_tail[l];
	f->lru_next = NULL;
	if (t->lru_tail[l])
		t->lru_tail[l]->lru_next = f;
	else
		t->lru_head[l] = f;
	t->lru_tail[l] = f;
	t->lru_count[l]++;
}

static void
flow_lru_unlink(struct flow_table *t, struct flow *f)
{
	flow_lru_unlink_from(t, f, flow_list(f));
}

static void
flow_lru_append(struct flow_table *t, struct flow *f)
{
	flow_lru_append_to(t, f, flow_list(f));
}

bool
flow_table_insert(struct flow_table *t, struct flow *f, uint64_t ts_us)
{
	if (!flow_table_reserve(t))
		return false;
	f->ts_last_us = ts_us;
	f->closed = false;
	flow_hash_put(&t->open, f);
	flow_lru_append(t, f);
	t->count++;
	return true;
}

void
flow_table_remove(struct flow_table *t, struct flow *f)
{
	struct flow_slot *s = flow_slot_of(t, f);

	if (!s)
		return;
	flow_hash_del(f->closed ? &t->closed : &t->open, s);
	flow_lru_unlink(t, f);
	t->count--;
}

void
flow_table_replace(struct flow_table *t, struct flow *old, struct flow *f)
{
	struct flow_slot *s = flow_slot_of(t, old);
	int l = flow_list(old);

	if (!s)
		return;
	s->f = f;
	f->lru_prev = old->lru_prev;
	f->lru_next = old->lru_next;
	if (f->lru_prev)
		f->lru_prev->lru_next = f;
	else
		t->lru_head[l] = f;
	if (f->lru_next)
		f->lru_next->lru_prev = f;
	else
		t->lru_tail[l] = f;
	old->lru_prev = old->lru_next = NULL;
}

void
flow_table_touch(struct flow_table *t, struct flow *f, uint64_t ts_us)
{
	int l;

	/* Captures can step back in time slightly (merged files, clock jumps):
	 * the LRU order then follows arrival, which is what eviction needs. */
	f->ts_last_us = ts_us;
	if (f->dormant) {
		flow_lru_unlink_from(t, f, FLOW_LIST_DORMANT);
		f->dormant = false; /* it speaks again: back among the open */
		flow_lru_append(t, f);
		return;
	}
	l = flow_list(f);
	if (t->lru_tail[l] != f) {
		flow_lru_unlink_from(t, f, l);
		flow_lru_append_to(t, f, l);
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
	struct flow_slot *s;

	if (f->closed || !(s = flow_hash_find(&t->open, f)))
		return;
	flow_hash_del(&t->open, s);
	flow_hash_put(&t->closed, f); /* room reserved with the flow */
	flow_lru_unlink(t, f);
	f->closed = true;
	f->dormant = false;
	flow_lru_append(t, f);
}

static struct flow *
flow_head(const struct flow_table *t, int l)
{
	return t->lru_head[l];
}

struct flow *
flow_table_oldest(const struct flow_table *t)
{
	struct flow *tcp = flow_head(t, FLOW_LIST_OPEN), *udp = flow_head(t, FLOW_LIST_UDP);

	if (t->lru_head[FLOW_LIST_CLOSED])
		return flow_head(t, FLOW_LIST_CLOSED);
	if (t->lru_head[FLOW_LIST_DORMANT])
		return flow_head(t, FLOW_LIST_DORMANT); /* older than any open one */
	if (tcp && udp)
		return udp->ts_last_us < tcp->ts_last_us ? udp : tcp;
	return tcp ? tcp : udp;
}

struct flow *
flow_table_oldest_open(const struct flow_table *t)
{
	return flow_head(t, FLOW_LIST_OPEN);
}

struct flow *
flow_table_oldest_closed(const struct flow_table *t)
{
	return flow_head(t, FLOW_LIST_CLOSED);
}

struct flow *
flow_table_oldest_udp(const struct flow_table *t)
{
	return flow_head(t, FLOW_LIST_UDP);
}

struct flow *
flow_table_oldest_dormant(const struct flow_table *t)
{
	return flow_head(t, FLOW_LIST_DORMANT);
}

struct flow *
flow_table_newer(const struct flow_table *t, const struct flow *f)
{
	return flow_slot_of(t, f) ? f->lru_next : NULL;
}

struct flow *
flow_table_older(const struct flow_table *t, const struct flow *f)
{
	return flow_slot_of(t, f) ? f->lru_prev : NULL;
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
