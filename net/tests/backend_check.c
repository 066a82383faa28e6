/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drives a network backend against a real switch and checks each step
 * with the switch's own tools (ovs-vsctl / ovs-ofctl or /sys). Run by
 * test_backend.py inside a private network namespace with a private OVS:
 *   backend_check ovs DB_SOCK RUNDIR | backend_check bridge
 * Needs veths ethA, ethB, ethC in the namespace.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "netback.h"
#include "ofp.h"
#include "ovsdb.h"

static const char *db;

/* The output of a shell command (heap, trailing newline cut). */
static char *sh(const char *fmt, const char *a, const char *b)
{
	char cmd[1024], buf[8192];
	snprintf(cmd, sizeof(cmd), fmt, db ? db : "", a ? a : "", b ? b : "");
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;
	if (p)
		pclose(p);
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return strdup(buf);
}

static bool has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void freev(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

#define VSCTL "ovs-vsctl --db=unix:%s "

/* A value in a form that does not depend on how the server wrote it
 * (a set of one as a bare atom, element order). */
static char *canon(json_object *v)
{
	size_t n = ovsdb_set_len(v);
	bool map = json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2 &&
		   !strcmp(json_object_get_string(json_object_array_get_idx(v, 0)), "map");
	json_object *l = map ? json_object_array_get_idx(v, 1) : NULL;
	if (map)
		n = json_object_array_length(l);
	char **parts = calloc(n + 1, sizeof(char *));
	size_t len = 1;
	for (size_t i = 0; i < n; i++) {
		json_object *e = map ? json_object_array_get_idx(l, i) : ovsdb_set_at(v, i);
		parts[i] = strdup(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
		len += strlen(parts[i]) + 1;
	}
	for (size_t i = 0; i + 1 < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(parts[i], parts[j]) > 0) {
				char *x = parts[i];
				parts[i] = parts[j];
				parts[j] = x;
			}
	char *out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(out, parts[i]);
		strcat(out, ";");
		free(parts[i]);
	}
	free(parts);
	return out;
}

static bool is_default(json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return !*json_object_get_string(v);
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v) == 0;
	if (json_object_is_type(v, json_type_boolean))
		return !json_object_get_boolean(v);
	return json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2 &&
	       json_object_array_length(json_object_array_get_idx(v, 1)) == 0;
}

static const char *const mon_tables[][6] = {
	{ "Bridge", "name", "ports", NULL },
	{ "Port", "name", "interfaces", "tag", "external_ids", NULL },
	{ "Interface", "name", "ofport", "type", "options", NULL },
};

static json_object *mon_spec(void)
{
	json_object *spec = json_object_new_object();
	for (size_t t = 0; t < 3; t++) {
		json_object *cols = json_object_new_array();
		for (size_t c = 1; mon_tables[t][c]; c++)
			json_object_array_add(cols, json_object_new_string(mon_tables[t][c]));
		json_object_object_add(spec, mon_tables[t][0], cols);
	}
	return spec;
}

/* The monitor cache (kept by update2 diffs through every change above)
 * equals what the server answers to a select now. */
static void check_cache(ovsdb *mon)
{
	CHECK(ovsdb_sync(mon) == 0, "sync");
	size_t rows = 0, bad = 0;
	for (size_t t = 0; t < 3; t++) {
		json_object *ops = json_object_new_array(), *sel = json_object_new_object();
		json_object_object_add(sel, "op", json_object_new_string("select"));
		json_object_object_add(sel, "table", json_object_new_string(mon_tables[t][0]));
		json_object_object_add(sel, "where", json_object_new_array());
		json_object_array_add(ops, sel);
		json_object *res = NULL, *rr = NULL;
		char *err = NULL;
		CHECK(ovsdb_transact(mon, ops, &res, &err) == 0, "select: %s", err);
		free(err);
		json_object_object_get_ex(json_object_array_get_idx(res, 0), "rows", &rr);
		json_object *cached = ovsdb_table(mon, mon_tables[t][0], NULL);
		CHECK((size_t)json_object_object_length(cached) == json_object_array_length(rr),
		      "%s: %d cached rows, %zu on the server", mon_tables[t][0],
		      json_object_object_length(cached), json_object_array_length(rr));
		for (size_t i = 0; i < json_object_array_length(rr); i++) {
			json_object *row = json_object_array_get_idx(rr, i), *u = NULL, *c = NULL;
			json_object_object_get_ex(row, "_uuid", &u);
			json_object_object_get_ex(cached, ovsdb_uuid_of(u), &c);
			rows++;
			for (size_t k = 1; mon_tables[t][k]; k++) {
				json_object *a = NULL, *b = NULL;
				json_object_object_get_ex(row, mon_tables[t][k], &a);
				if (c)
					json_object_object_get_ex(c, mon_tables[t][k], &b);
				/* update2 leaves out columns that have their
				 * default value. */
				char *ca = canon(a), *cb = b ? canon(b) : strdup("(none)");
				if (!b && is_default(a)) {
					free(cb);
					cb = strdup(ca);
				}
				if (strcmp(ca, cb)) {
					bad++;
					fprintf(stderr, "cache differs: %s.%s: server %s cache %s\n",
						mon_tables[t][0], mon_tables[t][k], ca, cb);
				}
				free(ca);
				free(cb);
			}
		}
		json_object_put(cached);
		json_object_put(res);
	}
	CHECK(bad == 0 && rows > 0, "%zu of the values of %zu rows differ", bad, rows);
	printf("ok: the monitor cache (update2 diffs) equals a fresh select: %zu rows\n", rows);
}

static void run_ovs(netb *b)
{
	ovsdb *mon = NULL;
	char *merr = NULL;
	CHECK(ovsdb_open(db, &mon) == 0 && ovsdb_monitor(mon, mon_spec(), &merr) == 0,
	      "a monitor of our own: %s", merr);
	char *err = NULL;
	CHECK(b->ops->bridge_add(b, "hxbr0", 1500, &err) == 0, "bridge_add: %s", err);
	CHECK(b->ops->bridge_add(b, "hxbr0", 1500, &err) == 0, "bridge_add again: %s", err);
	char *s = sh(VSCTL "br-exists %s && echo yes", "hxbr0", NULL);
	CHECK(!strcmp(s, "yes"), "ovs-vsctl sees hxbr0: %s", s);
	free(s);
	s = sh(VSCTL "get bridge %s datapath_type", "hxbr0", NULL);
	CHECK(!strcmp(s, "netdev"), "datapath_type %s", s);
	free(s);
	OK("bridge_add creates a netdev bridge, idempotently");

	const char *ids[] = { "xs-network-uuid", "n1", NULL };
	netb_port p = { .name = "ethA", .type = NETB_PORT_SYSTEM, .tag = 42, .ids = ids };
	CHECK(b->ops->port_add(b, "hxbr0", &p, &err) == 0, "port_add: %s", err);
	s = sh(VSCTL "get port %s tag", "ethA", NULL);
	CHECK(!strcmp(s, "42"), "tag %s", s);
	free(s);
	s = sh(VSCTL "port-to-br %s", "ethA", NULL);
	CHECK(!strcmp(s, "hxbr0"), "port-to-br %s", s);
	free(s);
	CHECK(netb_settle(b, &err) == 0, "settle: %s", err);
	s = sh(VSCTL "get interface %s ofport", "ethA", NULL);
	CHECK(atoi(s) > 0, "ofport %s", s);
	free(s);
	char *iu = sh(VSCTL "get interface %s _uuid", "ethA", NULL);
	CHECK(b->ops->port_add(b, "hxbr0", &p, &err) == 0, "port_add same: %s", err);
	s = sh(VSCTL "get interface %s _uuid", "ethA", NULL);
	CHECK(*iu && !strcmp(s, iu), "same port again keeps the Interface row: %s / %s", iu, s);
	free(s);
	p.tag = 0;
	CHECK(b->ops->port_add(b, "hxbr0", &p, &err) == 0, "port_add again: %s", err);
	s = sh(VSCTL "get port %s tag", "ethA", NULL);
	CHECK(!strcmp(s, "[]"), "tag after re-add %s", s);
	free(s);
	s = sh(VSCTL "get interface %s _uuid", "ethA", NULL);
	CHECK(!strcmp(s, iu), "a changed tag is updated in place: %s / %s", iu, s);
	free(s);
	free(iu);
	OK("port_add of an existing port reconciles in place (same Interface uuid)");

	/* A fake bridge replaces a standalone bridge of its name, and the
	 * backend brings its device up once the switch made it. */
	CHECK(b->ops->bridge_add(b, "hxfk0", 1500, &err) == 0, "bridge_add hxfk0: %s", err);
	netb_port fk = { .name = "hxfk0", .type = NETB_PORT_INTERNAL, .tag = 7 };
	CHECK(b->ops->port_add(b, "hxbr0", &fk, &err) == 0, "fake bridge: %s", err);
	s = sh(VSCTL "--bare --columns=name find bridge name=%s", "hxfk0", NULL);
	CHECK(!*s, "no standalone bridge hxfk0 left: %s", s);
	free(s);
	s = sh(VSCTL "port-to-br %s", "hxfk0", NULL);
	CHECK(!strcmp(s, "hxbr0"), "hxfk0 is a port of hxbr0: %s", s);
	free(s);
	s = sh(VSCTL "get port %s tag", "hxfk0", NULL);
	CHECK(!strcmp(s, "7"), "fake bridge tag %s", s);
	free(s);
	CHECK(netb_settle(b, &err) == 0, "settle: %s", err);
	bool up = false;
	for (int i = 0; i < 100 && !up; i++) {
		s = sh("%.0sip -o link show %s", "hxfk0", NULL);
		up = strstr(s, "<") && strstr(s, ",UP");
		free(s);
		if (!up)
			usleep(50000);
	}
	CHECK(up, "the fake bridge's device came up");
	CHECK(b->ops->port_del(b, "hxfk0", &err) == 0, "port_del hxfk0: %s", err);
	OK("an internal port replaces the bridge of its name in one step; its device comes up");
	netb_port q = { .name = "ethC", .type = NETB_PORT_SYSTEM };
	err = NULL;
	CHECK(b->ops->port_add(b, "nosuchbr", &q, &err) == -ENOENT, "port on missing bridge");
	free(err);
	err = NULL;
	s = sh(VSCTL "--bare --columns=name find interface name=%s", "ethC", NULL);
	CHECK(!*s, "no stray interface row: %s", s);
	free(s);
	OK("port_add with and without a VLAN tag, re-add replaces, missing bridge -> ENOENT and no rows");

	CHECK(b->ops->port_set_qos(b, "ethA", 8000, 0, &err) == 0, "qos: %s", err);
	s = sh(VSCTL "get interface %s ingress_policing_rate", "ethA", NULL);
	CHECK(!strcmp(s, "8000"), "rate %s", s);
	free(s);
	char *rundir = getenv("HX_RUNDIR");
	const char *meters = "%.0sovs-ofctl -O OpenFlow13 dump-meters unix:%s/%s.mgmt";
	const char *dump = "%.0sovs-ofctl -O OpenFlow13 dump-flows unix:%s/%s.mgmt";
	s = sh(meters, rundir, "hxbr0");
	CHECK(strstr(s, "kbps burst") && strstr(s, "type=drop rate=8000 burst_size=800"),
	      "meters: %s", s);
	free(s);
	s = sh(dump, rundir, "hxbr0");
	/* table 1's only flow, whatever its counters (the namespace's own
	 * packets may have passed it) */
	const char *t1 = strstr(s, "table=1, ");
	const char *t1n = t1 ? strstr(t1, "priority=0 actions=NORMAL") : NULL;
	const char *t1e = t1 ? strchr(t1, '\n') : NULL;
	CHECK(strstr(s, "cookie=0x48780001") && strstr(s, "priority=100,in_port=") &&
		      strstr(s, "actions=meter:") && strstr(s, "goto_table:1") &&
		      strstr(s, "priority=1 actions=goto_table:1") && t1n && (!t1e || t1n < t1e),
	      "flows: %s", s);
	free(s);
	OK("ingress policing set on the interface; OpenFlow meter (kbps, burst, drop band) and "
	   "its table-0 flow on the switch, pipeline flows in tables 0 and 1");

	/* The bridge allows OpenFlow 1.0 only: the backend adds 1.3. */
	s = sh(VSCTL "set bridge %s protocols=OpenFlow10 && echo set", "hxbr0", NULL);
	CHECK(!strcmp(s, "set"), "protocols: %s", s);
	free(s);

	const char *v4[] = { "10.0.0.5", "bad'addr", NULL };
	CHECK(b->ops->port_set_lock(b, "hxbr0", "ethA", NETB_LOCK_LOCKED, "02:00:00:00:00:05",
				    v4, NULL, &err) == 0,
	      "lock: %s", err);
	s = sh(VSCTL "get bridge %s protocols", "hxbr0", NULL);
	CHECK(strstr(s, "OpenFlow13") && strstr(s, "OpenFlow10"), "protocols after lock: %s", s);
	free(s);
	s = sh(dump, rundir, "hxbr0");
	CHECK(strstr(s, "nw_src=10.0.0.5") && strstr(s, "arp_spa=10.0.0.5") &&
		      strstr(s, "arp_sha=02:00:00:00:00:05") && strstr(s, "tp_src=68,tp_dst=67") &&
		      strstr(s, "priority=200,in_port=") && strstr(s, "actions=drop") &&
		      strstr(s, "cookie=0x48780002") && !strstr(s, "bad"),
	      "flows: %s", s);
	free(s);
	const char *v6[] = { "2001:db8::5", NULL };
	CHECK(b->ops->port_set_lock(b, "hxbr0", "ethA", NETB_LOCK_LOCKED, "02:00:00:00:00:05",
				    v4, v6, &err) == 0,
	      "lock v6: %s", err);
	s = sh(dump, rundir, "hxbr0");
	CHECK(strstr(s, "ipv6_src=2001:db8::5") && strstr(s, "ipv6_src=fe80::/10") &&
		      strstr(s, "nw_src=10.0.0.5"),
	      "flows: %s", s);
	free(s);
	/* ovs-vswitchd crashes and a new one starts with empty OpenFlow
	 * tables: the backend notices (its pid file) and puts the port's
	 * meter and port security back without any call. */
	const char *ovs = getenv("HX_OVS"), *ns = getenv("HX_NETNS");
	if (ovs && ns) {
		s = sh("%.0sp=$(cat %s/ovs-vswitchd.pid) && kill -9 $p && "
		       "while kill -0 $p 2>/dev/null; do sleep 0.05; done && echo killed",
		       rundir, NULL);
		CHECK(!strcmp(s, "killed"), "kill ovs-vswitchd: %s", s);
		free(s);
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "%%.0s%s start %%s %s >/dev/null && echo started", ovs, ns);
		s = sh(cmd, rundir, NULL);
		CHECK(!strcmp(s, "started"), "restart ovs-vswitchd: %s", s);
		free(s);
		const char *quiet_dump = "%.0sovs-ofctl -O OpenFlow13 dump-flows unix:%s/%s.mgmt 2>&1";
		const char *quiet_meters = "%.0sovs-ofctl -O OpenFlow13 dump-meters unix:%s/%s.mgmt 2>&1";
		bool back = false;
		char *f = NULL, *m = NULL;
		/* a deadline for the test, not a timing check */
		for (int i = 0; i < 600 && !back; i++) {
			free(f);
			free(m);
			f = sh(quiet_dump, rundir, "hxbr0");
			m = sh(quiet_meters, rundir, "hxbr0");
			back = strstr(f, "nw_src=10.0.0.5") && strstr(f, "ipv6_src=2001:db8::5") &&
			       strstr(f, "priority=200,in_port=") && strstr(f, "actions=meter:") &&
			       strstr(f, "priority=1 actions=goto_table:1") &&
			       strstr(m, "type=drop rate=8000 burst_size=800");
			if (!back)
				usleep(100000);
		}
		CHECK(back, "rules after the restart: flows %s meters %s", f, m);
		free(f);
		free(m);
		OK("after ovs-vswitchd is killed and restarted, the locked port's rules, its meter "
		   "and the pipeline are back on the switch without any call");
	}
	CHECK(b->ops->port_set_lock(b, "hxbr0", "ethA", NETB_LOCK_DISABLED, NULL, NULL, NULL,
				    &err) == 0,
	      "disable: %s", err);
	s = sh(dump, rundir, "hxbr0");
	CHECK(strstr(s, "actions=drop") && !strstr(s, "nw_src=10.0.0.5") &&
		      !strstr(s, "ipv6_src"),
	      "flows when disabled: %s", s);
	free(s);
	CHECK(b->ops->port_set_lock(b, "hxbr0", "ethA", NETB_LOCK_UNLOCKED, NULL, NULL, NULL,
				    &err) == 0,
	      "unlock: %s", err);
	s = sh(dump, rundir, "hxbr0");
	CHECK(!strstr(s, "actions=drop"), "flows after unlock: %s", s);
	free(s);
	OK("locked port gets MAC/IP rules and a drop (a bad address never reaches the switch), "
	   "IPv6 and link-local rules, disabled only the drop, unlocked none; a bridge allowing "
	   "only OpenFlow 1.0 gets 1.3 added to its protocols");

	/* An OpenFlow error comes back as one with its type and code. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/hxbr0.mgmt", rundir);
	ofp_conn *c = NULL;
	CHECK(ofp_open(path, &c, &err) == 0, "ofp_open: %s", err);
	if (c) {
		ofp_buf mb = { 0 };
		ofp_flow f = { .command = OFPFC_ADD, .table = 0, .priority = 5, .meter = 4242,
			       .goto_table = 1 };
		ofp_enc_flow_mod(&mb, ofp_xid(c), &f);
		int r = ofp_transact(c, &mb, NULL, 0, &err);
		CHECK(r == -EPROTO && err && strstr(err, "OpenFlow error METER_MOD_FAILED/") && strstr(err, "(type 12, code ") &&
			      strstr(err, "for FLOW_MOD"),
		      "flow with an unknown meter: %d %s", r, err);
		if (err)
			printf("  (the switch said: %s)\n", err);
		free(err);
		err = NULL;
		mb.len = 0;
		uint32_t ign = ofp_xid(c);
		ofp_enc_meter_mod(&mb, ign, OFPMC_DELETE, 4243, 0, 0);
		CHECK(ofp_transact(c, &mb, &ign, 1, &err) == 0, "ignored: %s", err);
		ofp_buf_free(&mb);
		c = ofp_close(c);
	}
	s = sh(dump, rundir, "hxbr0");
	CHECK(!strstr(s, "meter:4242"), "refused flow absent: %s", s);
	free(s);
	err = NULL;
	CHECK(ofp_open("/nonexistent/x.mgmt", &c, &err) == -ENOENT && err && !c, "no socket");
	free(err);
	err = NULL;
	OK("an OpenFlow error reply becomes -EPROTO naming type/code and the refused message; "
	   "an expected error is ignored; a missing socket is -ENOENT");

	const char *mem[] = { "ethB", "ethC", NULL };
	const char *props[] = { "bond-detect-mode", "carrier", NULL };
	CHECK(b->ops->bond_add(b, "hxbr0", "bond0", mem, "active-backup", props, &err) == 0,
	      "bond: %s", err);
	s = sh(VSCTL "get port %s bond_mode", "bond0", NULL);
	CHECK(!strcmp(s, "active-backup"), "bond_mode %s", s);
	free(s);
	CHECK(b->ops->bond_set_mode(b, "bond0", "balance-slb", &err) == 0, "set_mode: %s", err);
	s = sh(VSCTL "get port %s bond_mode", "bond0", NULL);
	CHECK(!strcmp(s, "balance-slb"), "bond_mode after set %s", s);
	free(s);
	OK("bond of two members, set_mode");

	netb_port t = { .name = "hxtun0", .type = NETB_PORT_VXLAN, .remote_ip = "192.0.2.9",
			.key = "77" };
	CHECK(b->ops->port_add(b, "hxbr0", &t, &err) == 0, "vxlan: %s", err);
	s = sh(VSCTL "get interface %s options:remote_ip", "hxtun0", NULL);
	CHECK(!strcmp(s, "\"192.0.2.9\""), "remote_ip %s", s);
	free(s);
	OK("vxlan tunnel port");

	char **v = NULL;
	size_t n = 0;
	CHECK(b->ops->port_list(b, "hxbr0", &v, &n, &err) == 0, "port_list: %s", err);
	CHECK(n == 3 && has(v, n, "ethA") && has(v, n, "bond0") && has(v, n, "hxtun0"),
	      "ports (%zu)", n);
	freev(v, n);
	CHECK(b->ops->port_set_qos(b, "ethA", 4000, 0, &err) == 0, "qos: %s", err);
	CHECK(b->ops->port_set_lock(b, "hxbr0", "ethA", NETB_LOCK_DISABLED, NULL, NULL, NULL,
				    &err) == 0, "disable: %s", err);
	CHECK(b->ops->port_del(b, "ethA", &err) == 0, "port_del: %s", err);
	CHECK(b->ops->port_del(b, "ethA", &err) == 0, "port_del again: %s", err);
	s = sh(dump, rundir, "hxbr0");
	CHECK(!strstr(s, "in_port=") && !strstr(s, "meter:"), "flows after port_del: %s", s);
	free(s);
	s = sh(meters, rundir, "hxbr0");
	CHECK(!strstr(s, "meter="), "meters after port_del: %s", s);
	free(s);
	s = sh(VSCTL "list-ports %s", "hxbr0", NULL);
	CHECK(!strstr(s, "ethA"), "ports after del: %s", s);
	free(s);
	OK("port_list and port_del (idempotent)");
	check_cache(mon);
	ovsdb_close(mon);

	CHECK(b->ops->bridge_list(b, &v, &n, &err) == 0 && has(v, n, "hxbr0"), "bridge_list");
	freev(v, n);
	CHECK(b->ops->bridge_del(b, "hxbr0", &err) == 0, "bridge_del: %s", err);
	s = sh(VSCTL "list-br%s%s", NULL, NULL);
	CHECK(!strstr(s, "hxbr0"), "bridges after del: %s", s);
	free(s);
	CHECK(b->ops->bridge_del(b, "hxbr0", &err) == 0, "bridge_del again: %s", err);
	OK("bridge_list and bridge_del (idempotent)");
	free(err);
}

static void run_bridge(netb *b)
{
	char *err = NULL;
	CHECK(b->ops->bridge_add(b, "hxlb0", 0, &err) == 0, "bridge_add: %s", err);
	CHECK(net_link_exists("hxlb0"), "link exists");
	netb_port p = { .name = "ethA", .type = NETB_PORT_SYSTEM };
	CHECK(b->ops->port_add(b, "hxlb0", &p, &err) == 0, "port_add: %s", err);
	char **v = NULL;
	size_t n = 0;
	CHECK(b->ops->port_list(b, "hxlb0", &v, &n, &err) == 0 && n == 1 && has(v, n, "ethA"),
	      "port_list");
	freev(v, n);
	p.tag = 5;
	CHECK(b->ops->port_add(b, "hxlb0", &p, &err) == -EOPNOTSUPP, "tag refused");
	free(err);
	err = NULL;
	CHECK(b->ops->port_del(b, "ethA", &err) == 0, "port_del");
	CHECK(b->ops->port_list(b, "hxlb0", &v, &n, &err) == 0 && n == 0, "empty");
	freev(v, n);
	CHECK(b->ops->bridge_del(b, "hxlb0", &err) == 0, "bridge_del");
	CHECK(!net_link_exists("hxlb0"), "link gone");
	CHECK(net_tap_create("hxtap0", "02:11:22:33:44:55") == 0, "tap");
	CHECK(net_link_exists("hxtap0"), "tap exists");
	CHECK(net_link_del("hxtap0") == 0 && !net_link_exists("hxtap0"), "tap gone");
	CHECK(net_tap_create("bad name", NULL) == -EINVAL, "bad name");
	OK("Linux bridge: bridge and port add/list/del over rtnetlink, tags refused, taps");
	free(err);
}

int main(int argc, char **argv)
{
	netb *b = NULL;
	char *err = NULL;
	if (argc == 4 && !strcmp(argv[1], "ovs")) {
		db = argv[2];
		setenv("HX_RUNDIR", argv[3], 1);
		if (netb_ovs_open(argv[2], argv[3], &b, &err)) {
			printf("cannot open: %s\n", err);
			return 1;
		}
		CHECK(!strcmp(b->ops->name, "openvswitch"), "name");
		run_ovs(b);
	} else if (argc == 2 && !strcmp(argv[1], "bridge")) {
		netb_linuxbr_open(&b, &err);
		run_bridge(b);
	} else {
		fprintf(stderr, "usage: backend_check ovs DB RUNDIR | bridge\n");
		return 2;
	}
	b = netb_close(b);
	free(err);
	return check_done(argv[1]);
}
