/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks the generated XenAPI tables (api_gen.c from schemas/gen/genapi.py)
 * against facts of the datamodel, and that every generated CREATE TABLE is
 * valid SQLite. Prints one line per check; exits 1 on the first failure
 * count > 0.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "meta.h"

/* One handler defined here: the weak reference must pick it up. */
struct xerr *op_VM_clean_reboot(struct call_ctx *ctx, const struct api_msg *m,
				struct xv *const *args, struct xv **result);
struct xerr *op_VM_clean_reboot(struct call_ctx *ctx, const struct api_msg *m,
				struct xv *const *args, struct xv **result)
{
	return NULL;
}

static int failures;

#define CHECK(cond, ...)                                           \
	do {                                                       \
		if (cond) {                                        \
			printf("ok   ");                           \
		} else {                                           \
			printf("FAIL ");                           \
			failures++;                                \
		}                                                  \
		printf(__VA_ARGS__);                               \
		printf("\n");                                      \
	} while (0)

static const api_msg *msg(const char *name)
{
	const api_msg *m = api_find_msg(name);

	if (!m) {
		printf("FAIL api_find_msg(%s) == NULL\n", name);
		exit(1);
	}
	return m;
}

static void check_counts(void)
{
	int nf = 0;

	CHECK(api_nclasses == 73 && API_NCLASSES == 73, "73 classes (%d)", api_nclasses);
	CHECK(api_nmsgs == 2258 && API_NMSGS == 2258, "2258 messages (%d)", api_nmsgs);
	CHECK(api_nerrors == 634 && API_NERRORS == 634, "634 errors (%d)", api_nerrors);
	CHECK(api_nenums == 75, "75 enums (%d)", api_nenums);
	for (int c = 0; c < api_nclasses; c++)
		nf += api_classes[c].nfields;
	CHECK(nf == 951, "951 fields in all classes (%d)", nf);
	CHECK(api_version_major == 2 && api_version_minor == 23 &&
		      !strcmp(api_version_vendor, "XenSource"),
	      "API version 2.23 XenSource");
	CHECK(api_schema_major == 5 && api_schema_minor == 909, "schema version 5.909");
	CHECK(strlen(api_schema_hash) == 64, "api_schema_hash is a sha256 hex (%s)", api_schema_hash);
	CHECK(!strcmp(api_role_names[ROLE_VM_OPERATOR], "vm-operator") &&
		      !strcmp(api_role_names[ROLE_READ_ONLY], "read-only"),
	      "api_role_names in meta.h role order");
	CHECK(!strcmp(api_emergency_calls[0], "pool.emergency_reset_master"),
	      "api_emergency_calls starts with pool.emergency_reset_master");
}

static void check_vm_start(void)
{
	const api_msg *m = msg("VM.start");
	uint32_t want = ROLE_BIT(ROLE_POOL_ADMIN) | ROLE_BIT(ROLE_POOL_OPERATOR) |
			ROLE_BIT(ROLE_VM_POWER_ADMIN) | ROLE_BIT(ROLE_VM_ADMIN) |
			ROLE_BIT(ROLE_VM_OPERATOR);

	CHECK(m == &api_msgs[MSG_VM_start] && m->cls == CLS_VM, "VM.start is MSG_VM_start of CLS_VM");
	CHECK(m->kind == MK_CUSTOM && m->field == -1, "VM.start is custom");
	CHECK(m->implicit_kind == MK_CUSTOM, "VM.start is not an accessor in disguise");
	{
		const api_msg *a = msg("VM.add_to_other_config");
		CHECK(a->kind == MK_CUSTOM && a->implicit_kind == MK_FIELD_ADD &&
			      a->implicit_field == api_find_field(CLS_VM, "other_config"),
		      "VM.add_to_other_config: custom, behaves as the map add of other_config");
		a = msg("VM.set_other_config");
		CHECK(a->implicit_kind == MK_FIELD_SETTER, "VM.set_other_config behaves as a setter");
		a = msg("VM.get_record");
		CHECK(a->implicit_kind == MK_CUSTOM, "implicit messages keep implicit_kind MK_CUSTOM");
	}
	CHECK(m->nparams == 3 && m->nrequired == 3 && !strcmp(m->params[0].name, "vm") &&
		      m->params[0].type->kind == AT_REF && m->params[0].type->cls == CLS_VM &&
		      !strcmp(m->params[1].name, "start_paused") &&
		      m->params[1].type->kind == AT_BOOL && !strcmp(m->params[2].name, "force"),
	      "VM.start params (vm: VM ref, start_paused: bool, force: bool), session excluded");
	CHECK(m->session && m->async, "VM.start has a session and is async");
	CHECK(m->roles == want && m->min_role == ROLE_VM_OPERATOR,
	      "VM.start roles 0x%x = pool-admin..vm-operator, min_role vm-operator", m->roles);
	CHECK(m->result->kind == AT_VOID, "VM.start returns void");
	CHECK(m->errors && !strcmp(m->errors[0], "VM_BAD_POWER_STATE"),
	      "VM.start errors start with VM_BAD_POWER_STATE");
	CHECK(m->handler == NULL, "VM.start handler is NULL (weak, undefined here)");
	CHECK(api_find_msg("VM.clean_reboot")->handler == op_VM_clean_reboot,
	      "VM.clean_reboot handler is the op_VM_clean_reboot defined by the test");
}

static void check_relations(void)
{
	const api_field *f = &api_classes[CLS_VM].fields[FLD_VM_VBDs];
	const api_field *pif = &api_classes[CLS_host].fields[FLD_host_PIFs];
	const api_field *g = &api_classes[CLS_VM].fields[FLD_VM_groups];

	CHECK(f->rel_class == CLS_VBD && f->rel_field == FLD_VBD_VM,
	      "VM.VBDs is derived from VBD.VM");
	CHECK(api_classes[CLS_VBD].fields[FLD_VBD_VM].rel_class == -1, "VBD.VM is stored");
	CHECK(pif->rel_class == CLS_PIF && pif->rel_field == FLD_PIF_host,
	      "host.PIFs is derived from PIF.host");
	CHECK(g->rel_class == -1 && api_classes[CLS_VM_group].fields[FLD_VM_group_VMs].rel_class == -1,
	      "many-to-many VM.groups <-> VM_group.VMs: both stored");
	CHECK(!strstr(api_classes[CLS_VM].sql_create, "\"VBDs\""),
	      "derived VM.VBDs has no column");
	CHECK(strstr(api_classes[CLS_VM].sql_create, "\"groups\" TEXT") != NULL,
	      "stored set VM.groups is a TEXT (JSON) column");
}

static void check_session(void)
{
	const api_msg *m = msg("session.login_with_password");

	CHECK(!m->session, "session.login_with_password takes no session");
	CHECK(m->nparams == 4 && m->nrequired == 2, "login_with_password: 2 required + 2 defaulted");
	CHECK(m->params[2].default_json && !strcmp(m->params[2].default_json, "\"1.1\"") &&
		      !strcmp(m->params[3].default_json, "\"\"") && !m->params[0].default_json,
	      "login_with_password defaults: version \"1.1\", originator \"\"");
}

static void check_fields_and_defaults(void)
{
	const api_class *vm = &api_classes[CLS_VM];
	int f;

	CHECK(!strcmp(vm->lname, "vm") && vm->in_database && vm->uuid_field == FLD_VM_uuid &&
		      vm->name_label_field == FLD_VM_name_label,
	      "VM: lname, in_database, uuid/name_label indexes");
	CHECK(api_find_field(CLS_VM, "name_label") == FLD_VM_name_label &&
		      api_find_field(CLS_VM, "VCPUs_max") == FLD_VM_VCPUs_max &&
		      api_find_field(CLS_VM, "vcpus_max") == -1 && api_find_field(CLS_auth, "x") == -1,
	      "api_find_field exact, incl. a class without fields");
	f = FLD_VM_power_state;
	CHECK(vm->fields[f].type->kind == AT_ENUM &&
		      vm->fields[f].type->enm == ENUM_vm_power_state &&
		      !strcmp(vm->fields[f].default_json, "\"Halted\""),
	      "VM.power_state: enum vm_power_state, default \"Halted\"");
	f = FLD_VM_current_operations;
	CHECK(vm->fields[f].type->kind == AT_MAP && vm->fields[f].type->key->kind == AT_STRING &&
		      vm->fields[f].type->elem->kind == AT_ENUM && !strcmp(vm->fields[f].default_json, "{}"),
	      "VM.current_operations: (string -> enum) map, default {}");
	CHECK(!vm->fields[FLD_VM_allowed_operations].persist, "VM.allowed_operations not persistent");
	CHECK(vm->fields[FLD_VM_other_config].map_keys_roles &&
		      vm->fields[FLD_VM_other_config].qual == Q_RO_CONSTRUCTOR,
	      "VM.other_config is RO/constructor with map_keys_roles");
	CHECK(api_classes[CLS_pool].fields[FLD_pool_other_config].qual == Q_RW &&
		      !strcmp(api_classes[CLS_pool].fields[FLD_pool_other_config].map_keys_roles[0].key,
			      "EMPTY_FOLDERS"),
	      "pool.other_config is RW, map_keys_roles sorted by key");
	f = api_find_field(CLS_SDN_controller, "port");
	CHECK(f >= 0 && !strcmp(api_classes[CLS_SDN_controller].fields[f].default_json, "0"),
	      "SDN_controller.port default 0 (JSON int)");
}

static void check_accessors(void)
{
	const api_msg *m;

	m = msg("VM.get_VBDs");
	CHECK(m->kind == MK_FIELD_GETTER && m->field == FLD_VM_VBDs, "VM.get_VBDs -> field VBDs");
	m = msg("VM.set_VCPUs_max");
	CHECK(m->kind == MK_CUSTOM, "VM.set_VCPUs_max is custom (not a generated setter)");
	m = msg("pool.add_to_other_config");
	CHECK(m->kind == MK_FIELD_ADD && m->field == FLD_pool_other_config && m->nparams == 3 &&
		      m->map_keys_roles,
	      "pool.add_to_other_config -> other_config, (self,key,value), map_keys_roles");
	m = msg("VM.add_to_other_config");
	CHECK(m->kind == MK_CUSTOM && m->field == -1 && m->map_keys_roles,
	      "VM.add_to_other_config is custom in the datamodel (field -1), with map_keys_roles");
	m = msg("VM.remove_tags");
	CHECK(m->kind == MK_FIELD_REMOVE && m->field == FLD_VM_tags, "VM.remove_tags -> tags");
	m = msg("VBD.create");
	CHECK(m->kind == MK_CONSTRUCTOR && m->nctor_fields == 13 &&
		      m->ctor_fields[0].field == FLD_VBD_VM && m->ctor_fields[0].required,
	      "VBD.create: 13 constructor fields, VM required");
	for (int i = 0; i < api_nmsgs; i++) {
		const api_msg *x = &api_msgs[i];
		bool acc = x->kind >= MK_FIELD_GETTER && x->kind <= MK_FIELD_REMOVE;

		if (acc != (x->field >= 0)) {
			CHECK(0, "%s: field index iff accessor", x->wire_name);
			return;
		}
	}
	CHECK(1, "every accessor has a field index, no other message has one");
}

static void check_lookups(void)
{
	static const char *const sample[] = {
		"VM.start", "session.login_with_password", "pool.get_all", "VDI.snapshot",
		"host.get_by_name_label", "event.from", "task.destroy", "Rate_limit.get_all_records",
		"PIF_metrics.get_record", "Async.VM.start", "VM.Start", "", "VM.", "ZZZ.x",
	};
	int found = 0, all = 1;

	for (size_t i = 0; i < sizeof(sample) / sizeof(sample[0]); i++) {
		const api_msg *m = api_find_msg(sample[i]);

		if (m && strcmp(m->wire_name, sample[i]))
			all = 0;
		found += m != NULL;
	}
	CHECK(found == 9 && all, "api_find_msg on 14 sample names: 9 found, 5 absent");
	for (int i = 0; i < api_nmsgs; i++)
		if (api_find_msg(api_msgs[i].wire_name) != &api_msgs[i]) {
			all = 0;
			break;
		}
	CHECK(all, "api_find_msg finds every one of the %d wire names", api_nmsgs);
	CHECK(api_find_class("VM") == CLS_VM && api_find_class("vm") == -1 &&
		      api_find_class_ci("vm") == CLS_VM && api_find_class_ci("Pif_Metrics") == CLS_PIF_metrics &&
		      api_find_class_ci("nope") == -1,
	      "api_find_class exact, api_find_class_ci case-insensitive");
	CHECK(api_find_enum("vm_power_state") == ENUM_vm_power_state && api_find_enum("x") == -1,
	      "api_find_enum");
	CHECK(api_enum_value(ENUM_vm_power_state, "Running") == 2 &&
		      api_enum_value(ENUM_vm_power_state, "running") == 2 &&
		      api_enum_value(ENUM_vm_power_state, "HALTED") == 0 &&
		      api_enum_value(ENUM_vm_power_state, "run") == -1 &&
		      api_enum_value(-1, "Running") == -1,
	      "api_enum_value case-insensitive, canonical index");
	CHECK(api_find_error("HANDLE_INVALID") && api_find_error("HANDLE_INVALID")->nparams == 2 &&
		      !strcmp(api_find_error("HANDLE_INVALID")->params[0], "class") &&
		      !api_find_error("handle_invalid"),
	      "api_find_error(HANDLE_INVALID): params class, handle");
	for (int i = 0; i < api_nerrors; i++)
		if (api_find_error(api_errors[i].name) != &api_errors[i])
			all = 0;
	CHECK(all, "api_find_error finds all %d errors", api_nerrors);
}

static void check_sql(void)
{
	sqlite3 *db;
	char *err = NULL;
	int ntables = 0, bad = 0;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		CHECK(0, "sqlite3_open(:memory:)");
		return;
	}
	for (int c = 0; c < api_nclasses; c++) {
		const api_class *k = &api_classes[c];

		if (k->in_database && !k->sql_create) {
			CHECK(0, "%s is in the database but has no sql_create", k->name);
			bad++;
			continue;
		}
		if (!k->sql_create)
			continue;
		/* Twice: IF NOT EXISTS must make it idempotent. */
		for (int pass = 0; pass < 2; pass++)
			if (sqlite3_exec(db, k->sql_create, NULL, NULL, &err) != SQLITE_OK) {
				CHECK(0, "%s: sql_create rejected: %s", k->name, err);
				sqlite3_free(err);
				err = NULL;
				bad++;
			}
		ntables++;
	}
	CHECK(!bad, "SQLite accepted all %d sql_create texts (twice each)", ntables);
	CHECK(ntables == 66, "66 tables: 65 in-database classes + message (%d)", ntables);
	CHECK(!api_classes[CLS_message].in_database && api_classes[CLS_message].sql_create,
	      "message: in_database false but has a table");
	CHECK(!api_classes[CLS_event].sql_create, "event has no table");
	CHECK(sqlite3_exec(db, "INSERT INTO \"VBD\"(_ref,_gen,_cgen,\"VM\") VALUES('OpaqueRef:1',1,1,'OpaqueRef:2');"
			       "SELECT \"VM\" FROM \"VBD\" WHERE \"VM\"='OpaqueRef:2';",
			   NULL, NULL, NULL) == SQLITE_OK,
	      "a VBD row can be inserted and queried by VM");
	sqlite3_close(db);
}

int main(void)
{
	check_counts();
	check_vm_start();
	check_relations();
	check_session();
	check_fields_and_defaults();
	check_accessors();
	check_lookups();
	check_sql();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
