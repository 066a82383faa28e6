/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files and taps that xapid opens for a running QEMU and hands over as
 * file descriptors (qemu_fdpass.c), so that a QEMU running as an
 * unprivileged user opens nothing by path after start-up.
 */
#ifndef HALYARD_XENOPS_QEMU_FDPASS_H
#define HALYARD_XENOPS_QEMU_FDPASS_H

#include <json-c/json.h>

#include "xenops.h"

/* Rewrites the blockdev-add format node `node` (in place) for VM vm_uuid:
 * a qcow2 on a local file gets its backing chain spelled out from the
 * image headers (read-only layers, the bottom "backing": null), and every
 * local file/host_device in the tree is opened here and named
 * "/dev/fdset/N" (the fds tagged with their node's name). An nfs qcow2
 * gets its chain too (layers blockdev-added on their own, named
 * node-bK, bottom first); other network protocols are left as they are. On error the sets it added are gone. */
xerr *xo_fdpass_blockdev(const char *vm_uuid, json_object *node);

/* After a failed blockdev-add of node: removes the layers added for it
 * on their own (node-bK) and the fd sets no node uses. */
void xo_fdpass_forget(const char *vm_uuid, const char *node);

/* Removes the fd sets whose node (named prefix…) no longer exists. */
void xo_fdpass_prune(const char *vm_uuid, const char *prefix);

/* The file behind a node's file name as QEMU reports it: for
 * "/dev/fdset/N" the path of that set's fd in QEMU's process (readlink
 * of /proc/<pid>/fd/<fd>), else the name itself. Heap; NULL when an fd
 * set cannot be resolved. */
char *xo_fdpass_resolve(const char *vm_uuid, const char *filename);

/* netdev_add of netdev (taken; a "tap" with its "id") on the tap ifname:
 * xapid attaches to the tap and passes the fd (getfd + "fd"). */
xerr *xo_fdpass_netdev_tap(const char *vm_uuid, const char *ifname, json_object *netdev);

#endif
