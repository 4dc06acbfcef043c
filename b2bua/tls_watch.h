/*
 * tls_watch.h - what Sofia's transport log says of outgoing TLS
 * connections it gave up.
 *
 * Sofia-SIP 1.12.11 closes a TLS connection whose peer certificate does
 * not verify (tport_tls.c, tls_connect: "TLS Handshake Failed or Peer
 * Certificate did not Verify") without telling nta: the INVITE waiting
 * for it is never answered, not even by a 503 of the stack. The only
 * trace is the transport log, which the b2bua reads through its own
 * logger (sip_leg.c); this module recognises the two lines that matter:
 *
 *   tls_post_connection_check(0x..): Peer Subject Mismatch (HOST)
 *       the certificate verified but names another host: HOST is the
 *       host we connected to (the trunk's host);
 *   -Error with certificate at depth: N  ... then  "  err N:TEXT"
 *       the chain did not verify (untrusted CA, expired ...): Sofia
 *       names no host here.
 *
 * With our verify policy (TPTLS_VERIFY_SUBJECTS_OUT, never incoming)
 * both come only from outgoing connections of a verifying nua.
 */
#ifndef TLS_WATCH_H
#define TLS_WATCH_H

#include <stddef.h>

enum tls_watch_kind {
	TLS_WATCH_NONE = 0,   /* any other line */
	TLS_WATCH_HOST,       /* a certificate for another host: host set */
	TLS_WATCH_CERT,       /* a certificate that did not verify: why set */
};

struct tls_watch {
	int in_cert_error;    /* "-Error with certificate" seen, its "err" line next */
};

/* Feeds one line of the transport log (no newline). Returns its kind;
 * host (TLS_WATCH_HOST) or why (TLS_WATCH_CERT) is filled, bounded and
 * printable. */
enum tls_watch_kind tls_watch_line(struct tls_watch *w, const char *line, char *host, size_t hostlen, char *why,
				   size_t whylen);

#endif
