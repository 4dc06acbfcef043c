/*
 * relay_pool.h - which media relay a call uses: the health of each relay
 * of [relay] ng and the relay each call is anchored on.
 *
 * Owns: struct relay_pool, its per-relay health and the table of anchors
 * (call serial -> relay). Pure bookkeeping, driven by the relay client
 * (relay_client.c) on the SIP thread: no sockets, no clock (times come in
 * as arguments), no logging (state changes are returned for the caller to
 * log).
 *
 * A relay is up until down_after requests in a row (pings or a call's
 * requests) go unanswered; then it is down and new calls skip it, until it
 * answers anything again. A new call is anchored on the next relay that
 * is up (round-robin); its first offer may move to the next relay up while
 * no relay has answered for the call yet; once one has, every later
 * request of the call (answer, re-offer, query, delete) goes there.
 */
#ifndef RELAY_POOL_H
#define RELAY_POOL_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_POOL_MAX 8

enum relay_health { RELAY_UP, RELAY_DOWN };

struct relay_pool;

struct relay_pool_info {
	enum relay_health state;
	int fails;                /* unanswered requests in a row */
	int64_t last_ok_ms;       /* wall clock of its last answer, 0 = never */
	char last_error[64];      /* why the last request failed, "" = none yet */
	size_t calls;             /* calls anchored on it now */
};

/* 0, or -1 (no memory, or nrelays outside 1..RELAY_POOL_MAX, or
 * down_after < 1). */
int relay_pool_new(struct relay_pool **out, int nrelays, int down_after);
void relay_pool_free(struct relay_pool *p);

/* The relay a request of call `serial` goes to: the one it is anchored on,
 * else the next relay up, on which it is anchored from now. -1: the call
 * has no anchor and no relay is up. */
int relay_pool_route(struct relay_pool *p, uint64_t serial);
/* The call's request on relay `failed` went unanswered. When no relay has
 * answered for the call yet, it moves to the next relay up that it has
 * not tried: that relay, or -1 (none left, or the call is held by a relay
 * or released). */
int relay_pool_failover(struct relay_pool *p, uint64_t serial, int failed);
/* The call's relay answered it: the call stays there. */
void relay_pool_confirm(struct relay_pool *p, uint64_t serial);
/* The call is done with its relay (its delete is on the way). */
void relay_pool_release(struct relay_pool *p, uint64_t serial);

/* The relay answered (anything) at now_ms. 1 when it was down (now up). */
int relay_pool_ok(struct relay_pool *p, int relay, int64_t now_ms);
/* A request to it went unanswered (why: for `b2bua-ctl relays`). 1 when
 * this made it down. */
int relay_pool_failed(struct relay_pool *p, int relay, const char *why);

void relay_pool_info(const struct relay_pool *p, int relay, struct relay_pool_info *out);
int relay_pool_count(const struct relay_pool *p);

#endif
