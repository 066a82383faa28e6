/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ref -> record cache used to print refs as uuids (or names). Records come
 * from one get_all_records call per class (never one call per field), and
 * from the records a command already fetched. Open addressing, string keys
 * borrowed from the records' owners (kept alive by xe_refcache_keep).
 */
#include <stdlib.h>
#include <string.h>

#include "xe.h"

struct slot {
	const char *ref;
	const xv *rec;
};

struct xe_refcache {
	struct slot *slots;
	size_t cap, n;
	xv **kept;
	size_t nkept;
	char **classes;
	size_t nclasses;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

xe_refcache *xe_refcache_new(void)
{
	xe_refcache *rc = hx_calloc(1, sizeof(*rc));
	rc->cap = 256;
	rc->slots = hx_calloc(rc->cap, sizeof(*rc->slots));
	return rc;
}

xe_refcache *xe_refcache_free(xe_refcache *rc)
{
	if (!rc)
		return NULL;
	for (size_t i = 0; i < rc->nkept; i++)
		xv_free(rc->kept[i]);
	for (size_t i = 0; i < rc->nclasses; i++)
		free(rc->classes[i]);
	free(rc->kept);
	free(rc->classes);
	free(rc->slots);
	free(rc);
	return NULL;
}

static void grow(xe_refcache *rc)
{
	struct slot *old = rc->slots;
	size_t oldcap = rc->cap;
	rc->cap *= 2;
	rc->slots = hx_calloc(rc->cap, sizeof(*rc->slots));
	rc->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].ref)
			xe_refcache_put(rc, old[i].ref, old[i].rec);
	free(old);
}

void xe_refcache_put(xe_refcache *rc, const char *ref, const xv *rec)
{
	if ((rc->n + 1) * 2 > rc->cap)
		grow(rc);
	size_t i = hash(ref) & (rc->cap - 1);
	while (rc->slots[i].ref) {
		if (!strcmp(rc->slots[i].ref, ref)) {
			rc->slots[i].rec = rec;
			return;
		}
		i = (i + 1) & (rc->cap - 1);
	}
	rc->slots[i].ref = ref;
	rc->slots[i].rec = rec;
	rc->n++;
}

const xv *xe_refcache_get(const xe_refcache *rc, const char *ref)
{
	if (!rc || !ref)
		return NULL;
	size_t i = hash(ref) & (rc->cap - 1);
	while (rc->slots[i].ref) {
		if (!strcmp(rc->slots[i].ref, ref))
			return rc->slots[i].rec;
		i = (i + 1) & (rc->cap - 1);
	}
	return NULL;
}

void xe_refcache_keep(xe_refcache *rc, xv *v)
{
	rc->kept = hx_realloc(rc->kept, (rc->nkept + 1) * sizeof(*rc->kept));
	rc->kept[rc->nkept++] = v;
}

bool xe_refcache_has_class(const xe_refcache *rc, const char *cls)
{
	for (size_t i = 0; i < rc->nclasses; i++)
		if (!strcmp(rc->classes[i], cls))
			return true;
	return false;
}

void xe_refcache_mark_class(xe_refcache *rc, const char *cls)
{
	if (xe_refcache_has_class(rc, cls))
		return;
	rc->classes = hx_realloc(rc->classes, (rc->nclasses + 1) * sizeof(*rc->classes));
	rc->classes[rc->nclasses++] = hx_strdup(cls);
}

xerr *xe_refcache_load(xe_ctx *x, const char *cls)
{
	xv *all = NULL;
	if (xe_refcache_has_class(x->refs, cls))
		return NULL;
	char *m = hx_asprintf("%s.get_all_records", cls);
	xerr *e = xe_callv(x, m, &all, NULL);
	free(m);
	if (e)
		return e;
	xe_refcache_mark_class(x->refs, cls);
	if (all->kind == XV_STRUCT)
		for (size_t i = 0; i < all->u.st.n; i++)
			xe_refcache_put(x->refs, all->u.st.m[i].key, all->u.st.m[i].val);
	xe_refcache_keep(x->refs, all);
	return NULL;
}
