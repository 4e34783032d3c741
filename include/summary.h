/*
 * summary.h - per-port and per-server aggregates of finished sessions, the
 * closing part of every report.
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
};

struct summary;

struct summary *summary_new(void);
void summary_free(struct summary *s);
/* Counts one finished session; returns -1 when out of memory (counted). */
int summary_add(struct summary *sum, const struct session *s);
/* Rows sorted (ports by number; servers by address then port). The array
 * is owned by the summary and valid until the next summary_add. */
const struct summary_row *summary_ports(struct summary *sum, size_t *n);
const struct summary_row *summary_servers(struct summary *sum, size_t *n);
/* Share of sessions with a TLS outcome (implicit-tls or starttls), 0..1. */
double summary_encrypted_share(const struct summary_row *r);

#endif
