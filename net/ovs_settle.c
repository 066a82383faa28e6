/* SPDX-License-Identifier: Apache-2.0 */
/* The ovs backend's settler (see ovs_settle.h). */
#include "ovs_settle.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netback.h"
#include "ovsdb.h"

#define WAIT_MS 5000

typedef struct pending {
	int64_t cfg;
	char *dev;
} pending;

struct ovs_settler {
	ovsdb *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	pending *v;
	size_t n, cap;
	/* the restart watch (ovs_settler_watch) */
	char *pidfile;
	char seen[32];
	int (*restarted)(void *);
	void *arg;
	struct timespec last_check;
};

json_object *ovs_wait_cfg_op(int64_t cfg, int timeout_ms)
{
	json_object *w = json_object_new_object();
	json_object_object_add(w, "op", json_object_new_string("wait"));
	json_object_object_add(w, "table", json_object_new_string("Open_vSwitch"));
	json_object_object_add(w, "timeout", json_object_new_int(timeout_ms));
	json_object *where = json_object_new_array(), *c = json_object_new_array();
	json_object_array_add(c, json_object_new_string("cur_cfg"));
	json_object_array_add(c, json_object_new_string(">="));
	json_object_array_add(c, json_object_new_int64(cfg));
	json_object_array_add(where, c);
	json_object_object_add(w, "where", where);
	json_object_object_add(w, "columns", json_object_new_array());
	json_object_object_add(w, "until", json_object_new_string("=="));
	json_object *rows = json_object_new_array();
	json_object_array_add(rows, json_object_new_object());
	json_object_object_add(w, "rows", rows);
	return w;
}

/* The pid in the file (first line, at most 31 characters) in buf, ""
 * when there is none. */
static void read_pid(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

static struct timespec after_ms(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

/*
 * Once a second: a new pid in the pid file is a new ovs-vswitchd (with
 * empty OpenFlow tables); the callback puts the rules back, and is called
 * again a second later until it succeeds. Called and returns with s->lock.
 */
static void check_restart(ovs_settler *s)
{
	if (!s->restarted)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - s->last_check.tv_sec < 1)
		return;
	s->last_check = now;
	char pid[sizeof(s->seen)];
	read_pid(s->pidfile, pid, sizeof(pid));
	/* no file (stopped, or not written yet): wait for one */
	if (!pid[0] || !strcmp(pid, s->seen))
		return;
	pthread_mutex_unlock(&s->lock);
	int r = s->restarted(s->arg);
	pthread_mutex_lock(&s->lock);
	if (!r)
		memcpy(s->seen, pid, sizeof(pid));
}

static void *run(void *arg)
{
	ovs_settler *s = arg;
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		check_restart(s);
		if (s->stop)
			break;
		if (!s->n) {
			if (s->restarted) {
				struct timespec ts = after_ms(1000);
				pthread_cond_timedwait(&s->cond, &s->lock, &ts);
			} else {
				pthread_cond_wait(&s->cond, &s->lock);
			}
			continue;
		}
		int64_t target = 0;
		for (size_t i = 0; i < s->n; i++)
			if (s->v[i].cfg > target)
				target = s->v[i].cfg;
		pthread_mutex_unlock(&s->lock);
		json_object *ops = json_object_new_array();
		json_object_array_add(ops, ovs_wait_cfg_op(target, WAIT_MS));
		char *err = NULL;
		int r = ovsdb_transact(s->db, ops, NULL, &err);
		free(err);
		pthread_mutex_lock(&s->lock);
		if (r) {
			/* ovs-vswitchd is slow or gone: try again a little later. */
			struct timespec ts = after_ms(200);
			if (!s->stop)
				pthread_cond_timedwait(&s->cond, &s->lock, &ts);
			continue;
		}
		size_t k = 0;
		for (size_t i = 0; i < s->n; i++) {
			if (s->v[i].cfg <= target) {
				(void)net_link_set_up(s->v[i].dev, true);
				free(s->v[i].dev);
			} else {
				s->v[k++] = s->v[i];
			}
		}
		s->n = k;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int ovs_settler_new(const char *db_sock, ovs_settler **out)
{
	ovs_settler *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int r = ovsdb_open(db_sock, &s->db);
	if (r) {
		free(s);
		return r;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if ((r = pthread_create(&s->thread, NULL, run, s))) {
		ovsdb_close(s->db);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->cond);
		free(s);
		return -r;
	}
	*out = s;
	return 0;
}

void ovs_settler_free(ovs_settler *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].dev);
	free(s->v);
	free(s->pidfile);
	ovsdb_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

void ovs_settler_up(ovs_settler *s, int64_t cfg, const char *dev)
{
	if (!s || !dev)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		pending *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv) {
			pthread_mutex_unlock(&s->lock);
			return;
		}
		s->v = nv;
		s->cap = nc;
	}
	char *d = strdup(dev);
	if (d) {
		s->v[s->n++] = (pending){ .cfg = cfg, .dev = d };
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
}

int ovs_settler_watch(ovs_settler *s, const char *pidfile, int (*restarted)(void *), void *arg)
{
	char *p = strdup(pidfile);
	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	free(s->pidfile);
	s->pidfile = p;
	read_pid(p, s->seen, sizeof(s->seen));
	clock_gettime(CLOCK_MONOTONIC, &s->last_check);
	s->restarted = restarted;
	s->arg = arg;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
