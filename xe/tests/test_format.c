/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for record formatting (format.c, print.c) over the generated
 * class tables: a sample VM record printed as an xe record block against
 * golden text, value rendering rules, and --minimal escaping.
 */
#include <stdlib.h>

#include "check.h"
#include "xe.h"

#define VM_UUID "8c2b6f8e-0000-4000-8000-000000000001"
#define HOST_UUID "11111111-2222-4333-8444-555555555555"
#define HOST_REF "OpaqueRef:host-1"
#define METRICS_REF "OpaqueRef:vm-metrics-1"
#define VM_REF "OpaqueRef:vm-1"

/* Golden output: labels padded to 4 + the longest label, the first on the
 * right and the rest on the left, then ": value", then two blank lines. */
static const char golden_vm[] =
	"uuid ( RO)                     : " VM_UUID "\n"
	"               name-label ( RW): web 1, \"prod\"\n"
	"              power-state ( RO): running\n"
	"            memory-actual ( RO): 1073741824\n"
	"            memory-target ( RO): <expensive field>\n"
	"                VCPUs-max ( RW): 4\n"
	"    HVM-shadow-multiplier ( RW): 1.000\n"
	"              resident-on ( RO): " HOST_UUID "\n"
	"                 affinity ( RW): <not in database>\n"
	"             other-config (MRW): a: 1; b: x, y\n"
	"                     tags (SRW): t1; t2\n"
	"\n"
	"\n";

static xv *sample_vm(void)
{
	xv *r = xv_struct();
	xv_struct_set(r, "uuid", xv_str(VM_UUID));
	xv_struct_set(r, "name_label", xv_str("web 1, \"prod\""));
	xv_struct_set(r, "power_state", xv_str("Running"));
	xv_struct_set(r, "metrics", xv_str(METRICS_REF));
	xv_struct_set(r, "VCPUs_max", xv_int(4));
	xv_struct_set(r, "HVM_shadow_multiplier", xv_float(1.0));
	xv_struct_set(r, "resident_on", xv_str(HOST_REF));
	xv_struct_set(r, "affinity", xv_str("OpaqueRef:NULL"));
	xv *oc = xv_struct();
	xv_struct_set(oc, "a", xv_str("1"));
	xv_struct_set(oc, "b", xv_str("x, y"));
	xv_struct_set(r, "other_config", oc);
	xv *tags = xv_array();
	xv_array_push(tags, xv_str("t1"));
	xv_array_push(tags, xv_str("t2"));
	xv_struct_set(r, "tags", tags);
	xv_struct_set(r, "is_a_template", xv_bool(false));
	return r;
}

/* Prints the named fields of rec (in the class's field order) as a block. */
static char *render(xe_ctx *x, const xe_class_def *cd, const char *const *names,
		    const char *ref, const xv *rec, bool expensive_ok)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	xe_rec r = { 0 };
	for (size_t i = 0; i < cd->nfields; i++)
		for (size_t j = 0; names[j]; j++)
			if (!strcmp(names[j], cd->fields[i].name))
				xe_rec_add_own(&r, xe_field_label(&cd->fields[i]),
					       xe_format_field(x, cd, &cd->fields[i], ref, rec,
							       expensive_ok));
	xe_print_record(f, &r);
	xe_rec_clear(&r);
	fclose(f);
	return buf;
}

static char *minimal(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	xe_print_minimal_escaped(f, s);
	fclose(f);
	return buf;
}

static char *fmt_field(xe_ctx *x, const xe_class_def *cd, const char *name, const xv *rec)
{
	const xe_field_def *fd = xe_find_field(cd, name);
	return fd ? xe_format_field(x, cd, fd, NULL, rec, true) : hx_strdup("(no such field)");
}

int main(void)
{
	xe_ctx x = { 0 };
	x.refs = xe_refcache_new();

	/* the other objects the VM points to, as one get_all_records would give */
	xv *host = xv_struct();
	xv_struct_set(host, "uuid", xv_str(HOST_UUID));
	xv_struct_set(host, "name_label", xv_str("host one"));
	xv *metrics = xv_struct();
	xv_struct_set(metrics, "uuid", xv_str("99999999-0000-4000-8000-000000000009"));
	xv_struct_set(metrics, "memory_actual", xv_int(1073741824));
	xv *vm = sample_vm();
	xe_refcache_put(x.refs, HOST_REF, host);
	xe_refcache_put(x.refs, METRICS_REF, metrics);
	xe_refcache_put(x.refs, VM_REF, vm);
	xe_refcache_keep(x.refs, host);
	xe_refcache_keep(x.refs, metrics);
	xe_refcache_keep(x.refs, vm);

	const xe_class_def *cd = xe_class_lookup("vm");
	CHECK(cd != NULL, "generated class 'vm' is available");
	if (!cd)
		return check_summary();
	CHECK_STR(cd->api, "VM", "vm maps to the API class VM");

	const xe_field_def *fd = xe_find_field(cd, "resident-on");
	CHECK(fd && fd->ref_class && !strcmp(fd->ref_class, "host"),
	      "resident-on is a ref to host (from the API types)");
	fd = xe_find_field(cd, "memory-actual");
	CHECK(fd && fd->via && !strcmp(fd->via, "metrics") && !strcmp(fd->api, "memory_actual"),
	      "memory-actual is found on VM_metrics through VM.metrics");
	fd = xe_find_field(cd, "is-a-template");
	CHECK(fd && fd->kind == 'b', "is-a-template is a bool (server-side where filter)");
	bool has_cd_filter = false, has_tmpl_filter = false;
	for (size_t i = 0; i < cd->nfilters; i++) {
		has_cd_filter |= !strcmp(cd->filters[i].field, "is-control-domain");
		has_tmpl_filter |= !strcmp(cd->filters[i].field, "is-a-template");
	}
	CHECK(!has_cd_filter && has_tmpl_filter,
	      "vm-list filters out templates only (the control domain is listed, as real xe does)");

	static const char *const names[] = {
		"uuid", "name-label", "power-state", "memory-actual", "memory-target", "VCPUs-max",
		"HVM-shadow-multiplier", "resident-on", "affinity", "other-config", "tags", NULL,
	};
	char *out = render(&x, cd, names, VM_REF, vm, false);
	CHECK_STR(out, golden_vm, "VM record block matches the golden text");
	free(out);

	static const char *const none[] = { NULL };
	out = render(&x, cd, none, VM_REF, vm, false);
	CHECK_STR(out, "\n\n\n", "an empty record block is three newlines");
	free(out);

	char *s = fmt_field(&x, cd, "memory-target", vm);
	CHECK_STR(s, "<not in database>", "expensive field computed on request (absent here)");
	free(s);
	s = fmt_field(&x, cd, "is-a-template", vm);
	CHECK_STR(s, "false", "bools print as true/false");
	free(s);

	/* a VM without metrics: via fields say so */
	xv *bare = xv_struct();
	xv_struct_set(bare, "metrics", xv_str("OpaqueRef:NULL"));
	s = fmt_field(&x, cd, "memory-actual", bare);
	CHECK_STR(s, "<not in database>", "missing metrics object prints <not in database>");
	free(s);
	xv_free(bare);

	/* a class whose fields are shown as the target's name */
	const xe_class_def *vif = xe_class_lookup("vif");
	CHECK(vif != NULL, "generated class 'vif' is available");
	if (vif) {
		xv *r = xv_struct();
		xv_struct_set(r, "VM", xv_str(VM_REF));
		s = fmt_field(&x, vif, "vm-uuid", r);
		CHECK_STR(s, VM_UUID, "vif vm-uuid prints the VM's uuid");
		free(s);
		s = fmt_field(&x, vif, "vm-name-label", r);
		CHECK_STR(s, "web 1, \"prod\"", "vif vm-name-label prints the VM's name");
		free(s);
		xv_free(r);
	}

	/* sets of refs, datetimes and unknown refs */
	const xe_class_def *host_cd = xe_class_lookup("host");
	if (host_cd) {
		xv *r = xv_struct();
		xv *vms = xv_array();
		xv_array_push(vms, xv_str(VM_REF));
		xv_array_push(vms, xv_str("OpaqueRef:gone"));
		xv_struct_set(r, "resident_VMs", vms);
		s = fmt_field(&x, host_cd, "resident-vms", r);
		CHECK_STR(s, VM_UUID "; <not in database>",
			  "ref sets print uuids; dangling refs <not in database>");
		free(s);
		xv_free(r);
	}
	const xe_class_def *msg = xe_class_lookup("message");
	if (msg) {
		xv *r = xv_struct();
		xv_struct_set(r, "timestamp", xv_datetime(1742357784));
		xv_struct_set(r, "priority", xv_int(5));
		xv_struct_set(r, "cls", xv_str("VM"));
		s = fmt_field(&x, msg, "timestamp", r);
		CHECK_STR(s, "20250319T04:16:24Z", "datetimes print in XAPI's wire form");
		free(s);
		s = fmt_field(&x, msg, "priority", r);
		CHECK_STR(s, "5", "ints print in decimal");
		free(s);
		CHECK(msg->ndefault_columns == 0, "message-list has no default columns (prints all)");
		xv_free(r);
	}

	/* --minimal escaping */
	s = minimal("plain");
	CHECK_STR(s, "plain", "minimal: plain text unchanged");
	free(s);
	s = minimal("a,b\\c");
	CHECK_STR(s, "a\\,b\\\\c", "minimal: ',' -> '\\,' and '\\' -> '\\\\'");
	free(s);

	/* errors */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	xerr *e = xerr_new("VM_BAD_POWER_STATE", "OpaqueRef:x", "halted", "running", NULL);
	xe_print_error(f, e);
	xerr_free(e);
	e = xerr_new("UUID_INVALID", "VM", "nope", NULL);
	xe_print_error(f, e);
	xerr_free(e);
	fclose(f);
	CHECK_STR(buf,
		  "Error code: VM_BAD_POWER_STATE\nError parameters: OpaqueRef:x, halted, running\n"
		  "The uuid you supplied was invalid.\ntype: VM\nuuid: nope\n",
		  "errors print like xe");
	free(buf);

	x.refs = xe_refcache_free(x.refs);
	return check_summary();
}
