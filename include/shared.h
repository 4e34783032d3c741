/*
 * shared.h - correlation state shared by several sensors through Redis:
 * `--state redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P&ttl=S&feed=N]`.
 *
 * What one sensor learns that another needs is which servers offered the
 * upgrade (STARTTLS, STLS ...): a server whose offer passed sensor A and
 * whose stripped session passes sensor B is capability-stripped only if B
 * knows what A saw; and which clients failed a handshake with a server
 * (tls-fallback: the failure on one sensor, the cleartext retry on
 * another). Each fact is kept in Redis as a hash
 *
 *   PREFIX:offer:{4/192.0.2.10/25/tcp}            service smtp  sensor A  first US  last US
 *   PREFIX:fail:{4/192.0.2.10/25/tcp}:192.0.2.7   ts US  broken 0|1  sensor A
 *
 * (the braces are a Redis Cluster hash tag: one server's keys on one shard),
 * an offer living ttl= seconds after its last sighting, a failure as long as
 * the fallback window, and announced on the channel PREFIX:offers so that
 * running sensors learn it at once.
 *
 * Learned mail policy facts (policy.h: MX, addresses, CNAME, _mta-sts,
 * _smtp._tls, TLSA with AD) are kept the same way, one string key a fact,
 * its value the fact's line, living as long as the DNS TTL said:
 *
 *   PREFIX:policy:{example.org}:mx:mx.example.org   policy mx example.org ...
 *   PREFIX:policy:{mx.example.org}:addr:4/192.0.2.25
 *   PREFIX:policy:{mx.example.org}:tlsa:25
 *
 * (the hash tag is the name the fact is about: one domain's facts on one
 * shard) and announced on a channel of their own, PREFIX:policies, as
 * "policy NONCE SENSOR LINE" (PREFIX:offers carries only offers and
 * failures: sensors of an earlier release read every message there as one).
 * The facts other sensors publish are handed to the caller's thread
 * (shared_policy_take), which stores them: the policy store is not shared
 * between threads.
 *
 * The certificate each server presented last (TLS 1.2 and older: its
 * SHA-256, whether it signs itself, the packet time it was last seen, the
 * sensor, its issuer) is one string key too, living ttl= seconds like an
 * offer, so that cert-changed compares with what any sensor saw:
 *
 *   PREFIX:cert:{4/192.0.2.10/25/tcp}   SHA256 self|other LAST SENSOR[ ISSUER]
 *
 * announced on PREFIX:certs as "cert SERVER VALUE". A sensor writes it when
 * the shared state holds another certificate or none for the server, or
 * holds this one since more than an hour (less with a short ttl=): one write
 * an hour per busy server, not one per session.
 *
 * Capture never waits on Redis. At start the known offers are read once
 * (connection timeout 1 s); then a thread of its own keeps a local mirror
 * current from the channel, and sends this sensor's offers from a bounded
 * queue, pipelined. When Redis is down the sensor judges with what it has,
 * queues its offers (dropping and counting past the queue's size),
 * reconnects with back-off and reads the offers again once back. Every
 * offer that could not be sent is counted.
 */
#ifndef TLSWATCH_SHARED_H
#define TLSWATCH_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHARED_MAX_SERVERS 65536    /* facts mirrored; more are counted, not kept */
#define SHARED_QUEUE 4096	    /* facts waiting to be sent */
#define SHARED_POLICY_QUEUE 1024    /* policy facts waiting to be sent */
#define SHARED_POLICY_WAITING 65536 /* ... read, waiting to be taken (allocated as they come) */
#define SHARED_POLICY_LINE 384	    /* the longest policy fact line, NUL included */
#define SHARED_MAX_CERTS 65536	    /* servers' certificates mirrored; more counted, not kept */
#define SHARED_CERT_QUEUE 1024	    /* certificates waiting to be sent */
#define SHARED_CERT_REFRESH_S 3600  /* the same certificate written again after (packet time) */
#define SHARED_CERT_ISSUER 64	    /* issuer kept, NUL included (tls.h's TLS_CERT_TEXT) */
#define SHARED_CERT_TEXT 256	    /* the longest encoded value, NUL included */
#define SHARED_FEED_QUEUE 2048	    /* feed records waiting for the streams */
#define SHARED_FEED_MAXLEN 10000    /* entries each stream keeps (XADD MAXLEN ~) */

struct shared_target {
	char host[256];
	int port;
	int db; /* -1: no SELECT */
	char password[256];
	char prefix[64];   /* default "tlswatch" */
	unsigned ttl_s;	   /* default 30 days */
	unsigned feed_max; /* feed=N: entries each feed stream keeps (default
			    * SHARED_FEED_MAXLEN; 0: no feed written) */
};

struct shared_stats {
	uint64_t loaded;     /* facts read at start (and after each reconnect) */
	uint64_t received;   /* facts announced by other sensors while running */
	uint64_t sent;	     /* this sensor's facts written to Redis */
	uint64_t dropped;    /* ... not written: the queue was full, or still queued at the end */
	uint64_t forgotten;  /* facts not mirrored: the mirror was full */
	uint64_t counted;    /* sessions added to the cluster summary (PREFIX:server:{...}) */
	uint64_t reconnects; /* connections made again after a failure */
	uint64_t errors;     /* failed connections and commands */
	uint64_t hits;	     /* sessions judged with a fact only the shared state knew */
	/* mail policy facts: read at start, announced, written, and not written
	 * (queue full, or still queued at the end) or not taken (too many
	 * waiting) */
	uint64_t policy_loaded, policy_received, policy_sent, policy_dropped;
	/* servers' certificates: read at start, announced, written, not
	 * written (queue full, or still queued at the end), and looked up while
	 * Redis could not be reached (judged with this sensor's own records and
	 * what was mirrored before) */
	uint64_t cert_loaded, cert_received, cert_sent, cert_dropped, cert_unchecked;
	/* offers of servers new to this sensor announced while it ran, not
	 * looked at for late alerts: more than SHARED_ARRIVALS waited */
	uint64_t arrivals_lost;
	/* feed records (feed.h) appended to PREFIX:sessions and PREFIX:alerts,
	 * and not (queue full, refused, or still queued at the end) */
	uint64_t feed_sent, feed_dropped;
	bool up; /* connected now */
};

/* A server's certificate as the shared state keeps it. */
struct shared_cert {
	uint8_t sha256[32];
	bool self_signed;
	uint64_t last_us;		 /* packet time it was last seen */
	char sensor[64];		 /* the sensor that saw it (one word) */
	char issuer[SHARED_CERT_ISSUER]; /* printable ASCII, "" when none */
};

struct shared;

/* Whether s names Redis (starts with redis:// or rediss://). */
bool shared_is_url(const char *s);
/* -1 with a message in err when url is not a valid target. */
int shared_parse(const char *url, struct shared_target *t, char *err, size_t errsz);
/*
 * Connects, reads the known offers and starts the thread. NULL only when out
 * of memory; Redis being unreachable is said in warn (empty otherwise) and
 * the sensor goes on, trying again in the background. sensor names this
 * sensor in the offers it writes.
 */
struct shared *shared_new(const struct shared_target *t, const char *sensor, char *warn,
			  size_t warnsz);
/*
 * Whether the server (family 4 or 6, address, port, l4 6 or 17) was seen
 * offering the upgrade by any sensor sharing the state; the sensor that saw
 * it last goes to by (may be NULL).
 */
bool shared_offered(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
		    char *by, size_t bysz);
/* This sensor saw the server offer the upgrade (queued; never waits). */
void shared_offer(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4,
		  const char *service, uint64_t ts_us);
/*
 * This sensor saw a handshake from client_ip to the server fail (broken: the
 * upgrade was accepted and no TLS followed), at ts_us; kept ttl_s seconds.
 */
void shared_fail(struct shared *sh, uint8_t family, const uint8_t *server_ip, uint16_t port,
		 uint8_t l4, const uint8_t *client_ip, bool broken, uint64_t ts_us, unsigned ttl_s);
/* The last failed handshake from client_ip to the server any sensor saw:
 * its time, whether it was a broken upgrade, and the sensor. */
bool shared_failed(struct shared *sh, uint8_t family, const uint8_t *server_ip, uint16_t port,
		   uint8_t l4, const uint8_t *client_ip, uint64_t *ts_us, bool *broken, char *by,
		   size_t bysz);
/*
 * Adds a judged session to the cluster-wide per-server summary: the hash
 * PREFIX:server:{SERVER} counts sessions, v:VERDICT, logins (cleartext),
 * alerted (sessions with alerts), offered and notoffered (capability lists
 * with and without the upgrade: offer 1, 0; -1 none seen) and s:SENSOR, and
 * holds service and last
 * (queued; never waits). `tlswatch --cluster` reads them.
 */
void shared_count_session(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port,
			  uint8_t l4, const char *service, const char *verdict, unsigned logins,
			  bool alerted, int offer, uint64_t ts_us);
/*
 * A mail policy fact this sensor learned from DNS: its line (policy.h), the
 * name it is about (the hash tag) and its id among that name's facts
 * ("mx:HOST", "tlsa:25" ...), kept ttl_s seconds (queued; never waits).
 */
void shared_policy_put(struct shared *sh, const char *name, const char *id, const char *line,
		       unsigned ttl_s);
/* Hands fn, in the caller's thread, the lines of the facts other sensors
 * published (read at start, or announced since the last call). */
void shared_policy_take(struct shared *sh, void (*fn)(void *ctx, const char *line), void *ctx);
/*
 * The value of a certificate's key: "SHA256 self|other LAST SENSOR[ ISSUER]"
 * (the issuer last: it may hold spaces; a byte outside printable ASCII
 * becomes '?', a space or control byte in the sensor '_'). Returns its
 * length, 0 when out (outsz bytes) is too small.
 */
size_t shared_cert_encode(const struct shared_cert *c, char *out, size_t outsz);
/*
 * Reads one such value (text[0..n), not NUL-terminated): false when it is not
 * one (a word missing or empty, not 64 hex digits, neither self nor other, a
 * time not a number, a sensor too long, a byte outside printable ASCII). An
 * issuer longer than SHARED_CERT_ISSUER - 1 is cut, as a state file's is.
 */
bool shared_cert_decode(const char *text, size_t n, struct shared_cert *c);
/*
 * The certificate the shared state holds for the server (any sensor's, this
 * one's included): the latest seen. A lookup while Redis cannot be reached
 * is counted (cert_unchecked): the answer is what was mirrored before.
 */
bool shared_cert_get(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port,
		     uint8_t l4, struct shared_cert *out);
/*
 * This sensor saw the server present c (c->sensor is ignored: this sensor's
 * name is written). Written when the shared state holds another certificate
 * or none, or holds this one since more than the refresh interval; queued,
 * never waits.
 */
void shared_cert_put(struct shared *sh, uint8_t family, const uint8_t *ip, uint16_t port,
		     uint8_t l4, const struct shared_cert *c);
/*
 * Appends one feed record (feed.h: n bytes, one line) to the stream
 * PREFIX:alerts (alert) or PREFIX:sessions, which keeps about feed=N
 * (SHARED_FEED_MAXLEN) of them (XADD MAXLEN ~, field "r"): what
 * `tlswatch --cluster` shows in its dashboard (queued; never waits).
 */
void shared_feed(struct shared *sh, bool alert, const char *line, size_t n);
/* This sensor's name as its records carry it ("-" when it has none). */
const char *shared_sensor(const struct shared *sh);
/* A session was judged with a fact only the shared state knew. */
void shared_count_hit(struct shared *sh);

/* An offer another sensor announced while this one ran, of a server the
 * mirror did not hold: sessions this sensor judged earlier without the
 * offer may now be shown stripped (correlate_shared_late). */
#define SHARED_ARRIVALS 256
struct shared_arrival {
	uint8_t family, l4;
	uint8_t ip[16];
	uint16_t port;
	char sensor[64];
};
/* Takes up to max arrivals, oldest first; 0 when none (or sh NULL). */
size_t shared_arrivals_take(struct shared *sh, struct shared_arrival *out, size_t max);
void shared_stats_get(struct shared *sh, struct shared_stats *out);
/* Waits at most wait_ms for the queued offers to be sent, stops the thread
 * and frees sh; what was not sent is counted in out (may be NULL). */
void shared_free(struct shared *sh, unsigned wait_ms, struct shared_stats *out);

#endif
