/*
 * trunk_health.c - trunk reachability from OPTIONS keepalives (see
 * trunk_health.h).
 *
 * A record per probed trunk: its target, its interval, at most one probe
 * out (named by a token, so an answer that comes after the probe was
 * given up finds nothing), and the consecutive failures and successes
 * that move its state. Unprobed (nothing heard yet) counts as up; the
 * first result makes it up, and down_after failures in a row make it
 * down (also straight from unprobed); a down trunk needs up_after
 * successes in a row to be up again. The records are an array scanned
 * linearly: trunks with keepalives number in the tens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "trunk_health.h"
#include "cdr_store.h"
#include "log.h"
#include "reply.h"

struct probed {
	int trunk_id;
	char name[64];
	char host[256];
	int port;
	char transport[8];
	int tls_verify;
	char iface[32];              /* trunks.interface: the probes leave from it */
	int64_t interval_ms;
	enum health_state state;
	int fails, oks;              /* consecutive */
	uint64_t token;              /* the probe out, 0 = none */
	int64_t sent_ms;             /* when the last probe went (monotonic) */
	int sent_any;                /* a probe went since the last (re)start */
	int64_t next_ms;             /* when the next one is due */
	int has_last;
	enum health_result last;
	int last_code;
	int64_t last_wall_ms;
	int seen;                    /* in the policy being synced */
};

struct trunk_health {
	struct health_config cfg;
	const struct health_probe_ops *ops;
	void *ctx;
	struct probed *recs;
	size_t n, cap;
	uint64_t next_token;
};

int trunk_health_new(struct trunk_health **out, const struct health_config *cfg,
		     const struct health_probe_ops *ops, void *ctx)
{
	struct trunk_health *h;

	if (!cfg || !ops || cfg->down_after < 1 || cfg->up_after < 1)
		return -1;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	h->cfg = *cfg;
	h->ops = ops;
	h->ctx = ctx;
	*out = h;
	return 0;
}

static void give_up(struct trunk_health *h, struct probed *r)
{
	uint64_t token = r->token;

	if (!token)
		return;
	r->token = 0;
	h->ops->abandon(h->ctx, token);
}

void trunk_health_free(struct trunk_health *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		give_up(h, &h->recs[i]);
	free(h->recs);
	free(h);
}

static struct probed *find(const struct trunk_health *h, int trunk_id)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->recs[i].trunk_id == trunk_id)
			return &h->recs[i];
	return NULL;
}

static int same_target(const struct probed *r, const struct policy_trunk *t)
{
	return strcmp(r->host, t->host) == 0 && r->port == t->port && strcasecmp(r->transport, t->transport) == 0 &&
	       r->tls_verify == t->tls_verify && strcmp(r->iface, t->iface) == 0;
}

static void set_target(struct probed *r, const struct policy_trunk *t)
{
	snprintf(r->name, sizeof(r->name), "%s", t->name);
	snprintf(r->host, sizeof(r->host), "%s", t->host);
	r->port = t->port;
	snprintf(r->transport, sizeof(r->transport), "%s", t->transport);
	r->tls_verify = t->tls_verify;
	snprintf(r->iface, sizeof(r->iface), "%s", t->iface);
}

/* A fresh start for r: nothing heard, a probe due now. */
static void restart(struct trunk_health *h, struct probed *r, int64_t now)
{
	give_up(h, r);
	r->state = HEALTH_UNPROBED;
	r->fails = r->oks = 0;
	r->has_last = 0;
	r->next_ms = now;
	r->sent_any = 0;
}

static struct probed *add(struct trunk_health *h, const struct policy_trunk *t, int64_t now)
{
	struct probed *r;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct probed *grown = realloc(h->recs, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		h->recs = grown;
		h->cap = cap;
	}
	r = &h->recs[h->n++];
	memset(r, 0, sizeof(*r));
	r->trunk_id = t->id;
	set_target(r, t);
	restart(h, r, now);
	return r;
}

void trunk_health_sync(struct trunk_health *h, const struct policy *p, int64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < h->n; i++)
		h->recs[i].seen = 0;
	for (size_t i = 0; p && i < policy_trunk_count(p); i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);
		struct probed *r;

		if (!t->enabled || t->options_ping_s <= 0)
			continue;
		r = find(h, t->id);
		if (!r) {
			r = add(h, t, now);
			if (!r) {
				log_error("trunk %s: out of memory, not probed", t->name);
				continue;
			}
			log_info("trunk %s: OPTIONS every %d s to %s:%d/%s", t->name, t->options_ping_s, t->host,
				 t->port, t->transport);
		} else if (!same_target(r, t)) {
			log_info("trunk %s: now probed at %s:%d/%s, state starts over", t->name, t->host, t->port,
				 t->transport);
			set_target(r, t);
			restart(h, r, now);
		} else if (r->interval_ms != (int64_t)t->options_ping_s * 1000) {
			/* From the last probe sent (at once if that is past). */
			r->next_ms = r->sent_any ? r->sent_ms + (int64_t)t->options_ping_s * 1000 : now;
			log_info("trunk %s: OPTIONS every %d s now", t->name, t->options_ping_s);
		}
		snprintf(r->name, sizeof(r->name), "%s", t->name);
		r->interval_ms = (int64_t)t->options_ping_s * 1000;
		r->seen = 1;
	}
	/* Trunks gone, disabled or no longer probed: their probe goes. */
	for (size_t i = 0; i < h->n; i++) {
		if (!h->recs[i].seen) {
			log_info("trunk %s: no longer probed", h->recs[i].name);
			give_up(h, &h->recs[i]);
			continue;
		}
		if (k != i)
			h->recs[k] = h->recs[i];
		k++;
	}
	h->n = k;
}

static const char *result_name(enum health_result r)
{
	switch (r) {
	case HEALTH_OK: return "answered";
	case HEALTH_REFUSED: return "503 with Retry-After";
	case HEALTH_TIMEOUT: return "timeout";
	case HEALTH_TRANSPORT: return "unreachable";
	}
	return "?";
}

/* One outcome moves the counters, and maybe the state. */
static void apply(struct trunk_health *h, struct probed *r, enum health_result res, int code, int64_t wall)
{
	r->has_last = 1;
	r->last = res;
	r->last_code = code;
	r->last_wall_ms = wall;
	if (res == HEALTH_OK) {
		r->fails = 0;
		r->oks++;
		if (r->state == HEALTH_UNPROBED) {
			r->state = HEALTH_UP;
			log_info("trunk %s up: OPTIONS answered %d", r->name, code);
		} else if (r->state == HEALTH_DOWN && r->oks >= h->cfg.up_after) {
			r->state = HEALTH_UP;
			log_warn("trunk %s up again: %d OPTIONS answered in a row (last %d)", r->name, r->oks, code);
		}
		return;
	}
	r->oks = 0;
	r->fails++;
	if (r->state != HEALTH_DOWN && r->fails >= h->cfg.down_after) {
		r->state = HEALTH_DOWN;
		log_warn("trunk %s down: %d OPTIONS failed in a row (last: %s%s%.0d), calls skip it", r->name,
			 r->fails, result_name(res), code ? " " : "", code);
	} else if (r->state == HEALTH_UNPROBED) {
		r->state = HEALTH_UP;   /* not down yet: nothing else to say of it */
	}
}

void trunk_health_tick(struct trunk_health *h, int64_t now, int64_t wall)
{
	for (size_t i = 0; i < h->n; i++) {
		struct probed *r = &h->recs[i];
		struct health_target t;
		uint64_t token;

		if (r->token && now - r->sent_ms >= r->interval_ms) {
			give_up(h, r);
			apply(h, r, HEALTH_TIMEOUT, 0, wall);
		}
		if (r->token || now < r->next_ms)
			continue;
		token = ++h->next_token;
		r->sent_ms = now;
		r->sent_any = 1;
		r->next_ms = now + r->interval_ms;
		t.trunk_id = r->trunk_id;
		t.name = r->name;
		t.host = r->host;
		t.port = r->port;
		t.transport = r->transport;
		t.tls_verify = r->tls_verify;
		t.iface = r->iface;
		r->token = token;
		if (h->ops->send(h->ctx, token, &t) != 0) {
			r->token = 0;
			apply(h, r, HEALTH_TRANSPORT, 0, wall);
		}
	}
}

void trunk_health_report(struct trunk_health *h, const struct health_report *rep)
{
	if (!rep->token)
		return;
	for (size_t i = 0; i < h->n; i++) {
		struct probed *r = &h->recs[i];

		if (r->token != rep->token)
			continue;
		r->token = 0;
		apply(h, r, rep->result, rep->code, rep->wall_ms);
		return;
	}
}

enum health_result trunk_health_classify(int code, int local, int retry_after)
{
	if (local)
		return code == SC_REQUEST_TIMEOUT ? HEALTH_TIMEOUT : HEALTH_TRANSPORT;
	if (code == SC_SERVICE_UNAVAILABLE && retry_after)
		return HEALTH_REFUSED;
	return HEALTH_OK;
}

int trunk_health_down(const struct trunk_health *h, const struct policy_trunk *t)
{
	const struct probed *r = h && t ? find(h, t->id) : NULL;

	return r && r->state == HEALTH_DOWN;
}

int trunk_health_view(const struct trunk_health *h, int trunk_id, struct health_view *v)
{
	const struct probed *r = h ? find(h, trunk_id) : NULL;

	memset(v, 0, sizeof(*v));
	v->state = HEALTH_UNPROBED;
	if (!r)
		return -1;
	v->probed = 1;
	v->state = r->state;
	v->has_last = r->has_last;
	v->last = r->last;
	v->last_code = r->last_code;
	v->last_wall_ms = r->last_wall_ms;
	v->fails = r->fails;
	v->oks = r->oks;
	return 0;
}

const char *trunk_health_state_name(enum health_state s)
{
	switch (s) {
	case HEALTH_UNPROBED: return "unprobed";
	case HEALTH_UP: return "up";
	case HEALTH_DOWN: return "down";
	}
	return "?";
}

void trunk_health_last(const struct health_view *v, char *last, size_t lastcap, char *when, size_t whencap)
{
	snprintf(last, lastcap, "-");
	snprintf(when, whencap, "-");
	if (!v->has_last)
		return;
	if (v->last == HEALTH_TIMEOUT)
		snprintf(last, lastcap, "timeout");
	else if (v->last == HEALTH_TRANSPORT)
		snprintf(last, lastcap, "unreachable");
	else
		snprintf(last, lastcap, "%d", v->last_code);
	cdr_time_iso(v->last_wall_ms, when, whencap);
}

size_t trunk_health_describe(const struct trunk_health *h, int trunk_id, char *buf, size_t cap)
{
	struct health_view v;
	char last[16], when[64];
	int n;

	if (!cap)
		return 0;
	trunk_health_view(h, trunk_id, &v);
	trunk_health_last(&v, last, sizeof(last), when, sizeof(when));
	n = snprintf(buf, cap, " reach %s options %s %s", trunk_health_state_name(v.state), last, when);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

static int ops_down(void *ctx, const struct policy_trunk *t)
{
	return trunk_health_down(ctx, t);
}

static const struct call_health_ops health_ops = {.down = ops_down};

const struct call_health_ops *trunk_health_ops(void)
{
	return &health_ops;
}
