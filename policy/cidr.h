/*
 * cidr.h - IPv4/IPv6 CIDR blocks and a most-specific-match table.
 *
 * Owns: struct cidr (a value) and struct cidr_table (built at policy load,
 * then read-only, so any thread may look up without locks).
 * IPv4 blocks also match IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), as a
 * dual-stack socket reports IPv4 peers that way; IPv6 blocks match IPv4
 * addresses in their mapped form.
 * Must not: resolve names or allocate on lookup.
 */
#ifndef POLICY_CIDR_H
#define POLICY_CIDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family;             /* AF_INET or AF_INET6 */
	uint8_t addr[16];       /* network order; host bits cleared */
	int bits;               /* 0..32 or 0..128 */
};

/* Parses "a.b.c.d/n", "x::y/n" or a bare address (a host route). Host bits
 * past the prefix are cleared. 0, or -1 with err set. */
int cidr_parse(struct cidr *c, const char *text, char *err, size_t errlen);
/* 1 when sa (AF_INET or AF_INET6) lies in c, else 0. */
int cidr_match(const struct cidr *c, const struct sockaddr *sa);

struct cidr_table;

struct cidr_table *cidr_table_new(void);
void cidr_table_free(struct cidr_table *t);
/* Adds c with a caller's value. 0 or -1 (out of memory). */
int cidr_table_add(struct cidr_table *t, const struct cidr *c, void *value);
/* The value of the most specific block holding sa, or NULL. Blocks of
 * equal length: the one added first. */
void *cidr_table_lookup(const struct cidr_table *t, const struct sockaddr *sa);
/* The blocks, in no particular order: how many, and the i-th. */
size_t cidr_table_count(const struct cidr_table *t);
const struct cidr *cidr_table_at(const struct cidr_table *t, size_t i);

#endif
