/*
 * policy.h - the mail policies of domains (MTA-STS, DANE, TLSRPT), learned
 * from the DNS answers on the wire and from the operator's --policy file,
 * and the verdict they give an SMTP session to one of the domain's mail
 * exchangers.
 *
 * References: RFC 8461 (MTA-STS: the _mta-sts TXT record, 3.1, and the
 * policy file, 3.2; MX patterns, 4.1), RFC 7672 (DANE for SMTP: TLSA at
 * _25._tcp.<mx>, usable only when DNSSEC-validated), RFC 8460 (TLSRPT: the
 * _smtp._tls TXT record), RFC 4035 3.2.3 (the AD bit).
 *
 * What the wire tells and what it does not: a _mta-sts TXT record only
 * announces that a policy exists; its mode and MX patterns are in the
 * policy file fetched over HTTPS, which the sensor cannot read. A domain
 * known from DNS alone has the mode STS_UNKNOWN; the --policy file makes
 * it known. A TLSA answer counts for DANE only when the resolver set AD
 * (it validated the answer): the sensor trusts the resolver whose answer
 * it saw, it does not validate DNSSEC itself.
 *
 * What is learned from DNS (responses with RCODE 0, UDP or TCP from port
 * 53), each with its TTL counted in packet time from the answer:
 *   MX    domain -> MX host names
 *   A/AAAA host -> addresses
 *   CNAME alias -> target (followed up to POLICY_CNAME_HOPS)
 *   TXT   _mta-sts.<domain> "v=STSv1; id=..."  the domain announces MTA-STS
 *   TXT   _smtp._tls.<domain> "v=TLSRPTv1; rua=..."  it asks for reports
 *   TLSA  _<port>._tcp.<host>, with the response's AD bit
 * A record reached through a CNAME chain from the question counts for the
 * question's name (a _mta-sts CNAME to a provider's record).
 *
 * Memory is bounded: each kind of record has a table of fixed size
 * (struct policy_limits); an expired entry is reused first, else the
 * oldest-placed one is evicted and counted (struct policy_stats). The
 * operator's file is held whole (at most POLICY_FILE_DOMAINS domains).
 *
 * --policy FILE, one domain a line ('#' starts a comment):
 *   DOMAIN MODE [MX-PATTERN ...]     MODE: enforce, testing or none
 *   DOMAIN sts-file PATH             PATH holds the domain's RFC 8461
 *                                    policy as served at https://mta-sts.
 *                                    DOMAIN/.well-known/mta-sts.txt
 *                                    (relative to FILE's directory)
 * An MX pattern is a host name or "*." and a name (one leftmost label).
 */
#ifndef TLSWATCH_POLICY_H
#define TLSWATCH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "session.h"

#define POLICY_NAME_MAX 128	  /* a name kept (longer ones are not learned) */
#define POLICY_CNAME_HOPS 8	  /* CNAMEs followed from one name */
#define POLICY_MX_PATTERNS 8	  /* MX patterns kept per --policy domain */
#define POLICY_FILE_DOMAINS 4096  /* domains a --policy file may name */
#define POLICY_STS_BODY_MAX 65536 /* bytes of an RFC 8461 policy file read */
#define POLICY_FETCHES 1024	  /* MTA-STS policy fetches (SNI) remembered */

/* Table sizes (entries) of the learned records. */
struct policy_limits {
	size_t mx, addr, cname, sts, tlsrpt, tlsa;
};

struct policy_stats {
	uint64_t answers_learned; /* DNS responses that taught something */
	uint64_t records_learned; /* records stored or refreshed */
	uint64_t evicted;	  /* live entries evicted by a full table */
	uint64_t evicted_mx, evicted_addr, evicted_cname, evicted_sts, evicted_tlsrpt, evicted_tlsa;
	uint64_t expired_reused;	/* expired entries replaced */
	uint64_t file_domains;		/* domains from --policy */
	uint64_t sessions_matched;	/* SMTP sessions a policy applied to */
	uint64_t facts_stored;		/* facts from --state or other sensors stored */
	uint64_t facts_expired;		/* ... dropped: expired when the run began */
	uint64_t sts_fetches;		/* TLS sessions with SNI mta-sts.<domain> */
	uint64_t sts_fetches_forgotten; /* ... overwritten in the table (POLICY_FETCHES) */
};

/* An RFC 8461 policy file's fields. */
struct policy_sts {
	enum sts_mode mode;
	uint32_t max_age;
	char mx[POLICY_MX_PATTERNS][POLICY_NAME_MAX];
	unsigned n_mx;
};

/* What a policy makes of a session (policy_decide). */
struct policy_decision {
	bool sts_alert;
	enum severity sts_severity;
	bool dane_alert;
	enum severity dane_severity;
};

struct policy;

void policy_limits_defaults(struct policy_limits *l);
/* NULL when out of memory; lim NULL: the defaults. */
struct policy *policy_new(const struct policy_limits *lim);
void policy_free(struct policy *p);

/*
 * Reads the operator's policy list (format above). -1 with "FILE:LINE:
 * what" in err on the first bad line, or when FILE or a sts-file cannot be
 * read.
 */
int policy_load_file(struct policy *p, const char *path, char *err, size_t errsz);
/* The same for the text t[0..n) of a list named name (for messages); dir
 * is where relative sts-file paths are found (NULL: the current one). */
int policy_load_text(struct policy *p, const char *name, const char *dir, const char *t, size_t n,
		     char *err, size_t errsz);
/* Parses an RFC 8461 policy body (lines "key: value", LF or CRLF). -1 with
 * "line N: what" in err when it is not one. */
int policy_parse_sts(const char *t, size_t n, struct policy_sts *out, char *err, size_t errsz);
/* Does host match the MX pattern (RFC 8461 4.1)? Case-insensitive. */
bool policy_mx_match(const char *pattern, const char *host);

/* Learns from one parsed DNS message seen at ts_us (responses only). */
void policy_learn_msg(struct policy *p, const struct dns_msg *m, uint64_t ts_us);
/* The same for the bytes of one message; false when they are not one. */
bool policy_learn_bytes(struct policy *p, const uint8_t *msg, size_t n, uint64_t ts_us);

/* The alerts a policy with this MTA-STS mode and DANE state asks for a
 * session with this verdict: a pure function. */
void policy_decide(enum sts_mode mta_sts, bool dane, enum verdict v, struct policy_decision *d);

/*
 * A judged session: when it is SMTP to port 25 of an MX (or with a RCPT TO
 * domain) that has a policy, fills s->policy, adds the alerts to s->alerts
 * and writes them to out (at most max; the number is returned).
 *
 * A TLS session whose ClientHello names mta-sts.<domain> (SNI) is a sender
 * fetching that domain's MTA-STS policy (RFC 8461 3.3) over HTTPS; the
 * policy itself is encrypted. It is remembered for this run (the last
 * POLICY_FETCHES, not kept in --state) when that session is judged: an SMTP
 * session to that domain judged later, that starts after the fetch began,
 * has MTA-STS of mode unknown even when the _mta-sts TXT record was not seen
 * (source "sni"), and its alerts name the fetch.
 */
size_t policy_judge(struct policy *p, struct session *s, struct alert *out, size_t max);

void policy_stats_get(const struct policy *p, struct policy_stats *out);

/*
 * Learned records kept between runs (--state FILE) and shared between
 * sensors (--state redis://). One fact is one record of the tables above,
 * written as one line of text, the same in the state file, in Redis and on
 * its channel:
 *
 *   policy mx DOMAIN HOST EXPIRES LEARNED
 *   policy addr HOST 4|6 ADDRESS EXPIRES LEARNED
 *   policy cname ALIAS TARGET EXPIRES LEARNED
 *   policy sts DOMAIN ID|- EXPIRES LEARNED
 *   policy tlsrpt DOMAIN EXPIRES LEARNED
 *   policy tlsa HOST PORT ad|noad [USAGE SELECTOR MATCHING HEX] EXPIRES LEARNED
 *
 * A TLSA fact carries its association when it is usable (struct
 * policy_tlsa): HEX is the 32 bytes kept, in lower-case hex. Lines of
 * earlier runs without it still parse (the association is then unknown). *
 * EXPIRES and LEARNED are packet times in microseconds since 1970 (the
 * answer's time plus its TTL; when the record was first stored), LEARNED
 * never after EXPIRES. Names are as pol_name keeps them (lower case, no
 * final dot, letters, digits, '-', '_', '.', '*').
 */
enum policy_fact_kind {
	POLICY_FACT_MX = 0,
	POLICY_FACT_ADDR,
	POLICY_FACT_CNAME,
	POLICY_FACT_STS,
	POLICY_FACT_TLSRPT,
	POLICY_FACT_TLSA,
};

/*
 * A TLSA record's certificate association (RFC 6698 2.1) as kept: usable
 * when SMTP DANE can use it (RFC 7672 3.1: usage 2 DANE-TA or 3 DANE-EE,
 * selector 0 or 1) and it can be compared: matching type 1 (SHA-256, the
 * 32 bytes), 2 (SHA-512: its first 32 bytes are kept and compared) or 0
 * (exact: the SHA-256 of the data, when the data was kept whole).
 */
struct policy_tlsa {
	uint8_t usage, selector, matching;
	bool usable;
	uint8_t data[32];
};

struct policy_fact {
	enum policy_fact_kind kind;
	char name[POLICY_NAME_MAX];  /* domain (mx, sts, tlsrpt), host (addr, tlsa), alias */
	char value[POLICY_NAME_MAX]; /* mx: host; cname: target; sts: id ("" none) */
	uint8_t family;		     /* addr: 4 or 6 */
	uint8_t addr[16];
	uint16_t port;		 /* tlsa */
	bool ad;		 /* tlsa: the answer was DNSSEC-validated */
	struct policy_tlsa tlsa; /* tlsa: its association (usable false: unknown) */
	uint64_t expires_us, learned_us;
};

#define POLICY_FACT_LINE_MAX 384 /* the longest line (LF and NUL included) */

/* The line of a fact, without LF, into buf; its length, 0 when the fact is
 * not one policy_fact_parse takes back (bufsz >= POLICY_FACT_LINE_MAX
 * always fits a valid one). */
size_t policy_fact_format(const struct policy_fact *f, char *buf, size_t bufsz);
/* The fact's id among the facts about its name, as the shared state keys
 * it: "mx:HOST", "addr:4/ADDRESS", "cname:TARGET", "sts", "tlsrpt",
 * "tlsa:PORT" or "tlsa:PORT:USAGE:SELECTOR:MATCHING:HEX"; its length, 0
 * when it does not fit. */
size_t policy_fact_id(const struct policy_fact *f, char *buf, size_t bufsz);
/* Reads a line as policy_fact_format writes it (no LF); false with why
 * (a short phrase) when it is not one. */
bool policy_fact_parse(const char *line, struct policy_fact *f, char *why, size_t whysz);
/*
 * Stores a fact learned elsewhere: origin POLICY_SOURCE_STATE (an earlier
 * run) or POLICY_SOURCE_SHARED (another sensor). A session judged with it
 * has that policy source. A record this run learned from DNS keeps its
 * origin (the later expiry wins). False when the fact is expired at the
 * packet time seen last.
 */
bool policy_fact_put(struct policy *p, const struct policy_fact *f, enum policy_source origin);
/* Calls fn with every record not expired at the packet time seen last. */
void policy_facts_each(const struct policy *p, void (*fn)(void *ctx, const struct policy_fact *f),
		       void *ctx);
/*
 * This run learned (or refreshed) a record from DNS: fn gets it and its
 * TTL in seconds, at once (for the shared state). NULL: no one is told.
 */
void policy_on_learn(struct policy *p,
		     void (*fn)(void *ctx, const struct policy_fact *f, uint32_t ttl_s), void *ctx);
/*
 * The packet clock (every packet's time): the first call drops the stored
 * facts already expired then (those loaded from --state before any packet
 * was seen: counted in state_expired).
 */
void policy_clock(struct policy *p, uint64_t ts_us);

#endif
