/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's state: configuration, the object store, the in-memory
 * session table, the task workers and the timer wheel. One instance.
 */
#ifndef HALYARD_XAPID_H
#define HALYARD_XAPID_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "value.h"

struct sessions;
struct workers;
struct timers;
struct events;
struct http_server;

typedef struct xapid_config {
	char *state_dir;      /* everything persistent lives below it */
	char *bind_addr;      /* TCP listen address */
	int port;             /* TCP port; 0 = none */
	bool tls;             /* HTTPS on the TCP port */
	char *cert_file, *key_file;
	char *unix_path;      /* the local socket */
	char *plugin_dir;     /* host.call_plugin executables */
	char *accounts_file;  /* local accounts (name:crypt-hash:role) */
	bool use_pam;         /* also check system users through PAM */
	unsigned threads;     /* HTTP worker threads */
	unsigned task_workers;
	unsigned session_limit_total;
	unsigned session_limit_originator;
	int64_t session_idle_s;     /* sessions idle that long are reaped */
	int64_t task_done_ttl_s;    /* finished tasks live that long */
	int64_t task_pending_ttl_s;
	int64_t login_fail_delay_ms; /* deliberate delay on bad credentials */
	int64_t clean_shutdown_timeout_s; /* VM.clean_shutdown/shutdown wait */
	char *kvm_probe_kernel, *kvm_probe_initrd; /* guest booted by the KVM probe */
} xapid_config;

typedef struct xapid {
	xapid_config cfg;
	store *db;
	char *pool_ref;
	char *host_ref;
	char *host_uuid;
	char *dom0_ref;
	char *management_addr;
	int64_t start_time;
	struct sessions *sessions;
	struct workers *workers;     /* Async tasks */
	struct workers *rpc_workers; /* synchronous calls */
	struct timers *timers;
	struct events *events;
	struct http_server *http;
	volatile int stopping;
} xapid;

/* Bootstrap: creates the pool, host, control domain and templates on the
 * first start and refreshes the host's facts on every start. */
xerr *bootstrap_run(xapid *app);

/* Local accounts (the embedded default to PAM). */
int accounts_ensure_root(xapid *app, char **password_out);
/* 0 = match; -EACCES bad password; -ENOENT no such account. role_out may be NULL. */
int accounts_check(xapid *app, const char *user, const char *password, int *role_out);
/* Adds or replaces an account (role: a role name such as "read-only"). */
int accounts_put(const char *path, const char *user, const char *password, const char *role);
int accounts_set_password(xapid *app, const char *user, const char *password);
int pam_check_password(const char *user, const char *password);

#endif
