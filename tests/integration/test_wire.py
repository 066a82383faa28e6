#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Wire-format details that real clients depend on (WIRE.md §1–4, CLIENTS.md §1,
§3), checked on the exact bytes and headers with raw HTTP: compact XML,
exact Content-Types, CORS, value encodings, the Status envelopes, XML-RPC on
any POST path, JSON-RPC v1/v2 success and error shapes, system.*, HTTP 500
for unparsable bodies, dispatch errors and the Class_msg spelling.
"""
import json
import re
import xmlrpc.client

import harness
from harness import XapiFailure

DT = re.compile(r"<dateTime\.iso8601>(\d{8}T\d\d:\d\d:\d\dZ)</dateTime\.iso8601>")


def xml_body(method, *params):
    return xmlrpc.client.dumps(tuple(params), method, allow_none=True)


def decode(reply):
    """The single value of an XML-RPC methodResponse."""
    (v,), _ = xmlrpc.client.loads(reply.body, use_builtin_types=False)
    return v


def main(t, x):
    pw = x.root_password

    with t.section("XML-RPC reply bytes"):
        req = xml_body("session.login_with_password", "root", pw)
        r = x.post_xml(req)
        t.eq(r.status, 200, "login over raw XML-RPC → HTTP 200", req)
        t.eq(r.headers.get("content-type"), "text/xml", "XML-RPC Content-Type is exactly text/xml")
        t.eq(r.headers.get("access-control-allow-origin"), "*", "XML-RPC reply has Access-Control-Allow-Origin: *")
        body = r.text()
        t.ok(not re.search(r">\s+<", body), "XML reply is compact (no whitespace between tags)", body)
        t.ok("<methodResponse><params><param><value><struct>" in body,
             "reply is methodResponse/params/param/value/struct", body)
        m = re.search(r"<member><name>Value</name><value>(OpaqueRef:[0-9a-f-]{36})</value></member>", body)
        t.ok(m, "session ref sent as a bare <value>OpaqueRef:…</value> string", body)
        t.ok("<name>Status</name><value>Success</value>" in body, "Status is the bare string Success", body)
        s = m.group(1) if m else decode(r).get("Value")

        host = None
        for p in ["/", "/RPC2", "/xmlrpc", "/some/other/path"]:
            rr = x.post_xml(xml_body("host.get_all", s), path=p)
            ok = rr.status == 200 and rr.headers.get("content-type") == "text/xml"
            v = decode(rr) if ok else None
            t.ok(ok and v.get("Status") == "Success", "XML-RPC served on POST %s" % p, repr(rr))
            if v and v.get("Status") == "Success":
                host = v["Value"][0]

        rr = x.post_xml(xml_body("host.get_API_version_major", s, host))
        body = rr.text()
        t.ok(re.search(r"<name>Value</name><value>\d+</value>", body) and "<i4>" not in body and "<int>" not in body,
             "int64 result is a bare <value>123</value> string (no <i4>/<int>)", body)
        vm = harness_vm(x, s)
        rr = x.post_xml(xml_body("VM.get_is_a_template", s, vm))
        t.ok("<name>Value</name><value><boolean>0</boolean></value>" in rr.text(),
             "bool result is <boolean>0</boolean>", rr.text())
        rr = x.post_xml(xml_body("VM.get_name_description", s, vm))
        t.ok("<name>Value</name><value></value>" in rr.text(), "empty string result is <value></value>", rr.text())
        rr = x.post_xml(xml_body("VM.get_record", s, vm))
        body = rr.text()
        t.ok("<name>name_description</name><value></value>" in body,
             "empty string field inside a record is <value></value>", body)
        t.ok("<string>" not in body and "<string/>" not in body, "strings are never wrapped in <string>", body)
        t.ok(re.search(r"<name>memory_static_max</name><value>\d+</value>", body),
             "int64 field inside a record is a bare string", body)
        t.ok("<name>other_config</name><value><struct>" in body or
             "<name>other_config</name><value><struct></struct></value>" in body,
             "map field is a <struct>", body)
        t.ok(re.search(r"<name>tags</name><value><array><data>(</data>|<value>)", body),
             "set field is an <array><data>", body)
        rr = x.post_xml(xml_body("session.get_last_active", s, s))
        m = DT.search(rr.text())
        t.ok(m, "datetime is <dateTime.iso8601>%Y%m%dT%H:%M:%SZ</dateTime.iso8601>", rr.text())
        rr = x.post_xml(xml_body("VM.get_record", s, "OpaqueRef:nope"))
        body = rr.text()
        t.ok(re.search(r"<name>Status</name><value>Failure</value>", body) and
             "<name>ErrorDescription</name><value><array><data><value>HANDLE_INVALID</value>"
             "<value>VM</value><value>OpaqueRef:nope</value></data></array></value>" in body,
             "Failure envelope: ErrorDescription is an array of bare strings [HANDLE_INVALID, VM, ref]", body)
        t.ok("<fault>" not in body, "application errors are never <fault>s", body)
        rr = x.post_xml(xml_body("VM.set_name_description", s, vm, ""))
        t.ok("<name>Value</name><value></value>" in rr.text(), "void result is Value <value></value>", rr.text())

    with t.section("CORS preflight"):
        for p in ["/", "/jsonrpc"]:
            r = x.http("OPTIONS", p, headers={"Origin": "http://example.org",
                                               "Access-Control-Request-Method": "POST"})
            t.ok(200 <= r.status < 300 and r.headers.get("access-control-allow-origin") == "*",
                 "OPTIONS %s → 2xx with Access-Control-Allow-Origin: *" % p, repr(r))
            t.ok("x-requested-with" in r.headers.get("access-control-allow-headers", "").lower(),
                 "OPTIONS %s allows the X-Requested-With header" % p, repr(r))

    with t.section("JSON-RPC v2 and v1 shapes"):
        r, j = x.jsonrpc("session.login_with_password", ["root", pw], version=2, id=0)
        t.eq(r.headers.get("content-type"), "application/json", "JSON-RPC Content-Type is exactly application/json")
        t.eq(r.headers.get("access-control-allow-origin"), "*", "JSON-RPC reply has Access-Control-Allow-Origin: *")
        t.ok(isinstance(j, dict) and set(j) == {"jsonrpc", "result", "id"} and j["jsonrpc"] == "2.0" and j["id"] == 0,
             "v2 success is exactly {jsonrpc: '2.0', result, id: 0}", repr(r))
        js = j.get("result") if j else None
        r, j = x.jsonrpc("VM.get_record", [js, "OpaqueRef:nope"], version=2, id=7)
        ok = (isinstance(j, dict) and set(j) == {"jsonrpc", "error", "id"} and j["id"] == 7 and
              isinstance(j["error"], dict) and type(j["error"].get("code")) is int and j["error"]["code"] == 1
              and j["error"].get("message") == "HANDLE_INVALID" and j["error"].get("data") == ["VM", "OpaqueRef:nope"])
        t.ok(ok, "v2 error is {jsonrpc, error: {code: 1 (integer), message: CODE, data: [params]}, id}", repr(r))
        r, j = x.jsonrpc("host.get_all", [js], version=1, id="abc")
        t.ok(isinstance(j, dict) and set(j) == {"result", "error", "id"} and j["error"] is None and
             j["id"] == "abc" and isinstance(j["result"], list) and len(j["result"]) == 1,
             "v1 success is {result, error: null, id} with the string id echoed", repr(r))
        hostj = j["result"][0] if j and j.get("result") else None
        r, j = x.jsonrpc("VM.get_record", [js, "OpaqueRef:nope"], version=1, id=3)
        t.ok(isinstance(j, dict) and j.get("result") is None and j.get("error") == ["HANDLE_INVALID", "VM", "OpaqueRef:nope"]
             and j.get("id") == 3, "v1 error is {result: null, error: [CODE, params…], id}", repr(r))
        r, j = x.jsonrpc("host.get_API_version_major", [js, hostj], version=2)
        t.ok(j and type(j.get("result")) is int, "int64 over JSON-RPC is a JSON number", repr(r))
        r, j = x.jsonrpc("session.get_last_active", [js, js], version=2)
        t.ok(j and isinstance(j.get("result"), str) and re.fullmatch(r"\d{8}T\d\d:\d\d:\d\dZ", j["result"]),
             "datetime over JSON-RPC is the string YYYYMMDDTHH:MM:SSZ", repr(r))
        r, j = x.jsonrpc("VM.get_is_a_template", [js, harness_vm(x, js)], version=2)
        t.ok(j and j.get("result") is False, "bool over JSON-RPC is false", repr(r))

        # Sessions cross protocols.
        a = x.api()
        a.session = js
        try:
            t.eq(len(a.pool.get_all()), 1, "a JSON-RPC session works over XML-RPC")
        except XapiFailure as e:
            t.ok(False, "a JSON-RPC session works over XML-RPC", str(e))
        r, j = x.jsonrpc("pool.get_all", [s], version=2)
        t.ok(j and isinstance(j.get("result"), list) and len(j["result"]) == 1,
             "an XML-RPC session works over JSON-RPC", repr(r))

        # Malformed JSON-RPC requests: never a crash, always a well-formed error.
        for label, body in [("garbage", b"{not json"), ("no method", b'{"jsonrpc":"2.0","params":[],"id":1}'),
                            ("params not an array", b'{"jsonrpc":"2.0","method":"pool.get_all","params":5,"id":1}')]:
            r = x.http("POST", "/jsonrpc", body, {"Content-Type": "application/json"})
            ok = r.status == 500
            if r.status == 200:
                try:
                    j = r.json()
                    ok = (isinstance(j.get("error"), dict) and type(j["error"].get("code")) is int) or \
                        isinstance(j.get("error"), list)
                except ValueError:
                    ok = False
            t.ok(ok, "JSON-RPC %s → HTTP 500 or a JSON-RPC error object" % label, repr(r))

    with t.section("system.listMethods and system.isAlive"):
        for label, r in [("XML-RPC", x.post_xml(xml_body("system.listMethods"))),
                         ("XML-RPC /xmlrpc", x.post_xml(xml_body("system.listMethods"), path="/xmlrpc"))]:
            v = decode(r) if r.status == 200 else None
            if isinstance(v, dict) and v.get("Status") == "Success":
                t.note("%s listMethods is wrapped in Status/Value" % label)
                v = v["Value"]
            else:
                t.note("%s listMethods is bare (as XAPI sends it)" % label)
            t.ok(isinstance(v, list) and len(v) > 1000, "%s system.listMethods without a session returns the names"
                 % label, repr(r)[:500])
        names = v if isinstance(v, list) else []
        t.eq(len(names) - len(set(names)), 0, "listMethods has no duplicates",)
        for want in ["pool.get_all_records", "host.get_all_records", "VM.get_all_records", "task.get_all_records",
                     "session.login_with_password", "event.from", "VM.get_all_records_where"]:
            t.ok(want in names, "listMethods contains %s" % want)
        t.ok(not any(n.startswith("Async.") for n in names), "listMethods lists no Async.* names")
        classes = sorted({n.split(".")[0] for n in names if n.endswith(".get_all_records")})
        t.ok({"pool", "host", "VM", "task", "network", "SR", "VDI"} <= set(classes),
             "classes discovered XO-style from *.get_all_records: %d" % len(classes), classes)
        r, j = x.jsonrpc("system.listMethods", [], version=2)
        t.ok(j and isinstance(j.get("result"), list) and sorted(j["result"]) == sorted(names),
             "JSON-RPC system.listMethods gives the same list", repr(r)[:400])
        r = x.post_xml(xml_body("system.isAlive", "ping-42"))
        v = decode(r) if r.status == 200 else None
        if isinstance(v, dict):
            v = v.get("Value")
        t.eq(v, "ping-42", "system.isAlive echoes its first parameter")

    with t.section("unparsable bodies → HTTP 500"):
        for label, body in [("not XML", b"hello"), ("truncated", xml_body("pool.get_all", s).encode()[:60]),
                            ("wrong root", b"<?xml version='1.0'?><foo/>"),
                            ("empty", b"")]:
            r = x.post_xml(body)
            t.eq(r.status, 500, "XML-RPC body %s → HTTP 500" % label, body)
        t.eq(len(x.login().pool.get_all()), 1, "daemon still serves after bad bodies")

    with t.section("dispatch errors"):
        a = x.api()
        a.session = s
        t.fails(lambda: a.call_ns("VM.no_such_message", s), "MESSAGE_METHOD_UNKNOWN",
                "unknown message → MESSAGE_METHOD_UNKNOWN [name]", params=["VM.no_such_message"])
        t.fails(lambda: a.call_ns("nonsense"), "MESSAGE_METHOD_UNKNOWN",
                "name without a dot → MESSAGE_METHOD_UNKNOWN [name]", params=["nonsense"])
        t.fails(lambda: a.call_ns("VM.get_record", s), "MESSAGE_PARAMETER_COUNT_MISMATCH",
                "too few arguments → MESSAGE_PARAMETER_COUNT_MISMATCH [name, expected, received]",
                params=["VM.get_record", "1", "0"])
        t.fails(lambda: a.call_ns("VM.get_record", s, vm, "extra"), "MESSAGE_PARAMETER_COUNT_MISMATCH",
                "too many arguments → MESSAGE_PARAMETER_COUNT_MISMATCH", params=["VM.get_record", "1", "2"])
        try:
            t.eq(len(a.call_ns("pool_get_all", s)), 1, "Class_msg spelling: pool_get_all works")
            t.eq(a.call_ns("VM_get_name_label", s, vm), a.VM.get_name_label(vm),
                 "Class_msg spelling: VM_get_name_label works")
            recs = a.call_ns("VM_get_all_records", s)
            t.ok(vm in recs, "Class_msg spelling: VM_get_all_records works")
        except XapiFailure as e:
            t.ok(False, "Class_msg spelling works", str(e))
        e = t.fails(lambda: a.call_ns("Async.VM.get_name_label", s, vm), "Fault",
                    "Async on a message without async mode → Failure (Fault)")
        t.fails(lambda: a.call_ns("Async.VM.no_such", s, vm), "MESSAGE_METHOD_UNKNOWN",
                "Async.<unknown> → MESSAGE_METHOD_UNKNOWN", params=["Async.VM.no_such"])
        t.fails(lambda: a.call_ns("Async_VM_get_all", s), "MESSAGE_METHOD_UNKNOWN",
                "no Class_msg form for Async → MESSAGE_METHOD_UNKNOWN")

    with t.section("the pool XO needs"):
        a = x.login()
        recs = a.pool.get_all_records()
        t.eq(len(recs), 1, "exactly one pool record")
        p = list(recs.values())[0] if recs else {}
        t.ok(p.get("master", "").startswith("OpaqueRef:") and isinstance(p.get("other_config"), dict),
             "pool record has master and an other_config map", harness.short(p))


_vms = {}


def harness_vm(x, s):
    """A VM made once per session for the value-encoding checks."""
    if s not in _vms:
        a = x.api()
        a.session = s
        _vms[s] = a.VM.create(harness.vm_record("wire-vm"))
    return _vms[s]


if __name__ == "__main__":
    harness.run(main)
