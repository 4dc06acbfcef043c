/*
 * rlog.h - the media relay's log.
 *
 * Owns: the log level and where lines go (stderr in the foreground,
 * syslog as a daemon). Must not be called on the packet path: workers
 * count, the control thread logs.
 * Thread use: rlog_init/rlog_close on the main thread before/after the
 * workers run; rlog() from any thread (one write per line).
 */
#ifndef RLOG_H
#define RLOG_H

enum rlog_level { RLOG_ERROR, RLOG_WARN, RLOG_INFO, RLOG_DEBUG };

/* 0, or -1 when name is not error|warn|info|debug. */
int rlog_level_parse(const char *name, enum rlog_level *out);
void rlog_init(enum rlog_level level, int use_syslog);
void rlog_close(void);
int rlog_enabled(enum rlog_level level);
void rlog(enum rlog_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define rlog_error(...) rlog(RLOG_ERROR, __VA_ARGS__)
#define rlog_warn(...)  rlog(RLOG_WARN, __VA_ARGS__)
#define rlog_info(...)  rlog(RLOG_INFO, __VA_ARGS__)
#define rlog_debug(...) do { if (rlog_enabled(RLOG_DEBUG)) rlog(RLOG_DEBUG, __VA_ARGS__); } while (0)

#endif
