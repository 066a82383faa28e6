/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tasks: the records clients watch, and the worker pool that runs
 * Async.* calls. A task's result is the XML-RPC "<value>…</value>" text of
 * the call's result (WIRE.md §6), even for JSON-RPC clients.
 */
#ifndef HALYARD_API_TASKS_H
#define HALYARD_API_TASKS_H

#include <stdbool.h>

#include "dispatch.h"

struct workers;

/* A fixed pool of threads running queued jobs in FIFO order. */
struct workers *workers_new(unsigned n);
void workers_submit(struct workers *w, void (*fn)(void *), void *arg);
/* Finishes queued jobs, joins, frees. Accepts NULL. */
struct workers *workers_free(struct workers *w);

/* Async.X: creates the task, queues the call, returns the task ref in
 * *task_ref. Takes args (nargs values and the array). */
xerr *tasks_submit_async(call_ctx *ctx, const char *method, xv **args, int nargs, xv **task_ref);

/* Creates a pending task record (task.create and HTTP handlers). */
xerr *tasks_create(struct xapid *app, const char *label, const char *desc,
		   const char *session_ref, char **ref_out);
/* Marks a task finished: success with result (may be NULL = void) or
 * failure with err. Not for a task already finished. */
xerr *tasks_finish(struct xapid *app, const char *task_ref, const xv *result, const xerr *err);
xerr *tasks_set_progress(struct xapid *app, const char *task_ref, double progress);
/* Requests cancellation: a queued task fails with TASK_CANCELLED at once;
 * a running one when its handler next checks tasks_cancelled(). */
xerr *tasks_cancel(struct xapid *app, const char *task_ref);
bool tasks_cancelled(struct xapid *app, const char *task_ref);
/*
 * At start, before serving: every task still pending or cancelling was
 * interrupted by the end of the previous xapid (a crash, kill -9, power
 * loss). It ends as failure with INTERNAL_ERROR [TASK_RESTART_TEXT] and
 * stays visible until tasks_gc collects it like any finished task.
 * Returns how many tasks it failed.
 */
#define TASK_RESTART_TEXT "xapid restarted while the task was running"
int tasks_recover(struct xapid *app);
/* Destroys finished tasks older than the TTLs (and pending ones past theirs). */
void tasks_gc(struct xapid *app);
void tasks_shutdown(struct xapid *app);

#endif
