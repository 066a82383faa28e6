/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/vhd: checks a VHD image before it is imported (the conversion itself
 * is qemu-img's "vpc" driver). Only fixed and dynamic disks are accepted:
 * a differencing disk names a parent file, which an upload must never be
 * allowed to reach.
 */
#ifndef HALYARD_SM_VHD_H
#define HALYARD_SM_VHD_H

#include <stddef.h>
#include <stdint.h>

typedef struct vhd_info {
	int disk_type;          /* 2 fixed, 3 dynamic */
	uint64_t current_size;  /* the virtual size in bytes */
	uint64_t data_offset;   /* dynamic: where the dynamic header is */
	uint64_t table_offset;  /* dynamic: the BAT */
	uint32_t max_entries;   /* dynamic: BAT entries */
	uint32_t block_size;    /* dynamic */
} vhd_info;

/* Parses a 512-byte footer (cookie, checksum, type). 0 or -EINVAL. */
int vhd_parse_footer(const uint8_t *buf, size_t n, vhd_info *out);
/* Parses a 1024-byte dynamic header into out (after the footer).
 * file_size bounds the table. 0 or -EINVAL. */
int vhd_parse_dyn_header(const uint8_t *buf, size_t n, uint64_t file_size, vhd_info *out);
/* Checks the VHD file open at fd (size bytes): footer at the end, the
 * copy at the start and the dynamic header for dynamic disks. */
int vhd_check_fd(int fd, uint64_t size, vhd_info *out);

#endif
