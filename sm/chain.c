/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/chain: one image per VDI in a directory reached through sm_fsops,
 * snapshots and clones as qcow2 backing chains, and the coalescing GC.
 * The layout and the algorithms are described in chain.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "intent.h"
#include "qimg.h"
#include "util.h"

#define MARKER ".halyard-sr"
#define TMP_PREFIX ".tmp-"
/* ".intent-<location>": "<old top name>\n<base name>\n", written before an
 * offline snapshot/clone renames the VDI's top away; see sm_chain_sr_attach. */
#define INTENT_PREFIX ".intent-"
/* First lines of the intents of operations on an image a running consumer
 * has open (chain.h): left by sm_chain_sr_attach for sm_chain_sr_recover
 * (live snapshot: needs xapid's record and the consumer) or handled there
 * (live merge: needs the images only). */
#define LIVE_SNAP "live-snapshot"
#define LIVE_MERGE "live-merge"

/* ---- names -------------------------------------------------------------- */

static bool valid_location(const char *loc)
{
	char *name = hx_asprintf("%s.raw", loc ? loc : "");
	bool ok = sm_image_name_parse(name, NULL, NULL, NULL);
	free(name);
	return ok;
}

/* Finds the image of location: its file name (heap) and format. */
static int find_image(sm_chain *c, const char *loc, char **name, const char **fmt)
{
	static const char *const fmts[] = { "qcow2", "raw" };
	if (!valid_location(loc))
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		char *n = hx_asprintf("%s.%s", loc, fmts[i]);
		int64_t sz, al;
		if (c->ops->stat(c->fs, n, &sz, &al) == 0) {
			*name = n;
			*fmt = fmts[i];
			return 0;
		}
		free(n);
	}
	return -ENOENT;
}

/* The filename QEMU tools use for an entry (heap). */
static char *fname(sm_chain *c, const char *name)
{
	sm_open o = { 0 };
	if (c->ops->open_spec(c->fs, name, &o) < 0) {
		sm_open_clear(&o);
		return NULL;
	}
	char *f = o.filename;
	o.filename = NULL;
	sm_open_clear(&o);
	return f;
}

/* Makes a file built under a .tmp name durable before its rename. */
static int sync_name(sm_chain *c, const char *name)
{
	return c->ops->sync ? c->ops->sync(c->fs, name) : 0;
}

static xerr *no_vdi(const char *loc)
{
	return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "no VDI at location %s", loc ? loc : "");
}

/* What to write as the backing file name of image `name` (heap). */
static char *backing_ref(sm_chain *c, const char *name)
{
	return c->ops->backing_ref ? c->ops->backing_ref(c->fs, name) : hx_strdup(name);
}

/* The basename of a backing file name, made into a location; NULL when it
 * is not one of ours. */
static char *backing_loc(const char *backing)
{
	if (!backing || !*backing)
		return NULL;
	const char *b = strrchr(backing, '/');
	b = b ? b + 1 : backing;
	char *loc = NULL;
	if (!sm_image_name_parse(b, &loc, NULL, NULL))
		return NULL;
	return loc;
}

/* Fills info for the image file name (location loc, format fmt). */
static xerr *stat_image(sm_chain *c, const char *name, const char *loc,
                        const char *fmt, bool hidden, sm_vdi_info *out)
{
	memset(out, 0, sizeof(*out));
	int64_t sz = 0, al = 0;
	int r = c->ops->stat(c->fs, name, &sz, &al);
	if (r < 0)
		return no_vdi(loc);
	out->location = hx_strdup(loc);
	out->format = hx_strdup(fmt);
	out->hidden = hidden;
	out->physical_utilisation = al;
	if (!hidden)
		out->uuid = hx_strndup(loc, 36);
	if (strcmp(fmt, "raw") == 0) {
		out->virtual_size = sz;
		return NULL;
	}
	char *fn = fname(c, name);
	qimg_info qi;
	xerr *e = qimg_info_get(fn, fmt, &qi);
	free(fn);
	if (e) {
		sm_vdi_info_clear(out);
		return e;
	}
	out->virtual_size = qi.virtual_size;
	out->parent_location = backing_loc(qi.backing_filename);
	qimg_info_clear(&qi);
	return NULL;
}

/* ---- SR level ------------------------------------------------------------ */

struct scan_acc {
	char **names;
	size_t n;
};

static int collect(void *arg, const char *name)
{
	struct scan_acc *a = arg;
	a->names = hx_realloc(a->names, (a->n + 1) * sizeof(char *));
	a->names[a->n++] = hx_strdup(name);
	return 0;
}

static void acc_free(struct scan_acc *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->names[i]);
	free(a->names);
	a->names = NULL;
	a->n = 0;
}

static xerr *list_all(sm_chain *c, struct scan_acc *a)
{
	memset(a, 0, sizeof(*a));
	int r = c->ops->list(c->fs, collect, a);
	if (r < 0) {
		acc_free(a);
		return sm_backend_failure(SM_E_SR_SCAN, "cannot list the SR: %s", strerror(-r));
	}
	return NULL;
}

/* "halyard-sr <uuid>\n" → "<uuid>" in place. */
static const char *trim_marker(char *buf)
{
	char *p = buf;
	if (strncmp(p, "halyard-sr ", 11) == 0)
		p += 11;
	p[strcspn(p, "\r\n")] = 0;
	return p;
}

xerr *sm_chain_sr_create(sm_chain *c, const char *sr_uuid)
{
	struct scan_acc a;
	xerr *e = list_all(c, &a);
	if (e)
		return e;
	for (size_t i = 0; i < a.n && !e; i++) {
		if (strcmp(a.names[i], MARKER) == 0) {
			char buf[128] = { 0 };
			c->ops->get_small(c->fs, MARKER, buf, sizeof(buf) - 1);
			e = sm_backend_failure(SM_E_SR_EXISTS,
				"the location already holds an SR (%s)", trim_marker(buf));
		} else if (sm_image_name_parse(a.names[i], NULL, NULL, NULL)) {
			e = sm_backend_failure(SM_E_SR_EXISTS,
				"the location already holds VDI images (%s)", a.names[i]);
		}
	}
	acc_free(&a);
	if (e)
		return e;
	char *text = hx_asprintf("halyard-sr %s\n", sr_uuid);
	int r = c->ops->put_small(c->fs, MARKER, text, strlen(text));
	free(text);
	if (r == -EEXIST)
		return sm_backend_failure(SM_E_SR_EXISTS, "the location already holds an SR");
	if (r < 0)
		return sm_backend_failure(SM_E_SR_UNAVAILABLE, "cannot write the SR marker: %s",
		                          strerror(-r));
	return NULL;
}

/*
 * An offline snapshot/clone interrupted by a crash (chain.h, steps 1-2):
 * while the intent exists the VDI's top may be missing (renamed to the
 * base, new top not yet in place). If the VDI has no image, the base goes
 * back to the old top's name (roll back); if it has one, the new top was
 * in place and the chain is whole (roll forward: nothing to do). Then the
 * intent goes. Running it twice is harmless.
 */
static void recover_intent(sm_chain *c, const char *intent)
{
	char buf[256] = { 0 };
	int64_t n = c->ops->get_small(c->fs, intent, buf, sizeof(buf) - 1);
	if (n < 0)
		return;
	const char *loc = intent + strlen(INTENT_PREFIX);
	char *nl = strchr(buf, '\n');
	char *top = buf, *base = nl ? nl + 1 : NULL;
	if (nl)
		*nl = 0;
	if (base)
		base[strcspn(base, "\n")] = 0;
	char *tloc = NULL, *bloc = NULL;
	bool thidden = true, bhidden = false;
	bool sane = base && sm_image_name_parse(top, &tloc, NULL, &thidden) && !thidden &&
		    !strcmp(tloc, loc) && sm_image_name_parse(base, &bloc, NULL, &bhidden) && bhidden;
	free(tloc);
	free(bloc);
	if (!sane) {
		fprintf(stderr, "sm: %s: not a snapshot intent, left alone\n", intent);
		return;
	}
	char *cur = NULL;
	const char *fmt;
	if (find_image(c, loc, &cur, &fmt) < 0) {
		int r = c->ops->rename(c->fs, base, top);
		if (r < 0 && r != -ENOENT) {
			fprintf(stderr, "sm: %s: cannot roll back (%s), intent kept\n", intent,
			        strerror(-r));
			return;
		}
		fprintf(stderr, "sm: VDI %s: interrupted snapshot rolled back\n", loc);
	}
	free(cur);
	c->ops->unlink(c->fs, intent);
}

enum intent_kind { IK_NONE, IK_OFFLINE, IK_LIVE_SNAP, IK_LIVE_MERGE };

/* When file `name` of the SR directory is an intent: its lines (at most
 * 5, heap, *n set; sm_intent_lines_free) and its kind from the first
 * line. IK_NONE for other files and unreadable intents (nothing set). */
static enum intent_kind intent_read(sm_chain *c, const char *name, char **f, int *n)
{
	char buf[512] = { 0 };
	*n = 0;
	if (strncmp(name, INTENT_PREFIX, strlen(INTENT_PREFIX)) != 0)
		return IK_NONE;
	int64_t got = c->ops->get_small(c->fs, name, buf, sizeof(buf) - 1);
	if (got < 0)
		return IK_NONE;
	*n = sm_intent_split(buf, (size_t)got, f, 5);
	return *n > 0 && !strcmp(f[0], LIVE_SNAP)  ? IK_LIVE_SNAP :
	       *n > 0 && !strcmp(f[0], LIVE_MERGE) ? IK_LIVE_MERGE :
						     IK_OFFLINE;
}

static bool image_exists(sm_chain *c, const char *name)
{
	int64_t sz, al;
	return c->ops->stat(c->fs, name, &sz, &al) == 0;
}

/*
 * A live merge of base B into its only child C (a consumer's top)
 * interrupted by a crash. The consumer's block-stream job writes C's new
 * header (backing = B's parent) only at job-finalize, after the copied
 * data was flushed: if C no longer names B, the merge is complete and B
 * goes; else B stays and the GC merges again (the consumer's leftover job
 * is cancelled by its stream hook first).
 */
static void recover_merge(sm_chain *c, const char *intent, char **f, int n)
{
	char *bloc = NULL, *cloc = NULL;
	const char *bfmt, *cfmt;
	bool bh = false, ch = true;
	if (n < 3 || !sm_image_name_parse(f[1], &bloc, &bfmt, &bh) || !bh ||
	    !sm_image_name_parse(f[2], &cloc, &cfmt, &ch)) {
		fprintf(stderr, "sm: %s: not a merge intent, left alone\n", intent);
		free(bloc);
		free(cloc);
		return;
	}
	if (image_exists(c, f[1])) {
		sm_vdi_info ci;
		xerr *e = image_exists(c, f[2]) ?
			stat_image(c, f[2], cloc, cfmt, ch, &ci) : NULL;
		if (e) {
			fprintf(stderr, "sm: %s: cannot read %s (%s), intent kept\n", intent, f[2],
			        e->nparams > 1 ? e->params[1] : e->code);
			xerr_free(e);
			free(bloc);
			free(cloc);
			return;
		}
		bool done = !image_exists(c, f[2]) || !ci.parent_location ||
			    strcmp(ci.parent_location, bloc) != 0;
		if (image_exists(c, f[2]))
			sm_vdi_info_clear(&ci);
		if (done) {
			c->ops->unlink(c->fs, f[1]);
			fprintf(stderr, "sm: %s merged before a crash: removed\n", f[1]);
		}
	}
	c->ops->unlink(c->fs, intent);
	free(bloc);
	free(cloc);
}

xerr *sm_chain_sr_attach(sm_chain *c, const char *sr_uuid, bool adopt)
{
	char buf[128] = { 0 };
	int64_t n = c->ops->get_small(c->fs, MARKER, buf, sizeof(buf) - 1);
	if (n < 0 && n != -ENOENT)
		return sm_backend_failure(SM_E_SR_UNAVAILABLE, "cannot read the SR marker: %s",
		                          strerror((int)-n));
	if (n < 0) {
		if (!adopt)
			return sm_backend_failure(SM_E_SR_UNAVAILABLE,
				"no SR at this location (marker missing)");
		char *text = hx_asprintf("halyard-sr %s\n", sr_uuid);
		int r = c->ops->put_small(c->fs, MARKER, text, strlen(text));
		free(text);
		if (r < 0 && r != -EEXIST)
			return sm_backend_failure(SM_E_SR_UNAVAILABLE,
				"cannot write the SR marker: %s", strerror(-r));
	} else if (strcmp(trim_marker(buf), sr_uuid) != 0) {
		return sm_backend_failure(SM_E_SR_UNAVAILABLE,
			"the location holds another SR (%s)", buf);
	}
	/* Leftovers of operations interrupted by a crash: half-done
	 * snapshots are rolled back or completed, temporaries removed. */
	struct scan_acc a;
	xerr *e = list_all(c, &a);
	if (e)
		return e;
	for (size_t i = 0; i < a.n; i++) {
		char *f[5];
		int nf;
		switch (intent_read(c, a.names[i], f, &nf)) {
		case IK_LIVE_MERGE:
			recover_merge(c, a.names[i], f, nf);
			break;
		case IK_OFFLINE:
			recover_intent(c, a.names[i]);
			break;
		case IK_LIVE_SNAP: /* sm_chain_sr_recover, once xapid knows its
				    * records and consumers (their .tmp- files
				    * were never handed to anyone: removed below) */
		case IK_NONE:
			break;
		}
		sm_intent_lines_free(f, nf);
	}
	for (size_t i = 0; i < a.n; i++)
		if (strncmp(a.names[i], TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
			c->ops->unlink(c->fs, a.names[i]);
	acc_free(&a);
	return NULL;
}

xerr *sm_chain_sr_destroy(sm_chain *c)
{
	struct scan_acc a;
	xerr *e = list_all(c, &a);
	if (e)
		return e;
	int bad = 0;
	for (size_t i = 0; i < a.n; i++)
		if (sm_image_name_parse(a.names[i], NULL, NULL, NULL) ||
		    strncmp(a.names[i], TMP_PREFIX, strlen(TMP_PREFIX)) == 0 ||
		    strncmp(a.names[i], INTENT_PREFIX, strlen(INTENT_PREFIX)) == 0)
			if (c->ops->unlink(c->fs, a.names[i]) < 0)
				bad++;
	acc_free(&a);
	if (bad)
		return sm_backend_failure(SM_E_IO, "could not remove %d image(s)", bad);
	c->ops->unlink(c->fs, MARKER);
	return NULL;
}

xerr *sm_chain_scan(sm_sr *sr, sm_vdi_list *out)
{
	sm_chain *c = sm_chain_of(sr);
	memset(out, 0, sizeof(*out));
	struct scan_acc a;
	xerr *e = list_all(c, &a);
	if (e)
		return e;
	for (size_t i = 0; i < a.n && !e; i++) {
		char *loc;
		const char *fmt;
		bool hidden;
		if (!sm_image_name_parse(a.names[i], &loc, &fmt, &hidden))
			continue;
		sm_vdi_info info;
		e = stat_image(c, a.names[i], loc, fmt, hidden, &info);
		free(loc);
		if (e) {
			/* A file that vanished meanwhile (GC) is not an error. */
			int64_t sz, al;
			if (c->ops->stat(c->fs, a.names[i], &sz, &al) < 0)
				e = xerr_free(e);
			continue;
		}
		*sm_vdi_list_add(out) = info;
	}
	acc_free(&a);
	if (e)
		sm_vdi_list_clear(out);
	return e;
}

xerr *sm_chain_stat(sm_sr *sr, sm_sr_stat *out)
{
	sm_chain *c = sm_chain_of(sr);
	memset(out, 0, sizeof(*out));
	int64_t total, avail;
	int r = c->ops->statfs(c->fs, &total, &avail);
	if (r < 0)
		return sm_backend_failure(SM_E_SR_UNAVAILABLE, "statfs: %s", strerror(-r));
	out->physical_size = total;
	out->free_space = avail;
	/* Like XAPI's file SR: utilisation is what the file system has used. */
	out->physical_utilisation = total - avail;
	return NULL;
}

/* ---- VDI level ----------------------------------------------------------- */

static const char *param_type(const xv *sm_config)
{
	const char *t = sm_config ? xv_struct_str(sm_config, "type") : NULL;
	if (!t)
		t = sm_config ? xv_struct_str(sm_config, "image-format") : NULL;
	return t;
}

xerr *sm_chain_vdi_create(sm_sr *sr, const sm_vdi_params *p, sm_vdi_info *out)
{
	sm_chain *c = sm_chain_of(sr);
	const char *t = param_type(p->sm_config);
	const char *fmt = "qcow2";
	if (t && (strcmp(t, "raw") == 0 || strcmp(t, "aio") == 0))
		fmt = "raw";
	else if (t && strcmp(t, "qcow2") != 0 && strcmp(t, "vhd") != 0)
		return sm_backend_failure(SM_E_VDI_CREATE, "unknown image type %s", t);
	if (p->virtual_size < 0)
		return sm_backend_failure(SM_E_VDI_SIZE, "negative size");
	if (!p->uuid || !hx_is_uuid(p->uuid))
		return sm_backend_failure(SM_E_VDI_CREATE, "bad uuid");
	/* qcow2 sizes are whole sectors. */
	int64_t size = (p->virtual_size + 511) & ~(int64_t)511;
	char *tmp = hx_asprintf(TMP_PREFIX "%s.%s", p->uuid, fmt);
	char *final = hx_asprintf("%s.%s", p->uuid, fmt);
	char *fn = fname(c, tmp);
	xerr *e = fn ? qimg_create(fn, fmt, size, NULL, NULL) :
		sm_backend_failure(SM_E_VDI_CREATE, "bad path");
	free(fn);
	if (!e) {
		int r = sync_name(c, tmp);
		if (!r)
			r = c->ops->rename(c->fs, tmp, final);
		if (r < 0)
			e = sm_backend_failure(SM_E_VDI_CREATE, "rename: %s", strerror(-r));
	}
	if (e)
		c->ops->unlink(c->fs, tmp);
	else
		e = stat_image(c, final, p->uuid, fmt, false, out);
	free(tmp);
	free(final);
	return e;
}

xerr *sm_chain_vdi_destroy(sm_sr *sr, const char *location)
{
	sm_chain *c = sm_chain_of(sr);
	char *name;
	const char *fmt;
	if (find_image(c, location, &name, &fmt) < 0)
		return NULL; /* already gone: destroy is idempotent */
	int r = c->ops->unlink(c->fs, name);
	free(name);
	if (r < 0 && r != -ENOENT)
		return sm_backend_failure(SM_E_VDI_DELETE, "unlink: %s", strerror(-r));
	return NULL;
}

xerr *sm_chain_vdi_stat(sm_sr *sr, const char *location, sm_vdi_info *out)
{
	sm_chain *c = sm_chain_of(sr);
	char *name;
	const char *fmt;
	if (find_image(c, location, &name, &fmt) < 0)
		return no_vdi(location);
	size_t n = strlen(location);
	bool hidden = n > 5 && strcmp(location + n - 5, ".base") == 0;
	xerr *e = stat_image(c, name, location, fmt, hidden, out);
	free(name);
	return e;
}

xerr *sm_chain_vdi_introduce(sm_sr *sr, const char *location, sm_vdi_info *out)
{
	return sm_chain_vdi_stat(sr, location, out);
}

/* Live snapshot intents of operations this process is running (xapid has
 * not yet recorded their outcome): recovery leaves them alone. Keyed by
 * the chain handle and the intent's name. */
static pthread_mutex_t flight_lock = PTHREAD_MUTEX_INITIALIZER;
static char **flight;
static size_t nflight;

static char *flight_key(const sm_chain *c, const char *intent)
{
	return hx_asprintf("%p/%s", (const void *)c, intent);
}

static void flight_set(const sm_chain *c, const char *intent, bool on)
{
	char *k = flight_key(c, intent);
	pthread_mutex_lock(&flight_lock);
	size_t i = 0;
	while (i < nflight && strcmp(flight[i], k) != 0)
		i++;
	if (on && i == nflight) {
		flight = hx_realloc(flight, (nflight + 1) * sizeof(char *));
		flight[nflight++] = k;
		k = NULL;
	} else if (!on && i < nflight) {
		free(flight[i]);
		flight[i] = flight[--nflight];
		if (!nflight) {
			free(flight);
			flight = NULL;
		}
	}
	pthread_mutex_unlock(&flight_lock);
	free(k);
}

static bool in_flight(const sm_chain *c, const char *intent)
{
	char *k = flight_key(c, intent);
	pthread_mutex_lock(&flight_lock);
	bool found = false;
	for (size_t i = 0; i < nflight && !found; i++)
		found = strcmp(flight[i], k) == 0;
	pthread_mutex_unlock(&flight_lock);
	free(k);
	return found;
}

/* The basename of a path or URL. */
static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* Whether the consumer's top image is `name`: 0 yes, 1 no (another
 * image), -1 cannot tell. */
static int consumer_on(const sm_live *live, const char *name)
{
	if (!live->top_file)
		return -1;
	xerr *e = NULL;
	char *f = live->top_file(live->ctx, &e);
	if (!f) {
		fprintf(stderr, "sm: the consumer's top image: %s\n",
		        e ? (e->nparams ? e->params[e->nparams > 1] : e->code) : "?");
		xerr_free(e);
		return -1;
	}
	int r = strcmp(base_name(f), name) == 0 ? 0 : 1;
	free(f);
	return r;
}

/* Snapshot and clone of a VDI a consumer has open (chain.h, "live"): its
 * top image A keeps its inode and gets a second name N.base (hard link:
 * QEMU reopens images by name, so an open image is never renamed), a new
 * top X over it becomes the consumer's (sm_live.snapshot) and the VDI's
 * location, the old name goes and the snapshot S is made over N.base.
 * The intent .intent-A lives until xapid has recorded the move
 * (vdi_settle); sm_chain_sr_recover finishes it after a crash. */
static xerr *snap_live(sm_chain *c, const char *location, const char *new_uuid,
                       const sm_live *live, const char *top, const char *fmt,
                       int64_t size, sm_vdi_info *out)
{
	if (!c->ops->link)
		return sm_backend_failure(SM_E_UNSUPPORTED,
			"this SR cannot snapshot a VDI in use (no hard links)");
	if (strcmp(fmt, "qcow2") != 0)
		return sm_backend_failure(SM_E_UNSUPPORTED,
			"a raw VDI in use cannot be snapshot (no overlay under QEMU)");
	char bu[37], xu[37];
	hx_uuid(bu);
	hx_uuid(xu);
	char *base = hx_asprintf("%s.base.%s", bu, fmt);
	char *newtop = hx_asprintf("%s.qcow2", xu);
	char *tmptop = hx_asprintf(TMP_PREFIX "%s.qcow2", xu);
	char *tmpsnap = hx_asprintf(TMP_PREFIX "%s.qcow2", new_uuid);
	char *snapname = hx_asprintf("%s.qcow2", new_uuid);
	char *intent = hx_asprintf(INTENT_PREFIX "%s", location);
	char *itext = hx_asprintf(LIVE_SNAP "\n%s\n%s\n%s\n%s\n", top, base, newtop, snapname);
	char *fn_newtop = NULL, *fn_snap = NULL, *bref = backing_ref(c, base);
	xerr *e = NULL;
	int r = c->ops->put_small(c->fs, intent, itext, strlen(itext));
	if (r < 0) {
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "intent: %s", strerror(-r));
		goto out;
	}
	flight_set(c, intent, true);
	sm_crash_point("live-snap-before-link");
	r = c->ops->link(c->fs, top, base);
	if (r < 0) {
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "link: %s", strerror(-r));
		goto undo_intent;
	}
	/* The new top is complete (synced) before it has its name: recovery
	 * takes an X.qcow2 as a whole image. */
	fn_newtop = fname(c, tmptop);
	e = qimg_create(fn_newtop, "qcow2", size, bref, fmt);
	if (!e && (r = sync_name(c, tmptop)) < 0)
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "sync: %s", strerror(-r));
	if (!e && (r = c->ops->rename(c->fs, tmptop, newtop)) < 0)
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "rename: %s", strerror(-r));
	if (e) {
		c->ops->unlink(c->fs, tmptop);
		goto undo_link;
	}
	sm_crash_point("live-snap-before-qmp");
	sm_open ov = { 0 };
	c->ops->open_spec(c->fs, newtop, &ov);
	free(ov.format);
	ov.format = hx_strdup("qcow2");
	ov.backing_chain = true;
	e = live->snapshot(live->ctx, &ov);
	sm_open_clear(&ov);
	if (e && consumer_on(live, newtop) != 0) {
		/* Not switched (or cannot tell: recovery will). */
		if (consumer_on(live, newtop) < 0) {
			flight_set(c, intent, false);
			goto out;
		}
		c->ops->unlink(c->fs, newtop);
		goto undo_link;
	}
	e = xerr_free(e);
	sm_crash_point("live-snap-after-qmp");
	/* The consumer writes X now; the old name must not stay a VDI. */
	c->ops->unlink(c->fs, top);
	fn_snap = fname(c, tmpsnap);
	e = qimg_create(fn_snap, "qcow2", size, bref, fmt);
	if (!e && (r = sync_name(c, tmpsnap)) < 0)
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "sync: %s", strerror(-r));
	if (!e) {
		r = c->ops->rename(c->fs, tmpsnap, snapname);
		if (r < 0)
			e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "rename: %s", strerror(-r));
	}
	if (e) {
		c->ops->unlink(c->fs, tmpsnap);
		/* The VDI moved all the same: say where. */
		memset(out, 0, sizeof(*out));
		out->moved_location = hx_strdup(xu);
		goto out;
	}
	e = stat_image(c, snapname, new_uuid, "qcow2", false, out);
	if (e) {
		c->ops->unlink(c->fs, snapname);
		memset(out, 0, sizeof(*out));
	}
	out->moved_location = hx_strdup(xu);
	goto out;
undo_link:
	c->ops->unlink(c->fs, base);
undo_intent:
	c->ops->unlink(c->fs, intent);
	flight_set(c, intent, false);
out:
	free(base);
	free(newtop);
	free(tmptop);
	free(tmpsnap);
	free(snapname);
	free(intent);
	free(itext);
	free(fn_newtop);
	free(fn_snap);
	free(bref);
	return e;
}

/* Snapshot and clone: the steps of chain.h. */
static xerr *snap(sm_sr *sr, const char *location, const char *new_uuid,
                  const sm_live *live, sm_vdi_info *out)
{
	sm_chain *c = sm_chain_of(sr);
	if (!new_uuid || !hx_is_uuid(new_uuid))
		return sm_backend_failure(SM_E_VDI_SNAPSHOT, "bad uuid");
	char *top;
	const char *fmt;
	if (find_image(c, location, &top, &fmt) < 0)
		return no_vdi(location);
	size_t ln = strlen(location);
	if (ln > 5 && strcmp(location + ln - 5, ".base") == 0) {
		free(top);
		return sm_backend_failure(SM_E_VDI_SNAPSHOT, "%s is not a VDI", location);
	}
	sm_vdi_info cur;
	xerr *e = stat_image(c, top, location, fmt, false, &cur);
	if (e) {
		free(top);
		return e;
	}
	if (live && live->snapshot) {
		e = snap_live(c, location, new_uuid, live, top, fmt, cur.virtual_size, out);
		sm_vdi_info_clear(&cur);
		free(top);
		return e;
	}
	char bu[37];
	hx_uuid(bu);
	char *base = hx_asprintf("%s.base.%s", bu, fmt);
	char *newtop = hx_asprintf("%s.qcow2", location);
	char *tmptop = hx_asprintf(TMP_PREFIX "%s.top.qcow2", location);
	char *tmpsnap = hx_asprintf(TMP_PREFIX "%s.qcow2", new_uuid);
	char *snapname = hx_asprintf("%s.qcow2", new_uuid);
	char *intent = hx_asprintf(INTENT_PREFIX "%s", location);
	char *itext = hx_asprintf("%s\n%s\n", top, base);
	char *fn_newtop = NULL, *fn_snap = NULL, *bref = NULL;
	/* Crash-safe steps (a crash anywhere: sm_chain_sr_attach rolls back
	 * or forward): intent; top → base; new top built under a .tmp name,
	 * then renamed into place; intent removed. */
	int r = c->ops->put_small(c->fs, intent, itext, strlen(itext));
	if (r < 0) {
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "intent: %s", strerror(-r));
		goto out;
	}
	r = c->ops->rename(c->fs, top, base);
	if (r < 0) {
		c->ops->unlink(c->fs, intent);
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "rename: %s", strerror(-r));
		goto out;
	}
	fn_newtop = fname(c, tmptop);
	bref = backing_ref(c, base);
	e = qimg_create(fn_newtop, "qcow2", cur.virtual_size, bref, fmt);
	if (!e && (r = sync_name(c, tmptop)) < 0)
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "sync: %s", strerror(-r));
	if (!e && (r = c->ops->rename(c->fs, tmptop, newtop)) < 0)
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "rename: %s", strerror(-r));
	if (e) {
		c->ops->unlink(c->fs, tmptop);
		goto undo_rename;
	}
	c->ops->unlink(c->fs, intent);
	fn_snap = fname(c, tmpsnap);
	e = qimg_create(fn_snap, "qcow2", cur.virtual_size, bref, fmt);
	if (!e && (r = sync_name(c, tmpsnap)) < 0)
		e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "sync: %s", strerror(-r));
	if (!e) {
		r = c->ops->rename(c->fs, tmpsnap, snapname);
		if (r < 0)
			e = sm_backend_failure(SM_E_VDI_SNAPSHOT, "rename: %s", strerror(-r));
	}
	if (e) {
		/* The VDI now has a new top over the base: consistent. The
		 * base stays (GC merges it back when it has one child). */
		c->ops->unlink(c->fs, tmpsnap);
		goto out;
	}
	e = stat_image(c, snapname, new_uuid, "qcow2", false, out);
	goto out;
undo_rename:
	if (c->ops->rename(c->fs, base, top) == 0)
		c->ops->unlink(c->fs, intent);
out:
	sm_vdi_info_clear(&cur);
	free(top);
	free(base);
	free(newtop);
	free(tmptop);
	free(intent);
	free(itext);
	free(tmpsnap);
	free(snapname);
	free(fn_newtop);
	free(fn_snap);
	free(bref);
	return e;
}

xerr *sm_chain_vdi_snapshot(sm_sr *sr, const char *location, const char *new_uuid,
                            const xv *driver_params, const sm_live *live,
                            sm_vdi_info *out)
{
	return snap(sr, location, new_uuid, live, out);
}

xerr *sm_chain_vdi_clone(sm_sr *sr, const char *location, const char *new_uuid,
                         const xv *driver_params, const sm_live *live,
                         sm_vdi_info *out)
{
	return snap(sr, location, new_uuid, live, out);
}

xerr *sm_chain_vdi_resize(sm_sr *sr, const char *location, int64_t new_size,
                          const sm_live *live, sm_vdi_info *out)
{
	sm_chain *c = sm_chain_of(sr);
	char *name;
	const char *fmt;
	if (find_image(c, location, &name, &fmt) < 0)
		return no_vdi(location);
	int64_t size = (new_size + 511) & ~(int64_t)511;
	xerr *e;
	if (live && live->resize) {
		e = live->resize(live->ctx, size);
	} else {
		char *fn = fname(c, name);
		e = qimg_resize(fn, fmt, size);
		free(fn);
	}
	if (!e)
		e = stat_image(c, name, location, fmt, false, out);
	free(name);
	return e;
}

xerr *sm_chain_vdi_copy(sm_sr *sr, const sm_open *src, const sm_vdi_params *p,
                        const sm_progress *prog, sm_vdi_info *out)
{
	sm_chain *c = sm_chain_of(sr);
	if (!p->uuid || !hx_is_uuid(p->uuid))
		return sm_backend_failure(SM_E_VDI_COPY, "bad uuid");
	const char *t = param_type(p->sm_config);
	const char *fmt = t && strcmp(t, "raw") == 0 ? "raw" : "qcow2";
	char *tmp = hx_asprintf(TMP_PREFIX "%s.%s", p->uuid, fmt);
	char *final = hx_asprintf("%s.%s", p->uuid, fmt);
	char *fn = fname(c, tmp);
	int64_t size = (p->virtual_size + 511) & ~(int64_t)511;
	xerr *e = qimg_create(fn, fmt, size, NULL, NULL);
	if (!e)
		e = qimg_convert(src, fn, fmt, false, prog);
	if (!e) {
		int r = sync_name(c, tmp);
		if (!r)
			r = c->ops->rename(c->fs, tmp, final);
		if (r < 0)
			e = sm_backend_failure(SM_E_VDI_COPY, "rename: %s", strerror(-r));
	}
	if (e)
		c->ops->unlink(c->fs, tmp);
	else
		e = stat_image(c, final, p->uuid, fmt, false, out);
	free(fn);
	free(tmp);
	free(final);
	return e;
}

xerr *sm_chain_vdi_compose(sm_sr *sr, const char *parent_location,
                           const char *child_location)
{
	sm_chain *c = sm_chain_of(sr);
	char *pname, *cname;
	const char *pfmt, *cfmt;
	if (find_image(c, parent_location, &pname, &pfmt) < 0)
		return no_vdi(parent_location);
	if (find_image(c, child_location, &cname, &cfmt) < 0) {
		free(pname);
		return no_vdi(child_location);
	}
	xerr *e = NULL;
	if (strcmp(cfmt, "qcow2") != 0) {
		e = sm_backend_failure(SM_E_UNSUPPORTED, "compose needs a qcow2 child");
	} else {
		char *fn = fname(c, cname);
		char *pref = backing_ref(c, pname);
		e = qimg_rebase(fn, pref, pfmt, true);
		free(pref);
		free(fn);
	}
	free(pname);
	free(cname);
	return e;
}

xerr *sm_chain_vdi_attach(sm_sr *sr, const char *location, bool writable, sm_open *out)
{
	sm_chain *c = sm_chain_of(sr);
	char *name;
	const char *fmt;
	memset(out, 0, sizeof(*out));
	if (find_image(c, location, &name, &fmt) < 0)
		return no_vdi(location);
	int r = c->ops->open_spec(c->fs, name, out);
	free(name);
	if (r < 0) {
		sm_open_clear(out);
		return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "%s", strerror(-r));
	}
	free(out->format);
	out->format = hx_strdup(fmt);
	out->read_only = !writable;
	out->backing_chain = strcmp(fmt, "qcow2") == 0;
	return NULL;
}

/* ---- live operations after a crash ------------------------------------------ */

/*
 * A live snapshot of VDI A (intent: A's top, base N, new top X, snapshot
 * S) interrupted by a crash. Whether the consumer switched to X decides:
 * - xapid's record names X: the move was committed (S's record with it):
 *   forward, only A's old name and the intent are left to remove;
 * - else, a running consumer is asked for its top image: X → forward
 *   (the record moves to X; S has no record: removed), A → back (X, S
 *   and the second name N go); it cannot tell → the intent stays;
 * - no running consumer: forward when X exists (X was complete before it
 *   had its name; over N = A's inode it reads the newest data whether or
 *   not the consumer wrote into it), else back.
 * The base N is left for the GC (one child: merged back into X).
 * Returns 0 when settled, 1 when still pending.
 */
static int recover_live_snap(sm_sr *sr, const sm_recover *rc, const char *intent,
                             char **f, int n)
{
	sm_chain *c = sm_chain_of(sr);
	char *aloc = NULL, *xloc = NULL, *nloc = NULL;
	bool ah = true, xh = true, nh = false;
	if (n < 5 || !sm_image_name_parse(f[1], &aloc, NULL, &ah) || ah ||
	    !sm_image_name_parse(f[2], &nloc, NULL, &nh) || !nh || !sm_image_name_parse(f[3], &xloc, NULL, &xh) || xh ||
	    !sm_image_name_parse(f[4], NULL, NULL, NULL) || strcmp(aloc, intent + strlen(INTENT_PREFIX))) {
		fprintf(stderr, "sm: %s: not a live snapshot intent, left alone\n", intent);
		free(aloc);
		free(xloc);
		free(nloc);
		return 1;
	}
	int pending = 1;
	int at = rc->record_at(rc->ctx, sr, aloc, xloc);
	bool forward = false;
	const char *why = "";
	if (at < 0)
		goto out;
	if (at == 2) {
		forward = true;
		why = "recorded";
	} else {
		sm_live lv;
		if (sm_sr_live(sr, aloc, &lv)) {
			int on_x = consumer_on(&lv, f[3]);
			int on_a = on_x == 1 ? consumer_on(&lv, f[1]) : 1;
			sm_live_release(&lv);
			if (on_x < 0 || (on_x == 1 && on_a != 0)) {
				fprintf(stderr, "sm: %s: the consumer's top is neither %s nor %s, "
				        "intent kept\n", intent, f[1], f[3]);
				goto out;
			}
			forward = on_x == 0;
			why = forward ? "the consumer writes the new top" :
				"the consumer still writes the old top";
		} else {
			forward = image_exists(c, f[3]);
			why = forward ? "no consumer, the new top is whole" :
				"no consumer, no new top";
		}
		if (forward && at == 1) {
			xerr *e = rc->move(rc->ctx, sr, aloc, xloc);
			if (e) {
				fprintf(stderr, "sm: %s: cannot move the record (%s), intent kept\n",
				        intent, e->code);
				xerr_free(e);
				goto out;
			}
		}
		/* The snapshot never got a record. */
		c->ops->unlink(c->fs, f[4]);
	}
	if (forward) {
		c->ops->unlink(c->fs, f[1]);
	} else if (image_exists(c, f[1])) {
		c->ops->unlink(c->fs, f[3]);
		c->ops->unlink(c->fs, f[2]);
	} else {
		/* Cannot happen (A's name goes only after the switch); keep
		 * the data reachable under A's name all the same. */
		c->ops->unlink(c->fs, f[3]);
		c->ops->rename(c->fs, f[2], f[1]);
	}
	c->ops->unlink(c->fs, intent);
	fprintf(stderr, "sm: VDI %s: interrupted live snapshot rolled %s (%s)\n", aloc,
	        forward ? "forward" : "back", why);
	pending = 0;
out:
	free(aloc);
	free(xloc);
	free(nloc);
	return pending;
}

int sm_chain_sr_recover(sm_sr *sr, const sm_recover *rc)
{
	sm_chain *c = sm_chain_of(sr);
	struct scan_acc a;
	xerr *e = list_all(c, &a);
	if (e) {
		xerr_free(e);
		return 1;
	}
	int pending = 0;
	for (size_t i = 0; i < a.n; i++) {
		char *f[5];
		int n;
		switch (intent_read(c, a.names[i], f, &n)) {
		case IK_LIVE_SNAP:
			if (in_flight(c, a.names[i]))
				pending++; /* xapid is recording it now: vdi_settle */
			else
				pending += recover_live_snap(sr, rc, a.names[i], f, n);
			break;
		case IK_LIVE_MERGE:
			recover_merge(c, a.names[i], f, n);
			break;
		case IK_OFFLINE:
			recover_intent(c, a.names[i]);
			break;
		case IK_NONE:
			break;
		}
		sm_intent_lines_free(f, n);
	}
	acc_free(&a);
	return pending;
}

void sm_chain_vdi_settle(sm_sr *sr, const char *location, bool recorded)
{
	sm_chain *c = sm_chain_of(sr);
	if (!valid_location(location))
		return;
	char *intent = hx_asprintf(INTENT_PREFIX "%s", location);
	if (recorded) {
		sm_crash_point("live-snap-before-settle");
		c->ops->unlink(c->fs, intent);
	}
	flight_set(c, intent, false);
	free(intent);
}

/* Whether any intent is pending (the GC leaves the SR alone until the
 * interrupted operation is settled: its images are not yet a chain). */
static bool intents_pending(sm_chain *c)
{
	struct scan_acc a;
	if (list_all(c, &a))
		return true;
	bool any = false;
	for (size_t i = 0; i < a.n && !any; i++)
		any = strncmp(a.names[i], INTENT_PREFIX, strlen(INTENT_PREFIX)) == 0;
	acc_free(&a);
	return any;
}

/* ---- garbage collection --------------------------------------------------- */

/* Whether node i or any node below it is open by a consumer other than
 * `except` (a location, or NULL). Depth-bounded by the list size. */
static bool subtree_live(sm_sr *sr, const sm_vdi_list *l, size_t i, const char *except,
                         size_t depth)
{
	if (depth > l->n)
		return true; /* a cycle: never touch it */
	sm_live lv;
	if ((!except || strcmp(l->v[i].location, except) != 0) &&
	    sm_sr_live(sr, l->v[i].location, &lv)) {
		sm_live_release(&lv);
		return true;
	}
	for (size_t j = 0; j < l->n; j++)
		if (l->v[j].parent_location &&
		    strcmp(l->v[j].parent_location, l->v[i].location) == 0 &&
		    subtree_live(sr, l, j, except, depth + 1))
			return true;
	return false;
}

xerr *sm_chain_gc(sm_sr *sr, int *remaining)
{
	sm_chain *c = sm_chain_of(sr);
	*remaining = 0;
	if (intents_pending(c)) {
		*remaining = 1;
		return NULL;
	}
	sm_vdi_list l;
	xerr *e = sm_chain_scan(sr, &l);
	if (e)
		return e;
	bool did = false;
	for (size_t i = 0; i < l.n && !did; i++) {
		sm_vdi_info *b = &l.v[i];
		if (!b->hidden)
			continue;
		size_t nchild = 0, child = 0;
		for (size_t j = 0; j < l.n; j++)
			if (l.v[j].parent_location && strcmp(l.v[j].parent_location, b->location) == 0) {
				nchild++;
				child = j;
			}
		char *bname;
		const char *bfmt;
		if (find_image(c, b->location, &bname, &bfmt) < 0)
			continue;
		if (nchild == 0) {
			/* Nothing reads through it (an open backing would have a
			 * child on disk), so it can go. */
			c->ops->unlink(c->fs, bname);
			free(bname);
			did = true;
			continue;
		}
		if (nchild > 1) {
			free(bname);
			continue;
		}
		sm_vdi_info *ch = &l.v[child];
		char *cname;
		const char *cfmt;
		if (find_image(c, ch->location, &cname, &cfmt) < 0 || strcmp(cfmt, "qcow2") != 0) {
			free(bname);
			continue;
		}
		/* The new backing of the child: the base's own parent. */
		char *pname = NULL;
		const char *pfmt = NULL;
		if (b->parent_location && find_image(c, b->parent_location, &pname, &pfmt) < 0) {
			free(bname);
			free(cname);
			continue;
		}
		sm_live lv = { 0 };
		bool child_live = !ch->hidden && sm_sr_live(sr, ch->location, &lv);
		if (child_live) {
			if (subtree_live(sr, &l, child, ch->location, 0) || !lv.stream) {
				(*remaining)++;
			} else {
				/* Intent first: a crash during the merge leaves a
				 * consumer's job and perhaps a merged base behind
				 * (recover_merge). */
				char *intent = hx_asprintf(INTENT_PREFIX "%s", b->location);
				char *itext = hx_asprintf(LIVE_MERGE "\n%s\n%s\n", bname, cname);
				int r = c->ops->put_small(c->fs, intent, itext, strlen(itext));
				char *pfn = pname ? fname(c, pname) : NULL;
				if (r < 0)
					e = sm_backend_failure(SM_E_IO, "intent: %s", strerror(-r));
				else
					e = lv.stream(lv.ctx, pfn, NULL);
				free(pfn);
				if (!e) {
					sm_crash_point("live-merge-before-unlink");
					c->ops->unlink(c->fs, bname);
					did = true;
				}
				if (r >= 0) {
					sm_crash_point("live-merge-before-intent-removal");
					c->ops->unlink(c->fs, intent);
				}
				free(intent);
				free(itext);
			}
			sm_live_release(&lv);
		} else if (subtree_live(sr, &l, child, NULL, 0)) {
			/* An intermediate node under a running consumer: wait. */
			(*remaining)++;
		} else {
			char *cfn = fname(c, cname);
			char *pref = pname ? backing_ref(c, pname) : NULL;
			e = qimg_rebase(cfn, pref, pfmt, false);
			free(pref);
			free(cfn);
			if (!e) {
				c->ops->unlink(c->fs, bname);
				did = true;
			}
		}
		free(bname);
		free(cname);
		free(pname);
	}
	if (did && !e)
		(*remaining)++; /* look again: the merge may enable another */
	sm_vdi_list_clear(&l);
	return e;
}
