/*
 * sip_leg.h - the SIP side of the b2bua: Sofia-SIP's nua, one instance per
 * listening address, and one struct leg per dialog (nua handle).
 *
 * Owns: the nua instances, every struct leg, and the su timers of calls.
 * Runs on the SIP thread (su_root, with nua kept on that thread). Turns
 * nua events into call_on_*() events and implements struct leg_ops and
 * struct timer_ops for the core. It is the only file that includes
 * <sofia-sip/nua.h>.
 * Must not: decide anything about a call, or drive one leg from another.
 */
#ifndef SIP_LEG_H
#define SIP_LEG_H

#include <sofia-sip/su_wait.h>
#include "call.h"
#include "config.h"
#include "trunk_reg.h"

struct sip_stack;
struct nua_s;
struct nua_handle_s;
struct sip_s;

/* Creates the nua instances for every [sip] listen address. 0 or -1. */
int sip_stack_new(struct sip_stack **out, su_root_t *root, const struct config *cfg,
		  char *err, size_t errlen);
void sip_stack_set_core(struct sip_stack *st, struct call_core *core);
const struct leg_ops *sip_stack_leg_ops(void);
const struct timer_ops *sip_stack_timer_ops(void);
/* Begins nua shutdown; done() is called once every instance is down. */
void sip_stack_shutdown(struct sip_stack *st, void (*done)(void *), void *arg);
void sip_stack_free(struct sip_stack *st);
/* Counters for `b2bua-ctl stats`. */
size_t sip_stack_stats(struct sip_stack *st, char *buf, size_t cap);
/* A new policy is in: the kernel filter follows its trunks. */
void sip_stack_policy_changed(struct sip_stack *st);
/* Trunk registrations: their handles (struct reg_ops, ctx = the stack),
 * and where their responses go (NULL: nowhere, before the registrations
 * are freed); an INVITE from a registered trunk's registrar names it. */
const struct reg_ops *sip_stack_reg_ops(void);
void sip_stack_set_reg(struct sip_stack *st, struct trunk_reg *reg);
/* SIP message tracing (sip_trace.c): Sofia's default log goes to it, it
 * turns Sofia's message log on and off, legs tell it their calls. */
struct sip_trace;
void sip_stack_set_trace(struct sip_stack *st, struct sip_trace *tr);
/* Periodic work (bans whose time is up), from the main loop's tick. */
void sip_stack_tick(struct sip_stack *st);
/* `b2bua-ctl bans`: one line per banned source; `unban ADDR|all`: 0 or -1. */
size_t sip_stack_bans(struct sip_stack *st, char *buf, size_t cap);
int sip_stack_unban(struct sip_stack *st, const char *addr);
/* For trunk_probe.c, which owns OPTIONS handles of its own on our nua
 * instances: the instance a leg's INVITE toward that trunk would leave
 * from (its transport, for tls its tls_verify, its interface iface, the
 * family of its host peer) and our host as legs name it in From
 * (advertise, else the listen address); NULL when there is none. */
struct nua_s *sip_stack_nua_for(struct sip_stack *st, const char *transport, int tls_verify, const char *iface,
				const char *peer, char *host, size_t cap);
/* Every nua_r_options (only trunk_probe.c sends OPTIONS, on handles no
 * leg owns) goes to fn, inside nua's callback. */
typedef void sip_stack_options_fn(void *arg, struct nua_s *nua, struct nua_handle_s *nh, int status,
				  const struct sip_s *sip);
void sip_stack_on_options(struct sip_stack *st, sip_stack_options_fn *fn, void *arg);
/* Inside a nua_r_* callback: 1 when the stack made the response itself
 * (no peer sent it: unreachable, refused, timeout), told by the message
 * having no source address (sofia-nua.md 10). */
int sip_stack_response_is_local(struct nua_s *nua);
/* 2*bytes hex digits of getrandom() (bytes <= 32) and a NUL into out:
 * Call-IDs that name nothing of ours. */
void sip_random_hex(char *out, size_t bytes);

#endif
