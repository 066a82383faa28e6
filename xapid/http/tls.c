/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Self-signed certificate generation (GnuTLS) for the HTTPS listener.
 */
#include "http_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HH_CERT_DAYS (10 * 365 + 3) /* ten years, leap days included */

/* Maps a GnuTLS error to a negative errno and an errmsg. */
static int tls_fail(int gerr, const char *what, char **errmsg)
{
	*errmsg = hh_asprintf("%s: %s", what, gnutls_strerror(gerr));
	return gerr == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
}

/*
 * Writes data to path atomically (temporary file + rename) with mode.
 * Returns 0 or negative errno with *errmsg.
 */
static int write_file(const char *path, const gnutls_datum_t *data, mode_t mode, char **errmsg)
{
	char *tmp = hh_asprintf("%s.tmp.%ld", path, (long)getpid());
	int fd, rc;
	size_t off = 0;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		*errmsg = hh_asprintf("create %s: %s", tmp, strerror(errno));
		goto err_free;
	}
	/* The umask may have narrowed it; the mode is what we promise. */
	if (fchmod(fd, mode) != 0)
		goto err_errno;
	while (off < data->size) {
		ssize_t n = write(fd, data->data + off, data->size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_errno;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto err_errno;
	if (close(fd) != 0) {
		fd = -1;
		goto err_errno;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto err_errno;
	free(tmp);
	return 0;

err_errno:
	rc = -errno;
	*errmsg = hh_asprintf("write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
err_free:
	free(tmp);
	return rc;
}

/* Adds the host's non-link-local IP addresses as subjectAltName entries. */
static int add_ip_sans(gnutls_x509_crt_t crt)
{
	struct ifaddrs *ifa, *i;
	int rc = 0;

	if (getifaddrs(&ifa) != 0)
		return 0; /* best effort: the DNS name is enough */
	for (i = ifa; i && rc >= 0; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *in = (const void *)i->ifa_addr;
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
								  &in->sin_addr, 4,
								  GNUTLS_FSAN_APPEND);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (const void *)i->ifa_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
				continue;
			rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
								  &in6->sin6_addr, 16,
								  GNUTLS_FSAN_APPEND);
		}
	}
	freeifaddrs(ifa);
	return rc;
}

/*
 * Generates an ECDSA P-256 key and a self-signed server certificate for
 * hostname (CN and DNS subjectAltName, plus the host's IP addresses),
 * valid from an hour ago for ten years. Fills key_pem and crt_pem
 * (gnutls_free them). Returns 0 or negative errno with *errmsg.
 */
static int generate(const char *hostname, gnutls_datum_t *key_pem, gnutls_datum_t *crt_pem,
		    char **errmsg)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	unsigned char serial[16], keyid[64];
	size_t keyid_len = sizeof keyid;
	time_t now = time(NULL);
	int g, rc;

	g = gnutls_x509_privkey_init(&key);
	if (g < 0)
		return tls_fail(g, "privkey_init", errmsg);
	g = gnutls_x509_privkey_generate2(key, GNUTLS_PK_ECDSA,
					  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
					  NULL, 0);
	if (g < 0) {
		rc = tls_fail(g, "generate key", errmsg);
		goto err_key;
	}
	g = gnutls_x509_crt_init(&crt);
	if (g < 0) {
		rc = tls_fail(g, "crt_init", errmsg);
		goto err_key;
	}

	g = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
	serial[0] &= 0x7f; /* a positive INTEGER */
	serial[0] |= 0x01; /* … with no leading zero byte */
	if (g >= 0)
		g = gnutls_x509_crt_set_version(crt, 3);
	if (g >= 0)
		g = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
	if (g >= 0)
		g = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (g >= 0)
		g = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)HH_CERT_DAYS * 86400);
	if (g >= 0)
		g = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, hostname,
						  (unsigned)strlen(hostname));
	if (g >= 0)
		g = gnutls_x509_crt_set_key(crt, key);
	if (g >= 0)
		g = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	if (g >= 0)
		g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (g >= 0)
		g = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (g >= 0)
		g = gnutls_x509_crt_get_key_id(crt, 0, keyid, &keyid_len);
	if (g >= 0)
		g = gnutls_x509_crt_set_subject_key_id(crt, keyid, keyid_len);
	if (g >= 0)
		g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, hostname,
							 (unsigned)strlen(hostname),
							 GNUTLS_FSAN_APPEND);
	if (g >= 0)
		g = add_ip_sans(crt);
	if (g >= 0)
		g = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (g < 0) {
		rc = tls_fail(g, "build certificate", errmsg);
		goto err_crt;
	}

	g = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, key_pem);
	if (g < 0) {
		rc = tls_fail(g, "export key", errmsg);
		goto err_crt;
	}
	g = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, crt_pem);
	if (g < 0) {
		rc = tls_fail(g, "export certificate", errmsg);
		gnutls_memset(key_pem->data, 0, key_pem->size);
		gnutls_free(key_pem->data);
		key_pem->data = NULL;
		goto err_crt;
	}
	rc = 0;

err_crt:
	gnutls_x509_crt_deinit(crt);
err_key:
	gnutls_x509_privkey_deinit(key);
	return rc;
}

int http_ensure_cert(const char *cert_file, const char *key_file, const char *hostname,
		     char **errmsg)
{
	gnutls_datum_t key_pem = { 0 }, crt_pem = { 0 };
	int rc;

	*errmsg = NULL;
	if (!cert_file || !key_file) {
		*errmsg = hh_strdup("certificate and key paths are required");
		return -EINVAL;
	}
	/* Both present: keep them, whatever they hold (the admin's choice). */
	if (access(cert_file, F_OK) == 0 && access(key_file, F_OK) == 0)
		return 0;
	if (!hostname || !*hostname)
		hostname = "localhost";

	rc = generate(hostname, &key_pem, &crt_pem, errmsg);
	if (rc < 0)
		return rc;
	/* One without the other is useless: write both, key first. */
	rc = write_file(key_file, &key_pem, 0600, errmsg);
	if (rc == 0)
		rc = write_file(cert_file, &crt_pem, 0644, errmsg);
	gnutls_memset(key_pem.data, 0, key_pem.size);
	gnutls_free(key_pem.data);
	gnutls_free(crt_pem.data);
	return rc;
}
