/*
 * route_explain.c - `b2bua-ctl route explain` worked out on a snapshot
 * (see route_explain.h).
 *
 * The draw of policy_route() is without replacement and weighted within a
 * priority group, so the first trunk tried of a group, once the skipped
 * ones are left out, is each tried one with weight / (sum of the tried
 * weights); weight 0 comes after every weighted route, in id order.
 * That is what the shares say: a chance, not a fake fixed order.
 * Must not: print; query SQLite.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "rates.h"
#include "route_explain.h"

/* A trunk id no trunk has: no source trunk. */
#define NO_TRUNK INT_MIN

const char *route_skip_name(enum route_skip s)
{
	switch (s) {
	case ROUTE_TRY: return "try";
	case ROUTE_SKIP_DOWN: return "down";
	case ROUTE_SKIP_LIMIT: return "limit";
	case ROUTE_SKIP_DUP: return "duplicate";
	case ROUTE_SKIP_EXTRA: return "beyond_group_max";
	}
	return "?";
}

/* Shares of one group [lo, hi). A trunk twice in it is drawn by either
 * route: the second's weight adds to the first's. */
static void group_shares(struct route_explain *x, size_t lo, size_t hi)
{
	unsigned long long eff[ROUTE_EXPLAIN_MAX] = {0}, total = 0;
	int weighted = 0;
	long first_zero = -1;

	for (size_t i = lo; i < hi; i++) {
		const struct route_explain_cand *c = &x->cand[i];

		if (c->skip == ROUTE_TRY) {
			eff[i] += c->route.weight;
		} else if (c->skip == ROUTE_SKIP_DUP) {
			for (size_t k = lo; k < i; k++)
				if (x->cand[k].route.to == c->route.to && x->cand[k].skip == ROUTE_TRY)
					eff[k] += c->route.weight;
		}
	}
	for (size_t i = lo; i < hi; i++) {
		if (x->cand[i].skip != ROUTE_TRY)
			continue;
		total += eff[i];
		if (eff[i] > 0)
			weighted++;
		else if (first_zero < 0)
			first_zero = (long)i;
	}
	for (size_t i = lo; i < hi; i++) {
		struct route_explain_cand *c = &x->cand[i];

		if (c->skip != ROUTE_TRY)
			continue;
		if (total > 0)
			c->share = 100.0 * (double)eff[i] / (double)total;
		else
			c->share = (long)i == first_zero ? 100.0 : 0.0;
	}
	if (x->pick != ROUTE_PICK_NONE || (weighted == 0 && first_zero < 0))
		return;
	x->first_group = x->cand[lo].group;
	if (weighted > 1) {
		x->pick = ROUTE_PICK_WEIGHTED;
		return;
	}
	x->pick = ROUTE_PICK_ONE;
	for (size_t i = lo; i < hi; i++)
		if (x->cand[i].skip == ROUTE_TRY && x->cand[i].share == 100.0)
			x->first = i;
}

int route_explain(struct route_explain *x, const struct policy *p, const struct policy_trunk *from,
		  const char *number, route_state_fn state, void *arg, char *err, size_t errlen)
{
	struct policy_route_info info[ROUTE_EXPLAIN_MAX];
	int from_id = from ? from->id : NO_TRUNK;
	size_t lo = 0;

	memset(x, 0, sizeof(*x));
	x->from = from;
	if (!number || strlen(number) >= sizeof(x->dialled)) {
		snprintf(err, errlen, "number too long (at most %zu characters)", sizeof(x->dialled) - 1);
		return -1;
	}
	snprintf(x->dialled, sizeof(x->dialled), "%s", number);
	/* call.c normalise(): the "in" rules of the source trunk. */
	if (policy_number_explain(p, from_id, POLICY_IN, POLICY_RURI, number, x->normalised, sizeof(x->normalised),
				  &x->in_hit) < 0) {
		snprintf(err, errlen, "number too long after its \"in\" rules");
		return -1;
	}
	x->total = policy_route_list(p, from_id, x->normalised, info, ROUTE_EXPLAIN_MAX, x->prefix,
				     sizeof(x->prefix), &x->own);
	x->n = x->total < ROUTE_EXPLAIN_MAX ? x->total : ROUTE_EXPLAIN_MAX;
	for (size_t i = 0, in_group = 0; i < x->n; i++) {
		struct route_explain_cand *c = &x->cand[i];

		c->route = info[i];
		if (i > 0 && info[i].priority != info[i - 1].priority) {
			c->group = x->cand[i - 1].group + 1;
			in_group = 0;
		} else if (i > 0) {
			c->group = x->cand[i - 1].group;
		}
		in_group++;
		c->skip = ROUTE_TRY;
		if (in_group > POLICY_ROUTE_GROUP_MAX)
			c->skip = ROUTE_SKIP_EXTRA;
		for (size_t k = 0; k < i && c->skip == ROUTE_TRY; k++)
			if (x->cand[k].route.to == c->route.to)
				c->skip = ROUTE_SKIP_DUP;
		if (c->skip == ROUTE_TRY && state) {
			enum route_skip s = ROUTE_TRY;

			if (state(arg, c->route.to, &s) == 0)
				c->skip = s;
		}
		/* call_route.c send_invite(): that trunk's "out" rules. */
		if (policy_number_explain(p, c->route.to->id, POLICY_OUT, POLICY_RURI, x->normalised, c->number,
					  sizeof(c->number), &c->out_hit) < 0)
			c->number[0] = 0;
		c->rate = policy_rate_find(p, c->route.to->id, c->number);
	}
	for (size_t i = 1; i <= x->n; i++) {
		if (i < x->n && x->cand[i].group == x->cand[lo].group)
			continue;
		group_shares(x, lo, i);
		lo = i;
	}
	/* Down or full trunks of the groups before the first choice's. */
	for (size_t i = 0; i < x->n; i++)
		if ((x->pick == ROUTE_PICK_NONE || x->cand[i].group < x->first_group) &&
		    (x->cand[i].skip == ROUTE_SKIP_DOWN || x->cand[i].skip == ROUTE_SKIP_LIMIT))
			x->skipped_before++;
	return 0;
}
