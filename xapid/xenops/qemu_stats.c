/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counters of a QEMU domain:
 *  - vCPUs: query-cpus-fast gives each vCPU's thread; its utime + stime
 *    come from /proc/<pid>/task/<tid>/stat;
 *  - memory: query-balloon (actual), else query-memory-size-summary (base-memory);
 *  - disks: query-blockstats (rd_bytes, wr_bytes), when there are any;
 *  - NICs: the tap devices named in "info network" (type=tap,ifname=…),
 *    their /sys/class/net/<if>/statistics; what the tap sends the guest
 *    receives, so rx/tx swap. A tap named vif<domid>.<n> is VIF n, any
 *    other is numbered in order.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_stats.h"
#include "qemu_int.h"
#include "util.h"
#include "value.h"

/* utime + stime of a thread, in seconds; -1 when unreadable. */
static double thread_secs(pid_t pid, long tid)
{
	char path[96], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", (int)pid, tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* Fields after the command name (which may hold spaces): state is 3. */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long long ut = 0, st = 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)(hz > 0 ? hz : 100);
}

static uint64_t sys_counter(const char *ifname, const char *which)
{
	char path[160], buf[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, which);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return strtoull(buf, NULL, 10);
}

/* Keeps [A-Za-z0-9_.-] of s (data source names go into XML and JSON). */
static void clean_name(char *dst, size_t cap, const char *s)
{
	size_t k = 0;
	for (; *s && k + 1 < cap; s++)
		if (isalnum((unsigned char)*s) || strchr("_.-", *s))
			dst[k++] = *s;
	dst[k] = 0;
}

static void vcpus(xo_domain *d, pid_t pid, xo_stats *out)
{
	json_object *ret = NULL;
	xerr *e = xo_qemu_qmp(d, "query-cpus-fast", NULL, &ret);
	if (e) {
		xerr_free(e);
		return;
	}
	size_t n = json_object_is_type(ret, json_type_array) ? json_object_array_length(ret) : 0;
	for (size_t i = 0; i < n && out->nvcpus < XO_MAX_VCPUS; i++) {
		json_object *c = json_object_array_get_idx(ret, i), *tid, *idx;
		if (!json_object_object_get_ex(c, "thread-id", &tid) ||
		    !json_object_object_get_ex(c, "cpu-index", &idx))
			continue;
		int64_t k = json_object_get_int64(idx);
		if (k < 0 || k >= XO_MAX_VCPUS)
			continue;
		double s = thread_secs(pid, (long)json_object_get_int64(tid));
		if ((size_t)k + 1 > out->nvcpus)
			out->nvcpus = (size_t)k + 1;
		out->vcpu_secs[k] = s < 0 ? 0 : s;
	}
	json_object_put(ret);
}

static void memory(xo_domain *d, xo_stats *out)
{
	json_object *ret = NULL, *v;
	/* With a balloon the guest has what the balloon reports, else its RAM. */
	xerr *e = xo_qemu_qmp(d, "query-balloon", NULL, &ret);
	if (!e && json_object_object_get_ex(ret, "actual", &v) && json_object_get_int64(v) > 0) {
		out->memory_bytes = json_object_get_int64(v);
		json_object_put(ret);
		return;
	}
	xerr_free(e);
	json_object_put(ret);
	ret = NULL;
	e = xo_qemu_qmp(d, "query-memory-size-summary", NULL, &ret);
	if (e) {
		xerr_free(e);
		return;
	}
	if (json_object_object_get_ex(ret, "base-memory", &v))
		out->memory_bytes = json_object_get_int64(v);
	json_object_put(ret);
}

static void disks(xo_domain *d, xo_stats *out)
{
	json_object *ret = NULL;
	xerr *e = xo_qemu_qmp(d, "query-blockstats", NULL, &ret);
	if (e) {
		xerr_free(e);
		return;
	}
	size_t n = json_object_is_type(ret, json_type_array) ? json_object_array_length(ret) : 0;
	for (size_t i = 0; i < n && out->ndisks < XO_MAX_DEVS; i++) {
		json_object *b = json_object_array_get_idx(ret, i), *st, *v;
		const char *name = NULL;
		if (json_object_object_get_ex(b, "device", &v))
			name = json_object_get_string(v);
		if ((!name || !*name) && json_object_object_get_ex(b, "qdev", &v)) {
			/* "/machine/peripheral/<id>/virtio-backend" or "<id>" */
			const char *q = json_object_get_string(v);
			const char *per = q ? strstr(q, "/peripheral/") : NULL;
			name = per ? per + strlen("/peripheral/") : q;
		}
		if (!name || !*name || !json_object_object_get_ex(b, "stats", &st))
			continue;
		xo_dev_stats *ds = &out->disks[out->ndisks];
		char tmp[sizeof(ds->name)];
		snprintf(tmp, sizeof(tmp), "%.*s", (int)strcspn(name, "/"), name);
		clean_name(ds->name, sizeof(ds->name), tmp);
		if (!ds->name[0])
			continue;
		if (json_object_object_get_ex(st, "rd_bytes", &v))
			ds->a = (uint64_t)json_object_get_int64(v);
		if (json_object_object_get_ex(st, "wr_bytes", &v))
			ds->b = (uint64_t)json_object_get_int64(v);
		out->ndisks++;
	}
	json_object_put(ret);
}

static void nics(xo_domain *d, xo_stats *out)
{
	json_object *args = json_object_new_object(), *ret = NULL;
	json_object_object_add(args, "command-line", json_object_new_string("info network"));
	xerr *e = xo_qemu_qmp(d, "human-monitor-command", args, &ret);
	json_object_put(args);
	if (e) {
		xerr_free(e);
		return;
	}
	const char *text = json_object_get_string(ret);
	for (const char *l = text; l && *l && out->nnics < XO_MAX_DEVS;) {
		size_t len = strcspn(l, "\n");
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		l += len + (l[len] ? 1 : 0);
		char *p = strstr(line, "type=tap");
		char *f = strstr(line, "ifname=");
		if (!p || !f)
			continue;
		char ifname[64];
		f += strlen("ifname=");
		f[strcspn(f, ",")] = 0;
		clean_name(ifname, sizeof(ifname), f);
		if (!ifname[0])
			continue;
		xo_dev_stats *ds = &out->nics[out->nnics];
		int domid, dev;
		if (sscanf(ifname, "vif%d.%d", &domid, &dev) == 2 && dev >= 0)
			snprintf(ds->name, sizeof(ds->name), "%d", dev);
		else
			snprintf(ds->name, sizeof(ds->name), "%zu", out->nnics);
		ds->a = sys_counter(ifname, "tx_bytes");
		ds->b = sys_counter(ifname, "rx_bytes");
		out->nnics++;
	}
	json_object_put(ret);
}

xerr *xo_qemu_stats(xo_domain *d, xo_stats *out)
{
	pid_t pid = xo_qemu_backend.pid(d);
	memset(out, 0, sizeof(*out));
	/* One monitor connection for all the queries of a sample. */
	xo_qemu_qmp_hold(d);
	vcpus(d, pid, out);
	memory(d, out);
	disks(d, out);
	nics(d, out);
	xo_qemu_qmp_release(d);
	return NULL;
}
