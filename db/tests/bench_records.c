/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times store_get_all_records of 10,000 VMs (the real schema, each VM with
 * a few map entries and two VBDs). Prints the figures; never fails on time.
 * Usage: db_bench_records [nvms]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../store.h"
#include "api_ids.h"

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* CPU time of this thread: less disturbed by other load on the machine. */
static double cpu_ms(void)
{
	return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	char dir[] = "/tmp/hxdb-bench-XXXXXX";
	if (n <= 0 || !mkdtemp(dir))
		return 1;
	char *path = hx_asprintf("%s/bench.db", dir);
	store *s = NULL;
	char *m = NULL;
	if (store_open(&s, path, &m) < 0) {
		fprintf(stderr, "open: %s\n", m);
		return 1;
	}
	txn *t = NULL;
	xerr *e = store_begin(s, true, &t);
	double t0 = now_ms();
	for (int i = 0; !e && i < n; i++) {
		char ref[64];
		snprintf(ref, sizeof(ref), "OpaqueRef:bench-vm-%d", i);
		xv *r = xv_struct();
		xv_struct_set(r, "name_label", xv_strf("vm %d", i));
		xv_struct_set(r, "uuid", xv_strf("00000000-0000-0000-0000-%012d", i));
		xv *oc = xv_struct();
		xv_struct_set(oc, "base_template_name", xv_str("Debian"));
		xv_struct_set(oc, "install-methods", xv_str("cdrom,nfs,http,ftp"));
		xv_struct_set(r, "other_config", oc);
		xv *pl = xv_struct();
		xv_struct_set(pl, "acpi", xv_str("1"));
		xv_struct_set(pl, "apic", xv_str("true"));
		xv_struct_set(r, "platform", pl);
		e = store_create(t, CLS_VM, ref, r);
		xv_free(r);
		for (int j = 0; !e && j < 2; j++) {
			char vref[64];
			snprintf(vref, sizeof(vref), "OpaqueRef:bench-vbd-%d-%d", i, j);
			xv *b = xv_struct();
			xv_struct_set(b, "VM", xv_str(ref));
			e = store_create(t, CLS_VBD, vref, b);
			xv_free(b);
		}
	}
	if (!e)
		e = store_commit(t);
	if (e) {
		fprintf(stderr, "populate: %s %s\n", e->code, e->nparams ? e->params[0] : "");
		return 1;
	}
	printf("populated %d VMs + %d VBDs in one txn: %.1f ms\n", n, 2 * n, now_ms() - t0);
	for (int round = 0; round < 5; round++) {
		e = store_begin(s, false, &t);
		xv *all = NULL;
		double a = now_ms(), ca = cpu_ms();
		if (!e)
			e = store_get_all_records(t, CLS_VM, &all);
		double b = now_ms(), cb = cpu_ms();
		xerr_free(store_commit(t));
		size_t rows = all ? xv_len(all) : 0;
		xv_free(all);
		double c = now_ms();
		printf("get_all_records(VM) %zu rows: %.1f ms wall, %.1f ms cpu (%.2f us/row), "
		       "xv_free %.1f ms\n",
		       rows, b - a, cb - ca, (cb - ca) * 1000.0 / (double)(rows ? rows : 1), c - b);
		xerr_free(e);
		e = NULL;
	}
	store_close(s);
	char *cmd = hx_asprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	free(path);
	return 0;
}
