/*
 * port_pool.c - a bitmap of RTP/RTCP port pairs.
 *
 * Owns: the bitmap and the round-robin cursor. Must not open sockets.
 */
#include <stdint.h>
#include <stdlib.h>
#include "port_pool.h"

struct port_pool {
	int base;       /* first even port */
	int npairs;
	int cursor;     /* next pair index to try */
	int in_use;
	uint8_t used[]; /* one byte per pair: simple and fast enough */
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
	p->base = base;
	p->npairs = npairs;
	return p;
}

void port_pool_free(struct port_pool *pool)
{
	free(pool);
}

int port_pool_get(struct port_pool *pool)
{
	if (!pool || pool->in_use == pool->npairs)
		return -1;
	for (int n = 0; n < pool->npairs; n++) {
		int i = pool->cursor;

		pool->cursor = (pool->cursor + 1) % pool->npairs;
		if (!pool->used[i]) {
			pool->used[i] = 1;
			pool->in_use++;
			return pool->base + 2 * i;
		}
	}
	return -1;
}

void port_pool_put(struct port_pool *pool, int port)
{
	int i;

	if (!pool || port < pool->base || (port - pool->base) % 2)
		return;
	i = (port - pool->base) / 2;
	if (i >= pool->npairs || !pool->used[i])
		return;
	pool->used[i] = 0;
	pool->in_use--;
}

int port_pool_in_use(const struct port_pool *pool)
{
	return pool ? pool->in_use : 0;
}

int port_pool_capacity(const struct port_pool *pool)
{
	return pool ? pool->npairs : 0;
}
