/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: JSON-RPC v1/v2 requests, replies, values and rejections. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "jsonrpc.h"
#include "strbuf.h"
#include "util.h"
#include "value.h"

static void expect_json(const xv *v, const char *want)
{
	char *got = jsonrpc_value_to_json(v);
	CHECK(!strcmp(got, want), "got %s want %s", got, want);
	free(got);
}

static void test_encode(void)
{
	xv *v;
	expect_json(v = xv_str("a\"b\\c\n\t\r\x7f/\xc3\xa9"), "\"a\\\"b\\\\c\\n\\t\\r\\u007f/\xc3\xa9\"");
	xv_free(v);
	expect_json(v = xv_strn("a\x01\xff\xef\xbf\xbe", 6), "\"a\\u0001\xef\xbf\xbd\xef\xbf\xbe\"");
	xv_free(v);
	expect_json(v = xv_int(INT64_MAX), "9223372036854775807");
	xv_free(v);
	expect_json(v = xv_int(INT64_MIN), "-9223372036854775808");
	xv_free(v);
	expect_json(v = xv_i32(7), "7");
	xv_free(v);
	expect_json(v = xv_float(1.0), "1.0");
	xv_free(v);
	expect_json(v = xv_float(60.1), "60.1");
	xv_free(v);
	expect_json(v = xv_float(0.1), "0.1");
	xv_free(v);
	expect_json(v = xv_float(1e22), "1e+22");
	xv_free(v);
	expect_json(v = xv_float(-0.0), "-0.0");
	xv_free(v);
	expect_json(v = xv_float(NAN), "null");
	xv_free(v);
	expect_json(v = xv_bool(true), "true");
	xv_free(v);
	expect_json(v = xv_datetime(1742357784), "\"20250319T04:16:24Z\"");
	xv_free(v);
	expect_json(v = xv_nil(), "null");
	xv_free(v);
	v = xv_struct();
	xv_struct_set(v, "b", xv_array());
	xv_struct_set(v, "a", xv_struct());
	expect_json(v, "{\"b\":[],\"a\":{}}");
	xv_free(v);

	xv *r = xv_str("OpaqueRef:x");
	char *s;
	size_t len;
	s = jsonrpc_success(2, "0", r, &len);
	CHECK(!strcmp(s, "{\"jsonrpc\":\"2.0\",\"result\":\"OpaqueRef:x\",\"id\":0}") && len == strlen(s), "v2 success %s", s);
	free(s);
	s = jsonrpc_success(1, "\"abc\"", r, &len);
	CHECK(!strcmp(s, "{\"result\":\"OpaqueRef:x\",\"error\":null,\"id\":\"abc\"}"), "v1 success %s", s);
	free(s);
	s = jsonrpc_success(1, NULL, NULL, &len);
	CHECK(!strcmp(s, "{\"result\":\"\",\"error\":null,\"id\":null}"), "v1 void, null id %s", s);
	free(s);
	xv_free(r);
	xerr *e = xerr_new("HANDLE_INVALID", "VM", "OpaqueRef:x", NULL);
	s = jsonrpc_error(2, "5", e, &len);
	CHECK(!strcmp(s, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"HANDLE_INVALID\",\"data\":[\"VM\",\"OpaqueRef:x\"]},\"id\":5}"),
	      "v2 error %s", s);
	free(s);
	s = jsonrpc_error(1, "5", e, &len);
	CHECK(!strcmp(s, "{\"result\":null,\"error\":[\"HANDLE_INVALID\",\"VM\",\"OpaqueRef:x\"],\"id\":5}"), "v1 error %s", s);
	free(s);
	xerr_free(e);
	e = xerr_new("EMPTY", NULL);
	s = jsonrpc_error(2, NULL, e, &len);
	CHECK(!strcmp(s, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"EMPTY\",\"data\":[]},\"id\":null}"), "v2 error no params %s", s);
	free(s);
	xerr_free(e);
	xv *ps = xv_array();
	xv_array_push(ps, xv_str("root"));
	xv_array_push(ps, xv_int(3));
	s = jsonrpc_build_request("session.login_with_password", ps, &len);
	CHECK(!strcmp(s, "{\"jsonrpc\":\"2.0\",\"method\":\"session.login_with_password\",\"params\":[\"root\",3],\"id\":0}"),
	      "request %s", s);
	free(s);
	xv_free(ps);
	OK("JSON encoding: string escapes, U+FFFD for invalid UTF-8, full int64 literals, floats always with '.'/exponent, NaN as null, datetimes "
	   "as strings, member order; v1/v2 success and error replies, null ids, void, client request");
}

static int req(const char *body, jsonrpc_req *r, char **err)
{
	*err = NULL;
	return jsonrpc_parse_request(body, strlen(body), r, err);
}

static void test_requests(void)
{
	jsonrpc_req r;
	char *err;

	CHECK(req("{\"jsonrpc\":\"2.0\",\"method\":\"VM.get_all\",\"params\":[\"s\"],\"id\":17}", &r, &err) == 0, "%s", err);
	CHECK(r.version == 2 && !strcmp(r.method, "VM.get_all") && xv_len(r.params) == 1 && !strcmp(r.id_json, "17"), "v2");
	jsonrpc_req_clear(&r);
	CHECK(r.method == NULL && r.params == NULL && r.id_json == NULL, "clear zeroes");
	jsonrpc_req_clear(&r);
	jsonrpc_req_clear(NULL);

	CHECK(req("{\"method\":\"m\",\"params\":[],\"id\":\"a\\\"b\"}", &r, &err) == 0, "%s", err);
	CHECK(r.version == 1 && !strcmp(r.id_json, "\"a\\\"b\""), "v1 with string id %s", r.id_json);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"jsonrpc\":\"1.0\",\"method\":\"m\",\"id\":1.50}", &r, &err) == 0, "%s", err);
	CHECK(r.version == 1 && !strcmp(r.id_json, "1.50") && r.params && xv_len(r.params) == 0,
	      "jsonrpc 1.0 is v1, float id echoed as sent, missing params = []");
	jsonrpc_req_clear(&r);
	CHECK(req(" {\"id\":-9223372036854775808,\"params\":null,\"method\":\"m\"}\n ", &r, &err) == 0, "%s", err);
	CHECK(!strcmp(r.id_json, "-9223372036854775808") && xv_len(r.params) == 0, "int64 min id, null params");
	jsonrpc_req_clear(&r);

	CHECK(req("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":0,\"params\":[\"s\",9223372036854775807,-1,1.0,1e3,true,null,"
		  "[1,[2]],{\"k\":{\"n\":[]}},\"\\u00e9\\ud83d\\ude00\",\"\"]}",
		  &r, &err) == 0,
	      "%s", err);
	xv *p = r.params;
	if (p && xv_len(p) == 11) {
		CHECK(xv_array_get(p, 1)->kind == XV_INT && xv_array_get(p, 1)->u.i == INT64_MAX, "int64 max");
		CHECK(xv_array_get(p, 2)->kind == XV_INT && xv_array_get(p, 2)->u.i == -1, "negative int");
		CHECK(xv_array_get(p, 3)->kind == XV_FLOAT && xv_array_get(p, 3)->u.f == 1.0, "1.0 is a float");
		CHECK(xv_array_get(p, 4)->kind == XV_FLOAT && xv_array_get(p, 4)->u.f == 1000.0, "1e3 is a float");
		CHECK(xv_array_get(p, 5)->kind == XV_BOOL, "bool");
		CHECK(xv_array_get(p, 6)->kind == XV_NIL, "null");
		CHECK(xv_array_get(p, 7)->kind == XV_ARRAY && xv_len(xv_array_get(xv_array_get(p, 7), 1)) == 1, "nested array");
		CHECK(xv_struct_get(xv_struct_get(xv_array_get(p, 8), "k"), "n")->kind == XV_ARRAY, "nested object");
		CHECK(!strcmp(xv_s(xv_array_get(p, 9)), "\xc3\xa9\xf0\x9f\x98\x80"), "unicode escapes incl. a surrogate pair");
		CHECK(!strcmp(xv_s(xv_array_get(p, 10)), ""), "empty string");
	} else {
		CHECK(0, "params not parsed");
	}
	jsonrpc_req_clear(&r);

	static const struct {
		const char *body;
		const char *what;
	} bad[] = {
		{ "", "empty" },
		{ "[]", "array body" },
		{ "null", "null body" },
		{ "\"x\"", "string body" },
		{ "{\"method\":\"m\",\"params\":[]}", "no id" },
		{ "{\"method\":\"m\",\"params\":[],\"id\":null}", "null id" },
		{ "{\"method\":\"m\",\"params\":[],\"id\":[1]}", "array id" },
		{ "{\"method\":\"m\",\"params\":[],\"id\":true}", "bool id" },
		{ "{\"params\":[],\"id\":1}", "no method" },
		{ "{\"method\":\"\",\"id\":1}", "empty method" },
		{ "{\"method\":7,\"id\":1}", "numeric method" },
		{ "{\"method\":\"m\",\"params\":{\"a\":1},\"id\":1}", "named params" },
		{ "{\"method\":\"m\",\"params\":\"x\",\"id\":1}", "string params" },
		{ "{\"method\":\"m\",\"params\":[],\"id\":1} x", "trailing garbage" },
		{ "{\"method\":\"m\",\"params\":[],\"id\":1}{}", "two objects" },
		{ "{\"method\":\"m\",\"params\":[1,],\"id\":1}", "trailing comma" },
		{ "{'method':'m','id':1}", "single quotes" },
		{ "{\"method\":\"m\",\"params\":[NaN],\"id\":1}", "NaN" },
		{ "{\"method\":\"m\",\"params\":[1e400],\"id\":1}", "infinite number" },
		{ "{\"method\":\"m\",\"params\":[9223372036854775808],\"id\":1}", "int64 overflow" },
		{ "{\"method\":\"m\",\"params\":[-9223372036854775809],\"id\":1}", "int64 underflow" },
		{ "{\"method\":\"m\",\"params\":[18446744073709551616],\"id\":1}", "uint64 overflow" },
		{ "{\"method\":\"m\",\"params\":[\"a\\u0001b\"],\"id\":1}", "U+0001 in a string" },
		{ "{\"method\":\"m\",\"params\":[\"a\\u0000b\"],\"id\":1}", "NUL in a string" },
		{ "{\"method\":\"m\",\"params\":[{\"k\\u0002\":1}],\"id\":1}", "U+0002 in a key" },
		{ "{\"method\":\"m\",\"params\":[\"\\uffff\"],\"id\":1}", "U+FFFF" },
		{ "{\"method\":\"m\",\"params\":[\"a\xc3(\"],\"id\":1}", "invalid UTF-8" },
		{ "{\"method\":\"m\xc0\xaf\",\"id\":1}", "overlong UTF-8 in method" },
		{ "{\"method\":\"m\",\"params\":[\"\x01\"],\"id\":1}", "raw control char" },
		{ "{\"method\":\"m\",\"params\":[01],\"id\":1}", "leading zero" },
		{ "{\"method\":\"m\",\"params\":[TRUE],\"id\":1}", "TRUE" },
		{ "{\"method\":\"m\",\"params\":[", "truncated" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int rc = req(bad[k].body, &r, &err);
		CHECK(rc == -EINVAL && err && *err && r.method == NULL && r.params == NULL, "accepted %s", bad[k].what);
		printf("  rejected %s: %s\n", bad[k].what, err ? err : "(no message)");
		free(err);
		jsonrpc_req_clear(&r);
	}
	/* Unpaired surrogate escapes are refused (json-c would make them
	 * U+FFFD); a proper pair decodes to its code point. */
	CHECK(req("{\"id\":1,\"method\":\"m\",\"params\":[\"a\\ud800b\"]}", &r, &err) != 0,
	      "lone high surrogate rejected");
	free(err);
	err = NULL;
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\",\"params\":[\"\\udc00\"]}", &r, &err) != 0,
	      "lone low surrogate rejected");
	free(err);
	err = NULL;
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\",\"params\":[\"\\ud83d\\ude00 \\\\ud800\"]}", &r, &err) == 0 &&
		      r.params && !strcmp(xv_s(xv_array_get(r.params, 0)), "\xf0\x9f\x98\x80 \\ud800"),
	      "surrogate pair decodes; an escaped backslash before 'ud800' is plain text");
	free(err);
	jsonrpc_req_clear(&r);
	/* the id survives a failure further on so that the error can carry it */
	CHECK(req("{\"id\":\"x1\",\"method\":\"m\",\"params\":[\"\\u0001\"]}", &r, &err) == -EINVAL && r.id_json &&
		      !strcmp(r.id_json, "\"x1\""),
	      "id kept on failure");
	free(err);
	jsonrpc_req_clear(&r);
	/* an embedded NUL byte in the body */
	static const char nul[] = "{\"method\":\"m\",\"id\":1}\0junk";
	err = NULL;
	CHECK(jsonrpc_parse_request(nul, sizeof(nul) - 1, &r, &err) == -EINVAL, "NUL byte then junk");
	free(err);
	jsonrpc_req_clear(&r);

	/* nesting: 64 containers inside params are fine, 65 are not */
	for (int depth = 64; depth <= 65; depth++) {
		strbuf b = STRBUF_INIT;
		sb_puts(&b, "{\"method\":\"m\",\"id\":1,\"params\":[");
		for (int k = 0; k < depth; k++)
			sb_puts(&b, k % 2 ? "{\"k\":" : "[");
		sb_puts(&b, "1");
		for (int k = depth - 1; k >= 0; k--)
			sb_puts(&b, k % 2 ? "}" : "]");
		sb_puts(&b, "]}");
		err = NULL;
		int rc = jsonrpc_parse_request(b.s, b.len, &r, &err);
		CHECK(depth == 64 ? rc == 0 : rc == -EINVAL, "depth %d: rc %d %s", depth, rc, err ? err : "");
		free(err);
		jsonrpc_req_clear(&r);
		sb_free(&b);
	}
	strbuf b = STRBUF_INIT;
	for (int k = 0; k < 100000; k++)
		sb_putc(&b, '[');
	err = NULL;
	CHECK(jsonrpc_parse_request(b.s, b.len, &r, &err) == -EINVAL, "100000 open brackets");
	free(err);
	sb_free(&b);
	OK("requests: v1/v2 detection, number/string ids echoed verbatim, missing/null params, every JSON type; "
	   "%zu bad requests rejected (no/null id, bad method/params, strictness, int64 overflow, NaN/inf, illegal "
	   "chars in strings and keys, invalid UTF-8, trailing data, NUL); depth 64 ok, 65 rejected",
	   sizeof(bad) / sizeof(bad[0]));
}

static void test_values_and_replies(void)
{
	xv *st = xv_struct();
	xv_struct_set(st, "s", xv_str("\xe2\x98\x83 \"q\" \\ \t"));
	xv_struct_set(st, "i", xv_int(INT64_MIN));
	xv_struct_set(st, "f", xv_float(0.1));
	xv_struct_set(st, "w", xv_float(-60.0));
	xv_struct_set(st, "tiny", xv_float(5e-324));
	xv_struct_set(st, "huge", xv_float(1.7976931348623157e308));
	xv_struct_set(st, "b", xv_bool(false));
	xv_struct_set(st, "n", xv_nil());
	xv *a = xv_array();
	xv_array_push(a, xv_struct());
	xv_array_push(a, xv_array());
	xv_struct_set(st, "a", a);
	char *j = jsonrpc_value_to_json(st), *err = NULL;
	xv *back = NULL;
	int rc = jsonrpc_value_from_json(j, strlen(j), &back, &err);
	CHECK(rc == 0 && xv_equal(st, back), "value round trip: %s", j);
	char *j2 = back ? jsonrpc_value_to_json(back) : NULL;
	CHECK(j2 && !strcmp(j, j2), "re-encoding identical");
	free(j2);
	xv_free(back);
	free(j);
	free(err);

	/* floats are exact through JSON (shortest round-trip form) */
	int bad = 0;
	double fs[] = { 0.1, 1.0 / 3.0, 2.0 / 3.0, 1e-310, 123456789.123456789, 9007199254740993.0, -1e-5 };
	for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++) {
		xv *f = xv_float(fs[k]);
		j = jsonrpc_value_to_json(f);
		if (jsonrpc_value_from_json(j, strlen(j), &back, NULL) || back->kind != XV_FLOAT || back->u.f != fs[k])
			bad++;
		free(j);
		xv_free(back);
		xv_free(f);
	}
	CHECK(bad == 0, "%d floats not exact", bad);

	/* datetimes become strings */
	xv *d = xv_datetime(0);
	j = jsonrpc_value_to_json(d);
	rc = jsonrpc_value_from_json(j, strlen(j), &back, NULL);
	CHECK(rc == 0 && back->kind == XV_STRING && !strcmp(xv_s(back), "19700101T00:00:00Z"), "datetime as string");
	xv_free(back);
	free(j);
	xv_free(d);
	rc = jsonrpc_value_from_json("null", 4, &back, NULL);
	CHECK(rc == 0 && back && back->kind == XV_NIL, "literal null");
	xv_free(back);
	rc = jsonrpc_value_from_json(" 42 ", 4, &back, NULL);
	CHECK(rc == 0 && back && back->kind == XV_INT && back->u.i == 42, "scalar 42");
	xv_free(back);
	err = NULL;
	rc = jsonrpc_value_from_json("{", 1, &back, &err);
	CHECK(rc == -EINVAL && !back && err, "bad JSON value");
	free(err);

	/* replies, both shapes, through the client-side parser */
	xerr *e = NULL;
	xv *res = NULL;
	for (int ver = 1; ver <= 2; ver++) {
		j = jsonrpc_success(ver, "\"id\"", st, NULL);
		err = NULL;
		rc = jsonrpc_parse_reply(j, strlen(j), &res, &e, &err);
		CHECK(rc == 0 && res && !e && xv_equal(res, st), "v%d success reply: %s", ver, err ? err : "");
		xv_free(res);
		free(j);
		free(err);
		xerr *in = xerr_new("SR_BACKEND_FAILURE_107", "", "<LUN>\"x\"</LUN>", NULL);
		j = jsonrpc_error(ver, "1", in, NULL);
		err = NULL;
		rc = jsonrpc_parse_reply(j, strlen(j), &res, &e, &err);
		CHECK(rc == 0 && !res && e && !strcmp(e->code, in->code) && e->nparams == 2 && !strcmp(e->params[1], in->params[1]),
		      "v%d error reply", ver);
		xerr_free(e);
		xerr_free(in);
		free(j);
		free(err);
	}
	j = jsonrpc_success(2, "1", NULL, NULL);
	rc = jsonrpc_parse_reply(j, strlen(j), &res, &e, NULL);
	CHECK(rc == 0 && res && !strcmp(xv_s(res), ""), "void reply");
	xv_free(res);
	free(j);
	static const char *const badrep[] = { "{}", "[]", "{\"error\":\"x\",\"id\":1}", "{\"error\":{\"code\":1},\"id\":1}",
					      "{\"result\":[\"\\u0001\"],\"id\":1}" };
	for (size_t k = 0; k < sizeof(badrep) / sizeof(badrep[0]); k++) {
		err = NULL;
		rc = jsonrpc_parse_reply(badrep[k], strlen(badrep[k]), &res, &e, &err);
		CHECK(rc == -EINVAL && !res && !e && err, "bad reply accepted: %s", badrep[k]);
		free(err);
	}
	static const char mixed[] = "{\"result\":null,\"error\":[\"X\",1,{\"a\":true}],\"id\":1}";
	rc = jsonrpc_parse_reply(mixed, strlen(mixed), &res, &e, NULL);
	CHECK(rc == 0 && e && e->nparams == 2 && !strcmp(e->params[0], "1") && !strcmp(e->params[1], "{\"a\":true}"),
	      "non-string error params rendered as JSON");
	xerr_free(e);
	xv_free(st);
	OK("values: every kind round-trips byte-identically, floats exact, datetimes as strings, scalars/null at top "
	   "level; replies v1/v2 success/error/void parsed back by the client parser; malformed replies rejected");
}

int main(void)
{
	test_encode();
	test_requests();
	test_values_and_replies();
	return check_done("test_jsonrpc");
}
