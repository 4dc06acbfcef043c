/*
 * test_bencode.c - bencode decode/encode (media-relay/wire/bencode.c).
 *
 * Table-driven: valid input must round-trip byte for byte; hostile or
 * truncated input must return NULL with a reason and never read past the
 * given length (the buffers are heap copies without a terminator so ASan
 * sees any overread).
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "bencode.h"

/* Decodes exactly len bytes from a heap copy with no slack after it. */
static struct bencode *decode_exact(struct bencode_pool *p, const char *in, size_t len,
				    size_t *used, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	struct bencode *v;

	memcpy(copy, in, len);
	v = bencode_decode(p, copy, len, used, err, errlen);
	/* Strings point into the input: re-home them before freeing it. */
	if (v) {
		char out[4096];
		long n = bencode_encode(v, out, sizeof(out));

		free(copy);
		if (n < 0 || n > (long)sizeof(out))
			return NULL;
		copy = bencode_pool_strndup(p, out, (size_t)n);
		return bencode_decode(p, copy, (size_t)n, NULL, err, errlen);
	}
	free(copy);
	return v;
}

static void test_valid_input_round_trips(void)
{
	static const char *cases[] = {
		"i0e", "i42e", "i-7e", "i9223372036854775807e", "i-9223372036854775808e",
		"0:", "4:spam", "le", "de", "l4:spami3ee",
		"d3:cow3:moo4:spaml1:a1:bee",
		"d7:command5:offer7:call-id3:abc5:flagsl5:truste3:sdp8:v=0\r\no=xe",
		"lllleeee", "d1:ad1:bd1:ci1eeee",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bencode_pool *p = bencode_pool_new();
		char err[128], out[256];
		size_t used = 0, len = strlen(cases[i]);
		struct bencode *v = decode_exact(p, cases[i], len, &used, err, sizeof(err));
		long n;

		CU_ASSERT_PTR_NOT_NULL(v);
		CU_ASSERT_EQUAL(used, len);
		if (v) {
			n = bencode_encode(v, out, sizeof(out));
			CU_ASSERT_EQUAL(n, (long)len);
			CU_ASSERT(n == (long)len && memcmp(out, cases[i], len) == 0);
		}
		bencode_pool_free(p);
	}
}

static void test_hostile_input_is_rejected(void)
{
	static const struct {
		const char *in;
		const char *why;
	} cases[] = {
		{"", "empty"},
		{"i", "truncated int"},
		{"i12", "unterminated int"},
		{"ie", "empty int"},
		{"i-e", "sign only"},
		{"i-0e", "negative zero"},
		{"i03e", "leading zero int"},
		{"i-03e", "leading zero negative"},
		{"i1x2e", "garbage in int"},
		{"i99999999999999999999e", "int overflow"},
		{"i9223372036854775808e", "int just over max"},
		{"i-9223372036854775809e", "int just under min"},
		{"5:abc", "string longer than input"},
		{"05:abcde", "leading zero length"},
		{"99999999999999999999999:x", "huge length overflow"},
		{"18446744073709551615:x", "SIZE_MAX length"},
		{"4294967296:x", "length over 4G"},
		{"3abc", "length without colon"},
		{"-3:abc", "negative length"},
		{"l", "unterminated list"},
		{"l4:spam", "unterminated list after item"},
		{"d", "unterminated dict"},
		{"d3:cow", "dict key without value"},
		{"di1e3:fooe", "int as dict key"},
		{"dl1:ae1:be", "list as dict key"},
		{"x", "unknown type"},
		{"l4:spamx", "junk in list"},
		{"\x00", "nul byte"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bencode_pool *p = bencode_pool_new();
		char err[128] = "";
		size_t len = strlen(cases[i].in);
		char *copy = malloc(len ? len : 1);
		struct bencode *v;

		memcpy(copy, cases[i].in, len);
		v = bencode_decode(p, copy, len, NULL, err, sizeof(err));
		if (v)
			fprintf(stderr, "accepted hostile input: %s\n", cases[i].why);
		CU_ASSERT_PTR_NULL(v);
		CU_ASSERT(err[0] != '\0');
		free(copy);
		bencode_pool_free(p);
	}
}

static void test_every_truncation_of_a_request_fails_cleanly(void)
{
	const char *req = "d7:command5:offer7:call-id6:abc@de8:from-tag2:ft"
			  "5:flagsl5:trust10:SIP-sourcee3:sdp5:v=0\r\n1:ni-12ee";
	size_t len = strlen(req);
	struct bencode_pool *whole = bencode_pool_new();

	CU_ASSERT_PTR_NOT_NULL(bencode_decode(whole, req, len, NULL, NULL, 0));
	bencode_pool_free(whole);
	for (size_t cut = 0; cut < len; cut++) {
		struct bencode_pool *p = bencode_pool_new();
		char err[128];
		char *copy = malloc(cut ? cut : 1);

		memcpy(copy, req, cut);
		CU_ASSERT_PTR_NULL(bencode_decode(p, copy, cut, NULL, err, sizeof(err)));
		free(copy);
		bencode_pool_free(p);
	}
}

static void test_deep_nesting_is_limited(void)
{
	size_t depth = 100000;
	char *buf = malloc(2 * depth);
	struct bencode_pool *p = bencode_pool_new();
	char err[128];

	memset(buf, 'l', depth);
	memset(buf + depth, 'e', depth);
	CU_ASSERT_PTR_NULL(bencode_decode(p, buf, 2 * depth, NULL, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nesting"));
	/* Nesting within the limit is fine. */
	CU_ASSERT_PTR_NOT_NULL(bencode_decode(p, buf + depth - 10, 20, NULL, err, sizeof(err)));
	free(buf);
	bencode_pool_free(p);
}

static void test_used_reports_consumed_bytes(void)
{
	struct bencode_pool *p = bencode_pool_new();
	size_t used = 0;
	struct bencode *v = bencode_decode(p, "i5etrailing", 11, &used, NULL, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(v->i, 5);
	CU_ASSERT_EQUAL(used, 3);
	bencode_pool_free(p);
}

static void test_builders_and_lookup(void)
{
	struct bencode_pool *p = bencode_pool_new();
	struct bencode *d = bencode_dict(p), *l = bencode_list(p), *v;
	char buf[256];
	long n;

	CU_ASSERT_EQUAL(bencode_dict_add_cstr(p, d, "result", "ok"), 0);
	CU_ASSERT_EQUAL(bencode_dict_add_int(p, d, "n", -3), 0);
	CU_ASSERT_EQUAL(bencode_list_add(l, bencode_cstr(p, "Origin")), 0);
	CU_ASSERT_EQUAL(bencode_list_add(l, bencode_str(p, "a\0b", 3)), 0);
	CU_ASSERT_EQUAL(bencode_dict_add(p, d, "replace", l), 0);
	CU_ASSERT_EQUAL(bencode_list_add(d, bencode_int(p, 1)), -1);   /* not a list */
	CU_ASSERT_EQUAL(bencode_dict_add(p, l, "k", bencode_int(p, 1)), -1);
	CU_ASSERT_EQUAL(bencode_dict_add(p, d, "k", NULL), -1);

	n = bencode_encode(d, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (long)strlen("d6:result2:ok1:ni-3e7:replacel6:Origin3:a") + 4);
	CU_ASSERT(memcmp(buf, "d6:result2:ok1:ni-3e7:replacel6:Origin3:a\0bee", (size_t)n) == 0);

	CU_ASSERT(bencode_str_eq(bencode_dict_get(d, "result"), "ok"));
	CU_ASSERT(!bencode_str_eq(bencode_dict_get(d, "result"), "o"));
	CU_ASSERT_PTR_NULL(bencode_dict_get(d, "absent"));
	CU_ASSERT_PTR_NULL(bencode_dict_get(l, "result"));
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(p, d, "result"), "ok");
	CU_ASSERT_PTR_NULL(bencode_dict_cstr(p, d, "n"));          /* not a STR */
	CU_ASSERT(bencode_list_has(bencode_dict_get(d, "replace"), "origin"));
	CU_ASSERT(!bencode_list_has(bencode_dict_get(d, "replace"), "session-connection"));
	v = bencode_dict_get(d, "n");
	CU_ASSERT(v && v->type == BENCODE_INT && v->i == -3);
	bencode_pool_free(p);
}

static void test_encode_reports_full_length_when_truncated(void)
{
	struct bencode_pool *p = bencode_pool_new();
	struct bencode *d = bencode_dict(p);
	char buf[8];

	bencode_dict_add_cstr(p, d, "result", "pong");
	memset(buf, 'X', sizeof(buf));
	CU_ASSERT_EQUAL(bencode_encode(d, buf, 5), (long)strlen("d6:result4:ponge"));
	CU_ASSERT(memcmp(buf, "d6:reXXX", 8) == 0);
	CU_ASSERT_EQUAL(bencode_encode(d, NULL, 0), (long)strlen("d6:result4:ponge"));
	CU_ASSERT_EQUAL(bencode_encode(NULL, buf, sizeof(buf)), -1);
	bencode_pool_free(p);
}

static void test_pool_handles_large_strings(void)
{
	struct bencode_pool *p = bencode_pool_new();
	size_t n = 100000;
	char *big = malloc(n);
	struct bencode *s;

	memset(big, 'a', n);
	s = bencode_str(p, big, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->len, n);
	CU_ASSERT_EQUAL(s->s[n], '\0');
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_PTR_NOT_NULL(bencode_int(p, i));
	free(big);
	bencode_pool_free(p);
	bencode_pool_free(NULL);
}

UNIT_SUITE(bencode,
	   UNIT_TEST(test_valid_input_round_trips),
	   UNIT_TEST(test_hostile_input_is_rejected),
	   UNIT_TEST(test_every_truncation_of_a_request_fails_cleanly),
	   UNIT_TEST(test_deep_nesting_is_limited),
	   UNIT_TEST(test_used_reports_consumed_bytes),
	   UNIT_TEST(test_builders_and_lookup),
	   UNIT_TEST(test_encode_reports_full_length_when_truncated),
	   UNIT_TEST(test_pool_handles_large_strings))
