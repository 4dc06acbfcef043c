/*
 * trunk_reg.c - outbound registration of trunks (see trunk_reg.h).
 *
 * Owns: one struct trunk_reg_entry per trunk that registers, or did and
 * still un-REGISTERs (removed by a reload, or shutdown). An entry owns
 * its handle until ops->close, which only trunk_reg_tick and
 * trunk_reg_free call: a response's event never destroys its own handle.
 * Must not: include Sofia headers, block, or trust a registrar's text
 * (phrases, realms, nonces arrive bounded and leave sanitized).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trunk_reg.h"
#include "log.h"
#include "reply.h"

/* Challenges we answer in one attempt without a 2xx between them: the
 * first, and one more with a fresh nonce (a stale one); a registrar that
 * keeps challenging has refused us. */
#define REG_MAX_AUTH 2

struct trunk_reg_entry {
	struct trunk_reg *r;
	struct trunk_reg_entry *next;
	int trunk_id;
	char name[64];
	char host[256];
	int port;
	char transport[8];
	char username[64];
	char password[128];
	char realm[128];
	enum trunk_reg_state state;
	struct reg_handle *h;
	unsigned close_due : 1;   /* h is closed at the next tick */
	unsigned gone : 1;        /* its trunk no longer registers: freed once closed */
	unsigned started : 1;     /* a first attempt was made */
	int64_t expires_at;       /* REGISTERED: the granted time ends */
	int64_t retry_at;         /* the next attempt (REGISTERING without h, FAILED) */
	int64_t leave_deadline;   /* UNREGISTERING: given up after this */
	int failures;             /* in a row, for the backoff */
	int n_auth;               /* challenges answered since the last 2xx */
	char nonce[128];          /* the last nonce we answered */
	char last_error[160];
	struct sockaddr_storage registrar;   /* source of the last 2xx */
	int has_registrar;
};

struct trunk_reg {
	const struct reg_ops *ops;
	void *ops_ctx;
	struct trunk_reg_config cfg;
	struct trunk_reg_entry *entries;
	int stopping;
};

static const char *const state_names[] = {
	[TRUNK_REG_OFF] = "off",
	[TRUNK_REG_REGISTERING] = "registering",
	[TRUNK_REG_REGISTERED] = "registered",
	[TRUNK_REG_FAILED] = "failed",
	[TRUNK_REG_UNREGISTERING] = "unregistering",
	[TRUNK_REG_UNREGISTERED] = "unregistered",
};

const char *trunk_reg_state_name(enum trunk_reg_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

int trunk_reg_backoff_s(const struct trunk_reg_config *cfg, int failures)
{
	int64_t s = cfg->retry_min_s;

	for (int i = 1; i < failures && s < cfg->retry_max_s; i++)
		s *= 2;
	return (int)(s > cfg->retry_max_s ? cfg->retry_max_s : s);
}

/* Printable ASCII only, cut to fit: a peer's text goes into logs and
 * `b2bua-ctl trunks` lines. */
static void clean_copy(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	for (; in && *in && n + 1 < cap; in++)
		out[n++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[n] = 0;
}

/* Why a register = 1 trunk cannot register, or NULL. */
static const char *cannot_register(const struct policy_trunk *t)
{
	if (!t->username[0] || !t->password[0])
		return "no username/password";
	/* NUTAG_AUTH's "Digest:\"realm\":user:pass" would be misread. */
	if (strchr(t->username, ':') || strchr(t->realm, '"'))
		return "username with ':' or realm with '\"'";
	if (!t->host[0])
		return "no host";
	if (strcmp(t->transport, "udp") != 0 && strcmp(t->transport, "tcp") != 0)
		return "transport not served (udp, tcp)";
	return NULL;
}

static int wants(const struct policy_trunk *t)
{
	return t && t->reg && t->enabled && !cannot_register(t);
}

static int same_target(const struct trunk_reg_entry *e, const struct policy_trunk *t)
{
	return strcmp(e->host, t->host) == 0 && e->port == t->port && strcmp(e->transport, t->transport) == 0 &&
	       strcmp(e->username, t->username) == 0 && strcmp(e->password, t->password) == 0 &&
	       strcmp(e->realm, t->realm) == 0;
}

int trunk_reg_new(struct trunk_reg **out, const struct reg_ops *ops, void *ops_ctx,
		  const struct trunk_reg_config *cfg)
{
	struct trunk_reg *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->ops = ops;
	r->ops_ctx = ops_ctx;
	r->cfg = *cfg;
	*out = r;
	return 0;
}

static void entry_close_now(struct trunk_reg_entry *e)
{
	if (e->h)
		e->r->ops->close(e->h);
	e->h = NULL;
	e->close_due = 0;
}

void trunk_reg_free(struct trunk_reg *r)
{
	if (!r)
		return;
	while (r->entries) {
		struct trunk_reg_entry *e = r->entries;

		r->entries = e->next;
		entry_close_now(e);
		free(e);
	}
	free(r);
}

static struct trunk_reg_entry *live_entry(const struct trunk_reg *r, int trunk_id)
{
	for (struct trunk_reg_entry *e = r->entries; e; e = e->next)
		if (e->trunk_id == trunk_id && !e->gone)
			return e;
	return NULL;
}

static void set_error(struct trunk_reg_entry *e, const char *fmt_code, int code, const char *phrase,
		      const char *why)
{
	char p[64];

	clean_copy(p, sizeof(p), phrase);
	if (code)
		snprintf(e->last_error, sizeof(e->last_error), "%s%d %s%s%s%s", fmt_code, code, p, why ? " (" : "",
			 why ? why : "", why ? ")" : "");
	else
		snprintf(e->last_error, sizeof(e->last_error), "%s", why ? why : p);
}

/* A failed attempt (or a registration lost): the handle goes at the next
 * tick, the next attempt after the backoff. */
static void entry_fail(struct trunk_reg_entry *e, int64_t now)
{
	int wait_s;

	e->failures++;
	wait_s = trunk_reg_backoff_s(&e->r->cfg, e->failures);
	e->state = TRUNK_REG_FAILED;
	e->expires_at = 0;
	e->retry_at = now + (int64_t)wait_s * 1000;
	e->close_due = e->h != NULL;
	log_warn("trunk %s: registration failed: %s; next attempt in %d s", e->name, e->last_error, wait_s);
}

static void entry_attempt(struct trunk_reg_entry *e, int64_t now)
{
	struct reg_target t = {.trunk = e->name, .host = e->host, .port = e->port, .transport = e->transport,
			       .username = e->username};

	e->started = 1;
	e->n_auth = 0;
	e->nonce[0] = 0;
	e->h = e->r->ops->open(e->r->ops_ctx, e, &t);
	if (!e->h) {
		set_error(e, "", 0, NULL, "cannot create a SIP handle");
		entry_fail(e, now);
		return;
	}
	e->state = TRUNK_REG_REGISTERING;
	e->retry_at = 0;
	log_info("trunk %s: REGISTER to %s (asking %d s)", e->name, e->host, e->r->cfg.expires_s);
	e->r->ops->send(e->h, e->r->cfg.expires_s);
}

/* The entry stops: un-REGISTER when the registrar holds a binding of
 * ours, else close. */
static void entry_leave(struct trunk_reg_entry *e, int64_t now)
{
	if (e->state == TRUNK_REG_REGISTERED && e->h && !e->close_due) {
		e->state = TRUNK_REG_UNREGISTERING;
		e->leave_deadline = now + e->r->cfg.stop_wait_ms;
		log_info("trunk %s: un-REGISTER", e->name);
		e->r->ops->unregister(e->h);
		return;
	}
	if (e->state != TRUNK_REG_UNREGISTERING) {
		e->state = TRUNK_REG_UNREGISTERED;
		e->close_due = e->h != NULL;
	}
}

static struct trunk_reg_entry *entry_new(struct trunk_reg *r, const struct policy_trunk *t, int64_t now)
{
	struct trunk_reg_entry *e = calloc(1, sizeof(*e));

	if (!e) {
		log_error("trunk %s: out of memory, not registering", t->name);
		return NULL;
	}
	e->r = r;
	e->trunk_id = t->id;
	snprintf(e->name, sizeof(e->name), "%s", t->name);
	snprintf(e->host, sizeof(e->host), "%s", t->host);
	e->port = t->port;
	snprintf(e->transport, sizeof(e->transport), "%s", t->transport);
	snprintf(e->username, sizeof(e->username), "%s", t->username);
	snprintf(e->password, sizeof(e->password), "%s", t->password);
	snprintf(e->realm, sizeof(e->realm), "%s", t->realm);
	e->state = TRUNK_REG_REGISTERING;   /* its first attempt is due at once */
	e->retry_at = now;
	{
		struct trunk_reg_entry **pp = &r->entries;   /* in policy order */

		while (*pp)
			pp = &(*pp)->next;
		*pp = e;
	}
	return e;
}

void trunk_reg_sync(struct trunk_reg *r, const struct policy *p, int64_t now)
{
	for (struct trunk_reg_entry *e = r->entries; e; e = e->next) {
		const struct policy_trunk *t;

		if (e->gone)
			continue;
		t = policy_trunk_by_id(p, e->trunk_id);
		if (wants(t) && same_target(e, t))
			continue;
		log_info("trunk %s: %s: registration stops", e->name, !t ? "removed" : wants(t) ? "changed" : "no longer registering");
		e->gone = 1;
		entry_leave(e, now);
	}
	for (size_t i = 0; i < policy_trunk_count(p); i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);
		const char *why = t->reg ? cannot_register(t) : NULL;

		if (why && t->enabled)
			log_warn("trunk %s: register = 1 cannot work: %s; not registering", t->name, why);
		if (!wants(t) || live_entry(r, t->id) || r->stopping)
			continue;
		entry_new(r, t, now);
	}
}

void trunk_reg_tick(struct trunk_reg *r, int64_t now)
{
	struct trunk_reg_entry **pp = &r->entries;

	while (*pp) {
		struct trunk_reg_entry *e = *pp;

		if (e->close_due)
			entry_close_now(e);
		if (e->state == TRUNK_REG_UNREGISTERING && now >= e->leave_deadline) {
			log_warn("trunk %s: no answer to un-REGISTER within %d ms", e->name, r->cfg.stop_wait_ms);
			set_error(e, "", 0, NULL, "no answer to un-REGISTER");
			e->state = TRUNK_REG_UNREGISTERED;
			entry_close_now(e);
		}
		if (e->gone && !e->h && e->state != TRUNK_REG_UNREGISTERING) {
			*pp = e->next;
			free(e);
			continue;
		}
		if (e->state == TRUNK_REG_REGISTERED && now >= e->expires_at) {
			/* nua's refresh never got its 2xx (nor a final failure). */
			set_error(e, "", 0, NULL, "expired unrefreshed");
			entry_fail(e, now);
		}
		if (!r->stopping && !e->gone && !e->h &&
		    (e->state == TRUNK_REG_FAILED || e->state == TRUNK_REG_REGISTERING) && now >= e->retry_at)
			entry_attempt(e, now);
		pp = &e->next;
	}
}

/* RFC 3261 22.2 with CVE-2021-41158's lesson: credentials only for the
 * trunk's own realm (any realm when it names none), once per challenge:
 * a challenge again with the nonce we answered means the registrar
 * refused them. 1 when answered; otherwise e->last_error says why not. */
static int answer_challenge(struct trunk_reg_entry *e, const struct reg_response *resp)
{
	const char *realm = resp->realm ? resp->realm : "";
	const char *nonce = resp->nonce ? resp->nonce : "";
	char rc[64];

	clean_copy(rc, sizeof(rc), realm);
	if (!realm[0] || strchr(realm, '"') || strchr(realm, ':') || (e->realm[0] && strcmp(realm, e->realm) != 0)) {
		char why[160];

		snprintf(why, sizeof(why), "realm '%.48s' is not the trunk's '%.48s'", rc, e->realm);
		set_error(e, "", resp->code, resp->phrase, why);
		return 0;
	}
	if (!nonce[0] || strcmp(nonce, e->nonce) == 0 || e->n_auth >= REG_MAX_AUTH) {
		set_error(e, "", resp->code, resp->phrase, "credentials refused");
		return 0;
	}
	snprintf(e->nonce, sizeof(e->nonce), "%s", nonce);
	e->n_auth++;
	log_info("trunk %s: %d for realm '%s': answering with the trunk's credentials", e->name, resp->code, rc);
	e->r->ops->authenticate(e->h, realm, e->username, e->password);
	return 1;
}

static int is_challenge(int code)
{
	return code == SC_UNAUTHORIZED || code == SC_PROXY_AUTH;
}

static void on_unregister_response(struct trunk_reg_entry *e, const struct reg_response *resp)
{
	if (!resp->unregister || !sc_final(resp->code))
		return;   /* a refresh's answer crossing our un-REGISTER */
	if (is_challenge(resp->code) && !resp->local) {
		if (answer_challenge(e, resp))
			return;
	} else if (sc_failure(resp->code)) {
		set_error(e, resp->local ? "local " : "", resp->code, resp->phrase, NULL);
	}
	log_info("trunk %s: un-REGISTER answered %d", e->name, resp->code);
	e->state = TRUNK_REG_UNREGISTERED;
	e->close_due = 1;
}

static void on_registered(struct trunk_reg_entry *e, const struct reg_response *resp, int64_t now)
{
	int granted = resp->granted < 0 ? e->r->cfg.expires_s : resp->granted;
	int refresh = e->state == TRUNK_REG_REGISTERED;

	/* RFC 3261 10.3 item 7: a registrar may shorten, never lengthen. */
	if (granted > e->r->cfg.expires_s)
		granted = e->r->cfg.expires_s;
	if (granted <= 0) {
		set_error(e, "", resp->code, resp->phrase, "no time granted to our Contact");
		entry_fail(e, now);
		return;
	}
	e->state = TRUNK_REG_REGISTERED;
	e->expires_at = now + (int64_t)granted * 1000;
	e->failures = 0;
	e->n_auth = 0;
	if (resp->src && (resp->src->sa_family == AF_INET || resp->src->sa_family == AF_INET6)) {
		memset(&e->registrar, 0, sizeof(e->registrar));
		memcpy(&e->registrar, resp->src,
		       resp->src->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		e->has_registrar = 1;
	}
	log_info("trunk %s: %s for %d s", e->name, refresh ? "registration refreshed" : "registered", granted);
}

void trunk_reg_on_response(struct trunk_reg *r, struct trunk_reg_entry *e, const struct reg_response *resp,
			   int64_t now)
{
	(void)r;
	if (!e || !e->h || e->close_due)
		return;   /* a handle on its way out */
	if (e->state == TRUNK_REG_UNREGISTERING) {
		on_unregister_response(e, resp);
		return;
	}
	if (resp->unregister || !sc_final(resp->code))
		return;
	if (sc_success(resp->code)) {
		on_registered(e, resp, now);
		return;
	}
	if (is_challenge(resp->code) && !resp->local) {
		if (answer_challenge(e, resp))
			return;
	} else {
		set_error(e, resp->local ? "local " : "", resp->code, resp->phrase, NULL);
	}
	entry_fail(e, now);
}

void trunk_reg_stop(struct trunk_reg *r, int64_t now)
{
	r->stopping = 1;
	for (struct trunk_reg_entry *e = r->entries; e; e = e->next)
		entry_leave(e, now);
}

size_t trunk_reg_pending(struct trunk_reg *r, int64_t now)
{
	size_t n = 0;

	for (struct trunk_reg_entry *e = r->entries; e; e = e->next)
		n += e->state == TRUNK_REG_UNREGISTERING && now < e->leave_deadline;
	return n;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (!b || a->ss_family != b->sa_family)
		return 0;
	if (b->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr,
			      sizeof(struct in_addr)) == 0;
	if (b->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
	return 0;
}

int trunk_reg_match(const struct trunk_reg *r, const struct sockaddr *src, const char *ruri_user)
{
	int first = 0;

	if (!r)
		return 0;
	for (const struct trunk_reg_entry *e = r->entries; e; e = e->next) {
		if (e->gone || e->state != TRUNK_REG_REGISTERED || !e->has_registrar || !same_addr(&e->registrar, src))
			continue;
		if (ruri_user && strcmp(ruri_user, e->username) == 0)
			return e->trunk_id;
		if (!first)
			first = e->trunk_id;
	}
	return first;
}

/* "2026-11-25T10:00:00Z" for a monotonic time. */
static const char *utc(int64_t at, int64_t now, int64_t wall_now, char *buf, size_t cap)
{
	time_t secs = (time_t)((wall_now + (at - now)) / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
	return buf;
}

void trunk_reg_view(const struct trunk_reg *r, const struct policy_trunk *t, int64_t now, int64_t wall_now,
		    struct trunk_reg_view *v)
{
	const struct trunk_reg_entry *e = r ? live_entry(r, t->id) : NULL;
	const char *why = t->reg ? (!t->enabled ? "trunk disabled" : cannot_register(t)) : NULL;

	memset(v, 0, sizeof(*v));
	snprintf(v->expires, sizeof(v->expires), "-");
	snprintf(v->retry, sizeof(v->retry), "-");
	if (!e && r) {   /* after shutdown or removal: the last entry of that trunk */
		for (const struct trunk_reg_entry *g = r->entries; g && !e; g = g->next)
			if (g->trunk_id == t->id)
				e = g;
	}
	if (!e) {
		v->state = TRUNK_REG_OFF;
		snprintf(v->last_error, sizeof(v->last_error), "%s", why ? why : "-");
		return;
	}
	v->state = e->state;
	if (e->state == TRUNK_REG_REGISTERED)
		utc(e->expires_at, now, wall_now, v->expires, sizeof(v->expires));
	if (e->state == TRUNK_REG_FAILED)
		utc(e->retry_at, now, wall_now, v->retry, sizeof(v->retry));
	snprintf(v->last_error, sizeof(v->last_error), "%s", e->last_error[0] ? e->last_error : "-");
}

size_t trunk_reg_describe(const struct trunk_reg *r, const struct policy_trunk *t, int64_t now, int64_t wall_now,
			  char *buf, size_t cap)
{
	struct trunk_reg_view v;
	int n;

	if (!cap)
		return 0;
	trunk_reg_view(r, t, now, wall_now, &v);
	n = snprintf(buf, cap, " reg %s expires %s retry %s last_error %s", trunk_reg_state_name(v.state), v.expires,
		     v.retry, v.last_error);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = 0;
		return 0;
	}
	return (size_t)n;
}

enum trunk_reg_state trunk_reg_state_of(const struct trunk_reg *r, int trunk_id)
{
	const struct trunk_reg_entry *e = live_entry(r, trunk_id);

	return e ? e->state : TRUNK_REG_OFF;
}

int64_t trunk_reg_expires_at(const struct trunk_reg *r, int trunk_id)
{
	const struct trunk_reg_entry *e = live_entry(r, trunk_id);

	return e && e->state == TRUNK_REG_REGISTERED ? e->expires_at : 0;
}

int64_t trunk_reg_retry_at(const struct trunk_reg *r, int trunk_id)
{
	const struct trunk_reg_entry *e = live_entry(r, trunk_id);

	return e && (e->state == TRUNK_REG_FAILED || (e->state == TRUNK_REG_REGISTERING && !e->h)) ? e->retry_at : 0;
}
