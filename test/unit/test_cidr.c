/*
 * test_cidr.c - CIDR parsing and most-specific matching (cidr.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "cidr.h"

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		CU_ASSERT_EQUAL(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		CU_ASSERT_EQUAL(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static void test_parse_good_and_bad(void)
{
	static const struct {
		const char *text;
		int ok, family, bits;
	} cases[] = {
		{"10.0.0.0/8", 1, AF_INET, 8},
		{"192.0.2.7", 1, AF_INET, 32},
		{"0.0.0.0/0", 1, AF_INET, 0},
		{"2001:db8::/32", 1, AF_INET6, 32},
		{"::1", 1, AF_INET6, 128},
		{"::ffff:10.0.0.0/104", 1, AF_INET6, 104},
		{"10.0.0.0/33", 0, 0, 0},
		{"2001:db8::/129", 0, 0, 0},
		{"10.0.0/8", 0, 0, 0},
		{"10.0.0.0/", 0, 0, 0},
		{"10.0.0.0/8x", 0, 0, 0},
		{"10.0.0.0/-1", 0, 0, 0},
		{"host.example", 0, 0, 0},
		{"", 0, 0, 0},
		{"/8", 0, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		char err[128] = "";
		int rc = cidr_parse(&c, cases[i].text, err, sizeof(err));

		if ((rc == 0) != cases[i].ok)
			fprintf(stderr, "cidr '%s': rc %d err '%s'\n", cases[i].text, rc, err);
		CU_ASSERT_EQUAL(rc == 0, cases[i].ok);
		if (cases[i].ok) {
			CU_ASSERT_EQUAL(c.family, cases[i].family);
			CU_ASSERT_EQUAL(c.bits, cases[i].bits);
		} else {
			CU_ASSERT(err[0] != 0);
		}
	}
}

static void test_match_v4_v6_and_mapped(void)
{
	static const struct {
		const char *cidr, *addr;
		int want;
	} cases[] = {
		{"10.0.0.0/8", "10.200.1.1", 1},
		{"10.0.0.0/8", "11.0.0.1", 0},
		{"192.0.2.0/25", "192.0.2.127", 1},
		{"192.0.2.0/25", "192.0.2.128", 0},
		{"192.0.2.7", "192.0.2.7", 1},
		{"192.0.2.7", "192.0.2.8", 0},
		{"10.1.2.3/8", "10.9.9.9", 1},              /* host bits ignored */
		{"0.0.0.0/0", "203.0.113.1", 1},
		{"2001:db8::/32", "2001:db8:1::5", 1},
		{"2001:db8::/32", "2001:db9::5", 0},
		{"::1", "::1", 1},
		{"::1/128", "::2", 0},
		{"127.0.0.2/32", "::ffff:127.0.0.2", 1},    /* mapped v6 peer, v4 block */
		{"127.0.0.2/32", "::ffff:127.0.0.3", 0},
		{"127.0.0.0/8", "::127.0.0.2", 0},          /* compatible, not mapped */
		{"::ffff:10.0.0.0/104", "10.1.1.1", 1},     /* v4 peer, mapped v6 block */
		{"2001:db8::/32", "10.1.1.1", 0},
		{"10.0.0.0/8", "2001:db8::1", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		char err[128];
		struct sockaddr_storage ss = addr(cases[i].addr);

		CU_ASSERT_EQUAL_FATAL(cidr_parse(&c, cases[i].cidr, err, sizeof(err)), 0);
		if (cidr_match(&c, (struct sockaddr *)&ss) != cases[i].want)
			fprintf(stderr, "cidr %s vs %s: want %d\n", cases[i].cidr, cases[i].addr, cases[i].want);
		CU_ASSERT_EQUAL(cidr_match(&c, (struct sockaddr *)&ss), cases[i].want);
	}
}

static void test_table_most_specific_wins(void)
{
	static const char *const blocks[] = {
		"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "0.0.0.0/0", "2001:db8::/32", "2001:db8:5::/48",
	};
	static const struct {
		const char *addr;
		int want;       /* index into blocks, -1 none */
	} cases[] = {
		{"10.1.2.3", 2}, {"10.1.9.9", 1}, {"10.9.9.9", 0}, {"8.8.8.8", 3},
		{"::ffff:10.1.2.3", 2}, {"2001:db8:5::1", 5}, {"2001:db8:6::1", 4}, {"2001:db9::1", -1},
	};
	struct cidr_table *t = cidr_table_new();
	int idx[6];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (int i = 0; i < 6; i++) {
		struct cidr c;
		char err[128];

		idx[i] = i;
		CU_ASSERT_EQUAL_FATAL(cidr_parse(&c, blocks[i], err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(cidr_table_add(t, &c, &idx[i]), 0);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = addr(cases[i].addr);
		int *got = cidr_table_lookup(t, (struct sockaddr *)&ss);

		if (cases[i].want < 0) {
			CU_ASSERT_PTR_NULL(got);
		} else {
			CU_ASSERT_PTR_NOT_NULL_FATAL(got);
			if (*got != cases[i].want)
				fprintf(stderr, "table %s: got %s\n", cases[i].addr, blocks[*got]);
			CU_ASSERT_EQUAL(*got, cases[i].want);
		}
	}
	cidr_table_free(t);
}

UNIT_SUITE(cidr,
	   UNIT_TEST(test_parse_good_and_bad),
	   UNIT_TEST(test_match_v4_v6_and_mapped),
	   UNIT_TEST(test_table_most_specific_wins))
