/*
 * test_fuzz_policy.c - the rule engines' fuzz target on its seeds and on
 * every regression input (test/fuzz/seeds, test/fuzz/regress).
 */
#include "unit.h"
#include "replay.h"
#include "../fuzz/fuzz.h"

static void test_replay_rules(void)
{
	REPLAY("rules", fuzz_rules);
}

UNIT_SUITE(fuzz_policy, UNIT_TEST(test_replay_rules))
