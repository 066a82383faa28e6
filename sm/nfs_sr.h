/* SPDX-License-Identifier: Apache-2.0 */
/* What the NFS-backed SR types (sm/nfs.c, sm/iso_nfs.c) share. */
#ifndef HALYARD_SM_NFS_SR_H
#define HALYARD_SM_NFS_SR_H

#include "nfs_client.h"
#include "nfs_dconf.h"
#include "value.h"

/* Bounds every NFS call, so that a dead server fails the operation rather
 * than hanging xapid's worker (libnfs retries forever without it). */
#define NFS_CALL_TIMEOUT_MS 60000
#define NFS_CONNECT_TIMEOUT_MS 15000

/*
 * Mounts the export of t (*out owns it), with XAPI's errors: the host does
 * not resolve (SR_BACKEND_FAILURE_140), no NFS service answers (108), the
 * mount is refused (mount_code: 73 for nfs SRs, 222 for ISO libraries).
 */
xerr *nfs_export_connect(const nfs_target *t, int mount_code, nfsc **out);

#endif
