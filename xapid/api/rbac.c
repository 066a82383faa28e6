/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Role-based access control from the generated per-message role masks.
 * Permission names are the lower-cased wire name, with "/key:<k>" for map
 * keys that carry stricter roles, as XAPI names them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"

static const api_map_key_roles *key_rule(const api_map_key_roles *r, const char *key)
{
	if (!r || !key)
		return NULL;
	for (; r->key; r++) {
		size_t n = strlen(r->key);
		if (n && r->key[n - 1] == '*') {
			if (!strncmp(r->key, key, n - 1))
				return r;
		} else if (!strcmp(r->key, key)) {
			return r;
		}
	}
	return NULL;
}

bool rbac_allowed(enum api_role r, const api_msg *m, const char *key)
{
	if (!(m->roles & ROLE_BIT(r)))
		return false;
	const api_map_key_roles *k = key_rule(m->map_keys_roles, key);
	if (k && !(k->roles & ROLE_BIT(r)))
		return false;
	return true;
}

xerr *rbac_denied(const api_msg *m, const char *key)
{
	char *perm = key && key_rule(m->map_keys_roles, key) ?
		hx_asprintf("%s/key:%s", m->wire_name, key) : hx_strdup(m->wire_name);
	for (char *p = perm; *p && *p != '/'; p++)
		*p = (char)tolower((unsigned char)*p);
	xerr *e = xerr_new("RBAC_PERMISSION_DENIED", perm,
			   "No permission in the user's role to perform this operation", NULL);
	free(perm);
	return e;
}
