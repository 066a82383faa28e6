/* SPDX-License-Identifier: Apache-2.0 */
/* device_config of the nfs SR type and of ISO SRs on NFS (nfs_dconf.h). */
#include "nfs_dconf.h"

#include <stdlib.h>
#include <string.h>

#include "nfs_errors.h"

#define HOST_MAX 253
#define PATH_MAX_LEN 1024

static const char *dconf_str(const xv *dconf, const char *key)
{
	if (!dconf || dconf->kind != XV_STRUCT)
		return NULL;
	const xv *v = xv_struct_get(dconf, key);
	return v && v->kind == XV_STRING ? xv_s(v) : NULL;
}

/* A DNS name or a dotted IPv4 address: letters, digits, '-' and '.', in
 * labels of 1..63 that neither start nor end with '-'. */
static bool host_ok(const char *h, size_t len)
{
	if (len == 0 || len > HOST_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = h[i];
		if (ch == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		if (!alnum && ch != '-')
			return false;
		if (ch == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return h[len - 1] != '-';
}

/* Characters kept verbatim in an nfs:// URL path and harmless in a shell
 * or a QEMU option string. */
static bool path_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("/._-+=@~:", ch) != NULL;
}

/*
 * Checks an export path; on success returns it normalised (no trailing
 * '/', no "//") as a malloc'd string, else NULL and *why says what is wrong.
 */
static char *path_norm(const char *p, size_t len, const char **why)
{
	if (len == 0 || p[0] != '/') {
		*why = "serverpath must be an absolute path";
		return NULL;
	}
	if (len > PATH_MAX_LEN) {
		*why = "serverpath is too long";
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		if (!path_char_ok(p[i])) {
			*why = "serverpath has a character other than letters, digits and /._-+=@~:";
			return NULL;
		}
	char *out = hx_malloc(len + 1);
	size_t k = 0;
	for (size_t i = 0; i < len;) {
		while (i < len && p[i] == '/')
			i++;
		size_t s = i;
		while (i < len && p[i] != '/')
			i++;
		size_t n = i - s;
		if (n == 0)
			break;
		if ((n == 1 && p[s] == '.') || (n == 2 && p[s] == '.' && p[s + 1] == '.')) {
			free(out);
			*why = "serverpath has a '.' or '..' component";
			return NULL;
		}
		out[k++] = '/';
		memcpy(out + k, p + s, n);
		k += n;
	}
	if (k == 0)
		out[k++] = '/';
	out[k] = '\0';
	return out;
}

static xerr *parse_version(const char *v, int *version)
{
	if (!v || !*v || !strcmp(v, "3")) {
		*version = 3;
		return NULL;
	}
	if (!strcmp(v, "4") || !strcmp(v, "4.0")) {
		*version = 4;
		return NULL;
	}
	if (!strncmp(v, "4.", 2) && strlen(v) <= 8)
		return nfs_smerr(SMERR_NFS_VERSION, "NFS version %s is not supported by the userspace client "
						    "(3, 4 and 4.0 are)", v);
	return nfs_smerr(SMERR_NFS_VERSION, "Invalid nfsversion.");
}

static xerr *fill(nfs_target *t, const char *host, size_t hlen, const char *path, size_t plen, int badpath)
{
	if (!host_ok(host, hlen)) {
		if (hlen > HOST_MAX)
			return nfs_smerr(SMERR_DNS, "host name longer than %d characters", HOST_MAX);
		return nfs_smerr(SMERR_DNS, "'%.*s' is not a host name or IPv4 address", (int)hlen, host);
	}
	const char *why = NULL;
	char *np = path_norm(path, plen, &why);
	if (!np)
		return nfs_smerr(badpath, "%s", why);
	t->server = hx_strndup(host, hlen);
	t->path = np;
	return NULL;
}

xerr *nfs_dconf_parse(const xv *dconf, nfs_target *t)
{
	memset(t, 0, sizeof(*t));
	const char *server = dconf_str(dconf, "server");
	if (!server || !*server)
		return nfs_smerr(SMERR_CONFIG_SERVER_MISSING, NULL);
	int version;
	xerr *e = parse_version(dconf_str(dconf, "nfsversion"), &version);
	if (e)
		return e;
	const char *path = dconf_str(dconf, "serverpath");
	if (!path || !*path)
		return nfs_smerr(SMERR_CONFIG_SERVERPATH_MISSING, NULL);
	e = fill(t, server, strlen(server), path, strlen(path), SMERR_CONFIG_SERVERPATH_BAD);
	if (e)
		return e;
	t->version = version;
	return NULL;
}

bool nfs_iso_location_is_nfs(const char *loc)
{
	if (!loc || !*loc || loc[0] == '/' || loc[0] == '\\')
		return false;
	const char *colon = strchr(loc, ':');
	const char *slash = strchr(loc, '/');
	return colon && (!slash || colon < slash);
}

xerr *nfs_iso_dconf_parse(const xv *dconf, nfs_target *t)
{
	memset(t, 0, sizeof(*t));
	const char *loc = dconf_str(dconf, "location");
	if (!loc || !*loc)
		return nfs_smerr(SMERR_ISO_LOCATION_MISSING, NULL);
	if (!nfs_iso_location_is_nfs(loc))
		return nfs_smerr(SMERR_ISO_LOCATION_STRING, NULL);
	const char *colon = strchr(loc, ':');
	int version;
	xerr *e = parse_version(dconf_str(dconf, "nfsversion"), &version);
	if (e)
		return e;
	e = fill(t, loc, (size_t)(colon - loc), colon + 1, strlen(colon + 1), SMERR_ISO_LOCATION_STRING);
	if (e)
		return e;
	t->version = version;
	return NULL;
}

bool nfs_host_ok(const char *host)
{
	return host && host_ok(host, strlen(host));
}

void nfs_target_clear(nfs_target *t)
{
	free(t->server);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

char *nfs_target_join(const nfs_target *t, const char *rel)
{
	if (!rel || !*rel)
		return hx_strdup(t->path);
	return hx_asprintf("%s%s%s", strcmp(t->path, "/") ? t->path : "", "/", rel);
}

char *nfs_target_url(const nfs_target *t, const char *rel)
{
	char *p = nfs_target_join(t, rel);
	char *u = hx_asprintf("nfs://%s%s", t->server, p);
	free(p);
	return u;
}
