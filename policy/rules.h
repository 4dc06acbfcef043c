/*
 * rules.h - number rules and header rules, compiled PCRE2 (the only module
 * that includes pcre2.h).
 *
 * Owns: struct rules and the compiled patterns inside it. Patterns compile
 * once, at policy load; afterwards the set is read-only and any thread may
 * apply it (pcre2_substitute allocates its match data per call, so
 * nothing is shared mutable).
 *
 * Selection: the rules of a trunk and the rules for all trunks (trunk_id
 * RULES_ALL_TRUNKS) of one direction, ordered by priority ascending; at
 * equal priority a trunk's own rule comes first, then lower id.
 * Number rules: the first whose pattern matches rewrites the matched part
 * with its replacement (PCRE2_SUBSTITUTE_EXTENDED: $1, ${name}, \n ...);
 * the rest of the string stays. Header rules: every rule applies in order.
 * Peers choose the subjects: one match may take at most 100000 steps
 * (RULES_MATCH_LIMIT in rules.c); a rule over it counts as not matching.
 * Must not: know about SIP; compile patterns after load.
 */
#ifndef POLICY_RULES_H
#define POLICY_RULES_H

#include <stddef.h>
#include "policy.h"

#define RULES_ALL_TRUNKS (-1)

enum rules_action { RULES_ADD, RULES_REMOVE, RULES_REPLACE };

struct rules;

struct rules *rules_new(void);
void rules_free(struct rules *r);

/* Compiles and adds a number rule. A pattern that does not compile gives
 * -1 and err "number_rules id 7: missing closing parenthesis at offset 3";
 * so does a replacement naming a group the pattern lacks ("number_rules
 * id 9: replace '+44$3' names group 3, but match '^0(\d+)$' has 1 group"). */
int rules_add_number(struct rules *r, int id, int trunk_id, enum policy_dir dir,
		     enum policy_field field, const char *match, const char *replace,
		     int priority, char *err, size_t errlen);
/* Compiles and adds a header rule; match may be NULL or "" (none). Errors
 * name "header_rules id N"; a replace's value is checked for its groups
 * as a number rule's replacement is. */
int rules_add_header(struct rules *r, int id, int trunk_id, enum policy_dir dir,
		     enum rules_action action, const char *header, const char *match,
		     const char *value, int priority, char *err, size_t errlen);
/* Sorts the rules once all are added; call before applying. */
void rules_finish(struct rules *r);

/* See policy_number_rewrite(). 1 (a rule rewrote), 0 (none matched: a
 * copy), or -1 when out is too small. A rule whose replacement fails
 * (e.g. $1 of a group that took no part in the match) counts as not
 * matching. */
int rules_number_rewrite(const struct rules *r, int trunk_id, enum policy_dir dir,
			 enum policy_field field, const char *in, char *out, size_t outlen);
/* The same, and hit (may be NULL) says which rule rewrote (id 0: none). */
int rules_number_explain(const struct rules *r, int trunk_id, enum policy_dir dir, enum policy_field field,
			 const char *in, char *out, size_t outlen, struct policy_rule_hit *hit);

/* See policy_header_apply(). Protected headers (rules_header_protected)
 * are never added, removed or replaced. replace with a match substitutes
 * every occurrence in the value; without, sets the whole value. A result
 * that does not fit a policy_hdr leaves the header unchanged. */
size_t rules_header_apply(const struct rules *r, int trunk_id, enum policy_dir dir,
			  struct policy_hdr *hdrs, size_t n, size_t cap);

/* 1 when name (any case, compact forms too) is a header a dialog needs. */
int rules_header_protected(const char *name);

#endif
