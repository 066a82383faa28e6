/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hand-written stand-in for the generated API tables (xapid/api/meta.h),
 * small enough to read: classes VM, VBD, host, task (non-persistent) and
 * session (non-persistent, no events), following the layout rules of
 * db/store.h. It defines the api_* symbols the store uses (schema "v2")
 * and an older schema "v1" (VM without tags/notes/created, no host table)
 * for the upgrade tests.
 */
#include "fixture.h"

static const api_type ty_string = { AT_STRING, -1, -1, NULL, NULL, "string" };
static const api_type ty_int = { AT_INT, -1, -1, NULL, NULL, "int" };
static const api_type ty_float = { AT_FLOAT, -1, -1, NULL, NULL, "float" };
static const api_type ty_bool = { AT_BOOL, -1, -1, NULL, NULL, "bool" };
static const api_type ty_datetime = { AT_DATETIME, -1, -1, NULL, NULL, "datetime" };
static const api_type ty_enum_vm_power_state = { AT_ENUM, -1, 0, NULL, NULL, "enum vm_power_state" };
static const api_type ty_enum_vm_operations = { AT_ENUM, -1, 1, NULL, NULL, "enum vm_operations" };
static const api_type ty_enum_vbd_mode = { AT_ENUM, -1, 2, NULL, NULL, "enum vbd_mode" };
static const api_type ty_enum_task_status_type = { AT_ENUM, -1, 3, NULL, NULL, "enum task_status_type" };
static const api_type ty_VM_ref = { AT_REF, 0, -1, NULL, NULL, "VM ref" };
static const api_type ty_VBD_ref = { AT_REF, 1, -1, NULL, NULL, "VBD ref" };
static const api_type ty_host_ref = { AT_REF, 2, -1, NULL, NULL, "host ref" };
static const api_type ty_task_ref = { AT_REF, 3, -1, NULL, NULL, "task ref" };
static const api_type ty_VBD_ref_set = { AT_SET, -1, -1, NULL, &ty_VBD_ref, "VBD ref set" };
static const api_type ty_VM_ref_set = { AT_SET, -1, -1, NULL, &ty_VM_ref, "VM ref set" };
static const api_type ty_task_ref_set = { AT_SET, -1, -1, NULL, &ty_task_ref, "task ref set" };
static const api_type ty_string_set = { AT_SET, -1, -1, NULL, &ty_string, "string set" };
static const api_type ty_datetime_set = { AT_SET, -1, -1, NULL, &ty_datetime, "datetime set" };
static const api_type ty_float_set = { AT_SET, -1, -1, NULL, &ty_float, "float set" };
static const api_type ty__string____string__map = { AT_MAP, -1, -1, &ty_string, &ty_string, "(string -> string) map" };
static const api_type ty__string____datetime__map = { AT_MAP, -1, -1, &ty_string, &ty_datetime, "(string -> datetime) map" };
static const api_type ty__string____enum_vm_operations__map = { AT_MAP, -1, -1, &ty_string, &ty_enum_vm_operations, "(string -> enum vm_operations) map" };
static const api_type ty__string____float_set__map = { AT_MAP, -1, -1, &ty_string, &ty_float_set, "(string -> float set) map" };
static const api_type ty__int____string__map = { AT_MAP, -1, -1, &ty_int, &ty_string, "(int -> string) map" };
static const api_type ty__enum_vm_operations____string__map = { AT_MAP, -1, -1, &ty_enum_vm_operations, &ty_string, "(enum vm_operations -> string) map" };
static const api_type ty_string_option = { AT_OPTION, -1, -1, NULL, &ty_string, "string option" };
static const api_type ty_datetime_option = { AT_OPTION, -1, -1, NULL, &ty_datetime, "datetime option" };
static const api_type ty_VBD_record = { AT_RECORD, 1, -1, NULL, NULL, "VBD record" };
static const api_type ty_VBD_record_option = { AT_OPTION, -1, -1, NULL, &ty_VBD_record, "VBD record option" };

static const char *const vm_power_state_values[] = { "Halted", "Paused", "Running", "Suspended" };
static const char *const vm_operations_values[] = { "start", "clean_shutdown", "migrate_send" };
static const char *const vbd_mode_values[] = { "RO", "RW" };
static const char *const task_status_values[] = { "pending", "success", "failure", "cancelling", "cancelled" };
const api_enum api_enums[] = {
	{ "vm_power_state", vm_power_state_values, 4 },
	{ "vm_operations", vm_operations_values, 3 },
	{ "vbd_mode", vbd_mode_values, 2 },
	{ "task_status_type", task_status_values, 5 },
};
const int api_nenums = 4;

static const api_field vm_fields[] = {
	{ .name = "uuid", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "name_label", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "name_description", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "power_state", .type = &ty_enum_vm_power_state, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"Halted\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "memory_static_max", .type = &ty_int, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "1073741824", .rel_class = -1, .rel_field = -1 },
	{ .name = "is_a_template", .type = &ty_bool, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "false", .rel_class = -1, .rel_field = -1 },
	{ .name = "HVM_shadow_multiplier", .type = &ty_float, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "1.0", .rel_class = -1, .rel_field = -1 },
	{ .name = "other_config", .type = &ty__string____string__map, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "{}", .rel_class = -1, .rel_field = -1 },
	{ .name = "VBDs", .type = &ty_VBD_ref_set, .qual = Q_RO_RUNTIME, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = 1, .rel_field = 1 },
	{ .name = "resident_on", .type = &ty_host_ref, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"OpaqueRef:NULL\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "last_booted", .type = &ty_datetime, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "boot_times", .type = &ty__string____datetime__map, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "{}", .rel_class = -1, .rel_field = -1 },
	{ .name = "snapshot_times", .type = &ty_datetime_set, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "[]", .rel_class = -1, .rel_field = -1 },
	{ .name = "suspend_label", .type = &ty_string_option, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "secret", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = true,
	  .default_json = "\"hidden\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "current_operations", .type = &ty__string____enum_vm_operations__map, .qual = Q_RO_RUNTIME, .persist = false, .internal_only = false,
	  .default_json = "{}", .rel_class = -1, .rel_field = -1 },
	{ .name = "domid", .type = &ty_int, .qual = Q_RO_RUNTIME, .persist = false, .internal_only = false,
	  .default_json = "-1", .rel_class = -1, .rel_field = -1 },
	{ .name = "float_sets", .type = &ty__string____float_set__map, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "{}", .rel_class = -1, .rel_field = -1 },
	{ .name = "last_seen", .type = &ty_datetime_option, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "int_keys", .type = &ty__int____string__map, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "{}", .rel_class = -1, .rel_field = -1 },
	{ .name = "blocked", .type = &ty__enum_vm_operations____string__map, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "{\"start\": \"no\"}", .rel_class = -1, .rel_field = -1 },
	{ .name = "affinity", .type = &ty_host_ref, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "first_vbd", .type = &ty_VBD_record_option, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "tags", .type = &ty_string_set, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "[\"default-tag\"]", .rel_class = -1, .rel_field = -1 },
	{ .name = "notes", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"none\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "created", .type = &ty_datetime, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"20200101T00:00:00Z\"", .rel_class = -1, .rel_field = -1 },
};
static const api_field vbd_fields[] = {
	{ .name = "uuid", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "VM", .type = &ty_VM_ref, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"OpaqueRef:NULL\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "userdevice", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "bootable", .type = &ty_bool, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "false", .rel_class = -1, .rel_field = -1 },
	{ .name = "mode", .type = &ty_enum_vbd_mode, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"RW\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "currently_attached", .type = &ty_bool, .qual = Q_RO_RUNTIME, .persist = false, .internal_only = false,
	  .default_json = "false", .rel_class = -1, .rel_field = -1 },
	{ .name = "other_config", .type = &ty__string____string__map, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "{}", .rel_class = -1, .rel_field = -1 },
};
static const api_field host_fields[] = {
	{ .name = "uuid", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "name_label", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "resident_VMs", .type = &ty_VM_ref_set, .qual = Q_RO_RUNTIME, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = 0, .rel_field = 9 },
	{ .name = "enabled", .type = &ty_bool, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "true", .rel_class = -1, .rel_field = -1 },
};
static const api_field task_fields[] = {
	{ .name = "uuid", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "name_label", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "status", .type = &ty_enum_task_status_type, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"pending\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "progress", .type = &ty_float, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "0.0", .rel_class = -1, .rel_field = -1 },
	{ .name = "created", .type = &ty_datetime, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "subtask_of", .type = &ty_task_ref, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"OpaqueRef:NULL\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "subtasks", .type = &ty_task_ref_set, .qual = Q_RO_RUNTIME, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = 3, .rel_field = 5 },
	{ .name = "result", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"\"", .rel_class = -1, .rel_field = -1 },
};
static const api_field session_fields[] = {
	{ .name = "uuid", .type = &ty_string, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "this_host", .type = &ty_host_ref, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "\"OpaqueRef:NULL\"", .rel_class = -1, .rel_field = -1 },
	{ .name = "last_active", .type = &ty_datetime, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = NULL, .rel_class = -1, .rel_field = -1 },
	{ .name = "pool", .type = &ty_bool, .qual = Q_RW, .persist = true, .internal_only = false,
	  .default_json = "false", .rel_class = -1, .rel_field = -1 },
};

const api_class api_classes[] = {
	{ .name = "VM", .lname = "vm", .in_database = true, .persist = true, .gen_events = true,
	  .gen_constructor_destructor = true, .fields = vm_fields, .nfields = 26,
	  .uuid_field = 0, .name_label_field = 1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"VM\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"name_label\" TEXT, \"name_description\" TEXT, \"power_state\" TEXT, \"memory_static_max\" INTEGER, \"is_a_template\" INTEGER, \"HVM_shadow_multiplier\" REAL, \"other_config\" TEXT, \"resident_on\" TEXT, \"last_booted\" INTEGER, \"boot_times\" TEXT, \"snapshot_times\" TEXT, \"suspend_label\" TEXT, \"secret\" TEXT, \"current_operations\" TEXT, \"domid\" INTEGER, \"float_sets\" TEXT, \"last_seen\" TEXT, \"int_keys\" TEXT, \"blocked\" TEXT, \"affinity\" TEXT, \"first_vbd\" TEXT, \"tags\" TEXT, \"notes\" TEXT, \"created\" INTEGER); CREATE INDEX IF NOT EXISTS \"VM__gen\" ON \"VM\"(_gen); CREATE INDEX IF NOT EXISTS \"VM_uuid\" ON \"VM\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"VM_name_label\" ON \"VM\"(\"name_label\"); CREATE INDEX IF NOT EXISTS \"VM_resident_on\" ON \"VM\"(\"resident_on\"); CREATE INDEX IF NOT EXISTS \"VM_affinity\" ON \"VM\"(\"affinity\");" },
	{ .name = "VBD", .lname = "vbd", .in_database = true, .persist = true, .gen_events = true,
	  .gen_constructor_destructor = true, .fields = vbd_fields, .nfields = 7,
	  .uuid_field = 0, .name_label_field = -1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"VBD\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"VM\" TEXT, \"userdevice\" TEXT, \"bootable\" INTEGER, \"mode\" TEXT, \"currently_attached\" INTEGER, \"other_config\" TEXT); CREATE INDEX IF NOT EXISTS \"VBD__gen\" ON \"VBD\"(_gen); CREATE INDEX IF NOT EXISTS \"VBD_uuid\" ON \"VBD\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"VBD_VM\" ON \"VBD\"(\"VM\");" },
	{ .name = "host", .lname = "host", .in_database = true, .persist = true, .gen_events = true,
	  .gen_constructor_destructor = true, .fields = host_fields, .nfields = 4,
	  .uuid_field = 0, .name_label_field = 1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"host\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"name_label\" TEXT, \"enabled\" INTEGER); CREATE INDEX IF NOT EXISTS \"host__gen\" ON \"host\"(_gen); CREATE INDEX IF NOT EXISTS \"host_uuid\" ON \"host\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"host_name_label\" ON \"host\"(\"name_label\");" },
	{ .name = "task", .lname = "task", .in_database = true, .persist = false, .gen_events = true,
	  .gen_constructor_destructor = true, .fields = task_fields, .nfields = 8,
	  .uuid_field = 0, .name_label_field = 1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"task\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"name_label\" TEXT, \"status\" TEXT, \"progress\" REAL, \"created\" INTEGER, \"subtask_of\" TEXT, \"result\" TEXT); CREATE INDEX IF NOT EXISTS \"task__gen\" ON \"task\"(_gen); CREATE INDEX IF NOT EXISTS \"task_uuid\" ON \"task\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"task_name_label\" ON \"task\"(\"name_label\"); CREATE INDEX IF NOT EXISTS \"task_subtask_of\" ON \"task\"(\"subtask_of\");" },
	{ .name = "session", .lname = "session", .in_database = true, .persist = false, .gen_events = false,
	  .gen_constructor_destructor = true, .fields = session_fields, .nfields = 4,
	  .uuid_field = 0, .name_label_field = -1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"session\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"this_host\" TEXT, \"last_active\" INTEGER, \"pool\" INTEGER); CREATE INDEX IF NOT EXISTS \"session__gen\" ON \"session\"(_gen); CREATE INDEX IF NOT EXISTS \"session_uuid\" ON \"session\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"session_this_host\" ON \"session\"(\"this_host\");" },
};
const int api_nclasses = 5;
const char *const api_schema_hash = "fixture-v2";
const int api_schema_major = 1, api_schema_minor = 1;

static const api_class v1_classes[] = {
	{ .name = "VM", .lname = "vm", .in_database = true, .persist = true, .gen_events = true,
	  .gen_constructor_destructor = true, .fields = vm_fields, .nfields = 23,
	  .uuid_field = 0, .name_label_field = 1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"VM\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"name_label\" TEXT, \"name_description\" TEXT, \"power_state\" TEXT, \"memory_static_max\" INTEGER, \"is_a_template\" INTEGER, \"HVM_shadow_multiplier\" REAL, \"other_config\" TEXT, \"resident_on\" TEXT, \"last_booted\" INTEGER, \"boot_times\" TEXT, \"snapshot_times\" TEXT, \"suspend_label\" TEXT, \"secret\" TEXT, \"current_operations\" TEXT, \"domid\" INTEGER, \"float_sets\" TEXT, \"last_seen\" TEXT, \"int_keys\" TEXT, \"blocked\" TEXT, \"affinity\" TEXT, \"first_vbd\" TEXT); CREATE INDEX IF NOT EXISTS \"VM__gen\" ON \"VM\"(_gen); CREATE INDEX IF NOT EXISTS \"VM_uuid\" ON \"VM\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"VM_name_label\" ON \"VM\"(\"name_label\"); CREATE INDEX IF NOT EXISTS \"VM_resident_on\" ON \"VM\"(\"resident_on\"); CREATE INDEX IF NOT EXISTS \"VM_affinity\" ON \"VM\"(\"affinity\");" },
	{ .name = "VBD", .lname = "vbd", .in_database = true, .persist = true, .gen_events = true,
	  .gen_constructor_destructor = true, .fields = vbd_fields, .nfields = 7,
	  .uuid_field = 0, .name_label_field = -1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"VBD\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"VM\" TEXT, \"userdevice\" TEXT, \"bootable\" INTEGER, \"mode\" TEXT, \"currently_attached\" INTEGER, \"other_config\" TEXT); CREATE INDEX IF NOT EXISTS \"VBD__gen\" ON \"VBD\"(_gen); CREATE INDEX IF NOT EXISTS \"VBD_uuid\" ON \"VBD\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"VBD_VM\" ON \"VBD\"(\"VM\");" },
	{ .name = "host", .lname = "host", .in_database = false, .persist = true, .gen_events = true,
	  .gen_constructor_destructor = true, .fields = host_fields, .nfields = 4,
	  .uuid_field = 0, .name_label_field = 1,
	  .sql_create = NULL },
	{ .name = "task", .lname = "task", .in_database = true, .persist = false, .gen_events = true,
	  .gen_constructor_destructor = true, .fields = task_fields, .nfields = 8,
	  .uuid_field = 0, .name_label_field = 1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"task\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"name_label\" TEXT, \"status\" TEXT, \"progress\" REAL, \"created\" INTEGER, \"subtask_of\" TEXT, \"result\" TEXT); CREATE INDEX IF NOT EXISTS \"task__gen\" ON \"task\"(_gen); CREATE INDEX IF NOT EXISTS \"task_uuid\" ON \"task\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"task_name_label\" ON \"task\"(\"name_label\"); CREATE INDEX IF NOT EXISTS \"task_subtask_of\" ON \"task\"(\"subtask_of\");" },
	{ .name = "session", .lname = "session", .in_database = true, .persist = false, .gen_events = false,
	  .gen_constructor_destructor = true, .fields = session_fields, .nfields = 4,
	  .uuid_field = 0, .name_label_field = -1,
	  .sql_create = "CREATE TABLE IF NOT EXISTS \"session\" (_ref TEXT PRIMARY KEY, _gen INTEGER NOT NULL, _cgen INTEGER NOT NULL, \"uuid\" TEXT, \"this_host\" TEXT, \"last_active\" INTEGER, \"pool\" INTEGER); CREATE INDEX IF NOT EXISTS \"session__gen\" ON \"session\"(_gen); CREATE INDEX IF NOT EXISTS \"session_uuid\" ON \"session\"(\"uuid\"); CREATE INDEX IF NOT EXISTS \"session_this_host\" ON \"session\"(\"this_host\");" },
};

const store_schema fixture_v1 = {
	.classes = v1_classes, .nclasses = 5, .enums = api_enums, .nenums = 4,
	.hash = "fixture-v1", .version_major = 1, .version_minor = 0,
};
const store_schema fixture_v2 = {
	.classes = api_classes, .nclasses = 5, .enums = api_enums, .nenums = 4,
	.hash = "fixture-v2", .version_major = 1, .version_minor = 1,
};
const store_schema fixture_v3 = {
	.classes = api_classes, .nclasses = 5, .enums = api_enums, .nenums = 4,
	.hash = "fixture-v3", .version_major = 2, .version_minor = 0,
};
