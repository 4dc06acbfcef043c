/*
 * db_init.c - an explicit create-or-migrate of the database (see
 * db_init.h). The same steps as the b2bua's start: cdr_store_prepare_file
 * for the file and its mode, then db_migrate.
 * Must not: log (the tool prints); open a file whose first bytes are not
 * SQLite's header (SQLite would fail late, or a typo in a path would
 * be taken for a database).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cdr_store.h"
#include "db.h"
#include "db_init.h"

/* SQLite's file header (https://www.sqlite.org/fileformat.html 1.3). */
static const char magic[16] = "SQLite format 3";

/* 0 when path is a database SQLite would open as one: its header, or an
 * empty file. -1 with err otherwise. */
static int check_file(const char *path, const struct stat *st, char *err, size_t errlen)
{
	char head[16];
	ssize_t n;
	int fd;

	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file: left alone", path);
		return -1;
	}
	if (st->st_size == 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(head)) != 0) {
		snprintf(err, errlen, "%s: not a SQLite database: left alone", path);
		return -1;
	}
	return 0;
}

int db_init_file(const char *path, int mode, struct db_init_result *r, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->known = db_migration_count;
	if (stat(path, &sb) == 0) {
		if (check_file(path, &sb, err, errlen) != 0)
			return -1;
	} else if (errno == ENOENT) {
		r->created = 1;
	} else {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (cdr_store_prepare_file(path, mode, r->warning, sizeof(r->warning)) < 0) {
		snprintf(err, errlen, "%s", r->warning);
		r->warning[0] = 0;
		return -1;
	}
	if (db_open(&db, path, 0, err, errlen) != 0)
		goto out;
	r->from = db_user_version(db, err, errlen);
	if (r->from < 0 || db_migrate(db, err, errlen) != 0)
		goto out;
	r->to = db_user_version(db, err, errlen);
	if (r->to < 0)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM trunks", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: trunks: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	r->trunks = sqlite3_column_int64(st, 0);
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
