/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm: the storage managers. One driver (one vtable, one file) per SR type.
 *
 * The layering:
 *
 *   xapid/ops/{sr,pbd,vdi,vbd}.c   XenAPI semantics, DB records, locking
 *        |  (sm_sr handles, sm_vdi_info results, xerr errors)
 *   sm/sm.h      this interface: sm_driver vtable + registry + helpers
 *   sm/chain.h   a shared engine for "a directory of qcow2/raw images"
 *                SR types (file/ext today, nfs), written against sm_fsops
 *                (directory operations) so it never assumes a kernel mount
 *   sm/<type>.c  one file per SR type: file.c, iso.c, lvm.c, (nfs.c)
 *
 * Rules every driver keeps:
 *  - A driver never touches the xapid database. Everything it knows about an
 *    SR comes in the sm_sr handle (uuid, device_config, sm_config, a private
 *    pointer it owns between sr_attach and sr_detach); everything it knows
 *    about a VDI is its `location` string, chosen by the driver at create
 *    time and stable across scans (XAPI's VDI.location).
 *  - A driver never assumes the consumer sees a local file: vdi_attach
 *    answers an sm_open (QEMU format + protocol: a local filename, a
 *    host_device, or a URL such as nfs://host/export/x.qcow2, optionally a
 *    full -blockdev protocol node as JSON). QEMU opens that; qemu-img takes
 *    the same `filename` (it understands the same URLs).
 *  - Operations on a VDI that a running consumer (a QEMU) has open go
 *    through the sm_live hooks the caller passes in, never behind the
 *    consumer's back (live snapshot = the consumer switches to a new
 *    overlay; coalescing a live chain = the consumer runs block-stream).
 *  - Errors are xerr (value.h). A failure of the storage itself is
 *    SR_BACKEND_FAILURE_<n> with params [status, stdout, stderr] shaped as
 *    XAPI's: ["", "<text>", ""] (sm_backend_failure below). API-level
 *    errors (VDI_IN_USE, SR_OPERATION_NOT_SUPPORTED …) are decided by
 *    xapid, but a driver may return them too.
 *  - Long operations report progress through sm_progress and stop with
 *    TASK_CANCELLED when it says so; they leave nothing half made: a VDI
 *    being built lives under a temporary name and is renamed into place at
 *    the end, and sr_attach removes leftovers of a crash (sm_chain does this).
 *
 * Threads: xapid serialises metadata operations on one SR (snapshot, clone,
 * destroy, scan, gc) with sm_sr.lock; data copies run without it. A driver
 * may be called for different SRs at the same time.
 *
 * Later changes to this interface are additive (new members at the end of
 * the structs, new optional vtable slots that may be NULL).
 */
#ifndef HALYARD_SM_H
#define HALYARD_SM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

typedef struct sm_driver sm_driver;
typedef struct sm_sr sm_sr;

/* ---- how a consumer opens a VDI ---------------------------------------- */

/*
 * The answer of vdi_attach, handed to the QEMU backend (and to qemu-img for
 * copies/import/export). All strings heap, freed by sm_open_clear.
 *
 *  format       QEMU format driver of the top image: "qcow2", "raw".
 *  protocol     QEMU protocol driver: "file", "host_device", "nfs" …
 *  filename     what qemu-img and `-drive file=` take: a local path or a
 *               URL ("nfs://127.0.0.1/export/sr/abc.qcow2").
 *  protocol_json  optional: the -blockdev/blockdev-add protocol node as a
 *               JSON object text, e.g. {"driver":"nfs","server":{"type":
 *               "inet","host":"127.0.0.1"},"path":"/export/sr/abc.qcow2"}.
 *               NULL means {"driver":<protocol>,"filename":<filename>}.
 *  read_only    the consumer must open it read-only (ISO, snapshot, RO VBD).
 *  backing_chain  true when the image has a backing chain QEMU follows by
 *               itself (backing names are relative to the image, so they
 *               resolve the same way for paths and URLs).
 */
typedef struct sm_open {
	char *format;
	char *protocol;
	char *filename;
	char *protocol_json;
	bool read_only;
	bool backing_chain;
} sm_open;

void sm_open_clear(sm_open *o);
/* Deep copy of src into *dst (dst uninitialised). */
void sm_open_copy(sm_open *dst, const sm_open *src);
/* The protocol node as JSON text (heap): protocol_json or the default. */
char *sm_open_protocol_json(const sm_open *o);

/* ---- what a driver reports about a VDI --------------------------------- */

typedef struct sm_vdi_info {
	char *location;          /* the driver's key for the VDI (heap) */
	char *uuid;              /* the VDI uuid when the driver keeps one, or NULL */
	char *name_label;        /* a suggested name (iso: the file name) or NULL */
	char *format;            /* "qcow2", "raw", "iso" … (heap) */
	int64_t virtual_size;    /* bytes the guest sees */
	int64_t physical_utilisation; /* bytes used on the SR by this node */
	bool read_only;
	bool hidden;             /* an internal chain node, not a VDI */
	char *parent_location;   /* the node it is a delta of, or NULL */
	/* vdi_snapshot/vdi_clone of a VDI in use: the snapshotted VDI's new
	 * location (its data moved to a new top image that the consumer now
	 * writes), or NULL when it kept its location. The caller records it. */
	char *moved_location;
} sm_vdi_info;

void sm_vdi_info_clear(sm_vdi_info *v);

typedef struct sm_vdi_list {
	sm_vdi_info *v;
	size_t n;
} sm_vdi_list;

void sm_vdi_list_clear(sm_vdi_list *l);
/* Appends a zeroed entry and returns it. */
sm_vdi_info *sm_vdi_list_add(sm_vdi_list *l);

/* What VDI.create asks for. */
typedef struct sm_vdi_params {
	const char *uuid;        /* the VDI uuid xapid chose (drivers may name files by it) */
	int64_t virtual_size;
	const char *name_label;
	bool read_only;
	bool sharable;
	const xv *sm_config;     /* e.g. {"type":"raw"} for a raw image; may be NULL */
} sm_vdi_params;

/* SR-level figures. */
typedef struct sm_sr_stat {
	int64_t physical_size;
	int64_t physical_utilisation;
	int64_t free_space;
} sm_sr_stat;

/* ---- progress and cancellation ----------------------------------------- */

typedef struct sm_progress {
	void *ctx;
	/* Called with 0.0 … 1.0 as work proceeds (may be NULL). */
	void (*set)(void *ctx, double fraction);
	/* True when the caller wants the operation to stop (may be NULL). */
	bool (*cancelled)(void *ctx);
} sm_progress;

void sm_progress_set(const sm_progress *p, double f);
bool sm_progress_cancelled(const sm_progress *p);

/* ---- the consumer of an attached VDI ----------------------------------- */

/*
 * Hooks into the running consumer (the QEMU that has the VDI open), given
 * by xapid when the VDI is in use; NULL when it is not. Node names are the
 * consumer's business: the driver names images by their sm_open.
 */
typedef struct sm_live {
	void *ctx;
	/* Makes `overlay` (a new, empty image whose backing file is the image
	 * the consumer has open now) the consumer's new top image: QMP
	 * blockdev-add + blockdev-snapshot. */
	xerr *(*snapshot)(void *ctx, const sm_open *overlay);
	/* Merges the top image's backing image into the top (QMP
	 * block-stream) and waits for the job: base_filename names the image
	 * below that backing, which becomes the top's new backing (its
	 * basename is written into the top's header), NULL when the merged
	 * image had no backing (the top is then flattened). Consumers find
	 * the nodes by position in the chain, not by file name (an image
	 * renamed while open keeps its old name in QEMU). */
	xerr *(*stream)(void *ctx, const char *base_filename, const sm_progress *p);
	/* Grows the consumer's view of the disk (QMP block_resize). */
	xerr *(*resize)(void *ctx, int64_t new_size);
	/* Optional: the file name of the image the consumer writes now (its
	 * top node), heap; NULL with *err when it cannot tell. Used by crash
	 * recovery to learn whether a live snapshot reached the consumer. */
	char *(*top_file)(void *ctx, xerr **err);
	/* Optional: writes what the consumer holds of the chain in its own
	 * caches (data, qcow2 L2 entries of new clusters) to the top image,
	 * so that a reader of the files (an export) sees every write the
	 * consumer completed before the call. */
	xerr *(*flush)(void *ctx);
	/* Frees ctx (may be NULL); called through sm_live_release by whoever
	 * got the hooks from sm_sr_live. */
	void (*release)(void *ctx);
} sm_live;

/* Releases what sm_sr_live filled (accepts a zeroed struct). */
void sm_live_release(sm_live *l);

/*
 * What a driver needs from xapid to finish, after a crash, an operation
 * that also changes xapid's records (a live snapshot moves the VDI's
 * location): sr_recover is called once xapid knows its running consumers
 * (after VM re-attach at start, at PBD.plug later).
 */
typedef struct sm_recover {
	void *ctx;
	/* Which of two locations the VDI record of this SR names: 1 = a,
	 * 2 = b, 0 = neither, negative = cannot tell (try again later). */
	int (*record_at)(void *ctx, sm_sr *sr, const char *a, const char *b);
	/* Moves the VDI record at location `from` to `to` (committed). */
	xerr *(*move)(void *ctx, sm_sr *sr, const char *from, const char *to);
} sm_recover;

/* Test hook: when the environment names a control file
 * (HALYARD_CRASH_CTL) whose first line is `point`, the file is removed
 * and the process kills itself with SIGKILL (it-sm-crash). Otherwise a
 * no-op (one getenv). */
void sm_crash_point(const char *point);

/* Test hook, the same control file: when its first line is
 * "fail:<point>", the file is removed and this returns true once (the
 * caller then fails the step as an I/O error would, without the cleanup a
 * failure it notices itself gets: a connection that broke cannot clean
 * up either). Otherwise false. */
bool sm_fail_point(const char *point);

/* How a driver finds out whether a VDI (by location) is open in a running
 * consumer: fills *out and returns true when it is. Installed by xapid on
 * every sm_sr (sm_sr.live_lookup); NULL means "nothing is ever live". */
typedef bool (*sm_live_lookup_fn)(void *ctx, sm_sr *sr, const char *location, sm_live *out);

/* ---- probing ------------------------------------------------------------ */

/* One SR found by sr_probe. */
typedef struct sm_probe_sr {
	char *uuid;              /* may be NULL when the storage is blank */
	char *name_label;
	char *name_description;
	int64_t total_space, free_space;
	bool aggregated;
	xv *device_config;       /* a complete device_config (map) to create/introduce it */
	xv *extra;               /* other facts (map), e.g. {"path": …} */
} sm_probe_sr;

typedef struct sm_probe_result {
	sm_probe_sr *srs;
	size_t n;
	/* XAPI's legacy SR.probe answers an XML text; drivers may give their
	 * own (heap), else sm_probe_xml builds <SRlist><SR><UUID>… from srs. */
	char *xml;
} sm_probe_result;

void sm_probe_result_clear(sm_probe_result *r);
sm_probe_sr *sm_probe_result_add(sm_probe_result *r);
/* The XML answer of SR.probe (heap). */
char *sm_probe_xml(const sm_probe_result *r);

/* ---- the SR handle ------------------------------------------------------ */

/*
 * One per SR known to xapid (plugged or not). xapid owns it; the driver
 * owns `priv` (set by sr_attach, released by sr_detach) and may read
 * everything else. device_config and sm_config are string→string maps.
 */
struct sm_sr {
	const sm_driver *drv;
	char *uuid;
	char *type;
	xv *device_config;
	xv *sm_config;
	/* A host-local directory for this SR's private files (locks, caches):
	 * <state>/sm/<uuid>, created by xapid before sr_attach/sr_create. */
	char *local_dir;
	void *priv;
	bool attached;
	pthread_mutex_t lock;    /* serialises metadata operations (see top) */
	sm_live_lookup_fn live_lookup;
	void *live_ctx;
};

/* A new handle (not attached). Copies the strings and maps (maps may be
 * NULL: empty). NULL with *err when the type has no driver
 * (SR_UNKNOWN_DRIVER). */
sm_sr *sm_sr_new(const char *type, const char *uuid, const xv *device_config,
                 const xv *sm_config, const char *local_dir, xerr **err);
sm_sr *sm_sr_free(sm_sr *sr);
/* The string value of device_config[key] or NULL. */
const char *sm_sr_dconf(const sm_sr *sr, const char *key);
/* Whether location is live (in use by a running consumer); fills *out. */
bool sm_sr_live(sm_sr *sr, const char *location, sm_live *out);

/* ---- the driver vtable -------------------------------------------------- */

/* Capabilities (SM.capabilities / SM.features), XAPI's names. */
#define SM_CAP_SR_PROBE          "SR_PROBE"
#define SM_CAP_SR_UPDATE         "SR_UPDATE"
#define SM_CAP_VDI_CREATE        "VDI_CREATE"
#define SM_CAP_VDI_DELETE        "VDI_DELETE"
#define SM_CAP_VDI_ATTACH        "VDI_ATTACH"
#define SM_CAP_VDI_DETACH        "VDI_DETACH"
#define SM_CAP_VDI_CLONE         "VDI_CLONE"
#define SM_CAP_VDI_SNAPSHOT      "VDI_SNAPSHOT"
#define SM_CAP_VDI_RESIZE        "VDI_RESIZE"
#define SM_CAP_VDI_RESIZE_ONLINE "VDI_RESIZE_ONLINE"
#define SM_CAP_VDI_INTRODUCE     "VDI_INTRODUCE"
#define SM_CAP_VDI_UPDATE        "VDI_UPDATE"
#define SM_CAP_VDI_GENERATE_CONFIG "VDI_GENERATE_CONFIG"
#define SM_CAP_VDI_MIRROR        "VDI_MIRROR"
#define SM_CAP_VDI_COMPOSE       "VDI_COMPOSE"
#define SM_CAP_THIN_PROVISIONING "THIN_PROVISIONING"
#define SM_CAP_ATOMIC_PAUSE      "ATOMIC_PAUSE"

struct sm_driver {
	/* ---- identity: fills the SM record ---- */
	const char *type;            /* SR.type: "ext", "file", "iso", "lvm", "nfs" */
	const char *name_label;
	const char *name_description;
	const char *vendor;
	const char *copyright;
	const char *version;
	const char *required_api_version;
	const char *const *capabilities;  /* NULL-terminated, SM_CAP_* */
	/* device_config keys: NULL-terminated pairs {key, description, …}. */
	const char *const *configuration;
	const char *content_type;    /* default SR.content_type: "user", "iso" */
	bool shared;                 /* SRs of this type are shared (pool-wide) */
	bool vdis_read_only;         /* every VDI is read-only (iso) */
	bool vdis_managed_externally;/* VDIs appear/disappear on scan (iso) */

	/* ---- SR operations (sr already holds device_config) ---- */

	/* Checks device_config and prepares the storage for a new SR
	 * (SR.create). Must refuse storage already holding an SR or in use
	 * (SR_DEVICE_IN_USE / SR_BACKEND_FAILURE_<n>) and leave nothing behind
	 * on failure. physical_size is the caller's hint (0: all). */
	xerr *(*sr_create)(sm_sr *sr, int64_t physical_size);
	/* Makes the SR usable on this host (PBD.plug): sets sr->priv. */
	xerr *(*sr_attach)(sm_sr *sr);
	/* Undoes sr_attach (PBD.unplug); frees sr->priv. */
	xerr *(*sr_detach)(sm_sr *sr);
	/* Wipes the SR from its storage (SR.destroy; attached, no VDIs in use). */
	xerr *(*sr_destroy)(sm_sr *sr);
	/* Lists what sits at device_config (SR.probe / probe_ext). Needs no
	 * handle. May be NULL (SR_OPERATION_NOT_SUPPORTED). */
	xerr *(*sr_probe)(const xv *device_config, const xv *sm_config,
	                  sm_probe_result *out);
	/* Every node on the SR (VDIs and hidden chain nodes). Attached. */
	xerr *(*sr_scan)(sm_sr *sr, sm_vdi_list *out);
	/* Sizes of the SR. Attached. */
	xerr *(*sr_stat)(sm_sr *sr, sm_sr_stat *out);

	/* ---- VDI operations (SR attached, sr->lock held unless noted) ---- */

	/* A new empty VDI (thin where the type is). */
	xerr *(*vdi_create)(sm_sr *sr, const sm_vdi_params *p, sm_vdi_info *out);
	/* Removes the VDI. Its chain nodes become garbage for vdi_gc. */
	xerr *(*vdi_destroy)(sm_sr *sr, const char *location);
	/* Facts about one node. */
	xerr *(*vdi_stat)(sm_sr *sr, const char *location, sm_vdi_info *out);
	/* A read-only point-in-time copy of the VDI, named by new_uuid; the
	 * VDI keeps its location. live is NULL when no consumer has it open.
	 * driver_params: VDI.snapshot's map (may be NULL). */
	xerr *(*vdi_snapshot)(sm_sr *sr, const char *location, const char *new_uuid,
	                      const xv *driver_params, const sm_live *live,
	                      sm_vdi_info *out);
	/* A writable copy sharing unchanged data (VDI.clone). */
	xerr *(*vdi_clone)(sm_sr *sr, const char *location, const char *new_uuid,
	                   const xv *driver_params, const sm_live *live,
	                   sm_vdi_info *out);
	/* Grows the VDI to new_size (never shrinks: xapid checks). */
	xerr *(*vdi_resize)(sm_sr *sr, const char *location, int64_t new_size,
	                    const sm_live *live, sm_vdi_info *out);
	/* A new VDI on this SR holding the data of src (any format/protocol,
	 * e.g. another SR's VDI), not under sr->lock: may take long. Built under
	 * a temporary name, renamed into place at the end. May be NULL: xapid
	 * then uses vdi_create + sm_copy_data. */
	xerr *(*vdi_copy)(sm_sr *sr, const sm_open *src, const sm_vdi_params *p,
	                  const sm_progress *prog, sm_vdi_info *out);
	/* Puts the differences of child on top of parent, in place of child's
	 * own parent (XAPI's VDI.compose). May be NULL. */
	xerr *(*vdi_compose)(sm_sr *sr, const char *parent_location,
	                     const char *child_location);
	/* Makes the VDI accessible to a consumer on this host and says how to
	 * open it. Not under sr->lock. */
	xerr *(*vdi_attach)(sm_sr *sr, const char *location, bool writable,
	                    sm_open *out);
	/* Undoes vdi_attach. May be NULL. */
	xerr *(*vdi_detach)(sm_sr *sr, const char *location);
	/* A VDI known to exist at location (VDI.introduce): checks it and
	 * fills *out. May be NULL (vdi_stat then). */
	xerr *(*vdi_introduce)(sm_sr *sr, const char *location, sm_vdi_info *out);
	/* Removes the data but keeps what a snapshot needs for changed-block
	 * tracking (VDI.data_destroy). May be NULL. */
	xerr *(*vdi_data_destroy)(sm_sr *sr, const char *location);

	/* ---- garbage collection ---- */

	/* One pass of chain coalescing: removes unreferenced chain nodes and
	 * merges nodes with a single child, using sr->live_lookup to go through
	 * the consumer for chains in use. Returns the work left (0: nothing),
	 * so xapid reschedules until done. May be NULL. Called under sr->lock
	 * by xapid's GC thread; the driver may drop no locks it did not take. */
	xerr *(*sr_gc)(sm_sr *sr, int *remaining);
	/* Finishes operations a crash interrupted that need xapid's records
	 * or the running consumers (live snapshot, live merge): rolled
	 * forward or back so the record names the image with the newest data
	 * and no image is left over. Returns how many are still pending (the
	 * SR's GC waits for them). Idempotent. May be NULL. */
	int (*sr_recover)(sm_sr *sr, const sm_recover *rc);
	/* xapid is done with a snapshot/clone of the VDI that was at
	 * `location` when it began: recorded = its outcome (a new location
	 * included) is committed, so the driver drops its intent record;
	 * false = it could not record it, so the intent is left to
	 * sr_recover (which leaves alone the intents of operations still
	 * waiting for this call). May be NULL. */
	void (*vdi_settle)(sm_sr *sr, const char *location, bool recorded);

	/* ---- creation-time checks ---- */

	/* Checks device_config without changing anything (called before any
	 * record is made). May be NULL. */
	xerr *(*check_config)(const xv *device_config);
};

/* ---- registry ----------------------------------------------------------- */

/* The driver for SR type (NULL when none). */
const sm_driver *sm_driver_find(const char *type);
/* All drivers (NULL-terminated). */
const sm_driver *const *sm_drivers(void);
/* Whether the driver declares a capability. */
bool sm_has_cap(const sm_driver *d, const char *cap);

/* The drivers this tree builds (sm/<type>.c). A new type adds its extern
 * here and its pointer to the table in sm/registry.c. */
extern const sm_driver sm_driver_file;   /* "file" */
extern const sm_driver sm_driver_ext;    /* "ext": same engine, local dir */
extern const sm_driver sm_driver_iso;    /* "iso" */
extern const sm_driver sm_driver_lvm;    /* "lvm" */
/* "nfs" (sm/nfs.c, branch nfs): weak, so the registry lists it exactly
 * when that file is linked in (add it to sm_sources in sm/meson.build). */
extern const sm_driver sm_driver_nfs __attribute__((weak));
extern const sm_driver sm_driver_iso_nfs __attribute__((weak)); /* if iso-over-nfs is its own type */
/* True when device_config:location is an NFS "server:/path": sm_sr_new
 * then gives an `iso` SR to sm_driver_iso_nfs, and sm/iso.c forwards
 * check_config and probe to it (defined in sm/iso_nfs.c). */
bool sm_iso_on_nfs(const xv *device_config);

/* ---- errors ------------------------------------------------------------- */

/* SM's numeric error codes used here (XAPI SM's XE_SR_ERRORCODES where a
 * matching one exists). */
enum {
	SM_E_SR_SCAN         = 40,  /* the SR scan failed */
	SM_E_VDI_UNAVAILABLE = 46,  /* the VDI is not available */
	SM_E_SR_UNAVAILABLE  = 47,  /* the SR is not available */
	SM_E_VDI_IN_USE      = 24,  /* the VDI is currently in use */
	SM_E_CONFIG_MISSING  = 1,   /* a required device_config key is missing */
	SM_E_CONFIG_INVALID  = 2,   /* a device_config value is wrong */
	SM_E_SR_EXISTS       = 8,   /* storage already holds an SR / is in use */
	SM_E_VDI_CREATE      = 78,  /* VDI creation failed */
	SM_E_VDI_SIZE        = 79,  /* VDI invalid size */
	SM_E_VDI_DELETE      = 80,  /* VDI deletion failed */
	SM_E_VDI_SNAPSHOT    = 82,  /* snapshot or clone failed */
	SM_E_VDI_RESIZE      = 110, /* VDI resize failed */
	SM_E_VDI_COPY        = 111, /* VDI copy/import failed */
	SM_E_NO_SPACE        = 44,  /* not enough space on the SR */
	SM_E_IO              = 84,  /* an I/O operation failed */
	SM_E_LVM             = 91,  /* an LVM command failed */
	SM_E_UNSUPPORTED     = 22,  /* this SR type cannot do that */
};

/* SR_BACKEND_FAILURE_<code> with params ["", text, ""]. */
xerr *sm_backend_failure(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- directory operations (SR-level file ops without a kernel mount) --- */

/*
 * What the shared qcow2/raw directory engine (sm/chain.h) needs from the
 * place an SR lives. The file driver implements it with POSIX calls on a
 * local directory; the nfs driver with libnfs on the export. Names are
 * single path components inside the SR directory; every function returns
 * 0 or a negative errno.
 */
typedef struct sm_fsops {
	/* Calls fn for each entry name (not "." or ".."); stops on nonzero. */
	int (*list)(void *fs, int (*fn)(void *arg, const char *name), void *arg);
	int (*stat)(void *fs, const char *name, int64_t *size, int64_t *allocated);
	int (*rename)(void *fs, const char *from, const char *to);
	int (*unlink)(void *fs, const char *name);
	/* Space of the file system holding the SR. */
	int (*statfs)(void *fs, int64_t *total, int64_t *free_bytes);
	/* How QEMU/qemu-img reach `name`: fills out (format left NULL). */
	int (*open_spec)(void *fs, const char *name, sm_open *out);
	/* Creates name exclusively with the given bytes (a small marker file). */
	int (*put_small)(void *fs, const char *name, const void *buf, size_t n);
	/* Reads at most cap bytes of a small file. Returns bytes read. */
	int64_t (*get_small)(void *fs, const char *name, void *buf, size_t cap);
	/* A second name for an existing entry (hard link); may be NULL (then
	 * snapshots of VDIs in use are refused). An image a consumer has open
	 * is never renamed: QEMU reopens images by name. */
	int (*link)(void *fs, const char *from, const char *to);
	/* Optional (NULL: `name` itself): the backing file name to write into
	 * a qcow2 header for the image `name` (heap). QEMU 7.2's nfs driver
	 * resolves a relative backing name against the image's own path
	 * ("nfs://h/e/top.qcow2/" + name), so the nfs SR writes full URLs. */
	char *(*backing_ref)(void *fs, const char *name);
	/* Optional: makes the content of `name` durable (fsync) before it is
	 * renamed into place. rename/unlink/link/put_small are durable (the
	 * directory is synced) when they return. */
	int (*sync)(void *fs, const char *name);
} sm_fsops;

#endif
