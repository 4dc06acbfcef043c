/*
 * policy.c - loads the policy snapshot from SQLite and answers routing,
 * rewrite, header and rate questions from it (see policy.h).
 *
 * Owns: struct policy. policy_load() reads every table inside one read
 * transaction (so a reload never sees half an edit), validates each row and
 * refuses the whole load on the first bad one, naming its table and id.
 * After that nothing is written: the snapshot is shared across threads by
 * an atomic refcount and read without locks.
 *
 * Routes: one prefix trie for routes of any trunk and one per source trunk.
 * Disabled routes and routes to disabled trunks are left out at load, so a
 * shorter prefix (or the '' default) takes over while they are off.
 * Each trie value is the prefix's candidate list sorted by priority, id.
 * Must not: know about SIP; touch SQLite after policy_load() returns.
 */
#include <stdatomic.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "policy.h"
#include "cidr.h"
#include "codecs.h"
#include "db.h"
#include "rates.h"
#include "rules.h"
#include "trie.h"

struct route_ent {
	int id;
	int priority;
	unsigned weight;
	const struct policy_trunk *to;
};

struct route_list {
	struct route_ent *v;
	size_t n, cap;
};

struct policy {
	atomic_int refs;
	struct policy_trunk *trunks;      /* sorted by id */
	size_t ntrunks;
	struct trie **own_routes;         /* parallel to trunks; NULL = none */
	struct trie *any_routes;
	struct cidr_table *sources;       /* value: const struct policy_trunk * */
	struct rules *rules;
	struct rates *rates;
};

/* ---- snapshot lifetime ---- */

static void route_list_free(void *p)
{
	struct route_list *l = p;

	free(l->v);
	free(l);
}

static void policy_free(struct policy *p)
{
	if (!p)
		return;
	if (p->own_routes)
		for (size_t i = 0; i < p->ntrunks; i++)
			trie_free(p->own_routes[i], route_list_free);
	free(p->own_routes);
	trie_free(p->any_routes, route_list_free);
	cidr_table_free(p->sources);
	rules_free(p->rules);
	rates_free(p->rates);
	free(p->trunks);
	free(p);
}

struct policy *policy_ref(struct policy *p)
{
	if (p)
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void policy_unref(struct policy *p)
{
	/* acq_rel: the last holder must see every other holder's reads done. */
	if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
		policy_free(p);
}

/* ---- trunks ---- */

size_t policy_trunk_count(const struct policy *p)
{
	return p ? p->ntrunks : 0;
}

const struct policy_trunk *policy_trunk_at(const struct policy *p, size_t i)
{
	return p && i < p->ntrunks ? &p->trunks[i] : NULL;
}

static long trunk_index(const struct policy *p, int id)
{
	size_t lo = 0, hi = p ? p->ntrunks : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->trunks[mid].id == id)
			return (long)mid;
		if (p->trunks[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const struct policy_trunk *policy_trunk_by_id(const struct policy *p, int id)
{
	long i = trunk_index(p, id);

	return i < 0 ? NULL : &p->trunks[i];
}

const struct policy_trunk *policy_trunk_by_name(const struct policy *p, const char *name)
{
	if (!p || !name)
		return NULL;
	for (size_t i = 0; i < p->ntrunks; i++)
		if (strcmp(p->trunks[i].name, name) == 0)
			return &p->trunks[i];
	return NULL;
}

const struct policy_trunk *policy_trunk_by_addr(const struct policy *p, const struct sockaddr *sa)
{
	return p ? cidr_table_lookup(p->sources, sa) : NULL;
}

const struct policy_trunk *policy_trunk_by_target(const struct policy *p, const char *host, int port)
{
	struct sockaddr_storage ss;
	const struct policy_trunk *t;

	if (!p || !host || !*host)
		return NULL;
	/* No port: 5060 (RFC 3261 19.1.2) first, then the host's only trunk. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->ntrunks; i++) {
			int want = port ? port : 5060;

			t = &p->trunks[i];
			if (t->enabled && strcasecmp(t->host, host) == 0 &&
			    ((pass == 0 && want == (t->port ? t->port : 5060)) || (pass == 1 && !port)))
				return t;
		}
	/* An address one of its sources holds: where that trunk's SIP
	 * comes from (its INVITE still goes to trunks.host). */
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return NULL;
	t = policy_trunk_by_addr(p, (const struct sockaddr *)&ss);
	return t && t->enabled ? t : NULL;
}

size_t policy_source_nets(const struct policy *p, struct policy_net *out, size_t max)
{
	size_t n = p ? cidr_table_count(p->sources) : 0;

	for (size_t i = 0; i < n && i < max; i++) {
		const struct cidr *c = cidr_table_at(p->sources, i);

		out[i].family = c->family;
		memcpy(out[i].addr, c->addr, sizeof(out[i].addr));
		out[i].bits = c->bits;
	}
	return n;
}

/* ---- loading ---- */

struct loader {
	sqlite3 *db;
	struct policy *p;
	char *err;
	size_t errlen;
};

static int prepare(struct loader *l, const char *table, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(l->db, sql, -1, st, NULL) != SQLITE_OK) {
		snprintf(l->err, l->errlen, "%s: %s", table, sqlite3_errmsg(l->db));
		return -1;
	}
	return 0;
}

/* SQLITE_ROW, SQLITE_DONE, or -1 with err set. */
static int step(struct loader *l, const char *table, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	snprintf(l->err, l->errlen, "%s: %s", table, sqlite3_errmsg(l->db));
	return -1;
}

static const char *text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? (const char *)s : "";
}

/* Copies column col into dst; a value that does not fit is a bad row. */
static int copy_col(struct loader *l, sqlite3_stmt *st, int col, char *dst, size_t cap,
		    const char *table, const char *what, long long id)
{
	const char *s = text(st, col);
	size_t n = strlen(s);

	if (n >= cap) {
		snprintf(l->err, l->errlen, "%s id %lld: %s longer than %zu characters",
			 table, id, what, cap - 1);
		return -1;
	}
	memcpy(dst, s, n + 1);
	return 0;
}

static int trunk_cmp(const void *a, const void *b)
{
	const struct policy_trunk *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* A text column that must be one of names (any case; "" or NULL means
 * the first): its index in *out; -1 with the error set otherwise. */
static int enum_col(struct loader *l, sqlite3_stmt *st, int col, long long id, const char *what,
		    const char *const *names, int n, int *out)
{
	const char *v = text(st, col);
	size_t len;

	for (int i = 0; i < n; i++)
		if ((!*v && i == 0) || strcasecmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	len = (size_t)snprintf(l->err, l->errlen, "trunks id %lld: %s '%s' is not ", id, what, v);
	for (int i = 0; i < n && len < l->errlen; i++)
		len += (size_t)snprintf(l->err + len, l->errlen - len, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ",
					names[i]);
	return -1;
}

/* A codec name the b2bua cannot match would drop every stream of the
 * trunk at call time (codecs.h). */
static int check_codecs(struct loader *l, const struct policy_trunk *t)
{
	char bad[64];

	switch (codecs_check(t->codecs, bad, sizeof(bad))) {
	case 0:
		return 0;
	case -1:
		snprintf(l->err, l->errlen, "trunks id %d (%s): unknown codec '%s' (known: %s)", t->id, t->name,
			 bad, codecs_known());
		return -1;
	default:
		snprintf(l->err, l->errlen, "trunks id %d (%s): codecs '%s' names no codec (NULL or '' is any)",
			 t->id, t->name, t->codecs);
		return -1;
	}
}

/* Names are unique in SQL, but people (b2bua-ctl --trunk, CDR readers)
 * take Carrier1 and carrier1 for one trunk: refused. Trunks sorted by id. */
static int check_names(struct loader *l)
{
	const struct policy_trunk *v = l->p->trunks;

	for (size_t i = 1; i < l->p->ntrunks; i++)
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(v[i].name, v[j].name) == 0) {
				snprintf(l->err, l->errlen,
					 "trunks id %d (%s) and id %d (%s): names differ only in case", v[j].id,
					 v[j].name, v[i].id, v[i].name);
				return -1;
			}
	return 0;
}

static int load_trunks(struct loader *l)
{
	static const char *const T = "trunks";
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc = -1, s;

	if (prepare(l, T, "SELECT id, name, host, port, transport, username, password, realm,"
		    " register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled,"
		    " media_latch, trusted, sdp_keep, refer, rel100, session_expires, redirect, avpf, trust_reason,"
		    " tls_verify, interface FROM trunks"
		    " ORDER BY id", &st) != 0)
		return -1;
	while ((s = step(l, T, st)) == SQLITE_ROW) {
		struct policy_trunk *t;
		long long id = sqlite3_column_int64(st, 0);
		const char *v;

		if (l->p->ntrunks == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct policy_trunk *nv = realloc(l->p->trunks, ncap * sizeof(*nv));

			if (!nv) {
				snprintf(l->err, l->errlen, "trunks: out of memory");
				goto out;
			}
			l->p->trunks = nv;
			cap = ncap;
		}
		t = &l->p->trunks[l->p->ntrunks];
		memset(t, 0, sizeof(*t));
		t->id = (int)id;
		if (copy_col(l, st, 1, t->name, sizeof(t->name), T, "name", id) ||
		    copy_col(l, st, 2, t->host, sizeof(t->host), T, "host", id) ||
		    copy_col(l, st, 4, t->transport, sizeof(t->transport), T, "transport", id) ||
		    copy_col(l, st, 5, t->username, sizeof(t->username), T, "username", id) ||
		    copy_col(l, st, 6, t->password, sizeof(t->password), T, "password", id) ||
		    copy_col(l, st, 7, t->realm, sizeof(t->realm), T, "realm", id) ||
		    copy_col(l, st, 11, t->codecs, sizeof(t->codecs), T, "codecs", id))
			goto out;
		if (!t->name[0]) {
			snprintf(l->err, l->errlen, "trunks id %lld: empty name", id);
			goto out;
		}
		if (check_codecs(l, t) != 0)
			goto out;
		if (!t->transport[0])
			snprintf(t->transport, sizeof(t->transport), "udp");
		for (char *c = t->transport; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if (strcmp(t->transport, "udp") && strcmp(t->transport, "tcp") && strcmp(t->transport, "tls")) {
			snprintf(l->err, l->errlen, "trunks id %lld: transport '%s' is not udp, tcp or tls",
				 id, t->transport);
			goto out;
		}
		t->port = sqlite3_column_int(st, 3);
		if (t->port < 0 || t->port > 65535) {
			snprintf(l->err, l->errlen, "trunks id %lld: port %d out of range", id, t->port);
			goto out;
		}
		t->reg = sqlite3_column_int(st, 8) != 0;
		t->max_channels = sqlite3_column_int(st, 9);
		t->max_cps = sqlite3_column_int(st, 10);
		if (t->max_channels < 0 || t->max_cps < 0) {
			snprintf(l->err, l->errlen, "trunks id %lld: negative max_channels or max_cps", id);
			goto out;
		}
		v = text(st, 12);
		if (!*v || strcasecmp(v, "off") == 0)
			t->srtp = POLICY_SRTP_OFF;
		else if (strcasecmp(v, "optional") == 0)
			t->srtp = POLICY_SRTP_OPTIONAL;
		else if (strcasecmp(v, "mandatory") == 0)
			t->srtp = POLICY_SRTP_MANDATORY;
		else {
			snprintf(l->err, l->errlen, "trunks id %lld: srtp '%s' is not off, optional or mandatory",
				 id, v);
			goto out;
		}
		t->options_ping_s = sqlite3_column_int(st, 13);
		t->enabled = sqlite3_column_int(st, 14) != 0;
		v = text(st, 15);
		if (!*v || strcasecmp(v, "learn") == 0)
			t->media_latch = POLICY_LATCH_LEARN;
		else if (strcasecmp(v, "sdp") == 0)
			t->media_latch = POLICY_LATCH_SDP;
		else if (strcasecmp(v, "first") == 0)
			t->media_latch = POLICY_LATCH_FIRST;
		else {
			snprintf(l->err, l->errlen, "trunks id %lld: media_latch '%s' is not sdp, learn or first",
				 id, v);
			goto out;
		}
		t->trusted = sqlite3_column_int(st, 16) != 0;
		if (copy_col(l, st, 17, t->sdp_keep, sizeof(t->sdp_keep), T, "sdp_keep", id))
			goto out;
		{
			/* in the order of their enums (policy.h) */
			static const char *const refer[] = {"reject", "local"};
			static const char *const rel100[] = {"supported", "required", "off"};
			static const char *const redirect[] = {"next", "follow"};
			static const char *const avpf[] = {"off", "keep"};
			int e1, e2, e3, e4;

			if (enum_col(l, st, 18, id, "refer", refer, 2, &e1) ||
			    enum_col(l, st, 19, id, "rel100", rel100, 3, &e2) ||
			    enum_col(l, st, 21, id, "redirect", redirect, 2, &e3) ||
			    enum_col(l, st, 22, id, "avpf", avpf, 2, &e4))
				goto out;
			t->refer = (enum policy_refer)e1;
			t->rel100 = (enum policy_rel100)e2;
			t->redirect = (enum policy_redirect)e3;
			t->avpf = (enum policy_avpf)e4;
		}
		t->session_expires = sqlite3_column_type(st, 20) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 20);
		t->trust_reason = sqlite3_column_type(st, 23) == SQLITE_NULL ? t->trusted
									     : sqlite3_column_int(st, 23) != 0;
		t->tls_verify = sqlite3_column_int(st, 24) != 0;
		if (t->session_expires < -1 || t->session_expires > 86400) {
			snprintf(l->err, l->errlen, "trunks id %lld: session_expires %d is not 0-86400 or NULL", id,
				 t->session_expires);
			goto out;
		}
		if (copy_col(l, st, 25, t->iface, sizeof(t->iface), T, "interface", id))
			goto out;
		l->p->ntrunks++;
	}
	if (s != SQLITE_DONE)
		goto out;
	if (l->p->ntrunks)
		qsort(l->p->trunks, l->p->ntrunks, sizeof(*l->p->trunks), trunk_cmp);
	if (check_names(l) != 0)
		goto out;
	l->p->own_routes = calloc(l->p->ntrunks ? l->p->ntrunks : 1, sizeof(*l->p->own_routes));
	if (!l->p->own_routes) {
		snprintf(l->err, l->errlen, "trunks: out of memory");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int policy_check_ifaces(const struct policy *p, const char *const *names, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->ntrunks; i++) {
		const struct policy_trunk *t = &p->trunks[i];
		size_t k = 0;

		if (!t->iface[0])
			continue;
		while (k < n && strcmp(names[k], t->iface) != 0)
			k++;
		if (k == n) {
			snprintf(err, errlen, "trunks id %d (%s): interface '%s' is not a [sip] listen name", t->id,
				 t->name, t->iface);
			return -1;
		}
	}
	return 0;
}

/* Index of the trunk of column col (must be set), or -1 with err. */
static long need_trunk(struct loader *l, sqlite3_stmt *st, int col, const char *table,
		       const char *idword, long long id, const char *colname)
{
	long i = trunk_index(l->p, sqlite3_column_int(st, col));

	if (i < 0)
		snprintf(l->err, l->errlen, "%s %s %lld: %s %s does not exist", table, idword, id,
			 colname, text(st, col));
	return i;
}

static int load_sources(struct loader *l)
{
	static const char *const T = "trunk_sources";
	sqlite3_stmt *st = NULL;
	int rc = -1, s;

	if (prepare(l, T, "SELECT rowid, trunk_id, cidr FROM trunk_sources ORDER BY rowid", &st) != 0)
		return -1;
	while ((s = step(l, T, st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		struct cidr c;
		char why[128];
		long ti;

		if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
			snprintf(l->err, l->errlen, "%s rowid %lld: trunk_id is NULL", T, id);
			goto out;
		}
		ti = need_trunk(l, st, 1, T, "rowid", id, "trunk_id");
		if (ti < 0)
			goto out;
		if (cidr_parse(&c, text(st, 2), why, sizeof(why)) != 0) {
			snprintf(l->err, l->errlen, "%s rowid %lld: %s", T, id, why);
			goto out;
		}
		/* A disabled trunk is no trunk: its sources identify nobody. */
		if (l->p->trunks[ti].enabled &&
		    cidr_table_add(l->p->sources, &c, &l->p->trunks[ti]) != 0) {
			snprintf(l->err, l->errlen, "%s: out of memory", T);
			goto out;
		}
	}
	rc = s == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	return rc;
}

static int route_add(struct trie *t, const char *prefix, const struct route_ent *e)
{
	void **slot = trie_slot(t, prefix);
	struct route_list *rl;

	if (!slot)
		return -1;
	rl = *slot;
	if (!rl) {
		rl = calloc(1, sizeof(*rl));
		if (!rl)
			return -1;
		*slot = rl;
	}
	if (rl->n == rl->cap) {
		size_t cap = rl->cap ? rl->cap * 2 : 4;
		struct route_ent *v = realloc(rl->v, cap * sizeof(*v));

		if (!v)
			return -1;
		rl->v = v;
		rl->cap = cap;
	}
	/* Rows come ordered by priority, id: appending keeps the list sorted. */
	rl->v[rl->n++] = *e;
	return 0;
}

static int load_routes(struct loader *l)
{
	static const char *const T = "routes";
	sqlite3_stmt *st = NULL;
	int rc = -1, s;

	if (prepare(l, T, "SELECT id, from_trunk_id, prefix, to_trunk_id, priority, weight, enabled"
		    " FROM routes ORDER BY priority, id", &st) != 0)
		return -1;
	while ((s = step(l, T, st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		struct route_ent e;
		struct trie **t = &l->p->any_routes;
		long from = -1, to;
		long long w = sqlite3_column_int64(st, 5);

		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			from = need_trunk(l, st, 1, T, "id", id, "from_trunk_id");
			if (from < 0)
				goto out;
			t = &l->p->own_routes[from];
		}
		if (sqlite3_column_type(st, 3) == SQLITE_NULL) {
			snprintf(l->err, l->errlen, "%s id %lld: to_trunk_id is NULL", T, id);
			goto out;
		}
		to = need_trunk(l, st, 3, T, "id", id, "to_trunk_id");
		if (to < 0)
			goto out;
		if (w < 0 || w > 1000000) {
			snprintf(l->err, l->errlen, "%s id %lld: weight %lld out of range 0..1000000", T, id, w);
			goto out;
		}
		if (!sqlite3_column_int(st, 6) || !l->p->trunks[to].enabled)
			continue;
		e.id = (int)id;
		e.priority = sqlite3_column_int(st, 4);
		e.weight = (unsigned)w;
		e.to = &l->p->trunks[to];
		if (!*t)
			*t = trie_new();
		if (!*t || route_add(*t, text(st, 2), &e) != 0) {
			snprintf(l->err, l->errlen, "%s: out of memory", T);
			goto out;
		}
	}
	rc = s == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	return rc;
}

static int parse_dir(const char *s, enum policy_dir *d)
{
	if (strcmp(s, "in") == 0)
		*d = POLICY_IN;
	else if (strcmp(s, "out") == 0)
		*d = POLICY_OUT;
	else
		return -1;
	return 0;
}

/* RULES_ALL_TRUNKS for NULL, the trunk id, or -2 (err set). */
static int rule_trunk(struct loader *l, sqlite3_stmt *st, int col, const char *table, long long id)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return RULES_ALL_TRUNKS;
	if (need_trunk(l, st, col, table, "id", id, "trunk_id") < 0)
		return -2;
	return sqlite3_column_int(st, col);
}

static int load_number_rules(struct loader *l)
{
	static const char *const T = "number_rules";
	static const char *const fields[] = {"ruri", "from", "to", "pai", "display"};
	sqlite3_stmt *st = NULL;
	int rc = -1, s;

	if (prepare(l, T, "SELECT id, trunk_id, direction, field, match, replace, priority"
		    " FROM number_rules ORDER BY id", &st) != 0)
		return -1;
	while ((s = step(l, T, st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		int trunk = rule_trunk(l, st, 1, T, id);
		enum policy_dir dir;
		int field = -1;

		if (trunk == -2)
			goto out;
		if (parse_dir(text(st, 2), &dir) != 0) {
			snprintf(l->err, l->errlen, "%s id %lld: direction '%s' is not in or out", T, id, text(st, 2));
			goto out;
		}
		for (int i = 0; i < (int)(sizeof(fields) / sizeof(fields[0])); i++)
			if (strcmp(text(st, 3), fields[i]) == 0)
				field = i;
		if (field < 0) {
			snprintf(l->err, l->errlen, "%s id %lld: field '%s' is not ruri, from, to, pai or display",
				 T, id, text(st, 3));
			goto out;
		}
		if (rules_add_number(l->p->rules, (int)id, trunk, dir, (enum policy_field)field,
				     text(st, 4), text(st, 5), sqlite3_column_int(st, 6),
				     l->err, l->errlen) != 0)
			goto out;
	}
	rc = s == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	return rc;
}

static int load_header_rules(struct loader *l)
{
	static const char *const T = "header_rules";
	static const char *const actions[] = {"add", "remove", "replace"};
	sqlite3_stmt *st = NULL;
	int rc = -1, s;

	if (prepare(l, T, "SELECT id, trunk_id, direction, action, header, match, value, priority"
		    " FROM header_rules ORDER BY id", &st) != 0)
		return -1;
	while ((s = step(l, T, st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		int trunk = rule_trunk(l, st, 1, T, id);
		enum policy_dir dir;
		int action = -1;

		if (trunk == -2)
			goto out;
		if (parse_dir(text(st, 2), &dir) != 0) {
			snprintf(l->err, l->errlen, "%s id %lld: direction '%s' is not in or out", T, id, text(st, 2));
			goto out;
		}
		for (int i = 0; i < 3; i++)
			if (strcmp(text(st, 3), actions[i]) == 0)
				action = i;
		if (action < 0) {
			snprintf(l->err, l->errlen, "%s id %lld: action '%s' is not add, remove or replace",
				 T, id, text(st, 3));
			goto out;
		}
		if (rules_add_header(l->p->rules, (int)id, trunk, dir, (enum rules_action)action,
				     text(st, 4), text(st, 5), text(st, 6), sqlite3_column_int(st, 7),
				     l->err, l->errlen) != 0)
			goto out;
	}
	rc = s == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	return rc;
}

static int load_rates(struct loader *l)
{
	static const char *const T = "rates";
	sqlite3_stmt *st = NULL;
	int rc = -1, s;

	if (prepare(l, T, "SELECT rowid, prefix, trunk_id, per_minute, increment_s, min_s, connect_fee"
		    " FROM rates ORDER BY rowid", &st) != 0)
		return -1;
	while ((s = step(l, T, st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		struct rate r;
		char why[128];

		memset(&r, 0, sizeof(r));
		if (copy_col(l, st, 1, r.prefix, sizeof(r.prefix), T, "prefix", id))
			goto out;
		if (need_trunk(l, st, 2, T, "id", id, "trunk_id") < 0)
			goto out;
		r.trunk_id = sqlite3_column_int(st, 2);
		r.per_minute = sqlite3_column_double(st, 3);
		r.increment_s = sqlite3_column_int(st, 4);
		r.min_s = sqlite3_column_int(st, 5);
		r.connect_fee = sqlite3_column_double(st, 6);
		if (r.increment_s < 0 || r.min_s < 0 || r.per_minute < 0 || r.connect_fee < 0) {
			snprintf(l->err, l->errlen, "%s id %lld: negative price or seconds", T, id);
			goto out;
		}
		if (rates_add(l->p->rates, &r, why, sizeof(why)) != 0) {
			snprintf(l->err, l->errlen, "%s id %lld: %s", T, id, why);
			goto out;
		}
	}
	rc = s == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	return rc;
}

int policy_load(struct policy **out, const char *db_path, char *err, size_t errlen)
{
	struct loader l = {NULL, NULL, err, errlen};
	int rc = -1, v;

	*out = NULL;
	if (errlen)
		err[0] = 0;
	if (db_open(&l.db, db_path, 1, err, errlen) != 0)
		return -1;
	/* One read transaction: every table from the same commit. */
	if (sqlite3_exec(l.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, sqlite3_errmsg(l.db));
		goto out;
	}
	v = db_user_version(l.db, err, errlen);
	if (v < 0)
		goto out;
	if (v == 0) {
		snprintf(err, errlen, "%s: database has no schema", db_path);
		goto out;
	}
	l.p = calloc(1, sizeof(*l.p));
	if (!l.p)
		goto oom;
	atomic_init(&l.p->refs, 1);
	l.p->sources = cidr_table_new();
	l.p->rules = rules_new();
	l.p->rates = rates_new();
	if (!l.p->sources || !l.p->rules || !l.p->rates)
		goto oom;
	if (load_trunks(&l) || load_sources(&l) || load_routes(&l) || load_number_rules(&l) ||
	    load_header_rules(&l) || load_rates(&l))
		goto out;
	rules_finish(l.p->rules);
	*out = l.p;
	l.p = NULL;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "policy: out of memory");
out:
	sqlite3_exec(l.db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(l.db);
	policy_free(l.p);
	return rc;
}

/* ---- routing ---- */

static unsigned default_rnd(void *arg)
{
	(void)arg;
	return (unsigned)random();
}

static int already(const struct policy_trunk **out, size_t n, const struct policy_trunk *t)
{
	for (size_t i = 0; i < n; i++)
		if (out[i] == t)
			return 1;
	return 0;
}

#define ROUTE_GROUP_MAX POLICY_ROUTE_GROUP_MAX

/* The list a call to user from from_trunk_id draws from: the longest
 * prefix of the trunk's own routes and of those for any trunk, a tie to
 * the trunk's own. *len gets the prefix's length, *own which won. */
static const struct route_list *route_match(const struct policy *p, int from_trunk_id, const char *user,
					    size_t *len, int *own_won)
{
	const struct route_list *own = NULL, *any;
	size_t own_len = 0, any_len = 0;
	long ti = trunk_index(p, from_trunk_id);

	if (!user)
		user = "";
	if (ti >= 0)
		own = trie_longest(p->own_routes[ti], user, &own_len);
	any = trie_longest(p->any_routes, user, &any_len);
	if (own && (!any || own_len >= any_len)) {
		if (len)
			*len = own_len;
		if (own_won)
			*own_won = 1;
		return own;
	}
	if (len)
		*len = any_len;
	if (own_won)
		*own_won = 0;
	return any;
}

size_t policy_route_list(const struct policy *p, int from_trunk_id, const char *user,
			 struct policy_route_info *out, size_t max, char *prefix, size_t prefixlen, int *own)
{
	const struct route_list *rl;
	size_t len = 0;

	if (prefixlen)
		prefix[0] = 0;
	if (own)
		*own = 0;
	if (!p)
		return 0;
	if (!user)
		user = "";
	rl = route_match(p, from_trunk_id, user, &len, own);
	if (!rl)
		return 0;
	if (prefixlen)
		snprintf(prefix, prefixlen, "%.*s", (int)len, user);
	for (size_t i = 0; i < rl->n && i < max; i++) {
		out[i].id = rl->v[i].id;
		out[i].priority = rl->v[i].priority;
		out[i].weight = rl->v[i].weight;
		out[i].to = rl->v[i].to;
	}
	return rl->n;
}

size_t policy_route(const struct policy *p, int from_trunk_id, const char *user,
		    const struct policy_trunk **out, size_t max,
		    unsigned (*rnd)(void *), void *rnd_arg)
{
	const struct route_list *rl;
	size_t n = 0, i = 0;

	if (!p || !out || max == 0)
		return 0;
	if (!rnd)
		rnd = default_rnd;
	rl = route_match(p, from_trunk_id, user, NULL, NULL);
	if (!rl)
		return 0;

	while (i < rl->n && n < max) {
		const struct route_ent *grp[ROUTE_GROUP_MAX];
		size_t g = 0, j = i;
		unsigned long long total = 0;

		/* One priority group, in id order, at most ROUTE_GROUP_MAX. */
		for (; j < rl->n && rl->v[j].priority == rl->v[i].priority; j++)
			if (g < ROUTE_GROUP_MAX) {
				grp[g++] = &rl->v[j];
				total += rl->v[j].weight;
			}
		i = j;
		/* Weighted draw without replacement; weight 0 entries go last,
		 * in id order, once every weighted one is out. */
		while (g > 0 && n < max) {
			size_t pick = 0;

			if (total > 0) {
				unsigned long long r = rnd(rnd_arg) % total;

				for (pick = 0; pick < g; pick++) {
					if (r < grp[pick]->weight)
						break;
					r -= grp[pick]->weight;
				}
			}
			if (!already(out, n, grp[pick]->to))
				out[n++] = grp[pick]->to;
			total -= grp[pick]->weight;
			memmove(&grp[pick], &grp[pick + 1], (g - pick - 1) * sizeof(grp[0]));
			g--;
		}
	}
	return n;
}

/* ---- rules and rates ---- */

int policy_number_rewrite(const struct policy *p, int trunk_id, enum policy_dir dir,
			  enum policy_field field, const char *in, char *out, size_t outlen)
{
	return rules_number_rewrite(p ? p->rules : NULL, trunk_id, dir, field, in, out, outlen);
}

size_t policy_header_apply(const struct policy *p, int trunk_id, enum policy_dir dir,
			   struct policy_hdr *hdrs, size_t n, size_t cap)
{
	return rules_header_apply(p ? p->rules : NULL, trunk_id, dir, hdrs, n, cap);
}

int policy_number_explain(const struct policy *p, int trunk_id, enum policy_dir dir, enum policy_field field,
			  const char *in, char *out, size_t outlen, struct policy_rule_hit *hit)
{
	return rules_number_explain(p ? p->rules : NULL, trunk_id, dir, field, in, out, outlen, hit);
}

const struct rate *policy_rate_find(const struct policy *p, int trunk_id, const char *number)
{
	return p ? rates_find(p->rates, trunk_id, number) : NULL;
}

int policy_rate_cost(const struct policy *p, int trunk_id, const char *number,
		     double duration_s, double *cost)
{
	const struct rate *r = p ? rates_find(p->rates, trunk_id, number) : NULL;

	if (!r)
		return -1;
	*cost = rate_cost(r, duration_s);
	return 0;
}
