/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live changes to a running QEMU domain over QMP:
 *
 * vCPUs: QEMU runs with -smp cpus=VCPUs_at_startup,maxcpus=VCPUs_max, so
 * the slots above the boot vCPUs exist empty. Growing fills free slots
 * (query-hotpluggable-cpus gives each slot's type and socket/core/thread
 * ids; device_add plugs one, the guest sees an ACPI hot-add). Shrinking
 * asks the guest to eject the highest vCPUs (device_del by QOM path: an
 * ACPI eject request the guest completes on its own).
 *
 * Memory: a virtio-balloon device (id balloon0); "balloon" sets the
 * target the guest's driver inflates or deflates to, query-balloon reads
 * what the guest has now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_int.h"
#include "util.h"

/* The hot-pluggable vCPU slots; *present counts the filled ones. */
static xerr *cpu_slots(xo_domain *d, json_object **slots, int64_t *present)
{
	json_object *r = NULL;
	xerr *e = qmp_once(d, "query-hotpluggable-cpus", NULL, &r);
	if (e)
		return e;
	if (!json_object_is_type(r, json_type_array)) {
		json_object_put(r);
		return xerr_new("INTERNAL_ERROR", "QMP query-hotpluggable-cpus: not a list", NULL);
	}
	int64_t n = 0;
	for (size_t i = 0; i < json_object_array_length(r); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(r, i), "qom-path", NULL))
			n++;
	*slots = r;
	*present = n;
	return NULL;
}

/* The number of vCPUs the domain has now (filled slots). */
static xerr *count_vcpus(xo_domain *d, int64_t *n)
{
	json_object *slots = NULL;
	xerr *e = cpu_slots(d, &slots, n);
	json_object_put(slots);
	return e;
}

xerr *qemu_set_vcpus(xo_domain *d, int64_t n)
{
	json_object *slots = NULL;
	int64_t have = 0;
	xerr *e = cpu_slots(d, &slots, &have);
	if (e)
		return e;
	size_t total = json_object_array_length(slots);
	if (n < 1 || (size_t)n > total) {
		json_object_put(slots);
		return xerr_newf("INTERNAL_ERROR", "the domain has %zu vCPU slots", total);
	}
	/* QEMU lists the slots highest first; fill from the lowest free one,
	 * empty from the highest filled one. */
	for (size_t k = 0; !e && have < n && k < total; k++) {
		json_object *s = json_object_array_get_idx(slots, total - 1 - k), *type, *props;
		if (json_object_object_get_ex(s, "qom-path", NULL))
			continue;
		if (!json_object_object_get_ex(s, "type", &type) ||
		    !json_object_object_get_ex(s, "props", &props)) {
			e = xerr_new("INTERNAL_ERROR", "QMP: a vCPU slot without type or props", NULL);
			break;
		}
		json_object *a = json_object_new_object();
		json_object_object_add(a, "driver", json_object_get(type));
		char id[32];
		snprintf(id, sizeof(id), "vcpu%zu", total - 1 - k);
		json_object_object_add(a, "id", json_object_new_string(id));
		json_object_object_foreach(props, key, val)
		{
			json_object_object_add(a, key, json_object_get(val));
		}
		e = qmp_once(d, "device_add", a, NULL);
		json_object_put(a);
		if (!e)
			have++;
	}
	for (size_t k = 0; !e && have > n && k < total; k++) {
		json_object *s = json_object_array_get_idx(slots, k), *qp;
		if (!json_object_object_get_ex(s, "qom-path", &qp))
			continue;
		json_object *a = json_object_new_object();
		json_object_object_add(a, "id", json_object_get(qp));
		e = qmp_once(d, "device_del", a, NULL);
		json_object_put(a);
		if (!e)
			have--;
	}
	json_object_put(slots);
	return e;
}

xerr *qemu_set_memory_target(xo_domain *d, int64_t bytes)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "value", json_object_new_int64(bytes));
	xerr *e = qmp_once(d, "balloon", a, NULL);
	json_object_put(a);
	return e;
}

xerr *qemu_live_state(xo_domain *d, int64_t *vcpus, int64_t *memory_actual)
{
	*vcpus = -1;
	*memory_actual = -1;
	xerr *e = count_vcpus(d, vcpus);
	if (e)
		return e;
	json_object *r = NULL, *act;
	e = qmp_once(d, "query-balloon", NULL, &r);
	if (!e && json_object_object_get_ex(r, "actual", &act))
		*memory_actual = json_object_get_int64(act);
	json_object_put(r);
	/* No balloon (an older domain): memory is what it was built with. */
	xerr_free(e);
	return NULL;
}
