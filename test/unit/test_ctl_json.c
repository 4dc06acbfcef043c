/*
 * test_ctl_json.c - the JSON writer (ctl_json.c) and the stats answer
 * (ctl_lists.c): escaping through cdr_json_string, numbers as
 * numbers, null for missing, never a cut document.
 */
#include <string.h>
#include "unit.h"
#include "ctl_json.h"
#include "ctl_lists.h"

static void test_writer_nests_escapes_and_types(void)
{
	struct ctl_json j;
	char buf[256];

	CU_ASSERT_EQUAL_FATAL(ctl_json_begin(&j), 0);
	ctl_json_open(&j, NULL, '{');
	ctl_json_str(&j, "s", "a\"b\\c\n\x01");
	ctl_json_int(&j, "i", -42);
	ctl_json_num(&j, "d", 1.5);
	ctl_json_num(&j, "nan", 0.0 / 0.0);
	ctl_json_bool(&j, "t", 1);
	ctl_json_str(&j, "n", NULL);
	ctl_json_open(&j, "a", '[');
	ctl_json_int(&j, NULL, 1);
	ctl_json_int(&j, NULL, 2);
	ctl_json_close(&j, ']');
	ctl_json_close(&j, '}');
	CU_ASSERT_EQUAL_FATAL(ctl_json_finish(&j, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"i\":-42,\"d\":1.5,\"nan\":null,"
				    "\"t\":true,\"n\":null,\"a\":[1,2]}\n");
}

static void test_never_a_cut_or_unbalanced_document(void)
{
	struct ctl_json j;
	char buf[40];

	CU_ASSERT_EQUAL_FATAL(ctl_json_begin(&j), 0);
	ctl_json_open(&j, NULL, '{');
	ctl_json_str(&j, "long", "0123456789abcdef0123456789abcdef0123456789");
	ctl_json_close(&j, '}');
	CU_ASSERT_EQUAL(ctl_json_finish(&j, buf, sizeof(buf)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "too large"));
	CU_ASSERT_EQUAL_FATAL(ctl_json_begin(&j), 0);
	ctl_json_open(&j, NULL, '[');
	CU_ASSERT_EQUAL(ctl_json_finish(&j, buf, sizeof(buf)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "unbalanced"));
}

static void test_stats_lines_become_numbers(void)
{
	char buf[512];
	const char *text = "calls_active 3\ncdr_queued 0\nweird line here\nBad 1\nrelay 127.0.0.1:2223 sent 5 answered 5 timeouts 0\n"
			   "ratio 0.25\n";

	/* the text may be the buffer itself, as the daemon does */
	snprintf(buf, sizeof(buf), "%s", text);
	CU_ASSERT_EQUAL_FATAL(ctl_json_stats(buf, NULL, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "{\"calls_active\":3,\"cdr_queued\":0,\"ratio\":0.25,\"relays\":[]}\n");
}

UNIT_SUITE(ctl_json,
	   UNIT_TEST(test_writer_nests_escapes_and_types),
	   UNIT_TEST(test_never_a_cut_or_unbalanced_document),
	   UNIT_TEST(test_stats_lines_become_numbers))
