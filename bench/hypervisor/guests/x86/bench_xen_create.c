/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 benchmark micro-guest for Xen 4.17 only: create-to-first-instruction
 * from a PVH dom0 with nothing but hypercalls, the steps Halyard's control
 * guest takes (createdomain, max_vcpus, max_mem, populate_physmap of 2 x 2 MiB, load
 * the hello ELF's segments and an hvm_start_info, set the vCPU's PVH entry
 * state, unpause, watch getdomaininfo until the child has CPU time).  Xen's
 * domctl ABI differs from Halyard's, so this is a separate program: the
 * image is loaded through foreign mappings in dom0's own physmap
 * (XENMEM_add_to_physmap_batch, XENMAPSPACE_gmfn_foreign), and the vCPU
 * state is an HVM context record (gethvmcontext for the header, then a CPU
 * record through sethvmcontext), as Xen's toolstack does.  Byte offsets
 * below are those of Xen 4.17's public ABI (domctl interface 0x15).
 * Prints "BENCH create_to_run_ns <n>", or "bench: <step> failed: <rc>".
 */
#include "xguest.h"

extern const uint8_t child_image[], child_image_end[];

#define XEN_DOMCTL_IFACE 0x15
#define D_CREATE 1
#define D_DESTROY 2
#define D_UNPAUSE 4
#define D_GETINFO 5
#define D_MAX_MEM 11
#define D_MAX_VCPUS 15
#define D_GETHVM 33
#define D_SETHVM 34
#define XENMEM_add_to_physmap_batch 23
#define XENMAPSPACE_gmfn_foreign 4

#define CHILD_INFO 0x1000UL
#define CHILD_PAGES 1024              /* 4 MiB */
#define MAP_GFN 0x20000UL             /* dom0 gfns where the child's pages are mapped (512 MiB) */

/* struct xen_domctl: cmd, interface_version, domain, then a 128-byte union at 16. */
struct xdomctl {
    uint32_t cmd, iface;
    uint16_t domain, pad[3];
    uint8_t u[128];
};

static long xdomctl(struct xdomctl *op, uint32_t cmd, uint16_t dom)
{
    op->cmd = cmd;
    op->iface = XEN_DOMCTL_IFACE;
    op->domain = dom;
    return hcall(__HYPERVISOR_domctl, (unsigned long)op, 0, 0, 0, 0);
}

static void put(uint8_t *b, unsigned off, uint64_t v, unsigned n)
{
    memcpy(b + off, &v, n);
}

static uint64_t get(const uint8_t *b, unsigned off, unsigned n)
{
    uint64_t v = 0;
    memcpy(&v, b + off, n);
    return v;
}

static uint64_t idxs[CHILD_PAGES], gpfns[CHILD_PAGES];
static int errs[CHILD_PAGES];
static uint8_t hvmctx[16384] __attribute__((aligned(16)));
static uint8_t newctx[8 + 24 + 8 + 1032 + 8] __attribute__((aligned(16)));

static void fail(const char *step, long rc)
{
    gprintf("bench: %s failed: %ld\n", step, rc);
}

void guest_main(void)
{
    static struct xdomctl op;
    long rc;
    uint64_t t0 = rdtsc_g();

    memset(&op, 0, sizeof(op));
    put(op.u, 20, 3, 4);            /* flags: CDF_hvm | CDF_hap */
    put(op.u, 28, 1, 4);            /* max_vcpus */
    put(op.u, 32, 1023, 4);         /* max_evtchn_port */
    put(op.u, 36, 32, 4);           /* max_grant_frames */
    put(op.u, 40, (uint32_t)-1, 4); /* max_maptrack_frames: default */
    put(op.u, 44, 1, 4);            /* grant_opts: version 1 */
    put(op.u, 56, 1, 4);            /* arch.emulation_flags: LAPIC only (PVH) */
    if ((rc = xdomctl(&op, D_CREATE, 0)))
        return fail("createdomain", rc);
    uint16_t child = op.domain;
    /* Xen creates the vCPUs here (the count must match createdomain's). */
    memset(op.u, 0, sizeof(op.u));
    put(op.u, 0, 1, 4);
    if ((rc = xdomctl(&op, D_MAX_VCPUS, child)))
        return fail("max_vcpus", rc);

    memset(op.u, 0, sizeof(op.u));
    put(op.u, 0, CHILD_PAGES * 4 + 1024, 8);   /* max_memkb, with room for Xen's extras */
    if ((rc = xdomctl(&op, D_MAX_MEM, child)))
        return fail("max_mem", rc);
    uint64_t extents[2] = { 0, 512 };
    struct xen_memory_reservation r = { (uint64_t)extents, 2, 9, 0, child, { 0 } };
    if ((rc = HYPERVISOR_memory_op(XENMEM_populate_physmap, &r)) != 2)
        return fail("populate_physmap", rc);

    /* Map the child's low 2 MiB (start info at 4 KiB, image at 1 MiB) into our physmap. */
    unsigned n = 512;
    for (unsigned i = 0; i < n; i++) {
        idxs[i] = i;
        gpfns[i] = MAP_GFN + i;
        errs[i] = 0;
    }
    uint8_t batch[32];
    memset(batch, 0, sizeof(batch));
    put(batch, 0, DOMID_SELF, 2);
    put(batch, 2, XENMAPSPACE_gmfn_foreign, 2);
    put(batch, 4, n, 2);
    put(batch, 6, child, 2);
    put(batch, 8, (uint64_t)idxs, 8);
    put(batch, 16, (uint64_t)gpfns, 8);
    put(batch, 24, (uint64_t)errs, 8);
    rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap_batch, batch);
    for (unsigned i = 0; !rc && i < n; i++)
        rc = errs[i];
    if (rc)
        return fail("foreign mapping", rc);
    uint8_t *win = (uint8_t *)(MAP_GFN << 12);

    /* The ELF's PT_LOAD segments, and the PHYS32 entry from its note. */
    const uint8_t *e = child_image;
    uint64_t phoff = get(e, 32, 8);
    unsigned phnum = (unsigned)get(e, 56, 2), phsz = (unsigned)get(e, 54, 2);
    uint32_t entry = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = e + phoff + i * phsz;
        uint64_t off = get(ph, 8, 8), paddr = get(ph, 24, 8), filesz = get(ph, 32, 8);
        if (get(ph, 0, 4) == 4 && get(e + off, 8, 4) == 18)
            entry = (uint32_t)get(e + off, 16, 4);
        if (get(ph, 0, 4) == 1 && filesz && paddr + filesz <= (uint64_t)n << 12)
            memcpy(win + paddr, e + off, filesz);
    }
    struct {
        struct hvm_start_info_g si;
        uint8_t pad[0x100 - sizeof(struct hvm_start_info_g)];
        uint64_t mm[3];
        uint8_t pad2[0x100 - 24];
        char cmd[32];
    } info;
    memset(&info, 0, sizeof(info));
    info.si = (struct hvm_start_info_g){ 0x336ec578, 1, 0, 0, 0, CHILD_INFO + 0x200, 0, CHILD_INFO + 0x100, 1, 0 };
    info.mm[1] = CHILD_PAGES << 12;
    info.mm[2] = 1;
    memcpy(info.cmd, "hello mem=4M", 13);
    memcpy(win + CHILD_INFO, &info, sizeof(info));
    for (unsigned i = 0; i < n; i++) {
        struct { uint16_t domid, pad[3]; uint64_t gpfn; } rm = { DOMID_SELF, { 0 }, MAP_GFN + i };
        if ((rc = HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &rm)))
            return fail("unmapping", rc);
    }
    if (!entry)
        return fail("finding the PHYS32 entry", 0);

    /* vCPU 0: Xen's context header, then a CPU record in flat 32-bit protected mode, then END. */
    memset(op.u, 0, sizeof(op.u));
    put(op.u, 0, sizeof(hvmctx), 4);
    put(op.u, 8, (uint64_t)hvmctx, 8);
    if ((rc = xdomctl(&op, D_GETHVM, child)))
        return fail("gethvmcontext", rc);
    uint8_t *c = newctx;
    memset(newctx, 0, sizeof(newctx));
    memcpy(c, hvmctx, 8 + 24);                   /* header descriptor + header */
    c += 32;
    put(c, 0, 2, 2);                             /* CPU record, instance 0 */
    put(c, 4, 1032, 4);
    uint8_t *cpu = c + 8;
    put(cpu, 520, CHILD_INFO, 8);                /* rbx: start info */
    put(cpu, 640, entry, 8);                     /* rip */
    put(cpu, 648, 2, 8);                         /* rflags */
    put(cpu, 656, 0x11, 8);                      /* cr0: PE | ET */
    put(cpu, 720, 0xFFFF0FF0, 8);                /* dr6 */
    put(cpu, 728, 0x400, 8);                     /* dr7 */
    put(cpu, 768, 0xFFFFFFFF, 4);                /* cs/ds/es limits */
    put(cpu, 772, 0xFFFFFFFF, 4);
    put(cpu, 776, 0xFFFFFFFF, 4);
    put(cpu, 788, 0xFFFFFFFF, 4);                /* ss limit */
    put(cpu, 792, 0x67, 4);                      /* tr limit */
    put(cpu, 888, 0xC9B, 4);                     /* cs: 32-bit code */
    put(cpu, 892, 0xC93, 4);                     /* ds, es: data */
    put(cpu, 896, 0xC93, 4);
    put(cpu, 908, 0xC93, 4);                     /* ss */
    put(cpu, 912, 0x8B, 4);                      /* tr: busy TSS */
    c = cpu + 1032;
    put(c, 0, 0, 2);                             /* END */
    put(c, 4, 0, 4);
    memset(op.u, 0, sizeof(op.u));
    put(op.u, 0, sizeof(newctx), 4);
    put(op.u, 8, (uint64_t)newctx, 8);
    if ((rc = xdomctl(&op, D_SETHVM, child)))
        return fail("sethvmcontext", rc);

    if ((rc = xdomctl(&op, D_UNPAUSE, child)))
        return fail("unpause", rc);
    uint64_t t1 = 0;
    for (int i = 0; i < 1000000 && !t1; i++) {
        if ((rc = xdomctl(&op, D_GETINFO, child)))
            return fail("getdomaininfo", rc);
        /* Scheduled (XEN_DOMINF_running) or has run (cpu_time): Halyard's
         * cpu_time counts the slice in progress, i.e. the same moment. */
        if ((get(op.u, 4, 4) & (1u << 5)) || get(op.u, 56, 8))
            t1 = rdtsc_g();
        else
            yield();
    }
    if (!t1)
        return fail("waiting for the child to run", 0);
    /* Evidence that it really runs: hello powers itself off at its end. */
    uint32_t flags = 0;
    for (int i = 0; i < 1000000 && !(flags & (1u << 2)); i++) {
        if (xdomctl(&op, D_GETINFO, child) || op.domain != child)
            break;
        flags = (uint32_t)get(op.u, 4, 4);
        yield();
    }
    gprintf("bench: child d%u %s (shutdown code %u)\n", child, (flags & (1u << 2)) ? "shut down" : "did not shut down",
            (flags >> 16) & 255);
    xdomctl(&op, D_DESTROY, child);
    gprintf("BENCH create_to_run_ns %lu\n", (unsigned long)((t1 - t0) * 1000000ULL / tsc_khz()));
}
