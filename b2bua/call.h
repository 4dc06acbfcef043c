/*
 * call.h - the call-control core: one struct call per call attempt, its
 * state machine, routing and failover, in-dialog relaying, timers and the
 * CDR of the call.
 *
 * Owns: struct call and struct call_core. Everything here runs on the SIP
 * thread (the su_root loop). The core drives legs, the media relay, timers
 * and the CDR sink only through the function tables in struct call_env, so
 * unit tests run it with fakes. Leg adapters turn SIP events into the plain
 * call_on_*() events below and never drive the other leg themselves; relay
 * completions and timers come back as events too. Every event goes through
 * one (state x event) table (call_fsm.c).
 *
 * Lifetimes: a call holds its legs until it releases them
 * (leg_ops.release), once each, and never uses a leg after that. A leg
 * holds a reference on its call until it is released, so an event from a
 * leg always finds its call alive. The core owns one reference of each
 * live call; relay requests and timers in flight hold one each.
 * Must not: block, query SQLite, include Sofia headers.
 */
#ifndef CALL_H
#define CALL_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>
#include "policy.h"
#include "cdr_store.h"

struct call;
struct call_core;
struct leg;                  /* owned by the leg adapter */

enum call_side { SIDE_A, SIDE_B };

/* The longest user part (number) of a Request-URI, From, To or
 * P-Asserted-Identity we take, with its NUL; a longer one is refused
 * (414 / 400), never cut (E.164 needs 16, dial strings a few more). */
#define CALL_MAX_USER 64

/* What an incoming INVITE carries, copied out of the SIP message by the
 * leg adapter. Strings are NUL-terminated and only valid during the
 * call_on_invite() call. */
struct call_invite {
	struct sockaddr_storage src;
	int reg_trunk_id;         /* the registered trunk whose registrar sent it (trunk_reg.h), or 0 */
	const char *call_id;
	const char *ruri_user;
	const char *from_user;
	const char *from_display;
	const char *to_user;
	const char *pai_user;     /* P-Asserted-Identity user, or NULL */
	int max_forwards;         /* -1 when absent */
	const char *sdp;          /* body when application/sdp, or NULL */
	int body_not_sdp;         /* a body of another type (RFC 3261 21.4.13: 415) */
	int refuses_sdp;          /* an Accept without application/sdp (RFC 3261 21.4.7: 406) */
	int requires_100rel;      /* Require: 100rel: every 18x to it is reliable (RFC 3262) */
	int supports_100rel;      /* Supported: 100rel: an 18x to it may be reliable */
	int allows_update;        /* its Allow lists UPDATE (RFC 3311) */
	/* What names the caller's side (the leak guard keeps it from the
	 * trunk): its From tag, and the hosts of its Via, Contact and first
	 * Record-Route (never From or To: they may name us); NULL when absent. */
	const char *from_tag, *via_host, *contact_host, *rr_host;
	const struct policy_hdr *hdrs;   /* headers eligible for copying */
	size_t nhdrs;
	const char *iface;        /* the interface it arrived on ([sip] listen /NAME), "" unnamed */
};

/* A Reason header (RFC 3326) a leg received, rebuilt by the adapter from
 * its parsed fields: a protocol of ours (SIP or Q.850), a number, a
 * printable text; never passed on as it came. */
struct leg_reason {
	int q850;                 /* its Q.850 cause (1-127), 0 when none */
	const char *value;        /* "Q.850;cause=16;text=\"...\"" to pass on, or NULL */
};

/* A request to send on leg B: all strings copied by the adapter. */
struct leg_invite {
	const struct policy_trunk *trunk;
	const char *ruri_user;
	const char *from_user;
	int anonymous;            /* From: sip:anonymous@anonymous.invalid (RFC 3323) */
	const char *from_display; /* "" for none */
	const char *to_user;
	const char *pai_user;     /* P-Asserted-Identity to send, or NULL */
	int max_forwards;
	const char *sdp;
	const struct policy_hdr *hdrs;
	size_t nhdrs;
	/* The trunk's dialog policy for this leg (RFC 3262, RFC 4028). */
	enum policy_rel100 rel100;
	int session_expires;      /* -1: [call] session_expires; 0: none */
};

enum call_method { METHOD_INVITE = 1, METHOD_UPDATE, METHOD_INFO, METHOD_REFER };

/* A REFER received within a call's dialog (RFC 3515), as the adapter read
 * its Refer-To (strings valid during the event only). */
struct leg_refer {
	const char *user;         /* the number (user part of a sip:, sips: or tel: URI), or NULL */
	int replaces;             /* Refer-To carries Replaces: attended transfer (RFC 3891) */
};

/* A response received on a leg (strings valid during the event only). */
struct leg_response {
	int method;               /* what it answers (enum call_method) */
	int code;
	const char *reason;
	const char *ctype;        /* Content-Type of body, or NULL */
	const char *body;         /* any body, NUL-terminated, or NULL */
	const char *sdp;          /* body when it is application/sdp, or NULL */
	const char *realm;        /* 401/407: the Digest challenge's realm ("" none) */
	int q850;                 /* Reason: Q.850;cause= of the response (RFC 6432), or 0 */
	int reliable;             /* a reliable provisional response (RSeq, RFC 3262) */
	int offers_early;         /* a reliable 18x whose SDP is the offer (our INVITE had
				   * none): its PRACK waits for leg_ops.prack's answer */
	/* NULL: the peer sent it; else the stack made it, because the peer
	 * could not be reached ("unreachable": ICMP, refused connection, no
	 * transport), its TLS connection failed ("tls": refused, handshake,
	 * certificate) or it never answered ("timeout"). */
	const char *local_cause;
	const char *local_detail; /* local_cause's exact reason for the CDR, or NULL */
	int allows_update;        /* its Allow lists UPDATE (RFC 3311) */
	/* 3xx: its first Contact's number, host and port (0: none), or NULL */
	const char *contact_user, *contact_host;
	int contact_port;
};

/* Leg operations (implemented by sip_leg.c, or a fake in the tests). */
struct leg_ops {
	/* Creates leg B of c and sends the INVITE. NULL on failure. */
	struct leg *(*invite)(void *ctx, struct call *c, const struct leg_invite *inv);
	/* Responds to the pending INVITE (initial or re-INVITE) on l; an
	 * 18x goes reliably (RFC 3262) when reliable is set, else not. */
	void (*respond)(struct leg *l, int code, const char *reason, const char *sdp,
			int retry_after, int reliable);
	/* The calling trunk's dialog policy for leg A, before any response:
	 * rel100 (whether 100rel is offered at all), session_expires as in
	 * struct leg_invite. */
	void (*configure)(struct leg *l, enum policy_rel100 rel100, int session_expires);
	/* Responds to the pending UPDATE, INFO or REFER on l. */
	void (*respond_req)(struct leg *l, int method, int code, const char *reason,
			    const char *ctype, const char *body);
	/* Re-sends the INVITE of l with credentials for realm (401/407). */
	void (*authenticate)(struct leg *l, const char *realm, const char *user,
			     const char *password);
	/* CANCEL and BYE carry reason (a Reason header value) when not NULL. */
	void (*cancel)(struct leg *l, const char *reason);
	/* Sends the ACK of the 2xx on l that carried an offer (our INVITE
	 * had none): sdp is the answer, or NULL. The adapter ACKs every
	 * other 2xx itself; a BYE on l sends an owed ACK first. */
	void (*ack)(struct leg *l, const char *sdp);
	/* Sends the PRACK of the reliable 18x on l that offered
	 * (offers_early): sdp is the answer (RFC 3262 5). The adapter PRACKs
	 * every other reliable 18x itself. */
	void (*prack)(struct leg *l, const char *sdp);
	void (*bye)(struct leg *l, const char *reason);
	/* Sends a re-INVITE / UPDATE / INFO within the dialog of l. */
	void (*request)(struct leg *l, int method, const char *ctype, const char *body);
	/* A NOTIFY of the transfer l asked for with its REFER (RFC 3515
	 * 2.4.4): message/sipfrag "SIP/2.0 code phrase" (the standard
	 * phrase, nothing of the new leg); final ends the subscription. */
	void (*notify)(struct leg *l, int code, int final);
	/* l now belongs to call c (a transfer moved it): the leg's
	 * reference on its old call goes to c; events on l reach c. */
	void (*rebind)(struct leg *l, struct call *c);
	/* The SIP Call-ID of l (for CDRs and logs). */
	const char *(*call_id)(struct leg *l);
	/* The call is done with l and never touches it again. The adapter
	 * keeps the dialog until SIP is done with it, handles what still
	 * arrives on it by itself (a late 2xx is ACKed and BYE'd) and frees
	 * it from its loop, never inside the callback that released it. */
	void (*release)(struct leg *l);
};

/* How a relay request ended. The relay client maps the ng reply to one of
 * these once; the core decides on the type, never on the relay's words. */
enum relay_err {
	RELAY_OK,
	RELAY_E_TIMEOUT,      /* no reply within [relay] timeout_ms */
	RELAY_E_UNREACHABLE,  /* no relay, or it could not be sent */
	RELAY_E_NOT_FOUND,    /* the relay does not know the call (restarted?) */
	RELAY_E_SDP,          /* the relay cannot use this SDP */
	RELAY_E_REFUSED,      /* any other error reply (ports, memory ...) */
	RELAY_E__N
};

/* Media relay results handed back to the core. */
struct relay_result {
	enum relay_err err;
	const char *detail;       /* the relay's own words, for logs, or NULL */
	const char *sdp;          /* rewritten SDP (offer/answer) */
	long long pkts[2], lost[2]; /* delete/query: per side A/B */
	int media_timeout;        /* query: every stream silent too long */
	const char *codec;
};
typedef void (*relay_done_fn)(struct call *c, const struct relay_result *r);

/* An SDP for the relay, and what it needs to know of its sender. */
struct relay_sdp {
	enum call_side side;      /* who sent it */
	const char *sdp;
	int to_srtp;              /* toward the other side: 1 RTP/SAVP, 0 RTP/AVP, -1 keep */
	const char *proto;        /* the profile toward the other side when to_srtp alone
				   * would be wrong (RTP/AVPF kept or dropped), or NULL */
	const char *latch;        /* the sender's trunk policy: "sdp", "learn", "first" */
	const char *peer;         /* the sender's SIP address (NAT latching), or NULL */
	/* ng "direction": the sender's interface, then the recipient's
	 * (NULL, NULL: no names configured, the relay's default); and ng
	 * "address family": what the recipient needs ("IP4", "IP6"), or NULL. */
	const char *iface[2];
	const char *family;
};

struct relay_ops {
	/* Calls done(c, r) later (never before returning). -1 when the
	 * request could not even be queued. */
	int (*offer)(void *ctx, struct call *c, const struct relay_sdp *s, relay_done_fn done);
	int (*answer)(void *ctx, struct call *c, const struct relay_sdp *s, relay_done_fn done);
	int (*delete)(void *ctx, struct call *c, relay_done_fn done);
	int (*query)(void *ctx, struct call *c, relay_done_fn done);
};

/* TIMER_RETRY: our own re-INVITE met glare (491) and goes again. */
enum call_timer { TIMER_TRUNK, TIMER_NO_ANSWER, TIMER_MAX_DURATION, TIMER_RETRY, TIMER__N };

struct timer_ops {
	void (*set)(void *ctx, struct call *c, enum call_timer t, int64_t ms);
	void (*cancel)(void *ctx, struct call *c, enum call_timer t);
};

struct call_limits_ops {
	/* Takes a channel (and a CPS token) on the trunk: 0, or -1 when over. */
	int (*take)(void *ctx, const struct policy_trunk *t);
	void (*give)(void *ctx, const struct policy_trunk *t);
};

/* Reachability of trunks (OPTIONS keepalives, trunk_health.c). */
struct call_health_ops {
	/* 1 when t is known to be down: routing skips it at once. */
	int (*down)(void *ctx, const struct policy_trunk *t);
};

struct call_env {
	const struct leg_ops *leg;
	void *leg_ctx;
	const struct relay_ops *relay;   /* NULL: no anchoring (SDP unchanged) */
	void *relay_ctx;
	const struct timer_ops *timer;
	void *timer_ctx;
	const struct call_limits_ops *limits;
	void *limits_ctx;
	/* CDR sink: final = the row will not change again. */
	void (*cdr)(void *ctx, uint64_t serial, const struct cdr_row *row, int final);
	/* A route attempt of the call (cdr_ctx too); every one comes before
	 * the call's final row. NULL: not recorded. */
	void (*cdr_attempt)(void *ctx, uint64_t serial, const struct cdr_attempt *a);
	void *cdr_ctx;
	const char *node;
	int trunk_timeout_ms, no_answer_ms, max_duration_ms;
	unsigned (*rnd)(void *);         /* route weights; NULL = random() */
	void *rnd_arg;
	const struct call_health_ops *health;   /* NULL: every trunk is up */
	void *health_ctx;
	/* The default interface (the first [sip] listen's name, "" unnamed):
	 * a trunk without trunks.interface is reached there. NULL = "". */
	const char *default_iface;
};

struct call_stats {
	uint64_t attempts, answered, failed, refused, active;
	uint64_t leaks;           /* messages the leak guard stopped */
};

int call_core_new(struct call_core **out, const struct call_env *env, struct policy *p);
void call_core_free(struct call_core *core);
/* Swaps in a new policy (the core takes the reference); calls in flight
 * keep the one they started with. */
void call_core_set_policy(struct call_core *core, struct policy *p);
struct policy *call_core_policy(struct call_core *core);
/* Stop taking calls: new INVITEs get 503 with Retry-After. */
void call_core_drain(struct call_core *core);
/* Ends every call (BYE / CANCEL / final response), for shutdown. */
void call_core_hangup_all(struct call_core *core);
size_t call_core_count(struct call_core *core);
void call_core_stats(struct call_core *core, struct call_stats *st);
/* Ends the call whose A or B Call-ID is call_id. 0 or -1 (not found). */
int call_core_hangup(struct call_core *core, const char *call_id);
/* Writes one line per call into buf; returns the length written. */
size_t call_core_list(struct call_core *core, char *buf, size_t cap);
/* What each of those lines says, as values (calls json): the one source
 * of both. Strings point into the call, valid during the callback. */
struct call_view {
	const char *call_id, *b_call_id, *state;
	const char *caller, *callee, *routed_to;
	const char *from_trunk, *to_trunk;    /* to_trunk "" before routing */
	long long age_s;
	int answered;
};
/* fn for every call, in the order `calls` lists them; stops when fn
 * returns non-zero. */
void call_core_each(struct call_core *core, int (*fn)(void *arg, const struct call_view *v), void *arg);
/* Asks the relay about the media of every established call; a silent call,
 * or one the relay lost, is ended. */
void call_core_check_media(struct call_core *core);

/* Events from the leg adapters. l is the leg the event came on, and a leg
 * the call still holds (the adapter handles released legs itself). */
/* A new INVITE outside any dialog; returns the call or NULL (already
 * answered with a final response, and a released). */
struct call *call_on_invite(struct call_core *core, struct leg *a, const struct call_invite *inv);
/* A response to a request we sent on l (INVITE, re-INVITE, UPDATE, INFO). */
void call_on_response(struct call *c, struct leg *l, const struct leg_response *r);
/* The ACK of our 2xx on l, with its body when that is SDP (the answer to
 * an offer our 2xx carried), else NULL. */
void call_on_ack(struct call *c, struct leg *l, const char *sdp);
/* why: the request's Reason header, or NULL. */
void call_on_cancel(struct call *c, struct leg *l, const struct leg_reason *why);
/* A PRACK on l acknowledged one of our reliable provisional responses
 * (the adapter answered it); sdp: its body when that is SDP (the answer
 * to an offer our reliable 18x carried), else NULL. */
void call_on_prack(struct call *c, struct leg *l, const char *sdp);
void call_on_bye(struct call *c, struct leg *l, const struct leg_reason *why);
/* A REFER on l: the core answers it (leg_ops.respond_req, METHOD_REFER). */
void call_on_refer(struct call *c, struct leg *l, const struct leg_refer *r);
/* In-dialog request on l (re-INVITE, UPDATE, INFO). */
void call_on_request(struct call *c, struct leg *l, int method, const char *ctype,
		     const char *body);
/* The dialog of l is gone (no ACK, transport error, BYE failed ...). */
void call_on_leg_dead(struct call *c, struct leg *l, int code, const char *reason);
void call_on_timer(struct call *c, enum call_timer t);

/* Accessors for adapters. */
uint64_t call_serial(const struct call *c);
const char *call_relay_id(const struct call *c);
/* The A leg's Call-ID, for log lines of the adapters. */
const char *call_id(const struct call *c);
struct call *call_ref(struct call *c);
void call_unref(struct call *c);
void *call_get_timer_slot(struct call *c, enum call_timer t);
void call_set_timer_slot(struct call *c, enum call_timer t, void *v);

#endif
