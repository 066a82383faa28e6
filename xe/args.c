/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line parsing with xe's syntax: client options (short switches
 * and key=value forms), "--flag" as flag=true, key=value split at the
 * first '=', and the command name as the first remaining token.
 * Settings priority: argv > environment (XE_EXTRA_ARGS) > ~/.xe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xe.h"

void xe_params_add(xe_params *ps, const char *key, const char *val)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->p = hx_realloc(ps->p, ps->cap * sizeof(*ps->p));
	}
	ps->p[ps->n].key = hx_strdup(key);
	ps->p[ps->n].val = hx_strdup(val ? val : "");
	ps->p[ps->n].used = false;
	ps->n++;
}

const char *xe_param_get(const xe_params *ps, const char *key)
{
	for (size_t i = ps->n; i-- > 0;)
		if (strcmp(ps->p[i].key, key) == 0)
			return ps->p[i].val;
	return NULL;
}

/* Parses a boolean the way xe accepts them; returns -1 when it is not one. */
static int parse_bool(const char *s)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1") ||
	    !strcasecmp(s, "on"))
		return 1;
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0") ||
	    !strcasecmp(s, "off"))
		return 0;
	return -1;
}

bool xe_param_bool(const xe_params *ps, const char *key, bool def)
{
	const char *v = xe_param_get(ps, key);
	if (!v)
		return def;
	int b = parse_bool(v);
	return b < 0 ? def : b == 1;
}

void xe_params_clear(xe_params *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->p[i].key);
		free(ps->p[i].val);
	}
	free(ps->p);
	ps->p = NULL;
	ps->n = ps->cap = 0;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = hx_strdup(v);
}

/*
 * Applies a client option k=v to o. Returns 1 if k is a client option,
 * 0 if not, -1 on a bad value (*err set).
 */
static int set_keyword(xe_opts *o, const char *k, const char *v, char **err)
{
	if (!strcmp(k, "server")) {
		set_str(&o->server, v);
	} else if (!strcmp(k, "port")) {
		char *end;
		errno = 0;
		long p = strtol(v, &end, 10);
		if (errno || end == v || *end || p < 0 || p > 65535) {
			*err = hx_strdup("Port number must be an integer (0-65535)");
			return -1;
		}
		o->port = (int)p;
	} else if (!strcmp(k, "username")) {
		set_str(&o->username, v);
	} else if (!strcmp(k, "password")) {
		set_str(&o->password, v);
	} else if (!strcmp(k, "passwordfile")) {
		set_str(&o->passwordfile, v);
	} else if (!strcmp(k, "nossl")) {
		o->nossl = parse_bool(v) == 1;
	} else if (!strcmp(k, "debug") || !strcmp(k, "debugonfail")) {
		o->debug = parse_bool(v) == 1;
	} else if (!strcmp(k, "verify-cert")) {
		o->verify_cert = parse_bool(v) != 0;
	} else if (!strcmp(k, "traceparent")) {
		/* accepted for compatibility; xe does not trace */
	} else {
		return 0;
	}
	return 1;
}

/* A switch that takes the next argv as its value: the option it sets. */
static const char *valued_switch(const char *a)
{
	static const struct {
		const char *sw, *key;
	} tab[] = {
		{ "-s", "server" },     { "-h", "server" },   { "-p", "port" },
		{ "-u", "username" },   { "-pw", "password" }, { "-pwf", "passwordfile" },
		{ "--traceparent", "traceparent" },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(a, tab[i].sw))
			return tab[i].key;
	return NULL;
}

/* A switch without a value: the option it sets to true. */
static const char *flag_switch(const char *a)
{
	if (!strcmp(a, "--nossl"))
		return "nossl";
	if (!strcmp(a, "--debug"))
		return "debug";
	if (!strcmp(a, "--debug-on-fail"))
		return "debugonfail";
	return NULL;
}

/*
 * Strips client options from args[0..n) into o; the rest is appended to
 * *rest (borrowed pointers). Returns 0 or -1 with *err.
 */
static int process_args(xe_opts *o, char *const *args, size_t n, const char ***rest,
			size_t *nrest, char **err)
{
	for (size_t i = 0; i < n; i++) {
		const char *a = args[i];
		const char *k;
		int r;
		if (!strcmp(a, "-help") || !strcmp(a, "--help")) {
			o->help = true;
			continue;
		}
		if ((k = valued_switch(a)) && i + 1 < n) {
			r = set_keyword(o, k, args[i + 1], err);
			if (r < 0)
				return -1;
			i++;
			continue;
		}
		if ((k = flag_switch(a))) {
			set_keyword(o, k, "true", err);
			continue;
		}
		if (!strcmp(a, "--no-verify-certificate")) {
			o->verify_cert = false;
			continue;
		}
		const char *eq = strchr(a, '=');
		if (eq && a[0] != '-') {
			char *key = hx_strndup(a, (size_t)(eq - a));
			r = set_keyword(o, key, eq + 1, err);
			free(key);
			if (r < 0)
				return -1;
			if (r > 0)
				continue;
		}
		*rest = hx_realloc(*rest, (*nrest + 1) * sizeof(**rest));
		(*rest)[(*nrest)++] = a;
	}
	return 0;
}

/* Splits XE_EXTRA_ARGS at unescaped commas ("\," is a literal comma). */
static char **split_extra(const char *s, size_t *n)
{
	char **v = NULL;
	*n = 0;
	if (!s || !*s)
		return NULL;
	size_t len = strlen(s);
	char *cur = hx_malloc(len + 1);
	size_t cl = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '\\' && i + 1 < len) {
			cur[cl++] = s[++i];
			continue;
		}
		if (i == len || s[i] == ',') {
			if (cl) {
				v = hx_realloc(v, (*n + 1) * sizeof(*v));
				v[(*n)++] = hx_strndup(cur, cl);
			}
			cl = 0;
			continue;
		}
		cur[cl++] = s[i];
	}
	free(cur);
	return v;
}

/* Applies the key=value lines of ~/.xe (comments and unknown keys ignored). */
static int apply_rc(xe_opts *o, const char *rc, char **err)
{
	const char *p = rc;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = hx_strndup(p, len);
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = 0;
		char *eq = strchr(line, '=');
		if (line[0] != '#' && eq) {
			*eq = 0;
			if (set_keyword(o, line, eq + 1, err) < 0) {
				free(line);
				return -1;
			}
		}
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

int xe_parse_cmdline(int argc, char *const *argv, const char *rc,
		     const char *(*env)(const char *), xe_cmdline *cl, char **err)
{
	const char **rest = NULL;
	size_t nrest = 0, nextra = 0;
	char **extra = NULL;
	int ret = -1;

	memset(cl, 0, sizeof(*cl));
	cl->opts.verify_cert = true;
	*err = NULL;
	if (apply_rc(&cl->opts, rc, err) < 0)
		goto out;
	if (env) {
		const char *v = env("XE_NO_VERIFY");
		if (v && parse_bool(v) == 1)
			cl->opts.verify_cert = false;
		extra = split_extra(env("XE_EXTRA_ARGS"), &nextra);
		if (process_args(&cl->opts, extra, nextra, &rest, &nrest, err) < 0)
			goto out;
	}
	/* Extra arguments that are not client options come after argv's. */
	size_t nextra_rest = nrest;
	const char **extra_rest = rest;
	rest = NULL;
	nrest = 0;
	if (process_args(&cl->opts, argv, (size_t)argc, &rest, &nrest, err) < 0) {
		free(extra_rest);
		goto out;
	}
	for (size_t i = 0; i < nextra_rest; i++) {
		rest = hx_realloc(rest, (nrest + 1) * sizeof(*rest));
		rest[nrest++] = extra_rest[i];
	}
	free(extra_rest);

	const char *sock = env ? env("XE_SOCKET") : NULL;
	cl->opts.socket_path = hx_strdup(sock && *sock ? sock : "/var/lib/xcp/xapi");

	if (nrest == 0) {
		ret = 0;
		goto out;
	}
	if (strchr(rest[0], '=')) {
		*err = hx_strdup("Syntax error: command name is missing");
		goto out;
	}
	cl->cmd = hx_strdup(rest[0]);
	for (size_t i = 1; i < nrest; i++) {
		const char *a = rest[i];
		if (a[0] == '-' && a[1] == '-') {
			xe_params_add(&cl->params, a + 2, "true");
		} else if (a[0] == '-' && a[1] && !strchr(a, '=')) {
			if (i + 1 >= nrest) {
				*err = hx_asprintf("Syntax error: switch %s requires a parameter", a);
				goto out;
			}
			xe_params_add(&cl->params, a + 1, rest[++i]);
		} else {
			const char *eq = strchr(a, '=');
			if (eq) {
				char *k = hx_strndup(a, (size_t)(eq - a));
				xe_params_add(&cl->params, k, eq + 1);
				free(k);
			} else {
				xe_params_add(&cl->params, a, "");
			}
		}
	}
	ret = 0;
out:
	free(rest);
	for (size_t i = 0; i < nextra; i++)
		free(extra[i]);
	free(extra);
	return ret;
}

int xe_read_passwordfile(xe_opts *o, char **err)
{
	FILE *f = fopen(o->passwordfile, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char *vals[2] = { NULL, NULL };

	if (!f) {
		*err = hx_asprintf("Error opening password file '%s'", o->passwordfile);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		n = getline(&line, &cap, f);
		if (n < 0)
			break;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		vals[i] = hx_strdup(line);
	}
	free(line);
	fclose(f);
	if (!vals[1]) {
		free(vals[0]);
		*err = hx_strdup("Error: password file format: expecting username on the "
				 "first line, password on the second line");
		return -1;
	}
	free(o->username);
	free(o->password);
	o->username = vals[0];
	o->password = vals[1];
	return 0;
}

void xe_cmdline_clear(xe_cmdline *cl)
{
	free(cl->cmd);
	xe_params_clear(&cl->params);
	free(cl->opts.server);
	free(cl->opts.username);
	free(cl->opts.password);
	free(cl->opts.passwordfile);
	free(cl->opts.socket_path);
	memset(cl, 0, sizeof(*cl));
}
