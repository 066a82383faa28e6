/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/chain: the engine shared by SR types that keep one image file per VDI
 * in a directory (file/ext on a local directory, nfs on an export).
 *
 * Layout of the SR directory (names only; reached through sm_fsops, so the
 * directory may be local or remote):
 *
 *   .halyard-sr              marker: "halyard-sr <sr-uuid>\n" (SR.create)
 *   <uuid>.qcow2 | <uuid>.raw   a VDI (location = "<uuid>")
 *   <uuid>.base.qcow2        a hidden chain node (an old VDI top frozen
 *                            by a snapshot/clone), location "<uuid>.base"
 *   .tmp-<anything>          a VDI being built; removed by attach/gc
 *
 * Backing file names inside qcow2 headers are relative ("<x>.base.qcow2"),
 * so a chain resolves the same for a local path and an nfs:// URL.
 *
 * Snapshot/clone of VDI A (top file A.qcow2), no consumer:
 *   0. write .intent-A = "A.qcow2\nN.base.qcow2\n"   (fsync'd, dir too)
 *   1. rename A.qcow2 → N.base.qcow2        (N fresh)
 *   2. create .tmp-A.top.qcow2 over N.base.qcow2, fsync, rename it to
 *      A.qcow2 (the VDI keeps its location); remove .intent-A
 *   3. create .tmp-S.qcow2 over N.base.qcow2, fsync, rename to S.qcow2
 *   A raw VDI is first of all made the base as is (a raw base under qcow2).
 *   After a crash, sm_chain_sr_attach finds .intent-A: A has no image →
 *   N.base goes back to A's old name; A has one → nothing to undo. .tmp-*
 *   go. A base left with one child is merged back by GC.
 *
 * A VDI a running QEMU has open is never renamed (QEMU reopens images by
 * name, e.g. read-only when they become a backing file). Live snapshot of
 * VDI A (top A.qcow2):
 *   0. write .intent-A = "live-snapshot\nA.qcow2\nN.base.qcow2\n
 *      X.qcow2\nS.qcow2\n" (fsync'd, dir too)
 *   1. hard link A.qcow2 → N.base.qcow2 (sm_fsops.link)
 *   2. create .tmp-X over N.base, fsync, rename to X.qcow2
 *   3. hand X to QEMU (sm_live.snapshot: blockdev-snapshot)
 *   4. unlink A.qcow2; create .tmp-S over N.base, fsync, rename to S.qcow2
 *   5. xapid records, in one transaction, the VDI's new location X
 *      (sm_vdi_info.moved_location) and S's record, then calls
 *      vdi_settle, which removes the intent.
 *   After a crash sm_chain_sr_recover (xapid calls it once it has
 *   re-attached its running VMs) rolls forward when the record names X,
 *   or QEMU (still running across xapid's death) writes X, or, with no
 *   QEMU, X exists; back otherwise (see recover_live_snap). Until then
 *   the GC leaves the SR alone.
 * Live merge (GC, base B into its only child C, C open by QEMU): write
 * .intent-B = "live-merge\nB\nC\n", block-stream (sm_live.stream), remove
 * B, remove the intent. After a crash (sm_chain_sr_attach): C no longer
 * names B → B goes; else B stays for the next GC pass.
 *
 * GC (sm_chain_gc): a base no image depends on is deleted; a base with one
 * child is merged into the child (qemu-img rebase -t writethrough: data and
 * its L2 entries on disk before the header changes, so a crash leaves a
 * valid chain; live: sm_live.stream, which flushes before the job may
 * write the new header), then deleted.
 *
 * A driver using the engine sets sr->priv to a struct whose first member
 * is an sm_chain, and may point its vtable slots at the functions below.
 */
#ifndef HALYARD_SM_CHAIN_H
#define HALYARD_SM_CHAIN_H

#include "sm.h"

typedef struct sm_chain {
	const sm_fsops *ops;
	void *fs;
} sm_chain;

/* The sm_chain of an attached SR (sr->priv's first member). */
static inline sm_chain *sm_chain_of(sm_sr *sr) { return (sm_chain *)sr->priv; }

/* SR.create on an (empty, or marker-less) directory: refuses a directory
 * that already holds an SR or VDI images (SR_BACKEND_FAILURE_8), writes
 * the marker. */
xerr *sm_chain_sr_create(sm_chain *c, const char *sr_uuid);
/* Checks the marker names sr_uuid (or writes it when absent and
 * adopt is true) and removes .tmp-* leftovers. */
xerr *sm_chain_sr_attach(sm_chain *c, const char *sr_uuid, bool adopt);
/* Removes every image and the marker (SR.destroy). */
xerr *sm_chain_sr_destroy(sm_chain *c);

/* Vtable-shaped functions (sr->priv starts with an sm_chain). */
xerr *sm_chain_scan(sm_sr *sr, sm_vdi_list *out);
xerr *sm_chain_stat(sm_sr *sr, sm_sr_stat *out);
xerr *sm_chain_vdi_create(sm_sr *sr, const sm_vdi_params *p, sm_vdi_info *out);
xerr *sm_chain_vdi_destroy(sm_sr *sr, const char *location);
xerr *sm_chain_vdi_stat(sm_sr *sr, const char *location, sm_vdi_info *out);
xerr *sm_chain_vdi_snapshot(sm_sr *sr, const char *location, const char *new_uuid,
                            const xv *driver_params, const sm_live *live,
                            sm_vdi_info *out);
xerr *sm_chain_vdi_clone(sm_sr *sr, const char *location, const char *new_uuid,
                         const xv *driver_params, const sm_live *live,
                         sm_vdi_info *out);
xerr *sm_chain_vdi_resize(sm_sr *sr, const char *location, int64_t new_size,
                          const sm_live *live, sm_vdi_info *out);
xerr *sm_chain_vdi_copy(sm_sr *sr, const sm_open *src, const sm_vdi_params *p,
                        const sm_progress *prog, sm_vdi_info *out);
xerr *sm_chain_vdi_compose(sm_sr *sr, const char *parent_location,
                           const char *child_location);
xerr *sm_chain_vdi_attach(sm_sr *sr, const char *location, bool writable,
                          sm_open *out);
xerr *sm_chain_vdi_introduce(sm_sr *sr, const char *location, sm_vdi_info *out);
xerr *sm_chain_gc(sm_sr *sr, int *remaining);
int sm_chain_sr_recover(sm_sr *sr, const sm_recover *rc);
void sm_chain_vdi_settle(sm_sr *sr, const char *location, bool recorded);

#endif
