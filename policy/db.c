/*
 * db.c - SQLite open + schema migrations (see db.h).
 *
 * Every writer opens through here so the busy timeout and WAL mode are the
 * same everywhere: the CDR writer, b2bua-ctl and a reload may touch one
 * file at the same moment.
 * Must not: keep state between calls.
 */
#include <stdio.h>
#include "db.h"

#define DB_BUSY_TIMEOUT_MS 5000

int db_open(sqlite3 **out, const char *path, int readonly, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc;

	*out = NULL;
	rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	if (!readonly) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "%s: journal_mode=WAL: %s", path, sqlite3_errmsg(db));
			goto out;
		}
	}
	*out = db;
	db = NULL;
	rc = SQLITE_OK;
out:
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

int db_user_version(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		snprintf(err, errlen, "user_version: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}

int db_migrate(sqlite3 *db, char *err, size_t errlen)
{
	for (;;) {
		char sql[64];
		char *msg = NULL;
		int v;

		/* IMMEDIATE takes the write lock first, so the version read
		 * below cannot change before this migration commits. */
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "migrate: begin: %s", sqlite3_errmsg(db));
			return -1;
		}
		v = db_user_version(db, err, errlen);
		if (v < 0)
			goto fail;
		if (v >= db_migration_count) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			return 0;
		}
		if (sqlite3_exec(db, db_migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %d: %s", v + 1, msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			goto fail;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "migration %d: %s", v + 1, sqlite3_errmsg(db));
			goto fail;
		}
		continue;
fail:
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
}
