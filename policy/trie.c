/*
 * trie.c - prefix trie (see trie.h).
 *
 * Children are a sorted array of bytes with their nodes: dial plans use a
 * dozen distinct characters, so a 256-way table per node would waste
 * memory and a short binary search is as fast.
 * Must not: allocate on lookup.
 */
#include <stdlib.h>
#include <string.h>
#include "trie.h"

struct trie_node {
	void *value;
	unsigned char *keys;          /* sorted child characters */
	struct trie_node **kids;
	size_t n, cap;
};

struct trie {
	struct trie_node root;
};

struct trie *trie_new(void)
{
	return calloc(1, sizeof(struct trie));
}

static void node_release(struct trie_node *nd, void (*free_value)(void *))
{
	for (size_t i = 0; i < nd->n; i++) {
		node_release(nd->kids[i], free_value);
		free(nd->kids[i]);
	}
	free(nd->keys);
	free(nd->kids);
	if (free_value && nd->value)
		free_value(nd->value);
}

void trie_free(struct trie *t, void (*free_value)(void *))
{
	if (!t)
		return;
	node_release(&t->root, free_value);
	free(t);
}

/* Index of c among nd's children, or where it would go (*found = 0). */
static size_t child_pos(const struct trie_node *nd, unsigned char c, int *found)
{
	size_t lo = 0, hi = nd->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (nd->keys[mid] == c) {
			*found = 1;
			return mid;
		}
		if (nd->keys[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static const struct trie_node *child(const struct trie_node *nd, unsigned char c)
{
	int found;
	size_t i = child_pos(nd, c, &found);

	return found ? nd->kids[i] : NULL;
}

void **trie_slot(struct trie *t, const char *key)
{
	struct trie_node *nd = &t->root;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		int found;
		size_t i = child_pos(nd, *p, &found);
		struct trie_node *kid;

		if (found) {
			nd = nd->kids[i];
			continue;
		}
		if (nd->n == nd->cap) {
			size_t cap = nd->cap ? nd->cap * 2 : 2;
			unsigned char *keys = realloc(nd->keys, cap);
			struct trie_node **kids;

			if (!keys)
				return NULL;
			nd->keys = keys;
			kids = realloc(nd->kids, cap * sizeof(*kids));
			if (!kids)
				return NULL;
			nd->kids = kids;
			nd->cap = cap;
		}
		kid = calloc(1, sizeof(*kid));
		if (!kid)
			return NULL;
		memmove(nd->keys + i + 1, nd->keys + i, nd->n - i);
		memmove(nd->kids + i + 1, nd->kids + i, (nd->n - i) * sizeof(*nd->kids));
		nd->keys[i] = *p;
		nd->kids[i] = kid;
		nd->n++;
		nd = kid;
	}
	return &nd->value;
}

int trie_insert(struct trie *t, const char *key, void *value)
{
	void **slot = trie_slot(t, key);

	if (!slot)
		return -1;
	*slot = value;
	return 0;
}

void *trie_longest(const struct trie *t, const char *s, size_t *len)
{
	const struct trie_node *nd;
	void *best;
	size_t best_len = 0, depth = 0;

	if (!t)
		return NULL;
	nd = &t->root;
	best = nd->value;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		nd = child(nd, *p);
		if (!nd)
			break;
		depth++;
		if (nd->value) {
			best = nd->value;
			best_len = depth;
		}
	}
	if (len)
		*len = best_len;
	return best;
}

void *trie_get(const struct trie *t, const char *key)
{
	const struct trie_node *nd;

	if (!t)
		return NULL;
	nd = &t->root;
	for (const unsigned char *p = (const unsigned char *)key; *p && nd; p++)
		nd = child(nd, *p);
	return nd ? nd->value : NULL;
}
