/* SPDX-License-Identifier: Apache-2.0 */
#include "sessions.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "dispatch.h"
#include "store.h"
#include "strmap.h"
#include "util.h"
#include "xapid.h"

struct session {
	char *ref;
	char *user;
	char *subject_ref;
	char *originator;
	enum api_role role;
	bool local_superuser;
	bool is_local;
	int64_t created_ms;
	int64_t last_active_ms;
	/* legacy events */
	bool registered;
	xv *reg_classes;
	int64_t reg_gen;
};

struct sessions {
	pthread_mutex_t mu;
	strmap by_ref;
};

void session_view_clear(session_view *v)
{
	free(v->ref);
	free(v->user);
	free(v->subject_ref);
	memset(v, 0, sizeof(*v));
}

static void session_free(struct session *s)
{
	if (!s)
		return;
	free(s->ref);
	free(s->user);
	free(s->subject_ref);
	free(s->originator);
	xv_free(s->reg_classes);
	free(s);
}

struct sessions *sessions_new(void)
{
	struct sessions *s = hx_calloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

struct sessions *sessions_free(struct sessions *s)
{
	if (!s)
		return NULL;
	size_t i = 0;
	const char *k;
	void *v;
	while (strmap_next(&s->by_ref, &i, &k, &v))
		session_free(v);
	strmap_clear(&s->by_ref);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

static void destroy_records(xapid *app, xv *refs)
{
	if (!xv_len(refs))
		return;
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e) {
		xerr_free(e);
		return;
	}
	for (size_t i = 0; i < xv_len(refs); i++)
		xerr_free(store_destroy(t, CLS_session, xv_s(xv_array_get(refs, i))));
	xerr_free(store_commit(t));
}

/* Picks the least recently active session matching originator (NULL: any).
 * Called with the lock held. */
static struct session *oldest(struct sessions *ss, const char *originator)
{
	struct session *best = NULL;
	size_t i = 0;
	const char *k;
	void *v;
	while (strmap_next(&ss->by_ref, &i, &k, &v)) {
		struct session *s = v;
		if (originator && strcmp(s->originator, originator))
			continue;
		if (!best || s->last_active_ms < best->last_active_ms)
			best = s;
	}
	return best;
}

xerr *sessions_create(xapid *app, const session_params *p, char **ref_out)
{
	struct sessions *ss = app->sessions;
	const char *orig = p->originator ? p->originator : "";
	xv *evicted = xv_array();

	/* XAPI's rule: past the limit the oldest session goes, not the new one. */
	pthread_mutex_lock(&ss->mu);
	size_t same = 0;
	size_t i = 0;
	const char *k;
	void *v;
	while (strmap_next(&ss->by_ref, &i, &k, &v))
		same += !strcmp(((struct session *)v)->originator, orig);
	while (same >= app->cfg.session_limit_originator) {
		struct session *o = oldest(ss, orig);
		if (!o)
			break;
		strmap_del(&ss->by_ref, o->ref);
		xv_array_push(evicted, xv_str(o->ref));
		session_free(o);
		same--;
	}
	while (ss->by_ref.n >= app->cfg.session_limit_total) {
		struct session *o = oldest(ss, NULL);
		if (!o)
			break;
		strmap_del(&ss->by_ref, o->ref);
		xv_array_push(evicted, xv_str(o->ref));
		session_free(o);
	}
	pthread_mutex_unlock(&ss->mu);
	destroy_records(app, evicted);
	xv_free(evicted);

	/* The record first, so that a session visible in memory has one. */
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e)
		return e;
	xv *rec = xv_struct();
	xv_struct_set(rec, "this_host", xv_str(app->host_ref ? app->host_ref : HX_NULL_REF));
	xv_struct_set(rec, "last_active", xv_datetime(hx_now()));
	xv_struct_set(rec, "validation_time", xv_datetime(hx_now()));
	xv_struct_set(rec, "is_local_superuser", xv_bool(p->local_superuser));
	xv_struct_set(rec, "originator", xv_str(orig));
	xv_struct_set(rec, "auth_user_name", xv_str(p->user ? p->user : ""));
	if (p->subject_ref)
		xv_struct_set(rec, "subject", xv_str(p->subject_ref));
	char *ref = NULL;
	e = obj_create(t, CLS_session, rec, &ref);
	if (e) {
		store_rollback(t);
		return e;
	}
	if ((e = store_commit(t))) {
		free(ref);
		return e;
	}

	struct session *s = hx_calloc(1, sizeof(*s));
	s->ref = hx_strdup(ref);
	s->user = hx_strdup(p->user ? p->user : "");
	s->subject_ref = p->subject_ref ? hx_strdup(p->subject_ref) : NULL;
	s->originator = hx_strdup(orig);
	s->role = p->role;
	s->local_superuser = p->local_superuser;
	s->is_local = p->is_local;
	s->created_ms = s->last_active_ms = hx_mono_ms();
	pthread_mutex_lock(&ss->mu);
	strmap_put(&ss->by_ref, s->ref, s);
	pthread_mutex_unlock(&ss->mu);
	*ref_out = ref;
	return NULL;
}

xerr *sessions_check(xapid *app, const char *ref, session_view *out)
{
	struct sessions *ss = app->sessions;
	pthread_mutex_lock(&ss->mu);
	struct session *s = ref ? strmap_get(&ss->by_ref, ref) : NULL;
	if (!s) {
		pthread_mutex_unlock(&ss->mu);
		return xerr_new("SESSION_INVALID", ref ? ref : "", NULL);
	}
	s->last_active_ms = hx_mono_ms();
	out->ref = hx_strdup(s->ref);
	out->user = hx_strdup(s->user);
	out->subject_ref = s->subject_ref ? hx_strdup(s->subject_ref) : NULL;
	out->role = s->role;
	out->local_superuser = s->local_superuser;
	out->is_local = s->is_local;
	pthread_mutex_unlock(&ss->mu);
	return NULL;
}

bool sessions_destroy(xapid *app, const char *ref)
{
	struct sessions *ss = app->sessions;
	pthread_mutex_lock(&ss->mu);
	struct session *s = strmap_del(&ss->by_ref, ref);
	pthread_mutex_unlock(&ss->mu);
	if (!s)
		return false;
	session_free(s);
	xv *refs = xv_array();
	xv_array_push(refs, xv_str(ref));
	destroy_records(app, refs);
	xv_free(refs);
	return true;
}

int sessions_destroy_user(xapid *app, const char *user)
{
	struct sessions *ss = app->sessions;
	xv *refs = xv_array();
	pthread_mutex_lock(&ss->mu);
	size_t i = 0;
	const char *k;
	void *v;
	while (strmap_next(&ss->by_ref, &i, &k, &v)) {
		struct session *s = v;
		if (!strcmp(s->user, user) || (s->subject_ref && !strcmp(s->subject_ref, user)))
			xv_array_push(refs, xv_str(s->ref));
	}
	for (size_t j = 0; j < xv_len(refs); j++)
		session_free(strmap_del(&ss->by_ref, xv_s(xv_array_get(refs, j))));
	pthread_mutex_unlock(&ss->mu);
	int n = (int)xv_len(refs);
	destroy_records(app, refs);
	xv_free(refs);
	return n;
}

void sessions_reap(xapid *app)
{
	struct sessions *ss = app->sessions;
	int64_t now = hx_mono_ms();
	xv *refs = xv_array();
	pthread_mutex_lock(&ss->mu);
	size_t i = 0;
	const char *k;
	void *v;
	while (strmap_next(&ss->by_ref, &i, &k, &v)) {
		struct session *s = v;
		if (now - s->last_active_ms > app->cfg.session_idle_s * 1000)
			xv_array_push(refs, xv_str(s->ref));
	}
	for (size_t j = 0; j < xv_len(refs); j++)
		session_free(strmap_del(&ss->by_ref, xv_s(xv_array_get(refs, j))));
	pthread_mutex_unlock(&ss->mu);
	destroy_records(app, refs);
	xv_free(refs);
}

void sessions_set_role(xapid *app, const char *subject_ref, enum api_role role)
{
	struct sessions *ss = app->sessions;
	pthread_mutex_lock(&ss->mu);
	size_t i = 0;
	const char *k;
	void *v;
	while (strmap_next(&ss->by_ref, &i, &k, &v)) {
		struct session *s = v;
		if (s->subject_ref && !strcmp(s->subject_ref, subject_ref))
			s->role = role;
	}
	pthread_mutex_unlock(&ss->mu);
}

size_t sessions_count(xapid *app)
{
	pthread_mutex_lock(&app->sessions->mu);
	size_t n = app->sessions->by_ref.n;
	pthread_mutex_unlock(&app->sessions->mu);
	return n;
}

xerr *sessions_event_register(xapid *app, const char *ref, const xv *classes, bool add,
			      int64_t gen_now)
{
	struct sessions *ss = app->sessions;
	pthread_mutex_lock(&ss->mu);
	struct session *s = strmap_get(&ss->by_ref, ref);
	if (!s) {
		pthread_mutex_unlock(&ss->mu);
		return xerr_new("SESSION_INVALID", ref, NULL);
	}
	if (!s->reg_classes)
		s->reg_classes = xv_array();
	if (!s->registered) {
		s->registered = true;
		s->reg_gen = gen_now;
	}
	for (size_t i = 0; i < xv_len(classes); i++) {
		const xv *c = xv_array_get(classes, i);
		size_t j;
		for (j = 0; j < xv_len(s->reg_classes); j++)
			if (!strcasecmp(xv_s(xv_array_get(s->reg_classes, j)), xv_s(c)))
				break;
		if (add && j == xv_len(s->reg_classes))
			xv_array_push(s->reg_classes, xv_dup(c));
		else if (!add && j < xv_len(s->reg_classes))
			xv_free(xv_array_take(s->reg_classes, j));
	}
	pthread_mutex_unlock(&ss->mu);
	return NULL;
}

bool sessions_event_state(xapid *app, const char *ref, xv **classes, int64_t *gen)
{
	struct sessions *ss = app->sessions;
	pthread_mutex_lock(&ss->mu);
	struct session *s = strmap_get(&ss->by_ref, ref);
	bool ok = s && s->registered;
	if (ok) {
		*classes = xv_dup(s->reg_classes);
		*gen = s->reg_gen;
	}
	pthread_mutex_unlock(&ss->mu);
	return ok;
}

void sessions_event_advance(xapid *app, const char *ref, int64_t gen)
{
	struct sessions *ss = app->sessions;
	pthread_mutex_lock(&ss->mu);
	struct session *s = strmap_get(&ss->by_ref, ref);
	if (s && gen > s->reg_gen)
		s->reg_gen = gen;
	pthread_mutex_unlock(&ss->mu);
}
