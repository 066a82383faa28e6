/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QEMU disks: start-time arguments, hotplug, CD media and the live hooks
 * of the storage drivers (see qemu_disk.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qemu_boot.h"
#include "qemu_disk.h"
#include "qemu_fdpass.h"
#include "qemu_int.h"
#include "util.h"

#define UNPLUG_MS 30000
#define JOB_MS (30 * 60 * 1000)

void xo_disk_clear(xo_disk *d)
{
	if (!d)
		return;
	free(d->userdevice);
	sm_open_clear(&d->open);
	free(d->overlay);
	memset(d, 0, sizeof(*d));
}

/* The format node of disk d named node (json-c object, caller puts). */
static json_object *node_json(const xo_disk *d, const char *node)
{
	char *proto = sm_open_protocol_json(&d->open);
	json_object *file = json_tokener_parse(proto);
	free(proto);
	if (!file)
		return NULL;
	json_object *n = json_object_new_object();
	json_object_object_add(n, "node-name", json_object_new_string(node));
	if (d->overlay) {
		/* A throw-away qcow2 on top; the VDI itself is only read. */
		json_object *b = json_object_new_object();
		json_object_object_add(b, "driver", json_object_new_string(d->open.format));
		json_object_object_add(b, "read-only", json_object_new_boolean(true));
		json_object_object_add(b, "file", file);
		json_object *of = json_object_new_object();
		json_object_object_add(of, "driver", json_object_new_string("file"));
		json_object_object_add(of, "filename", json_object_new_string(d->overlay));
		json_object_object_add(n, "driver", json_object_new_string("qcow2"));
		json_object_object_add(n, "file", of);
		json_object_object_add(n, "backing", b);
		return n;
	}
	json_object_object_add(n, "driver", json_object_new_string(d->open.format ? d->open.format : "raw"));
	json_object_object_add(n, "read-only", json_object_new_boolean(d->read_only || d->open.read_only));
	json_object_object_add(n, "file", file);
	return n;
}

void xo_qemu_disk_argv(const xo_spec *s, void (*add)(void *a, char *s), void *a)
{
	/* Root ports for virtio disks (hotplug needs a port of their own). */
	for (int i = 0; i < XO_DISK_PORTS; i++) {
		add(a, hx_strdup("-device"));
		add(a, hx_asprintf("pcie-root-port,id=hxrp%d,chassis=%d", i, 100 + i));
	}
	int ide = 0;
	for (size_t i = 0; i < s->ndisks; i++) {
		const xo_disk *d = &s->disks[i];
		int n = xo_devnum(d->userdevice, 256);
		if (n < 0)
			continue;
		char node[32];
		snprintf(node, sizeof(node), "vbd%d-0", n);
		if (!d->empty) {
			json_object *j = node_json(d, node);
			if (!j)
				continue;
			add(a, hx_strdup("-blockdev"));
			add(a, hx_strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN)));
			json_object_put(j);
		}
		/* Boot order (hvm only: qemu_boot.c). */
		int bi = xo_boot_index(s, i);
		char boot[32] = "";
		if (bi >= 0)
			snprintf(boot, sizeof(boot), ",bootindex=%d", bi);
		add(a, hx_strdup("-device"));
		if (d->cdrom) {
			/* q35's AHCI has six ports: ide.0 … ide.5. */
			if (ide >= 6)
				continue;
			if (d->empty)
				add(a, hx_asprintf("ide-cd,bus=ide.%d,id=vbd%d%s", ide, n, boot));
			else
				add(a, hx_asprintf("ide-cd,bus=ide.%d,id=vbd%d,drive=%s%s", ide, n, node, boot));
			ide++;
		} else if (n < XO_DISK_PORTS) {
			add(a, hx_asprintf("virtio-blk-pci,id=vbd%d,drive=%s,bus=hxrp%d%s", n, node, n, boot));
		} else {
			add(a, hx_asprintf("virtio-blk-pci,id=vbd%d,drive=%s%s", n, node, boot));
		}
	}
}

/* ---- QMP helpers ------------------------------------------------------------ */


static json_object *obj1(const char *k, json_object *v)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, k, v);
	return o;
}

/* The "inserted" member of device "vbdN" in a query-block answer (*all,
 * which the caller puts); NULL when the VM has no such disk or medium,
 * *err set only when QMP failed. */
static json_object *inserted(const char *vm_uuid, int n, json_object **all, xerr **err)
{
	*all = NULL;
	*err = xo_vm_qmp(vm_uuid, "query-block", NULL, all);
	if (*err)
		return NULL;
	char want[32];
	snprintf(want, sizeof(want), "vbd%d", n);
	size_t wl = strlen(want);
	json_object *r = *all;
	size_t len = r && json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;
	for (size_t i = 0; i < len; i++) {
		json_object *b = json_object_array_get_idx(r, i), *q, *ins;
		if (!json_object_object_get_ex(b, "qdev", &q))
			continue;
		const char *qd = json_object_get_string(q);
		/* "vbd0" or "/machine/peripheral/vbd0/virtio-backend" */
		const char *p = strstr(qd, want);
		if (!p || (p != qd && p[-1] != '/') || (p[wl] && p[wl] != '/'))
			continue;
		if (json_object_object_get_ex(b, "inserted", &ins))
			return ins;
	}
	return NULL;
}

/* The node name at the top of device "vbdN" (heap) or NULL. */
static char *top_node(const char *vm_uuid, int n, xerr **err)
{
	json_object *r = NULL, *ins = NULL, *nn;
	char *out = NULL;
	if ((ins = inserted(vm_uuid, n, &r, err)) && json_object_object_get_ex(ins, "node-name", &nn))
		out = hx_strdup(json_object_get_string(nn));
	json_object_put(r);
	if (!out && !*err)
		*err = xerr_newf("INTERNAL_ERROR", "disk vbd%d has no medium in the VM", n);
	return out;
}

/* The node name of the backing child of node `name` (heap) or NULL, from
 * the block graph (file names are no guide: an image renamed while open
 * keeps its old name in QEMU). */
static char *backing_of(const char *vm_uuid, const char *name, xerr **err)
{
	json_object *r = NULL;
	*err = xo_vm_qmp(vm_uuid, "x-debug-query-block-graph", NULL, &r);
	if (*err)
		return NULL;
	json_object *nodes = NULL, *edges = NULL;
	json_object_object_get_ex(r, "nodes", &nodes);
	json_object_object_get_ex(r, "edges", &edges);
	int64_t id = -1;
	size_t nn = nodes && json_object_is_type(nodes, json_type_array) ? json_object_array_length(nodes) : 0;
	for (size_t i = 0; i < nn && id < 0; i++) {
		json_object *n = json_object_array_get_idx(nodes, i), *nm, *ni;
		if (json_object_object_get_ex(n, "name", &nm) && !strcmp(json_object_get_string(nm), name) &&
		    json_object_object_get_ex(n, "id", &ni))
			id = json_object_get_int64(ni);
	}
	int64_t child = -1;
	size_t ne = edges && json_object_is_type(edges, json_type_array) ? json_object_array_length(edges) : 0;
	for (size_t i = 0; i < ne && id >= 0 && child < 0; i++) {
		json_object *e = json_object_array_get_idx(edges, i), *p, *c, *en;
		if (json_object_object_get_ex(e, "parent", &p) && json_object_get_int64(p) == id &&
		    json_object_object_get_ex(e, "name", &en) && !strcmp(json_object_get_string(en), "backing") &&
		    json_object_object_get_ex(e, "child", &c))
			child = json_object_get_int64(c);
	}
	char *out = NULL;
	for (size_t i = 0; i < nn && child >= 0 && !out; i++) {
		json_object *n = json_object_array_get_idx(nodes, i), *nm, *ni;
		if (json_object_object_get_ex(n, "id", &ni) && json_object_get_int64(ni) == child &&
		    json_object_object_get_ex(n, "name", &nm))
			out = hx_strdup(json_object_get_string(nm));
	}
	json_object_put(r);
	if (!out)
		*err = xerr_newf("INTERNAL_ERROR", "node %s has no backing node", name);
	return out;
}

static void delete_nodes_only(const char *vm_uuid, int n);

/* Deletes every monitor-owned node "vbdN-*" (top first: retried), then
 * the fd sets of the files they had open. */
static void delete_nodes(const char *vm_uuid, int n)
{
	delete_nodes_only(vm_uuid, n);
	char pre[32];
	snprintf(pre, sizeof(pre), "vbd%d-", n);
	xo_fdpass_prune(vm_uuid, pre);
}

static void delete_nodes_only(const char *vm_uuid, int n)
{
	char pre[32];
	snprintf(pre, sizeof(pre), "vbd%d-", n);
	for (int round = 0; round < 80; round++) { /* a chain of own nodes: one level a round */
		json_object *r = NULL;
		xerr *e = xo_vm_qmp(vm_uuid, "query-named-block-nodes",
		                 obj1("flat", json_object_new_boolean(true)), &r);
		if (e) {
			xerr_free(e);
			return;
		}
		bool any = false, progress = false;
		size_t len = r && json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;
		for (size_t i = 0; i < len; i++) {
			json_object *nn;
			if (!json_object_object_get_ex(json_object_array_get_idx(r, i), "node-name", &nn))
				continue;
			const char *name = json_object_get_string(nn);
			if (strncmp(name, pre, strlen(pre)))
				continue;
			any = true;
			e = xo_vm_qmp(vm_uuid, "blockdev-del", obj1("node-name", json_object_new_string(name)), NULL);
			if (!e)
				progress = true;
			xerr_free(e);
		}
		json_object_put(r);
		if (!any || !progress)
			return;
	}
}

static int node_seq;

/* Node and job names must not repeat those a previous xapid gave the same
 * still-running QEMU (it survives a restart): the sequence starts from
 * the clock. */
__attribute__((constructor)) static void node_seq_seed(void)
{
	node_seq = (int)(time(NULL) % 100000) * 10000;
}

/* blockdev-add of j (taken) named node, with its local files opened here
 * and passed as fd sets (qemu_fdpass.h): QEMU may no longer open paths. */
static xerr *add_node(const char *vm_uuid, json_object *j, const char *node)
{
	xerr *e = xo_fdpass_blockdev(vm_uuid, j);
	if (e) {
		json_object_put(j);
		return e;
	}
	e = xo_vm_qmp(vm_uuid, "blockdev-add", j, NULL);
	if (e)
		xo_fdpass_forget(vm_uuid, node);
	return e;
}

/* ---- hotplug ----------------------------------------------------------------- */

xerr *xo_disk_hotplug(const char *vm_uuid, const xo_disk *d)
{
	int n = xo_devnum(d->userdevice, 256);
	if (n < 0 || n >= XO_DISK_PORTS || d->cdrom)
		return xerr_new("OPERATION_NOT_ALLOWED",
		                "hotplug needs a disk (not a CD) with userdevice 0..7", NULL);
	char node[48];
	snprintf(node, sizeof(node), "vbd%d-h%d", n, __atomic_add_fetch(&node_seq, 1, __ATOMIC_RELAXED));
	json_object *j = node_json(d, node);
	if (!j)
		return xerr_new("INTERNAL_ERROR", "bad protocol JSON", NULL);
	xerr *e = add_node(vm_uuid, j, node);
	if (e)
		return e;
	json_object *dev = json_object_new_object();
	char id[16], bus[16];
	snprintf(id, sizeof(id), "vbd%d", n);
	snprintf(bus, sizeof(bus), "hxrp%d", n);
	json_object_object_add(dev, "driver", json_object_new_string("virtio-blk-pci"));
	json_object_object_add(dev, "id", json_object_new_string(id));
	json_object_object_add(dev, "drive", json_object_new_string(node));
	json_object_object_add(dev, "bus", json_object_new_string(bus));
	e = xo_vm_qmp(vm_uuid, "device_add", dev, NULL);
	if (e) {
		xerr_free(xo_vm_qmp(vm_uuid, "blockdev-del", obj1("node-name", json_object_new_string(node)), NULL));
		xo_fdpass_prune(vm_uuid, node);
	}
	return e;
}

/* Whether device id still exists (qom-list of /machine/peripheral). */
static bool device_present(const char *vm_uuid, const char *id)
{
	json_object *r = NULL;
	xerr *e = xo_vm_qmp(vm_uuid, "qom-list", obj1("path", json_object_new_string("/machine/peripheral")), &r);
	if (e) {
		xerr_free(e);
		return false;
	}
	bool found = false;
	size_t len = r && json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;
	for (size_t i = 0; i < len && !found; i++) {
		json_object *nm;
		if (json_object_object_get_ex(json_object_array_get_idx(r, i), "name", &nm) &&
		    !strcmp(json_object_get_string(nm), id))
			found = true;
	}
	json_object_put(r);
	return found;
}

xerr *xo_disk_unplug(const char *vm_uuid, const char *userdevice)
{
	int n = xo_devnum(userdevice, 256);
	if (n < 0)
		return xerr_new("OPERATION_NOT_ALLOWED", "bad userdevice", NULL);
	char id[16];
	snprintf(id, sizeof(id), "vbd%d", n);
	xerr *e = xo_vm_qmp(vm_uuid, "device_del", obj1("id", json_object_new_string(id)), NULL);
	if (e)
		return e;
	/* The guest must let go (PCIe hotplug): wait for the device to go. */
	int64_t deadline = hx_mono_ms() + UNPLUG_MS;
	while (device_present(vm_uuid, id)) {
		if (hx_mono_ms() > deadline)
			return xerr_new("DEVICE_DETACH_REJECTED", "VBD", id,
			                "the guest did not release the device", NULL);
		usleep(200 * 1000);
	}
	delete_nodes(vm_uuid, n);
	return NULL;
}

/* ---- CD media ------------------------------------------------------------------ */

xerr *xo_disk_insert(const char *vm_uuid, const char *userdevice, const sm_open *o)
{
	int n = xo_devnum(userdevice, 256);
	if (n < 0)
		return xerr_new("OPERATION_NOT_ALLOWED", "bad userdevice", NULL);
	char node[48], id[16];
	snprintf(node, sizeof(node), "vbd%d-m%d", n, __atomic_add_fetch(&node_seq, 1, __ATOMIC_RELAXED));
	snprintf(id, sizeof(id), "vbd%d", n);
	xo_disk d = { .read_only = true };
	d.open = *o;
	json_object *j = node_json(&d, node);
	if (!j)
		return xerr_new("INTERNAL_ERROR", "bad protocol JSON", NULL);
	xerr *e = add_node(vm_uuid, j, node);
	if (e)
		return e;
	json_object *ot = obj1("id", json_object_new_string(id));
	json_object_object_add(ot, "force", json_object_new_boolean(true));
	xerr_free(xo_vm_qmp(vm_uuid, "blockdev-open-tray", ot, NULL));
	json_object *im = obj1("id", json_object_new_string(id));
	json_object_object_add(im, "node-name", json_object_new_string(node));
	e = xo_vm_qmp(vm_uuid, "blockdev-insert-medium", im, NULL);
	if (e) {
		xerr_free(xo_vm_qmp(vm_uuid, "blockdev-del", obj1("node-name", json_object_new_string(node)), NULL));
		xo_fdpass_prune(vm_uuid, node);
		return e;
	}
	xerr_free(xo_vm_qmp(vm_uuid, "blockdev-close-tray", obj1("id", json_object_new_string(id)), NULL));
	return NULL;
}

xerr *xo_disk_eject(const char *vm_uuid, const char *userdevice)
{
	int n = xo_devnum(userdevice, 256);
	if (n < 0)
		return xerr_new("OPERATION_NOT_ALLOWED", "bad userdevice", NULL);
	char id[16];
	snprintf(id, sizeof(id), "vbd%d", n);
	json_object *ot = obj1("id", json_object_new_string(id));
	json_object_object_add(ot, "force", json_object_new_boolean(true));
	xerr *e = xo_vm_qmp(vm_uuid, "blockdev-open-tray", ot, NULL);
	if (!e)
		e = xo_vm_qmp(vm_uuid, "blockdev-remove-medium", obj1("id", json_object_new_string(id)), NULL);
	if (e)
		return e;
	delete_nodes(vm_uuid, n);
	xerr_free(xo_vm_qmp(vm_uuid, "blockdev-close-tray", obj1("id", json_object_new_string(id)), NULL));
	return NULL;
}

/* ---- live hooks for the drivers -------------------------------------------------- */

/* Jobs of disk n a killed xapid left in the running QEMU (a block-stream
 * waiting for job-finalize forever): cancelled (the old chain stays) and
 * dismissed, so the GC can merge again. */
static void drop_stale_jobs(const char *vm, int n)
{
	char pre[32];
	snprintf(pre, sizeof(pre), "hxstream%d-", n);
	for (int round = 0; round < 100; round++) {
		json_object *r = NULL;
		if (xo_vm_qmp(vm, "query-jobs", NULL, &r)) {
			return;
		}
		bool any = false;
		size_t len = r && json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;
		for (size_t i = 0; i < len; i++) {
			json_object *j = json_object_array_get_idx(r, i), *id, *st;
			if (!json_object_object_get_ex(j, "id", &id) ||
			    strncmp(json_object_get_string(id), pre, strlen(pre)) ||
			    !json_object_object_get_ex(j, "status", &st))
				continue;
			any = true;
			const char *s = json_object_get_string(st);
			const char *cmd = !strcmp(s, "concluded") ? "job-dismiss" : "job-cancel";
			xerr_free(xo_vm_qmp(vm, cmd, obj1("id", json_object_new_string(json_object_get_string(id))), NULL));
		}
		json_object_put(r);
		if (!any)
			break;
		usleep(50 * 1000);
	}
	char fp[32]; /* a job finalized before it was left: its layers went */
	snprintf(fp, sizeof(fp), "vbd%d-", n);
	xo_fdpass_prune(vm, fp);
}

struct live_ctx {
	char *vm;
	int n;
	bool leave_job; /* a fail point fired: leave the job as a broken link would */
};

static xerr *live_snapshot(void *ctx, const sm_open *overlay)
{
	struct live_ctx *c = ctx;
	xerr *e = NULL;
	/* The caller holds the SR's lock, as the GC does while it merges: a
	 * stream job of this disk is one a failed merge left (it would make
	 * the top "busy"). */
	drop_stale_jobs(c->vm, c->n);
	char *top = top_node(c->vm, c->n, &e);
	if (!top)
		return e;
	char node[48];
	snprintf(node, sizeof(node), "vbd%d-s%d", c->n, __atomic_add_fetch(&node_seq, 1, __ATOMIC_RELAXED));
	char *proto = sm_open_protocol_json(overlay);
	json_object *file = json_tokener_parse(proto);
	free(proto);
	json_object *j = json_object_new_object();
	json_object_object_add(j, "driver", json_object_new_string("qcow2"));
	json_object_object_add(j, "node-name", json_object_new_string(node));
	json_object_object_add(j, "file", file);
	json_object_object_add(j, "backing", NULL); /* JSON null: attached below */
	e = add_node(c->vm, j, node);
	if (!e) {
		json_object *s = obj1("node", json_object_new_string(top));
		json_object_object_add(s, "overlay", json_object_new_string(node));
		e = xo_vm_qmp(c->vm, "blockdev-snapshot", s, NULL);
		if (e) {
			xerr_free(xo_vm_qmp(c->vm, "blockdev-del", obj1("node-name", json_object_new_string(node)), NULL));
			xo_fdpass_prune(c->vm, node);
		}
	}
	free(top);
	return e;
}

/* The file name of disk n's top image (query-block: inserted.image). */
static char *live_top_file(void *ctx, xerr **err)
{
	struct live_ctx *c = ctx;
	json_object *r = NULL, *ins, *img, *fn;
	char *out = NULL;
	if ((ins = inserted(c->vm, c->n, &r, err)) && json_object_object_get_ex(ins, "image", &img) &&
	    json_object_object_get_ex(img, "filename", &fn))
		out = hx_strdup(json_object_get_string(fn));
	json_object_put(r);
	/* A node added with its own options (the overlay of a live
	 * snapshot) is named "json:{...}": its protocol node's file name or
	 * path is the image. */
	if (out && !strncmp(out, "json:", 5)) {
		json_object *j = json_tokener_parse(out + 5), *file, *jfn;
		free(out);
		out = NULL;
		if (j && json_object_object_get_ex(j, "file", &file) &&
		    (json_object_object_get_ex(file, "filename", &jfn) ||
		     json_object_object_get_ex(file, "path", &jfn)))
			out = hx_strdup(json_object_get_string(jfn));
		json_object_put(j);
	}
	/* Nodes added after QEMU dropped its privileges name an fd set. */
	if (out) {
		char *real = xo_fdpass_resolve(c->vm, out);
		free(out);
		out = real;
	}
	if (!out && !*err)
		*err = xerr_newf("INTERNAL_ERROR", "disk vbd%d: cannot tell its top image", c->n);
	return out;
}

/* Flushes the top node of disk n (data and qcow2 metadata to the file). */
static xerr *flush_node(const char *vm, int n)
{
	xerr *e = NULL;
	char *top = top_node(vm, n, &e);
	if (!top)
		return e;
	char *cmd = hx_asprintf("qemu-io %s \"flush\"", top);
	json_object *r = NULL;
	e = xo_vm_qmp(vm, "human-monitor-command", obj1("command-line", json_object_new_string(cmd)), &r);
	free(cmd);
	free(top);
	const char *out = r && json_object_is_type(r, json_type_string) ? json_object_get_string(r) : "";
	if (!e && *out)
		e = sm_backend_failure(SM_E_IO, "flush after block-stream: %s", out);
	json_object_put(r);
	return e;
}

static xerr *stream_run(struct live_ctx *c, const char *base_filename, const sm_progress *p)
{
	xerr *e = NULL;
	char *top = top_node(c->vm, c->n, &e);
	if (!top)
		return e;
	/* The top's backing is merged away; base_filename names the node
	 * below it (sm.h), found by walking the graph two levels down. */
	char *base = NULL;
	if (base_filename) {
		char *b1 = backing_of(c->vm, top, &e);
		if (b1)
			base = backing_of(c->vm, b1, &e);
		free(b1);
		if (!base) {
			free(top);
			return e;
		}
	}
	char job[48];
	snprintf(job, sizeof(job), "hxstream%d-%d", c->n, __atomic_add_fetch(&node_seq, 1, __ATOMIC_RELAXED));
	json_object *a = json_object_new_object();
	json_object_object_add(a, "job-id", json_object_new_string(job));
	json_object_object_add(a, "device", json_object_new_string(top));
	json_object_object_add(a, "auto-dismiss", json_object_new_boolean(false));
	/* The job stops at "pending" with the data copied and the old header
	 * (backing = the node being merged away) still in place; the copied
	 * data is flushed, and only then job-finalize writes the new header.
	 * A crash of anything at any point leaves a chain that reads right. */
	json_object_object_add(a, "auto-finalize", json_object_new_boolean(false));
	if (base) {
		const char *slash = strrchr(base_filename, '/');
		json_object_object_add(a, "base-node", json_object_new_string(base));
		json_object_object_add(a, "backing-file", json_object_new_string(slash ? slash + 1 : base_filename));
	}
	e = xo_vm_qmp(c->vm, "block-stream", a, NULL);
	free(top);
	free(base);
	if (e)
		return e;
	if ((c->leave_job = sm_fail_point("live-merge-after-start")))
		return xerr_new("INTERNAL_ERROR", "fail point live-merge-after-start", NULL);
	int64_t deadline = hx_mono_ms() + JOB_MS;
	xerr *flush_err = NULL;
	for (;;) {
		json_object *r = NULL;
		e = xo_vm_qmp(c->vm, "query-block-jobs", NULL, &r);
		if (e) {
			xerr_free(flush_err);
			return e;
		}
		bool found = false, done = false, pending = false;
		char *err = NULL;
		size_t len = r && json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;
		for (size_t i = 0; i < len; i++) {
			json_object *b = json_object_array_get_idx(r, i), *id, *st, *er, *off, *ln;
			if (!json_object_object_get_ex(b, "device", &id) || strcmp(json_object_get_string(id), job))
				continue;
			found = true;
			if (json_object_object_get_ex(b, "status", &st) &&
			    !strcmp(json_object_get_string(st), "pending"))
				pending = true;
			if (json_object_object_get_ex(b, "status", &st) &&
			    !strcmp(json_object_get_string(st), "concluded")) {
				done = true;
				if (json_object_object_get_ex(b, "error", &er))
					err = hx_strdup(json_object_get_string(er));
			}
			if (json_object_object_get_ex(b, "offset", &off) &&
			    json_object_object_get_ex(b, "len", &ln) && json_object_get_int64(ln) > 0)
				sm_progress_set(p, (double)json_object_get_int64(off) / (double)json_object_get_int64(ln));
		}
		json_object_put(r);
		if (!found) {
			xerr_free(flush_err);
			return xerr_new("INTERNAL_ERROR", "block-stream job vanished", NULL);
		}
		if (pending) {
			sm_crash_point("live-merge-at-pending");
			if ((c->leave_job = sm_fail_point("live-merge-at-pending"))) {
				xerr_free(flush_err);
				return xerr_new("INTERNAL_ERROR", "fail point live-merge-at-pending", NULL);
			}
			/* Data first (new clusters of the top and their L2
			 * entries), header last. */
			if (!flush_err)
				flush_err = flush_node(c->vm, c->n);
			/* A failed flush cancels the job: the old chain stays. */
			e = xo_vm_qmp(c->vm, flush_err ? "job-cancel" : "job-finalize",
				   obj1("id", json_object_new_string(job)), NULL);
			if (e) {
				xerr_free(flush_err);
				return e;
			}
			if (!flush_err && (c->leave_job = sm_fail_point("live-merge-after-finalize")))
				return xerr_new("INTERNAL_ERROR", "fail point live-merge-after-finalize", NULL);
			usleep(20 * 1000);
			continue;
		}
		if (done) {
			xerr_free(xo_vm_qmp(c->vm, "job-dismiss", obj1("id", json_object_new_string(job)), NULL));
			if (flush_err) {
				free(err);
				return flush_err;
			}
			if (err) {
				e = sm_backend_failure(SM_E_IO, "block-stream: %s", err);
				free(err);
				return e;
			}
			/* The copied data and the new header must be on disk before
			 * the caller removes the merged image: QMP has no flush, so
			 * HMP's qemu-io flushes the top node. */
			e = flush_node(c->vm, c->n);
			char pre[32]; /* the fds of the layers merged away */
			snprintf(pre, sizeof(pre), "vbd%d-", c->n);
			xo_fdpass_prune(c->vm, pre);
			return e;
		}
		if (hx_mono_ms() > deadline) {
			xerr_free(flush_err);
			xerr_free(xo_vm_qmp(c->vm, "block-job-cancel", obj1("device", json_object_new_string(job)), NULL));
			return xerr_new("INTERNAL_ERROR", "block-stream timed out", NULL);
		}
		usleep(100 * 1000);
	}
}

/* A merge through the consumer (sm.h, sm_live.stream). On any failure the
 * job this call started is cancelled (or, finalized already, dismissed):
 * a job left pending would keep the top busy and its copy-on-read filter
 * in the graph. When QEMU cannot be reached for that either, the next
 * merge or live snapshot of the disk drops it (drop_stale_jobs). */
static xerr *live_stream(void *ctx, const char *base_filename, const sm_progress *p)
{
	struct live_ctx *c = ctx;
	drop_stale_jobs(c->vm, c->n);
	c->leave_job = false;
	xerr *e = stream_run(c, base_filename, p);
	if (e && !c->leave_job)
		drop_stale_jobs(c->vm, c->n);
	return e;
}

static xerr *live_resize(void *ctx, int64_t size)
{
	struct live_ctx *c = ctx;
	xerr *e = NULL;
	char *top = top_node(c->vm, c->n, &e);
	if (!top)
		return e;
	json_object *a = obj1("node-name", json_object_new_string(top));
	json_object_object_add(a, "size", json_object_new_int64(size));
	e = xo_vm_qmp(c->vm, "block_resize", a, NULL);
	free(top);
	return e;
}

static xerr *live_flush(void *ctx)
{
	struct live_ctx *c = ctx;
	return flush_node(c->vm, c->n);
}

static void live_release(void *ctx)
{
	struct live_ctx *c = ctx;
	if (c) {
		free(c->vm);
		free(c);
	}
}

bool vbd_live_hooks(const char *vm_uuid, const char *userdevice, sm_live *out)
{
	memset(out, 0, sizeof(*out));
	int n = xo_devnum(userdevice, 256);
	if (n < 0 || xenops_state(vm_uuid) == XO_GONE)
		return false;
	struct live_ctx *c = hx_calloc(1, sizeof(*c));
	c->vm = hx_strdup(vm_uuid);
	c->n = n;
	out->ctx = c;
	out->snapshot = live_snapshot;
	out->stream = live_stream;
	out->resize = live_resize;
	out->top_file = live_top_file;
	out->flush = live_flush;
	out->release = live_release;
	return true;
}
