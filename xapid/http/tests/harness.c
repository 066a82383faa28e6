/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int t_failures;

void t_check(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s - ", cond ? "ok" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!cond)
		t_failures++;
}

char *t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;
	if (asprintf(&dir, "%s/hxhttp-XXXXXX", base && *base ? base : "/tmp") < 0)
		abort();
	if (!mkdtemp(dir))
		abort();
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void t_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
	t_reply *rep = cls;
	size_t len = size * n;
	rep->body = realloc(rep->body, rep->len + len + 1);
	if (!rep->body)
		abort();
	memcpy(rep->body + rep->len, p, len);
	rep->len += len;
	rep->body[rep->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *cls)
{
	t_reply *rep = cls;
	size_t len = size * n, have = rep->headers ? strlen(rep->headers) : 0;
	/* A new status line (after 100 Continue) starts a new block. */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
		have = 0;
	rep->headers = realloc(rep->headers, have + len + 1);
	if (!rep->headers)
		abort();
	memcpy(rep->headers + have, p, len);
	rep->headers[have + len] = '\0';
	return len;
}

void t_capture(CURL *h, t_reply *rep)
{
	memset(rep, 0, sizeof *rep);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, rep);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, rep);
}

void t_request(CURL *h, const char *method, const char *url, const char *body, size_t len,
	       struct curl_slist *extra, t_reply *rep)
{
	t_capture(h, rep);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	else if (strcmp(method, "POST") == 0 && !body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, extra);
	rep->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &rep->new_conns);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	if (!rep->body)
		on_data("", 0, 0, rep);
}

void t_reply_free(t_reply *rep)
{
	free(rep->body);
	free(rep->headers);
	memset(rep, 0, sizeof *rep);
}

char *t_header(const t_reply *rep, const char *name)
{
	size_t n = strlen(name);
	for (const char *line = rep->headers; line && *line;) {
		const char *eol = strstr(line, "\r\n");
		size_t ll = eol ? (size_t)(eol - line) : strlen(line);
		if (ll > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			return strndup(v, ll - (size_t)(v - line));
		}
		line = eol ? eol + 2 : line + ll;
	}
	return NULL;
}
