/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine: the table of running domains (one per VM uuid), their
 * locks, the monitor thread that watches them, and the restart-time
 * re-attachment.
 *
 * Locking: the table mutex guards the table only; each domain has its
 * own mutex that serialises backend calls on it (QMP takes one client at
 * a time). A domain entry is reference-counted so that a lookup can
 * drop the table lock before taking the domain's.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_io.h"
#include "util.h"
#include "xapid.h"
#include "xenops.h"

#define MONITOR_PERIOD_MS 500

struct entry {
	char uuid[40];
	xo_domain *d; /* NULL once destroyed or forgotten */
	pthread_mutex_t lock;
	int refs;
	bool in_table;
	struct entry *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t monitor_cond = PTHREAD_COND_INITIALIZER;
static struct entry *table;
static pthread_t monitor_thread;
static bool monitor_running, monitor_stop;
static char *vms_dir; /* <state>/vms */

const xo_backend *xenops_backend(void)
{
	return &xo_qemu_backend;
}

char *xenops_vm_dir(struct xapid *app, const char *uuid)
{
	return hx_asprintf("%s/vms/%s", app->cfg.state_dir, uuid);
}

static void entry_put_locked(struct entry *en)
{
	if (--en->refs > 0)
		return;
	pthread_mutex_destroy(&en->lock);
	free(en);
}

static void entry_put(struct entry *en)
{
	pthread_mutex_lock(&table_lock);
	entry_put_locked(en);
	pthread_mutex_unlock(&table_lock);
}

/* The entry of uuid with a reference taken, or NULL. */
static struct entry *entry_get(const char *uuid)
{
	pthread_mutex_lock(&table_lock);
	struct entry *en = table;
	while (en && strcmp(en->uuid, uuid))
		en = en->next;
	if (en)
		en->refs++;
	pthread_mutex_unlock(&table_lock);
	return en;
}

/* Takes en out of the table; true when it was there (its table
 * reference is then the caller's to drop). */
static bool unlink_only(struct entry *en)
{
	for (struct entry **p = &table; *p; p = &(*p)->next)
		if (*p == en) {
			*p = en->next;
			en->in_table = false;
			return true;
		}
	return false;
}

static void unlink_locked(struct entry *en)
{
	if (unlink_only(en))
		entry_put_locked(en);
}

void xenops_add(const char *uuid, xo_domain *d)
{
	struct entry *en = hx_calloc(1, sizeof(*en));
	snprintf(en->uuid, sizeof(en->uuid), "%s", uuid);
	en->d = d;
	en->refs = 1;
	en->in_table = true;
	pthread_mutex_init(&en->lock, NULL);
	pthread_mutex_lock(&table_lock);
	/* A stale entry of the same VM goes (its domain is gone). */
	for (struct entry *o = table; o; o = o->next)
		if (!strcmp(o->uuid, uuid)) {
			unlink_locked(o);
			break;
		}
	en->next = table;
	table = en;
	pthread_mutex_unlock(&table_lock);
	if (vms_dir) { /* no-op when qemu_create already attached it */
		char *dir = hx_asprintf("%s/%s", vms_dir, uuid);
		conio_serial_attach(uuid, dir);
		free(dir);
	}
}

xerr *xenops_with(const char *uuid, xerr *(*fn)(xo_domain *d, void *arg), void *arg)
{
	struct entry *en = entry_get(uuid);
	if (!en)
		return xerr_new("INTERNAL_ERROR", "the VM has no running domain", NULL);
	pthread_mutex_lock(&en->lock);
	xerr *e = en->d ? fn(en->d, arg) :
			  xerr_new("INTERNAL_ERROR", "the VM has no running domain", NULL);
	pthread_mutex_unlock(&en->lock);
	entry_put(en);
	return e;
}

static void drop(const char *uuid, bool destroy)
{
	conio_serial_detach(uuid);
	struct entry *en = entry_get(uuid);
	if (!en)
		return;
	pthread_mutex_lock(&en->lock);
	xo_domain *d = en->d;
	en->d = NULL;
	if (d) {
		if (destroy)
			xenops_backend()->destroy(d);
		else
			xenops_backend()->release(d);
	}
	pthread_mutex_unlock(&en->lock);
	pthread_mutex_lock(&table_lock);
	/* Our lookup reference and, if still listed, the table's. */
	en->refs -= unlink_only(en) ? 1 : 0;
	entry_put_locked(en);
	pthread_mutex_unlock(&table_lock);
}

static xerr *stats_fn(xo_domain *d, void *arg)
{
	const xo_backend *b = xenops_backend();
	if (!b->stats)
		return xerr_new("NOT_IMPLEMENTED", "stats", NULL);
	return b->stats(d, arg);
}

xerr *xenops_stats(const char *uuid, xo_stats *out)
{
	memset(out, 0, sizeof(*out));
	/* Never wait behind a long operation (a suspend holds the lock for
	 * minutes): the sampler just misses this VM's sample. */
	struct entry *en = entry_get(uuid);
	if (!en)
		return xerr_new("INTERNAL_ERROR", "the VM has no running domain", NULL);
	if (pthread_mutex_trylock(&en->lock)) {
		entry_put(en);
		return xerr_new("INTERNAL_ERROR", "the VM's domain is busy", NULL);
	}
	xerr *e = en->d ? stats_fn(en->d, out) :
			  xerr_new("INTERNAL_ERROR", "the VM has no running domain", NULL);
	pthread_mutex_unlock(&en->lock);
	entry_put(en);
	return e;
}

void xenops_destroy(const char *uuid)
{
	drop(uuid, true);
}

void xenops_forget(const char *uuid)
{
	drop(uuid, false);
}

xo_state xenops_state(const char *uuid)
{
	struct entry *en = entry_get(uuid);
	if (!en)
		return XO_GONE;
	pthread_mutex_lock(&en->lock);
	xo_state st = en->d ? xenops_backend()->state(en->d) : XO_GONE;
	pthread_mutex_unlock(&en->lock);
	entry_put(en);
	return st;
}

xo_state xenops_watch(const char *uuid)
{
	const xo_backend *b = xenops_backend();
	struct entry *en = entry_get(uuid);
	if (!en)
		return XO_GONE;
	/* A long operation holds the lock: it reports what it does itself. */
	if (pthread_mutex_trylock(&en->lock)) {
		entry_put(en);
		return XO_UNKNOWN;
	}
	xo_state st = !en->d ? XO_GONE : b->watch ? b->watch(en->d) : b->state(en->d);
	pthread_mutex_unlock(&en->lock);
	entry_put(en);
	return st;
}

bool xenops_wait_off(const char *uuid, int64_t timeout_ms)
{
	int64_t deadline = hx_mono_ms() + timeout_ms;
	for (;;) {
		xo_state st = xenops_state(uuid);
		if (st == XO_SHUTDOWN || st == XO_REBOOTED || st == XO_GONE)
			return true;
		if (hx_mono_ms() > deadline)
			return false;
		usleep(100 * 1000);
	}
}

char **xenops_uuids(size_t *n)
{
	pthread_mutex_lock(&table_lock);
	size_t k = 0;
	for (struct entry *en = table; en; en = en->next)
		k++;
	char **v = hx_calloc(k + 1, sizeof(char *));
	k = 0;
	for (struct entry *en = table; en; en = en->next)
		v[k++] = hx_strdup(en->uuid);
	pthread_mutex_unlock(&table_lock);
	*n = k;
	return v;
}

/* ---- monitor ---------------------------------------------------------------- */

/* Looks at every domain; reports guests that powered off, crashed or
 * vanished to ops/vm.c (which decides under the VM's operation rules). */
static void monitor_pass(struct xapid *app)
{
	size_t n = 0, cap = 16;
	char (*uuids)[40] = hx_malloc(cap * sizeof(*uuids));
	pthread_mutex_lock(&table_lock);
	for (struct entry *en = table; en; en = en->next) {
		if (n == cap)
			uuids = hx_realloc(uuids, (cap *= 2) * sizeof(*uuids));
		memcpy(uuids[n++], en->uuid, sizeof(en->uuid));
	}
	pthread_mutex_unlock(&table_lock);
	for (size_t i = 0; i < n && !monitor_stop; i++) {
		xo_state st = xenops_watch(uuids[i]);
		if (st == XO_SHUTDOWN || st == XO_REBOOTED || st == XO_CRASHED || st == XO_GONE)
			vm_guest_event(app, uuids[i], st);
	}
	free(uuids);
}

static void *monitor_main(void *arg)
{
	struct xapid *app = arg;
	pthread_mutex_lock(&table_lock);
	while (!monitor_stop) {
		pthread_mutex_unlock(&table_lock);
		monitor_pass(app);
		pthread_mutex_lock(&table_lock);
		if (monitor_stop)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += MONITOR_PERIOD_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&monitor_cond, &table_lock, &ts);
	}
	pthread_mutex_unlock(&table_lock);
	return NULL;
}

void xenops_init(struct xapid *app)
{
	accel_init(app);
	char *vms = hx_asprintf("%s/vms", app->cfg.state_dir);
	mkdir(vms, 0700);
	free(vms_dir);
	vms_dir = hx_strdup(vms);
	/* Re-attach to the domains an earlier xapid left running. */
	DIR *dir = opendir(vms);
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		if (!hx_is_uuid(de->d_name))
			continue;
		char *d = hx_asprintf("%s/%s", vms, de->d_name);
		xo_domain *dom = NULL;
		xerr *e = xenops_backend()->attach(d, &dom);
		xerr_free(e);
		if (dom)
			xenops_add(de->d_name, dom);
		free(d);
	}
	if (dir)
		closedir(dir);
	free(vms);
	vm_reconcile(app);
	monitor_stop = false;
	if (!pthread_create(&monitor_thread, NULL, monitor_main, app))
		monitor_running = true;
	sampler_start(app);
}

void xenops_shutdown(struct xapid *app)
{
	(void)app;
	sampler_stop();
	accel_shutdown();
	pthread_mutex_lock(&table_lock);
	monitor_stop = true;
	pthread_cond_broadcast(&monitor_cond);
	pthread_mutex_unlock(&table_lock);
	if (monitor_running)
		pthread_join(monitor_thread, NULL);
	monitor_running = false;
	conio_stop();
	/* Domains keep running; only the handles go. */
	pthread_mutex_lock(&table_lock);
	while (table) {
		struct entry *en = table;
		table = en->next;
		if (en->d)
			xenops_backend()->release(en->d);
		en->d = NULL;
		en->in_table = false;
		entry_put_locked(en);
	}
	pthread_mutex_unlock(&table_lock);
}
