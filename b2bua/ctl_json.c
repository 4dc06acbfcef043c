/*
 * ctl_json.c - the JSON writer (see ctl_json.h). It prints into an
 * open_memstream; the document is copied into the caller's buffer only
 * when whole, so a reader gets valid JSON or an error, never a cut one.
 * Must not: keep anything between documents.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_query.h"
#include "ctl_json.h"

int ctl_json_begin(struct ctl_json *j)
{
	memset(j, 0, sizeof(*j));
	j->f = open_memstream(&j->mem, &j->memlen);
	return j->f ? 0 : -1;
}

/* The separator and key before a value. */
static void member(struct ctl_json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth - 1])
			fputc(',', j->f);
		j->first[j->depth - 1] = 0;
	}
	if (key) {
		cdr_json_string(j->f, key);
		fputc(':', j->f);
	}
}

void ctl_json_open(struct ctl_json *j, const char *key, char brace)
{
	if (j->depth >= CTL_JSON_DEPTH) {
		j->bad = 1;
		return;
	}
	member(j, key);
	fputc(brace, j->f);
	j->first[j->depth++] = 1;
}

void ctl_json_close(struct ctl_json *j, char brace)
{
	if (j->depth == 0) {
		j->bad = 1;
		return;
	}
	j->depth--;
	fputc(brace, j->f);
}

void ctl_json_str(struct ctl_json *j, const char *key, const char *s)
{
	member(j, key);
	if (s)
		cdr_json_string(j->f, s);
	else
		fputs("null", j->f);
}

void ctl_json_int(struct ctl_json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
}

void ctl_json_num(struct ctl_json *j, const char *key, double v)
{
	member(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.15g", v);
	else
		fputs("null", j->f);
}

void ctl_json_bool(struct ctl_json *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void ctl_json_null(struct ctl_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

int ctl_json_finish(struct ctl_json *j, char *buf, size_t cap)
{
	int rc = -1;

	if (!j->f) {
		snprintf(buf, cap, "out of memory");
		return -1;
	}
	if (fclose(j->f) != 0 || !j->mem) {
		snprintf(buf, cap, "out of memory");
	} else if (j->bad || j->depth != 0) {
		snprintf(buf, cap, "internal error: unbalanced JSON");
	} else if (j->memlen + 2 > cap) {
		snprintf(buf, cap, "answer too large (%zu bytes)", j->memlen);
	} else {
		memcpy(buf, j->mem, j->memlen);
		buf[j->memlen] = '\n';
		buf[j->memlen + 1] = 0;
		rc = 0;
	}
	free(j->mem);
	memset(j, 0, sizeof(*j));
	return rc;
}
