#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Runs the xe CLI tests (tests/integration/xe/test_xe.py, owned by the xe
side) against a fresh xapid from the harness: sets XAPID_URL,
XAPID_SOCKET, XAPID_USER, XAPID_PASSWORD and passes XE through. Skips (77)
when XE is not set or the xe tests are not in this checkout, and passes on
their own skip.
"""
import os
import subprocess
import sys

import harness

XE_TEST = os.path.join(harness.HERE, "xe", "test_xe.py")


def main(t, x):
    xe = os.environ.get("XE") or ""
    if not xe:
        for b in ("build-it", "build"):
            c = os.path.join(harness.REPO, b, "xe", "xe")
            if os.access(c, os.X_OK):
                xe = c
                break
    if not xe or not os.access(xe, os.X_OK):
        harness.skip("no xe binary (set XE=<path to xe>)")
    if not os.path.isfile(XE_TEST):
        harness.skip("%s is not in this checkout" % XE_TEST)
    x.start()
    t.ok(True, "xapid started on port %d for the xe tests" % x.port)
    env = dict(os.environ, XAPID_URL="https://127.0.0.1:%d" % x.port, XAPID_SOCKET=x.socket_path,
               XE=xe, XAPID_USER="root", XAPID_PASSWORD=x.root_password)
    try:
        r = subprocess.run([sys.executable, XE_TEST], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=270)
        out, rc = r.stdout.decode(errors="replace"), r.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace"), "timeout"
    for line in out.splitlines():
        print("  | " + line, flush=True)
    if rc == harness.SKIP:
        harness.skip("xe/test_xe.py skipped itself (see its output above)")
    fails = [l for l in out.splitlines() if l.startswith("FAIL")]
    t.ok(rc == 0, "xe/test_xe.py passes against xapid", "exit %s; failing checks:\n%s" % (rc, "\n".join(fails)))


if __name__ == "__main__":
    harness.run(main, start=False)
