/*
 * correlate_internal.h - what correlate.c, correlate_state.c and
 * correlate_shared.c share: the two bounded maps (servers, client/server
 * pairs) and what each entry remembers. Not for other modules.
 */
#ifndef TLSWATCH_CORRELATE_INTERNAL_H
#define TLSWATCH_CORRELATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "shared.h"

#define CORRELATE_SHARED_WAIT_MS 3000 /* for the queued offers at the end */

#define KEY_LEN 40

struct centry {
	struct centry *hnext, *prev, *next;
	uint32_t hash;
	uint8_t key[KEY_LEN];
};

struct cmap {
	struct centry **buckets;
	size_t mask, count, max, entry_size;
	struct centry *head, *tail; /* head: least recently used */
	uint64_t forgotten;
};

/* A session that lacked the offer before any was seen: what a late
 * capability-stripped alert about it must name. */
struct lacked {
	uint64_t id, flow_id;
	uint8_t client_ip[16];
	uint16_t client_port;
};

struct server_rec {
	struct centry e;
	uint8_t family;
	uint8_t ip[16];
	uint16_t port;
	uint8_t l4; /* 6 TCP, 17 UDP */
	char service[16];
	bool offered;	    /* offered in this run */
	bool offered_state; /* offered in an earlier run (state file) */
	bool auth_alerted;
	bool upgraded; /* some session of this run upgraded to TLS */
	uint64_t last_seen_us;
	/* The certificate it presented last (TLS <= 1.2): its SHA-256 and
	 * issuer, the session (0: an earlier run's, from the state file), when
	 * (packet time: which of it and the shared state's is the later). */
	bool cert_known;
	uint8_t cert[32];
	char cert_issuer[TLS_CERT_TEXT];
	bool cert_self_signed;
	uint64_t cert_id;
	uint64_t cert_ts_us;
	uint64_t offered_ids[CORRELATE_IDS];
	unsigned n_offered_ids;
	struct lacked lacked[CORRELATE_IDS]; /* lacked it before any offer was seen */
	unsigned n_lacked_ids;
};

#define BF_RING 32

struct pair_rec {
	struct centry e;
	bool failed;	    /* a TLS handshake failed, or an accepted upgrade broke */
	bool failed_broken; /* ... the latter: go-ahead, then no TLS */
	uint64_t failed_ts_us;
	uint64_t failed_id;
	uint64_t fail_ts[BF_RING]; /* login failure times, a ring */
	unsigned fail_n, fail_head;
};

struct correlate {
	struct correlate_config cfg;
	struct cmap servers, pairs;
	struct correlate_stats st;
	/* What the state file was at start: the save keeps what it could not
	 * read (unreadable: never touched; bad_file: moved to .bad) and the last
	 * good one (existed, clean: linked to .bak). */
	bool existed, unreadable, bad_file;
	struct shared *shared;		  /* --state redis://: NULL otherwise */
	struct shared_stats shared_final; /* after the save */
	bool shared_on;			  /* --state redis:// was given */
};

/* The server's record (address, port, transport), made when create is set
 * and it is not known; NULL when it is not known (or memory ran out). */
struct server_rec *correlate_server_get(struct correlate *c, uint8_t family, const uint8_t *ip,
					uint16_t port, uint8_t l4, bool create);

/* Reads the state file (correlate_state.c). */
void correlate_load(struct correlate *c, char *warn, size_t warnsz);

#endif
