/*
 * relay_pool.c - relay health and per-call anchors (see relay_pool.h).
 *
 * Owns: the health of each relay and a hash table of anchors keyed by the
 * call's serial (unique for the life of the process, never reused), one
 * entry from a call's first request until its delete. Runs on the SIP
 * thread only.
 * Must not: touch sockets, clocks or logs; know what a call is beyond its
 * serial.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "relay_pool.h"

#define BUCKETS 4096   /* a power of two; chains stay short at 10k calls */

struct anchor {
	struct anchor *next;
	uint64_t serial;
	int relay;
	unsigned tried;        /* bit per relay this call's offer went to */
	int held;              /* a relay answered for it: it stays there */
};

struct relay_state {
	enum relay_health state;
	int fails;
	int64_t last_ok_ms;
	char last_error[64];
	size_t calls;
};

struct relay_pool {
	struct relay_state r[RELAY_POOL_MAX];
	int n;
	int down_after;
	int next;              /* round-robin cursor for new calls */
	struct anchor *bucket[BUCKETS];
};

int relay_pool_new(struct relay_pool **out, int nrelays, int down_after)
{
	struct relay_pool *p;

	if (nrelays < 1 || nrelays > RELAY_POOL_MAX || down_after < 1)
		return -1;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->n = nrelays;
	p->down_after = down_after;
	*out = p;
	return 0;
}

void relay_pool_free(struct relay_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		while (p->bucket[i]) {
			struct anchor *a = p->bucket[i];

			p->bucket[i] = a->next;
			free(a);
		}
	}
	free(p);
}

static struct anchor **slot(struct relay_pool *p, uint64_t serial)
{
	struct anchor **pp = &p->bucket[(serial * 0x9e3779b97f4a7c15ULL) >> 52 & (BUCKETS - 1)];

	while (*pp && (*pp)->serial != serial)
		pp = &(*pp)->next;
	return pp;
}

/* The next relay up that `tried` does not name, moving the cursor past
 * it; -1 when there is none. */
static int pick(struct relay_pool *p, unsigned tried)
{
	for (int k = 0; k < p->n; k++) {
		int i = (p->next + k) % p->n;

		if (p->r[i].state == RELAY_UP && !(tried & 1u << i)) {
			p->next = (i + 1) % p->n;
			return i;
		}
	}
	return -1;
}

int relay_pool_route(struct relay_pool *p, uint64_t serial)
{
	struct anchor **pp = slot(p, serial), *a;
	int i;

	if (*pp)
		return (*pp)->relay;
	i = pick(p, 0);
	if (i < 0 || !(a = calloc(1, sizeof(*a))))
		return -1;
	a->serial = serial;
	a->relay = i;
	a->tried = 1u << i;
	*pp = a;
	p->r[i].calls++;
	return i;
}

int relay_pool_failover(struct relay_pool *p, uint64_t serial, int failed)
{
	struct anchor *a = *slot(p, serial);
	int i;

	if (!a || a->held || a->relay != failed)
		return -1;
	i = pick(p, a->tried);
	if (i < 0)
		return -1;
	p->r[a->relay].calls--;
	p->r[i].calls++;
	a->relay = i;
	a->tried |= 1u << i;
	return i;
}

void relay_pool_confirm(struct relay_pool *p, uint64_t serial)
{
	struct anchor *a = *slot(p, serial);

	if (a)
		a->held = 1;
}

void relay_pool_release(struct relay_pool *p, uint64_t serial)
{
	struct anchor **pp = slot(p, serial), *a = *pp;

	if (!a)
		return;
	*pp = a->next;
	p->r[a->relay].calls--;
	free(a);
}

int relay_pool_ok(struct relay_pool *p, int relay, int64_t now_ms)
{
	struct relay_state *r = &p->r[relay];
	int was_down = r->state == RELAY_DOWN;

	r->fails = 0;
	r->last_ok_ms = now_ms;
	r->state = RELAY_UP;
	return was_down;
}

int relay_pool_failed(struct relay_pool *p, int relay, const char *why)
{
	struct relay_state *r = &p->r[relay];

	snprintf(r->last_error, sizeof(r->last_error), "%s", why ? why : "");
	if (r->fails < p->down_after)
		r->fails++;
	if (r->state == RELAY_UP && r->fails >= p->down_after) {
		r->state = RELAY_DOWN;
		return 1;
	}
	return 0;
}

void relay_pool_info(const struct relay_pool *p, int relay, struct relay_pool_info *out)
{
	const struct relay_state *r = &p->r[relay];

	out->state = r->state;
	out->fails = r->fails;
	out->last_ok_ms = r->last_ok_ms;
	snprintf(out->last_error, sizeof(out->last_error), "%s", r->last_error);
	out->calls = r->calls;
}

int relay_pool_count(const struct relay_pool *p)
{
	return p->n;
}
