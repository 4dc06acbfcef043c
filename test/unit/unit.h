/*
 * unit.h - how a CUnit suite registers itself.
 *
 * Each test_<module>.c ends with UNIT_SUITE(name, tests...). A constructor
 * adds the suite to a static list that test/unit/main.c runs, so no file
 * lists every suite and adding a module touches only the Makefile.
 */
#ifndef UNIT_H
#define UNIT_H

#include <CUnit/CUnit.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

void unit_register(const char *suite, const struct unit_test *tests,
		   int (*init)(void), int (*cleanup)(void));

#define UNIT_SUITE_FULL(sname, init, cleanup, ...)                          \
	static const struct unit_test sname##_tests[] = {__VA_ARGS__, {0, 0}}; \
	__attribute__((constructor)) static void sname##_register(void)       \
	{                                                                      \
		unit_register(#sname, sname##_tests, init, cleanup);           \
	}

#define UNIT_SUITE(sname, ...) UNIT_SUITE_FULL(sname, NULL, NULL, __VA_ARGS__)

#define UNIT_TEST(fn) {#fn, fn}

#endif
