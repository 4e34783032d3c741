/*
 * summary.h - aggregates of finished sessions, the closing part of every
 * report: per server port, per server, per client address, per login user,
 * and the sessions over time.
 *
 * Memory is bounded: ports and servers are few, but clients and login users
 * are as many as the traffic makes them, so those two views keep at most
 * a set number of rows (summary_set_limits). Whatever comes after the last
 * kept row is not lost: it is added to one "others" row of the view, and the
 * reports say so.
 */
#ifndef TLSWATCH_SUMMARY_H
#define TLSWATCH_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

struct summary_row {
	uint8_t family; /* 0 for a port row */
	uint8_t ip[16];
	uint16_t port;
	uint8_t l4;
	const char *service; /* static string */
	uint64_t sessions;
	uint64_t verdicts[VERDICT_COUNT];
	uint64_t logins;      /* cleartext logins */
	uint64_t alerts;      /* sessions with at least one alert */
	bool tls_offered;     /* some session saw the upgrade offered */
	bool tls_not_offered; /* some session saw capabilities without it */
	/* Mail policy (server rows): sessions a policy applied to, the
	 * sessions that violated it, and the first session's domain. */
	uint64_t policy_sessions;
	uint64_t policy_violations;
	char policy_domain[POLICY_DOMAIN_KEEP];
	uint8_t policy_mta_sts; /* enum sts_mode: the highest seen */
	bool policy_dane;	/* some session's MX had validated TLSA */
	/* Sessions that came inside tunnels, and the first one's encapsulations
	 * (enum tunnel_kind, outermost first). */
	uint64_t tunnelled;
	uint8_t tunnel_depth;
	uint8_t tunnels[DECODE_TUNNEL_MAX];
};

#define SUMMARY_CLIENTS_MAX 10000 /* client rows kept by default */
#define SUMMARY_USERS_MAX 10000	  /* user rows kept by default */
#define SUMMARY_LOGIN_SERVICES 4  /* services named per client; more: "other" */
#define SUMMARY_BUCKETS 48	  /* time buckets at most */

/* One client address: its sessions, to any server. */
struct summary_client {
	uint8_t family; /* 4 or 6; 0 for the "others" row */
	uint8_t ip[16];
	uint64_t sessions;
	uint64_t verdicts[VERDICT_COUNT];
	uint64_t logins; /* cleartext logins, every service */
	/* The cleartext logins of the first services it logged in to, in that
	 * order (service NULL: unused), and those of any service after them. */
	struct {
		const char *service; /* static string */
		uint64_t logins;
	} by_service[SUMMARY_LOGIN_SERVICES];
	uint64_t logins_other;
};

/* One login user name at one server: the cleartext logins seen. */
struct summary_user {
	char user[LOGIN_FIELD_MAX]; /* as the session shows it, never a
				     * secret; "" when it had none; for the
				     * "others" row too */
	const char *service;	    /* static string; NULL for the "others" row */
	uint8_t family;		    /* 0 for the "others" row */
	uint8_t ip[16];
	uint16_t port;
	uint8_t l4;
	uint64_t logins;
	uint64_t successes, failures; /* the rest: outcome not seen */
};

/* Sessions counted by the time of their first packet. */
struct summary_bucket {
	uint64_t start_us; /* the bucket's start; it lasts the timeline's width */
	uint64_t sessions;
	uint64_t verdicts[VERDICT_COUNT];
};

struct summary;

struct summary *summary_new(void);
void summary_free(struct summary *s);
/* Rows kept in the client and user views (default SUMMARY_CLIENTS_MAX and
 * SUMMARY_USERS_MAX, at least 1); call it before the first summary_add. */
void summary_set_limits(struct summary *sum, size_t max_clients, size_t max_users);
/* Counts one finished session; returns -1 when out of memory (counted). */
int summary_add(struct summary *sum, const struct session *s);
/* Rows sorted (ports by number; servers by address then port). The array
 * is owned by the summary and valid until the next summary_add. */
const struct summary_row *summary_ports(struct summary *sum, size_t *n);
const struct summary_row *summary_servers(struct summary *sum, size_t *n);
/* Clients sorted by address; users by name, then service, then server.
 * Owned by the summary, valid until the next summary_add. The "others"
 * rows are not among them: see summary_clients_others. */
const struct summary_client *summary_clients(struct summary *sum, size_t *n);
const struct summary_user *summary_users(struct summary *sum, size_t *n);
/* What came after the last kept row: NULL when nothing did. */
const struct summary_client *summary_clients_others(const struct summary *sum);
const struct summary_user *summary_users_others(const struct summary *sum);
/* The rows the views keep at most. */
size_t summary_clients_max(const struct summary *sum);
size_t summary_users_max(const struct summary *sum);
/* The sessions over time: at most SUMMARY_BUCKETS buckets of *width_us each,
 * from the earliest session's to the latest's, oldest first (empty ones
 * included). The width grows as the sessions spread (1 s, 2 s, 10 s, 30 s,
 * 1 min, 5 min, 10 min, 30 min, 1 h, 2 h, 6 h, 12 h, 1 day, then doubling)
 * and buckets start at multiples of it. *n is 0 before the first session. */
const struct summary_bucket *summary_timeline(const struct summary *sum, size_t *n,
					      uint64_t *width_us);
/* Whether a server's capability lists offered the upgrade: "yes", "no",
 * "some" (in some sessions only) or "-" (no capability list seen). */
const char *summary_offer_name(const struct summary_row *r);
/* Share of sessions with a TLS outcome (implicit-tls or starttls), 0..1. */
double summary_encrypted_share(const struct summary_row *r);
/* The same for counts per verdict. */
double summary_verdicts_share(const uint64_t *verdicts, uint64_t sessions);

#endif
