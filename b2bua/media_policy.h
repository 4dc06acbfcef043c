/*
 * media_policy.h - a trunk's codec and SRTP policy applied to SDP.
 *
 * Parses with Sofia's SDP parser, filters and prints, returning malloc'd
 * text. Each text is checked and parsed once: the parsed forms of the
 * last four texts are kept and answer the next questions about the same
 * body, so one thread only (the b2bua's SIP thread). The b2bua's only
 * includer of <sofia-sip/sdp.h>.
 */
#ifndef MEDIA_POLICY_H
#define MEDIA_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* 0 when sdp is well-formed SDP (media-relay/wire/sdp_check.c), else -1
 * with the fault in why. Every function below checks first too. */
int media_policy_check(const char *sdp, char *why, size_t whylen);
/* Keeps only the codecs listed in codecs ("PCMA,PCMU,telephone-event",
 * case-insensitive, in that order) in every RTP m= line; NULL or "" keeps
 * everything. 0 with *out (malloc'd; NULL when nothing changed), or -1
 * with the reason in why (no codec left, unparsable SDP). */
int media_policy_filter(const char *sdp, const char *codecs, char **out, char *why, size_t whylen);
/* 1 when some m= line is RTP/SAVP, 0 when none, -1 when unparsable. */
int media_policy_is_srtp(const char *sdp);
/* The SDP with every a=sendonly, a=recvonly and a=inactive line left out
 * (RFC 3264 6.1: sendrecv, the default): a held party's media offered to
 * a new peer. 0 with *out (malloc'd), or -1 (not SDP, no memory). */
int media_policy_sendrecv(const char *sdp, char **out);
/* Both in one parse: *srtp 1 when an m= line in use is RTP/SAVP(F), *avpf
 * 1 when one is a feedback profile; 0 each otherwise. 0, or -1 (both 0)
 * when unparsable. */
int media_policy_profiles(const char *sdp, int *srtp, int *avpf);
/* 1 when some m= line in use is a feedback profile (RTP/AVPF, RTP/SAVPF:
 * RFC 4585, 5124), 0 when none, -1 when unparsable. */
int media_policy_is_avpf(const char *sdp);
/* The first codec of the first audio m= line ("PCMA"), for the CDR. */
int media_policy_codec(const char *sdp, char *out, size_t cap);

/* Our o= toward one leg: our session id, and the version we last sent
 * with a hash of the SDP it went with (RFC 3264 8: the version changes
 * when the SDP does, and only then). id 0 = pick one. */
struct sdp_origin {
	unsigned long long id, version;
	unsigned hash;
};

/* The SDP as it may leave toward a leg (topology hiding): o= is ours
 * (user "-", o's id and version), s=-, and the other side's i=, u=, e=,
 * p=, a=tool, a=ssrc / ssrc-group, a=msid / msid-semantic and a=x-...
 * are gone, unless keep lists them ("i,u,e,p,tool,ssrc,msid,x"; NULL or ""
 * keeps nothing). 0 with *out (malloc'd), or -1 with the reason. */
int media_policy_hide(const char *sdp, const char *keep, struct sdp_origin *o, char **out, char *why,
		      size_t whylen);

/* Texts parsed, and questions answered from a text parsed before
 * (`b2bua-ctl stats`: sdp_parses, sdp_parse_hits). */
void media_policy_parse_stats(uint64_t *parses, uint64_t *hits);
/* Frees the parsed forms kept (at exit). */
void media_policy_forget(void);

#endif
