/*
 * media_policy.c - codec filtering and SRTP detection on SDP bodies.
 *
 * Works on Sofia's parsed SDP (never string surgery): an m= line's
 * payloads are its rtpmap list, so filtering relinks that list in the
 * order the trunk asks for, and the printer writes m=, a=rtpmap and
 * a=fmtp consistently. Static payload types without a=rtpmap (0, 8, ...)
 * are known to the parser by name.
 *
 * Each SDP text is checked and parsed once: the parsed forms of the last
 * few texts are kept (parsed()), and the same body asked about again (is
 * it SRTP? its codec? its profiles? filter it) is answered from there.
 * What changes a session (filter, hide) works on a copy of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>
#include "media_policy.h"
#include "sdp_check.h"


/* Debian's Sofia reads every bwtype but CT as AS (sdp_check.h): each
 * b= line gets its own name back, or the SDP is refused. */
static int restore_bwtypes(su_home_t *home, sdp_session_t *s, const char *sdp, size_t len)
{
	char names[SDP_CHECK_MAX_LINES][SDP_CHECK_BWTYPE];
	size_t n = sdp_check_bwtypes(sdp, len, names, SDP_CHECK_MAX_LINES), i = 0;
	sdp_bandwidth_t *b;

	for (b = s->sdp_bandwidths; b; b = b->b_next, i++) {
		if (i >= n || !(b->b_modifier_name = su_strdup(home, names[i])))
			return -1;
		b->b_modifier = sdp_bw_x;
	}
	for (sdp_media_t *m = s->sdp_media; m; m = m->m_next)
		for (b = m->m_bandwidths; b; b = b->b_next, i++) {
			if (i >= n || !(b->b_modifier_name = su_strdup(home, names[i])))
				return -1;
			b->b_modifier = sdp_bw_x;
		}
	return i == n ? 0 : -1;
}

static int feedback_profile(const char *proto, size_t len)
{
	return (len == 8 && strncasecmp(proto, "RTP/AVPF", 8) == 0) ||
	       (len == 9 && strncasecmp(proto, "RTP/SAVPF", 9) == 0);
}

/*
 * Sofia reads payloads (a=rtpmap, static types such as 0 and 8) only on
 * RTP/AVP and RTP/SAVP lines, so a codec list never matched the RTP/AVPF
 * or RTP/SAVPF offer of linphone or a WebRTC client (RFC 4585, 5124: the
 * same profiles with feedback). A copy of sdp (checked, so m= fields are
 * single-space separated) with each such line named by its base profile,
 * and in *fb which m= lines were (the first 32). NULL without memory.
 */
static char *base_profiles(const char *sdp, unsigned *fb)
{
	size_t len = strlen(sdp);
	char *out = malloc(len + 1), *w = out;
	unsigned i = 0;

	*fb = 0;
	if (!out)
		return NULL;
	for (const char *r = sdp; *r;) {
		const char *eol = strchr(r, '\n');
		size_t n = eol ? (size_t)(eol - r) + 1 : strlen(r);

		if (n > 2 && r[0] == 'm' && r[1] == '=') {
			const char *f = memchr(r, ' ', n), *proto = f ? memchr(f + 1, ' ', n - (size_t)(f + 1 - r)) : NULL;
			size_t pl = 0;

			if (proto)
				while (proto + 1 + pl < r + n && !strchr(" \r\n", proto[1 + pl]))
					pl++;
			if (proto && feedback_profile(proto + 1, pl)) {
				size_t keep = (size_t)(proto + 1 - r) + pl - 1;   /* all but the F */

				memcpy(w, r, keep);
				memcpy(w + keep, r + keep + 1, n - keep - 1);
				w += n - 1;
				r += n;
				if (i < 32)
					*fb |= 1u << i;
				i++;
				continue;
			}
			i++;
		}
		memcpy(w, r, n);
		w += n;
		r += n;
	}
	*w = 0;
	return out;
}

/* Nothing reaches Sofia's parser unchecked (it loops on some input).
 * NULL with the reason in why. Lines of a feedback profile are parsed as
 * their base profile and keep their name in m_proto_name (print()). */
/* Direction attributes stay as written (sdp_f_mode_manual): a=sendrecv
 * included, which some peers look for. */
static sdp_session_t *parse(su_home_t *home, const char *sdp, sdp_parser_t **p, char *why, size_t whylen)
{
	sdp_session_t *s;
	unsigned fb, i = 0;
	char *base;

	*p = NULL;
	if (sdp_check(sdp, strlen(sdp), why, whylen) != 0)
		return NULL;
	if (!(base = base_profiles(sdp, &fb))) {
		snprintf(why, whylen, "no memory");
		return NULL;
	}
	*p = sdp_parse(home, base, strlen(base), sdp_f_anynet | sdp_f_mode_manual);
	free(base);
	s = *p ? sdp_session(*p) : NULL;
	if (!s) {
		snprintf(why, whylen, "%s", *p ? sdp_parsing_error(*p) : "no memory");
		return NULL;
	}
	if (restore_bwtypes(home, s, sdp, strlen(sdp)) != 0) {
		snprintf(why, whylen, "b= lines not understood");
		return NULL;
	}
	for (sdp_media_t *m = s->sdp_media; m; m = m->m_next, i++)
		if (i < 32 && (fb >> i & 1))
			m->m_proto_name = m->m_proto == sdp_proto_srtp ? "RTP/SAVPF" : "RTP/AVPF";
	return s;
}

/* ---- each text parsed once ---- */

/* The b2bua's SIP thread is the only user: no lock. Four texts cover one
 * message's offer, what the relay made of it and their answers. */
#define PARSED_N 4

struct parsed {
	char *text;              /* the SDP as received (NULL: slot free) */
	size_t len;
	su_home_t *home;
	sdp_parser_t *p;
	sdp_session_t *s;        /* NULL: refused, why says so */
	char why[128];
};

static struct parsed g_parsed[PARSED_N];
static unsigned g_parsed_next;
static uint64_t g_parses, g_parse_hits;

static void parsed_clear(struct parsed *e)
{
	if (e->p)
		sdp_parser_free(e->p);
	if (e->home)
		su_home_unref(e->home);
	free(e->text);
	memset(e, 0, sizeof(*e));
}

/* The checked, parsed form of sdp (its session NULL when refused, with
 * why), read-only: valid until the next call. NULL only without memory. */
static const struct parsed *parsed(const char *sdp)
{
	size_t len = strlen(sdp);
	struct parsed *e;

	for (int i = 0; i < PARSED_N; i++) {
		e = &g_parsed[i];
		if (e->text && e->len == len && memcmp(e->text, sdp, len) == 0) {
			g_parse_hits++;
			return e;
		}
	}
	e = &g_parsed[g_parsed_next++ % PARSED_N];
	parsed_clear(e);
	if (!(e->text = malloc(len + 1)) || !(e->home = su_home_new(sizeof(*e->home)))) {
		parsed_clear(e);
		return NULL;
	}
	memcpy(e->text, sdp, len + 1);
	e->len = len;
	e->s = parse(e->home, sdp, &e->p, e->why, sizeof(e->why));
	g_parses++;
	return e;
}

/* A session of our own to change, copied from sdp's parsed form; NULL
 * with why. */
static sdp_session_t *parsed_copy(su_home_t *home, const char *sdp, char *why, size_t whylen)
{
	const struct parsed *e = parsed(sdp);
	sdp_session_t *s;

	if (!e) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (!e->s) {
		snprintf(why, whylen, "%s", e->why);
		return NULL;
	}
	if (!(s = sdp_session_dup(home, e->s)))
		snprintf(why, whylen, "out of memory");
	return s;
}

int media_policy_check(const char *sdp, char *why, size_t whylen)
{
	const struct parsed *e;

	if (!sdp)
		return sdp_check(NULL, 0, why, whylen);
	if (!(e = parsed(sdp))) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (!e->s) {
		snprintf(why, whylen, "%s", e->why);
		return -1;
	}
	return 0;
}

void media_policy_parse_stats(uint64_t *parses, uint64_t *hits)
{
	*parses = g_parses;
	*hits = g_parse_hits;
}

void media_policy_forget(void)
{
	for (int i = 0; i < PARSED_N; i++)
		parsed_clear(&g_parsed[i]);
}

/* Prints s; a feedback profile's line is printed with its own name
 * (Sofia prints the base name of RTP/AVP and RTP/SAVP lines, and the
 * m_proto_name of any other, payloads included). NULL with why. */
static char *print(su_home_t *home, sdp_session_t *s, char *why, size_t whylen)
{
	sdp_printer_t *pr;
	sdp_proto_e was[SDP_CHECK_MAX_MEDIA];
	char *out = NULL;
	unsigned i = 0;

	for (sdp_media_t *m = s->sdp_media; m && i < SDP_CHECK_MAX_MEDIA; m = m->m_next, i++) {
		was[i] = m->m_proto;
		if ((m->m_proto == sdp_proto_rtp || m->m_proto == sdp_proto_srtp) && m->m_proto_name &&
		    feedback_profile(m->m_proto_name, strlen(m->m_proto_name)))
			m->m_proto = sdp_proto_x;
	}
	pr = sdp_print(home, s, NULL, 0, sdp_f_mode_manual);
	if (!pr || sdp_printing_error(pr))
		snprintf(why, whylen, "cannot print SDP: %s", pr ? sdp_printing_error(pr) : "no memory");
	else if (!(out = strdup(sdp_message(pr))))
		snprintf(why, whylen, "out of memory");
	if (pr)
		sdp_printer_free(pr);
	i = 0;
	for (sdp_media_t *m = s->sdp_media; m && i < SDP_CHECK_MAX_MEDIA; m = m->m_next, i++)
		m->m_proto = was[i];
	return out;
}

static int listed(const char *codecs, const char *name, int *rank)
{
	char buf[256], *save = NULL, *tok;
	int i = 0;

	snprintf(buf, sizeof(buf), "%s", codecs);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save), i++) {
		if (strcasecmp(tok, name) == 0) {
			*rank = i;
			return 1;
		}
	}
	return 0;
}

/* Relinks m's rtpmaps: only listed ones, stably ordered by list rank.
 * Returns how many real codecs (not telephone-event) remain. */
static int filter_media(sdp_media_t *m, const char *codecs, int *changed)
{
	sdp_rtpmap_t *keep[128];
	int rank[128], n = 0, audio = 0, orig = 0;

	for (sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
		int r;

		orig++;
		if (n < 128 && rm->rm_encoding && listed(codecs, rm->rm_encoding, &r)) {
			/* insertion sort by rank, stable */
			int j = n++;

			while (j > 0 && rank[j - 1] > r) {
				keep[j] = keep[j - 1];
				rank[j] = rank[j - 1];
				j--;
			}
			keep[j] = rm;
			rank[j] = r;
			if (strcasecmp(rm->rm_encoding, "telephone-event") != 0)
				audio++;
		}
	}
	/* telephone-event (RFC 4733) only at the clock rate of a codec kept:
	 * telephone-event/48000 after Opus was filtered out is no use. */
	for (int i = 0; i < n;) {
		int rate_kept = 0;

		if (strcasecmp(keep[i]->rm_encoding, "telephone-event") != 0) {
			i++;
			continue;
		}
		for (int k = 0; k < n; k++)
			if (strcasecmp(keep[k]->rm_encoding, "telephone-event") != 0 && keep[k]->rm_rate == keep[i]->rm_rate)
				rate_kept = 1;
		if (rate_kept) {
			i++;
			continue;
		}
		memmove(keep + i, keep + i + 1, (size_t)(n - i - 1) * sizeof(keep[0]));
		memmove(rank + i, rank + i + 1, (size_t)(n - i - 1) * sizeof(rank[0]));
		n--;
	}
	if (n != orig)
		*changed = 1;
	for (int i = 0; i < n; i++) {
		sdp_rtpmap_t *rm = m->m_rtpmaps;

		for (int k = 0; k < i && rm; k++)
			rm = rm->rm_next;
		if (rm != keep[i])
			*changed = 1;
		keep[i]->rm_next = i + 1 < n ? keep[i + 1] : NULL;
	}
	m->m_rtpmaps = n ? keep[0] : NULL;
	return audio;
}

int media_policy_filter(const char *sdp, const char *codecs, char **out, char *why, size_t whylen)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sdp_session_t *s;
	int rc = -1, changed = 0, usable = 0, rtp = 0;
	const char *other = NULL;

	*out = NULL;
	if (!codecs || !*codecs)
		return 0;
	s = parsed_copy(home, sdp, why, whylen);
	if (!s)
		goto out;
	for (sdp_media_t *m = s->sdp_media; m; m = m->m_next) {
		if (m->m_rejected || m->m_port == 0)
			continue;
		if (!sdp_media_has_rtp(m)) {
			if (!other)
				other = m->m_proto_name;
			continue;
		}
		rtp++;
		if (filter_media(m, codecs, &changed) > 0)
			usable++;
		else
			m->m_rejected = 1, m->m_port = 0;
	}
	if (!usable) {
		/* DTLS-SRTP (UDP/TLS/RTP/SAVPF) is not RTP we can relay. */
		if (!rtp && other)
			snprintf(why, whylen, "no RTP/AVP(F) or RTP/SAVP(F) stream offered (%s)", other);
		else
			snprintf(why, whylen, "no codec of %s offered", codecs);
		goto out;
	}
	if (changed && !(*out = print(home, s, why, whylen)))
		goto out;
	rc = 0;
out:
	su_home_deinit(home);
	return rc;
}

int media_policy_profiles(const char *sdp, int *srtp, int *avpf)
{
	const struct parsed *e = sdp ? parsed(sdp) : NULL;
	const sdp_session_t *s = e ? e->s : NULL;

	*srtp = *avpf = 0;
	for (sdp_media_t *m = s ? s->sdp_media : NULL; m; m = m->m_next) {
		if (!m->m_port)
			continue;
		*srtp |= m->m_proto == sdp_proto_srtp;
		*avpf |= m->m_proto_name && feedback_profile(m->m_proto_name, strlen(m->m_proto_name));
	}
	return s ? 0 : -1;
}

int media_policy_is_srtp(const char *sdp)
{
	int srtp, avpf;

	return media_policy_profiles(sdp, &srtp, &avpf) ? -1 : srtp;
}

int media_policy_is_avpf(const char *sdp)
{
	int srtp, avpf;

	return media_policy_profiles(sdp, &srtp, &avpf) ? -1 : avpf;
}

int media_policy_sendrecv(const char *sdp, char **out)
{
	static const char *const held[] = {"a=sendonly", "a=recvonly", "a=inactive"};
	size_t n = 0;
	char *o, why[8];

	*out = NULL;
	if (!sdp || media_policy_check(sdp, why, sizeof(why)) != 0 || !(o = malloc(strlen(sdp) + 1)))
		return -1;
	for (const char *l = sdp; *l;) {
		size_t len = strcspn(l, "\r\n"), eol = len;
		int drop = 0;

		while (l[eol] == '\r' || l[eol] == '\n')
			eol++;
		for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
			drop |= len == strlen(held[i]) && strncmp(l, held[i], len) == 0;
		if (!drop) {
			memcpy(o + n, l, eol);
			n += eol;
		}
		l += eol;
	}
	o[n] = 0;
	*out = o;
	return 0;
}

int media_policy_codec(const char *sdp, char *out, size_t cap)
{
	const struct parsed *e = sdp ? parsed(sdp) : NULL;
	const sdp_session_t *s = e ? e->s : NULL;
	int rc = -1;

	if (cap)
		out[0] = 0;
	for (sdp_media_t *m = s ? s->sdp_media : NULL; m; m = m->m_next) {
		if (m->m_type == sdp_media_audio && m->m_port && m->m_rtpmaps && m->m_rtpmaps->rm_encoding) {
			snprintf(out, cap, "%s", m->m_rtpmaps->rm_encoding);
			rc = 0;
			break;
		}
	}
	return rc;
}

/* ---- topology hiding of SDP ---- */

static int kept(const char *keep, const char *what)
{
	int rank;

	return keep && *keep && listed(keep, what, &rank);
}

/* Attributes that name the other side's software, streams or users. */
static int identifying(const char *name, const char *keep)
{
	static const struct {
		const char *name, *group;
	} attrs[] = {
		{"tool", "tool"}, {"ssrc", "ssrc"}, {"ssrc-group", "ssrc"},
		{"msid", "msid"}, {"msid-semantic", "msid"},
	};

	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strcasecmp(name, attrs[i].name) == 0)
			return !kept(keep, attrs[i].group);
	return strncasecmp(name, "x-", 2) == 0 && !kept(keep, "x");
}

static void drop_attrs(sdp_attribute_t **a, const char *keep)
{
	while (*a) {
		if (identifying((*a)->a_name, keep))
			*a = (*a)->a_next;
		else
			a = &(*a)->a_next;
	}
}

int media_policy_hide(const char *sdp, const char *keep, struct sdp_origin *o, char **out, char *why,
		      size_t whylen)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sdp_session_t *s = parsed_copy(home, sdp, why, whylen);
	char *text = NULL;
	unsigned h = 2166136261u;
	int rc = -1;

	*out = NULL;
	if (!s || !s->sdp_origin)
		goto done;
	s->sdp_origin->o_username = "-";
	s->sdp_origin->o_id = o->id;
	s->sdp_origin->o_version = 0;
	/* Our address, as the relay wrote it into c=, never the other side's. */
	if (s->sdp_connection)
		s->sdp_origin->o_address = s->sdp_connection;
	s->sdp_subject = "-";
	if (!kept(keep, "i"))
		s->sdp_information = NULL;
	if (!kept(keep, "u"))
		s->sdp_uri = NULL;
	if (!kept(keep, "e"))
		s->sdp_emails = NULL;
	if (!kept(keep, "p"))
		s->sdp_phones = NULL;
	drop_attrs(&s->sdp_attributes, keep);
	for (sdp_media_t *m = s->sdp_media; m; m = m->m_next) {
		if (!kept(keep, "i"))
			m->m_information = NULL;
		drop_attrs(&m->m_attributes, keep);
	}
	/* The version moves only when what we send changes. */
	if (!(text = print(home, s, why, whylen)))
		goto done;
	for (const char *c = text; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	free(text);
	if (!o->version || h != o->hash) {
		o->version++;
		o->hash = h;
	}
	s->sdp_origin->o_version = o->version;
	if ((*out = print(home, s, why, whylen)))
		rc = 0;
done:
	su_home_deinit(home);
	return rc;
}
