/*
 * test_trunk_limits.c - per-trunk channel caps and CPS token buckets (trunk_limits.c).
 *
 * The bucket is driven with an explicit monotonic clock (limits_take_at),
 * so every expectation below is exact: no sleeping, no timing slack.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "trunk_limits.h"

static struct policy_trunk trunk(int id, int max_channels, int max_cps)
{
	struct policy_trunk t;

	memset(&t, 0, sizeof(t));
	t.id = id;
	snprintf(t.name, sizeof(t.name), "t%d", id);
	t.max_channels = max_channels;
	t.max_cps = max_cps;
	t.enabled = 1;
	return t;
}

static void test_unlimited_trunk_always_takes(void)
{
	struct limits *l = limits_new();
	struct policy_trunk t = trunk(1, 0, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), 0);
	CU_ASSERT_EQUAL(limits_channels(l, 1), 1000);
	for (int i = 0; i < 1000; i++)
		limits_give(l, &t);
	CU_ASSERT_EQUAL(limits_channels(l, 1), 0);
	limits_free(l);
}

static void test_channel_cap_and_give(void)
{
	struct limits *l = limits_new();
	struct policy_trunk t = trunk(7, 2, 0);

	CU_ASSERT_EQUAL(limits_channels(l, 7), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), -1);   /* cap reached */
	CU_ASSERT_EQUAL(limits_channels(l, 7), 2);       /* a refusal holds nothing */
	limits_give(l, &t);
	CU_ASSERT_EQUAL(limits_channels(l, 7), 1);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), -1);
	limits_give(l, &t);
	limits_give(l, &t);
	limits_give(l, &t);                               /* extra give: never below 0 */
	CU_ASSERT_EQUAL(limits_channels(l, 7), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), -1);
	limits_free(l);
}

static void test_give_unknown_trunk_is_harmless(void)
{
	struct limits *l = limits_new();
	struct policy_trunk t = trunk(99, 1, 0);

	limits_give(l, &t);
	CU_ASSERT_EQUAL(limits_channels(l, 99), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), -1);
	limits_free(l);
	limits_free(NULL);
}

/* A bucket of max_cps tokens, refilled continuously at max_cps per second. */
static void test_cps_token_bucket(void)
{
	static const struct {
		int64_t at;
		int want;
	} steps[] = {
		{1000, 0}, {1000, 0}, {1000, -1},   /* burst of 2, then empty */
		{1250, -1},                         /* +0.5 token: still < 1 */
		{1500, 0},                          /* +1 token since 1000 */
		{1500, -1},
		{2000, 0},
		{10000, 0}, {10000, 0}, {10000, -1},/* long idle: capped at 2, not 16 */
		{10250, -1}, {10500, 0},         /* 0.5 + 0.5 token */
	};
	struct limits *l = limits_new();
	struct policy_trunk t = trunk(3, 0, 2);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc = limits_take_at(l, &t, steps[i].at);

		if (rc != steps[i].want)
			fprintf(stderr, "cps step %zu at %lld: got %d want %d\n", i,
				(long long)steps[i].at, rc, steps[i].want);
		CU_ASSERT_EQUAL(rc, steps[i].want);
	}
	/* Every successful take holds a channel. */
	CU_ASSERT_EQUAL(limits_channels(l, 3), 7);
	limits_free(l);
}

/* A call refused for channels must not spend a CPS token, and one refused
 * for CPS must not hold a channel. */
static void test_cps_and_channels_together(void)
{
	struct limits *l = limits_new();
	struct policy_trunk t = trunk(4, 1, 1);

	CU_ASSERT_EQUAL(limits_take_at(l, &t, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 5000), -1);   /* channel cap */
	limits_give(l, &t);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 5000), 0);    /* token still there */
	limits_give(l, &t);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 5100), -1);   /* CPS */
	CU_ASSERT_EQUAL(limits_channels(l, 4), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &t, 6000), 0);
	CU_ASSERT_EQUAL(limits_channels(l, 4), 1);
	limits_free(l);
}

/* Counters are keyed by trunk id: distinct trunks are independent, even
 * when they share a hash slot, and a reloaded trunk (new struct, same id)
 * continues the same count with the new limit. */
static void test_counters_per_trunk_id(void)
{
	struct limits *l = limits_new();
	struct policy_trunk a = trunk(5, 1, 0), b = trunk(5 + 256, 1, 0), c = trunk(6, 1, 0);
	struct policy_trunk a2 = trunk(5, 2, 0);

	CU_ASSERT_EQUAL(limits_take_at(l, &a, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &b, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &c, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &a, 0), -1);
	CU_ASSERT_EQUAL(limits_take_at(l, &b, 0), -1);
	CU_ASSERT_EQUAL(limits_channels(l, 5), 1);
	CU_ASSERT_EQUAL(limits_channels(l, 5 + 256), 1);
	CU_ASSERT_EQUAL(limits_channels(l, 6), 1);
	CU_ASSERT_EQUAL(limits_channels(l, 8), 0);
	/* reload: same id, higher cap */
	CU_ASSERT_EQUAL(limits_take_at(l, &a2, 0), 0);
	CU_ASSERT_EQUAL(limits_take_at(l, &a2, 0), -1);
	CU_ASSERT_EQUAL(limits_channels(l, 5), 2);
	limits_give(l, &b);
	CU_ASSERT_EQUAL(limits_channels(l, 5 + 256), 0);
	CU_ASSERT_EQUAL(limits_channels(l, 5), 2);
	limits_free(l);
}

static void test_ops_table(void)
{
	const struct call_limits_ops *ops = limits_ops();
	struct limits *l = limits_new();
	struct policy_trunk t = trunk(11, 1, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
	CU_ASSERT_EQUAL(ops->take(l, &t), 0);
	CU_ASSERT_EQUAL(ops->take(l, &t), -1);
	ops->give(l, &t);
	CU_ASSERT_EQUAL(limits_channels(l, 11), 0);
	limits_free(l);
}

/* The rate shown is the calls taken in the last second, sliding: a
 * refused attempt is not one, a quiet second empties it. */
static void test_current_cps(void)
{
	struct limits *l = limits_new();
	struct policy_trunk t = trunk(2, 3, 0);

	CU_ASSERT_DOUBLE_EQUAL(limits_cps(l, 2, 5000), 0, 1e-9);
	for (int i = 0; i < 4; i++)
		limits_take_at(l, &t, 10000 + i * 100);   /* the 4th: over max_channels */
	CU_ASSERT_DOUBLE_EQUAL(limits_cps(l, 2, 10400), 3, 1e-9);
	for (int i = 0; i < 3; i++)
		limits_give(l, &t);
	limits_take_at(l, &t, 11000);
	CU_ASSERT_DOUBLE_EQUAL(limits_cps(l, 2, 11000), 4, 1e-9);     /* 1 now, all 3 of the last second */
	CU_ASSERT_DOUBLE_EQUAL(limits_cps(l, 2, 11500), 2.5, 1e-9);   /* half of them still inside */
	CU_ASSERT_DOUBLE_EQUAL(limits_cps(l, 2, 12250), 0.75, 1e-9);  /* the one at 11000, three quarters */
	CU_ASSERT_DOUBLE_EQUAL(limits_cps(l, 2, 14000), 0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(limits_cps(l, 9, 14000), 0, 1e-9);
	limits_free(l);
}

UNIT_SUITE(limits,
	   UNIT_TEST(test_unlimited_trunk_always_takes),
	   UNIT_TEST(test_channel_cap_and_give),
	   UNIT_TEST(test_give_unknown_trunk_is_harmless),
	   UNIT_TEST(test_cps_token_bucket),
	   UNIT_TEST(test_cps_and_channels_together),
	   UNIT_TEST(test_counters_per_trunk_id),
	   UNIT_TEST(test_current_cps),
	   UNIT_TEST(test_ops_table))
