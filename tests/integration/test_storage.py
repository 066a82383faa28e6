# SPDX-License-Identifier: Apache-2.0
"""
Storage without a guest (issue 4): the default local SR, file and ISO SRs
(create, scan, probe, destroy), bad input (bad device_config, a path in
use: the right SR_BACKEND_FAILURE, nothing created), VDI create /
snapshot / clone / copy / resize (grow only) with exact data checked
through PUT /import_raw_vdi and GET /export_raw_vdi (raw, vhd, qcow2),
truncated and corrupt uploads (task failure, VDI unchanged, nothing left
behind), XO's empty probe PUT, GC coalescing after snapshots are deleted,
Async.VDI.copy with progress, kill -9 of xapid during a copy (no orphan
image after the restart), a full file system during an import (clean
failure; needs root for a small tmpfs), and the xe storage commands.
"""
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

import harness

MiB = 1 << 20


def pattern(seed, n):
    h = hashlib.sha256(seed.encode()).digest()
    return (h * (n // len(h) + 1))[:n]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def main(t, x):
    api = x.login()
    sid = api.session
    host = api.host.get_all()[0]
    pool = api.pool.get_all()[0]
    work = tempfile.mkdtemp(prefix="sm-it-")

    def vdi_new(sr, size, name="d", **extra):
        rec = {"SR": sr, "name_label": name, "name_description": "", "virtual_size": str(size),
               "type": "user", "sharable": False, "read_only": False, "other_config": {},
               "sm_config": {}, "xenstore_data": {}, "tags": []}
        rec.update(extra)
        return api.VDI.create(rec)

    def put(vdi, data, fmt="raw", task=None):
        q = "/import_raw_vdi/?session_id=%s&vdi=%s&format=%s" % (sid, vdi, fmt)
        if task:
            q += "&task_id=%s" % task
        return x.http("PUT", q, body=data, timeout=120)

    def get(vdi, fmt="raw"):
        r = x.http("GET", "/export_raw_vdi?session_id=%s&vdi=%s&format=%s" % (sid, vdi, fmt),
                   timeout=120)
        return r.status, r.body

    def sr_files(path):
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    try:
        with t.section("the default local SR"):
            dsr = api.pool.get_default_SR(pool)
            rec = api.SR.get_record(dsr)
            t.eq(rec["type"], "ext", "pool.default_SR is an ext SR")
            t.ok(int(rec["physical_size"]) > 0, "its physical_size is the file system's")
            pbds = rec["PBDs"]
            t.eq(len(pbds), 1, "one PBD")
            t.eq(api.PBD.get_currently_attached(pbds[0]), True, "plugged")
            t.ok(api.PBD.get_device_config(pbds[0])["location"].startswith(x.state_dir),
                 "under the state directory")
            types = api.SR.get_supported_types()
            t.ok(set(["ext", "file", "iso", "lvm"]) <= set(types), "supported types", types)
            sms = [api.SM.get_record(s) for s in api.SM.get_all()]
            t.ok(any(s["type"] == "file" and "VDI_SNAPSHOT" in s["capabilities"] for s in sms),
                 "SM records with capabilities")

        fdir = os.path.join(work, "file-sr")
        with t.section("SR.create: bad input and a path in use change nothing"):
            n_sr = len(api.SR.get_all())
            t.fails(lambda: api.SR.create(host, {}, "0", "x", "", "file", "user", False, {}),
                    "SR_BACKEND_FAILURE_1", "no device_config:location",
                    param_check=lambda p: len(p) == 3 and "location" in p[1])
            t.fails(lambda: api.SR.create(host, {"location": "rel/dir"}, "0", "x", "", "file",
                                          "user", False, {}),
                    "SR_BACKEND_FAILURE_2", "a relative location")
            t.fails(lambda: api.SR.create(host, {"location": fdir}, "0", "x", "", "nosuch",
                                          "user", False, {}),
                    "SR_UNKNOWN_DRIVER", "an unknown type", ["nosuch"])
            t.eq(len(api.SR.get_all()), n_sr, "no SR record made")
            t.ok(not os.path.exists(fdir), "no directory made")
            sr = api.SR.create(host, {"location": fdir}, "0", "file sr", "", "file", "user",
                               False, {})
            before = sr_files(fdir)
            t.fails(lambda: api.SR.create(host, {"location": fdir}, "0", "y", "", "file",
                                          "user", False, {}),
                    "SR_BACKEND_FAILURE_8", "a directory that holds an SR")
            t.eq(sr_files(fdir), before, "its files untouched")
            t.eq(len(api.SR.get_all()), n_sr + 1, "only the first SR exists")
            probe = api.SR.probe(host, {"location": fdir}, "file", {})
            t.ok(api.SR.get_uuid(sr) in probe, "SR.probe finds it", probe)
            ext = api.SR.probe_ext(host, {"location": fdir}, "file", {})
            t.eq(ext[0]["sr"]["uuid"], api.SR.get_uuid(sr), "SR.probe_ext finds it")

        with t.section("snapshot, overwrite, clone: exact data through import/export"):
            A, B, C = pattern("A", 4 * MiB), pattern("B", 2 * MiB), pattern("C", 1 * MiB)
            v = vdi_new(sr, 16 * MiB)
            t.eq(api.VDI.get_virtual_size(v), str(16 * MiB), "virtual_size")
            t.eq(put(v, A).status, 200, "import A")
            s1 = api.VDI.snapshot(v, {})
            t.eq(api.VDI.get_is_a_snapshot(s1), True, "is_a_snapshot")
            t.eq(api.VDI.get_snapshot_of(s1), v, "snapshot_of")
            t.ok(s1 in api.VDI.get_snapshots(v), "listed in VDI.snapshots")
            t.eq(put(v, B).status, 200, "import B over the VDI")
            st, got_v = get(v)
            st2, got_s = get(s1)
            t.eq((st, st2), (200, 200), "exports answer 200")
            t.eq(sha(got_v[:4 * MiB]), sha(B + A[2 * MiB:]), "the VDI has B then the rest of A")
            t.eq(sha(got_s[:4 * MiB]), sha(A), "the snapshot still has A")
            t.eq(got_s[4 * MiB:], bytes(12 * MiB), "and zeroes after")
            c = api.VDI.clone(s1, {})
            t.eq(put(c, C).status, 200, "import C into the clone")
            t.eq(sha(get(c)[1][:4 * MiB]), sha(C + A[1 * MiB:]), "the clone diverged")
            t.eq(sha(get(s1)[1][:4 * MiB]), sha(A), "its source snapshot did not")
            for fmt in ("vhd", "qcow2"):
                st, img = get(v, fmt)
                t.eq(st, 200, "export as %s" % fmt)
                w = vdi_new(sr, 16 * MiB)
                t.eq(put(w, img, fmt).status, 200, "import the %s back" % fmt)
                t.eq(sha(get(w)[1]), sha(got_v), "%s round trip is exact" % fmt)
                api.VDI.destroy(w)
            t.ok(int(api.SR.get_virtual_allocation(sr)) >= 3 * 16 * MiB, "virtual_allocation counts VDIs")

        with t.section("resize grows, never shrinks"):
            t.fails(lambda: api.VDI.resize(v, str(8 * MiB)), "SR_BACKEND_FAILURE_79",
                    "resize down refused")
            t.eq(api.VDI.get_virtual_size(v), str(16 * MiB), "size unchanged")
            api.VDI.resize(v, str(32 * MiB))
            t.eq(api.VDI.get_virtual_size(v), str(32 * MiB), "resized up")
            t.eq(sha(get(v)[1][:4 * MiB]), sha(B + A[2 * MiB:]), "data kept")

        with t.section("deleting snapshots lets GC coalesce; data exact"):
            api.VDI.destroy(c)
            api.VDI.destroy(s1)
            ok = harness.wait_until(lambda: not [f for f in sr_files(fdir) if ".base." in f], 30, 0.2)
            t.ok(ok, "the chain nodes are merged away", sr_files(fdir))
            t.eq(sha(get(v)[1][:4 * MiB]), sha(B + A[2 * MiB:]), "the VDI still has B + A")

        with t.section("uploads: truncated, corrupt, XO's empty probe"):
            before = get(v)[1]
            task = api.task.create("truncated", "")
            s = harness.tls_context().wrap_socket(socket.create_connection(("127.0.0.1", x.port)))
            s.sendall(("PUT /import_raw_vdi?session_id=%s&vdi=%s&format=raw&task_id=%s HTTP/1.1\r\n"
                       "Host: x\r\nContent-Length: %d\r\n\r\n" % (sid, v, task, 4 * MiB)).encode()
                      + b"\xaa" * MiB)
            s.close()
            harness.wait_until(lambda: api.task.get_status(task) != "pending", 30, 0.1)
            t.eq(api.task.get_status(task), "failure", "a truncated upload fails the task")
            t.eq(api.task.get_error_info(task)[0], "VDI_IO_ERROR", "with VDI_IO_ERROR")
            task = api.task.create("corrupt", "")
            bad = bytearray(get(v, "vhd")[1])
            bad[-100] ^= 0xFF
            r = put(v, bytes(bad), "vhd", task)
            t.eq(api.task.get_status(task), "failure", "a corrupt VHD fails the task")
            t.eq(get(v)[1], before, "the VDI is unchanged")
            local = os.path.join(x.state_dir, "sm", api.SR.get_uuid(sr))
            t.eq(os.listdir(local), [], "no staging file left")
            r = x.http("PUT", "/import_raw_vdi/?session_id=%s&vdi=%s&format=raw" % (sid, v), body=b"")
            t.eq(r.status, 200, "the empty probe PUT gets 200")
            t.eq(get(v)[1], before, "and imports nothing")
            r = x.http("PUT", "/import_raw_vdi/?vdi=%s&format=raw" % v, body=b"x")
            t.eq(r.status, 401, "no session: 401")

        with t.section("VDI.copy to another SR, Async with progress"):
            dsr = api.pool.get_default_SR(pool)
            task = api.Async.VDI.copy(v, dsr, "OpaqueRef:NULL", "OpaqueRef:NULL")
            harness.wait_until(lambda: api.task.get_status(task) != "pending", 60, 0.1)
            t.eq(api.task.get_status(task), "success", "Async.VDI.copy succeeds")
            t.eq(float(api.task.get_progress(task)), 1.0, "progress 1.0")
            res = api.task.get_result(task)
            cp = res.replace("<value>", "").replace("</value>", "")
            t.eq(api.VDI.get_SR(cp), dsr, "the copy is on the other SR")
            t.eq(sha(get(cp)[1]), sha(get(v)[1]), "the copy has the same data")
            api.VDI.destroy(cp)

        with t.section("VM.clone and VM.copy take their disks"):
            vm = api.VM.create(harness.vm_record("with-disk"))
            d0 = vdi_new(sr, 8 * MiB, "boot")
            t.eq(put(d0, pattern("vm", MiB)).status, 200, "a disk with data")
            api.VBD.create({"VM": vm, "VDI": d0, "userdevice": "0", "bootable": True, "mode": "RW",
                            "type": "Disk", "unpluggable": True, "empty": False, "other_config": {},
                            "qos_algorithm_type": "", "qos_algorithm_params": {}})
            api.VBD.create({"VM": vm, "VDI": "OpaqueRef:NULL", "userdevice": "3", "bootable": False,
                            "mode": "RO", "type": "CD", "unpluggable": True, "empty": True,
                            "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
            nets = api.network.get_all()
            vif = api.VIF.create({"VM": vm, "network": nets[0], "device": "0", "MAC": "",
                                  "MTU": "1500", "other_config": {"k": "v"},
                                  "qos_algorithm_type": "", "qos_algorithm_params": {},
                                  "locking_mode": "network_default", "ipv4_allowed": [],
                                  "ipv6_allowed": []}) if nets else None
            cl = api.VM.clone(vm, "the clone")
            if vif:
                src = api.VIF.get_record(vif)
                cvifs = [api.VIF.get_record(f) for f in api.VM.get_VIFs(cl)]
                t.eq([(f["device"], f["network"], f["other_config"]) for f in cvifs],
                     [("0", src["network"], {"k": "v"})], "the clone has a copy of the VIF")
                t.ok(cvifs[0]["MAC"] != src["MAC"] and cvifs[0]["MAC_autogenerated"],
                     "with a new MAC (XAPI keeps MACs only for snapshots)",
                     (cvifs[0]["MAC"], src["MAC"]))
            else:
                t.skip("VIFs of a clone", "no network on this host")
            cvbds = [api.VBD.get_record(b) for b in api.VM.get_VBDs(cl)]
            t.eq(sorted(b["type"] for b in cvbds), ["CD", "Disk"], "the clone has the disk and the CD drive")
            cd0 = [b["VDI"] for b in cvbds if b["type"] == "Disk"][0]
            t.eq([b["other_config"].get("owner") for b in cvbds if b["type"] == "Disk"], [""],
                 "the clone owns its disk (VBD other_config owner, as XAPI)")
            t.ok(cd0 != d0, "with a new VDI")
            t.eq(get(cd0)[1][:MiB], pattern("vm", MiB), "holding the same data")
            put(cd0, pattern("other", MiB))
            t.eq(get(d0)[1][:MiB], pattern("vm", MiB), "writing the clone's disk leaves the original")
            dsr = api.pool.get_default_SR(pool)
            cp = api.VM.copy(vm, "the copy", dsr)
            cpd = [api.VBD.get_VDI(b) for b in api.VM.get_VBDs(cp) if api.VBD.get_type(b) == "Disk"][0]
            t.eq(api.VDI.get_SR(cpd), dsr, "VM.copy puts the disk on the SR asked")
            t.eq(get(cpd)[1][:MiB], pattern("vm", MiB), "with the same data")
            t.eq(api.VM.get_power_state(cp), "Halted", "the copy is Halted")
            if vif:
                macs = [api.VIF.get_MAC(f) for f in api.VM.get_VIFs(cp)]
                t.ok(len(macs) == 1 and macs[0] not in (api.VIF.get_MAC(vif),),
                     "VM.copy copies the VIF with a new MAC too", macs)
            for v_ in (cl, cp, vm):
                vbds = api.VM.get_VBDs(v_)
                disks = [api.VBD.get_VDI(b) for b in vbds if api.VBD.get_type(b) == "Disk"]
                api.VM.destroy(v_)
                t.eq([b for b in vbds if b in api.VBD.get_all()], [],
                     "VM.destroy destroys the VM's VBDs")
                t.eq([d for d in disks if d not in api.VDI.get_all()], [], "but not its VDIs")
                for dv in disks:
                    api.VDI.destroy(dv)
            if vif:
                t.ok(not [f for f in api.VIF.get_all() if api.VIF.get_VM(f) in (cl, cp, vm)],
                     "and its VIFs")

        xe = os.environ.get("XE") or os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(harness.find_xapid()))), "xe", "xe")

        def run(*a, stdin=""):
            p = subprocess.run([xe] + list(a), env=dict(os.environ, XE_SOCKET=x.socket_path),
                               capture_output=True, text=True, timeout=120, input=stdin)
            return p.returncode, p.stdout.strip(), p.stderr.strip()

        with t.section("VM.snapshot: record, disks snapshotted, MACs kept, ignore_vdis; VM.revert"):
            vm = api.VM.create(harness.vm_record("to snapshot"))
            d0 = vdi_new(sr, 8 * MiB, "sd0")
            d1 = vdi_new(sr, 8 * MiB, "sd1")
            t.eq(put(d0, pattern("snap", MiB)).status, 200, "a disk with data")
            for i, d in enumerate((d0, d1)):
                api.VBD.create({"VM": vm, "VDI": d, "userdevice": str(i), "bootable": i == 0,
                                "mode": "RW", "type": "Disk", "unpluggable": True, "empty": False,
                                "other_config": {}, "qos_algorithm_type": "",
                                "qos_algorithm_params": {}})
            nets = api.network.get_all()
            vif = api.VIF.create({"VM": vm, "network": nets[0], "device": "0", "MAC": "",
                                  "MTU": "1500", "other_config": {},
                                  "qos_algorithm_type": "", "qos_algorithm_params": {},
                                  "locking_mode": "network_default", "ipv4_allowed": [],
                                  "ipv6_allowed": []}) if nets else None
            n_vdis = len(api.VDI.get_all())
            snap = api.VM.snapshot(vm, "snap 1", [d1])
            r = api.VM.get_record(snap)
            t.eq((r["is_a_snapshot"], r["is_a_template"], r["snapshot_of"], r["power_state"],
                  r["name_label"]), (True, True, vm, "Halted", "snap 1"),
                 "a Halted snapshot record of the VM (is_a_template too)")
            t.eq(r["snapshot_info"].get("power-state-at-snapshot"), "Halted",
                 "snapshot_info power-state-at-snapshot")
            t.ok(r["snapshot_time"] is not None, "snapshot_time set", r["snapshot_time"])
            t.eq(api.VM.get_snapshots(vm), [snap], "VM.snapshots lists it")
            t.eq(api.VM.get_parent(vm), snap, "the VM's parent is its latest snapshot")
            sv = [api.VBD.get_VDI(b) for b in r["VBDs"]]
            t.eq(len(sv), 1, "ignore_vdis left the second disk out", sv)
            t.eq(len(api.VDI.get_all()), n_vdis + 1, "one VDI snapshot made")
            t.eq((api.VDI.get_is_a_snapshot(sv[0]), api.VDI.get_snapshot_of(sv[0])), (True, d0),
                 "the disk is a VDI snapshot of the VM's disk")
            put(d0, pattern("after", MiB))
            t.eq(get(sv[0])[1][:MiB], pattern("snap", MiB), "it keeps the data of the moment")
            if vif:
                t.eq([api.VIF.get_MAC(f) for f in r["VIFs"]], [api.VIF.get_MAC(vif)],
                     "the snapshot's VIF keeps the MAC (as XAPI)")
            t.fails(lambda: api.VM.snapshot(snap, "of a snapshot", []), "VM_IS_TEMPLATE",
                    "a snapshot of a snapshot → VM_IS_TEMPLATE")
            t.fails(lambda: api.VM.snapshot("OpaqueRef:nope", "x", []), "HANDLE_INVALID",
                    "a bad VM ref → HANDLE_INVALID")

            # VM.revert: the snapshot's disks come back as clones, the
            # configuration as it was, the name stays.
            api.VM.set_VCPUs_max(vm, "2")
            api.VM.add_to_other_config(vm, "after-snap", "1")
            api.VM.set_name_label(vm, "renamed after the snapshot")
            t.fails(lambda: api.VM.revert(vm), "OPERATION_NOT_ALLOWED",
                    "VM.revert of a VM that is not a snapshot → OPERATION_NOT_ALLOWED")
            t.fails(lambda: api.VM.revert("OpaqueRef:nope"), "HANDLE_INVALID",
                    "VM.revert of a bad ref → HANDLE_INVALID")
            n_vdis = len(api.VDI.get_all())
            mac = api.VIF.get_MAC(vif) if vif else None
            rc, out, err = run("snapshot-revert", "snapshot-uuid=" + api.VM.get_uuid(snap))
            t.eq((rc, out), (0, ""), "xe snapshot-revert (VM.revert) succeeds silently", err)
            rv = api.VM.get_record(vm)
            disks = {api.VBD.get_userdevice(b): api.VBD.get_VDI(b) for b in rv["VBDs"]}
            t.eq(sorted(disks), ["0"], "after VM.revert the VM has the snapshot's disk set")
            t.ok(disks["0"] not in (d0, sv[0]), "a new VDI cloned from the snapshot's", disks)
            t.eq(get(disks["0"])[1][:MiB], pattern("snap", MiB),
                 "holding the data of the snapshot's moment (not the later write)")
            t.ok(d0 not in api.VDI.get_all(), "the disk it replaced is destroyed")
            t.ok(d1 in api.VDI.get_all(), "a disk left out of the snapshot is kept (detached)")
            t.eq(len(api.VDI.get_all()), n_vdis, "one VDI cloned, one destroyed")
            t.eq((rv["VCPUs_max"], "after-snap" in rv["other_config"], rv["name_label"],
                  rv["power_state"], rv["parent"], rv["is_a_snapshot"]),
                 ("1", False, "renamed after the snapshot", "Halted", snap, False),
                 "configuration from the snapshot; name, power state kept; parent = snapshot")
            t.ok(api.VDI.get_sm_config(sv[0]) is not None and sv[0] in api.VDI.get_all(),
                 "the snapshot keeps its own disk")
            if vif:
                t.eq([api.VIF.get_MAC(f) for f in rv["VIFs"]], [mac],
                     "the VIF comes back with its MAC")
                t.ok(vif not in api.VIF.get_all(), "as a new VIF record")
            d0 = disks["0"]
            sdisks = [api.VBD.get_VDI(b) for b in api.VM.get_VBDs(snap)]
            rc, out, err = run("snapshot-uninstall", "uuid=" + api.VM.get_uuid(vm), "force=true")
            t.ok(rc != 0 and "not a snapshot" in err and vm in api.VM.get_all(),
                 "xe snapshot-uninstall refuses a VM that is not a snapshot", err)
            rc, out, err = run("snapshot-uninstall", "snapshot-uuid=" + api.VM.get_uuid(snap),
                               "force=true")
            t.ok(rc == 0 and snap not in api.VM.get_all() and
                 not [d for d in sdisks if d in api.VDI.get_all()],
                 "xe snapshot-uninstall removes the snapshot and its disks", out + err)
            t.fails(lambda: api.VM.revert(snap), "HANDLE_INVALID",
                    "VM.revert of a destroyed snapshot → HANDLE_INVALID")
            api.VM.destroy(vm)
            api.VDI.destroy(d0)
            api.VDI.destroy(d1)

        with t.section("ISO SR: read-only VDIs, rescanned"):
            idir = os.path.join(work, "isos")
            os.makedirs(idir)
            for n in ("a.iso", "b.ISO", "notes.txt"):
                with open(os.path.join(idir, n), "wb") as f:
                    f.write(pattern(n, 64 * 1024))
            isr = api.SR.create(host, {"location": idir}, "0", "isos", "", "iso", "iso", False, {})
            names = sorted(api.VDI.get_name_label(v2) for v2 in api.SR.get_VDIs(isr))
            t.eq(names, ["a.iso", "b.ISO"], "one VDI per .iso")
            t.ok(all(api.VDI.get_read_only(v2) for v2 in api.SR.get_VDIs(isr)), "read-only")
            shutil.copy(os.path.join(idir, "a.iso"), os.path.join(idir, "c.iso"))
            os.unlink(os.path.join(idir, "b.ISO"))
            api.SR.scan(isr)
            names = sorted(api.VDI.get_name_label(v2) for v2 in api.SR.get_VDIs(isr))
            t.eq(names, ["a.iso", "c.iso"], "scan picks up the change")
            iv = [v2 for v2 in api.SR.get_VDIs(isr) if api.VDI.get_name_label(v2) == "a.iso"][0]
            t.eq(get(iv)[1], pattern("a.iso", 64 * 1024), "export of an ISO is its bytes")
            t.fails(lambda: vdi_new(isr, MiB), "SR_OPERATION_NOT_SUPPORTED", "no VDI.create on ISO SRs")
            pbd = api.SR.get_PBDs(isr)[0]
            t.fails(lambda: api.SR.destroy(isr), "SR_HAS_PBD", "destroy while plugged")
            api.PBD.unplug(pbd)
            api.SR.destroy(isr)
            t.ok(os.path.exists(os.path.join(idir, "a.iso")), "the ISO files are the user's: kept")

        with t.section("disk full during an import"):
            if os.geteuid() != 0:
                t.skip("disk full", "needs root for a tmpfs mount")
            else:
                small = os.path.join(work, "small")
                os.makedirs(small)
                mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "hxsmfull", small],
                                         capture_output=True).returncode == 0
                if not mounted:
                    t.skip("disk full", "cannot mount a tmpfs here")
                else:
                    try:
                        ssr = api.SR.create(host, {"location": small + "/sr"}, "0", "small", "", "file",
                                            "user", False, {})
                        sv = vdi_new(ssr, 64 * MiB)
                        task = api.task.create("full", "")
                        put(sv, pattern("F", 16 * MiB), "raw", task)
                        harness.wait_until(lambda: api.task.get_status(task) != "pending", 60, 0.1)
                        t.eq(api.task.get_status(task), "failure", "the import fails cleanly")
                        t.ok(api.task.get_error_info(task)[0].startswith("SR_BACKEND_FAILURE_"),
                             "an SR backend failure", api.task.get_error_info(task))
                        t.eq([f for f in os.listdir(small + "/sr") if f.startswith(".tmp")], [],
                             "no temporary file left")
                        t.ok(x.alive(), "xapid still running")
                        api.VDI.destroy(sv)
                        api.PBD.unplug(api.SR.get_PBDs(ssr)[0])
                        api.SR.destroy(ssr)
                    finally:
                        subprocess.run(["umount", "-l", small])

        with t.section("kill -9 of xapid during VDI.copy: no orphan after restart"):
            big = vdi_new(sr, 256 * MiB)
            t.eq(put(big, pattern("big", 192 * MiB)).status, 200, "a 192 MiB import")
            dsr = api.pool.get_default_SR(pool)
            ddir = api.PBD.get_device_config(api.SR.get_PBDs(dsr)[0])["location"]
            n_vdi = len(api.SR.get_VDIs(dsr))
            task = api.Async.VDI.copy(big, dsr, "OpaqueRef:NULL", "OpaqueRef:NULL")
            task_uuid = api.task.get_uuid(task)
            seen = harness.wait_until(lambda: [f for f in sr_files(ddir) if f.startswith(".tmp-")], 30, 0.005)
            t.ok(seen, "the copy is under way (a .tmp- image exists)")
            t.eq(api.task.get_status(task), "pending", "the task is pending when xapid dies")
            x.kill9()
            x.start()
            api = x.login()
            sid = api.session
            t.eq([f for f in sr_files(ddir) if f.startswith(".tmp-")], [], "no orphan image after restart")
            t.eq(len(api.SR.get_VDIs(dsr)), n_vdi, "no VDI record made")
            t.ok(task in api.task.get_all(), "the interrupted task is still visible after the restart")
            t.eq(api.task.get_by_uuid(task_uuid), task, "found by its uuid too")
            rec = api.task.get_record(task)
            t.eq(rec["status"], "failure", "the interrupted task ended as failure")
            t.eq(rec["error_info"], ["INTERNAL_ERROR", "xapid restarted while the task was running"],
                 "with XAPI's INTERNAL_ERROR and why")
            t.ok(rec["finished"] is not None and rec["allowed_operations"] == [],
                 "finished, nothing allowed any more", (rec["finished"], rec["allowed_operations"]))
            t.eq(api.VDI.get_current_operations(big), {}, "the source VDI has no operation left")
            api.task.destroy(task)
            t.ok(task not in api.task.get_all(), "task.destroy collects it like any finished task")
            api.VDI.destroy(big)

        with t.section("xe storage commands"):
            if not os.access(xe, os.X_OK):
                t.skip("xe", "no xe binary")
            else:
                xdir = os.path.join(work, "xe-sr")
                rc, out, err = run("sr-create", "name-label=xe sr", "type=file",
                                   "device-config:location=" + xdir)
                t.eq(rc, 0, "xe sr-create", err)
                sru = out
                rc, out, err = run("vdi-create", "sr-uuid=" + sru, "name-label=xd", "virtual-size=8MiB")
                t.eq(rc, 0, "xe vdi-create", err)
                vu = out
                img = os.path.join(work, "img.raw")
                with open(img, "wb") as f:
                    f.write(pattern("xe", 2 * MiB))
                rc, out, err = run("vdi-import", "uuid=" + vu, "filename=" + img)
                t.eq(rc, 0, "xe vdi-import", err)
                rc, out, err = run("vdi-snapshot", "uuid=" + vu)
                t.eq(rc, 0, "xe vdi-snapshot", err)
                su = out
                rc, out, err = run("vdi-resize", "uuid=" + vu, "disk-size=16MiB")
                t.eq(rc, 0, "xe vdi-resize", err)
                rc, out, err = run("vdi-resize", "uuid=" + vu, "disk-size=1MiB")
                t.ok(rc != 0 and "SR_BACKEND_FAILURE_79" in err, "xe vdi-resize down refused", err)
                exp = os.path.join(work, "exp.raw")
                rc, out, err = run("vdi-export", "uuid=" + su, "filename=" + exp)
                t.eq(rc, 0, "xe vdi-export", err)
                with open(exp, "rb") as f:
                    t.eq(sha(f.read()[:2 * MiB]), sha(pattern("xe", 2 * MiB)), "exported snapshot data")
                rc, out, err = run("vdi-list", "sr-uuid=" + sru, "--minimal")
                t.eq(sorted(out.split(",")), sorted([vu, su]), "xe vdi-list sr-uuid=", out)
                rc, out, err = run("sr-param-get", "uuid=" + sru, "param-name=type")
                t.eq(out, "file", "xe sr-param-get type")
                rc, out, err = run("vm-install", "template=Other install media",
                                   "new-name-label=prov", "sr-name-label=xe sr")
                t.eq(rc, 0, "xe vm-install sr-name-label= provisions the template's disks", err)
                pvm = api.VM.get_by_uuid(out.splitlines()[-1]) if rc == 0 else None
                if pvm:
                    vbds = api.VM.get_VBDs(pvm)
                    t.eq(len(vbds), 1, "one disk VBD")
                    pv = api.VBD.get_VDI(vbds[0])
                    t.eq((api.VDI.get_SR(pv), api.VDI.get_virtual_size(pv)),
                         (api.SR.get_by_uuid(sru), str(8 << 30)), "an 8 GiB VDI on the named SR")
                    t.ok("disks" not in api.VM.get_other_config(pvm), "other_config:disks consumed")
                    rc, out, err = run("vm-disk-list", "vm=prov")
                    t.ok(rc == 0 and api.VDI.get_uuid(pv) in out and "vm-name-label ( RO): prov" in out,
                         "xe vm-disk-list (VDI and the VM's name)", out + err)
                    pvbd = vbds[0]
                    shared = api.VM.create(harness.vm_record("shares prov's disk"))
                    sh_vbd = api.VBD.create({"VM": shared, "VDI": pv, "userdevice": "1",
                                             "bootable": False, "mode": "RO", "type": "Disk",
                                             "unpluggable": True, "empty": False,
                                             "other_config": {}, "qos_algorithm_type": "",
                                             "qos_algorithm_params": {}})
                    rc, out, err = run("vm-uninstall", "vm=prov", stdin="yes\n")
                    t.ok(rc == 0 and api.VDI.get_uuid(pv) not in out,
                         "xe vm-uninstall keeps a disk another VM uses", out + err)
                    t.ok(pv in api.VDI.get_all() and pvbd not in api.VBD.get_all(),
                         "that VDI stays; the VM's VBD went", pvbd)
                    api.VM.destroy(shared)
                    t.ok(sh_vbd not in api.VBD.get_all(), "VM.destroy took the other VM's VBD too")
                    rc, out, err = run("vm-install", "template=Other install media",
                                       "new-name-label=prov2", "sr-name-label=xe sr")
                    pvm = api.VM.get_by_uuid(out.splitlines()[-1])
                    pv = api.VBD.get_VDI(api.VM.get_VBDs(pvm)[0])
                    rc, out, err = run("vm-uninstall", "vm=prov2", stdin="no\n")
                    t.ok(rc != 0 and "VDI: " + api.VDI.get_uuid(pv) in out and
                         "Type 'yes' to continue" in out,
                         "xe vm-uninstall lists the VM's disk and asks; 'no' aborts", out + err)
                    t.ok(pvm in api.VM.get_all() and pv in api.VDI.get_all(), "nothing destroyed")
                    rc, out, err = run("vm-snapshot", "vm=prov2", "new-name-label=xs")
                    t.ok(rc == 0 and api.VM.get_is_a_snapshot(api.VM.get_by_uuid(out)),
                         "xe vm-snapshot prints the snapshot's uuid", out + err)
                    if rc == 0:
                        xs = api.VM.get_by_uuid(out)
                        xsd = [api.VBD.get_VDI(b) for b in api.VM.get_VBDs(xs)]
                        t.eq(len(xsd), 1, "with a snapshot of the disk")
                        api.VM.destroy(xs)
                        for d in xsd:
                            api.VDI.destroy(d)
                    rc, out, err = run("vm-uninstall", "vm=prov2", "force=true")
                    t.ok(rc == 0 and "All objects destroyed" in out, "xe vm-uninstall force=true",
                         out + err)
                    t.ok(pvm not in api.VM.get_all() and pv not in api.VDI.get_all(),
                         "the VM and its disk are gone")
                rc, out, err = run("vdi-destroy", "uuid=" + su)
                t.eq(rc, 0, "xe vdi-destroy", err)
                rc, out, err = run("vdi-destroy", "uuid=" + vu)
                rc, out, err = run("pbd-list", "sr-uuid=" + sru, "--minimal")
                rc, out2, err = run("pbd-unplug", "uuid=" + out)
                t.eq(rc, 0, "xe pbd-unplug", err)
                rc, out, err = run("sr-destroy", "uuid=" + sru)
                t.eq(rc, 0, "xe sr-destroy", err)
                t.ok(not os.path.exists(xdir), "the SR directory is gone")

        with t.section("SR.destroy wipes a file SR"):
            pbd = api.SR.get_PBDs(sr)[0]
            api.PBD.unplug(pbd)
            t.fails(lambda: vdi_new(sr, MiB), "SR_NOT_ATTACHED", "VDI.create on an unplugged SR")
            api.PBD.plug(pbd)
            t.eq(api.PBD.get_currently_attached(pbd), True, "plugged again")
            api.PBD.unplug(pbd)
            api.SR.destroy(sr)
            t.ok(not os.path.exists(fdir), "its directory is gone")
            t.ok(v not in api.VDI.get_all(), "its VDI records are gone")
    finally:
        shutil.rmtree(work, ignore_errors=True)


harness.run(main)
