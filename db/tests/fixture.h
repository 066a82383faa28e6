/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test fixture schema (fixture_meta.c): class and field indices, and
 * the store_schema variants used by the upgrade and restore tests.
 */
#ifndef HALYARD_DB_TESTS_FIXTURE_H
#define HALYARD_DB_TESTS_FIXTURE_H

#include "../../xapid/api/meta.h"
#include "../store.h"

enum { FX_VM = 0, FX_VBD, FX_host, FX_task, FX_session };

enum {
	FX_VM_uuid = 0,
	FX_VM_name_label = 1,
	FX_VM_name_description = 2,
	FX_VM_power_state = 3,
	FX_VM_memory_static_max = 4,
	FX_VM_is_a_template = 5,
	FX_VM_HVM_shadow_multiplier = 6,
	FX_VM_other_config = 7,
	FX_VM_VBDs = 8,
	FX_VM_resident_on = 9,
	FX_VM_last_booted = 10,
	FX_VM_boot_times = 11,
	FX_VM_snapshot_times = 12,
	FX_VM_suspend_label = 13,
	FX_VM_secret = 14,
	FX_VM_current_operations = 15,
	FX_VM_domid = 16,
	FX_VM_float_sets = 17,
	FX_VM_last_seen = 18,
	FX_VM_int_keys = 19,
	FX_VM_blocked = 20,
	FX_VM_affinity = 21,
	FX_VM_first_vbd = 22,
	FX_VM_tags = 23,
	FX_VM_notes = 24,
	FX_VM_created = 25,
	FX_VBD_uuid = 0,
	FX_VBD_VM = 1,
	FX_VBD_userdevice = 2,
	FX_VBD_bootable = 3,
	FX_VBD_mode = 4,
	FX_VBD_currently_attached = 5,
	FX_VBD_other_config = 6,
	FX_host_uuid = 0,
	FX_host_name_label = 1,
	FX_host_resident_VMs = 2,
	FX_host_enabled = 3,
	FX_task_uuid = 0,
	FX_task_name_label = 1,
	FX_task_status = 2,
	FX_task_progress = 3,
	FX_task_created = 4,
	FX_task_subtask_of = 5,
	FX_task_subtasks = 6,
	FX_task_result = 7,
	FX_session_uuid = 0,
	FX_session_this_host = 1,
	FX_session_last_active = 2,
	FX_session_pool = 3,
};

/* v2 is what api_classes describes (hash "fixture-v2", version 1.1);
 * v1 is older (1.0: VM lacks tags/notes/created, host has no table);
 * v3 claims a newer version (2.0) over the same tables. */
extern const store_schema fixture_v1, fixture_v2, fixture_v3;

#endif
