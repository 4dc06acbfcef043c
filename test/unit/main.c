/*
 * main.c - runs every suite that linked itself in (see unit.h).
 * Exit status is non-zero when any assertion failed, so make stops.
 * An optional argument runs only the suite of that name.
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "unit.h"

#define MAX_SUITES 64

static struct {
	const char *name;
	const struct unit_test *tests;
	int (*init)(void);
	int (*cleanup)(void);
	void (*setup)(void);
	void (*teardown)(void);
} suites[MAX_SUITES];
static int nsuites;

void unit_register(const char *suite, const struct unit_test *tests,
		   int (*init)(void), int (*cleanup)(void),
		   void (*setup)(void), void (*teardown)(void))
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "unit: too many suites, raise MAX_SUITES\n");
		return;
	}
	suites[nsuites].name = suite;
	suites[nsuites].tests = tests;
	suites[nsuites].init = init;
	suites[nsuites].cleanup = cleanup;
	suites[nsuites].setup = setup;
	suites[nsuites].teardown = teardown;
	nsuites++;
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (int i = 0; i < nsuites; i++) {
		CU_pSuite s;

		if (only && strcmp(only, suites[i].name) != 0)
			continue;
		s = CU_add_suite_with_setup_and_teardown(suites[i].name, suites[i].init,
							 suites[i].cleanup, suites[i].setup,
							 suites[i].teardown);
		if (!s)
			return 2;
		for (const struct unit_test *t = suites[i].tests; t->name; t++)
			CU_add_test(s, t->name, t->fn);
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	printf("unit: %u run, %u failed\n", CU_get_number_of_tests_run(),
	       CU_get_number_of_tests_failed());
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
