/*
 * test_sdp_check.c - the SDP grammar guard (media-relay/wire/sdp_check.c):
 * what real stacks send passes, every fault we know of is refused before
 * a library parser sees it (the first row of bad[] hangs Sofia's
 * sdp_parse()).
 */
#include <string.h>
#include "unit.h"
#include "sdp_check.h"

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static const char *const good[] = {
	HEAD "m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n",
	/* LF only, no final newline, trailing blanks, session attributes */
	"v=0\no=alice 2890844526 2890844527 IN IP6 2001:db8::1\ns=Talk \na=recvonly\nt=0 0\n"
	"m=audio 49170/2 RTP/SAVPF 0\nc=IN IP6 2001:db8::1\nb=AS:64\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
	/* every session-level field, r= and z=, k=, two media */
	"v=0\r\no=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\ns=Call\r\ni=A Seminar\r\n"
	"u=http://www.example.com/seminars/sdp.pdf\r\ne=j.doe@example.com (Jane Doe)\r\np=+1 617 555-6011\r\n"
	"c=IN IP4 233.252.0.1/127\r\nb=CT:128\r\nt=2873397496 2873404696\r\nr=7d 1h 0 25h\r\n"
	"z=2882844526 -1h 2898848070 0\r\nk=prompt\r\na=recvonly\r\n"
	"m=audio 49170 RTP/AVP 0\r\ni=voice\r\nm=video 51372 RTP/AVP 99\r\na=rtpmap:99 h263-1998/90000\r\n",
	/* formats of profiles that are not RTP are anything token */
	HEAD "m=image 6000 udptl t38\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	"m=audio 1 rtp/avp 0 127\r\na=rtpmap:127 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
	"m=image 6002 udptl t38\r\na=rtpmap:anything goes here\r\n",
	/* a held stream and a rejected one */
	HEAD "m=audio 0 RTP/AVP 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=inactive\r\n",
	NULL,
};

static const char *const bad[] = {
	HEAD "m=audio 40000 RT@/AVP 8\r\n",                  /* Sofia's allocation loop */
	HEAD "m=audio 40000 RTP/@VP 8\r\n",
	HEAD "m=audio 40000 RTP//AVP 8\r\n",
	HEAD "m=audio 40000 RTP/AVP\r\n",                     /* no format */
	HEAD "m=audio 70000 RTP/AVP 0\r\n",                   /* port > 65535 */
	HEAD "m=audio 4x000 RTP/AVP 0\r\n",
	HEAD "m=audio 40000/ RTP/AVP 0\r\n",
	HEAD "m=au(dio 40000 RTP/AVP 0\r\n",
	HEAD "m=audio 40000 RTP/AVP 0 8@\r\n",
	HEAD "m=audio 40000 RTP/AVP 128\r\n",               /* RTP payload types are 7 bits */
	HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111 0151\r\n",
	HEAD "m=video 9 RTP/AVPF vp8\r\n",
	HEAD "m=audio 9 RTP/SAVPF 111\r\na=rtpmap:111 ?pus/48000/2\r\n",   /* Sofia refuses it once AVP */
	HEAD "m=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus\r\n",
	HEAD "m=audio 9 RTP/AVP 111\r\na=rtpmap   \r\n",     /* Sofia prints it "a=rtpmap:   " */
	HEAD "m=iod 7000 RTP 0\r\na=rtpmap:0 .CMU''1[11/80\r\n",          /* Sofia: "RTP" is RTP/AVP */
	HEAD "m=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus/48k\r\n",
	HEAD "m=audio 9 RTP/AVP 111\r\na=rtpmap:128 opus/48000\r\n",
	HEAD "m=audio  40000 RTP/AVP 0\r\n",                  /* two spaces */
	HEAD "m=audio 40000 RTP/AVP 0\r\ns=again\r\n",        /* s= in media */
	HEAD "m=audio 40000 RTP/AVP 0\r\nt=0 0\r\n",          /* t= in media */
	"v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	"o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\ns=-\r\nt=0 0\r\n",
	"v=0\r\ns=-\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n",
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n",          /* no t= */
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\nt=0 0\r\n",
	"v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", /* session id */
	"v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n",            /* 5 words */
	"v=0\r\no=- 123456789012345678901 1 IN IP4 a\r\ns=-\r\nt=0 0\r\n",
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\r\nt=0 0\r\n",   /* empty s= */
	HEAD "c=IN IP4\r\nm=audio 1 RTP/AVP 0\r\n",
	HEAD "b=AS64\r\nm=audio 1 RTP/AVP 0\r\n",
	HEAD "b=X-A-Very-Long-Type:1\r\nm=audio 1 RTP/AVP 0\r\n",  /* bwtype over 15 */
	HEAD "a=:x\r\nm=audio 1 RTP/AVP 0\r\n",
	HEAD "a=fo o:x\r\nm=audio 1 RTP/AVP 0\r\n",
	HEAD "x=1\r\nm=audio 1 RTP/AVP 0\r\n",
	HEAD "\r\nm=audio 1 RTP/AVP 0\r\n",                     /* empty line */
	HEAD "m=audio 1 RTP/AVP 0\r\na=x\001y\r\n",             /* control char */
	HEAD "M=audio 1 RTP/AVP 0\r\n",
	HEAD "t=1 2 3\r\n",
	HEAD "r=7d\r\n",
	"",
	NULL,
};

static void test_well_formed_sdp_passes(void)
{
	char err[128];

	for (int i = 0; good[i]; i++) {
		int rc = sdp_check(good[i], strlen(good[i]), err, sizeof(err));

		if (rc != 0)
			fprintf(stderr, "good[%d]: %s\n", i, err);
		CU_ASSERT_EQUAL(rc, 0);
	}
}

static void test_malformed_sdp_refused_with_reason(void)
{
	char err[128];

	for (int i = 0; bad[i]; i++) {
		err[0] = 0;
		if (sdp_check(bad[i], strlen(bad[i]), err, sizeof(err)) == 0)
			fprintf(stderr, "bad[%d] passed\n", i);
		CU_ASSERT_NOT_EQUAL(sdp_check(bad[i], strlen(bad[i]), err, sizeof(err)), 0);
		CU_ASSERT(err[0] != 0);
	}
	sdp_check(bad[0], strlen(bad[0]), err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "line 6 (m=): protocol is not a token");
}

/* Sizes and counts are bounded before anything is read twice. */
static void test_limits(void)
{
	static char big[SDP_CHECK_MAX_BYTES * 2];
	char err[128];
	size_t n = 0;

	n += (size_t)snprintf(big, sizeof(big), "%s", HEAD);
	for (int i = 0; i < SDP_CHECK_MAX_MEDIA + 1; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "m=audio %d RTP/AVP 0\r\n", 1000 + i);
	CU_ASSERT_NOT_EQUAL(sdp_check(big, n, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "m= lines"));

	n = (size_t)snprintf(big, sizeof(big), "%sm=audio 1 RTP/AVP 0\r\na=", HEAD);
	memset(big + n, 'x', SDP_CHECK_MAX_LINE);
	n += SDP_CHECK_MAX_LINE;
	CU_ASSERT_NOT_EQUAL(sdp_check(big, n, err, sizeof(err)), 0);

	memset(big, 'a', sizeof(big));
	CU_ASSERT_NOT_EQUAL(sdp_check(big, sizeof(big), err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than"));
	/* NUL inside the body: refused, not read as the end. */
	CU_ASSERT_NOT_EQUAL(sdp_check(HEAD "m=audio 1 RTP/AVP 0\r\n\0x", sizeof(HEAD) + 22, err, sizeof(err)), 0);
}

/* b= types in order, for the parsers to restore what Sofia loses. */
static void test_bwtypes_in_order(void)
{
	static const char *sdp = HEAD "b=CT:1\r\nm=audio 1 RTP/AVP 0\r\nb=TIAS:64000\nb=RR:0\r\n";
	char names[4][SDP_CHECK_BWTYPE];

	CU_ASSERT_EQUAL_FATAL(sdp_check_bwtypes(sdp, strlen(sdp), names, 4), 3);
	CU_ASSERT_STRING_EQUAL(names[0], "CT");
	CU_ASSERT_STRING_EQUAL(names[1], "TIAS");
	CU_ASSERT_STRING_EQUAL(names[2], "RR");
	CU_ASSERT_EQUAL(sdp_check_bwtypes(sdp, strlen(sdp), names, 2), 2);
}

UNIT_SUITE(sdp_check,
	UNIT_TEST(test_bwtypes_in_order),
	UNIT_TEST(test_well_formed_sdp_passes),
	UNIT_TEST(test_malformed_sdp_refused_with_reason),
	UNIT_TEST(test_limits))
