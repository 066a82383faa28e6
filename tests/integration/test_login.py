#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Sessions as the real clients use them (WIRE.md §5, CLIENTS.md §1–2, §6):
login with 2 (Xen Orchestra), 3 (CloudStack) and 4 (XenAPI.py, Nova)
arguments, bad credentials, logout, session.get_this_host, the API version
getters, the local-socket superuser, slave_local_login_with_password +
local_logout, and session.change_password.
"""
import re
import harness
from harness import XapiFailure

REF = re.compile(r"^OpaqueRef:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def main(t, x):
    x.add_user("alice", "pool-admin", "alice-pw-1")
    x.start()
    t.ok(True, "xapid started on port %d" % x.port)
    pw = x.root_password
    t.ok(bool(pw), "root password read from STATE/root-password")
    t.ok(any("created account root" in l for l in x.output), "first start says it created root")

    sessions = {}
    with t.section("login variants"):
        for label, extra in [("2 args (Xen Orchestra)", ()),
                             ("3 args (CloudStack)", ("2.23",)),
                             ("4 args (XenAPI.py)", ("1.0", "xen-api-scripts-xenapi.py")),
                             ("4 args (Nova)", ("OpenStack Nova 1.0", "OpenStack"))]:
            a = x.api()
            try:
                s = a.login("root", pw, *extra)
            except XapiFailure as e:
                t.ok(False, "login with %s" % label, str(e))
                continue
            t.ok(isinstance(s, str) and REF.match(s), "login with %s returns a session ref" % label, repr(s))
            pools = a.pool.get_all()
            t.eq(len(pools), 1, "session from %s works (pool.get_all has one pool)" % label)
            sessions[label] = a
        refs = [a.session for a in sessions.values()]
        t.eq(len(set(refs)), len(refs), "every login gives a distinct session")
        nova = sessions.get("4 args (Nova)")
        if nova:
            rec = nova.sess.get_record(nova.session)
            t.eq(rec.get("originator"), "OpenStack", "4-arg login records the originator")
            t.ok(REF.match(rec.get("this_host", "")), "session record has this_host", short_rec(rec))

    with t.section("bad credentials"):
        a = x.api()
        e = t.fails(lambda: a.login("root", pw + "x"), "SESSION_AUTHENTICATION_FAILED",
                    "wrong password → SESSION_AUTHENTICATION_FAILED",
                    param_check=lambda p: len(p) == 2 and p[0] == "root")
        if e:
            t.note("failure params: %s" % e.params)
        t.fails(lambda: a.login("nosuchuser", "x", "1.0", "test"), "SESSION_AUTHENTICATION_FAILED",
                "unknown user → SESSION_AUTHENTICATION_FAILED [user, msg]",
                param_check=lambda p: len(p) == 2 and p[0] == "nosuchuser")
        t.fails(lambda: a.login("root", ""), "SESSION_AUTHENTICATION_FAILED",
                "empty password → SESSION_AUTHENTICATION_FAILED")
        t.fails(lambda: a.call_ns("session.login_with_password", "root", pw, "1.0", "o", "extra"),
                "MESSAGE_PARAMETER_COUNT_MISMATCH", "5 arguments → MESSAGE_PARAMETER_COUNT_MISMATCH",
                params=["session.login_with_password", "2", "5"])
        t.fails(lambda: a.call_ns("session.login_with_password", "root"),
                "MESSAGE_PARAMETER_COUNT_MISMATCH", "1 argument → MESSAGE_PARAMETER_COUNT_MISMATCH",
                params=["session.login_with_password", "2", "1"])

    with t.section("logout"):
        a = x.login()
        s = a.session
        t.eq(a.logout(), "", "session.logout returns the empty string")
        b = x.api()
        b.session = s
        t.fails(lambda: b.VM.get_all(), "SESSION_INVALID", "a call after logout → SESSION_INVALID [ref]",
                params=[s])
        t.fails(lambda: b.call_ns("session.logout", s), "SESSION_INVALID",
                "logging out twice → SESSION_INVALID", params=[s])
        bogus = "OpaqueRef:00000000-0000-0000-0000-000000000000"
        b.session = bogus
        t.fails(lambda: b.pool.get_all(), "SESSION_INVALID", "unknown session ref → SESSION_INVALID [ref]",
                params=[bogus])
        b.session = "not-a-ref"
        t.fails(lambda: b.pool.get_all(), "SESSION_INVALID", "garbage session string → SESSION_INVALID",
                params=["not-a-ref"])

    with t.section("this host and the API version"):
        a = x.api()
        a.login("root", pw, "2.23")  # CloudStack's ConnectionNew.setAPIVersion sequence
        h = a.sess.get_this_host(a.session)
        hosts = a.host.get_all()
        t.ok(h in hosts, "session.get_this_host(s, s) names a host of host.get_all", "%s not in %s" % (h, hosts))
        major = a.host.get_API_version_major(h)
        minor = a.host.get_API_version_minor(h)
        dm = harness.datamodel()["api_version"]
        t.eq(major, str(dm["major"]), "host.get_API_version_major is the int64 string %r" % str(dm["major"]))
        t.eq(minor, str(dm["minor"]), "host.get_API_version_minor is the int64 string %r" % str(dm["minor"]))
        vendor = a.host.get_API_version_vendor(h)
        t.eq(vendor, dm.get("vendor", "XenSource"), "host.get_API_version_vendor")
        pool = a.pool.get_all()[0]
        t.eq(a.pool.get_master(pool), h, "pool.master is this host (XenAPI.py's API_version path)")
        rec = a.host.get_record(h)
        t.ok(isinstance(rec.get("software_version"), dict), "host record has a software_version map",
             short_rec(rec))
        other = x.login()
        t.eq(a.sess.get_this_host(other.session), h, "get_this_host of another live session")

    with t.section("local socket superuser"):
        loc = x.local_api()
        s = loc.login("root", "any password at all")
        t.ok(REF.match(s or ""), "unix socket: root with any password logs in", repr(s))
        rec = loc.sess.get_record(s)
        t.eq(rec.get("is_local_superuser"), True, "unix-socket session is_local_superuser")
        vms = loc.VM.get_all()
        t.ok(isinstance(vms, list), "unix-socket session can call VM.get_all")
        loc2 = x.local_api()
        try:
            loc2.login("someone", "")
            t.ok(True, "unix socket: any user name logs in as the local superuser")
        except XapiFailure as e:
            t.ok(False, "unix socket: any user name logs in as the local superuser", str(e))
        loc.logout()
        tcp = x.api()
        tcp.session = s
        t.fails(lambda: tcp.pool.get_all(), "SESSION_INVALID",
                "socket session logged out → SESSION_INVALID over TCP too", params=[s])

    with t.section("slave_local_login_with_password / local_logout"):
        a = x.api()
        s = a.call_ns("session.slave_local_login_with_password", "root", pw)
        t.ok(REF.match(s or ""), "slave_local_login_with_password returns a session", repr(s))
        a.session = s
        t.eq(len(a.host.get_all()), 1, "the emergency session reads host.get_all")
        t.eq(a.call_ns("session.local_logout", s), "", "session.local_logout returns ''")
        t.fails(lambda: a.host.get_all(), "SESSION_INVALID", "after local_logout → SESSION_INVALID",
                params=[s])
        t.fails(lambda: a.call_ns("session.slave_local_login_with_password", "root", "bad"),
                "SESSION_AUTHENTICATION_FAILED", "slave_local_login_with_password with a bad password fails")

    with t.section("change_password"):
        al = x.login("alice", "alice-pw-1")
        t.ok(True, "alice (pool-admin from `xapid user-add`) logs in")
        t.fails(lambda: al.sess.change_password("wrong-old", "alice-pw-2"), "CHANGE_PASSWORD_REJECTED",
                "change_password with a wrong old password → CHANGE_PASSWORD_REJECTED")
        t.eq(al.sess.change_password("alice-pw-1", "alice-pw-2"), "", "session.change_password(old, new)")
        try:
            x.login("alice", "alice-pw-2")
            t.ok(True, "login with the new password")
        except XapiFailure as e:
            t.ok(False, "login with the new password", str(e))
        t.fails(lambda: x.login("alice", "alice-pw-1"), "SESSION_AUTHENTICATION_FAILED",
                "the old password no longer works")
        t.eq(len(al.pool.get_all()), 1, "the session that changed the password still works")
        mark = len(x.output)
        x.restart()
        try:
            x.login("alice", "alice-pw-2")
            t.ok(True, "the new password survives a restart")
        except XapiFailure as e:
            t.ok(False, "the new password survives a restart", str(e))
        t.ok(not any("created account root" in l for l in x.output[mark:]),
             "a restart does not re-create root")
        try:
            x.login()
            t.ok(True, "root's password is unchanged after the restart")
        except XapiFailure as e:
            t.ok(False, "root's password is unchanged after the restart", str(e))


def short_rec(r):
    return harness.short(r, 400)


if __name__ == "__main__":
    harness.run(main, start=False)
