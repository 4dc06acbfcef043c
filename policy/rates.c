/*
 * rates.c - rate tables and billing (see rates.h).
 *
 * One prefix trie per trunk; trunks are few, so they sit in a small array
 * searched linearly.
 * Must not: allocate on lookup.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rates.h"
#include "trie.h"

struct rate_trunk {
	int trunk_id;
	struct trie *t;
};

struct rates {
	struct rate_trunk *v;
	size_t n, cap;
};

long rate_billed_s(const struct rate *r, double duration_s)
{
	long long ms = duration_s > 0 ? llround(duration_s * 1000.0) : 0;
	long long inc_ms = (r->increment_s > 0 ? r->increment_s : 1) * 1000LL;
	long long billed = (ms + inc_ms - 1) / inc_ms * inc_ms / 1000;

	if (billed < r->min_s)
		billed = r->min_s;
	return (long)billed;
}

double rate_cost(const struct rate *r, double duration_s)
{
	return r->connect_fee + r->per_minute * (double)rate_billed_s(r, duration_s) / 60.0;
}

struct rates *rates_new(void)
{
	return calloc(1, sizeof(struct rates));
}

void rates_free(struct rates *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		trie_free(rs->v[i].t, free);
	free(rs->v);
	free(rs);
}

static struct trie *trunk_trie(const struct rates *rs, int trunk_id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].trunk_id == trunk_id)
			return rs->v[i].t;
	return NULL;
}

int rates_add(struct rates *rs, const struct rate *r, char *err, size_t errlen)
{
	struct trie *t = trunk_trie(rs, r->trunk_id);
	struct rate *copy;
	void **slot;

	if (!t) {
		if (rs->n == rs->cap) {
			size_t cap = rs->cap ? rs->cap * 2 : 8;
			struct rate_trunk *v = realloc(rs->v, cap * sizeof(*v));

			if (!v)
				goto oom;
			rs->v = v;
			rs->cap = cap;
		}
		t = trie_new();
		if (!t)
			goto oom;
		rs->v[rs->n].trunk_id = r->trunk_id;
		rs->v[rs->n].t = t;
		rs->n++;
	}
	slot = trie_slot(t, r->prefix);
	if (!slot)
		goto oom;
	if (*slot) {
		snprintf(err, errlen, "duplicate prefix '%s' for trunk %d", r->prefix, r->trunk_id);
		return -1;
	}
	copy = malloc(sizeof(*copy));
	if (!copy)
		goto oom;
	*copy = *r;
	*slot = copy;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

const struct rate *rates_find(const struct rates *rs, int trunk_id, const char *number)
{
	if (!rs || !number)
		return NULL;
	return trie_longest(trunk_trie(rs, trunk_id), number, NULL);
}
