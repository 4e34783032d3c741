/*
 * idmap.h - provisional id -> session id, for the sessions the workers have
 * open (a worker names a session by the index of the packet that created
 * it; the front gives ids in creation order): open addressing, linear
 * probing, deletion by shifting back. Keys are never 0 (packet indexes
 * start at 1).
 */
#ifndef TLSWATCH_ENGINE_IDMAP_H
#define TLSWATCH_ENGINE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t *key, *val;
	size_t mask, count;
};

/* Adds k -> v; -1 when out of memory. */
int idmap_put(struct idmap *m, uint64_t k, uint64_t v);
/* k's value; 0 when absent. */
uint64_t idmap_get(const struct idmap *m, uint64_t k);
/* Removes k and returns its value; 0 when absent. */
uint64_t idmap_take(struct idmap *m, uint64_t k);
void idmap_free(struct idmap *m);

#endif
