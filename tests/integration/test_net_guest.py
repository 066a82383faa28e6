# SPDX-License-Identifier: Apache-2.0
"""
Networking with real guests (issue 5, item 4): two QEMU guests of the
test guest (tests/guest/build-guest) on one VLAN network of a userspace
Open vSwitch in a private namespace (netenv.py), each with a VIF that
xapid attaches as the tap vif<domid>.<device> (port tagged, external_ids)
and QEMU's virtio-net NIC. Checked:
  - at VM.start the VIFs are plugged: taps on the switch with the VLAN
    tag, currently_attached, QEMU has the NIC (the guests configure eth0
    from halyard.ip and ping each other: busybox ping in the guest,
    results on the serial console);
  - a namespace on another VLAN network (a dom0 VIF) reaches neither;
  - VIF.unplug of a running guest's VIF: its port goes, the peer's
    pings fail; a VIF with device 9 hot-plugged as its only NIC carries
    the pings and unplugs; VIF.plug (QMP hotplug): port back, pings pass
    again;
  - VIF.move of a running guest's VIF to the other VLAN: now the
    namespace there reaches it and the other guest does not;
  - VM.hard_reboot: a new domid, the port of the old one gone, the new
    one there; an xapid restart keeps the ports of running guests;
    suspend removes the port, resume brings it back (and the guest
    answers); QEMU killed and VM.hard_shutdown: the VM's ports and taps
    leave the switch and its VIFs are currently_attached=false.
  - a VIF that cannot be attached fails VM.start, the VM stays Halted with
    nothing left: an unmanaged network whose bridge is not on the switch
    and xapid without a network backend → BRIDGE_NOT_AVAILABLE [bridge];
    a managed network whose bridge was deleted behind xapid's back gets
    it made again at VM.start (as XAPI brings the network up).
Two guest boots (and one QEMU start without waiting for the guest). Skips (77) without root, OVS, QEMU or when the guest
cannot be built.
"""
import os
import re
import harness
import netenv
from netenv import sh

MiB = 1 << 20
BOOT_TIMEOUT = 240


def vif_ports(w):
    """The vif<domid>.<dev> ports of guests (not dom0's) on every bridge."""
    out = set()
    for br in w.vsctl("list-br").split():
        for p in w.vsctl("list-ports", br).split():
            if p.startswith("vif") and not p.startswith("vif0."):
                out.add(p)
    return out


def qemus_with(uuid):
    """Pids of QEMU processes whose command line names uuid."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"qemu-system" in cmd and uuid.encode() in cmd:
            found.append(int(pid))
    return found


def main(t, x, w):
    kernel, initrd = harness.guest_files()
    api = x.local_api()
    api.login("root", "")
    host = api.host.get_all()[0]
    dom0 = api.host.get_control_domain(host)
    pif = None
    for ref, r in api.PIF.get_all_records().items():
        if r["device"] == "eth1" and r["VLAN"] == "-1":
            pif = ref
    t.ok(pif, "a PIF for eth1")
    api.PIF.plug(pif)
    mk = lambda name: api.network.create({"name_label": name, "name_description": "", "MTU": "1500",
                                          "other_config": {}})
    n10, n20 = mk("vlan10"), mk("vlan20")
    api.VLAN.create(pif, "10", n10)
    api.VLAN.create(pif, "20", n20)

    def vif_rec(vm, dev, net):
        return {"device": dev, "network": net, "VM": vm, "MAC": "", "MTU": "1500",
                "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}}

    # The far end on VLAN 20: a namespace behind a dom0 VIF.
    vc = api.VIF.create(vif_rec(dom0, "5", n20))
    nsc = w.guest("c", "vif0.5", "10.77.0.9/24", api.VIF.get_MAC(vc))
    api.VIF.plug(vc)

    ips = {"a": "10.77.0.1", "b": "10.77.0.2"}
    vms, vifs = {}, {}
    for name, peer in (("a", "b"), ("b", "a")):
        vm = api.VM.create(harness.vm_record(
            "net-guest-" + name, memory_static_max=str(128 * MiB), memory_dynamic_max=str(128 * MiB),
            memory_dynamic_min=str(128 * MiB), memory_static_min=str(128 * MiB), domain_type="pvh",
            PV_kernel=kernel, PV_ramdisk=initrd,
            PV_args="console=ttyS0 quiet halyard.ip=%s/24 halyard.ping=%s" % (ips[name], ips[peer]),
            actions_after_shutdown="destroy", actions_after_reboot="restart",
            actions_after_crash="destroy"))
        vms[name] = vm
        vifs[name] = api.VIF.create(vif_rec(vm, "0", n10))

    def console(name):
        p = os.path.join(x.state_dir, "vms", api.VM.get_uuid(vms[name]), "console.log")
        try:
            with open(p, errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def pings(name, dst, since):
        """The guest's ping results to dst after console line `since`."""
        return [l.split()[2] for l in console(name)[since:] if l.startswith("HALYARD-PING %s " % dst)]

    def settles(name, dst, want, since, timeout=BOOT_TIMEOUT):
        """True once the guest's last 3 ping results after `since` are `want`."""
        def ok():
            r = pings(name, dst, since)
            return len(r) >= 3 and r[-3:] == [want] * 3
        return harness.wait_until(ok, timeout, 0.2)

    try:
        with t.section("VM.start plugs the VIFs: taps on the switch, NICs in QEMU"):
            for name in ("a", "b"):
                api.VM.start(vms[name], False, False)
            dom = {n: int(api.VM.get_domid(vms[n])) for n in ("a", "b")}
            t.ok(dom["a"] > 0 and dom["b"] > 0 and dom["a"] != dom["b"],
                 "two domids, distinct and > 0", dom)
            port = {n: "vif%d.0" % dom[n] for n in dom}
            t.eq(vif_ports(w), set(port.values()), "the switch has exactly the two guests' ports")
            t.eq(w.vsctl("get", "port", port["a"], "tag"), "10", "a's port tagged 10 (VLAN network)")
            t.eq(w.vsctl("port-to-br", port["a"]), "xenbr1", "on the VLAN's parent bridge")
            ids = w.vsctl("get", "interface", port["b"], "external_ids")
            t.ok(api.VIF.get_uuid(vifs["b"]) in ids and api.VM.get_uuid(vms["b"]) in ids,
                 "port external_ids carry the VIF's and VM's uuids", ids)
            t.ok(all(api.VIF.get_currently_attached(vifs[n]) for n in ("a", "b")),
                 "the VIFs are currently_attached")
            tun = sh("cat", "/sys/class/net/%s/tun_flags" % port["a"], ns=w.host, check=False)
            t.ok(tun.returncode == 0, "the port is a tap device")

        with t.section("the two guests reach each other; another VLAN reaches neither"):
            ok_a = settles("a", ips["b"], "ok", 0)
            ok_b = settles("b", ips["a"], "ok", 0)
            t.ok(ok_a, "guest a pings guest b (busybox ping in the guest)",
                 "\n".join(console("a")[-15:]))
            t.ok(ok_b, "guest b pings guest a", "\n".join(console("b")[-15:]))
            if not (ok_a and ok_b):
                return
            t.ok(not w.reaches(nsc, ips["a"], tries=3), "VLAN 20 -> guest a: no reply")
            t.ok(not w.reaches(nsc, ips["b"], tries=3), "VLAN 20 -> guest b: no reply")
            def vif_ds():
                names = [d["name_label"] for d in api.VM.get_data_sources(vms["a"])]
                return [n for n in names if n.startswith("vif_0_")]
            ds = harness.wait_until(vif_ds, 60, 0.5)
            t.ok("vif_0_rx" in (ds or []) and "vif_0_tx" in (ds or []),
                 "the VM has vif_0_rx/tx data sources (its tap's counters)", ds)

        with t.section("VIF.unplug / VIF.plug on a running guest (QMP hotplug)"):
            mark = len(console("a"))
            api.VIF.unplug(vifs["b"])
            t.eq(api.VIF.get_currently_attached(vifs["b"]), False, "unplugged: currently_attached false")
            t.eq(vif_ports(w), {port["a"]}, "b's port left the switch")
            t.ok(settles("a", ips["b"], "fail", mark, 60), "a's pings to b fail",
                 pings("a", ips["b"], mark)[-10:])
            try:
                api.VIF.unplug(vifs["b"])
                t.ok(False, "unplug twice -> DEVICE_ALREADY_DETACHED", "no error")
            except harness.XapiFailure as f:
                t.eq(f.code, "DEVICE_ALREADY_DETACHED", "unplug twice -> DEVICE_ALREADY_DETACHED")
            # A VIF with device 9 hot-plugged as b's only NIC (the guest
            # names it eth0 and gives it halyard.ip): ports 8..15 share a slot.
            mark = len(console("a"))
            v9 = api.VIF.create(vif_rec(vms["b"], "9", n10))
            api.VIF.plug(v9)
            t.eq(api.VIF.get_currently_attached(v9), True, "device 9 hot-plugged: currently_attached")
            t.eq(w.vsctl("get", "port", "vif%d.9" % dom["b"], "tag"), "10", "its port vif%d.9 tagged 10" % dom["b"])
            t.ok(settles("a", ips["b"], "ok", mark, 90), "a's pings to b pass through b's NIC of device 9",
                 pings("a", ips["b"], mark)[-10:] + console("b")[-8:])
            api.VIF.unplug(v9)
            t.eq(api.VIF.get_currently_attached(v9), False, "device 9 unplugged (the guest released it)")
            api.VIF.destroy(v9)
            mark = len(console("a"))
            api.VIF.plug(vifs["b"])
            t.eq(api.VIF.get_currently_attached(vifs["b"]), True, "plugged: currently_attached true")
            t.eq(vif_ports(w), set(port.values()), "b's port is back")
            t.ok(settles("a", ips["b"], "ok", mark, 90), "a's pings to b pass again (hot-plugged NIC)",
                 pings("a", ips["b"], mark)[-10:] + console("b")[-8:])

        with t.section("VIF.move of a running guest's VIF to the other VLAN"):
            mark = len(console("a"))
            api.VIF.move(vifs["b"], n20)
            t.eq(w.vsctl("get", "port", port["b"], "tag"), "20", "b's port now tagged 20")
            t.ok(w.reaches(nsc, ips["b"], tries=15), "VLAN 20 namespace -> guest b: ping passes")
            t.ok(settles("a", ips["b"], "fail", mark, 60), "guest a -> guest b across VLANs: no reply")

        with t.section("hard_reboot gives a new domid and moves the port"):
            api.VM.hard_reboot(vms["a"])
            new = int(api.VM.get_domid(vms["a"]))
            t.ok(new > 0 and new != dom["a"], "a new domid", (dom["a"], new))
            t.eq(vif_ports(w), {"vif%d.0" % new, port["b"]}, "old port gone, vif%d.0 there" % new)
            t.eq(api.VIF.get_currently_attached(vifs["a"]), True, "a's VIF attached to the new domain")

        with t.section("xapid restart keeps the ports of running guests"):
            # Ports and tags (the interface rows are re-made by the start-time
            # reconciliation, so their uuids are left out).
            layout = lambda: re.sub(r" ifaces=\[[^]]*\]", "", w.switch_state())
            before = layout()
            x.restart()
            api = x.local_api()
            api.login("root", "")
            t.eq(layout(), before, "the same ports and tags after the restart")
            t.ok(all(api.VIF.get_currently_attached(vifs[n]) for n in ("a", "b")),
                 "the VIFs are still currently_attached")
            t.ok(w.reaches(nsc, ips["b"], tries=15), "guest b still answers on VLAN 20")

        with t.section("suspend / resume: the port goes and comes back"):
            api.VM.suspend(vms["b"])
            t.eq(vif_ports(w), {"vif%d.0" % new}, "b's port gone while Suspended")
            t.eq(api.VIF.get_currently_attached(vifs["b"]), False, "b's VIF detached while Suspended")
            api.VM.resume(vms["b"], False, False)
            pb = "vif%s.0" % api.VM.get_domid(vms["b"])
            t.eq(vif_ports(w), {"vif%d.0" % new, pb}, "b's port back after resume (%s)" % pb)
            t.eq(w.vsctl("get", "port", pb, "tag"), "20", "still on VLAN 20")
            t.eq(api.VIF.get_currently_attached(vifs["b"]), True, "b's VIF attached again")
            t.ok(w.reaches(nsc, ips["b"], tries=25), "the resumed guest answers through its NIC")

        with t.section("the VM stops: ports leave the switch, VIFs detached"):
            pidf = os.path.join(x.state_dir, "vms", api.VM.get_uuid(vms["a"]), "qemu.pid")
            with open(pidf) as f:
                os.kill(int(f.read().strip()), 9)
            gone = harness.wait_until(lambda: api.VM.get_power_state(vms["a"]) == "Halted", 60, 0.2)
            t.ok(gone, "a's QEMU killed: the VM is Halted")
            t.eq(vif_ports(w), {pb}, "a's port gone after its QEMU died")
            t.eq(api.VIF.get_currently_attached(vifs["a"]), False, "a's VIF currently_attached false")
            api.VM.hard_shutdown(vms["b"])
            t.eq(vif_ports(w), set(), "b's port gone after hard_shutdown: no guest port left")
            t.eq(api.VIF.get_currently_attached(vifs["b"]), False, "b's VIF currently_attached false")
            links = sh("ip", "-o", "link", ns=w.host).stdout
            t.ok(("vif%d.0" % new) not in links and (pb + ":") not in links, "and no tap is left")
            api.VIF.unplug(vc)

        with t.section("a VIF that cannot be attached fails VM.start"):
            def nothing_left(vm, what):
                r = api.VM.get_record(vm)
                t.eq((r["power_state"], r["domid"]), ("Halted", "-1"), what + ": VM Halted, no domid")
                t.eq(vif_ports(w), set(), what + ": no guest port on the switch")
                links = sh("ip", "-o", "link", ns=w.host).stdout
                t.ok(not re.search(r"\d+: vif[1-9]", links), what + ": no tap left", links)
                t.ok(not any(api.VIF.get_currently_attached(v) for v in r["VIFs"]),
                     what + ": VIFs detached")

            nu = api.network.create({"name_label": "unmanaged", "name_description": "", "MTU": "1500",
                                     "other_config": {}, "managed": False, "bridge": "hxnobr0"})
            vu = api.VIF.create(vif_rec(vms["b"], "2", nu))
            try:
                api.VM.start(vms["b"], False, False)
                t.ok(False, "VM.start with a VIF on a bridge the switch lacks fails", "it started")
            except harness.XapiFailure as f:
                t.eq((f.code, f.params), ("BRIDGE_NOT_AVAILABLE", ["hxnobr0"]),
                     "VM.start with a VIF on a bridge the switch lacks -> BRIDGE_NOT_AVAILABLE")
            nothing_left(vms["b"], "after BRIDGE_NOT_AVAILABLE")
            api.VIF.destroy(vu)

            n30 = mk("deleted-bridge")
            br30 = api.network.get_bridge(n30)
            v30 = api.VIF.create(vif_rec(vms["b"], "1", n30))
            sh("ovs-vsctl", "--db=unix:" + w.db, "--timeout=10", "del-br", br30)
            t.ok(br30 not in w.vsctl("list-br").split(), "the network's bridge deleted behind xapid")
            api.VM.start(vms["b"], False, False)
            db = api.VM.get_domid(vms["b"])
            t.eq(w.vsctl("port-to-br", "vif%s.1" % db), br30,
                 "VM.start made the bridge again and put the VIF's port on it")
            t.eq(api.VIF.get_currently_attached(v30), True, "that VIF is currently_attached")

        with t.section("QEMU killed -9 while xapid is down: ports and taps reaped at start"):
            taps = {"vif%s.0" % db, "vif%s.1" % db}
            t.eq(vif_ports(w), taps, "b's two ports on the switch")
            ub = api.VM.get_uuid(vms["b"])
            t.ok(qemus_with(ub), "b's QEMU runs")
            x.kill9()
            for pid in qemus_with(ub):
                os.kill(pid, 9)
            t.ok(harness.wait_until(lambda: not qemus_with(ub), 30, 0.1), "b's QEMU killed -9")
            x.start()
            api = x.local_api()
            api.login("root", "")
            t.eq(api.VM.get_power_state(vms["b"]), "Halted", "b is Halted after the restart")
            t.eq(vif_ports(w), set(), "no guest port left on the switch")
            links = sh("ip", "-o", "link", ns=w.host).stdout
            t.ok(not any(p + ":" in links or p + "@" in links for p in taps), "no tap of b left", links)
            t.eq(api.VIF.get_currently_attached(v30), False, "b's VIFs currently_attached false")
            api.VIF.destroy(v30)

        with t.section("no network backend: VM.start with VIFs fails"):
            x.stop()
            w.extra_env = {"HALYARD_NET_BACKEND": "none"}
            try:
                x.start()
                api = x.local_api()
                api.login("root", "")
                try:
                    api.VM.start(vms["a"], False, False)
                    t.ok(False, "VM.start with VIFs and no network backend fails", "it started")
                except harness.XapiFailure as f:
                    t.eq(f.code, "BRIDGE_NOT_AVAILABLE",
                         "VM.start with VIFs and no network backend -> BRIDGE_NOT_AVAILABLE %s" % f.params)
                nothing_left(vms["a"], "without a backend")
                t.eq(qemus_with(api.VM.get_uuid(vms["a"])), [], "no QEMU runs for the VM")
            finally:
                x.stop()
                w.extra_env = {}
                x.start()
                api = x.local_api()
                api.login("root", "")
    finally:
        for vm in vms.values():
            if api.VM.get_power_state(vm) != "Halted":
                api.VM.hard_shutdown(vm)


def setup(w):
    w.wire = w.netns("wire")
    w.nic("eth1", w.wire, "w1")


if __name__ == "__main__":
    netenv.run(main, "ng", setup)
