/*
 * test_cdr_writer.c - the CDR writer thread (cdr_writer.c) over a real
 * SQLite file: every event lands, in order, one row per call; a burst far
 * larger than the ring overflows into memory and is still written; stale
 * in_progress rows of this node become interrupted at start.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cdr_writer.h"

static char path[64];

static void fresh_db(void)
{
	char p[96];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_cdrw_XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
}

static void drop_db(void)
{
	char p[96];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* First column of the first row of sql, as an integer. */
static long long scalar(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	CU_ASSERT_FATAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	} else {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	return v;
}

static struct cdr_row row(unsigned i, const char *disposition)
{
	struct cdr_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.call_id, sizeof(r.call_id), "call-%u", i);
	snprintf(r.caller, sizeof(r.caller), "100");
	snprintf(r.callee, sizeof(r.callee), "49301234%u", i);
	snprintf(r.routed_to, sizeof(r.routed_to), "+49301234%u", i);
	snprintf(r.from_trunk, sizeof(r.from_trunk), "pbx");
	snprintf(r.disposition, sizeof(r.disposition), "%s", disposition);
	snprintf(r.node, sizeof(r.node), "n1");
	r.start_ms = 1764064800000LL + i;
	return r;
}

static void test_call_lifecycle_is_one_row(void)
{
	struct cdr_writer *w;
	struct cdr_row r = row(1, "in_progress");
	char err[256];

	fresh_db();
	CU_ASSERT_EQUAL_FATAL(cdr_writer_start(&w, path, "n1", err, sizeof(err)), 0);
	cdr_writer_push(w, 1, &r, 0);
	cdr_writer_flush(w);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs WHERE disposition='in_progress'"), 1);

	r.answer_ms = r.start_ms + 2000;
	snprintf(r.to_trunk, sizeof(r.to_trunk), "carrier1");
	cdr_writer_push(w, 1, &r, 0);
	r.end_ms = r.answer_ms + 61500;
	r.sip_code = 200;
	r.has_cost = 1;
	r.cost = 0.66;
	snprintf(r.disposition, sizeof(r.disposition), "answered");
	snprintf(r.hangup_by, sizeof(r.hangup_by), "caller");
	r.a_rtp_pkts = 3075;
	cdr_writer_push(w, 1, &r, 1);
	cdr_writer_flush(w);
	CU_ASSERT_EQUAL(cdr_writer_queued(w), 0);
	cdr_writer_stop(w);

	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs"), 1);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs WHERE disposition='answered'"
			       " AND hangup_by='caller' AND to_trunk='carrier1' AND sip_code=200"
			       " AND a_rtp_pkts=3075 AND abs(cost-0.66)<1e-9"
			       " AND abs(duration_s-61.5)<1e-6 AND node='n1'"), 1);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs WHERE start_time='2025-11-25T10:00:00.001Z'"
			       " AND end_time='2025-11-25T10:01:03.501Z'"), 1);
	drop_db();
}

static struct cdr_attempt attempt(int seq, const char *trunk, int code, const char *cause)
{
	struct cdr_attempt a;

	memset(&a, 0, sizeof(a));
	a.seq = seq;
	snprintf(a.trunk, sizeof(a.trunk), "%s", trunk);
	a.start_ms = 1764064800001LL + seq;
	a.sip_code = code;
	snprintf(a.reason, sizeof(a.reason), "why %d", seq);
	snprintf(a.cause, sizeof(a.cause), "%s", cause);
	return a;
}

/* A call's attempts land on its own row: those pushed before its first
 * row wait for that row's id, later ones go in at once; two calls'
 * attempts never mix. */
static void test_attempts_link_to_their_call(void)
{
	struct cdr_writer *w;
	struct cdr_row r1 = row(1, "failed"), r2 = row(2, "in_progress");
	struct cdr_attempt a;
	char err[256];

	fresh_db();
	CU_ASSERT_EQUAL_FATAL(cdr_writer_start(&w, path, "n1", err, sizeof(err)), 0);
	a = attempt(1, "carrier1", 503, "remote");
	cdr_writer_attempt(w, 1, &a);
	a = attempt(1, "carrier1", 0, "limits");
	cdr_writer_attempt(w, 2, &a);
	cdr_writer_push(w, 2, &r2, 0);
	cdr_writer_flush(w);   /* call 2's row is written, call 1 has none yet */
	a = attempt(2, "carrier2", 0, "unreachable");
	cdr_writer_attempt(w, 1, &a);
	a = attempt(2, "carrier2", 200, "remote");
	cdr_writer_attempt(w, 2, &a);
	cdr_writer_push(w, 1, &r1, 1);
	snprintf(r2.disposition, sizeof(r2.disposition), "answered");
	cdr_writer_push(w, 2, &r2, 1);
	cdr_writer_stop(w);

	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdr_attempts"), 4);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdr_attempts t JOIN cdrs c ON c.id = t.cdr_id"
			       " WHERE c.disposition = 'failed' AND ((t.seq = 1 AND t.sip_code = 503 AND"
			       " t.cause = 'remote') OR (t.seq = 2 AND t.sip_code IS NULL AND"
			       " t.cause = 'unreachable' AND t.trunk = 'carrier2'))"), 2);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdr_attempts t JOIN cdrs c ON c.id = t.cdr_id"
			       " WHERE c.disposition = 'answered' AND ((t.seq = 1 AND t.cause = 'limits') OR"
			       " (t.seq = 2 AND t.sip_code = 200 AND t.reason = 'why 2'))"), 2);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdr_attempts WHERE start_time = '2025-11-25T10:00:00.003Z'"), 2);
	drop_db();
}

/* 3 events per call for 10,000 calls: 30,000 events, far past the 1024
 * slots of the ring and the 1024 events of a batch, pushed without ever
 * waiting for the disk: the rest waits in the overflow list, in order. */
static void test_burst_beyond_ring_loses_nothing(void)
{
	struct cdr_writer *w;
	char err[256];
	const unsigned calls = 10000;

	fresh_db();
	CU_ASSERT_EQUAL_FATAL(cdr_writer_start(&w, path, "n1", err, sizeof(err)), 0);
	for (unsigned i = 1; i <= calls; i++) {
		struct cdr_row r = row(i, "in_progress");

		cdr_writer_push(w, i, &r, 0);
	}
	for (unsigned i = 1; i <= calls; i++) {
		struct cdr_row r = row(i, "in_progress");

		r.answer_ms = r.start_ms + 1000;
		cdr_writer_push(w, i, &r, 0);
		r.end_ms = r.answer_ms + 1000;
		snprintf(r.disposition, sizeof(r.disposition), i % 2 ? "answered" : "busy");
		cdr_writer_push(w, i, &r, 1);
	}
	cdr_writer_stop(w);   /* stop flushes what is queued */
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs"), calls);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs WHERE disposition='answered'"), calls / 2);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs WHERE disposition='in_progress'"), 0);
	CU_ASSERT_EQUAL(scalar("SELECT count(DISTINCT call_id) FROM cdrs"), calls);
	drop_db();
}

static void test_restart_marks_stale_rows_interrupted(void)
{
	struct cdr_writer *w;
	char err[256];

	fresh_db();
	CU_ASSERT_EQUAL_FATAL(cdr_writer_start(&w, path, "n1", err, sizeof(err)), 0);
	for (unsigned i = 1; i <= 5; i++) {
		struct cdr_row r = row(i, "in_progress");

		if (i == 5)
			snprintf(r.node, sizeof(r.node), "n2");   /* another node's call */
		cdr_writer_push(w, i, &r, 0);
	}
	cdr_writer_flush(w);
	/* The process "dies" here: the rows stay in_progress. */
	cdr_writer_stop(w);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs WHERE disposition='in_progress'"), 5);

	CU_ASSERT_EQUAL_FATAL(cdr_writer_start(&w, path, "n1", err, sizeof(err)), 0);
	cdr_writer_stop(w);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs WHERE disposition='interrupted'"), 4);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM cdrs WHERE disposition='in_progress' AND node='n2'"), 1);
	drop_db();
}

static void test_unwritable_path_is_an_error(void)
{
	struct cdr_writer *w = NULL;
	char err[256] = "";

	CU_ASSERT_EQUAL(cdr_writer_start(&w, "/nonexistent-dir/x.db", "n1", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT(err[0] != 0);
}

UNIT_SUITE(cdr_writer,
	UNIT_TEST(test_call_lifecycle_is_one_row),
	UNIT_TEST(test_attempts_link_to_their_call),
	UNIT_TEST(test_burst_beyond_ring_loses_nothing),
	UNIT_TEST(test_restart_marks_stale_rows_interrupted),
	UNIT_TEST(test_unwritable_path_is_an_error))
