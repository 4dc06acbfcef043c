/*
 * tls_conf.c - [tls] files checked with OpenSSL, Sofia's certificate
 * directory written from them, and the policy check "no TLS trunk without
 * a TLS listener" (see tls_conf.h).
 *
 * Sofia-SIP 1.12.11 reads a bad certificate or key without failing (it
 * logs at its level 1 and goes on without them), so every file is parsed
 * here first: the daemon refuses to start with a message naming the file.
 * Must not: log, or keep the key copy longer than the start-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "tls_conf.h"

#define TLS_MAX_CERTS 64

struct tls_conf {
	char dir[256];
	char agent[300];   /* dir/agent.pem: key + certificate */
	char cafile[300];  /* dir/cafile.pem */
};

struct certs {
	X509 *x[TLS_MAX_CERTS];
	int n;
};

static void certs_free(struct certs *c)
{
	for (int i = 0; i < c->n; i++)
		X509_free(c->x[i]);
	c->n = 0;
}

/* Never asks for a passphrase: an encrypted key is refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* Reads every PEM certificate of path into out. 0, or -1 with err. */
static int read_certs(struct certs *out, const char *what, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	out->n = 0;
	if (!f) {
		snprintf(err, errlen, "[tls] %s %s: cannot read: %s", what, path, strerror(errno));
		return -1;
	}
	while (out->n < TLS_MAX_CERTS && (x = PEM_read_X509(f, NULL, no_passphrase, NULL)))
		out->x[out->n++] = x;
	fclose(f);
	ERR_clear_error();
	if (out->n == 0) {
		snprintf(err, errlen, "[tls] %s %s: no PEM certificate in it", what, path);
		return -1;
	}
	return 0;
}

static EVP_PKEY *read_key(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f) {
		snprintf(err, errlen, "[tls] key %s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	ERR_clear_error();
	if (!k)
		snprintf(err, errlen, "[tls] key %s: no unencrypted PEM private key in it", path);
	return k;
}

/* Our own certificate must be usable now: a peer that verifies would
 * refuse every connection, which shows only at the first call. */
static int check_dates(X509 *x, const char *path, char *err, size_t errlen)
{
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		snprintf(err, errlen, "[tls] cert %s: not valid yet", path);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		snprintf(err, errlen, "[tls] cert %s: expired", path);
		return -1;
	}
	return 0;
}

/* Creates path (0600, must not exist) and writes key (if any) and certs. */
static int write_pem(const char *path, EVP_PKEY *key, const struct certs *c, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;
	int ok;

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "tls: cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ok = !key || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	for (int i = 0; ok && i < c->n; i++)
		ok = PEM_write_X509(f, c->x[i]);
	ok = fclose(f) == 0 && ok;
	ERR_clear_error();
	if (!ok) {
		snprintf(err, errlen, "tls: cannot write %s", path);
		return -1;
	}
	return 0;
}

int tls_conf_new(struct tls_conf **out, const struct config *cfg, char *err, size_t errlen)
{
	const char *ca = cfg->tls_ca[0] ? cfg->tls_ca : TLS_CONF_SYSTEM_CA;
	const char *tmp = getenv("TMPDIR");
	struct certs mine = {0}, cas = {0};
	EVP_PKEY *key = NULL;
	struct tls_conf *t;
	int rc = -1;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "tls: out of memory");
		return -1;
	}
	if (read_certs(&mine, "cert", cfg->tls_cert, err, errlen) != 0 ||
	    check_dates(mine.x[0], cfg->tls_cert, err, errlen) != 0 ||
	    !(key = read_key(cfg->tls_key, err, errlen)))
		goto out;
	if (X509_check_private_key(mine.x[0], key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "[tls] key %s does not belong to [tls] cert %s", cfg->tls_key, cfg->tls_cert);
		goto out;
	}
	if (read_certs(&cas, "ca", ca, err, errlen) != 0)
		goto out;
	snprintf(t->dir, sizeof(t->dir), "%s/b2bua-tls-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir)) {   /* mode 0700 */
		snprintf(err, errlen, "tls: cannot create a directory in %s: %s", tmp && *tmp ? tmp : "/tmp",
			 strerror(errno));
		t->dir[0] = 0;
		goto out;
	}
	snprintf(t->agent, sizeof(t->agent), "%s/agent.pem", t->dir);
	snprintf(t->cafile, sizeof(t->cafile), "%s/cafile.pem", t->dir);
	if (write_pem(t->agent, key, &mine, err, errlen) != 0 || write_pem(t->cafile, NULL, &cas, err, errlen) != 0)
		goto out;
	*out = t;
	t = NULL;
	rc = 0;
out:
	EVP_PKEY_free(key);
	certs_free(&mine);
	certs_free(&cas);
	tls_conf_free(t);
	return rc;
}

const char *tls_conf_dir(const struct tls_conf *t)
{
	return t->dir;
}

void tls_conf_free(struct tls_conf *t)
{
	if (!t)
		return;
	if (t->dir[0]) {
		unlink(t->agent);
		unlink(t->cafile);
		rmdir(t->dir);
	}
	free(t);
}

int tls_conf_check_policy(const struct config *cfg, const struct policy *p, char *err, size_t errlen)
{
	if (config_listens_on(cfg, "tls"))
		return 0;
	for (size_t i = 0; i < policy_trunk_count(p); i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);

		if (strcasecmp(t->transport, "tls") == 0) {
			snprintf(err, errlen,
				 "trunks id %d (%s): transport tls, but [sip] listen has no tls: address"
				 " (it would never be sent in clear: refused)",
				 t->id, t->name);
			return -1;
		}
	}
	return 0;
}
