/*
 * sdp_check.c - the SDP grammar check (see sdp_check.h).
 *
 * One pass over the bytes, line by line, each line checked against its
 * field's ABNF (RFC 8866 9) with explicit bounds. Sections follow RFC
 * 8866 5: v=, o=, s= first and in that order, then session-level fields,
 * at least one t=, then media sections that start with m= and hold only
 * i=, c=, b=, k=, a=. Within a section the order of the other fields is
 * not enforced (real stacks vary); their grammar is.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "sdp_check.h"

/* token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E */
static int token_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D ||
	       c == 0x2E || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x5E && c <= 0x7E);
}

/* A field value: [p, end). Splitting moves p past one field. */
struct span {
	const char *p, *end;
};

/* Next space-separated word (exactly one SP between words, none at the
 * ends); 0 when there is none. */
static int word(struct span *s, struct span *w)
{
	const char *q = s->p;

	if (q >= s->end || *q == ' ')
		return 0;
	while (q < s->end && *q != ' ')
		q++;
	w->p = s->p;
	w->end = q;
	s->p = q < s->end ? q + 1 : q;
	return !(q < s->end && s->p == s->end);   /* a trailing SP is a fault */
}

static int is_token(const struct span *w)
{
	if (w->p >= w->end)
		return 0;
	for (const char *q = w->p; q < w->end; q++)
		if (!token_char((unsigned char)*q))
			return 0;
	return 1;
}

/* 1*DIGIT, at most maxd digits. */
static int is_number(const struct span *w, size_t maxd)
{
	if (w->p >= w->end || (size_t)(w->end - w->p) > maxd)
		return 0;
	for (const char *q = w->p; q < w->end; q++)
		if (*q < '0' || *q > '9')
			return 0;
	return 1;
}

/* non-ws-string: visible characters (and 8-bit ones), no space. */
static int is_nonws(const struct span *w)
{
	if (w->p >= w->end)
		return 0;
	for (const char *q = w->p; q < w->end; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7F)
			return 0;
	return 1;
}

static long number_value(const struct span *w)
{
	long v = 0;

	for (const char *q = w->p; q < w->end; q++)
		v = v * 10 + (*q - '0');
	return v;
}

/* a=rtpmap in an RTP section: payload-type SP encoding-name "/" clock-rate
 * ["/" encoding-params] (RFC 8866 6.6). Sofia's parser refuses a bad one
 * only in RTP sections, so a section that becomes RTP on its way through
 * us (RTP/SAVPF -> RTP/AVP) must already hold good ones. */
static const char *check_rtpmap(struct span v)
{
	struct span pt, enc, rate;
	const char *sp = memchr(v.p, ' ', (size_t)(v.end - v.p)), *slash, *slash2;

	if (!sp)
		return "bad rtpmap";
	pt = (struct span){v.p, sp};
	slash = memchr(sp + 1, '/', (size_t)(v.end - sp - 1));
	if (!slash)
		return "rtpmap without clock rate";
	enc = (struct span){sp + 1, slash};
	slash2 = memchr(slash + 1, '/', (size_t)(v.end - slash - 1));
	rate = (struct span){slash + 1, slash2 ? slash2 : v.end};
	if (!is_number(&pt, 3) || number_value(&pt) > 127 || !is_token(&enc) || !is_number(&rate, 10) ||
	    (slash2 && slash2 + 1 == v.end))
		return "bad rtpmap";
	return NULL;
}

/* Checks one line's value; NULL when it is well formed, else the fault.
 * *rtp says whether the current media section is RTP (set by m=). */
static const char *check_value(char type, struct span v, int *rtp)
{
	struct span w;

	switch (type) {
	case 'v':
		return v.end - v.p == 1 && *v.p == '0' ? NULL : "version is not 0";
	case 'o':   /* username sess-id sess-version nettype addrtype address */
		if (!word(&v, &w) || !is_nonws(&w))
			return "bad username";
		if (!word(&v, &w) || !is_number(&w, 20))
			return "bad session id";
		if (!word(&v, &w) || !is_number(&w, 20))
			return "bad session version";
		if (!word(&v, &w) || !is_token(&w))
			return "bad network type";
		if (!word(&v, &w) || !is_token(&w))
			return "bad address type";
		if (!word(&v, &w) || !is_nonws(&w) || v.p != v.end)
			return "bad address";
		return NULL;
	case 'c':   /* nettype addrtype connection-address */
		if (!word(&v, &w) || !is_token(&w))
			return "bad network type";
		if (!word(&v, &w) || !is_token(&w))
			return "bad address type";
		if (!word(&v, &w) || !is_nonws(&w) || v.p != v.end)
			return "bad address";
		return NULL;
	case 'b': { /* bwtype ":" bandwidth */
		const char *colon = memchr(v.p, ':', (size_t)(v.end - v.p));
		struct span t = {v.p, colon ? colon : v.end}, n = {colon ? colon + 1 : v.end, v.end};

		return colon && is_token(&t) && t.end - t.p < SDP_CHECK_BWTYPE && is_number(&n, 12) ? NULL
										       : "bad bandwidth";
	}
	case 't':   /* start-time stop-time */
		if (!word(&v, &w) || !is_number(&w, 20) || !word(&v, &w) || !is_number(&w, 20) || v.p != v.end)
			return "bad time";
		return NULL;
	case 'r':   /* repeat-interval typed-time 1*(SP typed-time) */
	case 'z': { /* time SP ["-"] typed-time *(...) */
		int n = 0;

		while (v.p < v.end) {
			if (!word(&v, &w))
				return "bad repeat or zone";
			if (type == 'z' && n % 2 == 1 && *w.p == '-')
				w.p++;
			if (w.p < w.end && strchr("dhms", w.end[-1]))
				w.end--;
			if (!is_number(&w, 20))
				return "bad repeat or zone";
			n++;
		}
		return n >= 2 ? NULL : "bad repeat or zone";
	}
	case 'k': { /* method [":" value] */
		const char *colon = memchr(v.p, ':', (size_t)(v.end - v.p));
		struct span m = {v.p, colon ? colon : v.end};

		return is_token(&m) ? NULL : "bad key method";
	}
	case 'a': { /* att-field [":" att-value] */
		const char *colon = memchr(v.p, ':', (size_t)(v.end - v.p));
		struct span f = {v.p, colon ? colon : v.end};

		if (!is_token(&f))
			return "attribute name is not a token";
		if (*rtp && f.end - f.p == 6 && strncasecmp(f.p, "rtpmap", 6) == 0)
			return colon ? check_rtpmap((struct span){colon + 1, v.end}) : "rtpmap without value";
		return NULL;
	}
	case 'm': { /* media SP port ["/" integer] SP proto 1*(SP fmt) */
		const char *slash;
		struct span port, proto;
		int nfmt = 0;

		if (!word(&v, &w) || !is_token(&w))
			return "media type is not a token";
		if (!word(&v, &port))
			return "bad port";
		slash = memchr(port.p, '/', (size_t)(port.end - port.p));
		if (slash) {
			struct span count = {slash + 1, port.end};

			if (!is_number(&count, 5))
				return "bad port count";
			port.end = slash;
		}
		if (!is_number(&port, 5) || number_value(&port) > 65535)
			return "bad port";
		if (!word(&v, &w))
			return "no protocol";
		proto = w;
		/* proto = token *("/" token) */
		for (const char *q = w.p, *seg = w.p; q <= w.end; q++) {
			if (q == w.end || *q == '/') {
				struct span t = {seg, q};

				if (!is_token(&t))
					return "protocol is not a token";
				seg = q + 1;
			}
		}
		/* An RTP profile's formats are payload types, 0-127 (RFC 3551 3),
		 * whatever the profile's letters: a peer's SAVPF line becomes
		 * our AVP line, and must still be one. */
		/* Sofia reads more than RTP/AVP as RTP ("RTP" alone, for one):
		 * any protocol with a part that starts with RTP counts. */
		*rtp = 0;
		for (const char *q = proto.p; q + 3 <= proto.end; q++)
			if ((q == proto.p || q[-1] == '/') && strncasecmp(q, "RTP", 3) == 0)
				*rtp = 1;
		while (v.p < v.end) {
			if (!word(&v, &w) || !is_token(&w))
				return "format is not a token";
			if (*rtp && (!is_number(&w, 3) || number_value(&w) > 127))
				return "RTP payload type not 0-127";
			nfmt++;
		}
		return nfmt ? NULL : "no format";
	}
	default:    /* s= i= u= e= p=: text, checked for bytes by the caller */
		return v.p < v.end ? NULL : "empty text";
	}
}

/* Fields allowed per place: at session level (after v o s) and in media. */
static const char session_fields[] = "iuepcbtrzka";
static const char media_fields[] = "icbka";

int sdp_check(const char *sdp, size_t len, char *err, size_t errlen)
{
	const char *p = sdp, *end = sdp + len;
	int line = 0, nmedia = 0, ntime = 0, rtp = 0;
	const char *fault = NULL;
	char type = 0;

	if (!sdp || len == 0) {
		snprintf(err, errlen, "empty SDP");
		return -1;
	}
	if (len > SDP_CHECK_MAX_BYTES) {
		snprintf(err, errlen, "SDP larger than %d bytes", SDP_CHECK_MAX_BYTES);
		return -1;
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *stop = eol ? eol : end;
		struct span v;

		if (stop > p && stop[-1] == '\r')
			stop--;
		/* Trailing blanks are harmless and some stacks send them. */
		while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t'))
			stop--;
		line++;
		if (stop == p) {
			/* Only trailing empty lines are tolerated. */
			for (const char *q = p; q < end; q++)
				if (*q != '\r' && *q != '\n') {
					fault = "empty line";
					goto bad;
				}
			break;
		}
		if (line > SDP_CHECK_MAX_LINES) {
			snprintf(err, errlen, "more than %d lines", SDP_CHECK_MAX_LINES);
			return -1;
		}
		type = *p;
		if (stop - p > SDP_CHECK_MAX_LINE) {
			fault = "line too long";
			goto bad;
		}
		if (stop - p < 2 || p[1] != '=' || type < 'a' || type > 'z') {
			fault = "not a <type>=<value> line";
			goto bad;
		}
		for (const char *q = p; q < stop; q++) {
			unsigned char c = (unsigned char)*q;

			if ((c < 0x20 && c != '\t') || c == 0x7F) {
				fault = "control character";
				goto bad;
			}
		}
		/* v=, o=, s= open the description, in that order. */
		if (line <= 3) {
			if (type != "vos"[line - 1]) {
				fault = line == 1 ? "does not start with v=" : line == 2 ? "o= must follow v=" : "s= must follow o=";
				goto bad;
			}
		} else if (type == 'm') {
			if (!ntime) {
				fault = "no t= before the first m=";
				goto bad;
			}
			if (++nmedia > SDP_CHECK_MAX_MEDIA) {
				snprintf(err, errlen, "more than %d m= lines", SDP_CHECK_MAX_MEDIA);
				return -1;
			}
		} else if (!strchr(nmedia ? media_fields : session_fields, type)) {
			fault = nmedia ? "field not allowed in a media section" : "unknown or misplaced field";
			goto bad;
		}
		if (type == 't')
			ntime++;
		v.p = p + 2;
		v.end = stop;
		if ((fault = check_value(type, v, &rtp)))
			goto bad;
		p = eol ? eol + 1 : end;
	}
	if (line < 3) {
		snprintf(err, errlen, "incomplete SDP (no v=, o= and s=)");
		return -1;
	}
	if (!ntime) {
		snprintf(err, errlen, "no t= line");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "line %d (%c=): %s", line, type ? type : '?', fault);
	return -1;
}

size_t sdp_check_bwtypes(const char *sdp, size_t len, char (*out)[SDP_CHECK_BWTYPE], size_t max)
{
	const char *p = sdp, *end = sdp + len;
	size_t n = 0;

	while (p < end && n < max) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *stop = eol ? eol : end;

		if (stop - p > 2 && p[0] == 'b' && p[1] == '=') {
			const char *colon = memchr(p + 2, ':', (size_t)(stop - p - 2));
			size_t k = colon ? (size_t)(colon - p - 2) : 0;

			if (k > 0 && k < SDP_CHECK_BWTYPE) {
				memcpy(out[n], p + 2, k);
				out[n++][k] = 0;
			}
		}
		p = eol ? eol + 1 : end;
	}
	return n;
}
