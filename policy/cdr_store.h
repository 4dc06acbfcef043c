/*
 * cdr_store.h - writes call detail records into the cdrs table.
 *
 * Owns: one SQLite connection in WAL mode (synchronous=NORMAL) with
 * prepared statements. Used only by the b2bua's CDR writer thread (one
 * thread, never the SIP thread). Opening applies pending schema migrations
 * (PRAGMA user_version) so a fresh or older database is brought up to date.
 * Must not: know about SIP, queues or threads.
 */
#ifndef CDR_STORE_H
#define CDR_STORE_H

#include <stdint.h>
#include <stddef.h>

/* One call attempt as the b2bua knows it at some moment. Times are Unix
 * epoch milliseconds, 0 = not yet; the store writes them as UTC ISO-8601
 * with milliseconds and derives duration_s from answer and end. */
struct cdr_row {
	char call_id[128];
	char b_call_id[128];
	char from_trunk[64];
	char to_trunk[64];
	char caller[64];
	char callee[64];
	char routed_to[64];
	int64_t start_ms;
	int64_t answer_ms;
	int64_t end_ms;
	int sip_code;
	char reason[128];
	char disposition[16];   /* answered, busy, no_answer, cancelled, failed, in_progress */
	char hangup_by[8];      /* caller, callee, b2bua, or "" */
	char codec[32];
	long long a_rtp_pkts, b_rtp_pkts, a_rtp_lost, b_rtp_lost;
	int has_cost;
	double cost;
	char node[64];
	int q850_cause;         /* Reason: Q.850;cause= (RFC 3326/6432); 0 = none */
	char transfer_of[128];  /* a transfer's call: the call_id it came from; "" none */
};

/* One route attempt of a call (cdr_attempts, migration 6): the trunk tried
 * or skipped, when, and how it ended: the trunk's answer (cause "remote")
 * or what we found instead ("unreachable", "timeout", "tls", "limits",
 * "relay", "media", "internal"). */
struct cdr_attempt {
	int seq;                /* 1, 2, ... in the order tried */
	char trunk[64];
	int64_t start_ms;
	int sip_code;           /* 0: no INVITE went to the trunk */
	char reason[128];
	char cause[16];
};

struct cdr_store;

/* The database file before anything opens it: created with mode (0600
 * or 0640; SQLite would make it 0644 less the umask, and its -wal and
 * -shm files copy the database's mode) when it does not exist. 0 when
 * all is well, 1 when the database (or its -wal/-shm) is readable or
 * writable by every user (a warning in msg: call records and trunk
 * passwords live there), -1 when it cannot be created (msg says why). */
int cdr_store_prepare_file(const char *path, int mode, char *msg, size_t msglen);
int cdr_store_open(struct cdr_store **out, const char *path, char *err, size_t errlen);
void cdr_store_close(struct cdr_store *s);
int cdr_store_begin(struct cdr_store *s);
int cdr_store_commit(struct cdr_store *s);
/* ms (Unix epoch milliseconds) as CDR times are written, in UTC:
 * "2026-11-25T10:00:00.123Z". Status lines print times the same way. */
void cdr_time_iso(int64_t ms, char *buf, size_t len);
/* Inserts a row; *rowid gets its id. 0 or -1. */
int cdr_store_insert(struct cdr_store *s, const struct cdr_row *r, int64_t *rowid);
/* Inserts attempt a of the call whose cdrs row is cdr_id. 0 or -1. */
int cdr_store_insert_attempt(struct cdr_store *s, int64_t cdr_id, const struct cdr_attempt *a);
/* Overwrites every column of row rowid from r. 0 or -1. */
int cdr_store_update(struct cdr_store *s, int64_t rowid, const struct cdr_row *r);
/* Marks rows of node still in_progress as interrupted (after a crash);
 * *changed gets how many. 0 or -1. */
int cdr_store_interrupt_stale(struct cdr_store *s, const char *node, int *changed);
/* Last SQLite error text, for the caller's log line. */
const char *cdr_store_errmsg(struct cdr_store *s);

#endif
