/*
 * ng_cache.h - the ng cookie cache: the reply each request got, kept by
 * time, so a retransmitted request (same cookie) gets that reply again
 * instead of running twice (rtpengine's control_ng.c does the same).
 *
 * Owns: the entries (cookie, reply copy, arrival time) in a hash by
 * cookie (O(1) lookup) and in arrival order (expiry from the oldest end,
 * O(1) per entry). An entry lives ttl_ms after its request arrived;
 * the cache never holds more than max_entries entries or max_bytes of
 * replies: beyond either, the oldest go first (counted as evicted).
 * A request being worked on has an entry without a reply ("busy"): a
 * copy of it arriving meanwhile (on another ng thread) is not run again.
 * Thread use: any thread; one mutex inside, held for O(1) work.
 */
#ifndef NG_CACHE_H
#define NG_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define NG_CACHE_COOKIE_MAX 128

struct ng_cache;

struct ng_cache_stats {
	size_t entries, bytes;           /* now */
	uint64_t expired, evicted;       /* by time; by the bounds before their time */
};

enum ng_cache_hit {
	NG_CACHE_NEW,                    /* not seen: now marked busy, the caller runs it */
	NG_CACHE_REPLY,                  /* seen and answered: the reply was copied out */
	NG_CACHE_BUSY,                   /* seen, still being worked on: drop this copy */
};

/* NULL on bad arguments or no memory. */
struct ng_cache *ng_cache_new(size_t max_entries, size_t max_bytes, int ttl_ms);
void ng_cache_free(struct ng_cache *c);
/* Looks cookie up (1..NG_CACHE_COOKIE_MAX bytes; longer ones are never
 * cached: NEW every time). REPLY copies the reply into out (*outlen; 0
 * when cap is too small). */
enum ng_cache_hit ng_cache_begin(struct ng_cache *c, const char *cookie, size_t clen, int64_t now_ms,
				 char *out, size_t cap, size_t *outlen);
/* The request begun under cookie got reply (len > 0), or none (len 0:
 * the busy mark goes, a copy may run later). */
void ng_cache_finish(struct ng_cache *c, const char *cookie, size_t clen, const char *reply, size_t len,
		     int64_t now_ms);
/* Drops entries older than ttl_ms. */
void ng_cache_expire(struct ng_cache *c, int64_t now_ms);
void ng_cache_stats(struct ng_cache *c, struct ng_cache_stats *out);

#endif
