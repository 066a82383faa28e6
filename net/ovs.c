/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ovs backend: bridges, ports, bonds, tunnels and ingress policing as
 * OVSDB transactions (ovsdb.c); VIF port security as OpenFlow rules.
 *
 * Lookups read the OVSDB monitor cache (ovsdb.h), never whole tables
 * from the server. Every change is one transaction that also bumps
 * Open_vSwitch.next_cfg; it does not wait for ovs-vswitchd, which can so
 * apply a burst of changes (100 networks, 800 VLANs) in a few
 * reconfigurations. What needs the datapath waits (an OVSDB "wait"
 * operation until cur_cfg has caught up, no polling): every OpenFlow
 * call and ofport lookup, and netb_settle. New internal devices are
 * brought up by the settler thread (ovs_settle.c) once they exist.
 * port_add reconciles an existing port in place (see there).
 *
 * OpenFlow: the rules and meters are sent by our own OpenFlow 1.3 client
 * (ofp.c) on the bridge's management socket (<rundir>/<br>.mgmt), one
 * connection and one barrier per change, so a call returns once the
 * switch applied it. Only addresses and MACs that parse become matches.
 * Every port's rules are remembered (ovs_memo.h) and put back when the
 * settler sees a new ovs-vswitchd (on_restart).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netback.h"
#include "ofp.h"
#include "ovs_appctl.h"
#include "ovs_memo.h"
#include "ovs_settle.h"
#include "ovsdb.h"

#define CFG_WAIT_MS 30000

typedef struct ovsb {
	netb base;
	ovsdb *db;
	char *rundir;
	char *datapath; /* datapath_type of the bridges we create */
	ovs_settler *settler;
	pthread_mutex_t lock; /* last_cfg and the pipeline set */
	int64_t last_cfg; /* the next_cfg of our latest change */
	/* Bridges (uuids) whose OpenFlow pipeline is installed; forgotten
	 * when the cache is reloaded (the switch may have restarted). */
	char **piped;
	size_t npiped;
	unsigned piped_gen;
	/* Per-port rules we installed (under lock), put back when a new
	 * ovs-vswitchd starts with empty tables (on_restart). ofmu orders
	 * the rule changes with that replay; it is taken before lock. */
	ovs_memo memo;
	pthread_mutex_t ofmu;
} ovsb;

static char *estr(const char *fmt, const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, fmt, a ? a : "", b ? b : "") < 0)
		return NULL;
	return s;
}

static void seterr(char **err, char *msg)
{
	if (err && !*err)
		*err = msg;
	else
		free(msg);
}

static json_object *op_new(const char *op, const char *table)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "op", json_object_new_string(op));
	if (table)
		json_object_object_add(o, "table", json_object_new_string(table));
	return o;
}

/* Appends "next_cfg += 1" and a select of next_cfg to ops; the index of
 * the select's result is returned. */
static size_t add_cfg_bump(json_object *ops)
{
	json_object *m = op_new("mutate", "Open_vSwitch");
	json_object_object_add(m, "where", json_object_new_array());
	json_object *muts = json_object_new_array(), *mu = json_object_new_array();
	json_object_array_add(mu, json_object_new_string("next_cfg"));
	json_object_array_add(mu, json_object_new_string("+="));
	json_object_array_add(mu, json_object_new_int(1));
	json_object_array_add(muts, mu);
	json_object_object_add(m, "mutations", muts);
	json_object_array_add(ops, m);
	json_object *s = op_new("select", "Open_vSwitch");
	json_object_object_add(s, "where", json_object_new_array());
	json_object *cols = json_object_new_array();
	json_object_array_add(cols, json_object_new_string("next_cfg"));
	json_object_object_add(s, "columns", cols);
	json_object_array_add(ops, s);
	return json_object_array_length(ops) - 1;
}

static int64_t cached_cur_cfg(ovsb *o)
{
	json_object *t = ovsdb_table(o->db, "Open_vSwitch", NULL);
	int64_t cur = -1;
	if (t) {
		json_object_object_foreach(t, u, row)
		{
			(void)u;
			json_object *c = NULL;
			if (json_object_object_get_ex(row, "cur_cfg", &c))
				cur = ovsdb_int_of(c, -1);
		}
		json_object_put(t);
	}
	return cur;
}

/*
 * Waits until ovs-vswitchd applied configuration cfg: in slices of
 * CFG_WAIT_MS, for as long as it makes progress (after a burst of
 * hundreds of changes a busy userspace datapath may need longer than any
 * fixed limit); a slice without progress means it is not running.
 */
static int wait_cfg(ovsb *o, int64_t cfg, char **err)
{
	int64_t seen = cached_cur_cfg(o);
	for (;;) {
		json_object *ops = json_object_new_array();
		json_object_array_add(ops, ovs_wait_cfg_op(cfg, CFG_WAIT_MS));
		char *e = NULL;
		int r = ovsdb_transact(o->db, ops, NULL, &e);
		if (r == -EPROTO && e && strstr(e, "timed out")) {
			int64_t now = cached_cur_cfg(o);
			if (now > seen) {
				seen = now;
				free(e);
				continue;
			}
			free(e);
			seterr(err, estr("ovs-vswitchd did not apply the change (is it running?)%s%s",
					 "", ""));
			return -ETIMEDOUT;
		}
		if (r)
			seterr(err, e);
		else
			free(e);
		return r;
	}
}

/* Waits until ovs-vswitchd applied every change of ours: nothing to do
 * when the cache already shows cur_cfg there. */
static int applied(ovsb *o, char **err)
{
	pthread_mutex_lock(&o->lock);
	int64_t last = o->last_cfg;
	pthread_mutex_unlock(&o->lock);
	if (last <= 0 || cached_cur_cfg(o) >= last)
		return 0;
	return wait_cfg(o, last, err);
}

/*
 * Runs ops (taken) as one transaction with a cfg bump. It does not wait
 * for ovs-vswitchd (so that it can apply many changes in one
 * reconfiguration): what needs the datapath waits with applied() — the
 * OpenFlow calls, the ofport lookups and netb's settle — and up_dev (an
 * internal device the change creates) is brought up by the settler once
 * the switch made it.
 */
static int commit(ovsb *o, json_object *ops, json_object **result, const char *up_dev,
		  char **err)
{
	size_t sel = add_cfg_bump(ops);
	json_object *res = NULL;
	int r = ovsdb_transact(o->db, ops, &res, err);
	if (r)
		return r;
	json_object *rows = NULL, *nc = NULL;
	json_object *s = json_object_array_get_idx(res, sel);
	int64_t cfg = -1;
	if (json_object_object_get_ex(s, "rows", &rows) && json_object_array_length(rows) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(rows, 0), "next_cfg", &nc))
		cfg = json_object_get_int64(nc);
	if (cfg < 0) {
		json_object_put(res);
		seterr(err, estr("ovsdb: no next_cfg in the reply%s%s", "", ""));
		return -EBADMSG;
	}
	pthread_mutex_lock(&o->lock);
	if (cfg > o->last_cfg)
		o->last_cfg = cfg;
	pthread_mutex_unlock(&o->lock);
	if (up_dev)
		ovs_settler_up(o->settler, cfg, up_dev);
	if (result)
		*result = res;
	else
		json_object_put(res);
	return 0;
}

/* Selects columns (NULL-terminated) of table rows where col == val. */
static int select_eq(ovsb *o, const char *table, const char *col, const char *val,
		     const char *const *cols, json_object **rows, char **err)
{
	json_object *ops = json_object_new_array();
	json_object *s = op_new("select", table);
	json_object_object_add(s, "where",
			       col ? ovsdb_where_eq(col, json_object_new_string(val)) :
				     json_object_new_array());
	json_object *c = json_object_new_array();
	for (size_t i = 0; cols[i]; i++)
		json_object_array_add(c, json_object_new_string(cols[i]));
	json_object_object_add(s, "columns", c);
	json_object_array_add(ops, s);
	json_object *res = NULL;
	int r = ovsdb_transact(o->db, ops, &res, err);
	if (r)
		return r;
	json_object *rr = NULL;
	if (!json_object_object_get_ex(json_object_array_get_idx(res, 0), "rows", &rr) ||
	    !json_object_is_type(rr, json_type_array)) {
		json_object_put(res);
		seterr(err, estr("ovsdb: select without rows%s%s", "", ""));
		return -EBADMSG;
	}
	*rows = json_object_get(rr);
	json_object_put(res);
	return 0;
}

/* The _uuid of the row of table named name (heap), or NULL; from the
 * monitor cache. */
static char *uuid_of(ovsb *o, const char *table, const char *name, int *r, char **err)
{
	char *u = NULL;
	json_object *row = ovsdb_find(o->db, table, "name", name, &u, r);
	json_object_put(row);
	if (*r)
		seterr(err, estr("ovsdb: the monitor cache is unavailable: %s%s", strerror(-*r),
				 ""));
	return u;
}

static ofp_conn *of_open(ovsb *o, const char *br, bool wait, char **err);
static int of_commit(ovsb *o, ofp_conn *c, ofp_buf *msgs, const uint32_t *ign, size_t nign,
		     char **err);
static void of_add(ofp_conn *c, ofp_buf *b, uint8_t table, uint16_t prio, uint32_t kind,
		   int64_t ofport, const ofp_match *m, uint32_t meter, bool normal, int go);

/*
 * The OpenFlow pipeline of every bridge we manage: table 0 meters ports
 * with a rate limit (userspace datapaths police with OpenFlow meters;
 * Interface.ingress_policing_rate needs kernel tc actions that a host may
 * lack), table 1 holds port security and ends in NORMAL switching.
 */
/* Installed before the first rule of a bridge that needs it (a new
 * bridge switches NORMAL in table 0 until then, the same behaviour), once
 * per bridge row and connection (ensure_pipeline). */
static int pipeline(ovsb *o, const char *br, char **err)
{
	ofp_conn *c = of_open(o, br, true, err);
	if (!c)
		return -EIO;
	ofp_buf b = { 0 };
	ofp_match any = { 0 };
	of_add(c, &b, 0, 1, 0, 0, &any, 0, false, 1);	/* table=0,priority=1,goto_table:1 */
	of_add(c, &b, 1, 0, 0, 0, &any, 0, true, -1);	/* table=1,priority=0,NORMAL */
	return of_commit(o, c, &b, NULL, 0, err);
}

static void forget_pipelines(ovsb *o)
{
	for (size_t i = 0; i < o->npiped; i++)
		free(o->piped[i]);
	free(o->piped);
	o->piped = NULL;
	o->npiped = 0;
}

/* The OpenFlow pipeline of br, installed once per bridge row (two
 * threads may both install it: add-flows of the same flows is harmless). */
static int ensure_pipeline(ovsb *o, const char *br, char **err)
{
	int r;
	char *u = uuid_of(o, "Bridge", br, &r, err);
	unsigned gen = ovsdb_generation(o->db);
	pthread_mutex_lock(&o->lock);
	if (o->piped_gen != gen) {
		forget_pipelines(o);
		o->piped_gen = gen;
	}
	bool have = false;
	for (size_t i = 0; u && i < o->npiped && !have; i++)
		have = !strcmp(o->piped[i], u);
	pthread_mutex_unlock(&o->lock);
	if (have) {
		free(u);
		return 0;
	}
	r = pipeline(o, br, err);
	pthread_mutex_lock(&o->lock);
	char **nv = r || !u ? NULL : realloc(o->piped, (o->npiped + 1) * sizeof(char *));
	if (nv) {
		o->piped = nv;
		o->piped[o->npiped++] = u;
		u = NULL;
	}
	pthread_mutex_unlock(&o->lock);
	free(u);
	return r;
}

static void close_ovs(netb *b)
{
	ovsb *o = (ovsb *)b;
	ovs_settler_free(o->settler);
	forget_pipelines(o);
	ovs_memo_free(&o->memo);
	pthread_mutex_destroy(&o->ofmu);
	pthread_mutex_destroy(&o->lock);
	ovsdb_close(o->db);
	free(o->rundir);
	free(o->datapath);
	free(o);
}

static int bridge_add(netb *b, const char *br, int mtu, char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	char *u = uuid_of(o, "Bridge", br, &r, err);
	if (r)
		return r;
	if (u) {
		/* There: its OpenFlow pipeline is (re)installed with the first
		 * rule that needs it (ensure_pipeline). */
		free(u);
		return 0;
	}
	json_object *ops = json_object_new_array();
	json_object *i = op_new("insert", "Interface");
	json_object *row = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(br));
	json_object_object_add(row, "type", json_object_new_string("internal"));
	if (mtu > 0)
		json_object_object_add(row, "mtu_request", json_object_new_int(mtu));
	json_object_object_add(i, "row", row);
	json_object_object_add(i, "uuid-name", json_object_new_string("iface"));
	json_object_array_add(ops, i);
	json_object *p = op_new("insert", "Port");
	row = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(br));
	json_object_object_add(row, "interfaces", ovsdb_named("iface"));
	json_object_object_add(p, "row", row);
	json_object_object_add(p, "uuid-name", json_object_new_string("port"));
	json_object_array_add(ops, p);
	json_object *bb = op_new("insert", "Bridge");
	row = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(br));
	json_object_object_add(row, "ports", ovsdb_named("port"));
	json_object_object_add(row, "datapath_type", json_object_new_string(o->datapath));
	json_object_object_add(bb, "row", row);
	json_object_object_add(bb, "uuid-name", json_object_new_string("br"));
	json_object_array_add(ops, bb);
	json_object *m = op_new("mutate", "Open_vSwitch");
	json_object_object_add(m, "where", json_object_new_array());
	json_object *muts = json_object_new_array(), *mu = json_object_new_array();
	json_object_array_add(mu, json_object_new_string("bridges"));
	json_object_array_add(mu, json_object_new_string("insert"));
	json_object_array_add(mu, ovsdb_set1(ovsdb_named("br")));
	json_object_array_add(muts, mu);
	json_object_object_add(m, "mutations", muts);
	json_object_array_add(ops, m);
	return commit(o, ops, NULL, br, err);
}

static json_object *mutation(const char *col, const char *how, json_object *val)
{
	json_object *muts = json_object_new_array(), *mu = json_object_new_array();
	json_object_array_add(mu, json_object_new_string(col));
	json_object_array_add(mu, json_object_new_string(how));
	json_object_array_add(mu, val);
	json_object_array_add(muts, mu);
	return muts;
}

/* The operation that drops bridge row uuid from Open_vSwitch.bridges
 * (OVSDB then garbage-collects the row and its ports). */
static json_object *bridge_unlist_op(const char *uuid)
{
	json_object *m = op_new("mutate", "Open_vSwitch");
	json_object_object_add(m, "where", json_object_new_array());
	json_object_object_add(m, "mutations",
			       mutation("bridges", "delete", ovsdb_set1(ovsdb_uuid(uuid))));
	return m;
}

static int bridge_del(netb *b, const char *br, char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	char *u = uuid_of(o, "Bridge", br, &r, err);
	if (r || !u)
		return r;
	json_object *ops = json_object_new_array();
	json_object_array_add(ops, bridge_unlist_op(u));
	free(u);
	return commit(o, ops, NULL, NULL, err);
}


static int bridge_list(netb *b, char ***names, size_t *n, char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	json_object *t = ovsdb_table(o->db, "Bridge", &r);
	if (!t) {
		seterr(err, estr("ovsdb: no Bridge table in the cache%s%s", "", ""));
		return r ? r : -ENOENT;
	}
	char **v = calloc((size_t)json_object_object_length(t) + 1, sizeof(char *));
	size_t m = 0;
	json_object_object_foreach(t, u, row)
	{
		(void)u;
		json_object *nm = NULL;
		if (v && json_object_object_get_ex(row, "name", &nm) &&
		    json_object_is_type(nm, json_type_string))
			v[m++] = strdup(json_object_get_string(nm));
	}
	json_object_put(t);
	if (!v)
		return -ENOMEM;
	*names = v;
	*n = m;
	return 0;
}

static int port_list(netb *b, const char *br, char ***names, size_t *n, char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	json_object *brow = ovsdb_find(o->db, "Bridge", "name", br, NULL, &r);
	if (!brow) {
		seterr(err, estr("no bridge %s%s", br, ""));
		return r ? r : -ENOENT;
	}
	json_object *ports = NULL;
	json_object_object_get_ex(brow, "ports", &ports);
	size_t k = ovsdb_set_len(ports), m = 0;
	char **v = calloc(k + 1, sizeof(char *));
	for (size_t i = 0; v && i < k; i++) {
		const char *pu = ovsdb_uuid_of(ovsdb_set_at(ports, i));
		json_object *prow = pu ? ovsdb_row(o->db, "Port", pu) : NULL, *nm = NULL;
		if (prow && json_object_object_get_ex(prow, "name", &nm) &&
		    json_object_is_type(nm, json_type_string) &&
		    strcmp(json_object_get_string(nm), br))
			v[m++] = strdup(json_object_get_string(nm));
		json_object_put(prow);
	}
	json_object_put(brow);
	if (!v)
		return -ENOMEM;
	*names = v;
	*n = m;
	return 0;
}

static json_object *iface_cols(const netb_port *p);

/* An Interface insert op named uname for the port description. */
static json_object *iface_insert(const netb_port *p, const char *name, const char *uname)
{
	json_object *i = op_new("insert", "Interface");
	json_object *row = iface_cols(p);
	json_object_object_add(row, "name", json_object_new_string(name));
	json_object_object_add(i, "row", row);
	json_object_object_add(i, "uuid-name", json_object_new_string(uname));
	return i;
}

/* Ops that attach port row "port" to bridge br and check it exists. */
static void attach_ops(json_object *ops, const char *br)
{
	json_object *m = op_new("mutate", "Bridge");
	json_object_object_add(m, "where", ovsdb_where_eq("name", json_object_new_string(br)));
	json_object_object_add(m, "mutations",
			       mutation("ports", "insert", ovsdb_set1(ovsdb_named("port"))));
	json_object_array_add(ops, m);
}

/* 0 when the mutate at index idx of res changed a row. */
static int check_count(json_object *res, size_t idx, const char *br, char **err)
{
	json_object *c = NULL;
	if (json_object_object_get_ex(json_object_array_get_idx(res, idx), "count", &c) &&
	    json_object_get_int(c) > 0)
		return 0;
	seterr(err, estr("no bridge %s%s", br, ""));
	return -ENOENT;
}

static int port_del(netb *b, const char *port, char **err);
static int meter_set(ovsb *o, const char *br, const char *port, int64_t rate_kbps,
		     int64_t burst_kb, char **err);

/* The Interface columns port p wants (explicit defaults, so that an
 * update puts back what a previous owner changed). */
static json_object *iface_cols(const netb_port *p)
{
	json_object *row = json_object_new_object();
	const char *type = p->type == NETB_PORT_INTERNAL ? "internal" :
			   p->type == NETB_PORT_VXLAN	 ? "vxlan" :
			   p->type == NETB_PORT_GRE	 ? "gre" :
							   "";
	json_object_object_add(row, "type", json_object_new_string(type));
	const char *kv[] = { "remote_ip", p->remote_ip ? p->remote_ip : "",
			     p->key ? "key" : NULL, p->key, NULL };
	bool tunnel = p->type == NETB_PORT_VXLAN || p->type == NETB_PORT_GRE;
	json_object_object_add(row, "options", ovsdb_map(tunnel ? kv : NULL));
	int64_t rate = p->rate_kbps > 0 ? p->rate_kbps : 0;
	int64_t burst = rate ? (p->burst_kb > 0 ? p->burst_kb : rate / 10) : 0;
	json_object_object_add(row, "ingress_policing_rate", json_object_new_int64(rate));
	json_object_object_add(row, "ingress_policing_burst", json_object_new_int64(burst));
	json_object_object_add(row, "external_ids", ovsdb_map(p->ids));
	return row;
}

/* The Port columns port p wants (besides name and interfaces). */
static json_object *port_cols(const netb_port *p)
{
	json_object *row = json_object_new_object();
	json_object_object_add(row, "tag", p->tag > 0 ? json_object_new_int(p->tag) :
							ovsdb_set1(NULL));
	json_object_object_add(row, "external_ids", ovsdb_map(p->ids));
	return row;
}

/* Does the cached column col of row equal v (as JSON text)? */
static bool col_equals(json_object *row, const char *col, json_object *v)
{
	json_object *have = NULL;
	/* update2 leaves out columns that have their default value (0, "",
	 * an empty set or map). */
	if (!json_object_object_get_ex(row, col, &have)) {
		if (json_object_is_type(v, json_type_int))
			return json_object_get_int64(v) == 0;
		if (json_object_is_type(v, json_type_string))
			return !*json_object_get_string(v);
		return json_object_array_length(json_object_array_get_idx(v, 1)) == 0;
	}
	if (json_object_is_type(v, json_type_int))
		return ovsdb_int_of(have, -1) == json_object_get_int64(v);
	if (json_object_is_type(v, json_type_string))
		return ovsdb_str_of(have) && !strcmp(ovsdb_str_of(have), json_object_get_string(v));
	/* A set or a map: compare as sets of pairs / elements. */
	json_object *l = json_object_array_get_idx(v, 1);
	const char *tag = json_object_get_string(json_object_array_get_idx(v, 0));
	if (!strcmp(tag, "map")) {
		size_t n = json_object_array_length(l);
		if (ovsdb_map_len(have) != n)
			return false;
		for (size_t i = 0; i < n; i++) {
			json_object *pr = json_object_array_get_idx(l, i);
			const char *h = ovsdb_map_get(have,
						      json_object_get_string(json_object_array_get_idx(pr, 0)));
			if (!h || strcmp(h, json_object_get_string(json_object_array_get_idx(pr, 1))))
				return false;
		}
		return true;
	}
	return ovsdb_set_len(have) == json_object_array_length(l) && !json_object_array_length(l);
}

static bool cols_equal(json_object *row, json_object *want)
{
	json_object_object_foreach(want, k, v)
	{
		if (!col_equals(row, k, v))
			return false;
	}
	return true;
}

static void drop_flows(ovsb *o, const char *br, const char *port);
static char *bridge_of_port(ovsb *o, const char *pu, char **name);

/* An "update" of table's row _uuid u to the columns cols (a reference
 * taken). */
static json_object *update_uuid(const char *table, const char *u, json_object *cols)
{
	json_object *op = op_new("update", table);
	json_object_object_add(op, "where", ovsdb_where_eq("_uuid", ovsdb_uuid(u)));
	json_object_object_add(op, "row", json_object_get(cols));
	return op;
}

/*
 * Adds port p to bridge br — or reconciles: a port of that name already
 * on br with one interface of that name keeps its rows (and so its
 * Interface uuid, ofport and datapath port: no blip for a running guest);
 * only the columns that differ are updated, and nothing at all is sent
 * when none does. A port of that name elsewhere (another bridge) is moved
 * in the same transaction, and an internal port replaces a standalone
 * bridge of its name (a VLAN network's fake bridge) in that transaction
 * too, so ovs-vswitchd reconfigures once.
 */
static int port_add(netb *b, const char *br, const netb_port *p, char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	char *pu = NULL, *iu = NULL, *obr_name = NULL, *obr = NULL;
	json_object *prow = ovsdb_find(o->db, "Port", "name", p->name, &pu, &r);
	if (r) {
		seterr(err, estr("ovsdb: the monitor cache is unavailable: %s%s", strerror(-r), ""));
		return r;
	}
	json_object *irow = NULL, *ifs = NULL;
	if (prow) {
		obr = bridge_of_port(o, pu, &obr_name);
		json_object_object_get_ex(prow, "interfaces", &ifs);
		const char *u = ovsdb_set_len(ifs) == 1 ? ovsdb_uuid_of(ovsdb_set_at(ifs, 0)) : NULL;
		if (u && (irow = ovsdb_row(o->db, "Interface", u))) {
			json_object *nm = NULL;
			if (json_object_object_get_ex(irow, "name", &nm) &&
			    json_object_is_type(nm, json_type_string) &&
			    !strcmp(json_object_get_string(nm), p->name))
				iu = strdup(u);
		}
	}
	json_object *icols = iface_cols(p), *pcols = port_cols(p);
	json_object *ops = json_object_new_array(), *res = NULL;
	ssize_t attach = -1;
	if (prow && iu && obr_name && !strcmp(obr_name, br)) {
		/* On the right bridge: update what differs. */
		if (!cols_equal(irow, icols))
			json_object_array_add(ops, update_uuid("Interface", iu, icols));
		if (!cols_equal(prow, pcols))
			json_object_array_add(ops, update_uuid("Port", pu, pcols));
	} else {
		if (prow && obr) {
			/* Elsewhere: its rules go, and the port with them. */
			if (obr_name)
				drop_flows(o, obr_name, p->name);
			json_object *mu = op_new("mutate", "Bridge");
			json_object_object_add(mu, "where",
					       ovsdb_where_eq("_uuid", ovsdb_uuid(obr)));
			json_object_object_add(mu, "mutations",
					       mutation("ports", "delete", ovsdb_set1(ovsdb_uuid(pu))));
			json_object_array_add(ops, mu);
		}
		char *sb = NULL;
		if (p->type == NETB_PORT_INTERNAL) {
			int r2;
			sb = uuid_of(o, "Bridge", p->name, &r2, NULL);
		}
		if (sb) {
			json_object_array_add(ops, bridge_unlist_op(sb));
			free(sb);
		}
		json_object *i = op_new("insert", "Interface");
		json_object *irow2 = json_object_get(icols);
		json_object_object_add(irow2, "name", json_object_new_string(p->name));
		json_object_object_add(i, "row", irow2);
		json_object_object_add(i, "uuid-name", json_object_new_string("iface"));
		json_object_array_add(ops, i);
		json_object *po = op_new("insert", "Port");
		json_object *row = json_object_get(pcols);
		json_object_object_add(row, "name", json_object_new_string(p->name));
		json_object_object_add(row, "interfaces", ovsdb_named("iface"));
		json_object_object_add(po, "row", row);
		json_object_object_add(po, "uuid-name", json_object_new_string("port"));
		json_object_array_add(ops, po);
		attach = (ssize_t)json_object_array_length(ops);
		attach_ops(ops, br);
	}
	json_object_put(icols);
	json_object_put(pcols);
	json_object_put(prow);
	json_object_put(irow);
	free(pu);
	free(iu);
	free(obr);
	free(obr_name);
	r = 0;
	if (json_object_array_length(ops)) {
		/* A missing bridge leaves the new rows unreferenced: OVSDB
		 * drops them at commit, and the count tells us. */
		r = commit(o, ops, &res, p->type == NETB_PORT_INTERNAL ? p->name : NULL, err);
		if (!r && attach >= 0)
			r = check_count(res, (size_t)attach, br, err);
		json_object_put(res);
	} else {
		json_object_put(ops);
	}
	if (!r && p->rate_kbps > 0)
		r = meter_set(o, br, p->name, p->rate_kbps, p->burst_kb, err);
	return r;
}

/* The ofport of interface name (-1 when unknown): from the cache, or
 * asked from the server when the cache has none yet. */
static int64_t ofport_of(ovsb *o, const char *name, char **err)
{
	int r = applied(o, err);
	if (r)
		return -1;
	json_object *row = ovsdb_find(o->db, "Interface", "name", name, NULL, &r), *v = NULL;
	int64_t n = -1;
	if (row && json_object_object_get_ex(row, "ofport", &v))
		n = ovsdb_int_of(v, -1);
	json_object_put(row);
	if (n > 0 || r)
		return n;
	static const char *const cols[] = { "ofport", NULL };
	json_object *rows = NULL;
	if (select_eq(o, "Interface", "name", name, cols, &rows, err))
		return -1;
	if (json_object_array_length(rows) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(rows, 0), "ofport", &v) &&
	    json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	json_object_put(rows);
	return n;
}

/* The uuid (heap) of the bridge holding port uuid pu, and its name in
 * *name (heap) when name is not NULL; NULL when none. */
static char *bridge_of_port(ovsb *o, const char *pu, char **name)
{
	json_object *t = ovsdb_table(o->db, "Bridge", NULL);
	char *res = NULL;
	if (name)
		*name = NULL;
	if (!t)
		return NULL;
	json_object_object_foreach(t, u, row)
	{
		json_object *ports = NULL, *nm = NULL;
		json_object_object_get_ex(row, "ports", &ports);
		if (!ovsdb_set_has_uuid(ports, pu))
			continue;
		res = strdup(u);
		if (name && json_object_object_get_ex(row, "name", &nm) &&
		    json_object_is_type(nm, json_type_string))
			*name = strdup(json_object_get_string(nm));
		break;
	}
	json_object_put(t);
	return res;
}

/*
 * Removes the OpenFlow rules and meter of port on br. Rules exist only
 * for ports whose ofport we looked up (after the switch applied them), so
 * the cached ofport is the one they use; no ofport or an internal port
 * (fake bridges, a bridge's own port): no rules, nothing to wait for.
 */
static void drop_flows(ovsb *o, const char *br, const char *port)
{
	json_object *row = ovsdb_find(o->db, "Interface", "name", port, NULL, NULL), *v = NULL;
	int64_t ofp = -1;
	const char *type = NULL;
	if (row && json_object_object_get_ex(row, "ofport", &v))
		ofp = ovsdb_int_of(v, -1);
	if (row && json_object_object_get_ex(row, "type", &v))
		type = ovsdb_str_of(v);
	bool internal = type && !strcmp(type, "internal");
	json_object_put(row);
	if (ofp <= 0 || internal)
		return;
	ofp_conn *c = of_open(o, br, false, NULL);
	if (!c)
		return;
	/* in_port=<ofport> in every table, and meter <ofport> (which may not
	 * exist: its error is expected) */
	ofp_buf fb = { 0 };
	ofp_flow df = { .command = OFPFC_DELETE, .table = OFPTT_ALL, .goto_table = -1,
			.match = { .fields = OFPM_IN_PORT, .in_port = (uint32_t)ofp } };
	ofp_enc_flow_mod(&fb, ofp_xid(c), &df);
	uint32_t ign = ofp_xid(c);
	ofp_enc_meter_mod(&fb, ign, OFPMC_DELETE, (uint32_t)ofp, 0, 0);
	(void)of_commit(o, c, &fb, &ign, 1, NULL);
}

static int port_del(netb *b, const char *port, char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	char *u = uuid_of(o, "Port", port, &r, err);
	if (r || !u)
		return r;
	/* Its OpenFlow rules go first (an ofport number is reused). */
	char *br = NULL;
	free(bridge_of_port(o, u, &br));
	pthread_mutex_lock(&o->ofmu);
	pthread_mutex_lock(&o->lock);
	ovs_memo_forget(&o->memo, port);
	pthread_mutex_unlock(&o->lock);
	if (br)
		drop_flows(o, br, port);
	pthread_mutex_unlock(&o->ofmu);
	free(br);
	json_object *ops = json_object_new_array();
	json_object *mu = op_new("mutate", "Bridge");
	json_object_object_add(mu, "where", json_object_new_array());
	json_object_object_add(mu, "mutations",
			       mutation("ports", "delete", ovsdb_set1(ovsdb_uuid(u))));
	json_object_array_add(ops, mu);
	free(u);
	return commit(o, ops, NULL, NULL, err);
}

static const char *ovs_bond_mode(const char *mode)
{
	if (!strcmp(mode, "active-backup"))
		return "active-backup";
	if (!strcmp(mode, "balance-slb"))
		return "balance-slb";
	if (!strcmp(mode, "lacp"))
		return "balance-tcp";
	return NULL;
}

static int bond_add(netb *b, const char *br, const char *bond, const char *const *members,
		    const char *mode, const char *const *props, char **err)
{
	ovsb *o = (ovsb *)b;
	const char *om = ovs_bond_mode(mode);
	if (!om) {
		seterr(err, estr("unknown bond mode %s%s", mode, ""));
		return -EINVAL;
	}
	int r = port_del(b, bond, err);
	if (r)
		return r;
	json_object *ops = json_object_new_array();
	json_object *ifs = json_object_new_array();
	size_t k = 0;
	for (; members[k]; k++) {
		char un[32];
		snprintf(un, sizeof(un), "m%zu", k);
		netb_port mp = { .name = members[k], .type = NETB_PORT_SYSTEM };
		json_object_array_add(ops, iface_insert(&mp, members[k], un));
		json_object_array_add(ifs, ovsdb_named(un));
	}
	json_object *set = json_object_new_array();
	json_object_array_add(set, json_object_new_string("set"));
	json_object_array_add(set, ifs);
	json_object *po = op_new("insert", "Port");
	json_object *row = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(bond));
	json_object_object_add(row, "interfaces", set);
	json_object_object_add(row, "bond_mode", json_object_new_string(om));
	if (!strcmp(mode, "lacp"))
		json_object_object_add(row, "lacp", json_object_new_string("active"));
	if (props)
		json_object_object_add(row, "other_config", ovsdb_map(props));
	json_object_object_add(po, "row", row);
	json_object_object_add(po, "uuid-name", json_object_new_string("port"));
	json_object_array_add(ops, po);
	attach_ops(ops, br);
	json_object *res = NULL;
	r = commit(o, ops, &res, NULL, err);
	if (!r)
		r = check_count(res, k + 1, br, err);
	json_object_put(res);
	return r;
}

/* Updates row name of table with columns (taken). */
static int update_row(ovsb *o, const char *table, const char *name, json_object *row,
		      char **err)
{
	json_object *ops = json_object_new_array();
	json_object *u = op_new("update", table);
	json_object_object_add(u, "where", ovsdb_where_eq("name", json_object_new_string(name)));
	json_object_object_add(u, "row", row);
	json_object_array_add(ops, u);
	json_object *res = NULL;
	int r = commit(o, ops, &res, NULL, err);
	if (!r) {
		json_object *c = NULL;
		if (!json_object_object_get_ex(json_object_array_get_idx(res, 0), "count", &c) ||
		    json_object_get_int(c) < 1) {
			seterr(err, estr("no %s %s", table, name));
			r = -ENOENT;
		}
	}
	json_object_put(res);
	return r;
}

static int bond_set_mode(netb *b, const char *bond, const char *mode, char **err)
{
	const char *om = ovs_bond_mode(mode);
	if (!om) {
		seterr(err, estr("unknown bond mode %s%s", mode, ""));
		return -EINVAL;
	}
	json_object *row = json_object_new_object();
	json_object_object_add(row, "bond_mode", json_object_new_string(om));
	json_object_object_add(row, "lacp",
			       json_object_new_string(strcmp(mode, "lacp") ? "off" : "active"));
	return update_row((ovsb *)b, "Port", bond, row, err);
}

static int port_set_qos(netb *b, const char *port, int64_t rate_kbps, int64_t burst_kb,
			char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	char *pu = uuid_of(o, "Port", port, &r, err), *br = NULL;
	if (pu)
		free(bridge_of_port(o, pu, &br));
	free(pu);
	if (!br) {
		seterr(err, estr("no port %s%s", port, ""));
		return r ? r : -ENOENT;
	}
	r = meter_set(o, br, port, rate_kbps, burst_kb, err);
	free(br);
	if (r)
		return r;
	json_object *row = json_object_new_object();
	if (rate_kbps < 0)
		rate_kbps = 0;
	json_object_object_add(row, "ingress_policing_rate", json_object_new_int64(rate_kbps));
	json_object_object_add(row, "ingress_policing_burst",
			       json_object_new_int64(rate_kbps ? (burst_kb > 0 ? burst_kb :
										  rate_kbps / 10) :
							       0));
	return update_row((ovsb *)b, "Interface", port, row, err);
}

/*
 * A connection to br's management socket (NULL with *err on failure).
 * When the bridge's protocols column leaves OpenFlow 1.3 out, it is
 * added (the other versions stay) and the connection retried once.
 */
static ofp_conn *of_open(ovsb *o, const char *br, bool wait, char **err)
{
	/* The bridge and its ports exist in ovs-vswitchd first. */
	if (wait && applied(o, err))
		return NULL;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s.mgmt", o->rundir, br);
	ofp_conn *c = NULL;
	char *e = NULL;
	int r = ofp_open(path, &c, &e);
	if (r == -EPROTONOSUPPORT) {
		json_object *ops = json_object_new_array();
		json_object *m = op_new("mutate", "Bridge");
		json_object_object_add(m, "where",
				       ovsdb_where_eq("name", json_object_new_string(br)));
		json_object_object_add(m, "mutations",
				       mutation("protocols", "insert",
						ovsdb_set1(json_object_new_string("OpenFlow13"))));
		json_object_array_add(ops, m);
		if (!commit(o, ops, NULL, NULL, NULL) && !applied(o, NULL)) {
			free(e);
			e = NULL;
			r = ofp_open(path, &c, &e);
		}
	}
	if (r) {
		seterr(err, e);
		return NULL;
	}
	free(e);
	return c;
}

/*
 * After the OpenFlow tables changed: the datapath still holds flows
 * cached from the old rules until ovs-vswitchd's revalidators have been
 * through them, so a packet right after the barrier could still take an
 * old path (a VIF just disabled passing one more ping). Two rounds of
 * "revalidator/wait" on its control socket (the first may end a dump
 * that began before the change); failures only logged (several
 * datapath types answer "can't wait on multiple udpifs").
 */
static void revalidated(ovsb *o)
{
	for (int i = 0; i < 2; i++) {
		char *e = NULL;
		if (ovs_appctl(o->rundir, "revalidator/wait", 5000, NULL, &e)) {
			fprintf(stderr, "net: revalidator/wait: %s\n", e ? e : "?");
			free(e);
			return;
		}
	}
}

/* Sends msgs (freed) on c, waits for the switch (barrier, then the
 * datapath's cached flows: revalidated), closes c. */
static int of_commit(ovsb *o, ofp_conn *c, ofp_buf *msgs, const uint32_t *ign, size_t nign,
		     char **err)
{
	int r = ofp_transact(c, msgs, ign, nign, err);
	ofp_buf_free(msgs);
	ofp_close(c);
	if (!r)
		revalidated(o);
	return r;
}

/* Our flows' cookies: "Hx", what the flow is for, the port it serves. */
#define HX_COOKIE(kind, ofport) \
	(UINT64_C(0x4878) << 48 | (uint64_t)(kind) << 32 | (uint32_t)(ofport))
enum { CK_PIPELINE = 0, CK_METER = 1, CK_LOCK = 2 };

/* Appends a flow add: table, priority, match m, then meter (if not 0),
 * output NORMAL (normal), goto table go (>= 0); none of them = drop. */
static void of_add(ofp_conn *c, ofp_buf *b, uint8_t table, uint16_t prio, uint32_t kind,
		   int64_t ofport, const ofp_match *m, uint32_t meter, bool normal, int go)
{
	ofp_flow f = { .command = OFPFC_ADD, .table = table, .priority = prio,
		       .cookie = HX_COOKIE(kind, ofport), .match = *m, .meter = meter,
		       .normal = normal, .goto_table = go };
	(void)ofp_enc_flow_mod(b, ofp_xid(c), &f);
}

/* Appends the non-strict delete of table's flows matching in_port. */
static void of_del_port(ofp_conn *c, ofp_buf *b, uint8_t table, int64_t ofport)
{
	ofp_flow f = { .command = OFPFC_DELETE, .table = table, .goto_table = -1,
		       .match = { .fields = OFPM_IN_PORT, .in_port = (uint32_t)ofport } };
	(void)ofp_enc_flow_mod(b, ofp_xid(c), &f);
}

/* The rate limit of port as OpenFlow meter <ofport> and a table-0 flow
 * "in_port=<ofport>,priority=100,actions=meter:<ofport>,goto_table:1";
 * rate 0 removes both. */
static int meter_apply(ovsb *o, const char *br, const char *port, int64_t rate_kbps,
		       int64_t burst_kb, char **err)
{
	int64_t ofp = ofport_of(o, port, err);
	if (ofp <= 0) {
		seterr(err, estr("port %s has no OpenFlow port number%s", port, ""));
		return -ENOENT;
	}
	if (rate_kbps > UINT32_MAX || burst_kb > UINT32_MAX) {
		seterr(err, estr("rate limit out of range for port %s%s", port, ""));
		return -EINVAL;
	}
	int r = ensure_pipeline(o, br, err);
	if (r)
		return r;
	ofp_conn *c = of_open(o, br, true, err);
	if (!c)
		return -EIO;
	ofp_buf b = { 0 };
	/* Non-strict: the only table-0 flow matching this in_port is ours. */
	of_del_port(c, &b, 0, ofp);
	uint32_t ign = ofp_xid(c); /* the meter may not exist */
	ofp_enc_meter_mod(&b, ign, OFPMC_DELETE, (uint32_t)ofp, 0, 0);
	if (rate_kbps > 0) {
		int64_t burst = burst_kb > 0 ? burst_kb : rate_kbps / 10 > 8 ? rate_kbps / 10 : 8;
		ofp_enc_meter_mod(&b, ofp_xid(c), OFPMC_ADD, (uint32_t)ofp, (uint32_t)rate_kbps,
				  (uint32_t)burst);
		ofp_match m = { .fields = OFPM_IN_PORT, .in_port = (uint32_t)ofp };
		of_add(c, &b, 0, 100, CK_METER, ofp, &m, (uint32_t)ofp, false, 1);
	}
	return of_commit(o, c, &b, &ign, 1, err);
}

/* A match on in_port and eth_src (mac already checked). */
static ofp_match lock_match(int64_t ofport, const char *mac, uint16_t eth_type)
{
	ofp_match m = { .fields = OFPM_IN_PORT | OFPM_ETH_TYPE, .in_port = (uint32_t)ofport,
			.eth_type = eth_type };
	(void)ofp_match_eth_src(&m, mac);
	return m;
}

/*
 * Port security in table 1 for the port: everything from it is dropped
 * (priority 200) except, when locked, what comes from its MAC with an
 * allowed source (priority 300, to NORMAL): DHCP discovery from 0.0.0.0,
 * ARP with its MAC and an allowed IPv4 address, IPv4 from an allowed
 * address, IPv6 from an allowed address and from link-local (neighbour
 * discovery) when any IPv6 address is allowed. Unlocked: no rules.
 */
static int lock_apply(ovsb *o, const char *br, const char *port, netb_lock mode,
		      const char *mac, const char *const *ipv4, const char *const *ipv6,
		      char **err)
{
	int64_t ofp = ofport_of(o, port, err);
	if (ofp <= 0) {
		seterr(err, estr("port %s has no OpenFlow port number%s", port, ""));
		return -ENOENT;
	}
	ofp_match probe = { 0 };
	if (mode == NETB_LOCK_LOCKED && ofp_match_eth_src(&probe, mac)) {
		seterr(err, estr("bad MAC %s%s", mac, ""));
		return -EINVAL;
	}
	int r = ensure_pipeline(o, br, err);
	if (r)
		return r;
	ofp_conn *c = of_open(o, br, true, err);
	if (!c)
		return -EIO;
	ofp_buf fb = { 0 };
	of_del_port(c, &fb, 1, ofp);
	if (mode != NETB_LOCK_UNLOCKED) {
		ofp_match drop = { .fields = OFPM_IN_PORT, .in_port = (uint32_t)ofp };
		of_add(c, &fb, 1, 200, CK_LOCK, ofp, &drop, 0, false, -1);
	}
	if (mode == NETB_LOCK_LOCKED) {
		ofp_match m = lock_match(ofp, mac, 0x0800);
		m.fields |= OFPM_IP_PROTO | OFPM_UDP_SRC | OFPM_UDP_DST;
		m.ip_proto = 17;
		m.udp_src = 68;
		m.udp_dst = 67;
		(void)ofp_match_ipv4_src(&m, "0.0.0.0");
		of_add(c, &fb, 1, 300, CK_LOCK, ofp, &m, 0, true, -1);
		for (size_t i = 0; ipv4 && ipv4[i]; i++) {
			ofp_match a = lock_match(ofp, mac, 0x0806), ip = lock_match(ofp, mac, 0x0800);
			if (ofp_match_arp_spa(&a, ipv4[i]) || ofp_match_arp_sha(&a, mac) ||
			    ofp_match_ipv4_src(&ip, ipv4[i]))
				continue;
			of_add(c, &fb, 1, 300, CK_LOCK, ofp, &a, 0, true, -1);
			of_add(c, &fb, 1, 300, CK_LOCK, ofp, &ip, 0, true, -1);
		}
		for (size_t i = 0; ipv6 && ipv6[i]; i++) {
			ofp_match m6 = lock_match(ofp, mac, 0x86dd);
			if (!ofp_match_ipv6_src(&m6, ipv6[i]))
				of_add(c, &fb, 1, 300, CK_LOCK, ofp, &m6, 0, true, -1);
		}
		if (ipv6 && ipv6[0]) {
			ofp_match ll = lock_match(ofp, mac, 0x86dd);
			(void)ofp_match_ipv6_src(&ll, "fe80::/10");
			of_add(c, &fb, 1, 300, CK_LOCK, ofp, &ll, 0, true, -1);
		}
	}
	return of_commit(o, c, &fb, NULL, 0, err);
}

/* meter_apply, remembered for on_restart. */
static int meter_set(ovsb *o, const char *br, const char *port, int64_t rate_kbps,
		     int64_t burst_kb, char **err)
{
	pthread_mutex_lock(&o->ofmu);
	int r = meter_apply(o, br, port, rate_kbps, burst_kb, err);
	if (!r) {
		pthread_mutex_lock(&o->lock);
		r = ovs_memo_set_rate(&o->memo, port, rate_kbps, burst_kb);
		pthread_mutex_unlock(&o->lock);
	}
	pthread_mutex_unlock(&o->ofmu);
	return r;
}

/* lock_apply, remembered for on_restart. */
static int port_set_lock(netb *b, const char *br, const char *port, netb_lock mode,
			 const char *mac, const char *const *ipv4, const char *const *ipv6,
			 char **err)
{
	ovsb *o = (ovsb *)b;
	pthread_mutex_lock(&o->ofmu);
	int r = lock_apply(o, br, port, mode, mac, ipv4, ipv6, err);
	if (!r) {
		pthread_mutex_lock(&o->lock);
		r = ovs_memo_set_lock(&o->memo, port, mode, mac, ipv4, ipv6);
		pthread_mutex_unlock(&o->lock);
	}
	pthread_mutex_unlock(&o->ofmu);
	return r;
}

/*
 * A new ovs-vswitchd (the settler saw its pid file change) starts with
 * empty OpenFlow tables: once it applied the current configuration (a
 * cfg bump it must catch up with, so that its ports and ofports exist),
 * the pipelines are forgotten and every remembered port's meter and
 * port security re-installed, on the port's current bridge and ofport.
 * A port that is gone from the switch is skipped (its next change or
 * port_del settles it). Non-zero (retried a second later) only when the
 * switch did not catch up.
 */
static int on_restart(void *arg)
{
	ovsb *o = arg;
	char *e = NULL;
	int r = commit(o, json_object_new_array(), NULL, NULL, &e);
	if (!r)
		r = applied(o, &e);
	free(e);
	if (r)
		return r;
	/* under ofmu: a change in flight is either in the memo or not yet
	 * made (it then goes to the new switch, pipeline included) */
	pthread_mutex_lock(&o->ofmu);
	pthread_mutex_lock(&o->lock);
	forget_pipelines(o);
	char **names = ovs_memo_names(&o->memo);
	pthread_mutex_unlock(&o->lock);
	pthread_mutex_unlock(&o->ofmu);
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; names[i]; i++) {
		pthread_mutex_lock(&o->ofmu);
		ovs_memo_port p;
		pthread_mutex_lock(&o->lock);
		bool have = ovs_memo_get(&o->memo, names[i], &p);
		pthread_mutex_unlock(&o->lock);
		char *pu = have ? uuid_of(o, "Port", names[i], &r, NULL) : NULL, *br = NULL;
		if (pu)
			free(bridge_of_port(o, pu, &br));
		free(pu);
		if (br && p.rate_kbps > 0)
			(void)meter_apply(o, br, p.name, p.rate_kbps, p.burst_kb, NULL);
		if (br && p.has_lock)
			(void)lock_apply(o, br, p.name, p.mode, p.mac, (const char *const *)p.ipv4,
					 (const char *const *)p.ipv6, NULL);
		pthread_mutex_unlock(&o->ofmu);
		free(br);
		ovs_memo_port_clear(&p);
		free(names[i]);
	}
	free(names);
	return 0;
}

static int settle(netb *b, char **err)
{
	return applied((ovsb *)b, err);
}

static const netb_ops ovs_ops = {
	.name = "openvswitch",
	.close = close_ovs,
	.bridge_add = bridge_add,
	.bridge_del = bridge_del,
	.bridge_list = bridge_list,
	.port_add = port_add,
	.port_del = port_del,
	.port_list = port_list,
	.bond_add = bond_add,
	.bond_set_mode = bond_set_mode,
	.port_set_qos = port_set_qos,
	.port_set_lock = port_set_lock,
	.settle = settle,
};

/* The tables and columns the backend reads. */
static json_object *monitor_spec(void)
{
	static const char *const spec[] = {
		"Open_vSwitch", "cur_cfg", "next_cfg", NULL,
		"Bridge", "name", "ports", "datapath_type", NULL,
		"Port", "name", "interfaces", "tag", "external_ids", NULL,
		"Interface", "name", "type", "ofport", "options", "external_ids",
		"ingress_policing_rate", "ingress_policing_burst", "mtu_request", NULL,
		NULL,
	};
	json_object *s = json_object_new_object();
	for (size_t i = 0; spec[i];) {
		const char *table = spec[i++];
		json_object *cols = json_object_new_array();
		for (; spec[i]; i++)
			json_object_array_add(cols, json_object_new_string(spec[i]));
		i++;
		json_object_object_add(s, table, cols);
	}
	return s;
}

int netb_ovs_open(const char *db_sock, const char *rundir, netb **out, char **err)
{
	ovsb *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	pthread_mutex_init(&o->lock, NULL);
	pthread_mutex_init(&o->ofmu, NULL);
	int r = ovsdb_open(db_sock, &o->db);
	if (r) {
		seterr(err, estr("cannot connect to OVSDB at %s: %s", db_sock, strerror(-r)));
		pthread_mutex_destroy(&o->ofmu);
		pthread_mutex_destroy(&o->lock);
		free(o);
		return r;
	}
	o->base.ops = &ovs_ops;
	o->rundir = strdup(rundir);
	const char *dp = getenv("HALYARD_OVS_DATAPATH");
	o->datapath = strdup(dp && *dp ? dp : "netdev");
	/* The monitor cache of what the lookups read (it also fails when
	 * the database is not Open_vSwitch). */
	if ((r = ovsdb_monitor(o->db, monitor_spec(), err))) {
		close_ovs(&o->base);
		return r;
	}
	if ((r = ovs_settler_new(db_sock, &o->settler))) {
		seterr(err, estr("cannot connect to OVSDB at %s: %s", db_sock, strerror(-r)));
		close_ovs(&o->base);
		return r;
	}
	char pidfile[4200];
	snprintf(pidfile, sizeof(pidfile), "%s/ovs-vswitchd.pid", o->rundir);
	if ((r = ovs_settler_watch(o->settler, pidfile, on_restart, o))) {
		close_ovs(&o->base);
		return r;
	}
	*out = &o->base;
	return 0;
}

int netb_settle(netb *b, char **err)
{
	return b && b->ops->settle ? b->ops->settle(b, err) : 0;
}

netb *netb_close(netb *b)
{
	if (b)
		b->ops->close(b);
	return NULL;
}
