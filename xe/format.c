/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Turning API values into the text xe prints, driven by the field tables:
 * refs as the target's uuid (or name), "<not in database>" for null or
 * dangling refs, sets joined with "; ", maps as "k: v; k2: v2", floats
 * with three decimals, datetimes in XAPI's "%Y%m%dT%H:%M:%SZ" form.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"
#include "xe.h"

#define NOT_IN_DB "<not in database>"

const xv *xe_field_value(xe_ctx *x, const xe_field_def *fd, const xv *rec)
{
	if (!fd->api || !rec || rec->kind != XV_STRUCT)
		return NULL;
	if (fd->via) {
		const char *ref = xv_struct_str(rec, fd->via);
		const xv *target = xe_refcache_get(x ? x->refs : NULL, ref);
		if (!target)
			return NULL;
		return xv_struct_get(target, fd->api);
	}
	return xv_struct_get(rec, fd->api);
}

/* True when the string values of fd are refs. */
static bool holds_refs(const xe_field_def *fd, const char *s)
{
	if (fd->ref_class || fd->kind == 'r')
		return true;
	if (fd->kind == '?' || fd->kind == 0)
		return strncmp(s, "OpaqueRef:", 10) == 0;
	return false;
}

static void put_ref(xe_ctx *x, const xe_field_def *fd, const char *ref, strbuf *sb)
{
	if (hx_is_null_ref(ref)) {
		sb_puts(sb, NOT_IN_DB);
		return;
	}
	const xv *rec = xe_refcache_get(x ? x->refs : NULL, ref);
	const char *s = NULL;
	if (rec)
		s = xv_struct_str(rec, fd->show == XE_SHOW_NAME ? "name_label" : "uuid");
	sb_puts(sb, s ? s : NOT_IN_DB);
}

static void put_scalar(xe_ctx *x, const xe_field_def *fd, const xv *v, strbuf *sb)
{
	char buf[40];
	switch (v->kind) {
	case XV_NIL:
		break;
	case XV_STRING:
		if (holds_refs(fd, v->u.str.s)) {
			put_ref(x, fd, v->u.str.s, sb);
		} else if (fd->lower) {
			for (size_t i = 0; i < v->u.str.len; i++)
				sb_putc(sb, (char)tolower((unsigned char)v->u.str.s[i]));
		} else {
			sb_putn(sb, v->u.str.s, v->u.str.len);
		}
		break;
	case XV_INT:
		sb_printf(sb, "%" PRId64, v->u.i);
		break;
	case XV_FLOAT:
		sb_printf(sb, "%.3f", v->u.f);
		break;
	case XV_BOOL:
		sb_puts(sb, v->u.b ? "true" : "false");
		break;
	case XV_DATETIME:
		xv_datetime_format(v->u.dt, buf, sizeof(buf));
		sb_puts(sb, buf);
		break;
	case XV_ARRAY:
	case XV_STRUCT: {
		/* nested containers do not occur in CLI fields; show them compactly */
		char *d = xv_to_debug(v);
		sb_puts(sb, d);
		free(d);
		break;
	}
	}
}

void xe_format_value(xe_ctx *x, const xe_field_def *fd, const xv *v, strbuf *sb)
{
	if (!v)
		return;
	if (v->kind == XV_ARRAY) {
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				sb_puts(sb, "; ");
			put_scalar(x, fd, v->u.arr.items[i], sb);
		}
		return;
	}
	if (v->kind == XV_STRUCT) {
		for (size_t i = 0; i < v->u.st.n; i++) {
			const char *k = v->u.st.m[i].key;
			if (i)
				sb_puts(sb, "; ");
			if (!strncmp(k, "OpaqueRef:", 10) && xe_refcache_get(x ? x->refs : NULL, k))
				put_ref(x, fd, k, sb);
			else
				sb_puts(sb, k);
			sb_puts(sb, ": ");
			put_scalar(x, fd, v->u.st.m[i].val, sb);
		}
		return;
	}
	put_scalar(x, fd, v, sb);
}

char *xe_format_field(xe_ctx *x, const xe_class_def *cd, const xe_field_def *fd,
		      const char *ref, const xv *rec, bool expensive_ok)
{
	strbuf sb = STRBUF_INIT;
	(void)cd;
	(void)ref;
	if (fd->expensive && !expensive_ok)
		return hx_strdup("<expensive field>");
	if (!fd->api)
		return hx_strdup("<unknown>");
	if (fd->via) {
		const char *vref = xv_struct_str(rec, fd->via);
		if (!xe_refcache_get(x ? x->refs : NULL, vref))
			return hx_strdup(NOT_IN_DB);
	}
	const xv *v = xe_field_value(x, fd, rec);
	if (!v)
		return hx_strdup(NOT_IN_DB);
	xe_format_value(x, fd, v, &sb);
	return sb_steal(&sb, NULL);
}

xerr *xe_prefetch_refs(xe_ctx *x, const xe_class_def *cd, const xe_field_def *const *fds,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const xe_field_def *fd = fds[i];
		const char *need[2] = { fd->via_class, fd->ref_class };
		if (!fd->api)
			continue;
		for (int j = 0; j < 2; j++) {
			if (!need[j] || xe_refcache_has_class(x->refs, need[j]))
				continue;
			/* A class the server cannot list just shows as not in
			 * the database; it does not fail the command. */
			xerr *e = xe_refcache_load(x, need[j]);
			if (e) {
				if (!strcmp(e->code, XE_TRANSPORT_ERROR))
					return e;
				xerr_free(e);
				xe_refcache_mark_class(x->refs, need[j]);
			}
		}
	}
	(void)cd;
	return NULL;
}
