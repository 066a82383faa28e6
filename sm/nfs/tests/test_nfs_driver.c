/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The nfs SR driver against a real NFS server (nfs-ganesha on loopback,
 * started by `scripts/nfs-server run --`, which sets NFS_SERVER and
 * NFS_EXPORT) and real qemu-img/qemu-io speaking nfs://: bad
 * device_config, SR.create/probe/attach, VDI create, snapshot, clone,
 * copy, resize, GC coalescing over NFS, SR.destroy. The export directory
 * is local, so the layout (<serverpath>/<sr-uuid>/<vdi-uuid>.qcow2) and
 * "nothing created" are checked on the local filesystem too.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "check.h"
#include "qimg.h"
#include "util.h"

static const char *server, *export_dir;

static bool qio(const char *file, const char *cmd)
{
	const char *argv[] = {"qemu-io", "-f", "qcow2", "-c", cmd, file, NULL};
	char *out = NULL, *err = NULL;
	int r = sm_run(argv, &out, &err, NULL);
	bool ok = r == 0 && !strstr(out ? out : "", "fail") && !strstr(err ? err : "", "fail");
	if (!ok)
		printf("qemu-io %s %s: r=%d out=%s err=%s\n", file, cmd, r, out, err);
	free(out);
	free(err);
	return ok;
}

static char *url_of(sm_sr *sr, const char *loc)
{
	sm_open o;
	xerr *e = sr->drv->vdi_attach(sr, loc, true, &o);
	if (e) {
		printf("attach %s: %s %s\n", loc, e->code, e->nparams > 1 ? e->params[1] : "");
		xerr_free(e);
		return NULL;
	}
	char *f = hx_strdup(o.filename);
	sm_open_clear(&o);
	return f;
}

/* Entries in a local directory (-1 if it does not exist). */
static int count_dir(const char *d)
{
	DIR *dd = opendir(d);
	if (!dd)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dd);
	return n;
}

static xv *dconf(const char *srv, const char *path, const char *ver)
{
	xv *d = xv_struct();
	if (srv)
		xv_struct_set(d, "server", xv_str(srv));
	if (path)
		xv_struct_set(d, "serverpath", xv_str(path));
	if (ver)
		xv_struct_set(d, "nfsversion", xv_str(ver));
	return d;
}

/* sr_create with dc must fail with code; nothing appears in the export. */
static void bad_create(xv *dc, const char *code, const char *what)
{
	char u[37];
	hx_uuid(u);
	xerr *e = NULL;
	sm_sr *sr = sm_sr_new("nfs", u, dc, NULL, NULL, &e);
	CHECK(sr && !e, "handle");
	if (sr) {
		/* check_config does no network I/O: it catches the syntax errors */
		bool net = !strcmp(code, "SR_BACKEND_FAILURE_140") || !strcmp(code, "SR_BACKEND_FAILURE_73") ||
			   !strcmp(code, "SR_BACKEND_FAILURE_108");
		e = sr->drv->check_config(dc);
		CHECK(net ? !e : e && !strcmp(e->code, code), "%s: check_config %s", what, e ? e->code : "ok");
		xerr_free(e);
		e = sr->drv->sr_create(sr, 0);
		CHECK(e && !strcmp(e->code, code) && e->nparams == 3, "%s: want %s got %s %s", what, code,
		      e ? e->code : "success", e && e->nparams > 1 ? e->params[1] : "");
		if (e)
			printf("  %s -> %s [%s]\n", what, e->code, e->params[1]);
		xerr_free(e);
	}
	sm_sr_free(sr);
	xv_free(dc);
	CHECK(count_dir(export_dir) == 0, "%s: nothing created in the export", what);
}

int main(void)
{
	server = getenv("NFS_SERVER");
	export_dir = getenv("NFS_EXPORT");
	if (!server || !export_dir) {
		printf("SKIP: run under scripts/nfs-server run -- (NFS_SERVER/NFS_EXPORT unset)\n");
		return 77;
	}
	if (system("qemu-io -f qcow2 -c 'help' 'nfs://127.0.0.1/nonexistent' 2>&1 | grep -q 'Unknown protocol'") ==
	    0) {
		printf("SKIP: QEMU has no nfs:// driver (qemu-block-extra not installed)\n");
		return 77;
	}
	CHECK(sm_driver_find("nfs") == &sm_driver_nfs && sm_driver_nfs.shared, "nfs driver registered, shared");

	bad_create(dconf(NULL, export_dir, NULL), "SR_BACKEND_FAILURE_102", "no server");
	bad_create(dconf(server, NULL, NULL), "SR_BACKEND_FAILURE_101", "no serverpath");
	bad_create(dconf(server, export_dir, "2"), "SR_BACKEND_FAILURE_72", "nfsversion 2");
	bad_create(dconf(server, "relative", NULL), "SR_BACKEND_FAILURE_103", "relative serverpath");
	bad_create(dconf("no-such-host.invalid", export_dir, NULL), "SR_BACKEND_FAILURE_140", "unresolvable server");
	char *missing = hx_asprintf("%s/no-such-dir", export_dir);
	bad_create(dconf(server, missing, NULL), "SR_BACKEND_FAILURE_73", "path not exported");
	free(missing);
	/* ganesha binds 127.0.0.1 only: nothing answers NFSv4 at 127.0.0.2:2049 */
	bad_create(dconf("127.0.0.2", export_dir, "4"), "SR_BACKEND_FAILURE_108", "no NFS service");
	OK("bad device_config: 102, 101, 72, 103, 140 (no DNS), 73 (mount refused), 108 (no service); "
	   "nothing created");

	char sr_uuid[37];
	hx_uuid(sr_uuid);
	xv *dc = dconf(server, export_dir, NULL);
	xerr *e = NULL;
	sm_sr *sr = sm_sr_new("nfs", sr_uuid, dc, NULL, NULL, &e);
	e = sr->drv->sr_create(sr, 0);
	CHECK(!e, "create: %s", e ? e->params[1] : "");
	e = xerr_free(e);
	char *srdir = hx_asprintf("%s/%s", export_dir, sr_uuid);
	CHECK(count_dir(srdir) == 1, "the SR directory <serverpath>/<sr-uuid> holds the marker");
	/* XAPI: SR.create where <serverpath>/<sr-uuid> is not empty -> SRExists */
	e = sr->drv->sr_create(sr, 0);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_42"), "second create: %s", e ? e->code : "success");
	e = xerr_free(e);
	OK("SR.create makes <serverpath>/<sr-uuid>/ with the marker; again -> SR_BACKEND_FAILURE_42");

	sm_probe_result pr;
	e = sm_driver_nfs.sr_probe(dc, NULL, &pr);
	CHECK(!e && pr.n == 1 && !strcmp(pr.srs[0].uuid, sr_uuid) && pr.srs[0].total_space > 0, "probe");
	if (!e && pr.n == 1) {
		const char *ps = xv_struct_str(pr.srs[0].device_config, "serverpath");
		CHECK(ps && !strcmp(ps, export_dir), "probe device_config");
	}
	sm_probe_result_clear(&pr);
	OK("SR.probe finds the SR by its directory and marker");

	/* Without serverpath: 101 carrying the export list (what XO reads). */
	xv *only = dconf(server, NULL, NULL);
	e = sm_driver_nfs.sr_probe(only, NULL, &pr);
	char *want = hx_asprintf("<Path>%s</Path>", export_dir);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_101") && e->nparams == 3 &&
		      strstr(e->params[2], "<nfs-exports>") && strstr(e->params[2], want) &&
		      strstr(e->params[2], "<Accesslist>"),
	      "probe without serverpath: %s %s", e ? e->code : "ok", e && e->nparams == 3 ? e->params[2] : "");
	if (e && e->nparams == 3)
		printf("  exports: %s", e->params[2]);
	free(want);
	xerr_free(e);
	sm_probe_result_clear(&pr);
	xv_free(only);
	only = dconf("no-such-host.invalid", NULL, NULL);
	e = sm_driver_nfs.sr_probe(only, NULL, &pr);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_140"), "probe of a host that does not resolve: %s",
	      e ? e->code : "ok");
	xerr_free(e);
	sm_probe_result_clear(&pr);
	xv_free(only);
	OK("SR.probe without serverpath: SR_BACKEND_FAILURE_101 with <nfs-exports> in params[2], as XAPI");

	e = sr->drv->sr_attach(sr);
	CHECK(!e, "attach: %s", e ? e->params[1] : "");
	e = xerr_free(e);

	char a[37], s1[37], c1[37], cp[37];
	hx_uuid(a);
	hx_uuid(s1);
	hx_uuid(c1);
	hx_uuid(cp);
	sm_vdi_params p = {.uuid = a, .virtual_size = 8 << 20};
	sm_vdi_info info;
	e = sr->drv->vdi_create(sr, &p, &info);
	CHECK(!e && info.virtual_size == 8 << 20, "vdi create: %s", e ? e->params[1] : "");
	e = xerr_free(e);
	sm_vdi_info_clear(&info);
	char *local_a = hx_asprintf("%s/%s.qcow2", srdir, a);
	CHECK(access(local_a, F_OK) == 0, "VDI file %s", local_a);
	free(local_a);
	sm_open o;
	e = sr->drv->vdi_attach(sr, a, true, &o);
	CHECK(!e && !strcmp(o.protocol, "nfs") && !strncmp(o.filename, "nfs://", 6) && o.protocol_json &&
		      strstr(o.protocol_json, "\"driver\":\"nfs\""),
	      "attach answers an nfs:// URL and a blockdev node");
	if (!e)
		printf("  attach: %s %s\n", o.filename, o.protocol_json);
	sm_open_clear(&o);
	char *fa = url_of(sr, a);
	CHECK(fa && qio(fa, "write -P 0x11 0 1M"), "write A");
	OK("VDI.create: <serverpath>/<sr-uuid>/<vdi-uuid>.qcow2, opened by QEMU over nfs://");

	e = sr->drv->vdi_snapshot(sr, a, s1, NULL, NULL, &info);
	CHECK(!e && info.parent_location, "snapshot: %s", e ? e->params[1] : "");
	e = xerr_free(e);
	sm_vdi_info_clear(&info);
	char *fs1 = url_of(sr, s1);
	CHECK(fa && qio(fa, "write -P 0x22 0 512k"), "overwrite A");
	CHECK(fa && qio(fa, "read -P 0x22 0 512k") && qio(fa, "read -P 0x11 512k 512k"), "A new+old");
	CHECK(fs1 && qio(fs1, "read -P 0x11 0 1M"), "snapshot keeps");
	qimg_info qi;
	e = qimg_info_get(fs1, "qcow2", &qi);
	CHECK(!e && qi.backing_filename && !strncmp(qi.backing_filename, "nfs://", 6), "backing is a URL: %s",
	      !e && qi.backing_filename ? qi.backing_filename : "");
	if (!e)
		qimg_info_clear(&qi);
	e = xerr_free(e);
	OK("snapshot over NFS: backing chain by nfs:// URL, the snapshot keeps the old bytes");

	e = sr->drv->vdi_clone(sr, s1, c1, NULL, NULL, &info);
	CHECK(!e, "clone");
	e = xerr_free(e);
	sm_vdi_info_clear(&info);
	char *fc1 = url_of(sr, c1);
	CHECK(fc1 && qio(fc1, "write -P 0x33 0 64k") && qio(fc1, "read -P 0x11 64k 960k"), "clone diverges");
	free(fs1);
	fs1 = url_of(sr, s1);
	CHECK(fs1 && qio(fs1, "read -P 0x11 0 1M"), "snapshot unchanged by the clone");
	OK("clone diverges without touching its source");

	sm_open src;
	e = sr->drv->vdi_attach(sr, a, false, &src);
	sm_vdi_params cpp = {.uuid = cp, .virtual_size = 8 << 20};
	if (!e)
		e = sr->drv->vdi_copy(sr, &src, &cpp, NULL, &info);
	CHECK(!e && !info.parent_location, "copy: %s", e ? e->params[1] : "");
	e = xerr_free(e);
	sm_vdi_info_clear(&info);
	sm_open_clear(&src);
	char *fcp = url_of(sr, cp);
	CHECK(fcp && qio(fcp, "read -P 0x22 0 512k") && qio(fcp, "read -P 0x11 512k 512k"), "copy data");
	e = sr->drv->vdi_resize(sr, a, 16 << 20, NULL, &info);
	CHECK(!e && info.virtual_size == 16 << 20, "resize");
	e = xerr_free(e);
	sm_vdi_info_clear(&info);
	CHECK(fa && qio(fa, "read -P 0x11 512k 512k"), "data after resize");
	OK("copy flattens into a new VDI; resize grows and keeps the data");

	sm_vdi_list l;
	e = sr->drv->sr_scan(sr, &l);
	size_t vis = 0, hid = 0;
	for (size_t i = 0; i < l.n; i++)
		l.v[i].hidden ? hid++ : vis++;
	CHECK(!e && vis == 4 && hid == 2, "scan %zu visible %zu hidden", vis, hid);
	sm_vdi_list_clear(&l);
	e = xerr_free(e);

	CHECK(!(e = sr->drv->vdi_destroy(sr, s1)), "destroy s1");
	e = xerr_free(e);
	CHECK(!(e = sr->drv->vdi_destroy(sr, c1)), "destroy c1");
	e = xerr_free(e);
	int rem = 1, passes = 0;
	while (rem && passes < 20) {
		e = sr->drv->sr_gc(sr, &rem);
		CHECK(!e, "gc: %s", e ? e->params[1] : "");
		e = xerr_free(e);
		passes++;
	}
	e = sr->drv->sr_scan(sr, &l);
	vis = hid = 0;
	for (size_t i = 0; i < l.n; i++)
		l.v[i].hidden ? hid++ : vis++;
	CHECK(!e && vis == 2 && hid == 0, "after gc %zu visible %zu hidden", vis, hid);
	sm_vdi_list_clear(&l);
	e = xerr_free(e);
	CHECK(fa && qio(fa, "read -P 0x22 0 512k") && qio(fa, "read -P 0x11 512k 512k"), "A intact after GC");
	OK("GC coalesces the chain over NFS (qemu-img rebase on nfs:// URLs); data exact");

	sm_sr_stat st;
	e = sr->drv->sr_stat(sr, &st);
	CHECK(!e && st.physical_size > 0 && st.physical_utilisation >= 0, "stat");
	e = xerr_free(e);
	sr->drv->sr_detach(sr);
	e = sr->drv->sr_attach(sr);
	CHECK(!e, "re-attach");
	e = xerr_free(e);
	e = sr->drv->sr_destroy(sr);
	CHECK(!e, "destroy: %s", e ? e->params[1] : "");
	e = xerr_free(e);
	sr->drv->sr_detach(sr);
	CHECK(count_dir(srdir) == -1 && count_dir(export_dir) == 0, "SR.destroy removes <serverpath>/<sr-uuid>");
	e = sr->drv->sr_attach(sr);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_73"), "attach of a destroyed SR: %s", e ? e->code : "ok");
	e = xerr_free(e);
	sm_sr_free(sr);
	OK("SR.stat, detach/attach, SR.destroy removes the SR directory; attach afterwards -> 73");

	/* nfsversion=4: SR-level operations over NFSv4 (libnfs goes to port
	 * 2049 directly); QEMU still opens the images over NFSv3. */
	const char *port = getenv("NFS_PORT");
	if (port && !strcmp(port, "2049")) {
		xv *dc4 = dconf(server, export_dir, "4");
		char u4[37], v4[37];
		hx_uuid(u4);
		hx_uuid(v4);
		sm_sr *s4 = sm_sr_new("nfs", u4, dc4, NULL, NULL, &e);
		e = s4->drv->sr_create(s4, 0);
		CHECK(!e, "v4 create: %s", e ? e->params[1] : "");
		e = xerr_free(e);
		e = s4->drv->sr_attach(s4);
		CHECK(!e, "v4 attach: %s", e ? e->params[1] : "");
		e = xerr_free(e);
		sm_vdi_params p4 = {.uuid = v4, .virtual_size = 4 << 20};
		e = s4->drv->vdi_create(s4, &p4, &info);
		CHECK(!e, "v4 vdi create");
		e = xerr_free(e);
		sm_vdi_info_clear(&info);
		char *f4 = url_of(s4, v4);
		CHECK(f4 && qio(f4, "write -P 0x44 0 64k") && qio(f4, "read -P 0x44 0 64k"), "v4 SR image I/O");
		free(f4);
		e = s4->drv->sr_scan(s4, &l);
		CHECK(!e && l.n == 1, "v4 scan");
		sm_vdi_list_clear(&l);
		e = xerr_free(e);
		e = s4->drv->sr_destroy(s4);
		CHECK(!e, "v4 destroy");
		e = xerr_free(e);
		s4->drv->sr_detach(s4);
		sm_sr_free(s4);
		xv_free(dc4);
		CHECK(count_dir(export_dir) == 0, "v4 SR gone");
		OK("nfsversion=4: create, attach, VDI, scan, destroy over NFSv4");
	} else {
		printf("NOTE: NFS port %s is not 2049: the nfsversion=4 SR is not checked\n", port ? port : "?");
	}

	free(fa);
	free(fs1);
	free(fc1);
	free(fcp);
	free(srdir);
	xv_free(dc);
	return check_done("sm-nfs-driver");
}
