/*
 * ring.c - single-producer, single-consumer message ring (see ring.h).
 *
 * Layout: records of an 8-byte header (payload length, flags) and the
 * payload rounded up to 8 bytes, one after the other in a power-of-two
 * buffer. A record never wraps: when it does not fit before the end of the
 * buffer, a padding record fills the rest and the message starts at offset 0.
 * head and tail count bytes ever written and released, so head - tail is the
 * fill level and neither side needs a lock; the producer publishes records
 * with a release store of head (at once, or a batch at a time: a store and a
 * wake-up per packet would cost more than the packet), the consumer frees
 * them with one of tail. Each side reads the other's counter again only
 * when its last copy says the ring is full or empty, and the consumer looks
 * for a waiting producer only when its releases pass a quarter of the ring
 * or catch up with what it saw published, so that a message costs neither
 * side a cache miss on the other's line.
 */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_HDR 8
#define RING_PAD 1u

struct ring_hdr {
	uint32_t len;
	uint32_t flags;
};

static size_t
ring_round(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int
ring_init(struct ring *r, size_t size)
{
	size_t n = 4096;

	memset(r, 0, sizeof(*r));
	while (n < size)
		n <<= 1;
	r->buf = aligned_alloc(64, n);
	if (!r->buf)
		return -1;
	r->size = n;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->waiting, 0);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return 0;
}

void
ring_destroy(struct ring *r)
{
	if (!r->buf)
		return;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->buf);
	r->buf = NULL;
}

size_t
ring_max_message(const struct ring *r)
{
	return r->size / 4 - RING_HDR;
}

/* A hint to the CPU inside a spin loop. */
static void
ring_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void
ring_wake(struct ring *r)
{
	/* Orders the head/tail store before the look at waiting, against the
	 * sleeper's increment before its look at head/tail. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&r->waiting) == 0)
		return;
	pthread_mutex_lock(&r->mu);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Sleeps until woken or 1 ms passed, unless ready(r) already holds. */
static void
ring_sleep(struct ring *r, bool (*ready)(struct ring *, size_t), size_t arg)
{
	struct timespec ts;

	pthread_mutex_lock(&r->mu);
	atomic_fetch_add(&r->waiting, 1);
	if (!ready(r, arg)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	}
	atomic_fetch_sub(&r->waiting, 1);
	pthread_mutex_unlock(&r->mu);
}

/* The producer: room for need bytes, by its copy of tail first. */
static bool
ring_has_room(struct ring *r, size_t need)
{
	if (r->size - (r->head_local - r->tail_seen) >= need)
		return true;
	r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
	return r->size - (r->head_local - r->tail_seen) >= need;
}

/* The consumer, while it waits (head and tail, not its copy). */
static bool
ring_has_data(struct ring *r, size_t unused)
{
	(void)unused;
	return atomic_load(&r->head) != atomic_load(&r->tail);
}

void *
ring_reserve(struct ring *r, size_t len, void (*wait)(void *), void *ctx)
{
	size_t head = r->head_local;
	size_t need = RING_HDR + ring_round(len);
	size_t pos = head & (r->size - 1);
	size_t to_end = r->size - pos;
	size_t pad = to_end < need ? to_end : 0;
	struct ring_hdr h;
	unsigned spins = 0;

	while (!ring_has_room(r, pad + need)) {
		ring_flush(r); /* the consumer must see what it is to free */
		if (wait)
			wait(ctx);
		if (++spins < 256)
			ring_pause();
		else
			ring_sleep(r, ring_has_room, pad + need);
	}
	if (pad) {
		h.len = (uint32_t)(pad - RING_HDR);
		h.flags = RING_PAD;
		memcpy(r->buf + pos, &h, sizeof(h));
		pos = 0;
	}
	h.len = (uint32_t)len;
	h.flags = 0;
	memcpy(r->buf + pos, &h, sizeof(h));
	r->reserved = pad + need;
	return r->buf + pos + RING_HDR;
}

void
ring_commit(struct ring *r)
{
	r->head_local += r->reserved;
	r->reserved = 0;
	ring_flush(r);
}

void
ring_commit_batch(struct ring *r)
{
	r->head_local += r->reserved;
	r->reserved = 0;
	if (r->head_local - atomic_load_explicit(&r->head, memory_order_relaxed) >= r->size / 16)
		ring_flush(r);
}

void
ring_flush(struct ring *r)
{
	if (atomic_load_explicit(&r->head, memory_order_relaxed) == r->head_local)
		return;
	atomic_store_explicit(&r->head, r->head_local, memory_order_release);
	ring_wake(r);
}

/* The consumer frees up to tail (from old). A producer waiting for room is
 * looked for when the releases pass a quarter of the ring and when the
 * consumer has caught up with what it saw published, not for every
 * message: the look costs a fence and a line the producer writes, and
 * woken for each message a producer faster than its consumer writes one
 * and waits again. A waiting producer published all it had (ring_reserve),
 * so the consumer catches up with it at the latest; the 1 ms timeout
 * covers the rest. */
static void
ring_advance(struct ring *r, size_t old, size_t tail)
{
	atomic_store_explicit(&r->tail, tail, memory_order_release);
	if (((old ^ tail) & ~(r->size / 4 - 1)) || tail == r->head_seen)
		ring_wake(r);
}

void *
ring_peek(struct ring *r, size_t *len)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	for (;;) {
		size_t pos = tail & (r->size - 1);
		struct ring_hdr h;

		/* Empty only by a head read in this call: the judge reads a
		 * worker's progress before its queue and counts on seeing all
		 * that was published before (workers.c, par_drain). */
		if (r->head_seen == tail) {
			r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
			if (r->head_seen == tail)
				return NULL;
		}
		memcpy(&h, r->buf + pos, sizeof(h));
		if (h.flags & RING_PAD) {
			ring_advance(r, tail, tail + RING_HDR + h.len);
			tail += RING_HDR + h.len;
			continue;
		}
		*len = h.len;
		r->peeked = RING_HDR + ring_round(h.len);
		return r->buf + pos + RING_HDR;
	}
}

void *
ring_peek_wait(struct ring *r, size_t *len)
{
	unsigned spins = 0;
	void *p;

	while ((p = ring_peek(r, len)) == NULL) {
		if (++spins < 256)
			ring_pause();
		else
			ring_sleep(r, ring_has_data, 0);
	}
	return p;
}

void
ring_release(struct ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	ring_advance(r, tail, tail + r->peeked);
	r->peeked = 0;
}

bool
ring_empty(struct ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (r->head_seen != tail)
		return false;
	r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
	return r->head_seen == tail;
}
