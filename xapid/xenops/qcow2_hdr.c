/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The backing reference of a qcow2 image (qcow2_hdr.h). Layout (qcow2
 * spec, all big-endian): magic "QFI\xfb" at 0, version at 4, backing file
 * offset (u64) at 8 and size (u32) at 16; version 3 has its header length
 * at 100 (version 2: 72 bytes); header extensions follow it, each a type
 * (u32), a length (u32) and data padded to 8 bytes, ending with type 0;
 * type 0xe2792aca is the backing file's format name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_hdr.h"

#define MAGIC 0x514649fbu
#define EXT_BACKING_FORMAT 0xe2792acau
#define MAX_NAME 1023
#define MAX_FMT 31

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

int qcow2_hdr_is_qcow2(const unsigned char *buf, size_t len)
{
	return len >= 4 && be32(buf) == MAGIC;
}

static char *dup_n(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

int qcow2_hdr_backing(const unsigned char *buf, size_t len, char **name, char **fmt,
		      const char **why)
{
	*name = *fmt = NULL;
	*why = NULL;
	if (len < 72 || be32(buf) != MAGIC) {
		*why = "not a qcow2 image";
		return -1;
	}
	uint32_t version = be32(buf + 4);
	if (version != 2 && version != 3) {
		*why = "unknown qcow2 version";
		return -1;
	}
	uint64_t off = be64(buf + 8);
	uint32_t n = be32(buf + 16);
	if (!off || !n)
		return 0;
	if (n > MAX_NAME) {
		*why = "backing file name too long";
		return -1;
	}
	if (off > len || n > len - off) {
		*why = "backing file name outside the image's first cluster";
		return -1;
	}
	if (memchr(buf + off, 0, n)) {
		*why = "backing file name with a NUL byte";
		return -1;
	}
	uint64_t pos = 72;
	if (version == 3) {
		if (len < 104) {
			*why = "short qcow2 v3 header";
			return -1;
		}
		pos = be32(buf + 100);
		if (pos < 104) {
			*why = "bad qcow2 header length";
			return -1;
		}
	}
	/* Header extensions, until type 0, the name, or the buffer's end. */
	while (pos <= len && len - pos >= 8) {
		uint32_t type = be32(buf + pos), xl = be32(buf + pos + 4);
		if (!type)
			break;
		if (xl > len - pos - 8)
			break; /* runs past what was read: no format known */
		if (type == EXT_BACKING_FORMAT) {
			if (xl > MAX_FMT || !xl || memchr(buf + pos + 8, 0, xl)) {
				*why = "bad backing format extension";
				return -1;
			}
			*fmt = dup_n(buf + pos + 8, xl);
			break;
		}
		pos += 8 + (((uint64_t)xl + 7) & ~(uint64_t)7);
	}
	*name = dup_n(buf + off, n);
	return 1;
}
