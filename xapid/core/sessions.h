/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions: authoritative in memory (validation and last_active on every
 * call must not cost a disk write), mirrored into the session table so
 * that session records can be read through the API and seen in events.
 */
#ifndef HALYARD_CORE_SESSIONS_H
#define HALYARD_CORE_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "meta.h"
#include "value.h"

struct xapid;

/* A copy of what a call needs to know about its session. */
typedef struct session_view {
	char *ref;
	char *user;
	char *subject_ref;
	enum api_role role;
	bool local_superuser;
	bool is_local; /* made by slave_local_login*: ended by local_logout */
} session_view;
void session_view_clear(session_view *v);

struct sessions *sessions_new(void);
struct sessions *sessions_free(struct sessions *s);

typedef struct session_params {
	const char *user;
	const char *subject_ref; /* NULL for local accounts */
	enum api_role role;
	bool local_superuser;
	bool is_local;
	const char *originator;
	const char *peer_addr;
} session_params;

/* Creates a session (record included); *ref_out is heap. Evicts the oldest
 * session of the same originator (and overall) past the limits. */
xerr *sessions_create(struct xapid *app, const session_params *p, char **ref_out);
/* SESSION_INVALID [ref] unless ref is a live session; fills *v. */
xerr *sessions_check(struct xapid *app, const char *ref, session_view *v);
/* Ends a session and its record; false when it did not exist. */
bool sessions_destroy(struct xapid *app, const char *ref);
/* Ends every session of a subject (logout_subject_identifier) or user. */
int sessions_destroy_user(struct xapid *app, const char *user);
/* Ends sessions idle longer than the configured limit. */
void sessions_reap(struct xapid *app);
/* Changes the role of all sessions of a subject (roles edited live). */
void sessions_set_role(struct xapid *app, const char *subject_ref, enum api_role role);
size_t sessions_count(struct xapid *app);

/* Legacy event registration (event.register/unregister/next). */
xerr *sessions_event_register(struct xapid *app, const char *ref, const xv *classes, bool add,
			      int64_t gen_now);
/* Copies the registered classes and last-seen generation; false when the
 * session never registered. */
bool sessions_event_state(struct xapid *app, const char *ref, xv **classes, int64_t *gen);
void sessions_event_advance(struct xapid *app, const char *ref, int64_t gen);

#endif
