/* SPDX-License-Identifier: Apache-2.0 */
/* Authentication of HTTP handler requests (see http_auth.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_auth.h"
#include "meta.h"
#include "strbuf.h"
#include "util.h"
#include "value.h"
#include "xapid.h"

char *http_base64_decode(const char *in, size_t *len)
{
	strbuf b = STRBUF_INIT;
	if (hx_base64_decode(in, strlen(in), &b)) {
		sb_free(&b);
		return NULL;
	}
	return sb_steal(&b, len);
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
