/*
 * trunk_limits.c - max_channels and max_cps per trunk.
 *
 * A channel is held from the moment a route is tried until that attempt
 * ends; max_cps is a token bucket refilled continuously at max_cps tokens
 * per second with a burst of max_cps (one second's worth).
 */
#include <stdlib.h>
#include "clock.h"
#include "trunk_limits.h"

#define SLOTS 256

struct counter {
	struct counter *next;
	int trunk_id;
	int channels;
	double tokens;
	int64_t last_ms;
	/* The call rate as it is: attempts in the current second and the
	 * one before (a sliding window of 1 s between the two). */
	int64_t sec;
	int this_sec, last_sec;
};

/* Counts an attempt at now_ms in c's rate window. */
static void rate_count(struct counter *c, int64_t now_ms, int add)
{
	int64_t sec = now_ms / 1000;

	if (sec != c->sec) {
		c->last_sec = sec == c->sec + 1 ? c->this_sec : 0;
		c->this_sec = 0;
		c->sec = sec;
	}
	c->this_sec += add;
}

struct limits {
	struct counter *slot[SLOTS];
};

struct limits *limits_new(void)
{
	return calloc(1, sizeof(struct limits));
}

void limits_free(struct limits *l)
{
	if (!l)
		return;
	for (int i = 0; i < SLOTS; i++) {
		while (l->slot[i]) {
			struct counter *c = l->slot[i];

			l->slot[i] = c->next;
			free(c);
		}
	}
	free(l);
}

static struct counter *counter_of(struct limits *l, int id, int create)
{
	struct counter **pp = &l->slot[(unsigned)id % SLOTS];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->trunk_id == id)
			return *pp;
	if (!create || !(*pp = calloc(1, sizeof(**pp))))
		return NULL;
	(*pp)->trunk_id = id;
	(*pp)->last_ms = -1;
	return *pp;
}

int limits_take_at(struct limits *l, const struct policy_trunk *t, int64_t now_ms)
{
	struct counter *c = counter_of(l, t->id, 1);

	if (!c)
		return -1;
	if (t->max_channels > 0 && c->channels >= t->max_channels)
		return -1;
	rate_count(c, now_ms, 0);
	if (t->max_cps > 0) {
		if (c->last_ms < 0) {
			c->tokens = t->max_cps;
		} else {
			c->tokens += (now_ms - c->last_ms) * t->max_cps / 1000.0;
			if (c->tokens > t->max_cps)
				c->tokens = t->max_cps;
		}
		c->last_ms = now_ms;
		if (c->tokens < 1.0)
			return -1;
		c->tokens -= 1.0;
	}
	c->channels++;
	rate_count(c, now_ms, 1);
	return 0;
}

double limits_cps(struct limits *l, int trunk_id, int64_t now_ms)
{
	struct counter *c = counter_of(l, trunk_id, 0);
	double frac;

	if (!c)
		return 0;
	rate_count(c, now_ms, 0);
	frac = (double)(now_ms % 1000) / 1000.0;
	return c->this_sec + c->last_sec * (1.0 - frac);
}

void limits_give(struct limits *l, const struct policy_trunk *t)
{
	struct counter *c = counter_of(l, t->id, 0);

	if (c && c->channels > 0)
		c->channels--;
}

int limits_channels(struct limits *l, int trunk_id)
{
	struct counter *c = counter_of(l, trunk_id, 0);

	return c ? c->channels : 0;
}

static int op_take(void *ctx, const struct policy_trunk *t)
{
	return limits_take_at(ctx, t, clock_mono_ms());
}

static void op_give(void *ctx, const struct policy_trunk *t)
{
	limits_give(ctx, t);
}

static const struct call_limits_ops ops = {.take = op_take, .give = op_give};

const struct call_limits_ops *limits_ops(void)
{
	return &ops;
}
