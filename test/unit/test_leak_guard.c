/*
 * test_leak_guard.c - the last check on what crosses from one side of a
 * call to the other (b2bua/leak_guard.c): whole tokens only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "unit.h"
#include "leak_guard.h"

static struct leak_set inside(void)
{
	struct leak_set s = {0};
	struct sockaddr_in sa = {.sin_family = AF_INET};

	inet_pton(AF_INET, "10.20.30.40", &sa.sin_addr);
	leak_set_add_addr(&s, (struct sockaddr *)&sa);
	leak_set_add(&s, "Call-ID", "a84b4c76e66710@pbx.internal");
	leak_set_add(&s, "host", "pbx.internal");
	leak_set_add(&s, "address", "2001:db8::5");
	leak_set_add(&s, "tag", "1928301774");
	return s;
}

static void test_finds_whole_tokens(void)
{
	static const struct {
		const char *text, *want;   /* what[] of the hit, or NULL */
	} cases[] = {
		{"c=IN IP4 10.20.30.40\r\n", "address"},
		{"<sip:1001@10.20.30.40:5060>", "address"},          /* a port after IPv4 */
		{"a=ssrc:1 cname:sip:1000@10.20.30.40", "address"},
		{"c=IN IP4 110.20.30.40", NULL},                     /* a longer address */
		{"c=IN IP4 10.20.30.401", NULL},
		{"m=audio 10.20.30.40.5 RTP/AVP", NULL},
		{"Call-ID: a84b4c76e66710@pbx.internal", "Call-ID"},
		{"Contact: <sip:x@PBX.INTERNAL>", "host"},            /* any case */
		{"u=http://mypbx.internal/", NULL},
		{"c=IN IP6 2001:db8::5", "address"},
		{"c=IN IP6 2001:db8::50", NULL},                     /* a colon continues IPv6 */
		{"From: <sip:a@b>;tag=1928301774", "tag"},
		{"i=call 19283017745", NULL},
		{"", NULL},
	};
	struct leak_set s = inside();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *found = NULL;
		const char *what = leak_find(&s, cases[i].text, strlen(cases[i].text), &found);

		if ((what == NULL) != (cases[i].want == NULL) || (what && strcmp(what, cases[i].want) != 0))
			fprintf(stderr, "leak case %zu: '%s' -> %s\n", i, cases[i].text, what ? what : "none");
		CU_ASSERT((what == NULL) == (cases[i].want == NULL));
		if (what && cases[i].want)
			CU_ASSERT_STRING_EQUAL(what, cases[i].want);
	}
}

static void test_set_ignores_what_says_nothing(void)
{
	struct leak_set s = {0};

	leak_set_add(&s, "address", "0.0.0.0");
	leak_set_add(&s, "tag", "ab");
	leak_set_add(&s, "tag", "");
	leak_set_add(&s, "tag", NULL);
	leak_set_add(&s, "host", "pbx.internal");
	leak_set_add(&s, "host", "PBX.internal");   /* already there */
	CU_ASSERT_EQUAL(s.n, 1);
	for (int i = 0; i < 20; i++) {
		char t[16];

		snprintf(t, sizeof(t), "token%02d", i);
		leak_set_add(&s, "tag", t);
	}
	CU_ASSERT_EQUAL(s.n, LEAK_MAX);
	CU_ASSERT_PTR_NULL(leak_find(NULL, "x", 1, NULL));
}

UNIT_SUITE(leak_guard, UNIT_TEST(test_finds_whole_tokens), UNIT_TEST(test_set_ignores_what_says_nothing))
