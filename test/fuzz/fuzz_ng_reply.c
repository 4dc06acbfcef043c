/*
 * fuzz_ng_reply.c - an ng reply as the b2bua gets it from a relay (or
 * from whoever can send to its relay socket): relay_reply_parse() in
 * b2bua/relay_client.c, the bencode decoder under it, and the mapping of
 * error reasons and per-tag statistics to a relay_result.
 * Properties: a reply parses into a typed result or into nothing; an SDP
 * it carries lies within the datagram; counters are never negative.
 */
#include "fuzz.h"
#include "call.h"
#include "relay_client.h"

int fuzz_ng_reply(const uint8_t *data, size_t size)
{
	char cookie[64];
	struct relay_result r;
	struct relay_reply *rr = relay_reply_parse((const char *)data, size, cookie, sizeof(cookie), &r);

	if (rr) {
		FUZZ_REQUIRE(r.err >= RELAY_OK && r.err < RELAY_E__N);
		FUZZ_REQUIRE(!r.sdp || strlen(r.sdp) < size);
		for (int s = 0; s < 2; s++)
			FUZZ_REQUIRE(r.pkts[s] >= 0 && r.lost[s] >= 0);
	}
	relay_reply_free(rr);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_ng_reply(data, size);
}
#endif
