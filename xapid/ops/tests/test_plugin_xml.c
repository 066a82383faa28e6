/* SPDX-License-Identifier: Apache-2.0 */
/* host.call_plugin's marshalling: the call a plugin gets, what it may print. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugin_xml.h"
#include "xmlrpc.h"

static void test_names(void)
{
	CHECK(plugin_name_ok("echo"), "plain");
	CHECK(plugin_name_ok("power-on-host"), "dashes");
	CHECK(plugin_name_ok("a.py"), "dot inside");
	CHECK(!plugin_name_ok(""), "empty");
	CHECK(!plugin_name_ok(NULL), "NULL");
	CHECK(!plugin_name_ok("."), "dot");
	CHECK(!plugin_name_ok(".."), "dotdot");
	CHECK(!plugin_name_ok("../../bin/sh"), "escape");
	CHECK(!plugin_name_ok("a/b"), "slash");
	CHECK(!plugin_name_ok(".hidden"), "hidden");
	OK("plugin names: no slash, no leading dot, not empty");
}

static void test_call(void)
{
	xv *args = xv_struct();
	xv_struct_set(args, "vm", xv_str("a<b&c"));
	xv_struct_set(args, "n", xv_str(""));
	char *call = plugin_build_call("main", "OpaqueRef:s", args);
	char *method = NULL, *msg = NULL;
	xv *params = NULL;
	CHECK(xmlrpc_parse_call(call, strlen(call), &method, &params, &msg) == 0, "parses: %s",
	      msg ? msg : "");
	CHECK(method && !strcmp(method, "main"), "method");
	CHECK(xv_len(params) == 2, "two params");
	CHECK(!strcmp(xv_s(xv_array_get(params, 0)), "OpaqueRef:s"), "session first");
	xv *st = xv_array_get(params, 1);
	CHECK(st && st->kind == XV_STRUCT && xv_len(st) == 2, "args struct");
	CHECK(!strcmp(xv_struct_str(st, "vm"), "a<b&c"), "escaped value round-trips");
	CHECK(!strcmp(xv_struct_str(st, "n"), ""), "empty value");
	free(call);
	free(method);
	free(msg);
	xv_free(params);

	call = plugin_build_call("f", NULL, NULL);
	CHECK(xmlrpc_parse_call(call, strlen(call), &method, &params, &msg) == 0, "no args");
	CHECK(xv_len(params) == 2 && xv_len(xv_array_get(params, 1)) == 0, "empty struct");
	free(call);
	free(method);
	xv_free(params);
	xv_free(args);
	OK("argv[1]: methodCall fn(session, {args}) with escaping, empty args");
}

/* Runs the parser on text; returns the result string or the error code. */
static char *outcome(const char *text, xerr **err)
{
	xv *r = NULL;
	*err = plugin_parse_output(text, strlen(text), &r);
	char *s = r ? strdup(xv_s(r)) : NULL;
	xv_free(r);
	return s;
}

static const char *resp_head = "<?xml version='1.0'?><methodResponse><params><param>";
static const char *resp_tail = "</param></params></methodResponse>";

static char *resp(const char *value)
{
	size_t n = strlen(resp_head) + strlen(value) + strlen(resp_tail) + 1;
	char *s = malloc(n);
	snprintf(s, n, "%s%s%s", resp_head, value, resp_tail);
	return s;
}

static void test_output(void)
{
	xerr *e;
	char *t = resp("<value><struct><member><name>Status</name><value>Success</value></member>"
		       "<member><name>Value</name><value><string>hello</string></value></member>"
		       "</struct></value>");
	char *r = outcome(t, &e);
	CHECK(!e && r && !strcmp(r, "hello"), "XenAPIPlugin success");
	free(r);
	free(t);

	t = resp("<value><string>bare</string></value>");
	r = outcome(t, &e);
	CHECK(!e && r && !strcmp(r, "bare"), "bare string");
	free(r);
	free(t);

	t = resp("<value><struct><member><name>Status</name><value>Failure</value></member>"
		 "<member><name>ErrorDescription</name><value><array><data>"
		 "<value>UNKNOWN_XENAPI_PLUGIN_FUNCTION</value><value>nope</value>"
		 "</data></array></value></member></struct></value>");
	r = outcome(t, &e);
	CHECK(!r && e && !strcmp(e->code, "UNKNOWN_XENAPI_PLUGIN_FUNCTION") && e->nparams == 1 &&
		      !strcmp(e->params[0], "nope"),
	      "the plugin's own error passes through");
	xerr_free(e);
	free(t);

	t = "<?xml version='1.0'?><methodResponse><fault><value><struct>"
	    "<member><name>faultCode</name><value><int>4</int></value></member>"
	    "<member><name>faultString</name><value>boom</value></member>"
	    "</struct></value></fault></methodResponse>";
	r = outcome(t, &e);
	CHECK(!r && e && !strcmp(e->code, "XENAPI_PLUGIN_FAILURE") && e->nparams == 3 &&
		      !strcmp(e->params[0], "fault") && !strcmp(e->params[1], "4") &&
		      !strcmp(e->params[2], "boom"),
	      "fault -> [fault, code, reason]");
	xerr_free(e);

	t = resp("<value><struct><member><name>Status</name><value>Success</value></member>"
		 "<member><name>Value</name><value><int>3</int></value></member>"
		 "</struct></value>");
	r = outcome(t, &e);
	CHECK(!r && e && !strcmp(e->code, "XENAPI_PLUGIN_FAILURE") &&
		      !strcmp(e->params[0], "unexpected XMLRPC result"),
	      "a non-string value");
	xerr_free(e);
	free(t);

	t = resp("<value><array><data></data></array></value>");
	r = outcome(t, &e);
	CHECK(!r && e && !strcmp(e->params[0], "unexpected XMLRPC result"), "an array");
	xerr_free(e);
	free(t);

	r = outcome("Traceback (most recent call last):", &e);
	CHECK(!r && e && !strcmp(e->code, "XENAPI_PLUGIN_FAILURE") && e->nparams == 3 &&
		      !strcmp(e->params[0], "failed to parse plugin output") &&
		      !strcmp(e->params[1], "Traceback (most recent call last):"),
	      "garbage output");
	xerr_free(e);
	r = outcome("", &e);
	CHECK(!r && e && !strcmp(e->params[0], "failed to parse plugin output"), "no output");
	xerr_free(e);
	OK("plugin output: success (wrapped, bare), own failure, fault, wrong types, garbage");
}

int main(void)
{
	test_names();
	test_call();
	test_output();
	return check_done("ops-plugin-xml");
}
