/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a qcow2 image's backing reference from the start of the image
 * (qcow2_hdr.c): a pure parser over bytes, so it can be fuzzed.
 */
#ifndef HALYARD_XENOPS_QCOW2_HDR_H
#define HALYARD_XENOPS_QCOW2_HDR_H

#include <stddef.h>

/* How many leading bytes of an image qcow2_hdr_backing wants: the header,
 * its extensions and the backing file name all sit in the first cluster
 * (QEMU writes them there), and reading more is never needed. */
#define QCOW2_HDR_READ 65536

/* Parses the first len bytes of an image. Returns 1 for a qcow2 with a
 * backing file (*name, and *fmt when the backing-format extension names
 * one, else NULL; both heap), 0 for a qcow2 without one, -1 for bytes
 * that are no qcow2 or a malformed header (*why: a static text). A name
 * with a NUL in it or longer than 1023 bytes is malformed. */
int qcow2_hdr_backing(const unsigned char *buf, size_t len, char **name, char **fmt,
		      const char **why);

/* Whether buf (len bytes) starts with the qcow2 magic. */
int qcow2_hdr_is_qcow2(const unsigned char *buf, size_t len);

#endif
