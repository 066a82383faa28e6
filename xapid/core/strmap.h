/* SPDX-License-Identifier: Apache-2.0 */
/* A string-keyed hash map (open addressing, linear probing). Not
 * thread-safe: callers lock. Keys are copied; values are borrowed. */
#ifndef HALYARD_CORE_STRMAP_H
#define HALYARD_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strmap {
	struct strmap_slot *slots;
	size_t cap, n, tombs;
} strmap;

void *strmap_get(const strmap *m, const char *key);
/* Inserts or replaces; returns the previous value or NULL. */
void *strmap_put(strmap *m, const char *key, void *val);
/* Removes; returns the value or NULL. */
void *strmap_del(strmap *m, const char *key);
/* Iteration: i from 0; returns false at the end. */
bool strmap_next(const strmap *m, size_t *i, const char **key, void **val);
void strmap_clear(strmap *m);

#endif
