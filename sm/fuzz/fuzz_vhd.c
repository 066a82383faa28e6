/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the VHD checks (sm/vhd.c) on arbitrary bytes, both through
 * the parsers directly and as a whole file (footer at the end, its copy at
 * the start, the dynamic header where the footer says).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vhd_info vi;
	if (vhd_parse_footer(data, size, &vi) == 0 && size >= 512 + 1024)
		(void)vhd_parse_dyn_header(data + 512, size - 512, size, &vi);
	int fd = memfd_create("vhd", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		int r = vhd_check_fd(fd, size, &vi);
		/* A VHD accepted must describe a disk the file can hold. */
		if (r == 0 && vi.disk_type == 3 && (uint64_t)vi.max_entries * vi.block_size < vi.current_size)
			abort();
	}
	close(fd);
	return 0;
}
