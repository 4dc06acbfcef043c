/*
 * srtp_ctx.c - libsrtp2 sessions keyed by SDES (RFC 4568) parameters.
 *
 * Owns: libsrtp global init, policies for the two AES-CM suites, a=crypto
 * value parsing/formatting and base64. Must not allocate per packet:
 * protect/unprotect work in the caller's buffer.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <srtp2/srtp.h>
#include "srtp_ctx.h"

_Static_assert(SDES_TRAILER_MAX >= SRTP_MAX_TRAILER_LEN + 4, "trailer room");

struct sdes_ctx {
	srtp_t session;
	int use_mki;
};

static const char *const suite_names[SDES_NSUITES] = {
	"AES_CM_128_HMAC_SHA1_80",
	"AES_CM_128_HMAC_SHA1_32",
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void do_init(void)
{
	init_rc = srtp_init() == srtp_err_status_ok ? 0 : -1;
}

int sdes_global_init(void)
{
	pthread_once(&init_once, do_init);
	return init_rc;
}

const char *sdes_suite_name(enum sdes_suite suite)
{
	return (unsigned)suite < SDES_NSUITES ? suite_names[suite] : "?";
}

int sdes_suite_parse(const char *name, size_t len, enum sdes_suite *out)
{
	for (int i = 0; i < SDES_NSUITES; i++)
		if (strlen(suite_names[i]) == len && strncmp(name, suite_names[i], len) == 0) {
			*out = (enum sdes_suite)i;
			return 0;
		}
	return -1;
}

int sdes_key_random(struct sdes_key *k, enum sdes_suite suite)
{
	size_t got = 0;

	memset(k, 0, sizeof(*k));
	k->suite = suite;
	while (got < SDES_KEY_LEN) {
		ssize_t n = getrandom(k->key + got, SDES_KEY_LEN - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int sdes_key_equal(const struct sdes_key *a, const struct sdes_key *b)
{
	return a->suite == b->suite && a->mki_len == b->mki_len &&
	       memcmp(a->key, b->key, SDES_KEY_LEN) == 0 &&
	       memcmp(a->mki, b->mki, a->mki_len) == 0;
}

/* --- base64 (RFC 4648 s4) --- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sdes_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	if ((n + 2) / 3 * 4 + 1 > cap)
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int sdes_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0, i;

	for (i = 0; i < n && in[i] != '='; i++) {
		int v = b64_val(in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	for (; i < n; i++)
		if (in[i] != '=')
			return -1;
	return (int)o;
}

/* --- a=crypto (RFC 4568 s9.1) --- */

int sdes_attr_parse(const char *value, int *tag, struct sdes_key *out)
{
	const char *p = value, *s, *k, *end;
	uint8_t raw[SDES_KEY_LEN + 8];
	char *num_end;
	long t;
	int n;

	memset(out, 0, sizeof(*out));
	t = strtol(p, &num_end, 10);
	if (num_end == p || t < 0 || t > 999999999 || *num_end != ' ')
		return -1;
	p = num_end;
	while (*p == ' ')
		p++;
	s = p;
	while (*p && *p != ' ')
		p++;
	if (sdes_suite_parse(s, (size_t)(p - s), &out->suite) < 0)
		return *p ? -2 : -1;
	while (*p == ' ')
		p++;
	/* One key only: several ";"-separated inline keys are legal but rare. */
	if (strncasecmp(p, "inline:", 7) != 0)
		return -1;
	k = p + 7;
	for (end = k; *end && *end != '|' && *end != ';' && *end != ' '; end++)
		;
	n = sdes_b64_decode(k, (size_t)(end - k), raw, sizeof(raw));
	if (n != SDES_KEY_LEN)
		return -1;
	memcpy(out->key, raw, SDES_KEY_LEN);
	p = end;
	/* Optional |lifetime and |MKI:length; the lifetime is not enforced. */
	while (*p == '|') {
		const char *f = ++p, *colon;

		while (*p && *p != '|' && *p != ';' && *p != ' ')
			p++;
		colon = memchr(f, ':', (size_t)(p - f));
		if (colon) {
			unsigned long mki = strtoul(f, NULL, 10);
			unsigned long mlen = strtoul(colon + 1, NULL, 10);

			if (!isdigit((unsigned char)*f) || mlen < 1 || mlen > SDES_MKI_MAX)
				return -2;
			out->mki_len = (uint8_t)mlen;
			for (unsigned long i = 0; i < mlen; i++)
				out->mki[mlen - 1 - i] = (uint8_t)(mki >> (8 * i));
		}
	}
	if (*p == ';')
		return -2;
	/* Session parameters (UNENCRYPTED_SRTP ...) change the transform. */
	while (*p == ' ')
		p++;
	if (*p)
		return -2;
	*tag = (int)t;
	return 0;
}

int sdes_attr_format(int tag, const struct sdes_key *k, char *buf, size_t cap)
{
	char key[48];
	int n;

	if (sdes_b64_encode(k->key, SDES_KEY_LEN, key, sizeof(key)) < 0)
		return -1;
	if (k->mki_len) {
		unsigned long mki = 0;

		for (int i = 0; i < k->mki_len; i++)
			mki = mki << 8 | k->mki[i];
		n = snprintf(buf, cap, "%d %s inline:%s|%lu:%u", tag, sdes_suite_name(k->suite), key,
			     mki, k->mki_len);
	} else {
		n = snprintf(buf, cap, "%d %s inline:%s", tag, sdes_suite_name(k->suite), key);
	}
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* --- sessions --- */

struct sdes_ctx *sdes_ctx_new(const struct sdes_key *k, int outbound, char *err, size_t errlen)
{
	struct sdes_ctx *ctx;
	srtp_policy_t policy;
	srtp_master_key_t mk, *mks[1] = {&mk};
	uint8_t key[SDES_KEY_LEN], mki[SDES_MKI_MAX];
	srtp_err_status_t st;

	if (sdes_global_init() < 0) {
		snprintf(err, errlen, "libsrtp init failed");
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&policy, 0, sizeof(policy));
	if (k->suite == SDES_AES_CM_128_HMAC_SHA1_32)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
	else
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
	/* SRTCP keeps the 80-bit tag with both suites (RFC 4568 s6.2.2). */
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	memcpy(key, k->key, SDES_KEY_LEN);
	if (k->mki_len) {
		memcpy(mki, k->mki, k->mki_len);
		mk.key = key;
		mk.mki_id = mki;
		mk.mki_size = k->mki_len;
		policy.keys = mks;
		policy.num_master_keys = 1;
		ctx->use_mki = 1;
	} else {
		policy.key = key;
	}
	policy.window_size = 128;
	/* We re-protect what a peer retransmits; same payload, same index. */
	policy.allow_repeat_tx = 1;
	st = srtp_create(&ctx->session, &policy);
	if (st != srtp_err_status_ok) {
		snprintf(err, errlen, "srtp_create failed (%d)", (int)st);
		free(ctx);
		return NULL;
	}
	return ctx;
}

void sdes_ctx_free(struct sdes_ctx *ctx)
{
	if (!ctx)
		return;
	srtp_dealloc(ctx->session);
	free(ctx);
}

static enum sdes_result map(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return SDES_OK;
	case srtp_err_status_auth_fail:
		return SDES_AUTH_FAIL;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return SDES_REPLAY;
	default:
		return SDES_ERROR;
	}
}

enum sdes_result sdes_protect(struct sdes_ctx *ctx, uint8_t *buf, int *len, int rtcp)
{
	if (rtcp)
		return map(srtp_protect_rtcp_mki(ctx->session, buf, len, ctx->use_mki, 0));
	return map(srtp_protect_mki(ctx->session, buf, len, ctx->use_mki, 0));
}

enum sdes_result sdes_unprotect(struct sdes_ctx *ctx, uint8_t *buf, int *len, int rtcp)
{
	/* libsrtp reads the fixed header before checking the length itself. */
	if (*len < (rtcp ? 8 : 12))
		return SDES_ERROR;
	if (rtcp)
		return map(srtp_unprotect_rtcp_mki(ctx->session, buf, len, ctx->use_mki));
	return map(srtp_unprotect_mki(ctx->session, buf, len, ctx->use_mki));
}
