/*
 * test_cdr_query.c - CDR search, summaries and output formats (cdr_query.c).
 *
 * Each test builds a small temporary database (mkstemp in /tmp, removed
 * afterwards) with five known rows, so every filter's expected ids are
 * written out in full. The test itself writes the rows with SQLite: it is
 * a test of a policy/ module, the one place sqlite3.h may appear.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "unit.h"
#include "cdr_query.h"

/* 2026-11-25T10:30:15.250Z */
#define NOW_MS 1795602615250LL

static const char schema[] =
	"CREATE TABLE cdrs (id INTEGER PRIMARY KEY, call_id TEXT NOT NULL, b_call_id TEXT,"
	" from_trunk TEXT, to_trunk TEXT, caller TEXT, callee TEXT, routed_to TEXT,"
	" start_time TEXT, answer_time TEXT, end_time TEXT, duration_s REAL NOT NULL DEFAULT 0,"
	" sip_code INTEGER, reason TEXT, disposition TEXT NOT NULL DEFAULT 'in_progress',"
	" hangup_by TEXT, codec TEXT, a_rtp_pkts INTEGER NOT NULL DEFAULT 0,"
	" b_rtp_pkts INTEGER NOT NULL DEFAULT 0, a_rtp_lost INTEGER NOT NULL DEFAULT 0,"
	" b_rtp_lost INTEGER NOT NULL DEFAULT 0, cost REAL, node TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX cdrs_start_time ON cdrs(start_time);"
	"CREATE INDEX cdrs_call_id ON cdrs(call_id);"
	"CREATE INDEX cdrs_caller ON cdrs(caller);"
	"CREATE INDEX cdrs_callee ON cdrs(callee);"
	"CREATE INDEX cdrs_routed_to ON cdrs(routed_to);"
	"INSERT INTO cdrs VALUES"
	" (1, 'a1', 'b1', 'pbx1', 'carrierA', '+4930111', '+4940222', '004940222',"
	"  '2026-11-24T09:00:00.000Z', '2026-11-24T09:00:05.000Z', '2026-11-24T09:01:05.000Z',"
	"  60, 200, 'OK', 'answered', 'caller', 'PCMA', 3000, 3000, 1, 2, 0.5, 'n1'),"
	" (2, 'a2', 'b2', 'pbx1', 'carrierB', '+4930111', '+4917333', '004917333',"
	"  '2026-11-24T23:59:59.999Z', NULL, '2026-11-25T00:00:03.000Z',"
	"  0, 486, 'Busy Here', 'busy', 'callee', NULL, 0, 0, 0, 0, NULL, 'n1'),"
	" (3, 'a3', 'b3', 'carrierIn', 'carrierA', '+4930444', '+4930111', '004930111',"
	"  '2026-11-25T00:00:00.000Z', '2026-11-25T00:00:02.000Z', '2026-11-25T00:00:32.000Z',"
	"  30, 200, 'OK', 'answered', 'callee', 'PCMU', 1500, 1500, 0, 0, 0.25, 'n2'),"
	" (4, 'a4', NULL, 'pbx2', NULL, '+4989555', '999', NULL,"
	"  '2026-11-25T10:00:00.123Z', NULL, '2026-11-25T10:00:00.200Z',"
	"  0, 404, 'No \"route\", sorry' || char(10) || 'line2', 'failed', 'b2bua', NULL, 0, 0, 0, 0, NULL, 'n2'),"
	" (5, 'a5', 'b5', 'pbx2', 'carrierB', '+4930112', '+4940222', '004940222',"
	"  '2026-11-25T11:00:00.000Z', '2026-11-25T11:00:01.000Z', NULL,"
	"  0, 200, NULL, 'in_progress', NULL, 'PCMA', 10, 12, 0, 0, NULL, 'n1');";

static char dbpath[64];

static int make_db(const char *sql)
{
	sqlite3 *db;
	int fd, rc;

	snprintf(dbpath, sizeof(dbpath), "/tmp/test_cdr_query_XXXXXX");
	fd = mkstemp(dbpath);
	if (fd < 0)
		return -1;
	close(fd);
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void drop_db(void)
{
	unlink(dbpath);
}

/* ---- time parsing ---- */

static void test_time_parse_forms(void)
{
	static const struct {
		const char *in;
		const char *out;   /* NULL = must be refused */
	} cases[] = {
		{"2026-11-25", "2026-11-25T00:00:00.000Z"},
		{"2026-11-25T10:00", "2026-11-25T10:00:00.000Z"},
		{"2026-11-25 10:00", "2026-11-25T10:00:00.000Z"},
		{"2026-11-25 10:00:07", "2026-11-25T10:00:07.000Z"},
		{"2026-11-25T10:00:07Z", "2026-11-25T10:00:07.000Z"},
		{"2026-11-25T10:00:07.5", "2026-11-25T10:00:07.500Z"},
		{"2026-11-25T10:00:07.123456Z", "2026-11-25T10:00:07.123Z"},
		{"2024-02-29", "2024-02-29T00:00:00.000Z"},
		{"2000-02-29T23:59:59.999", "2000-02-29T23:59:59.999Z"},
		{"1970-01-01", "1970-01-01T00:00:00.000Z"},
		{"now", "2026-11-25T10:30:15.250Z"},
		{"today", "2026-11-25T00:00:00.000Z"},
		{"yesterday", "2026-11-24T00:00:00.000Z"},
		{"30s", "2026-11-25T10:29:45.250Z"},
		{"30m", "2026-11-25T10:00:15.250Z"},
		{"1h", "2026-11-25T09:30:15.250Z"},
		{"2d", "2026-11-23T10:30:15.250Z"},
		{"1w", "2026-11-18T10:30:15.250Z"},
		{"26d", "2026-10-30T10:30:15.250Z"},
		{"0m", "2026-11-25T10:30:15.250Z"},
		{"14:00", "2026-11-25T14:00:00.000Z"},
		{"09:30:05", "2026-11-25T09:30:05.000Z"},
		{"today 14:00", "2026-11-25T14:00:00.000Z"},
		{"yesterday 14:00", "2026-11-24T14:00:00.000Z"},
		{"yesterday 23:59:59", "2026-11-24T23:59:59.000Z"},
		{"yesterday14:00", NULL},
		{"yesterday ", NULL},
		{"today 14", NULL},
		{"25:00", NULL},
		{"14:60", NULL},
		{"14:00x", NULL},
		{"", NULL},
		{"2026-11-25x", NULL},
		{"2026-13-01", NULL},
		{"2026-02-29", NULL},
		{"1900-02-29", NULL},
		{"2026-11-31", NULL},
		{"2026-11-00", NULL},
		{"2026-11-25T24:00", NULL},
		{"2026-11-25T10:60", NULL},
		{"2026-11-25T10", NULL},
		{"2026-11-25T10:00:", NULL},
		{"2026-11-25T10:00:00.", NULL},
		{"2026-1-25", NULL},
		{"26-11-25", NULL},
		{"1x", NULL},
		{"h", NULL},
		{"5hh", NULL},
		{"-5m", NULL},
		{"9999999999d", NULL},
		{"100000w", NULL},        /* before 1970 */
		{"tomorrow", NULL},
		{"2026-11-25 10:00 ; DROP TABLE cdrs", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32] = "";
		int rc = cdr_time_parse(cases[i].in, NOW_MS, out, sizeof(out));

		if (cases[i].out) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_STRING_EQUAL(out, cases[i].out);
			if (rc != 0 || strcmp(out, cases[i].out) != 0)
				fprintf(stderr, "\ntime '%s' -> rc %d '%s', want '%s'\n", cases[i].in, rc, out,
					cases[i].out);
		} else {
			CU_ASSERT_EQUAL(rc, -1);
			if (rc != -1)
				fprintf(stderr, "\ntime '%s' accepted as '%s'\n", cases[i].in, out);
		}
	}
}

/* --tz: days, times and dates without 'Z' are the zone's (here Berlin:
 * UTC+1 in November, +2 in July); ISO times with 'Z' stay UTC. */
static void test_time_parse_in_zone(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"14:00", "2026-11-25T13:00:00.000Z"},
		{"yesterday 14:00", "2026-11-24T13:00:00.000Z"},
		{"today", "2026-11-24T23:00:00.000Z"},
		{"yesterday", "2026-11-23T23:00:00.000Z"},
		{"2026-07-01 12:00", "2026-07-01T10:00:00.000Z"},
		{"2026-11-25", "2026-11-24T23:00:00.000Z"},
		{"2026-11-25T10:00:07Z", "2026-11-25T10:00:07.000Z"},
		{"1h", "2026-11-25T09:30:15.250Z"},
	};
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32] = "";

		CU_ASSERT_EQUAL(cdr_time_parse_in(cases[i].in, NOW_MS, 1, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
		if (strcmp(out, cases[i].out) != 0)
			fprintf(stderr, "\nzone time '%s' -> '%s', want '%s'\n", cases[i].in, out, cases[i].out);
	}
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	free(saved);
	tzset();
}

static void test_time_parse_small_buffer(void)
{
	char out[24];

	CU_ASSERT_EQUAL(cdr_time_parse("2026-11-25", NOW_MS, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(cdr_time_parse(NULL, NOW_MS, out, sizeof(out)), -1);
}

static void test_time_format_roundtrip(void)
{
	/* Every day of 1999-2101 formats and parses back to itself. */
	for (long long d = 10592; d < 48000; d += 1) {
		char iso[32], back[32];

		CU_ASSERT_EQUAL_FATAL(cdr_time_format(d * 86400000LL + 45296789, iso, sizeof(iso)), 0);
		CU_ASSERT_EQUAL_FATAL(cdr_time_parse(iso, 0, back, sizeof(back)), 0);
		CU_ASSERT_STRING_EQUAL_FATAL(iso, back);
	}
	CU_ASSERT_EQUAL(cdr_time_format(-1, (char[32]){0}, 32), -1);
}

/* ---- list filters ---- */

struct ids {
	int n;
	long long id[16];
};

static int collect(void *arg, const struct cdr_query_row *r)
{
	struct ids *ids = arg;

	if (ids->n < 16)
		ids->id[ids->n++] = r->v[CDR_COL_ID].i;
	return 0;
}

static int stop_after_two(void *arg, const struct cdr_query_row *r)
{
	collect(arg, r);
	return ((struct ids *)arg)->n == 2;
}

/* "5,4,3" */
static void ids_str(const struct ids *ids, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < ids->n && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? "," : "", ids->id[i]);
}

static void test_list_filters(void)
{
	static const struct {
		const char *name;
		struct cdr_filter f;
		const char *want;
	} cases[] = {
		{"all, newest first", {0}, "5,4,3,2,1"},
		{"limit", {.limit = 2}, "5,4"},
		{"from inclusive", {.from = "2026-11-25T00:00:00.000Z"}, "5,4,3"},
		{"to exclusive", {.to = "2026-11-25T00:00:00.000Z"}, "2,1"},
		{"from and to", {.from = "2026-11-24T12:00:00.000Z", .to = "2026-11-25T10:00:00.123Z"}, "3,2"},
		{"number as caller and callee", {.number = "+4930111"}, "3,2,1"},
		{"number as routed_to", {.number = "004940222"}, "5,1"},
		{"number as callee", {.number = "+4940222"}, "5,1"},
		{"number exact is not prefix", {.number = "+493011"}, ""},
		{"number prefix", {.number = "+493011*"}, "5,3,2,1"},
		{"number prefix narrow", {.number = "+4930111*"}, "3,2,1"},
		{"number prefix of routed_to", {.number = "0049*"}, "5,3,2,1"},
		{"number prefix none", {.number = "+44*"}, ""},
		{"number star alone", {.number = "*"}, "5,4,3,2,1"},
		{"number short", {.number = "999"}, "4"},
		{"number and limit", {.number = "+4930111", .limit = 1}, "3"},
		{"number and time", {.number = "+4930111", .from = "2026-11-24T12:00:00.000Z"}, "3,2"},
		{"trunk outbound", {.trunk = "carrierA"}, "3,1"},
		{"trunk inbound", {.trunk = "pbx2"}, "5,4"},
		{"trunk unknown", {.trunk = "nope"}, ""},
		{"trunk and limit", {.trunk = "carrierB", .limit = 1}, "5"},
		{"trunk, limit over both columns", {.trunk = "pbx1", .limit = 1}, "2"},
		{"trunk and time", {.trunk = "carrierA", .to = "2026-11-25T00:00:00.000Z"}, "1"},
		{"trunk and disposition", {.trunk = "carrierB", .disposition = "busy"}, "2"},
		{"disposition and limit", {.disposition = "answered", .limit = 1}, "3"},
		{"disposition", {.disposition = "busy"}, "2"},
		{"disposition answered", {.disposition = "answered"}, "3,1"},
		{"call id", {.call_id = "a4"}, "4"},
		{"call id of the B leg (what a carrier quotes)", {.call_id = "b3"}, "3"},
		{"number as people write it", {.number = "+49 30-111"}, "3,2,1"},
		{"number with brackets and dots", {.number = "(+49) 30.111"}, "3,2,1"},
		{"number suffix", {.number = "*0222"}, "5,1"},
		{"number suffix, spaces", {.number = "*40 222"}, "5,1"},
		{"number anywhere", {.number = "*4917*"}, "2"},
		{"number suffix is not anywhere", {.number = "*4917"}, ""},
		{"sip code", {.sip_code = 486}, "2"},
		{"sip code 200", {.sip_code = 200}, "5,3,1"},
		{"hangup by", {.hangup_by = "b2bua"}, "4"},
		{"reason, any case", {.reason = "busy"}, "2"},
		{"reason, a part", {.reason = "ROUTE"}, "4"},
		{"min duration", {.has_min_duration = 1, .min_duration = 30}, "3,1"},
		{"max duration", {.has_max_duration = 1, .max_duration = 0}, "5,4,2"},
		{"both durations", {.has_min_duration = 1, .min_duration = 1, .has_max_duration = 1,
				    .max_duration = 30}, "3"},
		{"all filters", {.from = "2026-11-24T00:00:00.000Z", .to = "2026-11-26T00:00:00.000Z",
				 .number = "+4930*", .trunk = "carrierA", .disposition = "answered",
				 .call_id = "a3", .limit = 10}, "3"},
		{"bound, not pasted", {.number = "' OR 1=1 --"}, ""},
		{"bound, not pasted (trunk)", {.trunk = "x' OR '1'='1"}, ""},
	};
	struct cdr_query *q;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(make_db(schema), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_query_open(&q, dbpath, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ids ids = {0};
		char got[128];

		CU_ASSERT_EQUAL(cdr_query_list(q, &cases[i].f, collect, &ids, err, sizeof(err)), 0);
		ids_str(&ids, got, sizeof(got));
		CU_ASSERT_STRING_EQUAL(got, cases[i].want);
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "\n%s: got '%s', want '%s'\n", cases[i].name, got, cases[i].want);
	}
	{
		struct ids ids = {0};
		struct cdr_filter f = {0};

		CU_ASSERT_EQUAL(cdr_query_list(q, &f, stop_after_two, &ids, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(ids.n, 2);
	}
	cdr_query_close(q);
	drop_db();
}

/* Trunk names in any case are the CDRs' spelling; an unknown one is an
 * error that names the trunks there are; a number without digits too. */
static void test_trunk_names_and_bad_numbers(void)
{
	struct cdr_query *q;
	struct ids ids = {0};
	struct cdr_filter f = {.number = " - "};
	char out[64], err[256];

	CU_ASSERT_EQUAL_FATAL(make_db(schema), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_query_open(&q, dbpath, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cdr_query_trunk(q, "CARRIERa", out, sizeof(out), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(out, "carrierA");
	CU_ASSERT_EQUAL(cdr_query_trunk(q, "carrierin", out, sizeof(out), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(out, "carrierIn");
	CU_ASSERT_EQUAL(cdr_query_trunk(q, "carrierC", out, sizeof(out), err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown trunk 'carrierC' (trunks: carrierA, carrierB, carrierIn, pbx1, pbx2)");
	CU_ASSERT_EQUAL(cdr_query_list(q, &f, collect, &ids, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no digits"));
	cdr_query_close(q);
	/* With the policy's trunks table, its names are known too. */
	CU_ASSERT_EQUAL_FATAL(make_db("CREATE TABLE trunks (id INTEGER PRIMARY KEY, name TEXT);"
				      "INSERT INTO trunks VALUES (1, 'Carrier-Canary'), (2, 'carrier-backup');"
				      "CREATE TABLE cdrs (id INTEGER PRIMARY KEY, call_id TEXT, from_trunk TEXT,"
				      " to_trunk TEXT, start_time TEXT);"), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_query_open(&q, dbpath, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cdr_query_trunk(q, "carrier-canary", out, sizeof(out), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(out, "Carrier-Canary");
	CU_ASSERT_EQUAL(cdr_query_trunk(q, "carrier-canari", out, sizeof(out), err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown trunk 'carrier-canari' (trunks: Carrier-Canary, carrier-backup)");
	cdr_query_close(q);
	drop_db();
}

static int check_row4(void *arg, const struct cdr_query_row *r)
{
	int *seen = arg;

	if (r->v[CDR_COL_ID].i != 4)
		return 0;
	(*seen)++;
	CU_ASSERT_EQUAL(r->v[CDR_COL_TO_TRUNK].type, CDR_NULL);
	CU_ASSERT_EQUAL(r->v[CDR_COL_SIP_CODE].type, CDR_INT);
	CU_ASSERT_EQUAL(r->v[CDR_COL_SIP_CODE].i, 404);
	CU_ASSERT_EQUAL(r->v[CDR_COL_CALL_ID].type, CDR_TEXT);
	CU_ASSERT_STRING_EQUAL(r->v[CDR_COL_CALL_ID].s, "a4");
	CU_ASSERT_STRING_EQUAL(r->v[CDR_COL_NODE].s, "n2");
	return 0;
}

static void test_list_values_and_nulls(void)
{
	struct cdr_query *q;
	struct cdr_filter f = {0};
	char err[256];
	int seen = 0;

	CU_ASSERT_EQUAL_FATAL(make_db(schema), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_query_open(&q, dbpath, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cdr_query_list(q, &f, check_row4, &seen, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(seen, 1);
	cdr_query_close(q);
	drop_db();
}

static void test_open_errors(void)
{
	struct cdr_query *q = NULL;
	char err[256] = "";

	CU_ASSERT_EQUAL(cdr_query_open(&q, "/tmp/no/such/dir/b2bua.db", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/tmp/no/such/dir/b2bua.db"));
	CU_ASSERT_EQUAL(make_db("CREATE TABLE other (x);"), 0);
	err[0] = 0;
	CU_ASSERT_EQUAL(cdr_query_open(&q, dbpath, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cdrs"));
	drop_db();
	cdr_query_close(NULL);
}

/* A read-only reader beside a writer: each query sees the latest commit. */
static void test_reader_sees_writer_commits(void)
{
	struct cdr_query *q;
	struct cdr_filter f = {.disposition = "busy"};
	struct ids ids = {0};
	char err[256];
	sqlite3 *w;

	CU_ASSERT_EQUAL_FATAL(make_db(schema), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_query_open(&q, dbpath, err, sizeof(err)), 0);
	/* A writer on the side commits a new row; the reader sees it next query. */
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(dbpath, &w), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(w, "INSERT INTO cdrs (id, call_id, start_time, disposition)"
				     " VALUES (6, 'a6', '2026-11-25T12:00:00.000Z', 'busy')", NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(w);
	CU_ASSERT_EQUAL(cdr_query_list(q, &f, collect, &ids, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ids.n, 2);
	CU_ASSERT_EQUAL(ids.id[0], 6);
	cdr_query_close(q);
	drop_db();
}

/* ---- summary ---- */

static void test_summary_finish_arithmetic(void)
{
	static const struct {
		long long calls, answered;
		double seconds, asr, acd, minutes;
	} cases[] = {
		{0, 0, 0, 0, 0, 0},
		{4, 0, 0, 0, 0, 0},
		{4, 1, 90, 25, 90, 1.5},
		{3, 2, 100, 66.666666666, 50, 1.666666666},
		{10, 10, 6000, 100, 600, 100},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cdr_summary_row g = {.calls = cases[i].calls, .answered = cases[i].answered,
					    .seconds = cases[i].seconds};

		cdr_summary_finish(&g);
		CU_ASSERT_DOUBLE_EQUAL(g.asr_pct, cases[i].asr, 1e-6);
		CU_ASSERT_DOUBLE_EQUAL(g.acd_s, cases[i].acd, 1e-6);
		CU_ASSERT_DOUBLE_EQUAL(g.minutes, cases[i].minutes, 1e-6);
	}
}

struct groups {
	int n;
	struct cdr_summary_row g[8];
	char key[8][32];
};

static int collect_group(void *arg, const struct cdr_summary_row *g)
{
	struct groups *gs = arg;

	if (gs->n < 8) {
		gs->g[gs->n] = *g;
		snprintf(gs->key[gs->n], sizeof(gs->key[0]), "%s", g->key ? g->key : "(null)");
		gs->n++;
	}
	return 0;
}

static void test_summary_groups(void)
{
	static const struct {
		enum cdr_group by;
		struct cdr_filter f;
		int n;
		struct {
			const char *key;
			long long calls, answered;
			double asr, acd, minutes, cost;
		} g[4];
	} cases[] = {
		{CDR_BY_TRUNK, {0}, 3, {
			{"(null)", 1, 0, 0, 0, 0, 0},
			{"carrierA", 2, 2, 100, 45, 1.5, 0.75},
			/* answered is disposition 'answered': not the call in progress */
			{"carrierB", 2, 0, 0, 0, 0, 0},
		}},
		{CDR_BY_DAY, {0}, 2, {
			{"2026-11-24", 2, 1, 50, 60, 1, 0.5},
			{"2026-11-25", 3, 1, 33.333333333, 30, 0.5, 0.25},
		}},
		{CDR_BY_TRUNK, {.number = "+4930111", .limit = 1}, 2, {
			{"carrierA", 2, 2, 100, 45, 1.5, 0.75},
			{"carrierB", 1, 0, 0, 0, 0, 0},
		}},
		{CDR_BY_TRUNK, {.disposition = "answered"}, 1, {
			{"carrierA", 2, 2, 100, 45, 1.5, 0.75},
		}},
		{CDR_BY_DAY, {.disposition = "nothing"}, 0, {{0}}},
	};
	struct cdr_query *q;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(make_db(schema), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_query_open(&q, dbpath, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct groups gs = {0};

		CU_ASSERT_EQUAL(cdr_query_summary(q, &cases[i].f, cases[i].by, collect_group, &gs, err,
						  sizeof(err)), 0);
		CU_ASSERT_EQUAL(gs.n, cases[i].n);
		for (int j = 0; j < cases[i].n && j < gs.n; j++) {
			CU_ASSERT_STRING_EQUAL(gs.key[j], cases[i].g[j].key);
			CU_ASSERT_EQUAL(gs.g[j].calls, cases[i].g[j].calls);
			CU_ASSERT_EQUAL(gs.g[j].answered, cases[i].g[j].answered);
			CU_ASSERT_DOUBLE_EQUAL(gs.g[j].asr_pct, cases[i].g[j].asr, 1e-6);
			CU_ASSERT_DOUBLE_EQUAL(gs.g[j].acd_s, cases[i].g[j].acd, 1e-6);
			CU_ASSERT_DOUBLE_EQUAL(gs.g[j].minutes, cases[i].g[j].minutes, 1e-6);
			CU_ASSERT_DOUBLE_EQUAL(gs.g[j].cost, cases[i].g[j].cost, 1e-9);
		}
	}
	cdr_query_close(q);
	drop_db();
}

/* ---- output ---- */

/* Runs fn into a memory stream; returns the malloc'd text. */
static char *capture_csv(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cdr_csv_field(f, s);
	fclose(f);
	return buf;
}

static char *capture_json(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cdr_json_string(f, s);
	fclose(f);
	return buf;
}

static void test_csv_quoting(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "plain"},
		{"", ""},
		{"+4930111", "+4930111"},
		{"a,b", "\"a,b\""},
		{"say \"hi\"", "\"say \"\"hi\"\"\""},
		{"\"", "\"\"\"\""},
		{"two\nlines", "\"two\nlines\""},
		{"cr\rhere", "\"cr\rhere\""},
		{"M\xc3\xbcller", "M\xc3\xbcller"},
		{"semi;colon 'quote'", "semi;colon 'quote'"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = capture_csv(cases[i].in);

		CU_ASSERT_STRING_EQUAL(got, cases[i].out);
		free(got);
	}
	{
		char *got = capture_csv(NULL);

		CU_ASSERT_STRING_EQUAL(got, "");
		free(got);
	}
}

static void test_json_escaping(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "\"plain\""},
		{"", "\"\""},
		{"q\"b\\s/", "\"q\\\"b\\\\s/\""},
		{"\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""},
		{"\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\""},
		{"M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x93\x9e", "\"M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x93\x9e\""},
		{"bad\xff", "\"bad\\ufffd\""},
		{"cut\xc3", "\"cut\\ufffd\""},
		{"overlong\xc0\xaf", "\"overlong\\ufffd\\ufffd\""},
		{"surrogate\xed\xa0\x80", "\"surrogate\\ufffd\\ufffd\\ufffd\""},
		{"</script>", "\"</script>\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = capture_json(cases[i].in);

		CU_ASSERT_STRING_EQUAL(got, cases[i].out);
		if (strcmp(got, cases[i].out) != 0)
			fprintf(stderr, "\njson: got %s want %s\n", got, cases[i].out);
		free(got);
	}
}

static int table_width;   /* print_all's table: cut at this width, 0 = never */

static char *print_all(struct cdr_query *q, const struct cdr_filter *f, enum cdr_format fmt, int summary,
		       enum cdr_group by)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct cdr_print p;

	if (summary) {
		cdr_print_begin_summary(&p, out, fmt, by);
		CU_ASSERT_EQUAL(cdr_query_summary(q, f, by, cdr_print_group, &p, err, sizeof(err)), 0);
	} else {
		cdr_print_begin(&p, out, fmt);
		cdr_print_table_opts(&p, table_width, 0, NULL);
		CU_ASSERT_EQUAL(cdr_query_list(q, f, cdr_print_row, &p, err, sizeof(err)), 0);
	}
	cdr_print_end(&p);
	fclose(out);
	return buf;
}

static void test_print_formats(void)
{
	struct cdr_query *q;
	struct cdr_filter all = {0}, one = {.call_id = "a4"}, none = {.call_id = "zz"};
	char err[256], *s, *line;

	CU_ASSERT_EQUAL_FATAL(make_db(schema), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_query_open(&q, dbpath, err, sizeof(err)), 0);

	/* csv: header of every column, one line per row, the reason quoted */
	s = print_all(q, &one, CDR_FMT_CSV, 0, 0);
	CU_ASSERT_STRING_EQUAL(s,
		"id,call_id,b_call_id,from_trunk,to_trunk,caller,callee,routed_to,start_time,"
		"answer_time,end_time,duration_s,sip_code,reason,disposition,hangup_by,codec,"
		"a_rtp_pkts,b_rtp_pkts,a_rtp_lost,b_rtp_lost,cost,node\n"
		"4,a4,,pbx2,,+4989555,999,,2026-11-25T10:00:00.123Z,,2026-11-25T10:00:00.200Z,0,404,"
		"\"No \"\"route\"\", sorry\nline2\",failed,b2bua,,0,0,0,0,,n2\n");
	free(s);

	/* json: an array of objects, null for NULL, numbers bare */
	s = print_all(q, &one, CDR_FMT_JSON, 0, 0);
	CU_ASSERT_STRING_EQUAL(s,
		"[\n  {\"id\": 4, \"call_id\": \"a4\", \"b_call_id\": null, \"from_trunk\": \"pbx2\","
		" \"to_trunk\": null, \"caller\": \"+4989555\", \"callee\": \"999\", \"routed_to\": null,"
		" \"start_time\": \"2026-11-25T10:00:00.123Z\", \"answer_time\": null,"
		" \"end_time\": \"2026-11-25T10:00:00.200Z\", \"duration_s\": 0, \"sip_code\": 404,"
		" \"reason\": \"No \\\"route\\\", sorry\\nline2\", \"disposition\": \"failed\","
		" \"hangup_by\": \"b2bua\", \"codec\": null, \"a_rtp_pkts\": 0, \"b_rtp_pkts\": 0,"
		" \"a_rtp_lost\": 0, \"b_rtp_lost\": 0, \"cost\": null, \"node\": \"n2\"}\n]\n");
	free(s);
	s = print_all(q, &none, CDR_FMT_JSON, 0, 0);
	CU_ASSERT_STRING_EQUAL(s, "[]\n");
	free(s);
	s = print_all(q, &all, CDR_FMT_JSON, 0, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"id\": 5,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"duration_s\": 60,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"cost\": 0.25,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "},\n  {"));
	free(s);

	/* table: whole values in columns sized to them, the disposition as
	 * the filter spells it, reason and hangup; time without ms, space for T */
	s = print_all(q, &all, CDR_FMT_TABLE, 0, 0);
	CU_ASSERT(strncmp(s, "START (UTC)          CALLER    CALLEE    FROM       TO        RESULT       SIP"
			     "  BY      DUR   COST  REASON\n", 106) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\n2026-11-25 10:00:00  +4989555  999       pbx2       -         failed"
					 "       404  b2bua     -      -  No \"route\", sorry?line2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "  carrierA  answered     200  caller   60  0.500  OK\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " in_progress "));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "(5 rows)\n"));
	CU_ASSERT_PTR_NULL(strstr(s, ".123"));
	CU_ASSERT_PTR_NULL(strchr(s, '~'));
	free(s);
	/* a narrow terminal: lines end after the last whole column that fits */
	table_width = 60;
	s = print_all(q, &all, CDR_FMT_TABLE, 0, 0);
	for (line = s; *line;) {
		size_t n = strcspn(line, "\n");

		CU_ASSERT(n <= 60);
		CU_ASSERT(n < 2 || strncmp(line + n - 2, " >", 2) == 0 || line[0] == '(');
		line += n + (line[n] ? 1 : 0);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\n2026-11-25 10:00:00  +4989555  999       pbx2       - >\n"));
	table_width = 0;
	free(s);

	/* summary */
	s = print_all(q, &all, CDR_FMT_CSV, 1, CDR_BY_TRUNK);
	CU_ASSERT_STRING_EQUAL(s, "trunk,calls,answered,asr_pct,acd_s,minutes,cost\n"
				  ",1,0,0.00,0.00,0.00,0.0000\n"
				  "carrierA,2,2,100.00,45.00,1.50,0.7500\n"
				  "carrierB,2,0,0.00,0.00,0.00,0.0000\n");
	free(s);
	s = print_all(q, &all, CDR_FMT_JSON, 1, CDR_BY_DAY);
	CU_ASSERT_STRING_EQUAL(s, "[\n  {\"day\": \"2026-11-24\", \"calls\": 2, \"answered\": 1, \"asr_pct\": 50.00,"
				  " \"acd_s\": 60.00, \"minutes\": 1.00, \"cost\": 0.5000},\n"
				  "  {\"day\": \"2026-11-25\", \"calls\": 3, \"answered\": 1, \"asr_pct\": 33.33,"
				  " \"acd_s\": 30.00, \"minutes\": 0.50, \"cost\": 0.2500}\n]\n");
	free(s);
	s = print_all(q, &all, CDR_FMT_TABLE, 1, CDR_BY_TRUNK);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "(none)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "carrierA                2        2  100.0    45.0        1.5       0.75\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "TOTAL                   5        2   40.0    45.0        1.5       0.75\n"));
	free(s);

	cdr_query_close(q);
	drop_db();
}

static void test_print_table_whole_and_sanitised(void)
{
	struct cdr_query *q;
	struct cdr_filter all = {0};
	char err[256], *s;

	CU_ASSERT_EQUAL_FATAL(make_db(
		"CREATE TABLE cdrs (id INTEGER PRIMARY KEY, call_id TEXT, b_call_id TEXT, from_trunk TEXT,"
		" to_trunk TEXT, caller TEXT, callee TEXT, routed_to TEXT, start_time TEXT, answer_time TEXT,"
		" end_time TEXT, duration_s REAL, sip_code INTEGER, reason TEXT, disposition TEXT,"
		" hangup_by TEXT, codec TEXT, a_rtp_pkts INTEGER, b_rtp_pkts INTEGER, a_rtp_lost INTEGER,"
		" b_rtp_lost INTEGER, cost REAL, node TEXT);"
		"INSERT INTO cdrs (id, call_id, to_trunk, caller, callee, start_time, answer_time,"
		" duration_s, sip_code, disposition, cost) VALUES"
		" (1, 'x', 'very-long-carrier-name', '+4917012345678901', 'evil' || char(27) || '[2J',"
		"  '2026-11-25T10:00:00.000Z', '2026-11-25T10:00:01.000Z', 123456.7, 200,"
		"  'interrupted', 1234.5678);"), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_query_open(&q, dbpath, err, sizeof(err)), 0);
	s = print_all(q, &all, CDR_FMT_TABLE, 0, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "+4917012345678901"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "evil?[2J"));
	CU_ASSERT_PTR_NULL(strchr(s, 27));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "very-long-carrier-name"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "interrupted"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " 34.3h "));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " 1235  -\n"));
	free(s);
	cdr_query_close(q);
	drop_db();
}

static void test_format_parse(void)
{
	enum cdr_format f;

	CU_ASSERT_EQUAL(cdr_format_parse("table", &f), 0);
	CU_ASSERT_EQUAL(f, CDR_FMT_TABLE);
	CU_ASSERT_EQUAL(cdr_format_parse("csv", &f), 0);
	CU_ASSERT_EQUAL(f, CDR_FMT_CSV);
	CU_ASSERT_EQUAL(cdr_format_parse("json", &f), 0);
	CU_ASSERT_EQUAL(f, CDR_FMT_JSON);
	CU_ASSERT_EQUAL(cdr_format_parse("xml", &f), -1);
	CU_ASSERT_EQUAL(cdr_format_parse("", &f), -1);
}

UNIT_SUITE(cdr_query,
	   UNIT_TEST(test_time_parse_forms),
	   UNIT_TEST(test_time_parse_in_zone),
	   UNIT_TEST(test_time_parse_small_buffer),
	   UNIT_TEST(test_time_format_roundtrip),
	   UNIT_TEST(test_list_filters),
	   UNIT_TEST(test_trunk_names_and_bad_numbers),
	   UNIT_TEST(test_list_values_and_nulls),
	   UNIT_TEST(test_open_errors),
	   UNIT_TEST(test_reader_sees_writer_commits),
	   UNIT_TEST(test_summary_finish_arithmetic),
	   UNIT_TEST(test_summary_groups),
	   UNIT_TEST(test_csv_quoting),
	   UNIT_TEST(test_json_escaping),
	   UNIT_TEST(test_print_formats),
	   UNIT_TEST(test_print_table_whole_and_sanitised),
	   UNIT_TEST(test_format_parse))
