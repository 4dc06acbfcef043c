/*
 * cdr_query.c - read-only CDR search, summaries and their output formats
 * (see cdr_query.h).
 *
 * Owns: a read-only sqlite3 handle. The WHERE clause is assembled only from
 * the fixed fragments below, each with its numbered parameter; user text is
 * always bound, never pasted into SQL.
 * Must not: write, or hold a read transaction longer than one query (a WAL
 * reader pins the WAL and would keep the writer's checkpoints from
 * finishing).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "cdr_query.h"

#define BUSY_TIMEOUT_MS 5000
#define DAY_MS 86400000LL

struct cdr_query {
	sqlite3 *db;
};

const char *const cdr_query_columns[CDR_NCOLS] = {
	"id", "call_id", "b_call_id", "from_trunk", "to_trunk", "caller", "callee",
	"routed_to", "start_time", "answer_time", "end_time", "duration_s", "sip_code",
	"reason", "disposition", "hangup_by", "codec", "a_rtp_pkts", "b_rtp_pkts",
	"a_rtp_lost", "b_rtp_lost", "cost", "node",
};

/* Parameter numbers, fixed so a fragment names its own. */
enum { P_FROM = 1, P_TO, P_NUM, P_NUM_HI, P_TRUNK, P_DISP, P_CALL_ID, P_LIMIT, P_CODE, P_HANGUP, P_MIN, P_MAX,
       P_REASON };

/* ---- open / close ---- */

int cdr_query_open(struct cdr_query **out, const char *path, char *err, size_t errlen)
{
	struct cdr_query *q = calloc(1, sizeof(*q));
	sqlite3_stmt *st = NULL;
	int rc;

	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	/* Preparing reads the schema: a missing file or table shows up here,
	 * not in the middle of the first query. */
	if (sqlite3_prepare_v2(q->db, "SELECT id FROM cdrs LIMIT 0", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(q->db));
		goto fail;
	}
	sqlite3_finalize(st);
	*out = q;
	return 0;
fail:
	sqlite3_close(q->db);
	free(q);
	return -1;
}

void cdr_query_close(struct cdr_query *q)
{
	if (!q)
		return;
	sqlite3_close(q->db);
	free(q);
}

/* ---- WHERE clause ---- */

struct where {
	char sql[1536];
	char num[256];        /* number without its '*'s and punctuation */
	char num_hi[256];     /* first string after every string with that prefix */
	int prefix, suffix;   /* "N*", "*N" ("*N*": both) */
};

/* A number as people write it ("+44 20 7946-0000", "(030) 1234.56"): the
 * characters a dialled number never holds are dropped; '*' at either end
 * kept for the caller to read. -1 when it does not fit. */
static int number_normalise(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in; in++) {
		if (strchr(" \t-.()/", *in))
			continue;
		if (n + 1 >= cap)
			return -1;
		out[n++] = *in;
	}
	out[n] = 0;
	return 0;
}

static void where_add(struct where *w, const char *frag)
{
	size_t len = strlen(w->sql);

	snprintf(w->sql + len, sizeof(w->sql) - len, "%s%s", len ? " AND " : " WHERE ", frag);
}

static int has_number(const struct cdr_filter *f)
{
	return f->number && *f->number && f->number[0] != '*';
}

/* How a list query finds its rows; decides which terms may use an index
 * (a unary "+" keeps SQLite from using one for that term).
 *   BY_NUMBER: a number or Call-ID is selective: its own indexes, then sort.
 *   BY_TRUNK:  one branch per trunk column, each walking (trunk, start_time)
 *              newest first and stopping at the limit.
 *   BY_TIME:   walk the start_time index newest first; other terms filter.
 * A disposition or trunk can match half the table, so sorting all of its
 * rows to keep 50 would cost a second on a million CDRs. */
enum plan { PLAN_ANY, BY_NUMBER, BY_TRUNK, BY_TIME };

/* The prefix test is a range (caller >= 'N' AND caller < 'N+1') rather than
 * LIKE or GLOB: a range uses the plain BINARY index on each column, so
 * SQLite can answer the three-column OR as a union of index lookups.
 * The trunk term is left to the caller when plan is BY_TRUNK. */
static int where_build(struct where *w, const struct cdr_filter *f, enum plan plan, char *err,
		       size_t errlen)
{
	memset(w, 0, sizeof(*w));
	if (f->from)
		where_add(w, "start_time >= ?1");
	if (f->to)
		where_add(w, "start_time < ?2");
	if (f->number && *f->number) {
		size_t n;

		if (number_normalise(f->number, w->num, sizeof(w->num)) != 0) {
			snprintf(err, errlen, "number too long");
			return -1;
		}
		n = strlen(w->num);
		if (n && w->num[n - 1] == '*') {
			w->num[--n] = 0;
			w->prefix = 1;
		}
		if (n && w->num[0] == '*') {
			memmove(w->num, w->num + 1, n--);
			w->suffix = 1;
		}
		if (n == 0 && !w->prefix && !w->suffix) {
			snprintf(err, errlen, "no digits in number '%s'", f->number);
			return -1;
		}
		if (n == 0) {
			/* "*" alone matches every number: no condition. */
		} else if (w->suffix) {
			/* No index helps here: instr() and a tail compare scan. */
			where_add(w, w->prefix ? "(instr(caller, ?3) OR instr(callee, ?3) OR instr(routed_to, ?3))"
					       : "(substr(caller, -length(?3)) = ?3 OR substr(callee, -length(?3)) = ?3"
						 " OR substr(routed_to, -length(?3)) = ?3)");
		} else if (w->prefix) {
			memcpy(w->num_hi, w->num, n + 1);
			while (n > 0 && (unsigned char)w->num_hi[n - 1] == 0xff)
				w->num_hi[--n] = 0;
			if (n == 0) {
				snprintf(err, errlen, "bad number prefix");
				return -1;
			}
			w->num_hi[n - 1]++;
			where_add(w, "((caller >= ?3 AND caller < ?4) OR (callee >= ?3 AND callee < ?4)"
				     " OR (routed_to >= ?3 AND routed_to < ?4))");
		} else {
			where_add(w, "(caller = ?3 OR callee = ?3 OR routed_to = ?3)");
		}
	}
	if (f->trunk && plan == BY_NUMBER)
		where_add(w, "(+from_trunk = ?5 OR +to_trunk = ?5)");
	else if (f->trunk && plan != BY_TRUNK)
		where_add(w, "(from_trunk = ?5 OR to_trunk = ?5)");
	if (f->disposition)
		where_add(w, plan == PLAN_ANY ? "disposition = ?6" : "+disposition = ?6");
	if (f->call_id)
		where_add(w, "(call_id = ?7 OR b_call_id = ?7)");
	if (f->sip_code)
		where_add(w, "+sip_code = ?9");
	if (f->hangup_by)
		where_add(w, "+hangup_by = ?10");
	if (f->has_min_duration)
		where_add(w, "duration_s >= ?11");
	if (f->has_max_duration)
		where_add(w, "duration_s <= ?12");
	if (f->reason)
		where_add(w, "instr(lower(reason), lower(?13))");
	return 0;
}

static int where_bind(sqlite3_stmt *st, const struct where *w, const struct cdr_filter *f)
{
	int rc = SQLITE_OK;

	/* Binding a parameter the statement lacks is SQLITE_RANGE: skip those. */
#define BIND(i, s)                                                                  \
	if (rc == SQLITE_OK && (s) && sqlite3_bind_parameter_name(st, i))           \
		rc = sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT)
	BIND(P_FROM, f->from);
	BIND(P_TO, f->to);
	BIND(P_NUM, w->num);
	BIND(P_NUM_HI, w->num_hi);
	BIND(P_TRUNK, f->trunk);
	BIND(P_DISP, f->disposition);
	BIND(P_CALL_ID, f->call_id);
	BIND(P_HANGUP, f->hangup_by);
	BIND(P_REASON, f->reason);
#undef BIND
	if (rc == SQLITE_OK && f->sip_code)
		rc = sqlite3_bind_int(st, P_CODE, f->sip_code);
	if (rc == SQLITE_OK && f->has_min_duration)
		rc = sqlite3_bind_double(st, P_MIN, f->min_duration);
	if (rc == SQLITE_OK && f->has_max_duration)
		rc = sqlite3_bind_double(st, P_MAX, f->max_duration);
	return rc;
}

static int prepare(struct cdr_query *q, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(q->db, sql, -1, st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(q->db));
		return -1;
	}
	return 0;
}

/* ---- trunk names ---- */

/* The first column of sql's first row (bound to name) into out: 1 found,
 * 0 none, -1 error. */
static int lookup(struct cdr_query *q, const char *sql, const char *name, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int cdr_query_trunk(struct cdr_query *q, const char *name, char *out, size_t cap, char *err, size_t errlen)
{
	static const char *const names =
		"SELECT group_concat(name, ', ') FROM (SELECT name FROM trunks UNION"
		" SELECT from_trunk FROM cdrs WHERE from_trunk IS NOT NULL UNION"
		" SELECT to_trunk FROM cdrs WHERE to_trunk IS NOT NULL ORDER BY 1)";
	char known[1024] = "";

	/* The policy's trunks first (the same database, when it is the
	 * b2bua's), then names only old CDRs still carry. */
	if (lookup(q, "SELECT name FROM trunks WHERE name = ?1 COLLATE NOCASE", name, out, cap) == 1 ||
	    lookup(q, "SELECT from_trunk FROM cdrs WHERE from_trunk = ?1 COLLATE NOCASE LIMIT 1", name, out,
		   cap) == 1 ||
	    lookup(q, "SELECT to_trunk FROM cdrs WHERE to_trunk = ?1 COLLATE NOCASE LIMIT 1", name, out, cap) == 1)
		return 0;
	if (lookup(q, names, "", known, sizeof(known)) != 1)
		lookup(q, "SELECT group_concat(t, ', ') FROM (SELECT from_trunk AS t FROM cdrs WHERE from_trunk"
			  " IS NOT NULL UNION SELECT to_trunk FROM cdrs WHERE to_trunk IS NOT NULL ORDER BY 1)",
		       "", known, sizeof(known));
	snprintf(err, errlen, "unknown trunk '%s' (trunks: %s)", name, known[0] ? known : "none");
	return -1;
}

/* Binds f to st (prepared from w), then gives each row to each(), which
 * stops the walk by returning non-zero; st is finalized. 0, or -1 with
 * err. */
static int walk(struct cdr_query *q, sqlite3_stmt *st, const struct where *w, const struct cdr_filter *f,
		int (*each)(sqlite3_stmt *st, void *ctx), void *ctx, char *err, size_t errlen)
{
	int rc = where_bind(st, w, f);

	if (rc == SQLITE_OK && f->limit > 0)
		rc = sqlite3_bind_int(st, P_LIMIT, f->limit);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = each(st, ctx) != 0 ? SQLITE_DONE : SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = SQLITE_DONE;   /* stopped by each() on its last row */
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

struct list_ctx {
	int (*row)(void *arg, const struct cdr_query_row *r);
	void *arg;
};

static int list_row(sqlite3_stmt *st, void *ctx)
{
	struct list_ctx *l = ctx;
	struct cdr_query_row r;

	for (int i = 0; i < CDR_NCOLS; i++) {
		struct cdr_value *v = &r.v[i];

		memset(v, 0, sizeof(*v));
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v->type = CDR_INT;
			v->i = sqlite3_column_int64(st, i);
			break;
		case SQLITE_FLOAT:
			v->type = CDR_REAL;
			v->d = sqlite3_column_double(st, i);
			break;
		case SQLITE_NULL:
			v->type = CDR_NULL;
			break;
		default:
			v->type = CDR_TEXT;
			v->s = (const char *)sqlite3_column_text(st, i);
			if (!v->s)
				v->type = CDR_NULL;
			break;
		}
	}
	return l->row(l->arg, &r);
}

/* ---- list ---- */

int cdr_query_list(struct cdr_query *q, const struct cdr_filter *f,
		   int (*row)(void *arg, const struct cdr_query_row *r), void *arg,
		   char *err, size_t errlen)
{
	struct where w;
	char cols[512], sql[6144];
	const char *limit = f->limit > 0 ? " LIMIT ?8" : "";
	size_t clen = 0;
	sqlite3_stmt *st = NULL;
	struct list_ctx lc = {row, arg};
	enum plan plan;

	plan = has_number(f) || f->call_id ? BY_NUMBER : f->trunk ? BY_TRUNK : BY_TIME;
	if (where_build(&w, f, plan, err, errlen) != 0)
		return -1;
	for (int i = 0; i < CDR_NCOLS; i++)
		clen += (size_t)snprintf(cols + clen, sizeof(cols) - clen, "%s%s", i ? ", " : "",
					 cdr_query_columns[i]);
	if (plan == BY_TRUNK) {
		/* UNION also drops the duplicate of a call from a trunk to itself. */
		snprintf(sql, sizeof(sql),
			 "SELECT * FROM (SELECT %s FROM cdrs%s%sfrom_trunk = ?5 ORDER BY start_time DESC, id DESC%s)"
			 " UNION SELECT * FROM (SELECT %s FROM cdrs%s%sto_trunk = ?5 ORDER BY start_time DESC, id DESC%s)"
			 " ORDER BY start_time DESC, id DESC%s",
			 cols, w.sql, w.sql[0] ? " AND " : " WHERE ", limit, cols, w.sql,
			 w.sql[0] ? " AND " : " WHERE ", limit, limit);
	} else {
		/* With a number or Call-ID the few matching rows come from their
		 * own indexes and are sorted afterwards ("+" keeps the planner
		 * from walking the whole start_time index instead). */
		snprintf(sql, sizeof(sql), "SELECT %s FROM cdrs%s ORDER BY %sstart_time DESC, id DESC%s", cols,
			 w.sql, plan == BY_NUMBER ? "+" : "", limit);
	}
	if (prepare(q, sql, &st, err, errlen) != 0)
		return -1;
	return walk(q, st, &w, f, list_row, &lc, err, errlen);
}

/* ---- route attempts ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

struct attempt_ctx {
	int (*fn)(void *arg, const struct cdr_attempt_row *a);
	void *arg;
};

static int attempt_row(sqlite3_stmt *st, void *ctx)
{
	struct attempt_ctx *c = ctx;
	struct cdr_attempt_row a = {col_text(st, 0), sqlite3_column_int(st, 1), col_text(st, 2),
				    col_text(st, 3), sqlite3_column_int(st, 4), col_text(st, 5),
				    col_text(st, 6)};

	return c->fn(c->arg, &a);
}

int cdr_query_attempts(struct cdr_query *q, const struct cdr_filter *f,
		       int (*fn)(void *arg, const struct cdr_attempt_row *a), void *arg,
		       char *err, size_t errlen)
{
	struct attempt_ctx ac = {fn, arg};
	struct where w;
	char sql[4096];
	sqlite3_stmt *st = NULL;

	if (where_build(&w, f, PLAN_ANY, err, errlen) != 0)
		return -1;
	snprintf(sql, sizeof(sql),
		 "SELECT c.call_id, a.seq, a.trunk, a.start_time, a.sip_code, a.cause, a.reason"
		 " FROM (SELECT id, call_id, start_time FROM cdrs%s ORDER BY start_time DESC, id DESC%s) c"
		 " JOIN cdr_attempts a ON a.cdr_id = c.id ORDER BY c.start_time DESC, c.id DESC, a.seq",
		 w.sql, f->limit > 0 ? " LIMIT ?8" : "");
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", strstr(sqlite3_errmsg(q->db), "cdr_attempts") ?
			 "this database has no cdr_attempts table (written before migration 6)" :
			 sqlite3_errmsg(q->db));
		return -1;
	}
	return walk(q, st, &w, f, attempt_row, &ac, err, errlen);
}

/* ---- summary ---- */

void cdr_summary_finish(struct cdr_summary_row *g)
{
	g->asr_pct = g->calls > 0 ? (double)g->answered * 100.0 / (double)g->calls : 0;
	g->acd_s = g->answered > 0 ? g->seconds / (double)g->answered : 0;
	g->minutes = g->seconds / 60.0;
}

int cdr_query_summary(struct cdr_query *q, const struct cdr_filter *f, enum cdr_group by,
		      int (*group)(void *arg, const struct cdr_summary_row *g), void *arg,
		      char *err, size_t errlen)
{
	struct where w;
	char sql[4096];
	sqlite3_stmt *st = NULL;
	int rc;

	if (where_build(&w, f, has_number(f) || f->call_id ? BY_NUMBER : PLAN_ANY, err, errlen) != 0)
		return -1;
	/* "Answered" is disposition = 'answered', as the filter says: a call
	 * still in progress or cut short by a restart (interrupted) is not. */
	snprintf(sql, sizeof(sql),
		 "SELECT %s AS k, count(*), total(disposition = 'answered'), total(duration_s), total(cost)"
		 " FROM cdrs%s GROUP BY k ORDER BY k",
		 by == CDR_BY_DAY ? "substr(start_time, 1, 10)" : "to_trunk", w.sql);
	if (prepare(q, sql, &st, err, errlen) != 0)
		return -1;
	rc = where_bind(st, &w, f);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cdr_summary_row g;

		memset(&g, 0, sizeof(g));
		g.key = (const char *)sqlite3_column_text(st, 0);
		g.calls = sqlite3_column_int64(st, 1);
		g.answered = sqlite3_column_int64(st, 2);
		g.seconds = sqlite3_column_double(st, 3);
		g.cost = sqlite3_column_double(st, 4);
		cdr_summary_finish(&g);
		if (group(arg, &g) != 0) {
			rc = SQLITE_DONE;
			break;
		}
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "query: %s", sqlite3_errmsg(q->db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* ---- time ---- */

/* Proleptic Gregorian calendar <-> days since 1970-01-01 (H. Hinnant's
 * algorithms), so parsing needs neither the TZ nor timegm(). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

int cdr_time_format(long long ms, char *out, size_t cap)
{
	long long days, y, rem;
	unsigned m, d;

	if (ms < 0 || cap < 25)
		return -1;
	days = ms / DAY_MS;
	rem = ms % DAY_MS;
	civil_from_days(days, &y, &m, &d);
	if (y > 9999)
		return -1;
	snprintf(out, cap, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", y, m, d, rem / 3600000,
		 rem / 60000 % 60, rem / 1000 % 60, rem % 1000);
	return 0;
}

/* Exactly n digits at *p. */
static int take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Wall-clock fields in UTC, or in the process's zone (TZ) when local;
 * mktime() finds whether DST applies. */
static int fields_ms(int local, int y, int mo, int d, int h, int mi, int sec, int frac, long long *ms)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			.tm_sec = sec, .tm_isdst = -1};
	time_t t;

	if (!local) {
		*ms = days_from_civil(y, (unsigned)mo, (unsigned)d) * DAY_MS +
		      ((long long)h * 3600 + mi * 60 + sec) * 1000 + frac;
		return 0;
	}
	t = mktime(&tm);
	if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31))
		return -1;
	*ms = (long long)t * 1000 + frac;
	return 0;
}

/* "HH:MM" or "HH:MM:SS" at p, nothing after. */
static int parse_clock(const char *p, int *h, int *mi, int *sec)
{
	*sec = 0;
	if (take_digits(&p, 2, h) || *p++ != ':' || take_digits(&p, 2, mi))
		return -1;
	if (*p == ':' && (p++, take_digits(&p, 2, sec)))
		return -1;
	return *p || *h > 23 || *mi > 59 || *sec > 59 ? -1 : 0;
}

/* "today", "yesterday", either followed by " HH:MM[:SS]", or "HH:MM[:SS]"
 * alone (today): days back from now's date, in UTC or the local zone. */
static int parse_day_clock(const char *s, long long now_ms, int local, long long *ms)
{
	int back = 0, h = 0, mi = 0, sec = 0;
	const char *p = s;
	time_t now = (time_t)(now_ms / 1000);
	struct tm tm;

	if (strncmp(p, "today", 5) == 0)
		p += 5;
	else if (strncmp(p, "yesterday", 9) == 0)
		back = 1, p += 9;
	else if (!isdigit((unsigned char)*p))
		return -1;
	if (p != s && *p && (*p++ != ' ' || !*p))
		return -1;
	if (*p && parse_clock(p, &h, &mi, &sec) != 0)
		return -1;
	if (local)
		localtime_r(&now, &tm);
	else
		gmtime_r(&now, &tm);
	return fields_ms(local, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday - back, h, mi, sec, 0, ms);
}

static int parse_absolute(const char *s, int local, long long *ms)
{
	int zulu = 0;
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;

	if (take_digits(&p, 4, &y) || *p++ != '-' || take_digits(&p, 2, &mo) || *p++ != '-' ||
	    take_digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (take_digits(&p, 2, &h) || *p++ != ':' || take_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (take_digits(&p, 2, &sec))
				return -1;
			if (*p == '.') {
				int scale = 100, nd = 0;

				for (p++; isdigit((unsigned char)*p); p++, nd++) {
					frac += (*p - '0') * scale;
					scale /= 10;
				}
				if (nd == 0)
					return -1;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
	}
	if (*p == 'Z' || *p == 'z')
		p++, zulu = 1;
	if (*p)
		return -1;
	return fields_ms(local && !zulu, y, mo, d, h, mi, sec, frac, ms);
}

int cdr_time_parse(const char *s, long long now_ms, char *out, size_t cap)
{
	return cdr_time_parse_in(s, now_ms, 0, out, cap);
}

int cdr_time_parse_in(const char *s, long long now_ms, int local, char *out, size_t cap)
{
	long long ms;

	if (!s || !*s)
		return -1;
	if (strcmp(s, "now") == 0) {
		ms = now_ms;
	} else if (parse_day_clock(s, now_ms, local, &ms) == 0) {
		/* today, yesterday, 14:00, yesterday 14:00 */
	} else if (isdigit((unsigned char)s[0]) && strchr("smhdw", s[strspn(s, "0123456789")]) &&
		   s[strspn(s, "0123456789")] && !s[strspn(s, "0123456789") + 1]) {
		size_t nd = strspn(s, "0123456789");
		long long unit, n = 0;

		if (nd > 9)   /* a billion weeks is not a CDR question */
			return -1;
		for (size_t i = 0; i < nd; i++)
			n = n * 10 + (s[i] - '0');
		switch (s[nd]) {
		case 's': unit = 1000; break;
		case 'm': unit = 60000; break;
		case 'h': unit = 3600000; break;
		case 'd': unit = DAY_MS; break;
		default: unit = 7 * DAY_MS; break;
		}
		ms = now_ms - n * unit;
	} else if (parse_absolute(s, local, &ms) != 0) {
		return -1;
	}
	return cdr_time_format(ms, out, cap);
}
