/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Facts about the machine, from /proc text: pure parsers (unit-tested on
 * sample files) and a bounded file reader. Used by bootstrap_run.
 */
#ifndef HALYARD_OPS_HOSTINFO_H
#define HALYARD_OPS_HOSTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A whole file as a NUL-terminated heap string (at most max bytes; a
 * longer file is cut). NULL with errno on failure. len may be NULL. */
char *ops_read_file(const char *path, size_t max, size_t *len);

/* One logical CPU of /proc/cpuinfo. Strings are heap, "" when absent. */
typedef struct hi_cpu {
	int number;        /* "processor" */
	char *vendor;      /* "vendor_id" (x86) or "CPU implementer" (arm) */
	char *modelname;   /* "model name" */
	char *stepping;    /* "stepping" (or "CPU revision") */
	char *flags;       /* "flags" (x86) or "Features" (arm) */
	double mhz;        /* "cpu MHz"; 0 when absent */
	int family, model; /* "cpu family", "model" (or "CPU part"); -1 when absent */
	int physical_id;   /* "physical id"; -1 when absent */
} hi_cpu;

typedef struct hi_cpuinfo {
	hi_cpu *cpus;
	size_t n;
	int sockets; /* distinct physical ids; 1 when the file names none */
} hi_cpuinfo;

/* Parses /proc/cpuinfo text. Returns 0, or -EINVAL when no processor
 * block was found. Clear *out with hi_cpuinfo_clear. */
int hi_parse_cpuinfo(const char *text, hi_cpuinfo *out);
void hi_cpuinfo_clear(hi_cpuinfo *ci);

/* Parses /proc/meminfo text: total and free (MemAvailable when the
 * kernel gives it, else MemFree) in bytes. Returns 0 or -EINVAL. */
int hi_parse_meminfo(const char *text, int64_t *total, int64_t *free_bytes);

/* The interface of the default IPv4 route in /proc/net/route text (the
 * one with the lowest metric). Returns 0 or -ENOENT. */
int hi_default_route_iface(const char *text, char *ifname, size_t size);

#endif
