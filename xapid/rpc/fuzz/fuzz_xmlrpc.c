/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the XML-RPC decoder, as a server (<methodCall>), as a client
 * (<methodResponse>) and for task.result value strings. Whatever parses
 * must re-encode into something that parses back to an equivalent value.
 */
#include "fuzz_common.h"
#include "jsonrpc.h"
#include "xmlrpc.h"

/* Encodes v as a value string, parses it back, checks equivalence. */
static void value_trip(const xv *v)
{
	char *s = xmlrpc_value_string(v), *err = NULL;
	xv *back = NULL;
	FUZZ_ASSERT(xmlrpc_parse_value_string(s, strlen(s), &back, &err) == 0);
	FUZZ_ASSERT(fuzz_wire_equiv(v, back));
	free(s);
	xv_free(back);
}

/* Every decoded value must also survive JSON (datetimes become strings). */
static void json_ok(const xv *v)
{
	char *j = jsonrpc_value_to_json(v), *err = NULL;
	xv *back = NULL;
	int rc = jsonrpc_value_from_json(j, strlen(j), &back, &err);
	FUZZ_ASSERT(rc == 0 && back); /* nan/inf go out as null */
	free(j);
	free(err);
	xv_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char *m = NULL, *err = NULL;
	xv *ps = NULL, *v = NULL;
	size_t len;

	if (xmlrpc_parse_call(buf, size, &m, &ps, &err) == 0) {
		FUZZ_ASSERT(m && *m && ps && ps->kind == XV_ARRAY && !err);
		char *call = xmlrpc_build_call(m, ps, &len), *m2 = NULL;
		xv *ps2 = NULL;
		FUZZ_ASSERT(xmlrpc_parse_call(call, len, &m2, &ps2, &err) == 0);
		FUZZ_ASSERT(strcmp(m, m2) == 0 && fuzz_wire_equiv(ps, ps2));
		/* the second trip is exact except for doubles' last digit */
		char *call2 = xmlrpc_build_call(m2, ps2, &len);
		FUZZ_ASSERT(strlen(call2) == len);
		free(call2);
		for (size_t i = 0; i < xv_len(ps); i++) {
			value_trip(xv_array_get(ps, i));
			json_ok(xv_array_get(ps, i));
		}
		free(call);
		free(m2);
		xv_free(ps2);
	} else {
		FUZZ_ASSERT(err && !m && !ps);
	}
	free(m);
	free(err);
	xv_free(ps);
	err = NULL;

	if (xmlrpc_parse_response(buf, size, &v, &err) == 0) {
		xv *val = NULL, *back = NULL;
		xerr *e = NULL;
		char *raw = xmlrpc_response_raw(v, &len);
		FUZZ_ASSERT(xmlrpc_parse_response(raw, len, &back, NULL) == 0 && fuzz_wire_equiv(v, back));
		free(raw);
		if (xmlrpc_result_of(v, &val, &e) == 0) {
			FUZZ_ASSERT(!val != !e);
			char *r = val ? xmlrpc_response_success(val, &len) : xmlrpc_response_failure(e, &len);
			xv_free(back);
			back = NULL;
			FUZZ_ASSERT(xmlrpc_parse_response(r, len, &back, NULL) == 0);
			free(r);
		}
		xv_free(val);
		xv_free(back);
		xerr_free(e);
	} else {
		FUZZ_ASSERT(err && !v);
	}
	xv_free(v);
	free(err);
	v = NULL;
	err = NULL;

	if (xmlrpc_parse_value_string(buf, size, &v, &err) == 0) {
		value_trip(v);
		json_ok(v);
	}
	xv_free(v);
	free(err);
	return 0;
}
