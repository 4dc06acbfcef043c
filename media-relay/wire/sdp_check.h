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

#define SDP_CHECK_BWTYPE 16         /* a bwtype token, with its NUL */

/* 0 when sdp[0..len) is a well-formed SDP; -1 with the first fault in
 * err ("line 3 (m=): protocol is not a token"). */
int sdp_check(const char *sdp, size_t len, char *err, size_t errlen);
/* The bwtype of each b= line (CT, AS, TIAS, RS, RR or any token, RFC
 * 8866 5.8) in the order the lines appear, for an SDP that passed
 * sdp_check(); the count, at most max. Debian's Sofia parses every
 * bwtype but CT as AS (b=TIAS:64000, 64 kbit/s, would leave as
 * b=AS:64000, 64 Mbit/s; b=RR:0 as b=AS:0): its users restore them. */
size_t sdp_check_bwtypes(const char *sdp, size_t len, char (*out)[SDP_CHECK_BWTYPE], size_t max);

#endif
