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

/*
 * A map key with roles of its own replaces the message's permission (XAPI's
 * permission_of_action): it can narrow access (hvm_serial needs pool-admin)
 * or widen it (a vm-operator may set other_config:folder).
 */
bool rbac_allowed(enum api_role r, const api_msg *m, const char *key)
{
	const api_map_key_roles *k = key_rule(m->map_keys_roles, key);
	if (k)
		return k->roles & ROLE_BIT(r);
	return m->roles & ROLE_BIT(r);
}

xerr *rbac_denied(const api_msg *m, const char *key)
{
	const api_map_key_roles *k = key_rule(m->map_keys_roles, key);
	/* XAPI names the permission after the rule (wildcard included), in
	 * lower case. */
	char *perm = k ? hx_asprintf("%s/key:%s", m->wire_name, k->key) : hx_strdup(m->wire_name);
	for (char *p = perm; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	xerr *e = xerr_new("RBAC_PERMISSION_DENIED", perm,
			   "No permission in the user's role to perform this operation", NULL);
	free(perm);
	return e;
}
