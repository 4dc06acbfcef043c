/*
 * test_guard.c - rate limits, bans and the kernel filter (b2bua/guard.c),
 * the filter tried on real loopback sockets: a banned source's datagrams
 * and TCP connections never reach the socket, other sources' do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "unit.h"
#include "guard.h"

static struct sockaddr_in v4(const char *ip, int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	return sin;
}

static enum guard_verdict check(struct guard *g, const char *ip, int trusted, int64_t now)
{
	struct sockaddr_in sin = v4(ip, 5060);

	return guard_check(g, (struct sockaddr *)&sin, trusted, now);
}

static void test_rate_limit_then_ban_of_a_stranger(void)
{
	struct guard_config cfg = {.rate_pps = 10, .ban_after = 5, .ban_s = 60};
	struct guard *g;
	struct guard_stats st;
	char buf[256];
	int pass = 0, limited = 0;

	CU_ASSERT_EQUAL_FATAL(guard_new(&g, &cfg), 0);
	/* A fresh source has one second's worth of tokens. */
	for (int i = 0; i < 14; i++) {
		enum guard_verdict v = check(g, "192.0.2.9", 0, 1000);

		pass += v == GUARD_PASS;
		limited += v == GUARD_LIMITED;
	}
	CU_ASSERT_EQUAL(pass, 10);
	CU_ASSERT_EQUAL(limited, 4);
	CU_ASSERT_EQUAL(check(g, "192.0.2.9", 0, 1000), GUARD_LIMITED);   /* the 5th: banned now */
	CU_ASSERT_EQUAL(check(g, "192.0.2.9", 0, 1000), GUARD_BANNED);
	CU_ASSERT_EQUAL(check(g, "192.0.2.9", 0, 30000), GUARD_BANNED);   /* tokens do not lift a ban */
	CU_ASSERT_EQUAL(check(g, "192.0.2.10", 0, 1000), GUARD_PASS);     /* another source */
	guard_list(g, buf, sizeof(buf), 1000);
	CU_ASSERT_STRING_EQUAL(buf, "192.0.2.9 60s refused 7\n");
	guard_stats(g, &st);
	CU_ASSERT_EQUAL(st.active_bans, 1);
	CU_ASSERT_EQUAL(st.bans, 1);
	/* Time is up: the ban goes, the source starts afresh. */
	guard_tick(g, 61001);
	CU_ASSERT_EQUAL(check(g, "192.0.2.9", 0, 61001), GUARD_PASS);
	guard_list(g, buf, sizeof(buf), 61001);
	CU_ASSERT_STRING_EQUAL(buf, "");
	guard_free(g);
}

static void test_trunks_are_limited_never_banned(void)
{
	struct guard_config cfg = {.rate_pps = 2, .ban_after = 1, .ban_s = 60};
	struct guard *g;

	CU_ASSERT_EQUAL_FATAL(guard_new(&g, &cfg), 0);
	for (int i = 0; i < 50; i++)
		check(g, "198.51.100.1", 1, 5000);
	CU_ASSERT_EQUAL(check(g, "198.51.100.1", 1, 5000), GUARD_LIMITED);
	CU_ASSERT_EQUAL(check(g, "198.51.100.1", 1, 6000), GUARD_PASS);   /* refilled */
	guard_free(g);
}

static void test_unban_by_address_and_all(void)
{
	struct guard_config cfg = {.rate_pps = 1, .ban_after = 1, .ban_s = 600};
	struct guard *g;
	struct sockaddr_in6 six;

	CU_ASSERT_EQUAL_FATAL(guard_new(&g, &cfg), 0);
	for (int i = 0; i < 3; i++) {
		check(g, "192.0.2.1", 0, 0);
		check(g, "192.0.2.2", 0, 0);
	}
	memset(&six, 0, sizeof(six));
	six.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::7", &six.sin6_addr);
	for (int i = 0; i < 3; i++)
		guard_check(g, (struct sockaddr *)&six, 0, 0);
	CU_ASSERT_EQUAL(guard_check(g, (struct sockaddr *)&six, 0, 0), GUARD_BANNED);
	/* An IPv4 peer seen on a dual-stack socket is the same IPv4 source. */
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &six.sin6_addr);
	CU_ASSERT_EQUAL(guard_check(g, (struct sockaddr *)&six, 0, 0), GUARD_BANNED);
	CU_ASSERT_EQUAL(guard_unban(g, "192.0.2.1"), 0);
	CU_ASSERT_EQUAL(guard_unban(g, "192.0.2.1"), -1);
	CU_ASSERT_EQUAL(guard_unban(g, "not-an-address"), -1);
	CU_ASSERT_EQUAL(check(g, "192.0.2.1", 0, 0), GUARD_PASS);
	CU_ASSERT_EQUAL(check(g, "192.0.2.2", 0, 0), GUARD_BANNED);
	CU_ASSERT_EQUAL(guard_unban(g, "all"), 0);
	CU_ASSERT_EQUAL(check(g, "192.0.2.2", 0, 0), GUARD_PASS);
	guard_free(g);
}

/* ---- the kernel filter on real sockets ---- */

static int udp_from(const char *ip)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = v4(ip, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends one datagram from each source; which arrived: bit 0 = first. */
static int arrived(int rx, int port, int a, int b)
{
	struct sockaddr_in to = v4("127.0.0.1", port);
	char buf[16];
	int got = 0;

	sendto(a, "a", 1, 0, (struct sockaddr *)&to, sizeof(to));
	sendto(b, "b", 1, 0, (struct sockaddr *)&to, sizeof(to));
	for (;;) {
		struct pollfd pf = {rx, POLLIN, 0};

		if (poll(&pf, 1, 200) <= 0 || recv(rx, buf, sizeof(buf), 0) != 1)
			break;
		got |= buf[0] == 'a' ? 1 : 2;
	}
	return got;
}

static int bound(int type, int *port)
{
	int fd = socket(AF_INET, type, 0), one = 1;
	struct sockaddr_in sin = v4("127.0.0.1", 0);
	socklen_t len = sizeof(sin);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

/* 1 when a TCP connection from ip to port is accepted within 300 ms. */
static int tcp_connects(const char *ip, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	struct sockaddr_in from = v4(ip, 0), to = v4("127.0.0.1", port);
	struct pollfd pf;
	socklen_t len = sizeof(err);

	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return 0;
	}
	pf.fd = fd;
	pf.events = POLLOUT;
	if (poll(&pf, 1, 300) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		close(fd);
		return 0;
	}
	close(fd);
	return 1;
}

static void test_filter_drops_banned_source_on_real_sockets(void)
{
	struct guard_config cfg = {.rate_pps = 1, .ban_after = 1, .ban_s = 600};
	struct guard *g;
	char err[128];
	int port, rx = bound(SOCK_DGRAM, &port), lst, tport;
	int a = udp_from("127.0.0.9"), b = udp_from("127.0.0.2");

	CU_ASSERT_FATAL(rx >= 0 && a >= 0 && b >= 0);
	CU_ASSERT_EQUAL_FATAL(guard_new(&g, &cfg), 0);
	CU_ASSERT_EQUAL(guard_attach_port(g, port, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(arrived(rx, port, a, b), 3);
	for (int i = 0; i < 4; i++)
		check(g, "127.0.0.9", 0, 0);
	CU_ASSERT_EQUAL(check(g, "127.0.0.9", 0, 0), GUARD_BANNED);
	CU_ASSERT_EQUAL(arrived(rx, port, a, b), 2);      /* .9 dropped by the kernel */
	CU_ASSERT_EQUAL(guard_unban(g, "127.0.0.9"), 0);
	CU_ASSERT_EQUAL(arrived(rx, port, a, b), 3);
	guard_free(g);

	/* TCP: a banned source cannot even connect. */
	lst = bound(SOCK_STREAM, &tport);
	CU_ASSERT_FATAL(lst >= 0 && listen(lst, 8) == 0);
	CU_ASSERT_EQUAL_FATAL(guard_new(&g, &cfg), 0);
	CU_ASSERT_EQUAL(guard_attach_port(g, tport, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(tcp_connects("127.0.0.9", tport), 1);
	for (int i = 0; i < 4; i++)
		check(g, "127.0.0.9", 0, 0);
	CU_ASSERT_EQUAL(tcp_connects("127.0.0.9", tport), 0);
	CU_ASSERT_EQUAL(tcp_connects("127.0.0.2", tport), 1);
	guard_free(g);
	close(lst);
	close(rx);
	close(a);
	close(b);
}

static void test_filter_passes_only_allowed_networks_when_dropping_strangers(void)
{
	struct guard_config cfg = {.rate_pps = 100, .ban_after = 0, .ban_s = 1, .drop_strangers = 1};
	struct policy_net allowed = {.family = AF_INET, .bits = 30};
	struct guard *g;
	char err[128];
	int port, rx = bound(SOCK_DGRAM, &port);
	int a = udp_from("127.0.0.9"), b = udp_from("127.0.0.2");

	inet_pton(AF_INET, "127.0.0.0", allowed.addr);   /* 127.0.0.0/30: .2 yes, .9 no */
	CU_ASSERT_FATAL(rx >= 0 && a >= 0 && b >= 0);
	CU_ASSERT_EQUAL_FATAL(guard_new(&g, &cfg), 0);
	CU_ASSERT_EQUAL(guard_attach_port(g, port, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(arrived(rx, port, a, b), 0);      /* nothing allowed yet */
	guard_set_allowed(g, &allowed, 1);
	CU_ASSERT_EQUAL(arrived(rx, port, a, b), 2);
	guard_free(g);
	close(rx);
	close(a);
	close(b);
}

/* 1 when a datagram starting with text reaches rx. */
static int datagram_arrives(int rx, int port, int tx, const char *text)
{
	struct sockaddr_in to = v4("127.0.0.1", port);
	char buf[64];
	struct pollfd pf = {rx, POLLIN, 0};

	sendto(tx, text, strlen(text), 0, (struct sockaddr *)&to, sizeof(to));
	return poll(&pf, 1, 200) == 1 && recv(rx, buf, sizeof(buf), 0) > 0;
}

/* Methods nobody is served are dropped before Sofia, from anyone (nua
 * would 405 them statefully, out of reach of the rate limit). */
static void test_filter_drops_methods_never_served(void)
{
	struct guard_config cfg = {.rate_pps = 100, .ban_after = 0, .ban_s = 1};
	struct guard *g;
	char err[128];
	int port, rx = bound(SOCK_DGRAM, &port), a = udp_from("127.0.0.2");
	static const char *const dropped[] = {"REGISTER sip:x SIP/2.0\r\n", "SUBSCRIBE sip:x SIP/2.0\r\n",
					      "PUBLISH sip:x SIP/2.0\r\n", "MESSAGE sip:x SIP/2.0\r\n",
					      "NOTIFY sip:x SIP/2.0\r\n"};
	static const char *const passed[] = {"INVITE sip:x SIP/2.0\r\n", "OPTIONS sip:x SIP/2.0\r\n",
					     "REFER sip:x SIP/2.0\r\n", "SIP/2.0 200 OK\r\n", "\r\n\r\n",
					     "REG"};

	CU_ASSERT_FATAL(rx >= 0 && a >= 0);
	CU_ASSERT_EQUAL_FATAL(guard_new(&g, &cfg), 0);
	CU_ASSERT_EQUAL(guard_attach_port(g, port, err, sizeof(err)), 1);
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		CU_ASSERT_FALSE(datagram_arrives(rx, port, a, dropped[i]));
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		CU_ASSERT_TRUE(datagram_arrives(rx, port, a, passed[i]));
	guard_free(g);
	close(rx);
	close(a);
}

UNIT_SUITE(guard,
	UNIT_TEST(test_rate_limit_then_ban_of_a_stranger),
	UNIT_TEST(test_trunks_are_limited_never_banned),
	UNIT_TEST(test_unban_by_address_and_all),
	UNIT_TEST(test_filter_drops_banned_source_on_real_sockets),
	UNIT_TEST(test_filter_passes_only_allowed_networks_when_dropping_strangers),
	UNIT_TEST(test_filter_drops_methods_never_served))
