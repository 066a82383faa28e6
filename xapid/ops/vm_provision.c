/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM.provision: creates the disks a template's other_config:disks asks
 * for, as XAPI does on vm-install:
 *   <provision><disk device="0" size="8589934592" sr="<uuid or empty>"
 *    bootable="true" type="system"/></provision>
 * An empty sr means the pool's default_SR. Each disk is a VDI (VDI.create
 * through the driver) and a VBD; other_config:disks is then removed so a
 * second provision does nothing. A failure removes what it made.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "storage.h"
#include "storage_ops.h"
#include "util.h"
#include "xapid.h"

struct pdisk {
	char *device, *sr, *type;
	int64_t size;
	bool bootable;
};

static xerr *parse(const char *text, struct pdisk **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "disks.xml", NULL,
	                              XML_PARSE_NONET | XML_PARSE_NOERROR |
	                              XML_PARSE_NOWARNING);
	if (!doc)
		return xerr_new("INVALID_VALUE", "other_config:disks", "not XML", NULL);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xerr *e = NULL;
	if (!root || strcmp((const char *)root->name, "provision"))
		e = xerr_new("INVALID_VALUE", "other_config:disks", "no <provision>", NULL);
	for (xmlNodePtr d = root ? root->children : NULL; d && !e; d = d->next) {
		if (d->type != XML_ELEMENT_NODE || strcmp((const char *)d->name, "disk"))
			continue;
		xmlChar *dev = xmlGetProp(d, BAD_CAST "device"), *size = xmlGetProp(d, BAD_CAST "size");
		xmlChar *sr = xmlGetProp(d, BAD_CAST "sr"), *boot = xmlGetProp(d, BAD_CAST "bootable");
		xmlChar *type = xmlGetProp(d, BAD_CAST "type");
		char *end = NULL;
		long long sz = size ? strtoll((const char *)size, &end, 10) : -1;
		if (!dev || !size || *end || sz <= 0) {
			e = xerr_new("INVALID_VALUE", "other_config:disks", "a disk needs device and size", NULL);
		} else {
			*out = hx_realloc(*out, (*n + 1) * sizeof(**out));
			struct pdisk *p = &(*out)[(*n)++];
			p->device = hx_strdup((const char *)dev);
			p->sr = hx_strdup(sr ? (const char *)sr : "");
			p->type = hx_strdup(type ? (const char *)type : "system");
			p->size = sz;
			p->bootable = boot && !strcmp((const char *)boot, "true");
		}
		xmlFree(dev);
		xmlFree(size);
		xmlFree(sr);
		xmlFree(boot);
		xmlFree(type);
	}
	xmlFreeDoc(doc);
	return e;
}

static void pdisks_free(struct pdisk *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].device);
		free(d[i].sr);
		free(d[i].type);
	}
	free(d);
}

xerr *op_VM_provision(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vm = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	xv *oc = NULL;
	char *name = NULL, *dsr = NULL;
	if (!(e = check_ref(t, CLS_VM, vm))) {
		oc = obj_get(t, CLS_VM, vm, "other_config");
		name = obj_get_str(t, CLS_VM, vm, "name_label");
		dsr = obj_get_str(t, CLS_pool, ctx->app->pool_ref, "default_SR");
	}
	store_rollback(t);
	const char *xml = oc ? xv_struct_str(oc, "disks") : NULL;
	struct pdisk *d = NULL;
	size_t n = 0;
	if (!e && xml && *xml)
		e = parse(xml, &d, &n);
	call_ctx sub = *ctx;
	char **made = hx_calloc(n + 1, sizeof(char *));
	size_t nmade = 0;
	for (size_t i = 0; i < n && !e; i++) {
		char *sr = NULL;
		if (*d[i].sr) {
			if (!(e = db_begin(ctx, false, &t))) {
				sr = hx_is_uuid(d[i].sr) ? store_ref_of_uuid(t, CLS_SR, d[i].sr) : NULL;
				store_rollback(t);
			}
			if (!e && !sr)
				e = xerr_new("UUID_INVALID", "SR", d[i].sr, NULL);
		} else if (hx_is_null_ref(dsr) || !*dsr) {
			e = xerr_new("DEFAULT_SR_NOT_FOUND", HX_NULL_REF, NULL);
		} else {
			sr = hx_strdup(dsr);
		}
		if (e)
			break;
		xv *rec = xv_struct();
		xv_struct_set(rec, "SR", xv_str(sr));
		xv_struct_set(rec, "name_label", xv_strf("%s %s", name, d[i].device));
		xv_struct_set(rec, "name_description", xv_str("Created by VM.provision"));
		xv_struct_set(rec, "virtual_size", xv_int(d[i].size));
		xv_struct_set(rec, "type", xv_str(d[i].type));
		xv_struct_set(rec, "sharable", xv_bool(false));
		xv_struct_set(rec, "read_only", xv_bool(false));
		xv_struct_set(rec, "other_config", xv_struct());
		xv_struct_set(rec, "sm_config", xv_struct());
		xv *vdi = NULL;
		xv *vargs[1] = { rec };
		e = vdi_create_call(&sub, vargs, &vdi);
		xv_free(rec);
		free(sr);
		if (e)
			break;
		made[nmade++] = hx_strdup(xv_s(vdi));
		xv *vb = xv_struct();
		xv_struct_set(vb, "VM", xv_str(vm));
		xv_struct_set(vb, "VDI", xv_str(xv_s(vdi)));
		xv_struct_set(vb, "userdevice", xv_str(d[i].device));
		xv_struct_set(vb, "bootable", xv_bool(d[i].bootable));
		xv_struct_set(vb, "mode", xv_str("RW"));
		xv_struct_set(vb, "type", xv_str("Disk"));
		xv_struct_set(vb, "unpluggable", xv_bool(true));
		xv_struct_set(vb, "empty", xv_bool(false));
		xv_struct_set(vb, "other_config", xv_struct());
		xv *vbd = NULL;
		xv *bargs[1] = { vb };
		e = vbd_create_call(&sub, bargs, &vbd);
		xv_free(vb);
		xv_free(vbd);
		xv_free(vdi);
	}
	if (e) {
		for (size_t i = 0; i < nmade; i++) {
			xv *a[1] = { xv_str(made[i]) };
			xerr_free(vdi_destroy_call(&sub, a));
			xv_free(a[0]);
		}
	} else if (xml && !(e = db_begin(ctx, true, &t))) {
		xv_struct_del(oc, "disks");
		e = obj_set(t, CLS_VM, vm, "other_config", oc);
		oc = NULL;
		e = e ? (store_rollback(t), e) : store_commit(t);
	}
	for (size_t i = 0; i < nmade; i++)
		free(made[i]);
	free(made);
	pdisks_free(d, n);
	xv_free(oc);
	free(name);
	free(dsr);
	return e;
}
