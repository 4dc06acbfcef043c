/*
 * test_tls_conf.c - the [tls] files (tls_conf.c): a good set makes Sofia's
 * directory (agent.pem = key + certificate, cafile.pem, private, removed
 * by tls_conf_free); each kind of bad file is refused with its key and
 * path named; a policy with a tls trunk and no tls: listener is refused
 * naming the trunk; trunks.tls_verify loads (default 1).
 *
 * Certificates are made at test time with the openssl CLI (suite init),
 * in a private temporary directory, never committed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "unit.h"
#include "cdr_store.h"
#include "config.h"
#include "policy.h"
#include "tls_conf.h"

static char dir[64];

static int sh(const char *fmt, const char *a)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, a, a, a, a, a, a, a);
	return system(cmd);
}

static int suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_tls_conf_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* a CA, a server certificate it signed, a second key, an encrypted
	 * copy of the key, a file that is no PEM at all */
	return sh("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ca -keyout ca.key -out ca.pem"
		  " >/dev/null 2>&1 && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout srv.key"
		  " -out srv.csr >/dev/null 2>&1 && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key"
		  " -CAcreateserial -days 2 -out srv.crt >/dev/null 2>&1 && openssl genrsa -out other.key 2048"
		  " >/dev/null 2>&1 && openssl rsa -in srv.key -aes256 -passout pass:secret -out enc.key"
		  " >/dev/null 2>&1 && echo 'not a certificate' > junk.pem",
		  dir) == 0
		       ? 0
		       : -1;
}

static int suite_cleanup(void)
{
	return sh("rm -rf %s", dir) == 0 ? 0 : -1;
}

static void set(struct config *c, const char *cert, const char *key, const char *ca)
{
	config_defaults(c);
	snprintf(c->tls_cert, sizeof(c->tls_cert), "%s/%s", dir, cert);
	snprintf(c->tls_key, sizeof(c->tls_key), "%s/%s", dir, key);
	if (ca)
		snprintf(c->tls_ca, sizeof(c->tls_ca), "%s/%s", dir, ca);
}

static long file_size(const char *path, mode_t *mode)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return -1;
	if (mode)
		*mode = sb.st_mode & 0777;
	return (long)sb.st_size;
}

static int file_has(const char *path, const char *needle)
{
	char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

static void test_good_files_make_sofias_directory(void)
{
	struct config c;
	struct tls_conf *t = NULL;
	char err[512] = "", agent[400], cafile[400], d[300];
	mode_t mode = 0;

	set(&c, "srv.crt", "srv.key", "ca.pem");
	CU_ASSERT_EQUAL_FATAL(tls_conf_new(&t, &c, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	snprintf(d, sizeof(d), "%s", tls_conf_dir(t));
	snprintf(agent, sizeof(agent), "%s/agent.pem", d);
	snprintf(cafile, sizeof(cafile), "%s/cafile.pem", d);
	CU_ASSERT(file_size(d, &mode) >= 0);
	CU_ASSERT_EQUAL(mode, 0700);
	CU_ASSERT(file_size(agent, &mode) > 0);
	CU_ASSERT_EQUAL(mode, 0600);
	CU_ASSERT_TRUE(file_has(agent, "PRIVATE KEY-----"));
	CU_ASSERT_TRUE(file_has(agent, "BEGIN CERTIFICATE"));
	CU_ASSERT_TRUE(file_has(cafile, "BEGIN CERTIFICATE"));
	CU_ASSERT_FALSE(file_has(cafile, "PRIVATE KEY"));
	tls_conf_free(t);
	CU_ASSERT_EQUAL(file_size(agent, NULL), -1);
	CU_ASSERT_EQUAL(file_size(d, NULL), -1);
}

static const struct {
	const char *cert, *key, *ca;
	const char *needle1, *needle2;  /* both must be in err */
} bad[] = {
	{"missing.crt", "srv.key", "ca.pem", "[tls] cert ", "missing.crt: cannot read"},
	{"junk.pem", "srv.key", "ca.pem", "[tls] cert ", "junk.pem: no PEM certificate"},
	{"srv.key", "srv.key", "ca.pem", "[tls] cert ", "srv.key: no PEM certificate"},
	{"srv.crt", "missing.key", "ca.pem", "[tls] key ", "missing.key: cannot read"},
	{"srv.crt", "junk.pem", "ca.pem", "[tls] key ", "junk.pem: no unencrypted PEM private key"},
	{"srv.crt", "enc.key", "ca.pem", "[tls] key ", "enc.key: no unencrypted PEM private key"},
	{"srv.crt", "other.key", "ca.pem", "other.key does not belong to [tls] cert ", "srv.crt"},
	{"srv.crt", "srv.key", "missing.pem", "[tls] ca ", "missing.pem: cannot read"},
	{"srv.crt", "srv.key", "junk.pem", "[tls] ca ", "junk.pem: no PEM certificate"},
};

static void test_bad_files_refused_naming_the_file(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct tls_conf *t = (struct tls_conf *)&c;   /* must be reset to NULL */
		char err[512] = "";
		int rc;

		set(&c, bad[i].cert, bad[i].key, bad[i].ca);
		rc = tls_conf_new(&t, &c, err, sizeof(err));
		if (rc != -1 || !strstr(err, bad[i].needle1) || !strstr(err, bad[i].needle2))
			fprintf(stderr, "tls case %zu: rc %d, err '%s'\n", i, rc, err);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NULL(t);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].needle1));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].needle2));
		tls_conf_free(t);
	}
}

/* A policy database with the embedded migrations and these trunks. */
static struct policy *policy_with(const char *sql, char *path, size_t cap)
{
	struct cdr_store *s;
	struct policy *p = NULL;
	sqlite3 *db;
	char err[256];
	int fd;

	snprintf(path, cap, "/tmp/test_tls_policy_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	close(fd);
	if (cdr_store_open(&s, path, err, sizeof(err)) != 0)
		return NULL;
	cdr_store_close(s);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fprintf(stderr, "policy sql: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	if (policy_load(&p, path, err, sizeof(err)) != 0)
		fprintf(stderr, "policy_load: %s\n", err);
	return p;
}

static void drop_db(const char *path)
{
	char p[96];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void test_tls_trunk_needs_a_tls_listener(void)
{
	struct config c;
	struct policy *p, *plain;
	char err[512] = "", path[64], path2[64];

	p = policy_with("INSERT INTO trunks (id, name, host, transport) VALUES (1, 'pbx', '10.0.0.1', 'udp'),"
			" (7, 'secure', 'sip.example.net', 'TLS'), (8, 'lax', 'x.example.net', 'tls');"
			"UPDATE trunks SET tls_verify = 0 WHERE id = 8;",
			path, sizeof(path));
	plain = policy_with("INSERT INTO trunks (id, name, host, transport) VALUES (1, 'pbx', '10.0.0.1', 'udp'),"
			    " (2, 'c', '10.0.0.2', 'tcp');",
			    path2, sizeof(path2));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
	/* trunks.tls_verify: 1 unless set to 0 */
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 7)->tls_verify, 1);
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 8)->tls_verify, 0);
	CU_ASSERT_STRING_EQUAL(policy_trunk_by_id(p, 7)->transport, "tls");

	config_defaults(&c);   /* udp:127.0.0.1:5060 only */
	CU_ASSERT_EQUAL(tls_conf_check_policy(&c, p, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "trunks id 7 (secure)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no tls: address"));
	CU_ASSERT_EQUAL(tls_conf_check_policy(&c, plain, err, sizeof(err)), 0);
	/* a disabled tls trunk is refused too: a reload could enable it */
	CU_ASSERT_EQUAL(config_parse_listen(&c.listen[1], "tcp:127.0.0.1:5060"), 0);
	c.nlisten = 2;
	CU_ASSERT_EQUAL(tls_conf_check_policy(&c, p, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(config_parse_listen(&c.listen[2], "tls:127.0.0.1:5061"), 0);
	c.nlisten = 3;
	CU_ASSERT_EQUAL(tls_conf_check_policy(&c, p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tls_conf_check_policy(&c, plain, err, sizeof(err)), 0);
	policy_unref(p);
	policy_unref(plain);
	drop_db(path);
	drop_db(path2);
}

UNIT_SUITE_FULL(tls_conf, suite_init, suite_cleanup,
		UNIT_TEST(test_good_files_make_sofias_directory),
		UNIT_TEST(test_bad_files_refused_naming_the_file),
		UNIT_TEST(test_tls_trunk_needs_a_tls_listener))
