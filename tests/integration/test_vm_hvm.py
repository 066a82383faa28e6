# SPDX-License-Identifier: Apache-2.0
"""
HVM guests through the firmware (issue 3, item 2): the test guest made
bootable by GRUB (tests/guest/build-boot-image: a hybrid ISO, a CD and a
raw disk at once) is imported into VDIs and booted by four VMs at once
(one shared wait under TCG):

  cd    SeaBIOS, order "dc": the image as a CD, a blank disk → boots
  disk  SeaBIOS, order "c": the image as a virtio disk → boots
  blank SeaBIOS, order "c": only a blank disk → no marker, the firmware's
        "No bootable device" on the console
  uefi  firmware=uefi (OVMF + the VM's own nvram.fd), order "dc", the
        image as a CD → boots

Each boot must reach HALYARD-GUEST-UP on the serial console. QEMU's
command line carries the bootindex XAPI's order gives each device. Bad
firmware values → INVALID_VALUE before anything runs.
Skips (77) only when qemu-system-x86_64, OVMF or GRUB's tools are
missing or the guest cannot be built (no Debian mirror reachable).
"""
import os
import re
import shutil
import subprocess

import harness

MiB = 1 << 20
BOOT_TIMEOUT = 240


def boot_image():
    if not shutil.which("qemu-system-x86_64"):
        harness.skip("qemu-system-x86_64 is not installed")
    if not os.path.exists("/usr/share/OVMF/OVMF_CODE.fd"):
        harness.skip("OVMF (package ovmf) is not installed")
    cache = os.environ.get("GUEST_CACHE") or os.path.join(harness.REPO, "build", "guest")
    gdir = os.path.join(harness.REPO, "tests", "guest")
    r = subprocess.run([os.path.join(gdir, "build-guest"), cache], capture_output=True,
                       text=True, timeout=900)
    if r.returncode != 0:
        harness.skip("the test guest cannot be built here: %s" % r.stderr.strip()[-400:])
    d = r.stdout.strip().splitlines()[-1]
    r = subprocess.run([os.path.join(gdir, "build-boot-image"), d], capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        harness.skip("the boot image cannot be built here: %s" % r.stderr.strip()[-400:])
    return r.stdout.strip().splitlines()[-1]


def main(t, x):
    image = boot_image()
    with open(image, "rb") as f:
        data = f.read()
    api = x.login()
    sid = api.session
    pool = api.pool.get_all()[0]
    sr = api.pool.get_default_SR(pool)

    def vdi_new(size, name):
        return api.VDI.create({"SR": sr, "name_label": name, "name_description": "",
                               "virtual_size": str(size), "type": "user", "sharable": False,
                               "read_only": False, "other_config": {}, "sm_config": {},
                               "xenstore_data": {}, "tags": []})

    def put(vdi, body):
        return x.http("PUT", "/import_raw_vdi?session_id=%s&vdi=%s&format=raw" % (sid, vdi),
                      body=body, timeout=120).status

    def vbd(vm, vdi, dev, typ="Disk", mode="RW"):
        return api.VBD.create({"VM": vm, "VDI": vdi, "userdevice": dev, "bootable": False,
                               "mode": mode, "type": typ, "unpluggable": True, "empty": False,
                               "other_config": {}, "qos_algorithm_type": "",
                               "qos_algorithm_params": {}})

    def hvm_vm(name, **boot):
        return api.VM.create(harness.vm_record(
            name, memory_static_max=str(256 * MiB), memory_dynamic_max=str(256 * MiB),
            memory_dynamic_min=str(256 * MiB), memory_static_min=str(256 * MiB),
            domain_type="hvm", HVM_boot_params=boot, PV_args="",
            actions_after_shutdown="destroy", actions_after_reboot="restart",
            actions_after_crash="destroy"))

    def vmdir(vm):
        return os.path.join(x.state_dir, "vms", api.VM.get_uuid(vm))

    def con(vm):
        try:
            with open(os.path.join(vmdir(vm), "console.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def cmdline(vm):
        try:
            with open(os.path.join(vmdir(vm), "qemu.pid")) as f:
                pid = int(f.read().split()[0])
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return f.read().decode(errors="replace").split("\0")
        except (OSError, ValueError):
            return []

    def dev_arg(vm, vbd_dev):
        for a in cmdline(vm):
            if re.search(r"(^|,)id=vbd%s(,|$)" % vbd_dev, a):
                return a
        return ""

    vms, vdis = [], []
    try:
        with t.section("bad firmware: INVALID_VALUE, nothing runs"):
            bad = hvm_vm("hvm-bad", order="c", firmware="coreboot")
            vms.append(bad)
            t.fails(lambda: api.VM.start(bad, False, False), "INVALID_VALUE",
                    "firmware=coreboot", params=["HVM_boot_params:firmware", "coreboot"])
            t.eq(api.VM.get_power_state(bad), "Halted", "still Halted")
            t.ok(not os.path.exists(os.path.join(vmdir(bad), "qemu.pid")), "no QEMU started")

        with t.section("four HVM VMs: CD (dc), disk (c), blank (c), UEFI CD (dc)"):
            imgs = {}
            for k in ("cd", "disk", "uefi"):
                imgs[k] = vdi_new(len(data) + MiB - len(data) % MiB, "boot-" + k)
                vdis.append(imgs[k])
                t.eq(put(imgs[k], data), 200, "import the boot image for %s" % k)
            blanks = {}
            for k in ("cd", "blank", "uefi"):
                blanks[k] = vdi_new(16 * MiB, "blank-" + k)
                vdis.append(blanks[k])
            cd = hvm_vm("hvm-cd", order="dc")
            disk = hvm_vm("hvm-disk", order="c")
            blank = hvm_vm("hvm-blank", order="c")
            uefi = hvm_vm("hvm-uefi", order="dc", firmware="uefi")
            vms += [cd, disk, blank, uefi]
            vbd(cd, blanks["cd"], "0")
            vbd(cd, imgs["cd"], "3", typ="CD", mode="RO")
            vbd(disk, imgs["disk"], "0")
            vbd(blank, blanks["blank"], "0")
            vbd(uefi, blanks["uefi"], "0")
            vbd(uefi, imgs["uefi"], "3", typ="CD", mode="RO")
            for vm in (cd, disk, blank, uefi):
                api.VM.start(vm, False, False)
                t.eq(api.VM.get_power_state(vm), "Running", "%s runs" % api.VM.get_name_label(vm))

        with t.section("boot order → bootindex, firmware on QEMU's command line"):
            t.ok("bootindex=1" in dev_arg(cd, "3") and "ide-cd" in dev_arg(cd, "3"),
                 "dc: the CD first", dev_arg(cd, "3"))
            t.ok("bootindex=2" in dev_arg(cd, "0"), "dc: the disk second", dev_arg(cd, "0"))
            t.ok("bootindex=1" in dev_arg(disk, "0") and "virtio-blk" in dev_arg(disk, "0"),
                 "c: the virtio disk", dev_arg(disk, "0"))
            t.ok("strict=on" in ",".join(cmdline(disk)), "-boot strict=on")
            t.ok(not any("pflash" in a for a in cmdline(cd)), "bios: no pflash")
            t.ok(any("etc/sercon-port" in a for a in cmdline(cd)), "bios: SeaBIOS on the serial port")
            nv = os.path.join(vmdir(uefi), "nvram.fd")
            t.ok(any("OVMF_CODE.fd" in a and "readonly=on" in a for a in cmdline(uefi)),
                 "uefi: OVMF code read-only")
            t.ok(any(nv in a for a in cmdline(uefi)), "uefi: the VM's nvram.fd")
            t.eq(os.path.getsize(nv) if os.path.exists(nv) else -1,
                 os.path.getsize("/usr/share/OVMF/OVMF_VARS.fd"), "nvram.fd is a copy of OVMF_VARS")

        with t.section("each boot reaches the guest's marker; the blank one does not boot"):
            want = {"cd": cd, "disk": disk, "uefi": uefi}
            up = {}

            def all_up():
                for k, vm in want.items():
                    if k not in up and "HALYARD-GUEST-UP" in con(vm):
                        up[k] = True
                return len(up) == len(want)
            harness.wait_until(all_up, BOOT_TIMEOUT, 0.5)
            for k, vm in want.items():
                t.ok(k in up, "%s: HALYARD-GUEST-UP on the console" % k, con(vm)[-600:])
                t.ok("HALYARD-GRUB" in con(vm), "%s: booted through GRUB" % k)
            nb = harness.wait_until(lambda: "No bootable device" in con(blank), 60, 0.5)
            t.ok(nb, "blank: the firmware's no-bootable-device message", con(blank)[-600:])
            t.ok("HALYARD-GUEST-UP" not in con(blank) and "HALYARD-GRUB" not in con(blank),
                 "blank: no guest")

        with t.section("UEFI NVRAM stays with the VM; VM.destroy removes it"):
            nv = os.path.join(vmdir(uefi), "nvram.fd")
            api.VM.hard_shutdown(uefi)
            t.ok(os.path.exists(nv), "nvram.fd kept while Halted")
            api.VM.destroy(uefi)
            vms.remove(uefi)
            t.ok(not os.path.exists(nv), "nvram.fd gone with the VM")
    finally:
        for vm in vms:
            try:
                if api.VM.get_power_state(vm) != "Halted":
                    api.VM.hard_shutdown(vm)
                for b in api.VM.get_VBDs(vm):
                    api.VBD.destroy(b)
                api.VM.destroy(vm)
            except harness.XapiFailure:
                pass
        for v in vdis:
            try:
                api.VDI.destroy(v)
            except harness.XapiFailure:
                pass


harness.run(main)
