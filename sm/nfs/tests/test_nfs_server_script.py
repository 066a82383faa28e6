# SPDX-License-Identifier: Apache-2.0
"""
scripts/nfs-server itself: start/stop from the command line, a second
server waits for the first (one rpcbind program table per host), the
export is served (libnfs's nfs-ls lists a file), and afterwards no
ganesha and no rpcbind of ours is left, while an rpcbind that was running
before (not ours) is still running.

Skips (77) when nfs-ganesha/rpcbind or libnfs-utils are missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "..", "scripts", "nfs-server")
failed = 0


def check(cond, what, detail=""):
    global failed
    print("%s %s%s" % ("ok  " if cond else "FAIL", what, (": %s" % detail) if detail and not cond else ""))
    failed += 0 if cond else 1


def pids(name, needle=None):
    """Live processes called name (whose command line holds needle, if given)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        if comm == name and st.rsplit(")", 1)[1].split()[0] != "Z" and (needle is None or needle in cmd):
            out.append(int(d))
    return out


def main():
    for tool in ("ganesha.nfsd", "rpcbind", "rpcinfo", "nfs-ls"):
        if not shutil.which(tool):
            print("SKIP: %s is not installed (nfs-ganesha, rpcbind, libnfs-utils)" % tool)
            return 77
    tmp = tempfile.mkdtemp(prefix="nfs-script-")
    try:
        return body(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ours():
    """The rpcbind the script started (its mark file), if any."""
    try:
        with open("/run/lock/halyard-nfs-rpcbind") as f:
            return {int(f.read().split()[0])}
    except (OSError, ValueError, IndexError):
        return set()


def body(tmp):
    # Another test's server may be running: its rpcbind comes and goes.
    rpcbind_before = set(pids("rpcbind")) - ours()
    a_exp, a_run = os.path.join(tmp, "a-export"), os.path.join(tmp, "a-run")
    b_exp, b_run = os.path.join(tmp, "b-export"), os.path.join(tmp, "b-run")
    for d in (a_exp, a_run, b_exp, b_run):
        os.makedirs(d)
    with open(os.path.join(b_exp, "hello.txt"), "w") as f:
        f.write("hello\n")

    r = subprocess.run([SCRIPT, "start", "--export", a_exp, "--run-dir", a_run],
                       capture_output=True, text=True, timeout=900)
    check(r.returncode == 0 and "serverpath=" + os.path.realpath(a_exp) in r.stdout, "start prints the export",
          r.stdout + r.stderr)
    check(len(pids("ganesha.nfsd", a_run)) == 1, "ganesha runs from the run dir")
    # B must wait for A's lock (the host's one rpcbind table), then serve.
    b = subprocess.Popen([SCRIPT, "run", "--export", b_exp, "--run-dir", b_run, "--", "sh", "-c",
                          'nfs-ls "$NFS_URL"'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    check(b.poll() is None and not os.path.exists(os.path.join(b_run, "ganesha.pid.ours")) and
          not pids("ganesha.nfsd", b_run), "a second server waits while the first runs")
    r = subprocess.run([SCRIPT, "stop", "--run-dir", a_run], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and not pids("ganesha.nfsd", a_run), "stop ends the first ganesha", r.stderr)
    out, err = b.communicate(timeout=900)
    check(b.returncode == 0 and "hello.txt" in out, "the second server serves its export once the first "
          "stopped (nfs-ls lists hello.txt)", out + err)
    time.sleep(0.5)
    check(not pids("ganesha.nfsd", tmp), "no ganesha of this test left")
    left = set(pids("rpcbind"))
    check(rpcbind_before <= left, "an rpcbind not started by the script is still running")
    if pids("ganesha.nfsd"):
        print("note: another NFS server runs on this host now; its rpcbind stays (not checked)")
    else:
        check(left <= rpcbind_before, "no rpcbind of the script left", left - rpcbind_before)
    print("nfs-server script: %d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
