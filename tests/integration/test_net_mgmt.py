# SPDX-License-Identifier: Apache-2.0
"""
The host's management interface on a real userspace Open vSwitch, xapid in
a private network namespace acting as the host (netenv.py):

  - takeover at first start (HALYARD_NET_MANAGEMENT=eth0): eth0 is a veth
    with an IPv4 and an IPv6 address and a default route; a peer namespace
    pings the host all along. After the start the addresses and the default
    route are on xenbr0 and no longer on eth0, eth0 is a port of xenbr0, the
    PIF is management with its Static configuration, host.address follows;
    the peer still reaches the host and the host reaches a network behind
    the gateway. Lost pings during the takeover are counted and reported.
  - a restart does not take over again (same records, same switch, same
    addresses).
  - a second management interface: management_reconfigure on a PIF without
    an IP configuration, unplug/forget of the management PIF → the XenAPI
    errors and no change on the switch; management_reconfigure on a PIF with
    one moves the flag (exactly one management PIF).
  - a PIF of another host (a second host record written into the stopped
    xapid's database; no API makes one without pools): Bond.create across
    hosts, VLAN.create and management_reconfigure on it → the errors, no
    change on the switch or in the records.
  - DHCP: PIF.reconfigure_ip DHCP on eth1's bridge gets a lease from dnsmasq
    in a peer namespace, recorded in IP/netmask/gateway/DNS; mode None stops
    the client and removes the address.
  - IPv6 on eth1's bridge, dnsmasq sending router advertisements and
    serving DHCPv6 on a ULA prefix: bad address / gateway / mode → the
    errors and no change; Autoconf → a SLAAC address on the bridge
    (accept_ra 2, autoconf 1); DHCP → dhclient -6 leases an address from
    the range, shown in PIF.IPv6 and by xe pif-param-get, the SLAAC one
    gone; a restart runs the client again; None → no client, no global
    address, sysctls off; Static → the given address.
"""
import os
import signal
import subprocess
import time

import harness
import netenv
from netenv import sh


def addrs(w, dev, fam="-4"):
    out = sh("ip", fam, "-o", "addr", "show", "dev", dev, "scope", "global", ns=w.host, check=False).stdout
    return sorted(line.split()[3] for line in out.splitlines())


def routes(w, dev, fam="-4"):
    return sh("ip", fam, "route", "show", "dev", dev, ns=w.host, check=False).stdout


def ports(w):
    """Bridges, their ports and tags (not the Interface rows' uuids: the
    start-time reconciliation re-creates a PIF's port)."""
    return [(br, p, w.vsctl("get", "port", p, "tag")) for br in sorted(w.vsctl("list-br").split())
            for p in sorted(w.vsctl("list-ports", br).split())]


def pif_of(api, dev):
    for ref, r in api.PIF.get_all_records().items():
        if r["device"] == dev and r["VLAN"] == "-1":
            return ref, r
    return None, None


def setup(w):
    # The far side of eth0: the gateway, which also has a network behind it.
    w.peer = w.netns("peer")
    w.nic("eth0", w.peer, "p0")
    sh("ip", "-n", w.peer, "addr", "add", "10.77.0.254/24", "dev", "p0")
    sh("ip", "-n", w.peer, "-6", "addr", "add", "fd77::fe/64", "dev", "p0", "nodad")
    sh("ip", "-n", w.peer, "addr", "add", "10.78.0.1/32", "dev", "lo")
    sh("ip", "-n", w.host, "addr", "add", "10.77.0.1/24", "dev", "eth0")
    sh("ip", "-n", w.host, "-6", "addr", "add", "fd77::1/64", "dev", "eth0", "nodad")
    sh("ip", "-n", w.host, "route", "add", "default", "via", "10.77.0.254", "dev", "eth0")
    # eth1: the DHCP side (dnsmasq in its own namespace).
    w.dhcpns = w.netns("dhcp")
    w.nic("eth1", w.dhcpns, "d0")
    sh("ip", "-n", w.dhcpns, "addr", "add", "10.88.0.1/24", "dev", "d0")
    w.nic("eth2", w.dhcpns, "d2")  # a bond member next to another host's PIF
    # No duplicate address detection on the host's devices (bridges made
    # later inherit the default): addresses are usable at once.
    for k in ("default", "all"):
        sh("sysctl", "-qw", "net.ipv6.conf.%s.accept_dad=0" % k, ns=w.host)
    w.extra_env = {"HALYARD_NET_MANAGEMENT": "eth0"}
    # The peer pings the host through the whole start (one per 0.1 s).
    w.pinger = subprocess.Popen(
        ["ip", "netns", "exec", w.peer, "ping", "-n", "-i", "0.1", "-W", "1", "10.77.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_pinger(w):
    w.pinger.send_signal(signal.SIGINT)
    out, _ = w.pinger.communicate(timeout=10)
    sent = recv = 0
    for line in out.splitlines():
        if "packets transmitted" in line:
            parts = line.split(",")
            sent = int(parts[0].split()[0])
            recv = int(parts[1].split()[0])
    return sent, recv


def takeover_checks(t, x, w, api, host):
    t.note("== takeover of eth0")
    ref, r = pif_of(api, "eth0")
    t.ok(ref is not None, "PIF for eth0")
    net = api.network.get_record(r["network"])
    t.eq(net["bridge"], "xenbr0", "eth0's network has bridge xenbr0")
    t.eq(addrs(w, "xenbr0"), ["10.77.0.1/24"], "IPv4 address on the bridge")
    t.eq(addrs(w, "eth0"), [], "no IPv4 address left on the NIC")
    t.eq(addrs(w, "xenbr0", "-6"), ["fd77::1/64"], "IPv6 address on the bridge")
    t.eq(addrs(w, "eth0", "-6"), [], "no global IPv6 address left on the NIC")
    t.ok("default via 10.77.0.254" in routes(w, "xenbr0"), "default route through the bridge",
         routes(w, "xenbr0"))
    t.ok("default" not in routes(w, "eth0"), "no default route through the NIC", routes(w, "eth0"))
    t.ok("eth0" in w.vsctl("list-ports", "xenbr0").split(), "eth0 is a port of xenbr0",
         w.vsctl("list-ports", "xenbr0"))
    mac = sh("cat", "/sys/class/net/eth0/address", ns=w.host).stdout.strip()
    bmac = sh("cat", "/sys/class/net/xenbr0/address", ns=w.host).stdout.strip()
    t.eq(bmac, mac, "the bridge carries the NIC's MAC")
    t.eq(r["management"], True, "PIF.management")
    t.eq(r["currently_attached"], True, "PIF.currently_attached")
    t.eq(r["ip_configuration_mode"], "Static", "ip_configuration_mode Static")
    t.eq((r["IP"], r["netmask"], r["gateway"]), ("10.77.0.1", "255.255.255.0", "10.77.0.254"),
         "IP, netmask, gateway recorded")
    t.eq(r["ipv6_configuration_mode"], "Static", "ipv6_configuration_mode Static")
    t.eq(r["IPv6"], ["fd77::1/64"], "IPv6 recorded")
    t.eq(api.host.get_address(host), "10.77.0.1", "host.address is the management address")
    t.eq(sum(1 for p in api.PIF.get_all_records().values() if p["management"]), 1,
         "exactly one management PIF")
    t.ok(w.reaches(w.peer, "10.77.0.1"), "the peer reaches the host after the takeover")
    t.ok(w.reaches(w.peer, "fd77::1"), "the peer reaches the host's IPv6 address")
    t.ok(w.reaches(w.host, "10.78.0.1"), "the host reaches beyond its gateway (default route)")
    sent, recv = stop_pinger(w)
    t.note("continuous ping during start + takeover: %d sent, %d received, %d lost" %
           (sent, recv, sent - recv))
    t.ok(recv > 0, "the peer's pings were answered during the start", "%d/%d" % (recv, sent))
    return ref


def restart_checks(t, x, w, ref):
    t.note("== restart: no second takeover")
    api = x.root_api()
    before = (api.PIF.get_record(ref), ports(w), addrs(w, "xenbr0"), addrs(w, "eth0"),
              routes(w, "xenbr0"), routes(w, "eth0"))
    t.eq(sum("management takeover of eth0 done" in l for l in x.output), 1,
         "the first start logged the takeover")
    mark = len(x.output)
    t.eq(x.stop(), 0, "xapid exits 0 on SIGTERM (with a management PIF)")
    x.start()
    api = x.root_api()
    after = (api.PIF.get_record(ref), ports(w), addrs(w, "xenbr0"), addrs(w, "eth0"),
             routes(w, "xenbr0"), routes(w, "eth0"))
    for i, what in enumerate(("PIF record", "switch", "bridge addresses", "NIC addresses",
                              "bridge routes", "NIC routes")):
        t.eq(after[i], before[i], "after restart: %s unchanged" % what)
    t.eq([l for l in x.output[mark:] if "management takeover" in l], [],
         "the restart did not take over again")
    t.ok(w.reaches(w.peer, "10.77.0.1"), "the peer reaches the host after the restart")
    api.PIF.reconfigure_ipv6(ref, "Static", "fd77::1/64", "fd77::fe", "")
    t.eq(api.PIF.get_ipv6_gateway(ref), "fd77::fe", "reconfigure_ipv6 Static records ipv6_gateway")
    t.ok("default via fd77::fe" in routes(w, "xenbr0", "-6"),
         "the management PIF's IPv6 default route goes via ipv6_gateway", routes(w, "xenbr0", "-6"))
    api.PIF.reconfigure_ip(ref, "Static", "10.77.0.1", "255.255.255.0", "10.77.0.254", "")
    t.ok("default via 10.77.0.254" in routes(w, "xenbr0"),
         "reconfigure_ip Static on the management PIF keeps its default route",
         routes(w, "xenbr0"))
    t.ok(w.reaches(w.host, "10.78.0.1"), "the host still reaches beyond its gateway")
    # What a reboot does to the bridge: its addresses and routes are gone.
    x.stop()
    sh("ip", "addr", "flush", "dev", "xenbr0", "scope", "global", ns=w.host)
    x.start()
    api = x.root_api()
    t.eq(addrs(w, "xenbr0"), ["10.77.0.1/24"], "start re-applies the Static IPv4 address")
    t.eq(addrs(w, "xenbr0", "-6"), ["fd77::1/64"], "start re-applies the Static IPv6 address")
    t.ok("default via 10.77.0.254" in routes(w, "xenbr0"), "start re-applies the default route",
         routes(w, "xenbr0"))
    t.ok("default via fd77::fe" in routes(w, "xenbr0", "-6"),
         "start re-applies the IPv6 default route", routes(w, "xenbr0", "-6"))
    return api


def second_mgmt_checks(t, w, api, host, ref0):
    t.note("== a second management interface")
    ref1, _ = pif_of(api, "eth1")
    before = w.switch_state()
    t.fails(lambda: api.host.management_reconfigure(ref1), "PIF_HAS_NO_NETWORK_CONFIGURATION",
          "management_reconfigure on a PIF without IP configuration")
    t.fails(lambda: api.PIF.unplug(ref0), "PIF_IS_MANAGEMENT_INTERFACE",
          "PIF.unplug of the management PIF")
    t.fails(lambda: api.PIF.forget(ref0), "PIF_IS_MANAGEMENT_INTERFACE",
          "PIF.forget of the management PIF")
    t.eq(w.switch_state(), before, "no change on the switch")
    t.eq(api.PIF.get_management(ref0), True, "eth0 still management")
    t.eq(api.PIF.get_management(ref1), False, "eth1 not management")
    t.eq(addrs(w, "xenbr0"), ["10.77.0.1/24"], "management address untouched")
    return ref1


def start_dnsmasq(w):
    w.leases = "/tmp/hxdhcp-%s.leases" % w.id
    w.dnsmasq = subprocess.Popen(
        ["ip", "netns", "exec", w.dhcpns, "dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv",
         "--no-hosts", "--port=0", "--user=root", "--interface=d0", "--bind-interfaces",
         "--dhcp-range=10.88.0.50,10.88.0.60,255.255.255.0,1h",
         "--dhcp-option=option:router,10.88.0.1",
         "--dhcp-option=option:dns-server,10.88.0.53,10.88.0.54",
         "--dhcp-leasefile=" + w.leases, "--pid-file="],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop_dnsmasq(w):
    if getattr(w, "dnsmasq", None) and w.dnsmasq.poll() is None:
        w.dnsmasq.terminate()
        w.dnsmasq.wait(10)
    if getattr(w, "leases", None) and os.path.exists(w.leases):
        os.unlink(w.leases)


def clients(w, prog=b"udhcpc"):
    """The DHCP client processes (udhcpc, or dhclient for DHCPv6) in the
    host namespace, as their command lines."""
    out = sh("ip", "netns", "pids", w.host, check=False).stdout.split()
    found = []
    for pid in out:
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        if prog in cmd:
            found.append(b" ".join(cmd).decode())
    return found


def wait_record(api, ref, field, pred, tries=60):
    for _ in range(tries):
        v = api.PIF.get_record(ref)[field]
        if pred(v):
            return v
        time.sleep(0.5)
    return api.PIF.get_record(ref)[field]


def dhcp_checks(t, x, w, api, host, ref1):
    t.note("== DHCP on eth1's bridge (dnsmasq in a peer namespace)")
    if subprocess.run(["which", "dnsmasq"], capture_output=True).returncode:
        t.skip("dnsmasq is not installed (scripts/packages.txt: dnsmasq-base)")
        return
    start_dnsmasq(w)
    api.PIF.plug(ref1)
    api.PIF.reconfigure_ip(ref1, "DHCP", "", "", "", "")
    ip = wait_record(api, ref1, "IP", lambda v: v != "")
    r = api.PIF.get_record(ref1)
    t.eq(r["ip_configuration_mode"], "DHCP", "ip_configuration_mode DHCP")
    t.ok(ip.startswith("10.88.0.") and 50 <= int(ip.split(".")[3]) <= 60,
         "PIF.IP is a lease from the server's range", ip)
    t.eq((r["netmask"], r["gateway"], r["DNS"]), ("255.255.255.0", "10.88.0.1", "10.88.0.53,10.88.0.54"),
         "netmask, gateway, DNS from the lease")
    t.eq(addrs(w, "xenbr1"), [ip + "/24"], "the leased address is on xenbr1")
    t.ok("default" not in routes(w, "xenbr1"), "no default route from a non-management PIF's lease",
         routes(w, "xenbr1"))
    with open(w.leases) as f:
        leases = f.read()
    t.ok(ip in leases, "the server's lease file has the address", leases)
    t.ok(w.reaches(w.host, "10.88.0.1"), "the host reaches the DHCP server through xenbr1")
    t.eq(len(clients(w)), 1, "one DHCP client runs", clients(w))

    t.note("== management moves to the DHCP PIF and back")
    before = ports(w)
    api.host.management_reconfigure(ref1)
    recs = api.PIF.get_all_records()
    t.eq(sorted(r["device"] for r in recs.values() if r["management"]), ["eth1"],
         "management_reconfigure moves the flag: exactly one management PIF")
    t.eq(api.host.get_address(host), ip, "host.address follows to the DHCP address")
    t.eq(ports(w), before, "no change on the switch")
    t.ok("default via 10.88.0.1" in routes(w, "xenbr1"),
         "the default route follows to the DHCP gateway", routes(w, "xenbr1"))
    ref0, _ = pif_of(api, "eth0")
    api.host.management_reconfigure(ref0)
    t.eq(api.host.get_address(host), "10.77.0.1", "management back on eth0")
    t.ok("default via 10.77.0.254" in routes(w, "xenbr0"),
         "the default route is back through xenbr0", routes(w, "xenbr0"))
    t.ok(w.reaches(w.host, "10.78.0.1"), "the host reaches beyond eth0's gateway again")
    t.eq(api.PIF.get_IP(ref1), ip, "eth1 keeps its lease")

    t.note("== restart keeps the lease and one client")
    t.eq(x.stop(), 0, "xapid exits 0 on SIGTERM (with a DHCP client)")
    t.eq(clients(w), [], "xapid's stop stops its DHCP client")
    t.eq(addrs(w, "xenbr1"), [ip + "/24"], "the address stays while xapid is down")
    x.start()
    api = x.root_api()
    t.eq(len(clients(w)), 1, "after the restart one DHCP client runs again", clients(w))
    t.eq(api.PIF.get_IP(ref1), ip, "PIF.IP kept")

    t.note("== mode None stops the client")
    api.PIF.reconfigure_ip(ref1, "None", "", "", "", "")
    t.eq(clients(w), [], "no DHCP client after mode None")
    t.eq(addrs(w, "xenbr1"), [], "no address on xenbr1")
    r = api.PIF.get_record(ref1)
    t.eq((r["ip_configuration_mode"], r["IP"], r["netmask"], r["gateway"], r["DNS"]),
         ("None", "", "", "", ""), "PIF fields cleared")
    api.PIF.reconfigure_ip(ref1, "DHCP", "", "", "", "")
    t.ok(wait_record(api, ref1, "IP", lambda v: v != "") != "", "DHCP again gets a lease")
    api.PIF.reconfigure_ip(ref1, "Static", "10.88.0.9", "255.255.255.0", "", "")
    t.eq(clients(w), [], "no DHCP client after mode Static")
    t.eq(addrs(w, "xenbr1"), ["10.88.0.9/24"], "the Static address replaced the lease")
    return api


def sysctl6(w, dev, key):
    return sh("cat", "/proc/sys/net/ipv6/conf/%s/%s" % (dev, key), ns=w.host).stdout.strip()


def xe(x, *a):
    binary = os.environ.get("XE") or os.path.join(os.path.dirname(os.path.dirname(x.binary)),
                                                   "xe", "xe")
    r = subprocess.run([binary] + list(a), capture_output=True, text=True,
                       env=dict(os.environ, XE_SOCKET=x.socket_path))
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def ipv6_checks(t, x, w, api, ref1):
    t.note("== IPv6 on eth1's bridge (dnsmasq: router advertisements, DHCPv6)")
    if subprocess.run(["which", "dhclient"], capture_output=True).returncode:
        t.skip("dhclient is not installed (scripts/packages.txt: isc-dhcp-client)")
        return api
    sh("ip", "-n", w.dhcpns, "-6", "addr", "add", "fd88::1/64", "dev", "d0", "nodad")
    w.leases6 = "/tmp/hxdhcp6-%s.leases" % w.id
    w.dnsmasq6 = subprocess.Popen(
        ["ip", "netns", "exec", w.dhcpns, "dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv",
         "--no-hosts", "--port=0", "--user=root", "--interface=d0", "--bind-interfaces",
         "--enable-ra", "--dhcp-range=fd88::100,fd88::1ff,slaac,64,1h",
         "--dhcp-option=option6:dns-server,[fd88::53]",
         "--dhcp-leasefile=" + w.leases6, "--pid-file="],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    in_range = lambda a: a.startswith("fd88::") and a.endswith("/128") and \
        0x100 <= int(a[6:-4] or "0", 16) <= 0x1ff

    before = (api.PIF.get_record(ref1), addrs(w, "xenbr1", "-6"))
    t.fails(lambda: api.PIF.reconfigure_ipv6(ref1, "Static", "fd88::zz/64", "", ""),
          "INVALID_IP_ADDRESS_SPECIFIED", "reconfigure_ipv6 Static with a bad address")
    t.fails(lambda: api.PIF.reconfigure_ipv6(ref1, "Static", "fd88::5", "", ""),
          "INVALID_IP_ADDRESS_SPECIFIED", "reconfigure_ipv6 Static without a prefix length")
    t.fails(lambda: api.PIF.reconfigure_ipv6(ref1, "Static", "fd88::5/64", "fd88::zz", ""),
          "INVALID_IP_ADDRESS_SPECIFIED", "reconfigure_ipv6 Static with a bad gateway")
    t.fails(lambda: api.PIF.reconfigure_ipv6(ref1, "Sometimes", "", "", ""),
          "INVALID_VALUE", "reconfigure_ipv6 with an unknown mode")
    t.eq((api.PIF.get_record(ref1), addrs(w, "xenbr1", "-6")), before,
         "no change in the record or on the bridge after the refusals")

    api.PIF.reconfigure_ipv6(ref1, "Autoconf", "", "", "")
    slaac = harness.wait_until(
        lambda: [a for a in addrs(w, "xenbr1", "-6") if a.startswith("fd88::") and a.endswith("/64")],
        60, 0.2)
    t.ok(slaac, "Autoconf: a SLAAC address of the advertised prefix on xenbr1",
         addrs(w, "xenbr1", "-6"))
    t.eq((sysctl6(w, "xenbr1", "accept_ra"), sysctl6(w, "xenbr1", "autoconf")), ("2", "1"),
         "Autoconf: accept_ra 2, autoconf 1 on the bridge")
    t.eq(api.PIF.get_ipv6_configuration_mode(ref1), "Autoconf", "ipv6_configuration_mode Autoconf")
    t.ok(w.reaches(w.host, "fd88::1"), "the host reaches the router over IPv6")

    api.PIF.reconfigure_ipv6(ref1, "DHCP", "", "", "")
    v6 = wait_record(api, ref1, "IPv6", lambda v: v != [])
    t.ok(len(v6) == 1 and in_range(v6[0]), "DHCP: PIF.IPv6 is a lease from the server's range", v6)
    t.eq(api.PIF.get_ipv6_configuration_mode(ref1), "DHCP", "ipv6_configuration_mode DHCP")
    t.eq(addrs(w, "xenbr1", "-6"), v6, "the leased address is on xenbr1, the SLAAC one gone")
    t.eq((sysctl6(w, "xenbr1", "accept_ra"), sysctl6(w, "xenbr1", "autoconf")), ("2", "0"),
         "DHCP: accept_ra 2, autoconf 0")
    with open(w.leases6) as f:
        leases = f.read()
    t.ok(v6 and v6[0].split("/")[0] in leases, "the server's lease file has the address", leases)
    t.eq(len(clients(w, b"dhclient")), 1, "one DHCPv6 client runs", clients(w, b"dhclient"))
    rc, out, err = xe(x, "pif-param-get", "uuid=" + api.PIF.get_uuid(ref1), "param-name=IPv6")
    t.ok(rc == 0 and v6 and v6[0] in out, "xe pif-param-get param-name=IPv6 shows the lease",
         (rc, out, err))

    t.eq(x.stop(), 0, "xapid exits 0 on SIGTERM (with a DHCPv6 client)")
    t.eq(clients(w, b"dhclient"), [], "xapid's stop stops the DHCPv6 client")
    x.start()
    api = x.root_api()
    t.eq(len(clients(w, b"dhclient")), 1, "after the restart one DHCPv6 client runs again",
         clients(w, b"dhclient"))
    t.eq(api.PIF.get_IPv6(ref1), v6, "PIF.IPv6 kept")

    api.PIF.reconfigure_ipv6(ref1, "None", "", "", "")
    t.eq(clients(w, b"dhclient"), [], "None: no DHCPv6 client")
    t.eq(addrs(w, "xenbr1", "-6"), [], "None: no global IPv6 address on xenbr1")
    t.eq((sysctl6(w, "xenbr1", "accept_ra"), sysctl6(w, "xenbr1", "autoconf")), ("0", "0"),
         "None: accept_ra 0, autoconf 0")
    r = api.PIF.get_record(ref1)
    t.eq((r["ipv6_configuration_mode"], r["IPv6"]), ("None", []), "None: PIF fields cleared")
    t.eq(addrs(w, "xenbr1"), ["10.88.0.9/24"], "the IPv4 address is untouched")

    api.PIF.reconfigure_ipv6(ref1, "Static", "fd88::9/64", "", "")
    t.eq(addrs(w, "xenbr1", "-6"), ["fd88::9/64"], "Static: the given address on xenbr1")
    t.eq(api.PIF.get_IPv6(ref1), ["fd88::9/64"], "Static: PIF.IPv6")
    t.ok(w.reaches(w.host, "fd88::1"), "the host reaches the router from its Static address")
    return api


def stop_dnsmasq6(w):
    if getattr(w, "dnsmasq6", None) and w.dnsmasq6.poll() is None:
        w.dnsmasq6.terminate()
        w.dnsmasq6.wait(10)
    if getattr(w, "leases6", None) and os.path.exists(w.leases6):
        os.unlink(w.leases6)


def other_host(x, pif_model):
    """A second host record with one PIF (eth9), written into the stopped
    xapid's database: no API creates one without pools (host.create is
    internal, pool.join is not implemented)."""
    import sqlite3
    import uuid
    db = sqlite3.connect(os.path.join(x.state_dir, "xapi.db"))
    cols = [r[1] for r in db.execute("pragma table_info('host')")]
    row = dict(zip(cols, db.execute("select * from host limit 1").fetchone()))
    href = "OpaqueRef:" + str(uuid.uuid4())
    row.update({"_ref": href, "uuid": str(uuid.uuid4()), "name_label": "other-host",
                "hostname": "other-host", "address": "192.0.2.9",
                "metrics": "OpaqueRef:NULL", "control_domain": "OpaqueRef:NULL"})
    db.execute("insert into host (%s) values (%s)" % (",".join('"%s"' % c for c in row),
                                                       ",".join("?" * len(row))), list(row.values()))
    cols = [r[1] for r in db.execute("pragma table_info('PIF')")]
    row = dict(zip(cols, db.execute("select * from PIF where _ref = ?", (pif_model,)).fetchone()))
    pref = "OpaqueRef:" + str(uuid.uuid4())
    row.update({"_ref": pref, "uuid": str(uuid.uuid4()), "host": href, "device": "eth9",
                "MAC": "02:00:00:00:00:99", "currently_attached": 0, "management": 0,
                "metrics": "OpaqueRef:NULL"})
    db.execute("insert into PIF (%s) values (%s)" % (",".join('"%s"' % c for c in row),
                                                      ",".join("?" * len(row))), list(row.values()))
    db.commit()
    db.close()
    return href, pref


def other_host_checks(t, x, w, api):
    t.note("== a PIF of another host")
    ref2, _ = pif_of(api, "eth2")
    x.stop()
    ohost, opif = other_host(x, ref2)
    x.start()
    api = x.root_api()
    t.eq(api.PIF.get_host(opif), ohost, "a PIF of a second host record exists")
    net = api.network.create({"name_label": "cross", "name_description": "", "MTU": "1500",
                              "other_config": {}, "tags": []})
    before = (ports(w), sorted(api.Bond.get_all()), sorted(api.VLAN.get_all()),
              sorted(api.PIF.get_all()))
    t.fails(lambda: api.Bond.create(net, [ref2, opif], "", "active-backup", {}),
          "PIF_CANNOT_BOND_CROSS_HOST", "Bond.create with a PIF of another host")
    t.fails(lambda: api.VLAN.create(opif, 30, net), "PIF_NOT_ATTACHED_TO_HOST",
          "VLAN.create on a PIF of another host")
    t.fails(lambda: api.host.management_reconfigure(opif), "PIF_NOT_ATTACHED_TO_HOST",
          "management_reconfigure to a PIF of another host")
    after = (ports(w), sorted(api.Bond.get_all()), sorted(api.VLAN.get_all()),
             sorted(api.PIF.get_all()))
    t.eq(after, before, "no change on the switch and no new Bond/VLAN/PIF records")
    return api


def main(t, x, w):
    api = x.root_api()
    host = api.host.get_all()[0]
    ref0 = takeover_checks(t, x, w, api, host)
    api = restart_checks(t, x, w, ref0)
    ref1 = second_mgmt_checks(t, w, api, host, ref0)
    try:
        api = dhcp_checks(t, x, w, api, host, ref1) or api
    finally:
        stop_dnsmasq(w)
    if getattr(w, "dnsmasq", None):  # DHCP ran: eth1 is attached, Static IPv4
        try:
            api = ipv6_checks(t, x, w, api, ref1) or api
        finally:
            stop_dnsmasq6(w)
    other_host_checks(t, x, w, api)
    bad = [l for l in x.output if "Sanitizer" in l or "runtime error" in l]
    t.eq(bad, [], "no sanitizer report in any of xapid's runs")


if __name__ == "__main__":
    netenv.run(main, "mg", setup)
