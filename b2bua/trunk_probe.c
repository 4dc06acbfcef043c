/*
 * trunk_probe.c - OPTIONS keepalives toward trunks (see trunk_probe.h).
 *
 * trunk_health decides when a trunk is probed and what an outcome means;
 * this file sends each probe on a handle of its own and classifies what
 * comes back: a response from the trunk (any code, but 503 with
 * Retry-After) is an answer; one nua made itself (no packet came: its 408
 * on timeout, its 503 on ICMP unreachable or a refused TCP connection) is
 * a timeout or a transport error, told apart by the message's source
 * address (none for a local one, shared/sofia-nua.md 10).
 *
 * A probe's handle is bound to nothing (its events reach sip_leg.c's
 * callback with no leg, which hands nua_r_options here). Answered or
 * abandoned, it moves to the graveyard and is destroyed on the next tick.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>

#include "trunk_probe.h"
#include "clock.h"
#include "log.h"
#include "reply.h"

struct probe {
	uint64_t token;
	nua_handle_t *nh;
	char trunk[64];
	struct probe *next;
};

struct trunk_probe {
	struct sip_stack *st;
	struct trunk_health *health;
	struct probe *live;          /* sent, not answered nor abandoned */
	struct probe *graveyard;     /* handles destroyed on the next tick */
	int stopped;
};

/* Takes p off the live list. */
static void unlink_live(struct trunk_probe *tp, struct probe *p)
{
	for (struct probe **pp = &tp->live; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			return;
		}
}

static void bury(struct trunk_probe *tp, struct probe *p)
{
	unlink_live(tp, p);
	p->next = tp->graveyard;
	tp->graveyard = p;
}

/* Outside any nua callback: the handles of finished probes go. */
static void reap(struct trunk_probe *tp)
{
	while (tp->graveyard) {
		struct probe *p = tp->graveyard;

		tp->graveyard = p->next;
		if (p->nh)
			nua_handle_destroy(p->nh);
		free(p);
	}
}

static int op_send(void *ctx, uint64_t token, const struct health_target *t)
{
	struct trunk_probe *tp = ctx;
	char host[80], thost[280], from[96], to[300], ruri[320], cid[40];
	const char *tport = strcasecmp(t->transport, "tcp") == 0   ? ";transport=tcp"
			    : strcasecmp(t->transport, "tls") == 0 ? ";transport=tls"
								  : "";
	nua_t *nua = sip_stack_nua_for(tp->st, t->transport, t->tls_verify, t->iface, t->host, host, sizeof(host));
	struct probe *p;

	if (!nua || tp->stopped)
		return -1;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	if (strchr(t->host, ':'))
		snprintf(thost, sizeof(thost), "[%s]", t->host);
	else
		snprintf(thost, sizeof(thost), "%s", t->host);
	if (t->port)
		snprintf(thost + strlen(thost), sizeof(thost) - strlen(thost), ":%d", t->port);
	/* Our own identity: our host, no user; never the trunk's URI. */
	snprintf(from, sizeof(from), "<sip:%s>", host);
	snprintf(to, sizeof(to), "<sip:%s>", thost);
	snprintf(ruri, sizeof(ruri), "sip:%s%s", thost, tport);
	sip_random_hex(cid, 16);
	p->nh = nua_handle(nua, NULL, SIPTAG_CALL_ID_STR(cid), SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), TAG_END());
	if (!p->nh) {
		free(p);
		return -1;
	}
	p->token = token;
	snprintf(p->trunk, sizeof(p->trunk), "%s", t->name);
	p->next = tp->live;
	tp->live = p;
	log_debug("trunk %s: OPTIONS %s", t->name, ruri);
	nua_options(p->nh, NUTAG_URL(ruri), TAG_END());
	return 0;
}

static void op_abandon(void *ctx, uint64_t token)
{
	struct trunk_probe *tp = ctx;

	for (struct probe *p = tp->live; p; p = p->next)
		if (p->token == token) {
			bury(tp, p);
			return;
		}
}

static const struct health_probe_ops probe_ops = {.send = op_send, .abandon = op_abandon};

/* Inside nua's callback: read, report, bury (the handle goes later). */
static void on_options(void *arg, nua_t *nua, nua_handle_t *nh, int status, const sip_t *sip)
{
	struct trunk_probe *tp = arg;
	struct health_report r;
	struct probe *p;
	int local;

	for (p = tp->live; p && p->nh != nh; p = p->next)
		;
	if (!p || status < SC_OK)
		return;   /* not a probe still awaited, or provisional */
	local = sip_stack_response_is_local(nua);
	memset(&r, 0, sizeof(r));
	r.token = p->token;
	r.code = status;
	r.result = trunk_health_classify(status, local, !local && sip && sip->sip_retry_after);
	r.mono_ms = clock_mono_ms();
	r.wall_ms = clock_wall_ms();
	log_debug("trunk %s: OPTIONS %s %d", p->trunk, local ? "failed here," : "answered", status);
	bury(tp, p);
	trunk_health_report(tp->health, &r);
}

int trunk_probe_new(struct trunk_probe **out, struct sip_stack *st, const struct health_config *cfg)
{
	struct trunk_probe *tp = calloc(1, sizeof(*tp));

	if (!tp)
		return -1;
	tp->st = st;
	if (trunk_health_new(&tp->health, cfg, &probe_ops, tp) != 0) {
		free(tp);
		return -1;
	}
	sip_stack_on_options(st, on_options, tp);
	*out = tp;
	return 0;
}

void trunk_probe_stop(struct trunk_probe *tp)
{
	if (!tp || tp->stopped)
		return;
	tp->stopped = 1;
	trunk_health_sync(tp->health, NULL, clock_mono_ms());   /* abandons what is out */
	while (tp->live)
		bury(tp, tp->live);
	reap(tp);
}

void trunk_probe_free(struct trunk_probe *tp)
{
	if (!tp)
		return;
	trunk_probe_stop(tp);
	sip_stack_on_options(tp->st, NULL, NULL);
	trunk_health_free(tp->health);
	free(tp);
}

void trunk_probe_policy(struct trunk_probe *tp, const struct policy *p)
{
	if (!tp->stopped)
		trunk_health_sync(tp->health, p, clock_mono_ms());
}

void trunk_probe_tick(struct trunk_probe *tp)
{
	reap(tp);
	if (!tp->stopped)
		trunk_health_tick(tp->health, clock_mono_ms(), clock_wall_ms());
}

struct trunk_health *trunk_probe_health(struct trunk_probe *tp)
{
	return tp->health;
}
