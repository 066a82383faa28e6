/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SR_BACKEND_FAILURE_<n> errors the nfs and iso SR types answer, with
 * the numbers and descriptions of XAPI's storage managers (the SM error
 * code table), in XAPI's shape: params [status, stdout, stderr] =
 * ["", "<description>[ [opterr=<detail>]]", ""].
 */
#ifndef HALYARD_SM_NFS_ERRORS_H
#define HALYARD_SM_NFS_ERRORS_H

#include "value.h"

enum {
	SMERR_INVALID_ARG = 1,
	SMERR_SR_IN_USE = 16,
	SMERR_VDI_IN_USE = 24,
	SMERR_SR_NOT_EMPTY = 39,
	SMERR_SR_SCAN = 40,
	SMERR_SR_EXISTS = 42,
	SMERR_VDI_EXISTS = 43,
	SMERR_SR_NO_SPACE = 44,
	SMERR_VDI_UNAVAILABLE = 46,
	SMERR_SR_UNAVAILABLE = 47,
	SMERR_VDI_REMOVE = 64,
	SMERR_VDI_LOAD = 65,
	SMERR_NFS_VERSION = 72,
	SMERR_NFS_MOUNT = 73,
	SMERR_NFS_DELETE = 76,
	SMERR_VDI_CREATE = 78,
	SMERR_VDI_SIZE = 79,
	SMERR_VDI_CLONE = 81,
	SMERR_VDI_SNAPSHOT = 82,
	SMERR_NFS_CREATE = 88,
	SMERR_CONFIG_SERVERPATH_MISSING = 101,
	SMERR_CONFIG_SERVER_MISSING = 102,
	SMERR_CONFIG_SERVERPATH_BAD = 103,
	SMERR_NFS_TARGET = 108,
	SMERR_VDI_RESIZE = 110,
	SMERR_DNS = 140,
	SMERR_VDI_MISSING = 144,
	SMERR_EIO = 200,
	SMERR_ISO_LOCATION_MISSING = 220,
	SMERR_ISO_MOUNT = 222,
	SMERR_ISO_SHARENAME = 224,
	SMERR_ISO_LOCATION_STRING = 225,
};

/* XAPI's description of an SM error code ("General backend error" for
 * codes not in the table above). */
const char *nfs_smerr_description(int code);

/*
 * SR_BACKEND_FAILURE_<code> with the description and, when opterr_fmt is
 * not NULL, " [opterr=<formatted>]" appended, as XAPI's SM drivers do.
 */
xerr *nfs_smerr(int code, const char *opterr_fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
