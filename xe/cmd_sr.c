/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storage commands: sr-create, sr-introduce, sr-forget, sr-destroy,
 * sr-scan, sr-probe, pbd-plug, pbd-unplug, vdi-create, vdi-destroy,
 * vdi-forget, vdi-snapshot, vdi-clone, vdi-copy, vdi-resize, vdi-import,
 * vdi-export, vbd-create, vbd-destroy, vbd-plug, vbd-unplug, vbd-insert,
 * vbd-eject, cd-list, vm-disk-add, vm-disk-remove, vm-disk-list,
 * vm-cd-add, vm-cd-insert, vm-cd-eject, vm-cd-remove, vm-cd-list, vm-snapshot, vm-clone,
 * vm-copy.
 * The *-list and *-param-* commands are the generic ones (cmd_class.c).
 * Objects are named by uuid (uuid=, sr-uuid=, vdi-uuid=, vm=) as xe does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "xe.h"

/* A ref from a uuid parameter (required). */
static xerr *ref_param(xe_ctx *x, const char *param, const char *cls, char **ref)
{
	const char *u = xe_param_get(x->params, param);
	if (!u || !*u)
		return xe_usage_error("Missing parameter", param);
	return xe_ref_of_uuid(x, cls, u, ref);
}

/* device-config:key=value (and sm-config:…) into a map. */
static xv *prefixed_map(xe_ctx *x, const char *prefix)
{
	xv *m = xv_struct();
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < x->params->n; i++) {
		const char *k = x->params->p[i].key;
		if (!strncmp(k, prefix, pl) && k[pl])
			xv_struct_set(m, k + pl, xv_str(x->params->p[i].val));
	}
	return m;
}

/* Sizes: plain bytes or with a KiB/MiB/GiB/TiB suffix (K, M, G, T too). */
static int parse_size(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -EINVAL;
	int sh = 0;
	if (!strcasecmp(end, "") || !strcasecmp(end, "B"))
		sh = 0;
	else if (!strcasecmp(end, "K") || !strcasecmp(end, "KiB"))
		sh = 10;
	else if (!strcasecmp(end, "M") || !strcasecmp(end, "MiB"))
		sh = 20;
	else if (!strcasecmp(end, "G") || !strcasecmp(end, "GiB"))
		sh = 30;
	else if (!strcasecmp(end, "T") || !strcasecmp(end, "TiB"))
		sh = 40;
	else
		return -EINVAL;
	if (v > (INT64_MAX >> sh))
		return -EINVAL;
	*out = (int64_t)v << sh;
	return 0;
}

/* Prints the uuid of ref of class cls. */
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

static const char *pstr(xe_ctx *x, const char *k, const char *def)
{
	const char *v = xe_param_get(x->params, k);
	return v ? v : def;
}

static xerr *this_host(xe_ctx *x, char **ref)
{
	const char *u = xe_param_get(x->params, "host-uuid");
	if (u)
		return xe_ref_of_uuid(x, "host", u, ref);
	xv *all = NULL;
	xerr *e = xe_callv(x, "host.get_all", &all, NULL);
	if (!e && xv_len(all) != 1)
		e = xe_fail("give host-uuid=");
	if (!e)
		*ref = hx_strdup(xv_s(xv_array_get(all, 0)));
	xv_free(all);
	return e;
}

/* ---- SR / PBD ------------------------------------------------------------------ */

static int sr_create(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *host = NULL;
	xerr *e = this_host(x, &host);
	const char *name = pstr(x, "name-label", NULL);
	if (!e && !name)
		e = xe_usage_error("Missing parameter", "name-label");
	const char *type = pstr(x, "type", NULL);
	if (!e && !type)
		e = xe_usage_error("Missing parameter", "type");
	int64_t size = 0;
	const char *ps = pstr(x, "physical-size", NULL);
	if (!e && ps && parse_size(ps, &size))
		e = xe_fail("bad physical-size %s", ps);
	xv *ref = NULL;
	if (!e)
		e = xe_callv(x, "SR.create", &ref, xv_str(host), prefixed_map(x, "device-config:"),
		             xv_int(size), xv_str(name), xv_str(pstr(x, "name-description", "")),
		             xv_str(type), xv_str(pstr(x, "content-type", "")),
		             xv_bool(xe_param_bool(x->params, "shared", false)),
		             prefixed_map(x, "sm-config:"), NULL);
	if (!e)
		e = print_uuid(x, "SR", xv_s(ref));
	xv_free(ref);
	free(host);
	return xe_finish(e);
}

static int sr_introduce(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	const char *uuid = pstr(x, "uuid", NULL), *type = pstr(x, "type", NULL);
	if (!uuid || !type)
		return xe_finish(xe_usage_error("Missing parameter", "uuid, type"));
	xv *ref = NULL;
	xerr *e = xe_callv(x, "SR.introduce", &ref, xv_str(uuid), xv_str(pstr(x, "name-label", "")),
	                   xv_str(pstr(x, "name-description", "")), xv_str(type),
	                   xv_str(pstr(x, "content-type", "")),
	                   xv_bool(xe_param_bool(x->params, "shared", false)),
	                   prefixed_map(x, "sm-config:"), NULL);
	if (!e)
		fprintf(x->out, "%s\n", uuid);
	xv_free(ref);
	return xe_finish(e);
}

/* <cls>.<msg>(the ref of uuid=, extra, extra2) (the extras are taken;
 * NULL ends the arguments); prints the uuid of a returned <cls> ref. */
static int uuid_call(xe_ctx *x, const char *cls, const char *msg, xv *extra, xv *extra2)
{
	char *ref = NULL;
	xerr *e = ref_param(x, "uuid", cls, &ref);
	char *m = hx_asprintf("%s.%s", cls, msg);
	xv *r = NULL;
	if (!e)
		e = xe_callv(x, m, &r, xv_str(ref), extra, extra2, NULL);
	else {
		xv_free(extra);
		xv_free(extra2);
	}
	if (!e && r && r->kind == XV_STRING && hx_is_ref(xv_s(r)))
		e = print_uuid(x, cls, xv_s(r));
	xv_free(r);
	free(m);
	free(ref);
	return xe_finish(e);
}

static int sr_destroy(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "SR", "destroy", NULL, NULL); }
static int sr_forget(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "SR", "forget", NULL, NULL); }
static int sr_scan(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "SR", "scan", NULL, NULL); }

static int sr_probe(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *host = NULL;
	xerr *e = this_host(x, &host);
	const char *type = pstr(x, "type", NULL);
	if (!e && !type)
		e = xe_usage_error("Missing parameter", "type");
	xv *r = NULL;
	if (!e)
		e = xe_callv(x, "SR.probe", &r, xv_str(host), prefixed_map(x, "device-config:"),
		             xv_str(type), prefixed_map(x, "sm-config:"), NULL);
	if (!e)
		fprintf(x->out, "%s\n", xv_s(r));
	xv_free(r);
	free(host);
	return xe_finish(e);
}

static int pbd_plug(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "PBD", "plug", NULL, NULL); }
static int pbd_unplug(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "PBD", "unplug", NULL, NULL); }

/* ---- VDI --------------------------------------------------------------------------- */

static xerr *default_sr(xe_ctx *x, char **ref)
{
	const char *u = xe_param_get(x->params, "sr-uuid");
	if (u)
		return xe_ref_of_uuid(x, "SR", u, ref);
	xv *pools = NULL, *sr = NULL;
	xerr *e = xe_callv(x, "pool.get_all", &pools, NULL);
	if (!e)
		e = xe_callv(x, "pool.get_default_SR", &sr, xv_str(xv_s(xv_array_get(pools, 0))), NULL);
	if (!e && hx_is_null_ref(xv_s(sr)))
		e = xe_usage_error("Missing parameter", "sr-uuid (no default SR)");
	if (!e)
		*ref = hx_strdup(xv_s(sr));
	xv_free(pools);
	xv_free(sr);
	return e;
}

static xerr *vdi_new(xe_ctx *x, const char *sr, const char *name, int64_t size, xv **ref)
{
	xv *rec = xv_struct();
	xv_struct_set(rec, "SR", xv_str(sr));
	xv_struct_set(rec, "name_label", xv_str(name));
	xv_struct_set(rec, "name_description", xv_str(pstr(x, "name-description", "")));
	xv_struct_set(rec, "virtual_size", xv_int(size));
	xv_struct_set(rec, "type", xv_str(pstr(x, "type", "user")));
	xv_struct_set(rec, "sharable", xv_bool(xe_param_bool(x->params, "sharable", false)));
	xv_struct_set(rec, "read_only", xv_bool(xe_param_bool(x->params, "read-only", false)));
	xv_struct_set(rec, "other_config", prefixed_map(x, "other-config:"));
	xv_struct_set(rec, "sm_config", prefixed_map(x, "sm-config:"));
	xv_struct_set(rec, "xenstore_data", xv_struct());
	xv_struct_set(rec, "tags", xv_array());
	return xe_callv(x, "VDI.create", ref, rec, NULL);
}

static int vdi_create(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *sr = NULL;
	xerr *e = default_sr(x, &sr);
	const char *vs = pstr(x, "virtual-size", NULL);
	int64_t size = 0;
	if (!e && (!vs || parse_size(vs, &size)))
		e = xe_usage_error("Missing or bad parameter", "virtual-size");
	xv *ref = NULL;
	if (!e)
		e = vdi_new(x, sr, pstr(x, "name-label", ""), size, &ref);
	if (!e)
		e = print_uuid(x, "VDI", xv_s(ref));
	xv_free(ref);
	free(sr);
	return xe_finish(e);
}

static int vdi_destroy(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "VDI", "destroy", NULL, NULL); }
static int vdi_forget(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "VDI", "forget", NULL, NULL); }

static int vdi_snapshot(xe_ctx *x, const char *c, const xe_cmd_def *d)
{
	return uuid_call(x, "VDI", "snapshot", prefixed_map(x, "driver-params:"), NULL);
}

static int vdi_clone(xe_ctx *x, const char *c, const xe_cmd_def *d)
{
	return uuid_call(x, "VDI", "clone", prefixed_map(x, "driver-params:"), NULL);
}

static int vdi_resize(xe_ctx *x, const char *c, const xe_cmd_def *d)
{
	const char *s = pstr(x, "disk-size", NULL);
	int64_t size;
	if (!s || parse_size(s, &size))
		return xe_finish(xe_usage_error("Missing or bad parameter", "disk-size"));
	return uuid_call(x, "VDI", "resize", xv_int(size), NULL);
}

static int vdi_copy(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vdi = NULL, *sr = NULL;
	xerr *e = ref_param(x, "uuid", "VDI", &vdi);
	if (!e)
		e = ref_param(x, "sr-uuid", "SR", &sr);
	xv *r = NULL;
	if (!e)
		e = xe_callv(x, "VDI.copy", &r, xv_str(vdi), xv_str(sr), xv_str(HX_NULL_REF),
		             xv_str(HX_NULL_REF), NULL);
	if (!e)
		e = print_uuid(x, "VDI", xv_s(r));
	xv_free(r);
	free(vdi);
	free(sr);
	return xe_finish(e);
}

static const char *fmt_param(xe_ctx *x)
{
	return pstr(x, "format", "raw");
}

static int vdi_import(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vdi = NULL;
	xerr *e = ref_param(x, "uuid", "VDI", &vdi);
	const char *fn = pstr(x, "filename", NULL);
	if (!e && !fn)
		e = xe_usage_error("Missing parameter", "filename");
	FILE *f = NULL;
	if (!e && !(f = fopen(fn, "rb")))
		e = xe_fail("cannot open %s: %s", fn, strerror(errno));
	long long size = 0;
	if (!e && (fseeko(f, 0, SEEK_END) || (size = ftello(f)) < 0 || fseeko(f, 0, SEEK_SET)))
		e = xe_fail("cannot size %s", fn);
	xv *task = NULL;
	if (!e)
		e = xe_callv(x, "task.create", &task, xv_str("xe vdi-import"), xv_str(""), NULL);
	if (!e) {
		char *path = hx_asprintf("/import_raw_vdi?session_id=%s&task_id=%s&vdi=%s&format=%s",
		                         x->session, xv_s(task), vdi, fmt_param(x));
		e = xe_conn_http_put(x->conn, path, f, size);
		free(path);
		xv *st = NULL, *ei = NULL;
		if (!xe_callv(x, "task.get_status", &st, xv_str(xv_s(task)), NULL) &&
		    !strcmp(xv_s(st), "failure") &&
		    !xe_callv(x, "task.get_error_info", &ei, xv_str(xv_s(task)), NULL) && xv_len(ei)) {
			xerr_free(e);
			e = xerr_new(xv_s(xv_array_get(ei, 0)), NULL);
			for (size_t i = 1; i < xv_len(ei); i++)
				xerr_add(e, xv_s(xv_array_get(ei, i)));
		}
		xv_free(st);
		xv_free(ei);
		xerr_free(xe_callv(x, "task.destroy", NULL, xv_str(xv_s(task)), NULL));
	}
	if (f)
		fclose(f);
	xv_free(task);
	free(vdi);
	return xe_finish(e);
}

static int vdi_export(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vdi = NULL;
	xerr *e = ref_param(x, "uuid", "VDI", &vdi);
	const char *fn = pstr(x, "filename", NULL);
	if (!e && !fn)
		e = xe_usage_error("Missing parameter", "filename");
	FILE *f = NULL;
	if (!e && !(f = fopen(fn, "wb")))
		e = xe_fail("cannot create %s: %s", fn, strerror(errno));
	if (!e) {
		char *path = hx_asprintf("/export_raw_vdi?session_id=%s&vdi=%s&format=%s",
		                         x->session, vdi, fmt_param(x));
		e = xe_conn_http_get(x->conn, path, f);
		free(path);
	}
	if (f && fclose(f) && !e)
		e = xe_fail("writing %s: %s", fn, strerror(errno));
	free(vdi);
	return xe_finish(e);
}

/* ---- VBD --------------------------------------------------------------------------- */

static xerr *vm_ref(xe_ctx *x, char **ref)
{
	const char *v = pstr(x, "vm", pstr(x, "vm-uuid", NULL));
	if (!v)
		return xe_usage_error("Missing parameter", "vm");
	if (hx_is_uuid(v) && !xe_ref_of_uuid(x, "VM", v, ref))
		return NULL;
	xv *refs = NULL;
	xerr *e = xe_callv(x, "VM.get_by_name_label", &refs, xv_str(v), NULL);
	if (!e && xv_len(refs) != 1)
		e = xe_fail(xv_len(refs) ? "Multiple VMs match '%s'; use its uuid" : "No matching VMs found (%s)", v);
	if (!e)
		*ref = hx_strdup(xv_s(xv_array_get(refs, 0)));
	xv_free(refs);
	return e;
}

static xerr *vbd_new(xe_ctx *x, const char *vm, const char *vdi, const char *device,
                     const char *type, const char *mode, bool bootable, xv **ref)
{
	xv *rec = xv_struct();
	xv_struct_set(rec, "VM", xv_str(vm));
	xv_struct_set(rec, "VDI", xv_str(vdi ? vdi : HX_NULL_REF));
	xv_struct_set(rec, "userdevice", xv_str(device));
	xv_struct_set(rec, "bootable", xv_bool(bootable));
	xv_struct_set(rec, "mode", xv_str(mode));
	xv_struct_set(rec, "type", xv_str(type));
	xv_struct_set(rec, "empty", xv_bool(vdi == NULL));
	xv_struct_set(rec, "unpluggable", xv_bool(xe_param_bool(x->params, "unpluggable", true)));
	xv_struct_set(rec, "other_config", xv_struct());
	xv_struct_set(rec, "qos_algorithm_type", xv_str(""));
	xv_struct_set(rec, "qos_algorithm_params", xv_struct());
	return xe_callv(x, "VBD.create", ref, rec, NULL);
}

static int vbd_create(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vm = NULL, *vdi = NULL;
	xerr *e = vm_ref(x, &vm);
	if (!e && xe_param_get(x->params, "vdi-uuid"))
		e = ref_param(x, "vdi-uuid", "VDI", &vdi);
	xv *ref = NULL;
	if (!e)
		e = vbd_new(x, vm, vdi, pstr(x, "device", "autodetect"), pstr(x, "type", "Disk"),
		            pstr(x, "mode", "RW"), xe_param_bool(x->params, "bootable", false), &ref);
	if (!e)
		e = print_uuid(x, "VBD", xv_s(ref));
	xv_free(ref);
	free(vm);
	free(vdi);
	return xe_finish(e);
}

static int vbd_destroy(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "VBD", "destroy", NULL, NULL); }
static int vbd_plug(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "VBD", "plug", NULL, NULL); }
static int vbd_eject(xe_ctx *x, const char *c, const xe_cmd_def *d) { return uuid_call(x, "VBD", "eject", NULL, NULL); }

static int vbd_unplug(xe_ctx *x, const char *c, const xe_cmd_def *d)
{
	return uuid_call(x, "VBD", xe_param_bool(x->params, "force", false) ? "unplug_force" : "unplug", NULL, NULL);
}

static int vbd_insert(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vdi = NULL;
	xerr *e = ref_param(x, "vdi-uuid", "VDI", &vdi);
	if (e)
		return xe_finish(e);
	return uuid_call(x, "VBD", "insert", xv_str_own(vdi), NULL);
}

/* The VM's VBDs of a type (records, heap struct ref -> rec). */
static xerr *vm_vbds(xe_ctx *x, const char *vm, const char *type, xv **out)
{
	xv *refs = NULL;
	xerr *e = xe_callv(x, "VM.get_VBDs", &refs, xv_str(vm), NULL);
	*out = xv_struct();
	for (size_t i = 0; !e && i < xv_len(refs); i++) {
		const char *r = xv_s(xv_array_get(refs, i));
		xv *rec = NULL;
		if ((e = xe_callv(x, "VBD.get_record", &rec, xv_str(r), NULL)))
			break;
		if (!strcmp(xv_struct_str(rec, "type") ? xv_struct_str(rec, "type") : "", type))
			xv_struct_set(*out, r, rec);
		else
			xv_free(rec);
	}
	xv_free(refs);
	return e;
}

static int vm_disk_add(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vm = NULL, *sr = NULL;
	xerr *e = vm_ref(x, &vm);
	if (!e)
		e = default_sr(x, &sr);
	const char *ds = pstr(x, "disk-size", NULL);
	int64_t size = 0;
	if (!e && (!ds || parse_size(ds, &size)))
		e = xe_usage_error("Missing or bad parameter", "disk-size");
	xv *vdi = NULL, *vbd = NULL, *ps = NULL;
	if (!e)
		e = vdi_new(x, sr, pstr(x, "name-label", "disk"), size, &vdi);
	if (!e)
		e = vbd_new(x, vm, xv_s(vdi), pstr(x, "device", "autodetect"), "Disk", "RW", false, &vbd);
	if (!e)
		e = xe_callv(x, "VM.get_power_state", &ps, xv_str(vm), NULL);
	if (!e && !strcmp(xv_s(ps), "Running"))
		e = xe_callv(x, "VBD.plug", NULL, xv_str(xv_s(vbd)), NULL);
	if (!e)
		e = print_uuid(x, "VDI", xv_s(vdi));
	xv_free(vdi);
	xv_free(vbd);
	xv_free(ps);
	free(vm);
	free(sr);
	return xe_finish(e);
}

static int vm_disk_remove(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vm = NULL;
	xerr *e = vm_ref(x, &vm);
	const char *dev = pstr(x, "device", NULL);
	if (!e && !dev)
		e = xe_usage_error("Missing parameter", "device");
	xv *vbds = NULL;
	if (!e)
		e = vm_vbds(x, vm, "Disk", &vbds);
	bool found = false;
	for (size_t i = 0; !e && i < xv_len(vbds); i++) {
		const xv *rec = vbds->u.st.m[i].val;
		if (strcmp(xv_struct_str(rec, "userdevice"), dev))
			continue;
		found = true;
		const char *vbd = vbds->u.st.m[i].key;
		xv *ca = xv_struct_get(rec, "currently_attached");
		if (ca && ca->kind == XV_BOOL && ca->u.b)
			e = xe_callv(x, "VBD.unplug", NULL, xv_str(vbd), NULL);
		if (!e)
			e = xe_callv(x, "VBD.destroy", NULL, xv_str(vbd), NULL);
		if (!e)
			e = xe_callv(x, "VDI.destroy", NULL, xv_str(xv_struct_str(rec, "VDI")), NULL);
	}
	if (!e && !found)
		e = xe_fail("The VM has no disk at device %s", dev);
	xv_free(vbds);
	free(vm);
	return xe_finish(e);
}

static const char *size_text(const xv *v, char *buf, size_t n)
{
	if (v && v->kind == XV_INT)
		snprintf(buf, n, "%lld", (long long)v->u.i);
	else
		snprintf(buf, n, "%s", v && v->kind == XV_STRING ? v->u.str.s : "0");
	return buf;
}

/* Lists a VM's VBDs of a type with their VDIs (vm-disk-list, vm-cd-list). */
static int vm_list_type(xe_ctx *x, const char *type)
{
	char *vm = NULL;
	xerr *e = vm_ref(x, &vm);
	xv *vbds = NULL;
	xv *name = NULL;
	if (!e)
		e = vm_vbds(x, vm, type, &vbds);
	if (!e)
		e = xe_callv(x, "VM.get_name_label", &name, xv_str(vm), NULL);
	for (size_t i = 0; !e && i < xv_len(vbds); i++) {
		const xv *rec = vbds->u.st.m[i].val;
		fprintf(x->out, "VBD:\nuuid ( RO)             : %s\n    vm-name-label ( RO): %s\n"
		        "       userdevice ( RW): %s\n            empty ( RO): %s\n\n",
		        xv_struct_str(rec, "uuid"), name && name->kind == XV_STRING ? name->u.str.s : "",
		        xv_struct_str(rec, "userdevice"),
		        xv_struct_get(rec, "empty") && xv_struct_get(rec, "empty")->u.b ? "true" : "false");
		const char *vdi = xv_struct_str(rec, "VDI");
		char buf[32];
		if (vdi && !hx_is_null_ref(vdi)) {
			xv *vr = NULL;
			if (!(e = xe_callv(x, "VDI.get_record", &vr, xv_str(vdi), NULL)))
				fprintf(x->out, "Disk %s VDI:\nuuid ( RO)             : %s\n"
				        "       name-label ( RW): %s\n     virtual-size ( RO): %s\n\n",
				        xv_struct_str(rec, "userdevice"), xv_struct_str(vr, "uuid"),
				        xv_struct_str(vr, "name_label"),
				        size_text(xv_struct_get(vr, "virtual_size"), buf, sizeof(buf)));
			xv_free(vr);
		}
	}
	xv_free(vbds);
	xv_free(name);
	free(vm);
	return xe_finish(e);
}

static int vm_disk_list(xe_ctx *x, const char *c, const xe_cmd_def *d) { return vm_list_type(x, "Disk"); }
static int vm_cd_list(xe_ctx *x, const char *c, const xe_cmd_def *d) { return vm_list_type(x, "CD"); }

/* The VDI of an ISO named by cd-name (name label) or cd-uuid. */
static xerr *cd_vdi(xe_ctx *x, char **ref)
{
	const char *u = xe_param_get(x->params, "cd-uuid");
	if (u)
		return xe_ref_of_uuid(x, "VDI", u, ref);
	const char *n = xe_param_get(x->params, "cd-name");
	if (!n)
		return xe_usage_error("Missing parameter", "cd-name");
	xv *refs = NULL;
	xerr *e = xe_callv(x, "VDI.get_by_name_label", &refs, xv_str(n), NULL);
	if (!e && xv_len(refs) != 1)
		e = xe_fail(xv_len(refs) ? "Multiple CDs named '%s'" : "No CD named '%s'", n);
	if (!e)
		*ref = hx_strdup(xv_s(xv_array_get(refs, 0)));
	xv_free(refs);
	return e;
}

static int vm_cd_add(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vm = NULL, *vdi = NULL;
	xerr *e = vm_ref(x, &vm);
	if (!e && (xe_param_get(x->params, "cd-name") || xe_param_get(x->params, "cd-uuid")))
		e = cd_vdi(x, &vdi);
	xv *vbd = NULL;
	if (!e)
		e = vbd_new(x, vm, vdi, pstr(x, "device", "autodetect"), "CD", "RO", false, &vbd);
	if (!e)
		e = print_uuid(x, "VBD", xv_s(vbd));
	xv_free(vbd);
	free(vm);
	free(vdi);
	return xe_finish(e);
}

static int vm_cd_insert(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vm = NULL, *vdi = NULL;
	xerr *e = vm_ref(x, &vm);
	if (!e)
		e = cd_vdi(x, &vdi);
	xv *vbds = NULL;
	if (!e)
		e = vm_vbds(x, vm, "CD", &vbds);
	const char *target = NULL;
	for (size_t i = 0; !e && i < xv_len(vbds) && !target; i++) {
		xv *em = xv_struct_get(vbds->u.st.m[i].val, "empty");
		if (em && em->kind == XV_BOOL && em->u.b)
			target = vbds->u.st.m[i].key;
	}
	if (!e && !target)
		e = xerr_new("VM_NO_EMPTY_CD_VBD", vm, NULL);
	if (!e)
		e = xe_callv(x, "VBD.insert", NULL, xv_str(target), xv_str(vdi), NULL);
	xv_free(vbds);
	free(vm);
	free(vdi);
	return xe_finish(e);
}

static int vm_cd_eject(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vm = NULL;
	xerr *e = vm_ref(x, &vm);
	xv *vbds = NULL;
	if (!e)
		e = vm_vbds(x, vm, "CD", &vbds);
	int done = 0;
	for (size_t i = 0; !e && i < xv_len(vbds); i++) {
		xv *em = xv_struct_get(vbds->u.st.m[i].val, "empty");
		if (em && em->kind == XV_BOOL && !em->u.b) {
			e = xe_callv(x, "VBD.eject", NULL, xv_str(vbds->u.st.m[i].key), NULL);
			done++;
		}
	}
	if (!e && !done)
		e = xe_fail("The VM has no CD to eject");
	xv_free(vbds);
	free(vm);
	return xe_finish(e);
}

static int vm_cd_remove(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *vm = NULL;
	xerr *e = vm_ref(x, &vm);
	xv *vbds = NULL;
	if (!e)
		e = vm_vbds(x, vm, "CD", &vbds);
	for (size_t i = 0; !e && i < xv_len(vbds); i++)
		e = xe_callv(x, "VBD.destroy", NULL, xv_str(vbds->u.st.m[i].key), NULL);
	xv_free(vbds);
	free(vm);
	return xe_finish(e);
}

/* vm-clone / vm-copy vm= new-name-label= [sr-uuid=]: prints the new uuid. */
static int vm_clone_copy(xe_ctx *x, bool copy)
{
	char *vm = NULL, *sr = NULL;
	xerr *e = vm_ref(x, &vm);
	const char *name = pstr(x, "new-name-label", NULL);
	if (!e && !name)
		e = xe_usage_error("Missing parameter", "new-name-label");
	if (!e && copy && xe_param_get(x->params, "sr-uuid"))
		e = ref_param(x, "sr-uuid", "SR", &sr);
	xv *r = NULL;
	if (!e)
		e = copy ? xe_callv(x, "VM.copy", &r, xv_str(vm), xv_str(name),
		                    xv_str(sr ? sr : HX_NULL_REF), NULL) :
		           xe_callv(x, "VM.clone", &r, xv_str(vm), xv_str(name), NULL);
	if (!e)
		e = print_uuid(x, "VM", xv_s(r));
	xv_free(r);
	free(vm);
	free(sr);
	return xe_finish(e);
}

/* vm-snapshot vm= new-name-label=: VM.snapshot, prints the snapshot's uuid. */
static int vm_snapshot(xe_ctx *x, const char *c, const xe_cmd_def *d)
{
	char *vm = NULL;
	xerr *e = vm_ref(x, &vm);
	const char *name = pstr(x, "new-name-label", NULL);
	if (!e && !name)
		e = xe_usage_error("Missing parameter", "new-name-label");
	xv *r = NULL;
	if (!e)
		e = xe_callv(x, "VM.snapshot", &r, xv_str(vm), xv_str(name), xv_array(), NULL);
	if (!e)
		e = print_uuid(x, "VM", xv_s(r));
	xv_free(r);
	free(vm);
	return xe_finish(e);
}

static int vm_clone(xe_ctx *x, const char *c, const xe_cmd_def *d) { return vm_clone_copy(x, false); }
static int vm_copy(xe_ctx *x, const char *c, const xe_cmd_def *d) { return vm_clone_copy(x, true); }

/* cd-list: the VDIs of ISO SRs. */
static int cd_list(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	xv *srs = NULL;
	xerr *e = xe_callv(x, "SR.get_all_records", &srs, NULL);
	for (size_t i = 0; !e && i < xv_len(srs); i++) {
		const xv *sr = srs->u.st.m[i].val;
		const char *ct = xv_struct_str(sr, "content_type");
		if (!ct || strcmp(ct, "iso"))
			continue;
		xv *vdis = xv_struct_get(sr, "VDIs");
		for (size_t j = 0; !e && j < xv_len(vdis); j++) {
			xv *vr = NULL;
			if (!(e = xe_callv(x, "VDI.get_record", &vr, xv_str(xv_s(xv_array_get(vdis, j))), NULL))) {
				if (x->minimal)
					fprintf(x->out, "%s%s", j || i ? "," : "", xv_struct_str(vr, "uuid"));
				else
					fprintf(x->out, "uuid ( RO)    : %s\n    name-label ( RW): %s\n\n",
					        xv_struct_str(vr, "uuid"), xv_struct_str(vr, "name_label"));
			}
			xv_free(vr);
		}
	}
	if (x->minimal)
		fprintf(x->out, "\n");
	xv_free(srs);
	return xe_finish(e);
}

xe_cmd_fn xe_find_storage_cmd(const char *cmd)
{
	static const struct {
		const char *name;
		xe_cmd_fn fn;
	} tab[] = {
		{ "sr-create", sr_create }, { "sr-introduce", sr_introduce },
		{ "sr-destroy", sr_destroy }, { "sr-forget", sr_forget }, { "sr-scan", sr_scan },
		{ "sr-probe", sr_probe }, { "pbd-plug", pbd_plug }, { "pbd-unplug", pbd_unplug },
		{ "vdi-create", vdi_create }, { "vdi-destroy", vdi_destroy },
		{ "vdi-forget", vdi_forget }, { "vdi-snapshot", vdi_snapshot },
		{ "vdi-clone", vdi_clone }, { "vdi-copy", vdi_copy }, { "vdi-resize", vdi_resize },
		{ "vdi-import", vdi_import }, { "vdi-export", vdi_export },
		{ "vbd-create", vbd_create }, { "vbd-destroy", vbd_destroy },
		{ "vbd-plug", vbd_plug }, { "vbd-unplug", vbd_unplug },
		{ "vbd-insert", vbd_insert }, { "vbd-eject", vbd_eject }, { "cd-list", cd_list },
		{ "vm-disk-add", vm_disk_add }, { "vm-disk-remove", vm_disk_remove },
		{ "vm-disk-list", vm_disk_list }, { "vm-cd-add", vm_cd_add },
		{ "vm-cd-insert", vm_cd_insert }, { "vm-cd-eject", vm_cd_eject },
		{ "vm-cd-remove", vm_cd_remove }, { "vm-cd-list", vm_cd_list },
		{ "vm-clone", vm_clone }, { "vm-copy", vm_copy }, { "vm-snapshot", vm_snapshot },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].name, cmd))
			return tab[i].fn;
	return NULL;
}
