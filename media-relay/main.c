/*
 * main.c - the media relay daemon: flags, config, start, stop.
 *
 * Owns: process setup (daemonizing, signals through a signalfd) and the
 * control loop on the main thread: ng requests and a once-a-second tick.
 * Must not do packet work (workers.c) or protocol work (ng_server.c).
 * The only place that exits the process.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "ng_server.h"
#include "relay_config.h"
#include "rlog.h"
#include "stream.h"
#include "workers.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: media-relay -c FILE [-f] [-h]\n"
		   "  -c FILE  configuration (INI: [relay] ng, interface, ports, workers,\n"
		   "           media_timeout; [log] level)\n"
		   "  -f       stay in the foreground and log to stderr\n"
		   "  -h       this help\n");
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	int foreground = 0, opt, sfd = -1, rc = 1;
	struct relay_config cfg;
	struct workers *w = NULL;
	struct ng_server *ng = NULL;
	char err[512];
	sigset_t mask;
	int64_t next_tick;

	while ((opt = getopt(argc, argv, "c:fh")) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!conf || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (relay_config_load(&cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!foreground && daemon(1, 0) < 0) {
		fprintf(stderr, "media-relay: daemon: %s\n", strerror(errno));
		return 1;
	}
	rlog_init(cfg.log_level, !foreground);
	signal(SIGPIPE, SIG_IGN);
	/* Blocked before the workers start, so they inherit the mask and
	 * only the signalfd here sees SIGTERM/SIGINT. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		rlog_error("signalfd: %s", strerror(errno));
		goto out;
	}
	w = workers_new(cfg.workers, err, sizeof(err));
	if (!w) {
		rlog_error("%s", err);
		goto out;
	}
	ng = ng_server_new(&cfg, w, err, sizeof(err));
	if (!ng || ng_server_listen(ng, err, sizeof(err)) < 0) {
		rlog_error("%s", err);
		goto out;
	}
	rlog_info("listening for ng on %s:%d, media on %s ports %d-%d, %d workers, media timeout %ds",
		  cfg.ng_addr, cfg.ng_port, cfg.interface, cfg.port_min, cfg.port_max, cfg.workers,
		  cfg.media_timeout);
	next_tick = stream_now_ms() + 1000;
	for (;;) {
		struct pollfd pf[2] = {{sfd, POLLIN, 0}, {-1, POLLIN, 0}};
		int64_t now = stream_now_ms();
		int n;

		pf[1].fd = ng_server_listen_fd(ng);
		n = poll(pf, 2, now >= next_tick ? 0 : (int)(next_tick - now));
		if (n < 0 && errno != EINTR) {
			rlog_error("poll: %s", strerror(errno));
			goto out;
		}
		if (n > 0 && (pf[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				rlog_info("signal %u: stopping", si.ssi_signo);
				break;
			}
		}
		if (n > 0 && (pf[1].revents & POLLIN))
			ng_server_read(ng);
		now = stream_now_ms();
		if (now >= next_tick) {
			ng_server_tick(ng, now);
			next_tick = now + 1000;
		}
	}
	rc = 0;
out:
	/* Calls first: their streams go back to the workers, which then stop. */
	ng_server_free(ng);
	workers_free(w);
	if (sfd >= 0)
		close(sfd);
	rlog_close();
	return rc;
}
