/*
 * bencode.c - bencode (BEP 3) decode/encode in an arena.
 *
 * Owns: the pool (a chain of malloc'd chunks freed in one call) and the
 * value tree built in it. Must not know about ng commands, sockets or
 * threads. Decoding is strict (no leading zeros, no "-0", no "i-e",
 * lengths bounded by the input), never reads past len, and limits nesting
 * so hostile input cannot exhaust the stack.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bencode.h"

#define POOL_CHUNK 4096
#define DECODE_MAX_DEPTH 32

struct pool_chunk {
	struct pool_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct bencode_pool {
	struct pool_chunk *head;
};

struct bencode_pool *bencode_pool_new(void)
{
	return calloc(1, sizeof(struct bencode_pool));
}

void bencode_pool_free(struct bencode_pool *pool)
{
	struct pool_chunk *c, *n;

	if (!pool)
		return;
	for (c = pool->head; c; c = n) {
		n = c->next;
		free(c);
	}
	free(pool);
}

static void *pool_alloc(struct bencode_pool *pool, size_t n)
{
	struct pool_chunk *c;
	size_t align = sizeof(max_align_t);
	void *p;

	if (!pool)
		return NULL;
	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	c = pool->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > POOL_CHUNK ? n : POOL_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* A big one-off goes behind the current chunk so the rest of
		 * the current chunk stays usable. */
		if (pool->head && cap > POOL_CHUNK) {
			c->next = pool->head->next;
			pool->head->next = c;
		} else {
			c->next = pool->head;
			pool->head = c;
		}
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *bencode_pool_strndup(struct bencode_pool *pool, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = pool_alloc(pool, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static struct bencode *value_new(struct bencode_pool *pool, enum bencode_type t)
{
	struct bencode *v = pool_alloc(pool, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

/* --- decoding --- */

struct decoder {
	struct bencode_pool *pool;
	const char *buf;
	size_t len, pos;
	char *err;
	size_t errlen;
};

static void *dec_fail(struct decoder *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err && d->errlen) {
		va_start(ap, fmt);
		vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

/* Strict decimal digits up to terminator; no sign. Returns 0 or -1. */
static int dec_digits(struct decoder *d, char term, unsigned long long *out,
		      unsigned long long max)
{
	size_t start = d->pos;
	unsigned long long v = 0;

	while (d->pos < d->len && isdigit((unsigned char)d->buf[d->pos])) {
		unsigned dig = (unsigned)(d->buf[d->pos] - '0');

		if (v > (max - dig) / 10) {
			dec_fail(d, "number too large at offset %zu", start);
			return -1;
		}
		v = v * 10 + dig;
		d->pos++;
	}
	if (d->pos == start) {
		dec_fail(d, "expected digits at offset %zu", start);
		return -1;
	}
	if (d->buf[start] == '0' && d->pos - start > 1) {
		dec_fail(d, "leading zero at offset %zu", start);
		return -1;
	}
	if (d->pos >= d->len) {
		dec_fail(d, "truncated number at offset %zu", start);
		return -1;
	}
	if (d->buf[d->pos] != term) {
		dec_fail(d, "unexpected '%c' in number at offset %zu",
			 isprint((unsigned char)d->buf[d->pos]) ? d->buf[d->pos] : '?', d->pos);
		return -1;
	}
	d->pos++;
	*out = v;
	return 0;
}

static struct bencode *dec_value(struct decoder *d, int depth);

static struct bencode *dec_string(struct decoder *d)
{
	unsigned long long n;
	struct bencode *v;

	if (dec_digits(d, ':', &n, (unsigned long long)SIZE_MAX) < 0)
		return NULL;
	if (n > d->len - d->pos)
		return dec_fail(d, "string length %llu exceeds input", n);
	v = value_new(d->pool, BENCODE_STR);
	if (!v)
		return dec_fail(d, "out of memory");
	v->s = d->buf + d->pos;
	v->len = (size_t)n;
	d->pos += (size_t)n;
	return v;
}

static struct bencode *dec_int(struct decoder *d)
{
	unsigned long long n;
	int neg = 0;
	struct bencode *v;

	d->pos++; /* 'i' */
	if (d->pos < d->len && d->buf[d->pos] == '-') {
		neg = 1;
		d->pos++;
	}
	if (dec_digits(d, 'e', &n, neg ? (unsigned long long)INT64_MAX + 1 : INT64_MAX) < 0)
		return NULL;
	if (neg && n == 0)
		return dec_fail(d, "negative zero");
	v = value_new(d->pool, BENCODE_INT);
	if (!v)
		return dec_fail(d, "out of memory");
	if (neg)
		v->i = n == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)n;
	else
		v->i = (long long)n;
	return v;
}

static struct bencode *dec_container(struct decoder *d, int depth, int is_dict)
{
	struct bencode *c, *k = NULL, *v;

	if (depth >= DECODE_MAX_DEPTH)
		return dec_fail(d, "nesting deeper than %d", DECODE_MAX_DEPTH);
	c = value_new(d->pool, is_dict ? BENCODE_DICT : BENCODE_LIST);
	if (!c)
		return dec_fail(d, "out of memory");
	d->pos++; /* 'l' or 'd' */
	for (;;) {
		if (d->pos >= d->len)
			return dec_fail(d, "unterminated %s", is_dict ? "dict" : "list");
		if (d->buf[d->pos] == 'e') {
			d->pos++;
			return c;
		}
		if (is_dict) {
			if (!isdigit((unsigned char)d->buf[d->pos]))
				return dec_fail(d, "dict key is not a string at offset %zu", d->pos);
			k = dec_string(d);
			if (!k)
				return NULL;
		}
		v = dec_value(d, depth + 1);
		if (!v)
			return NULL;
		v->key = k;
		if (c->last)
			c->last->next = v;
		else
			c->child = v;
		c->last = v;
	}
}

static struct bencode *dec_value(struct decoder *d, int depth)
{
	char ch;

	if (d->pos >= d->len)
		return dec_fail(d, "truncated input at offset %zu", d->pos);
	ch = d->buf[d->pos];
	if (ch == 'i')
		return dec_int(d);
	if (ch == 'l')
		return dec_container(d, depth, 0);
	if (ch == 'd')
		return dec_container(d, depth, 1);
	if (isdigit((unsigned char)ch))
		return dec_string(d);
	return dec_fail(d, "unexpected byte 0x%02x at offset %zu", (unsigned char)ch, d->pos);
}

struct bencode *bencode_decode(struct bencode_pool *pool, const char *buf,
			       size_t len, size_t *used, char *err, size_t errlen)
{
	struct decoder d = {pool, buf, len, 0, err, errlen};
	struct bencode *v;

	if (err && errlen)
		err[0] = '\0';
	if (!pool || (!buf && len))
		return dec_fail(&d, "no pool or buffer");
	v = dec_value(&d, 0);
	if (v && used)
		*used = d.pos;
	return v;
}

/* --- builders --- */

struct bencode *bencode_int(struct bencode_pool *pool, long long v)
{
	struct bencode *b = value_new(pool, BENCODE_INT);

	if (b)
		b->i = v;
	return b;
}

struct bencode *bencode_str(struct bencode_pool *pool, const char *s, size_t len)
{
	struct bencode *b;
	char *copy;

	if (!s && len)
		return NULL;
	copy = bencode_pool_strndup(pool, s ? s : "", len);
	if (!copy)
		return NULL;
	b = value_new(pool, BENCODE_STR);
	if (!b)
		return NULL;
	b->s = copy;
	b->len = len;
	return b;
}

struct bencode *bencode_cstr(struct bencode_pool *pool, const char *s)
{
	return s ? bencode_str(pool, s, strlen(s)) : NULL;
}

struct bencode *bencode_list(struct bencode_pool *pool)
{
	return value_new(pool, BENCODE_LIST);
}

struct bencode *bencode_dict(struct bencode_pool *pool)
{
	return value_new(pool, BENCODE_DICT);
}

static void append(struct bencode *c, struct bencode *v)
{
	v->next = NULL;
	if (c->last)
		c->last->next = v;
	else
		c->child = v;
	c->last = v;
}

int bencode_list_add(struct bencode *list, struct bencode *v)
{
	if (!list || !v || list->type != BENCODE_LIST)
		return -1;
	v->key = NULL;
	append(list, v);
	return 0;
}

int bencode_dict_add(struct bencode_pool *pool, struct bencode *dict,
		     const char *key, struct bencode *v)
{
	struct bencode *k;

	if (!dict || !v || !key || dict->type != BENCODE_DICT)
		return -1;
	k = bencode_cstr(pool, key);
	if (!k)
		return -1;
	v->key = k;
	append(dict, v);
	return 0;
}

int bencode_dict_add_cstr(struct bencode_pool *pool, struct bencode *dict,
			  const char *key, const char *v)
{
	return bencode_dict_add(pool, dict, key, bencode_cstr(pool, v));
}

int bencode_dict_add_int(struct bencode_pool *pool, struct bencode *dict,
			 const char *key, long long v)
{
	return bencode_dict_add(pool, dict, key, bencode_int(pool, v));
}

/* --- lookup --- */

int bencode_str_eq(const struct bencode *v, const char *s)
{
	size_t n;

	if (!v || !s || v->type != BENCODE_STR)
		return 0;
	n = strlen(s);
	return v->len == n && (n == 0 || memcmp(v->s, s, n) == 0);
}

struct bencode *bencode_dict_get(const struct bencode *dict, const char *key)
{
	struct bencode *m;

	if (!dict || !key || dict->type != BENCODE_DICT)
		return NULL;
	for (m = dict->child; m; m = m->next)
		if (bencode_str_eq(m->key, key))
			return m;
	return NULL;
}

const char *bencode_dict_cstr(struct bencode_pool *pool,
			      const struct bencode *dict, const char *key)
{
	struct bencode *v = bencode_dict_get(dict, key);

	if (!v || v->type != BENCODE_STR)
		return NULL;
	return bencode_pool_strndup(pool, v->s, v->len);
}

int bencode_list_has(const struct bencode *list, const char *s)
{
	const struct bencode *m;
	size_t n;

	if (!list || !s || list->type != BENCODE_LIST)
		return 0;
	n = strlen(s);
	for (m = list->child; m; m = m->next)
		if (m->type == BENCODE_STR && m->len == n && strncasecmp(m->s, s, n) == 0)
			return 1;
	return 0;
}

/* --- encoding --- */

struct encoder {
	char *buf;
	size_t cap, pos;
};

static void enc_put(struct encoder *e, const char *s, size_t n)
{
	if (e->pos < e->cap) {
		size_t room = e->cap - e->pos;

		memcpy(e->buf + e->pos, s, n < room ? n : room);
	}
	e->pos += n;
}

static void enc_fmt(struct encoder *e, const char *fmt, long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), fmt, v);

	enc_put(e, tmp, (size_t)n);
}

static void enc_str(struct encoder *e, const char *s, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%zu:", len);

	enc_put(e, tmp, (size_t)n);
	enc_put(e, s, len);
}

/* Depth-limited so a cyclic or absurd tree built by a caller fails. */
static int enc_value(struct encoder *e, const struct bencode *v, int depth)
{
	const struct bencode *m;

	if (!v || depth > 64)
		return -1;
	switch (v->type) {
	case BENCODE_INT:
		enc_fmt(e, "i%llde", v->i);
		return 0;
	case BENCODE_STR:
		enc_str(e, v->s, v->len);
		return 0;
	case BENCODE_LIST:
	case BENCODE_DICT:
		enc_put(e, v->type == BENCODE_LIST ? "l" : "d", 1);
		for (m = v->child; m; m = m->next) {
			if (v->type == BENCODE_DICT) {
				if (!m->key || m->key->type != BENCODE_STR)
					return -1;
				enc_str(e, m->key->s, m->key->len);
			}
			if (enc_value(e, m, depth + 1) < 0)
				return -1;
		}
		enc_put(e, "e", 1);
		return 0;
	}
	return -1;
}

long bencode_encode(const struct bencode *v, char *buf, size_t cap)
{
	struct encoder e = {buf, buf ? cap : 0, 0};

	if (enc_value(&e, v, 0) < 0)
		return -1;
	return (long)e.pos;
}
