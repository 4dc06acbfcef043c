/*
 * call_int.h - what the core's own files share about a call: struct call,
 * the states and events of the table, and the helpers each file offers
 * the others. Not part of the core's face (call.h); only b2bua/call*.c
 * include it.
 *
 *   call.c        the core: admission, the list, teardown, CDR, stats
 *   call_fsm.c    the (state x event) table, dispatch, establishment
 *   call_route.c  route selection and the INVITE toward each trunk
 *   call_dialog.c in-dialog transactions (re-INVITE, UPDATE, INFO)
 *   call_xfer.c   transfer (REFER): the new call, its NOTIFYs, the hand-over
 */
#ifndef CALL_INT_H
#define CALL_INT_H

#include "call.h"
#include "leak_guard.h"
#include "media_policy.h"
#include "reply.h"

#define CALL_MAX_CANDIDATES 16
#define CALL_MAX_REDIRECTS 3     /* 3xx followed per call (trunks.redirect = follow) */
#define CALL_MAX_HDRS 16

enum cstate {
	CS_ROUTING,     /* waiting for the relay's offer toward a trunk */
	CS_CALLING,     /* INVITE sent to the trunk, nothing back yet */
	CS_EARLY,       /* trunk sent a provisional response */
	CS_ANSWERING,   /* 2xx from trunk, relay answer pending */
	CS_CONNECTED,   /* 2xx sent to the caller */
	CS_ENDING,      /* legs released, waiting for the relay's totals */
	CS__N
};

enum cevent {
	/* leg B's INVITE */
	EV_B_TRYING,       /* 100 */
	EV_B_PROGRESS,     /* 101-199 */
	EV_B_ANSWER,       /* 2xx */
	EV_B_CHALLENGE,    /* 401/407 */
	EV_B_FAILURE,      /* any other final response */
	/* leg A's INVITE and both dialogs */
	EV_ACK,
	EV_PRACK,          /* A acknowledged a reliable provisional response */
	EV_CANCEL,
	EV_BYE,
	EV_REQUEST,        /* in-dialog re-INVITE / UPDATE / INFO */
	EV_REFER,          /* in-dialog REFER (transfer) */
	EV_TX_RESPONSE,    /* response to an in-dialog request we relayed */
	EV_DEAD,           /* a leg's dialog is gone */
	/* relay completions */
	EV_R_ROUTE,        /* offer toward the trunk being tried */
	EV_R_EARLY,        /* answer in a 18x from the trunk */
	EV_R_EARLY_OFFER,  /* offer in the trunk's reliable 18x (late offer) */
	EV_R_EARLY_ANSWER, /* the caller's answer to it, in its PRACK */
	EV_R_ANSWER,       /* answer in the trunk's 2xx */
	EV_R_TX_OFFER,     /* offer of an in-dialog transaction */
	EV_R_TX_ANSWER,    /* answer of an in-dialog transaction */
	EV_R_QUERY,        /* media supervision */
	EV_R_DELETE,       /* totals at the end */
	/* timers and the administrator */
	EV_TRUNK_TIMEOUT,
	EV_NO_ANSWER,
	EV_MAX_DURATION,
	EV_RETRY,          /* our own re-INVITE goes again after glare */
	EV_ADMIN_HANGUP,
	EV_MEDIA_POLL,     /* time to ask the relay about the media */
	EV_XFER_ABANDON,   /* a transfer's call: the call it came from ended */
	EV__N
};

/* One event: which fields mean something depends on the event. */
struct ev {
	struct leg *leg;
	const struct leg_response *resp;   /* EV_B_*, EV_TX_RESPONSE */
	const struct relay_result *relay;  /* EV_R_* */
	int code;                          /* EV_DEAD */
	const char *reason;                /* EV_DEAD */
	int method;                        /* EV_REQUEST */
	const char *ctype, *body;          /* EV_REQUEST; body: EV_ACK's, EV_PRACK's SDP */
	const struct leg_reason *why;      /* EV_BYE, EV_CANCEL: its Reason, or NULL */
	const struct leg_refer *refer;     /* EV_REFER */
};

/* Who ended the call, for the CDR's hangup_by. */
enum hangup_by { BY_CALLER, BY_CALLEE, BY_B2BUA };

/* How a call ends: the CDR's code, reason and disposition, and, when the
 * caller has no final response yet, what it gets (code >= 300 only). */
struct outcome {
	int code;
	const char *reason;
	const char *disposition;
	enum hangup_by by;
	int retry_after;
	int q850;                /* the Q.850 cause the network gave, or 0 */
	const char *pass_reason; /* Reason for the other leg's BYE/CANCEL, or NULL */
	const char *cause;       /* a route attempt this ends: its cause (cdr_attempts), NULL: by `by` */
};

/* A late-offer call's offer/answer in the early dialog (RFC 3262 5): the
 * trunk's reliable 18x offers, the caller gets it (relayed) in a reliable
 * 18x of ours and answers in its PRACK, which answers the trunk's PRACK. */
enum early_oa {
	EOA_NONE,
	EOA_OFFER_RELAY,    /* the trunk's offer is at the relay */
	EOA_OFFERED,        /* our reliable 18x offered to the caller */
	EOA_ANSWER_RELAY,   /* the caller's answer (its PRACK) is at the relay */
	EOA_DONE,           /* the trunk has its answer: the 2xx offers nothing */
};

/* Where a relayed transaction stands. An INVITE without an offer (late
 * offer, RFC 3261 13.2.1) gets the offer in the far side's 2xx, whose ACK
 * waits for the asker's answer (in its ACK to our 2xx). */
enum tx_phase {
	TX_REQUEST,      /* relayed, waiting for the far side's response */
	TX_LATE_OFFER,   /* the far side's 2xx offers; the offer is at the relay */
	TX_ACK_WAIT,     /* our 2xx offered to the asker; its ACK answers */
	TX_ACK_RELAY,    /* that answer is at the relay; then the far side's ACK */
};

/* One transaction being relayed: a re-INVITE, UPDATE or INFO, or the
 * initial INVITE's late offer (from A, once B's 2xx offered). */
struct relayed_tx {
	int active;
	int method;
	enum call_side from;     /* who sent the request */
	enum tx_phase phase;
	int offerless;           /* an INVITE without SDP */
	int own;                 /* our own re-INVITE (a transfer's), answered to nobody */
};

/* RFC 3261 14.1: after a 491 to our own re-INVITE we wait (we never own
 * the remaining party's Call-ID: 0-2 s) and send it again. */
#define CALL_GLARE_RETRY_MS 1000
#define CALL_GLARE_RETRIES 3

struct call {
	int refs;
	struct call_core *core;
	struct call *prev, *next;
	struct policy *policy;
	uint64_t serial;
	char relay_id[64];
	enum cstate state;
	struct leg *a, *b;       /* NULL once released */
	/* What each INVITE dialog has seen: teardown decides on these. */
	unsigned a_final : 1;    /* A's INVITE has its final response */
	unsigned a_answered : 1; /* ... and it was a 2xx */
	unsigned a_acked : 1;    /* A ACKed our 2xx */
	unsigned b_final : 1;    /* B's INVITE transaction is over */
	unsigned b_answered : 1; /* B answered 2xx: its dialog needs a BYE */
	unsigned b_provisional : 1; /* B replied at all (stops TIMER_TRUNK) */
	unsigned b_auth_tried : 1;  /* credentials sent for this attempt */
	unsigned relayed : 1;    /* the relay holds state for this call */
	unsigned a_rel_req : 1;  /* A required 100rel: our 18x to it are reliable */
	unsigned a_rel_sup : 1;  /* A supports 100rel: a 183 to it is reliable */
	/* Early offer/answer (RFC 3311 5.1): an UPDATE may change early
	 * media once a side's early dialog has had SDP in a reliable 18x
	 * (PRACKed) and its Allow lists UPDATE. */
	unsigned a_update : 1, b_update : 1;
	unsigned a_rel_sdp : 1;  /* a reliable 18x with SDP went to A */
	unsigned b_rel_sdp : 1;  /* B sent a reliable 18x with SDP (nua PRACKed it) */
	unsigned answer_held : 1; /* our 2xx waits for A's PRACKs (held_sdp) */
	int a_unpracked;         /* reliable 18x sent to A and not yet PRACKed */
	enum early_oa early_oa;
	char *held_sdp;
	int savp[2];             /* RTP/SAVP is spoken toward side A / side B */
	struct sdp_origin origin[2]; /* our o= toward side A / side B */
	char *sdp_out[2];        /* the last SDP rebuilt toward each side */
	struct leak_set secret[2]; /* what names side A / side B (leak_guard.h) */
	unsigned leak_stopped : 1; /* the last send failed on the leak guard */
	char a_peer[64];         /* where A's INVITE came from (media latching) */
	char b_peer[64];         /* the trunk's numeric address, or "" */
	char iface[2][32];       /* each side's interface name, "" the unnamed default */
	/* routing */
	const struct policy_trunk *from;
	const struct policy_trunk *to;
	const struct policy_trunk *chan;   /* trunk whose channel we hold */
	const struct policy_trunk *chan_kept; /* a transfer's: the remaining party's trunk channel */
	const struct policy_trunk *cand[CALL_MAX_CANDIDATES];
	size_t ncand, next_cand;
	/* A followed 3xx: the trunk its Contact named goes first, with
	 * its number (attempt_user: this attempt's number, "" = ruri_user). */
	const struct policy_trunk *redirect_to;
	char redirect_user[CALL_MAX_USER], attempt_user[CALL_MAX_USER];
	int redirects;
	int limit_skips;
	int best_code;           /* the most meaningful failure so far */
	char best_reason[128];
	enum hangup_by best_by;
	int best_retry_after;
	/* The route attempt in progress (cdr_attempts): its trunk and when it
	 * began; att_seq counts those recorded. */
	const struct policy_trunk *att_trunk;
	int64_t att_start_ms;
	int att_seq;
	int early_code;          /* the 18x whose SDP is at the relay */
	char early_reason[64];
	/* leg A's request, normalised, reused for each route */
	char ruri_user[CALL_MAX_USER], from_user[CALL_MAX_USER], from_display[64], to_user[CALL_MAX_USER];
	char pai_user[CALL_MAX_USER];
	int max_forwards;
	char *sdp_a;
	struct policy_hdr *hdrs;   /* leg A's headers after the "in" rules; */
	size_t nhdrs;              /* most calls have none (576 bytes each) */
	struct relayed_tx tx;
	/* The SDP each side last sent that the relay took (a transfer
	 * offers the remaining side's to the new leg), and the one in
	 * flight to the relay. */
	char *last_sdp[2];
	char *own_sdp;           /* our own re-INVITE's offer (relay's), kept for a retry */
	unsigned offer_fb[2];    /* the last offer from side A / B had a feedback profile */
	int own_tries;
	char *sdp_sent;
	enum call_side sdp_sent_side;
	/* Transfer (call_xfer.c): a call whose side xfer_from REFERred
	 * holds the new call in xfer until it answers or fails; that call
	 * holds it in parent. Each holds a reference on the other. */
	struct call *xfer, *parent;
	enum call_side xfer_from;
	unsigned x_gone : 1;     /* the transferor hung up while it ran */
	int xfer_notified;       /* the last progress code NOTIFYed */
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

/* The Reason header from side `from` as it may go to the other side:
 * only from a trunk whose Reason is trusted (trunks.trust_reason, by
 * default its trusted), and never naming the other side (leak_guard.h);
 * else NULL. */
const char *call_reason_pass(struct call *c, enum call_side from, const struct leg_reason *why);

/* call_fsm.c */
void call_dispatch(struct call *c, enum cevent ev_id, const struct ev *ev);
extern const relay_done_fn call_relay_done[EV__N];   /* EV_R_* -> callback */

/* call.c */
/* A new call on the core's list (the core's reference, a serial, a relay
 * call id, the node and start time in its CDR), or NULL without memory. */
struct call *call_alloc(struct call_core *core);
void call_end(struct call *c, const struct outcome *o);
void call_finish(struct call *c, const struct relay_result *r);
struct outcome call_outcome_reply(enum reply_id id, const char *disposition, enum hangup_by by);
/* Answers A's INVITE; an SDP goes through call_sdp_to(). -1 (nothing sent)
 * when that SDP cannot be rebuilt. */
int call_respond_a(struct call *c, int code, const char *reason, const char *sdp, int retry_after);
/* The SDP as it may go to side `to` (topology hiding, our o=): owned by
 * the call until the next one toward that side; NULL (logged) when it
 * cannot be rebuilt: nothing of the other side may go out unhidden. */
const char *call_sdp_to(struct call *c, enum call_side to, const char *sdp);
/* 0 when text may go to side `to`; -1 (logged, counted, c->leak_stopped
 * set) when it names the other side (leak_guard.h). where says what it is. */
int call_leak_check(struct call *c, enum call_side to, const char *where, const char *text);
/* A reason phrase from the other side as it may go to side `to`: "" when
 * it would name that side. */
const char *call_phrase_to(struct call *c, enum call_side to, const char *reason);
void call_reply_a(struct call *c, enum reply_id id);
/* The route attempt in progress ends (a no-op when none is): code 0 when
 * no INVITE went; cause as cdr_attempts says ("remote": the trunk's own
 * answer). */
void call_attempt_end(struct call *c, int code, const char *reason, const char *cause);
/* The caller can take an offer in our reliable 18x and answer it in its
 * PRACK: it does 100rel and its trunk's policy lets us use it. */
int call_a_takes_early_offer(const struct call *c);
void call_timer_set(struct call *c, enum call_timer t, int64_t ms);
void call_timer_cancel(struct call *c, enum call_timer t);
void call_cdr_emit(struct call *c, int final);
void call_release_chan(struct call *c);
void call_release_leg(struct call *c, enum call_side side);
/* Asks the relay; done comes back as event ev_id. 0, or -1 (no reference
 * kept: the request could not be queued). */
int call_relay_offer(struct call *c, enum call_side side, const char *sdp, int to_srtp,
		     enum cevent ev_id);
int call_relay_answer(struct call *c, enum call_side side, const char *sdp, int to_srtp,
		      enum cevent ev_id);
/* The reply for a relay failure: 488 when the SDP was the problem. */
enum reply_id call_relay_reply(enum relay_err err);
/* A relay request carrying a side's SDP came back: that SDP becomes the
 * side's last_sdp when the relay took it (ok), else it is dropped. */
void call_relay_settle(struct call *c, int ok);
void call_copy(char *dst, size_t cap, const char *src);
/* The CDR disposition of a failure code: busy, no_answer, cancelled, failed. */
const char *call_disposition_of(int code);
/* A trunk's SRTP policy as the relay's to_srtp: 1, 0, or -1 (keep). */
int call_srtp_wanted(const struct policy_trunk *t);

/* call_route.c */
void call_route_next(struct call *c);
void call_route_offered(struct call *c, const struct relay_result *r);
void call_route_note_failure(struct call *c, int code, const char *reason, enum hangup_by by,
			     const char *cause);
/* A 3xx from c->to: followed when its policy says so and its Contact
 * names a trunk of ours (that trunk is tried next, with the Contact's
 * number): 0, the call goes on; -1 when not followed (nothing done). */
int call_route_redirect(struct call *c, const struct leg_response *r);

/* call_dialog.c */
void call_dialog_request(struct call *c, const struct ev *ev);
void call_dialog_response(struct call *c, const struct ev *ev);
void call_dialog_offered(struct call *c, const struct ev *ev);
void call_dialog_answered(struct call *c, const struct ev *ev);
void call_dialog_refuse(struct call *c, const struct ev *ev);
/* Our 2xx toward side `from` offered (the late offer of its INVITE): its
 * ACK must answer before the far side gets its own ACK. */
void call_dialog_await_ack(struct call *c, enum call_side from);
void call_dialog_ack(struct call *c, const struct ev *ev);
/* Sends our own re-INVITE with sdp to side `to` (a transfer's new media
 * for the remaining party); its answer goes to the relay, to nobody else. */
int call_dialog_reinvite(struct call *c, enum call_side to, const char *sdp);
/* TIMER_RETRY: the re-INVITE that met glare goes again. */
void call_dialog_retry(struct call *c, const struct ev *ev);

/* call_xfer.c */
void call_xfer_refer(struct call *c, const struct ev *ev);
void call_xfer_refuse(struct call *c, const struct ev *ev);
/* A transfer's call: its new leg's progress (NOTIFYed), and its answer
 * (the remaining party is moved over and re-INVITEd with sdp). */
void call_xfer_progress(struct call *t, int code);
void call_xfer_answered(struct call *t, const char *sdp);
/* call_end() of either call of a transfer: the other one is told. */
void call_xfer_ended(struct call *c, const struct outcome *o);
/* The transferor left while its transfer runs: 1 when that was it (the
 * call goes on for the transfer), 0 when no transfer runs. */
int call_xfer_transferor_left(struct call *c, struct leg *l);
void call_xfer_abandon(struct call *t, const struct ev *ev);
/* Drops the links of a transfer (shutdown). */
void call_xfer_unlink(struct call *c);

#endif
