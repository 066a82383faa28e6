/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/qimg: running qemu-img (fork+execvp, no shell) on images named the way
 * QEMU names them (a path or a URL such as nfs://…), for every driver.
 */
#ifndef HALYARD_SM_QIMG_H
#define HALYARD_SM_QIMG_H

#include "sm.h"

/* What `qemu-img info --output=json` says about one image. */
typedef struct qimg_info {
	char *format;             /* "qcow2", "raw" … */
	int64_t virtual_size;
	int64_t actual_size;      /* bytes allocated (-1 when unknown) */
	char *backing_filename;   /* as written in the header, or NULL */
	bool corrupt;
} qimg_info;

void qimg_info_clear(qimg_info *i);

/* Runs the program argv[0] (PATH lookup, no shell) with argv; stdout into
 * *out, stderr into *err (heap, may be NULL). Returns the exit status, or
 * -errno when it could not run, -ECANCELED when prog cancelled it. */
int sm_run(const char *const *argv, char **out, char **err, const sm_progress *prog);

/* Runs qemu-img with argv (argv[0] is not "qemu-img"; NULL-terminated).
 * Captures stderr (heap, may be NULL) and stdout into *out (may be NULL).
 * Returns the exit status, or -errno when it could not run. When prog is
 * given and the command is `convert` with -p, progress lines drive it and
 * a cancellation kills the child (returns -ECANCELED). */
int qimg_run(const char *const *argv, char **out, char **err, const sm_progress *prog);

/* qemu-img info of filename (format forced when fmt is non-NULL). */
xerr *qimg_info_get(const char *filename, const char *fmt, qimg_info *out);
/* A new image: fmt "qcow2" or "raw"; backing (relative name, format
 * backing_fmt) may be NULL. */
xerr *qimg_create(const char *filename, const char *fmt, int64_t size,
                  const char *backing, const char *backing_fmt);
/* Copies the guest-visible data of src into dst (which exists, size ≥
 * src's: -n) or a new dst (dst_fmt given, create true). */
xerr *qimg_convert(const sm_open *src, const char *dst, const char *dst_fmt,
                   bool create, const sm_progress *prog);
/* Safe rebase of image (qcow2) onto new_backing (NULL: none). */
xerr *qimg_rebase(const char *filename, const char *new_backing,
                  const char *backing_fmt, bool unsafe);
xerr *qimg_resize(const char *filename, const char *fmt, int64_t size);

/* Copies the data of src into the existing VDI image dst (generic
 * VDI.copy when a driver has no vdi_copy). */
xerr *sm_copy_data(const sm_open *src, const sm_open *dst, const sm_progress *prog);

#endif
