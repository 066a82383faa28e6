# SPDX-License-Identifier: Apache-2.0
"""
A private network world for the network tests: xapid runs inside its own
network namespace ("the host") with its own userspace Open vSwitch
(scripts/ovs, datapath_type=netdev); veths named eth* stand in for the
host's NICs; other namespaces stand in for guests (attached as dom0 VIFs
vif0.<device>, which is the host-side device name xapid uses) and for the
machines on the far end of the NICs. Everything carries the test's pid in
its name and is removed at the end, so parallel runs and other engineers'
namespaces are never touched.
"""
import os
import subprocess
import time

import harness

OVS = os.path.join(harness.REPO, "scripts", "ovs")


def sh(*a, check=True, ns=None, timeout=60):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(x) for x in a]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


def need_root_and_ovs():
    if os.geteuid() != 0:
        harness.skip("needs root (network namespaces)")
    for tool in ("ovsdb-server", "ovs-vswitchd", "ip"):
        if subprocess.run(["which", tool], capture_output=True).returncode:
            harness.skip("%s is not installed (scripts/packages.txt)" % tool)


class World:
    def __init__(self, tag):
        self.id = "%s%d" % (tag, os.getpid() % 100000)
        self.host = "hxh-" + self.id
        self.rundir = "/tmp/hxovs-" + self.id
        self.namespaces = []
        sh("ip", "netns", "add", self.host)
        self.namespaces.append(self.host)
        sh("ip", "link", "set", "lo", "up", ns=self.host)
        out = subprocess.run([OVS, "start", self.rundir, self.host], capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError("scripts/ovs start: " + out.stderr)
        self.db = os.path.join(self.rundir, "db.sock")

    # -- namespaces and links --

    def netns(self, name):
        ns = "hx%s-%s" % (name, self.id)
        sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        return ns

    def nic(self, name, far_ns, far_name):
        """A veth NIC `name` in the host; its other end far_name in far_ns."""
        sh("ip", "-n", self.host, "link", "add", name, "type", "veth", "peer", "name", far_name)
        sh("ip", "-n", self.host, "link", "set", far_name, "netns", far_ns)
        sh("ip", "-n", self.host, "link", "set", name, "up")
        sh("ip", "-n", far_ns, "link", "set", far_name, "up")
        # A real NIC hands over finished checksums; a veth may not, and
        # the userspace datapath (tunnel decapsulation above all) needs them.
        sh("ethtool", "-K", name, "tx", "off", ns=self.host, check=False)
        sh("ethtool", "-K", far_name, "tx", "off", ns=far_ns, check=False)

    def guest(self, name, ifname, ip, mac=None):
        """A namespace standing in for a guest: a veth whose host end is
        ifname (vif0.N) and whose guest end eth0 has the VIF's MAC and
        address ip (cidr). Checksum offload is off on both ends: the
        userspace datapath forwards what a veth hands it as it is, and a
        partial checksum would then reach the other guest unfinished."""
        ns = self.netns(name)
        sh("ip", "-n", self.host, "link", "add", ifname, "type", "veth", "peer", "name", "g" + name)
        sh("ip", "-n", self.host, "link", "set", "g" + name, "netns", ns)
        sh("ip", "-n", ns, "link", "set", "g" + name, "name", "eth0")
        if mac:
            sh("ip", "-n", ns, "link", "set", "eth0", "address", mac)
        sh("ethtool", "-K", "eth0", "tx", "off", ns=ns, check=False)
        sh("ethtool", "-K", ifname, "tx", "off", ns=self.host, check=False)
        sh("ip", "-n", ns, "addr", "add", ip, "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        return ns

    def ping(self, ns, dst, src=None, count=1, wait=1):
        a = ["ping", "-n", "-q", "-c", count, "-W", wait]
        if src:
            a += ["-I", src]
        return sh(*(a + [dst]), ns=ns, check=False).returncode == 0

    def reaches(self, ns, dst, src=None, tries=8):
        """True once a ping gets through (ARP and MAC learning settle)."""
        for _ in range(tries):
            if self.ping(ns, dst, src):
                return True
            time.sleep(0.2)
        return False

    # -- the switch, as ovs-vsctl sees it --

    def vsctl(self, *a):
        return sh("ovs-vsctl", "--db=unix:" + self.db, "--timeout=10", *a, check=False).stdout.strip()

    def ofctl(self, bridge, *a):
        return sh("ovs-ofctl", "-O", "OpenFlow13", *a,
                  "unix:%s/%s.mgmt" % (self.rundir, bridge), check=False).stdout

    def switch_state(self):
        """Bridges, ports with tags and interfaces with types: a text that
        changes when anything on the switch changes."""
        lines = []
        for br in sorted(self.vsctl("list-br").split()):
            lines.append("bridge " + br)
            for p in sorted(self.vsctl("list-ports", br).split()):
                lines.append("  port %s tag=%s ifaces=%s" % (
                    p, self.vsctl("get", "port", p, "tag"), self.vsctl("get", "port", p, "interfaces")))
        return "\n".join(lines)

    def appctl(self, *a):
        return sh("ovs-appctl", "-t", os.path.join(self.rundir, "ovs-vswitchd.ctl"), *a,
                  check=False).stdout

    def xapid_env(self):
        env = {"HALYARD_NET_BACKEND": "ovs", "HALYARD_OVS_DB": self.db,
               "HALYARD_OVS_RUNDIR": self.rundir, "HALYARD_NET_NICS": "eth*"}
        env.update(getattr(self, "extra_env", {}))
        return env

    def cleanup(self):
        for p in getattr(self, "procs", []):  # helpers a test started in a namespace
            p.kill()
            p.wait()
        subprocess.run([OVS, "stop", self.rundir], capture_output=True)
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["rm", "-rf", self.rundir])


class NsXapid(harness.Xapid):
    """An xapid that runs inside the world's host namespace (the test
    talks to it on its unix socket)."""

    def __init__(self, binary, world, **kw):
        harness.Xapid.__init__(self, binary, **kw)
        self.world = world

    def root_api(self):
        """The local superuser's API on the unix socket, logged in."""
        a = self.local_api()
        a.login("root", "")
        return a

    def command(self, port):
        return ["ip", "netns", "exec", self.world.host, "env"] + \
            ["%s=%s" % kv for kv in sorted(self.world.xapid_env().items())] + \
            harness.Xapid.command(self, port)


def run(main, tag, setup=None):
    """harness.run for a test that needs the world: setup(w) runs before
    xapid's first start (NICs it makes are scanned), then main(t, x, w)."""
    need_root_and_ovs()
    binary = harness.find_xapid()
    if not binary:
        harness.skip("no xapid binary")
    w = World(tag)
    x = None
    rc = 1
    name = os.path.basename(os.sys.argv[0])
    t = harness.Checker(name)
    try:
        if setup:
            setup(w)
        x = NsXapid(binary, w, tls=False)
        x.start()
        t.ok(True, "xapid started in namespace %s with OVS at %s" % (w.host, w.db))
        main(t, x, w)
        if x.alive():
            st = x.stop()
            t.ok(st == 0, "xapid exits 0 on SIGTERM", "exit status %s" % st)
        rc = 1 if t.failed else 0
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except Exception:
        import traceback
        t.ok(False, "test body raised", traceback.format_exc())
        rc = 1
    finally:
        if rc == 1 and x is not None and x.output:
            print("---- last lines of xapid output ----")
            print(x.tail())
        if x is not None:
            x.cleanup()
        w.cleanup()
    print("%s: %d passed, %d failed, %d skipped" % (name, t.passed, t.failed, t.skipped), flush=True)
    os.sys.exit(rc)
