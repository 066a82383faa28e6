# SPDX-License-Identifier: Apache-2.0
"""
Storage with a real guest (issue 4), one VM boot on the qemu backend:
a VDI with a known pattern (imported) is the guest's virtio disk, the
guest reads it back (checksum on the console), keeps writing numbered
records while the host takes live snapshots (QMP blockdev-snapshot) and
deletes them (GC coalesces the live chain through QEMU's block-stream);
a snapshot exported while the guest runs holds exactly the records
written before it; VDI.destroy of the attached VDI is refused; a disk
hot-plugged with VBD.plug (a qcow2 with a snapshot chain below it) shows
up in the guest, which reads the data of its backing layers and writes to
it, and VBD.unplug takes it out (no fd of it left in QEMU); a CD drive gets an ISO inserted and ejected;
after the guest stops the VDI holds the pattern and every record, and no
chain node is left. QEMU runs as the unprivileged user halyard-qemu
(the harness creates it as scripts/lib.sh does): its real and effective
uid are checked, and every hot-plug above goes through fds xapid passes.

The guest is driven by a script on a second, read-only disk that starts
with "#HALYARD-SCRIPT" (tests/guest/build-guest runs it).
Skips (77) only when qemu-system-x86_64 is missing or the guest cannot be
built (no Debian mirror reachable).
"""
import hashlib
import os
import pwd
import shutil
import tempfile

import harness

MiB = 1 << 20
BOOT_TIMEOUT = 180
NREC = 40

SCRIPT = r"""#HALYARD-SCRIPT
find_disk() { for b in /sys/block/vd*; do [ "$(cat $b/size)" = "$1" ] && { echo /dev/${b##*/}; return; }; done; }
D=$(find_disk 131072)
echo "DISK-A $(head -c 4194304 $D | md5sum | cut -d' ' -f1)"
i=0
while [ $i -lt %d ]; do
	printf '%%08d' $i | dd of=$D bs=512 seek=$((8192 + i)) conv=notrunc 2>/dev/null
	sync
	echo "WROTE $i"
	i=$((i + 1))
	sleep 0.3
done
echo "DONE-WRITING"
while :; do H=$(find_disk 65536); [ -n "$H" ] && break; sleep 0.2; done
echo "HOTPLUG-READ $(head -c 1048576 $H | md5sum | cut -d' ' -f1)"
echo HOTPLUGDATA | dd of=$H bs=512 conv=notrunc 2>/dev/null
sync
echo "HOTPLUG-WROTE $H"
exit 0
""" % NREC


def pattern(seed, n):
    h = hashlib.sha256(seed.encode()).digest()
    return (h * (n // len(h) + 1))[:n]


def qemu_pid(api, vm):
    with open(os.path.join(STATE[0], "vms", api.VM.get_uuid(vm), "qemu.pid")) as f:
        return int(f.read())


def check_qemu_user(t, pid):
    """QEMU runs as halyard-qemu (unless HALYARD_QEMU_USER says otherwise)."""
    want = os.environ.get("HALYARD_QEMU_USER", "halyard-qemu")
    try:
        uid = pwd.getpwnam(want).pw_uid if want else 0
    except KeyError:
        uid = 0
    t.ok(uid != 0 or not want, "the QEMU user %s exists (the harness creates it)" % want)
    t.eq(harness.qemu_uids(pid), (uid, uid), "QEMU's real and effective uid are %s's" % (want or "root"))


def sr_fds(pid, srdir):
    """The SR files QEMU process pid has open (sorted)."""
    out = []
    d = "/proc/%d/fd" % pid
    for n in os.listdir(d):
        try:
            p = os.readlink(os.path.join(d, n))
        except OSError:
            continue
        if p.startswith(srdir.rstrip("/") + "/"):
            out.append(p)
    return sorted(out)


STATE = []


def records_in(img):
    """The numbers of the records present at sectors 8192.. (contiguous check by caller)."""
    out = []
    for i in range(NREC + 5):
        rec = img[(8192 + i) * 512:(8192 + i) * 512 + 8]
        if rec == b"%08d" % i:
            out.append(i)
        elif rec != bytes(8):
            out.append(-1 - i)  # garbage: never expected
    return out


def main(t, x):
    kernel, initrd = harness.guest_files()
    STATE.append(x.state_dir)
    api = x.login()
    sid = api.session
    pool = api.pool.get_all()[0]
    sr = api.pool.get_default_SR(pool)
    srdir = api.PBD.get_device_config(api.SR.get_PBDs(sr)[0])["location"]
    work = tempfile.mkdtemp(prefix="sm-guest-")

    def vdi_new(size, name, **extra):
        rec = {"SR": sr, "name_label": name, "name_description": "", "virtual_size": str(size),
               "type": "user", "sharable": False, "read_only": False, "other_config": {},
               "sm_config": {}, "xenstore_data": {}, "tags": []}
        rec.update(extra)
        return api.VDI.create(rec)

    def put(vdi, data):
        return x.http("PUT", "/import_raw_vdi?session_id=%s&vdi=%s&format=raw" % (sid, vdi),
                      body=data, timeout=120).status

    def get(vdi):
        return x.http("GET", "/export_raw_vdi?session_id=%s&vdi=%s&format=raw" % (sid, vdi),
                      timeout=120).body

    def vbd(vm, vdi, dev, mode="RW", typ="Disk", empty=False):
        return api.VBD.create({"VM": vm, "VDI": vdi, "userdevice": dev, "bootable": dev == "0",
                               "mode": mode, "type": typ, "unpluggable": True, "empty": empty,
                               "other_config": {}, "qos_algorithm_type": "",
                               "qos_algorithm_params": {}})

    def bases():
        return [f for f in os.listdir(srdir) if ".base." in f]

    vm = api.VM.create(harness.vm_record(
        "storage-guest", memory_static_max=str(192 * MiB), memory_dynamic_max=str(192 * MiB),
        memory_dynamic_min=str(192 * MiB), memory_static_min=str(192 * MiB), domain_type="pvh",
        PV_kernel=kernel, PV_ramdisk=initrd, PV_args="console=ttyS0 quiet",
        actions_after_shutdown="destroy", actions_after_reboot="restart",
        actions_after_crash="destroy"))
    uuid = api.VM.get_uuid(vm)
    console = os.path.join(x.state_dir, "vms", uuid, "console.log")

    def con():
        try:
            with open(console, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_line(prefix, timeout=BOOT_TIMEOUT):
        def find():
            for l in con().splitlines():
                if l.startswith(prefix):
                    return l
            return None
        return harness.wait_until(find, timeout, 0.1)

    A = pattern("A", 4 * MiB)
    try:
        body(t, api, vm, A, vdi_new, put, get, vbd, bases, wait_line, con, work, srdir)
    finally:
        if vm in api.VM.get_all() and api.VM.get_power_state(vm) != "Halted":
            api.VM.hard_shutdown(vm)
        shutil.rmtree(work, ignore_errors=True)


def body(t, api, vm, A, vdi_new, put, get, vbd, bases, wait_line, con, work, srdir):
    if True:
        with t.section("a VDI with a pattern becomes the guest's disk"):
            data = vdi_new(64 * MiB, "data")
            t.eq(put(data, A), 200, "import the pattern")
            scr = vdi_new(MiB, "script", sm_config={"type": "raw"})
            t.eq(put(scr, SCRIPT.encode()), 200, "import the guest script")
            vbd(vm, data, "0")
            vbd(vm, scr, "1", mode="RO")
            cd = vbd(vm, "OpaqueRef:NULL", "3", mode="RO", typ="CD", empty=True)
            api.VM.start(vm, False, False)
            t.eq(api.VM.get_power_state(vm), "Running", "the VM runs")
            if api.VM.get_power_state(vm) != "Running":
                return
            t.ok(all(api.VBD.get_currently_attached(b) for b in api.VM.get_VBDs(vm)),
                 "its VBDs are currently_attached")
            check_qemu_user(t, qemu_pid(api, vm))
            line = wait_line("DISK-A ")
            t.ok(line, "the guest sees the disk", con()[-2000:])
            if not line:
                return
            t.eq((line or "").split()[-1:], [hashlib.md5(A).hexdigest()],
                 "the guest reads exactly the imported pattern")
            t.fails(lambda: api.VDI.destroy(data), "VDI_IN_USE",
                    "VDI.destroy of an attached VDI", [data, "destroy"])
            t.fails(lambda: api.VDI.resize(data, str(128 * MiB)), "VDI_IN_USE",
                    "offline resize of an attached VDI")

        with t.section("live snapshots while the guest writes; delete them; GC coalesces"):
            t.ok(wait_line("WROTE 5"), "the guest writes records")
            s1 = api.VDI.snapshot(data, {})
            t.ok(wait_line("WROTE 15", 120), "the guest keeps writing after a live snapshot")
            s2 = api.VDI.snapshot(data, {})
            img = get(s1)
            recs = records_in(img)
            t.eq(img[:4 * MiB], A, "snapshot 1 holds the pattern")
            t.ok(recs == list(range(len(recs))) and len(recs) >= 6,
                 "snapshot 1 holds exactly records 0..k (k >= 5), in order", recs)
            recs2 = records_in(get(s2))
            t.ok(recs2 == list(range(len(recs2))) and len(recs2) >= 16 and len(recs2) >= len(recs),
                 "snapshot 2 holds records 0..k2 (k2 >= 15)", recs2)
            t.ok(len(bases()) >= 2, "the chain has base nodes", os.listdir(srdir))
            vs = api.VM.snapshot(vm, "live snap", [scr])
            vr = api.VM.get_record(vs)
            t.eq((vr["is_a_snapshot"], vr["snapshot_info"].get("power-state-at-snapshot"),
                  vr["power_state"]), (True, "Running", "Halted"),
                 "VM.snapshot of the running VM: a Halted snapshot record")
            vsd = [api.VBD.get_VDI(b) for b in vr["VBDs"] if api.VBD.get_type(b) == "Disk"]
            t.eq(len(vsd), 1, "its data disk snapshotted live, the script disk ignored", vsd)
            recs3 = records_in(get(vsd[0])) if vsd else []
            t.ok(recs3 == list(range(len(recs3))) and len(recs3) >= len(recs2),
                 "the VM snapshot's disk holds records 0..k3 in order", recs3)
            api.VM.destroy(vs)
            for d in vsd:
                api.VDI.destroy(d)
            api.VDI.destroy(s1)
            t.ok(wait_line("WROTE 25", 120), "the guest writes on")
            api.VDI.destroy(s2)
            ok = harness.wait_until(lambda: not bases(), 120, 0.2)
            t.ok(ok, "GC merged the live chain (block-stream through QEMU)", os.listdir(srdir))
            t.eq(api.VM.get_power_state(vm), "Running", "the guest kept running")

        with t.section("hotplug: VBD.plug / unplug of a new disk"):
            t.ok(wait_line("DONE-WRITING", 120), "the guest finished writing")
            hot = vdi_new(32 * MiB, "hot")
            H = pattern("H", MiB)
            t.eq(put(hot, H), 200, "import a pattern into the disk to plug")
            # Two snapshots: the pattern sits in backing layers that QEMU
            # may not open by path (it runs unprivileged): xapid passes
            # every layer's fd.
            hsnaps = [api.VDI.snapshot(hot, {}), api.VDI.snapshot(hot, {})]
            t.ok(len(bases()) >= 1, "the disk to plug has a backing chain", os.listdir(srdir))
            pid = qemu_pid(api, vm)
            before = sr_fds(pid, srdir)
            hv = vbd(vm, hot, "2")
            api.VBD.plug(hv)
            t.eq(api.VBD.get_currently_attached(hv), True, "plugged")
            line = wait_line("HOTPLUG-READ", 120)
            t.eq((line or "").split()[-1:], [hashlib.md5(H).hexdigest()],
                 "the guest reads the backing layers' data on the hot-plugged disk", con()[-1500:])
            line = wait_line("HOTPLUG-WROTE", 120)
            t.ok(line, "the guest sees the new disk and writes to it", con()[-1500:])
            t.fails(lambda: api.VBD.plug(hv), "DEVICE_ALREADY_ATTACHED", "plug twice")
            api.VBD.unplug(hv)
            t.eq(api.VBD.get_currently_attached(hv), False, "unplugged")
            t.eq(sr_fds(pid, srdir), before, "QEMU holds no fd of the unplugged disk's files")
            img = get(hot)
            t.ok(img.startswith(b"HOTPLUGDATA\n") and img[512:MiB] == H[512:],
                 "what the guest wrote is in the VDI, over the backing data")
            api.VBD.destroy(hv)
            for v in hsnaps:
                api.VDI.destroy(v)

        with t.section("CD: insert and eject an ISO while running"):
            idir = os.path.join(work, "isos")
            os.makedirs(idir)
            with open(os.path.join(idir, "tools.iso"), "wb") as f:
                f.write(pattern("iso", 256 * 1024))
            host = api.host.get_all()[0]
            isr = api.SR.create(host, {"location": idir}, "0", "isos", "", "iso", "iso", False, {})
            iso = api.SR.get_VDIs(isr)[0]
            t.fails(lambda: api.VBD.eject(cd), "VBD_IS_EMPTY", "eject from an empty drive")
            api.VBD.insert(cd, iso)
            t.eq((api.VBD.get_empty(cd), api.VBD.get_VDI(cd)), (False, iso), "inserted")
            t.fails(lambda: api.VBD.insert(cd, iso), "VBD_NOT_EMPTY", "insert into a full drive")
            api.VBD.eject(cd)
            t.eq(api.VBD.get_empty(cd), True, "ejected")

        with t.section("after the guest stops: every byte where it should be"):
            api.VM.hard_shutdown(vm)
            t.ok(not any(api.VBD.get_currently_attached(b) for b in api.VM.get_VBDs(vm)),
                 "VBDs detached with the VM")
            img = get(data)
            t.eq(img[:4 * MiB], A, "the pattern is intact")
            t.eq(records_in(img), list(range(NREC)), "every record the guest wrote is there")
            t.eq(bases(), [], "no chain node left")
            api.VM.destroy(vm)
            for v in (data, scr, hot):
                api.VDI.destroy(v)
            api.PBD.unplug(api.SR.get_PBDs(isr)[0])
            api.SR.destroy(isr)


harness.run(main)
