/*
 * srtp_xform.h - which code does libsrtp2's block work: its own (stock)
 * or ours on OpenSSL EVP (issue 13).
 *
 * Owns: AES-128-ICM on EVP AES-128-CTR and HMAC-SHA1 on OpenSSL SHA-1, and
 * their registration in libsrtp's crypto kernel (srtp_replace_cipher_type,
 * srtp_replace_auth_type: each runs the library's self tests and ours,
 * RFC 3711 B.2 and RFC 2202). libsrtp keeps key derivation, replay
 * window, ROC and SRTCP. Must not know about sessions or packets.
 * Thread use: the registration is process-global; call xform_install from
 * one thread after srtp_init (sdes_global_init) and before any session
 * exists. The transforms themselves are used by whoever owns a session.
 * Linked by the relay, its tests and test/tools (libsrtpxform.a).
 */
#ifndef SRTP_XFORM_H
#define SRTP_XFORM_H

#include <stddef.h>

enum xform_impl { XFORM_EVP, XFORM_STOCK };

/* Environment variable that overrides the configured choice. */
#define XFORM_ENV "SRTP_TRANSFORMS"

/* "evp" or "stock": 0 and the choice, or -1. */
int xform_parse(const char *s, enum xform_impl *out);
const char *xform_name(enum xform_impl impl);
/* *impl unchanged when XFORM_ENV is unset; -1 with a reason when it holds
 * neither name. */
int xform_from_env(enum xform_impl *impl, char *err, size_t errlen);
/* Makes impl libsrtp's AES_ICM_128 and HMAC_SHA1. EVP: registers ours
 * (self tests must pass). STOCK after EVP: srtp_shutdown + srtp_init give
 * the library's own back. Requires srtp_init done and no live session.
 * 0, or -1 with a reason in err (libsrtp is then left with stock). */
int xform_install(enum xform_impl impl, char *err, size_t errlen);
/* What the last successful xform_install made current (STOCK at start). */
enum xform_impl xform_current(void);
/* EVP ciphers and auths libsrtp has allocated so far (sessions, KDF):
 * proof for tests and logs that ours are the ones in use. */
unsigned long xform_evp_allocs(void);

#endif
