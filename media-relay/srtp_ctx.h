/*
 * srtp_ctx.h - SRTP/SRTCP with SDES keys (RFC 3711, RFC 4568), over libsrtp2.
 *
 * Owns: the crypto suites we speak, SDES key material and its a=crypto
 * text form ("TAG SUITE inline:KEY[|LIFETIME][|MKI:LEN]"), random keys,
 * and one libsrtp session per direction (struct sdes_ctx). The names use
 * "sdes_" because "srtp_" is libsrtp's. Must not know about sockets,
 * streams or SDP documents; only this file includes <srtp2/srtp.h>.
 * Thread use: sdes_global_init once from main; a struct sdes_ctx is
 * built on the control thread and then used and freed by one worker.
 */
#ifndef SRTP_CTX_H
#define SRTP_CTX_H

#include <stddef.h>
#include <stdint.h>

enum sdes_suite {
	SDES_AES_CM_128_HMAC_SHA1_80,
	SDES_AES_CM_128_HMAC_SHA1_32,
	SDES_NSUITES
};

#define SDES_KEY_LEN 30      /* AES-128 master key (16) + salt (14) */
#define SDES_MKI_MAX 4
/* Room a caller leaves after a packet for protect(): tag + MKI + SRTCP index. */
#define SDES_TRAILER_MAX 148

struct sdes_key {
	enum sdes_suite suite;
	uint8_t key[SDES_KEY_LEN];
	uint8_t mki[SDES_MKI_MAX];
	uint8_t mki_len;         /* 0: no MKI in the packets */
};

struct sdes_ctx;

enum sdes_result { SDES_OK = 0, SDES_AUTH_FAIL = -1, SDES_REPLAY = -2, SDES_ERROR = -3 };

/* Initialises libsrtp once; 0 or -1. Safe to call again. */
int sdes_global_init(void);
const char *sdes_suite_name(enum sdes_suite suite);
/* 0 and the suite, or -1 when we do not speak it. */
int sdes_suite_parse(const char *name, size_t len, enum sdes_suite *out);
/* Fresh random key material from the kernel; 0 or -1. */
int sdes_key_random(struct sdes_key *k, enum sdes_suite suite);
int sdes_key_equal(const struct sdes_key *a, const struct sdes_key *b);

/* Parses an a=crypto value. 0; -1 malformed; -2 valid but a suite or
 * session parameter we do not support (the caller tries the next line). */
int sdes_attr_parse(const char *value, int *tag, struct sdes_key *out);
/* Formats an a=crypto value; the length written, or -1 when cap is short. */
int sdes_attr_format(int tag, const struct sdes_key *k, char *buf, size_t cap);

/* RFC 4648 base64 with padding. encode: length or -1; decode: bytes or -1. */
int sdes_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
int sdes_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* One direction: outbound=1 protects what we send, 0 unprotects what we
 * receive. NULL on error with a reason in err. */
struct sdes_ctx *sdes_ctx_new(const struct sdes_key *k, int outbound, char *err, size_t errlen);
void sdes_ctx_free(struct sdes_ctx *ctx);
/* In place. protect needs SDES_TRAILER_MAX bytes of room after *len. */
enum sdes_result sdes_protect(struct sdes_ctx *ctx, uint8_t *buf, int *len, int rtcp);
enum sdes_result sdes_unprotect(struct sdes_ctx *ctx, uint8_t *buf, int *len, int rtcp);

#endif
