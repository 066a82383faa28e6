# SPDX-License-Identifier: Apache-2.0
"""
VM operations beyond the power cycle (issue 3), with one real guest boot:

- allowed_operations right from VM.create on (XAPI's per-state lists, only
  operations this server implements), after set_is_a_template and
  blocked_operations changes; VM.assert_operation_valid with XAPI's
  errors; VM.update_allowed_operations;
- memory setters with XAPI's constraint (MEMORY_CONSTRAINT_VIOLATION_ORDER),
  Halted-only static range/limits (VM_BAD_POWER_STATE), set_memory,
  the set_memory_{static,dynamic}_{min,max} shorthands; vCPU setters with
  INVALID_VALUE; set_ha_always_run -> ha_restart_priority;
- assert_can_boot_here, get_boot_record, get_allowed_VBD/VIF_devices,
  host.get_vms_which_prevent_evacuation / assert_can_evacuate / evacuate
  on a one-host pool (NO_HOSTS_AVAILABLE, CANNOT_EVACUATE_HOST);
- VM.clean_shutdown's timeout (xapid --clean-shutdown-timeout-s) ->
  VM_SHUTDOWN_TIMEOUT, VM.shutdown's fallback to hard_shutdown;
  actions_after_shutdown=restart on a guest poweroff, then destroy;
  two Async starts racing for memory only one of them fits in;
- live, on a running guest: set_VCPUs_number_live plugs a vCPU the guest
  brings online (HALYARD-CPUS 2 on its console), set_memory_dynamic_range
  deflates the virtio balloon (VM_metrics.memory_actual follows), growth
  beyond the host's free memory -> HOST_NOT_ENOUGH_FREE_MEMORY with the
  record unchanged, host.compute_free_memory follows the balloon target.

Skips (77) only when qemu-system-x86_64 is missing or the guest cannot be
built (no Debian mirror).
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import subprocess  # noqa: E402
from test_vm_lifecycle import (BOOT_TIMEOUT, Guest, find_xe, guest_files,  # noqa: E402
                               kill_qemus, pid_alive, qemus_of, wait_until)

MiB = 1 << 20
SHUTDOWN_TIMEOUT = 4  # xapid --clean-shutdown-timeout-s


def main(t, x):
    if not shutil.which("qemu-system-x86_64"):
        harness.skip("qemu-system-x86_64 is not installed (Debian: qemu-system-x86)")
    kernel, initrd = guest_files()
    try:
        body(t, x, kernel, initrd)
    finally:
        kill_qemus(x.state_dir)


def body(t, x, kernel, initrd):
    api = x.login()
    host = api.host.get_all()[0]
    tmpl = api.VM.get_by_name_label("Linux direct kernel boot (PVH)")[0]

    def make_vm(name, mem=256 * MiB, vcpus_max=2, **extra):
        fields = dict(memory_static_max=str(mem), memory_dynamic_max=str(mem),
                      memory_dynamic_min=str(mem), memory_static_min=str(64 * MiB),
                      VCPUs_max=str(vcpus_max), VCPUs_at_startup="1", domain_type="pvh",
                      PV_kernel=kernel, PV_ramdisk=initrd, PV_args="console=ttyS0 quiet",
                      actions_after_shutdown="destroy", actions_after_reboot="restart",
                      actions_after_crash="destroy")
        fields.update(extra)
        return api.VM.create(harness.vm_record(name, **fields))

    # A guest that ignores the power button: VM.shutdown's fallback.
    vm = make_vm("ops-vm", PV_args="console=ttyS0 quiet halyard.ignore_powerbutton=1")

    with t.section("allowed_operations from VM.create on"):
        ops = api.VM.get_allowed_operations(vm)
        for op in ("start", "start_on", "destroy", "changing_dynamic_range",
                   "changing_static_range", "changing_memory_limits", "changing_VCPUs",
                   "make_into_template"):
            t.ok(op in ops, "a new Halted VM allows %s" % op, ops)
        for op in ("clean_shutdown", "hard_shutdown", "pause", "resume", "changing_VCPUs_live"):
            t.ok(op not in ops, "a new Halted VM does not allow %s" % op, ops)
        tv = make_vm("ops-template")
        api.VM.set_is_a_template(tv, True)
        tops = api.VM.get_allowed_operations(tv)
        t.ok("start" not in tops and "changing_static_range" in tops and "destroy" in tops,
             "a template allows memory changes and destroy, not start", tops)
        t.fails(lambda: api.VM.assert_operation_valid(tv, "start"), "VM_IS_TEMPLATE",
                "assert_operation_valid(start) on a template", [tv])
        api.VM.destroy(tv)
        api.VM.add_to_blocked_operations(vm, "start", "maintenance")
        t.ok("start" not in api.VM.get_allowed_operations(vm),
             "a blocked operation leaves allowed_operations")
        t.fails(lambda: api.VM.assert_operation_valid(vm, "start"), "OPERATION_BLOCKED",
                "assert_operation_valid of a blocked operation", [vm, "maintenance"])
        t.fails(lambda: api.VM.start(vm, False, False), "OPERATION_BLOCKED",
                "VM.start of a blocked operation")
        api.VM.remove_from_blocked_operations(vm, "start")
        t.ok("start" in api.VM.get_allowed_operations(vm), "unblocked: start allowed again")
        t.eq(api.VM.assert_operation_valid(vm, "start"), "", "assert_operation_valid(start)")
        t.fails(lambda: api.VM.assert_operation_valid(vm, "hard_shutdown"),
                "VM_BAD_POWER_STATE", "assert_operation_valid(hard_shutdown) when Halted",
                [vm, "paused, suspended, running", "halted"])
        t.fails(lambda: api.VM.assert_operation_valid(vm, "no_such_op"), "INVALID_VALUE",
                "assert_operation_valid of a value outside vm_operations")
        t.eq(api.VM.update_allowed_operations(vm), "", "VM.update_allowed_operations")
        task = api.Async.VM.assert_operation_valid(vm, "changing_VCPUs_live")
        t.ok(wait_until(lambda: api.task.get_status(task) != "pending", 30),
             "Async.VM.assert_operation_valid finishes")
        t.eq(api.task.get_error_info(task)[:1], ["VM_BAD_POWER_STATE"],
             "…with VM_BAD_POWER_STATE for changing_VCPUs_live when Halted")
        api.task.destroy(task)

    with t.section("memory and vCPU settings of a Halted VM"):
        t.fails(lambda: api.VM.set_memory_dynamic_range(vm, str(300 * MiB), str(300 * MiB)),
                "MEMORY_CONSTRAINT_VIOLATION_ORDER", "dynamic range above static_max", [])
        t.fails(lambda: api.VM.set_memory_limits(vm, str(64 * MiB), str(128 * MiB),
                                                 str(96 * MiB), str(160 * MiB)),
                "MEMORY_CONSTRAINT_VIOLATION_ORDER", "limits out of order", [])
        t.eq(api.VM.get_memory_static_max(vm), str(256 * MiB), "nothing changed after the errors")
        api.VM.set_memory_limits(vm, str(32 * MiB), str(320 * MiB), str(128 * MiB), str(320 * MiB))
        r = api.VM.get_record(vm)
        t.eq([r["memory_static_min"], r["memory_dynamic_min"], r["memory_dynamic_max"],
              r["memory_static_max"], r["memory_target"]],
             [str(v * MiB) for v in (32, 128, 320, 320, 128)], "set_memory_limits")
        api.VM.set_memory(vm, str(256 * MiB))
        r = api.VM.get_record(vm)
        t.eq([r["memory_dynamic_min"], r["memory_dynamic_max"], r["memory_static_max"]],
             [str(256 * MiB)] * 3, "set_memory pins dynamic and static max")
        t.fails(lambda: api.VM.set_memory_static_max(vm, str(128 * MiB)),
                "MEMORY_CONSTRAINT_VIOLATION_ORDER", "set_memory_static_max below dynamic_max")
        api.VM.set_memory_dynamic_min(vm, str(128 * MiB))
        api.VM.set_memory_static_range(vm, str(64 * MiB), str(384 * MiB))
        api.VM.set_memory_dynamic_max(vm, str(384 * MiB))
        r = api.VM.get_record(vm)
        t.eq([r["memory_static_min"], r["memory_dynamic_min"], r["memory_dynamic_max"],
              r["memory_static_max"]], [str(v * MiB) for v in (64, 128, 384, 384)],
             "the min/max shorthands and set_memory_static_range")
        api.VM.set_memory(vm, str(256 * MiB))
        text = "VCPU values must satisfy: 0 < VCPUs_at_startup ≤ VCPUs_max"
        t.fails(lambda: api.VM.set_VCPUs_at_startup(vm, "3"), "INVALID_VALUE",
                "VCPUs_at_startup above VCPUs_max", [text, "3"])
        t.fails(lambda: api.VM.set_VCPUs_max(vm, "0"), "INVALID_VALUE", "VCPUs_max 0", [text, "0"])
        api.VM.set_VCPUs_max(vm, "3")
        api.VM.set_VCPUs_at_startup(vm, "2")
        t.fails(lambda: api.VM.set_VCPUs_max(vm, "1"), "INVALID_VALUE",
                "VCPUs_max below VCPUs_at_startup", [text, "1"])
        api.VM.set_VCPUs_at_startup(vm, "1")
        api.VM.set_VCPUs_max(vm, "2")
        t.eq([api.VM.get_VCPUs_max(vm), api.VM.get_VCPUs_at_startup(vm)], ["2", "1"],
             "set_VCPUs_max / set_VCPUs_at_startup")
        t.fails(lambda: api.VM.set_VCPUs_number_live(vm, "2"), "VM_BAD_POWER_STATE",
                "set_VCPUs_number_live on a Halted VM", [vm, "running", "halted"])
        api.VM.set_ha_always_run(vm, True)
        t.eq(api.VM.get_ha_restart_priority(vm), "restart", "set_ha_always_run true -> restart")
        api.VM.set_ha_always_run(vm, False)
        t.eq(api.VM.get_ha_restart_priority(vm), "", "set_ha_always_run false -> ''")
        t.fails(lambda: api.VM.set_ha_restart_priority(vm, "sometimes"), "INVALID_VALUE",
                "an unknown restart priority", ["ha_restart_priority", "sometimes"])
        t.eq(api.VM.get_current_operations(vm), {}, "no operation left behind")

    with t.section("boot checks and device lists"):
        t.eq(api.VM.assert_can_boot_here(vm, host), "", "assert_can_boot_here on this host")
        huge = make_vm("ops-huge", mem=1 << 50)
        e = t.fails(lambda: api.VM.assert_can_boot_here(huge, host), "HOST_NOT_ENOUGH_FREE_MEMORY",
                    "assert_can_boot_here of a VM larger than the host")
        api.VM.destroy(huge)
        cpus = int(api.host.get_cpu_info(host)["cpu_count"])
        wide = make_vm("ops-wide", vcpus_max=cpus + 1)
        t.fails(lambda: api.VM.assert_can_boot_here(wide, host), "HOST_NOT_ENOUGH_PCPUS",
                "more vCPUs than the host has", [str(cpus + 1), str(cpus)])
        api.VM.destroy(wide)
        t.eq(api.VM.get_boot_record(vm)["uuid"], api.VM.get_uuid(vm), "get_boot_record")
        vbd_all = [str(i) for i in range(255)]
        t.eq(api.VM.get_allowed_VBD_devices(vm), vbd_all, "all VBD devices 0..254 are free")
        t.eq(api.VM.get_allowed_VIF_devices(vm), [str(i) for i in range(7)],
             "all VIF devices 0..6 are free")
        vbd = None
        try:
            vbd = api.VBD.create({"VM": vm, "VDI": "OpaqueRef:NULL", "userdevice": "xvdb",
                                  "bootable": False, "mode": "RO", "type": "CD", "empty": True,
                                  "unpluggable": True, "other_config": {},
                                  "qos_algorithm_type": "", "qos_algorithm_params": {}})
        except harness.XapiFailure as e:
            t.note("VBD.create is not available here (%s): device list checked without VBDs" % e)
        if vbd:
            t.eq(api.VM.get_allowed_VBD_devices(vm), [d for d in vbd_all if d != "1"],
                 "a VBD on xvdb takes device 1")
            api.VBD.destroy(vbd)
        t.eq(api.host.get_vms_which_prevent_evacuation(host), {},
             "nothing prevents evacuating a host without running VMs")
        t.eq(api.host.evacuate(host), "", "host.evacuate with nothing to move")

    xe_section(t, x, api, make_vm)
    accel_section(t, x, api, kernel, initrd)

    g = Guest(x, api.VM.get_uuid(vm))
    with t.section("live vCPU and memory changes"):
        free0 = int(api.host.compute_free_memory(host))
        api.VM.start(vm, False, False)
        t.ok(wait_until(lambda: g.markers() >= 1, BOOT_TIMEOUT), "the guest booted",
             g.console()[-1500:])
        t.ok(wait_until(lambda: "HALYARD-CPUS 1" in g.console(), 30), "the guest has 1 vCPU")
        ops = api.VM.get_allowed_operations(vm)
        t.ok("changing_VCPUs_live" in ops and "changing_dynamic_range" in ops and
             "changing_static_range" not in ops, "allowed_operations of the running VM", ops)
        t.fails(lambda: api.VM.set_memory_static_max(vm, str(128 * MiB)), "VM_BAD_POWER_STATE",
                "set_memory_static_max while Running", [vm, "halted", "running"])
        t.fails(lambda: api.VM.set_VCPUs_number_live(vm, "3"), "INVALID_VALUE",
                "more vCPUs than VCPUs_max",
                ["VCPU values must satisfy: 0 < VCPUs ≤ VCPUs_max", "3"])
        rc, out, err = xe_run(x, "vm-vcpu-hotplug", "vm=ops-vm", "new-vcpus=2")
        t.eq(rc, 0, "xe vm-vcpu-hotplug vm=ops-vm new-vcpus=2", err)
        t.ok(wait_until(lambda: "HALYARD-CPUS 2" in g.console(), 60),
             "the guest brought the hot-plugged vCPU online", g.console()[-800:])
        m = api.VM.get_metrics(vm)
        t.eq(api.VM_metrics.get_VCPUs_number(m), "2", "VM_metrics.VCPUs_number")
        t.eq(api.VM.get_VCPUs_at_startup(vm), "2", "VCPUs_at_startup follows")
        t.eq(int(api.host.compute_free_memory(host)), free0 - 256 * MiB,
             "compute_free_memory counts the running VM")
        rc, out, err = xe_run(x, "vm-memory-dynamic-range-set", "uuid=" + api.VM.get_uuid(vm),
                              "min=128MiB", "max=160MiB")
        t.eq(rc, 0, "xe vm-memory-dynamic-range-set min=128MiB max=160MiB", err)
        r = api.VM.get_record(vm)
        t.eq([r["memory_dynamic_min"], r["memory_dynamic_max"]], [str(128 * MiB), str(160 * MiB)],
             "the dynamic range is recorded")
        actual = int(api.VM_metrics.get_memory_actual(m))
        t.ok(abs(actual - 160 * MiB) <= MiB, "the balloon deflated the guest to 160 MiB "
             "(memory_actual %d MiB)" % (actual // MiB))
        t.eq(int(api.host.compute_free_memory(host)), free0 - 160 * MiB,
             "compute_free_memory follows the balloon target")
        # Growth beyond the host's free memory is refused and changes nothing:
        # a paused filler VM takes all but 32 MiB.
        free1 = int(api.host.compute_free_memory(host))
        filler = make_vm("ops-filler", mem=free1 - 32 * MiB, vcpus_max=1)
        api.VM.set_memory_static_min(filler, str(64 * MiB))
        api.VM.start(filler, True, False)
        t.eq(int(api.host.compute_free_memory(host)), 32 * MiB, "32 MiB left with the filler")
        t.fails(lambda: api.VM.set_memory_dynamic_range(vm, str(128 * MiB), str(256 * MiB)),
                "HOST_NOT_ENOUGH_FREE_MEMORY", "growing the balloon beyond the free memory",
                [str(96 * MiB), str(32 * MiB)])
        t.eq(api.VM.get_memory_dynamic_max(vm), str(160 * MiB), "the range is unchanged")
        t.eq(api.VM.get_current_operations(vm), {}, "no operation left behind")
        api.VM.hard_shutdown(filler)
        api.VM.destroy(filler)
        api.VM.set_memory_dynamic_range(vm, str(128 * MiB), str(256 * MiB))
        actual = int(api.VM_metrics.get_memory_actual(m))
        t.ok(abs(actual - 256 * MiB) <= MiB, "the balloon inflated back to 256 MiB "
             "(memory_actual %d MiB)" % (actual // MiB))
        evac = api.host.get_vms_which_prevent_evacuation(host)
        t.eq(evac, {vm: ["NO_HOSTS_AVAILABLE", vm]},
             "a running VM prevents evacuating a one-host pool")
        t.fails(lambda: api.host.assert_can_evacuate(host), "CANNOT_EVACUATE_HOST",
                "host.assert_can_evacuate", ["NO_HOSTS_AVAILABLE," + vm])
        t.fails(lambda: api.host.evacuate(host), "NO_HOSTS_AVAILABLE", "host.evacuate", [vm])

    with t.section("clean_shutdown timeout and VM.shutdown's fallback"):
        t.fails(lambda: api.VM.clean_shutdown(vm), "VM_SHUTDOWN_TIMEOUT",
                "clean_shutdown of a guest that ignores the power button",
                [vm, str(SHUTDOWN_TIMEOUT)])
        t.eq(api.VM.get_power_state(vm), "Running", "still Running after the timeout")
        t.eq(api.VM.get_current_operations(vm), {}, "no operation left behind")
        api.VM.shutdown(vm)
        t.eq(api.VM.get_power_state(vm), "Halted", "VM.shutdown forced it off after the timeout")
        t.eq(int(api.host.compute_free_memory(host)), free0, "the memory is free again")

    with t.section("guest poweroff with actions_after_shutdown restart, then destroy"):
        api.VM.set_PV_args(vm, "console=ttyS0 quiet halyard.poweroff_after=1")
        api.VM.set_actions_after_shutdown(vm, "restart")
        n = g.markers()
        api.VM.start(vm, False, False)
        t.ok(wait_until(lambda: g.markers() >= n + 2, BOOT_TIMEOUT),
             "the guest powered off and was restarted (marker twice)", g.console()[-600:])
        t.eq(api.VM.get_power_state(vm), "Running", "Running after the restart")
        # on_normal_exit has destroy and restart only (no preserve).
        t.fails(lambda: api.VM.set_actions_after_shutdown(vm, "preserve"), "INVALID_VALUE",
                "actions_after_shutdown=preserve is no on_normal_exit value")
        api.VM.set_actions_after_shutdown(vm, "destroy")
        t.ok(wait_until(lambda: api.VM.get_power_state(vm) == "Halted", BOOT_TIMEOUT),
             "with destroy, the next guest poweroff halts the VM")
        t.ok(wait_until(lambda: not qemus_of(x.state_dir), 30), "its QEMU is gone")
        api.VM.destroy(vm)

    with t.section("concurrent starts racing for the last memory"):
        free = int(api.host.compute_free_memory(host))
        size = (free * 3 // 5) // MiB * MiB
        racers = [make_vm("race-%d" % i, mem=size, vcpus_max=1) for i in range(2)]
        for r in racers:
            api.VM.set_memory_static_min(r, str(64 * MiB))
        tasks = [api.Async.VM.start(r, True, False) for r in racers]
        t.ok(wait_until(lambda: all(api.task.get_status(k) != "pending" for k in tasks),
                        BOOT_TIMEOUT), "both starts finish")
        st = sorted(api.task.get_status(k) for k in tasks)
        t.eq(st, ["failure", "success"], "exactly one start wins")
        for k in tasks:
            if api.task.get_status(k) == "failure":
                t.eq(api.task.get_error_info(k)[0], "HOST_NOT_ENOUGH_FREE_MEMORY",
                     "the other gets HOST_NOT_ENOUGH_FREE_MEMORY")
        t.eq(sorted(api.VM.get_power_state(r) for r in racers), ["Halted", "Paused"],
             "one VM Paused, the other Halted")
        for r in racers:
            if api.VM.get_power_state(r) != "Halted":
                api.VM.hard_shutdown(r)
            api.VM.destroy(r)
        for k in tasks:
            api.task.destroy(k)
        t.eq(int(api.host.compute_free_memory(host)), free, "all the memory is free again")
        t.eq(qemus_of(x.state_dir), [], "no QEMU left")


def accel_section(t, x, api, kernel, initrd):
    """The KVM probe: a second xapid with a probe guest and a private cache."""
    host = api.host.get_all()[0]
    forced = os.environ.get("HALYARD_ACCEL")
    with t.section("accelerator: recorded, probed once per machine boot"):
        oc = api.host.get_other_config(host)
        t.eq(oc.get("accelerator"), forced if forced in ("kvm", "tcg") else "tcg",
             "without a probe guest xapid records tcg (or HALYARD_ACCEL)")
        if forced:
            t.skip("the KVM probe", "HALYARD_ACCEL is set")
            return
        cache = os.path.join(x.tmp, "kvm-probe")
        env_keep = {k: os.environ.get(k) for k in ("HALYARD_KVM_PROBE_CACHE",
                                                   "HALYARD_KVM_PROBE_TIMEOUT_S")}
        os.environ["HALYARD_KVM_PROBE_CACHE"] = cache
        os.environ["HALYARD_KVM_PROBE_TIMEOUT_S"] = "20"
        y = harness.Xapid(x.binary, extra_args=["--kvm-probe-kernel", kernel,
                                                "--kvm-probe-initrd", initrd])
        try:
            y.start()
            b = y.login()
            h = b.host.get_all()[0]
            t.eq(b.host.get_other_config(h).get("accelerator"), "tcg",
                 "TCG while the probe runs (xapid is ready at once)")
            t.ok(wait_until(lambda: any("xapid: accelerator" in l for l in y.output), 90),
                 "the probe decides", y.output[-5:])
            with open("/proc/sys/kernel/random/boot_id") as f:
                boot = f.read().strip()
            with open(cache) as f:
                got = f.read().split()
            t.ok(len(got) == 2 and got[0] == boot and got[1] in ("kvm", "tcg"),
                 "the result is cached for this machine boot (%s)" % got)
            acc = got[1] if len(got) == 2 else "?"
            t.note("probe result on this machine: %s (%s)" % (acc, [l for l in y.output
                                                                  if "accelerator" in l]))
            t.ok(not os.access("/dev/kvm", os.R_OK | os.W_OK) or acc == "kvm" or
                 any("did not boot under KVM" in l for l in y.output),
                 "tcg only without usable /dev/kvm or when the guest did not boot under KVM")
            t.eq(b.host.get_other_config(h).get("accelerator"), acc,
                 "host.other_config:accelerator")
            caps = b.host.get_capabilities(h)
            t.ok("qemu-%s-x86_64" % acc in caps and
                 not any(c.startswith("qemu-") and c != "qemu-%s-x86_64" % acc for c in caps),
                 "host.capabilities names it", caps)
            y.stop()
            n = len(y.output)
            y.start()
            t.ok(any("probed earlier this boot" in l for l in y.output[n:]),
                 "a restart reuses the cached result (no second probe)", y.output[n:])
            b = y.login()
            t.eq(b.host.get_other_config(h).get("accelerator"), acc, "still recorded")
        finally:
            y.stop()
            y.cleanup()
            for k, v in env_keep.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def xe_run(x, *args, stdin=None):
    xe = find_xe()
    if not xe:
        return 127, "", "no xe binary"
    p = subprocess.run([xe] + list(args), env=dict(os.environ, XE_SOCKET=x.socket_path),
                       capture_output=True, text=True, timeout=120, input=stdin)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def xe_section(t, x, api, make_vm):
    if not find_xe():
        t.skip("xe vm-memory-*, vm-uninstall, selectors", "no xe binary (set XE=)")
        return
    with t.section("xe: selectors, memory commands, vm-uninstall, host-compute-free-memory"):
        a = make_vm("xe-a")
        ua = api.VM.get_uuid(a)
        twins = [make_vm("xe-twin"), make_vm("xe-twin")]
        rc, out, err = xe_run(x, "vm-memory-set", "vm=xe-twin", "memory=200MiB")
        t.ok(rc != 0 and "Multiple matches VMs found. --multiple required to complete the "
             "operation" in err, "two matches without --multiple: XAPI's error", err)
        rc, out, err = xe_run(x, "vm-memory-set", "vm=xe-twin", "memory=200MiB", "--multiple")
        t.eq(rc, 0, "xe vm-memory-set --multiple", err)
        t.eq([api.VM.get_memory_static_max(v) for v in twins], [str(200 * MiB)] * 2,
             "…set on both VMs")
        rc, out, err = xe_run(x, "vm-memory-set", "vm=no-such-vm", "memory=200MiB")
        t.ok(rc != 0 and "No matching VMs found" in err, "no match: XAPI's error", err)
        rc, out, err = xe_run(x, "vm-memory-set", "name-label=xe-a", "power-state=running",
                              "memory=200MiB")
        t.ok(rc != 0 and "No matching VMs found" in err, "power-state=running filters out "
             "a halted VM", err)
        rc, out, err = xe_run(x, "vm-memory-set", "name-label=xe-a", "power-state=halted",
                              "memory=192MiB")
        t.eq(rc, 0, "name-label= and power-state=halted select the VM", err)
        t.eq(api.VM.get_memory_dynamic_max(a), str(192 * MiB), "…memory set")
        rc, out, err = xe_run(x, "vm-memory-set", "vm=xe-a", "bogus=1", "memory=192MiB")
        t.ok(rc != 0 and "Parameter 'bogus' is not a field of the VM class" in err,
             "a parameter that is no VM field", err)
        rc, out, err = xe_run(x, "vm-memory-limits-set", "uuid=" + ua, "static-min=64MiB",
                              "static-max=256MiB", "dynamic-min=128MiB", "dynamic-max=256MiB")
        t.eq(rc, 0, "xe vm-memory-limits-set", err)
        rc, out, err = xe_run(x, "vm-memory-dynamic-range-set", "vm=" + ua, "min=300MiB",
                              "max=300MiB")
        t.ok(rc != 0 and "MEMORY_CONSTRAINT_VIOLATION_ORDER" in err,
             "xe vm-memory-dynamic-range-set beyond static-max", err)
        rc, out, err = xe_run(x, "vm-memory-static-range-set", "vm=xe-a", "min=32MiB",
                              "max=320MiB")
        t.eq(rc, 0, "xe vm-memory-static-range-set", err)
        rc, out, err = xe_run(x, "vm-memory-target-set", "vm=xe-a", "target=160MiB")
        t.eq(rc, 0, "xe vm-memory-target-set", err)
        r = api.VM.get_record(a)
        t.eq([r["memory_static_min"], r["memory_dynamic_min"], r["memory_dynamic_max"],
              r["memory_static_max"]], [str(v * MiB) for v in (32, 160, 160, 320)],
             "limits, static range and target as set by xe")
        rc, out, err = xe_run(x, "vm-memory-set", "vm=xe-a", "memory=lots")
        t.ok(rc != 0 and "memory" in err, "a size xe cannot parse", err)
        host = api.host.get_all()[0]
        rc, out, err = xe_run(x, "host-compute-free-memory")
        t.eq(out, api.host.compute_free_memory(host), "xe host-compute-free-memory", err)
        rc, out, err = xe_run(x, "vm-vcpu-hotplug", "vm=xe-a", "new-vcpus=2")
        t.ok(rc != 0 and "VM_BAD_POWER_STATE" in err, "xe vm-vcpu-hotplug on a halted VM", err)
        rc, out, err = xe_run(x, "vm-uninstall", "vm=xe-a", stdin="no\n")
        t.ok(rc != 0 and a in api.VM.get_all(), "vm-uninstall without 'yes' destroys nothing",
             out + err)
        rc, out, err = xe_run(x, "vm-uninstall", "vm=xe-a", "force=true")
        t.ok(rc == 0 and "All objects destroyed" in out and a not in api.VM.get_all(),
             "xe vm-uninstall force=true", out + err)
        rc, out, err = xe_run(x, "vm-uninstall", "vm=xe-twin", "--multiple", "force=true")
        t.ok(rc == 0 and not any(v in api.VM.get_all() for v in twins),
             "xe vm-uninstall --multiple", out + err)


if __name__ == "__main__":
    harness.run(main, extra_args=["--clean-shutdown-timeout-s", str(SHUTDOWN_TIMEOUT)])
