/*
 * test_ng_cache.c - the ng cookie cache (media-relay/ng_cache.c): a
 * retransmission finds its reply within the time, after many other
 * requests; old entries expire; the bounds hold; a copy of a request
 * still running is not run twice.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "ng_cache.h"

static enum ng_cache_hit begin(struct ng_cache *c, const char *cookie, int64_t now, char *out, size_t cap,
			       size_t *len)
{
	return ng_cache_begin(c, cookie, strlen(cookie), now, out, cap, len);
}

/* Runs one request: begin (must be new) and finish with "reply-COOKIE". */
static void answer(struct ng_cache *c, const char *cookie, int64_t now)
{
	char out[64], reply[64];
	size_t len;
	int n = snprintf(reply, sizeof(reply), "reply-%s", cookie);

	CU_ASSERT_EQUAL(begin(c, cookie, now, out, sizeof(out), &len), NG_CACHE_NEW);
	ng_cache_finish(c, cookie, strlen(cookie), reply, (size_t)n, now);
}

static void test_retransmission_gets_same_reply(void)
{
	struct ng_cache *c = ng_cache_new(100, 1 << 20, 30000);
	char out[64];
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	answer(c, "abc", 1000);
	CU_ASSERT_EQUAL(begin(c, "abc", 1500, out, sizeof(out), &len), NG_CACHE_REPLY);
	CU_ASSERT_EQUAL(len, 9);
	CU_ASSERT(memcmp(out, "reply-abc", 9) == 0);
	/* A prefix or an extension of the cookie is another request. */
	CU_ASSERT_EQUAL(begin(c, "ab", 1500, out, sizeof(out), &len), NG_CACHE_NEW);
	CU_ASSERT_EQUAL(begin(c, "abcd", 1500, out, sizeof(out), &len), NG_CACHE_NEW);
	/* Too small a buffer: a hit without bytes, never an overflow. */
	CU_ASSERT_EQUAL(begin(c, "abc", 1500, out, 4, &len), NG_CACHE_REPLY);
	CU_ASSERT_EQUAL(len, 0);
	ng_cache_free(c);
}

/* Issue 13: at 3,000 requests/s a retransmission 30 s later (90,000
 * requests on) still finds its reply; the ring of 4,096 lost it after
 * about 1.4 s. */
static void test_found_after_90000_other_requests(void)
{
	struct ng_cache *c = ng_cache_new(131072, (size_t)128 << 20, 30000);
	struct ng_cache_stats st;
	char cookie[32], out[64];
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	answer(c, "first", 0);
	for (int i = 0; i < 90000; i++) {
		snprintf(cookie, sizeof(cookie), "k%d", i);
		answer(c, cookie, i / 3);                     /* 3 per ms: 3,000/s */
	}
	CU_ASSERT_EQUAL(begin(c, "first", 29999, out, sizeof(out), &len), NG_CACHE_REPLY);
	CU_ASSERT(len == 11 && memcmp(out, "reply-first", 11) == 0);
	CU_ASSERT_EQUAL(begin(c, "k45000", 29999, out, sizeof(out), &len), NG_CACHE_REPLY);
	ng_cache_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 90001);
	CU_ASSERT_EQUAL(st.evicted, 0);
	ng_cache_free(c);
}

static void test_old_entries_expire(void)
{
	struct ng_cache *c = ng_cache_new(100, 1 << 20, 30000);
	struct ng_cache_stats st;
	char out[64];
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	answer(c, "old", 0);
	answer(c, "young", 20000);
	ng_cache_expire(c, 29999);
	ng_cache_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	ng_cache_expire(c, 30000);
	ng_cache_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 1);
	CU_ASSERT_EQUAL(st.expired, 1);
	CU_ASSERT_EQUAL(st.bytes, strlen("reply-young"));
	/* Expired is new again, even before a tick has dropped it. */
	CU_ASSERT_EQUAL(begin(c, "old", 30000, out, sizeof(out), &len), NG_CACHE_NEW);
	CU_ASSERT_EQUAL(begin(c, "young", 50000, out, sizeof(out), &len), NG_CACHE_NEW);
	ng_cache_free(c);
}

static void test_bounds_evict_oldest(void)
{
	struct ng_cache *c = ng_cache_new(10, 100, 30000);
	struct ng_cache_stats st;
	char cookie[16], out[64];
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < 25; i++) {
		snprintf(cookie, sizeof(cookie), "e%02d", i);   /* replies of 9 bytes */
		answer(c, cookie, i);
		ng_cache_stats(c, &st);
		CU_ASSERT(st.entries <= 10);
		CU_ASSERT(st.bytes <= 100);
	}
	ng_cache_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 10);
	CU_ASSERT_EQUAL(st.evicted, 15);
	CU_ASSERT_EQUAL(begin(c, "e24", 30, out, sizeof(out), &len), NG_CACHE_REPLY);
	CU_ASSERT_EQUAL(begin(c, "e15", 30, out, sizeof(out), &len), NG_CACHE_REPLY);
	CU_ASSERT_EQUAL(begin(c, "e14", 30, out, sizeof(out), &len), NG_CACHE_NEW);
	ng_cache_free(c);

	/* Bytes bound first: 3 replies of 40 bytes do not fit in 100. */
	c = ng_cache_new(10, 100, 30000);
	{
		char big[40];

		memset(big, 'x', sizeof(big));
		for (int i = 0; i < 3; i++) {
			snprintf(cookie, sizeof(cookie), "b%d", i);
			CU_ASSERT_EQUAL(begin(c, cookie, i, out, sizeof(out), &len), NG_CACHE_NEW);
			ng_cache_finish(c, cookie, strlen(cookie), big, sizeof(big), i);
		}
		/* One reply larger than the whole cache is not kept. */
		CU_ASSERT_EQUAL(begin(c, "huge", 5, out, sizeof(out), &len), NG_CACHE_NEW);
		ng_cache_finish(c, "huge", 4, (char[200]){0}, 200, 5);
	}
	ng_cache_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	CU_ASSERT_EQUAL(st.bytes, 80);
	CU_ASSERT_EQUAL(begin(c, "b0", 6, out, sizeof(out), &len), NG_CACHE_NEW);
	CU_ASSERT_EQUAL(begin(c, "b2", 6, out, sizeof(out), &len), NG_CACHE_REPLY);
	ng_cache_free(c);
	CU_ASSERT_PTR_NULL(ng_cache_new(0, 100, 1000));
	CU_ASSERT_PTR_NULL(ng_cache_new(10, 100, 0));
}

/* A copy arriving while the first runs is dropped, not run again; a
 * request that got no reply leaves nothing behind. */
static void test_busy_copy_not_run_twice(void)
{
	struct ng_cache *c = ng_cache_new(10, 1000, 30000);
	struct ng_cache_stats st;
	char out[64];
	size_t len;
	char longc[NG_CACHE_COOKIE_MAX + 2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(begin(c, "x", 0, out, sizeof(out), &len), NG_CACHE_NEW);
	CU_ASSERT_EQUAL(begin(c, "x", 1, out, sizeof(out), &len), NG_CACHE_BUSY);
	ng_cache_finish(c, "x", 1, "rx", 2, 2);
	CU_ASSERT_EQUAL(begin(c, "x", 3, out, sizeof(out), &len), NG_CACHE_REPLY);
	CU_ASSERT_EQUAL(begin(c, "y", 0, out, sizeof(out), &len), NG_CACHE_NEW);
	ng_cache_finish(c, "y", 1, NULL, 0, 1);
	CU_ASSERT_EQUAL(begin(c, "y", 2, out, sizeof(out), &len), NG_CACHE_NEW);
	ng_cache_finish(c, "y", 1, NULL, 0, 3);
	ng_cache_stats(c, &st);
	CU_ASSERT_EQUAL(st.entries, 1);
	/* Cookies beyond the limit are never cached. */
	memset(longc, 'z', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = 0;
	CU_ASSERT_EQUAL(begin(c, longc, 0, out, sizeof(out), &len), NG_CACHE_NEW);
	ng_cache_finish(c, longc, strlen(longc), "r", 1, 0);
	CU_ASSERT_EQUAL(begin(c, longc, 1, out, sizeof(out), &len), NG_CACHE_NEW);
	ng_cache_free(c);
}

UNIT_SUITE(ng_cache,
	   UNIT_TEST(test_retransmission_gets_same_reply),
	   UNIT_TEST(test_found_after_90000_other_requests),
	   UNIT_TEST(test_old_entries_expire),
	   UNIT_TEST(test_bounds_evict_oldest),
	   UNIT_TEST(test_busy_copy_not_run_twice))
