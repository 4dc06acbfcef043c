/*
 * srtp_xform.c - libsrtp2's AES-128-ICM and HMAC-SHA1 on OpenSSL.
 *
 * Owns: the two transform types libsrtp calls through its crypto kernel.
 * Debian builds libsrtp2 on NSS, which builds a PK11 context per packet;
 * here each cipher keeps one EVP_CIPHER_CTX keyed once in init and only
 * its IV is reset per packet, and each auth keeps the SHA-1 states of its
 * two HMAC pads, computed once per key (see struct mac). Part of the SRTP
 * module: with srtp_ctx.c the only file that includes <srtp2/...>. No allocation and
 * no logging per packet.
 */
/* SHA1_Init/Update/Final: deprecated in OpenSSL 3 in favour of EVP_MD,
 * whose context copy allocates (see struct mac); still part of its API. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>
#include "srtp_xform.h"

#define ICM_KEY_LEN 16
#define ICM_SALT_LEN 14       /* RFC 3711 s4.1.1: a 112-bit salt */
#define ICM_KEY_SALT_LEN (ICM_KEY_LEN + ICM_SALT_LEN)
#define SHA1_LEN 20

static EVP_CIPHER *aes_ctr;   /* fetched once, shared read-only */
static enum xform_impl current = XFORM_STOCK;
static _Atomic unsigned long evp_allocs;

/* --- AES-128-ICM (RFC 3711 s4.1.1) --- */

struct icm {
	EVP_CIPHER_CTX *ctx;
	uint8_t salt[16];     /* the 14-byte salt, then two zero octets */
	size_t left;          /* keystream bytes before the 16-bit counter wraps */
};

static const srtp_cipher_type_t evp_icm;

static srtp_err_status_t icm_dealloc(srtp_cipher_t *c)
{
	struct icm *s = c->state;

	if (s) {
		EVP_CIPHER_CTX_free(s->ctx);
		OPENSSL_cleanse(s, sizeof(*s));
		free(s);
	}
	free(c);
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_alloc(srtp_cipher_t **out, int key_len, int tag_len)
{
	srtp_cipher_t *c;
	struct icm *s;

	(void)tag_len;
	/* Only the 128-bit key with its salt: the AES_CM_128 suites. */
	if (key_len != ICM_KEY_SALT_LEN)
		return srtp_err_status_bad_param;
	c = calloc(1, sizeof(*c));
	s = calloc(1, sizeof(*s));
	if (!c || !s || !(s->ctx = EVP_CIPHER_CTX_new())) {
		free(s);
		free(c);
		return srtp_err_status_alloc_fail;
	}
	c->type = &evp_icm;
	c->state = s;
	c->key_len = key_len;
	c->algorithm = SRTP_AES_ICM_128;
	evp_allocs++;
	*out = c;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm *s = state;

	memset(s->salt, 0, sizeof(s->salt));
	memcpy(s->salt, key + ICM_KEY_LEN, ICM_SALT_LEN);
	s->left = 0;
	if (!EVP_EncryptInit_ex2(s->ctx, aes_ctr, key, NULL, NULL))
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* Counter = salt XOR iv, the block number in its low 16 bits (s4.1.1);
 * libsrtp hands us the iv with those bits zero. */
static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm *s = state;
	uint8_t ctr[16];

	(void)dir;
	for (int i = 0; i < 16; i++)
		ctr[i] = s->salt[i] ^ iv[i];
	/* EVP's CTR carries into the upper bits, libsrtp's 16-bit counter
	 * does not: stop where the two would part. */
	s->left = (size_t)(0x10000 - ((unsigned)ctr[14] << 8 | ctr[15])) * 16;
	if (!EVP_EncryptInit_ex2(s->ctx, NULL, NULL, ctr, NULL))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* CTR is its own inverse: encrypt and decrypt are this. */
static srtp_err_status_t icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm *s = state;
	int out = 0;

	if (*len > s->left)
		return srtp_err_status_terminus;
	if (*len > 0x7fffffffu || !EVP_EncryptUpdate(s->ctx, buf, &out, buf, (int)*len) ||
	    (unsigned int)out != *len)
		return srtp_err_status_cipher_fail;
	s->left -= *len;
	return srtp_err_status_ok;
}

/* RFC 3711 B.2: key, salt and keystream (plaintext zero, iv zero). */
static const uint8_t icm_b2_key[ICM_KEY_SALT_LEN] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm_b2_iv[16];
static const uint8_t icm_b2_zero[48];
static const uint8_t icm_b2_stream[48] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
	0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
};
static const srtp_cipher_test_case_t icm_test = {
	ICM_KEY_SALT_LEN, icm_b2_key, icm_b2_iv, sizeof(icm_b2_zero), icm_b2_zero,
	sizeof(icm_b2_stream), icm_b2_stream, 0, NULL, 0, NULL,
};

static const srtp_cipher_type_t evp_icm = {
	icm_alloc, icm_dealloc, icm_init, NULL, icm_crypt, icm_crypt, icm_set_iv, NULL,
	"AES-128 ICM on OpenSSL EVP AES-128-CTR", &icm_test, SRTP_AES_ICM_128,
};

/* --- HMAC-SHA1 (RFC 2104, RFC 3711 s4.2.1) --- */

static const srtp_auth_type_t evp_hmac;

/*
 * HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)). The SHA-1 states after
 * the two padded-key blocks are computed once in init; per packet a start
 * copies the inner state (a 96-byte struct) and compute finishes with a
 * copy of the outer one. OpenSSL's SHA1_* run the same assembly as EVP
 * (SHA-NI where the CPU has it) without EVP_MD_CTX_copy_ex's allocation
 * and provider calls per copy, which cost twice the hashing itself here.
 */
struct mac {
	SHA_CTX inner, outer, work;
};

static srtp_err_status_t mac_dealloc(srtp_auth_t *a)
{
	if (a->state) {
		OPENSSL_cleanse(a->state, sizeof(struct mac));
		free(a->state);
	}
	free(a);
	return srtp_err_status_ok;
}

static srtp_err_status_t mac_alloc(srtp_auth_t **out, int key_len, int out_len)
{
	srtp_auth_t *a;

	if (key_len < 0 || key_len > SHA1_LEN || out_len < 0 || out_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->state = calloc(1, sizeof(struct mac)))) {
		free(a);
		return srtp_err_status_alloc_fail;
	}
	a->type = &evp_hmac;
	a->out_len = out_len;
	a->key_len = key_len;
	a->prefix_len = 0;
	evp_allocs++;
	*out = a;
	return srtp_err_status_ok;
}

static srtp_err_status_t mac_init(void *state, const uint8_t *key, int key_len)
{
	struct mac *m = state;
	uint8_t pad[SHA_CBLOCK];
	int ok;

	if (key_len < 0 || key_len > SHA1_LEN)  /* shorter than a block: used as is */
		return srtp_err_status_bad_param;
	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	ok = SHA1_Init(&m->inner) && SHA1_Update(&m->inner, pad, sizeof(pad));
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && SHA1_Init(&m->outer) && SHA1_Update(&m->outer, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
	m->work = m->inner;
	return ok ? srtp_err_status_ok : srtp_err_status_init_fail;
}

static srtp_err_status_t mac_start(void *state)
{
	struct mac *m = state;

	m->work = m->inner;
	return srtp_err_status_ok;
}

static srtp_err_status_t mac_update(void *state, const uint8_t *buf, int len)
{
	struct mac *m = state;

	return len >= 0 && SHA1_Update(&m->work, buf, (size_t)len) ? srtp_err_status_ok
								    : srtp_err_status_auth_fail;
}

static srtp_err_status_t mac_compute(void *state, const uint8_t *buf, int len, int tag_len,
				     uint8_t *tag)
{
	struct mac *m = state;
	uint8_t md[SHA1_LEN];

	if (tag_len < 0 || tag_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	if (mac_update(state, buf, len) != srtp_err_status_ok || !SHA1_Final(md, &m->work))
		return srtp_err_status_auth_fail;
	m->work = m->outer;
	if (!SHA1_Update(&m->work, md, sizeof(md)) || !SHA1_Final(md, &m->work))
		return srtp_err_status_auth_fail;
	memcpy(tag, md, (size_t)tag_len);
	OPENSSL_cleanse(md, sizeof(md));
	return srtp_err_status_ok;
}

/* RFC 2202 s3 cases 1-3, with the tag lengths SRTP uses (20, 10, 4). */
static const uint8_t mac1_key[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t mac1_tag[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t mac2_tag[10] = {0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74};
static const uint8_t mac3_key[20] = {
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const uint8_t mac3_data[50] = {
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
};
static const uint8_t mac3_tag[4] = {0x12, 0x5d, 0x73, 0x42};
static const srtp_auth_test_case_t mac_test3 = {
	sizeof(mac3_key), mac3_key, sizeof(mac3_data), mac3_data, sizeof(mac3_tag), mac3_tag, NULL,
};
static const srtp_auth_test_case_t mac_test2 = {
	4, (const uint8_t *)"Jefe", 28, (const uint8_t *)"what do ya want for nothing?",
	sizeof(mac2_tag), mac2_tag, &mac_test3,
};
static const srtp_auth_test_case_t mac_test1 = {
	sizeof(mac1_key), mac1_key, 8, (const uint8_t *)"Hi There", sizeof(mac1_tag), mac1_tag,
	&mac_test2,
};

static const srtp_auth_type_t evp_hmac = {
	mac_alloc, mac_dealloc, mac_init, mac_compute, mac_update, mac_start,
	"HMAC-SHA1 on OpenSSL SHA-1, precomputed pads", &mac_test1, SRTP_HMAC_SHA1,
};

/* --- registration --- */

int xform_parse(const char *s, enum xform_impl *out)
{
	if (strcmp(s, "evp") == 0)
		*out = XFORM_EVP;
	else if (strcmp(s, "stock") == 0)
		*out = XFORM_STOCK;
	else
		return -1;
	return 0;
}

const char *xform_name(enum xform_impl impl)
{
	return impl == XFORM_EVP ? "evp" : "stock";
}

int xform_from_env(enum xform_impl *impl, char *err, size_t errlen)
{
	const char *v = getenv(XFORM_ENV);

	if (v && xform_parse(v, impl) < 0) {
		snprintf(err, errlen, "%s: expected evp or stock, got '%.40s'", XFORM_ENV, v);
		return -1;
	}
	return 0;
}

enum xform_impl xform_current(void)
{
	return current;
}

unsigned long xform_evp_allocs(void)
{
	return evp_allocs;
}

static int back_to_stock(void)
{
	current = XFORM_STOCK;
	return srtp_shutdown() == srtp_err_status_ok && srtp_init() == srtp_err_status_ok ? 0 : -1;
}

int xform_install(enum xform_impl impl, char *err, size_t errlen)
{
	srtp_err_status_t st;

	if (impl == current)
		return 0;
	if (impl == XFORM_STOCK) {
		if (back_to_stock() < 0) {
			snprintf(err, errlen, "libsrtp re-init for the stock transforms failed");
			return -1;
		}
		return 0;
	}
	if (!aes_ctr)
		aes_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
	if (!aes_ctr) {
		snprintf(err, errlen, "OpenSSL has no AES-128-CTR");
		return -1;
	}
	/* Each replace runs our test vectors and the library's own. */
	st = srtp_replace_cipher_type(&evp_icm, SRTP_AES_ICM_128);
	if (st != srtp_err_status_ok) {
		snprintf(err, errlen, "EVP AES-128-ICM failed libsrtp's self test (status %d)", (int)st);
		return -1;
	}
	st = srtp_replace_auth_type(&evp_hmac, SRTP_HMAC_SHA1);
	if (st != srtp_err_status_ok) {
		back_to_stock();
		snprintf(err, errlen, "OpenSSL HMAC-SHA1 failed libsrtp's self test (status %d)", (int)st);
		return -1;
	}
	current = XFORM_EVP;
	return 0;
}
