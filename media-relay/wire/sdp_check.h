/*
 * sdp_check.h - a strict grammar check of an SDP body (RFC 8866, which
 * obsoletes RFC 4566) before any library parser sees it.
 *
 * Owns: nothing; a pure function. Both programs run it on every SDP a
 * peer sends, before Sofia's sdp_parse(): that parser loops allocating on
 * a non-token character in the m= protocol ("m=audio 40000 RT@/AVP 8"),
 * so no peer SDP reaches it unchecked. The check is about form only
 * (line types, their order, tokens, numbers, sizes and counts), never
 * about whether we like the offer.
 * Thread use: any.
 */
#ifndef SDP_CHECK_H
#define SDP_CHECK_H

#include <stddef.h>

#define SDP_CHECK_MAX_BYTES 32768   /* a whole SDP body */
#define SDP_CHECK_MAX_LINES 512
#define SDP_CHECK_MAX_LINE 4096     /* one line, without its CRLF */
#define SDP_CHECK_MAX_MEDIA 16      /* m= lines */

/* 0 when sdp[0..len) is a well-formed SDP; -1 with the first fault in
 * err ("line 3 (m=): protocol is not a token"). */
int sdp_check(const char *sdp, size_t len, char *err, size_t errlen);

#endif
