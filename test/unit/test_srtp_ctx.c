/*
 * test_srtp_ctx.c - SDES keys and SRTP sessions (media-relay/srtp_ctx.c).
 *
 * Round trips for both suites, RTP and RTCP; a tampered packet, a wrong
 * key and a replay must fail; a=crypto parsing table.
 */
#include <string.h>
#include "unit.h"
#include "srtp_ctx.h"

static int make_rtp(uint8_t *buf, uint16_t seq)
{
	memset(buf, 0, 12 + 160);
	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[11] = 0x42;                                 /* SSRC */
	for (int i = 0; i < 160; i++)
		buf[12 + i] = (uint8_t)i;
	return 12 + 160;
}

static int make_rtcp(uint8_t *buf)
{
	/* An empty receiver report. */
	static const uint8_t rr[8] = {0x80, 201, 0, 1, 0, 0, 0, 0x42};

	memcpy(buf, rr, sizeof(rr));
	return sizeof(rr);
}

static void test_round_trip_both_suites(void)
{
	for (int s = 0; s < SDES_NSUITES; s++) {
		struct sdes_key k;
		struct sdes_ctx *tx, *rx;
		char err[128];
		uint8_t buf[512], orig[512];

		CU_ASSERT_EQUAL_FATAL(sdes_key_random(&k, (enum sdes_suite)s), 0);
		tx = sdes_ctx_new(&k, 1, err, sizeof(err));
		rx = sdes_ctx_new(&k, 0, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		for (uint16_t seq = 100; seq < 110; seq++) {
			int len = make_rtp(buf, seq), n = len;

			memcpy(orig, buf, (size_t)len);
			CU_ASSERT_EQUAL(sdes_protect(tx, buf, &n, 0), SDES_OK);
			CU_ASSERT_EQUAL(n, len + (s == SDES_AES_CM_128_HMAC_SHA1_80 ? 10 : 4));
			CU_ASSERT(memcmp(buf + 12, orig + 12, 160) != 0);
			CU_ASSERT_EQUAL(sdes_unprotect(rx, buf, &n, 0), SDES_OK);
			CU_ASSERT_EQUAL(n, len);
			CU_ASSERT(memcmp(buf, orig, (size_t)len) == 0);
		}
		{
			int len = make_rtcp(buf), n = len;

			memcpy(orig, buf, (size_t)len);
			CU_ASSERT_EQUAL(sdes_protect(tx, buf, &n, 1), SDES_OK);
			CU_ASSERT_EQUAL(n, len + 4 + 10);        /* E+index, 80-bit tag */
			CU_ASSERT_EQUAL(sdes_unprotect(rx, buf, &n, 1), SDES_OK);
			CU_ASSERT_EQUAL(n, len);
			CU_ASSERT(memcmp(buf, orig, (size_t)len) == 0);
		}
		sdes_ctx_free(tx);
		sdes_ctx_free(rx);
	}
}

static void test_tampered_wrong_key_and_replay_fail(void)
{
	struct sdes_key k, other;
	struct sdes_ctx *tx, *rx, *rx_other;
	char err[128];
	uint8_t buf[512], copy[512];
	int n, m;

	sdes_key_random(&k, SDES_AES_CM_128_HMAC_SHA1_80);
	sdes_key_random(&other, SDES_AES_CM_128_HMAC_SHA1_80);
	tx = sdes_ctx_new(&k, 1, err, sizeof(err));
	rx = sdes_ctx_new(&k, 0, err, sizeof(err));
	rx_other = sdes_ctx_new(&other, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx_other);

	n = make_rtp(buf, 1);
	sdes_protect(tx, buf, &n, 0);
	memcpy(copy, buf, (size_t)n);
	m = n;
	buf[20] ^= 1;                                   /* one flipped payload bit */
	CU_ASSERT_EQUAL(sdes_unprotect(rx, buf, &n, 0), SDES_AUTH_FAIL);
	CU_ASSERT_EQUAL(sdes_unprotect(rx_other, copy, &m, 0), SDES_AUTH_FAIL);

	n = make_rtp(buf, 2);
	sdes_protect(tx, buf, &n, 0);
	memcpy(copy, buf, (size_t)n);
	m = n;
	CU_ASSERT_EQUAL(sdes_unprotect(rx, buf, &n, 0), SDES_OK);
	CU_ASSERT_EQUAL(sdes_unprotect(rx, copy, &m, 0), SDES_REPLAY);

	n = 5;                                          /* runt */
	CU_ASSERT_NOT_EQUAL(sdes_unprotect(rx, buf, &n, 0), SDES_OK);
	sdes_ctx_free(tx);
	sdes_ctx_free(rx);
	sdes_ctx_free(rx_other);
	sdes_ctx_free(NULL);
}

static void test_attr_parse_table(void)
{
	static const struct {
		const char *in;
		int rc, tag;
		enum sdes_suite suite;
		int mki_len;
	} cases[] = {
		{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", 0, 1,
		 SDES_AES_CM_128_HMAC_SHA1_80, 0},
		{"2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20", 0, 2,
		 SDES_AES_CM_128_HMAC_SHA1_32, 0},
		{"3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4", 0, 3,
		 SDES_AES_CM_128_HMAC_SHA1_80, 4},
		{"1 AES_256_CM_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -2, 0, 0, 0},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR UNENCRYPTED_SRTP",
		 -2, 0, 0, 0},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:short", -1, 0, 0, 0},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxa!BR", -1, 0, 0, 0},
		{"1 AES_CM_128_HMAC_SHA1_80 key:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -1, 0, 0, 0},
		{"x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -1, 0, 0, 0},
		{"1", -1, 0, 0, 0},
		{"", -1, 0, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sdes_key k;
		int tag = -1, rc = sdes_attr_parse(cases[i].in, &tag, &k);

		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc == 0 && cases[i].rc == 0) {
			CU_ASSERT_EQUAL(tag, cases[i].tag);
			CU_ASSERT_EQUAL(k.suite, cases[i].suite);
			CU_ASSERT_EQUAL(k.mki_len, cases[i].mki_len);
		}
	}
}

static void test_attr_format_round_trips(void)
{
	struct sdes_key k, back;
	char line[160];
	int tag;

	sdes_key_random(&k, SDES_AES_CM_128_HMAC_SHA1_32);
	CU_ASSERT(sdes_attr_format(7, &k, line, sizeof(line)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "7 AES_CM_128_HMAC_SHA1_32 inline:"));
	CU_ASSERT_EQUAL(sdes_attr_parse(line, &tag, &back), 0);
	CU_ASSERT_EQUAL(tag, 7);
	CU_ASSERT(sdes_key_equal(&k, &back));
	CU_ASSERT_EQUAL(sdes_attr_format(7, &k, line, 20), -1);
}

static void test_mki_key_round_trip(void)
{
	struct sdes_key k;
	struct sdes_ctx *tx, *rx;
	char err[128];
	uint8_t buf[512];
	int tag, n;

	CU_ASSERT_EQUAL_FATAL(sdes_attr_parse("1 AES_CM_128_HMAC_SHA1_80 "
					      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
					      &tag, &k), 0);
	tx = sdes_ctx_new(&k, 1, err, sizeof(err));
	rx = sdes_ctx_new(&k, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	n = make_rtp(buf, 9);
	CU_ASSERT_EQUAL(sdes_protect(tx, buf, &n, 0), SDES_OK);
	CU_ASSERT_EQUAL(n, 12 + 160 + 4 + 10);         /* MKI then tag */
	CU_ASSERT_EQUAL(sdes_unprotect(rx, buf, &n, 0), SDES_OK);
	sdes_ctx_free(tx);
	sdes_ctx_free(rx);
}

static void test_base64(void)
{
	static const struct {
		const char *raw, *b64;
	} cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}};
	char out[32];
	uint8_t raw[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].raw);

		CU_ASSERT_EQUAL(sdes_b64_encode((const uint8_t *)cases[i].raw, n, out, sizeof(out)),
				(int)strlen(cases[i].b64));
		CU_ASSERT_STRING_EQUAL(out, cases[i].b64);
		CU_ASSERT_EQUAL(sdes_b64_decode(cases[i].b64, strlen(cases[i].b64), raw, sizeof(raw)),
				(int)n);
		CU_ASSERT(memcmp(raw, cases[i].raw, n) == 0);
	}
	CU_ASSERT_EQUAL(sdes_b64_decode("Zm9v", 4, raw, 2), -1);   /* no room */
	CU_ASSERT_EQUAL(sdes_b64_decode("Zm=v", 4, raw, 8), -1);   /* data after padding */
	CU_ASSERT_EQUAL(sdes_b64_encode((const uint8_t *)"foo", 3, out, 4), -1);
}

UNIT_SUITE(srtp_ctx,
	   UNIT_TEST(test_round_trip_both_suites),
	   UNIT_TEST(test_tampered_wrong_key_and_replay_fail),
	   UNIT_TEST(test_attr_parse_table),
	   UNIT_TEST(test_attr_format_round_trips),
	   UNIT_TEST(test_mki_key_round_trip),
	   UNIT_TEST(test_base64))
