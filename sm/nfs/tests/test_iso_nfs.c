/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ISO SRs on an NFS export (type=iso, location=server:/path) against a
 * real NFS server (run under `scripts/nfs-server run --`): routing from
 * the iso type, XAPI's location errors, scan of *.iso only, read-only
 * attach that qemu-io reads over nfs:// (names with spaces included),
 * rescan after files change behind our back, destroy leaves the files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "qimg.h"
#include "sm.h"
#include "util.h"

static const char *server, *export_dir;

/* A local file of n bytes of value v in the export. */
static void put(const char *name, int v, size_t n)
{
	char *p = hx_asprintf("%s/%s", export_dir, name);
	FILE *f = fopen(p, "wb");
	for (size_t i = 0; f && i < n; i++)
		fputc(v, f);
	if (f)
		fclose(f);
	free(p);
}

static bool qio_read(const char *file, const char *cmd)
{
	const char *argv[] = {"qemu-io", "-r", "-f", "raw", "-c", cmd, file, NULL};
	char *out = NULL, *err = NULL;
	int r = sm_run(argv, &out, &err, NULL);
	bool ok = r == 0 && !strstr(out ? out : "", "fail") && !strstr(err ? err : "", "fail");
	if (!ok)
		printf("qemu-io %s %s: r=%d out=%s err=%s\n", file, cmd, r, out, err);
	free(out);
	free(err);
	return ok;
}

static xv *loc_dc(const char *loc)
{
	xv *d = xv_struct();
	xv_struct_set(d, "location", xv_str(loc));
	return d;
}

static void expect_err(const char *loc, const char *code)
{
	char u[37];
	hx_uuid(u);
	xv *dc = loc_dc(loc);
	xerr *e = NULL;
	sm_sr *sr = sm_sr_new("iso", u, dc, NULL, NULL, &e);
	CHECK(sr, "handle");
	if (sr) {
		e = sr->drv->sr_create(sr, 0);
		CHECK(e && !strcmp(e->code, code), "%s: want %s got %s %s", loc, code, e ? e->code : "success",
		      e && e->nparams > 1 ? e->params[1] : "");
		if (e)
			printf("  %s -> %s [%s]\n", loc, e->code, e->params[1]);
		xerr_free(e);
	}
	sm_sr_free(sr);
	xv_free(dc);
}

static size_t count_vdis(sm_sr *sr, const char *want)
{
	sm_vdi_list l;
	xerr *e = sr->drv->sr_scan(sr, &l);
	CHECK(!e, "scan");
	xerr_free(e);
	size_t n = 0;
	bool found = !want;
	for (size_t i = 0; i < l.n; i++) {
		n++;
		CHECK(l.v[i].read_only && !strcmp(l.v[i].format, "raw"), "read-only raw");
		if (want && !strcmp(l.v[i].location, want))
			found = true;
	}
	CHECK(found, "scan lists %s", want);
	sm_vdi_list_clear(&l);
	return n;
}

int main(void)
{
	server = getenv("NFS_SERVER");
	export_dir = getenv("NFS_EXPORT");
	if (!server || !export_dir) {
		printf("SKIP: run under scripts/nfs-server run -- (NFS_SERVER/NFS_EXPORT unset)\n");
		return 77;
	}
	char *loc = hx_asprintf("%s:%s", server, export_dir);
	xv *dc = loc_dc(loc);

	CHECK(sm_iso_on_nfs(dc) && !sm_iso_on_nfs(NULL), "location form detected");
	xv *local = loc_dc("/srv/isos");
	CHECK(!sm_iso_on_nfs(local), "a local path is not NFS");
	xv_free(local);
	char u[37];
	hx_uuid(u);
	xerr *e = NULL;
	sm_sr *sr = sm_sr_new("iso", u, dc, NULL, NULL, &e);
	CHECK(sr && sr->drv == &sm_driver_iso_nfs && !strcmp(sr->type, "iso"), "iso SR on NFS routed");
	e = sm_driver_find("iso")->check_config(dc);
	CHECK(!e, "iso check_config forwards an NFS location");
	xerr_free(e);
	xv *bad = loc_dc("srv:relative");
	e = sm_driver_find("iso")->check_config(bad);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_225"), "forwarded check: %s", e ? e->code : "ok");
	xerr_free(e);
	xv_free(bad);
	OK("type=iso with location=server:/path goes to the iso-over-NFS driver");

	expect_err("srv:relative", "SR_BACKEND_FAILURE_225");
	expect_err("no-such-host.invalid:/x", "SR_BACKEND_FAILURE_140");
	char *missing = hx_asprintf("%s:%s/none", server, export_dir);
	expect_err(missing, "SR_BACKEND_FAILURE_222");
	free(missing);
	OK("bad locations: 225 (form), 140 (host), 222 (mount refused)");

	put("a.iso", 0x41, 3 * 65536 + 17);
	put("My Disc.ISO", 0x42, 65536);
	put("notes.txt", 0x43, 10);
	put(".hidden.iso", 0x44, 10);
	e = sr->drv->sr_create(sr, 0);
	CHECK(!e, "create: %s", e ? e->params[1] : "");
	xerr_free(e);
	e = sr->drv->sr_attach(sr);
	CHECK(!e, "attach: %s", e ? e->params[1] : "");
	xerr_free(e);
	CHECK(count_vdis(sr, "My Disc.ISO") == 2, "two ISOs");
	sm_vdi_info v;
	e = sr->drv->vdi_stat(sr, "a.iso", &v);
	CHECK(!e && v.virtual_size == 3 * 65536 + 17 && v.read_only, "stat a.iso");
	sm_vdi_info_clear(&v);
	xerr_free(e);
	e = sr->drv->vdi_stat(sr, "notes.txt", &v);
	CHECK(e && !strncmp(e->code, "SR_BACKEND_FAILURE_", 19), "not an ISO");
	xerr_free(e);
	OK("scan: *.iso (any case, spaces allowed), hidden and other files ignored; read-only raw VDIs");

	sm_open o;
	e = sr->drv->vdi_attach(sr, "a.iso", true, &o);
	CHECK(e && !strcmp(e->code, "VDI_READONLY"), "writable attach refused");
	xerr_free(e);
	e = sr->drv->vdi_attach(sr, "My Disc.ISO", false, &o);
	CHECK(!e && o.read_only && !strcmp(o.protocol, "nfs") && strstr(o.filename, "My%20Disc.ISO"),
	      "attach: %s", e ? e->code : o.filename);
	if (!e) {
		printf("  attach: %s %s\n", o.filename, o.protocol_json);
		CHECK(qio_read(o.filename, "read -P 0x42 0 64k"), "QEMU reads the ISO over nfs://");
		sm_open_clear(&o);
	}
	xerr_free(e);
	e = sr->drv->vdi_attach(sr, "a.iso", false, &o);
	CHECK(!e && qio_read(o.filename, "read -P 0x41 0 196625"), "a.iso over nfs://");
	if (!e)
		sm_open_clear(&o);
	xerr_free(e);
	OK("read-only attach (VDI_READONLY for writable) answers an nfs:// URL QEMU reads");

	put("b.iso", 0x45, 4096);
	char *pa = hx_asprintf("%s/a.iso", export_dir);
	unlink(pa);
	free(pa);
	CHECK(count_vdis(sr, "b.iso") == 2, "rescan sees b.iso and not a.iso");
	sm_sr_stat st;
	e = sr->drv->sr_stat(sr, &st);
	CHECK(!e && st.physical_size > 0, "stat");
	xerr_free(e);
	sm_probe_result pr;
	e = sm_driver_find("iso")->sr_probe(dc, NULL, &pr);
	CHECK(!e && pr.n == 1 && pr.srs[0].total_space > 0, "probe");
	sm_probe_result_clear(&pr);
	xerr_free(e);
	e = sr->drv->sr_destroy(sr);
	CHECK(!e, "destroy");
	xerr_free(e);
	sr->drv->sr_detach(sr);
	char *pb = hx_asprintf("%s/b.iso", export_dir);
	CHECK(access(pb, F_OK) == 0, "SR.destroy leaves the user's ISO files");
	free(pb);
	OK("rescan follows files added/removed behind our back; stat, probe; destroy leaves the files");

	sm_sr_free(sr);
	xv_free(dc);
	free(loc);
	return check_done("sm-nfs-iso");
}
