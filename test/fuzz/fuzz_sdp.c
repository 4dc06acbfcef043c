/*
 * fuzz_sdp.c - an SDP as the b2bua gets it from a peer: the grammar
 * guard (media-relay/wire/sdp_check.c), then everything the core does
 * with an SDP that passed it (media_policy.c: Sofia's sdp_parse, codec
 * filter, SRTP test, topology hiding with and without kept lines).
 * Properties: what passed the guard parses (Sofia's parser never loops
 * on it: libFuzzer's -timeout and -rss_limit catch that), and every SDP
 * we print passes the guard in turn (we never send what we would refuse).
 */
#include "fuzz.h"
#include "sdp_check.h"
#include "media_policy.h"

static void check_ours(const char *out)
{
	char why[160];

	if (out)
		FUZZ_REQUIRE(sdp_check(out, strlen(out), why, sizeof(why)) == 0);
}

int fuzz_sdp(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *out = NULL, why[160], codec[32];
	struct sdp_origin o = {0};

	if (!s)
		return 0;
	/* The body as the wire had it (NULs included), then as the core
	 * sees it: a C string. */
	(void)sdp_check(s, size, why, sizeof(why));
	if (media_policy_check(s, why, sizeof(why)) != 0) {
		/* Refused: nothing below may accept it either. */
		FUZZ_REQUIRE(media_policy_filter(s, "PCMA", &out, why, sizeof(why)) == -1);
		FUZZ_REQUIRE(media_policy_is_srtp(s) == -1);
		FUZZ_REQUIRE(media_policy_hide(s, NULL, &o, &out, why, sizeof(why)) == -1);
		free(s);
		return 0;
	}
	if (media_policy_filter(s, "PCMA,PCMU,telephone-event", &out, why, sizeof(why)) == 0) {
		check_ours(out);
		free(out);
		out = NULL;
	}
	(void)media_policy_is_srtp(s);
	(void)media_policy_codec(s, codec, sizeof(codec));
	if (media_policy_hide(s, NULL, &o, &out, why, sizeof(why)) == 0) {
		check_ours(out);
		free(out);
		out = NULL;
		/* The same SDP again: the same version (RFC 3264 8). */
		unsigned long long v = o.version;

		if (media_policy_hide(s, NULL, &o, &out, why, sizeof(why)) == 0) {
			check_ours(out);
			FUZZ_REQUIRE(o.version == v);
			free(out);
			out = NULL;
		}
	}
	if (media_policy_hide(s, "i,u,e,p,tool,ssrc,msid,x", &o, &out, why, sizeof(why)) == 0)
		check_ours(out);
	free(out);
	free(s);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_sdp(data, size);
}
#endif
