/*
 * b2bua_ctl.c - b2bua-ctl, the management and CDR tool for support staff.
 *
 * Owns: the command line, one control-socket round trip (calls, trunks,
 * relays, stats, reload, hangup) and the cdr / cdr summary commands. Control
 * protocol (control.h): write one command line, read "ok" or
 * "error: reason" on the first line, then the body, until the daemon
 * closes. Exit status: 0 ok, 1 the daemon or the query said error,
 * 2 usage error or no connection.
 * route explain lives in ctl_route.c, the socket round trip in
 * ctl_client.c.
 * Must not: include sqlite3.h; the database is reached only through
 * policy/ (cdr_query.h and policy.h read-only, so they work with the
 * daemon up or down; db_init.h for `init`, the one command that writes).
 * -c CONF reads the b2bua's own config (config.c) for [control] socket and
 * [db] path; relative paths are taken from the working directory, as the
 * b2bua takes them from its own. Without -c, the installed config
 * (DEFAULT_CONF, $(CONFDIR)/b2bua.conf of make install) when it exists.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "cdr_query.h"
#include "config.h"
#include "ctl_client.h"
#include "ctl_route.h"
#include "db_init.h"
#include "paths.h"
#include "version.h"

#define DEFAULT_LIMIT 50

static const char *prog = "b2bua-ctl";

/* The commands that go to the daemon, each with its own --help. */
static const struct ctl_command {
	const char *name, *args, *what;
} commands[] = {
	{"calls", " [--json]", "live calls, one line each (--json: one JSON document)"},
	{"trunks", " [--json]", "trunks: host:port, transport, channels in use/max, cps, enabled,\n"
		       "  OPTIONS keepalive state, registration state (--json: one JSON document)"},
	{"relays", " [--json]", "media relays: up/down, calls on each, last answer, last error\n"
		       "  (--json: one JSON document, with each relay's counters)"},
	{"stats", " [--json]", "the daemon's counters (calls, legs, guard, relay ...)\n"
		       "  (--json: one JSON object, numbers as numbers)"},
	{"reload", "", "reload the policy from the database (as SIGHUP does); a bad row\n"
		       "  refuses the reload and the old policy stays"},
	{"hangup", " CALL-ID", "end one call, named by its A or B leg's Call-ID"},
	{"bans", "", "sources banned by the flood guard"},
	{"unban", " ADDR|all", "lift one source's ban, or every ban"},
	{"trace", " CALL-ID|NUMBER [--count N] [--timeout S]",
	 "stream the SIP messages of matching calls as they happen, both legs:\n"
	 "  a call matches by either leg's Call-ID, or by a number of its From, To\n"
	 "  or Request-URI as dialled or as our rules made it (a leading + ignored).\n"
	 "  Each message: a line with the time (UTC), recv|sent, transport, peer and\n"
	 "  the call's A-leg Call-ID, the message indented by three spaces, an empty\n"
	 "  line. Until Ctrl-C; --count N: stop after N messages; --timeout S: stop\n"
	 "  after S seconds (exit 0 either way)"},
};

static const struct ctl_command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static void usage_options(FILE *f)
{
	fprintf(f, "OPTIONS (before COMMAND):\n"
		   "  -c CONF        the b2bua's config: [control] socket and [db] path\n"
		   "                 (relative paths from the working directory); without\n"
		   "                 -c, %s when it exists, else the\n"
		   "                 b2bua's defaults var/b2bua.sock, var/b2bua.db\n"
		   "  -s SOCKET      control socket, overrides any config\n"
		   "  -d DB          database, overrides any config\n"
		   "  -h, --help     this help; COMMAND --help: that command's\n"
		   "  -V, --version  print the version\n", DEFAULT_CONF);
}

/* COMMAND --help for a daemon command. */
static int usage_command(const struct ctl_command *c)
{
	printf("usage: %s [-c CONF] [-s SOCKET] %s%s\n  %s\n"
	       "  (asks the running b2bua over its control socket)\n", prog, c->name, c->args, c->what);
	return 0;
}

static void usage_cdr(FILE *f)
{
	fprintf(f,
		"  cdr [FILTERS] [--attempts] [--limit N] [--format table|csv|json]\n"
		"  cdr summary [--by trunk|day] [FILTERS] [--format table|csv|json]\n"
		"FILTERS:\n"
		"  --from T --to T      start time, from inclusive, to exclusive; T is\n"
		"                       2026-11-25, '2026-11-25 10:00[:00]', 14:00, now, today,\n"
		"                       yesterday, 'yesterday 14:00', or 30m, 1h, 2d, 1w ago\n"
		"  --tz ZONE            read and show times in ZONE (Europe/London ...; default\n"
		"                       $TZ, else UTC; ISO times ending in Z are always UTC)\n"
		"  --wide               never cut table lines at the terminal's width\n"
		"  --number N           caller, callee or routed number; N* starts with N,\n"
		"                       *N ends with N, *N* holds N; spaces, dashes, dots\n"
		"                       and brackets are ignored ('+44 20 7946-0000')\n"
		"  --trunk NAME         inbound or outbound trunk (any case)\n"
		"  --disposition D      answered, busy, no_answer, cancelled, failed,\n"
		"                       in_progress, interrupted\n"
		"  --call-id ID         either leg's Call-ID (ours or the carrier's)\n"
		"  --sip-code N         final SIP code (e.g. 503)\n"
		"  --hangup-by WHO      caller, callee or b2bua\n"
		"  --reason TEXT        reason containing TEXT (any case)\n"
		"  --min-duration S, --max-duration S   answered seconds, bounds included\n"
		"  --limit N            newest N rows (default %d, 0 = all)\n"
		"  --attempts           every route attempt of those calls: trunk, SIP code,\n"
		"                       cause (remote, unreachable, timeout, limits, relay ...)\n",
		DEFAULT_LIMIT);
}

/* cdr --help, cdr summary --help. */
static int usage_cdr_command(void)
{
	printf("usage: %s [-c CONF] [-d DB] cdr [summary] [OPTIONS]\n", prog);
	usage_cdr(stdout);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [-c CONF] [-s SOCKET] [-d DB] COMMAND [ARGS]\n"
		   "COMMANDS (to the daemon, via SOCKET):\n"
		   "  calls | trunks | relays | stats [--json]\n"
		   "  reload | bans | hangup CALL-ID | unban ADDR|all\n"
		   "  trace CALL-ID|NUMBER [--count N] [--timeout S]\n"
		   "COMMANDS (read from DB, daemon up or down):\n"
		   "  route explain NUMBER [--from TRUNK] [--json]\n"
		   "                       how NUMBER would be routed (trunk states from SOCKET)\n"
		   "  init [--db PATH]     create the database, or apply its missing migrations\n", prog);
	usage_cdr(f);
	usage_options(f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(%s --help for help)\n", prog);
	return 2;
}

/* ---- control socket ---- */

/* One command; prints the body. json: the body must be a JSON document
 * (a daemon too old for "json" would answer its table). */
static int control_roundtrip(const char *path, const char *line, int json)
{
	char *body = NULL, err[4096];
	size_t len = 0;
	enum ctl_ask a = ctl_client_ask(path, line, CTL_REPLY_TIMEOUT_S, &body, &len, err, sizeof(err));
	int rc;

	if (a != CTL_ASK_OK) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return a == CTL_ASK_REFUSED ? 1 : 2;
	}
	if (json && (len == 0 || (body[0] != '{' && body[0] != '['))) {
		fprintf(stderr, "%s: %s: the daemon answered no JSON (a b2bua older than --json?)\n", prog, path);
		free(body);
		return 1;
	}
	fwrite(body, 1, len, stdout);
	free(body);
	rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	return rc;
}

/* ---- trace: a stream, not a round trip ---- */

static volatile sig_atomic_t trace_stop;

static void on_trace_signal(int sig)
{
	(void)sig;
	trace_stop = 1;
}

static int connect_socket(const char *path)
{
	char err[512];
	int fd = ctl_client_connect(path, err, sizeof(err));

	if (fd < 0)
		fprintf(stderr, "%s: %s\n", prog, err);
	return fd;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prints the daemon's stream line by line; a message ends with an empty
 * line, which --count counts. 0 when stopped (count, timeout, Ctrl-C),
 * 1 when the daemon said error or went away, 2 no connection. */
static int run_trace(const char *sock, int argc, char **argv)
{
	const char *filter = NULL;
	long count = 0, timeout_s = 0, seen = 0;
	char line[1024], buf[65536];
	size_t len = 0;
	int fd, head = 1, rc = 1;
	long long deadline;
	struct sigaction sa;

	for (int i = 1; i < argc; i++) {
		char *end;

		if ((strcmp(argv[i], "--count") == 0 || strcmp(argv[i], "--timeout") == 0) && i + 1 < argc) {
			long v = strtol(argv[i + 1], &end, 10);

			if (*end || v <= 0 || v > 100000000)
				return usage_error("bad value for %s", argv[i]);
			*(argv[i][2] == 'c' ? &count : &timeout_s) = v;
			i++;
		} else if (argv[i][0] == '-' || filter) {
			return usage_error("usage: trace CALL-ID|NUMBER [--count N] [--timeout S] (at '%s')", argv[i]);
		} else {
			filter = argv[i];
		}
	}
	if (!filter || !*filter || strlen(filter) > 127)
		return usage_error("usage: trace %s [--count N] [--timeout S]", "CALL-ID|NUMBER");
	for (const char *p = filter; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return usage_error("bad %s", "CALL-ID|NUMBER");
	snprintf(line, sizeof(line), "trace %s\n", filter);
	if ((fd = connect_socket(sock)) < 0)
		return 2;
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		fprintf(stderr, "%s: %s: write: %s\n", prog, sock, strerror(errno));
		close(fd);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_trace_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	deadline = timeout_s ? mono_ms() + timeout_s * 1000 : 0;
	while (!trace_stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long wait = deadline ? deadline - mono_ms() : -1;
		ssize_t r;
		char *nl;

		if (deadline && wait <= 0) {
			rc = 0;
			break;
		}
		if (poll(&p, 1, deadline ? (int)(wait > 1000 ? 1000 : wait) : 1000) <= 0)
			continue;
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "%s: %s closed the trace\n", prog, sock);
			break;
		}
		len += (size_t)r;
		while ((nl = memchr(buf, '\n', len)) != NULL || len == sizeof(buf)) {
			size_t n = nl ? (size_t)(nl - buf) + 1 : len;

			if (head) {
				/* "ok", or "error: why" and the daemon closes. */
				head = 0;
				if (strncmp(buf, "ok\n", 3) != 0) {
					fprintf(stderr, "%s: %.*s", prog, (int)n, strncmp(buf, "error: ", 7) == 0 ? buf + 7 : buf);
					close(fd);
					return 1;
				}
			} else {
				fwrite(buf, 1, n, stdout);
				if (n == 1 && count && ++seen >= count) {
					trace_stop = 2;
					break;
				}
			}
			memmove(buf, buf + n, len - n);
			len -= n;
		}
		fflush(stdout);
	}
	if (trace_stop)
		rc = 0;
	fflush(stdout);
	close(fd);
	return rc;
}

static int run_control(const char *sock, int argc, char **argv)
{
	const char *cmd = argv[0];
	char line[1024];

	if (argc == 2 && is_help(argv[1]))
		return usage_command(command_find(cmd));
	if (strcmp(cmd, "trace") == 0)
		return run_trace(sock, argc, argv);
	if (strcmp(cmd, "hangup") == 0 || strcmp(cmd, "unban") == 0) {
		const char *what = cmd[0] == 'h' ? "CALL-ID" : "ADDR|all";

		if (argc != 2)
			return usage_error(cmd[0] == 'h' ? "usage: hangup %s" : "usage: unban %s", what);
		/* One command line: an argument with a line break would smuggle a
		 * second command. */
		for (const char *p = argv[1]; *p; p++)
			if ((unsigned char)*p < 0x21 || *p == 0x7f)
				return usage_error("bad %s", what);
		if (!*argv[1] || strlen(argv[1]) > sizeof(line) - 16)
			return usage_error("bad %s", what);
		snprintf(line, sizeof(line), "%s %s\n", cmd, argv[1]);
	} else {
		int lists = strcmp(cmd, "calls") == 0 || strcmp(cmd, "trunks") == 0 || strcmp(cmd, "relays") == 0 ||
			    strcmp(cmd, "stats") == 0;

		if (lists && argc == 2 && strcmp(argv[1], "--json") == 0) {
			snprintf(line, sizeof(line), "%s json\n", cmd);
			return control_roundtrip(sock, line, 1);
		}
		if (argc != 1)
			return usage_error(lists ? "%s takes only --json" : "%s takes no arguments", cmd);
		snprintf(line, sizeof(line), "%s\n", cmd);
	}
	return control_roundtrip(sock, line, 0);
}

/* ---- cdr ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const dispositions[] = {"answered", "busy", "no_answer", "cancelled", "failed",
					   "in_progress", "interrupted", NULL};

/* "--name value" or "--name=value": 1 when argv[*i] is option name (value
 * in *val, *i advanced), 0 when it is another, -1 when the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/* The zone times are shown and read in: --tz, else $TZ, else UTC (local
 * 0). A name must be one the system knows (glibc would take a misspelt
 * one silently as UTC). 0, or -1 for an unknown name. */
static int zone_use(const char *zone, int *local)
{
	char path[512];

	*local = 0;
	if (!zone) {
		const char *env = getenv("TZ");

		*local = env && *env && strcmp(env, "UTC") && strcmp(env, "UTC0") && strcmp(env, ":UTC");
		tzset();
		return 0;
	}
	if (strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0)
		return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	if (zone[0] == '/' || strstr(zone, "..") || access(path, R_OK) != 0)
		return -1;
	setenv("TZ", zone, 1);
	tzset();
	*local = 1;
	return 0;
}

/* The terminal's width when stdout is one (lines longer are cut at the
 * end, --wide keeps them), else 0: a pipe gets whole lines. */
static int term_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return cols && atoi(cols) > 0 ? atoi(cols) : 0;
}

/* "90", "1.5": seconds, 0 up to a billion. */
static int parse_seconds(const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || *end || !(d >= 0 && d < 1e9))
		return -1;
	*out = d;
	return 0;
}

static int run_cdr(const char *db, int argc, char **argv)
{
	struct cdr_filter f = {.limit = DEFAULT_LIMIT};
	enum cdr_format fmt = CDR_FMT_TABLE;
	enum cdr_group by = CDR_BY_TRUNK;
	int summary = 0, attempts = 0, wide = 0, local = 0, rc;
	const char *from_arg = NULL, *to_arg = NULL, *zone = NULL;
	char from[32], to[32], trunk[64], err[1536];
	long long now = now_ms();
	struct cdr_query *q;
	struct cdr_print pr;
	int i = 1;

	for (int k = 1; k < argc; k++)
		if (is_help(argv[k]))
			return usage_cdr_command();
	if (i < argc && strcmp(argv[i], "summary") == 0) {
		summary = 1;
		i++;
	}
	for (; i < argc; i++) {
		const char *v = NULL;
		int m;

		if ((m = opt_value(argc, argv, &i, "--from", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--from");
			from_arg = v;
		} else if ((m = opt_value(argc, argv, &i, "--to", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--to");
			to_arg = v;
		} else if ((m = opt_value(argc, argv, &i, "--tz", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--tz");
			zone = v;
		} else if (strcmp(argv[i], "--wide") == 0) {
			wide = 1;
		} else if ((m = opt_value(argc, argv, &i, "--number", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--number");
			f.number = v;
		} else if ((m = opt_value(argc, argv, &i, "--trunk", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--trunk");
			f.trunk = v;
		} else if ((m = opt_value(argc, argv, &i, "--disposition", &v)) != 0) {
			int ok = 0;

			if (m < 0)
				return usage_error("%s needs a value", "--disposition");
			for (const char *const *d = dispositions; *d; d++)
				ok |= strcmp(*d, v) == 0;
			if (!ok)
				return usage_error("unknown disposition '%s' (answered, busy, no_answer, "
						   "cancelled, failed, in_progress, interrupted)", v);
			f.disposition = v;
		} else if ((m = opt_value(argc, argv, &i, "--sip-code", &v)) != 0) {
			char *end;
			long l;

			if (m < 0)
				return usage_error("%s needs a value", "--sip-code");
			l = strtol(v, &end, 10);
			if (end == v || *end || l < 100 || l > 699)
				return usage_error("bad SIP code '%s' (100-699)", v);
			f.sip_code = (int)l;
		} else if ((m = opt_value(argc, argv, &i, "--hangup-by", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--hangup-by");
			if (strcmp(v, "caller") && strcmp(v, "callee") && strcmp(v, "b2bua"))
				return usage_error("unknown --hangup-by '%s' (caller, callee, b2bua)", v);
			f.hangup_by = v;
		} else if ((m = opt_value(argc, argv, &i, "--reason", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--reason");
			f.reason = v;
		} else if ((m = opt_value(argc, argv, &i, "--min-duration", &v)) != 0) {
			if (m < 0 || parse_seconds(v, &f.min_duration) != 0)
				return usage_error("--min-duration '%s': seconds", m < 0 ? "" : v);
			f.has_min_duration = 1;
		} else if ((m = opt_value(argc, argv, &i, "--max-duration", &v)) != 0) {
			if (m < 0 || parse_seconds(v, &f.max_duration) != 0)
				return usage_error("--max-duration '%s': seconds", m < 0 ? "" : v);
			f.has_max_duration = 1;
		} else if ((m = opt_value(argc, argv, &i, "--call-id", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--call-id");
			f.call_id = v;
		} else if (strcmp(argv[i], "--attempts") == 0) {
			if (summary)
				return usage_error("%s is for cdr, not cdr summary", "--attempts");
			attempts = 1;
		} else if ((m = opt_value(argc, argv, &i, "--limit", &v)) != 0) {
			char *end;
			long l;

			if (m < 0)
				return usage_error("%s needs a value", "--limit");
			errno = 0;
			l = strtol(v, &end, 10);
			if (errno || end == v || *end || l < 0 || l > 1000000000)
				return usage_error("bad limit '%s'", v);
			f.limit = (int)l;
		} else if ((m = opt_value(argc, argv, &i, "--format", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--format");
			if (cdr_format_parse(v, &fmt) != 0)
				return usage_error("unknown format '%s' (table, csv, json)", v);
		} else if ((m = opt_value(argc, argv, &i, "--by", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "--by");
			if (!summary)
				return usage_error("%s is for cdr summary", "--by");
			if (strcmp(v, "trunk") == 0)
				by = CDR_BY_TRUNK;
			else if (strcmp(v, "day") == 0)
				by = CDR_BY_DAY;
			else
				return usage_error("--by '%s': trunk or day", v);
		} else if ((m = opt_value(argc, argv, &i, "--db", &v)) != 0 ||
			   (m = opt_value(argc, argv, &i, "-d", &v)) != 0) {
			if (m < 0)
				return usage_error("%s needs a value", "-d");
			db = v;
		} else {
			return usage_error("unknown cdr option '%s'", argv[i]);
		}
	}
	if (zone_use(zone, &local) != 0)
		return usage_error("unknown time zone '%s' (a name under /usr/share/zoneinfo, e.g. Europe/London)",
				   zone);
	zone = local ? (zone ? zone : getenv("TZ")) : "UTC";
	if (from_arg && cdr_time_parse_in(from_arg, now, local, from, sizeof(from)) != 0)
		return usage_error("bad time '%s' (2026-11-25, '2026-11-25 14:00', 14:00, today, "
				   "'yesterday 14:00', 2h ...)", from_arg);
	if (to_arg && cdr_time_parse_in(to_arg, now, local, to, sizeof(to)) != 0)
		return usage_error("bad time '%s' (2026-11-25, '2026-11-25 14:00', 14:00, today, "
				   "'yesterday 14:00', 2h ...)", to_arg);
	f.from = from_arg ? from : NULL;
	f.to = to_arg ? to : NULL;
	if (f.from && f.to && strcmp(f.from, f.to) >= 0) {
		fprintf(stderr, "%s: empty time range: --from %s is not before --to %s\n", prog, f.from, f.to);
		return 2;
	}
	if (f.has_min_duration && f.has_max_duration && f.min_duration > f.max_duration)
		return usage_error("%s", "--min-duration is above --max-duration");
	if (cdr_query_open(&q, db, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	if (f.trunk && cdr_query_trunk(q, f.trunk, trunk, sizeof(trunk), err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		cdr_query_close(q);
		return 2;
	}
	if (f.trunk)
		f.trunk = trunk;
	if (summary) {
		cdr_print_begin_summary(&pr, stdout, fmt, by);
		rc = cdr_query_summary(q, &f, by, cdr_print_group, &pr, err, sizeof(err));
	} else if (attempts) {
		cdr_print_begin_attempts(&pr, stdout, fmt);
		cdr_print_table_opts(&pr, wide ? 0 : term_width(), local, zone);
		rc = cdr_query_attempts(q, &f, cdr_print_attempt, &pr, err, sizeof(err));
	} else {
		cdr_print_begin(&pr, stdout, fmt);
		cdr_print_table_opts(&pr, wide ? 0 : term_width(), local, zone);
		rc = cdr_query_list(q, &f, cdr_print_row, &pr, err, sizeof(err));
	}
	if (rc == 0)
		cdr_print_end(&pr);
	cdr_query_close(q);
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
		return 1;
	}
	return 0;
}

/* ---- init ---- */

static int usage_init(void)
{
	printf("usage: %s [-c CONF] [-d DB] init [--db PATH]\n"
	       "  create the policy database at PATH (else -d, else [db] path), or bring\n"
	       "  it up to date: the migrations of sql/ this build carries, as the b2bua\n"
	       "  applies them at start. A new file gets [db] mode (0600 by default).\n"
	       "  Safe to run again (nothing left to do is no error); a file that is not\n"
	       "  a SQLite database is left alone (exit 1). A database without trunks is\n"
	       "  refused by the b2bua unless it starts with --allow-empty: add trunks\n"
	       "  (sqlite3, or scripts/mkdb.sh PATH sql/sample.sql for the demo policy).\n", prog);
	return 0;
}

static int run_init(const char *db, int mode, int argc, char **argv)
{
	struct db_init_result r;
	char err[1024];

	for (int i = 1; i < argc; i++)
		if (is_help(argv[i]))
			return usage_init();
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int m = opt_value(argc, argv, &i, "--db", &v);

		if (m < 0)
			return usage_error("%s needs a value", "--db");
		if (m == 0)
			return usage_error("unknown init option '%s'", argv[i]);
		db = v;
	}
	if (!*db)
		return usage_error("%s", "init: an empty database path");
	if (db_init_file(db, mode, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: init: %s\n", prog, err);
		return 1;
	}
	if (r.created)
		printf("%s: created (mode %04o)\n", db, (unsigned)mode);
	if (r.from == r.to)
		printf("%s: schema version %d, up to date: nothing to do\n", db, r.to);
	else
		printf("%s: applied migrations %d to %d (schema version %d -> %d)\n", db, r.from + 1, r.to, r.from,
		       r.to);
	if (r.to > r.known)
		printf("%s: schema version %d is newer than this b2bua-ctl knows (%d)\n", db, r.to, r.known);
	printf("%s: %lld trunk(s)%s\n", db, r.trunks,
	       r.trunks ? "" : "; the b2bua starts on it only with --allow-empty until trunks are added");
	if (r.warning[0])
		fprintf(stderr, "%s: warning: %s\n", prog, r.warning);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = NULL, *sock = NULL, *db = NULL;
	const char *cmd;
	struct config cfg;
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, "+c:s:d:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s %s\n", prog, PROJECT_VERSION);
			return 0;
		default:
			fprintf(stderr, "(%s --help for help)\n", prog);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* The b2bua's own defaults and parser: what it would use, we use.
	 * Without -c, the installed config when there is one (unless -s and
	 * -d both say everything it would). */
	if (!conf && !(sock && db) && access(DEFAULT_CONF, F_OK) == 0)
		conf = DEFAULT_CONF;
	config_defaults(&cfg);
	if (conf && config_load(&cfg, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	sock = sock ? sock : cfg.control_socket;
	db = db ? db : cfg.db_path;
	cmd = argv[optind];
	if (strcmp(cmd, "cdr") == 0)
		return run_cdr(db, argc - optind, argv + optind);
	if (strcmp(cmd, "route") == 0)
		return ctl_route_main(db, sock, argc - optind, argv + optind);
	if (strcmp(cmd, "init") == 0)
		return run_init(db, cfg.db_mode, argc - optind, argv + optind);
	if (command_find(cmd))
		return run_control(sock, argc - optind, argv + optind);
	if (strcmp(cmd, "help") == 0) {
		if (optind + 1 >= argc) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[optind + 1], "cdr") == 0)
			return usage_cdr_command();
		if (strcmp(argv[optind + 1], "route") == 0)
			return ctl_route_usage(stdout);
		if (strcmp(argv[optind + 1], "init") == 0)
			return usage_init();
		if (command_find(argv[optind + 1]))
			return usage_command(command_find(argv[optind + 1]));
		return usage_error("unknown command '%s'", argv[optind + 1]);
	}
	return usage_error("unknown command '%s'", cmd);
}
