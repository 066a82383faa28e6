/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: XML-RPC encoding, decoding, round trips and rejections. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "strbuf.h"
#include "util.h"
#include "value.h"
#include "xmlrpc.h"

/* Encodes v as a value string and compares with the expected bytes. */
static void expect_enc(const xv *v, const char *want)
{
	char *got = xmlrpc_value_string(v);
	CHECK(!strcmp(got, want), "encode: got %s want %s", got, want);
	free(got);
}

static void test_encode(void)
{
	xv *v;
	expect_enc(v = xv_str("hello"), "<value>hello</value>");
	xv_free(v);
	expect_enc(v = xv_str(""), "<value></value>");
	xv_free(v);
	expect_enc(v = xv_str("a&b<c>\"d\"\r\n"), "<value>a&amp;b&lt;c&gt;&quot;d&quot;&#13;\n</value>");
	xv_free(v);
	expect_enc(v = xv_strn("a\x01" "b\xff\xed\xa0\x80" "c", 8), "<value>a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "c</value>");
	xv_free(v);
	v = xv_struct();
	xv_struct_set(v, "k\x02", xv_str("\xc3"));
	expect_enc(v, "<value><struct><member><name>k\xef\xbf\xbd</name><value>\xef\xbf\xbd</value></member></struct></value>");
	xv_free(v);
	expect_enc(v = xv_int(42), "<value>42</value>");
	xv_free(v);
	expect_enc(v = xv_int(INT64_MIN), "<value>-9223372036854775808</value>");
	xv_free(v);
	expect_enc(v = xv_i32(3), "<value><i4>3</i4></value>");
	xv_free(v);
	v = xv_int(INT64_C(5000000000));
	v->flags |= XVF_I32;
	expect_enc(v, "<value>5000000000</value>"); /* cannot be an i4 */
	xv_free(v);
	expect_enc(v = xv_float(60.1), "<value><double>60.1</double></value>");
	xv_free(v);
	expect_enc(v = xv_float(60.0), "<value><double>60</double></value>");
	xv_free(v);
	expect_enc(v = xv_float(0.1), "<value><double>0.1</double></value>");
	xv_free(v);
	expect_enc(v = xv_float(1e300), "<value><double>1e+300</double></value>");
	xv_free(v);
	expect_enc(v = xv_float(-0.5), "<value><double>-0.5</double></value>");
	xv_free(v);
	expect_enc(v = xv_bool(true), "<value><boolean>1</boolean></value>");
	xv_free(v);
	expect_enc(v = xv_bool(false), "<value><boolean>0</boolean></value>");
	xv_free(v);
	expect_enc(v = xv_datetime(1742357784), "<value><dateTime.iso8601>20250319T04:16:24Z</dateTime.iso8601></value>");
	xv_free(v);
	expect_enc(v = xv_nil(), "<value><nil/></value>");
	xv_free(v);
	expect_enc(v = xv_array(), "<value><array><data></data></array></value>");
	xv_free(v);
	expect_enc(v = xv_struct(), "<value><struct></struct></value>");
	xv_free(v);
	v = xv_struct();
	xv_struct_set(v, "z&", xv_str("1"));
	xv_struct_set(v, "a", xv_array());
	xv_array_push(xv_struct_get(v, "a"), xv_int(1));
	expect_enc(v, "<value><struct><member><name>z&amp;</name><value>1</value></member>"
		      "<member><name>a</name><value><array><data><value>1</value></data></array></value></member></struct></value>");
	xv_free(v);

	size_t len;
	xv *r = xv_str("OpaqueRef:abc");
	char *s = xmlrpc_response_success(r, &len);
	CHECK(!strcmp(s, "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
			 "<member><name>Status</name><value>Success</value></member>"
			 "<member><name>Value</name><value>OpaqueRef:abc</value></member>"
			 "</struct></value></param></params></methodResponse>") && len == strlen(s),
	      "success: %s", s);
	free(s);
	s = xmlrpc_response_success(NULL, &len);
	CHECK(strstr(s, "<name>Value</name><value></value>") != NULL, "void success: %s", s);
	free(s);
	s = xmlrpc_response_raw(r, NULL);
	CHECK(!strcmp(s, "<?xml version=\"1.0\"?><methodResponse><params><param><value>OpaqueRef:abc</value>"
			 "</param></params></methodResponse>"),
	      "raw: %s", s);
	free(s);
	xv_free(r);
	xerr *e = xerr_new("SESSION_INVALID", "Opaque<Ref>", NULL);
	s = xmlrpc_response_failure(e, &len);
	CHECK(!strcmp(s, "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
			 "<member><name>Status</name><value>Failure</value></member>"
			 "<member><name>ErrorDescription</name><value><array><data><value>SESSION_INVALID</value>"
			 "<value>Opaque&lt;Ref&gt;</value></data></array></value></member>"
			 "</struct></value></param></params></methodResponse>"),
	      "failure: %s", s);
	free(s);
	xerr_free(e);
	xv *ps = xv_array();
	xv_array_push(ps, xv_str("root"));
	xv_array_push(ps, xv_int(5));
	s = xmlrpc_build_call("session.login_with_password", ps, &len);
	CHECK(!strcmp(s, "<?xml version=\"1.0\"?><methodCall><methodName>session.login_with_password</methodName>"
			 "<params><param><value>root</value></param><param><value>5</value></param></params></methodCall>"),
	      "call: %s", s);
	free(s);
	xv_free(ps);
	OK("compact encoding of every kind (bare strings/ints, i4, %%.16g doubles, booleans, dateTime, nil, "
	   "empty string/array/struct, escaping, U+FFFD for illegal text), success/void/raw/failure responses, client calls");
}

/* Parses a call and returns its params (NULL on failure); checks the method. */
static xv *call(const char *xml, const char *want_method)
{
	char *m = NULL, *err = NULL;
	xv *ps = NULL;
	int rc = xmlrpc_parse_call(xml, strlen(xml), &m, &ps, &err);
	CHECK(rc == 0, "parse_call failed: %s (%s)", err ? err : "?", xml);
	if (rc == 0)
		CHECK(!strcmp(m, want_method), "method %s", m);
	free(m);
	free(err);
	return ps;
}

static void expect_reject(const char *xml, size_t len, const char *what)
{
	char *m = (char *)1, *err = NULL;
	xv *ps = (xv *)1;
	int rc = xmlrpc_parse_call(xml, len, &m, &ps, &err);
	CHECK(rc == -EINVAL && err && *err && m == NULL && ps == NULL, "accepted %s", what);
	printf("  rejected %s: %s\n", what, err ? err : "(no message)");
	free(err);
}

#define CALL(body) "<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params>" body "</params></methodCall>"
#define P(v) "<param><value>" v "</value></param>"

static void test_decode(void)
{
	xv *ps = call(CALL(P("<string>a</string>") P("bare") P("") P("<string/>") P("<i4>-5</i4>") P("<i8>9223372036854775807</i8>")
			       P("<int> 12 </int>") P("<double>60.1</double>") P("<double>60</double>") P("<double>-1e3</double>")
			       P("<boolean>1</boolean>") P("<boolean>0</boolean>") P("<boolean>true</boolean>")
			       P("<boolean>false</boolean>") P("<dateTime.iso8601>20250319T04:16:24</dateTime.iso8601>")
			       P("<base64>aGVsbG8K</base64>") P("<nil/>") P("  spaced  ") P("<string>  </string>")
			       P("a&amp;b&#13;&#x263A;") P("<![CDATA[<x>]]>")),
		      "m");
	if (ps) {
		int k = 0;
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), "a"), "string");
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), "bare"), "bare");
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), ""), "empty bare");
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), ""), "<string/>");
		xv *i = xv_array_get(ps, k++);
		CHECK(i->kind == XV_INT && i->u.i == -5 && (i->flags & XVF_I32), "i4");
		i = xv_array_get(ps, k++);
		CHECK(i->kind == XV_INT && i->u.i == INT64_MAX, "i8");
		i = xv_array_get(ps, k++);
		CHECK(i->kind == XV_INT && i->u.i == 12, "int with blanks");
		i = xv_array_get(ps, k++);
		CHECK(i->kind == XV_FLOAT && i->u.f == 60.1, "double");
		i = xv_array_get(ps, k++);
		CHECK(i->kind == XV_FLOAT && i->u.f == 60.0, "whole double");
		i = xv_array_get(ps, k++);
		CHECK(i->kind == XV_FLOAT && i->u.f == -1000.0, "exp double");
		CHECK(xv_array_get(ps, k++)->u.b == true, "bool 1");
		CHECK(xv_array_get(ps, k++)->u.b == false, "bool 0");
		CHECK(xv_array_get(ps, k++)->u.b == true, "bool true");
		i = xv_array_get(ps, k++);
		CHECK(i->kind == XV_BOOL && !i->u.b, "bool false");
		i = xv_array_get(ps, k++);
		CHECK(i->kind == XV_DATETIME && i->u.dt == 1742357784, "datetime without zone");
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), "hello\n"), "base64");
		CHECK(xv_array_get(ps, k++)->kind == XV_NIL, "nil");
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), "  spaced  "), "blanks in bare value are content");
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), "  "), "blank <string>");
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), "a&b\r\xe2\x98\xba"), "entities and char refs");
		CHECK(!strcmp(xv_s(xv_array_get(ps, k++)), "<x>"), "CDATA");
		CHECK(xv_len(ps) == (size_t)k, "param count %zu", xv_len(ps));
	}
	xv_free(ps);

	/* indentation between tags (pretty-printing clients), comments */
	ps = call("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodCall>\n  <methodName>VM.get_all</methodName>\n"
		  "  <!-- c -->\n  <params>\n    <param>\n      <value>\n        <struct>\n          <member>\n"
		  "            <value><int>1</int></value>\n            <name>k</name>\n          </member>\n"
		  "        </struct>\n      </value>\n    </param>\n    <param><value><array>\n <data>\n"
		  "<value>x</value>\n</data>\n</array></value></param>\n  </params>\n</methodCall>\n",
		  "VM.get_all");
	if (ps) {
		xv *st = xv_array_get(ps, 0);
		CHECK(st && st->kind == XV_STRUCT && xv_len(st) == 1 && xv_struct_get(st, "k")->u.i == 1, "indented struct");
		xv *a = xv_array_get(ps, 1);
		CHECK(a && a->kind == XV_ARRAY && xv_len(a) == 1 && !strcmp(xv_s(xv_array_get(a, 0)), "x"), "indented array");
	}
	xv_free(ps);

	/* no <params> at all, and an empty one */
	ps = call("<methodCall><methodName>system.listMethods</methodName></methodCall>", "system.listMethods");
	CHECK(ps && ps->kind == XV_ARRAY && xv_len(ps) == 0, "no params");
	xv_free(ps);
	ps = call("<methodCall><methodName>x</methodName><params/></methodCall>", "x");
	CHECK(ps && xv_len(ps) == 0, "empty params");
	xv_free(ps);

	/* duplicate struct keys: first position, last value (as xv_struct_set) */
	ps = call(CALL(P("<struct><member><name>a</name><value>1</value></member><member><name>b</name><value>2</value></member>"
			 "<member><name>a</name><value>3</value></member></struct>")),
		  "m");
	if (ps) {
		xv *st = xv_array_get(ps, 0);
		CHECK(xv_len(st) == 2 && !strcmp(st->u.st.m[0].key, "a") && !strcmp(xv_struct_str(st, "a"), "3"), "dup keys");
	}
	xv_free(ps);

	/* 64 levels of nesting are fine */
	strbuf b = STRBUF_INIT;
	sb_puts(&b, "<methodCall><methodName>m</methodName><params><param><value>");
	for (int k = 0; k < 64; k++)
		sb_puts(&b, "<array><data><value>");
	sb_puts(&b, "x");
	for (int k = 0; k < 64; k++)
		sb_puts(&b, "</value></data></array>");
	sb_puts(&b, "</value></param></params></methodCall>");
	ps = call(b.s, "m");
	CHECK(ps != NULL, "depth 64 accepted");
	xv_free(ps);
	sb_free(&b);
	OK("decoding of every input type (string, bare, i4/i8/int, double, boolean 0/1/true/false, dateTime with "
	   "and without zone, base64, nil, entities, CDATA), indentation/comments, missing params, duplicate keys, depth 64");
}

static void test_reject(void)
{
	static const struct {
		const char *xml;
		const char *what;
	} bad[] = {
		{ "", "empty body" },
		{ "<methodCall>", "truncated" },
		{ "not xml", "text" },
		{ "<methodResponse/>", "wrong root" },
		{ "<methodCall><params/></methodCall>", "missing methodName" },
		{ "<methodCall><methodName></methodName></methodCall>", "empty methodName" },
		{ "<methodCall><methodName>a</methodName><methodName>b</methodName></methodCall>", "two methodNames" },
		{ "<methodCall><methodName>a<b/></methodName></methodCall>", "markup in methodName" },
		{ "<methodCall><methodName>a</methodName><foo/></methodCall>", "unknown element" },
		{ "<methodCall>junk<methodName>a</methodName></methodCall>", "text in methodCall" },
		{ CALL("<param></param>"), "param without value" },
		{ CALL("<param><value>1</value><value>2</value></param>"), "param with two values" },
		{ CALL("<value>1</value>"), "value outside param" },
		{ CALL(P("<i4>1.5</i4>")), "non-integer i4" },
		{ CALL(P("<int></int>")), "empty int" },
		{ CALL(P("<i8>9223372036854775808</i8>")), "int64 overflow" },
		{ CALL(P("<int>0x10</int>")), "hex int" },
		{ CALL(P("<double>abc</double>")), "bad double" },
		{ CALL(P("<double>0x1p3</double>")), "hex double" },
		{ CALL(P("<double></double>")), "empty double" },
		{ CALL(P("<boolean>2</boolean>")), "boolean 2" },
		{ CALL(P("<boolean>yes</boolean>")), "boolean yes" },
		{ CALL(P("<boolean>TRUE</boolean>")), "boolean TRUE" },
		{ CALL(P("<dateTime.iso8601>yesterday</dateTime.iso8601>")), "bad dateTime" },
		{ CALL(P("<base64>!!!!</base64>")), "bad base64" },
		{ CALL(P("<base64>AQ==</base64>")), "base64 of \\x01" },
		{ CALL(P("<base64>/w==</base64>")), "base64 of invalid UTF-8" },
		{ CALL(P("<nil>x</nil>")), "nil with content" },
		{ CALL(P("<foo>1</foo>")), "unknown type" },
		{ CALL(P("<string>a</string><string>b</string>")), "two types in a value" },
		{ CALL(P("x<string>a</string>")), "text before a type" },
		{ CALL(P("<string>a</string>x")), "text after a type" },
		{ CALL(P("<string>a<b/></string>")), "markup in a string" },
		{ CALL(P("<array></array>")), "array without data" },
		{ CALL(P("<array><data><string>a</string></data></array>")), "data without value" },
		{ CALL(P("<array><data>x</data></array>")), "text in data" },
		{ CALL(P("<struct><member><name>a</name></member></struct>")), "member without value" },
		{ CALL(P("<struct><member><value>1</value></member></struct>")), "member without name" },
		{ CALL(P("<struct><member><name>a</name><name>b</name><value>1</value></member></struct>")), "two names" },
		{ CALL(P("<struct><value>1</value></struct>")), "struct without member" },
		{ CALL(P("<struct><member><name>a<x/></name><value>1</value></member></struct>")), "markup in a name" },
		{ CALL(P("a&#1;b")), "char ref to U+0001" },
		{ CALL(P("a\x01" "b")), "raw U+0001 in a string" },
		{ CALL(P("<struct><member><name>a\x01</name><value>1</value></member></struct>")), "U+0001 in a struct key" },
		{ CALL(P("<struct><member><name>a&#2;</name><value>1</value></member></struct>")), "char ref U+0002 in a key" },
		{ CALL(P("a\xc3(b")), "invalid UTF-8" },
		{ CALL(P("a\xed\xa0\x80" "b")), "UTF-8 surrogate" },
		{ CALL(P("a\xc0\xaf" "b")), "overlong UTF-8" },
		{ CALL(P("&#xFFFE;")), "char ref U+FFFE" },
		{ CALL(P("&undefined;")), "undefined entity" },
		{ "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x \"boom\">]><methodCall><methodName>&x;</methodName></methodCall>",
		  "internal DTD with an entity" },
		{ "<!DOCTYPE methodCall SYSTEM \"http://127.0.0.1:1/x.dtd\"><methodCall><methodName>a</methodName></methodCall>",
		  "external DTD" },
		{ "<!DOCTYPE methodCall><methodCall><methodName>a</methodName></methodCall>", "bare DOCTYPE" },
		{ "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
		  "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]><methodCall><methodName>&c;</methodName></methodCall>",
		  "entity expansion (billion laughs)" },
		{ "<methodCall><methodName>a</methodName></methodCall><x/>", "two roots" },
		{ "<methodCall xmlns:x=\"u\"><methodName>a</methodName></x:methodCall>", "mismatched tags" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		expect_reject(bad[k].xml, strlen(bad[k].xml), bad[k].what);

	/* an embedded NUL byte */
	static const char nul[] = "<methodCall><methodName>a\0b</methodName></methodCall>";
	expect_reject(nul, sizeof(nul) - 1, "NUL byte");

	/* nesting 65 deep */
	strbuf b = STRBUF_INIT;
	sb_puts(&b, "<methodCall><methodName>m</methodName><params><param><value>");
	for (int k = 0; k < 65; k++)
		sb_puts(&b, "<struct><member><name>k</name><value>");
	for (int k = 0; k < 65; k++)
		sb_puts(&b, "</value></member></struct>");
	sb_puts(&b, "</value></param></params></methodCall>");
	expect_reject(b.s, b.len, "nesting 65 deep");
	sb_free(&b);
	/* very deep XML (beyond libxml2's own limit) */
	for (int k = 0; k < 5000; k++)
		sb_puts(&b, "<value>");
	expect_reject(b.s, b.len, "5000 open tags");
	sb_free(&b);

	OK("%zu malformed or hostile calls rejected with a message (missing methodName, bad scalars, mixed content, "
	   "illegal chars in strings and keys, invalid UTF-8, DOCTYPE/entities, NUL, nesting > 64)",
	   sizeof(bad) / sizeof(bad[0]) + 4);
}

/* Builds a value holding every kind, nested. */
static xv *everything(void)
{
	xv *st = xv_struct();
	xv_struct_set(st, "str", xv_str("h\xc3\xa9llo <&> \"q\" \r\n\t end"));
	xv_struct_set(st, "empty", xv_str(""));
	xv_struct_set(st, "blank", xv_str("   "));
	xv_struct_set(st, "i4", xv_i32(INT32_MIN));
	xv_struct_set(st, "f", xv_float(0.1));
	xv_struct_set(st, "whole", xv_float(60.0));
	xv_struct_set(st, "big", xv_float(1.5e300));
	xv_struct_set(st, "t", xv_bool(true));
	xv_struct_set(st, "d", xv_datetime(1742357784));
	xv_struct_set(st, "nil", xv_nil());
	xv *a = xv_array();
	xv_array_push(a, xv_str("x"));
	xv *inner = xv_struct();
	xv_struct_set(inner, "", xv_array());
	xv_array_push(a, inner);
	xv_array_push(a, xv_array());
	xv_struct_set(st, "arr", a);
	xv_struct_set(st, "empty_struct", xv_struct());
	return st;
}

static void test_roundtrip(void)
{
	xv *v = everything();
	char *s = xmlrpc_value_string(v), *err = NULL;
	xv *back = NULL;
	int rc = xmlrpc_parse_value_string(s, strlen(s), &back, &err);
	CHECK(rc == 0, "value string parse: %s", err ? err : "");
	CHECK(xv_equal(v, back), "round trip of every kind");
	char *s2 = back ? xmlrpc_value_string(back) : NULL;
	CHECK(s2 && !strcmp(s, s2), "re-encoding is byte-identical");
	CHECK(back && !strcmp(back->u.st.m[0].key, "str") && !strcmp(back->u.st.m[11].key, "empty_struct"), "member order kept");
	free(s2);
	free(s);
	xv_free(back);
	xv_free(v);
	free(err);

	/* ints go out bare and come back as strings (the dispatcher converts) */
	xv *i = xv_int(-42);
	s = xmlrpc_value_string(i);
	rc = xmlrpc_parse_value_string(s, strlen(s), &back, NULL);
	CHECK(rc == 0 && back->kind == XV_STRING && !strcmp(xv_s(back), "-42"), "int comes back as its digits");
	free(s);
	xv_free(back);
	xv_free(i);

	/* doubles: %.16g keeps 16 significant digits */
	double fs[] = { 0.0, -0.0, 1.0 / 3.0, 6.02214076e23, 5e-324, 1.7976931348623157e308, 123456789012345.6 };
	int bad = 0;
	for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++) {
		xv *f = xv_float(fs[k]);
		s = xmlrpc_value_string(f);
		rc = xmlrpc_parse_value_string(s, strlen(s), &back, NULL);
		if (rc || back->kind != XV_FLOAT || fabs(back->u.f - fs[k]) > fabs(fs[k]) * 1e-15)
			bad++;
		free(s);
		xv_free(back);
		xv_free(f);
	}
	CHECK(bad == 0, "%d doubles lost more than 1e-15", bad);

	/* the whole call / response pairs */
	xv *ps = xv_array();
	xv_array_push(ps, everything());
	xv_array_push(ps, xv_str("second"));
	size_t len;
	s = xmlrpc_build_call("VM.x", ps, &len);
	char *m = NULL;
	xv *ps2 = NULL;
	rc = xmlrpc_parse_call(s, len, &m, &ps2, &err);
	CHECK(rc == 0 && !strcmp(m, "VM.x") && xv_equal(ps, ps2), "call round trip");
	free(s);
	free(m);
	xv_free(ps2);

	s = xmlrpc_response_success(ps, &len);
	rc = xmlrpc_parse_response(s, len, &back, &err);
	xv *val = NULL;
	xerr *e = NULL;
	CHECK(rc == 0 && xmlrpc_result_of(back, &val, &e) == 0 && xv_equal(val, ps) && !e, "success round trip");
	free(s);
	xv_free(back);
	xv_free(val);

	e = xerr_new("VM_BAD_POWER_STATE", "OpaqueRef:x", "halted", "running", NULL);
	s = xmlrpc_response_failure(e, &len);
	xerr_free(e);
	rc = xmlrpc_parse_response(s, len, &back, &err);
	CHECK(rc == 0 && xmlrpc_result_of(back, &val, &e) == 0 && !val && e && !strcmp(e->code, "VM_BAD_POWER_STATE") &&
		      e->nparams == 3 && !strcmp(e->params[2], "running"),
	      "failure round trip");
	xerr_free(e);
	free(s);
	xv_free(back);

	s = xmlrpc_response_raw(ps, &len);
	rc = xmlrpc_parse_response(s, len, &back, &err);
	CHECK(rc == 0 && xv_equal(back, ps), "raw round trip");
	CHECK(xmlrpc_result_of(back, &val, &e) == -EINVAL, "result_of refuses a reply without Status");
	free(s);
	xv_free(back);
	xv_free(ps);

	static const char fault[] = "<?xml version=\"1.0\"?><methodResponse><fault><value><struct><member><name>faultCode</name>"
				    "<value><int>4</int></value></member><member><name>faultString</name><value><string>Too many"
				    "</string></value></member></struct></value></fault></methodResponse>";
	rc = xmlrpc_parse_response(fault, strlen(fault), &back, &err);
	CHECK(rc == 0 && xmlrpc_result_of(back, &val, &e) == 0 && e && !strcmp(e->code, "XMLRPC_FAULT") &&
		      e->nparams == 2 && !strcmp(e->params[0], "4") && !strcmp(e->params[1], "Too many"),
	      "fault as XMLRPC_FAULT");
	xerr_free(e);
	xv_free(back);
	static const char two[] = "<methodResponse><params><param><value>1</value></param><param><value>2</value></param>"
				  "</params></methodResponse>";
	rc = xmlrpc_parse_response(two, strlen(two), &back, &err);
	CHECK(rc == -EINVAL && back == NULL && err, "two params in a response rejected");
	free(err);
	err = NULL;
	rc = xmlrpc_parse_value_string("<value>a</value><value>b</value>", 32, &back, &err);
	CHECK(rc == -EINVAL && err, "two values rejected");
	free(err);
	err = NULL;
	rc = xmlrpc_parse_value_string("<string>a</string>", 18, &back, &err);
	CHECK(rc == -EINVAL && err, "non-value root rejected");
	free(err);
	OK("round trips: every kind nested (byte-identical re-encoding, member order), ints as digit strings, "
	   "doubles within 1e-15, call/success/failure/raw/fault responses, xmlrpc_result_of");
}

int main(void)
{
	test_encode();
	test_decode();
	test_reject();
	test_roundtrip();
	return check_done("test_xmlrpc");
}
