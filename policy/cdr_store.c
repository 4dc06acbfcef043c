/*
 * cdr_store.c - the cdrs table writer (see cdr_store.h).
 *
 * Owns: one read-write connection and its prepared statements; used by the
 * CDR writer thread only. Empty text fields and unset times are written as
 * NULL, so "answer_time IS NULL" reads as "never answered"; sip_code 0
 * (no final response yet) is NULL too.
 * Must not: know about SIP, queues or threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cdr_store.h"
#include "db.h"

#define CDR_COLS "call_id, b_call_id, from_trunk, to_trunk, caller, callee, routed_to," \
	" start_time, answer_time, end_time, duration_s, sip_code, reason, disposition," \
	" hangup_by, codec, a_rtp_pkts, b_rtp_pkts, a_rtp_lost, b_rtp_lost, cost, node, q850_cause, transfer_of"
#define CDR_NCOLS 24

struct cdr_store {
	sqlite3 *db;
	sqlite3_stmt *ins, *upd, *stale, *att, *begin, *commit;
};

void cdr_store_close(struct cdr_store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->upd);
	sqlite3_finalize(s->stale);
	sqlite3_finalize(s->att);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_close(s->db);
	free(s);
}

int cdr_store_prepare_file(const char *path, int mode, char *msg, size_t msglen)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);

	msg[0] = 0;
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		snprintf(msg, msglen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char p[4096];
		struct stat st;

		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (stat(p, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH))) {
			snprintf(msg, msglen, "%s is open to every user (mode %04o): chmod 600 %s*", p,
				 (unsigned)(st.st_mode & 07777), path);
			return 1;
		}
	}
	return 0;
}

int cdr_store_open(struct cdr_store **out, const char *path, char *err, size_t errlen)
{
	struct cdr_store *s = calloc(1, sizeof(*s));
	static const char *const ins =
		"INSERT INTO cdrs (" CDR_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)";
	static const char *const upd =
		"UPDATE cdrs SET call_id = ?1, b_call_id = ?2, from_trunk = ?3, to_trunk = ?4,"
		" caller = ?5, callee = ?6, routed_to = ?7, start_time = ?8, answer_time = ?9,"
		" end_time = ?10, duration_s = ?11, sip_code = ?12, reason = ?13, disposition = ?14,"
		" hangup_by = ?15, codec = ?16, a_rtp_pkts = ?17, b_rtp_pkts = ?18, a_rtp_lost = ?19,"
		" b_rtp_lost = ?20, cost = ?21, node = ?22, q850_cause = ?23,"
		" transfer_of = ?24 WHERE id = ?25";
	static const char *const stale =
		"UPDATE cdrs SET disposition = 'interrupted', reason = 'interrupted by restart'"
		" WHERE node = ?1 AND disposition = 'in_progress'";
	static const char *const att =
		"INSERT INTO cdr_attempts (cdr_id, seq, trunk, start_time, sip_code, reason, cause)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "cdr store: out of memory");
		return -1;
	}
	if (db_open(&s->db, path, 0, err, errlen) != 0 || db_migrate(s->db, err, errlen) != 0)
		goto fail;
	/* WAL + NORMAL: a commit is durable against a process crash (kill -9),
	 * and costs no fsync per batch; only a power loss may lose the last. */
	if (sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlfail;
	if (sqlite3_prepare_v2(s->db, ins, -1, &s->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, upd, -1, &s->upd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, stale, -1, &s->stale, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, att, -1, &s->att, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "BEGIN", -1, &s->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "COMMIT", -1, &s->commit, NULL) != SQLITE_OK)
		goto sqlfail;
	*out = s;
	return 0;
sqlfail:
	snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
fail:
	cdr_store_close(s);
	return -1;
}

const char *cdr_store_errmsg(struct cdr_store *s)
{
	return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}

static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int cdr_store_begin(struct cdr_store *s)
{
	/* A commit that failed leaves its transaction open: carry on in it. */
	if (!sqlite3_get_autocommit(s->db))
		return 0;
	return run(s->begin);
}

int cdr_store_commit(struct cdr_store *s)
{
	return run(s->commit);
}

void cdr_time_iso(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
}

static int bind_time(sqlite3_stmt *st, int i, int64_t ms)
{
	char buf[80];

	if (ms == 0)
		return sqlite3_bind_null(st, i);
	cdr_time_iso(ms, buf, sizeof(buf));
	return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

#define TXT(i, f) bind_text(st, i, r->f, sizeof(r->f))

static int bind_row(sqlite3_stmt *st, const struct cdr_row *r)
{
	double dur = r->answer_ms && r->end_ms && r->end_ms >= r->answer_ms ?
		     (double)(r->end_ms - r->answer_ms) / 1000.0 : 0.0;
	int rc = 0;

	/* call_id, caller, callee and node are always written (NOT NULL-ish). */
	rc |= sqlite3_bind_text(st, 1, r->call_id, (int)strnlen(r->call_id, sizeof(r->call_id)),
				SQLITE_TRANSIENT);
	rc |= TXT(2, b_call_id);
	rc |= TXT(3, from_trunk);
	rc |= TXT(4, to_trunk);
	rc |= sqlite3_bind_text(st, 5, r->caller, (int)strnlen(r->caller, sizeof(r->caller)),
				SQLITE_TRANSIENT);
	rc |= sqlite3_bind_text(st, 6, r->callee, (int)strnlen(r->callee, sizeof(r->callee)),
				SQLITE_TRANSIENT);
	rc |= TXT(7, routed_to);
	rc |= bind_time(st, 8, r->start_ms);
	rc |= bind_time(st, 9, r->answer_ms);
	rc |= bind_time(st, 10, r->end_ms);
	rc |= sqlite3_bind_double(st, 11, dur);
	rc |= r->sip_code ? sqlite3_bind_int(st, 12, r->sip_code) : sqlite3_bind_null(st, 12);
	rc |= TXT(13, reason);
	rc |= r->disposition[0] ? TXT(14, disposition) :
	      sqlite3_bind_text(st, 14, "in_progress", -1, SQLITE_STATIC);
	rc |= TXT(15, hangup_by);
	rc |= TXT(16, codec);
	rc |= sqlite3_bind_int64(st, 17, r->a_rtp_pkts);
	rc |= sqlite3_bind_int64(st, 18, r->b_rtp_pkts);
	rc |= sqlite3_bind_int64(st, 19, r->a_rtp_lost);
	rc |= sqlite3_bind_int64(st, 20, r->b_rtp_lost);
	rc |= r->has_cost ? sqlite3_bind_double(st, 21, r->cost) : sqlite3_bind_null(st, 21);
	rc |= sqlite3_bind_text(st, 22, r->node, (int)strnlen(r->node, sizeof(r->node)),
				SQLITE_TRANSIENT);
	rc |= r->q850_cause > 0 ? sqlite3_bind_int(st, 23, r->q850_cause) : sqlite3_bind_null(st, 23);
	rc |= TXT(24, transfer_of);
	return rc == SQLITE_OK ? 0 : -1;
}

int cdr_store_insert(struct cdr_store *s, const struct cdr_row *r, int64_t *rowid)
{
	int rc = bind_row(s->ins, r) == 0 && sqlite3_step(s->ins) == SQLITE_DONE ? 0 : -1;

	if (rc == 0 && rowid)
		*rowid = sqlite3_last_insert_rowid(s->db);
	sqlite3_reset(s->ins);
	sqlite3_clear_bindings(s->ins);
	return rc;
}

int cdr_store_insert_attempt(struct cdr_store *s, int64_t cdr_id, const struct cdr_attempt *a)
{
	sqlite3_stmt *st = s->att;
	const struct cdr_attempt *r = a;
	int rc = 0;

	rc |= sqlite3_bind_int64(st, 1, cdr_id);
	rc |= sqlite3_bind_int(st, 2, a->seq);
	rc |= TXT(3, trunk);
	rc |= bind_time(st, 4, a->start_ms);
	rc |= a->sip_code ? sqlite3_bind_int(st, 5, a->sip_code) : sqlite3_bind_null(st, 5);
	rc |= TXT(6, reason);
	rc |= sqlite3_bind_text(st, 7, a->cause[0] ? a->cause : "internal", -1, SQLITE_TRANSIENT);
	rc = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int cdr_store_update(struct cdr_store *s, int64_t rowid, const struct cdr_row *r)
{
	int rc = -1;

	if (bind_row(s->upd, r) == 0 && sqlite3_bind_int64(s->upd, CDR_NCOLS + 1, rowid) == SQLITE_OK &&
	    sqlite3_step(s->upd) == SQLITE_DONE)
		rc = sqlite3_changes(s->db) == 1 ? 0 : -1;
	sqlite3_reset(s->upd);
	sqlite3_clear_bindings(s->upd);
	return rc;
}

int cdr_store_interrupt_stale(struct cdr_store *s, const char *node, int *changed)
{
	int rc = -1;

	if (sqlite3_bind_text(s->stale, 1, node ? node : "", -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_step(s->stale) == SQLITE_DONE)
		rc = 0;
	if (changed)
		*changed = rc == 0 ? sqlite3_changes(s->db) : 0;
	sqlite3_reset(s->stale);
	sqlite3_clear_bindings(s->stale);
	return rc;
}
