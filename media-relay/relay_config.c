/*
 * relay_config.c - INI parsing and validation for the media relay.
 *
 * Owns: the mapping of [section] key to struct relay_config fields and
 * the checks on their values. Must not open sockets or start anything:
 * it only reads a file.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "relay_config.h"

struct load_ctx {
	struct relay_config *cfg;
	char msg[200];   /* first error, without the location */
	int failed;
};

int relay_config_hostport(const char *s, char *addr, size_t addrlen, int *port)
{
	const char *colon, *host = s;
	size_t hlen;
	char *end;
	long p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= addrlen)
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
		return -1;
	memcpy(addr, host, hlen);
	addr[hlen] = '\0';
	*port = (int)p;
	return 0;
}

static int valid_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int parse_int(const char *v, long min, long max, long *out);

static int ip_family(const char *s)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1)
		return AF_INET;
	return inet_pton(AF_INET6, s, buf) == 1 ? AF_INET6 : 0;
}

int relay_config_iface_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= RELAY_IFACE_NAME)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

int relay_config_iface(const struct relay_config *cfg, const char *name, int family)
{
	if (!cfg->niface)
		return -1;
	if (!name)
		name = cfg->iface[0].name;
	for (int i = 0; i < cfg->niface; i++)
		if (strcmp(cfg->iface[i].name, name) == 0 &&
		    (family == AF_UNSPEC || cfg->iface[i].family == family))
			return i;
	return -1;
}

int relay_config_has_iface(const struct relay_config *cfg, const char *name)
{
	return relay_config_iface(cfg, name, AF_UNSPEC) >= 0;
}

/* One "[NAME/]ADDR[!ADVERTISED]" into f; the why of a failure in msg. */
static int parse_iface(const char *s, struct relay_iface *f, char *msg, size_t msglen)
{
	const char *slash = strchr(s, '/'), *addr = slash ? slash + 1 : s;
	const char *bang = strchr(addr, '!');
	size_t alen = bang ? (size_t)(bang - addr) : strlen(addr);

	memset(f, 0, sizeof(*f));
	if (slash && !relay_config_iface_name_ok(s, (size_t)(slash - s))) {
		snprintf(msg, msglen, "bad interface name in '%.80s' (1-31 of A-Z a-z 0-9 _ . -)", s);
		return -1;
	}
	snprintf(f->name, sizeof(f->name), "%.*s", slash ? (int)(slash - s) : 7, slash ? s : "default");
	if (alen == 0 || alen >= sizeof(f->addr)) {
		snprintf(msg, msglen, "bad address in '%.80s'", s);
		return -1;
	}
	memcpy(f->addr, addr, alen);
	f->addr[alen] = 0;
	if (bang && strlen(bang + 1) >= sizeof(f->advertised)) {
		snprintf(msg, msglen, "bad advertised address in '%.80s'", s);
		return -1;
	}
	strcpy(f->advertised, bang ? bang + 1 : f->addr);
	f->family = ip_family(f->addr);
	/* The SDP's c= says one family for both (RFC 4566 5.7). */
	if (!f->family || ip_family(f->advertised) != f->family) {
		snprintf(msg, msglen, "'%.80s': expected [NAME/]ADDR[!ADVERTISED], IP addresses of one family", s);
		return -1;
	}
	return 0;
}

/* [relay] interface: a comma-separated list; a name has at most one
 * address per family. */
static int parse_ifaces(struct relay_config *cfg, const char *value, char *msg, size_t msglen)
{
	char buf[2048], *save = NULL;
	int n = 0;

	if (strlen(value) >= sizeof(buf)) {
		snprintf(msg, msglen, "list too long");
		return -1;
	}
	strcpy(buf, value);
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		struct relay_iface *f = &cfg->iface[n];

		if (n == RELAY_MAX_IFACES) {
			snprintf(msg, msglen, "more than %d addresses", RELAY_MAX_IFACES);
			return -1;
		}
		if (parse_iface(t, f, msg, msglen) < 0)
			return -1;
		for (int i = 0; i < n; i++)
			if (strcmp(cfg->iface[i].name, f->name) == 0 && cfg->iface[i].family == f->family) {
				snprintf(msg, msglen, "interface '%s' has two IPv%c addresses", f->name,
					 f->family == AF_INET ? '4' : '6');
				return -1;
			}
		n++;
	}
	if (!n) {
		snprintf(msg, msglen, "no address");
		return -1;
	}
	cfg->niface = n;
	return 0;
}

/* "ADDR" or "ADDR/BITS", IPv4 or IPv6. 0 or -1. */
static int parse_net(const char *s, struct relay_net *n)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	long bits;

	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, s, len);
	addr[len] = 0;
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, addr, n->addr) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, n->addr) == 1)
		n->family = AF_INET6;
	else
		return -1;
	bits = n->family == AF_INET ? 32 : 128;
	if (slash && parse_int(slash + 1, 0, bits, &bits) < 0)
		return -1;
	n->bits = (int)bits;
	return 0;
}

static int parse_allow(struct relay_config *cfg, const char *value)
{
	char buf[1024], *save = NULL;

	if (strlen(value) >= sizeof(buf))
		return -1;
	strcpy(buf, value);
	cfg->nallow = 0;
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (cfg->nallow == RELAY_MAX_ALLOW || parse_net(t, &cfg->allow[cfg->nallow]) < 0)
			return -1;
		cfg->nallow++;
	}
	return cfg->nallow ? 0 : -1;
}

static int net_has(const struct relay_net *n, int family, const unsigned char *a)
{
	int full = n->bits / 8, rest = n->bits % 8;

	if (n->family != family || memcmp(n->addr, a, (size_t)full) != 0)
		return 0;
	return !rest || ((n->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

int relay_config_allows(const struct relay_config *cfg, const struct sockaddr *sa)
{
	const unsigned char *a;
	int family = sa->sa_family;

	if (family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		a = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		/* An IPv4 client of a dual-stack socket (::ffff:a.b.c.d). */
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
			family = AF_INET;
			a += 12;
		}
	} else {
		return 0;
	}
	for (int i = 0; i < cfg->nallow; i++)
		if (net_has(&cfg->allow[i], family, a))
			return 1;
	return 0;
}

static int parse_int(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int fail(struct load_ctx *c, const char *fmt, const char *a, const char *b)
{
	if (!c->failed)
		snprintf(c->msg, sizeof(c->msg), fmt, a, b);
	c->failed = 1;
	return 0;
}

/* inih handler: returns 0 on error so ini_parse reports the line. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	struct relay_config *cfg = c->cfg;
	long n, m;

	if (strcasecmp(section, "relay") == 0) {
		if (strcasecmp(name, "ng") == 0) {
			if (relay_config_hostport(value, cfg->ng_addr, sizeof(cfg->ng_addr), &cfg->ng_port) < 0 ||
			    !valid_ip(cfg->ng_addr))
				return fail(c, "ng: expected ADDR:PORT, got '%s'%s", value, "");
		} else if (strcasecmp(name, "interface") == 0) {
			char why[160];

			if (parse_ifaces(cfg, value, why, sizeof(why)) < 0)
				return fail(c, "interface: %s%s", why, "");
		} else if (strcasecmp(name, "ports") == 0) {
			char lo[16], *dash = strchr(value, '-');

			if (!dash || (size_t)(dash - value) >= sizeof(lo))
				return fail(c, "ports: expected MIN-MAX, got '%s'%s", value, "");
			memcpy(lo, value, (size_t)(dash - value));
			lo[dash - value] = '\0';
			if (parse_int(lo, 1024, 65535, &n) < 0 || parse_int(dash + 1, 1024, 65535, &m) < 0)
				return fail(c, "ports: bounds must be within 1024-65535, got '%s'%s", value, "");
			/* Whole RTP/RTCP pairs: an even RTP port and the odd one above. */
			if (n % 2)
				n++;
			if (m - n < 1)
				return fail(c, "ports: range '%s' holds no even/odd pair%s", value, "");
			cfg->port_min = (int)n;
			cfg->port_max = (int)m;
		} else if (strcasecmp(name, "workers") == 0) {
			if (parse_int(value, 0, 256, &n) < 0)
				return fail(c, "workers: expected 0-256, got '%s'%s", value, "");
			cfg->workers = (int)n;
		} else if (strcasecmp(name, "ng_threads") == 0) {
			if (parse_int(value, 0, RELAY_MAX_NG_THREADS, &n) < 0)
				return fail(c, "ng_threads: expected 0-16, got '%s'%s", value, "");
			cfg->ng_threads = (int)n;
		} else if (strcasecmp(name, "allow") == 0) {
			if (parse_allow(cfg, value) < 0)
				return fail(c, "allow: expected ADDR[/BITS], ... (at most 16), got '%s'%s", value, "");
		} else if (strcasecmp(name, "media_timeout") == 0) {
			if (parse_int(value, 0, 86400, &n) < 0)
				return fail(c, "media_timeout: expected seconds 0-86400, got '%s'%s", value, "");
			cfg->media_timeout = (int)n;
		} else if (strcasecmp(name, "srtp_transforms") == 0) {
			if (xform_parse(value, &cfg->srtp_transforms) < 0)
				return fail(c, "srtp_transforms: expected evp|stock, got '%s'%s", value, "");
		} else {
			return fail(c, "unknown key '%s' in [%s]", name, section);
		}
	} else if (strcasecmp(section, "log") == 0) {
		if (strcasecmp(name, "level") == 0) {
			if (rlog_level_parse(value, &cfg->log_level) < 0)
				return fail(c, "level: expected error|warn|info|debug, got '%s'%s", value, "");
		} else {
			return fail(c, "unknown key '%s' in [%s]", name, section);
		}
	} else if (strcasecmp(section, "metrics") == 0) {
		if (strcasecmp(name, "listen") == 0) {
			if (strlen(value) >= sizeof(cfg->metrics_listen) || (*value && !strrchr(value, ':')))
				return fail(c, "[metrics] listen: expected ADDR:PORT, got '%s'%s", value, "");
			snprintf(cfg->metrics_listen, sizeof(cfg->metrics_listen), "%s", value);
		} else {
			return fail(c, "unknown key '%s' in [%s]", name, section);
		}
	} else {
		return fail(c, "unknown section [%s]%s", section, "");
	}
	return 1;
}

void relay_config_defaults(struct relay_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->ng_addr, "127.0.0.1");
	cfg->ng_port = 2223;
	parse_ifaces(cfg, "127.0.0.1", NULL, 0);
	cfg->port_min = 30000;
	cfg->port_max = 39999;
	cfg->workers = 0;
	cfg->ng_threads = 0;
	cfg->media_timeout = 60;
	cfg->log_level = RLOG_INFO;
	cfg->srtp_transforms = XFORM_EVP;
	parse_allow(cfg, "127.0.0.0/8, ::1");
}

int relay_config_load(struct relay_config *cfg, const char *path, char *err, size_t errlen)
{
	struct load_ctx c = {.cfg = cfg};
	int line;

	relay_config_defaults(cfg);
	line = ini_parse(path, handler, &c);
	if (line == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (line == -2) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line, c.failed ? c.msg : "syntax error");
		return -1;
	}
	if (cfg->workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cfg->workers = n > 0 ? (int)(n > 256 ? 256 : n) : 1;
	}
	if (cfg->ng_threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cfg->ng_threads = n > 0 ? (int)(n > RELAY_MAX_NG_THREADS ? RELAY_MAX_NG_THREADS : n) : 1;
	}
	/* The environment wins so a test can compare both on one file. */
	return xform_from_env(&cfg->srtp_transforms, err, errlen);
}
