/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/nfs: the `nfs` SR type. A shared SR on an NFS export, laid out as
 * XAPI's NFS SR: one directory per SR under the export,
 * <serverpath>/<sr-uuid>/, holding one qcow2 (or raw) image per VDI
 * through the shared chain engine (chain.h), exactly as the file SR.
 *
 * No kernel mount: SR-level file operations go through libnfs
 * (sm/nfs/nfs_client.h), and consumers (QEMU, qemu-img) open the images
 * with QEMU's nfs:// block driver (package qemu-block-extra). Backing file
 * names inside qcow2 headers are full nfs:// URLs (see sm_fsops.backing_ref).
 *
 * device_config as XAPI's NFS SR: server, serverpath, nfsversion (3 or 4;
 * SR-level operations use it, QEMU's nfs driver always speaks NFSv3).
 * Errors are XAPI's SR_BACKEND_FAILURE_<n> (sm/nfs/nfs_errors.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "nfs_client.h"
#include "nfs_dconf.h"
#include "nfs_errors.h"
#include "nfs_sr.h"
#include "strbuf.h"
#include "util.h"

#define MARKER ".halyard-sr"

typedef struct nfs_sr {
	sm_chain chain; /* first member (chain.h) */
	nfs_target t;
	char *dir;      /* "/<sr-uuid>": the SR directory inside the export */
	nfsc *c;
	pthread_mutex_t mu; /* an nfsc is single-threaded; fsops come from many */
} nfs_sr;

/* ---- sm_fsops over libnfs ----------------------------------------------- */

static bool name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* "/<sr-uuid>/<name>" inside the export (heap). */
static char *sr_path(nfs_sr *n, const char *name)
{
	return hx_asprintf("%s/%s", n->dir, name);
}

static int fs_list(void *fs, int (*fn)(void *arg, const char *name), void *arg)
{
	nfs_sr *n = fs;
	char **names;
	size_t k;
	pthread_mutex_lock(&n->mu);
	int r = nfsc_readdir(n->c, n->dir, &names, &k);
	pthread_mutex_unlock(&n->mu);
	if (r < 0)
		return r;
	for (size_t i = 0; i < k && r == 0; i++)
		r = fn(arg, names[i]);
	nfsc_names_free(names, k);
	return r;
}

static int fs_stat(void *fs, const char *name, int64_t *size, int64_t *allocated)
{
	nfs_sr *n = fs;
	if (!name_ok(name))
		return -EINVAL;
	char *p = sr_path(n, name);
	nfsc_attr st;
	pthread_mutex_lock(&n->mu);
	int r = nfsc_stat(n->c, p, &st);
	pthread_mutex_unlock(&n->mu);
	free(p);
	if (r < 0)
		return r;
	if (!st.is_reg)
		return -EINVAL;
	*size = (int64_t)st.size;
	*allocated = (int64_t)st.allocated;
	return 0;
}

static int fs_rename(void *fs, const char *from, const char *to)
{
	nfs_sr *n = fs;
	if (!name_ok(from) || !name_ok(to))
		return -EINVAL;
	char *pf = sr_path(n, from), *pt = sr_path(n, to);
	pthread_mutex_lock(&n->mu);
	/* NFS RENAME replaces the target; the engine wants "never replace".
	 * The SR's metadata operations are serialised (sm_sr.lock), and
	 * names are fresh uuids, so check-then-rename is enough here. */
	int r = nfsc_exists(n->c, pt);
	if (r == 1)
		r = -EEXIST;
	else if (r == 0)
		r = nfsc_rename(n->c, pf, pt);
	pthread_mutex_unlock(&n->mu);
	free(pf);
	free(pt);
	return r;
}

static int fs_link(void *fs, const char *from, const char *to)
{
	nfs_sr *n = fs;
	if (!name_ok(from) || !name_ok(to))
		return -EINVAL;
	char *pf = sr_path(n, from), *pt = sr_path(n, to);
	pthread_mutex_lock(&n->mu);
	int r = nfsc_link(n->c, pf, pt); /* NFS LINK fails with EEXIST itself */
	pthread_mutex_unlock(&n->mu);
	free(pf);
	free(pt);
	return r;
}

static int fs_unlink(void *fs, const char *name)
{
	nfs_sr *n = fs;
	if (!name_ok(name))
		return -EINVAL;
	char *p = sr_path(n, name);
	pthread_mutex_lock(&n->mu);
	int r = nfsc_unlink(n->c, p);
	pthread_mutex_unlock(&n->mu);
	free(p);
	return r;
}

static int fs_statfs(void *fs, int64_t *total, int64_t *free_bytes)
{
	nfs_sr *n = fs;
	nfsc_space sp;
	pthread_mutex_lock(&n->mu);
	int r = nfsc_statvfs(n->c, n->dir, &sp);
	pthread_mutex_unlock(&n->mu);
	if (r < 0)
		return r;
	*total = (int64_t)sp.total;
	*free_bytes = (int64_t)sp.free;
	return 0;
}

/* The full path on the server of name (heap). */
static char *server_path(nfs_sr *n, const char *name)
{
	char *rel = hx_asprintf("%s/%s", n->dir + 1, name);
	char *p = nfs_target_join(&n->t, rel);
	free(rel);
	return p;
}

static int fs_open_spec(void *fs, const char *name, sm_open *out)
{
	nfs_sr *n = fs;
	if (!name_ok(name))
		return -EINVAL;
	/* Safe unescaped: nfs_dconf admits only host and path characters, and
	 * the engine's names are uuids with fixed suffixes (name_ok). */
	char *p = server_path(n, name);
	out->protocol = hx_strdup("nfs");
	out->filename = hx_asprintf("nfs://%s%s", n->t.server, p);
	out->protocol_json = hx_asprintf("{\"driver\":\"nfs\",\"server\":{\"type\":\"inet\",\"host\":\"%s\"},"
					 "\"path\":\"%s\"}",
					 n->t.server, p);
	free(p);
	return 0;
}

static char *fs_backing_ref(void *fs, const char *name)
{
	nfs_sr *n = fs;
	char *p = server_path(n, name);
	char *u = hx_asprintf("nfs://%s%s", n->t.server, p);
	free(p);
	return u;
}

static int fs_put_small(void *fs, const char *name, const void *buf, size_t len)
{
	nfs_sr *n = fs;
	if (!name_ok(name))
		return -EINVAL;
	char *p = sr_path(n, name);
	nfsc_file *f;
	pthread_mutex_lock(&n->mu);
	int r = nfsc_open(n->c, p, O_WRONLY | O_CREAT | O_EXCL, 0644, &f);
	if (r == 0) {
		int64_t w = nfsc_pwrite(n->c, f, 0, buf, len);
		r = w < 0 ? (int)w : nfsc_fsync(n->c, f);
		int rc = nfsc_fclose(n->c, f);
		if (r == 0)
			r = rc;
		if (r < 0)
			nfsc_unlink(n->c, p);
	}
	pthread_mutex_unlock(&n->mu);
	free(p);
	return r;
}

static int64_t fs_get_small(void *fs, const char *name, void *buf, size_t cap)
{
	nfs_sr *n = fs;
	if (!name_ok(name))
		return -EINVAL;
	char *p = sr_path(n, name);
	nfsc_file *f;
	pthread_mutex_lock(&n->mu);
	int64_t r = nfsc_open(n->c, p, O_RDONLY, 0, &f);
	if (r == 0) {
		r = nfsc_pread(n->c, f, 0, buf, cap);
		nfsc_fclose(n->c, f);
	}
	pthread_mutex_unlock(&n->mu);
	free(p);
	return r;
}

/* NFS COMMIT of an image built under a .tmp name, before its rename
 * (sm_fsops.sync): qemu-img's writes may sit UNSTABLE in the server's
 * cache until then. Directory operations need nothing more: NFSv3 servers
 * make CREATE, RENAME, LINK and REMOVE stable before they answer (RFC
 * 1813), so rename/link/unlink are durable on return as the engine
 * assumes. */
static int fs_sync(void *fs, const char *name)
{
	nfs_sr *n = fs;
	if (!name_ok(name))
		return -EINVAL;
	char *p = sr_path(n, name);
	nfsc_file *f;
	pthread_mutex_lock(&n->mu);
	int r = nfsc_open(n->c, p, O_WRONLY, 0, &f);
	if (r == 0) {
		r = nfsc_fsync(n->c, f);
		int rc = nfsc_fclose(n->c, f);
		if (r == 0)
			r = rc;
	}
	pthread_mutex_unlock(&n->mu);
	free(p);
	return r;
}

static const sm_fsops nfs_fsops = {
	.list = fs_list,
	.stat = fs_stat,
	.rename = fs_rename,
	.unlink = fs_unlink,
	.statfs = fs_statfs,
	.open_spec = fs_open_spec,
	.put_small = fs_put_small,
	.get_small = fs_get_small,
	.link = fs_link,
	.backing_ref = fs_backing_ref,
	.sync = fs_sync,
};

/* ---- connecting ----------------------------------------------------------- */

/*
 * Mounts the export of t with XAPI's errors (nfs_sr.h). Also the reason
 * sm/iso_nfs.c pulls this object into every link of libhxsm, so that the
 * registry's weak reference to sm_driver_nfs resolves.
 */
xerr *nfs_export_connect(const nfs_target *t, int mount_code, nfsc **out)
{
	int r = nfsc_reachable(t->server, t->version, NFS_CONNECT_TIMEOUT_MS);
	if (r == -ENXIO)
		return nfs_smerr(SMERR_DNS, "cannot resolve %s", t->server);
	if (r < 0)
		return nfs_smerr(SMERR_NFS_TARGET, "%s port %d: %s", t->server, t->version == 4 ? 2049 : 111,
				 strerror(-r));
	char *msg = NULL;
	r = nfsc_mount(t->server, t->path, t->version, NFS_CALL_TIMEOUT_MS, out, &msg);
	if (r < 0) {
		xerr *e = nfs_smerr(mount_code, "%s:%s: %s", t->server, t->path, msg ? msg : strerror(-r));
		free(msg);
		return e;
	}
	return NULL;
}

static nfs_sr *nfs_sr_free(nfs_sr *n)
{
	if (!n)
		return NULL;
	nfsc_close(n->c);
	nfs_target_clear(&n->t);
	free(n->dir);
	pthread_mutex_destroy(&n->mu);
	free(n);
	return NULL;
}

/* A connected nfs_sr for sr (takes t). */
static nfs_sr *nfs_sr_new(nfs_target *t, nfsc *c, const char *sr_uuid)
{
	nfs_sr *n = hx_calloc(1, sizeof(*n));
	n->chain.ops = &nfs_fsops;
	n->chain.fs = n;
	n->t = *t;
	memset(t, 0, sizeof(*t));
	n->c = c;
	n->dir = hx_asprintf("/%s", sr_uuid);
	pthread_mutex_init(&n->mu, NULL);
	return n;
}

/* ---- the driver ----------------------------------------------------------- */

static xerr *nfs_check_config(const xv *dc)
{
	nfs_target t;
	xerr *e = nfs_dconf_parse(dc, &t);
	nfs_target_clear(&t);
	return e;
}

static xerr *nfs_sr_create(sm_sr *sr, int64_t physical_size)
{
	nfs_target t;
	xerr *e = nfs_dconf_parse(sr->device_config, &t);
	if (e)
		return e;
	if (!hx_is_uuid(sr->uuid)) {
		nfs_target_clear(&t);
		return nfs_smerr(SMERR_INVALID_ARG, "SR uuid %s", sr->uuid);
	}
	nfsc *c;
	e = nfs_export_connect(&t, SMERR_NFS_MOUNT, &c);
	if (e) {
		nfs_target_clear(&t);
		return e;
	}
	nfs_sr *n = nfs_sr_new(&t, c, sr->uuid);
	bool made = false;
	nfsc_attr st;
	int r = nfsc_stat(c, n->dir, &st);
	if (r == 0 && !st.is_dir) {
		e = nfs_smerr(SMERR_NFS_CREATE, "%s/%s exists and is not a directory", n->t.path, sr->uuid);
	} else if (r == 0) {
		char **names;
		size_t k;
		r = nfsc_readdir(c, n->dir, &names, &k);
		if (r < 0)
			e = nfs_smerr(SMERR_NFS_CREATE, "cannot list %s/%s: %s", n->t.path, sr->uuid, nfsc_error(c));
		else if (k > 0)
			e = nfs_smerr(SMERR_SR_EXISTS, NULL);
		if (r == 0)
			nfsc_names_free(names, k);
	} else if (r == -ENOENT) {
		r = nfsc_mkdir(c, n->dir, 0755);
		if (r < 0)
			e = nfs_smerr(SMERR_NFS_CREATE, "remote directory creation error is %d", -r);
		made = r == 0;
	} else {
		e = nfs_smerr(SMERR_NFS_CREATE, "%s/%s: %s", n->t.path, sr->uuid, nfsc_error(c));
	}
	if (!e) {
		e = sm_chain_sr_create(&n->chain, sr->uuid);
		if (e && made)
			nfsc_rmdir(c, n->dir);
	}
	nfs_sr_free(n);
	return e;
}

static xerr *nfs_sr_attach(sm_sr *sr)
{
	nfs_target t;
	xerr *e = nfs_dconf_parse(sr->device_config, &t);
	if (e)
		return e;
	if (!hx_is_uuid(sr->uuid)) {
		nfs_target_clear(&t);
		return nfs_smerr(SMERR_INVALID_ARG, "SR uuid %s", sr->uuid);
	}
	nfsc *c;
	e = nfs_export_connect(&t, SMERR_NFS_MOUNT, &c);
	if (e) {
		nfs_target_clear(&t);
		return e;
	}
	nfs_sr *n = nfs_sr_new(&t, c, sr->uuid);
	nfsc_attr st;
	int r = nfsc_stat(c, n->dir, &st);
	if (r < 0 || !st.is_dir) {
		/* XAPI mounts <serverpath>/<sr-uuid> here: a mount error. */
		e = nfs_smerr(SMERR_NFS_MOUNT, "%s:%s/%s: %s", n->t.server, n->t.path, sr->uuid,
			      r < 0 ? strerror(-r) : "not a directory");
		nfs_sr_free(n);
		return e;
	}
	/* An SR introduced on a directory made elsewhere adopts it. */
	e = sm_chain_sr_attach(&n->chain, sr->uuid, true);
	if (e) {
		nfs_sr_free(n);
		return e;
	}
	sr->priv = n;
	return NULL;
}

static xerr *nfs_sr_detach(sm_sr *sr)
{
	sr->priv = nfs_sr_free(sr->priv);
	return NULL;
}

static xerr *nfs_sr_destroy(sm_sr *sr)
{
	nfs_sr *n = sr->priv;
	xerr *e = sm_chain_sr_destroy(&n->chain);
	if (e)
		return e;
	pthread_mutex_lock(&n->mu);
	int r = nfsc_rmdir(n->c, n->dir);
	pthread_mutex_unlock(&n->mu);
	if (r < 0 && r != -ENOENT)
		return nfs_smerr(SMERR_NFS_DELETE, "rmdir %s%s: %s", n->t.path, n->dir, strerror(-r));
	return NULL;
}

/* The uuid in an SR directory's marker, or NULL (heap). */
static char *read_marker(nfsc *c, const char *dir)
{
	char *p = hx_asprintf("/%s/" MARKER, dir);
	char *buf = NULL;
	size_t len;
	int r = nfsc_read_file(c, p, 128, &buf, &len);
	free(p);
	if (r < 0)
		return NULL;
	char *u = buf;
	if (!strncmp(u, "halyard-sr ", 11))
		u += 11;
	u[strcspn(u, "\r\n")] = 0;
	char *out = hx_is_uuid(u) ? hx_strdup(u) : NULL;
	free(buf);
	return out;
}

/* Whether directory /<dir> holds disk images (an SR made by XAPI has no
 * marker but its <uuid>.vhd / .qcow2 files). */
static bool has_images(nfsc *c, const char *dir)
{
	char *p = hx_asprintf("/%s", dir);
	char **names;
	size_t k;
	bool found = false;
	if (nfsc_readdir(c, p, &names, &k) == 0) {
		for (size_t i = 0; i < k && !found; i++) {
			size_t l = strlen(names[i]);
			found = (l > 4 && !strcmp(names[i] + l - 4, ".vhd")) ||
				(l > 6 && !strcmp(names[i] + l - 6, ".qcow2"));
		}
		nfsc_names_free(names, k);
	}
	free(p);
	return found;
}

/*
 * SR.probe without serverpath, as XAPI's NFS SR: SR_BACKEND_FAILURE_101
 * whose third param (the driver's stderr in XAPI) is the server's export
 * list as <nfs-exports><Export><Target/><Path/><Accesslist/></Export>…;
 * Xen Orchestra lists NFS exports exactly this way. e is that 101 error
 * (taken); returns it filled, or the host's DNS/target error instead.
 */
static xerr *probe_exports(const xv *dc, xerr *e)
{
	const char *server = xv_struct_str(dc, "server");
	if (!nfs_host_ok(server)) {
		xerr_free(e);
		return nfs_smerr(SMERR_DNS, "'%s' is not a host name or IPv4 address", server ? server : "");
	}
	int r = nfsc_reachable(server, 3, NFS_CONNECT_TIMEOUT_MS);
	if (r < 0) {
		xerr_free(e);
		if (r == -ENXIO)
			return nfs_smerr(SMERR_DNS, "cannot resolve %s", server);
		return nfs_smerr(SMERR_NFS_TARGET, "%s port 111: %s", server, strerror(-r));
	}
	nfsc_export *v = NULL;
	size_t n = 0;
	nfsc_exports(server, &v, &n); /* no list: an empty <nfs-exports/> */
	strbuf b = STRBUF_INIT;
	sb_puts(&b, "<?xml version=\"1.0\" ?>\n<nfs-exports>\n");
	for (size_t i = 0; i < n; i++) {
		sb_puts(&b, "\t<Export>\n\t\t<Target>");
		sb_put_xml_escaped(&b, server, strlen(server));
		sb_puts(&b, "</Target>\n\t\t<Path>");
		sb_put_xml_escaped(&b, v[i].path, strlen(v[i].path));
		sb_puts(&b, "</Path>\n\t\t<Accesslist>");
		sb_put_xml_escaped(&b, v[i].access, strlen(v[i].access));
		sb_puts(&b, "</Accesslist>\n\t</Export>\n");
	}
	sb_puts(&b, "</nfs-exports>\n");
	nfsc_exports_free(v, n);
	if (e->nparams == 3) {
		free(e->params[2]);
		e->params[2] = sb_steal(&b, NULL);
	} else {
		sb_free(&b);
	}
	return e;
}

/* SR.probe: every <sr-uuid> directory under serverpath that holds an SR. */
static xerr *nfs_sr_probe(const xv *dc, const xv *smc, sm_probe_result *out)
{
	memset(out, 0, sizeof(*out));
	nfs_target t;
	xerr *e = nfs_dconf_parse(dc, &t);
	if (e && !strcmp(e->code, "SR_BACKEND_FAILURE_101"))
		return probe_exports(dc, e);
	if (e)
		return e;
	nfsc *c;
	e = nfs_export_connect(&t, SMERR_NFS_MOUNT, &c);
	if (e) {
		nfs_target_clear(&t);
		return e;
	}
	nfsc_space sp = {0};
	nfsc_statvfs(c, "/", &sp);
	char **names;
	size_t k;
	int r = nfsc_readdir(c, "/", &names, &k);
	if (r < 0) {
		e = nfs_smerr(SMERR_NFS_MOUNT, "cannot list %s:%s: %s", t.server, t.path, nfsc_error(c));
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		if (!hx_is_uuid(names[i]))
			continue;
		char *u = read_marker(c, names[i]);
		if (!u && !has_images(c, names[i]))
			continue;
		if (u && strcmp(u, names[i]) != 0) {
			free(u); /* a marker naming another SR: not ours to offer */
			continue;
		}
		free(u);
		sm_probe_sr *p = sm_probe_result_add(out);
		p->uuid = hx_strdup(names[i]);
		p->device_config = xv_struct();
		xv_struct_set(p->device_config, "server", xv_str(t.server));
		xv_struct_set(p->device_config, "serverpath", xv_str(t.path));
		if (t.version != 3)
			xv_struct_set(p->device_config, "nfsversion", xv_str("4"));
		p->total_space = (int64_t)sp.total;
		p->free_space = (int64_t)sp.free;
	}
	nfsc_names_free(names, k);
out:
	nfsc_close(c);
	nfs_target_clear(&t);
	return e;
}

static const char *const nfs_caps[] = {
	SM_CAP_SR_PROBE,     SM_CAP_SR_UPDATE,	      SM_CAP_VDI_CREATE,     SM_CAP_VDI_DELETE,
	SM_CAP_VDI_ATTACH,   SM_CAP_VDI_DETACH,	      SM_CAP_VDI_CLONE,	     SM_CAP_VDI_SNAPSHOT,
	SM_CAP_VDI_RESIZE,   SM_CAP_VDI_RESIZE_ONLINE, SM_CAP_VDI_INTRODUCE, SM_CAP_VDI_UPDATE,
	SM_CAP_VDI_COMPOSE, SM_CAP_THIN_PROVISIONING, NULL,
};

static const char *const nfs_config[] = {
	"server",     "hostname or IP address of NFS server (required)",
	"serverpath", "path on remote server (required)",
	"nfsversion", "NFS version to use for SR-level operations: 3 (default), 4 or 4.0 "
		      "(guest I/O goes through QEMU's nfs driver, which speaks NFSv3)",
	NULL,
};

const sm_driver sm_driver_nfs = {
	.type = "nfs",
	.name_label = "NFS",
	.name_description = "SR plugin which stores disks as qcow2 files on a remote NFS filesystem, "
			    "without a kernel mount (libnfs and QEMU's nfs driver)",
	.vendor = "Halyard",
	.copyright = "Apache-2.0",
	.version = "1.0",
	.required_api_version = "1.0",
	.capabilities = nfs_caps,
	.configuration = nfs_config,
	.content_type = "user",
	.shared = true,
	.check_config = nfs_check_config,
	.sr_create = nfs_sr_create,
	.sr_attach = nfs_sr_attach,
	.sr_detach = nfs_sr_detach,
	.sr_destroy = nfs_sr_destroy,
	.sr_probe = nfs_sr_probe,
	.sr_scan = sm_chain_scan,
	.sr_stat = sm_chain_stat,
	.vdi_create = sm_chain_vdi_create,
	.vdi_destroy = sm_chain_vdi_destroy,
	.vdi_stat = sm_chain_vdi_stat,
	.vdi_snapshot = sm_chain_vdi_snapshot,
	.vdi_clone = sm_chain_vdi_clone,
	.vdi_resize = sm_chain_vdi_resize,
	.vdi_copy = sm_chain_vdi_copy,
	.vdi_compose = sm_chain_vdi_compose,
	.vdi_attach = sm_chain_vdi_attach,
	.vdi_introduce = sm_chain_vdi_introduce,
	.sr_gc = sm_chain_gc,
	.sr_recover = sm_chain_sr_recover,
	.vdi_settle = sm_chain_vdi_settle,
};
