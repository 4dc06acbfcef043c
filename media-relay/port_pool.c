/*
 * port_pool.c - a bitmap of RTP/RTCP port pairs, and a ring of pairs
 * bound ahead by a refill thread.
 *
 * Owns: the bitmap, the round-robin cursor, the ring and its sockets
 * until taken, the refill thread. A number in the bitmap is either free,
 * in the ring, or handed out. Must not know about streams or calls;
 * must not bind under its mutex (the refill thread binds, then files
 * the pair).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "port_pool.h"
#include "stream.h"

struct port_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;      /* the refill thread waits on it */
	pthread_cond_t filed;     /* a take waits on it for the number being bound */
	int waiters;
	int base;                 /* first even port */
	int npairs;
	int cursor;               /* next pair index to try */
	int nused;                /* numbers taken: in the ring or handed out */
	/* The ring of bound pairs (FIFO), and its refill thread. */
	struct port_pair *ring;
	int ring_cap, ring_head, nready;
	int binding;              /* the refill thread holds a number it binds */
	int asleep;               /* it waits: for the ring to run low ... */
	int starved;              /* ... or for a number to come back */
	char ip[64];
	pthread_t thread;
	int running, stop;
	uint8_t used[];           /* one byte per pair: simple and fast enough */
};

struct port_pool *port_pool_new(int min, int max)
{
	struct port_pool *p;
	int base = min + (min & 1), npairs;

	if (min < 1 || max > 65535 || max - base < 1)
		return NULL;
	npairs = (max - base + 1) / 2;
	p = calloc(1, sizeof(*p) + (size_t)npairs);
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->filed, NULL);
	p->base = base;
	p->npairs = npairs;
	return p;
}

static void pair_close(struct port_pair *pp)
{
	for (int k = 0; k < 2; k++)
		if (pp->fd[k] >= 0)
			close(pp->fd[k]);
}

void port_pool_free(struct port_pool *pool)
{
	if (!pool)
		return;
	if (pool->running) {
		pthread_mutex_lock(&pool->lock);
		pool->stop = 1;
		pthread_cond_signal(&pool->wake);
		pthread_mutex_unlock(&pool->lock);
		pthread_join(pool->thread, NULL);
	}
	for (int i = 0; i < pool->nready; i++)
		pair_close(&pool->ring[(pool->ring_head + i) % pool->ring_cap]);
	free(pool->ring);
	pthread_cond_destroy(&pool->wake);
	pthread_cond_destroy(&pool->filed);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

static int get_locked(struct port_pool *pool)
{
	if (pool->nused == pool->npairs)
		return -1;
	for (int n = 0; n < pool->npairs; n++) {
		int i = pool->cursor;

		pool->cursor = (pool->cursor + 1) % pool->npairs;
		if (!pool->used[i]) {
			pool->used[i] = 1;
			pool->nused++;
			return pool->base + 2 * i;
		}
	}
	return -1;
}

static void put_locked(struct port_pool *pool, int port)
{
	int i;

	if (port < pool->base || (port - pool->base) % 2)
		return;
	i = (port - pool->base) / 2;
	if (i >= pool->npairs || !pool->used[i])
		return;
	pool->used[i] = 0;
	pool->nused--;
	/* A refill thread that found the range full may go on. */
	if (pool->starved)
		pthread_cond_signal(&pool->wake);
}

int port_pool_get(struct port_pool *pool)
{
	int port;

	if (!pool)
		return -1;
	pthread_mutex_lock(&pool->lock);
	port = get_locked(pool);
	pthread_mutex_unlock(&pool->lock);
	return port;
}

void port_pool_put(struct port_pool *pool, int port)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	put_locked(pool, port);
	pthread_mutex_unlock(&pool->lock);
}

static int bind_udp(const char *ip, int port)
{
	union stream_addr a;
	int fd, one = 1;

	if (stream_addr_set(&a, ip, port) < 0) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (a.sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, &a.sa, stream_addr_len(&a)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Binds both sockets of port on ip; 0, or -1 with errno. */
static int bind_pair(struct port_pair *out, const char *ip, int port)
{
	out->port = port;
	out->fd[1] = -1;
	out->fd[0] = bind_udp(ip, port);
	if (out->fd[0] < 0)
		return -1;
	out->fd[1] = bind_udp(ip, port + 1);
	if (out->fd[1] < 0) {
		int e = errno;

		close(out->fd[0]);
		out->fd[0] = -1;
		errno = e;
		return -1;
	}
	return 0;
}

/* What arrived on a ready socket before its call (a late packet of the
 * number's last call, a stranger) is not the call's. */
static void pair_drain(const struct port_pair *pp)
{
	char b[64];

	for (int k = 0; k < 2; k++)
		while (recv(pp->fd[k], b, sizeof(b), MSG_DONTWAIT) >= 0)
			;
}

static void *refill_main(void *arg)
{
	struct port_pool *pool = arg;
	int fails = 0;

	pthread_mutex_lock(&pool->lock);
	while (!pool->stop) {
		struct port_pair pp;
		int port, rc, e;

		if (pool->nready == pool->ring_cap || (port = get_locked(pool)) < 0) {
			pool->starved = pool->nready < pool->ring_cap;
			pool->asleep = 1;
			pthread_cond_wait(&pool->wake, &pool->lock);
			pool->asleep = pool->starved = 0;
			continue;
		}
		pool->binding = 1;
		pthread_mutex_unlock(&pool->lock);
		rc = bind_pair(&pp, pool->ip, port);
		e = errno;
		pthread_mutex_lock(&pool->lock);
		pool->binding = 0;
		if (pool->waiters)
			pthread_cond_broadcast(&pool->filed);
		if (rc == 0 && !pool->stop) {
			pool->ring[(pool->ring_head + pool->nready) % pool->ring_cap] = pp;
			pool->nready++;
			fails = 0;
			continue;
		}
		if (rc == 0)
			pair_close(&pp);
		put_locked(pool, port);
		/* Every number held by others, or no descriptors: pause (a
		 * request binds for itself meanwhile, and says why not). */
		if (rc < 0 && (e != EADDRINUSE || ++fails >= pool->npairs)) {
			struct timespec ts;

			fails = 0;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pool->asleep = 1;
			pthread_cond_timedwait(&pool->wake, &pool->lock, &ts);
			pool->asleep = 0;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int port_pool_prefill(struct port_pool *pool, const char *ip, int nready, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc;

	if (pool->running || nready < 1 || snprintf(pool->ip, sizeof(pool->ip), "%s", ip) >= (int)sizeof(pool->ip)) {
		snprintf(err, errlen, "port pool: bad prefill");
		return -1;
	}
	pool->ring_cap = nready < pool->npairs ? nready : pool->npairs;
	pool->ring = calloc((size_t)pool->ring_cap, sizeof(*pool->ring));
	if (!pool->ring) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Signals belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&pool->thread, NULL, refill_main, pool);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "port pool: cannot start its thread");
		return -1;
	}
	pool->running = 1;
	return 0;
}

int port_pool_take(struct port_pool *pool, const char *ip, struct port_pair *out, char *err, size_t errlen)
{
	int tries;

	if (!pool) {
		snprintf(err, errlen, "ports exhausted");
		return -1;
	}
	tries = pool->npairs;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		int port, e;

		if (pool->nready > 0) {
			*out = pool->ring[pool->ring_head];
			pool->ring_head = (pool->ring_head + 1) % pool->ring_cap;
			pool->nready--;
			/* Woken when half empty, the thread refills in one go:
			 * one wake-up per ring_cap / 2 pairs, not one per call. */
			if (pool->asleep && !pool->starved && pool->nready <= pool->ring_cap / 2)
				pthread_cond_signal(&pool->wake);
			pthread_mutex_unlock(&pool->lock);
			pair_drain(out);
			return 0;
		}
		/* None ready (a burst beyond the ring, or no refill thread):
		 * bind here. The last free number may be the one the thread
		 * is binding: wait for it rather than say exhausted. */
		port = get_locked(pool);
		if (port < 0 && pool->binding) {
			pool->waiters++;
			pthread_cond_wait(&pool->filed, &pool->lock);
			pool->waiters--;
			continue;
		}
		pthread_mutex_unlock(&pool->lock);
		if (port < 0)
			break;
		if (bind_pair(out, ip, port) == 0)
			return 0;
		e = errno;
		pthread_mutex_lock(&pool->lock);
		put_locked(pool, port);
		/* Numbers taken by others are skipped, the cursor moves on. */
		if (e != EADDRINUSE || --tries <= 0) {
			pthread_mutex_unlock(&pool->lock);
			if (e != EADDRINUSE) {
				snprintf(err, errlen, "bind %s:%d: %s", ip, port, strerror(e));
				return -1;
			}
			break;
		}
	}
	snprintf(err, errlen, "ports exhausted");
	return -1;
}

int port_pool_in_use(struct port_pool *pool)
{
	int n;

	if (!pool)
		return 0;
	pthread_mutex_lock(&pool->lock);
	n = pool->nused - pool->nready - pool->binding;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

int port_pool_ready(struct port_pool *pool)
{
	int n;

	if (!pool)
		return 0;
	pthread_mutex_lock(&pool->lock);
	n = pool->nready;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

int port_pool_capacity(const struct port_pool *pool)
{
	return pool ? pool->npairs : 0;
}
