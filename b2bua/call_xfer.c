/*
 * call_xfer.c - call transfer (RFC 3515 REFER, blind transfer as RFC 5589
 * describes it), carried out by the b2bua itself: the REFER never reaches
 * the other side.
 *
 * A REFER from side X of an established call (the transferor) is taken
 * when X's trunk says refer = local. The Refer-To number is routed as a
 * new call from X's trunk (its number rules, routes, limits, failover and
 * rates) toward whichever trunk the routes give; that call's caller is
 * the remaining party Y, offered to the new leg with the media Y last
 * sent, through a relay call of its own. X hears how it goes in NOTIFYs
 * (message/sipfrag). When the new leg answers, Y's leg moves over to the
 * new call and is re-INVITEd toward the new relay ports; the old call
 * ends with reason "Transferred" (X gets a BYE if it did not leave
 * already) and its CDR is final. The new call's CDR names the old one in
 * transfer_of. If the transfer fails, X hears the failure and the old
 * call goes on; if X had already left (a blind transferor's BYE after our
 * 202), Y gets a BYE instead.
 *
 * Owns: the links between a call and its transfer's call (c->xfer,
 * c->parent: a reference each way until the hand-over or an end).
 * Called by the state machine (call_fsm.c) and call.c, on the SIP thread.
 * Must not: block, touch Sofia, send a status literal.
 */
#include <stdlib.h>
#include <string.h>
#include "call_int.h"
#include "clock.h"
#include "log.h"
#include "media_policy.h"

static enum call_side other(enum call_side s)
{
	return s == SIDE_A ? SIDE_B : SIDE_A;
}

static struct leg *leg_of(const struct call *c, enum call_side s)
{
	return s == SIDE_A ? c->a : c->b;
}

static const struct policy_trunk *trunk_of(const struct call *c, enum call_side s)
{
	return s == SIDE_A ? c->from : c->to;
}

static void refer_reply(struct call *c, struct leg *l, enum reply_id id)
{
	const struct reply *r = reply_get(id);

	c->core->env.leg->respond_req(l, METHOD_REFER, r->code, r->reason, NULL, NULL);
}

/* Why a REFER on c from side x cannot be carried out, or RP__N. The
 * trunk's policy and the Refer-To come first: their answer does not
 * depend on when the REFER comes. */
static enum reply_id refer_check(const struct call *c, enum call_side x, const struct leg_refer *r)
{
	const struct policy_trunk *tx = x == SIDE_A ? c->from : c->to;

	if (!tx || tx->refer != POLICY_REFER_LOCAL)
		return RP_REFER_REFUSED;
	if (r->replaces)
		return RP_REFER_REPLACES;
	if (!r->user || !*r->user || strlen(r->user) >= CALL_MAX_USER)
		return RP_BAD_REFER_TO;
	if (c->state != CS_CONNECTED || c->xfer || c->tx.active)
		return RP_PENDING;
	if (!c->core->env.relay || !c->last_sdp[x == SIDE_A ? SIDE_B : SIDE_A])
		return RP_REFER_REFUSED;   /* the new leg needs media anchored here */
	return RP__N;
}

static void refuse(struct call *c, struct leg *l, enum reply_id no)
{
	const struct policy_trunk *tx = l == c->a ? c->from : c->to;

	log_info("call %s: REFER from %s refused: %d %s", c->cdr.call_id, tx ? tx->name : "?",
		 reply_get(no)->code, reply_get(no)->reason);
	refer_reply(c, l, no);
}

/* A REFER before the call is up: refused (491 when only the moment is
 * wrong). */
void call_xfer_refuse(struct call *c, const struct ev *ev)
{
	enum reply_id no = refer_check(c, ev->leg == c->a ? SIDE_A : SIDE_B, ev->refer);

	refuse(c, ev->leg, no == RP__N ? RP_PENDING : no);
}

/* The transferor's leg of c (NULL once it left). */
static struct leg *transferor(const struct call *c)
{
	return c->x_gone ? NULL : leg_of(c, c->xfer_from);
}

/* c and its transfer's call t let go of each other. */
static void unlink_pair(struct call *c, struct call *t)
{
	c->xfer = NULL;
	t->parent = NULL;
	call_unref(t);
	call_unref(c);
}

void call_xfer_unlink(struct call *c)
{
	if (c->xfer)
		unlink_pair(c, c->xfer);
	if (c->parent)
		unlink_pair(c->parent, c);
}

/* The new call for a transfer of c by side x to the number `user` (as
 * the REFER gave it; number, after the transferor's "in" rules), its
 * routes found; NULL without memory. */
static struct call *new_transfer(struct call *c, enum call_side x, const char *user, const char *number)
{
	const struct call_env *e = &c->core->env;
	enum call_side y = other(x);
	const struct policy_trunk *tx = trunk_of(c, x);
	struct call *t;
	char *sendrecv = NULL;

	if (media_policy_sendrecv(c->last_sdp[y], &sendrecv) != 0)
		return NULL;
	t = call_alloc(c->core);
	if (!t) {
		free(sendrecv);
		return NULL;
	}
	/* The snapshot c started with: the trunks named below are its. */
	policy_unref(t->policy);
	t->policy = policy_ref(c->policy);
	/* Side A of the new call is the remaining party, on its own trunk;
	 * nothing answers it (its INVITE was answered long ago). */
	t->from = trunk_of(c, y);
	t->a_final = 1;
	t->sdp_a = sendrecv;
	t->savp[SIDE_A] = c->savp[y];
	t->secret[SIDE_A] = c->secret[y];
	call_copy(t->a_peer, sizeof(t->a_peer), y == SIDE_A ? c->a_peer : c->b_peer);
	call_copy(t->iface[SIDE_A], sizeof(t->iface[SIDE_A]), c->iface[y]);   /* where it is reached */
	t->max_forwards = 70;
	/* Routed as a call from the transferor's trunk (RFC 5589: the
	 * transferor asked for it): its "in" number rules and routes. */
	call_copy(t->ruri_user, sizeof(t->ruri_user), number);
	call_copy(t->from_user, sizeof(t->from_user), y == SIDE_A ? c->from_user : c->ruri_user);
	call_copy(t->to_user, sizeof(t->to_user), t->ruri_user);
	t->ncand = policy_route(t->policy, tx->id, t->ruri_user, t->cand, CALL_MAX_CANDIDATES, e->rnd,
				e->rnd_arg);

	call_copy(t->cdr.call_id, sizeof(t->cdr.call_id), e->leg->call_id(leg_of(c, y)));
	call_copy(t->cdr.from_trunk, sizeof(t->cdr.from_trunk), tx->name);
	call_copy(t->cdr.caller, sizeof(t->cdr.caller), t->from_user);
	call_copy(t->cdr.callee, sizeof(t->cdr.callee), user);
	call_copy(t->cdr.routed_to, sizeof(t->cdr.routed_to), t->ruri_user);
	call_copy(t->cdr.transfer_of, sizeof(t->cdr.transfer_of), c->cdr.call_id);

	t->parent = call_ref(c);
	c->xfer = call_ref(t);
	c->xfer_from = x;
	c->x_gone = 0;
	c->xfer_notified = 0;
	return t;
}

void call_xfer_refer(struct call *c, const struct ev *ev)
{
	const struct leg_refer *r = ev->refer;
	enum call_side x = ev->leg == c->a ? SIDE_A : SIDE_B;
	const struct policy_trunk *tx = trunk_of(c, x);
	struct call *t;
	enum reply_id no = refer_check(c, x, r);
	char number[CALL_MAX_USER];

	if (no == RP__N && policy_number_rewrite(c->policy, tx->id, POLICY_IN, POLICY_RURI, r->user, number,
						 sizeof(number)) < 0)
		no = RP_BAD_REFER_TO;   /* longer than a number may be, once rewritten */
	if (no != RP__N) {
		refuse(c, ev->leg, no);
		return;
	}
	t = new_transfer(c, x, r->user, number);
	if (!t) {
		refer_reply(c, ev->leg, RP_INTERNAL);
		return;
	}
	log_info("call %s: %s transfers %s to %s as call %s", c->cdr.call_id, tx->name,
		 x == SIDE_A ? "the callee" : "the caller", t->ruri_user, t->relay_id);
	refer_reply(c, ev->leg, RP_ACCEPTED);
	c->core->env.leg->notify(ev->leg, SC_TRYING, 0);   /* RFC 3515 2.4.5 */
	call_cdr_emit(t, 0);
	call_timer_set(t, TIMER_NO_ANSWER, c->core->env.no_answer_ms);
	call_ref(t);
	call_route_next(t);   /* may end t (no route): the transferor hears */
	call_unref(t);
}

void call_xfer_progress(struct call *t, int code)
{
	struct call *c = t->parent;
	struct leg *x = transferor(c);

	if (code == SC_TRYING || code == c->xfer_notified || !x)
		return;
	c->xfer_notified = code;
	c->core->env.leg->notify(x, code, 0);
}

/* The call c of a finished transfer ends: its transferor is BYE'd (when
 * it did not leave by itself) and the CDR says why. */
static void end_parent(struct call *c, const char *why, enum hangup_by by)
{
	struct outcome o = {SC_OK, why, "answered", by, 0, 0, NULL, NULL};
	struct leg *x = transferor(c);

	if (x)
		c->core->env.leg->bye(x, NULL);
	call_release_leg(c, c->xfer_from);
	call_end(c, &o);
}

void call_xfer_answered(struct call *t, const char *sdp)
{
	struct call *c = t->parent;
	enum call_side x = c->xfer_from, y = other(x);
	struct leg *yl = leg_of(c, y), *xl = transferor(c);

	/* The remaining party's new media must be sendable before anything
	 * is handed over; else the transfer fails and its call goes on. */
	t->origin[SIDE_A] = c->origin[y];   /* the same SDP session, a new version */
	if (!sdp || !call_sdp_to(t, SIDE_A, sdp)) {
		const struct reply *r = reply_get(t->leak_stopped ? RP_LEAK : RP_MEDIA);
		struct outcome o = {r->code, sdp ? r->reason : "No SDP in the answer", "failed", BY_B2BUA, 0, 0, NULL, NULL};

		call_end(t, &o);
		return;
	}
	/* Y moves over: from now on its events reach t, and t holds the
	 * channel Y's trunk gave the old call (when Y was its leg B). */
	if (y == SIDE_A) {
		c->a = NULL;
	} else {
		c->b = NULL;
		t->chan_kept = c->chan;
		c->chan = NULL;
	}
	c->core->env.leg->rebind(yl, t);
	t->a = yl;
	t->a_answered = t->a_acked = 1;
	t->state = CS_CONNECTED;
	t->cdr.answer_ms = clock_wall_ms();
	t->core->st.answered++;
	t->cdr.sip_code = reply_get(RP_OK)->code;
	call_cdr_emit(t, 0);
	call_timer_cancel(t, TIMER_NO_ANSWER);
	call_timer_set(t, TIMER_MAX_DURATION, t->core->env.max_duration_ms);
	if (xl)
		c->core->env.leg->notify(xl, SC_OK, 1);
	log_info("call %s: transfer answered, call %s goes on", c->cdr.call_id, t->relay_id);
	call_ref(c);
	unlink_pair(c, t);
	end_parent(c, "Transferred", x == SIDE_A ? BY_CALLER : BY_CALLEE);
	call_unref(c);
	if (call_dialog_reinvite(t, SIDE_A, sdp) != 0) {
		struct outcome o = {SC_OK, "Offer cannot be rebuilt", "answered", BY_B2BUA, 0, 0, NULL, NULL};

		call_end(t, &o);
	}
}

void call_xfer_ended(struct call *c, const struct outcome *o)
{
	struct call *p = c->parent, *t = c->xfer;

	if (t) {
		/* The call a transfer came from ended first: so does the
		 * transfer (its new leg is CANCELled or BYE'd). */
		struct ev ev = {0};

		call_ref(t);
		unlink_pair(c, t);
		call_dispatch(t, EV_XFER_ABANDON, &ev);
		call_unref(t);
	}
	if (p) {
		/* The transfer failed: the transferor hears how, and the call
		 * goes on, unless nobody is left to talk to the transferee. */
		struct leg *x = transferor(p);
		int code = sc_failure(o->code) ? o->code : reply_get(RP_INTERNAL)->code;

		log_info("call %s: transfer failed: %d %s", p->cdr.call_id, o->code, o->reason);
		if (x)
			p->core->env.leg->notify(x, code, 1);
		call_ref(p);
		unlink_pair(p, c);
		if (!x)
			end_parent(p, "Transfer failed", BY_B2BUA);
		call_unref(p);
	}
}

void call_xfer_abandon(struct call *t, const struct ev *ev)
{
	struct outcome o = {SC_TERMINATED, "Transfer abandoned", "cancelled", BY_B2BUA, 0, 0, NULL, NULL};

	(void)ev;
	call_end(t, &o);
}

int call_xfer_transferor_left(struct call *c, struct leg *l)
{
	if (!c->xfer || c->x_gone || l != leg_of(c, c->xfer_from))
		return 0;
	log_info("call %s: the transferor left; the transfer goes on", c->cdr.call_id);
	c->x_gone = 1;
	call_release_leg(c, c->xfer_from);
	return 1;
}
