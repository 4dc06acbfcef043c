/*
 * call.c - the call state machine: routing, failover, media anchoring
 * requests, in-dialog relaying, timers and the CDR of each call.
 *
 * Owns: every struct call (refcounted: the core's list, pending relay
 * requests and timers each hold a reference) and the call_core that lists
 * them. Runs only on the SIP thread. Decisions are made here and nowhere
 * else: the (state x event) table below says what each event does in each
 * state, and call_errors[] maps internal failures to SIP responses.
 * Must not: block, do SQL, touch Sofia; talk to legs, relay, timers or the
 * CDR writer except through struct call_env.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "call.h"
#include "clock.h"
#include "log.h"
#include "media_policy.h"

#define MAX_CANDIDATES 16
#define MAX_HDRS 16

enum cstate {
	CS_ROUTING,     /* waiting for the relay's offer toward a trunk */
	CS_CALLING,     /* INVITE sent to the trunk, nothing back yet */
	CS_EARLY,       /* trunk sent a provisional response */
	CS_ANSWERING,   /* 2xx from trunk, relay answer pending */
	CS_CONNECTED,   /* 2xx sent to the caller */
	CS_ENDING,      /* tearing down, waiting for the relay's totals */
	CS__N
};

static const char *state_names[CS__N] = {"routing", "calling", "early",
					  "answering", "connected", "ending"};

enum cevent {
	EV_PROVISIONAL,  /* 1xx (>100) from B */
	EV_TRYING,       /* 100 from B */
	EV_ANSWERED,     /* 2xx from B to the initial INVITE */
	EV_FAILED,       /* >= 300 from B to the initial INVITE */
	EV_ACK,          /* ACK from A */
	EV_CANCEL,       /* CANCEL from A */
	EV_BYE,          /* BYE from either side */
	EV_REQUEST,      /* in-dialog re-INVITE/UPDATE/INFO from either side */
	EV_DEAD,         /* a leg's dialog is gone */
	EV_TRUNK_TIMEOUT,
	EV_NO_ANSWER,
	EV_MAX_DURATION,
	EV_ADMIN_HANGUP,
	EV__N
};

struct ev {
	struct leg *leg;
	int code;
	const char *reason;
	const char *sdp;
	int method;
	const char *ctype;
	const char *body;
};

/* One in-dialog transaction being relayed (re-INVITE, UPDATE or INFO). */
struct relayed_tx {
	int active;
	int method;
	enum call_side from;     /* who sent the request */
};

struct call {
	int refs;
	struct call_core *core;
	struct call *prev, *next;
	struct policy *policy;
	uint64_t serial;
	char relay_id[64];
	enum cstate state;
	struct leg *a, *b;
	const struct policy_trunk *from;
	const struct policy_trunk *to;
	const struct policy_trunk *chan;   /* trunk whose channel we hold */
	const struct policy_trunk *cand[MAX_CANDIDATES];
	size_t ncand, next_cand;
	int limit_skips;
	int best_code;
	char best_reason[128];
	int a_final_sent;      /* a final response went to A's INVITE */
	int b_final_seen;      /* B's INVITE transaction is over */
	int b_provisional;     /* B sent something back (stops TIMER_TRUNK) */
	int relayed;           /* the relay holds state for this call */
	int savp[2];           /* RTP/SAVP is spoken toward side A / side B */
	/* leg A's request, normalised, reused for each route */
	char ruri_user[64], from_user[64], from_display[64], to_user[64], pai_user[64];
	int max_forwards;
	char *sdp_a;
	struct policy_hdr *hdrs;   /* leg A's headers after the "in" rules; */
	size_t nhdrs;              /* most calls have none (576 bytes each) */
	struct relayed_tx tx;
	void *timers[TIMER__N];
	struct cdr_row cdr;
};

struct call_core {
	struct call_env env;
	struct policy *policy;
	struct call *head;
	size_t ncalls;
	uint64_t next_serial;
	int draining;
	struct call_stats st;
};

/* Internal failures and the SIP response each one maps to. */
enum call_err {
	ERR_FORBIDDEN, ERR_NO_ROUTE, ERR_LOOP, ERR_DRAINING, ERR_LIMITS,
	ERR_MEDIA, ERR_RELAY, ERR_TRUNK_TIMEOUT, ERR_NO_ANSWER, ERR_INTERNAL,
	ERR_MAX_DURATION, ERR__N
};

static const struct {
	int code;
	const char *reason;
} call_errors[ERR__N] = {
	[ERR_FORBIDDEN] = {403, "Forbidden"},
	[ERR_NO_ROUTE] = {404, "No Route To Destination"},
	[ERR_LOOP] = {483, "Too Many Hops"},
	[ERR_DRAINING] = {503, "Service Unavailable"},
	[ERR_LIMITS] = {503, "Trunk Capacity Exceeded"},
	[ERR_MEDIA] = {488, "Not Acceptable Here"},
	[ERR_RELAY] = {503, "Media Relay Unavailable"},
	[ERR_TRUNK_TIMEOUT] = {408, "Request Timeout"},
	[ERR_NO_ANSWER] = {480, "No Answer"},
	[ERR_INTERNAL] = {500, "Server Internal Error"},
	[ERR_MAX_DURATION] = {200, "Maximum Call Duration"},
};

int call_error_code(int err, const char **reason)
{
	if (err < 0 || err >= ERR__N)
		err = ERR_INTERNAL;
	if (reason)
		*reason = call_errors[err].reason;
	return call_errors[err].code;
}

static void try_next_route(struct call *c);
static void end_call(struct call *c, int code, const char *reason,
		     const char *disposition, const char *hangup_by);

/* ---- small helpers ---- */

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static enum call_side side_of(const struct call *c, const struct leg *l)
{
	return l == c->a ? SIDE_A : SIDE_B;
}

static struct leg *other_leg(const struct call *c, const struct leg *l)
{
	return l == c->a ? c->b : c->a;
}

static void timer_set(struct call *c, enum call_timer t, int64_t ms)
{
	if (ms > 0)
		c->core->env.timer->set(c->core->env.timer_ctx, c, t, ms);
}

static void timer_cancel(struct call *c, enum call_timer t)
{
	c->core->env.timer->cancel(c->core->env.timer_ctx, c, t);
}

static void cdr_emit(struct call *c, int final)
{
	const struct call_env *e = &c->core->env;

	if (e->cdr)
		e->cdr(e->cdr_ctx, c->serial, &c->cdr, final);
}

static void respond_a(struct call *c, int code, const char *reason, const char *sdp,
		      int retry_after)
{
	if (!c->a || c->a_final_sent)
		return;
	if (code >= 200)
		c->a_final_sent = 1;
	c->core->env.leg->respond(c->a, code, reason, sdp, retry_after);
}

/* RFC 3261 16.7 point 6 adapted to a B2BUA: 6xx beats everything, then a
 * real 4xx (the callee's own answer), then 5xx, then timeouts. */
static int code_rank(int code)
{
	if (code >= 600)
		return 0;
	if (code >= 400 && code < 500 && code != 408)
		return 1;
	if (code >= 300 && code < 400)
		return 2;
	if (code >= 500)
		return 3;
	return 4;
}

static void note_failure(struct call *c, int code, const char *reason)
{
	if (!c->best_code || code_rank(code) < code_rank(c->best_code)) {
		c->best_code = code;
		copy(c->best_reason, sizeof(c->best_reason), reason);
	}
}

static int failover_code(int code)
{
	return code == 408 || (code >= 500 && code < 600);
}

static const char *disposition_of(int code)
{
	if (code == 486 || code == 600)
		return "busy";
	if (code == 480 || code == 408)
		return "no_answer";
	if (code == 487)
		return "cancelled";
	return "failed";
}

static void release_chan(struct call *c)
{
	if (c->chan) {
		if (c->core->env.limits)
			c->core->env.limits->give(c->core->env.limits_ctx, c->chan);
		c->chan = NULL;
	}
}

static void release_b(struct call *c)
{
	if (c->b) {
		c->core->env.leg->release(c->b);
		c->b = NULL;
	}
	release_chan(c);
}

/* ---- refcounting and the core's list ---- */

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
	free(c->hdrs);
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

void *call_get_timer_slot(struct call *c, enum call_timer t)
{
	return c->timers[t];
}

void call_set_timer_slot(struct call *c, enum call_timer t, void *v)
{
	c->timers[t] = v;
}

static void unlink_call(struct call *c)
{
	struct call_core *core = c->core;

	if (c->prev)
		c->prev->next = c->next;
	else if (core->head == c)
		core->head = c->next;
	else
		return;   /* not linked */
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	core->ncalls--;
	core->st.active = core->ncalls;
}

/* ---- teardown ---- */

static void finish(struct call *c, const struct relay_result *r)
{
	const struct call_env *e = &c->core->env;

	for (int t = 0; t < TIMER__N; t++)
		timer_cancel(c, t);
	if (r && r->ok) {
		c->cdr.a_rtp_pkts = r->pkts[SIDE_A];
		c->cdr.b_rtp_pkts = r->pkts[SIDE_B];
		c->cdr.a_rtp_lost = r->lost[SIDE_A];
		c->cdr.b_rtp_lost = r->lost[SIDE_B];
		if (r->codec && *r->codec)
			copy(c->cdr.codec, sizeof(c->cdr.codec), r->codec);
	}
	if (c->cdr.answer_ms && c->to) {
		double secs = (c->cdr.end_ms - c->cdr.answer_ms) / 1000.0;
		double cost;

		if (policy_rate_cost(c->policy, c->to->id, c->cdr.routed_to, secs, &cost) == 0) {
			c->cdr.cost = cost;
			c->cdr.has_cost = 1;
		}
	}
	cdr_emit(c, 1);
	if (c->a) {
		e->leg->release(c->a);
		c->a = NULL;
	}
	release_b(c);
	unlink_call(c);
	call_unref(c);   /* the core's reference */
}

static void on_relay_deleted(struct call *c, const struct relay_result *r)
{
	if (c->state == CS_ENDING && c->core)
		finish(c, r);
	call_unref(c);
}

/*
 * Ends the call: a final answer to A if it has none, CANCEL or BYE toward
 * whichever legs are still up, then the relay's totals into the CDR.
 */
static void end_call(struct call *c, int code, const char *reason,
		     const char *disposition, const char *hangup_by)
{
	const struct call_env *e = &c->core->env;

	if (c->state == CS_ENDING)
		return;
	c->cdr.end_ms = clock_wall_ms();
	if (!c->cdr.sip_code || code)
		c->cdr.sip_code = code;
	copy(c->cdr.reason, sizeof(c->cdr.reason), reason);
	copy(c->cdr.disposition, sizeof(c->cdr.disposition), disposition);
	copy(c->cdr.hangup_by, sizeof(c->cdr.hangup_by), hangup_by);
	if (strcmp(disposition, "answered") == 0)
		c->core->st.answered++;
	else
		c->core->st.failed++;

	if (c->a && !c->a_final_sent) {
		respond_a(c, code >= 300 ? code : 500, code >= 300 ? reason : "Server Internal Error", NULL,
			  code == 503 ? 30 : 0);
	} else if (c->a && c->state == CS_CONNECTED && strcmp(hangup_by, "caller") != 0) {
		e->leg->bye(c->a);
	}
	if (c->b) {
		if (!c->b_final_seen)
			e->leg->cancel(c->b);
		else if ((c->state == CS_CONNECTED || c->state == CS_ANSWERING) &&
			 strcmp(hangup_by, "callee") != 0)
			e->leg->bye(c->b);
	}
	c->state = CS_ENDING;
	for (int t = 0; t < TIMER__N; t++)
		timer_cancel(c, t);
	if (c->relayed && e->relay->delete(e->relay_ctx, call_ref(c), on_relay_deleted) == 0)
		return;
	if (c->relayed)
		call_unref(c);
	finish(c, NULL);
}

/* ---- routing ---- */

static void on_relay_offered(struct call *c, const struct relay_result *r)
{
	struct leg_invite inv;
	const struct call_env *e;
	char ruri[64], from[64], to[64], pai[64];

	if (c->state != CS_ROUTING || !c->core) {
		call_unref(c);
		return;
	}
	e = &c->core->env;
	if (!r->ok) {
		log_warn("call %s: relay refused offer: %s", c->cdr.call_id, r->error ? r->error : "?");
		note_failure(c, call_errors[r->error && strstr(r->error, "SRTP") ? ERR_MEDIA : ERR_RELAY].code,
			     call_errors[r->error && strstr(r->error, "SRTP") ? ERR_MEDIA : ERR_RELAY].reason);
		release_chan(c);
		try_next_route(c);
		call_unref(c);
		return;
	}
	/* Number rules "out": the carrier's format, once the trunk is known. */
	policy_number_rewrite(c->policy, c->to->id, POLICY_OUT, POLICY_RURI, c->ruri_user, ruri, sizeof(ruri));
	policy_number_rewrite(c->policy, c->to->id, POLICY_OUT, POLICY_FROM, c->from_user, from, sizeof(from));
	policy_number_rewrite(c->policy, c->to->id, POLICY_OUT, POLICY_TO, c->to_user, to, sizeof(to));
	pai[0] = 0;
	if (c->pai_user[0])
		policy_number_rewrite(c->policy, c->to->id, POLICY_OUT, POLICY_PAI, c->pai_user, pai, sizeof(pai));
	copy(c->cdr.routed_to, sizeof(c->cdr.routed_to), ruri);
	copy(c->cdr.to_trunk, sizeof(c->cdr.to_trunk), c->to->name);

	struct policy_hdr hdrs[MAX_HDRS * 2];
	size_t n = c->nhdrs;

	if (n)
		memcpy(hdrs, c->hdrs, n * sizeof(hdrs[0]));
	n = policy_header_apply(c->policy, c->to->id, POLICY_OUT, hdrs, n, MAX_HDRS * 2);

	memset(&inv, 0, sizeof(inv));
	inv.trunk = c->to;
	inv.ruri_user = ruri;
	inv.from_user = from;
	inv.from_display = c->from_display;
	inv.to_user = to;
	inv.pai_user = pai[0] ? pai : NULL;
	inv.max_forwards = c->max_forwards;
	inv.sdp = r->sdp ? r->sdp : c->sdp_a;
	inv.hdrs = hdrs;
	inv.nhdrs = n;
	c->b_final_seen = 0;
	c->b_provisional = 0;
	c->b = e->leg->invite(e->leg_ctx, c, &inv);
	if (!c->b) {
		note_failure(c, 500, "Server Internal Error");
		release_chan(c);
		try_next_route(c);
		call_unref(c);
		return;
	}
	copy(c->cdr.b_call_id, sizeof(c->cdr.b_call_id), e->leg->call_id(c->b));
	c->state = CS_CALLING;
	timer_set(c, TIMER_TRUNK, e->trunk_timeout_ms);
	call_unref(c);
}

static int srtp_wanted(const struct policy_trunk *t)
{
	if (t->srtp == POLICY_SRTP_MANDATORY)
		return 1;
	if (t->srtp == POLICY_SRTP_OFF)
		return 0;
	return -1;   /* optional: keep what the other side offered */
}

/* Tries the next candidate route that is within its limits. */
static void try_next_route(struct call *c)
{
	const struct call_env *e = &c->core->env;

	while (c->next_cand < c->ncand) {
		const struct policy_trunk *t = c->cand[c->next_cand++];

		if (e->limits && e->limits->take(e->limits_ctx, t) != 0) {
			log_info("call %s: trunk %s over its limits, skipped", c->cdr.call_id, t->name);
			c->limit_skips++;
			continue;
		}
		char *filtered = NULL, why[128];
		const char *offer = c->sdp_a;

		c->chan = t;
		c->to = t;
		c->state = CS_ROUTING;
		log_debug("call %s: trying trunk %s", c->cdr.call_id, t->name);
		/* The trunk's codec list (RFC 3264 5.1: we may offer fewer). */
		if (offer && media_policy_filter(offer, t->codecs, &filtered, why, sizeof(why)) != 0) {
			log_info("call %s: trunk %s skipped: %s", c->cdr.call_id, t->name, why);
			note_failure(c, call_errors[ERR_MEDIA].code, call_errors[ERR_MEDIA].reason);
			release_chan(c);
			continue;
		}
		if (filtered)
			offer = filtered;
		if (!e->relay || !offer) {
			/* No anchoring configured, or an offerless INVITE. */
			struct relay_result r = {.ok = 1, .sdp = offer};

			on_relay_offered(call_ref(c), &r);
			free(filtered);
			return;
		}
		c->savp[SIDE_B] = srtp_wanted(t) >= 0 ? srtp_wanted(t) : c->savp[SIDE_A];
		if (e->relay->offer(e->relay_ctx, call_ref(c), SIDE_A, offer, srtp_wanted(t),
				    on_relay_offered) != 0) {
			free(filtered);
			call_unref(c);
			note_failure(c, call_errors[ERR_RELAY].code, call_errors[ERR_RELAY].reason);
			release_chan(c);
			continue;
		}
		c->relayed = 1;
		free(filtered);
		return;
	}
	/* No route left. */
	if (!c->best_code) {
		int err = c->limit_skips ? ERR_LIMITS : ERR_NO_ROUTE;

		c->best_code = call_errors[err].code;
		copy(c->best_reason, sizeof(c->best_reason), call_errors[err].reason);
	}
	if (c->best_code == 503 && c->limit_skips && !c->to)
		copy(c->best_reason, sizeof(c->best_reason), call_errors[ERR_LIMITS].reason);
	end_call(c, c->best_code, c->best_reason, disposition_of(c->best_code), "callee");
}

/* ---- state machine actions ---- */

static void on_relayed_early(struct call *c, const struct relay_result *r)
{
	if ((c->state == CS_EARLY || c->state == CS_CALLING) && c->core) {
		if (r->ok)
			respond_a(c, c->cdr.sip_code ? c->cdr.sip_code : 183, "Session Progress", r->sdp, 0);
		else
			log_warn("call %s: relay refused early answer: %s", c->cdr.call_id, r->error ? r->error : "?");
	}
	call_unref(c);
}

/* RFC 3264 6: an answer keeps the offer's transport; RTP/AVP back to our
 * RTP/SAVP offer (or the reverse) would leave media undecodable. */
static int answer_fits(const struct call *c, const char *sdp)
{
	int srtp = media_policy_is_srtp(sdp);

	return srtp < 0 || srtp == c->savp[SIDE_B];
}

static void act_provisional(struct call *c, const struct ev *ev)
{
	const struct call_env *e = &c->core->env;

	timer_cancel(c, TIMER_TRUNK);
	c->b_provisional = 1;
	c->state = CS_EARLY;
	if (ev->sdp && e->relay && c->relayed && !answer_fits(c, ev->sdp)) {
		log_warn("call %s: early media of %s does not keep the offered transport: not relayed",
			 c->cdr.call_id, c->to->name);
		respond_a(c, ev->code, ev->reason, NULL, 0);
		return;
	}
	if (ev->sdp && e->relay) {
		c->cdr.sip_code = ev->code;
		if (e->relay->answer(e->relay_ctx, call_ref(c), SIDE_B, ev->sdp, c->savp[SIDE_A],
				     on_relayed_early) != 0)
			call_unref(c);
		return;
	}
	respond_a(c, ev->code, ev->reason, ev->sdp, 0);
}

static void act_trying(struct call *c, const struct ev *ev)
{
	(void)ev;
	timer_cancel(c, TIMER_TRUNK);
	c->b_provisional = 1;
}

static void connected(struct call *c, const char *sdp)
{
	const struct call_env *e = &c->core->env;

	c->state = CS_CONNECTED;
	respond_a(c, 200, "OK", sdp, 0);
	timer_cancel(c, TIMER_NO_ANSWER);
	timer_set(c, TIMER_MAX_DURATION, e->max_duration_ms);
}

static void on_relay_answered(struct call *c, const struct relay_result *r)
{
	if (c->state == CS_ANSWERING && c->core) {
		if (r->ok) {
			connected(c, r->sdp);
		} else {
			log_warn("call %s: relay refused answer: %s", c->cdr.call_id, r->error ? r->error : "?");
			c->state = CS_CONNECTED;   /* B is up: BYE it */
			end_call(c, 488, "Not Acceptable Here", "failed", "b2bua");
		}
	}
	call_unref(c);
}

static void act_answered(struct call *c, const struct ev *ev)
{
	const struct call_env *e = &c->core->env;

	timer_cancel(c, TIMER_TRUNK);
	c->b_final_seen = 1;
	c->cdr.answer_ms = clock_wall_ms();
	c->cdr.sip_code = 200;
	if (ev->sdp)
		media_policy_codec(ev->sdp, c->cdr.codec, sizeof(c->cdr.codec));
	copy(c->cdr.disposition, sizeof(c->cdr.disposition), "in_progress");
	cdr_emit(c, 0);
	c->state = CS_ANSWERING;
	if (ev->sdp && e->relay && c->relayed && !answer_fits(c, ev->sdp)) {
		log_warn("call %s: trunk %s answered %s where %s was offered", c->cdr.call_id, c->to->name,
			 c->savp[SIDE_B] ? "RTP/AVP" : "RTP/SAVP", c->savp[SIDE_B] ? "RTP/SAVP" : "RTP/AVP");
		c->state = CS_CONNECTED;   /* B is up: BYE it */
		end_call(c, call_errors[ERR_MEDIA].code, call_errors[ERR_MEDIA].reason, "failed", "b2bua");
		return;
	}
	if (ev->sdp && e->relay) {
		if (e->relay->answer(e->relay_ctx, call_ref(c), SIDE_B, ev->sdp, c->savp[SIDE_A],
				     on_relay_answered) != 0) {
			call_unref(c);
			end_call(c, 503, "Media Relay Unavailable", "failed", "b2bua");
		}
		return;
	}
	connected(c, ev->sdp);
}

static void act_failed(struct call *c, const struct ev *ev)
{
	timer_cancel(c, TIMER_TRUNK);
	c->b_final_seen = 1;
	note_failure(c, ev->code, ev->reason);
	log_info("call %s: trunk %s answered %d %s", c->cdr.call_id, c->to ? c->to->name : "?",
		 ev->code, ev->reason ? ev->reason : "");
	release_b(c);
	if (failover_code(ev->code) && c->next_cand < c->ncand) {
		try_next_route(c);
		return;
	}
	if (failover_code(ev->code)) {
		try_next_route(c);   /* none left: ends with the best code */
		return;
	}
	end_call(c, ev->code, ev->reason, disposition_of(ev->code), "callee");
}

static void act_trunk_timeout(struct call *c, const struct ev *ev)
{
	(void)ev;
	if (c->b_provisional)
		return;
	log_info("call %s: no reply from trunk %s, failing over", c->cdr.call_id,
		 c->to ? c->to->name : "?");
	note_failure(c, 408, "Request Timeout");
	if (c->b && !c->b_final_seen)
		c->core->env.leg->cancel(c->b);
	release_b(c);
	try_next_route(c);
}

static void act_no_answer(struct call *c, const struct ev *ev)
{
	(void)ev;
	end_call(c, 480, "No Answer", "no_answer", "b2bua");
}

static void act_cancel(struct call *c, const struct ev *ev)
{
	(void)ev;
	/* The adapter answered 487 to the INVITE already (RFC 3261 9.2). */
	c->a_final_sent = 1;
	end_call(c, 487, "Request Terminated", "cancelled", "caller");
}

static void act_ack(struct call *c, const struct ev *ev)
{
	(void)c;
	(void)ev;
}

static void act_bye(struct call *c, const struct ev *ev)
{
	int from_a = ev->leg == c->a;

	if (c->state != CS_CONNECTED && c->state != CS_ANSWERING && from_a) {
		/* BYE before the call was answered: treat like CANCEL. */
		c->a_final_sent = 1;
	}
	if (!from_a)
		c->b_final_seen = 1;
	end_call(c, c->cdr.answer_ms ? 200 : 487, from_a ? "Caller hung up" : "Callee hung up",
		 c->cdr.answer_ms ? "answered" : "cancelled", from_a ? "caller" : "callee");
}

static void act_dead(struct call *c, const struct ev *ev)
{
	int from_a = ev->leg == c->a;

	log_warn("call %s: %s leg died (%d %s)", c->cdr.call_id, from_a ? "A" : "B", ev->code,
		 ev->reason ? ev->reason : "");
	if (from_a) {
		c->a_final_sent = 1;   /* nothing more can reach A */
		c->core->env.leg->release(c->a);
		c->a = NULL;
	} else {
		c->b_final_seen = 1;
		release_b(c);
	}
	end_call(c, c->cdr.answer_ms ? 200 : ev->code, ev->reason ? ev->reason : "Leg died",
		 c->cdr.answer_ms ? "answered" : "failed", "b2bua");
}

static void act_max_duration(struct call *c, const struct ev *ev)
{
	(void)ev;
	end_call(c, 200, "Maximum call duration", "answered", "b2bua");
}

static void act_admin_hangup(struct call *c, const struct ev *ev)
{
	(void)ev;
	if (c->cdr.answer_ms)
		end_call(c, 200, "Hung up by administrator", "answered", "b2bua");
	else
		end_call(c, 503, "Hung up by administrator", "failed", "b2bua");
}

/* In-dialog: relay a re-INVITE/UPDATE's SDP through the relay, then on. */
static void on_tx_offered(struct call *c, const struct relay_result *r)
{
	const struct call_env *e;
	struct leg *from, *to;

	if (c->state != CS_CONNECTED || !c->tx.active || !c->core) {
		call_unref(c);
		return;
	}
	e = &c->core->env;
	from = c->tx.from == SIDE_A ? c->a : c->b;
	to = other_leg(c, from);
	if (!r->ok) {
		if (c->tx.method == METHOD_INVITE)
			e->leg->respond(from, 488, "Not Acceptable Here", NULL, 0);
		else
			e->leg->respond_req(from, c->tx.method, 488, "Not Acceptable Here", NULL, NULL);
		c->tx.active = 0;
	} else {
		e->leg->request(to, c->tx.method, "application/sdp", r->sdp);
	}
	call_unref(c);
}

static void act_request(struct call *c, const struct ev *ev)
{
	const struct call_env *e = &c->core->env;
	struct leg *to = other_leg(c, ev->leg);
	enum call_side side = side_of(c, ev->leg);

	if (c->tx.active || !to) {
		/* RFC 3261 14.2: one offer at a time; glare gets 491. */
		if (ev->method == METHOD_INVITE)
			e->leg->respond(ev->leg, 491, "Request Pending", NULL, 0);
		else
			e->leg->respond_req(ev->leg, ev->method, 491, "Request Pending", NULL, NULL);
		return;
	}
	c->tx.active = 1;
	c->tx.method = ev->method;
	c->tx.from = side;
	if (ev->method == METHOD_INFO || !ev->body || !e->relay) {
		e->leg->request(to, ev->method, ev->ctype, ev->body);
		return;
	}
	/* Keep the transport agreed toward the receiving side (the trunk's
	 * SRTP policy held for the initial offer holds for re-offers too). */
	if (e->relay->offer(e->relay_ctx, call_ref(c), side, ev->body,
			    c->savp[side == SIDE_A ? SIDE_B : SIDE_A], on_tx_offered) != 0) {
		struct relay_result r = {.ok = 0, .error = "relay unavailable"};

		on_tx_offered(c, &r);
	}
}

/* Response to the re-INVITE/UPDATE/INFO we relayed, on the far leg. */
static void on_tx_answered(struct call *c, const struct relay_result *r)
{
	struct leg *from;

	if (c->state == CS_CONNECTED && c->tx.active && c->core) {
		from = c->tx.from == SIDE_A ? c->a : c->b;
		if (c->tx.method == METHOD_INVITE)
			c->core->env.leg->respond(from, r->ok ? 200 : 488, r->ok ? "OK" : "Not Acceptable Here",
						  r->ok ? r->sdp : NULL, 0);
		else
			c->core->env.leg->respond_req(from, c->tx.method, r->ok ? 200 : 488,
						      r->ok ? "OK" : "Not Acceptable Here",
						      r->ok ? "application/sdp" : NULL, r->ok ? r->sdp : NULL);
		c->tx.active = 0;
	}
	call_unref(c);
}

static void tx_response(struct call *c, struct leg *l, int code, const char *reason,
			const char *ctype, const char *body)
{
	const struct call_env *e = &c->core->env;
	struct leg *from;
	enum call_side answerer = side_of(c, l);

	if (!c->tx.active || code < 200)
		return;
	from = c->tx.from == SIDE_A ? c->a : c->b;
	if (!from || l == from)
		return;
	if (code < 300 && c->tx.method != METHOD_INFO && body && e->relay) {
		if (e->relay->answer(e->relay_ctx, call_ref(c), answerer, body, c->savp[c->tx.from],
				     on_tx_answered) != 0) {
			struct relay_result r = {.ok = 0, .error = "relay unavailable"};

			on_tx_answered(call_ref(c), &r);
			call_unref(c);
		}
		return;
	}
	if (c->tx.method == METHOD_INVITE)
		e->leg->respond(from, code, reason, body, 0);
	else
		e->leg->respond_req(from, c->tx.method, code, reason, ctype, body);
	c->tx.active = 0;
	if (code == 481 || code == 408)
		call_on_leg_dead(c, l, code, reason);
}

typedef void (*action_fn)(struct call *, const struct ev *);

/* What each event does in each state; NULL: ignored (logged at debug). */
static const action_fn fsm[CS__N][EV__N] = {
	[CS_ROUTING] = {
		[EV_CANCEL] = act_cancel, [EV_BYE] = act_bye, [EV_DEAD] = act_dead,
		[EV_NO_ANSWER] = act_no_answer, [EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_CALLING] = {
		[EV_TRYING] = act_trying, [EV_PROVISIONAL] = act_provisional,
		[EV_ANSWERED] = act_answered, [EV_FAILED] = act_failed,
		[EV_CANCEL] = act_cancel, [EV_BYE] = act_bye, [EV_DEAD] = act_dead,
		[EV_TRUNK_TIMEOUT] = act_trunk_timeout, [EV_NO_ANSWER] = act_no_answer,
		[EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_EARLY] = {
		[EV_PROVISIONAL] = act_provisional, [EV_ANSWERED] = act_answered,
		[EV_FAILED] = act_failed, [EV_CANCEL] = act_cancel, [EV_BYE] = act_bye,
		[EV_DEAD] = act_dead, [EV_NO_ANSWER] = act_no_answer,
		[EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_ANSWERING] = {
		[EV_CANCEL] = act_cancel, [EV_BYE] = act_bye, [EV_DEAD] = act_dead,
		[EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_CONNECTED] = {
		[EV_ACK] = act_ack, [EV_BYE] = act_bye, [EV_REQUEST] = act_request,
		[EV_DEAD] = act_dead, [EV_MAX_DURATION] = act_max_duration,
		[EV_ADMIN_HANGUP] = act_admin_hangup,
	},
	[CS_ENDING] = {0},
};

static void dispatch(struct call *c, enum cevent ev_id, const struct ev *ev)
{
	action_fn fn;

	if (!c->core)
		return;
	fn = fsm[c->state][ev_id];
	if (!fn) {
		log_debug("call %s: event %d ignored in state %s", c->cdr.call_id, ev_id,
			  state_names[c->state]);
		/* A request must still be answered (RFC 3261 8.2). */
		if (ev_id == EV_REQUEST && ev->leg) {
			if (ev->method == METHOD_INVITE)
				c->core->env.leg->respond(ev->leg, 491, "Request Pending", NULL, 0);
			else
				c->core->env.leg->respond_req(ev->leg, ev->method,
							      c->state == CS_ENDING ? 481 : 491,
							      c->state == CS_ENDING ? "Call Does Not Exist" : "Request Pending",
							      NULL, NULL);
		}
		return;
	}
	call_ref(c);
	fn(c, ev);
	call_unref(c);
}

/* ---- events from the adapters ---- */

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

struct call *call_on_invite(struct call_core *core, struct leg *a, const struct call_invite *inv)
{
	const struct call_env *e = &core->env;
	const struct policy_trunk *from;
	struct call *c;
	char user[64], *offer = NULL;
	int err = -1, srtp = 0;

	core->st.attempts++;
	if (inv->max_forwards == 0)
		err = ERR_LOOP;
	else if (core->draining)
		err = ERR_DRAINING;
	if (err >= 0) {
		e->leg->respond(a, call_errors[err].code, call_errors[err].reason, NULL,
				err == ERR_DRAINING ? 60 : 0);
		e->leg->release(a);
		core->st.refused++;
		return NULL;
	}
	from = policy_trunk_by_addr(core->policy, (const struct sockaddr *)&inv->src);
	if (!from) {
		log_info("refused INVITE %s: source is no known trunk", inv->call_id);
		e->leg->respond(a, 403, call_errors[ERR_FORBIDDEN].reason, NULL, 0);
		e->leg->release(a);
		core->st.refused++;
		return NULL;
	}
	if (inv->sdp && offer_accept(from, inv->sdp, &offer, &srtp) != 0) {
		free(offer);
		log_info("refused INVITE %s from %s: SDP does not meet the trunk's SRTP/codec policy",
			 inv->call_id, from->name);
		e->leg->respond(a, call_errors[ERR_MEDIA].code, call_errors[ERR_MEDIA].reason, NULL, 0);
		e->leg->release(a);
		core->st.refused++;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		free(offer);
		e->leg->respond(a, 500, call_errors[ERR_INTERNAL].reason, NULL, 0);
		e->leg->release(a);
		return NULL;
	}
	c->refs = 1;
	c->core = core;
	c->policy = policy_ref(core->policy);
	c->serial = ++core->next_serial;
	snprintf(c->relay_id, sizeof(c->relay_id), "%s-%llu-%llx", e->node, (unsigned long long)c->serial,
		 (unsigned long long)clock_wall_ms());
	c->a = a;
	c->from = from;
	c->max_forwards = inv->max_forwards < 0 ? 70 : inv->max_forwards - 1;
	c->sdp_a = offer;
	c->savp[SIDE_A] = srtp == 1;
	{
		struct policy_hdr hdrs[MAX_HDRS];
		size_t n = inv->nhdrs < MAX_HDRS ? inv->nhdrs : MAX_HDRS;

		if (n)
			memcpy(hdrs, inv->hdrs, n * sizeof(hdrs[0]));
		n = policy_header_apply(c->policy, from->id, POLICY_IN, hdrs, n, MAX_HDRS);
		if (n && (c->hdrs = malloc(n * sizeof(hdrs[0])))) {
			memcpy(c->hdrs, hdrs, n * sizeof(hdrs[0]));
			c->nhdrs = n;
		}
	}

	/* Number rules "in": normalise before routing. */
	policy_number_rewrite(c->policy, from->id, POLICY_IN, POLICY_RURI, inv->ruri_user ? inv->ruri_user : "",
			      c->ruri_user, sizeof(c->ruri_user));
	policy_number_rewrite(c->policy, from->id, POLICY_IN, POLICY_FROM, inv->from_user ? inv->from_user : "",
			      c->from_user, sizeof(c->from_user));
	policy_number_rewrite(c->policy, from->id, POLICY_IN, POLICY_TO, inv->to_user ? inv->to_user : "",
			      c->to_user, sizeof(c->to_user));
	if (inv->pai_user)
		policy_number_rewrite(c->policy, from->id, POLICY_IN, POLICY_PAI, inv->pai_user,
				      c->pai_user, sizeof(c->pai_user));
	copy(c->from_display, sizeof(c->from_display), inv->from_display);

	copy(c->cdr.call_id, sizeof(c->cdr.call_id), inv->call_id);
	copy(c->cdr.from_trunk, sizeof(c->cdr.from_trunk), from->name);
	copy(c->cdr.caller, sizeof(c->cdr.caller), inv->from_user);
	copy(c->cdr.callee, sizeof(c->cdr.callee), inv->ruri_user);
	copy(c->cdr.routed_to, sizeof(c->cdr.routed_to), c->ruri_user);
	copy(c->cdr.disposition, sizeof(c->cdr.disposition), "in_progress");
	copy(c->cdr.node, sizeof(c->cdr.node), e->node);
	c->cdr.start_ms = clock_wall_ms();

	copy(user, sizeof(user), c->ruri_user);
	c->ncand = policy_route(c->policy, from->id, user, c->cand, MAX_CANDIDATES, e->rnd, e->rnd_arg);

	/* link into the core */
	c->next = core->head;
	if (core->head)
		core->head->prev = c;
	core->head = c;
	core->ncalls++;
	core->st.active = core->ncalls;

	cdr_emit(c, 0);
	respond_a(c, 100, "Trying", NULL, 0);
	timer_set(c, TIMER_NO_ANSWER, e->no_answer_ms);
	call_ref(c);
	try_next_route(c);
	if (!c->core || c->state == CS_ENDING) {
		call_unref(c);
		return NULL;
	}
	call_unref(c);
	return c;
}

void call_on_response(struct call *c, struct leg *l, int code, const char *reason, const char *sdp)
{
	struct ev ev = {.leg = l, .code = code, .reason = reason, .sdp = sdp};

	if (c->state == CS_CONNECTED) {
		tx_response(c, l, code, reason, sdp ? "application/sdp" : NULL, sdp);
		return;
	}
	if (l != c->b)
		return;   /* a late answer from a leg we already gave up */
	if (code == 100)
		dispatch(c, EV_TRYING, &ev);
	else if (code < 200)
		dispatch(c, EV_PROVISIONAL, &ev);
	else if (code < 300)
		dispatch(c, EV_ANSWERED, &ev);
	else
		dispatch(c, EV_FAILED, &ev);
}

void call_on_ack(struct call *c, struct leg *l)
{
	struct ev ev = {.leg = l};

	dispatch(c, EV_ACK, &ev);
}

void call_on_cancel(struct call *c, struct leg *l)
{
	struct ev ev = {.leg = l};

	if (l == c->a)
		dispatch(c, EV_CANCEL, &ev);
}

void call_on_bye(struct call *c, struct leg *l)
{
	struct ev ev = {.leg = l};

	if (l == c->a || l == c->b)
		dispatch(c, EV_BYE, &ev);
}

void call_on_request(struct call *c, struct leg *l, int method, const char *ctype, const char *body)
{
	struct ev ev = {.leg = l, .method = method, .ctype = ctype, .body = body};

	dispatch(c, EV_REQUEST, &ev);
}

void call_on_req_response(struct call *c, struct leg *l, int method, int code, const char *reason,
			  const char *ctype, const char *body)
{
	(void)method;
	if (c->state == CS_CONNECTED)
		tx_response(c, l, code, reason, ctype, body);
}

void call_on_leg_dead(struct call *c, struct leg *l, int code, const char *reason)
{
	struct ev ev = {.leg = l, .code = code, .reason = reason};

	if (l == c->a || l == c->b)
		dispatch(c, EV_DEAD, &ev);
}

void call_on_timer(struct call *c, enum call_timer t)
{
	static const enum cevent map[TIMER__N] = {
		[TIMER_TRUNK] = EV_TRUNK_TIMEOUT,
		[TIMER_NO_ANSWER] = EV_NO_ANSWER,
		[TIMER_MAX_DURATION] = EV_MAX_DURATION,
		[TIMER_RELEASE] = EV__N,
	};
	struct ev ev = {0};

	if (map[t] != EV__N)
		dispatch(c, map[t], &ev);
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

void call_core_free(struct call_core *core)
{
	if (!core)
		return;
	while (core->head) {
		struct call *c = core->head;

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

void call_core_hangup_all(struct call_core *core)
{
	struct ev ev = {0};

	/* Each hangup may unlink its call: restart from the head. */
	for (struct call *c = core->head; c;) {
		struct call *next = c->next;

		if (c->state != CS_ENDING)
			dispatch(c, EV_ADMIN_HANGUP, &ev);
		c = next;
	}
}

size_t call_core_count(struct call_core *core)
{
	return core->ncalls;
}

void call_core_stats(struct call_core *core, struct call_stats *st)
{
	*st = core->st;
}

int call_core_hangup(struct call_core *core, const char *call_id)
{
	struct ev ev = {0};

	for (struct call *c = core->head; c; c = c->next) {
		if (strcmp(c->cdr.call_id, call_id) == 0 || strcmp(c->cdr.b_call_id, call_id) == 0) {
			dispatch(c, EV_ADMIN_HANGUP, &ev);
			return 0;
		}
	}
	return -1;
}

size_t call_core_list(struct call_core *core, char *buf, size_t cap)
{
	size_t len = 0;
	int64_t now = clock_wall_ms();

	if (cap)
		buf[0] = 0;
	for (struct call *c = core->head; c && len + 1 < cap; c = c->next) {
		int n = snprintf(buf + len, cap - len, "%s %s %s->%s %s->%s %llds\n", c->cdr.call_id,
				 state_names[c->state], c->cdr.caller, c->cdr.routed_to,
				 c->cdr.from_trunk, c->cdr.to_trunk[0] ? c->cdr.to_trunk : "-",
				 (long long)((now - c->cdr.start_ms) / 1000));

		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += n;
	}
	return len;
}

void call_core_each(struct call_core *core, void (*fn)(struct call *, void *), void *arg)
{
	for (struct call *c = core->head; c;) {
		struct call *next = c->next;

		if (c->state == CS_CONNECTED)
			fn(c, arg);
		c = next;
	}
}

/* ---- media supervision ---- */

static void on_media_queried(struct call *c, const struct relay_result *r)
{
	if (c->state == CS_CONNECTED && c->core && r->ok && r->media_timeout) {
		log_info("call %s: media timeout, hanging up", c->cdr.call_id);
		end_call(c, 200, "Media timeout", "answered", "b2bua");
	}
	call_unref(c);
}

void call_check_media(struct call *c)
{
	const struct call_env *e = &c->core->env;

	if (c->state == CS_CONNECTED && e->relay &&
	    e->relay->query(e->relay_ctx, call_ref(c), on_media_queried) != 0)
		call_unref(c);
}
