/*
 * main.c - the media relay daemon: flags, config, start, stop.
 *
 * Owns: process setup (daemonizing before any thread, with a readiness
 * pipe so the parent exits 1 with the reason when start-up fails; the pid
 * file; signals through a signalfd: SIGTERM/SIGINT stop, SIGHUP is logged
 * and changes nothing, since the relay has no state to reload and calls
 * must not lose their media) and the main thread's loop: signals and a
 * once-a-second tick (ng requests are the ng threads', ng_server.c).
 * Must not do packet work (workers.c) or protocol work (ng_server.c).
 * The only place that exits the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "metrics.h"
#include "ng_server.h"
#include "relay_config.h"
#include "rlog.h"
#include "srtp_ctx.h"
#include "srtp_xform.h"
#include "stream.h"
#include "workers.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: media-relay -c FILE [-f] [-p PIDFILE]\n"
		   "  -c FILE         configuration (INI: [relay] ng, interface = [NAME/]ADDR[!ADV], ...,\n"
		   "                  ports, workers, ng_threads,\n"
		   "                  media_timeout, allow, srtp_transforms = evp|stock; [log] level);\n"
		   "                  required\n"
		   "  -f              stay in the foreground and log to stderr; otherwise\n"
		   "                  become a daemon logging to syslog, once started\n"
		   "  -p PIDFILE      write (and lock) our pid there; removed at exit\n"
		   "  -h, --help      this help\n"
		   "  -V, --version   print the version\n"
		   "Signals: SIGTERM/SIGINT stop cleanly; SIGHUP is logged, changes nothing.\n");
}

static int usage_hint(void)
{
	fprintf(stderr, "usage: media-relay -c FILE [-f] [-p PIDFILE]\n(media-relay --help for help)\n");
	return 2;
}

static int ready_fd = -1;   /* daemon mode: the parent waits on it */

/* Tells the waiting parent "ok" or why start-up failed. */
static void report(const char *msg)
{
	if (ready_fd < 0)
		return;
	if (write(ready_fd, msg, strlen(msg)) < 0)
		(void)0;
	close(ready_fd);
	ready_fd = -1;
}

/* Forks; the parent exits 0 on "ok", else prints what it got and exits 1. */
static int go_background(void)
{
	int p[2], nul;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		char buf[600];
		ssize_t n;
		size_t len = 0;

		close(p[1]);
		while (len + 1 < sizeof(buf) && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
			if (n < 0 && errno != EINTR)
				break;
			if (n > 0)
				len += (size_t)n;
		}
		buf[len] = 0;
		if (strcmp(buf, "ok") == 0)
			_exit(0);
		fprintf(stderr, "media-relay: %s\n", len ? buf : "stopped during start-up (see syslog)");
		_exit(1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0 || (nul = open("/dev/null", O_RDWR)) < 0)
		return -1;
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	if (nul > 2)
		close(nul);
	return 0;
}

/* The pid file, locked for our lifetime: -1 when another relay holds it. */
static int pidfile_open(const char *path, char *err, size_t errlen)
{
	char line[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), n;

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "pid file %s: %s", path,
			 fd < 0 ? strerror(errno) : "locked: another instance is running");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, line, (size_t)n) != n) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *conf = NULL, *pidfile = NULL;
	int foreground = 0, opt, sfd = -1, pid_fd = -1, rc = 1;
	struct relay_config cfg;
	struct workers *w = NULL;
	struct ng_server *ng = NULL;
	struct relay_metrics *metrics = NULL;
	char err[512];
	sigset_t mask;
	int64_t next_tick;

	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};

	while ((opt = getopt_long(argc, argv, "c:fp:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("media-relay %s\n", PROJECT_VERSION);
			return 0;
		default:
			return usage_hint();
		}
	}
	if (!conf || optind != argc)
		return usage_hint();
	if (relay_config_load(&cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!foreground && go_background() < 0) {
		fprintf(stderr, "media-relay: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	rlog_init(cfg.log_level, !foreground);
	signal(SIGPIPE, SIG_IGN);
	/* Blocked before the workers start, so they inherit the mask and
	 * only the signalfd here sees SIGTERM/SIGINT/SIGHUP. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		snprintf(err, sizeof(err), "signalfd: %s", strerror(errno));
		goto fail;
	}
	if (pidfile && (pid_fd = pidfile_open(pidfile, err, sizeof(err))) < 0)
		goto fail;
	/* Before any thread and any SRTP session: the choice is process-global. */
	if (sdes_global_init() < 0) {
		snprintf(err, sizeof(err), "libsrtp init failed");
		goto fail;
	}
	if (xform_install(cfg.srtp_transforms, err, sizeof(err)) < 0)
		goto fail;
	rlog_info("SRTP transforms: %s", xform_name(cfg.srtp_transforms));
	w = workers_new(cfg.workers, err, sizeof(err));
	if (!w)
		goto fail;
	ng = ng_server_new(&cfg, w, err, sizeof(err));
	if (!ng || ng_server_listen(ng, err, sizeof(err)) < 0 ||
	    ng_server_start(ng, cfg.ng_threads, err, sizeof(err)) < 0)
		goto fail;
	if (cfg.metrics_listen[0]) {
		char why[400];

		if (relay_metrics_new(&metrics, cfg.metrics_listen, w, why, sizeof(why)) < 0) {
			snprintf(err, sizeof(err), "[metrics] listen: %s", why);
			goto fail;
		}
		relay_metrics_publish(metrics, ng);
		rlog_info("metrics on http://%s/metrics", cfg.metrics_listen);
	}
	rlog_info("listening for ng on %s:%d (%d ng threads), media ports %d-%d, %d workers, media timeout %ds",
		  cfg.ng_addr, cfg.ng_port, cfg.ng_threads, cfg.port_min, cfg.port_max, cfg.workers,
		  cfg.media_timeout);
	for (int i = 0; i < cfg.niface; i++)
		rlog_info("media interface %s: %s (SDP says %s)", cfg.iface[i].name, cfg.iface[i].addr,
			  cfg.iface[i].advertised);
	report("ok");
	next_tick = stream_now_ms() + 1000;
	for (;;) {
		struct pollfd pf[1] = {{sfd, POLLIN, 0}};
		int64_t now = stream_now_ms();
		int n;

		n = poll(pf, 1, now >= next_tick ? 0 : (int)(next_tick - now));
		if (n < 0 && errno != EINTR) {
			rlog_error("poll: %s", strerror(errno));
			goto out;
		}
		if (n > 0 && (pf[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					rlog_info("SIGHUP: nothing to reload, media-relay keeps running "
						  "(%d calls)", ng_server_calls(ng));
					continue;
				}
				rlog_info("signal %u: stopping", si.ssi_signo);
				break;
			}
		}
		now = stream_now_ms();
		if (now >= next_tick) {
			ng_server_tick(ng, now);
			next_tick = now + 1000;
		}
		relay_metrics_publish(metrics, ng);
	}
	rc = 0;
	goto out;
fail:
	rlog_error("%s", err);
	report(err);
out:
	/* The listener first (it reads the workers' totals), then calls: their
	 * streams go back to the workers, which then stop. */
	relay_metrics_free(metrics);
	ng_server_free(ng);
	workers_free(w);
	if (sfd >= 0)
		close(sfd);
	if (pid_fd >= 0) {
		unlink(pidfile);
		close(pid_fd);
	}
	rlog_close();
	return rc;
}
