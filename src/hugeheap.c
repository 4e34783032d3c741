/*
 * hugeheap.c - transparent huge pages for malloc's main heap (hugeheap.h).
 */
#include "hugeheap.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/mman.h>

/* The heap grows by at least this much at a time, so a new piece is rarely
 * left unadvised for long; untouched pages cost no memory. */
#define HUGEHEAP_TOP_PAD (64 << 20)

static _Atomic uintptr_t hugeheap_lo;	/* page-aligned start of what to advise */
static _Atomic uintptr_t hugeheap_done; /* advised up to here (the break then) */
static uintptr_t hugeheap_page;		/* set once, before hugeheap_lo */

void
hugeheap_init(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *first;

	if (page <= 0)
		return;
	hugeheap_page = (uintptr_t)page;
	(void)mallopt(M_TOP_PAD, HUGEHEAP_TOP_PAD);
	/* A chunk of the main heap: its page is where advising starts (what
	 * lies below was allocated before main and is small). */
	first = malloc(1);
	if (!first)
		return;
	atomic_store(&hugeheap_lo, (uintptr_t)first & ~((uintptr_t)page - 1));
	free(first);
	hugeheap_update();
}

void
hugeheap_update(void)
{
	uintptr_t lo = atomic_load(&hugeheap_lo), done = atomic_load(&hugeheap_done);
	void *brk_now = sbrk(0);
	uintptr_t hi = (uintptr_t)brk_now;

	if (lo == 0 || brk_now == (void *)-1 || hi <= lo || hi == done)
		return;
	if (!atomic_compare_exchange_strong(&hugeheap_done, &done, hi))
		return; /* another thread does it */
	/* Trimmed (hi below done): remember the lower break, so that what
	 * grows back is advised again. */
	if (hi < done)
		return;
	if (done < lo)
		done = lo;
	done &= ~(hugeheap_page - 1); /* madvise wants a page-aligned start */
	(void)madvise((void *)done, hi - done, MADV_HUGEPAGE);
}
