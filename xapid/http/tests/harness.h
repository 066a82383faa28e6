/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by the xapid/http tests: checks and a curl client. */
#ifndef HALYARD_HTTP_TEST_HARNESS_H
#define HALYARD_HTTP_TEST_HARNESS_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

extern int t_failures;

/* Prints "ok - what" or "FAIL - what" and counts failures. */
void t_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define CHECK(cond, ...) t_check((cond), __VA_ARGS__)

/* A fresh directory under $TMPDIR (or /tmp); caller frees; t_rmtree removes it. */
char *t_tmpdir(void);
void t_rmtree(const char *dir);

/* One reply as seen by curl. */
typedef struct t_reply {
	long status;
	char *body;      /* NUL-terminated */
	size_t len;
	char *headers;   /* raw response header block */
	long new_conns;  /* CURLINFO_NUM_CONNECTS: 0 when a connection was reused */
	CURLcode rc;
} t_reply;

/* Collects the body and headers of a transfer into rep (set up on h). */
void t_capture(CURL *h, t_reply *rep);
/*
 * Performs one request on h (reusing its connection if possible).
 * body: NULL for none; extra: curl header list or NULL. Fills *rep.
 */
void t_request(CURL *h, const char *method, const char *url, const char *body, size_t len,
	       struct curl_slist *extra, t_reply *rep);
void t_reply_free(t_reply *rep);
/* The value of a response header (case-insensitive name), or NULL; caller frees. */
char *t_header(const t_reply *rep, const char *name);

#endif
