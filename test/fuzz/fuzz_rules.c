/*
 * fuzz_rules.c - the rule engines (policy/rules.c) with hostile input on
 * both sides: the input's first line is a pattern, its second a
 * replacement (both as an admin could write them into number_rules and
 * header_rules), the rest a subject as a peer could send it (a number,
 * a header value). The subject also meets a fixed set of ordinary rules.
 * Properties: a result always fits its buffer and is NUL-terminated; a
 * rewrite is 1, a copy 0 (then the subject unchanged) or -1; no rule
 * puts a line break into what goes into a SIP header; header rules never
 * touch a protected header and never grow the list past cap.
 */
#include "fuzz.h"
#include "rules.h"

static struct rules *fixed;

static const struct {
	enum policy_field field;
	const char *match, *replace;
} fixed_rules[] = {
	{POLICY_RURI, "^0([1-9]\\d+)$", "+49$1"},
	{POLICY_RURI, "^00(\\d+)$", "+$1"},
	{POLICY_FROM, "^(?<cc>\\+\\d\\d)(\\d+)$", "${cc}-$2"},
	{POLICY_TO, "(\\d)(\\d)?(\\d)?", "\\u$3\\E$2$1"},
	{POLICY_DISPLAY, "^(.*)$", "Caller $1"},
	{POLICY_PAI, "(1+)+2", "X"},
};

static void init(void)
{
	char err[256];

	if (fixed)
		return;
	fixed = rules_new();
	FUZZ_REQUIRE(fixed != NULL);
	for (size_t i = 0; i < sizeof(fixed_rules) / sizeof(fixed_rules[0]); i++)
		FUZZ_REQUIRE(rules_add_number(fixed, (int)i + 1, RULES_ALL_TRUNKS, POLICY_IN, fixed_rules[i].field,
					      fixed_rules[i].match, fixed_rules[i].replace, 1, err,
					      sizeof(err)) == 0);
	FUZZ_REQUIRE(rules_add_header(fixed, 1, RULES_ALL_TRUNKS, POLICY_OUT, RULES_REPLACE, "X-Num", "\\d",
				      "#", 1, err, sizeof(err)) == 0);
	rules_finish(fixed);
}

static void number(const struct rules *r, enum policy_field f, const char *subject)
{
	char out[64];
	int rc;

	memset(out, 'Z', sizeof(out));
	rc = rules_number_rewrite(r, 1, POLICY_IN, f, subject, out, sizeof(out));
	FUZZ_REQUIRE(rc >= -1 && rc <= 1);
	FUZZ_REQUIRE(memchr(out, 0, sizeof(out)) != NULL);
	if (rc == 0)
		FUZZ_REQUIRE(strcmp(out, subject) == 0);
	/* What goes into a SIP header never gains a line break. */
	if (rc == 1 && !strpbrk(subject, "\r\n"))
		FUZZ_REQUIRE(!strpbrk(out, "\r\n"));
}

static void headers(const struct rules *r, const char *subject)
{
	struct policy_hdr h[4];
	size_t n;

	memset(h, 0, sizeof(h));
	snprintf(h[0].name, sizeof(h[0].name), "X-Num");
	snprintf(h[0].value, sizeof(h[0].value), "%s", subject);
	snprintf(h[1].name, sizeof(h[1].name), "Via");
	snprintf(h[1].value, sizeof(h[1].value), "%s", subject);
	n = rules_header_apply(r, 1, POLICY_OUT, h, 2, 3);
	FUZZ_REQUIRE(n <= 3);
	for (size_t i = 0; i < n; i++) {
		FUZZ_REQUIRE(memchr(h[i].name, 0, sizeof(h[i].name)) != NULL);
		FUZZ_REQUIRE(memchr(h[i].value, 0, sizeof(h[i].value)) != NULL);
	}
	if (!strpbrk(subject, "\r\n"))
		for (size_t i = 0; i < n; i++)
			FUZZ_REQUIRE(!strpbrk(h[i].value, "\r\n"));
	/* Via is protected: never removed, never changed. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i].name, "Via") == 0) {
			char want[sizeof(h[i].value)];

			snprintf(want, sizeof(want), "%s", subject);
			FUZZ_REQUIRE(strcmp(h[i].value, want) == 0);
		}
}

int fuzz_rules(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *pattern, *replace, *subject, *nl, err[256];
	struct rules *r;

	if (!s)
		return 0;
	init();
	pattern = s;
	nl = strchr(pattern, '\n');
	replace = nl ? (*nl = 0, nl + 1) : (char *)"";
	nl = strchr(replace, '\n');
	subject = nl ? (*nl = 0, nl + 1) : (char *)"";
	for (int f = POLICY_RURI; f <= POLICY_DISPLAY; f++)
		number(fixed, (enum policy_field)f, subject);
	headers(fixed, subject);
	r = rules_new();
	if (r) {
		int a = rules_add_number(r, 1, RULES_ALL_TRUNKS, POLICY_IN, POLICY_RURI, pattern, replace, 1, err,
					 sizeof(err));
		int b = rules_add_header(r, 2, RULES_ALL_TRUNKS, POLICY_OUT, (enum rules_action)(size % 3),
					 size % 2 ? "X-Num" : "Via", pattern, replace, 1, err, sizeof(err));

		(void)a;
		(void)b;
		rules_finish(r);
		number(r, POLICY_RURI, subject);
		headers(r, subject);
		rules_free(r);
	}
	free(s);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_rules(data, size);
}
#endif
