/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file SR driver and the chain engine against a real temporary
 * directory and real qemu-img/qemu-io: create, snapshot, overwrite,
 * clone, resize, copy, GC coalescing, crash leftovers, bad config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "chain.h"
#include "qimg.h"
#include "util.h"

static char dir[256];

/* qemu-io -c "<cmd>" on the image; true when it exits 0 and, for reads
 * with -P, the pattern matched (qemu-io prints "Pattern verification
 * failed" otherwise). */
static bool qio(const char *file, const char *fmt, const char *cmd)
{
	const char *argv[] = { "qemu-io", "-f", fmt, "-c", cmd, file, NULL };
	char *out = NULL, *err = NULL;
	int r = sm_run(argv, &out, &err, NULL);
	bool ok = r == 0 && !strstr(out ? out : "", "fail") && !strstr(err ? err : "", "fail");
	if (!ok)
		printf("qemu-io %s %s: r=%d out=%s err=%s\n", file, cmd, r, out, err);
	free(out);
	free(err);
	return ok;
}

static char *path_of(sm_sr *sr, const char *loc)
{
	sm_open o;
	xerr *e = sr->drv->vdi_attach(sr, loc, true, &o);
	if (e) {
		xerr_free(e);
		return NULL;
	}
	char *f = hx_strdup(o.filename);
	sm_open_clear(&o);
	return f;
}

static size_t count_files(void)
{
	char *cmd = hx_asprintf("ls -A %s | wc -l", dir);
	FILE *p = popen(cmd, "r");
	free(cmd);
	size_t n = 0;
	if (p) {
		if (fscanf(p, "%zu", &n) != 1)
			n = 0;
		pclose(p);
	}
	return n;
}

int main(void)
{
	if (system("qemu-img --version >/dev/null 2>&1") != 0 ||
	    system("qemu-io --version >/dev/null 2>&1") != 0) {
		printf("skip: qemu-img/qemu-io (qemu-utils) not installed\n");
		return 77;
	}
	snprintf(dir, sizeof(dir), "/tmp/sm-test-file-%d", (int)getpid());
	char sr_uuid[37];
	hx_uuid(sr_uuid);
	xv *dc = xv_struct();
	xv_struct_set(dc, "location", xv_str(dir));
	xerr *e = NULL;

	/* Bad device_config. */
	xv *bad = xv_struct();
	sm_sr *sr = sm_sr_new("file", sr_uuid, bad, NULL, NULL, &e);
	CHECK(sr && !e, "handle");
	e = sr->drv->sr_create(sr, 0);
	CHECK(e && strcmp(e->code, "SR_BACKEND_FAILURE_1") == 0 && e->nparams == 3,
	      "missing location: %s", e ? e->code : "none");
	e = xerr_free(e);
	sr = sm_sr_free(sr);
	xv_struct_set(bad, "location", xv_str("relative/path"));
	sr = sm_sr_new("file", sr_uuid, bad, NULL, NULL, &e);
	e = sr->drv->sr_create(sr, 0);
	CHECK(e && strcmp(e->code, "SR_BACKEND_FAILURE_2") == 0, "relative location");
	e = xerr_free(e);
	sr = sm_sr_free(sr);
	xv_free(bad);
	CHECK(sm_sr_new("nosuch", sr_uuid, dc, NULL, NULL, &e) == NULL &&
	      e && strcmp(e->code, "SR_UNKNOWN_DRIVER") == 0, "unknown type");
	e = xerr_free(e);
	OK("bad device_config and unknown type are refused with SR_BACKEND_FAILURE_1/2, SR_UNKNOWN_DRIVER");

	/* Create, refuse a second SR on the same path. */
	sr = sm_sr_new("file", sr_uuid, dc, NULL, NULL, &e);
	e = sr->drv->sr_create(sr, 0);
	CHECK(!e, "create: %s", e ? e->params[1] : "");
	char other[37];
	hx_uuid(other);
	sm_sr *sr2 = sm_sr_new("ext", other, dc, NULL, NULL, &e);
	e = sr2->drv->sr_create(sr2, 0);
	CHECK(e && strcmp(e->code, "SR_BACKEND_FAILURE_8") == 0, "in use");
	e = xerr_free(e);
	CHECK(count_files() == 1, "only the marker");
	e = sr2->drv->sr_attach(sr2);
	CHECK(e != NULL, "attach of another SR's directory refused");
	e = xerr_free(e);
	sr2 = sm_sr_free(sr2);
	e = sr->drv->sr_attach(sr);
	CHECK(!e, "attach");
	OK("SR.create on a path holding an SR is refused (SR_BACKEND_FAILURE_8) and changes nothing");

	/* A VDI with a pattern. */
	char a[37], s1[37], c1[37], cp[37];
	hx_uuid(a);
	hx_uuid(s1);
	hx_uuid(c1);
	hx_uuid(cp);
	sm_vdi_params p = { .uuid = a, .virtual_size = 8 << 20 };
	sm_vdi_info info;
	e = sr->drv->vdi_create(sr, &p, &info);
	CHECK(!e && info.virtual_size == 8 << 20 && strcmp(info.format, "qcow2") == 0, "vdi create");
	sm_vdi_info_clear(&info);
	char *fa = path_of(sr, a);
	CHECK(qio(fa, "qcow2", "write -P 0x11 0 1M"), "write A");

	/* Snapshot, overwrite the VDI; the snapshot keeps the old bytes. */
	e = sr->drv->vdi_snapshot(sr, a, s1, NULL, NULL, &info);
	CHECK(!e && info.parent_location != NULL, "snapshot");
	sm_vdi_info_clear(&info);
	char *fs1 = path_of(sr, s1);
	CHECK(qio(fa, "qcow2", "write -P 0x22 0 512k"), "overwrite A");
	CHECK(qio(fa, "qcow2", "read -P 0x22 0 512k"), "A new");
	CHECK(qio(fa, "qcow2", "read -P 0x11 512k 512k"), "A old half");
	CHECK(qio(fs1, "qcow2", "read -P 0x11 0 1M"), "snapshot keeps");
	OK("snapshot: the VDI keeps its location, the snapshot keeps the old bytes");

	/* Clone the snapshot and diverge. */
	e = sr->drv->vdi_clone(sr, s1, c1, NULL, NULL, &info);
	CHECK(!e, "clone");
	sm_vdi_info_clear(&info);
	char *fc1 = path_of(sr, c1);
	CHECK(qio(fc1, "qcow2", "write -P 0x33 0 64k"), "write clone");
	CHECK(qio(fc1, "qcow2", "read -P 0x11 64k 960k"), "clone shares");
	CHECK(qio(fs1, "qcow2", "read -P 0x11 0 1M"), "snapshot unchanged by clone");
	free(fs1);
	fs1 = path_of(sr, s1);
	CHECK(qio(fs1, "qcow2", "read -P 0x11 0 1M"), "snapshot after clone");
	OK("clone diverges without touching its source");

	/* Copy (any source → a new VDI). */
	sm_open src;
	e = sr->drv->vdi_attach(sr, a, false, &src);
	sm_vdi_params cpp = { .uuid = cp, .virtual_size = 8 << 20 };
	e = sr->drv->vdi_copy(sr, &src, &cpp, NULL, &info);
	CHECK(!e && info.parent_location == NULL, "copy");
	sm_vdi_info_clear(&info);
	sm_open_clear(&src);
	char *fcp = path_of(sr, cp);
	CHECK(qio(fcp, "qcow2", "read -P 0x22 0 512k") && qio(fcp, "qcow2", "read -P 0x11 512k 512k"),
	      "copy data");
	OK("copy flattens the chain into a new VDI with the same data");

	/* Resize grows. */
	e = sr->drv->vdi_resize(sr, a, 16 << 20, NULL, &info);
	CHECK(!e && info.virtual_size == 16 << 20, "resize");
	sm_vdi_info_clear(&info);
	CHECK(qio(fa, "qcow2", "read -P 0x11 512k 512k"), "data after resize");
	OK("resize grows the VDI and keeps its data");

	/* Scan: 4 VDIs and the hidden bases. */
	sm_vdi_list l;
	e = sr->drv->sr_scan(sr, &l);
	size_t vis = 0, hid = 0;
	for (size_t i = 0; i < l.n; i++)
		l.v[i].hidden ? hid++ : vis++;
	CHECK(!e && vis == 4 && hid == 2, "scan %zu %zu", vis, hid);
	sm_vdi_list_clear(&l);

	/* Destroy the snapshot and the clone; GC coalesces back to one file. */
	e = sr->drv->vdi_destroy(sr, s1);
	CHECK(!e, "destroy s1");
	e = sr->drv->vdi_destroy(sr, c1);
	CHECK(!e, "destroy c1");
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
	CHECK(!e && vis == 2 && hid == 0, "after gc %zu %zu", vis, hid);
	sm_vdi_list_clear(&l);
	CHECK(qio(fa, "qcow2", "read -P 0x22 0 512k") && qio(fa, "qcow2", "read -P 0x11 512k 512k"),
	      "A intact after coalescing");
	OK("deleting snapshots and clones lets GC coalesce the chain; the data stays exact");

	/* Crash leftovers are removed at attach. */
	char *tmp = hx_asprintf("%s/.tmp-%s.qcow2", dir, s1);
	FILE *f = fopen(tmp, "w");
	if (f)
		fclose(f);
	sr->drv->sr_detach(sr);
	e = sr->drv->sr_attach(sr);
	CHECK(!e && access(tmp, F_OK) != 0, "tmp removed");
	free(tmp);
	OK("a half-built VDI (.tmp-*) left by a crash is removed when the SR is attached");

	/* Stat and destroy. */
	sm_sr_stat st;
	e = sr->drv->sr_stat(sr, &st);
	CHECK(!e && st.physical_size > 0 && st.physical_utilisation >= 0, "stat");
	e = sr->drv->sr_destroy(sr);
	CHECK(!e && access(dir, F_OK) != 0, "destroy removes all");
	sr->drv->sr_detach(sr);
	sm_sr_free(sr);
	OK("SR.destroy removes every image and the directory");

	free(fa);
	free(fs1);
	free(fc1);
	free(fcp);
	xv_free(dc);
	return check_done("sm-file");
}
