/*
 * sip_trace.h - one call's SIP messages for support staff (issue 12):
 * [log] sip_trace, b2bua-ctl trace, and HEP3 export ([hep]).
 *
 * Owns: Sofia's default log stream (su_log; its other lines are logged
 * as "sofia: ..." warnings), the parser of the messages Sofia's transport
 * logs there (trace_block.c), the map from each leg's Call-ID to its
 * call's A-leg Call-ID, the trace clients (sockets handed over by the
 * control socket) and the HEP sender. SIP thread only.
 * Costs nothing while off: Sofia logs no message (TPTAG_LOG off) and no
 * leg is mapped unless [log] sip_trace is on, [hep] address is set or a
 * trace client is attached; the first client turns it on, the last one
 * leaving turns it off again.
 * Must not: block (a client that reads too slowly loses messages, told
 * so in its stream, never the loop), resolve names after start, or
 * include <sofia-sip/nua.h> (sip_leg.c drives nua for it: struct
 * sip_trace_ops).
 */
#ifndef SIP_TRACE_H
#define SIP_TRACE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sofia-sip/su_wait.h>
#include "config.h"

#define SIP_TRACE_MAX_CLIENTS 8
#define SIP_TRACE_FILTER 128          /* a Call-ID or number, with its NUL */
#define SIP_TRACE_CLIENT_BUF (256 * 1024)

struct sip_trace;

/* What the SIP stack does for the trace (ctx = the stack). */
struct sip_trace_ops {
	/* Turns Sofia's message log (TPTAG_LOG) on or off on every nua. */
	void (*capture)(void *ctx, int on);
	/* Calls sip_trace_leg() for every live leg (capture just turned on). */
	void (*each_leg)(void *ctx, struct sip_trace *tr);
};

int sip_trace_new(struct sip_trace **out, su_root_t *root, const struct config *cfg, char *err, size_t errlen);
/* The stack is there: capture starts now if [log] sip_trace or [hep] ask. */
void sip_trace_set_ops(struct sip_trace *tr, const struct sip_trace_ops *ops, void *ctx);
/* Closes clients; the stack's log redirection must be gone already. */
void sip_trace_free(struct sip_trace *tr);

/* su_logger_f for su_log_redirect(NULL, ...): arg is the trace. */
void sip_trace_sofia_log(void *arg, char const *fmt, va_list ap);

/* Hooks of the SIP stack (tr may be NULL): leg call_id belongs to the
 * call whose A leg is a_call_id (a new B leg, a leg moved by a transfer);
 * a leg is gone (its Call-ID still maps for a while: retransmissions). */
void sip_trace_leg(struct sip_trace *tr, const char *call_id, const char *a_call_id);
void sip_trace_leg_gone(struct sip_trace *tr, const char *call_id);

/* `trace FILTER`: 0 when a client may attach, else -1 with why in err. */
int sip_trace_check(struct sip_trace *tr, const char *filter, char *err, size_t errlen);
/* A client's socket (the control socket hands it over): it gets "ok",
 * then each matching message until it closes. Takes fd in any case. */
void sip_trace_attach(struct sip_trace *tr, int fd, const char *filter);

/* Periodic work from the main loop's tick (forgets legs long gone). */
void sip_trace_tick(struct sip_trace *tr, int64_t now_ms);
/* Counters for `b2bua-ctl stats`. */
size_t sip_trace_stats(struct sip_trace *tr, char *buf, size_t cap);

/* Exposed for the unit tests: 1 when filter names this message's call
 * (Call-ID of either leg, or a number of its From, To or Request-URI,
 * a leading + ignored). */
struct trace_msg;
int sip_trace_matches(const char *filter, const struct trace_msg *m, const char *a_call_id);

#endif
