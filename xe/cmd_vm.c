/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM power commands: vm-start, vm-shutdown [force=true], vm-reboot
 * [force=true], vm-suspend, vm-resume, vm-pause, vm-unpause, vm-reset-powerstate,
 * vm-destroy, and vm-install template=<name|uuid> new-name-label=<name>.
 *
 * The VM is chosen as xe does: vm=<name-label or uuid>, uuid=<uuid> or
 * name-label=<name>; more than one match needs --multiple (not supported
 * here yet: an error says so).
 */
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"
#include "xe.h"

/* The refs of VMs whose field equals val (heap XV_ARRAY). */
static xerr *vms_where(xe_ctx *x, const char *field, const char *val, xv **out)
{
	if (!strcmp(field, "uuid")) {
		char *ref = NULL;
		xerr *e = xe_ref_of_uuid(x, "VM", val, &ref);
		if (e)
			return e;
		*out = xv_array();
		xv_array_push(*out, xv_str_own(ref));
		return NULL;
	}
	return xe_callv(x, "VM.get_by_name_label", out, xv_str(val), NULL);
}

/* The one VM the parameters select (heap ref), templates excluded
 * unless allow_template. */
static xerr *select_vm(xe_ctx *x, bool allow_template, char **ref)
{
	const char *v;
	xv *refs = NULL;
	xerr *e = NULL;
	if ((v = xe_param_get(x->params, "uuid")))
		e = vms_where(x, "uuid", v, &refs);
	else if ((v = xe_param_get(x->params, "name-label")))
		e = vms_where(x, "name_label", v, &refs);
	else if ((v = xe_param_get(x->params, "vm"))) {
		e = hx_is_uuid(v) ? vms_where(x, "uuid", v, &refs) : NULL;
		if (e || !refs || !xv_len(refs)) {
			xerr_free(e);
			xv_free(refs);
			refs = NULL;
			e = vms_where(x, "name_label", v, &refs);
		}
	} else
		return xe_usage_error("No matching VMs found",
				      "give vm=<name or uuid>, uuid= or name-label=");
	if (e)
		return e;
	xv *keep = xv_array();
	for (size_t i = 0; i < xv_len(refs); i++) {
		const char *r = xv_s(xv_array_get(refs, i));
		xv *t = NULL;
		if (!allow_template && !xe_callv(x, "VM.get_is_a_template", &t, xv_str(r), NULL) &&
		    t && t->kind == XV_BOOL && t->u.b) {
			xv_free(t);
			continue;
		}
		xv_free(t);
		xv_array_push(keep, xv_str(r));
	}
	xv_free(refs);
	if (xv_len(keep) != 1) {
		e = xv_len(keep) ? xe_fail("Multiple VMs match (%zu); use uuid=", xv_len(keep)) :
				   xe_fail("No matching VMs found");
		xv_free(keep);
		return e;
	}
	*ref = hx_strdup(xv_s(xv_array_get(keep, 0)));
	xv_free(keep);
	return NULL;
}

/* Runs VM.<msg>(ref, extra…) on the selected VM. */
static int vm_simple(xe_ctx *x, const char *msg, bool with_flags)
{
	char *ref = NULL;
	xerr *e = select_vm(x, false, &ref);
	if (e)
		return xe_finish(e);
	char *m = hx_asprintf("VM.%s", msg);
	if (with_flags)
		e = xe_callv(x, m, NULL, xv_str(ref),
			     xv_bool(xe_param_bool(x->params, "paused", false)),
			     xv_bool(xe_param_bool(x->params, "force", false)), NULL);
	else
		e = xe_callv(x, m, NULL, xv_str(ref), NULL);
	free(m);
	free(ref);
	return xe_finish(e);
}

static int vm_start(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, "start", true);
}

static int vm_shutdown(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, xe_param_bool(x->params, "force", false) ? "hard_shutdown" :
								      "clean_shutdown", false);
}

static int vm_reboot(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, xe_param_bool(x->params, "force", false) ? "hard_reboot" :
								      "clean_reboot", false);
}

static int vm_suspend(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, "suspend", false);
}

static int vm_resume(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, "resume", true);
}

static int vm_pause(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, "pause", false);
}

static int vm_unpause(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, "unpause", false);
}

static int vm_reset_powerstate(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, "power_state_reset", false);
}

static int vm_destroy(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return vm_simple(x, "destroy", false);
}

/* Record fields VM.create does not take (runtime or read-only state). */
static const char *const not_constructor[] = {
	"uuid", "allowed_operations", "current_operations", "power_state", "domid",
	"resident_on", "scheduled_to_be_resident_on", "metrics", "guest_metrics",
	"consoles", "VIFs", "VBDs", "VUSBs", "crash_dumps", "VTPMs", "snapshots",
	"attached_PCIs", "is_default_template", "is_control_domain", "children",
	"blobs", "parent", "snapshot_of", "snapshot_time", "is_a_snapshot",
	"last_booted_record", "VGPUs", "pending_guidances", NULL,
};

/* sr-name-label= / sr-uuid= of vm-install: the SR named in the
 * template's disks XML (empty sr="" means the default SR). */
static xerr *install_sr(xe_ctx *x, xv *oc)
{
	const char *su = xe_param_get(x->params, "sr-uuid");
	const char *sn = xe_param_get(x->params, "sr-name-label");
	const char *disks = oc && oc->kind == XV_STRUCT ? xv_struct_str(oc, "disks") : NULL;
	if ((!su && !sn) || !disks)
		return NULL;
	xv *u = NULL;
	if (!su) {
		xv *refs = NULL;
		xerr *e = xe_callv(x, "SR.get_by_name_label", &refs, xv_str(sn), NULL);
		if (!e && xv_len(refs) != 1)
			e = xe_fail(xv_len(refs) ? "Multiple SRs named '%s'" : "No SR named '%s'", sn);
		if (!e)
			e = xe_callv(x, "SR.get_uuid", &u, xv_str(xv_s(xv_array_get(refs, 0))), NULL);
		xv_free(refs);
		if (e)
			return e;
		su = xv_s(u);
	}
	/* Every sr="…" attribute names this SR. */
	strbuf b = STRBUF_INIT;
	const char *p = disks;
	for (const char *q; (q = strstr(p, "sr=\"")); ) {
		sb_putn(&b, p, (size_t)(q - p));
		const char *end = strchr(q + 4, '"');
		if (!end)
			break;
		sb_printf(&b, "sr=\"%s\"", su);
		p = end + 1;
	}
	sb_puts(&b, p);
	xv_struct_set(oc, "disks", xv_str_own(sb_steal(&b, NULL)));
	xv_free(u);
	return NULL;
}

/* vm-install template=<name|uuid> new-name-label=<name> [sr-name-label= |
 * sr-uuid=]: a VM from the template's record, with the disks its
 * other_config:disks asks for (VM.provision). */
static int vm_install(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	const char *tmpl = xe_param_get(x->params, "template");
	const char *name = xe_param_get(x->params, "new-name-label");
	if (!tmpl || !name)
		return xe_finish(xe_usage_error("Required parameter not found",
						!tmpl ? "template" : "new-name-label"));
	xv *refs = NULL;
	xerr *e = NULL;
	if (hx_is_uuid(tmpl)) {
		char *r = NULL;
		if (!(e = xe_ref_of_uuid(x, "VM", tmpl, &r))) {
			refs = xv_array();
			xv_array_push(refs, xv_str_own(r));
		}
	} else {
		e = xe_callv(x, "VM.get_by_name_label", &refs, xv_str(tmpl), NULL);
	}
	if (!e && xv_len(refs) != 1)
		e = xe_fail(xv_len(refs) ? "Multiple templates match '%s'; use its uuid" :
					   "No template named '%s'", tmpl);
	xv *rec = NULL, *newref = NULL, *uuid = NULL;
	if (!e)
		e = xe_callv(x, "VM.get_record", &rec, xv_str(xv_s(xv_array_get(refs, 0))), NULL);
	if (!e) {
		for (int i = 0; not_constructor[i]; i++)
			xv_struct_del(rec, not_constructor[i]);
		xv_struct_set(rec, "name_label", xv_str(name));
		xv_struct_set(rec, "is_a_template", xv_bool(false));
		xv *oc = xv_struct_get(rec, "other_config");
		if (oc && oc->kind == XV_STRUCT)
			xv_struct_del(oc, "default_template");
		e = install_sr(x, oc);
		if (!e)
			e = xe_callv(x, "VM.create", &newref, rec, NULL);
		else
			xv_free(rec);
		rec = NULL;
	}
	/* The template's disks (other_config:disks), as xe does. */
	if (!e)
		e = xe_callv(x, "VM.provision", NULL, xv_str(xv_s(newref)), NULL);
	if (!e)
		e = xe_callv(x, "VM.get_uuid", &uuid, xv_str(xv_s(newref)), NULL);
	if (!e)
		fprintf(x->out, "%s\n", xv_s(uuid));
	xv_free(refs);
	xv_free(rec);
	xv_free(newref);
	xv_free(uuid);
	return xe_finish(e);
}

xe_cmd_fn xe_find_vm_cmd(const char *cmd)
{
	static const struct {
		const char *name;
		xe_cmd_fn fn;
	} tab[] = {
		{ "vm-start", vm_start },
		{ "vm-shutdown", vm_shutdown },
		{ "vm-reboot", vm_reboot },
		{ "vm-suspend", vm_suspend },
		{ "vm-resume", vm_resume },
		{ "vm-pause", vm_pause },
		{ "vm-unpause", vm_unpause },
		{ "vm-reset-powerstate", vm_reset_powerstate },
		{ "vm-destroy", vm_destroy },
		{ "vm-install", vm_install },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].name, cmd))
			return tab[i].fn;
	return NULL;
}
