/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: device_config parsing of nfs and iso-on-NFS SRs. The input
 * is "key=value" lines turned into a device_config map. Checked: no crash
 * or leak; an error is SR_BACKEND_FAILURE_<n> with three params and fills
 * nothing; a success yields a server and path that are safe in an nfs://
 * URL (host characters only; absolute path of URL-safe characters without
 * '.', '..' or empty components).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "nfs_dconf.h"

static void check_target(const nfs_target *t)
{
	FUZZ_ASSERT(t->server && *t->server && t->path && t->path[0] == '/');
	FUZZ_ASSERT(t->version == 3 || t->version == 4);
	for (const char *p = t->server; *p; p++)
		FUZZ_ASSERT(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", *p));
	for (const char *p = t->path; *p; p++)
		FUZZ_ASSERT(*p && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=@~:",
					 *p));
	FUZZ_ASSERT(!strstr(t->path, "//") && !strstr(t->path, "/./") && !strstr(t->path, "/../"));
	size_t n = strlen(t->path);
	FUZZ_ASSERT(n == 1 || t->path[n - 1] != '/');
	char *u = nfs_target_url(t, "x.qcow2");
	FUZZ_ASSERT(!strncmp(u, "nfs://", 6));
	free(u);
}

static void run(xerr *(*fn)(const xv *, nfs_target *), const xv *d)
{
	nfs_target t;
	xerr *e = fn(d, &t);
	if (e) {
		FUZZ_ASSERT(!strncmp(e->code, "SR_BACKEND_FAILURE_", 19) && e->nparams == 3);
		FUZZ_ASSERT(!t.server && !t.path);
	} else {
		check_target(&t);
	}
	xerr_free(e);
	nfs_target_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xv *d = xv_struct();
	size_t i = 0;
	while (i < size) {
		size_t s = i;
		while (i < size && data[i] != '\n')
			i++;
		const uint8_t *eq = memchr(data + s, '=', i - s);
		if (eq) {
			char *k = hx_strndup((const char *)data + s, (size_t)(eq - data - s));
			/* strndup stops at NUL bytes, as a C string in the map would */
			xv_struct_set(d, k, xv_strn((const char *)eq + 1, (size_t)(data + i - eq - 1)));
			free(k);
		}
		i++;
	}
	run(nfs_dconf_parse, d);
	run(nfs_iso_dconf_parse, d);
	xv_free(d);
	return 0;
}
