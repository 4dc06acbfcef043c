/*
 * relay_client.h - asynchronous client of the ng control protocol
 * (rtpengine's), driving our media-relay or rtpengine itself.
 *
 * Owns: one UDP socket per relay registered with the su_root, the table of
 * requests in flight (each retransmitted until answered or timed out), a
 * ping to every relay each ping_ms, and a relay_pool (relay_pool.h): the
 * relays' health and the relay each call is anchored on (round-robin over
 * the relays that are up, sticky per call; a first offer unanswered moves
 * to the next relay up).
 * Runs on the SIP thread; never blocks: every answer comes back through
 * the relay_done_fn given with the request, on a later loop iteration.
 * Implements struct relay_ops for the call core.
 */
#ifndef RELAY_CLIENT_H
#define RELAY_CLIENT_H

#include <sofia-sip/su_wait.h>
#include "call.h"
#include "prom.h"

struct relay_client;

struct relay_client_opts {
	int timeout_ms;     /* per request, retransmitted within it */
	int ping_ms;        /* between pings to each relay */
	int down_after;     /* unanswered requests in a row that make a relay down */
};

/* relays: "ADDR:PORT" strings. 0 or -1 with a reason in err. */
int relay_client_new(struct relay_client **out, su_root_t *root, const char (*relays)[64], int n,
		     const struct relay_client_opts *o, char *err, size_t errlen);
void relay_client_free(struct relay_client *rc);
const struct relay_ops *relay_client_ops(void);
/* Requests still waiting for an answer. */
size_t relay_client_pending(const struct relay_client *rc);
size_t relay_client_stats(struct relay_client *rc, char *buf, size_t cap);
/* One line per relay for `b2bua-ctl relays`: "ADDR up|down calls N
 * last_answer TIME|never last_error TEXT|-". Returns the length. */
size_t relay_client_list(struct relay_client *rc, char *buf, size_t cap);

/* One relay as /metrics (metrics.c), `b2bua-ctl relays` and the stats'
 * relay lines show it, as --json too (ctl_lists.c): the one source of
 * all. Copied on the SIP thread. */
#define RELAY_CLIENT_MAX 8
struct relay_view {
	char name[64];            /* ADDR:PORT as configured */
	uint64_t up;              /* 1 up, 0 down */
	uint64_t calls;           /* anchored on it now */
	uint64_t sent, answered, timeouts;
	uint64_t errors;          /* answers with result error */
	struct prom_hist rtt;     /* seconds, first send to answer */
	int64_t last_answer_ms;   /* wall clock, 0 = never */
	char last_error[64];      /* why its last request failed, "" = none */
};
/* Fills up to max views, one per relay in [relay] ng order; the count. */
int relay_client_views(struct relay_client *rc, struct relay_view *v, int max);
int relay_client_count(const struct relay_client *rc);
/* Relay i's view: 0, or -1 when i is not a relay of rc. */
int relay_client_view(const struct relay_client *rc, int i, struct relay_view *v);
/* Building and reading ng messages, apart from the socket so they can be
 * unit-tested. The request is written into buf ("COOKIE DICT"); returns
 * its length or -1. */
struct relay_msg {
	const char *command;      /* offer, answer, delete, query, ping */
	const char *call_id;
	const char *from_tag;
	const char *to_tag;
	const char *sdp;
	int to_srtp;              /* -1 keep, 0 RTP/AVP, 1 RTP/SAVP */
	const char *proto;        /* the transport-protocol itself (wins over to_srtp), or NULL */
	const char *latch;        /* "latch": sdp, learn, first (with sdp), or NULL */
	const char *peer;         /* "received-from" address (with sdp), or NULL */
	const char *direction[2]; /* "direction": from, to interface names (with sdp), or NULL */
	const char *family;       /* "address family": IP4, IP6 (with sdp), or NULL */
};
long relay_msg_encode(const struct relay_msg *m, const char *cookie, char *buf, size_t cap);
/* Parses a reply datagram into r (strings point into pool-owned memory
 * that lives until relay_reply_free). cookie gets the reply's cookie. */
struct relay_reply;
struct relay_reply *relay_reply_parse(const char *buf, size_t len, char *cookie, size_t cookie_cap,
				      struct relay_result *r);
void relay_reply_free(struct relay_reply *rr);

#endif
