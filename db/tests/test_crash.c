/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Durability: a child process commits a stream of single-row write txns
 * and reports each index on a pipe after store_commit() returned. The
 * parent kill -9s it at a random point, reopens the database and checks
 * that every acknowledged row is there (and that the file is sound).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../store.h"
#include "fixture.h"
#include "tcheck.h"

static void child(const char *path, int fd)
{
	store *s = NULL;
	char *m = NULL;
	if (store_open(&s, path, &m) < 0) {
		fprintf(stderr, "child: %s\n", m);
		_exit(2);
	}
	for (long i = 0;; i++) {
		char ref[48];
		snprintf(ref, sizeof(ref), "OpaqueRef:crash-%ld", i);
		txn *t = NULL;
		xerr *e = store_begin(s, true, &t);
		xv *r = xv_struct();
		xv_struct_set(r, "name_label", xv_strf("%ld", i));
		if (!e)
			e = store_create(t, FX_VM, ref, r);
		xv_free(r);
		if (!e)
			e = store_commit(t);
		else
			store_rollback(t);
		if (e)
			_exit(3);
		char line[32];
		int n = snprintf(line, sizeof(line), "%ld\n", i);
		if (write(fd, line, (size_t)n) != n)
			_exit(4);
	}
}

int main(void)
{
	char dir[] = "/tmp/hxdb-crash-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *path = hx_asprintf("%s/crash.db", dir);
	unsigned seed = (unsigned)getpid();
	srand(seed);
	printf("seed %u\n", seed);
	long total_acked = 0;
	for (int round = 0; round < 3; round++) {
		unlink(path);
		int fds[2];
		if (pipe(fds) < 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			child(path, fds[1]);
		}
		close(fds[1]);
		long kill_after = 20 + rand() % 400, acked = -1;
		FILE *in = fdopen(fds[0], "r");
		char line[64];
		bool killed = false;
		while (fgets(line, sizeof(line), in)) {
			acked = strtol(line, NULL, 10);
			if (!killed && acked + 1 >= kill_after) {
				kill(pid, SIGKILL);
				killed = true; /* keep reading: lines already written were acked */
			}
		}
		fclose(in);
		int status = 0;
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child killed by SIGKILL (status %d)", status);
		store *s = NULL;
		char *m = NULL;
		CHECK(store_open(&s, path, &m) == 0, "reopen after kill: %s", m ? m : "");
		free(m);
		if (!s)
			break;
		txn *t = NULL;
		CHECK_OK(store_begin(s, false, &t));
		long missing = 0;
		for (long i = 0; t && i <= acked; i++) {
			char ref[48];
			snprintf(ref, sizeof(ref), "OpaqueRef:crash-%ld", i);
			if (!store_exists(t, FX_VM, ref))
				missing++;
		}
		int64_t count = t ? store_count(t, FX_VM) : -1;
		if (t)
			CHECK_OK(store_commit(t));
		CHECK(missing == 0, "round %d: %ld of %ld acknowledged rows missing", round, missing,
		      acked + 1);
		CHECK(count >= acked + 1 && count <= acked + 2,
		      "round %d: %lld rows, %ld acknowledged (at most one unacknowledged extra)",
		      round, (long long)count, acked + 1);
		printf("round %d: killed after %ld acknowledged commits, %lld rows present\n", round,
		       acked + 1, (long long)count);
		total_acked += acked + 1;
		store_close(s);
	}
	char *cmd = hx_asprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", dir);
	free(cmd);
	free(path);
	OK("kill -9 at random points in 3 rounds: all %ld acknowledged commits survived",
	   total_acked);
	return tcheck_done("test_crash");
}
