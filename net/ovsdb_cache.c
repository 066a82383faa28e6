/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor cache's update parser and readers of OVSDB values (RFC 7047
 * <value>: an atom, ["set", [...]], ["map", [[k, v] ...]], ["uuid", u]).
 * Everything here reads what the server sent, so everything checks shapes
 * and never trusts a length or a type (fuzz/fuzz_ovsdb_update.c).
 */
#include <errno.h>
#include <string.h>

#include "ovsdb.h"

/* A uuid's text form: 36 characters, hex and dashes at 8-4-4-4-12. */
static bool uuid_text_ok(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? c != '-' :
			   !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* One <row-update> for uuid in table t (the cache's {uuid: row}). */
static int apply_row(json_object *t, const char *uuid, json_object *ru)
{
	if (!uuid_text_ok(uuid) || !json_object_is_type(ru, json_type_object))
		return -EBADMSG;
	json_object *nw = NULL, *old = NULL;
	bool has_new = json_object_object_get_ex(ru, "new", &nw);
	json_object_object_get_ex(t, uuid, &old);
	if (!has_new) {
		/* A delete ("old" only), or an empty update. */
		if (json_object_object_get_ex(ru, "old", NULL))
			json_object_object_del(t, uuid);
		return 0;
	}
	if (!json_object_is_type(nw, json_type_object))
		return -EBADMSG;
	/* Rows are never changed in place (readers hold references): a
	 * modify builds a new row from the old one's columns and the new
	 * values. */
	json_object *row = json_object_new_object();
	if (!row)
		return -ENOMEM;
	if (json_object_is_type(old, json_type_object)) {
		json_object_object_foreach(old, k, v)
			json_object_object_add(row, k, json_object_get(v));
	}
	json_object_object_foreach(nw, k2, v2)
		json_object_object_add(row, k2, json_object_get(v2));
	json_object_object_add(t, uuid, row);
	return 0;
}

int ovsdb_cache_apply(json_object *cache, json_object *updates)
{
	if (!json_object_is_type(cache, json_type_object) ||
	    !json_object_is_type(updates, json_type_object))
		return -EBADMSG;
	int r = 0;
	json_object_object_foreach(updates, table, tu)
	{
		json_object *t = NULL;
		if (!json_object_object_get_ex(cache, table, &t) ||
		    !json_object_is_type(t, json_type_object))
			continue; /* a table we did not ask for */
		if (!json_object_is_type(tu, json_type_object))
			return -EBADMSG;
		json_object_object_foreach(tu, uuid, ru)
		{
			if ((r = apply_row(t, uuid, ru)))
				return r;
		}
	}
	return 0;
}

/* ---- update2 (monitor_cond): modifies carry diffs ----------------------- */

/* The elements of a set value (a bare atom is a set of one). */
static json_object *elems(json_object *v)
{
	json_object *l = json_object_new_array();
	size_t n = ovsdb_set_len(v);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(l, json_object_get(ovsdb_set_at(v, i)));
	return l;
}

static json_object *wrap(const char *tag, json_object *l)
{
	json_object *v = json_object_new_array();
	json_object_array_add(v, json_object_new_string(tag));
	json_object_array_add(v, l);
	return v;
}

/* old XOR diff, as RFC 7047's update2 defines a set column's diff. */
static json_object *set_diff(json_object *old, json_object *diff)
{
	json_object *l = elems(old), *d = elems(diff);
	for (size_t i = 0; i < json_object_array_length(d); i++) {
		json_object *e = json_object_array_get_idx(d, i);
		bool found = false;
		for (size_t j = 0; j < json_object_array_length(l) && !found; j++) {
			if (json_object_equal(json_object_array_get_idx(l, j), e)) {
				json_object_array_del_idx(l, j, 1);
				found = true;
			}
		}
		if (!found)
			json_object_array_add(l, json_object_get(e));
	}
	json_object_put(d);
	return wrap("set", l);
}

/* A map column's diff: a pair with the same key and value removes it,
 * another value replaces it, a new key adds it. */
static json_object *map_diff(json_object *old, json_object *diff)
{
	json_object *l = json_object_new_array();
	json_object *ol = NULL, *dl = NULL;
	if (json_object_is_type(old, json_type_array) && json_object_array_length(old) == 2)
		ol = json_object_array_get_idx(old, 1);
	if (json_object_is_type(diff, json_type_array) && json_object_array_length(diff) == 2)
		dl = json_object_array_get_idx(diff, 1);
	for (size_t i = 0; json_object_is_type(ol, json_type_array) && i < json_object_array_length(ol); i++)
		json_object_array_add(l, json_object_get(json_object_array_get_idx(ol, i)));
	for (size_t i = 0; json_object_is_type(dl, json_type_array) && i < json_object_array_length(dl); i++) {
		json_object *p = json_object_array_get_idx(dl, i);
		if (!json_object_is_type(p, json_type_array) || json_object_array_length(p) != 2)
			continue;
		json_object *k = json_object_array_get_idx(p, 0);
		bool done = false;
		for (size_t j = 0; j < json_object_array_length(l) && !done; j++) {
			json_object *q = json_object_array_get_idx(l, j);
			if (!json_object_is_type(q, json_type_array) || json_object_array_length(q) != 2 ||
			    !json_object_equal(json_object_array_get_idx(q, 0), k))
				continue;
			done = true;
			bool same = json_object_equal(json_object_array_get_idx(q, 1),
						      json_object_array_get_idx(p, 1));
			json_object_array_del_idx(l, j, 1);
			if (!same)
				json_object_array_add(l, json_object_get(p));
		}
		if (!done)
			json_object_array_add(l, json_object_get(p));
	}
	return wrap("map", l);
}

/* The kind of column col of table in kinds ("set", "map" or "atom"). */
static const char *kind_of(json_object *kinds, const char *table, const char *col)
{
	json_object *t = NULL, *k = NULL;
	if (json_object_object_get_ex(kinds, table, &t) && json_object_object_get_ex(t, col, &k) &&
	    json_object_is_type(k, json_type_string))
		return json_object_get_string(k);
	return "atom";
}

static int apply_row2(json_object *t, json_object *kinds, const char *table, const char *uuid,
		      json_object *ru)
{
	if (!uuid_text_ok(uuid) || !json_object_is_type(ru, json_type_object) ||
	    json_object_object_length(ru) != 1)
		return -EBADMSG;
	json_object *old = NULL, *v = NULL;
	json_object_object_get_ex(t, uuid, &old);
	if (json_object_object_get_ex(ru, "delete", NULL)) {
		json_object_object_del(t, uuid);
		return 0;
	}
	bool whole = json_object_object_get_ex(ru, "initial", &v) ||
		     json_object_object_get_ex(ru, "insert", &v);
	bool diff = !whole && json_object_object_get_ex(ru, "modify", &v);
	if ((!whole && !diff) || !json_object_is_type(v, json_type_object))
		return -EBADMSG;
	json_object *row = json_object_new_object();
	if (!row)
		return -ENOMEM;
	if (diff && json_object_is_type(old, json_type_object)) {
		json_object_object_foreach(old, k, ov)
			json_object_object_add(row, k, json_object_get(ov));
	}
	json_object_object_foreach(v, col, nv)
	{
		json_object *prev = NULL;
		json_object_object_get_ex(row, col, &prev);
		const char *kind = diff ? kind_of(kinds, table, col) : "atom";
		if (!strcmp(kind, "set"))
			json_object_object_add(row, col, set_diff(prev, nv));
		else if (!strcmp(kind, "map"))
			json_object_object_add(row, col, map_diff(prev, nv));
		else
			json_object_object_add(row, col, json_object_get(nv));
	}
	json_object_object_add(t, uuid, row);
	return 0;
}

int ovsdb_cache_apply2(json_object *cache, json_object *kinds, json_object *updates)
{
	if (!json_object_is_type(cache, json_type_object) ||
	    !json_object_is_type(updates, json_type_object))
		return -EBADMSG;
	json_object_object_foreach(updates, table, tu)
	{
		json_object *t = NULL;
		if (!json_object_object_get_ex(cache, table, &t) ||
		    !json_object_is_type(t, json_type_object))
			continue;
		if (!json_object_is_type(tu, json_type_object))
			return -EBADMSG;
		json_object_object_foreach(tu, uuid, ru)
		{
			int r = apply_row2(t, kinds, table, uuid, ru);
			if (r)
				return r;
		}
	}
	return 0;
}

json_object *ovsdb_column_kinds(json_object *schema, json_object *spec)
{
	json_object *kinds = json_object_new_object(), *tables = NULL;
	if (!json_object_object_get_ex(schema, "tables", &tables) ||
	    !json_object_is_type(tables, json_type_object))
		return kinds;
	json_object_object_foreach(spec, table, cols)
	{
		json_object *ts = NULL, *cs = NULL;
		json_object *tk = json_object_new_object();
		json_object_object_add(kinds, table, tk);
		if (!json_object_object_get_ex(tables, table, &ts) ||
		    !json_object_object_get_ex(ts, "columns", &cs))
			continue;
		for (size_t i = 0; json_object_is_type(cols, json_type_array) &&
				   i < json_object_array_length(cols);
		     i++) {
			const char *c = json_object_get_string(json_object_array_get_idx(cols, i));
			json_object *cd = NULL, *type = NULL, *mn = NULL, *mx = NULL;
			if (!c || !json_object_object_get_ex(cs, c, &cd) ||
			    !json_object_object_get_ex(cd, "type", &type) ||
			    !json_object_is_type(type, json_type_object))
				continue; /* a bare atomic type */
			const char *kind = "atom";
			if (json_object_object_get_ex(type, "value", NULL)) {
				kind = "map";
			} else {
				bool has_mn = json_object_object_get_ex(type, "min", &mn);
				bool has_mx = json_object_object_get_ex(type, "max", &mx);
				if ((has_mn && json_object_get_int(mn) != 1) ||
				    (has_mx && (!json_object_is_type(mx, json_type_int) ||
						json_object_get_int(mx) != 1)))
					kind = "set";
			}
			json_object_object_add(tk, c, json_object_new_string(kind));
		}
	}
	return kinds;
}

/* ---- values ----------------------------------------------------------------- */

/* The element list of a ["set", [...]] or NULL. */
static json_object *set_list(json_object *v)
{
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
		return NULL;
	json_object *tag = json_object_array_get_idx(v, 0);
	json_object *l = json_object_array_get_idx(v, 1);
	if (!json_object_is_type(tag, json_type_string) ||
	    strcmp(json_object_get_string(tag), "set") || !json_object_is_type(l, json_type_array))
		return NULL;
	return l;
}

size_t ovsdb_set_len(json_object *v)
{
	json_object *l = set_list(v);
	if (l)
		return json_object_array_length(l);
	return v ? 1 : 0;
}

json_object *ovsdb_set_at(json_object *v, size_t i)
{
	json_object *l = set_list(v);
	if (l)
		return i < json_object_array_length(l) ? json_object_array_get_idx(l, i) : NULL;
	return i == 0 ? v : NULL;
}

const char *ovsdb_uuid_of(json_object *atom)
{
	if (!json_object_is_type(atom, json_type_array) || json_object_array_length(atom) != 2)
		return NULL;
	json_object *tag = json_object_array_get_idx(atom, 0);
	json_object *u = json_object_array_get_idx(atom, 1);
	if (!json_object_is_type(tag, json_type_string) ||
	    strcmp(json_object_get_string(tag), "uuid") || !json_object_is_type(u, json_type_string))
		return NULL;
	return json_object_get_string(u);
}

bool ovsdb_set_has_uuid(json_object *v, const char *uuid)
{
	size_t n = ovsdb_set_len(v);
	for (size_t i = 0; i < n; i++) {
		const char *u = ovsdb_uuid_of(ovsdb_set_at(v, i));
		if (u && !strcmp(u, uuid))
			return true;
	}
	return false;
}

int64_t ovsdb_int_of(json_object *v, int64_t dflt)
{
	if (ovsdb_set_len(v) != 1)
		return dflt;
	json_object *a = ovsdb_set_at(v, 0);
	return json_object_is_type(a, json_type_int) ? json_object_get_int64(a) : dflt;
}

const char *ovsdb_str_of(json_object *v)
{
	if (ovsdb_set_len(v) != 1)
		return NULL;
	json_object *a = ovsdb_set_at(v, 0);
	return json_object_is_type(a, json_type_string) ? json_object_get_string(a) : NULL;
}

/* The pair list of a ["map", [...]] or NULL. */
static json_object *map_list(json_object *v)
{
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
		return NULL;
	json_object *tag = json_object_array_get_idx(v, 0);
	json_object *l = json_object_array_get_idx(v, 1);
	if (!json_object_is_type(tag, json_type_string) ||
	    strcmp(json_object_get_string(tag), "map") || !json_object_is_type(l, json_type_array))
		return NULL;
	return l;
}

const char *ovsdb_map_get(json_object *v, const char *key)
{
	json_object *l = map_list(v);
	size_t n = l ? json_object_array_length(l) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(l, i);
		if (!json_object_is_type(p, json_type_array) || json_object_array_length(p) != 2)
			continue;
		json_object *k = json_object_array_get_idx(p, 0);
		json_object *x = json_object_array_get_idx(p, 1);
		if (json_object_is_type(k, json_type_string) &&
		    json_object_is_type(x, json_type_string) &&
		    !strcmp(json_object_get_string(k), key))
			return json_object_get_string(x);
	}
	return NULL;
}

size_t ovsdb_map_len(json_object *v)
{
	json_object *l = map_list(v);
	return l ? json_object_array_length(l) : 0;
}

bool ovsdb_map_equals(json_object *v, const char *const *kv)
{
	size_t n = 0;
	for (; kv && kv[n] && kv[n + 1]; n += 2) {
		const char *have = ovsdb_map_get(v, kv[n]);
		if (!have || strcmp(have, kv[n + 1]))
			return false;
	}
	return ovsdb_map_len(v) == n / 2;
}
