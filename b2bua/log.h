/*
 * log.h - leveled logging for the b2bua process.
 *
 * Owns: the process log level and destination (stderr in the foreground,
 * syslog otherwise). Thread-safe: one write(2)/syslog(3) per line.
 * Must not: be called per packet or per retransmission on a hot path.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* -1 when name is not a level. */
int log_level_parse(const char *name);
void log_setup(const char *ident, int level, int to_stderr);
int log_enabled(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
