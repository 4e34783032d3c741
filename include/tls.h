/*
 * tls.h - TLS record and handshake parser (facts only, no decryption).
 *
 * Reads the unencrypted part of a TLS (or SSLv2-compatible) conversation from
 * the two reassembled byte streams of a session and records what a verdict
 * needs: ClientHello (legacy version, supported_versions, SNI, ALPN, cipher
 * suites), ServerHello (negotiated version, TLS 1.3 through supported_versions,
 * cipher suite), plaintext Alerts, and whether encrypted traffic flowed both
 * ways (the handshake completed).
 *
 * References: RFC 5246 (TLS 1.2), RFC 8446 (TLS 1.3), RFC 6066 (SNI),
 * RFC 7301 (ALPN), RFC 6101 appendix E / RFC 5246 appendix E.2 (SSLv2-compatible
 * ClientHello).
 *
 * Records may be split across segments and handshake messages across records;
 * only ClientHello, ServerHello and (TLS <= 1.2) the server's Certificate are
 * reassembled (under TLS_HS_CAP), every other message is skipped by length.
 * DTLS (dtls.c) reassembles the server's Certificate from its fragments
 * under the same cap. A parser never allocates when fed a stream that is not
 * TLS: it sets not_tls for that direction and stops.
 *
 * Implemented in src/tls/: record.c (this API: records, reassembly, alerts,
 * sniffers), hello.c (the hello messages alone, tls_hello.h, for DTLS and
 * QUIC too), cert.c (the Certificate message, with OpenSSL's libcrypto),
 * dtls.c (DTLS records, below), names.c (version, suite and alert names,
 * the weak-suite table).
 */
#ifndef TLSWATCH_TLS_H
#define TLSWATCH_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reasm.h"

#define TLS_HS_CAP 32768 /* largest hello or Certificate message reassembled */
#define TLS_SNI_MAX 256
#define TLS_ALPN_MAX 64
#define TLS_CERT_HASHED 3  /* certificates of a chain whose hashes are kept */
#define TLS_CERT_TEXT 64   /* subject / issuer common name kept */
#define TLS_CERT_NAMES 160 /* the leaf's DNS names, joined by ',' (cut) */

/* Anomaly bits recorded in tls_facts.anomalies. */
enum {
	TLS_ANOM_BAD_RECORD = 1u << 0,	  /* record header malformed mid-stream */
	TLS_ANOM_BAD_HANDSHAKE = 1u << 1, /* hello or fragments inconsistent */
	TLS_ANOM_HS_CAP = 1u << 2,	  /* a hello or Certificate exceeded TLS_HS_CAP */
	TLS_ANOM_GAP = 1u << 3,		  /* stream gap: parsing stopped */
};

/* What the server's certificate said (TLS and DTLS <= 1.2: the Certificate
 * message is in the clear; TLS 1.3 and DTLS 1.3 encrypt it). Read by
 * src/tls/cert.c. */
enum tls_cert_state {
	TLS_CERT_NONE = 0,  /* no Certificate message seen */
	TLS_CERT_READ,	    /* the leaf parsed: the fields below hold */
	TLS_CERT_BAD,	    /* a Certificate message whose leaf did not parse */
	TLS_CERT_ENCRYPTED, /* (D)TLS 1.3: the certificate went encrypted */
};

/* Hashes of one certificate, as TLSA associations compare them (RFC 6698
 * 2.1: selector 0 full certificate, 1 SubjectPublicKeyInfo; matching type
 * 1 SHA-256, 2 SHA-512). A SHA-512 is kept as its first 32 bytes. */
struct tls_cert_hash {
	uint8_t cert256[32], spki256[32];
	uint8_t cert512[32], spki512[32];
};

struct tls_cert {
	uint8_t state;	    /* enum tls_cert_state */
	uint8_t chain;	    /* certificates in the message (255: more) */
	uint8_t hashed;	    /* of them, hashed in h[] (leaf first) */
	bool self_signed;   /* the leaf names itself as issuer and its key signs it */
	bool names_cut;	    /* names[] could not hold every DNS name */
	bool times_known;   /* both validity times parsed (else 0 below) */
	uint8_t linked;	    /* bit i: h[i] is issued and signed by h[i + 1] */
	int64_t not_before; /* validity, seconds since 1970 (UTC) */
	int64_t not_after;
	char subject[TLS_CERT_TEXT]; /* the leaf's subject CN, "" when none */
	char issuer[TLS_CERT_TEXT];  /* its issuer's CN (else O), "" when none */
	char names[TLS_CERT_NAMES];  /* subjectAltName DNS names, else the CN */
	char key[16];		     /* "rsa2048", "ec256", "ed25519", ... */
	struct tls_cert_hash h[TLS_CERT_HASHED];
};

struct tls_facts {
	/* ClientHello */
	bool client_hello;
	bool sslv2_hello;	     /* SSLv2-compatible ClientHello format */
	uint16_t client_version;     /* legacy_version of the ClientHello */
	uint16_t client_max_version; /* highest of supported_versions, else legacy */
	uint16_t n_ciphers_offered;
	bool weak_cipher_offered; /* any offered suite is weak (tls_cipher_is_weak) */
	char sni[TLS_SNI_MAX];	  /* first host_name, NUL-terminated, "" when absent */
	char alpn[TLS_ALPN_MAX];  /* offered protocols joined by ',' (cut to fit) */

	/* ServerHello */
	bool server_hello;
	uint16_t version; /* negotiated (supported_versions wins over legacy) */
	uint16_t cipher;  /* negotiated cipher suite */
	char alpn_selected[TLS_ALPN_MAX];

	/* The server's Certificate message (TLS and DTLS <= 1.2) */
	struct tls_cert cert;

	/* Alerts readable in the clear (before that direction is encrypted) */
	bool alert;
	enum dir alert_dir;
	uint8_t alert_level; /* 1 warning, 2 fatal */
	uint8_t alert_desc;

	/* Per direction */
	bool not_tls[2];   /* bytes in this direction were not TLS records */
	bool encrypted[2]; /* this direction sent CCS or encrypted records */
	uint32_t records[2];
	uint64_t first_bytes_len[2]; /* when not_tls: how many bytes were not TLS */
	uint8_t first_bytes[2][64];  /* when not_tls: the first bytes (evidence) */

	/* Handshake completed: server_hello and encrypted records both ways, and
	 * no fatal alert in the clear. Once true the session outcome is settled. */
	bool established;

	uint32_t anomalies; /* TLS_ANOM_* */
	uint32_t cap_hits;  /* hellos and Certificates dropped for TLS_HS_CAP */
};

/* Per-direction parse state (private layout, embedded for allocation-free use). */
struct tls_dir_state {
	uint8_t hdr[5]; /* record header being assembled */
	uint8_t hdr_len;
	uint8_t rec_type;
	uint32_t rec_left; /* body bytes of the current record still to come */
	bool in_record;
	bool stopped; /* not TLS or gap: ignore the rest */
	bool sslv2;   /* current record is an SSLv2 ClientHello being read */
	/* handshake message reassembly (ClientHello / ServerHello only) */
	uint8_t hs_hdr[4];
	uint8_t hs_hdr_len;
	uint8_t hs_type;
	uint32_t hs_len;      /* body length of the current handshake message */
	uint32_t hs_have;     /* body bytes seen so far */
	uint8_t *hs_buf;      /* malloc'd only for CH/SH/Certificate, freed when done; NULL: skip */
	bool started;	      /* a valid record header was seen */
	bool clear_done;      /* encrypted: handshake/alert bodies unreadable */
	bool hello_done;      /* this direction's hello has been parsed */
	uint8_t alert_buf[2]; /* alert (level, description) being assembled */
	uint8_t alert_have;
};

struct tls_parser {
	struct tls_dir_state d[2];
	bool hrr;   /* a HelloRetryRequest was seen */
	bool tls13; /* TLS 1.3 known (HelloRetryRequest or ServerHello) */
};

void tls_parser_init(struct tls_parser *t);
/* Frees what the parser holds. The parser can be reused after tls_parser_init. */
void tls_parser_free(struct tls_parser *t);
/* Heap bytes the parser holds now (hellos being reassembled). */
size_t tls_parser_heap_bytes(const struct tls_parser *t);

/*
 * Feeds in-order bytes of one direction. Returns the number of bytes consumed
 * (always len: a TLS stream never hands bytes back). Safe on any input.
 */
size_t tls_feed(struct tls_parser *t, struct tls_facts *f, enum dir dir, const uint8_t *p,
		size_t len);
/* A gap in one direction: parsing of that direction stops (records cannot be
 * resynchronised reliably). */
void tls_gap(struct tls_parser *t, struct tls_facts *f, enum dir dir);

/*
 * Does this look like the start of a TLS conversation from a client?
 * Returns 1 (yes: a handshake record 0x16 0x03 0x00-0x04, or an SSLv2-format
 * ClientHello), 0 (no), or -1 (too few bytes to tell).
 */
/*
 * Reads the body of a TLS 1.0-1.2 Certificate message (RFC 5246 7.4.2:
 * certificate_list, each a DER X.509 certificate, the server's first) into
 * c, with OpenSSL's libcrypto: state TLS_CERT_READ, or TLS_CERT_BAD when
 * the message or its first certificate does not parse.
 */
void tls_cert_parse(struct tls_cert *c, const uint8_t *body, size_t len);
/* Frees this thread's cache of recently parsed Certificate messages (a
 * message equal to a recent one gets its result without a new parse). */
void tls_cert_cache_drain(void);
/* Does the DNS name host match one of the certificate's names (RFC 6125
 * 6.4: case-insensitive, a "*." wildcard covers one leftmost label)? */
bool tls_cert_names_match(const struct tls_cert *c, const char *host);

int tls_sniff_client(const uint8_t *p, size_t len);
/* Same for any TLS record start (handshake, alert, CCS, app data), used for
 * the server side and for bytes after an accepted upgrade. */
int tls_sniff_record(const uint8_t *p, size_t len);

/*
 * DTLS (src/tls/dtls.c): one UDP datagram of one direction, its records
 * read into f (the hellos, alerts in the clear, which directions went
 * encrypted, established). The one thing kept across datagrams is the
 * server's Certificate (DTLS <= 1.2) being reassembled from its fragments
 * (RFC 6347 4.2.3): a struct dtls_conn per session, zeroed to start, whose
 * buffer is allocated at the first fragment (at most TLS_HS_CAP bytes and
 * a bitmap of them) and freed once the message is read. Safe on any bytes
 * (a first record that is not DTLS sets not_tls and its bytes as evidence).
 */
struct dtls_conn {
	uint8_t *cert_buf;  /* the Certificate body, then one bit per byte come */
	uint32_t cert_len;  /* its length (the handshake header's) */
	uint32_t cert_have; /* of its bytes, how many came */
	uint16_t cert_seq;  /* its message_seq */
	bool cert_done;	    /* read, given up or too large: no more fragments */
	bool tls13;	    /* DTLS 1.3 known (HelloRetryRequest): encrypted */
};

void dtls_datagram(struct dtls_conn *d, struct tls_facts *f, enum dir dir, const uint8_t *p,
		   size_t n);
/* Frees what d holds; d can be reused once zeroed. */
void dtls_conn_free(struct dtls_conn *d);
/* Heap bytes d holds now (a Certificate being reassembled). */
size_t dtls_conn_heap_bytes(const struct dtls_conn *d);
/* A datagram that starts a DTLS conversation from a client: a handshake
 * record of epoch 0 (version 0xfeff or 0xfefd; 0xfefc tolerated) holding
 * the first fragment of a ClientHello with message_seq 0. */
bool dtls_sniff_client(const uint8_t *p, size_t n);
/* Any DTLS record start (handshake, alert, CCS, application data). */
bool dtls_sniff_record(const uint8_t *p, size_t n);

/*
 * QUIC (src/tls/quic.c): Initial packets decrypted with the keys their
 * client's first Destination Connection ID gives (RFC 9001 5.2, RFC 9369
 * for v2), CRYPTO data reassembled per side, the ClientHello and
 * ServerHello read into the TLS facts. One struct quic_conn per session
 * (about 9 KiB: allocated only for QUIC, freed once settled).
 */
#define QUIC_CRYPTO_MAX 4096 /* CRYPTO bytes kept per side: one hello */

struct quic_keys {
	uint8_t key[16], iv[12], hp[16];
};

struct quic_crypto_buf {
	uint8_t data[QUIC_CRYPTO_MAX];
	uint8_t have[QUIC_CRYPTO_MAX / 8]; /* which bytes arrived */
	bool done;			   /* the hello was read (or given up) */
};

struct quic_conn {
	uint8_t dcid[20]; /* the client's first Destination Connection ID */
	uint8_t dcid_len;
	bool dcid_set;
	uint32_t version; /* of the client's first Initial */
	struct quic_crypto_buf crypto[2];
};

/* A client's first datagram: a long-header Initial of QUIC v1, v2 or a
 * draft version (23-34) whose header reads. */
bool quic_sniff_initial(const uint8_t *p, size_t n);
/* One datagram of one direction (coalesced packets read in turn). */
void quic_datagram(struct quic_conn *q, struct tls_facts *f, enum dir dir, const uint8_t *p,
		   size_t n);
/* The Initial keys of version for this DCID, the client's or the server's
 * (RFC 9001 5.2); false for a version without a known salt. */
bool quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
		       struct quic_keys *k);
/* The header protection mask: AES-128-ECB of the sample (RFC 9001 5.4.3). */
bool quic_hp_mask(const uint8_t hp[16], const uint8_t sample[16], uint8_t mask[16]);

/* "SSLv2", "SSLv3", "TLSv1.0" .. "TLSv1.3", "DTLSv1.0", "DTLSv1.2",
 * "DTLSv1.3", or "0xXXXX" in buf. */
const char *tls_version_name(uint16_t v, char buf[8]);
/* IANA name ("TLS_AES_128_GCM_SHA256") for known suites, else "0xXXXX" in buf. */
const char *tls_cipher_name(uint16_t c, char buf[8]);
/* NULL, EXPORT, RC4, anonymous, DES or 3DES suites. */
bool tls_cipher_is_weak(uint16_t c);
/* The same answer from the tables each time (tls_cipher_is_weak reads a
 * bitmap filled from them once); for tests. */
bool tls_cipher_is_weak_uncached(uint16_t c);
/* SSLv2, SSLv3, TLS 1.0, TLS 1.1. */
bool tls_version_is_obsolete(uint16_t v);
/* Alert description name ("handshake_failure"), or NULL. */
const char *tls_alert_name(uint8_t desc);

#endif
