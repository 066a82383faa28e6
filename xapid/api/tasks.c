/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tasks and the worker pool that runs Async.* calls.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "strmap.h"
#include "tasks.h"
#include "util.h"
#include "xapid.h"
#include "xmlrpc.h"

/* ---- the worker pool ---------------------------------------------------- */

struct job {
	void (*fn)(void *);
	void *arg;
	struct job *next;
};

struct workers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	bool stop;
	unsigned n;
	pthread_t *threads;
};

static void *worker_main(void *p)
{
	struct workers *w = p;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		struct job *j = w->head;
		if (!j) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		j->fn(j->arg);
		free(j);
	}
}

struct workers *workers_new(unsigned n)
{
	struct workers *w = hx_calloc(1, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->n = n ? n : 1;
	w->threads = hx_calloc(w->n, sizeof(pthread_t));
	for (unsigned i = 0; i < w->n; i++)
		pthread_create(&w->threads[i], NULL, worker_main, w);
	return w;
}

void workers_submit(struct workers *w, void (*fn)(void *), void *arg)
{
	struct job *j = hx_calloc(1, sizeof(*j));
	j->fn = fn;
	j->arg = arg;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

struct workers *workers_free(struct workers *w)
{
	if (!w)
		return NULL;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->n; i++)
		pthread_join(w->threads[i], NULL);
	free(w->threads);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	return NULL;
}

/* ---- cancellation state of live tasks ---------------------------------- */

static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static strmap live; /* task ref -> (void *)1 running, (void *)2 cancel requested */

void tasks_shutdown(xapid *app)
{
	(void)app;
	pthread_mutex_lock(&live_mu);
	strmap_clear(&live);
	pthread_mutex_unlock(&live_mu);
}

bool tasks_cancelled(xapid *app, const char *task_ref)
{
	(void)app;
	pthread_mutex_lock(&live_mu);
	bool c = strmap_get(&live, task_ref) == (void *)2;
	pthread_mutex_unlock(&live_mu);
	return c;
}

/* ---- task records ------------------------------------------------------ */

xerr *tasks_create(xapid *app, const char *label, const char *desc, const char *session_ref,
		   char **ref_out)
{
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e)
		return e;
	xv *rec = xv_struct();
	xv_struct_set(rec, "name_label", xv_str(label));
	xv_struct_set(rec, "name_description", xv_str(desc ? desc : ""));
	xv_struct_set(rec, "created", xv_datetime(hx_now()));
	xv_struct_set(rec, "status", xv_str("pending"));
	xv_struct_set(rec, "progress", xv_float(0.0));
	xv_struct_set(rec, "resident_on", xv_str(app->host_ref ? app->host_ref : HX_NULL_REF));
	xv *ops = xv_array();
	xv_array_push(ops, xv_str("cancel"));
	xv_struct_set(rec, "allowed_operations", ops);
	if (session_ref && store_exists(t, CLS_session, session_ref))
		xv_struct_set(rec, "session", xv_str(session_ref));
	e = obj_create(t, CLS_task, rec, ref_out);
	if (e) {
		store_rollback(t);
		return e;
	}
	e = store_commit(t);
	if (e) {
		free(*ref_out);
		*ref_out = NULL;
	}
	return e;
}

xerr *tasks_finish(xapid *app, const char *task_ref, const xv *result, const xerr *err)
{
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_task, task_ref)))
		goto fail;
	char *st = obj_get_str(t, CLS_task, task_ref, "status");
	bool open = !strcmp(st, "pending") || !strcmp(st, "cancelling");
	free(st);
	if (!open) {
		store_rollback(t);
		return NULL; /* already settled (e.g. cancelled) */
	}
	/* task.destroy on a running task asks for it to go when it ends. */
	xv *cur = obj_get(t, CLS_task, task_ref, "current_operations");
	bool doomed = false;
	for (size_t i = 0; cur && i < cur->u.st.n; i++)
		doomed |= cur->u.st.m[i].val->kind == XV_STRING &&
			  !strcmp(cur->u.st.m[i].val->u.str.s, "destroy");
	xv_free(cur);
	if (doomed) {
		if ((e = store_destroy(t, CLS_task, task_ref)))
			goto fail;
		return store_commit(t);
	}
	if (err) {
		bool cancelled = !strcmp(err->code, "TASK_CANCELLED");
		e = obj_set(t, CLS_task, task_ref, "status", xv_str(cancelled ? "cancelled" : "failure"));
		if (!e)
			e = obj_set(t, CLS_task, task_ref, "error_info", xerr_to_xv(err));
	} else {
		char *xml = result ? xmlrpc_value_string(result) : hx_strdup("<value></value>");
		e = obj_set(t, CLS_task, task_ref, "status", xv_str("success"));
		if (!e)
			e = obj_set(t, CLS_task, task_ref, "result", xv_str_own(xml));
		else
			free(xml);
	}
	if (!e)
		e = obj_set(t, CLS_task, task_ref, "progress", xv_float(1.0));
	if (!e)
		e = obj_set(t, CLS_task, task_ref, "finished", xv_datetime(hx_now()));
	if (!e)
		e = obj_set(t, CLS_task, task_ref, "allowed_operations", xv_array());
	if (e)
		goto fail;
	return store_commit(t);
fail:
	store_rollback(t);
	return e;
}

xerr *tasks_set_progress(xapid *app, const char *task_ref, double progress)
{
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e)
		return e;
	if (!(e = check_ref(t, CLS_task, task_ref)))
		e = obj_set(t, CLS_task, task_ref, "progress", xv_float(progress));
	if (e) {
		store_rollback(t);
		return e;
	}
	return store_commit(t);
}

xerr *tasks_cancel(xapid *app, const char *task_ref)
{
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e)
		return e;
	e = check_ref(t, CLS_task, task_ref);
	char *st = e ? NULL : obj_get_str(t, CLS_task, task_ref, "status");
	store_rollback(t);
	if (e)
		return e;
	bool pending = !strcmp(st, "pending");
	free(st);
	if (!pending)
		return xerr_new("OPERATION_NOT_ALLOWED", "The task has already completed", NULL);
	pthread_mutex_lock(&live_mu);
	bool running = strmap_get(&live, task_ref) != NULL;
	if (running)
		strmap_put(&live, task_ref, (void *)2);
	pthread_mutex_unlock(&live_mu);
	if (running) {
		/* The worker finishes it as cancelled when the handler returns. */
		if ((e = store_begin(app->db, true, &t)))
			return e;
		e = obj_set(t, CLS_task, task_ref, "status", xv_str("cancelling"));
		if (e) {
			store_rollback(t);
			return e;
		}
		return store_commit(t);
	}
	/* Queued-but-not-started or client-made tasks end now. */
	xerr *c = xerr_new("TASK_CANCELLED", task_ref, NULL);
	e = tasks_finish(app, task_ref, NULL, c);
	xerr_free(c);
	return e;
}

int tasks_recover(xapid *app)
{
	txn *t;
	xv *all = NULL;
	xerr *e = store_begin(app->db, false, &t);
	if (!e)
		e = store_get_all_records(t, CLS_task, &all);
	store_rollback(t);
	if (e) {
		fprintf(stderr, "xapid: interrupted tasks: %s\n", e->code);
		xerr_free(e);
		return 0;
	}
	/* XAPI's master destroys such tasks at start (a waiting client then
	 * sees HANDLE_INVALID); the task's caller is owed an outcome, so here
	 * it fails with INTERNAL_ERROR, the code XAPI gives an operation that
	 * died without an error of its own. TASK_CANCELLED would say somebody
	 * cancelled it (status cancelled), which nobody did. */
	xerr *why = xerr_new("INTERNAL_ERROR", TASK_RESTART_TEXT, NULL);
	int n = 0;
	for (size_t i = 0; i < all->u.st.n; i++) {
		const char *st = xv_struct_str(all->u.st.m[i].val, "status");
		if (!st || (strcmp(st, "pending") && strcmp(st, "cancelling")))
			continue;
		const char *ref = all->u.st.m[i].key;
		e = tasks_finish(app, ref, NULL, why);
		if (e) {
			fprintf(stderr, "xapid: task %s: cannot fail it: %s\n", ref, e->code);
			xerr_free(e);
			continue;
		}
		n++;
	}
	xerr_free(why);
	xv_free(all);
	if (n)
		fprintf(stderr, "xapid: %d task(s) interrupted by the last stop ended as failure\n", n);
	return n;
}

/* ---- Async.* ----------------------------------------------------------- */

struct async_job {
	xapid *app;
	const api_msg *msg;
	char *task_ref;
	char *session_ref, *user, *subject_ref;
	enum api_role role;
	bool local_superuser;
	rpc_origin origin;
	char *peer_addr, *originator;
	xv **args;
	int nargs;
};

static void async_run(void *p)
{
	struct async_job *j = p;
	xv *result = NULL;
	xerr *err = NULL;

	pthread_mutex_lock(&live_mu);
	bool cancelled = strmap_get(&live, j->task_ref) == (void *)2;
	pthread_mutex_unlock(&live_mu);

	if (!cancelled) {
		call_ctx ctx = {
			.app = j->app,
			.msg = j->msg,
			.origin = &j->origin,
			.session_ref = j->session_ref,
			.role = j->role,
			.local_superuser = j->local_superuser,
			.user_name = j->user,
			.subject_ref = j->subject_ref,
			.task_ref = j->task_ref,
		};
		err = dispatch_invoke(&ctx, j->args, &result);
		if (err == RPC_DEFERRED)
			err = xerr_new("INTERNAL_ERROR", "deferred reply in a task", NULL);
		pthread_mutex_lock(&live_mu);
		cancelled = strmap_get(&live, j->task_ref) == (void *)2;
		pthread_mutex_unlock(&live_mu);
	}
	if (cancelled && !err)
		err = xerr_new("TASK_CANCELLED", j->task_ref, NULL);
	xerr *e = tasks_finish(j->app, j->task_ref, result, err);
	if (e) {
		fprintf(stderr, "xapid: task %s: cannot record its end: %s\n", j->task_ref, e->code);
		xerr_free(e);
	}
	pthread_mutex_lock(&live_mu);
	strmap_del(&live, j->task_ref);
	pthread_mutex_unlock(&live_mu);

	xv_free(result);
	xerr_free(err);
	for (int i = 0; i < j->nargs; i++)
		xv_free(j->args[i]);
	free(j->args);
	free(j->task_ref);
	free(j->session_ref);
	free(j->user);
	free(j->subject_ref);
	free(j->peer_addr);
	free(j->originator);
	free(j);
}

xerr *tasks_submit_async(call_ctx *ctx, const char *method, xv **args, int nargs, xv **task_ref)
{
	char *label = hx_asprintf("Async.%s", ctx->msg->wire_name);
	char *ref = NULL;
	xerr *e = tasks_create(ctx->app, label, "", ctx->session_ref, &ref);
	free(label);
	(void)method;
	if (e) {
		for (int i = 0; i < nargs; i++)
			xv_free(args[i]);
		free(args);
		return e;
	}
	struct async_job *j = hx_calloc(1, sizeof(*j));
	j->app = ctx->app;
	j->msg = ctx->msg;
	j->task_ref = hx_strdup(ref);
	j->session_ref = ctx->session_ref ? hx_strdup(ctx->session_ref) : NULL;
	j->user = ctx->user_name ? hx_strdup(ctx->user_name) : NULL;
	j->subject_ref = ctx->subject_ref ? hx_strdup(ctx->subject_ref) : NULL;
	j->role = ctx->role;
	j->local_superuser = ctx->local_superuser;
	if (ctx->origin) {
		j->origin = *ctx->origin;
		j->peer_addr = ctx->origin->peer_addr ? hx_strdup(ctx->origin->peer_addr) : NULL;
		j->originator = ctx->origin->originator ? hx_strdup(ctx->origin->originator) : NULL;
		j->origin.peer_addr = j->peer_addr;
		j->origin.originator = j->originator;
	}
	j->args = args;
	j->nargs = nargs;
	pthread_mutex_lock(&live_mu);
	strmap_put(&live, ref, (void *)1);
	pthread_mutex_unlock(&live_mu);
	workers_submit(ctx->app->workers, async_run, j);
	*task_ref = xv_str_own(ref);
	return NULL;
}

/* ---- expiry ------------------------------------------------------------ */

void tasks_gc(xapid *app)
{
	txn *t;
	xv *all = NULL;
	xerr *e = store_begin(app->db, false, &t);
	if (!e)
		e = store_get_all_records(t, CLS_task, &all);
	store_rollback(t);
	if (e) {
		xerr_free(e);
		return;
	}
	int64_t now = hx_now();
	xv *doomed = xv_array();
	for (size_t i = 0; i < all->u.st.n; i++) {
		xv *r = all->u.st.m[i].val;
		const char *st = xv_struct_str(r, "status");
		xv *created = xv_struct_get(r, "created");
		xv *finished = xv_struct_get(r, "finished");
		bool pending = st && (!strcmp(st, "pending") || !strcmp(st, "cancelling"));
		int64_t since = pending ? (created ? created->u.dt : now) :
					  (finished ? finished->u.dt : now);
		int64_t ttl = pending ? app->cfg.task_pending_ttl_s : app->cfg.task_done_ttl_s;
		if (now - since > ttl)
			xv_array_push(doomed, xv_str(all->u.st.m[i].key));
	}
	xv_free(all);
	if (xv_len(doomed)) {
		e = store_begin(app->db, true, &t);
		if (!e) {
			for (size_t i = 0; i < xv_len(doomed); i++)
				xerr_free(store_destroy(t, CLS_task, xv_s(xv_array_get(doomed, i))));
			e = store_commit(t);
		}
		xerr_free(e);
	}
	xv_free(doomed);
}
