/*
 * unit.h - how a CUnit suite registers itself.
 *
 * Each test_<module>.c ends with UNIT_SUITE(name, tests...). A constructor
 * adds the suite to a static list that test/unit/main.c runs, so no file
 * lists every suite and adding a module touches only the Makefile.
 * Tests never call their fixtures by hand: UNIT_SUITE_FIXTURE registers
 * them with CUnit.
 */
#ifndef UNIT_H
#define UNIT_H

#include <CUnit/CUnit.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* init/cleanup run once around the suite; setup/teardown around every
 * test, by CUnit itself, so a test that fails half-way (a FATAL assert
 * jumps out of it) still gets its teardown and leaves nothing behind. */
void unit_register(const char *suite, const struct unit_test *tests,
		   int (*init)(void), int (*cleanup)(void),
		   void (*setup)(void), void (*teardown)(void));

#define UNIT_SUITE_FIXTURE(sname, init, cleanup, setup, teardown, ...)       \
	static const struct unit_test sname##_tests[] = {__VA_ARGS__, {0, 0}}; \
	__attribute__((constructor)) static void sname##_register(void)       \
	{                                                                      \
		unit_register(#sname, sname##_tests, init, cleanup, setup,     \
			      teardown);                                       \
	}

#define UNIT_SUITE_FULL(sname, init, cleanup, ...) \
	UNIT_SUITE_FIXTURE(sname, init, cleanup, NULL, NULL, __VA_ARGS__)
#define UNIT_SUITE(sname, ...) UNIT_SUITE_FULL(sname, NULL, NULL, __VA_ARGS__)

#define UNIT_TEST(fn) {#fn, fn}

#endif
