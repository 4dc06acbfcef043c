/*
 * test_prom.c - the Prometheus text exposition (media-relay/wire/prom.c)
 * and the relay's fallback-free listener parse (wire/prom_http.c).
 */
#include <string.h>
#include <sys/socket.h>
#include "unit.h"
#include "prom.h"
#include "prom_http.h"

static void test_names(void)
{
	static const struct {
		const char *name;
		int metric, label;
	} cases[] = {
		{"a", 1, 1},           {"_x", 1, 1},         {"b2bua_calls_total", 1, 1}, {"ns:sub_total", 1, 0},
		{"9abc", 0, 0},        {"", 0, 0},           {"has-dash", 0, 0},          {"sp ace", 0, 0},
		{"__reserved", 1, 0},  {"é", 0, 0},          {"a9", 1, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(prom_name_ok(cases[i].name), cases[i].metric);
		CU_ASSERT_EQUAL(prom_label_name_ok(cases[i].name), cases[i].label);
	}
	CU_ASSERT_FALSE(prom_name_ok(NULL));
}

static void test_escape_value(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "plain"}, {"a\"b", "a\\\"b"}, {"back\\slash", "back\\\\slash"},
		{"two\nlines", "two\\nlines"}, {"", ""}, {"\"\\\n", "\\\"\\\\\\n"},
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = prom_escape_value(buf, sizeof(buf), cases[i].in);

		CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
		CU_ASSERT_EQUAL(n, strlen(cases[i].out));
	}
	/* Cut short, still terminated; the length needed is returned. */
	CU_ASSERT_EQUAL(prom_escape_value(buf, 4, "a\"bcdef"), 8);
	CU_ASSERT_STRING_EQUAL(buf, "a\\\"");
}

static void test_family_and_samples(void)
{
	struct prom_buf b;
	struct prom_label l[2] = {{"trunk", "we\"ird\\name\n"}, {"code", "486"}};

	prom_buf_init(&b);
	prom_family(&b, "x_attempts_total", PROM_COUNTER, "Attempts \\ by trunk\nand code.");
	prom_sample_u64(&b, "x_attempts_total", l, 2, 18446744073709551615ULL);
	prom_family(&b, "x_cps", PROM_GAUGE, "Now.");
	prom_sample_dbl(&b, "x_cps", NULL, 0, 0.5);
	prom_sample_dbl(&b, "x_cps", NULL, 0, 1.0 / 0.0);
	CU_ASSERT_FALSE(b.bad);
	CU_ASSERT_FALSE(b.oom);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.text);
	CU_ASSERT_STRING_EQUAL(b.text,
			       "# HELP x_attempts_total Attempts \\\\ by trunk\\nand code.\n"
			       "# TYPE x_attempts_total counter\n"
			       "x_attempts_total{trunk=\"we\\\"ird\\\\name\\n\",code=\"486\"} 18446744073709551615\n"
			       "# HELP x_cps Now.\n# TYPE x_cps gauge\n"
			       "x_cps 0.5\nx_cps +Inf\n");
	CU_ASSERT_EQUAL(b.len, strlen(b.text));
	prom_buf_free(&b);
}

static void test_refused_names(void)
{
	struct prom_buf b;
	struct prom_label bad = {"bad-label", "v"};

	/* A counter without _total, a bad metric name, a bad label name:
	 * nothing written, the buffer says so. */
	prom_buf_init(&b);
	prom_family(&b, "x_attempts", PROM_COUNTER, "no suffix");
	CU_ASSERT_TRUE(b.bad);
	CU_ASSERT_EQUAL(b.len, 0);
	prom_buf_free(&b);
	prom_buf_init(&b);
	prom_sample_u64(&b, "1x", NULL, 0, 1);
	CU_ASSERT_TRUE(b.bad);
	CU_ASSERT_EQUAL(b.len, 0);
	prom_buf_free(&b);
	prom_buf_init(&b);
	prom_sample_u64(&b, "x", &bad, 1, 1);
	CU_ASSERT_TRUE(b.bad);
	CU_ASSERT_EQUAL(b.len, 0);
	prom_buf_free(&b);
	prom_buf_init(&b);
	prom_family(&b, "x_total", PROM_COUNTER, "fine");
	CU_ASSERT_FALSE(b.bad);
	prom_buf_free(&b);
}

static void test_histogram(void)
{
	static const double bounds[] = {0.001, 0.01, 0.1};
	struct prom_hist h;
	struct prom_buf b;
	struct prom_label l = {"relay", "127.0.0.1:2223"};

	prom_hist_init(&h, bounds, 3);
	prom_hist_observe(&h, 0.0005);
	prom_hist_observe(&h, 0.001);   /* le is inclusive */
	prom_hist_observe(&h, 0.05);
	prom_hist_observe(&h, 3);
	CU_ASSERT_EQUAL(h.count, 4);
	prom_buf_init(&b);
	prom_hist_write(&b, "rtt_seconds", &l, 1, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.text);
	CU_ASSERT_STRING_EQUAL(b.text,
			       "rtt_seconds_bucket{relay=\"127.0.0.1:2223\",le=\"0.001\"} 2\n"
			       "rtt_seconds_bucket{relay=\"127.0.0.1:2223\",le=\"0.01\"} 2\n"
			       "rtt_seconds_bucket{relay=\"127.0.0.1:2223\",le=\"0.1\"} 3\n"
			       "rtt_seconds_bucket{relay=\"127.0.0.1:2223\",le=\"+Inf\"} 4\n"
			       "rtt_seconds_sum{relay=\"127.0.0.1:2223\"} 3.0515\n"
			       "rtt_seconds_count{relay=\"127.0.0.1:2223\"} 4\n");
	prom_buf_free(&b);
	/* Without labels: le alone. */
	prom_buf_init(&b);
	prom_hist_init(&h, bounds, 1);
	prom_hist_write(&b, "c_seconds", NULL, 0, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.text);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.text, "c_seconds_bucket{le=\"+Inf\"} 0\n"));
	prom_buf_free(&b);
}

static void test_listen_parse(void)
{
	static const struct {
		const char *in;
		int ok, family;
	} cases[] = {
		{"127.0.0.1:9090", 1, AF_INET}, {"[::1]:9090", 1, AF_INET6}, {"0.0.0.0:1", 1, AF_INET},
		{"127.0.0.1", 0, 0},            {":9090", 0, 0},             {"127.0.0.1:0", 0, 0},
		{"127.0.0.1:65536", 0, 0},      {"localhost:9090", 0, 0},    {"[::1:9090", 0, 0},
		{"127.0.0.1:90x", 0, 0},        {"", 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		char err[200] = "";
		int rc = prom_http_parse(cases[i].in, &ss, &len, err, sizeof(err));

		CU_ASSERT_EQUAL(rc == 0, cases[i].ok);
		if (rc == 0) {
			CU_ASSERT_EQUAL(ss.ss_family, cases[i].family);
		} else {
			CU_ASSERT(err[0] != 0);
		}
	}
}

UNIT_SUITE(prom, UNIT_TEST(test_names), UNIT_TEST(test_escape_value), UNIT_TEST(test_family_and_samples),
	   UNIT_TEST(test_refused_names), UNIT_TEST(test_histogram), UNIT_TEST(test_listen_parse));
