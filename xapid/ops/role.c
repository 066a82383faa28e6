/* SPDX-License-Identifier: Apache-2.0 */
/*
 * role.*: XAPI's static RBAC model as records. Every permission is a role
 * without subroles named by the lower-cased wire name of a message (plus
 * "/key:<k>" for map keys with their own roles); the seven roles of the
 * datamodel are roles whose subroles are their permissions. Refs and
 * uuids are those XAPI derives (uuid = the MD5 of the name, laid out as
 * a uuid; pool-admin has a fixed uuid because it is the default of
 * subject.roles), so that clients holding role refs across hosts agree.
 */
#include <ctype.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "store.h"
#include "util.h"
#include "xapid.h"

/* subject.roles' default in the datamodel names this role. */
#define POOL_ADMIN_ROLE_UUID "0165f154-ba3e-034e-6b27-5d271af109ba"

/* Short descriptions of our own for the roles. */
static const char *const role_descriptions[ROLE__COUNT] = {
	"Full access, including the control domain, subjects, roles and authentication",
	"Manages host- and pool-wide resources: storage, pools, patches, HA",
	"Full access to VMs and templates, including placement and snapshots",
	"Manages VMs and templates",
	"Uses VMs and their consoles",
	"Clients authenticated by certificate (internal)",
	"Logs in with read-only access",
};

void role_uuid_of_name(const char *name, char uuid[37])
{
	unsigned char h[16];
	gnutls_hash_fast(GNUTLS_DIG_MD5, name, strlen(name), h);
	snprintf(uuid, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0],
		 h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
		 h[14], h[15]);
}

char *role_ref_of_role(enum api_role r)
{
	if (r == ROLE_POOL_ADMIN)
		return hx_strdup("OpaqueRef:" POOL_ADMIN_ROLE_UUID);
	char uuid[37];
	role_uuid_of_name(api_role_names[r], uuid);
	return hx_asprintf("OpaqueRef:%s", uuid);
}

int role_of_name(const char *name)
{
	for (int r = 0; r < ROLE__COUNT; r++)
		if (name && !strcasecmp(name, api_role_names[r]))
			return r;
	return -1;
}

/* One expected role row. */
struct role_row {
	char *ref, *uuid, *name;
	uint32_t roles; /* permissions: the roles holding it */
};

static void row_add(struct role_row **v, size_t *n, size_t *cap, const char *name, uint32_t roles)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*v = hx_realloc(*v, *cap * sizeof(**v));
	}
	struct role_row *r = &(*v)[(*n)++];
	char uuid[37];
	role_uuid_of_name(name, uuid);
	r->uuid = hx_strdup(uuid);
	r->ref = hx_asprintf("OpaqueRef:%s", uuid);
	r->name = hx_strdup(name);
	for (char *p = r->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	r->roles = roles;
}

/*
 * The permissions: every live synchronous message pool-admin may call
 * (messages no role may call are the local superuser's alone, which XAPI
 * leaves out), and every map key with its own roles.
 */
static struct role_row *permission_rows(size_t *count)
{
	struct role_row *v = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < api_nmsgs; i++) {
		const api_msg *m = &api_msgs[i];
		if (m->removed || !(m->roles & ROLE_BIT(ROLE_POOL_ADMIN)))
			continue;
		row_add(&v, &n, &cap, m->wire_name, m->roles);
		for (const api_map_key_roles *k = m->map_keys_roles; k && k->key; k++) {
			char *name = hx_asprintf("%s/key:%s", m->wire_name, k->key);
			row_add(&v, &n, &cap, name, k->roles);
			free(name);
		}
	}
	*count = n;
	return v;
}

static void rows_free(struct role_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ref);
		free(v[i].uuid);
		free(v[i].name);
	}
	free(v);
}

/* Creates or corrects one row so that it equals rec (taken). */
static xerr *ensure_row(txn *t, const xv *have, const char *ref, xv *rec)
{
	xerr *e = NULL;
	const xv *cur = xv_struct_get(have, ref);
	if (!cur) {
		xv *full = api_default_record(CLS_role);
		for (size_t i = 0; i < rec->u.st.n; i++)
			xv_struct_set(full, rec->u.st.m[i].key, xv_dup(rec->u.st.m[i].val));
		e = store_create(t, CLS_role, ref, full);
		xv_free(full);
	} else {
		for (size_t i = 0; i < rec->u.st.n && !e; i++) {
			xv *c = xv_struct_get(cur, rec->u.st.m[i].key);
			if (c && xv_equal(c, rec->u.st.m[i].val))
				continue;
			e = store_set_field(t, CLS_role, ref, obj_fld(CLS_role, rec->u.st.m[i].key),
					    rec->u.st.m[i].val);
		}
	}
	xv_free(rec);
	return e;
}

xerr *roles_bootstrap(txn *t)
{
	xv *have = NULL;
	xerr *e = store_get_all_records(t, CLS_role, &have);
	if (e)
		return e;
	size_t np;
	struct role_row *perms = permission_rows(&np);
	xv *expected = xv_struct(); /* ref -> true: what must remain */

	for (size_t i = 0; i < np && !e; i++) {
		xv *rec = xv_struct();
		xv_struct_set(rec, "uuid", xv_str(perms[i].uuid));
		xv_struct_set(rec, "name_label", xv_str(perms[i].name));
		xv_struct_set(rec, "name_description", xv_str("A basic permission"));
		xv_struct_set(rec, "subroles", xv_array());
		xv_struct_set(rec, "is_internal", xv_bool(true));
		e = ensure_row(t, have, perms[i].ref, rec);
		xv_struct_set(expected, perms[i].ref, xv_bool(true));
	}
	for (int r = 0; r < ROLE__COUNT && !e; r++) {
		char *ref = role_ref_of_role((enum api_role)r);
		xv *subs = xv_array();
		for (size_t i = 0; i < np; i++)
			if (perms[i].roles & ROLE_BIT(r))
				xv_array_push(subs, xv_str(perms[i].ref));
		xv *rec = xv_struct();
		xv_struct_set(rec, "uuid", xv_str(ref + strlen("OpaqueRef:")));
		xv_struct_set(rec, "name_label", xv_str(api_role_names[r]));
		xv_struct_set(rec, "name_description", xv_str(role_descriptions[r]));
		xv_struct_set(rec, "subroles", subs);
		/* The datamodel marks client-cert alone as internal. */
		xv_struct_set(rec, "is_internal", xv_bool(r == ROLE_CLIENT_CERT));
		e = ensure_row(t, have, ref, rec);
		xv_struct_set(expected, ref, xv_bool(true));
		free(ref);
	}
	/* Permissions of messages that no longer exist go. */
	for (size_t i = 0; i < xv_len(have) && !e; i++)
		if (!xv_struct_get(expected, have->u.st.m[i].key))
			e = store_destroy(t, CLS_role, have->u.st.m[i].key);
	xv_free(expected);
	xv_free(have);
	rows_free(perms, np);
	return e;
}

/* ---- queries ------------------------------------------------------------ */

/* Adds the permissions (leaves) under ref to out (a struct used as a set:
 * ref -> name_label). depth guards against cycles in a corrupt table. */
static void collect_perms(const xv *all, const char *ref, xv *out, int depth)
{
	const xv *rec = xv_struct_get(all, ref);
	if (!rec || depth > 16)
		return;
	const xv *subs = xv_struct_get(rec, "subroles");
	if (!xv_len(subs)) {
		const char *nl = xv_struct_str(rec, "name_label");
		if (!xv_struct_get(out, ref))
			xv_struct_set(out, ref, xv_str(nl ? nl : ""));
		return;
	}
	for (size_t i = 0; i < xv_len(subs); i++)
		collect_perms(all, xv_s(xv_array_get(subs, i)), out, depth + 1);
}

static xerr *all_roles(call_ctx *ctx, xv **all)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (!e)
		e = store_get_all_records(t, CLS_role, all);
	store_rollback(t);
	return e;
}

xv *roles_permissions_of(const xv *all_roles_recs, const xv *role_refs)
{
	xv *set = xv_struct();
	for (size_t i = 0; i < xv_len(role_refs); i++)
		collect_perms(all_roles_recs, xv_s(xv_array_get(role_refs, i)), set, 0);
	return set;
}

static xerr *permissions(call_ctx *ctx, const char *self, bool names, xv **result)
{
	xv *all = NULL;
	xerr *e = all_roles(ctx, &all);
	if (e)
		return e;
	xv *one = xv_array();
	xv_array_push(one, xv_str(self));
	xv *set = roles_permissions_of(all, one);
	xv_free(one);
	xv *out = xv_array();
	for (size_t i = 0; i < xv_len(set); i++)
		xv_array_push(out, names ? xv_dup(set->u.st.m[i].val) : xv_str(set->u.st.m[i].key));
	xv_free(set);
	xv_free(all);
	*result = out;
	return NULL;
}

xerr *op_role_get_permissions(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return permissions(ctx, xv_s(args[0]), false, result);
}

xerr *op_role_get_permissions_name_label(call_ctx *ctx, const api_msg *m, xv *const *args,
					 xv **result)
{
	return permissions(ctx, xv_s(args[0]), true, result);
}

/* The roles (not the permission itself) whose permissions include the
 * one with that ref, or (by_label) with that name_label. */
static xerr *by_permission(call_ctx *ctx, const char *key, bool by_label, xv **result)
{
	xv *all = NULL;
	xerr *e = all_roles(ctx, &all);
	if (e)
		return e;
	xv *out = xv_array();
	for (size_t i = 0; i < xv_len(all); i++) {
		const char *ref = all->u.st.m[i].key;
		const xv *rec = all->u.st.m[i].val;
		if (!xv_len(xv_struct_get(rec, "subroles")))
			continue; /* a permission only contains itself */
		xv *one = xv_array();
		xv_array_push(one, xv_str(ref));
		xv *set = roles_permissions_of(all, one);
		xv_free(one);
		bool hit = false;
		for (size_t j = 0; j < xv_len(set) && !hit; j++)
			hit = by_label ? !strcmp(xv_s(set->u.st.m[j].val), key) :
					 !strcmp(set->u.st.m[j].key, key);
		xv_free(set);
		if (hit)
			xv_array_push(out, xv_str(ref));
	}
	xv_free(all);
	*result = out;
	return NULL;
}

xerr *op_role_get_by_permission(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return by_permission(ctx, xv_s(args[0]), false, result);
}

xerr *op_role_get_by_permission_name_label(call_ctx *ctx, const api_msg *m, xv *const *args,
					   xv **result)
{
	return by_permission(ctx, xv_s(args[0]), true, result);
}
