/*
 * session.h - one TCP or UDP session: the facts gathered about it and what was
 * decided. This is the record every sink renders.
 *
 * The session module drives the analysis of a session's two byte streams:
 * it sniffs the first bytes to pick a service parser (or the TLS parser for
 * implicit TLS), feeds the parser, switches to the TLS parser when the parser
 * reports an agreed upgrade, and stops parsing (bypass) once the outcome can
 * no longer change. It also holds the vocabulary of DESIGN.md: verdicts,
 * reasons and alert kinds, with their stable names.
 */
#ifndef TLSWATCH_SESSION_H
#define TLSWATCH_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "proto.h"
#include "reasm.h"
#include "tls.h"

enum verdict {
	VERDICT_UNKNOWN = 0,
	VERDICT_IMPLICIT_TLS,
	VERDICT_STARTTLS,
	VERDICT_CLEARTEXT,
	VERDICT_DOWNGRADED,
	VERDICT_TLS_FAILED,
	VERDICT_COUNT,
};

enum reason {
	REASON_NONE = 0,
	/* cleartext */
	REASON_NOT_OFFERED,
	REASON_NOT_REQUESTED,
	REASON_NO_TLS_PROTOCOL,
	REASON_OFFER_UNSEEN, /* no capability list seen: offered or not, unknown */
	/* downgraded */
	REASON_CAPABILITY_STRIPPED,
	REASON_CAPABILITY_MASKED,
	REASON_UPGRADE_REFUSED,
	REASON_NO_TLS_AFTER_ACCEPT,
	REASON_TLS_FALLBACK,
	REASON_PLAINTEXT_ON_TLS_PORT,
	/* tls-failed */
	REASON_ALERT,
	REASON_CLOSED,
	REASON_NO_ANSWER, /* a DTLS ClientHello over UDP, nothing came back */
	/* unknown */
	REASON_MIDSTREAM,
	REASON_NO_PAYLOAD,
	REASON_UNRECOGNIZED,
	REASON_GAP,
	REASON_COUNT,
};

enum alert_kind {
	ALERT_CAPABILITY_STRIPPED = 0,
	ALERT_CAPABILITY_MASKED,
	ALERT_UPGRADE_REFUSED,
	ALERT_NO_TLS_AFTER_ACCEPT,
	ALERT_TLS_FALLBACK,
	ALERT_PLAINTEXT_ON_TLS_PORT,
	ALERT_CLEARTEXT_LOGIN,
	ALERT_CMD_INJECTION,
	ALERT_RESP_INJECTION,
	ALERT_PREAUTH_BYPASS,
	ALERT_TLS_OBSOLETE_VERSION,
	ALERT_TLS_WEAK_CIPHER,
	ALERT_AUTH_OFFERED_CLEARTEXT,
	ALERT_LOGIN_BRUTEFORCE,
	ALERT_DATA_CLEARTEXT,	   /* an encrypted control session's data went in the clear */
	ALERT_MTA_STS_VIOLATION,   /* mail to an MTA-STS domain's MX not protected by TLS */
	ALERT_DANE_VIOLATION,	   /* mail to an MX with DNSSEC-validated TLSA not protected */
	ALERT_DANE_MISMATCH,	   /* the MX's certificate matches none of its validated TLSA */
	ALERT_CERT_NAME_MISMATCH,  /* the certificate does not name the MX (MTA-STS) or the SNI */
	ALERT_CERT_EXPIRED,	   /* the certificate was expired or not yet valid */
	ALERT_CERT_SELF_SIGNED,	   /* a self-signed certificate where MTA-STS requires PKIX */
	ALERT_CERT_CHANGED,	   /* the server's certificate is not the one it had before */
	ALERT_MTA_STS_MX_MISMATCH, /* an MX that no pattern of its domain's MTA-STS policy covers */
	ALERT_KIND_COUNT,
};

/* The kinds that say a session violated its mail policy (policy_judge):
 * unprotected mail (mta-sts-violation, dane-violation), a certificate
 * matching no TLSA record, a self-signed one on an MTA-STS MX, an MX its
 * domain's MTA-STS policy does not list. */
#define ALERTS_POLICY_VIOLATION                                                                    \
	(1u << ALERT_MTA_STS_VIOLATION | 1u << ALERT_DANE_VIOLATION | 1u << ALERT_DANE_MISMATCH |  \
	 1u << ALERT_CERT_SELF_SIGNED | 1u << ALERT_MTA_STS_MX_MISMATCH)

enum severity {
	SEVERITY_LOW = 0,
	SEVERITY_MEDIUM,
	SEVERITY_HIGH,
	SEVERITY_CRITICAL, /* a published policy requiring TLS was violated */
};

/* Where a session's mail policy was learned (struct session_policy). */
enum policy_source {
	POLICY_SOURCE_NONE = 0, /* no policy known for the session */
	POLICY_SOURCE_DNS,	/* DNS answers seen in this run */
	POLICY_SOURCE_STATE,	/* DNS answers remembered in the --state file */
	POLICY_SOURCE_FILE,	/* the operator's --policy file */
	POLICY_SOURCE_SHARED,	/* DNS answers another sensor saw (--state redis://) */
	POLICY_SOURCE_SNI,	/* a sender's HTTPS fetch of the domain's MTA-STS policy
				 * (TLS SNI mta-sts.<domain>) seen in this run */
};

/* A domain's MTA-STS mode (RFC 8461 5). UNKNOWN: the domain announced a
 * policy in DNS (_mta-sts TXT), whose body (the mode) went over HTTPS. */
enum sts_mode {
	STS_ABSENT = 0,
	STS_UNKNOWN,
	STS_NONE,
	STS_TESTING,
	STS_ENFORCE,
};

#define POLICY_DOMAIN_KEEP 96 /* bytes of the domain name kept, NUL included */

/* The mail policy that applied to an SMTP session (src/policy.c); source
 * NONE when none did. */
struct session_policy {
	char domain[POLICY_DOMAIN_KEEP];
	uint8_t source;	 /* enum policy_source */
	uint8_t mta_sts; /* enum sts_mode */
	bool dane;	 /* TLSA published for the MX, answer validated (AD) */
	bool tlsrpt;	 /* the domain asks for TLS reports (RFC 8460) */
	bool mail_sent;	 /* mail content crossed (DATA accepted, BDAT) */
};

/* How the session ended. */
enum session_end {
	END_OPEN = 0, /* still open */
	END_FIN,      /* both sides closed */
	END_RST,      /* reset */
	END_IDLE,     /* idle timeout */
	END_EVICTED,  /* flow table full: evicted as the idlest */
	END_CAPTURE,  /* the capture ended (or the user stopped it) */
};

/* Which bytes the session is currently being parsed as. */
enum session_mode {
	MODE_SNIFF = 0, /* not identified yet */
	MODE_PLAIN,	/* a service parser reads it */
	MODE_TLS,	/* the TLS parser reads it */
	MODE_WATCH,	/* unrecognised cleartext: only watched for a ClientHello */
	MODE_BYPASS,	/* outcome settled: bytes are only counted */
	MODE_OPAQUE,	/* unrecognized or lost sync: bytes are only counted */
};

#define SESSION_SNIFF_BYTES 160	  /* first bytes per direction held while sniffing */
#define SESSION_WATCH_BYTES 65536 /* unrecognised bytes watched for a late TLS start */
#define SESSION_PRE_TLS_TEXT 1024 /* text read over where TLS must start */
#define NDPI_NAME_MAX 32

struct session {
	uint64_t id;
	uint64_t ts_first_us, ts_last_us;
	uint8_t family; /* 4 or 6 */
	uint8_t l4;	/* 6 TCP, 17 UDP */
	uint8_t client_ip[16], server_ip[16];
	uint16_t client_port, server_port;

	const struct proto_desc *proto; /* the service parser, once identified */
	const char *service;		/* service name for outputs ("smtp", "tls", ...) */
	enum session_mode mode;
	enum session_end end;
	bool syn_seen;		  /* the client's SYN was captured */
	bool midstream;		  /* picked up after the start */
	bool gap;		  /* bytes were missing from a stream */
	bool gap_undecided;	  /* ... before the outcome was known */
	bool implicit_tls;	  /* the first client payload was a TLS handshake */
	bool plain_seen;	  /* a service parser recognised cleartext */
	bool tls_after_cleartext; /* a ClientHello followed unrecognised cleartext */
	bool tls_started[2];	  /* after the upgrade: this direction's TLS began */
	bool in_pre_tls_line[2];
	uint32_t pre_tls_text[2]; /* text bytes read over where TLS had to start
				   * (evidence in tf.first_bytes) */
	bool resp_unprompted;	  /* server text after the go-ahead came before
				   * the client began its handshake */
	/* No parser and no TLS claimed the first bytes: the first of them (the
	 * client's, else the server's), as evidence for a TLS-only port. */
	uint8_t unrecognized[64];
	uint8_t unrecognized_len;

	/* The encapsulations of the first tunnelled packet (decode.h: enum
	 * tunnel_kind, outermost first); depth 0 when none came in a tunnel. */
	uint8_t tunnel_depth;
	uint8_t tunnels[DECODE_TUNNEL_MAX];

	uint64_t packets;
	uint64_t bytes[2];	 /* payload bytes per direction */
	uint64_t bypassed_bytes; /* payload not parsed because the outcome was settled */

	struct proto_facts pf;
	struct tls_facts tf;
	char ndpi[NDPI_NAME_MAX]; /* nDPI's protocol name, "" when not consulted */
	/* A data connection (its service is a data_channel): the session that
	 * announced it, and how it was linked (1 announced, 2 inferred from an
	 * encrypted control session's hosts; 0 not a data connection). */
	uint64_t control_id;
	uint8_t link;
	bool link_tls; /* ... TLS was offered or in use on the control session */
	/* A control session: its data connections judged before it, and how
	 * many of them carried cleartext. */
	uint32_t data_sessions, data_cleartext;

	/* Alerts raised while the session was open (verdict_early): their
	 * kinds, and which logins[] were alerted. The judge at the end lists
	 * them and does not raise them again. */
	uint32_t alerts_early; /* 1u << enum alert_kind */
	uint8_t logins_early;  /* 1u << index in pf.logins */

	/* Filled when the session is judged (session_finish). */
	enum verdict verdict;
	enum reason reason;
	uint32_t alerts;	      /* 1u << enum alert_kind */
	struct session_policy policy; /* SMTP to a policy-protected domain */

	/* Parser state, owned by the session. */
	struct session_sniff *sniff; /* while identifying: the first bytes */
	void *pstate;
	struct tls_parser *tls;
	struct quic_conn *quic; /* QUIC's Initial decryption */
	struct dtls_conn *dtls; /* DTLS: the server's Certificate reassembled */
};

/* One alert: per session (raised when its evidence is seen, or when the
 * session is judged) or cross-session. */
struct alert {
	enum alert_kind kind;
	enum severity severity;
	uint64_t session_id;
	uint64_t flow_id; /* the session's (flowid.h) */
	uint64_t ts_us;
	uint8_t family;
	uint8_t l4;
	uint8_t client_ip[16], server_ip[16];
	uint16_t client_port, server_port;
	const char *service;
	char evidence[EVIDENCE_MAX * 4 + 1]; /* escaped, cut */
	char pcap[512];			     /* --evidence file with the session's packets, or "" */
};

const char *verdict_name(enum verdict v);
const char *reason_name(enum reason r); /* NULL for REASON_NONE */
const char *alert_kind_name(enum alert_kind k);
const char *severity_name(enum severity s);
const char *policy_source_name(enum policy_source s); /* NULL for NONE */
const char *sts_mode_name(enum sts_mode m);	      /* NULL for ABSENT */
const char *session_end_name(enum session_end e);
/* "tcp", "udp" or "sctp" for a transport protocol number (6, 17, 132). */
const char *transport_name(uint8_t l4);
/* The protocol number of "tcp", "udp" or "sctp" (len bytes of name); 0 for
 * anything else. */
uint8_t transport_by_name(const char *name, size_t len);
/* Parses an alert kind name; -1 when unknown. */
int alert_kind_parse(const char *name);

/* Starts a session (zeroes it and sets the identity fields). */
void session_init(struct session *s, uint64_t id, uint64_t ts_us);
/* The session's flow id (flowid.h): from its transport, endpoints and first
 * packet's time, the same in every output and run. */
uint64_t session_flow_id(const struct session *s);
/* In-order bytes or a gap from reassembly. */
void session_on_data(struct session *s, enum dir dir, const uint8_t *p, size_t len);
void session_on_gap(struct session *s, enum dir dir, size_t len);
/* One UDP datagram (cut: the capture holds only its first len bytes). The
 * first one with bytes picks the parser (a registered protocol on UDP with
 * a datagram callback: a strong claim, or a weak one on its own port),
 * which then gets every datagram of both directions; a session no parser
 * claims keeps that datagram as evidence and is only counted. */
void session_on_datagram(struct session *s, enum dir dir, const uint8_t *p, size_t len, bool cut);
/* One SCTP user message (or fragment of one), in TSN order (cut: bytes of
 * it were not captured). DTLS (RFC 6083: each message holds whole DTLS
 * records) goes as datagrams; anything else is read as a stream, as over
 * TCP. */
void session_on_sctp(struct session *s, enum dir dir, const uint8_t *p, size_t len, bool cut);
/* True when no further byte can change the outcome (the engine may stop
 * reassembling and only count). */
bool session_settled(const struct session *s);
/* Names the service of a session no service parser claimed: from the TLS
 * ALPN, else from the port table, else "tls" for TLS, else "unknown". */
void session_name_service(struct session *s);
/* Identifies sessions against list (NULL-ended) instead of the registry;
 * NULL restores the registry. For tests of parsers not in the registry. */
void session_use_registry(const struct proto_desc *const *list);
/* Frees the parser state (facts stay). */
void session_release(struct session *s);
/* Frees the blocks the calling thread keeps for the next sessions' parser
 * states; each thread that handled sessions calls it before it ends. */
void session_cache_drain(void);
/* Heap bytes the session holds now besides itself (sniff buffer, parser
 * state, TLS parser and its hellos): what the engine's memcap counts. */
size_t session_heap_bytes(const struct session *s);
/* A settled session's facts in few bytes: the record with its runs of zero
 * bytes (empty strings, unused login slots) squeezed out. The session must
 * hold no parser state (session_release). Returns the packed length, or 0
 * when it would not fit in cap. */
size_t session_pack(const struct session *s, uint8_t *out, size_t cap);
/* Restores a record packed by session_pack; false if in is not one. */
bool session_unpack(struct session *s, const uint8_t *in, size_t len);
/* Formats an address of this session ("127.0.0.1", "::1"). */
void session_addr_str(uint8_t family, const uint8_t *addr, char *out, size_t outsz);

#endif
