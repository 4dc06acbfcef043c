/*
 * rates.h - per-trunk rate tables with longest-prefix lookup, and billing.
 *
 * Owns: struct rates and its rate entries. Built at policy load, then
 * read-only (any thread).
 *
 * Billing: billed = the duration rounded UP to a multiple of increment_s,
 * and at least min_s; cost = connect_fee + per_minute * billed / 60.
 * An answered call of 0 s therefore bills min_s (plus the connect fee):
 * the carrier charges the minimum once it has answered. Durations are
 * taken to the millisecond before rounding, so 12.000 s is 12 s and
 * 12.001 s with increment 6 is 18 s. increment_s <= 0 means 1.
 * Must not: know about SIP or SQLite.
 */
#ifndef POLICY_RATES_H
#define POLICY_RATES_H

#include <stddef.h>

struct rate {
	int trunk_id;
	char prefix[32];
	double per_minute;
	int increment_s;
	int min_s;
	double connect_fee;
};

/* Seconds billed for an answered call of duration_s (see above). */
long rate_billed_s(const struct rate *r, double duration_s);
/* Cost of an answered call of duration_s under r. */
double rate_cost(const struct rate *r, double duration_s);

struct rates;

struct rates *rates_new(void);
void rates_free(struct rates *rs);
/* Adds (a copy of) r. 0, or -1: out of memory or a duplicate
 * (trunk_id, prefix) (err set). */
int rates_add(struct rates *rs, const struct rate *r, char *err, size_t errlen);
/* The rate of trunk_id whose prefix is the longest prefix of number. */
const struct rate *rates_find(const struct rates *rs, int trunk_id, const char *number);

#endif
