/*
 * cdr_print.c - how b2bua-ctl shows CDR rows, summaries and route
 * attempts: a table for people, CSV (RFC 4180) and JSON (RFC 8259) for
 * programs.
 *
 * Owns: the printers declared in cdr_query.h (struct cdr_print). Reads
 * what cdr_query.c found; never touches the database.
 * Must not: cut a value in the middle (a support engineer quotes it) or
 * pass a control character from a CDR to the terminal.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdr_query.h"

/* ---- output ---- */

int cdr_format_parse(const char *s, enum cdr_format *out)
{
	if (strcmp(s, "table") == 0)
		*out = CDR_FMT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*out = CDR_FMT_CSV;
	else if (strcmp(s, "json") == 0)
		*out = CDR_FMT_JSON;
	else
		return -1;
	return 0;
}

void cdr_csv_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* CDR text can come from the far end (a Reason phrase): bytes that are not
 * UTF-8 become U+FFFD so the output is always valid JSON. */
void cdr_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (p && *p) {
		size_t n;

		switch (*p) {
		case '"': fputs("\\\"", f); p++; continue;
		case '\\': fputs("\\\\", f); p++; continue;
		case '\b': fputs("\\b", f); p++; continue;
		case '\f': fputs("\\f", f); p++; continue;
		case '\n': fputs("\\n", f); p++; continue;
		case '\r': fputs("\\r", f); p++; continue;
		case '\t': fputs("\\t", f); p++; continue;
		default: break;
		}
		if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		n = utf8_len(p);
		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

static void number_out(FILE *f, double d, int json)
{
	if (isfinite(d))
		fprintf(f, "%.15g", d);
	else if (json)
		fputs("null", f);
}

/* Table cell text: s cut to w bytes with a '~' in the middle, keeping both
 * ends (a number's country code and its subscriber digits, "carrier-a"
 * and "carrier-b" apart); control characters shown as '?' so a hostile
 * field cannot drive the terminal. */
/* A value for the terminal: whole, control and non-ASCII bytes as '?',
 * "-" when empty. */
static void cell(char *out, size_t cap, const char *s)
{
	size_t o = 0;

	if (!s || !*s)
		s = "-";
	for (; *s && o + 1 < cap; s++)
		out[o++] = (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ? '?' : *s;
	out[o] = 0;
}

static const char *text(const struct cdr_query_row *r, enum cdr_col c)
{
	return r->v[c].type == CDR_TEXT ? r->v[c].s : NULL;
}

static int real(const struct cdr_query_row *r, enum cdr_col c, double *d)
{
	if (r->v[c].type == CDR_REAL)
		*d = r->v[c].d;
	else if (r->v[c].type == CDR_INT)
		*d = (double)r->v[c].i;
	else if (r->v[c].type == CDR_TEXT && r->v[c].s && *r->v[c].s)
		*d = strtod(r->v[c].s, NULL);
	else
		return -1;
	return 0;
}

/* ---- the table: rows kept until the end, then columns sized to them ---- */

#define TCOLS_MAX 12

struct tspec {
	int n;
	const char *name[TCOLS_MAX];
	unsigned right;           /* bit per right-aligned column */
};

static const struct tspec list_spec = {11,
	{"START", "CALLER", "CALLEE", "FROM", "TO", "RESULT", "SIP", "BY", "DUR", "COST", "REASON"},
	1u << 6 | 1u << 8 | 1u << 9};
static const struct tspec attempt_spec = {7, {"#", "START", "SIP", "CAUSE", "TRUNK", "REASON", "CALL-ID"},
					  1u << 0 | 1u << 2};

/* One row: its n cells one after the other, each NUL-terminated. */
static void keep_row(struct cdr_print *p, char cells[][160], int n)
{
	size_t len = 0;
	char *row, **grown;

	for (int i = 0; i < n; i++)
		len += strlen(cells[i]) + 1;
	if (p->nrows == p->rows_cap) {
		size_t cap = p->rows_cap ? p->rows_cap * 2 : 64;

		if (!(grown = realloc(p->rows, cap * sizeof(*grown))))
			return;
		p->rows = grown;
		p->rows_cap = cap;
	}
	if (!(row = malloc(len)))
		return;
	p->rows[p->nrows++] = row;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(cells[i]) + 1;

		memcpy(row, cells[i], l);
		row += l;
	}
}

/* "START (UTC)" or "START (Europe/London)". */
static const char *col_name(const struct cdr_print *p, const char *name, char *buf, size_t cap)
{
	if (strcmp(name, "START") != 0)
		return name;
	snprintf(buf, cap, "START (%s)", p->local && p->zone ? p->zone : "UTC");
	return buf;
}

/* One line; wider than p->width, it ends after the last whole column
 * that fits, marked with '>' (a value is never cut: a support engineer
 * quotes it; --wide shows the rest). */
static void put_line(struct cdr_print *p, const char *line)
{
	size_t n = strlen(line), cut;

	while (n && line[n - 1] == ' ')
		n--;
	if (p->width < 8 || n <= (size_t)p->width) {
		fprintf(p->f, "%.*s\n", (int)n, line);
		return;
	}
	for (cut = (size_t)p->width - 2; cut > 1 && !(line[cut] == ' ' && line[cut - 1] == ' '); cut--)
		;
	if (cut <= 1)
		cut = (size_t)p->width - 2;
	while (cut && line[cut - 1] == ' ')
		cut--;
	fprintf(p->f, "%.*s >\n", (int)cut, line);
}

static void table_flush(struct cdr_print *p, const struct tspec *t)
{
	size_t w[TCOLS_MAX] = {0}, cap = 256;
	char hdr[64], *line;
	const char *cells[TCOLS_MAX];

	for (int c = 0; c < t->n; c++)
		w[c] = strlen(col_name(p, t->name[c], hdr, sizeof(hdr)));
	for (size_t r = 0; r < p->nrows; r++) {
		const char *s = p->rows[r];

		for (int c = 0; c < t->n; s += strlen(s) + 1, c++)
			if (strlen(s) > w[c])
				w[c] = strlen(s);
	}
	for (int c = 0; c < t->n; c++)
		cap += w[c] + 2;
	if (!(line = malloc(cap)))
		return;
	for (size_t r = 0; r <= p->nrows; r++) {
		size_t len = 0;

		if (r == 0) {
			for (int c = 0; c < t->n; c++)
				cells[c] = t->name[c];
		} else {
			const char *s = p->rows[r - 1];

			for (int c = 0; c < t->n; s += strlen(s) + 1, c++)
				cells[c] = s;
		}
		for (int c = 0; c < t->n; c++) {
			const char *v = r == 0 ? col_name(p, cells[c], hdr, sizeof(hdr)) : cells[c];
			int right = (t->right >> c & 1) && c < t->n - 1;

			len += (size_t)snprintf(line + len, cap - len, right ? "%*s%s" : "%-*s%s", (int)w[c], v,
						c < t->n - 1 ? "  " : "");
		}
		put_line(p, line);
		if (r > 0)
			free(p->rows[r - 1]);
	}
	free(line);
	free(p->rows);
	p->rows = NULL;
	p->nrows = p->rows_cap = 0;
}

/* An ISO UTC time from the database as the table shows it: seconds, no
 * 'T', in the chosen zone. */
static void when(const struct cdr_print *p, const char *iso, char *out, size_t cap)
{
	struct tm tm = {0};
	time_t t;

	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			   &tm.tm_min, &tm.tm_sec) != 6) {
		cell(out, cap, iso);
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (p->local)
		localtime_r(&t, &tm);
	else
		gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static void table_row(struct cdr_print *p, const struct cdr_query_row *r)
{
	char c[11][160];
	double d;

	when(p, text(r, CDR_COL_START_TIME), c[0], sizeof(c[0]));
	cell(c[1], sizeof(c[1]), text(r, CDR_COL_CALLER));
	cell(c[2], sizeof(c[2]), text(r, CDR_COL_CALLEE));
	cell(c[3], sizeof(c[3]), text(r, CDR_COL_FROM_TRUNK));
	cell(c[4], sizeof(c[4]), text(r, CDR_COL_TO_TRUNK));
	cell(c[5], sizeof(c[5]), text(r, CDR_COL_DISPOSITION));
	if (r->v[CDR_COL_SIP_CODE].type == CDR_INT && r->v[CDR_COL_SIP_CODE].i >= 0 &&
	    r->v[CDR_COL_SIP_CODE].i < 1000)
		snprintf(c[6], sizeof(c[6]), "%lld", r->v[CDR_COL_SIP_CODE].i);
	else
		snprintf(c[6], sizeof(c[6]), "-");
	cell(c[7], sizeof(c[7]), text(r, CDR_COL_HANGUP_BY));
	/* Duration in whole seconds; calls of 10000 s and more in hours. */
	if (text(r, CDR_COL_ANSWER_TIME) && real(r, CDR_COL_DURATION_S, &d) == 0 && isfinite(d) &&
	    d >= 0 && d < 3.6e8) {
		if (d < 9999.5)
			snprintf(c[8], sizeof(c[8]), "%.0f", d);
		else if (d < 99.5 * 3600)
			snprintf(c[8], sizeof(c[8]), "%.1fh", d / 3600);
		else
			snprintf(c[8], sizeof(c[8]), "%.0fh", d / 3600);
	} else
		snprintf(c[8], sizeof(c[8]), "-");
	if (real(r, CDR_COL_COST, &d) == 0 && isfinite(d) && fabs(d) < 1e9)
		snprintf(c[9], sizeof(c[9]), "%.*f",
			 fabs(d) < 9.9995 ? 3 : fabs(d) < 99.995 ? 2 : fabs(d) < 999.95 ? 1 : 0, d);
	else
		snprintf(c[9], sizeof(c[9]), "-");
	cell(c[10], sizeof(c[10]), text(r, CDR_COL_REASON));
	keep_row(p, c, 11);
}

void cdr_print_table_opts(struct cdr_print *p, int width, int local, const char *zone)
{
	p->width = width;
	p->local = local;
	p->zone = zone;
}

void cdr_print_begin(struct cdr_print *p, FILE *f, enum cdr_format fmt)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->fmt = fmt;
	if (fmt == CDR_FMT_CSV) {
		for (int i = 0; i < CDR_NCOLS; i++)
			fprintf(f, "%s%s", i ? "," : "", cdr_query_columns[i]);
		fputc('\n', f);
	}
}

#define SUM_FMT_S "%-16s %8s %8s %6s %7s %10s %10s\n"
#define SUM_FMT "%-16s %8lld %8lld %6.1f %7.1f %10.1f %10.2f\n"

static const char *group_name(enum cdr_group by)
{
	return by == CDR_BY_DAY ? "day" : "trunk";
}

void cdr_print_begin_summary(struct cdr_print *p, FILE *f, enum cdr_format fmt, enum cdr_group by)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->fmt = fmt;
	p->by = by;
	p->summary = 1;
	if (fmt == CDR_FMT_TABLE)
		fprintf(f, SUM_FMT_S, by == CDR_BY_DAY ? "DAY (UTC)" : "TRUNK", "CALLS", "ANSWERED", "ASR%",
			"ACD(s)", "MINUTES", "COST");
	else if (fmt == CDR_FMT_CSV)
		fprintf(f, "%s,calls,answered,asr_pct,acd_s,minutes,cost\n", group_name(by));
}

int cdr_print_row(void *arg, const struct cdr_query_row *r)
{
	struct cdr_print *p = arg;
	FILE *f = p->f;

	switch (p->fmt) {
	case CDR_FMT_TABLE:
		table_row(p, r);
		break;
	case CDR_FMT_CSV:
		for (int i = 0; i < CDR_NCOLS; i++) {
			const struct cdr_value *v = &r->v[i];

			if (i)
				fputc(',', f);
			if (v->type == CDR_INT)
				fprintf(f, "%lld", v->i);
			else if (v->type == CDR_REAL)
				number_out(f, v->d, 0);
			else if (v->type == CDR_TEXT)
				cdr_csv_field(f, v->s);
		}
		fputc('\n', f);
		break;
	case CDR_FMT_JSON:
		fputs(p->n ? ",\n  {" : "[\n  {", f);
		for (int i = 0; i < CDR_NCOLS; i++) {
			const struct cdr_value *v = &r->v[i];

			fprintf(f, "%s\"%s\": ", i ? ", " : "", cdr_query_columns[i]);
			if (v->type == CDR_INT)
				fprintf(f, "%lld", v->i);
			else if (v->type == CDR_REAL)
				number_out(f, v->d, 1);
			else if (v->type == CDR_TEXT)
				cdr_json_string(f, v->s);
			else
				fputs("null", f);
		}
		fputc('}', f);
		break;
	}
	p->n++;
	return 0;
}

int cdr_print_group(void *arg, const struct cdr_summary_row *g)
{
	struct cdr_print *p = arg;
	FILE *f = p->f;
	char key[160];

	switch (p->fmt) {
	case CDR_FMT_TABLE:
		cell(key, sizeof(key), g->key ? g->key : "(none)");
		fprintf(f, SUM_FMT, key, g->calls, g->answered, g->asr_pct, g->acd_s, g->minutes, g->cost);
		break;
	case CDR_FMT_CSV:
		cdr_csv_field(f, g->key);
		fprintf(f, ",%lld,%lld,%.2f,%.2f,%.2f,%.4f\n", g->calls, g->answered, g->asr_pct, g->acd_s,
			g->minutes, g->cost);
		break;
	case CDR_FMT_JSON:
		fprintf(f, "%s\"%s\": ", p->n ? ",\n  {" : "[\n  {", group_name(p->by));
		if (g->key)
			cdr_json_string(f, g->key);
		else
			fputs("null", f);
		fprintf(f,
			", \"calls\": %lld, \"answered\": %lld, \"asr_pct\": %.2f, \"acd_s\": %.2f,"
			" \"minutes\": %.2f, \"cost\": %.4f}",
			g->calls, g->answered, g->asr_pct, g->acd_s, g->minutes, g->cost);
		break;
	}
	p->n++;
	p->total.calls += g->calls;
	p->total.answered += g->answered;
	p->total.seconds += g->seconds;
	p->total.cost += g->cost;
	return 0;
}

static const char *const attempt_cols[] = {"call_id", "seq", "trunk", "start_time", "sip_code", "cause",
					   "reason"};

void cdr_print_begin_attempts(struct cdr_print *p, FILE *f, enum cdr_format fmt)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->fmt = fmt;
	p->attempts = 1;
	if (fmt == CDR_FMT_CSV)
		fprintf(f, "call_id,seq,trunk,start_time,sip_code,cause,reason\n");
}

/* Whole values, never cut: a support engineer quotes them. */
int cdr_print_attempt(void *arg, const struct cdr_attempt_row *a)
{
	struct cdr_print *p = arg;
	FILE *f = p->f;
	const char *txt[] = {a->call_id, NULL, a->trunk, a->start_time, NULL, a->cause, a->reason};
	char code[16] = "-";

	if (a->sip_code)
		snprintf(code, sizeof(code), "%d", a->sip_code);
	switch (p->fmt) {
	case CDR_FMT_TABLE: {
		char c[7][160];

		snprintf(c[0], sizeof(c[0]), "%d", a->seq);
		when(p, a->start_time, c[1], sizeof(c[1]));
		snprintf(c[2], sizeof(c[2]), "%s", code);
		cell(c[3], sizeof(c[3]), a->cause);
		cell(c[4], sizeof(c[4]), a->trunk);
		cell(c[5], sizeof(c[5]), a->reason);
		cell(c[6], sizeof(c[6]), a->call_id);
		keep_row(p, c, 7);
		break;
	}
	case CDR_FMT_CSV:
		cdr_csv_field(f, a->call_id);
		fprintf(f, ",%d,", a->seq);
		cdr_csv_field(f, a->trunk);
		fputc(',', f);
		cdr_csv_field(f, a->start_time);
		fputc(',', f);
		if (a->sip_code)
			fprintf(f, "%d", a->sip_code);
		fputc(',', f);
		cdr_csv_field(f, a->cause);
		fputc(',', f);
		cdr_csv_field(f, a->reason);
		fputc('\n', f);
		break;
	case CDR_FMT_JSON:
		fputs(p->n ? ",\n  {" : "[\n  {", f);
		for (size_t i = 0; i < sizeof(attempt_cols) / sizeof(attempt_cols[0]); i++) {
			fprintf(f, "%s\"%s\": ", i ? ", " : "", attempt_cols[i]);
			if (i == 1)
				fprintf(f, "%d", a->seq);
			else if (i == 4 && a->sip_code)
				fprintf(f, "%d", a->sip_code);
			else if (txt[i])
				cdr_json_string(f, txt[i]);
			else
				fputs("null", f);
		}
		fputc('}', f);
		break;
	}
	p->n++;
	return 0;
}

void cdr_print_end(struct cdr_print *p)
{
	FILE *f = p->f;

	switch (p->fmt) {
	case CDR_FMT_TABLE:
		if (!p->summary)
			table_flush(p, p->attempts ? &attempt_spec : &list_spec);
		if (p->summary && p->n > 0) {
			cdr_summary_finish(&p->total);
			fprintf(f, SUM_FMT, "TOTAL", p->total.calls, p->total.answered, p->total.asr_pct,
				p->total.acd_s, p->total.minutes, p->total.cost);
		}
		fprintf(f, "(%lld %s)\n", p->n, p->summary    ? (p->n == 1 ? "group" : "groups")
						 : p->attempts ? (p->n == 1 ? "attempt" : "attempts")
							       : (p->n == 1 ? "row" : "rows"));
		break;
	case CDR_FMT_CSV:
		break;
	case CDR_FMT_JSON:
		fputs(p->n ? "\n]\n" : "[]\n", f);
		break;
	}
	fflush(f);
}
