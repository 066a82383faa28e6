/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Explicit (non-generated) commands: database dump/restore over HTTP,
 * host-call-plugin, task-cancel, event-wait, message-create/-destroy,
 * secret-create/-destroy and user-password-change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "util.h"
#include "xe.h"

static const char *req(xe_ctx *x, const char *k, xerr **e)
{
	const char *v = xe_param_get(x->params, k);
	if (!v && !*e)
		*e = xe_usage_error("Required parameter not found", k);
	return v;
}

/* Percent-encodes s for a query string. */
static void put_query_value(strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || c == ':')
			sb_putc(sb, (char)c);
		else
			sb_printf(sb, "%%%02X", c);
	}
}

static int pool_dump_database(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	xerr *e = NULL;
	const char *file = req(x, "file-name", &e);
	if (e)
		return xe_finish(e);
	FILE *f = fopen(file, "wb");
	if (!f)
		return xe_finish(xe_fail("Failed to write %s: %s", file, strerror(errno)));
	strbuf q = STRBUF_INIT;
	sb_puts(&q, "/pool/xmldbdump?session_id=");
	put_query_value(&q, x->session);
	e = xe_conn_http_get(x->conn, q.s, f);
	sb_free(&q);
	if (fclose(f) != 0 && !e)
		e = xe_fail("Failed to write %s: %s", file, strerror(errno));
	if (e)
		unlink(file);
	return xe_finish(e);
}

static int pool_restore_database(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	xerr *e = NULL;
	struct stat st;
	const char *file = req(x, "file-name", &e);
	if (e)
		return xe_finish(e);
	FILE *f = fopen(file, "rb");
	if (!f || fstat(fileno(f), &st) < 0) {
		if (f)
			fclose(f);
		return xe_finish(xe_fail("Failed to read %s: %s", file, strerror(errno)));
	}
	strbuf q = STRBUF_INIT;
	sb_puts(&q, "/pool/xmldbdump?session_id=");
	put_query_value(&q, x->session);
	sb_puts(&q, "&restore=true");
	if (xe_param_bool(x->params, "dry-run", false))
		sb_puts(&q, "&dry_run=true");
	e = xe_conn_http_put(x->conn, q.s, f, (long long)st.st_size);
	sb_free(&q);
	fclose(f);
	return xe_finish(e);
}

static int host_call_plugin(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	xerr *e = NULL;
	char *host = NULL;
	xv *res = NULL;
	const char *uuid = req(x, "host-uuid", &e);
	const char *plugin = req(x, "plugin", &e);
	const char *fn = req(x, "fn", &e);
	if (e)
		return xe_finish(e);
	xv *args = xv_struct();
	for (size_t i = 0; i < x->params->n; i++)
		if (!strncmp(x->params->p[i].key, "args:", 5))
			xv_struct_set(args, x->params->p[i].key + 5, xv_str(x->params->p[i].val));
	if (!(e = xe_ref_of_uuid(x, "host", uuid, &host))) {
		e = xe_callv(x, "host.call_plugin", &res, xv_str(host), xv_str(plugin),
			     xv_str(fn), args, NULL);
		args = NULL;
	}
	xv_free(args);
	if (!e)
		fprintf(x->out, "%s\n", xv_s(res) ? xv_s(res) : "");
	xv_free(res);
	free(host);
	return xe_finish(e);
}

/* Looks up uuid in class cls and calls cls.<msg>(ref). */
static int call_on_uuid(xe_ctx *x, const char *cls, const char *msg)
{
	xerr *e = NULL;
	char *ref = NULL;
	const char *uuid = req(x, "uuid", &e);
	if (!e && !(e = xe_ref_of_uuid(x, cls, uuid, &ref))) {
		char *m = hx_asprintf("%s.%s", cls, msg);
		e = xe_callv(x, m, NULL, xv_str(ref), NULL);
		free(m);
	}
	free(ref);
	return xe_finish(e);
}

static int task_cancel(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return call_on_uuid(x, "task", "cancel");
}

static int message_destroy(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return call_on_uuid(x, "message", "destroy");
}

static int secret_destroy(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return call_on_uuid(x, "secret", "destroy");
}

static int message_create(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const struct {
		const char *param, *cls;
	} objs[] = {
		{ "vm-uuid", "VM" },
		{ "host-uuid", "Host" },
		{ "sr-uuid", "SR" },
		{ "pool-uuid", "Pool" },
	};
	xerr *e = NULL;
	const char *name = req(x, "name", &e);
	const char *body = req(x, "body", &e);
	const char *prio = req(x, "priority", &e);
	const char *cls = NULL, *obj = NULL;
	if (e)
		return xe_finish(e);
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		const char *v = xe_param_get(x->params, objs[i].param);
		if (!v)
			continue;
		if (cls)
			return xe_finish(xe_fail("Give exactly one of vm-uuid, host-uuid, "
						 "sr-uuid or pool-uuid"));
		cls = objs[i].cls;
		obj = v;
	}
	if (!cls)
		return xe_finish(xe_fail("Need one of: vm-uuid, host-uuid, sr-uuid or "
					 "pool-uuid"));
	char *end;
	errno = 0;
	long long p = strtoll(prio, &end, 10);
	if (errno || end == prio || *end)
		return xe_finish(xe_fail("Parameter priority must be an integer"));
	e = xe_callv(x, "message.create", NULL, xv_str(name), xv_int(p), xv_str(cls),
		     xv_str(obj), xv_str(body), NULL);
	return xe_finish(e);
}

static int secret_create(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	xerr *e = NULL;
	xv *ref = NULL, *uuid = NULL;
	const char *value = req(x, "value", &e);
	if (e)
		return xe_finish(e);
	xv *rec = xv_struct();
	xv_struct_set(rec, "value", xv_str(value));
	xv_struct_set(rec, "other_config", xv_struct());
	if (!(e = xe_callv(x, "secret.create", &ref, rec, NULL)) &&
	    !(e = xe_callv(x, "secret.get_uuid", &uuid, xv_str(xv_s(ref)), NULL)))
		fprintf(x->out, "%s\n", xv_s(uuid) ? xv_s(uuid) : "");
	xv_free(ref);
	xv_free(uuid);
	return xe_finish(e);
}

static int user_password_change(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	xerr *e = NULL;
	const char *old = xe_param_get(x->params, "old");
	const char *nw = req(x, "new", &e);
	if (e)
		return xe_finish(e);
	e = xe_callv(x, "session.change_password", NULL, xv_str(old ? old : ""), xv_str(nw),
		     NULL);
	return xe_finish(e);
}

/*
 * event-wait class=<cli class> [field=value | field=/=value …]: follows
 * event.from from the empty token (which first reports every existing
 * object) until one object of the class satisfies every condition.
 * --minimal prints that object's uuid.
 */
static int event_wait(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	xerr *e = NULL;
	const char *clsname = req(x, "class", &e);
	if (e)
		return xe_finish(e);
	const xe_class_def *cd = xe_class_lookup(clsname);
	if (!cd)
		return xe_finish(xe_fail("Unknown class '%s'", clsname));

	struct cond {
		const xe_field_def *fd;
		const char *sub; /* map key */
		const char *val;
		bool neg;
	} *conds = NULL;
	size_t nc = 0;
	const xe_field_def **fds = NULL;
	for (size_t i = 0; i < x->params->n; i++) {
		const xe_param *p = &x->params->p[i];
		if (!strcmp(p->key, "class") || !strcmp(p->key, "minimal") ||
		    !strcmp(p->key, "timeout"))
			continue;
		struct cond c = { 0 };
		c.val = p->val;
		if (!strncmp(c.val, "/=", 2)) {
			c.neg = true;
			c.val += 2;
		}
		c.fd = xe_find_field(cd, p->key);
		if (!c.fd) {
			const char *colon = strchr(p->key, ':');
			if (colon) {
				char *n = hx_strndup(p->key, (size_t)(colon - p->key));
				c.fd = xe_find_field(cd, n);
				free(n);
				c.sub = colon + 1;
			}
		}
		if (!c.fd) {
			free(conds);
			free(fds);
			return xe_finish(xe_fail("Unknown field '%s'", p->key));
		}
		conds = hx_realloc(conds, (nc + 1) * sizeof(*conds));
		fds = hx_realloc(fds, (nc + 1) * sizeof(*fds));
		fds[nc] = c.fd;
		conds[nc++] = c;
	}
	if ((e = xe_prefetch_refs(x, cd, fds, nc)))
		goto out;

	char *token = hx_strdup("");
	bool done = false;
	while (!done && !e) {
		xv *res = NULL, *classes = xv_array();
		xv_array_push(classes, xv_str(cd->api));
		e = xe_callv(x, "event.from", &res, classes, xv_str(token), xv_float(30.0),
			     NULL);
		if (e)
			break;
		const char *nt = xv_struct_str(res, "token");
		if (nt) {
			free(token);
			token = hx_strdup(nt);
		}
		const xv *evs = xv_struct_get(res, "events");
		for (size_t i = 0; evs && i < xv_len(evs) && !done; i++) {
			const xv *ev = xv_array_get(evs, i);
			const char *op = xv_struct_str(ev, "operation");
			const xv *snap = xv_struct_get(ev, "snapshot");
			const char *ref = xv_struct_str(ev, "ref");
			if (!snap || !op || !strcmp(op, "del"))
				continue;
			bool ok = true;
			for (size_t j = 0; j < nc && ok; j++) {
				strbuf sb = STRBUF_INIT;
				if (conds[j].sub) {
					const xv *m = xe_field_value(x, conds[j].fd, snap);
					const xv *ent = m && m->kind == XV_STRUCT
								? xv_struct_get(m, conds[j].sub)
								: NULL;
					if (ent)
						xe_format_value(x, conds[j].fd, ent, &sb);
					ok = ent && !strcmp(sb.s ? sb.s : "", conds[j].val);
				} else {
					char *s = xe_format_field(x, cd, conds[j].fd, ref, snap, true);
					ok = !strcmp(s, conds[j].val);
					free(s);
				}
				sb_free(&sb);
				if (conds[j].neg)
					ok = !ok;
			}
			if (ok) {
				done = true;
				if (x->minimal)
					fprintf(x->out, "%s\n", xv_struct_str(snap, "uuid")
									? xv_struct_str(snap, "uuid")
									: "");
			}
		}
		xv_free(res);
	}
	free(token);
out:
	free(conds);
	free(fds);
	return xe_finish(e);
}

xe_cmd_fn xe_find_explicit(const char *cmd)
{
	static const struct {
		const char *name;
		xe_cmd_fn fn;
	} tab[] = {
		{ "pool-dump-database", pool_dump_database },
		{ "pool-restore-database", pool_restore_database },
		{ "host-call-plugin", host_call_plugin },
		{ "task-cancel", task_cancel },
		{ "event-wait", event_wait },
		{ "message-create", message_create },
		{ "message-destroy", message_destroy },
		{ "secret-create", secret_create },
		{ "secret-destroy", secret_destroy },
		{ "user-password-change", user_password_change },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].name, cmd))
			return tab[i].fn;
	xe_cmd_fn fn = xe_find_storage_cmd(cmd);
	if (!fn)
		fn = xe_find_net_cmd(cmd);
	return fn ? fn : xe_find_vm_cmd(cmd);
}
