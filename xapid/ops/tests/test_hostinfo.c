/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The /proc parsers bootstrap_run relies on, on sample files of real
 * machines (argv[1] is the data directory).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hostinfo.h"

static const char *dir;

static char *sample(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *s = ops_read_file(path, 1 << 20, NULL);
	if (!s) {
		printf("cannot read %s\n", path);
		exit(1);
	}
	return s;
}

static void test_cpuinfo_x86(void)
{
	char *txt = sample("cpuinfo-x86-2socket.txt");
	hi_cpuinfo ci;
	CHECK(hi_parse_cpuinfo(txt, &ci) == 0, "parse");
	CHECK(ci.n == 4, "%zu cpus", ci.n);
	CHECK(ci.sockets == 2, "%d sockets", ci.sockets);
	if (ci.n == 4) {
		CHECK(ci.cpus[3].number == 3, "number %d", ci.cpus[3].number);
		CHECK(!strcmp(ci.cpus[0].vendor, "GenuineIntel"), "vendor %s", ci.cpus[0].vendor);
		CHECK(!strcmp(ci.cpus[0].modelname, "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz"),
		      "model name %s", ci.cpus[0].modelname);
		CHECK(ci.cpus[0].family == 6 && ci.cpus[0].model == 85, "family/model");
		CHECK(!strcmp(ci.cpus[0].stepping, "4"), "stepping %s", ci.cpus[0].stepping);
		CHECK(ci.cpus[1].mhz > 2099.5 && ci.cpus[1].mhz < 2099.7, "mhz %f", ci.cpus[1].mhz);
		CHECK(!strncmp(ci.cpus[2].flags, "fpu vme", 7) && strstr(ci.cpus[2].flags, "vmx"),
		      "flags %s", ci.cpus[2].flags);
	}
	hi_cpuinfo_clear(&ci);
	free(txt);
	OK("x86 cpuinfo: 4 logical CPUs on 2 sockets, vendor, model, speed, flags");
}

static void test_cpuinfo_arm(void)
{
	char *txt = sample("cpuinfo-arm64.txt");
	hi_cpuinfo ci;
	CHECK(hi_parse_cpuinfo(txt, &ci) == 0, "parse");
	CHECK(ci.n == 2, "%zu cpus", ci.n);
	CHECK(ci.sockets == 1, "no physical id counts as one socket, got %d", ci.sockets);
	if (ci.n == 2) {
		CHECK(!strcmp(ci.cpus[0].vendor, "0x41"), "implementer %s", ci.cpus[0].vendor);
		CHECK(ci.cpus[0].model == 0xd0c, "part %x", ci.cpus[0].model);
		CHECK(ci.cpus[0].family == 8, "architecture %d", ci.cpus[0].family);
		CHECK(!strcmp(ci.cpus[1].stepping, "1"), "revision %s", ci.cpus[1].stepping);
		CHECK(!strncmp(ci.cpus[1].flags, "fp asimd", 8), "features %s", ci.cpus[1].flags);
		CHECK(ci.cpus[0].mhz == 0.0, "no MHz line");
	}
	hi_cpuinfo_clear(&ci);
	free(txt);

	CHECK(hi_parse_cpuinfo("", &ci) == -EINVAL, "empty text");
	hi_cpuinfo_clear(&ci);
	CHECK(hi_parse_cpuinfo("garbage without colons\n\n", &ci) == -EINVAL, "garbage");
	hi_cpuinfo_clear(&ci);
	OK("arm64 cpuinfo (implementer, part, revision, Features), empty and garbage input");
}

static void test_meminfo(void)
{
	int64_t total = 0, avail = 0;
	char *txt = sample("meminfo.txt");
	CHECK(hi_parse_meminfo(txt, &total, &avail) == 0, "parse");
	CHECK(total == 24684092LL * 1024, "total %lld", (long long)total);
	CHECK(avail == 23244064LL * 1024, "MemAvailable preferred: %lld", (long long)avail);
	free(txt);
	txt = sample("meminfo-noavail.txt");
	CHECK(hi_parse_meminfo(txt, &total, &avail) == 0, "parse old kernel");
	CHECK(total == 1024LL * 1024 * 1024 && avail == 512LL * 1024 * 1024, "MemFree fallback");
	free(txt);
	CHECK(hi_parse_meminfo("MemFree: 12 kB\n", &total, &avail) == -EINVAL, "no total");
	CHECK(hi_parse_meminfo("", &total, &avail) == -EINVAL, "empty");
	OK("meminfo: bytes, MemAvailable over MemFree, old kernels, missing fields");
}

static void test_route(void)
{
	char ifname[16];
	char *txt = sample("route.txt");
	CHECK(hi_default_route_iface(txt, ifname, sizeof(ifname)) == 0, "default route");
	CHECK(!strcmp(ifname, "eth0"), "lowest metric wins: %s", ifname);
	free(txt);
	txt = sample("route-nodefault.txt");
	CHECK(hi_default_route_iface(txt, ifname, sizeof(ifname)) == -ENOENT, "none");
	free(txt);
	CHECK(hi_default_route_iface("", ifname, sizeof(ifname)) == -ENOENT, "empty");
	OK("/proc/net/route: default route of lowest metric, none, empty");
}

static void test_read_file(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/meminfo.txt", dir);
	size_t len = 0;
	char *s = ops_read_file(path, 10, &len);
	CHECK(s && len == 10 && strlen(s) == 10, "bounded read");
	free(s);
	errno = 0;
	CHECK(!ops_read_file("/nonexistent/file", 10, NULL) && errno == ENOENT, "missing file");
	OK("bounded file reads and missing files");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		printf("usage: test_hostinfo <data dir>\n");
		return 2;
	}
	dir = argv[1];
	test_cpuinfo_x86();
	test_cpuinfo_arm();
	test_meminfo();
	test_route();
	test_read_file();
	return check_done("ops-hostinfo");
}
