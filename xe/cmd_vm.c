/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM power commands: vm-start, vm-shutdown [force=true], vm-reboot
 * [force=true], vm-suspend, vm-resume, vm-pause, vm-unpause, vm-reset-powerstate,
 * vm-destroy, and vm-install template=<name|uuid> new-name-label=<name>.
 *
 * The VMs are chosen by XAPI's selector rules (vm_select.c): vm=<name or
 * uuid> and field filters (uuid=, name-label=, power-state= …); several
 * matches need --multiple. More vm-* commands: cmd_vm_ops.c.
 */
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"
#include "vm_select.h"
#include "xe.h"

struct simple {
	const char *msg;
	bool with_flags;
};

/* VM.<msg>(ref[, paused, force]) on one selected VM. */
static xerr *simple_op(xe_ctx *x, const char *ref, void *arg)
{
	const struct simple *s = arg;
	char *m = hx_asprintf("VM.%s", s->msg);
	xerr *e;
	if (s->with_flags)
		e = xe_callv(x, m, NULL, xv_str(ref),
			     xv_bool(xe_param_bool(x->params, "paused", false)),
			     xv_bool(xe_param_bool(x->params, "force", false)), NULL);
	else
		e = xe_callv(x, m, NULL, xv_str(ref), NULL);
	free(m);
	return e;
}

/* Runs VM.<msg> on the VMs the parameters select (vm_select.c). */
static int vm_simple(xe_ctx *x, const char *msg, bool with_flags)
{
	static const char *const own[] = { "on", "paused", NULL };
	struct simple s = { msg, with_flags };
	return xe_do_vm_op(x, own, false, true, simple_op, &s);
}

static int vm_start(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	if (xe_param_get(x->params, "on"))
		return xe_finish(xe_fail("vm-start on=<host>: only this host can run VMs "
					 "(leave out on=)"));
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

xerr *xe_select_vm(xe_ctx *x, char **ref)
{
	static const char *const own[] = { "follow", NULL };
	xv *refs = NULL;
	xerr *e = xe_select_vms(x, own, false, &refs);
	if (!e && xv_len(refs) == 0)
		e = xe_fail("No matching VMs found");
	else if (!e && xv_len(refs) > 1)
		e = xe_fail("Multiple matches VMs found. Operation can only be "
			    "performed on one VM at a time");
	if (!e)
		*ref = hx_strdup(xv_s(xv_array_get(refs, 0)));
	xv_free(refs);
	return e;
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
		{ "console", xe_cmd_console },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].name, cmd))
			return tab[i].fn;
	return xe_find_vm_ops_cmd(cmd);
}
