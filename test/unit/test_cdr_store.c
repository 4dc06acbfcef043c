/*
 * test_cdr_store.c - the cdrs writer (cdr_store.c): a fresh file gets the
 * schema, rows round-trip through insert/update with ISO-8601 UTC times,
 * and interrupt_stale touches only its own node's in-progress rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "unit.h"
#include "cdr_store.h"
#include "db.h"

static char db_path[64];

static mode_t current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

static int new_path(void)
{
	int fd;

	snprintf(db_path, sizeof(db_path), "/tmp/test_cdr_store_XXXXXX");
	fd = mkstemp(db_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static void drop_db(void)
{
	char p[96];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

/* The first column of the first row of sql, as text ("NULL" for NULL). */
static void query(const char *sql, char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(out, len, "<no row>");
	CU_ASSERT_FATAL(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);

			snprintf(out, len, "%s", t ? (const char *)t : "NULL");
		}
		sqlite3_finalize(st);
	} else {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
}

static struct cdr_row row(const char *call_id, const char *node)
{
	struct cdr_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.call_id, sizeof(r.call_id), "%s", call_id);
	snprintf(r.from_trunk, sizeof(r.from_trunk), "pbx");
	snprintf(r.caller, sizeof(r.caller), "1001");
	snprintf(r.callee, sizeof(r.callee), "030123");
	snprintf(r.disposition, sizeof(r.disposition), "in_progress");
	snprintf(r.node, sizeof(r.node), "%s", node);
	r.start_ms = 1795600800123LL;       /* 2026-11-25T10:00:00.123Z */
	return r;
}

static void test_open_applies_schema(void)
{
	struct cdr_store *s;
	char err[256] = "", v[64];

	CU_ASSERT_EQUAL_FATAL(new_path(), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_store_open(&s, db_path, err, sizeof(err)), 0);
	cdr_store_close(s);
	snprintf(err, sizeof(err), "%d", db_migration_count);
	query("PRAGMA user_version", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, err);
	query("PRAGMA journal_mode", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "wal");
	/* Opening again is a no-op for the schema. */
	CU_ASSERT_EQUAL_FATAL(cdr_store_open(&s, db_path, err, sizeof(err)), 0);
	cdr_store_close(s);
	cdr_store_close(NULL);
	drop_db();
	CU_ASSERT_EQUAL(cdr_store_open(&s, "/nonexistent/dir/x.db", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT(err[0] != 0);
}

static void test_insert_update_round_trip(void)
{
	static const struct {
		const char *sql, *want;
	} checks[] = {
		{"SELECT call_id || '|' || b_call_id || '|' || from_trunk || '|' || to_trunk || '|' ||"
		 " caller || '|' || callee || '|' || routed_to FROM cdrs",
		 "A-1|B-1|pbx|carrier1|1001|030123|+4930123"},
		{"SELECT start_time FROM cdrs", "2026-11-25T10:00:00.123Z"},
		{"SELECT answer_time FROM cdrs", "2026-11-25T10:00:05.000Z"},
		{"SELECT end_time FROM cdrs", "2026-11-25T10:01:06.500Z"},
		{"SELECT duration_s FROM cdrs", "61.5"},
		{"SELECT sip_code || ' ' || reason || ' ' || disposition || ' ' || hangup_by FROM cdrs",
		 "200 OK answered caller"},
		{"SELECT codec || ' ' || a_rtp_pkts || ' ' || b_rtp_pkts || ' ' || a_rtp_lost || ' ' || b_rtp_lost FROM cdrs",
		 "PCMA 3075 3070 2 5"},
		{"SELECT cost FROM cdrs", "0.66"},
		{"SELECT node FROM cdrs", "n1"},
		{"SELECT q850_cause FROM cdrs", "16"},
		{"SELECT transfer_of FROM cdrs", "A-0"},
		{"SELECT count(*) FROM cdrs", "1"},
	};
	struct cdr_store *s;
	struct cdr_row r = row("A-1", "n1");
	int64_t id = 0;
	char err[256], v[256];

	CU_ASSERT_EQUAL_FATAL(new_path(), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_store_open(&s, db_path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cdr_store_begin(s), 0);
	CU_ASSERT_EQUAL(cdr_store_insert(s, &r, &id), 0);
	CU_ASSERT_EQUAL(cdr_store_commit(s), 0);
	CU_ASSERT(id > 0);

	/* Fresh row: unknown fields are NULL, not '' or 0. */
	query("SELECT quote(answer_time) || quote(end_time) || quote(cost) || quote(sip_code) ||"
	      " quote(b_call_id) || quote(q850_cause) || quote(transfer_of) || ' ' || duration_s || ' ' || disposition FROM cdrs", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "NULLNULLNULLNULLNULLNULLNULL 0.0 in_progress");

	snprintf(r.b_call_id, sizeof(r.b_call_id), "B-1");
	snprintf(r.to_trunk, sizeof(r.to_trunk), "carrier1");
	snprintf(r.routed_to, sizeof(r.routed_to), "+4930123");
	r.answer_ms = 1795600805000LL;
	r.end_ms = 1795600866500LL;
	r.sip_code = 200;
	snprintf(r.reason, sizeof(r.reason), "OK");
	snprintf(r.disposition, sizeof(r.disposition), "answered");
	snprintf(r.hangup_by, sizeof(r.hangup_by), "caller");
	snprintf(r.codec, sizeof(r.codec), "PCMA");
	r.a_rtp_pkts = 3075;
	r.b_rtp_pkts = 3070;
	r.a_rtp_lost = 2;
	r.b_rtp_lost = 5;
	r.has_cost = 1;
	r.cost = 0.66;
	r.q850_cause = 16;
	snprintf(r.transfer_of, sizeof(r.transfer_of), "A-0");
	CU_ASSERT_EQUAL(cdr_store_begin(s), 0);
	CU_ASSERT_EQUAL(cdr_store_update(s, id, &r), 0);
	CU_ASSERT_EQUAL(cdr_store_commit(s), 0);
	CU_ASSERT_EQUAL(cdr_store_update(s, id + 100, &r), -1);   /* no such row */

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		query(checks[i].sql, v, sizeof(v));
		if (strcmp(v, checks[i].want) != 0)
			fprintf(stderr, "cdr check %zu: '%s'\n", i, v);
		CU_ASSERT_STRING_EQUAL(v, checks[i].want);
	}
	CU_ASSERT_PTR_NOT_NULL(cdr_store_errmsg(s));
	cdr_store_close(s);
	drop_db();
}

static void test_time_format_edges(void)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
		{1, "1970-01-01T00:00:00.001Z"},
		{999, "1970-01-01T00:00:00.999Z"},
		{1709251199999LL, "2024-02-29T23:59:59.999Z"},
		{1735689600000LL, "2025-01-01T00:00:00.000Z"},
	};
	struct cdr_store *s;
	char err[256], v[64], sql[96];

	CU_ASSERT_EQUAL_FATAL(new_path(), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_store_open(&s, db_path, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cdr_row r = row("T", "n");
		int64_t id;

		r.start_ms = cases[i].ms;
		CU_ASSERT_EQUAL_FATAL(cdr_store_insert(s, &r, &id), 0);
		snprintf(sql, sizeof(sql), "SELECT start_time FROM cdrs WHERE id = %lld", (long long)id);
		query(sql, v, sizeof(v));
		CU_ASSERT_STRING_EQUAL(v, cases[i].want);
	}
	cdr_store_close(s);
	drop_db();
}

static void test_interrupt_stale_only_own_node(void)
{
	struct cdr_store *s;
	char err[256], v[128];
	int changed = -1;
	int64_t id;

	CU_ASSERT_EQUAL_FATAL(new_path(), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_store_open(&s, db_path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cdr_store_begin(s), 0);
	for (int i = 0; i < 5; i++) {
		char cid[16];
		struct cdr_row r;

		snprintf(cid, sizeof(cid), "c%d", i);
		r = row(cid, i == 4 ? "n2" : "n1");
		if (i == 3)
			snprintf(r.disposition, sizeof(r.disposition), "answered");
		CU_ASSERT_EQUAL(cdr_store_insert(s, &r, &id), 0);
	}
	CU_ASSERT_EQUAL(cdr_store_commit(s), 0);
	CU_ASSERT_EQUAL(cdr_store_interrupt_stale(s, "n1", &changed), 0);
	CU_ASSERT_EQUAL(changed, 3);
	query("SELECT count(*) FROM cdrs WHERE disposition = 'interrupted' AND node = 'n1'"
	      " AND reason = 'interrupted by restart'", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "3");
	query("SELECT disposition FROM cdrs WHERE node = 'n2'", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "in_progress");
	query("SELECT disposition FROM cdrs WHERE call_id = 'c3'", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "answered");
	CU_ASSERT_EQUAL(cdr_store_interrupt_stale(s, "n1", &changed), 0);
	CU_ASSERT_EQUAL(changed, 0);
	cdr_store_close(s);
	drop_db();
}

/* A new database is never open to every user; an old one that is gets
 * a warning (call records and trunk passwords live there). */
static void test_prepare_file_modes(void)
{
	struct cdr_store *s;
	struct stat st;
	char msg[256], wal[96];

	CU_ASSERT_EQUAL_FATAL(new_path(), 0);
	unlink(db_path);
	CU_ASSERT_EQUAL(cdr_store_prepare_file(db_path, 0600, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL_FATAL(cdr_store_open(&s, db_path, msg, sizeof(msg)), 0);
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	CU_ASSERT_EQUAL(stat(db_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(stat(wal, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);   /* SQLite copies the database's mode */
	cdr_store_close(s);
	drop_db();
	CU_ASSERT_EQUAL(cdr_store_prepare_file(db_path, 0640, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(stat(db_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640 & ~current_umask());
	CU_ASSERT_EQUAL(chmod(db_path, 0644), 0);
	CU_ASSERT_EQUAL(cdr_store_prepare_file(db_path, 0600, msg, sizeof(msg)), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "open to every user (mode 0644)"));
	CU_ASSERT_EQUAL(chmod(db_path, 0600), 0);
	CU_ASSERT_EQUAL(cdr_store_prepare_file(db_path, 0600, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(cdr_store_prepare_file("/nonexistent-dir/x.db", 0600, msg, sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "cannot create"));
	drop_db();
}

UNIT_SUITE(cdr_store,
	   UNIT_TEST(test_prepare_file_modes),
	   UNIT_TEST(test_open_applies_schema),
	   UNIT_TEST(test_insert_update_round_trip),
	   UNIT_TEST(test_time_format_edges),
	   UNIT_TEST(test_interrupt_stale_only_own_node))
