/*
 * ctl_lists.h - the control socket's JSON answers: `calls json`,
 * `trunks json`, `relays json`, `stats json` (b2bua-ctl ... --json).
 *
 * Owns: nothing kept. Each answer reads the same views its text answer
 * is made of (call_core_each, trunk_health_view, trunk_reg_view,
 * relay_client_view, the stats lines), so a field exists once. Field
 * names are a contract (README, b2bua-ctl).
 * Runs on the SIP thread, from the control command handler.
 * Must not: block.
 */
#ifndef CTL_LISTS_H
#define CTL_LISTS_H

#include <stddef.h>
#include <stdint.h>

struct call_core;
struct policy;
struct limits;
struct trunk_health;
struct trunk_reg;
struct relay_client;

/* The answers: 0, or -1 with the reason in buf. */
int ctl_json_calls(struct call_core *core, char *buf, size_t cap);
struct ctl_trunk_src {
	const struct policy *policy;
	struct limits *limits;
	const struct trunk_health *health;
	const struct trunk_reg *reg;
	int64_t now_ms, wall_ms;
};
int ctl_json_trunks(const struct ctl_trunk_src *src, char *buf, size_t cap);
int ctl_json_relays(const struct relay_client *rc, char *buf, size_t cap);
/* stats: the text answer's "name N" lines as numbers, and the relays'
 * counters. */
int ctl_json_stats(const char *stats_text, const struct relay_client *rc, char *buf, size_t cap);

#endif
