/*
 * db_init.h - `b2bua-ctl init`: create a policy database, or bring one
 * up to date, explicitly, with the migrations the daemons apply at start
 * (db.c, the files of sql/ embedded at build time).
 *
 * Owns: nothing long-lived. A face without sqlite3.h, so the tool can use
 * it (only policy/ includes sqlite3.h).
 * Must not: touch a file that is not a SQLite database (an empty file
 * counts as one: SQLite itself takes it as a new database).
 */
#ifndef POLICY_DB_INIT_H
#define POLICY_DB_INIT_H

#include <stddef.h>

struct db_init_result {
	int created;        /* the file did not exist */
	int from, to;       /* PRAGMA user_version before and after */
	int known;          /* migrations this build carries */
	long long trunks;   /* rows in trunks afterwards */
	char warning[512];  /* "" or why the file's mode is unsafe */
};

/* Creates path (mode 0600 or 0640, as [db] mode) when missing, applies
 * every migration above its user_version. Run twice, the second run
 * changes nothing. 0, or -1 with err (not a SQLite database, cannot
 * create, a migration failed). */
int db_init_file(const char *path, int mode, struct db_init_result *r, char *err, size_t errlen);

#endif
