/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network subsystem's shared state and start-time work (netcore.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "netcore.h"
#include "util.h"
#include "xapid.h"

static netb *backend;
static const char *backend_name = "none";
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

xerr *net_end(txn *t, xv *rec, xerr *e)
{
	if (!e)
		e = db_commit(t);
	else
		store_rollback(t);
	xv_free(rec);
	net_unlock();
	return e;
}

netb *net_backend(void)
{
	return backend;
}

const char *net_backend_name(void)
{
	return backend_name;
}

void net_lock(void)
{
	pthread_mutex_lock(&lock);
}

void net_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

xerr *net_backend_err(const char *what, int r, char *msg)
{
	xerr *e = xerr_newf("INTERNAL_ERROR", "%s: %s", what, msg ? msg : strerror(-r));
	free(msg);
	return e;
}

xerr *net_need_backend(void)
{
	return xerr_new("OPENVSWITCH_NOT_ACTIVE", NULL);
}

const char *net_rec_str(const xv *rec, const char *f)
{
	const char *s = rec ? xv_struct_str(rec, f) : NULL;
	return s ? s : "";
}

int64_t net_rec_int(const xv *rec, const char *f)
{
	xv *v = rec ? xv_struct_get(rec, f) : NULL;
	return v && v->kind == XV_INT ? v->u.i : 0;
}

bool net_rec_bool(const xv *rec, const char *f)
{
	xv *v = rec ? xv_struct_get(rec, f) : NULL;
	return v && v->kind == XV_BOOL && v->u.b;
}

char **net_find(txn *t, int cls, const char *f, const char *value, size_t *n)
{
	xv *refs = NULL, *key = xv_str(value);
	xerr *e = store_find(t, cls, obj_fld(cls, f), key, &refs);
	xv_free(key);
	*n = 0;
	if (e) {
		xerr_free(e);
		return hx_calloc(1, sizeof(char *));
	}
	char **v = hx_calloc(xv_len(refs) + 1, sizeof(char *));
	for (size_t i = 0; i < xv_len(refs); i++)
		v[(*n)++] = hx_strdup(xv_s(xv_array_get(refs, i)));
	xv_free(refs);
	return v;
}

void net_free_refs(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

xerr *net_target(txn *t, const char *network, char **bridge, int *tag)
{
	*bridge = NULL;
	*tag = 0;
	size_t n = 0;
	char **pifs = net_find(t, CLS_PIF, "network", network, &n);
	xerr *e = NULL;
	for (size_t i = 0; i < n && !*bridge; i++) {
		xv *vlan = obj_get(t, CLS_PIF, pifs[i], "VLAN");
		int64_t v = vlan && vlan->kind == XV_INT ? vlan->u.i : -1;
		xv_free(vlan);
		if (v < 0)
			continue;
		/* The untagged PIF of a VLAN: its VLAN record names the
		 * tagged PIF, whose network's bridge carries the tag. */
		char *vl = obj_get_str(t, CLS_PIF, pifs[i], "VLAN_master_of");
		char *tagged = store_exists(t, CLS_VLAN, vl) ?
				       obj_get_str(t, CLS_VLAN, vl, "tagged_PIF") :
				       NULL;
		char *pnet = tagged ? obj_get_str(t, CLS_PIF, tagged, "network") : NULL;
		if (pnet && store_exists(t, CLS_network, pnet)) {
			*bridge = obj_get_str(t, CLS_network, pnet, "bridge");
			*tag = (int)v;
		}
		free(vl);
		free(tagged);
		free(pnet);
	}
	net_free_refs(pifs, n);
	if (!*bridge)
		*bridge = obj_get_str(t, CLS_network, network, "bridge");
	if (!**bridge) {
		free(*bridge);
		*bridge = NULL;
		e = xerr_new("BRIDGE_NOT_AVAILABLE", "", NULL);
	}
	return e;
}

void net_replug_vifs(txn *t, const char *network)
{
	size_t n = 0;
	char **vifs = net_find(t, CLS_VIF, "network", network, &n);
	for (size_t i = 0; i < n; i++) {
		xv *att = obj_get(t, CLS_VIF, vifs[i], "currently_attached");
		char *vm = obj_get_str(t, CLS_VIF, vifs[i], "VM");
		xv *dom = obj_get(t, CLS_VM, vm, "domid");
		if (att && att->kind == XV_BOOL && att->u.b && dom && dom->kind == XV_INT)
			xerr_free(vif_port_up(t, vifs[i], dom->u.i));
		xv_free(att);
		xv_free(dom);
		free(vm);
	}
	net_free_refs(vifs, n);
}

/* True when something answers on the unix socket path. */
static bool socket_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return ok;
}

static void open_backend(void)
{
	const char *want = getenv("HALYARD_NET_BACKEND");
	const char *db = getenv("HALYARD_OVS_DB");
	if (!db || !*db)
		db = "/run/openvswitch/db.sock";
	char *err = NULL;
	if (want && !strcmp(want, "none"))
		return;
	if ((!want || !*want || !strcmp(want, "ovs")) && socket_answers(db)) {
		const char *rd = getenv("HALYARD_OVS_RUNDIR");
		char *dir = rd && *rd ? hx_strdup(rd) : hx_strdup(db);
		if (!(rd && *rd)) {
			char *slash = strrchr(dir, '/');
			if (slash)
				*slash = 0;
		}
		int r = netb_ovs_open(db, dir, &backend, &err);
		free(dir);
		if (!r) {
			backend_name = "openvswitch";
			printf("xapid: network backend openvswitch (%s)\n", db);
			return;
		}
		fprintf(stderr, "xapid: network: Open vSwitch at %s: %s\n", db,
			err ? err : strerror(-r));
		free(err);
		err = NULL;
		if (want && !strcmp(want, "ovs"))
			return;
	} else if (want && !strcmp(want, "ovs")) {
		fprintf(stderr, "xapid: network: no Open vSwitch answers at %s\n", db);
		return;
	}
	/* The Linux bridge backend only when asked for: an xapid started by
	 * a test must not grow bridges in the host's namespace. */
	if (want && !strcmp(want, "bridge") &&
	    !netb_linuxbr_open(&backend, &err)) {
		backend_name = "bridge";
		printf("xapid: network backend bridge (Linux bridge)\n");
	}
	free(err);
}

/* Records the backend in host.software_version and other_config. */
static void record_backend(struct xapid *app)
{
	txn *t;
	if (store_begin(app->db, true, &t))
		return;
	xv *sv = obj_get(t, CLS_host, app->host_ref, "software_version");
	xv *oc = obj_get(t, CLS_host, app->host_ref, "other_config");
	if (!sv || sv->kind != XV_STRUCT) {
		xv_free(sv);
		sv = xv_struct();
	}
	if (!oc || oc->kind != XV_STRUCT) {
		xv_free(oc);
		oc = xv_struct();
	}
	xv_struct_set(sv, "network_backend", xv_str(backend_name));
	xv_struct_set(oc, "network_backend", xv_str(backend_name));
	xerr *e = obj_set(t, CLS_host, app->host_ref, "software_version", sv);
	if (!e)
		e = obj_set(t, CLS_host, app->host_ref, "other_config", oc);
	else
		xv_free(oc);
	if (e) {
		xerr_free(e);
		store_rollback(t);
		return;
	}
	xerr_free(store_commit(t));
}

static void log_err(const char *what, xerr *e)
{
	if (!e)
		return;
	char *d = xv_to_debug(xerr_to_xv(e));
	fprintf(stderr, "xapid: network: %s: %s\n", what, d);
	free(d);
	xerr_free(e);
}

/* Bridges for every network, ports for every attached PIF. */
static void reconcile_config(struct xapid *app)
{
	txn *t;
	if (store_begin(app->db, false, &t))
		return;
	xv *nets = NULL;
	xerr *e = store_get_all(t, CLS_network, &nets);
	for (size_t i = 0; !e && i < xv_len(nets); i++)
		log_err("realise network", network_realise(t, xv_s(xv_array_get(nets, i))));
	xerr_free(e);
	xv_free(nets);
	size_t n = 0;
	char **pifs = net_find(t, CLS_PIF, "host", app->host_ref, &n);
	for (size_t i = 0; i < n; i++) {
		xv *att = obj_get(t, CLS_PIF, pifs[i], "currently_attached");
		if (att && att->kind == XV_BOOL && att->u.b)
			log_err("attach PIF", pif_attach(t, pifs[i]));
		xv_free(att);
	}
	net_free_refs(pifs, n);
	store_rollback(t);
}

void net_init(struct xapid *app)
{
	open_backend();
	record_backend(app);
	net_lock();
	txn *t;
	size_t n = 0;
	if (!store_begin(app->db, false, &t)) {
		char **pifs = net_find(t, CLS_PIF, "host", app->host_ref, &n);
		net_free_refs(pifs, n);
		store_rollback(t);
	}
	/* First start: the host's NICs become PIFs (each with its network). */
	if (n == 0)
		log_err("PIF scan", pif_scan(app, app->host_ref));
	if (backend) {
		reconcile_config(app);
		net_mgmt_takeover(app);
		net_ip_reconcile(app);
		net_dhcp_reconcile(app);
		net_ipv6_reconcile(app);
		vif_reconcile(app);
	}
	net_unlock();
}

void net_shutdown(void)
{
	net_dhcp_shutdown();
	backend = netb_close(backend);
	backend_name = "none";
}

void net_each_pif(struct xapid *app, void (*fn)(struct xapid *app, txn *t, const char *ref,
						  const xv *rec, void *arg),
		  void *arg)
{
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		xerr_free(e);
		return;
	}
	size_t n = 0;
	char **pifs = net_find(t, CLS_PIF, "host", app->host_ref, &n);
	for (size_t i = 0; i < n; i++) {
		xv *r = NULL;
		if ((e = store_get_record(t, CLS_PIF, pifs[i], &r))) {
			xerr_free(e);
			continue;
		}
		fn(app, t, pifs[i], r, arg);
		xv_free(r);
	}
	net_free_refs(pifs, n);
	store_rollback(t);
}
