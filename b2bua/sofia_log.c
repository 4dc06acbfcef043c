/*
 * sofia_log.c - Sofia-SIP's log lines through our logger (sofia_log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/su_log.h>

#include "log.h"
#include "sofia_log.h"
#include "tls_watch.h"

/* Sofia's transport log: exported by libsofia-sip-ua 1.12 but not in its
 * installed headers. A TLS connection it gives up (a certificate that
 * does not verify, "Peer Subject Mismatch (HOST)") is told only there:
 * nta just never hears an answer. */
extern su_log_t tport_log[];

/* Sofia may print one line in pieces. */
struct sofia_line {
	char buf[1024];
	size_t len;
};

static struct sofia_line g_sofia, g_tport;
static struct tls_watch g_watch;
static sofia_log_tls_fn *g_tls_fn;
static void *g_tls_arg;

/* The line once whole (no newline, control characters blanked), else
 * NULL: the rest comes next. line_done() makes room for the next. */
static const char *line_add(struct sofia_line *sl, char const *fmt, va_list ap)
{
	size_t n;

	vsnprintf(sl->buf + sl->len, sizeof(sl->buf) - sl->len, fmt, ap);
	sl->len = strlen(sl->buf);
	if (sl->len + 1 < sizeof(sl->buf) && (!sl->len || sl->buf[sl->len - 1] != '\n'))
		return NULL;
	n = sl->len;
	while (n && (sl->buf[n - 1] == '\n' || sl->buf[n - 1] == '\r'))
		sl->buf[--n] = 0;
	for (char *c = sl->buf; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return sl->buf;
}

static void line_done(struct sofia_line *sl)
{
	sl->len = 0;
	sl->buf[0] = 0;
}

static void sofia_said(void *arg, char const *fmt, va_list ap)
{
	const char *line = line_add(&g_sofia, fmt, ap);

	(void)arg;
	if (!line)
		return;
	if (*line)
		log_warn("sofia: %s", line);
	line_done(&g_sofia);
}

static void tport_said(void *arg, char const *fmt, va_list ap)
{
	const char *line = line_add(&g_tport, fmt, ap);
	char host[256] = "", why[160] = "";

	(void)arg;
	if (!line)
		return;
	if (*line)
		log_warn("sip transport: %s", line);
	if (g_tls_fn && tls_watch_line(&g_watch, line, host, sizeof(host), why, sizeof(why)) != TLS_WATCH_NONE)
		g_tls_fn(g_tls_arg, host, why);
	line_done(&g_tport);
}

static void (*g_default_fn)(void *, char const *, va_list);
static void *g_default_arg;

void sofia_log_default(void (*fn)(void *arg, char const *fmt, va_list ap), void *arg)
{
	g_default_fn = fn;
	g_default_arg = arg;
	su_log_redirect(NULL, fn ? fn : sofia_said, fn ? arg : NULL);
}

void sofia_log_start(sofia_log_tls_fn *tls_fn, void *arg)
{
	sofia_log_default(g_default_fn, g_default_arg);
	if (!tls_fn)
		return;
	g_tls_fn = tls_fn;
	g_tls_arg = arg;
	memset(&g_watch, 0, sizeof(g_watch));
	su_log_redirect(tport_log, tport_said, NULL);
	su_log_init(tport_log);
	if (tport_log->log_level < 3)
		su_log_set_level(tport_log, 3);
}

void sofia_log_stop(void)
{
	su_log_redirect(tport_log, NULL, NULL);
	su_log_redirect(NULL, NULL, NULL);
	g_default_fn = NULL;
	g_default_arg = NULL;
	g_tls_fn = NULL;
	g_tls_arg = NULL;
}
