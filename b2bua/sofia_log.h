/*
 * sofia_log.h - Sofia-SIP's own log lines through ours.
 *
 * Sofia's lines (nta:, nua:, tport_udp_error: ...) become one line each
 * of our log, at warn (what Sofia logs at its default levels is
 * trouble): "sofia: ..." and, for its transport, "sip transport: ...".
 * The transport's lines are also read for the outgoing TLS connections
 * Sofia gives up without telling nta (tls_watch.h).
 */
#ifndef SOFIA_LOG_H
#define SOFIA_LOG_H

#include <stdarg.h>

/* host: the trunk host Sofia named, or "" when it named none; why: what
 * failed, for the CDR. Called from inside Sofia: only note it. */
typedef void sofia_log_tls_fn(void *arg, const char *host, const char *why);

/* Redirects Sofia's logs to ours. With tls_fn, the transport's lines too,
 * at level 3 at least (the lines tls_watch reads), whatever TPORT_DEBUG
 * says. */
void sofia_log_start(sofia_log_tls_fn *tls_fn, void *arg);
/* Sofia's default log to fn (sip_trace.c reads its message log there,
 * and hands the other lines back to log_warn), or with NULL to ours. */
void sofia_log_default(void (*fn)(void *arg, char const *fmt, va_list ap), void *arg);
/* Gives Sofia its own logging back. */
void sofia_log_stop(void);

#endif
