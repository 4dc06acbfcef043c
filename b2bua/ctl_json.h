/*
 * ctl_json.h - a small JSON writer for the management interface: the
 * daemon's JSON answers (ctl_lists.c) and b2bua-ctl's own (route explain).
 *
 * Owns: struct ctl_json, on the caller's stack. Strings go through
 * cdr_json_string() (policy/cdr_query.h), the one JSON escaper of the
 * tree. The document is built in memory and handed over only whole.
 * Must not: return a partial document (too large is an error).
 */
#ifndef CTL_JSON_H
#define CTL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_JSON_DEPTH 8

struct ctl_json {
	FILE *f;
	char *mem;
	size_t memlen;
	int depth;
	int first[CTL_JSON_DEPTH];
	int bad;
};

/* 0, or -1 (no memory). Then values, then ctl_json_finish(). */
int ctl_json_begin(struct ctl_json *j);
/* Members of an object name a key; elements of an array pass NULL. */
void ctl_json_open(struct ctl_json *j, const char *key, char brace);    /* '{' or '[' */
void ctl_json_close(struct ctl_json *j, char brace);                    /* '}' or ']' */
void ctl_json_str(struct ctl_json *j, const char *key, const char *s); /* NULL: null */
void ctl_json_int(struct ctl_json *j, const char *key, long long v);
void ctl_json_num(struct ctl_json *j, const char *key, double v);      /* not finite: null */
void ctl_json_bool(struct ctl_json *j, const char *key, int v);
void ctl_json_null(struct ctl_json *j, const char *key);
/* Copies the document, newline-terminated, into buf: 0; or -1 with the
 * reason in buf (too large for cap, unbalanced, no memory). Frees j. */
int ctl_json_finish(struct ctl_json *j, char *buf, size_t cap);

#endif
