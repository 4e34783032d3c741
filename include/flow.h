/*
 * flow.h - the bidirectional flow table.
 *
 * A flow is keyed by its 5-tuple in either direction. The table owns no
 * memory of its entries: the caller embeds `struct flow` in its own record,
 * allocates and frees it, and the table only links it (in a hash table, one
 * for open flows and one for closed flows that linger, and in an LRU list
 * ordered by last activity). That keeps the table free of per-packet
 * allocation and lets expiry and eviction pick the idlest flow in O(1).
 *
 * The hash is symmetric (both directions hash alike), so the multi-threaded
 * dispatcher (engine.c) routes both halves of a flow to one worker.
 */
#ifndef TLSWATCH_FLOW_H
#define TLSWATCH_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flow_key {
	uint8_t family; /* 4 or 6 */
	uint8_t l4;	/* 6 TCP, 17 UDP, 132 SCTP */
	uint16_t port[2];
	uint8_t addr[2][16];
};

struct flow {
	struct flow_key key; /* index 0 is the client side */
	uint32_t hash;
	struct flow *lru_prev, *lru_next;
	uint64_t ts_last_us;
	bool closed;  /* on the closed list (flow_table_close) */
	bool dormant; /* open, silent past the idle timeout (flow_table_make_dormant) */
	bool packed;  /* the caller's mark: its record is in packed form */
	uint32_t mem; /* bytes the caller accounts to this record (its memcap) */
};

struct flow_table;

/* Creates a table sized for about max_flows entries; NULL on allocation failure. */
struct flow_table *flow_table_new(size_t max_flows);
/* Frees the table (not its entries). */
void flow_table_free(struct flow_table *t);

uint32_t flow_key_hash(const struct flow_key *k);
/* Finds the flow of this packet's 5-tuple. *reversed is true when the key is
 * the flow's key seen from the other side (index 1 to index 0). */
struct flow *flow_table_lookup(struct flow_table *t, const struct flow_key *k, uint32_t hash,
			       bool *reversed);
/* Makes room to link one more flow (the tables grow); false when out of
 * memory. A caller that reserves before it makes a flow knows that
 * flow_table_insert will not fail. */
bool flow_table_reserve(struct flow_table *t);
/* Links f (key and hash already set) as the most recently used flow; false
 * (f not linked) when out of memory. */
bool flow_table_insert(struct flow_table *t, struct flow *f, uint64_t ts_us);
/* Unlinks f; a flow not linked (or a copy of one) is left alone. */
void flow_table_remove(struct flow_table *t, struct flow *f);
/* Puts f (the same key and hash, flags and times) in old's place: in its
 * hash table and at its place in its LRU list. Never allocates. */
void flow_table_replace(struct flow_table *t, struct flow *old, struct flow *f);
/* Marks f as active now (moves it to the LRU tail). */
void flow_table_touch(struct flow_table *t, struct flow *f, uint64_t ts_us);
/* Moves f from the open flows to the closed ones (which linger to absorb
 * late packets); its place among them follows its last activity. */
void flow_table_close(struct flow_table *t, struct flow *f);
/* The flow to evict when the table is full: the oldest closed flow (it has
 * nothing left to report), else the dormant one silent longest, else the
 * least recently active open one (TCP or UDP; a tie goes to TCP); NULL when
 * empty. */
struct flow *flow_table_oldest(const struct flow_table *t);
/* The least recently active open TCP flow, closed flow, or open UDP flow
 * (UDP flows have their own list: their own idle timeout), or NULL. */
struct flow *flow_table_oldest_open(const struct flow_table *t);
/* An open TCP flow silent past the short timeout, kept on a list of its own
 * (a longer limit) until a packet touches it again or it expires. */
void flow_table_make_dormant(struct flow_table *t, struct flow *f);
struct flow *flow_table_oldest_dormant(const struct flow_table *t);
struct flow *flow_table_oldest_closed(const struct flow_table *t);
struct flow *flow_table_oldest_udp(const struct flow_table *t);
/* The next newer and the next older flow on f's LRU list, or NULL. */
struct flow *flow_table_newer(const struct flow_table *t, const struct flow *f);
struct flow *flow_table_older(const struct flow_table *t, const struct flow *f);
size_t flow_table_count(const struct flow_table *t);
/* Open UDP flows (on their own list; counted in flow_table_count too). */
size_t flow_table_count_udp(const struct flow_table *t);

#endif
