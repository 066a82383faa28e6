/* SPDX-License-Identifier: Apache-2.0 */
/* device_config of nfs and iso-on-NFS SRs: XAPI's errors, in XAPI's order. */
#include <stdarg.h>
#include <string.h>

#include "check.h"
#include "nfs_dconf.h"
#include "nfs_errors.h"

/* A device_config from "key", "value", ..., NULL. */
static xv *dc(const char *k, ...)
{
	xv *m = xv_struct();
	va_list ap;
	va_start(ap, k);
	for (; k; k = va_arg(ap, const char *))
		xv_struct_set(m, k, xv_str(va_arg(ap, const char *)));
	va_end(ap);
	return m;
}

/* Parses d (freed) with fn; checks the code (NULL: success) and that the
 * error has XAPI's three params with the description in the second. */
static void expect(xerr *(*fn)(const xv *, nfs_target *), xv *d, const char *code, const char *needle,
		   const char *what)
{
	nfs_target t;
	xerr *e = fn(d, &t);
	if (!code) {
		CHECK(!e, "%s: unexpected %s %s", what, e ? e->code : "", e && e->nparams > 1 ? e->params[1] : "");
	} else {
		CHECK(e && !strcmp(e->code, code), "%s: want %s, got %s", what, code, e ? e->code : "success");
		CHECK(!e || (e->nparams == 3 && !*e->params[0] && !*e->params[2]), "%s: params shape", what);
		CHECK(!e || !needle || strstr(e->params[1], needle), "%s: '%s' not in '%s'", what, needle,
		      e && e->nparams > 1 ? e->params[1] : "");
		CHECK(!t.server && !t.path, "%s: nothing filled on error", what);
	}
	xerr_free(e);
	nfs_target_clear(&t);
	xv_free(d);
}

static void test_nfs(void)
{
	expect(nfs_dconf_parse, dc(NULL), "SR_BACKEND_FAILURE_102", "missing the server parameter", "empty");
	expect(nfs_dconf_parse, dc("serverpath", "/x", NULL), "SR_BACKEND_FAILURE_102", NULL, "no server");
	expect(nfs_dconf_parse, dc("server", "", "serverpath", "/x", NULL), "SR_BACKEND_FAILURE_102", NULL,
	       "empty server");
	expect(nfs_dconf_parse, dc("server", "h", NULL), "SR_BACKEND_FAILURE_101", "missing the serverpath", "no path");
	/* nfsversion is checked before serverpath, as XAPI's NFS SR loads it */
	expect(nfs_dconf_parse, dc("server", "h", "nfsversion", "2", NULL), "SR_BACKEND_FAILURE_72",
	       "Required NFS server version unsupported [opterr=Invalid nfsversion.]", "version 2");
	expect(nfs_dconf_parse, dc("server", "h", "serverpath", "/x", "nfsversion", "4.1", NULL),
	       "SR_BACKEND_FAILURE_72", "4.1 is not supported", "version 4.1");
	expect(nfs_dconf_parse, dc("server", "h", "serverpath", "/x", "nfsversion", "abc", NULL),
	       "SR_BACKEND_FAILURE_72", NULL, "version abc");
	expect(nfs_dconf_parse, dc("server", "bad host", "serverpath", "/x", NULL), "SR_BACKEND_FAILURE_140",
	       "Incorrect DNS name", "space in host");
	expect(nfs_dconf_parse, dc("server", "h/x", "serverpath", "/x", NULL), "SR_BACKEND_FAILURE_140", NULL,
	       "slash in host");
	expect(nfs_dconf_parse, dc("server", "-h", "serverpath", "/x", NULL), "SR_BACKEND_FAILURE_140", NULL,
	       "leading dash");
	expect(nfs_dconf_parse, dc("server", "a..b", "serverpath", "/x", NULL), "SR_BACKEND_FAILURE_140", NULL,
	       "empty label");
	expect(nfs_dconf_parse, dc("server", "::1", "serverpath", "/x", NULL), "SR_BACKEND_FAILURE_140", NULL,
	       "IPv6 literal");
	expect(nfs_dconf_parse, dc("server", "h", "serverpath", "x", NULL), "SR_BACKEND_FAILURE_103",
	       "serverpath argument is not valid [opterr=serverpath must be an absolute path]", "relative");
	expect(nfs_dconf_parse, dc("server", "h", "serverpath", "/a/../b", NULL), "SR_BACKEND_FAILURE_103", "'..'",
	       "dotdot");
	expect(nfs_dconf_parse, dc("server", "h", "serverpath", "/a?b", NULL), "SR_BACKEND_FAILURE_103", NULL,
	       "query char");
	expect(nfs_dconf_parse, dc("server", "h", "serverpath", "/a b", NULL), "SR_BACKEND_FAILURE_103", NULL,
	       "space");
	expect(nfs_dconf_parse, dc("server", "h", "serverpath", "/a%20", NULL), "SR_BACKEND_FAILURE_103", NULL,
	       "percent");
	OK("nfs device_config errors: 102 server missing, 72 nfsversion, 101 serverpath missing, 140 host, "
	   "103 path; XAPI's [\"\", description [opterr=..], \"\"] shape; nothing filled on error");

	nfs_target t;
	xv *d = dc("server", "nfs-1.example.org", "serverpath", "//srv//exports/", "nfsversion", "4", "other", "x",
		   NULL);
	xerr *e = nfs_dconf_parse(d, &t);
	CHECK(!e, "good config");
	if (!e) {
		CHECK(!strcmp(t.server, "nfs-1.example.org"), "server %s", t.server);
		CHECK(!strcmp(t.path, "/srv/exports"), "path normalised: %s", t.path);
		CHECK(t.version == 4, "version %d", t.version);
		char *u = nfs_target_url(&t, "sr/v.qcow2");
		CHECK(!strcmp(u, "nfs://nfs-1.example.org/srv/exports/sr/v.qcow2"), "url %s", u);
		free(u);
	}
	xerr_free(e);
	nfs_target_clear(&t);
	xv_free(d);
	d = dc("server", "127.0.0.1", "serverpath", "/", NULL);
	e = nfs_dconf_parse(d, &t);
	CHECK(!e && t.version == 3 && !strcmp(t.path, "/"), "root export, default version 3");
	if (!e) {
		char *u = nfs_target_url(&t, "x");
		CHECK(!strcmp(u, "nfs://127.0.0.1/x"), "url of root export %s", u);
		free(u);
	}
	xerr_free(e);
	nfs_target_clear(&t);
	xv_free(d);
	OK("nfs device_config accepted: host names, IPv4, path normalised, version default 3, unknown keys ignored");
}

static void test_iso(void)
{
	expect(nfs_iso_dconf_parse, dc(NULL), "SR_BACKEND_FAILURE_220", "'Location' parameter", "no location");
	expect(nfs_iso_dconf_parse, dc("location", "/local/dir", NULL), "SR_BACKEND_FAILURE_225", NULL, "local");
	expect(nfs_iso_dconf_parse, dc("location", "\\\\srv\\share", NULL), "SR_BACKEND_FAILURE_225", NULL, "cifs");
	expect(nfs_iso_dconf_parse, dc("location", "srv:rel", NULL), "SR_BACKEND_FAILURE_225", "absolute", "relative");
	expect(nfs_iso_dconf_parse, dc("location", "sr v:/x", NULL), "SR_BACKEND_FAILURE_140", NULL, "bad host");
	expect(nfs_iso_dconf_parse, dc("location", ":/x", NULL), "SR_BACKEND_FAILURE_140", NULL, "empty host");
	expect(nfs_iso_dconf_parse, dc("location", "srv:/isos", NULL), NULL, NULL, "good");
	CHECK(nfs_iso_location_is_nfs("h:/x") && !nfs_iso_location_is_nfs("/x:y") && !nfs_iso_location_is_nfs("x"),
	      "is_nfs");
	OK("iso location: 220 missing, 225 not server:/path, 140 bad host; local paths are not NFS");
}

int main(void)
{
	test_nfs();
	test_iso();
	return check_done("nfs-dconf");
}
