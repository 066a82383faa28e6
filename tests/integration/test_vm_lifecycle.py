# SPDX-License-Identifier: Apache-2.0
"""
VM power lifecycle on the qemu backend with a real Linux guest (Debian
cloud kernel + busybox initramfs from tests/guest/build-guest), direct
kernel boot (domain_type pvh):

start (marker on the serial console), start twice -> VM_BAD_POWER_STATE,
pause/unpause (the guest's counter stops and goes on), hard_reboot (the
marker twice), suspend/resume (the counter continues, no new boot),
clean_shutdown (ACPI power button) -> Halted, Async start, kill -9 of
xapid while the VM runs (still Running and controllable afterwards),
QEMU killed from outside -> Halted + a VM_CRASHED message, guest-initiated
poweroff -> Halted, guest reboot per actions_after_reboot, guest panic -> Halted + VM_CRASHED, a guest that ignores
the power button (clean_shutdown in current_operations,
OTHER_OPERATION_IN_PROGRESS, task cancel), power_state_reset, restart
reconciliation (QEMU died / VM record gone while xapid was down), xe
vm-install/start/pause/unpause/shutdown/destroy, memory exhaustion -> HOST_NOT_ENOUGH_FREE_MEMORY,
template -> VM_IS_TEMPLATE, unknown kernel -> BOOTLOADER_FAILED with
nothing left running, pv -> OPERATION_NOT_ALLOWED, destroy rules.

Skips (77) only when qemu-system-x86_64 is missing or the guest kernel
cannot be fetched (no Debian mirror reachable).
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import harness
from harness import guest_files  # noqa: F401 (test_sr_nfs, test_vm_console, test_vm_ops use it from here)

MiB = 1 << 20
BOOT_TIMEOUT = 180  # TCG on a loaded 2-core machine: generous
MARKER = "HALYARD-GUEST-UP"


def wait_until(fn, timeout, step=0.2):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(step)


class Guest:
    def __init__(self, x, uuid):
        self.dir = os.path.join(x.state_dir, "vms", uuid)

    def console(self):
        try:
            with open(os.path.join(self.dir, "console.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def markers(self):
        return self.console().count(MARKER)

    def last_tick(self):
        ticks = [l for l in self.console().splitlines() if l.startswith("tick ")]
        try:
            return int(ticks[-1].split()[1]) if ticks else -1
        except ValueError:
            return -1

    def pid(self):
        try:
            with open(os.path.join(self.dir, "qemu.pid")) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return None


def pid_alive(pid):
    if not pid:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def qemus_of(state_dir):
    """Pids of QEMU processes whose command line names state_dir."""
    out = []
    for p in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(p, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "qemu-system" in cmd and state_dir in cmd:
            out.append(int(p.split("/")[2]))
    return out


def kill_qemus(state_dir):
    for pid in qemus_of(state_dir):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main(t, x):
    if not shutil.which("qemu-system-x86_64"):
        harness.skip("qemu-system-x86_64 is not installed (Debian: qemu-system-x86)")
    kernel, initrd = guest_files()
    t.note("guest: %s, %s" % (kernel, initrd))
    try:
        body(t, x, kernel, initrd)
    finally:
        kill_qemus(x.state_dir)


def power(api, vm):
    return api.VM.get_power_state(vm)


def body(t, x, kernel, initrd):
    api = x.login()
    host = api.host.get_all()[0]
    tmpl = api.VM.get_by_name_label("Linux direct kernel boot (PVH)")
    t.eq(len(tmpl), 1, "the PVH template exists")
    tmpl = tmpl[0]

    def make_vm(name, args="console=ttyS0 quiet", mem=192 * MiB, **extra):
        fields = dict(memory_static_max=str(mem), memory_dynamic_max=str(mem),
                      memory_dynamic_min=str(mem), memory_static_min=str(mem),
                      VCPUs_max="1", VCPUs_at_startup="1", domain_type="pvh",
                      PV_kernel=kernel, PV_ramdisk=initrd, PV_args=args,
                      actions_after_shutdown="destroy", actions_after_reboot="restart",
                      actions_after_crash="destroy")
        fields.update(extra)
        return api.VM.create(harness.vm_record(name, **fields))

    with t.section("bad input before anything runs"):
        t.fails(lambda: api.VM.start(tmpl, False, False), "VM_IS_TEMPLATE",
                "starting a template", [tmpl])
        bad = make_vm("bad-kernel", PV_kernel="/nonexistent/vmlinuz")
        t.fails(lambda: api.VM.start(bad, False, False), "BOOTLOADER_FAILED",
                "a kernel path that does not exist")
        t.eq(power(api, bad), "Halted", "still Halted after the failed start")
        t.eq(api.VM.get_current_operations(bad), {}, "no operation left behind")
        t.eq(qemus_of(x.state_dir), [], "no QEMU left running")
        pv = make_vm("pv", domain_type="pv")
        t.fails(lambda: api.VM.start(pv, False, False), "OPERATION_NOT_ALLOWED",
                "domain_type pv is refused with a reason")
        huge = make_vm("huge", mem=1 << 50)
        e = t.fails(lambda: api.VM.start(huge, False, False), "HOST_NOT_ENOUGH_FREE_MEMORY",
                    "a VM larger than the host")
        free = int(api.host.compute_free_memory(host))
        t.ok(free > 192 * MiB, "host.compute_free_memory leaves room for a guest (%d MiB)" %
             (free // MiB))
        for v in (bad, pv, huge):
            api.VM.destroy(v)

    vm = make_vm("it-vm")
    uuid = api.VM.get_uuid(vm)
    g = Guest(x, uuid)

    with t.section("start"):
        api.VM.start(vm, False, False)
        rec = api.VM.get_record(vm)
        t.eq(rec["power_state"], "Running", "Running after start")
        t.ok(int(rec["domid"]) > 0, "a domid is allocated (%s)" % rec["domid"])
        t.eq(rec["resident_on"], host, "resident_on this host")
        t.ok("clean_shutdown" in rec["allowed_operations"] and "start" not in
             rec["allowed_operations"], "allowed_operations of a running VM",
             rec["allowed_operations"])
        m = api.VM_metrics.get_record(rec["metrics"])
        t.eq(int(m["memory_actual"]), 192 * MiB, "VM_metrics.memory_actual")
        t.eq(int(m["VCPUs_number"]), 1, "VM_metrics.VCPUs_number")
        t.ok(wait_until(lambda: g.markers() >= 1, BOOT_TIMEOUT), "the guest booted (%s on "
             "the console)" % MARKER, g.console()[-2000:])
        t.ok(pid_alive(g.pid()), "qemu.pid names a live QEMU")
        e = t.fails(lambda: api.VM.start(vm, False, False), "VM_BAD_POWER_STATE",
                    "starting a running VM", [vm, "halted", "running"])
        t.fails(lambda: api.VM.destroy(vm), "VM_BAD_POWER_STATE", "destroying a running VM")

    with t.section("pause and unpause"):
        wait_until(lambda: g.last_tick() >= 1, BOOT_TIMEOUT)
        api.VM.pause(vm)
        t.eq(power(api, vm), "Paused", "Paused")
        t.fails(lambda: api.VM.pause(vm), "VM_BAD_POWER_STATE", "pausing twice",
                [vm, "running", "paused"])
        a = g.last_tick()
        time.sleep(2.5)
        t.eq(g.last_tick(), a, "the counter stands still while paused")
        api.VM.unpause(vm)
        t.eq(power(api, vm), "Running", "Running after unpause")
        t.ok(wait_until(lambda: g.last_tick() > a, 60), "the counter goes on after unpause")

    with t.section("hard_reboot"):
        domid, pid = api.VM.get_domid(vm), g.pid()
        api.VM.hard_reboot(vm)
        t.eq(power(api, vm), "Running", "Running after hard_reboot")
        t.ok(api.VM.get_domid(vm) != domid, "a new domain: new domid (%s -> %s)" %
             (domid, api.VM.get_domid(vm)))
        t.ok(g.pid() != pid and not pid_alive(pid) and pid_alive(g.pid()),
             "a new QEMU process, the old one gone")
        t.ok(wait_until(lambda: g.markers() >= 2, BOOT_TIMEOUT), "the marker twice")

    with t.section("clean_reboot"):
        wait_until(lambda: g.console().rsplit(MARKER, 1)[1].count("tick") >= 1, BOOT_TIMEOUT)
        n = g.markers()
        api.VM.clean_reboot(vm)
        t.eq(power(api, vm), "Running", "Running after clean_reboot")
        t.ok(wait_until(lambda: g.markers() > n, BOOT_TIMEOUT),
             "the guest powered off and booted again")

    with t.section("suspend and resume"):
        wait_until(lambda: g.last_tick() >= 2 and g.console().rsplit(MARKER, 1)[1].count("tick") >= 3,
                   BOOT_TIMEOUT)
        pid = g.pid()
        boots = g.markers()
        api.VM.suspend(vm)
        t.eq(power(api, vm), "Suspended", "Suspended")
        before = g.last_tick()
        t.ok(wait_until(lambda: not pid_alive(pid), 30), "the QEMU process is gone")
        t.ok(os.path.exists(os.path.join(g.dir, "suspend.img")), "the suspend image exists")
        t.eq(api.VM.get_domid(vm), "-1", "domid -1 while suspended")
        t.fails(lambda: api.VM.start(vm, False, False), "VM_BAD_POWER_STATE",
                "start of a suspended VM", [vm, "halted", "suspended"])
        api.VM.resume(vm, False, False)
        t.eq(power(api, vm), "Running", "Running after resume")
        t.ok(wait_until(lambda: g.last_tick() > before, 60),
             "the counter continues after resume (%d -> %d)" % (before, g.last_tick()))
        t.eq(g.markers(), boots, "no new boot on resume")

    with t.section("clean_shutdown and Async start"):
        api.VM.clean_shutdown(vm)
        t.eq(power(api, vm), "Halted", "Halted after clean_shutdown")
        t.ok("HALYARD-GUEST-POWEROFF" in g.console(), "the guest saw the power button")
        t.eq(qemus_of(x.state_dir), [], "no QEMU after clean_shutdown")
        boots = g.markers()
        task = api.Async.VM.start(vm, False, False)
        st = wait_until(lambda: api.task.get_status(task) != "pending", BOOT_TIMEOUT)
        t.eq(api.task.get_status(task), "success", "Async.VM.start succeeds",
             api.task.get_error_info(task))
        t.eq(power(api, vm), "Running", "Running after Async start")
        t.ok(wait_until(lambda: g.markers() > boots, BOOT_TIMEOUT), "booted again")

    with t.section("xapid killed while the VM runs"):
        pid = g.pid()
        x.kill9()
        time.sleep(0.5)
        t.ok(pid_alive(pid), "QEMU survives kill -9 of xapid")
        x.start()
        api = x.login()
        t.eq(power(api, vm), "Running", "still Running after the restart")
        t.eq(g.pid(), pid, "the same QEMU")
        api.VM.pause(vm)
        api.VM.unpause(vm)
        t.eq(power(api, vm), "Running", "controllable (pause/unpause) after the restart")
        api.VM.hard_shutdown(vm)
        t.eq(power(api, vm), "Halted", "hard_shutdown after the restart")
        t.ok(wait_until(lambda: not pid_alive(pid), 30), "the QEMU process is gone")

    with t.section("QEMU killed from outside"):
        api.VM.start(vm, False, False)
        pid = g.pid()
        os.kill(pid, signal.SIGKILL)
        t.ok(wait_until(lambda: power(api, vm) == "Halted", 60), "Halted once QEMU died")
        msgs = [m for m in api.message.get_all_records().values()
                if m["obj_uuid"] == uuid and m["name"] == "VM_CRASHED"]
        t.ok(len(msgs) >= 1, "a VM_CRASHED message about the VM")
        t.eq(api.VM.get_current_operations(vm), {}, "no operation left")

    with t.section("guest-initiated poweroff"):
        api.VM.set_PV_args(vm, "console=ttyS0 quiet halyard.poweroff_after=1")
        api.VM.start(vm, False, False)
        t.ok(wait_until(lambda: power(api, vm) == "Halted", BOOT_TIMEOUT),
             "Halted after the guest powered itself off (actions_after_shutdown=destroy)")
        t.eq(qemus_of(x.state_dir), [], "no QEMU left")

    with t.section("guest-initiated reboot"):
        api.VM.set_PV_args(vm, "console=ttyS0 quiet halyard.reboot_after=1")
        boots = g.markers()
        api.VM.start(vm, False, False)
        pid = g.pid()
        t.ok(wait_until(lambda: g.markers() >= boots + 2, BOOT_TIMEOUT),
             "actions_after_reboot=restart: the guest boots again after its reboot",
             g.console()[-1500:])
        t.eq(power(api, vm), "Running", "still Running")
        t.eq(g.pid(), pid, "in the same QEMU")
        api.VM.set_actions_after_reboot(vm, "destroy")
        t.ok(wait_until(lambda: power(api, vm) == "Halted", BOOT_TIMEOUT),
             "actions_after_reboot=destroy: Halted after the next guest reboot")
        t.eq(qemus_of(x.state_dir), [], "no QEMU left")
        api.VM.set_actions_after_reboot(vm, "restart")

    with t.section("guest crash"):
        api.VM.set_PV_args(vm, "console=ttyS0 quiet halyard.panic_after=1")
        before = len([m for m in api.message.get_all_records().values()
                      if m["obj_uuid"] == uuid and m["name"] == "VM_CRASHED"])
        api.VM.start(vm, False, False)
        t.ok(wait_until(lambda: power(api, vm) == "Halted", BOOT_TIMEOUT),
             "Halted after a guest panic (actions_after_crash=destroy)",
             g.console()[-1500:])
        after = len([m for m in api.message.get_all_records().values()
                     if m["obj_uuid"] == uuid and m["name"] == "VM_CRASHED"])
        t.eq(after, before + 1, "one more VM_CRASHED message")
        t.eq(qemus_of(x.state_dir), [], "no QEMU left")
        api.VM.set_PV_args(vm, "console=ttyS0 quiet halyard.panic_after=0")
        api.VM.set_actions_after_crash(vm, "restart")
        boots = g.markers()
        api.VM.start(vm, False, False)
        t.ok(wait_until(lambda: g.markers() >= boots + 2, BOOT_TIMEOUT),
             "actions_after_crash=restart: the guest boots again after a panic")
        t.eq(power(api, vm), "Running", "still Running")
        api.VM.set_actions_after_crash(vm, "preserve")
        t.ok(wait_until(lambda: power(api, vm) == "Paused", BOOT_TIMEOUT),
             "actions_after_crash=preserve: Paused after the next panic")
        pid = g.pid()
        t.ok(pid_alive(pid), "the crashed domain is kept")
        api.VM.hard_shutdown(vm)
        t.eq(power(api, vm), "Halted", "hard_shutdown of a preserved crashed VM")
        api.VM.set_actions_after_crash(vm, "destroy")

    with t.section("a guest that ignores the power button"):
        api.VM.set_PV_args(vm, "console=ttyS0 quiet halyard.ignore_powerbutton=1")
        boots = g.markers()
        api.VM.start(vm, False, False)
        wait_until(lambda: g.markers() > boots, BOOT_TIMEOUT)
        task = api.Async.VM.clean_shutdown(vm)
        t.ok(wait_until(lambda: api.VM.get_current_operations(vm) != {}, 60),
             "clean_shutdown is in current_operations")
        ops = api.VM.get_current_operations(vm)
        t.eq(list(ops.values()), ["clean_shutdown"], "the operation is clean_shutdown")
        t.eq(list(ops.keys()), [task], "keyed by its task")
        t.eq(api.VM.get_allowed_operations(vm), [], "nothing else allowed meanwhile")
        t.fails(lambda: api.VM.hard_shutdown(vm), "OTHER_OPERATION_IN_PROGRESS",
                "hard_shutdown while clean_shutdown waits", ["VM", vm, "clean_shutdown", task])
        api.task.cancel(task)
        t.ok(wait_until(lambda: api.task.get_status(task) not in ("pending", "cancelling"), 60),
             "the cancelled clean_shutdown ends")
        t.eq(api.task.get_status(task), "cancelled", "task status cancelled")
        t.eq(power(api, vm), "Running", "still Running")
        t.eq(api.VM.get_current_operations(vm), {}, "the operation is gone")
        t.ok("hard_shutdown" in api.VM.get_allowed_operations(vm), "operations allowed again")
        api.VM.hard_shutdown(vm)
        t.eq(power(api, vm), "Halted", "hard_shutdown ends it")

    with t.section("power_state_reset"):
        api.VM.set_PV_args(vm, "console=ttyS0 quiet")
        api.VM.start(vm, True, False)
        pid = g.pid()
        api.VM.power_state_reset(vm)
        t.eq(power(api, vm), "Halted", "Halted after power_state_reset")
        t.ok(wait_until(lambda: not pid_alive(pid), 30), "its QEMU is gone")

    with t.section("restart reconciliation"):
        a = make_vm("recon-a")
        b = make_vm("recon-b")
        ga, gb = Guest(x, api.VM.get_uuid(a)), Guest(x, api.VM.get_uuid(b))
        api.VM.start(a, True, False)
        api.VM.start(b, True, False)
        t.ok(api.VM.get_domid(a) != api.VM.get_domid(b), "distinct domids (%s, %s)" %
             (api.VM.get_domid(a), api.VM.get_domid(b)))
        pa, pb = ga.pid(), gb.pid()
        x.kill9()
        os.kill(pa, signal.SIGKILL)
        wait_until(lambda: not pid_alive(pa), 30)
        import sqlite3
        db = sqlite3.connect(os.path.join(x.state_dir, "xapi.db"))
        db.execute('DELETE FROM "VM" WHERE _ref = ?', (b,))
        db.commit()
        db.close()
        x.start()
        api = x.login()
        t.eq(power(api, a), "Halted", "a VM whose QEMU died while xapid was down is Halted")
        aid = api.VM.get_uuid(a)
        t.ok(any(m["obj_uuid"] == aid and m["name"] == "VM_CRASHED"
                 for m in api.message.get_all_records().values()),
             "with a VM_CRASHED message")
        t.ok(wait_until(lambda: not pid_alive(pb), 30),
             "the QEMU of a VM whose record is gone is reaped")
        api.VM.destroy(a)

    with t.section("hard_shutdown, destroy"):
        api.VM.set_PV_args(vm, "console=ttyS0 quiet")
        api.VM.start(vm, True, False)
        t.eq(power(api, vm), "Paused", "start_paused gives Paused")
        api.VM.hard_shutdown(vm)
        t.eq(power(api, vm), "Halted", "hard_shutdown of a paused VM")
        t.fails(lambda: api.VM.hard_shutdown(vm), "VM_BAD_POWER_STATE",
                "hard_shutdown of a halted VM")
        api.VM.destroy(vm)
        t.ok(vm not in api.VM.get_all(), "destroyed")
        t.ok(not os.path.exists(g.dir), "its runtime directory is gone")
        t.eq(qemus_of(x.state_dir), [], "no QEMU left at the end")

    xe_section(t, x, api, kernel, initrd)


def find_xe():
    xe = os.environ.get("XE") or ""
    if not xe and os.environ.get("XAPID"):
        xe = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(os.environ["XAPID"]))),
                          "xe", "xe")
    return xe if xe and os.access(xe, os.X_OK) else None


def xe_section(t, x, api, kernel, initrd):
    xe = find_xe()
    if not xe:
        t.skip("xe vm-* commands", "no xe binary next to xapid (set XE=)")
        return
    env = dict(os.environ, XE_SOCKET=x.socket_path)

    def run(*args):
        p = subprocess.run([xe] + list(args), env=env, capture_output=True, text=True,
                           timeout=BOOT_TIMEOUT + 60)
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    with t.section("xe vm-install, vm-start, vm-pause, vm-shutdown, vm-destroy"):
        rc, out, err = run("vm-install", "template=Linux direct kernel boot (PVH)",
                           "new-name-label=xe-vm")
        t.eq(rc, 0, "xe vm-install", err)
        uuid = out.splitlines()[-1] if out else ""
        vm = api.VM.get_by_uuid(uuid)
        t.eq(api.VM.get_is_a_template(vm), False, "the installed VM is not a template")
        api.VM.set_memory_static_min(vm, str(192 * MiB))
        api.VM.set_memory_dynamic_min(vm, str(192 * MiB))
        api.VM.set_memory_dynamic_max(vm, str(192 * MiB))
        api.VM.set_memory_static_max(vm, str(192 * MiB))
        api.VM.set_PV_kernel(vm, kernel)
        api.VM.set_PV_ramdisk(vm, initrd)
        api.VM.set_PV_args(vm, "console=ttyS0 quiet")
        rc, out, err = run("vm-start", "uuid=" + uuid)
        t.eq(rc, 0, "xe vm-start", err)
        t.eq(power(api, vm), "Running", "Running after xe vm-start")
        rc, out, err = run("vm-start", "vm=xe-vm")
        t.ok(rc != 0, "xe vm-start of a running VM fails", err)
        t.eq(run("vm-pause", "vm=xe-vm")[0], 0, "xe vm-pause vm=<name>")
        t.eq(power(api, vm), "Paused", "Paused after xe vm-pause")
        t.eq(run("vm-unpause", "uuid=" + uuid)[0], 0, "xe vm-unpause")
        t.eq(power(api, vm), "Running", "Running after xe vm-unpause")
        rc, out, err = run("vm-shutdown", "uuid=" + uuid, "force=true")
        t.eq(rc, 0, "xe vm-shutdown force=true", err)
        t.eq(power(api, vm), "Halted", "Halted after xe vm-shutdown force=true")
        rc, out, err = run("vm-destroy", "uuid=" + uuid)
        t.eq(rc, 0, "xe vm-destroy", err)
        t.ok(vm not in api.VM.get_all(), "destroyed by xe")
        rc, out, err = run("vm-start", "vm=Linux direct kernel boot (PVH)")
        t.ok(rc != 0, "xe vm-start of a template name finds no VM", err)
        t.eq(qemus_of(x.state_dir), [], "no QEMU left after the xe section")


if __name__ == "__main__":
    harness.run(main)
