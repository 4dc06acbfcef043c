/*
 * test_metrics.c - the b2bua's attempt tally and its families
 * (b2bua/metrics.c): by trunk and code, answered = 2xx, failed = the
 * rest, codes outside 100-699 as "none", a bounded table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "metrics.h"
#include "prom.h"

static int has(const char *text, const char *l)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", l);
	return strstr(text, want) != NULL;
}

static void test_code_label(void)
{
	static const struct {
		int code;
		const char *label;
	} cases[] = {{200, "200"}, {486, "486"}, {100, "100"}, {699, "699"}, {0, "none"},
		     {99, "none"}, {700, "none"}, {-1, "none"}, {100000, "none"}};
	char buf[8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_STRING_EQUAL(metrics_code_label(cases[i].code, buf), cases[i].label);
}

static void test_tally_by_trunk_and_code(void)
{
	struct metrics_tally *t = calloc(1, sizeof(*t));
	struct prom_buf b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	metrics_tally_add(t, "carrier1", 200);
	metrics_tally_add(t, "carrier1", 200);
	metrics_tally_add(t, "carrier1", 503);
	metrics_tally_add(t, "carrier2", 486);
	metrics_tally_add(t, "carrier2", 0);     /* timeout: no final response */
	metrics_tally_add(t, "carrier2", 9999);  /* nonsense: same bucket */
	metrics_tally_add(t, "we\"ird", 202);
	CU_ASSERT_EQUAL(t->n, 5);
	prom_buf_init(&b);
	metrics_tally_write(t, &b);
	CU_ASSERT_FALSE(b.bad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.text);
	CU_ASSERT(has(b.text, "b2bua_trunk_attempts_total{trunk=\"carrier1\",code=\"200\"} 2"));
	CU_ASSERT(has(b.text, "b2bua_trunk_attempts_total{trunk=\"carrier1\",code=\"503\"} 1"));
	CU_ASSERT(has(b.text, "b2bua_trunk_attempts_total{trunk=\"carrier2\",code=\"none\"} 2"));
	CU_ASSERT(has(b.text, "b2bua_trunk_answered_total{trunk=\"carrier1\",code=\"200\"} 2"));
	CU_ASSERT(has(b.text, "b2bua_trunk_answered_total{trunk=\"we\\\"ird\",code=\"202\"} 1"));
	CU_ASSERT(!has(b.text, "b2bua_trunk_answered_total{trunk=\"carrier1\",code=\"503\"} 1"));
	CU_ASSERT(has(b.text, "b2bua_trunk_failed_total{trunk=\"carrier1\",code=\"503\"} 1"));
	CU_ASSERT(has(b.text, "b2bua_trunk_failed_total{trunk=\"carrier2\",code=\"486\"} 1"));
	CU_ASSERT(has(b.text, "b2bua_trunk_failed_total{trunk=\"carrier2\",code=\"none\"} 2"));
	CU_ASSERT(!has(b.text, "b2bua_trunk_failed_total{trunk=\"carrier1\",code=\"200\"} 2"));
	CU_ASSERT(has(b.text, "# TYPE b2bua_trunk_attempts_total counter"));
	CU_ASSERT(has(b.text, "b2bua_trunk_attempts_untracked_total 0"));
	prom_buf_free(&b);
	free(t);
}

/* Past METRICS_TALLY_MAX pairs, new ones are only counted apart; known
 * pairs still count. */
static void test_tally_is_bounded(void)
{
	struct metrics_tally *t = calloc(1, sizeof(*t));
	char name[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (int i = 0; i < METRICS_TALLY_MAX + 10; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		metrics_tally_add(t, name, 200);
	}
	CU_ASSERT_EQUAL(t->n, METRICS_TALLY_MAX);
	CU_ASSERT_EQUAL(t->overflow, 10);
	metrics_tally_add(t, "t0", 200);
	CU_ASSERT_EQUAL(t->e[0].n, 2);
	CU_ASSERT_EQUAL(t->overflow, 10);
	free(t);
}

UNIT_SUITE(metrics, UNIT_TEST(test_code_label), UNIT_TEST(test_tally_by_trunk_and_code),
	   UNIT_TEST(test_tally_is_bounded));
