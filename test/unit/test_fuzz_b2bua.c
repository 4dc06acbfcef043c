/*
 * test_fuzz_b2bua.c - the b2bua's fuzz targets on their seeds and on
 * every regression input (test/fuzz/seeds, test/fuzz/regress).
 */
#include "unit.h"
#include "replay.h"
#include "../fuzz/fuzz.h"

static void test_replay_sdp(void)
{
	REPLAY("sdp", fuzz_sdp);
}

static void test_replay_sip(void)
{
	REPLAY("sip", fuzz_sip);
}

static void test_replay_ng_reply(void)
{
	REPLAY("ng_reply", fuzz_ng_reply);
}

UNIT_SUITE(fuzz_b2bua, UNIT_TEST(test_replay_sdp), UNIT_TEST(test_replay_sip), UNIT_TEST(test_replay_ng_reply))
