/*
 * case_filter.h - lets one test case of a cmocka binary run alone:
 * TEST_CASE=PATTERN (cmocka's test filter: '*' and '?' wildcards) in the
 * environment. The Makefile includes this into every unit test binary.
 */
#ifndef TLSWATCH_CASE_FILTER_H
#define TLSWATCH_CASE_FILTER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

__attribute__((constructor)) static void
case_filter_from_environment(void)
{
	const char *p = getenv("TEST_CASE");

	if (p && *p)
		cmocka_set_test_filter(p);
}

#endif
