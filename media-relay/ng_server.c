/*
 * ng_server.c - the ng transport: the control socket, the ng threads,
 * and the cookie cache that makes every request idempotent (a
 * retransmission gets the reply the first copy got, as rtpengine's
 * control_ng.c does).
 *
 * Owns: the socket, the ng threads (each reads the socket and answers
 * what it read, with buffers of its own; issue 13: one thread was the
 * relay's limit), the cache (ng_cache.c: every reply kept COOKIE_TTL_MS,
 * within COOKIE_ENTRIES and COOKIE_BYTES), the counters (atomics), and
 * the call model it hands requests to (calls.c through ng_commands.c,
 * locked there). Decodes a datagram, runs its command, encodes and
 * caches the reply. Must not block but on the socket, in its threads.
 */
#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
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
#define NG_STOP_POLL_MS 100          /* an ng thread's receive timeout */
#define NG_RCVBUF (4 << 20)
/* Issue 13: a retransmission must find its reply for 30 s at 3,000
 * requests/s (90,000 entries); bounded at 131,072 entries and 128 MiB. */
#define COOKIE_TTL_MS 30000          /* rtpengine keeps replies about as long */
#define COOKIE_ENTRIES 131072
#define COOKIE_BYTES ((size_t)128 << 20)

struct ng_counters {
	_Atomic uint64_t requests, errors, retransmits, dropped, refused;
	_Atomic uint64_t by_cmd[NG_CMD_COUNT], err_by_cmd[NG_CMD_COUNT];
};

/* One ng thread's buffers. */
struct ng_io {
	char in[NG_MAX_DGRAM + 1];
	char out[NG_MAX_DGRAM];
};

struct ng_server {
	const struct relay_config *cfg;
	struct calls *calls;
	int fd;
	struct ng_cache *cache;
	struct ng_counters stats;
	_Atomic int64_t refused_log_ms;  /* refused sources are logged once a second */
	/* The ng threads; each sees stop within NG_STOP_POLL_MS. */
	pthread_t threads[RELAY_MAX_NG_THREADS];
	int nthreads;
	_Atomic int stop;
	struct ng_io io;                 /* ng_server_read's, on the caller's thread */
	/* What the cache and the calls held at their peak since the last trim. */
	size_t peak_entries;
	int peak_calls;
	int64_t trim_ms;
};

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

size_t ng_server_handle(struct ng_server *ng, const char *req, size_t len,
			char *reply, size_t cap, int64_t now_ms)
{
	const char *sp = memchr(req, ' ', len);
	size_t clen, out = 0;
	struct ng_req r;
	char derr[100];
	long n;
	int rc = -1;

	count(&ng->stats.requests);
	/* No cookie, no way to answer: drop and count. */
	if (!sp || sp == req || (clen = (size_t)(sp - req)) > COOKIE_MAX || clen + 64 > cap) {
		count(&ng->stats.dropped);
		return 0;
	}
	switch (ng_cache_begin(ng->cache, req, clen, now_ms, reply, cap, &out)) {
	case NG_CACHE_REPLY:
		count(&ng->stats.retransmits);
		return out;
	case NG_CACHE_BUSY:
		/* The first copy is still running (another thread): it answers. */
		count(&ng->stats.retransmits);
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
		count(&ng->stats.dropped);
		return 0;
	}
	r.cmd = NG_CMD_OTHER;
	r.d = bencode_decode(r.pool, sp + 1, len - clen - 1, NULL, derr, sizeof(derr));
	if (!r.d)
		snprintf(r.err, sizeof(r.err), "malformed request: %s", derr);
	else
		rc = ng_command_run(&r);
	count(&ng->stats.by_cmd[r.cmd]);
	if (rc < 0) {
		/* Start over: a half-built reply must not leak into an error. */
		r.reply = bencode_dict(r.pool);
		bencode_dict_add_cstr(r.pool, r.reply, "result", "error");
		bencode_dict_add_cstr(r.pool, r.reply, "error-reason", r.err[0] ? r.err : "error");
		count(&ng->stats.errors);
		count(&ng->stats.err_by_cmd[r.cmd]);
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
	ng_server_stop(ng);
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
	/* A burst of requests (a b2bua's call rate, its retransmissions)
	 * waits here while the ng threads are busy: room for thousands,
	 * as net.core.rmem_max allows (the default buffer drops beyond
	 * about a hundred). */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){NG_RCVBUF}, sizeof(int));
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

	int64_t last = atomic_load(&ng->refused_log_ms);

	count(&ng->stats.refused);
	/* One thread wins the second's line. */
	if (now - last < 1000 || !atomic_compare_exchange_strong(&ng->refused_log_ms, &last, now))
		return;
	getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host,
		    sizeof(host), NULL, 0, NI_NUMERICHOST);
	rlog_warn("ng request from %s refused: not in [relay] allow (%llu so far)", host,
		  (unsigned long long)atomic_load(&ng->stats.refused));
}

/* Reads one datagram (flags: MSG_DONTWAIT, or 0 to wait up to the
 * socket's timeout) and answers it. 1 when one came, 0 when none, -1
 * when the socket failed. */
static int read_one(struct ng_server *ng, struct ng_io *io, int flags)
{
	union stream_addr from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(ng->fd, io->in, NG_MAX_DGRAM, flags, &from.sa, &flen);
	size_t out;

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	/* Whoever can send ng steers the media of every call: only the
	 * configured b2buas get an answer, or anything at all. */
	if (!relay_config_allows(ng->cfg, &from.sa)) {
		refused(ng, &from.sa);
		return 1;
	}
	out = ng_server_handle(ng, io->in, (size_t)n, io->out, sizeof(io->out), stream_now_ms());
	if (out && sendto(ng->fd, io->out, out, 0, &from.sa, flen) < 0)
		rlog_warn("ng reply: %s", strerror(errno));
	return 1;
}

void ng_server_read(struct ng_server *ng)
{
	while (read_one(ng, &ng->io, MSG_DONTWAIT) > 0)
		;
}

/* An ng thread. The socket is shared and read blocking: the kernel
 * wakes one waiting reader per datagram (no thundering herd, as poll
 * on a shared socket would have); the receive timeout lets it see the
 * stop. */
static void *ng_thread(void *arg)
{
	struct ng_server *ng = arg;
	struct ng_io *io = malloc(sizeof(*io));

	if (!io) {
		rlog_error("ng thread: out of memory");
		return NULL;
	}
	while (!atomic_load_explicit(&ng->stop, memory_order_relaxed))
		if (read_one(ng, io, 0) < 0) {
			rlog_error("ng socket: %s", strerror(errno));
			break;
		}
	free(io);
	return NULL;
}

int ng_server_start(struct ng_server *ng, int nthreads, char *err, size_t errlen)
{
	struct timeval tv = {0, NG_STOP_POLL_MS * 1000};
	sigset_t all, old;
	int fl;

	if (ng->fd < 0 || ng->nthreads || nthreads < 1 || nthreads > RELAY_MAX_NG_THREADS) {
		snprintf(err, errlen, "ng threads: bad start");
		return -1;
	}
	if ((fl = fcntl(ng->fd, F_GETFL)) < 0 || fcntl(ng->fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(ng->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		snprintf(err, errlen, "ng socket: %s", strerror(errno));
		return -1;
	}
	atomic_store(&ng->stop, 0);
	/* Signals belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&ng->threads[i], NULL, ng_thread, ng) != 0) {
			snprintf(err, errlen, "ng thread %d: cannot start", i);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			ng_server_stop(ng);
			return -1;
		}
		ng->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void ng_server_stop(struct ng_server *ng)
{
	atomic_store(&ng->stop, 1);
	for (int i = 0; i < ng->nthreads; i++)
		pthread_join(ng->threads[i], NULL);
	ng->nthreads = 0;
}

/* Memory freed after a peak (30 s of cached replies, deleted calls)
 * goes back to the kernel. glibc returns a thread arena's free pages only
 * when asked: after 9,000 calls at 300/s the relay stayed at 33 MB RSS
 * where it started at 11 MB; trimmed, 13 MB. Asked once the cache has
 * TRIM_ENTRIES fewer replies, or there are TRIM_CALLS fewer calls, than
 * at their peak since the last trim; at most every TRIM_EVERY_MS (it
 * walks every arena's free lists, holding each arena's lock: 1.4 ms after
 * 18,000 cached replies here). */
#define TRIM_ENTRIES 10000
#define TRIM_CALLS 1000
#define TRIM_EVERY_MS 10000

static void trim_after_peak(struct ng_server *ng, int64_t now_ms)
{
	struct ng_cache_stats cs;
	struct timespec t0, t1;
	int calls = calls_count(ng->calls);

	ng_cache_stats(ng->cache, &cs);
	if (cs.entries > ng->peak_entries)
		ng->peak_entries = cs.entries;
	if (calls > ng->peak_calls)
		ng->peak_calls = calls;
	if ((ng->peak_entries - cs.entries < TRIM_ENTRIES && ng->peak_calls - calls < TRIM_CALLS) ||
	    now_ms - ng->trim_ms < TRIM_EVERY_MS)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	malloc_trim(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rlog_debug("freed memory returned to the kernel in %ld us (peak %zu cached replies, %d calls; now %zu, %d)",
		   (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000), ng->peak_entries,
		   ng->peak_calls, cs.entries, calls);
	ng->trim_ms = now_ms;
	ng->peak_entries = cs.entries;
	ng->peak_calls = calls;
}

void ng_server_tick(struct ng_server *ng, int64_t now_ms)
{
	ng_cache_expire(ng->cache, now_ms);
	calls_expire(ng->calls, now_ms);
	trim_after_peak(ng, now_ms);
}

int ng_server_calls(const struct ng_server *ng)
{
	return calls_count(ng->calls);
}

int ng_server_ports_in_use(const struct ng_server *ng)
{
	return calls_ports_in_use(ng->calls);
}

void ng_server_stats(struct ng_server *ng, struct ng_stats *out)
{
	out->requests = atomic_load(&ng->stats.requests);
	out->errors = atomic_load(&ng->stats.errors);
	out->retransmits = atomic_load(&ng->stats.retransmits);
	out->dropped = atomic_load(&ng->stats.dropped);
	out->refused = atomic_load(&ng->stats.refused);
	for (int i = 0; i < NG_CMD_COUNT; i++) {
		out->by_cmd[i] = atomic_load(&ng->stats.by_cmd[i]);
		out->err_by_cmd[i] = atomic_load(&ng->stats.err_by_cmd[i]);
	}
}
