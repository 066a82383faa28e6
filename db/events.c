/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generations, tombstones and waiters.
 *
 * Every write txn takes generation G = last + 1 at its first write, stamps
 * it on the rows it touches (_gen, and _cgen at creation), stores it in
 * _meta("generation") and, once COMMIT returned, publishes it (atomic)
 * and wakes the waiters whose generation it exceeds.
 *
 * Tombstones: store_destroy() of a class with gen_events records
 * (class, ref, gen, cgen) in _tombstone. The newest s->tomb_limit
 * tombstones are kept (100000 by default: a day of heavy churn at a
 * destroy per second; set with store_set_tombstone_limit). Older ones are
 * pruned by the committing write txn that went over the limit, and
 * _meta("tomb_horizon") keeps the largest generation pruned: a client
 * whose token is older than that may have missed a deletion and gets
 * EVENTS_LOST. Tombstone ids are contiguous (only the oldest are ever
 * deleted), so max(id) - min(id) + 1 is the count without a scan.
 *
 * Waiters: wake() runs on the committing thread after the store's locks
 * have been released (wait_lock is not held either), so it may take its
 * own locks and even begin txns. store_unwait() of a waiter whose wake()
 * is running blocks until wake() returned; called from inside wake()
 * itself it returns at once and the waiter is freed when wake() returns.
 * Either way wake() never runs after store_unwait() returned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int ev_class_by_name(const store *s, const char *name)
{
	int lo = 0, hi = s->sc.nclasses - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(s->sc.classes[s->by_name[mid]].name, name);
		if (c == 0)
			return s->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

xerr *ev_tomb_add(txn *t, int cls, const char *ref, int64_t cgen)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_mstmt(t->c, MS_TOMB_ADD, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, t->s->sc.classes[cls].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, st_txn_gen(t));
	sqlite3_bind_int64(st, 4, cgen);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = st_sqlerr(t->c->db, "tombstone");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!e)
		t->ndestroyed++;
	return e;
}

/* Drops the oldest tombstones beyond the limit; advances the horizon. */
xerr *ev_prune(txn *t)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_mstmt(t->c, MS_TOMB_RANGE, &e);
	if (!st)
		return e;
	int64_t lo = 0, hi = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		lo = sqlite3_column_int64(st, 0);
		hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (hi == 0 || hi - lo + 1 <= t->s->tomb_limit)
		return NULL;
	int64_t cut = hi - t->s->tomb_limit; /* ids <= cut go */
	st = st_mstmt(t->c, MS_TOMB_HMAX, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, cut);
	int64_t hmax = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	int64_t old = 0;
	st_meta_get_int(t->c, "tomb_horizon", &old);
	if (hmax > old && (e = st_meta_set_int(t->c, "tomb_horizon", hmax)))
		return e;
	st = st_mstmt(t->c, MS_TOMB_PRUNE, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, cut);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = st_sqlerr(t->c->db, "prune tombstones");
	sqlite3_reset(st);
	return e;
}

typedef struct change {
	int cls;
	store_op op;
	int64_t gen;
	size_t seq;
	char *ref;
} change;

typedef struct changes {
	change *v;
	size_t n, cap;
} changes;

static void changes_add(changes *c, int cls, store_op op, int64_t gen, const char *ref)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = hx_realloc(c->v, c->cap * sizeof(change));
	}
	c->v[c->n] = (change){ cls, op, gen, c->n, hx_strdup(ref ? ref : "") };
	c->n++;
}

static int change_cmp(const void *a, const void *b)
{
	const change *x = a, *y = b;
	if (x->gen != y->gen)
		return x->gen < y->gen ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

xerr *store_changes_since(txn *t, int cls, int64_t since, store_change_fn fn, void *arg)
{
	if (!t || !fn)
		return xerr_new("INTERNAL_ERROR", "store: changes_since: bad arguments", NULL);
	store *s = t->s;
	if (cls >= s->sc.nclasses || (cls >= 0 && !s->ci[cls].table))
		return st_bad_class(s, cls);
	int64_t horizon = 0;
	if (st_meta_get_int(t->c, "tomb_horizon", &horizon) == -EIO)
		return st_sqlerr(t->c->db, "changes_since");
	if (since < horizon)
		return xerr_new("EVENTS_LOST", NULL);

	changes ch = { 0 };
	xerr *e = NULL;
	for (int i = cls < 0 ? 0 : cls; i < (cls < 0 ? s->sc.nclasses : cls + 1) && !e; i++) {
		if (!s->ci[i].table || !s->ci[i].c->gen_events)
			continue;
		sqlite3_stmt *st = st_cstmt(t, i, CS_CHANGED, &e);
		if (!st)
			break;
		sqlite3_bind_int64(st, 1, since);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t g = sqlite3_column_int64(st, 1), cg = sqlite3_column_int64(st, 2);
			changes_add(&ch, i, cg > since ? STORE_ADD : STORE_MOD, g,
				    (const char *)sqlite3_column_text(st, 0));
		}
		if (rc != SQLITE_DONE)
			e = st_sqlerr(t->c->db, "changes_since");
		sqlite3_reset(st);
	}
	sqlite3_stmt *st = e ? NULL : st_mstmt(t->c, MS_TOMB_SINCE, &e);
	if (st) {
		sqlite3_bind_int64(st, 1, since);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int c = ev_class_by_name(s, (const char *)sqlite3_column_text(st, 0));
			if (c < 0 || (cls >= 0 && c != cls) || !s->sc.classes[c].gen_events)
				continue;
			changes_add(&ch, c, STORE_DEL, sqlite3_column_int64(st, 2),
				    (const char *)sqlite3_column_text(st, 1));
		}
		if (rc != SQLITE_DONE)
			e = st_sqlerr(t->c->db, "changes_since");
		sqlite3_reset(st);
	}
	if (!e && ch.n)
		qsort(ch.v, ch.n, sizeof(change), change_cmp);
	bool go = !e;
	for (size_t i = 0; i < ch.n; i++) {
		if (go)
			go = fn(arg, ch.v[i].cls, ch.v[i].ref, ch.v[i].op, ch.v[i].gen);
		free(ch.v[i].ref);
	}
	free(ch.v);
	return e;
}

/* ---- waiters ---- */

static void unlink_waiter(store *s, store_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		s->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

void ev_wake(store *s, int64_t gen)
{
	pthread_mutex_lock(&s->wait_lock);
	store_waiter *list = NULL, *w = s->waiters;
	while (w) {
		store_waiter *next = w->next;
		if (gen > w->gen) {
			unlink_waiter(s, w);
			w->state = W_WAKING;
			w->waker = pthread_self();
			w->next = list;
			list = w;
		}
		w = next;
	}
	pthread_mutex_unlock(&s->wait_lock);
	if (!list)
		return;
	/* Nobody else touches a W_WAKING waiter's links: unwait waits for us. */
	for (w = list; w; w = w->next)
		w->wake(w->arg);
	pthread_mutex_lock(&s->wait_lock);
	for (w = list; w;) {
		store_waiter *next = w->next;
		if (w->free_on_done)
			free(w);
		else
			w->state = W_DONE;
		w = next;
	}
	pthread_cond_broadcast(&s->wait_cond);
	pthread_mutex_unlock(&s->wait_lock);
}

store_waiter *store_wait(store *s, int64_t gen, void (*wake)(void *arg), void *arg)
{
	if (!s || !wake)
		return NULL;
	store_waiter *w = hx_calloc(1, sizeof(*w));
	w->gen = gen;
	w->wake = wake;
	w->arg = arg;
	pthread_mutex_lock(&s->wait_lock);
	/* Commits publish s->gen before taking wait_lock, so either we see the
	 * new generation here or the committer sees us in the list. */
	if (atomic_load(&s->gen) > gen) {
		w->state = W_DONE;
		pthread_mutex_unlock(&s->wait_lock);
		wake(arg);
		return w;
	}
	w->next = s->waiters;
	if (w->next)
		w->next->prev = w;
	s->waiters = w;
	pthread_mutex_unlock(&s->wait_lock);
	return w;
}

void store_unwait(store *s, store_waiter *w)
{
	if (!s || !w)
		return;
	pthread_mutex_lock(&s->wait_lock);
	if (w->state == W_WAITING) {
		unlink_waiter(s, w);
	} else if (w->state == W_WAKING) {
		if (pthread_equal(w->waker, pthread_self())) {
			/* Called from inside wake(): ev_wake frees it afterwards. */
			w->free_on_done = true;
			pthread_mutex_unlock(&s->wait_lock);
			return;
		}
		while (w->state == W_WAKING)
			pthread_cond_wait(&s->wait_cond, &s->wait_lock);
	}
	pthread_mutex_unlock(&s->wait_lock);
	free(w);
}

void ev_free_waiters(store *s)
{
	pthread_mutex_lock(&s->wait_lock);
	while (s->waiters) {
		store_waiter *w = s->waiters;
		unlink_waiter(s, w);
		free(w);
	}
	pthread_mutex_unlock(&s->wait_lock);
}
