/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm: the driver registry and the helpers every driver and xapid share
 * (sm_open, sm_vdi_info, probe results, SR handles, backend errors).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sm.h"
#include "strbuf.h"

void sm_open_clear(sm_open *o)
{
	if (!o)
		return;
	free(o->format);
	free(o->protocol);
	free(o->filename);
	free(o->protocol_json);
	memset(o, 0, sizeof(*o));
}

static char *dup_or_null(const char *s)
{
	return s ? hx_strdup(s) : NULL;
}

void sm_open_copy(sm_open *dst, const sm_open *src)
{
	dst->format = dup_or_null(src->format);
	dst->protocol = dup_or_null(src->protocol);
	dst->filename = dup_or_null(src->filename);
	dst->protocol_json = dup_or_null(src->protocol_json);
	dst->read_only = src->read_only;
	dst->backing_chain = src->backing_chain;
}

/* JSON string literal of s appended to b. */
static void json_str(strbuf *b, const char *s)
{
	sb_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			sb_printf(b, "\\u%04x", *p);
		else
			sb_putc(b, (char)*p);
	}
	sb_putc(b, '"');
}

char *sm_open_protocol_json(const sm_open *o)
{
	if (o->protocol_json)
		return hx_strdup(o->protocol_json);
	strbuf b = STRBUF_INIT;
	sb_puts(&b, "{\"driver\":");
	json_str(&b, o->protocol ? o->protocol : "file");
	sb_puts(&b, ",\"filename\":");
	json_str(&b, o->filename ? o->filename : "");
	sb_putc(&b, '}');
	return sb_steal(&b, NULL);
}

void sm_vdi_info_clear(sm_vdi_info *v)
{
	if (!v)
		return;
	free(v->location);
	free(v->uuid);
	free(v->name_label);
	free(v->format);
	free(v->parent_location);
	free(v->moved_location);
	memset(v, 0, sizeof(*v));
}

void sm_vdi_list_clear(sm_vdi_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		sm_vdi_info_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

sm_vdi_info *sm_vdi_list_add(sm_vdi_list *l)
{
	l->v = hx_realloc(l->v, (l->n + 1) * sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

void sm_progress_set(const sm_progress *p, double f)
{
	if (p && p->set)
		p->set(p->ctx, f < 0 ? 0 : f > 1 ? 1 : f);
}

bool sm_progress_cancelled(const sm_progress *p)
{
	return p && p->cancelled && p->cancelled(p->ctx);
}

void sm_probe_result_clear(sm_probe_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		sm_probe_sr *s = &r->srs[i];
		free(s->uuid);
		free(s->name_label);
		free(s->name_description);
		xv_free(s->device_config);
		xv_free(s->extra);
	}
	free(r->srs);
	free(r->xml);
	memset(r, 0, sizeof(*r));
}

sm_probe_sr *sm_probe_result_add(sm_probe_result *r)
{
	r->srs = hx_realloc(r->srs, (r->n + 1) * sizeof(*r->srs));
	memset(&r->srs[r->n], 0, sizeof(r->srs[0]));
	return &r->srs[r->n++];
}

static void xml_text(strbuf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '&': sb_puts(b, "&amp;"); break;
		default: sb_putc(b, *s);
		}
	}
}

char *sm_probe_xml(const sm_probe_result *r)
{
	if (r->xml)
		return hx_strdup(r->xml);
	strbuf b = STRBUF_INIT;
	sb_puts(&b, "<?xml version=\"1.0\" ?>\n<SRlist>\n");
	for (size_t i = 0; i < r->n; i++) {
		const sm_probe_sr *s = &r->srs[i];
		sb_puts(&b, "\t<SR>\n\t\t<UUID>");
		xml_text(&b, s->uuid ? s->uuid : "");
		sb_puts(&b, "</UUID>\n");
		if (s->name_label) {
			sb_puts(&b, "\t\t<name_label>");
			xml_text(&b, s->name_label);
			sb_puts(&b, "</name_label>\n");
		}
		sb_printf(&b, "\t\t<size>%lld</size>\n\t\t<free_space>%lld</free_space>\n",
		          (long long)s->total_space, (long long)s->free_space);
		sb_puts(&b, "\t</SR>\n");
	}
	sb_puts(&b, "</SRlist>\n");
	return sb_steal(&b, NULL);
}

xerr *sm_backend_failure(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0)
		hx_oom();
	va_end(ap);
	char name[48];
	snprintf(name, sizeof(name), "SR_BACKEND_FAILURE_%d", code);
	xerr *e = xerr_new(name, "", text, "", NULL);
	free(text);
	return e;
}

/* ---- registry ----------------------------------------------------------- */

/* Every driver this binary may hold; weak ones are NULL when not linked. */
static const sm_driver *const all_drivers[] = {
	&sm_driver_file, &sm_driver_ext, &sm_driver_iso, &sm_driver_lvm,
	&sm_driver_nfs, &sm_driver_iso_nfs,
};
#define N_ALL (sizeof(all_drivers) / sizeof(all_drivers[0]))
static const sm_driver *linked[N_ALL + 1];
static pthread_once_t linked_once = PTHREAD_ONCE_INIT;

static void linked_fill(void)
{
	size_t n = 0;
	for (size_t i = 0; i < N_ALL; i++)
		if (all_drivers[i])
			linked[n++] = all_drivers[i];
	linked[n] = NULL;
}

const sm_driver *const *sm_drivers(void)
{
	pthread_once(&linked_once, linked_fill);
	return linked;
}

const sm_driver *sm_driver_find(const char *type)
{
	if (!type)
		return NULL;
	for (const sm_driver *const *d = sm_drivers(); *d; d++)
		if (strcmp((*d)->type, type) == 0)
			return *d;
	return NULL;
}

bool sm_has_cap(const sm_driver *d, const char *cap)
{
	for (const char *const *c = d->capabilities; c && *c; c++)
		if (strcmp(*c, cap) == 0)
			return true;
	return false;
}

/* ---- SR handles --------------------------------------------------------- */

/* A copy of a string map keeping only string values (NULL: empty). */
static xv *str_map_copy(const xv *m)
{
	xv *out = xv_struct();
	if (m && m->kind == XV_STRUCT)
		for (size_t i = 0; i < m->u.st.n; i++)
			if (m->u.st.m[i].val->kind == XV_STRING)
				xv_struct_set(out, m->u.st.m[i].key, xv_dup(m->u.st.m[i].val));
	return out;
}

sm_sr *sm_sr_new(const char *type, const char *uuid, const xv *device_config,
                 const xv *sm_config, const char *local_dir, xerr **err)
{
	const sm_driver *d = sm_driver_find(type);
	if (!d) {
		*err = xerr_new("SR_UNKNOWN_DRIVER", type ? type : "", NULL);
		return NULL;
	}
	if (d == &sm_driver_iso && sm_iso_on_nfs(device_config))
		d = &sm_driver_iso_nfs;
	sm_sr *sr = hx_calloc(1, sizeof(*sr));
	sr->drv = d;
	sr->uuid = hx_strdup(uuid);
	sr->type = hx_strdup(type);
	sr->device_config = str_map_copy(device_config);
	sr->sm_config = str_map_copy(sm_config);
	sr->local_dir = local_dir ? hx_strdup(local_dir) : NULL;
	pthread_mutex_init(&sr->lock, NULL);
	return sr;
}

sm_sr *sm_sr_free(sm_sr *sr)
{
	if (!sr)
		return NULL;
	free(sr->uuid);
	free(sr->type);
	xv_free(sr->device_config);
	xv_free(sr->sm_config);
	free(sr->local_dir);
	pthread_mutex_destroy(&sr->lock);
	free(sr);
	return NULL;
}

const char *sm_sr_dconf(const sm_sr *sr, const char *key)
{
	return xv_struct_str(sr->device_config, key);
}

bool sm_sr_live(sm_sr *sr, const char *location, sm_live *out)
{
	memset(out, 0, sizeof(*out));
	return sr->live_lookup && sr->live_lookup(sr->live_ctx, sr, location, out);
}

void sm_live_release(sm_live *l)
{
	if (l && l->release)
		l->release(l->ctx);
	if (l)
		memset(l, 0, sizeof(*l));
}

/* Whether the crash control file's first line is `line` (then it is
 * removed: each arming fires once). */
static bool ctl_fires(const char *line)
{
	const char *ctl = getenv("HALYARD_CRASH_CTL");
	if (!ctl || !*ctl)
		return false;
	FILE *f = fopen(ctl, "r");
	if (!f)
		return false;
	char buf[128] = { 0 };
	bool hit = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\r\n")] = 0;
	if (!hit || strcmp(buf, line) != 0)
		return false;
	unlink(ctl);
	return true;
}

void sm_crash_point(const char *point)
{
	if (!ctl_fires(point))
		return;
	fprintf(stderr, "sm: crash point %s: SIGKILL\n", point);
	kill(getpid(), SIGKILL);
}

bool sm_fail_point(const char *point)
{
	char line[128];
	snprintf(line, sizeof(line), "fail:%s", point);
	if (!ctl_fires(line))
		return false;
	fprintf(stderr, "sm: fail point %s: failing this step\n", point);
	return true;
}
