/*
 * main.c - the b2bua daemon: wires config, policy, CDR writer, relay
 * client, SIP stack, call core and control socket around one su_root loop.
 *
 * Owns: process lifetime, signals (sigaction; a self-pipe read on the
 * loop), policy reloads (loaded on a thread of their own, swapped in on
 * the loop) and the shutdown sequence: SIGTERM stops new calls (503), lets
 * calls end for [call] grace seconds, hangs up the rest, flushes CDRs and
 * exits 0. Daemon mode forks first, before any thread (the CDR writer),
 * database or socket exists; the parent returns once start-up is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct app;
#define SU_ROOT_MAGIC_T struct app
#define SU_WAKEUP_ARG_T struct app
#define SU_TIMER_ARG_T struct app
#include <sofia-sip/su_wait.h>

#include "call.h"
#include "cdr_writer.h"
#include "clock.h"
#include "config.h"
#include "control.h"
#include "ctl_lists.h"
#include "daemon.h"
#include "trunk_limits.h"
#include "trunk_probe.h"
#include "log.h"
#include "media_policy.h"
#include "metrics.h"
#include "relay_client.h"
#include "sip_leg.h"
#include "sip_trace.h"
#include "trunk_reg.h"
#include "tls_conf.h"
#include "version.h"

struct app {
	struct config cfg;
	const char *conf;          /* -c FILE, named in start-up errors */
	int allow_empty;           /* --allow-empty: a policy without trunks starts and reloads */
	su_root_t *root;
	struct sip_stack *sip;
	struct relay_client *relay;
	struct cdr_writer *cdr;
	struct limits *limits;
	struct trunk_probe *probe;     /* OPTIONS keepalives, trunk states */
	struct call_core *core;
	struct control *ctl;
	struct metrics *metrics;   /* [metrics] listen, or NULL */
	struct trunk_reg *reg;     /* trunks' outbound registrations */
	struct sip_trace *trace;   /* [log] sip_trace, b2bua-ctl trace, [hep] */
	int sigpipe[2];
	su_wait_t sigwait;
	su_timer_t *tick;
	int sig_reg, reload_reg;   /* su_root registrations of the two pipes */
	int64_t drain_start, hangup_at;
	int stopping;          /* 1 draining, 2 hung up, 3 un-REGISTERing, 4 nua shutting down */
	int64_t last_media_poll;
	int64_t last_trim;
	/* reload */
	int reload_pipe[2];
	su_wait_t reload_wait;
	int reloading;
	struct control_conn *reload_waiter;
};

static int g_sigfd = -1;

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (write(g_sigfd, &b, 1) < 0)
		(void)0;
	errno = saved;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: b2bua -c FILE [-f] [-p PIDFILE] [--allow-empty]\n"
		   "  -c FILE         configuration (INI, see etc/b2bua.conf); required:\n"
		   "                  there is no default file\n"
		   "  -f              stay in the foreground and log to stderr; otherwise\n"
		   "                  become a daemon logging to syslog, once started\n"
		   "  -p PIDFILE      write (and lock) our pid there; removed at exit\n"
		   "  --allow-empty   start and reload with a database that has no trunks\n"
		   "  -h, --help      this help\n"
		   "  -V, --version   print the version\n"
		   "Signals: SIGHUP reloads the policy, SIGTERM/SIGINT stop cleanly.\n");
}

static int usage_hint(void)
{
	fprintf(stderr, "usage: b2bua -c FILE [-f] [-p PIDFILE]\n(b2bua --help for help)\n");
	return 2;
}

/* SIGTERM/SIGINT/SIGHUP go to handler (SIG_DFL to restore); SIGPIPE is
 * ignored: a peer closing a socket is an error return, not our death. */
static void set_signals(void (*handler)(int))
{
	struct sigaction sa;
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = handler;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* A start-up failure: logged, and told to the parent waiting in the
 * terminal (daemon mode). */
static void startup_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void startup_error(const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	daemon_failed(msg);
}

/* A policy without trunks refuses every call: most often [db] path names
 * the wrong file. Refused unless --allow-empty said it is meant. */
static int no_trunks(const struct app *app, const struct policy *p, char *err, size_t len)
{
	if (app->allow_empty || policy_trunk_count(p) > 0)
		return 0;
	snprintf(err, len, "database %s has no trunks (check [db] path in %s, or start with --allow-empty)",
		 app->cfg.db_path, app->conf);
	return -1;
}

/* [db] path before anything creates it: a missing directory, or without
 * --allow-empty a missing file (it would be created empty, with no
 * trunks), is an error naming the key; nothing is created. 0 or -1. */
static int check_db_path(const struct app *app, char *err, size_t len)
{
	char dir[sizeof(app->cfg.db_path)], *slash;
	struct stat st;

	if (stat(app->cfg.db_path, &st) == 0 || errno != ENOENT)
		return 0;   /* there, or a reason cdr_store_prepare_file tells */
	snprintf(dir, sizeof(dir), "%s", app->cfg.db_path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = 0;   /* "/x.db": the directory is "/" */
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, len, "%s: cannot create: its directory does not exist (check [db] path in %s)",
			 app->cfg.db_path, app->conf);
		return -1;
	}
	if (app->allow_empty)
		return 0;
	snprintf(err, len, "%s does not exist: a new database would have no trunks"
		 " (check [db] path in %s, or start with --allow-empty)", app->cfg.db_path, app->conf);
	return -1;
}

/* A policy naming an interface ([sip] listen /NAME) we do not have is
 * refused, at start and on reload. 0 or -1 with err. */
static int policy_fits(const struct config *cfg, const struct policy *p, char *err, size_t errlen)
{
	const char *names[CONFIG_MAX_LISTEN];
	size_t n = 0;

	for (int i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i].name[0])
			names[n++] = cfg->listen[i].name;
	return policy_check_ifaces(p, names, n, err, errlen);
}

/* ---- policy reload: SQL on a thread of its own ---- */

struct reload_result {
	struct policy *p;
	char err[512];
};

static void *reload_thread(void *arg)
{
	struct app *app = arg;
	struct reload_result *r = calloc(1, sizeof(*r));

	if (r && (policy_load(&r->p, app->cfg.db_path, r->err, sizeof(r->err)) != 0 ||
		  policy_fits(&app->cfg, r->p, r->err, sizeof(r->err)) != 0)) {
		policy_unref(r->p);
		r->p = NULL;
	}
	/* A trunk the listeners cannot serve as asked, or no trunk at all
	 * (unless --allow-empty), is refused like a bad row. */
	if (r && r->p && (tls_conf_check_policy(&app->cfg, r->p, r->err, sizeof(r->err)) != 0 ||
			  no_trunks(app, r->p, r->err, sizeof(r->err)) != 0)) {
		policy_unref(r->p);
		r->p = NULL;
	}
	if (write(app->reload_pipe[1], &r, sizeof(r)) != sizeof(r)) {
		if (r && r->p)
			policy_unref(r->p);
		free(r);
	}
	return NULL;
}

static int start_reload(struct app *app)
{
	pthread_t t;

	if (app->reloading)
		return 0;
	if (pthread_create(&t, NULL, reload_thread, app) != 0)
		return -1;
	pthread_detach(t);
	app->reloading = 1;
	return 0;
}

static int on_reload_done(struct app *app, su_wait_t *w, struct app *arg)
{
	struct reload_result *r = NULL;
	char msg[600];
	int ok;

	(void)w;
	(void)arg;
	if (read(app->reload_pipe[0], &r, sizeof(r)) != sizeof(r))
		return 0;
	app->reloading = 0;
	ok = r && r->p;
	if (ok) {
		call_core_set_policy(app->core, r->p);
		sip_stack_policy_changed(app->sip);
		trunk_probe_policy(app->probe, r->p);
		if (app->reg)
			trunk_reg_sync(app->reg, r->p, clock_mono_ms());
		snprintf(msg, sizeof(msg), "policy reloaded: %zu trunks", policy_trunk_count(r->p));
		log_info("%s", msg);
	} else {
		snprintf(msg, sizeof(msg), "reload refused, old policy stays: %s", r ? r->err : "out of memory");
		log_error("%s", msg);
	}
	if (app->reload_waiter) {
		control_reply(app->reload_waiter, ok, msg);
		app->reload_waiter = NULL;
	}
	free(r);
	return 0;
}

/* ---- control commands ---- */

/* A limit as the lists show it: "-" for none (0 in policy). */
static const char *limit_text(int v, char *buf, size_t cap)
{
	if (v <= 0)
		return "-";
	snprintf(buf, cap, "%d", v);
	return buf;
}

#define TRUNKS_HEADER                                                                                  \
	"# NAME HOST:PORT TRANSPORT channels IN-USE/MAX cps NOW/MAX STATE reach STATE options LAST WHEN" \
	" reg STATE expires WHEN retry WHEN last_error WHY\n"

static size_t list_trunks(struct app *app, char *buf, size_t cap)
{
	struct policy *p = call_core_policy(app->core);
	size_t len = (size_t)snprintf(buf, cap, TRUNKS_HEADER);
	int64_t now = clock_mono_ms(), wall = clock_wall_ms();

	for (size_t i = 0; i < policy_trunk_count(p) && len < cap; i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);
		size_t start = len;
		char reach[160], ch[16], cps[16];
		int n;

		trunk_health_describe(trunk_probe_health(app->probe), t->id, reach, sizeof(reach));
		n = snprintf(buf + len, cap - len, "%s %s:%d %s channels %d/%s cps %.1f/%s %s%s", t->name, t->host,
			     t->port, t->transport, limits_channels(app->limits, t->id),
			     limit_text(t->max_channels, ch, sizeof(ch)), limits_cps(app->limits, t->id, now),
			     limit_text(t->max_cps, cps, sizeof(cps)), t->enabled ? "enabled" : "disabled", reach);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += n;
		/* Registration: its own segment, " reg STATE expires T retry T last_error E". */
		len += trunk_reg_describe(app->reg, t, now, wall, buf + len, cap - len);
		if (len + 2 > cap) {
			len = start;
			break;
		}
		buf[len++] = '\n';
		buf[len] = 0;
	}
	return len;
}

/* `trace FILTER`: the control socket's connection becomes a trace client. */
static void on_trace_client(void *arg, int fd, const char *filter)
{
	struct app *app = arg;

	sip_trace_attach(app->trace, fd, filter);
}

static int on_command(void *ctx, struct control_conn *conn, const char *cmd, const char *arg, char *buf,
		      size_t cap, int *async)
{
	struct app *app = ctx;

	int listing = strcmp(cmd, "calls") == 0 || strcmp(cmd, "trunks") == 0 || strcmp(cmd, "relays") == 0 ||
		      strcmp(cmd, "stats") == 0;
	int json = listing && strcmp(arg, "json") == 0;

	/* A list takes one argument, "json" (b2bua-ctl --json): its fields
	 * as JSON, from the views its text is made of (ctl_json.h). */
	if (listing && *arg && !json) {
		snprintf(buf, cap, "%s: unknown argument '%s' (json)", cmd, arg);
		return -1;
	}
	if (strcmp(cmd, "calls") == 0) {
		size_t len;

		if (json)
			return ctl_json_calls(app->core, buf, cap);
		len = (size_t)snprintf(buf, cap, "# CALL-ID STATE CALLER->ROUTED-TO FROM->TO AGE\n");
		if (len < cap && call_core_list(app->core, buf + len, cap - len) == 0)
			snprintf(buf + len, cap - len, "(no calls)\n");
		return 0;
	}
	if (strcmp(cmd, "trunks") == 0) {
		if (json) {
			struct ctl_trunk_src src = {.policy = call_core_policy(app->core),
						    .limits = app->limits,
						    .health = trunk_probe_health(app->probe),
						    .reg = app->reg,
						    .now_ms = clock_mono_ms(),
						    .wall_ms = clock_wall_ms()};

			return ctl_json_trunks(&src, buf, cap);
		}
		list_trunks(app, buf, cap);
		return 0;
	}
	if (strcmp(cmd, "relays") == 0) {
		size_t len;

		if (!app->relay) {
			snprintf(buf, cap, "no [relay] ng configured");
			return -1;
		}
		if (json)
			return ctl_json_relays(app->relay, buf, cap);
		len = (size_t)snprintf(buf, cap, "# RELAY STATE calls N last_answer WHEN last_error WHY\n");
		if (len < cap)
			relay_client_list(app->relay, buf + len, cap - len);
		return 0;
	}
	if (strcmp(cmd, "stats") == 0) {
		struct call_stats st;
		size_t len;

		call_core_stats(app->core, &st);
		len = snprintf(buf, cap,
			       "calls_active %llu\ncalls_attempted %llu\ncalls_answered %llu\n"
			       "calls_failed %llu\ncalls_refused %llu\nleaks_stopped %llu\ncdr_written %llu\n"
			       "cdr_queued %zu\n",
			       (unsigned long long)st.active, (unsigned long long)st.attempts,
			       (unsigned long long)st.answered, (unsigned long long)st.failed,
			       (unsigned long long)st.refused, (unsigned long long)st.leaks,
			       (unsigned long long)cdr_writer_written(app->cdr),
			       cdr_writer_queued(app->cdr));
		if (len < cap)
			len += sip_stack_stats(app->sip, buf + len, cap - len);
		if (len < cap)
			len += sip_trace_stats(app->trace, buf + len, cap - len);
		if (len < cap) {
			uint64_t parses, hits;

			media_policy_parse_stats(&parses, &hits);
			len += (size_t)snprintf(buf + len, cap - len, "sdp_parses %llu\nsdp_parse_hits %llu\n",
						(unsigned long long)parses, (unsigned long long)hits);
		}
		if (len < cap && app->relay)
			relay_client_stats(app->relay, buf + len, cap - len);
		/* The text read whole before the document is copied over it. */
		if (json)
			return ctl_json_stats(buf, app->relay, buf, cap);
		return 0;
	}
	if (strcmp(cmd, "reload") == 0) {
		if (app->reload_waiter) {
			snprintf(buf, cap, "a reload is already in progress");
			return -1;
		}
		if (start_reload(app) != 0) {
			snprintf(buf, cap, "cannot start reload");
			return -1;
		}
		app->reload_waiter = conn;
		*async = 1;
		return 0;
	}
	if (strcmp(cmd, "bans") == 0) {
		sip_stack_bans(app->sip, buf, cap);
		return 0;
	}
	if (strcmp(cmd, "unban") == 0) {
		if (sip_stack_unban(app->sip, arg) != 0) {
			snprintf(buf, cap, "no ban of '%s'", arg);
			return -1;
		}
		snprintf(buf, cap, "unbanned %s", arg);
		return 0;
	}
	if (strcmp(cmd, "trace") == 0) {
		if (sip_trace_check(app->trace, arg, buf, cap) != 0)
			return -1;
		control_handover(conn, on_trace_client, app);
		return 0;
	}
	if (strcmp(cmd, "hangup") == 0) {
		if (!*arg) {
			snprintf(buf, cap, "usage: hangup CALL-ID");
			return -1;
		}
		if (call_core_hangup(app->core, arg) != 0) {
			snprintf(buf, cap, "no call with Call-ID %s", arg);
			return -1;
		}
		snprintf(buf, cap, "hung up %s", arg);
		return 0;
	}
	snprintf(buf, cap, "unknown command '%s' (calls, trunks, relays, stats, reload, hangup ID, bans, unban ADDR, trace CALL-ID|NUMBER)", cmd);
	return -1;
}

/* ---- shutdown and periodic work ---- */

static void on_nua_down(void *arg)
{
	struct app *app = arg;

	su_root_break(app->root);
}

static void on_tick(struct app *app, su_timer_t *t, struct app *arg)
{
	int64_t now = clock_mono_ms();

	(void)t;
	(void)arg;
	sip_stack_tick(app->sip);
	sip_trace_tick(app->trace, now);
	trunk_probe_tick(app->probe);
	if (app->reg)
		trunk_reg_tick(app->reg, now);
	/* What a burst (a flood, a peak hour) freed goes back to the system
	 * instead of staying in malloc's free lists for good. */
	if (now - app->last_trim >= 10000) {
		app->last_trim = now;
		malloc_trim(0);
	}
	if (!app->stopping && app->relay && app->cfg.media_timeout_poll_s > 0 &&
	    now - app->last_media_poll >= app->cfg.media_timeout_poll_s * 1000) {
		app->last_media_poll = now;
		call_core_check_media(app->core);
	}
	if (app->stopping == 1 &&
	    (call_core_count(app->core) == 0 || now - app->drain_start >= app->cfg.grace_s * 1000LL)) {
		if (call_core_count(app->core))
			log_info("grace period over: hanging up %zu call(s)", call_core_count(app->core));
		call_core_hangup_all(app->core);
		app->stopping = 2;
		app->hangup_at = now;
	}
	if (app->stopping == 2 &&
	    ((call_core_count(app->core) == 0 && relay_client_pending(app->relay) == 0) ||
	     now - app->hangup_at >= app->cfg.relay_timeout_ms + 2000)) {
		/* Trunks un-REGISTER before nua goes (bounded: [register] stop_wait_ms). */
		app->stopping = 3;
		trunk_probe_stop(app->probe);   /* its handles go before nua's */
		if (app->reg)
			trunk_reg_stop(app->reg, now);
	}
	if (app->stopping == 3 && (!app->reg || trunk_reg_pending(app->reg, now) == 0)) {
		app->stopping = 4;
		sip_stack_set_reg(app->sip, NULL);
		trunk_reg_free(app->reg);   /* closes their handles: nua waits for none */
		app->reg = NULL;
		if (app->metrics)
			metrics_forget_reg(app->metrics);
		sip_stack_shutdown(app->sip, on_nua_down, app);
	}
}

static void begin_stop(struct app *app)
{
	if (app->stopping) {
		if (app->stopping == 1) {
			/* A second signal: no more grace. */
			app->drain_start = clock_mono_ms() - app->cfg.grace_s * 1000LL;
		}
		return;
	}
	log_info("stopping: refusing new calls, %zu call(s) get %d s to end", call_core_count(app->core),
		 app->cfg.grace_s);
	app->stopping = 1;
	app->drain_start = clock_mono_ms();
	call_core_drain(app->core);
}

static int on_sigpipe(struct app *app, su_wait_t *w, struct app *arg)
{
	unsigned char b;

	(void)w;
	(void)arg;
	while (read(app->sigpipe[0], &b, 1) == 1) {
		if (b == SIGHUP) {
			log_info("SIGHUP: reloading policy");
			start_reload(app);
		} else {
			begin_stop(app);
		}
	}
	return 0;
}

static int make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	return fcntl(p[0], F_SETFL, O_NONBLOCK);
}

static unsigned rnd_fn(void *arg)
{
	(void)arg;
	return (unsigned)random();
}

int main(int argc, char **argv)
{
	struct app app;
	const char *conf = NULL, *pidfile = NULL;
	int fg = 0, opt, rc = 1;
	char err[512];
	struct policy *policy = NULL;
	struct call_env env;

	static const struct option longopts[] = {
		{"allow-empty", no_argument, NULL, 'E'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};

	memset(&app, 0, sizeof(app));
	while ((opt = getopt_long(argc, argv, "c:fp:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'E': app.allow_empty = 1; break;
		case 'c': conf = optarg; break;
		case 'f': fg = 1; break;
		case 'p': pidfile = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("b2bua %s\n", PROJECT_VERSION); return 0;
		default: return usage_hint();
		}
	}
	if (!conf || optind != argc)
		return usage_hint();
	app.conf = conf;
	config_defaults(&app.cfg);
	if (config_load(&app.cfg, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "b2bua: %s\n", err);
		return 1;
	}
	if (!fg && daemon_start("b2bua", err, sizeof(err)) != 0) {
		fprintf(stderr, "b2bua: %s\n", err);
		return 1;
	}
	log_setup("b2bua", app.cfg.log_level, fg);
	srandom((unsigned)clock_wall_ms() ^ (unsigned)getpid());
	set_signals(on_signal);
	if (pidfile && daemon_pidfile(pidfile, err, sizeof(err)) != 0) {
		startup_error("%s", err);
		return 1;
	}
	switch (check_db_path(&app, err, sizeof(err)) ? -1
		: cdr_store_prepare_file(app.cfg.db_path, app.cfg.db_mode, err, sizeof(err))) {
	case -1:
		startup_error("db: %s", err);
		daemon_pidfile_remove();
		return 1;
	case 1:
		log_warn("db: %s", err);
		break;
	}
	if (cdr_writer_start(&app.cdr, app.cfg.db_path, app.cfg.node, err, sizeof(err)) != 0) {
		startup_error("cdr: %s", err);
		daemon_pidfile_remove();
		return 1;
	}
	if (policy_load(&policy, app.cfg.db_path, err, sizeof(err)) != 0 ||
	    policy_fits(&app.cfg, policy, err, sizeof(err)) != 0 ||
	    tls_conf_check_policy(&app.cfg, policy, err, sizeof(err)) != 0 ||
	    no_trunks(&app, policy, err, sizeof(err)) != 0) {
		policy_unref(policy);
		startup_error("policy: %s", err);
		cdr_writer_stop(app.cdr);
		daemon_pidfile_remove();
		return 1;
	}
	if (!policy_trunk_count(policy))
		log_warn("database %s has no trunks (--allow-empty): every call is refused until a reload", app.cfg.db_path);
	su_init();
	app.root = su_root_create(&app);
	if (!app.root) {
		startup_error("cannot create the event loop");
		goto out;
	}
	/* Keep nua on this thread: no hop per event (see shared/peers). */
	su_root_threading(app.root, 0);

	if (app.cfg.nrelays > 0) {
		struct relay_client_opts ro = {.timeout_ms = app.cfg.relay_timeout_ms,
					       .ping_ms = app.cfg.relay_ping_ms,
					       .down_after = app.cfg.relay_down_after};

		if (relay_client_new(&app.relay, app.root, (const char (*)[64])app.cfg.relay, app.cfg.nrelays, &ro,
				     err, sizeof(err)) != 0) {
			startup_error("relay: %s", err);
			goto out;
		}
	}
	if (!app.relay)
		log_warn("no [relay] ng configured: media is NOT anchored, SDP passes unchanged");
	if (sip_stack_new(&app.sip, app.root, &app.cfg, err, sizeof(err)) != 0) {
		startup_error("sip: %s", err);
		goto out;
	}
	if (sip_trace_new(&app.trace, app.root, &app.cfg, err, sizeof(err)) != 0) {
		startup_error("hep: %s", err);
		goto out;
	}
	sip_stack_set_trace(app.sip, app.trace);
	app.limits = limits_new();
	{
		struct health_config hc = {.down_after = app.cfg.down_after, .up_after = app.cfg.up_after};

		if (trunk_probe_new(&app.probe, app.sip, &hc) != 0) {
			startup_error("out of memory");
			goto out;
		}
	}
	memset(&env, 0, sizeof(env));
	env.leg = sip_stack_leg_ops();
	env.leg_ctx = app.sip;
	env.relay = app.relay ? relay_client_ops() : NULL;
	env.relay_ctx = app.relay;
	env.timer = sip_stack_timer_ops();
	env.timer_ctx = app.sip;
	env.limits = limits_ops();
	env.limits_ctx = app.limits;
	env.cdr = cdr_writer_sink;
	env.cdr_attempt = cdr_writer_attempt_sink;
	env.cdr_ctx = app.cdr;
	/* /metrics counts route attempts on their way to the CDR writer. */
	if (app.cfg.metrics_listen[0]) {
		if (metrics_new(&app.metrics, app.root, app.cfg.metrics_listen, app.cdr, err, sizeof(err)) != 0) {
			startup_error("[metrics] listen: %s", err);
			goto out;
		}
		env.cdr = metrics_cdr_sink;
		env.cdr_attempt = metrics_attempt_sink;
		env.cdr_ctx = app.metrics;
	}
	env.node = app.cfg.node;
	env.default_iface = config_default_iface(&app.cfg);
	env.trunk_timeout_ms = app.cfg.trunk_timeout_s * 1000;
	env.no_answer_ms = app.cfg.no_answer_s * 1000;
	env.max_duration_ms = app.cfg.max_duration_s * 1000;
	env.rnd = rnd_fn;
	env.health = trunk_health_ops();
	env.health_ctx = trunk_probe_health(app.probe);
	if (!app.limits || call_core_new(&app.core, &env, policy) != 0) {
		startup_error("out of memory");
		goto out;
	}
	policy = NULL;   /* the core owns it */
	sip_stack_set_core(app.sip, app.core);
	trunk_probe_policy(app.probe, call_core_policy(app.core));
	{
		struct trunk_reg_config rc = {.expires_s = app.cfg.reg_expires_s,
					      .retry_min_s = app.cfg.reg_retry_min_s,
					      .retry_max_s = app.cfg.reg_retry_max_s,
					      .stop_wait_ms = app.cfg.reg_stop_wait_ms};

		if (trunk_reg_new(&app.reg, sip_stack_reg_ops(), app.sip, &rc) != 0) {
			startup_error("out of memory");
			goto out;
		}
		sip_stack_set_reg(app.sip, app.reg);
		trunk_reg_sync(app.reg, call_core_policy(app.core), clock_mono_ms());
	}

	if (app.metrics) {
		struct metrics_sources ms = {.core = app.core, .limits = app.limits,
					     .health = trunk_probe_health(app.probe), .reg = app.reg,
					     .relay = app.relay, .cdr = app.cdr};

		metrics_set_sources(app.metrics, &ms);
	}
	if (app.cfg.control_socket[0]) {
		struct control_handler h = {.command = on_command, .ctx = &app};

		if (control_new(&app.ctl, app.root, app.cfg.control_socket, &h, err, sizeof(err)) != 0) {
			startup_error("%s", err);
			goto out;
		}
	}
	if (make_pipe(app.sigpipe) != 0 || make_pipe(app.reload_pipe) != 0) {
		startup_error("pipe: %s", strerror(errno));
		goto out;
	}
	g_sigfd = app.sigpipe[1];
	su_wait_create(&app.sigwait, app.sigpipe[0], SU_WAIT_IN);
	app.sig_reg = su_root_register(app.root, &app.sigwait, on_sigpipe, &app, 0);
	su_wait_create(&app.reload_wait, app.reload_pipe[0], SU_WAIT_IN);
	app.reload_reg = su_root_register(app.root, &app.reload_wait, on_reload_done, &app, 0);
	app.tick = su_timer_create(su_root_task(app.root), 200);
	su_timer_run(app.tick, on_tick, &app);   /* periodic; set_interval is one-shot */
	app.last_media_poll = clock_mono_ms();

	log_info("b2bua running (node %s, %zu trunks)", app.cfg.node,
		 policy_trunk_count(call_core_policy(app.core)));
	daemon_ready();
	su_root_run(app.root);
	log_info("stopped");
	rc = 0;
out:
	set_signals(SIG_DFL);
	if (app.tick)
		su_timer_destroy(app.tick);
	/* The listener first: no scrape may outlive what it reads. */
	metrics_free(app.metrics);
	control_free(app.ctl);
	/* The relay first: requests still pending complete (the calls they
	 * belong to get their final CDR), then the calls, then SIP. */
	relay_client_free(app.relay);
	if (app.core)
		call_core_free(app.core);
	media_policy_forget();
	trunk_probe_free(app.probe);   /* its handles, while nua still exists */
	/* Registration handles go before nua (never destroyed after it). */
	if (app.sip)
		sip_stack_set_reg(app.sip, NULL);
	trunk_reg_free(app.reg);
	sip_stack_free(app.sip);
	sip_trace_free(app.trace);   /* after the stack: its legs tell it they go */
	limits_free(app.limits);
	if (policy)
		policy_unref(policy);
	if (app.root) {
		if (app.sig_reg > 0)
			su_root_deregister(app.root, app.sig_reg);
		if (app.reload_reg > 0)
			su_root_deregister(app.root, app.reload_reg);
		su_root_destroy(app.root);
	}
	su_deinit();
	if (app.cdr) {
		cdr_writer_stop(app.cdr);
	}
	daemon_pidfile_remove();
	/* A reload thread still running holds nothing we freed but the pipe. */
	return rc;
}
