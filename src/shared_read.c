/*
 * shared_read.c - what the shared state's thread reads from Redis: the
 * facts kept there, once at each connection (SCAN, then one pipelined
 * HMGET or GET a key), and the announcements of the subscription, into the
 * mirror (shared_mirror.c) or, for policy facts, for the judging thread
 * (shared_policy_take). Keys and messages that are not what this release
 * writes are skipped: another sensor's data is not trusted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared_int.h"

void
shared_take_message(struct shared *sh, const redisReply *r)
{
	const redisReply *c, *m;
	char buf[640], key[SHARED_KEY_LEN + INET6_ADDRSTRLEN], sensor[SHARED_NAME_LEN];
	unsigned long long ts;
	unsigned broken;
	bool fresh;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0)
		return;
	c = r->element[1];
	m = r->element[2];
	if (c->type != REDIS_REPLY_STRING || m->type != REDIS_REPLY_STRING || m->len == 0 ||
	    m->len >= sizeof(buf))
		return;
	memcpy(buf, m->str, m->len);
	buf[m->len] = '\0';
	if (strcmp(c->str, sh->policy_channel) == 0) {
		if (strncmp(buf, "policy ", 7) != 0)
			return;
		unsigned long long nonce;
		int used = 0;

		if (sscanf(buf + 7, "%llu %63s %n", &nonce, sensor, &used) != 2 || used == 0 ||
		    nonce == sh->nonce)
			return; /* not one, or this sensor's own */
		pthread_mutex_lock(&sh->lock);
		sh->st.policy_received++;
		shared_policy_in(sh, buf + 7 + used, strlen(buf + 7 + used));
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	if (strcmp(c->str, sh->cert_channel) == 0) {
		struct shared_cert sc;
		char *sp = strncmp(buf, "cert ", 5) == 0 ? strchr(buf + 5, ' ') : NULL;

		if (!sp || !shared_server_valid(buf + 5, (size_t)(sp - buf - 5)) ||
		    !shared_cert_decode(sp + 1, strlen(sp + 1), &sc))
			return;
		*sp = '\0';
		pthread_mutex_lock(&sh->lock);
		sh->st.cert_received += shared_cert_mirror_put(sh, buf + 5, &sc);
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	if (strcmp(c->str, sh->channel) != 0)
		return;
	if (strncmp(buf, "fail ", 5) == 0) {
		if (sscanf(buf + 5, "%109s %llu %u %63s", key, &ts, &broken, sensor) != 4 ||
		    !strchr(key, '>') || !shared_key_valid(key, strlen(key)))
			return;
	} else if (sscanf(buf, "%63s %63s", key, sensor) == 2 &&
		   shared_server_valid(key, strlen(key))) {
		ts = 0;
		broken = 0;
	} else {
		return;
	}
	pthread_mutex_lock(&sh->lock);
	fresh = !shared_mirror_put(sh, key, strlen(key), sensor, strlen(sensor), ts, broken != 0);
	sh->st.received += fresh;
	if (fresh && ts == 0)
		shared_arrival_note(sh, key, sensor); /* an offer */
	pthread_mutex_unlock(&sh->lock);
}

/*
 * Hands every key kept under PREFIX:KIND: with its value to take (without
 * the lock): SCAN PREFIX:KIND:*, then per key, pipelined, HMGET sensor ts
 * broken (hmget) or GET. plen is the length of "PREFIX:KIND:". False when
 * the connection failed.
 */
static bool
shared_scan(struct shared *sh, const char *kind, bool hmget,
	    void (*take)(struct shared *sh, const char *kind, size_t plen, const redisReply *k,
			 const redisReply *f))
{
	char cursor[32] = "0", match[SHARED_KEY_LEN + 16];
	size_t plen = strlen(sh->t.prefix) + strlen(kind) + 2; /* "PREFIX:KIND:" */

	snprintf(match, sizeof(match), "%s:%s:*", sh->t.prefix, kind);
	do {
		redisReply *r = redisCommand(sh->cmd, "SCAN %s MATCH %s COUNT 1000", cursor, match);
		redisReply *keys;

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			if (r)
				freeReplyObject(r);
			return false;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			if (hmget)
				redisAppendCommand(sh->cmd, "HMGET %s sensor ts broken",
						   keys->element[i]->str);
			else
				redisAppendCommand(sh->cmd, "GET %b", keys->element[i]->str,
						   keys->element[i]->len);
		}
		for (size_t i = 0; i < keys->elements; i++) {
			void *v = NULL;

			if (redisGetReply(sh->cmd, &v) != REDIS_OK) {
				freeReplyObject(r);
				return false;
			}
			take(sh, kind, plen, keys->element[i], v);
			freeReplyObject(v);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return true;
}

/* One offer or failure (kind "offer" or "fail") into the mirror: keys are
 * PREFIX:offer:{SERVER} and PREFIX:fail:{SERVER}:CLIENT, f the reply to
 * HMGET sensor ts broken. */
static void
shared_take_fact(struct shared *sh, const char *kind, size_t plen, const redisReply *key,
		 const redisReply *f)
{
	const char *k = key->str, *close;
	char fact[SHARED_KEY_LEN + INET6_ADDRSTRLEN];
	size_t klen = strlen(k);
	uint64_t ts = 0;
	bool ok = true;

	/* {SERVER} or {SERVER}:CLIENT, into SERVER or SERVER>CLIENT */
	close = klen > plen ? strchr(k + plen, '}') : NULL;
	if (!(f->type == REDIS_REPLY_ARRAY && f->elements == 3 &&
	      f->element[0]->type == REDIS_REPLY_STRING && close && k[plen] == '{' &&
	      (size_t)(close - k) - plen - 1 < SHARED_KEY_LEN))
		return;
	snprintf(fact, sizeof(fact), "%.*s", (int)(close - k - (long)plen - 1), k + plen + 1);
	if (strcmp(kind, "fail") == 0) {
		ok = close[1] == ':' && close[2] && f->element[1]->type == REDIS_REPLY_STRING &&
		     f->element[2]->type == REDIS_REPLY_STRING;
		if (ok) {
			size_t n = strlen(fact);

			snprintf(fact + n, sizeof(fact) - n, ">%s", close + 2);
			ts = strtoull(f->element[1]->str, NULL, 10);
		}
	} else {
		ok = close[1] == '\0';
	}
	if (!ok)
		return;
	pthread_mutex_lock(&sh->lock);
	shared_mirror_put(sh, fact, strlen(fact), f->element[0]->str, f->element[0]->len, ts,
			  f->element[2]->type == REDIS_REPLY_STRING &&
				  f->element[2]->str[0] == '1');
	sh->st.loaded++;
	pthread_mutex_unlock(&sh->lock);
}

/* One policy fact (the value of PREFIX:policy:...), for the caller's
 * thread. */
static void
shared_take_policy(struct shared *sh, const char *kind, size_t plen, const redisReply *key,
		   const redisReply *f)
{
	(void)kind;
	(void)plen;
	(void)key;
	if (f->type != REDIS_REPLY_STRING)
		return;
	pthread_mutex_lock(&sh->lock);
	sh->st.policy_loaded++;
	shared_policy_in(sh, f->str, f->len);
	pthread_mutex_unlock(&sh->lock);
}

/* One server's certificate into the mirror: the key is PREFIX:cert:{SERVER};
 * a key or value that is not one is skipped. */
static void
shared_take_cert(struct shared *sh, const char *kind, size_t plen, const redisReply *k,
		 const redisReply *f)
{
	struct shared_cert sc;
	char server[SHARED_KEY_LEN];
	size_t slen = k->len > plen + 2 ? k->len - plen - 2 : 0;

	(void)kind;
	/* {SERVER}, the braces around all of the rest */
	if (f->type != REDIS_REPLY_STRING || slen == 0 || slen >= sizeof(server) ||
	    k->str[plen] != '{' || k->str[k->len - 1] != '}' ||
	    !shared_server_valid(k->str + plen + 1, slen) ||
	    !shared_cert_decode(f->str, f->len, &sc))
		return;
	memcpy(server, k->str + plen + 1, slen);
	server[slen] = '\0';
	pthread_mutex_lock(&sh->lock);
	shared_cert_mirror_put(sh, server, &sc);
	sh->st.cert_loaded++;
	pthread_mutex_unlock(&sh->lock);
}

bool
shared_load(struct shared *sh)
{
	return shared_scan(sh, "offer", true, shared_take_fact) &&
	       shared_scan(sh, "fail", true, shared_take_fact) &&
	       shared_scan(sh, "policy", false, shared_take_policy) &&
	       shared_scan(sh, "cert", false, shared_take_cert);
}
