#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
host.call_plugin (CLIENTS.md CloudStack §3, Nova "Dom0 plugins"): the echo
plugin from plugins/echo answers a string (CloudStack's pingXAPI), also
through Async.host.call_plugin; unknown plugins give XENAPI_MISSING_PLUGIN;
names that try to leave the plugin directory never run anything; a plugin
that fails gives XENAPI_PLUGIN_FAILURE and the daemon goes on.
"""
import json
import os
import re
import shutil
import threading

import harness
from harness import XapiFailure

ECHO = os.path.join(harness.REPO, "plugins", "echo")

FAILING = """#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
echo "it went wrong" >&2
exit 3
"""

MARKER_PLUGIN = """#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
touch "%s"
exit 1
"""


def main(t, x):
    have_echo = os.path.isfile(ECHO)
    if have_echo:
        shutil.copy(ECHO, os.path.join(x.plugin_dir, "echo"))
        os.chmod(os.path.join(x.plugin_dir, "echo"), 0o755)
    with open(os.path.join(x.plugin_dir, "it_fail"), "w") as f:
        f.write(FAILING)
    os.chmod(os.path.join(x.plugin_dir, "it_fail"), 0o755)
    # A plugin outside the plugin directory: reaching it would be a traversal.
    marker = os.path.join(x.tmp, "outside-ran")
    with open(os.path.join(x.tmp, "outside"), "w") as f:
        f.write(MARKER_PLUGIN % marker)
    os.chmod(os.path.join(x.tmp, "outside"), 0o755)
    x.start()
    t.ok(True, "xapid started with --plugin-dir %s" % x.plugin_dir)
    a = x.login()
    host = a.host.get_all()[0]

    with t.section("echo plugin"):
        if not have_echo:
            t.skip("host.call_plugin echo/main", "plugins/echo is not in this checkout (%s)" % ECHO)
        else:
            r = a.host.call_plugin(host, "echo", "main", {"a": "b"})
            t.ok(isinstance(r, str), "host.call_plugin(host, 'echo', 'main', {a: b}) returns a string", repr(r))
            try:
                t.eq(json.loads(r), {"a": "b"}, "echo's answer carries the arguments back")
            except ValueError:
                t.note("echo answered %r (not JSON)" % r)
            r = a.host.call_plugin(host, "echo", "main", {})
            t.ok(isinstance(r, str), "CloudStack's pingXAPI: call_plugin(echo, main, {}) succeeds", repr(r))
            r = a.host.call_plugin(host, "echo", "main", {"k\u00e9y": "v\u4e2d", "empty": ""})
            try:
                t.eq(json.loads(r), {"k\u00e9y": "v\u4e2d", "empty": ""}, "non-ASCII and empty arguments round-trip")
            except ValueError:
                t.note("echo answered %r (not JSON)" % r)
            task = a.call("Async.host.call_plugin", host, "echo", "main", {"x": "y"})
            harness.wait_until(lambda: a.task.get_status(task) != "pending", 60)
            rec = a.task.get_record(task)
            t.ok(rec["status"] == "success" and re.fullmatch(r"<value>.*</value>", rec["result"], re.S),
                 "Async.host.call_plugin succeeds with a <value>…</value> result", harness.short(rec))
            a.task.destroy(task)
            results = [None] * 10

            def one(i):
                b = x.api()
                b.session = a.session
                try:
                    results[i] = json.loads(b.host.call_plugin(host, "echo", "main", {"i": str(i)}))
                except Exception as e:
                    results[i] = e

            ths = [threading.Thread(target=one, args=(i,)) for i in range(10)]
            for th in ths:
                th.start()
            for th in ths:
                th.join(120)
            t.eq(results, [{"i": str(i)} for i in range(10)], "10 concurrent plugin calls each get their own answer")
            r, j = x.jsonrpc("host.call_plugin", [a.session, host, "echo", "main", {"via": "json"}])
            t.ok(j and isinstance(j.get("result"), str), "host.call_plugin over JSON-RPC", repr(r))

    with t.section("missing and hostile plugin names"):
        t.fails(lambda: a.host.call_plugin(host, "nosuch", "main", {}), "XENAPI_MISSING_PLUGIN",
                "unknown plugin → XENAPI_MISSING_PLUGIN [name]", params=["nosuch"])
        for name in ["../outside", "..", ".", "", "/bin/true", "echo/../../outside", "it_fail/x"]:
            try:
                r = a.host.call_plugin(host, name, "main", {})
                t.ok(False, "plugin name %r is refused" % name, "it ran and returned %r" % r)
            except XapiFailure as e:
                t.ok(e.code in ("XENAPI_MISSING_PLUGIN", "INVALID_VALUE"),
                     "plugin name %r → %s" % (name, e.code), str(e))
        t.ok(not os.path.exists(marker), "no plugin outside --plugin-dir was ever run")
        t.fails(lambda: a.host.call_plugin("OpaqueRef:nope", "echo", "main", {}), "HANDLE_INVALID",
                "call_plugin on a bad host ref → HANDLE_INVALID", params=["host", "OpaqueRef:nope"])

    with t.section("a failing plugin"):
        e = t.fails(lambda: a.host.call_plugin(host, "it_fail", "main", {}), "XENAPI_PLUGIN_FAILURE",
                    "a plugin exiting 3 → XENAPI_PLUGIN_FAILURE")
        if e:
            t.note("params: %s" % e.params)
        if have_echo:
            t.fails(lambda: a.host.call_plugin(host, "echo", "no_such_fn", {}),
                    ("UNKNOWN_XENAPI_PLUGIN_FUNCTION", "XENAPI_PLUGIN_FAILURE"),
                    "echo with an unknown function → UNKNOWN_XENAPI_PLUGIN_FUNCTION (or a plugin failure)")
        t.eq(len(a.pool.get_all()), 1, "the daemon serves after plugin failures")


if __name__ == "__main__":
    harness.run(main, start=False)
