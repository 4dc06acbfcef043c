/*
 * ctl_json.h - the control socket's JSON answers: `calls json`,
 * `trunks json`, `relays json`, `stats json` (b2bua-ctl ... --json).
 *
 * Owns: a small JSON writer (struct ctl_json, on the caller's stack) and
 * the four answers. Each answer reads the same views its text answer is
 * made of (call_core_each, trunk_health_view, trunk_reg_view,
 * relay_client_view, the stats lines), so a field exists once. Strings
 * go through cdr_json_string() (policy/cdr_query.h), the one JSON escaper
 * of the tree. Field names are a contract (README, b2bua-ctl).
 * Runs on the SIP thread, from the control command handler.
 * Must not: block; return a partial document (too large is an error).
 */
#ifndef CTL_JSON_H
#define CTL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_JSON_DEPTH 8

struct ctl_json {
	FILE *f;
	char *mem;
	size_t memlen;
	int depth;
	int first[CTL_JSON_DEPTH];
	int bad;
};

/* 0, or -1 (no memory). Then values, then ctl_json_finish(). */
int ctl_json_begin(struct ctl_json *j);
/* Members of an object name a key; elements of an array pass NULL. */
void ctl_json_open(struct ctl_json *j, const char *key, char brace);    /* '{' or '[' */
void ctl_json_close(struct ctl_json *j, char brace);                    /* '}' or ']' */
void ctl_json_str(struct ctl_json *j, const char *key, const char *s); /* NULL: null */
void ctl_json_int(struct ctl_json *j, const char *key, long long v);
void ctl_json_num(struct ctl_json *j, const char *key, double v);      /* not finite: null */
void ctl_json_bool(struct ctl_json *j, const char *key, int v);
void ctl_json_null(struct ctl_json *j, const char *key);
/* Copies the document, newline-terminated, into buf: 0; or -1 with the
 * reason in buf (too large for cap, unbalanced, no memory). Frees j. */
int ctl_json_finish(struct ctl_json *j, char *buf, size_t cap);

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
