# SPDX-License-Identifier: Apache-2.0
"""
The lvm SR type on a real volume group: a loop device over a sparse file,
SR.create (pvcreate + vgcreate), VDI.create (lvcreate), import and export
of a pattern, snapshot (a thick copy), SR.destroy (vgremove + pvremove).

Skips (77) where the machine cannot run LVM: no device-mapper
(/dev/mapper/control), no LVM tools, no loop devices, or not root. This
is the case on the project's CI machines (no kernel modules); the
driver's logic is covered there by the sm-lvm unit test.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile

import harness

MiB = 1 << 20


def main(t, x):
    if os.geteuid() != 0:
        harness.skip("needs root (loop devices, LVM)")
    if not os.path.exists("/dev/mapper/control"):
        harness.skip("no device-mapper here (/dev/mapper/control is absent): LVs cannot be activated")
    if not shutil.which("pvcreate") or not shutil.which("losetup"):
        harness.skip("LVM tools (lvm2) or losetup are not installed")
    work = tempfile.mkdtemp(prefix="sm-lvm-")
    img = os.path.join(work, "pv.img")
    with open(img, "wb") as f:
        f.truncate(256 * MiB)
    r = subprocess.run(["losetup", "--find", "--show", img], capture_output=True, text=True)
    if r.returncode != 0:
        shutil.rmtree(work)
        harness.skip("no loop device available: %s" % r.stderr.strip())
    dev = r.stdout.strip()
    api = x.login()
    sid = api.session
    host = api.host.get_all()[0]
    try:
        sr = api.SR.create(host, {"device": dev}, "0", "lvm sr", "", "lvm", "user", False, {})
        t.ok(int(api.SR.get_physical_size(sr)) > 200 * MiB, "the VG's size")
        t.fails(lambda: api.SR.create(host, {"device": dev}, "0", "again", "", "lvm", "user", False, {}),
                "SR_BACKEND_FAILURE_8", "a device already in a VG")
        v = api.VDI.create({"SR": sr, "name_label": "lv", "name_description": "", "virtual_size": str(16 * MiB),
                            "type": "user", "sharable": False, "read_only": False, "other_config": {},
                            "sm_config": {}, "xenstore_data": {}, "tags": []})
        data = hashlib.sha256(b"lvm").digest() * (MiB // 32)
        t.eq(x.http("PUT", "/import_raw_vdi?session_id=%s&vdi=%s" % (sid, v), body=data).status, 200, "import")
        s = api.VDI.snapshot(v, {})
        for ref, what in ((v, "the VDI"), (s, "its snapshot")):
            body = x.http("GET", "/export_raw_vdi?session_id=%s&vdi=%s" % (sid, ref)).body
            t.eq(body[:MiB], data, "%s holds the data" % what)
        api.VDI.destroy(s)
        api.VDI.destroy(v)
        api.PBD.unplug(api.SR.get_PBDs(sr)[0])
        api.SR.destroy(sr)
        r = subprocess.run(["pvs", dev], capture_output=True)
        t.ok(r.returncode != 0, "the device is no PV any more")
    finally:
        subprocess.run(["losetup", "-d", dev])
        shutil.rmtree(work, ignore_errors=True)


harness.run(main)
