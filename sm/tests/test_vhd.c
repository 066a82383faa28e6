/* SPDX-License-Identifier: Apache-2.0 */
/* The VHD checks on the seed corpus: which images are accepted. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "vhd.h"

static int check_file(const char *dir, const char *name, vhd_info *vi)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return -2;
	struct stat sb;
	fstat(fd, &sb);
	int r = vhd_check_fd(fd, (uint64_t)sb.st_size, vi);
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	vhd_info vi;
	CHECK(check_file(dir, "dyn.vhd", &vi) == 0 && vi.disk_type == 3 &&
	      vi.current_size == (2u << 20), "dynamic accepted");
	CHECK(check_file(dir, "fixed.vhd", &vi) == 0 && vi.disk_type == 2 &&
	      vi.current_size == (64u << 10), "fixed accepted");
	OK("qemu-img's dynamic and fixed VHDs are accepted with their sizes");
	CHECK(check_file(dir, "differencing-badsum", &vi) != 0, "differencing refused");
	CHECK(check_file(dir, "garbage", &vi) != 0, "garbage refused");
	CHECK(check_file(dir, "footer-only", &vi) != 0, "footer only refused");
	OK("differencing disks (a parent file), bad checksums and junk are refused");
	return check_done("sm-vhd");
}
