/* SPDX-License-Identifier: Apache-2.0 */
/* Authentication of HTTP handler requests (see http_auth.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_auth.h"
#include "meta.h"
#include "util.h"
#include "value.h"
#include "xapid.h"

static int b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *http_base64_decode(const char *in, size_t *len)
{
	size_t n = strlen(in);
	while (n && in[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return NULL;
	char *out = hx_malloc(n / 4 * 3 + 3);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_val((unsigned char)in[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}

/* Basic credentials: the local accounts first, then PAM, as session.c. */
static bool basic_ok(struct xapid *app, const char *hdr, session_view *v)
{
	if (strncasecmp(hdr, "Basic ", 6))
		return false;
	size_t len;
	char *dec = http_base64_decode(hdr + 6, &len);
	if (!dec)
		return false;
	char *colon = memchr(dec, ':', len);
	bool ok = false;
	if (colon && strlen(dec) == len) {
		*colon = '\0';
		const char *user = dec, *pw = colon + 1;
		int role = ROLE_READ_ONLY;
		int r = accounts_check(app, user, pw, &role);
		if (r == -ENOENT && app->cfg.use_pam) {
			r = pam_check_password(user, pw);
			role = ROLE_READ_ONLY;
		}
		if (!r) {
			bool root = !strcmp(user, "root");
			v->user = hx_strdup(user);
			v->role = root ? ROLE_POOL_ADMIN : (enum api_role)role;
			v->local_superuser = root;
			ok = true;
		}
	}
	/* The password must not outlive the check. */
	explicit_bzero(dec, len);
	free(dec);
	return ok;
}

bool http_session_ok(struct xapid *app, http_req *r, session_view *v)
{
	memset(v, 0, sizeof(*v));
	const char *sid = http_query(r, "session_id");
	if (!sid)
		sid = http_cookie(r, "session_id");
	if (sid) {
		xerr *e = sessions_check(app, sid, v);
		if (!e)
			return true;
		xerr_free(e);
		session_view_clear(v);
		memset(v, 0, sizeof(*v));
		return false;
	}
	const char *auth = http_header(r, "Authorization");
	if (auth)
		return basic_ok(app, auth, v);
	if (http_is_unix(r) && http_peer_uid(r) == 0) {
		v->user = hx_strdup("root");
		v->role = ROLE_POOL_ADMIN;
		v->local_superuser = true;
		v->is_local = true;
		return true;
	}
	return false;
}
