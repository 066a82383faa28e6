/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden wire fixtures (tests/golden/): our encoders must produce the reply
 * files byte for byte, and our decoders must read every fixture, including
 * requests exactly as Python's xmlrpc.client and Xen Orchestra send them.
 * Usage: test_golden <tests/golden directory>
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>

#include "check.h"
#include "jsonrpc.h"
#include "util.h"
#include "value.h"
#include "xmlrpc.h"

#define REF "OpaqueRef:6d4a1c3e-6a2f-4f4e-9a43-2f8c2a9d1b10"
#define REF2 "OpaqueRef:0b3c7bfa-4a33-4d63-8cf8-8e0bd1f2e8b1"
#define DT 1742357784 /* 20250319T04:16:24Z */

static const char *golden_dir;
static int files_checked;

static char *slurp(const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("cannot open %s\n", path);
		exit(1);
	}
	char *buf = NULL;
	size_t cap = 0, n = 0, r;
	do {
		if (n == cap)
			buf = hx_realloc(buf, (cap = cap ? cap * 2 : 4096) + 1);
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	files_checked++;
	return buf;
}

/* Compares encoder output with a golden file, byte for byte. */
static void expect_file(const char *name, char *got, size_t got_len)
{
	size_t len;
	char *want = slurp(name, &len);
	CHECK(got_len == len && !memcmp(got, want, len), "%s differs:\n got: %s\nwant: %s", name, got, want);
	free(want);
	free(got);
}

static xv *strs(const char *first, ...)
{
	va_list ap;
	xv *a = xv_array();
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		xv_array_push(a, xv_str(s));
	va_end(ap);
	return a;
}

enum form { AS_BUILT, AS_XML_READS, AS_JSON_READS };

/* The value in success_all_types, as built and as each decoder returns it. */
static xv *everything(enum form form)
{
	xv *st = xv_struct();
	xv_struct_set(st, "string", xv_str(REF));
	xv_struct_set(st, "empty", xv_str(""));
	xv_struct_set(st, "int", form == AS_XML_READS ? xv_str("9223372036854775807") : xv_int(INT64_MAX));
	xv_struct_set(st, "negative", form == AS_XML_READS ? xv_str("-42") : xv_int(-42));
	xv_struct_set(st, "i32", xv_i32(7));
	xv_struct_set(st, "float", xv_float(60.1));
	xv_struct_set(st, "whole_float", xv_float(60.0));
	xv_struct_set(st, "true", xv_bool(true));
	xv_struct_set(st, "false", xv_bool(false));
	xv_struct_set(st, "datetime", form == AS_JSON_READS ? xv_str("20250319T04:16:24Z") : xv_datetime(DT));
	xv_struct_set(st, "nil", xv_nil());
	xv_struct_set(st, "escaped", xv_str("a & b < c > \"d\"\r\n\t"));
	xv_struct_set(st, "utf8", xv_str("h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80"));
	xv_struct_set(st, "set", strs("a", "b", NULL));
	xv_struct_set(st, "empty_set", xv_array());
	xv *map = xv_struct();
	xv_struct_set(map, "k", xv_str("v"));
	xv_struct_set(st, "map", map);
	xv_struct_set(st, "empty_map", xv_struct());
	return st;
}

static xv *event_from_result(void)
{
	xv *st = xv_struct(), *counts = xv_struct();
	xv_struct_set(st, "events", xv_array());
	xv_struct_set(counts, "vm", xv_i32(3));
	xv_struct_set(counts, "task", xv_i32(0));
	xv_struct_set(st, "valid_ref_counts", counts);
	xv_struct_set(st, "token", xv_str("00000000000000000042,00000000000000000000"));
	return st;
}

/* Decodes an XML-RPC response fixture and checks its Value / error. */
static void xml_reply_reads(const char *name, const xv *want_value, const xerr *want_err)
{
	size_t len;
	char *buf = slurp(name, &len), *err = NULL;
	xv *reply = NULL, *val = NULL;
	xerr *e = NULL;
	int rc = xmlrpc_parse_response(buf, len, &reply, &err);
	CHECK(rc == 0, "%s: %s", name, err ? err : "");
	if (rc == 0) {
		rc = xmlrpc_result_of(reply, &val, &e);
		CHECK(rc == 0, "%s: no Status", name);
		if (want_value) {
			char *d1 = xv_to_debug(val), *d2 = xv_to_debug(want_value);
			CHECK(val && xv_equal(val, want_value), "%s reads as %s, want %s", name, d1, d2);
			free(d1);
			free(d2);
		}
		if (want_err) {
			CHECK(e && !strcmp(e->code, want_err->code) && e->nparams == want_err->nparams, "%s error", name);
			for (size_t k = 0; e && k < e->nparams && k < want_err->nparams; k++)
				CHECK(!strcmp(e->params[k], want_err->params[k]), "%s param %zu", name, k);
		}
	}
	xv_free(reply);
	xv_free(val);
	xerr_free(e);
	free(err);
	free(buf);
}

static void json_reply_reads(const char *name, const xv *want_value, const xerr *want_err)
{
	size_t len;
	char *buf = slurp(name, &len), *err = NULL;
	xv *val = NULL;
	xerr *e = NULL;
	int rc = jsonrpc_parse_reply(buf, len, &val, &e, &err);
	CHECK(rc == 0, "%s: %s", name, err ? err : "");
	if (want_value) {
		char *d1 = xv_to_debug(val), *d2 = xv_to_debug(want_value);
		CHECK(val && xv_equal(val, want_value), "%s reads as %s, want %s", name, d1, d2);
		free(d1);
		free(d2);
	}
	if (want_err) {
		CHECK(e && !strcmp(e->code, want_err->code) && e->nparams == want_err->nparams, "%s error", name);
		for (size_t k = 0; e && k < e->nparams && k < want_err->nparams; k++)
			CHECK(!strcmp(e->params[k], want_err->params[k]), "%s param %zu", name, k);
	}
	xv_free(val);
	xerr_free(e);
	free(err);
	free(buf);
}

static void test_xmlrpc_replies(void)
{
	size_t len;
	char *s;
	xv *v = everything(AS_BUILT);
	s = xmlrpc_response_success(v, &len);
	expect_file("xmlrpc/success_all_types.response.xml", s, len);
	xv_free(v);
	v = everything(AS_XML_READS);
	xml_reply_reads("xmlrpc/success_all_types.response.xml", v, NULL);
	xv_free(v);

	v = xv_str(REF);
	s = xmlrpc_response_success(v, &len);
	expect_file("xmlrpc/login.response.xml", s, len);
	xml_reply_reads("xmlrpc/login.response.xml", v, NULL);
	s = xmlrpc_value_string(v);
	expect_file("xmlrpc/task_result.value.xml", s, strlen(s));
	xv_free(v);

	v = xv_str("");
	s = xmlrpc_response_success(v, &len);
	expect_file("xmlrpc/void.response.xml", s, len);
	s = xmlrpc_response_success(NULL, &len);
	expect_file("xmlrpc/void.response.xml", s, len);
	xml_reply_reads("xmlrpc/void.response.xml", v, NULL);
	xv_free(v);

	xerr *e = xerr_new("HANDLE_INVALID", "VM", REF, NULL);
	s = xmlrpc_response_failure(e, &len);
	expect_file("xmlrpc/failure.response.xml", s, len);
	xml_reply_reads("xmlrpc/failure.response.xml", NULL, e);
	xerr_free(e);
	e = xerr_new("SESSION_NOT_REGISTERED", NULL);
	s = xmlrpc_response_failure(e, &len);
	expect_file("xmlrpc/failure_noparams.response.xml", s, len);
	xml_reply_reads("xmlrpc/failure_noparams.response.xml", NULL, e);
	xerr_free(e);

	v = strs(REF, HX_NULL_REF, NULL);
	s = xmlrpc_value_string(v);
	expect_file("xmlrpc/task_result_set.value.xml", s, strlen(s));
	s = slurp("xmlrpc/task_result_set.value.xml", &len);
	xv *back = NULL;
	CHECK(xmlrpc_parse_value_string(s, len, &back, NULL) == 0 && xv_equal(back, v), "task result set reads back");
	xv_free(back);
	free(s);
	xv_free(v);

	v = event_from_result();
	s = xmlrpc_response_success(v, &len);
	expect_file("xmlrpc/event_from.response.xml", s, len);
	xml_reply_reads("xmlrpc/event_from.response.xml", v, NULL);
	xv_free(v);

	v = strs("root", "secret", "1.1", "xe", NULL);
	s = xmlrpc_build_call("session.login_with_password", v, &len);
	expect_file("xmlrpc/xe_login.request.xml", s, len);
	xv_free(v);
	OK("XML-RPC: encoder output equals the golden success (every type), login, void, failure (with and "
	   "without params), event.from (<i4> counts), task.result value strings and xe's login call; each reply "
	   "decodes back to the expected value or error");
}

/* Parses a request fixture and compares method and params. */
static void xml_call_reads(const char *name, const char *method, const xv *params)
{
	size_t len;
	char *buf = slurp(name, &len), *m = NULL, *err = NULL;
	xv *ps = NULL;
	int rc = xmlrpc_parse_call(buf, len, &m, &ps, &err);
	char *d1 = xv_to_debug(ps), *d2 = xv_to_debug(params);
	CHECK(rc == 0 && !strcmp(m, method) && xv_equal(ps, params), "%s: %s %s, want %s", name, err ? err : "", d1, d2);
	free(d1);
	free(d2);
	free(m);
	free(err);
	free(buf);
	xv_free(ps);
}

static void test_xmlrpc_requests(void)
{
	xv *ps = strs("root", "secret", "1.0", "xen-api-scripts-xenapi.py", NULL);
	xml_call_reads("xmlrpc/login.request.xml", "session.login_with_password", ps);
	xv_free(ps);

	ps = xv_array();
	xv_array_push(ps, xv_str(REF));
	xv_array_push(ps, xv_str(""));
	xv_array_push(ps, xv_int(42));
	xv_array_push(ps, xv_int(-7));
	xv_array_push(ps, xv_bool(true));
	xv_array_push(ps, xv_bool(false));
	xv_array_push(ps, xv_float(60.1));
	xv_array_push(ps, xv_float(2.0));
	xv_array_push(ps, xv_nil());
	xv_array_push(ps, xv_datetime(DT));
	xv_array_push(ps, xv_str("hello\n"));
	xv_array_push(ps, xv_str("a & b < c > \"d\""));
	xv *a = xv_array(), *inner = xv_array();
	xv_array_push(a, xv_str("x"));
	xv_array_push(a, xv_int(1));
	xv_array_push(inner, xv_bool(true));
	xv_array_push(a, inner);
	xv_array_push(ps, a);
	xv *st = xv_struct(), *nested = xv_struct(), *nils = xv_array();
	xv_struct_set(st, "name_label", xv_str("vm1"));
	xv_struct_set(st, "memory", xv_str("1073741824"));
	xv_array_push(nils, xv_nil());
	xv_struct_set(nested, "k", nils);
	xv_struct_set(st, "nested", nested);
	xv_array_push(ps, st);
	xml_call_reads("xmlrpc/python_all_types.request.xml", "VM.test_everything", ps);
	xv_free(ps);

	ps = xv_array();
	xv_array_push(ps, xv_str(REF2));
	xv_array_push(ps, strs("vm", "task", NULL));
	xv_array_push(ps, xv_str(""));
	xv_array_push(ps, xv_float(60.1));
	xml_call_reads("xmlrpc/event_from.request.xml", "event.from", ps);
	xv_free(ps);

	ps = strs("root", "secret", "1.1", "xe", NULL);
	xml_call_reads("xmlrpc/xe_login.request.xml", "session.login_with_password", ps);
	xv_free(ps);
	OK("XML-RPC requests as Python's xmlrpc.client sends them (login, every Python type incl. None, "
	   "DateTime without zone, Binary, nested list/dict; event.from with 60.1) and as xe sends them");
}

static void test_jsonrpc(void)
{
	size_t len;
	char *s;
	xv *v = everything(AS_BUILT);
	s = jsonrpc_success(2, "1", v, &len);
	expect_file("jsonrpc/success_all_types.v2.response.json", s, len);
	s = jsonrpc_success(1, "1", v, &len);
	expect_file("jsonrpc/success_all_types.v1.response.json", s, len);
	xv_free(v);
	v = everything(AS_JSON_READS);
	json_reply_reads("jsonrpc/success_all_types.v2.response.json", v, NULL);
	json_reply_reads("jsonrpc/success_all_types.v1.response.json", v, NULL);
	xv_free(v);

	v = xv_str(REF);
	s = jsonrpc_success(2, "\"login-1\"", v, &len);
	expect_file("jsonrpc/login.v2.response.json", s, len);
	json_reply_reads("jsonrpc/login.v2.response.json", v, NULL);
	xv *tr = xv_str_own(xmlrpc_value_string(v));
	s = jsonrpc_success(2, "4", tr, &len);
	expect_file("jsonrpc/task_result.v2.response.json", s, len);
	json_reply_reads("jsonrpc/task_result.v2.response.json", tr, NULL);
	xv_free(tr);
	xv_free(v);

	v = xv_str("");
	s = jsonrpc_success(1, "7", v, &len);
	expect_file("jsonrpc/void.v1.response.json", s, len);
	json_reply_reads("jsonrpc/void.v1.response.json", v, NULL);
	xv_free(v);

	xerr *e = xerr_new("HANDLE_INVALID", "VM", REF, NULL);
	s = jsonrpc_error(2, "3", e, &len);
	expect_file("jsonrpc/failure.v2.response.json", s, len);
	s = jsonrpc_error(1, "3", e, &len);
	expect_file("jsonrpc/failure.v1.response.json", s, len);
	json_reply_reads("jsonrpc/failure.v2.response.json", NULL, e);
	json_reply_reads("jsonrpc/failure.v1.response.json", NULL, e);
	xerr_free(e);
	e = xerr_new("SESSION_NOT_REGISTERED", NULL);
	s = jsonrpc_error(2, "3", e, &len);
	expect_file("jsonrpc/failure_noparams.v2.response.json", s, len);
	json_reply_reads("jsonrpc/failure_noparams.v2.response.json", NULL, e);
	xerr_free(e);

	v = strs("root", "secret", "1.1", "xe", NULL);
	s = jsonrpc_build_request("session.login_with_password", v, &len);
	expect_file("jsonrpc/xe_login.v2.request.json", s, len);
	xv_free(v);

	static const struct {
		const char *file;
		int version;
		const char *method;
		const char *id;
		size_t nparams;
	} reqs[] = {
		{ "jsonrpc/login.v2.request.json", 2, "session.login_with_password", "0", 2 },
		{ "jsonrpc/login.v1.request.json", 1, "session.login_with_password", "\"login-1\"", 4 },
		{ "jsonrpc/event_from.v2.request.json", 2, "event.from", "12", 4 },
		{ "jsonrpc/no_params.v2.request.json", 2, "system.listMethods", "1.5", 0 },
		{ "jsonrpc/xe_login.v2.request.json", 2, "session.login_with_password", "0", 4 },
	};
	for (size_t k = 0; k < sizeof(reqs) / sizeof(reqs[0]); k++) {
		char *buf = slurp(reqs[k].file, &len), *err = NULL;
		jsonrpc_req r;
		int rc = jsonrpc_parse_request(buf, len, &r, &err);
		CHECK(rc == 0 && r.version == reqs[k].version && !strcmp(r.method, reqs[k].method) &&
			      !strcmp(r.id_json, reqs[k].id) && xv_len(r.params) == reqs[k].nparams,
		      "%s: %s", reqs[k].file, err ? err : "");
		if (rc == 0 && k == 2) {
			xv *f = xv_array_get(r.params, 3), *cls = xv_array_get(r.params, 1);
			CHECK(f->kind == XV_FLOAT && f->u.f == 60.1 && cls->kind == XV_ARRAY &&
				      !strcmp(xv_s(xv_array_get(cls, 0)), "*"),
			      "event.from params");
		}
		jsonrpc_req_clear(&r);
		free(err);
		free(buf);
	}
	OK("JSON-RPC: v1 and v2 success (every type), login, task.result, void, failure (with and without params) "
	   "equal the golden bytes and decode back; requests from XO-style v2 and spaced v1 clients parse with "
	   "their ids echoed verbatim; xe's v2 request matches");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
		return 2;
	}
	golden_dir = argv[1];
	test_xmlrpc_replies();
	test_xmlrpc_requests();
	test_jsonrpc();
	printf("golden files read: %d\n", files_checked);
	return check_done("test_golden");
}
