/*
 * sip_read.h - what the b2bua takes from a SIP message it received,
 * copied out of Sofia's parsed sip_t as plain data for the core.
 *
 * Owns: struct sip_read_invite (the copies an INVITE's fields live in).
 * Pure functions of the message; any thread. Split from the nua adapter
 * so the fuzz target (test/fuzz/fuzz_sip.c) runs the very code the
 * daemon runs on every received INVITE and response.
 * Must not: know nua, answer anything, or keep a pointer into the sip_t
 * beyond the core's event.
 */
#ifndef SIP_READ_H
#define SIP_READ_H

#include <sofia-sip/sip.h>
#include "call.h"

/* The largest SIP message we take (UDP's own limit; TCP is held to it). */
#define SIP_MAX_MESSAGE 65536

/* The parser every SIP stack of ours uses: Sofia's default one extended
 * with the headers of sip_extra.h (P-Asserted-Identity, Privacy ...),
 * which the default leaves unparsed. Made once, kept for the process. */
msg_mclass_t const *sip_read_mclass(void);

/* The fields of one INVITE, valid until sip_read_invite_done(). */
struct sip_read_invite {
	struct call_invite inv;
	char call_id[128];
	char display[64];
	struct policy_hdr hdrs[1];   /* Privacy (RFC 3323) */
	char *sdp;                   /* malloc'd */
};

/* Fills r->inv from an INVITE received from src. 0, or -1 when the
 * request must be refused as it stands (RP_RURI_HEADERS: headers escaped
 * into the Request-URI, RFC 3261 19.1.5). */
int sip_read_invite(struct sip_read_invite *r, const sip_t *sip, const struct sockaddr *src);
void sip_read_invite_done(struct sip_read_invite *r);

/* The body as a NUL-terminated malloc'd copy, or NULL. */
char *sip_read_body(const sip_t *sip);
/* 1 when the body is SDP (Content-Type application/sdp, or none). */
int sip_read_is_sdp(const sip_t *sip);
/* The Reason header (RFC 3326) of a request or response, rebuilt into
 * buf from its parsed fields: the Q.850 one when there is one, else the
 * SIP one; a cause that is a number, a text of at most 48 printable
 * characters (no quote or backslash). out->value is NULL and out->q850 0
 * when there is none we can read. */
void sip_read_reason(const sip_t *sip, struct leg_reason *out, char *buf, size_t cap);
/* A REFER's Refer-To (RFC 3515 2.1): out->user is the number of a sip:,
 * sips: or tel: URI, copied into buf, when it is 1 to cap-1 characters of
 * digits, letters, + * # . - _ (a dial string; anything else is NULL, and
 * the REFER gets 400); out->replaces when its headers carry Replaces
 * (RFC 3891: attended transfer). */
void sip_read_refer(const sip_t *sip, struct leg_refer *out, char *buf, size_t cap);
/* 1 when the message's Allow lists UPDATE (RFC 3311 5.1), else 0. */
int sip_read_allows_update(const sip_t *sip);
/* A 3xx's first Contact (RFC 3261 21.3), when it is a sip: or sips: URI
 * with a host of host-name or address characters (brackets of an IPv6
 * address dropped) and a port 1-65535 or none (0): r->contact_host and
 * r->contact_port, copied into host, and r->contact_user (a dial string,
 * as for Refer-To, copied into user, else NULL); all NULL/0 otherwise. */
void sip_read_contact(const sip_t *sip, struct leg_response *r, char *user, size_t ucap, char *host,
		      size_t hcap);
/* The realm of a 401/407's Digest challenge, unquoted, or "" . */
void sip_read_realm(const sip_t *sip, int status, char *out, size_t cap);
/* The realm and nonce of a 401/407's Digest challenge, unquoted; each ""
 * when absent or longer than its buffer. */
void sip_read_challenge(const sip_t *sip, int status, char *realm, size_t rcap, char *nonce, size_t ncap);
/* The seconds a REGISTER's 2xx grants our Contact sip:user@host:port
 * (RFC 3261 10.2.4: its expires parameter, else the Expires header), or
 * -1 when it says none or an expires parameter is not a number. */
int sip_read_granted(const sip_t *sip, const char *user, const char *host, int port);

#endif
