# SPDX-License-Identifier: Apache-2.0
"""
Networking on a real userspace Open vSwitch, one xapid in a private
network namespace (netenv.py). Veths eth1..eth3 stand in for NICs,
namespaces for guests (dom0 VIFs vif0.N) and for the machines behind the
NICs. Checked, each against the switch itself (ovs-vsctl / ovs-ofctl)
and with real packets (ping between namespaces):

  - the backend is recorded on the host; first-start PIF scan makes PIFs
    (MAC, MTU, metrics) and networks with their bridges on the switch
  - network.create / destroy make and remove bridges; bad bridge names
  - VLAN.create: a fake bridge with the tag; bad tag, one-member bond,
    second VLAN with the same tag, VLAN on a VLAN → the XenAPI error and
    no change on the switch
  - VLAN separation: guests on one VLAN network reach each other, a guest
    on another VLAN network does not
  - locked VIF: the own address passes, a spoofed source is dropped;
    disabled drops everything; unlocked lets all through
  - ovs-vswitchd killed and restarted: the locked VIF's rules and the meter come
    back without any API call, a spoofed source is dropped again
  - rate-limited VIF: throughput near the limit and far below the
    unlimited rate (measured, compared with a generous factor only)
  - active-backup bond: traffic keeps flowing when a member goes down
  - Bond.create / destroy move the members' VLANs (same tag: merged) and
    tunnels onto the master and back to the primary member: records,
    fake bridges and VIF ports on the switch, VLAN 31 pings to the far
    side (a raw-socket responder) before, during and after the bond; a
    destroy failing part-way leaves switch and records as they were
  - PIF.unplug / forget of the management PIF, management_reconfigure
    without an IP configuration → the errors
  - kill -9 of xapid with a port on the switch the database does not know
    → after restart the switch matches the database
  - a xapid restart leaves existing VIF ports alone (same Port/Interface
    _uuid and ofport); a VIF's tap gets the network's MTU; 50 VLANs
    through the API → 50 fake bridges; after ovsdb-server and
    ovs-vswitchd restart, xapid's cache resyncs and a new VLAN and VIF work
"""
import json
import os
import re
import signal
import subprocess
import time

import harness
import netenv
from netenv import sh


def pif_by_device(api, host, dev):
    for ref, r in api.PIF.get_all_records().items():
        if r["device"] == dev and r["VLAN"] == "-1" and r["host"] == host:
            return ref
    return None


def main(t, x, w):
    api = x.root_api()
    host = api.host.get_all()[0]
    dom0 = api.host.get_control_domain(host)

    t.note("== backend and bootstrap")
    sv = api.host.get_software_version(host)
    t.eq(sv.get("network_backend"), "openvswitch", "software_version:network_backend")
    t.eq(api.host.get_other_config(host).get("network_backend"), "openvswitch",
         "other_config:network_backend")
    pifs = {r["device"]: (ref, r) for ref, r in api.PIF.get_all_records().items()}
    t.ok(all(d in pifs for d in ("eth1", "eth2", "eth3")), "PIFs for eth1..eth3", sorted(pifs))
    ref1, r1 = pifs["eth1"]
    mac1 = sh("cat", "/sys/class/net/eth1/address", ns=w.host).stdout.strip()
    t.eq(r1["MAC"], mac1, "PIF MAC is the NIC's")
    t.eq(r1["MTU"], "1500", "PIF MTU")
    t.eq(r1["physical"], True, "PIF is physical")
    t.ok(r1["currently_attached"] is False, "a scanned NIC is not taken over")
    m = api.PIF_metrics.get_record(r1["metrics"])
    t.eq(m["carrier"], True, "PIF_metrics carrier of an up veth")
    net1 = r1["network"]
    br1 = api.network.get_bridge(net1)
    t.eq(br1, "xenbr1", "eth1's network bridge is xenbr1")
    t.ok(br1 in w.vsctl("list-br").split(), "xenbr1 exists on the switch")
    t.eq(w.vsctl("get", "bridge", br1, "datapath_type"), "netdev", "userspace datapath")
    api.PIF.scan(host)
    t.eq(len(api.PIF.get_all()), len(pifs), "a second PIF.scan adds nothing")

    t.note("== network.create / destroy")
    before = w.switch_state()
    n = api.network.create({"name_label": "internal", "name_description": "", "MTU": "1500",
                            "other_config": {}})
    br = api.network.get_bridge(n)
    t.ok(br.startswith("xapi"), "internal network gets a xapi<N> bridge", br)
    t.ok(br in w.vsctl("list-br").split(), "its bridge is on the switch")
    t.fails(lambda: api.network.create({"name_label": "dup", "name_description": "", "MTU": "1500",
                                         "other_config": {}, "bridge": br}),
          "BRIDGE_NAME_EXISTS", "network.create with a bridge in use -> BRIDGE_NAME_EXISTS")
    t.fails(lambda: api.network.create({"name_label": "bad", "name_description": "", "MTU": "1500",
                                         "other_config": {}, "bridge": "a bad name;"}),
          "INVALID_VALUE", "network.create with a bad bridge name -> INVALID_VALUE")
    t.fails(lambda: api.network.create({"name_label": "bad", "name_description": "", "MTU": "9",
                                         "other_config": {}}),
          "INVALID_VALUE", "network.create with MTU 9 -> INVALID_VALUE")
    api.network.destroy(n)
    t.ok(br not in w.vsctl("list-br").split(), "network.destroy removes the bridge")
    t.eq(w.switch_state(), before, "the switch is as before")

    t.note("== VLANs")
    api.PIF.plug(ref1)
    t.eq(w.vsctl("port-to-br", "eth1"), "xenbr1", "PIF.plug puts eth1 on xenbr1")
    mk = lambda name: api.network.create({"name_label": name, "name_description": "", "MTU": "1500",
                                          "other_config": {}})
    n10, n20 = mk("vlan10"), mk("vlan20")
    before = w.switch_state()
    t.fails(lambda: api.VLAN.create(ref1, "4095", n10), "VLAN_TAG_INVALID",
          "VLAN tag 4095 -> VLAN_TAG_INVALID")
    t.fails(lambda: api.VLAN.create(ref1, "-1", n10), "VLAN_TAG_INVALID",
          "VLAN tag -1 -> VLAN_TAG_INVALID")
    t.eq(w.switch_state(), before, "no change on the switch after the bad tags")
    v10 = api.VLAN.create(ref1, "10", n10)
    v20 = api.VLAN.create(ref1, "20", n20)
    b10, b20 = api.network.get_bridge(n10), api.network.get_bridge(n20)
    t.eq(w.vsctl("port-to-br", b10), "xenbr1", "VLAN 10's bridge is a fake bridge on xenbr1")
    t.eq(w.vsctl("get", "port", b10, "tag"), "10", "with tag 10")
    t.eq(w.vsctl("get", "port", b20, "tag"), "20", "and VLAN 20 with tag 20")
    t.ok(b10 not in w.vsctl("list-br").split(), "no standalone bridge left for the VLAN network")
    up10 = api.VLAN.get_untagged_PIF(v10)
    t.eq(api.PIF.get_VLAN(up10), "10", "untagged PIF VLAN=10")
    t.eq(api.PIF.get_device(up10), "eth1", "untagged PIF device eth1")
    before = w.switch_state()
    n30 = mk("vlan30")
    before = w.switch_state()
    t.fails(lambda: api.VLAN.create(ref1, "10", n30), "VLAN_IN_USE",
          "a second VLAN 10 on eth1 -> VLAN_IN_USE")
    t.fails(lambda: api.VLAN.create(up10, "30", n30), "PIF_IS_VLAN",
          "a VLAN on a VLAN PIF -> PIF_IS_VLAN")
    t.fails(lambda: api.VLAN.create(ref1, "30", n10), "NETWORK_ALREADY_CONNECTED",
          "a second VLAN on the same network -> NETWORK_ALREADY_CONNECTED")
    t.eq(w.switch_state(), before, "no change on the switch after the refusals")

    t.note("== VLAN separation with guests")
    g = {}
    vifs = {}
    plan = [("a", n10, "10.10.0.1/24"), ("b", n10, "10.10.0.2/24"), ("c", n20, "10.10.0.3/24")]
    for i, (name, net, ip) in enumerate(plan):
        vifs[name] = api.VIF.create({"device": str(i), "network": net, "VM": dom0, "MAC": "",
                                     "MTU": "1500", "other_config": {}, "qos_algorithm_type": "",
                                     "qos_algorithm_params": {}})
        g[name] = w.guest(name, "vif0.%d" % i, ip, api.VIF.get_MAC(vifs[name]))
        api.VIF.plug(vifs[name])
    t.eq(w.vsctl("port-to-br", "vif0.0"), "xenbr1", "VIF port on the VLAN's parent bridge")
    t.eq(w.vsctl("get", "port", "vif0.0", "tag"), "10", "VIF port tagged 10")
    t.eq(w.vsctl("get", "port", "vif0.2", "tag"), "20", "VIF on VLAN 20 tagged 20")
    ids = w.vsctl("get", "interface", "vif0.0", "external_ids")
    t.ok(api.VIF.get_uuid(vifs["a"]) in ids, "port external_ids carry xs-vif-uuid", ids)
    t.ok(w.reaches(g["a"], "10.10.0.2"), "a -> b on VLAN 10: ping passes")
    t.ok(not w.reaches(g["a"], "10.10.0.3", tries=3), "a -> c across VLANs 10/20: no reply")
    t.ok(not w.reaches(g["c"], "10.10.0.2", tries=3), "c -> b across VLANs: no reply")
    t.fails(lambda: api.VIF.plug(vifs["a"]), "DEVICE_ALREADY_ATTACHED",
          "VIF.plug twice -> DEVICE_ALREADY_ATTACHED")
    mac = api.VIF.get_MAC(vifs["a"])
    t.ok(len(mac) == 17 and int(mac[:2], 16) & 2 == 2 and api.VIF.get_MAC_autogenerated(vifs["a"]),
         "generated MAC is locally administered", mac)
    t.fails(lambda: api.VIF.create({"device": "0", "network": n10, "VM": dom0, "MAC": "",
                                     "MTU": "1500", "other_config": {}, "qos_algorithm_type": "",
                                     "qos_algorithm_params": {}}),
          "DEVICE_ALREADY_EXISTS", "VIF device 0 twice -> DEVICE_ALREADY_EXISTS")
    t.fails(lambda: api.VIF.create({"device": "9", "network": n10, "VM": dom0, "MAC": "zz",
                                     "MTU": "1500", "other_config": {}, "qos_algorithm_type": "",
                                     "qos_algorithm_params": {}}),
          "MAC_INVALID", "VIF with MAC zz -> MAC_INVALID")

    vm = api.VM.create(harness.vm_record("halted-vm"))
    hv = api.VIF.create({"device": "", "network": n10, "VM": vm, "MAC": "02:00:00:00:00:42",
                         "MTU": "1500", "other_config": {}, "qos_algorithm_type": "",
                         "qos_algorithm_params": {}})
    t.eq(api.VIF.get_device(hv), "0", "VIF.create with no device gets device 0")
    t.eq(api.VIF.get_MAC_autogenerated(hv), False, "a given MAC is kept (not autogenerated)")
    before = w.switch_state()
    t.fails(lambda: api.VIF.plug(hv), "VM_BAD_POWER_STATE", "VIF.plug on a Halted VM -> VM_BAD_POWER_STATE")
    t.fails(lambda: api.VIF.unplug(hv), "DEVICE_ALREADY_DETACHED", "VIF.unplug when unplugged -> DEVICE_ALREADY_DETACHED")
    t.eq(w.switch_state(), before, "no change on the switch")
    t.fails(lambda: api.network.destroy(n10), "NETWORK_CONTAINS_PIF", "network.destroy of a VLAN network -> NETWORK_CONTAINS_PIF")
    api.VIF.destroy(hv)
    api.VM.destroy(vm)

    t.note("== VIF.move")
    api.VIF.move(vifs["c"], n10)
    t.eq(w.vsctl("get", "port", "vif0.2", "tag"), "10", "moved VIF's port now tagged 10")
    t.ok(w.reaches(g["a"], "10.10.0.3"), "a -> c after the move: ping passes")
    api.VIF.move(vifs["c"], n20)
    t.ok(not w.reaches(g["a"], "10.10.0.3", tries=3), "moved back: separated again")

    t.note("== locking")
    api.VIF.set_ipv4_allowed(vifs["a"], ["10.10.0.1"])
    api.VIF.set_locking_mode(vifs["a"], "locked")
    flows = w.ofctl("xenbr1", "dump-flows")
    t.ok("nw_src=10.10.0.1" in flows and "actions=drop" in flows, "locked: OpenFlow rules on the port",
         flows)
    t.ok(w.reaches(g["a"], "10.10.0.2"), "locked VIF: its own address passes")
    sh("ip", "addr", "add", "10.10.0.99/24", "dev", "eth0", ns=g["a"])
    t.ok(not w.reaches(g["a"], "10.10.0.2", src="10.10.0.99", tries=3),
         "locked VIF: spoofed source 10.10.0.99 is dropped")
    t.ok(w.reaches(g["a"], "10.10.0.2", src="10.10.0.1"), "locked VIF: own address still passes")
    api.VIF.add_ipv4_allowed(vifs["a"], "10.10.0.99")
    t.ok(w.reaches(g["a"], "10.10.0.2", src="10.10.0.99"), "after add_ipv4_allowed the second address passes")
    t.fails(lambda: api.VIF.add_ipv4_allowed(vifs["a"], "10.10.0.300"), "INVALID_IP_ADDRESS_SPECIFIED",
          "add_ipv4_allowed 10.10.0.300 -> INVALID_IP_ADDRESS_SPECIFIED")
    api.VIF.set_locking_mode(vifs["a"], "disabled")
    t.ok(not w.reaches(g["a"], "10.10.0.2", tries=3), "disabled VIF: nothing passes")
    api.VIF.set_locking_mode(vifs["a"], "unlocked")
    t.ok(w.reaches(g["a"], "10.10.0.2", src="10.10.0.99"), "unlocked VIF: any source passes")
    t.ok("actions=drop" not in w.ofctl("xenbr1", "dump-flows"), "unlocked: no drop rule left")

    t.note("== rate limit")
    rate = lambda: throughput(w, g["a"], g["b"], "10.10.0.2")
    free_rate = rate()
    api.VIF.unplug(vifs["a"])
    api.VIF.set_qos_algorithm_type(vifs["a"], "ratelimit")
    api.VIF.set_qos_algorithm_params(vifs["a"], {"kbps": "250"})  # 250 KB/s = 2 Mbit/s
    api.VIF.plug(vifs["a"])
    t.eq(w.vsctl("get", "interface", "vif0.0", "ingress_policing_rate"), "2000",
         "ingress_policing_rate = 8 * kbps")
    t.ok(w.reaches(g["a"], "10.10.0.2"), "rate-limited VIF still passes pings")
    lim_rate = rate()
    t.note("throughput a->b: unlimited %.1f Mbit/s, limited to 2 Mbit/s: %.2f Mbit/s" %
           (free_rate / 1e6, lim_rate / 1e6))
    flows = w.ofctl("xenbr1", "dump-flows")
    t.ok("meter:" in flows, "a meter on the rate-limited port's flow", flows)
    t.ok(lim_rate < 2e6 * 3, "limited rate is near the limit (below 3x 2 Mbit/s)", lim_rate)
    t.ok(free_rate > 3 * lim_rate, "unlimited rate is well above the limited one", (free_rate, lim_rate))
    t.ok(lim_rate > 2e6 / 20, "limited VIF still carries traffic", lim_rate)

    t.note("== bonds")
    far = w.far
    ref2, ref3 = pifs["eth2"][0], pifs["eth3"][0]
    t.fails(lambda: api.Bond.create(n10, [ref2], "", "active-backup", {}),
          "PIF_BOND_NEEDS_MORE_MEMBERS", "bond of one PIF -> PIF_BOND_NEEDS_MORE_MEMBERS")
    bn0 = mk("bn0")
    before = w.switch_state()
    t.fails(lambda: api.Bond.create(bn0, [ref2, up10], "", "active-backup", {}),
          "PIF_IS_VLAN", "bond with a VLAN PIF -> PIF_IS_VLAN")
    t.eq(w.switch_state(), before, "no bond on the switch after the refusal")
    bnet = mk("bonded")
    bond = api.Bond.create(bnet, [ref2, ref3], "", "active-backup", {})
    master = api.Bond.get_master(bond)
    bdev = api.PIF.get_device(master)
    bbr = api.network.get_bridge(bnet)
    t.eq(w.vsctl("get", "port", bdev, "bond_mode"), "active-backup", "bond port in active-backup")
    t.eq(w.vsctl("port-to-br", bdev), bbr, "bond port on the bond network's bridge")
    t.eq(sorted(api.Bond.get_slaves(bond)), sorted([ref2, ref3]), "Bond.slaves")
    t.fails(lambda: api.Bond.create(mk("bn2"), [ref2, ref3], "", "active-backup", {}),
          "PIF_ALREADY_BONDED", "bonding bonded PIFs again -> PIF_ALREADY_BONDED")
    t.fails(lambda: api.PIF.plug(ref2), "CANNOT_PLUG_BOND_SLAVE",
          "PIF.plug of a member -> CANNOT_PLUG_BOND_SLAVE")
    vd = api.VIF.create({"device": "3", "network": bnet, "VM": dom0, "MAC": "", "MTU": "1500",
                         "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    gd = w.guest("d", "vif0.3", "10.20.0.1/24", api.VIF.get_MAC(vd))
    api.VIF.plug(vd)
    t.ok(w.reaches(gd, "10.20.0.254", tries=30), "guest reaches the far side through the bond")
    show = w.appctl("bond/show", bdev)
    # "active member mac: <mac>(ethN)": the member carrying the traffic.
    active = "eth3" if "(eth3)" in show.split("active member mac")[-1].split("\n")[0] else "eth2"
    t.note("bond/show before: " + " | ".join(show.splitlines()[:12]))
    sh("ip", "link", "set", active, "down", ns=w.host)
    ok = w.reaches(gd, "10.20.0.254", tries=40)
    t.ok(ok, "active-backup: traffic flows after member %s went down" % active,
         w.appctl("bond/show", bdev))
    sh("ip", "link", "set", active, "up", ns=w.host)
    api.Bond.set_mode(bond, "balance-slb")
    t.eq(w.vsctl("get", "port", bdev, "bond_mode"), "balance-slb", "Bond.set_mode balance-slb")
    api.Bond.set_property(bond, "updelay", "100")
    t.eq(w.vsctl("get", "port", bdev, "other_config:bond-updelay"), '"100"', "Bond.set_property updelay")
    t.fails(lambda: api.Bond.set_property(bond, "nonsense", "1"), "INVALID_VALUE",
          "unknown bond property -> INVALID_VALUE")

    t.note("== Bond.destroy gives the members back (management and IP config to the primary)")
    api.PIF.reconfigure_ip(master, "Static", "10.20.0.5", "255.255.255.0", "", "")
    api.host.management_reconfigure(master)
    t.ok(w.reaches(w.host, "10.20.0.254", tries=30), "the host reaches the far side on the bond's address")
    mgmt_before = [r for r in api.PIF.get_all_records().values() if r["management"]]
    api.Bond.destroy(bond)
    t.ok(bond not in api.Bond.get_all() and master not in api.PIF.get_all(),
         "Bond.destroy removes the Bond and its master PIF")
    t.ok(bdev not in w.vsctl("list-ports", bbr).split(), "the bond port left the switch",
         w.vsctl("list-ports", bbr))
    for ref, dev in ((ref2, "eth2"), (ref3, "eth3")):
        r = api.PIF.get_record(ref)
        own = api.network.get_bridge(r["network"])
        t.eq((r["currently_attached"], r["bond_slave_of"]), (True, "OpaqueRef:NULL"),
             "%s: attached again, no longer a bond member" % dev)
        t.eq(w.vsctl("port-to-br", dev), own, "%s is a port of its own bridge %s again" % (dev, own))
    r2 = api.PIF.get_record(ref2)
    br2 = api.network.get_bridge(r2["network"])
    t.eq([r["device"] for r in api.PIF.get_all_records().values() if r["management"]], ["eth2"],
         "management moved from the bond (was %s) to the primary member eth2" %
         [r["device"] for r in mgmt_before])
    t.eq((r2["ip_configuration_mode"], r2["IP"], r2["netmask"]), ("Static", "10.20.0.5", "255.255.255.0"),
         "the primary member has the bond's IP configuration")
    a2 = sh("ip", "-4", "-o", "addr", "show", "dev", br2, ns=w.host).stdout
    ab = sh("ip", "-4", "-o", "addr", "show", "dev", bbr, ns=w.host).stdout
    t.ok("10.20.0.5/24" in a2 and "10.20.0.5" not in ab,
         "the address moved from the bond's bridge to %s" % br2, (a2, ab))
    t.eq(api.host.get_address(host), "10.20.0.5", "host.address unchanged")
    t.ok(w.reaches(w.host, "10.20.0.254", tries=30), "the host reaches the far side over the former member eth2")

    t.note("== VLANs and tunnels on the members before the bond")
    # The far side answers ARP and ping for 10.31.0.254 on VLAN 31 behind
    # both NICs (a raw-socket responder: this kernel has no 8021q module
    # nor bridge VLAN filtering).
    resp = subprocess.Popen(["ip", "netns", "exec", far, "python3", "-c", VLAN_RESPONDER,
                             "10.31.0.254", "31", "f2", "f3"], stdout=subprocess.PIPE, text=True)
    w.procs = getattr(w, "procs", []) + [resp]
    t.eq(resp.stdout.readline().strip(), "ready", "VLAN 31 responder on the far side")
    n31, n31b = mk("vlan31-eth2"), mk("vlan31-eth3")
    v31 = api.VLAN.create(ref2, "31", n31)
    v31b = api.VLAN.create(ref3, "31", n31b)
    b31, b31b = api.network.get_bridge(n31), api.network.get_bridge(n31b)
    ve = api.VIF.create({"device": "4", "network": n31, "VM": dom0, "MAC": "", "MTU": "1500",
                         "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    ge = w.guest("e", "vif0.4", "10.31.0.1/24", api.VIF.get_MAC(ve))
    api.VIF.plug(ve)
    t.eq((w.vsctl("port-to-br", b31), w.vsctl("get", "port", "vif0.4", "tag")), (br2, "31"),
         "VLAN 31 on eth2: fake bridge on %s, the VIF's port tagged 31" % br2)
    t.ok(w.reaches(ge, "10.31.0.254", tries=30), "a guest on VLAN 31 reaches the far side over eth2")
    tn = mk("tun-on-eth2")
    tun = api.tunnel.create(ref2, tn, "vxlan")  # eth2 has the Static address now

    t.note("== Bond.create takes the management interface and IP config from its primary member")
    bond2 = api.Bond.create(bnet, [ref3, ref2], "", "active-backup", {})
    master2 = api.Bond.get_master(bond2)
    t.eq(api.Bond.get_primary_slave(bond2), ref2, "the management member (listed second) is the primary")
    r = api.PIF.get_record(master2)
    t.eq((r["management"], r["ip_configuration_mode"], r["IP"], r["MAC"]),
         (True, "Static", "10.20.0.5", api.PIF.get_MAC(ref2)),
         "the bond's master is management with the member's IP configuration and MAC")
    r2 = api.PIF.get_record(ref2)
    t.eq((r2["management"], r2["ip_configuration_mode"], r2["IP"]), (False, "None", ""),
         "the member has none left")
    a2 = sh("ip", "-4", "-o", "addr", "show", "dev", br2, ns=w.host).stdout
    ab = sh("ip", "-4", "-o", "addr", "show", "dev", bbr, ns=w.host).stdout
    t.ok("10.20.0.5/24" in ab and "10.20.0.5" not in a2, "the address moved to the bond's bridge", (a2, ab))
    t.ok(w.reaches(w.host, "10.20.0.254", tries=30), "the host reaches the far side through the new bond")

    t.note("== Bond.create moved the members' VLANs and tunnel onto the master")
    mdev = api.PIF.get_device(master2)
    vr = api.VLAN.get_all_records()
    t.eq((v31b in vr, vr.get(v31b, {}).get("tagged_PIF")), (True, master2),
         "eth3's VLAN 31 (first member) now tagged on the bond's master")
    t.eq(api.PIF.get_device(api.VLAN.get_untagged_PIF(v31b)), mdev,
         "its untagged PIF has the master's device %s" % mdev)
    t.ok(v31 not in vr and n31 not in [p["network"] for p in api.PIF.get_all_records().values()],
         "eth2's VLAN 31 (same tag) is merged into it: VLAN and untagged PIF gone")
    t.eq(api.VIF.get_network(ve), n31b, "the merged VLAN's VIF moved to the surviving VLAN network")
    t.eq((w.vsctl("port-to-br", b31b), w.vsctl("port-to-br", "vif0.4"),
          w.vsctl("get", "port", "vif0.4", "tag")), (bbr, bbr, "31"),
         "on the switch: the VLAN bridge's parent and the VIF's port are the bond's bridge, tag 31")
    t.ok(b31 in w.vsctl("list-br").split(), "the emptied network has a bridge of its own again")
    t.ok(w.reaches(ge, "10.31.0.254", tries=30), "the guest on VLAN 31 reaches the far side through the bond")
    t.eq(api.tunnel.get_transport_PIF(tun), master2, "the tunnel's transport PIF is the master")
    check_vlans(t, api, w, "after Bond.create")
    vl40 = api.VLAN.create(master2, "40", mk("on-bond"))
    b40 = api.network.get_bridge(api.PIF.get_network(api.VLAN.get_untagged_PIF(vl40)))
    t.fails(lambda: api.VLAN.create(ref3, "41", mk("on-member")), "CANNOT_ADD_VLAN_TO_BOND_SLAVE",
          "a VLAN on a bond member -> CANNOT_ADD_VLAN_TO_BOND_SLAVE")

    t.note("== a Bond.destroy that fails part-way leaves the bond as it was")
    # eth2's bridge (empty while eth2 is bonded) vanishes behind xapid's back:
    # moving a VLAN's fake bridge there takes it off the bond's bridge, then fails.
    w.vsctl("del-br", br2)
    shape = lambda: re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "U", w.switch_state())
    recs = lambda: (api.VLAN.get_all_records(), api.Bond.get_all_records(),
                    {p: r for p, r in api.PIF.get_all_records().items() if r["device"] != "eth1"})
    before = (shape(), recs())
    t.fails(lambda: api.Bond.destroy(bond2), "INTERNAL_ERROR",
          "Bond.destroy with the primary member's bridge gone -> INTERNAL_ERROR")
    t.eq((shape(), recs()), before, "the switch and the records are as before the call")
    t.ok(w.reaches(ge, "10.31.0.254", tries=30), "the guest on VLAN 31 still reaches the far side")
    w.vsctl("add-br", br2, "--", "set", "bridge", br2, "datapath_type=netdev")
    for _ in range(50):
        if sh("ip", "link", "set", br2, "up", ns=w.host, check=False).returncode == 0:
            break
        time.sleep(0.1)

    api.Bond.destroy(bond2)
    t.eq([r["device"] for r in api.PIF.get_all_records().values() if r["management"]], ["eth2"],
         "destroyed again: management back on eth2")
    t.ok(w.reaches(w.host, "10.20.0.254", tries=30), "and the host reaches the far side over eth2")

    t.note("== Bond.destroy moved the master's VLANs and tunnel to the primary member")
    vr = api.VLAN.get_all_records()
    t.eq(sorted((vr[v]["tag"], vr[v]["tagged_PIF"]) for v in (v31b, vl40) if v in vr),
         [("31", ref2), ("40", ref2)], "VLANs 31 and 40 are tagged on the primary member eth2")
    t.eq([api.PIF.get_device(api.VLAN.get_untagged_PIF(v)) for v in (v31b, vl40)], ["eth2", "eth2"],
         "their untagged PIFs have device eth2")
    t.eq((w.vsctl("port-to-br", b31b), w.vsctl("port-to-br", b40), w.vsctl("port-to-br", "vif0.4"),
          w.vsctl("get", "port", "vif0.4", "tag")), (br2, br2, br2, "31"),
         "on the switch: VLAN bridges and the VIF's port on eth2's bridge %s" % br2)
    left = [p for p in w.vsctl("list-ports", bbr).split() if p != "vif0.3"]
    t.eq(left, [], "nothing of the bond is left on its bridge %s (bond port, fake bridges)" % bbr)
    t.ok(w.reaches(ge, "10.31.0.254", tries=30), "the guest on VLAN 31 reaches the far side over eth2")
    t.eq(api.tunnel.get_transport_PIF(tun), ref2, "the tunnel's transport PIF is eth2 again")
    check_vlans(t, api, w, "after Bond.destroy")
    xe = xe_bin(x)
    if xe:
        out = subprocess.run([xe, "vlan-list", "tag=31", "params=tagged-PIF", "--minimal"],
                             capture_output=True, text=True,
                             env=dict(os.environ, XE_SOCKET=x.socket_path)).stdout.strip()
        t.eq(out, api.PIF.get_uuid(ref2), "xe vlan-list tag=31: tagged on eth2's PIF")
    api.VIF.unplug(ve)
    api.VIF.destroy(ve)
    resp.kill()
    resp.wait()
    api.tunnel.destroy(tun)
    for v in (v31b, vl40):
        api.VLAN.destroy(v)
    for n_ in (n31, n31b, tn):
        api.network.destroy(n_)
    api.VIF.move(vd, api.PIF.get_network(ref3))
    t.ok(w.reaches(gd, "10.20.0.254", tries=30), "a guest moved to eth3's network reaches the far side over eth3")

    t.note("== management interface")
    api.PIF.reconfigure_ip(ref1, "Static", "10.99.0.1", "255.255.255.0", "", "")
    t.fails(lambda: api.PIF.reconfigure_ip(ref1, "Static", "10.99.0.300", "255.255.255.0", "", ""),
          "INVALID_IP_ADDRESS_SPECIFIED", "reconfigure_ip with a bad address")
    addr = sh("ip", "-4", "-o", "addr", "show", "dev", "xenbr1", ns=w.host).stdout
    t.ok("10.99.0.1/24" in addr, "Static address on the PIF's bridge", addr)
    api.host.management_reconfigure(ref1)
    t.eq(api.PIF.get_management(ref1), True, "management_reconfigure sets management")
    t.eq(api.host.get_address(host), "10.99.0.1", "host address follows")
    t.fails(lambda: api.host.management_reconfigure(pifs["eth3"][0] if False else ref3),
          "PIF_HAS_NO_NETWORK_CONFIGURATION", "management on a PIF without IP -> PIF_HAS_NO_NETWORK_CONFIGURATION")
    t.eq(sum(1 for r in api.PIF.get_all_records().values() if r["management"]), 1,
         "still exactly one management PIF")
    before = w.switch_state()
    t.fails(lambda: api.PIF.unplug(ref1), "PIF_IS_MANAGEMENT_INTERFACE", "unplug management PIF")
    t.fails(lambda: api.PIF.forget(ref1), "PIF_IS_MANAGEMENT_INTERFACE", "forget management PIF")
    t.eq(w.switch_state(), before, "no change on the switch")

    t.note("== tunnel")
    tunnel_checks(t, api, w, ref1, dom0)

    t.note("== xe")
    xe_cmds(t, x, w, api, host, dom0)

    t.note("== crash: kill -9, a stale port, restart")
    api.VIF.unplug(vifs["b"])
    t.ok("vif0.1" not in w.vsctl("list-ports", "xenbr1").split(), "VIF.unplug removes the port")
    # What a crash between the switch change and the commit leaves behind:
    # a port the database does not know as attached.
    w.vsctl("add-port", "xenbr1", "vif0.1", "tag=10")
    # And a guest's tap whose port is already gone (QEMU killed -9 after
    # the port went, or a crash between port and tap removal).
    sh("ip", "tuntap", "add", "dev", "vif97.3", "mode", "tap", ns=w.host)
    x.kill9()
    x.start()
    links = sh("ip", "-o", "link", ns=w.host).stdout
    t.ok("vif97.3" not in links, "the stale tap vif97.3 is deleted at start", links)
    t.ok(" vif0.1@" in links, "a dom0 VIF's veth (not a tap of ours) is left alone", links)
    want = expected_ports(x.root_api())
    have = sorted(p for br in w.vsctl("list-br").split() for p in w.vsctl("list-ports", br).split()
                  if p.startswith("vif"))
    t.eq(have, want, "after restart the switch's VIF ports match the attached VIFs")
    t.ok("vif0.1" not in have, "the stale port is gone")
    api = x.root_api()
    t.ok(w.reaches(g["a"], "10.10.0.3") is False and w.reaches(g["c"], "10.10.0.3", tries=1) in (True, False),
         "the switch still separates after the restart")
    api.VIF.plug(vifs["b"])
    t.ok(w.reaches(g["a"], "10.10.0.2"), "replugged VIF passes after the restart")
    # kill -9 mid-way through a plug: whatever instant it hits, the restart converges.
    api.VIF.unplug(vifs["b"])
    task = api.Async.VIF.plug(vifs["b"])
    time.sleep(0.05)
    x.kill9()
    x.start()
    api = x.root_api()
    want = expected_ports(api)
    have = sorted(p for br in w.vsctl("list-br").split() for p in w.vsctl("list-ports", br).split()
                  if p.startswith("vif"))
    t.eq(have, want, "kill -9 during VIF.plug: after restart the switch matches the database")

    t.note("== xapid restart reconciles VIF ports in place")
    if not api.VIF.get_currently_attached(vifs["b"]):
        api.VIF.plug(vifs["b"])
    before = vif_rows(w)
    t.ok(len(before) >= 2, "VIF ports on the switch before the restart", sorted(before))
    x.restart()
    api = x.root_api()
    after = vif_rows(w)
    t.eq(after, before, "after a xapid restart every VIF port keeps its Port and Interface "
         "rows (_uuid) and ofport: none deleted or re-added")
    t.ok(w.reaches(g["a"], "10.10.0.2"), "traffic still flows after the restart")

    t.note("== tap MTU")
    n14 = api.network.create({"name_label": "mtu1400", "name_description": "", "MTU": "1400",
                              "other_config": {}})
    vm = api.VIF.create({"device": "9", "network": n14, "VM": dom0, "MAC": "", "MTU": "1400",
                         "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    api.VIF.plug(vm)
    mtu = sh("cat", "/sys/class/net/vif0.9/mtu", ns=w.host, check=False).stdout.strip()
    t.eq(mtu, "1400", "the VIF's tap has the network's MTU")
    api.VIF.unplug(vm)
    api.VIF.destroy(vm)
    api.network.destroy(n14)

    t.note("== 50 VLANs through the API")
    mk = lambda name: api.network.create({"name_label": name, "name_description": "", "MTU": "1500",
                                          "other_config": {}})
    bulk = [mk("bulk%d" % i) for i in range(50)]
    vlans = [api.VLAN.create(ref1, str(1000 + i), n) for i, n in enumerate(bulk)]
    want = {api.network.get_bridge(n): 1000 + i for i, n in enumerate(bulk)}
    ports = ovs_rows(w, "port", "name", "tag")
    on_br1 = set(w.vsctl("list-ports", "xenbr1").split())
    fake = {n: r["tag"] for n, r in ports.items() if n in want and n in on_br1}
    t.eq(fake, want, "50 VLAN.create calls -> 50 fake bridges (tagged internal ports) on xenbr1")
    standalone = set(ovs_rows(w, "bridge")) & set(want)
    t.eq(sorted(standalone), [], "no standalone bridge left for a VLAN network")
    for v in vlans:
        api.VLAN.destroy(v)
    for n in bulk:
        api.network.destroy(n)
    left = set(ovs_rows(w, "port")) & set(want)
    t.eq(sorted(left), [], "VLAN.destroy + network.destroy leave no fake bridge")

    t.note("== ovs-vswitchd crash: port security and meters come back without any call")
    api.VIF.set_locking_mode(vifs["a"], "locked")
    sh("ip", "addr", "add", "10.10.0.98/24", "dev", "eth0", ns=g["a"])
    t.ok(not w.reaches(g["a"], "10.10.0.2", src="10.10.0.98", tries=3),
         "locked VIF: spoofed source 10.10.0.98 is dropped before the crash")
    pidf = os.path.join(w.rundir, "ovs-vswitchd.pid")
    old = int(open(pidf).read().strip())
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 30  # a deadline for the test, not a timing check
    while os.path.exists("/proc/%d" % old) and time.monotonic() < deadline:
        time.sleep(0.05)
    out = subprocess.run([netenv.OVS, "start", w.rundir, w.host], capture_output=True, text=True)
    new = open(pidf).read().strip()
    t.ok(out.returncode == 0 and new != str(old), "ovs-vswitchd killed (SIGKILL) and restarted",
         out.stderr)
    deadline = time.monotonic() + 60
    while True:
        flows = w.ofctl("xenbr1", "dump-flows")
        meters = w.ofctl("xenbr1", "dump-meters")
        lock_back = "nw_src=10.10.0.1" in flows and "actions=drop" in flows
        meter_back = "meter:" in flows and "rate=2000" in meters
        if (lock_back and meter_back) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    t.ok(lock_back, "the locked VIF's port-security flows are back on the new ovs-vswitchd", flows)
    t.ok(meter_back, "the rate-limited VIF's meter and its flow are back", (flows, meters))
    t.ok(not w.reaches(g["a"], "10.10.0.2", src="10.10.0.98", tries=3),
         "after the crash a spoofed source is dropped again")
    t.ok(w.reaches(g["a"], "10.10.0.2", src="10.10.0.1"), "and the VIF's own address passes")
    api.VIF.set_locking_mode(vifs["a"], "unlocked")
    sh("ip", "addr", "del", "10.10.0.98/24", "dev", "eth0", ns=g["a"])

    t.note("== ovsdb-server and ovs-vswitchd restart")
    out = subprocess.run([netenv.OVS, "stop", w.rundir], capture_output=True, text=True)
    out2 = subprocess.run([netenv.OVS, "start", w.rundir, w.host], capture_output=True, text=True)
    t.ok(out.returncode == 0 and out2.returncode == 0, "OVS restarted", out.stderr + out2.stderr)
    nr = mk("after-ovs-restart")
    vr = api.VLAN.create(ref1, "77", nr)
    fb = api.network.get_bridge(nr)
    t.eq(w.vsctl("port-to-br", fb), "xenbr1", "a VLAN created after the restart is on the switch")
    t.eq(w.vsctl("get", "port", fb, "tag"), "77", "with its tag")
    vs = api.VIF.create({"device": "8", "network": nr, "VM": dom0, "MAC": "", "MTU": "1500",
                         "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    api.VIF.plug(vs)
    t.eq(w.vsctl("port-to-br", "vif0.8"), "xenbr1", "a VIF on it plugs after the restart")
    t.eq(w.vsctl("get", "port", "vif0.8", "tag"), "77", "VIF port tag after the restart")
    api.VIF.unplug(vs)
    api.VIF.destroy(vs)
    api.VLAN.destroy(vr)
    api.network.destroy(nr)


def tunnel_checks(t, api, w, ref1, dom0):
    """A VXLAN tunnel network from this host (transport PIF eth1, 10.99.0.1
    on xenbr1) to a second "host": the namespace at the far end of eth1,
    10.99.0.2, with a kernel VXLAN device (VNI 42) carrying 10.50.0.2."""
    wire = w.wire
    sh("ip", "addr", "add", "10.99.0.2/24", "dev", "w1", ns=wire)
    sh("ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "remote", "10.99.0.1",
       "local", "10.99.0.2", "dstport", "4789", "dev", "w1", ns=wire)
    sh("ip", "addr", "add", "10.50.0.2/24", "dev", "vx0", ns=wire)
    sh("ip", "link", "set", "vx0", "up", ns=wire)
    tnet = api.network.create({"name_label": "tunnel-net", "name_description": "", "MTU": "1400",
                               "other_config": {}})
    t.fails(lambda: api.tunnel.create(api.PIF.get_all_records() and
                                       [r for r, v in api.PIF.get_all_records().items()
                                        if v["device"] == "eth3"][0], tnet, "vxlan"),
          "TRANSPORT_PIF_NOT_CONFIGURED", "tunnel on a PIF without IP -> TRANSPORT_PIF_NOT_CONFIGURED")
    tun = api.tunnel.create(ref1, tnet, "vxlan")
    api.tunnel.add_to_other_config(tun, "key", "42")
    api.tunnel.add_to_other_config(tun, "remote_ip", "10.99.0.2")
    tbr = api.network.get_bridge(tnet)
    acc = api.tunnel.get_access_PIF(tun)
    t.ok(api.PIF.get_device(acc).startswith("tunnel"), "tunnel access PIF", api.PIF.get_device(acc))
    ports = w.vsctl("list-ports", tbr).split()
    vx = [p for p in ports if p.startswith("t")]
    t.ok(len(vx) == 1 and w.vsctl("get", "interface", vx[0], "type") == "vxlan",
         "one vxlan port on the tunnel network's bridge", ports)
    t.eq(api.tunnel.get_status(tun).get("active"), "true", "tunnel status active")
    vt = api.VIF.create({"device": "5", "network": tnet, "VM": dom0, "MAC": "", "MTU": "1400",
                         "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    gt = w.guest("t", "vif0.5", "10.50.0.1/24", api.VIF.get_MAC(vt))
    sh("ip", "link", "set", "eth0", "mtu", "1400", ns=gt)
    api.VIF.plug(vt)
    ok = w.reaches(gt, "10.50.0.2", tries=20)
    t.ok(ok, "guest reaches the far host through the VXLAN tunnel",
         None if ok else "\n".join([w.appctl("ovs/route/show"), w.appctl("tnl/neigh/show"),
                                     w.appctl("tnl/ports/show"), w.appctl("dpctl/dump-flows"),
                                     sh("ip", "-s", "link", "show", "vx0", ns=wire).stdout,
                                     sh("ip", "neigh", ns=wire).stdout]))
    api.VIF.unplug(vt)
    api.VIF.destroy(vt)
    api.tunnel.destroy(tun)
    t.ok(not [p for p in w.vsctl("list-ports", tbr).split() if p.startswith("t")],
         "tunnel.destroy removes the tunnel port")


def check_vlans(t, api, w, when):
    """Every VLAN's records agree: its PIFs exist, the untagged PIF has the
    tagged PIF's device and the tag, and its bridge on the switch is an
    internal port with the tag on the tagged PIF's bridge (a fake bridge)."""
    pifs = api.PIF.get_all_records()
    bad = []
    for ref, v in api.VLAN.get_all_records().items():
        tp, up = pifs.get(v["tagged_PIF"]), pifs.get(v["untagged_PIF"])
        if not tp or not up:
            bad.append((ref, "PIF missing"))
            continue
        if (up["device"], up["VLAN"], up["VLAN_master_of"]) != (tp["device"], v["tag"], ref):
            bad.append((ref, up["device"], up["VLAN"], tp["device"], v["tag"]))
        parent = api.network.get_bridge(tp["network"])
        vbr = api.network.get_bridge(up["network"])
        if (w.vsctl("port-to-br", vbr), w.vsctl("get", "port", vbr, "tag")) != (parent, v["tag"]):
            bad.append((ref, "not on", parent, "with tag", v["tag"]))
    t.eq(bad, [], "%s: every VLAN's records agree with each other and with the switch" % when)


def xe_bin(x):
    p = os.environ.get("XE") or os.path.join(os.path.dirname(os.path.dirname(x.binary)), "xe", "xe")
    return p if os.access(p, os.X_OK) else None


def xe_cmds(t, x, w, api, host, dom0):
    xe = xe_bin(x)
    if not xe:
        t.skip("xe commands", "no xe binary next to xapid")
        return

    def run(*a):
        r = subprocess.run([xe] + list(a), capture_output=True, text=True,
                           env=dict(os.environ, XE_SOCKET=x.socket_path))
        return r.returncode, r.stdout.strip(), r.stderr.strip()

    rc, nu, err = run("network-create", "name-label=xe-net", "MTU=1500")
    t.ok(rc == 0 and len(nu) == 36, "xe network-create prints the uuid", (rc, nu, err))
    br = run("network-param-get", "uuid=" + nu, "param-name=bridge")[1]
    t.ok(br in w.vsctl("list-br").split(), "its bridge is on the switch", br)
    pif1 = [u for u in run("pif-list", "device=eth1", "VLAN=-1", "--minimal")[1].split(",") if u]
    t.eq(len(pif1), 1, "xe pif-list device=eth1 VLAN=-1 finds the PIF")
    rc, out, err = run("vlan-create", "pif-uuid=" + pif1[0], "vlan=5000", "network-uuid=" + nu)
    t.ok(rc != 0 and "VLAN_TAG_INVALID" in out + err, "xe vlan-create vlan=5000 -> VLAN_TAG_INVALID",
         (rc, out, err))
    rc, vu, err = run("vlan-create", "pif-uuid=" + pif1[0], "vlan=77", "network-uuid=" + nu)
    t.ok(rc == 0 and len(vu) == 36, "xe vlan-create vlan=77", (rc, vu, err))
    t.eq(w.vsctl("get", "port", br, "tag"), "77", "xe's VLAN is a fake bridge with tag 77")
    dom0u = api.VM.get_uuid(dom0)
    rc, vifu, err = run("vif-create", "device=7", "network-uuid=" + nu, "vm-uuid=" + dom0u)
    t.ok(rc == 0 and len(vifu) == 36, "xe vif-create", (rc, vifu, err))
    sh("ip", "link", "add", "vif0.7", "type", "veth", "peer", "name", "xe7p", ns=w.host)
    rc, out, err = run("vif-plug", "uuid=" + vifu)
    t.ok(rc == 0 and w.vsctl("get", "port", "vif0.7", "tag") == "77", "xe vif-plug: port tagged 77",
         (rc, out, err))
    rc, out, err = run("vif-unplug", "uuid=" + vifu)
    t.ok(rc == 0 and "vif0.7" not in w.vsctl("list-ports", "xenbr1").split(), "xe vif-unplug", (rc, out, err))
    t.eq(run("vif-destroy", "uuid=" + vifu)[0], 0, "xe vif-destroy")
    t.eq(run("vlan-destroy", "uuid=" + vu)[0], 0, "xe vlan-destroy")
    t.ok(br in w.vsctl("list-br").split(), "after vlan-destroy the network has its own bridge again")
    t.eq(run("network-destroy", "uuid=" + nu)[0], 0, "xe network-destroy")
    t.ok(br not in w.vsctl("list-br").split(), "bridge gone")
    sh("ip", "link", "del", "vif0.7", ns=w.host, check=False)


def ovs_rows(w, table, *cols):
    """{name: {col: value}} of an OVSDB table, as ovs-vsctl lists it."""
    out = w.vsctl("--format=json", "--columns=" + ",".join(("name",) + cols), "list", table)
    data = json.loads(out) if out else {"headings": [], "data": []}
    rows = {}
    for r in data["data"]:
        rec = dict(zip(data["headings"], r))
        vals = {}
        for c in cols:
            v = rec.get(c)
            if isinstance(v, list) and v[0] == "set":
                v = v[1][0] if len(v[1]) == 1 else None
            elif isinstance(v, list) and v[0] == "uuid":
                v = v[1]
            vals[c] = v
        rows[rec["name"]] = vals if len(cols) > 1 else vals.get(cols[0]) if cols else None
    return rows


def vif_rows(w):
    """{name: (Port _uuid, Interface _uuid, ofport)} of the vif* ports."""
    ports = ovs_rows(w, "port", "_uuid")
    ifaces = ovs_rows(w, "interface", "_uuid", "ofport")
    return {n: (u, ifaces.get(n, {}).get("_uuid"), ifaces.get(n, {}).get("ofport"))
            for n, u in ports.items() if n.startswith("vif")}


def expected_ports(api):
    out = []
    for ref, r in api.VIF.get_all_records().items():
        if r["currently_attached"]:
            vm = api.VM.get_record(r["VM"])
            if vm["power_state"] in ("Running", "Paused"):
                out.append("vif%s.%s" % (vm["domid"], r["device"]))
    return sorted(out)


VLAN_RESPONDER = r"""
import socket, struct, sys
me, vid, ifs = socket.inet_aton(sys.argv[1]), int(sys.argv[2]), set(sys.argv[3:])
mac = bytes.fromhex("021f00000031")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA: the tag the kernel took off
print("ready", flush=True)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while n >> 16:
        n = (n & 0xffff) + (n >> 16)
    return struct.pack("!H", ~n & 0xffff)

while True:
    data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(32))
    if addr[0] not in ifs or addr[2] == 4:  # not ours, or outgoing
        continue
    tag = None
    for lvl, typ, d in anc:
        if lvl == 263 and typ == 8 and len(d) >= 20:
            st, _, _, _, _, tci = struct.unpack("IIIHHH", d[:18])
            if st & (1 << 4):
                tag = tci & 0xfff
    src, et, pl = data[6:12], data[12:14], data[14:]
    if et == b"\x81\x00":
        tag, et, pl = struct.unpack("!H", pl[:2])[0] & 0xfff, pl[2:4], pl[4:]
    if tag != vid:
        continue
    hdr = src + mac + struct.pack("!HH", 0x8100, vid)
    if et == b"\x08\x06" and pl[6:8] == b"\0\1" and pl[24:28] == me:
        out = hdr + b"\x08\x06" + pl[:6] + b"\0\2" + mac + me + pl[8:18]
    elif et == b"\x08\x00" and pl[9] == 1 and pl[16:20] == me:
        ihl = (pl[0] & 15) * 4
        ip = bytearray(pl[:ihl])
        ip[12:16], ip[16:20], ip[10:12] = pl[16:20], pl[12:16], b"\0\0"
        tot = struct.unpack("!H", pl[2:4])[0]
        icmp = bytearray(pl[ihl:tot])
        if icmp[0] != 8:
            continue
        icmp[0], icmp[2:4] = 0, b"\0\0"
        icmp[2:4] = csum(bytes(icmp))
        ip[10:12] = csum(bytes(ip))
        out = hdr + b"\x08\x00" + bytes(ip) + bytes(icmp)
    else:
        continue
    s.sendto(out, (addr[0], 0))
"""

SENDER = r"""
import socket, sys, time
s = socket.create_connection((sys.argv[1], 5001), timeout=10)
buf = b"x" * 65536
end = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < end:
    n += s.send(buf)
s.close()
print(n)
"""

RECEIVER = r"""
import socket, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.settimeout(30)
l.bind(("0.0.0.0", 5001)); l.listen(1)
print("ready", flush=True)
c, _ = l.accept()
c.settimeout(30)
n = 0
t0 = None
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    if t0 is None:
        t0 = time.monotonic()
    n += len(d)
print(n, time.monotonic() - (t0 or time.monotonic()))
"""


def throughput(w, src_ns, dst_ns, dst_ip, seconds=2.0):
    """Bits per second of one TCP stream src -> dst (received bytes over
    the receiver's time)."""
    rx = subprocess.Popen(["ip", "netns", "exec", dst_ns, "python3", "-c", RECEIVER],
                          stdout=subprocess.PIPE, text=True)
    rx.stdout.readline()
    r = sh("python3", "-c", SENDER, dst_ip, seconds, ns=src_ns, check=False, timeout=60)
    try:
        out, _ = rx.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        rx.kill()
        out, _ = rx.communicate()
    if len(out.split()) != 2:
        raise RuntimeError("throughput run failed: sender %s %s, receiver %r" %
                           (r.returncode, r.stderr.strip()[-300:], out))
    n, dt = out.split()
    return int(n) * 8 / max(float(dt), 0.001)


def setup(w):
    """NICs before xapid's first start: eth1 to a 'wire' namespace, eth2 and
    eth3 to a 'far' namespace where a Linux bridge joins them (a switch)
    with the address 10.20.0.254."""
    wire = w.netns("wire")
    w.wire = wire
    w.nic("eth1", wire, "w1")
    w.far = w.netns("far")
    w.nic("eth2", w.far, "f2")
    w.nic("eth3", w.far, "f3")
    sh("ip", "link", "add", "fbr", "type", "bridge", ns=w.far)
    for p in ("f2", "f3"):
        sh("ip", "link", "set", p, "master", "fbr", ns=w.far)
    sh("ip", "addr", "add", "10.20.0.254/24", "dev", "fbr", ns=w.far)
    sh("ip", "link", "set", "fbr", "up", ns=w.far)


if __name__ == "__main__":
    netenv.run(main, "n", setup)
