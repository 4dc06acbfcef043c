/*
 * trunk_limits.h - per-trunk channel counts and call-rate token buckets.
 *
 * Owns: the counters, keyed by trunk id so they survive a policy reload
 * (the limits themselves come from the trunk of the current snapshot).
 * SIP thread only. Implements struct call_limits_ops.
 */
#ifndef TRUNK_LIMITS_H
#define TRUNK_LIMITS_H

#include <stdint.h>
#include "call.h"

struct limits;

struct limits *limits_new(void);
void limits_free(struct limits *l);
/* now_ms: a monotonic clock reading (tests pass their own). */
int limits_take_at(struct limits *l, const struct policy_trunk *t, int64_t now_ms);
void limits_give(struct limits *l, const struct policy_trunk *t);
int limits_channels(struct limits *l, int trunk_id);
/* Calls the trunk took in the last second (sliding: this second's and
 * the part of the last one still inside the window). */
double limits_cps(struct limits *l, int trunk_id, int64_t now_ms);
const struct call_limits_ops *limits_ops(void);

#endif
