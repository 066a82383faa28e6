/* SPDX-License-Identifier: Apache-2.0 */
/* where-expressions: parsing (XAPI's grammar and precedence), evaluation
 * against a record, and errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../where.h"
#include "tcheck.h"

static xv *record(void)
{
	xv *r = xv_struct();
	xv_struct_set(r, "name_label", xv_str("web 1"));
	xv_struct_set(r, "is_a_template", xv_bool(false));
	xv_struct_set(r, "is_control_domain", xv_bool(true));
	xv_struct_set(r, "domid", xv_int(0));
	xv_struct_set(r, "memory", xv_int(-1024));
	xv_struct_set(r, "ratio", xv_float(1.5));
	xv_struct_set(r, "power_state", xv_str("Running"));
	xv_struct_set(r, "resident_on", xv_str("OpaqueRef:h1"));
	xv_struct_set(r, "created", xv_datetime(1742357784));
	xv_struct_set(r, "nothing", xv_nil());
	xv *oc = xv_struct();
	xv_struct_set(oc, "a", xv_str("b"));
	xv_struct_set(r, "other_config", oc);
	xv *tags = xv_array();
	xv_array_push(tags, xv_str("x"));
	xv_array_push(tags, xv_str("it's"));
	xv_struct_set(r, "tags", tags);
	xv_struct_set(r, "odd__name", xv_str("literal double underscore"));
	return r;
}

int main(void)
{
	xv *rec = record();
	static const struct {
		const char *expr;
		bool want;
	} cases[] = {
		{ "true", true },
		{ "false", false },
		{ " \t\n true \r\n", true },
		{ "field \"name__label\"=\"web 1\"", true },
		{ "field \"name_label\" = \"web 1\"", true },
		{ "\"web 1\" = field \"name__label\"", true },
		{ "field \"name__label\"=\"web\"", false },
		{ "field \"name__label\" <> \"web\"", true },
		{ "\"a\"=\"a\"", true },
		{ "\"a\"=\"b\"", false },
		{ "field \"is_a_template\"=\"false\"", true },
		{ "field \"is_control_domain\"=\"true\"", true },
		{ "field \"domid\"=\"0\"", true },
		{ "field \"memory\"=\"-1024\"", true },
		{ "field \"ratio\"=\"1.5\"", true },
		{ "field \"power_state\"=\"Running\"", true },
		{ "field \"resident_on\"=\"OpaqueRef:h1\"", true },
		{ "field \"created\"=\"20250319T04:16:24Z\"", true },
		{ "field \"nothing\"=\"\"", true },
		{ "field \"missing\"=\"\"", true },
		{ "field \"missing\"=\"x\"", false },
		{ "field \"other_config\"=\"(('a' 'b'))\"", true },
		{ "field \"tags\"=\"('x' 'it\\'s')\"", true },
		{ "field \"odd__name\"=\"literal double underscore\"", true },
		{ "field \"is_control_domain\"=\"false\" and field \"is_a_template\"=\"false\"", false },
		{ "field \"is_control_domain\"=\"true\" and field \"is_a_template\"=\"false\" and "
		  "field \"resident_on\"=\"OpaqueRef:h1\"",
		  true },
		{ "field \"name__label\" = \"x\" or field \"power_state\" = \"Running\"", true },
		{ "not true", false },
		{ "not not true", true },
		{ "not field \"domid\"=\"0\"", false },
		/* not binds tighter than and/or */
		{ "not true and false", false },
		{ "not false and true", true },
		{ "not true or true", true },
		/* and/or: same precedence, left associative (XAPI) */
		{ "true or false and false", false },
		{ "true or (false and false)", true },
		{ "false and true or true", true },
		{ "false and (true or true)", false },
		{ "((((true))))", true },
		{ "(field \"domid\"=\"0\") and (not (field \"domid\"=\"1\"))", true },
	};
	int n = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;
		where_expr *e = where_parse(cases[i].expr, &err);
		CHECK(e != NULL, "parse %s: %s", cases[i].expr, err ? err : "");
		if (e) {
			bool got = where_eval(e, rec);
			CHECK(got == cases[i].want, "eval %s: got %d", cases[i].expr, got);
			n++;
		}
		free(err);
		CHECK(where_free(e) == NULL, "where_free returns NULL");
	}
	OK("%d expressions parsed and evaluated (name__label, literal orders, <>, bool/int/"
	   "float/datetime/ref/enum/set/map rendering, missing fields, not/and/or precedence as "
	   "in XAPI)",
	   n);

	static const char *const bad[] = {
		"",
		"   ",
		"field",
		"field \"a\"",
		"field \"a\"=",
		"field \"a\"==\"b\"",
		"\"unterminated",
		"field \"a\"=\"b",
		"(true",
		"true)",
		"and",
		"true and",
		"true or or false",
		"not",
		"trux",
		"True",
		"field name=\"x\"",
		"field \"a\" \"b\"",
		"\"a\" = field",
		"true true",
		"()",
		"field \"a\" < \"b\"",
	};
	int nbad = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		where_expr *e = where_parse(bad[i], &err);
		CHECK(!e && err && *err, "'%s' should fail", bad[i]);
		if (!e && err)
			nbad++;
		where_free(e);
		free(err);
	}
	char *err = NULL;
	CHECK(!where_parse(NULL, &err) && err, "NULL text");
	free(err);
	CHECK(!where_parse("(", NULL), "no errmsg pointer");
	CHECK(!where_eval(NULL, rec), "eval NULL");
	CHECK(where_free(NULL) == NULL, "free NULL");
	OK("%d malformed expressions rejected with a message", nbad);

	/* depth limits */
	size_t big = 5000;
	char *s = malloc(big * 10 + 64);
	strcpy(s, "");
	for (size_t i = 0; i < big; i++)
		strcat(s, "(");
	strcat(s, "true");
	for (size_t i = 0; i < big; i++)
		strcat(s, ")");
	err = NULL;
	CHECK(!where_parse(s, &err) && err && strstr(err, "deeper"), "deep parens: %s", err);
	free(err);
	strcpy(s, "");
	for (size_t i = 0; i < big; i++)
		strcat(s, "not ");
	strcat(s, "true");
	err = NULL;
	CHECK(!where_parse(s, &err) && err, "deep not");
	free(err);
	strcpy(s, "true");
	for (size_t i = 0; i < big; i++)
		strcat(s, " and true");
	err = NULL;
	CHECK(!where_parse(s, &err) && err, "long and-chain");
	free(err);
	strcpy(s, "true");
	for (size_t i = 0; i < 200; i++)
		strcat(s, " and true");
	where_expr *e = where_parse(s, NULL);
	CHECK(e && where_eval(e, rec), "a 200-term chain is fine");
	where_free(e);
	free(s);
	OK("nesting and chain length limits");

	/* eval against non-struct records */
	e = where_parse("field \"a\"=\"\"", NULL);
	xv *nil = xv_nil();
	CHECK(e && where_eval(e, nil) && where_eval(e, NULL), "non-struct record: fields empty");
	xv_free(nil);
	where_free(e);
	xv_free(rec);
	return tcheck_done("test_where");
}
