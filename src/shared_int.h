/*
 * shared_int.h - what the files of the shared state (shared.c: the target
 * and the public side; shared_mirror.c: the local mirror and a
 * certificate's value; shared_read.c: what is read from Redis;
 * shared_thread.c: the thread that keeps the mirror current and sends)
 * have in common: the state itself and the pieces each lends the others.
 * Not for the rest of tlswatch: shared.h is.
 */
#ifndef TLSWATCH_SHARED_INT_H
#define TLSWATCH_SHARED_INT_H

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "shared.h"

#define SHARED_BUCKETS 16384
#define SHARED_KEY_LEN 64 /* "6/" + an IPv6 address + "/65535/tcp" */
#define SHARED_NAME_LEN 64
#define SHARED_BATCH 256
#define SHARED_POLICY_BATCH 64
#define SHARED_CERT_BATCH 64
#define SHARED_BACKOFF_MIN_MS 100
#define SHARED_BACKOFF_MAX_MS 5000
#define SHARED_POLL_MS 100

/* One fact: an offer (key "SERVER") or a failed handshake (key
 * "SERVER>CLIENT", with its time). */
struct mirror_node {
	struct mirror_node *next;
	char key[SHARED_KEY_LEN + INET6_ADDRSTRLEN];
	char sensor[SHARED_NAME_LEN];
	uint64_t ts_us;
	bool broken;
};

enum pending_kind { PENDING_OFFER, PENDING_FAIL, PENDING_SESSION };

struct pending {
	enum pending_kind kind;
	char key[SHARED_KEY_LEN];
	char client[INET6_ADDRSTRLEN];
	char service[16];
	uint64_t ts_us;
	bool broken;
	unsigned ttl_s;
	/* PENDING_SESSION: what the cluster summary counts */
	char verdict[16];
	unsigned logins;
	bool alerted;
	int offer; /* 1 offered, 0 not offered, -1 no capability list */
};

/* A server's certificate (key "SERVER"), the latest any sensor saw. */
struct cert_node {
	struct cert_node *next;
	char key[SHARED_KEY_LEN];
	struct shared_cert c;
};

/* A certificate of this sensor's, to be written: its key's value. */
struct cert_out {
	char key[SHARED_KEY_LEN];
	char value[SHARED_CERT_TEXT];
};

/* A policy fact of another sensor's, for the judging thread. */
struct policy_in {
	struct policy_in *next;
	char line[];
};

/* A policy fact of this sensor's, to be written. */
struct policy_out {
	char name[128];
	char id[160];
	char line[SHARED_POLICY_LINE];
	unsigned ttl_s;
};

struct shared {
	struct shared_target t;
	uint64_t nonce; /* this process's announcements, not taken back */
	char sensor[SHARED_NAME_LEN];
	char channel[SHARED_KEY_LEN + 16];	  /* PREFIX:offers: offers, failures */
	char policy_channel[SHARED_KEY_LEN + 16]; /* PREFIX:policies: policy facts */
	char cert_channel[SHARED_KEY_LEN + 16];	  /* PREFIX:certs: servers' certificates */
	uint64_t cert_refresh_us;		  /* the same certificate written again after */
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	struct mirror_node *buckets[SHARED_BUCKETS];
	size_t n_mirrored;
	struct pending queue[SHARED_QUEUE]; /* a ring */
	size_t q_head, q_len;
	struct policy_out pout[SHARED_POLICY_QUEUE]; /* a ring */
	size_t pout_head, pout_len;
	struct policy_in *pin_head, *pin_tail; /* other sensors' facts, oldest first */
	size_t pin_len;
	struct cert_node *cert_buckets[SHARED_BUCKETS];
	size_t n_certs;
	struct cert_out cout[SHARED_CERT_QUEUE]; /* a ring */
	size_t cout_head, cout_len;
	/* Offers of servers new to the mirror announced while running, for
	 * the judging thread's late alerts (shared_arrivals_take); a ring,
	 * the oldest overwritten when full (counted in arrivals_lost). */
	struct shared_arrival arrivals[SHARED_ARRIVALS];
	size_t arr_head, arr_len;
	struct feed_rec *feed[SHARED_FEED_QUEUE]; /* a ring (shared_feed) */
	size_t feed_head, feed_len;
	bool stopping;		  /* drain, then stop */
	struct timespec deadline; /* ... at most until then */
	struct shared_stats st;

	/* The thread's own. */
	redisContext *cmd, *sub;
	bool ever_up;
};

/* A feed record waiting for its stream (shared_feed). */
struct feed_rec {
	bool alert;
	size_t n;
	char line[];
};
/* shared_mirror.c; the lock held where it says so. */

/* Notes the offer of a server new to the mirror (lock held). */
void shared_arrival_note(struct shared *sh, const char *key, const char *sensor);
/* "4/192.0.2.10/25/tcp": the server as the keys and the channel name it;
 * out has SHARED_KEY_LEN bytes. */
bool shared_server_text(char *out, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4);
/* Whether text[0..n) is a server as shared_server_text writes it. */
bool shared_server_valid(const char *text, size_t n);
/* Whether text is "SERVER" or "SERVER>CLIENT" (CLIENT an address of the
 * server's family). */
bool shared_key_valid(const char *text, size_t n);
/* Adds or refreshes one fact (lock held); false when it was new. */
bool shared_mirror_put(struct shared *sh, const char *key, size_t keylen, const char *sensor,
		       size_t sensorlen, uint64_t ts_us, bool broken);
/* The mirrored fact of key (lock held), or NULL. */
struct mirror_node *shared_mirror_get(struct shared *sh, const char *k);
/* The mirrored certificate of server (lock held), or NULL. */
struct cert_node *shared_cert_mirror_get(struct shared *sh, const char *server);
/* Keeps c as the server's certificate unless the mirror holds one seen as
 * late or later (lock held); whether it was kept. */
bool shared_cert_mirror_put(struct shared *sh, const char *server, const struct shared_cert *c);

/* shared.c */

/* A policy fact line read from Redis or its channel, for the caller's
 * thread (lock held). */
void shared_policy_in(struct shared *sh, const char *line, size_t n);

/* shared_read.c, on the thread (without the lock). */

/* One message of the subscription, into the mirror or the policy facts. */
void shared_take_message(struct shared *sh, const redisReply *r);
/* Reads every fact kept in Redis; false when the connection failed. */
bool shared_load(struct shared *sh);

/* shared_thread.c */

/* Both connections, the subscription, the load; false (counted) when any
 * failed. */
bool shared_connect(struct shared *sh);
/* Closes both connections: the state is down. */
void shared_disconnect(struct shared *sh);
/* The thread (pthread_create's start routine; arg is the struct shared). */
void *shared_main(void *arg);

#endif
