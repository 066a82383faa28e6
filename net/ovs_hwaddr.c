/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bridge other_config:hwaddr on Open vSwitch (netback.h
 * netb_ovs_bridge_hwaddr): the MAC of a bridge's internal port, which
 * ovs-vswitchd otherwise picks from the bridge's ports and changes when
 * they change. The management takeover gives the bridge the NIC's MAC.
 * Its own OVSDB connection (one call per takeover); the next change made
 * through the backend bumps next_cfg and waits, which applies it too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netback.h"
#include "ovsdb.h"

int netb_ovs_bridge_hwaddr(const char *db_sock, const char *br, const char *mac, char **err)
{
	ovsdb *db = NULL;
	int r = ovsdb_open(db_sock, &db);
	if (r)
		return r;
	json_object *ops = json_object_new_array(), *m = json_object_new_object();
	json_object_object_add(m, "op", json_object_new_string("mutate"));
	json_object_object_add(m, "table", json_object_new_string("Bridge"));
	json_object_object_add(m, "where", ovsdb_where_eq("name", json_object_new_string(br)));
	json_object *muts = json_object_new_array(), *del = json_object_new_array(),
		    *ins = json_object_new_array();
	json_object_array_add(del, json_object_new_string("other_config"));
	json_object_array_add(del, json_object_new_string("delete"));
	json_object_array_add(del, ovsdb_set1(json_object_new_string("hwaddr")));
	const char *kv[] = { "hwaddr", mac, NULL };
	json_object_array_add(ins, json_object_new_string("other_config"));
	json_object_array_add(ins, json_object_new_string("insert"));
	json_object_array_add(ins, ovsdb_map(kv));
	json_object_array_add(muts, del);
	json_object_array_add(muts, ins);
	json_object_object_add(m, "mutations", muts);
	json_object_array_add(ops, m);
	json_object *res = NULL;
	r = ovsdb_transact(db, ops, &res, err);
	if (!r) {
		json_object *c = NULL;
		json_object *o = json_object_array_get_idx(res, 0);
		if (!json_object_object_get_ex(o, "count", &c) || json_object_get_int(c) != 1) {
			r = -ENOENT;
			if (err)
				*err = strdup("no such bridge");
		}
	}
	json_object_put(res);
	ovsdb_close(db);
	return r;
}
