/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hand-written handlers of xapid/ops/ and the helpers these files
 * share. Each op_<Class>_<msg> is found by the generated message table
 * through a weak reference (see meta.h); the prototypes are here so that
 * every definition has one (-Wmissing-prototypes).
 */
#ifndef HALYARD_OPS_OPS_H
#define HALYARD_OPS_OPS_H

#include <stdbool.h>

#include "dispatch.h"
#include "hostinfo.h"
#include "store.h"

struct xapid;

#define OP(name) xerr *name(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)

/* session */
OP(op_session_change_password);
OP(op_session_get_all_subject_identifiers);
OP(op_session_get_this_host);
OP(op_session_get_this_user);
OP(op_session_local_logout);
OP(op_session_login_with_password);
OP(op_session_logout);
OP(op_session_logout_subject_identifier);
OP(op_session_slave_local_login_with_password);
OP(op_session_slave_login);
OP(op_session_slave_local_login);

/* subject */
OP(op_subject_add_to_roles);
OP(op_subject_get_permissions_name_label);
OP(op_subject_remove_from_roles);

/* role */
OP(op_role_get_by_permission);
OP(op_role_get_by_permission_name_label);
OP(op_role_get_permissions);
OP(op_role_get_permissions_name_label);

/* task */
OP(op_task_add_to_other_config);
OP(op_task_cancel);
OP(op_task_create);
OP(op_task_destroy);
OP(op_task_remove_from_other_config);
OP(op_task_set_error_info);
OP(op_task_set_other_config);
OP(op_task_set_progress);
OP(op_task_set_result);
OP(op_task_set_status);

/* event */
OP(op_event_from);
OP(op_event_get_current_id);
OP(op_event_inject);
OP(op_event_next);
OP(op_event_register);
OP(op_event_unregister);

/* pool */
OP(op_pool_create_new_blob);

/* VM */
OP(op_VM_create_new_blob);
/* VM power operations (vm.c) */
OP(op_VM_start);
OP(op_VM_start_on);
OP(op_VM_hard_shutdown);
OP(op_VM_clean_shutdown);
OP(op_VM_shutdown);
OP(op_VM_hard_reboot);
OP(op_VM_clean_reboot);
OP(op_VM_pause);
OP(op_VM_unpause);
OP(op_VM_suspend);
OP(op_VM_resume);
OP(op_VM_resume_on);
OP(op_VM_power_state_reset);
OP(op_VM_destroy);
OP(op_host_compute_free_memory);

/* host */
OP(op_host_call_plugin);
OP(op_host_create_new_blob);
OP(op_host_get_server_certificate);
OP(op_host_get_server_localtime);
OP(op_host_get_servertime);

/* network */
OP(op_network_create_new_blob);

/* SR */
OP(op_SR_create_new_blob);

/* blob */
OP(op_blob_create);
OP(op_blob_destroy);

/* message */
OP(op_message_create);
OP(op_message_destroy);
OP(op_message_destroy_many);
OP(op_message_destroy_all);
OP(op_message_get);
OP(op_message_get_all);
OP(op_message_get_all_records);
OP(op_message_get_all_records_where);
OP(op_message_get_by_uuid);
OP(op_message_get_record);
OP(op_message_get_since);

/* secret */
OP(op_secret_introduce);

#undef OP

/* ---- shared helpers ------------------------------------------------------ */

/* blob.c: where the bytes of the blob with that uuid live (heap). */
char *blob_path(const struct xapid *app, const char *uuid);
/* blob.c: <Class>.create_new_blob for owner class cls; args are the
 * message's (owner, name, mime_type, public). */
xerr *blob_create_for(call_ctx *ctx, int cls, xv *const *args, xv **result);

/* role.c: XAPI's role uuid for a role or permission name (MD5 of the
 * name laid out as a uuid). */
void role_uuid_of_name(const char *name, char uuid[37]);
/* role.c: the ref of the record of a named role (heap). */
char *role_ref_of_role(enum api_role r);
/* role.c: the role whose name is name (any case), or -1. */
int role_of_name(const char *name);
/* role.c: creates or corrects the role and permission records (inside t,
 * a write txn); idempotent, run by bootstrap_run. */
xerr *roles_bootstrap(txn *t);
/* role.c: the permissions under the roles in role_refs, as a struct
 * permission ref -> name_label, from all role records (ref -> record). */
xv *roles_permissions_of(const xv *all_roles_recs, const xv *role_refs);

#endif
