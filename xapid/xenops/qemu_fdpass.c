/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files xapid opens for a running QEMU (qemu_fdpass.h).
 *
 * QEMU runs as an unprivileged user (qemu_user.c) and drops to it after
 * start-up, so nothing it is given later may be opened by path: disks
 * hot-plugged, CD media inserted and the overlays of live snapshots are
 * opened here (as root) and handed over with QMP add-fd (SCM_RIGHTS) into
 * an fd set; the blockdev names "/dev/fdset/N" and QEMU dups the fd of
 * the matching access mode. A node that may be reopened read-write gets
 * an O_RDONLY and an O_RDWR fd in its set; a read-only node only O_RDONLY.
 *
 * A qcow2 with a backing chain would make QEMU open each backing file by
 * the name in the header above it: the chain is read here from the
 * headers and given to blockdev-add whole, each layer a node of its own
 * (read-only, its file an fd set), the bottom with "backing": null. An
 * nfs:// qcow2 likewise (qemu-img info per layer): QEMU would open its
 * backing URLs with its own uid, which the export refuses.
 *
 * Each fd carries the node name it belongs to as its "opaque" text; once
 * the nodes of a disk go (unplug, eject, a block-stream that merged layers
 * away) the sets whose node is gone are removed (remove-fd).
 *
 * Taps: netdev_add of a tap by ifname needs CAP_NET_ADMIN, so xapid
 * attaches to the tap itself (/dev/net/tun, TUNSETIFF) and passes the fd
 * with getfd on the connection that then runs netdev_add "fd". (Making
 * the taps owned by the QEMU user, TUNSETOWNER, would let any QEMU, all
 * being one uid, attach to any other VM's tap.)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu_fdpass.h"
#include "qcow2_hdr.h"
#include "qemu_int.h"
#include "qimg.h"
#include "util.h"

#define MAX_CHAIN 64

static bool has_node(json_object *nodes, const char *name);
static void nfs_as_root(json_object *n);

/* ---- add-fd ------------------------------------------------------------------ */

struct fdcall {
	const char *cmd;
	json_object *args;
	int fd;
	json_object *ret;
};

static xerr *cb_fd(xo_domain *d, void *arg)
{
	struct fdcall *c = arg;
	return xo_qemu_qmp_fd(d, c->cmd, c->args, c->fd, &c->ret);
}

/* add-fd of fd (into set *id, or a new one when *id < 0). */
static xerr *add_fd(const char *vm, int fd, const char *opaque, int64_t *id)
{
	json_object *a = json_object_new_object();
	if (*id >= 0)
		json_object_object_add(a, "fdset-id", json_object_new_int64(*id));
	json_object_object_add(a, "opaque", json_object_new_string(opaque));
	struct fdcall c = { "add-fd", a, fd, NULL };
	xerr *e = xenops_with(vm, cb_fd, &c);
	json_object_put(a);
	json_object *v;
	if (!e && *id < 0) {
		if (c.ret && json_object_object_get_ex(c.ret, "fdset-id", &v))
			*id = json_object_get_int64(v);
		else
			e = xerr_new("INTERNAL_ERROR", "QMP add-fd: no fdset-id", NULL);
	}
	json_object_put(c.ret);
	return e;
}

/* Opens path (O_RDONLY, and O_RDWR unless ro) into a new fd set; *id. */
static xerr *pass_file(const char *vm, const char *path, bool ro, const char *opaque, int64_t *id)
{
	*id = -1;
	int modes[2] = { O_RDONLY, O_RDWR };
	for (int i = 0; i < (ro ? 1 : 2); i++) {
		int fd = open(path, modes[i] | O_CLOEXEC);
		if (fd < 0)
			return xerr_newf("INTERNAL_ERROR", "open %s: %s", path, strerror(errno));
		xerr *e = add_fd(vm, fd, opaque, id);
		close(fd);
		if (e)
			return e;
	}
	return NULL;
}

/* ---- the backing chain from qcow2 headers ------------------------------------- */

/* The backing file of the qcow2 at path (heap, made absolute) and its
 * format (heap) when known; both NULL when it has none. */
static xerr *qcow2_backing(const char *path, char **file, char **fmt)
{
	*file = *fmt = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xerr_newf("INTERNAL_ERROR", "open %s: %s", path, strerror(errno));
	unsigned char *buf = hx_malloc(QCOW2_HDR_READ);
	size_t len = 0;
	while (len < QCOW2_HDR_READ) {
		ssize_t n = pread(fd, buf + len, QCOW2_HDR_READ - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	char *name;
	const char *why;
	int r = qcow2_hdr_backing(buf, len, &name, fmt, &why);
	free(buf);
	if (r < 0)
		return xerr_newf("INTERNAL_ERROR", "%s: %s", path, why);
	if (r == 0)
		return NULL;
	if (strstr(name, "://") || !strncmp(name, "json:", 5)) {
		xerr *e = xerr_newf("INTERNAL_ERROR", "%s: backing file %s is not a local file", path, name);
		free(name);
		free(*fmt);
		*fmt = NULL;
		return e;
	}
	if (name[0] == '/') {
		*file = name;
	} else {
		const char *slash = strrchr(path, '/');
		*file = slash ? hx_asprintf("%.*s/%s", (int)(slash - path), path, name) : hx_strdup(name);
		free(name);
	}
	return NULL;
}

/* The format of an image without a recorded one: qcow2 or raw. */
static const char *probe_format(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char m[4];
	bool q = fd >= 0 && pread(fd, m, 4, 0) == 4 && qcow2_hdr_is_qcow2(m, 4);
	if (fd >= 0)
		close(fd);
	return q ? "qcow2" : "raw";
}

static const char *local_path(json_object *file)
{
	json_object *dr, *fn;
	if (!file || !json_object_is_type(file, json_type_object) ||
	    !json_object_object_get_ex(file, "driver", &dr) ||
	    !json_object_object_get_ex(file, "filename", &fn))
		return NULL;
	const char *d = json_object_get_string(dr), *f = json_object_get_string(fn);
	if ((strcmp(d, "file") && strcmp(d, "host_device")) || f[0] != '/' ||
	    !strncmp(f, "/dev/fdset/", 11))
		return NULL;
	return f;
}

/* The nfs:// URL of an nfs protocol node opened after the drop (heap),
 * or NULL (not nfs, or QEMU runs as root and opens the chain itself:
 * only a root QEMU is trusted by the export's root-owned images). */
static char *nfs_url(json_object *file)
{
	json_object *dr, *v, *h, *p;
	if (!xo_qemu_runas() || !file || !json_object_is_type(file, json_type_object) ||
	    !json_object_object_get_ex(file, "driver", &dr) || strcmp(json_object_get_string(dr), "nfs"))
		return NULL;
	if (json_object_object_get_ex(file, "filename", &v)) {
		const char *u = json_object_get_string(v);
		return strncmp(u, "nfs://", 6) ? NULL : hx_strdup(u);
	}
	if (json_object_object_get_ex(file, "server", &v) && json_object_object_get_ex(v, "host", &h) &&
	    json_object_object_get_ex(file, "path", &p))
		return hx_asprintf("nfs://%s%s", json_object_get_string(h), json_object_get_string(p));
	return NULL;
}

/* The backing of the qcow2 at an nfs:// URL and its format (qemu-img
 * info, run by xapid as root); both NULL when it has none. */
static xerr *nfs_backing(const char *url, char **file, char **fmt)
{
	*file = *fmt = NULL;
	qimg_info i;
	xerr *e = qimg_info_get(url, "qcow2", &i);
	if (e)
		return e;
	char *b = i.backing_filename && *i.backing_filename ? hx_strdup(i.backing_filename) : NULL;
	qimg_info_clear(&i);
	if (!b)
		return NULL;
	if (strncmp(b, "nfs://", 6)) {
		if (strstr(b, "://") || !strncmp(b, "json:", 5) || b[0] == '/') {
			e = xerr_newf("INTERNAL_ERROR", "%s: backing file %s is not on the export", url, b);
			free(b);
			return e;
		}
		const char *slash = strrchr(url, '/');
		char *abs = hx_asprintf("%.*s/%s", (int)(slash - url), url, b);
		free(b);
		b = abs;
	}
	qimg_info bi;
	if ((e = qimg_info_get(b, NULL, &bi))) {
		free(b);
		return e;
	}
	*file = b;
	*fmt = bi.format ? hx_strdup(bi.format) : NULL;
	qimg_info_clear(&bi);
	return NULL;
}

/* The protocol node of a local layer: file, or host_device for a block
 * device (an LVM SR's layers are logical volumes). */
static json_object *local_node(const char *path)
{
	struct stat st;
	bool blk = !stat(path, &st) && S_ISBLK(st.st_mode);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "driver", json_object_new_string(blk ? "host_device" : "file"));
	json_object_object_add(o, "filename", json_object_new_string(path));
	return o;
}

/* The protocol node of nfs://HOST/PATH (blockdev-add takes no URL). */
static json_object *nfs_node(const char *url)
{
	const char *h = url + 6, *p = strchr(h, '/');
	if (!p)
		p = h + strlen(h);
	const char *q = strchr(p, '?');
	json_object *srv = json_object_new_object();
	json_object_object_add(srv, "type", json_object_new_string("inet"));
	json_object_object_add(srv, "host", json_object_new_string_len(h, (int)(p - h)));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "driver", json_object_new_string("nfs"));
	json_object_object_add(o, "server", srv);
	json_object_object_add(o, "path", json_object_new_string_len(p, (int)(q ? q - p : (ptrdiff_t)strlen(p))));
	return o;
}

/* Gives every qcow2 node in the tree at n (a blockdev-add format node)
 * whose backing is not spelled out its chain from the headers; nodes
 * get names root-bK (K: depth). */
static xerr *expand_chain(const char *vm, json_object *n, const char *root, int depth)
{
	if (!n || !json_object_is_type(n, json_type_object))
		return NULL;
	if (depth > MAX_CHAIN)
		return xerr_new("INTERNAL_ERROR", "backing chain too long", NULL);
	json_object *dr, *file, *b;
	if (depth > 0 && !json_object_object_get_ex(n, "node-name", NULL)) {
		char *nm = hx_asprintf("%.20s-b%d", root, depth);
		json_object_object_add(n, "node-name", json_object_new_string(nm));
		free(nm);
	}
	if (json_object_object_get_ex(n, "backing", &b))
		return expand_chain(vm, b, root, depth + 1);
	if (!json_object_object_get_ex(n, "driver", &dr) || strcmp(json_object_get_string(dr), "qcow2") ||
	    !json_object_object_get_ex(n, "file", &file))
		return NULL;
	const char *path = local_path(file);
	char *url = path ? NULL : nfs_url(file);
	if (!path && !url)
		return NULL; /* another network protocol: QEMU opens its chain itself */
	char *bfile, *bfmt;
	xerr *e = path ? qcow2_backing(path, &bfile, &bfmt) : nfs_backing(url, &bfile, &bfmt);
	free(url);
	if (e)
		return e;
	if (!bfile) {
		json_object_object_add(n, "backing", NULL); /* JSON null: the bottom */
		return NULL;
	}
	json_object *bn = json_object_new_object();
	char *bname = hx_asprintf("%.20s-b%d", root, depth + 1);
	json_object_object_add(bn, "node-name", json_object_new_string(bname));
	json_object_object_add(bn, "driver", json_object_new_string(bfmt ? bfmt : probe_format(bfile)));
	json_object_object_add(bn, "read-only", json_object_new_boolean(true));
	json_object_object_add(bn, "file", path ? local_node(bfile) : nfs_node(bfile));
	free(bfile);
	free(bfmt);
	if (path) { /* nested: file.filename tells QEMU not to use the header's name */
		json_object_object_add(n, "backing", bn);
		free(bname);
		return expand_chain(vm, bn, root, depth + 1);
	}
	/* nfs: a nested node without file.filename would get the header's
	 * name as well (and QEMU refuses both); each layer is added on its
	 * own, bottom first, and referenced by name. */
	e = expand_chain(vm, bn, root, depth + 1);
	if (!e) {
		json_object *f;
		if (json_object_object_get_ex(bn, "file", &f))
			nfs_as_root(f);
		e = xo_vm_qmp(vm, "blockdev-add", bn, NULL);
	} else {
		json_object_put(bn);
	}
	if (!e)
		json_object_object_add(n, "backing", json_object_new_string(bname));
	free(bname);
	return e;
}

/* An nfs node opened after the drop: libnfs would speak AUTH_SYS with
 * QEMU's own uid, which the export's root-owned images refuse; the node's
 * user/group keep the identity a root QEMU had. */
static void nfs_as_root(json_object *n)
{
	json_object *dr;
	if (!xo_qemu_runas() || !json_object_object_get_ex(n, "driver", &dr) ||
	    strcmp(json_object_get_string(dr), "nfs"))
		return;
	if (!json_object_object_get_ex(n, "user", NULL))
		json_object_object_add(n, "user", json_object_new_int64(0));
	if (!json_object_object_get_ex(n, "group", NULL))
		json_object_object_add(n, "group", json_object_new_int64(0));
}

/* Replaces each local file under format node n by an fd set. */
static xerr *pass_files(const char *vm, json_object *n, const char *owner, bool ro_above, int depth)
{
	if (!n || !json_object_is_type(n, json_type_object) || depth > 2 * MAX_CHAIN)
		return NULL;
	json_object *v;
	bool ro = ro_above;
	if (json_object_object_get_ex(n, "read-only", &v) && json_object_get_boolean(v))
		ro = true;
	const char *name = owner;
	if (json_object_object_get_ex(n, "node-name", &v))
		name = json_object_get_string(v);
	const char *path = local_path(n);
	if (path) {
		int64_t id;
		xerr *e = pass_file(vm, path, ro, name, &id);
		if (e)
			return e;
		char *fs = hx_asprintf("/dev/fdset/%lld", (long long)id);
		json_object_object_add(n, "filename", json_object_new_string(fs));
		free(fs);
		return NULL;
	}
	nfs_as_root(n);
	xerr *e = NULL;
	if (json_object_object_get_ex(n, "file", &v))
		e = pass_files(vm, v, name, ro, depth + 1);
	/* A backing node is read-only whatever its own flag says. */
	if (!e && json_object_object_get_ex(n, "backing", &v))
		e = pass_files(vm, v, name, true, depth + 1);
	return e;
}

xerr *xo_fdpass_blockdev(const char *vm_uuid, json_object *node)
{
	json_object *v;
	const char *name = json_object_object_get_ex(node, "node-name", &v) ? json_object_get_string(v) : "";
	xerr *e = expand_chain(vm_uuid, node, name, 0);
	if (!e)
		e = pass_files(vm_uuid, node, name, false, 0);
	if (e && *name)
		xo_fdpass_forget(vm_uuid, name);
	return e;
}

void xo_fdpass_forget(const char *vm_uuid, const char *node)
{
	/* Layers added on their own (node-bK), upper first. */
	json_object *fa = json_object_new_object(), *nodes = NULL;
	json_object_object_add(fa, "flat", json_object_new_boolean(true));
	xerr *e = xo_vm_qmp(vm_uuid, "query-named-block-nodes", fa, &nodes);
	xerr_free(e);
	char *pre = hx_asprintf("%s-b", node);
	for (int k = 1; nodes && k <= MAX_CHAIN + 1; k++) {
		char *nm = hx_asprintf("%s%d", pre, k);
		if (has_node(nodes, nm)) {
			json_object *a = json_object_new_object();
			json_object_object_add(a, "node-name", json_object_new_string(nm));
			xerr_free(xo_vm_qmp(vm_uuid, "blockdev-del", a, NULL));
		}
		free(nm);
	}
	free(pre);
	json_object_put(nodes);
	xo_fdpass_prune(vm_uuid, node); /* sets that no node uses */
}

/* ---- pruning -------------------------------------------------------------------- */

static bool has_node(json_object *nodes, const char *name)
{
	size_t len = nodes && json_object_is_type(nodes, json_type_array) ? json_object_array_length(nodes) : 0;
	for (size_t i = 0; i < len; i++) {
		json_object *nn;
		if (json_object_object_get_ex(json_object_array_get_idx(nodes, i), "node-name", &nn) &&
		    !strcmp(json_object_get_string(nn), name))
			return true;
	}
	return false;
}

void xo_fdpass_prune(const char *vm_uuid, const char *prefix)
{
	json_object *sets = NULL, *nodes = NULL;
	json_object *fa = json_object_new_object();
	json_object_object_add(fa, "flat", json_object_new_boolean(true));
	xerr *e = xo_vm_qmp(vm_uuid, "query-named-block-nodes", fa, &nodes);
	if (!e)
		e = xo_vm_qmp(vm_uuid, "query-fdsets", NULL, &sets);
	if (e) {
		xerr_free(e);
		json_object_put(nodes);
		json_object_put(sets);
		return;
	}
	size_t pl = strlen(prefix);
	size_t len = sets && json_object_is_type(sets, json_type_array) ? json_object_array_length(sets) : 0;
	for (size_t i = 0; i < len; i++) {
		json_object *s = json_object_array_get_idx(sets, i), *id, *fds;
		if (!json_object_object_get_ex(s, "fdset-id", &id) || !json_object_object_get_ex(s, "fds", &fds))
			continue;
		bool gone = false;
		size_t nf = json_object_is_type(fds, json_type_array) ? json_object_array_length(fds) : 0;
		for (size_t k = 0; k < nf && !gone; k++) {
			json_object *op;
			if (!json_object_object_get_ex(json_object_array_get_idx(fds, k), "opaque", &op))
				continue;
			const char *o = json_object_get_string(op);
			gone = !strncmp(o, prefix, pl) && !has_node(nodes, o);
		}
		if (!gone)
			continue;
		json_object *ra = json_object_new_object();
		json_object_object_add(ra, "fdset-id", json_object_new_int64(json_object_get_int64(id)));
		xerr_free(xo_vm_qmp(vm_uuid, "remove-fd", ra, NULL));
	}
	json_object_put(nodes);
	json_object_put(sets);
}

/* ---- taps ------------------------------------------------------------------------ */

struct tapcall {
	int fd;
	const char *fdname;
	json_object *netdev;
};

static xerr *cb_tap(xo_domain *d, void *arg)
{
	struct tapcall *c = arg;
	bool had = xo_qemu_qmp_held(d);
	if (!had)
		xo_qemu_qmp_hold(d);
	if (!xo_qemu_qmp_held(d))
		return xerr_new("INTERNAL_ERROR", "QMP: cannot connect to pass the tap", NULL);
	json_object *g = json_object_new_object();
	json_object_object_add(g, "fdname", json_object_new_string(c->fdname));
	xerr *e = xo_qemu_qmp_fd(d, "getfd", g, c->fd, NULL);
	json_object_put(g);
	if (!e) {
		e = xo_qemu_qmp(d, "netdev_add", c->netdev, NULL);
		if (e) { /* netdev_add did not take it */
			json_object *cl = json_object_new_object();
			json_object_object_add(cl, "fdname", json_object_new_string(c->fdname));
			xerr_free(xo_qemu_qmp(d, "closefd", cl, NULL));
			json_object_put(cl);
		}
	}
	if (!had)
		xo_qemu_qmp_release(d);
	return e;
}

xerr *xo_fdpass_netdev_tap(const char *vm_uuid, const char *ifname, json_object *netdev)
{
	if (!ifname || strlen(ifname) >= IFNAMSIZ) {
		json_object_put(netdev);
		return xerr_new("INTERNAL_ERROR", "bad tap name", NULL);
	}
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		json_object_put(netdev);
		return xerr_newf("INTERNAL_ERROR", "/dev/net/tun: %s", strerror(errno));
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	/* What QEMU's own tap open asks for: a tap with virtio-net headers. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		xerr *e = xerr_newf("INTERNAL_ERROR", "TUNSETIFF %s: %s", ifname, strerror(errno));
		close(fd);
		json_object_put(netdev);
		return e;
	}
	json_object *id;
	char fdname[48];
	snprintf(fdname, sizeof(fdname), "tap-%s",
		 json_object_object_get_ex(netdev, "id", &id) ? json_object_get_string(id) : "x");
	json_object_object_add(netdev, "fd", json_object_new_string(fdname));
	struct tapcall c = { fd, fdname, netdev };
	xerr *e = xenops_with(vm_uuid, cb_tap, &c);
	close(fd);
	json_object_put(netdev);
	return e;
}

/* ---- file names ---------------------------------------------------------------- */

char *xo_fdpass_resolve(const char *vm_uuid, const char *filename)
{
	static const char pre[] = "/dev/fdset/";
	if (strncmp(filename, pre, sizeof(pre) - 1))
		return hx_strdup(filename);
	char *end = NULL;
	long long id = strtoll(filename + sizeof(pre) - 1, &end, 10);
	if (!end || *end || id < 0)
		return NULL;
	json_object *sets = NULL;
	xerr *e = xo_vm_qmp(vm_uuid, "query-fdsets", NULL, &sets);
	if (e) {
		xerr_free(e);
		return NULL;
	}
	int64_t fd = -1;
	size_t n = json_object_is_type(sets, json_type_array) ? json_object_array_length(sets) : 0;
	for (size_t i = 0; i < n && fd < 0; i++) {
		json_object *set = json_object_array_get_idx(sets, i), *sid, *fds, *f;
		if (!json_object_object_get_ex(set, "fdset-id", &sid) || json_object_get_int64(sid) != id ||
		    !json_object_object_get_ex(set, "fds", &fds) ||
		    !json_object_is_type(fds, json_type_array) || json_object_array_length(fds) == 0)
			continue;
		if (json_object_object_get_ex(json_object_array_get_idx(fds, 0), "fd", &f))
			fd = json_object_get_int64(f);
	}
	json_object_put(sets);
	pid_t pid = xo_vm_pid(vm_uuid);
	if (fd < 0 || pid <= 0)
		return NULL;
	char link[64], buf[4096];
	snprintf(link, sizeof(link), "/proc/%d/fd/%lld", (int)pid, (long long)fd);
	ssize_t len = readlink(link, buf, sizeof(buf) - 1);
	if (len <= 0)
		return NULL;
	buf[len] = '\0';
	return hx_strdup(buf);
}
