/*
 * redisconn.h - what tlswatch's two Redis clients (--json redis://, see
 * redisout.h, and --state redis://, see shared.h) have in common: the
 * pieces of their URLs and the connection.
 */
#ifndef TLSWATCH_REDISCONN_H
#define TLSWATCH_REDISCONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies [p, p + n) into dst (cap bytes); false when it does not fit. */
bool redis_url_copy(char *dst, size_t cap, const char *p, size_t n);
/* A decimal number of n digits, at most max; false otherwise. */
bool redis_url_number(const char *p, size_t n, uint64_t max, uint64_t *v);
/*
 * [:PASSWORD@]HOST[:PORT] in [p, end) of url: host, port (left alone when
 * absent) and password (empty when absent). -1 with a message naming url.
 */
int redis_url_authority(const char *url, const char *p, const char *end, char *host, size_t hostsz,
			int *port, char *password, size_t passwordsz, char *err, size_t errsz);
/*
 * Connects (waiting at most 1 s), limits each command to 2 s, then AUTH
 * (when password is not empty) and SELECT (when db >= 0). NULL with what
 * failed in err.
 */
redisContext *redis_connect(const char *host, int port, const char *password, int db, char *err,
			    size_t errsz);

#endif
