/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local accounts: the embedded default's password store, a file of
 * "name:crypt-hash:role" lines (mode 0600) under the state directory, and
 * the PAM check used for system users on an installed host.
 */
#include <crypt.h>
#include <gnutls/crypto.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meta.h"
#include "util.h"
#include "value.h"
#include "xapid.h"

static pthread_mutex_t acc_mu = PTHREAD_MUTEX_INITIALIZER;

struct account {
	char *name, *hash, *role;
};

/* Reads every account; returns the count or negative errno. */
static int load(const char *path, struct account **out)
{
	FILE *f = fopen(path, "re");
	*out = NULL;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	struct account *a = NULL;
	int n = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = 0;
		if (!*line || *line == '#')
			continue;
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = 0;
		a = hx_realloc(a, sizeof(*a) * (size_t)(n + 1));
		a[n].name = hx_strdup(line);
		a[n].hash = hx_strdup(c1 + 1);
		a[n].role = hx_strdup(c2 + 1);
		n++;
	}
	free(line);
	fclose(f);
	*out = a;
	return n;
}

static void free_all(struct account *a, int n)
{
	for (int i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].hash);
		free(a[i].role);
	}
	free(a);
}

/* Writes atomically (temp file + fsync + rename). */
static int store_all(const char *path, struct account *a, int n)
{
	char *tmp = hx_asprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int r = -errno;
		free(tmp);
		return r;
	}
	FILE *f = fdopen(fd, "w");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s:%s:%s\n", a[i].name, a[i].hash, a[i].role);
	int r = fflush(f) ? -errno : 0;
	if (!r && fsync(fd))
		r = -errno;
	fclose(f);
	if (!r && rename(tmp, path))
		r = -errno;
	free(tmp);
	return r;
}

static char *hash_password(const char *pw)
{
	char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (!salt)
		salt = crypt_gensalt_ra("$6$", 0, NULL, 0);
	if (!salt)
		return NULL;
	struct crypt_data *cd = hx_calloc(1, sizeof(*cd));
	char *h = crypt_r(pw, salt, cd);
	char *res = h && h[0] != '*' ? hx_strdup(h) : NULL;
	free(cd);
	free(salt);
	return res;
}

static bool check_hash_slow(const char *pw, const char *hash);

/*
 * A cache of recent successful checks, so that clients logging in often
 * (CloudStack logs in per pool connection, XO re-logs on SESSION_INVALID)
 * do not pay the deliberately slow crypt(3) hash each time. An entry is a
 * salted SHA-256 of the password, bound to the exact stored hash: changing
 * the password changes the hash and so invalidates it.
 */
#define CACHE_SLOTS 64
static struct {
	char *hash;
	unsigned char digest[32];
} cache[CACHE_SLOTS];
static unsigned cache_next;
static unsigned char cache_key[32];
static bool cache_key_set;

static void cache_digest(const char *pw, const char *hash, unsigned char out[32])
{
	size_t lk = sizeof(cache_key), lh = strlen(hash), lp = strlen(pw);
	unsigned char *buf = hx_malloc(lk + lh + 1 + lp);
	memcpy(buf, cache_key, lk);
	memcpy(buf + lk, hash, lh);
	buf[lk + lh] = 0;
	memcpy(buf + lk + lh + 1, pw, lp);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, lk + lh + 1 + lp, out);
	explicit_bzero(buf, lk + lh + 1 + lp);
	free(buf);
}

static bool digest_eq(const unsigned char *a, const unsigned char *b)
{
	unsigned char d = 0;
	for (int i = 0; i < 32; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static bool check_hash(const char *pw, const char *hash)
{
	unsigned char dg[32];
	pthread_mutex_lock(&acc_mu);
	if (!cache_key_set)
		cache_key_set = getrandom(cache_key, sizeof(cache_key), 0) == sizeof(cache_key);
	bool usable = cache_key_set;
	if (usable) {
		cache_digest(pw, hash, dg);
		for (int i = 0; i < CACHE_SLOTS; i++) {
			if (cache[i].hash && !strcmp(cache[i].hash, hash) &&
			    digest_eq(cache[i].digest, dg)) {
				pthread_mutex_unlock(&acc_mu);
				return true;
			}
		}
	}
	pthread_mutex_unlock(&acc_mu);
	bool ok = check_hash_slow(pw, hash);
	if (ok && usable) {
		pthread_mutex_lock(&acc_mu);
		unsigned i = cache_next++ % CACHE_SLOTS;
		free(cache[i].hash);
		cache[i].hash = hx_strdup(hash);
		memcpy(cache[i].digest, dg, sizeof(dg));
		pthread_mutex_unlock(&acc_mu);
	}
	return ok;
}

static bool check_hash_slow(const char *pw, const char *hash)
{
	struct crypt_data *cd = hx_calloc(1, sizeof(*cd));
	char *h = crypt_r(pw, hash, cd);
	bool ok = h && h[0] != '*' && strlen(h) == strlen(hash) && !strcmp(h, hash);
	free(cd);
	return ok;
}

static int role_index(const char *name)
{
	for (int i = 0; i < ROLE__COUNT; i++)
		if (!strcmp(api_role_names[i], name))
			return i;
	return -1;
}

/* Adds or replaces an account. */
int accounts_put(const char *path, const char *user, const char *password, const char *role)
{
	if (!*user || strchr(user, ':') || strchr(user, '\n') || role_index(role) < 0)
		return -EINVAL;
	char *h = hash_password(password);
	if (!h)
		return -EIO;
	pthread_mutex_lock(&acc_mu);
	struct account *a;
	int n = load(path, &a);
	if (n < 0) {
		pthread_mutex_unlock(&acc_mu);
		free(h);
		return n;
	}
	int i;
	for (i = 0; i < n; i++)
		if (!strcmp(a[i].name, user))
			break;
	if (i == n) {
		a = hx_realloc(a, sizeof(*a) * (size_t)(n + 1));
		a[n].name = hx_strdup(user);
		a[n].hash = NULL;
		a[n].role = NULL;
		n++;
	}
	free(a[i].hash);
	free(a[i].role);
	a[i].hash = h;
	a[i].role = hx_strdup(role);
	int r = store_all(path, a, n);
	free_all(a, n);
	pthread_mutex_unlock(&acc_mu);
	return r;
}

int accounts_ensure_root(xapid *app, char **password_out)
{
	struct account *a;
	*password_out = NULL;
	pthread_mutex_lock(&acc_mu);
	int n = load(app->cfg.accounts_file, &a);
	pthread_mutex_unlock(&acc_mu);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (!strcmp(a[i].name, "root")) {
			free_all(a, n);
			return 0;
		}
	}
	free_all(a, n);
	/* A random password, printable and easy to copy. */
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	char pw[17];
	for (size_t i = 0; i < 16; i++)
		pw[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	pw[16] = 0;
	int r = accounts_put(app->cfg.accounts_file, "root", pw, "pool-admin");
	if (r)
		return r;
	*password_out = hx_strdup(pw);
	return 0;
}

int accounts_check(xapid *app, const char *user, const char *password, int *role_out)
{
	struct account *a;
	pthread_mutex_lock(&acc_mu);
	int n = load(app->cfg.accounts_file, &a);
	pthread_mutex_unlock(&acc_mu);
	if (n < 0)
		return n;
	int r = -ENOENT;
	for (int i = 0; i < n; i++) {
		if (strcmp(a[i].name, user))
			continue;
		r = check_hash(password, a[i].hash) ? 0 : -EACCES;
		if (!r && role_out) {
			int ri = role_index(a[i].role);
			*role_out = ri < 0 ? ROLE_READ_ONLY : ri;
		}
		break;
	}
	free_all(a, n);
	return r;
}

int accounts_set_password(xapid *app, const char *user, const char *password)
{
	struct account *a;
	pthread_mutex_lock(&acc_mu);
	int n = load(app->cfg.accounts_file, &a);
	pthread_mutex_unlock(&acc_mu);
	if (n < 0)
		return n;
	char *role = NULL;
	for (int i = 0; i < n; i++)
		if (!strcmp(a[i].name, user))
			role = hx_strdup(a[i].role);
	free_all(a, n);
	if (!role)
		return -ENOENT;
	int r = accounts_put(app->cfg.accounts_file, user, password, role);
	free(role);
	return r;
}

/* ---- PAM ------------------------------------------------------------------ */

struct pam_pw {
	const char *password;
};

static int pam_conv_fn(int n, const struct pam_message **msg, struct pam_response **resp,
		       void *data)
{
	struct pam_pw *pw = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(pw->password);
	}
	*resp = r;
	return PAM_SUCCESS;
}

int pam_check_password(const char *user, const char *password)
{
	struct pam_pw pw = { password };
	struct pam_conv conv = { pam_conv_fn, &pw };
	pam_handle_t *h = NULL;
	int r = pam_start("halyard", user, &conv, &h);
	if (r != PAM_SUCCESS)
		return -EIO;
	r = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(h, PAM_SILENT);
	pam_end(h, r);
	return r == PAM_SUCCESS ? 0 : -EACCES;
}
