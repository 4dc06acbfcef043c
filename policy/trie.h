/*
 * trie.h - character prefix trie with longest-prefix lookup.
 *
 * Owns: its nodes; the values are the caller's (trie_free may free them).
 * Built at policy load, then read-only: lookups from any thread, no locks.
 * Keys are any bytes but NUL (digits, '+', '*', '#' in practice); the
 * empty key is the root, i.e. the default that matches everything.
 * Must not: allocate on lookup.
 */
#ifndef POLICY_TRIE_H
#define POLICY_TRIE_H

#include <stddef.h>

struct trie;

struct trie *trie_new(void);
/* Frees the trie; free_value (may be NULL) is called on every value set. */
void trie_free(struct trie *t, void (*free_value)(void *));
/* The value slot of key, created (NULL) if missing; NULL on out of memory.
 * Lets a caller keep a list per prefix and append to it. */
void **trie_slot(struct trie *t, const char *key);
/* Sets key's value (replacing any). 0 or -1. */
int trie_insert(struct trie *t, const char *key, void *value);
/* The value of the longest key that is a prefix of s and has a non-NULL
 * value, or NULL; *len (may be NULL) gets that key's length. */
void *trie_longest(const struct trie *t, const char *s, size_t *len);
/* The value of exactly key, or NULL. */
void *trie_get(const struct trie *t, const char *key);

#endif
