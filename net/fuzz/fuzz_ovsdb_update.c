/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the monitor cache's update parsers. The input is an OVSDB
 * server message: a monitor reply's result or an "update"/"update2"
 * notification ({"method": ..., "params": [id, <table-updates>]}); it is
 * applied (twice: the second is a modify of every row the first
 * inserted) to a cache of the tables the ovs backend monitors, both as
 * <table-updates> (monitor) and as <table-updates2> (monitor_cond, with
 * the column kinds a schema gives), and every cached row is then read
 * with the value readers the backend uses. Checked: a row in the cache is
 * always a JSON object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ovsdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(json_object *cache)
{
	json_object_object_foreach(cache, table, rows)
	{
		(void)table;
		json_object_object_foreach(rows, uuid, row)
		{
			(void)uuid;
			if (!json_object_is_type(row, json_type_object))
				abort();
			json_object_object_foreach(row, col, v)
			{
				(void)col;
				size_t n = ovsdb_set_len(v);
				for (size_t i = 0; i < n + 1; i++) {
					json_object *a = ovsdb_set_at(v, i);
					if (i == n && a && n)
						abort(); /* past the end */
					(void)ovsdb_uuid_of(a);
				}
				(void)ovsdb_set_has_uuid(v, "00000000-0000-0000-0000-000000000000");
				(void)ovsdb_int_of(v, -1);
				(void)ovsdb_str_of(v);
				(void)ovsdb_map_get(v, "xs-vif-uuid");
				static const char *const kv[] = { "a", "b", NULL };
				(void)ovsdb_map_equals(v, kv);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	json_tokener *tok = json_tokener_new_ex(64);
	json_object *msg = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!msg)
		return 0;
	json_object *updates = msg, *params = NULL;
	if (json_object_object_get_ex(msg, "params", &params) &&
	    json_object_is_type(params, json_type_array) && json_object_array_length(params) == 2)
		updates = json_object_array_get_idx(params, 1);
	static const char *const tables[] = { "Open_vSwitch", "Bridge", "Port", "Interface" };
	/* The kinds through the schema reader, from a schema excerpt. */
	json_object *schema = json_tokener_parse(
		"{\"tables\":{\"Bridge\":{\"columns\":{\"name\":{\"type\":\"string\"},"
		"\"ports\":{\"type\":{\"key\":{\"type\":\"uuid\"},\"min\":0,\"max\":\"unlimited\"}}}},"
		"\"Port\":{\"columns\":{\"tag\":{\"type\":{\"key\":\"integer\",\"min\":0,\"max\":1}},"
		"\"external_ids\":{\"type\":{\"key\":\"string\",\"value\":\"string\",\"min\":0,"
		"\"max\":\"unlimited\"}},\"interfaces\":{\"type\":{\"key\":\"uuid\",\"min\":1,"
		"\"max\":\"unlimited\"}}}},\"Interface\":{\"columns\":{\"ofport\":{\"type\":{\"key\":"
		"\"integer\",\"min\":0,\"max\":1}},\"options\":{\"type\":{\"key\":\"string\","
		"\"value\":\"string\",\"min\":0,\"max\":\"unlimited\"}}}}}}");
	json_object *spec = json_tokener_parse(
		"{\"Bridge\":[\"name\",\"ports\"],\"Port\":[\"tag\",\"external_ids\",\"interfaces\"],"
		"\"Interface\":[\"ofport\",\"options\",\"nosuch\"],\"Open_vSwitch\":[\"cur_cfg\"]}");
	json_object *kinds = ovsdb_column_kinds(schema, spec);
	for (int v2 = 0; v2 < 2; v2++) {
		json_object *cache = json_object_new_object();
		for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
			json_object_object_add(cache, tables[i], json_object_new_object());
		for (int round = 0; round < 2; round++) {
			if (v2)
				(void)ovsdb_cache_apply2(cache, kinds, updates);
			else
				(void)ovsdb_cache_apply(cache, updates);
			walk(cache);
		}
		json_object_put(cache);
	}
	/* The schema reader on the input too. */
	json_object_put(ovsdb_column_kinds(updates, spec));
	json_object_put(kinds);
	json_object_put(schema);
	json_object_put(spec);
	json_object_put(msg);
	return 0;
}
