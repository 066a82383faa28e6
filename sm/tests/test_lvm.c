/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lvm driver's logic with a scripted command runner (the real LVM
 * needs device-mapper): the commands it issues, how it reads lvs/vgs and
 * pvs output, in-use detection and the failure shape. The system test
 * (a loop device with real LVM) lives in tests/integration and skips
 * where /dev/mapper/control is absent.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lvm.h"
#include "util.h"

static char log_buf[8192];
static const char *pvs_answer = "";
static int fail_cmd_once; /* nonzero: the next command of that index fails */
static int ncmd;

static int fake(void *ctx, const char *const *argv, char **out, char **err)
{
	size_t l = strlen(log_buf);
	for (int i = 0; argv[i]; i++)
		l += (size_t)snprintf(log_buf + l, sizeof(log_buf) - l, "%s%s", i ? " " : "", argv[i]);
	snprintf(log_buf + l, sizeof(log_buf) - l, "\n");
	ncmd++;
	*err = hx_strdup("");
	if (fail_cmd_once && ncmd == fail_cmd_once) {
		free(*err);
		*err = hx_strdup("  Device /dev/loop9 excluded by a filter.\n");
		*out = hx_strdup("");
		return 5;
	}
	if (!strcmp(argv[0], "pvs")) {
		*out = hx_strdup(pvs_answer);
		return *pvs_answer ? 0 : 5;
	}
	if (!strcmp(argv[0], "lvs")) {
		*out = hx_strdup("  LV-11111111-2222-3333-4444-555555555555 8388608 -wi-a-----\n"
		                 "  not-ours 4096 -wi-------\n"
		                 "  LV-66666666-2222-3333-4444-555555555555 4194304 -ri-------\n");
		return 0;
	}
	if (!strcmp(argv[0], "vgs")) {
		*out = hx_strdup("  1073741824 1060000000\n");
		return 0;
	}
	*out = hx_strdup("");
	return 0;
}

int main(void)
{
	sm_lvm_set_runner(fake, NULL);
	xv *dc = xv_struct();
	xv_struct_set(dc, "device", xv_str("/dev/loop9"));
	xerr *e = NULL;
	const char *sr_uuid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
	sm_sr *sr = sm_sr_new("lvm", sr_uuid, dc, NULL, NULL, &e);
	CHECK(sr && !e, "handle");

	e = sr->drv->sr_create(sr, 0);
	CHECK(!e, "create");
	CHECK(strstr(log_buf, "pvcreate -ff -y /dev/loop9\n") &&
	      strstr(log_buf, "vgcreate VG_XenStorage-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee /dev/loop9\n"),
	      "commands: %s", log_buf);
	OK("SR.create runs pvcreate and vgcreate VG_XenStorage-<uuid> on the device");

	log_buf[0] = 0;
	pvs_answer = "  VG_other\n";
	e = sr->drv->sr_create(sr, 0);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_8") && !strstr(log_buf, "pvcreate"),
	      "in use");
	e = xerr_free(e);
	pvs_answer = "";
	OK("a device already in a volume group is refused (SR_BACKEND_FAILURE_8), nothing run");

	xv *bad = xv_struct();
	xv_struct_set(bad, "device", xv_str("../etc/passwd"));
	e = sr->drv->check_config(bad);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_2"), "bad device");
	e = xerr_free(e);
	xv_free(bad);
	e = sr->drv->check_config(NULL);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_1"), "missing device");
	e = xerr_free(e);
	OK("a missing or non-/dev device is refused");

	e = sr->drv->sr_attach(sr);
	CHECK(!e, "attach");
	sm_vdi_list l;
	e = sr->drv->sr_scan(sr, &l);
	CHECK(!e && l.n == 2 && l.v[0].virtual_size == 8388608 && !l.v[0].read_only &&
	      l.v[1].read_only, "scan %zu", l.n);
	sm_vdi_list_clear(&l);
	OK("lvs output becomes VDIs (LV-<uuid> only), sizes in bytes, read-only from attr");

	sm_sr_stat st;
	e = sr->drv->sr_stat(sr, &st);
	CHECK(!e && st.physical_size == 1073741824 && st.free_space == 1060000000, "stat");

	log_buf[0] = 0;
	sm_vdi_params p = { .uuid = "11111111-2222-3333-4444-555555555555", .virtual_size = 8388608 };
	sm_vdi_info info;
	e = sr->drv->vdi_create(sr, &p, &info);
	CHECK(!e && info.virtual_size == 8388608, "vdi create");
	CHECK(strstr(log_buf, "lvcreate -y -n LV-11111111-2222-3333-4444-555555555555 -L 8388608b "
	                      "VG_XenStorage-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n") != NULL,
	      "%s", log_buf);
	sm_vdi_info_clear(&info);
	sm_open o;
	e = sr->drv->vdi_attach(sr, p.uuid, true, &o);
	CHECK(!e && !strcmp(o.protocol, "host_device") &&
	      !strcmp(o.filename, "/dev/VG_XenStorage-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/"
	                          "LV-11111111-2222-3333-4444-555555555555"), "open");
	sm_open_clear(&o);
	OK("VDI.create is lvcreate of LV-<uuid>; attach activates it and names the /dev path");

	sm_live live = { 0 };
	e = sr->drv->vdi_snapshot(sr, p.uuid, "66666666-2222-3333-4444-555555555555", NULL, &live, &info);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_22"), "live snapshot refused");
	e = xerr_free(e);
	OK("a snapshot of a VDI in use is refused (thick copies cannot be consistent)");

	ncmd = 0;
	fail_cmd_once = 1;
	e = sr->drv->vdi_destroy(sr, p.uuid);
	CHECK(e && !strcmp(e->code, "SR_BACKEND_FAILURE_91") && e->nparams == 3 &&
	      strstr(e->params[1], "excluded by a filter"), "failure shape");
	e = xerr_free(e);
	fail_cmd_once = 0;
	OK("an LVM failure is SR_BACKEND_FAILURE_91 [\"\", text with the tool's message, \"\"]");

	CHECK(!sm_lvm_available() || sm_lvm_available(), "probe runs");
	printf("device-mapper here: %s\n", sm_lvm_available() ? "yes" : "no");
	sr->drv->sr_detach(sr);
	sm_sr_free(sr);
	xv_free(dc);
	return check_done("sm-lvm");
}
