/*
 * test_fuzz_relay.c - the relay's fuzz targets on their seeds and on
 * every regression input (test/fuzz/seeds, test/fuzz/regress).
 */
#include "unit.h"
#include "replay.h"
#include "../fuzz/fuzz.h"

static void test_replay_sdp_rewrite(void)
{
	REPLAY("sdp_rewrite", fuzz_sdp_rewrite);
}

static void test_replay_ng(void)
{
	REPLAY("ng", fuzz_ng);
}

UNIT_SUITE(fuzz_relay, UNIT_TEST(test_replay_sdp_rewrite), UNIT_TEST(test_replay_ng))
