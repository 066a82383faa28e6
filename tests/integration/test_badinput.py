#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Hostile and broken input (ARCHITECTURE.md: "No input may crash the daemon
… validate UTF-8 and XML-legal characters in every string (map keys and
values too), sizes, types and refs at the boundary"): invalid UTF-8,
XML-illegal characters in strings and struct keys over both protocols,
bodies over the 300 KiB limit, deep nesting, entity tricks, wrong types,
truncated bodies, oversized headers and garbage on the connection. After
each kind the daemon must still answer, and nothing may have changed.
"""
import json
import socket
import ssl

import harness
from harness import XapiFailure


def rejected(r):
    """HTTP 500 (unparsable), or a 200 Failure / JSON-RPC error."""
    if r.status == 500:
        return True
    if r.status != 200:
        return False
    body = r.text()
    if r.headers.get("content-type") == "application/json":
        try:
            j = json.loads(body)
        except ValueError:
            return False
        return bool(j.get("error")) and j.get("result") is None
    return "<name>Status</name><value>Failure</value>" in body


def error_code(r):
    if r.status != 200:
        return "HTTP %d" % r.status
    try:
        j = json.loads(r.body)
        e = j.get("error")
        return e.get("message") if isinstance(e, dict) else (e[0] if e else None)
    except ValueError:
        import re
        m = re.search(r"<name>ErrorDescription</name><value><array><data><value>([A-Z_]+)<", r.text())
        return m.group(1) if m else "?"


def xml_call(method, *params_xml):
    ps = "".join("<param><value>%s</value></param>" % p for p in params_xml)
    return ("<?xml version='1.0'?><methodCall><methodName>%s</methodName><params>%s</params></methodCall>"
            % (method, ps)).encode("utf-8")


def main(t, x):
    a = x.login()
    s = a.session
    vm = a.VM.create(harness.vm_record("victim", other_config={"k": "v"}))
    base = a.VM.get_record(vm)

    def unchanged(what):
        now = a.VM.get_record(vm)
        t.ok(now == base, "%s: the VM is unchanged" % what,
             "\n".join("%s: %r → %r" % (k, base[k], now.get(k)) for k in base if base[k] != now.get(k)))
        if now != base:  # put it back so that later sections report on their own
            a.VM.set_name_label(vm, base["name_label"])
            a.VM.set_name_description(vm, base["name_description"])
            a.VM.set_other_config(vm, base["other_config"])
            a.VM.set_tags(vm, base["tags"])

    def alive(what):
        try:
            a.pool.get_all()
            t.ok(True, "daemon answers after %s" % what)
        except Exception as e:
            t.ok(False, "daemon answers after %s" % what, "%s; process alive=%s" % (e, x.alive()))

    with t.section("invalid UTF-8 and XML-illegal characters over XML-RPC"):
        cases = [
            ("invalid UTF-8 in a string", xml_call("VM.set_name_label", s, vm).replace(b"</params>", b"") +
             b"<param><value>ab\xff\xfecd</value></param></params></methodCall>"),
            ("overlong UTF-8 in a string", xml_call("VM.set_name_label", s, vm).replace(b"</params>", b"") +
             b"<param><value>\xc0\xaf</value></param></params></methodCall>"),
            ("raw \\x01 in a string", xml_call("VM.set_name_label", s, vm, "a\x01b")),
            ("&#1; in a string", xml_call("VM.set_name_label", s, vm, "a&#1;b")),
            ("&#xFFFE; in a string", xml_call("VM.set_name_label", s, vm, "a&#xFFFE;b")),
            ("\\x01 in a struct key", xml_call("VM.set_other_config", s, vm,
                                               "<struct><member><name>k\x01</name><value>v</value></member></struct>")),
            ("&#1; in a struct key", xml_call("VM.add_to_other_config", s, vm, "k&#1;", "v")),
            ("invalid UTF-8 in a struct key", xml_call("VM.set_other_config", s, vm, "<struct><member><name>").replace(
                b"</params>", b"") + b"k\xff</name><value>v</value></member></struct></value></param></params></methodCall>"),
            ("invalid UTF-8 in the method name", b"<?xml version='1.0'?><methodCall><methodName>VM.get_all\xff"
             b"</methodName><params></params></methodCall>"),
            ("\\x00 in the body", xml_call("VM.set_name_label", s, vm, "a\x00b")),
        ]
        for label, body in cases:
            r = x.post_xml(body)
            t.ok(rejected(r), "XML-RPC %s → rejected (%s)" % (label, error_code(r)), "%r\n%r" % (body[:300], r))
        unchanged("after bad XML-RPC strings")
        alive("bad XML-RPC strings")

    with t.section("XML-illegal characters over JSON-RPC (valid JSON, not storable)"):
        cases = [
            ("\\u0001 in a string", "VM.set_name_label", [s, vm, "a\u0001b"]),
            ("\\u0000 in a string", "VM.set_name_label", [s, vm, "a\u0000b"]),
            ("\\uFFFE in a string", "VM.set_name_label", [s, vm, "a\ufffeb"]),
            ("\\u0001 in a map key", "VM.add_to_other_config", [s, vm, "k\u0001", "v"]),
            ("\\u0001 in a map value", "VM.add_to_other_config", [s, vm, "k2", "v\u0001"]),
            ("\\u0001 in a struct key", "VM.set_other_config", [s, vm, {"k\u0001": "v"}]),
            ("\\u0001 in a record field", "VM.create", [s, harness.vm_record("bad\u0001name")]),
            ("\\u0001 in a set element", "VM.add_tags", [s, vm, "t\u0001"]),
        ]
        for label, method, params in cases:
            r, j = x.jsonrpc(method, params)
            t.ok(rejected(r), "JSON-RPC %s → rejected (%s)" % (label, error_code(r)), repr(r))
        for label, raw in [("lone surrogate \\ud800", b'"a\\ud800b"'), ("invalid UTF-8 bytes", b'"a\xff\xfeb"'),
                           ("overlong UTF-8", b'"a\xc0\xafb"')]:
            body = b'{"jsonrpc":"2.0","id":1,"method":"VM.set_name_label","params":["' + s.encode() + b'","' + \
                vm.encode() + b'",' + raw + b"]}"
            r = x.http("POST", "/jsonrpc", body, {"Content-Type": "application/json"})
            t.ok(rejected(r), "JSON-RPC %s → rejected (%s)" % (label, error_code(r)), repr(r))
        t.eq(len([v for v in a.VM.get_all_records().values() if v["name_label"].startswith("bad")]), 0,
             "no VM was created from a bad record")
        unchanged("after bad JSON-RPC strings")
        alive("bad JSON-RPC strings")

    with t.section("size limits"):
        big = xml_call("VM.set_name_label", s, vm, "A" * (400 * 1024))
        try:
            r = x.post_xml(big)
            t.eq(r.status, 413, "a 400 KiB XML-RPC body is refused with HTTP 413", repr(r)[:300])
        except (ConnectionError, OSError, ssl.SSLError) as e:
            t.ok(True, "a 400 KiB XML-RPC body is refused (connection closed: %s)" % type(e).__name__)
        unchanged("after the oversized body")
        alive("a 400 KiB body")
        bigj = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "VM.set_name_label", "params": [s, vm, "B" * (400 * 1024)]})
        try:
            r = x.http("POST", "/jsonrpc", bigj, {"Content-Type": "application/json"})
            t.eq(r.status, 413, "a 400 KiB JSON-RPC body is refused with HTTP 413", repr(r)[:300])
        except (ConnectionError, OSError, ssl.SSLError) as e:
            t.ok(True, "a 400 KiB JSON-RPC body is refused (connection closed: %s)" % type(e).__name__)
        alive("a 400 KiB JSON body")
        ok = xml_call("VM.set_name_description", s, vm, "C" * (200 * 1024))
        r = x.post_xml(ok)
        t.ok(r.status == 200 and "Success" in r.text(), "a 200 KiB body under the limit is served", repr(r))
        a.VM.set_name_description(vm, base["name_description"])
        # A Content-Length claiming a huge body, then nothing.
        c = x.connection(timeout=30)
        try:
            c.putrequest("POST", "/")
            c.putheader("Content-Type", "text/xml")
            c.putheader("Content-Length", str(1 << 40))
            c.endheaders()
            resp = c.getresponse()
            t.ok(resp.status in (413, 400, 500), "Content-Length: 1 TiB is refused up front (HTTP %d)" % resp.status)
        except (ConnectionError, OSError, ssl.SSLError, http_errors()) as e:
            t.ok(True, "Content-Length: 1 TiB is refused (connection closed: %s)" % type(e).__name__)
        finally:
            c.close()
        alive("a 1 TiB Content-Length")
        hdr = {"X-Big": "h" * (200 * 1024)}
        try:
            r = x.http("POST", "/", xml_call("pool.get_all", s), hdr)
            t.ok(r.status in (200, 400, 413, 431), "a 200 KiB header is answered or refused (HTTP %d)" % r.status)
        except (ConnectionError, OSError, ssl.SSLError, http_errors()) as e:
            t.ok(True, "a 200 KiB header is refused (connection closed: %s)" % type(e).__name__)
        alive("a 200 KiB header")

    with t.section("deep nesting and entity tricks"):
        for depth in (64, 5000):  # 5000 deep still fits the 300 KiB limit
            inner = "<value><array><data>" * depth + "</data></array></value>" * depth
            body = xml_call("VM.set_tags", s, vm, inner[len("<value>"):-len("</value>")])
            r = x.post_xml(body)
            t.ok(rejected(r), "XML-RPC array nested %d deep → rejected (%s)" % (depth, error_code(r)), repr(r)[:300])
            j = b'{"jsonrpc":"2.0","id":1,"method":"VM.set_tags","params":["' + s.encode() + b'","' + vm.encode() + \
                b'",' + b"[" * depth + b"]" * depth + b"]}"
            r = x.http("POST", "/jsonrpc", j, {"Content-Type": "application/json"})
            t.ok(rejected(r), "JSON-RPC array nested %d deep → rejected (%s)" % (depth, error_code(r)), repr(r)[:300])
        alive("deep nesting")
        laughs = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' +
                  "".join('<!ENTITY %s "%s">' % (chr(98 + i), ("&%s;" % chr(97 + i)) * 10) for i in range(9)) +
                  ']><methodCall><methodName>VM.set_name_label</methodName><params><param><value>%s</value></param>'
                  '<param><value>%s</value></param><param><value>&j;</value></param></params></methodCall>' % (s, vm))
        r = x.post_xml(laughs)
        t.ok(rejected(r), "billion-laughs entity expansion → rejected (%s)" % error_code(r), repr(r)[:300])
        ext = ('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall>'
               '<methodName>VM.set_name_label</methodName><params><param><value>%s</value></param>'
               '<param><value>%s</value></param><param><value>&x;</value></param></params></methodCall>' % (s, vm))
        r = x.post_xml(ext)
        t.ok(rejected(r) and "root:" not in a.VM.get_name_label(vm), "external entity (XXE) → rejected, file not read",
             repr(r)[:300])
        unchanged("after nesting and entities")
        alive("entity tricks")

    with t.section("wrong types"):
        cases = [
            ("struct for a string", "VM.set_name_label", [s, vm, {"a": "b"}]),
            ("array for a ref", "VM.get_record", [s, [vm]]),
            ("null for a string", "VM.set_name_label", [s, vm, None]),
            ("float for an int", "network.set_MTU", [s, "OpaqueRef:NULL", 1.5]),
            ("string for a bool", "VM.set_is_a_template", [s, vm, "yes"]),
            ("int for a map", "VM.set_other_config", [s, vm, 5]),
            ("array for the session", "VM.get_all", [[s]]),
            ("bad enum", "VM.set_actions_after_crash", [s, vm, "explode"]),
            ("number for a session", "VM.get_all", [12]),
        ]
        for label, method, params in cases:
            for proto in ("xml", "json"):
                if proto == "json":
                    r, _ = x.jsonrpc(method, params)
                else:
                    if any(p is None for p in params):
                        body = xml_call(method, *[p if isinstance(p, str) else "<nil/>" for p in params])
                    else:
                        import xmlrpc.client
                        body = xmlrpc.client.dumps(tuple(params), method, allow_none=True).encode()
                    r = x.post_xml(body)
                t.ok(rejected(r), "%s %s → rejected (%s)" % (proto, label, error_code(r)), repr(r)[:400])
        r = x.post_xml(xml_call("VM.get_name_label", s, "<base64>T3BhcXVl</base64>"))
        t.ok(rejected(r), "xml <base64> for a ref → rejected (%s)" % error_code(r), repr(r)[:300])
        r = x.post_xml(xml_call("VM.get_all", *(["x"] * 5000)))
        t.ok(rejected(r) and error_code(r) in ("MESSAGE_PARAMETER_COUNT_MISMATCH", "SESSION_INVALID", "HTTP 500"),
             "5000 parameters → rejected (%s)" % error_code(r), repr(r)[:300])
        unchanged("after wrong types")
        alive("wrong types")

    with t.section("truncated bodies and garbage on the connection"):
        full = xml_call("VM.set_name_label", s, vm, "truncated-name")
        for cut in (10, len(full) // 2, len(full) - 5):
            raw_tls(x, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(full)
                    + full[:cut], read=False)
        t.ok(True, "sent 3 requests whose bodies stop short, then closed")
        r = x.post_xml(full[: len(full) // 2])
        t.eq(r.status, 500, "a complete request with a half XML body → HTTP 500")
        for label, data in [("binary garbage", bytes(range(256)) * 8), ("a bare newline storm", b"\r\n" * 5000),
                            ("a bad request line", b"FOO BAR BAZ QUX\r\n\r\n"),
                            ("HTTP/0.9", b"GET /\r\n"),
                            ("a negative Content-Length", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nabc"),
                            ("a bad chunked body", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                                   b"zz\r\nabc\r\n0\r\n\r\n")]:
            # The newline storm is a legal prefix of a request: the server
            # rightly waits for more, so do not wait for its answer.
            reply = raw_tls(x, data, read=not label.startswith("a bare newline"))
            t.ok(True, "TLS connection fed %s (reply: %r)" % (label, reply[:40]))
        for label, data in [("plain HTTP on the TLS port", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"),
                            ("random bytes before any TLS", bytes(range(255, -1, -1)) * 4),
                            ("a truncated TLS ClientHello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")]:
            raw_tcp(x, data)
            t.ok(True, "raw TCP connection fed %s" % label)
        # Half-open connections that never send anything do not block others.
        idle = []
        for _ in range(20):
            so = socket.create_connection(("127.0.0.1", x.port), timeout=10)
            idle.append(so)
        alive("20 idle connections held open")
        for so in idle:
            so.close()
        unchanged("after truncated bodies and garbage")
        alive("garbage on the connection")

    with t.section("the unix socket takes the same beating"):
        r = x.http("POST", "/", b"\xff\xfe garbage", {"Content-Type": "text/xml"}, unix=True)
        t.eq(r.status, 500, "garbage on the unix socket → HTTP 500")
        r = x.http("POST", "/", xml_call("VM.set_name_label", s, vm, "a\x01b"), {"Content-Type": "text/xml"}, unix=True)
        t.ok(rejected(r), "\\x01 on the unix socket → rejected (%s)" % error_code(r))
        unchanged("after unix-socket garbage")

    t.ok(x.alive(), "xapid process is alive at the end")
    alive("everything")


def http_errors():
    import http.client
    return http.client.HTTPException


def raw_tls(x, data, read=True):
    """Sends data on a fresh TLS connection; returns what came back (may be b'')."""
    so = socket.create_connection(("127.0.0.1", x.port), timeout=15)
    try:
        ss = harness.tls_context().wrap_socket(so, server_hostname="localhost")
        ss.sendall(data)
        if not read:
            return b""
        try:
            return ss.recv(4096)
        except (OSError, ssl.SSLError):
            return b""
    except (OSError, ssl.SSLError):
        return b""
    finally:
        so.close()


def raw_tcp(x, data):
    so = socket.create_connection(("127.0.0.1", x.port), timeout=15)
    try:
        so.sendall(data)
        so.shutdown(socket.SHUT_WR)  # EOF, so that a server waiting for more gives up
        try:
            return so.recv(4096)
        except OSError:
            return b""
    except OSError:
        return b""
    finally:
        so.close()


if __name__ == "__main__":
    harness.run(main)
