#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
The implicit messages every class gets (ARCHITECTURE.md "the datamodel
drives the code", WIRE.md §2, §4, CLIENTS.md §2, §5): get_all,
get_all_records(_where), get_record, get_by_uuid, get_by_name_label, every
field getter, RW setters, map add_to_/remove_from_, set add_/remove_,
create with partial and CloudStack-style full records, destroy, derived
set fields (VM.VIFs / network.VIFs / VM.VBDs), HANDLE_INVALID,
FIELD_TYPE_ERROR and ints sent as strings, on pool, host, VM, network,
VIF, VBD, task, secret and message.
"""
import xmlrpc.client

import harness
from harness import XapiFailure

NO_UUID = "00000000-1111-2222-3333-444444444444"
BAD = "OpaqueRef:11111111-2222-3333-4444-555555555555"


def getters(cls):
    """Field getter messages of cls in the datamodel: [(message name, field name)]."""
    fields = {f["name"] for f in harness.dm_class(cls)["fields"] if not f.get("internal_only")}
    out = []
    for m in harness.dm_class(cls)["messages"]:
        if m["kind"] == "field_getter" and m["name"][4:] in fields and m.get("lifecycle") != "Removed_s":
            out.append((m["name"], m["name"][4:]))
    return out


def has_field(cls, name):
    return any(f["name"] == name for f in harness.dm_class(cls)["fields"])


def check_class(t, a, cls, expect_some=True):
    """The read-side implicit messages of one class, against each other."""
    refs = a.call(cls + ".get_all")
    t.ok(isinstance(refs, list) and (refs or not expect_some), "%s.get_all returns %d refs" % (cls, len(refs)))
    recs = a.call(cls + ".get_all_records")
    t.eq(sorted(recs), sorted(refs), "%s.get_all_records is keyed by the refs of get_all" % cls)
    if not refs:
        return
    ref = refs[0]
    rec = a.call(cls + ".get_record", ref)
    t.eq(rec, recs[ref], "%s.get_record equals its get_all_records entry" % cls)
    if "uuid" in rec:
        t.eq(a.call(cls + ".get_by_uuid", rec["uuid"]), ref, "%s.get_by_uuid(uuid) → ref" % cls)
        t.fails(lambda: a.call(cls + ".get_by_uuid", NO_UUID), "UUID_INVALID",
                "%s.get_by_uuid(unknown) → UUID_INVALID" % cls)
    if "name_label" in rec and has_message(cls, "get_by_name_label"):
        got = a.call(cls + ".get_by_name_label", rec["name_label"])
        t.ok(ref in got, "%s.get_by_name_label(%r) contains the ref" % (cls, rec["name_label"]), got)
        t.eq(a.call(cls + ".get_by_name_label", "no such name \u2603"), [],
             "%s.get_by_name_label(unknown) → []" % cls)
    bad = []
    n = 0
    for msg, field in getters(cls):
        try:
            v = a.call("%s.%s" % (cls, msg), ref)
        except XapiFailure as e:
            bad.append("%s: %s %s" % (msg, e.code, e.params))
            continue
        n += 1
        if field not in rec:
            bad.append("%s: field missing from get_record" % field)
        elif v != rec[field]:
            bad.append("%s: getter %s != record %s" % (field, harness.short(v, 100), harness.short(rec[field], 100)))
    t.ok(not bad, "%s: all %d field getters agree with get_record" % (cls, n), "\n".join(bad[:20]))
    extra = sorted(set(rec) - {f for _, f in getters(cls)} - {f["name"] for f in harness.dm_class(cls)["fields"]})
    t.ok(not extra, "%s record has no fields outside the datamodel" % cls, extra)
    t.fails(lambda: a.call(cls + ".get_record", BAD), "HANDLE_INVALID",
            "%s.get_record(bad ref) → HANDLE_INVALID [%s, ref]" % (cls, cls), params=[cls, BAD])


def has_message(cls, name):
    return any(m["name"] == name for m in harness.dm_class(cls)["messages"])


def main(t, x):
    a = x.login()
    pool = a.pool.get_all()[0]
    host = a.host.get_all()[0]

    with t.section("read side on the bootstrap classes"):
        for cls in ["pool", "host", "host_metrics", "host_cpu", "network", "PIF", "SR", "PBD", "VM", "console"]:
            try:
                check_class(t, a, cls, expect_some=cls in ("pool", "host", "VM"))
            except XapiFailure as e:
                t.ok(False, "%s implicit reads" % cls, str(e))

    with t.section("setters"):
        old = a.pool.get_name_label(pool)
        t.eq(a.pool.set_name_label(pool, "it-pool \u00e9\u4e2d"), "", "pool.set_name_label returns ''")
        t.eq(a.pool.get_name_label(pool), "it-pool \u00e9\u4e2d", "pool name_label set (non-ASCII round trip)")
        a.pool.set_name_label(pool, old)
        a.host.set_name_description(host, "desc")
        t.eq(a.host.get_name_description(host), "desc", "host.set_name_description")
        net = a.network.create({"name_label": "it-net", "name_description": "", "other_config": {}})
        t.ok(net.startswith("OpaqueRef:"), "network.create with a partial record")
        a.network.set_MTU(net, "9000")
        t.eq(a.network.get_MTU(net), "9000", "network.set_MTU with the int sent as a string (XO style)")
        a.network.set_MTU(net, 1400)
        t.eq(a.network.get_MTU(net), "1400", "network.set_MTU with <int>")
        for tag, val in [("i4", "1280"), ("i8", "1300"), ("int", "1350")]:
            body = "<?xml version='1.0'?><methodCall><methodName>network.set_MTU</methodName><params>" \
                   "<param><value>%s</value></param><param><value>%s</value></param>" \
                   "<param><value><%s>%s</%s></value></param></params></methodCall>" % (a.session, net, tag, val, tag)
            r = x.post_xml(body)
            t.ok(r.status == 200 and "Success" in r.text() and a.network.get_MTU(net) == val,
                 "network.set_MTU with <%s>" % tag, "%s\n%r" % (body, r))
        t.fails(lambda: a.network.set_MTU(net, "abc"), "FIELD_TYPE_ERROR", "int setter with 'abc' → FIELD_TYPE_ERROR")
        t.fails(lambda: a.network.set_MTU(net, "99999999999999999999999"), "FIELD_TYPE_ERROR",
                "int setter with an int64 overflow → FIELD_TYPE_ERROR")
        t.eq(a.network.get_MTU(net), "1350", "failed setters changed nothing")
        vm = a.VM.create(harness.vm_record("it-vm"))
        a.VM.set_is_a_template(vm, True)
        t.eq(a.VM.get_is_a_template(vm), True, "VM.set_is_a_template(true) (bool setter)")
        a.VM.set_is_a_template(vm, False)
        t.fails(lambda: a.VM.set_is_a_template(vm, "true"), "FIELD_TYPE_ERROR",
                "bool setter with the string 'true' → FIELD_TYPE_ERROR")
        t.fails(lambda: a.VM.set_tags(vm, "not-a-set"), "FIELD_TYPE_ERROR", "set setter with a string → FIELD_TYPE_ERROR")
        t.fails(lambda: a.VM.set_HVM_boot_params(vm, ["a"]), "FIELD_TYPE_ERROR",
                "map setter with an array → FIELD_TYPE_ERROR")
        a.VM.set_affinity(vm, host)
        t.eq(a.VM.get_affinity(vm), host, "VM.set_affinity(host ref)")
        t.fails(lambda: a.VM.set_affinity(vm, BAD), "HANDLE_INVALID", "ref setter with a dangling ref → HANDLE_INVALID",
                params=["host", BAD])
        a.VM.set_affinity(vm, "OpaqueRef:NULL")
        t.eq(a.VM.get_affinity(vm), "OpaqueRef:NULL", "VM.set_affinity(OpaqueRef:NULL)")
        t.fails(lambda: a.VM.set_name_label(BAD, "x"), "HANDLE_INVALID", "setter on a bad ref → HANDLE_INVALID [VM, ref]",
                params=["VM", BAD])
        t.fails(lambda: a.VM.get_name_label(BAD), "HANDLE_INVALID", "getter on a bad ref → HANDLE_INVALID [VM, ref]",
                params=["VM", BAD])
        t.fails(lambda: a.VM.get_name_label(host), "HANDLE_INVALID",
                "getter on a ref of another class → HANDLE_INVALID [VM, ref]", params=["VM", host])
        t.fails(lambda: a.call("VM.set_uuid", vm, NO_UUID), "MESSAGE_METHOD_UNKNOWN",
                "no setter for a read-only field (VM.set_uuid)")

    with t.section("maps and sets"):
        for cls, ref in [("pool", pool), ("VM", vm), ("network", net), ("host", host)]:
            uuid = a.call(cls + ".get_uuid", ref)
            a.call(cls + ".remove_from_other_config", ref, "it-k")
            t.eq(a.call(cls + ".remove_from_other_config", ref, "it-missing"), "",
                 "%s.remove_from_other_config of a missing key succeeds" % cls)
            a.call(cls + ".add_to_other_config", ref, "it-k", "v1")
            t.eq(a.call(cls + ".get_other_config", ref).get("it-k"), "v1", "%s.add_to_other_config adds the key" % cls)
            t.fails(lambda: a.call(cls + ".add_to_other_config", ref, "it-k", "v2"), "MAP_DUPLICATE_KEY",
                    "%s.add_to_other_config of an existing key → MAP_DUPLICATE_KEY [class, field, uuid, key]" % cls,
                    params=[cls, "other_config", uuid, "it-k"])
            t.eq(a.call(cls + ".get_other_config", ref).get("it-k"), "v1", "%s: the duplicate add changed nothing" % cls)
            a.call(cls + ".remove_from_other_config", ref, "it-k")
            t.ok("it-k" not in a.call(cls + ".get_other_config", ref), "%s.remove_from_other_config removes it" % cls)
        a.VM.set_other_config(vm, {"a": "1", "b": "2"})
        t.eq(a.VM.get_other_config(vm), {"a": "1", "b": "2"}, "VM.set_other_config replaces the map")
        t.fails(lambda: a.VM.add_to_other_config(BAD, "k", "v"), "HANDLE_INVALID",
                "add_to_other_config on a bad ref → HANDLE_INVALID", params=["VM", BAD])
        a.VM.add_tags(vm, "red")
        a.VM.add_tags(vm, "blue")
        a.VM.add_tags(vm, "red")
        t.eq(sorted(a.VM.get_tags(vm)), ["blue", "red"], "VM.add_tags adds, and adding twice keeps one")
        a.VM.remove_tags(vm, "red")
        a.VM.remove_tags(vm, "absent")
        t.eq(a.VM.get_tags(vm), ["blue"], "VM.remove_tags removes; removing a missing tag succeeds")
        a.VM.set_tags(vm, ["x", "y"])
        t.eq(sorted(a.VM.get_tags(vm)), ["x", "y"], "VM.set_tags replaces the set")
        a.network.add_tags(net, "n1")
        t.eq(a.network.get_tags(net), ["n1"], "network.add_tags")

    with t.section("get_all_records_where"):
        n_a = a.network.create({"name_label": "wx-a", "other_config": {"k": "a"}, "MTU": "1500"})
        n_b = a.network.create({"name_label": "wx-b", "other_config": {}, "MTU": "9000"})
        cases = [
            ('field "name__label"="wx-a"', {n_a}, set()),
            ('field "name__label" = "wx-a" or field "name__label" = "wx-b"', {n_a, n_b}, set()),
            ('field "name__label"="wx-a" and field "MTU"="1500"', {n_a}, {n_b}),
            ('field "name__label"="wx-b" and field "MTU"="1500"', set(), {n_a, n_b}),
            ('not (field "name__label"="wx-a")', {n_b}, {n_a}),
            ('(field "name__label"="wx-a" or field "name__label"="wx-b") and not (field "MTU"="9000")', {n_a}, {n_b}),
            ('field "uuid"="%s"' % a.network.get_uuid(n_b), {n_b}, {n_a}),
            ('true', {n_a, n_b}, set()),
            ('false', set(), {n_a, n_b}),
        ]
        for expr, want_in, want_out in cases:
            try:
                got = a.network.get_all_records_where(expr)
            except XapiFailure as e:
                t.ok(False, "network.get_all_records_where(%s)" % expr, str(e))
                continue
            ok = want_in <= set(got) and not (want_out & set(got))
            if expr.startswith('field "name__label"="wx-a"') and "and" not in expr:
                ok = ok and set(got) == {n_a}
            t.ok(ok, "get_all_records_where(%s)" % expr, "got %s" % sorted(got))
            if ok and want_in:
                r = next(iter(want_in))
                t.eq(got[r], a.network.get_record(r), "  …its records equal get_record")
        got = a.VM.get_all_records_where('field "is_control_domain"="false" and field "is_a_template"="false"')
        t.ok(vm in got and all(not r["is_control_domain"] and not r["is_a_template"] for r in got.values()),
             "VM.get_all_records_where on bool fields (Nova's query)", sorted(got))
        t.fails(lambda: a.network.get_all_records_where('field "name__label"='), "INVALID_VALUE",
                "unparsable expression → INVALID_VALUE")

    with t.section("create and destroy"):
        rec = a.VM.get_record(vm)
        t.eq(rec["name_label"], "it-vm", "VM.create stored name_label")
        t.eq(rec["memory_static_max"], "268435456", "VM.create stored an int sent as a string")
        t.eq(rec["power_state"], "Halted", "a new VM is Halted")
        t.ok(len(rec["uuid"]) == 36, "VM.create assigned a uuid")
        t.eq(a.VM.get_by_uuid(rec["uuid"]), vm, "new VM found by uuid")
        t.ok(vm in a.VM.get_by_name_label("it-vm"), "new VM found by name label")
        v2 = a.VM.create({"name_label": "partial", "memory_static_max": 268435456 >> 4})
        t.eq(a.VM.get_memory_static_max(v2), str(268435456 >> 4), "VM.create with a partial record takes defaults")
        dflt = default_of("VM", "name_description")
        t.eq(a.VM.get_name_description(v2), dflt, "…and the datamodel default %r for a missing field" % dflt)
        t.fails(lambda: a.VM.create("not a struct"), "FIELD_TYPE_ERROR", "VM.create with a string → FIELD_TYPE_ERROR")
        t.fails(lambda: a.VM.create(harness.vm_record("x", memory_static_max="lots")), "FIELD_TYPE_ERROR",
                "VM.create with a non-numeric int field → FIELD_TYPE_ERROR")
        t.fails(lambda: a.VM.create(harness.vm_record("x", actions_after_crash="explode")),
                ("FIELD_TYPE_ERROR", "INVALID_VALUE"),
                "VM.create with an unknown enum in a creatable field → FIELD_TYPE_ERROR or INVALID_VALUE")
        t.fails(lambda: a.VM.create(harness.vm_record("x", affinity=BAD)), "HANDLE_INVALID",
                "VM.create with a dangling ref → HANDLE_INVALID", params=["host", BAD])
        t.eq(len(a.VM.get_by_name_label("x")), 0, "failed creates left nothing behind")

        # CloudStack: the full template record, read-only fields and Java
        # defaults included, with "illegal enum" where no value was set.
        tmpls = a.VM.get_all_records_where('field "is_a_template"="true"')
        if tmpls:
            tref, trec = sorted(tmpls.items())[0]
            t.note("using template %r" % trec["name_label"])
        else:
            tref, trec = vm, a.VM.get_record(vm)
            t.note("no template in the database: using the record of a created VM")
        full = dict(trec)
        full.update({"name_label": "i-2-10-VM", "is_a_template": False, "affinity": "",
                     "suspend_VDI": "", "actions_after_crash": "Destroy", "domain_type": "HVM",
                     "allowed_operations": ["illegal enum"], "current_operations": {"x": "illegal enum"},
                     "secureboot_certificates_state": "illegal enum", "uuid": NO_UUID,
                     "VCPUs_max": "2", "VCPUs_at_startup": "2", "consoles": [], "xenstore_data": {},
                     "resident_on": "OpaqueRef:NULL", "last_booted_record": "",
                     "start_time": xmlrpc.client.DateTime("19700101T00:00:00")})
        try:
            cs = a.VM.create(full)
            crec = a.VM.get_record(cs)
            t.ok(True, "VM.create(full template record with read-only fields and 'illegal enum') succeeds")
            t.ok(crec["uuid"] != NO_UUID, "…the read-only uuid sent was ignored", crec["uuid"])
            t.eq(crec["affinity"], "OpaqueRef:NULL", "…'' taken as the null ref")
            t.eq(crec["actions_after_crash"], "destroy", "…enum 'Destroy' accepted case-insensitively")
            t.eq(crec["domain_type"], "hvm", "…enum 'HVM' stored as 'hvm'")
            t.eq(crec["VCPUs_max"], "2", "…VCPUs_max from the string '2'")
            t.ok("illegal enum" not in repr(crec), "…no 'illegal enum' stored anywhere", harness.short(crec))
            t.eq(crec["is_a_template"], False, "…is_a_template false")
            t.eq(crec["VIFs"], [], "…derived VIFs not copied from the template")
            a.VM.destroy(cs)
        except XapiFailure as e:
            t.ok(False, "VM.create(full template record with read-only fields and 'illegal enum') succeeds",
                 "%s\nrecord sent: %s" % (e, harness.short(full, 3000)))

        sec = a.secret.create({"value": "s3cr3t", "other_config": {}})
        t.eq(a.secret.get_value(sec), "s3cr3t", "secret.create / get_value")
        check_class(t, a, "secret")
        a.secret.set_value(sec, "other")
        t.eq(a.secret.get_value(sec), "other", "secret.set_value (RW)")
        a.secret.destroy(sec)
        t.fails(lambda: a.secret.get_value(sec), "HANDLE_INVALID", "secret.destroy then get → HANDLE_INVALID",
                params=["secret", sec])

        before = set(a.VM.get_all())
        a.VM.destroy(v2)
        t.ok(v2 not in a.VM.get_all() and len(before) - 1 == len(a.VM.get_all()), "VM.destroy removes exactly that VM")
        t.fails(lambda: a.VM.get_record(v2), "HANDLE_INVALID", "destroyed VM → HANDLE_INVALID [VM, ref]",
                params=["VM", v2])
        t.fails(lambda: a.VM.destroy(v2), "HANDLE_INVALID", "destroying twice → HANDLE_INVALID")

    with t.section("derived set fields (VIF, VBD)"):
        vif_rec = {"device": "0", "network": net, "VM": vm, "MAC": "", "MTU": "1500", "other_config": {},
                   "qos_algorithm_type": "", "qos_algorithm_params": {}, "locking_mode": "network_default"}
        vif = a.VIF.create(vif_rec)
        t.eq(a.network.get_VIFs(net), [vif], "network.VIFs shows the VIF made on it (from VIF.network)")
        t.eq(a.VM.get_VIFs(vm), [vif], "VM.VIFs shows it (from VIF.VM)")
        t.eq(a.VM.get_record(vm)["VIFs"], [vif], "VM.get_record has it too")
        t.ok(vif in a.network.get_all_records_where('field "name__label"="it-net"')[net]["VIFs"],
             "…and get_all_records_where's records")
        vif2 = a.VIF.create(dict(vif_rec, device="1"))
        t.eq(sorted(a.VM.get_VIFs(vm)), sorted([vif, vif2]), "two VIFs on the VM")
        check_class(t, a, "VIF")
        t.fails(lambda: a.VIF.create(dict(vif_rec, network=BAD)), "HANDLE_INVALID",
                "VIF.create on a dangling network → HANDLE_INVALID [network, ref]", params=["network", BAD])
        a.VIF.destroy(vif)
        t.eq(a.network.get_VIFs(net), [vif2], "VIF.destroy removes it from network.VIFs")
        t.eq(a.VM.get_VIFs(vm), [vif2], "…and from VM.VIFs")
        vbd = a.VBD.create({"VM": vm, "VDI": "OpaqueRef:NULL", "userdevice": "3", "bootable": False, "mode": "RO",
                            "type": "CD", "empty": True, "unpluggable": True, "other_config": {},
                            "qos_algorithm_type": "", "qos_algorithm_params": {}})
        t.eq(a.VM.get_VBDs(vm), [vbd], "VM.VBDs shows the VBD (from VBD.VM)")
        t.eq(a.VBD.get_type(vbd), "CD", "VBD.type 'CD' stored")
        vbd2 = a.VBD.create({"VM": vm, "VDI": "", "userdevice": "4", "bootable": False, "mode": "ro",
                             "type": "cd", "empty": True, "other_config": {}, "qos_algorithm_type": "",
                             "qos_algorithm_params": {}})
        t.eq((a.VBD.get_type(vbd2), a.VBD.get_mode(vbd2), a.VBD.get_VDI(vbd2)), ("CD", "RO", "OpaqueRef:NULL"),
             "VBD.create with Nova's lower-case enums and '' for the null VDI")
        a.VBD.destroy(vbd2)
        a.VBD.destroy(vbd)
        t.eq(a.VM.get_VBDs(vm), [], "VBD.destroy empties VM.VBDs")

    with t.section("task and message classes"):
        tk = a.task.create("it-task", "desc")
        check_class(t, a, "task")
        t.ok(tk in a.task.get_by_name_label("it-task"), "task.get_by_name_label finds the client task")
        a.task.destroy(tk)
        try:
            mref = a.message.create("IT_MESSAGE", "3", "VM", a.VM.get_uuid(vm), "body text")
            t.ok(mref.startswith("OpaqueRef:"), "message.create")
            recs = a.message.get_all_records()
            t.ok(mref in recs and recs[mref]["name"] == "IT_MESSAGE", "message.get_all_records has it",
                 harness.short(recs))
            t.eq(a.message.get_record(mref), recs.get(mref), "message.get_record")
            t.eq(a.message.get_by_uuid(recs[mref]["uuid"]), mref, "message.get_by_uuid")
            t.ok(mref in a.message.get_all(), "message.get_all")
            got = a.message.get_all_records_where('field "name"="IT_MESSAGE"')
            t.eq(list(got), [mref], "message.get_all_records_where")
            a.message.destroy(mref)
            t.ok(mref not in a.message.get_all(), "message.destroy")
        except XapiFailure as e:
            t.ok(False, "message class messages", str(e))


def default_of(cls, field):
    for f in harness.dm_class(cls)["fields"]:
        if f["name"] == field:
            return f.get("default_value")


if __name__ == "__main__":
    harness.run(main)
