/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: JSON-RPC v1/v2 requests, replies, values and rejections. */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
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

/* jsonrpc_value_from_json on an exact-size heap copy of s[0..n) (no NUL
 * after it, so that ASan sees any read past the end). */
static int val_n(const char *s, size_t n, xv **out, char **err)
{
	char *copy = malloc(n ? n : 1);
	memcpy(copy, s, n);
	*out = NULL;
	int rc = jsonrpc_value_from_json(copy, n, out, err);
	free(copy);
	return rc;
}

static int val(const char *s, xv **out, char **err)
{
	return val_n(s, strlen(s), out, err);
}

/* s reads as a value whose debug form is want. */
static void reads_as(const char *s, const char *want)
{
	xv *v;
	char *err = NULL;
	int rc = val(s, &v, &err);
	char *got = v ? xv_to_debug(v) : NULL;
	CHECK(rc == 0 && got && !strcmp(got, want), "%s: got %s (%s), want %s", s, got ? got : "-", err ? err : "", want);
	free(got);
	free(err);
	xv_free(v);
}

/* s is refused, with a message containing why (if not NULL). */
static void refused(const char *what, const char *s, size_t n, const char *why)
{
	xv *v;
	char *err = NULL;
	int rc = val_n(s, n, &v, &err);
	CHECK(rc == -EINVAL && !v && err && (!why || strstr(err, why)), "%s accepted or wrong reason: %s", what, err ? err : "-");
	free(err);
	xv_free(v);
}

#define REFUSED(what, lit, why) refused(what, lit, sizeof(lit) - 1, why)

static void test_reader_syntax(void)
{
	reads_as("null", "null");
	reads_as(" \t\r\n true \n", "true");
	reads_as("false", "false");
	reads_as("[]", "[]");
	reads_as("{}", "{}");
	reads_as("[ 1 , [ ] , { } , { \"a\" : [ null ] } ]", "[1,[],{},{\"a\":[null]}]");
	REFUSED("empty text", "", "end of data");
	REFUSED("blanks only", "  \n", "end of data");
	REFUSED("block comment", "[1 /* c */]", NULL);
	REFUSED("line comment", "[1] // c", NULL);
	REFUSED("hash comment", "# c\n1", NULL);
	REFUSED("trailing comma in array", "[1,]", NULL);
	REFUSED("trailing comma in object", "{\"a\":1,}", NULL);
	REFUSED("leading comma", "[,1]", NULL);
	REFUSED("missing comma", "[1 2]", NULL);
	REFUSED("missing colon", "{\"a\" 1}", NULL);
	REFUSED("missing value", "{\"a\":}", NULL);
	REFUSED("non-string key", "{1:2}", NULL);
	REFUSED("bare key", "{a:2}", NULL);
	REFUSED("single-quoted string", "['a']", NULL);
	REFUSED("NaN", "NaN", NULL);
	REFUSED("Infinity", "Infinity", NULL);
	REFUSED("-Infinity", "[-Infinity]", NULL);
	REFUSED("upper-case literal", "True", NULL);
	REFUSED("truncated literal", "nul", NULL);
	REFUSED("literal with tail", "truex", NULL);
	REFUSED("two top-level values", "1 2", "trailing data");
	REFUSED("two objects", "{}{}", "trailing data");
	REFUSED("form feed as blank", "\f1", NULL);
	REFUSED("vertical tab as blank", "1\v", "trailing data");
	REFUSED("byte order mark", "\xef\xbb\xbf" "1", NULL);
	REFUSED("NUL byte after the value", "1\0", "trailing data");
	REFUSED("unclosed array", "[1", "end of data");
	REFUSED("unclosed object", "{\"a\":1", "end of data");
	REFUSED("unclosed key", "{\"a", "unterminated");
	REFUSED("lone closer", "]", NULL);
	REFUSED("mismatched closer", "[1}", NULL);

	/* the text ends at len, NUL or not: a prefix of a longer text */
	xv *v;
	CHECK(val_n("123", 2, &v, NULL) == 0 && v->kind == XV_INT && v->u.i == 12, "prefix 12 of 123");
	xv_free(v);
	refused("prefix [1, of [1,2]", "[1,2]", 3, "end of data");
	refused("prefix of a string", "\"abc\"", 4, "unterminated");
	refused("prefix inside an escape", "\"a\\u00e9\"", 6, NULL);
	refused("prefix of true", "true", 3, NULL);
	refused("prefix -", "-1", 1, NULL);
	refused("prefix 1e", "1e5", 2, NULL);
	OK("reader syntax: RFC 8259 only (no comments, trailing/missing commas, bare or single-quoted keys, NaN/Infinity, "
	   "case-folded literals, \\f/\\v/BOM as blanks); one value then only blanks; the text ends at len, NUL-terminated "
	   "or not");
}

static void test_reader_numbers(void)
{
	reads_as("0", "0");
	reads_as("-0", "0");
	reads_as("9223372036854775807", "9223372036854775807");
	reads_as("-9223372036854775808", "-9223372036854775808");
	reads_as("[1E2,1e+2,1e-2,0e0,0.5,-0.5,10.25]", "[100.0,100.0,0.01,0.0,0.5,-0.5,10.25]");
	REFUSED("int64 max + 1", "9223372036854775808", "integer out of int64 range");
	REFUSED("int64 min - 1", "-9223372036854775809", "integer out of int64 range");
	REFUSED("huge integer", "123456789012345678901234567890", "integer out of int64 range");
	REFUSED("leading zero", "01", "leading zero");
	REFUSED("leading zeros", "00", "leading zero");
	REFUSED("negative leading zero", "-01", "leading zero");
	REFUSED("leading plus", "+1", NULL);
	REFUSED("bare minus", "-", NULL);
	REFUSED("minus blank digit", "- 1", NULL);
	REFUSED("no digit after '.'", "1.", NULL);
	REFUSED("no digit before '.'", ".5", NULL);
	REFUSED("no exponent digits", "1e", NULL);
	REFUSED("no exponent digits after sign", "1e+", NULL);
	REFUSED("hex", "0x10", NULL);
	REFUSED("overflowing double", "1e400", "non-finite");
	REFUSED("overflowing negative double", "-1.5e309", "non-finite");

	/* doubles exactly as strtod in the C locale reads them */
	static const char *const dbl[] = {
		"0.1", "1e-400", "4.9406564584124654e-324", "2.2250738585072011e-308", "1.7976931348623157e308",
		"0.1000000000000000055511151231257827", "123456789012345678901234567890.5", "9007199254740993.0",
		"9007199254740992.0", "3.14159265358979323846", "1e22", "1e23", "123e-20", "0.000001234e+10",
		"100000000000000000000000e-10", "1.00000000000000000000000000000000000000001", "2.5e-5",
	};
	int inexact = 0;
	xv *v_tmp = NULL;
	for (size_t k = 0; k < sizeof(dbl) / sizeof(dbl[0]); k++) {
		char *end;
		double want = strtod(dbl[k], &end);
		CHECK(val(dbl[k], &v_tmp, NULL) == 0 && v_tmp->kind == XV_FLOAT, "%s is a float", dbl[k]);
		if (v_tmp && memcmp(&v_tmp->u.f, &want, sizeof(want)) != 0) {
			printf("  %s: got %.17g want %.17g\n", dbl[k], v_tmp->u.f, want);
			inexact++;
		}
		v_tmp = xv_free(v_tmp);
	}
	CHECK(inexact == 0, "%d doubles differ from strtod", inexact);
	xv *v;
	CHECK(val("-0.0", &v, NULL) == 0 && v->kind == XV_FLOAT && v->u.f == 0 && signbit(v->u.f), "-0.0 keeps its sign");
	xv_free(v);

	/* a decimal-comma locale must not change anything */
	static const char *const comma[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8" };
	const char *used = NULL;
	for (size_t k = 0; k < sizeof(comma) / sizeof(comma[0]) && !used; k++)
		used = setlocale(LC_NUMERIC, comma[k]) ? comma[k] : NULL;
	CHECK(val("[1.5,2.25e1,0.3333333333333333148]", &v, NULL) == 0 && v->u.arr.n == 3 && v->u.arr.items[0]->u.f == 1.5 &&
		      v->u.arr.items[1]->u.f == 22.5 && v->u.arr.items[2]->u.f == 1.0 / 3.0,
	      "doubles under LC_NUMERIC=%s", used ? used : "C");
	xv_free(v);
	setlocale(LC_NUMERIC, "C");
	OK("numbers: int64 limits exact, beyond refused (\"integer out of int64 range\"); no leading zeros/'+'/bare '.'/"
	   "empty exponent/hex; %zu doubles bit-identical to strtod (fast path and long forms), -0.0, non-finite refused; "
	   "locale-independent (LC_NUMERIC=%s)",
	   sizeof(dbl) / sizeof(dbl[0]), used ? used : "C: no decimal-comma locale installed");
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

static void test_reader_strings(void)
{
	reads_as("\"\\\" \\\\ \\/ \\n \\r \\t\"", "\"\\\" \\\\ / \\n \\r \\t\"");
	reads_as("\"\\u0041\\u00e9\\u00E9\\u20ac\\uD83D\\uDE00\\ud800\\udc00\\udbff\\udfff\"",
		 "\"A\xc3\xa9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
	reads_as("\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"", "\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \\u007f\"");
	reads_as("\"\\u0009\\u000a\\u000D\"", "\"\\t\\n\\r\"");
	reads_as("\"\"", "\"\"");
	xv *v;
	CHECK(val("\"a\\u00e9\\ud83d\\ude00b\"", &v, NULL) == 0 && v->u.str.len == 8 && strlen(v->u.str.s) == 8,
	      "decoded length is exact");
	xv_free(v);

	REFUSED("unpaired high surrogate", "\"\\ud800\"", "unpaired surrogate");
	REFUSED("high surrogate then text", "\"\\ud800x\"", "unpaired surrogate");
	REFUSED("high surrogate then a non-low escape", "\"\\ud800\\u0041\"", "unpaired surrogate");
	REFUSED("two high surrogates", "\"\\ud800\\ud800\"", "unpaired surrogate");
	REFUSED("high surrogate then \\n", "\"\\ud800\\n\"", "unpaired surrogate");
	REFUSED("lone low surrogate", "\"\\udc00\"", "unpaired surrogate");
	REFUSED("high surrogate at the end", "\"\\udbff", NULL);
	REFUSED("escaped NUL", "\"a\\u0000b\"", "NUL character");
	REFUSED("raw NUL", "\"a\0b\"", "control character");
	REFUSED("raw tab", "\"a\tb\"", "control character");
	REFUSED("raw newline", "\"a\nb\"", "control character");
	REFUSED("raw 0x1f", "\"\x1f\"", "control character");
	REFUSED("escaped U+0001", "\"\\u0001\"", "not valid XML");
	REFUSED("escaped backspace", "\"\\b\"", "not valid XML");
	REFUSED("escaped form feed", "\"\\f\"", "not valid XML");
	REFUSED("escaped U+FFFE", "\"\\ufffe\"", "not valid XML");
	REFUSED("raw U+FFFF", "\"\xef\xbf\xbf\"", "not valid XML");
	REFUSED("overlong '/'", "\"\xc0\xaf\"", "invalid UTF-8");
	REFUSED("overlong 3-byte", "\"\xe0\x80\xaf\"", "invalid UTF-8");
	REFUSED("UTF-8-encoded surrogate", "\"\xed\xa0\x80\"", "invalid UTF-8");
	REFUSED("beyond U+10FFFF", "\"\xf4\x90\x80\x80\"", "invalid UTF-8");
	REFUSED("stray continuation byte", "\"\x80\"", "invalid UTF-8");
	REFUSED("truncated sequence before the quote", "\"\xe2\x82\"", "invalid UTF-8");
	REFUSED("Latin-1", "\"caf\xe9\"", "invalid UTF-8");
	REFUSED("unknown escape", "\"\\x41\"", "bad escape");
	REFUSED("escaped quote then the end", "\"\\\"", "unterminated");
	REFUSED("short \\u", "\"\\u12\"", "\\u escape");
	REFUSED("non-hex \\u", "\"\\u12g4\"", "\\u escape");
	REFUSED("unterminated string", "\"abc", "unterminated");

	/* keys follow the same rules */
	reads_as("{\"\\u00e9\\n\":1}", "{\"\xc3\xa9\\n\":1}");
	REFUSED("XML-illegal key", "{\"k\\u0002\":1}", "object key is not valid XML");
	REFUSED("NUL in a key", "{\"k\\u0000x\":1}", "NUL character");
	REFUSED("invalid UTF-8 key", "{\"\xff\":1}", "invalid UTF-8");
	REFUSED("raw control char in a key", "{\"\x01\":1}", "control character");
	OK("strings and keys: every escape, \\u with surrogate pairs (upper/lower hex) decoded, exact lengths; refused: "
	   "unpaired surrogates, \\u0000, raw control characters, XML-illegal characters (escaped or raw), invalid "
	   "UTF-8 of every kind, bad escapes, unterminated strings");
}

static void test_reader_structs(void)
{
	reads_as("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}");
	reads_as("{\"a\":1,\"a\":2,\"a\":{\"x\":[]}}", "{\"a\":{\"x\":[]}}");
	reads_as("{\"b\":1,\"a\":2,\"c\":3,\"a\":4,\"b\":5}", "{\"b\":5,\"a\":4,\"c\":3}");
	/* bigger than the pairwise limit: the hashed path */
	reads_as("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k1\":10,\"k9\":9,"
		 "\"k0\":20,\"k1\":30}",
		 "{\"k0\":20,\"k1\":30,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9}");
	reads_as("{\"a\":{\"x\":1,\"x\":2},\"b\":[{\"y\":1,\"y\":2}]}", "{\"a\":{\"x\":2},\"b\":[{\"y\":2}]}");
	/* a value dropped for a later duplicate doesn't count against the rules */
	reads_as("{\"a\":\"\\u0001\",\"a\":\"ok\"}", "{\"a\":\"ok\"}");
	reads_as("{\"a\":[1e400,{\"\\ufffe\":1}],\"b\":0,\"a\":1}", "{\"a\":1,\"b\":0}");
	reads_as("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":\"\\u0001\",\"k8\":8}",
		 "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8}");
	REFUSED("breach kept by the last duplicate", "{\"a\":1,\"a\":\"\\u0001\"}", "not valid XML");
	REFUSED("breach elsewhere, duplicates too", "{\"a\":1,\"a\":2,\"b\":[\"\\u0001\"]}", "not valid XML");
	REFUSED("breach in a duplicated key itself", "{\"\\u0001\":1,\"\\u0001\":2}", "key is not valid XML");
	/* keys that differ only in length or after a common prefix */
	reads_as("{\"ab\":1,\"a\":2,\"abc\":3,\"ab\\u0063\":4}", "{\"ab\":1,\"a\":2,\"abc\":4}");

	/* many members, many duplicates: order kept, last values */
	strbuf b = STRBUF_INIT;
	sb_putc(&b, '{');
	for (int k = 0; k < 30000; k++)
		sb_printf(&b, "%s\"key%d\":%d", k ? "," : "", k % 10000, k);
	sb_putc(&b, '}');
	xv *v;
	int bad = 0;
	CHECK(jsonrpc_value_from_json(b.s, b.len, &v, NULL) == 0 && xv_len(v) == 10000, "30000 members, 10000 keys");
	for (size_t k = 0; v && k < xv_len(v); k++) {
		char key[32];
		snprintf(key, sizeof(key), "key%zu", k);
		if (strcmp(v->u.st.m[k].key, key) || v->u.st.m[k].val->u.i != (int64_t)k + 20000)
			bad++;
	}
	CHECK(bad == 0, "%d members out of place or not the last value", bad);
	xv_free(v);
	sb_free(&b);

	/* one key repeated: collides with itself every time */
	sb_putc(&b, '{');
	for (int k = 0; k < 20000; k++)
		sb_printf(&b, "%s\"same\":%d", k ? "," : "", k);
	sb_putc(&b, '}');
	CHECK(jsonrpc_value_from_json(b.s, b.len, &v, NULL) == 0 && xv_len(v) == 1 && xv_struct_get(v, "same")->u.i == 19999,
	      "20000 times the same key");
	xv_free(v);
	sb_free(&b);

	/* a big array and a long string come back whole */
	sb_putc(&b, '[');
	for (int k = 0; k < 100000; k++)
		sb_printf(&b, "%s%d", k ? "," : "", k);
	sb_puts(&b, ",\"");
	for (int k = 0; k < 100000; k++)
		sb_puts(&b, k % 2 ? "\\u00e9" : "x");
	sb_puts(&b, "\"]");
	CHECK(jsonrpc_value_from_json(b.s, b.len, &v, NULL) == 0 && xv_len(v) == 100001 &&
		      xv_array_get(v, 99999)->u.i == 99999 && xv_len(xv_array_get(v, 100000)) == 150000,
	      "100000 items and a 150000-byte string");
	xv_free(v);
	sb_free(&b);
	OK("objects: of duplicate keys the first position keeps the last value (pairwise and hashed paths, nested, 30000 "
	   "members with 10000 keys, one key 20000 times); big arrays and long escaped strings");
}

/* depth nested containers (alternating [ and {"k":) around a 1, inside
 * pre and post. */
static char *nested(const char *pre, int depth, const char *post, size_t *len)
{
	strbuf b = STRBUF_INIT;
	sb_puts(&b, pre);
	for (int k = 0; k < depth; k++)
		sb_puts(&b, k % 2 ? "{\"k\":" : "[");
	sb_puts(&b, "1");
	for (int k = depth - 1; k >= 0; k--)
		sb_puts(&b, k % 2 ? "}" : "]");
	sb_puts(&b, post);
	return sb_steal(&b, len);
}

static void test_reader_depth(void)
{
	size_t len;
	char *s, *err;
	xv *v, *res;
	xerr *e;
	jsonrpc_req r;

	for (int depth = 63; depth <= 68; depth++) {
		s = nested("", depth, "", &len);
		err = NULL;
		int rc = jsonrpc_value_from_json(s, len, &v, &err);
		CHECK(depth <= 64 ? rc == 0 : rc == -EINVAL && err, "value depth %d: %d %s", depth, rc, err ? err : "");
		free(err);
		xv_free(v);
		free(s);

		s = nested("{\"id\":1,\"result\":", depth, "}", &len);
		err = NULL;
		rc = jsonrpc_parse_reply(s, len, &res, &e, &err);
		CHECK(depth <= 64 ? rc == 0 && res : rc == -EINVAL && err, "result depth %d: %d %s", depth, rc, err ? err : "");
		free(err);
		xv_free(res);
		free(s);
	}
	/* Members that aren't values keep json-c's limit: 66 nested values
	 * inside the envelope, as before. */
	for (int depth = 65; depth <= 66; depth++) {
		s = nested("{\"id\":1,\"method\":\"m\",\"params\":[],\"extra\":", depth, "}", &len);
		int rc = jsonrpc_parse_request(s, len, &r, NULL);
		CHECK(depth == 65 ? rc == 0 : rc == -EINVAL, "unknown member %d deep: %d", depth, rc);
		jsonrpc_req_clear(&r);
		free(s);
		s = nested("{\"id\":1,\"error\":[\"CODE\",", depth - 1, "]}", &len);
		rc = jsonrpc_parse_reply(s, len, &res, &e, NULL);
		CHECK(depth == 65 ? rc == 0 && e && e->nparams == 1 : rc == -EINVAL, "error parameter %d deep: %d", depth, rc);
		xerr_free(e);
		xv_free(res);
		free(s);
	}
	s = nested("", 100000, "", &len);
	err = NULL;
	CHECK(jsonrpc_value_from_json(s, len, &v, &err) == -EINVAL && err, "100000 levels refused without deep recursion");
	free(err);
	free(s);
	OK("depth: values and results 64 ok / 65-68 refused; non-value envelope members keep json-c's 66; 100000 levels");
}

static void test_envelope(void)
{
	jsonrpc_req r;
	char *err = NULL;
	xv *res;
	xerr *e;

	/* the value rules apply to params only, not to the rest */
	CHECK(req("{\"id\":\"a\\u0001\",\"method\":\"m\",\"params\":[],\"x\":[\"\\u0002\",1e400,{\"\\ufffe\":0}]}", &r, &err) == 0 &&
		      !strcmp(r.id_json, "\"a\\u0001\""),
	      "XML-illegal id and unknown member accepted: %s", err ? err : r.id_json);
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1e400,\"method\":\"m\"}", &r, &err) == 0 && !strcmp(r.id_json, "1e400"), "float id echoed as sent");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":-0,\"method\":\"m\"}", &r, &err) == 0 && !strcmp(r.id_json, "0"), "integer id normalised");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\",\"params\":[\"\\u0001\"],\"params\":[2]}", &r, &err) == 0 &&
		      xv_array_get(r.params, 0)->u.i == 2,
	      "a later params replaces a bad one: %s", err ? err : "");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\",\"params\":[{\"a\":\"\\u0001\",\"a\":0}]}", &r, &err) == 0,
	      "a bad value dropped for a duplicate key inside params: %s", err ? err : "");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\",\"params\":[2],\"params\":[1e400]}", &r, &err) == -EINVAL && err &&
		      strstr(err, "non-finite"),
	      "the last params counts");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"a\",\"method\":\"b\",\"jsonrpc\":\"2.0\",\"jsonrpc\":\"1.0\"}", &r, &err) == 0 &&
		      !strcmp(r.method, "b") && r.version == 1,
	      "last method and version win");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\\ufffe\"}", &r, &err) == -EINVAL && err, "XML-illegal method refused");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\",\"x\":NaN}", &r, &err) == -EINVAL && err, "strict syntax in unknown members too");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\",\"x\":9223372036854775808}", &r, &err) == -EINVAL && err,
	      "int64 range in unknown members too");
	free(err);
	jsonrpc_req_clear(&r);
	CHECK(req("{\"id\":1,\"method\":\"m\",\"\\ud800\":1}", &r, &err) == -EINVAL && err, "unpaired surrogate in a key");
	free(err);
	jsonrpc_req_clear(&r);

	static const char v1err[] = "{\"result\":[\"\\u0001\"],\"error\":[\"E\",\"a\\u0001\"],\"id\":1}";
	err = NULL;
	CHECK(jsonrpc_parse_reply(v1err, strlen(v1err), &res, &e, &err) == 0 && !res && e && !strcmp(e->params[0], "a\x01"),
	      "an error wins over an unusable result; error strings are not XML-checked: %s", err ? err : "");
	xerr_free(e);
	free(err);
	static const char v2err[] = "{\"error\":{\"message\":\"E\",\"message\":\"F\",\"data\":[\"x\",-0.5,[1,{}]]}}";
	CHECK(jsonrpc_parse_reply(v2err, strlen(v2err), &res, &e, NULL) == 0 && e && !strcmp(e->code, "F") &&
		      e->nparams == 3 && !strcmp(e->params[1], "-0.5") && !strcmp(e->params[2], "[1,{}]"),
	      "v2 error: last message, data as strings or compact JSON");
	xerr_free(e);
	static const char nullres[] = "{\"result\":null,\"error\":null}";
	CHECK(jsonrpc_parse_reply(nullres, strlen(nullres), &res, &e, NULL) == 0 && res && res->kind == XV_NIL && !e,
	      "null result");
	xv_free(res);
	static const char emptyerr[] = "{\"result\":1,\"error\":[]}";
	CHECK(jsonrpc_parse_reply(emptyerr, strlen(emptyerr), &res, &e, NULL) == -EINVAL && !res && !e, "empty error list");
	OK("envelope: value rules only for params/result (ids, errors, unknown members lax), float ids echoed verbatim, "
	   "last duplicate member wins, strict syntax and int64/surrogate rules everywhere, error-over-result");
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
	test_reader_syntax();
	test_reader_numbers();
	test_reader_strings();
	test_reader_structs();
	test_reader_depth();
	test_requests();
	test_values_and_replies();
	test_envelope();
	return check_done("test_jsonrpc");
}
