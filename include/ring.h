/*
 * ring.h - a bounded single-producer, single-consumer queue of
 * variable-sized messages between two threads.
 *
 * The engine's workers (--threads) get their packets through one ring each
 * and hand finished sessions back through another. One thread writes, one
 * reads; neither ever copies a message twice: the producer reserves space,
 * writes the message in place and commits it; the consumer peeks at the
 * oldest message in place and releases it when done. A full ring makes the
 * producer wait and an empty one the consumer (a short spin, then a
 * condition variable with a 1 ms timeout, so a missed wake-up costs at most
 * that; a waiting producer is woken when the consumer's releases pass a
 * quarter of the ring or catch up with what was published).
 * Messages are 8-byte aligned; one message may use at most a quarter of the
 * ring.
 */
#ifndef TLSWATCH_RING_H
#define TLSWATCH_RING_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each side's fields are on a cache line of their own, and each side keeps
 * a copy of the other's counter that it reads again only when the copy says
 * the ring is full (producer) or empty (consumer): a line that both sides
 * write for every message moves between the CPUs for every message. */
struct ring {
	uint8_t *buf;
	size_t size; /* a power of two */
	/* The producer's. */
	alignas(64) size_t head_local; /* bytes ever committed */
	size_t reserved;	       /* bytes of the reservation in progress */
	size_t tail_seen;	       /* tail as last read (at most tail) */
	/* Written by the producer when it publishes (and read by it: only
	 * the consumer's reads share the line, which costs no miss). */
	alignas(64) _Atomic size_t head; /* bytes ever published */
	/* The consumer's. */
	alignas(64) size_t peeked; /* bytes of the message being read */
	size_t head_seen;	   /* head as last read (at most head) */
	/* Written by the consumer for each message it releases. */
	alignas(64) _Atomic size_t tail; /* bytes ever released */
	alignas(64) _Atomic int waiting; /* threads waiting on cv */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* Sets up a ring of at least size bytes; -1 on allocation failure. */
int ring_init(struct ring *r, size_t size);
void ring_destroy(struct ring *r);
/* The largest message ring_reserve accepts. */
size_t ring_max_message(const struct ring *r);

/* Producer: room for len bytes (len <= ring_max_message), waiting while the
 * ring is full. When wait is not NULL it is called while waiting (the
 * dispatcher drains the workers' output there, so two full rings never wait
 * on each other). The pointer stays valid until ring_commit. */
void *ring_reserve(struct ring *r, size_t len, void (*wait)(void *), void *ctx);
/* Producer: publishes the reserved message (with any batched before it). */
void ring_commit(struct ring *r);
/* Producer: commits the reserved message, publishing it only once a
 * sixteenth of the ring is waiting (or at ring_flush, or when the ring is
 * full); the consumer sees nothing of the batch until then. */
void ring_commit_batch(struct ring *r);
void ring_flush(struct ring *r);

/* Consumer: the oldest message and its length, or NULL when the ring is
 * empty (ring_peek) / after waiting for one (ring_peek_wait). Valid until
 * ring_release. */
void *ring_peek(struct ring *r, size_t *len);
void *ring_peek_wait(struct ring *r, size_t *len);
/* Consumer: frees the message ring_peek returned. */
void ring_release(struct ring *r);
/* Consumer: true when nothing is waiting to be read. */
bool ring_empty(struct ring *r);

#endif
