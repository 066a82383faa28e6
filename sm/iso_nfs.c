/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/iso_nfs: an ISO library on an NFS export, i.e. an SR of type `iso`
 * whose device_config:location is "server:/path" (XAPI's ISO SR form).
 * Every regular *.iso file in that directory is a read-only VDI whose
 * location is its file name, as in the local ISO library (sm/iso.c);
 * SR.scan picks up files added or removed behind our back. Listing goes
 * through libnfs, consumers open the files with QEMU's nfs:// driver.
 *
 * sm_sr_new hands an `iso` SR with an NFS location to this driver, and
 * sm/iso.c forwards check_config and probe (sm_iso_on_nfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nfs_client.h"
#include "nfs_dconf.h"
#include "nfs_errors.h"
#include "nfs_sr.h"
#include "sm.h"
#include "strbuf.h"

typedef struct iso_nfs {
	nfs_target t;
	nfsc *c;
	pthread_mutex_t mu; /* an nfsc is single-threaded */
} iso_nfs;

/*
 * An ISO file name we offer: ends in .iso (any case), not hidden, and free
 * of characters that would need escaping inside a JSON string or that no
 * sane library uses ('/', '"', '\\', control characters).
 */
static bool iso_name(const char *n)
{
	size_t l = strlen(n);
	if (l <= 4 || l > 255 || n[0] == '.' || strcasecmp(n + l - 4, ".iso") != 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)n; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '"' || *p == '\\')
			return false;
	return true;
}

/* name with every byte outside RFC 3986's unreserved set %-escaped (heap). */
static char *url_escape(const char *name)
{
	strbuf b = STRBUF_INIT;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p))
			sb_putc(&b, (char)*p);
		else
			sb_printf(&b, "%%%02X", *p);
	}
	return sb_steal(&b, NULL);
}

static xerr *isonfs_check_config(const xv *dc)
{
	nfs_target t;
	xerr *e = nfs_iso_dconf_parse(dc, &t);
	nfs_target_clear(&t);
	return e;
}

/* Parses and mounts; *out owns both on success. */
static xerr *open_lib(const xv *dc, iso_nfs **out)
{
	*out = NULL;
	iso_nfs *i = hx_calloc(1, sizeof(*i));
	xerr *e = nfs_iso_dconf_parse(dc, &i->t);
	if (!e)
		e = nfs_export_connect(&i->t, SMERR_ISO_MOUNT, &i->c);
	if (e) {
		nfs_target_clear(&i->t);
		free(i);
		return e;
	}
	pthread_mutex_init(&i->mu, NULL);
	*out = i;
	return NULL;
}

static void close_lib(iso_nfs *i)
{
	if (!i)
		return;
	nfsc_close(i->c);
	nfs_target_clear(&i->t);
	pthread_mutex_destroy(&i->mu);
	free(i);
}

/* SR.create only checks that the library can be mounted, as XAPI's ISO SR. */
static xerr *isonfs_sr_create(sm_sr *sr, int64_t physical_size)
{
	iso_nfs *i;
	xerr *e = open_lib(sr->device_config, &i);
	close_lib(i);
	return e;
}

static xerr *isonfs_sr_attach(sm_sr *sr)
{
	iso_nfs *i;
	xerr *e = open_lib(sr->device_config, &i);
	if (!e)
		sr->priv = i;
	return e;
}

static xerr *isonfs_sr_detach(sm_sr *sr)
{
	close_lib(sr->priv);
	sr->priv = NULL;
	return NULL;
}

/* The ISO files are the user's: destroying the SR leaves them. */
static xerr *isonfs_sr_destroy(sm_sr *sr)
{
	return NULL;
}

/* Fills *out for ISO `name`; called with i->mu held. */
static xerr *stat_one(iso_nfs *i, const char *name, sm_vdi_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!name || !iso_name(name))
		return nfs_smerr(SMERR_VDI_UNAVAILABLE, "not an ISO name: %s", name ? name : "");
	char *p = hx_asprintf("/%s", name);
	nfsc_attr st;
	int r = nfsc_stat(i->c, p, &st);
	free(p);
	if (r < 0 || !st.is_reg)
		return nfs_smerr(SMERR_VDI_UNAVAILABLE, "no ISO %s", name);
	out->location = hx_strdup(name);
	out->name_label = hx_strdup(name);
	out->format = hx_strdup("raw");
	out->virtual_size = (int64_t)st.size;
	out->physical_utilisation = (int64_t)st.size;
	out->read_only = true;
	return NULL;
}

static xerr *isonfs_sr_scan(sm_sr *sr, sm_vdi_list *out)
{
	iso_nfs *i = sr->priv;
	memset(out, 0, sizeof(*out));
	char **names;
	size_t k;
	pthread_mutex_lock(&i->mu);
	int r = nfsc_readdir(i->c, "/", &names, &k);
	if (r < 0) {
		xerr *e = nfs_smerr(SMERR_SR_SCAN, "%s:%s: %s", i->t.server, i->t.path, nfsc_error(i->c));
		pthread_mutex_unlock(&i->mu);
		return e;
	}
	for (size_t n = 0; n < k; n++) {
		if (!iso_name(names[n]))
			continue;
		sm_vdi_info v;
		xerr *e = stat_one(i, names[n], &v);
		if (e) {
			xerr_free(e); /* a directory named x.iso, or gone meanwhile */
			continue;
		}
		*sm_vdi_list_add(out) = v;
	}
	pthread_mutex_unlock(&i->mu);
	nfsc_names_free(names, k);
	return NULL;
}

static xerr *isonfs_sr_stat(sm_sr *sr, sm_sr_stat *out)
{
	iso_nfs *i = sr->priv;
	memset(out, 0, sizeof(*out));
	nfsc_space sp;
	pthread_mutex_lock(&i->mu);
	int r = nfsc_statvfs(i->c, "/", &sp);
	pthread_mutex_unlock(&i->mu);
	if (r < 0)
		return nfs_smerr(SMERR_SR_UNAVAILABLE, "%s:%s: %s", i->t.server, i->t.path, strerror(-r));
	out->physical_size = (int64_t)sp.total;
	out->free_space = (int64_t)sp.free;
	out->physical_utilisation = out->physical_size - out->free_space;
	return NULL;
}

static xerr *isonfs_vdi_stat(sm_sr *sr, const char *location, sm_vdi_info *out)
{
	iso_nfs *i = sr->priv;
	pthread_mutex_lock(&i->mu);
	xerr *e = stat_one(i, location, out);
	pthread_mutex_unlock(&i->mu);
	return e;
}

static xerr *isonfs_vdi_attach(sm_sr *sr, const char *location, bool writable, sm_open *out)
{
	iso_nfs *i = sr->priv;
	memset(out, 0, sizeof(*out));
	if (writable)
		return xerr_new("VDI_READONLY", location ? location : "", NULL);
	sm_vdi_info v;
	xerr *e = isonfs_vdi_stat(sr, location, &v);
	if (e)
		return e;
	sm_vdi_info_clear(&v);
	char *p = nfs_target_join(&i->t, location);
	char *esc = url_escape(location);
	char *dir_url = nfs_target_url(&i->t, NULL);
	out->format = hx_strdup("raw");
	out->protocol = hx_strdup("nfs");
	out->filename = hx_asprintf("%s%s%s", dir_url, strcmp(i->t.path, "/") ? "/" : "", esc);
	/* iso_name keeps '"' and '\\' out, so p is a valid JSON string body */
	out->protocol_json = hx_asprintf(
		"{\"driver\":\"nfs\",\"server\":{\"type\":\"inet\",\"host\":\"%s\"},\"path\":\"%s\"}", i->t.server, p);
	out->read_only = true;
	free(p);
	free(esc);
	free(dir_url);
	return NULL;
}

static xerr *isonfs_sr_probe(const xv *dc, const xv *smc, sm_probe_result *out)
{
	memset(out, 0, sizeof(*out));
	iso_nfs *i;
	xerr *e = open_lib(dc, &i);
	if (e)
		return e;
	nfsc_space sp = {0};
	nfsc_statvfs(i->c, "/", &sp);
	sm_probe_sr *p = sm_probe_result_add(out);
	p->device_config = xv_dup(dc);
	p->total_space = (int64_t)sp.total;
	p->free_space = (int64_t)sp.free;
	close_lib(i);
	return NULL;
}

bool sm_iso_on_nfs(const xv *device_config)
{
	const xv *v = device_config && device_config->kind == XV_STRUCT ? xv_struct_get(device_config, "location")
									: NULL;
	return v && v->kind == XV_STRING && nfs_iso_location_is_nfs(xv_s(v));
}

static const char *const isonfs_caps[] = {
	SM_CAP_SR_PROBE, SM_CAP_VDI_ATTACH, SM_CAP_VDI_DETACH, SM_CAP_VDI_INTRODUCE, NULL,
};

static const char *const isonfs_config[] = {
	"location", "server:/path of an NFS export holding .iso files",
	"nfsversion", "NFS version for listing the library: 3 (default), 4 or 4.0",
	NULL,
};

const sm_driver sm_driver_iso_nfs = {
	.type = "iso",
	.name_label = "ISO",
	.name_description = "ISO library on an NFS export: a read-only VDI per .iso file",
	.vendor = "Halyard",
	.copyright = "Apache-2.0",
	.version = "1.0",
	.required_api_version = "1.0",
	.capabilities = isonfs_caps,
	.configuration = isonfs_config,
	.content_type = "iso",
	.shared = true,
	.vdis_read_only = true,
	.vdis_managed_externally = true,
	.check_config = isonfs_check_config,
	.sr_create = isonfs_sr_create,
	.sr_attach = isonfs_sr_attach,
	.sr_detach = isonfs_sr_detach,
	.sr_destroy = isonfs_sr_destroy,
	.sr_probe = isonfs_sr_probe,
	.sr_scan = isonfs_sr_scan,
	.sr_stat = isonfs_sr_stat,
	.vdi_stat = isonfs_vdi_stat,
	.vdi_attach = isonfs_vdi_attach,
	.vdi_introduce = isonfs_vdi_stat,
};
