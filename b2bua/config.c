/*
 * config.c - reads etc/b2bua.conf with libinih into struct config.
 * Every key is checked; the first bad one stops the load with file:line.
 */
#include <ctype.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "log.h"

struct load_ctx {
	struct config *c;
	const char *path;
	char *err;
	size_t errlen;
	FILE *f;
	int line;
	int failed;     /* line of the first error, 0 = none */
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	config_parse_listen(&c->listen[0], "udp:127.0.0.1:5060");
	c->nlisten = 1;
	snprintf(c->db_path, sizeof(c->db_path), "var/b2bua.db");
	c->db_mode = 0600;
	snprintf(c->relay[0], sizeof(c->relay[0]), "127.0.0.1:2223");
	c->nrelays = 1;
	c->relay_timeout_ms = 2000;
	c->relay_ping_ms = 1000;
	c->relay_down_after = 3;
	snprintf(c->control_socket, sizeof(c->control_socket), "var/b2bua.sock");
	c->log_level = LOG_LVL_INFO;
	c->hep_capture_id = 1;
	if (gethostname(c->node, sizeof(c->node) - 1) != 0)
		snprintf(c->node, sizeof(c->node), "b2bua");
	c->trunk_timeout_s = 5;
	c->no_answer_s = 90;
	c->max_duration_s = 14400;
	c->session_expires_s = 1800;   /* RFC 4028 4: the recommended default */
	c->min_se_s = 90;               /* RFC 4028 4: the smallest allowed */
	c->grace_s = 30;
	c->media_timeout_poll_s = 10;
	c->rate_limit_pps = 200;
	c->ban_after = 200;
	c->ban_time_s = 600;
	c->down_after = 2;
	c->up_after = 2;
	c->reg_expires_s = 3600;
	c->reg_retry_min_s = 30;
	c->reg_retry_max_s = 600;
	c->reg_stop_wait_ms = 2000;
	c->tls_verify = 1;
}

int config_listens_on(const struct config *c, const char *proto)
{
	for (int i = 0; i < c->nlisten; i++)
		if (strcmp(c->listen[i].proto, proto) == 0)
			return 1;
	return 0;
}

int config_parse_listen(struct config_listen *l, const char *s)
{
	const char *p = strchr(s, ':'), *port;
	size_t n;
	char *end;
	long v;

	if (!p || (size_t)(p - s) >= sizeof(l->proto))
		return -1;
	memcpy(l->proto, s, p - s);
	l->proto[p - s] = 0;
	if (strcmp(l->proto, "udp") && strcmp(l->proto, "tcp") && strcmp(l->proto, "tls"))
		return -1;
	p++;
	if (*p == '[') {
		const char *e = strchr(p, ']');

		if (!e || e[1] != ':')
			return -1;
		n = e - p - 1;
		port = e + 2;
		p++;
	} else {
		const char *e = strrchr(p, ':');

		if (!e)
			return -1;
		n = e - p;
		port = e + 1;
	}
	if (n == 0 || n >= sizeof(l->host))
		return -1;
	memcpy(l->host, p, n);
	l->host[n] = 0;
	v = strtol(port, &end, 10);
	if ((*end && *end != '/' && *end != '!') || end == port || v <= 0 || v > 65535)
		return -1;
	l->port = (int)v;
	l->name[0] = l->advertise[0] = 0;
	if (*end == '/') {
		size_t len = strcspn(end + 1, "!");

		if (len == 0 || len >= sizeof(l->name))
			return -1;
		for (size_t i = 1; i <= len; i++)
			if (!isalnum((unsigned char)end[i]) && end[i] != '_' && end[i] != '.' && end[i] != '-')
				return -1;
		memcpy(l->name, end + 1, len);
		l->name[len] = 0;
		end += 1 + len;
	}
	if (*end == '!') {
		/* An address (IPv4, or IPv6 without brackets) or a host name. */
		size_t len = strlen(end + 1);

		if (len == 0 || len >= sizeof(l->advertise) || strspn(end + 1, "0123456789abcdefABCDEF.:-"
						"ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") != len)
			return -1;
		memcpy(l->advertise, end + 1, len + 1);
	}
	return 0;
}

const char *config_default_iface(const struct config *c)
{
	return c->nlisten ? c->listen[0].name : "";
}

int config_has_iface(const struct config *c, const char *name)
{
	for (int i = 0; i < c->nlisten; i++)
		if (strcmp(c->listen[i].name, name) == 0)
			return 1;
	return 0;
}

static int fail(struct load_ctx *x, const char *fmt, const char *a, const char *b)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, a, b ? b : "");
	msg[sizeof(msg) - 1] = 0;
	snprintf(x->err, x->errlen, "%s:%d: %s", x->path, x->line, msg);
	x->failed = x->line;
	return 0;
}

static int set_int(struct load_ctx *x, int *out, const char *key, const char *v, int lo, int hi)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < lo || n > hi)
		return fail(x, "%s: not a number in range: '%s'", key, v);
	*out = (int)n;
	return 1;
}

static int set_str(struct load_ctx *x, char *out, size_t cap, const char *key, const char *v)
{
	if (strlen(v) >= cap)
		return fail(x, "%s: value too long: '%.40s...'", key, v);
	snprintf(out, cap, "%s", v);
	return 1;
}

/* Splits a comma-separated list; fn is called per trimmed item. */
static int each_item(struct load_ctx *x, const char *key, const char *v,
		     int (*fn)(struct load_ctx *, const char *, const char *))
{
	char buf[1024], *save = NULL, *tok;

	if (set_str(x, buf, sizeof(buf), key, v) == 0)
		return 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = 0;
		if (*tok && !fn(x, key, tok))
			return 0;
	}
	return 1;
}

static int add_listen(struct load_ctx *x, const char *key, const char *item)
{
	struct config *c = x->c;

	if (c->nlisten == CONFIG_MAX_LISTEN)
		return fail(x, "%s: too many addresses at '%s'", key, item);
	struct config_listen *l = &c->listen[c->nlisten];

	if (config_parse_listen(l, item) != 0)
		return fail(x, "%s: expected udp|tcp|tls:ADDR:PORT[/NAME], got '%s'", key, item);
	/* One SIP stack per address and port serves its transports: one name. */
	for (int i = 0; i < c->nlisten; i++)
		if (strcmp(c->listen[i].host, l->host) == 0 && c->listen[i].port == l->port &&
		    (strcmp(c->listen[i].name, l->name) != 0 || strcmp(c->listen[i].advertise, l->advertise) != 0))
			return fail(x, "%s: '%s' names or advertises an address already named otherwise", key, item);
	c->nlisten++;
	return 1;
}

static int add_relay(struct load_ctx *x, const char *key, const char *item)
{
	struct config *c = x->c;

	if (c->nrelays == CONFIG_MAX_RELAYS)
		return fail(x, "%s: too many relays at '%s'", key, item);
	if (!strrchr(item, ':'))
		return fail(x, "%s: expected ADDR:PORT, got '%s'", key, item);
	return set_str(x, c->relay[c->nrelays++], sizeof(c->relay[0]), key, item);
}

static int on_kv(void *user, const char *section, const char *key, const char *v)
{
	struct load_ctx *x = user;
	struct config *c = x->c;

	if (x->failed)
		return 0;
#define IS(s, k) (strcmp(section, s) == 0 && strcmp(key, k) == 0)
	if (IS("sip", "listen")) {
		c->nlisten = 0;
		if (!each_item(x, key, v, add_listen))
			return 0;
		return c->nlisten ? 1 : fail(x, "%s: no address in '%s'", key, v);
	}
	if (IS("sip", "advertise"))
		return set_str(x, c->advertise, sizeof(c->advertise), key, v);
	if (IS("sip", "user_agent"))
		return set_str(x, c->user_agent, sizeof(c->user_agent), key, v);
	if (IS("sip", "rate_limit"))
		return set_int(x, &c->rate_limit_pps, key, v, 0, 1000000);
	if (IS("sip", "ban_after"))
		return set_int(x, &c->ban_after, key, v, 0, 1000000);
	if (IS("sip", "ban_time"))
		return set_int(x, &c->ban_time_s, key, v, 1, 86400 * 30);
	if (IS("sip", "strangers")) {
		if (strcmp(v, "reject") != 0 && strcmp(v, "drop") != 0)
			return fail(x, "%s: expected reject|drop, got '%s'", key, v);
		c->drop_strangers = strcmp(v, "drop") == 0;
		return 1;
	}
	if (IS("db", "path"))
		return set_str(x, c->db_path, sizeof(c->db_path), key, v);
	if (IS("db", "mode")) {
		/* Call records and trunk passwords: never for every user. */
		if (strcmp(v, "0600") != 0 && strcmp(v, "0640") != 0)
			return fail(x, "%s: expected 0600|0640, got '%s'", key, v);
		c->db_mode = strcmp(v, "0640") == 0 ? 0640 : 0600;
		return 1;
	}
	if (IS("relay", "ng")) {
		c->nrelays = 0;
		return each_item(x, key, v, add_relay);
	}
	if (IS("relay", "timeout_ms"))
		return set_int(x, &c->relay_timeout_ms, key, v, 100, 60000);
	if (IS("relay", "ping_ms"))
		return set_int(x, &c->relay_ping_ms, key, v, 100, 60000);
	if (IS("relay", "down_after"))
		return set_int(x, &c->relay_down_after, key, v, 1, 100);
	if (IS("relay", "media_poll"))
		return set_int(x, &c->media_timeout_poll_s, key, v, 0, 3600);
	if (IS("register", "expires"))
		return set_int(x, &c->reg_expires_s, key, v, 60, 86400);
	if (IS("register", "retry_min"))
		return set_int(x, &c->reg_retry_min_s, key, v, 1, 3600);
	if (IS("register", "retry_max"))
		return set_int(x, &c->reg_retry_max_s, key, v, 1, 86400);
	if (IS("register", "stop_wait_ms"))
		return set_int(x, &c->reg_stop_wait_ms, key, v, 0, 30000);
	if (IS("control", "socket"))
		return set_str(x, c->control_socket, sizeof(c->control_socket), key, v);
	if (IS("metrics", "listen")) {
		if (*v && !strrchr(v, ':'))
			return fail(x, "%s: expected ADDR:PORT, got '%s'", "[metrics] listen", v);
		return set_str(x, c->metrics_listen, sizeof(c->metrics_listen), "[metrics] listen", v);
	}
	if (IS("log", "level")) {
		int l = log_level_parse(v);

		if (l < 0)
			return fail(x, "%s: expected error|warn|info|debug, got '%s'", key, v);
		c->log_level = l;
		return 1;
	}
	if (IS("log", "sip_trace")) {
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return fail(x, "%s: expected on|off, got '%s'", key, v);
		c->sip_trace = strcmp(v, "on") == 0;
		return 1;
	}
	if (IS("hep", "address")) {
		if (*v && (!strrchr(v, ':') || strrchr(v, ':') == v || !strrchr(v, ':')[1]))
			return fail(x, "%s: expected HOST:PORT, got '%s'", key, v);
		return set_str(x, c->hep_address, sizeof(c->hep_address), key, v);
	}
	if (IS("hep", "capture_id")) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);

		if (!*v || *end || *v == '-' || n > 0xffffffffUL)
			return fail(x, "%s: not a number in range: '%s'", key, v);
		c->hep_capture_id = (unsigned)n;
		return 1;
	}
	if (IS("hep", "password"))
		return set_str(x, c->hep_password, sizeof(c->hep_password), key, v);
	if (IS("cdr", "node"))
		return set_str(x, c->node, sizeof(c->node), key, v);
	if (IS("call", "trunk_timeout"))
		return set_int(x, &c->trunk_timeout_s, key, v, 1, 300);
	if (IS("call", "no_answer"))
		return set_int(x, &c->no_answer_s, key, v, 1, 3600);
	if (IS("call", "max_duration"))
		return set_int(x, &c->max_duration_s, key, v, 0, 7 * 86400);
	if (IS("call", "session_expires"))
		return set_int(x, &c->session_expires_s, key, v, 0, 86400);
	if (IS("call", "min_se"))
		return set_int(x, &c->min_se_s, key, v, 90, 86400);
	if (IS("call", "grace"))
		return set_int(x, &c->grace_s, key, v, 0, 86400);
	if (IS("tls", "cert"))
		return set_str(x, c->tls_cert, sizeof(c->tls_cert), key, v);
	if (IS("tls", "key"))
		return set_str(x, c->tls_key, sizeof(c->tls_key), key, v);
	if (IS("tls", "ca"))
		return set_str(x, c->tls_ca, sizeof(c->tls_ca), key, v);
	if (IS("tls", "verify")) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return fail(x, "%s: expected yes|no, got '%s'", key, v);
		c->tls_verify = strcmp(v, "yes") == 0;
		return 1;
	}
	if (IS("trunks", "down_after"))
		return set_int(x, &c->down_after, key, v, 1, 100);
	if (IS("trunks", "up_after"))
		return set_int(x, &c->up_after, key, v, 1, 100);
#undef IS
	return fail(x, "unknown key '%s' in section [%s]", key, section);
}

/* libinih as Debian builds it does not pass line numbers: count them in
 * the reader so errors can say file:line. It also reads into a fixed
 * buffer and would parse the rest of a longer line as a line of its own:
 * such a line is refused here instead of being cut silently. */
static char *read_line(char *buf, int size, void *stream)
{
	struct load_ctx *x = stream;
	char *s = fgets(buf, size, x->f);
	int ch;

	if (!s)
		return NULL;
	x->line++;
	if (!strchr(s, '\n') && !feof(x->f)) {
		while ((ch = fgetc(x->f)) != EOF && ch != '\n')
			;
		if (!x->failed) {
			char max[16];

			snprintf(max, sizeof(max), "%d", size - 2);
			fail(x, "line too long (at most %s characters)%s", max, NULL);
		}
		return NULL;   /* stop parsing: the error is reported */
	}
	return s;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	struct load_ctx x = {.c = c, .path = path, .err = err, .errlen = errlen};
	int rc;

	x.f = fopen(path, "r");
	if (!x.f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	rc = ini_parse_stream(read_line, &x, on_kv, &x);
	fclose(x.f);

	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	/* inih goes on after a syntax error: the earlier error is the one. */
	if (x.failed && (rc <= 0 || x.failed <= rc))
		return -1;
	if (rc > 0) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		return -1;
	}
	if (c->reg_retry_max_s < c->reg_retry_min_s) {
		snprintf(err, errlen, "%s: [register] retry_max %d is below retry_min %d", path, c->reg_retry_max_s,
			 c->reg_retry_min_s);
		return -1;
	}
	/* What the files hold is tls_conf.c's to check; here, that they are named. */
	if (config_listens_on(c, "tls") && (!c->tls_cert[0] || !c->tls_key[0])) {
		snprintf(err, errlen, "%s: [tls] cert and key are needed for a tls: listen address", path);
		return -1;
	}
	/* RFC 4028 4: we would refuse our own offer with 422. */
	if (c->session_expires_s && c->session_expires_s < c->min_se_s) {
		snprintf(err, errlen, "%s: [call] session_expires %d is below min_se %d", path, c->session_expires_s,
			 c->min_se_s);
		return -1;
	}
	return 0;
}
