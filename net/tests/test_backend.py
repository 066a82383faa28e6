#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
The network backends against the real thing, each in a private network
namespace: a private userspace Open vSwitch (scripts/ovs) for the ovs
backend, the kernel's bridge for the Linux bridge backend. Veths stand in
for NICs. Usage: test_backend.py BACKEND_CHECK_BINARY
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OVS = os.path.join(REPO, "scripts", "ovs")


def sh(*a, check=True):
    return subprocess.run(list(a), check=check, capture_output=True, text=True)


def main():
    binary = sys.argv[1]
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)")
        return 77
    if subprocess.run(["which", "ovsdb-server"], capture_output=True).returncode:
        print("SKIP: Open vSwitch is not installed (scripts/packages.txt: openvswitch-switch)")
        return 77
    tag = "%d" % os.getpid()
    ns = "hxnb-" + tag
    run = "/tmp/hxnb-ovs-" + tag
    rc = 1
    sh("ip", "netns", "add", ns)
    try:
        for a, b in (("ethA", "peerA"), ("ethB", "peerB"), ("ethC", "peerC")):
            sh("ip", "-n", ns, "link", "add", a, "type", "veth", "peer", "name", b)
            sh("ip", "-n", ns, "link", "set", a, "up")
        r = subprocess.run(["ip", "netns", "exec", ns, binary, "bridge"])
        print("bridge backend: exit %d" % r.returncode)
        rc = r.returncode
        out = subprocess.run([OVS, "start", run, ns], capture_output=True, text=True)
        if out.returncode:
            print("cannot start OVS: " + out.stderr)
            return 1
        env = dict(os.environ, OVS_RUNDIR=run, HX_OVS=OVS, HX_NETNS=ns)
        r = subprocess.run(["ip", "netns", "exec", ns, binary, "ovs", run + "/db.sock", run], env=env)
        print("ovs backend: exit %d" % r.returncode)
        rc = rc or r.returncode
    finally:
        subprocess.run([OVS, "stop", run], capture_output=True)
        sh("ip", "netns", "del", ns, check=False)
        subprocess.run(["rm", "-rf", run])
    return rc


if __name__ == "__main__":
    sys.exit(main())
