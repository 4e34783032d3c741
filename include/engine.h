/*
 * engine.h - the pipeline driver: frame -> decode -> flow table -> TCP
 * reassembly -> session -> verdict, and finished sessions and their alerts
 * handed to the caller.
 *
 * One engine per capture run. It owns every flow and session; the caller
 * only receives read-only records through the callbacks, valid during the
 * call. With threads > 1 the flows are spread over worker threads, but the
 * callbacks are still made on the caller's thread, from engine_packet,
 * engine_tick and engine_finish_all, in the same order as with one thread.
 */
#ifndef TLSWATCH_ENGINE_H
#define TLSWATCH_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "ipfrag.h"
#include "session.h"
#include "stats.h"

/* Seconds of silence that end a UDP flow (--udp-timeout): UDP has no end
 * of its own, and its exchanges (a DNS query and its answer) are short. */
#define ENGINE_UDP_TIMEOUT_DEFAULT 60
/* Open UDP flows at once (--max-udp-flows), within max_flows: a flood of
 * spoofed sources (one datagram each) evicts the idlest UDP flow, never a
 * TCP session, as long as TCP flows stay below max_flows minus this. */
#define ENGINE_MAX_UDP_FLOWS_DEFAULT 65536

struct engine_config {
	size_t max_flows;	  /* flow table limit (idlest evicted beyond) */
	size_t max_udp_flows;	  /* open UDP flows (idlest UDP flow evicted beyond) */
	uint64_t memcap;	  /* bytes for flows and their state (idlest evicted beyond) */
	uint64_t idle_timeout_us; /* an open flow idle this long is finished ... */
	uint64_t established_timeout_us; /* ... an established TCP session this long */
	uint64_t linger_us;		 /* a closed flow absorbs late packets this long */
	uint64_t udp_timeout_us;	 /* a UDP flow idle this long is finished */
	size_t stream_cap;		 /* out-of-order bytes per half-stream */
	uint64_t ooo_cap;		 /* out-of-order bytes, all streams */
	bool use_ndpi;
	bool show_secrets;	   /* evidence pcaps may then hold login secrets */
	bool show_empty;	   /* report flows without payload as sessions too */
	const char *evidence_dir;  /* --evidence: alerted sessions' packets go here ... */
	int evidence_dirfd;	   /* ... through this (outfile_dir_open; -1: none) */
	unsigned threads;	   /* --threads: workers (1: everything on the caller's thread) */
	int judge_thread;	   /* with workers, a judge thread: 1 yes, 0 no (the caller's
				    * thread judges), -1 when the CPUs outnumber the threads */
	struct ipfrag_config frag; /* IP fragment reassembly limits */
	struct correlate_config corr;
	const char *policy_path; /* --policy FILE, or NULL */
};

void engine_config_defaults(struct engine_config *c);

struct engine_output {
	void *ctx;
	void (*session)(void *ctx, const struct session *s);
	void (*alert)(void *ctx, const struct alert *a);
	/* An open session as it stands, made just before the alerts its
	 * evidence raised while it is open (NULL: not wanted). Its verdict is
	 * not decided yet (end is END_OPEN); its record follows when it ends. */
	void (*session_open)(void *ctx, const struct session *s);
};

struct engine;

/* NULL with a message in err on failure. A problem that is not fatal (a
 * corrupt state file) leaves a message in err and returns the engine. */
struct engine *engine_new(const struct engine_config *cfg, const struct engine_output *out,
			  char *err, size_t errsz);
/* Writes the --state file, if any; -1 with err on failure. */
int engine_save_state(struct engine *e, char *err, size_t errsz);
/* Processes one captured frame of link type dlt. */
void engine_packet(struct engine *e, int dlt, const uint8_t *frame, size_t caplen, uint64_t ts_us);
/* Frames given to engine_packet so far (cheap: no counters are gathered). */
uint64_t engine_packet_count(const struct engine *e);
/* Expires idle flows as of now (live captures call it when no packet comes). */
void engine_tick(struct engine *e, uint64_t now_us);
/* Completes the work on the frames given so far, without expiring
 * anything: with worker threads, waits for them and makes the callbacks
 * their results are due (a file read from a pipe whose writer pauses;
 * one thread has nothing pending). */
void engine_flush(struct engine *e);
/* Finishes every open session (end of capture, or the user stopped it). */
void engine_finish_all(struct engine *e);
/* Takes its own lock (see engine_output_lock). */
struct stats *engine_stats(struct engine *e);
/* With worker threads a judge thread calls the output callbacks: whoever
 * else touches the outputs holds this lock meanwhile (recursive; nothing
 * to do with one thread). Never held across engine_packet, engine_tick,
 * engine_flush or engine_finish_all: those may wait for the judge. */
void engine_output_lock(struct engine *e);
void engine_output_unlock(struct engine *e);
size_t engine_open_flows(const struct engine *e);
void engine_free(struct engine *e);

#endif
