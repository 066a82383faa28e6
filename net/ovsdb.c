/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OVSDB JSON-RPC client (see ovsdb.h). Messages are JSON texts back to
 * back on the stream; a json_tokener parses them incrementally, so a read
 * may end mid-message or hold several.
 */
#include "ovsdb.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_TIMEOUT_MS 30000
#define MSG_MAX (64u << 20)

struct ovsdb {
	pthread_mutex_t lock;
	char *path;
	int fd;
	int64_t next_id;
	json_tokener *tok;
	size_t msg_bytes; /* bytes fed into the current message */
	/* Bytes read but not parsed yet (a read may hold several messages,
	 * or a reply followed by notifications). */
	char in[16384];
	size_t have, off;
	/* The monitor cache (ovsdb_monitor): spec {table: [columns]} and
	 * {table: {uuid: row}}; rows are never changed in place. */
	json_object *mon_spec;
	json_object *kinds; /* set/map/atom of each monitored column */
	json_object *cache;
	bool stale; /* an update did not apply: reload */
	unsigned generation;
};

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int ovsdb_open(const char *path, ovsdb **out)
{
	int fd = connect_unix(path);
	if (fd < 0)
		return fd;
	ovsdb *db = calloc(1, sizeof(*db));
	if (!db) {
		close(fd);
		return -ENOMEM;
	}
	pthread_mutex_init(&db->lock, NULL);
	db->path = strdup(path);
	db->fd = fd;
	db->next_id = 1;
	db->tok = json_tokener_new_ex(64);
	if (!db->path || !db->tok) {
		ovsdb_close(db);
		return -ENOMEM;
	}
	*out = db;
	return 0;
}

ovsdb *ovsdb_close(ovsdb *db)
{
	if (!db)
		return NULL;
	if (db->fd >= 0)
		close(db->fd);
	if (db->tok)
		json_tokener_free(db->tok);
	json_object_put(db->mon_spec);
	json_object_put(db->kinds);
	json_object_put(db->cache);
	pthread_mutex_destroy(&db->lock);
	free(db->path);
	free(db);
	return NULL;
}

static char *dupf(const char *fmt, const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, fmt, a ? a : "", b ? b : "") < 0)
		return NULL;
	return s;
}

int ovsdb_check_reply(json_object *msg, int64_t id, json_object **result, char **err)
{
	if (!json_object_is_type(msg, json_type_object))
		return -EBADMSG;
	json_object *jid = NULL, *res = NULL, *error = NULL;
	json_object_object_get_ex(msg, "id", &jid);
	json_object_object_get_ex(msg, "result", &res);
	json_object_object_get_ex(msg, "error", &error);
	if (json_object_object_get_ex(msg, "method", NULL))
		return -EAGAIN; /* a request or notification from the server */
	if (!json_object_is_type(jid, json_type_int) || json_object_get_int64(jid) != id)
		return -EAGAIN;
	if (error && !json_object_is_type(error, json_type_null)) {
		if (err)
			*err = dupf("ovsdb error: %s%s", json_object_to_json_string(error), "");
		return -EPROTO;
	}
	if (!res)
		return -EBADMSG;
	/* A transact result: one element per operation (+ one for the
	 * commit); any of them may be {"error": …, "details": …}. */
	if (json_object_is_type(res, json_type_array)) {
		size_t n = json_object_array_length(res);
		for (size_t i = 0; i < n; i++) {
			json_object *el = json_object_array_get_idx(res, i), *e = NULL, *d = NULL;
			if (!json_object_is_type(el, json_type_object) ||
			    !json_object_object_get_ex(el, "error", &e) ||
			    json_object_is_type(e, json_type_null))
				continue;
			json_object_object_get_ex(el, "details", &d);
			if (err)
				*err = dupf("ovsdb: %s: %s", json_object_get_string(e),
					    d ? json_object_get_string(d) : "");
			return -EPROTO;
		}
	}
	if (result)
		*result = json_object_get(res);
	return 0;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Answers an "echo" request (keeps the connection alive). */
static void answer_echo(ovsdb *db, json_object *msg)
{
	json_object *m = NULL, *id = NULL, *params = NULL;
	if (!json_object_object_get_ex(msg, "method", &m) ||
	    strcmp(json_object_get_string(m), "echo") ||
	    !json_object_object_get_ex(msg, "id", &id))
		return;
	json_object_object_get_ex(msg, "params", &params);
	json_object *r = json_object_new_object();
	json_object_object_add(r, "id", json_object_get(id));
	json_object_object_add(r, "result", params ? json_object_get(params) :
						      json_object_new_array());
	json_object_object_add(r, "error", NULL);
	const char *s = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
	(void)write_all(db->fd, s, strlen(s));
	json_object_put(r);
}

/*
 * The next message from the server into *msg: 0; -EAGAIN when none is
 * complete and timeout_ms is 0 (a partial message stays in the tokener);
 * -ETIMEDOUT, -errno or -EBADMSG when the stream is unusable.
 */
static int read_msg(ovsdb *db, int timeout_ms, json_object **msg, char **err)
{
	for (;;) {
		if (db->off == db->have) {
			struct pollfd p = { .fd = db->fd, .events = POLLIN };
			int pr = poll(&p, 1, timeout_ms);
			if (pr == 0)
				return timeout_ms ? -ETIMEDOUT : -EAGAIN;
			if (pr < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			ssize_t r = recv(db->fd, db->in, sizeof(db->in), 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (r == 0)
				return -ECONNRESET;
			db->have = (size_t)r;
			db->off = 0;
		}
		/* Whitespace between messages. */
		while (db->off < db->have &&
		       (db->in[db->off] == ' ' || db->in[db->off] == '\n' ||
			db->in[db->off] == '\r' || db->in[db->off] == '\t'))
			db->off++;
		if (db->off == db->have)
			continue;
		size_t len = db->have - db->off;
		json_object *m = json_tokener_parse_ex(db->tok, db->in + db->off, (int)len);
		enum json_tokener_error je = json_tokener_get_error(db->tok);
		size_t used = json_tokener_get_parse_end(db->tok);
		if (je == json_tokener_continue) {
			db->msg_bytes += len;
			db->off = db->have;
			if (db->msg_bytes > MSG_MAX)
				return -EMSGSIZE;
			continue;
		}
		db->msg_bytes = 0;
		json_tokener_reset(db->tok);
		if (je != json_tokener_success || !m) {
			if (err && !*err)
				*err = dupf("ovsdb: bad JSON from the server: %s%s",
					    json_tokener_error_desc(je), "");
			return -EBADMSG;
		}
		db->off += used;
		*msg = m;
		return 0;
	}
}

/* A message that is not the reply awaited: an echo request (answered),
 * a monitor update (applied to the cache), anything else (dropped). */
static void dispatch(ovsdb *db, json_object *msg)
{
	json_object *m = NULL, *params = NULL;
	if (!json_object_object_get_ex(msg, "method", &m) ||
	    !json_object_is_type(m, json_type_string))
		return;
	const char *name = json_object_get_string(m);
	if (!strcmp(name, "echo")) {
		answer_echo(db, msg);
		return;
	}
	if (strcmp(name, "update2") || !db->cache ||
	    !json_object_object_get_ex(msg, "params", &params) ||
	    !json_object_is_type(params, json_type_array) ||
	    json_object_array_length(params) != 2)
		return;
	if (ovsdb_cache_apply2(db->cache, db->kinds, json_object_array_get_idx(params, 1)))
		db->stale = true; /* reload at the next lookup */
}

/* Reads messages until the reply to id; see ovsdb_check_reply. */
static int read_reply(ovsdb *db, int64_t id, json_object **result, char **err)
{
	for (;;) {
		json_object *msg = NULL;
		int r = read_msg(db, REPLY_TIMEOUT_MS, &msg, err);
		if (r)
			return r;
		r = ovsdb_check_reply(msg, id, result, err);
		if (r == -EAGAIN) {
			dispatch(db, msg);
			json_object_put(msg);
			continue;
		}
		json_object_put(msg);
		return r;
	}
}

/* Applies every notification already received. */
static int sync_locked(ovsdb *db, char **err)
{
	for (;;) {
		json_object *msg = NULL;
		int r = read_msg(db, 0, &msg, err);
		if (r == -EAGAIN)
			return 0;
		if (r)
			return r;
		dispatch(db, msg);
		json_object_put(msg);
	}
}

static void drop_conn(ovsdb *db)
{
	if (db->fd >= 0)
		close(db->fd);
	db->fd = -1;
	json_tokener_reset(db->tok);
	db->msg_bytes = 0;
	db->have = db->off = 0;
}

/* Sends one request (params not taken) and reads its reply. */
static int call(ovsdb *db, const char *method, json_object *params, json_object **result,
		char **err)
{
	int64_t id = db->next_id++;
	json_object *req = json_object_new_object();
	json_object_object_add(req, "method", json_object_new_string(method));
	json_object_object_add(req, "params", json_object_get(params));
	json_object_object_add(req, "id", json_object_new_int64(id));
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	int r = db->fd >= 0 ? write_all(db->fd, s, strlen(s)) : -ENOTCONN;
	if (!r)
		r = read_reply(db, id, result, err);
	json_object_put(req);
	return r;
}

/*
 * Issues the monitor request on a new connection and loads the cache
 * afresh from its initial contents. monitor_cond (update2): a change to
 * a row sends only the columns that changed, and for a set (a bridge's
 * ports) only the elements added or removed, not the whole set again;
 * the schema says which columns are sets and maps.
 */
static int load_monitor(ovsdb *db, char **err)
{
	json_object *sp = json_object_new_array(), *schema = NULL;
	json_object_array_add(sp, json_object_new_string("Open_vSwitch"));
	int r = call(db, "get_schema", sp, &schema, err);
	json_object_put(sp);
	if (r)
		return r;
	json_object *kinds = ovsdb_column_kinds(schema, db->mon_spec);
	json_object_put(schema);
	json_object_put(db->kinds);
	db->kinds = kinds;
	json_object *params = json_object_new_array();
	json_object_array_add(params, json_object_new_string("Open_vSwitch"));
	json_object_array_add(params, json_object_new_string("hx"));
	json_object *reqs = json_object_new_object();
	json_object *cache = json_object_new_object();
	json_object_object_foreach(db->mon_spec, table, cols)
	{
		json_object *req = json_object_new_object();
		json_object_object_add(req, "columns", json_object_get(cols));
		json_object_object_add(reqs, table, req);
		json_object_object_add(cache, table, json_object_new_object());
	}
	json_object_array_add(params, reqs);
	json_object *res = NULL;
	r = call(db, "monitor_cond", params, &res, err);
	json_object_put(params);
	if (!r && (r = ovsdb_cache_apply2(cache, db->kinds, res)) && err && !*err)
		*err = dupf("ovsdb: bad monitor reply%s%s", "", "");
	json_object_put(res);
	if (r) {
		json_object_put(cache);
		return r;
	}
	json_object_put(db->cache);
	db->cache = cache;
	db->stale = false;
	db->generation++;
	return 0;
}

/* A new connection; with a monitor, a new cache too. */
static int reconnect(ovsdb *db, char **err)
{
	drop_conn(db);
	db->fd = connect_unix(db->path);
	if (db->fd < 0)
		return db->fd;
	if (db->mon_spec) {
		int r = load_monitor(db, err);
		if (r) {
			drop_conn(db);
			return r;
		}
	}
	return 0;
}

int ovsdb_transact(ovsdb *db, json_object *ops, json_object **result, char **err)
{
	if (err)
		*err = NULL;
	if (result)
		*result = NULL;
	json_object *params = json_object_new_array();
	json_object_array_add(params, json_object_new_string("Open_vSwitch"));
	size_t n = json_object_array_length(ops);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(params, json_object_get(json_object_array_get_idx(ops, i)));
	json_object_put(ops);
	pthread_mutex_lock(&db->lock);
	int r = db->fd >= 0 ? sync_locked(db, NULL) : -ENOTCONN;
	if (!r)
		r = call(db, "transact", params, result, err);
	if (r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN) {
		/* The server restarted: one new connection (and a fresh cache),
		 * one retry. */
		if (err) {
			free(*err);
			*err = NULL;
		}
		if (!(r = reconnect(db, err)))
			r = call(db, "transact", params, result, err);
	}
	if (r && r != -EPROTO) {
		/* The stream's state is unknown now: start afresh next time. */
		drop_conn(db);
		if (err && !*err)
			*err = dupf("ovsdb: %s%s", strerror(-r), "");
	}
	pthread_mutex_unlock(&db->lock);
	json_object_put(params);
	return r;
}

int ovsdb_monitor(ovsdb *db, json_object *spec, char **err)
{
	if (err)
		*err = NULL;
	pthread_mutex_lock(&db->lock);
	json_object_put(db->mon_spec);
	db->mon_spec = spec;
	/* A connection of its own for the monitor from now on. */
	int r = reconnect(db, err);
	pthread_mutex_unlock(&db->lock);
	return r;
}

/* The cache brought up to date: pending notifications applied, a lost
 * connection re-made and the cache reloaded. */
static int fresh_locked(ovsdb *db)
{
	if (!db->mon_spec)
		return -ENOENT;
	int r = db->fd >= 0 && db->cache && !db->stale ? sync_locked(db, NULL) : -ENOTCONN;
	if (r || db->stale)
		r = reconnect(db, NULL);
	return r;
}

int ovsdb_sync(ovsdb *db)
{
	pthread_mutex_lock(&db->lock);
	int r = fresh_locked(db);
	pthread_mutex_unlock(&db->lock);
	return r;
}

unsigned ovsdb_generation(ovsdb *db)
{
	pthread_mutex_lock(&db->lock);
	unsigned g = db->generation;
	pthread_mutex_unlock(&db->lock);
	return g;
}

json_object *ovsdb_table(ovsdb *db, const char *table, int *rc)
{
	pthread_mutex_lock(&db->lock);
	int r = fresh_locked(db);
	json_object *t = NULL, *copy = NULL;
	if (!r && json_object_object_get_ex(db->cache, table, &t)) {
		copy = json_object_new_object();
		json_object_object_foreach(t, uuid, row)
			json_object_object_add(copy, uuid, json_object_get(row));
	} else if (!r) {
		r = -ENOENT;
	}
	pthread_mutex_unlock(&db->lock);
	if (rc)
		*rc = r;
	return copy;
}

json_object *ovsdb_row(ovsdb *db, const char *table, const char *uuid)
{
	pthread_mutex_lock(&db->lock);
	json_object *t = NULL, *row = NULL;
	if (!fresh_locked(db) && json_object_object_get_ex(db->cache, table, &t))
		json_object_object_get_ex(t, uuid, &row);
	json_object_get(row);
	pthread_mutex_unlock(&db->lock);
	return row;
}

json_object *ovsdb_find(ovsdb *db, const char *table, const char *col, const char *val,
			char **uuid, int *rc)
{
	pthread_mutex_lock(&db->lock);
	int r = fresh_locked(db);
	json_object *t = NULL, *found = NULL;
	if (uuid)
		*uuid = NULL;
	if (!r && json_object_object_get_ex(db->cache, table, &t)) {
		json_object_object_foreach(t, u, row)
		{
			json_object *v = NULL;
			if (json_object_object_get_ex(row, col, &v) &&
			    json_object_is_type(v, json_type_string) &&
			    !strcmp(json_object_get_string(v), val)) {
				found = json_object_get(row);
				if (uuid)
					*uuid = strdup(u);
				break;
			}
		}
	} else if (!r) {
		r = -ENOENT;
	}
	pthread_mutex_unlock(&db->lock);
	if (rc)
		*rc = r;
	return found;
}

json_object *ovsdb_named(const char *name)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("named-uuid"));
	json_object_array_add(a, json_object_new_string(name));
	return a;
}

json_object *ovsdb_uuid(const char *uuid)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("uuid"));
	json_object_array_add(a, json_object_new_string(uuid));
	return a;
}

json_object *ovsdb_set1(json_object *elem)
{
	json_object *a = json_object_new_array(), *l = json_object_new_array();
	json_object_array_add(a, json_object_new_string("set"));
	if (elem)
		json_object_array_add(l, elem);
	json_object_array_add(a, l);
	return a;
}

json_object *ovsdb_map(const char *const *kv)
{
	json_object *a = json_object_new_array(), *l = json_object_new_array();
	json_object_array_add(a, json_object_new_string("map"));
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
		json_object *p = json_object_new_array();
		json_object_array_add(p, json_object_new_string(kv[i]));
		json_object_array_add(p, json_object_new_string(kv[i + 1]));
		json_object_array_add(l, p);
	}
	json_object_array_add(a, l);
	return a;
}

json_object *ovsdb_where_eq(const char *col, json_object *val)
{
	json_object *w = json_object_new_array(), *c = json_object_new_array();
	json_object_array_add(c, json_object_new_string(col));
	json_object_array_add(c, json_object_new_string("=="));
	json_object_array_add(c, val);
	json_object_array_add(w, c);
	return w;
}

const char *ovsdb_row_uuid(json_object *op_result, size_t row)
{
	json_object *rows = NULL, *u = NULL;
	if (!json_object_is_type(op_result, json_type_object) ||
	    !json_object_object_get_ex(op_result, "rows", &rows) ||
	    !json_object_is_type(rows, json_type_array) || json_object_array_length(rows) <= row)
		return NULL;
	json_object *r = json_object_array_get_idx(rows, row);
	if (!json_object_object_get_ex(r, "_uuid", &u) ||
	    !json_object_is_type(u, json_type_array) || json_object_array_length(u) != 2)
		return NULL;
	json_object *v = json_object_array_get_idx(u, 1);
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}
