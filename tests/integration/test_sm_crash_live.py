# SPDX-License-Identifier: Apache-2.0
"""
Crash safety of the live storage steps (issue 4): a real guest (one boot)
keeps writing numbered records to its disk while xapid is killed with
SIGKILL at named points (HALYARD_CRASH_CTL: xapid kills itself when the
control file names the point it reaches; sm_crash_point) of
- a live VDI.snapshot: after the intent, before the hard link; after the
  new top is made, before QEMU gets it (blockdev-snapshot); after QEMU
  switched to it, before the old name goes; after the driver returned,
  before the database transaction; after that transaction, before the
  intent is removed;
- the GC's live merge (block-stream through QEMU): with the job waiting
  at "pending" (data copied, header not written); after job-finalize,
  before the merged base is removed; after the removal, before the
  intent goes.
The same merge also *fails* (no kill; `fail:<point>` in the control
file, sm_fail_point) right after block-stream started, at "pending" and
after job-finalize, leaving its job in QEMU as a broken connection would:
xapid and the VM run on, the very next live snapshot works and holds
every record, and the GC retries by itself until the chain is merged.
An export of the running VDI right after a live snapshot (a cluster QEMU
allocated but only holds the L2 entry of in its cache) holds every
record, and so does the VDI after a hard shutdown at such a moment.
Last, the VM boots again and VM.revert brings the running VM back to a
VM snapshot taken while it wrote: Halted, its disk a clone holding
exactly the records of the snapshot's moment.
QEMU keeps running across the kill; xapid restarts, re-attaches the VM
and recovers. After each: the VM still runs and writes; the VDI record
names the image QEMU writes (its file exists); the interrupted snapshot
task ended as failure with INTERNAL_ERROR; only a snapshot whose record
was committed exists, and it holds exactly the records of its moment; a
new snapshot works; once snapshots are deleted the GC merges the chain
and the SR directory holds only the VDIs' own images (no .intent-,
.tmp-, orphan or leftover .base). After the VM stops, the exported VDI
holds every record the guest wrote, in order.
Skips (77) only when qemu-system-x86_64 is missing or the guest cannot be
built (no Debian mirror reachable).
"""
import hashlib
import os
import shutil
import tempfile

import harness

MiB = 1 << 20
BOOT_TIMEOUT = 180
MAXREC = 20000

SCRIPT = r"""#HALYARD-SCRIPT
find_disk() { for b in /sys/block/vd*; do [ "$(cat $b/size)" = "$1" ] && { echo /dev/${b##*/}; return; }; done; }
D=$(find_disk 131072)
echo "DISK-READY $D"
i=0
while [ $i -lt %d ]; do
	printf '%%08d' $i | dd of=$D bs=512 seek=$((8192 + i)) conv=notrunc 2>/dev/null
	sync
	echo "WROTE $i"
	i=$((i + 1))
	sleep 0.1
done
""" % MAXREC


def records_in(img):
    """Record numbers at sectors 8192.. up to the first empty one; -1 - i
    for garbage (never expected)."""
    out = []
    for i in range(MAXREC):
        rec = img[(8192 + i) * 512:(8192 + i) * 512 + 8]
        if rec == b"%08d" % i:
            out.append(i)
        elif rec == bytes(8) or len(rec) < 8:
            break
        else:
            out.append(-1 - i)
    return out


def main(t, x):
    kernel, initrd = harness.guest_files()
    work = tempfile.mkdtemp(prefix="sm-crash-live-")
    ctl = os.path.join(work, "ctl")
    os.environ["HALYARD_CRASH_CTL"] = ctl
    x.start()
    t.ok(True, "xapid runs with the crash-point control file %s" % ctl)
    st = {"api": x.login()}

    def api():
        return st["api"]

    def get(vdi):
        r = x.http("GET", "/export_raw_vdi?session_id=%s&vdi=%s&format=raw" % (api().session, vdi),
                   timeout=120)
        return r.body if r.status == 200 else b""

    def put(vdi, data):
        return x.http("PUT", "/import_raw_vdi?session_id=%s&vdi=%s&format=raw" % (api().session, vdi),
                      body=data, timeout=120).status

    pool = api().pool.get_all()[0]
    sr = api().pool.get_default_SR(pool)
    srdir = api().PBD.get_device_config(api().SR.get_PBDs(sr)[0])["location"]

    def vdi_new(size, name, **extra):
        rec = {"SR": sr, "name_label": name, "name_description": "", "virtual_size": str(size),
               "type": "user", "sharable": False, "read_only": False, "other_config": {},
               "sm_config": {}, "xenstore_data": {}, "tags": []}
        rec.update(extra)
        return api().VDI.create(rec)

    def vbd(vm, vdi, dev, mode="RW"):
        return api().VBD.create({"VM": vm, "VDI": vdi, "userdevice": dev, "bootable": dev == "0",
                                 "mode": mode, "type": "Disk", "unpluggable": True, "empty": False,
                                 "other_config": {}, "qos_algorithm_type": "",
                                 "qos_algorithm_params": {}})

    vm = api().VM.create(harness.vm_record(
        "sm-crash-live", memory_static_max=str(192 * MiB), memory_dynamic_max=str(192 * MiB),
        memory_dynamic_min=str(192 * MiB), memory_static_min=str(192 * MiB), domain_type="pvh",
        PV_kernel=kernel, PV_ramdisk=initrd, PV_args="console=ttyS0 quiet",
        actions_after_shutdown="destroy", actions_after_reboot="restart",
        actions_after_crash="destroy"))
    console = os.path.join(x.state_dir, "vms", api().VM.get_uuid(vm), "console.log")

    def con():
        try:
            with open(console, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def last_wrote():
        n = -1
        for l in con().splitlines():
            if l.startswith("WROTE "):
                try:
                    n = max(n, int(l.split()[1]))
                except ValueError:
                    pass
        return n

    def wait_more(n, k=3, timeout=60):
        """Waits until the guest wrote k records after number n."""
        return harness.wait_until(lambda: last_wrote() >= n + k, timeout, 0.05)

    def arm(point):
        with open(ctl, "w") as f:
            f.write(point + "\n")

    def restart():
        died = harness.wait_until(lambda: not x.alive(), 60, 0.05)
        if os.path.exists(ctl):
            os.unlink(ctl)
        x.kill9()
        x.start()
        st["api"] = x.login()
        return died

    def image_of(v):
        loc = api().VDI.get_location(v)
        return [n for n in os.listdir(srdir) if n in (loc + ".qcow2", loc + ".raw")]

    def own_files():
        """The SR dir minus the marker and the images of VDI records."""
        locs = {api().VDI.get_location(v) for v in api().SR.get_VDIs(sr)}
        return sorted(n for n in os.listdir(srdir) if n != ".halyard-sr" and not any(
            n in (l + ".qcow2", l + ".raw") for l in locs))

    def contiguous(recs, at_least):
        return recs == list(range(len(recs))) and len(recs) >= at_least

    data = vdi_new(64 * MiB, "data")
    scr = vdi_new(MiB, "script", sm_config={"type": "raw"})
    try:
        with t.section("a guest writes records to its disk"):
            t.eq(put(scr, SCRIPT.encode()), 200, "import the guest script")
            vbd(vm, data, "0")
            vbd(vm, scr, "1", mode="RO")
            api().VM.start(vm, False, False)
            t.eq(api().VM.get_power_state(vm), "Running", "the VM runs")
            ok = harness.wait_until(lambda: last_wrote() >= 3, BOOT_TIMEOUT, 0.1)
            t.ok(ok, "the guest writes records", con()[-1500:])
            if not ok:
                return
        base_vdis = sorted([data, scr])

        snap_points = [
            ("live-snap-before-link", False, "intent written, nothing else"),
            ("live-snap-before-qmp", False, "base linked, new top made, QEMU not switched"),
            ("live-snap-after-qmp", False, "QEMU writes the new top, old name still there"),
            ("live-snap-before-db", False, "snapshot made, nothing recorded"),
            ("live-snap-before-settle", True, "move and snapshot recorded, intent not removed"),
        ]
        for point, recorded, what in snap_points:
            with t.section("kill at %s (%s)" % (point, what)):
                n0 = last_wrote()
                arm(point)
                task = api().Async.VDI.snapshot(data, {})
                t.ok(restart(), "xapid killed itself at the point and was restarted")
                t.eq(api().VM.get_power_state(vm), "Running", "the VM kept running")
                rec = api().task.get_record(task)
                t.eq((rec["status"], rec["error_info"][:1]), ("failure", ["INTERNAL_ERROR"]),
                     "the interrupted snapshot task ended as failure")
                ok = harness.wait_until(
                    lambda: not [n for n in os.listdir(srdir) if n.startswith(".intent-")], 60, 0.1)
                t.ok(ok, "the interrupted snapshot was recovered (no intent left)",
                     sorted(os.listdir(srdir)))
                t.ok(image_of(data), "the VDI record names an existing image",
                     [api().VDI.get_location(data), sorted(os.listdir(srdir))])
                snaps = [v for v in api().SR.get_VDIs(sr) if v not in base_vdis]
                t.eq(len(snaps), 1 if recorded else 0,
                     "a snapshot record exists exactly when it was committed", snaps)
                for s in snaps:
                    t.eq(api().VDI.get_snapshot_of(s), data, "it is a snapshot of the VDI")
                    recs = records_in(get(s))
                    t.ok(contiguous(recs, n0 + 1), "it holds records 0..k in order, k >= %d" % n0,
                         recs[-3:] if recs == list(range(len(recs))) else recs)
                n1 = last_wrote()
                t.ok(wait_more(n1), "the guest writes on after the restart")
                s = api().VDI.snapshot(data, {})
                recs = records_in(get(s))
                t.ok(contiguous(recs, n1 + 1), "a new live snapshot holds records 0..k, k >= %d" % n1,
                     recs[-3:] if recs == list(range(len(recs))) else recs)
                for v in snaps + [s]:
                    api().VDI.destroy(v)
                ok = harness.wait_until(lambda: own_files() == [], 120, 0.2)
                t.ok(ok, "GC merged the chain; no orphan, .tmp-, .intent- or .base file",
                     own_files())

        merge_points = [
            ("live-merge-at-pending", "block-stream job pending: data copied, header old"),
            ("live-merge-before-unlink", "job finalized, merged base not removed"),
            ("live-merge-before-intent-removal", "base removed, intent not"),
        ]
        for point, what in merge_points:
            with t.section("kill at %s (%s)" % (point, what)):
                s = api().VDI.snapshot(data, {})
                n0 = last_wrote()
                t.ok(wait_more(n0), "the guest writes after the snapshot")
                arm(point)
                api().VDI.destroy(s)
                t.ok(restart(), "xapid killed itself in the GC's live merge and was restarted")
                t.eq(api().VM.get_power_state(vm), "Running", "the VM kept running")
                t.eq(sorted(api().SR.get_VDIs(sr)), base_vdis, "the snapshot record is gone")
                ok = harness.wait_until(lambda: own_files() == [], 120, 0.2)
                t.ok(ok, "GC finished the merge; no orphan, .tmp-, .intent- or .base file",
                     own_files())
                n1 = last_wrote()
                t.ok(wait_more(n1), "the guest writes on after the restart")
                s = api().VDI.snapshot(data, {})
                recs = records_in(get(s))
                t.ok(contiguous(recs, n1 + 1), "a live snapshot holds records 0..k, k >= %d" % n1,
                     recs[-3:] if recs == list(range(len(recs))) else recs)
                api().VDI.destroy(s)
                ok = harness.wait_until(lambda: own_files() == [], 120, 0.2)
                t.ok(ok, "and GC merges again", own_files())

        fail_points = [
            ("live-merge-after-start", "block-stream started, the job runs on in QEMU"),
            ("live-merge-at-pending", "job left pending: data copied, header old"),
            ("live-merge-after-finalize", "header rewritten, the base not removed"),
        ]
        for point, what in fail_points:
            with t.section("the GC's live merge fails at %s (%s)" % (point, what)):
                s = api().VDI.snapshot(data, {})
                n0 = last_wrote()
                t.ok(wait_more(n0), "the guest writes after the snapshot")
                arm("fail:" + point)
                api().VDI.destroy(s)
                t.ok(harness.wait_until(lambda: not os.path.exists(ctl), 60, 0.05),
                     "the merge reached the point and failed there")
                t.ok(x.alive(), "xapid runs on")
                t.eq(api().VM.get_power_state(vm), "Running", "the VM kept running")
                n1 = last_wrote()
                t.ok(wait_more(n1), "the guest writes on")
                s = api().VDI.snapshot(data, {})
                recs = records_in(get(s))
                t.ok(contiguous(recs, n1 + 1),
                     "a live snapshot right after the failure holds records 0..k, k >= %d" % n1,
                     recs[-3:] if recs == list(range(len(recs))) else recs)
                api().VDI.destroy(s)
                ok = harness.wait_until(lambda: own_files() == [], 120, 0.2)
                t.ok(ok, "the GC retries by itself and merges the chain; no leftover file",
                     own_files())
                t.ok(image_of(data), "the VDI record names an existing image",
                     [api().VDI.get_location(data), sorted(os.listdir(srdir))])

        with t.section("export of the VDI while the guest writes it"):
            # A live snapshot gives the VDI a new, empty top: the guest's
            # next write allocates a cluster there whose L2 entry QEMU
            # caches until something flushes it.
            s = api().VDI.snapshot(data, {})
            n0 = last_wrote()
            t.ok(wait_more(n0), "the guest writes after a live snapshot")
            n1 = last_wrote()
            recs = records_in(get(data))
            t.ok(contiguous(recs, n1 + 1),
                 "the export of the running VDI holds records 0..k, k >= %d" % n1,
                 recs[-3:] if recs == list(range(len(recs))) else recs)
            api().VDI.destroy(s)
            ok = harness.wait_until(lambda: own_files() == [], 120, 0.2)
            t.ok(ok, "the snapshot merged away", own_files())

        with t.section("after a hard shutdown: every record the guest wrote is in the VDI"):
            # Again a fresh top with a cluster QEMU allocated but (without
            # a flush) not yet recorded in the file: hard_shutdown must
            # not lose it.
            s = api().VDI.snapshot(data, {})
            n0 = last_wrote()
            t.ok(wait_more(n0), "the guest writes after a live snapshot")
            api().VM.hard_shutdown(vm)
            n = last_wrote()
            recs = records_in(get(data))
            t.ok(contiguous(recs, n + 1), "records 0..k in order, k >= %d (last the guest reported)" % n,
                 recs[-3:] if recs == list(range(len(recs))) else recs)
            api().VDI.destroy(s)
            ok = harness.wait_until(lambda: own_files() == [], 120, 0.2)
            t.ok(ok, "the GC merged the halted chain", own_files())
            t.eq(own_files(), [], "the SR holds only the VDIs' images")
            t.eq(sorted(n for n in os.listdir(srdir) if n.startswith(".")), [".halyard-sr"],
                 "no hidden leftovers")

        with t.section("VM.revert of the running VM to a snapshot taken while it wrote"):
            for f in (console, console + ".1"):
                if os.path.exists(f):
                    os.unlink(f)
            t.eq(put(data, bytes(16 * MiB)), 200, "the record area zeroed (import while halted)")
            api().VM.start(vm, False, False)
            ok = harness.wait_until(lambda: last_wrote() >= 3, BOOT_TIMEOUT, 0.1)
            t.ok(ok, "the guest boots again and writes (records from 0 again)", con()[-800:])
            n0 = last_wrote()
            snap = api().VM.snapshot(vm, "before-revert", [scr])
            m = last_wrote()
            t.ok(wait_more(m, 5), "the guest writes on after the VM snapshot")
            n1 = last_wrote()
            api().VM.revert(snap)
            t.eq(api().VM.get_power_state(vm), "Halted", "the VM is Halted after the revert")
            disk = [api().VBD.get_VDI(b) for b in api().VM.get_VBDs(vm)
                    if api().VBD.get_userdevice(b) == "0"]
            t.ok(len(disk) == 1 and disk[0] != data, "its disk is a new VDI cloned from the snapshot's",
                 disk)
            recs = records_in(get(disk[0])) if disk else []
            t.ok(contiguous(recs, n0 + 1) and len(recs) <= m + 2,
                 "it holds records 0..k of the snapshot's moment, %d <= k <= %d (the guest was at %d)"
                 % (n0, m + 1, n1), recs[-3:] if recs == list(range(len(recs))) else recs)
            t.ok(data not in api().SR.get_VDIs(sr), "the disk the snapshot was taken of is gone")
            sdisks = [api().VBD.get_VDI(b) for b in api().VM.get_VBDs(snap)]
            api().VM.destroy(snap)
            for d in sdisks:
                api().VDI.destroy(d)
            ok = harness.wait_until(lambda: own_files() == [], 120, 0.2)
            t.ok(ok, "the GC merged the chain under the reverted disk", own_files())
    finally:
        if os.path.exists(ctl):
            os.unlink(ctl)
        try:
            if vm in api().VM.get_all() and api().VM.get_power_state(vm) != "Halted":
                api().VM.hard_shutdown(vm)
        except Exception:
            pass
        shutil.rmtree(work, ignore_errors=True)


harness.run(main, start=False)
