# SPDX-License-Identifier: Apache-2.0
"""
Shared harness for the end-to-end tests that drive a real xapid.

A test file does

    import harness
    def main(t, x):          # t: Checker, x: Xapid (started)
        api = x.login()      # XenAPI.py-like session over XML-RPC
        t.eq(api.pool.get_all().__len__(), 1, "one pool")
    harness.run(main)

and is run as `python3 tests/integration/test_X.py` with XAPID=<xapid binary>.
Exit status: 0 pass, 1 fail, 77 skip (only when the machine cannot run it).

Everything here uses the Python standard library only.
"""
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SKIP = 77

# --------------------------------------------------------------------------
# Small utilities


def tls_context():
    """A client TLS context that accepts xapid's self-signed certificate."""
    return ssl._create_unverified_context()


def free_port():
    """A TCP port that was free a moment ago (bind to 0, read it, close)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def short(v, n=600):
    """repr() cut to n characters, for failure messages."""
    r = v if isinstance(v, str) else repr(v)
    return r if len(r) <= n else r[:n] + "…(%d chars)" % len(r)


def datamodel():
    """The checked-in datamodel (schemas/xenapi/datamodel.json), parsed."""
    global _DM
    try:
        return _DM
    except NameError:
        pass
    with open(os.path.join(REPO, "schemas", "xenapi", "datamodel.json")) as f:
        _DM = json.load(f)
    return _DM


def dm_class(name):
    for c in datamodel()["classes"]:
        if c["name"] == name:
            return c
    raise KeyError(name)


def dm_message(wire_name):
    cls, _, msg = wire_name.partition(".")
    for m in dm_class(cls)["messages"]:
        if m["name"] == msg:
            return m
    raise KeyError(wire_name)


def find_xapid():
    """The xapid binary: $XAPID, else a build directory of this checkout."""
    p = os.environ.get("XAPID")
    if p:
        return p
    for b in ("build-it", "build"):
        c = os.path.join(REPO, b, "xapid", "xapid")
        if os.access(c, os.X_OK):
            return c
    return None


def vm_record(name_label="vm", **fields):
    """
    A VM.create record with every required constructor field, ints as
    strings (as XenAPI.py users, Nova and XO send them over XML-RPC).
    """
    r = {
        "name_label": name_label, "name_description": "", "user_version": "1", "is_a_template": False,
        "affinity": "OpaqueRef:NULL", "memory_static_max": "268435456", "memory_dynamic_max": "268435456",
        "memory_dynamic_min": "268435456", "memory_static_min": "134217728", "VCPUs_params": {},
        "VCPUs_max": "1", "VCPUs_at_startup": "1", "actions_after_shutdown": "destroy",
        "actions_after_reboot": "restart", "actions_after_crash": "restart", "PV_bootloader": "",
        "PV_kernel": "", "PV_ramdisk": "", "PV_args": "", "PV_bootloader_args": "", "PV_legacy_args": "",
        "HVM_boot_policy": "BIOS order", "HVM_boot_params": {"order": "dc"}, "platform": {}, "PCI_bus": "",
        "other_config": {}, "recommendations": "",
    }
    r.update(fields)
    return r


# --------------------------------------------------------------------------
# Errors and the XenAPI.py-like client


class XapiFailure(Exception):
    """A {Status: Failure} reply: .code, .params, and what was called."""

    def __init__(self, desc, method=None, args=None):
        desc = list(desc or ["(empty ErrorDescription)"])
        self.code = desc[0]
        self.params = desc[1:]
        self.method = method
        self.args_sent = args
        Exception.__init__(self, "%s%s from %s%s" % (self.code, self.params, method, short(args or (), 300)))


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket (xapid's local socket)."""

    def __init__(self, path, timeout=60):
        http.client.HTTPConnection.__init__(self, "localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class UnixTransport(xmlrpc.client.Transport):
    """xmlrpc.client transport over a unix socket (like XenAPI.py's xapi_local)."""

    def __init__(self, path):
        xmlrpc.client.Transport.__init__(self)
        self.unix_path = path

    def make_connection(self, host):
        return UnixHTTPConnection(self.unix_path)


class TimeoutSafeTransport(xmlrpc.client.SafeTransport):
    """HTTPS transport with a socket timeout (never hang a test)."""

    def __init__(self, timeout=120, **kw):
        xmlrpc.client.SafeTransport.__init__(self, context=tls_context(), **kw)
        self.timeout = timeout

    def make_connection(self, host):
        c = xmlrpc.client.SafeTransport.make_connection(self, host)
        c.timeout = self.timeout
        return c


class _Method:
    def __init__(self, api, name):
        self._api, self._name = api, name

    def __getattr__(self, name):
        return _Method(self._api, self._name + "." + name)

    def __call__(self, *args):
        return self._api.call(self._name, *args)


class Api:
    """
    A session-bound XML-RPC client in the style of XenAPI.py:
    api.VM.get_all() sends VM.get_all(session); a Failure raises XapiFailure.
    api.session is the session ref (None before login).
    """

    def __init__(self, proxy, session=None):
        self.proxy = proxy
        self.session = session

    def raw(self, method, *args):
        """Calls method with exactly args; returns the decoded reply as is."""
        return getattr(self.proxy, method)(*args)

    def call_ns(self, method, *args):
        """A call without the session argument; unwraps Status/Value."""
        return unwrap(self.raw(method, *args), method, args)

    def call(self, method, *args):
        if self.session is None or method.startswith("system."):
            return self.call_ns(method, *args)
        return self.call_ns(method, self.session, *args)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self, name)

    @property
    def sess(self):
        """The session class's messages (api.session is the session ref)."""
        return _Method(self, "session")

    def login(self, user, password, *extra):
        self.session = self.call_ns("session.login_with_password", user, password, *extra)
        return self.session

    def logout(self):
        s, self.session = self.session, None
        return self.call_ns("session.logout", s)


def unwrap(reply, method=None, args=None):
    """Status/Value → value; Status/Failure → XapiFailure; anything else raises."""
    if not isinstance(reply, dict) or "Status" not in reply:
        raise AssertionError("reply to %s has no Status: %s" % (method, short(reply)))
    if reply["Status"] == "Success":
        if "Value" not in reply:
            raise AssertionError("Success without Value from %s: %s" % (method, short(reply)))
        return reply["Value"]
    if reply["Status"] == "Failure":
        raise XapiFailure(reply.get("ErrorDescription"), method, args)
    raise AssertionError("reply to %s has Status %r" % (method, reply["Status"]))


class HttpReply:
    def __init__(self, status, headers, body):
        self.status = status
        self.header_list = headers  # [(name, value)] as received
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "HTTP %s %s %s" % (self.status, self.header_list, short(self.body, 800))


# --------------------------------------------------------------------------
# The daemon


_qemu_user_checked = False


def ensure_qemu_user():
    """
    Creates the system user QEMU runs as (scripts/lib.sh ensure_qemu_user,
    as scripts/run and scripts/test do), once per test process; xapid then
    passes -runas to QEMU. HALYARD_QEMU_USER="" keeps QEMU as root.
    """
    global _qemu_user_checked
    if _qemu_user_checked:
        return
    _qemu_user_checked = True
    lib = os.path.join(HERE, "..", "..", "scripts", "lib.sh")
    subprocess.run(["bash", "-c", '. "$1" && ensure_qemu_user', "bash", lib],
                   stdin=subprocess.DEVNULL, check=False)


def qemu_uids(pid):
    """The real and effective uid of process pid (from /proc/<pid>/status)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                v = line.split()
                return int(v[1]), int(v[2])
    raise RuntimeError("no Uid line for pid %d" % pid)


class Xapid:
    """
    One xapid on a temporary state directory, TCP on 127.0.0.1:<free port>
    (TLS unless tls=False) and a unix socket in the state directory.
    """

    def __init__(self, binary, extra_args=(), tls=True, fail_delay_ms=50, plugin_dir=None,
                 threads=None, state_dir=None):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="xapid-it-")
        self.state_dir = state_dir or os.path.join(self.tmp, "state")
        self.socket_path = os.path.join(self.tmp, "xapi.sock")
        self.plugin_dir = plugin_dir or os.path.join(self.tmp, "plugins")
        os.makedirs(self.plugin_dir, exist_ok=True)
        self.tls = tls
        self.extra_args = list(extra_args)
        self.fail_delay_ms = fail_delay_ms
        self.threads = threads
        self.port = None
        self.proc = None
        self.output = []  # every line the daemon printed, all runs
        self._ready = None
        self.root_password = None
        self.starts = 0

    # -- lifecycle --

    def command(self, port):
        cmd = [self.binary, "--state-dir", self.state_dir, "--listen", "127.0.0.1",
               "--port", str(port), "--unix-socket", self.socket_path,
               "--plugin-dir", self.plugin_dir,
               "--login-fail-delay-ms", str(self.fail_delay_ms)]
        if not self.tls:
            cmd.append("--no-tls")
        if self.threads:
            cmd += ["--threads", str(self.threads)]
        return cmd + self.extra_args

    def _reader(self, proc, ready):
        for line in iter(proc.stdout.readline, b""):
            text = line.decode("utf-8", "replace").rstrip("\n")
            self.output.append(text)
            if text.startswith("xapid: ready"):
                ready.set()
        ready.set()  # EOF: wake the starter (it checks the exit status)

    def start(self, timeout=60):
        """Starts xapid and waits for 'xapid: ready'. Raises on failure."""
        ensure_qemu_user()
        ports = ([self.port] if self.port else []) + [free_port() for _ in range(3)]
        last = None
        for port in ports:
            self.output.append("### harness: starting xapid on port %d" % port)
            cmd = self.command(port)
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            self._ready = threading.Event()
            threading.Thread(target=self._reader, args=(self.proc, self._ready), daemon=True).start()
            self._ready.wait(timeout)
            if self.proc.poll() is None and self._ready.is_set():
                self.port = port
                self.starts += 1
                self._read_password()
                self._wait_socket(timeout)
                return self
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("xapid did not print 'xapid: ready' within %ds: %s" %
                                   (timeout, " | ".join(self.output[-20:])))
            self.proc.wait()
            last = "xapid exited with %s: %s" % (self.proc.returncode, " | ".join(self.output[-10:]))
            if not any("cannot listen" in l for l in self.output[-5:]):
                break
        raise RuntimeError(last)

    def _read_password(self):
        p = os.path.join(self.state_dir, "root-password")
        with open(p) as f:
            self.root_password = f.read().strip()

    def _wait_socket(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if os.path.exists(self.socket_path):
                return
            time.sleep(0.02)

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL if it does not go. Returns the exit status."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.output.append("### harness: xapid ignored SIGTERM for %ds, killing" % timeout)
            self.proc.kill()
            self.proc.wait()
            return None

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self):
        """SIGTERM then start again on the same state dir (and port if free)."""
        rc = self.stop()
        self.start()
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        self.kill9()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def add_user(self, name, role, password):
        r = subprocess.run([self.binary, "user-add", "--state-dir", self.state_dir, name, role],
                           input=(password + "\n").encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("xapid user-add %s %s failed (%d): %s" %
                               (name, role, r.returncode, r.stdout.decode(errors="replace")))

    # -- clients --

    @property
    def url(self):
        return "%s://127.0.0.1:%d/" % ("https" if self.tls else "http", self.port)

    def proxy(self, path="/", timeout=120):
        url = self.url.rstrip("/") + path
        if self.tls:
            return xmlrpc.client.ServerProxy(url, transport=TimeoutSafeTransport(timeout),
                                             allow_none=True)
        return xmlrpc.client.ServerProxy(url, allow_none=True)

    def api(self, path="/", timeout=120):
        return Api(self.proxy(path, timeout))

    def login(self, user="root", password=None, path="/", timeout=120):
        a = self.api(path, timeout)
        a.login(user, self.root_password if password is None else password)
        return a

    def local_api(self):
        """An XML-RPC client on the unix socket (the local superuser)."""
        return Api(xmlrpc.client.ServerProxy("http://localhost/", transport=UnixTransport(self.socket_path),
                                             allow_none=True))

    def connection(self, timeout=60):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=tls_context(), timeout=timeout)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def http(self, method, path, body=None, headers=None, timeout=60, unix=False):
        """One raw HTTP request on a new connection; returns HttpReply."""
        c = UnixHTTPConnection(self.socket_path, timeout) if unix else self.connection(timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return HttpReply(r.status, r.getheaders(), r.read())
        finally:
            c.close()

    def post_xml(self, body, path="/", **kw):
        h = {"Content-Type": "text/xml"}
        return self.http("POST", path, body, h, **kw)

    def jsonrpc(self, method, params, version=2, id=0, path="/jsonrpc", **kw):
        """JSON-RPC call; returns (HttpReply, decoded body or None)."""
        req = {"method": method, "params": params, "id": id}
        if version == 2:
            req["jsonrpc"] = "2.0"
        r = self.http("POST", path, json.dumps(req), {"Content-Type": "application/json",
                                                       "Accept": "application/json"}, **kw)
        try:
            return r, r.json()
        except ValueError:
            return r, None

    def tail(self, n=60):
        return "\n".join(self.output[-n:])


# --------------------------------------------------------------------------
# Checks


class Checker:
    """Prints one line per check; counts failures."""

    def __init__(self, name):
        self.name = name
        self.failed = 0
        self.passed = 0
        self.skipped = 0

    def ok(self, cond, what, detail=None):
        if cond:
            self.passed += 1
            print("ok    %s" % what, flush=True)
        else:
            self.failed += 1
            print("FAIL  %s" % what, flush=True)
            if detail is not None:
                for line in str(detail).splitlines() or [""]:
                    print("        %s" % line, flush=True)
        return bool(cond)

    def eq(self, got, want, what, request=None):
        d = "want %s\n got %s" % (short(want), short(got))
        if request is not None:
            d = "request: %s\n%s" % (short(request), d)
        return self.ok(got == want, what, d)

    def skip(self, what, why):
        self.skipped += 1
        print("skip  %s: %s" % (what, why), flush=True)

    def note(self, text):
        print("      %s" % text, flush=True)

    def fails(self, fn, code, what, params=None, param_check=None):
        """Expects fn() to raise XapiFailure code (and params, if given). Returns the failure."""
        try:
            r = fn()
        except XapiFailure as e:
            codes = code if isinstance(code, tuple) else (code,)
            good = e.code in codes and (params is None or list(e.params) == list(params))
            if good and param_check is not None:
                good = param_check(e.params)
            self.ok(good, what, "call: %s %s\nwant %s %s\n got %s %s" %
                    (e.method, short(e.args_sent), code, params if params is not None else "",
                     e.code, e.params))
            return e
        except Exception as e:  # transport error, bad reply…
            self.ok(False, what, "want XapiFailure %s, got %s: %s" % (code, type(e).__name__, short(str(e))))
            return None
        self.ok(False, what, "want failure %s %s, got success: %s" % (code, params or "", short(r)))
        return None

    @contextlib.contextmanager
    def section(self, name):
        """Runs a block; an unexpected exception fails it and the test goes on."""
        print("# %s" % name, flush=True)
        try:
            yield
        except XapiFailure as e:
            self.ok(False, "%s: unexpected XenAPI failure" % name, str(e))
        except Exception as e:
            self.ok(False, "%s: unexpected exception %s" % (name, type(e).__name__),
                    traceback.format_exc())


def guest_files():
    """The test guest's kernel and initramfs (tests/guest/build-guest, cached
    in $GUEST_CACHE or build/guest); skips when QEMU is missing or the guest
    cannot be built here (no Debian mirror)."""
    if not shutil.which("qemu-system-x86_64"):
        skip("qemu-system-x86_64 is not installed")
    cache = os.environ.get("GUEST_CACHE") or os.path.join(REPO, "build", "guest")
    script = os.path.join(REPO, "tests", "guest", "build-guest")
    r = subprocess.run([script, cache], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        skip("the test guest cannot be built here: %s" % r.stderr.strip()[-400:])
    d = r.stdout.strip().splitlines()[-1]
    return os.path.join(d, "vmlinuz"), os.path.join(d, "initrd.gz")


def wait_until(pred, timeout=30.0, step=0.02):
    """Polls pred() until true or timeout (for state, never as a measurement)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def skip(why):
    print("SKIP: %s" % why, flush=True)
    sys.exit(SKIP)


def run(main, **xapid_kw):
    """
    Runs main(t, x) against a fresh xapid; prints a summary; exits 0/1/77.
    xapid_kw go to Xapid() (tls, plugin_dir, extra_args, threads, …). A
    main that needs no daemon started up front may take xapid_kw
    start=False and start it itself.
    """
    name = os.path.basename(sys.argv[0])
    binary = find_xapid()
    if not binary or not os.access(binary, os.X_OK):
        skip("no xapid binary (set XAPID=<path to xapid>; tried %s)" % (binary or "build-it/ and build/"))
    start = xapid_kw.pop("start", True)
    t = Checker(name)
    x = Xapid(binary, **xapid_kw)
    rc = 1
    try:
        if start:
            try:
                x.start()
            except Exception as e:
                t.ok(False, "xapid starts", str(e))
                raise
            t.ok(True, "xapid started on port %d (state %s)" % (x.port, x.state_dir))
        try:
            main(t, x)
        except SystemExit:
            raise
        except Exception:
            t.ok(False, "test body raised", traceback.format_exc())
        if x.proc is not None:
            t.ok(x.alive() or x.proc.returncode == 0, "xapid still running at the end",
                 "exit status %s" % x.proc.returncode)
            if x.alive():
                st = x.stop()
                t.ok(st == 0, "xapid exits 0 on SIGTERM", "exit status %s" % st)
        rc = 1 if t.failed else 0
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except Exception:
        traceback.print_exc()
        rc = 1
    finally:
        if rc == 1 and x.output:
            print("---- last lines of xapid output ----")
            print(x.tail())
        x.cleanup()
    print("%s: %d passed, %d failed, %d skipped" % (name, t.passed, t.failed, t.skipped), flush=True)
    sys.exit(rc)
