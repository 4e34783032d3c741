/*
 * redis_url.c - the `--json redis://` URL into its target (redisout.h):
 * redis://[:PASSWORD@]HOST[:PORT][/DB]/KEY[?mode=list|channel|stream][&maxlen=N].
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "redisconn.h"
#include "redisout.h"

bool
redisout_is_url(const char *s)
{
	return s && strncmp(s, "redis://", 8) == 0;
}

int
redisout_parse(const char *url, struct redisout_target *t, char *err, size_t errsz)
{
	const char *p, *end, *slash, *q;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	t->port = 6379;
	t->db = -1;
	if (!redisout_is_url(url)) {
		snprintf(err, errsz, "'%s' is not a redis:// URL", url);
		return -1;
	}
	p = url + 8;
	end = strchrnul(p, '?');
	q = *end ? end : NULL;
	slash = memchr(p, '/', (size_t)(end - p));
	if (!slash) {
		snprintf(err, errsz, "%s: no key (redis://HOST[:PORT][/DB]/KEY)", url);
		return -1;
	}
	if (redis_url_authority(url, p, slash, t->host, sizeof(t->host), &t->port, t->password,
				sizeof(t->password), err, errsz) < 0)
		return -1;
	/* [/DB]/KEY: a number followed by another part is the database. */
	p = slash + 1;
	slash = memchr(p, '/', (size_t)(end - p));
	if (slash) {
		if (!redis_url_number(p, (size_t)(slash - p), 1000000, &v)) {
			snprintf(err, errsz, "%s: bad database number", url);
			return -1;
		}
		t->db = (int)v;
		p = slash + 1;
	}
	if (!redis_url_copy(t->key, sizeof(t->key), p, (size_t)(end - p)) || !t->key[0] ||
	    strchr(t->key, '/')) {
		snprintf(err, errsz, "%s: bad key", url);
		return -1;
	}
	/* ?mode=list|channel|stream&maxlen=N */
	t->mode = REDISOUT_LIST;
	for (p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&'), *e = amp ? amp : p + strlen(p);
		size_t n = (size_t)(e - p);

		if (n == 9 && strncmp(p, "mode=list", 9) == 0)
			t->mode = REDISOUT_LIST;
		else if (n == 12 && strncmp(p, "mode=channel", 12) == 0)
			t->mode = REDISOUT_CHANNEL;
		else if (n == 11 && strncmp(p, "mode=stream", 11) == 0)
			t->mode = REDISOUT_STREAM;
		else if (n > 7 && strncmp(p, "maxlen=", 7) == 0 &&
			 redis_url_number(p + 7, n - 7, UINT64_MAX / 2, &v))
			t->maxlen = v;
		else {
			snprintf(err, errsz,
				 "%s: unknown parameter '%.*s' (mode=list|channel|stream, "
				 "maxlen=N)",
				 url, (int)n, p);
			return -1;
		}
		p = amp ? amp + 1 : NULL;
	}
	if (t->maxlen && t->mode != REDISOUT_STREAM) {
		snprintf(err, errsz, "%s: maxlen is for mode=stream", url);
		return -1;
	}
	return 0;
}
