/*
 * sdp_rewrite.c - SDP in, SDP out, through Sofia's parser and printer.
 *
 * Owns: one su_home per call, freed before returning. Must not keep
 * state, allocate ports or keys, or edit SDP text by hand.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>
#include "sdp_check.h"
#include "sdp_rewrite.h"

/* Keep a=sendrecv & co. as written; allow c= only at session level. */
#define PARSE_FLAGS (sdp_f_mode_manual | sdp_f_c_missing)
#define PRINT_FLAGS sdp_f_mode_manual

static const char *const ice_attrs[] = {
	"ice-ufrag", "ice-pwd", "ice-options", "ice-lite", "ice-mismatch",
	"candidate", "remote-candidates", "end-of-candidates", NULL,
};

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static int proto_is_savp(const char *name)
{
	return name && (strcasecmp(name, "RTP/SAVP") == 0 || strcasecmp(name, "RTP/SAVPF") == 0);
}

static int proto_is_feedback(const char *name)
{
	return name && (strcasecmp(name, "RTP/AVPF") == 0 || strcasecmp(name, "RTP/SAVPF") == 0);
}

int rewrite_proto_rtp(const char *proto)
{
	static const char *const rtp[] = {"RTP/AVP", "RTP/SAVP", "RTP/AVPF", "RTP/SAVPF"};

	for (size_t i = 0; proto && i < sizeof(rtp) / sizeof(rtp[0]); i++)
		if (strcasecmp(proto, rtp[i]) == 0)
			return 1;
	return 0;
}

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

static sdp_session_t *parse(su_home_t *home, const char *sdp, size_t len, sdp_parser_t **parser,
			    char *err, size_t errlen)
{
	sdp_session_t *s;
	char why[128];

	*parser = NULL;
	/* Nothing reaches Sofia's parser unchecked: it loops allocating on
	 * some input ("m=audio 40000 RT@/AVP 8"). */
	if (sdp_check(sdp, len, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "bad SDP: %s", why);
		return NULL;
	}
	*parser = sdp_parse(home, sdp, (issize_t)len, PARSE_FLAGS);
	s = *parser ? sdp_session(*parser) : NULL;
	if (!s) {
		snprintf(err, errlen, "bad SDP: %s",
			 *parser && sdp_parsing_error(*parser) ? sdp_parsing_error(*parser) : "parse failed");
		return NULL;
	}
	if (restore_bwtypes(home, s, sdp, len) != 0) {
		snprintf(err, errlen, "bad SDP: b= lines not understood");
		return NULL;
	}
	return s;
}

int rewrite_parse(const char *sdp, size_t len, struct rewrite_info *out, char *err, size_t errlen)
{
	su_home_t *home = su_home_new(sizeof(su_home_t));
	sdp_parser_t *parser = NULL;
	sdp_session_t *s;
	sdp_media_t *m;
	int rc = -1, i = 0;

	memset(out, 0, sizeof(*out));
	if (!home) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s = parse(home, sdp, len, &parser, err, errlen);
	if (!s)
		goto out;
	for (m = s->sdp_media; m; m = m->m_next, i++) {
		struct rewrite_media *rm;
		sdp_connection_t *c = m->m_connections ? m->m_connections : s->sdp_connection;
		sdp_attribute_t *a;

		if (i == REWRITE_MAX_MEDIA) {
			snprintf(err, errlen, "more than %d m= lines", REWRITE_MAX_MEDIA);
			goto out;
		}
		rm = &out->media[i];
		copy(rm->type, sizeof(rm->type), m->m_type_name);
		copy(rm->proto, sizeof(rm->proto), m->m_proto_name);
		rm->savp = proto_is_savp(m->m_proto_name);
		rm->port = m->m_rejected ? 0 : (int)m->m_port;
		if (rm->port > 65535) {
			snprintf(err, errlen, "m= port %lu out of range", m->m_port);
			goto out;
		}
		copy(rm->addr, sizeof(rm->addr), c ? c->c_address : NULL);
		rm->rtcp_port = rm->port ? rm->port + 1 : 0;
		copy(rm->rtcp_addr, sizeof(rm->rtcp_addr), rm->addr);
		for (a = m->m_attributes; a; a = a->a_next) {
			if (strcasecmp(a->a_name, "rtcp-mux") == 0) {
				rm->rtcp_mux = 1;
			} else if (strcasecmp(a->a_name, "rtcp") == 0 && a->a_value) {
				/* RFC 3605: "a=rtcp:PORT [IN IP4 ADDR]" */
				char nettype[8], addrtype[8], addr[64];
				int port = atoi(a->a_value);

				if (port > 0 && port < 65536)
					rm->rtcp_port = port;
				if (sscanf(a->a_value, "%*d %7s %7s %63s", nettype, addrtype, addr) == 3)
					copy(rm->rtcp_addr, sizeof(rm->rtcp_addr), addr);
			} else if (strcasecmp(a->a_name, "crypto") == 0 && a->a_value &&
				   rm->ncrypto < REWRITE_MAX_CRYPTO) {
				copy(rm->crypto[rm->ncrypto++], REWRITE_CRYPTO_LEN, a->a_value);
			}
		}
	}
	out->nmedia = i;
	rc = 0;
out:
	if (parser)
		sdp_parser_free(parser);
	su_home_unref(home);
	return rc;
}

static sdp_attribute_t *attr_new(su_home_t *home, const char *name, const char *value)
{
	sdp_attribute_t *a = su_zalloc(home, sizeof(*a));

	if (!a)
		return NULL;
	a->a_size = sizeof(*a);
	a->a_name = su_strdup(home, name);
	a->a_value = value ? su_strdup(home, value) : NULL;
	return a;
}

static void attrs_remove(sdp_attribute_t **list, const char *name)
{
	while (sdp_attribute_remove(list, name))
		;
}

static void strip_ice(sdp_attribute_t **list)
{
	for (int i = 0; ice_attrs[i]; i++)
		attrs_remove(list, ice_attrs[i]);
}

static void set_conn(su_home_t *home, sdp_connection_t *c, const char *addr, int v6)
{
	c->c_nettype = sdp_net_in;
	c->c_addrtype = v6 ? sdp_addr_ip6 : sdp_addr_ip4;
	c->c_address = su_strdup(home, addr);
	c->c_mcast = 0;
	c->c_ttl = 0;
	c->c_groups = 0;
}

static sdp_connection_t *conn_new(su_home_t *home, const char *addr, int v6)
{
	sdp_connection_t *c = su_zalloc(home, sizeof(*c));

	if (c) {
		c->c_size = sizeof(*c);
		set_conn(home, c, addr, v6);
	}
	return c;
}

char *rewrite_apply(const char *sdp, size_t len, const struct rewrite_params *p,
		    char *err, size_t errlen)
{
	su_home_t *home = su_home_new(sizeof(su_home_t));
	sdp_parser_t *parser = NULL;
	sdp_printer_t *printer = NULL;
	sdp_session_t *s;
	sdp_media_t *m;
	struct in6_addr tmp;
	int v6 = p->addr && inet_pton(AF_INET6, p->addr, &tmp) == 1, i = 0;
	char *result = NULL;

	if (!home) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s = parse(home, sdp, len, &parser, err, errlen);
	if (!s)
		goto out;
	if (!p->addr) {
		snprintf(err, errlen, "no media address");
		goto out;
	}
	/* Session c= carries our address; media c= lines say the same. */
	if (s->sdp_connection)
		set_conn(home, s->sdp_connection, p->addr, v6);
	else if (!(s->sdp_connection = conn_new(home, p->addr, v6)))
		goto nomem;
	if (p->replace_origin && s->sdp_origin && s->sdp_origin->o_address)
		set_conn(home, s->sdp_origin->o_address, p->addr, v6);
	if (p->ice_remove)
		strip_ice(&s->sdp_attributes);
	for (m = s->sdp_media; m; m = m->m_next, i++) {
		const struct rewrite_out *o;
		sdp_attribute_t *a;
		char buf[32];

		if (i >= p->nmedia || i >= REWRITE_MAX_MEDIA) {
			snprintf(err, errlen, "SDP has more m= lines than streams");
			goto out;
		}
		o = &p->media[i];
		for (sdp_connection_t *c = m->m_connections; c; c = c->c_next)
			set_conn(home, c, p->addr, v6);
		if (o->proto && strcasecmp(o->proto, m->m_proto_name ? m->m_proto_name : "") != 0) {
			/* Only RTP becomes SRTP or back (udptl stays udptl). */
			if (!rewrite_proto_rtp(m->m_proto_name) || !rewrite_proto_rtp(o->proto)) {
				snprintf(err, errlen, "m= line %d: %s cannot become %s", i + 1,
					 m->m_proto_name ? m->m_proto_name : "?", o->proto);
				goto out;
			}
			/* Sofia prints RTP/AVP and RTP/SAVP by their number and
			 * any other protocol by its name, payloads included. */
			m->m_proto = proto_is_feedback(o->proto) ? sdp_proto_x
				     : proto_is_savp(o->proto)   ? sdp_proto_srtp
								 : sdp_proto_rtp;
			m->m_proto_name = su_strdup(home, o->proto);
			/* RTCP feedback (RFC 4585) means nothing without it. */
			if (!proto_is_feedback(o->proto))
				attrs_remove(&m->m_attributes, "rtcp-fb");
		}
		if (p->ice_remove)
			strip_ice(&m->m_attributes);
		attrs_remove(&m->m_attributes, "crypto");
		attrs_remove(&m->m_attributes, "rtcp");
		if (m->m_rejected || m->m_port == 0)
			continue;
		m->m_port = (unsigned long)o->port;
		if (!rewrite_proto_rtp(m->m_proto_name))
			continue;   /* no RTCP port, no keys */
		snprintf(buf, sizeof(buf), "%d", o->rtcp_port);
		if (!(a = attr_new(home, "rtcp", buf)))
			goto nomem;
		sdp_attribute_append(&m->m_attributes, a);
		for (int k = 0; k < o->ncrypto && k < 2; k++) {
			if (!(a = attr_new(home, "crypto", o->crypto[k])))
				goto nomem;
			sdp_attribute_append(&m->m_attributes, a);
		}
	}
	if (i != p->nmedia) {
		snprintf(err, errlen, "SDP has fewer m= lines than streams");
		goto out;
	}
	printer = sdp_print(home, s, NULL, 0, PRINT_FLAGS);
	if (!printer || !sdp_message(printer)) {
		snprintf(err, errlen, "cannot print SDP: %s",
			 printer && sdp_printing_error(printer) ? sdp_printing_error(printer) : "?");
		goto out;
	}
	result = strdup(sdp_message(printer));
	if (!result)
		goto nomem;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	if (printer)
		sdp_printer_free(printer);
	if (parser)
		sdp_parser_free(parser);
	su_home_unref(home);
	return result;
}
