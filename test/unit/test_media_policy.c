/*
 * test_media_policy.c - a trunk's codec policy and topology hiding
 * applied to SDP (b2bua/media_policy.c), through Sofia's parser and
 * printer.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
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

UNIT_SUITE(media_policy,
	   UNIT_TEST(test_hide_rebuilds_origin_and_strips_identity),
	   UNIT_TEST(test_bandwidth_types_survive_sofia),
	   UNIT_TEST(test_version_moves_only_on_change),
	   UNIT_TEST(test_keep_list_keeps_named_lines),
	   UNIT_TEST(test_filter_keeps_listed_codecs_in_list_order),
	   UNIT_TEST(test_srtp_and_codec_read))
