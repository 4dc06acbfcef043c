/*
 * cidr.c - CIDR parsing and matching (see cidr.h).
 *
 * The table is a plain array kept sorted by prefix length, longest first,
 * so the first match is the most specific: trunk source lists are short
 * and a scan beats a radix tree at that size.
 * Must not: allocate or log on lookup.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cidr.h"

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void mask(uint8_t *a, int len, int bits)
{
	for (int i = 0; i < len; i++) {
		int keep = bits - i * 8;

		if (keep >= 8)
			continue;
		a[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

int cidr_parse(struct cidr *c, const char *text, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen;
	int max;

	memset(c, 0, sizeof(*c));
	if (!text || !*text) {
		snprintf(err, errlen, "empty CIDR");
		return -1;
	}
	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN) {
		snprintf(err, errlen, "bad CIDR '%s'", text);
		return -1;
	}
	memcpy(buf, text, alen);
	buf[alen] = 0;
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "bad CIDR '%s': not an IPv4 or IPv6 address", text);
		return -1;
	}
	c->bits = max;
	if (slash) {
		const char *p = slash + 1;
		int bits = 0;

		if (!*p || strlen(p) > 3) {
			snprintf(err, errlen, "bad CIDR '%s': bad prefix length", text);
			return -1;
		}
		for (; *p; p++) {
			if (*p < '0' || *p > '9') {
				snprintf(err, errlen, "bad CIDR '%s': bad prefix length", text);
				return -1;
			}
			bits = bits * 10 + (*p - '0');
		}
		if (bits > max) {
			snprintf(err, errlen, "bad CIDR '%s': prefix length over %d", text, max);
			return -1;
		}
		c->bits = bits;
	}
	mask(c->addr, max / 8, c->bits);
	return 0;
}

static int prefix_eq(const uint8_t *a, const uint8_t *net, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return 0;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		return (a[full] & m) == net[full];
	}
	return 1;
}

int cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	uint8_t a[16];

	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		if (c->family == AF_INET)
			return prefix_eq((const uint8_t *)&in->sin_addr, c->addr, c->bits);
		memcpy(a, v4mapped, 12);
		memcpy(a + 12, &in->sin_addr, 4);
		return prefix_eq(a, c->addr, c->bits);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(a, &in6->sin6_addr, 16);
		if (c->family == AF_INET6)
			return prefix_eq(a, c->addr, c->bits);
		if (memcmp(a, v4mapped, 12) == 0)
			return prefix_eq(a + 12, c->addr, c->bits);
	}
	return 0;
}

struct cidr_entry {
	struct cidr c;
	int rank;               /* prefix length in IPv6 terms: v4 /n = 96 + n */
	void *value;
};

struct cidr_table {
	struct cidr_entry *v;
	size_t n, cap;
};

struct cidr_table *cidr_table_new(void)
{
	return calloc(1, sizeof(struct cidr_table));
}

void cidr_table_free(struct cidr_table *t)
{
	if (!t)
		return;
	free(t->v);
	free(t);
}

int cidr_table_add(struct cidr_table *t, const struct cidr *c, void *value)
{
	struct cidr_entry e;
	size_t i;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct cidr_entry *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	e.c = *c;
	e.rank = c->family == AF_INET ? 96 + c->bits : c->bits;
	e.value = value;
	/* Insert after every entry of equal or greater rank: sorted, stable. */
	for (i = t->n; i > 0 && t->v[i - 1].rank < e.rank; i--)
		t->v[i] = t->v[i - 1];
	t->v[i] = e;
	t->n++;
	return 0;
}

void *cidr_table_lookup(const struct cidr_table *t, const struct sockaddr *sa)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (cidr_match(&t->v[i].c, sa))
			return t->v[i].value;
	return NULL;
}

size_t cidr_table_count(const struct cidr_table *t)
{
	return t ? t->n : 0;
}

const struct cidr *cidr_table_at(const struct cidr_table *t, size_t i)
{
	return t && i < t->n ? &t->v[i].c : NULL;
}
