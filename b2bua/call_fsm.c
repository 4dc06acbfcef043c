/*
 * call_fsm.c - the call state machine: one (state x event) table that
 * says what every event does in every state, and the actions of call
 * establishment (the trunk's answers, CANCEL, BYE, dead legs, timers,
 * relay completions).
 *
 * Owns: nothing but the table; the call's data is call_int.h's. Every
 * event of a call, from a leg, the relay, a timer or the administrator,
 * is dispatched here and nowhere else decides on the state. An event a
 * state does not expect is ignored with a debug line (a request still
 * gets its answer: the table routes it to a refusal).
 * Must not: block, touch Sofia, send a status literal (reply.h names them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "call_int.h"
#include "clock.h"
#include "log.h"
#include "media_policy.h"

static const char *const state_names[CS__N] = {"routing", "calling", "early", "answering",
					       "connected", "ending"};
static const char *const event_names[EV__N] = {
	"b-trying", "b-progress", "b-answer", "b-challenge", "b-failure", "ack", "prack", "cancel", "bye",
	"request", "refer", "tx-response", "dead", "relay-route", "relay-early", "relay-early-offer",
	"relay-early-answer", "relay-answer",
	"relay-tx-offer", "relay-tx-answer", "relay-query", "relay-delete", "trunk-timeout",
	"no-answer", "max-duration", "retry", "admin-hangup", "media-poll", "xfer-abandon",
};

static struct outcome outcome(int code, const char *reason, const char *disposition, enum hangup_by by)
{
	struct outcome o = {code, reason, disposition, by, 0, 0, NULL, NULL};

	return o;
}

/* A BYE or CANCEL from side `from` with its Reason (RFC 3326): the
 * Q.850 cause goes into the CDR, the header to the other leg when the
 * sender's trunk is trusted. */
static void with_reason(struct call *c, struct outcome *o, enum call_side from, const struct leg_reason *why)
{
	if (!why)
		return;
	o->q850 = why->q850;
	o->pass_reason = call_reason_pass(c, from, why);
}

static void end_reply(struct call *c, enum reply_id id, const char *disposition, enum hangup_by by)
{
	struct outcome o = call_outcome_reply(id, disposition, by);

	call_end(c, &o);
}

/* RFC 3264 6: an answer from `side` keeps the offer's transport; RTP/AVP
 * back to our RTP/SAVP offer (or the reverse) would leave media
 * undecodable. */
static int answer_fits(const struct call *c, enum call_side side, const char *sdp)
{
	int srtp = media_policy_is_srtp(sdp);

	return srtp < 0 || srtp == c->savp[side];
}

/* ---- leg B's INVITE ---- */

static void act_b_trying(struct call *c, const struct ev *ev)
{
	(void)ev;
	call_timer_cancel(c, TIMER_TRUNK);
	c->b_provisional = 1;
}

/* A peer's SDP that is not SDP never goes on (nor to a library parser). */
static int sdp_ok(const struct call *c, const char *sdp, const char *what)
{
	char why[128];

	if (!sdp || media_policy_check(sdp, why, sizeof(why)) == 0)
		return 1;
	log_warn("call %s: malformed SDP in %s: %s", c->cdr.call_id, what, why);
	return 0;
}

/* The trunk's offer met with both trunks' codec lists, and the SRTP
 * each side speaks set: a copy to free, or NULL (logged) when it is not
 * usable. */
static char *trunk_offer(struct call *c, const char *sdp)
{
	char *to_b = NULL, *both = NULL, why[128] = "out of memory";
	int srtp = media_policy_is_srtp(sdp), want = call_srtp_wanted(c->from);

	if (srtp < 0 || media_policy_filter(sdp, c->to->codecs, &to_b, why, sizeof(why)) != 0 ||
	    media_policy_filter(to_b ? to_b : sdp, c->from->codecs, &both, why, sizeof(why)) != 0 ||
	    (!both && !to_b && !(to_b = strdup(sdp)))) {
		log_warn("call %s: the offer of trunk %s is not usable: %s", c->cdr.call_id, c->to->name,
			 srtp < 0 ? "unparsable" : why);
		free(to_b);
		return NULL;
	}
	c->savp[SIDE_B] = srtp;
	c->savp[SIDE_A] = want >= 0 ? want : srtp;
	if (!both)
		return to_b;
	free(to_b);
	return both;
}

/* ---- late offer in the early dialog (RFC 3262 5) ---- */

/* The early offer/answer cannot be completed: the caller has no final
 * response yet, so it gets one (488), and the trunk its CANCEL (or BYE). */
static void early_failed(struct call *c, const char *why)
{
	struct outcome o = call_outcome_reply(RP_MEDIA, "failed", BY_B2BUA);

	log_warn("call %s: early offer/answer failed: %s", c->cdr.call_id, why);
	o.reason = why;
	call_end(c, &o);
}

/* The trunk's offer (relayed) goes to the caller in a reliable 18x. */
static void early_offer_to_a(struct call *c, const char *sdp)
{
	c->early_oa = EOA_OFFERED;
	if (call_respond_a(c, c->early_code, c->early_reason, sdp, 0) != 0)
		early_failed(c, c->leak_stopped ? "Topology leak stopped" : "Offer cannot be rebuilt");
}

/*
 * The trunk's reliable 18x answers our INVITE without SDP with the offer
 * (RFC 3262 5); its PRACK must carry the answer. The offer meets both
 * trunks' codec lists and goes through the relay as the offer from side
 * B; the caller gets it in a reliable 18x of ours and answers in its
 * PRACK (act_prack), whose answer, relayed, goes in our PRACK to the
 * trunk. A caller that does no 100rel cannot answer before the 2xx: the
 * trunk (offered 100rel only because its policy requires it) is given up
 * for the next route.
 */
static void b_offered_early(struct call *c, const struct leg_response *r)
{
	char *offer;
	int rc;

	c->early_code = r->code;
	call_copy(c->early_reason, sizeof(c->early_reason), r->reason);
	if (!call_a_takes_early_offer(c)) {
		const struct reply *m = reply_get(RP_MEDIA);

		log_info("call %s: trunk %s offers in a reliable %d; the caller cannot answer before the 2xx",
			 c->cdr.call_id, c->to->name, r->code);
		call_route_note_failure(c, m->code, "Early offer the caller cannot answer", BY_B2BUA, "media");
		c->core->env.leg->cancel(c->b, NULL);
		call_release_leg(c, SIDE_B);
		call_release_chan(c);
		call_route_next(c);
		return;
	}
	if (!(offer = trunk_offer(c, r->sdp))) {
		end_reply(c, RP_MEDIA, "failed", BY_B2BUA);
		return;
	}
	if (!c->core->env.relay) {
		early_offer_to_a(c, offer);
		free(offer);
		return;
	}
	c->early_oa = EOA_OFFER_RELAY;
	rc = call_relay_offer(c, SIDE_B, offer, call_srtp_wanted(c->from), EV_R_EARLY_OFFER);
	free(offer);
	if (rc != 0)
		end_reply(c, RP_RELAY, "failed", BY_B2BUA);
}

static void act_r_early_offer(struct call *c, const struct ev *ev)
{
	const struct relay_result *r = ev->relay;

	if (c->early_oa != EOA_OFFER_RELAY)
		return;
	if (r->err != RELAY_OK) {
		log_warn("call %s: relay refused the trunk's early offer: %s", c->cdr.call_id,
			 r->detail ? r->detail : "?");
		end_reply(c, call_relay_reply(r->err), "failed", BY_B2BUA);
		return;
	}
	early_offer_to_a(c, r->sdp);
}

/* The answer, relayed or as it came, goes in the trunk's PRACK. */
static void early_answer_to_b(struct call *c, const char *answer)
{
	const char *sdp = call_sdp_to(c, SIDE_B, answer);

	if (!sdp) {
		early_failed(c, c->leak_stopped ? "Topology leak stopped" : "Answer cannot be rebuilt");
		return;
	}
	c->early_oa = EOA_DONE;
	c->core->env.leg->prack(c->b, sdp);
}

/* The caller's PRACK answered our reliable 18x's offer. */
static void a_answered_early(struct call *c, const char *sdp)
{
	char why[128];

	if (media_policy_check(sdp, why, sizeof(why)) != 0) {
		log_warn("call %s: malformed SDP in a PRACK: %s", c->cdr.call_id, why);
		early_failed(c, "Malformed answer in PRACK");
		return;
	}
	if (c->relayed && !answer_fits(c, SIDE_A, sdp)) {
		early_failed(c, "Answer changes the offered transport");
		return;
	}
	media_policy_codec(sdp, c->cdr.codec, sizeof(c->cdr.codec));
	if (!c->relayed) {
		early_answer_to_b(c, sdp);
		return;
	}
	c->early_oa = EOA_ANSWER_RELAY;
	if (call_relay_answer(c, SIDE_A, sdp, c->savp[SIDE_B], EV_R_EARLY_ANSWER) != 0)
		early_failed(c, "Media relay unavailable");
}

static void act_r_early_answer(struct call *c, const struct ev *ev)
{
	const struct relay_result *r = ev->relay;

	if (c->early_oa != EOA_ANSWER_RELAY)
		return;
	if (r->err != RELAY_OK) {
		log_warn("call %s: relay refused the answer in a PRACK: %s", c->cdr.call_id,
			 r->detail ? r->detail : "?");
		early_failed(c, "Media relay refused the answer in a PRACK");
		return;
	}
	early_answer_to_b(c, r->sdp);
}

static void act_b_progress(struct call *c, const struct ev *ev)
{
	const struct leg_response *r = ev->resp;

	act_b_trying(c, ev);
	c->state = CS_EARLY;
	c->b_update = r->allows_update != 0;
	c->b_rel_sdp |= r->reliable && r->sdp;
	if (!sdp_ok(c, r->sdp, "the trunk's early answer")) {
		if (r->offers_early)
			end_reply(c, RP_MEDIA, "failed", BY_B2BUA);   /* its PRACK would have no answer */
		else
			call_respond_a(c, r->code, r->reason, NULL, 0);
		return;
	}
	if (r->offers_early) {
		b_offered_early(c, r);
		return;
	}
	if (r->sdp && !c->sdp_a && c->core->env.relay) {
		/* A late-offer call: the trunk's early SDP previews an offer
		 * the caller cannot answer before the 2xx (no media anchored
		 * yet); the caller gets the 18x alone. */
		call_respond_a(c, r->code, r->reason, NULL, 0);
		return;
	}
	if (r->sdp && c->relayed) {
		if (!answer_fits(c, SIDE_B, r->sdp)) {
			log_warn("call %s: early media of %s does not keep the offered transport: not relayed",
				 c->cdr.call_id, c->to->name);
		} else if (call_relay_answer(c, SIDE_B, r->sdp, c->savp[SIDE_A], EV_R_EARLY) == 0) {
			c->early_code = r->code;
			call_copy(c->early_reason, sizeof(c->early_reason), r->reason);
			return;
		}
		call_respond_a(c, r->code, r->reason, NULL, 0);
		return;
	}
	if (call_respond_a(c, r->code, r->reason, r->sdp, 0) != 0)
		call_respond_a(c, r->code, r->reason, NULL, 0);
}

/* The caller gets the relayed early media; without it, the 18x alone. */
static void act_r_early(struct call *c, const struct ev *ev)
{
	const struct relay_result *r = ev->relay;

	if (r->err != RELAY_OK)
		log_warn("call %s: relay refused the early answer: %s", c->cdr.call_id,
			 r->detail ? r->detail : "?");
	if (call_respond_a(c, c->early_code, c->early_reason, r->err == RELAY_OK ? r->sdp : NULL, 0) != 0)
		call_respond_a(c, c->early_code, c->early_reason, NULL, 0);
}

/* RFC 3262 3: no 2xx before every reliable 18x is PRACKed. nua would
 * queue it, and a caller that never PRACKs would get 504 while the CDR
 * said answered: the 2xx waits here instead (act_prack), and whether it
 * went out is what the CDR says. */
static void connected(struct call *c, const char *sdp)
{
	const struct reply *ok = reply_get(RP_OK);

	if (c->parent) {
		call_xfer_answered(c, sdp);   /* a transfer's new leg answered */
		return;
	}
	if (c->a_unpracked > 0) {
		free(c->held_sdp);
		c->held_sdp = sdp ? strdup(sdp) : NULL;
		if (sdp && !c->held_sdp) {
			end_reply(c, RP_INTERNAL, "failed", BY_B2BUA);
			return;
		}
		c->answer_held = 1;
		c->state = CS_ANSWERING;
		log_info("call %s: answer held until the caller's PRACK", c->cdr.call_id);
		return;
	}
	if (call_respond_a(c, ok->code, ok->reason, sdp, 0) != 0) {
		end_reply(c, RP_INTERNAL, "failed", BY_B2BUA);   /* the trunk gets its BYE */
		return;
	}
	c->state = CS_CONNECTED;
	if (!c->sdp_a && sdp)
		call_dialog_await_ack(c, SIDE_A);   /* our 2xx offered */
	c->cdr.answer_ms = clock_wall_ms();
	c->core->st.answered++;   /* stats say so while the call lasts */
	c->cdr.sip_code = ok->code;
	call_cdr_emit(c, 0);
	call_timer_cancel(c, TIMER_NO_ANSWER);
	call_timer_set(c, TIMER_MAX_DURATION, c->core->env.max_duration_ms);
}

/*
 * Late offer (RFC 3261 13.2.1): the caller's INVITE had no SDP, so the
 * trunk's 2xx offers. The offer meets both trunks' codec lists, goes
 * through the relay as the offer from side B (toward the caller in the
 * calling trunk's SRTP policy), and reaches the caller in our 2xx; the
 * trunk's ACK waits for the caller's answer (call_dialog_ack).
 */
static void b_offered(struct call *c, const char *sdp)
{
	char *offer;
	int rc;

	if (!sdp) {
		log_warn("call %s: trunk %s answered an INVITE without SDP with no offer", c->cdr.call_id,
			 c->to->name);
		end_reply(c, RP_MEDIA, "failed", BY_B2BUA);
		return;
	}
	if (!(offer = trunk_offer(c, sdp))) {
		end_reply(c, RP_MEDIA, "failed", BY_B2BUA);
		return;
	}
	if (!c->core->env.relay) {
		connected(c, offer);
		free(offer);
		return;
	}
	c->state = CS_ANSWERING;
	rc = call_relay_offer(c, SIDE_B, offer, call_srtp_wanted(c->from), EV_R_ANSWER);
	free(offer);
	if (rc != 0)
		end_reply(c, RP_RELAY, "failed", BY_B2BUA);
}

static void act_b_answer(struct call *c, const struct ev *ev)
{
	const struct leg_response *r = ev->resp;

	call_timer_cancel(c, TIMER_TRUNK);
	c->b_provisional = c->b_final = c->b_answered = 1;
	call_attempt_end(c, r->code, r->reason, "remote");
	if (!sdp_ok(c, r->sdp, "the trunk's answer")) {
		end_reply(c, RP_MEDIA, "failed", BY_B2BUA);
		return;
	}
	if (!c->sdp_a && c->early_oa == EOA_DONE) {
		connected(c, NULL);   /* offer and answer were in the 18x and PRACKs */
		return;
	}
	if (!c->sdp_a && c->early_oa != EOA_NONE) {
		early_failed(c, "Trunk answered before its early offer was");   /* RFC 3262 3 */
		return;
	}
	if (!c->sdp_a) {
		b_offered(c, r->sdp);
		return;
	}
	if (r->sdp)
		media_policy_codec(r->sdp, c->cdr.codec, sizeof(c->cdr.codec));
	if (!r->sdp || !c->relayed) {
		connected(c, r->sdp);
		return;
	}
	if (!answer_fits(c, SIDE_B, r->sdp)) {
		log_warn("call %s: trunk %s answered %s where %s was offered", c->cdr.call_id, c->to->name,
			 c->savp[SIDE_B] ? "RTP/AVP" : "RTP/SAVP", c->savp[SIDE_B] ? "RTP/SAVP" : "RTP/AVP");
		end_reply(c, RP_MEDIA, "failed", BY_B2BUA);
		return;
	}
	c->state = CS_ANSWERING;
	if (call_relay_answer(c, SIDE_B, r->sdp, c->savp[SIDE_A], EV_R_ANSWER) != 0)
		end_reply(c, RP_RELAY, "failed", BY_B2BUA);
}

static void act_r_answer(struct call *c, const struct ev *ev)
{
	const struct relay_result *r = ev->relay;

	if (r->err == RELAY_OK) {
		connected(c, r->sdp);
		return;
	}
	log_warn("call %s: relay refused the answer: %s", c->cdr.call_id, r->detail ? r->detail : "?");
	end_reply(c, call_relay_reply(r->err), "failed", BY_B2BUA);
}

/*
 * A trunk's challenge to our INVITE: answered once with the trunk's own
 * credentials, and only when the realm is the trunk's configured one (or
 * any realm when none is configured). Leg B talks to nobody but the
 * trunk's address, so the challenge cannot come from a third party
 * (FreeSWITCH leaked digests to whoever asked: CVE-2021-41158). Our own
 * leg's challenge means nothing to the caller: refused, it is a 403.
 */
static void act_b_challenge(struct call *c, const struct ev *ev)
{
	const struct policy_trunk *t = c->to;
	const char *realm = ev->resp->realm ? ev->resp->realm : "";

	call_timer_cancel(c, TIMER_TRUNK);
	c->b_provisional = 1;
	if (!c->b_auth_tried && t->username[0] && realm[0] && !strchr(realm, ':') &&
	    (!t->realm[0] || strcmp(realm, t->realm) == 0)) {
		c->b_auth_tried = 1;
		c->core->env.leg->authenticate(c->b, realm, t->username, t->password);
		return;
	}
	log_warn("call %s: challenge of trunk %s for realm '%s' not answered (trunk realm '%s'%s)",
		 c->cdr.call_id, t->name, realm, t->realm, c->b_auth_tried ? ", credentials refused" : "");
	c->b_final = 1;
	end_reply(c, RP_TRUNK_AUTH, "failed", BY_B2BUA);
}

/* RFC 3261 16.6 item 4 / 16.7 adapted: 408 and 5xx try the next route;
 * any other failure is the callee's answer and goes back to the caller. */
static int fails_over(int code)
{
	return code == SC_REQUEST_TIMEOUT || (code >= SC_SERVER_ERR && code < SC_GLOBAL_ERR);
}

/* A failure the stack made itself names the trunk's state, not an
 * answer of the trunk: ours to own (hangup_by b2bua). */
static const char *local_reason(const char *cause)
{
	if (strcmp(cause, "tls") == 0)
		return "TLS connection to trunk failed";
	return strcmp(cause, "timeout") == 0 ? "No reply from trunk" : "Trunk unreachable";
}

static void act_b_failure(struct call *c, const struct ev *ev)
{
	const struct leg_response *r = ev->resp;
	enum hangup_by by = r->local_cause ? BY_B2BUA : BY_CALLEE;
	const char *reason = r->local_detail ? r->local_detail
			     : r->local_cause ? local_reason(r->local_cause)
					      : r->reason;
	struct outcome o;

	call_timer_cancel(c, TIMER_TRUNK);
	c->b_final = 1;
	if (r->local_cause)
		log_warn("call %s: trunk %s %s (%d %s, no reply from it)", c->cdr.call_id, c->to ? c->to->name : "?",
			 r->local_cause, r->code, r->reason ? r->reason : "");
	else
		log_info("call %s: trunk %s answered %d %s", c->cdr.call_id, c->to ? c->to->name : "?", r->code,
			 r->reason ? r->reason : "");
	call_release_leg(c, SIDE_B);
	call_release_chan(c);
	call_attempt_end(c, r->code, reason, r->local_cause ? r->local_cause : "remote");
	if (c->early_oa != EOA_NONE) {
		/* The caller's early dialog has its offer/answer: no other
		 * trunk's media can take its place there. */
		o = sc_redirect(r->code) ? call_outcome_reply(RP_REDIRECTED, "failed", by)
					 : outcome(r->code, reason, call_disposition_of(r->code), by);
		o.q850 = r->q850;
		call_end(c, &o);
		return;
	}
	if (sc_redirect(r->code)) {
		/* A 3xx is the trunk's business, never the caller's (it would
		 * name hosts behind the trunk): its Contact is followed when
		 * the trunk's policy says so and it names a trunk of ours,
		 * else the next route is tried. */
		const struct reply *rd = reply_get(RP_REDIRECTED);

		if (call_route_redirect(c, r) == 0)
			return;
		call_route_note_failure(c, rd->code, rd->reason, BY_CALLEE, "remote");
		call_route_next(c);
		return;
	}
	if (fails_over(r->code)) {
		call_route_note_failure(c, r->code, reason, by, NULL);
		call_route_next(c);
		return;
	}
	o = outcome(r->code, reason, call_disposition_of(r->code), by);
	o.q850 = r->q850;
	call_end(c, &o);
}

static void act_trunk_timeout(struct call *c, const struct ev *ev)
{
	const struct reply *to = reply_get(RP_TRUNK_TIMEOUT);

	(void)ev;
	log_info("call %s: no reply from trunk %s, failing over", c->cdr.call_id, c->to->name);
	call_attempt_end(c, 0, "No reply within trunk_timeout", "timeout");
	call_route_note_failure(c, to->code, to->reason, BY_B2BUA, "timeout");
	/* Given up: a 2xx that still comes is ACKed and BYE'd by the adapter. */
	c->core->env.leg->cancel(c->b, NULL);
	call_release_leg(c, SIDE_B);
	call_release_chan(c);
	call_route_next(c);
}

static void act_r_route(struct call *c, const struct ev *ev)
{
	call_route_offered(c, ev->relay);
}

/* ---- both dialogs ---- */

static void act_prack(struct call *c, const struct ev *ev)
{
	char *sdp;

	if (ev->leg != c->a || c->a_unpracked == 0)
		return;
	c->a_unpracked--;
	if (c->early_oa == EOA_OFFERED) {
		/* RFC 3262 5: the PRACK of the 18x that offered answers. */
		if (ev->body)
			a_answered_early(c, ev->body);
		else if (c->a_unpracked == 0)
			early_failed(c, "No answer in PRACK");
		return;
	}
	if (c->a_unpracked > 0 || !c->answer_held)
		return;
	c->answer_held = 0;
	sdp = c->held_sdp;
	c->held_sdp = NULL;
	connected(c, sdp);
	free(sdp);
}

static void act_ack(struct call *c, const struct ev *ev)
{
	if (ev->leg == c->a && !c->a_acked && !c->sdp_a && ev->body)
		media_policy_codec(ev->body, c->cdr.codec, sizeof(c->cdr.codec));   /* the answer's */
	if (ev->leg == c->a)
		c->a_acked = 1;
	call_dialog_ack(c, ev);
}

static void act_cancel(struct call *c, const struct ev *ev)
{
	struct outcome o = outcome(SC_TERMINATED, "Request Terminated", "cancelled", BY_CALLER);

	/* The adapter answered 200 to the CANCEL and 487 to the INVITE
	 * (RFC 3261 9.2); a 2xx the trunk sends now is ACKed and BYE'd. */
	c->a_final = 1;
	with_reason(c, &o, SIDE_A, ev->why);
	call_end(c, &o);
}

static void act_bye(struct call *c, const struct ev *ev)
{
	struct outcome o;

	if (call_xfer_transferor_left(c, ev->leg))
		return;   /* a blind transferor's BYE after our 202 */
	if (ev->leg == c->a) {
		/* A BYE on the early dialog ends the INVITE too (RFC 3261 15). */
		if (c->a_answered)
			o = outcome(SC_OK, "Caller hung up", "answered", BY_CALLER);
		else
			o = outcome(SC_TERMINATED, "Caller hung up", "cancelled", BY_CALLER);
		c->a_final = 1;
		with_reason(c, &o, SIDE_A, ev->why);
		call_end(c, &o);
		return;
	}
	c->b_final = 1;
	if (c->a_answered)
		o = outcome(SC_OK, "Callee hung up", "answered", BY_CALLEE);
	else
		o = call_outcome_reply(RP_CALLEE_GONE, "failed", BY_CALLEE);
	with_reason(c, &o, SIDE_B, ev->why);
	call_end(c, &o);
}

static void act_dead(struct call *c, const struct ev *ev)
{
	int from_a = ev->leg == c->a;
	const char *why = ev->reason && *ev->reason ? ev->reason : "Dialog terminated";
	struct outcome o;

	log_warn("call %s: %s leg died (%d %s)", c->cdr.call_id, from_a ? "A" : "B", ev->code, why);
	if (call_xfer_transferor_left(c, ev->leg))
		return;
	if (from_a) {
		c->a_final = 1;   /* nothing more can reach A */
		call_release_leg(c, SIDE_A);
		/* RFC 3261 13.3.1.4: no ACK for 64*T1 ends the dialog. */
		if (c->a_answered && !c->a_acked)
			why = "No ACK from caller";
		else if (c->answer_held || c->early_oa == EOA_OFFERED)
			why = "No PRACK from caller";   /* RFC 3262 3: 5xx after 64*T1 */
	} else {
		c->b_final = 1;
		call_release_leg(c, SIDE_B);
	}
	if (c->a_answered)
		o = outcome(SC_OK, why, "answered", BY_B2BUA);
	else
		o = outcome(sc_failure(ev->code) ? ev->code : reply_get(RP_INTERNAL)->code, why, "failed",
			    BY_B2BUA);
	call_end(c, &o);
}

/* ---- timers, the administrator, media supervision ---- */

static void act_no_answer(struct call *c, const struct ev *ev)
{
	struct outcome o = call_outcome_reply(RP_NO_ANSWER, "no_answer", BY_B2BUA);

	(void)ev;
	if (c->answer_held) {
		/* The trunk answered; the caller never PRACKed in time. */
		o.reason = "No PRACK from caller";
		o.disposition = "failed";
	}
	call_end(c, &o);
}

static void act_max_duration(struct call *c, const struct ev *ev)
{
	struct outcome o = outcome(SC_OK, "Maximum call duration", "answered", BY_B2BUA);

	(void)ev;
	call_end(c, &o);
}

static void act_admin_hangup(struct call *c, const struct ev *ev)
{
	struct outcome o = outcome(SC_OK, "Hung up by administrator", "answered", BY_B2BUA);

	(void)ev;
	if (c->a_answered)
		call_end(c, &o);
	else
		end_reply(c, RP_ADMIN, "failed", BY_B2BUA);
}

static void act_media_poll(struct call *c, const struct ev *ev)
{
	const struct call_env *e = &c->core->env;

	(void)ev;
	if (e->relay->query(e->relay_ctx, call_ref(c), call_relay_done[EV_R_QUERY]) != 0)
		call_unref(c);
}

/* A restarted relay has forgotten the call: its media no longer flows,
 * so the call ends (documented in README); a relay that is only slow to
 * answer does not end calls. */
static void act_r_query(struct call *c, const struct ev *ev)
{
	const struct relay_result *r = ev->relay;
	struct outcome o;

	if (r->err == RELAY_OK && r->media_timeout) {
		log_info("call %s: media timeout, hanging up", c->cdr.call_id);
		o = outcome(SC_OK, "Media timeout", "answered", BY_B2BUA);
	} else if (r->err == RELAY_E_NOT_FOUND) {
		log_warn("call %s: the media relay no longer knows the call, hanging up", c->cdr.call_id);
		o = outcome(SC_OK, "Media relay lost the call", "answered", BY_B2BUA);
	} else {
		if (r->err != RELAY_OK)
			log_debug("call %s: media query failed (%d), call kept", c->cdr.call_id, r->err);
		return;
	}
	call_end(c, &o);
}

static void act_r_delete(struct call *c, const struct ev *ev)
{
	call_finish(c, ev->relay);
}

/* ---- in-dialog transactions (call_dialog.c) ---- */

static void act_request(struct call *c, const struct ev *ev)
{
	call_dialog_request(c, ev);
}

static void act_refuse_request(struct call *c, const struct ev *ev)
{
	call_dialog_refuse(c, ev);
}

/* RFC 3311 5.1: an UPDATE with SDP in the early dialog changes early
 * media when the other side can take one: its early offer/answer done
 * in a reliable 18x (PRACKed) and UPDATE in its Allow. Anything else
 * before the answer gets 491, as before. */
static void act_early_request(struct call *c, const struct ev *ev)
{
	int from_a = ev->leg == c->a;
	int other_ready = from_a ? c->b_rel_sdp && c->b_update
				 : c->a_rel_sdp && c->a_unpracked == 0 && c->a_update;
	int own_ready = from_a ? c->a_rel_sdp && c->a_unpracked == 0 : c->b_rel_sdp;
	int settled = c->early_oa == EOA_NONE || c->early_oa == EOA_DONE;

	if (ev->method == METHOD_UPDATE && ev->body && c->relayed && other_ready && own_ready && settled) {
		call_dialog_request(c, ev);
		return;
	}
	call_dialog_refuse(c, ev);
}

static void act_retry(struct call *c, const struct ev *ev)
{
	call_dialog_retry(c, ev);
}

static void act_refer(struct call *c, const struct ev *ev)
{
	call_xfer_refer(c, ev);
}

static void act_refuse_refer(struct call *c, const struct ev *ev)
{
	call_xfer_refuse(c, ev);
}

static void act_xfer_abandon(struct call *c, const struct ev *ev)
{
	call_xfer_abandon(c, ev);
}

static void act_tx_response(struct call *c, const struct ev *ev)
{
	call_dialog_response(c, ev);
}

static void act_r_tx_offer(struct call *c, const struct ev *ev)
{
	call_dialog_offered(c, ev);
}

static void act_r_tx_answer(struct call *c, const struct ev *ev)
{
	call_dialog_answered(c, ev);
}

typedef void (*action_fn)(struct call *, const struct ev *);

/* What each event does in each state; NULL: ignored with a debug line.
 * Once ENDING, the legs are released: only the relay can still speak. */
static const action_fn fsm[CS__N][EV__N] = {
	[CS_ROUTING] = {
		[EV_REFER] = act_refuse_refer, [EV_XFER_ABANDON] = act_xfer_abandon,
		[EV_PRACK] = act_prack, [EV_CANCEL] = act_cancel, [EV_BYE] = act_bye, [EV_DEAD] = act_dead,
		[EV_REQUEST] = act_refuse_request, [EV_R_ROUTE] = act_r_route,
		[EV_NO_ANSWER] = act_no_answer, [EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_CALLING] = {
		[EV_REFER] = act_refuse_refer, [EV_XFER_ABANDON] = act_xfer_abandon,
		[EV_B_TRYING] = act_b_trying, [EV_B_PROGRESS] = act_b_progress,
		[EV_B_ANSWER] = act_b_answer, [EV_B_CHALLENGE] = act_b_challenge,
		[EV_B_FAILURE] = act_b_failure, [EV_PRACK] = act_prack, [EV_CANCEL] = act_cancel,
		[EV_BYE] = act_bye,
		[EV_DEAD] = act_dead, [EV_REQUEST] = act_refuse_request,
		[EV_TRUNK_TIMEOUT] = act_trunk_timeout, [EV_NO_ANSWER] = act_no_answer,
		[EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_EARLY] = {
		[EV_REFER] = act_refuse_refer, [EV_XFER_ABANDON] = act_xfer_abandon,
		[EV_B_PROGRESS] = act_b_progress, [EV_B_ANSWER] = act_b_answer,
		[EV_B_CHALLENGE] = act_b_challenge, [EV_B_FAILURE] = act_b_failure,
		[EV_PRACK] = act_prack, [EV_CANCEL] = act_cancel, [EV_BYE] = act_bye, [EV_DEAD] = act_dead,
		[EV_REQUEST] = act_early_request, [EV_R_EARLY] = act_r_early,
		[EV_R_EARLY_OFFER] = act_r_early_offer, [EV_R_EARLY_ANSWER] = act_r_early_answer,
		[EV_TX_RESPONSE] = act_tx_response, [EV_R_TX_OFFER] = act_r_tx_offer,
		[EV_R_TX_ANSWER] = act_r_tx_answer,
		[EV_NO_ANSWER] = act_no_answer, [EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_ANSWERING] = {
		[EV_REFER] = act_refuse_refer, [EV_XFER_ABANDON] = act_xfer_abandon,
		[EV_PRACK] = act_prack, [EV_CANCEL] = act_cancel, [EV_BYE] = act_bye, [EV_DEAD] = act_dead,
		[EV_REQUEST] = act_refuse_request, [EV_R_ANSWER] = act_r_answer,
		[EV_TX_RESPONSE] = act_tx_response, [EV_R_TX_OFFER] = act_r_tx_offer,
		[EV_R_TX_ANSWER] = act_r_tx_answer,
		[EV_NO_ANSWER] = act_no_answer, [EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_CONNECTED] = {
		[EV_ACK] = act_ack, [EV_BYE] = act_bye, [EV_REQUEST] = act_request, [EV_REFER] = act_refer,
		[EV_TX_RESPONSE] = act_tx_response, [EV_DEAD] = act_dead,
		[EV_R_TX_OFFER] = act_r_tx_offer, [EV_R_TX_ANSWER] = act_r_tx_answer,
		[EV_R_QUERY] = act_r_query, [EV_MAX_DURATION] = act_max_duration, [EV_RETRY] = act_retry,
		[EV_ADMIN_HANGUP] = act_admin_hangup, [EV_MEDIA_POLL] = act_media_poll,
	},
	[CS_ENDING] = {
		[EV_R_DELETE] = act_r_delete,
	},
};

void call_dispatch(struct call *c, enum cevent ev_id, const struct ev *ev)
{
	action_fn fn;

	if (!c->core)
		return;   /* the core is gone (exit): late relay completions */
	fn = fsm[c->state][ev_id];
	if (!fn) {
		log_debug("call %s: %s ignored in state %s", c->cdr.call_id, event_names[ev_id],
			  state_names[c->state]);
		return;
	}
	call_ref(c);
	fn(c, ev);
	call_unref(c);
}

/* Relay completions: each request's reference is dropped after its event. */
#define RELAY_DONE(name, id)                                                \
	static void name(struct call *c, const struct relay_result *r)     \
	{                                                                   \
		struct ev ev = {.relay = r};                                \
		if (id != EV_R_QUERY && id != EV_R_DELETE)                  \
			call_relay_settle(c, r->err == RELAY_OK);           \
		call_dispatch(c, id, &ev);                                  \
		call_unref(c);                                              \
	}
RELAY_DONE(done_route, EV_R_ROUTE)
RELAY_DONE(done_early, EV_R_EARLY)
RELAY_DONE(done_early_offer, EV_R_EARLY_OFFER)
RELAY_DONE(done_early_answer, EV_R_EARLY_ANSWER)
RELAY_DONE(done_answer, EV_R_ANSWER)
RELAY_DONE(done_tx_offer, EV_R_TX_OFFER)
RELAY_DONE(done_tx_answer, EV_R_TX_ANSWER)
RELAY_DONE(done_query, EV_R_QUERY)
RELAY_DONE(done_delete, EV_R_DELETE)

const relay_done_fn call_relay_done[EV__N] = {
	[EV_R_ROUTE] = done_route, [EV_R_EARLY] = done_early, [EV_R_ANSWER] = done_answer,
	[EV_R_EARLY_OFFER] = done_early_offer, [EV_R_EARLY_ANSWER] = done_early_answer,
	[EV_R_TX_OFFER] = done_tx_offer, [EV_R_TX_ANSWER] = done_tx_answer,
	[EV_R_QUERY] = done_query, [EV_R_DELETE] = done_delete,
};
