/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metrics sampler (see sampler.h).
 *
 * Data sources, with XAPI's names:
 *   host: cpu<N> and cpu_avg (fraction busy, from /proc/stat),
 *         memory_total_kib, memory_free_kib (MemTotal, MemAvailable),
 *         loadavg, pif_<dev>_rx/_tx (bytes/s of physical NICs);
 *   VM:   cpu<N> (fraction of a host CPU used by vCPU N), memory and
 *         memory_target (bytes: the balloon's actual size, or the guest RAM),
 *         vbd_<dev>_read/_write (bytes/s) for each disk, vif_<n>_rx/_tx
 *         (bytes/s, as the guest sees them) for each NIC.
 * Rates need two samples: the first sample of a counter is unknown.
 *
 * Database writes: VM_metrics of running VMs each sample; host_metrics
 * only when memory_free moved by 1% of the total or more (so an idle
 * host does not flood event.from).
 *
 * Saved RRDs (rrd_store.c, <state>/rrd): a VM's RRD is saved when the VM
 * stops and loaded back when it runs again (its history continues, and
 * /vm_rrd serves it while the VM is halted, as XAPI serves an archived
 * one); every RRD is saved every SAVE_PASSES samples and when the sampler
 * stops, so a xapid restart keeps the history (a crash loses at most the
 * samples since the last save). Saved RRDs of VMs that no longer exist
 * are removed when the sampler starts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "rrd_store.h"
#include "sampler.h"
#include "store.h"
#include "util.h"
#include "xapid.h"
#include "xenops.h"

#define MAX_HOST_CPUS 256
#define MAX_PIFS 16
#define SAVE_PASSES 60 /* 5 min */

struct counters {
	int64_t t_ms;
	xo_stats st;
};

struct vm_rrd {
	char uuid[40];
	rrd *r;
	bool have_prev;
	struct counters prev;
	bool seen; /* in this pass */
	int64_t saved_upto; /* rrd_last_updated at the last save */
	struct vm_rrd *next;
};

struct host_prev {
	bool have;
	int64_t t_ms;
	size_t ncpu;
	unsigned long long busy[MAX_HOST_CPUS + 1], total[MAX_HOST_CPUS + 1]; /* [0]: all */
	size_t npif;
	char pif[MAX_PIFS][32];
	uint64_t rx[MAX_PIFS], tx[MAX_PIFS];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* rrds and the list */
static pthread_mutex_t run_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_cond = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static bool running, stop;
static rrd *host_rrd;
static int64_t host_saved_upto; /* rrd_last_updated(host_rrd) at the last save */
static struct vm_rrd *vms;
static struct host_prev hprev;
static char host_prefix[64];
static char host_uuid[64];
static char *rrd_dir; /* NULL: nothing saved */
static unsigned passes;
static int64_t written_free = -1;

/* ---- host ----------------------------------------------------------------- */

static size_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len + 1 >= cap)
			break;
	}
	close(fd);
	buf[len] = 0;
	return len;
}

struct samples {
	rrd_sample *v;
	char **names;
	size_t n, cap;
};

static void add(struct samples *s, char *name /* taken */, double v, double min, double max)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = hx_realloc(s->v, s->cap * sizeof(*s->v));
		s->names = hx_realloc(s->names, s->cap * sizeof(*s->names));
	}
	s->names[s->n] = name;
	s->v[s->n] = (rrd_sample){ name, v, min, max };
	s->n++;
}

static void samples_free(struct samples *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static double rate(uint64_t now, uint64_t before, double secs)
{
	return now >= before && secs > 0 ? (double)(now - before) / secs : NAN;
}

/* Samples the host; returns MemAvailable in bytes (-1 if unknown). */
static int64_t host_sample(struct samples *s, int64_t now_ms)
{
	static char buf[65536];
	struct host_prev cur = { .have = true, .t_ms = now_ms };
	double secs = hprev.have ? (double)(now_ms - hprev.t_ms) / 1000.0 : 0;

	if (read_small("/proc/stat", buf, sizeof(buf))) {
		for (char *l = buf; l && *l;) {
			char *nl = strchr(l, '\n');
			if (nl)
				*nl = 0;
			unsigned long long v[10] = { 0 };
			char name[16];
			int k = sscanf(l, "%15s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				       name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
				       &v[8], &v[9]);
			if (k >= 5 && !strncmp(name, "cpu", 3)) {
				unsigned long long total = 0;
				for (int i = 0; i < 8; i++) /* guest time is inside user */
					total += v[i];
				unsigned long long idle = v[3] + v[4];
				size_t idx = 0;
				if (name[3]) {
					idx = (size_t)strtoul(name + 3, NULL, 10) + 1;
					if (idx > MAX_HOST_CPUS)
						idx = 0;
				}
				if (idx || !name[3]) {
					cur.busy[idx] = total - idle;
					cur.total[idx] = total;
					if (idx > cur.ncpu)
						cur.ncpu = idx;
				}
			}
			l = nl ? nl + 1 : NULL;
		}
		for (size_t i = 0; i <= cur.ncpu; i++) {
			double u = NAN;
			if (hprev.have && i <= hprev.ncpu && cur.total[i] > hprev.total[i])
				u = (double)(cur.busy[i] - hprev.busy[i]) /
				    (double)(cur.total[i] - hprev.total[i]);
			add(s, i ? hx_asprintf("cpu%zu", i - 1) : hx_strdup("cpu_avg"), u, 0, 1);
		}
	}

	int64_t avail = -1;
	if (read_small("/proc/meminfo", buf, sizeof(buf))) {
		long long total = -1, av = -1;
		char *p = strstr(buf, "MemTotal:");
		if (p)
			sscanf(p, "MemTotal: %lld", &total);
		p = strstr(buf, "MemAvailable:");
		if (p)
			sscanf(p, "MemAvailable: %lld", &av);
		if (total >= 0)
			add(s, hx_strdup("memory_total_kib"), (double)total, 0, INFINITY);
		if (av >= 0) {
			add(s, hx_strdup("memory_free_kib"), (double)av, 0, INFINITY);
			avail = av * 1024;
		}
	}
	if (read_small("/proc/loadavg", buf, sizeof(buf))) {
		double la;
		if (sscanf(buf, "%lf", &la) == 1)
			add(s, hx_strdup("loadavg"), la, 0, INFINITY);
	}

	/* Physical NICs: those with a device behind them. */
	DIR *d = opendir("/sys/class/net");
	struct dirent *de;
	while (d && (de = readdir(d)) && cur.npif < MAX_PIFS) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(cur.pif[0]))
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/sys/class/net/%s/device", de->d_name);
		if (access(path, F_OK))
			continue;
		size_t i = cur.npif++;
		snprintf(cur.pif[i], sizeof(cur.pif[i]), "%s", de->d_name);
		for (int dir = 0; dir < 2; dir++) {
			snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s_bytes",
				 de->d_name, dir ? "tx" : "rx");
			char nb[64];
			uint64_t v = read_small(path, nb, sizeof(nb)) ? strtoull(nb, NULL, 10) : 0;
			(dir ? cur.tx : cur.rx)[i] = v;
			double r = NAN;
			for (size_t j = 0; hprev.have && j < hprev.npif; j++)
				if (!strcmp(hprev.pif[j], cur.pif[i]))
					r = rate(v, (dir ? hprev.tx : hprev.rx)[j], secs);
			add(s, hx_asprintf("pif_%s_%s", cur.pif[i], dir ? "tx" : "rx"), r, 0,
			    INFINITY);
		}
	}
	if (d)
		closedir(d);
	hprev = cur;
	return avail;
}

/* ---- VMs ---------------------------------------------------------------------- */

static void vm_samples(struct vm_rrd *v, const xo_stats *st, int64_t now_ms, struct samples *s)
{
	const xo_stats *p = v->have_prev ? &v->prev.st : NULL;
	double secs = p ? (double)(now_ms - v->prev.t_ms) / 1000.0 : 0;
	for (size_t i = 0; i < st->nvcpus; i++) {
		double u = NAN;
		if (p && i < p->nvcpus && secs > 0 && st->vcpu_secs[i] >= p->vcpu_secs[i])
			u = fmin(1.0, (st->vcpu_secs[i] - p->vcpu_secs[i]) / secs);
		add(s, hx_asprintf("cpu%zu", i), u, 0, 1);
	}
	if (st->memory_bytes > 0) {
		add(s, hx_strdup("memory"), (double)st->memory_bytes, 0, INFINITY);
		add(s, hx_strdup("memory_target"), (double)st->memory_bytes, 0, INFINITY);
	}
	for (size_t i = 0; i < st->ndisks; i++) {
		double r = NAN, w = NAN;
		for (size_t j = 0; p && j < p->ndisks; j++)
			if (!strcmp(p->disks[j].name, st->disks[i].name)) {
				r = rate(st->disks[i].a, p->disks[j].a, secs);
				w = rate(st->disks[i].b, p->disks[j].b, secs);
			}
		add(s, hx_asprintf("vbd_%s_read", st->disks[i].name), r, 0, INFINITY);
		add(s, hx_asprintf("vbd_%s_write", st->disks[i].name), w, 0, INFINITY);
	}
	for (size_t i = 0; i < st->nnics; i++) {
		double rx = NAN, tx = NAN;
		for (size_t j = 0; p && j < p->nnics; j++)
			if (!strcmp(p->nics[j].name, st->nics[i].name)) {
				rx = rate(st->nics[i].a, p->nics[j].a, secs);
				tx = rate(st->nics[i].b, p->nics[j].b, secs);
			}
		add(s, hx_asprintf("vif_%s_rx", st->nics[i].name), rx, 0, INFINITY);
		add(s, hx_asprintf("vif_%s_tx", st->nics[i].name), tx, 0, INFINITY);
	}
}

/* VM_metrics of one running VM (inside write txn t). */
static xerr *vm_metrics_write(txn *t, const char *uuid, const struct vm_rrd *v)
{
	char *vm = store_ref_of_uuid(t, CLS_VM, uuid);
	if (!vm)
		return NULL;
	xerr *e = NULL;
	char *power = obj_get_str(t, CLS_VM, vm, "power_state");
	char *m = obj_get_str(t, CLS_VM, vm, "metrics");
	bool live = !strcmp(power, "Running") || !strcmp(power, "Paused");
	if (live && store_exists(t, CLS_VM_metrics, m)) {
		xv *util = xv_struct();
		for (size_t i = 0; i < v->prev.st.nvcpus; i++) {
			char name[32], key[24];
			snprintf(name, sizeof(name), "cpu%zu", i);
			snprintf(key, sizeof(key), "%zu", i);
			double u = rrd_last(v->r, name);
			xv_struct_set(util, key, xv_float(isnan(u) ? 0.0 : u));
		}
		xv *state = xv_array();
		xv_array_push(state, xv_str(!strcmp(power, "Paused") ? "paused" : "running"));
		if (!(e = obj_set(t, CLS_VM_metrics, m, "VCPUs_utilisation", util)) &&
		    !(e = obj_set(t, CLS_VM_metrics, m, "state", state)) &&
		    (v->prev.st.memory_bytes <= 0 ||
		     !(e = obj_set(t, CLS_VM_metrics, m, "memory_actual",
				   xv_int(v->prev.st.memory_bytes)))))
			e = obj_set(t, CLS_VM_metrics, m, "last_updated", xv_datetime(hx_now()));
	}
	free(power);
	free(m);
	free(vm);
	return e;
}

static void db_write(struct xapid *app, int64_t avail)
{
	pthread_mutex_lock(&mu);
	size_t nvm = 0;
	for (struct vm_rrd *v = vms; v; v = v->next)
		nvm += v->have_prev;
	pthread_mutex_unlock(&mu);

	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e) {
		xerr_free(e);
		return;
	}
	bool wrote = false;
	char *hm = obj_get_str(t, CLS_host, app->host_ref, "metrics");
	if (avail >= 0 && store_exists(t, CLS_host_metrics, hm)) {
		xv *tot = obj_get(t, CLS_host_metrics, hm, "memory_total");
		int64_t total = tot && tot->kind == XV_INT ? tot->u.i : 0;
		xv_free(tot);
		int64_t diff = written_free < 0 ? INT64_MAX : llabs(avail - written_free);
		if (diff != 0 && (written_free < 0 || diff * 100 >= total)) {
			if (!(e = obj_set(t, CLS_host_metrics, hm, "memory_free", xv_int(avail))))
				e = obj_set(t, CLS_host_metrics, hm, "last_updated",
					    xv_datetime(hx_now()));
			wrote = true;
		}
	}
	free(hm);
	if (nvm && !e) {
		pthread_mutex_lock(&mu);
		for (struct vm_rrd *v = vms; v && !e; v = v->next)
			if (v->have_prev) {
				e = vm_metrics_write(t, v->uuid, v);
				wrote = true;
			}
		pthread_mutex_unlock(&mu);
	}
	if (e || !wrote) {
		store_rollback(t);
		xerr_free(e);
		return;
	}
	e = store_commit(t);
	if (e)
		xerr_free(e);
	else if (avail >= 0)
		written_free = avail;
}

/* Saves the host's and every VM's RRD (serialised under the lock,
 * written outside it). */
static void save_all(void)
{
	if (!rrd_dir)
		return;
	size_t n = 1;
	pthread_mutex_lock(&mu);
	for (struct vm_rrd *v = vms; v; v = v->next)
		n++;
	char (*ids)[64] = hx_calloc(n, sizeof(*ids));
	rrd_buf *bufs = hx_calloc(n, sizeof(*bufs));
	size_t k = 0;
	/* Only RRDs updated since their last save (a VM that stopped keeps
	 * its RRD unchanged until it runs again). */
	for (struct vm_rrd *v = vms; v; v = v->next) {
		int64_t upto = rrd_last_updated(v->r);
		if (upto == v->saved_upto)
			continue;
		v->saved_upto = upto;
		rrd_save(v->r, &bufs[k]);
		snprintf(ids[k], sizeof(ids[k]), "%s", v->uuid);
		k++;
	}
	int64_t hupto = host_rrd ? rrd_last_updated(host_rrd) : 0;
	if (host_rrd && host_uuid[0] && hupto > 0 && hupto != host_saved_upto) {
		host_saved_upto = hupto;
		rrd_save(host_rrd, &bufs[k]);
		snprintf(ids[k], sizeof(ids[k]), "%s", host_uuid);
		k++;
	}
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < k; i++) {
		rrd_store_write(rrd_dir, ids[i], &bufs[i]);
		free(bufs[i].s);
	}
	free(bufs);
	free(ids);
}

/* Removes saved RRDs whose VM is gone (the host's stays). */
static void prune_saved(struct xapid *app)
{
	char **u = NULL;
	size_t n = rrd_store_list(rrd_dir, &u);
	txn *t = NULL;
	xerr *e = n ? store_begin(app->db, false, &t) : NULL;
	for (size_t i = 0; i < n; i++) {
		if (!e && strcmp(u[i], host_uuid)) {
			char *ref = store_ref_of_uuid(t, CLS_VM, u[i]);
			if (!ref)
				rrd_store_remove(rrd_dir, u[i]);
			free(ref);
		}
		free(u[i]);
	}
	if (t)
		store_rollback(t);
	xerr_free(e);
	free(u);
}

static void pass(struct xapid *app)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = ts.tv_sec, now_ms = hx_mono_ms();

	struct samples hs = { 0 };
	int64_t avail = host_sample(&hs, now_ms);
	pthread_mutex_lock(&mu);
	rrd_update(host_rrd, now, hs.v, hs.n);
	for (struct vm_rrd *v = vms; v; v = v->next)
		v->seen = false;
	pthread_mutex_unlock(&mu);
	samples_free(&hs);

	size_t n = 0;
	char **uuids = xenops_uuids(&n);
	for (size_t i = 0; i < n && !stop; i++) {
		xo_stats st;
		xerr *e = xenops_stats(uuids[i], &st);
		pthread_mutex_lock(&mu);
		struct vm_rrd *v = vms;
		while (v && strcmp(v->uuid, uuids[i]))
			v = v->next;
		if (e) {
			/* Busy or going: keep its RRD, skip this sample. */
			xerr_free(e);
			if (v)
				v->seen = true;
			pthread_mutex_unlock(&mu);
			continue;
		}
		if (!v) {
			v = hx_calloc(1, sizeof(*v));
			snprintf(v->uuid, sizeof(v->uuid), "%s", uuids[i]);
			v->r = rrd_dir ? rrd_store_load(rrd_dir, v->uuid) : NULL;
			if (!v->r)
				v->r = rrd_new();
			v->next = vms;
			vms = v;
		}
		struct samples s = { 0 };
		vm_samples(v, &st, now_ms, &s);
		rrd_update(v->r, now, s.v, s.n);
		samples_free(&s);
		v->prev = (struct counters){ now_ms, st };
		v->have_prev = true;
		v->seen = true;
		pthread_mutex_unlock(&mu);
	}
	for (size_t i = 0; i < n; i++)
		free(uuids[i]);
	free(uuids);

	/* The RRDs of VMs no longer running go (saved first). */
	struct vm_rrd *gone = NULL;
	pthread_mutex_lock(&mu);
	for (struct vm_rrd **pp = &vms; *pp;) {
		struct vm_rrd *v = *pp;
		if (!v->seen) {
			*pp = v->next;
			v->next = gone;
			gone = v;
		} else {
			pp = &v->next;
		}
	}
	pthread_mutex_unlock(&mu);
	while (gone) {
		struct vm_rrd *v = gone;
		gone = v->next;
		if (rrd_dir)
			rrd_store_save(rrd_dir, v->uuid, v->r);
		rrd_free(v->r);
		free(v);
	}
	if (++passes % SAVE_PASSES == 0)
		save_all();
	db_write(app, avail);
}

static void *sampler_main(void *arg)
{
	struct xapid *app = arg;
	pthread_mutex_lock(&run_mu);
	while (!stop) {
		pthread_mutex_unlock(&run_mu);
		pass(app);
		pthread_mutex_lock(&run_mu);
		/* Wake at the next multiple of the step (plus a little). */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec = ts.tv_sec - ts.tv_sec % RRD_STEP + RRD_STEP;
		ts.tv_nsec = 200 * 1000 * 1000;
		while (!stop && pthread_cond_timedwait(&run_cond, &run_mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&run_mu);
	return NULL;
}

void sampler_start(struct xapid *app)
{
	char *dir = NULL;
	if (app->cfg.state_dir) {
		dir = hx_asprintf("%s/rrd", app->cfg.state_dir);
		if (mkdir(dir, 0700) && errno != EEXIST) {
			free(dir);
			dir = NULL;
		}
	}
	pthread_mutex_lock(&mu);
	free(rrd_dir);
	rrd_dir = dir;
	snprintf(host_uuid, sizeof(host_uuid), "%s", app->host_uuid ? app->host_uuid : "");
	if (!host_rrd && rrd_dir && host_uuid[0])
		host_rrd = rrd_store_load(rrd_dir, host_uuid);
	if (!host_rrd)
		host_rrd = rrd_new();
	snprintf(host_prefix, sizeof(host_prefix), "host:%s:",
		 app->host_uuid ? app->host_uuid : "");
	pthread_mutex_unlock(&mu);
	if (rrd_dir)
		prune_saved(app);
	pthread_mutex_lock(&run_mu);
	stop = false;
	if (!running && !pthread_create(&thread, NULL, sampler_main, app))
		running = true;
	pthread_mutex_unlock(&run_mu);
}

void sampler_stop(void)
{
	pthread_mutex_lock(&run_mu);
	stop = true;
	pthread_cond_broadcast(&run_cond);
	bool was = running;
	running = false;
	pthread_mutex_unlock(&run_mu);
	if (was)
		pthread_join(thread, NULL);
	save_all();
	pthread_mutex_lock(&mu);
	while (vms) {
		struct vm_rrd *v = vms;
		vms = v->next;
		rrd_free(v->r);
		free(v);
	}
	rrd_free(host_rrd);
	host_rrd = NULL;
	memset(&hprev, 0, sizeof(hprev));
	written_free = -1;
	free(rrd_dir);
	rrd_dir = NULL;
	pthread_mutex_unlock(&mu);
}

/* ---- exports ------------------------------------------------------------------- */

static struct vm_rrd *find_vm(const char *uuid)
{
	for (struct vm_rrd *v = vms; v; v = v->next)
		if (!strcmp(v->uuid, uuid))
			return v;
	return NULL;
}

bool sampler_has_vm(const char *uuid)
{
	pthread_mutex_lock(&mu);
	bool ok = uuid && find_vm(uuid) != NULL;
	pthread_mutex_unlock(&mu);
	return ok;
}

bool sampler_vm_rrd(const char *uuid, bool json, rrd_buf *out)
{
	pthread_mutex_lock(&mu);
	struct vm_rrd *v = uuid ? find_vm(uuid) : NULL;
	if (v)
		(json ? rrd_dump_json : rrd_dump_xml)(v->r, out);
	/* A VM not running: its saved RRD, if any. */
	rrd *saved = !v && uuid && rrd_dir ? rrd_store_load(rrd_dir, uuid) : NULL;
	pthread_mutex_unlock(&mu);
	if (saved)
		(json ? rrd_dump_json : rrd_dump_xml)(saved, out);
	rrd_free(saved);
	return v != NULL || saved != NULL;
}

bool sampler_host_rrd(bool json, rrd_buf *out)
{
	pthread_mutex_lock(&mu);
	bool ok = host_rrd && rrd_last_updated(host_rrd) > 0;
	if (ok)
		(json ? rrd_dump_json : rrd_dump_xml)(host_rrd, out);
	pthread_mutex_unlock(&mu);
	return ok;
}

bool sampler_updates(bool host, const char *const *vm_uuids, size_t n, int64_t start,
		     int64_t interval, int cf, bool json, rrd_buf *out)
{
	pthread_mutex_lock(&mu);
	size_t cap = 1 + n;
	for (struct vm_rrd *v = vms; v; v = v->next)
		cap++;
	const rrd **rrds = hx_calloc(cap, sizeof(*rrds));
	char **prefixes = hx_calloc(cap, sizeof(*prefixes));
	size_t k = 0;
	if (host && host_rrd && rrd_last_updated(host_rrd) > 0) {
		rrds[k] = host_rrd;
		prefixes[k++] = hx_strdup(host_prefix);
	}
	for (struct vm_rrd *v = vms; v; v = v->next) {
		bool want = !n;
		for (size_t i = 0; i < n && !want; i++)
			want = !strcmp(vm_uuids[i], v->uuid);
		if (want && rrd_last_updated(v->r) > 0) {
			rrds[k] = v->r;
			prefixes[k++] = hx_asprintf("vm:%s:", v->uuid);
		}
	}
	bool ok = rrd_xport(rrds, (const char *const *)prefixes, k, start, interval, cf, json, out);
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < k; i++)
		free(prefixes[i]);
	free(prefixes);
	free(rrds);
	return ok;
}

sampler_ds *sampler_sources(const char *uuid, size_t *n)
{
	*n = 0;
	pthread_mutex_lock(&mu);
	const rrd *r = NULL;
	if (!uuid)
		r = host_rrd && rrd_last_updated(host_rrd) > 0 ? host_rrd : NULL;
	else {
		struct vm_rrd *v = find_vm(uuid);
		r = v ? v->r : NULL;
	}
	sampler_ds *out = NULL;
	if (r) {
		*n = rrd_ds_count(r);
		out = hx_calloc(*n ? *n : 1, sizeof(*out));
		for (size_t i = 0; i < *n; i++)
			out[i].name = hx_strdup(rrd_ds_info(r, i, &out[i].min, &out[i].max,
							    &out[i].last));
	}
	pthread_mutex_unlock(&mu);
	return out;
}

void sampler_sources_free(sampler_ds *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}
