/*
 * idmap.c - the workers' id map (see idmap.h).
 */
#include "idmap.h"

#include <stdlib.h>

static size_t
idmap_slot(const struct idmap *m, uint64_t k)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & m->mask;
}

static int
idmap_grow(struct idmap *m)
{
	size_t n = m->mask ? (m->mask + 1) * 2 : 1024;
	uint64_t *key = calloc(n, sizeof(*key)), *val = calloc(n, sizeof(*val));
	struct idmap old = *m;

	if (!key || !val) {
		free(key);
		free(val);
		return -1;
	}
	m->key = key;
	m->val = val;
	m->mask = n - 1;
	m->count = 0;
	for (size_t i = 0; old.mask && i <= old.mask; i++) {
		if (old.key[i]) {
			size_t j = idmap_slot(m, old.key[i]);

			while (m->key[j])
				j = (j + 1) & m->mask;
			m->key[j] = old.key[i];
			m->val[j] = old.val[i];
			m->count++;
		}
	}
	free(old.key);
	free(old.val);
	return 0;
}

int
idmap_put(struct idmap *m, uint64_t k, uint64_t v)
{
	size_t j;

	if ((m->count + 1) * 2 > m->mask + 1 && idmap_grow(m) < 0)
		return -1;
	j = idmap_slot(m, k);
	while (m->key[j])
		j = (j + 1) & m->mask;
	m->key[j] = k;
	m->val[j] = v;
	m->count++;
	return 0;
}

uint64_t
idmap_get(const struct idmap *m, uint64_t k)
{
	size_t j;

	if (!m->mask)
		return 0;
	for (j = idmap_slot(m, k); m->key[j] != k; j = (j + 1) & m->mask)
		if (!m->key[j])
			return 0;
	return m->val[j];
}

uint64_t
idmap_take(struct idmap *m, uint64_t k)
{
	size_t j, i;
	uint64_t v;

	if (!m->mask)
		return 0;
	for (j = idmap_slot(m, k); m->key[j] != k; j = (j + 1) & m->mask)
		if (!m->key[j])
			return 0;
	v = m->val[j];
	/* Shift back the entries that probed past the freed slot. */
	for (i = (j + 1) & m->mask; m->key[i]; i = (i + 1) & m->mask) {
		size_t home = idmap_slot(m, m->key[i]);

		if (((i - home) & m->mask) >= ((i - j) & m->mask)) {
			m->key[j] = m->key[i];
			m->val[j] = m->val[i];
			j = i;
		}
	}
	m->key[j] = 0;
	m->count--;
	return v;
}

void
idmap_free(struct idmap *m)
{
	free(m->key);
	free(m->val);
	m->key = m->val = NULL;
	m->mask = m->count = 0;
}
