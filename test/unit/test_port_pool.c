/*
 * test_port_pool.c - RTP/RTCP port pairs (media-relay/port_pool.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "port_pool.h"

/* This suite's own loopback address (issue 13's tests: .110 - .115). */
#define IP "127.0.0.110"

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

/* Can a UDP socket bind ip:port now? (no: one of ours holds it) */
static int bindable(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	inet_pton(AF_INET, IP, &a.sin_addr);
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return rc == 0;
}

/* Waits (up to 2 s) for the refill thread to have n pairs ready. */
static int wait_ready(struct port_pool *p, int n)
{
	for (int i = 0; i < 400; i++) {
		if (port_pool_ready(p) == n)
			return 1;
		nanosleep(&(struct timespec){0, 5000000}, NULL);
	}
	return 0;
}

static int local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	return getsockname(fd, (struct sockaddr *)&a, &len) == 0 ? ntohs(a.sin_port) : -1;
}

static void give_back(struct port_pool *p, struct port_pair *pp)
{
	close(pp->fd[0]);
	close(pp->fd[1]);
	port_pool_put(p, pp->port);
}

/* The refill thread binds pairs ahead; a take hands out the oldest ready
 * pair (not a fresh bind), the ring fills up again, and ready pairs do
 * not count as in use. */
static void test_prefill_binds_ahead_and_take_uses_them(void)
{
	struct port_pool *p = port_pool_new(44100, 44199);
	struct port_pair pp, more[3];
	char err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(port_pool_prefill(p, IP, 8, err, sizeof(err)), 0);
	CU_ASSERT_TRUE_FATAL(wait_ready(p, 8));
	CU_ASSERT_EQUAL(port_pool_in_use(p), 0);
	for (int port = 44100; port < 44116; port++)
		CU_ASSERT_FALSE(bindable(port));            /* bound ahead, RTP and RTCP */
	CU_ASSERT_TRUE(bindable(44116));
	CU_ASSERT_EQUAL_FATAL(port_pool_take(p, IP, &pp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(pp.port, 44100);                    /* the oldest ready pair */
	CU_ASSERT_EQUAL(local_port(pp.fd[0]), 44100);
	CU_ASSERT_EQUAL(local_port(pp.fd[1]), 44101);
	CU_ASSERT_EQUAL(port_pool_in_use(p), 1);
	/* Half empty: refilled to the top. */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL_FATAL(port_pool_take(p, IP, &more[i], err, sizeof(err)), 0);
	CU_ASSERT_TRUE(wait_ready(p, 8));
	CU_ASSERT_FALSE(bindable(44116));
	CU_ASSERT_EQUAL(port_pool_in_use(p), 4);
	give_back(p, &pp);
	for (int i = 0; i < 3; i++)
		give_back(p, &more[i]);
	CU_ASSERT_EQUAL(port_pool_in_use(p), 0);
	port_pool_free(p);
	/* Freed: every socket it held is closed. */
	for (int port = 44100; port < 44120; port++)
		CU_ASSERT_TRUE(bindable(port));
}

/* A range smaller than the ring: all of it ready, then exhausted, and a
 * pair given back is bound again by the thread. */
static void test_prefill_exhausts_and_recovers(void)
{
	struct port_pool *p = port_pool_new(44200, 44203);   /* two pairs */
	struct port_pair a, b, c;
	char err[128] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(port_pool_prefill(p, IP, PORT_POOL_READY, err, sizeof(err)), 0);
	CU_ASSERT_TRUE_FATAL(wait_ready(p, 2));
	CU_ASSERT_EQUAL_FATAL(port_pool_take(p, IP, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(port_pool_take(p, IP, &b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(port_pool_take(p, IP, &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "ports exhausted");
	CU_ASSERT_EQUAL(port_pool_in_use(p), 2);
	give_back(p, &a);
	CU_ASSERT_TRUE(wait_ready(p, 1));
	CU_ASSERT_EQUAL_FATAL(port_pool_take(p, IP, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.port, a.port);
	give_back(p, &b);
	give_back(p, &c);
	port_pool_free(p);
}

/* Without a refill thread (or with the ring empty) take binds itself,
 * skipping numbers another socket holds. */
static void test_take_binds_inline_and_skips_held_ports(void)
{
	struct port_pool *p = port_pool_new(44300, 44309);
	struct sockaddr_in held = {.sin_family = AF_INET, .sin_port = htons(44301)};
	int other = socket(AF_INET, SOCK_DGRAM, 0);
	struct port_pair pp;
	char err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	inet_pton(AF_INET, IP, &held.sin_addr);
	CU_ASSERT_EQUAL_FATAL(bind(other, (struct sockaddr *)&held, sizeof(held)), 0);
	CU_ASSERT_EQUAL_FATAL(port_pool_take(p, IP, &pp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(pp.port, 44302);                    /* 44300's RTCP is taken */
	CU_ASSERT_EQUAL(port_pool_in_use(p), 1);
	give_back(p, &pp);
	CU_ASSERT_EQUAL(port_pool_in_use(p), 0);
	CU_ASSERT_EQUAL(port_pool_take(p, "not-an-address", &pp, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(port_pool_in_use(p), 0);
	close(other);
	port_pool_free(p);
}

/* A packet that reached a ready socket before its call is dropped at
 * take: the call sees only its own peers. */
static void test_take_drops_early_packets(void)
{
	struct port_pool *p = port_pool_new(44400, 44409);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(44400)};
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct port_pair pp;
	char err[128], b[16];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(port_pool_prefill(p, IP, 2, err, sizeof(err)), 0);
	CU_ASSERT_TRUE_FATAL(wait_ready(p, 2));
	inet_pton(AF_INET, IP, &to.sin_addr);
	for (int k = 0; k < 2; k++) {
		to.sin_port = htons((uint16_t)(44400 + k));
		CU_ASSERT(sendto(tx, "stale", 5, 0, (struct sockaddr *)&to, sizeof(to)) == 5);
	}
	nanosleep(&(struct timespec){0, 20000000}, NULL);
	CU_ASSERT_EQUAL_FATAL(port_pool_take(p, IP, &pp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(pp.port, 44400);
	for (int k = 0; k < 2; k++) {
		errno = 0;
		CU_ASSERT_EQUAL(recv(pp.fd[k], b, sizeof(b), MSG_DONTWAIT), -1);
		CU_ASSERT_EQUAL(errno, EAGAIN);
	}
	give_back(p, &pp);
	close(tx);
	port_pool_free(p);
}

UNIT_SUITE(port_pool,
	   UNIT_TEST(test_prefill_binds_ahead_and_take_uses_them),
	   UNIT_TEST(test_prefill_exhausts_and_recovers),
	   UNIT_TEST(test_take_binds_inline_and_skips_held_ports),
	   UNIT_TEST(test_take_drops_early_packets),
	   UNIT_TEST(test_ranges),
	   UNIT_TEST(test_pairs_are_even_and_exhaust),
	   UNIT_TEST(test_freed_port_not_reused_at_once),
	   UNIT_TEST(test_bad_puts_are_ignored))
