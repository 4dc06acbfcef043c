/*
 * test_srtp_xform.c - the EVP transforms (media-relay/srtp_xform.c)
 * against libsrtp2's own, both ways.
 *
 * libsrtp's transform registry is process-global, so each side of a
 * cross-check runs in its own forked child: one protects with one
 * implementation, the other unprotects with the other, the packets
 * passing through shared memory. Both suites, RTP and SRTCP, payload
 * lengths that end mid-block and a sequence wrap (ROC). The parent's
 * libsrtp is left as it was.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "relay_config.h"
#include "srtp_ctx.h"
#include "srtp_xform.h"

#define NPKT 40
#define PKT_MAX (12 + 320 + SDES_TRAILER_MAX)

struct shared {
	uint8_t pkt[NPKT][PKT_MAX];
	int len[NPKT];
	int ok;           /* packets the receiver got back intact */
	int tamper_rc;    /* what the receiver said of a flipped bit */
	int rc;           /* child's own failure, 0 when it ran */
};

/* Packet i: RTP crossing seq 65535 -> 0, or an RTCP sender report. */
static int make_plain(uint8_t *b, int i, int rtcp)
{
	int pay = 1 + (i * 37) % 320, n;

	if (rtcp) {
		n = 8 + pay / 4 * 4;
		memset(b, 0, (size_t)n);
		b[0] = 0x80;
		b[1] = 200;
		b[2] = (uint8_t)((n / 4 - 1) >> 8);
		b[3] = (uint8_t)(n / 4 - 1);
		b[7] = 0x42;
		for (int k = 8; k < n; k++)
			b[k] = (uint8_t)(k * 7 + i);
		return n;
	}
	uint16_t seq = (uint16_t)(65520 + i);

	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memset(b + 4, 0, 4);
	memcpy(b + 8, "\x12\x34\x56\x78", 4);
	for (int k = 0; k < pay; k++)
		b[12 + k] = (uint8_t)(k + i);
	return 12 + pay;
}

static int child_setup(enum xform_impl impl)
{
	char err[160];

	return sdes_global_init() == 0 && xform_install(impl, err, sizeof(err)) == 0 &&
	       xform_current() == impl ? 0 : -1;
}

/* A session on the EVP transforms allocates ours; on stock, none. */
static struct sdes_ctx *child_session(enum xform_impl impl, const struct sdes_key *k, int out)
{
	unsigned long before = xform_evp_allocs();
	struct sdes_ctx *ctx;
	char err[160];

	if (child_setup(impl) < 0 || !(ctx = sdes_ctx_new(k, out, err, sizeof(err))))
		return NULL;
	if ((xform_evp_allocs() > before) != (impl == XFORM_EVP)) {
		sdes_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

static void child_protect(struct shared *sh, enum xform_impl impl, const struct sdes_key *k, int rtcp)
{
	struct sdes_ctx *tx = child_session(impl, k, 1);

	if (!tx) {
		sh->rc = 1;
		return;
	}
	for (int i = 0; i < NPKT; i++) {
		sh->len[i] = make_plain(sh->pkt[i], i, rtcp);
		if (sdes_protect(tx, sh->pkt[i], &sh->len[i], rtcp) != SDES_OK)
			sh->rc = 2;
	}
	sdes_ctx_free(tx);
}

static void child_unprotect(struct shared *sh, enum xform_impl impl, const struct sdes_key *k, int rtcp)
{
	struct sdes_ctx *rx = child_session(impl, k, 0);
	uint8_t want[PKT_MAX];

	if (!rx) {
		sh->rc = 1;
		return;
	}
	/* The last one is tampered with: a real receiver must refuse it. */
	sh->pkt[NPKT - 1][sh->len[NPKT - 1] / 2] ^= 0x01;
	for (int i = 0; i < NPKT; i++) {
		int n = sh->len[i], wn = make_plain(want, i, rtcp);
		enum sdes_result r = sdes_unprotect(rx, sh->pkt[i], &n, rtcp);

		if (i == NPKT - 1)
			sh->tamper_rc = r;
		else if (r == SDES_OK && n == wn && memcmp(sh->pkt[i], want, (size_t)wn) == 0)
			sh->ok++;
	}
	sdes_ctx_free(rx);
}

/* Runs fn in a child; 0 when it exited normally. */
static int in_child(void (*fn)(struct shared *, enum xform_impl, const struct sdes_key *, int),
		    struct shared *sh, enum xform_impl impl, const struct sdes_key *k, int rtcp)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(sh, impl, k, rtcp);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

static void cross_check(enum xform_impl from, enum xform_impl to)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CU_ASSERT_FATAL(sh != MAP_FAILED);
	for (int s = 0; s < SDES_NSUITES; s++)
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			struct sdes_key k;
			uint8_t first[PKT_MAX];

			memset(sh, 0, sizeof(*sh));
			CU_ASSERT_EQUAL_FATAL(sdes_key_random(&k, (enum sdes_suite)s), 0);
			CU_ASSERT_EQUAL(in_child(child_protect, sh, from, &k, rtcp), 0);
			CU_ASSERT_EQUAL(sh->rc, 0);
			/* RFC 3711 s3.1, s3.4: the tag length the suite names. */
			CU_ASSERT_EQUAL(sh->len[0], make_plain(first, 0, rtcp) +
					(rtcp ? 4 + 10 : s == SDES_AES_CM_128_HMAC_SHA1_80 ? 10 : 4));
			CU_ASSERT_EQUAL(in_child(child_unprotect, sh, to, &k, rtcp), 0);
			CU_ASSERT_EQUAL(sh->rc, 0);
			CU_ASSERT_EQUAL(sh->ok, NPKT - 1);
			CU_ASSERT_EQUAL(sh->tamper_rc, SDES_AUTH_FAIL);
		}
	munmap(sh, sizeof(*sh));
}

static void test_evp_protects_stock_unprotects(void)
{
	cross_check(XFORM_EVP, XFORM_STOCK);
}

static void test_stock_protects_evp_unprotects(void)
{
	cross_check(XFORM_STOCK, XFORM_EVP);
}

static void test_evp_round_trips(void)
{
	cross_check(XFORM_EVP, XFORM_EVP);
}

static void test_install_passes_self_tests_in_a_child(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int status;

	CU_ASSERT_FATAL(sh != MAP_FAILED);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		/* evp, stock again, evp: each switch must hold. */
		sh->rc = child_setup(XFORM_EVP) || child_setup(XFORM_STOCK) || child_setup(XFORM_EVP);
		_exit(0);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(sh->rc, 0);
	munmap(sh, sizeof(*sh));
}

static void test_parse_names_and_env(void)
{
	enum xform_impl x = XFORM_STOCK;
	char err[128];

	CU_ASSERT_EQUAL(xform_parse("evp", &x), 0);
	CU_ASSERT_EQUAL(x, XFORM_EVP);
	CU_ASSERT_EQUAL(xform_parse("stock", &x), 0);
	CU_ASSERT_EQUAL(x, XFORM_STOCK);
	CU_ASSERT_EQUAL(xform_parse("nss", &x), -1);
	CU_ASSERT_STRING_EQUAL(xform_name(XFORM_EVP), "evp");
	CU_ASSERT_STRING_EQUAL(xform_name(XFORM_STOCK), "stock");
	unsetenv(XFORM_ENV);
	x = XFORM_EVP;
	CU_ASSERT_EQUAL(xform_from_env(&x, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(x, XFORM_EVP);
	setenv(XFORM_ENV, "stock", 1);
	CU_ASSERT_EQUAL(xform_from_env(&x, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(x, XFORM_STOCK);
	setenv(XFORM_ENV, "fast", 1);
	CU_ASSERT_EQUAL(xform_from_env(&x, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, XFORM_ENV));
	unsetenv(XFORM_ENV);
}

/* [relay] srtp_transforms through relay_config_load; NULL: key absent. */
static int load_conf(const char *value, struct relay_config *cfg, char *err, size_t errlen)
{
	char path[] = "/tmp/test_srtp_xform_XXXXXX", text[128];
	int fd = mkstemp(path), rc, n;

	if (fd < 0)
		return -2;
	n = snprintf(text, sizeof(text), "[relay]\n%s%s\n", value ? "srtp_transforms = " : "",
		     value ? value : "");
	rc = write(fd, text, (size_t)n) == n ? 0 : -2;
	close(fd);
	if (rc == 0)
		rc = relay_config_load(cfg, path, err, errlen);
	unlink(path);
	return rc;
}

static void test_config_key_default_and_env(void)
{
	struct relay_config cfg;
	char err[256];

	unsetenv(XFORM_ENV);
	CU_ASSERT_EQUAL(load_conf(NULL, &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.srtp_transforms, XFORM_EVP);
	CU_ASSERT_EQUAL(load_conf("stock", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.srtp_transforms, XFORM_STOCK);
	CU_ASSERT_EQUAL(load_conf("evp", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.srtp_transforms, XFORM_EVP);
	CU_ASSERT_EQUAL(load_conf("nss", &cfg, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: srtp_transforms: expected evp|stock"));
	setenv(XFORM_ENV, "stock", 1);
	CU_ASSERT_EQUAL(load_conf("evp", &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.srtp_transforms, XFORM_STOCK);
	setenv(XFORM_ENV, "bogus", 1);
	CU_ASSERT_EQUAL(load_conf("evp", &cfg, err, sizeof(err)), -1);
	unsetenv(XFORM_ENV);
}

UNIT_SUITE(srtp_xform,
	   UNIT_TEST(test_config_key_default_and_env),
	   UNIT_TEST(test_install_passes_self_tests_in_a_child),
	   UNIT_TEST(test_evp_protects_stock_unprotects),
	   UNIT_TEST(test_stock_protects_evp_unprotects),
	   UNIT_TEST(test_evp_round_trips),
	   UNIT_TEST(test_parse_names_and_env));
