/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapid's storage glue (storage.h): the table of SRs attached on this
 * host, VDI records from driver scans, allowed_operations, the GC thread,
 * the SM records and the default local SR.
 *
 * Locking: `tab_lock` guards the table; an entry's `busy` count keeps its
 * handle alive while a call uses it (storage_get/put); detaching waits for
 * no user. Metadata operations on one SR take its sm_sr.lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "storage.h"
#include "tasks.h"
#include "util.h"
#include "vbd_live.h"
#include "xapid.h"

struct entry {
	char *ref;
	sm_sr *sr;
	int busy;
	bool gc_wanted;
	struct entry *next;
};

static pthread_mutex_t tab_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tab_cond = PTHREAD_COND_INITIALIZER;
static struct entry *tab;
static struct xapid *g_app;
static pthread_t gc_thread;
static bool gc_running, gc_stop;
/* Set once xapid has re-attached its running VMs (storage_recover_start):
 * only then may interrupted live operations be recovered and chains in
 * use be told from idle ones, so the GC waits for it. */
static bool recover_ready;

/* ---- small record helpers ----------------------------------------------------- */

static const char *rs(const xv *rec, const char *f)
{
	const char *s = xv_struct_str(rec, f);
	return s ? s : "";
}

/* Booleans of records clients send may come as strings. */
static bool rb(const xv *rec, const char *f)
{
	xv *v = xv_struct_get(rec, f);
	if (v && v->kind == XV_STRING)
		return !strcasecmp(v->u.str.s, "true") || !strcmp(v->u.str.s, "1");
	return v && v->kind == XV_BOOL && v->u.b;
}

char *storage_local_dir(struct xapid *app, const char *sr_uuid)
{
	char *base = hx_asprintf("%s/sm", app->cfg.state_dir);
	mkdir(base, 0700);
	char *d = hx_asprintf("%s/%s", base, sr_uuid);
	mkdir(d, 0700);
	free(base);
	return d;
}

/* ---- the table ---------------------------------------------------------------- */

static struct entry *find_uuid(const char *uuid)
{
	for (struct entry *e = tab; e; e = e->next)
		if (strcmp(e->sr->uuid, uuid) == 0)
			return e;
	return NULL;
}

static struct entry *find_ref(const char *ref)
{
	for (struct entry *e = tab; e; e = e->next)
		if (strcmp(e->ref, ref) == 0)
			return e;
	return NULL;
}

xerr *storage_get(struct xapid *app, const char *sr_ref, sm_sr **out)
{
	pthread_mutex_lock(&tab_lock);
	struct entry *e = find_ref(sr_ref);
	if (e)
		e->busy++;
	pthread_mutex_unlock(&tab_lock);
	if (!e) {
		*out = NULL;
		return xerr_new("SR_NOT_ATTACHED", sr_ref, NULL);
	}
	*out = e->sr;
	return NULL;
}

void storage_put(sm_sr *sr)
{
	if (!sr)
		return;
	pthread_mutex_lock(&tab_lock);
	for (struct entry *e = tab; e; e = e->next)
		if (e->sr == sr) {
			e->busy--;
			pthread_cond_broadcast(&tab_cond);
		}
	pthread_mutex_unlock(&tab_lock);
}

static bool live_lookup(void *ctx, sm_sr *sr, const char *location, sm_live *out)
{
	char *vm = NULL, *dev = NULL;
	if (!storage_live_consumer(ctx, sr->uuid, location, &vm, &dev))
		return false;
	bool ok = vbd_live_hooks(vm, dev, out);
	free(vm);
	free(dev);
	return ok;
}

xerr *storage_attach(struct xapid *app, const char *sr_ref, const char *sr_uuid,
                     const char *type, const xv *device_config, const xv *sm_config)
{
	pthread_mutex_lock(&tab_lock);
	bool have = find_uuid(sr_uuid) != NULL;
	pthread_mutex_unlock(&tab_lock);
	if (have)
		return NULL;
	xerr *e = NULL;
	char *dir = storage_local_dir(app, sr_uuid);
	sm_sr *sr = sm_sr_new(type, sr_uuid, device_config, sm_config, dir, &e);
	free(dir);
	if (!sr)
		return e;
	sr->live_lookup = live_lookup;
	sr->live_ctx = app;
	e = sr->drv->sr_attach(sr);
	if (e) {
		sm_sr_free(sr);
		return e;
	}
	sr->attached = true;
	struct entry *n = hx_calloc(1, sizeof(*n));
	n->ref = hx_strdup(sr_ref);
	n->sr = sr;
	n->gc_wanted = true;
	pthread_mutex_lock(&tab_lock);
	if (find_uuid(sr_uuid)) {
		pthread_mutex_unlock(&tab_lock);
		xerr_free(sr->drv->sr_detach(sr));
		sm_sr_free(sr);
		free(n->ref);
		free(n);
		return NULL;
	}
	n->next = tab;
	tab = n;
	pthread_cond_broadcast(&tab_cond);
	pthread_mutex_unlock(&tab_lock);
	return NULL;
}

xerr *storage_detach(struct xapid *app, const char *sr_uuid)
{
	pthread_mutex_lock(&tab_lock);
	struct entry **pp = &tab, *e = NULL;
	for (; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->sr->uuid, sr_uuid) == 0) {
			e = *pp;
			break;
		}
	if (!e) {
		pthread_mutex_unlock(&tab_lock);
		return NULL;
	}
	/* Wait (bounded) for calls using the handle, the GC included. */
	for (int i = 0; e->busy > 0 && i < 600; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&tab_cond, &tab_lock, &ts);
	}
	if (e->busy > 0) {
		pthread_mutex_unlock(&tab_lock);
		return xerr_new("OTHER_OPERATION_IN_PROGRESS", "SR", e->ref, NULL);
	}
	/* find again: the list may have changed while waiting */
	for (pp = &tab; *pp && *pp != e; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = e->next;
	pthread_mutex_unlock(&tab_lock);
	xerr *x = e->sr->drv->sr_detach(e->sr);
	sm_sr_free(e->sr);
	free(e->ref);
	free(e);
	return x;
}

void storage_gc_kick(const char *sr_uuid)
{
	pthread_mutex_lock(&tab_lock);
	struct entry *e = find_uuid(sr_uuid);
	if (e)
		e->gc_wanted = true;
	pthread_cond_broadcast(&tab_cond);
	pthread_mutex_unlock(&tab_lock);
}

/* ---- progress ------------------------------------------------------------------ */

static void prog_set(void *ctx, double f)
{
	storage_prog *p = ctx;
	if (p->task_ref)
		xerr_free(tasks_set_progress(p->app, p->task_ref, p->lo + (p->hi - p->lo) * f));
}

static bool prog_cancelled(void *ctx)
{
	storage_prog *p = ctx;
	return p->task_ref && tasks_cancelled(p->app, p->task_ref);
}

sm_progress storage_progress(storage_prog *p)
{
	if (p->hi <= p->lo)
		p->hi = 1.0;
	return (sm_progress){ .ctx = p, .set = prog_set, .cancelled = prog_cancelled };
}

/* ---- in-use and allowed operations --------------------------------------------- */

static bool vm_live(txn *t, const char *vm)
{
	char *p = obj_get_str(t, CLS_VM, vm, "power_state");
	bool live = !strcmp(p, "Running") || !strcmp(p, "Paused");
	free(p);
	return live;
}

char **storage_vdi_attached_vbds(txn *t, const char *vdi_ref, size_t *n)
{
	*n = 0;
	xv *refs = NULL;
	xv *key = xv_str(vdi_ref);
	xerr *e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VDI"), key, &refs);
	xv_free(key);
	char **out = NULL;
	for (size_t i = 0; !e && i < xv_len(refs); i++) {
		const char *vbd = xv_s(xv_array_get(refs, i));
		xv *ca = obj_get(t, CLS_VBD, vbd, "currently_attached");
		bool att = ca && ca->kind == XV_BOOL && ca->u.b;
		xv_free(ca);
		char *vm = obj_get_str(t, CLS_VBD, vbd, "VM");
		if (att && vm_live(t, vm)) {
			out = hx_realloc(out, (*n + 1) * sizeof(char *));
			out[(*n)++] = hx_strdup(vbd);
		}
		free(vm);
	}
	xerr_free(e);
	xv_free(refs);
	return out;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

xerr *storage_vdi_update_allowed(txn *t, const char *vdi)
{
	xv *rec = NULL;
	xerr *e = store_get_record(t, CLS_VDI, vdi, &rec);
	if (e)
		return e;
	xv *a = xv_array();
	xv *cur = xv_struct_get(rec, "current_operations");
	if (!cur || !xv_len(cur)) {
		size_t n;
		char **att = storage_vdi_attached_vbds(t, vdi, &n);
		strv_free(att, n);
		char *sr = hx_strdup(rs(rec, "SR"));
		char *type = obj_get_str(t, CLS_SR, sr, "type");
		const sm_driver *d = sm_driver_find(type);
		bool ro = rb(rec, "read_only") || (d && d->vdis_read_only);
		bool snap = rb(rec, "is_a_snapshot");
		if (d) {
			if (sm_has_cap(d, SM_CAP_VDI_CLONE))
				xv_array_push(a, xv_str("clone"));
			xv_array_push(a, xv_str("copy"));
			if (sm_has_cap(d, SM_CAP_VDI_SNAPSHOT) && !snap)
				xv_array_push(a, xv_str("snapshot"));
			if (!ro && !snap && sm_has_cap(d, SM_CAP_VDI_RESIZE) && !n)
				xv_array_push(a, xv_str("resize"));
			if (!ro && !snap && sm_has_cap(d, SM_CAP_VDI_RESIZE_ONLINE))
				xv_array_push(a, xv_str("resize_online"));
			if (!n && sm_has_cap(d, SM_CAP_VDI_DELETE))
				xv_array_push(a, xv_str("destroy"));
			if (!n)
				xv_array_push(a, xv_str("forget"));
			xv_array_push(a, xv_str("update"));
			if (!n)
				xv_array_push(a, xv_str("set_on_boot"));
		}
		free(sr);
		free(type);
	}
	xv_free(rec);
	return obj_set(t, CLS_VDI, vdi, "allowed_operations", a);
}

xerr *storage_sr_update_allowed(txn *t, const char *sr)
{
	xv *rec = NULL;
	xerr *e = store_get_record(t, CLS_SR, sr, &rec);
	if (e)
		return e;
	const sm_driver *d = sm_driver_find(rs(rec, "type"));
	xv *pbds = NULL;
	xv *key = xv_str(sr);
	e = store_find(t, CLS_PBD, obj_fld(CLS_PBD, "SR"), key, &pbds);
	xv_free(key);
	bool plugged = false;
	for (size_t i = 0; !e && i < xv_len(pbds); i++) {
		xv *ca = obj_get(t, CLS_PBD, xv_s(xv_array_get(pbds, i)), "currently_attached");
		plugged |= ca && ca->kind == XV_BOOL && ca->u.b;
		xv_free(ca);
	}
	xv_free(pbds);
	xerr_free(e);
	xv *a = xv_array();
	if (plugged) {
		xv_array_push(a, xv_str("scan"));
		xv_array_push(a, xv_str("unplug"));
		xv_array_push(a, xv_str("update"));
		if (d && sm_has_cap(d, SM_CAP_VDI_CREATE))
			xv_array_push(a, xv_str("vdi_create"));
		if (d && sm_has_cap(d, SM_CAP_VDI_INTRODUCE))
			xv_array_push(a, xv_str("vdi_introduce"));
		if (d && sm_has_cap(d, SM_CAP_VDI_DELETE))
			xv_array_push(a, xv_str("vdi_destroy"));
		if (d && sm_has_cap(d, SM_CAP_VDI_RESIZE))
			xv_array_push(a, xv_str("vdi_resize"));
		if (d && sm_has_cap(d, SM_CAP_VDI_CLONE))
			xv_array_push(a, xv_str("vdi_clone"));
		if (d && sm_has_cap(d, SM_CAP_VDI_SNAPSHOT))
			xv_array_push(a, xv_str("vdi_snapshot"));
		xv_array_push(a, xv_str("vdi_copy"));
		xv_array_push(a, xv_str("vdi_forget"));
		xv_array_push(a, xv_str("vdi_update"));
		xv_array_push(a, xv_str("vdi_set_on_boot"));
	} else {
		xv_array_push(a, xv_str("plug"));
		xv_array_push(a, xv_str("destroy"));
		xv_array_push(a, xv_str("forget"));
		xv_array_push(a, xv_str("pbd_create"));
		xv_array_push(a, xv_str("pbd_destroy"));
	}
	xv_free(rec);
	return obj_set(t, CLS_SR, sr, "allowed_operations", a);
}

xerr *storage_vm_power(txn *t, const char *vm, bool live)
{
	if (live)
		return NULL;
	xv *refs = NULL;
	xv *key = xv_str(vm);
	xerr *e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VM"), key, &refs);
	xv_free(key);
	for (size_t i = 0; !e && i < xv_len(refs); i++) {
		const char *vbd = xv_s(xv_array_get(refs, i));
		xv *ca = obj_get(t, CLS_VBD, vbd, "currently_attached");
		bool att = ca && ca->kind == XV_BOOL && ca->u.b;
		xv_free(ca);
		if (!att)
			continue;
		e = obj_set(t, CLS_VBD, vbd, "currently_attached", xv_bool(false));
		char *vdi = obj_get_str(t, CLS_VBD, vbd, "VDI");
		if (!e && store_exists(t, CLS_VDI, vdi))
			e = storage_vdi_update_allowed(t, vdi);
		free(vdi);
	}
	xv_free(refs);
	return e;
}

/* ---- VDI records ----------------------------------------------------------------- */

xerr *storage_vdi_record(txn *t, const char *sr_ref, const sm_vdi_info *info,
                         const xv *base, char **ref_out)
{
	xv *r = base ? xv_dup(base) : xv_struct();
	char uuid[37];
	if (info->uuid && hx_is_uuid(info->uuid))
		snprintf(uuid, sizeof(uuid), "%s", info->uuid);
	else
		hx_uuid(uuid);
	xv_struct_set(r, "uuid", xv_str(uuid));
	xv_struct_set(r, "SR", xv_str(sr_ref));
	xv_struct_set(r, "location", xv_str(info->location));
	xv_struct_set(r, "virtual_size", xv_int(info->virtual_size));
	xv_struct_set(r, "physical_utilisation", xv_int(info->physical_utilisation));
	xv_struct_set(r, "managed", xv_bool(true));
	xv_struct_set(r, "missing", xv_bool(false));
	/* vdi_type is lower case; clients send "User" too. */
	const char *ty = xv_struct_str(r, "type");
	char *lt = hx_strdup(ty && *ty ? ty : "user");
	for (char *c = lt; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	xv_struct_set(r, "type", xv_str_own(lt));
	if (!xv_struct_get(r, "name_label"))
		xv_struct_set(r, "name_label", xv_str(info->name_label ? info->name_label : ""));
	if (info->read_only)
		xv_struct_set(r, "read_only", xv_bool(true));
	xv *smc = xv_struct_get(r, "sm_config");
	if (!smc || smc->kind != XV_STRUCT) {
		xv_struct_set(r, "sm_config", xv_struct());
		smc = xv_struct_get(r, "sm_config");
	}
	if (info->format)
		xv_struct_set(smc, "image-format", xv_str(info->format));
	xv_struct_set(r, "allowed_operations", xv_array());
	xv_struct_set(r, "current_operations", xv_struct());
	/* Never keep another record's ref-valued runtime fields. */
	xv_struct_del(r, "VBDs");
	xv_struct_del(r, "snapshots");
	xv_struct_del(r, "crash_dumps");
	char *ref = NULL;
	xerr *e = obj_create(t, CLS_VDI, r, &ref);
	if (!e)
		e = storage_vdi_update_allowed(t, ref);
	if (!e && ref_out)
		*ref_out = ref;
	else
		free(ref);
	return e;
}

/* ---- scan and sizes --------------------------------------------------------------- */

xerr *storage_update_sizes(struct xapid *app, const char *sr_ref)
{
	sm_sr *sr;
	xerr *e = storage_get(app, sr_ref, &sr);
	if (e)
		return e;
	sm_sr_stat st = { 0 };
	e = sr->drv->sr_stat ? sr->drv->sr_stat(sr, &st) : NULL;
	storage_put(sr);
	if (e)
		return e;
	txn *t;
	if ((e = store_begin(app->db, true, &t)))
		return e;
	xv *vdis = NULL;
	xv *key = xv_str(sr_ref);
	e = store_find(t, CLS_VDI, obj_fld(CLS_VDI, "SR"), key, &vdis);
	xv_free(key);
	int64_t va = 0;
	for (size_t i = 0; !e && i < xv_len(vdis); i++) {
		xv *v = obj_get(t, CLS_VDI, xv_s(xv_array_get(vdis, i)), "virtual_size");
		if (v && v->kind == XV_INT)
			va += v->u.i;
		xv_free(v);
	}
	xv_free(vdis);
	if (!e)
		e = obj_set(t, CLS_SR, sr_ref, "physical_size", xv_int(st.physical_size));
	if (!e)
		e = obj_set(t, CLS_SR, sr_ref, "physical_utilisation", xv_int(st.physical_utilisation));
	if (!e)
		e = obj_set(t, CLS_SR, sr_ref, "virtual_allocation", xv_int(va));
	if (e) {
		store_rollback(t);
		return e;
	}
	return store_commit(t);
}

xerr *storage_scan(struct xapid *app, const char *sr_ref)
{
	sm_sr *sr;
	xerr *e = storage_get(app, sr_ref, &sr);
	if (e)
		return e;
	sm_vdi_list l = { 0 };
	pthread_mutex_lock(&sr->lock);
	e = sr->drv->sr_scan(sr, &l);
	pthread_mutex_unlock(&sr->lock);
	storage_put(sr);
	if (e)
		return e;
	txn *t;
	if ((e = store_begin(app->db, true, &t))) {
		sm_vdi_list_clear(&l);
		return e;
	}
	xv *vdis = NULL;
	xv *key = xv_str(sr_ref);
	e = store_find(t, CLS_VDI, obj_fld(CLS_VDI, "SR"), key, &vdis);
	xv_free(key);
	bool *seen = hx_calloc(l.n + 1, sizeof(bool));
	/* Existing records: refresh or drop. */
	for (size_t i = 0; !e && i < xv_len(vdis); i++) {
		const char *ref = xv_s(xv_array_get(vdis, i));
		char *loc = obj_get_str(t, CLS_VDI, ref, "location");
		ssize_t k = -1;
		for (size_t j = 0; j < l.n; j++)
			if (!l.v[j].hidden && strcmp(l.v[j].location, loc) == 0)
				k = (ssize_t)j;
		free(loc);
		if (k >= 0) {
			seen[k] = true;
			e = obj_set(t, CLS_VDI, ref, "virtual_size", xv_int(l.v[k].virtual_size));
			if (!e)
				e = obj_set(t, CLS_VDI, ref, "physical_utilisation",
				            xv_int(l.v[k].physical_utilisation));
			if (!e)
				e = obj_set(t, CLS_VDI, ref, "missing", xv_bool(false));
			continue;
		}
		xv *m = obj_get(t, CLS_VDI, ref, "managed");
		bool managed = !m || (m->kind == XV_BOOL && m->u.b);
		xv_free(m);
		if (!managed)
			continue;
		/* Gone from the storage: drop the record unless a VBD points at it. */
		xv *vbds = NULL;
		key = xv_str(ref);
		e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VDI"), key, &vbds);
		xv_free(key);
		if (!e && xv_len(vbds))
			e = obj_set(t, CLS_VDI, ref, "missing", xv_bool(true));
		else if (!e)
			e = store_destroy(t, CLS_VDI, ref);
		xv_free(vbds);
	}
	xv_free(vdis);
	/* New nodes: records. */
	for (size_t j = 0; !e && j < l.n; j++) {
		if (seen[j] || l.v[j].hidden)
			continue;
		/* A uuid the driver names may already be used by another SR's VDI. */
		if (l.v[j].uuid) {
			char *other = store_ref_of_uuid(t, CLS_VDI, l.v[j].uuid);
			if (other) {
				free(other);
				free(l.v[j].uuid);
				l.v[j].uuid = NULL;
			}
		}
		e = storage_vdi_record(t, sr_ref, &l.v[j], NULL, NULL);
	}
	free(seen);
	sm_vdi_list_clear(&l);
	if (e) {
		store_rollback(t);
		return e;
	}
	if ((e = store_commit(t)))
		return e;
	return storage_update_sizes(app, sr_ref);
}

/* ---- live consumers ----------------------------------------------------------------- */

bool storage_live_consumer(struct xapid *app, const char *sr_uuid, const char *location,
                           char **vm_uuid, char **userdevice)
{
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		xerr_free(e);
		return false;
	}
	bool found = false;
	char *sr = store_ref_of_uuid(t, CLS_SR, sr_uuid);
	xv *vdis = NULL;
	xv *key = xv_str(location);
	e = store_find(t, CLS_VDI, obj_fld(CLS_VDI, "location"), key, &vdis);
	xv_free(key);
	for (size_t i = 0; !e && sr && !found && i < xv_len(vdis); i++) {
		const char *vdi = xv_s(xv_array_get(vdis, i));
		char *s = obj_get_str(t, CLS_VDI, vdi, "SR");
		bool same = strcmp(s, sr) == 0;
		free(s);
		if (!same)
			continue;
		size_t n;
		char **att = storage_vdi_attached_vbds(t, vdi, &n);
		if (n) {
			char *vm = obj_get_str(t, CLS_VBD, att[0], "VM");
			*vm_uuid = obj_get_str(t, CLS_VM, vm, "uuid");
			*userdevice = obj_get_str(t, CLS_VBD, att[0], "userdevice");
			free(vm);
			found = true;
		}
		strv_free(att, n);
	}
	xerr_free(e);
	xv_free(vdis);
	free(sr);
	store_rollback(t);
	return found;
}

/* ---- recovery of interrupted live operations (sm_recover) --------------------------- */

/* The VDI record of SR sr_uuid at location loc (heap ref) or NULL. */
static char *vdi_at(txn *t, const char *sr_ref, const char *loc)
{
	xv *vdis = NULL;
	xv *key = xv_str(loc);
	xerr *e = store_find(t, CLS_VDI, obj_fld(CLS_VDI, "location"), key, &vdis);
	xv_free(key);
	char *out = NULL;
	for (size_t i = 0; !e && !out && i < xv_len(vdis); i++) {
		const char *vdi = xv_s(xv_array_get(vdis, i));
		char *s = obj_get_str(t, CLS_VDI, vdi, "SR");
		if (!strcmp(s, sr_ref))
			out = hx_strdup(vdi);
		free(s);
	}
	xerr_free(e);
	xv_free(vdis);
	return out;
}

static int rec_record_at(void *ctx, sm_sr *sr, const char *a, const char *b)
{
	struct xapid *app = ctx;
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		xerr_free(e);
		return -1;
	}
	int r = 0;
	char *ref = store_ref_of_uuid(t, CLS_SR, sr->uuid);
	char *va = ref ? vdi_at(t, ref, a) : NULL;
	char *vb = ref && !va ? vdi_at(t, ref, b) : NULL;
	r = va ? 1 : vb ? 2 : 0;
	free(va);
	free(vb);
	free(ref);
	store_rollback(t);
	return r;
}

static xerr *rec_move(void *ctx, sm_sr *sr, const char *from, const char *to)
{
	struct xapid *app = ctx;
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e)
		return e;
	char *ref = store_ref_of_uuid(t, CLS_SR, sr->uuid);
	char *vdi = ref ? vdi_at(t, ref, from) : NULL;
	if (vdi)
		e = obj_set(t, CLS_VDI, vdi, "location", xv_str(to));
	if (!e)
		e = store_commit(t);
	else
		store_rollback(t);
	free(vdi);
	free(ref);
	return e;
}

/* Runs the driver's recovery of SR handle sr (sr->lock held by caller). */
static int recover_sr(struct xapid *app, sm_sr *sr)
{
	if (!sr->drv->sr_recover)
		return 0;
	sm_recover rc = { .ctx = app, .record_at = rec_record_at, .move = rec_move };
	return sr->drv->sr_recover(sr, &rc);
}

void storage_recover_start(struct xapid *app)
{
	(void)app;
	pthread_mutex_lock(&tab_lock);
	recover_ready = true;
	for (struct entry *e = tab; e; e = e->next)
		e->gc_wanted = true;
	pthread_cond_broadcast(&tab_cond);
	pthread_mutex_unlock(&tab_lock);
}

/* ---- GC thread ---------------------------------------------------------------------- */

static void *gc_main(void *arg)
{
	struct xapid *app = arg;
	pthread_mutex_lock(&tab_lock);
	while (!gc_stop) {
		struct entry *w = NULL;
		for (struct entry *e = tab; e && !w && recover_ready; e = e->next)
			if (e->gc_wanted && e->sr->drv->sr_gc)
				w = e;
		if (!w) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 5;
			pthread_cond_timedwait(&tab_cond, &tab_lock, &ts);
			/* Deferred work (chains in use) is retried every 5 s. */
			continue;
		}
		w->gc_wanted = false;
		w->busy++;
		sm_sr *sr = w->sr;
		char *ref = hx_strdup(w->ref);
		pthread_mutex_unlock(&tab_lock);
		int remaining = 0;
		pthread_mutex_lock(&sr->lock);
		/* Interrupted live operations first: the GC of the SR waits
		 * until they are settled. */
		int pending = recover_sr(app, sr);
		xerr *e = sr->drv->sr_gc(sr, &remaining);
		pthread_mutex_unlock(&sr->lock);
		if (pending && !remaining)
			remaining = pending;
		bool failed = e != NULL;
		if (e) {
			fprintf(stderr, "xapid: sm gc on SR %s: %s %s\n", sr->uuid, e->code,
			        e->nparams > 1 ? e->params[1] : e->nparams ? e->params[0] : "");
			xerr_free(e);
		}
		xerr_free(storage_update_sizes(app, ref));
		free(ref);
		pthread_mutex_lock(&tab_lock);
		w->busy--;
		pthread_cond_broadcast(&tab_cond);
		if (remaining || failed) {
			/* Retry: soon while merges progress; a failed pass (its
			 * chain untouched, sm.h) after 5 s, until it works. */
			w->gc_wanted = true;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			if (failed)
				ts.tv_sec += 5;
			else
				ts.tv_nsec += 500 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (!gc_stop)
				pthread_cond_timedwait(&tab_cond, &tab_lock, &ts);
		}
	}
	pthread_mutex_unlock(&tab_lock);
	return NULL;
}

/* ---- SM records, re-plug, default SR ------------------------------------------------- */

static xerr *ensure_sm_records(txn *t)
{
	xerr *e = NULL;
	for (const sm_driver *const *d = sm_drivers(); *d && !e; d++) {
		xv *found = NULL;
		xv *key = xv_str((*d)->type);
		e = store_find(t, CLS_SM, obj_fld(CLS_SM, "type"), key, &found);
		xv_free(key);
		size_t n = xv_len(found);
		xv_free(found);
		if (e || n)
			continue;
		xv *r = xv_struct();
		xv_struct_set(r, "type", xv_str((*d)->type));
		xv_struct_set(r, "name_label", xv_str((*d)->name_label));
		xv_struct_set(r, "name_description", xv_str((*d)->name_description));
		xv_struct_set(r, "vendor", xv_str((*d)->vendor));
		xv_struct_set(r, "copyright", xv_str((*d)->copyright));
		xv_struct_set(r, "version", xv_str((*d)->version));
		xv_struct_set(r, "required_api_version", xv_str((*d)->required_api_version));
		xv *caps = xv_array(), *feat = xv_struct(), *conf = xv_struct();
		for (const char *const *c = (*d)->capabilities; c && *c; c++) {
			xv_array_push(caps, xv_str(*c));
			xv_struct_set(feat, *c, xv_int(1));
		}
		for (const char *const *c = (*d)->configuration; c && c[0] && c[1]; c += 2)
			xv_struct_set(conf, c[0], xv_str(c[1]));
		xv_struct_set(r, "capabilities", caps);
		xv_struct_set(r, "features", feat);
		xv_struct_set(r, "configuration", conf);
		xv_struct_set(r, "driver_filename", xv_strf("sm/%s", (*d)->type));
		e = obj_create(t, CLS_SM, r, NULL);
	}
	return e;
}

/* Creates the default local SR (first start) and sets pool.default_SR. */
static void ensure_default_sr(struct xapid *app)
{
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		xerr_free(e);
		return;
	}
	char *cur = obj_get_str(t, CLS_pool, app->pool_ref, "default_SR");
	xv *oc = obj_get(t, CLS_pool, app->pool_ref, "other_config");
	bool done = (oc && xv_struct_str(oc, "halyard-default-sr-made")) ||
		    store_exists(t, CLS_SR, cur);
	xv_free(oc);
	free(cur);
	store_rollback(t);
	if (done || getenv("HALYARD_NO_DEFAULT_SR"))
		return;
	char uuid[37];
	hx_uuid(uuid);
	char *loc = hx_asprintf("%s/sr-local", app->cfg.state_dir);
	xv *dc = xv_struct();
	xv_struct_set(dc, "location", xv_str(loc));
	char *sr_ref = NULL;
	e = storage_sr_create_records(app, app->host_ref, dc, "Local storage",
	                              "Local directory SR (qcow2 images)", "ext", "user",
	                              false, NULL, uuid, &sr_ref);
	xv_free(dc);
	free(loc);
	if (e) {
		fprintf(stderr, "xapid: cannot create the default SR: %s %s\n", e->code,
		        e->nparams > 1 ? e->params[1] : "");
		xerr_free(e);
		return;
	}
	if (!(e = store_begin(app->db, true, &t))) {
		e = obj_set(t, CLS_pool, app->pool_ref, "default_SR", xv_str(sr_ref));
		if (!e)
			e = obj_set(t, CLS_pool, app->pool_ref, "suspend_image_SR", xv_str(sr_ref));
		if (!e)
			e = obj_set(t, CLS_pool, app->pool_ref, "crash_dump_SR", xv_str(sr_ref));
		xv *poc = obj_get(t, CLS_pool, app->pool_ref, "other_config");
		if (!poc || poc->kind != XV_STRUCT) {
			xv_free(poc);
			poc = xv_struct();
		}
		xv_struct_set(poc, "halyard-default-sr-made", xv_str("true"));
		if (!e)
			e = obj_set(t, CLS_pool, app->pool_ref, "other_config", poc);
		else
			xv_free(poc);
		if (!e)
			e = store_commit(t);
		else
			store_rollback(t);
	}
	xerr_free(e);
	free(sr_ref);
}

/* Plugs again the PBDs of this host that were plugged when xapid stopped. */
static void replug(struct xapid *app)
{
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		xerr_free(e);
		return;
	}
	xv *all = NULL;
	e = store_get_all_records(t, CLS_PBD, &all);
	for (size_t i = 0; !e && i < xv_len(all); i++) {
		const char *pbd = all->u.st.m[i].key;
		xv *rec = all->u.st.m[i].val;
		if (strcmp(rs(rec, "host"), app->host_ref) || !rb(rec, "currently_attached"))
			continue;
		const char *sr = rs(rec, "SR");
		char *uuid = obj_get_str(t, CLS_SR, sr, "uuid");
		char *type = obj_get_str(t, CLS_SR, sr, "type");
		xv *smc = obj_get(t, CLS_SR, sr, "sm_config");
		xerr *x = storage_attach(app, sr, uuid, type, xv_struct_get(rec, "device_config"), smc);
		if (x) {
			fprintf(stderr, "xapid: PBD %s: re-plug failed: %s %s\n", pbd, x->code,
			        x->nparams > 1 ? x->params[1] : "");
			xerr_free(x);
			/* recorded as unplugged below */
		}
		free(uuid);
		free(type);
		xv_free(smc);
	}
	store_rollback(t);
	xerr_free(e);
	/* Records of PBDs that did not come back. */
	if ((e = store_begin(app->db, true, &t))) {
		xerr_free(e);
		xv_free(all);
		return;
	}
	for (size_t i = 0; i < xv_len(all); i++) {
		const char *pbd = all->u.st.m[i].key;
		xv *rec = all->u.st.m[i].val;
		if (strcmp(rs(rec, "host"), app->host_ref) || !rb(rec, "currently_attached"))
			continue;
		sm_sr *h;
		xerr *x = storage_get(app, rs(rec, "SR"), &h);
		if (x) {
			xerr_free(x);
			xerr_free(obj_set(t, CLS_PBD, pbd, "currently_attached", xv_bool(false)));
			xerr_free(storage_sr_update_allowed(t, rs(rec, "SR")));
		} else {
			storage_put(h);
		}
	}
	xerr_free(store_commit(t));
	xv_free(all);
}

void storage_init(struct xapid *app)
{
	g_app = app;
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (!e) {
		e = ensure_sm_records(t);
		if (!e)
			e = store_commit(t);
		else
			store_rollback(t);
	}
	if (e) {
		fprintf(stderr, "xapid: SM records: %s\n", e->code);
		xerr_free(e);
	}
	replug(app);
	ensure_default_sr(app);
	gc_stop = false;
	gc_running = pthread_create(&gc_thread, NULL, gc_main, app) == 0;
}

void storage_shutdown(struct xapid *app)
{
	if (gc_running) {
		pthread_mutex_lock(&tab_lock);
		gc_stop = true;
		pthread_cond_broadcast(&tab_cond);
		pthread_mutex_unlock(&tab_lock);
		pthread_join(gc_thread, NULL);
		gc_running = false;
	}
	pthread_mutex_lock(&tab_lock);
	struct entry *e = tab;
	tab = NULL;
	pthread_mutex_unlock(&tab_lock);
	while (e) {
		struct entry *n = e->next;
		xerr_free(e->sr->drv->sr_detach(e->sr));
		sm_sr_free(e->sr);
		free(e->ref);
		free(e);
		e = n;
	}
}
