/*
 * redisconn.c - URL pieces and the connection, for both Redis clients
 * (redisconn.h).
 */
#include "redisconn.h"

#include <stdio.h>
#include <string.h>

bool
redis_url_copy(char *dst, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return true;
}

bool
redis_url_number(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	*v = 0;
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return *v <= max;
}

int
redis_url_authority(const char *url, const char *p, const char *end, char *host, size_t hostsz,
		    int *port, char *password, size_t passwordsz, char *err, size_t errsz)
{
	const char *at = memchr(p, '@', (size_t)(end - p)), *colon;
	uint64_t v;

	password[0] = '\0';
	if (at) {
		const char *pw = *p == ':' ? p + 1 : p;

		if (!redis_url_copy(password, passwordsz, pw, (size_t)(at - pw))) {
			snprintf(err, errsz, "%s: password too long", url);
			return -1;
		}
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (!redis_url_copy(host, hostsz, p, (size_t)((colon ? colon : end) - p)) || !host[0]) {
		snprintf(err, errsz, "%s: no host", url);
		return -1;
	}
	if (colon) {
		if (!redis_url_number(colon + 1, (size_t)(end - colon - 1), 65535, &v) || v == 0) {
			snprintf(err, errsz, "%s: bad port", url);
			return -1;
		}
		*port = (int)v;
	}
	return 0;
}

/* Runs one command; false (with Redis's reason in err) on an error reply. */
static bool
redis_command_ok(redisContext *c, const char *what, const char *fmt, const char *arg, char *err,
		 size_t errsz)
{
	redisReply *rep = redisCommand(c, fmt, arg);
	bool ok = rep && rep->type != REDIS_REPLY_ERROR;

	if (!ok)
		snprintf(err, errsz, "%s: %s", what, rep ? rep->str : c->errstr);
	if (rep)
		freeReplyObject(rep);
	return ok;
}

redisContext *
redis_connect(const char *host, int port, const char *password, int db, char *err, size_t errsz)
{
	struct timeval tv = {1, 0}, io = {2, 0};
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	char dbs[16];

	if (!c || c->err) {
		snprintf(err, errsz, "connect: %s", c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, io);
	snprintf(dbs, sizeof(dbs), "%d", db);
	if ((password[0] && !redis_command_ok(c, "AUTH", "AUTH %s", password, err, errsz)) ||
	    (db >= 0 && !redis_command_ok(c, "SELECT", "SELECT %s", dbs, err, errsz))) {
		redisFree(c);
		return NULL;
	}
	return c;
}
