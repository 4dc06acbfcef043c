/*
 * ng_cache.c - the ng cookie cache (see ng_cache.h): a hash of entries
 * chained both ways (O(1) unlink), and one list in arrival order, so
 * expiry and eviction take the oldest from the head.
 *
 * Owns: every entry and its reply copy. Must not log or block beyond its
 * mutex; every operation is O(1) but expiry, O(expired).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "ng_cache.h"

#define BUCKETS_MAX (1u << 22)

struct entry {
	struct entry *hnext, **hpprev;   /* bucket chain */
	struct entry *onext, *oprev;     /* arrival order: head is the oldest */
	int64_t arrived_ms;
	uint32_t hash;
	int busy;                        /* no reply yet */
	char *reply;
	size_t len;
	size_t clen;
	char cookie[];
};

struct ng_cache {
	pthread_mutex_t lock;
	size_t max_entries, max_bytes;
	int ttl_ms;
	struct entry **bucket;
	uint32_t mask;
	struct entry *head, *tail;
	struct ng_cache_stats st;
};

static uint32_t hash_str(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

struct ng_cache *ng_cache_new(size_t max_entries, size_t max_bytes, int ttl_ms)
{
	struct ng_cache *c;
	uint32_t n = 16;

	if (max_entries < 1 || max_bytes < 1 || ttl_ms < 1)
		return NULL;
	/* About one entry per bucket when full. */
	while (n < max_entries && n < BUCKETS_MAX)
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->bucket = calloc(n, sizeof(*c->bucket)))) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->mask = n - 1;
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
	c->ttl_ms = ttl_ms;
	return c;
}

static void unlink_free(struct ng_cache *c, struct entry *e)
{
	*e->hpprev = e->hnext;
	if (e->hnext)
		e->hnext->hpprev = e->hpprev;
	if (e->oprev)
		e->oprev->onext = e->onext;
	else
		c->head = e->onext;
	if (e->onext)
		e->onext->oprev = e->oprev;
	else
		c->tail = e->oprev;
	c->st.entries--;
	c->st.bytes -= e->len;
	free(e->reply);
	free(e);
}

void ng_cache_free(struct ng_cache *c)
{
	if (!c)
		return;
	while (c->head)
		unlink_free(c, c->head);
	pthread_mutex_destroy(&c->lock);
	free(c->bucket);
	free(c);
}

static struct entry *find(struct ng_cache *c, const char *cookie, size_t clen, uint32_t h)
{
	for (struct entry *e = c->bucket[h & c->mask]; e; e = e->hnext)
		if (e->hash == h && e->clen == clen && memcmp(e->cookie, cookie, clen) == 0)
			return e;
	return NULL;
}

static void expire_locked(struct ng_cache *c, int64_t now_ms)
{
	while (c->head && now_ms - c->head->arrived_ms >= c->ttl_ms) {
		unlink_free(c, c->head);
		c->st.expired++;
	}
}

/* Makes room for one more entry of len bytes: the oldest go. */
static void bound_locked(struct ng_cache *c, size_t extra_entries, size_t extra_bytes)
{
	while (c->head && (c->st.entries + extra_entries > c->max_entries ||
			   c->st.bytes + extra_bytes > c->max_bytes)) {
		unlink_free(c, c->head);
		c->st.evicted++;
	}
}

static struct entry *insert_locked(struct ng_cache *c, const char *cookie, size_t clen, uint32_t h,
				   int64_t now_ms)
{
	struct entry *e = malloc(sizeof(*e) + clen), **b;

	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	memcpy(e->cookie, cookie, clen);
	e->clen = clen;
	e->hash = h;
	e->arrived_ms = now_ms;
	e->busy = 1;
	b = &c->bucket[h & c->mask];
	e->hnext = *b;
	if (*b)
		(*b)->hpprev = &e->hnext;
	e->hpprev = b;
	*b = e;
	e->oprev = c->tail;
	if (c->tail)
		c->tail->onext = e;
	else
		c->head = e;
	c->tail = e;
	c->st.entries++;
	return e;
}

enum ng_cache_hit ng_cache_begin(struct ng_cache *c, const char *cookie, size_t clen, int64_t now_ms,
				 char *out, size_t cap, size_t *outlen)
{
	enum ng_cache_hit hit = NG_CACHE_NEW;
	uint32_t h = hash_str(cookie, clen);
	struct entry *e;

	*outlen = 0;
	if (clen < 1 || clen > NG_CACHE_COOKIE_MAX)
		return NG_CACHE_NEW;
	pthread_mutex_lock(&c->lock);
	e = find(c, cookie, clen, h);
	if (e && now_ms - e->arrived_ms >= c->ttl_ms) {
		unlink_free(c, e);
		c->st.expired++;
		e = NULL;
	}
	if (e && e->busy) {
		hit = NG_CACHE_BUSY;
	} else if (e) {
		hit = NG_CACHE_REPLY;
		if (e->len <= cap) {
			memcpy(out, e->reply, e->len);
			*outlen = e->len;
		}
	} else {
		bound_locked(c, 1, 0);
		/* No memory for the mark: the request runs unmarked. */
		insert_locked(c, cookie, clen, h, now_ms);
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void ng_cache_finish(struct ng_cache *c, const char *cookie, size_t clen, const char *reply, size_t len,
		     int64_t now_ms)
{
	uint32_t h = hash_str(cookie, clen);
	struct entry *e;
	char *copy = NULL;

	if (clen < 1 || clen > NG_CACHE_COOKIE_MAX)
		return;
	if (len && len <= c->max_bytes && (copy = malloc(len)))
		memcpy(copy, reply, len);
	pthread_mutex_lock(&c->lock);
	e = find(c, cookie, clen, h);
	if (e && !e->busy) {
		/* Ours went (bounds) and a later copy ran and was answered. */
		free(copy);
		goto out;
	}
	if (!copy) {
		if (e)
			unlink_free(c, e);
		goto out;
	}
	/* Evicted while it ran (bounds): it comes back as the newest. */
	if (!e) {
		bound_locked(c, 1, len);
		e = insert_locked(c, cookie, clen, h, now_ms);
		if (!e) {
			free(copy);
			goto out;
		}
	} else {
		/* Never evict the entry being filled: it is the newest but one
		 * at worst, and the bounds are far above one entry. */
		while (c->head && c->head != e &&
		       (c->st.entries > c->max_entries || c->st.bytes + len > c->max_bytes)) {
			unlink_free(c, c->head);
			c->st.evicted++;
		}
		if (c->st.bytes + len > c->max_bytes) {
			unlink_free(c, e);
			free(copy);
			goto out;
		}
	}
	e->busy = 0;
	e->reply = copy;
	e->len = len;
	c->st.bytes += len;
out:
	pthread_mutex_unlock(&c->lock);
}

void ng_cache_expire(struct ng_cache *c, int64_t now_ms)
{
	pthread_mutex_lock(&c->lock);
	expire_locked(c, now_ms);
	pthread_mutex_unlock(&c->lock);
}

void ng_cache_stats(struct ng_cache *c, struct ng_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}
