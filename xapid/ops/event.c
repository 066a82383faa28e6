/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.from, event.inject, event.get_current_id and the legacy
 * event.register/unregister/next (WIRE.md §7).
 *
 * A call with nothing to report parks its reply (rpc_defer) and waits on
 * the store's generation with a timer for the timeout: no thread is held
 * while it waits, so thousands of clients can long-poll at once. A commit
 * wakes the waiter, which re-runs its query on the event workers.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "sessions.h"
#include "store.h"
#include "tasks.h"
#include "timers.h"
#include "util.h"
#include "xapid.h"

/* ---- subscriptions and tokens ------------------------------------------ */

typedef struct subs {
	bool all;                 /* "*" */
	bool cls[512];            /* whole classes */
	xv *objs;                 /* struct "ref" -> class index (as int) */
} subs;

static void subs_clear(subs *s)
{
	s->objs = xv_free(s->objs);
}

static xerr *subs_parse(const xv *classes, subs *s)
{
	memset(s, 0, sizeof(*s));
	s->objs = xv_struct();
	for (size_t i = 0; i < xv_len(classes); i++) {
		const char *c = xv_s(xv_array_get(classes, i));
		if (!c)
			continue;
		if (!strcmp(c, "*")) {
			s->all = true;
			continue;
		}
		const char *slash = strchr(c, '/');
		char *name = slash ? hx_strndup(c, (size_t)(slash - c)) : hx_strdup(c);
		int ci = api_find_class_ci(name);
		free(name);
		if (ci < 0 || ci >= 512) {
			subs_clear(s);
			return xerr_new("EVENT_SUBSCRIPTION_PARSE_FAILURE", c, NULL);
		}
		if (slash)
			xv_struct_set(s->objs, slash + 1, xv_int(ci));
		else
			s->cls[ci] = true;
	}
	return NULL;
}

static bool subs_match(const subs *s, int cls, const char *ref)
{
	if (!api_classes[cls].gen_events)
		return false;
	if (s->cls[cls])
		return true;
	/* Messages come only to those who ask for them by name. */
	if (s->all && cls != CLS_message)
		return true;
	xv *o = xv_struct_get(s->objs, ref);
	return o && o->u.i == cls;
}

static bool subs_class(const subs *s, int cls)
{
	if (!api_classes[cls].gen_events || !api_classes[cls].sql_create)
		return false;
	return s->cls[cls] || (s->all && cls != CLS_message);
}

static char *token_make(int64_t gen)
{
	return hx_asprintf("%020" PRId64 ",%020d", gen, 0);
}

static bool token_parse(const char *tok, int64_t *gen)
{
	if (!*tok) {
		*gen = 0;
		return true;
	}
	char *end;
	long long g = strtoll(tok, &end, 10);
	if (end == tok || g < 0)
		return false;
	if (*end == ',') {
		char *e2;
		(void)strtoll(end + 1, &e2, 10);
		if (e2 == end + 1 || *e2)
			return false;
	} else if (*end) {
		return false;
	}
	*gen = g;
	return true;
}

/* ---- collecting events --------------------------------------------------- */

struct collect {
	const subs *s;
	txn *t;
	xv *events;
	int64_t max_gen;
	bool legacy; /* event.next records */
	xerr *err;
};

static const char *const op_names[] = { "add", "mod", "del" };

static bool collect_one(void *arg, int cls, const char *ref, store_op op, int64_t gen)
{
	struct collect *c = arg;
	if (!subs_match(c->s, cls, ref))
		return true;
	xv *ev = xv_struct();
	char id[32];
	snprintf(id, sizeof(id), "%" PRId64, gen);
	if (c->legacy) {
		xv_struct_set(ev, "id", xv_int(gen));
		xv_struct_set(ev, "timestamp", xv_datetime(hx_now()));
	} else {
		xv_struct_set(ev, "id", xv_str(id));
		xv_struct_set(ev, "timestamp", xv_str("0.0"));
	}
	xv_struct_set(ev, "class", xv_str(api_classes[cls].lname));
	xv_struct_set(ev, "operation", xv_str(op_names[op]));
	xv_struct_set(ev, "ref", xv_str(ref));
	if (op != STORE_DEL) {
		xv *snap = NULL;
		xerr *e = store_get_record(c->t, cls, ref, &snap);
		if (e) {
			xerr_free(e);
		} else {
			if (c->legacy) {
				const char *u = xv_struct_str(snap, "uuid");
				xv_struct_set(ev, "obj_uuid", xv_str(u ? u : ""));
			}
			xv_struct_set(ev, "snapshot", snap);
		}
	} else if (c->legacy) {
		xv_struct_set(ev, "obj_uuid", xv_str(""));
	}
	xv_array_push(c->events, ev);
	if (gen > c->max_gen)
		c->max_gen = gen;
	return true;
}

static int64_t event_gen(const xv *ev)
{
	const xv *id = xv_struct_get(ev, "id");
	if (!id)
		return 0;
	return id->kind == XV_INT ? id->u.i : strtoll(xv_s(id) ? xv_s(id) : "0", NULL, 10);
}

static int by_gen(const void *a, const void *b)
{
	int64_t x = event_gen(*(xv *const *)a), y = event_gen(*(xv *const *)b);
	return x < y ? -1 : x > y;
}

/*
 * Object counts at a generation are the same for every caller, so the
 * waiters woken by one commit share them instead of each counting every
 * table again.
 */
static pthread_mutex_t counts_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t counts_gen = -1;
static int64_t counts_val[API_NCLASSES];
static bool counts_have[API_NCLASSES];

static int64_t count_at(txn *t, int64_t gen, int cls)
{
	pthread_mutex_lock(&counts_mu);
	if (counts_gen == gen && counts_have[cls]) {
		int64_t n = counts_val[cls];
		pthread_mutex_unlock(&counts_mu);
		return n;
	}
	pthread_mutex_unlock(&counts_mu);
	int64_t n = store_count(t, cls);
	pthread_mutex_lock(&counts_mu);
	if (gen > counts_gen) {
		counts_gen = gen;
		memset(counts_have, 0, sizeof(counts_have));
	}
	if (gen == counts_gen) {
		counts_val[cls] = n;
		counts_have[cls] = true;
	}
	pthread_mutex_unlock(&counts_mu);
	return n;
}

/*
 * Runs the query: events after since matching s. On success *events is an
 * array (maybe empty) and *token_gen the generation to resume from.
 */
static xerr *query(xapid *app, const subs *s, int64_t since, bool legacy, xv **events,
		   xv **counts, int64_t *token_gen)
{
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e)
		return e;
	/* The position this snapshot stands at: the next call resumes there. */
	int64_t g = store_txn_generation(t);
	struct collect c = { .s = s, .t = t, .events = xv_array(), .max_gen = g, .legacy = legacy };
	if (s->all || xv_len(s->objs)) {
		e = store_changes_since(t, -1, since, collect_one, &c);
	} else {
		/* Only the subscribed tables, then one order across them. */
		int n = 0;
		for (int i = 0; i < api_nclasses && !e; i++) {
			if (s->cls[i] && api_classes[i].sql_create) {
				e = store_changes_since(t, i, since, collect_one, &c);
				n++;
			}
		}
		if (n > 1 && c.events->u.arr.n > 1)
			qsort(c.events->u.arr.items, c.events->u.arr.n, sizeof(xv *), by_gen);
	}
	if (!e && counts) {
		*counts = xv_struct();
		for (int i = 0; i < api_nclasses; i++) {
			if (!subs_class(s, i))
				continue;
			xv_struct_set(*counts, api_classes[i].lname,
				      xv_i32((int32_t)count_at(t, g, i)));
		}
		/* Object subscriptions count their class too (XO compares task). */
		for (size_t i = 0; i < xv_len(s->objs); i++) {
			int ci = (int)s->objs->u.st.m[i].val->u.i;
			if (!xv_struct_get(*counts, api_classes[ci].lname))
				xv_struct_set(*counts, api_classes[ci].lname,
					      xv_i32((int32_t)count_at(t, g, ci)));
		}
	}
	store_rollback(t);
	if (e) {
		xv_free(c.events);
		if (counts)
			*counts = xv_free(*counts);
		return e;
	}
	*events = c.events;
	*token_gen = c.max_gen > since ? c.max_gen : since;
	return NULL;
}

/* ---- waiting --------------------------------------------------------------- */

enum { W_WAITING, W_RUNNING, W_DONE };

struct evwait {
	xapid *app;
	rpc_pending *pending;
	subs s;
	int64_t since;
	bool legacy;
	char *session_ref; /* legacy: advance the session's position */
	pthread_mutex_t mu;
	int state;
	bool timed_out;
	atomic_bool sw_fired; /* set by ev_wake without the lock (it may run inside store_wait) */
	store_waiter *sw;
	timer_id timer;
	atomic_int refs;
};

static struct workers *ev_workers;
static pthread_once_t ev_once = PTHREAD_ONCE_INIT;

static void ev_workers_init(void)
{
	ev_workers = workers_new(2);
}

static void evwait_unref(struct evwait *w)
{
	if (atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	subs_clear(&w->s);
	free(w->session_ref);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static xv *from_result(xv *events, xv *counts, int64_t gen)
{
	xv *r = xv_struct();
	xv_struct_set(r, "events", events);
	xv_struct_set(r, "valid_ref_counts", counts ? counts : xv_struct());
	xv_struct_set(r, "token", xv_str_own(token_make(gen)));
	return r;
}

/* Replies to a finished wait (no locks held). */
static void ev_reply(struct evwait *w, xv *events, xv *counts, int64_t gen, xerr *err)
{
	if (err) {
		xv_free(events);
		xv_free(counts);
		rpc_pending_complete(w->pending, NULL, err);
		return;
	}
	if (w->legacy) {
		sessions_event_advance(w->app, w->session_ref, gen);
		xv_free(counts);
		rpc_pending_complete(w->pending, events, NULL);
		return;
	}
	rpc_pending_complete(w->pending, from_result(events, counts, gen), NULL);
}

static void ev_wake(void *arg);

static void ev_run(void *arg)
{
	struct evwait *w = arg;
	pthread_mutex_lock(&w->mu);
	store_waiter *old = w->sw; /* its wake has run: that is why we are here */
	w->sw = NULL;
	if (w->state == W_DONE) {
		pthread_mutex_unlock(&w->mu);
		if (old)
			store_unwait(w->app->db, old);
		evwait_unref(w);
		return;
	}
	w->state = W_RUNNING;
	pthread_mutex_unlock(&w->mu);
	if (old)
		store_unwait(w->app->db, old);

	xv *events = NULL, *counts = NULL;
	int64_t gen = w->since;
	xerr *err = query(w->app, &w->s, w->since, w->legacy, &events, w->legacy ? NULL : &counts,
			  &gen);

	pthread_mutex_lock(&w->mu);
	if (err || xv_len(events) || w->timed_out) {
		w->state = W_DONE;
		pthread_mutex_unlock(&w->mu);
		if (timers_cancel(w->app->timers, w->timer))
			evwait_unref(w); /* the timer's reference */
		ev_reply(w, events, counts, gen, err);
		evwait_unref(w);
		return;
	}
	/* Nothing for us in that commit: wait for the next one. */
	xv_free(events);
	xv_free(counts);
	w->state = W_WAITING;
	w->since = gen;
	atomic_store(&w->sw_fired, false);
	w->sw = store_wait(w->app->db, gen, ev_wake, w); /* keeps our reference */
	pthread_mutex_unlock(&w->mu);
}

static void ev_wake(void *arg)
{
	struct evwait *w = arg;
	atomic_store(&w->sw_fired, true);
	workers_submit(ev_workers, ev_run, w);
}

static void ev_timeout(void *arg)
{
	struct evwait *w = arg;
	pthread_mutex_lock(&w->mu);
	if (w->state == W_RUNNING) {
		w->timed_out = true;
		pthread_mutex_unlock(&w->mu);
		evwait_unref(w);
		return;
	}
	if (w->state == W_DONE) {
		pthread_mutex_unlock(&w->mu);
		evwait_unref(w);
		return;
	}
	w->state = W_DONE;
	store_waiter *sw = w->sw;
	w->sw = NULL;
	pthread_mutex_unlock(&w->mu);
	if (sw)
		store_unwait(w->app->db, sw);
	if (!atomic_load(&w->sw_fired))
		evwait_unref(w); /* the store waiter's reference */

	/* Answer with the counts and the position as of now. */
	xv *events = NULL, *counts = NULL;
	int64_t gen = w->since;
	xerr *err = query(w->app, &w->s, w->since, w->legacy, &events, w->legacy ? NULL : &counts,
			  &gen);
	ev_reply(w, events, counts, gen, err);
	evwait_unref(w); /* the timer's reference */
}

/* Parks the call; takes s. */
static xerr *ev_park(call_ctx *ctx, subs *s, int64_t since, double timeout, bool legacy)
{
	pthread_once(&ev_once, ev_workers_init);
	struct evwait *w = hx_calloc(1, sizeof(*w));
	w->app = ctx->app;
	w->s = *s;
	w->since = since;
	w->legacy = legacy;
	w->session_ref = ctx->session_ref ? hx_strdup(ctx->session_ref) : NULL;
	pthread_mutex_init(&w->mu, NULL);
	atomic_init(&w->refs, 2);
	w->pending = rpc_defer(ctx);
	if (timeout < 0)
		timeout = 0;
	if (timeout > 86400.0)
		timeout = 86400.0;
	pthread_mutex_lock(&w->mu);
	w->timer = timers_add(ctx->app->timers, hx_mono_ms() + (int64_t)(timeout * 1000.0),
			      ev_timeout, w);
	w->sw = store_wait(ctx->app->db, since, ev_wake, w);
	pthread_mutex_unlock(&w->mu);
	return RPC_DEFERRED;
}

/* ---- the messages ---------------------------------------------------------- */

xerr *op_event_from(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	subs s;
	int64_t since;
	xerr *e = subs_parse(args[0], &s);
	if (e)
		return e;
	if (!token_parse(xv_s(args[1]), &since)) {
		subs_clear(&s);
		return xerr_new("EVENT_FROM_TOKEN_PARSE_FAILURE", xv_s(args[1]), NULL);
	}
	xv *events = NULL, *counts = NULL;
	int64_t gen;
	e = query(ctx->app, &s, since, false, &events, &counts, &gen);
	if (e) {
		subs_clear(&s);
		return e;
	}
	double timeout = args[2]->u.f;
	if (xv_len(events) || timeout <= 0) {
		subs_clear(&s);
		*result = from_result(events, counts, gen);
		return NULL;
	}
	xv_free(events);
	xv_free(counts);
	return ev_park(ctx, &s, gen, timeout, false);
}

xerr *op_event_inject(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	int cls = api_find_class_ci(xv_s(args[0]));
	if (cls < 0 || !api_classes[cls].sql_create)
		return xerr_new("EVENT_SUBSCRIPTION_PARSE_FAILURE", xv_s(args[0]), NULL);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	int64_t g = store_generation(ctx->app->db);
	if ((e = check_ref(t, cls, xv_s(args[1]))) || (e = store_touch(t, cls, xv_s(args[1])))) {
		store_rollback(t);
		return e;
	}
	if ((e = db_commit(t)))
		return e;
	*result = xv_str_own(token_make(g));
	return NULL;
}

xerr *op_event_get_current_id(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	*result = xv_int(store_generation(ctx->app->db));
	return NULL;
}

static xerr *check_class_list(const xv *classes)
{
	for (size_t i = 0; i < xv_len(classes); i++) {
		const char *c = xv_s(xv_array_get(classes, i));
		if (c && strcmp(c, "*") && api_find_class_ci(c) < 0)
			return xerr_new("EVENT_SUBSCRIPTION_PARSE_FAILURE", c, NULL);
	}
	return NULL;
}

xerr *op_event_register(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	xerr *e = check_class_list(args[0]);
	if (e)
		return e;
	return sessions_event_register(ctx->app, ctx->session_ref, args[0], true,
				       store_generation(ctx->app->db));
}

xerr *op_event_unregister(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	xerr *e = check_class_list(args[0]);
	if (e)
		return e;
	return sessions_event_register(ctx->app, ctx->session_ref, args[0], false,
				       store_generation(ctx->app->db));
}

xerr *op_event_next(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	xv *classes = NULL;
	int64_t since;
	if (!sessions_event_state(ctx->app, ctx->session_ref, &classes, &since))
		return xerr_new("SESSION_NOT_REGISTERED", ctx->session_ref, NULL);
	subs s;
	xerr *e = subs_parse(classes, &s);
	xv_free(classes);
	if (e)
		return e;
	xv *events = NULL;
	int64_t gen;
	e = query(ctx->app, &s, since, true, &events, NULL, &gen);
	if (e) {
		subs_clear(&s);
		return e;
	}
	if (xv_len(events)) {
		subs_clear(&s);
		sessions_event_advance(ctx->app, ctx->session_ref, gen);
		*result = events;
		return NULL;
	}
	xv_free(events);
	/* event.next blocks until something happens (bounded for safety). */
	return ev_park(ctx, &s, gen, 3600.0, true);
}
