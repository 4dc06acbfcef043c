/*
 * tls_conf.h - what TLS needs before the SIP stack starts, and what a
 * policy may ask of it.
 *
 * Owns: struct tls_conf, a private directory (0700, under $TMPDIR or
 * /tmp) holding the files in the layout Sofia-SIP 1.12 reads
 * (TPTAG_CERTIFICATE: agent.pem = private key + certificate, cafile.pem
 * = the CAs). It exists only while the stack starts: Sofia reads the
 * files when its TLS listeners are created, and the directory is removed
 * right after (tls_conf_free). Used on the main thread at start-up and by
 * the policy reload thread (tls_conf_check_policy, no state).
 * It is the only file of the b2bua that includes OpenSSL's headers.
 * Must not: log (errors go to the caller's buffer, naming the file).
 */
#ifndef TLS_CONF_H
#define TLS_CONF_H

#include <stddef.h>
#include "config.h"
#include "policy.h"

/* The CA bundle used when [tls] ca is empty. */
#define TLS_CONF_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

struct tls_conf;

/* Checks [tls]: cert holds a PEM certificate (first one: ours, others:
 * its chain) that is valid now, key an unencrypted PEM private key that
 * belongs to it, ca (or TLS_CONF_SYSTEM_CA) at least one PEM certificate;
 * then writes Sofia's directory. 0, or -1 with err naming the file. */
int tls_conf_new(struct tls_conf **out, const struct config *cfg, char *err, size_t errlen);
/* The directory for TPTAG_CERTIFICATE. */
const char *tls_conf_dir(const struct tls_conf *t);
/* Removes the directory and its files (the key copy first), frees t. */
void tls_conf_free(struct tls_conf *t);

/* A TLS trunk is never sent over anything else: a policy with a trunk of
 * transport tls (enabled or not) while cfg has no tls: listen address is
 * refused. 0, or -1 with err naming the trunk. */
int tls_conf_check_policy(const struct config *cfg, const struct policy *p, char *err, size_t errlen);

#endif
