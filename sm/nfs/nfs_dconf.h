/* SPDX-License-Identifier: Apache-2.0 */
/*
 * device_config of the NFS-backed SR types, checked the way XAPI's NFS and
 * ISO SR drivers check it, with their errors:
 *
 *   type=nfs:  server (host name or IPv4 address, required),
 *              serverpath (absolute path of the export, required),
 *              nfsversion ("3" default, "4", "4.0"; optional)
 *   type=iso:  location=<server>:<path> (an NFS export)
 *
 * Parsing does no network I/O. The strings kept are safe to put into an
 * nfs:// URL unescaped (nothing but host-name and path characters).
 */
#ifndef HALYARD_SM_NFS_DCONF_H
#define HALYARD_SM_NFS_DCONF_H

#include <stdbool.h>

#include "value.h"

typedef struct nfs_target {
	char *server; /* owned */
	char *path;   /* owned; absolute, no trailing '/' unless it is "/" */
	int version;  /* 3 or 4 */
} nfs_target;

/*
 * dconf: the device_config map (an XV_STRUCT of strings). On success fills
 * *t (free with nfs_target_clear) and returns NULL; on failure returns
 * SR_BACKEND_FAILURE_<n> and leaves *t empty. Order of checks as XAPI's
 * NFS SR: server missing (102), nfsversion (72), serverpath missing (101),
 * then the syntax of server (140) and serverpath (103).
 */
xerr *nfs_dconf_parse(const xv *dconf, nfs_target *t);

/* True when an ISO SR location names an NFS export ("server:/path") rather
 * than a local directory or a CIFS share. */
bool nfs_iso_location_is_nfs(const char *location);

/*
 * An ISO SR's device_config: location "server:/path" (220 if absent, 225
 * if not of that form, 140 / 103 for a bad host or path). version is 3
 * unless nfsversion says otherwise.
 */
xerr *nfs_iso_dconf_parse(const xv *dconf, nfs_target *t);

/* A DNS name or dotted IPv4 address as the parsers accept them. */
bool nfs_host_ok(const char *host);

void nfs_target_clear(nfs_target *t);

/* "nfs://<server><path>[/<rel>]" (rel without a leading '/'; NULL or ""
 * for the export itself). Caller frees. */
char *nfs_target_url(const nfs_target *t, const char *rel);

/* "<path>[/<rel>]" — an absolute path on the server. Caller frees. */
char *nfs_target_join(const nfs_target *t, const char *rel);

#endif
