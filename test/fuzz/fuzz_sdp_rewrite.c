/*
 * fuzz_sdp_rewrite.c - an SDP as the relay gets it in an ng offer or
 * answer: rewrite_parse() (the grammar guard, then Sofia's parser), then
 * rewrite_apply() with our ports, a protocol change, a=crypto lines and
 * ICE removal chosen by the input's first byte.
 * Properties: the SDP we print passes the guard and parses again with
 * the same number of m= lines, each carrying the port we gave it.
 */
#include "fuzz.h"
#include "sdp_check.h"
#include "sdp_rewrite.h"

static const char *key = "AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

int fuzz_sdp_rewrite(const uint8_t *data, size_t size)
{
	struct rewrite_info *in = calloc(1, sizeof(*in)), *again = calloc(1, sizeof(*again));
	struct rewrite_params *par = calloc(1, sizeof(*par));
	unsigned flags = size ? data[0] : 0;
	char err[160], *out = NULL;

	if (!in || !again || !par)
		goto out;
	if (size)
		data++, size--;
	if (rewrite_parse((const char *)data, size, in, err, sizeof(err)) != 0)
		goto out;
	par->addr = flags & 1 ? "2001:db8::1" : "203.0.113.1";
	par->replace_origin = !!(flags & 2);
	par->ice_remove = !!(flags & 4);
	par->nmedia = in->nmedia;
	for (int i = 0; i < in->nmedia; i++) {
		struct rewrite_out *m = &par->media[i];

		m->port = 30000 + 2 * i;
		m->rtcp_port = m->port + 1;
		/* As the relay does: only RTP lines change protocol. */
		if (flags & 8 && rewrite_proto_rtp(in->media[i].proto))
			m->proto = in->media[i].savp ? "RTP/AVP" : "RTP/SAVP";
		if (flags & 16) {
			m->ncrypto = 1;
			snprintf(m->crypto[0], sizeof(m->crypto[0]), "1 %s", key);
		}
	}
	out = rewrite_apply((const char *)data, size, par, err, sizeof(err));
	if (!out)
		goto out;
	FUZZ_REQUIRE(sdp_check(out, strlen(out), err, sizeof(err)) == 0);
	FUZZ_REQUIRE(rewrite_parse(out, strlen(out), again, err, sizeof(err)) == 0);
	FUZZ_REQUIRE(again->nmedia == in->nmedia);
	for (int i = 0; i < in->nmedia; i++)
		FUZZ_REQUIRE(in->media[i].port == 0 || again->media[i].port == par->media[i].port);
out:
	free(out);
	free(par);
	free(again);
	free(in);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_sdp_rewrite(data, size);
}
#endif
