/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RBAC from the generated role masks: per-message roles, map keys with
 * roles of their own (which may widen or narrow access), internal
 * messages with no roles, and XAPI's permission names in the error.
 */
#include "check.h"
#include "dispatch.h"

static const api_msg *msg(const char *name)
{
	const api_msg *m = api_find_msg(name);
	if (!m) {
		CHECK(0, "no message %s in the tables", name);
	}
	return m;
}

int main(void)
{
	const api_msg *start = msg("VM.start"), *getrec = msg("VM.get_record");
	const api_msg *pool_label = msg("pool.set_name_label");
	const api_msg *vm_oc = msg("VM.add_to_other_config");
	const api_msg *pool_oc = msg("pool.add_to_other_config");
	if (check_failed)
		return 1;

	CHECK(rbac_allowed(ROLE_READ_ONLY, getrec, NULL), "read-only may VM.get_record");
	CHECK(!rbac_allowed(ROLE_READ_ONLY, start, NULL), "read-only may not VM.start");
	CHECK(rbac_allowed(ROLE_VM_OPERATOR, start, NULL), "vm-operator may VM.start");
	CHECK(!rbac_allowed(ROLE_VM_ADMIN, pool_label, NULL), "vm-admin may not pool.set_name_label");
	CHECK(rbac_allowed(ROLE_POOL_OPERATOR, pool_label, NULL), "pool-operator may pool.set_name_label");

	/* Keys with roles of their own replace the message's permission. */
	CHECK(!rbac_allowed(ROLE_VM_OPERATOR, vm_oc, "x"), "vm-operator may not add other_config:x");
	CHECK(rbac_allowed(ROLE_VM_OPERATOR, vm_oc, "folder"),
	      "vm-operator may add other_config:folder (the key widens access)");
	CHECK(!rbac_allowed(ROLE_VM_ADMIN, vm_oc, "pci"),
	      "vm-admin may not add other_config:pci (the key narrows access)");
	CHECK(rbac_allowed(ROLE_POOL_ADMIN, vm_oc, "pci"), "pool-admin may add other_config:pci");
	CHECK(rbac_allowed(ROLE_VM_OPERATOR, pool_oc, "XenCenter.CustomFields.color"),
	      "wildcard key rule XenCenter.CustomFields.* matches by prefix");

	xerr *e = rbac_denied(vm_oc, "XenCenter.CustomFields.color");
	CHECK(e && !strcmp(e->code, "RBAC_PERMISSION_DENIED") && e->nparams == 2,
	      "denial is RBAC_PERMISSION_DENIED [permission, message]");
	CHECK(e && !strcmp(e->params[0], "vm.add_to_other_config/key:xencenter.customfields.*"),
	      "key permission is lower case and names the wildcard rule");
	xerr_free(e);
	e = rbac_denied(start, NULL);
	CHECK(e && !strcmp(e->params[0], "vm.start"), "message permission is the lower-cased wire name");
	xerr_free(e);

	int internal = 0;
	for (int i = 0; i < api_nmsgs; i++)
		internal += api_msgs[i].roles == 0;
	CHECK(internal > 0, "some messages carry no roles (internal: local superuser only)");

	OK("per-message roles, map keys that widen and narrow access, wildcard keys, "
	   "permission names, internal messages");
	return check_done("test_rbac");
}
