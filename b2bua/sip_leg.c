/*
 * sip_leg.c - the nua adapter: SIP transactions and dialogs for both legs.
 *
 * Owns: the nua instances (one per listen address, all on the su_root
 * thread), struct leg (one per nua handle, freed when the handle is
 * destroyed), the per-source request limiter and su timers for calls.
 * Copies what the core needs out of each sip_t inside the callback and
 * hands it over as plain data; leg B is always a fresh dialog with our own
 * Call-ID, tags, Via and Contact, so nothing of leg A's topology leaks.
 * Must not: make call decisions (call.c does), block, or do SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>

struct sip_stack;
struct leg;
#define NUA_MAGIC_T struct sip_stack
#define NUA_HMAGIC_T struct leg
#define SU_ROOT_MAGIC_T void
#define SU_TIMER_ARG_T struct call

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/su_tag.h>

#include "sip_leg.h"
#include "clock.h"
#include "log.h"

#define RL_SLOTS 1024   /* per-source limiter: hashed buckets */

struct leg {
	struct sip_stack *st;
	nua_handle_t *nh;
	struct call *call;          /* NULL once the core released us */
	enum call_side side;
	char call_id[128];
	int terminated;             /* nua said the dialog is over */
	int destroyed;
	nua_saved_event_t saved[1]; /* pending UPDATE/INFO to answer later */
	int saved_method;
	int in_invite_tx;           /* our re-INVITE is outstanding */
	/* Leg B: the trunk's digest credentials, used once per INVITE. */
	char auth_user[64], auth_pass[128], auth_realm[128];
	int auth_tried;
	struct leg *next_free;
};

struct sip_nua {
	nua_t *nua;
	struct config_listen addr;  /* first address of this instance */
	int has_udp, has_tcp;
	int down;
};

struct rl_bucket {
	uint32_t key;
	double tokens;
	int64_t last_ms;
};

struct sip_stack {
	su_root_t *root;
	const struct config *cfg;
	struct call_core *core;
	struct sip_nua nuas[CONFIG_MAX_LISTEN];
	int nnuas;
	void (*shutdown_done)(void *);
	void *shutdown_arg;
	struct rl_bucket rl[RL_SLOTS];
	uint64_t n_invites, n_options, n_rate_limited, n_legs, n_legs_freed;
};

static struct sip_stack *g_timer_stack;   /* timers need the root */

/* ---- helpers ---- */

static void random_hex(char *out, size_t bytes)
{
	unsigned char buf[32];
	static const char hex[] = "0123456789abcdef";

	if (bytes > sizeof(buf))
		bytes = sizeof(buf);
	if (getrandom(buf, bytes, 0) != (ssize_t)bytes) {
		for (size_t i = 0; i < bytes; i++)
			buf[i] = (unsigned char)random();
	}
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * bytes] = 0;
}

static struct leg *leg_new(struct sip_stack *st, enum call_side side)
{
	struct leg *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->st = st;
	l->side = side;
	st->n_legs++;
	return l;
}

static void leg_destroy(struct leg *l)
{
	if (l->destroyed)
		return;
	l->destroyed = 1;
	if (l->saved_method) {
		nua_destroy_event(l->saved);
		l->saved_method = 0;
	}
	if (l->nh) {
		nua_handle_bind(l->nh, NULL);
		nua_handle_destroy(l->nh);
		l->nh = NULL;
	}
	l->st->n_legs_freed++;
	free(l);
}

/* Token bucket per source address (hashed); 0 = allowed. */
static int rate_limited(struct sip_stack *st, const struct sockaddr *sa)
{
	uint32_t key = 2166136261u;
	const unsigned char *p;
	size_t n;
	struct rl_bucket *b;
	int64_t now;
	double rate = st->cfg->rate_limit_pps;

	if (rate <= 0 || !sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		p = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
		n = 4;
	} else if (sa->sa_family == AF_INET6) {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		n = 16;
	} else {
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		key = (key ^ p[i]) * 16777619u;
	b = &st->rl[key % RL_SLOTS];
	now = clock_mono_ms();
	if (b->key != key || b->last_ms == 0) {
		b->key = key;
		b->tokens = rate;
		b->last_ms = now;
	}
	b->tokens += (now - b->last_ms) * rate / 1000.0;
	if (b->tokens > rate * 2)
		b->tokens = rate * 2;   /* burst of two seconds' worth */
	b->last_ms = now;
	if (b->tokens < 1.0)
		return 1;
	b->tokens -= 1.0;
	return 0;
}

static const struct sockaddr *request_source(nua_t *nua)
{
	msg_t *m = nua_current_request(nua);
	su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;

	return ai ? ai->ai_addr : NULL;
}

static const char *sdp_of(const sip_t *sip)
{
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data || !sip->sip_payload->pl_len)
		return NULL;
	if (sip->sip_content_type && sip->sip_content_type->c_type &&
	    strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0)
		return NULL;
	return sip->sip_payload->pl_data;
}

/* Payload as a NUL-terminated copy (Sofia's body is not always). */
static char *body_dup(const sip_t *sip)
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

static char *sdp_dup(const sip_t *sip)
{
	return sdp_of(sip) ? body_dup(sip) : NULL;
}

static struct sip_nua *nua_for(struct sip_stack *st, const char *transport)
{
	int want_tcp = transport && strcasecmp(transport, "tcp") == 0;

	for (int i = 0; i < st->nnuas; i++)
		if (want_tcp ? st->nuas[i].has_tcp : st->nuas[i].has_udp)
			return &st->nuas[i];
	return st->nnuas ? &st->nuas[0] : NULL;
}

static const char *our_host(struct sip_stack *st, const struct sip_nua *n, char *buf, size_t cap)
{
	const char *h = st->cfg->advertise[0] ? st->cfg->advertise : n->addr.host;

	if (strchr(h, ':'))
		snprintf(buf, cap, "[%s]", h);
	else
		snprintf(buf, cap, "%s", h);
	return buf;
}

/* Escapes '"' and '\\' for a quoted display name. */
static const char *display_quote(const char *d, char *buf, size_t cap)
{
	size_t n = 0;

	for (; *d && n + 2 < cap; d++) {
		if (*d == '"' || *d == '\\')
			buf[n++] = '\\';
		buf[n++] = *d;
	}
	buf[n] = 0;
	return buf;
}

/* ---- leg_ops ---- */

static struct leg *op_invite(void *ctx, struct call *c, const struct leg_invite *inv)
{
	struct sip_stack *st = ctx;
	struct sip_nua *n = nua_for(st, inv->trunk->transport);
	char cid[40], from[256], to[256], ruri[320], host[80], mf[16], thost[280];
	char pai[256], extra[2048], dq[136];
	size_t elen = 0;
	struct leg *l;
	int tport = strcasecmp(inv->trunk->transport, "tcp") == 0;

	if (!n)
		return NULL;
	l = leg_new(st, SIDE_B);
	if (!l)
		return NULL;
	random_hex(cid, 16);
	snprintf(l->call_id, sizeof(l->call_id), "%s", cid);
	our_host(st, n, host, sizeof(host));
	if (strchr(inv->trunk->host, ':'))
		snprintf(thost, sizeof(thost), "[%s]", inv->trunk->host);
	else
		snprintf(thost, sizeof(thost), "%s", inv->trunk->host);
	if (inv->trunk->port)
		snprintf(thost + strlen(thost), sizeof(thost) - strlen(thost), ":%d", inv->trunk->port);
	if (inv->from_display && *inv->from_display)
		snprintf(from, sizeof(from), "\"%s\" <sip:%s@%s>", display_quote(inv->from_display, dq, sizeof(dq)),
			 *inv->from_user ? inv->from_user : "anonymous", host);
	else
		snprintf(from, sizeof(from), "<sip:%s@%s>", *inv->from_user ? inv->from_user : "anonymous",
			 host);
	snprintf(to, sizeof(to), "<sip:%s@%s>", inv->to_user, thost);
	snprintf(ruri, sizeof(ruri), "sip:%s@%s%s", inv->ruri_user, thost, tport ? ";transport=tcp" : "");
	snprintf(mf, sizeof(mf), "%d", inv->max_forwards);
	extra[0] = 0;
	if (inv->pai_user) {
		snprintf(pai, sizeof(pai), "P-Asserted-Identity: <sip:%s@%s>\r\n", inv->pai_user, host);
		elen += snprintf(extra + elen, sizeof(extra) - elen, "%s", pai);
	}
	for (size_t i = 0; i < inv->nhdrs && elen < sizeof(extra); i++)
		elen += snprintf(extra + elen, sizeof(extra) - elen, "%s: %s\r\n", inv->hdrs[i].name,
				 inv->hdrs[i].value);
	if (elen >= sizeof(extra))
		extra[0] = 0;   /* never send a truncated header */
	else if (elen >= 2)
		extra[elen - 2] = 0;   /* nua adds the last CRLF */

	l->nh = nua_handle(n->nua, l, SIPTAG_CALL_ID_STR(cid), SIPTAG_FROM_STR(from),
			   SIPTAG_TO_STR(to), TAG_END());
	if (!l->nh) {
		log_error("cannot create a SIP handle (From %s, To %s)", from, to);
		leg_destroy(l);
		return NULL;
	}
	l->call = c;
	snprintf(l->auth_user, sizeof(l->auth_user), "%s", inv->trunk->username);
	snprintf(l->auth_pass, sizeof(l->auth_pass), "%s", inv->trunk->password);
	snprintf(l->auth_realm, sizeof(l->auth_realm), "%s", inv->trunk->realm);
	nua_invite(l->nh, NUTAG_URL(ruri), SIPTAG_MAX_FORWARDS_STR(mf),
		   TAG_IF(inv->sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		   TAG_IF(inv->sdp, SIPTAG_PAYLOAD_STR(inv->sdp)),
		   TAG_IF(extra[0], SIPTAG_HEADER_STR(extra)), TAG_END());
	return l;
}

/* nua_respond() keeps the phrase pointer until its signal runs on a later
 * loop turn, so the phrase must outlive this call: a copy in the handle's
 * home (freed with the handle) when it is not Sofia's own static text. */
static const char *phrase_keep(struct leg *l, int code, const char *reason)
{
	const char *std = sip_status_phrase(code);

	if (!reason || !*reason || (std && strcmp(std, reason) == 0))
		return std ? std : "Unknown";
	return su_strdup(nua_handle_home(l->nh), reason);
}

static void op_respond(struct leg *l, int code, const char *reason, const char *sdp, int retry_after)
{
	char ra[16];

	/* nua sent 100 Trying when the INVITE arrived (RFC 3261 8.2.6.1). */
	if (!l->nh || l->terminated || code == 100)
		return;
	snprintf(ra, sizeof(ra), "%d", retry_after);
	nua_respond(l->nh, code, phrase_keep(l, code, reason), TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_IF(retry_after > 0, SIPTAG_RETRY_AFTER_STR(ra)),
		    TAG_END());
}

static void op_respond_req(struct leg *l, int method, int code, const char *reason, const char *ctype,
			   const char *body)
{
	(void)method;
	if (!l->nh || !l->saved_method)
		return;
	nua_respond(l->nh, code, phrase_keep(l, code, reason), NUTAG_WITH_SAVED(l->saved),
		    TAG_IF(ctype && body, SIPTAG_CONTENT_TYPE_STR(ctype)),
		    TAG_IF(ctype && body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
	nua_destroy_event(l->saved);
	l->saved_method = 0;
}

static void op_cancel(struct leg *l)
{
	if (l->nh && !l->terminated)
		nua_cancel(l->nh, TAG_END());
}

static void op_bye(struct leg *l)
{
	if (l->nh && !l->terminated)
		nua_bye(l->nh, TAG_END());
}

static void op_request(struct leg *l, int method, const char *ctype, const char *body)
{
	if (!l->nh || l->terminated)
		return;
	switch (method) {
	case METHOD_INVITE:
		l->in_invite_tx = 1;
		nua_invite(l->nh, TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
			   TAG_IF(body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
		break;
	case METHOD_UPDATE:
		nua_update(l->nh, TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
			   TAG_IF(body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
		break;
	case METHOD_INFO:
		nua_info(l->nh, TAG_IF(ctype && body, SIPTAG_CONTENT_TYPE_STR(ctype)),
			 TAG_IF(ctype && body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
		break;
	}
}

static const char *op_call_id(struct leg *l)
{
	return l->call_id;
}

static void op_release(struct leg *l)
{
	l->call = NULL;
	if (l->saved_method) {
		/* A request nobody will relay any more still gets an answer. */
		nua_respond(l->nh, 481, "Call Does Not Exist", NUTAG_WITH_SAVED(l->saved), TAG_END());
		nua_destroy_event(l->saved);
		l->saved_method = 0;
	}
	if (l->terminated || !l->nh)
		leg_destroy(l);
}

static const struct leg_ops leg_ops = {
	.invite = op_invite,
	.respond = op_respond,
	.respond_req = op_respond_req,
	.cancel = op_cancel,
	.bye = op_bye,
	.request = op_request,
	.call_id = op_call_id,
	.release = op_release,
};

const struct leg_ops *sip_stack_leg_ops(void)
{
	return &leg_ops;
}

/* ---- timers ---- */

static void timer_fired(void *magic, su_timer_t *t, struct call *c)
{
	(void)magic;
	for (int i = 0; i < TIMER__N; i++) {
		if (call_get_timer_slot(c, i) == t) {
			call_set_timer_slot(c, i, NULL);
			su_timer_destroy(t);
			call_on_timer(c, i);
			call_unref(c);
			return;
		}
	}
}

static void op_timer_cancel(void *ctx, struct call *c, enum call_timer which)
{
	su_timer_t *t = call_get_timer_slot(c, which);

	(void)ctx;
	if (t) {
		call_set_timer_slot(c, which, NULL);
		su_timer_destroy(t);
		call_unref(c);
	}
}

static void op_timer_set(void *ctx, struct call *c, enum call_timer which, int64_t ms)
{
	struct sip_stack *st = ctx ? ctx : g_timer_stack;
	su_timer_t *t;

	op_timer_cancel(ctx, c, which);
	t = su_timer_create(su_root_task(st->root), ms);
	if (!t)
		return;
	if (su_timer_set(t, timer_fired, c) < 0) {
		su_timer_destroy(t);
		return;
	}
	call_set_timer_slot(c, which, t);
	call_ref(c);
}

static const struct timer_ops timer_ops = {.set = op_timer_set, .cancel = op_timer_cancel};

const struct timer_ops *sip_stack_timer_ops(void)
{
	return &timer_ops;
}

/* ---- nua events ---- */

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

static int known_source(struct sip_stack *st, const struct sockaddr *sa)
{
	return sa && st->core && policy_trunk_by_addr(call_core_policy(st->core), sa) != NULL;
}

static void on_new_invite(struct sip_stack *st, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
	const struct sockaddr *sa = request_source(nua);
	struct call_invite inv;
	struct policy_hdr hdrs[4];
	char display[64];
	size_t nh_count = 0;
	struct leg *l;
	char *sdp;
	sip_p_asserted_identity_t *pai;

	st->n_invites++;
	if (!st->core || rate_limited(st, sa)) {
		st->n_rate_limited += st->core != NULL;
		nua_respond(nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	/* Sofia accepts headers escaped into the Request-URI, which RFC 3261
	 * 19.1.5 forbids there (RFC 4475 3.1.2.2 escruri). */
	if (sip->sip_request->rq_url->url_headers) {
		nua_respond(nh, 400, "Headers Not Allowed In Request-URI", TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	l = leg_new(st, SIDE_A);
	if (!l) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	l->nh = nh;
	nua_handle_bind(nh, l);
	snprintf(l->call_id, sizeof(l->call_id), "%s",
		 sip->sip_call_id && sip->sip_call_id->i_id ? sip->sip_call_id->i_id : "");

	memset(&inv, 0, sizeof(inv));
	if (sa)
		memcpy(&inv.src, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							       : sizeof(struct sockaddr_in));
	inv.call_id = l->call_id;
	inv.ruri_user = sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : "";
	inv.from_user = sip->sip_from && sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "";
	inv.from_display = display_unquote(sip->sip_from ? sip->sip_from->a_display : NULL, display,
					   sizeof(display));
	inv.to_user = sip->sip_to && sip->sip_to->a_url->url_user ? sip->sip_to->a_url->url_user : "";
	pai = sip_p_asserted_identity(sip);
	inv.pai_user = pai && pai->paid_url->url_user ? pai->paid_url->url_user : NULL;
	inv.max_forwards = sip->sip_max_forwards ? (int)sip->sip_max_forwards->mf_count : -1;
	/* Privacy (RFC 3323) is the one header of leg A we pass on by default. */
	if (sip->sip_privacy && sip->sip_privacy->priv_values && sip->sip_privacy->priv_values[0]) {
		snprintf(hdrs[0].name, sizeof(hdrs[0].name), "Privacy");
		hdrs[0].value[0] = 0;
		for (int i = 0; sip->sip_privacy->priv_values[i]; i++)
			snprintf(hdrs[0].value + strlen(hdrs[0].value), sizeof(hdrs[0].value) - strlen(hdrs[0].value),
				 "%s%s", i ? ";" : "", sip->sip_privacy->priv_values[i]);
		nh_count = 1;
	}
	inv.hdrs = hdrs;
	inv.nhdrs = nh_count;
	sdp = sdp_dup(sip);
	inv.sdp = sdp;
	l->call = call_on_invite(st->core, l, &inv);
	free(sdp);
}

/* The realm of a 401/407 challenge, unquoted, or "" . */
static void challenge_realm(const sip_t *sip, int status, char *out, size_t cap)
{
	const msg_auth_t *au = status == 401 ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
	const char *r = au ? msg_params_find(au->au_params, "realm=") : NULL;
	size_t n;

	out[0] = 0;
	if (!au || !au->au_scheme || strcasecmp(au->au_scheme, "Digest") != 0 || !r)
		return;
	if (*r == '"')
		r++;
	n = strcspn(r, "\"");
	if (n >= cap)
		return;
	memcpy(out, r, n);
	out[n] = 0;
}

/*
 * A trunk's challenge to our INVITE: answered once with the trunk's own
 * credentials, and only when the realm is the trunk's configured one (or
 * any realm when none is configured). Leg B talks to nobody but the trunk's
 * address, so the challenge cannot come from a third party (FreeSWITCH
 * leaked digests to whoever asked: CVE-2021-41158). Returns 1 when the
 * INVITE was re-sent with credentials.
 */
static int try_authenticate(struct leg *l, int status, const sip_t *sip)
{
	char realm[128], cred[400];

	if (l->side != SIDE_B || l->auth_tried || !l->auth_user[0] || !sip)
		return 0;
	challenge_realm(sip, status, realm, sizeof(realm));
	if (!realm[0] || strchr(realm, ':') || (l->auth_realm[0] && strcmp(realm, l->auth_realm) != 0)) {
		log_warn("call %s: trunk challenge for realm '%s' not answered (trunk realm '%s')", l->call_id,
			 realm, l->auth_realm);
		return 0;
	}
	snprintf(cred, sizeof(cred), "Digest:\"%s\":%s:%s", realm, l->auth_user, l->auth_pass);
	l->auth_tried = 1;
	nua_authenticate(l->nh, NUTAG_AUTH(cred), TAG_END());
	return 1;
}

static void on_response(struct leg *l, nua_event_t event, int status, const char *phrase, const sip_t *sip)
{
	char *sdp;

	if (!l->call)
		return;
	if (event == nua_r_invite) {
		if ((status == 401 || status == 407) && try_authenticate(l, status, sip))
			return;
		if (status == 401 || status == 407) {
			/* Our own leg's challenge means nothing to the caller. nua
			 * keeps such a handle waiting for credentials: it is over. */
			l->terminated = 1;
			status = 403;
			phrase = "Trunk Authentication Failed";
		}
		if (status >= 200)
			l->in_invite_tx = 0;
		sdp = sdp_dup(sip);
		call_on_response(l->call, l, status, phrase, sdp);
		free(sdp);
		return;
	}
	if (event == nua_r_update || event == nua_r_info) {
		char *body = body_dup(sip);
		const char *ctype = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;

		call_on_req_response(l->call, l, event == nua_r_update ? METHOD_UPDATE : METHOD_INFO, status,
				     phrase, ctype, body);
		free(body);
		if (l->call && (status == 481 || status == 408))
			call_on_leg_dead(l->call, l, status, phrase);
	}
}

static void on_in_dialog(struct sip_stack *st, nua_t *nua, struct leg *l, nua_event_t event, const sip_t *sip)
{
	int method = event == nua_i_invite ? METHOD_INVITE : event == nua_i_update ? METHOD_UPDATE : METHOD_INFO;
	const char *ctype = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	char *body;

	(void)st;
	if (method != METHOD_INVITE) {
		if (l->saved_method) {
			nua_respond(l->nh, 491, "Request Pending", NUTAG_WITH_THIS(nua), TAG_END());
			return;
		}
		nua_save_event(nua, l->saved);
		l->saved_method = method;
	}
	body = body_dup(sip);
	call_on_request(l->call, l, method, ctype, body);
	free(body);
}

static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua, struct sip_stack *st,
		     nua_handle_t *nh, struct leg *l, sip_t const *sip, tagi_t tags[])
{
	log_debug("nua %s %d %s leg=%p call=%p", nua_event_name(event), status, phrase ? phrase : "",
		  (void *)l, l ? (void *)l->call : NULL);
	switch (event) {
	case nua_i_invite:
		if (!l) {
			on_new_invite(st, nua, nh, sip);
		} else if (l->call) {
			on_in_dialog(st, nua, l, event, sip);
		} else {
			nua_respond(nh, 481, "Call Does Not Exist", TAG_END());
		}
		return;
	case nua_i_update:
	case nua_i_info:
		if (l && l->call)
			on_in_dialog(st, nua, l, event, sip);
		else
			nua_respond(nh, 481, "Call Does Not Exist", NUTAG_WITH_THIS(nua), TAG_END());
		return;
	case nua_i_options: {
		const struct sockaddr *sa = request_source(nua);

		st->n_options++;
		if (rate_limited(st, sa))
			nua_respond(nh, 503, "Service Unavailable", NUTAG_WITH_THIS(nua),
				    SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
		else if (known_source(st, sa))
			nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(nua), TAG_END());
		else
			nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(nua), TAG_END());
		if (!l)
			nua_handle_destroy(nh);
		return;
	}
	case nua_i_ack:
		if (l && l->call)
			call_on_ack(l->call, l);
		return;
	case nua_i_cancel:
		if (l && l->call)
			call_on_cancel(l->call, l);
		return;
	case nua_i_bye:
		if (l && l->call)
			call_on_bye(l->call, l);
		return;
	case nua_r_invite:
	case nua_r_update:
	case nua_r_info:
		if (l)
			on_response(l, event, status, phrase, sip);
		return;
	case nua_i_state: {
		int cs = nua_callstate_init;

		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (l && cs == nua_callstate_terminated) {
			l->terminated = 1;
			if (l->call)
				call_on_leg_dead(l->call, l, status >= 300 ? status : 481,
						 phrase ? phrase : "Dialog terminated");
			if (!l->call)
				leg_destroy(l);
		}
		return;
	}
	case nua_r_shutdown:
		if (status >= 200) {
			int all = 1;

			for (int i = 0; i < st->nnuas; i++) {
				if (st->nuas[i].nua == nua)
					st->nuas[i].down = 1;
				all &= st->nuas[i].down;
			}
			if (all && st->shutdown_done)
				st->shutdown_done(st->shutdown_arg);
		}
		return;
	case nua_i_message:
	case nua_i_refer:
	case nua_i_subscribe:
	case nua_i_publish:
	case nua_i_notify:
	case nua_i_method:
	case nua_i_register:
		nua_respond(nh, SIP_405_METHOD_NOT_ALLOWED, NUTAG_WITH_THIS(nua), TAG_END());
		if (!l)
			nua_handle_destroy(nh);
		return;
	default:
		if (status >= 300 && l && l->call && event == nua_r_bye)
			log_debug("BYE answered %d on %s", status, l->call_id);
		return;
	}
}

/* ---- the stack ---- */

static int add_nua(struct sip_stack *st, const struct config_listen *a, int udp, int tcp, char *err,
		   size_t errlen)
{
	struct sip_nua *n = &st->nuas[st->nnuas];
	char url[256], host[80];
	const char *transport = udp && tcp ? "" : udp ? ";transport=udp" : ";transport=tcp";
	const char *ua = st->cfg->user_agent;

	if (strchr(a->host, ':'))
		snprintf(host, sizeof(host), "[%s]", a->host);
	else
		snprintf(host, sizeof(host), "%s", a->host);
	if (st->cfg->advertise[0])
		snprintf(url, sizeof(url), "sip:%s%s%s:%d;maddr=%s%s", strchr(st->cfg->advertise, ':') ? "[" : "",
			 st->cfg->advertise, strchr(st->cfg->advertise, ':') ? "]" : "", a->port, a->host,
			 transport);
	else
		snprintf(url, sizeof(url), "sip:%s:%d%s", host, a->port, transport);
	n->nua = nua_create(st->root, on_event, st, NUTAG_URL(url), TPTAG_STUN_SERVER(0), TAG_END());
	if (!n->nua) {
		snprintf(err, errlen, "cannot listen on %s (address in use or not local?)", url);
		return -1;
	}
	nua_set_params(n->nua, NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0), NUTAG_AUTOACK(1),
		       NUTAG_MEDIA_ENABLE(0), NUTAG_ENABLEMESSAGE(0), NUTAG_SESSION_TIMER(0),
		       NUTAG_APPL_METHOD("INVITE, UPDATE, INFO, OPTIONS"),
		       NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO"),
		       NUTAG_USER_AGENT(ua[0] ? ua : NULL),
		       TAG_IF(!ua[0], SIPTAG_USER_AGENT(NULL)), TAG_IF(!ua[0], SIPTAG_SERVER(NULL)),
		       TAG_IF(ua[0], SIPTAG_USER_AGENT_STR(ua)), TAG_IF(ua[0], SIPTAG_SERVER_STR(ua)),
		       TAG_END());
	n->addr = *a;
	n->has_udp = udp;
	n->has_tcp = tcp;
	st->nnuas++;
	log_info("listening on %s", url);
	return 0;
}

int sip_stack_new(struct sip_stack **out, su_root_t *root, const struct config *cfg, char *err,
		  size_t errlen)
{
	struct sip_stack *st = calloc(1, sizeof(*st));
	int done[CONFIG_MAX_LISTEN] = {0};

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->root = root;
	st->cfg = cfg;
	/* One nua per address:port; it serves every transport listed for it. */
	for (int i = 0; i < cfg->nlisten; i++) {
		int udp = 0, tcp = 0;

		if (done[i])
			continue;
		for (int j = i; j < cfg->nlisten; j++) {
			if (strcmp(cfg->listen[j].host, cfg->listen[i].host) == 0 &&
			    cfg->listen[j].port == cfg->listen[i].port) {
				done[j] = 1;
				udp |= strcmp(cfg->listen[j].proto, "udp") == 0;
				tcp |= strcmp(cfg->listen[j].proto, "tcp") == 0;
			}
		}
		if (add_nua(st, &cfg->listen[i], udp, tcp, err, errlen) != 0) {
			sip_stack_free(st);
			return -1;
		}
	}
	g_timer_stack = st;
	*out = st;
	return 0;
}

void sip_stack_set_core(struct sip_stack *st, struct call_core *core)
{
	st->core = core;
}

void sip_stack_shutdown(struct sip_stack *st, void (*done)(void *), void *arg)
{
	st->shutdown_done = done;
	st->shutdown_arg = arg;
	for (int i = 0; i < st->nnuas; i++)
		nua_shutdown(st->nuas[i].nua);
	if (!st->nnuas && done)
		done(arg);
}

void sip_stack_free(struct sip_stack *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nnuas; i++)
		if (st->nuas[i].nua)
			nua_destroy(st->nuas[i].nua);
	if (g_timer_stack == st)
		g_timer_stack = NULL;
	free(st);
}

size_t sip_stack_stats(struct sip_stack *st, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
			 "sip_invites %llu\nsip_options %llu\nsip_rate_limited %llu\nlegs_open %llu\n",
			 (unsigned long long)st->n_invites, (unsigned long long)st->n_options,
			 (unsigned long long)st->n_rate_limited,
			 (unsigned long long)(st->n_legs - st->n_legs_freed));

	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
