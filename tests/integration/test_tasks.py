#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Async.* and tasks (WIRE.md §4, §6; CLIENTS.md §5 and the CloudStack task
rows): Async.VM.create gives a task that succeeds with result
"<value>OpaqueRef:…</value>" and name_label "Async.VM.create"; a failing
Async call ends in failure with error_info [code, params…]; task events
flow through event.from; client-made tasks (task.create) can be cancelled
(TASK_CANCELLED) and destroyed; finished tasks stay until task.destroy.
"""
import re
import xmlrpc.client

import harness
from harness import XapiFailure

BAD = "OpaqueRef:11111111-2222-3333-4444-555555555555"
RESULT_REF = re.compile(r"^<value>(OpaqueRef:[0-9a-f-]{36})</value>$")
DONE = ("success", "failure", "cancelled")


def wait_task(a, task, timeout=30):
    """Polls task.get_status like CloudStack's waitForTask; returns the record."""
    harness.wait_until(lambda: a.task.get_status(task) in DONE, timeout, 0.05)
    return a.task.get_record(task)


def main(t, x):
    a = x.login()

    with t.section("Async.VM.create succeeds"):
        tok = a.call("event.from", ["task"], "", 0.0)["token"]
        task = a.call("Async.VM.create", harness.vm_record("async-vm"))
        t.ok(isinstance(task, str) and task.startswith("OpaqueRef:"), "Async.VM.create returns a task ref", repr(task))
        t.ok(task in a.task.get_all(), "the task is in task.get_all")
        rec = wait_task(a, task)
        t.eq(rec["status"], "success", "the task reaches success", rec)
        m = RESULT_REF.match(rec.get("result", ""))
        t.ok(m, "task.result is the XML-RPC string <value>OpaqueRef:…</value>", repr(rec.get("result")))
        if m:
            vm = m.group(1)
            t.eq(a.VM.get_name_label(vm), "async-vm", "the result names the created VM")
            v = xmlrpc.client.loads("<methodResponse><params><param>%s</param></params></methodResponse>"
                                    % rec["result"])[0][0]
            t.eq(v, vm, "task.result decodes as an XML-RPC value (as XO does)")
        t.eq(rec["name_label"], "Async.VM.create", "task name_label is 'Async.VM.create'")
        t.ok(task in a.task.get_by_name_label("Async.VM.create"), "task.get_by_name_label('Async.VM.create') finds it")
        t.eq(float(rec["progress"]), 1.0, "progress is 1.0 when done")
        t.eq(rec["error_info"], [], "error_info is empty on success")
        t.ok("cancel" not in rec["allowed_operations"], "a finished task cannot be cancelled", rec["allowed_operations"])
        t.ok(isinstance(rec["created"], xmlrpc.client.DateTime) and isinstance(rec["finished"], xmlrpc.client.DateTime),
             "created and finished are datetimes")

        # The task's life through event.from (XO waits for tasks this way).
        seen = []
        status = None
        while status not in DONE:
            r = a.call("event.from", ["task"], tok, 5.0)
            if not r["events"]:
                break
            for e in r["events"]:
                if e["ref"] == task:
                    seen.append(e["operation"])
                    status = e.get("snapshot", {}).get("status")
            tok = r["token"]
        t.ok(bool(seen) and set(seen) <= {"add", "mod"}, "task events flow through event.from (%s)" % seen)
        t.eq(status, "success", "the last task event's snapshot says success")

    with t.section("finished tasks stay until destroyed"):
        a.pool.get_all()
        a.VM.get_all_records()
        t.eq(a.task.get_status(task), "success", "the finished task is still there after other calls")
        t.eq(a.task.destroy(task), "", "task.destroy of a finished task")
        t.fails(lambda: a.task.get_record(task), "HANDLE_INVALID", "the destroyed task is gone → HANDLE_INVALID",
                params=["task", task])

    with t.section("Async calls that fail, and void results"):
        task = a.call("Async.VM.destroy", BAD)
        rec = wait_task(a, task)
        t.eq(rec["status"], "failure", "Async.VM.destroy(bad ref) → a task that fails")
        t.eq(rec["error_info"], ["HANDLE_INVALID", "VM", BAD], "error_info is [HANDLE_INVALID, VM, ref]")
        t.eq(rec["name_label"], "Async.VM.destroy", "its name_label is 'Async.VM.destroy'")
        a.task.destroy(task)
        vm = a.VM.create(harness.vm_record("to-destroy"))
        task = a.call("Async.VM.destroy", vm)
        rec = wait_task(a, task)
        t.eq(rec["status"], "success", "Async.VM.destroy(vm) succeeds")
        t.ok(rec["result"] in ("", "<value></value>"), "a void Async result is '' or <value></value>", repr(rec["result"]))
        t.fails(lambda: a.VM.get_record(vm), "HANDLE_INVALID", "…and the VM is gone")
        a.task.destroy(task)
        task = a.call("Async.VM.create", {"name_label": "bad", "memory_static_max": "lots"})
        rec = wait_task(a, task)
        t.ok(rec["status"] == "failure" and rec["error_info"][:1] == ["FIELD_TYPE_ERROR"],
             "Async.VM.create with a bad field → failure FIELD_TYPE_ERROR", rec["error_info"])
        a.task.destroy(task)
        t.fails(lambda: a.call("Async.VM.create"), "MESSAGE_PARAMETER_COUNT_MISMATCH",
                "Async with the wrong arity fails at once, without a task")

    with t.section("Async over JSON-RPC"):
        r, j = x.jsonrpc("Async.VM.create", [a.session, harness.vm_record("json-async")])
        task = j.get("result") if j else None
        t.ok(isinstance(task, str) and task.startswith("OpaqueRef:"), "Async.VM.create over JSON-RPC returns a task", repr(r))
        if task:
            rec = wait_task(a, task)
            t.ok(rec["status"] == "success" and RESULT_REF.match(rec["result"]),
                 "its result is still XML-RPC <value>…</value> text", harness.short(rec))
            a.task.destroy(task)

    with t.section("client-made tasks"):
        tk = a.task.create("[XO] upload", "desc")
        rec = a.task.get_record(tk)
        t.eq(rec["status"], "pending", "task.create makes a pending task")
        t.eq((rec["name_label"], rec["name_description"]), ("[XO] upload", "desc"), "with the label and description")
        t.ok("cancel" in rec["allowed_operations"], "a pending task allows cancel", rec["allowed_operations"])
        a.task.set_progress(tk, 0.5)
        t.eq(float(a.task.get_progress(tk)), 0.5, "task.set_progress(0.5)")
        t.eq(a.task.cancel(tk), "", "task.cancel returns ''")
        harness.wait_until(lambda: a.task.get_status(tk) in DONE, 30)
        rec = a.task.get_record(tk)
        t.eq(rec["status"], "cancelled", "a cancelled client task's status is cancelled")
        t.eq(rec["error_info"], ["TASK_CANCELLED", tk], "error_info is [TASK_CANCELLED, task]")
        t.fails(lambda: a.task.cancel(tk), "OPERATION_NOT_ALLOWED", "cancelling it again → OPERATION_NOT_ALLOWED")
        a.task.destroy(tk)
        t.ok(tk not in a.task.get_all(), "task.destroy removes it")

        tk = a.task.create("[XO] export", "")
        a.task.set_status(tk, "cancelled")
        t.eq(a.task.get_status(tk), "cancelled", "task.set_status(ref, 'cancelled') (XO before destroy)")
        a.task.destroy(tk)
        t.ok(tk not in a.task.get_all(), "…then task.destroy removes it")

        tk = a.task.create("pending-destroy", "")
        a.task.destroy(tk)
        gone = tk not in a.task.get_all()
        marked = not gone and a.task.get_current_operations(tk).get("task") == "destroy"
        t.ok(gone or marked, "task.destroy of a pending task removes it or marks it for destruction "
             "(current_operations task=destroy)")
        if marked:
            a.task.cancel(tk)
            ok = harness.wait_until(lambda: tk not in a.task.get_all() or a.task.get_status(tk) != "pending", 30)
            gone = tk not in a.task.get_all()
            t.ok(ok, "…and cancelling it settles it (%s)" % ("destroyed, as marked" if gone else
                                                               "kept as %s" % a.task.get_status(tk)))
            if not gone:
                a.task.destroy(tk)
                t.ok(tk not in a.task.get_all(), "…and a second task.destroy removes it")
        t.fails(lambda: a.task.cancel(BAD), "HANDLE_INVALID", "task.cancel(bad ref) → HANDLE_INVALID",
                params=["task", BAD])


if __name__ == "__main__":
    harness.run(main)
