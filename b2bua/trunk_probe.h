/*
 * trunk_probe.h - OPTIONS keepalives toward trunks (trunks.options_ping_s):
 * the SIP side of trunk_health.c.
 *
 * Owns: a trunk_health (the states and the schedule) and the nua handles
 * of the probes in flight, one fresh handle per probe on the nua instance
 * the trunk's calls leave from, never a leg's. SIP thread only. A probe
 * says nothing of us but our address: From is our host (no user, never
 * the trunk's URI), a Call-ID of random hex, and User-Agent only as
 * [sip] user_agent says (none by default), as on legs. Handles are
 * destroyed on the next tick, never inside the callback delivering
 * their answer.
 * Must not: block, decide about calls.
 */
#ifndef TRUNK_PROBE_H
#define TRUNK_PROBE_H

#include <stddef.h>
#include "sip_leg.h"
#include "trunk_health.h"

struct trunk_probe;

int trunk_probe_new(struct trunk_probe **out, struct sip_stack *st, const struct health_config *cfg);
/* Destroys the handles still out (before nua is destroyed), then frees. */
void trunk_probe_free(struct trunk_probe *tp);
/* The policy changed (or is the first): what to probe follows it. */
void trunk_probe_policy(struct trunk_probe *tp, const struct policy *p);
/* From the loop's tick: old handles destroyed, due probes sent, late
 * ones counted as timeouts. */
void trunk_probe_tick(struct trunk_probe *tp);
/* No more probes (shutdown begins): every handle goes, before nua's. */
void trunk_probe_stop(struct trunk_probe *tp);
struct trunk_health *trunk_probe_health(struct trunk_probe *tp);

#endif
