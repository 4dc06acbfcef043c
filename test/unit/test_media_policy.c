/*
 * test_media_policy.c - a trunk's codec policy and topology hiding
 * applied to SDP (b2bua/media_policy.c), through Sofia's parser and
 * printer.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "golden.h"
#include "media_policy.h"

static const char *offer =
	"v=0\r\no=pbx-user 111 222 IN IP4 10.20.30.40\r\ns=PBX Session\r\ni=inside\r\nu=http://pbx/\r\n"
	"e=a@pbx\r\np=+1 555\r\nc=IN IP4 127.0.0.1\r\nb=TIAS:64000\r\nt=0 0\r\na=tool:PBX 9\r\n"
	"a=msid-semantic: WMS s\r\nm=audio 6000 RTP/AVP 8 0 101\r\ni=media info\r\nb=AS:80\r\nb=RS:0\r\n"
	"b=RR:0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	"a=ssrc:1 cname:sip:1000@10.20.30.40\r\na=x-pbx:1\r\na=sendrecv\r\n";

static void test_hide_rebuilds_origin_and_strips_identity(void)
{
	struct sdp_origin o = {.id = 77};
	char why[128], *out = NULL;

	CU_ASSERT_EQUAL_FATAL(media_policy_hide(offer, NULL, &o, &out, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(out,
		"v=0\r\no=- 77 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nb=TIAS:64000\r\nt=0 0\r\n"
		"m=audio 6000 RTP/AVP 8 0 101\r\nb=AS:80\r\nb=RS:0\r\nb=RR:0\r\na=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n");
	free(out);
}

/* Debian's Sofia parses TIAS, RS and RR as AS: b=RR:0 would leave as
 * b=AS:0 (no media at all) and TIAS's bit/s would be read as kbit/s. */
static void test_bandwidth_types_survive_sofia(void)
{
	static const char *in = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
				"m=audio 6000 RTP/AVP 8 0\r\nb=TIAS:64000\r\nb=RR:0\r\nb=X-Mine:5\r\n"
				"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n";
	char why[128], *out = NULL;

	CU_ASSERT_EQUAL_FATAL(media_policy_filter(in, "PCMA", &out, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "b=TIAS:64000\r\nb=RR:0\r\nb=X-Mine:5\r\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "b=AS:"));
	free(out);
}

/* RFC 3264 8: the version moves when the SDP we send changes, only then. */
static void test_version_moves_only_on_change(void)
{
	struct sdp_origin o = {.id = 5};
	char why[128], *a = NULL, *b = NULL, *c = NULL, *held = strdup(offer);

	memcpy(strstr(held, "a=sendrecv"), "a=sendonly", 10);
	CU_ASSERT_EQUAL(media_policy_hide(offer, NULL, &o, &a, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(media_policy_hide(offer, NULL, &o, &b, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(o.version, 1);
	CU_ASSERT_EQUAL(media_policy_hide(held, NULL, &o, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(o.version, 2);
	CU_ASSERT_PTR_NOT_NULL(c && strstr(c, "o=- 5 2 IN IP4"));
	free(a);
	free(b);
	free(c);
	free(held);
}

static void test_keep_list_keeps_named_lines(void)
{
	struct sdp_origin o = {.id = 1};
	char why[128], *out = NULL;

	CU_ASSERT_EQUAL_FATAL(media_policy_hide(offer, "i,tool,ssrc", &o, &out, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "i=inside\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=tool:PBX 9\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=ssrc:1 "));
	CU_ASSERT_PTR_NULL(strstr(out, "u="));
	CU_ASSERT_PTR_NULL(strstr(out, "a=x-pbx"));
	CU_ASSERT_PTR_NULL(strstr(out, "msid"));
	CU_ASSERT_PTR_NULL(strstr(out, "PBX Session"));
	free(out);
}

static void test_filter_keeps_listed_codecs_in_list_order(void)
{
	char why[128] = "", *out = NULL;

	CU_ASSERT_EQUAL_FATAL(media_policy_filter(offer, "PCMU,PCMA", &out, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "telephone-event"));
	free(out);
	out = NULL;
	CU_ASSERT_EQUAL(media_policy_filter(offer, "G729", &out, why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "no codec of G729 offered");
	CU_ASSERT_PTR_NULL(out);
}

static void test_srtp_and_codec_read(void)
{
	char codec[16];

	CU_ASSERT_EQUAL(media_policy_is_srtp(offer), 0);
	CU_ASSERT_EQUAL(media_policy_codec(offer, codec, sizeof(codec)), 0);
	CU_ASSERT_STRING_EQUAL(codec, "PCMA");
	CU_ASSERT_EQUAL(media_policy_is_srtp("v=0\r\nm=audio 1 RT@/AVP 8\r\n"), -1);
}


/* linphone's offer with ICE on (RTP/AVPF, RFC 4585): its static types
 * and rtpmaps count for a codec list, and the profile stays AVPF. */
static const char *avpf_offer =
	"v=0\r\no=alice 3118 1434 IN IP4 192.168.1.20\r\ns=Talk\r\nc=IN IP4 192.168.1.20\r\nt=0 0\r\n"
	"a=ice-pwd:31ec21eb38b2ec6d36e8dc7b\r\na=ice-ufrag:7jRz\r\n"
	"m=audio 7078 RTP/AVPF 96 97 98 0 8 101 99 100\r\n"
	"a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\na=rtpmap:97 speex/16000\r\n"
	"a=rtpmap:98 speex/8000\r\na=rtpmap:101 telephone-event/48000\r\n"
	"a=rtpmap:99 telephone-event/16000\r\na=rtpmap:100 telephone-event/8000\r\n"
	"a=rtcp-fb:* trr-int 1000\r\na=rtcp-fb:* ccm tmmbr\r\n"
	"a=candidate:1 1 UDP 2130706431 192.168.1.20 7078 typ host\r\n";

static void test_avpf_offer_meets_codec_list(void)
{
	char why[128] = "", *out = NULL, codec[16];

	CU_ASSERT_EQUAL_FATAL(media_policy_filter(avpf_offer, "PCMA,PCMU,telephone-event", &out, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "m=audio 7078 RTP/AVPF 8 0 100\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=rtpmap:100 telephone-event/8000\r\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "opus"));
	/* no telephone-event at a rate no codec kept has */
	CU_ASSERT_PTR_NULL(strstr(out, "telephone-event/48000"));
	CU_ASSERT_PTR_NULL(strstr(out, "telephone-event/16000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=rtcp-fb:* trr-int 1000\r\n"));
	CU_ASSERT_EQUAL(media_policy_check(out, why, sizeof(why)), 0);
	free(out);
	CU_ASSERT_EQUAL(media_policy_codec(avpf_offer, codec, sizeof(codec)), 0);
	CU_ASSERT_STRING_EQUAL(codec, "opus");
	CU_ASSERT_EQUAL(media_policy_is_srtp(avpf_offer), 0);
	CU_ASSERT_EQUAL(media_policy_is_avpf(avpf_offer), 1);
	CU_ASSERT_EQUAL(media_policy_is_avpf("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
					     "m=audio 5000 RTP/AVP 0\r\nm=audio 0 RTP/AVPF 0\r\n"), 0);   /* port 0: not in use */
	CU_ASSERT_EQUAL(media_policy_is_avpf("m=audio"), -1);
	CU_ASSERT_EQUAL(media_policy_is_srtp("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
					     "m=audio 5000 RTP/SAVPF 0\r\n"
					     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"),
			1);
}

/* Topology hiding rebuilds an AVPF offer without losing its profile. */
static void test_hide_keeps_feedback_profile(void)
{
	struct sdp_origin o = {.id = 5};
	char why[128] = "", *out = NULL;

	CU_ASSERT_EQUAL_FATAL(media_policy_hide(avpf_offer, NULL, &o, &out, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "m=audio 7078 RTP/AVPF 96 97 98 0 8 101 99 100\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "a=rtpmap:96 opus/48000/2\r\n"));
	free(out);
}

/* A filtered Opus leaves no telephone-event/48000 behind (the issue's
 * case), while telephone-event alone in the list keeps the 8000 one. */
static void test_telephone_event_follows_kept_rates(void)
{
	static const char *opus_first =
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
		"m=audio 5000 RTP/AVP 111 0 110 126\r\na=rtpmap:111 opus/48000/2\r\n"
		"a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n";
	char why[128] = "", *out = NULL;

	CU_ASSERT_EQUAL_FATAL(media_policy_filter(opus_first, "PCMU,telephone-event", &out, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "m=audio 5000 RTP/AVP 0 126\r\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "telephone-event/48000"));
	free(out);
	out = NULL;
	/* Opus kept: both rates stay, nothing changes (NULL). */
	CU_ASSERT_EQUAL_FATAL(media_policy_filter(opus_first, "opus,PCMU,telephone-event", &out, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NULL(out);
}


/* Real clients' offers (test/fixtures/sdp-offers/README): what the codec
 * filter keeps for a trunk taking G.711 and DTMF, and what topology
 * hiding sends on. Every output passes our own SDP guard. */
static void offer_golden(const char *dir, const char *name, const char *sdp)
{
	struct sdp_origin o = {.id = 7};
	char why[128] = "", *out = NULL, refused[160];

	if (media_policy_filter(sdp, "PCMA,PCMU,telephone-event", &out, why, sizeof(why)) != 0) {
		snprintf(refused, sizeof(refused), "refused: %s\n", why);
		CU_ASSERT(golden_match(dir, name, "filtered", refused));
	} else {
		CU_ASSERT(golden_match(dir, name, "filtered", out ? out : sdp));
		CU_ASSERT_EQUAL(media_policy_check(out ? out : sdp, why, sizeof(why)), 0);
	}
	free(out);
	out = NULL;
	CU_ASSERT_EQUAL_FATAL(media_policy_hide(sdp, NULL, &o, &out, why, sizeof(why)), 0);
	CU_ASSERT(golden_match(dir, name, "hidden", out));
	CU_ASSERT_EQUAL(media_policy_check(out, why, sizeof(why)), 0);
	free(out);
}

/* One body asked about again and again (check, SRTP, profiles, codec,
 * filter, hide: what a call does with an offer) is parsed once; a
 * filter or a hide never changes what the next question sees; a
 * refused body stays refused, with its reason, when asked again. */
static void test_each_text_parsed_once(void)
{
	uint64_t p0, h0, p1, h1;
	char why[128] = "", why2[128] = "", codec[16], *a = NULL, *b = NULL, *hidden = NULL;
	int srtp, avpf;
	struct sdp_origin o = {0};
	char *text = strdup(offer);   /* another pointer, the same text */
	const char *bad = "v=0\r\nm=audio 1 RT@/AVP 8\r\n";

	media_policy_forget();
	media_policy_parse_stats(&p0, &h0);
	CU_ASSERT_EQUAL(media_policy_check(offer, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(media_policy_is_srtp(text), 0);
	CU_ASSERT_EQUAL(media_policy_profiles(offer, &srtp, &avpf), 0);
	CU_ASSERT_EQUAL(media_policy_codec(offer, codec, sizeof(codec)), 0);
	CU_ASSERT_EQUAL_FATAL(media_policy_filter(offer, "PCMU", &a, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL_FATAL(media_policy_hide(offer, NULL, &o, &hidden, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL_FATAL(media_policy_filter(offer, "PCMA,PCMU", &b, why, sizeof(why)), 0);
	media_policy_parse_stats(&p1, &h1);
	CU_ASSERT_EQUAL(p1 - p0, 1);
	CU_ASSERT_EQUAL(h1 - h0, 6);
	/* the first filter and the hide changed copies, not the parsed form */
	CU_ASSERT_PTR_NOT_NULL(a && strstr(a, "m=audio 6000 RTP/AVP 0\r\n"));
	CU_ASSERT_PTR_NOT_NULL(b && strstr(b, "m=audio 6000 RTP/AVP 8 0\r\n"));
	CU_ASSERT_PTR_NOT_NULL(hidden && strstr(hidden, "a=rtpmap:101 telephone-event/8000"));
	CU_ASSERT_EQUAL(media_policy_codec(offer, codec, sizeof(codec)), 0);
	CU_ASSERT_STRING_EQUAL(codec, "PCMA");
	/* refused once, refused again with the same reason, parsed once */
	CU_ASSERT_EQUAL(media_policy_check(bad, why, sizeof(why)), -1);
	CU_ASSERT_EQUAL(media_policy_check(bad, why2, sizeof(why2)), -1);
	CU_ASSERT_STRING_EQUAL(why, why2);
	CU_ASSERT(why[0] != 0);
	media_policy_parse_stats(&p0, &h0);
	CU_ASSERT_EQUAL(p0 - p1, 1);
	/* a text differing by one byte is its own */
	text[strlen(text) - 3] = 'x';   /* a=sendrecx */
	CU_ASSERT_EQUAL(media_policy_check(text, why, sizeof(why)), 0);
	media_policy_parse_stats(&p1, &h1);
	CU_ASSERT_EQUAL(p1 - p0, 1);
	free(a);
	free(b);
	free(hidden);
	free(text);
	media_policy_forget();
}

static void test_real_client_offers(void)
{
	CU_ASSERT(golden_each_sdp("test/fixtures/sdp-offers", offer_golden) >= 7);
}

UNIT_SUITE(media_policy,
	   UNIT_TEST(test_hide_rebuilds_origin_and_strips_identity),
	   UNIT_TEST(test_bandwidth_types_survive_sofia),
	   UNIT_TEST(test_version_moves_only_on_change),
	   UNIT_TEST(test_keep_list_keeps_named_lines),
	   UNIT_TEST(test_filter_keeps_listed_codecs_in_list_order),
	   UNIT_TEST(test_srtp_and_codec_read),
	   UNIT_TEST(test_avpf_offer_meets_codec_list),
	   UNIT_TEST(test_hide_keeps_feedback_profile),
	   UNIT_TEST(test_telephone_event_follows_kept_rates),
	   UNIT_TEST(test_real_client_offers),
	   UNIT_TEST(test_each_text_parsed_once))
