#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Events (WIRE.md §7, CLIENTS.md §1 event.from rows, §4): event.from with the
"" token, add/mod/del with snapshots, case-insensitive classes, class/ref
subscriptions, valid_ref_counts as <i4>, event.inject, long-poll wake-up
and timeout, parse failures, 200 concurrent long-pollers woken by one
write, the legacy register/next/unregister interface.
"""
import json
import re
import threading

import harness
from harness import XapiFailure


def ev_from(a, classes, token, timeout):
    return a.call("event.from", classes, token, float(timeout))


def drain(a, classes, token):
    """Returns the current token (after everything that happened so far)."""
    r = ev_from(a, classes, token, 0.0)
    return r["token"]


def main(t, x):
    a = x.login()
    pool = a.pool.get_all()[0]
    host = a.host.get_all()[0]

    with t.section("event.from with the empty token"):
        r = ev_from(a, ["pool", "host", "VM"], "", 5.0)
        t.ok(isinstance(r, dict) and {"events", "valid_ref_counts", "token"} <= set(r),
             "event.from returns {events, valid_ref_counts, token}", harness.short(r))
        evs = r["events"]
        byref = {e.get("ref"): e for e in evs}
        t.ok(pool in byref and byref[pool]["operation"] == "add" and byref[pool]["class"] == "pool",
             "the existing pool comes back as an add", harness.short(evs))
        t.ok(host in byref and byref[host]["operation"] == "add", "the existing host comes back as an add")
        vms = a.VM.get_all()
        t.ok(all(v in byref for v in vms), "every existing VM comes back (%d)" % len(vms))
        e = byref.get(pool, {})
        t.ok({"id", "timestamp", "class", "operation", "ref", "snapshot"} <= set(e),
             "an event has id, timestamp, class, operation, ref, snapshot", harness.short(e))
        t.eq(e.get("snapshot"), a.pool.get_record(pool), "the pool snapshot is the full pool record")
        t.ok(all(ev["class"] == ev["class"].lower() for ev in evs), "event classes are lower case")
        t.ok(isinstance(r["token"], str) and r["token"], "the token is a non-empty string", repr(r["token"]))
        c = r["valid_ref_counts"]
        t.eq(c.get("vm"), len(vms), "valid_ref_counts.vm is the number of VMs (an int)")
        t.ok(type(c.get("pool")) is int and c.get("pool") == 1, "valid_ref_counts.pool is the int 1", c)
        body = x.post_xml(harness_xml("event.from", a.session, ["VM", "task"], r["token"], 0.0)).text()
        t.ok(re.search(r"<name>valid_ref_counts</name><value><struct>(<member><name>\w+</name><value><i4>\d+</i4>"
                       r"</value></member>)+</struct>", body),
             "over XML-RPC valid_ref_counts values are <i4>", body)
        t.ok("<name>task</name><value><i4>" in body, "valid_ref_counts has task (XO compares it)", body)

    with t.section("add, mod, del of a VM in order"):
        tok = drain(a, ["VM"], "")
        vm = a.VM.create(harness.vm_record("ev-vm"))
        r = ev_from(a, ["VM"], tok, 10.0)
        mine = [e for e in r["events"] if e["ref"] == vm]
        t.eq([e["operation"] for e in mine], ["add"], "VM.create → one add event")
        if mine:
            t.eq(mine[0].get("snapshot"), a.VM.get_record(vm), "the add carries the full VM record")
            t.eq(mine[0]["class"], "vm", "class is 'vm'")
        tok = r["token"]
        a.VM.set_name_label(vm, "ev-vm-2")
        r = ev_from(a, ["vm"], tok, 10.0)
        mine = [e for e in r["events"] if e["ref"] == vm]
        t.eq([e["operation"] for e in mine], ["mod"], "VM.set_name_label → one mod (subscribed as 'vm')")
        if mine:
            t.eq(mine[0]["snapshot"].get("name_label"), "ev-vm-2", "the mod snapshot has the new name")
        tok = r["token"]
        a.VM.destroy(vm)
        r = ev_from(a, ["Vm"], tok, 10.0)
        mine = [e for e in r["events"] if e["ref"] == vm]
        t.eq([e["operation"] for e in mine], ["del"], "VM.destroy → one del (subscribed as 'Vm')")
        if mine:
            t.ok("snapshot" not in mine[0] or not mine[0]["snapshot"], "the del has no snapshot", mine[0])
        tok = r["token"]
        r = ev_from(a, ["VM"], tok, 0.0)
        t.eq([e for e in r["events"] if e["ref"] == vm], [], "nothing more for that VM after its token")

        # All three between two polls: XAPI reports per object and skips
        # objects created and deleted since the token; otherwise any suffix
        # of add/mod/del in order is right, but it must end in del.
        tok = r["token"]
        vm2 = a.VM.create(harness.vm_record("ev-vm3"))
        a.VM.set_name_label(vm2, "ev-vm3b")
        a.VM.destroy(vm2)
        ops = []
        while not ops or ops[-1] != "del":
            r = ev_from(a, ["VM"], tok, 5.0)
            if not r["events"]:
                break
            ops += [e["operation"] for e in r["events"] if e["ref"] == vm2]
            tok = r["token"]
        t.ok(ops == [] or (ops[-1] == "del" and ops == ["add", "mod", "del"][3 - len(ops):]),
             "create+rename+destroy between polls: ops %s are nothing (born and gone, as XAPI) or end in del" % ops)

    with t.section("class/ref subscriptions"):
        t1 = a.task.create("sub-1", "")
        t2 = a.task.create("sub-2", "")
        tok = drain(a, ["task"], "")
        a.task.set_progress(t2, 0.5)
        a.task.set_progress(t1, 0.25)
        for spec in ["task/" + t1, "Task/" + t1]:
            r = ev_from(a, [spec], tok, 10.0)
            refs = {e["ref"] for e in r["events"]}
            t.eq(refs, {t1}, "subscription %r sees only that task" % spec.split(":")[0])
            t.ok(type(r["valid_ref_counts"].get("task")) is int, "valid_ref_counts has task for an object subscription",
                 r["valid_ref_counts"])
        r = ev_from(a, ["task/" + t2, "vm"], tok, 10.0)
        t.eq({e["ref"] for e in r["events"]}, {t2}, "task/<ref> plus a class list")

    with t.section("event.inject"):
        tok0 = drain(a, ["pool"], "")
        it = a.event.inject("pool", pool)
        t.ok(isinstance(it, str) and it, "event.inject returns a token string", repr(it))
        r = ev_from(a, ["pool"], it, 10.0)
        t.ok([e["operation"] for e in r["events"] if e["ref"] == pool] == ["mod"],
             "event.from(inject's token) sees the pool touched", harness.short(r["events"]))
        r = ev_from(a, ["pool"], tok0, 10.0)
        t.ok(any(e["ref"] == pool for e in r["events"]), "…and so does the token from before the inject")
        t.fails(lambda: a.event.inject("pool", "OpaqueRef:nope"), "HANDLE_INVALID",
                "event.inject on a bad ref → HANDLE_INVALID")
        cid = a.event.get_current_id()
        t.ok(re.fullmatch(r"\d+", str(cid)), "event.get_current_id returns an int", repr(cid))

    with t.section("long-poll wake-up and timeout"):
        tok = drain(a, ["VM"], "")
        vm = a.VM.create(harness.vm_record("wake"))
        tok = drain(a, ["VM"], tok)
        out = {}
        started = threading.Event()

        def waiter():
            b = x.api(timeout=90)
            b.session = a.session
            started.set()
            try:
                out["r"] = ev_from(b, ["VM"], tok, 30.0)
            except Exception as e:
                out["e"] = e

        th = threading.Thread(target=waiter)
        th.start()
        started.wait(10)
        harness.wait_until(lambda: False, 0.3)  # let the call park; not a measurement
        a.VM.set_name_label(vm, "woken")
        th.join(60)
        r = out.get("r")
        t.ok(not th.is_alive() and r is not None and any(e["ref"] == vm and e["operation"] == "mod" for e in r["events"]),
             "a waiting event.from(…, 30.0) returns with the event another client wrote (not the timeout)",
             repr(out)[:800])
        tok = r["token"] if r else drain(a, ["VM"], tok)
        r = ev_from(a, ["VM"], tok, 1.0)
        t.eq(r["events"], [], "event.from with no change returns an empty list after its timeout")
        t.ok(isinstance(r["token"], str) and r["token"], "…with a token to go on from")
        r = ev_from(a, ["VM"], tok, 0.0)
        t.eq(r["events"], [], "timeout 0 with no change returns at once, empty")

    with t.section("parse failures"):
        t.fails(lambda: ev_from(a, ["VM"], "not-a-token", 1.0), "EVENT_FROM_TOKEN_PARSE_FAILURE",
                "a bad token → EVENT_FROM_TOKEN_PARSE_FAILURE [token]", params=["not-a-token"])
        t.fails(lambda: ev_from(a, ["nosuchclass"], "", 1.0), "EVENT_SUBSCRIPTION_PARSE_FAILURE",
                "an unknown class → EVENT_SUBSCRIPTION_PARSE_FAILURE")
        t.fails(lambda: ev_from(a, ["nosuch/OpaqueRef:x"], "", 1.0), "EVENT_SUBSCRIPTION_PARSE_FAILURE",
                "an unknown class in class/ref → EVENT_SUBSCRIPTION_PARSE_FAILURE")
        t.fails(lambda: a.call("event.from", ["VM"], "", "soon"), "FIELD_TYPE_ERROR",
                "a non-numeric timeout → FIELD_TYPE_ERROR")

    with t.section("messages only when subscribed"):
        tok = drain(a, ["*"], "")
        tokm = drain(a, ["message"], "")
        m = a.message.create("EV_TEST", "1", "Pool", a.pool.get_uuid(pool), "hello")
        r = ev_from(a, ["*"], tok, 1.0)
        t.ok(all(e["class"] != "message" for e in r["events"]), "'*' does not deliver messages",
             harness.short(r["events"]))
        r = ev_from(a, ["message"], tokm, 10.0)
        mine = [e for e in r["events"] if e["ref"] == m]
        t.ok(len(mine) == 1 and mine[0]["operation"] == "add" and mine[0].get("snapshot", {}).get("name") == "EV_TEST",
             "subscribing to 'message' delivers its add with a snapshot", harness.short(r["events"]))

    with t.section("200 concurrent long-pollers"):
        N = 200
        tok = drain(a, ["VM"], "")
        results = [None] * N
        sent = threading.Semaphore(0)

        def poller(i):
            c = x.connection(timeout=120)
            try:
                body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "event.from",
                                   "params": [a.session, ["VM"], tok, 60.0]})
                c.request("POST", "/jsonrpc", body, {"Content-Type": "application/json"})
                sent.release()
                resp = c.getresponse()
                results[i] = json.loads(resp.read())
            except Exception as e:
                sent.release()
                results[i] = e
            finally:
                c.close()

        ths = [threading.Thread(target=poller, args=(i,), daemon=True) for i in range(N)]
        for th in ths:
            th.start()
        for _ in range(N):
            sent.acquire(timeout=60)
        harness.wait_until(lambda: False, 0.5)  # let them park; correctness does not depend on it
        vm = a.VM.create(harness.vm_record("wake-all"))
        for th in ths:
            th.join(90)
        good = 0
        bad = []
        for i, r in enumerate(results):
            if isinstance(r, dict) and any(e.get("ref") == vm for e in r.get("result", {}).get("events", [])):
                good += 1
            else:
                bad.append((i, harness.short(r, 200)))
        t.eq(good, N, "all %d concurrent event.from waiters woken by one VM.create" % N)
        if bad:
            t.note("first bad results: %s" % bad[:3])
        t.eq(len(a.pool.get_all()), 1, "daemon still serves after the pollers")

    with t.section("legacy event.register / next / unregister"):
        b = x.login()
        t.fails(lambda: b.event.next(), "SESSION_NOT_REGISTERED", "event.next before register → SESSION_NOT_REGISTERED",
                params=[b.session])
        t.eq(b.event.register(["VM"]), "", "event.register(['VM'])")
        vm = a.VM.create(harness.vm_record("legacy"))
        evs = b.event.next()
        mine = [e for e in evs if e.get("ref") == vm]
        t.ok(isinstance(evs, list) and mine and mine[0].get("operation") == "add" and mine[0].get("class") == "vm",
             "event.next returns the add of the new VM", harness.short(evs))
        a.VM.set_name_label(vm, "legacy-2")
        evs = b.event.next()
        t.ok(any(e.get("ref") == vm and e.get("operation") == "mod" for e in evs),
             "the next event.next returns the mod (the session's position advanced)", harness.short(evs))
        t.fails(lambda: b.event.register(["nosuchclass"]), "EVENT_SUBSCRIPTION_PARSE_FAILURE",
                "event.register of an unknown class fails")
        t.eq(b.event.unregister(["VM"]), "", "event.unregister(['VM'])")


def harness_xml(method, *params):
    import xmlrpc.client
    return xmlrpc.client.dumps(tuple(params), method, allow_none=True)


if __name__ == "__main__":
    harness.run(main)
