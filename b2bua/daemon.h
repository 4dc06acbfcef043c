/*
 * daemon.h - leaving the terminal the way an admin expects: the parent
 * waits until the daemon is ready (exit 0) or failed (its error on
 * stderr, exit 1), and an optional pid file, locked while we run.
 *
 * Owns: the readiness pipe and the pid file of the process. Called from
 * main() only, before any thread, database or socket exists (a forked
 * child would not own a parent's thread, lock or SQLite connection).
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stddef.h>

/* Forks: the parent waits for daemon_ready()/daemon_failed() and exits;
 * 0 in the child (detached, stdio on /dev/null), -1 with err. */
int daemon_start(const char *name, char *err, size_t errlen);
/* Tells a waiting parent that start-up succeeded / failed with msg. */
void daemon_ready(void);
void daemon_failed(const char *msg);
/* Creates and locks path, writes our pid: 0, or -1 with err (another
 * instance holds the lock, or the file cannot be written). */
int daemon_pidfile(const char *path, char *err, size_t errlen);
/* Removes the pid file (clean exit only). */
void daemon_pidfile_remove(void);

#endif
