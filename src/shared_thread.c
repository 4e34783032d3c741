/*
 * shared_thread.c - the shared state's thread: it connects (with back-off
 * while Redis is down), sends this sensor's queued facts, policy facts,
 * certificates and feed records, pipelined, and takes what the
 * subscription brings (shared_read.c), until shared_free asks it to drain
 * and stop. Capture never waits on it: the queues are bounded and what does
 * not fit is counted.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "redisconn.h"
#include "shared_int.h"

static void
shared_error(struct shared *sh)
{
	pthread_mutex_lock(&sh->lock);
	sh->st.errors++;
	pthread_mutex_unlock(&sh->lock);
}

void
shared_disconnect(struct shared *sh)
{
	if (sh->cmd)
		redisFree(sh->cmd);
	if (sh->sub)
		redisFree(sh->sub);
	sh->cmd = sh->sub = NULL;
	pthread_mutex_lock(&sh->lock);
	sh->st.up = false;
	pthread_mutex_unlock(&sh->lock);
}

/* A connection failed: counted, and both closed. */
static void
shared_lost(struct shared *sh)
{
	shared_error(sh);
	shared_disconnect(sh);
}

static redisContext *
shared_connect_one(struct shared *sh)
{
	char why[300];

	return redis_connect(sh->t.host, sh->t.port, sh->t.password, sh->t.db, why, sizeof(why));
}

/* One announcement: on PREFIX:offers "SERVER SENSOR" (an offer) or
 * "fail SERVER>CLIENT TS BROKEN SENSOR" (a failed handshake); on
 * PREFIX:policies "policy NONCE SENSOR LINE" (a mail policy fact); on
 * PREFIX:certs "cert SERVER VALUE" (a server's certificate). A message
 * on the offers channel whose first word is not a server (a policy fact of a
 * sensor that still announces them there, say) is not an offer. */

/* Both connections, the subscription, the load. */
bool
shared_connect(struct shared *sh)
{
	redisReply *r;

	if (!(sh->sub = shared_connect_one(sh)) || !(sh->cmd = shared_connect_one(sh)))
		goto fail;
	/* Three confirmations, one a channel. */
	r = redisCommand(sh->sub, "SUBSCRIBE %s %s %s", sh->channel, sh->policy_channel,
			 sh->cert_channel);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		goto fail;
	}
	freeReplyObject(r);
	for (int i = 0; i < 2; i++) {
		r = NULL;
		if (redisGetReply(sh->sub, (void **)&r) != REDIS_OK || !r ||
		    r->type != REDIS_REPLY_ARRAY) {
			if (r)
				freeReplyObject(r);
			goto fail;
		}
		freeReplyObject(r);
	}
	if (!shared_load(sh))
		goto fail;
	pthread_mutex_lock(&sh->lock);
	sh->st.reconnects += sh->ever_up;
	sh->st.up = true;
	pthread_mutex_unlock(&sh->lock);
	sh->ever_up = true;
	return true;
fail:
	shared_lost(sh);
	return false;
}

/* Reads the k replies of one pipelined fact: false when the connection
 * failed; *ok false when Redis answered any of them with an error. */
static bool
shared_replies(struct shared *sh, int k, bool *ok)
{
	*ok = true;
	for (int j = 0; j < k; j++) {
		void *v = NULL;

		if (redisGetReply(sh->cmd, &v) != REDIS_OK)
			return false;
		*ok = *ok && ((redisReply *)v)->type != REDIS_REPLY_ERROR;
		freeReplyObject(v);
	}
	return true;
}

/*
 * Reads the answers to n pipelined facts of k replies each, counting each
 * fact in *sent or (with errors) in *dropped, and takes the facts answered
 * off their queue (head, len, of qsize slots). Returns how many were
 * answered: fewer than n when the connection failed (the rest stay
 * queued).
 */
static size_t
shared_settle(struct shared *sh, size_t n, int k, uint64_t *sent, uint64_t *dropped, size_t *head,
	      size_t *len, size_t qsize)
{
	size_t done = 0;

	for (; done < n; done++) {
		bool ok;

		if (!shared_replies(sh, k, &ok))
			break;
		pthread_mutex_lock(&sh->lock);
		if (ok) {
			(*sent)++;
		} else {
			sh->st.errors++;
			(*dropped)++;
		}
		pthread_mutex_unlock(&sh->lock);
	}
	pthread_mutex_lock(&sh->lock);
	*head = (*head + done) % qsize;
	*len -= done;
	pthread_mutex_unlock(&sh->lock);
	return done;
}

/* Sends up to SHARED_BATCH queued facts; false when the connection failed
 * (what was not answered stays queued). */
static bool
shared_send(struct shared *sh)
{
	struct pending batch[SHARED_BATCH];
	size_t n = 0, done = 0;
	char key[SHARED_KEY_LEN + INET6_ADDRSTRLEN + 80], ts[24], ttl[16], msg[256];

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_BATCH && n < sh->q_len) {
		batch[n] = sh->queue[(sh->q_head + n) % SHARED_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct pending *p = &batch[i];

		snprintf(ts, sizeof(ts), "%" PRIu64, p->ts_us);
		if (p->kind == PENDING_SESSION) {
			snprintf(key, sizeof(key), "%.63s:server:{%.63s}", sh->t.prefix, p->key);
			snprintf(ttl, sizeof(ttl), "%u", sh->t.ttl_s);
			redisAppendCommand(sh->cmd, "HINCRBY %s sessions 1", key);
			redisAppendCommand(sh->cmd, "HINCRBY %s v:%s 1", key, p->verdict);
			redisAppendCommand(sh->cmd, "HINCRBY %s logins %u", key, p->logins);
			redisAppendCommand(sh->cmd, "HINCRBY %s alerted %d", key, p->alerted);
			redisAppendCommand(sh->cmd, "HINCRBY %s %s %d", key,
					   p->offer == 0 ? "notoffered" : "offered",
					   p->offer != -1);
			redisAppendCommand(sh->cmd, "HINCRBY %s s:%s 1", key, sh->sensor);
			redisAppendCommand(sh->cmd, "HMSET %s service %s last %s", key, p->service,
					   ts);
			redisAppendCommand(sh->cmd, "EXPIRE %s %s", key, ttl);
			continue;
		}
		if (p->kind == PENDING_FAIL) {
			snprintf(key, sizeof(key), "%.63s:fail:{%.63s}:%.45s", sh->t.prefix, p->key,
				 p->client);
			snprintf(ttl, sizeof(ttl), "%u", p->ttl_s ? p->ttl_s : 1);
			snprintf(msg, sizeof(msg), "fail %.63s>%.45s %s %d %.63s", p->key,
				 p->client, ts, p->broken, sh->sensor);
			redisAppendCommand(sh->cmd, "HMSET %s ts %s broken %s sensor %s", key, ts,
					   p->broken ? "1" : "0", sh->sensor);
		} else {
			snprintf(key, sizeof(key), "%.63s:offer:{%.63s}", sh->t.prefix, p->key);
			snprintf(ttl, sizeof(ttl), "%u", sh->t.ttl_s);
			snprintf(msg, sizeof(msg), "%.63s %.63s", p->key, sh->sensor);
			redisAppendCommand(sh->cmd, "HSETNX %s first %s", key, ts);
			redisAppendCommand(sh->cmd, "HMSET %s service %s sensor %s last %s", key,
					   p->service, sh->sensor, ts);
		}
		redisAppendCommand(sh->cmd, "EXPIRE %s %s", key, ttl);
		redisAppendCommand(sh->cmd, "PUBLISH %s %s", sh->channel, msg);
	}
	for (; done < n; done++) {
		static const int replies[] = {
			[PENDING_OFFER] = 4, [PENDING_FAIL] = 3, [PENDING_SESSION] = 8};
		bool ok;

		if (!shared_replies(sh, replies[batch[done].kind], &ok))
			goto out;
		pthread_mutex_lock(&sh->lock);
		if (ok && batch[done].kind == PENDING_SESSION) {
			sh->st.counted++;
		} else if (ok) {
			sh->st.sent++;
		} else {
			sh->st.errors++;
			sh->st.dropped++;
		}
		pthread_mutex_unlock(&sh->lock);
	}
out:
	pthread_mutex_lock(&sh->lock);
	sh->q_head = (sh->q_head + done) % SHARED_QUEUE;
	sh->q_len -= done;
	pthread_mutex_unlock(&sh->lock);
	return done == n;
}

/* Sends up to SHARED_BATCH queued policy facts: SET with the TTL, and the
 * announcement; false when the connection failed (what was not answered
 * stays queued). */
static bool
shared_send_policy(struct shared *sh)
{
	struct policy_out batch[SHARED_POLICY_BATCH];
	size_t n = 0;
	char key[SHARED_KEY_LEN + 320], msg[SHARED_POLICY_LINE + 100];

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_POLICY_BATCH && n < sh->pout_len) {
		batch[n] = sh->pout[(sh->pout_head + n) % SHARED_POLICY_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct policy_out *o = &batch[i];

		snprintf(key, sizeof(key), "%.63s:policy:{%.127s}:%.159s", sh->t.prefix, o->name,
			 o->id);
		snprintf(msg, sizeof(msg), "policy %" PRIu64 " %s %s", sh->nonce, sh->sensor,
			 o->line);
		redisAppendCommand(sh->cmd, "SET %s %s EX %u", key, o->line, o->ttl_s);
		redisAppendCommand(sh->cmd, "PUBLISH %s %s", sh->policy_channel, msg);
	}
	return shared_settle(sh, n, 2, &sh->st.policy_sent, &sh->st.policy_dropped, &sh->pout_head,
			     &sh->pout_len, SHARED_POLICY_QUEUE) == n;
}

/* Sends up to SHARED_CERT_BATCH queued certificates: SET with the TTL of
 * the offers, and the announcement; false when the connection failed (what
 * was not answered stays queued). */
static bool
shared_send_certs(struct shared *sh)
{
	struct cert_out batch[SHARED_CERT_BATCH];
	size_t n = 0;
	char key[SHARED_KEY_LEN + 80], msg[SHARED_KEY_LEN + SHARED_CERT_TEXT + 8];

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_CERT_BATCH && n < sh->cout_len) {
		batch[n] = sh->cout[(sh->cout_head + n) % SHARED_CERT_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct cert_out *o = &batch[i];

		snprintf(key, sizeof(key), "%.63s:cert:{%.63s}", sh->t.prefix, o->key);
		snprintf(msg, sizeof(msg), "cert %.63s %.255s", o->key, o->value);
		redisAppendCommand(sh->cmd, "SET %s %s EX %u", key, o->value, sh->t.ttl_s);
		redisAppendCommand(sh->cmd, "PUBLISH %s %s", sh->cert_channel, msg);
	}
	return shared_settle(sh, n, 2, &sh->st.cert_sent, &sh->st.cert_dropped, &sh->cout_head,
			     &sh->cout_len, SHARED_CERT_QUEUE) == n;
}

/* Sends up to SHARED_BATCH queued feed records, pipelined; false when the
 * connection failed (what was not answered stays queued). A record Redis
 * refuses (the key holds another type) is dropped and counted. */
static bool
shared_send_feed(struct shared *sh)
{
	struct feed_rec *batch[SHARED_BATCH];
	char key[2][SHARED_KEY_LEN + 16];
	size_t n = 0, done = 0;

	pthread_mutex_lock(&sh->lock);
	while (n < SHARED_BATCH && n < sh->feed_len) {
		batch[n] = sh->feed[(sh->feed_head + n) % SHARED_FEED_QUEUE];
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (n == 0)
		return true;
	snprintf(key[0], sizeof(key[0]), "%s:sessions", sh->t.prefix);
	snprintf(key[1], sizeof(key[1]), "%s:alerts", sh->t.prefix);
	for (size_t i = 0; i < n; i++)
		redisAppendCommand(sh->cmd, "XADD %s MAXLEN ~ %u * r %b", key[batch[i]->alert],
				   sh->t.feed_max, batch[i]->line, batch[i]->n);
	done = shared_settle(sh, n, 1, &sh->st.feed_sent, &sh->st.feed_dropped, &sh->feed_head,
			     &sh->feed_len, SHARED_FEED_QUEUE);
	for (size_t i = 0; i < done; i++)
		free(batch[i]); /* off the queue: the rest stay there, still owned */
	return done == n;
}

/* Takes what the subscription brought, waiting at most SHARED_POLL_MS. */
static bool
shared_listen(struct shared *sh, int wait_ms)
{
	struct pollfd pfd = {.fd = sh->sub->fd, .events = POLLIN};
	void *v = NULL;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return true;
	if (redisBufferRead(sh->sub) != REDIS_OK)
		return false;
	while (redisGetReplyFromReader(sh->sub, &v) == REDIS_OK && v) {
		shared_take_message(sh, v);
		freeReplyObject(v);
		v = NULL;
	}
	return sh->sub->err == 0;
}

void *
shared_main(void *arg)
{
	struct shared *sh = arg;
	unsigned backoff = 0;

	for (;;) {
		bool stopping, empty;

		pthread_mutex_lock(&sh->lock);
		stopping = sh->stopping;
		empty = sh->q_len == 0 && sh->pout_len == 0 && sh->cout_len == 0 &&
			sh->feed_len == 0;
		if (stopping && (empty || deadline_past(&sh->deadline))) {
			pthread_mutex_unlock(&sh->lock);
			break;
		}
		if (!sh->cmd && backoff) {
			struct timespec until;

			deadline_after_ms(&until, backoff);
			/* The back-off holds while draining at the end too (never past
			 * the deadline): a stop request only shortens it. */
			while (pthread_cond_timedwait(&sh->cond, &sh->lock, &until) != ETIMEDOUT)
				if (sh->stopping && deadline_past(&sh->deadline))
					break;
			if (sh->stopping && deadline_past(&sh->deadline)) {
				pthread_mutex_unlock(&sh->lock);
				break;
			}
		}
		pthread_mutex_unlock(&sh->lock);
		if (!sh->cmd) {
			if (!shared_connect(sh)) {
				backoff = backoff ? backoff * 2 : SHARED_BACKOFF_MIN_MS;
				if (backoff > SHARED_BACKOFF_MAX_MS)
					backoff = SHARED_BACKOFF_MAX_MS;
				continue;
			}
			backoff = 0;
		}
		if (!shared_send(sh) || !shared_send_policy(sh) || !shared_send_certs(sh) ||
		    !shared_send_feed(sh) || !shared_listen(sh, empty ? SHARED_POLL_MS : 0)) {
			shared_lost(sh);
			backoff = SHARED_BACKOFF_MIN_MS;
		}
	}
	shared_disconnect(sh);
	return NULL;
}
