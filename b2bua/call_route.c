/*
 * call_route.c - route selection: the candidate trunks of a call in
 * policy order, each within its limits and codec list, the relay's offer
 * toward it, and the INVITE of leg B in that trunk's format.
 *
 * Owns: the walk over c->cand and the best failure seen so far (what the
 * caller gets when every route failed). Runs on the SIP thread, called by
 * the state machine (call_fsm.c) and at admission (call.c).
 * Must not: block, touch Sofia, send a status literal.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "call_int.h"
#include "clock.h"
#include "log.h"
#include "media_policy.h"

/* RFC 3261 16.7 point 6 adapted to a B2BUA: 6xx beats everything, then a
 * real 4xx (the callee's own answer), then 3xx, 5xx, then timeouts. */
static int code_rank(int code)
{
	if (code >= SC_GLOBAL_ERR)
		return 0;
	if (code >= SC_CLIENT_ERR && code < SC_SERVER_ERR && code != SC_REQUEST_TIMEOUT)
		return 1;
	if (code >= SC_REDIRECT && code < SC_CLIENT_ERR)
		return 2;
	if (code >= SC_SERVER_ERR)
		return 3;
	return 4;
}

static void note(struct call *c, int code, const char *reason, enum hangup_by by, int retry_after)
{
	if (!c->best_code || code_rank(code) < code_rank(c->best_code)) {
		c->best_code = code;
		c->best_by = by;
		c->best_retry_after = retry_after;
		call_copy(c->best_reason, sizeof(c->best_reason), reason);
	}
}

void call_route_note_failure(struct call *c, int code, const char *reason, enum hangup_by by, const char *cause)
{
	call_attempt_end(c, code, reason, cause);
	note(c, code, reason, by, 0);
}

/* One of our own refusals, with its Retry-After; the attempt in progress
 * (no INVITE went) ends with cause, reason when given, else the reply's. */
static void note_reply(struct call *c, enum reply_id id, const char *cause, const char *reason)
{
	const struct reply *r = reply_get(id);

	call_attempt_end(c, 0, reason ? reason : r->reason, cause);
	note(c, r->code, r->reason, BY_B2BUA, r->retry_after);
}

/* A trunk's host when it is an address (the relay's NAT latching wants
 * the address its SIP comes from), else "". */
static const char *numeric_host(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1 ? host : "";
}

int call_srtp_wanted(const struct policy_trunk *t)
{
	if (t->srtp == POLICY_SRTP_MANDATORY)
		return 1;
	if (t->srtp == POLICY_SRTP_OFF)
		return 0;
	return -1;   /* optional: keep what the other side offered */
}

/* The INVITE of leg B toward c->to with offer sdp (the relay's, or the
 * caller's own when nothing is anchored). 0, or -1 (no leg). */
/* Privacy (RFC 3323) of leg A asks to hide the caller ("id" or "user"). */
static int caller_private(const struct call *c)
{
	for (size_t i = 0; i < c->nhdrs; i++)
		if (strcasecmp(c->hdrs[i].name, "Privacy") == 0 &&
		    (strstr(c->hdrs[i].value, "id") || strstr(c->hdrs[i].value, "user")))
			return 1;
	return 0;
}

/* Removes the header called name from hdrs; the new count. */
static size_t drop_header(struct policy_hdr *hdrs, size_t n, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (strcasecmp(hdrs[i].name, name) != 0)
			hdrs[k++] = hdrs[i];
	return k;
}

static int send_invite(struct call *c, const char *sdp)
{
	const struct call_env *e = &c->core->env;
	const struct policy_trunk *t = c->to;
	struct policy_hdr hdrs[CALL_MAX_HDRS * 2];
	struct leg_invite inv;
	char ruri[64], from[64], to[64], pai[64], display[64];
	size_t n = c->nhdrs;
	int private = caller_private(c);

	/* Number rules "out": the carrier's format, once the trunk is known.
	 * To names the routed number (the Request-URI's), not what the
	 * caller wrote; the caller's display name goes only where a
	 * "display" rule makes one (topology hiding). */
	policy_number_rewrite(c->policy, t->id, POLICY_OUT, POLICY_RURI, c->attempt_user[0] ? c->attempt_user : c->ruri_user,
			      ruri, sizeof(ruri));
	policy_number_rewrite(c->policy, t->id, POLICY_OUT, POLICY_FROM, c->from_user, from, sizeof(from));
	policy_number_rewrite(c->policy, t->id, POLICY_OUT, POLICY_TO, ruri, to, sizeof(to));
	if (policy_number_rewrite(c->policy, t->id, POLICY_OUT, POLICY_DISPLAY, c->from_display, display,
				  sizeof(display)) != 1)
		display[0] = 0;
	/* RFC 3325: an identity is asserted only to a trunk of our trust
	 * domain: the caller's own assertion when its trunk is trusted,
	 * else the From we send. Privacy toward anyone else (RFC 3323):
	 * an anonymous From, and no Privacy header left to say why. */
	pai[0] = 0;
	if (t->trusted)
		policy_number_rewrite(c->policy, t->id, POLICY_OUT, POLICY_PAI, c->pai_user[0] ? c->pai_user : from,
				      pai, sizeof(pai));
	call_copy(c->cdr.routed_to, sizeof(c->cdr.routed_to), ruri);
	call_copy(c->cdr.to_trunk, sizeof(c->cdr.to_trunk), t->name);
	if (n)
		memcpy(hdrs, c->hdrs, n * sizeof(hdrs[0]));
	n = policy_header_apply(c->policy, t->id, POLICY_OUT, hdrs, n, CALL_MAX_HDRS * 2);
	if (private && !t->trusted) {
		n = drop_header(hdrs, n, "Privacy");
		call_copy(from, sizeof(from), "");
		call_copy(display, sizeof(display), "Anonymous");
	}

	/* The last look before anything of A goes to the trunk. */
	if (call_leak_check(c, SIDE_B, "Request-URI", ruri) || call_leak_check(c, SIDE_B, "From", from) ||
	    call_leak_check(c, SIDE_B, "display name", display) || call_leak_check(c, SIDE_B, "To", to) ||
	    call_leak_check(c, SIDE_B, "P-Asserted-Identity", pai))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (call_leak_check(c, SIDE_B, hdrs[i].name, hdrs[i].value))
			return -1;
	memset(&inv, 0, sizeof(inv));
	inv.trunk = t;
	inv.ruri_user = ruri;
	inv.from_user = from;
	inv.anonymous = !from[0];
	inv.from_display = display;
	inv.to_user = to;
	inv.pai_user = pai[0] ? pai : NULL;
	inv.max_forwards = c->max_forwards;
	/* A new dialog toward a new trunk: a new o= of ours. */
	memset(&c->origin[SIDE_B], 0, sizeof(c->origin[SIDE_B]));
	if (sdp && !(sdp = call_sdp_to(c, SIDE_B, sdp)))
		return -1;
	inv.sdp = sdp;
	inv.hdrs = hdrs;
	inv.nhdrs = n;
	inv.rel100 = t->rel100;
	/* A trunk's reliable 18x answering an INVITE without SDP offers
	 * (RFC 3262 5), and only a caller that does 100rel can answer that
	 * before the 2xx: the trunk is offered 100rel only then, unless its
	 * policy requires it (call_fsm.c then tries the next route). */
	if (!sdp && t->rel100 == POLICY_REL100_SUPPORTED && !call_a_takes_early_offer(c))
		inv.rel100 = POLICY_REL100_OFF;
	inv.session_expires = t->session_expires;
	c->b_final = c->b_answered = c->b_provisional = c->b_auth_tried = 0;
	c->b = e->leg->invite(e->leg_ctx, c, &inv);
	if (!c->b)
		return -1;
	call_copy(c->cdr.b_call_id, sizeof(c->cdr.b_call_id), e->leg->call_id(c->b));
	c->state = CS_CALLING;
	call_timer_set(c, TIMER_TRUNK, e->trunk_timeout_ms);
	return 0;
}

/* The relay's offer toward the trunk being tried came back. */
void call_route_offered(struct call *c, const struct relay_result *r)
{
	if (r->err != RELAY_OK) {
		log_warn("call %s: relay refused the offer toward %s: %s", c->cdr.call_id, c->to->name,
			 r->detail ? r->detail : "?");
		note_reply(c, call_relay_reply(r->err), r->err == RELAY_E_SDP ? "media" : "relay",
			   r->err == RELAY_E_SDP ? "Media relay refused the offer" : "Media relay unavailable");
	} else if (send_invite(c, r->sdp) != 0) {
		note_reply(c, c->leak_stopped ? RP_LEAK : RP_INTERNAL, "internal", NULL);
	} else {
		return;
	}
	call_release_chan(c);
	call_route_next(c);
}

int call_route_redirect(struct call *c, const struct leg_response *r)
{
	const struct policy_trunk *from = c->to, *t;

	if (!from || from->redirect != POLICY_REDIRECT_FOLLOW || !r->contact_host)
		return -1;
	if (c->redirects >= CALL_MAX_REDIRECTS) {
		log_info("call %s: %d redirects already: the 3xx of %s is not followed", c->cdr.call_id,
			 c->redirects, from->name);
		return -1;
	}
	t = policy_trunk_by_target(c->policy, r->contact_host, r->contact_port);
	if (!t) {
		log_info("call %s: the 3xx of %s names no trunk of ours (%s:%d): not followed", c->cdr.call_id,
			 from->name, r->contact_host, r->contact_port);
		return -1;
	}
	/* Its number is in the redirecting trunk's format: its "in" rules;
	 * without one, the number this attempt had. */
	if (!r->contact_user)
		call_copy(c->redirect_user, sizeof(c->redirect_user), c->attempt_user[0] ? c->attempt_user : c->ruri_user);
	else if (policy_number_rewrite(c->policy, from->id, POLICY_IN, POLICY_RURI, r->contact_user, c->redirect_user,
				       sizeof(c->redirect_user)) < 0) {
		log_info("call %s: the 3xx of %s names a number too long after its rules: not followed", c->cdr.call_id,
			 from->name);
		return -1;
	}
	c->redirects++;
	c->redirect_to = t;
	log_info("call %s: %s redirected to trunk %s (%s), followed", c->cdr.call_id, from->name, t->name,
		 c->redirect_user);
	call_route_next(c);
	return 0;
}

/* When every route failed: the best failure, or why there was none. */
static void no_route_left(struct call *c)
{
	struct outcome o;

	if (!c->best_code)
		note_reply(c, c->limit_skips ? RP_LIMITS : RP_NO_ROUTE, NULL, NULL);
	o.code = c->best_code;
	o.reason = c->best_reason;
	o.by = c->best_by;
	o.retry_after = c->best_retry_after;
	o.disposition = call_disposition_of(c->best_code);
	call_end(c, &o);
}

/* Tries the next candidate route within its limits and codecs. */
void call_route_next(struct call *c)
{
	const struct call_env *e = &c->core->env;

	while (c->redirect_to || c->next_cand < c->ncand) {
		const struct policy_trunk *t;
		char *filtered = NULL, why[128];
		const char *offer = c->sdp_a;
		int rc;

		if (c->redirect_to) {
			t = c->redirect_to;
			c->redirect_to = NULL;
			call_copy(c->attempt_user, sizeof(c->attempt_user), c->redirect_user);
		} else {
			t = c->cand[c->next_cand++];
			c->attempt_user[0] = 0;
		}
		c->att_trunk = t;   /* an attempt, also when the trunk is skipped */
		c->att_start_ms = clock_wall_ms();
		/* A trunk its OPTIONS keepalives say is down is not waited
		 * for: its failure is the timeout it would have been. */
		if (e->health && e->health->down(e->health_ctx, t)) {
			log_info("call %s: trunk %s is down (OPTIONS), skipped", c->cdr.call_id, t->name);
			note_reply(c, RP_TRUNK_TIMEOUT, "unreachable", "Trunk down (OPTIONS)");
			continue;
		}
		if (e->limits && e->limits->take(e->limits_ctx, t) != 0) {
			log_info("call %s: trunk %s over its limits, skipped", c->cdr.call_id, t->name);
			call_attempt_end(c, 0, "Trunk over its limits", "limits");
			c->limit_skips++;
			continue;
		}
		c->chan = t;
		c->to = t;
		c->state = CS_ROUTING;
		call_copy(c->b_peer, sizeof(c->b_peer), numeric_host(t->host));
		call_copy(c->iface[SIDE_B], sizeof(c->iface[SIDE_B]), t->iface);
		/* What names this trunk: the caller must not see it. */
		memset(&c->secret[SIDE_B], 0, sizeof(c->secret[SIDE_B]));
		leak_set_add(&c->secret[SIDE_B], "host", t->host);
		log_debug("call %s: trying trunk %s", c->cdr.call_id, t->name);
		/* The trunk's codec list (RFC 3264 5.1: we may offer fewer). */
		if (offer && media_policy_filter(offer, t->codecs, &filtered, why, sizeof(why)) != 0) {
			log_info("call %s: trunk %s skipped: %s", c->cdr.call_id, t->name, why);
			note_reply(c, RP_MEDIA, "media", why);
			call_release_chan(c);
			continue;
		}
		if (filtered)
			offer = filtered;
		if (!e->relay || !offer) {
			/* No anchoring configured, or an offerless INVITE (the
			 * trunk's 2xx will offer: call_fsm.c). */
			rc = send_invite(c, offer);
			free(filtered);
			if (rc == 0)
				return;
			note_reply(c, c->leak_stopped ? RP_LEAK : RP_INTERNAL, "internal", NULL);
			call_release_chan(c);
			continue;
		}
		c->savp[SIDE_B] = call_srtp_wanted(t) >= 0 ? call_srtp_wanted(t) : c->savp[SIDE_A];
		rc = call_relay_offer(c, SIDE_A, offer, call_srtp_wanted(t), EV_R_ROUTE);
		free(filtered);
		if (rc == 0)
			return;
		note_reply(c, RP_RELAY, "relay", "Media relay unavailable");
		call_release_chan(c);
	}
	no_route_left(c);
}
