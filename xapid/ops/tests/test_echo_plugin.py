#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs plugins/echo as host.call_plugin does and checks its replies."""
import json
import subprocess
import sys
import xmlrpc.client


def call(plugin, fn, args):
    arg = xmlrpc.client.dumps(("OpaqueRef:test", args), fn)
    out = subprocess.run([plugin, arg], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    (reply,), _ = xmlrpc.client.loads(out)
    return reply


def main():
    plugin = sys.argv[1]
    failed = 0
    reply = call(plugin, "main", {"a": "1", "b": "<&>"})
    if reply != {"Status": "Success", "Value": json.dumps({"a": "1", "b": "<&>"}, sort_keys=True)}:
        print("FAIL main:", reply)
        failed += 1
    reply = call(plugin, "main", {})
    if reply.get("Status") != "Success" or reply.get("Value") != "{}":
        print("FAIL main without args:", reply)
        failed += 1
    reply = call(plugin, "nope", {})
    if reply != {"Status": "Failure",
                 "ErrorDescription": ["UNKNOWN_XENAPI_PLUGIN_FUNCTION", "nope"]}:
        print("FAIL unknown function:", reply)
        failed += 1
    print("checked: echo main returns its args; unknown functions fail as XenAPIPlugin's do")
    print("ops-echo-plugin: 3 checks, %d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
