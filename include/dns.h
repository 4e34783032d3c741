/*
 * dns.h - one DNS message read into a small structure: the header, the
 * first question, and the answer records the mail checks need later
 * (A, AAAA, MX, TXT, TLSA, CNAME), each bounded. A pure function of the
 * message bytes, used by the DNS service parser (src/proto/dns.c) and meant
 * for the MTA-STS / DANE policy checks, which read MX, TXT and TLSA answers.
 *
 * References: RFC 1035 (message format, name compression), RFC 3596
 * (AAAA), RFC 6698 (TLSA), RFC 6891 (the OPT pseudo-record: skipped).
 *
 * Names are kept in presentation form ("mail.example.org", no final dot,
 * "." for the root), bytes that are not letters, digits, '-' or '_'
 * written "\DDD" as dig does, cut at DNS_NAME_KEEP. Compression pointers
 * must point strictly before the label that holds them, so a chain of them
 * always ends; DNS_PTR_HOPS bounds it anyway. A malformed part sets a bit
 * of anomalies and ends the parse there: what was read before stays.
 */
#ifndef TLSWATCH_DNS_H
#define TLSWATCH_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_KEEP 256  /* presentation form of a name, NUL included */
#define DNS_PTR_HOPS 32	   /* compression pointers followed in one name */
#define DNS_RR_KEEP 8	   /* answer records kept per message */
#define DNS_TXT_KEEP 256   /* bytes of a TXT record's strings kept (joined) */
#define DNS_TLSA_KEEP 64   /* bytes of a TLSA record's association data kept */
#define DNS_COUNT_SANE 256 /* more records than this in a section: not DNS */

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_TLSA = 52,
};

/* anomalies of struct dns_msg */
enum {
	DNS_ANOM_TRUNCATED = 1u << 0, /* the message ends inside a part */
	DNS_ANOM_BAD_NAME = 1u << 1,  /* label type 0x40/0x80, name over 255 */
	DNS_ANOM_BAD_PTR = 1u << 2,   /* pointer forward, to itself, or too many */
	DNS_ANOM_BAD_RDATA = 1u << 3, /* rdata not of its type's shape */
	DNS_ANOM_RR_CAP = 1u << 4,    /* more answers of kept types than DNS_RR_KEEP */
};

/* One answer record of a kept type. */
struct dns_rr {
	uint16_t type; /* enum dns_type */
	uint16_t rclass;
	uint32_t ttl;
	char name[DNS_NAME_KEEP]; /* the owner name */
	union {
		uint8_t addr[16]; /* A (4 bytes), AAAA (16) */
		struct {
			uint16_t preference;
			char host[DNS_NAME_KEEP];
		} mx;
		char target[DNS_NAME_KEEP]; /* CNAME */
		struct {
			uint16_t len; /* bytes kept in text (strings joined) */
			bool cut;
			char text[DNS_TXT_KEEP];
		} txt;
		struct {
			uint8_t usage, selector, matching;
			uint16_t len; /* bytes of association data on the wire */
			uint8_t data[DNS_TLSA_KEEP];
		} tlsa;
	} u;
};

struct dns_msg {
	uint16_t id;
	bool response; /* QR */
	uint8_t opcode, rcode;
	bool tc; /* truncated: retry over TCP */
	bool ad; /* authentic data: the resolver validated the answer (RFC 4035 3.2.3) */
	uint16_t qdcount, ancount, nscount, arcount;
	bool has_question; /* the first question was read */
	char qname[DNS_NAME_KEEP];
	uint16_t qtype, qclass;
	uint16_t answers_read;	       /* answer records read (of any type) */
	struct dns_rr rr[DNS_RR_KEEP]; /* answers of a kept type, in order */
	uint8_t n_rr;
	uint32_t anomalies; /* DNS_ANOM_* */
};

/*
 * Does p[0..n) start like a DNS message? The header's counts are sane (one
 * question, at most DNS_COUNT_SANE records per section), opcode QUERY,
 * NOTIFY or UPDATE, the Z bit clear, and the question's name and class
 * (IN, CH, HS, NONE, ANY) read. A cheap test for sniffing.
 */
bool dns_looks_like_message(const uint8_t *p, size_t n);

/*
 * Reads the message p[0..n) into *m (cleared first). Returns false when
 * it is shorter than the header (m then holds nothing); true otherwise,
 * with what could be read and m->anomalies telling what could not.
 */
bool dns_msg_parse(const uint8_t *p, size_t n, struct dns_msg *m);

/* The name of a record type ("A", "MX", "TLSA"; "TYPE65" style otherwise)
 * into buf (at least 12 bytes); returns buf. */
const char *dns_type_name(uint16_t type, char *buf, size_t bufsz);

#endif
