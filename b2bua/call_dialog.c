/*
 * call_dialog.c - in-dialog transactions of an established call: a
 * re-INVITE, UPDATE or INFO from one side is relayed to the other (its
 * SDP through the media relay), and the far side's response comes back
 * the same way.
 *
 * A re-INVITE without SDP (late offer, RFC 3261 14.1) goes on without
 * one; the far side's 2xx then offers, the asker gets that offer
 * (relayed) in our 2xx and answers in its ACK, and the far side's ACK
 * carries that answer (relayed). The initial INVITE's late offer ends
 * the same way (call_dialog_await_ack).
 *
 * A transfer's call sends a re-INVITE of its own to the remaining party
 * (call_dialog_reinvite): its answer goes to the relay and no further.
 *
 * Owns: c->tx, the one transaction in flight per call (RFC 3261 14.2 and
 * RFC 3311 5.2: one offer at a time; glare gets 491). Called by the state
 * machine only (call_fsm.c), on the SIP thread.
 * Must not: block, touch Sofia, send a status literal.
 */
#include <stdlib.h>
#include <string.h>
#include "call_int.h"
#include "log.h"
#include "media_policy.h"

/* An SDP body that is not SDP: logged, never passed on. */
static int bad_sdp(const struct call *c, int method, const char *body)
{
	char why[128];

	if (method == METHOD_INFO || !body || media_policy_check(body, why, sizeof(why)) == 0)
		return 0;
	log_warn("call %s: malformed SDP in an in-dialog message: %s", c->cdr.call_id, why);
	return 1;
}

static struct leg *leg_of(const struct call *c, enum call_side s)
{
	return s == SIDE_A ? c->a : c->b;
}

static enum call_side other(enum call_side s)
{
	return s == SIDE_A ? SIDE_B : SIDE_A;
}

/* A late offer that cannot be completed: one side holds an offer it has
 * no answer to, the other a 2xx it has no ACK for. The call ends (BYE
 * both ways; an owed ACK goes first). */
static void ack_failed(struct call *c, const char *why)
{
	struct outcome o = {SC_OK, why, "answered", BY_B2BUA, 0, 0, NULL, NULL};

	log_warn("call %s: late offer failed: %s", c->cdr.call_id, why);
	c->tx.active = 0;
	call_end(c, &o);
}

/* An SDP body going to side `to`, rebuilt (topology hiding); NULL with
 * ok = 0 when it cannot be. Other bodies (INFO) go as they are. */
static const char *body_to(struct call *c, enum call_side to, int method, const char *body, int *ok)
{
	const char *out = body;

	*ok = 1;
	if (method != METHOD_INFO && body && !(out = call_sdp_to(c, to, body)))
		*ok = 0;
	else if (method == METHOD_INFO && call_leak_check(c, to, "INFO body", body) != 0)
		*ok = 0;
	return out;
}

static void respond(struct call *c, struct leg *l, int method, int code, const char *reason,
		    const char *ctype, const char *body)
{
	const struct leg_ops *ops = c->core->env.leg;

	reason = call_phrase_to(c, l == c->a ? SIDE_A : SIDE_B, reason);
	if (method == METHOD_INVITE)
		ops->respond(l, code, reason, body, 0, 0);
	else
		ops->respond_req(l, method, code, reason, ctype, body);
}

static void reply(struct call *c, struct leg *l, int method, enum reply_id id)
{
	const struct reply *r = reply_get(id);

	respond(c, l, method, r->code, r->reason, NULL, NULL);
}

/* Answers the request in flight with one of our replies; it is over. */
static void tx_reply(struct call *c, enum reply_id id)
{
	reply(c, leg_of(c, c->tx.from), c->tx.method, id);
	c->tx.active = 0;
}

/* A request outside CONNECTED, or while another offer is in flight. */
void call_dialog_refuse(struct call *c, const struct ev *ev)
{
	reply(c, ev->leg, ev->method, RP_PENDING);
}

void call_dialog_request(struct call *c, const struct ev *ev)
{
	enum call_side side = ev->leg == c->a ? SIDE_A : SIDE_B;
	struct leg *to = leg_of(c, side == SIDE_A ? SIDE_B : SIDE_A);

	/* An UPDATE without SDP changes nothing but the dialog's session
	 * timer (RFC 4028 refresh): each leg keeps its own, answered here. */
	if (ev->method == METHOD_UPDATE && !ev->body) {
		reply(c, ev->leg, ev->method, RP_OK);
		return;
	}
	/* One offer at a time, and none while a transfer runs: the
	 * remaining party's media is what the new leg was offered. */
	if (c->tx.active || (c->xfer && ev->method != METHOD_INFO)) {
		call_dialog_refuse(c, ev);
		return;
	}
	if (bad_sdp(c, ev->method, ev->body)) {
		reply(c, ev->leg, ev->method, RP_BAD_SDP);
		return;
	}
	c->tx.active = 1;
	c->tx.method = ev->method;
	c->tx.from = side;
	c->tx.phase = TX_REQUEST;
	c->tx.offerless = ev->method == METHOD_INVITE && !ev->body;
	c->tx.own = 0;
	if (ev->method == METHOD_INFO || !ev->body || !c->core->env.relay) {
		int ok;
		const char *body = body_to(c, side == SIDE_A ? SIDE_B : SIDE_A, ev->method, ev->body, &ok);

		if (!ok)
			tx_reply(c, c->leak_stopped ? RP_LEAK : RP_MEDIA);
		else
			c->core->env.leg->request(to, ev->method, ev->ctype, body);
		return;
	}
	/* Keep the transport agreed toward the receiving side (the trunk's
	 * SRTP policy held for the initial offer holds for re-offers too). */
	if (call_relay_offer(c, side, ev->body, c->savp[side == SIDE_A ? SIDE_B : SIDE_A],
			     EV_R_TX_OFFER) != 0)
		tx_reply(c, RP_RELAY);
}

/* The far side's offer, as it may go to the asker, in our 2xx; then
 * the asker's ACK is awaited. */
static void offer_to_asker(struct call *c, const char *offer)
{
	const struct reply *ok = reply_get(RP_OK);
	const char *sdp = call_sdp_to(c, c->tx.from, offer);

	if (!sdp) {
		ack_failed(c, c->leak_stopped ? "Topology leak stopped" : "Offer cannot be rebuilt");
		return;
	}
	respond(c, leg_of(c, c->tx.from), METHOD_INVITE, ok->code, ok->reason, "application/sdp", sdp);
	c->tx.phase = TX_ACK_WAIT;
}

/* The relay rewrote the re-offer: on to the far side. */
void call_dialog_offered(struct call *c, const struct ev *ev)
{
	const struct relay_result *r = ev->relay;
	enum call_side to = c->tx.from == SIDE_A ? SIDE_B : SIDE_A;
	const char *sdp;

	if (!c->tx.active)
		return;
	if (c->tx.phase == TX_LATE_OFFER) {
		if (r->err != RELAY_OK)
			ack_failed(c, "Media relay refused the offer in a 2xx");
		else
			offer_to_asker(c, r->sdp);
		return;
	}
	if (r->err != RELAY_OK) {
		log_warn("call %s: relay refused a re-offer: %s", c->cdr.call_id, r->detail ? r->detail : "?");
		tx_reply(c, call_relay_reply(r->err));
		return;
	}
	if (!(sdp = call_sdp_to(c, to, r->sdp))) {
		tx_reply(c, RP_MEDIA);
		return;
	}
	c->core->env.leg->request(leg_of(c, to), c->tx.method, "application/sdp", sdp);
}

/* Our own re-INVITE (a transfer's) failed: the remaining party keeps
 * media toward a leg that is gone, so the call ends. */
static void own_failed(struct call *c, const char *why)
{
	struct outcome o = {SC_OK, why, "answered", BY_B2BUA, 0, 0, NULL, NULL};

	log_warn("call %s: %s", c->cdr.call_id, why);
	c->tx.active = 0;
	call_end(c, &o);
}

int call_dialog_reinvite(struct call *c, enum call_side to, const char *sdp)
{
	const char *out;
	char *keep;

	if (c->tx.active || !(out = call_sdp_to(c, to, sdp)) || !(keep = strdup(sdp)))
		return -1;
	free(c->own_sdp);
	c->own_sdp = keep;
	c->tx.active = 1;
	c->tx.method = METHOD_INVITE;
	c->tx.from = other(to);
	c->tx.phase = TX_REQUEST;
	c->tx.offerless = 0;
	c->tx.own = 1;
	c->core->env.leg->request(leg_of(c, to), METHOD_INVITE, "application/sdp", out);
	return 0;
}

void call_dialog_retry(struct call *c, const struct ev *ev)
{
	char *sdp = c->own_sdp;

	(void)ev;
	if (!sdp)
		return;
	if (c->tx.active) {   /* the other side's offer is in flight: later */
		call_timer_set(c, TIMER_RETRY, CALL_GLARE_RETRY_MS);
		return;
	}
	c->own_sdp = NULL;
	/* only a transfer's call re-INVITEs on its own, toward its side A */
	if (call_dialog_reinvite(c, SIDE_A, sdp) != 0)
		own_failed(c, "Offer cannot be rebuilt");
	free(sdp);
}

/* The answer to our own re-INVITE goes to the relay, and no further. */
static void own_response(struct call *c, const struct ev *ev)
{
	const struct leg_response *r = ev->resp;
	enum call_side answerer = other(c->tx.from);

	if (r->code == reply_get(RP_PENDING)->code && ++c->own_tries <= CALL_GLARE_RETRIES) {
		c->tx.active = 0;   /* its own offer may go first meanwhile */
		call_timer_set(c, TIMER_RETRY, CALL_GLARE_RETRY_MS);
		return;
	}
	if (!sc_success(r->code)) {
		own_failed(c, r->code == SC_NO_DIALOG || r->code == SC_REQUEST_TIMEOUT
				      ? "Transferee gone" : "Transferee refused the new media");
		return;
	}
	free(c->own_sdp);
	c->own_sdp = NULL;
	if (!r->sdp || bad_sdp(c, METHOD_INVITE, r->sdp)) {
		own_failed(c, "No usable answer from the transferee");
		return;
	}
	if (call_relay_answer(c, answerer, r->sdp, c->savp[c->tx.from], EV_R_TX_ANSWER) != 0)
		own_failed(c, "Media relay unavailable");
}

/* The far side answered the request we relayed. */
void call_dialog_response(struct call *c, const struct ev *ev)
{
	const struct leg_response *r = ev->resp;
	struct leg *from = leg_of(c, c->tx.from);
	enum call_side answerer = c->tx.from == SIDE_A ? SIDE_B : SIDE_A;

	if (!c->tx.active || c->tx.phase != TX_REQUEST || ev->leg != leg_of(c, answerer) ||
	    !sc_final(r->code))
		return;
	if (c->tx.own) {
		own_response(c, ev);
		return;
	}
	if (sc_success(r->code) && c->tx.offerless && r->sdp) {
		/* Our re-INVITE had no SDP: this 2xx offers (its ACK waits). */
		if (bad_sdp(c, c->tx.method, r->sdp)) {
			ack_failed(c, "Malformed offer in a 2xx");
			return;
		}
		c->tx.phase = TX_LATE_OFFER;
		if (!c->core->env.relay)
			offer_to_asker(c, r->sdp);
		else if (call_relay_offer(c, answerer, r->sdp, c->savp[c->tx.from], EV_R_TX_OFFER) != 0)
			ack_failed(c, "Media relay unavailable");
		return;
	}
	if (sc_success(r->code) && bad_sdp(c, c->tx.method, r->sdp)) {
		tx_reply(c, RP_MEDIA);
		return;
	}
	if (sc_success(r->code) && c->tx.method != METHOD_INFO && r->sdp && c->core->env.relay) {
		if (call_relay_answer(c, answerer, r->sdp, c->savp[c->tx.from], EV_R_TX_ANSWER) != 0)
			tx_reply(c, RP_RELAY);
		return;
	}
	{
		int ok;
		const char *body = sc_success(r->code) ? body_to(c, c->tx.from, c->tx.method, r->body, &ok) : NULL;

		if (sc_success(r->code) && !ok) {
			tx_reply(c, c->leak_stopped ? RP_LEAK : RP_MEDIA);
			return;
		}
		respond(c, from, c->tx.method, r->code, r->reason, body ? r->ctype : NULL, body);
	}
	c->tx.active = 0;
	/* RFC 3261 12.2.1.2: 481 or 408 to a request within a dialog means the
	 * dialog is gone; so is the call. */
	if (r->code == SC_NO_DIALOG || r->code == SC_REQUEST_TIMEOUT) {
		struct ev dead = {.leg = ev->leg, .code = r->code, .reason = r->reason};

		call_dispatch(c, EV_DEAD, &dead);
	}
}

void call_dialog_await_ack(struct call *c, enum call_side from)
{
	c->tx.active = 1;
	c->tx.method = METHOD_INVITE;
	c->tx.from = from;
	c->tx.phase = TX_ACK_WAIT;
	c->tx.offerless = 1;
}

/* The far side's 2xx gets its ACK, with the asker's answer. */
static void ack_far_side(struct call *c, const char *answer)
{
	enum call_side to = other(c->tx.from);
	const char *sdp = call_sdp_to(c, to, answer);

	if (!sdp) {
		ack_failed(c, c->leak_stopped ? "Topology leak stopped" : "Answer cannot be rebuilt");
		return;
	}
	c->core->env.leg->ack(leg_of(c, to), sdp);
	c->tx.active = 0;
}

/* The asker's ACK to our offering 2xx: its answer goes to the far side's
 * ACK, through the relay. Without a usable answer the call cannot have
 * media: it ends. */
void call_dialog_ack(struct call *c, const struct ev *ev)
{
	char why[128];

	if (!c->tx.active || c->tx.phase != TX_ACK_WAIT || ev->leg != leg_of(c, c->tx.from))
		return;
	if (!ev->body) {
		ack_failed(c, "No answer in ACK");
		return;
	}
	if (media_policy_check(ev->body, why, sizeof(why)) != 0) {
		log_warn("call %s: malformed SDP in an ACK: %s", c->cdr.call_id, why);
		ack_failed(c, "Malformed answer in ACK");
		return;
	}
	if (!c->core->env.relay) {
		ack_far_side(c, ev->body);
		return;
	}
	c->tx.phase = TX_ACK_RELAY;
	if (call_relay_answer(c, c->tx.from, ev->body, c->savp[other(c->tx.from)], EV_R_TX_ANSWER) != 0)
		ack_failed(c, "Media relay unavailable");
}

/* The relay rewrote the far side's answer: back to who asked. */
void call_dialog_answered(struct call *c, const struct ev *ev)
{
	const struct relay_result *r = ev->relay;
	const struct reply *ok = reply_get(RP_OK);
	const char *sdp;

	if (!c->tx.active)
		return;
	if (c->tx.own) {
		if (r->err != RELAY_OK)
			own_failed(c, "Media relay refused the transferee's answer");
		else
			c->tx.active = 0;   /* the new leg's media is bridged */
		return;
	}
	if (c->tx.phase == TX_ACK_RELAY) {
		if (r->err != RELAY_OK)
			ack_failed(c, "Media relay refused the answer in an ACK");
		else
			ack_far_side(c, r->sdp);
		return;
	}
	if (r->err != RELAY_OK) {
		log_warn("call %s: relay refused a re-answer: %s", c->cdr.call_id, r->detail ? r->detail : "?");
		tx_reply(c, call_relay_reply(r->err));
		return;
	}
	if (!(sdp = call_sdp_to(c, c->tx.from, r->sdp))) {
		tx_reply(c, RP_MEDIA);
		return;
	}
	respond(c, leg_of(c, c->tx.from), c->tx.method, ok->code, ok->reason, "application/sdp", sdp);
	c->tx.active = 0;
}
