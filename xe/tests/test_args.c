/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for xe's command-line parsing (xe/args.c). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "xe.h"

/* A fake environment for the parser. */
static const char *fake_env_vals[8][2];

static const char *fake_env(const char *k)
{
	for (size_t i = 0; i < 8 && fake_env_vals[i][0]; i++)
		if (!strcmp(fake_env_vals[i][0], k))
			return fake_env_vals[i][1];
	return NULL;
}

static int parse(xe_cmdline *cl, const char *rc, char **err, int argc, ...)
{
	char *argv[32];
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return xe_parse_cmdline(argc, argv, rc, fake_env, cl, err);
}

static void test_basic(void)
{
	xe_cmdline cl;
	char *err = NULL;
	int r = parse(&cl, NULL, &err, 5, "vm-list", "name-label=my vm=with equals",
		      "--minimal", "params=uuid,name-label", "power-state=running");
	CHECK(r == 0, "plain command line parses");
	CHECK_STR(cl.cmd, "vm-list", "first token is the command");
	CHECK(cl.params.n == 4, "four parameters");
	CHECK_STR(xe_param_get(&cl.params, "name-label"), "my vm=with equals",
		  "key=value splits at the first '=' and keeps spaces");
	CHECK_STR(xe_param_get(&cl.params, "minimal"), "true", "--minimal means minimal=true");
	CHECK(xe_param_bool(&cl.params, "minimal", false), "minimal reads as a true boolean");
	CHECK_STR(xe_param_get(&cl.params, "params"), "uuid,name-label", "params= kept whole");
	CHECK(!cl.opts.server, "no -s: local unix socket");
	CHECK_STR(cl.opts.socket_path, "/var/lib/xcp/xapi", "default socket path");
	CHECK(cl.opts.verify_cert, "certificates verified by default");
	xe_cmdline_clear(&cl);
}

static void test_switches(void)
{
	xe_cmdline cl;
	char *err = NULL;
	int r = parse(&cl, NULL, &err, 12, "-s", "xs1.example", "-p", "8443", "-u", "admin",
		      "-pw", "pa ss=word", "vm-param-set", "uuid=U", "other-config:foo=bar=baz",
		      "--force");
	CHECK(r == 0, "short switches before the command parse");
	CHECK_STR(cl.opts.server, "xs1.example", "-s sets the server");
	CHECK(cl.opts.port == 8443, "-p sets the port");
	CHECK_STR(cl.opts.username, "admin", "-u sets the username");
	CHECK_STR(cl.opts.password, "pa ss=word", "-pw takes the next argv whole");
	CHECK_STR(cl.cmd, "vm-param-set", "command after the switches");
	CHECK_STR(xe_param_get(&cl.params, "other-config:foo"), "bar=baz",
		  "map parameter other-config:foo=bar=baz");
	CHECK_STR(xe_param_get(&cl.params, "force"), "true", "--force means force=true");
	CHECK(!xe_param_get(&cl.params, "server"), "client options are not command params");
	xe_cmdline_clear(&cl);

	r = parse(&cl, NULL, &err, 6, "host-list", "-h", "h2", "server=ignored-later?",
		  "port=80", "--nossl");
	CHECK(r == 0, "switches after the command parse too");
	CHECK_STR(cl.opts.server, "ignored-later?", "later server= overrides earlier -h");
	CHECK(cl.opts.port == 80 && cl.opts.nossl, "port= and --nossl");
	CHECK(cl.params.n == 0, "no command params left");
	xe_cmdline_clear(&cl);

	r = parse(&cl, NULL, &err, 3, "pool-list", "--no-verify-certificate", "--debug");
	CHECK(r == 0 && !cl.opts.verify_cert && cl.opts.debug,
	      "--no-verify-certificate and --debug are client options");
	xe_cmdline_clear(&cl);

	r = parse(&cl, NULL, &err, 2, "pool-list", "verify-cert=false");
	CHECK(r == 0 && !cl.opts.verify_cert, "verify-cert=false");
	xe_cmdline_clear(&cl);

	r = parse(&cl, NULL, &err, 3, "vm-list", "-x", "y");
	CHECK(r == 0 && !strcmp(xe_param_get(&cl.params, "x"), "y"),
	      "an unknown -x takes the next argv as its value");
	xe_cmdline_clear(&cl);

	r = parse(&cl, NULL, &err, 2, "vm-list", "bareword");
	CHECK(r == 0 && !strcmp(xe_param_get(&cl.params, "bareword"), ""),
	      "a bare word is a key with an empty value");
	xe_cmdline_clear(&cl);

	r = parse(&cl, NULL, &err, 2, "vm-list", "--help");
	CHECK(r == 0 && cl.opts.help, "--help is noticed anywhere");
	xe_cmdline_clear(&cl);
}

static void test_errors(void)
{
	xe_cmdline cl;
	char *err = NULL;
	int r = parse(&cl, NULL, &err, 2, "name-label=x", "vm-list");
	CHECK(r < 0 && err && strstr(err, "command name is missing"),
	      "a key=value where the command should be is an error");
	free(err);
	xe_cmdline_clear(&cl);
	err = NULL;
	r = parse(&cl, NULL, &err, 3, "-p", "99999", "vm-list");
	CHECK(r < 0 && err && strstr(err, "Port number"), "port out of range is an error");
	free(err);
	xe_cmdline_clear(&cl);
	err = NULL;
	r = parse(&cl, NULL, &err, 0);
	CHECK(r == 0 && !cl.cmd, "empty command line: no command");
	xe_cmdline_clear(&cl);
}

static void test_rc_env(void)
{
	xe_cmdline cl;
	char *err = NULL;
	fake_env_vals[0][0] = "XE_EXTRA_ARGS";
	fake_env_vals[0][1] = "port=444,params=uuid\\,name-label";
	fake_env_vals[1][0] = "XE_SOCKET";
	fake_env_vals[1][1] = "/run/test.sock";
	fake_env_vals[2][0] = "XE_NO_VERIFY";
	fake_env_vals[2][1] = "1";
	int r = parse(&cl, "# comment\nserver=rc-host\nusername=bob\npassword=rcpw\nport=1\n",
		      &err, 3, "-u", "alice", "vm-list");
	CHECK(r == 0, "~/.xe and environment parse");
	CHECK_STR(cl.opts.server, "rc-host", "server= from ~/.xe");
	CHECK_STR(cl.opts.username, "alice", "argv overrides ~/.xe");
	CHECK_STR(cl.opts.password, "rcpw", "password= from ~/.xe");
	CHECK(cl.opts.port == 444, "XE_EXTRA_ARGS overrides ~/.xe");
	CHECK_STR(xe_param_get(&cl.params, "params"), "uuid,name-label",
		  "XE_EXTRA_ARGS splits at unescaped commas only");
	CHECK_STR(cl.opts.socket_path, "/run/test.sock", "XE_SOCKET sets the socket");
	CHECK(!cl.opts.verify_cert, "XE_NO_VERIFY=1 turns verification off");
	xe_cmdline_clear(&cl);
	memset(fake_env_vals, 0, sizeof(fake_env_vals));
}

static void test_passwordfile(void)
{
	char path[] = "/tmp/xe-test-pwf-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "temporary password file created");
	if (fd < 0)
		return;
	const char *content = "operator\nsecret with spaces\n";
	CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content), "written");
	close(fd);

	xe_cmdline cl;
	char *err = NULL;
	int r = parse(&cl, NULL, &err, 3, "-pwf", path, "pool-list");
	CHECK(r == 0 && cl.opts.passwordfile, "-pwf sets passwordfile");
	r = xe_read_passwordfile(&cl.opts, &err);
	CHECK(r == 0, "password file read");
	CHECK_STR(cl.opts.username, "operator", "first line is the username");
	CHECK_STR(cl.opts.password, "secret with spaces", "second line is the password");
	xe_cmdline_clear(&cl);

	r = parse(&cl, NULL, &err, 2, "passwordfile=/nonexistent/xe-pwf", "pool-list");
	CHECK(r == 0, "passwordfile= form");
	r = xe_read_passwordfile(&cl.opts, &err);
	CHECK(r < 0 && err && strstr(err, "Error opening password file"),
	      "missing password file is reported");
	free(err);
	xe_cmdline_clear(&cl);

	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "onlyuser\n", 9) == 9, "one-line password file written");
	close(fd);
	err = NULL;
	r = parse(&cl, NULL, &err, 3, "-pwf", path, "pool-list");
	r = xe_read_passwordfile(&cl.opts, &err);
	CHECK(r < 0 && err && strstr(err, "password file format"),
	      "one-line password file is a format error");
	free(err);
	xe_cmdline_clear(&cl);
	unlink(path);
}

int main(void)
{
	test_basic();
	test_switches();
	test_errors();
	test_rc_env();
	test_passwordfile();
	return check_summary();
}
