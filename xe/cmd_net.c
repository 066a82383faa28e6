/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network commands: network-create/destroy, pif-scan/introduce/forget/
 * plug/unplug/reconfigure-ip, vlan-create/destroy, bond-create/destroy/
 * set-mode, tunnel-create/destroy, vif-create/destroy/plug/unplug/move,
 * host-management-reconfigure. (The -list and -param-* commands of these
 * classes are the generic ones of cmd_class.c.)
 *
 * Each command is one row: the message and how each of its arguments
 * comes from the command line (a uuid turned into a ref, a string, an
 * int, a bool, a map of prefix:key=value parameters). A command that
 * makes an object prints its uuid, as xe does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xe.h"

typedef enum { A_END, A_REF, A_REFS, A_STR, A_INT, A_BOOL, A_MAP } akind;

typedef struct arg {
	akind kind;
	const char *param; /* command-line name (A_MAP: the prefix with ':') */
	const char *cls;   /* A_REF(S): the class of the uuid */
	const char *def;   /* NULL = required */
} arg;

typedef struct netcmd {
	const char *name;
	const char *method;
	const char *result_cls; /* print the uuid of the returned ref */
	arg args[8];
} netcmd;

#define REF(p, c) { A_REF, p, c, NULL }
#define STR(p, d) { A_STR, p, NULL, d }

static const netcmd cmds[] = {
	{ "network-destroy", "network.destroy", NULL, { REF("uuid", "network") } },
	{ "pif-scan", "PIF.scan", NULL, { REF("host-uuid", "host") } },
	{ "pif-introduce", "PIF.introduce", "PIF",
	  { REF("host-uuid", "host"), STR("mac", ""), STR("device", NULL),
	    { A_BOOL, "managed", NULL, "true" } } },
	{ "pif-forget", "PIF.forget", NULL, { REF("uuid", "PIF") } },
	{ "pif-plug", "PIF.plug", NULL, { REF("uuid", "PIF") } },
	{ "pif-unplug", "PIF.unplug", NULL, { REF("uuid", "PIF") } },
	{ "pif-reconfigure-ip", "PIF.reconfigure_ip", NULL,
	  { REF("uuid", "PIF"), STR("mode", NULL), STR("IP", ""), STR("netmask", ""),
	    STR("gateway", ""), STR("DNS", "") } },
	{ "pif-reconfigure-ipv6", "PIF.reconfigure_ipv6", NULL,
	  { REF("uuid", "PIF"), STR("mode", NULL), STR("IPv6", ""), STR("gateway", ""),
	    STR("DNS", "") } },
	{ "vlan-create", "VLAN.create", "VLAN",
	  { REF("pif-uuid", "PIF"), { A_INT, "vlan", NULL, NULL }, REF("network-uuid", "network") } },
	{ "vlan-destroy", "VLAN.destroy", NULL, { REF("uuid", "VLAN") } },
	{ "bond-create", "Bond.create", "Bond",
	  { REF("network-uuid", "network"), { A_REFS, "pif-uuids", "PIF", NULL }, STR("mac", ""),
	    STR("mode", "balance-slb"), { A_MAP, "properties:", NULL, "" } } },
	{ "bond-destroy", "Bond.destroy", NULL, { REF("uuid", "Bond") } },
	{ "bond-set-mode", "Bond.set_mode", NULL, { REF("uuid", "Bond"), STR("mode", NULL) } },
	{ "tunnel-create", "tunnel.create", "tunnel",
	  { REF("pif-uuid", "PIF"), REF("network-uuid", "network"), STR("protocol", "gre") } },
	{ "tunnel-destroy", "tunnel.destroy", NULL, { REF("uuid", "tunnel") } },
	{ "vif-destroy", "VIF.destroy", NULL, { REF("uuid", "VIF") } },
	{ "vif-plug", "VIF.plug", NULL, { REF("uuid", "VIF") } },
	{ "vif-unplug", "VIF.unplug", NULL, { REF("uuid", "VIF") } },
	{ "vif-move", "VIF.move", NULL, { REF("uuid", "VIF"), REF("network-uuid", "network") } },
	{ "host-management-reconfigure", "host.management_reconfigure", NULL,
	  { REF("pif-uuid", "PIF") } },
};

/* One argument's value from the command line (taken by the caller). */
static xerr *arg_value(xe_ctx *x, const arg *a, xv **out)
{
	if (a->kind == A_MAP) {
		xv *m = xv_struct();
		size_t pl = strlen(a->param);
		for (size_t i = 0; i < x->params->n; i++) {
			const xe_param *p = &x->params->p[i];
			if (!strncmp(p->key, a->param, pl) && p->key[pl])
				xv_struct_set(m, p->key + pl, xv_str(p->val));
		}
		*out = m;
		return NULL;
	}
	const char *v = xe_param_get(x->params, a->param);
	if (!v)
		v = a->def;
	if (!v)
		return xe_usage_error("Required parameter not found", a->param);
	switch (a->kind) {
	case A_REF: {
		char *ref = NULL;
		xerr *e = xe_ref_of_uuid(x, a->cls, v, &ref);
		if (!e)
			*out = xv_str_own(ref);
		return e;
	}
	case A_REFS: {
		xv *arr = xv_array();
		char *copy = hx_strdup(v), *save = NULL;
		xerr *e = NULL;
		for (char *u = strtok_r(copy, ",", &save); u && !e; u = strtok_r(NULL, ",", &save)) {
			char *ref = NULL;
			if (!(e = xe_ref_of_uuid(x, a->cls, u, &ref)))
				xv_array_push(arr, xv_str_own(ref));
		}
		free(copy);
		if (e)
			xv_free(arr);
		else
			*out = arr;
		return e;
	}
	case A_INT: {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (errno || end == v || *end)
			return xe_fail("Parameter %s must be an integer", a->param);
		*out = xv_int(n);
		return NULL;
	}
	case A_BOOL:
		*out = xv_bool(!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"));
		return NULL;
	default:
		*out = xv_str(v);
		return NULL;
	}
}

/* Prints the uuid of ref (class cls). */
static xerr *print_uuid(xe_ctx *x, const char *cls, const char *ref)
{
	char *m = hx_asprintf("%s.get_uuid", cls);
	xv *u = NULL;
	xerr *e = xe_callv(x, m, &u, xv_str(ref), NULL);
	free(m);
	if (!e)
		fprintf(x->out, "%s\n", xv_s(u));
	xv_free(u);
	return e;
}

static int run_table(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	const netcmd *c = NULL;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && !c; i++)
		if (!strcmp(cmds[i].name, cmd))
			c = &cmds[i];
	if (!c)
		return xe_finish(xe_fail("unknown command %s", cmd));
	xv *args = xv_array();
	xerr *e = NULL;
	for (size_t i = 0; c->args[i].kind != A_END && !e; i++) {
		xv *v = NULL;
		if (!(e = arg_value(x, &c->args[i], &v)))
			xv_array_push(args, v);
	}
	xv *res = NULL;
	if (!e) {
		e = xe_call_arr(x, c->method, args, &res);
		args = NULL;
	}
	xv_free(args);
	if (!e && c->result_cls && res && res->kind == XV_STRING)
		e = print_uuid(x, c->result_cls, xv_s(res));
	xv_free(res);
	return xe_finish(e);
}

/* network-create: a record from name-label, name-description, MTU,
 * bridge, managed. */
static int network_create(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	const char *name = xe_param_get(x->params, "name-label");
	if (!name)
		return xe_finish(xe_usage_error("Required parameter not found", "name-label"));
	const char *desc = xe_param_get(x->params, "name-description");
	const char *mtu = xe_param_get(x->params, "MTU");
	const char *br = xe_param_get(x->params, "bridge");
	xv *rec = xv_struct();
	xv_struct_set(rec, "name_label", xv_str(name));
	xv_struct_set(rec, "name_description", xv_str(desc ? desc : ""));
	xv_struct_set(rec, "MTU", xv_str(mtu ? mtu : "1500"));
	xv_struct_set(rec, "other_config", xv_struct());
	if (br)
		xv_struct_set(rec, "bridge", xv_str(br));
	if (xe_param_get(x->params, "managed"))
		xv_struct_set(rec, "managed", xv_bool(xe_param_bool(x->params, "managed", true)));
	xv *res = NULL;
	xerr *e = xe_callv(x, "network.create", &res, rec, NULL);
	if (!e)
		e = print_uuid(x, "network", xv_s(res));
	xv_free(res);
	return xe_finish(e);
}

/* vif-create device= network-uuid= vm-uuid= [mac=] */
static int vif_create(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const arg want[] = { REF("network-uuid", "network"), REF("vm-uuid", "VM"),
				    STR("device", NULL), STR("mac", "") };
	xv *v[4] = { NULL };
	xerr *e = NULL;
	for (int i = 0; i < 4 && !e; i++)
		e = arg_value(x, &want[i], &v[i]);
	if (e) {
		for (int i = 0; i < 4; i++)
			xv_free(v[i]);
		return xe_finish(e);
	}
	xv *rec = xv_struct();
	xv_struct_set(rec, "network", v[0]);
	xv_struct_set(rec, "VM", v[1]);
	xv_struct_set(rec, "device", v[2]);
	xv_struct_set(rec, "MAC", v[3]);
	xv_struct_set(rec, "MTU", xv_str("1500"));
	xv_struct_set(rec, "other_config", xv_struct());
	xv_struct_set(rec, "qos_algorithm_type", xv_str(""));
	xv_struct_set(rec, "qos_algorithm_params", xv_struct());
	xv *res = NULL;
	e = xe_callv(x, "VIF.create", &res, rec, NULL);
	if (!e)
		e = print_uuid(x, "VIF", xv_s(res));
	xv_free(res);
	return xe_finish(e);
}

/* vif-unplug [force=true] */
static int vif_unplug(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const arg a = REF("uuid", "VIF");
	xv *ref = NULL;
	xerr *e = arg_value(x, &a, &ref);
	if (!e)
		e = xe_callv(x, xe_param_bool(x->params, "force", false) ? "VIF.unplug_force" :
									    "VIF.unplug",
			     NULL, ref, NULL);
	return xe_finish(e);
}

xe_cmd_fn xe_find_net_cmd(const char *cmd)
{
	if (!strcmp(cmd, "network-create"))
		return network_create;
	if (!strcmp(cmd, "vif-create"))
		return vif_create;
	if (!strcmp(cmd, "vif-unplug"))
		return vif_unplug;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, cmd))
			return run_table;
	return NULL;
}
