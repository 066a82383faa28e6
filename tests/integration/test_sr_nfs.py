# SPDX-License-Identifier: Apache-2.0
"""
The nfs SR type end to end, with no kernel NFS: nfs-ganesha on loopback
(scripts/nfs-server), xapid's SR/PBD/VDI/VBD handlers, the nfs driver
(libnfs for SR operations) and a real guest whose disks QEMU opens over
nfs://.

Bad device_config (no server, no serverpath, bad nfsversion, a path not
exported, a host that does not resolve) -> XAPI's SR_BACKEND_FAILURE_<n>
and nothing created (no SR/PBD record, nothing in the export); SR.probe
with only a server answers SR_BACKEND_FAILURE_101 carrying the export list
in params[2], which is how Xen Orchestra lists NFS exports; xe
sr-create type=nfs (shared, PBD plugged, <serverpath>/<sr-uuid>/); a
second SR on the same export; VDI.create (<sr-uuid>/<vdi-uuid>.qcow2);
PUT /import_raw_vdi into a VDI on the NFS SR (the guest's script disk);
SR.scan picks up a VDI made behind xapid's back and drops one removed;
a running guest gets a read-only disk the host filled (the guest reads
the host's bytes) and a writable one it fills (the host reads the guest's
bytes over NFS after shutdown); a live snapshot while it runs (QEMU opens
the new overlay over nfs://) holds the guest's bytes; a disk with a
snapshot chain hot-plugged into it is read by the guest (QEMU runs as
halyard-qemu and is given every layer); SR.probe;
VDI.destroy, PBD.unplug/plug, SR.destroy (the SR directory is gone, the
other SR stays);
an ISO SR on the same export (type=iso, location=server:/path) lists
the .iso files.

Skips (77) only when QEMU, its nfs:// driver (qemu-block-extra),
nfs-ganesha/rpcbind or the test guest are missing.
"""
import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree

import harness
from test_vm_lifecycle import (BOOT_TIMEOUT, Guest, find_xe, guest_files, kill_qemus,
                               qemus_of, wait_until)

MiB = 1 << 20


def load_nfs_server():
    path = os.path.join(harness.REPO, "scripts", "nfs-server")
    loader = importlib.machinery.SourceFileLoader("nfs_server", path)
    spec = importlib.util.spec_from_loader("nfs_server", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def qemu_io(url, cmd, read_only=False):
    args = ["qemu-io"] + (["-r"] if read_only else []) + ["-f", "qcow2", "-c", cmd, url]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return p.returncode == 0 and "fail" not in (p.stdout + p.stderr), (p.stdout + p.stderr).strip()


def main(t, x):
    if not shutil.which("qemu-system-x86_64") or not shutil.which("qemu-io"):
        harness.skip("qemu-system-x86_64 / qemu-io are not installed (qemu-system-x86, qemu-utils)")
    p = subprocess.run(["qemu-io", "-c", "help", "nfs://127.0.0.1/nonexistent"], capture_output=True, text=True)
    if "Unknown protocol" in p.stdout + p.stderr:
        harness.skip("QEMU has no nfs:// block driver (install qemu-block-extra)")
    nfs = load_nfs_server()
    miss = nfs.missing_tools()
    if miss:
        harness.skip("missing packages for the loopback NFS server: " + " ".join(miss))
    kernel, initrd = guest_files()
    tmp = tempfile.mkdtemp(prefix="it-nfs-")
    export = os.path.join(tmp, "export")
    os.makedirs(export)
    srv = nfs.NfsServer(export, os.path.join(tmp, "run"))
    srv.start()
    t.note("NFS server: %s (port %d)" % (srv.url, srv.nfs_port))
    try:
        body(t, x, srv, kernel, initrd)
    finally:
        kill_qemus(x.state_dir)
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def body(t, x, srv, kernel, initrd):
    api = x.login()
    host = api.host.get_all()[0]
    export = srv.export
    dc = {"server": srv.server, "serverpath": export}

    def srs_named(name):
        return api.SR.get_by_name_label(name)

    with t.section("bad device_config: XAPI's errors, nothing created"):
        pbds_before = len(api.PBD.get_all())
        cases = [
            ({"serverpath": export}, "SR_BACKEND_FAILURE_102", "no server"),
            ({"server": srv.server}, "SR_BACKEND_FAILURE_101", "no serverpath"),
            (dict(dc, nfsversion="2"), "SR_BACKEND_FAILURE_72", "nfsversion=2"),
            (dict(dc, serverpath="relative/path"), "SR_BACKEND_FAILURE_103", "a relative serverpath"),
            (dict(dc, serverpath=export + "/not-exported"), "SR_BACKEND_FAILURE_73", "a path not exported"),
            (dict(dc, server="no-such-host.invalid"), "SR_BACKEND_FAILURE_140", "a host that does not resolve"),
        ]
        for cfg, code, what in cases:
            e = t.fails(lambda: api.SR.create(host, cfg, "0", "bad-nfs", "", "nfs", "user", True, {}),
                        code, "SR.create with " + what)
            if e is not None:
                t.ok(len(e.params) == 3 and e.params[0] == "" and e.params[1], "XAPI's error shape",
                     e.params)
        t.eq(srs_named("bad-nfs"), [], "no SR record left")
        t.eq(len(api.PBD.get_all()), pbds_before, "no PBD record left")
        t.eq(os.listdir(export), [], "nothing created in the export")

    with t.section("SR.probe with only a server lists its exports (Xen Orchestra's probeNfs)"):
        e = t.fails(lambda: api.SR.probe(host, {"server": srv.server}, "nfs", {}), "SR_BACKEND_FAILURE_101",
                    "SR.probe without serverpath")
        paths = []
        if e is not None and len(e.params) == 3:
            try:
                root = xml.etree.ElementTree.fromstring(e.params[2])
                paths = [(x.findtext("Path", "").strip(), x.findtext("Accesslist", "").strip())
                         for x in root.iter("Export")]
            except xml.etree.ElementTree.ParseError:
                pass
        t.ok((export, "*") in paths, "params[2] is <nfs-exports> naming the export", e.params if e else None)
        t.eq(os.listdir(export), [], "probing creates nothing")

    with t.section("xe sr-create type=nfs"):
        xe = find_xe()
        sr = None
        if xe:
            env = dict(os.environ, XE_SOCKET=x.socket_path)
            p = subprocess.run([xe, "sr-create", "type=nfs", "name-label=nfs-sr", "shared=true",
                                "content-type=user", "device-config:server=" + srv.server,
                                "device-config:serverpath=" + export],
                               env=env, capture_output=True, text=True, timeout=120)
            if "not available yet" in p.stdout + p.stderr:
                t.skip("xe sr-create type=nfs", "this xe has no sr-create yet; SR.create over the API instead")
            else:
                t.eq(p.returncode, 0, "xe sr-create type=nfs", p.stderr)
            if p.returncode == 0:
                sr = api.SR.get_by_uuid(p.stdout.strip().splitlines()[-1])
        else:
            t.skip("xe sr-create", "no xe binary next to xapid (set XE=)")
        if sr is None:
            sr = api.SR.create(host, dc, "0", "nfs-sr", "", "nfs", "user", True, {})
        rec = api.SR.get_record(sr)
        t.eq(rec["type"], "nfs", "SR.type")
        t.eq(rec["shared"], True, "shared=true")
        t.eq(len(rec["PBDs"]), 1, "one PBD")
        pbd = rec["PBDs"][0]
        t.eq(api.PBD.get_currently_attached(pbd), True, "the PBD is plugged")
        t.eq(api.PBD.get_device_config(pbd).get("serverpath"), export, "PBD.device_config")
        t.ok(int(rec["physical_size"]) > 0, "physical_size from the export (%s)" % rec["physical_size"])
        sr_uuid = rec["uuid"]
        srdir = os.path.join(export, sr_uuid)
        t.ok(os.path.isdir(srdir), "<serverpath>/<sr-uuid>/ exists")
        sr2 = api.SR.create(host, dc, "0", "nfs-sr-2", "", "nfs", "user", True, {})
        t.ok(os.path.isdir(os.path.join(export, api.SR.get_uuid(sr2))), "a second SR on the same export")

    def vdi_rec(name, size):
        return {"name_label": name, "name_description": "", "SR": sr, "virtual_size": str(size),
                "type": "user", "sharable": False, "read_only": False, "other_config": {},
                "xenstore_data": {}, "sm_config": {}, "tags": []}

    def url(vdi):
        # VDI.location names the image (a live snapshot moves the VDI to a new top)
        return "nfs://%s%s/%s/%s.qcow2" % (srv.server, export, sr_uuid, api.VDI.get_location(vdi))

    with t.section("VDI.create, SR.scan"):
        va = api.VDI.create(vdi_rec("ro-disk", 16 * MiB))
        vb = api.VDI.create(vdi_rec("rw-disk", 16 * MiB))
        for v in (va, vb):
            t.ok(os.path.exists(os.path.join(srdir, api.VDI.get_uuid(v) + ".qcow2")),
                 "<sr-uuid>/<vdi-uuid>.qcow2 on the export")
        t.eq(api.VDI.get_virtual_size(va), str(16 * MiB), "virtual_size")
        ok, out = qemu_io(url(va), "write -P 0x11 0 1M")
        t.ok(ok, "the host fills ro-disk over nfs://", out)
        # A VDI made behind xapid's back appears on scan; one removed goes.
        import uuid as uuidlib
        extra = str(uuidlib.uuid4())
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2",
                        "nfs://%s%s/%s/%s.qcow2" % (srv.server, export, sr_uuid, extra), "4M"], check=True)
        api.SR.scan(sr)
        found = [v for v in api.SR.get_VDIs(sr) if api.VDI.get_uuid(v) == extra]
        t.eq(len(found), 1, "SR.scan finds a VDI made behind xapid's back")
        os.unlink(os.path.join(srdir, extra + ".qcow2"))
        api.SR.scan(sr)
        t.eq([v for v in api.SR.get_VDIs(sr) if api.VDI.get_uuid(v) == extra], [],
             "SR.scan drops a VDI removed behind xapid's back")
        t.ok(int(api.SR.get_physical_utilisation(sr)) > 0, "physical_utilisation after scan")

    with t.section("import over HTTP into the NFS SR (the guest's script disk)"):
        # The test guest runs the script on a disk starting "#HALYARD-SCRIPT":
        # for each 16 MiB disk, write 1 MiB of 0x5a if it is writable, then
        # print the md5 of its first MiB read with O_DIRECT.
        script = (b"#HALYARD-SCRIPT\n"
                  b"for b in /sys/block/vd*; do\n"
                  b"  n=${b##*/}; ro=$(cat $b/ro)\n"
                  b"  [ \"$(cat $b/size)\" = 32768 ] || continue\n"
                  b"  if [ \"$ro\" = 0 ]; then\n"
                  b"    dd if=/dev/zero bs=65536 count=16 2>/dev/null | tr '\\000' '\\132' |"
                  b" dd of=/dev/$n bs=65536 conv=fsync 2>/dev/null\n"
                  b"  fi\n"
                  b"  echo \"HALYARD-DISK-MD5 $n ro=$ro $(dd if=/dev/$n bs=65536 count=16 iflag=direct 2>/dev/null"
                  b" | md5sum | cut -d' ' -f1)\"\n"
                  b"done\n"
                  b"echo HALYARD-DISKS-DONE\n"
                  # then a hot-plugged 8 MiB disk: the md5 of its first MiB
                  b"H=\n"
                  b"while [ -z \"$H\" ]; do for b in /sys/block/vd*; do\n"
                  b"  [ \"$(cat $b/size)\" = 16384 ] && H=${b##*/}; done; sleep 0.2; done\n"
                  b"echo \"HALYARD-HOT-MD5 $(dd if=/dev/$H bs=65536 count=16 iflag=direct 2>/dev/null"
                  b" | md5sum | cut -d' ' -f1)\"\n")
        vs = api.VDI.create(vdi_rec("script", MiB))
        r = x.http("PUT", "/import_raw_vdi?session_id=%s&vdi=%s&format=raw" % (api.session, vs),
                   body=script + b"\0" * (MiB - len(script)), timeout=120)
        t.eq(r.status, 200, "PUT /import_raw_vdi into a VDI on the NFS SR", r.body[:300])
        ok, out = qemu_io(url(vs), "read -P 0x23 0 1", read_only=True)
        t.ok(ok, "the imported bytes are in the image on the export ('#')", out)

    with t.section("a running guest uses the NFS disks"):
        mem = str(192 * MiB)
        vm = api.VM.create(harness.vm_record(
            "nfs-guest", memory_static_max=mem, memory_dynamic_max=mem, memory_dynamic_min=mem,
            memory_static_min=mem, domain_type="pvh", PV_kernel=kernel, PV_ramdisk=initrd,
            PV_args="console=ttyS0 quiet", actions_after_shutdown="destroy",
            actions_after_reboot="restart", actions_after_crash="destroy"))

        def vbd(vdi, dev, mode):
            return api.VBD.create({"VM": vm, "VDI": vdi, "userdevice": dev, "bootable": False, "mode": mode,
                                   "type": "Disk", "empty": False, "other_config": {},
                                   "qos_algorithm_type": "", "qos_algorithm_params": {}})
        vbd(vb, "0", "RW")
        vbd(va, "1", "RO")
        vbd(vs, "2", "RO")
        api.VM.start(vm, False, False)
        g = Guest(x, api.VM.get_uuid(vm))
        want = {"ro=0": hashlib.md5(b"\x5a" * MiB).hexdigest(), "ro=1": hashlib.md5(b"\x11" * MiB).hexdigest()}
        seen = wait_until(lambda: "HALYARD-DISKS-DONE" in g.console(), BOOT_TIMEOUT)
        con = g.console()
        t.ok(seen, "the guest ran the script from its NFS disk", con[-1500:])
        got = {l.split()[2]: l.split()[3] for l in con.splitlines()
               if l.startswith("HALYARD-DISK-MD5") and len(l.split()) >= 4}
        t.eq(sorted(got), ["ro=0", "ro=1"], "the guest sees one writable and one read-only 16 MiB disk")
        t.eq(got.get("ro=0"), want["ro=0"], "the guest wrote and read back 1 MiB of 0x5a on the RW disk")
        t.eq(got.get("ro=1"), want["ro=1"], "the guest reads the bytes the host wrote on the RO disk")
        t.fails(lambda: api.VDI.destroy(vb), "VDI_IN_USE", "destroying a VDI a running VM uses")
        # Live snapshot: QEMU switches to a new overlay it opens over nfs://.
        snap = api.VDI.snapshot(vb, {})
        t.ok(os.path.exists(os.path.join(srdir, api.VDI.get_uuid(snap) + ".qcow2")),
             "a live snapshot of the running VM's disk is on the export")
        last = g.last_tick()
        t.ok(wait_until(lambda: g.last_tick() > last, BOOT_TIMEOUT), "the guest runs on after the snapshot")
        # VBD.plug of an nfs:// qcow2 with a chain below it: QEMU, no longer
        # root, gets every layer spelled out (the export refuses its own uid).
        vh = api.VDI.create(vdi_rec("hot-disk", 8 * MiB))
        ok, out = qemu_io(url(vh), "write -P 0x33 0 1M")
        t.ok(ok, "the host fills the disk to plug", out)
        hsnaps = [api.VDI.snapshot(vh, {}), api.VDI.snapshot(vh, {})]
        hv = api.VBD.create({"VM": vm, "VDI": vh, "userdevice": "3", "bootable": False, "mode": "RW",
                             "type": "Disk", "empty": False, "unpluggable": True, "other_config": {},
                             "qos_algorithm_type": "", "qos_algorithm_params": {}})
        api.VBD.plug(hv)
        line = wait_until(lambda: next((l for l in g.console().splitlines()
                                        if l.startswith("HALYARD-HOT-MD5")), None), BOOT_TIMEOUT)
        t.eq((line or "").split()[-1:], [hashlib.md5(b"\x33" * MiB).hexdigest()],
             "the guest reads the backing layers of a hot-plugged nfs:// disk", g.console()[-800:])
        api.VBD.unplug(hv)
        api.VBD.destroy(hv)
        for v in hsnaps + [vh]:
            api.VDI.destroy(v)
        api.VM.hard_shutdown(vm)
        ok, out = qemu_io(url(vb), "read -P 0x5a 0 1M", read_only=True)
        t.ok(ok, "the host reads the guest's bytes over nfs:// after shutdown", out)
        ok, out = qemu_io(url(va), "read -P 0x11 0 1M", read_only=True)
        t.ok(ok, "the RO disk is unchanged", out)
        for b in api.VM.get_VBDs(vm):
            api.VBD.destroy(b)
        api.VM.destroy(vm)
        t.eq(qemus_of(x.state_dir), [], "no QEMU left")

    with t.section("snapshot contents, destroy, unplug and replug, SR.probe, SR.destroy"):
        ok, out = qemu_io(url(snap), "read -P 0x5a 0 1M", read_only=True)
        t.ok(ok, "the live snapshot has the guest's bytes", out)
        ok, out = qemu_io(url(vb), "read -P 0x5a 0 1M", read_only=True)
        t.ok(ok, "the VDI keeps them after the snapshot", out)
        srlist = api.SR.probe(host, dc, "nfs", {})
        t.ok(sr_uuid in srlist and api.SR.get_uuid(sr2) in srlist, "SR.probe lists both SRs on the export",
             srlist)
        for v in (snap, va, vb, vs):
            api.VDI.destroy(v)
        api.PBD.unplug(pbd)
        t.eq(api.PBD.get_currently_attached(pbd), False, "PBD unplugged")
        api.PBD.plug(pbd)
        t.eq(api.PBD.get_currently_attached(pbd), True, "PBD plugged again (libnfs mount, no kernel)")
        api.PBD.unplug(pbd)
        api.SR.destroy(sr)
        t.eq(srs_named("nfs-sr"), [], "the SR record is gone")
        t.ok(not os.path.exists(srdir), "SR.destroy removed <serverpath>/<sr-uuid>/", os.listdir(export))
        t.ok(os.path.isdir(os.path.join(export, api.SR.get_uuid(sr2))), "the other SR is untouched")
        for p in api.SR.get_PBDs(sr2):
            api.PBD.unplug(p)
        api.SR.destroy(sr2)
        t.eq(os.listdir(export), [], "the export is empty again")

    with t.section("ISO SR on the NFS export (type=iso, location=server:/path)"):
        with open(os.path.join(export, "disc.iso"), "wb") as f:
            f.write(b"\x42" * 65536)
        with open(os.path.join(export, "readme.txt"), "w") as f:
            f.write("not an iso\n")
        t.fails(lambda: api.SR.create(host, {"location": srv.server + ":relative"}, "0", "bad-iso", "", "iso",
                                      "iso", True, {}), "SR_BACKEND_FAILURE_225", "a location not server:/path")
        iso = api.SR.create(host, {"location": "%s:%s" % (srv.server, export)}, "0", "nfs-iso", "", "iso",
                            "iso", True, {})
        api.SR.scan(iso)
        names = sorted(api.VDI.get_name_label(v) for v in api.SR.get_VDIs(iso))
        t.eq(names, ["disc.iso"], "the ISO SR lists the .iso files")
        for p in api.SR.get_PBDs(iso):
            api.PBD.unplug(p)
        api.SR.forget(iso)
        t.ok(os.path.exists(os.path.join(export, "disc.iso")), "forgetting the ISO SR leaves the files")


if __name__ == "__main__":
    harness.run(main)
