/*
 * session_cache.h - the blocks a session allocates (the sniffer's buffers,
 * its parser's state, the TLS parser) and the per-thread cache they come
 * from (session_cache.c). Inline: a session takes and frees them as it
 * starts, upgrades and ends. Not for other modules.
 */
#ifndef TLSWATCH_SESSION_CACHE_H
#define TLSWATCH_SESSION_CACHE_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * A session's blocks (the sniffer's buffers, its parser's state, the TLS
 * parser) come from a small per-thread cache of freed blocks of the same
 * size: on a busy mail relay sessions start and end thousands of times a
 * second, and these blocks are too big for malloc's own thread cache, so
 * each took a trip through its bins. A block carries its size in a header;
 * a cache slot holds blocks of one size at a time (a size that hashes to a
 * slot holding another one goes to malloc), at most SESSION_CACHE_KEEP of
 * them. Blocks may be freed by another thread than the one that took them.
 */
#define SESSION_CACHE_SLOTS 16
#define SESSION_CACHE_KEEP 64

struct session_block {
	_Alignas(max_align_t) size_t size;
	struct session_block *next; /* while in the cache */
};

struct session_cache_slot {
	size_t size;
	unsigned n;
	struct session_block *head;
};

/* The cache of this thread (session_cache.c). */
extern _Thread_local struct session_cache_slot session_cache[SESSION_CACHE_SLOTS];

static inline struct session_cache_slot *
session_cache_slot(size_t size)
{
	return &session_cache[(size >> 3) % SESSION_CACHE_SLOTS];
}

/* size zeroed bytes, or NULL; freed with session_zfree. */
static inline void *
session_zalloc(size_t size)
{
	struct session_cache_slot *c = session_cache_slot(size);
	struct session_block *b;

	if (c->size == size && c->head) {
		b = c->head;
		c->head = b->next;
		c->n--;
		memset(b + 1, 0, size);
	} else if (!(b = calloc(1, sizeof(*b) + size))) {
		return NULL;
	}
	b->size = size;
	return b + 1;
}

/* The size a block of session_zalloc was asked for. */
static inline size_t
session_zsize(const void *p)
{
	return ((const struct session_block *)p - 1)->size;
}

static inline void
session_zfree(void *p)
{
	struct session_block *b;
	struct session_cache_slot *c;

	if (!p)
		return;
	b = (struct session_block *)p - 1;
	c = session_cache_slot(b->size);
	if (!c->head)
		c->size = b->size;
	if (c->size == b->size && c->n < SESSION_CACHE_KEEP) {
		b->next = c->head;
		c->head = b;
		c->n++;
		return;
	}
	free(b);
}

#endif
