/*
 * db.h - opening the SQLite database and bringing its schema up to date.
 *
 * Owns: nothing long-lived; helpers for policy.c, cdr_store.c and
 * cdr_query.c. The migrations are the files of sql/ embedded at build time
 * by scripts/embed_sql.sh (sql/schema.sql is migration 1, sql/NNN_*.sql is
 * migration NNN); PRAGMA user_version counts the ones applied.
 * Must not: know about SIP; be called on the SIP thread.
 */
#ifndef POLICY_DB_H
#define POLICY_DB_H

#include <stddef.h>
#include <sqlite3.h>

/* Generated (build/gen/migrations.c): migration i+1 is db_migrations[i]. */
extern const char *const db_migrations[];
extern const int db_migration_count;

/* Opens path with a busy timeout. Read-write opens create the file and set
 * journal_mode=WAL; read-only opens never create it. On failure *out is
 * NULL, err says why. 0 or -1. */
int db_open(sqlite3 **out, const char *path, int readonly, char *err, size_t errlen);

/* Applies every migration above PRAGMA user_version, each in its own
 * IMMEDIATE transaction that also sets user_version, so two processes
 * opening one fresh database never apply one twice. 0 or -1. */
int db_migrate(sqlite3 *db, char *err, size_t errlen);

/* PRAGMA user_version of db, or -1 (err set). */
int db_user_version(sqlite3 *db, char *err, size_t errlen);

#endif
