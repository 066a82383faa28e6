/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one value model shared by the XML-RPC and JSON-RPC codecs, the
 * dispatcher, the object store and xe.
 *
 * Wire values are untyped at this level: a ref, an enum and a uuid are all
 * XV_STRING; the dispatcher converts wire values into API-typed values using
 * the generated metadata (see xapid/api/meta.h).
 *
 * Ownership: every constructor returns a new heap value owned by the caller.
 * Functions whose comment says "takes" take ownership of their argument.
 * xv_free() accepts NULL and returns NULL (x = xv_free(x);).
 * Allocation failure aborts the process (hx_oom()); nothing here logs.
 */
#ifndef HALYARD_RPC_VALUE_H
#define HALYARD_RPC_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum xv_kind {
	XV_NIL = 0,  /* <nil/> / JSON null */
	XV_STRING,   /* UTF-8, may contain NUL only if len says so (never valid) */
	XV_INT,      /* int64; XML-RPC emits a bare string unless XVF_I32 */
	XV_FLOAT,    /* double */
	XV_BOOL,
	XV_DATETIME, /* seconds since the Unix epoch, UTC */
	XV_ARRAY,
	XV_STRUCT,   /* ordered members, unique keys */
} xv_kind;

/* Flags on a value that only affect how it is encoded. */
enum {
	XVF_I32 = 1u << 0, /* XV_INT: emit <i4> in XML-RPC (event.from counts) */
};

typedef struct xv xv;

typedef struct xv_member {
	char *key; /* owned, NUL-terminated */
	xv *val;   /* owned */
} xv_member;

struct xv {
	xv_kind kind;
	uint32_t flags;
	union {
		struct {
			char *s; /* owned, always NUL-terminated */
			size_t len;
		} str;
		int64_t i;
		double f;
		bool b;
		int64_t dt;
		struct {
			xv **items;
			size_t n, cap;
		} arr;
		struct {
			xv_member *m;
			size_t n, cap;
		} st;
	} u;
};

/* Constructors. */
xv *xv_nil(void);
xv *xv_str(const char *s);                 /* copies; NULL gives "" */
xv *xv_strn(const char *s, size_t len);    /* copies len bytes */
xv *xv_str_own(char *s);                   /* takes s (malloc'd) */
xv *xv_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
xv *xv_int(int64_t i);
xv *xv_i32(int32_t i);                     /* XV_INT with XVF_I32 */
xv *xv_float(double f);
xv *xv_bool(bool b);
xv *xv_datetime(int64_t t);
xv *xv_array(void);
xv *xv_struct(void);

/* Destructor: frees v and everything below it. Accepts NULL, returns NULL. */
xv *xv_free(xv *v);

/* Deep copy. */
xv *xv_dup(const xv *v);

/* Deep equality (kinds must match; struct member order is ignored). */
bool xv_equal(const xv *a, const xv *b);

/* Arrays. xv_array_push takes item. */
void xv_array_push(xv *arr, xv *item);
size_t xv_len(const xv *v); /* array items, struct members, string bytes */
xv *xv_array_get(const xv *arr, size_t i);
/* Removes and returns item i (caller owns it). */
xv *xv_array_take(xv *arr, size_t i);

/* Structs. xv_struct_set takes val and replaces an existing member. */
void xv_struct_set(xv *st, const char *key, xv *val);
xv *xv_struct_get(const xv *st, const char *key);   /* NULL if absent */
bool xv_struct_del(xv *st, const char *key);        /* true if removed */
/* Appends a member without looking for an existing one: O(1), for builders
 * that know their keys are unique (get_all_records…). Takes key (heap) and
 * val. A duplicate key breaks the struct's invariant: callers must not. */
void xv_struct_append(xv *st, char *key, xv *val);
/* Shorthand: the string of member key, or NULL when absent/not a string. */
const char *xv_struct_str(const xv *st, const char *key);

/* Convenience accessors: NULL/0 when v is not of that kind. */
const char *xv_s(const xv *v);

/* Datetime text in XAPI's wire form "%Y%m%dT%H:%M:%SZ". buf >= 18 bytes. */
void xv_datetime_format(int64_t t, char *buf, size_t size);
/* Parses "20250319T04:16:24Z", "2025-03-19T04:16:24Z", with an optional
 * offset "+01:00"/"-0100" or none (taken as UTC), and an optional
 * fractional part (dropped). The time may also be written without colons
 * ("T041624"). Results outside years 0000-9999 are refused, since
 * xv_datetime_format clamps to that range. Returns 0 and *t on success,
 * -EINVAL otherwise. */
int xv_datetime_parse(const char *s, int64_t *t);

/* A compact, JSON-like rendering for tests and logs (caller frees). */
char *xv_to_debug(const xv *v);

/*
 * XenAPI errors: a code plus string parameters, exactly as they go into
 * ErrorDescription. Library and API code returns xerr* (NULL = success).
 */
typedef struct xerr {
	char *code;
	char **params;
	size_t nparams;
} xerr;

/* xerr_new("HANDLE_INVALID", "VM", ref, NULL): the list ends with NULL. */
xerr *xerr_new(const char *code, ...) __attribute__((sentinel));
xerr *xerr_newv(const char *code, const char *const *params, size_t n);
/* One parameter built with printf: xerr_newf("INTERNAL_ERROR", "%s", m). */
xerr *xerr_newf(const char *code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void xerr_add(xerr *e, const char *param);
xerr *xerr_free(xerr *e);
xerr *xerr_dup(const xerr *e);
/* As a value: [code, params...] (an array of strings). */
xv *xerr_to_xv(const xerr *e);

/* Memory helpers: abort on exhaustion. */
void *hx_malloc(size_t n);
void *hx_calloc(size_t n, size_t m);
void *hx_realloc(void *p, size_t n);
char *hx_strdup(const char *s);
char *hx_strndup(const char *s, size_t n);
char *hx_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void hx_oom(void);

#endif
