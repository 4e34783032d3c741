/*
 * session_cache.c - a session's heap blocks: the per-thread cache of freed
 * ones (session_cache.h says why and how), emptied when a thread ends.
 */
#include "session.h"

#include <stdlib.h>

#include "session_cache.h"

_Thread_local struct session_cache_slot session_cache[SESSION_CACHE_SLOTS];

void
session_cache_drain(void)
{
	for (size_t i = 0; i < SESSION_CACHE_SLOTS; i++) {
		struct session_cache_slot *c = &session_cache[i];

		while (c->head) {
			struct session_block *b = c->head;

			c->head = b->next;
			free(b);
		}
		c->n = 0;
	}
}
