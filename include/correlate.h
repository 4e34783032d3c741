/*
 * correlate.h - facts that only show across sessions.
 *
 * Fed with every finished, judged session (in the order sessions end), it
 * remembers per server what its capability lists offered, and per client and
 * server which TLS handshakes failed, and raises what no single session shows:
 *
 *  - capability-stripped: a server (address + port) listed its capabilities
 *    without the upgrade while it offered the upgrade in other sessions (this
 *    run, or an earlier run remembered in the state file). A session that
 *    lacks the offer after the server was seen offering it is downgraded/
 *    capability-stripped (struct correlate_facts). Sessions that lacked it *before*
 *    the first offer was seen were already reported as cleartext: they get a
 *    capability-stripped alert referencing their ids when the evidence arrives.
 *  - tls-fallback: a TLS handshake from a client to a server:port failed (or
 *    the upgrade was accepted and no TLS followed: no-tls-after-accept) and
 *    the same client came back to the same server:port within the window and
 *    stayed in cleartext: that session is downgraded/tls-fallback.
 *  - auth-offered-in-cleartext: once per server, a server that offered
 *    password logins before TLS.
 *  - login-bruteforce: repeated login failures from one client against one
 *    server within a window.
 *  - cert-changed: a server presented another certificate (TLS <= 1.2) than
 *    the one it presented last: in this run, the last (state file), or, with
 *    a shared state, as any sensor last saw it.
 *
 * No parser knows this module exists. Memory is bounded: at most
 * CORRELATE_MAX_SERVERS servers and CORRELATE_MAX_PAIRS client/server pairs
 * are remembered, the least recently seen forgotten first (counted). A pair
 * is made only by a session with something to remember (a failed handshake
 * or upgrade, a failed login); a cleartext session only looks it up.
 *
 * --state FILE keeps the servers' capability history between runs (and the
 * lines of a struct correlate_state_part: the learned mail policies). It is
 * written atomically (temporary file, fsync, rename); a corrupt or unreadable
 * state file is reported once and ignored, never fatal. --state redis://...
 * shares it with other sensors instead, as it is learnt (shared.h).
 */
#ifndef TLSWATCH_CORRELATE_H
#define TLSWATCH_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

#define CORRELATE_MAX_SERVERS 65536
#define CORRELATE_MAX_PAIRS 65536
#define CORRELATE_IDS 8 /* session ids remembered per server and kind */

/*
 * Lines of the state file that belong to another module (the learned mail
 * policies, policy.h): correlate reads and writes the file, with its header,
 * its checks and its atomic replacement; the part knows its lines.
 */
struct correlate_state_part {
	const char *word; /* the first word of its lines ("policy"); NULL: no part */
	void *ctx;
	/* One of its lines (no LF): false with why (a short phrase) when it is
	 * not valid. */
	bool (*load)(void *ctx, const char *line, char *why, size_t whysz);
	/* Its lines, each (no LF) through put. */
	void (*save)(void *ctx, void (*put)(void *pctx, const char *line), void *pctx);
};

struct correlate_config {
	uint64_t fallback_window_us;   /* default 300 s */
	uint64_t bruteforce_window_us; /* default 600 s */
	unsigned bruteforce_failures;  /* failures in the window that raise it (default 5) */
	const char *state_path;	       /* NULL: no state file; redis://...: shared (shared.h) */
	const char *sensor;	       /* this sensor's name in the shared state */
	struct correlate_state_part part;
};

struct correlate_stats {
	uint64_t servers_forgotten;
	uint64_t pairs_forgotten;
	uint64_t state_servers_loaded;
	uint64_t state_certs_loaded; /* "cert" lines: servers' last certificates */
	uint64_t state_part_loaded;  /* lines of the part (policy facts) loaded */
	bool state_corrupt;
	/* --state redis://: the shared state's counters (shared.h) */
	bool shared_on;
	uint64_t shared_loaded, shared_received, shared_sent, shared_dropped, shared_forgotten,
		shared_reconnects, shared_errors, shared_hits, shared_counted, shared_feed_sent,
		shared_feed_dropped;
	uint64_t shared_policy_loaded, shared_policy_received, shared_policy_sent,
		shared_policy_dropped;
	uint64_t shared_cert_loaded, shared_cert_received, shared_cert_sent, shared_cert_dropped,
		shared_cert_unchecked;
	uint64_t shared_arrivals_lost;
};

struct correlate;

typedef void (*correlate_alert_fn)(void *ctx, const struct alert *a);

void correlate_config_defaults(struct correlate_config *c);
/*
 * NULL only when out of memory. A state file that cannot be read or parsed is
 * reported in warn (empty otherwise) and ignored.
 */
struct correlate *correlate_new(const struct correlate_config *cfg, char *warn, size_t warnsz);
/*
 * What the other sessions say about one: the verdict and reason it should
 * have (its own judgement, or downgraded for capability-stripped or
 * tls-fallback) and the alert kinds raised on it. verdict_apply_correlation
 * (verdict.h) makes them the session's.
 */
struct correlate_facts {
	enum verdict verdict;
	enum reason reason;
	uint32_t alerts; /* 1u << enum alert_kind, added to the session's own */
};

/*
 * Takes one finished, judged session and learns from it; the session is
 * not changed. Its cross-session findings go to cf; alerts about it are
 * written into out (at most max; the number is returned) for the caller to
 * emit after the session; alerts about earlier sessions go through fn at
 * once.
 */
size_t correlate_observe(struct correlate *c, const struct session *s, struct correlate_facts *cf,
			 struct alert *out, size_t max, correlate_alert_fn fn, void *ctx);
/* With --state redis://, adds the judged session (its verdict final) to the
 * cluster-wide per-server summary (shared.h); nothing otherwise. */
void correlate_count(struct correlate *c, const struct session *s, bool alerted);
/* With --state redis://, appends the judged session (or an alert) to the
 * cluster feed, the streams `tlswatch --cluster` shows (feed.h, shared.h);
 * nothing otherwise. Never waits. */
void correlate_publish_session(struct correlate *c, const struct session *s);
void correlate_publish_alert(struct correlate *c, const struct alert *a);
/*
 * With --state redis://, the mail policy facts (policy.h) go through the
 * shared state too: share publishes one this sensor learned (its line, the
 * name it is about, its id among that name's facts, its TTL); take hands
 * fn the lines other sensors published, in the caller's thread; hit counts
 * a session judged with one. Nothing otherwise.
 */
void correlate_policy_share(struct correlate *c, const char *name, const char *id, const char *line,
			    unsigned ttl_s);
void correlate_policy_take(struct correlate *c, void (*fn)(void *ctx, const char *line), void *ctx);
void correlate_policy_hit(struct correlate *c);
/*
 * With --state redis://: offers another sensor announced while this one
 * ran, of servers this sensor had seen only without the offer. Each session
 * it judged so (before any offer was known) gets a late capability-stripped
 * alert through fn, as when this sensor sees the offer itself later; its
 * record stays as written. Nothing otherwise.
 */
void correlate_shared_late(struct correlate *c, correlate_alert_fn fn, void *ctx);
/* Writes the state file (when configured); with a shared state, gives the
 * offers still queued a few seconds to reach Redis and disconnects (what is
 * not sent is counted in shared_dropped, not an error). -1 with err on
 * failure. */
int correlate_save(struct correlate *c, char *err, size_t errsz);
void correlate_stats_get(const struct correlate *c, struct correlate_stats *out);
void correlate_free(struct correlate *c);

#endif
