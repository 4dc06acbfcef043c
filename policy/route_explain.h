/*
 * route_explain.h - why a number goes where it goes: the answer to
 * `b2bua-ctl route explain`, worked out with the snapshot's own rules,
 * route lists and rates (policy.h), never a second routing.
 *
 * Owns: struct route_explain, a plain value on the caller's stack; the
 * pointers in it point into the snapshot, valid while the caller holds it.
 * Knows the b2bua's order of a call's attempts (call.c, call_route.c):
 * "in" rules of the source trunk on the Request-URI, policy_route() on
 * the result, then per candidate that trunk's "out" rules; a trunk its
 * OPTIONS keepalives call down, or at its limits, is skipped; the rate is
 * the candidate's, on the number sent to it (what the CDR bills).
 * Must not: print (the tool does), know about SIP, reach the daemon (the
 * caller passes each trunk's state in).
 */
#ifndef POLICY_ROUTE_EXPLAIN_H
#define POLICY_ROUTE_EXPLAIN_H

#include <stddef.h>
#include "policy.h"

#define ROUTE_EXPLAIN_MAX 64
#define ROUTE_EXPLAIN_NUM 128

/* What routing would do with a candidate, as far as the state says. */
enum route_skip {
	ROUTE_TRY,          /* tried in its turn */
	ROUTE_SKIP_DOWN,    /* OPTIONS keepalives say down: skipped */
	ROUTE_SKIP_LIMIT,   /* channels or cps at the trunk's limit: skipped */
	ROUTE_SKIP_DUP,     /* its trunk is listed already (once per call) */
	ROUTE_SKIP_EXTRA,   /* past POLICY_ROUTE_GROUP_MAX of its priority: never */
};

struct route_explain_cand {
	struct policy_route_info route;
	int group;                        /* its priority group, 0 first */
	enum route_skip skip;
	double share;                     /* % chance to come first in its group (draw among the tried) */
	char number[ROUTE_EXPLAIN_NUM];   /* after the trunk's "out" rules */
	struct policy_rule_hit out_hit;
	const struct rate *rate;          /* rates.h; NULL: no rate matches */
};

enum route_pick {
	ROUTE_PICK_NONE,       /* no route, or every candidate skipped */
	ROUTE_PICK_ONE,        /* cand[first] comes first, every time */
	ROUTE_PICK_WEIGHTED,   /* a weighted draw among group first_group */
};

struct route_explain {
	const struct policy_trunk *from;          /* NULL: no source trunk */
	char dialled[ROUTE_EXPLAIN_NUM];
	char normalised[ROUTE_EXPLAIN_NUM];       /* after the "in" rules */
	struct policy_rule_hit in_hit;
	char prefix[ROUTE_EXPLAIN_NUM];           /* the route prefix matched */
	int own;                                  /* the source trunk's own routes won */
	size_t total;                             /* routes with that prefix */
	size_t n;                                 /* of them in cand (at most ROUTE_EXPLAIN_MAX) */
	struct route_explain_cand cand[ROUTE_EXPLAIN_MAX];
	enum route_pick pick;
	int first_group;
	size_t first;
	int skipped_before;                       /* candidates of earlier groups skipped */
};

/* The state of t as the running daemon knows it, or -1: unknown (then
 * nothing is skipped). *skip gets ROUTE_TRY, ROUTE_SKIP_DOWN or
 * ROUTE_SKIP_LIMIT. */
typedef int (*route_state_fn)(void *arg, const struct policy_trunk *t, enum route_skip *skip);

/* Explains number (as dialled) coming from trunk from (NULL: none, only
 * rules for all trunks and routes for any trunk apply). 0, or -1 when a
 * number does not fit (err set). */
int route_explain(struct route_explain *x, const struct policy *p, const struct policy_trunk *from,
		  const char *number, route_state_fn state, void *arg, char *err, size_t errlen);

const char *route_skip_name(enum route_skip s);

#endif
