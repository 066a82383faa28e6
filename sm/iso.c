/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/iso: an ISO library on a local directory (device_config:location).
 * Every regular *.iso file is a read-only VDI whose location is its file
 * name; SR.scan picks up files added or removed behind our back. VDIs are
 * not created or destroyed through the API (SR_OPERATION_NOT_SUPPORTED
 * from xapid, as the driver has no vdi_create).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "sm.h"

typedef struct iso_sr {
	char *dir;
} iso_sr;

static xerr *iso_check_config(const xv *dc)
{
	if (sm_iso_on_nfs(dc)) /* server:/path: sm/iso_nfs.c */
		return sm_driver_iso_nfs.check_config(dc);
	const char *loc = dc ? xv_struct_str(dc, "location") : NULL;
	if (!loc || !*loc)
		return sm_backend_failure(SM_E_CONFIG_MISSING,
			"device_config:location (the ISO directory) is missing");
	if (loc[0] != '/')
		return sm_backend_failure(SM_E_CONFIG_INVALID,
			"device_config:location must be an absolute local path "
			"(ISO libraries on NFS are the nfs driver's): %s", loc);
	return NULL;
}

/* An ISO file name: no slash, not hidden, ends in .iso (any case). */
static bool iso_name(const char *n)
{
	size_t l = strlen(n);
	return l > 4 && n[0] != '.' && !strchr(n, '/') && strcasecmp(n + l - 4, ".iso") == 0;
}

static xerr *open_check(const char *loc)
{
	struct stat st;
	if (stat(loc, &st) < 0)
		return sm_backend_failure(SM_E_SR_UNAVAILABLE, "%s: %s", loc, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return sm_backend_failure(SM_E_CONFIG_INVALID, "%s is not a directory", loc);
	return NULL;
}

static xerr *iso_sr_create(sm_sr *sr, int64_t physical_size)
{
	xerr *e = iso_check_config(sr->device_config);
	return e ? e : open_check(sm_sr_dconf(sr, "location"));
}

static xerr *iso_sr_attach(sm_sr *sr)
{
	xerr *e = iso_sr_create(sr, 0);
	if (e)
		return e;
	iso_sr *i = hx_calloc(1, sizeof(*i));
	i->dir = hx_strdup(sm_sr_dconf(sr, "location"));
	sr->priv = i;
	return NULL;
}

static xerr *iso_sr_detach(sm_sr *sr)
{
	iso_sr *i = sr->priv;
	if (i) {
		free(i->dir);
		free(i);
	}
	sr->priv = NULL;
	return NULL;
}

/* The ISO library's files are the user's: destroying the SR leaves them. */
static xerr *iso_sr_destroy(sm_sr *sr)
{
	return NULL;
}

static xerr *iso_stat_one(iso_sr *i, const char *name, sm_vdi_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!iso_name(name))
		return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "not an ISO name: %s", name);
	char *p = hx_asprintf("%s/%s", i->dir, name);
	struct stat st;
	int r = stat(p, &st);
	free(p);
	if (r < 0 || !S_ISREG(st.st_mode))
		return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "no ISO %s", name);
	out->location = hx_strdup(name);
	out->name_label = hx_strdup(name);
	out->format = hx_strdup("raw");
	out->virtual_size = st.st_size;
	out->physical_utilisation = st.st_size;
	out->read_only = true;
	return NULL;
}

static xerr *iso_sr_scan(sm_sr *sr, sm_vdi_list *out)
{
	iso_sr *i = sr->priv;
	memset(out, 0, sizeof(*out));
	DIR *d = opendir(i->dir);
	if (!d)
		return sm_backend_failure(SM_E_SR_SCAN, "%s: %s", i->dir, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!iso_name(de->d_name))
			continue;
		sm_vdi_info v;
		xerr *e = iso_stat_one(i, de->d_name, &v);
		if (e) {
			xerr_free(e);
			continue;
		}
		*sm_vdi_list_add(out) = v;
	}
	closedir(d);
	return NULL;
}

static xerr *iso_sr_stat(sm_sr *sr, sm_sr_stat *out)
{
	iso_sr *i = sr->priv;
	struct statvfs sv;
	memset(out, 0, sizeof(*out));
	if (statvfs(i->dir, &sv) < 0)
		return sm_backend_failure(SM_E_SR_UNAVAILABLE, "%s: %s", i->dir, strerror(errno));
	out->physical_size = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
	out->free_space = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	out->physical_utilisation = out->physical_size - out->free_space;
	return NULL;
}

static xerr *iso_vdi_stat(sm_sr *sr, const char *location, sm_vdi_info *out)
{
	return iso_stat_one(sr->priv, location, out);
}

static xerr *iso_vdi_attach(sm_sr *sr, const char *location, bool writable, sm_open *out)
{
	iso_sr *i = sr->priv;
	memset(out, 0, sizeof(*out));
	if (writable)
		return xerr_new("VDI_READONLY", location, NULL);
	sm_vdi_info v;
	xerr *e = iso_stat_one(i, location, &v);
	if (e)
		return e;
	sm_vdi_info_clear(&v);
	out->format = hx_strdup("raw");
	out->protocol = hx_strdup("file");
	out->filename = hx_asprintf("%s/%s", i->dir, location);
	out->read_only = true;
	return NULL;
}

static xerr *iso_sr_probe(const xv *dc, const xv *smc, sm_probe_result *out)
{
	if (sm_iso_on_nfs(dc)) /* server:/path: sm/iso_nfs.c */
		return sm_driver_iso_nfs.sr_probe(dc, smc, out);
	memset(out, 0, sizeof(*out));
	xerr *e = iso_check_config(dc);
	if (!e)
		e = open_check(xv_struct_str(dc, "location"));
	if (e)
		return e;
	sm_probe_sr *p = sm_probe_result_add(out);
	p->device_config = xv_dup(dc);
	return NULL;
}

static const char *const iso_caps[] = {
	SM_CAP_SR_PROBE, SM_CAP_VDI_ATTACH, SM_CAP_VDI_DETACH, SM_CAP_VDI_INTRODUCE, NULL,
};

static const char *const iso_config[] = {
	"location", "an absolute path of a local directory of .iso files", NULL,
};

const sm_driver sm_driver_iso = {
	.type = "iso",
	.name_label = "ISO",
	.name_description = "ISO library: a read-only VDI per .iso file in a directory",
	.vendor = "Halyard",
	.copyright = "Apache-2.0",
	.version = "1.0",
	.required_api_version = "1.0",
	.capabilities = iso_caps,
	.configuration = iso_config,
	.content_type = "iso",
	.vdis_read_only = true,
	.vdis_managed_externally = true,
	.check_config = iso_check_config,
	.sr_create = iso_sr_create,
	.sr_attach = iso_sr_attach,
	.sr_detach = iso_sr_detach,
	.sr_destroy = iso_sr_destroy,
	.sr_probe = iso_sr_probe,
	.sr_scan = iso_sr_scan,
	.sr_stat = iso_sr_stat,
	.vdi_stat = iso_vdi_stat,
	.vdi_attach = iso_vdi_attach,
	.vdi_introduce = iso_vdi_stat,
};
