/*
 * evidence.h - the packets behind an alert, for an analyst.
 *
 * With --evidence DIR, the engine keeps a copy of each session's packets
 * until the session's outcome is settled (TLS established: nothing after that
 * can be evidence), under a per-session and a global cap, and writes them as
 * a pcap file when the session raises an alert. Memory is bounded; what the
 * caps left out is counted.
 */
#ifndef TLSWATCH_EVIDENCE_H
#define TLSWATCH_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVIDENCE_SESSION_CAP (1024 * 1024)	  /* bytes kept per session */
#define EVIDENCE_GLOBAL_CAP (64ull * 1024 * 1024) /* bytes kept, all sessions */

struct evidence_stats {
	uint64_t cap;		  /* cap on bytes_now; 0: EVIDENCE_GLOBAL_CAP */
	uint64_t bytes_now;	  /* kept, all sessions */
	uint64_t packets_dropped; /* not kept: a cap was reached */
	uint64_t files_written;
	uint64_t files_failed;
	uint64_t files_withheld; /* not written: the session carries a login secret */
};

struct evidence_pkt;

struct evidence_buf {
	struct evidence_pkt *head, *tail;
	size_t bytes;
	int dlt;	/* link type of the kept frames (-1: none yet) */
	bool truncated; /* some packets were not kept */
};

void evidence_init(struct evidence_buf *b);
/* Copies one frame (caps permitting). */
void evidence_keep(struct evidence_buf *b, struct evidence_stats *st, int dlt, uint64_t ts_us,
		   const uint8_t *frame, size_t caplen);
/* Writes the kept frames as a new pcap file name in directory dirfd (created
 * 0600, never over an existing name or through a symlink: outfile.h); -1 with
 * err on failure. */
int evidence_write(const struct evidence_buf *b, int dirfd, const char *name, char *err,
		   size_t errsz);
void evidence_free(struct evidence_buf *b, struct evidence_stats *st);

#endif
