/*
 * test_rates.c - rate lookup and billing rounding (rates.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "rates.h"

static struct rate rate(int trunk, const char *prefix, double pm, int inc, int min, double fee)
{
	struct rate r;

	memset(&r, 0, sizeof(r));
	r.trunk_id = trunk;
	snprintf(r.prefix, sizeof(r.prefix), "%s", prefix);
	r.per_minute = pm;
	r.increment_s = inc;
	r.min_s = min;
	r.connect_fee = fee;
	return r;
}

static void test_billed_seconds_round_up_with_minimum(void)
{
	static const struct {
		int inc, min;
		double dur;
		long want;
	} cases[] = {
		{1, 0, 0.0, 0}, {1, 0, 0.001, 1}, {1, 0, 12.0, 12}, {1, 0, 12.4, 13},
		{6, 6, 0.0, 6},          /* answered, 0 s: the minimum */
		{6, 6, 1.0, 6}, {6, 6, 6.0, 6}, {6, 6, 6.001, 12}, {6, 6, 61.5, 66},
		{60, 60, 1.0, 60}, {60, 60, 60.0, 60}, {60, 60, 60.5, 120},
		{30, 60, 61.0, 90},      /* past the minimum, then 30 s steps */
		{30, 60, 45.0, 60},
		{0, 0, 7.2, 8},          /* increment 0 means 1 */
		{6, 0, -3.0, 0},         /* a clock step backwards bills nothing */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rate r = rate(1, "", 1.0, cases[i].inc, cases[i].min, 0);
		long got = rate_billed_s(&r, cases[i].dur);

		if (got != cases[i].want)
			fprintf(stderr, "billed case %zu: got %ld want %ld\n", i, got, cases[i].want);
		CU_ASSERT_EQUAL(got, cases[i].want);
	}
}

static void test_cost_includes_connect_fee(void)
{
	struct rate a = rate(2, "1", 0.60, 6, 6, 0.0);
	struct rate b = rate(3, "1", 1.20, 60, 60, 0.05);

	CU_ASSERT_DOUBLE_EQUAL(rate_cost(&a, 61.5), 0.66, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(rate_cost(&a, 0), 0.06, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(rate_cost(&b, 1), 1.25, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(rate_cost(&b, 61), 2.45, 1e-9);
}

static void test_longest_prefix_per_trunk(void)
{
	struct rates *rs = rates_new();
	struct rate rows[] = {
		rate(1, "", 0.10, 1, 0, 0), rate(1, "49", 0.02, 60, 60, 0),
		rate(1, "4915", 0.20, 60, 60, 0), rate(2, "49", 0.05, 1, 0, 0),
	};
	char err[128];
	const struct rate *r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	for (size_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(rates_add(rs, &rows[i], err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(rates_add(rs, &rows[1], err, sizeof(err)), 0);   /* duplicate */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "duplicate"));
	r = rates_find(rs, 1, "4915112345");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_DOUBLE_EQUAL(r->per_minute, 0.20, 1e-12);
	r = rates_find(rs, 1, "4930123");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_DOUBLE_EQUAL(r->per_minute, 0.02, 1e-12);
	r = rates_find(rs, 1, "1555");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_DOUBLE_EQUAL(r->per_minute, 0.10, 1e-12);
	r = rates_find(rs, 2, "4915112345");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_DOUBLE_EQUAL(r->per_minute, 0.05, 1e-12);
	CU_ASSERT_PTR_NULL(rates_find(rs, 2, "1555"));     /* no default on trunk 2 */
	CU_ASSERT_PTR_NULL(rates_find(rs, 3, "49"));       /* no rates at all */
	rates_free(rs);
}

UNIT_SUITE(rates,
	   UNIT_TEST(test_billed_seconds_round_up_with_minimum),
	   UNIT_TEST(test_cost_includes_connect_fee),
	   UNIT_TEST(test_longest_prefix_per_trunk))
