/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libnfs wrapper against a real NFS server: run under
 * `scripts/nfs-server run --`, which sets NFS_SERVER and NFS_EXPORT (the
 * exported directory, local to this machine, so every byte written over
 * NFS is also checked through the local filesystem).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "nfs_client.h"
#include "value.h"

static const char *server, *export_dir;

static char *local(const char *rel)
{
	return hx_asprintf("%s%s", export_dir, rel);
}

static void pattern(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)((i * 131u + seed) ^ (i >> 9));
}

static void test_mount(int version)
{
	nfsc *c = NULL;
	char *msg = NULL;
	int r = nfsc_mount(server, export_dir, version, 60000, &c, &msg);
	CHECK(r == 0 && c, "mount v%d: %d %s", version, r, msg ? msg : "");
	free(msg);
	nfsc_space sp = {0};
	if (c) {
		r = nfsc_statvfs(c, "/", &sp);
		CHECK(r == 0 && sp.total > 0 && sp.free <= sp.total, "statvfs v%d: %d total %llu free %llu", version,
		      r, (unsigned long long)sp.total, (unsigned long long)sp.free);
	}
	c = nfsc_close(c);
	OK("mount NFSv%d of %s:%s, statvfs total %llu free %llu", version, server, export_dir,
	   (unsigned long long)sp.total, (unsigned long long)sp.free);

	char *bad = hx_asprintf("%s/no-such-dir", export_dir);
	r = nfsc_mount(server, bad, version, 60000, &c, &msg);
	CHECK(r < 0 && !c && msg && *msg, "mount of a missing path fails with a message: %d", r);
	OK("mount v%d of a missing path: %d (%s)", version, r, msg ? msg : "");
	free(msg);
	free(bad);
}

static void test_files(nfsc *c)
{
	CHECK(nfsc_mkdir(c, "/sr1", 0755) == 0, "mkdir: %s", nfsc_error(c));
	CHECK(nfsc_mkdir(c, "/sr1", 0755) == -EEXIST, "mkdir twice -> EEXIST");
	CHECK(nfsc_exists(c, "/sr1") == 1 && nfsc_exists(c, "/nope") == 0, "exists");
	nfsc_attr st;
	CHECK(nfsc_stat(c, "/sr1", &st) == 0 && st.is_dir && !st.is_reg, "stat dir");
	CHECK(nfsc_stat(c, "/nope", &st) == -ENOENT, "stat missing -> ENOENT");
	OK("mkdir, EEXIST, exists, stat of a directory and of a missing path");

	/* 3 MiB + a bit: several transfers of libnfs's maximum size */
	size_t n = 3 * 1024 * 1024 + 4097;
	uint8_t *w = malloc(n), *rbuf = malloc(n + 16);
	pattern(w, n, 7);
	nfsc_file *f = NULL;
	int r = nfsc_open(c, "/sr1/a.img", O_RDWR | O_CREAT | O_EXCL, 0644, &f);
	CHECK(r == 0 && f, "create: %d %s", r, nfsc_error(c));
	if (f) {
		CHECK(nfsc_pwrite(c, f, 0, w, n) == (int64_t)n, "pwrite");
		CHECK(nfsc_fsync(c, f) == 0, "fsync");
		memset(rbuf, 0, n);
		CHECK(nfsc_pread(c, f, 0, rbuf, n + 16) == (int64_t)n, "pread to EOF returns the size");
		CHECK(!memcmp(w, rbuf, n), "read back equals written");
		CHECK(nfsc_pread(c, f, 1000, rbuf, 10) == 10 && !memcmp(rbuf, w + 1000, 10), "pread at offset");
		CHECK(nfsc_fclose(c, f) == 0, "close");
	}
	nfsc_file *f2 = NULL;
	CHECK(nfsc_open(c, "/sr1/a.img", O_RDWR | O_CREAT | O_EXCL, 0644, &f2) == -EEXIST && !f2,
	      "O_EXCL on an existing file -> EEXIST");
	char *lp = local("/sr1/a.img");
	FILE *lf = fopen(lp, "rb");
	size_t got = lf ? fread(rbuf, 1, n + 16, lf) : 0;
	if (lf)
		fclose(lf);
	CHECK(got == n && !memcmp(w, rbuf, n), "the local file has the bytes written over NFS (%zu)", got);
	CHECK(nfsc_stat(c, "/sr1/a.img", &st) == 0 && st.is_reg && st.size == n && st.allocated > 0,
	      "stat file: size %llu allocated %llu", (unsigned long long)st.size, (unsigned long long)st.allocated);
	OK("create O_EXCL, %zu bytes written and read back over NFS and through the local export dir", n);

	f = NULL;
	if (nfsc_open(c, "/sr1/a.img", O_RDWR, 0, &f) == 0) {
		CHECK(nfsc_ftruncate(c, f, 4096) == 0, "ftruncate");
		nfsc_fclose(c, f);
	}
	struct stat ls;
	CHECK(stat(lp, &ls) == 0 && ls.st_size == 4096, "truncated locally visible");
	free(lp);
	OK("ftruncate");

	CHECK(nfsc_link(c, "/sr1/a.img", "/sr1/l.img") == 0, "link: %s", nfsc_error(c));
	CHECK(nfsc_link(c, "/sr1/a.img", "/sr1/l.img") == -EEXIST, "link over an existing name -> EEXIST");
	char *ll = local("/sr1/l.img"), *la = local("/sr1/a.img");
	struct stat s1, s2;
	CHECK(stat(ll, &s1) == 0 && stat(la, &s2) == 0 && s1.st_ino == s2.st_ino && s1.st_nlink == 2,
	      "a hard link (same inode, 2 links) on the server");
	free(ll);
	free(la);
	CHECK(nfsc_unlink(c, "/sr1/l.img") == 0, "unlink the link");
	OK("hard link (NFS LINK), EEXIST");
	CHECK(nfsc_rename(c, "/sr1/a.img", "/sr1/b.img") == 0, "rename");
	CHECK(nfsc_exists(c, "/sr1/a.img") == 0 && nfsc_exists(c, "/sr1/b.img") == 1, "renamed");
	CHECK(nfsc_write_file(c, "/sr1/meta", "hello", 5, 0644) == 0, "write_file");
	CHECK(nfsc_write_file(c, "/sr1/meta", "hello, again", 12, 0644) == 0, "write_file replaces");
	char *buf;
	size_t len;
	CHECK(nfsc_read_file(c, "/sr1/meta", 100, &buf, &len) == 0 && len == 12 && !strcmp(buf, "hello, again"),
	      "read_file");
	free(buf);
	CHECK(nfsc_read_file(c, "/sr1/meta", 4, &buf, &len) == -EFBIG && !buf, "read_file over max -> EFBIG");
	CHECK(nfsc_read_file(c, "/sr1", 100, &buf, &len) == -EISDIR, "read_file of a dir -> EISDIR");
	char **names;
	size_t nn;
	CHECK(nfsc_readdir(c, "/sr1", &names, &nn) == 0 && nn == 2 && !strcmp(names[0], "b.img") &&
		      !strcmp(names[1], "meta"),
	      "readdir lists b.img, meta (no temp file left): %zu", nn);
	nfsc_names_free(names, nn);
	CHECK(nfsc_readdir(c, "/nope", &names, &nn) == -ENOENT && !names && nn == 0, "readdir missing");
	OK("rename, atomic write_file/read_file, EFBIG, EISDIR, sorted readdir without temp files");

	CHECK(nfsc_rmdir(c, "/sr1") == -ENOTEMPTY, "rmdir non-empty -> ENOTEMPTY");
	CHECK(nfsc_unlink(c, "/sr1/b.img") == 0 && nfsc_unlink(c, "/sr1/meta") == 0, "unlink");
	CHECK(nfsc_unlink(c, "/sr1/meta") == -ENOENT, "unlink missing -> ENOENT");
	CHECK(nfsc_rmdir(c, "/sr1") == 0, "rmdir");
	char *ld = local("/sr1");
	CHECK(access(ld, F_OK) != 0, "directory gone locally");
	free(ld);
	OK("ENOTEMPTY, unlink, ENOENT, rmdir");
	free(w);
	free(rbuf);
}

int main(void)
{
	server = getenv("NFS_SERVER");
	export_dir = getenv("NFS_EXPORT");
	if (!server || !export_dir) {
		printf("SKIP: run under scripts/nfs-server run -- (NFS_SERVER/NFS_EXPORT unset)\n");
		return 77;
	}
	/* libnfs speaks NFSv4 to port 2049 only (no portmapper in v4) */
	const char *port = getenv("NFS_PORT");
	int vmax = port && !strcmp(port, "2049") ? 4 : 3;
	if (vmax == 3)
		printf("NOTE: NFS port %s is not 2049: NFSv4 not checked\n", port ? port : "?");
	for (int v = 3; v <= vmax; v++)
		test_mount(v);
	for (int v = 3; v <= vmax; v++) {
		nfsc *c = NULL;
		char *msg = NULL;
		if (nfsc_mount(server, export_dir, v, 60000, &c, &msg) == 0) {
			printf("-- NFSv%d\n", v);
			test_files(c);
		} else {
			CHECK(0, "mount v%d: %s", v, msg);
		}
		free(msg);
		nfsc_close(c);
	}
	return check_done("nfs-client");
}
