/* SPDX-License-Identifier: Apache-2.0 */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

struct strmap_slot {
	char *key; /* NULL: empty; TOMB: deleted */
	void *val;
	uint64_t hash;
};

static char tomb_marker;
#define TOMB (&tomb_marker)

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct strmap_slot *find(const strmap *m, const char *key, uint64_t h)
{
	if (!m->cap)
		return NULL;
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct strmap_slot *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (s->key != TOMB && s->hash == h && !strcmp(s->key, key))
			return s;
	}
}

static void grow(strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	if ((m->n + 1) * 2 < m->cap) /* mostly tombstones: rehash in place size */
		ncap = m->cap;
	struct strmap_slot *old = m->slots;
	size_t ocap = m->cap;
	m->slots = hx_calloc(ncap, sizeof(*m->slots));
	m->cap = ncap;
	m->n = 0;
	m->tombs = 0;
	for (size_t i = 0; i < ocap; i++) {
		struct strmap_slot *s = &old[i];
		if (!s->key || s->key == TOMB)
			continue;
		for (size_t j = s->hash & (ncap - 1);; j = (j + 1) & (ncap - 1)) {
			if (!m->slots[j].key) {
				m->slots[j] = *s;
				m->n++;
				break;
			}
		}
	}
	free(old);
}

void *strmap_get(const strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key, hash_str(key));
	return s ? s->val : NULL;
}

void *strmap_put(strmap *m, const char *key, void *val)
{
	uint64_t h = hash_str(key);
	struct strmap_slot *s = find(m, key, h);
	if (s) {
		void *old = s->val;
		s->val = val;
		return old;
	}
	if ((m->n + m->tombs + 1) * 4 >= m->cap * 3)
		grow(m);
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		s = &m->slots[i];
		if (!s->key || s->key == TOMB) {
			if (s->key == TOMB)
				m->tombs--;
			s->key = hx_strdup(key);
			s->val = val;
			s->hash = h;
			m->n++;
			return NULL;
		}
	}
}

void *strmap_del(strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key, hash_str(key));
	if (!s)
		return NULL;
	void *v = s->val;
	free(s->key);
	s->key = TOMB;
	s->val = NULL;
	m->n--;
	m->tombs++;
	return v;
}

bool strmap_next(const strmap *m, size_t *i, const char **key, void **val)
{
	for (; *i < m->cap; (*i)++) {
		struct strmap_slot *s = &m->slots[*i];
		if (s->key && s->key != TOMB) {
			*key = s->key;
			*val = s->val;
			(*i)++;
			return true;
		}
	}
	return false;
}

void strmap_clear(strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != TOMB)
			free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
