/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/vhd: the VHD footer and dynamic header checks (vhd.h). Big-endian
 * fields; the checksum is the one's complement of the byte sum with the
 * checksum field taken as zero.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vhd.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t checksum(const uint8_t *p, size_t n, size_t skip)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		if (i < skip || i >= skip + 4)
			s += p[i];
	return ~s;
}

int vhd_parse_footer(const uint8_t *b, size_t n, vhd_info *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 512 || memcmp(b, "conectix", 8) != 0)
		return -EINVAL;
	if (checksum(b, 512, 64) != be32(b + 64))
		return -EINVAL;
	/* File format version 1.0. */
	if (be32(b + 12) != 0x00010000)
		return -EINVAL;
	out->data_offset = be64(b + 16);
	out->current_size = be64(b + 48);
	out->disk_type = (int)be32(b + 60);
	if (out->disk_type != 2 && out->disk_type != 3)
		return -EINVAL;
	/* 2 TiB minus a little is the format's limit. */
	if (out->current_size > ((uint64_t)2040 << 30) || out->current_size % 512)
		return -EINVAL;
	if (out->disk_type == 2 && out->data_offset != UINT64_MAX)
		return -EINVAL;
	return 0;
}

int vhd_parse_dyn_header(const uint8_t *b, size_t n, uint64_t file_size, vhd_info *out)
{
	if (n < 1024 || memcmp(b, "cxsparse", 8) != 0)
		return -EINVAL;
	if (checksum(b, 1024, 36) != be32(b + 36))
		return -EINVAL;
	if (be32(b + 24) != 0x00010000)
		return -EINVAL;
	out->table_offset = be64(b + 16);
	out->max_entries = be32(b + 28);
	out->block_size = be32(b + 32);
	uint32_t bs = out->block_size;
	if (bs < 512 || (bs & (bs - 1)) || bs > (256u << 20))
		return -EINVAL;
	if ((uint64_t)out->max_entries * bs < out->current_size)
		return -EINVAL;
	if (out->table_offset % 512 || out->table_offset > file_size ||
	    (uint64_t)out->max_entries * 4 > file_size - out->table_offset)
		return -EINVAL;
	return 0;
}

static int pread_all(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		got += (size_t)r;
	}
	return 0;
}

int vhd_check_fd(int fd, uint64_t size, vhd_info *out)
{
	uint8_t foot[512], head[1024];
	memset(out, 0, sizeof(*out));
	if (size < 512 || pread_all(fd, foot, 512, size - 512) < 0)
		return -EINVAL;
	if (vhd_parse_footer(foot, 512, out) < 0)
		return -EINVAL;
	if (out->disk_type == 2)
		return size - 512 >= out->current_size ? 0 : -EINVAL;
	uint8_t copy[512];
	if (size < 512 + 1024 + 512 || pread_all(fd, copy, 512, 0) < 0 ||
	    memcmp(copy, foot, 512) != 0)
		return -EINVAL;
	if (out->data_offset > size - 1024 || pread_all(fd, head, 1024, out->data_offset) < 0)
		return -EINVAL;
	return vhd_parse_dyn_header(head, 1024, size, out);
}
