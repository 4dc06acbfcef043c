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
static void cell(char *out, size_t cap, const char *s, size_t w)
{
	size_t len = s ? strlen(s) : 0;
	size_t i, o = 0;

	if (!s || !*s) {
		snprintf(out, cap, "-");
		return;
	}
	if (w + 1 > cap)
		w = cap - 1;
	if (len <= w) {
		for (i = 0; i < len; i++)
			out[o++] = s[i];
	} else {
		size_t head = (w - 1) / 2, tail = w - 1 - head;

		for (i = 0; i < head; i++)
			out[o++] = s[i];
		out[o++] = '~';
		for (i = len - tail; i < len; i++)
			out[o++] = s[i];
	}
	out[o] = 0;
	for (i = 0; i < o; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
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

/* 80 columns: 19+13+13+7+9+3+4+5 plus 7 separators. A line of exactly 80
 * does not wrap (the cursor waits at the margin for the next character). */
#define TABLE_FMT "%-19s %-13s %-13s %-7s %-9s %3s %4s %5s\n"

static const char *short_disposition(const char *d)
{
	if (d && strcmp(d, "in_progress") == 0)
		return "active";
	if (d && strcmp(d, "interrupted") == 0)
		return "interrupt";
	return d;
}

static void table_row(FILE *f, const struct cdr_query_row *r)
{
	char start[20], caller[16], callee[16], trunk[16], disp[16], code[16], dur[16], cost[16];
	const char *st = text(r, CDR_COL_START_TIME);
	double d;

	cell(start, sizeof(start), st, 19);
	if (st && strlen(st) >= 19) {
		memcpy(start, st, 19);
		start[19] = 0;
		if (start[10] == 'T')
			start[10] = ' ';
		cell(start, sizeof(start), start, 19);
	}
	cell(caller, sizeof(caller), text(r, CDR_COL_CALLER), 13);
	cell(callee, sizeof(callee), text(r, CDR_COL_CALLEE), 13);
	cell(trunk, sizeof(trunk), text(r, CDR_COL_TO_TRUNK), 7);
	cell(disp, sizeof(disp), short_disposition(text(r, CDR_COL_DISPOSITION)), 9);
	if (r->v[CDR_COL_SIP_CODE].type == CDR_INT && r->v[CDR_COL_SIP_CODE].i >= 0 &&
	    r->v[CDR_COL_SIP_CODE].i < 1000)
		snprintf(code, sizeof(code), "%lld", r->v[CDR_COL_SIP_CODE].i);
	else
		snprintf(code, sizeof(code), "-");
	/* Duration in whole seconds; calls of 10000 s and more in hours. */
	if (text(r, CDR_COL_ANSWER_TIME) && real(r, CDR_COL_DURATION_S, &d) == 0 && isfinite(d) &&
	    d >= 0 && d < 3.6e8) {
		if (d < 9999.5)
			snprintf(dur, sizeof(dur), "%.0f", d);
		else if (d < 99.5 * 3600)
			snprintf(dur, sizeof(dur), "%.1fh", d / 3600);
		else
			snprintf(dur, sizeof(dur), "%.0fh", d / 3600);
	} else
		snprintf(dur, sizeof(dur), "-");
	if (real(r, CDR_COL_COST, &d) == 0 && isfinite(d) && fabs(d) < 1e9)
		snprintf(cost, sizeof(cost), "%.*f",
			 fabs(d) < 9.9995 ? 3 : fabs(d) < 99.995 ? 2 : fabs(d) < 999.95 ? 1 : 0, d);
	else
		snprintf(cost, sizeof(cost), "-");
	fprintf(f, TABLE_FMT, start, caller, callee, trunk, disp, code, dur, cost);
}

void cdr_print_begin(struct cdr_print *p, FILE *f, enum cdr_format fmt)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->fmt = fmt;
	if (fmt == CDR_FMT_TABLE) {
		fprintf(f, TABLE_FMT, "START (UTC)", "CALLER", "CALLEE", "TRUNK", "RESULT", "SIP", "DUR", "COST");
	} else if (fmt == CDR_FMT_CSV) {
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
		table_row(f, r);
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
	char key[32];

	switch (p->fmt) {
	case CDR_FMT_TABLE:
		cell(key, sizeof(key), g->key ? g->key : "(none)", 16);
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
	if (fmt == CDR_FMT_TABLE)
		fprintf(f, "%-3s %-24s %-4s %-11s %-16s %s  (%s)\n", "#", "START (UTC)", "SIP", "CAUSE", "TRUNK",
			"REASON", "CALL-ID");
	else if (fmt == CDR_FMT_CSV)
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
	case CDR_FMT_TABLE:
		fprintf(f, "%-3d %-24s %-4s %-11s %-16s %s  (%s)\n", a->seq, a->start_time ? a->start_time : "-",
			code, a->cause ? a->cause : "-", a->trunk ? a->trunk : "-", a->reason ? a->reason : "",
			a->call_id ? a->call_id : "");
		break;
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
