#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Durability and restart (ARCHITECTURE.md: "Halyard commits every
acknowledged write"; WIRE.md §5 sessions; the /pool/xmldbdump handler):
a SIGTERM restart keeps the objects and drops the sessions (SESSION_INVALID,
as XAPI); kill -9 in the middle of a stream of writes from several clients
loses none of the writes whose reply had arrived; a database dump restored
with PUT /pool/xmldbdump?restore=true undoes later changes; dry runs and
garbage uploads are refused without harm.
"""
import threading

import harness
from harness import XapiFailure

THREADS = 4
TARGET_ACKS = 400  # writes acknowledged before the kill (a count, not a time)


def main(t, x):
    x.add_user("ro", "read-only", "ro-pw")
    x.start()
    t.ok(True, "xapid started on port %d" % x.port)

    with t.section("SIGTERM restart keeps state, drops sessions"):
        a = x.login()
        pool = a.pool.get_all()[0]
        vm = a.VM.create(harness.vm_record("persist-vm", other_config={"k": "v"}, tags=["t1"]))
        a.pool.set_name_label(pool, "persisted-pool")
        net = a.network.create({"name_label": "persist-net", "other_config": {}})
        vif = a.VIF.create({"device": "0", "network": net, "VM": vm, "MAC": "", "MTU": "1500", "other_config": {},
                            "qos_algorithm_type": "", "qos_algorithm_params": {}})
        before = a.VM.get_record(vm)
        old = a.session
        rc = x.restart()
        t.eq(rc, 0, "xapid exits 0 on SIGTERM")
        t.ok(True, "xapid restarted on the same state dir")
        b = x.api()
        b.session = old
        t.fails(lambda: b.VM.get_all(), "SESSION_INVALID", "a session from before the restart → SESSION_INVALID",
                params=[old])
        a = x.login()
        t.eq(a.VM.get_record(vm), before, "the VM record is identical after the restart")
        t.eq(a.pool.get_name_label(pool), "persisted-pool", "the pool name set before the restart is kept")
        t.eq(a.network.get_VIFs(net), [vif], "network.VIFs still derived after the restart")
        t.eq(len(a.pool.get_all()), 1, "still exactly one pool after the restart")
        t.eq(len(a.host.get_all()), 1, "still exactly one host after the restart")

    with t.section("kill -9 during concurrent writes"):
        acked_vms = {}      # ref -> name_label, for VM.create calls whose reply arrived
        acked_keys = {}     # (vm ref, key) -> value, for add_to_other_config replies
        lock = threading.Lock()
        enough = threading.Event()
        stop = threading.Event()
        errors = []

        def writer(n):
            try:
                c = x.login(timeout=30)
                own = c.VM.create(harness.vm_record("own-%d" % n))
                with lock:
                    acked_vms[own] = "own-%d" % n
            except Exception as e:
                errors.append("thread %d setup: %s" % (n, e))
                return
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    if i % 2:
                        name = "ack-%d-%d" % (n, i)
                        ref = c.VM.create(harness.vm_record(name))
                        with lock:
                            acked_vms[ref] = name
                    else:
                        c.VM.add_to_other_config(own, "k%d" % i, "v%d" % i)
                        with lock:
                            acked_keys[(own, "k%d" % i)] = "v%d" % i
                except XapiFailure as e:
                    errors.append("thread %d: %s" % (n, e))
                    return
                except Exception:
                    return  # the daemon went away mid-call: not acknowledged
                with lock:
                    if len(acked_vms) + len(acked_keys) >= TARGET_ACKS:
                        enough.set()

        ths = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(THREADS)]
        for th in ths:
            th.start()
        got = enough.wait(120)
        x.kill9()
        stop.set()
        for th in ths:
            th.join(60)
        t.ok(got, "%d writer threads got %d writes acknowledged before kill -9" % (THREADS, TARGET_ACKS),
             "\n".join(errors[:5]))
        t.ok(not errors, "no writer saw a XenAPI error", "\n".join(errors[:5]))
        with lock:
            vms, keys = dict(acked_vms), dict(acked_keys)
        t.note("acknowledged: %d VM.create, %d add_to_other_config" % (len(vms), len(keys)))
        x.start()
        t.ok(True, "xapid restarts after kill -9")
        a = x.login()
        recs = a.VM.get_all_records()
        lost = [(r, n) for r, n in vms.items() if r not in recs or recs[r]["name_label"] != n]
        t.ok(not lost, "every acknowledged VM.create survived kill -9 (%d)" % len(vms),
             "lost %d, e.g. %s" % (len(lost), lost[:5]))
        lostk = [(r, k) for (r, k), v in keys.items() if r not in recs or recs[r]["other_config"].get(k) != v]
        t.ok(not lostk, "every acknowledged add_to_other_config survived kill -9 (%d)" % len(keys),
             "lost %d, e.g. %s" % (len(lostk), lostk[:5]))
        t.ok(vm in recs and recs[vm]["name_label"] == "persist-vm", "older objects are intact too")
        # Writes work after recovery.
        v = a.VM.create(harness.vm_record("after-crash"))
        t.eq(a.VM.get_name_label(v), "after-crash", "writes work after the crash recovery")

    with t.section("database dump and restore"):
        a = x.login()
        pool = a.pool.get_all()[0]
        r = x.http("GET", "/pool/xmldbdump?session_id=" + a.session)
        t.eq(r.status, 200, "GET /pool/xmldbdump with a session → 200")
        dump = r.body
        t.ok(len(dump) > 1000, "the dump has content (%d bytes)" % len(dump))
        r2 = x.http("GET", "/pool/xmldbdump")
        t.eq(r2.status, 401, "GET /pool/xmldbdump without credentials → 401")
        ro = x.login("ro", "ro-pw")
        r2 = x.http("GET", "/pool/xmldbdump?session_id=" + ro.session)
        t.eq(r2.status, 403, "GET /pool/xmldbdump as read-only → 403")
        r2 = x.http("PUT", "/pool/xmldbdump?restore=true&session_id=" + ro.session, dump)
        t.eq(r2.status, 403, "PUT /pool/xmldbdump as read-only → 403")

        name0 = a.pool.get_name_label(pool)
        a.pool.set_name_label(pool, "after-dump")
        newvm = a.VM.create(harness.vm_record("after-dump-vm"))
        r = x.http("PUT", "/pool/xmldbdump?dry_run=true&session_id=" + a.session, dump)
        t.eq(r.status, 200, "PUT …&dry_run=true of the real dump → 200", r)
        t.eq(a.pool.get_name_label(pool), "after-dump", "a dry run changes nothing")
        for label, body in [("garbage", b"this is not a database" * 100),
                            ("a truncated dump", dump[: len(dump) // 3])]:
            r = x.http("PUT", "/pool/xmldbdump?dry_run=true&session_id=" + a.session, body)
            t.ok(400 <= r.status < 600, "dry_run restore of %s is refused (HTTP %d)" % (label, r.status), r)
            r = x.http("PUT", "/pool/xmldbdump?restore=true&session_id=" + a.session, body)
            t.ok(400 <= r.status < 600, "real restore of %s is refused (HTTP %d)" % (label, r.status), r)
            t.eq(a.pool.get_name_label(pool), "after-dump", "…and the database is untouched")
        r = x.http("PUT", "/pool/xmldbdump?restore=true&session_id=" + a.session, dump)
        t.eq(r.status, 200, "PUT /pool/xmldbdump?restore=true of the dump → 200", r)
        try:
            a.pool.get_all()
        except XapiFailure as e:
            t.note("session after restore: %s (logging in again)" % e.code)
            a = x.login()
        t.eq(a.pool.get_name_label(pool), name0, "the restore undid the pool rename")
        t.ok(newvm not in a.VM.get_all(), "the restore removed the VM made after the dump")
        t.ok(vm in a.VM.get_all(), "objects from before the dump are there")
        t.eq(len(a.host.get_all()), 1, "exactly one host after the restore")
        x.restart()
        a = x.login()
        t.eq(a.pool.get_name_label(pool), name0, "the restored state survives a restart")
        t.ok(newvm not in a.VM.get_all(), "…without the undone VM")


if __name__ == "__main__":
    harness.run(main, start=False)
