/*
 * rules.c - PCRE2 number and header rules (see rules.h).
 *
 * Rules live in two arrays sorted at rules_finish(); applying one scans its
 * array and skips rules of other trunks and directions: rule sets are
 * small, and a scan keeps the order rules exactly as the header states.
 * Must not: compile a pattern after load; log.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "rules.h"

struct num_rule {
	int id, trunk_id, priority;
	enum policy_dir dir;
	enum policy_field field;
	pcre2_code *re;
	char *match;              /* as written, for route explain */
	char *replace;
};

struct hdr_rule {
	int id, trunk_id, priority;
	enum policy_dir dir;
	enum rules_action action;
	char name[64];
	pcre2_code *re;           /* NULL = no match condition */
	char *value;
};

/* Bounds on one match: peers choose the subject, so a pattern that
 * backtracks badly (^(\d+)+$) must cost a bounded time, not the SIP
 * thread (PCRE2's default limit is 10 million steps). Over the limit,
 * the rule counts as not matching. */
#define RULES_MATCH_LIMIT 100000
#define RULES_DEPTH_LIMIT 1000

struct rules {
	pcre2_match_context *mctx;   /* the limits; read-only once made */
	struct num_rule *num;
	size_t nnum, capnum;
	struct hdr_rule *hdr;
	size_t nhdr, caphdr;
};

/* Names from policy.h plus their compact forms (RFC 3261 7.3.3). */
static const char *const protected_hdrs[] = {
	"Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq", "Contact", "m",
	"Route", "Record-Route", "Max-Forwards", "Content-Length", "l",
	"Content-Type", "c",
};

int rules_header_protected(const char *name)
{
	for (size_t i = 0; i < sizeof(protected_hdrs) / sizeof(protected_hdrs[0]); i++)
		if (strcasecmp(name, protected_hdrs[i]) == 0)
			return 1;
	return 0;
}

struct rules *rules_new(void)
{
	struct rules *r = calloc(1, sizeof(struct rules));

	if (!r)
		return NULL;
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->mctx) {
		free(r);
		return NULL;
	}
	pcre2_set_match_limit(r->mctx, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, RULES_DEPTH_LIMIT);
	return r;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nnum; i++) {
		pcre2_code_free(r->num[i].re);
		free(r->num[i].match);
		free(r->num[i].replace);
	}
	for (size_t i = 0; i < r->nhdr; i++) {
		pcre2_code_free(r->hdr[i].re);
		free(r->hdr[i].value);
	}
	free(r->num);
	free(r->hdr);
	pcre2_match_context_free(r->mctx);
	free(r);
}

static pcre2_code *compile(const char *table, int id, const char *pattern, char *err, size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
				       &code, &off, NULL);

	if (!re) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		snprintf(err, errlen, "%s id %d: %s at offset %zu", table, id, (char *)msg, (size_t)off);
		return NULL;
	}
	/* JIT is an optimisation only: without it matching still works. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s ? s : "", n);
	return d;
}

/* A line break (or any control character) in what goes into a SIP header
 * would let a rule write headers of its own. */
static int has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The group a reference at s (just after '$', or after "${") names:
 * its number in *num, or -1 with its name (word characters) in name.
 * Returns the length read; 0 when no group is named there. */
static size_t ref_read(const char *s, long *num, char *name, size_t namecap)
{
	size_t n = 0;

	*num = -1;
	name[0] = 0;
	if (s[0] >= '0' && s[0] <= '9') {
		long v = 0;

		for (; s[n] >= '0' && s[n] <= '9'; n++)
			if (v < 1000000)
				v = v * 10 + (s[n] - '0');
		*num = v;
		return n;
	}
	for (; is_word(s[n]); n++)
		if (n + 1 < namecap) {
			name[n] = s[n];
			name[n + 1] = 0;
		}
	return n;
}

/*
 * Every group a replacement names must exist in its pattern: PCRE2 finds
 * out only when a call matches, and the rule is then skipped without a
 * word. Reads the syntax of PCRE2_SUBSTITUTE_EXTENDED (pcre2api,
 * "Creating a new string with substitutions"): $$, $N, ${N}, $name,
 * ${name}, ${N:-text}, ${N:+text:text} (text may hold references),
 * $*MARK, backslash escapes and \Q...\E. 0, or -1 with err naming
 * table, id and column.
 */
static int check_refs(const char *table, int id, const char *col, const pcre2_code *re, const char *match,
		      const char *repl, char *err, size_t errlen)
{
	uint32_t groups = 0;

	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
	for (size_t i = 0; repl[i];) {
		size_t at = i, n;
		int brace = 0;
		long num;
		char name[64];

		if (repl[i] == '\\') {
			if (repl[i + 1] == 'Q') {   /* quoted up to \E or the end */
				const char *e = strstr(repl + i + 2, "\\E");

				i = e ? (size_t)(e - repl) + 2 : strlen(repl);
			} else {
				i += repl[i + 1] ? 2 : 1;
			}
			continue;
		}
		if (repl[i++] != '$')
			continue;
		if (repl[i] == '$') {
			i++;
			continue;
		}
		if (repl[i] == '{') {
			brace = 1;
			i++;
		}
		if (repl[i] == '*') {       /* a verb's name, not a group */
			n = ref_read(repl + i + 1, &num, name, sizeof(name));
			i += 1 + n;
		} else {
			n = ref_read(repl + i, &num, name, sizeof(name));
			i += n;
		}
		if (n == 0) {
			snprintf(err, errlen, "%s id %d: %s '%s': '$' at offset %zu names no group (a dollar sign is $$)",
				 table, id, col, repl, at);
			return -1;
		}
		if (brace && repl[i] != '}' && !(repl[i] == ':' && (repl[i + 1] == '+' || repl[i + 1] == '-'))) {
			snprintf(err, errlen, "%s id %d: %s '%s': '${' at offset %zu has no closing '}'", table, id,
				 col, repl, at);
			return -1;
		}
		if (repl[at + 1 + brace] == '*')
			continue;
		if (num > (long)groups) {
			snprintf(err, errlen, "%s id %d: %s '%s' names group %ld, but match '%s' has %u group%s",
				 table, id, col, repl, num, match, (unsigned)groups, groups == 1 ? "" : "s");
			return -1;
		}
		if (num < 0 && pcre2_substring_number_from_name(re, (PCRE2_SPTR)name) == PCRE2_ERROR_NOSUBSTRING) {
			snprintf(err, errlen, "%s id %d: %s '%s' names group '%s', which match '%s' does not have",
				 table, id, col, repl, name, match);
			return -1;
		}
	}
	return 0;
}

int rules_add_number(struct rules *r, int id, int trunk_id, enum policy_dir dir,
		     enum policy_field field, const char *match, const char *replace,
		     int priority, char *err, size_t errlen)
{
	struct num_rule nr = {id, trunk_id, priority, dir, field, NULL, NULL, NULL};

	if (r->nnum == r->capnum) {
		size_t cap = r->capnum ? r->capnum * 2 : 8;
		struct num_rule *v = realloc(r->num, cap * sizeof(*v));

		if (!v)
			goto oom;
		r->num = v;
		r->capnum = cap;
	}
	if (has_control(replace)) {
		snprintf(err, errlen, "number_rules id %d: replacement holds a control character", id);
		return -1;
	}
	nr.re = compile("number_rules", id, match ? match : "", err, errlen);
	if (!nr.re)
		return -1;
	if (check_refs("number_rules", id, "replace", nr.re, match ? match : "", replace ? replace : "", err,
		       errlen) != 0) {
		pcre2_code_free(nr.re);
		return -1;
	}
	nr.replace = dup_str(replace);
	nr.match = dup_str(match);
	if (!nr.replace || !nr.match) {
		pcre2_code_free(nr.re);
		free(nr.replace);
		free(nr.match);
		goto oom;
	}
	r->num[r->nnum++] = nr;
	return 0;
oom:
	snprintf(err, errlen, "number_rules id %d: out of memory", id);
	return -1;
}

int rules_add_header(struct rules *r, int id, int trunk_id, enum policy_dir dir,
		     enum rules_action action, const char *header, const char *match,
		     const char *value, int priority, char *err, size_t errlen)
{
	struct hdr_rule hr;

	memset(&hr, 0, sizeof(hr));
	hr.id = id;
	hr.trunk_id = trunk_id;
	hr.priority = priority;
	hr.dir = dir;
	hr.action = action;
	if (!header || !*header || strlen(header) >= sizeof(hr.name) || strpbrk(header, ": \t\r\n")) {
		snprintf(err, errlen, "header_rules id %d: bad header name '%s'", id, header ? header : "");
		return -1;
	}
	if (value && strlen(value) >= sizeof(((struct policy_hdr *)0)->value)) {
		snprintf(err, errlen, "header_rules id %d: value too long", id);
		return -1;
	}
	if (value && strpbrk(value, "\r\n")) {
		snprintf(err, errlen, "header_rules id %d: value holds a line break", id);
		return -1;
	}
	if (action == RULES_ADD && (!value || !*value)) {
		snprintf(err, errlen, "header_rules id %d: add needs a value", id);
		return -1;
	}
	memcpy(hr.name, header, strlen(header) + 1);
	if (r->nhdr == r->caphdr) {
		size_t cap = r->caphdr ? r->caphdr * 2 : 8;
		struct hdr_rule *v = realloc(r->hdr, cap * sizeof(*v));

		if (!v)
			goto oom;
		r->hdr = v;
		r->caphdr = cap;
	}
	if (match && *match) {
		hr.re = compile("header_rules", id, match, err, errlen);
		if (!hr.re)
			return -1;
		if (action == RULES_REPLACE &&
		    check_refs("header_rules", id, "value", hr.re, match, value ? value : "", err, errlen) != 0) {
			pcre2_code_free(hr.re);
			return -1;
		}
	}
	hr.value = dup_str(value);
	if (!hr.value) {
		pcre2_code_free(hr.re);
		goto oom;
	}
	r->hdr[r->nhdr++] = hr;
	return 0;
oom:
	snprintf(err, errlen, "header_rules id %d: out of memory", id);
	return -1;
}

/* Priority, then a trunk's own before all-trunk, then id. */
static int order(int pa, int ta, int ia, int pb, int tb, int ib)
{
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if ((ta == RULES_ALL_TRUNKS) != (tb == RULES_ALL_TRUNKS))
		return ta == RULES_ALL_TRUNKS ? 1 : -1;
	return ia < ib ? -1 : ia > ib;
}

static int num_cmp(const void *a, const void *b)
{
	const struct num_rule *x = a, *y = b;

	return order(x->priority, x->trunk_id, x->id, y->priority, y->trunk_id, y->id);
}

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr_rule *x = a, *y = b;

	return order(x->priority, x->trunk_id, x->id, y->priority, y->trunk_id, y->id);
}

void rules_finish(struct rules *r)
{
	if (r->nnum)
		qsort(r->num, r->nnum, sizeof(*r->num), num_cmp);
	if (r->nhdr)
		qsort(r->hdr, r->nhdr, sizeof(*r->hdr), hdr_cmp);
}

static int applies(int rule_trunk, int trunk_id)
{
	return rule_trunk == RULES_ALL_TRUNKS || rule_trunk == trunk_id;
}

/* >0 substituted, 0 no match, PCRE2_ERROR_NOMEMORY out too small, <0 other. */
static int substitute(const struct rules *r, const pcre2_code *re, const char *in, const char *repl,
		      uint32_t opts, char *out, size_t outlen)
{
	PCRE2_SIZE olen = outlen;
	int rc = pcre2_substitute(re, (PCRE2_SPTR)in, PCRE2_ZERO_TERMINATED, 0,
				  opts | PCRE2_SUBSTITUTE_EXTENDED, NULL, r->mctx,
				  (PCRE2_SPTR)repl, PCRE2_ZERO_TERMINATED,
				  (PCRE2_UCHAR *)out, &olen);

	/* Escapes (\n, \x{0d}) can make what the text of a rule cannot. */
	if (rc > 0 && has_control(out))
		return PCRE2_ERROR_BADREPLACEMENT;
	return rc;
}

int rules_number_rewrite(const struct rules *r, int trunk_id, enum policy_dir dir,
			 enum policy_field field, const char *in, char *out, size_t outlen)
{
	return rules_number_explain(r, trunk_id, dir, field, in, out, outlen, NULL);
}

int rules_number_explain(const struct rules *r, int trunk_id, enum policy_dir dir, enum policy_field field,
			 const char *in, char *out, size_t outlen, struct policy_rule_hit *hit)
{
	size_t len;

	if (hit)
		memset(hit, 0, sizeof(*hit));
	if (!in)
		in = "";
	if (!out || outlen == 0)
		return -1;
	for (size_t i = 0; r && i < r->nnum; i++) {
		const struct num_rule *nr = &r->num[i];
		int rc;

		if (nr->dir != dir || nr->field != field || !applies(nr->trunk_id, trunk_id))
			continue;
		rc = substitute(r, nr->re, in, nr->replace, 0, out, outlen);
		if (rc > 0) {
			if (hit) {
				hit->id = nr->id;
				hit->trunk_id = nr->trunk_id;
				hit->priority = nr->priority;
				hit->match = nr->match;
				hit->replace = nr->replace;
			}
			return 1;
		}
		if (rc == PCRE2_ERROR_NOMEMORY) {
			out[0] = 0;
			return -1;
		}
	}
	len = strlen(in);
	if (len >= outlen) {
		out[0] = 0;
		return -1;
	}
	memmove(out, in, len + 1);
	return 0;
}

static int name_is(const struct policy_hdr *h, const char *name)
{
	return strcasecmp(h->name, name) == 0;
}

static int value_matches(const struct rules *r, const pcre2_code *re, const char *value)
{
	pcre2_match_data *md;
	int rc;

	if (!re)
		return 1;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (!md)
		return 0;
	rc = pcre2_match(re, (PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED, 0, 0, md, r->mctx);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static size_t apply_one(const struct rules *r, const struct hdr_rule *hr, struct policy_hdr *hdrs, size_t n,
			size_t cap)
{
	size_t w = 0;

	switch (hr->action) {
	case RULES_ADD:
		if (n < cap) {
			memset(&hdrs[n], 0, sizeof(hdrs[n]));
			memcpy(hdrs[n].name, hr->name, strlen(hr->name) + 1);
			memcpy(hdrs[n].value, hr->value, strlen(hr->value) + 1);
			n++;
		}
		return n;
	case RULES_REMOVE:
		for (size_t i = 0; i < n; i++) {
			if (name_is(&hdrs[i], hr->name) && value_matches(r, hr->re, hdrs[i].value))
				continue;
			if (w != i)
				hdrs[w] = hdrs[i];
			w++;
		}
		return w;
	case RULES_REPLACE:
		for (size_t i = 0; i < n; i++) {
			char buf[sizeof(hdrs[i].value)];

			if (!name_is(&hdrs[i], hr->name))
				continue;
			if (!hr->re) {
				memcpy(hdrs[i].value, hr->value, strlen(hr->value) + 1);
				continue;
			}
			if (substitute(r, hr->re, hdrs[i].value, hr->value, PCRE2_SUBSTITUTE_GLOBAL,
				       buf, sizeof(buf)) > 0)
				memcpy(hdrs[i].value, buf, strlen(buf) + 1);
		}
		return n;
	}
	return n;
}

size_t rules_header_apply(const struct rules *r, int trunk_id, enum policy_dir dir,
			  struct policy_hdr *hdrs, size_t n, size_t cap)
{
	if (n > cap)
		n = cap;
	for (size_t i = 0; r && i < r->nhdr; i++) {
		const struct hdr_rule *hr = &r->hdr[i];

		if (hr->dir != dir || !applies(hr->trunk_id, trunk_id) || rules_header_protected(hr->name))
			continue;
		n = apply_one(r, hr, hdrs, n, cap);
	}
	return n;
}
