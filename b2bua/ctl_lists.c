/*
 * ctl_lists.c - the control socket's JSON answers (see ctl_lists.h).
 * Must not: block; keep anything between answers.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "cdr_store.h"
#include "ctl_json.h"
#include "ctl_lists.h"
#include "policy.h"
#include "relay_client.h"
#include "trunk_health.h"
#include "trunk_limits.h"
#include "trunk_reg.h"

/* "" as null: a field not set yet (a call not routed, no error). */
static void str_or_null(struct ctl_json *j, const char *key, const char *s)
{
	ctl_json_str(j, key, s && *s && strcmp(s, "-") != 0 ? s : NULL);
}

/* A limit: null for none (0 in policy), as "-" in the table. */
static void limit(struct ctl_json *j, const char *key, int v)
{
	if (v > 0)
		ctl_json_int(j, key, v);
	else
		ctl_json_null(j, key);
}

/* ---- calls ---- */

static int call_obj(void *arg, const struct call_view *v)
{
	struct ctl_json *j = arg;

	ctl_json_open(j, NULL, '{');
	ctl_json_str(j, "call_id", v->call_id);
	str_or_null(j, "b_call_id", v->b_call_id);
	ctl_json_str(j, "state", v->state);
	ctl_json_str(j, "caller", v->caller);
	ctl_json_str(j, "callee", v->callee);
	ctl_json_str(j, "routed_to", v->routed_to);
	ctl_json_str(j, "from_trunk", v->from_trunk);
	str_or_null(j, "to_trunk", v->to_trunk);
	ctl_json_int(j, "age_s", v->age_s);
	ctl_json_bool(j, "answered", v->answered);
	ctl_json_close(j, '}');
	return 0;
}

int ctl_json_calls(struct call_core *core, char *buf, size_t cap)
{
	struct ctl_json j;

	if (ctl_json_begin(&j) != 0)
		return ctl_json_finish(&j, buf, cap);
	ctl_json_open(&j, NULL, '{');
	ctl_json_open(&j, "calls", '[');
	call_core_each(core, call_obj, &j);
	ctl_json_close(&j, ']');
	ctl_json_close(&j, '}');
	return ctl_json_finish(&j, buf, cap);
}

/* ---- trunks: the columns of the table ---- */

int ctl_json_trunks(const struct ctl_trunk_src *s, char *buf, size_t cap)
{
	struct ctl_json j;

	if (ctl_json_begin(&j) != 0)
		return ctl_json_finish(&j, buf, cap);
	ctl_json_open(&j, NULL, '{');
	ctl_json_open(&j, "trunks", '[');
	for (size_t i = 0; i < policy_trunk_count(s->policy); i++) {
		const struct policy_trunk *t = policy_trunk_at(s->policy, i);
		struct health_view hv;
		struct trunk_reg_view rv;
		char last[16], when[64];

		trunk_health_view(s->health, t->id, &hv);
		trunk_health_last(&hv, last, sizeof(last), when, sizeof(when));
		trunk_reg_view(s->reg, t, s->now_ms, s->wall_ms, &rv);
		ctl_json_open(&j, NULL, '{');
		ctl_json_str(&j, "name", t->name);
		ctl_json_int(&j, "id", t->id);
		ctl_json_str(&j, "host", t->host);
		ctl_json_int(&j, "port", t->port);
		ctl_json_str(&j, "transport", t->transport);
		ctl_json_bool(&j, "enabled", t->enabled);
		ctl_json_int(&j, "channels", limits_channels(s->limits, t->id));
		limit(&j, "max_channels", t->max_channels);
		ctl_json_num(&j, "cps", limits_cps(s->limits, t->id, s->now_ms));
		limit(&j, "max_cps", t->max_cps);
		ctl_json_str(&j, "reach", trunk_health_state_name(hv.state));
		str_or_null(&j, "options_last", last);
		str_or_null(&j, "options_time", when);
		ctl_json_str(&j, "reg", trunk_reg_state_name(rv.state));
		str_or_null(&j, "reg_expires", rv.expires);
		str_or_null(&j, "reg_retry", rv.retry);
		str_or_null(&j, "reg_last_error", rv.last_error);
		ctl_json_close(&j, '}');
	}
	ctl_json_close(&j, ']');
	ctl_json_close(&j, '}');
	return ctl_json_finish(&j, buf, cap);
}

/* ---- relays ---- */

static void relays_array(struct ctl_json *j, const struct relay_client *rc, int counters_only)
{
	ctl_json_open(j, "relays", '[');
	for (int i = 0; i < relay_client_count(rc); i++) {
		struct relay_view v;
		char when[64];

		if (relay_client_view(rc, i, &v) != 0)
			continue;
		ctl_json_open(j, NULL, '{');
		ctl_json_str(j, "relay", v.name);
		if (!counters_only) {
			ctl_json_str(j, "state", v.up ? "up" : "down");
			ctl_json_int(j, "calls", (long long)v.calls);
			if (v.last_answer_ms > 0) {
				cdr_time_iso(v.last_answer_ms, when, sizeof(when));
				ctl_json_str(j, "last_answer", when);
			} else {
				ctl_json_null(j, "last_answer");
			}
			str_or_null(j, "last_error", v.last_error);
		}
		ctl_json_int(j, "sent", (long long)v.sent);
		ctl_json_int(j, "answered", (long long)v.answered);
		ctl_json_int(j, "timeouts", (long long)v.timeouts);
		ctl_json_close(j, '}');
	}
	ctl_json_close(j, ']');
}

int ctl_json_relays(const struct relay_client *rc, char *buf, size_t cap)
{
	struct ctl_json j;

	if (ctl_json_begin(&j) != 0)
		return ctl_json_finish(&j, buf, cap);
	ctl_json_open(&j, NULL, '{');
	relays_array(&j, rc, 0);
	ctl_json_close(&j, '}');
	return ctl_json_finish(&j, buf, cap);
}

/* ---- stats ---- */

/* "name 123" or "name 1.5": 1 with the name and the number. */
static int stat_line(const char *line, size_t len, char *name, size_t namecap, double *v)
{
	const char *sp = memchr(line, ' ', len);
	char num[32], *end;
	size_t n;

	if (!sp || (size_t)(sp - line) >= namecap || len - (size_t)(sp - line) - 1 >= sizeof(num))
		return 0;
	for (const char *p = line; p < sp; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return 0;
	n = len - (size_t)(sp - line) - 1;
	memcpy(num, sp + 1, n);
	num[n] = 0;
	if (!n || !isdigit((unsigned char)num[0]))
		return 0;
	*v = strtod(num, &end);
	if (*end)
		return 0;
	memcpy(name, line, (size_t)(sp - line));
	name[sp - line] = 0;
	return 1;
}

int ctl_json_stats(const char *text, const struct relay_client *rc, char *buf, size_t cap)
{
	struct ctl_json j;
	const char *p = text;

	if (ctl_json_begin(&j) != 0)
		return ctl_json_finish(&j, buf, cap);
	ctl_json_open(&j, NULL, '{');
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char name[64];
		double v;

		/* The relays' lines come from their views below. */
		if (strncmp(p, "relay ", 6) != 0 && stat_line(p, len, name, sizeof(name), &v))
			ctl_json_num(&j, name, v);
		p = nl ? nl + 1 : p + len;
	}
	relays_array(&j, rc, 1);
	ctl_json_close(&j, '}');
	return ctl_json_finish(&j, buf, cap);
}
