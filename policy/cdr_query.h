/*
 * cdr_query.h - read-only queries over the cdrs table, for b2bua-ctl, and
 * their printers (cdr_print.c).
 *
 * Owns: one read-only SQLite connection (struct cdr_query) and the three
 * output formats (table, csv, json) of CDR rows and summaries. Used by
 * one thread of a short-lived tool; the b2bua itself never links it on a
 * hot path.
 * Must not: write to the database, take a write lock, or build SQL from
 * user text (every filter is a bound parameter). The connection is opened
 * with SQLITE_OPEN_READONLY and a busy timeout: in WAL mode a reader never
 * blocks the b2bua's CDR writer, whether the daemon runs or not.
 */
#ifndef CDR_QUERY_H
#define CDR_QUERY_H

#include <stddef.h>
#include <stdio.h>

/* Filters; NULL / 0 = not set. Times are ISO-8601 UTC as cdr_time_parse()
 * writes them and bound start_time: from inclusive, to exclusive. */
struct cdr_filter {
	const char *from;
	const char *to;
	const char *number;       /* caller, callee or routed_to; "N*" prefix, "*N" suffix,
				   * "*N*" anywhere; spaces, dashes, dots and brackets ignored */
	const char *trunk;        /* from_trunk or to_trunk, exactly (cdr_query_trunk) */
	const char *disposition;
	const char *call_id;      /* either leg's Call-ID */
	int sip_code;             /* 0 = any */
	const char *hangup_by;    /* caller, callee, b2bua */
	const char *reason;       /* a part of the reason, any case */
	int has_min_duration, has_max_duration;
	double min_duration, max_duration;   /* seconds, answer to end */
	int limit;                /* list only; 0 = no limit */
};

/* The cdrs columns, in this order, as cdr_query_row carries them. */
enum cdr_col {
	CDR_COL_ID, CDR_COL_CALL_ID, CDR_COL_B_CALL_ID, CDR_COL_FROM_TRUNK, CDR_COL_TO_TRUNK,
	CDR_COL_CALLER, CDR_COL_CALLEE, CDR_COL_ROUTED_TO, CDR_COL_START_TIME,
	CDR_COL_ANSWER_TIME, CDR_COL_END_TIME, CDR_COL_DURATION_S, CDR_COL_SIP_CODE,
	CDR_COL_REASON, CDR_COL_DISPOSITION, CDR_COL_HANGUP_BY, CDR_COL_CODEC,
	CDR_COL_A_RTP_PKTS, CDR_COL_B_RTP_PKTS, CDR_COL_A_RTP_LOST, CDR_COL_B_RTP_LOST,
	CDR_COL_COST, CDR_COL_NODE,
	CDR_NCOLS
};
extern const char *const cdr_query_columns[CDR_NCOLS];

enum cdr_type { CDR_NULL, CDR_INT, CDR_REAL, CDR_TEXT };

struct cdr_value {
	enum cdr_type type;
	long long i;
	double d;
	const char *s;            /* CDR_TEXT only; valid during the callback */
};

struct cdr_query_row {
	struct cdr_value v[CDR_NCOLS];
};

/* One group of a summary. calls..cost are filled by the query;
 * cdr_summary_finish() derives the ratios. */
struct cdr_summary_row {
	const char *key;          /* to_trunk or YYYY-MM-DD; NULL = none (no route) */
	long long calls;          /* attempts */
	long long answered;       /* rows with an answer_time */
	double seconds;           /* sum of duration_s */
	double cost;              /* sum of cost, NULL counting as 0 */
	double asr_pct;           /* answered * 100 / calls */
	double acd_s;             /* seconds / answered */
	double minutes;           /* seconds / 60 */
};

enum cdr_group { CDR_BY_TRUNK, CDR_BY_DAY };

struct cdr_query;

/* Opens path read-only and checks it has a cdrs table. 0, or -1 with err. */
int cdr_query_open(struct cdr_query **out, const char *path, char *err, size_t errlen);
void cdr_query_close(struct cdr_query *q);

/* The trunk name as the CDRs write it for name in any case: from the
 * trunks table, else from the CDRs themselves. 0; -1 with err naming the
 * trunks there are when there is no such trunk. */
int cdr_query_trunk(struct cdr_query *q, const char *name, char *out, size_t cap, char *err, size_t errlen);

/* Calls row() for each matching CDR, newest start_time first, at most
 * f->limit rows; a non-zero return from row() stops early. 0, or -1 with
 * err (a bad filter or an SQLite error). */
int cdr_query_list(struct cdr_query *q, const struct cdr_filter *f,
		   int (*row)(void *arg, const struct cdr_query_row *r), void *arg,
		   char *err, size_t errlen);

/* One route attempt (cdr_attempts) of a matching call; strings valid
 * during the callback, NULL when the column is. */
struct cdr_attempt_row {
	const char *call_id;      /* the call's A-leg Call-ID */
	int seq;
	const char *trunk, *start_time;
	int sip_code;             /* 0: none (no INVITE went) */
	const char *cause, *reason;
};

/* Calls fn() for each route attempt of the CDRs cdr_query_list() would
 * list (same filter and limit, newest call first), in the order tried.
 * 0, or -1 with err (also for a database older than cdr_attempts). */
int cdr_query_attempts(struct cdr_query *q, const struct cdr_filter *f,
		       int (*fn)(void *arg, const struct cdr_attempt_row *a), void *arg,
		       char *err, size_t errlen);

/* Calls group() for each to_trunk (sorted by name) or UTC day (ascending)
 * among the matching CDRs, with its ratios already finished. f->limit is
 * ignored. 0 or -1 with err. */
int cdr_query_summary(struct cdr_query *q, const struct cdr_filter *f, enum cdr_group by,
		      int (*group)(void *arg, const struct cdr_summary_row *g), void *arg,
		      char *err, size_t errlen);

/* Fills asr_pct, acd_s and minutes from calls, answered and seconds
 * (0 when the divisor is 0). */
void cdr_summary_finish(struct cdr_summary_row *g);

/* Parses a time for --from/--to into "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC):
 * "2026-11-25", "2026-11-25T10:00", "2026-11-25 10:00:00[.123][Z]",
 * "now", "today", "yesterday" (UTC midnight), or "30s", "30m", "1h",
 * "2d", "1w" meaning now_ms minus that. 0, or -1 when s is not a time or
 * iso_out (cap >= 25) is too small. */
int cdr_time_parse(const char *s, long long now_ms, char *iso_out, size_t cap);
/* The same, and "14:00", "today 14:00", "yesterday 14:00"; with local set,
 * dates, times and days without a 'Z' are in the process's time zone
 * (TZ), else in UTC. */
int cdr_time_parse_in(const char *s, long long now_ms, int local, char *iso_out, size_t cap);
/* Writes epoch milliseconds as that ISO-8601 UTC form. 0 or -1. */
int cdr_time_format(long long ms, char *iso_out, size_t cap);

/* ---- output ---- */

enum cdr_format { CDR_FMT_TABLE, CDR_FMT_CSV, CDR_FMT_JSON };

/* "table", "csv" or "json". 0 or -1. */
int cdr_format_parse(const char *s, enum cdr_format *out);

/* A printer for one result set: begin, then rows (or groups), then end.
 * Plain struct on the caller's stack; fields are private. */
struct cdr_print {
	FILE *f;
	enum cdr_format fmt;
	enum cdr_group by;
	int summary;
	int attempts;
	long long n;
	struct cdr_summary_row total;
	/* table: rows wait for the end, when each column's width is known */
	int width;                /* cut lines at this many columns; 0 = never */
	int local;                /* times in the process's zone (TZ), else UTC */
	const char *zone;         /* that zone's name, for the header */
	char **rows;
	size_t nrows, rows_cap;
};

void cdr_print_begin(struct cdr_print *p, FILE *f, enum cdr_format fmt);
/* Table options, after begin: lines cut at width (0: never; values are
 * whole in every line, only its end goes), times in the local zone named
 * zone when local is set. */
void cdr_print_table_opts(struct cdr_print *p, int width, int local, const char *zone);
void cdr_print_begin_summary(struct cdr_print *p, FILE *f, enum cdr_format fmt, enum cdr_group by);
/* Callbacks for cdr_query_list / cdr_query_summary (arg = the printer). */
int cdr_print_row(void *arg, const struct cdr_query_row *r);
int cdr_print_group(void *arg, const struct cdr_summary_row *g);
void cdr_print_begin_attempts(struct cdr_print *p, FILE *f, enum cdr_format fmt);
int cdr_print_attempt(void *arg, const struct cdr_attempt_row *a);
void cdr_print_end(struct cdr_print *p);

/* One RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
void cdr_csv_field(FILE *f, const char *s);
/* A JSON string literal (RFC 8259) with quotes; control characters escaped. */
void cdr_json_string(FILE *f, const char *s);

#endif
