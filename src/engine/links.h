/*
 * links.h - data connections tied to the session that announced them (FTP's
 * control connection and its ftp-data connections).
 *
 * Held by the engine that judges (the single thread, or the front of the
 * workers), fed in the order one thread would see it: an announcement (a
 * PASV reply, a PORT command: proto_facts.expect) names the endpoint that
 * will accept the next data connection; once a control session is
 * encrypted, its announcements are hidden and its address pair stands in
 * for them (an "inferred" link). A session being judged that no parser
 * claimed is looked up here first; the control session, judged after its
 * data connections, collects how many there were and how many carried
 * cleartext.
 *
 * Bounded: LINKS_EXPECT_MAX announcements, LINKS_PAIRS_MAX encrypted
 * control sessions and LINKS_CONTROLS_MAX control sessions' tallies; when
 * full, the oldest is forgotten and counted (links_dropped). Announcements
 * expire after LINKS_EXPECT_US unused.
 */
#ifndef TLSWATCH_ENGINE_LINKS_H
#define TLSWATCH_ENGINE_LINKS_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

#define LINKS_EXPECT_MAX 1024
#define LINKS_PAIRS_MAX 256
#define LINKS_CONTROLS_MAX 1024
#define LINKS_EXPECT_US (300ull * 1000000) /* an announcement unused this long is gone */

enum link_kind {
	LINK_NONE = 0,
	LINK_ANNOUNCED, /* the control session named this endpoint in the clear */
	LINK_INFERRED,	/* same hosts as an encrypted control session, while it lasted */
};

/* What a control session tells the judge while it is still open. */
struct link_note {
	uint64_t control; /* its session id (a worker's provisional one) */
	uint64_t ts_us;
	const struct proto_desc *data;	/* the service of its data connections */
	bool pair;			/* an encrypted control session's address pair */
	uint8_t family;			/* 4 or 6 */
	uint8_t addr[16];		/* announcement: the address announced ... */
	uint8_t seen[16];		/* ... and the accepting side's as observed */
	uint8_t client[16], server[16]; /* pair: the control session's hosts */
	uint16_t port;			/* announcement: the accepting port */
	bool tls_possible;
};

struct link_stats {
	uint64_t announced; /* announcements noted */
	uint64_t linked;    /* data sessions linked by an announcement */
	uint64_t inferred;  /* ... by an encrypted control session's hosts */
	uint64_t dropped;   /* forgotten because a table was full */
};

struct links;

struct links *links_new(void);
void links_free(struct links *l);
void links_note(struct links *l, const struct link_note *n);
/*
 * Links a session being judged to its control session when it is a data
 * connection: sets s->proto and s->service to the data service, s->control_id
 * and s->link, and s->link_tls when TLS was possible for it (its parser
 * facts are cleared: a file's bytes are no protocol). Returns whether it was
 * linked.
 */
bool links_claim(struct links *l, struct session *s);
/* A linked data session was judged: tallied for its control session. */
void links_data_judged(struct links *l, const struct session *s);
/* A control session is being judged: its tallies (s->data_sessions,
 * s->data_cleartext) are set and everything noted for it forgotten. */
void links_control_judged(struct links *l, struct session *s);
void links_stats(const struct links *l, struct link_stats *out);

#endif
