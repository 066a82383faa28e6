/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks the generated xe CLI tables (xe_gen.c from schemas/gen/genxe.py).
 * Prints one line per check.
 */
#include <stdio.h>
#include <string.h>

#include "xe_gen.h"

static int failures;

#define CHECK(cond, ...)                                   \
	do {                                               \
		printf((cond) ? "ok   " : "FAIL ");        \
		failures += !(cond);                       \
		printf(__VA_ARGS__);                       \
		printf("\n");                              \
	} while (0)

static const xe_field *field(const char *cls, const char *name)
{
	int c = xe_find_class(cls), f;

	if (c < 0)
		return NULL;
	f = xe_class_find_field(c, name);
	return f < 0 ? NULL : &xe_classes[c].fields[f];
}

int main(void)
{
	const xe_command *c;
	const xe_field *f;
	int all = 1;

	CHECK(xe_ncommands == 677 && xe_nclasses == 55, "677 commands, 55 generated classes");
	c = xe_find_command("vm-start");
	CHECK(c && c->selectors && !strcmp(c->selectors, "vm") && c->cls == -1 &&
		      !(c->flags & XE_CMD_GENERATED),
	      "vm-start: vm selectors, not generated");
	c = xe_find_command("vm-list");
	CHECK(c && (c->flags & XE_CMD_GENERATED) && c->cls == xe_find_class("vm"),
	      "vm-list: generated, class vm");
	c = xe_find_command("appliance-create");
	CHECK(c && c->nrequired == 1 && !strcmp(c->required[0], "name-label") && !c->required[1],
	      "appliance-create requires name-label");
	CHECK(!xe_find_command("vm-frobnicate") && !xe_find_command(""), "unknown commands absent");
	for (int i = 0; i < xe_ncommands; i++)
		if (xe_find_command(xe_commands[i].name) != &xe_commands[i])
			all = 0;
	CHECK(all, "xe_find_command finds all %d commands", xe_ncommands);
	f = field("vm", "name-label");
	CHECK(f && f->access == XE_RW && f->src == XE_SRC_FIELD && !strcmp(f->api_field, "name_label"),
	      "vm name-label -> name_label (RW)");
	f = field("vm", "VCPUs-max");
	CHECK(f && f->src == XE_SRC_FIELD && !strcmp(f->api_field, "VCPUs_max"), "vm VCPUs-max -> VCPUs_max");
	f = field("vm", "networks");
	CHECK(f && f->src == XE_SRC_COMPUTED && !f->api_field, "vm networks is computed");
	f = field("vif", "vm-uuid");
	CHECK(f && f->src == XE_SRC_REF_UUID && !strcmp(f->api_field, "VM"), "vif vm-uuid -> uuid of VIF.VM");
	f = field("network", "VIF-uuids");
	CHECK(f && f->src == XE_SRC_REF_UUIDS && !strcmp(f->api_field, "VIFs"), "network VIF-uuids -> VIFs");
	CHECK(xe_find_class("template") >= 0 &&
		      !strcmp(xe_classes[xe_find_class("template")].xapi_class, "VM") &&
		      xe_classes[xe_find_class("template")].nfilters == 2,
	      "template: VM with 2 implicit filters");
	CHECK(!strcmp(xe_short_switches[0].sw, "--debug") || xe_short_switches[0].sw,
	      "short switches table present");
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
