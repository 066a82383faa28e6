# SPDX-License-Identifier: Apache-2.0
"""
Consoles and metrics of a running VM, sharing one guest boot (the test
guest of tests/guest, direct kernel boot on the qemu backend):

console objects (rfb + vt100) appear with the domain, with XAPI's
location (https://<address>:<port>/console?ref=…) and the VM.consoles
relation; CONNECT /console answers "HTTP/1.1 200 OK" then the raw RFB
stream of QEMU's VNC server ("RFB 003.00x", and the security types after
our version reply), over HTTPS (session in the query, or in a cookie,
console named by ref or uuid) and over the unix socket; the same as a
websocket (GET /console with Upgrade: websocket: 101, binary frames,
ping/pong, close); the vt100
console streams the guest's serial output; GET /console returns the
serial ring log; no session → 401, a read-only user → 403, a bad ref →
404; console objects survive a xapid restart and go when the VM stops,
after which CONNECT gives 404.

Metrics (section "metrics"): after two 5 s sampling periods /rrd_updates
returns XAPI's xport XML (meta before data, legend entries
AVERAGE:vm:<uuid>:cpu0 … and AVERAGE:host:<uuid>:memory_free_kib …,
numeric rows), json=true parses as JSON, /vm_rrd and /host_rrd return
rrd XML, VM_metrics/host_metrics are live; bad uuid → 404, no session →
401. RRDs are saved: the cpu0 samples taken before a xapid restart are
there after it (same times, same values); a halted VM's /vm_rrd serves
the RRD saved when it stopped; a destroyed VM's saved RRD goes.

Skips (77) only when qemu-system-x86_64 is missing or the guest cannot be
built (no Debian mirror).
"""
import os
import select
import shutil
import socket
import ssl
import subprocess
import time
import xml.etree.ElementTree as ET
import json

import harness
from test_vm_lifecycle import find_xe, guest_files, kill_qemus, wait_until, MARKER

MiB = 1 << 20
BOOT_TIMEOUT = 180


def recv_until(sock, token, limit=65536, within=60):
    """Reads until token is in the data, EOF, limit bytes or `within`
    seconds (a bound against hanging, not a performance check)."""
    data = b""
    end = time.monotonic() + within
    while token not in data and len(data) < limit and time.monotonic() < end:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def in_order(needle, hay):
    """True when the bytes of needle occur in hay in order."""
    it = iter(hay)
    return all(b in it for b in needle)


def recv_n(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def connect_console(x, query, cookie=None, unix=False):
    """Opens CONNECT /console?query; returns (socket, status line, rest after headers)."""
    if unix:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(x.socket_path)
    else:
        raw = socket.create_connection(("127.0.0.1", x.port), timeout=60)
        s = harness.tls_context().wrap_socket(raw, server_hostname="127.0.0.1")
    req = "CONNECT /console?%s HTTP/1.0\r\n" % query
    if cookie:
        req += "Cookie: session_id=%s\r\n" % cookie
    req += "\r\n"
    s.sendall(req.encode())
    data = recv_until(s, b"\r\n\r\n")
    head, _, rest = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode(errors="replace")
    return s, status, rest


def rfb_handshake(t, s, rest, what):
    banner = rest + recv_n(s, 12 - len(rest)) if len(rest) < 12 else rest
    t.ok(banner[:10] == b"RFB 003.00", "%s: the RFB banner arrives (%r)" % (what, banner[:12]))
    # Our version back; the server then lists its security types (3.8).
    s.sendall(b"RFB 003.008\n")
    n = recv_n(s, 1)
    types = recv_n(s, n[0]) if n else b""
    t.ok(len(n) == 1 and n[0] >= 1 and len(types) == n[0],
         "%s: the server answers our version with %d security type(s)" %
         (what, n[0] if n else 0))


WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's example: its accept is known
WS_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def ws_open(x, query, extra=""):
    raw = socket.create_connection(("127.0.0.1", x.port), timeout=60)
    s = harness.tls_context().wrap_socket(raw, server_hostname="127.0.0.1")
    s.sendall(("GET /console?%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n%s\r\n" %
               (query, WS_KEY, extra)).encode())
    data = recv_until(s, b"\r\n\r\n")
    head, _, rest = data.partition(b"\r\n\r\n")
    return s, head.decode(errors="replace"), rest


def ws_send(s, opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    h = bytes([0x80 | opcode])
    h += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    s.sendall(h + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))


def ws_recv(s, buf):
    """One frame from buf + the socket: (opcode, payload, rest)."""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            c = s.recv(65536)
            if not c:
                raise EOFError
            buf += c
    need(2)
    op, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
    if n == 126:
        need(4)
        n, at = int.from_bytes(buf[2:4], "big"), 4
    elif n == 127:
        need(10)
        n, at = int.from_bytes(buf[2:10], "big"), 10
    need(at + n)
    return op, buf[at:at + n], buf[at + n:]


def websocket_checks(t, x, rfb, sid):
    s, head, rest = ws_open(x, "ref=%s&session_id=%s" % (rfb, sid),
                            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary, base64\r\n")
    lines = head.split("\r\n")
    hdrs = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    t.eq(lines[0], "HTTP/1.1 101 Switching Protocols", "the websocket upgrade answers 101")
    t.eq(hdrs.get("sec-websocket-accept"), WS_ACCEPT, "Sec-WebSocket-Accept")
    t.eq(hdrs.get("sec-websocket-protocol"), "binary", "the binary subprotocol is chosen")
    data, ops = b"", set()
    try:
        while len(data) < 12:
            op, payload, rest = ws_recv(s, rest)
            ops.add(op)
            data += payload
        t.eq(ops, {2}, "RFB arrives in binary frames")
        t.ok(data[:10] == b"RFB 003.00", "the RFB banner arrives over the websocket (%r)" % data[:12])
        ws_send(s, 2, b"RFB 003.008\n")
        op, payload, rest = ws_recv(s, rest)
        t.ok(op == 2 and len(payload) >= 1 and payload[0] >= 1,
             "our version goes through; the server lists its security types")
        ws_send(s, 9, b"png")
        op, payload, rest = ws_recv(s, rest)
        t.eq((op, payload), (10, b"png"), "a ping is answered with a pong")
        ws_send(s, 8, (1000).to_bytes(2, "big"))
        op, payload, rest = ws_recv(s, rest)
        t.eq((op, payload), (8, (1000).to_bytes(2, "big")), "a close is answered with a close")
        ended = False
        try:
            ws_recv(s, rest)
        except (EOFError, OSError):
            ended = True
        t.ok(ended, "then the server closes the connection")
    except (EOFError, OSError) as e:
        t.ok(False, "websocket exchange (%s)" % e)
    s.close()
    s, head, _ = ws_open(x, "ref=%s&session_id=%s" % (rfb, sid), "Sec-WebSocket-Version: 8\r\n")
    t.ok(head.startswith("HTTP/1.1 400"), "websocket version 8: 400 (%s)" % head.split("\r\n")[0])
    s.close()
    s, head, _ = ws_open(x, "ref=%s&session_id=%s" % (rfb, sid),
                         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: base64\r\n")
    t.ok(head.startswith("HTTP/1.1 400"), "only base64 offered: 400 (%s)" % head.split("\r\n")[0])
    s.close()
    s, head, _ = ws_open(x, "ref=%s" % rfb, "Sec-WebSocket-Version: 13\r\n")
    t.ok(head.startswith("HTTP/1.1 401"), "websocket without a session: 401")
    s.close()


def main(t, x):
    if not shutil.which("qemu-system-x86_64"):
        harness.skip("qemu-system-x86_64 is not installed (Debian: qemu-system-x86)")
    kernel, initrd = guest_files()
    try:
        body(t, x, kernel, initrd)
    finally:
        kill_qemus(x.state_dir)


def body(t, x, kernel, initrd):
    api = x.login()
    host = api.host.get_all()[0]
    sid = api.session
    mem = 160 * MiB
    vm = api.VM.create(harness.vm_record(
        "it-console", memory_static_max=str(mem), memory_dynamic_max=str(mem),
        memory_dynamic_min=str(mem), memory_static_min=str(mem), VCPUs_max="1",
        VCPUs_at_startup="1", domain_type="pvh", PV_kernel=kernel, PV_ramdisk=initrd,
        PV_args="console=ttyS0 quiet", actions_after_shutdown="destroy",
        actions_after_reboot="restart", actions_after_crash="destroy"))
    uuid = api.VM.get_uuid(vm)
    vmdir = os.path.join(x.state_dir, "vms", uuid)
    t.eq(api.VM.get_consoles(vm), [], "a halted VM has no consoles")

    api.VM.start(vm, False, False)
    started = time.monotonic()

    with t.section("console objects"):
        cons = api.VM.get_consoles(vm)
        recs = {c: api.console.get_record(c) for c in cons}
        protos = sorted(r["protocol"] for r in recs.values())
        t.eq(protos, ["rfb", "vt100"], "a running VM has an rfb and a vt100 console")
        rfb = [c for c, r in recs.items() if r["protocol"] == "rfb"][0]
        vt = [c for c, r in recs.items() if r["protocol"] == "vt100"][0]
        addr = api.host.get_address(host)
        t.eq(recs[rfb]["location"], "https://%s:%d/console?ref=%s" % (addr, x.port, rfb),
             "console.location is XAPI's https://<address>/console?ref=<ref>")
        t.eq(recs[rfb]["VM"], vm, "console.VM")
        t.eq(api.console.get_by_uuid(recs[vt]["uuid"]), vt, "console.get_by_uuid")

    with t.section("CONNECT /console (RFB over HTTPS)"):
        s, status, rest = connect_console(x, "ref=%s&session_id=%s" % (rfb, sid))
        t.eq(status, "HTTP/1.1 200 OK", "CONNECT answers 200 OK")
        rfb_handshake(t, s, rest, "by ref, session in the query")
        s.close()
        s, status, rest = connect_console(x, "uuid=%s" % recs[rfb]["uuid"], cookie=sid)
        t.eq(status, "HTTP/1.1 200 OK", "console by uuid, session in a cookie: 200 OK")
        rfb_handshake(t, s, rest, "by uuid, session in a cookie")
        s.close()
        s, status, rest = connect_console(x, "ref=%s" % rfb, unix=True)
        t.eq(status, "HTTP/1.1 200 OK", "over the unix socket (local root): 200 OK")
        rfb_handshake(t, s, rest, "unix socket")
        s.close()
        # A client that goes away mid-stream must not disturb the next one.
        s, status, rest = connect_console(x, "ref=%s&session_id=%s" % (rfb, sid))
        s.close()

    with t.section("websocket GET /console (RFB)"):
        websocket_checks(t, x, rfb, sid)

    with t.section("CONNECT /console refused"):
        s, status, _ = connect_console(x, "ref=%s" % rfb)
        t.ok(" 401 " in status + " ", "no session: 401 (%s)" % status)
        s.close()
        s, status, _ = connect_console(x, "ref=%s&session_id=OpaqueRef:nope" % rfb)
        t.ok(" 401 " in status + " ", "a bad session: 401 (%s)" % status)
        s.close()
        s, status, _ = connect_console(x, "ref=OpaqueRef:nope&session_id=%s" % sid)
        t.ok(" 404 " in status + " ", "a bad console ref: 404 (%s)" % status)
        s.close()
        s, status, _ = connect_console(x, "session_id=%s" % sid)
        t.ok(" 404 " in status + " ", "no console named: 404 (%s)" % status)
        s.close()
        pw = "ro-secret-1"
        r = subprocess.run([x.binary, "user-add", "--state-dir", x.state_dir, "it-ro",
                            "read-only"], input=pw + "\n", text=True, capture_output=True)
        t.eq(r.returncode, 0, "xapid user-add it-ro read-only", r.stderr)
        ro = x.login("it-ro", pw)
        s, status, _ = connect_console(x, "ref=%s&session_id=%s" % (rfb, ro.session))
        t.ok(" 403 " in status + " ", "a read-only session: 403 (%s)" % status)
        s.close()
        ro.logout()

    with t.section("text console"):
        t.ok(wait_until(lambda: MARKER in x.http(
            "GET", "/console?ref=%s&session_id=%s" % (vt, sid)).text(), BOOT_TIMEOUT),
            "GET /console on the vt100 console returns the serial log with %s" % MARKER)
        r = x.http("GET", "/console?ref=%s&session_id=%s" % (rfb, sid))
        t.eq(r.status, 400, "GET /console on the rfb console (no log): 400")
        t.ok(os.path.getsize(os.path.join(vmdir, "console.log")) > 0,
             "the capture writes <vmdir>/console.log")
        s, status, rest = connect_console(x, "ref=%s&session_id=%s" % (vt, sid))
        t.eq(status, "HTTP/1.1 200 OK", "CONNECT on the vt100 console: 200 OK")
        got = recv_until(s, b"tick ", 1 << 20) if b"tick " not in rest else rest
        t.ok(b"tick " in got, "the serial stream carries the guest's output (%r)" % got[-40:])
        # Input reaches the guest: its tty echoes what it receives (the
        # echo may interleave with the guest's own output, so the typed
        # bytes are looked for in order, not side by side).
        typed = b"hx-typed-123"
        s.sendall(typed + b"\r")
        got, end = b"", time.monotonic() + 60
        while not in_order(typed, got) and time.monotonic() < end:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        t.ok(in_order(typed, got), "what the client types reaches the guest (echoed back)",
             got[-300:])
        s.close()

    xe_console_checks(t, x)
    metrics_checks(t, x, api, vm, uuid, host, sid, started)

    with t.section("consoles across a xapid restart"):
        before = cpu0_history(x, sid, uuid, int(time.time()) - 300)
        x.restart()
        api = x.login()
        sid = api.session
        t.eq(sorted(api.VM.get_consoles(vm)), sorted(cons), "the same console objects")
        s, status, rest = connect_console(x, "ref=%s&session_id=%s" % (rfb, sid))
        t.eq(status, "HTTP/1.1 200 OK", "CONNECT after the restart: 200 OK")
        rfb_handshake(t, s, rest, "after the restart")
        s.close()
        n0 = len(x.http("GET", "/console?ref=%s&session_id=%s" % (vt, sid)).body)
        t.ok(wait_until(lambda: len(x.http("GET", "/console?ref=%s&session_id=%s" %
                                           (vt, sid)).body) > n0, 60),
             "the serial capture resumes after the restart (the log grows)")
        # The VM's RRD was saved at the stop and loaded back: the samples
        # taken before the restart are still there, same times, same values.
        start = min(before) - 1 if before else int(time.time()) - 300
        after = wait_until(lambda: cpu0_history(x, sid, uuid, start) or None, 60, step=1) or {}
        kept = {ts: v for ts, v in before.items() if after.get(ts) == v}
        t.ok(len(before) >= 1 and kept == before,
             "metrics history survives the restart (%d of %d cpu0 samples kept)" %
             (len(kept), len(before)))

    with t.section("consoles go when the VM stops"):
        s, status, rest = connect_console(x, "ref=%s&session_id=%s" % (rfb, sid))
        t.eq(status, "HTTP/1.1 200 OK", "an RFB session is open while the VM stops")
        api.VM.hard_shutdown(vm)
        t.eq(api.VM.get_consoles(vm), [], "VM.consoles is empty after hard_shutdown")
        t.fails(lambda: api.console.get_record(rfb), "HANDLE_INVALID",
                "the rfb console object is gone")
        t.fails(lambda: api.VM.query_data_source(vm, "memory"), "VM_BAD_POWER_STATE",
                "VM.query_data_source on a halted VM", [vm, "running", "halted"])
        s.settimeout(30)
        try:
            tail = rest + recv_until(s, b"\0" * 64, 1 << 20)
            t.ok(True, "the open RFB session ends when QEMU goes (%d bytes, then EOF)" %
                 len(tail))
        except socket.timeout:
            t.ok(False, "the open RFB session ends when QEMU goes (still open after 30 s)")
        except OSError as e:
            t.ok(True, "the open RFB session ends when QEMU goes (%s)" % e)
        s.close()
        s, status, _ = connect_console(x, "ref=%s&session_id=%s" % (rfb, sid))
        t.ok(" 404 " in status + " ", "CONNECT on the old console: 404 (%s)" % status)
        s.close()
        xe, env = xe_env(x)
        if xe:
            p = subprocess.run([xe, "console", "vm=it-console"], env=env, capture_output=True,
                               text=True, timeout=60)
            t.ok(p.returncode != 0 and "no text console" in p.stderr,
                 "xe console on a halted VM fails (%s)" % p.stderr.strip())
        t.ok(x.alive(), "xapid is still running")

    with t.section("a halted VM's saved RRD"):
        x.restart()
        api = x.login()
        r = x.http("GET", "/vm_rrd?session_id=%s&uuid=%s" % (api.session, uuid))
        names = [d.find("name").text for d in ET.fromstring(r.body).findall("ds")] \
            if r.status == 200 else []
        t.ok(r.status == 200 and "cpu0" in names,
             "/vm_rrd of the halted VM serves the RRD saved when it stopped (%d, %s)" %
             (r.status, names))
        saved = os.path.join(x.state_dir, "rrd", uuid + ".rrd")
        t.ok(os.path.exists(saved), "saved under <state>/rrd")
        api.VM.destroy(vm)
        x.restart()
        t.ok(not os.path.exists(saved), "a destroyed VM's saved RRD is removed at the next start")
        return
    api.VM.destroy(vm)


def cpu0_history(x, sid, uuid, start):
    """{time: value} of the VM's known AVERAGE cpu0 samples from start on."""
    r = x.http("GET", "/rrd_updates?session_id=%s&start=%d&cf=AVERAGE&vm_uuid=%s" %
               (sid, start, uuid))
    if r.status != 200:
        return {}
    root = ET.fromstring(r.body)
    legend = [e.text for e in root.find("meta/legend")]
    key = "AVERAGE:vm:%s:cpu0" % uuid
    if key not in legend:
        return {}
    i = legend.index(key)
    out = {}
    for row in root.find("data"):
        vals = [v.text for v in row.findall("v")]
        if vals[i] != "NaN":
            out[int(row.find("t").text)] = vals[i]
    return out


def xe_env(x):
    xe = find_xe()
    return xe, dict(os.environ, XE_SOCKET=x.socket_path)


def ticks(text):
    return [int(l.split()[1]) for l in text.splitlines()
            if l.startswith("tick ") and l.split()[1].isdigit()]


def xe_console_checks(t, x):
    xe, env = xe_env(x)
    if not xe:
        t.skip("xe console", "no xe binary next to xapid (set XE=)")
        return
    with t.section("xe console"):
        p = subprocess.run([xe, "console", "vm=it-console"], env=env, capture_output=True,
                           text=True, timeout=60)
        t.eq(p.returncode, 0, "xe console vm=it-console", p.stderr)
        t.ok(MARKER in p.stdout, "xe console prints the serial log (with %s)" % MARKER)
        last = max(ticks(p.stdout) or [0])
        f = subprocess.Popen([xe, "console", "vm=it-console", "follow=true"], env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        seen = []
        try:
            end = time.monotonic() + 60
            while time.monotonic() < end:
                r, _, _ = select.select([f.stdout], [], [], 1.0)
                if not r:
                    continue
                line = f.stdout.readline()
                if not line:
                    break
                seen += ticks(line)
                if seen and max(seen) > last:
                    break
        finally:
            f.kill()
            f.wait()
        t.ok(seen and max(seen) > last,
             "xe console follow=true streams output newer than the log (tick %d > %d)" %
             (max(seen or [0]), last))


def fnum(s):
    """A value as xcp-rrd prints it (NaN allowed); raises on anything else."""
    return float(s)


def metrics_checks(t, x, api, vm, uuid, host, sid, started):
    huuid = api.host.get_uuid(host)
    q = "session_id=%s" % sid

    def updates(extra=""):
        return x.http("GET", "/rrd_updates?%s&start=%d%s" % (q, int(time.time()) - 300, extra))

    def vm_cpu_rows():
        r = updates("&cf=AVERAGE&host=true")
        if r.status != 200:
            return None
        root = ET.fromstring(r.body)
        legend = [e.text for e in root.find("meta/legend")]
        key = "AVERAGE:vm:%s:cpu0" % uuid
        if key not in legend:
            return None
        i = legend.index(key)
        rows = [[v.text for v in row.findall("v")] for row in root.find("data")]
        good = [row for row in rows if row[i] != "NaN"]
        return (r, root, legend, good) if good else None

    with t.section("metrics"):
        got = wait_until(vm_cpu_rows, 120, step=1)
        t.ok(got, "after two 5 s samples /rrd_updates has a numeric cpu0 row for the VM")
        if not got:
            return
        r, root, legend, good = got
        t.eq(r.headers.get("content-type"), "text/xml", "rrd_updates is text/xml")
        t.eq([c.tag for c in root], ["meta", "data"], "<xport> holds <meta> then <data>")
        meta = root.find("meta")
        t.eq([c.tag for c in meta], ["start", "step", "end", "rows", "columns", "legend"],
             "<meta>: start, step, end, rows, columns, legend")
        t.eq(meta.find("step").text, "5", "the finest archive: step 5")
        rows = root.find("data").findall("row")
        t.eq(int(meta.find("rows").text), len(rows), "<rows> counts the rows")
        t.eq(int(meta.find("columns").text), len(legend), "<columns> counts the legend")
        for name in ("AVERAGE:vm:%s:cpu0" % uuid, "AVERAGE:vm:%s:memory" % uuid,
                     "AVERAGE:host:%s:cpu_avg" % huuid,
                     "AVERAGE:host:%s:memory_total_kib" % huuid,
                     "AVERAGE:host:%s:memory_free_kib" % huuid):
            t.ok(name in legend, "legend has %s" % name.split(":", 3)[-1] + " (" +
                 name.split(":")[1] + ")")
        ok = True
        try:
            for row in rows:
                ts = int(row.find("t").text)
                vals = [fnum(v.text) for v in row.findall("v")]
                ok = ok and len(vals) == len(legend) and ts > 0
        except (TypeError, ValueError) as e:
            ok = False
            t.note("bad value: %s" % e)
        t.ok(ok, "every row has a timestamp and one number per legend entry")
        times = [int(row.find("t").text) for row in rows]
        t.ok(times == sorted(times, reverse=True) and all(a - b == 5 for a, b in
                                                            zip(times, times[1:])),
             "rows newest first, 5 s apart", times[:5])
        i = legend.index("AVERAGE:vm:%s:memory" % uuid)
        mems = [fnum(row[i]) for row in good if row[i] != "NaN"]
        t.ok(mems and mems[0] == 160 * MiB, "the VM's memory data source is its RAM", mems[:3])
        i = legend.index("AVERAGE:vm:%s:cpu0" % uuid)
        t.ok(all(0.0 <= fnum(row[i]) <= 1.0 for row in good), "cpu0 is a fraction in [0, 1]")

        r = updates("&cf=AVERAGE&host=true&json=true")
        try:
            j = json.loads(r.body)
            t.eq(j["meta"]["legend"][:len(legend)], legend, "json=true: the same legend")
            t.ok(all(len(d["values"]) == len(j["meta"]["legend"]) for d in j["data"]),
                 "json=true: one value per legend entry in each row")
        except (ValueError, KeyError) as e:
            t.ok(False, "json=true parses as JSON (%s)" % e, r.body[:300])

        r = updates("&vm_uuid=%s" % uuid)
        leg = [e.text for e in ET.fromstring(r.body).find("meta/legend")]
        t.ok(leg and all((":vm:%s:" % uuid) in e for e in leg),
             "vm_uuid= limits the export to that VM (every CF: %s)" %
             sorted({e.split(":")[0] for e in leg}))
        r = x.http("GET", "/rrd_updates?%s&start=%d&interval=60&cf=AVERAGE&host=true" %
                   (q, int(time.time()) - 3600))
        t.eq(ET.fromstring(r.body).find("meta/step").text, "60", "interval=60 picks the 1 min archive")

        r = x.http("GET", "/vm_rrd?%s&uuid=%s" % (q, uuid))
        t.eq(r.status, 200, "/vm_rrd answers 200")
        rr = ET.fromstring(r.body)
        t.eq((rr.tag, rr.find("version").text, rr.find("step").text), ("rrd", "0003", "5"),
             "/vm_rrd: <rrd> version 0003, step 5")
        names = [d.find("name").text for d in rr.findall("ds")]
        t.ok("cpu0" in names and "memory" in names, "/vm_rrd data sources", names)
        rras = rr.findall("rra")
        t.eq([(a.find("cf").text, a.find("pdp_per_row").text, len(a.find("database")))
              for a in rras][:4],
             [("AVERAGE", "1", 120), ("AVERAGE", "12", 120), ("MIN", "12", 120), ("MAX", "12", 120)],
             "/vm_rrd archives: 5 s x 120, then 1 min x 120 (AVERAGE, MIN, MAX) …")
        t.eq(len(rras), 10, "ten archives (up to 1 day x 366)")
        r = x.http("GET", "/vm_rrd?%s&uuid=%s&json=true" % (q, uuid))
        try:
            t.eq(json.loads(r.body)["step"], "5", "/vm_rrd json=true parses")
        except ValueError as e:
            t.ok(False, "/vm_rrd json=true parses (%s)" % e)
        r = x.http("GET", "/host_rrd?%s" % q)
        hr = ET.fromstring(r.body)
        t.ok(hr.tag == "rrd" and "cpu_avg" in [d.find("name").text for d in hr.findall("ds")],
             "/host_rrd: <rrd> with cpu_avg")

    with t.section("data sources"):
        dss = api.VM.get_data_sources(vm)
        by = {d["name_label"]: d for d in dss}
        t.ok("cpu0" in by and "memory" in by, "VM.get_data_sources lists cpu0 and memory",
             sorted(by))
        t.eq((by.get("memory", {}).get("units"), by.get("cpu0", {}).get("units")),
             ("B", "(fraction)"), "units")
        t.eq(api.VM.query_data_source(vm, "memory"), float(160 * MiB),
             "VM.query_data_source memory")
        t.ok(0.0 <= api.VM.query_data_source(vm, "cpu0") <= 1.0, "VM.query_data_source cpu0")
        t.fails(lambda: api.VM.query_data_source(vm, "no_such_ds"), "INTERNAL_ERROR",
                "an unknown data source → INTERNAL_ERROR")
        t.ok(api.host.query_data_source(host, "memory_total_kib") > 0,
             "host.query_data_source memory_total_kib")
        t.ok("cpu_avg" in [d["name_label"] for d in api.host.get_data_sources(host)],
             "host.get_data_sources lists cpu_avg")

    with t.section("metrics refused"):
        t.eq(x.http("GET", "/rrd_updates?start=0").status, 401, "/rrd_updates without a session: 401")
        t.eq(x.http("GET", "/vm_rrd?uuid=%s" % uuid).status, 401, "/vm_rrd without a session: 401")
        t.eq(x.http("GET", "/host_rrd").status, 401, "/host_rrd without a session: 401")
        t.eq(x.http("GET", "/rrd_updates?%s" % q).status, 400, "/rrd_updates without start: 400")
        t.eq(updates("&cf=BOGUS").status, 400, "/rrd_updates with cf=BOGUS: 400")
        t.eq(updates("&vm_uuid=not-a-uuid").status, 400, "/rrd_updates with a bad vm_uuid: 400")
        t.eq(x.http("GET", "/vm_rrd?%s&uuid=nope" % q).status, 404, "/vm_rrd with a bad uuid: 404")
        t.eq(x.http("GET", "/vm_rrd?%s&uuid=%s" % (q, "0" * 8 + "-0000-4000-8000-" + "0" * 12)).status,
             404, "/vm_rrd for an unknown VM: 404")

    with t.section("VM_metrics and host_metrics are live"):
        m = api.VM_metrics.get_record(api.VM.get_metrics(vm))
        t.ok("0" in m["VCPUs_utilisation"] and 0.0 <= float(m["VCPUs_utilisation"]["0"]) <= 1.0,
             "VM_metrics.VCPUs_utilisation has vCPU 0", m["VCPUs_utilisation"])
        t.eq(int(m["memory_actual"]), 160 * MiB, "VM_metrics.memory_actual")
        t.eq(m["state"], ["running"], "VM_metrics.state")
        hm = api.host_metrics.get_record(api.host.get_metrics(host))
        t.ok(0 < int(hm["memory_free"]) <= int(hm["memory_total"]),
             "host_metrics.memory_free is within memory_total")


if __name__ == "__main__":
    harness.run(main)
