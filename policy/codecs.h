/*
 * codecs.h - the codec names trunks.codecs may list.
 *
 * Owns: the table of RTP payload format names (IANA "RTP Payload Format
 * media types", as SDP writes them in a=rtpmap, RFC 4566 6; the static
 * payload types of RFC 3551 by the names the SDP parser gives them). The
 * b2bua keeps a codec of an offer when its rtpmap encoding name equals a
 * listed one, ignoring case (b2bua/media_policy.c): a name outside this
 * table could never match and would silently drop every stream.
 * Must not: know about SDP parsing or SIP.
 */
#ifndef POLICY_CODECS_H
#define POLICY_CODECS_H

#include <stddef.h>

/* Checks a codecs column ("PCMA,PCMU,telephone-event": names separated
 * by commas or spaces, any case). 0 when every name is known; -1 with the
 * first unknown name copied into bad; -2 when list names none at all
 * (only separators). "" is fine (any codec). */
int codecs_check(const char *list, char *bad, size_t badlen);

/* The known names, comma-separated, for an error message. */
const char *codecs_known(void);

#endif
