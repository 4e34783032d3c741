/*
 * test_hugeheap.c - malloc's main heap is advised for transparent huge
 * pages: after hugeheap_init and growth past the first step, the heap's
 * mapping carries the kernel's "hg" flag (VM_HUGEPAGE) in /proc/self/smaps,
 * and so does what grows back after the heap was trimmed.
 * Skipped where the kernel has no THP, or where malloc does not use the
 * brk heap (the sanitizer build's allocator).
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hugeheap.h"

/* The VmFlags line of the mapping holding addr; false when none. */
static bool
vm_flags_of(uintptr_t addr, char *flags, size_t n)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = addr >= lo && addr < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(flags, n, "%s", line + 8);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static void
test_the_grown_heap_is_advised_for_huge_pages(void **st)
{
	enum { PIECES = 4096, PIECE = 64 << 10 };
	static char *p[PIECES];
	char flags[512];
	uintptr_t last;

	(void)st;
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) != 0)
		skip();
	hugeheap_init();
	/* 256 MiB in pieces below malloc's mmap threshold: the heap grows
	 * several steps past the first. */
	for (int i = 0; i < PIECES; i++) {
		p[i] = malloc(PIECE);
		assert_non_null(p[i]);
		memset(p[i], 1, 4096);
	}
	last = (uintptr_t)p[PIECES - 1];
	if (last >= (uintptr_t)sbrk(0))
		skip(); /* not the brk heap: nothing of ours to check */
	hugeheap_update();
	assert_true(vm_flags_of(last, flags, sizeof(flags)));
	assert_non_null(strstr(flags, " hg"));
	assert_true(vm_flags_of((uintptr_t)p[0], flags, sizeof(flags)));
	assert_non_null(strstr(flags, " hg"));
	for (int i = 0; i < PIECES; i++)
		free(p[i]);
	/* The break lowered (as malloc trims), then raised past where it had
	 * been: the part between the two is advised again too. Moved with
	 * sbrk directly, nothing allocated meanwhile; left where it ends. */
	{
		char *base = sbrk(0);

		if (sbrk(8 << 20) == (void *)-1)
			return;
		hugeheap_update();
		assert_true(sbrk(-(4 << 20)) != (void *)-1);
		hugeheap_update();
		assert_true(sbrk(8 << 20) != (void *)-1);
		hugeheap_update();
		assert_true(vm_flags_of((uintptr_t)base + (6 << 20), flags, sizeof(flags)));
		assert_non_null(strstr(flags, " hg"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_grown_heap_is_advised_for_huge_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
