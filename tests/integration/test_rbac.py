#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
RBAC (WIRE.md §4): local accounts made with `xapid user-add` for the roles
read-only, vm-operator, vm-admin and pool-operator; a table of reads and
writes is run as each of them. What the datamodel's roles (and
map_keys_roles) allow must succeed; everything else must fail with
RBAC_PERMISSION_DENIED [permission, message] and change nothing.
"""
import harness
from harness import XapiFailure

ROLES = ["read-only", "vm-operator", "vm-admin", "pool-operator"]


def allowed(role, wire, key=None):
    m = harness.dm_message(wire[6:] if wire.startswith("Async.") else wire)
    roles = m["roles"]
    if key is not None and m.get("map_keys_roles"):
        for k, r in m["map_keys_roles"].items():
            if k == key or (k.endswith("*") and key.startswith(k[:-1])):
                roles = r
    return role in roles


def main(t, x):
    for i, r in enumerate(ROLES):
        x.add_user("user%d" % i, r, "pw-%d" % i)
    x.start()
    t.ok(True, "xapid started with users for %s" % ", ".join(ROLES))
    root = x.login()
    pool = root.pool.get_all()[0]
    host = root.host.get_all()[0]
    vm = root.VM.create(harness.vm_record("rbac-vm"))

    def snapshot():
        return {"vms": sorted(root.VM.get_all()), "vm": root.VM.get_record(vm), "pool": root.pool.get_record(pool),
                "nets": sorted(root.network.get_all()), "secrets": sorted(root.secret.get_all())}

    def victim():
        return root.VM.create(harness.vm_record("rbac-victim"))

    # (description, wire name, map key or None, fn(api, ctx) -> result, undo(result, ctx))
    ops = [
        ("read pool.get_all_records", "pool.get_all_records", None, lambda a, c: a.pool.get_all_records(), None),
        ("read VM.get_record", "VM.get_record", None, lambda a, c: a.VM.get_record(vm), None),
        ("read host.get_record", "host.get_record", None, lambda a, c: a.host.get_record(host), None),
        ("read event.from", "event.from", None, lambda a, c: a.call("event.from", ["VM"], "", 0.0), None),
        ("task.create", "task.create", None, lambda a, c: a.task.create("rbac", ""),
         lambda r, c: root.task.destroy(r)),
        ("VM.set_name_label", "VM.set_name_label", None, lambda a, c: a.VM.set_name_label(vm, "renamed"),
         lambda r, c: root.VM.set_name_label(vm, "rbac-vm")),
        ("VM.add_tags", "VM.add_tags", None, lambda a, c: a.VM.add_tags(vm, "t1"),
         lambda r, c: root.VM.remove_tags(vm, "t1")),
        ("VM.create", "VM.create", None, lambda a, c: a.VM.create(harness.vm_record("rbac-new")),
         lambda r, c: root.VM.destroy(r)),
        ("Async.VM.create", "Async.VM.create", None, lambda a, c: a.call("Async.VM.create", harness.vm_record("rbac-async")),
         lambda r, c: cleanup_async(root, r)),
        ("VM.destroy", "VM.destroy", None, lambda a, c: a.VM.destroy(c["victim"]), None),
        ("VM.add_to_other_config key k", "VM.add_to_other_config", "k",
         lambda a, c: a.VM.add_to_other_config(vm, "k", "v"), lambda r, c: root.VM.remove_from_other_config(vm, "k")),
        ("VM.add_to_other_config key folder", "VM.add_to_other_config", "folder",
         lambda a, c: a.VM.add_to_other_config(vm, "folder", "/f"),
         lambda r, c: root.VM.remove_from_other_config(vm, "folder")),
        ("VM.add_to_other_config key pci (pool-admin only)", "VM.add_to_other_config", "pci",
         lambda a, c: a.VM.add_to_other_config(vm, "pci", "0/0000:00:01.0"),
         lambda r, c: root.VM.remove_from_other_config(vm, "pci")),
        ("pool.add_to_other_config key rbac-k", "pool.add_to_other_config", "rbac-k",
         lambda a, c: a.pool.add_to_other_config(pool, "rbac-k", "v"),
         lambda r, c: root.pool.remove_from_other_config(pool, "rbac-k")),
        ("pool.add_to_other_config key XenCenter.CustomFields.x", "pool.add_to_other_config", "XenCenter.CustomFields.x",
         lambda a, c: a.pool.add_to_other_config(pool, "XenCenter.CustomFields.x", "v"),
         lambda r, c: root.pool.remove_from_other_config(pool, "XenCenter.CustomFields.x")),
        ("pool.set_name_label", "pool.set_name_label", None, lambda a, c: a.pool.set_name_label(pool, "rbac-pool"),
         lambda r, c: root.pool.set_name_label(pool, c["pool_name"])),
        ("network.create", "network.create", None,
         lambda a, c: a.network.create({"name_label": "rbac-net", "other_config": {}}),
         lambda r, c: root.network.destroy(r)),
        ("secret.create", "secret.create", None, lambda a, c: a.secret.create({"value": "x", "other_config": {}}),
         lambda r, c: root.secret.destroy(r)),
    ]

    for i, role in enumerate(ROLES):
        with t.section("role %s" % role):
            a = x.login("user%d" % i, "pw-%d" % i)
            t.ok(True, "%s user logs in" % role)
            rec = a.sess.get_record(a.session)
            t.eq(rec.get("is_local_superuser"), False, "%s session is not the local superuser" % role)
            for desc, wire, key, fn, undo in ops:
                ctx = {"victim": victim() if wire == "VM.destroy" else None,
                       "pool_name": root.pool.get_name_label(pool)}
                before = snapshot()
                want = allowed(role, wire, key)
                try:
                    res = fn(a, ctx)
                    err = None
                except XapiFailure as e:
                    res, err = None, e
                if want:
                    t.ok(err is None, "%s may %s" % (role, desc), str(err))
                    if err is None and undo:
                        undo(res, ctx)
                else:
                    good = (err is not None and err.code == "RBAC_PERMISSION_DENIED" and len(err.params) == 2
                            and err.params[0].lower().startswith(wire.replace("Async.", "").lower()))
                    t.ok(good, "%s may not %s → RBAC_PERMISSION_DENIED [permission, message]" % (role, desc),
                         "got %s" % (err or "success: %s" % harness.short(res)))
                    after = snapshot()
                    t.ok(after == before, "  …and nothing changed", diff(before, after))
                if ctx["victim"] and ctx["victim"] in root.VM.get_all():
                    root.VM.destroy(ctx["victim"])
            # JSON-RPC goes through the same checks.
            r, j = x.jsonrpc("VM.set_name_label", [a.session, vm, "json-rename"])
            if allowed(role, "VM.set_name_label"):
                t.ok(j and "result" in j, "%s: VM.set_name_label over JSON-RPC allowed" % role, repr(r))
                root.VM.set_name_label(vm, "rbac-vm")
            else:
                t.ok(j and j.get("error", {}).get("message") == "RBAC_PERMISSION_DENIED",
                     "%s: VM.set_name_label over JSON-RPC → RBAC_PERMISSION_DENIED" % role, repr(r))
            t.eq(a.logout(), "", "%s may log out" % role)

    with t.section("pool-admin accounts"):
        try:
            x.add_user("admin2", "pool-admin", "pw-a")
            b = x.login("admin2", "pw-a")
            b.pool.add_to_other_config(pool, "by-admin2", "1")
            b.pool.remove_from_other_config(pool, "by-admin2")
            t.ok(True, "a pool-admin added while running can log in and write")
        except XapiFailure as e:
            t.ok(False, "a pool-admin added while running can log in and write", str(e))
        t.fails(lambda: x.login("user0", "wrong"), "SESSION_AUTHENTICATION_FAILED", "a user's wrong password fails")


def cleanup_async(root, task):
    harness.wait_until(lambda: root.task.get_status(task) != "pending", 30)
    res = root.task.get_result(task)
    if res.startswith("<value>OpaqueRef:"):
        root.VM.destroy(res[len("<value>"):-len("</value>")])
    root.task.destroy(task)


def diff(a, b):
    out = []
    for k in a:
        if a[k] != b[k]:
            if isinstance(a[k], dict):
                ks = [kk for kk in set(a[k]) | set(b[k]) if a[k].get(kk) != b[k].get(kk)]
                out.append("%s: %s" % (k, ["%s: %s → %s" % (kk, a[k].get(kk), b[k].get(kk)) for kk in ks]))
            else:
                out.append("%s: %s → %s" % (k, harness.short(a[k], 200), harness.short(b[k], 200)))
    return "\n".join(out) or "(no difference)"


if __name__ == "__main__":
    harness.run(main, start=False)
