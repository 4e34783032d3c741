/*
 * stats.h - run-wide counters. Nothing is lost silently: every drop, eviction
 * and cap that is hit has a counter here, printed by --stats and written as
 * the JSON `stats` record.
 */
#ifndef TLSWATCH_STATS_H
#define TLSWATCH_STATS_H

#include <stdint.h>

#include "decode.h"
#include "ipfrag.h"
#include "reasm.h"

struct stats {
	uint64_t packets; /* frames read */
	uint64_t bytes;	  /* captured bytes */
	uint64_t decode[DECODE_RESULTS];
	struct ipfrag_stats frag; /* IP fragment reassembly (the reader's) */
	/* Per enum tunnel_kind: packets decoded through one (each level of a
	 * nested packet counts), and tunnel headers of that kind that were cut,
	 * malformed, unsupported or one level too deep. */
	uint64_t tunnel_packets[TUNNEL_KINDS];
	uint64_t tunnel_errors[TUNNEL_KINDS];
	uint64_t tcp_packets;
	uint64_t udp_packets;
	uint64_t sctp_packets;
	/* SCTP chunks (the flow owner's): chunk lists that could not be
	 * walked past a length under 4 or past the packet, DATA chunks too
	 * short for their header, retransmitted DATA (a TSN already read),
	 * DATA missing before the one read (a TSN skipped: the session has a
	 * gap), and I-DATA chunks (RFC 8260 interleaving: not read, a gap). */
	uint64_t sctp_chunks_bad;
	uint64_t sctp_data_dup;
	uint64_t sctp_data_gaps;
	uint64_t sctp_idata;
	uint64_t payload_cut;	/* TCP segments cut by the snap length */
	uint64_t stray_packets; /* no flow and nothing to start one (lone ACK/FIN/RST) */
	uint64_t late_packets;	/* after their session was closed */
	uint64_t flows_created;
	uint64_t flows_closed;	       /* FIN or RST */
	uint64_t flows_idle;	       /* idle timeout */
	uint64_t flows_dormant;	       /* established, silent past the idle timeout: kept */
	uint64_t flows_resumed;	       /* ... then woken by a packet (one session, not two) */
	uint64_t flows_evicted;	       /* table full: the idlest was finished early */
	uint64_t flows_at_end;	       /* still open when the capture ended */
	uint64_t flows_max_seen;       /* high-water mark of the flow table */
	uint64_t flows_packed;	       /* settled sessions kept packed until they end */
	uint64_t flows_evicted_memcap; /* open flows finished early for the memcap */
	/* UDP flows (also in the flows_ counters above): started, finished by
	 * the UDP idle timeout, finished early for a cap (--max-udp-flows,
	 * --max-flows or the memcap), and the most open at once. */
	uint64_t udp_flows_created;
	uint64_t udp_flows_idle;
	uint64_t udp_flows_evicted;
	uint64_t udp_flows_max_seen;
	uint64_t memory_now;	  /* bytes of flows and their state now */
	uint64_t memory_max;	  /* ... the most at any time (sum over workers) */
	uint64_t sessions;	  /* sessions reported */
	uint64_t sessions_empty;  /* flows without payload: counted, not reported
				   * (unless --show-empty) */
	uint64_t alerts;	  /* alerts raised */
	uint64_t alerts_dropped;  /* alerts beyond the per-session limit */
	uint64_t bypassed_bytes;  /* payload counted, not parsed (outcome settled) */
	uint64_t parser_cap_hits; /* lines cut, pipelines overflowed, hellos too large */
	uint64_t logins_dropped;  /* logins beyond LOGIN_MAX in one session */
	uint64_t alloc_failures;
	uint64_t ndpi_flows; /* flows nDPI was consulted for */
	uint64_t ndpi_identified;
	uint64_t servers_forgotten; /* correlation memory full: oldest server dropped */
	uint64_t pairs_forgotten;   /* ... oldest client/server pair dropped */
	uint64_t state_servers_loaded;
	uint64_t state_certs_loaded; /* servers' certificates read from --state FILE */
	/* --state redis:// (shared.h); shared_on: the fields are meaningful */
	bool shared_on;
	uint64_t shared_loaded, shared_received, shared_sent, shared_dropped, shared_forgotten,
		shared_reconnects, shared_errors, shared_hits, shared_counted, shared_feed_sent,
		shared_feed_dropped;
	uint64_t shared_policy_loaded, shared_policy_received, shared_policy_sent,
		shared_policy_dropped;
	uint64_t shared_cert_loaded, shared_cert_received, shared_cert_sent, shared_cert_dropped,
		shared_cert_unchecked;
	uint64_t shared_arrivals_lost;	/* offers announced while running not looked at for late
					   alerts */
	uint64_t policy_answers;	/* DNS responses that taught a mail policy fact */
	uint64_t policy_records;	/* ... records stored or refreshed */
	uint64_t policy_evicted;	/* policy tables full: oldest record dropped */
	uint64_t policy_expired_reused; /* ... expired record replaced */
	uint64_t policy_file_domains;	/* domains from --policy */
	uint64_t policy_sessions;	/* SMTP sessions a policy applied to */
	uint64_t policy_state_loaded;	/* policy lines read from --state FILE */
	uint64_t policy_facts_stored;	/* ... and facts from other sensors, stored */
	uint64_t policy_facts_expired;	/* ... dropped: expired when the run began */
	uint64_t policy_sts_fetches;	/* TLS sessions to mta-sts.<domain> (SNI) */
	uint64_t policy_sts_fetches_forgotten; /* ... overwritten (POLICY_FETCHES) */
	uint64_t links_announced;	       /* data connections announced (FTP PASV, PORT ...) */
	uint64_t links_linked;		       /* data sessions linked to an announcement */
	uint64_t links_inferred;	       /* ... to an encrypted control session's hosts */
	uint64_t links_dropped;		       /* announcements forgotten: the table was full */
	uint64_t evidence_files;
	uint64_t evidence_failed;
	uint64_t evidence_withheld;	   /* not written: the session carried a login secret */
	uint64_t evidence_packets_dropped; /* over the evidence caps */
	struct reasm_stats reasm;
	/* libpcap's counters for live captures */
	uint64_t pcap_received, pcap_dropped, pcap_ifdropped;
	int pcap_stats_valid;
};

#endif
