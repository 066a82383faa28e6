# SPDX-License-Identifier: Apache-2.0
"""
Crash safety of the file SR (issue 4): xapid is killed with SIGKILL at
chosen points of an offline VDI.snapshot (before / after each qemu-img
create: the old top renamed to a .base, the new top half made, the
snapshot half made), of a raw VDI's snapshot, and of the GC's merge
(after qemu-img rebase, before the merged base is removed). The kill is
real: xapid runs qemu-img through HALYARD_QEMU_IMG = a small wrapper that
runs the real qemu-img and, at the chosen call, sends SIGKILL to its
parent (checked to be xapid) before or after it. After each restart: the
VDI's data is exactly what was written, the directory holds only the
SR's images (no .tmp-, .intent-, orphan .base), the task ended as
failure, and a new snapshot works.
"""
import hashlib
import os
import shutil
import tempfile

import harness

MiB = 1 << 20

WRAPPER = r"""#!/bin/sh
# Fault injection for test_sm_crash.py: the real qemu-img, and SIGKILL to
# xapid (the parent) at the call named in $CTL ("<before|after> <cmd> <n>").
# While $HOLD exists, a "create" or "convert" waits (an operation held in
# the middle).
if { [ "$1" = create ] || [ "$1" = convert ]; } && [ -f "$HOLD" ]; then
    touch "$HOLD.reached"
    while [ -f "$HOLD" ]; do sleep 0.05; done
fi
if [ -f "$CTL" ] && read when cmd n < "$CTL" && [ "$1" = "$cmd" ]; then
    c=$(( $(cat "$CNT" 2>/dev/null || echo 0) + 1 ))
    echo "$c" > "$CNT"
    if [ "$c" = "$n" ] && [ "$(cat /proc/$PPID/comm)" = xapid ]; then
        rm -f "$CTL"
        if [ "$when" = before ]; then
            kill -9 "$PPID"
            exit 1
        fi
        "$REAL" "$@"
        rc=$?
        kill -9 "$PPID"
        exit $rc
    fi
fi
exec "$REAL" "$@"
"""


def pattern(seed, n):
    h = hashlib.sha256(seed.encode()).digest()
    return (h * (n // len(h) + 1))[:n]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def main(t, x):
    real = shutil.which("qemu-img")
    if not real:
        harness.skip("qemu-img is not installed")
    work = tempfile.mkdtemp(prefix="sm-crash-")
    ctl = os.path.join(work, "ctl")
    cnt = os.path.join(work, "count")
    wrapper = os.path.join(work, "qemu-img")
    with open(wrapper, "w") as f:
        f.write(WRAPPER)
    os.chmod(wrapper, 0o755)
    hold = os.path.join(work, "hold")
    os.environ.update(HALYARD_QEMU_IMG=wrapper, CTL=ctl, CNT=cnt, REAL=real, HOLD=hold)
    x.start()
    t.ok(True, "xapid runs qemu-img through the fault-injecting wrapper")
    st = {"api": x.login()}

    def api():
        return st["api"]

    def http(method, path, **kw):
        return x.http(method, path % st["api"].session, timeout=120, **kw)

    host = api().host.get_all()[0]
    sdir = os.path.join(work, "sr")
    sr = api().SR.create(host, {"location": sdir}, "0", "crash", "", "file", "user", False, {})
    sr_uuid = api().SR.get_uuid(sr)

    def vdi_new(fmt):
        return api().VDI.create({"SR": sr, "name_label": "c", "name_description": "",
                                 "virtual_size": str(8 * MiB), "type": "user", "sharable": False,
                                 "read_only": False, "other_config": {},
                                 "sm_config": {"type": "raw"} if fmt == "raw" else {},
                                 "xenstore_data": {}, "tags": []})

    def put(v, data):
        r = http("PUT", "/import_raw_vdi?session_id=%s&vdi=" + v + "&format=raw", body=data)
        return r.status

    def data_of(v):
        r = http("GET", "/export_raw_vdi?session_id=%s&vdi=" + v + "&format=raw")
        return r.body[:8 * MiB] if r.status == 200 else None

    def arm(when, cmd, n):
        if os.path.exists(cnt):
            os.unlink(cnt)
        with open(ctl, "w") as f:
            f.write("%s %s %d\n" % (when, cmd, n))

    def restart():
        died = harness.wait_until(lambda: not x.alive(), 60, 0.05)
        x.kill9()
        x.start()
        st["api"] = x.login()
        return died

    def files_clean(v):
        """Only the marker and the VDI's own image; GC may still be merging."""
        want_prefix = api().VDI.get_location(v)
        names = sorted(os.listdir(sdir))
        return [n for n in names if n != ".halyard-sr" and not (
            n.startswith(want_prefix + ".") and ".base." not in n)] == [], names

    def check_after(label, v, data, task):
        t.ok(sr_uuid and api().PBD.get_currently_attached(api().SR.get_PBDs(sr)[0]),
             label + ": the SR is plugged again")
        rec = api().task.get_record(task)
        t.eq((rec["status"], rec["error_info"][:1]), ("failure", ["INTERNAL_ERROR"]),
             label + ": the interrupted task ended as failure")
        t.eq(api().SR.get_VDIs(sr), [v], label + ": no VDI record made")
        t.eq(sha(data_of(v) or b""), sha(data), label + ": the VDI's data is exact")
        ok = harness.wait_until(lambda: files_clean(v)[0], 30, 0.1)
        t.ok(ok, label + ": no .tmp-, .intent- or orphan .base file left", files_clean(v)[1])
        s = api().VDI.snapshot(v, {})
        t.eq(sha(data_of(s) or b""), sha(data), label + ": a new snapshot works and has the data")
        api().VDI.destroy(s)
        api().VDI.destroy(v)

    try:
        points = [("before", 1, "qcow2", "old top renamed to .base, no new top yet"),
                  ("after", 1, "qcow2", "new top made under .tmp-, not renamed"),
                  ("before", 2, "qcow2", "new top in place, snapshot not made"),
                  ("after", 2, "qcow2", "snapshot made under .tmp-, not renamed"),
                  ("before", 1, "raw", "raw VDI renamed to .base, no qcow2 top yet")]
        for i, (when, n, fmt, what) in enumerate(points):
            label = "kill %s qemu-img create #%d of a %s VDI.snapshot (%s)" % (when, n, fmt, what)
            with t.section(label):
                v = vdi_new(fmt)
                data = pattern("crash%d" % i, 8 * MiB)
                t.eq(put(v, data), 200, "8 MiB imported")
                arm(when, "create", n)
                task = api().Async.VDI.snapshot(v, {})
                t.ok(restart(), "xapid was killed at that point and restarted")
                check_after("after the restart", v, data, task)

        # XAPI lets snapshot/checkpoint run alongside each other, and
        # clone/copy/export alongside each other (is_allowed_concurrently),
        # nothing else.
        busy_ops = [("snapshot", lambda vm: api().Async.VM.snapshot(vm, "held", []), "clone"),
                    ("clone", lambda vm: api().Async.VM.clone(vm, "held"), "snapshot"),
                    ("copy", lambda vm: api().Async.VM.copy(vm, "held", ""), "snapshot")]
        for op, start, other in busy_ops:
            with t.section("VM.%s marks the VM busy while it runs" % op):
                v = vdi_new("qcow2")
                vm = api().VM.create(harness.vm_record("busy-" + op))
                api().VBD.create({"VM": vm, "VDI": v, "userdevice": "0", "bootable": True,
                                  "mode": "RW", "type": "Disk", "unpluggable": True, "empty": False,
                                  "other_config": {}, "qos_algorithm_type": "",
                                  "qos_algorithm_params": {}})
                if os.path.exists(hold + ".reached"):
                    os.unlink(hold + ".reached")
                open(hold, "w").close()
                task = start(vm)
                reached = harness.wait_until(lambda: os.path.exists(hold + ".reached"), 60, 0.02)
                t.ok(reached, "the %s is held inside its disk step" % op)
                cur = api().VM.get_current_operations(vm)
                t.eq(list(cur.values()), [op], "current_operations holds '%s'" % op, cur)
                t.eq(list(cur.keys()), [task], "keyed by the task")
                allowed = api().VM.get_allowed_operations(vm)
                t.ok("start" not in allowed and "destroy" not in allowed and other not in allowed,
                     "allowed_operations offers no start, destroy or %s meanwhile" % other, allowed)
                for name, fn in (("VM.destroy", lambda: api().VM.destroy(vm)),
                                 ("VM.start", lambda: api().VM.start(vm, False, False))):
                    t.fails(fn, "OTHER_OPERATION_IN_PROGRESS", name + " during the " + op,
                            ["VM", vm, op, task])
                os.unlink(hold)
                done = harness.wait_until(
                    lambda: api().task.get_status(task) != "pending", 60, 0.05)
                t.eq(done and api().task.get_status(task), "success", "the held %s completes" % op)
                t.eq(api().VM.get_current_operations(vm), {}, "current_operations is empty again")
                t.ok(op in api().VM.get_allowed_operations(vm), "%s allowed again" % op)
                made = [api().task.get_result(task).replace("<value>", "").replace("</value>", "")
                        ] if op != "snapshot" else []
                for s_vm in api().VM.get_snapshots(vm) + made:
                    disks = [api().VBD.get_VDI(b) for b in api().VM.get_VBDs(s_vm)]
                    api().VM.destroy(s_vm)
                    for d in disks:
                        api().VDI.destroy(d)
                api().VM.destroy(vm)
                api().VDI.destroy(v)

        with t.section("kill after the GC's qemu-img rebase, before the base is removed"):
            v = vdi_new("qcow2")
            data = pattern("gc", 8 * MiB)
            t.eq(put(v, data), 200, "8 MiB imported")
            s = api().VDI.snapshot(v, {})
            over = pattern("gc2", 2 * MiB)
            t.eq(put(v, over), 200, "2 MiB written over the start after the snapshot")
            data = over + data[2 * MiB:]
            arm("after", "rebase", 1)
            task = api().Async.VDI.destroy(s)
            t.ok(restart(), "xapid was killed after the merge and restarted")
            rec = api().task.get_record(task)
            t.ok(rec["status"] in ("success", "failure"), "the destroy task has an outcome",
                 rec["status"])
            t.eq(api().SR.get_VDIs(sr), [v], "the snapshot record is gone")
            t.eq(sha(data_of(v) or b""), sha(data), "the VDI's data is exact")
            ok = harness.wait_until(lambda: files_clean(v)[0], 30, 0.1)
            t.ok(ok, "the merged base is removed", files_clean(v)[1])
            api().VDI.destroy(v)
    finally:
        if os.path.exists(ctl):
            os.unlink(ctl)
        shutil.rmtree(work, ignore_errors=True)


harness.run(main, start=False)
