/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QEMU NICs: start-time arguments and hotplug (see qemu_nic.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "qemu_int.h"
#include "qemu_boot.h"
#include "qemu_nic.h"
#include "qemu_fdpass.h"
#include "util.h"

#define UNPLUG_MS 30000
#define FORCE_MS 2000

void xo_nic_clear(xo_nic *n)
{
	if (!n)
		return;
	free(n->device);
	free(n->mac);
	free(n->ifname);
	free(n->bridge);
	memset(n, 0, sizeof(*n));
}

/* A MAC and an interface name may go into QEMU's option syntax as they
 * are: hex digits and colons; letters, digits, dots. */
static bool safe_opt(const char *s)
{
	if (!s || !*s)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z') || *c == ':' || *c == '.' || *c == '-' || *c == '_'))
			return false;
	return true;
}

void xo_qemu_nic_argv(const xo_spec *s, void (*add)(void *a, char *s), void *a)
{
	/* Ports 0..7 each take a slot of pcie.0 (as before: the layout of
	 * earlier VMs, which a resumed suspend image needs, is kept); 8..15
	 * share slot 0x1e as functions 0..7, with no I/O window (virtio
	 * behind a PCIe port is modern-only, and 16 windows of 4 KiB would
	 * exhaust the 64 KiB of I/O space). */
	for (int i = 0; i < XO_NIC_PORTS; i++) {
		add(a, hx_strdup("-device"));
		if (i < 8)
			add(a, hx_asprintf("pcie-root-port,id=hxnp%d,chassis=%d", i, 120 + i));
		else
			add(a, hx_asprintf("pcie-root-port,id=hxnp%d,chassis=%d,bus=pcie.0,"
					   "addr=0x1e.%d%s,io-reserve=0",
					   i, 120 + i, i - 8, i == 8 ? ",multifunction=on" : ""));
	}
	for (size_t i = 0; i < s->nnics; i++) {
		const xo_nic *n = &s->nics[i];
		int d = xo_devnum(n->device, 64);
		if (d < 0 || !safe_opt(n->ifname) || !safe_opt(n->mac))
			continue;
		add(a, hx_strdup("-netdev"));
		add(a, hx_asprintf("tap,id=vif%d,ifname=%s,script=no,downscript=no", d, n->ifname));
		char mtu[32] = "";
		if (n->mtu >= 68 && n->mtu <= 65535 && n->mtu != 1500)
			snprintf(mtu, sizeof(mtu), ",host_mtu=%lld", (long long)n->mtu);
		char bus[32] = "";
		if (d < XO_NIC_PORTS)
			snprintf(bus, sizeof(bus), ",bus=hxnp%d", d);
		char boot[32] = "";
		int bi = xo_boot_index_nic(s, i);
		if (bi > 0)
			snprintf(boot, sizeof(boot), ",bootindex=%d", bi);
		add(a, hx_strdup("-device"));
		add(a, hx_asprintf("virtio-net-pci,id=nic%d,netdev=vif%d,mac=%s%s%s%s", d, d, n->mac,
				   bus, mtu, boot));
	}
}

/* ---- QMP --------------------------------------------------------------------- */


static json_object *obj1(const char *k, const char *v)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, k, json_object_new_string(v));
	return o;
}

xerr *xo_nic_hotplug(const char *vm_uuid, const xo_nic *n)
{
	int d = xo_devnum(n->device, 64);
	if (d < 0 || d >= XO_NIC_PORTS)
		return xerr_new("OPERATION_NOT_ALLOWED",
				"hotplug needs a VIF with device 0..15 (one PCIe port each)", NULL);
	char id[16], nd[16], bus[16];
	snprintf(id, sizeof(id), "nic%d", d);
	snprintf(nd, sizeof(nd), "vif%d", d);
	snprintf(bus, sizeof(bus), "hxnp%d", d);
	json_object *t = json_object_new_object();
	json_object_object_add(t, "type", json_object_new_string("tap"));
	json_object_object_add(t, "id", json_object_new_string(nd));
	/* By fd: attaching to a tap by name needs CAP_NET_ADMIN, which a
	 * QEMU running as its own user does not have (qemu_fdpass.c). */
	xerr *e = xo_fdpass_netdev_tap(vm_uuid, n->ifname, t);
	if (e)
		return e;
	json_object *dev = json_object_new_object();
	json_object_object_add(dev, "driver", json_object_new_string("virtio-net-pci"));
	json_object_object_add(dev, "id", json_object_new_string(id));
	json_object_object_add(dev, "netdev", json_object_new_string(nd));
	json_object_object_add(dev, "mac", json_object_new_string(n->mac));
	json_object_object_add(dev, "bus", json_object_new_string(bus));
	if (n->mtu >= 68 && n->mtu <= 65535 && n->mtu != 1500)
		json_object_object_add(dev, "host_mtu", json_object_new_int64(n->mtu));
	e = xo_vm_qmp(vm_uuid, "device_add", dev, NULL);
	if (e)
		xerr_free(xo_vm_qmp(vm_uuid, "netdev_del", obj1("id", nd), NULL));
	return e;
}

/* Whether device id still exists (qom-list of /machine/peripheral). */
static bool device_present(const char *vm_uuid, const char *id)
{
	json_object *r = NULL;
	xerr *e = xo_vm_qmp(vm_uuid, "qom-list", obj1("path", "/machine/peripheral"), &r);
	if (e) {
		xerr_free(e);
		return false;
	}
	bool found = false;
	size_t len = r && json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;
	for (size_t i = 0; i < len && !found; i++) {
		json_object *nm;
		if (json_object_object_get_ex(json_object_array_get_idx(r, i), "name", &nm) &&
		    !strcmp(json_object_get_string(nm), id))
			found = true;
	}
	json_object_put(r);
	return found;
}

xerr *xo_nic_unplug(const char *vm_uuid, const char *device, bool force)
{
	int d = xo_devnum(device, 64);
	if (d < 0)
		return xerr_new("OPERATION_NOT_ALLOWED", "bad VIF device", NULL);
	char id[16], nd[16];
	snprintf(id, sizeof(id), "nic%d", d);
	snprintf(nd, sizeof(nd), "vif%d", d);
	if (device_present(vm_uuid, id)) {
		xerr *e = xo_vm_qmp(vm_uuid, "device_del", obj1("id", id), NULL);
		if (e)
			return e;
		/* PCIe hotplug: the guest lets go, then the device goes. */
		int64_t deadline = hx_mono_ms() + (force ? FORCE_MS : UNPLUG_MS);
		while (device_present(vm_uuid, id)) {
			if (hx_mono_ms() > deadline) {
				if (force)
					break;
				return xerr_new("DEVICE_DETACH_REJECTED", "VIF", id,
						"the guest did not release the device", NULL);
			}
			usleep(100 * 1000);
		}
	}
	/* The backend goes too (a failure here, such as a netdev already
	 * gone, leaves nothing for the guest: the tap is removed next). */
	xerr_free(xo_vm_qmp(vm_uuid, "netdev_del", obj1("id", nd), NULL));
	return NULL;
}
