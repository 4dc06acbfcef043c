/*
 * test_relay_config.c - the media relay's configuration (relay_config.c):
 * defaults, every key, errors as file:line, and [relay] allow (who may
 * send ng requests).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "relay_config.h"

static int load(struct relay_config *cfg, const char *text, char *err, size_t errlen, char *path)
{
	FILE *f;
	int fd, rc;

	strcpy(path, "/tmp/test_relay_config_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -2;
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	rc = relay_config_load(cfg, path, err, errlen);
	unlink(path);
	return rc;
}

static int allows(const struct relay_config *cfg, const char *ip)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};

	if (inet_pton(AF_INET, ip, &in.sin_addr) == 1)
		return relay_config_allows(cfg, (struct sockaddr *)&in);
	CU_ASSERT_FATAL(inet_pton(AF_INET6, ip, &in6.sin6_addr) == 1);
	return relay_config_allows(cfg, (struct sockaddr *)&in6);
}

static void test_defaults_allow_loopback_only(void)
{
	struct relay_config cfg;

	relay_config_defaults(&cfg);
	CU_ASSERT_STRING_EQUAL(cfg.ng_addr, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.ng_port, 2223);
	CU_ASSERT_EQUAL(cfg.port_min, 30000);
	CU_ASSERT_EQUAL(cfg.media_timeout, 60);
	CU_ASSERT_EQUAL(cfg.nallow, 2);
	CU_ASSERT_TRUE(allows(&cfg, "127.0.0.1"));
	CU_ASSERT_TRUE(allows(&cfg, "127.255.0.9"));
	CU_ASSERT_TRUE(allows(&cfg, "::1"));
	CU_ASSERT_TRUE(allows(&cfg, "::ffff:127.0.0.2"));   /* a dual-stack socket's IPv4 client */
	CU_ASSERT_FALSE(allows(&cfg, "10.0.0.1"));
	CU_ASSERT_FALSE(allows(&cfg, "128.0.0.1"));
	CU_ASSERT_FALSE(allows(&cfg, "::2"));
	CU_ASSERT_FALSE(allows(&cfg, "::ffff:10.0.0.1"));
}

static void test_every_key(void)
{
	struct relay_config cfg;
	char err[256] = "", path[64];

	CU_ASSERT_EQUAL_FATAL(load(&cfg,
		"[relay]\nng = [::1]:2300\ninterface = 192.0.2.1\nports = 40001-40100\nworkers = 3\n"
		"ng_threads = 2\n"
		"media_timeout = 0\nallow = 10.1.0.0/16, 192.0.2.7, 2001:db8::/33\n[log]\nlevel = debug\n",
		err, sizeof(err), path), 0);
	CU_ASSERT_STRING_EQUAL(cfg.ng_addr, "::1");
	CU_ASSERT_EQUAL(cfg.ng_port, 2300);
	CU_ASSERT_EQUAL(cfg.niface, 1);
	CU_ASSERT_STRING_EQUAL(cfg.iface[0].name, "default");
	CU_ASSERT_STRING_EQUAL(cfg.iface[0].addr, "192.0.2.1");
	CU_ASSERT_STRING_EQUAL(cfg.iface[0].advertised, "192.0.2.1");
	CU_ASSERT_EQUAL(cfg.port_min, 40002);
	CU_ASSERT_EQUAL(cfg.port_max, 40100);
	CU_ASSERT_EQUAL(cfg.workers, 3);
	CU_ASSERT_EQUAL(cfg.ng_threads, 2);
	CU_ASSERT_EQUAL(cfg.media_timeout, 0);
	CU_ASSERT_EQUAL(cfg.log_level, RLOG_DEBUG);
	CU_ASSERT_EQUAL(cfg.nallow, 3);
	CU_ASSERT_TRUE(allows(&cfg, "10.1.255.3"));
	CU_ASSERT_FALSE(allows(&cfg, "10.2.0.1"));
	CU_ASSERT_TRUE(allows(&cfg, "192.0.2.7"));
	CU_ASSERT_FALSE(allows(&cfg, "192.0.2.8"));
	CU_ASSERT_TRUE(allows(&cfg, "2001:db8:7fff::1"));    /* /33: the bit after db8 is 0 */
	CU_ASSERT_FALSE(allows(&cfg, "2001:db8:8000::1"));
	CU_ASSERT_FALSE(allows(&cfg, "127.0.0.1"));          /* allow replaces the default */
}

/* [metrics] listen: off unless set. */
static void test_metrics_key(void)
{
	struct relay_config cfg;
	char err[256] = "", path[64];

	CU_ASSERT_EQUAL_FATAL(load(&cfg, "[log]\nlevel = info\n", err, sizeof(err), path), 0);
	CU_ASSERT_STRING_EQUAL(cfg.metrics_listen, "");
	CU_ASSERT_EQUAL_FATAL(load(&cfg, "[metrics]\nlisten = 127.0.0.1:9091\n", err, sizeof(err), path), 0);
	CU_ASSERT_STRING_EQUAL(cfg.metrics_listen, "127.0.0.1:9091");
}

static void test_bad_values_say_file_line(void)
{
	static const struct {
		const char *text;
		int line;
		const char *needle;
	} bad[] = {
		{"[relay]\nallow = 10.0.0.0/33\n", 2, "allow"},
		{"[relay]\nallow = \n", 2, "allow"},
		{"[relay]\nallow = localhost\n", 2, "allow"},
		{"[relay]\nallow = ::1/129\n", 2, "allow"},
		{"[relay]\n\nng = nowhere\n", 3, "ng"},
		{"[relay]\nports = 5-9\n", 2, "ports"},
		{"[relay]\nworkers = 999\n", 2, "workers"},
		{"[relay]\nng_threads = 17\n", 2, "ng_threads"},
		{"[relay]\nfoo = 1\n", 2, "foo"},
		{"[nope]\nx = 1\n", 2, "nope"},
		{"[relay]\ninterface = in side/10.0.0.1\n", 2, "interface"},
		{"[relay]\ninterface = in$/10.0.0.1\n", 2, "interface name"},
		{"[relay]\ninterface = /10.0.0.1\n", 2, "interface name"},
		{"[relay]\ninterface = abcdefghijabcdefghijabcdefghijabc/10.0.0.1\n", 2, "interface name"},
		{"[relay]\ninterface = inside/localhost\n", 2, "interface"},
		{"[relay]\ninterface = inside/10.0.0.1!2001:db8::1\n", 2, "one family"},
		{"[relay]\ninterface = inside/10.0.0.1!\n", 2, "interface"},
		{"[relay]\ninterface = inside/10.0.0.1, inside/10.0.0.2\n", 2, "two IPv4"},
		{"[relay]\ninterface = inside/::1, inside/::2\n", 2, "two IPv6"},
		{"[relay]\ninterface = ,\n", 2, "no address"},
		{"[metrics]\nlisten = 9091\n", 2, "[metrics] listen: expected ADDR:PORT"},
		{"[metrics]\nport = 9091\n", 2, "port"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct relay_config cfg;
		char err[256] = "", path[64], want[96];

		CU_ASSERT_EQUAL(load(&cfg, bad[i].text, err, sizeof(err), path), -1);
		snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
		if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, bad[i].needle))
			fprintf(stderr, "relay config case %zu: '%s'\n", i, err);
		CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].needle));
	}
}

/* [relay] interface = NAME/ADDR[!ADVERTISED], ...: names, dual-stack
 * names, advertised addresses, the default (first) interface. */
static void test_named_interfaces(void)
{
	struct relay_config cfg;
	char err[256] = "", path[64];

	CU_ASSERT_EQUAL_FATAL(load(&cfg,
		"[relay]\ninterface = inside/10.0.0.1, outside/192.0.2.1!203.0.113.9,"
		" inside/fd00::1, outside/2001:db8::1!2001:db8::99\n", err, sizeof(err), path), 0);
	CU_ASSERT_EQUAL(cfg.niface, 4);
	CU_ASSERT_STRING_EQUAL(cfg.iface[1].name, "outside");
	CU_ASSERT_STRING_EQUAL(cfg.iface[1].addr, "192.0.2.1");
	CU_ASSERT_STRING_EQUAL(cfg.iface[1].advertised, "203.0.113.9");
	CU_ASSERT_EQUAL(cfg.iface[1].family, AF_INET);
	CU_ASSERT_EQUAL(cfg.iface[3].family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(cfg.iface[3].advertised, "2001:db8::99");
	CU_ASSERT_EQUAL(relay_config_iface(&cfg, "outside", AF_INET6), 3);
	CU_ASSERT_EQUAL(relay_config_iface(&cfg, "outside", AF_INET), 1);
	CU_ASSERT_EQUAL(relay_config_iface(&cfg, "outside", AF_UNSPEC), 1);
	CU_ASSERT_EQUAL(relay_config_iface(&cfg, NULL, AF_INET6), 2);   /* the default: inside */
	CU_ASSERT_EQUAL(relay_config_iface(&cfg, "dmz", AF_UNSPEC), -1);
	CU_ASSERT_TRUE(relay_config_has_iface(&cfg, "inside"));
	CU_ASSERT_FALSE(relay_config_has_iface(&cfg, "Inside"));
	/* The old single address is the interface "default". */
	CU_ASSERT_EQUAL_FATAL(load(&cfg, "[relay]\ninterface = ::1\n", err, sizeof(err), path), 0);
	CU_ASSERT_EQUAL(cfg.niface, 1);
	CU_ASSERT_STRING_EQUAL(cfg.iface[0].name, "default");
	CU_ASSERT_EQUAL(relay_config_iface(&cfg, "default", AF_INET6), 0);
	CU_ASSERT_EQUAL(relay_config_iface(&cfg, NULL, AF_INET), -1);
}

UNIT_SUITE(relay_config,
	   UNIT_TEST(test_named_interfaces),
	   UNIT_TEST(test_defaults_allow_loopback_only),
	   UNIT_TEST(test_every_key),
	   UNIT_TEST(test_metrics_key), UNIT_TEST(test_bad_values_say_file_line))
