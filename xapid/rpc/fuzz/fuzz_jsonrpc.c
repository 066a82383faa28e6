/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the JSON-RPC decoder as a server (requests), as a client
 * (replies) and for plain values. Whatever parses must re-encode and parse
 * back to an equal value; values must also survive XML-RPC (task.result).
 */
#include "fuzz_common.h"
#include "jsonrpc.h"
#include "xmlrpc.h"

/* JSON text of v parses back to exactly v, and re-encodes identically. */
static void json_trip(const xv *v)
{
	char *j = jsonrpc_value_to_json(v), *err = NULL;
	xv *back = NULL;
	FUZZ_ASSERT(jsonrpc_value_from_json(j, strlen(j), &back, &err) == 0);
	FUZZ_ASSERT(xv_equal(v, back));
	char *j2 = jsonrpc_value_to_json(back);
	FUZZ_ASSERT(strcmp(j, j2) == 0);
	free(j);
	free(j2);
	xv_free(back);
}

/* The same value through XML-RPC, as task.result carries it. */
static void xml_trip(const xv *v)
{
	char *s = xmlrpc_value_string(v), *err = NULL;
	xv *back = NULL;
	FUZZ_ASSERT(xmlrpc_parse_value_string(s, strlen(s), &back, &err) == 0);
	FUZZ_ASSERT(fuzz_wire_equiv(v, back));
	free(s);
	xv_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char *err = NULL;
	jsonrpc_req req;
	xv *v = NULL, *res = NULL;
	xerr *e = NULL;
	size_t len;

	int rc = jsonrpc_parse_request(buf, size, &req, &err);
	if (rc == 0) {
		FUZZ_ASSERT(req.method && req.params && req.id_json && !err);
		FUZZ_ASSERT(req.version == 1 || req.version == 2);
		char *r = jsonrpc_build_request(req.method, req.params, &len);
		jsonrpc_req again;
		FUZZ_ASSERT(jsonrpc_parse_request(r, len, &again, NULL) == 0);
		FUZZ_ASSERT(strcmp(req.method, again.method) == 0 && xv_equal(req.params, again.params));
		jsonrpc_req_clear(&again);
		free(r);
		/* each parameter alone: the params list itself adds a level */
		for (size_t i = 0; i < xv_len(req.params); i++) {
			json_trip(xv_array_get(req.params, i));
			xml_trip(xv_array_get(req.params, i));
		}

		/* replies echo the id and read back */
		const xv *one = xv_len(req.params) ? xv_array_get(req.params, 0) : req.params;
		r = jsonrpc_success(req.version, req.id_json, one, &len);
		FUZZ_ASSERT(jsonrpc_parse_reply(r, len, &res, &e, NULL) == 0 && !e && xv_equal(res, one));
		free(r);
		res = xv_free(res);
		xerr *out = xerr_new("FUZZ", req.method, req.id_json, NULL);
		r = jsonrpc_error(req.version, req.id_json, out, &len);
		FUZZ_ASSERT(jsonrpc_parse_reply(r, len, &res, &e, NULL) == 0 && !res && e);
		FUZZ_ASSERT(strcmp(e->code, "FUZZ") == 0 && e->nparams == 2 && strcmp(e->params[0], req.method) == 0);
		free(r);
		e = xerr_free(e);
		xerr_free(out);
	} else {
		FUZZ_ASSERT(err && !req.method && !req.params);
	}
	jsonrpc_req_clear(&req);
	free(err);
	err = NULL;

	if (jsonrpc_parse_reply(buf, size, &res, &e, &err) == 0) {
		FUZZ_ASSERT(!res != !e);
		if (res) {
			json_trip(res);
			xml_trip(res);
		}
	} else {
		FUZZ_ASSERT(err && !res && !e);
	}
	xv_free(res);
	xerr_free(e);
	free(err);
	err = NULL;

	if (jsonrpc_value_from_json(buf, size, &v, &err) == 0) {
		json_trip(v);
		xml_trip(v);
	}
	xv_free(v);
	free(err);
	return 0;
}
