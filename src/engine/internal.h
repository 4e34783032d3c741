/*
 * internal.h - what the files of the engine share (src/engine/): the flow
 * record, the order in which finished sessions are reported, the engine
 * itself and the hooks that make it one of three roles.
 *
 * Roles: one thread does everything (ROLE_SINGLE); with --threads N the
 * engine the caller holds is the front (ROLE_FRONT: decodes, dispatches,
 * judges and correlates) and N workers (ROLE_WORKER) own the flows. The TCP
 * and UDP code paths are the same in every role that owns flows; what
 * differs is reached through the role's struct engine_ops, set once.
 */
#ifndef TLSWATCH_ENGINE_INTERNAL_H
#define TLSWATCH_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "dpi.h"
#include "engine.h"
#include "evidence.h"
#include "flow.h"
#include "links.h"
#include "reasm.h"

/* The offset of a uint64_t counter in struct type, for the tables that copy
 * or sum counters by offset (engine.c, workers_life.c): a field of another
 * width stops the build instead of being copied wrongly. */
#define COUNTER_AT(type, field)                                                                    \
	(offsetof(type, field) + 0 * sizeof(struct {                                               \
					 _Static_assert(sizeof(((type *)0)->field) ==              \
								sizeof(uint64_t),                  \
							"not a uint64_t counter: " #field);        \
					 char c;                                                   \
				 }))

#define ENGINE_ALERTS_MAX (2 * ALERT_KIND_COUNT + LOGIN_MAX)

struct conn {
	struct flow flow; /* first: the table links this */
	struct reasm_half half[2];
	struct session sess;
	struct dpi_flow *dpi;
	uint32_t dpi_packets;
	bool dpi_done;
	bool ndpi_cleartext;
	bool fin[2];
	struct evidence_buf ev; /* --evidence: packets until settled */
	uint64_t last_idx;	/* index of the flow's last packet: its LRU rank */
	uint32_t expect_seen;	/* announcements (sess.pf.n_expect) handed on */
	bool pair_sent;		/* the encrypted control session's hosts handed on */
	uint32_t early_sig;	/* the facts verdict_early last looked at */
	/* SCTP: per direction, the TSN of the next DATA chunk to read
	 * (known once the first was seen). */
	uint32_t sctp_tsn[2];
	bool sctp_tsn_known[2];
};

/* An open flow whose session is settled (TLS established: nothing more to
 * parse) and has nothing left to keep (no nDPI, no evidence packets) costs
 * only this: the counters packets still move, and the session record
 * packed (session_pack: 150-330 of its 1,904 bytes on real mail). It becomes a
 * struct conn again, off the table, only to be reported. */
struct conn_packed {
	struct flow flow; /* first; flow.packed is set */
	bool fin[2];
	bool ndpi_cleartext;
	bool syn_seen;
	uint64_t id; /* the session's (a worker's provisional one) */
	uint64_t ts_first_us;
	uint64_t last_idx;
	uint64_t packets, ts_last_us, bytes[2], bypassed_bytes;
	size_t len;
	uint8_t data[]; /* the session, packed */
};

/* Where a finished session stands in the order one thread reports them:
 * the index of the packet (or tick) that finished it, the stage within
 * that packet, and, for flows expired together, their LRU rank. */
struct order_key {
	uint64_t idx;
	uint64_t stage;
	uint64_t sub;
};

enum {
	STAGE_EXPIRE = 0, /* idle flows expired before the packet */
	STAGE_EVICT = 1,  /* the idlest flow finished to make room */
	STAGE_CREATE = 2, /* the packet's flow created (sub 0), its links (1),
			   * the alerts its bytes raised while open (2) */
	STAGE_CLOSE = 3,  /* the packet's RST or last FIN */
	STAGE_TICK = 4,	  /* ticks after the packet: STAGE_TICK + n */
};

/* A flow expired or finished at the end has, as the last part of its order
 * key, its LRU rank; UDP flows come after the TCP ones (their own list). */
#define ORDER_SUB_UDP (1ull << 62)

/* What an engine does: everything (one thread), only the flows (a worker),
 * or only the judging and the correlation (the front of the workers). */
enum engine_role {
	ROLE_SINGLE,
	ROLE_WORKER,
	ROLE_FRONT,
};

struct engine;
struct workers;
struct worker;

/*
 * What differs between the roles, in two parts. How the engine is driven
 * (struct engine_ops): the roles that own flows (single, worker) share
 * engine_ops_local; the front owns no flow and hands packets to the
 * workers. What a flow owner does with its sessions (struct engine_owner):
 * the single thread names and judges them itself, a worker hands them to
 * the front.
 */
struct engine_ops {
	/* A decoded TCP or UDP packet. */
	void (*packet)(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame,
		       size_t caplen);
	void (*expire)(struct engine *e);	  /* once per packet-time second */
	void (*tick)(struct engine *e);		  /* the clock moved without packets */
	void (*finish)(struct engine *e);	  /* finish every flow */
	void (*flush)(struct engine *e);	  /* complete what was sent (NULL: nothing) */
	struct stats *(*stats)(struct engine *e); /* counters, complete */
	size_t (*open_flows)(const struct engine *e);
};

struct engine_owner {
	/* The id of a session being created. */
	uint64_t (*session_id)(struct engine *e);
	/* A flow was created (NULL: nothing to do). */
	void (*created)(struct engine *e);
	/* A session is finished (reassembly flushed, end set): judge it or
	 * hand it to whoever judges. */
	void (*finished)(struct engine *e, struct conn *c);
	/* An open session's bytes raised alerts (verdict_early): output them
	 * now, or hand them to whoever judges. */
	void (*early)(struct engine *e, struct conn *c, struct alert *a, size_t n);
	/* Before keeping an evidence packet (NULL: nothing to do). */
	void (*evidence_room)(struct engine *e);
	/* A session announced a data connection, or its address pair stands
	 * for its hidden announcements: to whoever judges. */
	void (*link)(struct engine *e, const struct link_note *n);
};

struct engine {
	const struct engine_ops *ops;
	const struct engine_owner *own; /* NULL in the front */
	struct engine_config cfg;
	struct engine_output out;
	struct flow_table *flows;
	struct dpi *dpi;
	struct correlate *corr;
	struct policy *policy; /* mail policies (single thread or front) */
	struct ipfrag *frag;   /* the reader's (single thread or front) */
	struct links *links;   /* data connections' links (single thread or front) */
	struct evidence_stats evs;
	struct stats st;
	uint64_t next_id;
	uint64_t now_us;
	uint64_t pclock_us; /* the policies' clock: the latest packet time */
	uint64_t last_expire_us;
	uint64_t pkt_idx;      /* packets so far; the current packet's index */
	uint64_t mem_now;      /* bytes accounted to the flow records (flow.mem) */
	uint64_t key_idx;      /* order key of the work being done (workers) */
	uint64_t expire_stage; /* stage of the expiry being done */
	struct worker *self;   /* in a worker: where finished sessions go */
	struct workers *par;   /* in the front of --threads N: the workers */
};

/* engine.c */
struct engine *engine_alloc(const struct engine_config *cfg, const struct engine_output *out,
			    enum engine_role role, char *err, size_t errsz);
void engine_stats_local(struct engine *e);
/* Teaches the policies the DNS answers in a UDP datagram's or a TCP
 * segment's payload (l4: 17 or 6). */
void engine_policy_learn(struct engine *e, int l4, const uint8_t *p, size_t n, uint64_t ts_us);
/* The hooks of the roles that own flows. */
void engine_local_expire(struct engine *e);
struct stats *engine_local_stats(struct engine *e);
size_t engine_local_open_flows(const struct engine *e);
void engine_flow_packet(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame,
			size_t caplen);

/* flows.c: flow records, their memory, expiry */
struct conn *engine_new_conn(struct engine *e, const struct packet *pk, bool src_is_client,
			     uint32_t hash);
uint32_t engine_packet_key(const struct packet *pk, struct flow_key *k);
void engine_free_conn_buffers(struct engine *e, struct conn *c);
void engine_mem_set(struct engine *e, struct flow *f, size_t bytes);
size_t engine_conn_bytes(const struct conn *c);
void engine_mem_room(struct engine *e, size_t need, const struct flow *keep);
void engine_mem_update(struct engine *e, struct conn *c);
void engine_conn_seen(struct engine *e, struct conn *c, const struct packet *pk);
void engine_keep_evidence(struct engine *e, struct conn *c, const struct packet *pk, int dlt,
			  const uint8_t *frame, size_t caplen);
void engine_remove(struct engine *e, struct flow *f);
/* Frees the struct conns the calling thread keeps for its next flows. */
void engine_conn_cache_drain(void);
void engine_bury(struct engine *e, struct flow *f);
void engine_pack(struct engine *e, struct conn *c);
void engine_report(struct engine *e, struct conn *c, enum session_end end);
void engine_report_packed(struct engine *e, struct conn_packed *p, enum session_end end);
void engine_expire(struct engine *e, uint64_t now);
void engine_finish_local(struct engine *e);
void engine_deliver(void *ctx, enum dir dir, enum reasm_event ev, const uint8_t *data, size_t len);
/* Who is the client of a flow first seen through this packet, when the
 * packet itself does not say (not a SYN)? */
bool engine_src_is_client(const struct packet *pk);
void engine_consult_ndpi(struct engine *e, struct conn *c, const struct packet *pk);

/* tcp.c, udp.c */
void engine_tcp(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame,
		size_t caplen);
void engine_sctp(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame,
		 size_t caplen);
void engine_udp(struct engine *e, const struct packet *pk, int dlt, const uint8_t *frame,
		size_t caplen);

/* links.c's notes from the flows: after each segment's bytes. */
void engine_harvest_links(struct engine *e, struct conn *c);

/* engine.c: stores the mail policy facts other sensors published
 * (--state redis://) before a session is judged against the policies. */
void engine_policy_take_shared(struct engine *e);

/* judge.c */
/* Late alerts from offers other sensors announced (correlate_shared_late). */
void engine_shared_late(struct engine *e);
void engine_judge(struct engine *e, struct session *s, const struct evidence_buf *ev,
		  bool ndpi_cleartext);
/* The hook of the roles that judge their own sessions. */
void engine_judge_conn(struct engine *e, struct conn *c);
/* After a packet's bytes: the alerts an open session's facts already
 * decide, raised once (to the owner's early hook). */
void engine_early(struct engine *e, struct conn *c);
/* Outputs alerts an open session raised (the single thread's early hook,
 * and the front's for its workers'); has_ev: packets are kept for it. */
void engine_raise_early(struct engine *e, const struct session *s, struct alert *a, size_t n,
			bool has_ev);

/* workers.c */
extern const struct engine_ops engine_ops_front;
extern const struct engine_owner engine_owner_worker;
/* engine.c */
extern const struct engine_ops engine_ops_local;
extern const struct engine_owner engine_owner_single;
int par_start(struct engine *e, char *err, size_t errsz);
void par_free(struct engine *e);
/* The front: a DNS answer read from pk (NULL: the first packet, which
 * starts the policies' clock), handed to the judge thread in packet order. */
void par_learn(struct engine *e, const struct packet *pk);
/* Does a judge thread (not the caller's) judge and keep the policies? */
bool par_judge_thread(const struct engine *e);

#endif
