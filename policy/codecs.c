/*
 * codecs.c - the codec names trunks.codecs may list (see codecs.h).
 *
 * The table is the RTP payload format names an offer can carry in an
 * a=rtpmap line: every static type of RFC 3551 (PCMU ... H263), the
 * dynamic audio formats SIP trunks and phones use, and the video and
 * repair formats an m=video line can hold (the filter applies to every
 * RTP m= line). A name is added here when a peer offers it, never
 * guessed: "G729a" (annex A is still rtpmap G729) and "telephon-event"
 * are the typos this catches.
 * Must not: know about SDP parsing or SIP.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "codecs.h"

#define CODECS_KNOWN                                                                              \
	"PCMU,PCMA,G722,G7221,G723,G726-16,G726-24,G726-32,G726-40,G728,G729,G729D,G729E,G719,"   \
	"GSM,GSM-EFR,AMR,AMR-WB,EVS,iLBC,SILK,speex,opus,L8,L16,L24,DVI4,LPC,QCELP,CN,MPA,"        \
	"MP4A-LATM,telephone-event,red,rtx,ulpfec,"                                               \
	"H261,H263,H263-1998,H263-2000,H264,H265,VP8,VP9,AV1,MPV,MP2T,MP4V-ES,JPEG,CelB,nv"

const char *codecs_known(void)
{
	return CODECS_KNOWN;
}

static int known(const char *name, size_t len)
{
	for (const char *k = CODECS_KNOWN; *k;) {
		size_t n = strcspn(k, ",");

		if (n == len && strncasecmp(k, name, len) == 0)
			return 1;
		k += n + (k[n] == ',');
	}
	return 0;
}

int codecs_check(const char *list, char *bad, size_t badlen)
{
	int names = 0;

	if (badlen)
		bad[0] = 0;
	if (!list || !*list)
		return 0;
	/* The same separators media_policy.c splits the list by. */
	for (const char *s = list; *s;) {
		size_t n;

		s += strspn(s, ", ");
		n = strcspn(s, ", ");
		if (!n)
			break;
		if (!known(s, n)) {
			snprintf(bad, badlen, "%.*s", (int)n, s);
			return -1;
		}
		names++;
		s += n;
	}
	return names ? 0 : -2;
}
