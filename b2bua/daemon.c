/*
 * daemon.c - daemon mode with a readiness pipe, and the pid file.
 *
 * Owns: the write end of the readiness pipe (child side) and the pid
 * file's descriptor and lock. The parent side never returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "daemon.h"

static int ready_fd = -1;
static int pid_fd = -1;
static char pid_path[256];

static void report(const char *msg)
{
	if (ready_fd < 0)
		return;
	if (write(ready_fd, msg, strlen(msg)) < 0)
		(void)0;   /* the parent is gone: nothing to tell */
	close(ready_fd);
	ready_fd = -1;
}

int daemon_start(const char *name, char *err, size_t errlen)
{
	int p[2], nul;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		snprintf(err, errlen, "cannot daemonize: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		char buf[600];
		ssize_t n;
		size_t len = 0;

		close(p[1]);
		while (len + 1 < sizeof(buf) && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			len += (size_t)n;
		}
		buf[len] = 0;
		if (strcmp(buf, "ok") == 0)
			_exit(0);
		fprintf(stderr, "%s: %s\n", name, len ? buf : "stopped during start-up (see syslog)");
		_exit(1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0 || (nul = open("/dev/null", O_RDWR)) < 0) {
		snprintf(err, errlen, "cannot detach: %s", strerror(errno));
		return -1;
	}
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	if (nul > 2)
		close(nul);
	return 0;
}

void daemon_ready(void)
{
	report("ok");
}

void daemon_failed(const char *msg)
{
	report(msg && *msg && strcmp(msg, "ok") != 0 ? msg : "start-up failed");
}

int daemon_pidfile(const char *path, char *err, size_t errlen)
{
	char line[32];
	int n;

	pid_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (pid_fd < 0) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(pid_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "pid file %s is locked: another instance is running", path);
		close(pid_fd);
		pid_fd = -1;
		return -1;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(pid_fd, 0) != 0 || write(pid_fd, line, (size_t)n) != n) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		close(pid_fd);
		pid_fd = -1;
		return -1;
	}
	snprintf(pid_path, sizeof(pid_path), "%s", path);
	return 0;
}

void daemon_pidfile_remove(void)
{
	if (pid_fd < 0)
		return;
	unlink(pid_path);
	close(pid_fd);
	pid_fd = -1;
}
