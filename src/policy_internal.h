/*
 * policy_internal.h - what the files of the policy module share (src/policy*.c):
 * the tables of learned records, the operator's domains, the fetches seen,
 * struct policy itself, and the store's few functions the others call.
 *
 * src/policy.c keeps the tables (index, storing, lookups), policy_learn.c
 * learns records from DNS answers, policy_file.c reads the operator's
 * --policy list and RFC 8461 policy files, policy_judge.c gives SMTP
 * sessions their verdict, policy_fact.c turns records into facts and back
 * (--state, other sensors). The what and why are in include/policy.h.
 *
 * Storage: one fixed table per kind of record, entries found through
 * chained hash indexes (by name, and by value for some kinds). An entry's
 * expires_us is 0 when the slot is free, UINT64_MAX never.
 */
#ifndef TLSWATCH_POLICY_INTERNAL_H
#define TLSWATCH_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum pol_kind {
	PK_MX = 0, /* name: domain, v.host: an MX host */
	PK_ADDR,   /* name: host, v.addr */
	PK_CNAME,  /* name: alias, v.host: target */
	PK_STS,	   /* name: domain that announced MTA-STS; v.host: its id */
	PK_TLSRPT, /* name: domain that asks for TLS reports */
	PK_TLSA,   /* name: host, port: the service port; ad */
	PK_COUNT,
};

struct pol_entry {
	uint64_t expires_us;
	uint64_t learned_us; /* when this record was first stored */
	uint64_t told_us;    /* the expiry last told (policy_on_learn); 0 never */
	uint32_t hash;
	uint16_t port;
	uint8_t family;
	bool ad;
	uint8_t origin; /* enum policy_source: DNS (this run), STATE or SHARED */
	char name[POLICY_NAME_MAX];
	union {
		char host[POLICY_NAME_MAX];
		uint8_t addr[16];
		struct policy_tlsa tlsa;
	} v;
};

/*
 * A table is an array of slots (round-robin eviction, expiry in place),
 * with two chained hash indexes over the slots a record was ever placed
 * in: by name, and by value for the kinds looked up by value (MX and
 * CNAME by target host, ADDR by address). Lookups walk one chain and
 * return slots in ascending order, as a scan of the array would: the
 * judgement does not depend on the index. Chains hold slot + 1 (0 ends),
 * both ways.
 */
struct pol_table {
	struct pol_entry *e;
	size_t cap;
	size_t next; /* the next victim when full: the oldest-placed */
	uint64_t evicted;
	uint32_t mask;				     /* buckets - 1 */
	uint32_t *name_head, *name_next, *name_prev; /* by pol_hash(name) */
	uint32_t *val_head, *val_next, *val_prev;    /* by pol_val_hash (MX, CNAME, ADDR) */
	uint8_t *indexed;			     /* slot is on its chains */
	/* For pol_put's choice of a slot without a scan of the table: every
	 * slot below free_from is in use, and exp_min[b] is at most the
	 * lowest non-zero expiry of the slots of block b (POL_BLOCK slots). */
	size_t free_from;
	uint64_t *exp_min;
};

#define POL_BLOCK 64

struct pol_file {
	char domain[POLICY_NAME_MAX];
	struct policy_sts sts;
};

/* A sender's fetch of a domain's MTA-STS policy (policy.h). */
struct pol_fetch {
	char domain[POLICY_NAME_MAX];
	uint64_t ts_us;	     /* the fetch session's first packet */
	uint64_t session_id; /* that session's */
};

struct policy {
	struct pol_table t[PK_COUNT];
	struct pol_fetch fetch[POLICY_FETCHES]; /* a ring, oldest overwritten */
	size_t fetch_next;
	struct pol_file *file;
	size_t n_file;
	uint64_t now_us;   /* the latest DNS packet time seen */
	uint64_t until_us; /* while judging: the session's last packet time */
	uint64_t clock_us; /* the latest packet time (policy_clock) */
	bool clock_started;
	void (*on_learn)(void *ctx, const struct policy_fact *f, uint32_t ttl_s);
	void *on_learn_ctx;
	struct policy_stats st;
};

/* ---- The store (policy.c) ---------------------------------------------------- */

/* The hash of a name (FNV-1a), as entries and chains key it. */
uint32_t pol_hash(const char *s);
/* The hash of an address, as the ADDR table's value chains key it. */
uint32_t pol_addr_hash(uint8_t family, const uint8_t *addr);
/* Copies a name lower case, without a final dot; false when it does not fit
 * or is empty. */
bool pol_name(char *out, const char *in);
/* The name after a prefix ("_mta-sts.", "_smtp._tls."), or NULL. */
const char *pol_after(const char *name, const char *prefix);
/* Stores (or refreshes) one record; a full table gives up its oldest-placed
 * entry, counted. */
void pol_put(struct policy *p, enum pol_kind k, const struct pol_entry *in);
/* Frees slot i of table t (an expired fact at the first packet). */
void pol_slot_clear(struct pol_table *t, size_t i);
/* Is the entry valid for a session from t to until (pol_live in policy.c)? */
bool pol_live(const struct pol_entry *e, uint64_t t, uint64_t until);
/* The first live entry of kind k named name at time t after *from (an
 * index, updated); NULL when none is left. */
const struct pol_entry *pol_next(const struct policy *p, enum pol_kind k, const char *name,
				 uint64_t t, size_t *from);
/* The lowest slot after `after` (SIZE_MAX: from the start) of an MX or
 * CNAME table whose target host is one of hosts[0..n), live for t; cap
 * when none. */
size_t pol_next_by_host(const struct policy *p, enum pol_kind k, char hosts[][POLICY_NAME_MAX],
			size_t n, uint64_t t, size_t after);
/* The first live entry of kind k named name at time t; NULL when none. */
const struct pol_entry *pol_find(const struct policy *p, enum pol_kind k, const char *name,
				 uint64_t t);

/* ---- Facts (policy_fact.c) ---------------------------------------------------- */

/* The fact of an entry of kind k (policy.h, struct policy_fact). */
void pol_to_fact(enum pol_kind k, const struct pol_entry *e, struct policy_fact *f);

#endif
