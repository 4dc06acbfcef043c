/*
 * trunk_reg.h - outbound registration of trunks (trunks.register = 1,
 * RFC 3261 10.2): one registration per trunk, its state, retries and the
 * incoming calls it names.
 *
 * Owns: struct trunk_reg and its entries (copies of what each needs from
 * the policy, so a reload never leaves one dangling). Runs on the SIP
 * thread only. Sees the SIP stack through struct reg_ops (the nua adapter
 * implements it in sip_leg.c; the unit tests a fake), and time only as the
 * `now` it is given (monotonic ms), so every decision is testable.
 *
 * Who refreshes: nua itself, while the handle lives (it re-sends the
 * REGISTER at a random point between 1/4 and 3/4 of the granted time, or
 * 30-60 s before it ends for 90-300 s; a fresh challenge for the realm we
 * answered is answered from its cache). Each 2xx, ours or nua's refresh,
 * moves the entry's deadline; one not refreshed by its deadline has failed
 * and starts again after the backoff.
 *
 * Must not: include Sofia headers, block, or destroy a handle inside the
 * callback that delivered its event (closes wait for the next tick).
 */
#ifndef TRUNK_REG_H
#define TRUNK_REG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "policy.h"

struct trunk_reg;
struct trunk_reg_entry;
struct reg_handle;   /* the adapter's (a nua handle) */

/* What the adapter needs to build the REGISTER (RFC 3261 10.2): To and
 * From are the AOR sip:username@host, the Request-URI the registrar
 * sip:host[:port][;transport=tcp], the Contact sip:username@OUR-ADDRESS. */
struct reg_target {
	const char *trunk;        /* name, for logs */
	const char *host;
	int port;                 /* 0: the transport's default */
	const char *transport;    /* "udp", "tcp" */
	const char *username;     /* AOR and Contact user */
};

/* A response to a REGISTER or un-REGISTER we sent (strings valid during
 * the call only). */
struct reg_response {
	int code;
	const char *phrase;
	int local;                /* made by our own stack (timeout, transport), not received */
	int unregister;           /* it answers an un-REGISTER */
	const char *realm;        /* 401/407: the Digest challenge's realm ("" none) */
	const char *nonce;        /* 401/407: its nonce ("" none or too long) */
	int granted;              /* 2xx: seconds granted to our Contact, -1 when it says none */
	const struct sockaddr *src;   /* where it came from; NULL when local */
};

struct reg_ops {
	/* A handle of its own for entry's registration, or NULL. */
	struct reg_handle *(*open)(void *ctx, struct trunk_reg_entry *owner, const struct reg_target *t);
	/* REGISTER asking for expires seconds (nua refreshes it after a 2xx). */
	void (*send)(struct reg_handle *h, int expires);
	/* Re-sends the challenged request with credentials for realm. */
	void (*authenticate)(struct reg_handle *h, const char *realm, const char *user, const char *password);
	/* REGISTER with Expires: 0 for our Contact. */
	void (*unregister)(struct reg_handle *h);
	/* Destroys the handle (never from within its own event). */
	void (*close)(struct reg_handle *h);
};

struct trunk_reg_config {
	int expires_s;            /* the Expires we ask for */
	int retry_min_s;          /* backoff after the first failure ... */
	int retry_max_s;          /* ... doubling up to this */
	int stop_wait_ms;         /* shutdown and removal: how long an un-REGISTER is awaited */
};

enum trunk_reg_state {
	TRUNK_REG_OFF,            /* register = 0, or a setting that cannot work */
	TRUNK_REG_REGISTERING,    /* REGISTER sent, no 2xx yet */
	TRUNK_REG_REGISTERED,
	TRUNK_REG_FAILED,         /* waiting for the next attempt */
	TRUNK_REG_UNREGISTERING,  /* un-REGISTER sent */
	TRUNK_REG_UNREGISTERED,
};

int trunk_reg_new(struct trunk_reg **out, const struct reg_ops *ops, void *ops_ctx,
		  const struct trunk_reg_config *cfg);
/* Closes every handle still open (no un-REGISTER: see trunk_reg_stop). */
void trunk_reg_free(struct trunk_reg *r);

/* Start-up and every policy reload: trunks with register = 1 that can
 * register start (at the next tick); those gone, no longer registering
 * or changed (host, port, transport, credentials, realm) un-REGISTER and
 * stop (a changed one starts again as new). A register = 1 that cannot
 * work is logged as a warning and shown as off with why. */
void trunk_reg_sync(struct trunk_reg *r, const struct policy *p, int64_t now);
/* Timers: attempts due, deadlines passed, deferred closes. */
void trunk_reg_tick(struct trunk_reg *r, int64_t now);
/* The adapter's event for owner's handle. */
void trunk_reg_on_response(struct trunk_reg *r, struct trunk_reg_entry *owner, const struct reg_response *resp,
			   int64_t now);

/* Shutdown: every registered trunk un-REGISTERs; nothing starts any more. */
void trunk_reg_stop(struct trunk_reg *r, int64_t now);
/* How many un-REGISTERs are still unanswered (and within stop_wait). */
size_t trunk_reg_pending(struct trunk_reg *r, int64_t now);

/* The trunk (id) whose registrar sent an INVITE from src, or 0: only a
 * registered trunk's registrar address (the source of its last 2xx) is
 * matched; among several on that address, the one whose Contact user is
 * ruri_user. A Request-URI alone names nothing (anyone could send it). */
int trunk_reg_match(const struct trunk_reg *r, const struct sockaddr *src, const char *ruri_user);

/* `b2bua-ctl trunks`: " reg STATE ..." for the trunk, appended to its
 * line (see README); wall_now converts deadlines to UTC. Returns the
 * length written (0 when it does not fit). */
size_t trunk_reg_describe(const struct trunk_reg *r, const struct policy_trunk *t, int64_t now, int64_t wall_now,
			  char *buf, size_t cap);
/* What that segment says, as values (trunks json): the one source of
 * both. expires and retry are UTC ("-" when none); last_error "-" when
 * none. */
struct trunk_reg_view {
	enum trunk_reg_state state;
	char expires[48], retry[48];
	char last_error[160];
};
void trunk_reg_view(const struct trunk_reg *r, const struct policy_trunk *t, int64_t now, int64_t wall_now,
		    struct trunk_reg_view *v);

/* The wait before attempt n+1 after n failures in a row (n >= 1):
 * retry_min doubling, at most retry_max. */
int trunk_reg_backoff_s(const struct trunk_reg_config *cfg, int failures);
/* The state of trunk_id's registration, for tests. */
enum trunk_reg_state trunk_reg_state_of(const struct trunk_reg *r, int trunk_id);
/* Its deadline (monotonic ms; 0 when not registered). */
int64_t trunk_reg_expires_at(const struct trunk_reg *r, int trunk_id);
/* Its next attempt (monotonic ms; 0 when none is planned). */
int64_t trunk_reg_retry_at(const struct trunk_reg *r, int trunk_id);
const char *trunk_reg_state_name(enum trunk_reg_state s);

#endif
