#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Xen Orchestra's real client (npm xen-api@4.7.6, CLIENTS.md §1–5) against
xapid: runs xo/xo_client.mjs with each transport (auto, json-rpc,
xml-rpc). node_modules is installed into tests/integration/xo on first use
(npm install, then cached there). Skips (77) only when node or the npm
registry is not available.
"""
import os
import shutil
import subprocess

import harness

XO = os.path.join(harness.HERE, "xo")


def ensure_client():
    """Installs xen-api into xo/node_modules if missing; returns None or why it cannot."""
    node = shutil.which("node")
    if not node:
        return "node is not installed (apt-get install nodejs npm)"
    if os.path.isfile(os.path.join(XO, "node_modules", "xen-api", "package.json")):
        return None
    npm = shutil.which("npm")
    if not npm:
        return "npm is not installed (apt-get install npm)"
    print("# installing xen-api into %s (npm install)" % XO, flush=True)
    try:
        r = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"], cwd=XO,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=240)
    except subprocess.TimeoutExpired:
        return "npm install timed out"
    if r.returncode != 0 or not os.path.isfile(os.path.join(XO, "node_modules", "xen-api", "package.json")):
        return "npm install failed (%d): %s" % (r.returncode, r.stdout.decode(errors="replace")[-800:])
    return None


def main(t, x):
    why = ensure_client()
    if why:
        harness.skip("cannot run Xen Orchestra's client: " + why)
    x.start()
    t.ok(True, "xapid started on port %d" % x.port)
    for transport in ("auto", "json-rpc", "xml-rpc"):
        with t.section("xen-api client, transport %s" % transport):
            try:
                r = subprocess.run(["node", os.path.join(XO, "xo_client.mjs"), "https://127.0.0.1:%d" % x.port,
                                    "root", x.root_password, transport],
                                   cwd=XO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=240)
                out = r.stdout.decode(errors="replace")
                rc = r.returncode
            except subprocess.TimeoutExpired as e:
                out = (e.stdout or b"").decode(errors="replace")
                rc = "timeout"
            for line in out.splitlines():
                print("  | " + line, flush=True)
            fails = [l for l in out.splitlines() if l.startswith("FAIL")]
            t.ok(rc == 0, "xo_client.mjs with transport %s passes" % transport,
                 "exit %s; %d failing checks:\n%s" % (rc, len(fails), "\n".join(fails)))
    a = x.login()
    leftovers = [v for v in a.VM.get_all_records().values() if v["name_label"].startswith("xo-")]
    t.eq(len(leftovers), 0, "the XO runs cleaned up their VMs")
    t.eq(len(a.pool.get_all()), 1, "daemon serves after the XO runs")


if __name__ == "__main__":
    harness.run(main, start=False)
