/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: value model, xerr, strbuf, datetimes and util.h helpers. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "strbuf.h"
#include "util.h"
#include "value.h"

static void test_scalars(void)
{
	xv *v = xv_str("abc");
	CHECK(v->kind == XV_STRING && v->u.str.len == 3 && !strcmp(xv_s(v), "abc"), "str");
	v = xv_free(v);
	CHECK(v == NULL, "xv_free returns NULL");
	CHECK(xv_free(NULL) == NULL, "xv_free(NULL)");
	v = xv_str(NULL);
	CHECK(v->kind == XV_STRING && v->u.str.len == 0 && !strcmp(v->u.str.s, ""), "str(NULL)");
	xv_free(v);
	v = xv_strn("a\0b", 3);
	CHECK(v->u.str.len == 3 && v->u.str.s[3] == '\0' && v->u.str.s[2] == 'b', "strn keeps NUL");
	xv *w = xv_dup(v);
	CHECK(xv_equal(v, w), "dup of a string with NUL is equal");
	xv_free(w);
	w = xv_strn("a\0c", 3);
	CHECK(!xv_equal(v, w), "strings differing after NUL differ");
	xv_free(w);
	xv_free(v);
	v = xv_strf("%d-%s", 42, "x");
	CHECK(!strcmp(xv_s(v), "42-x"), "strf");
	xv_free(v);
	v = xv_str_own(hx_strdup("owned"));
	CHECK(!strcmp(xv_s(v), "owned") && xv_len(v) == 5, "str_own");
	xv_free(v);

	xv *i = xv_int(INT64_MIN), *i2 = xv_i32(-5), *f = xv_float(1.5), *b = xv_bool(true);
	xv *d = xv_datetime(1742357784), *n = xv_nil();
	CHECK(i->kind == XV_INT && i->u.i == INT64_MIN && !(i->flags & XVF_I32), "int");
	CHECK(i2->kind == XV_INT && i2->u.i == -5 && (i2->flags & XVF_I32), "i32 flag");
	CHECK(f->kind == XV_FLOAT && f->u.f == 1.5, "float");
	CHECK(b->kind == XV_BOOL && b->u.b, "bool");
	CHECK(d->kind == XV_DATETIME && d->u.dt == 1742357784, "datetime");
	CHECK(n->kind == XV_NIL && xv_s(n) == NULL && xv_len(n) == 0, "nil");
	CHECK(!xv_equal(i, f) && !xv_equal(n, b) && xv_equal(n, n), "kinds must match");
	xv *i3 = xv_int(-5);
	CHECK(xv_equal(i2, i3), "flags do not affect equality");
	xv *nan1 = xv_float(NAN), *nan2 = xv_float(NAN);
	CHECK(xv_equal(nan1, nan2), "NaN equals NaN (for round-trip checks)");
	xv *dd = xv_dup(d);
	CHECK(xv_equal(d, dd) && dd != d, "dup datetime");
	xv *i2d = xv_dup(i2);
	CHECK(i2d->flags & XVF_I32, "dup keeps flags");
	xv_free(i);
	xv_free(i2);
	xv_free(i3);
	xv_free(i2d);
	xv_free(f);
	xv_free(b);
	xv_free(d);
	xv_free(dd);
	xv_free(n);
	xv_free(nan1);
	xv_free(nan2);
	OK("scalar constructors, dup, equal, free(NULL), strings with NUL, flags");
}

static void test_containers(void)
{
	xv *a = xv_array();
	for (int k = 0; k < 100; k++)
		xv_array_push(a, xv_int(k));
	CHECK(xv_len(a) == 100 && xv_array_get(a, 99)->u.i == 99, "push 100");
	CHECK(xv_array_get(a, 100) == NULL, "get out of range");
	xv *t = xv_array_take(a, 10);
	CHECK(t && t->u.i == 10 && xv_len(a) == 99 && xv_array_get(a, 10)->u.i == 11, "take shifts");
	xv_free(t);
	CHECK(xv_array_take(a, 1000) == NULL, "take out of range");

	xv *s = xv_struct();
	xv_struct_set(s, "a", xv_str("1"));
	xv_struct_set(s, "b", xv_int(2));
	xv_struct_set(s, "c", a);
	CHECK(xv_len(s) == 3, "3 members");
	xv_struct_set(s, "a", xv_str("replaced"));
	CHECK(xv_len(s) == 3 && !strcmp(xv_struct_str(s, "a"), "replaced"), "set replaces");
	CHECK(!strcmp(s->u.st.m[0].key, "a"), "replace keeps position");
	CHECK(xv_struct_str(s, "b") == NULL && xv_struct_get(s, "b")->u.i == 2, "struct_str of non-string");
	CHECK(xv_struct_get(s, "zz") == NULL && xv_struct_str(s, "zz") == NULL, "absent key");
	xv *s2 = xv_dup(s);
	CHECK(xv_equal(s, s2), "dup struct equal");
	CHECK(xv_struct_del(s2, "b") && !xv_struct_del(s2, "b") && xv_len(s2) == 2, "del");
	CHECK(!xv_equal(s, s2), "differs after del");
	CHECK(!strcmp(s2->u.st.m[0].key, "a") && !strcmp(s2->u.st.m[1].key, "c"), "del keeps order");

	/* member order is ignored by equality, for small and large structs */
	xv *x = xv_struct(), *y = xv_struct();
	for (int k = 0; k < 40; k++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", k);
		xv_struct_set(x, key, xv_int(k));
		snprintf(key, sizeof(key), "k%d", 39 - k);
		xv_struct_append(y, hx_strdup(key), xv_int(39 - k));
	}
	CHECK(xv_equal(x, y), "order-insensitive equality (40 members)");
	xv_struct_set(y, "k5", xv_int(-1));
	CHECK(!xv_equal(x, y), "value difference found (40 members)");
	xv *p = xv_struct(), *q = xv_struct();
	xv_struct_set(p, "a", xv_int(1));
	xv_struct_set(p, "b", xv_int(2));
	xv_struct_set(q, "b", xv_int(2));
	xv_struct_set(q, "a", xv_int(1));
	CHECK(xv_equal(p, q), "order-insensitive equality (2 members)");
	xv_free(p);
	xv_free(q);
	xv_free(x);
	xv_free(y);
	xv_free(s);
	xv_free(s2);

	/* arrays compare in order */
	xv *a1 = xv_array(), *a2 = xv_array();
	xv_array_push(a1, xv_int(1));
	xv_array_push(a1, xv_int(2));
	xv_array_push(a2, xv_int(2));
	xv_array_push(a2, xv_int(1));
	CHECK(!xv_equal(a1, a2), "array order matters");
	xv_free(a1);
	xv_free(a2);
	OK("arrays (push/get/take), structs (set/replace/get/del/append, order kept), deep dup/equal");
}

static void test_xerr(void)
{
	xerr *e = xerr_new("HANDLE_INVALID", "VM", "OpaqueRef:x", NULL);
	CHECK(!strcmp(e->code, "HANDLE_INVALID") && e->nparams == 2 && !strcmp(e->params[1], "OpaqueRef:x"), "new");
	for (int k = 0; k < 20; k++)
		xerr_add(e, "p");
	CHECK(e->nparams == 22, "add");
	xerr *d = xerr_dup(e);
	CHECK(d->nparams == 22 && !strcmp(d->params[0], "VM"), "dup");
	xv *v = xerr_to_xv(d);
	CHECK(v->kind == XV_ARRAY && xv_len(v) == 23 && !strcmp(xv_s(xv_array_get(v, 0)), "HANDLE_INVALID"), "to_xv");
	xv_free(v);
	CHECK(xerr_free(e) == NULL && xerr_free(d) == NULL && xerr_free(NULL) == NULL, "free");
	e = xerr_newf("INTERNAL_ERROR", "code %d", 7);
	CHECK(e->nparams == 1 && !strcmp(e->params[0], "code 7"), "newf");
	xerr_free(e);
	const char *ps[] = { "a", "b" };
	e = xerr_newv("X", ps, 2);
	CHECK(e->nparams == 2 && !strcmp(e->params[1], "b"), "newv");
	xerr_free(e);
	e = xerr_new("NO_PARAMS", NULL);
	CHECK(e->nparams == 0, "no params");
	v = xerr_to_xv(e);
	CHECK(xv_len(v) == 1, "to_xv no params");
	xv_free(v);
	xerr_free(e);
	OK("xerr new/newv/newf/add/dup/to_xv/free(NULL)");
}

static void test_strbuf(void)
{
	strbuf b = STRBUF_INIT;
	size_t len;
	char *s = sb_steal(&b, &len);
	CHECK(s && !strcmp(s, "") && len == 0, "steal of empty");
	free(s);
	sb_puts(&b, "ab");
	sb_putc(&b, 'c');
	sb_putn(&b, "d\0e", 3);
	CHECK(b.len == 6 && b.s[6] == '\0' && !memcmp(b.s, "abcd\0e", 6), "putn with NUL");
	for (int k = 0; k < 1000; k++)
		sb_printf(&b, "%04d", k);
	CHECK(b.len == 4006 && !memcmp(b.s + 4002, "0999", 4), "printf grows");
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[299] = '\0';
	sb_printf(&b, "<%s>", big);
	CHECK(b.len == 4006 + 301 && b.s[b.len - 1] == '>', "printf longer than the stack buffer");
	sb_free(&b);
	CHECK(b.s == NULL && b.len == 0, "sb_free resets");
	sb_free(&b);
	sb_put_xml_escaped(&b, "a&b<c>d\"e\rf'g\n", 14);
	CHECK(!strcmp(b.s, "a&amp;b&lt;c&gt;d&quot;e&#13;f'g\n"), "xml escape: %s", b.s);
	s = sb_steal(&b, &len);
	CHECK(len == strlen(s) && b.s == NULL, "steal resets");
	free(s);
	OK("strbuf putn/puts/putc/printf/xml escaping/steal/free");
}

static void test_datetime(void)
{
	static const struct {
		const char *text;
		int64_t t;
	} good[] = {
		{ "20250319T04:16:24Z", 1742357784 },
		{ "2025-03-19T04:16:24Z", 1742357784 },
		{ "20250319T04:16:24", 1742357784 },   /* Python's DateTime: no zone = UTC */
		{ "2025-03-19T04:16:24", 1742357784 },
		{ "20250319T041624Z", 1742357784 },
		{ "20250319T05:16:24+01:00", 1742357784 },
		{ "20250319T05:16:24+0100", 1742357784 },
		{ "20250319T05:16:24+01", 1742357784 },
		{ "20250318T23:16:24-05:00", 1742357784 },
		{ "2025-03-19T04:16:24.123456Z", 1742357784 },
		{ "20250319T04:16:24.5+00:00", 1742357784 },
		{ "19700101T00:00:00Z", 0 },
		{ "19691231T23:59:59Z", -1 },
		{ "20000229T00:00:00Z", 951782400 },
		{ "00000101T00:00:00Z", INT64_C(-62167219200) },
		{ "99991231T23:59:59Z", INT64_C(253402300799) },
	};
	static const char *const bad[] = {
		"", "2025", "20250319", "20250319T04:16", "20250319 04:16:24Z", "2025-0319T04:16:24Z",
		"20251319T04:16:24Z", "20250230T04:16:24Z", "20250229T00:00:00Z", "20250319T24:00:00Z",
		"20250319T04:60:00Z", "20250319T04:16:24ZZ", "20250319T04:16:24+1", "20250319T04:16:24+25:00",
		"20250319T04:16:24.Z", "20250319T04:16:24 ", "x20250319T04:16:24Z", "20250319T04:16:24+01:0",
		"20250319T04:1624Z", "２０２５0319T04:16:24Z",
		"00000101T00:00:00+01:00", "99991231T23:59:59-00:01",
	};
	char buf[32];
	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		int64_t t = 0;
		int rc = xv_datetime_parse(good[k].text, &t);
		CHECK(rc == 0 && t == good[k].t, "parse %s -> %" PRId64 " (rc %d)", good[k].text, t, rc);
	}
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int64_t t;
		CHECK(xv_datetime_parse(bad[k], &t) == -EINVAL, "reject '%s'", bad[k]);
	}
	CHECK(xv_datetime_parse(NULL, &(int64_t){ 0 }) == -EINVAL, "NULL");
	xv_datetime_format(1742357784, buf, sizeof(buf));
	CHECK(!strcmp(buf, "20250319T04:16:24Z"), "format %s", buf);
	xv_datetime_format(-1, buf, sizeof(buf));
	CHECK(!strcmp(buf, "19691231T23:59:59Z"), "format negative %s", buf);
	xv_datetime_format(INT64_MAX, buf, sizeof(buf));
	CHECK(!strcmp(buf, "99991231T23:59:59Z"), "format clamps high %s", buf);
	xv_datetime_format(INT64_MIN, buf, sizeof(buf));
	CHECK(!strcmp(buf, "00000101T00:00:00Z"), "format clamps low %s", buf);
	/* every day boundary over 4 centuries round-trips */
	int bad_rt = 0;
	for (int64_t t = INT64_C(-62167219200); t < INT64_C(253402300799); t += 86400 * 7 + 3601) {
		int64_t back;
		xv_datetime_format(t, buf, sizeof(buf));
		if (xv_datetime_parse(buf, &back) || back != t)
			bad_rt++;
	}
	CHECK(bad_rt == 0, "%d format/parse mismatches", bad_rt);
	OK("datetime parse: %zu accepted forms (basic/extended, Z/offset/none, fractions), %zu rejected; "
	   "format incl. clamping; round trip every 7 days + 1 h from year 0 to 9999",
	   sizeof(good) / sizeof(good[0]), sizeof(bad) / sizeof(bad[0]));
}

static void test_util(void)
{
	char u[37], u2[37];
	hx_uuid(u);
	hx_uuid(u2);
	CHECK(hx_is_uuid(u) && strlen(u) == 36, "uuid %s", u);
	CHECK(u[14] == '4' && strchr("89ab", u[19]), "v4 + variant %s", u);
	CHECK(strcmp(u, u2) != 0, "two uuids differ");
	CHECK(hx_is_uuid("6D4A1C3E-6A2F-4F4E-9A43-2F8C2A9D1B10"), "upper-case uuid");
	CHECK(!hx_is_uuid("6d4a1c3e-6a2f-4f4e-9a43-2f8c2a9d1b1") && !hx_is_uuid("6d4a1c3e-6a2f-4f4e-9a43-2f8c2a9d1b100") &&
		      !hx_is_uuid("6d4a1c3e_6a2f-4f4e-9a43-2f8c2a9d1b10") && !hx_is_uuid("6d4a1c3e-6a2f-4f4e-9a43-2f8c2a9d1b1g") &&
		      !hx_is_uuid(NULL) && !hx_is_uuid(""),
	      "bad uuids");
	char *r = hx_new_ref();
	CHECK(hx_is_ref(r) && !strncmp(r, "OpaqueRef:", 10) && hx_is_uuid(r + 10), "ref %s", r);
	free(r);
	CHECK(hx_is_ref("OpaqueRef:NULL") && hx_is_ref("OpaqueRef:x") && !hx_is_ref("OpaqueRef:") && !hx_is_ref("x") &&
		      !hx_is_ref(NULL),
	      "is_ref");
	CHECK(hx_is_null_ref(NULL) && hx_is_null_ref("") && hx_is_null_ref(HX_NULL_REF) && !hx_is_null_ref("OpaqueRef:x"),
	      "is_null_ref");

	static const struct {
		const char *s;
		size_t n;
		bool ok;
		const char *what;
	} u8[] = {
		{ "", 0, true, "empty" },
		{ "plain ascii \t\r\n", 15, true, "tab/CR/LF" },
		{ "\x01", 1, false, "U+0001" },
		{ "\x1f", 1, false, "U+001F" },
		{ "a\0b", 3, false, "NUL" },
		{ "\x7f", 1, true, "DEL is an XML Char" },
		{ "\xc3\xa9", 2, true, "U+00E9" },
		{ "\xc0\xaf", 2, false, "overlong 2-byte" },
		{ "\xc1\xbf", 2, false, "overlong 2-byte C1" },
		{ "\xe0\x80\xaf", 3, false, "overlong 3-byte" },
		{ "\xf0\x80\x80\xaf", 4, false, "overlong 4-byte" },
		{ "\xed\xa0\x80", 3, false, "surrogate D800" },
		{ "\xed\xbf\xbf", 3, false, "surrogate DFFF" },
		{ "\xed\x9f\xbf", 3, true, "U+D7FF" },
		{ "\xee\x80\x80", 3, true, "U+E000" },
		{ "\xef\xbf\xbd", 3, true, "U+FFFD" },
		{ "\xef\xbf\xbe", 3, false, "U+FFFE" },
		{ "\xef\xbf\xbf", 3, false, "U+FFFF" },
		{ "\xf0\x9f\x98\x80", 4, true, "U+1F600" },
		{ "\xf4\x8f\xbf\xbf", 4, true, "U+10FFFF" },
		{ "\xf4\x90\x80\x80", 4, false, "U+110000" },
		{ "\xf5\x80\x80\x80", 4, false, "F5 lead" },
		{ "\xff", 1, false, "FF" },
		{ "\x80", 1, false, "lone continuation" },
		{ "\xc3", 1, false, "truncated 2-byte" },
		{ "\xe2\x98", 2, false, "truncated 3-byte" },
		{ "\xf0\x9f\x98", 3, false, "truncated 4-byte" },
		{ "\xe2\x28\xa1", 3, false, "bad continuation" },
		{ "\xc2\x85", 2, true, "U+0085 (NEL) is a Char" },
	};
	for (size_t k = 0; k < sizeof(u8) / sizeof(u8[0]); k++)
		CHECK(hx_valid_xml_utf8(u8[k].s, u8[k].n) == u8[k].ok, "%s", u8[k].what);
	CHECK(hx_valid_xml_utf8(NULL, 0) && !hx_valid_xml_utf8(NULL, 1), "NULL");

	int64_t now = hx_now(), m1 = hx_mono_ms(), m2 = hx_mono_ms();
	CHECK(now > 1700000000, "hx_now is plausible");
	CHECK(m2 >= m1 && m1 > 0, "monotonic clock does not go back");
	OK("uuid v4 form, refs, null refs, %zu UTF-8/XML-Char validator cases, clocks",
	   sizeof(u8) / sizeof(u8[0]));
}

static void test_debug(void)
{
	xv *s = xv_struct();
	xv_struct_set(s, "s", xv_str("a\"b\n"));
	xv_struct_set(s, "i", xv_int(-3));
	xv_struct_set(s, "f", xv_float(2));
	xv_struct_set(s, "b", xv_bool(false));
	xv_struct_set(s, "d", xv_datetime(0));
	xv_struct_set(s, "n", xv_nil());
	xv *a = xv_array();
	xv_array_push(a, xv_float(0.1));
	xv_struct_set(s, "a", a);
	char *d = xv_to_debug(s);
	CHECK(!strcmp(d, "{\"s\":\"a\\\"b\\n\",\"i\":-3,\"f\":2.0,\"b\":false,\"d\":dt\"19700101T00:00:00Z\",\"n\":null,\"a\":[0.1]}"),
	      "debug: %s", d);
	free(d);
	xv_free(s);
	d = xv_to_debug(NULL);
	CHECK(!strcmp(d, "null"), "debug NULL");
	free(d);
	OK("xv_to_debug rendering");
}

int main(void)
{
	test_scalars();
	test_containers();
	test_xerr();
	test_strbuf();
	test_datetime();
	test_util();
	test_debug();
	return check_done("test_value");
}
