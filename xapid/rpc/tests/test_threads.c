/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The codecs are used from many xapid worker threads at once: parse and
 * encode from several threads concurrently (including documents that make
 * libxml2 report encoding errors, and float formatting that switches the
 * thread's locale) and check every result.
 */
#include <errno.h>
#include <pthread.h>

#include "check.h"
#include "jsonrpc.h"
#include "value.h"
#include "xmlrpc.h"

#define THREADS 4
#define ROUNDS 300

static const char xml_ok[] = "<?xml version=\"1.0\"?><methodCall><methodName>event.from</methodName><params>"
			     "<param><value>OpaqueRef:x</value></param><param><value><array><data><value>vm</value>"
			     "</data></array></value></param><param><value></value></param><param><value><double>60.1"
			     "</double></value></param></params></methodCall>";
static const char xml_bad_enc[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><methodCall><methodName>m</methodName>"
				  "</methodCall>";
static const char json_ok[] = "{\"jsonrpc\":\"2.0\",\"method\":\"event.from\",\"params\":[\"OpaqueRef:x\",[\"vm\"],\"\",60.1],\"id\":3}";

static void *worker(void *arg)
{
	int *bad = arg;
	for (int k = 0; k < ROUNDS; k++) {
		char *m = NULL, *err = NULL;
		xv *ps = NULL;
		if (xmlrpc_parse_call(xml_ok, sizeof(xml_ok) - 1, &m, &ps, &err) != 0 || strcmp(m, "event.from") ||
		    xv_len(ps) != 4 || xv_array_get(ps, 3)->u.f != 60.1)
			(*bad)++;
		char *enc = xmlrpc_response_success(ps, NULL);
		if (!strstr(enc, "<double>60.1</double>"))
			(*bad)++;
		free(enc);
		free(m);
		free(err);
		xv_free(ps);
		err = NULL;
		if (xmlrpc_parse_call(xml_bad_enc, sizeof(xml_bad_enc) - 1, &m, &ps, &err) != -EINVAL || !err)
			(*bad)++;
		free(err);
		jsonrpc_req r;
		err = NULL;
		if (jsonrpc_parse_request(json_ok, sizeof(json_ok) - 1, &r, &err) != 0 || strcmp(r.id_json, "3") ||
		    xv_array_get(r.params, 3)->u.f != 60.1)
			(*bad)++;
		enc = jsonrpc_success(r.version, r.id_json, r.params, NULL);
		if (!strstr(enc, ",60.1],\"id\":3}"))
			(*bad)++;
		free(enc);
		jsonrpc_req_clear(&r);
		free(err);
	}
	return NULL;
}

int main(void)
{
	pthread_t th[THREADS];
	int bad[THREADS] = { 0 };

	for (int i = 0; i < THREADS; i++)
		CHECK(pthread_create(&th[i], NULL, worker, &bad[i]) == 0, "pthread_create");
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(bad[i] == 0, "thread %d: %d wrong results", i, bad[i]);
	}
	OK("%d threads x %d rounds of XML-RPC and JSON-RPC parse/encode (incl. rejected encodings) give identical results",
	   THREADS, ROUNDS);
	return check_done("test_threads");
}
