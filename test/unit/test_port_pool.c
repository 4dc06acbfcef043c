/*
 * test_port_pool.c - RTP/RTCP port pairs (media-relay/port_pool.c).
 */
#include "unit.h"
#include "port_pool.h"

static void test_ranges(void)
{
	static const struct {
		int min, max, pairs;
	} cases[] = {
		{30000, 39999, 5000}, {30001, 30004, 1}, {30000, 30001, 1},
		{30000, 30000, 0}, {30001, 30002, 0}, {40000, 30000, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct port_pool *p = port_pool_new(cases[i].min, cases[i].max);

		if (!cases[i].pairs) {
			CU_ASSERT_PTR_NULL(p);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(port_pool_capacity(p), cases[i].pairs);
		port_pool_free(p);
	}
}

static void test_pairs_are_even_and_exhaust(void)
{
	struct port_pool *p = port_pool_new(30000, 30009);
	int seen[5] = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (int i = 0; i < 5; i++) {
		int port = port_pool_get(p);

		CU_ASSERT(port >= 30000 && port <= 30008 && port % 2 == 0);
		if (port >= 30000 && port <= 30008)
			seen[(port - 30000) / 2]++;
	}
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(seen[i], 1);
	CU_ASSERT_EQUAL(port_pool_get(p), -1);          /* exhausted */
	CU_ASSERT_EQUAL(port_pool_in_use(p), 5);
	port_pool_put(p, 30004);
	CU_ASSERT_EQUAL(port_pool_get(p), 30004);       /* the only free one */
	CU_ASSERT_EQUAL(port_pool_get(p), -1);
	port_pool_free(p);
}

static void test_freed_port_not_reused_at_once(void)
{
	struct port_pool *p = port_pool_new(30000, 30009);
	int a = port_pool_get(p), b;

	port_pool_put(p, a);
	b = port_pool_get(p);
	CU_ASSERT_NOT_EQUAL(a, b);                      /* round robin moves on */
	port_pool_free(p);
}

static void test_bad_puts_are_ignored(void)
{
	struct port_pool *p = port_pool_new(30000, 30009);
	int a = port_pool_get(p);

	port_pool_put(p, a + 1);                        /* odd: not a pair start */
	port_pool_put(p, 29998);
	port_pool_put(p, 40000);
	port_pool_put(p, 30008);                        /* never handed out */
	CU_ASSERT_EQUAL(port_pool_in_use(p), 1);
	port_pool_put(p, a);
	port_pool_put(p, a);                            /* twice */
	CU_ASSERT_EQUAL(port_pool_in_use(p), 0);
	port_pool_free(p);
	port_pool_put(NULL, 30000);
	CU_ASSERT_EQUAL(port_pool_get(NULL), -1);
}

UNIT_SUITE(port_pool,
	   UNIT_TEST(test_ranges),
	   UNIT_TEST(test_pairs_are_even_and_exhaust),
	   UNIT_TEST(test_freed_port_not_reused_at_once),
	   UNIT_TEST(test_bad_puts_are_ignored))
