/*
 * test_config.c - etc/b2bua.conf loading (config.c): defaults, a complete
 * file, every kind of bad value reported as "file:line: message", and the
 * listen address grammar (udp|tcp|tls:ADDR:PORT, IPv6 as [ADDR]).
 *
 * Bad files are written to a temporary file per case so the expected line
 * numbers sit next to the text they refer to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "config.h"
#include "log.h"

/* Tests run from the repository root (make, scripts/test.sh); also try
 * the parents so running build/test_b2bua from build/ works too. */
static int repo_path(char *out, size_t cap, const char *rel)
{
	static const char *const up[] = {"", "../", "../../"};

	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		snprintf(out, cap, "%s%s", up[i], rel);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* Writes text to a fresh temporary file; path gets its name. */
static void write_tmp(char *path, size_t cap, const char *text)
{
	int fd;
	FILE *f;

	snprintf(path, cap, "/tmp/test_config_XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static int load_text(struct config *c, const char *text, char *err, size_t errlen, char *path,
		     size_t pathcap)
{
	int rc;

	write_tmp(path, pathcap, text);
	config_defaults(c);
	err[0] = 0;
	rc = config_load(c, path, err, errlen);
	unlink(path);
	return rc;
}

static void test_defaults(void)
{
	struct config c;

	memset(&c, 0x5a, sizeof(c));
	config_defaults(&c);
	CU_ASSERT_EQUAL(c.nlisten, 1);
	CU_ASSERT_STRING_EQUAL(c.listen[0].proto, "udp");
	CU_ASSERT_STRING_EQUAL(c.listen[0].host, "127.0.0.1");
	CU_ASSERT_EQUAL(c.listen[0].port, 5060);
	CU_ASSERT_STRING_EQUAL(c.advertise, "");
	CU_ASSERT_STRING_EQUAL(c.user_agent, "");
	CU_ASSERT_STRING_EQUAL(c.db_path, "var/b2bua.db");
	CU_ASSERT_EQUAL(c.nrelays, 1);
	CU_ASSERT_STRING_EQUAL(c.relay[0], "127.0.0.1:2223");
	CU_ASSERT_EQUAL(c.relay_timeout_ms, 2000);
	CU_ASSERT_EQUAL(c.relay_ping_ms, 1000);
	CU_ASSERT_EQUAL(c.relay_down_after, 3);
	CU_ASSERT_STRING_EQUAL(c.control_socket, "var/b2bua.sock");
	CU_ASSERT_EQUAL(c.log_level, LOG_LVL_INFO);
	CU_ASSERT(c.node[0] != 0);
	CU_ASSERT(memchr(c.node, 0, sizeof(c.node)) != NULL);
	CU_ASSERT_EQUAL(c.trunk_timeout_s, 5);
	CU_ASSERT_EQUAL(c.no_answer_s, 90);
	CU_ASSERT_EQUAL(c.max_duration_s, 14400);
	CU_ASSERT_EQUAL(c.grace_s, 30);
	CU_ASSERT_EQUAL(c.media_timeout_poll_s, 10);
	CU_ASSERT_EQUAL(c.rate_limit_pps, 200);
	CU_ASSERT_EQUAL(c.ban_after, 200);
	CU_ASSERT_EQUAL(c.ban_time_s, 600);
	CU_ASSERT_EQUAL(c.drop_strangers, 0);
	CU_ASSERT_EQUAL(c.db_mode, 0600);
}

static void test_full_file(void)
{
	struct config c;
	char path[512], err[512] = "";

	CU_ASSERT_FATAL(repo_path(path, sizeof(path), "test/fixtures/conf/full.conf") == 0);
	config_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(config_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(c.nlisten, 2);
	CU_ASSERT_STRING_EQUAL(c.listen[0].proto, "udp");
	CU_ASSERT_STRING_EQUAL(c.listen[0].host, "10.0.0.1");
	CU_ASSERT_EQUAL(c.listen[0].port, 5070);
	CU_ASSERT_STRING_EQUAL(c.listen[1].proto, "tcp");
	CU_ASSERT_STRING_EQUAL(c.listen[1].host, "2001:db8::1");
	CU_ASSERT_EQUAL(c.listen[1].port, 5071);
	CU_ASSERT_STRING_EQUAL(c.advertise, "203.0.113.7");
	CU_ASSERT_STRING_EQUAL(c.user_agent, "test-b2bua/1.0");
	CU_ASSERT_EQUAL(c.rate_limit_pps, 0);
	CU_ASSERT_STRING_EQUAL(c.db_path, "/tmp/test-b2bua.db");
	CU_ASSERT_EQUAL(c.db_mode, 0640);
	CU_ASSERT_EQUAL(c.ban_after, 50);
	CU_ASSERT_EQUAL(c.ban_time_s, 120);
	CU_ASSERT_EQUAL(c.drop_strangers, 1);
	CU_ASSERT_EQUAL(c.nrelays, 2);
	CU_ASSERT_STRING_EQUAL(c.relay[0], "127.0.0.1:2223");
	CU_ASSERT_STRING_EQUAL(c.relay[1], "127.0.0.1:2224");
	CU_ASSERT_EQUAL(c.relay_timeout_ms, 500);
	CU_ASSERT_EQUAL(c.relay_ping_ms, 250);
	CU_ASSERT_EQUAL(c.relay_down_after, 5);
	CU_ASSERT_EQUAL(c.media_timeout_poll_s, 0);
	CU_ASSERT_STRING_EQUAL(c.control_socket, "/tmp/test-b2bua.sock");
	CU_ASSERT_STRING_EQUAL(c.node, "node-7");
	CU_ASSERT_EQUAL(c.trunk_timeout_s, 3);
	CU_ASSERT_EQUAL(c.no_answer_s, 60);
	CU_ASSERT_EQUAL(c.max_duration_s, 0);
	CU_ASSERT_EQUAL(c.grace_s, 5);
	CU_ASSERT_EQUAL(c.log_level, LOG_LVL_DEBUG);
}

/* The configuration `make run` uses must load as shipped. */
static void test_shipped_config_loads(void)
{
	struct config c;
	char path[512], err[512] = "";

	CU_ASSERT_FATAL(repo_path(path, sizeof(path), "etc/b2bua.conf") == 0);
	config_defaults(&c);
	CU_ASSERT_EQUAL(config_load(&c, path, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "etc/b2bua.conf: %s\n", err);
	CU_ASSERT_EQUAL(c.nlisten, 2);
	CU_ASSERT_STRING_EQUAL(c.listen[1].proto, "tcp");
	CU_ASSERT_STRING_EQUAL(c.advertise, "");
	CU_ASSERT_STRING_EQUAL(c.node, "b2bua1");
}

/* Keys a file leaves out keep their defaults. */
static void test_partial_file_keeps_defaults(void)
{
	struct config c;
	char path[64], err[512];

	CU_ASSERT_EQUAL(load_text(&c, "[log]\nlevel = warn\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.log_level, LOG_LVL_WARN);
	CU_ASSERT_EQUAL(c.nlisten, 1);
	CU_ASSERT_EQUAL(c.listen[0].port, 5060);
	CU_ASSERT_EQUAL(c.nrelays, 1);
	CU_ASSERT_EQUAL(c.trunk_timeout_s, 5);
}

/* Session timers: defaults, 0 = off, and never below min_se. */
static void test_session_timer_keys(void)
{
	struct config c;
	char path[64], err[512];

	CU_ASSERT_EQUAL(load_text(&c, "[call]\nno_answer = 30\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.session_expires_s, 1800);
	CU_ASSERT_EQUAL(c.min_se_s, 90);
	CU_ASSERT_EQUAL(load_text(&c, "[call]\nsession_expires = 0\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.session_expires_s, 0);
	CU_ASSERT_EQUAL(load_text(&c, "[call]\nsession_expires = 120\nmin_se = 300\n", err, sizeof(err), path,
			      sizeof(path)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "below min_se"));
}

/* [trunks]: OPTIONS keepalive thresholds, 2 and 2 unless said. */
static void test_trunks_keys(void)
{
	struct config c;
	char path[64], err[512];

	CU_ASSERT_EQUAL(load_text(&c, "[log]\nlevel = info\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.down_after, 2);
	CU_ASSERT_EQUAL(c.up_after, 2);
	CU_ASSERT_EQUAL(load_text(&c, "[trunks]\ndown_after = 3\nup_after = 1\n", err, sizeof(err), path,
			      sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.down_after, 3);
	CU_ASSERT_EQUAL(c.up_after, 1);
}

/* [tls]: the files are named (what they hold is tls_conf.c's to check),
 * verify is yes unless it says no, and a tls: listener needs cert and key. */
static void test_tls_keys(void)
{
	struct config c;
	char path[64], err[512];

	CU_ASSERT_EQUAL(load_text(&c, "[log]\nlevel = info\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.tls_verify, 1);
	CU_ASSERT_STRING_EQUAL(c.tls_cert, "");
	CU_ASSERT_FALSE(config_listens_on(&c, "tls"));
	CU_ASSERT_EQUAL(load_text(&c,
				  "[sip]\nlisten = udp:127.0.0.1:5060, tls:127.0.0.1:5061\n"
				  "[tls]\ncert = /etc/b2bua/cert.pem\nkey = /etc/b2bua/key.pem\nca = /etc/b2bua/ca.pem\n"
				  "verify = no\n",
				  err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.nlisten, 2);
	CU_ASSERT_STRING_EQUAL(c.listen[1].proto, "tls");
	CU_ASSERT_TRUE(config_listens_on(&c, "tls"));
	CU_ASSERT_TRUE(config_listens_on(&c, "udp"));
	CU_ASSERT_FALSE(config_listens_on(&c, "tcp"));
	CU_ASSERT_STRING_EQUAL(c.tls_cert, "/etc/b2bua/cert.pem");
	CU_ASSERT_STRING_EQUAL(c.tls_key, "/etc/b2bua/key.pem");
	CU_ASSERT_STRING_EQUAL(c.tls_ca, "/etc/b2bua/ca.pem");
	CU_ASSERT_EQUAL(c.tls_verify, 0);
	/* a tls: address without cert or key */
	CU_ASSERT_EQUAL(load_text(&c, "[sip]\nlisten = tls:127.0.0.1:5061\n[tls]\ncert = /c.pem\n", err, sizeof(err),
			      path, sizeof(path)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[tls] cert and key are needed"));
	CU_ASSERT_EQUAL(load_text(&c, "[sip]\nlisten = tls:127.0.0.1:5061\n[tls]\nkey = /k.pem\n", err, sizeof(err),
			      path, sizeof(path)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[tls] cert and key are needed"));
	/* [tls] without a tls: address is kept, unused */
	CU_ASSERT_EQUAL(load_text(&c, "[tls]\ncert = /c.pem\n", err, sizeof(err), path, sizeof(path)), 0);
}

/* "ng =" empty: no media anchoring. */
/* [register]: defaults, values, and a retry_max below retry_min refused. */
static void test_register_keys(void)
{
	struct config c;
	char err[256], path[64];

	CU_ASSERT_EQUAL(load_text(&c, "[log]\nlevel = warn\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.reg_expires_s, 3600);
	CU_ASSERT_EQUAL(c.reg_retry_min_s, 30);
	CU_ASSERT_EQUAL(c.reg_retry_max_s, 600);
	CU_ASSERT_EQUAL(c.reg_stop_wait_ms, 2000);
	CU_ASSERT_EQUAL(load_text(&c, "[register]\nexpires = 300\nretry_min = 5\nretry_max = 60\nstop_wait_ms = 0\n", err,
				  sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.reg_expires_s, 300);
	CU_ASSERT_EQUAL(c.reg_retry_min_s, 5);
	CU_ASSERT_EQUAL(c.reg_retry_max_s, 60);
	CU_ASSERT_EQUAL(c.reg_stop_wait_ms, 0);
	CU_ASSERT_EQUAL(load_text(&c, "[register]\nretry_min = 120\nretry_max = 60\n", err, sizeof(err), path,
				  sizeof(path)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "retry_max 60 is below retry_min 120"));
	CU_ASSERT_EQUAL(load_text(&c, "[register]\nexpires = 10\n", err, sizeof(err), path, sizeof(path)), -1);
}

/* [metrics] listen: off unless set; the address as written. */
static void test_metrics_key(void)
{
	struct config c;
	char err[256], path[64];

	CU_ASSERT_EQUAL(load_text(&c, "[log]\nlevel = warn\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(c.metrics_listen, "");
	CU_ASSERT_EQUAL(load_text(&c, "[metrics]\nlisten = 127.0.0.1:9090\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(c.metrics_listen, "127.0.0.1:9090");
	CU_ASSERT_EQUAL(load_text(&c, "[metrics]\nlisten = [::1]:9090\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(c.metrics_listen, "[::1]:9090");
	CU_ASSERT_EQUAL(load_text(&c, "[metrics]\nlisten =\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(c.metrics_listen, "");
}

/* [log] sip_trace and [hep] (README "Logs per call"). */
static void test_trace_keys(void)
{
	struct config c;
	char err[256], path[64];

	CU_ASSERT_EQUAL(load_text(&c, "[log]\nlevel = warn\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.sip_trace, 0);
	CU_ASSERT_STRING_EQUAL(c.hep_address, "");
	CU_ASSERT_EQUAL(c.hep_capture_id, 1);
	CU_ASSERT_STRING_EQUAL(c.hep_password, "");
	CU_ASSERT_EQUAL(load_text(&c, "[log]\nsip_trace = on\n[hep]\naddress = [::1]:9060\ncapture_id = 4294967295\n"
				  "password = s3cret\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.sip_trace, 1);
	CU_ASSERT_STRING_EQUAL(c.hep_address, "[::1]:9060");
	CU_ASSERT_EQUAL(c.hep_capture_id, 4294967295u);
	CU_ASSERT_STRING_EQUAL(c.hep_password, "s3cret");
	CU_ASSERT_EQUAL(load_text(&c, "[log]\nsip_trace = yes\n", err, sizeof(err), path, sizeof(path)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: sip_trace: expected on|off"));
	CU_ASSERT_EQUAL(load_text(&c, "[hep]\naddress = 127.0.0.1\n", err, sizeof(err), path, sizeof(path)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: address: expected HOST:PORT"));
	CU_ASSERT_EQUAL(load_text(&c, "[hep]\ncapture_id = 4294967296\n", err, sizeof(err), path, sizeof(path)), -1);
	CU_ASSERT_EQUAL(load_text(&c, "[hep]\ncapture_id = -1\n", err, sizeof(err), path, sizeof(path)), -1);
}

static void test_empty_relay_list(void)
{
	struct config c;
	char path[64], err[512];

	CU_ASSERT_EQUAL(load_text(&c, "[relay]\nng =\n", err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.nrelays, 0);
}

static const struct {
	const char *text;
	int line;
	const char *needle;   /* must appear in the message */
} bad_cases[] = {
	{"[call]\ntrunk_timeout = abc\n", 2, "trunk_timeout"},
	{"[call]\n\nno_answer = 0\n", 3, "no_answer"},
	{"; comment\n[call]\nmax_duration = -1\n", 3, "max_duration"},
	{"[call]\ngrace = 99999999999999999999\n", 2, "grace"},
	{"[call]\ntrunk_timeout = 301\n", 2, "trunk_timeout"},
	{"[call]\nmin_se = 60\n", 2, "min_se"},   /* RFC 4028: 90 at least */
	{"[call]\ntrunk_timeout =\n", 2, "trunk_timeout"},
	{"[trunks]\ndown_after = 0\n", 2, "down_after"},
	{"[trunks]\n\nup_after = 101\n", 3, "up_after"},
	{"[trunks]\noptions = 1\n", 2, "options"},
	{"[relay]\ntimeout_ms = 50\n", 2, "timeout_ms"},
	{"[relay]\nmedia_poll = 5s\n", 2, "media_poll"},
	{"[relay]\nping_ms = 0\n", 2, "ping_ms"},
	{"[relay]\ndown_after = 0\n", 2, "down_after"},
	{"[relay]\nng = localhost\n", 2, "ng"},
	{"[sip]\nrate_limit = 10x\n", 2, "rate_limit"},
	{"[log]\nlevel = verbose\n", 2, "verbose"},
	{"[db]\nmode = 0644\n", 2, "0600|0640"},
	{"[sip]\nstrangers = ignore\n", 2, "reject|drop"},
	{"[sip]\nlisten = sctp:1.2.3.4:5060\n", 2, "sctp"},
	{"[tls]\nverify = maybe\n", 2, "yes|no"},
	{"[tls]\ncert = /x\npassphrase = y\n", 3, "passphrase"},
	{"[sip]\nlisten = udp:1.2.3.4:70000\n", 2, "listen"},
	{"[sip]\nlisten = udp:1.2.3.4\n", 2, "listen"},
	{"[sip]\nlisten = udp:1.2.3.4:5060/in, tcp:1.2.3.4:5060/out\n", 2, "named otherwise"},
	{"[sip]\nlisten = udp:1.2.3.4:5060, udp:[::1:5060\n", 2, "[::1:5060"},
	{"[sip]\nlisten = ,\n", 2, "no address"},
	{"[metrics]\nlisten = 9090\n", 2, "[metrics] listen: expected ADDR:PORT"},
	{"[metrics]\n\nlisten = 127.0.0.1:9090:0123456789012345678901234567890123456789012345678901234567890123456789\n", 3,
	 "[metrics] listen: value too long"},
	{"[metrics]\nport = 9090\n", 2, "port"},
	{"[sip]\nlisten = udp:1.1.1.1:1,udp:1.1.1.1:2,udp:1.1.1.1:3,udp:1.1.1.1:4,"
	 "udp:1.1.1.1:5,udp:1.1.1.1:6,udp:1.1.1.1:7,udp:1.1.1.1:8,udp:1.1.1.1:9\n", 2, "too many"},
	{"[sip]\nadvertise = 0123456789012345678901234567890123456789012345678901234567890123456789\n",
	 2, "too long"},
	/* the first error wins */
	{"[call]\ntrunk_timeout = x\nno_answer = y\n", 2, "trunk_timeout"},
	/* unknown keys and sections */
	{"[sip]\nlisten = udp:1.2.3.4:5060\nfoo = 1\n", 3, "foo"},
	{"[nosuch]\nkey = v\n", 2, "nosuch"},
	{"[log]\nlevel = info\n[call]\nlevel = info\n", 4, "level"},
	/* syntax */
	{"[sip]\nlisten = udp:1.2.3.4:5060\nthis line has no equals sign\n", 3, "syntax"},
	{"[sip\nlisten = udp:1.2.3.4:5060\n", 1, "syntax"},
};

static void test_bad_values_report_file_line(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct config c;
		char path[64], err[512], prefix[128];
		int rc = load_text(&c, bad_cases[i].text, err, sizeof(err), path, sizeof(path));

		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, bad_cases[i].line);
		if (rc != -1 || strncmp(err, prefix, strlen(prefix)) != 0 ||
		    !strstr(err, bad_cases[i].needle))
			fprintf(stderr, "config case %zu: rc %d, err '%s', want prefix '%s' and '%s'\n", i,
				rc, err, prefix, bad_cases[i].needle);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_EQUAL(strncmp(err, prefix, strlen(prefix)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad_cases[i].needle));
	}
}

static void test_missing_file(void)
{
	struct config c;
	char err[256] = "";

	config_defaults(&c);
	CU_ASSERT_EQUAL(config_load(&c, "/nonexistent/b2bua.conf", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/b2bua.conf"));
}

/* A small error buffer is never overrun (ASan checks) and stays a string. */
static void test_small_error_buffer(void)
{
	struct config c;
	char path[64], err[16];

	memset(err, 'x', sizeof(err));
	CU_ASSERT_EQUAL(load_text(&c, "[call]\ntrunk_timeout = abc\n", err, sizeof(err), path, sizeof(path)), -1);
	CU_ASSERT(memchr(err, 0, sizeof(err)) != NULL);
}

/*
 * libinih (Debian 12: INI_MAX_LINE 200, no realloc) hands a longer line
 * over in 199-byte pieces, so the value would be cut and the rest parsed
 * as a line of its own. A long line must either load whole or be refused
 * as too long, on its own line number; never be cut silently. Eight IPv6
 * listen addresses are a legitimate line of that length.
 */
static void test_long_lines(void)
{
	char listen8[1024], longpath[1024];

	snprintf(listen8, sizeof(listen8), "[sip]\nlisten = ");
	for (int i = 0; i < CONFIG_MAX_LISTEN; i++)
		snprintf(listen8 + strlen(listen8), sizeof(listen8) - strlen(listen8),
			 "%sudp:[2001:db8:1234:5678::%d]:%d", i ? ", " : "", i + 1, 5060 + i);
	snprintf(listen8 + strlen(listen8), sizeof(listen8) - strlen(listen8), "\n[log]\nlevel = debug\n");
	snprintf(longpath, sizeof(longpath), "[db]\npath = /tmp/");
	for (int i = 0; i < 230; i++)
		strcat(longpath, "d");
	strcat(longpath, "/b2bua.db\n[log]\nlevel = debug\n");

	const char *texts[] = {listen8, longpath};

	for (size_t k = 0; k < 2; k++) {
		struct config c;
		char path[64], err[512], prefix[96];
		int rc = load_text(&c, texts[k], err, sizeof(err), path, sizeof(path));

		snprintf(prefix, sizeof(prefix), "%s:2: ", path);
		if (rc == 0) {
			if (k == 0) {
				CU_ASSERT_EQUAL(c.nlisten, CONFIG_MAX_LISTEN);
				CU_ASSERT_STRING_EQUAL(c.listen[CONFIG_MAX_LISTEN - 1].host, "2001:db8:1234:5678::8");
				CU_ASSERT_EQUAL(c.listen[CONFIG_MAX_LISTEN - 1].port, 5067);
			} else {
				CU_ASSERT_EQUAL(strlen(c.db_path), strlen("/tmp/") + 230 + strlen("/b2bua.db"));
			}
			CU_ASSERT_EQUAL(c.log_level, LOG_LVL_DEBUG);
		} else {
			int ok = strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, "long");

			if (!ok)
				fprintf(stderr, "long line case %zu: '%s': want '%s... too long'\n", k, err, prefix);
			CU_ASSERT(ok);
		}
	}
}

static void test_listen_parsing(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *proto, *host;
		int port;
		const char *name;         /* NULL: unnamed */
	} cases[] = {
		{"udp:127.0.0.1:5060", 0, "udp", "127.0.0.1", 5060, NULL},
		{"tcp:127.0.0.1:5061", 0, "tcp", "127.0.0.1", 5061, NULL},
		{"udp:[::1]:5060", 0, "udp", "::1", 5060, NULL},
		{"tcp:[2001:db8::10]:65535", 0, "tcp", "2001:db8::10", 65535, NULL},
		{"udp:0.0.0.0:1", 0, "udp", "0.0.0.0", 1, NULL},
		{"tls:127.0.0.1:5061", 0, "tls", "127.0.0.1", 5061, NULL},
		{"tls:[::1]:5061", 0, "tls", "::1", 5061, NULL},
		{"tls:127.0.0.1:5061/outside", 0, "tls", "127.0.0.1", 5061, "outside"},
		{"sips:127.0.0.1:5061", -1, NULL, NULL, 0, NULL},
		{"TLS:127.0.0.1:5061", -1, NULL, NULL, 0, NULL},
		{"sctp:127.0.0.1:5060", -1, NULL, NULL, 0, NULL},
		{"UDP:127.0.0.1:5060", -1, NULL, NULL, 0, NULL},
		{"127.0.0.1:5060", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.1", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.1:", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.1:0", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.1:65536", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.1:-5", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.1:50x", -1, NULL, NULL, 0, NULL},
		{"udp::5060", -1, NULL, NULL, 0, NULL},
		{"udp:[]:5060", -1, NULL, NULL, 0, NULL},
		{"udp:[::1]5060", -1, NULL, NULL, 0, NULL},
		{"udp:[::1", -1, NULL, NULL, 0, NULL},
		{"udp:", -1, NULL, NULL, 0, NULL},
		{"", -1, NULL, NULL, 0, NULL},
		{":", -1, NULL, NULL, 0, NULL},
		{"udp:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:5060", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.70:5760/inside", 0, "udp", "127.0.0.70", 5760, "inside"},
		{"tcp:[::1]:5760/out-side_2.b", 0, "tcp", "::1", 5760, "out-side_2.b"},
		{"udp:127.0.0.70:5760/", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.70:/inside", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.70:5760/in side", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.70:5760/in/side", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.70:5760/abcdefghijabcdefghijabcdefghijab", -1, NULL, NULL, 0, NULL},
		{"udp:127.0.0.70:5760/abcdefghijabcdefghijabcdefghija", 0, "udp", "127.0.0.70", 5760,
		 "abcdefghijabcdefghijabcdefghija"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_listen l;
		int rc;

		memset(&l, 0, sizeof(l));
		rc = config_parse_listen(&l, cases[i].in);
		if (rc != cases[i].rc)
			fprintf(stderr, "listen '%s': rc %d want %d\n", cases[i].in, rc, cases[i].rc);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc == 0 && cases[i].rc == 0) {
			CU_ASSERT_STRING_EQUAL(l.proto, cases[i].proto);
			CU_ASSERT_STRING_EQUAL(l.host, cases[i].host);
			CU_ASSERT_EQUAL(l.port, cases[i].port);
			CU_ASSERT_STRING_EQUAL(l.name, cases[i].name ? cases[i].name : "");
		}
	}
}

/* Named listen addresses: two names, a name shared by IPv4 and IPv6,
 * the first one the default. */
static void test_listen_names(void)
{
	struct config c;
	char err[256] = "", path[64];

	CU_ASSERT_EQUAL_FATAL(load_text(&c, "[sip]\nlisten = udp:127.0.0.71:5760/inside, udp:127.0.0.72:5760/outside,"
					" udp:[::1]:5760/outside, tcp:127.0.0.71:5760/inside\n",
					err, sizeof(err), path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(c.nlisten, 4);
	CU_ASSERT_STRING_EQUAL(config_default_iface(&c), "inside");
	CU_ASSERT_STRING_EQUAL(c.listen[2].name, "outside");
	CU_ASSERT_TRUE(config_has_iface(&c, "outside"));
	CU_ASSERT_FALSE(config_has_iface(&c, "dmz"));
	CU_ASSERT_EQUAL_FATAL(load_text(&c, "[sip]\nlisten = udp:127.0.0.71:5760\n", err, sizeof(err), path,
					sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(config_default_iface(&c), "");
}

/* "[/NAME]!ADVERTISED": what Via, Contact and From name for that listen
 * address (NAT), alone or after a name; nothing else after it. */
static void test_listen_advertise(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *name, *adv;
	} cases[] = {
		{"udp:10.0.0.5:5060/outside!203.0.113.5", 0, "outside", "203.0.113.5"},
		{"udp:10.0.0.5:5060!203.0.113.5", 0, "", "203.0.113.5"},
		{"tcp:[fd00::5]:5060/out!2001:db8::5", 0, "out", "2001:db8::5"},
		{"udp:10.0.0.5:5060/out!sbc.example.net", 0, "out", "sbc.example.net"},
		{"udp:10.0.0.5:5060/outside", 0, "outside", ""},
		{"udp:10.0.0.5:5060/outside!", -1, NULL, NULL},
		{"udp:10.0.0.5:5060!", -1, NULL, NULL},
		{"udp:10.0.0.5:5060/!203.0.113.5", -1, NULL, NULL},
		{"udp:10.0.0.5:5060/outside!203.0.113.5;x", -1, NULL, NULL},
		{"udp:10.0.0.5:5060/outside!203.0.113.5/in", -1, NULL, NULL},
		{"udp:10.0.0.5:5060/outside!a b", -1, NULL, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_listen l;
		int rc = config_parse_listen(&l, cases[i].in);

		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "\nlisten '%s': rc %d\n", cases[i].in, rc);
		if (rc == 0 && cases[i].rc == 0) {
			CU_ASSERT_STRING_EQUAL(l.name, cases[i].name);
			CU_ASSERT_STRING_EQUAL(l.advertise, cases[i].adv);
		}
	}
}

UNIT_SUITE(config,
	   UNIT_TEST(test_listen_names),
	   UNIT_TEST(test_defaults),
	   UNIT_TEST(test_full_file),
	   UNIT_TEST(test_shipped_config_loads),
	   UNIT_TEST(test_partial_file_keeps_defaults),
	   UNIT_TEST(test_metrics_key), UNIT_TEST(test_empty_relay_list),
	   UNIT_TEST(test_register_keys),
	   UNIT_TEST(test_trace_keys),
	   UNIT_TEST(test_session_timer_keys),
	   UNIT_TEST(test_trunks_keys),
	   UNIT_TEST(test_tls_keys),
	   UNIT_TEST(test_bad_values_report_file_line),
	   UNIT_TEST(test_missing_file),
	   UNIT_TEST(test_small_error_buffer),
	   UNIT_TEST(test_long_lines),
	   UNIT_TEST(test_listen_parsing),
	   UNIT_TEST(test_listen_advertise))
