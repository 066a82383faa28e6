/* SPDX-License-Identifier: Apache-2.0 */
/* xapid/http: self-signed certificate generation and reuse. */
#include "harness.h"
#include "http.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;
	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		buf = realloc(buf, cap += 4096);
		size_t n = fread(buf + *len, 1, cap - *len - 1, f);
		*len += n;
		if (n == 0)
			break;
	}
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void check_cert(const char *cert, const char *key, const char *host)
{
	size_t len;
	char *pem = slurp(cert, &len);
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
	gnutls_x509_crt_t crt;
	char cn[256];
	size_t cn_len = sizeof cn;

	gnutls_x509_crt_init(&crt);
	int g = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	CHECK(g == 0, "certificate parses as PEM X.509");
	g = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_len);
	CHECK(g == 0 && strcmp(cn, host) == 0, "CN = %s", g == 0 ? cn : "?");
	CHECK(gnutls_x509_crt_check_hostname(crt, host), "subjectAltName covers %s", host);
	CHECK(gnutls_x509_crt_check_ip(crt, (const unsigned char[]){ 127, 0, 0, 1 }, 4, 0),
	      "subjectAltName lists the loopback address 127.0.0.1");
	time_t act = gnutls_x509_crt_get_activation_time(crt);
	time_t exp = gnutls_x509_crt_get_expiration_time(crt);
	time_t now = time(NULL);
	CHECK(act <= now && exp - now >= (time_t)(10 * 365) * 86400,
	      "valid now and for at least ten years (%lld days)",
	      (long long)((exp - now) / 86400));
	unsigned bits = 0;
	int alg = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	CHECK(alg == GNUTLS_PK_ECDSA || alg == GNUTLS_PK_RSA, "key algorithm %s (%u bits)",
	      gnutls_pk_get_name((gnutls_pk_algorithm_t)alg), bits);
	unsigned verify = 1;
	g = gnutls_x509_crt_verify(crt, &crt, 1, 0, &verify);
	CHECK(g == 0 && verify == 0, "self-signed signature verifies");
	gnutls_x509_crt_deinit(crt);
	free(pem);

	gnutls_certificate_credentials_t cred;
	gnutls_certificate_allocate_credentials(&cred);
	g = gnutls_certificate_set_x509_key_file(cred, cert, key, GNUTLS_X509_FMT_PEM);
	CHECK(g >= 0, "key file matches the certificate (%s)", g >= 0 ? "ok" : gnutls_strerror(g));
	gnutls_certificate_free_credentials(cred);
}

int main(void)
{
	char *dir = t_tmpdir(), *cert, *key, *err = NULL;
	struct stat st;
	const char *host = "halyard-test.example";

	if (asprintf(&cert, "%s/sub.pem", dir) < 0 || asprintf(&key, "%s/sub.key", dir) < 0)
		abort();

	printf("# generation\n");
	umask(022);
	int rc = http_ensure_cert(cert, key, host, &err);
	CHECK(rc == 0, "http_ensure_cert generates: %s", err ? err : "ok");
	int src = stat(key, &st);
	CHECK(src == 0 && (st.st_mode & 0777) == 0600, "key is mode 0600 (%o)", st.st_mode & 0777);
	src = stat(cert, &st);
	CHECK(src == 0 && (st.st_mode & 0777) == 0644, "cert is mode 0644 (%o)",
	      st.st_mode & 0777);
	check_cert(cert, key, host);

	printf("# reuse\n");
	size_t l1, l2, k1, k2;
	char *c1 = slurp(cert, &l1), *key1 = slurp(key, &k1);
	rc = http_ensure_cert(cert, key, "other-host", &err);
	char *c2 = slurp(cert, &l2), *key2 = slurp(key, &k2);
	CHECK(rc == 0 && l1 == l2 && memcmp(c1, c2, l1) == 0 && k1 == k2 &&
		      memcmp(key1, key2, k1) == 0,
	      "existing cert and key are left alone");
	free(c2);
	free(key2);

	printf("# a missing key regenerates the pair\n");
	unlink(key);
	rc = http_ensure_cert(cert, key, host, &err);
	c2 = slurp(cert, &l2);
	CHECK(rc == 0 && access(key, R_OK) == 0 && (l1 != l2 || memcmp(c1, c2, l1) != 0),
	      "new key and new certificate written");
	check_cert(cert, key, host);
	free(c1);
	free(c2);
	free(key1);

	printf("# errors\n");
	char *bad_cert, *bad_key;
	if (asprintf(&bad_cert, "%s/missing-dir/c.pem", dir) < 0 ||
	    asprintf(&bad_key, "%s/missing-dir/c.key", dir) < 0)
		abort();
	rc = http_ensure_cert(bad_cert, bad_key, host, &err);
	CHECK(rc < 0 && err, "unwritable location refused: %s", err ? err : "?");
	free(err);
	free(bad_cert);
	free(bad_key);

	free(cert);
	free(key);
	t_rmtree(dir);
	free(dir);
	printf("%s: %d failure(s)\n", t_failures ? "FAIL" : "PASS", t_failures);
	return t_failures ? 1 : 0;
}
