/*
 * ng_server.c - the ng transport: the control socket, and the cookie
 * cache that makes every request idempotent (a retransmission gets the
 * reply the first copy got, as rtpengine's control_ng.c does).
 *
 * Owns: the socket, the cache (a ring of COOKIE_SLOTS replies, each kept
 * COOKIE_TTL_MS), the counters, and the call model it hands requests to
 * (calls.c through ng_commands.c). Decodes a datagram, runs its command,
 * encodes and caches the reply. Must not block.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bencode.h"
#include "calls.h"
#include "ng_commands.h"
#include "ng_server.h"
#include "relay_config.h"
#include "rlog.h"
#include "stream.h"

#define NG_MAX_DGRAM 65536
#define COOKIE_MAX 128
#define COOKIE_SLOTS 4096            /* ring: the oldest reply is evicted first */
#define COOKIE_BUCKETS 1024
#define COOKIE_TTL_MS 30000          /* rtpengine keeps replies about as long */

struct cookie_entry {
	char cookie[COOKIE_MAX + 1];
	char *reply;
	size_t len;
	int64_t expires_ms;
	int used;
	struct cookie_entry *hnext;
};

struct ng_server {
	const struct relay_config *cfg;
	struct calls *calls;
	int fd;
	struct cookie_entry cookies[COOKIE_SLOTS];
	struct cookie_entry *cookie_hash[COOKIE_BUCKETS];
	int cookie_next;                 /* ring position of the next slot */
	struct ng_stats stats;
	int64_t refused_log_ms;          /* refused sources are logged once a second */
	char inbuf[NG_MAX_DGRAM + 1];
	char outbuf[NG_MAX_DGRAM];
};

static uint32_t hash_str(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static struct cookie_entry **cookie_bucket(struct ng_server *ng, const char *cookie, size_t n)
{
	return &ng->cookie_hash[hash_str(cookie, n) % COOKIE_BUCKETS];
}

static void cookie_evict(struct ng_server *ng, struct cookie_entry *e)
{
	struct cookie_entry **pp;

	if (!e->used)
		return;
	for (pp = cookie_bucket(ng, e->cookie, strlen(e->cookie)); *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	free(e->reply);
	memset(e, 0, sizeof(*e));
}

static struct cookie_entry *cookie_find(struct ng_server *ng, const char *cookie, size_t n,
					int64_t now_ms)
{
	for (struct cookie_entry *e = *cookie_bucket(ng, cookie, n); e; e = e->hnext)
		if (strlen(e->cookie) == n && memcmp(e->cookie, cookie, n) == 0)
			return e->expires_ms > now_ms ? e : NULL;
	return NULL;
}

static void cookie_store(struct ng_server *ng, const char *cookie, size_t n, const char *reply,
			 size_t len, int64_t now_ms)
{
	struct cookie_entry *e = &ng->cookies[ng->cookie_next], **b;

	if (n > COOKIE_MAX)
		return;
	cookie_evict(ng, e);
	e->reply = malloc(len ? len : 1);
	if (!e->reply)
		return;
	memcpy(e->reply, reply, len);
	e->len = len;
	memcpy(e->cookie, cookie, n);
	e->cookie[n] = '\0';
	e->expires_ms = now_ms + COOKIE_TTL_MS;
	e->used = 1;
	b = cookie_bucket(ng, cookie, n);
	e->hnext = *b;
	*b = e;
	ng->cookie_next = (ng->cookie_next + 1) % COOKIE_SLOTS;
}

size_t ng_server_handle(struct ng_server *ng, const char *req, size_t len,
			char *reply, size_t cap, int64_t now_ms)
{
	const char *sp = memchr(req, ' ', len);
	size_t clen, out = 0;
	struct cookie_entry *e;
	struct ng_req r;
	char derr[100];
	long n;
	int rc = -1;

	ng->stats.requests++;
	/* No cookie, no way to answer: drop and count. */
	if (!sp || sp == req || (clen = (size_t)(sp - req)) > COOKIE_MAX || clen + 64 > cap) {
		ng->stats.dropped++;
		return 0;
	}
	e = cookie_find(ng, req, clen, now_ms);
	if (e) {
		ng->stats.retransmits++;
		if (e->len > cap)
			return 0;
		memcpy(reply, e->reply, e->len);
		return e->len;
	}
	memset(&r, 0, sizeof(r));
	r.calls = ng->calls;
	r.cfg = ng->cfg;
	r.now_ms = now_ms;
	r.pool = bencode_pool_new();
	if (!r.pool || !(r.reply = bencode_dict(r.pool))) {
		bencode_pool_free(r.pool);
		ng->stats.dropped++;
		return 0;
	}
	r.cmd = NG_CMD_OTHER;
	r.d = bencode_decode(r.pool, sp + 1, len - clen - 1, NULL, derr, sizeof(derr));
	if (!r.d)
		snprintf(r.err, sizeof(r.err), "malformed request: %s", derr);
	else
		rc = ng_command_run(&r);
	ng->stats.by_cmd[r.cmd]++;
	if (rc < 0) {
		/* Start over: a half-built reply must not leak into an error. */
		r.reply = bencode_dict(r.pool);
		bencode_dict_add_cstr(r.pool, r.reply, "result", "error");
		bencode_dict_add_cstr(r.pool, r.reply, "error-reason", r.err[0] ? r.err : "error");
		ng->stats.errors++;
		ng->stats.err_by_cmd[r.cmd]++;
		rlog_debug("ng error: %s", r.err);
	}
	memcpy(reply, req, clen);
	reply[clen] = ' ';
	n = bencode_encode(r.reply, reply + clen + 1, cap - clen - 1);
	if (n < 0 || (size_t)n > cap - clen - 1) {
		/* An SDP too big for a datagram: say so instead. */
		struct bencode *d = bencode_dict(r.pool);

		bencode_dict_add_cstr(r.pool, d, "result", "error");
		bencode_dict_add_cstr(r.pool, d, "error-reason", "reply too large");
		n = bencode_encode(d, reply + clen + 1, cap - clen - 1);
	}
	if (n >= 0 && (size_t)n <= cap - clen - 1) {
		out = clen + 1 + (size_t)n;
		cookie_store(ng, req, clen, reply, out, now_ms);
	}
	bencode_pool_free(r.pool);
	return out;
}

struct ng_server *ng_server_new(const struct relay_config *cfg, struct workers *w,
				char *err, size_t errlen)
{
	struct ng_server *ng = calloc(1, sizeof(*ng));

	if (!ng) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ng->cfg = cfg;
	ng->fd = -1;
	ng->calls = calls_new(cfg, w, err, errlen);
	if (!ng->calls) {
		free(ng);
		return NULL;
	}
	return ng;
}

void ng_server_free(struct ng_server *ng)
{
	if (!ng)
		return;
	calls_free(ng->calls);
	for (int i = 0; i < COOKIE_SLOTS; i++)
		free(ng->cookies[i].reply);
	if (ng->fd >= 0)
		close(ng->fd);
	free(ng);
}

int ng_server_listen(struct ng_server *ng, char *err, size_t errlen)
{
	union stream_addr a;
	int fd;

	if (stream_addr_set(&a, ng->cfg->ng_addr, ng->cfg->ng_port) < 0) {
		snprintf(err, errlen, "bad ng address %s", ng->cfg->ng_addr);
		return -1;
	}
	fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, &a.sa, stream_addr_len(&a)) < 0) {
		snprintf(err, errlen, "ng %s:%d: %s", ng->cfg->ng_addr, ng->cfg->ng_port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ng->fd = fd;
	return fd;
}

int ng_server_listen_fd(const struct ng_server *ng)
{
	return ng->fd;
}

/* Counted, and logged at most once a second. */
static void refused(struct ng_server *ng, const struct sockaddr *sa)
{
	int64_t now = stream_now_ms();
	char host[64] = "?";

	ng->stats.refused++;
	if (now - ng->refused_log_ms < 1000)
		return;
	ng->refused_log_ms = now;
	getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host,
		    sizeof(host), NULL, 0, NI_NUMERICHOST);
	rlog_warn("ng request from %s refused: not in [relay] allow (%llu so far)", host,
		  (unsigned long long)ng->stats.refused);
}

void ng_server_read(struct ng_server *ng)
{
	for (;;) {
		union stream_addr from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(ng->fd, ng->inbuf, NG_MAX_DGRAM, 0, &from.sa, &flen);
		size_t out;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		/* Whoever can send ng steers the media of every call: only the
		 * configured b2buas get an answer, or anything at all. */
		if (!relay_config_allows(ng->cfg, &from.sa)) {
			refused(ng, &from.sa);
			continue;
		}
		out = ng_server_handle(ng, ng->inbuf, (size_t)n, ng->outbuf, sizeof(ng->outbuf),
				       stream_now_ms());
		if (out && sendto(ng->fd, ng->outbuf, out, 0, &from.sa, flen) < 0)
			rlog_warn("ng reply: %s", strerror(errno));
	}
}

void ng_server_tick(struct ng_server *ng, int64_t now_ms)
{
	for (int i = 0; i < COOKIE_SLOTS; i++)
		if (ng->cookies[i].used && ng->cookies[i].expires_ms <= now_ms)
			cookie_evict(ng, &ng->cookies[i]);
	calls_expire(ng->calls, now_ms);
}

int ng_server_calls(const struct ng_server *ng)
{
	return calls_count(ng->calls);
}

int ng_server_ports_in_use(const struct ng_server *ng)
{
	return calls_ports_in_use(ng->calls);
}

void ng_server_stats(const struct ng_server *ng, struct ng_stats *out)
{
	*out = ng->stats;
}
