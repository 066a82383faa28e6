/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ovs backend: bridges, ports, bonds, tunnels and ingress policing as
 * OVSDB transactions (ovsdb.c); VIF port security as OpenFlow rules.
 *
 * Every change bumps Open_vSwitch.next_cfg in the same transaction and
 * then waits (an OVSDB "wait" operation, no polling) until ovs-vswitchd
 * has applied it (cur_cfg >= that value), so a caller that returns has a
 * switch that matches.
 *
 * OpenFlow: the rules and meters are sent by our own OpenFlow 1.3 client
 * (ofp.c) on the bridge's management socket (<rundir>/<br>.mgmt), one
 * connection and one barrier per change, so a call returns once the
 * switch applied it. Only addresses and MACs that parse become matches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netback.h"
#include "ofp.h"
#include "ovsdb.h"


#define CFG_WAIT_MS 20000

typedef struct ovsb {
	netb base;
	ovsdb *db;
	char *rundir;
	char *datapath; /* datapath_type of the bridges we create */
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

/* Waits until ovs-vswitchd applied configuration cfg. */
static int wait_cfg(ovsb *o, int64_t cfg, char **err)
{
	json_object *ops = json_object_new_array();
	json_object *w = op_new("wait", "Open_vSwitch");
	json_object_object_add(w, "timeout", json_object_new_int(CFG_WAIT_MS));
	json_object *where = json_object_new_array(), *c = json_object_new_array();
	json_object_array_add(c, json_object_new_string("cur_cfg"));
	json_object_array_add(c, json_object_new_string(">="));
	json_object_array_add(c, json_object_new_int64(cfg));
	json_object_array_add(where, c);
	json_object_object_add(w, "where", where);
	json_object_object_add(w, "columns", json_object_new_array());
	json_object_object_add(w, "until", json_object_new_string("=="));
	json_object *rows = json_object_new_array();
	json_object_array_add(rows, json_object_new_object());
	json_object_object_add(w, "rows", rows);
	json_object_array_add(ops, w);
	int r = ovsdb_transact(o->db, ops, NULL, err);
	if (r == -EPROTO && err && *err && strstr(*err, "timed out")) {
		free(*err);
		*err = estr("ovs-vswitchd did not apply the change (is it running?)%s%s", "",
			    "");
		r = -ETIMEDOUT;
	}
	return r;
}

/* Runs ops (taken) with a cfg bump and waits for the switch. */
static int commit(ovsb *o, json_object *ops, json_object **result, char **err)
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
	if (result)
		*result = res;
	else
		json_object_put(res);
	r = wait_cfg(o, cfg, err);
	if (r && result) {
		json_object_put(*result);
		*result = NULL;
	}
	return r;
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

/* The _uuid of the row of table named name (heap), or NULL. */
static char *uuid_of(ovsb *o, const char *table, const char *name, int *r, char **err)
{
	static const char *const cols[] = { "_uuid", NULL };
	json_object *rows = NULL;
	*r = select_eq(o, table, "name", name, cols, &rows, err);
	if (*r)
		return NULL;
	json_object *wrap = json_object_new_object();
	json_object_object_add(wrap, "rows", rows);
	const char *u = ovsdb_row_uuid(wrap, 0);
	char *res = u ? strdup(u) : NULL;
	json_object_put(wrap);
	return res;
}

static ofp_conn *of_open(ovsb *o, const char *br, char **err);
static int of_commit(ofp_conn *c, ofp_buf *msgs, const uint32_t *ign, size_t nign,
		     char **err);
static void of_add(ofp_conn *c, ofp_buf *b, uint8_t table, uint16_t prio, uint32_t kind,
		   int64_t ofport, const ofp_match *m, uint32_t meter, bool normal, int go);

/*
 * The OpenFlow pipeline of every bridge we manage: table 0 meters ports
 * with a rate limit (userspace datapaths police with OpenFlow meters;
 * Interface.ingress_policing_rate needs kernel tc actions that a host may
 * lack), table 1 holds port security and ends in NORMAL switching.
 */
static int pipeline(ovsb *o, const char *br, char **err)
{
	ofp_conn *c = of_open(o, br, err);
	if (!c)
		return -EIO;
	ofp_buf b = { 0 };
	ofp_match any = { 0 };
	of_add(c, &b, 0, 1, 0, 0, &any, 0, false, 1);	/* table=0,priority=1,goto_table:1 */
	of_add(c, &b, 1, 0, 0, 0, &any, 0, true, -1);	/* table=1,priority=0,NORMAL */
	return of_commit(c, &b, NULL, 0, err);
}

static void close_ovs(netb *b)
{
	ovsb *o = (ovsb *)b;
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
		free(u);
		return pipeline(o, br, err);
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
	r = commit(o, ops, NULL, err);
	return r ? r : pipeline(o, br, err);
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

static int bridge_del(netb *b, const char *br, char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	char *u = uuid_of(o, "Bridge", br, &r, err);
	if (r || !u)
		return r;
	json_object *ops = json_object_new_array();
	json_object *m = op_new("mutate", "Open_vSwitch");
	json_object_object_add(m, "where", json_object_new_array());
	json_object_object_add(m, "mutations",
			       mutation("bridges", "delete", ovsdb_set1(ovsdb_uuid(u))));
	json_object_array_add(ops, m);
	free(u);
	return commit(o, ops, NULL, err);
}

/* The string column col of every row (heap array). */
static int names_of(json_object *rows, const char *col, char ***names, size_t *n)
{
	size_t k = json_object_array_length(rows);
	char **v = calloc(k + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < k; i++) {
		json_object *c = NULL;
		if (json_object_object_get_ex(json_object_array_get_idx(rows, i), col, &c) &&
		    json_object_is_type(c, json_type_string))
			v[m++] = strdup(json_object_get_string(c));
	}
	*names = v;
	*n = m;
	return 0;
}

static int bridge_list(netb *b, char ***names, size_t *n, char **err)
{
	static const char *const cols[] = { "name", NULL };
	json_object *rows = NULL;
	int r = select_eq((ovsb *)b, "Bridge", NULL, NULL, cols, &rows, err);
	if (r)
		return r;
	r = names_of(rows, "name", names, n);
	json_object_put(rows);
	return r;
}

/* Adds the uuids of an OVSDB set-or-single value to a NULL-terminated
 * heap list. */
static bool set_has_uuid(json_object *v, const char *uuid)
{
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
		return false;
	const char *tag = json_object_get_string(json_object_array_get_idx(v, 0));
	json_object *x = json_object_array_get_idx(v, 1);
	if (!strcmp(tag, "uuid"))
		return !strcmp(json_object_get_string(x), uuid);
	if (strcmp(tag, "set") || !json_object_is_type(x, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(x); i++)
		if (set_has_uuid(json_object_array_get_idx(x, i), uuid))
			return true;
	return false;
}

static int port_list(netb *b, const char *br, char ***names, size_t *n, char **err)
{
	static const char *const bcols[] = { "ports", NULL };
	static const char *const pcols[] = { "_uuid", "name", NULL };
	ovsb *o = (ovsb *)b;
	json_object *brows = NULL, *prows = NULL;
	int r = select_eq(o, "Bridge", "name", br, bcols, &brows, err);
	if (r)
		return r;
	if (json_object_array_length(brows) != 1) {
		json_object_put(brows);
		seterr(err, estr("no bridge %s%s", br, ""));
		return -ENOENT;
	}
	json_object *ports = NULL;
	json_object_object_get_ex(json_object_array_get_idx(brows, 0), "ports", &ports);
	if ((r = select_eq(o, "Port", NULL, NULL, pcols, &prows, err))) {
		json_object_put(brows);
		return r;
	}
	size_t k = json_object_array_length(prows), m = 0;
	char **v = calloc(k + 1, sizeof(char *));
	for (size_t i = 0; v && i < k; i++) {
		json_object *row = json_object_array_get_idx(prows, i), *u = NULL, *nm = NULL;
		json_object_object_get_ex(row, "_uuid", &u);
		json_object_object_get_ex(row, "name", &nm);
		const char *us = json_object_get_string(json_object_array_get_idx(u, 1));
		const char *ns = json_object_get_string(nm);
		if (us && ns && strcmp(ns, br) && set_has_uuid(ports, us))
			v[m++] = strdup(ns);
	}
	json_object_put(brows);
	json_object_put(prows);
	if (!v)
		return -ENOMEM;
	*names = v;
	*n = m;
	return 0;
}

/* An Interface insert op named uname for the port description. */
static json_object *iface_insert(const netb_port *p, const char *name, const char *uname)
{
	json_object *i = op_new("insert", "Interface");
	json_object *row = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(name));
	const char *type = p->type == NETB_PORT_INTERNAL ? "internal" :
			   p->type == NETB_PORT_VXLAN	 ? "vxlan" :
			   p->type == NETB_PORT_GRE	 ? "gre" :
							   "";
	json_object_object_add(row, "type", json_object_new_string(type));
	if (p->type == NETB_PORT_VXLAN || p->type == NETB_PORT_GRE) {
		const char *kv[] = { "remote_ip", p->remote_ip ? p->remote_ip : "",
				     p->key ? "key" : NULL, p->key, NULL };
		json_object_object_add(row, "options", ovsdb_map(kv));
	}
	if (p->rate_kbps > 0) {
		json_object_object_add(row, "ingress_policing_rate",
				       json_object_new_int64(p->rate_kbps));
		json_object_object_add(row, "ingress_policing_burst",
				       json_object_new_int64(p->burst_kb > 0 ? p->burst_kb :
									     p->rate_kbps / 10));
	}
	if (p->ids)
		json_object_object_add(row, "external_ids", ovsdb_map(p->ids));
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

static int port_add(netb *b, const char *br, const netb_port *p, char **err)
{
	ovsb *o = (ovsb *)b;
	int r = port_del(b, p->name, err);
	if (r)
		return r;
	json_object *ops = json_object_new_array();
	json_object_array_add(ops, iface_insert(p, p->name, "iface"));
	json_object *po = op_new("insert", "Port");
	json_object *row = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(p->name));
	json_object_object_add(row, "interfaces", ovsdb_named("iface"));
	if (p->tag > 0)
		json_object_object_add(row, "tag", json_object_new_int(p->tag));
	if (p->ids)
		json_object_object_add(row, "external_ids", ovsdb_map(p->ids));
	json_object_object_add(po, "row", row);
	json_object_object_add(po, "uuid-name", json_object_new_string("port"));
	json_object_array_add(ops, po);
	attach_ops(ops, br);
	json_object *res = NULL;
	/* A missing bridge leaves the new rows unreferenced: OVSDB drops
	 * them at commit, and the count tells us. */
	r = commit(o, ops, &res, err);
	if (!r)
		r = check_count(res, 2, br, err);
	json_object_put(res);
	if (!r && p->rate_kbps > 0)
		r = meter_set(o, br, p->name, p->rate_kbps, p->burst_kb, err);
	return r;
}

/* The ofport of interface name (-1 when unknown). */
static int64_t ofport_of(ovsb *o, const char *name, char **err)
{
	static const char *const cols[] = { "ofport", NULL };
	json_object *rows = NULL;
	if (select_eq(o, "Interface", "name", name, cols, &rows, err))
		return -1;
	int64_t n = -1;
	json_object *v = NULL;
	if (json_object_array_length(rows) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(rows, 0), "ofport", &v) &&
	    json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	json_object_put(rows);
	return n;
}

/* The name of the bridge holding port uuid pu (heap) or NULL. */
static char *bridge_of_port(ovsb *o, const char *pu, char **err)
{
	static const char *const cols[] = { "name", "ports", NULL };
	json_object *rows = NULL;
	if (select_eq(o, "Bridge", NULL, NULL, cols, &rows, err))
		return NULL;
	char *res = NULL;
	for (size_t i = 0; !res && i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i), *ports = NULL, *nm = NULL;
		json_object_object_get_ex(row, "ports", &ports);
		json_object_object_get_ex(row, "name", &nm);
		if (set_has_uuid(ports, pu))
			res = strdup(json_object_get_string(nm));
	}
	json_object_put(rows);
	return res;
}

static int port_del(netb *b, const char *port, char **err)
{
	ovsb *o = (ovsb *)b;
	int r;
	char *u = uuid_of(o, "Port", port, &r, err);
	if (r || !u)
		return r;
	/* Its OpenFlow rules go first (an ofport number is reused). */
	char *br = bridge_of_port(o, u, NULL);
	int64_t ofp = ofport_of(o, port, NULL);
	ofp_conn *c = br && ofp > 0 ? of_open(o, br, NULL) : NULL;
	if (c) {
		/* in_port=<ofport> in every table, and meter <ofport> */
		ofp_buf fb = { 0 };
		ofp_flow df = { .command = OFPFC_DELETE, .table = OFPTT_ALL, .goto_table = -1,
				.match = { .fields = OFPM_IN_PORT, .in_port = (uint32_t)ofp } };
		ofp_enc_flow_mod(&fb, ofp_xid(c), &df);
		ofp_enc_meter_mod(&fb, ofp_xid(c), OFPMC_DELETE, (uint32_t)ofp, 0, 0);
		(void)of_commit(c, &fb, NULL, 0, NULL);
	}
	free(br);
	json_object *ops = json_object_new_array();
	json_object *mu = op_new("mutate", "Bridge");
	json_object_object_add(mu, "where", json_object_new_array());
	json_object_object_add(mu, "mutations",
			       mutation("ports", "delete", ovsdb_set1(ovsdb_uuid(u))));
	json_object_array_add(ops, mu);
	free(u);
	return commit(o, ops, NULL, err);
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
	r = commit(o, ops, &res, err);
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
	int r = commit(o, ops, &res, err);
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
	char *pu = uuid_of(o, "Port", port, &r, err);
	char *br = pu ? bridge_of_port(o, pu, err) : NULL;
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
static ofp_conn *of_open(ovsb *o, const char *br, char **err)
{
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
		if (!commit(o, ops, NULL, NULL)) {
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

/* Sends msgs (freed) on c, waits for the switch, closes c. */
static int of_commit(ofp_conn *c, ofp_buf *msgs, const uint32_t *ign, size_t nign,
		     char **err)
{
	int r = ofp_transact(c, msgs, ign, nign, err);
	ofp_buf_free(msgs);
	ofp_close(c);
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
static int meter_set(ovsb *o, const char *br, const char *port, int64_t rate_kbps,
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
	ofp_conn *c = of_open(o, br, err);
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
	return of_commit(c, &b, &ign, 1, err);
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
static int port_set_lock(netb *b, const char *br, const char *port, netb_lock mode,
			 const char *mac, const char *const *ipv4, const char *const *ipv6,
			 char **err)
{
	ovsb *o = (ovsb *)b;
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
	ofp_conn *c = of_open(o, br, err);
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
	return of_commit(c, &fb, NULL, 0, err);
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
};

int netb_ovs_open(const char *db_sock, const char *rundir, netb **out, char **err)
{
	ovsb *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	int r = ovsdb_open(db_sock, &o->db);
	if (r) {
		seterr(err, estr("cannot connect to OVSDB at %s: %s", db_sock, strerror(-r)));
		free(o);
		return r;
	}
	/* The connection works only when the database is Open_vSwitch. */
	static const char *const cols[] = { "cur_cfg", NULL };
	json_object *rows = NULL;
	o->base.ops = &ovs_ops;
	o->rundir = strdup(rundir);
	const char *dp = getenv("HALYARD_OVS_DATAPATH");
	o->datapath = strdup(dp && *dp ? dp : "netdev");
	if ((r = select_eq(o, "Open_vSwitch", NULL, NULL, cols, &rows, err))) {
		close_ovs(&o->base);
		return r;
	}
	json_object_put(rows);
	*out = &o->base;
	return 0;
}

netb *netb_close(netb *b)
{
	if (b)
		b->ops->close(b);
	return NULL;
}
