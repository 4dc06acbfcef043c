/*
 * test_trie.c - the prefix trie behind routes and rates (trie.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "trie.h"

static char v_default, v_4, v_49, v_4930, v_plus, v_star;

static void test_longest_prefix_wins(void)
{
	static const struct {
		const char *in;
		void *want;
		size_t len;
	} cases[] = {
		{"4930123", &v_4930, 4},
		{"4940123", &v_49, 2},
		{"4", &v_4, 1},
		{"49", &v_49, 2},
		{"493", &v_49, 2},
		{"1234", &v_default, 0},
		{"", &v_default, 0},
		{"+4930", &v_plus, 1},
		{"*21#", &v_star, 4},
	};
	struct trie *t = trie_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(trie_insert(t, "4930", &v_4930), 0);
	CU_ASSERT_EQUAL(trie_insert(t, "", &v_default), 0);
	CU_ASSERT_EQUAL(trie_insert(t, "49", &v_49), 0);
	CU_ASSERT_EQUAL(trie_insert(t, "4", &v_4), 0);
	CU_ASSERT_EQUAL(trie_insert(t, "+", &v_plus), 0);
	CU_ASSERT_EQUAL(trie_insert(t, "*21#", &v_star), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 99;
		void *got = trie_longest(t, cases[i].in, &len);

		if (got != cases[i].want || len != cases[i].len)
			fprintf(stderr, "trie case %zu '%s': len %zu\n", i, cases[i].in, len);
		CU_ASSERT_PTR_EQUAL(got, cases[i].want);
		CU_ASSERT_EQUAL(len, cases[i].len);
	}
	trie_free(t, NULL);
}

static void test_no_default_means_no_match(void)
{
	struct trie *t = trie_new();
	size_t len = 7;

	trie_insert(t, "123", &v_4);
	CU_ASSERT_PTR_NULL(trie_longest(t, "12", &len));
	CU_ASSERT_PTR_NULL(trie_longest(t, "999", NULL));
	CU_ASSERT_PTR_EQUAL(trie_longest(t, "1234", &len), &v_4);
	CU_ASSERT_EQUAL(len, 3);
	/* An inner node without value (the "1" and "12" on the way) is no match. */
	CU_ASSERT_PTR_NULL(trie_get(t, "12"));
	CU_ASSERT_PTR_EQUAL(trie_get(t, "123"), &v_4);
	CU_ASSERT_PTR_NULL(trie_longest(NULL, "1", NULL));
	trie_free(t, NULL);
}

static void test_slot_keeps_values_and_free_frees_them(void)
{
	struct trie *t = trie_new();
	/* Many siblings in random order: the sorted child array must hold. */
	const char *keys = "9081726354";

	for (const char *k = keys; *k; k++) {
		char key[3] = {'5', *k, 0};
		void **slot = trie_slot(t, key);

		CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
		*slot = strdup(key);
	}
	for (char c = '0'; c <= '9'; c++) {
		char key[4] = {'5', c, '7', 0};
		const char *v = trie_longest(t, key, NULL);

		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_EQUAL(v[1], c);
	}
	/* the same slot again */
	CU_ASSERT_PTR_NOT_NULL(*trie_slot(t, "53"));
	trie_free(t, free);
	trie_free(NULL, free);
}

UNIT_SUITE(trie,
	   UNIT_TEST(test_longest_prefix_wins),
	   UNIT_TEST(test_no_default_means_no_match),
	   UNIT_TEST(test_slot_keeps_values_and_free_frees_them))
