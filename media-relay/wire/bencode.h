/*
 * bencode.h - bencode values (BEP 3) for the ng control protocol.
 *
 * Owns: decoding and encoding of bencode, in an arena (struct bencode_pool)
 * so a whole request or reply is freed with one call. Shared by the media
 * relay (server side) and the b2bua's relay client; it knows nothing of
 * either. Decoding never reads past the given length, limits nesting depth
 * and returns NULL with a reason on any malformed input.
 * Thread use: a pool and its values belong to one thread.
 */
#ifndef BENCODE_H
#define BENCODE_H

#include <stddef.h>

enum bencode_type { BENCODE_INT, BENCODE_STR, BENCODE_LIST, BENCODE_DICT };

struct bencode {
	enum bencode_type type;
	long long i;          /* INT */
	const char *s;        /* STR: not NUL-terminated in general; see len */
	size_t len;           /* STR: byte length */
	struct bencode *key;  /* set on a dict member: its key (a STR) */
	struct bencode *child;/* LIST/DICT: first member */
	struct bencode *last; /* LIST/DICT: last member, for O(1) append */
	struct bencode *next; /* next member of the parent */
};

struct bencode_pool;

struct bencode_pool *bencode_pool_new(void);
void bencode_pool_free(struct bencode_pool *pool);
/* NUL-terminated copy of n bytes, in the pool. */
char *bencode_pool_strndup(struct bencode_pool *pool, const char *s, size_t n);

/* Decodes one value from buf[0..len). *used (optional) gets the bytes
 * consumed. NULL on error, with a reason in err. */
struct bencode *bencode_decode(struct bencode_pool *pool, const char *buf,
			       size_t len, size_t *used, char *err, size_t errlen);

/* Builders: values live in the pool; strings are copied. */
struct bencode *bencode_int(struct bencode_pool *pool, long long v);
struct bencode *bencode_str(struct bencode_pool *pool, const char *s, size_t len);
struct bencode *bencode_cstr(struct bencode_pool *pool, const char *s);
struct bencode *bencode_list(struct bencode_pool *pool);
struct bencode *bencode_dict(struct bencode_pool *pool);
/* Appends; 0 or -1 (wrong container type, or no memory). */
int bencode_list_add(struct bencode *list, struct bencode *v);
int bencode_dict_add(struct bencode_pool *pool, struct bencode *dict,
		     const char *key, struct bencode *v);
/* Convenience: dict_add of a C string / integer. */
int bencode_dict_add_cstr(struct bencode_pool *pool, struct bencode *dict,
			  const char *key, const char *v);
int bencode_dict_add_int(struct bencode_pool *pool, struct bencode *dict,
			 const char *key, long long v);

/* Lookup in a dict; NULL when absent or dict is not a DICT. */
struct bencode *bencode_dict_get(const struct bencode *dict, const char *key);
/* The STR value of key as a NUL-terminated pool copy, or NULL. */
const char *bencode_dict_cstr(struct bencode_pool *pool,
			      const struct bencode *dict, const char *key);
/* 1 when the STR equals the C string. */
int bencode_str_eq(const struct bencode *v, const char *s);
/* 1 when list contains a STR equal to s (case-insensitive). */
int bencode_list_has(const struct bencode *list, const char *s);

/* Encodes into buf (at most cap bytes). Returns the full encoded length,
 * which may exceed cap (then buf holds a truncated prefix), or -1. */
long bencode_encode(const struct bencode *v, char *buf, size_t cap);

#endif
