/*
 * call.c - the call-control core: admission of new INVITEs, the list of
 * calls, their one teardown path, the CDR and the counters.
 *
 * Owns: every struct call (refcounted: the core's list, each leg the call
 * holds, pending relay requests and timers hold one reference each) and
 * the call_core that lists them. Runs only on the SIP thread. A call ends
 * on one path, call_end(): final answer or BYE/CANCEL per leg from what
 * each dialog has seen, legs released, relay totals fetched, then
 * finish() writes the final CDR and drops the core's reference.
 * Must not: block, do SQL, touch Sofia; talk to legs, relay, timers or the
 * CDR writer except through struct call_env; decide what an event means
 * (call_fsm.c does).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "call_int.h"
#include "clock.h"
#include "log.h"
#include "media_policy.h"

static const char *const hangup_names[] = {"caller", "callee", "b2bua"};

void call_copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

const char *call_disposition_of(int code)
{
	if (code == SC_BUSY || code == SC_GLOBAL_ERR)
		return "busy";
	if (code == SC_TEMP_UNAVAILABLE || code == SC_REQUEST_TIMEOUT)
		return "no_answer";
	if (code == SC_TERMINATED)
		return "cancelled";
	return "failed";
}

/* ---- refcounting, accessors ---- */

struct call *call_ref(struct call *c)
{
	c->refs++;
	return c;
}

void call_unref(struct call *c)
{
	if (--c->refs > 0)
		return;
	free(c->sdp_a);
	free(c->held_sdp);
	free(c->last_sdp[SIDE_A]);
	free(c->last_sdp[SIDE_B]);
	free(c->sdp_sent);
	free(c->own_sdp);
	free(c->hdrs);
	free(c->sdp_out[SIDE_A]);
	free(c->sdp_out[SIDE_B]);
	policy_unref(c->policy);
	free(c);
}

uint64_t call_serial(const struct call *c)
{
	return c->serial;
}

const char *call_relay_id(const struct call *c)
{
	return c->relay_id;
}

const char *call_id(const struct call *c)
{
	return c->cdr.call_id;
}

void *call_get_timer_slot(struct call *c, enum call_timer t)
{
	return c->timers[t];
}

void call_set_timer_slot(struct call *c, enum call_timer t, void *v)
{
	c->timers[t] = v;
}

/* ---- helpers the other call*.c files use ---- */

void call_timer_set(struct call *c, enum call_timer t, int64_t ms)
{
	if (ms > 0)
		c->core->env.timer->set(c->core->env.timer_ctx, c, t, ms);
}

void call_timer_cancel(struct call *c, enum call_timer t)
{
	c->core->env.timer->cancel(c->core->env.timer_ctx, c, t);
}

void call_cdr_emit(struct call *c, int final)
{
	const struct call_env *e = &c->core->env;

	if (e->cdr)
		e->cdr(e->cdr_ctx, c->serial, &c->cdr, final);
}

int call_leak_check(struct call *c, enum call_side to, const char *where, const char *text)
{
	const char *hit = NULL;
	const char *what = text ? leak_find(&c->secret[to == SIDE_A ? SIDE_B : SIDE_A], text, strlen(text), &hit)
				: NULL;

	c->leak_stopped = what != NULL;
	if (!what)
		return 0;
	c->core->st.leaks++;
	log_warn("call %s: the %s toward %c would carry the other side's %s %s: not sent", c->cdr.call_id, where,
		 to == SIDE_A ? 'A' : 'B', what, hit);
	return -1;
}

const char *call_phrase_to(struct call *c, enum call_side to, const char *reason)
{
	return reason && call_leak_check(c, to, "reason phrase", reason) != 0 ? "" : reason;
}

const char *call_sdp_to(struct call *c, enum call_side to, const char *sdp)
{
	const struct policy_trunk *t = to == SIDE_A ? c->from : c->to;
	struct sdp_origin *o = &c->origin[to];
	char why[128], *out;

	if (!sdp)
		return NULL;
	if (!o->id)   /* an NTP-style number, unique per call and side */
		o->id = (unsigned long long)clock_wall_ms() * 1000 + (c->serial % 500) * 2 + to;
	if (media_policy_hide(sdp, t ? t->sdp_keep : NULL, o, &out, why, sizeof(why)) != 0) {
		log_error("call %s: cannot rebuild the SDP toward %c: %s", c->cdr.call_id, to == SIDE_A ? 'A' : 'B',
			  why);
		return NULL;
	}
	/* Without a relay the SDP's addresses pass by design ([relay] ng
	 * empty: no anchoring); with one, nothing of the other side may. */
	if (c->core->env.relay && call_leak_check(c, to, "SDP", out) != 0) {
		free(out);
		return NULL;
	}
	free(c->sdp_out[to]);
	c->sdp_out[to] = out;
	return out;
}

/* RFC 3262 3 by the calling trunk's rel100: reliable when the caller
 * requires it; when it only supports it, a 183 (early media must not be
 * lost), an 18x that offers (RFC 3262 5: its answer comes in the PRACK),
 * or every 18x where the trunk's policy requires it. */
static int reliable_to_a(const struct call *c, int code, const char *sdp)
{
	enum policy_rel100 p = c->from ? c->from->rel100 : POLICY_REL100_SUPPORTED;

	if (!sc_provisional(code) || code == SC_TRYING || p == POLICY_REL100_OFF)
		return 0;
	if (sdp && c->early_oa == EOA_OFFERED)
		return c->a_rel_req || c->a_rel_sup;
	return c->a_rel_req || (c->a_rel_sup && (code == SC_PROGRESS || p == POLICY_REL100_REQUIRED));
}

int call_a_takes_early_offer(const struct call *c)
{
	return (c->a_rel_req || c->a_rel_sup) && (!c->from || c->from->rel100 != POLICY_REL100_OFF);
}

int call_respond_a(struct call *c, int code, const char *reason, const char *sdp, int retry_after)
{
	int reliable = 0;

	if (c->parent && sc_provisional(code))
		call_xfer_progress(c, code);   /* a transfer's: the transferor hears */
	if (!c->a || c->a_final)
		return 0;
	if (sdp && !(sdp = call_sdp_to(c, SIDE_A, sdp)))
		return -1;
	if (sc_final(code)) {
		c->a_final = 1;
		c->a_answered = sc_success(code);
	} else if ((reliable = reliable_to_a(c, code, sdp))) {
		c->a_unpracked++;   /* nua sends it reliably (RFC 3262) */
		c->a_rel_sdp |= sdp != NULL;
	}
	c->core->env.leg->respond(c->a, code, call_phrase_to(c, SIDE_A, reason), sdp, retry_after, reliable);
	return 0;
}

void call_reply_a(struct call *c, enum reply_id id)
{
	const struct reply *r = reply_get(id);

	call_respond_a(c, r->code, r->reason, NULL, r->retry_after);
}

/* What a route attempt our reply ends was up against (cdr_attempts). */
static const char *reply_cause(enum reply_id id)
{
	switch (id) {
	case RP_RELAY:
		return "relay";
	case RP_MEDIA:
	case RP_BAD_SDP:
		return "media";
	case RP_NO_ANSWER:
	case RP_TRUNK_TIMEOUT:
		return "timeout";
	case RP_LIMITS:
		return "limits";
	default:
		return NULL;
	}
}

struct outcome call_outcome_reply(enum reply_id id, const char *disposition, enum hangup_by by)
{
	const struct reply *r = reply_get(id);
	struct outcome o = {r->code, r->reason, disposition, by, r->retry_after, 0, NULL, reply_cause(id)};

	return o;
}

void call_attempt_end(struct call *c, int code, const char *reason, const char *cause)
{
	const struct call_env *e = &c->core->env;
	struct cdr_attempt a;

	if (!c->att_trunk)
		return;
	memset(&a, 0, sizeof(a));
	a.seq = ++c->att_seq;
	call_copy(a.trunk, sizeof(a.trunk), c->att_trunk->name);
	a.start_ms = c->att_start_ms;
	a.sip_code = code;
	call_copy(a.reason, sizeof(a.reason), reason);
	call_copy(a.cause, sizeof(a.cause), cause);
	c->att_trunk = NULL;
	if (e->cdr_attempt)
		e->cdr_attempt(e->cdr_ctx, c->serial, &a);
}

const char *call_reason_pass(struct call *c, enum call_side from, const struct leg_reason *why)
{
	const struct policy_trunk *t = from == SIDE_A ? c->from : c->to;
	enum call_side to = from == SIDE_A ? SIDE_B : SIDE_A;

	if (!why || !why->value || !t || !t->trust_reason)
		return NULL;
	if (call_leak_check(c, to, "Reason", why->value) != 0) {
		c->leak_stopped = 0;   /* the BYE or CANCEL goes, without it */
		return NULL;
	}
	return why->value;
}

void call_release_chan(struct call *c)
{
	const struct call_env *e = &c->core->env;

	if (c->chan && e->limits)
		e->limits->give(e->limits_ctx, c->chan);
	if (c->chan_kept && e->limits)
		e->limits->give(e->limits_ctx, c->chan_kept);
	c->chan = c->chan_kept = NULL;
}

/* The call lets go of a leg: after this, nothing of the call points at it. */
void call_release_leg(struct call *c, enum call_side side)
{
	struct leg **l = side == SIDE_A ? &c->a : &c->b;
	struct leg *gone = *l;

	if (!gone)
		return;
	*l = NULL;
	c->core->env.leg->release(gone);
}

enum reply_id call_relay_reply(enum relay_err err)
{
	return err == RELAY_E_SDP ? RP_MEDIA : RP_RELAY;
}

typedef int (*relay_sdp_op)(void *ctx, struct call *c, const struct relay_sdp *s, relay_done_fn done);

static const char *const latch_names[] = {
	[POLICY_LATCH_LEARN] = "learn", [POLICY_LATCH_SDP] = "sdp", [POLICY_LATCH_FIRST] = "first",
};

/* The profile an offer from `side` leaves toward the other side with when
 * to_srtp alone would not say it: a feedback profile (RFC 4585) is kept
 * toward a trunk whose avpf is keep, and becomes its base profile toward
 * one whose avpf is off. NULL: as to_srtp says (no feedback offered). */
static const char *offer_profile(struct call *c, enum call_side side, const char *sdp, int to_srtp)
{
	const struct policy_trunk *t = side == SIDE_A ? c->to : c->from;
	int keep = t && t->avpf == POLICY_AVPF_KEEP, srtp, fb;

	media_policy_profiles(sdp, &srtp, &fb);   /* both 0 when unparsable */
	c->offer_fb[side] = fb != 0;   /* the answer to it goes back with it */
	if (!fb || (keep && to_srtp < 0))
		return NULL;
	if (to_srtp >= 0)
		srtp = to_srtp;
	if (keep)
		return srtp ? "RTP/SAVPF" : "RTP/AVPF";
	return srtp ? "RTP/SAVP" : "RTP/AVP";
}

/* The profile an answer from `side` goes back with: the offer's (RFC 3264
 * 6). The relay keeps it by itself; a transport-protocol for SRTP alone
 * would turn the offerer's RTP/AVPF into RTP/AVP. NULL: as to_srtp says. */
static const char *answer_profile(const struct call *c, enum call_side side, int to_srtp)
{
	if (to_srtp < 0 || !c->offer_fb[side == SIDE_A ? SIDE_B : SIDE_A])
		return NULL;
	return to_srtp ? "RTP/SAVPF" : "RTP/AVPF";
}

/* The name of a side's interface for the relay: its own, else the
 * default; "default" (the relay's unnamed interface) when neither has
 * one. */
static const char *side_iface(const struct call *c, enum call_side s)
{
	const char *d = c->core->env.default_iface;

	if (c->iface[s][0])
		return c->iface[s];
	return d && *d ? d : "default";
}

/* Where the relay anchors each side: ng direction (the sender's
 * interface, then the recipient's) once any interface has a name, and
 * the address family the recipient needs: IPv6 when its peer (the
 * caller's source, the trunk's host) is an IPv6 address. */
static void call_relay_place(const struct call *c, enum call_side side, struct relay_sdp *r)
{
	enum call_side o = side == SIDE_A ? SIDE_B : SIDE_A;
	const char *d = c->core->env.default_iface, *peer = o == SIDE_A ? c->a_peer : c->b_peer;

	if (c->iface[SIDE_A][0] || c->iface[SIDE_B][0] || (d && *d)) {
		r->iface[0] = side_iface(c, side);
		r->iface[1] = side_iface(c, o);
	}
	if (peer[0])
		r->family = strchr(peer, ':') ? "IP6" : "IP4";
}

/* One relay request holding a reference on c until its event comes back.
 * The sender's media latch policy and SIP address go with its SDP. */
static int relay_sdp(struct call *c, relay_sdp_op op, enum call_side side, const char *sdp, int to_srtp,
		     enum cevent ev_id)
{
	const struct call_env *e = &c->core->env;
	const struct policy_trunk *t = side == SIDE_A ? c->from : c->to;
	struct relay_sdp r = {.side = side, .sdp = sdp, .to_srtp = to_srtp,
			      .latch = latch_names[t->media_latch],
			      .peer = side == SIDE_A ? c->a_peer : c->b_peer};

	if (!r.peer[0])
		r.peer = NULL;
	call_relay_place(c, side, &r);
	r.proto = op == e->relay->offer ? offer_profile(c, side, sdp, to_srtp) : answer_profile(c, side, to_srtp);
	if (op(e->relay_ctx, call_ref(c), &r, call_relay_done[ev_id]) != 0) {
		call_unref(c);
		return -1;
	}
	free(c->sdp_sent);
	c->sdp_sent = strdup(sdp);
	c->sdp_sent_side = side;
	return 0;
}

void call_relay_settle(struct call *c, int ok)
{
	char **last = &c->last_sdp[c->sdp_sent_side];

	if (!c->sdp_sent)
		return;
	if (ok) {
		free(*last);
		*last = c->sdp_sent;
	} else {
		free(c->sdp_sent);
	}
	c->sdp_sent = NULL;
}

int call_relay_offer(struct call *c, enum call_side side, const char *sdp, int to_srtp, enum cevent ev_id)
{
	if (!c->core->env.relay ||
	    relay_sdp(c, c->core->env.relay->offer, side, sdp, to_srtp, ev_id) != 0)
		return -1;
	c->relayed = 1;
	return 0;
}

int call_relay_answer(struct call *c, enum call_side side, const char *sdp, int to_srtp, enum cevent ev_id)
{
	return c->core->env.relay ? relay_sdp(c, c->core->env.relay->answer, side, sdp, to_srtp, ev_id) : -1;
}

/* ---- the core's list ---- */

static void link_call(struct call_core *core, struct call *c)
{
	c->next = core->head;
	if (core->head)
		core->head->prev = c;
	core->head = c;
	core->ncalls++;
	core->st.active = core->ncalls;
}

static void unlink_call(struct call *c)
{
	struct call_core *core = c->core;

	if (c->prev)
		c->prev->next = c->next;
	else
		core->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	core->ncalls--;
	core->st.active = core->ncalls;
}

/* ---- teardown: the one path ---- */

/* The relay's totals (when it answered) into the final CDR; the core's
 * reference goes. */
void call_finish(struct call *c, const struct relay_result *r)
{
	for (int t = 0; t < TIMER__N; t++)
		call_timer_cancel(c, t);
	if (r && r->err == RELAY_OK) {
		c->cdr.a_rtp_pkts = r->pkts[SIDE_A];
		c->cdr.b_rtp_pkts = r->pkts[SIDE_B];
		c->cdr.a_rtp_lost = r->lost[SIDE_A];
		c->cdr.b_rtp_lost = r->lost[SIDE_B];
		if (r->codec && *r->codec)
			call_copy(c->cdr.codec, sizeof(c->cdr.codec), r->codec);
	}
	if (c->cdr.answer_ms && c->to) {
		double secs = (c->cdr.end_ms - c->cdr.answer_ms) / 1000.0;
		double cost;

		if (policy_rate_cost(c->policy, c->to->id, c->cdr.routed_to, secs, &cost) == 0) {
			c->cdr.cost = cost;
			c->cdr.has_cost = 1;
		}
	}
	call_cdr_emit(c, 1);
	unlink_call(c);
	call_unref(c);   /* the core's reference */
}

/*
 * Ends the call: a final answer to A if it has none, BYE or CANCEL toward
 * whichever dialogs still need one (from what each has seen, never from
 * the state), both legs released, then the relay's totals into the CDR.
 */
void call_end(struct call *c, const struct outcome *o)
{
	const struct call_env *e = &c->core->env;

	if (c->state == CS_ENDING)
		return;
	call_xfer_ended(c, o);
	call_attempt_end(c, o->code, o->reason, o->cause ? o->cause : o->by == BY_B2BUA ? "internal" : "remote");
	c->cdr.end_ms = clock_wall_ms();
	c->cdr.sip_code = o->code;
	call_copy(c->cdr.reason, sizeof(c->cdr.reason), o->reason);
	call_copy(c->cdr.disposition, sizeof(c->cdr.disposition), o->disposition);
	call_copy(c->cdr.hangup_by, sizeof(c->cdr.hangup_by), hangup_names[o->by]);
	if (o->q850 > 0 && !c->cdr.q850_cause)
		c->cdr.q850_cause = o->q850;
	if (!c->cdr.answer_ms)
		c->core->st.failed++;   /* answered ones were counted when they were */
	log_info("call %s: ended %d %s (%s, by %s)", c->cdr.call_id, o->code, o->reason, o->disposition,
		 hangup_names[o->by]);

	if (c->a && !c->a_final) {
		if (sc_failure(o->code))
			call_respond_a(c, o->code, o->reason, NULL, o->retry_after);
		else
			call_reply_a(c, RP_INTERNAL);
	} else if (c->a && c->a_answered && o->by != BY_CALLER) {
		e->leg->bye(c->a, o->pass_reason);
	}
	if (c->b) {
		if (!c->b_final)
			e->leg->cancel(c->b, o->pass_reason);
		else if (c->b_answered && o->by != BY_CALLEE)
			e->leg->bye(c->b, o->pass_reason);
	}
	call_release_leg(c, SIDE_A);
	call_release_leg(c, SIDE_B);
	call_release_chan(c);
	c->state = CS_ENDING;
	for (int t = 0; t < TIMER__N; t++)
		call_timer_cancel(c, t);
	if (c->relayed &&
	    e->relay->delete(e->relay_ctx, call_ref(c), call_relay_done[EV_R_DELETE]) == 0)
		return;
	if (c->relayed)
		call_unref(c);
	call_finish(c, NULL);
}

/* ---- admission ---- */

/* The calling trunk's SRTP policy (off/mandatory) and codec list applied
 * to its offer, parsed once: 0 with *out the offer to route (the trunk's
 * codecs only, RFC 3264 5.1; NULL only without memory) and *srtp, or -1
 * when it cannot meet them: RTP/SAVP from an "off" trunk, RTP/AVP from a
 * "mandatory" one, no codec in common. */
static int offer_accept(const struct policy_trunk *t, const char *sdp, char **out, int *srtp)
{
	char why[128];

	*out = NULL;
	*srtp = media_policy_is_srtp(sdp);
	if (*srtp < 0)
		return -1;
	if ((t->srtp == POLICY_SRTP_MANDATORY && !*srtp) || (t->srtp == POLICY_SRTP_OFF && *srtp))
		return -1;
	if (media_policy_filter(sdp, t->codecs, out, why, sizeof(why)) != 0)
		return -1;
	if (!*out)
		*out = strdup(sdp);
	return 0;
}

struct call *call_alloc(struct call_core *core)
{
	const struct call_env *e = &core->env;
	struct call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->refs = 1;   /* the core's */
	c->core = core;
	c->policy = policy_ref(core->policy);
	c->serial = ++core->next_serial;
	snprintf(c->relay_id, sizeof(c->relay_id), "%s-%llu-%llx", e->node, (unsigned long long)c->serial,
		 (unsigned long long)clock_wall_ms());
	call_copy(c->cdr.disposition, sizeof(c->cdr.disposition), "in_progress");
	call_copy(c->cdr.node, sizeof(c->cdr.node), e->node);
	c->cdr.start_ms = clock_wall_ms();
	link_call(core, c);
	return c;
}

/* Refuses an INVITE before any call exists: no CDR, A answered, released. */
static struct call *refuse(struct call_core *core, struct leg *a, enum reply_id id)
{
	const struct reply *r = reply_get(id);

	core->env.leg->respond(a, r->code, r->reason, NULL, r->retry_after, 0);
	core->env.leg->release(a);
	core->st.refused++;
	return NULL;
}

static void copy_headers(struct call *c, const struct call_invite *inv)
{
	struct policy_hdr hdrs[CALL_MAX_HDRS];
	size_t n = inv->nhdrs < CALL_MAX_HDRS ? inv->nhdrs : CALL_MAX_HDRS;

	if (n)
		memcpy(hdrs, inv->hdrs, n * sizeof(hdrs[0]));
	n = policy_header_apply(c->policy, c->from->id, POLICY_IN, hdrs, n, CALL_MAX_HDRS);
	if (n && (c->hdrs = malloc(n * sizeof(hdrs[0])))) {
		memcpy(c->hdrs, hdrs, n * sizeof(hdrs[0]));
		c->nhdrs = n;
	}
}

static void normalise(struct call *c, const struct call_invite *inv)
{
	int id = c->from->id;

	/* Number rules "in": normalise before routing. */
	policy_number_rewrite(c->policy, id, POLICY_IN, POLICY_RURI, inv->ruri_user ? inv->ruri_user : "",
			      c->ruri_user, sizeof(c->ruri_user));
	policy_number_rewrite(c->policy, id, POLICY_IN, POLICY_FROM, inv->from_user ? inv->from_user : "",
			      c->from_user, sizeof(c->from_user));
	policy_number_rewrite(c->policy, id, POLICY_IN, POLICY_TO, inv->to_user ? inv->to_user : "",
			      c->to_user, sizeof(c->to_user));
	/* RFC 3325 9.1: an assertion from outside our trust domain is
	 * dropped, never passed on. */
	if (inv->pai_user && c->from->trusted)
		policy_number_rewrite(c->policy, id, POLICY_IN, POLICY_PAI, inv->pai_user, c->pai_user,
				      sizeof(c->pai_user));
	call_copy(c->from_display, sizeof(c->from_display), inv->from_display);
}

static int too_long(const char *user)
{
	return user && strlen(user) >= CALL_MAX_USER;
}

struct call *call_on_invite(struct call_core *core, struct leg *a, const struct call_invite *inv)
{
	const struct call_env *e = &core->env;
	const struct policy_trunk *from;
	struct call *c;
	char *offer = NULL, why[128];
	int srtp = 0;

	core->st.attempts++;
	if (inv->max_forwards == 0)
		return refuse(core, a, RP_LOOP);
	if (core->draining)
		return refuse(core, a, RP_DRAINING);
	from = policy_trunk_by_addr(core->policy, (const struct sockaddr *)&inv->src);
	if (!from && inv->reg_trunk_id) {
		/* No trunk_sources row: the registrar of a trunk registered with it. */
		from = policy_trunk_by_id(core->policy, inv->reg_trunk_id);
		if (from && (!from->enabled || !from->reg))
			from = NULL;
	}
	if (!from) {
		log_info("refused INVITE %s: source is no known trunk", inv->call_id);
		return refuse(core, a, RP_FORBIDDEN);
	}
	if (too_long(inv->ruri_user)) {
		log_info("refused INVITE %s from %s: Request-URI user over %d bytes", inv->call_id, from->name,
			 CALL_MAX_USER - 1);
		return refuse(core, a, RP_URI_TOO_LONG);
	}
	if (too_long(inv->from_user) || too_long(inv->to_user) || too_long(inv->pai_user)) {
		log_info("refused INVITE %s from %s: a From, To or P-Asserted-Identity user over %d bytes",
			 inv->call_id, from->name, CALL_MAX_USER - 1);
		return refuse(core, a, RP_USER_TOO_LONG);
	}
	if (inv->body_not_sdp) {
		log_info("refused INVITE %s from %s: its body is not SDP", inv->call_id, from->name);
		return refuse(core, a, RP_UNSUPPORTED_MEDIA);
	}
	if (inv->refuses_sdp) {
		log_info("refused INVITE %s from %s: its Accept leaves out application/sdp", inv->call_id, from->name);
		return refuse(core, a, RP_NOT_ACCEPTABLE);
	}
	/* RFC 3262 3: 100rel as the calling trunk's policy says (420 with
	 * Unsupported, 421 with Require). */
	if (from->rel100 == POLICY_REL100_OFF && inv->requires_100rel) {
		log_info("refused INVITE %s from %s: it requires 100rel, off for this trunk", inv->call_id, from->name);
		return refuse(core, a, RP_BAD_EXTENSION);
	}
	if (from->rel100 == POLICY_REL100_REQUIRED && !inv->requires_100rel && !inv->supports_100rel) {
		log_info("refused INVITE %s from %s: no 100rel, required for this trunk", inv->call_id, from->name);
		return refuse(core, a, RP_EXTENSION_REQUIRED);
	}
	if (inv->sdp && media_policy_check(inv->sdp, why, sizeof(why)) != 0) {
		log_info("refused INVITE %s from %s: malformed SDP: %s", inv->call_id, from->name, why);
		return refuse(core, a, RP_BAD_SDP);
	}
	if (inv->sdp && offer_accept(from, inv->sdp, &offer, &srtp) != 0) {
		free(offer);
		log_info("refused INVITE %s from %s: SDP does not meet the trunk's SRTP/codec policy",
			 inv->call_id, from->name);
		return refuse(core, a, RP_MEDIA);
	}
	c = call_alloc(core);
	if (!c) {
		free(offer);
		return refuse(core, a, RP_INTERNAL);
	}
	c->a = a;
	e->leg->configure(a, from->rel100, from->session_expires);
	c->from = from;
	if (getnameinfo((const struct sockaddr *)&inv->src,
			inv->src.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
			c->a_peer, sizeof(c->a_peer), NULL, 0, NI_NUMERICHOST) != 0)
		c->a_peer[0] = 0;
	/* Leg A is on the interface its INVITE arrived on, else its trunk's. */
	call_copy(c->iface[SIDE_A], sizeof(c->iface[SIDE_A]),
		  inv->iface && *inv->iface ? inv->iface : from->iface);
	leak_set_add_addr(&c->secret[SIDE_A], (const struct sockaddr *)&inv->src);
	leak_set_add(&c->secret[SIDE_A], "Call-ID", inv->call_id);
	leak_set_add(&c->secret[SIDE_A], "tag", inv->from_tag);
	leak_set_add(&c->secret[SIDE_A], "host", inv->via_host);
	leak_set_add(&c->secret[SIDE_A], "host", inv->contact_host);
	leak_set_add(&c->secret[SIDE_A], "host", inv->rr_host);
	c->max_forwards = inv->max_forwards < 0 ? 70 : inv->max_forwards - 1;
	c->sdp_a = offer;
	c->savp[SIDE_A] = srtp == 1;
	c->a_rel_req = inv->requires_100rel != 0;
	c->a_rel_sup = inv->supports_100rel != 0;
	c->a_update = inv->allows_update != 0;
	copy_headers(c, inv);
	normalise(c, inv);

	call_copy(c->cdr.call_id, sizeof(c->cdr.call_id), inv->call_id);
	call_copy(c->cdr.from_trunk, sizeof(c->cdr.from_trunk), from->name);
	call_copy(c->cdr.caller, sizeof(c->cdr.caller), inv->from_user);
	call_copy(c->cdr.callee, sizeof(c->cdr.callee), inv->ruri_user);
	call_copy(c->cdr.routed_to, sizeof(c->cdr.routed_to), c->ruri_user);
	c->ncand = policy_route(c->policy, from->id, c->ruri_user, c->cand, CALL_MAX_CANDIDATES, e->rnd,
				e->rnd_arg);
	call_cdr_emit(c, 0);
	call_timer_set(c, TIMER_NO_ANSWER, e->no_answer_ms);

	call_ref(c);
	call_route_next(c);
	/* Routing may have ended the call already (no route, relay down...). */
	a = c->a;
	call_unref(c);
	return a ? c : NULL;
}

/* ---- events from the adapters: each becomes one event of the table ---- */

void call_on_response(struct call *c, struct leg *l, const struct leg_response *r)
{
	struct ev ev = {.leg = l, .resp = r};
	enum cevent id;

	if (l == c->b && r->method == METHOD_INVITE && !c->b_final) {
		if (r->code == SC_TRYING)
			id = EV_B_TRYING;
		else if (sc_provisional(r->code))
			id = EV_B_PROGRESS;
		else if (sc_success(r->code))
			id = EV_B_ANSWER;
		else if (r->code == SC_UNAUTHORIZED || r->code == SC_PROXY_AUTH)
			id = EV_B_CHALLENGE;
		else
			id = EV_B_FAILURE;
	} else {
		id = EV_TX_RESPONSE;
	}
	call_dispatch(c, id, &ev);
}

void call_on_ack(struct call *c, struct leg *l, const char *sdp)
{
	struct ev ev = {.leg = l, .body = sdp};

	call_dispatch(c, EV_ACK, &ev);
}

void call_on_prack(struct call *c, struct leg *l, const char *sdp)
{
	struct ev ev = {.leg = l, .body = sdp};

	call_dispatch(c, EV_PRACK, &ev);
}

void call_on_cancel(struct call *c, struct leg *l, const struct leg_reason *why)
{
	struct ev ev = {.leg = l, .why = why};

	call_dispatch(c, EV_CANCEL, &ev);
}

void call_on_bye(struct call *c, struct leg *l, const struct leg_reason *why)
{
	struct ev ev = {.leg = l, .why = why};

	call_dispatch(c, EV_BYE, &ev);
}

void call_on_refer(struct call *c, struct leg *l, const struct leg_refer *r)
{
	struct ev ev = {.leg = l, .method = METHOD_REFER, .refer = r};

	call_dispatch(c, EV_REFER, &ev);
}

void call_on_request(struct call *c, struct leg *l, int method, const char *ctype, const char *body)
{
	struct ev ev = {.leg = l, .method = method, .ctype = ctype, .body = body};

	call_dispatch(c, EV_REQUEST, &ev);
}

void call_on_leg_dead(struct call *c, struct leg *l, int code, const char *reason)
{
	struct ev ev = {.leg = l, .code = code, .reason = reason};

	call_dispatch(c, EV_DEAD, &ev);
}

void call_on_timer(struct call *c, enum call_timer t)
{
	static const enum cevent map[TIMER__N] = {
		[TIMER_TRUNK] = EV_TRUNK_TIMEOUT,
		[TIMER_NO_ANSWER] = EV_NO_ANSWER,
		[TIMER_MAX_DURATION] = EV_MAX_DURATION,
		[TIMER_RETRY] = EV_RETRY,
	};
	struct ev ev = {0};

	call_dispatch(c, map[t], &ev);
}

/* ---- the core ---- */

int call_core_new(struct call_core **out, const struct call_env *env, struct policy *p)
{
	struct call_core *core = calloc(1, sizeof(*core));

	if (!core)
		return -1;
	core->env = *env;
	core->policy = p;
	*out = core;
	return 0;
}

/* Calls still listed at exit (their relay never answered): legs and
 * timers let go, the core's reference dropped; late relay completions
 * find c->core NULL and only drop theirs. */
void call_core_free(struct call_core *core)
{
	if (!core)
		return;
	while (core->head) {
		struct call *c = core->head;

		for (int t = 0; t < TIMER__N; t++)
			call_timer_cancel(c, t);
		call_xfer_unlink(c);
		call_release_leg(c, SIDE_A);
		call_release_leg(c, SIDE_B);
		call_release_chan(c);
		unlink_call(c);
		c->core = NULL;
		call_unref(c);
	}
	policy_unref(core->policy);
	free(core);
}

void call_core_set_policy(struct call_core *core, struct policy *p)
{
	policy_unref(core->policy);
	core->policy = p;
}

struct policy *call_core_policy(struct call_core *core)
{
	return core->policy;
}

void call_core_drain(struct call_core *core)
{
	core->draining = 1;
}

/* Visits every call with ev_id, or only those with Call-ID cid (A or B
 * leg) when it is not NULL; a call may end (and unlink) meanwhile. How
 * many were visited. */
static int each_call(struct call_core *core, enum cevent ev_id, const char *cid)
{
	struct ev ev = {0};
	struct call *c = core->head;
	int n = 0;

	if (c)
		call_ref(c);
	while (c) {
		struct call *next = c->next;

		if (next)
			call_ref(next);
		if (!cid || strcmp(c->cdr.call_id, cid) == 0 || strcmp(c->cdr.b_call_id, cid) == 0) {
			call_dispatch(c, ev_id, &ev);
			n++;
		}
		call_unref(c);
		c = next;
	}
	return n;
}

void call_core_hangup_all(struct call_core *core)
{
	each_call(core, EV_ADMIN_HANGUP, NULL);
}

void call_core_check_media(struct call_core *core)
{
	if (core->env.relay)
		each_call(core, EV_MEDIA_POLL, NULL);
}

size_t call_core_count(struct call_core *core)
{
	return core->ncalls;
}

void call_core_stats(struct call_core *core, struct call_stats *st)
{
	*st = core->st;
}

/* Every call with that Call-ID: a transfer's call shares the A leg's
 * Call-ID of the call it came from, and both go. */
int call_core_hangup(struct call_core *core, const char *cid)
{
	return each_call(core, EV_ADMIN_HANGUP, cid) ? 0 : -1;
}

void call_core_each(struct call_core *core, int (*fn)(void *arg, const struct call_view *v), void *arg)
{
	static const char *const names[CS__N] = {"routing", "calling", "early", "answering",
						 "connected", "ending"};
	int64_t now = clock_wall_ms();

	for (struct call *c = core->head; c; c = c->next) {
		struct call_view v = {
			.call_id = c->cdr.call_id,
			.b_call_id = c->cdr.b_call_id,
			.state = names[c->state],
			.caller = c->cdr.caller,
			.callee = c->cdr.callee,
			.routed_to = c->cdr.routed_to,
			.from_trunk = c->cdr.from_trunk,
			.to_trunk = c->cdr.to_trunk,
			.age_s = (long long)((now - c->cdr.start_ms) / 1000),
			.answered = c->cdr.answer_ms > 0,
		};

		if (fn(arg, &v))
			break;
	}
}

struct list_buf {
	char *buf;
	size_t cap, len;
};

static int list_line(void *arg, const struct call_view *v)
{
	struct list_buf *l = arg;
	int n;

	if (l->len + 1 >= l->cap)
		return 1;
	n = snprintf(l->buf + l->len, l->cap - l->len, "%s %s %s->%s %s->%s %llds\n", v->call_id, v->state,
		     v->caller, v->routed_to, v->from_trunk, v->to_trunk[0] ? v->to_trunk : "-", v->age_s);
	if (n < 0 || (size_t)n >= l->cap - l->len) {
		l->buf[l->len] = 0;
		return 1;
	}
	l->len += n;
	return 0;
}

size_t call_core_list(struct call_core *core, char *buf, size_t cap)
{
	struct list_buf l = {buf, cap, 0};

	if (cap)
		buf[0] = 0;
	call_core_each(core, list_line, &l);
	return l.len;
}
