/*
 * hugeheap.h - asks the kernel to back malloc's main heap with transparent
 * huge pages (hugeheap.c).
 *
 * The flow table, the connections, the lingering flows and the packed
 * sessions are reached at random, a few per packet: with 4 KiB pages each
 * of those reads is also a TLB miss. With THP in "madvise" mode (Debian's
 * default) the heap gets 2 MiB pages only where madvise(MADV_HUGEPAGE) asked
 * for them, which is what these two functions do (as glibc's own
 * glibc.malloc.hugetlb=1 tunable would, were it set in the environment):
 * on session-dense traffic about a tenth less CPU. Nothing changes where
 * THP is "never", or where madvise fails.
 */
#ifndef TLSWATCH_HUGEHEAP_H
#define TLSWATCH_HUGEHEAP_H

/* Grows the heap in large steps (mallopt M_TOP_PAD) and advises what it
 * holds so far. Call once, early, from the main thread. */
void hugeheap_init(void);
/* Advises the part of the heap grown since the last call (one madvise at
 * most). Cheap: the engine calls it once per second of packet time. */
void hugeheap_update(void);

#endif
