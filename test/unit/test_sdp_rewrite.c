/*
 * test_sdp_rewrite.c - SDP parsing and rewriting (media-relay/sdp_rewrite.c).
 *
 * Golden in/out pairs: each case is an incoming SDP, what the relay
 * decided (ports, protocol, a=crypto) and the exact SDP that must come
 * out of Sofia's printer. "KEY" in an a=crypto line stands for fixed
 * test key text.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "golden.h"
#include "sdp_check.h"
#include "sdp_rewrite.h"

#define CRYPTO80 "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
#define CRYPTO32 "2 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk"

struct golden {
	const char *name;
	const char *in;
	int replace_origin, ice_remove;
	int port;
	const char *proto;
	int ncrypto;
	const char *out;
};

static const struct golden cases[] = {
	{"plain_offer_gets_our_address_and_ports",
	 "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n"
	 "c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\n"
	 "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	 "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n",
	 0, 0, 30000, NULL, 0,
	 "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n"
	 "c=IN IP4 203.0.113.5\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 8 101\r\n"
	 "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	 "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\na=rtcp:30001\r\n"},
	{"origin_replaced_when_asked",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
	 1, 0, 30010, NULL, 0,
	 "v=0\r\no=- 1 2 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30010 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=rtcp:30011\r\n"},
	{"media_level_c_and_old_rtcp_replaced",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.1.1.1\r\na=rtcp:4001 IN IP4 10.1.1.1\r\n",
	 0, 0, 30020, NULL, 0,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30020 RTP/AVP 0\r\nc=IN IP4 203.0.113.5\r\na=rtcp:30021\r\n"},
	{"ice_removed_when_asked",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "a=ice-lite\r\nm=audio 4000 RTP/AVP 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef01234567\r\n"
	 "a=candidate:1 1 UDP 2130706431 10.1.1.1 4000 typ host\r\na=rtcp-mux\r\n",
	 0, 1, 30030, NULL, 0,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30030 RTP/AVP 0\r\na=rtcp-mux\r\na=rtcp:30031\r\n"},
	{"avp_to_savp_adds_our_crypto",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\n",
	 0, 0, 30040, "RTP/SAVP", 2,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30040 RTP/SAVP 0\r\na=rtcp:30041\r\na=crypto:" CRYPTO80 "\r\na=crypto:" CRYPTO32 "\r\n"},
	{"savp_to_avp_drops_peer_crypto",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n",
	 0, 0, 30050, "RTP/AVP", 0,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30050 RTP/AVP 0\r\na=rtcp:30051\r\n"},
	{"rejected_media_keeps_port_zero",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 0 RTP/AVP 0\r\n",
	 0, 0, 30060, NULL, 0,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 0 RTP/AVP 0\r\n"},
	/* Debian's Sofia reads every bwtype but CT as AS: TIAS (bit/s) would
	 * leave as AS (kbit/s), RR:0 (no RTCP) as AS:0 (no media). */
	{"bandwidth_types_kept",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nb=CT:128\r\nb=TIAS:64000\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\nb=AS:80\r\nb=RS:0\r\nb=RR:0\r\nb=X-Custom:9\r\n",
	 0, 0, 30080, NULL, 0,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nb=CT:128\r\nb=TIAS:64000\r\nt=0 0\r\n"
	 "m=audio 30080 RTP/AVP 0\r\nb=AS:80\r\nb=RS:0\r\nb=RR:0\r\nb=X-Custom:9\r\na=rtcp:30081\r\n"},
	/* T.38 is not RTP: no a=rtcp, no keys, its protocol as it was. */
	{"udptl_gets_no_rtcp_or_crypto",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=image 4000 udptl t38\r\na=T38FaxVersion:0\r\n",
	 0, 0, 30090, "udptl", 2,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=image 30090 udptl t38\r\na=T38FaxVersion:0\r\n"},
	/* Feedback profiles (RFC 4585/5124, linphone, WebRTC) keep their
	 * payloads and rtpmaps whatever protocol they leave with; one that
	 * leaves without feedback loses its a=rtcp-fb lines. */
	{"avpf_kept",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVPF 96 0 8 101\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n"
	 "a=rtcp-fb:* nack\r\n",
	 0, 0, 30100, NULL, 0,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30100 RTP/AVPF 96 0 8 101\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n"
	 "a=rtcp-fb:* nack\r\na=rtcp:30101\r\n"},
	{"avpf_to_savpf",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVPF 0 8\r\na=rtcp-fb:* nack\r\n",
	 0, 0, 30110, "RTP/SAVPF", 1,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30110 RTP/SAVPF 0 8\r\na=rtcp-fb:* nack\r\na=rtcp:30111\r\na=crypto:" CRYPTO80 "\r\n"},
	{"avpf_to_savp_drops_feedback",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVPF 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=rtcp-fb:* nack\r\n",
	 0, 0, 30120, "RTP/SAVP", 1,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30120 RTP/SAVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=rtcp:30121\r\na=crypto:" CRYPTO80 "\r\n"},
	{"avp_to_avpf",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0 8\r\n",
	 0, 0, 30130, "RTP/AVPF", 0,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30130 RTP/AVPF 0 8\r\na=rtcp:30131\r\n"},
	{"direction_attribute_passes",
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
	 "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n",
	 0, 0, 30070, NULL, 0,
	 "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	 "m=audio 30070 RTP/AVP 0\r\na=sendonly\r\na=rtcp:30071\r\n"},
};

static void test_golden_rewrites(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct golden *g = &cases[i];
		struct rewrite_params p;
		char err[128] = "";
		char *out;

		memset(&p, 0, sizeof(p));
		p.addr = "203.0.113.5";
		p.replace_origin = g->replace_origin;
		p.ice_remove = g->ice_remove;
		p.nmedia = 1;
		p.media[0].port = g->port;
		p.media[0].rtcp_port = g->port + 1;
		p.media[0].proto = g->proto;
		p.media[0].ncrypto = g->ncrypto;
		strcpy(p.media[0].crypto[0], CRYPTO80);
		strcpy(p.media[0].crypto[1], CRYPTO32);
		out = rewrite_apply(g->in, strlen(g->in), &p, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL(out);
		if (out && strcmp(out, g->out) != 0)
			fprintf(stderr, "\n%s: got\n%s\nwant\n%s\n", g->name, out, g->out);
		CU_ASSERT(out && strcmp(out, g->out) == 0);
		free(out);
	}
}

static void test_parse_reads_addresses_rtcp_and_crypto(void)
{
	const char *in = "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
			 "m=audio 4000 RTP/SAVP 0\r\na=rtcp:4005 IN IP4 10.9.9.9\r\n"
			 "a=crypto:1 AES_CM_256_HMAC_SHA1_80 inline:xx\r\na=crypto:" CRYPTO32 "\r\n"
			 "m=video 5000 RTP/AVP 96\r\nc=IN IP4 10.2.2.2\r\na=rtcp-mux\r\n"
			 "m=image 0 udptl t38\r\n";
	struct rewrite_info info;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(rewrite_parse(in, strlen(in), &info, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(info.nmedia, 3);
	CU_ASSERT_STRING_EQUAL(info.media[0].type, "audio");
	CU_ASSERT_EQUAL(info.media[0].savp, 1);
	CU_ASSERT_EQUAL(info.media[0].port, 4000);
	CU_ASSERT_STRING_EQUAL(info.media[0].addr, "10.1.1.1");
	CU_ASSERT_EQUAL(info.media[0].rtcp_port, 4005);
	CU_ASSERT_STRING_EQUAL(info.media[0].rtcp_addr, "10.9.9.9");
	CU_ASSERT_EQUAL(info.media[0].ncrypto, 2);
	CU_ASSERT_STRING_EQUAL(info.media[0].crypto[0], "1 AES_CM_256_HMAC_SHA1_80 inline:xx");
	CU_ASSERT_EQUAL(info.media[1].savp, 0);
	CU_ASSERT_STRING_EQUAL(info.media[1].addr, "10.2.2.2");
	CU_ASSERT_EQUAL(info.media[1].rtcp_port, 5001);
	CU_ASSERT_EQUAL(info.media[1].rtcp_mux, 1);
	CU_ASSERT_EQUAL(info.media[2].port, 0);
}

static void test_bad_sdp_is_an_error_not_a_crash(void)
{
	static const char *bad[] = {
		"", "garbage", "v=0\r\n", "v=1\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n",
		"v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 99999999 RTP/AVP 0\r\n",
		"v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rewrite_info info;
		struct rewrite_params p;
		char err[128] = "";
		char *out;
		int rc = rewrite_parse(bad[i], strlen(bad[i]), &info, err, sizeof(err));

		memset(&p, 0, sizeof(p));
		p.addr = "127.0.0.1";
		p.nmedia = rc == 0 ? info.nmedia : 0;
		out = rewrite_apply(bad[i], strlen(bad[i]), &p, err, sizeof(err));
		/* Either refused with a reason, or (a media-less SDP) printed. */
		CU_ASSERT(rc < 0 ? err[0] != '\0' : 1);
		CU_ASSERT(rc < 0 ? out == NULL : 1);
		free(out);
	}
}

/* SRTP is for RTP: a udptl line asked to become RTP/SAVP is an error. */
static void test_non_rtp_line_keeps_its_protocol(void)
{
	const char *in = "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
			 "m=image 4000 udptl t38\r\n";
	struct rewrite_params p;
	char err[128] = "";

	memset(&p, 0, sizeof(p));
	p.addr = "203.0.113.5";
	p.nmedia = 1;
	p.media[0].port = 30000;
	p.media[0].proto = "RTP/SAVP";
	CU_ASSERT_PTR_NULL(rewrite_apply(in, strlen(in), &p, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "m= line 1: udptl cannot become RTP/SAVP");
}

static void test_too_many_media_lines_refused(void)
{
	char in[4096] = "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n";
	struct rewrite_info info;
	char err[128];

	for (int i = 0; i <= REWRITE_MAX_MEDIA; i++)
		strcat(in, "m=audio 4000 RTP/AVP 0\r\n");
	CU_ASSERT_EQUAL(rewrite_parse(in, strlen(in), &info, err, sizeof(err)), -1);
}

static void test_media_count_mismatch_refused(void)
{
	const char *in = "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
			 "m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\n";
	struct rewrite_params p;
	char err[128] = "";

	memset(&p, 0, sizeof(p));
	p.addr = "127.0.0.1";
	p.nmedia = 1;
	CU_ASSERT_PTR_NULL(rewrite_apply(in, strlen(in), &p, err, sizeof(err)));
	CU_ASSERT(err[0] != '\0');
}

static void test_ipv6_interface(void)
{
	const char *in = "v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
			 "m=audio 4000 RTP/AVP 0\r\n";
	struct rewrite_params p;
	char err[128];
	char *out;

	memset(&p, 0, sizeof(p));
	p.addr = "2001:db8::5";
	p.nmedia = 1;
	p.media[0].port = 30000;
	p.media[0].rtcp_port = 30001;
	out = rewrite_apply(in, strlen(in), &p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "c=IN IP6 2001:db8::5\r\n"));
	free(out);
}

/* A two-armed, dual-stack relay: an IPv4 SDP leaves toward an IPv6 side
 * with IP6 in every c= and (replace origin) in o=, and back. */
static void test_family_changes_both_ways(void)
{
	static const struct {
		const char *in, *addr, *out;
	} cases[] = {
		{"v=0\r\no=- 1 2 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.1.1.1\r\na=rtcp:4001 IN IP4 10.1.1.1\r\n",
		 "::1",
		 "v=0\r\no=- 1 2 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n"
		 "m=audio 30000 RTP/AVP 0\r\nc=IN IP6 ::1\r\na=rtcp:30001\r\n"},
		{"v=0\r\no=- 1 2 IN IP6 2001:db8::7\r\ns=-\r\nc=IN IP6 2001:db8::7\r\nt=0 0\r\n"
		 "m=audio 4000 RTP/AVP 8\r\n",
		 "127.0.0.72",
		 "v=0\r\no=- 1 2 IN IP4 127.0.0.72\r\ns=-\r\nc=IN IP4 127.0.0.72\r\nt=0 0\r\n"
		 "m=audio 30000 RTP/AVP 8\r\na=rtcp:30001\r\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rewrite_params p;
		char err[128] = "";
		char *out;

		memset(&p, 0, sizeof(p));
		p.addr = cases[i].addr;
		p.replace_origin = 1;
		p.nmedia = 1;
		p.media[0].port = 30000;
		p.media[0].rtcp_port = 30001;
		out = rewrite_apply(cases[i].in, strlen(cases[i].in), &p, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
		free(out);
	}
}

/* Real clients' offers (test/fixtures/sdp-offers/README) as the relay
 * writes them on: our address and ports, ICE removed, keys where the
 * line leaves as RTP/SAVP(F) (none here), and each line's protocol
 * kept. The output passes the SDP guard. */
static void relay_golden(const char *dir, const char *name, const char *sdp)
{
	struct rewrite_info info;
	struct rewrite_params p;
	char err[128] = "", why[128];
	char *out;

	CU_ASSERT_EQUAL_FATAL(rewrite_parse(sdp, strlen(sdp), &info, err, sizeof(err)), 0);
	memset(&p, 0, sizeof(p));
	p.addr = "203.0.113.5";
	p.replace_origin = 1;
	p.ice_remove = 1;
	p.nmedia = info.nmedia;
	for (int i = 0; i < info.nmedia; i++) {
		p.media[i].port = 30000 + 2 * i;
		p.media[i].rtcp_port = 30001 + 2 * i;
	}
	out = rewrite_apply(sdp, strlen(sdp), &p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT(golden_match(dir, name, "relay", out));
	CU_ASSERT_EQUAL(sdp_check(out, strlen(out), why, sizeof(why)), 0);
	free(out);
}

static void test_real_client_offers(void)
{
	CU_ASSERT(golden_each_sdp("test/fixtures/sdp-offers", relay_golden) >= 7);
}

UNIT_SUITE(sdp_rewrite,
	   UNIT_TEST(test_family_changes_both_ways),
	   UNIT_TEST(test_golden_rewrites),
	   UNIT_TEST(test_real_client_offers),
	   UNIT_TEST(test_parse_reads_addresses_rtcp_and_crypto),
	   UNIT_TEST(test_bad_sdp_is_an_error_not_a_crash),
	   UNIT_TEST(test_non_rtp_line_keeps_its_protocol),
	   UNIT_TEST(test_too_many_media_lines_refused),
	   UNIT_TEST(test_media_count_mismatch_refused),
	   UNIT_TEST(test_ipv6_interface))
