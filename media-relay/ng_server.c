/*
 * ng_server.c - the ng transport: the control socket, and the cookie
 * cache that makes every request idempotent (a retransmission gets the
 * reply the first copy got, as rtpengine's control_ng.c does).
 *
 * Owns: the socket, the cache (ng_cache.c: every reply kept COOKIE_TTL_MS,
 * within COOKIE_ENTRIES and COOKIE_BYTES), the counters, and the call model it hands requests to
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
#include "ng_cache.h"
#include "ng_commands.h"
#include "ng_server.h"
#include "relay_config.h"
#include "rlog.h"
#include "stream.h"

#define NG_MAX_DGRAM 65536
#define COOKIE_MAX NG_CACHE_COOKIE_MAX
/* Issue 13: a retransmission must find its reply for 30 s at 3,000
 * requests/s (90,000 entries); bounded at 131,072 entries and 128 MiB. */
#define COOKIE_TTL_MS 30000          /* rtpengine keeps replies about as long */
#define COOKIE_ENTRIES 131072
#define COOKIE_BYTES ((size_t)128 << 20)

struct ng_server {
	const struct relay_config *cfg;
	struct calls *calls;
	int fd;
	struct ng_cache *cache;
	struct ng_stats stats;
	int64_t refused_log_ms;          /* refused sources are logged once a second */
	char inbuf[NG_MAX_DGRAM + 1];
	char outbuf[NG_MAX_DGRAM];
};

size_t ng_server_handle(struct ng_server *ng, const char *req, size_t len,
			char *reply, size_t cap, int64_t now_ms)
{
	const char *sp = memchr(req, ' ', len);
	size_t clen, out = 0;
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
	switch (ng_cache_begin(ng->cache, req, clen, now_ms, reply, cap, &out)) {
	case NG_CACHE_REPLY:
		ng->stats.retransmits++;
		return out;
	case NG_CACHE_BUSY:
		/* The first copy is still running: it answers. */
		ng->stats.retransmits++;
		return 0;
	case NG_CACHE_NEW:
		break;
	}
	memset(&r, 0, sizeof(r));
	r.calls = ng->calls;
	r.cfg = ng->cfg;
	r.now_ms = now_ms;
	r.pool = bencode_pool_new();
	if (!r.pool || !(r.reply = bencode_dict(r.pool))) {
		bencode_pool_free(r.pool);
		ng_cache_finish(ng->cache, req, clen, NULL, 0, now_ms);
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
	if (n >= 0 && (size_t)n <= cap - clen - 1)
		out = clen + 1 + (size_t)n;
	ng_cache_finish(ng->cache, req, clen, reply, out, now_ms);
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
	ng->cache = ng_cache_new(COOKIE_ENTRIES, COOKIE_BYTES, COOKIE_TTL_MS);
	if (!ng->cache) {
		snprintf(err, errlen, "out of memory");
		calls_free(ng->calls);
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
	ng_cache_free(ng->cache);
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
	ng_cache_expire(ng->cache, now_ms);
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
