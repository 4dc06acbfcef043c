/*
 * test_relay_pool.c - relay health and per-call anchors (relay_pool.c):
 * a relay goes down after down_after unanswered requests in a row and up
 * at its next answer; new calls skip down relays; a first offer moves to
 * the next relay up, once per relay, and never once a relay answered for
 * the call; later requests stay on the call's relay; counts of anchored
 * calls follow.
 */
#include <string.h>
#include "unit.h"
#include "relay_pool.h"

static struct relay_pool *pool_of(int n, int down_after)
{
	struct relay_pool *p = NULL;

	CU_ASSERT_EQUAL_FATAL(relay_pool_new(&p, n, down_after), 0);
	return p;
}

static enum relay_health state_of(struct relay_pool *p, int i)
{
	struct relay_pool_info in;

	relay_pool_info(p, i, &in);
	return in.state;
}

static size_t calls_on(struct relay_pool *p, int i)
{
	struct relay_pool_info in;

	relay_pool_info(p, i, &in);
	return in.calls;
}

static void test_refuses_bad_sizes(void)
{
	struct relay_pool *p = NULL;

	CU_ASSERT_EQUAL(relay_pool_new(&p, 0, 3), -1);
	CU_ASSERT_EQUAL(relay_pool_new(&p, RELAY_POOL_MAX + 1, 3), -1);
	CU_ASSERT_EQUAL(relay_pool_new(&p, 2, 0), -1);
	CU_ASSERT_PTR_NULL(p);
}

/* Up at start; down at the down_after-th failure in a row (not before),
 * an answer in between starts the count again; up at the next answer. */
static void test_down_after_failures_in_a_row_up_at_answer(void)
{
	struct relay_pool *p = pool_of(1, 3);
	struct relay_pool_info in;

	CU_ASSERT_EQUAL(state_of(p, 0), RELAY_UP);
	CU_ASSERT_EQUAL(relay_pool_failed(p, 0, "no answer to ping"), 0);
	CU_ASSERT_EQUAL(relay_pool_failed(p, 0, "no answer to ping"), 0);
	CU_ASSERT_EQUAL(relay_pool_ok(p, 0, 1000), 0);
	CU_ASSERT_EQUAL(relay_pool_failed(p, 0, "no answer to ping"), 0);
	CU_ASSERT_EQUAL(relay_pool_failed(p, 0, "no answer to ping"), 0);
	CU_ASSERT_EQUAL(state_of(p, 0), RELAY_UP);
	CU_ASSERT_EQUAL(relay_pool_failed(p, 0, "no answer to offer"), 1);
	CU_ASSERT_EQUAL(state_of(p, 0), RELAY_DOWN);
	CU_ASSERT_EQUAL(relay_pool_failed(p, 0, "no answer to ping"), 0);   /* already down */
	relay_pool_info(p, 0, &in);
	CU_ASSERT_STRING_EQUAL(in.last_error, "no answer to ping");
	CU_ASSERT_EQUAL(in.last_ok_ms, 1000);
	CU_ASSERT_EQUAL(relay_pool_ok(p, 0, 2000), 1);
	CU_ASSERT_EQUAL(state_of(p, 0), RELAY_UP);
	relay_pool_info(p, 0, &in);
	CU_ASSERT_EQUAL(in.last_ok_ms, 2000);
	CU_ASSERT_EQUAL(in.fails, 0);
	relay_pool_free(p);
}

/* New calls take the relays that are up in turn, skipping a down one;
 * with none up a new call gets none. */
static void test_new_calls_round_robin_skip_down(void)
{
	struct relay_pool *p = pool_of(3, 1);

	CU_ASSERT_EQUAL(relay_pool_route(p, 1), 0);
	CU_ASSERT_EQUAL(relay_pool_route(p, 2), 1);
	CU_ASSERT_EQUAL(relay_pool_route(p, 3), 2);
	CU_ASSERT_EQUAL(relay_pool_failed(p, 0, "x"), 1);
	for (uint64_t s = 4; s < 10; s++)
		CU_ASSERT_NOT_EQUAL(relay_pool_route(p, s), 0);
	CU_ASSERT_EQUAL(calls_on(p, 0), 1);
	CU_ASSERT_EQUAL(calls_on(p, 1), 4);
	CU_ASSERT_EQUAL(calls_on(p, 2), 4);
	relay_pool_failed(p, 1, "x");
	relay_pool_failed(p, 2, "x");
	CU_ASSERT_EQUAL(relay_pool_route(p, 10), -1);
	/* The one back up takes the next call. */
	relay_pool_ok(p, 0, 5);
	CU_ASSERT_EQUAL(relay_pool_route(p, 11), 0);
	relay_pool_free(p);
}

/* A call's later requests go to its relay, down or not. */
static void test_call_stays_on_its_relay(void)
{
	struct relay_pool *p = pool_of(2, 1);

	CU_ASSERT_EQUAL(relay_pool_route(p, 7), 0);
	relay_pool_confirm(p, 7);
	CU_ASSERT_EQUAL(relay_pool_route(p, 8), 1);
	CU_ASSERT_EQUAL(relay_pool_route(p, 7), 0);
	relay_pool_failed(p, 0, "x");
	CU_ASSERT_EQUAL(relay_pool_route(p, 7), 0);
	CU_ASSERT_EQUAL(relay_pool_route(p, 7), 0);
	relay_pool_free(p);
}

/* A first offer unanswered moves to the next relay up it has not tried,
 * once per relay, skipping down ones; then none is left. */
static void test_offer_fails_over_to_next_up(void)
{
	struct relay_pool *p = pool_of(4, 3);

	CU_ASSERT_EQUAL(relay_pool_route(p, 1), 0);
	relay_pool_failed(p, 2, "x");
	relay_pool_failed(p, 2, "x");
	relay_pool_failed(p, 2, "x");   /* 2 is down */
	CU_ASSERT_EQUAL(relay_pool_failover(p, 1, 0), 1);
	CU_ASSERT_EQUAL(relay_pool_route(p, 1), 1);
	CU_ASSERT_EQUAL(calls_on(p, 0), 0);
	CU_ASSERT_EQUAL(calls_on(p, 1), 1);
	CU_ASSERT_EQUAL(relay_pool_failover(p, 1, 1), 3);
	CU_ASSERT_EQUAL(relay_pool_failover(p, 1, 3), -1);   /* 0 and 1 tried, 2 down */
	CU_ASSERT_EQUAL(relay_pool_route(p, 1), 3);
	CU_ASSERT_EQUAL(calls_on(p, 3), 1);
	relay_pool_free(p);
}

/* No move once a relay answered for the call, for a relay the call is
 * not on (a stale timeout), or for a call released. */
static void test_no_failover_when_held_stale_or_released(void)
{
	struct relay_pool *p = pool_of(3, 3);

	CU_ASSERT_EQUAL(relay_pool_route(p, 1), 0);
	relay_pool_confirm(p, 1);
	CU_ASSERT_EQUAL(relay_pool_failover(p, 1, 0), -1);
	CU_ASSERT_EQUAL(relay_pool_route(p, 1), 0);

	CU_ASSERT_EQUAL(relay_pool_route(p, 2), 1);
	CU_ASSERT_EQUAL(relay_pool_failover(p, 2, 0), -1);
	CU_ASSERT_EQUAL(relay_pool_route(p, 2), 1);

	CU_ASSERT_EQUAL(relay_pool_route(p, 3), 2);
	relay_pool_release(p, 3);
	CU_ASSERT_EQUAL(relay_pool_failover(p, 3, 2), -1);
	CU_ASSERT_EQUAL(calls_on(p, 2), 0);
	relay_pool_free(p);
}

/* Anchors come and go with their calls: counts per relay follow, and a
 * released serial routes afresh. */
static void test_anchor_counts_follow_calls(void)
{
	struct relay_pool *p = pool_of(2, 3);

	for (uint64_t s = 1; s <= 1000; s++)
		CU_ASSERT_EQUAL(relay_pool_route(p, s), (int)((s - 1) % 2));
	CU_ASSERT_EQUAL(calls_on(p, 0), 500);
	CU_ASSERT_EQUAL(calls_on(p, 1), 500);
	for (uint64_t s = 1; s <= 1000; s += 2)
		relay_pool_release(p, s);
	relay_pool_release(p, 1);   /* twice: nothing more */
	CU_ASSERT_EQUAL(calls_on(p, 0), 0);
	CU_ASSERT_EQUAL(calls_on(p, 1), 500);
	for (uint64_t s = 2; s <= 1000; s += 2)
		CU_ASSERT_EQUAL(relay_pool_route(p, s), 1);
	relay_pool_free(p);   /* frees the anchors left (LSan) */
}

UNIT_SUITE(relay_pool,
	UNIT_TEST(test_refuses_bad_sizes),
	UNIT_TEST(test_down_after_failures_in_a_row_up_at_answer),
	UNIT_TEST(test_new_calls_round_robin_skip_down),
	UNIT_TEST(test_call_stays_on_its_relay),
	UNIT_TEST(test_offer_fails_over_to_next_up),
	UNIT_TEST(test_no_failover_when_held_stale_or_released),
	UNIT_TEST(test_anchor_counts_follow_calls))
