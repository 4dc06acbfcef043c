/*
 * ctl_route.c - `b2bua-ctl route explain NUMBER [--from TRUNK] [--json]`.
 *
 * Owns: the command line of `route`, the daemon's trunk states as read
 * from its `trunks` answer, and the text and JSON of the explanation.
 * The explanation itself is route_explain() (policy/route_explain.h) on a
 * snapshot loaded from the database with policy_load(), as the b2bua
 * loads it: the same rules, tries and rates, nothing routed twice.
 * Must not: include sqlite3.h; change the database; fail because the
 * daemon is down (then the state is "unknown", nothing is skipped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl_client.h"
#include "ctl_json.h"
#include "ctl_route.h"
#include "policy.h"
#include "rates.h"
#include "route_explain.h"

#define STATE_TIMEOUT_S 5
#define STATE_MAX 1024

/* One trunk as the running daemon's `trunks` line shows it. */
struct trunk_state {
	char name[64];
	char reach[16], reg[24];
	int channels;
	double cps;
	int enabled;
};

struct states {
	int known;                  /* the daemon answered */
	char why[512];              /* else why not */
	struct trunk_state *v;
	size_t n;
};

/* "NAME HOST:PORT TRANSPORT channels N/M cps X/Y enabled reach S options
 * L W reg S ..." (README, b2bua-ctl trunks): 0, or -1 for a line that is
 * not one. */
static int parse_trunk_line(char *line, struct trunk_state *s)
{
	char *save = NULL, *tok, *prev = NULL;
	int seen = 0;

	memset(s, 0, sizeof(*s));
	tok = strtok_r(line, " ", &save);
	if (!tok || tok[0] == '#' || strlen(tok) >= sizeof(s->name))
		return -1;
	snprintf(s->name, sizeof(s->name), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		if (strcmp(tok, "last_error") == 0)
			break;
		if (strcmp(tok, "enabled") == 0 || strcmp(tok, "disabled") == 0)
			s->enabled = tok[0] == 'e';
		if (prev && strcmp(prev, "channels") == 0 && (seen & 1) == 0) {
			s->channels = atoi(tok);
			seen |= 1;
		} else if (prev && strcmp(prev, "cps") == 0 && (seen & 2) == 0) {
			s->cps = strtod(tok, NULL);
			seen |= 2;
		} else if (prev && strcmp(prev, "reach") == 0 && (seen & 4) == 0) {
			snprintf(s->reach, sizeof(s->reach), "%.15s", tok);
			seen |= 4;
		} else if (prev && strcmp(prev, "reg") == 0 && (seen & 8) == 0) {
			snprintf(s->reg, sizeof(s->reg), "%.23s", tok);
			seen |= 8;
		}
		prev = tok;
	}
	return seen == 15 ? 0 : -1;
}

static void states_load(struct states *st, const char *sock)
{
	char *body = NULL, *line, *save = NULL;

	memset(st, 0, sizeof(*st));
	if (ctl_client_ask(sock, "trunks\n", STATE_TIMEOUT_S, &body, NULL, st->why, sizeof(st->why)) != CTL_ASK_OK)
		return;
	st->v = calloc(STATE_MAX, sizeof(*st->v));
	if (!st->v) {
		snprintf(st->why, sizeof(st->why), "out of memory");
		free(body);
		return;
	}
	for (line = strtok_r(body, "\n", &save); line && st->n < STATE_MAX; line = strtok_r(NULL, "\n", &save))
		if (parse_trunk_line(line, &st->v[st->n]) == 0)
			st->n++;
	st->known = 1;
	free(body);
}

static const struct trunk_state *state_of(const struct states *st, const char *name)
{
	for (size_t i = 0; st->known && i < st->n; i++)
		if (strcmp(st->v[i].name, name) == 0)
			return &st->v[i];
	return NULL;
}

/* route_state_fn: what call_route.c would skip. Registration does not
 * decide routing, so it skips nothing. */
static int skip_of(void *arg, const struct policy_trunk *t, enum route_skip *skip)
{
	const struct trunk_state *s = state_of(arg, t->name);

	if (!s)
		return -1;
	*skip = ROUTE_TRY;
	if (strcmp(s->reach, "down") == 0)
		*skip = ROUTE_SKIP_DOWN;
	else if ((t->max_channels > 0 && s->channels >= t->max_channels) ||
		 (t->max_cps > 0 && s->cps >= t->max_cps))
		*skip = ROUTE_SKIP_LIMIT;
	return 0;
}

static const char *skip_text(enum route_skip s)
{
	switch (s) {
	case ROUTE_TRY: return "tried in its turn";
	case ROUTE_SKIP_DOWN: return "SKIPPED: down (OPTIONS keepalives)";
	case ROUTE_SKIP_LIMIT: return "SKIPPED: at its channel or cps limit";
	case ROUTE_SKIP_DUP: return "not tried again: its trunk is listed above";
	case ROUTE_SKIP_EXTRA: return "never tried: more routes of this priority than the draw takes";
	}
	return "?";
}

/* ---- text ---- */

static int group_priority(const struct route_explain *x, int group)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->cand[i].group == group)
			return x->cand[i].route.priority;
	return 0;
}

/* A pattern for the terminal: control bytes as '?' (a rule's text is
 * anyone's who can write the database). */
static void put_clean(const char *s)
{
	for (; s && *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void print_rule(const char *label, const struct policy_rule_hit *h, const struct policy *p)
{
	const struct policy_trunk *t = h->trunk_id >= 0 ? policy_trunk_by_id(p, h->trunk_id) : NULL;

	if (!h->id) {
		printf("%s none matched\n", label);
		return;
	}
	printf("%s number_rules id %d (%s, priority %d): '", label, h->id,
	       h->trunk_id < 0 ? "all trunks" : t ? t->name : "?", h->priority);
	put_clean(h->match);
	printf("' -> '");
	put_clean(h->replace);
	printf("'\n");
}

static void print_limit(const char *what, int v)
{
	if (v > 0)
		printf("%s %d", what, v);
	else
		printf("%s -", what);
}

static void print_text(const struct route_explain *x, const struct policy *p, const struct states *st,
		       const char *sock)
{
	printf("number      %s (as dialled)\n", x->dialled);
	if (x->from)
		printf("from        %s%s\n", x->from->name,
		       x->from->enabled ? "" : " (disabled: the b2bua takes no call from it)");
	else
		printf("from        (none given: rules for all trunks, routes for any trunk)\n");
	print_rule("in rule    ", &x->in_hit, p);
	printf("normalised  %s\n", x->normalised);
	if (st->known)
		printf("state       from the daemon at %s\n", sock);
	else
		printf("state       unknown (daemon not reachable: %s)\n", st->why);
	if (x->total == 0) {
		printf("routes      none: no route matches %s%s%s; the b2bua refuses the call (no route)\n",
		       x->normalised, x->from ? " from " : "", x->from ? x->from->name : "");
		return;
	}
	printf("routes      prefix '%s'%s, %s: %zu route(s), lower priority first\n", x->prefix,
	       x->prefix[0] ? "" : " (the default route)",
	       x->own ? "the source trunk's own routes" : "routes for any trunk", x->total);
	for (size_t i = 0; i < x->n; i++) {
		const struct route_explain_cand *c = &x->cand[i];
		const struct policy_trunk *t = c->route.to;
		const struct trunk_state *s = state_of(st, t->name);
		char out[32];

		printf("  %zu. %s  (routes id %d, priority %d, weight %u", i + 1, t->name, c->route.id,
		       c->route.priority, c->route.weight);
		if (c->skip == ROUTE_TRY)
			printf(", %.4g%% first in its priority", c->share);
		printf(")\n     limits: ");
		print_limit("channels", t->max_channels);
		print_limit(", cps", t->max_cps);
		if (s)
			printf("; now: reach %s, reg %s, channels %d, cps %.1f\n", s->reach, s->reg, s->channels, s->cps);
		else if (st->known)
			printf("; now: not in the daemon's policy (reload pending?)\n");
		else
			printf("; now: state unknown (daemon not reachable)\n");
		snprintf(out, sizeof(out), "     out rule:");
		print_rule(out, &c->out_hit, p);
		printf("     sends   %s\n", c->number);
		if (c->rate)
			printf("     rate    %.6g per minute, %d s increments, minimum %d s, connect fee %.6g (rates prefix '%s')\n",
			       c->rate->per_minute, c->rate->increment_s, c->rate->min_s, c->rate->connect_fee,
			       c->rate->prefix);
		else
			printf("     rate    none matches %s: calls over it carry no cost\n", c->number);
		printf("     -> %s\n", skip_text(c->skip));
	}
	if (x->total > x->n)
		printf("  (%zu more not shown)\n", x->total - x->n);
	if (x->pick == ROUTE_PICK_NONE) {
		printf("first       none: every candidate would be skipped; the b2bua refuses the call\n");
		return;
	}
	if (x->pick == ROUTE_PICK_ONE) {
		const struct route_explain_cand *c = &x->cand[x->first];
		int alone = 1;

		for (size_t i = 0; i < x->n; i++)
			if (i != x->first && x->cand[i].group == c->group && x->cand[i].skip == ROUTE_TRY)
				alone = 0;
		printf("first       %s: priority %d, %s", c->route.to->name, c->route.priority,
		       x->first_group == 0 ? "the best priority" : "the best priority with a trunk left");
		if (!alone)
			printf(" (weight 0 routes go after weighted ones, in id order)");
		else if (x->skipped_before || x->first_group > 0)
			printf(" (better priorities skipped)");
	} else {
		int k = 0;

		printf("first       weighted draw at priority %d, anew for each call:", group_priority(x, x->first_group));
		for (size_t i = 0; i < x->n; i++)
			if (x->cand[i].group == x->first_group && x->cand[i].skip == ROUTE_TRY && x->cand[i].share > 0)
				printf("%s %s %.4g%%", k++ ? "," : "", x->cand[i].route.to->name, x->cand[i].share);
	}
	if (x->skipped_before)
		printf("; %d trunk(s) of better priority skipped", x->skipped_before);
	printf("\n            then the rest in the order above, until one answers\n");
}

/* ---- JSON ---- */

static void json_rule(struct ctl_json *j, const char *key, const struct policy_rule_hit *h, const struct policy *p)
{
	const struct policy_trunk *t = h->trunk_id >= 0 ? policy_trunk_by_id(p, h->trunk_id) : NULL;

	if (!h->id) {
		ctl_json_null(j, key);
		return;
	}
	ctl_json_open(j, key, '{');
	ctl_json_int(j, "id", h->id);
	ctl_json_str(j, "trunk", t ? t->name : NULL);
	ctl_json_int(j, "priority", h->priority);
	ctl_json_str(j, "match", h->match);
	ctl_json_str(j, "replace", h->replace);
	ctl_json_close(j, '}');
}

static void json_limit(struct ctl_json *j, const char *key, int v)
{
	if (v > 0)
		ctl_json_int(j, key, v);
	else
		ctl_json_null(j, key);
}

static int print_json(const struct route_explain *x, const struct policy *p, const struct states *st)
{
	struct ctl_json j;
	const char *kind = x->pick == ROUTE_PICK_ONE ? "one" : x->pick == ROUTE_PICK_WEIGHTED ? "weighted" : "none";
	char *buf;
	size_t cap = 4 << 20;
	int rc;

	if (ctl_json_begin(&j) != 0)
		return -1;
	ctl_json_open(&j, NULL, '{');
	ctl_json_str(&j, "number", x->dialled);
	ctl_json_str(&j, "from", x->from ? x->from->name : NULL);
	json_rule(&j, "in_rule", &x->in_hit, p);
	ctl_json_str(&j, "normalised", x->normalised);
	ctl_json_bool(&j, "daemon_reachable", st->known);
	if (st->known)
		ctl_json_null(&j, "daemon_error");
	else
		ctl_json_str(&j, "daemon_error", st->why);
	if (x->total) {
		ctl_json_str(&j, "prefix", x->prefix);
		ctl_json_str(&j, "routes_of", x->own ? "from_trunk" : "any");
	} else {
		ctl_json_null(&j, "prefix");
		ctl_json_null(&j, "routes_of");
	}
	ctl_json_int(&j, "routes_total", (long long)x->total);
	ctl_json_open(&j, "candidates", '[');
	for (size_t i = 0; i < x->n; i++) {
		const struct route_explain_cand *c = &x->cand[i];
		const struct policy_trunk *t = c->route.to;
		const struct trunk_state *s = state_of(st, t->name);

		ctl_json_open(&j, NULL, '{');
		ctl_json_str(&j, "trunk", t->name);
		ctl_json_int(&j, "route_id", c->route.id);
		ctl_json_int(&j, "priority", c->route.priority);
		ctl_json_int(&j, "weight", c->route.weight);
		ctl_json_num(&j, "share", c->skip == ROUTE_TRY ? c->share : 0);
		ctl_json_str(&j, "verdict", route_skip_name(c->skip));
		json_limit(&j, "max_channels", t->max_channels);
		json_limit(&j, "max_cps", t->max_cps);
		if (s) {
			ctl_json_open(&j, "state", '{');
			ctl_json_str(&j, "reach", s->reach);
			ctl_json_str(&j, "reg", s->reg);
			ctl_json_int(&j, "channels", s->channels);
			ctl_json_num(&j, "cps", s->cps);
			ctl_json_close(&j, '}');
		} else {
			ctl_json_null(&j, "state");
		}
		json_rule(&j, "out_rule", &c->out_hit, p);
		ctl_json_str(&j, "sends", c->number);
		if (c->rate) {
			ctl_json_open(&j, "rate", '{');
			ctl_json_str(&j, "prefix", c->rate->prefix);
			ctl_json_num(&j, "per_minute", c->rate->per_minute);
			ctl_json_int(&j, "increment_s", c->rate->increment_s);
			ctl_json_int(&j, "min_s", c->rate->min_s);
			ctl_json_num(&j, "connect_fee", c->rate->connect_fee);
			ctl_json_close(&j, '}');
		} else {
			ctl_json_null(&j, "rate");
		}
		ctl_json_close(&j, '}');
	}
	ctl_json_close(&j, ']');
	ctl_json_open(&j, "first", '{');
	ctl_json_str(&j, "kind", kind);
	if (x->pick == ROUTE_PICK_NONE)
		ctl_json_null(&j, "priority");
	else
		ctl_json_int(&j, "priority", group_priority(x, x->first_group));
	ctl_json_str(&j, "trunk", x->pick == ROUTE_PICK_ONE ? x->cand[x->first].route.to->name : NULL);
	ctl_json_open(&j, "shares", '[');
	for (size_t i = 0; x->pick != ROUTE_PICK_NONE && i < x->n; i++) {
		const struct route_explain_cand *c = &x->cand[i];

		if (c->group != x->first_group || c->skip != ROUTE_TRY || c->share <= 0)
			continue;
		ctl_json_open(&j, NULL, '{');
		ctl_json_str(&j, "trunk", c->route.to->name);
		ctl_json_num(&j, "share", c->share);
		ctl_json_close(&j, '}');
	}
	ctl_json_close(&j, ']');
	ctl_json_int(&j, "skipped_before", x->skipped_before);
	ctl_json_close(&j, '}');
	ctl_json_close(&j, '}');
	buf = malloc(cap);
	if (!buf) {
		ctl_json_finish(&j, (char[64]){0}, 64);
		return -1;
	}
	rc = ctl_json_finish(&j, buf, cap);
	if (rc == 0)
		fputs(buf, stdout);
	else
		fprintf(stderr, "b2bua-ctl: %s\n", buf);
	free(buf);
	return rc;
}

int ctl_route_usage(FILE *f)
{
	fprintf(f, "usage: b2bua-ctl [-c CONF] [-d DB] [-s SOCKET] route explain NUMBER [--from TRUNK] [--json]\n"
		   "  how the b2bua would route NUMBER, worked out with its own code on the\n"
		   "  policy in DB: the \"in\" number rule of --from's trunk (else rules for all\n"
		   "  trunks only), the normalised number, the route prefix matched, every\n"
		   "  candidate with priority, weight, limits, its \"out\" rule, the number sent\n"
		   "  and the rate, the trunk tried first and why (a weighted draw is shown as\n"
		   "  the chances it is). Trunk state (reach, registration, channels, cps) comes\n"
		   "  from the daemon at SOCKET: a trunk down or at its limits is skipped;\n"
		   "  without the daemon the state is unknown and nothing is skipped.\n"
		   "  --from TRUNK   the trunk the call comes from (trunks.name, any case)\n"
		   "  --json         one JSON document\n"
		   "  exit: 0 a trunk would be tried, 1 the call would be refused (no route,\n"
		   "  or every candidate skipped), 2 usage, unknown trunk, database\n");
	return 0;
}

int ctl_route_main(const char *db, const char *sock, int argc, char **argv)
{
	const char *number = NULL, *from_name = NULL;
	const struct policy_trunk *from = NULL;
	struct policy *p = NULL;
	struct route_explain *x = NULL;
	struct states st;
	char err[1024];
	int json = 0, rc = 2;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return ctl_route_usage(stdout);
	if (argc < 2 || strcmp(argv[1], "explain") != 0) {
		fprintf(stderr, "b2bua-ctl: route: %s (route explain NUMBER)\n(b2bua-ctl route --help for help)\n",
			argc < 2 ? "what to do?" : "unknown subcommand");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--from") == 0 || strncmp(argv[i], "--from=", 7) == 0) {
			if (argv[i][6] == '=') {
				from_name = argv[i] + 7;
			} else if (i + 1 < argc) {
				from_name = argv[++i];
			} else {
				fprintf(stderr, "b2bua-ctl: --from needs a trunk name\n(b2bua-ctl route --help for help)\n");
				return 2;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "b2bua-ctl: unknown route option '%s'\n(b2bua-ctl route --help for help)\n",
				argv[i]);
			return 2;
		} else if (!number) {
			number = argv[i];
		} else {
			fprintf(stderr, "b2bua-ctl: route explain takes one NUMBER\n(b2bua-ctl route --help for help)\n");
			return 2;
		}
	}
	if (!number) {
		fprintf(stderr, "b2bua-ctl: route explain: which NUMBER?\n(b2bua-ctl route --help for help)\n");
		return 2;
	}
	if (policy_load(&p, db, err, sizeof(err)) != 0) {
		fprintf(stderr, "b2bua-ctl: %s\n", err);
		return 2;
	}
	if (from_name) {
		/* Any case, as cdr --trunk (names equal but for case are refused
		 * at load, so at most one matches). */
		for (size_t i = 0; i < policy_trunk_count(p) && !from; i++)
			if (strcasecmp(policy_trunk_at(p, i)->name, from_name) == 0)
				from = policy_trunk_at(p, i);
		if (!from) {
			fprintf(stderr, "b2bua-ctl: unknown trunk '%s' for --from (trunks:", from_name);
			for (size_t i = 0; i < policy_trunk_count(p); i++)
				fprintf(stderr, "%s %s", i ? "," : "", policy_trunk_at(p, i)->name);
			fprintf(stderr, "%s)\n", policy_trunk_count(p) ? "" : " none");
			goto out;
		}
	}
	x = malloc(sizeof(*x));
	if (!x) {
		fprintf(stderr, "b2bua-ctl: out of memory\n");
		goto out;
	}
	states_load(&st, sock);
	if (route_explain(x, p, from, number, skip_of, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "b2bua-ctl: %s\n", err);
	} else if (json) {
		rc = print_json(x, p, &st) == 0 ? 0 : 1;
	} else {
		print_text(x, p, &st, sock);
		rc = 0;
	}
	if (rc == 0 && x->pick == ROUTE_PICK_NONE)
		rc = 1;
	free(st.v);
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
		rc = 1;
out:
	free(x);
	policy_unref(p);
	return rc;
}
