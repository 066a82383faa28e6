/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark (built, never registered as a test): how fast the JSON-RPC
 * decoder reads a get_all_records-like reply, the shape that dominates
 * `xe vm-list` on a big pool. Generates RECORDS records of ~100 fields
 * (refs, names, ints, bools, floats, maps, ref lists) with a fixed seed,
 * encodes them with our own emitter, then times jsonrpc_value_from_json on
 * the bare value and jsonrpc_parse_reply on the whole reply.
 *
 *   bench_jsonparse [records] [runs]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonrpc.h"
#include "value.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

/* xorshift64*: a fixed sequence, so every run parses the same text */
static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717u) >> 33) % n;
}

static xv *ref(void)
{
	return xv_strf("OpaqueRef:%08x-%04x-4%03x-8%03x-%04x%08x", rnd(0xffffffffu), rnd(0x10000),
		       rnd(0x1000), rnd(0x1000), rnd(0x10000), rnd(0xffffffffu));
}

static xv *word(void)
{
	static const char *const w[] = { "vm",      "disk",   "Debian", "Windows Server", "café",
					 "net0",    "a\\b",   "tab\there", "line\nbreak", "pool-1",
					 "x86_64",  "HVM",    "true",   "hvm_boot",       "\"quoted\"" };
	return xv_str(w[rnd(sizeof(w) / sizeof(w[0]))]);
}

static xv *string_map(size_t n)
{
	xv *m = xv_struct();
	for (size_t i = 0; i < n; i++) {
		char k[32];
		snprintf(k, sizeof(k), "key_%zu", i);
		xv_struct_append(m, strdup(k), word());
	}
	return m;
}

/* One VM-like record: 100 fields in a fixed pattern of kinds. */
static xv *record(void)
{
	xv *r = xv_struct();
	for (int f = 0; f < 100; f++) {
		char k[40];
		xv *v;
		snprintf(k, sizeof(k), "%s_%d", f % 3 ? "name" : "config", f);
		switch (f % 20) {
		case 0: case 1: case 2:
			v = ref();
			break;
		case 3: case 4: case 5: case 6: case 7: case 8:
			v = word();
			break;
		case 9: case 10: case 11:
			v = xv_int((int64_t)rnd(1u << 30) * (f % 2 ? 4096 : 1));
			break;
		case 12: case 13:
			v = xv_bool(rnd(2));
			break;
		case 14:
			v = xv_float(rnd(1000) / 7.0);
			break;
		case 15: case 16:
			v = string_map(rnd(7));
			break;
		case 17:
			v = xv_array();
			for (uint32_t i = rnd(5); i > 0; i--)
				xv_array_push(v, ref());
			break;
		case 18:
			v = xv_array();
			for (uint32_t i = rnd(8); i > 0; i--)
				xv_array_push(v, word());
			break;
		default:
			v = xv_str("20250319T04:16:24Z");
			break;
		}
		xv_struct_append(r, strdup(k), v);
	}
	return r;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *ms, int runs, size_t bytes)
{
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	printf("%-28s best %8.2f ms  median %8.2f ms  %7.1f MB/s (median)\n", what, ms[0], ms[runs / 2],
	       (double)bytes / 1e6 / (ms[runs / 2] / 1e3));
}

int main(int argc, char **argv)
{
	int records = argc > 1 ? atoi(argv[1]) : 512;
	int runs = argc > 2 ? atoi(argv[2]) : 30;
	if (records <= 0 || runs <= 0) {
		fprintf(stderr, "usage: %s [records] [runs]\n", argv[0]);
		return 2;
	}

	xv *all = xv_struct();
	for (int i = 0; i < records; i++) {
		xv *k = ref();
		xv_struct_append(all, strdup(xv_s(k)), record());
		xv_free(k);
	}
	char *doc = jsonrpc_value_to_json(all);
	size_t len = strlen(doc), rlen;
	char *reply = jsonrpc_success(2, "0", all, &rlen);
	printf("document: %d records, %zu bytes; reply %zu bytes; %d runs\n", records, len, rlen, runs);

	/* once for correctness: the text must read back as the value */
	xv *back = NULL, *res = NULL;
	xerr *e = NULL;
	char *err = NULL;
	if (jsonrpc_value_from_json(doc, len, &back, &err) != 0 || !xv_equal(back, all)) {
		fprintf(stderr, "value does not read back: %s\n", err ? err : "differs");
		return 1;
	}
	xv_free(back);

	double *ms = calloc((size_t)runs, sizeof(*ms));
	if (!ms)
		return 1;
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();
		if (jsonrpc_value_from_json(doc, len, &back, NULL) != 0)
			return 1;
		double t1 = now_ms();
		xv_free(back);
		ms[i] = t1 - t0;
	}
	report("jsonrpc_value_from_json", ms, runs, len);
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();
		if (jsonrpc_parse_reply(reply, rlen, &res, &e, NULL) != 0 || e)
			return 1;
		double t1 = now_ms();
		xv_free(res);
		ms[i] = t1 - t0;
	}
	report("jsonrpc_parse_reply", ms, runs, rlen);
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();
		if (jsonrpc_parse_reply(reply, rlen, &res, &e, NULL) != 0 || e)
			return 1;
		xv_free(res);
		ms[i] = now_ms() - t0;
	}
	report("parse_reply + xv_free", ms, runs, rlen);

	free(ms);
	free(doc);
	free(reply);
	free(err);
	xv_free(all);
	return 0;
}
