/*
 * sip_read.c - fields of received SIP messages, copied out for the core.
 *
 * Owns: nothing past each call. Sofia's parser has accepted the message;
 * what it keeps as written (quoted display names, bodies without a NUL,
 * escaped headers in a URI) is cleaned or refused here.
 * Must not: include nua, answer, decide about calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_status.h>

#include "reply.h"
#include "sip_read.h"

msg_mclass_t const *sip_read_mclass(void)
{
	static msg_mclass_t *mc;

	if (!mc)
		mc = sip_extend_mclass(NULL);
	return mc ? mc : sip_default_mclass();
}

int sip_read_is_sdp(const sip_t *sip)
{
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data || !sip->sip_payload->pl_len)
		return 0;
	return !sip->sip_content_type || !sip->sip_content_type->c_type ||
	       strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0;
}

/* Sofia's body is not always NUL-terminated. */
char *sip_read_body(const sip_t *sip)
{
	char *s;

	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
		return NULL;
	s = malloc(sip->sip_payload->pl_len + 1);
	if (!s)
		return NULL;
	memcpy(s, sip->sip_payload->pl_data, sip->sip_payload->pl_len);
	s[sip->sip_payload->pl_len] = 0;
	return s;
}

/* Sofia keeps a display name as written, quotes and escapes included
 * (RFC 3261 25.1 quoted-string): keep the bare text, printable only. */
static const char *display_unquote(const char *d, char *buf, size_t cap)
{
	size_t n = 0;

	if (!d)
		return NULL;
	if (*d == '"')
		d++;
	for (; *d && n + 1 < cap; d++) {
		if (*d == '\\' && d[1])
			d++;
		else if (*d == '"')
			continue;
		if ((unsigned char)*d >= 0x20 && *d != 0x7f)
			buf[n++] = *d;
	}
	buf[n] = 0;
	return buf;
}

/* An Accept list that lets us answer with SDP. */
static int accepts_sdp(const sip_accept_t *ac)
{
	for (; ac; ac = ac->ac_next)
		if (ac->ac_type && (strcasecmp(ac->ac_type, "application/sdp") == 0 ||
				    strcasecmp(ac->ac_type, "application/*") == 0 || strcmp(ac->ac_type, "*/*") == 0))
			return 1;
	return 0;
}

static const char *user_of(const url_t *u)
{
	return u && u->url_user ? u->url_user : "";
}

int sip_read_invite(struct sip_read_invite *r, const sip_t *sip, const struct sockaddr *src)
{
	struct call_invite *inv = &r->inv;
	sip_p_asserted_identity_t *pai;

	memset(r, 0, sizeof(*r));
	/* Sofia accepts headers escaped into the Request-URI, which RFC 3261
	 * 19.1.5 forbids there (RFC 4475 3.1.2.2 escruri). */
	if (!sip->sip_request || sip->sip_request->rq_url->url_headers)
		return -1;
	if (src)
		memcpy(&inv->src, src,
		       src->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	snprintf(r->call_id, sizeof(r->call_id), "%s",
		 sip->sip_call_id && sip->sip_call_id->i_id ? sip->sip_call_id->i_id : "");
	inv->call_id = r->call_id;
	inv->ruri_user = user_of(sip->sip_request->rq_url);
	inv->from_user = sip->sip_from ? user_of(sip->sip_from->a_url) : "";
	inv->from_display = display_unquote(sip->sip_from ? sip->sip_from->a_display : NULL, r->display,
					    sizeof(r->display));
	inv->to_user = sip->sip_to ? user_of(sip->sip_to->a_url) : "";
	pai = sip_p_asserted_identity(sip);
	inv->pai_user = pai && pai->paid_url->url_user ? pai->paid_url->url_user : NULL;
	inv->max_forwards = sip->sip_max_forwards ? (int)sip->sip_max_forwards->mf_count : -1;
	/* Privacy (RFC 3323) is the one header of leg A we pass on by default. */
	if (sip->sip_privacy && sip->sip_privacy->priv_values && sip->sip_privacy->priv_values[0]) {
		struct policy_hdr *h = &r->hdrs[0];

		snprintf(h->name, sizeof(h->name), "Privacy");
		h->value[0] = 0;
		for (int i = 0; sip->sip_privacy->priv_values[i]; i++)
			snprintf(h->value + strlen(h->value), sizeof(h->value) - strlen(h->value), "%s%s",
				 i ? ";" : "", sip->sip_privacy->priv_values[i]);
		inv->hdrs = r->hdrs;
		inv->nhdrs = 1;
	}
	r->sdp = sip_read_is_sdp(sip) ? sip_read_body(sip) : NULL;
	inv->sdp = r->sdp;
	inv->body_not_sdp = !r->sdp && sip->sip_payload && sip->sip_payload->pl_len;
	inv->refuses_sdp = sip->sip_accept && !accepts_sdp(sip->sip_accept);
	inv->requires_100rel = sip_has_feature(sip->sip_require, "100rel");
	inv->supports_100rel = sip_has_feature(sip->sip_supported, "100rel");
	inv->allows_update = sip_read_allows_update(sip);
	inv->from_tag = sip->sip_from ? sip->sip_from->a_tag : NULL;
	inv->via_host = sip->sip_via ? sip->sip_via->v_host : NULL;
	inv->contact_host = sip->sip_contact ? sip->sip_contact->m_url->url_host : NULL;
	inv->rr_host = sip->sip_record_route ? sip->sip_record_route->r_url->url_host : NULL;
	return 0;
}

void sip_read_invite_done(struct sip_read_invite *r)
{
	free(r->sdp);
	r->sdp = NULL;
}

/* A Digest challenge parameter ("realm=", "nonce="), unquoted, into out;
 * "" when absent or longer than cap - 1 (never cut: a cut nonce would be
 * a different one). */
static void auth_param(const msg_auth_t *au, const char *name, char *out, size_t cap)
{
	const char *v = au ? msg_params_find(au->au_params, name) : NULL;
	size_t n;

	out[0] = 0;
	if (!au || !au->au_scheme || strcasecmp(au->au_scheme, "Digest") != 0 || !v)
		return;
	if (*v == '"')
		v++;
	n = strcspn(v, "\"");
	if (n >= cap)
		return;
	memcpy(out, v, n);
	out[n] = 0;
}

static const msg_auth_t *challenge_of(const sip_t *sip, int status)
{
	return status == SC_UNAUTHORIZED ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
}

void sip_read_realm(const sip_t *sip, int status, char *out, size_t cap)
{
	auth_param(challenge_of(sip, status), "realm=", out, cap);
}

void sip_read_challenge(const sip_t *sip, int status, char *realm, size_t rcap, char *nonce, size_t ncap)
{
	const msg_auth_t *au = challenge_of(sip, status);

	auth_param(au, "realm=", realm, rcap);
	auth_param(au, "nonce=", nonce, ncap);
}

/* At most 9 digits: a count of seconds that fits an int. */
static int seconds_of(const char *s)
{
	size_t n = s ? strspn(s, "0123456789") : 0;

	if (!n || n > 9 || s[n])
		return -1;
	return atoi(s);
}

#define GRANTED_MAX_CONTACTS 32   /* a registrar may list every binding of the AOR */

int sip_read_granted(const sip_t *sip, const char *user, const char *host, int port)
{
	int i = 0;

	if (!sip)
		return -1;
	for (const sip_contact_t *m = sip->sip_contact; m && i < GRANTED_MAX_CONTACTS; m = m->m_next, i++) {
		const url_t *u = m->m_url;
		int uport = u && u->url_port ? atoi(u->url_port) : 5060;

		if (!u || !u->url_user || !u->url_host || strcmp(u->url_user, user) != 0 ||
		    strcasecmp(u->url_host, host) != 0 || uport != port)
			continue;
		if (m->m_expires)
			return seconds_of(m->m_expires);
		break;
	}
	if (sip->sip_expires)
		return sip->sip_expires->ex_delta > 86400 * 365 ? 86400 * 365 : (int)sip->sip_expires->ex_delta;
	return -1;
}

#define DIAL_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+*#.-_"

/* A number we may route: 1 to cap-1 dial-string characters, copied. */
static const char *dial_string(const char *user, char *buf, size_t cap)
{
	size_t n;

	if (!user || !*user || (n = strlen(user)) >= cap || strspn(user, DIAL_CHARS) != n)
		return NULL;
	memcpy(buf, user, n + 1);
	return buf;
}

int sip_read_allows_update(const sip_t *sip)
{
	return sip && sip->sip_allow && sip_is_allowed(sip->sip_allow, sip_method_update, "UPDATE");
}

void sip_read_contact(const sip_t *sip, struct leg_response *r, char *user, size_t ucap, char *host,
		      size_t hcap)
{
	const url_t *u = sip && sip->sip_contact ? sip->sip_contact->m_url : NULL;
	const char *h;
	size_t n;
	long port = 0;
	char *end;

	r->contact_user = r->contact_host = NULL;
	r->contact_port = 0;
	if (!u || (u->url_type != url_sip && u->url_type != url_sips) || !(h = u->url_host))
		return;
	if (*h == '[')
		h++;
	n = strcspn(h, "]");
	if (!n || n >= hcap || strspn(h, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ.-:") < n)
		return;
	if (u->url_port) {
		port = strtol(u->url_port, &end, 10);
		if (*end || port < 1 || port > 65535)
			return;
	}
	memcpy(host, h, n);
	host[n] = 0;
	r->contact_host = host;
	r->contact_port = (int)port;
	r->contact_user = dial_string(u->url_user, user, ucap);
}

void sip_read_refer(const sip_t *sip, struct leg_refer *out, char *buf, size_t cap)
{
	const url_t *u = sip && sip->sip_refer_to ? sip->sip_refer_to->r_url : NULL;
	const char *user = NULL;

	out->user = NULL;
	out->replaces = 0;
	if (!u)
		return;
	if (u->url_headers && strcasestr(u->url_headers, "replaces="))
		out->replaces = 1;
	if (u->url_type == url_sip || u->url_type == url_sips)
		user = u->url_user;
	else if (u->url_type == url_tel)
		user = u->url_user ? u->url_user : u->url_host;
	out->user = dial_string(user, buf, cap);
}

void sip_read_reason(const sip_t *sip, struct leg_reason *out, char *buf, size_t cap)
{
	const sip_reason_t *pick = NULL;
	char text[49];
	size_t n = 0;
	long cause;
	char *end;

	out->q850 = 0;
	out->value = NULL;
	for (const sip_reason_t *re = sip ? sip->sip_reason : NULL; re; re = re->re_next) {
		if (!re->re_protocol || !re->re_cause)
			continue;
		if (strcasecmp(re->re_protocol, "Q.850") == 0) {
			pick = re;
			break;
		}
		if (!pick && strcasecmp(re->re_protocol, "SIP") == 0)
			pick = re;
	}
	if (!pick)
		return;
	cause = strtol(pick->re_cause, &end, 10);
	if (*end || end == pick->re_cause || cause < 1 || cause > 699)
		return;
	if (strcasecmp(pick->re_protocol, "Q.850") == 0) {
		if (cause > 127)
			return;
		out->q850 = (int)cause;
	}
	for (const char *t = pick->re_text ? pick->re_text : ""; *t && n < sizeof(text) - 1; t++)
		if (*t >= 0x20 && *t < 0x7f && *t != '"' && *t != '\\')
			text[n++] = *t;
	text[n] = 0;
	if (n)
		snprintf(buf, cap, "%s;cause=%ld;text=\"%s\"", out->q850 ? "Q.850" : "SIP", cause, text);
	else
		snprintf(buf, cap, "%s;cause=%ld", out->q850 ? "Q.850" : "SIP", cause);
	out->value = buf;
}
