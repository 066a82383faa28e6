/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PUT /import_raw_vdi and GET /export_raw_vdi (query: vdi = ref or uuid,
 * format = raw | vhd | qcow2, session_id, task_id).
 *
 * Import streams the body into a staging file in the SR's host-local
 * directory (bounded memory: each chunk is written as it arrives), then
 * checks it (complete, the format parses, no backing file, fits the VDI)
 * and only then converts it into the VDI with qemu-img. A truncated or
 * corrupt upload fails the task and leaves the VDI as it was. An empty
 * PUT (Xen Orchestra's probe) is answered 200 and imports nothing.
 *
 * Export converts the VDI (its whole chain, flattened) into a temporary
 * file in that directory, unlinked at once, and streams it; a raw VDI
 * exported as raw is streamed straight from its image.
 *
 * The task named by task_id (or one made here) gets progress and the
 * outcome; its result is the VDI ref.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "http_auth.h"
#include "ops.h"
#include "qimg.h"
#include "storage.h"
#include "tasks.h"
#include "util.h"
#include "vdi_http.h"
#include "vhd.h"
#include "xapid.h"

#define FAKE_LENGTH ((uint64_t)1 << 50) /* XO's "unknown length" */

static atomic_uint seq;

static void respond_text(http_req *r, int status, const char *msg)
{
	char *body = hx_asprintf("<html><body><h1>HTTP %d %s</h1></body></html>", status, msg);
	http_respond(r, status, "text/html", body, strlen(body), NULL);
}

static const char *rs(const xv *rec, const char *f)
{
	const char *s = xv_struct_str(rec, f);
	return s ? s : "";
}

/* The VDI of the query (ref or uuid): ref and record (heap), or false. */
static bool find_vdi(xapid *app, const char *q, char **ref, xv **rec)
{
	*ref = NULL;
	*rec = NULL;
	if (!q)
		return false;
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		xerr_free(e);
		return false;
	}
	if (store_exists(t, CLS_VDI, q))
		*ref = hx_strdup(q);
	else
		*ref = store_ref_of_uuid(t, CLS_VDI, q);
	if (*ref && (e = store_get_record(t, CLS_VDI, *ref, rec))) {
		xerr_free(e);
		free(*ref);
		*ref = NULL;
	}
	store_rollback(t);
	return *ref != NULL;
}

/* The task of the query or a new one (heap ref); NULL on error. */
static char *task_for(xapid *app, http_req *r, const session_view *v, const char *label,
                      bool *own)
{
	const char *q = http_query(r, "task_id");
	*own = false;
	if (q && *q) {
		txn *t;
		xerr *e = store_begin(app->db, false, &t);
		if (e) {
			xerr_free(e);
			return NULL;
		}
		bool ok = store_exists(t, CLS_task, q);
		store_rollback(t);
		return ok ? hx_strdup(q) : NULL;
	}
	char *ref = NULL;
	xerr *e = tasks_create(app, label, "", v->ref, &ref);
	if (e) {
		xerr_free(e);
		return NULL;
	}
	*own = true;
	return ref;
}

static const char *qemu_fmt(const char *fmt)
{
	return !strcmp(fmt, "vhd") ? "vpc" : fmt;
}

static bool fmt_ok(const char *f)
{
	return !strcmp(f, "raw") || !strcmp(f, "vhd") || !strcmp(f, "qcow2");
}

/* ---- import ------------------------------------------------------------------ */

struct imp {
	xapid *app;
	http_req *r;
	char *vdi, *task, *sr, *fmt, *staging;
	xv *rec;
	int fd;
	uint64_t got, expect, next_progress;
	bool fake_len;
	int err;
};

static void imp_free(struct imp *m)
{
	if (m->fd >= 0)
		close(m->fd);
	if (m->staging)
		unlink(m->staging);
	free(m->vdi);
	free(m->task);
	free(m->sr);
	free(m->fmt);
	free(m->staging);
	xv_free(m->rec);
	free(m);
}

/* Checks the staged upload and converts it into the VDI. */
static xerr *imp_apply(struct imp *m, bool cut)
{
	if (m->err == ENOSPC || m->err == EDQUOT)
		return sm_backend_failure(SM_E_NO_SPACE, "no space left while staging the upload");
	if (m->err)
		return xerr_newf("VDI_IO_ERROR", "staging the upload: %s", strerror(m->err));
	if (cut && !m->fake_len)
		return xerr_newf("VDI_IO_ERROR", "the upload was cut short after %llu of %llu bytes",
		                 (unsigned long long)m->got, (unsigned long long)m->expect);
	if (fsync(m->fd) < 0)
		return xerr_newf("VDI_IO_ERROR", "staging the upload: %s", strerror(errno));
	int64_t vsize = 0;
	xv *vs = xv_struct_get(m->rec, "virtual_size");
	if (vs && vs->kind == XV_INT)
		vsize = vs->u.i;
	int64_t need = (int64_t)m->got;
	if (!strcmp(m->fmt, "vhd")) {
		vhd_info vi;
		if (vhd_check_fd(m->fd, m->got, &vi) < 0)
			return xerr_new("VDI_IO_ERROR", "the upload is not a valid VHD (fixed or dynamic)",
			                NULL);
		need = (int64_t)vi.current_size;
	} else if (!strcmp(m->fmt, "qcow2")) {
		qimg_info qi;
		xerr *e = qimg_info_get(m->staging, "qcow2", &qi);
		if (e) {
			xerr_free(e);
			return xerr_new("VDI_IO_ERROR", "the upload is not a valid qcow2 image", NULL);
		}
		bool bad = qi.backing_filename || qi.corrupt;
		need = qi.virtual_size;
		qimg_info_clear(&qi);
		if (bad)
			return xerr_new("VDI_IO_ERROR",
			                "the qcow2 upload has a backing file or is corrupt", NULL);
	}
	if (need > vsize) {
		char n[32];
		snprintf(n, sizeof(n), "%lld", (long long)need);
		return xerr_new("VDI_TOO_SMALL", m->vdi, n, NULL);
	}
	sm_sr *sr;
	xerr *e = storage_get(m->app, m->sr, &sr);
	if (e)
		return e;
	sm_open dst = { 0 };
	/* The SR lock keeps the GC (and other chain changes) off the image
	 * while it is written: two writers would corrupt a qcow2 chain. */
	pthread_mutex_lock(&sr->lock);
	if (!sr->drv->vdi_attach)
		e = xerr_new("SR_OPERATION_NOT_SUPPORTED", m->sr, NULL);
	else
		e = sr->drv->vdi_attach(sr, rs(m->rec, "location"), true, &dst);
	if (!e && dst.read_only)
		e = xerr_new("VDI_READONLY", m->vdi, NULL);
	if (!e) {
		sm_open src = { .format = (char *)qemu_fmt(m->fmt), .filename = m->staging };
		storage_prog sp = { .app = m->app, .task_ref = m->task, .lo = 0.6, .hi = 0.98 };
		sm_progress p = storage_progress(&sp);
		e = sm_copy_data(&src, &dst, &p);
	}
	if (sr->drv->vdi_detach && dst.filename)
		xerr_free(sr->drv->vdi_detach(sr, rs(m->rec, "location")));
	pthread_mutex_unlock(&sr->lock);
	sm_open_clear(&dst);
	storage_put(sr);
	if (!e)
		xerr_free(storage_update_sizes(m->app, m->sr));
	return e;
}

static void imp_finish(void *arg)
{
	struct imp *m = arg;
	bool cut = http_body_cut(m->r);
	xerr *e = imp_apply(m, cut);
	xv *res = e ? NULL : xv_str(m->vdi);
	xerr_free(tasks_finish(m->app, m->task, res, e));
	xv_free(res);
	if (e) {
		fprintf(stderr, "xapid: import_raw_vdi %s: %s %s\n", m->vdi, e->code,
		        e->nparams ? e->params[e->nparams > 1 ? 1 : 0] : "");
		respond_text(m->r, 500, "Internal Server Error");
	} else {
		http_respond(m->r, 200, "text/plain", NULL, 0, NULL);
	}
	xerr_free(e);
	imp_free(m);
}

static int imp_chunk(void *cls, const char *data, size_t len)
{
	struct imp *m = cls;
	if (!data) {
		workers_submit(m->app->workers, imp_finish, m);
		return 0;
	}
	if (m->err)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = pwrite(m->fd, data + off, len - off, (off_t)(m->got + off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			m->err = w < 0 ? errno : ENOSPC;
			return -1;
		}
		off += (size_t)w;
	}
	m->got += len;
	if (m->expect && !m->fake_len && m->got >= m->next_progress) {
		xerr_free(tasks_set_progress(m->app, m->task, 0.6 * (double)m->got / (double)m->expect));
		m->next_progress = m->got + m->expect / 20 + 1;
	}
	return 0;
}

void handler_import_raw_vdi(void *appv, http_req *r)
{
	xapid *app = appv;
	session_view v;
	bool ok = http_session_ok(app, r, &v);
	if (!ok) {
		session_view_clear(&v);
		respond_text(r, 401, "Unauthorised");
		return;
	}
	if (v.role > ROLE_VM_ADMIN) {
		session_view_clear(&v);
		respond_text(r, 403, "Forbidden");
		return;
	}
	char *vdi = NULL;
	xv *rec = NULL;
	if (!find_vdi(app, http_query(r, "vdi"), &vdi, &rec)) {
		session_view_clear(&v);
		respond_text(r, 404, "Not Found");
		return;
	}
	const char *fmt = http_query(r, "format");
	if (!fmt || !*fmt)
		fmt = "raw";
	const char *cl = http_header(r, "Content-Length");
	uint64_t expect = cl ? strtoull(cl, NULL, 10) : 0;
	bool own;
	char *task = task_for(app, r, &v, "Xapi#getResource /import_raw_vdi", &own);
	session_view_clear(&v);
	if (!task) {
		free(vdi);
		xv_free(rec);
		respond_text(r, 404, "Not Found");
		return;
	}
	xerr *e = NULL;
	if (!fmt_ok(fmt))
		e = xerr_new("INVALID_VALUE", "format", fmt, NULL);
	/* The empty probe (XO) imports nothing. */
	if (!e && cl && expect == 0) {
		xerr_free(tasks_finish(app, task, NULL, NULL));
		http_respond(r, 200, "text/plain", NULL, 0, NULL);
		free(task);
		free(vdi);
		xv_free(rec);
		return;
	}
	txn *t;
	if (!e && !(e = store_begin(app->db, false, &t))) {
		size_t n;
		char **att = storage_vdi_attached_vbds(t, vdi, &n);
		if (n)
			e = xerr_new("VDI_IN_USE", vdi, "import", NULL);
		for (size_t i = 0; i < n; i++)
			free(att[i]);
		free(att);
		store_rollback(t);
	}
	struct imp *m = hx_calloc(1, sizeof(*m));
	m->app = app;
	m->r = r;
	m->vdi = vdi;
	m->rec = rec;
	m->task = task;
	m->fd = -1;
	m->fmt = hx_strdup(fmt);
	m->sr = hx_strdup(rs(rec, "SR"));
	m->expect = expect;
	m->fake_len = expect >= FAKE_LENGTH;
	if (!e) {
		sm_sr *sr;
		if (!(e = storage_get(app, m->sr, &sr))) {
			m->staging = hx_asprintf("%s/import-%d-%u.%s", sr->local_dir, (int)getpid(),
			                         atomic_fetch_add(&seq, 1), fmt);
			storage_put(sr);
			m->fd = open(m->staging, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (m->fd < 0)
				e = xerr_newf("VDI_IO_ERROR", "staging: %s", strerror(errno));
		}
	}
	if (e) {
		xerr_free(tasks_finish(app, task, NULL, e));
		xerr_free(e);
		respond_text(r, 500, "Internal Server Error");
		imp_free(m);
		return;
	}
	http_recv_body(r, imp_chunk, m);
}

/* ---- export ------------------------------------------------------------------ */

struct exp {
	xapid *app;
	http_req *r;
	char *vdi, *task, *fmt;
	xv *rec;
	int fd;
};

static ssize_t exp_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct exp *x = cls;
	ssize_t n;
	do
		n = pread(x->fd, buf, max, (off_t)pos);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : n;
}

static void exp_free(void *cls)
{
	struct exp *x = cls;
	if (x->fd >= 0)
		close(x->fd);
	xerr_free(tasks_finish(x->app, x->task, NULL, NULL));
	free(x->vdi);
	free(x->task);
	free(x->fmt);
	xv_free(x->rec);
	free(x);
}

static void exp_run(void *arg)
{
	struct exp *x = arg;
	const char *sr_ref = rs(x->rec, "SR");
	sm_sr *sr;
	xerr *e = storage_get(x->app, sr_ref, &sr);
	sm_open src = { 0 };
	char *tmp = NULL;
	/* The SR lock keeps the GC from rewriting the chain while it is read
	 * (the read shares no qcow2 lock with it: -U). */
	if (!e)
		pthread_mutex_lock(&sr->lock);
	/* A VDI a running VM writes: what QEMU has cached (new clusters' L2
	 * entries) goes to the file first, or the export would miss writes
	 * the guest saw complete. */
	sm_live lv;
	if (!e && sm_sr_live(sr, rs(x->rec, "location"), &lv)) {
		if (lv.flush)
			e = lv.flush(lv.ctx);
		sm_live_release(&lv);
	}
	if (!e)
		e = sr->drv->vdi_attach ? sr->drv->vdi_attach(sr, rs(x->rec, "location"), false, &src) :
		                          xerr_new("SR_OPERATION_NOT_SUPPORTED", sr_ref, NULL);
	if (!e && !strcmp(x->fmt, "raw") && src.format && !strcmp(src.format, "raw") &&
	    (!src.protocol || !strcmp(src.protocol, "file"))) {
		/* Straight from the image. */
		x->fd = open(src.filename, O_RDONLY | O_CLOEXEC);
		if (x->fd < 0)
			e = xerr_newf("VDI_IO_ERROR", "%s", strerror(errno));
	} else if (!e) {
		tmp = hx_asprintf("%s/export-%d-%u.%s", sr->local_dir, (int)getpid(),
		                  atomic_fetch_add(&seq, 1), x->fmt);
		storage_prog sp = { .app = x->app, .task_ref = x->task, .lo = 0.0, .hi = 0.5 };
		sm_progress p = storage_progress(&sp);
		const char *qf = qemu_fmt(x->fmt);
		if (!strcmp(qf, "vpc")) {
			/* Dynamic VHD with the exact size (force_size). */
			const char *argv[] = { "convert", "-p", "-U", "-f", src.format, "-O", "vpc",
			                       "-o", "subformat=dynamic,force_size=on",
			                       src.filename, tmp, NULL };
			char *err = NULL;
			int rc = qimg_run(argv, NULL, &err, &p);
			if (rc)
				e = sm_backend_failure(SM_E_IO, "qemu-img convert: %s", err ? err : "failed");
			free(err);
		} else {
			e = qimg_convert(&src, tmp, qf, true, &p);
		}
		if (!e) {
			x->fd = open(tmp, O_RDONLY | O_CLOEXEC);
			if (x->fd < 0)
				e = xerr_newf("VDI_IO_ERROR", "%s", strerror(errno));
		}
		unlink(tmp);
	}
	if (sr && sr->drv->vdi_detach && src.filename)
		xerr_free(sr->drv->vdi_detach(sr, rs(x->rec, "location")));
	if (sr)
		pthread_mutex_unlock(&sr->lock);
	sm_open_clear(&src);
	storage_put(sr);
	free(tmp);
	struct stat sb;
	if (!e && fstat(x->fd, &sb) < 0)
		e = xerr_newf("VDI_IO_ERROR", "%s", strerror(errno));
	if (e) {
		xerr_free(tasks_finish(x->app, x->task, NULL, e));
		xerr_free(e);
		respond_text(x->r, 500, "Internal Server Error");
		free(x->task);
		x->task = NULL;
		if (x->fd >= 0)
			close(x->fd);
		free(x->vdi);
		free(x->fmt);
		xv_free(x->rec);
		free(x);
		return;
	}
	xerr_free(tasks_set_progress(x->app, x->task, 0.5));
	const char *ct = !strcmp(x->fmt, "raw") ? "application/octet-stream" :
	                 !strcmp(x->fmt, "vhd") ? "application/vhd" : "application/x-qemu-disk";
	http_respond_stream(x->r, 200, ct, (uint64_t)sb.st_size, exp_read, exp_free, x, NULL);
}

void handler_export_raw_vdi(void *appv, http_req *r)
{
	xapid *app = appv;
	session_view v;
	bool ok = http_session_ok(app, r, &v);
	if (!ok) {
		session_view_clear(&v);
		respond_text(r, 401, "Unauthorised");
		return;
	}
	char *vdi = NULL;
	xv *rec = NULL;
	if (!find_vdi(app, http_query(r, "vdi"), &vdi, &rec)) {
		session_view_clear(&v);
		respond_text(r, 404, "Not Found");
		return;
	}
	const char *fmt = http_query(r, "format");
	if (!fmt || !*fmt)
		fmt = "raw";
	const char *base = http_query(r, "base");
	bool own;
	char *task = task_for(app, r, &v, "Xapi#getResource /export_raw_vdi", &own);
	session_view_clear(&v);
	if (!task || !fmt_ok(fmt) || (base && *base)) {
		if (task) {
			xerr *e = base && *base ?
				xerr_new("OPERATION_NOT_ALLOWED", "differential export (base) is not supported", NULL) :
				xerr_new("INVALID_VALUE", "format", fmt, NULL);
			xerr_free(tasks_finish(app, task, NULL, e));
			xerr_free(e);
		}
		respond_text(r, task ? 400 : 404, task ? "Bad Request" : "Not Found");
		free(task);
		free(vdi);
		xv_free(rec);
		return;
	}
	struct exp *x = hx_calloc(1, sizeof(*x));
	x->app = app;
	x->r = r;
	x->vdi = vdi;
	x->rec = rec;
	x->task = task;
	x->fmt = hx_strdup(fmt);
	x->fd = -1;
	workers_submit(app->workers, exp_run, x);
}
