/*
 * test_metrics.c - the b2bua's attempt tally and its families
 * (b2bua/metrics.c): by trunk and code, answered = 2xx, failed = the
 * rest, codes outside 100-699 as "none", a bounded table.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sofia-sip/su_wait.h>
#include "unit.h"
#include "cdr_store.h"
#include "clock.h"
#include "metrics.h"
#include "prom.h"

/* The test's own listen address (127.0.0.90-.93 are this suite's). */
#define TEST_ADDR "127.0.0.90"
#define TEST_PORT 9392

static int has(const char *text, const char *l)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", l);
	return strstr(text, want) != NULL;
}

static void test_code_label(void)
{
	static const struct {
		int code;
		const char *label;
	} cases[] = {{200, "200"}, {486, "486"}, {100, "100"}, {699, "699"}, {0, "none"},
		     {99, "none"}, {700, "none"}, {-1, "none"}, {100000, "none"}};
	char buf[8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_STRING_EQUAL(metrics_code_label(cases[i].code, buf), cases[i].label);
}

static void test_tally_by_trunk_and_code(void)
{
	struct metrics_tally *t = calloc(1, sizeof(*t));
	struct prom_buf b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	metrics_tally_add(t, "carrier1", 200);
	metrics_tally_add(t, "carrier1", 200);
	metrics_tally_add(t, "carrier1", 503);
	metrics_tally_add(t, "carrier2", 486);
	metrics_tally_add(t, "carrier2", 0);     /* timeout: no final response */
	metrics_tally_add(t, "carrier2", 9999);  /* nonsense: same bucket */
	metrics_tally_add(t, "we\"ird", 202);
	CU_ASSERT_EQUAL(t->n, 5);
	prom_buf_init(&b);
	metrics_tally_write(t, &b);
	CU_ASSERT_FALSE(b.bad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.text);
	CU_ASSERT(has(b.text, "b2bua_trunk_attempts_total{trunk=\"carrier1\",code=\"200\"} 2"));
	CU_ASSERT(has(b.text, "b2bua_trunk_attempts_total{trunk=\"carrier1\",code=\"503\"} 1"));
	CU_ASSERT(has(b.text, "b2bua_trunk_attempts_total{trunk=\"carrier2\",code=\"none\"} 2"));
	CU_ASSERT(has(b.text, "b2bua_trunk_answered_total{trunk=\"carrier1\",code=\"200\"} 2"));
	CU_ASSERT(has(b.text, "b2bua_trunk_answered_total{trunk=\"we\\\"ird\",code=\"202\"} 1"));
	CU_ASSERT(!has(b.text, "b2bua_trunk_answered_total{trunk=\"carrier1\",code=\"503\"} 1"));
	CU_ASSERT(has(b.text, "b2bua_trunk_failed_total{trunk=\"carrier1\",code=\"503\"} 1"));
	CU_ASSERT(has(b.text, "b2bua_trunk_failed_total{trunk=\"carrier2\",code=\"486\"} 1"));
	CU_ASSERT(has(b.text, "b2bua_trunk_failed_total{trunk=\"carrier2\",code=\"none\"} 2"));
	CU_ASSERT(!has(b.text, "b2bua_trunk_failed_total{trunk=\"carrier1\",code=\"200\"} 2"));
	CU_ASSERT(has(b.text, "# TYPE b2bua_trunk_attempts_total counter"));
	CU_ASSERT(has(b.text, "b2bua_trunk_attempts_untracked_total 0"));
	prom_buf_free(&b);
	free(t);
}

/* Past METRICS_TALLY_MAX pairs, new ones are only counted apart; known
 * pairs still count. */
static void test_tally_is_bounded(void)
{
	struct metrics_tally *t = calloc(1, sizeof(*t));
	char name[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (int i = 0; i < METRICS_TALLY_MAX + 10; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		metrics_tally_add(t, name, 200);
	}
	CU_ASSERT_EQUAL(t->n, METRICS_TALLY_MAX);
	CU_ASSERT_EQUAL(t->overflow, 10);
	metrics_tally_add(t, "t0", 200);
	CU_ASSERT_EQUAL(t->e[0].n, 2);
	CU_ASSERT_EQUAL(t->overflow, 10);
	free(t);
}

/* A blocking GET /metrics on the listener, on a thread of its own. */
struct get {
	pthread_t t;
	char resp[65536];
	volatile int done;
};

static void *get_main(void *arg)
{
	struct get *g = arg;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(TEST_PORT)};
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, TEST_ADDR, &sin.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    write(fd, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1)
		while (len + 1 < sizeof(g->resp) && (n = read(fd, g->resp + len, sizeof(g->resp) - 1 - len)) > 0)
			len += (size_t)n;
	g->resp[len] = 0;
	if (fd >= 0)
		close(fd);
	g->done = 1;
	return NULL;
}

/* The scrape waits for the SIP thread's snapshot: none while the loop
 * does not run (503 once the wait is over), the loop's when it runs; the
 * tally fed through the attempt sink is in it. */
static void test_scrape_waits_for_the_loop(void)
{
	su_root_t *root;
	struct metrics *m = NULL;
	struct cdr_attempt a;
	struct get *g = calloc(1, sizeof(*g));
	char err[256];
	int64_t t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	su_init();
	root = su_root_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	if (metrics_new(&m, root, TEST_ADDR ":9392", NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "metrics_new: %s\n", err);
		CU_FAIL_FATAL("metrics_new");
	}
	/* No loop: after its 2 s wait the scrape has nothing to serve. */
	pthread_create(&g->t, NULL, get_main, g);
	pthread_join(g->t, NULL);
	CU_ASSERT_EQUAL(strncmp(g->resp, "HTTP/1.1 503", 12), 0);
	/* With the loop running, the SIP thread's text. */
	memset(&a, 0, sizeof(a));
	snprintf(a.trunk, sizeof(a.trunk), "carrier1");
	a.sip_code = 486;
	metrics_attempt_sink(m, 1, &a);   /* no CDR writer: counted only */
	memset(g, 0, sizeof(*g));
	t0 = clock_mono_ms();
	pthread_create(&g->t, NULL, get_main, g);
	for (int i = 0; i < 600 && !g->done; i++)
		su_root_step(root, 5);
	pthread_join(g->t, NULL);
	/* Served as soon as the loop rendered it, not at the end of the wait. */
	CU_ASSERT(clock_mono_ms() - t0 < 1000);
	CU_ASSERT_EQUAL(strncmp(g->resp, "HTTP/1.1 200", 12), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(g->resp, "text/plain; version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g->resp, "\nb2bua_trunk_failed_total{trunk=\"carrier1\",code=\"486\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g->resp, "\n# TYPE process_open_fds gauge\n"));
	/* A taken address is refused, saying so. */
	{
		struct metrics *m2 = NULL;

		CU_ASSERT_EQUAL(metrics_new(&m2, root, TEST_ADDR ":9392", NULL, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, TEST_ADDR ":9392: cannot bind: Address already in use"));
	}
	metrics_free(m);
	su_root_destroy(root);
	su_deinit();
	free(g);
}

UNIT_SUITE(metrics, UNIT_TEST(test_scrape_waits_for_the_loop), UNIT_TEST(test_code_label), UNIT_TEST(test_tally_by_trunk_and_code),
	   UNIT_TEST(test_tally_is_bounded));
