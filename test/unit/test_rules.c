/*
 * test_rules.c - PCRE2 number and header rules (rules.c), without SQLite.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "rules.h"

#define ALL RULES_ALL_TRUNKS

static struct rules *number_set(void)
{
	static const struct {
		int id, trunk;
		enum policy_dir dir;
		enum policy_field field;
		const char *match, *replace;
		int prio;
	} rows[] = {
		{1, ALL, POLICY_IN, POLICY_RURI, "^0([1-9]\\d+)$", "+49$1", 100},
		{2, ALL, POLICY_IN, POLICY_RURI, "^00(\\d+)$", "+$1", 50},
		{3, 5, POLICY_IN, POLICY_RURI, "^0(\\d+)$", "+43$1", 100},   /* trunk 5 is Austrian */
		{4, ALL, POLICY_OUT, POLICY_RURI, "^\\+", "", 100},
		{5, 7, POLICY_OUT, POLICY_RURI, "^\\+49", "0", 10},
		{6, ALL, POLICY_IN, POLICY_FROM, "^0(\\d+)", "+49$1", 100},
		{7, ALL, POLICY_OUT, POLICY_PAI, "^(?<cc>\\+\\d\\d)(\\d+)$", "${cc}-$2", 100},
		{8, ALL, POLICY_IN, POLICY_TO, "x(y)?", "$1", 1},    /* group 1 unset: skipped */
	};
	struct rules *r = rules_new();
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CU_ASSERT_EQUAL(rules_add_number(r, rows[i].id, rows[i].trunk, rows[i].dir, rows[i].field,
						 rows[i].match, rows[i].replace, rows[i].prio,
						 err, sizeof(err)), 0);
	rules_finish(r);
	return r;
}

static void test_number_rewrite_in_and_out(void)
{
	static const struct {
		int trunk;
		enum policy_dir dir;
		enum policy_field field;
		const char *in, *want;
		int rc;          /* 1 a rule rewrote, 0 none matched */
	} cases[] = {
		{1, POLICY_IN, POLICY_RURI, "030123456", "+4930123456", 1},
		{1, POLICY_IN, POLICY_RURI, "0049301234", "+49301234", 1},   /* priority 50 first */
		{1, POLICY_IN, POLICY_RURI, "+4930", "+4930", 0},            /* no match: unchanged */
		{1, POLICY_IN, POLICY_RURI, "", "", 0},
		{5, POLICY_IN, POLICY_RURI, "01234", "+431234", 1},          /* own rule before global at equal prio */
		{5, POLICY_IN, POLICY_RURI, "0043123", "+43123", 1},         /* global prio 50 before own prio 100 */
		{1, POLICY_OUT, POLICY_RURI, "+4930123", "4930123", 1},
		{7, POLICY_OUT, POLICY_RURI, "+4930123", "030123", 1},       /* per-trunk, prio 10 */
		{7, POLICY_OUT, POLICY_RURI, "+4312", "4312", 1},
		{1, POLICY_IN, POLICY_FROM, "0301", "+49301", 1},
		{1, POLICY_IN, POLICY_TO, "0301", "0301", 0},                /* only ruri/from rules */
		{1, POLICY_OUT, POLICY_PAI, "+4930123", "+49-30123", 1},
		{1, POLICY_IN, POLICY_TO, "x1", "x1", 0},                    /* broken replace = no match */
	};
	struct rules *r = number_set();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64] = "junk";
		int rc = rules_number_rewrite(r, cases[i].trunk, cases[i].dir, cases[i].field,
					      cases[i].in, out, sizeof(out));

		if (rc != cases[i].rc || strcmp(out, cases[i].want) != 0)
			fprintf(stderr, "number case %zu: '%s' -> '%s' (rc %d) want '%s'\n", i,
				cases[i].in, out, rc, cases[i].want);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		CU_ASSERT_STRING_EQUAL(out, cases[i].want);
	}
	rules_free(r);
}

static void test_number_rewrite_out_too_small(void)
{
	struct rules *r = number_set();
	char out[6];

	CU_ASSERT_EQUAL(rules_number_rewrite(r, 1, POLICY_IN, POLICY_RURI, "030123", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rules_number_rewrite(r, 1, POLICY_IN, POLICY_RURI, "123456", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(rules_number_rewrite(r, 1, POLICY_IN, POLICY_RURI, "12345", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "12345");
	/* no rules at all: a copy */
	CU_ASSERT_EQUAL(rules_number_rewrite(NULL, 1, POLICY_IN, POLICY_RURI, "12", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "12");
	rules_free(r);
}

/* A peer chooses the number: a pattern that backtracks without end
 * costs at most RULES_MATCH_LIMIT steps and then counts as not matching.
 * This subject matches (the final "12") only after about a million steps
 * on the 20 ones before it: PCRE2's default limit (10 million) matches,
 * ours does not; the header rule with the same pattern keeps its value. */
static void test_backtracking_is_bounded(void)
{
	struct rules *r = rules_new();
	struct policy_hdr h = {"X-Num", "11111111111111111111#12"};
	char err[256], out[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(rules_add_number(r, 1, ALL, POLICY_IN, POLICY_RURI, "(1+)+2", "X", 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rules_add_header(r, 2, ALL, POLICY_OUT, RULES_REPLACE, "X-Num", "(1+)+2", "X", 1, err,
					 sizeof(err)), 0);
	rules_finish(r);
	CU_ASSERT_EQUAL(rules_number_rewrite(r, 1, POLICY_IN, POLICY_RURI, h.value, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, h.value);
	CU_ASSERT_EQUAL(rules_header_apply(r, 1, POLICY_OUT, &h, 1, 1), 1);
	CU_ASSERT_STRING_EQUAL(h.value, "11111111111111111111#12");
	/* Within the limit the same pattern works. */
	CU_ASSERT_EQUAL(rules_number_rewrite(r, 1, POLICY_IN, POLICY_RURI, "1112", out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "X");
	rules_free(r);
}

/* Nothing a rule writes into a SIP header holds a line break: not from
 * its text (refused at load), not from an escape (the rule then counts
 * as not matching). Found by fuzz_rules. */
static void test_rules_never_write_line_breaks(void)
{
	struct rules *r = rules_new();
	struct policy_hdr h = {"X-Num", "12345"};
	char err[256] = "", out[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(rules_add_number(r, 3, ALL, POLICY_IN, POLICY_RURI, "^1", "\r\nVia: x", 1, err,
					 sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "number_rules id 3: replacement holds a control character");
	CU_ASSERT_EQUAL(rules_add_number(r, 4, ALL, POLICY_IN, POLICY_RURI, "^1", "9\\r\\nVia: x", 1, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(rules_add_header(r, 5, ALL, POLICY_OUT, RULES_REPLACE, "X-Num", "3", "\\x{0a}Evil: 1", 1,
					 err, sizeof(err)), 0);
	rules_finish(r);
	CU_ASSERT_EQUAL(rules_number_rewrite(r, 1, POLICY_IN, POLICY_RURI, "12345", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "12345");
	CU_ASSERT_EQUAL(rules_header_apply(r, 1, POLICY_OUT, &h, 1, 1), 1);
	CU_ASSERT_STRING_EQUAL(h.value, "12345");
	rules_free(r);
}

static void test_bad_regex_names_table_and_id(void)
{
	struct rules *r = rules_new();
	char err[256] = "";

	CU_ASSERT_EQUAL(rules_add_number(r, 7, ALL, POLICY_IN, POLICY_RURI, "^(0", "$1", 1,
					 err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "number_rules id 7: missing closing parenthesis at offset 3");
	CU_ASSERT_EQUAL(rules_add_header(r, 12, ALL, POLICY_OUT, RULES_REPLACE, "X-A", "[a-", "b", 1,
					 err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "header_rules id 12: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at offset"));
	CU_ASSERT_EQUAL(rules_add_header(r, 13, ALL, POLICY_OUT, RULES_ADD, "X-A", NULL, "", 1,
					 err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "header_rules id 13: "));
	CU_ASSERT_EQUAL(rules_add_header(r, 14, ALL, POLICY_OUT, RULES_ADD, "X A:", NULL, "v", 1,
					 err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "header_rules id 14: "));
	rules_free(r);
}

/* A replacement naming a group its pattern lacks is refused at load: at
 * call time PCRE2 would fail and the rule be skipped without a word. What
 * is accepted must also work when a call matches (PCRE2's own syntax). */
static void test_replacement_names_existing_groups(void)
{
	static const struct {
		const char *match, *replace, *subject, *out;   /* out NULL: refused */
		const char *err;
	} cases[] = {
		{"^0(\\d+)$", "+44$1", "0201", "+44201", NULL},
		{"^0(\\d+)$", "+44${1}0", "0201", "+442010", NULL},
		{"^0(\\d+)$", "[$0]", "0201", "[0201]", NULL},
		{"^(?<cc>\\d\\d)(\\d+)$", "${cc}-$2", "4930", "49-30", NULL},
		{"^(\\d)(\\d)?$", "${2:-none}${2:+two:}", "4", "none", NULL},
		{"^0", "$$3 \\$4 \\Q$5\\E", "01", "$3 $4 $51", NULL},
		{"^(*MARK:A)0", "$*MARK${*MARK}", "01", "AA1", NULL},
		{"^0(\\d+)$", "+44$3", NULL, NULL,
		 "number_rules id 9: replace '+44$3' names group 3, but match '^0(\\d+)$' has 1 group"},
		{"^0\\d+$", "+44$1", NULL, NULL,
		 "number_rules id 9: replace '+44$1' names group 1, but match '^0\\d+$' has 0 groups"},
		{"^(0)(\\d+)$", "${3}", NULL, NULL,
		 "number_rules id 9: replace '${3}' names group 3, but match '^(0)(\\d+)$' has 2 groups"},
		{"^0(\\d+)$", "${1:+$12:x}", NULL, NULL,
		 "number_rules id 9: replace '${1:+$12:x}' names group 12, but match '^0(\\d+)$' has 1 group"},
		{"^0(\\d+)$", "\\Q$1\\E$2", NULL, NULL,
		 "number_rules id 9: replace '\\Q$1\\E$2' names group 2, but match '^0(\\d+)$' has 1 group"},
		{"^(?<cc>\\d\\d)", "${CC}", NULL, NULL,
		 "number_rules id 9: replace '${CC}' names group 'CC', which match '^(?<cc>\\d\\d)' does not have"},
		{"^0", "US$ 5", NULL, NULL,
		 "number_rules id 9: replace 'US$ 5': '$' at offset 2 names no group (a dollar sign is $$)"},
		{"^0(\\d+)$", "x${1", NULL, NULL,
		 "number_rules id 9: replace 'x${1': '${' at offset 1 has no closing '}'"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules *r = rules_new();
		char err[256] = "", out[64] = "";
		int rc = rules_add_number(r, 9, ALL, POLICY_IN, POLICY_RURI, cases[i].match, cases[i].replace, 1,
					  err, sizeof(err));

		if (cases[i].out) {
			if (rc != 0)
				fprintf(stderr, "refs case %zu refused: %s\n", i, err);
			CU_ASSERT_EQUAL(rc, 0);
			rules_finish(r);
			CU_ASSERT_EQUAL(rules_number_rewrite(r, 1, POLICY_IN, POLICY_RURI, cases[i].subject, out,
							     sizeof(out)), 1);
			if (strcmp(out, cases[i].out) != 0)
				fprintf(stderr, "refs case %zu: '%s' want '%s'\n", i, out, cases[i].out);
			CU_ASSERT_STRING_EQUAL(out, cases[i].out);
		} else {
			CU_ASSERT_EQUAL(rc, -1);
			if (strcmp(err, cases[i].err) != 0)
				fprintf(stderr, "refs case %zu: '%s'\n want '%s'\n", i, err, cases[i].err);
			CU_ASSERT_STRING_EQUAL(err, cases[i].err);
		}
		rules_free(r);
	}
}

/* A header replace's value is a substitution: its groups are checked;
 * an add's value, or a replace without match, is literal text. */
static void test_header_replace_names_existing_groups(void)
{
	struct rules *r = rules_new();
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(rules_add_header(r, 12, ALL, POLICY_OUT, RULES_REPLACE, "X-A", "@(pbx)", "@$2", 1, err,
					 sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "header_rules id 12: value '@$2' names group 2, but match '@(pbx)' has 1 group");
	CU_ASSERT_EQUAL(rules_add_header(r, 13, ALL, POLICY_OUT, RULES_REPLACE, "X-A", "@(pbx)", "@$1.example", 1,
					 err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rules_add_header(r, 14, ALL, POLICY_OUT, RULES_ADD, "X-Price", NULL, "US$ 5", 1, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(rules_add_header(r, 15, ALL, POLICY_OUT, RULES_REPLACE, "X-Price", NULL, "$9", 1, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(rules_add_header(r, 17, ALL, POLICY_OUT, RULES_ADD, "X-Price", "^(a)", "$9", 1, err,
					 sizeof(err)), 0);
	CU_ASSERT_EQUAL(rules_add_header(r, 16, ALL, POLICY_OUT, RULES_REMOVE, "X-Price", "^(a)", NULL, 1, err,
					 sizeof(err)), 0);
	rules_free(r);
}

static struct policy_hdr hdr(const char *name, const char *value)
{
	struct policy_hdr h;

	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.value, sizeof(h.value), "%s", value);
	return h;
}

static void test_header_add_remove_replace(void)
{
	static const struct {
		int id, trunk;
		enum policy_dir dir;
		enum rules_action action;
		const char *header, *match, *value;
		int prio;
	} rows[] = {
		{1, ALL, POLICY_OUT, RULES_REMOVE, "x-internal", NULL, NULL, 10},
		{2, ALL, POLICY_OUT, RULES_REPLACE, "User-Agent", NULL, "b2bua", 20},
		{3, 2, POLICY_OUT, RULES_ADD, "X-Carrier-Account", NULL, "4711", 30},
		{4, ALL, POLICY_OUT, RULES_REPLACE, "P-Asserted-Identity", "@pbx\\.local", "@example.com", 40},
		{5, ALL, POLICY_OUT, RULES_REMOVE, "X-Debug", "^secret", NULL, 50},
		{6, ALL, POLICY_IN, RULES_ADD, "X-In", NULL, "1", 10},
		/* protected: never applied, whatever the rule says */
		{7, ALL, POLICY_OUT, RULES_REMOVE, "Via", NULL, NULL, 1},
		{8, ALL, POLICY_OUT, RULES_REPLACE, "call-id", NULL, "x", 1},
		{9, ALL, POLICY_OUT, RULES_ADD, "Contact", NULL, "<sip:evil@x>", 1},
		{10, ALL, POLICY_OUT, RULES_REMOVE, "i", NULL, NULL, 1},
	};
	struct rules *r = rules_new();
	struct policy_hdr h[8];
	char err[256];
	size_t n;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CU_ASSERT_EQUAL(rules_add_header(r, rows[i].id, rows[i].trunk, rows[i].dir, rows[i].action,
						 rows[i].header, rows[i].match, rows[i].value,
						 rows[i].prio, err, sizeof(err)), 0);
	rules_finish(r);

	h[0] = hdr("Via", "SIP/2.0/UDP 10.0.0.1");
	h[1] = hdr("X-Internal", "a");
	h[2] = hdr("user-agent", "PBX 1.0");
	h[3] = hdr("P-Asserted-Identity", "<sip:100@pbx.local>, <tel:+100@pbx.local>");
	h[4] = hdr("X-Debug", "secret=1");
	h[5] = hdr("X-Debug", "public");
	h[6] = hdr("Call-ID", "abc");
	n = rules_header_apply(r, 2, POLICY_OUT, h, 7, 8);
	CU_ASSERT_EQUAL_FATAL(n, 6);   /* -X-Internal, +X-Carrier-Account, -X-Debug secret */
	CU_ASSERT_STRING_EQUAL(h[0].name, "Via");
	CU_ASSERT_STRING_EQUAL(h[1].name, "user-agent");
	CU_ASSERT_STRING_EQUAL(h[1].value, "b2bua");
	CU_ASSERT_STRING_EQUAL(h[2].value, "<sip:100@example.com>, <tel:+100@example.com>");
	CU_ASSERT_STRING_EQUAL(h[3].name, "X-Debug");
	CU_ASSERT_STRING_EQUAL(h[3].value, "public");
	CU_ASSERT_STRING_EQUAL(h[4].name, "Call-ID");
	CU_ASSERT_STRING_EQUAL(h[4].value, "abc");
	CU_ASSERT_STRING_EQUAL(h[5].name, "X-Carrier-Account");   /* trunk 2's own add */
	CU_ASSERT_STRING_EQUAL(h[5].value, "4711");
	rules_free(r);
}

static void test_header_add_respects_cap_and_trunk(void)
{
	struct rules *r = rules_new();
	struct policy_hdr h[2];
	char err[256];

	CU_ASSERT_EQUAL(rules_add_header(r, 1, 2, POLICY_OUT, RULES_ADD, "X-A", NULL, "1", 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rules_add_header(r, 2, ALL, POLICY_OUT, RULES_ADD, "X-B", NULL, "2", 1, err, sizeof(err)), 0);
	rules_finish(r);
	h[0] = hdr("X-Z", "0");
	CU_ASSERT_EQUAL(rules_header_apply(r, 3, POLICY_OUT, h, 1, 2), 2);  /* only the global one */
	CU_ASSERT_STRING_EQUAL(h[1].name, "X-B");
	CU_ASSERT_EQUAL(rules_header_apply(r, 2, POLICY_OUT, h, 1, 2), 2);  /* own first, then full */
	CU_ASSERT_STRING_EQUAL(h[1].name, "X-A");
	CU_ASSERT_EQUAL(rules_header_apply(r, 2, POLICY_IN, h, 1, 2), 1);   /* other direction */
	CU_ASSERT(rules_header_protected("CONTENT-TYPE"));
	CU_ASSERT(rules_header_protected("v"));
	CU_ASSERT_FALSE(rules_header_protected("X-Via"));
	rules_free(r);
}

UNIT_SUITE(rules,
	   UNIT_TEST(test_number_rewrite_in_and_out),
	   UNIT_TEST(test_number_rewrite_out_too_small),
	   UNIT_TEST(test_backtracking_is_bounded),
	   UNIT_TEST(test_rules_never_write_line_breaks),
	   UNIT_TEST(test_bad_regex_names_table_and_id),
	   UNIT_TEST(test_replacement_names_existing_groups),
	   UNIT_TEST(test_header_replace_names_existing_groups),
	   UNIT_TEST(test_header_add_remove_replace),
	   UNIT_TEST(test_header_add_respects_cap_and_trunk))
