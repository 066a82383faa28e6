/* SPDX-License-Identifier: Apache-2.0 */
/* SR_BACKEND_FAILURE_<n> errors of the nfs and iso SR types (nfs_errors.h). */
#include "nfs_errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const struct {
	int code;
	const char *desc;
} descs[] = {
	{SMERR_INVALID_ARG, "Invalid argument"},
	{SMERR_SR_IN_USE, "The SR device is currently in use"},
	{SMERR_VDI_IN_USE, "The VDI is currently in use"},
	{SMERR_SR_NOT_EMPTY, "The SR is not empty"},
	{SMERR_SR_SCAN, "The SR scan failed "},
	{SMERR_SR_EXISTS, "The SR already exists"},
	{SMERR_VDI_EXISTS, "The VDI already exists"},
	{SMERR_SR_NO_SPACE, "There is insufficient space"},
	{SMERR_VDI_UNAVAILABLE, "The VDI is not available"},
	{SMERR_SR_UNAVAILABLE, "The SR is not available"},
	{SMERR_VDI_REMOVE, "Failed to remove VDI"},
	{SMERR_VDI_LOAD, "Failed to load VDI"},
	{SMERR_NFS_VERSION, "Required NFS server version unsupported"},
	{SMERR_NFS_MOUNT, "NFS mount error"},
	{SMERR_NFS_DELETE, "Failed to remove NFS mount point"},
	{SMERR_VDI_CREATE, "VDI Creation failed"},
	{SMERR_VDI_SIZE, "VDI Invalid size"},
	{SMERR_VDI_CLONE, "Failed to clone VDI"},
	{SMERR_VDI_SNAPSHOT, "Failed to snapshot VDI"},
	{SMERR_NFS_CREATE, "NFS SR creation error"},
	{SMERR_CONFIG_SERVERPATH_MISSING, "The request is missing the serverpath parameter"},
	{SMERR_CONFIG_SERVER_MISSING, "The request is missing the server parameter"},
	{SMERR_CONFIG_SERVERPATH_BAD, "The serverpath argument is not valid"},
	{SMERR_NFS_TARGET, "Unable to detect an NFS service on this target."},
	{SMERR_VDI_RESIZE, "VDI resize failed"},
	{SMERR_DNS, "Incorrect DNS name, unable to resolve."},
	{SMERR_VDI_MISSING, "VDI could not be found"},
	{SMERR_EIO, "General IO error"},
	{SMERR_ISO_LOCATION_MISSING, "'Location' parameter must be specified in Device Configuration"},
	{SMERR_ISO_MOUNT, "Could not mount the directory specified in Device Configuration"},
	{SMERR_ISO_SHARENAME,
	 "Could not locate the ISO sharename on the target, or the access permissions may be incorrect."},
	{SMERR_ISO_LOCATION_STRING, "Incorrect Location string format. String must be in the format "
				    "SERVER:PATH for NFS targets, or \\\\SERVER\\PATH for CIFS targets"},
};

const char *nfs_smerr_description(int code)
{
	for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++)
		if (descs[i].code == code)
			return descs[i].desc;
	return "General backend error";
}

xerr *nfs_smerr(int code, const char *opterr_fmt, ...)
{
	char name[48];
	snprintf(name, sizeof(name), "SR_BACKEND_FAILURE_%d", code);
	char *msg;
	if (opterr_fmt) {
		va_list ap;
		va_start(ap, opterr_fmt);
		char *opt = NULL;
		if (vasprintf(&opt, opterr_fmt, ap) < 0)
			hx_oom();
		va_end(ap);
		msg = hx_asprintf("%s [opterr=%s]", nfs_smerr_description(code), opt);
		free(opt);
	} else {
		msg = hx_strdup(nfs_smerr_description(code));
	}
	xerr *e = xerr_new(name, "", msg, "", NULL);
	free(msg);
	return e;
}
