/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xe: the Halyard command-line client. Internal interfaces shared by the
 * files of xe/ (argument parsing, transport, record printing, commands).
 *
 * xe runs every command client-side by making XenAPI calls (JSON-RPC 2.0
 * on POST /jsonrpc) over HTTPS or the local unix socket; it does not use
 * XAPI's /cli thin protocol.
 */
#ifndef HALYARD_XE_H
#define HALYARD_XE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "schema.h"
#include "strbuf.h"
#include "value.h"

/* ---- Parameters (argument parsing: args.c) ---------------------------- */

typedef struct xe_param {
	char *key; /* heap */
	char *val; /* heap */
	bool used; /* consumed by a command (for diagnostics) */
} xe_param;

typedef struct xe_params {
	xe_param *p;
	size_t n, cap;
} xe_params;

/* Connection settings gathered from argv, XE_* variables and ~/.xe. */
typedef struct xe_opts {
	char *server;       /* NULL: local unix socket */
	int port;           /* 0: default (443, or 80 with nossl) */
	char *username;     /* NULL: "root" */
	char *password;     /* NULL: "" */
	char *passwordfile;
	char *socket_path;  /* $XE_SOCKET or /var/lib/xcp/xapi */
	bool nossl;         /* plain HTTP */
	bool verify_cert;   /* default true */
	bool debug;
	bool help;          /* -help / --help given */
} xe_opts;

typedef struct xe_cmdline {
	char *cmd;          /* command name (heap) or NULL */
	xe_params params;   /* everything after the client options */
	xe_opts opts;
} xe_cmdline;

void xe_params_add(xe_params *ps, const char *key, const char *val);
/* Last value of key, or NULL. */
const char *xe_param_get(const xe_params *ps, const char *key);
bool xe_param_bool(const xe_params *ps, const char *key, bool def);
void xe_params_clear(xe_params *ps);

/*
 * Parses argv (without argv[0]) into *cl. Client options (-s, -p, -u,
 * -pw, -pwf, -h, --nossl, --debug, server=, port=, username=, password=,
 * passwordfile=, nossl=, debug=, verify-cert=, --no-verify-certificate)
 * go to cl->opts; "--x" becomes x=true; "-x v" becomes x=v; "k=v" splits
 * at the first '='; a bare word becomes k="". The first remaining token is
 * the command. rc is the content of ~/.xe (NULL for none), env a getenv.
 * Returns 0, or -1 with a message in *err (heap).
 */
int xe_parse_cmdline(int argc, char *const *argv, const char *rc,
		     const char *(*env)(const char *), xe_cmdline *cl, char **err);
/* Reads a password file (username line, password line) into opts. */
int xe_read_passwordfile(xe_opts *o, char **err);
void xe_cmdline_clear(xe_cmdline *cl);

/* ---- Transport (conn.c) ---------------------------------------------- */

typedef struct xe_conn xe_conn;

xe_conn *xe_conn_new(const xe_opts *o);
xe_conn *xe_conn_free(xe_conn *c);
/* Calls method with params (an XV_ARRAY; the session is NOT added). On
 * success returns NULL and *result (heap); otherwise the XenAPI error (a
 * transport failure is reported as XE_TRANSPORT_ERROR [message]). */
xerr *xe_conn_call(xe_conn *c, const char *method, const xv *params, xv **result);
/* HTTP GET path?query to a file (fd) / PUT a file to it. */
xerr *xe_conn_http_get(xe_conn *c, const char *path_and_query, FILE *out);
xerr *xe_conn_http_put(xe_conn *c, const char *path_and_query, FILE *in, long long size);
/* CONNECT path?query: on "200" copies the stream to out (and in_fd, if
 * >= 0, to the server) until the server closes; an error otherwise. */
xerr *xe_conn_connect_stream(xe_conn *c, const char *path_and_query, FILE *out, int in_fd);

/* ---- Session and call helpers (session.c) ----------------------------- */

typedef struct xe_ctx {
	xe_conn *conn;
	char *session;        /* session ref (heap) */
	const xe_params *params;
	bool minimal;
	FILE *out;
	struct xe_refcache *refs;
} xe_ctx;

xerr *xe_login(xe_ctx *x, const xe_opts *o);
void xe_logout(xe_ctx *x);
/* Calls method(session, args...) where args are taken (owned) values
 * terminated by NULL. */
xerr *xe_callv(xe_ctx *x, const char *method, xv **result, ...) __attribute__((sentinel));
/* Same with an XV_ARRAY of arguments (taken), session prepended. */
xerr *xe_call_arr(xe_ctx *x, const char *method, xv *args, xv **result);
/* uuid -> ref of class cls (API spelling). */
xerr *xe_ref_of_uuid(xe_ctx *x, const char *cls, const char *uuid, char **ref);

/* A client-side failure as an xerr, printed as "Error: <msg>". */
xerr *xe_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "what: detail" plus the hint to run xe help (parse/usage errors). */
xerr *xe_usage_error(const char *what, const char *detail);
#define XE_CLIENT_ERROR "XE_CLIENT_ERROR"
#define XE_TRANSPORT_ERROR "XE_TRANSPORT_ERROR"

/* Prints an error the way xe does, on stderr. */
void xe_print_error(FILE *f, const xerr *e);

/* ---- Ref cache (refcache.c) ------------------------------------------ */

typedef struct xe_refcache xe_refcache;
xe_refcache *xe_refcache_new(void);
xe_refcache *xe_refcache_free(xe_refcache *rc);
/* Remembers ref -> record (borrowed: the caller keeps rec alive as long
 * as the cache; see xe_refcache_keep). */
void xe_refcache_put(xe_refcache *rc, const char *ref, const xv *rec);
const xv *xe_refcache_get(const xe_refcache *rc, const char *ref);
/* Hands a value to the cache to free with it. */
void xe_refcache_keep(xe_refcache *rc, xv *v);
bool xe_refcache_has_class(const xe_refcache *rc, const char *cls);
void xe_refcache_mark_class(xe_refcache *rc, const char *cls);
/* Loads every record of cls once (get_all_records). */
xerr *xe_refcache_load(xe_ctx *x, const char *cls);

/* ---- Output (print.c) -------------------------------------------------- */

/* One printed record: parallel arrays of labels and values. */
typedef struct xe_rec {
	char **keys;
	char **vals;
	size_t n, cap;
} xe_rec;

void xe_rec_add(xe_rec *r, const char *key, const char *val);
void xe_rec_add_own(xe_rec *r, char *key, char *val);
void xe_rec_clear(xe_rec *r);

/* Prints one record block exactly like xe (labels aligned, then two
 * newlines). */
void xe_print_record(FILE *f, const xe_rec *r);
/* Appends s to f with ',' -> "\," and '\' -> "\\". */
void xe_print_minimal_escaped(FILE *f, const char *s);

/* "name ( RO)" label for a field. Caller frees. */
char *xe_field_label(const xe_field_def *fd);

/* ---- Value formatting (format.c) --------------------------------------- */

/* Formats field fd of record rec (class cd) as xe prints it (heap). */
char *xe_format_field(xe_ctx *x, const xe_class_def *cd, const xe_field_def *fd,
		      const char *ref, const xv *rec, bool expensive_ok);
/* The raw value of fd (NULL when derived/unavailable). Borrowed. */
const xv *xe_field_value(xe_ctx *x, const xe_field_def *fd, const xv *rec);
/* Formats one value as xe does (refs as uuids when known). */
void xe_format_value(xe_ctx *x, const xe_field_def *fd, const xv *v, strbuf *sb);
/* Loads the classes the listed fields refer to into the ref cache. */
xerr *xe_prefetch_refs(xe_ctx *x, const xe_class_def *cd, const xe_field_def *const *fds,
		       size_t n);

/* ---- Commands ------------------------------------------------------------ */

typedef int (*xe_cmd_fn)(xe_ctx *x, const char *cmd, const xe_cmd_def *def);

/* Generic <class>-list/param-* commands (cmd_class.c). Return exit codes. */
int xe_cmd_class(xe_ctx *x, const char *cmd, const xe_cmd_def *def);
/* Explicit commands (cmd_misc.c): returns NULL when cmd is not one. */
xe_cmd_fn xe_find_explicit(const char *cmd);
/* Storage commands (cmd_sr.c): NULL when cmd is not one. */
xe_cmd_fn xe_find_storage_cmd(const char *cmd);
/* VM power commands (cmd_vm.c): NULL when cmd is not one. */
xe_cmd_fn xe_find_vm_cmd(const char *cmd);
/* cmd_vm.c: the one non-template VM that vm=/uuid=/name-label= select. */
xerr *xe_select_vm(xe_ctx *x, char **ref);
/* console (cmd_console.c) */
int xe_cmd_console(xe_ctx *x, const char *cmd, const xe_cmd_def *def);
/* vm-vcpu-hotplug, vm-memory-*-set, vm-uninstall, host-compute-free-memory
 * (cmd_vm_ops.c): NULL when cmd is not one. */
xe_cmd_fn xe_find_vm_ops_cmd(const char *cmd);
/* cmd_vm_ops.c: a memory size as xe takes it ("536870912", "512MiB",
 * "512 MiB", "2G" …: units B, K/KiB, M/MiB, G/GiB, T/TiB, any case) in
 * bytes; false on bad input or overflow. */
bool xe_parse_bytes(const char *s, int64_t *out);
/* The network commands (cmd_net.c), or NULL. */
xe_cmd_fn xe_find_net_cmd(const char *cmd);
/* help (help.c) */
int xe_cmd_help(FILE *out, const xe_params *ps, const char *topic);

/* Reports err (if any) and returns the exit code: 0 or 1. Frees err. */
int xe_finish(xerr *err);

#endif
