/*
 * rlog.c - log lines to stderr or syslog.
 *
 * Owns: the level and the sink. Must not allocate or block for long; it is
 * never used per packet (see rlog.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include "rlog.h"

static enum rlog_level g_level = RLOG_INFO;
static int g_syslog;

static const char *const names[] = {"error", "warn", "info", "debug"};

int rlog_level_parse(const char *name, enum rlog_level *out)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, names[i]) == 0) {
			*out = (enum rlog_level)i;
			return 0;
		}
	return -1;
}

void rlog_init(enum rlog_level level, int use_syslog)
{
	g_level = level;
	g_syslog = use_syslog;
	if (use_syslog)
		openlog("media-relay", LOG_PID, LOG_DAEMON);
}

void rlog_close(void)
{
	if (g_syslog)
		closelog();
	g_syslog = 0;
}

int rlog_enabled(enum rlog_level level)
{
	return level <= g_level;
}

void rlog(enum rlog_level level, const char *fmt, ...)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char line[1024];
	va_list ap;

	if (!rlog_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (g_syslog) {
		syslog(prio[level], "%s", line);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld media-relay %s: %s\n", stamp, ts.tv_nsec / 1000000,
			names[level], line);
	}
}
