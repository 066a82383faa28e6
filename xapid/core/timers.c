/* SPDX-License-Identifier: Apache-2.0 */
#include "timers.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"
#include "value.h"

struct tentry {
	int64_t deadline;
	timer_id id;
	void (*fn)(void *);
	void *arg;
};

struct timers {
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* wakes the thread: earlier deadline or stop */
	pthread_cond_t done; /* a callback finished */
	struct tentry *heap;
	size_t n, cap;
	timer_id next_id;
	timer_id firing; /* id whose callback runs now, 0 if none */
	bool stop;
	pthread_t thread;
};

static void swap(struct tentry *a, struct tentry *b)
{
	struct tentry t = *a;
	*a = *b;
	*b = t;
}

static void sift_up(struct timers *t, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (t->heap[p].deadline <= t->heap[i].deadline)
			break;
		swap(&t->heap[p], &t->heap[i]);
		i = p;
	}
}

static void sift_down(struct timers *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < t->n && t->heap[l].deadline < t->heap[m].deadline)
			m = l;
		if (r < t->n && t->heap[r].deadline < t->heap[m].deadline)
			m = r;
		if (m == i)
			return;
		swap(&t->heap[m], &t->heap[i]);
		i = m;
	}
}

static void remove_at(struct timers *t, size_t i)
{
	t->heap[i] = t->heap[--t->n];
	if (i < t->n) {
		sift_down(t, i);
		sift_up(t, i);
	}
}

static void *timer_main(void *p)
{
	struct timers *t = p;
	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		if (!t->n) {
			pthread_cond_wait(&t->cv, &t->mu);
			continue;
		}
		int64_t now = hx_mono_ms();
		if (t->heap[0].deadline > now) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t wait = t->heap[0].deadline - now;
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&t->cv, &t->mu, &ts);
			continue;
		}
		struct tentry e = t->heap[0];
		remove_at(t, 0);
		t->firing = e.id;
		pthread_mutex_unlock(&t->mu);
		e.fn(e.arg);
		pthread_mutex_lock(&t->mu);
		t->firing = 0;
		pthread_cond_broadcast(&t->done);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct timers *timers_new(void)
{
	struct timers *t = hx_calloc(1, sizeof(*t));
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, &ca);
	pthread_cond_init(&t->done, NULL);
	pthread_condattr_destroy(&ca);
	t->next_id = 1;
	pthread_create(&t->thread, NULL, timer_main, t);
	return t;
}

struct timers *timers_free(struct timers *t)
{
	if (!t)
		return NULL;
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	free(t->heap);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	pthread_cond_destroy(&t->done);
	free(t);
	return NULL;
}

timer_id timers_add(struct timers *t, int64_t deadline_ms, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&t->mu);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->heap = hx_realloc(t->heap, t->cap * sizeof(*t->heap));
	}
	timer_id id = t->next_id++;
	t->heap[t->n] = (struct tentry){ deadline_ms, id, fn, arg };
	sift_up(t, t->n++);
	if (t->heap[0].id == id)
		pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return id;
}

bool timers_cancel(struct timers *t, timer_id id)
{
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n; i++) {
		if (t->heap[i].id == id) {
			remove_at(t, i);
			pthread_mutex_unlock(&t->mu);
			return true;
		}
	}
	while (t->firing == id && !pthread_equal(pthread_self(), t->thread))
		pthread_cond_wait(&t->done, &t->mu);
	pthread_mutex_unlock(&t->mu);
	return false;
}
