/* SPDX-License-Identifier: Apache-2.0 */
/* /proc parsers and a bounded file reader (see hostinfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostinfo.h"
#include "strbuf.h"
#include "value.h"

char *ops_read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	strbuf b = STRBUF_INIT;
	char tmp[8192];
	for (;;) {
		size_t want = max - b.len < sizeof(tmp) ? max - b.len : sizeof(tmp);
		if (!want)
			break;
		ssize_t n = read(fd, tmp, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			sb_free(&b);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		sb_putn(&b, tmp, (size_t)n);
	}
	close(fd);
	return sb_steal(&b, len);
}

/* Splits "key<TAB…>: value" into trimmed key and value (in place). */
static bool split_line(char *line, char **key, char **val)
{
	char *colon = strchr(line, ':');
	if (!colon)
		return false;
	*colon = '\0';
	char *k = line, *v = colon + 1;
	size_t kl = strlen(k);
	while (kl && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
		k[--kl] = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	size_t vl = strlen(v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\r'))
		v[--vl] = '\0';
	*key = k;
	*val = v;
	return true;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = hx_strdup(v);
}

static void cpu_init(hi_cpu *c, int number)
{
	memset(c, 0, sizeof(*c));
	c->number = number;
	c->family = c->model = c->physical_id = -1;
	c->vendor = hx_strdup("");
	c->modelname = hx_strdup("");
	c->stepping = hx_strdup("");
	c->flags = hx_strdup("");
}

/* Integers in cpuinfo are decimal, or hex with 0x (arm "CPU part"). */
static int parse_int(const char *v)
{
	return (int)strtol(v, NULL, 0);
}

int hi_parse_cpuinfo(const char *text, hi_cpuinfo *out)
{
	memset(out, 0, sizeof(*out));
	char *copy = hx_strdup(text ? text : "");
	size_t cap = 0;
	hi_cpu *cur = NULL;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *k, *v;
		if (!split_line(line, &k, &v))
			continue;
		if (!strcmp(k, "processor")) {
			if (out->n == cap) {
				cap = cap ? cap * 2 : 16;
				out->cpus = hx_realloc(out->cpus, cap * sizeof(*out->cpus));
			}
			cur = &out->cpus[out->n++];
			cpu_init(cur, parse_int(v));
			continue;
		}
		if (!cur)
			continue;
		if (!strcmp(k, "vendor_id") || !strcmp(k, "CPU implementer"))
			set_str(&cur->vendor, v);
		else if (!strcmp(k, "model name"))
			set_str(&cur->modelname, v);
		else if (!strcmp(k, "stepping") || !strcmp(k, "CPU revision"))
			set_str(&cur->stepping, v);
		else if (!strcmp(k, "flags") || !strcmp(k, "Features"))
			set_str(&cur->flags, v);
		else if (!strcmp(k, "cpu MHz"))
			cur->mhz = strtod(v, NULL);
		else if (!strcmp(k, "cpu family") || !strcmp(k, "CPU architecture"))
			cur->family = parse_int(v);
		else if (!strcmp(k, "model") || !strcmp(k, "CPU part"))
			cur->model = parse_int(v);
		else if (!strcmp(k, "physical id"))
			cur->physical_id = parse_int(v);
	}
	free(copy);
	if (!out->n)
		return -EINVAL;
	/* Sockets: distinct physical ids (few, so a quadratic count is fine). */
	int sockets = 0;
	for (size_t i = 0; i < out->n; i++) {
		int id = out->cpus[i].physical_id;
		if (id < 0)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = out->cpus[j].physical_id == id;
		sockets += !seen;
	}
	out->sockets = sockets ? sockets : 1;
	return 0;
}

void hi_cpuinfo_clear(hi_cpuinfo *ci)
{
	for (size_t i = 0; i < ci->n; i++) {
		free(ci->cpus[i].vendor);
		free(ci->cpus[i].modelname);
		free(ci->cpus[i].stepping);
		free(ci->cpus[i].flags);
	}
	free(ci->cpus);
	memset(ci, 0, sizeof(*ci));
}

int hi_parse_meminfo(const char *text, int64_t *total, int64_t *free_bytes)
{
	int64_t t = -1, f = -1, avail = -1;
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		long long kb;
		char key[64];
		if (n < 200) {
			char line[200];
			memcpy(line, p, n);
			line[n] = '\0';
			if (sscanf(line, "%63[^:]: %lld", key, &kb) == 2 && kb >= 0) {
				if (!strcmp(key, "MemTotal"))
					t = kb * 1024;
				else if (!strcmp(key, "MemFree"))
					f = kb * 1024;
				else if (!strcmp(key, "MemAvailable"))
					avail = kb * 1024;
			}
		}
		p = nl ? nl + 1 : p + n;
	}
	if (t < 0 || (f < 0 && avail < 0))
		return -EINVAL;
	*total = t;
	*free_bytes = avail >= 0 ? avail : f;
	return 0;
}

int hi_default_route_iface(const char *text, char *ifname, size_t size)
{
	long best_metric = -1;
	const char *p = text ? strchr(text, '\n') : NULL; /* skip the header */
	while (p && *++p) {
		char ifc[64];
		unsigned long dest, gw, mask;
		unsigned flags;
		long refcnt, use, metric;
		if (sscanf(p, "%63s %lx %lx %x %ld %ld %ld %lx", ifc, &dest, &gw, &flags, &refcnt,
			   &use, &metric, &mask) == 8 &&
		    dest == 0 && mask == 0 && (flags & 1 /* RTF_UP */) &&
		    (best_metric < 0 || metric < best_metric)) {
			best_metric = metric;
			if (strlen(ifc) >= size)
				return -ENOENT;
			strcpy(ifname, ifc);
		}
		p = strchr(p, '\n');
	}
	return best_metric < 0 ? -ENOENT : 0;
}
