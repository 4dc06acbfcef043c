/*
 * trunk_health.h - whether a trunk answers, from OPTIONS keepalives
 * (trunks.options_ping_s): per probed trunk a state (unprobed, up, down)
 * moved by consecutive probe results, the schedule of its probes, and the
 * question routing asks ("is this trunk down?").
 *
 * Owns: one record per probed trunk, keyed by trunk id (as trunk_limits.c
 * keys its counters), so a reload keeps the state of a trunk whose target
 * (host, port, transport) is unchanged; a new target starts unprobed.
 * SIP thread only. Sends nothing itself: the prober (trunk_probe.c, or a
 * test's fake) is asked through struct health_probe_ops and reports each
 * probe's outcome with the token it was given. A trunk without
 * options_ping_s (or disabled) has no record and is never down.
 * Must not: touch Sofia, block, decide about calls (routing asks).
 */
#ifndef TRUNK_HEALTH_H
#define TRUNK_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include "call.h"

struct trunk_health;

enum health_state { HEALTH_UNPROBED, HEALTH_UP, HEALTH_DOWN };

/* How one probe ended. Only HEALTH_OK counts as reachable. */
enum health_result {
	HEALTH_OK,         /* a final response from the trunk, whatever its code */
	HEALTH_REFUSED,    /* 503 with Retry-After: the trunk says it takes nothing */
	HEALTH_TIMEOUT,    /* no response (nua's own 408, or none by the next ping) */
	HEALTH_TRANSPORT,  /* a transport error: ICMP unreachable, TCP refused, no transport */
};

/* Where a trunk's probes go (strings valid during the call only). */
struct health_target {
	int trunk_id;
	const char *name;
	const char *host;
	int port;                 /* 0 = the transport's default */
	const char *transport;    /* "udp", "tcp", "tls" */
	int tls_verify;           /* tls: its certificate is verified (trunks.tls_verify) */
	const char *iface;        /* trunks.interface ("" the default): where it is reached */
};

struct health_probe_ops {
	/* Sends one OPTIONS toward t; its outcome comes back through
	 * trunk_health_report() with this token, never before send returns.
	 * 0, or -1 when it could not be sent (counted as a transport error). */
	int (*send)(void *ctx, uint64_t token, const struct health_target *t);
	/* The probe of this token is given up (no answer in time, the trunk
	 * is gone or changed): the prober drops it, and whatever still
	 * arrives for it is ignored. */
	void (*abandon)(void *ctx, uint64_t token);
};

struct health_config {
	int down_after;           /* consecutive failures that mark a trunk down (>= 1) */
	int up_after;             /* consecutive successes that bring a down trunk back (>= 1) */
};

/* One probe's outcome, as the prober saw it. */
struct health_report {
	uint64_t token;
	enum health_result result;
	int code;                 /* the status code (nua's own for a local one), 0 if none */
	int64_t mono_ms, wall_ms; /* when (monotonic, and Unix epoch for display) */
};

/* What `b2bua-ctl trunks` shows of one trunk. */
struct health_view {
	enum health_state state;
	int probed;               /* the trunk has a record (options_ping_s > 0) */
	int has_last;             /* a probe has ended */
	enum health_result last;
	int last_code;
	int64_t last_wall_ms;
	int fails, oks;           /* consecutive, up to now */
};

int trunk_health_new(struct trunk_health **out, const struct health_config *cfg,
		     const struct health_probe_ops *ops, void *ctx);
/* Abandons every probe still out, then frees. NULL is fine. */
void trunk_health_free(struct trunk_health *h);
/* The trunks of p are the ones to probe now: new ones are probed at
 * once, removed or disabled ones lose their record (their probe is
 * abandoned), a changed target starts over unprobed, a changed
 * interval applies from the last probe sent. */
void trunk_health_sync(struct trunk_health *h, const struct policy *p, int64_t mono_ms);
/* Probes due are sent; a probe unanswered for its trunk's interval is
 * abandoned and counts as a timeout. */
void trunk_health_tick(struct trunk_health *h, int64_t mono_ms, int64_t wall_ms);
/* A probe ended. A token no longer awaited (abandoned) is ignored. */
void trunk_health_report(struct trunk_health *h, const struct health_report *r);
/* How a final response classifies: local says nua made it (no packet
 * came), retry_after that it carried a Retry-After. */
enum health_result trunk_health_classify(int code, int local, int retry_after);
/* 1 when t is probed and down: routing skips it. */
int trunk_health_down(const struct trunk_health *h, const struct policy_trunk *t);
/* 0, or -1 when trunk_id is not probed (v then says unprobed). */
int trunk_health_view(const struct trunk_health *h, int trunk_id, struct health_view *v);
/* " reach STATE options CODE|timeout|unreachable|- TIME|-" for one trunk,
 * appended to its `b2bua-ctl trunks` line; returns the length written. */
size_t trunk_health_describe(const struct trunk_health *h, int trunk_id, char *buf, size_t cap);
/* The options part of it from a view (trunks json too): last gets the
 * code, "timeout" or "unreachable", when its UTC time; "-" for none. */
void trunk_health_last(const struct health_view *v, char *last, size_t lastcap, char *when, size_t whencap);
const char *trunk_health_state_name(enum health_state s);
/* The routing question as the call core asks it (ctx: the trunk_health). */
const struct call_health_ops *trunk_health_ops(void);

#endif
