/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The XenAPI dispatcher: from (method name, wire params) to a handler,
 * with arity, session, RBAC and type checks driven by the generated
 * tables (meta.h), the generic implementation of implicit messages, and
 * Async.* → task.
 *
 * Completion is asynchronous: rpc_dispatch() calls done() exactly once,
 * either before it returns or later from another thread (a long-polling
 * event.from, an Async call's task creation never blocks).
 */
#ifndef HALYARD_API_DISPATCH_H
#define HALYARD_API_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "meta.h"
#include "value.h"

struct xapid;
struct store;
struct txn;

/* Who is calling, as the transport saw it. */
typedef struct rpc_origin {
	bool via_unix;         /* local unix socket */
	uid_t peer_uid;        /* unix socket peers */
	const char *peer_addr; /* for logs and session records */
	const char *originator;
} rpc_origin;

typedef void (*rpc_done_fn)(void *arg, xv *result /* taken */, xerr *err /* taken */);

/* A deferred reply (see rpc_defer). */
typedef struct rpc_pending rpc_pending;

/* What a handler sees. */
typedef struct call_ctx {
	struct xapid *app;
	const api_msg *msg;
	const rpc_origin *origin;
	/* The caller's session (NULL for session-less messages). */
	const char *session_ref;
	enum api_role role;      /* the session's role */
	bool local_superuser;
	const char *user_name;   /* "root" … */
	const char *subject_ref; /* or NULL */
	/* Set when running as the body of an Async task. */
	const char *task_ref;
	/* Completion, for handlers that reply later. */
	rpc_done_fn done;
	void *done_arg;
	bool deferred;
} call_ctx;

/* Sentinel a handler returns after rpc_defer(): "I will answer later". */
extern xerr rpc_deferred_sentinel;
#define RPC_DEFERRED (&rpc_deferred_sentinel)

/* Takes over the reply of ctx's call; the handler then returns RPC_DEFERRED
 * and later calls rpc_pending_complete exactly once. */
rpc_pending *rpc_defer(call_ctx *ctx);
void rpc_pending_complete(rpc_pending *p, xv *result /* taken */, xerr *err /* taken */);

/* Dispatches one call. Takes params (an XV_ARRAY). */
void rpc_dispatch(struct xapid *app, const rpc_origin *origin, const char *method, xv *params,
		  rpc_done_fn done, void *arg);

/* Runs ctx->msg's handler (custom, override or generic) on typed args.
 * Pointers in ctx are only valid during the call: a handler that defers
 * or queues work copies what it needs. */
xerr *dispatch_invoke(call_ctx *ctx, xv *const *args, xv **result);

/* The generic implementation of implicit messages (get_record …). */
xerr *implicit_call(call_ctx *ctx, xv *const *args, xv **result);

/*
 * Converts a wire value into its API-typed form (enums canonicalised,
 * ints from strings, refs checked …). Takes v; returns the typed value
 * in *out or an error (FIELD_TYPE_ERROR / INVALID_VALUE with XAPI's
 * params). what names the parameter or field in errors.
 */
xerr *api_coerce(const api_type *t, xv *v, const char *what, xv **out);
/* The default value of a field or param as an API-typed value. */
xv *api_default_value(const api_type *t, const char *default_json);
/* A fresh record of class cls with every field at its default. */
xv *api_default_record(int cls);
/* The value as a string (for where-expressions, xe, plugin args). */
char *api_value_to_string(const xv *v);

/* RBAC: may a session of role r call m (and touch map key key)? */
bool rbac_allowed(enum api_role r, const api_msg *m, const char *key);
/* The RBAC_PERMISSION_DENIED error for m (and key). */
xerr *rbac_denied(const api_msg *m, const char *key);

/* Writes: helpers for handlers. db_commit first runs ops_precommit. */
xerr *db_begin(call_ctx *ctx, bool write, struct txn **t);
xerr *db_commit(struct txn *t);
/* Defined by xapid/ops (vm_checks.c), optional: keeps derived fields
 * (a VM's allowed_operations) right inside every write txn committed
 * through db_commit; an error rolls the txn back. */
xerr *ops_precommit(struct txn *t);

/* HANDLE_INVALID unless ref names a row of class cls. */
xerr *check_ref(struct txn *t, int cls, const char *ref);

/*
 * Small helpers for handlers working on objects.
 * obj_fld(cls, "name") is the field index (aborts on a name the datamodel
 * lacks: that is a programming error, not input).
 */
int obj_fld(int cls, const char *name);
/* The field's value (NULL on error). */
xv *obj_get(struct txn *t, int cls, const char *ref, const char *field);
/* The field's value as a string (heap; "" on error). */
char *obj_get_str(struct txn *t, int cls, const char *ref, const char *field);
/* Sets a field; takes val. */
xerr *obj_set(struct txn *t, int cls, const char *ref, const char *field, xv *val);
/*
 * Creates an object: rec (taken) holds some fields; the others take their
 * defaults; a uuid is generated unless rec has one. *ref_out (heap, may be
 * NULL) receives the new ref.
 */
xerr *obj_create(struct txn *t, int cls, xv *rec, char **ref_out);

#endif
