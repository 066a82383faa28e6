/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/lvm: local LVM SRs (see lvm.h). Every LVM call goes through one
 * runner so that tests can see and answer the commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lvm.h"
#include "qimg.h"
#include "util.h"

static int real_runner(void *ctx, const char *const *argv, char **out, char **err)
{
	return sm_run(argv, out, err, NULL);
}

static sm_lvm_runner runner = real_runner;
static void *runner_ctx;

void sm_lvm_set_runner(sm_lvm_runner fn, void *ctx)
{
	runner = fn ? fn : real_runner;
	runner_ctx = ctx;
}

bool sm_lvm_available(void)
{
	return access("/dev/mapper/control", R_OK | W_OK) == 0;
}

/* Runs argv; a failure becomes SR_BACKEND_FAILURE_91 with the tool's text. */
static xerr *lvm(char **out, const char *const *argv)
{
	char *o = NULL, *e = NULL;
	int r = runner(runner_ctx, argv, &o, &e);
	xerr *x = NULL;
	if (r != 0) {
		char *msg = e && *e ? e : o;
		size_t n = msg ? strlen(msg) : 0;
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = 0;
		x = sm_backend_failure(SM_E_LVM, "%s failed: %s", argv[0],
		                       r < 0 ? strerror(-r) : (msg && *msg ? msg : "error"));
	}
	if (out && !x)
		*out = o ? o : hx_strdup("");
	else
		free(o);
	free(e);
	return x;
}

#define LVM(out, ...) lvm(out, (const char *const[]){ __VA_ARGS__, NULL })

static char *vg_name(const sm_sr *sr)
{
	return hx_asprintf("VG_XenStorage-%s", sr->uuid);
}

static char *lv_path(const sm_sr *sr, const char *uuid)
{
	return hx_asprintf("VG_XenStorage-%s/LV-%s", sr->uuid, uuid);
}

static xerr *lvm_check_config(const xv *dc)
{
	const char *dev = dc ? xv_struct_str(dc, "device") : NULL;
	if (!dev || !*dev)
		return sm_backend_failure(SM_E_CONFIG_MISSING,
			"device_config:device (a block device) is missing");
	if (strncmp(dev, "/dev/", 5) != 0 || strstr(dev, ".."))
		return sm_backend_failure(SM_E_CONFIG_INVALID,
			"device_config:device must be a /dev path: %s", dev);
	return NULL;
}

static xerr *lvm_sr_create(sm_sr *sr, int64_t physical_size)
{
	xerr *e = lvm_check_config(sr->device_config);
	if (e)
		return e;
	const char *dev = sm_sr_dconf(sr, "device");
	/* A device already in a volume group is in use. */
	char *out = NULL;
	e = LVM(&out, "pvs", "--noheadings", "-o", "vg_name", dev);
	if (!e) {
		char *p = out;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\n")] = 0;
		if (*p)
			e = sm_backend_failure(SM_E_SR_EXISTS, "%s is in volume group %s", dev, p);
		free(out);
		if (e)
			return e;
	} else {
		e = xerr_free(e); /* not a PV yet: fine */
	}
	char *vg = vg_name(sr);
	e = LVM(NULL, "pvcreate", "-ff", "-y", dev);
	if (!e) {
		e = LVM(NULL, "vgcreate", vg, dev);
		if (e)
			xerr_free(LVM(NULL, "pvremove", "-ff", "-y", dev));
	}
	free(vg);
	return e;
}

static xerr *lvm_sr_attach(sm_sr *sr)
{
	char *vg = vg_name(sr);
	xerr *e = LVM(NULL, "vgs", "--noheadings", "-o", "vg_name", vg);
	free(vg);
	if (e) {
		xerr_free(e);
		return sm_backend_failure(SM_E_SR_UNAVAILABLE, "volume group of SR %s not found",
		                          sr->uuid);
	}
	sr->priv = (void *)1; /* no state: the VG name is derived */
	return NULL;
}

static xerr *lvm_sr_detach(sm_sr *sr)
{
	char *vg = vg_name(sr);
	xerr *e = LVM(NULL, "vgchange", "-an", vg);
	free(vg);
	sr->priv = NULL;
	return e;
}

static xerr *lvm_sr_destroy(sm_sr *sr)
{
	char *vg = vg_name(sr);
	xerr *e = LVM(NULL, "vgremove", "-f", vg);
	free(vg);
	const char *dev = sm_sr_dconf(sr, "device");
	if (!e && dev)
		e = LVM(NULL, "pvremove", "-ff", "-y", dev);
	return e;
}

/* Parses "  LV-<uuid> <bytes> <attr>" lines of lvs into out. */
static void parse_lvs(const char *text, sm_vdi_list *out)
{
	const char *p = text;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[256];
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = 0;
			char name[128], attr[32];
			long long size;
			if (sscanf(line, " %127s %lld %31s", name, &size, attr) == 3 &&
			    strncmp(name, "LV-", 3) == 0 && hx_is_uuid(name + 3) && size >= 0) {
				sm_vdi_info *v = sm_vdi_list_add(out);
				v->location = hx_strdup(name + 3);
				v->uuid = hx_strdup(name + 3);
				v->format = hx_strdup("raw");
				v->virtual_size = size;
				v->physical_utilisation = size;
				v->read_only = attr[1] == 'r';
			}
		}
		p = eol ? eol + 1 : NULL;
	}
}

static xerr *lvm_sr_scan(sm_sr *sr, sm_vdi_list *out)
{
	memset(out, 0, sizeof(*out));
	char *vg = vg_name(sr), *text = NULL;
	xerr *e = LVM(&text, "lvs", "--noheadings", "--units", "b", "--nosuffix",
	              "-o", "lv_name,lv_size,lv_attr", vg);
	free(vg);
	if (e)
		return e;
	parse_lvs(text, out);
	free(text);
	return NULL;
}

static xerr *lvm_sr_stat(sm_sr *sr, sm_sr_stat *out)
{
	memset(out, 0, sizeof(*out));
	char *vg = vg_name(sr), *text = NULL;
	xerr *e = LVM(&text, "vgs", "--noheadings", "--units", "b", "--nosuffix",
	              "-o", "vg_size,vg_free", vg);
	free(vg);
	if (e)
		return e;
	long long size, avail;
	if (sscanf(text, " %lld %lld", &size, &avail) != 2)
		e = sm_backend_failure(SM_E_LVM, "cannot parse vgs output");
	else {
		out->physical_size = size;
		out->free_space = avail;
		out->physical_utilisation = size - avail;
	}
	free(text);
	return e;
}

static xerr *lv_info(sm_sr *sr, const char *uuid, sm_vdi_info *out)
{
	sm_vdi_list l;
	memset(out, 0, sizeof(*out));
	xerr *e = lvm_sr_scan(sr, &l);
	if (e)
		return e;
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].location, uuid) == 0) {
			*out = l.v[i];
			memset(&l.v[i], 0, sizeof(l.v[i]));
			sm_vdi_list_clear(&l);
			return NULL;
		}
	sm_vdi_list_clear(&l);
	return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "no LV for VDI %s", uuid);
}

static xerr *lv_create(sm_sr *sr, const char *uuid, int64_t size)
{
	if (!uuid || !hx_is_uuid(uuid))
		return sm_backend_failure(SM_E_VDI_CREATE, "bad uuid");
	if (size <= 0)
		return sm_backend_failure(SM_E_VDI_SIZE, "bad size %lld", (long long)size);
	char *vg = vg_name(sr), *name = hx_asprintf("LV-%s", uuid);
	char sz[32];
	snprintf(sz, sizeof(sz), "%lldb", (long long)size);
	xerr *e = LVM(NULL, "lvcreate", "-y", "-n", name, "-L", sz, vg);
	free(vg);
	free(name);
	return e;
}

static xerr *lvm_vdi_create(sm_sr *sr, const sm_vdi_params *p, sm_vdi_info *out)
{
	xerr *e = lv_create(sr, p->uuid, p->virtual_size);
	return e ? e : lv_info(sr, p->uuid, out);
}

static xerr *lvm_vdi_destroy(sm_sr *sr, const char *location)
{
	if (!hx_is_uuid(location))
		return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "bad location %s", location);
	char *lv = lv_path(sr, location);
	xerr *e = LVM(NULL, "lvremove", "-f", lv);
	free(lv);
	return e;
}

static xerr *lvm_vdi_stat(sm_sr *sr, const char *location, sm_vdi_info *out)
{
	return lv_info(sr, location, out);
}

static xerr *lvm_vdi_attach(sm_sr *sr, const char *location, bool writable, sm_open *out)
{
	memset(out, 0, sizeof(*out));
	if (!hx_is_uuid(location))
		return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "bad location %s", location);
	char *lv = lv_path(sr, location);
	xerr *e = LVM(NULL, "lvchange", "-ay", lv);
	if (!e) {
		out->format = hx_strdup("raw");
		out->protocol = hx_strdup("host_device");
		out->filename = hx_asprintf("/dev/%s", lv);
		out->read_only = !writable;
	}
	free(lv);
	return e;
}

static xerr *lvm_vdi_detach(sm_sr *sr, const char *location)
{
	if (!hx_is_uuid(location))
		return NULL;
	char *lv = lv_path(sr, location);
	xerr *e = LVM(NULL, "lvchange", "-an", lv);
	free(lv);
	return e;
}

/* Thick snapshot/clone: a new LV of the same size and a full copy. A VDI
 * in use cannot be copied consistently here (no live hook): refused. */
static xerr *lvm_vdi_snapshot(sm_sr *sr, const char *location, const char *new_uuid,
                              const xv *dp, const sm_live *live, sm_vdi_info *out)
{
	if (live)
		return sm_backend_failure(SM_E_UNSUPPORTED,
			"lvm SRs cannot snapshot a VDI in use (thick copies)");
	sm_vdi_info src;
	xerr *e = lv_info(sr, location, &src);
	if (e)
		return e;
	e = lv_create(sr, new_uuid, src.virtual_size);
	sm_vdi_info_clear(&src);
	if (e)
		return e;
	sm_open a = { 0 }, b = { 0 };
	e = lvm_vdi_attach(sr, location, false, &a);
	if (!e)
		e = lvm_vdi_attach(sr, new_uuid, true, &b);
	if (!e)
		e = sm_copy_data(&a, &b, NULL);
	sm_open_clear(&a);
	sm_open_clear(&b);
	if (e) {
		xerr_free(lvm_vdi_destroy(sr, new_uuid));
		return e;
	}
	return lv_info(sr, new_uuid, out);
}

static xerr *lvm_vdi_resize(sm_sr *sr, const char *location, int64_t new_size,
                            const sm_live *live, sm_vdi_info *out)
{
	if (!hx_is_uuid(location))
		return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "bad location %s", location);
	char *lv = lv_path(sr, location);
	char sz[32];
	snprintf(sz, sizeof(sz), "%lldb", (long long)new_size);
	xerr *e = LVM(NULL, "lvextend", "-L", sz, lv);
	free(lv);
	if (!e && live && live->resize)
		e = live->resize(live->ctx, new_size);
	return e ? e : lv_info(sr, location, out);
}

static const char *const lvm_caps[] = {
	SM_CAP_VDI_CREATE, SM_CAP_VDI_DELETE, SM_CAP_VDI_ATTACH, SM_CAP_VDI_DETACH,
	SM_CAP_VDI_CLONE, SM_CAP_VDI_SNAPSHOT, SM_CAP_VDI_RESIZE, SM_CAP_VDI_INTRODUCE, NULL,
};

static const char *const lvm_config[] = {
	"device", "the block device holding the volume group", NULL,
};

const sm_driver sm_driver_lvm = {
	.type = "lvm",
	.name_label = "Local LVM",
	.name_description = "SR on a local LVM volume group: one raw LV per VDI (thick)",
	.vendor = "Halyard",
	.copyright = "Apache-2.0",
	.version = "1.0",
	.required_api_version = "1.0",
	.capabilities = lvm_caps,
	.configuration = lvm_config,
	.content_type = "user",
	.check_config = lvm_check_config,
	.sr_create = lvm_sr_create,
	.sr_attach = lvm_sr_attach,
	.sr_detach = lvm_sr_detach,
	.sr_destroy = lvm_sr_destroy,
	.sr_scan = lvm_sr_scan,
	.sr_stat = lvm_sr_stat,
	.vdi_create = lvm_vdi_create,
	.vdi_destroy = lvm_vdi_destroy,
	.vdi_stat = lvm_vdi_stat,
	.vdi_snapshot = lvm_vdi_snapshot,
	.vdi_clone = lvm_vdi_snapshot,
	.vdi_resize = lvm_vdi_resize,
	.vdi_attach = lvm_vdi_attach,
	.vdi_detach = lvm_vdi_detach,
	.vdi_introduce = lvm_vdi_stat,
};
