/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xe entry point: parse the command line, find the command, log in
 * (TCP/HTTPS with -s, else the local unix socket), run it, log out.
 */
#include <stdlib.h>
#include <string.h>

#include "xe.h"

/* Reads ~/.xe (NULL when absent). Caller frees. */
static char *read_rc(void)
{
	const char *home = getenv("HOME");
	if (!home)
		return NULL;
	char *path = hx_asprintf("%s/.xe", home);
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		hx_oom();
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	fclose(f);
	return buf;
}

static const char *env(const char *k)
{
	return getenv(k);
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: xe <cmd> [-s server] [-p port] ([-u username] [-pw password] or "
		"[-pwf <password file>]) <other arguments>\n\n"
		"A full list of commands can be obtained by running \n\txe help -s <server> "
		"-p <port>\n");
}

int main(int argc, char **argv)
{
	xe_cmdline cl;
	char *err = NULL;
	char *rc = read_rc();
	int ret = 1;
	static char outbuf[1 << 20];

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	int r = xe_parse_cmdline(argc - 1, argv + 1, rc, env, &cl, &err);
	free(rc);
	if (r < 0) {
		fprintf(stderr, "%s\nFor usage run: 'xe help'\n", err);
		free(err);
		xe_cmdline_clear(&cl);
		return 1;
	}
	if (cl.opts.help || !cl.cmd) {
		usage();
		goto out;
	}
	if (cl.opts.passwordfile && xe_read_passwordfile(&cl.opts, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		goto out;
	}
	if (!strcmp(cl.cmd, "help")) {
		const char *topic = NULL;
		for (size_t i = 0; i < cl.params.n && !topic; i++)
			if (!cl.params.p[i].val[0] && strcmp(cl.params.p[i].key, "all"))
				topic = cl.params.p[i].key;
		ret = xe_cmd_help(stdout, &cl.params, topic);
		goto out;
	}

	const xe_cmd_def *def = xe_cmd_lookup(cl.cmd);
	if (!def) {
		fprintf(stderr, "Unknown command: %s\nFor usage run: 'xe help'\n", cl.cmd);
		goto out;
	}
	xe_cmd_fn fn = xe_find_explicit(cl.cmd);
	if (!fn && def->cli_class)
		fn = xe_cmd_class;
	if (!fn) {
		fprintf(stderr, "The command '%s' is not available yet in this Halyard release.\n",
			cl.cmd);
		goto out;
	}
	for (size_t i = 0; i < def->nrequired; i++)
		if (!xe_param_get(&cl.params, def->required[i])) {
			fprintf(stderr, "Required parameter not found: %s\nFor usage run: 'xe help'\n",
				def->required[i]);
			goto out;
		}

	xe_ctx x = {
		.params = &cl.params,
		.minimal = xe_param_bool(&cl.params, "minimal", false),
		.out = stdout,
	};
	x.conn = xe_conn_new(&cl.opts);
	x.refs = xe_refcache_new();
	xerr *e = xe_login(&x, &cl.opts);
	if (e) {
		ret = xe_finish(e);
	} else {
		ret = fn(&x, cl.cmd, def);
		fflush(stdout);
		xe_logout(&x);
	}
	x.refs = xe_refcache_free(x.refs);
	x.conn = xe_conn_free(x.conn);
out:
	fflush(stdout);
	xe_cmdline_clear(&cl);
	if (ferror(stdout))
		ret = 1;
	return ret;
}
